/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the host says about a pool's members, for the ledger's capacity
 * (policy/capacity.h): the only reading of the host behind the numbers. */
#pragma once

#include <glib.h>

#include "state/domain.h"
#include "state/pool.h"

G_BEGIN_DECLS

/* GpMemberFacts* for each member of POOL that is not a companion, in the
 * pool's order.  Never fails: what cannot be read is a member that is
 * not present or gives nothing, with the reason in its problem. */
GPtrArray *gp_ledger_probe_pool(const GpPool *pool);

/* What the decisions of policy/alloc.h need about a domain's device DEV
 * of a pool of TYPE: whether it exists, its driver, its parent (a VF's
 * PF, an mdev's parent), whether its partitions stay on the vendor
 * driver, its BAR sizes.  Never fails: what cannot be read is left
 * unset, and the decision refuses. */
void gp_ledger_probe_device(GpDomainDevice *dev, GpPoolType type);

G_END_DECLS
