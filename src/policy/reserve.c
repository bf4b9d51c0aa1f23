/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which units of a pool a stopped domain reserves: the pure decisions of
 * `gpupool assign` (which devices to write into a definition) and of
 * `gpupool rebalance` (which stopped domains to re-point), functions of
 * the pool's units, the claims and the other domains' reservations. */
#include "config.h"

#include "policy/reserve.h"

#include <string.h>

G_DEFINE_QUARK(gp-reserve-error-quark, gp_reserve_error)

void
gp_reserve_move_free(GpReserveMove *move)
{
    if (!move)
        return;
    g_free(move->domain);
    g_free(move->uuid);
    g_free(move->alias);
    g_free(move->pool);
    g_free(move->from);
    g_free(move->to);
    g_free(move->reason);
    g_free(move);
}

/* For g_ptr_array_sort(), which passes pointers to the elements. */
static gint
strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- Choosing devices -------------------------------------------------- */

static gboolean
held_by_other(const GpReserveCandidate *c, const char *dom_uuid)
{
    return c->claim && g_strcmp0(c->claim->domain_uuid, dom_uuid) != 0;
}

static gint
candidate_cmp(gconstpointer pa, gconstpointer pb, gpointer dom_uuid)
{
    const GpReserveCandidate *a = *(GpReserveCandidate *const *)pa;
    const GpReserveCandidate *b = *(GpReserveCandidate *const *)pb;
    gboolean ha = held_by_other(a, dom_uuid);
    gboolean hb = held_by_other(b, dom_uuid);

    /* Keep what the domain has unless someone else holds it. */
    if ((a->current && !ha) != (b->current && !hb))
        return (a->current && !ha) ? -1 : 1;
    if (ha != hb)
        return ha ? 1 : -1;
    if (a->reservations != b->reservations)
        return a->reservations < b->reservations ? -1 : 1;
    return strcmp(a->device, b->device);
}

GPtrArray *
gp_reserve_choose(const char *dom_name, const char *dom_uuid, const char *pool,
                 GPtrArray *candidates, guint count, guint *held_by_others,
                 GError **error)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    GPtrArray *out;
    guint held = 0;

    if (count == 0 || count > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_RESERVE_ERROR, GP_RESERVE_ERROR_INVALID,
                    "count %u for domain '%s' is not 1..%d: give --count N", count, dom_name,
                    GP_DOMXML_MAX_COUNT);
        return NULL;
    }
    if (count > candidates->len) {
        g_set_error(error, GP_RESERVE_ERROR, GP_RESERVE_ERROR_REFUSED,
                    "pool '%s' has %u device(s) to hand out but domain '%s' asks for %u: "
                    "lower --count or add devices with 'gpupool pool-add %s DEVICE'",
                    pool, candidates->len, dom_name, count, pool);
        return NULL;
    }
    for (guint i = 0; i < candidates->len; i++)
        g_ptr_array_add(sorted, g_ptr_array_index(candidates, i));
    g_ptr_array_sort_with_data(sorted, candidate_cmp, (gpointer)dom_uuid);

    out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < count; i++) {
        GpReserveCandidate *c = g_ptr_array_index(sorted, i);

        if (held_by_other(c, dom_uuid))
            held++;
        g_ptr_array_add(out, g_strdup(c->device));
    }
    g_ptr_array_sort(out, strcmp_ptr);
    if (held_by_others)
        *held_by_others = held;
    return out;
}

/* ---- Rebalance plan ----------------------------------------------------- */

static guint
reservations_of(GHashTable *reserved, const char *device)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(reserved, device));
}

/* The table keeps its own copy of DEVICE: a move frees the domain's
 * string that may have been the first to count it. */
static void
set_reservations(GHashTable *reserved, const char *device, guint n)
{
    g_hash_table_insert(reserved, g_strdup(device), GUINT_TO_POINTER(n));
}

/* How many of DOMAINS reserve each device. */
static GHashTable *
count_reservations(GPtrArray *domains)
{
    GHashTable *reserved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < domains->len; i++) {
        GpDomain *dom = g_ptr_array_index(domains, i);

        for (guint j = 0; j < dom->devices->len; j++) {
            const char *id = ((GpDomainDevice *)g_ptr_array_index(dom->devices, j))->device;

            set_reservations(reserved, id, reservations_of(reserved, id) + 1);
        }
    }
    return reserved;
}

