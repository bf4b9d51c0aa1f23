/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "state/poolstore.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/txfile.h"
#include "base/xmldoc.h"

static char *
pool_path(const char *name)
{
    g_autofree char *dir = gp_paths_pooldir();
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(dir, file, NULL);
}

/* Loads one pool file; the file's name and the <name> inside must agree,
 * or a copied file would make two pools of one name. */
static GpPool *
load_file(const char *name, const char *path, GError **error)
{
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GpPool) pool = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_NOT_FOUND,
                        "there is no pool '%s' on this host: see 'gpupool pool-list', "
                        "or create it with 'gpupool pool-create %s --type pci'", name, name);
        } else {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_IO,
                        "cannot read pool '%s': %s", name, err->message);
        }
        return NULL;
    }
    pool = gp_pool_parse_stored_xml(data, len, &err);
    if (!pool) {
        g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                    "pool file %s: %s (or remove the file if the pool is unwanted)",
                    path, err->message);
        return NULL;
    }
    if (strcmp(pool->name, name) != 0) {
        g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                    "pool file %s defines pool '%s': rename the file to %s.xml or fix "
                    "its <name>", path, pool->name, pool->name);
        return NULL;
    }
    return g_steal_pointer(&pool);
}

GpPool *
gp_poolstore_load(const char *name, GError **error)
{
    g_autofree char *path = NULL;

    if (!gp_pool_name_check(name, error))
        return NULL;
    path = pool_path(name);
    return load_file(name, path, error);
}

gboolean
gp_poolstore_exists(const char *name)
{
    g_autofree char *path = NULL;

    if (!gp_pool_name_check(name, NULL))
        return FALSE;
    path = pool_path(name);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

static gint
compare_pools(gconstpointer a, gconstpointer b)
{
    const GpPool *pa = *(const GpPool *const *)a;
    const GpPool *pb = *(const GpPool *const *)b;

    return strcmp(pa->name, pb->name);
}

GPtrArray *
gp_poolstore_list(GError **error)
{
    g_autofree char *dir = gp_paths_pooldir();
    g_autoptr(GPtrArray) pools =
        g_ptr_array_new_with_free_func((GDestroyNotify)gp_pool_free);
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
    const char *entry;

    if (!d) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&pools);
        g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_IO,
                    "cannot list pools in %s: %s", dir, err->message);
        return NULL;
    }
    while ((entry = g_dir_read_name(d))) {
        g_autofree char *name = NULL;
        g_autofree char *path = NULL;
        GpPool *pool;

        /* Temporary files of an interrupted save start with '.'; anything
         * not NAME.xml is not ours. */
        if (entry[0] == '.' || !g_str_has_suffix(entry, ".xml"))
            continue;
        name = g_strndup(entry, strlen(entry) - 4);
        path = g_build_filename(dir, entry, NULL);
        if (!gp_pool_name_check(name, NULL)) {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                        "pool file %s has a name that is not a valid pool name: rename or "
                        "remove it", path);
            return NULL;
        }
        pool = load_file(name, path, error);
        if (!pool)
            return NULL;
        g_ptr_array_add(pools, pool);
    }
    g_ptr_array_sort(pools, compare_pools);
    return g_steal_pointer(&pools);
}

gboolean
gp_poolstore_save(const GpPool *pool, GError **error)
{
    g_autofree char *dir = gp_paths_pooldir();
    g_autofree char *path = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;

    if (!gp_pool_name_check(pool->name, error))
        return FALSE;
    path = pool_path(pool->name);
    xml = gp_pool_format_xml(pool);
    if (!gp_txfile_ensure_dir(dir, 0755, &err) ||
        !gp_txfile_replace(path, xml, -1, 0644, &err)) {
        g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_IO,
                    "cannot save pool '%s': %s (check that %s is writable)",
                    pool->name, err->message, dir);
        return FALSE;
    }
    return TRUE;
}

gboolean
gp_poolstore_delete(const char *name, GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *dir = gp_paths_pooldir();

    if (!gp_pool_name_check(name, error))
        return FALSE;
    path = pool_path(name);
    if (unlink(path) < 0) {
        int err = errno;

        if (err == ENOENT) {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_NOT_FOUND,
                        "there is no pool '%s' on this host: see 'gpupool pool-list'", name);
        } else {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_IO,
                        "cannot remove %s: %s (check that %s is writable)",
                        path, g_strerror(err), dir);
        }
        return FALSE;
    }
    return TRUE;
}

GHashTable *
gp_poolstore_membership(GError **error)
{
    g_autoptr(GPtrArray) pools = gp_poolstore_list(error);
    g_autoptr(GHashTable) pool_of = NULL;

    if (!pools)
        return NULL;
    pool_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < pools->len; i++) {
        const GpPool *pool = g_ptr_array_index(pools, i);

        for (guint j = 0; j < pool->devices->len; j++) {
            const GpPoolDevice *dev = g_ptr_array_index(pool->devices, j);
            const char *other = g_hash_table_lookup(pool_of, dev->address);

            if (other) {
                g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                            "%s is in both pool '%s' and pool '%s': remove it from one with "
                            "'gpupool pool-remove %s %s'",
                            dev->address, other, pool->name, pool->name, dev->address);
                return NULL;
            }
            g_hash_table_insert(pool_of, g_strdup(dev->address), g_strdup(pool->name));
        }
    }
    return g_steal_pointer(&pool_of);
}

GpPool *
gp_poolstore_find_pool_of_device(const char *address, GError **error)
{
    g_autoptr(GPtrArray) pools = gp_poolstore_list(error);

    if (!pools)
        return NULL;
    for (guint i = 0; i < pools->len; i++) {
        GpPool *pool = g_ptr_array_index(pools, i);

        if (gp_pool_find_device(pool, address))
            return g_ptr_array_steal_index(pools, i);
    }
    return NULL;
}
