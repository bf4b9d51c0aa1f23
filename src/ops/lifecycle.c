/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A pool domain's life: prepare, release, reconnect, migrate, reconcile. */
#include "config.h"

#include "ops/lifecycle.h"

#include <string.h>

#include "base/paths.h"
#include "base/sysfs.h"
#include "base/txfile.h"
#include "host/pcidev.h"
#include "state/poolstore.h"
#include "policy/alloc.h"
#include "policy/migrate.h"
#include "policy/reserve.h"
#include "ledger/probe.h"
#include "ops/partition.h"
#include "ops/reconcile.h"

/* ---- Passthrough of pool devices ---------------------------------------- */

/* The pool DEVICE (a PCI address or an mdev UUID a domain names directly)
 * belongs to, or NULL: MEMBERSHIP maps member addresses to pool names. */
static const char *
pool_of_passthrough(const char *device, GHashTable *membership, GpClaims *claims)
{
    const GpClaim *held = gp_claims_find(claims, device);
    const char *pool = g_hash_table_lookup(membership, device);
    g_autofree char *parent = NULL;

    if (pool)
        return pool;
    if (held)
        return held->pool;
    /* An mdev on a member, or a VF of a member: vf pools hand those out,
     * and a VF of any other member shares its silicon. */
    if (g_uuid_string_is_valid(device)) {
        g_autofree char *rel = gp_sysfs_mdev_dev_path(device, NULL);

        parent = gp_sysfs_link_parent_name(rel, NULL);
    } else {
        parent = gp_pci_physfn(device);
    }
    return parent ? g_hash_table_lookup(membership, parent) : NULL;
}

/* The refusal of ASG's own WHAT (an element) that names DEVICE of POOL:
 * a fix that does not send the admin round in a circle (the element
 * stays until it is removed, whatever `gpupool assign` does). */
static gboolean
refuse_bypass(const GpDomAssignment *asg, const char *what, const char *device,
              const char *pool, const char *assign_pool, GError **error)
{
    const char *name = asg->name;
    g_autofree char *then = NULL;

    if (assign_pool)
        then = g_strdup_printf(", then run 'gpupool assign %s --pool %s' again", name,
                               assign_pool);
    else if (gp_dom_assignment_request(asg, pool))
        then = g_strdup_printf("; the devices gpupool reserves for it stay");
    else
        then = g_strdup_printf(", then give it devices of the pool with 'gpupool assign %s "
                               "--pool %s'", name, pool);
    g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_BYPASS,
                "%s: its own %s of %s passes through a device of pool '%s', which only "
                "gpupool hands out: remove that %s from the definition ('virsh edit %s')%s",
                name, what, device, pool, what, name, then);
    return FALSE;
}

gboolean
gp_lifecycle_check_passthrough(const GpDomAssignment *asg, const char *assign_pool,
                               GError **error)
{
    g_autoptr(GHashTable) membership = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) err = NULL;
    GPtrArray *passthrough = asg->passthrough;
    const char *dom_name = asg->name;

    if (!passthrough || passthrough->len == 0)
        return TRUE;
    /* No lock: this start changes nothing of gpupool's, and a pool or
     * claims file is always whole (written aside, then renamed). */
    membership = gp_poolstore_membership(&err);
    if (membership)
        claims = gp_claims_load(&err);
    if (!claims) {
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_BYPASS,
                    "%s: cannot tell whether its <hostdev>s are pool devices: %s",
                    dom_name, err->message);
        return FALSE;
    }
    for (guint i = 0; i < passthrough->len; i++) {
        const char *device = passthrough->pdata[i];
        const char *pool = pool_of_passthrough(device, membership, claims);

        if (pool)
            return refuse_bypass(asg, asg->passthrough_kinds->pdata[i], device, pool,
                                 assign_pool, error);
    }
    return TRUE;
}

/* ---- Pools and probing ---------------------------------------------------- */

GHashTable *
gp_lifecycle_pools(GpLedger *ledger, const GpDomain *dom, gboolean missing_ok, GError **error)
{
    g_autoptr(GHashTable) pools = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        g_autoptr(GError) err = NULL;
        const GpPool *pool;

        if (g_hash_table_contains(pools, dev->pool))
            continue;
        pool = gp_ledger_pool(ledger, dev->pool, &err);
        if (pool) {
            g_hash_table_insert(pools, pool->name, (gpointer)pool);
            continue;
        }
        if (missing_ok && g_error_matches(err, GP_POOL_ERROR, GP_POOL_ERROR_NOT_FOUND))
            continue;
        g_prefix_error(&err, "%s: ", dom->name);
        g_propagate_error(error, g_steal_pointer(&err));
        return NULL;
    }
    return g_steal_pointer(&pools);
}

