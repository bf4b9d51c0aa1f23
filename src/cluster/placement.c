/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the cluster's GPU domains run, and why the others do not. */
#include "config.h"

#include "cluster/placement.h"

#include <string.h>

#include "cluster/attrs.h"

static void
pool_free(GpPlacementPool *p)
{
    g_free(p->pool);
    g_free(p);
}

static void
node_free(GpPlacementNode *n)
{
    g_ptr_array_unref(n->pools);
    g_free(n);
}

static void
domain_free(GpPlacementDomain *d)
{
    g_free(d->where);
    g_free(d->reason);
    g_free(d->failed);
    g_free(d);
}

void
gp_placement_free(GpPlacement *p)
{
    if (!p)
        return;
    g_ptr_array_unref(p->nodes);
    g_ptr_array_unref(p->domains);
    g_ptr_array_unref(p->warnings);
    g_free(p);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *
join(GPtrArray *parts, const char *sep)
{
    g_autoptr(GPtrArray) copy = g_ptr_array_new();

    for (guint i = 0; i < parts->len; i++)
        g_ptr_array_add(copy, parts->pdata[i]);
    g_ptr_array_add(copy, NULL);
    return g_strjoinv(sep, (char **)copy->pdata);
}

/* The demanded pools of RSC, sorted. */
static GPtrArray *
demanded_pools(const GpCibResource *rsc)
{
    GPtrArray *pools = g_ptr_array_new();
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, rsc->demand);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(pools, key);
    g_ptr_array_sort(pools, compare_strings);
    return pools;
}

char *
gp_placement_demand_text(const GpCibResource *rsc)
{
    g_autoptr(GPtrArray) pools = demanded_pools(rsc);
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < pools->len; i++)
        g_ptr_array_add(parts, g_strdup_printf("%s %u", (const char *)pools->pdata[i],
                                               GPOINTER_TO_UINT(g_hash_table_lookup(
                                                   rsc->demand, pools->pdata[i]))));
    return join(parts, ", ");
}

/* Every pool a node publishes or a domain asks for, sorted. */
static GPtrArray *
all_pools(const GpCib *cib)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *pools = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    gpointer key;

    for (guint i = 0; i < cib->nodes->len; i++) {
        const GpCibNode *n = cib->nodes->pdata[i];

        g_hash_table_iter_init(&iter, n->utilization);
        while (g_hash_table_iter_next(&iter, &key, NULL)) {
            char *pool = gp_attr_utilization_pool(key);

            if (pool)
                g_hash_table_add(seen, pool);
        }
    }
    for (guint i = 0; i < cib->resources->len; i++) {
        const GpCibResource *r = cib->resources->pdata[i];

        g_hash_table_iter_init(&iter, r->demand);
        while (g_hash_table_iter_next(&iter, &key, NULL))
            g_hash_table_add(seen, g_strdup(key));
    }
    g_hash_table_iter_init(&iter, seen);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(pools, g_strdup(key));
    g_ptr_array_sort(pools, compare_strings);
    return pools;
}

static const char *
node_state(const GpCibNode *n)
{
    if (!n->online)
        return n->unclean ? "unclean" : "offline";
    if (n->maintenance)
        return "maintenance";
    if (n->standby)
        return "standby";
    return "online";
}

static gboolean
runs_on(const GpCibResource *r, const char *node)
{
    return g_ptr_array_find_with_equal_func(r->running_on, node, g_str_equal, NULL);
}

