/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The generic SR-IOV back end on the simulated Intel Flex 170 (7 VFs),
 * called directly, without the vendor module. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "host/backends.h"
#include "host/sriov.h"
#include "sim.h"

#define PF GP_SIM_INTEL_SRIOV_GPU

static void
assert_unchanged(GpSim *sim, const char *before)
{
    g_autofree char *after = gp_sim_snapshot(sim);

    cr_assert_str_eq(after, before);
}

Test(backend_vf, describe_offers_one_to_totalvfs_partitions)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GpPartInfo) info = gp_part_info_new(PF);
    g_autoptr(GError) err = NULL;

    cr_assert_eq(gp_backend_lookup("vf")->probe(PF), GP_BACKEND_SCORE_GENERIC);
    cr_assert_eq(gp_backend_lookup("vf")->probe("0000:00:01.0"), GP_BACKEND_SCORE_NONE);
    cr_assert(gp_backend_lookup("vf")->describe(PF, info, &err));
    cr_assert_eq(info->kind, GP_PART_KIND_VF);
    cr_assert_eq(info->valid_counts->len, 7);
    cr_assert_eq(g_array_index(info->valid_counts, guint, 0), 1);
    cr_assert_eq(g_array_index(info->valid_counts, guint, 6), 7);
    cr_assert_eq(info->count, 0);
}

Test(backend_vf, configure_enables_the_vfs_and_binds_them_to_vfio_pci)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) vfs = NULL;

    cr_assert(gp_backend_lookup("vf")->configure(PF, 4, NULL, &err), "%s", err ? err->message : "");
    vfs = gp_sriov_vfs(PF);
    cr_assert_eq(vfs->len, 4);
    cr_assert_str_eq(vfs->pdata[0], "0000:4d:00.1");
    for (guint i = 0; i < vfs->len; i++) {
        g_autofree char *drv = gp_sim_driver(sim, vfs->pdata[i]);

        cr_assert_str_eq(drv, "vfio-pci", "%s", (const char *)vfs->pdata[i]);
    }
    cr_assert_eq(gp_sriov_vf_number(PF, "0000:4d:00.3"), 3);
    cr_assert_eq(gp_sriov_vf_number(PF, "0000:4d:00.6"), 0);
}

Test(backend_vf, configure_changes_the_count_through_zero)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autofree char *num = NULL;

    cr_assert(gp_backend_lookup("vf")->configure(PF, 4, NULL, &err));
    cr_assert(gp_backend_lookup("vf")->configure(PF, 2, NULL, &err), "%s", err ? err->message : "");
    num = gp_sim_read(sim, "bus/pci/devices/" PF "/sriov_numvfs");
    cr_assert_str_eq(num, "2");
}

Test(backend_vf, configure_refuses_a_count_above_totalvfs_and_changes_nothing)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);

    cr_assert_not(gp_backend_lookup("vf")->configure(PF, 8, NULL, &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID));
    cr_assert(strstr(err->message, PF " offers 1 to 7 partitions"), "%s", err->message);
    assert_unchanged(sim, before);
}

Test(backend_vf, configure_refuses_a_profile_and_changes_nothing)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);

    cr_assert_not(gp_backend_lookup("vf")->configure(PF, 2, "big", &err));
    cr_assert(strstr(err->message, "have no profiles"), "%s", err->message);
    assert_unchanged(sim, before);
}

Test(backend_vf, configure_without_vfio_pci_refuses_and_changes_nothing)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;

    gp_sim_remove_driver(sim, "vfio-pci");
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_backend_lookup("vf")->configure(PF, 2, NULL, &err));
    cr_assert(strstr(err->message, "modprobe vfio-pci"), "%s", err->message);
    assert_unchanged(sim, before);
}

Test(backend_vf, prepare_refuses_a_device_that_is_not_one_of_its_vfs)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GpPartition) part = gp_partition_new(GP_PART_KIND_VF, NULL);
    g_autoptr(GError) err = NULL;

    cr_assert(gp_backend_lookup("vf")->configure(PF, 2, NULL, &err));
    part->address = g_strdup("0000:4d:00.5");
    cr_assert_not(gp_backend_lookup("vf")->prepare(PF, NULL, part, &err));
    cr_assert(strstr(err->message, "0000:4d:00.5 is not an enabled virtual function of " PF),
              "%s", err->message);
    g_clear_error(&err);
    g_free(part->address);
    part->address = g_strdup("0000:4d:00.2");
    cr_assert(gp_backend_lookup("vf")->prepare(PF, NULL, part, &err), "%s", err ? err->message : "");
    cr_assert_str_eq(part->parent, PF);
    cr_assert_not(part->host_driver_stays);
}

Test(backend_vf, configure_keeps_host_drivers_off_the_new_vfs_and_restores_autoprobe)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autofree char *autoprobe = NULL;

    cr_assert(gp_backend_lookup("vf")->configure(PF, 3, NULL, &err), "%s", err ? err->message : "");
    autoprobe = gp_sim_read(sim, "bus/pci/devices/" PF "/sriov_drivers_autoprobe");
    cr_assert_str_eq(autoprobe, "1");
    for (guint i = 1; i <= 3; i++) {
        g_autofree char *vf = g_strdup_printf("0000:4d:00.%u", i);
        g_autofree char *drv = gp_sim_driver(sim, vf);

        cr_assert_str_eq(drv, "vfio-pci", "%s", vf);
    }
}