static void
probe_all(GpDomain *dom, GHashTable *pools)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);

        gp_ledger_probe_device(dev, pool ? pool->type : GP_POOL_TYPE_PCI);
    }
}

/* Completes a refusal because one of DOM's devices is held by another
 * domain or is not a unit of its pool here: which of the pool's units
 * are free, and, when the rebalance re-points DOM (the decision its plan
 * makes, policy/reserve.h, with a free unit DOM does not use yet), the
 * ending WHO gives. */
static void
explain_refusal(GpLedger *ledger, GHashTable *pools, const GpDomain *dom, GpAllocRepoint who,
                GError **error)
{
    GpClaims *claims = gp_ledger_claims(ledger);
    const GpDomainDevice *dev;
    const GpPoolCapacity *cap;
    g_autoptr(GPtrArray) units = NULL;
    g_autofree char *free_text = NULL;
    g_autofree char *reason = NULL;
    gboolean repointable = FALSE;

    if (!error || !*error ||
        (!g_error_matches(*error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_HELD) &&
         !g_error_matches(*error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER) &&
         !g_error_matches(*error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_QUARANTINED)))
        return;
    dev = gp_alloc_refused_device(claims, pools, dom);
    cap = dev ? gp_ledger_capacity(ledger, dev->pool, NULL) : NULL;
    if (!cap)
        return;
    free_text = gp_pool_capacity_free_text(cap);
    units = gp_ledger_units(ledger, dev->pool, NULL);
    reason = gp_reserve_repoint_reason(dom, dev, units, NULL, claims);
    for (guint i = 0; reason && i < cap->free_units->len && !repointable; i++) {
        const char *unit = cap->free_units->pdata[i];

        repointable = TRUE;
        for (guint j = 0; j < dom->devices->len; j++)
            if (strcmp(((GpDomainDevice *)dom->devices->pdata[j])->device, unit) == 0)
                repointable = FALSE;
    }
    gp_alloc_explain_refusal(error, dom, dev, pools, free_text, repointable, who);
}

gboolean
gp_lifecycle_claim(GpLedger *ledger, GHashTable *pools, GpDomain *dom, GpAllocRepoint who,
                   GError **error)
{
    probe_all(dom, pools);
    if (gp_alloc_claim(gp_ledger_claims(ledger), pools, dom, NULL, error))
        return TRUE;
    explain_refusal(ledger, pools, dom, who, error);
    return FALSE;
}

/* ---- Partitions of mdev and VF pools (ops/partition.h) --------------------
 *
 * An mdev pool's partition is created under the domain's own UUID before
 * the claim (the claim checks that it exists on a member parent); a VF
 * pool's vendor profile is set after the claim (so a VF another domain
 * holds is never touched).  Whatever a refused start made is taken away
 * again; release gives back only partitions the domain's own claims name. */

/* Gives back the partitions this start made (MADE: GpDomainDevice*). */
static void
undo_partitions(GHashTable *pools, GPtrArray *made, const GpDomain *dom)
{
    for (guint i = 0; i < made->len; i++) {
        const GpDomainDevice *dev = made->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        GpClaim claim = {
            .device = dev->device, .pool = dev->pool,
            .domain_uuid = dom->uuid, .domain_name = dom->name,
        };

        if (pool)
            gp_partition_release_claim(pool, &claim, NULL, NULL);
    }
}

/* Prepares the partitions of pool type TYPE (mdev or vf) that DOM's
 * devices are, adding to MADE those undo_partitions() must take back: the
 * mdevs created here, the VFs given a vendor profile. */
