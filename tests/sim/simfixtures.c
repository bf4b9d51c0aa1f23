/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ready-made hosts with real IDs and BAR sizes.  The addresses, drivers
 * and IOMMU groups each fixture promises are listed in sim.h; tests rely
 * on them, so change both together. */
#include "config.h"

#include "sim.h"
#include "simint.h"

#define MiB (G_GUINT64_CONSTANT(1) << 20)
#define GiB (G_GUINT64_CONSTANT(1) << 30)

GpSim *
sim_fixture_new(gboolean iommu, const char *const *drivers)
{
    GpSim *sim = gp_sim_new();

    gp_sim_set_iommu(sim, iommu);
    for (; *drivers; drivers++)
        gp_sim_add_driver(sim, *drivers);
    return sim;
}

void
sim_fixture_nvidia_bars(GpSimBar *bars, guint64 aperture)
{
    bars[0] = (GpSimBar) { .size = 16 * MiB };
    bars[1] = (GpSimBar) { .size = aperture, .is_64bit = TRUE, .prefetchable = TRUE };
    bars[3] = (GpSimBar) { .size = 32 * MiB, .is_64bit = TRUE, .prefetchable = TRUE };
}

/* NVIDIA A100 80GB PCIe, as lspci shows one. */
static void
add_a100(GpSim *sim, const char *addr, const char *port, int numa, gboolean rom)
{
    GpSimPciSpec gpu = {
        .addr = addr,
        .parent = port,
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x10de,
        .device = 0x20b5,
        .subsystem_vendor = 0x10de,
        .subsystem_device = 0x1533,
        .class_code = 0x030200,
        .revision = 0xa1,
        /* 128 ROMs would not fit below 4 GiB next to 128 BAR0s. */
        .rom_size = rom ? 512 * 1024 : 0,
        .numa_node = numa,
        .driver = "nvidia",
    };

    sim_fixture_nvidia_bars(gpu.bars, 128 * GiB);
    gp_sim_add_pci(sim, &gpu);
}

static GpSim *
datacenter(gboolean iommu)
{
    static const char *const drivers[] = { "nvidia", "ast", "igb", "pcieport", "vfio-pci", NULL };
    GpSim *sim = sim_fixture_new(iommu, drivers);
    GpSimPciSpec bridge = {
        .addr = GP_SIM_DC_BMC_BRIDGE,
        .parent = "0000:00:03.0",
        .kind = GP_SIM_PCIE_TO_PCI_BRIDGE,
        .vendor = 0x1a03,
        .device = 0x1150,
        .class_code = 0x060400,
        .revision = 0x04,
        .secondary_bus = 0x03,
    };
    GpSimPciSpec bmc = {
        .addr = GP_SIM_DC_BMC_VGA,
        .parent = GP_SIM_DC_BMC_BRIDGE,
        .kind = GP_SIM_PCI_ENDPOINT,
        .vendor = 0x1a03,
        .device = 0x2000,
        .subsystem_vendor = 0x15d9,
        .subsystem_device = 0x1b95,
        .class_code = 0x030000,
        .revision = 0x52,
        .bars = {
            [0] = { .size = 64 * MiB, .prefetchable = TRUE },
            [1] = { .size = 256 * 1024 },
            [2] = { .size = 128, .io = TRUE },
        },
        .boot_vga = TRUE,
        .driver = "ast",
    };
    GpSimPciSpec nic = {
        .addr = GP_SIM_DC_NIC,
        .parent = "0000:00:1c.0",
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x8086,
        .device = 0x1533,
        .subsystem_vendor = 0x15d9,
        .subsystem_device = 0x1533,
        .class_code = 0x020000,
        .revision = 0x03,
        .bars = {
            [0] = { .size = 1 * MiB },
            [2] = { .size = 32, .io = TRUE },
            [3] = { .size = 16 * 1024 },
        },
        .link_speed = 1,
        .link_width = 1,
        .driver = "igb",
    };

    gp_sim_add_root_port(sim, "0000:00:01.0", 0x41);
    add_a100(sim, GP_SIM_DC_GPU0, "0000:00:01.0", 0, TRUE);
    gp_sim_add_root_port(sim, "0000:00:02.0", 0x81);
    add_a100(sim, GP_SIM_DC_GPU1, "0000:00:02.0", 1, TRUE);
    gp_sim_add_root_port(sim, "0000:00:03.0", 0x02);
    gp_sim_add_pci(sim, &bridge);
    gp_sim_add_pci(sim, &bmc);
    gp_sim_add_root_port(sim, "0000:00:1c.0", 0x04);
    gp_sim_add_pci(sim, &nic);
    return sim;
}

GpSim *
gp_sim_fixture_datacenter(void)
{
    return datacenter(TRUE);
}

