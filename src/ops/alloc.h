/* Handing pool devices to domains: the decisions the libvirt hook makes
 * when a domain starts (claim), stops (release), is found running after
 * libvirtd restarted (reconnect) or arrives by migration (re-point), and
 * the transactions that apply them to the claims store.
 *
 * The decisions (gp_alloc_claim(), gp_alloc_reconnect(), ...) are pure:
 * they look only at the claims, the pool definitions and what
 * gp_alloc_probe() found on the host, so they can be tested without a
 * host.  The gp_alloc_*_domain() transactions take the host-wide lock,
 * load, decide, save: a crash at any point leaves the old or the new
 * claims, and two domains racing for the last device cannot both win. */
#pragma once

#include <glib.h>

#include "host/pcidev.h"
#include "state/claims.h"
#include "state/pool.h"

G_BEGIN_DECLS

#define GP_ALLOC_ERROR gp_alloc_error_quark()
GQuark gp_alloc_error_quark(void);

typedef enum {
    GP_ALLOC_ERROR_NOT_MEMBER, /* the device is not in the requested pool on this host */
    GP_ALLOC_ERROR_HELD,       /* another domain holds it */
    GP_ALLOC_ERROR_NOT_READY,  /* not bound to vfio-pci / the mdev does not exist */
    GP_ALLOC_ERROR_MMIO,       /* the domain's 64-bit MMIO window is too small */
    GP_ALLOC_ERROR_EXHAUSTED,  /* no free device left to re-point to */
    GP_ALLOC_ERROR_INVALID,    /* the domain's request cannot be honoured as written */
    GP_ALLOC_ERROR_BYPASS,     /* the domain names a pool device outside gpupool */
} GpAllocError;

/* One device a domain wants, as its gpupool metadata names it, completed
 * with what gp_alloc_probe() found on this host. */
typedef struct {
    char *alias;       /* "ua-gpupool-N" */
    char *pool;
    char *device;      /* canonical PCI address; mdev pools: the mdev UUID */
    /* Filled by gp_alloc_probe(): */
    gboolean present;  /* the device exists on this host */
    char *driver;      /* bound driver (pci, vf), NULL if none */
    char *parent;      /* vf: its physical function; mdev: its parent */
    GpPciBar bars[6];  /* pci, vf: sizes and kinds of its BARs */
} GpAllocDevice;

GpAllocDevice *gp_alloc_device_new(const char *alias, const char *pool, const char *device);
void gp_alloc_device_free(GpAllocDevice *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpAllocDevice, gp_alloc_device_free)

/* What the hook knows about the domain it runs for. */
typedef struct {
    const char *uuid;
    const char *name;
    GPtrArray *devices;   /* GpAllocDevice* */
    /* Size of the domain's 64-bit PCI hole (<pcihole64>) in bytes;
     * 0 when the domain leaves it to the hypervisor's default. */
    guint64 pcihole64;
    gboolean pcihole64_set;
} GpAllocDomain;

/* Reads from sysfs (through the one door) what the decisions need about
 * DEV: whether it exists, its driver, its parent, its BAR sizes.  Never
 * fails: what cannot be read is left unset, and the decision refuses. */
void gp_alloc_probe(GpAllocDevice *dev, GpPoolType type);

/* The least 64-bit MMIO window DEVICES need in a guest: the sum of their
 * footprints (gp_mmio_device_footprint()).  0 if none has 64-bit BARs. */
guint64 gp_alloc_window_need(GPtrArray *devices);

/* The free devices of POOL: members (not companions) for pci pools, the
 * enabled VFs of member PFs for vf pools, that no claim holds.  mdev
 * pools: the existing mdevs on member parents that no claim holds.  A new
 * array of new strings, sorted. */
GPtrArray *gp_alloc_pool_free(const GpPool *pool, GpClaims *claims);

/* Claims every device of DOM for it, or none: on any refusal CLAIMS is
 * unchanged and ERROR is one line naming the device, the pool, the holder,
 * the free devices and the fix.  Re-claiming what DOM already holds
 * succeeds.  POOLS maps pool names to GpPool* (borrowed). */
gboolean gp_alloc_claim(GpClaims *claims, GHashTable *pools, const GpAllocDomain *dom,
                        GError **error);

/* Drops exactly DOM_UUID's claims; returns how many. */
guint gp_alloc_release(GpClaims *claims, const char *dom_uuid);

/* DOM is running (libvirtd restarted): make sure it holds its devices.
 * A device that is free is claimed again; one held by another domain is
 * reported in WARNINGS (one line each, new strings) and left alone, as is
 * one that is in no pool any more: a running guest is never stopped for
 * it.  Returns how many claims were added. */
guint gp_alloc_reconnect(GpClaims *claims, GHashTable *pools, const GpAllocDomain *dom,
                         GPtrArray *warnings);

