/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handing pool devices to domains: the decisions the libvirt hook makes
 * when a domain starts (claim), is found running after libvirtd restarted
 * (reconnect) or arrives by migration (re-point).
 *
 * Pure: a decision looks only at the claims, the pool definitions, what
 * the ledger probed about the domain's devices (GpDomainDevice's facts)
 * and, to re-point, the free units the ledger counted; it changes only
 * the claims it is given.  The transactions that probe, lock and save are
 * src/ops/lifecycle.h. */
#pragma once

#include <glib.h>

#include "state/claims.h"
#include "state/domain.h"
#include "state/pool.h"

G_BEGIN_DECLS

#define GP_ALLOC_ERROR gp_alloc_error_quark()
GQuark gp_alloc_error_quark(void);

typedef enum {
    GP_ALLOC_ERROR_NOT_MEMBER, /* the device is not in the requested pool on this host */
    GP_ALLOC_ERROR_HELD,       /* another domain holds it */
    GP_ALLOC_ERROR_NOT_READY,  /* not bound to vfio-pci / the mdev does not exist */
    GP_ALLOC_ERROR_MMIO,       /* the domain's 64-bit MMIO window is too small */
    GP_ALLOC_ERROR_EXHAUSTED,  /* no free device left to re-point to, no room for a partition */
    GP_ALLOC_ERROR_INVALID,    /* the domain's request cannot be honoured as written */
    GP_ALLOC_ERROR_BYPASS,     /* the domain names a pool device outside gpupool */
    GP_ALLOC_ERROR_COPIED,     /* an mdev UUID copied from another domain's definition */
    /* the device, or the PF or mdev parent it is on, broke or vanished
     * (policy/quarantine.h) */
    GP_ALLOC_ERROR_QUARANTINED,
} GpAllocError;

/* Who acts on a refusal that re-pointing the domain to another unit of
 * its pool fixes (`gpupool rebalance` does it for stopped domains). */
typedef enum {
    GP_ALLOC_REPOINT_ADVISE = 0, /* nobody yet (`gpupool check`): name the command */
    GP_ALLOC_REPOINT_STARTED,    /* the caller starts the rebalance (the hook) */
} GpAllocRepoint;

/* QEMU's default 64-bit PCI hole when a domain sets no <pcihole64>. */
#define GP_ALLOC_DEFAULT_HOLE64 (32ULL << 30)

/* The least 64-bit MMIO window DEVICES (GpDomainDevice*) need in a
 * guest: the sum of their footprints (gp_mmio_device_footprint()).  0 if
 * none has 64-bit BARs. */
guint64 gp_alloc_window_need(GPtrArray *devices);

/* One partition per domain per pool unless the pool allows more
 * (partition-set --per-domain): more would take capacity the pool's other
 * domains were sized for.  INVALID naming the limit and the fix.  POOLS
 * maps names to GpPool* (borrowed); pools missing from it are skipped. */
gboolean gp_alloc_check_per_domain(const GpDomain *dom, GHashTable *pools, GError **error);

/* Claims every device of DOM for it, or none: on any refusal CLAIMS is
 * unchanged and ERROR is one line naming the device, the pool, the holder
 * and the fix.  Re-claiming what DOM already holds succeeds.  POOLS maps
 * pool names to GpPool* (borrowed).  On GP_ALLOC_ERROR_HELD *REFUSED (if
 * not NULL) is the device another domain holds, and the message ends
 * before the free devices: gp_alloc_explain_held() completes it from the
 * pool's capacity. */
gboolean gp_alloc_claim(GpClaims *claims, GHashTable *pools, const GpDomain *dom,
                        const GpDomainDevice **refused, GError **error);

/* Completes a GP_ALLOC_ERROR_HELD refusal with the pool's free units and
 * what to do: "...; free: A, B; run 'gpupool rebalance' or start the
 * domain again in a moment", or "free: none; stop a domain...".  FREE_TEXT
 * as gp_pool_capacity_free_text() gives it. */
