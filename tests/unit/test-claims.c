/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The claims store (src/state/claims.c): who holds which device, kept
 * safe across crashes.  The lock that makes a claim a transaction is the
 * ledger's (test-ledger.c). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "state/claims.h"

#define UUID_A "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12"
#define UUID_B "0b6e2f3a-9d4c-4e1f-8a7b-5c3d2e1f0a99"
#define MDEV_UUID "c0ffee00-1234-4a5b-8c9d-0e1f2a3b4c5d"

static char *statedir;

static void
setup_statedir(void)
{
    g_autofree char *base = NULL;

    /* In memory where the machine allows, as /run is on a host: some
     * tests write thousands of files. */
    if (access("/dev/shm", W_OK) == 0) {
        base = g_strdup("/dev/shm/gpupool-claims-XXXXXX");
        if (!g_mkdtemp(base))
            g_clear_pointer(&base, g_free);
    }
    if (!base)
        base = g_dir_make_tmp("gpupool-claims-XXXXXX", NULL);
    cr_assert_not_null(base);
    /* A directory that does not exist yet: the store creates it. */
    statedir = g_build_filename(base, "run", "gpupool", NULL);
    g_setenv("GPUPOOL_STATEDIR", statedir, TRUE);
}

static void
teardown_statedir(void)
{
    g_autofree char *base = g_path_get_dirname(statedir);
    g_autofree char *top = g_path_get_dirname(base);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", top);

    cr_assert_eq(system(cmd), 0);
    g_clear_pointer(&statedir, g_free);
}

TestSuite(claims, .init = setup_statedir, .fini = teardown_statedir);

static char *
claims_file(void)
{
    return g_build_filename(statedir, "claims.xml", NULL);
}

static void
write_claims_file(const char *contents)
{
    g_autofree char *path = claims_file();

    cr_assert_eq(g_mkdir_with_parents(statedir, 0755), 0);
    cr_assert(g_file_set_contents(path, contents, -1, NULL));
}

static GpClaims *
load_ok(void)
{
    g_autoptr(GError) error = NULL;
    GpClaims *claims = gp_claims_load(&error);

    cr_assert_not_null(claims, "%s", error ? error->message : "");
    return claims;
}

Test(claims, a_missing_file_means_nobody_holds_anything)
{
    g_autoptr(GpClaims) claims = load_ok();

    cr_assert_eq(gp_claims_all(claims)->len, 0);
    cr_assert_null(gp_claims_find(claims, "0000:41:00.0"));
}

Test(claims, saved_claims_load_back_sorted_with_every_field)
{
    g_autoptr(GpClaims) claims = load_ok();
    g_autoptr(GpClaims) back = NULL;
    g_autoptr(GError) error = NULL;
    const GpClaim *c;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    GPtrArray *all;

    cr_assert(gp_claims_add(claims, "0000:81:00.0", "gpus", UUID_A, "vm-a", NULL, &error));
    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_B, "vm <b> & 'c'", NULL, &error));
    cr_assert(gp_claims_add(claims, MDEV_UUID, "vgpu", UUID_B, "vm <b> & 'c'", "0000:3b:00.0",
                            &error));
    cr_assert(gp_claims_save(claims, &error), "%s", error ? error->message : "");

    back = load_ok();
    all = gp_claims_all(back);
    cr_assert_eq(all->len, 3);
    cr_assert_str_eq(((GpClaim *)all->pdata[0])->device, "0000:41:00.0");
    cr_assert_str_eq(((GpClaim *)all->pdata[1])->device, "0000:81:00.0");
    cr_assert_str_eq(((GpClaim *)all->pdata[2])->device, MDEV_UUID);
    c = gp_claims_find(back, "0000:41:00.0");
    cr_assert_str_eq(c->domain_name, "vm <b> & 'c'");
    cr_assert_str_eq(c->domain_uuid, UUID_B);
    cr_assert_str_eq(c->pool, "gpus");
    cr_assert_null(c->parent);
    cr_assert_geq(c->since, now - 5);
    cr_assert_leq(c->since, now + 5);
    c = gp_claims_find(back, MDEV_UUID);
    cr_assert_str_eq(c->parent, "0000:3b:00.0");
}

/* The file is written by hand at times: what loads must save and load
 * back the same, blanks of every kind included. */
