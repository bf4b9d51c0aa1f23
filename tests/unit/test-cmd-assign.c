/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `gpupool assign` end to end on the simulated datacenter host (two A100s
 * with a 128 GiB BAR1 and a 32 MiB BAR3) and libvirt's test driver, which
 * runs the domains of a node file for the one connection the command
 * makes: the MMIO sizing from real BARs, the OVMF settings, the warning
 * for a too small --mmio, and nothing changed on the host; and the same
 * on a domain XML file (--file), as a cluster's shared config=. */
#include "config.h"

#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "state/claims.h"
#include "state/domxml.h"
#include "sim.h"

static GpSim *sim;
static char *uri;

static char *
sample(const char *name)
{
    g_autofree char *path = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                             name, NULL);
    g_autofree char *text = NULL;
    GRegex *re = g_regex_new("<domain type='(kvm|qemu)'>", 0, 0, NULL);
    char *out;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    /* The test driver runs domains of its own type. */
    out = g_regex_replace_literal(re, text, -1, 0, "<domain type='test'>", 0, NULL);
    g_regex_unref(re);
    return out;
}

static void
setup(void)
{
    g_autofree char *node = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *create[] = { "gpupool", "pool-create", "gpus", "--type", "pci", NULL };
    const char *add[] = { "gpupool", "pool-add", "gpus", GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, NULL };
    int status = -1;
    g_autofree char *d1 = sample("q35-ovmf.xml");
    g_autofree char *d2 = sample("q35-seabios.xml");
    g_autofree char *nodexml = g_strdup_printf("<node>\n%s%s</node>\n", d1, d2);

    sim = gp_sim_fixture_datacenter();
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
    /* The pool as an admin makes it: its GPUs leave nvidia for vfio-pci. */
    cr_assert(gp_sim_run(sim, create, &out, &err, &status) && status == 0, "%s", err);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    cr_assert(gp_sim_run(sim, add, &out, &err, &status) && status == 0, "%s", err);
    node = g_build_filename(gp_sim_base(sim), "node.xml", NULL);
    cr_assert(g_file_set_contents(node, nodexml, -1, NULL));
    uri = g_strdup_printf("test://%s", node);
}

static void
teardown(void)
{
    gp_sim_free(sim);
    g_free(uri);
}

TestSuite(cmd_assign, .init = setup, .fini = teardown);

static int
run(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
    const char *a6, char **out, char **err)
{
    const char *argv[] = { "gpupool", a1, a2, a3, a4, a5, a6, "--connect", uri, NULL };
    const char *compact[G_N_ELEMENTS(argv)];
    guint n = 0;
    int status = -1;

    for (guint i = 0; i < G_N_ELEMENTS(argv); i++)
        if (argv[i] || i == G_N_ELEMENTS(argv) - 1)
            compact[n++] = argv[i];
    cr_assert(gp_sim_run(sim, compact, out, err, &status));
    return status;
}

Test(cmd_assign, two_a100s_get_a_1_tib_window_with_ovmf_aperture_and_41_address_bits)
{
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run("assign", "win-ovmf", "--pool", "gpus", "--count", "2", &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "win-ovmf: assigned gpus 0000:41:00.0 (ua-gpupool-0), "
                                   "gpus 0000:81:00.0 (ua-gpupool-1)"), "%s", out);
    /* 2 x (128 GiB + 32 MiB, aligned to 128 GiB) + headroom -> 1 TiB; above
     * 16 GiB of RAM it ends at 2 TiB: 41 bits. */
    cr_assert_not_null(strstr(out, "64-bit MMIO window 1T (pcihole64, OVMF aperture), "
                                   "guest physical address bits 41"), "%s", out);
    cr_assert_str_eq(err, "");
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before, "assign changed the host");
}

Test(cmd_assign, one_a100_on_seabios_gets_512_gib_and_no_ovmf_settings)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run("assign", "linux-seabios", "--pool", "gpus", NULL, NULL, &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "64-bit MMIO window 512G (pcihole64)\n"), "%s", out);
}

Test(cmd_assign, a_too_small_explicit_window_is_set_but_warned_about)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run("assign", "win-ovmf", "--pool", "gpus", "--mmio", "64G", &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "64-bit MMIO window 64G"), "%s", out);
    cr_assert_not_null(strstr(err, "gpupool: warning: win-ovmf: --mmio 64G is smaller than "
                                   "the 512G its devices need"), "%s", err);
}

