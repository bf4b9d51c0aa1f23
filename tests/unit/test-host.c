/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host model: scanning, lookup, IOMMU groups, and the status rules
 * that decide whether a device can be passed through or partitioned. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <glib/gstdio.h>

#include "base/pciaddr.h"
#include "base/sysfs.h"
#include "host/host.h"
#include "host-fixtures.h"
#include "sim.h"

/* Status of ADDRESS; *REASON gets the explanation (freed by the caller). */
static GpDevStatus
assess(const char *address, GHashTable *pool_of, const char *pool, char **reason)
{
    return gp_host_assess(host, dev(address), pool_of, pool, reason);
}

static void datacenter(void) { start(gp_sim_fixture_datacenter); }
static void workstation(void) { start(gp_sim_fixture_workstation); }
static void no_iommu(void) { start(gp_sim_fixture_no_iommu); }

/* A PCIe GPU and a NIC that the platform put in one IOMMU group (no ACS
 * on the switch): 0000:01:00.0 GPU, 0000:01:00.1 its audio, 0000:03:00.0
 * a NIC behind another port but in the GPU's group. */
static void
shared_group(void)
{
    GpSimPciSpec gpu = {
        .addr = "0000:01:00.0", .parent = "0000:00:01.0", .vendor = 0x10de,
        .device = 0x2684, .class_code = 0x030000, .driver = "nvidia",
        .multifunction = TRUE, .bars = { { 16 << 20 }, { 256 << 20, TRUE, TRUE } },
    };
    GpSimPciSpec audio = {
        .addr = "0000:01:00.1", .parent = "0000:00:01.0", .vendor = 0x10de,
        .device = 0x22ba, .class_code = 0x040300, .driver = "snd_hda_intel",
        .group_with = "0000:01:00.0", .bars = { { 16 << 10 } },
    };
    GpSimPciSpec nic = {
        .addr = "0000:03:00.0", .parent = "0000:00:02.0", .vendor = 0x8086,
        .device = 0x1533, .class_code = 0x020000, .driver = "e1000e",
        .group_with = "0000:01:00.0", .bars = { { 128 << 10 } },
    };

    use_test_pci_ids();
    sim = gp_sim_new();
    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "pcieport");
    gp_sim_add_driver(sim, "nvidia");
    gp_sim_add_driver(sim, "snd_hda_intel");
    gp_sim_add_driver(sim, "e1000e");
    gp_sim_add_root_port(sim, "0000:00:01.0", 1);
    gp_sim_add_root_port(sim, "0000:00:02.0", 3);
    gp_sim_add_pci(sim, &gpu);
    gp_sim_add_pci(sim, &audio);
    gp_sim_add_pci(sim, &nic);
    scan();
}

static GHashTable *
pools(const char *first_addr, ...)
{
    GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    va_list ap;

    va_start(ap, first_addr);
    for (const char *addr = first_addr; addr; addr = va_arg(ap, const char *))
        g_hash_table_insert(table, g_strdup(addr), g_strdup(va_arg(ap, const char *)));
    va_end(ap);
    return table;
}

Test(host, datacenter_gpus_are_ready_for_passthrough, .init = datacenter, .fini = teardown)
{
    g_autofree char *reason0 = NULL;
    g_autofree char *reason1 = NULL;

    cr_assert(gp_host_has_iommu(host));
    cr_assert_eq(assess(GP_SIM_DC_GPU0, NULL, NULL, &reason0), GP_DEV_STATUS_READY);
    cr_assert_null(reason0, "nothing to say about a GPU alone in its group: %s", reason0);
    cr_assert_eq(assess(GP_SIM_DC_GPU1, NULL, NULL, &reason1), GP_DEV_STATUS_READY);
}

Test(host, status_strings_are_the_ones_admins_know)
{
    cr_assert_str_eq(gp_dev_status_to_string(GP_DEV_STATUS_READY), "ready for passthrough");
    cr_assert_str_eq(gp_dev_status_to_string(GP_DEV_STATUS_PARTITIONABLE), "partitionable");
    cr_assert_str_eq(gp_dev_status_to_string(GP_DEV_STATUS_SRIOV_DISABLED),
                     "partition driver present but SR-IOV disabled");
    cr_assert_str_eq(gp_dev_status_to_string(GP_DEV_STATUS_NOT_ASSIGNABLE), "not assignable");
}

