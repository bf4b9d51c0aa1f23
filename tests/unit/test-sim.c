/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulated sysfs itself: its layout is what libpci and the kernel ABI
 * promise, and its writes react as the kernel does. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <pci/pci.h>
#include <string.h>

#include "base/sysfs.h"
#include "sim.h"

#define GPU0 GP_SIM_DC_GPU0
#define UUID1 "9b1f8e4c-51a4-4b5e-8d0a-3c2f6a7b8c90"
#define UUID2 "0d7c6a2e-1f3b-4c5d-9e8f-a1b2c3d4e5f6"

static void
assert_write_fails(GpSim *sim, const char *path, const char *value, int expected)
{
    gboolean ok = gp_sim_write(sim, path, value);
    int err = errno;

    cr_assert_not(ok, "writing '%s' to %s succeeded", value, path);
    cr_assert_eq(err, expected, "writing '%s' to %s: errno %d (%s), expected %d (%s)", value,
                 path, err, g_strerror(err), expected, g_strerror(expected));
}

Test(sim_layout, fixture_mirrors_sysfs_links_and_attributes)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *link = gp_sim_path(sim, "bus/pci/devices/" GPU0);
    g_autofree char *target = g_file_read_link(link, NULL);
    g_autofree char *vendor = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/vendor");
    g_autofree char *klass = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/class");
    g_autofree char *override = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/driver_override");
    g_autofree char *numa = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_DC_GPU1 "/numa_node");
    g_autofree char *boot = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_DC_BMC_VGA "/boot_vga");
    g_autofree char *gpu_boot = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/boot_vga");
    g_autofree char *driver = gp_sim_driver(sim, GPU0);
    g_autofree char *groupdev = gp_sim_path(sim, "kernel/iommu_groups/1/devices/" GPU0);
    g_autofree char *dmar = gp_sim_path(sim, "class/iommu/dmar0");

    cr_assert_str_eq(target, "../../../devices/pci0000:00/0000:00:01.0/" GPU0);
    cr_assert_str_eq(vendor, "0x10de");
    cr_assert_str_eq(klass, "0x030200");
    cr_assert_str_eq(override, "(null)");
    cr_assert_str_eq(numa, "1");
    cr_assert_str_eq(boot, "1");
    cr_assert_null(gpu_boot, "boot_vga exists only for VGA-class devices");
    cr_assert_str_eq(driver, "nvidia");
    cr_assert_eq(gp_sim_iommu_group(sim, GPU0), 1);
    cr_assert(g_file_test(groupdev, G_FILE_TEST_IS_DIR));
    cr_assert(g_file_test(dmar, G_FILE_TEST_IS_DIR));
    cr_assert_str_eq(gp_sysfs_root(), gp_sim_root(sim));
    cr_assert_str_eq(g_getenv("GPUPOOL_CONFDIR"), gp_sim_confdir(sim));
}

Test(sim_layout, resource_lists_64bit_bar_in_two_slots_with_kernel_flags)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *res = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/resource");
    g_auto(GStrv) lines = g_strsplit(res, "\n", -1);
    guint64 start, end, flags;

    cr_assert_eq(g_strv_length(lines), 13);
    cr_assert_eq(sscanf(lines[0], "%lx %lx %lx", &start, &end, &flags), 3);
    cr_assert_eq(end - start + 1, 16 << 20);
    cr_assert_eq(flags & 0x200, 0x200);
    cr_assert_eq(flags & (0x100000 | 0x2000), 0);
    cr_assert_eq(sscanf(lines[1], "%lx %lx %lx", &start, &end, &flags), 3);
    cr_assert_eq(end - start + 1, G_GUINT64_CONSTANT(128) << 30);
    cr_assert_eq(flags & 0x10220c, 0x10220c);
    cr_assert_str_eq(lines[2], "0x0000000000000000 0x0000000000000000 0x0000000000000000");
}

Test(sim_layout, bridge_windows_cover_the_bars_behind_them)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *res = gp_sim_read(sim, "bus/pci/devices/0000:00:01.0/resource");
    g_auto(GStrv) lines = g_strsplit(res, "\n", -1);
    guint64 start, end, flags;

    cr_assert_eq(g_strv_length(lines), 17, "bridges show 4 window lines more");
    cr_assert_eq(sscanf(lines[14], "%lx %lx %lx", &start, &end, &flags), 3);
    cr_assert_eq(start, 0x60000000);
    cr_assert_eq(end, 0x610fffff, "BAR0 and the ROM: %s", lines[14]);
    cr_assert_eq(sscanf(lines[15], "%lx %lx %lx", &start, &end, &flags), 3);
    cr_assert_eq(end - start + 1, (G_GUINT64_CONSTANT(128) << 30) + (32 << 20));
    cr_assert(flags & 0x100000, "the prefetchable window is 64-bit");
}