Test(claims, a_parent_with_tabs_and_line_ends_loads_back_as_it_was_saved)
{
    g_autoptr(GpClaims) claims = load_ok();
    g_autoptr(GpClaims) back = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert(gp_claims_add(claims, MDEV_UUID, "vgpu", UUID_A, "vm-a", "mbochs\tx\ny\r",
                            &error), "%s", error ? error->message : "");
    cr_assert(gp_claims_save(claims, &error), "%s", error ? error->message : "");
    back = load_ok();
    cr_assert_str_eq(gp_claims_find(back, MDEV_UUID)->parent, "mbochs\tx\ny\r");
}

Test(claims, the_same_domain_may_claim_again_another_is_refused_naming_the_holder)
{
    g_autoptr(GpClaims) claims = load_ok();
    g_autoptr(GError) error = NULL;

    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_A, "vm-a", NULL, NULL));
    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_A, "vm-a", NULL, NULL));
    cr_assert_eq(gp_claims_all(claims)->len, 1);
    cr_assert_not(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_B, "vm-b", NULL, &error));
    cr_assert(g_error_matches(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_HELD));
    cr_assert(strstr(error->message, "0000:41:00.0"), "%s", error->message);
    cr_assert(strstr(error->message, "'vm-a'"), "%s", error->message);
    cr_assert(strstr(error->message, "virsh shutdown vm-a"), "%s", error->message);
    cr_assert_str_eq(gp_claims_find(claims, "0000:41:00.0")->domain_uuid, UUID_A);
}

Test(claims, a_domain_is_its_uuid_and_its_name_both)
{
    g_autoptr(GpClaims) claims = load_ok();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) of_copy = NULL;
    g_autoptr(GPtrArray) of_uuid = NULL;

    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_A, "vm-a", NULL, NULL));
    /* The holder's UUID under another name is another domain. */
    cr_assert_not(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_A, "vm-a-copy", NULL,
                                &error));
    cr_assert(g_error_matches(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_HELD));
    cr_assert(strstr(error->message, "'vm-a'"), "%s", error->message);
    of_copy = gp_claims_of_domain(claims, UUID_A, "vm-a-copy");
    cr_assert_eq(of_copy->len, 0);
    cr_assert_eq(gp_claims_drop_domain(claims, UUID_A, "vm-a-copy"), 0);
    /* Without a name (a domain libvirt says does not run), the UUID. */
    of_uuid = gp_claims_of_domain(claims, UUID_A, NULL);
    cr_assert_eq(of_uuid->len, 1);
    cr_assert_eq(gp_claims_drop_domain(claims, UUID_A, "vm-a"), 1);
}

Test(claims, a_device_is_found_whatever_its_spelling)
{
    g_autoptr(GpClaims) claims = load_ok();
    g_autoptr(GError) error = NULL;

    cr_assert(gp_claims_add(claims, "4A:00.0", "gpus", UUID_A, "vm-a", NULL, NULL));
    cr_assert_str_eq(((GpClaim *)gp_claims_all(claims)->pdata[0])->device, "0000:4a:00.0");
    cr_assert_not_null(gp_claims_find(claims, "0000:4A:00.0"));
    cr_assert_not(gp_claims_add(claims, "0000:4a:00.0", "gpus", UUID_B, "vm-b", NULL, &error));
    cr_assert(g_error_matches(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_HELD));
    cr_assert(gp_claims_drop_device(claims, "4a:00.0"));
}

Test(claims, dropping_a_domain_releases_exactly_its_devices)
{
    g_autoptr(GpClaims) claims = load_ok();
    g_autoptr(GPtrArray) of_b = NULL;

    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_A, "vm-a", NULL, NULL));
    cr_assert(gp_claims_add(claims, "0000:81:00.0", "gpus", UUID_B, "vm-b", NULL, NULL));
    cr_assert(gp_claims_add(claims, "0000:c1:00.0", "gpus", UUID_B, "vm-b", NULL, NULL));
    of_b = gp_claims_of_domain(claims, UUID_B, NULL);
    cr_assert_eq(of_b->len, 2);
    cr_assert_eq(gp_claims_drop_domain(claims, UUID_B, NULL), 2);
    cr_assert_eq(gp_claims_drop_domain(claims, UUID_B, NULL), 0);
    cr_assert_eq(gp_claims_all(claims)->len, 1);
    cr_assert_null(gp_claims_find(claims, "0000:81:00.0"));
    cr_assert(gp_claims_drop_device(claims, "0000:41:00.0"));
    cr_assert_not(gp_claims_drop_device(claims, "0000:41:00.0"));
    cr_assert_eq(gp_claims_all(claims)->len, 0);
}