/* Drops the claims of domains whose UUID is not in RUNNING (a set of
 * UUID strings): what `gpupool rebalance` does after asking libvirt which
 * domains run.  Like release, it first gives back the partitions those
 * claims stand for (mdevs removed, VF profiles cleared), and keeps a
 * claim whose partition cannot be given back yet (a VFIO handle still
 * open): a VF never keeps its profile without a claim.  DROPPED and KEPT
 * (either may be NULL) get one line per claim ("vm1: dropped its claim on
 * ... : it is not running", "vm1: kept its claim on ... although it is
 * not running: WHY").  Returns how many claims were dropped. */
guint gp_alloc_reconcile(GpClaims *claims, GHashTable *running, GPtrArray *dropped,
                         GPtrArray *kept);

/* For a domain arriving on this host (migration, restore): the local
 * device each of its devices should use.  A device that is a free member
 * of its pool here stays; otherwise a free device of the same pool that
 * none of DOM's other devices uses.  Returns a table alias -> device
 * (new strings) of the devices that change (empty: nothing to rewrite), or
 * NULL with GP_ALLOC_ERROR_EXHAUSTED naming the pool. */
GHashTable *gp_alloc_repoint(GpClaims *claims, GHashTable *pools, const GpAllocDomain *dom,
                             GError **error);

/* ---- Transactions (lock, load, decide, save) ---------------------------- */

/* prepare begin, for every domain that passes host devices through:
 * PASSTHROUGH (the domain's own <hostdev>s, GpDomAssignment.passthrough)
 * must name no device of a pool, be it a member or companion, a VF of a
 * member, an mdev on a member parent, or a device a claim holds.
 * Otherwise GP_ALLOC_ERROR_BYPASS: "DOMAIN: DEVICE belongs to pool 'P';
 * give the domain pool devices with 'gpupool assign DOMAIN --pool P'
 * instead of a <hostdev>".  Read-only and without the state lock (pool
 * and claim files are replaced atomically); nothing is read when
 * PASSTHROUGH is empty. */
gboolean gp_alloc_check_passthrough(const char *dom_name, GPtrArray *passthrough,
                                    GError **error);

/* The pools DOM's devices name, loaded from the pool store: name ->
 * GpPool* (owned).  NOT_FOUND naming the pool if one is not defined on
 * this host. */
GHashTable *gp_alloc_load_pools(const GpAllocDomain *dom, GError **error);

/* prepare begin: probe, check the window, claim, save. */
gboolean gp_alloc_prepare_domain(const GpAllocDomain *dom, GError **error);
/* release end: drop DOM_UUID's claims and save (nothing to save if it held
 * none).  Returns FALSE only when the state cannot be read or written. */
gboolean gp_alloc_release_domain(const char *dom_uuid, guint *dropped, GError **error);
/* reconnect begin: gp_alloc_reconnect() and save; WARNINGS as there. */
gboolean gp_alloc_reconnect_domain(const GpAllocDomain *dom, GPtrArray *warnings,
                                   GError **error);

/* migrate begin: gp_alloc_repoint() on the claims and pools as they are
 * under the lock, with DOM's devices probed; nothing is saved (prepare
 * claims).  Only pci and vf devices are ever re-pointed, so each value is
 * a PCI address. */
GHashTable *gp_alloc_repoint_domain(const GpAllocDomain *dom, GError **error);

/* ---- The asynchronous rebalance ----------------------------------------- */

/* After each claim or release the hook starts `gpupool rebalance`
 * detached.  A burst of changes must start one rebalance, not one each,
 * and a change made while a rebalance runs must still be seen by one:
 *
 *   STATEDIR/rebalance-pending  exists while a started rebalance has not
 *                               begun reading the state; a change that
 *                               finds it relies on that rebalance.
 *   STATEDIR/rebalance.lock     held by the running rebalance; a pending
 *                               one waits for it, then clears the flag and
 *                               begins.
 *
 * So at most one rebalance runs and at most one waits. */
char *gp_alloc_rebalance_flag_path(void);
/* Marks a rebalance as pending; TRUE if the caller should start one (none
 * is pending, or the pending one is older than STALE_SECONDS and so
 * presumably died before it began). */
gboolean gp_alloc_rebalance_mark(gint64 stale_seconds);
/* In the started process, before it execs `gpupool rebalance`: waits
 * until no other rebalance runs, then clears the pending flag.  Returns
 * the lock's descriptor, to be inherited by the rebalance so the lock is
 * held until it exits (-1 if the lock cannot be had: run anyway). */
int gp_alloc_rebalance_take_turn(void);
/* Clears the pending flag (a rebalance that begins by other means). */
void gp_alloc_rebalance_begin(void);

G_END_DECLS
