/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sizing the 64-bit MMIO window a guest needs for its pool devices (the
 * Hyper-V "MMIO space" of Discrete Device Assignment): the guest firmware
 * must place every 64-bit BAR of every device the domain gets above RAM,
 * inside the window QEMU announces (<pcihole64>) and, with OVMF, inside
 * the firmware's own 64-bit aperture, below the guest's physical address
 * limit. */
#pragma once

#include <glib.h>

#include "base/pcibar.h"

G_BEGIN_DECLS

#define GP_MMIO_ERROR gp_mmio_error_quark()
GQuark gp_mmio_error_quark(void);

typedef enum {
    GP_MMIO_ERROR_INVALID,  /* a size that does not parse or is out of bounds */
} GpMmioError;

/* Bounds of an explicit --mmio SIZE: below 256 MiB no GPU fits; 256 TiB
 * (48 address bits) is more than any host can map today. */
#define GP_MMIO_SIZE_MIN (256ULL << 20)
#define GP_MMIO_SIZE_MAX (256ULL << 40)
/* The smallest window assign sets: i440fx's own default. */
#define GP_MMIO_WINDOW_MIN (2ULL << 30)
/* The guest physical address width QEMU gives x86 guests unless told
 * otherwise (phys-bits=40, 1 TiB). */
#define GP_MMIO_DEFAULT_PHYS_BITS 40

/* "64G", "512M", "1T", "1024G", "68719476736" (bytes); K/M/G/T/P are
 * binary, with an optional "iB" or "B".  A whole number of MiB between
 * GP_MMIO_SIZE_MIN and GP_MMIO_SIZE_MAX; anything else is refused with
 * one line naming the input and the expected form. */
gboolean gp_mmio_parse_size(const char *str, guint64 *bytes, GError **error);
/* The shortest exact form: "1T", "512G", "768M", else bytes. */
char *gp_mmio_format_size(guint64 bytes);

/* Address space one device takes in the guest: its 64-bit memory BARs,
 * largest first, each naturally aligned, and the total rounded up to the
 * largest BAR, because the guest firmware puts each passed-through device
 * behind its own (root port) bridge whose window is aligned to the largest
 * BAR it holds.  0 for a device without 64-bit BARs. */
guint64 gp_mmio_device_footprint(const GpPciBar bars[6]);

/* The window for devices whose footprints sum to TOTAL: TOTAL plus
 * headroom (an eighth, at least 1 GiB: the guest's own 64-bit BARs,
 * virtio's among them, and the space OVMF reserves behind each hotplug
 * root port must fit beside the pool devices), rounded up to a power of
 * two (QEMU and OVMF align the window to its size), at least
 * GP_MMIO_WINDOW_MIN.  0 if TOTAL is 0. */
guint64 gp_mmio_window(guint64 total);

/* Guest physical address bits OVMF needs to place WINDOW above RAM:
 *   ram_top = 4 GiB + MEMORY + SLOTS x 1 GiB, rounded up to 1 GiB
 *             (all RAM counted above 4 GiB, which over-estimates by the
 *             <= 3 GiB QEMU keeps below; QEMU reserves 1 GiB of alignment
 *             per memory hotplug slot)
 *   base    = ram_top rounded up to a multiple of WINDOW (OVMF aligns its
 *             aperture to its size)
 *   bits    = ceil(log2(base + WINDOW)). */
guint gp_mmio_phys_bits(guint64 memory, guint slots, guint64 window);

G_END_DECLS
