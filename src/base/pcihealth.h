/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether a PCI function can still be handed to a guest, as the host
 * model reads it and as the ledger's quarantine decides on it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    GP_PCI_HEALTH_OK = 0,
    /* The kernel offers no way to reset it (reset_method empty or hidden):
     * vfio-pci cannot reset it between guests ("no available reset
     * mechanism"), so the next guest would get the last one's state. */
    GP_PCI_HEALTH_NO_RESET,
    /* Its configuration space reads all-ones: it stopped answering
     * (fell off its link, or hung). */
    GP_PCI_HEALTH_DEAD,
    /* Not on the bus any more (removed, or hot-unplugged). */
    GP_PCI_HEALTH_GONE,
} GpPciHealth;

G_END_DECLS