void gp_alloc_explain_held(GError **error, const char *free_text);

/* Each mdev of DOM (its devices of the mdev pools in POOLS) must be one
 * gpupool derived from DOM's own UUID (gp_domain_mdev_slot()).  One
 * derived from another domain's UUID comes from a copy of that domain's
 * definition (virt-clone copies gpupool's metadata, mdev UUIDs
 * included): it is that domain's partition, and taking it would refuse
 * that domain's start.  GP_ALLOC_ERROR_COPIED then, naming the domain
 * CLAIMS say holds it, if any; rebalance re-points the copy to its own
 * mdev, and the message ends as WHO says. */
gboolean gp_alloc_check_copies(const GpDomain *dom, GHashTable *pools, GpClaims *claims,
                               GpAllocRepoint who, GError **error);

/* The device a NOT_MEMBER or HELD refusal of gp_alloc_claim() for DOM is
 * about: the first of DOM's devices that is not one its pool may hand
 * out here, or that another domain holds.  NULL if there is none (the
 * refusal was about something else). */
const GpDomainDevice *gp_alloc_refused_device(GpClaims *claims, GHashTable *pools,
                                              const GpDomain *dom);

/* Completes the NOT_MEMBER or HELD refusal of DEV (gp_alloc_refused_device())
 * in *ERROR: HELD gets the pool's free units FREE_TEXT as
 * gp_alloc_explain_held() gives them.  REPOINTABLE: `gpupool rebalance`
 * re-points DEV (gp_reserve_repoint_reason() says it must move, and its
 * pool has a free unit DOM does not use); the refusal then ends as WHO
 * says, STARTED: "DOM is being re-pointed to a free device of pool 'P':
 * start it again in a moment"; ADVISE: the command that re-points it.
 * Otherwise the manual fix stands. */
void gp_alloc_explain_refusal(GError **error, const GpDomain *dom, const GpDomainDevice *dev,
                              GHashTable *pools, const char *free_text, gboolean repointable,
                              GpAllocRepoint who);

/* Drops exactly the claims of the domain DOM_UUID and DOM_NAME
 * (gp_claim_is_domains()); returns how many. */
guint gp_alloc_release(GpClaims *claims, const char *dom_uuid, const char *dom_name);

/* DOM is running (libvirtd restarted): make sure it holds its devices.
 * A device that is free is claimed again; one held by another domain is
 * reported in WARNINGS (one line each, new strings) and left alone, as is
 * one that is in no pool any more: a running guest is never stopped for
 * it.  Returns how many claims were added. */
guint gp_alloc_reconnect(GpClaims *claims, GHashTable *pools, const GpDomain *dom,
                         GPtrArray *warnings);

/* The UUIDs (new strings) of the domains holding claims whose UUID is not
 * in RUNNING (a set of UUID strings): what `gpupool rebalance` gives back
 * after asking libvirt which domains run. */
GPtrArray *gp_alloc_stale_domains(GpClaims *claims, GHashTable *running);

/* Which of DOM's devices a domain arriving on this host (migration) can
 * keep: a device that is a member of its pool here and free (or DOM's
 * own) stays; mdevs are made at prepare under DOM's own UUID and never
 * move.  Returns the devices (borrowed GpDomainDevice*) that need
 * another unit of their pool, or NULL with an error naming the pool. */
GPtrArray *gp_alloc_repoint_needs(GpClaims *claims, GHashTable *pools, const GpDomain *dom,
                                  GError **error);

/* Picks for each of NEEDS a free unit of its pool from FREE_UNITS (pool
 * name -> GPtrArray of the units the ledger counts as free, sorted), none
 * twice and none DOM already uses.  Returns alias -> unit (new strings)
 * of the devices that change, or NULL with GP_ALLOC_ERROR_EXHAUSTED
 * naming the pool. */
GHashTable *gp_alloc_repoint(const GpDomain *dom, GPtrArray *needs, GHashTable *free_units,
                             GError **error);

G_END_DECLS
