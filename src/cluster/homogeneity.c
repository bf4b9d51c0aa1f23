/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The same pool on every node, checked from the CIB. */
#include "config.h"

#include "cluster/homogeneity.h"

#include <string.h>

#include "cluster/attrs.h"

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The pools the CIB names: node utilization, inventory, demands. */
static GPtrArray *
named_pools(const GpCib *cib)
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
        g_hash_table_iter_init(&iter, n->attributes);
        while (g_hash_table_iter_next(&iter, &key, NULL)) {
            char *pool = NULL;
            const char *what;

            if (gp_attr_inventory_parse(key, &pool, &what))
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
inventory(const GpCibNode *n, const char *pool, const char *what)
{
    g_autofree char *name = gp_attr_inventory(pool, what);

    return g_hash_table_lookup(n->attributes, name);
}

/* Groups the nodes by their value of WHAT: value -> GPtrArray of node
 * names; nodes without it are left out, and so is "unknown". */
static GHashTable *
group_by(GPtrArray *nodes, const char *pool, const char *what)
{
    GHashTable *groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                               (GDestroyNotify)g_ptr_array_unref);

    for (guint i = 0; i < nodes->len; i++) {
        const GpCibNode *n = nodes->pdata[i];
        const char *v = inventory(n, pool, what);
        GPtrArray *names;

        if (!v || strcmp(v, GP_ATTR_UNKNOWN) == 0)
            continue;
        names = g_hash_table_lookup(groups, v);
        if (!names) {
            names = g_ptr_array_new();
            g_hash_table_insert(groups, (gpointer)v, names);
        }
        g_ptr_array_add(names, n->name);
    }
    return groups;
}

/* "node1 10de:20b5 (MODEL); node2, node3 10de:2236 (MODEL)" over the
 * groups, each value shown through SHOW. */
static char *
groups_text(GHashTable *groups, char *(*show)(const char *value, gpointer data), gpointer data)
{
    g_autoptr(GPtrArray) values = g_ptr_array_new();
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, groups);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(values, key);
    g_ptr_array_sort(values, compare_strings);
    for (guint i = 0; i < values->len; i++) {
        GPtrArray *names = g_hash_table_lookup(groups, values->pdata[i]);
        g_autoptr(GPtrArray) copy = g_ptr_array_copy(names, NULL, NULL);
        g_autofree char *who = NULL;
        g_autofree char *what = show(values->pdata[i], data);

        g_ptr_array_add(copy, NULL);
        who = g_strjoinv(", ", (char **)copy->pdata);
        g_ptr_array_add(parts, g_strdup_printf("%s %s", who, what));
    }
    g_ptr_array_add(parts, NULL);
    return g_strjoinv("; ", (char **)parts->pdata);
}

typedef struct {
    GPtrArray *nodes;
    const char *pool;
} ModelData;

/* "10de:20b5 (NVIDIA Corporation GA100 [A100 PCIe 80GB])" */
static char *
show_ids(const char *ids, gpointer data)
{
    ModelData *m = data;

    for (guint i = 0; i < m->nodes->len; i++) {
        const GpCibNode *n = m->nodes->pdata[i];
        const char *model = inventory(n, m->pool, GP_ATTR_MODEL);

        if (g_strcmp0(inventory(n, m->pool, GP_ATTR_IDS), ids) == 0 && model &&
            strcmp(model, GP_ATTR_UNKNOWN) != 0)
            return g_strdup_printf("%s (%s)", ids, model);
    }
    return g_strdup(ids);
}

/* Bytes as "80 GiB" or "1536 MiB". */
static char *
show_vram(const char *value, gpointer data)
{
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func(g_free);

    (void)data;
    for (guint i = 0; parts[i]; i++) {
        guint64 b = g_ascii_strtoull(parts[i], NULL, 10);

        g_ptr_array_add(shown, b && b % (1ULL << 30) == 0
                               ? g_strdup_printf("%" G_GUINT64_FORMAT " GiB", b >> 30)
                               : g_strdup_printf("%" G_GUINT64_FORMAT " MiB", b >> 20));
    }
    g_ptr_array_add(shown, NULL);
    return g_strjoinv(",", (char **)shown->pdata);
}

static char *
show_plain(const char *value, gpointer data)
{
    (void)data;
    return g_strdup(value);
}

