/* A pool domain's life as the libvirt hook sees it, as transactions of
 * the ledger: lock, read, probe, decide (policy/alloc.h), change the host
 * (mdevs made, VF profiles set), save; a crash at any point leaves the old
 * or the new claims, and two domains racing for the last device cannot
 * both win. */
#pragma once

#include <glib.h>

#include "state/domain.h"
#include "policy/alloc.h"
#include "ledger/ledger.h"

G_BEGIN_DECLS

/* prepare begin, for every domain that passes host devices through, and
 * assign: ASG's own <hostdev>s (GpDomAssignment.passthrough) must name no
 * device of a pool, be it a member or companion, a VF of a member, an
 * mdev on a member parent, or a device a claim holds.  Otherwise
 * GP_ALLOC_ERROR_BYPASS, one line naming the element, the device, its
 * pool and a fix that works: remove that element ('virsh edit DOMAIN'),
 * then, unless the domain already asks for the pool, give it pool
 * devices with 'gpupool assign'; ASSIGN_POOL (NULL at a start) is the
 * pool `gpupool assign` was asked for, to be run again.  Read-only and
 * without the lock (pool and claim files are replaced atomically);
 * nothing is read when the domain passes nothing through. */
gboolean gp_lifecycle_check_passthrough(const GpDomAssignment *asg, const char *assign_pool,
                                        GError **error);

/* The pools DOM's devices name, from LEDGER: name -> GpPool* (borrowed
 * from the ledger).  NOT_FOUND naming the pool and the domain if one is
 * not defined on this host, unless MISSING_OK (then it is left out). */
GHashTable *gp_lifecycle_pools(GpLedger *ledger, const GpDomain *dom, gboolean missing_ok,
                               GError **error);

/* Probes DOM's devices (ledger/probe.h) and claims them in LEDGER's
 * claims (policy/alloc.h); a refusal because a device is held, or is not
 * a unit of its pool here, is completed with the pool's free units as the
 * ledger counts them and, when `gpupool rebalance` re-points DOM, with
 * the ending WHO gives (gp_alloc_explain_refusal()). */
gboolean gp_lifecycle_claim(GpLedger *ledger, GHashTable *pools, GpDomain *dom,
                            GpAllocRepoint who, GError **error);

/* prepare begin: per-domain limits, copied mdevs refused, mdevs made,
 * probe, claim, VF profiles set, save; on any refusal the partitions this
 * start made are given back and the claims file is as it was.  A refusal
 * that re-pointing DOM fixes (GP_ALLOC_ERROR_HELD or NOT_MEMBER with a
 * free unit, GP_ALLOC_ERROR_COPIED) says that DOM is being re-pointed
 * and to start it again in a moment: the caller starts `gpupool
 * rebalance` after it. */
gboolean gp_lifecycle_prepare(GpDomain *dom, GError **error);
/* `gpupool check`: what prepare would decide for DOM now, in the same
 * words, without changing anything: a snapshot of the ledger (the lock is
 * held only while reading), mdevs and VF profiles checked for room rather
 * than made.  A refusal that re-pointing fixes names the command that
 * does it ('gpupool rebalance') where prepare's says it is being done.
 * TRUE when a start would pass gpupool. */
gboolean gp_lifecycle_check(GpDomain *dom, GError **error);

/* release end: drop DOM's claims and save (nothing to save if it held
 * none), giving back their partitions first; a partition that cannot be
 * given back yet (a VFIO handle still open) keeps its claim and is
 * GP_ALLOC_ERROR_NOT_READY saying why.  An mdev of DOM's mdev pools that
 * is DOM's own by its UUID and that no claim owns (a prepare killed
 * before it saved) is removed too, and claims of mdevs that are gone are
 * dropped (ops/reconcile.h).  *DROPPED (may be NULL) is how many of
 * DOM's claims were dropped. */
gboolean gp_lifecycle_release(const GpDomain *dom, guint *dropped, GError **error);
/* reconnect begin: gp_alloc_reconnect(), then gp_reconcile_host() (claims
 * of mdevs that are gone dropped, gpupool's own mdevs and VF profiles no
 * claim owns given back), and save; WARNINGS as there, and a line per
 * thing put right. */
gboolean gp_lifecycle_reconnect(GpDomain *dom, GPtrArray *warnings, GError **error);
/* migrate begin: refuses what cannot arrive while running
 * (gp_migrate_check_incoming(): whole devices, another partition type or
 * profile than REQUESTS, the domain's recorded requests, name) and pools
 * with too few free units here (GP_MIGRATE_ERROR_NO_ROOM naming the free
 * count); then the local unit each of DOM's devices should use
 * (gp_alloc_repoint()), from the claims and pools under the lock and the
 * free units the ledger counts; nothing is saved (prepare claims).  Only
 * vf devices are re-pointed, so each value is a PCI address.  Empty:
 * nothing to rewrite. */
GHashTable *gp_lifecycle_repoint(GpDomain *dom, GPtrArray *requests, GError **error);

/* Within LEDGER's transaction: drops the claims of domains whose UUID is
 * not in RUNNING (a set of UUID strings), giving back their partitions
 * first (mdevs removed, VF profiles cleared); a claim whose partition
 * cannot be given back yet (a VFIO handle still open) stays: a VF never
 * keeps its profile without a claim.  DROPPED and KEPT (either may be
 * NULL) get one line per claim ("vm1: dropped its claim on ... : it is
 * not running", "vm1: kept its claim on ... although it is not running:
 * WHY").  Returns how many claims were dropped; the caller saves. */
guint gp_lifecycle_reconcile(GpLedger *ledger, GHashTable *running, GPtrArray *dropped,
                             GPtrArray *kept);

G_END_DECLS
