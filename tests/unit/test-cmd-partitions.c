/* gpupool partitions, partition-set and pool-check run as the real binary
 * against simulated hosts, and what `gpupool rebalance` gives back of the
 * partitions of domains that stopped unseen. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sysfs.h"
#include "state/claims.h"
#include "state/domain.h"
#include "state/domxml.h"
#include "state/pool.h"
#include "state/poolstore.h"
#include "ledger/ledger.h"
#include "ops/lifecycle.h"
#include "ops/partition.h"
#include "pool-fixtures.h"

#define DOM1 "0f0e0d0c-0b0a-4908-8706-050403020100"
#define DOM2 "1f0e0d0c-0b0a-4908-8706-050403020100"

/* Runs gpupool ARGS...; returns the exit status. */
static int
run(GpSim *sim, char **out, char **err, const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *arg;
    va_list ap;
    int status = -1;

    g_ptr_array_add(argv, (gpointer)"gpupool");
    g_ptr_array_add(argv, (gpointer)first);
    va_start(ap, first);
    while ((arg = va_arg(ap, const char *)))
        g_ptr_array_add(argv, (gpointer)arg);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    cr_assert(gp_sim_run(sim, (const char *const *)argv->pdata, out, err, &status));
    return status;
}

static char *
pool_file(GpSim *sim, const char *name)
{
    g_autofree char *path = g_strdup_printf("%s/pools/%s.xml", gp_sim_confdir(sim), name);
    char *text = NULL;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL), "%s", path);
    return text;
}

/* The simulated host and pool POOL's file as they are now, to show that
 * a refused command changed neither. */
static char *
host_and_pool_file(GpSim *sim, const char *pool)
{
    g_autofree char *host = gp_sim_snapshot(sim);
    g_autofree char *file = pool_file(sim, pool);

    return g_strconcat(host, "\n---- pool file ----\n", file, NULL);
}

/* ---- gpupool partitions ------------------------------------------------- */

Test(cmd_partitions, shows_valid_counts_vram_and_profiles_of_a_t4)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(run(sim, &out, &err, "partitions", GP_SIM_MDEV_GPU, NULL), 0, "%s", err);
    cr_assert(strstr(out, "back end: mdev"), "%s", out);
    cr_assert(strstr(out, "valid partition counts: 1, 2, 4, 8, 16"), "%s", out);
    cr_assert(strstr(out, "VRAM: 16384 MiB total, 16384 MiB available"), "%s", out);
    cr_assert(strstr(out, "GRID T4-4Q"), "%s", out);
    cr_assert(strstr(out, "current partition count: none set, 0 in use"), "%s", out);
}

Test(cmd_partitions, lists_every_partitionable_device_without_arguments)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(run(sim, &out, &err, "partitions", NULL), 0, "%s", err);
    cr_assert(strstr(out, "mbochs  virtual mdev parent"), "%s", out);
    cr_assert(strstr(out, "valid partition counts: 8, 32, 128"), "%s", out);
}

Test(cmd_partitions, xml_output_follows_the_schema)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *file = NULL;
    g_autofree char *schema = g_build_filename(g_getenv("top_srcdir") ? g_getenv("top_srcdir")
                                                                      : ".",
                                               "xml", "partitions.rng", NULL);
    g_autofree char *xmllint = g_find_program_in_path("xmllint");
    int status = -1;

    if (!xmllint)
        cr_skip_test("xmllint not installed (Debian package libxml2-utils)");
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-224",
                                 "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0001"));
    cr_assert_eq(run(sim, &out, &err, "partitions", "--xml", NULL), 0, "%s", err);
    cr_assert(strstr(out, "<device name='" GP_SIM_MDEV_GPU "' backend='mdev' kind='mdev' "
                          "count='4' in-use='1' profile='nvidia-224'"), "%s", out);
    file = g_build_filename(gp_sim_base(sim), "partitions.xml", NULL);
    cr_assert(g_file_set_contents(file, out, -1, NULL));
    {
        const char *argv[] = { "xmllint", "--noout", "--relaxng", schema, file, NULL };
        g_autofree char *lint_err = NULL;

        cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, &lint_err, &status, NULL));
        cr_assert_eq(status, 0, "%s", lint_err);
    }
}