static GpPlacementNode *
node_picture(const GpCib *cib, const GpCibNode *n, GPtrArray *pools)
{
    GpPlacementNode *pn = g_new0(GpPlacementNode, 1);

    pn->node = n;
    pn->state = node_state(n);
    pn->pools = g_ptr_array_new_with_free_func((GDestroyNotify)pool_free);
    for (guint i = 0; i < pools->len; i++) {
        const char *pool = pools->pdata[i];
        g_autofree char *attr = gp_attr_utilization(pool);
        const char *value = g_hash_table_lookup(n->utilization, attr);
        GpPlacementPool *pp = g_new0(GpPlacementPool, 1);

        pp->pool = g_strdup(pool);
        pp->published = value != NULL;
        pp->capacity = value ? (guint)g_ascii_strtoull(value, NULL, 10) : 0;
        for (guint j = 0; j < cib->resources->len; j++) {
            const GpCibResource *r = cib->resources->pdata[j];

            if (runs_on(r, n->name))
                pp->held += GPOINTER_TO_UINT(g_hash_table_lookup(r->demand, pool));
        }
        /* A node that is gone gives nothing, whatever it published. */
        pp->free = n->online && pp->capacity > pp->held ? pp->capacity - pp->held : 0;
        g_ptr_array_add(pn->pools, pp);
    }
    return pn;
}

static const GpPlacementPool *
node_pool(const GpPlacementNode *pn, const char *pool)
{
    for (guint i = 0; i < pn->pools->len; i++) {
        const GpPlacementPool *pp = pn->pools->pdata[i];

        if (strcmp(pp->pool, pool) == 0)
            return pp;
    }
    return NULL;
}

static const GpCibFailure *
failure_on(const GpCibResource *r, const char *node)
{
    for (guint i = 0; i < r->failures->len; i++) {
        const GpCibFailure *f = r->failures->pdata[i];

        if (strcmp(f->node, node) == 0)
            return f;
    }
    return NULL;
}

static char *
failure_text(const GpCibFailure *f)
{
    if (f->exit_reason && *f->exit_reason)
        return g_strdup_printf("%s: %s", f->operation, f->exit_reason);
    return g_strdup_printf("%s returned %d", f->operation, f->rc);
}

/* Why node PN does not run stopped domain R, or NULL if it could.
 * *ROOM_SHORT is set when the reason is too few free units. */
static char *
why_not_on(const GpCibResource *r, const GpPlacementNode *pn, GPtrArray *pools,
           gboolean *room_short)
{
    const GpCibNode *n = pn->node;
    const char *ban = g_hash_table_lookup(r->banned, n->name);
    guint fails = GPOINTER_TO_UINT(g_hash_table_lookup(r->fail_counts, n->name));
    g_autoptr(GPtrArray) short_of = g_ptr_array_new_with_free_func(g_free);

    if (!n->online)
        return g_strdup_printf(n->unclean ? "%s offline, not fenced yet" : "%s offline",
                               n->name);
    if (n->maintenance)
        return g_strdup_printf("%s in maintenance", n->name);
    if (n->standby)
        return g_strdup_printf("%s standby", n->name);
    if (ban)
        return g_strdup_printf("%s banned (%s)", n->name, ban);
    if (fails >= r->migration_threshold) {
        const GpCibFailure *f = failure_on(r, n->name);
        g_autofree char *what = f ? failure_text(f) : g_strdup("too many failures");

        return g_strdup_printf("%s failed: %s", n->name, what);
    }
    for (guint i = 0; i < pools->len; i++) {
        const char *pool = pools->pdata[i];
        guint need = GPOINTER_TO_UINT(g_hash_table_lookup(r->demand, pool));
        const GpPlacementPool *pp = node_pool(pn, pool);

        if (!pp || pp->free >= need)
            continue;
        if (!pp->published && pools->len == 1) {
            *room_short = TRUE;
            return g_strdup_printf("%s has no pool %s", n->name, pool);
        }
        if (!pp->published)
            g_ptr_array_add(short_of, g_strdup_printf("no %s", pool));
        else if (pools->len > 1)
            g_ptr_array_add(short_of, g_strdup_printf("%s %u/%u free", pool, pp->free,
                                                      pp->capacity));
        else
            g_ptr_array_add(short_of, g_strdup_printf("%u/%u free", pp->free, pp->capacity));
    }
    if (short_of->len) {
        g_autofree char *what = join(short_of, ", ");

        *room_short = TRUE;
        return g_strdup_printf("%s %s", n->name, what);
    }
    return NULL;
}