static void
check_pool(const GpCib *cib, const char *pool, GPtrArray *ok, GPtrArray *warnings,
           GPtrArray *errors)
{
    g_autofree char *util = gp_attr_utilization(pool);
    g_autoptr(GPtrArray) with = g_ptr_array_new();       /* nodes with an inventory */
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    guint e = errors->len, w = warnings->len;
    ModelData md = { with, pool };

    for (guint i = 0; i < cib->nodes->len; i++) {
        const GpCibNode *n = cib->nodes->pdata[i];
        gboolean has_util = g_hash_table_contains(n->utilization, util);
        gboolean has_inv = inventory(n, pool, GP_ATTR_TYPE) != NULL;
        const char *ids = inventory(n, pool, GP_ATTR_IDS);

        if (!has_util && !has_inv) {
            g_ptr_array_add(warnings, g_strdup_printf(
                "pool '%s' is not on %s (it publishes no %s): the pool's domains never start "
                "there; define the pool there too, or leave it out on purpose", pool, n->name,
                util));
            continue;
        }
        g_ptr_array_add(all, (gpointer)n->name);
        if (!has_inv) {
            g_ptr_array_add(warnings, g_strdup_printf(
                "%s publishes no inventory of pool '%s' (node attributes %s_*), so it cannot "
                "be compared: is gpupool-capacity running there?", n->name, pool, util));
            continue;
        }
        g_ptr_array_add(with, (gpointer)n);
        if (ids && strchr(ids, ','))
            g_ptr_array_add(errors, g_strdup_printf(
                "pool '%s' mixes GPU models on %s: %s; keep one model per pool ('gpupool "
                "pool-check %s' there)", pool, n->name, ids, pool));
    }
    {
        g_autoptr(GHashTable) types = group_by(with, pool, GP_ATTR_TYPE);
        g_autoptr(GHashTable) ids = group_by(with, pool, GP_ATTR_IDS);
        g_autoptr(GHashTable) vram = group_by(with, pool, GP_ATTR_VRAM);
        g_autoptr(GHashTable) parts = group_by(with, pool, GP_ATTR_PARTITIONS);
        g_autoptr(GHashTable) profiles = group_by(with, pool, GP_ATTR_PROFILE);

        if (g_hash_table_size(types) > 1) {
            g_autofree char *t = groups_text(types, show_plain, NULL);

            g_ptr_array_add(errors, g_strdup_printf(
                "pool '%s' is of different types across nodes: %s; a domain's devices would "
                "differ by node: give the pool one type everywhere", pool, t));
        }
        if (g_hash_table_size(ids) > 1) {
            g_autofree char *t = groups_text(ids, show_ids, &md);

            g_ptr_array_add(errors, g_strdup_printf(
                "pool '%s' mixes GPU models across nodes: %s; use the same make and model in "
                "the pool on every node", pool, t));
        }
        if (g_hash_table_size(vram) > 1) {
            g_autofree char *t = groups_text(vram, show_vram, NULL);

            g_ptr_array_add(warnings, g_strdup_printf(
                "pool '%s' has different VRAM across nodes: %s; a domain gets a different "
                "device depending on where it starts", pool, t));
        }
        if (g_hash_table_size(parts) > 1) {
            g_autofree char *t = groups_text(parts, show_plain, NULL);

            g_ptr_array_add(warnings, g_strdup_printf(
                "pool '%s' is set up for different partition counts across nodes: %s; run "
                "'gpupool partition-set DEVICE --count N' alike on every node", pool, t));
        }
        if (g_hash_table_size(profiles) > 1) {
            g_autofree char *t = groups_text(profiles, show_plain, NULL);

            g_ptr_array_add(warnings, g_strdup_printf(
                "pool '%s' gives different profiles across nodes: %s; partitions cannot "
                "live-migrate between them: run 'gpupool partition-set DEVICE --profile TYPE' "
                "alike", pool, t));
        }
    }
    if (errors->len == e && warnings->len == w && with->len) {
        const GpCibNode *n = with->pdata[0];
        const char *type = inventory(n, pool, GP_ATTR_TYPE);
        const char *profile = inventory(n, pool, GP_ATTR_PROFILE);
        const char *count = inventory(n, pool, GP_ATTR_PARTITIONS);
        g_autofree char *model = show_ids(inventory(n, pool, GP_ATTR_IDS) ?: GP_ATTR_UNKNOWN,
                                          &md);
        g_autofree char *names = NULL;
        g_autofree char *kind = NULL;

        g_ptr_array_add(all, NULL);
        names = g_strjoinv(", ", (char **)all->pdata);
        if (g_strcmp0(type, "pci") == 0)
            kind = g_strdup("whole devices");
        else
            kind = g_strdup_printf("%s partitions of %s", count ? count : GP_ATTR_UNKNOWN,
                                   profile ? profile : GP_ATTR_NONE);
        g_ptr_array_add(ok, g_strdup_printf("pool '%s': ok on %s: %s, %s", pool, names, model,
                                            kind));
    }
}

gboolean
gp_homogeneity_check(const GpCib *cib, const char *const *pools, GPtrArray *ok,
                     GPtrArray *warnings, GPtrArray *errors)
{
    g_autoptr(GPtrArray) named = named_pools(cib);
    guint e = errors->len;

    for (guint i = 0; i < named->len; i++) {
        const char *pool = named->pdata[i];

        if (pools && !g_strv_contains(pools, pool))
            continue;
        check_pool(cib, pool, ok, warnings, errors);
    }
    for (guint i = 0; pools && pools[i]; i++)
        if (!g_ptr_array_find_with_equal_func(named, pools[i], g_str_equal, NULL))
            g_ptr_array_add(errors, g_strdup_printf(
                "no node of the cluster publishes pool '%s': is gpupool-capacity running, "
                "and the pool defined on the nodes?", pools[i]));
    return errors->len == e;
}