static gboolean
domain_reserves(const GpDomain *dom, const char *device)
{
    for (guint m = 0; m < dom->devices->len; m++)
        if (strcmp(((GpDomainDevice *)g_ptr_array_index(dom->devices, m))->device, device) == 0)
            return TRUE;
    return FALSE;
}

/* An mdev whose UUID DOM did not derive: a copy of another domain's. */
static gboolean
copied_mdev(const GpDomain *dom, const GpDomainDevice *dev)
{
    return gp_domain_device_is_mdev(dev) &&
           gp_domain_mdev_slot(dom->uuid, dev->pool, dev->device) < 0;
}

char *
gp_reserve_repoint_reason(const GpDomain *dom, const GpDomainDevice *dev,
                          GPtrArray *pool_units, GHashTable *quarantined, GpClaims *claims)
{
    const GpClaim *claim = claims ? gp_claims_find(claims, dev->device) : NULL;
    const char *why = quarantined ? g_hash_table_lookup(quarantined, dev->device) : NULL;

    if (gp_domain_device_is_mdev(dev))
        return copied_mdev(dom, dev) ? g_strdup("made for another domain") : NULL;
    /* Before its holder: it stays unusable after the holder stops. */
    if (why)
        return g_strdup(why);
    if (claim && g_strcmp0(claim->domain_uuid, dom->uuid) != 0)
        return g_strdup_printf("held by %s", claim->domain_name);
    if (pool_units &&
        !g_ptr_array_find_with_equal_func(pool_units, dev->device, g_str_equal, NULL))
        return g_strdup_printf("no longer a device of pool '%s'", dev->pool);
    return NULL;
}

/* The unit of POOL_DEVS that no one holds and DOM does not reserve yet
 * that the fewest domains reserve (*N of them); NULL if there is none. */
static const char *
least_reserved_free(const GpDomain *dom, GPtrArray *pool_devs, GHashTable *reserved,
                    GpClaims *claims, guint *n)
{
    const char *best = NULL;

    *n = G_MAXUINT;
    for (guint k = 0; k < pool_devs->len; k++) {
        const char *cand = g_ptr_array_index(pool_devs, k);
        guint cand_n = reservations_of(reserved, cand);

        if ((claims && gp_claims_find(claims, cand)) || domain_reserves(dom, cand))
            continue;
        /* Least reserved first, then by name (the array is sorted). */
        if (cand_n < *n) {
            best = cand;
            *n = cand_n;
        }
    }
    return best;
}

/* DEV of DOM re-pointed to TO, which TO_N domains reserved until now;
 * the counts change with it, so later domains see this reservation. */
static GpReserveMove *
move_device(GpDomain *dom, GpDomainDevice *dev, const char *to, guint to_n, char *reason,
            GHashTable *reserved)
{
    GpReserveMove *move = g_new0(GpReserveMove, 1);
    guint old_n = reservations_of(reserved, dev->device);

    move->domain = g_strdup(dom->name);
    move->uuid = g_strdup(dom->uuid);
    move->alias = g_strdup(dev->alias);
    move->pool = g_strdup(dev->pool);
    move->from = g_strdup(dev->device);
    move->to = g_strdup(to);
    move->reason = reason;
    if (old_n)
        set_reservations(reserved, dev->device, old_n - 1);
    set_reservations(reserved, to, to_n + 1);
    g_free(dev->device);
    dev->device = g_strdup(to);
    return move;
}

/* DOM's own mdev UUID for a device of POOL that none of its devices
 * uses yet. */
static char *
own_mdev(const GpDomain *dom, const char *pool)
{
    for (guint slot = 0; slot < GP_DOMXML_MAX_COUNT; slot++) {
        g_autofree char *uuid = gp_domain_mdev_uuid(dom->uuid, pool, slot);

        if (!domain_reserves(dom, uuid))
            return g_steal_pointer(&uuid);
    }
    return NULL;
}

/* The move device DEV of stopped domain DOM needs, if any; a line in
 * PROBLEMS (if not NULL) when it needs one and cannot have it.  KEPT:
 * unit -> name of the domain that keeps it, for the units running
 * domains and the stopped ones planned so far reserve. */