Test(cmd_partitions, refuses_a_name_that_is_no_device_and_says_where_to_look)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autofree char *err = NULL;

    cr_assert_eq(run(sim, NULL, &err, "partitions", "../etc", NULL), 1);
    cr_assert(strstr(err, "gpupool: error: '../etc' is neither a PCI address"), "%s", err);
}

/* ---- gpupool partition-set ---------------------------------------------- */

Test(cmd_partitions, partition_set_refuses_a_count_the_gpu_does_not_offer_and_changes_nothing)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    const char *members[] = { GP_SIM_MDEV_GPU, NULL };
    g_autofree char *err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    gp_test_save_pool("vgpu", GP_POOL_TYPE_MDEV, members, "nvidia-222");
    before = host_and_pool_file(sim, "vgpu");
    cr_assert_eq(run(sim, NULL, &err, "partition-set", GP_SIM_MDEV_GPU, "--count", "3", NULL), 1);
    cr_assert(strstr(err, "gpupool: error: " GP_SIM_MDEV_GPU " cannot be split into 3 "
                          "partitions: it offers 1, 2, 4, 8, 16"), "%s", err);
    after = host_and_pool_file(sim, "vgpu");
    cr_assert_str_eq(after, before);
}

Test(cmd_partitions, partition_set_refuses_an_unknown_profile_naming_the_offered_ones)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    cr_assert_eq(run(sim, NULL, &err, "partition-set", GP_SIM_MDEV_GPU, "--profile",
                     "nvidia-999", NULL), 1);
    cr_assert(strstr(err, "does not offer profile 'nvidia-999': choose one of nvidia-222, "
                          "nvidia-223"), "%s", err);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(cmd_partitions, partition_set_records_the_chosen_type_in_the_pool)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    const char *members[] = { GP_SIM_MDEV_GPU, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GError) error = NULL;

    gp_test_save_pool("vgpu", GP_POOL_TYPE_MDEV, members, NULL);
    cr_assert_eq(run(sim, &out, &err, "partition-set", GP_SIM_MDEV_GPU, "--count", "4", NULL),
                 0, "%s", err);
    cr_assert(strstr(out, GP_SIM_MDEV_GPU ": 4 partitions of nvidia-224 (mdev)"), "%s", out);
    cr_assert(strstr(out, "pool 'vgpu' records it"), "%s", out);
    pool = gp_poolstore_load("vgpu", &error);
    cr_assert_str_eq(pool->mdev_type, "nvidia-224");
}

Test(cmd_partitions, partition_set_refuses_a_gpu_with_partitions_in_use_naming_the_domain)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    const char *members[] = { GP_SIM_MDEV_GPU, NULL };
    const char *uuid = "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0001";
    g_autofree char *err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    gp_test_save_pool("vgpu", GP_POOL_TYPE_MDEV, members, "nvidia-222");
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-222", uuid));
    gp_test_hold(uuid, "vgpu", DOM1, "vm1", GP_SIM_MDEV_GPU);
    before = host_and_pool_file(sim, "vgpu");
    cr_assert_eq(run(sim, NULL, &err, "partition-set", GP_SIM_MDEV_GPU, "--count", "4", NULL), 1);
    cr_assert(strstr(err, "gpupool: error: " GP_SIM_MDEV_GPU " has partitions in use by vm1: "
                          "stop it first"), "%s", err);
    after = host_and_pool_file(sim, "vgpu");
    cr_assert_str_eq(after, before);
}