static gboolean
prepare_partitions(GpLedger *ledger, const GpDomain *dom, GHashTable *pools, GpPoolType type,
                   GPtrArray *made, GError **error)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        gboolean changed = FALSE;
        gboolean ok;

        if (!pool || pool->type != type)
            continue;
        if (type == GP_POOL_TYPE_MDEV) {
            ok = gp_partition_prepare_mdev(ledger, pool, dev->device, dom->uuid, &changed,
                                           error);
        } else {
            ok = gp_partition_prepare_vf(ledger, pool, dev->device, dom->uuid, error);
            changed = pool->vf_profile != NULL;
        }
        if (!ok) {
            g_prefix_error(error, "%s: ", dom->name);
            return FALSE;
        }
        if (changed) {
            g_ptr_array_add(made, dev);
            /* The host's room changed under the transaction. */
            gp_ledger_forget_host(ledger);
        }
    }
    return TRUE;
}

/* Gives back the partition CLAIM stands for, if it is one.  Whole
 * devices have nothing to give back: that spares the pool load on the
 * release path of every pci-pool domain.  A pool that is no longer
 * defined still had its partition made: a stand-in from the claim gives
 * it back, so that no VF keeps a profile nobody holds. */
static gboolean
give_back_partition(GpLedger *ledger, const GpClaim *claim, GError **error)
{
    const GpPool *pool = NULL;
    GpPool stand_in = { .name = claim->pool };

    if (!gp_partition_kind_of_claim(claim, &stand_in.type))
        return TRUE;
    pool = gp_ledger_pool(ledger, claim->pool, NULL);
    /* The hook runs as root, so the open-handle scan sees every process;
     * without root it is skipped (partition.h). */
    return gp_partition_release_claim(pool ? pool : &stand_in, claim, NULL, error);
}

/* Drops DOM_UUID's claims, giving back the partitions they name first.  A
 * partition that cannot be given back (a VFIO handle still open) keeps
 * its claim, so that nobody else is handed it, with a line in KEPT: the
 * error, or for a STALE claim (its domain is not running) "NAME: kept its
 * claim on DEVICE (pool 'P') although it is not running: ERROR".  DROPPED
 * (may be NULL) gets "NAME: dropped its claim on DEVICE (pool 'P'): it is
 * not running" for each stale claim dropped. */
static guint
release_with_partitions(GpLedger *ledger, const char *dom_uuid, const char *dom_name,
                        gboolean stale, GPtrArray *dropped, GPtrArray *kept)
{
    GpClaims *claims = gp_ledger_claims(ledger);
    g_autoptr(GPtrArray) mine = gp_claims_of_domain(claims, dom_uuid, dom_name);
    g_autoptr(GPtrArray) drop = g_ptr_array_new_with_free_func(g_free);
    guint n = 0;

    for (guint i = 0; i < mine->len; i++) {
        const GpClaim *claim = mine->pdata[i];
        g_autoptr(GError) err = NULL;

        if (!give_back_partition(ledger, claim, &err)) {
            g_ptr_array_add(kept, stale ? g_strdup_printf(
                                              "%s: kept its claim on %s (pool '%s') although "
                                              "it is not running: %s", claim->domain_name,
                                              claim->device, claim->pool, err->message)
                                        : g_strdup(err->message));
            continue;
        }
        if (stale && dropped)
            g_ptr_array_add(dropped, g_strdup_printf(
                                         "%s: dropped its claim on %s (pool '%s'): it is not "
                                         "running", claim->domain_name, claim->device,
                                         claim->pool));
        g_ptr_array_add(drop, g_strdup(claim->device));
    }
    for (guint i = 0; i < drop->len; i++)
        n += gp_claims_drop_device(claims, drop->pdata[i]) ? 1 : 0;
    return n;
}

guint
gp_lifecycle_reconcile(GpLedger *ledger, GHashTable *running, GPtrArray *dropped,
                       GPtrArray *kept)
{
    g_autoptr(GPtrArray) stale = gp_alloc_stale_domains(gp_ledger_claims(ledger), running);
    g_autoptr(GPtrArray) not_given_back = g_ptr_array_new_with_free_func(g_free);
    guint n = 0;

    /* As release does: partitions first, and a claim whose partition
     * cannot be given back yet stays. */
    for (guint i = 0; i < stale->len; i++)
        n += release_with_partitions(ledger, stale->pdata[i], NULL, TRUE, dropped,
                                     kept ? kept : not_given_back);
    return n;
}

/* ---- Transactions ------------------------------------------------------- */