Test(sim_layout, root_port_subordinate_bus_covers_the_bridge_below_it)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *sec = gp_sim_read(sim, "bus/pci/devices/0000:00:03.0/secondary_bus_number");
    g_autofree char *sub = gp_sim_read(sim, "bus/pci/devices/0000:00:03.0/subordinate_bus_number");

    cr_assert_str_eq(sec, "2");
    cr_assert_str_eq(sub, "3");
}

Test(sim_layout, workstation_groups_gpu_with_audio_and_legacy_devices_with_bridge)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autofree char *nic = gp_sim_driver(sim, GP_SIM_WS_LEGACY_NIC);
    g_autofree char *accel = gp_sim_driver(sim, GP_SIM_WS_ACCEL);
    g_autofree char *boot = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_WS_IGPU "/boot_vga");
    g_autofree char *gpu_boot = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_WS_GPU "/boot_vga");

    cr_assert_eq(gp_sim_iommu_group(sim, GP_SIM_WS_IGPU), 0);
    cr_assert_eq(gp_sim_iommu_group(sim, GP_SIM_WS_GPU), 2);
    cr_assert_eq(gp_sim_iommu_group(sim, GP_SIM_WS_GPU_AUDIO), 2);
    cr_assert_eq(gp_sim_iommu_group(sim, GP_SIM_WS_LEGACY_BRIDGE), 4);
    cr_assert_eq(gp_sim_iommu_group(sim, GP_SIM_WS_LEGACY_GPU), 4);
    cr_assert_eq(gp_sim_iommu_group(sim, GP_SIM_WS_LEGACY_NIC), 4);
    cr_assert_eq(gp_sim_iommu_group(sim, GP_SIM_WS_ACCEL), 6);
    cr_assert_str_eq(nic, "e1000e");
    cr_assert_null(accel);
    cr_assert_str_eq(boot, "1");
    cr_assert_str_eq(gpu_boot, "0");
}

Test(sim_layout, no_iommu_host_has_no_groups_and_no_iommu_class_entries)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_no_iommu();
    g_autofree char *groups = gp_sim_path(sim, "kernel/iommu_groups");
    g_autofree char *klass = gp_sim_path(sim, "class/iommu");
    g_autoptr(GDir) gdir = g_dir_open(groups, 0, NULL);
    g_autoptr(GDir) cdir = g_dir_open(klass, 0, NULL);

    cr_assert_not_null(gdir);
    cr_assert_null(g_dir_read_name(gdir));
    cr_assert_not_null(cdir);
    cr_assert_null(g_dir_read_name(cdir));
    cr_assert_eq(gp_sim_iommu_group(sim, GPU0), -1);
}

Test(sim_layout, many_fixture_spreads_gpus_over_domains)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_many(300);
    g_autofree char *last = gp_sim_fixture_many_addr(299);
    g_autofree char *driver = gp_sim_driver(sim, last);

    cr_assert_str_eq(last, "0002:2c:00.0");
    cr_assert_str_eq(driver, "nvidia");
    cr_assert_eq(gp_sim_iommu_group(sim, last), 599);
}

Test(sim_layout, removing_vfio_pci_unbinds_its_devices_and_its_directory)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *dir = gp_sim_path(sim, "bus/pci/drivers/vfio-pci");
    g_autofree char *driver = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GPU0));
    gp_sim_remove_driver(sim, "vfio-pci");
    driver = gp_sim_driver(sim, GPU0);
    cr_assert_null(driver);
    cr_assert_not(g_file_test(dir, G_FILE_TEST_EXISTS));
}

Test(sim_kernel, unbind_and_bind_move_both_driver_links)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *back = gp_sim_path(sim, "bus/pci/drivers/nvidia/" GPU0);
    g_autofree char *driver = NULL;
    g_autofree char *again = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0 "\n"));
    driver = gp_sim_driver(sim, GPU0);
    cr_assert_null(driver);
    cr_assert_not(g_file_test(back, G_FILE_TEST_EXISTS));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/bind", GPU0));
    again = gp_sim_driver(sim, GPU0);
    cr_assert_str_eq(again, "nvidia");
    cr_assert(g_file_test(back, G_FILE_TEST_IS_DIR));
}

