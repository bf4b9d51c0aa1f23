/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger: claims, pools and capacity behind one lock. */
#include "config.h"

#include "ledger/ledger.h"

#include <errno.h>
#include <string.h>

#include "base/paths.h"
#include "base/txfile.h"
#include "host/pcidev.h"
#include "state/poolstore.h"
#include "ledger/probe.h"

G_DEFINE_QUARK(gp-ledger-error-quark, gp_ledger_error)

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct _GpLedger {
    GpLedgerMode mode;
    GpLock *lock;          /* held for a transaction */
    GpClaims *claims;
    GHashTable *pools;     /* name -> GpPool*, as loaded */
    GPtrArray *pool_list;  /* every pool, when asked for */
    GHashTable *capacity;  /* name -> GpPoolCapacity* */
};

static GpLock *
take_lock(GError **error)
{
    g_autofree char *dir = gp_paths_statedir();
    g_autofree char *path = gp_paths_lock();
    g_autoptr(GError) err = NULL;
    GpLock *lock;

    if (!gp_txfile_ensure_dir(dir, 0755, &err) || !(lock = gp_lock_acquire(path, &err))) {
        g_set_error(error, GP_LEDGER_ERROR, GP_LEDGER_ERROR_LOCK,
                    "cannot take the gpupool lock: %s (run as root, or set "
                    "GPUPOOL_STATEDIR to a writable directory)", err->message);
        return NULL;
    }
    return lock;
}

void
gp_ledger_free(GpLedger *ledger)
{
    if (!ledger)
        return;
    g_clear_pointer(&ledger->capacity, g_hash_table_unref);
    g_clear_pointer(&ledger->pool_list, g_ptr_array_unref);
    g_clear_pointer(&ledger->pools, g_hash_table_unref);
    g_clear_pointer(&ledger->claims, gp_claims_free);
    g_clear_pointer(&ledger->lock, gp_lock_release);
    g_free(ledger);
}

static gboolean
load_all_pools(GpLedger *ledger, GError **error)
{
    g_autoptr(GPtrArray) list = gp_poolstore_list(error);
    g_autofree gpointer *pools = NULL;
    gsize n = 0;

    if (!list)
        return FALSE;
    /* The table owns the pools; the sorted list borrows them. */
    g_ptr_array_set_free_func(list, NULL);
    pools = g_ptr_array_steal(list, &n);
    g_clear_pointer(&ledger->pool_list, g_ptr_array_unref);
    g_hash_table_remove_all(ledger->pools);
    ledger->pool_list = g_ptr_array_sized_new(n);
    for (gsize i = 0; i < n; i++) {
        GpPool *pool = pools[i];

        g_hash_table_insert(ledger->pools, g_strdup(pool->name), pool);
        g_ptr_array_add(ledger->pool_list, pool);
    }
    return TRUE;
}

/* Every writer of the claims, the pools and the cluster's runtime copies
 * holds the lock: a temporary file found under it belongs to a writer
 * that was killed before its rename. */
static void
remove_leftovers(void)
{
    g_autofree char *state = gp_paths_statedir();
    g_autofree char *pools = gp_paths_pooldir();
    g_autofree char *cluster = gp_paths_cluster_dir();

    gp_txfile_remove_leftovers(state, NULL);
    gp_txfile_remove_leftovers(pools, NULL);
    gp_txfile_remove_leftovers(cluster, NULL);
}

GpLedger *
gp_ledger_open(GpLedgerMode mode, GError **error)
{
    g_autoptr(GpLedger) ledger = g_new0(GpLedger, 1);
    g_autoptr(GError) err = NULL;

    ledger->mode = mode;
    ledger->pools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)gp_pool_free);
    ledger->capacity = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify)gp_pool_capacity_free);
    ledger->lock = take_lock(&err);
    if (!ledger->lock) {
        /* A reader without the right to lock still sees whole files. */
        if (mode == GP_LEDGER_WRITE) {
            g_propagate_error(error, g_steal_pointer(&err));
            return NULL;
        }
    } else if (mode == GP_LEDGER_WRITE) {
        remove_leftovers();
    }
    ledger->claims = gp_claims_load(error);
    if (!ledger->claims)
        return NULL;
    if (mode == GP_LEDGER_READ) {
        if (!load_all_pools(ledger, error))
            return NULL;
        g_clear_pointer(&ledger->lock, gp_lock_release);
    }
    return g_steal_pointer(&ledger);
}

GpClaims *
gp_ledger_claims(GpLedger *ledger)
{
    return ledger->claims;
}

gboolean
gp_ledger_save(GpLedger *ledger, GError **error)
{
    g_return_val_if_fail(ledger->mode == GP_LEDGER_WRITE, FALSE);
    return gp_claims_save(ledger->claims, error);
}