gboolean
gp_lifecycle_prepare(GpDomain *dom, GError **error)
{
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GPtrArray) made = NULL;

    if (!ledger)
        return FALSE;
    /* Pools and the host are read under the lock: pool-remove takes it
     * too, so a device cannot leave its pool between check and claim. */
    pools = gp_lifecycle_pools(ledger, dom, FALSE, error);
    if (!pools)
        return FALSE;
    /* Partitions: mdevs before the probe, VF profiles after the claim. */
    made = g_ptr_array_new();
    /* A copied mdev is refused before any partition is made for it. */
    if (!gp_alloc_check_per_domain(dom, pools, error) ||
        !gp_alloc_check_copies(dom, pools, gp_ledger_claims(ledger), GP_ALLOC_REPOINT_STARTED,
                               error) ||
        !prepare_partitions(ledger, dom, pools, GP_POOL_TYPE_MDEV, made, error))
        goto undo;
    if (!gp_lifecycle_claim(ledger, pools, dom, GP_ALLOC_REPOINT_STARTED, error) ||
        !prepare_partitions(ledger, dom, pools, GP_POOL_TYPE_VF, made, error) ||
        !gp_ledger_save(ledger, error))
        goto undo;
    return TRUE;

undo:
    undo_partitions(pools, made, dom);
    return FALSE;
}

/* The dry run of prepare_partitions() for mdevs: each of DOM's mdevs
 * exists on a member parent or would be made on one with room; PLACED
 * gets alias -> parent (borrowed keys, new values). */
static gboolean
check_mdevs(GpLedger *ledger, const GpDomain *dom, GHashTable *pools, GHashTable *placed,
            GError **error)
{
    g_autoptr(GHashTable) taken = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(taken, dev->pool));
        char *parent;

        if (!pool || pool->type != GP_POOL_TYPE_MDEV)
            continue;
        parent = gp_partition_mdev_room(ledger, pool, dev->device, dom->uuid, n, error);
        if (!parent) {
            g_prefix_error(error, "%s: ", dom->name);
            return FALSE;
        }
        g_hash_table_insert(placed, dev->alias, parent);
        g_hash_table_insert(taken, dev->pool, GUINT_TO_POINTER(n + 1));
    }
    return TRUE;
}

static gboolean
check_vfs(GpLedger *ledger, const GpDomain *dom, GHashTable *pools, GError **error)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);

        if (!pool || pool->type != GP_POOL_TYPE_VF)
            continue;
        if (!gp_partition_vf_room(ledger, pool, dev->device, dom->uuid, error)) {
            g_prefix_error(error, "%s: ", dom->name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
gp_lifecycle_check(GpDomain *dom, GError **error)
{
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_READ, error);
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GHashTable) placed = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);

    if (!ledger)
        return FALSE;
    pools = gp_lifecycle_pools(ledger, dom, FALSE, error);
    if (!pools || !gp_alloc_check_per_domain(dom, pools, error) ||
        !gp_alloc_check_copies(dom, pools, gp_ledger_claims(ledger), GP_ALLOC_REPOINT_ADVISE,
                               error) ||
        !check_mdevs(ledger, dom, pools, placed, error))
        return FALSE;
    probe_all(dom, pools);
    /* An mdev prepare would make counts as made, where it would be. */
    for (guint i = 0; i < dom->devices->len; i++) {
        GpDomainDevice *dev = dom->devices->pdata[i];
        const char *parent = g_hash_table_lookup(placed, dev->alias);

        if (parent && !dev->present) {
            dev->present = TRUE;
            g_free(dev->parent);
            dev->parent = g_strdup(parent);
        }
    }
    /* The snapshot's claims are never saved: deciding on them is free.
     * Nothing is started here: a refusal that a rebalance would fix
     * names the command. */
    if (!gp_alloc_claim(gp_ledger_claims(ledger), pools, dom, NULL, error)) {
        explain_refusal(ledger, pools, dom, GP_ALLOC_REPOINT_ADVISE, error);
        return FALSE;
    }
    return check_vfs(ledger, dom, pools, error);
}

/* The mdev pools DOM's devices name (mdevs are named by UUID), or NULL
 * if none: only there can a killed prepare have left an mdev of DOM's. */
