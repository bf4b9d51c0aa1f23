/* gpupool partitions, partition-set and pool-check run as the real binary
 * against simulated hosts, and the mdev lifecycle steps the hook uses. */
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
#include "sim.h"

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

static void
save_pool(const char *name, GpPoolType type, const char *const *members, const char *mdev_type)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GpPool) pool = gp_pool_new(name, type, &err);

    cr_assert_not_null(pool, "%s", err ? err->message : "");
    for (guint i = 0; members[i]; i++)
        cr_assert(gp_pool_add_device(pool, members[i], NULL, NULL, &err), "%s",
                  err ? err->message : "");
    pool->mdev_type = g_strdup(mdev_type);
    cr_assert(gp_poolstore_save(pool, &err), "%s", err ? err->message : "");
}

static char *
pool_file(GpSim *sim, const char *name)
{
    g_autofree char *path = g_strdup_printf("%s/pools/%s.xml", gp_sim_confdir(sim), name);
    char *text = NULL;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL), "%s", path);
    return text;
}

static void
hold(const char *device, const char *pool, const char *dom_uuid, const char *dom_name,
     const char *parent)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GpClaims) claims = gp_claims_load(&err);

    cr_assert_not_null(claims, "%s", err ? err->message : "");
    cr_assert(gp_claims_add(claims, device, pool, dom_uuid, dom_name, parent, &err), "%s",
              err ? err->message : "");
    cr_assert(gp_claims_save(claims, &err), "%s", err ? err->message : "");
}

/* The mbochs host with pool "disp" of its one parent, handing out
 * MDEV_TYPE. */
static GpSim *
mbochs_host_with_disp_pool(const char *mdev_type)
{
    GpSim *sim = gp_sim_fixture_mbochs();
    const char *members[] = { GP_SIM_MBOCHS, NULL };

    save_pool("disp", GP_POOL_TYPE_MDEV, members, mdev_type);
    return sim;
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
    int status = -1;

    if (!g_find_program_in_path("xmllint"))
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

    save_pool("vgpu", GP_POOL_TYPE_MDEV, members, "nvidia-222");
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

    save_pool("vgpu", GP_POOL_TYPE_MDEV, members, NULL);
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

    save_pool("vgpu", GP_POOL_TYPE_MDEV, members, "nvidia-222");
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-222", uuid));
    hold(uuid, "vgpu", DOM1, "vm1", GP_SIM_MDEV_GPU);
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

    save_pool("flex", GP_POOL_TYPE_VF, members, NULL);
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

    save_pool("whole", GP_POOL_TYPE_PCI, members, NULL);
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
    save_pool("l40s", GP_POOL_TYPE_VF, members, NULL);
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

    save_pool("gpus", GP_POOL_TYPE_PCI, members, NULL);
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

    save_pool("mixed", GP_POOL_TYPE_PCI, members, NULL);
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

    save_pool("gpus", GP_POOL_TYPE_PCI, members, NULL);
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
    save_pool("flex", GP_POOL_TYPE_VF, pf, NULL);
    save_pool("one-vf", GP_POOL_TYPE_PCI, vf, NULL);
    cr_assert_eq(run(sim, &out, &err, "pool-check", "flex", NULL), 1);
    cr_assert(strstr(out, "VF 0000:4d:00.1 of " GP_SIM_INTEL_SRIOV_GPU " is also in pool "
                          "'one-vf': a device cannot be both whole and partitioned"), "%s", out);
}

/* ---- Lifecycle steps ---------------------------------------------------- */

static GpSim *
two_mbochs_parents(void)
{
    GpSim *sim = gp_sim_fixture_mbochs();

    /* A second parent of the same kind, 128 MiB: two large instances. */
    gp_sim_add_mdev_parent_virtual(sim, "mbochs", "mbochs2", 128, FALSE);
    gp_sim_add_mdev_type(sim, "mbochs2", "mbochs-large", "mbochs-large",
                         "virtual display, 0x0 framebuffer", "vfio-pci", 64, 0);
    return sim;
}