Test(sim_kernel, unbind_from_a_driver_not_holding_the_device_fails_with_enodev)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    assert_write_fails(sim, "bus/pci/drivers/vfio-pci/unbind", GPU0, ENODEV);
    assert_write_fails(sim, "bus/pci/drivers/nvidia/unbind", "0000:99:00.0", ENODEV);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(before, after);
}

Test(sim_kernel, bind_fails_like_the_kernel)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();

    /* Bound already: the driver matches, the probe says busy. */
    assert_write_fails(sim, "bus/pci/drivers/nvidia/bind", GPU0, EBUSY);
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0));
    /* vfio-pci has no ID table: without an override it matches nothing. */
    assert_write_fails(sim, "bus/pci/drivers/vfio-pci/bind", GPU0, ENODEV);
    /* An override admits only the named driver. */
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "vfio-pci\n"));
    assert_write_fails(sim, "bus/pci/drivers/nvidia/bind", GPU0, ENODEV);
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/bind", GPU0));
    {
        g_autofree char *driver = gp_sim_driver(sim, GPU0);

        cr_assert_str_eq(driver, "vfio-pci");
    }
}

Test(sim_kernel, drivers_probe_honours_driver_override)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *override = NULL;
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "vfio-pci"));
    override = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/driver_override");
    cr_assert_str_eq(override, "vfio-pci");
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GPU0));
    first = gp_sim_driver(sim, GPU0);
    cr_assert_str_eq(first, "vfio-pci");

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "\n"));
    g_free(override);
    override = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/driver_override");
    cr_assert_str_eq(override, "(null)");
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/unbind", GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GPU0));
    second = gp_sim_driver(sim, GPU0);
    cr_assert_str_eq(second, "nvidia");
    assert_write_fails(sim, "bus/pci/drivers_probe", "0000:99:00.0", ENODEV);
}

Test(sim_kernel, drivers_probe_leaves_device_unbound_when_override_driver_is_not_loaded)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *driver = NULL;

    gp_sim_remove_driver(sim, "vfio-pci");
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GPU0));
    driver = gp_sim_driver(sim, GPU0);
    cr_assert_null(driver);
}

Test(sim_kernel, vfio_pci_gives_a_bound_device_its_vfio_dev_character_device)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *cdev = gp_sim_path(sim, "bus/pci/devices/" GPU0 "/vfio-dev/vfio0");
    g_autofree char *klass = gp_sim_path(sim, "class/vfio-dev/vfio0");

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GPU0));
    cr_assert(g_file_test(cdev, G_FILE_TEST_IS_DIR));
    cr_assert(g_file_test(klass, G_FILE_TEST_IS_DIR));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/unbind", GPU0));
    cr_assert_not(g_file_test(cdev, G_FILE_TEST_EXISTS));
    cr_assert_not(g_file_test(klass, G_FILE_TEST_EXISTS));
}

Test(sim_kernel, vfio_pci_probe_fails_without_an_iommu_group)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_no_iommu();
    g_autofree char *driver = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0));
    assert_write_fails(sim, "bus/pci/drivers/vfio-pci/bind", GPU0, EINVAL);
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GPU0));
    driver = gp_sim_driver(sim, GPU0);
    cr_assert_null(driver);
}

Test(sim_kernel, empty_write_changes_nothing_and_newline_clears_the_override)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *kept = NULL;
    g_autofree char *cleared = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", ""));
    kept = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/driver_override");
    cr_assert_str_eq(kept, "vfio-pci", "a zero-length write never reaches the store method");
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/driver_override", "\n"));
    cleared = gp_sim_read(sim, "bus/pci/devices/" GPU0 "/driver_override");
    cr_assert_str_eq(cleared, "(null)");
}

Test(sim_kernel, writes_to_read_only_attributes_fail_with_eacces)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();

    assert_write_fails(sim, "bus/pci/devices/" GPU0 "/vendor", "0x8086", EACCES);
    assert_write_fails(sim, "bus/pci/devices/" GPU0 "/resource", "0", EACCES);
}

Test(sim_kernel, new_id_binds_matching_unbound_devices)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *d0 = NULL;
    g_autofree char *d1 = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/new_id", "10de 20b5"));
    d0 = gp_sim_driver(sim, GPU0);
    d1 = gp_sim_driver(sim, GP_SIM_DC_GPU1);
    cr_assert_str_eq(d0, "vfio-pci");
    cr_assert_str_eq(d1, "nvidia");
    assert_write_fails(sim, "bus/pci/drivers/vfio-pci/new_id", "10de 20b5", EEXIST);
}

#define PF GP_SIM_SRIOV_GPU
#define PFREL "bus/pci/devices/" PF

