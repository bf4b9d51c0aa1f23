/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Quarantine: which pool devices are never handed out because they broke
 * or vanished, why, and what fixes it.
 *
 * Pure, and the one place that decides it: the ledger's capacity
 * (capacity.c) counts a quarantined device as giving nothing, and the
 * claim (alloc.c) refuses it, both with the words below, so every view,
 * the allocator and what a cluster node publishes agree.  A claim a
 * domain already holds on a quarantined device stays: the record of who
 * holds what is never lost, and the device counts as held while held.
 *
 * What is quarantined is a pool's member: a whole device (pci pools), an
 * SR-IOV physical function whose VFs are handed out (vf pools), or an
 * mdev parent on the PCI bus (mdev pools).  A VF or an mdev of a
 * quarantined member is never handed out either. */
#pragma once

#include <glib.h>

#include "base/pcihealth.h"
#include "state/pool.h"

G_BEGIN_DECLS

/* Is a member of a pool of TYPE in HEALTH quarantined? */
gboolean gp_quarantine_applies(GpPoolType type, GpPciHealth health);

/* "quarantined: REASON: FIX" for member ADDRESS of pool POOL (of TYPE)
 * in HEALTH, one line; NULL when it is not quarantined. */
char *gp_quarantine_reason(GpPoolType type, const char *pool, const char *address,
                           GpPciHealth health);

G_END_DECLS