Test(cmd_partitions, prepare_mdev_uses_the_next_parent_with_room_and_names_holders_when_full)
{
    g_autoptr(GpSim) sim = two_mbochs_parents();
    const char *members[] = { GP_SIM_MBOCHS, "mbochs2", NULL };
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    GpClaims *claims;
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *last = NULL;
    gboolean created = FALSE;

    save_pool("disp", GP_POOL_TYPE_MDEV, members, "mbochs-large");
    pool = gp_poolstore_load("disp", &err);
    ledger = gp_ledger_open(GP_LEDGER_WRITE, &err);
    claims = gp_ledger_claims(ledger);
    /* 8 fit on mbochs, 2 on mbochs2. */
    for (guint slot = 0; slot < 10; slot++) {
        g_autofree char *uuid = gp_partition_mdev_uuid(DOM1, "disp", slot);
        g_autofree char *parent = NULL;

        cr_assert(gp_partition_prepare_mdev(ledger, pool, uuid, DOM1, &created, &err), "%u: %s",
                  slot, err ? err->message : "");
        cr_assert(created);
        cr_assert(gp_claims_add(claims, uuid, "disp", DOM1, "vm1",
                                slot < 8 ? GP_SIM_MBOCHS : "mbochs2", &err));
        parent = gp_sim_read(sim, "class/mdev_bus/mbochs2/mdev_supported_types/mbochs-large/"
                                  "available_instances");
        if (slot == 8)
            cr_assert_str_eq(parent, "1");
    }
    /* The same UUID again: already there, nothing new. */
    {
        g_autofree char *uuid = gp_partition_mdev_uuid(DOM1, "disp", 9);

        cr_assert(gp_partition_prepare_mdev(ledger, pool, uuid, DOM1, &created, &err));
        cr_assert_not(created);
    }
    before = gp_sim_snapshot(sim);
    last = gp_partition_mdev_uuid(DOM2, "disp", 0);
    cr_assert_not(gp_partition_prepare_mdev(ledger, pool, last, DOM2, &created, &err));
    cr_assert(g_error_matches(err, GP_PARTITION_ERROR, GP_PARTITION_ERROR_EXHAUSTED));
    cr_assert(strstr(err->message, "pool 'disp' is exhausted: no device (mbochs, mbochs2) has "
                                   "room for another mbochs-large, held by vm1"),
              "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(cmd_partitions, release_claim_removes_the_mdev_and_tolerates_it_gone)
{
    g_autoptr(GpSim) sim = mbochs_host_with_disp_pool("mbochs-medium");
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    GpClaims *claims;
    g_autoptr(GError) err = NULL;
    g_autofree char *uuid = gp_partition_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *rel = NULL;
    g_autofree char *avail = NULL;
    const GpClaim *claim;
    gboolean created;

    pool = gp_poolstore_load("disp", &err);
    ledger = gp_ledger_open(GP_LEDGER_WRITE, &err);
    claims = gp_ledger_claims(ledger);
    cr_assert(gp_partition_prepare_mdev(ledger, pool, uuid, DOM1, &created, &err));
    cr_assert(gp_claims_add(claims, uuid, "disp", DOM1, "vm1", GP_SIM_MBOCHS, &err));
    claim = gp_claims_find(claims, uuid);
    cr_assert(gp_partition_release_claim(pool, claim, NULL, &err), "%s",
              err ? err->message : "");
    rel = gp_sysfs_mdev_dev_path(uuid, NULL);
    cr_assert_not(gp_sysfs_is_dir(rel));
    avail = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-medium/"
                             "available_instances");
    cr_assert_str_eq(avail, "32");
    cr_assert(gp_partition_release_claim(pool, claim, NULL, &err));
}

Test(cmd_partitions, resolve_picks_the_profile_with_most_vram_for_a_count)
{
    g_autoptr(GpPartInfo) info = gp_part_info_new("0000:01:00.0");
    GpPartProfile *a = gp_part_profile_new("a", NULL);
    GpPartProfile *b = gp_part_profile_new("b", NULL);
    g_autofree char *profile = NULL;
    g_autoptr(GError) err = NULL;
    guint count = 0;

    info->kind = GP_PART_KIND_VF;
    a->max_instances = b->max_instances = 16;
    a->vram = 1 << 30;
    b->vram = 3u << 30;
    g_ptr_array_add(info->profiles, a);
    g_ptr_array_add(info->profiles, b);
    gp_part_info_add_count(info, 16);
    cr_assert(gp_partition_resolve(info, 16, NULL, &count, &profile, &err));
    cr_assert_str_eq(profile, "b");
    cr_assert_eq(count, 16);
    g_clear_pointer(&profile, g_free);
    cr_assert_not(gp_partition_resolve(info, 16, "nope", &count, &profile, &err));
    cr_assert(strstr(err->message, "does not offer profile 'nope': choose one of a, b"), "%s",
              err->message);
}

/* ---- The hook's transactions with partition pools ----------------------- */

static GpDomain *
domain(const char *uuid, const char *name, const char *pool, const char *device)
{
    GpDomain *dom = gp_domain_new(uuid, name);

    gp_domain_add_device(dom, "ua-gpupool-0", pool, device);
    dom->pcihole64 = G_GUINT64_CONSTANT(64) << 30;
    return dom;
}

static guint
claim_count(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GpClaims) claims = gp_claims_load(&err);

    cr_assert_not_null(claims, "%s", err ? err->message : "");
    return gp_claims_all(claims)->len;
}