Test(host, devices_are_sorted_by_address, .init = datacenter, .fini = teardown)
{
    GPtrArray *devices = gp_host_devices(host);

    cr_assert_gt(devices->len, 5);
    for (guint i = 1; i < devices->len; i++) {
        const GpPciDev *a = devices->pdata[i - 1];
        const GpPciDev *b = devices->pdata[i];

        cr_assert_lt(gp_pci_addr_compare(&a->addr, &b->addr), 0, "%s before %s",
                     a->address, b->address);
    }
}

Test(host, workstation_gpu_is_ready_and_joins_with_its_audio_function,
     .init = workstation, .fini = teardown)
{
    g_autofree char *reason = NULL;
    g_autoptr(GPtrArray) peers = gp_host_group_peers(host, dev(GP_SIM_WS_GPU));

    cr_assert_eq(peers->len, 1);
    cr_assert_str_eq(((GpPciDev *)peers->pdata[0])->address, GP_SIM_WS_GPU_AUDIO);
    cr_assert_eq(assess(GP_SIM_WS_GPU, NULL, NULL, &reason), GP_DEV_STATUS_READY);
    cr_assert_str_eq(reason, "joins with 0000:01:00.1 (audio)");
}

Test(host, conventional_gpu_behind_bridge_is_not_assignable_and_names_the_nic,
     .init = workstation, .fini = teardown)
{
    g_autofree char *reason = NULL;

    cr_assert_eq(assess(GP_SIM_WS_LEGACY_GPU, NULL, NULL, &reason),
                 GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(strstr(reason, "conventional PCI device behind bridge 0000:02:00.0"), "%s", reason);
    cr_assert(strstr(reason, "(IOMMU group 4 also holds 0000:03:01.0 (Ethernet controller, "
                             "driver e1000e)); use a PCI Express slot"), "%s", reason);
}

/* The kernel gives such a device its own requester ID and group: only
 * PCIe-to-PCI and PCI bridges take over their devices' IDs.  (Emulated
 * hosts put conventional devices there, hardware cannot.) */
Test(host, conventional_device_right_below_a_root_port_is_isolated_and_ready,
     .init = datacenter, .fini = teardown)
{
    GpSimPciSpec spec = {
        .addr = "0000:06:00.0", .parent = "0000:00:1d.0", .kind = GP_SIM_PCI_ENDPOINT,
        .vendor = 0x1af4, .device = 0x1110, .class_code = 0x050000,
        .bars = { [2] = { .size = 1ULL << 30, .is_64bit = TRUE, .prefetchable = TRUE } },
    };
    g_autofree char *reason = NULL;

    gp_sim_add_root_port(sim, "0000:00:1d.0", 6);
    gp_sim_add_pci(sim, &spec);
    scan();
    cr_assert(dev("0000:00:1d.0")->is_pcie_port);
    cr_assert_not(dev("0000:06:00.0")->is_pcie);
    cr_assert_eq(gp_host_assess(host, dev("0000:06:00.0"), NULL, NULL, &reason),
                 GP_DEV_STATUS_READY, "%s", reason ? reason : "");
}

Test(host, boot_vga_igpu_in_use_by_console_is_not_assignable,
     .init = workstation, .fini = teardown)
{
    g_autofree char *reason = NULL;

    cr_assert_eq(assess(GP_SIM_WS_IGPU, NULL, NULL, &reason), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(g_str_has_prefix(reason, "boot VGA in use by the host console (driver i915)"),
              "%s", reason);
}

Test(host, boot_vga_bound_to_vfio_pci_is_no_longer_the_console,
     .init = workstation, .fini = teardown)
{
    gp_sim_add_driver(sim, "vfio-pci");
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_WS_IGPU "/driver/unbind", GP_SIM_WS_IGPU));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_WS_IGPU "/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GP_SIM_WS_IGPU));
    scan();
    cr_assert_str_eq(dev(GP_SIM_WS_IGPU)->driver, "vfio-pci");
    cr_assert_eq(assess(GP_SIM_WS_IGPU, NULL, NULL, NULL), GP_DEV_STATUS_READY);
}

