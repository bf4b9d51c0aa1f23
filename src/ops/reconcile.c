/* Stale state put right under the lock (reconcile.h). */
#include "config.h"

#include "ops/reconcile.h"

#include <string.h>

#include "base/sysfs.h"
#include "host/sriov.h"
#include "host/vfio-users.h"
#include "state/domain.h"
#include "state/domxml.h"
#include "ops/partition.h"

static gboolean
is_mdev_claim(const GpClaim *claim)
{
    return claim->parent || g_uuid_string_is_valid(claim->device);
}

static gboolean
mdev_exists(const char *uuid)
{
    g_autofree char *rel = gp_sysfs_mdev_dev_path(uuid, NULL);

    return gp_sysfs_is_dir(rel);
}

static guint
drop_claims_of_gone_mdevs(GpClaims *claims, GPtrArray *done)
{
    GPtrArray *all = gp_claims_all(claims);
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    guint n = 0;

    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        if (!is_mdev_claim(c) || mdev_exists(c->device))
            continue;
        if (done)
            g_ptr_array_add(done, g_strdup_printf("%s: dropped its claim on mdev %s (pool "
                                                  "'%s'): the mdev is gone", c->domain_name,
                                                  c->device, c->pool));
        g_ptr_array_add(gone, g_strdup(c->device));
    }
    for (guint i = 0; i < gone->len; i++)
        n += gp_claims_drop_device(claims, gone->pdata[i]) ? 1 : 0;
    return n;
}

/* The pools in scope: POOLS by name, or every pool. */
static GPtrArray *
pools_in_scope(GpLedger *ledger, GPtrArray *names)
{
    GPtrArray *out = g_ptr_array_new();

    if (!names) {
        GPtrArray *all = gp_ledger_pools(ledger, NULL);

        for (guint i = 0; all && i < all->len; i++)
            g_ptr_array_add(out, all->pdata[i]);
        return out;
    }
    for (guint i = 0; i < names->len; i++) {
        const GpPool *pool = gp_ledger_pool(ledger, names->pdata[i], NULL);

        if (pool && !g_ptr_array_find(out, pool, NULL))
            g_ptr_array_add(out, (gpointer)pool);
    }
    return out;
}

static void
add_own(GHashTable *own, const char *dom_uuid, GPtrArray *mdev_pools)
{
    for (guint p = 0; p < mdev_pools->len; p++) {
        const GpPool *pool = mdev_pools->pdata[p];

        /* assign hands out slots 0..GP_DOMXML_MAX_COUNT-1 of a pool. */
        for (guint slot = 0; slot < GP_DOMXML_MAX_COUNT; slot++)
            g_hash_table_insert(own, gp_domain_mdev_uuid(dom_uuid, pool->name, slot),
                                (gpointer)pool);
    }
}

/* gpupool's own mdev UUIDs of DOMAINS and of the domains holding claims,
 * in MDEV_POOLS: uuid -> the pool it belongs to. */
static GHashTable *
own_mdev_uuids(GpClaims *claims, GPtrArray *domains, GPtrArray *mdev_pools)
{
    GHashTable *own = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *all = gp_claims_all(claims);

    for (guint i = 0; domains && i < domains->len; i++)
        if (g_hash_table_add(seen, domains->pdata[i]))
            add_own(own, domains->pdata[i], mdev_pools);
    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        if (g_hash_table_add(seen, c->domain_uuid))
            add_own(own, c->domain_uuid, mdev_pools);
    }
    return own;
}

