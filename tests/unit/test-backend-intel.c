/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intel SR-IOV GPUs (the intel-xe-sriov module) on a simulated Flex 170. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "host/backends.h"
#include "sim.h"

#define PF GP_SIM_INTEL_SRIOV_GPU

static GpSim *
flex(void)
{
    GpSim *sim = gp_sim_fixture_intel_sriov();

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    gp_backend_reset();
    return sim;
}

static const GpBackendOps *
intel(void)
{
    const GpBackendOps *ops = gp_backend_for(PF, NULL);

    cr_assert_not_null(ops);
    cr_assert_str_eq(ops->name, "intel-xe-sriov");
    return ops;
}

Test(backend_intel, the_vendor_module_takes_intel_sriov_gpus)
{
    g_autoptr(GpSim) sim = flex();

    cr_assert_eq(intel()->kind, GP_PART_KIND_VF);
    cr_assert_not(intel()->driver_stays);
}

Test(backend_intel, describe_without_sriov_admin_offers_the_even_split)
{
    g_autoptr(GpSim) sim = flex();
    g_autoptr(GpPartInfo) info = gp_part_info_new(PF);
    g_autoptr(GError) err = NULL;
    GpPartProfile *p;

    cr_assert(intel()->describe(PF, info, &err), "%s", err ? err->message : "");
    cr_assert_str_eq(info->backend, "intel-xe-sriov");
    cr_assert_eq(info->valid_counts->len, 7);
    p = gp_part_info_find_profile(info, "auto");
    cr_assert_not_null(p);
    cr_assert_eq(p->max_instances, 7);
    cr_assert(strstr(p->description, "no sriov_admin/"), "%s", p->description);
}

Test(backend_intel, describe_reads_the_vram_quota_the_xe_driver_provisioned)
{
    g_autoptr(GpSim) sim = flex();
    g_autoptr(GpPartInfo) info = gp_part_info_new(PF);
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *quota = NULL;
    g_autofree char *quantum = NULL;
    GpPartProfile *p;

    cr_assert(intel()->configure(PF, 4, NULL, &err), "%s", err ? err->message : "");
    /* What kernel 6.19+'s Xe PF driver shows per VF. */
    dir = gp_sim_path(sim, "bus/pci/devices/" PF "/sriov_admin/vf1/profile");
    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    quota = g_build_filename(dir, "vram_quota", NULL);
    quantum = g_build_filename(dir, "exec_quantum_ms", NULL);
    cr_assert(g_file_set_contents(quota, "4294967296\n", -1, NULL));
    cr_assert(g_file_set_contents(quantum, "25\n", -1, NULL));
    cr_assert(intel()->describe(PF, info, &err), "%s", err ? err->message : "");
    p = gp_part_info_find_profile(info, "auto");
    cr_assert_eq(p->vram, G_GUINT64_CONSTANT(4) << 30);
    cr_assert(strstr(p->description, "25 ms"), "%s", p->description);
    cr_assert_eq(info->count, 4);
    cr_assert_str_eq(info->profile, "auto");
}

Test(backend_intel, configure_refuses_a_profile_other_than_auto_and_changes_nothing)
{
    g_autoptr(GpSim) sim = flex();
    g_autoptr(GError) err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    cr_assert_not(intel()->configure(PF, 2, "1158", &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID));
    cr_assert(strstr(err->message, "offers only the profile 'auto'"), "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(backend_intel, configure_gives_the_vfs_to_vfio_pci)
{
    g_autoptr(GpSim) sim = flex();
    g_autoptr(GError) err = NULL;
    g_autofree char *drv = NULL;
    g_autoptr(GpPartition) part = gp_partition_new(GP_PART_KIND_VF, NULL);

    cr_assert(intel()->configure(PF, 3, "auto", &err), "%s", err ? err->message : "");
    drv = gp_sim_driver(sim, "0000:4d:00.3");
    cr_assert_str_eq(drv, "vfio-pci");
    part->address = g_strdup("0000:4d:00.3");
    cr_assert(intel()->prepare(PF, "auto", part, &err), "%s", err ? err->message : "");
    cr_assert_not(part->host_driver_stays);
}