static char *
stopped_reason(const GpCibResource *r, GPtrArray *nodes)
{
    g_autoptr(GPtrArray) pools = demanded_pools(r);
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) roomy = g_ptr_array_new();
    g_autofree char *list = NULL;
    g_autofree char *demand = NULL;
    gboolean room_short = FALSE;

    if (r->target_role && g_ascii_strcasecmp(r->target_role, "Stopped") == 0)
        return g_strdup_printf("target-role Stopped: start it with 'crm resource start %s'",
                               r->id);
    if (!r->managed)
        return g_strdup("the cluster does not manage it (is-managed=false or "
                        "maintenance-mode)");
    if (nodes->len == 0)
        return g_strdup("the cluster has no nodes");
    for (guint i = 0; i < nodes->len; i++) {
        const GpPlacementNode *pn = nodes->pdata[i];
        char *why = why_not_on(r, pn, pools, &room_short);

        if (why)
            g_ptr_array_add(items, why);
        else
            g_ptr_array_add(roomy, (gpointer)pn->node->name);
    }
    list = join(items, ", ");
    if (roomy->len) {
        g_autofree char *names = join(roomy, ", ");

        return g_strdup_printf("stopped although %s %s room: a constraint or a transition "
                               "under way keeps it; see 'crm_simulate -Ls'%s%s%s", names,
                               roomy->len == 1 ? "has" : "have", items->len ? " (" : "",
                               list, items->len ? ")" : "");
    }
    if (!room_short)
        return g_strdup_printf("no node can take it: %s", list);
    if (pools->len == 1)
        return g_strdup_printf("no node has a free device of pool %s: %s",
                               (const char *)pools->pdata[0], list);
    demand = gp_placement_demand_text(r);
    return g_strdup_printf("no node has the free devices it needs (%s): %s", demand, list);
}

static char *
failures_text(const GpCibResource *r)
{
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < r->failures->len; i++) {
        const GpCibFailure *f = r->failures->pdata[i];

        if (f->exit_reason && *f->exit_reason)
            g_ptr_array_add(parts, g_strdup_printf("%s on %s: %s", f->operation, f->node,
                                                   f->exit_reason));
        else
            g_ptr_array_add(parts, g_strdup_printf("%s on %s returned %d", f->operation,
                                                   f->node, f->rc));
    }
    return parts->len ? join(parts, "; ") : NULL;
}

GpPlacement *
gp_placement_of(const GpCib *cib)
{
    g_autoptr(GPtrArray) pools = all_pools(cib);
    GpPlacement *p = g_new0(GpPlacement, 1);

    p->nodes = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    p->domains = g_ptr_array_new_with_free_func((GDestroyNotify)domain_free);
    p->warnings = g_ptr_array_new_with_free_func(g_free);
    if (strcmp(cib->placement_strategy, "default") == 0)
        g_ptr_array_add(p->warnings, g_strdup(
            "placement-strategy is 'default': Pacemaker ignores utilization and may start a "
            "GPU domain on a node without a free device; run 'crm configure property "
            "placement-strategy=balanced'"));
    for (guint i = 0; i < cib->nodes->len; i++) {
        GpPlacementNode *pn = node_picture(cib, cib->nodes->pdata[i], pools);

        for (guint j = 0; j < pn->pools->len; j++) {
            const GpPlacementPool *pp = pn->pools->pdata[j];

            if (pp->held > pp->capacity)
                g_ptr_array_add(p->warnings, g_strdup_printf(
                    "%s: its GPU domains hold %u of pool %s but it publishes %u: is "
                    "gpupool-capacity running there?", pn->node->name, pp->held, pp->pool,
                    pp->capacity));
        }
        g_ptr_array_add(p->nodes, pn);
    }
    for (guint i = 0; i < cib->resources->len; i++) {
        const GpCibResource *r = cib->resources->pdata[i];
        GpPlacementDomain *d = g_new0(GpPlacementDomain, 1);

        d->rsc = r;
        d->running = r->running_on->len > 0;
        d->failed = failures_text(r);
        if (d->running)
            d->where = join(r->running_on, ", ");
        else
            d->reason = stopped_reason(r, p->nodes);
        g_ptr_array_add(p->domains, d);
    }
    return p;
}