static void
remove_orphan_mdevs(GpLedger *ledger, GPtrArray *scope, GPtrArray *domains, GPtrArray *done,
                    GPtrArray *kept)
{
    GpClaims *claims = gp_ledger_claims(ledger);
    g_autoptr(GPtrArray) mdev_pools = g_ptr_array_new();
    g_autoptr(GHashTable) own = NULL;
    g_autofree char *dir = gp_sysfs_mdev_devices_path();
    g_autoptr(GPtrArray) mdevs = NULL;

    for (guint i = 0; i < scope->len; i++)
        if (((const GpPool *)scope->pdata[i])->type == GP_POOL_TYPE_MDEV)
            g_ptr_array_add(mdev_pools, scope->pdata[i]);
    if (mdev_pools->len == 0)
        return;
    mdevs = gp_sysfs_list(dir, NULL);
    /* The common case costs one directory listing: gpupool's own UUIDs
     * are worked out only when some mdev is owned by no claim. */
    for (guint i = 0; mdevs && i < mdevs->len;) {
        if (gp_claims_find(claims, mdevs->pdata[i]))
            g_ptr_array_remove_index_fast(mdevs, i);
        else
            i++;
    }
    if (!mdevs || mdevs->len == 0)
        return;
    own = own_mdev_uuids(claims, domains, mdev_pools);
    for (guint i = 0; i < mdevs->len; i++) {
        g_autofree char *uuid = g_ascii_strdown(mdevs->pdata[i], -1);
        g_autofree char *rel = gp_sysfs_mdev_dev_path(mdevs->pdata[i], NULL);
        g_autofree char *parent = NULL;
        g_autoptr(GError) err = NULL;
        const GpPool *pool;
        GpClaim stand_in = { 0 };

        pool = g_hash_table_lookup(own, uuid);
        parent = pool ? gp_sysfs_link_parent_name(rel, NULL) : NULL;
        if (!parent || !gp_pool_find_device(pool, parent))
            continue;
        /* Unclaimed, yet open: a guest gpupool lost track of uses it. */
        if (!gp_vfio_users_check_unused(uuid, NULL, &err)) {
            if (kept)
                g_ptr_array_add(kept, g_strdup_printf("mdev %s on %s (pool '%s') is owned by "
                                                      "no claim but still in use: %s", uuid,
                                                      parent, pool->name, err->message));
            continue;
        }
        stand_in = (GpClaim){ .device = uuid, .pool = pool->name, .parent = parent };
        if (!gp_partition_release_claim(pool, &stand_in, NULL, &err)) {
            if (kept)
                g_ptr_array_add(kept, g_strdup_printf("mdev %s on %s (pool '%s') is owned by "
                                                      "no claim, but cannot be removed: %s",
                                                      uuid, parent, pool->name, err->message));
            continue;
        }
        gp_ledger_forget_host(ledger);
        if (done)
            g_ptr_array_add(done, g_strdup_printf("removed mdev %s on %s (pool '%s'): no "
                                                  "claim owned it", uuid, parent, pool->name));
    }
}

/* A VF's vendor profile is set at prepare only after its claim, and
 * cleared at release before the claim goes: one set on a VF nobody holds
 * was left by a command that was killed. */
static void
clear_orphan_profiles(GpLedger *ledger, GPtrArray *scope, GPtrArray *kept)
{
    GpClaims *claims = gp_ledger_claims(ledger);

    for (guint i = 0; i < scope->len; i++) {
        const GpPool *pool = scope->pdata[i];

        if (pool->type != GP_POOL_TYPE_VF || !pool->vf_profile)
            continue;
        for (guint d = 0; d < pool->devices->len; d++) {
            const GpPoolDevice *member = pool->devices->pdata[d];
            g_autoptr(GPtrArray) vfs = gp_sriov_vfs(member->address);

            for (guint v = 0; v < vfs->len; v++) {
                GpClaim stand_in = { .device = vfs->pdata[v], .pool = pool->name };
                g_autoptr(GError) err = NULL;

                if (gp_claims_find(claims, vfs->pdata[v]))
                    continue;
                if (!gp_partition_release_claim(pool, &stand_in, NULL, &err) && kept)
                    g_ptr_array_add(kept, g_strdup_printf("VF %s (pool '%s') is held by no "
                                                          "claim, but its profile stays: %s",
                                                          (const char *)vfs->pdata[v],
                                                          pool->name, err->message));
            }
        }
        gp_ledger_forget_host(ledger);
    }
}

guint
gp_reconcile_host(GpLedger *ledger, GPtrArray *domains, GPtrArray *pools, GPtrArray *done,
                  GPtrArray *kept)
{
    g_autoptr(GPtrArray) scope = NULL;
    guint dropped = drop_claims_of_gone_mdevs(gp_ledger_claims(ledger), done);

    scope = pools_in_scope(ledger, pools);
    remove_orphan_mdevs(ledger, scope, domains, done, kept);
    if (!pools)
        clear_orphan_profiles(ledger, scope, kept);
    return dropped;
}
