/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fixture (f): two GPUs behind one PCIe switch whose downstream ports
 * have no ACS, so the kernel put both cards (and the ports) in one IOMMU
 * group.  See sim.h for the addresses and groups it promises. */
#include "config.h"

#include "sim.h"
#include "simint.h"

#define MiB (G_GUINT64_CONSTANT(1) << 20)

static void
add_port(GpSim *sim, const char *addr, const char *parent, GpSimPciKind kind,
         guint8 secondary, guint8 subordinate, const char *group_with)
{
    GpSimPciSpec port = {
        .addr = addr,
        .parent = parent,
        .kind = kind,
        .vendor = 0x10b5,   /* Broadcom / PLX PEX 8747 */
        .device = 0x8747,
        .class_code = 0x060400,
        .revision = 0xca,
        .driver = "pcieport",
        .secondary_bus = secondary,
        .subordinate_bus = subordinate,
        .group_with = group_with,
    };

    gp_sim_add_pci(sim, &port);
}

/* An NVIDIA RTX A6000 (10de:2230) with its HDMI audio (10de:1aef). */
static void
add_card(GpSim *sim, const char *gpu_addr, const char *audio_addr, const char *port,
         const char *group_with)
{
    GpSimPciSpec gpu = {
        .addr = gpu_addr,
        .parent = port,
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x10de,
        .device = 0x2230,
        .subsystem_vendor = 0x10de,
        .subsystem_device = 0x1459,
        .class_code = 0x030000,
        .revision = 0xa1,
        .multifunction = TRUE,
        .driver = "nvidia",
        .group_with = group_with,
    };
    GpSimPciSpec audio = {
        .addr = audio_addr,
        .parent = port,
        .kind = GP_SIM_PCIE_ENDPOINT,
        .vendor = 0x10de,
        .device = 0x1aef,
        .class_code = 0x040300,
        .revision = 0xa1,
        .bars = { [0] = { .size = 16 * 1024 } },
        .multifunction = TRUE,
        .driver = "snd_hda_intel",
        .group_with = group_with,
    };

    sim_fixture_nvidia_bars(gpu.bars, 256 * MiB);
    gp_sim_add_pci(sim, &gpu);
    gp_sim_add_pci(sim, &audio);
}

GpSim *
gp_sim_fixture_switch(void)
{
    static const char *const drivers[] = {
        "nvidia", "snd_hda_intel", "pcieport", "vfio-pci", NULL,
    };
    GpSim *sim = sim_fixture_new(TRUE, drivers);

    gp_sim_add_root_port(sim, "0000:00:01.0", 0x01);
    add_port(sim, GP_SIM_SW_UPSTREAM, "0000:00:01.0", GP_SIM_PCIE_UPSTREAM_PORT, 0x02, 0x04,
             NULL);
    add_port(sim, GP_SIM_SW_PORT0, GP_SIM_SW_UPSTREAM, GP_SIM_PCIE_DOWNSTREAM_PORT, 0x03, 0,
             NULL);
    add_port(sim, GP_SIM_SW_PORT1, GP_SIM_SW_UPSTREAM, GP_SIM_PCIE_DOWNSTREAM_PORT, 0x04, 0,
             GP_SIM_SW_PORT0);
    add_card(sim, GP_SIM_SW_GPU0, GP_SIM_SW_GPU0_AUDIO, GP_SIM_SW_PORT0, GP_SIM_SW_PORT0);
    add_card(sim, GP_SIM_SW_GPU1, GP_SIM_SW_GPU1_AUDIO, GP_SIM_SW_PORT1, GP_SIM_SW_PORT0);
    return sim;
}