Test(claims, malformed_claims_are_refused_before_they_reach_the_file)
{
    g_autoptr(GpClaims) claims = load_ok();

    cr_assert_not(gp_claims_add(claims, "0000:41:00.0", "gpus", "not-a-uuid", "vm", NULL, NULL));
    cr_assert_not(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_A, "two\nlines", NULL, NULL));
    cr_assert_not(gp_claims_add(claims, "0000:41:00.0", "a/b", UUID_A, "vm", NULL, NULL));
    cr_assert_not(gp_claims_add(claims, "bogus", "gpus", UUID_A, "vm", NULL, NULL));
    cr_assert_eq(gp_claims_all(claims)->len, 0);
}

/* A corrupt file is refused with its path and the fix, and left alone. */
static void
expect_corrupt(const char *contents, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autofree char *path = claims_file();
    g_autofree char *after = NULL;

    write_claims_file(contents);
    claims = gp_claims_load(&error);
    cr_assert_null(claims, "accepted: %s", contents);
    cr_assert(g_error_matches(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_CORRUPT), "%s",
              error ? error->message : "none");
    cr_assert(strstr(error->message, path), "%s", error->message);
    cr_assert(strstr(error->message, "repair the file"), "%s", error->message);
    cr_assert(strstr(error->message, needle), "'%s' not in %s", needle, error->message);
    cr_assert(g_file_get_contents(path, &after, NULL, NULL));
    cr_assert_str_eq(after, contents);
}

Test(claims, a_corrupt_file_is_refused_with_its_path_and_the_fix_never_dropped)
{
    expect_corrupt("<claims><claim device='0000:41:00.0'", "not well-formed");
    expect_corrupt("garbage", "not well-formed");
    expect_corrupt("", "not well-formed");
    expect_corrupt("<pools/>", "not <claims>");
    expect_corrupt("<claims><claim device='0000:41:00.0' pool='gpus' domain-uuid='x' "
                   "domain-name='vm' since='1'/></claims>", "domain-uuid");
    expect_corrupt("<claims><claim device='0000:41:00.0' pool='gpus' domain-uuid='" UUID_A
                   "' domain-name='vm'/></claims>", "since");
    expect_corrupt("<claims><claim device='0000:41:00.0' pool='gpus' domain-uuid='" UUID_A
                   "' domain-name='vm' since='1'/>\n<claim device='41:00.0' pool='gpus' "
                   "domain-uuid='" UUID_B "' domain-name='vm2' since='1'/></claims>",
                   "claimed twice");
    expect_corrupt("<claims><other/></claims>", "unexpected content");
    expect_corrupt("<!DOCTYPE claims [<!ENTITY a 'b'>]><claims/>", "DOCTYPE");
}

Test(claims, a_stray_temporary_file_from_a_crash_leaves_the_old_state_readable)
{
    g_autoptr(GpClaims) claims = load_ok();
    g_autoptr(GpClaims) back = NULL;
    g_autofree char *stray = NULL;
    g_autoptr(GDir) dir = NULL;
    const char *name;
    guint files = 0;

    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_A, "vm-a", NULL, NULL));
    cr_assert(gp_claims_save(claims, NULL));
    /* What a crash between writing the temporary file and the rename
     * leaves behind: a half-written new state next to the old one. */
    stray = g_build_filename(statedir, ".claims.xml.X3kq9Z", NULL);
    cr_assert(g_file_set_contents(stray, "<claims><claim device='0000:81", -1, NULL));

    back = load_ok();
    cr_assert_eq(gp_claims_all(back)->len, 1);
    cr_assert_str_eq(gp_claims_find(back, "0000:41:00.0")->domain_name, "vm-a");
    /* And a save still works and does not trip over it. */
    cr_assert(gp_claims_add(back, "0000:81:00.0", "gpus", UUID_B, "vm-b", NULL, NULL));
    cr_assert(gp_claims_save(back, NULL));
    dir = g_dir_open(statedir, 0, NULL);
    while ((name = g_dir_read_name(dir)))
        if (g_str_has_prefix(name, ".claims.xml."))
            files++;
    cr_assert_eq(files, 1, "save left its own temporary file behind");
}