/* The L40S host with pool "l40s" of its VFs set to vGPU type VGPU_TYPE
 * (PER partitions per domain), VFs enabled; GPUPOOL_PROC_ROOT is an empty
 * directory of the sim's.  l40s_host_done() undoes the environment. */
static GpSim *
l40s_host(const char *vgpu_type, guint per)
{
    GpSim *sim = gp_sim_fixture_nvidia_sriov();
    const char *members[] = { GP_SIM_SRIOV_GPU, NULL };
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autofree char *proc = g_build_filename(gp_sim_base(sim), "proc", NULL);

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    gp_backend_reset();
    g_mkdir_with_parents(proc, 0755);
    g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);
    save_pool("l40s", GP_POOL_TYPE_VF, members, NULL);
    cr_assert(gp_partition_set(GP_SIM_SRIOV_GPU, 0, vgpu_type, per, done, &err), "%s",
              err ? err->message : "");
    return sim;
}

/* A process of the sim's /proc (pid 77) holds VF ADDRESS open through
 * VFIO, as a QEMU that has not exited yet would. */
static void
hold_open(GpSim *sim, const char *address)
{
    g_autofree char *fd_dir = g_build_filename(gp_sim_base(sim), "proc", "77", "fd", NULL);
    g_autofree char *fd = g_strdup_printf("%s/%d", fd_dir, 30 + gp_sim_iommu_group(sim, address));
    g_autofree char *target = g_strdup_printf("/dev/vfio/%d", gp_sim_iommu_group(sim, address));

    g_mkdir_with_parents(fd_dir, 0755);
    cr_assert_eq(symlink(target, fd), 0);
}

static void
l40s_host_done(void)
{
    g_unsetenv("GPUPOOL_PROC_ROOT");
    g_unsetenv("GPUPOOL_PLUGINDIR");
}

Test(cmd_partitions, hook_creates_the_domains_mdev_at_prepare_and_removes_it_at_release)
{
    g_autoptr(GpSim) sim = mbochs_host_with_disp_pool("mbochs-medium");
    g_autofree char *uuid = gp_partition_mdev_uuid(DOM1, "disp", 0);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "disp", uuid);
    g_autoptr(GError) err = NULL;
    g_autofree char *rel = gp_sysfs_mdev_dev_path(uuid, NULL);
    g_autofree char *type = NULL;
    guint dropped = 0;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    cr_assert(gp_sysfs_is_dir(rel));
    type = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-medium/"
                            "available_instances");
    cr_assert_str_eq(type, "31");
    cr_assert_eq(claim_count(), 1);
    /* A second prepare (libvirt retrying a start) changes nothing. */
    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    cr_assert_eq(claim_count(), 1);

    cr_assert(gp_lifecycle_release(DOM1, &dropped, &err), "%s", err ? err->message : "");
    cr_assert_eq(dropped, 1);
    cr_assert_not(gp_sysfs_is_dir(rel));
    cr_assert_eq(claim_count(), 0);
    /* release end after the mdev already went (NVIDIA removes its own). */
    cr_assert(gp_lifecycle_release(DOM1, &dropped, &err));
}

Test(cmd_partitions, hook_refuses_a_start_when_the_mdev_pool_is_full_and_leaves_the_host_alone)
{
    g_autoptr(GpSim) sim = mbochs_host_with_disp_pool("mbochs-large");
    g_autofree char *first = gp_partition_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *second = gp_partition_mdev_uuid(DOM2, "disp", 0);
    g_autoptr(GpDomain) vm1 = domain(DOM1, "vm1", "disp", first);
    g_autoptr(GpDomain) vm2 = domain(DOM2, "vm2", "disp", second);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    /* The sample's 512 MiB hold eight 64 MiB displays: seven of another
     * domain and vm1's fill it. */
    for (guint i = 1; i < 8; i++) {
        g_autofree char *u = gp_partition_mdev_uuid(DOM2, "other", i);

        cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-large", u));
    }
    cr_assert(gp_lifecycle_prepare(vm1, &err), "%s", err ? err->message : "");
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_lifecycle_prepare(vm2, &err));
    cr_assert(strstr(err->message, "vm2: pool 'disp' is exhausted: no device (mbochs) has room "
                                   "for another mbochs-large, held by vm1"), "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
    cr_assert_eq(claim_count(), 1);
}

