/* Runtime copies of cluster domains (src/cluster/runtime.c) through
 * `gpupool cluster-prepare` and `cluster-forget` on one simulated node:
 * the shared file is never changed, the copy points at this node's free
 * devices, two domains prepared at once never get the same device, and a
 * node without room says so in one line the cluster can show. */
#include "config.h"

#include "cluster-fixtures.h"

#include <sys/stat.h>

#include "state/domxml.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-00000000000a"
#define UUID_B "bbbbbbbb-0000-4000-8000-00000000000b"
#define UUID_X "eeeeeeee-0000-4000-8000-00000000000e"
#define UUID_Y "ffffffff-0000-4000-8000-00000000000f"

TestSuite(runtime, .init = cluster_setup, .fini = cluster_teardown);

/* The address of the first gpupool device in domain XML file PATH. */
static char *
first_device(const char *path)
{
    g_autofree char *text = file_text(path);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = gp_domxml_read_assignment(text, strlen(text), &error);

    cr_assert_not_null(a, "%s: %s", path, error ? error->message : "");
    cr_assert_geq(a->devices->len, 1);
    return g_strdup(((GpDomDevice *)a->devices->pdata[0])->address);
}

Test(runtime, prepare_keeps_a_free_reserved_device_and_leaves_the_shared_file)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *before = file_text(shared);
    g_autofree char *copy = runtime_path("vm1.xml");
    g_autofree char *out = NULL, *err = NULL, *after = NULL, *text = NULL;
    GStatBuf st;

    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, NULL), 0, "%s", err);
    cr_expect_not_null(strstr(out, "vm1: gpus ua-gpupool-0: 0000:41:00.0\n"), "%s", out);
    cr_expect_not_null(strstr(out, "vm1: runtime copy "), "%s", out);
    cr_expect_not_null(strstr(out, copy), "%s", out);
    after = file_text(shared);
    cr_expect_str_eq(after, before);
    text = file_text(copy);
    cr_expect_str_eq(text, before, "nothing to re-point: the copy is the shared file");
    cr_assert(g_stat(copy, &st) == 0);
    cr_expect_eq(st.st_mode & 0777, 0600, "a definition may hold secrets: %o", st.st_mode);
}

Test(runtime, prepare_points_a_held_device_at_a_free_one_of_the_same_pool)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *before = file_text(shared);
    g_autofree char *copy = runtime_path("vm1.xml");
    g_autofree char *out = NULL, *err = NULL, *after = NULL, *dev = NULL, *text = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;

    hold(GP_SIM_DC_GPU0, "gpus", UUID_X, "vm2", NULL);
    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, NULL), 0, "%s", err);
    cr_expect_not_null(strstr(out, "vm1: gpus ua-gpupool-0: 0000:81:00.0 (the shared file has "
                                   "0000:41:00.0)"), "%s", out);
    dev = first_device(copy);
    cr_expect_str_eq(dev, GP_SIM_DC_GPU1);
    text = file_text(copy);
    cr_expect_not_null(strstr(text, "bus='0x81'"), "the <hostdev> moved too: %s", text);
    after = file_text(shared);
    cr_expect_str_eq(after, before, "the shared file keeps the request unchanged");
    /* Prepare claims nothing: the hook does at start. */
    claims = gp_claims_load(&error);
    cr_assert_not_null(claims);
    cr_expect_null(gp_claims_find(claims, GP_SIM_DC_GPU1));
}

Test(runtime, a_node_without_room_refuses_in_one_line_naming_counts_and_holders)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *copy = runtime_path("vm1.xml");
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *claims_before = NULL, *claims_after = NULL;
    g_autofree char *claims_path = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);

    hold(GP_SIM_DC_GPU0, "gpus", UUID_X, "vm3", NULL);
    hold(GP_SIM_DC_GPU1, "gpus", UUID_Y, "vm2", NULL);
    claims_before = file_text(claims_path);
    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, NULL), 1, "%s", out);
    cr_expect_str_eq(err, "gpupool: error: vm1: no free device of pool 'gpus' on node1: 0 of 2 "
                          "free, held by vm2, vm3; the cluster places it on a node with "
                          "room\n");
    cr_expect_not(g_file_test(copy, G_FILE_TEST_EXISTS), "a refused prepare wrote a copy");
    claims_after = file_text(claims_path);
    cr_expect_str_eq(claims_after, claims_before);
}

Test(runtime, a_domain_wanting_more_than_is_free_is_refused_with_both_numbers)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 2);
    g_autofree char *out = NULL, *err = NULL;

    hold(GP_SIM_DC_GPU1, "gpus", UUID_Y, "vm2", NULL);
    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, NULL), 1, "%s", out);
    cr_expect_str_eq(err, "gpupool: error: vm1: needs 2 devices of pool 'gpus' but node1 has 1 "
                          "of 2 free, held by vm2; the cluster places it on a node with room\n");
}

/* Pacemaker may start two domains on a node at once: the second prepare
 * must not pick what the first one's copy names, though nothing claims
 * it until that domain starts. */