Test(claims, a_thousand_claims_load_and_save_in_well_under_ten_milliseconds)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autofree char *shm = NULL;
    gint64 best = G_MAXINT64;

    /* /run/gpupool is a tmpfs: measure our code, not the fsync latency of
     * the disk under /tmp. */
    if (access("/dev/shm", W_OK) == 0) {
        shm = g_strdup("/dev/shm/gpupool-claims-XXXXXX");
        cr_assert_not_null(g_mkdtemp(shm));
        g_setenv("GPUPOOL_STATEDIR", shm, TRUE);
    }
    claims = load_ok();

    for (guint i = 0; i < 1000; i++) {
        g_autofree char *dev = g_strdup_printf("%04x:%02x:00.0", i / 128, i % 128 + 1);
        g_autofree char *uuid = g_strdup_printf("6f1c4a52-2d7e-4b8a-9c1e-%012x", i);
        g_autofree char *name = g_strdup_printf("domain-%u", i);

        cr_assert(gp_claims_add(claims, dev, "gpus", uuid, name, NULL, NULL));
    }
    cr_assert(gp_claims_save(claims, NULL));
    /* Best of several runs: the machine running the tests is shared. */
    for (int run = 0; run < 7; run++) {
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(GpClaims) c = load_ok();

        cr_assert_eq(gp_claims_all(c)->len, 1000);
        cr_assert(gp_claims_drop_device(c, "0000:01:00.0"));
        cr_assert(gp_claims_save(c, NULL));
        best = MIN(best, g_get_monotonic_time() - t0);
        cr_assert(gp_claims_add(c, "0000:01:00.0", "gpus", UUID_A, "again", NULL, NULL));
        cr_assert(gp_claims_save(c, NULL));
    }
    if (shm) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", shm);

        cr_assert_eq(system(cmd), 0);
    }
    cr_log_info("load+save of 1000 claims: %" G_GINT64_FORMAT " us", best);
#ifndef GP_SANITIZED
    /* A sanitized build (--enable-sanitizers) runs tens of times slower:
     * there the test checks the round trip, and the plain build the time. */
    cr_assert_lt(best, 10000, "load+save took %" G_GINT64_FORMAT " us", best);
#endif
}

/* ---- The file in the writer's spelling ----------------------------------
 *
 * gp_claims_load() reads a file in the one spelling gp_claims_save()
 * writes without building a tree, and leaves any other spelling to the
 * tree.  These tests hold the two ways to the same judgement: an XML
 * declaration in front of a file sends it to the tree without moving its
 * lines. */

#define TREE_ONLY "<?xml version='1.0'?>"

/* The claims file LEN bytes at XML make, or the error they are refused
 * with (*ERROR, set when NULL is returned). */
static GpClaims *
load_bytes(const char *xml, gsize len, GError **error)
{
    g_autofree char *path = claims_file();
    FILE *f;

    cr_assert_eq(g_mkdir_with_parents(statedir, 0755), 0);
    /* Tens of thousands of files: none needs to reach a disk, and a new
     * file spares ext4's flush of a truncated one. */
    unlink(path);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(xml, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return gp_claims_load(error);
}

/* CLAIMS, a line each with every field: two readings compared. */
static char *
claims_text(GpClaims *claims)
{
    GPtrArray *all = gp_claims_all(claims);
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        g_string_append_printf(out, "%s|%s|%s|%s|%" G_GINT64_FORMAT "|%s\n", c->device, c->pool,
                               c->domain_uuid, c->domain_name, c->since,
                               c->parent ? c->parent : "(none)");
    }
    return g_string_free(out, FALSE);
}

/* Expects the LEN bytes at XML to be read as the tree reads them: the
 * same claims, or the same error. */
static void
expect_read_as_tree(const char *xml, gsize len)
{
    g_autoptr(GString) tree_xml = g_string_new(TREE_ONLY);
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) tree_error = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GpClaims) tree_claims = NULL;
    g_autofree char *shown = g_strescape(xml, NULL);

    g_string_append_len(tree_xml, xml, len);
    claims = load_bytes(xml, len, &error);
    tree_claims = load_bytes(tree_xml->str, tree_xml->len, &tree_error);
    if (tree_claims) {
        g_autofree char *a = NULL;
        g_autofree char *b = claims_text(tree_claims);

        cr_assert_not_null(claims, "refused what the tree reads (%s): %s", error->message, shown);
        a = claims_text(claims);
        cr_assert_str_eq(a, b, "read otherwise than the tree: %s", shown);
    } else {
        cr_assert_null(claims, "accepted what the tree refuses (%s): %s", tree_error->message,
                       shown);
        cr_assert_str_eq(error->message, tree_error->message, "%s", shown);
    }
}