Test(cmd_partitions, hook_refuses_two_partitions_of_one_pool_for_one_domain)
{
    g_autoptr(GpSim) sim = mbochs_host_with_disp_pool("mbochs-small");
    g_autofree char *a = gp_partition_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *b = gp_partition_mdev_uuid(DOM1, "disp", 1);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "disp", a);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    gp_domain_add_device(dom, "ua-gpupool-1", "disp", b);
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_lifecycle_prepare(dom, &err));
    cr_assert(strstr(err->message, "vm1 asks for more than 1 partition of pool 'disp': run "
                                   "'gpupool assign vm1 --pool disp --count 1', or allow more"),
              "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(cmd_partitions, hook_sets_the_vgpu_type_on_the_claimed_vf_and_clears_it_at_release)
{
    g_autoptr(GpSim) sim = l40s_host("1158", 0);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *cur = NULL;
    g_autofree char *cleared = NULL;
    guint dropped = 0;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_assert_str_eq(cur, "1158");
    cr_assert(gp_lifecycle_release(DOM1, &dropped, &err), "%s", err ? err->message : "");
    cr_assert_eq(dropped, 1);
    cleared = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_assert_str_eq(cleared, "0");
    l40s_host_done();
}

Test(cmd_partitions, hook_keeps_the_claim_and_the_type_while_qemu_still_holds_the_vf)
{
    g_autoptr(GpSim) sim = l40s_host("1158", 0);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *cur = NULL;
    guint dropped = 0;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    hold_open(sim, "0000:c1:00.4");

    cr_assert_not(gp_lifecycle_release(DOM1, &dropped, &err));
    cr_assert(strstr(err->message, "0000:c1:00.4 is still open through /dev/vfio/"), "%s",
              err->message);
    cr_assert_eq(dropped, 0);
    cr_assert_eq(claim_count(), 1);
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_assert_str_eq(cur, "1158");
    l40s_host_done();
}

Test(cmd_partitions, hook_names_the_other_type_that_blocks_a_homogeneous_vgpu)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    const char *members[] = { GP_SIM_MDEV_GPU, NULL };
    const char *other = "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0009";
    g_autofree char *uuid = gp_partition_mdev_uuid(DOM1, "t4-1q", 0);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "t4-1q", uuid);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    save_pool("t4-1q", GP_POOL_TYPE_MDEV, members, "nvidia-222");
    /* Someone else's 2Q vGPU: the T4 runs one type at a time. */
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-223", other));
    hold(other, "t4-2q", DOM2, "vm9", GP_SIM_MDEV_GPU);
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_lifecycle_prepare(dom, &err));
    cr_assert(strstr(err->message, "no device (" GP_SIM_MDEV_GPU ") has room for another "
                                   "nvidia-222; " GP_SIM_MDEV_GPU " has 1 mdev of type "
                                   "nvidia-223 (vm9)"), "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(cmd_partitions, hook_says_a_vf_pool_is_exhausted_when_the_profile_has_no_room)
{
    /* The 48Q type takes the whole GPU: one partition for 16 VFs. */
    g_autoptr(GpSim) sim = l40s_host("1161", 0);
    g_autoptr(GpDomain) vm1 = domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GpDomain) vm2 = domain(DOM2, "vm2", "l40s", "0000:c1:00.5");
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    cr_assert(gp_lifecycle_prepare(vm1, &err), "%s", err ? err->message : "");
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_lifecycle_prepare(vm2, &err));
    cr_assert(strstr(err->message, "vm2: pool 'l40s' is exhausted: " GP_SIM_SRIOV_GPU " has no "
                                   "room for another 1161 partition, held by vm1"),
              "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
    cr_assert_eq(claim_count(), 1);
    l40s_host_done();
}

Test(cmd_partitions, a_pool_that_allows_two_per_domain_gives_a_domain_two_mdevs)
{
    g_autoptr(GpSim) sim = mbochs_host_with_disp_pool("mbochs-small");
    g_autofree char *a = gp_partition_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *b = gp_partition_mdev_uuid(DOM1, "disp", 1);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "disp", a);
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
    cr_assert_eq(claim_count(), 2);
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
    g_autoptr(GpSim) sim = l40s_host("1158", 0);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
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
    cr_expect_eq(claim_count(), 0);
    l40s_host_done();
}