static GpReserveMove *
plan_device(GpDomain *dom, GpDomainDevice *dev, GHashTable *candidates,
            GHashTable *quarantined, GHashTable *reserved, GHashTable *kept, GpClaims *claims,
            GPtrArray *problems)
{
    GPtrArray *pool_devs = g_hash_table_lookup(candidates, dev->pool);
    g_autofree char *reason = NULL;
    const char *keeper;
    const char *best;
    guint best_n;

    if (gp_domain_device_is_mdev(dev)) {
        /* An mdev is made at start under a UUID derived from its domain:
         * no other domain holds it, unless the definition was copied
         * from that domain's (then it gets its own). */
        g_autofree char *mine = NULL;

        reason = gp_reserve_repoint_reason(dom, dev, NULL, NULL, claims);
        mine = reason ? own_mdev(dom, dev->pool) : NULL;
        return mine ? move_device(dom, dev, mine, 0, g_steal_pointer(&reason), reserved) : NULL;
    }
    if (!pool_devs) {
        /* The pool is not defined here: nothing to re-point to; the hook
         * will say so at start. */
        if (problems)
            g_ptr_array_add(problems, g_strdup_printf(
                "%s: %s: pool '%s' is not defined on this host", dom->name, dev->alias,
                dev->pool));
        return NULL;
    }
    reason = gp_reserve_repoint_reason(dom, dev, pool_devs, quarantined, claims);
    if (!reason) {
        /* A unit another domain keeps: this definition shares it (a copy
         * of that domain's); it moves only to a unit nobody reserves. */
        keeper = g_hash_table_lookup(kept, dev->device);
        if (!keeper || strcmp(keeper, dom->name) == 0) {
            g_hash_table_insert(kept, g_strdup(dev->device), g_strdup(dom->name));
            return NULL;
        }
        best = least_reserved_free(dom, pool_devs, reserved, claims, &best_n);
        if (!best || best_n > 0)
            return NULL;
        reason = g_strdup_printf("also reserved by %s", keeper);
    } else {
        best = least_reserved_free(dom, pool_devs, reserved, claims, &best_n);
    }
    if (!best) {
        if (problems)
            g_ptr_array_add(problems, g_strdup_printf(
                "%s: %s %s is %s; pool '%s' has no free device: it cannot start "
                "until one is released", dom->name, dev->alias, dev->device, reason,
                dev->pool));
        return NULL;
    }
    g_hash_table_insert(kept, g_strdup(best), g_strdup(dom->name));
    return move_device(dom, dev, best, best_n, g_steal_pointer(&reason), reserved);
}

GPtrArray *
gp_reserve_rebalance_plan(GPtrArray *domains, GHashTable *candidates, GHashTable *quarantined,
                          GpClaims *claims, GPtrArray *problems)
{
    GPtrArray *moves = g_ptr_array_new_with_free_func((GDestroyNotify)gp_reserve_move_free);
    g_autoptr(GHashTable) reserved = count_reservations(domains);
    g_autoptr(GPtrArray) order = g_ptr_array_sized_new(domains->len);

    g_autoptr(GHashTable) kept = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    for (guint i = 0; i < domains->len; i++)
        g_ptr_array_add(order, g_ptr_array_index(domains, i));
    g_ptr_array_sort(order, gp_domain_compare_names);
    /* A running domain keeps what its definition reserves. */
    for (guint i = 0; i < order->len; i++) {
        GpDomain *dom = g_ptr_array_index(order, i);

        for (guint j = 0; dom->active && j < dom->devices->len; j++) {
            const GpDomainDevice *dev = g_ptr_array_index(dom->devices, j);

            if (!g_hash_table_contains(kept, dev->device))
                g_hash_table_insert(kept, g_strdup(dev->device), g_strdup(dom->name));
        }
    }
    for (guint i = 0; i < order->len; i++) {
        GpDomain *dom = g_ptr_array_index(order, i);

        if (dom->active)
            continue;
        for (guint j = 0; j < dom->devices->len; j++) {
            GpReserveMove *move = plan_device(dom, g_ptr_array_index(dom->devices, j),
                                              candidates, quarantined, reserved, kept, claims,
                                              problems);

            if (move)
                g_ptr_array_add(moves, move);
        }
    }
    return moves;
}