Test(cmd_partitions, partition_set_enables_vfs_across_a_vf_pool_and_records_the_count)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    const char *members[] = { GP_SIM_INTEL_SRIOV_GPU, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *num = NULL;
    g_autofree char *drv = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GError) error = NULL;

    gp_test_save_pool("flex", GP_POOL_TYPE_VF, members, NULL);
    cr_assert_eq(run(sim, &out, &err, "partition-set", GP_SIM_INTEL_SRIOV_GPU, "--count", "3",
                     NULL), 0, "%s", err);
    num = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(num, "3");
    drv = gp_sim_driver(sim, "0000:4d:00.2");
    cr_assert_str_eq(drv, "vfio-pci");
    pool = gp_poolstore_load("flex", &error);
    cr_assert_eq(pool->vf_count, 3);
}

Test(cmd_partitions, partition_set_refuses_a_device_handed_out_whole)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    const char *members[] = { GP_SIM_INTEL_SRIOV_GPU, NULL };
    g_autofree char *err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    gp_test_save_pool("whole", GP_POOL_TYPE_PCI, members, NULL);
    before = gp_sim_snapshot(sim);
    cr_assert_eq(run(sim, NULL, &err, "partition-set", GP_SIM_INTEL_SRIOV_GPU, "--count", "2",
                     NULL), 1);
    cr_assert(strstr(err, "is in pci pool 'whole', which hands it out whole: a device cannot "
                          "be both whole and partitioned"), "%s", err);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(cmd_partitions, partition_set_needs_a_count_or_a_profile)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autofree char *err = NULL;

    cr_assert_eq(run(sim, NULL, &err, "partition-set", GP_SIM_MBOCHS, NULL), 2);
    cr_assert(strstr(err, "give --count N or --profile TYPE"), "%s", err);
}

Test(cmd_partitions, partition_set_with_the_nvidia_module_picks_the_largest_type_for_a_count)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    const char *members[] = { GP_SIM_SRIOV_GPU, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GError) error = NULL;

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    gp_test_save_pool("l40s", GP_POOL_TYPE_VF, members, NULL);
    /* No VFs yet: no type tables, so the type is chosen by profile. */
    cr_assert_eq(run(sim, &out, &err, "partition-set", GP_SIM_SRIOV_GPU, "--profile", "1158",
                     NULL), 0, "%s", err);
    pool = gp_poolstore_load("l40s", &error);
    cr_assert_str_eq(pool->vf_profile, "1158");
    cr_assert_eq(pool->vf_count, 16);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    /* Now the tables are there: 2 partitions means the 24Q type. */
    cr_assert_eq(run(sim, &out, &err, "partition-set", GP_SIM_SRIOV_GPU, "--count", "2",
                     NULL), 0, "%s", err);
    cr_assert(strstr(out, "2 partitions of 1160 (nvidia-vgpu)"), "%s", out);
    g_unsetenv("GPUPOOL_PLUGINDIR");
}

/* ---- gpupool pool-check ------------------------------------------------- */

Test(cmd_partitions, pool_check_warns_about_a_partial_selection)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *members[] = { GP_SIM_DC_GPU0, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    gp_test_save_pool("gpus", GP_POOL_TYPE_PCI, members, NULL);
    cr_assert_eq(run(sim, &out, &err, "pool-check", "gpus", NULL), 0, "%s", err);
    cr_assert(strstr(out, "warning: pool 'gpus' is a partial selection: " GP_SIM_DC_GPU1
                          " of the same model is in no pool"), "%s", out);
}

Test(cmd_partitions, pool_check_reports_mixed_vendors_as_an_error)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *members[] = { GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, GP_SIM_DC_BMC_VGA, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    gp_test_save_pool("mixed", GP_POOL_TYPE_PCI, members, NULL);
    cr_assert_eq(run(sim, &out, &err, "pool-check", NULL), 1);
    /* Members are sorted by address, so the ASPEED is compared first. */
    cr_assert(strstr(out, "error: pool 'mixed' mixes vendors: " GP_SIM_DC_BMC_VGA " is 1a03, "
                          GP_SIM_DC_GPU0 " is 10de; keep one vendor per pool"), "%s", out);
    cr_assert(strstr(err, "gpupool: error: 2 problems found"), "%s\n%s", out, err);
}