Test(runtime, two_domains_prepared_at_once_never_get_the_same_device)
{
    g_autofree char *s1 = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *s2 = shared_domain("q35-ovmf.xml", "vm2", UUID_B, "gpus", 1);
    g_autofree char *s3 = shared_domain("minimal.xml", "vm3", UUID_X, "gpus", 1);
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL, *out4 = NULL, *err4 = NULL;
    g_autofree char *d1 = NULL, *d2 = NULL, *c1 = runtime_path("vm1.xml");
    g_autofree char *c2 = runtime_path("vm2.xml");
    g_autofree char *out5 = NULL, *err5 = NULL;

    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", s1, NULL), 0, "%s", err);
    cr_assert_eq(gpupool(&out2, &err2, "cluster-prepare", "--file", s2, NULL), 0, "%s", err2);
    d1 = first_device(c1);
    d2 = first_device(c2);
    cr_expect_str_neq(d1, d2, "both prepared onto %s", d1);
    cr_assert_eq(gpupool(&out3, &err3, "cluster-prepare", "--file", s3, NULL), 1, "%s", out3);
    cr_expect_not_null(strstr(err3, "0 of 2 free, held by vm1, vm2;"), "%s", err3);
    /* Preparing the same domain again keeps its own device. */
    cr_assert_eq(gpupool(&out4, &err4, "cluster-prepare", "--file", s1, NULL), 0, "%s", err4);
    cr_expect_not_null(strstr(out4, d1), "%s", out4);
    /* Once vm2 is forgotten, its device is free for vm3. */
    cr_assert_eq(gpupool(&out5, &err5, "cluster-forget", "--file", s2, NULL), 0, "%s", err5);
    g_clear_pointer(&out3, g_free);
    g_clear_pointer(&err3, g_free);
    cr_assert_eq(gpupool(&out3, &err3, "cluster-prepare", "--file", s3, NULL), 0, "%s", err3);
}

Test(runtime, a_running_domain_keeps_its_own_device)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *out = NULL, *err = NULL;

    hold(GP_SIM_DC_GPU0, "gpus", UUID_A, "vm1", NULL);
    hold(GP_SIM_DC_GPU1, "gpus", UUID_Y, "vm2", NULL);
    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, NULL), 0, "%s", err);
    cr_expect_not_null(strstr(out, "ua-gpupool-0: 0000:41:00.0\n"), "%s", out);
}

Test(runtime, forget_removes_the_copy_and_a_second_forget_is_fine)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *copy = runtime_path("vm1.xml");
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;

    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, NULL), 0, "%s", err);
    cr_assert(g_file_test(copy, G_FILE_TEST_EXISTS));
    cr_assert_eq(gpupool(&out2, &err2, "cluster-forget", "--file", shared, NULL), 0, "%s", err2);
    cr_expect_not_null(strstr(out2, "vm1: runtime copy "), "%s", out2);
    cr_expect_not_null(strstr(out2, " removed"), "%s", out2);
    cr_expect_not(g_file_test(copy, G_FILE_TEST_EXISTS));
    cr_assert_eq(gpupool(&out3, &err3, "cluster-forget", "--file", shared, NULL), 0, "%s", err3);
    cr_expect_str_eq(out3, "vm1: no runtime copy on node1, nothing to forget\n");
}

Test(runtime, forget_warns_when_the_domain_still_holds_devices_here)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, NULL), 0, "%s", err);
    hold(GP_SIM_DC_GPU0, "gpus", UUID_A, "vm1", NULL);
    cr_assert_eq(gpupool(&out2, &err2, "cluster-forget", "--file", shared, NULL), 0, "%s", err2);
    cr_expect_not_null(strstr(err2, "gpupool: warning: vm1: still holds 0000:41:00.0 of pool "
                                    "'gpus' here"), "%s", err2);
}

Test(runtime, out_names_a_copy_in_the_cluster_directory_and_one_copy_per_domain_stays)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *other = runtime_path("gpu-vm1.xml");
    g_autofree char *dflt = runtime_path("vm1.xml");
    g_autofree char *elsewhere = g_build_filename(gp_sim_base(sim), "vm1.xml", NULL);
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;

    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, "--out", other, NULL),
                 0, "%s", err);
    cr_expect(g_file_test(other, G_FILE_TEST_EXISTS));
    cr_assert_eq(gpupool(&out2, &err2, "cluster-prepare", "--file", shared, "--out", elsewhere,
                         NULL), 1, "%s", out2);
    cr_expect_not_null(strstr(err2, "--out"), "%s", err2);
    assert_one_line(err2);
    cr_expect_not(g_file_test(elsewhere, G_FILE_TEST_EXISTS));
    cr_assert_eq(gpupool(&out3, &err3, "cluster-prepare", "--file", shared, NULL), 0, "%s", err3);
    cr_expect(g_file_test(dflt, G_FILE_TEST_EXISTS));
    cr_expect_not(g_file_test(other, G_FILE_TEST_EXISTS), "the older copy of vm1 stayed");
}