Test(host, accelerator_without_driver_is_ready, .init = workstation, .fini = teardown)
{
    cr_assert_null(dev(GP_SIM_WS_ACCEL)->driver);
    cr_assert_eq(assess(GP_SIM_WS_ACCEL, NULL, NULL, NULL), GP_DEV_STATUS_READY);
}

Test(host, bridges_and_root_ports_are_not_assignable, .init = workstation, .fini = teardown)
{
    g_autofree char *reason = NULL;

    cr_assert_eq(assess("0000:00:01.0", NULL, NULL, &reason), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(strstr(reason, "bridge or switch port"), "%s", reason);
    cr_assert_eq(assess(GP_SIM_WS_LEGACY_BRIDGE, NULL, NULL, NULL), GP_DEV_STATUS_NOT_ASSIGNABLE);
}

Test(host, without_iommu_nothing_is_assignable_and_the_fix_is_named,
     .init = no_iommu, .fini = teardown)
{
    GPtrArray *devices = gp_host_devices(host);

    cr_assert(!gp_host_has_iommu(host));
    cr_assert_eq(gp_host_iommu_group_count(host), 0);
    for (guint i = 0; i < devices->len; i++) {
        const GpPciDev *d = devices->pdata[i];
        g_autofree char *reason = NULL;

        cr_assert_eq(gp_host_assess(host, d, NULL, NULL, &reason), GP_DEV_STATUS_NOT_ASSIGNABLE,
                     "%s", d->address);
        if (!d->is_bridge)
            cr_assert_str_eq(reason, "no IOMMU: enable VT-d/AMD-Vi in firmware and boot "
                             "with intel_iommu=on or amd_iommu=on");
    }
}

Test(host, device_without_iommu_group_is_not_assignable, .init = datacenter, .fini = teardown)
{
    g_autofree char *link = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/iommu_group");
    g_autofree char *reason = NULL;

    /* A device the IOMMU does not cover (the kernel made no group). */
    cr_assert_eq(unlink(link), 0, "%s: %s", link, g_strerror(errno));
    scan();
    cr_assert_eq(assess(GP_SIM_DC_GPU0, NULL, NULL, &reason), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(g_str_has_prefix(reason, "no IOMMU group"), "%s", reason);
}

Test(host, group_shared_with_nic_outside_the_pool_is_not_assignable_and_names_it,
     .init = shared_group, .fini = teardown)
{
    g_autoptr(GHashTable) pool_of = pools("0000:01:00.0", "gpus", NULL);
    g_autofree char *listing = NULL;
    g_autofree char *joining = NULL;

    cr_assert_eq(assess("0000:01:00.0", NULL, NULL, &listing), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(strstr(listing, "IOMMU group"), "%s", listing);
    cr_assert(strstr(listing, "0000:03:00.0 (Ethernet controller, driver e1000e), "
                              "which is not in the same pool"), "%s", listing);

    cr_assert_eq(assess("0000:01:00.0", pool_of, NULL, &joining), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(strstr(joining, "0000:03:00.0 (Ethernet controller, driver e1000e), "
                              "which is not in pool gpus"), "%s", joining);
    cr_assert(strstr(joining, "put it in pool gpus together with this device"), "%s", joining);
}

Test(host, group_peer_in_the_same_pool_does_not_count, .init = shared_group, .fini = teardown)
{
    g_autoptr(GHashTable) pool_of = pools("0000:03:00.0", "gpus", NULL);
    g_autofree char *reason = NULL;

    cr_assert_eq(assess("0000:01:00.0", pool_of, "gpus", &reason), GP_DEV_STATUS_READY);
    /* The group goes to a guest whole: the note names every endpoint. */
    cr_assert_str_eq(reason, "joins with 0000:01:00.1 (audio), "
                             "0000:03:00.0 (Ethernet controller, same IOMMU group)");
}

Test(host, group_peer_in_another_pool_names_that_pool, .init = shared_group, .fini = teardown)
{
    g_autoptr(GHashTable) pool_of = pools("0000:03:00.0", "nics", NULL);
    g_autofree char *reason = NULL;

    cr_assert_eq(assess("0000:01:00.0", pool_of, "gpus", &reason), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(strstr(reason, "which is in pool nics, not in pool gpus"), "%s", reason);
}

Test(host, companion_in_another_pool_is_refused, .init = shared_group, .fini = teardown)
{
    g_autoptr(GHashTable) pool_of = pools("0000:01:00.1", "audio", "0000:03:00.0", "gpus", NULL);
    g_autofree char *reason = NULL;

    cr_assert_eq(assess("0000:01:00.0", pool_of, "gpus", &reason), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(strstr(reason, "0000:01:00.1 (audio), a function of the same card, is in pool audio"),
              "%s", reason);
}

static void switched(void) { start(gp_sim_fixture_switch); }

/* Two cards behind one switch without ACS: one IOMMU group, which a guest
 * gets whole, so each card is assignable with the other joining it. */
Test(host, group_endpoints_in_other_slots_join_together_and_the_note_names_them_all,
     .init = switched, .fini = teardown)
{
    g_autofree char *listing = NULL;
    g_autofree char *joining = NULL;
    g_autoptr(GHashTable) pool_of = pools(GP_SIM_SW_GPU1, "gpus", NULL);

    cr_assert_eq(assess(GP_SIM_SW_GPU0, NULL, NULL, &listing), GP_DEV_STATUS_READY);
    cr_assert_str_eq(listing, "joins with 0000:03:00.1 (audio), "
                              "0000:04:00.0 (VGA compatible controller, same IOMMU group), "
                              "0000:04:00.1 (Audio device, same IOMMU group)");
    cr_assert_eq(assess(GP_SIM_SW_GPU0, pool_of, "gpus", &joining), GP_DEV_STATUS_READY);
    cr_assert(strstr(joining, "0000:04:00.0 (VGA compatible controller, same IOMMU group)"),
              "%s", joining);
}

Test(host, group_endpoint_in_another_pool_makes_the_card_not_assignable,
     .init = switched, .fini = teardown)
{
    g_autoptr(GHashTable) pool_of = pools(GP_SIM_SW_GPU1, "render", NULL);
    g_autofree char *reason = NULL;

    cr_assert_eq(assess(GP_SIM_SW_GPU0, pool_of, "gpus", &reason), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(strstr(reason, "IOMMU group 2 is shared with 0000:04:00.0 (VGA compatible "
                             "controller, driver nvidia), which is in pool render, not in pool "
                             "gpus"), "%s", reason);
}

Test(host, group_peer_that_is_the_console_makes_the_device_not_assignable, .fini = teardown)
{
    GpSimPciSpec vga = {
        .addr = "0000:03:00.0", .parent = "0000:00:01.0", .vendor = 0x10de,
        .device = 0x2230, .class_code = 0x030000, .driver = "nvidia", .boot_vga = TRUE,
    };
    GpSimPciSpec gpu = {
        .addr = "0000:03:01.0", .parent = "0000:00:01.0", .vendor = 0x10de,
        .device = 0x2230, .class_code = 0x030000, .driver = "nvidia",
        .group_with = "0000:03:00.0",
    };
    g_autofree char *reason = NULL;

    use_test_pci_ids();
    sim = gp_sim_new();
    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "pcieport");
    gp_sim_add_driver(sim, "nvidia");
    gp_sim_add_root_port(sim, "0000:00:01.0", 3);
    gp_sim_add_pci(sim, &vga);
    gp_sim_add_pci(sim, &gpu);
    scan();
    cr_assert_eq(assess("0000:03:01.0", NULL, NULL, &reason), GP_DEV_STATUS_NOT_ASSIGNABLE);
    cr_assert(strstr(reason, "0000:03:00.0, the boot VGA in use by the host console"), "%s",
              reason);
}

Test(host, sriov_capable_gpu_with_driver_and_no_vfs_is_sriov_disabled, .fini = teardown)
{
    g_autofree char *reason = NULL;

    start(gp_sim_fixture_nvidia_sriov);
    cr_assert_eq(assess(GP_SIM_SRIOV_GPU, NULL, NULL, &reason), GP_DEV_STATUS_SRIOV_DISABLED);
    cr_assert(strstr(reason, "sriov_numvfs"), "the note says how to enable VFs: %s", reason);
}

Test(host, sriov_gpu_with_vfs_enabled_is_partitionable_and_lists_its_vfs, .fini = teardown)
{
    g_autoptr(GPtrArray) vfs = NULL;

    start(gp_sim_fixture_intel_sriov);
    cr_assert_eq(assess(GP_SIM_INTEL_SRIOV_GPU, NULL, NULL, NULL), GP_DEV_STATUS_SRIOV_DISABLED);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "3"));
    scan();
    cr_assert_eq(assess(GP_SIM_INTEL_SRIOV_GPU, NULL, NULL, NULL), GP_DEV_STATUS_PARTITIONABLE);
    vfs = gp_host_vfs(host, dev(GP_SIM_INTEL_SRIOV_GPU));
    cr_assert_eq(vfs->len, 3);
    cr_assert_str_eq(((GpPciDev *)vfs->pdata[0])->address, "0000:4d:00.1");
    cr_assert_str_eq(((GpPciDev *)vfs->pdata[2])->address, "0000:4d:00.3");
}

Test(host, mdev_capable_gpu_is_partitionable, .fini = teardown)
{
    start(gp_sim_fixture_nvidia_mdev);
    cr_assert_eq(assess(GP_SIM_MDEV_GPU, NULL, NULL, NULL), GP_DEV_STATUS_PARTITIONABLE);
}

Test(host, lookup_refuses_malformed_and_absent_addresses, .init = datacenter, .fini = teardown)
{
    g_autoptr(GError) bad = NULL;
    g_autoptr(GError) absent = NULL;

    cr_assert_null(gp_host_lookup(host, "41:00", &bad));
    cr_assert(g_error_matches(bad, GP_PCI_ADDR_ERROR, GP_PCI_ADDR_ERROR_INVALID));
    cr_assert_null(gp_host_lookup(host, "0000:99:00.0", &absent));
    cr_assert(g_error_matches(absent, GP_HOST_ERROR, GP_HOST_ERROR_NO_DEVICE));
    cr_assert(strstr(absent->message, "0000:99:00.0"), "%s", absent->message);
    cr_assert(strstr(absent->message, "gpupool devices --all"), "%s", absent->message);
    /* The short form finds the device too. */
    cr_assert_not_null(gp_host_lookup(host, "41:00.0", NULL));
}

Test(host, scan_of_a_tree_without_pci_devices_fails_with_a_message, .fini = teardown)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("gpupool-empty-XXXXXX", NULL);

    gp_sysfs_set_root(dir);
    cr_assert_null(gp_host_scan(&error));
    cr_assert(g_error_matches(error, GP_HOST_ERROR, GP_HOST_ERROR_SCAN));
    cr_assert(strstr(error->message, "cannot list the host's PCI devices"), "%s", error->message);
    gp_sysfs_set_root(NULL);
    g_rmdir(dir);
}

Test(host, scan_of_a_damaged_device_returns_an_error_instead_of_exiting,
     .init = datacenter, .fini = teardown)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *vendor = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_DC_NIC "/vendor");
    g_autofree char *resource = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_DC_NIC "/resource");

    /* libpci treats these as mandatory and calls its error handler, which
     * must not take the process down. */
    cr_assert_eq(unlink(vendor), 0);
    cr_assert_eq(unlink(resource), 0);
    g_clear_pointer(&host, gp_host_free);
    cr_assert_null(gp_host_scan(&error));
    cr_assert(g_error_matches(error, GP_HOST_ERROR, GP_HOST_ERROR_SCAN));
    cr_assert(strstr(error->message, GP_SIM_DC_NIC), "%s", error->message);
}