Test(sim_sriov, sriov_numvfs_creates_vfs_with_links_groups_and_driver)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autofree char *numvfs = NULL;
    g_autofree char *physfn = gp_sim_path(sim, "bus/pci/devices/0000:c1:00.4/physfn");
    g_autofree char *physfn_target = NULL;
    g_autofree char *virtfn3 = gp_sim_path(sim, PFREL "/virtfn3");
    g_autofree char *virtfn3_target = NULL;
    g_autofree char *vf_driver = NULL;
    g_autofree char *vf_device = NULL;
    g_autofree char *vf_res = NULL;

    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "4"));
    numvfs = gp_sim_read(sim, PFREL "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "4");
    physfn_target = g_file_read_link(physfn, NULL);
    cr_assert_str_eq(physfn_target, "../" PF);
    virtfn3_target = g_file_read_link(virtfn3, NULL);
    cr_assert_str_eq(virtfn3_target, "../0000:c1:00.7");
    vf_driver = gp_sim_driver(sim, "0000:c1:00.4");
    cr_assert_str_eq(vf_driver, "nvidia");
    vf_device = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/device");
    cr_assert_str_eq(vf_device, "0x26b9");
    vf_res = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/resource");
    cr_assert(g_str_has_prefix(vf_res, "0x0000000062000000 0x0000000062ffffff"),
              "VF 1 BAR0 follows VF 0's: %s", vf_res);
    cr_assert_gt(gp_sim_iommu_group(sim, "0000:c1:00.4"), gp_sim_iommu_group(sim, PF));
    cr_assert_neq(gp_sim_iommu_group(sim, "0000:c1:00.4"), gp_sim_iommu_group(sim, "0000:c1:00.5"));
}

Test(sim_sriov, vfs_past_function_7_take_the_next_slots)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autofree char *last = gp_sim_path(sim, "bus/pci/devices/0000:c1:02.3");

    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "16"));
    cr_assert(g_file_test(last, G_FILE_TEST_IS_DIR));
}

Test(sim_sriov, sriov_numvfs_refuses_a_change_while_enabled_and_out_of_range)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autofree char *numvfs = NULL;

    assert_write_fails(sim, PFREL "/sriov_numvfs", "17", ERANGE);
    assert_write_fails(sim, PFREL "/sriov_numvfs", "two", EINVAL);
    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "2"));
    assert_write_fails(sim, PFREL "/sriov_numvfs", "3", EBUSY);
    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "2"), "same count is a no-op");
    numvfs = gp_sim_read(sim, PFREL "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "2", "a failed write leaves the value");
}

Test(sim_sriov, sriov_numvfs_needs_a_pf_driver)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();

    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", PF));
    assert_write_fails(sim, PFREL "/sriov_numvfs", "2", ENOENT);
    cr_assert(gp_sim_write(sim, PFREL "/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", PF));
    assert_write_fails(sim, PFREL "/sriov_numvfs", "2", ENOENT);
}

Test(sim_sriov, sriov_numvfs_zero_removes_vfs_links_and_groups)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "3"));
    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "0"));
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(before, after);
}

Test(sim_sriov, freed_group_numbers_are_handed_out_again_like_the_kernel_ida)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    int first;

    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "2"));
    first = gp_sim_iommu_group(sim, "0000:c1:00.4");
    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "0"));
    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "1"));
    cr_assert_eq(gp_sim_iommu_group(sim, "0000:c1:00.4"), first);
}

Test(sim_sriov, autoprobe_off_leaves_vfs_unbound)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *driver = NULL;
    g_autofree char *last = gp_sim_path(sim, "bus/pci/devices/0000:4d:00.7");

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU
                                "/sriov_drivers_autoprobe", "0"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "7"));
    driver = gp_sim_driver(sim, "0000:4d:00.1");
    cr_assert_null(driver);
    cr_assert(g_file_test(last, G_FILE_TEST_IS_DIR));
}

