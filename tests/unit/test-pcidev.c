/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What gpupool reads about one PCI device: identity and names, BARs,
 * driver, IOMMU group, topology, SR-IOV and mdev capabilities. */
#include "config.h"

#include <criterion/criterion.h>
#include <unistd.h>

#include "host/host.h"
#include "host/pcidev.h"
#include "host-fixtures.h"
#include "sim.h"

#define GiB (G_GUINT64_CONSTANT(1) << 30)
#define MiB (G_GUINT64_CONSTANT(1) << 20)

static void datacenter(void) { start(gp_sim_fixture_datacenter); }
static void workstation(void) { start(gp_sim_fixture_workstation); }

Test(pcidev, datacenter_gpu_128g_bar_is_found_64bit_prefetchable,
     .init = datacenter, .fini = teardown)
{
    const GpPciDev *gpu = dev(GP_SIM_DC_GPU0);

    cr_assert_eq(gpu->bars[0].size, 16 * MiB);
    cr_assert(!gpu->bars[0].is_64bit && !gpu->bars[0].prefetchable && !gpu->bars[0].is_io);
    cr_assert_eq(gpu->bars[1].size, 128 * GiB);
    cr_assert(gpu->bars[1].is_64bit, "BAR1 should be 64-bit");
    cr_assert(gpu->bars[1].prefetchable, "BAR1 should be prefetchable");
    cr_assert_eq(gpu->bars[2].size, 0, "upper half of a 64-bit BAR is not a BAR");
    cr_assert_eq(gpu->bars[3].size, 32 * MiB);
    cr_assert(gpu->bars[3].is_64bit && gpu->bars[3].prefetchable);
}

Test(pcidev, mmio_needs_sum_all_64bit_and_largest_bars,
     .init = datacenter, .fini = teardown)
{
    const GpPciDev *gpu = dev(GP_SIM_DC_GPU0);

    cr_assert_eq(gp_pci_dev_mmio_total(gpu), 128 * GiB + 48 * MiB);
    cr_assert_eq(gp_pci_dev_mmio64(gpu), 128 * GiB + 32 * MiB);
    cr_assert_eq(gp_pci_dev_largest_bar(gpu), 128 * GiB);
}

Test(pcidev, identity_and_names_come_from_config_space_and_pci_ids,
     .init = datacenter, .fini = teardown)
{
    const GpPciDev *gpu = dev(GP_SIM_DC_GPU0);

    cr_assert_str_eq(gpu->address, "0000:41:00.0");
    cr_assert_eq(gpu->addr.bus, 0x41);
    cr_assert_eq(gpu->vendor_id, 0x10de);
    cr_assert_eq(gpu->device_id, 0x20b5);
    cr_assert_eq(gpu->class_code, 0x030200);
    cr_assert_str_eq(gpu->vendor_name, "NVIDIA Corporation");
    cr_assert_str_eq(gpu->device_name, "GA100 [A100 PCIe 80GB]");
    cr_assert_str_eq(gpu->class_name, "3D controller");
}

Test(pcidev, unknown_ids_have_no_name_but_a_class_name,
     .init = workstation, .fini = teardown)
{
    const GpPciDev *accel = dev(GP_SIM_WS_ACCEL);

    cr_assert_null(accel->vendor_name, "1e52 is not in the test pci.ids");
    cr_assert_null(accel->device_name);
    cr_assert_str_eq(accel->class_name, "Processing accelerators");
}

Test(pcidev, driver_group_and_numa_node_come_from_sysfs,
     .init = datacenter, .fini = teardown)
{
    const GpPciDev *gpu0 = dev(GP_SIM_DC_GPU0);
    const GpPciDev *gpu1 = dev(GP_SIM_DC_GPU1);

    cr_assert_str_eq(gpu0->driver, "nvidia");
    cr_assert_str_eq(gpu0->iommu_group, "1");
    cr_assert_eq(gpu0->numa_node, 0);
    cr_assert_str_eq(gpu1->iommu_group, "3");
    cr_assert_eq(gpu1->numa_node, 1);
    cr_assert_null(gpu0->driver_override);
    cr_assert_null(gpu0->physfn);
    cr_assert_eq(gpu0->sriov_total_vfs, 0);
    cr_assert_eq(gpu0->mdev_types->len, 0);
}

Test(pcidev, driver_override_is_read_and_unset_reads_as_null,
     .init = datacenter, .fini = teardown)
{
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/driver_override", "vfio-pci"));
    scan();
    cr_assert_str_eq(dev(GP_SIM_DC_GPU0)->driver_override, "vfio-pci");
    cr_assert_null(dev(GP_SIM_DC_GPU1)->driver_override);
}

Test(pcidev, topology_names_the_upstream_bridge_and_pcie_capability,
     .init = workstation, .fini = teardown)
{
    const GpPciDev *gpu = dev(GP_SIM_WS_GPU);
    const GpPciDev *igpu = dev(GP_SIM_WS_IGPU);
    const GpPciDev *legacy = dev(GP_SIM_WS_LEGACY_GPU);
    const GpPciDev *bridge = dev(GP_SIM_WS_LEGACY_BRIDGE);

    cr_assert_str_eq(gpu->parent_bridge, "0000:00:01.0");
    cr_assert(gpu->is_pcie);
    cr_assert(!gpu->is_bridge);
    cr_assert_null(igpu->parent_bridge, "the iGPU sits on the root bus");
    cr_assert(igpu->boot_vga);
    cr_assert(!gpu->boot_vga);
    cr_assert_str_eq(legacy->parent_bridge, GP_SIM_WS_LEGACY_BRIDGE);
    cr_assert(!legacy->is_pcie, "a conventional PCI GPU has no PCIe capability");
    cr_assert(bridge->is_bridge);
    cr_assert(dev("0000:00:01.0")->is_bridge, "root ports are bridges");
}