Test(runtime, refusals_name_the_file_pool_or_option_and_the_fix)
{
    g_autofree char *plain = shared_domain("q35-seabios.xml", "vm1", UUID_A, NULL, 0);
    g_autofree char *other = shared_domain("minimal.xml", "vm2", UUID_B, "gpus", 1);
    g_autofree char *text = file_text(other);
    g_autofree char *nopool = g_build_filename(gp_sim_base(sim), "shared", "nopool.xml", NULL);
    g_autofree char *swapped = NULL;
    const struct {
        const char *file;
        const char *extra;
        int status;
        const char *needle;
    } cases[] = {
        { plain, NULL, 1, "has no gpupool request: run 'gpupool assign --file" },
        { nopool, NULL, 1, "pool 'tensors'" },
        { "/nonexistent/vm.xml", NULL, 1, "cannot read /nonexistent/vm.xml" },
        { NULL, NULL, 2, "--file SHARED is required" },
        { plain, "extra", 2, "takes no arguments" },
    };

    {
        g_auto(GStrv) single = g_strsplit(text, "pool='gpus'", -1);
        g_auto(GStrv) dbl = NULL;
        g_autofree char *s2 = NULL;

        swapped = g_strjoinv("pool='tensors'", single);
        dbl = g_strsplit(swapped, "pool=\"gpus\"", -1);
        s2 = g_strjoinv("pool=\"tensors\"", dbl);
        cr_assert(g_file_set_contents(nopool, s2, -1, NULL));
    }
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = NULL, *err = NULL;
        int rc = cases[i].file
                 ? gpupool(&out, &err, "cluster-prepare", "--file", cases[i].file,
                           cases[i].extra, NULL)
                 : gpupool(&out, &err, "cluster-prepare", NULL);

        cr_expect_eq(rc, cases[i].status, "case %u: %d %s", i, rc, err);
        cr_expect_not_null(strstr(err, cases[i].needle), "case %u: %s", i, err);
        assert_one_line(err);
    }
    {
        g_autofree char *dir = g_build_filename(gp_sim_statedir(sim), "cluster", NULL);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);

        cr_expect(!d || g_dir_read_name(d) == NULL, "a refused prepare left a file");
    }
}

/* An mdev is named by the domain's UUID and made at start: nothing to
 * re-point, but the node must have room for it. */
Test(runtime, an_mdev_domain_needs_room_but_is_never_repointed)
{
    g_autofree char *shared = NULL, *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL, *out4 = NULL, *err4 = NULL;

    g_clear_pointer(&sim, gp_sim_free);
    sim = gp_sim_fixture_mbochs();
    cr_assert_eq(gpupool(&out, &err, "pool-create", "disp", "--type", "mdev", "--mdev-type",
                         "mbochs-large", NULL), 0, "%s", err);
    cr_assert_eq(gpupool(&out2, &err2, "pool-add", "disp", GP_SIM_MBOCHS, NULL), 0, "%s", err2);
    shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "disp", 1);
    cr_assert_eq(gpupool(&out3, &err3, "cluster-prepare", "--file", shared, NULL), 0, "%s",
                 err3);
    cr_expect_not_null(strstr(out3, "made at start on a parent with room"), "%s", out3);
    /* Fill the parent: 512 MiB of 64 MiB mdevs made outside gpupool. */
    for (guint i = 0; i < 8; i++) {
        g_autofree char *uuid = g_strdup_printf("cccccccc-0000-4000-8000-%012u", i);

        cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-large", uuid));
    }
    cr_assert_eq(gpupool(&out4, &err4, "cluster-prepare", "--file", shared, NULL), 1, "%s",
                 out4);
    cr_expect_not_null(strstr(err4, "vm1: no free device of pool 'disp' on node1: 0 of 0 free; "
                                    "the cluster places it on a node with room"), "%s", err4);
}

/* The shared storage may be away when the cluster stops a domain: the
 * copy the agent names goes anyway, and the stop succeeds. */
Test(runtime, forget_with_out_succeeds_when_the_shared_file_is_gone)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *copy = runtime_path("vm1.xml");
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;

    cr_assert_eq(gpupool(&out, &err, "cluster-prepare", "--file", shared, "--out", copy, NULL),
                 0, "%s", err);
    cr_assert(g_unlink(shared) == 0);
    cr_assert_eq(gpupool(&out2, &err2, "cluster-forget", "--file", shared, NULL), 1);
    cr_expect_not_null(strstr(err2, "cannot read"), "%s", err2);
    cr_expect(g_file_test(copy, G_FILE_TEST_EXISTS));
    cr_assert_eq(gpupool(&out3, &err3, "cluster-forget", "--file", shared, "--out", copy, NULL),
                 0, "%s", err3);
    cr_expect_not(g_file_test(copy, G_FILE_TEST_EXISTS));
    cr_expect_not_null(strstr(err3, "gpupool: warning: cannot read"), "%s", err3);
    cr_expect_not_null(strstr(out3, " removed\n"), "%s", out3);
}