Test(sim_sriov, vgpu_type_takes_framebuffer_and_creatable_list_shrinks)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autofree char *list0 = NULL;
    g_autofree char *list1 = NULL;
    g_autofree char *list_taken = NULL;
    g_autofree char *cur = NULL;

    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "4"));
    list0 = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/creatable_vgpu_types");
    cr_assert(strstr(list0, "1161  : NVIDIA L40S-48Q"), "%s", list0);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type", "1160"));
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_assert_str_eq(cur, "1160");
    list_taken = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/creatable_vgpu_types");
    cr_assert_str_eq(list_taken, "ID    : vGPU Name");
    /* 24 GiB left, homogeneous: only another 24Q fits. */
    list1 = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/nvidia/creatable_vgpu_types");
    cr_assert_str_eq(list1, "ID    : vGPU Name\n1160  : NVIDIA L40S-24Q");
    assert_write_fails(sim, "bus/pci/devices/0000:c1:00.5/nvidia/current_vgpu_type", "1155",
                       EINVAL);
    assert_write_fails(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type", "1160",
                       EBUSY);
    g_free(cur);
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_assert_str_eq(cur, "1160");
    cr_assert(gp_sim_write(sim, "bus/pci/devices/0000:c1:00.5/nvidia/current_vgpu_type", "1160"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type", "0"));
    g_free(list1);
    list1 = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.6/nvidia/creatable_vgpu_types");
    cr_assert_str_eq(list1, "ID    : vGPU Name\n1160  : NVIDIA L40S-24Q");
}

Test(sim_sriov, a_vf_leaving_the_nvidia_driver_frees_its_framebuffer)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autofree char *full = NULL;
    g_autofree char *freed = NULL;

    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "2"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type", "1161"));
    full = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/nvidia/creatable_vgpu_types");
    cr_assert_str_eq(full, "ID    : vGPU Name");
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", "0000:c1:00.4"));
    freed = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/nvidia/creatable_vgpu_types");
    cr_assert(strstr(freed, "1161  : NVIDIA L40S-48Q"), "%s", freed);
}

#define MDEV_TYPES "bus/pci/devices/" GP_SIM_MDEV_GPU "/mdev_supported_types/"

Test(sim_mdev, create_and_remove_move_available_instances)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autofree char *mbochs = gp_sim_path(sim, "class/mdev_bus/mbochs");
    g_autofree char *resolved = realpath(mbochs, NULL);
    g_autofree char *expect = gp_sim_path(sim, "devices/virtual/mbochs/mbochs");
    g_autofree char *large = NULL;
    g_autofree char *small = NULL;
    g_autofree char *type = NULL;
    g_autofree char *bus = NULL;
    g_autofree char *bus_target = NULL;

    cr_assert_str_eq(resolved, expect);
    large = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-large/available_instances");
    cr_assert_str_eq(large, "8");
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-large", UUID1));
    g_free(large);
    large = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-large/available_instances");
    small = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-small/available_instances");
    cr_assert_str_eq(large, "7");
    cr_assert_str_eq(small, "112");
    bus = gp_sim_path(sim, "bus/mdev/devices/" UUID1);
    bus_target = g_file_read_link(bus, NULL);
    cr_assert_str_eq(bus_target, "../../../devices/virtual/mbochs/mbochs/" UUID1);
    type = gp_sim_path(sim, "bus/mdev/devices/" UUID1 "/mdev_type");
    {
        g_autofree char *t = g_file_read_link(type, NULL);

        cr_assert_str_eq(t, "../mdev_supported_types/mbochs-large");
    }
    cr_assert(gp_sim_write(sim, "bus/mdev/devices/" UUID1 "/remove", "1"));
    g_free(large);
    large = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-large/available_instances");
    cr_assert_str_eq(large, "8");
    cr_assert_not(g_file_test(bus, G_FILE_TEST_EXISTS));
}

Test(sim_mdev, create_exhausts_with_enospc_and_homogeneous_parent_hides_other_types)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *q8 = NULL;
    g_autofree char *q1 = NULL;

    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-225", UUID1));
    q1 = gp_sim_read(sim, MDEV_TYPES "nvidia-222/available_instances");
    q8 = gp_sim_read(sim, MDEV_TYPES "nvidia-225/available_instances");
    cr_assert_str_eq(q1, "0");
    cr_assert_str_eq(q8, "1");
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-225", UUID2));
    g_free(q8);
    q8 = gp_sim_read(sim, MDEV_TYPES "nvidia-225/available_instances");
    cr_assert_str_eq(q8, "0");
    assert_write_fails(sim, MDEV_TYPES "nvidia-225/create",
                       "11111111-2222-3333-4444-555555555555", ENOSPC);
}

Test(sim_mdev, create_rejects_malformed_and_duplicate_uuids)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    const char *create = "class/mdev_bus/mbochs/mdev_supported_types/mbochs-small/create";

    assert_write_fails(sim, create, "not-a-uuid", EINVAL);
    cr_assert(gp_sim_write(sim, create, UUID1 "\n"));
    assert_write_fails(sim, create, UUID1, EEXIST);
}