Test(pcidev, gpu_class_means_display_or_processing_accelerator,
     .init = workstation, .fini = teardown)
{
    cr_assert(gp_pci_dev_is_gpu(dev(GP_SIM_WS_GPU)));
    cr_assert(gp_pci_dev_is_gpu(dev(GP_SIM_WS_IGPU)));
    cr_assert(gp_pci_dev_is_gpu(dev(GP_SIM_WS_ACCEL)));
    cr_assert(!gp_pci_dev_is_gpu(dev(GP_SIM_WS_GPU_AUDIO)));
    cr_assert(!gp_pci_dev_is_gpu(dev(GP_SIM_WS_LEGACY_NIC)));
    cr_assert(!gp_pci_dev_is_gpu(dev(GP_SIM_WS_LEGACY_BRIDGE)));
}

Test(pcidev, sriov_counts_and_vfs_name_their_physical_function, .fini = teardown)
{
    const GpPciDev *pf;
    const GpPciDev *vf;

    start(gp_sim_fixture_nvidia_sriov);
    pf = dev(GP_SIM_SRIOV_GPU);
    cr_assert_eq(pf->sriov_total_vfs, 16);
    cr_assert_eq(pf->sriov_num_vfs, 0);
    cr_assert(!gp_pci_dev_is_vf(pf));

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_SRIOV_GPU "/sriov_numvfs", "4"));
    scan();
    cr_assert_eq(dev(GP_SIM_SRIOV_GPU)->sriov_num_vfs, 4);
    vf = dev("0000:c1:00.4");
    cr_assert(gp_pci_dev_is_vf(vf));
    cr_assert_str_eq(vf->physfn, GP_SIM_SRIOV_GPU);
}

Test(pcidev, mdev_types_with_names_and_available_instances, .fini = teardown)
{
    const GpPciDev *gpu;
    const GpMdevType *first;
    const GpMdevType *last;

    start(gp_sim_fixture_nvidia_mdev);
    gpu = dev(GP_SIM_MDEV_GPU);
    cr_assert_eq(gpu->mdev_types->len, 5);
    first = gpu->mdev_types->pdata[0];
    last = gpu->mdev_types->pdata[4];
    cr_assert_str_eq(first->id, "nvidia-222");
    cr_assert_str_eq(first->name, "GRID T4-1Q");
    cr_assert_str_eq(first->device_api, "vfio-pci");
    cr_assert_eq(first->available_instances, 16);
    cr_assert_str_eq(last->id, "nvidia-226");
    cr_assert_eq(last->available_instances, 1);
}

/* ---- Health: what decides quarantine ------------------------------------- */

Test(pcidev, a_healthy_endpoint_behind_a_root_port_has_a_reset_method,
     .init = datacenter, .fini = teardown)
{
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU0), GP_PCI_HEALTH_OK);
}

Test(pcidev, an_emptied_reset_method_means_no_reset, .init = datacenter, .fini = teardown)
{
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/reset_method", "\n"));
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU0), GP_PCI_HEALTH_NO_RESET);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/reset_method", "bus\n"));
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU0), GP_PCI_HEALTH_OK);
}

Test(pcidev, a_function_the_kernel_cannot_reset_shows_no_reset_attributes_at_all,
     .init = datacenter, .fini = teardown)
{
    GpSimPciSpec edu = {
        .addr = "0000:00:05.0", .kind = GP_SIM_PCIE_RC_INTEGRATED, .vendor = 0x1234,
        .device = 0x11e8, .class_code = 0x00ff00, .reset_method = "",
    };
    g_autofree char *rel = g_strdup("bus/pci/devices/0000:00:05.0/reset_method");
    g_autofree char *value = NULL;

    gp_sim_add_pci(sim, &edu);
    value = gp_sim_read(sim, rel);
    cr_assert_null(value, "the kernel hides reset_method from such a function");
    cr_assert_eq(gp_pci_health("0000:00:05.0"), GP_PCI_HEALTH_NO_RESET);
}

Test(pcidev, a_kernel_before_reset_method_tells_by_reset_alone,
     .init = datacenter, .fini = teardown)
{
    g_autofree char *methods = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_DC_GPU0
                                                "/reset_method");
    g_autofree char *reset = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/reset");

    cr_assert_eq(unlink(methods), 0);
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU0), GP_PCI_HEALTH_OK, "reset is there");
    cr_assert_eq(unlink(reset), 0);
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU0), GP_PCI_HEALTH_NO_RESET);
}

Test(pcidev, config_space_of_all_ones_is_a_dead_device, .init = datacenter, .fini = teardown)
{
    cr_assert(gp_sim_pci_set_dead(sim, GP_SIM_DC_GPU1));
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU1), GP_PCI_HEALTH_DEAD);
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU0), GP_PCI_HEALTH_OK);
}

Test(pcidev, a_vf_whose_ids_read_all_ones_is_not_dead, .fini = teardown)
{
    sim = gp_sim_fixture_intel_sriov();
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs",
                           "1"));
    /* As on hardware, a VF's vendor and device ID registers read 0xffff. */
    cr_assert_eq(gp_pci_health("0000:4d:00.1"), GP_PCI_HEALTH_OK);
}

Test(pcidev, a_removed_device_is_gone_until_a_rescan, .init = datacenter, .fini = teardown)
{
    cr_assert(gp_sim_pci_remove(sim, GP_SIM_DC_GPU1));
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU1), GP_PCI_HEALTH_GONE);
    cr_assert(gp_sim_pci_rescan(sim));
    cr_assert_eq(gp_pci_health(GP_SIM_DC_GPU1), GP_PCI_HEALTH_OK);
}