GpSim *
gp_sim_fixture_no_iommu(void)
{
    return datacenter(FALSE);
}

GpSim *
gp_sim_fixture_workstation(void)
{
    static const char *const drivers[] = {
        "nvidia", "snd_hda_intel", "i915", "e1000e", "pcieport", "vfio-pci", NULL,
    };
    GpSim *sim = sim_fixture_new(TRUE, drivers);
    GpSimPciSpec igpu = {
        .addr = GP_SIM_WS_IGPU,
        .kind = GP_SIM_PCIE_RC_INTEGRATED,
        .vendor = 0x8086,
        .device = 0xa780,
        .subsystem_vendor = 0x1043,
        .subsystem_device = 0x8882,
        .class_code = 0x030000,
        .revision = 0x04,
        .bars = {
            [0] = { .size = 16 * MiB, .is_64bit = TRUE },
            [2] = { .size = 256 * MiB, .is_64bit = TRUE, .prefetchable = TRUE },
            [4] = { .size = 64, .io = TRUE },
        },
        .boot_vga = TRUE,
        .driver = "i915",
    };
    GpSimPciSpec gpu = {
        .addr = GP_SIM_WS_GPU,
        .parent = "0000:00:01.0",
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x10de,
        .device = 0x2684,
        .subsystem_vendor = 0x1043,
        .subsystem_device = 0x889d,
        .class_code = 0x030000,
        .revision = 0xa1,
        .bars = {
            [5] = { .size = 128, .io = TRUE },
        },
        .rom_size = 512 * 1024,
        .multifunction = TRUE,
        .boot_vga = FALSE,
        .driver = "nvidia",
    };
    GpSimPciSpec audio = {
        .addr = GP_SIM_WS_GPU_AUDIO,
        .parent = "0000:00:01.0",
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x10de,
        .device = 0x22ba,
        .subsystem_vendor = 0x1043,
        .subsystem_device = 0x889d,
        .class_code = 0x040300,
        .revision = 0xa1,
        .bars = { [0] = { .size = 16 * 1024 } },
        .multifunction = TRUE,
        .driver = "snd_hda_intel",
        /* No ACS between the functions of one card. */
        .group_with = GP_SIM_WS_GPU,
    };
    GpSimPciSpec bridge = {
        .addr = GP_SIM_WS_LEGACY_BRIDGE,
        .parent = "0000:00:1c.0",
        .kind = GP_SIM_PCIE_TO_PCI_BRIDGE,
        .vendor = 0x8086,
        .device = 0x244e,
        .class_code = 0x060401,
        .revision = 0xd0,
        .secondary_bus = 0x03,
    };
    GpSimPciSpec legacy_gpu = {
        .addr = GP_SIM_WS_LEGACY_GPU,
        .parent = GP_SIM_WS_LEGACY_BRIDGE,
        .kind = GP_SIM_PCI_ENDPOINT,
        .vendor = 0x10de,
        .device = 0x1287,
        .subsystem_vendor = 0x1462,
        .subsystem_device = 0x8a9f,
        .class_code = 0x030000,
        .revision = 0xa1,
        .bars = {
            [5] = { .size = 128, .io = TRUE },
        },
        .driver = "nvidia",
    };
    GpSimPciSpec nic = {
        .addr = GP_SIM_WS_LEGACY_NIC,
        .parent = GP_SIM_WS_LEGACY_BRIDGE,
        .kind = GP_SIM_PCI_ENDPOINT,
        .vendor = 0x8086,
        .device = 0x107c,
        .subsystem_vendor = 0x8086,
        .subsystem_device = 0x1376,
        .class_code = 0x020000,
        .revision = 0x05,
        .bars = {
            [0] = { .size = 128 * 1024 },
            [1] = { .size = 128 * 1024 },
            [2] = { .size = 64, .io = TRUE },
        },
        .driver = "e1000e",
    };
    GpSimPciSpec accel = {
        .addr = GP_SIM_WS_ACCEL,
        .parent = "0000:00:1d.0",
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x1e52,
        .device = 0x0100,
        .subsystem_vendor = 0x1e52,
        .subsystem_device = 0x0010,
        .class_code = 0x120000,
        .bars = {
            [0] = { .size = 512 * MiB, .is_64bit = TRUE, .prefetchable = TRUE },
            [2] = { .size = 1 * MiB, .is_64bit = TRUE },
        },
        .driver = "tenstorrent", /* not loaded on this host */
    };

    gp_sim_add_pci(sim, &igpu);
    gp_sim_add_root_port(sim, "0000:00:01.0", 0x01);
    sim_fixture_nvidia_bars(gpu.bars, 256 * MiB);
    gp_sim_add_pci(sim, &gpu);
    gp_sim_add_pci(sim, &audio);
    gp_sim_add_root_port(sim, "0000:00:1c.0", 0x02);
    gp_sim_add_pci(sim, &bridge);
    sim_fixture_nvidia_bars(legacy_gpu.bars, 128 * MiB);
    gp_sim_add_pci(sim, &legacy_gpu);
    gp_sim_add_pci(sim, &nic);
    gp_sim_add_root_port(sim, "0000:00:1d.0", 0x05);
    gp_sim_add_pci(sim, &accel);
    return sim;
}