Test(sim_mdev, unbinding_the_parent_driver_removes_its_types_and_mdevs)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *types = gp_sim_path(sim, MDEV_TYPES);
    g_autofree char *mdev = gp_sim_path(sim, "bus/mdev/devices/" UUID1);

    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-222", UUID1));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GP_SIM_MDEV_GPU));
    cr_assert_not(g_file_test(types, G_FILE_TEST_EXISTS));
    cr_assert_not(g_file_test(mdev, G_FILE_TEST_EXISTS));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/bind", GP_SIM_MDEV_GPU));
    cr_assert(g_file_test(types, G_FILE_TEST_IS_DIR));
}

Test(sim_snapshot, equal_when_nothing_changed_and_different_after_a_bind_change)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *a = gp_sim_snapshot(sim);
    g_autofree char *b = gp_sim_snapshot(sim);
    g_autofree char *c = NULL;

    cr_assert_str_eq(a, b);
    cr_assert(strstr(a, "b devices/pci0000:00/0000:00:01.0/" GPU0 "/config 4096 sha256:"));
    cr_assert(strstr(a, "l bus/pci/devices/" GPU0 " -> ../../../devices/pci0000:00/0000:00:01.0/" GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GPU0));
    c = gp_sim_snapshot(sim);
    cr_assert_str_neq(a, c);
}

static struct pci_dev *
find_dev(struct pci_access *pacc, guint bus, guint slot, guint func)
{
    struct pci_dev *dev;

    for (dev = pacc->devices; dev; dev = dev->next) {
        if (dev->domain == 0 && dev->bus == bus && dev->dev == slot && dev->func == func)
            return dev;
    }
    return NULL;
}

static struct pci_access *
open_libpci(GpSim *sim)
{
    struct pci_access *pacc = pci_alloc();
    g_autofree char *path = gp_sim_path(sim, "bus/pci");

    pacc->method = PCI_ACCESS_SYS_BUS_PCI;
    pci_set_param(pacc, "sysfs.path", path);
    pci_init(pacc);
    pci_scan_bus(pacc);
    return pacc;
}

Test(sim_libpci, libpci_reads_bar_sizes_and_64bit_prefetch_flags)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    struct pci_access *pacc = open_libpci(sim);
    struct pci_dev *gpu = find_dev(pacc, 0x41, 0, 0);

    cr_assert_not_null(gpu);
    pci_fill_info(gpu, PCI_FILL_IDENT | PCI_FILL_BASES | PCI_FILL_SIZES | PCI_FILL_CLASS);
    cr_assert_eq(gpu->vendor_id, 0x10de);
    cr_assert_eq(gpu->device_id, 0x20b5);
    cr_assert_eq(gpu->device_class, 0x0302);
    cr_assert_eq(gpu->size[0], 16 << 20);
    cr_assert_eq(gpu->size[1], G_GUINT64_CONSTANT(128) << 30);
    cr_assert_eq(gpu->size[3], 32 << 20);
    cr_assert_eq(gpu->base_addr[0] & PCI_BASE_ADDRESS_MEM_TYPE_MASK, PCI_BASE_ADDRESS_MEM_TYPE_32);
    cr_assert_eq(gpu->base_addr[1] & PCI_BASE_ADDRESS_MEM_TYPE_MASK, PCI_BASE_ADDRESS_MEM_TYPE_64);
    cr_assert(gpu->base_addr[1] & PCI_BASE_ADDRESS_MEM_PREFETCH);
    cr_assert_not(gpu->base_addr[0] & PCI_BASE_ADDRESS_MEM_PREFETCH);
    pci_cleanup(pacc);
}

