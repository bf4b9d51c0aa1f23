/* SR-IOV virtual functions (src/host/sriov.c): how a PF's VFs are listed
 * and numbered, and how their count is set the way the kernel demands. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "base/sysfs.h"
#include "host/sriov.h"
#include "plugin/backend.h"
#include "sim.h"

/* ---- Listing: a PF's virtfn links in a hand-made tree -------------------- */

static char *root;

/* A PF 0000:01:00.0 bound to nvidia (so it has a driver link beside its
 * virtfn links) and nothing else. */
static void
make_tree(void)
{
    g_autofree char *dev = NULL;
    g_autofree char *devices = NULL;
    g_autofree char *driver = NULL;
    g_autofree char *link = NULL;

    root = g_dir_make_tmp("gp-sriov-XXXXXX", NULL);
    cr_assert_not_null(root);
    gp_sysfs_set_root(root);
    dev = g_build_filename(root, "devices/pci0000:00/0000:00:01.0/0000:01:00.0", NULL);
    devices = g_build_filename(root, "bus/pci/devices", NULL);
    driver = g_build_filename(root, "bus/pci/drivers/nvidia", NULL);
    cr_assert_eq(g_mkdir_with_parents(dev, 0755), 0);
    cr_assert_eq(g_mkdir_with_parents(devices, 0755), 0);
    cr_assert_eq(g_mkdir_with_parents(driver, 0755), 0);
    link = g_build_filename(devices, "0000:01:00.0", NULL);
    cr_assert_eq(symlink("../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0", link), 0);
    g_free(link);
    link = g_build_filename(dev, "driver", NULL);
    cr_assert_eq(symlink("../../../../bus/pci/drivers/nvidia", link), 0);
}

static void
remove_tree(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", root);

    cr_assert_eq(system(cmd), 0);
    gp_sysfs_set_root(NULL);
    g_free(root);
}

TestSuite(sriov);

Test(sriov, pci_vfs_are_the_virtfn_links_of_a_physical_function, .init = make_tree,
     .fini = remove_tree)
{
    g_autofree char *dev = g_build_filename(root, "devices/pci0000:00/0000:00:01.0/0000:01:00.0",
                                            NULL);
    g_autofree char *vf0 = g_build_filename(dev, "virtfn0", NULL);
    g_autofree char *vf1 = g_build_filename(dev, "virtfn1", NULL);
    g_autoptr(GPtrArray) vfs = NULL;

    cr_assert_eq(symlink("../0000:01:00.4", vf0), 0);
    cr_assert_eq(symlink("../0000:01:00.5", vf1), 0);
    vfs = gp_sriov_vfs("0000:01:00.0");
    cr_assert_eq(vfs->len, 2, "the driver link is no VF");
    cr_assert_str_eq(g_ptr_array_index(vfs, 0), "0000:01:00.4");
    cr_assert_str_eq(g_ptr_array_index(vfs, 1), "0000:01:00.5");
}

Test(sriov, pci_vfs_of_a_missing_device_are_none, .init = make_tree, .fini = remove_tree)
{
    g_autoptr(GPtrArray) vfs = gp_sriov_vfs("0000:02:00.0");

    cr_assert_not_null(vfs);
    cr_assert_eq(vfs->len, 0);
}
/* ---- On the simulated kernel ----------------------------------------------- */

Test(sriov, vfs_are_listed_in_vf_order_not_by_name)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autoptr(GPtrArray) vfs = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_SRIOV_GPU "/sriov_numvfs", "16"));
    vfs = gp_sriov_vfs(GP_SIM_SRIOV_GPU);
    cr_assert_eq(vfs->len, 16);
    /* Offset 4, stride 1: VF1 is function 4, VF16 is 02.3. */
    cr_assert_str_eq(vfs->pdata[0], "0000:c1:00.4");
    cr_assert_str_eq(vfs->pdata[2], "0000:c1:00.6", "virtfn2 comes before virtfn10");
    cr_assert_str_eq(vfs->pdata[10], "0000:c1:01.6");
    cr_assert_str_eq(vfs->pdata[15], "0000:c1:02.3");
    cr_assert_eq(gp_sriov_vf_number(GP_SIM_SRIOV_GPU, "0000:c1:00.6"), 3);
    cr_assert_eq(gp_sriov_vf_number(GP_SIM_SRIOV_GPU, "0000:c1:02.3"), 16);
    cr_assert_eq(gp_sriov_vf_number(GP_SIM_SRIOV_GPU, GP_SIM_SRIOV_GPU), 0, "the PF is no VF");
}

Test(sriov, a_new_count_goes_through_zero_as_the_kernel_demands)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autofree char *num = NULL;
    g_autofree char *driver = NULL;
    g_autoptr(GPtrArray) vfs = NULL;

    cr_assert(gp_sriov_set_count(GP_SIM_INTEL_SRIOV_GPU, 3, &err), "%s",
              err ? err->message : "");
    /* The kernel answers 3 -> 5 with EBUSY. */
    cr_assert(gp_sriov_set_count(GP_SIM_INTEL_SRIOV_GPU, 5, &err), "%s",
              err ? err->message : "");
    num = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(num, "5");
    vfs = gp_sriov_vfs(GP_SIM_INTEL_SRIOV_GPU);
    cr_assert_eq(vfs->len, 5);
    driver = gp_sim_driver(sim, "0000:4d:00.5");
    cr_assert_str_eq(driver, "i915", "VFs stay on the driver the kernel gives them");
    cr_assert(gp_sriov_set_count(GP_SIM_INTEL_SRIOV_GPU, 5, &err), "the same count again");
}

Test(sriov, a_count_above_the_total_is_refused_naming_the_pf_and_the_range)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    cr_assert_not(gp_sriov_set_count(GP_SIM_INTEL_SRIOV_GPU, 8, &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID));
    cr_assert_str_eq(err->message, GP_SIM_INTEL_SRIOV_GPU " offers at most 7 virtual functions, "
                     "not 8: choose a count from 1 to 7");
    g_clear_error(&err);
    cr_assert_not(gp_sriov_set_count("0000:00:01.0", 1, &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED));
    cr_assert(strstr(err->message, "0000:00:01.0 has no SR-IOV virtual functions"), "%s",
              err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(sriov, unprobed_vfs_get_no_driver_and_the_pf_autoprobes_again_afterwards)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) err = NULL;
    g_autofree char *driver = NULL;
    g_autofree char *autoprobe = NULL;

    cr_assert(gp_sriov_set_count_unprobed(GP_SIM_INTEL_SRIOV_GPU, 2, &err), "%s",
              err ? err->message : "");
    driver = gp_sim_driver(sim, "0000:4d:00.2");
    cr_assert_null(driver, "a host driver probed the new VF: %s", driver);
    autoprobe = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU
                                 "/sriov_drivers_autoprobe");
    cr_assert_str_eq(autoprobe, "1");
}