char *
gp_sim_fixture_many_addr(guint i)
{
    return g_strdup_printf("%04x:%02x:00.0", i / 128, (i % 128) + 1);
}

GpSim *
gp_sim_fixture_many(guint n)
{
    static const char *const drivers[] = { "nvidia", "pcieport", "vfio-pci", NULL };
    GpSim *sim = sim_fixture_new(TRUE, drivers);
    guint i;

    g_return_val_if_fail(n >= 1 && n <= 1024, sim);
    for (i = 0; i < n; i++) {
        guint j = i % 128;
        g_autofree char *port = g_strdup_printf("%04x:00:%02x.%x", i / 128, j / 8, j % 8);
        g_autofree char *addr = gp_sim_fixture_many_addr(i);

        gp_sim_add_root_port(sim, port, j + 1);
        add_a100(sim, addr, port, (i / 128) % 2, FALSE);
    }
    return sim;
}

/* A T4 at ADDR behind root port PORT (secondary bus BUS), an mdev parent
 * with the T4's types. */
static void
add_t4(GpSim *sim, const char *port, guint8 bus, const char *addr)
{
    static const struct {
        const char *type;
        const char *name;
        guint gib;
        guint max;
    } types[] = {
        { "nvidia-222", "GRID T4-1Q", 1, 16 },
        { "nvidia-223", "GRID T4-2Q", 2, 8 },
        { "nvidia-224", "GRID T4-4Q", 4, 4 },
        { "nvidia-225", "GRID T4-8Q", 8, 2 },
        { "nvidia-226", "GRID T4-16Q", 16, 1 },
    };
    GpSimPciSpec t4 = {
        .addr = addr,
        .parent = port,
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x10de,
        .device = 0x1eb8,
        .subsystem_vendor = 0x10de,
        .subsystem_device = 0x12a2,
        .class_code = 0x030200,
        .revision = 0xa1,
        .link_speed = 3,
        .driver = "nvidia",
    };
    guint i;

    gp_sim_add_root_port(sim, port, bus);
    sim_fixture_nvidia_bars(t4.bars, 256 * MiB);
    gp_sim_add_pci(sim, &t4);
    gp_sim_add_mdev_parent_pci(sim, addr, 16 * 1024, TRUE);
    for (i = 0; i < G_N_ELEMENTS(types); i++) {
        g_autofree char *desc = g_strdup_printf(
            "num_heads=4, frl_config=60, framebuffer=%uM, max_resolution=5120x2880, "
            "max_instance=%u", types[i].gib * 1024, types[i].max);

        gp_sim_add_mdev_type(sim, addr, types[i].type, types[i].name, desc,
                             "vfio-pci", types[i].gib * 1024, types[i].max);
    }
}

GpSim *
gp_sim_fixture_nvidia_mdev(void)
{
    static const char *const drivers[] = { "nvidia", "pcieport", "vfio-pci", NULL };
    GpSim *sim = sim_fixture_new(TRUE, drivers);

    add_t4(sim, "0000:00:01.0", 0x3b, GP_SIM_MDEV_GPU);
    return sim;
}

GpSim *
gp_sim_fixture_nvidia_mdev_pair(void)
{
    static const char *const drivers[] = { "nvidia", "pcieport", "vfio-pci", NULL };
    GpSim *sim = sim_fixture_new(TRUE, drivers);

    add_t4(sim, "0000:00:01.0", 0x3b, GP_SIM_MDEV_GPU);
    add_t4(sim, "0000:00:02.0", 0x3c, GP_SIM_MDEV_GPU2);
    return sim;
}