Test(cmd_partitions, rebalance_keeps_a_stale_claim_while_qemu_still_holds_the_vf_and_says_so)
{
    g_autoptr(GpSim) sim = l40s_host("1158", 0);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *stderr_text = NULL;
    g_autofree char *cur = NULL;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    hold_open(sim, "0000:c1:00.4");
    age_claims(sim);
    cr_assert_eq(rebalance(sim, &out, &stderr_text), 0, "%s", stderr_text);
    cr_expect(strstr(stderr_text, "gpupool: warning: vm1: kept its claim on 0000:c1:00.4 (pool "
                                  "'l40s') although it is not running: 0000:c1:00.4 is still "
                                  "open through /dev/vfio/"), "%s", stderr_text);
    cr_expect_null(strstr(out, "dropped"), "%s", out);
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_expect_str_eq(cur, "1158");
    cr_expect_eq(claim_count(), 1, "the claim went while the VF still has its type");
    l40s_host_done();
}

Test(cmd_partitions, rebalance_removes_the_mdev_of_a_domain_that_stopped_unseen)
{
    g_autoptr(GpSim) sim = mbochs_host_with_disp_pool("mbochs-medium");
    g_autofree char *uuid = gp_partition_mdev_uuid(DOM1, "disp", 0);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "disp", uuid);
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
    cr_expect_eq(claim_count(), 0);
}

/* ---- The hook binary's release ------------------------------------------ */

/* Runs the hook (hooks/gpupool-hook) as libvirt does, with
 * XML on stdin and the sim's kernel for the programs it starts. */