Test(sim_libpci, libpci_finds_express_and_sriov_capabilities)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    struct pci_access *pacc = open_libpci(sim);
    struct pci_dev *pf = find_dev(pacc, 0xc1, 0, 0);
    struct pci_dev *port = find_dev(pacc, 0x00, 1, 0);
    struct pci_cap *exp, *sriov;

    cr_assert_not_null(pf);
    cr_assert_not_null(port);
    pci_fill_info(pf, PCI_FILL_IDENT | PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
    exp = pci_find_cap(pf, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
    cr_assert_not_null(exp);
    cr_assert_eq((pci_read_word(pf, exp->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4,
                 PCI_EXP_TYPE_ENDPOINT);
    sriov = pci_find_cap(pf, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED);
    cr_assert_not_null(sriov);
    cr_assert_eq(pci_read_word(pf, sriov->addr + PCI_IOV_TOTALVF), 16);
    cr_assert_eq(pci_read_word(pf, sriov->addr + PCI_IOV_DID), 0x26b9);
    cr_assert_eq(pci_read_word(pf, sriov->addr + PCI_IOV_OFFSET), 4);
    cr_assert_eq(pci_read_word(pf, sriov->addr + PCI_IOV_STRIDE), 1);
    pci_fill_info(port, PCI_FILL_IDENT | PCI_FILL_CAPS | PCI_FILL_CLASS);
    cr_assert_eq(port->device_class, 0x0604);
    cr_assert_eq(pci_read_byte(port, PCI_SECONDARY_BUS), 0xc1);
    exp = pci_find_cap(port, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
    cr_assert_eq((pci_read_word(port, exp->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4,
                 PCI_EXP_TYPE_ROOT_PORT);
    pci_cleanup(pacc);
}

Test(sim_libpci, conventional_pci_device_has_no_express_capability)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    struct pci_access *pacc = open_libpci(sim);
    struct pci_dev *vga = find_dev(pacc, 0x03, 0, 0);

    cr_assert_not_null(vga);
    pci_fill_info(vga, PCI_FILL_IDENT | PCI_FILL_CAPS);
    cr_assert_null(pci_find_cap(vga, PCI_CAP_ID_EXP, PCI_CAP_NORMAL));
    cr_assert_not_null(pci_find_cap(vga, PCI_CAP_ID_PM, PCI_CAP_NORMAL));
    pci_cleanup(pacc);
}

static char *
lspci(GpSim *sim, const char *slot)
{
    g_autofree char *lspci_path = g_find_program_in_path("lspci");
    g_autofree char *param = NULL;
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    int status = -1;

    if (!lspci_path)
        return NULL;
    param = g_strdup_printf("sysfs.path=%s/bus/pci", gp_sim_root(sim));
    {
        const char *argv[] = {
            lspci_path, "-A", "linux-sysfs", "-O", param, "-vvv", "-s", slot, NULL,
        };

        cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, &out, NULL, &status, &error),
                  "lspci: %s", error ? error->message : "");
    }
    cr_assert_eq(status, 0);
    return g_steal_pointer(&out);
}

Test(sim_libpci, lspci_shows_the_fixture_as_on_a_real_host)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *gpu = lspci(sim, "41:00.0");
    g_autofree char *vga = NULL;

    if (!gpu)
        cr_skip_test("lspci (pciutils) is not installed");
    cr_assert(strstr(gpu, "3D controller: NVIDIA"), "%s", gpu);
    cr_assert(strstr(gpu, "(32-bit, non-prefetchable) [size=16M]"), "%s", gpu);
    cr_assert(strstr(gpu, "(64-bit, prefetchable) [size=128G]"), "%s", gpu);
    cr_assert(strstr(gpu, "(64-bit, prefetchable) [size=32M]"), "%s", gpu);
    cr_assert(strstr(gpu, "Express (v2) Endpoint"), "%s", gpu);
    cr_assert(strstr(gpu, "IOMMU group: 1"), "%s", gpu);
    cr_assert(strstr(gpu, "NUMA node: 0"), "%s", gpu);
    cr_assert(strstr(gpu, "Kernel driver in use: nvidia"), "%s", gpu);
    vga = lspci(sim, "03:00.0");
    cr_assert(strstr(vga, "VGA compatible controller: ASPEED"), "%s", vga);
    cr_assert(strstr(vga, "I/O ports at"), "%s", vga);
    cr_assert_null(strstr(vga, "Express"), "conventional PCI: %s", vga);
}

Test(sim_libpci, lspci_decodes_the_sriov_capability_and_vfs)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autofree char *pf = NULL;
    g_autofree char *vf = NULL;

    cr_assert(gp_sim_write(sim, PFREL "/sriov_numvfs", "2"));
    pf = lspci(sim, "c1:00.0");
    if (!pf)
        cr_skip_test("lspci (pciutils) is not installed");
    cr_assert(strstr(pf, "Single Root I/O Virtualization (SR-IOV)"), "%s", pf);
    cr_assert(strstr(pf, "Total VFs: 16, Number of VFs: 2"), "%s", pf);
    cr_assert(strstr(pf, "VF offset: 4, stride: 1, Device ID: 26b9"), "%s", pf);
    vf = lspci(sim, "c1:00.5");
    cr_assert(strstr(vf, "[virtual] [size=4G]"), "%s", vf);
}

Test(sim_run, runs_the_built_gpupool_against_the_simulated_host)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *argv[] = { "gpupool", "devices", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *path = gp_sim_gpupool_path();
    int status = -1;

    if (!g_file_test(path, G_FILE_TEST_IS_EXECUTABLE))
        cr_skip_test("%s is not built", path);
    cr_assert(gp_sim_run(sim, argv, &out, &err, &status));
    cr_assert_eq(status, 0, "stderr: %s", err);
    cr_assert(strstr(out, GPU0), "%s", out);
}

Test(sim_run, child_with_preload_reacts_like_the_kernel)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *unbind[] = {
        "/bin/sh", "-c", "echo " GPU0 " > \"$GPUPOOL_SYSFS_ROOT/bus/pci/drivers/nvidia/unbind\"",
        NULL,
    };
    const char *again[] = {
        "/bin/sh", "-c", "echo " GPU0 " > \"$GPUPOOL_SYSFS_ROOT/bus/pci/drivers/nvidia/unbind\"",
        NULL,
    };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *err2 = NULL;
    g_autofree char *driver = NULL;
    int status = -1;

    cr_assert(gp_sim_run(sim, unbind, &out, &err, &status));
    cr_assert_eq(status, 0, "stderr: %s", err);
    driver = gp_sim_driver(sim, GPU0);
    cr_assert_null(driver, "the child's write unbound the GPU");
    cr_assert(gp_sim_run(sim, again, NULL, &err2, &status));
    /* dash reports any failed write as "I/O error"; what matters is that
     * the simulated kernel refused the second unbind. */
    cr_assert_neq(status, 0, "unbinding an unbound device must fail");
}