GpSim *
gp_sim_fixture_nvidia_sriov(void)
{
    static const char *const drivers[] = { "nvidia", "pcieport", "vfio-pci", NULL };
    static const struct {
        guint id;
        const char *name;
        guint gib;
    } types[] = {
        { 1155, "NVIDIA L40S-1Q", 1 },  { 1156, "NVIDIA L40S-2Q", 2 },
        { 1157, "NVIDIA L40S-4Q", 4 },  { 1158, "NVIDIA L40S-8Q", 8 },
        { 1159, "NVIDIA L40S-16Q", 16 }, { 1160, "NVIDIA L40S-24Q", 24 },
        { 1161, "NVIDIA L40S-48Q", 48 },
    };
    GpSim *sim = sim_fixture_new(TRUE, drivers);
    GpSimPciSpec l40s = {
        .addr = GP_SIM_SRIOV_GPU,
        .parent = "0000:00:01.0",
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x10de,
        .device = 0x26b9,
        .subsystem_vendor = 0x10de,
        .subsystem_device = 0x1851,
        .class_code = 0x030200,
        .revision = 0xa1,
        .numa_node = 0,
        .driver = "nvidia",
        .total_vfs = 16,
        .vf_device = 0x26b9,
        .vf_offset = 4,
        .vf_stride = 1,
        .vf_driver = "nvidia",
        .vf_bars = {
            [0] = { .size = 16 * MiB },
            [1] = { .size = 4 * GiB, .is_64bit = TRUE, .prefetchable = TRUE },
            [3] = { .size = 32 * MiB, .is_64bit = TRUE, .prefetchable = TRUE },
        },
    };
    guint i;

    gp_sim_add_root_port(sim, "0000:00:01.0", 0xc1);
    sim_fixture_nvidia_bars(l40s.bars, 64 * GiB);
    gp_sim_add_pci(sim, &l40s);
    gp_sim_set_vgpu_capacity(sim, GP_SIM_SRIOV_GPU, 48 * 1024, TRUE);
    for (i = 0; i < G_N_ELEMENTS(types); i++)
        gp_sim_add_vgpu_type(sim, GP_SIM_SRIOV_GPU, types[i].id, types[i].name,
                             types[i].gib * 1024);
    return sim;
}

/* A Flex 170 at ADDR behind root port PORT (secondary bus BUS). */
static void
add_flex(GpSim *sim, const char *port, guint8 bus, const char *addr)
{
    GpSimPciSpec flex = {
        .addr = addr,
        .parent = port,
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x8086,
        .device = 0x56c0,
        .subsystem_vendor = 0x8086,
        .subsystem_device = 0x4905,
        .class_code = 0x038000,
        .revision = 0x08,
        .bars = {
            [0] = { .size = 16 * MiB, .is_64bit = TRUE },
            [2] = { .size = 16 * GiB, .is_64bit = TRUE, .prefetchable = TRUE },
        },
        .driver = "i915",
        .total_vfs = 7,
        .vf_device = 0x56c0,
        .vf_offset = 1,
        .vf_stride = 1,
        .vf_driver = "i915",
        .vf_bars = {
            [0] = { .size = 16 * MiB, .is_64bit = TRUE },
            [2] = { .size = 2 * GiB, .is_64bit = TRUE, .prefetchable = TRUE },
        },
    };

    gp_sim_add_root_port(sim, port, bus);
    gp_sim_add_pci(sim, &flex);
}

GpSim *
gp_sim_fixture_intel_sriov(void)
{
    static const char *const drivers[] = { "i915", "pcieport", "vfio-pci", NULL };
    GpSim *sim = sim_fixture_new(TRUE, drivers);

    add_flex(sim, "0000:00:01.0", 0x4d, GP_SIM_INTEL_SRIOV_GPU);
    return sim;
}

GpSim *
gp_sim_fixture_intel_sriov_pair(void)
{
    static const char *const drivers[] = { "i915", "pcieport", "vfio-pci", NULL };
    GpSim *sim = sim_fixture_new(TRUE, drivers);

    add_flex(sim, "0000:00:01.0", 0x4d, GP_SIM_INTEL_SRIOV_GPU);
    add_flex(sim, "0000:00:02.0", 0x4e, GP_SIM_INTEL_SRIOV_GPU2);
    return sim;
}

GpSim *
gp_sim_fixture_mbochs(void)
{
    static const char *const drivers[] = { "vfio-pci", NULL };
    static const struct {
        const char *type;
        guint mib;
        const char *resolution;
    } types[] = {
        { "mbochs-small", 4, "800x600" },
        { "mbochs-medium", 16, "1920x1440" },
        { "mbochs-large", 64, "0x0" },
    };
    GpSim *sim = sim_fixture_new(TRUE, drivers);
    guint i;

    gp_sim_add_mdev_parent_virtual(sim, "mbochs", GP_SIM_MBOCHS, 512, FALSE);
    for (i = 0; i < G_N_ELEMENTS(types); i++) {
        g_autofree char *desc = g_strdup_printf("virtual display, %s framebuffer",
                                                types[i].resolution);

        gp_sim_add_mdev_type(sim, GP_SIM_MBOCHS, types[i].type, types[i].type, desc,
                             "vfio-pci", types[i].mib, 0);
    }
    return sim;
}
