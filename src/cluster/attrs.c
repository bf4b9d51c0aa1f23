/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool's names in Pacemaker. */
#include "config.h"

#include "cluster/attrs.h"

#include <string.h>

#include "state/pool.h"

const char *const gp_attr_inventory_keys[] = {
    GP_ATTR_TYPE, GP_ATTR_DEVICES, GP_ATTR_IDS, GP_ATTR_MODEL, GP_ATTR_VRAM,
    GP_ATTR_PARTITIONS, GP_ATTR_PROFILE, NULL,
};

char *
gp_attr_utilization(const char *pool)
{
    return g_strconcat(GP_ATTR_PREFIX, pool, NULL);
}

char *
gp_attr_inventory(const char *pool, const char *what)
{
    return g_strconcat(GP_ATTR_PREFIX, pool, "_", what, NULL);
}

char *
gp_attr_utilization_pool(const char *name)
{
    const char *pool;

    if (!name || !g_str_has_prefix(name, GP_ATTR_PREFIX))
        return NULL;
    pool = name + strlen(GP_ATTR_PREFIX);
    return gp_pool_name_check(pool, NULL) ? g_strdup(pool) : NULL;
}

gboolean
gp_attr_inventory_parse(const char *name, char **pool, const char **what)
{
    size_t len = name ? strlen(name) : 0;

    if (!name || !g_str_has_prefix(name, GP_ATTR_PREFIX))
        return FALSE;
    for (guint i = 0; gp_attr_inventory_keys[i]; i++) {
        const char *key = gp_attr_inventory_keys[i];
        size_t klen = strlen(key);
        g_autofree char *p = NULL;

        if (len < strlen(GP_ATTR_PREFIX) + klen + 2 || name[len - klen - 1] != '_' ||
            strcmp(name + len - klen, key) != 0)
            continue;
        p = g_strndup(name + strlen(GP_ATTR_PREFIX), len - strlen(GP_ATTR_PREFIX) - klen - 1);
        if (!gp_pool_name_check(p, NULL))
            continue;
        *pool = g_steal_pointer(&p);
        *what = key;
        return TRUE;
    }
    return FALSE;
}
