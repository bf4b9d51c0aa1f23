/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger: the one owner of "what can a pool still give, and who holds
 * what".  It holds the host-wide lock, the claims, the pool definitions
 * and what the host says about their devices, and answers every view and
 * every refusal from them, so `pool-list`, `pool-info`, `status`,
 * `partitions`, `assign` and the hook always tell the same numbers.
 *
 * A ledger is opened for reading (a consistent snapshot: the lock is held
 * only while the files are read) or for a transaction (the lock is held
 * until the ledger is freed; lock, read, decide, write a temporary file,
 * fsync, rename).  Pools are loaded when first asked for, and the host is
 * probed for a pool's capacity only when someone asks for it, so a claim
 * on the hook's path reads nothing it does not need.
 *
 * The numbers themselves are worked out by policy/capacity.c, a pure
 * function of the pool, the claims and the probed facts. */
#pragma once

#include <glib.h>

#include "state/claims.h"
#include "state/pool.h"
#include "policy/capacity.h"

G_BEGIN_DECLS

#define GP_LEDGER_ERROR gp_ledger_error_quark()
GQuark gp_ledger_error_quark(void);

typedef enum {
    GP_LEDGER_ERROR_LOCK,   /* the host-wide lock cannot be taken */
} GpLedgerError;

typedef enum {
    /* A consistent snapshot for a view or a plan: claims and every pool
     * are read under the lock, which is let go at once.  Without the
     * right to take the lock (not root) the files are read without it:
     * each is always whole (written aside, then renamed). */
    GP_LEDGER_READ,
    /* A transaction: the lock is held until gp_ledger_free().  Opening
     * one removes the temporary files of writers that were killed
     * before their rename (claims, pools, the cluster's runtime copies;
     * gp_txfile_remove_leftovers()). */
    GP_LEDGER_WRITE,
} GpLedgerMode;

typedef struct _GpLedger GpLedger;

/* Errors: GP_LEDGER_ERROR_LOCK naming the fix, GP_CLAIMS_ERROR (a claims
 * file that cannot be read), GP_POOL_ERROR (a pool file, READ mode). */
GpLedger *gp_ledger_open(GpLedgerMode mode, GError **error);
void gp_ledger_free(GpLedger *ledger);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpLedger, gp_ledger_free)

/* The claims; in a transaction the caller changes them and saves. */
GpClaims *gp_ledger_claims(GpLedger *ledger);
/* Writes the claims (WRITE mode). */
gboolean gp_ledger_save(GpLedger *ledger, GError **error);

/* Pool NAME, loaded once (GP_POOL_ERROR_NOT_FOUND naming the pool). */
const GpPool *gp_ledger_pool(GpLedger *ledger, const char *name, GError **error);
/* Every pool, sorted by name (borrowed). */
GPtrArray *gp_ledger_pools(GpLedger *ledger, GError **error);
/* A transaction that rewrote pool NAME (or removed it) makes the ledger
 * read it again when next asked, and forget its capacity. */
void gp_ledger_forget_pool(GpLedger *ledger, const char *name);
/* Forget every probed capacity: the host changed under the transaction
 * (an mdev made, a profile set). */
void gp_ledger_forget_host(GpLedger *ledger);

/* What pool NAME can give on this host now (borrowed; probed on first
 * use, see gp_ledger_forget_host()). */
const GpPoolCapacity *gp_ledger_capacity(GpLedger *ledger, const char *name, GError **error);

/* The units of pci or vf pool NAME a domain's definition may reserve:
 * those held now and those free, sorted (new strings).  Empty for mdev
 * pools, whose units are named after each domain. */
GPtrArray *gp_ledger_units(GpLedger *ledger, const char *name, GError **error);

/* Why DEVICE, which a domain's definition names for pci or vf pool NAME,
 * cannot be handed out because the member it is broke or vanished:
 * "quarantined: REASON: FIX" for a whole device, "on PF, which is
 * quarantined: REASON: FIX" for a VF of a quarantined PF (a new string);
 * NULL when it is not quarantined, or when that cannot be told (a VF
 * gone with its PF). */
char *gp_ledger_quarantine_of(GpLedger *ledger, const char *name, const char *device);

/* The claim that keeps DEVICE busy: one on the device itself, on an mdev
 * created on it, or on one of its VFs; NULL if none. */
const GpClaim *gp_ledger_holder(GpLedger *ledger, const char *device);
/* The names of every domain holding DEVICE that way, sorted (new). */
GPtrArray *gp_ledger_holders(GpLedger *ledger, const char *device);

G_END_DECLS