/* ---- A domain XML file (a cluster's shared config=), without libvirt ---- */

/* The sample domain NAME copied to BASE/shared/NAME with mode 0640. */
static char *
shared_copy(const char *name)
{
    g_autofree char *src = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains", name,
                                            NULL);
    g_autofree char *dir = g_build_filename(gp_sim_base(sim), "shared", NULL);
    g_autofree char *text = NULL;
    char *dst = g_build_filename(dir, name, NULL);

    cr_assert(g_mkdir_with_parents(dir, 0755) == 0);
    cr_assert(g_file_get_contents(src, &text, NULL, NULL));
    cr_assert(g_file_set_contents(dst, text, -1, NULL));
    cr_assert(g_chmod(dst, 0640) == 0);
    return dst;
}

static int
run_file(const char *const *argv, char **out, char **err)
{
    int status = -1;

    cr_assert(gp_sim_run(sim, argv, out, err, &status));
    return status;
}

static char *
file_text(const char *path)
{
    char *text = NULL;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL), "%s", path);
    return text;
}

static void
hold(const char *device, const char *uuid, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpClaims) claims = gp_claims_load(&error);

    cr_assert_not_null(claims, "%s", error ? error->message : "");
    cr_assert(gp_claims_add(claims, device, "gpus", uuid, name, NULL, &error), "%s",
              error ? error->message : "");
    cr_assert(gp_claims_save(claims, &error), "%s", error ? error->message : "");
}

Test(cmd_assign, file_gets_the_request_hostdevs_and_window_and_keeps_its_mode)
{
    g_autofree char *path = shared_copy("q35-ovmf.xml");
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *text = NULL;
    g_autofree char *dir = g_path_get_dirname(path);
    const char *argv[] = { "gpupool", "assign", "--file", path, "--pool", "gpus", "--count",
                           "2", NULL };
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GError) error = NULL;
    GStatBuf st;

    cr_assert_eq(run_file(argv, &out, &err), 0, "%s", err);
    cr_expect_not_null(strstr(out, "win-ovmf: assigned gpus 0000:41:00.0 (ua-gpupool-0), "
                                   "gpus 0000:81:00.0 (ua-gpupool-1)"), "%s", out);
    cr_expect_not_null(strstr(out, "64-bit MMIO window 1T (pcihole64, OVMF aperture)"), "%s",
                       out);
    cr_expect_not_null(strstr(out, "gpupool cluster-prepare"), "%s", out);
    text = file_text(path);
    a = gp_domxml_read_assignment(text, strlen(text), &error);
    cr_assert_not_null(a, "%s", error ? error->message : "");
    cr_expect_eq(a->devices->len, 2);
    cr_expect_eq(a->pcihole64, 1ULL << 40);
    cr_expect_not_null(strstr(text, "type=\"pci\""), "%s", text);
    cr_expect_not_null(strstr(text, "<on_crash>destroy</on_crash>"));
    cr_assert(g_stat(path, &st) == 0);
    cr_expect_eq(st.st_mode & 07777, 0640, "mode %o", st.st_mode & 07777);
    /* Replaced by rename: no temporary file is left behind. */
    {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        guint n = 0;

        while (g_dir_read_name(d))
            n++;
        cr_expect_eq(n, 1);
    }
    after = gp_sim_snapshot(sim);
    cr_expect_str_eq(after, before, "assign --file changed the host");
}

Test(cmd_assign, file_unassign_gives_back_the_file_byte_for_byte)
{
    g_autofree char *path = shared_copy("q35-seabios.xml");
    g_autofree char *orig = file_text(path);
    g_autofree char *mid = NULL;
    g_autofree char *back = NULL;
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL;
    g_autofree char *err3 = NULL;
    const char *assign[] = { "gpupool", "assign", "--file", path, "--pool", "gpus", NULL };
    const char *unassign[] = { "gpupool", "unassign", "--file", path, NULL };

    cr_assert_eq(run_file(assign, &out, &err), 0, "%s", err);
    mid = file_text(path);
    cr_assert_str_neq(mid, orig);
    cr_assert_eq(run_file(unassign, &out2, &err2), 0, "%s", err2);
    cr_expect_not_null(strstr(out2, "linux-seabios: gpupool devices, metadata and settings "
                                    "removed"), "%s", out2);
    back = file_text(path);
    cr_expect_str_eq(back, orig);
    cr_assert_eq(run_file(unassign, &out3, &err3), 0, "%s", err3);
    cr_expect_not_null(strstr(out3, "no gpupool assignment, nothing changed"), "%s", out3);
}