const GpPool *
gp_ledger_pool(GpLedger *ledger, const char *name, GError **error)
{
    GpPool *pool = g_hash_table_lookup(ledger->pools, name);

    if (pool)
        return pool;
    pool = gp_poolstore_load(name, error);
    if (pool)
        g_hash_table_insert(ledger->pools, g_strdup(name), pool);
    return pool;
}

GPtrArray *
gp_ledger_pools(GpLedger *ledger, GError **error)
{
    if (!ledger->pool_list && !load_all_pools(ledger, error))
        return NULL;
    return ledger->pool_list;
}

void
gp_ledger_forget_pool(GpLedger *ledger, const char *name)
{
    g_hash_table_remove(ledger->pools, name);
    g_hash_table_remove(ledger->capacity, name);
    g_clear_pointer(&ledger->pool_list, g_ptr_array_unref);
}

void
gp_ledger_forget_host(GpLedger *ledger)
{
    g_hash_table_remove_all(ledger->capacity);
}

const GpPoolCapacity *
gp_ledger_capacity(GpLedger *ledger, const char *name, GError **error)
{
    GpPoolCapacity *cap = g_hash_table_lookup(ledger->capacity, name);
    const GpPool *pool;
    g_autoptr(GPtrArray) facts = NULL;

    if (cap)
        return cap;
    pool = gp_ledger_pool(ledger, name, error);
    if (!pool)
        return NULL;
    facts = gp_ledger_probe_pool(pool);
    cap = gp_capacity_of(pool, facts, ledger->claims);
    g_hash_table_insert(ledger->capacity, g_strdup(name), cap);
    return cap;
}

GPtrArray *
gp_ledger_units(GpLedger *ledger, const char *name, GError **error)
{
    const GpPoolCapacity *cap = gp_ledger_capacity(ledger, name, error);
    GPtrArray *all = gp_claims_all(ledger->claims);
    GPtrArray *units;

    if (!cap)
        return NULL;
    units = g_ptr_array_new_with_free_func(g_free);
    if (cap->type == GP_POOL_TYPE_MDEV)
        return units;
    for (guint i = 0; i < cap->free_units->len; i++)
        g_ptr_array_add(units, g_strdup(cap->free_units->pdata[i]));
    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        if (strcmp(c->pool, name) == 0)
            g_ptr_array_add(units, g_strdup(c->device));
    }
    g_ptr_array_sort(units, compare_strings);
    return units;
}

char *
gp_ledger_quarantine_of(GpLedger *ledger, const char *name, const char *device)
{
    const GpPoolCapacity *cap = gp_ledger_capacity(ledger, name, NULL);
    const GpMemberCapacity *row;
    g_autofree char *pf = NULL;

    if (!cap)
        return NULL;
    switch (cap->type) {
    case GP_POOL_TYPE_PCI:
        row = gp_pool_capacity_row(cap, device);
        return row && row->quarantined ? g_strdup(row->problem) : NULL;
    case GP_POOL_TYPE_VF:
        pf = gp_pci_physfn(device);
        row = pf ? gp_pool_capacity_row(cap, pf) : NULL;
        return row && row->quarantined ? g_strdup_printf("on %s, which is %s", pf, row->problem)
                                       : NULL;
    case GP_POOL_TYPE_MDEV:
        break;
    }
    return NULL;
}

/* Does CLAIM keep DEVICE busy: the device itself, an mdev created on it,
 * or one of its VFs? */
static gboolean
claim_holds(const GpClaim *claim, const char *device)
{
    g_autofree char *pf = NULL;

    if (strcmp(claim->device, device) == 0 || g_strcmp0(claim->parent, device) == 0)
        return TRUE;
    if (claim->parent || g_uuid_string_is_valid(claim->device))
        return FALSE;
    pf = gp_pci_physfn(claim->device);
    return g_strcmp0(pf, device) == 0;
}

const GpClaim *
gp_ledger_holder(GpLedger *ledger, const char *device)
{
    GPtrArray *all = gp_claims_all(ledger->claims);
    const GpClaim *direct = gp_claims_find(ledger->claims, device);

    if (direct)
        return direct;
    for (guint i = 0; i < all->len; i++) {
        if (claim_holds(all->pdata[i], device))
            return all->pdata[i];
    }
    return NULL;
}

GPtrArray *
gp_ledger_holders(GpLedger *ledger, const char *device)
{
    GPtrArray *all = gp_claims_all(ledger->claims);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        if (claim_holds(c, device) &&
            !g_ptr_array_find_with_equal_func(names, c->domain_name, g_str_equal, NULL))
            g_ptr_array_add(names, g_strdup(c->domain_name));
    }
    g_ptr_array_sort(names, compare_strings);
    return names;
}
