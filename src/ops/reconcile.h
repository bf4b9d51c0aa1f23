/* Stale state put right: what a killed command or hook, a libvirtd that
 * went away while domains stopped, or a partition removed by hand leaves
 * behind, found and undone under the host-wide lock.
 *
 * Every transaction runs to its end or leaves the old state (lifecycle.h,
 * poolhost.h), but the host is not a file: a prepare killed after it made
 * an mdev and before it saved the claim leaves an mdev no claim owns, a
 * release killed after it removed an mdev and before it saved leaves a
 * claim of an mdev that is gone.  The hook's release, reconnect, `gpupool
 * rebalance` and `gpupool setup` call gp_reconcile_host() to put that
 * right.  Claims of domains that do not run are dropped by
 * gp_lifecycle_reconcile(), which needs libvirt to say what runs. */
#pragma once

#include <glib.h>

#include "ledger/ledger.h"

G_BEGIN_DECLS

/* Within LEDGER's transaction:
 *   - a claim of an mdev that does not exist any more holds nothing (a
 *     prepare makes its mdevs and saves their claims in one transaction,
 *     a release removes them before it drops the claims): it is dropped;
 *   - an mdev on a parent of an mdev pool that no claim owns, whose UUID
 *     is gpupool's own for a domain of DOMAINS (UUID strings, may be NULL)
 *     or for a domain holding claims (gp_domain_mdev_uuid(); gpupool
 *     never takes anyone else's mdev), is removed, unless a process has it
 *     open through VFIO;
 *   - with POOLS NULL, the vendor profile of a VF of a vf pool that no
 *     claim holds is cleared, unless a process has the VF open.
 * POOLS (names, may be NULL: every pool) limits the last two to those
 * pools.  DONE (may be NULL) gets one line per change, KEPT (may be NULL)
 * one per thing left because a process still uses it.  Returns how many
 * claims were dropped: the caller saves. */
guint gp_reconcile_host(GpLedger *ledger, GPtrArray *domains, GPtrArray *pools,
                        GPtrArray *done, GPtrArray *kept);

G_END_DECLS