/* Other domains' reservations are unknown in a file; this host's claims
 * are not: a device a running domain holds is chosen last. */
Test(cmd_assign, file_chooses_this_hosts_free_device_first)
{
    g_autofree char *path = shared_copy("q35-seabios.xml");
    g_autofree char *out = NULL, *err = NULL;
    const char *argv[] = { "gpupool", "assign", "--file", path, "--pool", "gpus", NULL };

    hold(GP_SIM_DC_GPU0, "99999999-0000-4000-8000-000000000009", "busy");
    cr_assert_eq(run_file(argv, &out, &err), 0, "%s", err);
    cr_expect_not_null(strstr(out, "assigned gpus 0000:81:00.0 (ua-gpupool-0)"), "%s", out);
}

Test(cmd_assign, file_refusals_are_one_line_and_leave_the_file_alone)
{
    g_autofree char *path = shared_copy("q35-seabios.xml");
    g_autofree char *orig = file_text(path);
    g_autofree char *nouuid = g_build_filename(gp_sim_base(sim), "shared", "nouuid.xml", NULL);
    g_autofree char *nouuid_text = NULL;
    g_autofree char *missing = g_build_filename(gp_sim_base(sim), "shared", "nope.xml", NULL);
    const struct {
        const char *argv[10];
        int status;
        const char *needle;
    } cases[] = {
        { { "gpupool", "assign", "--file", path, "--pool", "nope", NULL }, 1,
          "pool 'nope'" },
        { { "gpupool", "assign", "--file", path, "--pool", "gpus", "--count", "3", NULL }, 1,
          "lower --count" },
        { { "gpupool", "assign", "--file", nouuid, "--pool", "gpus", NULL }, 1,
          "no valid <uuid>: add one" },
        { { "gpupool", "assign", "--file", missing, "--pool", "gpus", NULL }, 1,
          "cannot read" },
        { { "gpupool", "assign", "--file", path, "vm1", "--pool", "gpus", NULL }, 2,
          "not both" },
        { { "gpupool", "assign", "--file", path, "--pool", "gpus", "--connect", "test:///default",
            NULL }, 2, "leave out --connect" },
        { { "gpupool", "unassign", "--file", missing, NULL }, 1, "cannot read" },
    };
    GRegex *re = g_regex_new("  <uuid>[^<]*</uuid>\n", 0, 0, NULL);

    nouuid_text = g_regex_replace_literal(re, orig, -1, 0, "", 0, NULL);
    g_regex_unref(re);
    cr_assert(g_file_set_contents(nouuid, nouuid_text, -1, NULL));
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = NULL, *err = NULL, *now = NULL, *now2 = NULL;
        int rc = run_file(cases[i].argv, &out, &err);

        cr_expect_eq(rc, cases[i].status, "case %u: %d: %s", i, rc, err);
        cr_expect_not_null(strstr(err, cases[i].needle), "case %u: %s", i, err);
        cr_expect_eq(strchr(err, '\n'), err + strlen(err) - 1, "case %u: not one line: %s",
                     i, err);
        now = file_text(path);
        cr_expect_str_eq(now, orig, "case %u changed the file", i);
        now2 = file_text(nouuid);
        cr_expect_str_eq(now2, nouuid_text, "case %u changed the file", i);
    }
}

Test(cmd_assign, file_behind_a_link_is_rewritten_and_the_link_stays)
{
    g_autofree char *path = shared_copy("q35-seabios.xml");
    g_autofree char *link = g_build_filename(gp_sim_base(sim), "shared", "vm.xml", NULL);
    g_autofree char *out = NULL, *err = NULL, *text = NULL;
    const char *argv[] = { "gpupool", "assign", "--file", link, "--pool", "gpus", NULL };

    cr_assert(symlink(path, link) == 0);
    cr_assert_eq(run_file(argv, &out, &err), 0, "%s", err);
    cr_expect(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
    text = file_text(path);
    cr_expect_not_null(strstr(text, "ua-gpupool-0"), "%s", text);
}
