/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gp-it-host DIR NGPUS POOLSIZE [STORMSIZE [DEVICE]]
 *
 * Builds a simulated host for the libvirt integration tier (and the
 * offline cluster tests) and leaves it in DIR: DIR/sys (a sysfs root with
 * NGPUS GPUs, A100s 10de:20b5 unless DEVICE gives another NVIDIA device
 * ID, bound to vfio-pci, each behind its own root port, at 0000:e1:00.0,
 * 0000:e2:00.0, ...: buses this machine does not have), DIR/etc/gpupool
 * with pool "gpus" holding the first POOLSIZE of them and pool "storm" the
 * next STORMSIZE (none if not given or 0), and an empty DIR/run/gpupool.
 * The hook and the CLI then run against it with GPUPOOL_SYSFS_ROOT,
 * GPUPOOL_CONFDIR and GPUPOOL_STATEDIR; libvirt, which looks at the real
 * /sys, cannot open the devices.
 *
 * Two partitionable devices, in no pool yet (the tier makes its mdev and
 * vf pools with gpupool's own commands, with the simulated kernel
 * preloaded so that their writes take effect):
 *   mbochs         an mdev parent like the kernel's sample, room for
 *                  GP_IT_MDEVS of type mbochs-small;
 *   0000:f1:00.0   an SR-IOV GPU (driver gpu-pf) with GP_IT_VFS virtual
 *                  functions at 0000:f1:00.1 ... */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "state/pool.h"
#include "state/poolstore.h"
#include "sim.h"

#define GP_IT_MDEVS 4
#define GP_IT_VFS 4
#define GP_IT_PF "0000:f1:00.0"

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GpPool) storm = NULL;
    g_autoptr(GpSim) sim = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *from = NULL;
    guint n, pool_size, storm_size = 0, device = 0x20b5;
    int status = 0;

    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: gp-it-host DIR NGPUS POOLSIZE [STORMSIZE [DEVICE]]\n");
        return 2;
    }
    if (argc == 6)
        device = (guint)g_ascii_strtoull(argv[5], NULL, 16);
    n = atoi(argv[2]);
    pool_size = atoi(argv[3]);
    if (argc >= 5)
        storm_size = atoi(argv[4]);
    if (n < 1 || n > 30 || pool_size + storm_size > n) {
        fprintf(stderr, "gp-it-host: NGPUS must be 1..30 and POOLSIZE + STORMSIZE at most "
                "NGPUS\n");
        return 2;
    }

    sim = gp_sim_new();
    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "pcieport");
    gp_sim_add_driver(sim, "vfio-pci");
    pool = gp_pool_new("gpus", GP_POOL_TYPE_PCI, &error);
    storm = gp_pool_new("storm", GP_POOL_TYPE_PCI, &error);
    if (!pool || !storm)
        goto fail;
    for (guint i = 0; i < n; i++) {
        g_autofree char *rp = g_strdup_printf("0000:00:%02x.0", i + 1);
        g_autofree char *addr = g_strdup_printf("0000:%02x:00.0", 0xe1 + i);
        GpSimPciSpec spec = {
            .addr = addr, .parent = rp, .vendor = 0x10de, .device = device,
            .class_code = 0x030200, .driver = "vfio-pci",
            .bars = {
                [0] = { .size = 16 << 20 },
                [1] = { .size = 256ULL << 20, .is_64bit = TRUE, .prefetchable = TRUE },
            },
        };

        gp_sim_add_root_port(sim, rp, 0xe1 + i);
        gp_sim_add_pci(sim, &spec);
        if (i < pool_size && !gp_pool_add_device(pool, addr, "nvidia", NULL, &error))
            goto fail;
        if (i >= pool_size && i < pool_size + storm_size &&
            !gp_pool_add_device(storm, addr, "nvidia", NULL, &error))
            goto fail;
    }
    if (pool_size > 0 && !gp_poolstore_save(pool, &error))
        goto fail;
    if (storm_size > 0 && !gp_poolstore_save(storm, &error))
        goto fail;

    gp_sim_add_mdev_parent_virtual(sim, "mbochs", "mbochs", 16 * GP_IT_MDEVS, FALSE);
    gp_sim_add_mdev_type(sim, "mbochs", "mbochs-small", "mbochs-small",
                         "virtual display, 800x600 framebuffer", "vfio-pci", 16, 0);
    gp_sim_add_driver(sim, "gpu-pf");
    gp_sim_add_root_port(sim, "0000:00:1f.0", 0xf1);
    {
        GpSimPciSpec pf = {
            .addr = GP_IT_PF, .parent = "0000:00:1f.0", .vendor = 0x1af4, .device = 0x10f0,
            .class_code = 0x030200, .driver = "gpu-pf",
            .bars = {
                [0] = { .size = 16 << 20 },
                [2] = { .size = 1ULL << 30, .is_64bit = TRUE, .prefetchable = TRUE },
            },
            .total_vfs = GP_IT_VFS, .vf_device = 0x10f1, .vf_driver = "gpu-pf",
            .vf_bars = {
                [0] = { .size = 1 << 20 },
                [2] = { .size = 256ULL << 20, .is_64bit = TRUE, .prefetchable = TRUE },
            },
        };

        gp_sim_add_pci(sim, &pf);
    }

    from = g_strdup_printf("%s/.", gp_sim_base(sim));
    {
        const char *cp[] = { "cp", "-a", from, argv[1], NULL };

        if (g_mkdir_with_parents(argv[1], 0755) < 0 ||
            !g_spawn_sync(NULL, (char **)cp, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                          &out, &err, &status, &error))
            goto fail;
        if (!g_spawn_check_exit_status(status, &error)) {
            fprintf(stderr, "gp-it-host: cp: %s\n", err);
            goto fail;
        }
    }
    return 0;

fail:
    fprintf(stderr, "gp-it-host: %s\n", error ? error->message : "failed");
    return 1;
}
