/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Quarantine: which pool devices are never handed out because they broke
 * or vanished, why, and what fixes it.
 *
 * Pure, and the one place that decides it: the ledger's capacity
 * (capacity.c) counts a quarantined device as giving nothing, and the
 * claim (alloc.c) refuses it, both with the words below, so every view,
 * the allocator and what a cluster node publishes agree.  A claim a
 * domain already holds on a quarantined device stays: the record of who
 * holds what is never lost, and the device counts as held while held. */
#pragma once

#include <glib.h>

#include "base/pcihealth.h"

G_BEGIN_DECLS

/* Is a device in this HEALTH quarantined? */
gboolean gp_quarantine_applies(GpPciHealth health);

/* "quarantined: REASON: FIX" for device ADDRESS of pool POOL in HEALTH,
 * one line; NULL when it is not quarantined. */
char *gp_quarantine_reason(const char *pool, const char *address, GpPciHealth health);

G_END_DECLS
