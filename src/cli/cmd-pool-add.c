/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool pool-add: devices join a pool (pci: bound to vfio-pci). */
#include "config.h"

#include "base/pciaddr.h"
#include "ledger/ledger.h"
#include "ops/poolhost.h"
#include "cli/cli.h"

/* A device added that the ledger quarantines at once (in practice: no
 * reset method) stays in the pool, where the fix can be made, but the
 * admin hears why it will not be handed out. */
static void
warn_quarantined(const char *pool, char **devices, int n)
{
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_READ, NULL);
    const GpPoolCapacity *cap = ledger ? gp_ledger_capacity(ledger, pool, NULL) : NULL;

    for (int i = 0; cap && i < n; i++) {
        g_autofree char *addr = gp_pci_addr_canonical(devices[i], NULL);
        const GpMemberCapacity *row = addr ? gp_pool_capacity_row(cap, addr) : NULL;

        if (row && row->quarantined)
            gp_cli_warn("%s: %s", addr, row->problem);
    }
}

static int
run_pool_add(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);

    if (!gp_cli_parse(&gp_cmd_pool_add, NULL, &argc, &argv))
        return GP_EXIT_USAGE;
    if (argc < 3)
        return gp_cli_usage(&gp_cmd_pool_add, "give a pool NAME and at least one DEVICE");
    if (!gp_poolhost_add(argv[1], (const char *const *)argv + 2, argc - 2, done, &error))
        return gp_cli_fail(error);
    gp_cli_print_lines(done);
    warn_quarantined(argv[1], argv + 2, argc - 2);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_add = {
    .name = "pool-add",
    .args = "NAME DEVICE...",
    .summary = "Add devices to a pool (pci pools: detach them from the host for vfio-pci)",
    .help = "pci pools: each device leaves its host driver for vfio-pci together with\n"
            "the other endpoints of its IOMMU group, all or nothing, and the driver is\n"
            "recorded for pool-remove.  vf pools: the PF's VFs are enabled and bound.\n"
            "mdev pools: the parent must offer the pool's type.  DEVICE is a PCI\n"
            "address, or for mdev pools an mdev parent's name (e.g. mbochs).  A whole\n"
            "device the kernel cannot reset (reset_method empty) is added with a\n"
            "warning: it stays quarantined, never handed out, until it has a reset\n"
            "method.\n"
            "\n"
            "Example:\n"
            "  gpupool pool-add gpus 0000:41:00.0 81:00.0\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_pool_add,
};
