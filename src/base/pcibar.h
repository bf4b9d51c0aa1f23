/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shape of one PCI base address register, as the host model reads it
 * and as MMIO sizing and the claim check reason about it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    guint64 size;       /* bytes; 0 = BAR not implemented */
    gboolean is_io;
    gboolean is_64bit;
    gboolean prefetchable;
} GpPciBar;

G_END_DECLS
