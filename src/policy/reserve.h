/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which units of a pool a stopped domain reserves: the pure decisions of
 * `gpupool assign` (which devices to write into a domain's definition)
 * and of `gpupool rebalance` (which stopped domains to re-point).  They
 * look only at the pool's units, the claims and the other domains'
 * reservations, so the tests need neither libvirt nor a host. */
#pragma once

#include <glib.h>

#include "state/claims.h"
#include "state/domain.h"

G_BEGIN_DECLS

#define GP_RESERVE_ERROR gp_reserve_error_quark()
GQuark gp_reserve_error_quark(void);

typedef enum {
    GP_RESERVE_ERROR_REFUSED,   /* the pool has fewer units than asked for */
    GP_RESERVE_ERROR_INVALID,   /* a count out of range */
} GpReserveError;

/* What assign knows about one unit it could choose. */
typedef struct {
    const char *device;        /* PCI address or mdev UUID */
    const GpClaim *claim;      /* who holds it now, NULL if free */
    guint reservations;        /* other domains whose definition reserves it */
    gboolean current;          /* this domain reserves it already */
} GpReserveCandidate;

/* Choose COUNT of CANDIDATES for domain DOM_UUID: devices it already has
 * (idempotence), then free ones before ones another domain holds, the
 * least reserved first, then by name.  NULL with a REFUSED error naming
 * the pool and the fix if the pool has fewer than COUNT devices.  Returns
 * new strings; *HELD_BY_OTHERS (if not NULL) is how many of them another
 * running domain holds now (the domain cannot start until they are free
 * or rebalance re-points it). */
GPtrArray *gp_reserve_choose(const char *dom_name, const char *dom_uuid, const char *pool,
                             GPtrArray *candidates, guint count, guint *held_by_others,
                             GError **error);

/* One re-pointed device. */
typedef struct {
    char *domain;       /* name */
    char *uuid;
    char *alias;
    char *pool;
    char *from;
    char *to;
    /* "held by vm1", "no longer a device of pool 'gpus'", "quarantined:
     * REASON: FIX" */
    char *reason;
} GpReserveMove;

void gp_reserve_move_free(GpReserveMove *move);

/* Why device DEV of stopped domain DOM must move to another unit of its
 * pool, or NULL if it may stay: it is quarantined (QUARANTINED, device ->
 * the ledger's reason, "quarantined: REASON: FIX" or "on PF, which is
 * quarantined: ...", may be NULL), it is held by another domain ("held by
 * vm1"), it is not one of POOL_UNITS (the pool's units on this host:
 * "no longer a device of pool 'gpus'"), or, in an mdev pool, its UUID
 * was derived from another domain's UUID, a copy of that domain's
 * definition ("made for another domain").  The hook asks it to tell
 * whether the rebalance it starts re-points a refused domain. */
char *gp_reserve_repoint_reason(const GpDomain *dom, const GpDomainDevice *dev,
                                GPtrArray *pool_units, GHashTable *quarantined,
                                GpClaims *claims);

/* The moves that give every stopped domain a unit of its own:
 *   - a device quarantined, held by another domain, or no longer a unit
 *     of its pool (the reason as gp_reserve_repoint_reason() gives it),
 *     moves to a free unit of the same pool, least reserved first (a
 *     line in PROBLEMS when there is none);
 *   - a reservation that another domain's definition shares (a copy of
 *     its definition, by virt-clone or 'virsh define') moves to a free
 *     unit nobody reserves, when there is one; the domain that keeps the
 *     unit is a running one, else the first by name;
 *   - an mdev copied from another domain's definition moves to the
 *     domain's own mdev UUID (state/domain.h).
 * Running domains are never touched.  DOMAINS: GpDomain* (their devices
 * are re-pointed in place), CANDIDATES: pool name -> GPtrArray of the
 * pool's units (mdev pools need none), QUARANTINED: device -> why, for
 * the devices the domains name that are quarantined (NULL: none),
 * CLAIMS: the current claims (NULL: none).  Applying the moves and planning again gives no moves. */
GPtrArray *gp_reserve_rebalance_plan(GPtrArray *domains, GHashTable *candidates,
                                     GHashTable *quarantined, GpClaims *claims,
                                     GPtrArray *problems);

G_END_DECLS
