/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Quarantine: broken or vanished pool devices. */
#include "config.h"

#include "policy/quarantine.h"

gboolean
gp_quarantine_applies(GpPoolType type, GpPciHealth health)
{
    switch (health) {
    case GP_PCI_HEALTH_OK:
        return FALSE;
    case GP_PCI_HEALTH_NO_RESET:
        /* Only a whole device goes to a guest and must be reset between
         * guests.  A PF stays with the host: its VFs go to guests, and a
         * VF is reset on its own (every SR-IOV VF must support FLR, which
         * vfio-pci uses).  An mdev parent stays with the host too, and its
         * vendor driver resets each mdev.  Neither needs a reset method of
         * its own, and many PFs have none (a multi-function slot without
         * FLR): quarantining them would take working VFs and mdevs away. */
        return type == GP_POOL_TYPE_PCI;
    case GP_PCI_HEALTH_DEAD:
    case GP_PCI_HEALTH_GONE:
        return TRUE;
    }
    return FALSE;
}

char *
gp_quarantine_reason(GpPoolType type, const char *pool, const char *address,
                     GpPciHealth health)
{
    if (!gp_quarantine_applies(type, health))
        return NULL;
    switch (health) {
    case GP_PCI_HEALTH_OK:
        return NULL;
    case GP_PCI_HEALTH_GONE:
        /* A PF comes back without VFs and a parent without mdevs: setup
         * enables the pool's VFs and sets its type again. */
        return g_strdup_printf("quarantined: gone from the PCI bus: bring it back with "
                               "'echo 1 > /sys/bus/pci/rescan' (or reseat it), then run "
                               "'gpupool setup'; or 'gpupool pool-remove %s %s'",
                               pool, address);
    case GP_PCI_HEALTH_DEAD:
        return g_strdup_printf("quarantined: its config space reads all-ones (it stopped "
                               "answering): remove it ('echo 1 > /sys/bus/pci/devices/%s/"
                               "remove'), rescan the bus and run 'gpupool setup', or reboot "
                               "the host", address);
    case GP_PCI_HEALTH_NO_RESET:
        /* vfio-pci would log "no available reset mechanism" and hand the
         * next guest whatever the last one left in the device. */
        return g_strdup_printf("quarantined: the kernel has no reset method for it "
                               "(reset_method empty), so a guest would inherit the last "
                               "one's state: run 'echo default > /sys/bus/pci/devices/%s/"
                               "reset_method', or put it in a slot behind a PCIe port, or "
                               "'gpupool pool-remove %s %s'", address, pool, address);
    }
    return NULL;
}