Test(cmd_partitions, pool_check_passes_alike_gpus)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *members[] = { GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    gp_test_save_pool("gpus", GP_POOL_TYPE_PCI, members, NULL);
    cr_assert_eq(run(sim, &out, &err, "pool-check", NULL), 0, "%s", err);
    cr_assert(strstr(out, "pool 'gpus': ok, 2 devices alike"), "%s", out);
}

Test(cmd_partitions, pool_check_refuses_a_vf_handed_out_whole_from_a_partitioned_gpu)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    const char *pf[] = { GP_SIM_INTEL_SRIOV_GPU, NULL };
    const char *vf[] = { "0000:4d:00.1", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "2"));
    gp_test_save_pool("flex", GP_POOL_TYPE_VF, pf, NULL);
    gp_test_save_pool("one-vf", GP_POOL_TYPE_PCI, vf, NULL);
    cr_assert_eq(run(sim, &out, &err, "pool-check", "flex", NULL), 1);
    cr_assert(strstr(out, "VF 0000:4d:00.1 of " GP_SIM_INTEL_SRIOV_GPU " is also in pool "
                          "'one-vf': a device cannot be both whole and partitioned"), "%s", out);
}

/* ---- Partitions per domain ---------------------------------------------- */

Test(cmd_partitions, a_pool_that_allows_two_per_domain_gives_a_domain_two_mdevs)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-small");
    g_autofree char *a = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *b = gp_domain_mdev_uuid(DOM1, "disp", 1);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "disp", a);
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *stderr_text = NULL;
    g_autofree char *file = NULL;
    g_autofree char *rel_a = gp_sysfs_mdev_dev_path(a, NULL);
    g_autofree char *rel_b = gp_sysfs_mdev_dev_path(b, NULL);

    cr_assert_eq(run(sim, &out, &stderr_text, "partition-set", GP_SIM_MBOCHS, "--per-domain",
                     "2", NULL), 0, "%s", stderr_text);
    cr_assert(strstr(out, "pool 'disp': a domain may hold 2 partitions"), "%s", out);
    file = pool_file(sim, "disp");
    cr_assert(strstr(file, "<partitions per-domain='2'/>"), "%s", file);
    gp_domain_add_device(dom, "ua-gpupool-1", "disp", b);
    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    cr_assert(gp_sysfs_is_dir(rel_a));
    cr_assert(gp_sysfs_is_dir(rel_b));
    cr_assert_eq(gp_test_claim_count(), 2);
}

Test(cmd_partitions, per_domain_is_refused_for_a_device_in_no_pool)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autofree char *err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    cr_assert_eq(run(sim, NULL, &err, "partition-set", GP_SIM_MBOCHS, "--per-domain", "2",
                     NULL), 1);
    cr_assert(strstr(err, "gpupool: error: mbochs is in no pool, and partitions per domain are "
                          "a pool's setting"), "%s", err);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
    g_clear_pointer(&err, g_free);
    cr_assert_eq(run(sim, NULL, &err, "partition-set", GP_SIM_MBOCHS, "--per-domain", "65",
                     NULL), 2);
    cr_assert(strstr(err, "--per-domain must be from 1 to 64"), "%s", err);
}

Test(cmd_partitions, a_gpu_without_mdev_types_or_sriov_is_shown_whole_and_cannot_be_partitioned)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    cr_assert_eq(run(sim, &out, &err, "partitions", GP_SIM_DC_GPU0, NULL), 0, "%s", err);
    cr_assert(strstr(out, "back end: pci (whole device)"), "%s", out);
    cr_assert(strstr(out, "valid partition counts: none (not partitionable)"), "%s", out);
    cr_assert(strstr(out, "the device is used whole"), "%s", out);
    g_clear_pointer(&err, g_free);
    cr_assert_eq(run(sim, NULL, &err, "partition-set", GP_SIM_DC_GPU0, "--count", "2", NULL), 1);
    cr_assert(strstr(err, "gpupool: error: " GP_SIM_DC_GPU0 " cannot be partitioned: it offers "
                          "neither mdev types nor SR-IOV virtual functions"), "%s", err);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