static int
run_hook(const char *domain_name, const char *op, const char *sub, const char *xml,
         char **err_out)
{
    g_autofree char *hook = gp_sim_hook_path();
    g_autofree char *preload = gp_sim_preload_path();
    GString *err = g_string_new(NULL);
    int in[2], errp[2], status;
    char buf[4096];
    ssize_t n;
    pid_t pid;

    cr_assert(pipe(in) == 0 && pipe(errp) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(errp[1], 2);
        close(in[0]); close(in[1]); close(errp[0]); close(errp[1]);
        setenv("LD_PRELOAD", preload, 1);
        execl(hook, hook, domain_name, op, sub, "-", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(errp[1]);
    signal(SIGPIPE, SIG_IGN);
    (void)!write(in[1], xml, strlen(xml));
    close(in[1]);
    while ((n = read(errp[0], buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        g_string_append_len(err, buf, n);
    }
    close(errp[0]);
    cr_assert(waitpid(pid, &status, 0) == pid);
    *err_out = g_string_free(err, FALSE);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(cmd_partitions, hook_release_that_keeps_a_vf_still_starts_the_rebalance_and_says_why)
{
    g_autoptr(GpSim) sim = l40s_host("1158", 2);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *cli = g_build_filename(gp_sim_base(sim), "fake-gpupool", NULL);
    g_autofree char *ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);
    g_autofree char *stderr_text = NULL;
    g_autofree char *kept = NULL;
    g_autofree char *cleared = NULL;
    const char *xml =
        "<domain type='kvm'>\n  <name>vm1</name>\n  <uuid>" DOM1 "</uuid>\n"
        "  <memory unit='KiB'>65536</memory>\n  <metadata>\n"
        "    <gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        "<gpupool:request pool='l40s' count='2'/>"
        "<gpupool:device alias='ua-gpupool-0' pool='l40s' address='0000:c1:00.4'/>"
        "<gpupool:device alias='ua-gpupool-1' pool='l40s' address='0000:c1:00.5'/>"
        "</gpupool:assignment>\n  </metadata>\n"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n"
        "    <hostdev mode='subsystem' type='pci' managed='no'><source><address "
        "domain='0x0000' bus='0xc1' slot='0x00' function='0x4'/></source>"
        "<alias name='ua-gpupool-0'/></hostdev>\n"
        "    <hostdev mode='subsystem' type='pci' managed='no'><source><address "
        "domain='0x0000' bus='0xc1' slot='0x00' function='0x5'/></source>"
        "<alias name='ua-gpupool-1'/></hostdev>\n"
        "  </devices>\n</domain>\n";
    int status;

    gp_domain_add_device(dom, "ua-gpupool-1", "l40s", "0000:c1:00.5");
    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    hold_open(sim, "0000:c1:00.4");
    cr_assert(g_file_set_contents(cli, "#!/bin/sh\necho ran >> \"$GPUPOOL_STATEDIR/rebalance-ran\"\n",
                                  -1, NULL));
    cr_assert_eq(chmod(cli, 0755), 0);
    g_setenv("GPUPOOL_CLI", cli, TRUE);

    status = run_hook("vm1", "release", "end", xml, &stderr_text);
    g_unsetenv("GPUPOOL_CLI");
    cr_expect_eq(status, 1);
    cr_expect(g_str_has_prefix(stderr_text, "gpupool: partitions not given back yet: "
                                            "0000:c1:00.4 is still open through /dev/vfio/"),
              "%s", stderr_text);
    cr_expect_eq(strchr(stderr_text, '\n'), stderr_text + strlen(stderr_text) - 1,
                 "one line: %s", stderr_text);
    /* The VF that was given back is free for a stopped domain now. */
    for (int i = 0; i < 50 && !g_file_test(ran, G_FILE_TEST_EXISTS); i++)
        g_usleep(100 * 1000);
    cr_expect(g_file_test(ran, G_FILE_TEST_EXISTS), "no rebalance was started");
    cr_expect_eq(claim_count(), 1);
    kept = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_expect_str_eq(kept, "1158");
    cleared = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/nvidia/current_vgpu_type");
    cr_expect_str_eq(cleared, "0");
    l40s_host_done();
}

/* ---- Partitions named without gpupool ----------------------------------- */

/* What the hook checks at prepare for a domain that lists DEVICE among
 * its own host devices. */
static gboolean
passthrough_allowed(const char *device, GError **error)
{
    g_autoptr(GPtrArray) devices = g_ptr_array_new();

    g_ptr_array_add(devices, (gpointer)device);
    return gp_lifecycle_check_passthrough("vm9", devices, error);
}

Test(cmd_partitions, a_vf_of_a_vf_pool_given_as_a_hostdev_is_refused_naming_the_pool)
{
    g_autoptr(GpSim) sim = l40s_host("1158", 0);
    g_autoptr(GError) err = NULL;

    cr_assert_not(passthrough_allowed("0000:c1:00.5", &err));
    cr_expect_str_eq(err->message, "vm9: 0000:c1:00.5 belongs to pool 'l40s'; give the domain "
                                   "pool devices with 'gpupool assign vm9 --pool l40s' instead "
                                   "of a <hostdev>");
    g_clear_error(&err);
    cr_assert_not(passthrough_allowed(GP_SIM_SRIOV_GPU, &err), "the PF itself");
    l40s_host_done();
}

Test(cmd_partitions, a_pool_domains_mdev_given_as_a_hostdev_is_refused_naming_the_pool)
{
    g_autoptr(GpSim) sim = mbochs_host_with_disp_pool("mbochs-medium");
    g_autofree char *uuid = gp_partition_mdev_uuid(DOM1, "disp", 0);
    g_autoptr(GpDomain) dom = domain(DOM1, "vm1", "disp", uuid);
    g_autoptr(GError) err = NULL;
    g_autofree char *msg = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GpDomAssignment) asg = NULL;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    /* The domain definition as libvirt hands it to the hook. */
    xml = g_strdup_printf(
        "<domain type='kvm'><name>vm9</name><uuid>" DOM2 "</uuid><devices>"
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
        "<address uuid='%s'/></source></hostdev></devices></domain>", uuid);
    asg = gp_domxml_read_assignment(xml, strlen(xml), &err);
    cr_assert_not_null(asg, "%s", err ? err->message : "");
    cr_assert_eq(asg->passthrough->len, 1);
    cr_assert_not(gp_lifecycle_check_passthrough(asg->name, asg->passthrough, &err));
    msg = g_strdup_printf("vm9: %s belongs to pool 'disp'; give the domain pool devices with "
                          "'gpupool assign vm9 --pool disp' instead of a <hostdev>", uuid);
    cr_expect_str_eq(err->message, msg);
    g_clear_error(&err);
    /* An mdev of the same parent made outside gpupool is the pool's too. */
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-small",
                                 "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0009"));
    cr_assert_not(passthrough_allowed("8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0009", &err));
    g_clear_error(&err);
    cr_expect(passthrough_allowed("8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0010", &err), "%s",
              err ? err->message : "");
}