/* A file of claims with everything the writer writes: PCI and mdev
 * devices, a parent, a name that is not ASCII and, if ESCAPED, one the
 * writer escapes, which sends the whole file to the tree (new string). */
static char *
written_claims(gboolean escaped)
{
    g_autoptr(GpClaims) claims = load_ok();
    g_autofree char *path = claims_file();
    char *text = NULL;

    cr_assert(gp_claims_add(claims, "0000:81:00.0", "gpus", UUID_A, "vm-a", NULL, NULL));
    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", UUID_B, "vm-é", NULL, NULL));
    cr_assert(gp_claims_add(claims, MDEV_UUID, "vgpu.2", UUID_B, "vm-é", "0000:3b:00.0", NULL));
    if (escaped)
        cr_assert(gp_claims_add(claims, "0000:c1:00.0", "gpus", UUID_A, "vm <b> & 'c'", NULL,
                                NULL));
    cr_assert(gp_claims_save(claims, NULL));
    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

Test(claims, a_file_in_the_writers_spelling_reads_as_the_tree_reads_it_and_saves_unchanged)
{
    g_autofree char *text = written_claims(TRUE);
    g_autofree char *path = claims_file();
    g_autofree char *again = NULL;
    g_autoptr(GpClaims) claims = NULL;

    expect_read_as_tree(text, strlen(text));
    /* Without the escaped name every line is in the writer's spelling. */
    claims = load_ok();
    cr_assert(gp_claims_drop_device(claims, "0000:c1:00.0"));
    cr_assert(gp_claims_save(claims, NULL));
    g_clear_pointer(&claims, gp_claims_free);
    claims = load_ok();
    cr_assert_eq(gp_claims_all(claims)->len, 3);
    cr_assert_str_eq(gp_claims_find(claims, "0000:41:00.0")->domain_name, "vm-é");
    g_free(text);
    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    cr_assert(gp_claims_save(claims, NULL));
    cr_assert(g_file_get_contents(path, &again, NULL, NULL));
    cr_assert_str_eq(again, text);
}

/* Every byte of a written file deleted, replaced or preceded by bytes
 * that matter to XML or to the checks: whatever the damage, the file is
 * read, or refused with the message, that the tree gives. */
Test(claims, every_damage_to_a_written_file_is_judged_as_the_tree_judges_it)
{
    static const char bytes[] = "'\"&<> \n\tx0fA-:./=#\x01\x7f\xc3\xa9\xff";
    g_autofree char *text = written_claims(FALSE);
    gsize len = strlen(text);

    for (gsize at = 0; at <= len; at++) {
        g_autoptr(GString) m = g_string_new_len(text, len);

        if (at < len) {
            g_string_erase(m, at, 1);
            expect_read_as_tree(m->str, m->len);
        }
        for (gsize b = 0; b < sizeof(bytes) - 1; b++) {
            if (at < len) {
                g_string_assign(m, text);
                m->str[at] = bytes[b];
                expect_read_as_tree(m->str, m->len);
            }
            g_string_assign(m, text);
            g_string_insert_c(m, at, bytes[b]);
            expect_read_as_tree(m->str, m->len);
        }
    }
}

/* A file of one claim, spelled as gp_claims_save() writes it (new string). */
static char *
one_claim(const char *device, const char *pool, const char *uuid, const char *name,
          const char *since, const char *more)
{
    return g_strconcat("<claims>\n  <claim device='", device, "' pool='", pool,
                       "' domain-uuid='", uuid, "' domain-name='", name, "' since='", since, "'",
                       more, "/>\n</claims>\n", NULL);
}

/* Values at the edges of what XML and claims.rng allow, in the writer's
 * spelling otherwise: each is read, or refused, as the tree does. */
Test(claims, values_at_the_edges_are_judged_as_the_tree_judges_them)
{
    static const char *const devices[] = {
        "0000:41:1f.7", "0000:41:20.0", "0000:41:00.8", "0000:4A:00.0", "41:00.0",
        "ffff:ff:1f.7", "C0FFEE00-1234-4a5b-8c9d-0e1f2a3b4c5d", "c0ffee00-1234-4a5b-8c9d",
        "",
    };
    static const char *const pools[] = {
        "g/us", ".gpus", "-gpus", "gpus-1.a_b",
        "a123456789012345678901234567890123456789012345678901234567890123",
        "a1234567890123456789012345678901234567890123456789012345678901234",
    };
    static const char *const uuids[] = {
        "6F1C4A52-2D7E-4B8A-9C1E-3A5B7D9E0F12", "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f1",
        "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12a", "6f1c4a522d7e-4b8a-9c1e-3a5b7d9e0f12-",
    };
    static const char *const names[] = {
        "vm\xef\xbf\xbe", "vm\xef\xbf\xbf", "vm\xef\xbf\xbd", "vm\xc2\x85", "vm\x7f",
        "vm\xed\xa0\x80", "vm\xc0\xae", "vm\xf4\x90\x80\x80", "vm\xf0\x9f\x98\x80", "vm>\"x",
        "vm]]>",
    };
    static const char *const sinces[] = {
        "9223372036854775807", "9223372036854775808", "99999999999999999999",
        "0000000000000000001", "+1", "-0", "-1", "1 ", "0x10", "",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(devices); i++) {
        g_autofree char *xml = one_claim(devices[i], "gpus", UUID_A, "vm", "1", "");

        expect_read_as_tree(xml, strlen(xml));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(pools); i++) {
        g_autofree char *xml = one_claim("0000:41:00.0", pools[i], UUID_A, "vm", "1", "");

        expect_read_as_tree(xml, strlen(xml));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(uuids); i++) {
        g_autofree char *xml = one_claim("0000:41:00.0", "gpus", uuids[i], "vm", "1", "");

        expect_read_as_tree(xml, strlen(xml));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *xml = one_claim("0000:41:00.0", "gpus", UUID_A, names[i], "1", "");

        expect_read_as_tree(xml, strlen(xml));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(sinces); i++) {
        g_autofree char *xml = one_claim("0000:41:00.0", "gpus", UUID_A, "vm", sinces[i], "");

        expect_read_as_tree(xml, strlen(xml));
    }
    {
        g_autofree char *empty = one_claim(MDEV_UUID, "vgpu", UUID_A, "vm", "1", " parent=''");
        g_autofree char *named = one_claim(MDEV_UUID, "vgpu", UUID_A, "vm", "1",
                                           " parent='mbochs'");

        expect_read_as_tree(empty, strlen(empty));
        expect_read_as_tree(named, strlen(named));
    }
    expect_read_as_tree("<claims>\n</claims>\n", strlen("<claims>\n</claims>\n"));
}

/* A claim the schema refuses is refused naming what is wrong; the largest
 * since that fits is read. */
Test(claims, a_claim_beyond_the_schema_is_refused_naming_the_attribute)
{
    g_autofree char *pool = one_claim("0000:41:00.0", "g/us", UUID_A, "vm", "1", "");
    g_autofree char *since = one_claim("0000:41:00.0", "gpus", UUID_A, "vm",
                                       "9223372036854775808", "");
    g_autofree char *largest = one_claim("0000:41:00.0", "gpus", UUID_A, "vm",
                                         "9223372036854775807", "");
    g_autoptr(GpClaims) claims = NULL;

    expect_corrupt(pool, "line 2: bad or missing pool");
    expect_corrupt(since, "line 2: bad or missing since");
    write_claims_file(largest);
    claims = load_ok();
    cr_assert_eq(gp_claims_find(claims, "0000:41:00.0")->since, G_MAXINT64);
}

/* Files with no line end at all, or none at the end, are read like any
 * other spelling; an empty one (found by fuzz-claims) is refused as
 * corrupt. */
Test(claims, a_file_on_one_line_or_without_a_last_line_end_loads)
{
    g_autoptr(GpClaims) empty = NULL;
    g_autoptr(GpClaims) one = NULL;
    g_autoptr(GpClaims) none = NULL;
    g_autoptr(GError) error = NULL;

    write_claims_file("");
    none = gp_claims_load(&error);
    cr_assert_null(none);
    cr_assert(g_error_matches(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_CORRUPT), "%s",
              error ? error->message : "no error");
    g_clear_error(&error);

    write_claims_file("<claims/>");
    empty = gp_claims_load(&error);
    cr_assert_not_null(empty, "%s", error ? error->message : "");
    cr_expect_eq(gp_claims_all(empty)->len, 0);
    write_claims_file("<claims>\n  <claim device='0000:81:00.0' pool='gpus' "
                      "domain-uuid='" UUID_A "' domain-name='vm1' since='1'/>\n</claims>");
    one = gp_claims_load(&error);
    cr_assert_not_null(one, "%s", error ? error->message : "");
    cr_expect_eq(gp_claims_all(one)->len, 1);
}