/* ---- Partitions of domains that stopped unseen (rebalance) -------------- */

/* The claims look older than the rebalance about to run, as the claims
 * of a domain that stopped while libvirtd was down do. */
static void
age_claims(GpSim *sim)
{
    g_autofree char *path = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
    g_autofree char *text = NULL;
    g_autofree char *aged = NULL;
    g_autoptr(GRegex) re = g_regex_new("since='[0-9]+'", 0, 0, NULL);

    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    aged = g_regex_replace_literal(re, text, -1, 0, "since='1000000000'", 0, NULL);
    cr_assert(g_file_set_contents(path, aged, -1, NULL));
}

/* `gpupool rebalance` against libvirt's test driver, which runs none of
 * these domains. */
static int
rebalance(GpSim *sim, char **out, char **err)
{
    int status;

    g_setenv("LIBVIRT_DEFAULT_URI", "test:///default", TRUE);
    status = run(sim, out, err, "rebalance", NULL);
    g_unsetenv("LIBVIRT_DEFAULT_URI");
    return status;
}

Test(cmd_partitions, rebalance_clears_the_vgpu_type_of_a_domain_that_stopped_unseen)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *stderr_text = NULL;
    g_autofree char *cur = NULL;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    age_claims(sim);
    cr_assert_eq(rebalance(sim, &out, &stderr_text), 0, "%s", stderr_text);
    cr_expect(strstr(out, "vm1: dropped its claim on 0000:c1:00.4 (pool 'l40s'): it is not "
                          "running\n"), "%s", out);
    cr_expect_str_empty(stderr_text);
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_expect_str_eq(cur, "0", "the VF kept its vGPU type without a claim");
    cr_expect_eq(gp_test_claim_count(), 0);
    gp_test_l40s_done();
}

Test(cmd_partitions, rebalance_keeps_a_stale_claim_while_qemu_still_holds_the_vf_and_says_so)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *stderr_text = NULL;
    g_autofree char *cur = NULL;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    gp_test_vfio_user(sim, "0000:c1:00.4", "77", "qemu-system-x86");
    age_claims(sim);
    cr_assert_eq(rebalance(sim, &out, &stderr_text), 0, "%s", stderr_text);
    cr_expect(strstr(stderr_text, "gpupool: warning: vm1: kept its claim on 0000:c1:00.4 (pool "
                                  "'l40s') although it is not running: 0000:c1:00.4 is still "
                                  "open through /dev/vfio/"), "%s", stderr_text);
    cr_expect_null(strstr(out, "dropped"), "%s", out);
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_expect_str_eq(cur, "1158");
    cr_expect_eq(gp_test_claim_count(), 1, "the claim went while the VF still has its type");
    gp_test_l40s_done();
}

Test(cmd_partitions, rebalance_removes_the_mdev_of_a_domain_that_stopped_unseen)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autofree char *uuid = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "disp", uuid);
    g_autoptr(GError) err = NULL;
    g_autofree char *rel = gp_sysfs_mdev_dev_path(uuid, NULL);
    g_autofree char *out = NULL;
    g_autofree char *stderr_text = NULL;
    g_autofree char *avail = NULL;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    age_claims(sim);
    cr_assert_eq(rebalance(sim, &out, &stderr_text), 0, "%s", stderr_text);
    cr_expect(strstr(out, "vm1: dropped its claim on "), "%s", out);
    cr_expect_not(gp_sysfs_is_dir(rel), "the mdev outlived its claim");
    avail = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-medium/"
                             "available_instances");
    cr_expect_str_eq(avail, "32");
    cr_expect_eq(gp_test_claim_count(), 0);
}