static GPtrArray *
mdev_pools_of(const GpDomain *dom)
{
    GPtrArray *pools = NULL;

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];

        if (!gp_domain_device_is_mdev(dev))
            continue;
        if (!pools)
            pools = g_ptr_array_new();
        if (!g_ptr_array_find_with_equal_func(pools, dev->pool, g_str_equal, NULL))
            g_ptr_array_add(pools, dev->pool);
    }
    return pools;
}

gboolean
gp_lifecycle_release(const GpDomain *dom, guint *dropped, GError **error)
{
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) kept = NULL;
    g_autoptr(GPtrArray) mdev_pools = mdev_pools_of(dom);
    guint n, tidied = 0;

    if (dropped)
        *dropped = 0;
    ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    if (!ledger)
        return FALSE;
    kept = g_ptr_array_new_with_free_func(g_free);
    n = release_with_partitions(ledger, dom->uuid, dom->name, FALSE, NULL, kept);
    if (mdev_pools) {
        g_autoptr(GPtrArray) self = g_ptr_array_new();

        g_ptr_array_add(self, dom->uuid);
        tidied = gp_reconcile_host(ledger, self, mdev_pools, NULL, NULL);
    }
    if (n + tidied > 0 && !gp_ledger_save(ledger, error))
        return FALSE;
    if (dropped)
        *dropped = n;
    if (kept->len) {
        g_autofree char *why = NULL;

        g_ptr_array_add(kept, NULL);
        why = g_strjoinv("; ", (char **)kept->pdata);
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_READY,
                    "partitions not given back yet: %s", why);
        return FALSE;
    }
    return TRUE;
}

gboolean
gp_lifecycle_reconnect(GpDomain *dom, GPtrArray *warnings, GError **error)
{
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    g_autoptr(GHashTable) pools = NULL;
    guint added, dropped;

    if (!ledger)
        return FALSE;
    /* A pool that vanished must not stop the others being recorded. */
    pools = gp_lifecycle_pools(ledger, dom, TRUE, error);
    if (!pools)
        return FALSE;
    probe_all(dom, pools);
    added = gp_alloc_reconnect(gp_ledger_claims(ledger), pools, dom, warnings);
    /* libvirtd went away: what it left is put right as far as the claims
     * tell (ops/reconcile.h): claims of mdevs that are gone, gpupool's
     * own mdevs of the domains holding claims that no claim owns, vendor
     * profiles of VFs no claim holds (unless open: a domain whose claim
     * is missing still has it).  The rebalance this starts knows from
     * libvirt which domains do not run. */
    dropped = gp_reconcile_host(ledger, NULL, NULL, warnings, warnings);
    if (added + dropped == 0)
        return TRUE;
    return gp_ledger_save(ledger, error);
}

GHashTable *
gp_lifecycle_repoint(GpDomain *dom, GPtrArray *requests, GError **error)
{
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GHashTable) free_units = NULL;
    g_autoptr(GHashTable) need = NULL;
    g_autoptr(GPtrArray) needs = NULL;
    GHashTableIter iter;
    gpointer name, count;

    /* Claims are read under the lock for a consistent view; prepare
     * claims for real, so nothing is saved here. */
    if (!ledger)
        return NULL;
    pools = gp_lifecycle_pools(ledger, dom, FALSE, error);
    if (!pools || !gp_migrate_check_incoming(dom->name, requests, pools, error))
        return NULL;
    probe_all(dom, pools);
    needs = gp_alloc_repoint_needs(gp_ledger_claims(ledger), pools, dom, error);
    if (!needs)
        return NULL;
    /* What each pool must give: a new unit per device re-pointed, an
     * mdev made at prepare per mdev. */
    need = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);

        if (pool->type == GP_POOL_TYPE_MDEV || g_ptr_array_find(needs, dev, NULL))
            g_hash_table_insert(need, dev->pool, GUINT_TO_POINTER(
                GPOINTER_TO_UINT(g_hash_table_lookup(need, dev->pool)) + 1));
    }
    free_units = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_iter_init(&iter, need);
    while (g_hash_table_iter_next(&iter, &name, &count)) {
        const GpPoolCapacity *cap = gp_ledger_capacity(ledger, name, error);

        if (!cap || !gp_migrate_check_room(dom->name, g_hash_table_lookup(pools, name),
                                           GPOINTER_TO_UINT(count), cap->free, error))
            return NULL;
        g_hash_table_insert(free_units, name, cap->free_units);
    }
    return gp_alloc_repoint(dom, needs, free_units, error);
}