/* ---- Devices that break or vanish --------------------------------------- */

/* Can REL be read on SIM's host? */
static gboolean
sim_has(GpSim *sim, const char *rel)
{
    g_autofree char *value = gp_sim_read(sim, rel);

    return value != NULL;
}

Test(sim_hotplug, remove_lets_the_driver_go_and_rescan_brings_the_device_back_on_its_own)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *group_link = NULL;
    g_autofree char *driver = NULL;
    g_autofree char *override = NULL;

    /* On vfio-pci by override, as a pool device is. */
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/driver_override",
                           "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GP_SIM_DC_GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GP_SIM_DC_GPU0));
    driver = gp_sim_driver(sim, GP_SIM_DC_GPU0);
    cr_assert_str_eq(driver, "vfio-pci");
    g_clear_pointer(&driver, g_free);

    cr_assert(gp_sim_pci_remove(sim, GP_SIM_DC_GPU0));
    cr_assert_not(sim_has(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/vendor"));
    cr_assert_not(sim_has(sim, "bus/pci/drivers/vfio-pci/" GP_SIM_DC_GPU0 "/vendor"),
                  "the driver let it go");
    cr_assert_eq(gp_sim_iommu_group(sim, GP_SIM_DC_GPU0), -1);
    cr_assert(sim_has(sim, "bus/pci/devices/" GP_SIM_DC_GPU1 "/vendor"), "the other GPU stays");

    cr_assert(gp_sim_pci_rescan(sim));
    override = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/driver_override");
    cr_assert_str_eq(override, "(null)", "a new pci_dev has no override");
    driver = gp_sim_driver(sim, GP_SIM_DC_GPU0);
    cr_assert_str_eq(driver, "nvidia", "probed by its native driver");
    cr_assert_geq(gp_sim_iommu_group(sim, GP_SIM_DC_GPU0), 0);
    group_link = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/subsystem");
    cr_assert(g_file_test(group_link, G_FILE_TEST_IS_DIR), "links are whole again");
}

Test(sim_hotplug, remove_0_does_nothing_and_a_pf_with_vfs_is_not_simulated)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/remove", "0"));
    cr_assert(sim_has(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/vendor"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "2"));
    cr_assert_not(gp_sim_pci_remove(sim, GP_SIM_INTEL_SRIOV_GPU));
    cr_assert_eq(errno, EINVAL);
    cr_assert(sim_has(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/vendor"));
}

Test(sim_hotplug, a_dead_device_reads_all_ones_but_keeps_the_ids_read_at_enumeration)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *path = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/config");
    g_autofree char *config = NULL;
    g_autofree char *vendor = NULL;
    gsize len = 0;

    cr_assert(gp_sim_pci_set_dead(sim, GP_SIM_DC_GPU0));
    cr_assert(g_file_get_contents(path, &config, &len, NULL));
    cr_assert_geq(len, 64);
    for (gsize i = 0; i < len; i++)
        cr_assert_eq((guint8)config[i], 0xff, "byte %zu", i);
    vendor = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/vendor");
    cr_assert_str_eq(vendor, "0x10de");
}

Test(sim_hotplug, reset_method_is_shown_as_the_kernel_does)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autofree char *gpu = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_WS_GPU "/reset_method");
    g_autofree char *legacy = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_WS_LEGACY_GPU
                                               "/reset_method");

    cr_assert_str_eq(gpu, "flr bus");
    cr_assert_str_eq(legacy, "bus", "conventional PCI behind a bridge: a bus reset");
}
