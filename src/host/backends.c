/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The back-end registry and the host table it lends. */
#include "config.h"

#include "host/backends.h"

#include <gmodule.h>
#include <string.h>

#include "base/sysfs.h"
#include "host/sriov.h"
#include "host/vfio-users.h"
#include "host/vfio.h"

static const GpBackendHost backend_host = {
    .abi = GP_BACKEND_ABI,
    .sysfs_read = gp_sysfs_read,
    .sysfs_read_u64 = gp_sysfs_read_u64,
    .sysfs_write = gp_sysfs_write,
    .sysfs_list = gp_sysfs_list,
    .sysfs_link_name = gp_sysfs_link_name,
    .sysfs_exists = gp_sysfs_exists,
    .sysfs_is_dir = gp_sysfs_is_dir,
    .sysfs_link_parent_name = gp_sysfs_link_parent_name,
    .sysfs_pci_dev_path = gp_sysfs_pci_dev_path,
    .sysfs_mdev_type_path = gp_sysfs_mdev_type_path,
    .sysfs_mdev_dev_path = gp_sysfs_mdev_dev_path,
    .vf_list = gp_sriov_vfs,
    .vf_number = gp_sriov_vf_number,
    .vf_set_count = gp_sriov_set_count,
    .vf_set_count_unprobed = gp_sriov_set_count_unprobed,
    .vfio_is_loaded = gp_vfio_is_loaded,
    .vfio_current_driver = gp_vfio_current_driver,
    .vfio_bind = gp_vfio_bind,
    .vfio_check_unused = gp_vfio_users_check_unused,
};

/* The table as lent: the error quark and the generic SR-IOV back end are
 * only known at run time. */
static GpBackendHost backend_host_live;

const GpBackendHost *
gp_backend_host(void)
{
    if (backend_host_live.abi == 0) {
        backend_host_live = backend_host;
        backend_host_live.error_domain = GP_BACKEND_ERROR;
        backend_host_live.sysfs_error_domain = GP_SYSFS_ERROR;
    }
    return &backend_host_live;
}

static GPtrArray *registry;   /* const GpBackendOps* */
static GPtrArray *problems;   /* char* */

const char *
gp_backend_plugindir(void)
{
    const char *env = g_getenv("GPUPOOL_PLUGINDIR");

    return env && *env ? env : GP_PKGLIBDIR;
}

static void
load_module(const char *path)
{
    GModule *module;
    gpointer sym = NULL;
    const GpBackendOps *ops;
    g_autoptr(GError) err = NULL;

    module = g_module_open(path, G_MODULE_BIND_LOCAL | G_MODULE_BIND_LAZY);
    if (!module) {
        g_ptr_array_add(problems, g_strdup_printf("back-end module %s does not load: %s",
                                                  path, g_module_error()));
        return;
    }
    if (!g_module_symbol(module, GP_BACKEND_MODULE_INIT_SYMBOL, &sym) || !sym) {
        g_ptr_array_add(problems,
                        g_strdup_printf("%s is not a gpupool back end: it has no %s",
                                        path, GP_BACKEND_MODULE_INIT_SYMBOL));
        g_module_close(module);
        return;
    }
    ops = ((GpBackendModuleInit)sym)(gp_backend_host(), GP_BACKEND_ABI, &err);
    if (!ops || ops->abi != GP_BACKEND_ABI) {
        g_ptr_array_add(problems,
                        g_strdup_printf("back-end module %s refused to load: %s", path,
                                        err ? err->message
                                            : "it was built for another gpupool version; "
                                              "reinstall it with this gpupool"));
        g_module_close(module);
        return;
    }
    if (gp_backend_lookup(ops->name)) {
        g_ptr_array_add(problems,
                        g_strdup_printf("back-end module %s is ignored: a back end named "
                                        "'%s' is already loaded", path, ops->name));
        g_module_close(module);
        return;
    }
    /* Ops tables live in the module: it must stay loaded. */
    g_module_make_resident(module);
    g_ptr_array_add(registry, (gpointer)ops);
}

/* The built-ins are initialised like modules; they cannot refuse. */
static const GpBackendOps *
add_builtin(GpBackendModuleInit init)
{
    const GpBackendOps *ops = init(gp_backend_host(), GP_BACKEND_ABI, NULL);

    g_assert(ops);
    g_ptr_array_add(registry, (gpointer)ops);
    return ops;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
ensure_registry(void)
{
    const char *dir_path;
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) names = NULL;
    const char *name;

    if (registry)
        return;
    registry = g_ptr_array_new();
    problems = g_ptr_array_new_with_free_func(g_free);
    add_builtin(gp_backend_pci_init);
    add_builtin(gp_backend_mdev_init);
    /* Vendor modules build on the generic SR-IOV back end. */
    backend_host_live.vf = add_builtin(gp_backend_vf_init);

    if (!g_module_supported())
        return;
    dir_path = gp_backend_plugindir();
    dir = g_dir_open(dir_path, 0, NULL);
    if (!dir)
        return;  /* no modules installed: the built-ins serve */
    names = g_ptr_array_new_with_free_func(g_free);
    while ((name = g_dir_read_name(dir))) {
        if (g_str_has_suffix(name, "." G_MODULE_SUFFIX))
            g_ptr_array_add(names, g_strdup(name));
    }
    /* A stable order, so equal scores are broken the same way each time. */
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir_path, names->pdata[i], NULL);

        load_module(path);
    }
}

void
gp_backend_reset(void)
{
    /* Modules stay resident; only the registry forgets them. */
    g_clear_pointer(&registry, g_ptr_array_unref);
    g_clear_pointer(&problems, g_ptr_array_unref);
}

GPtrArray *
gp_backend_problems(void)
{
    ensure_registry();
    return problems;
}

const GpBackendOps *
gp_backend_lookup(const char *name)
{
    ensure_registry();
    for (guint i = 0; i < registry->len; i++) {
        const GpBackendOps *ops = registry->pdata[i];

        if (strcmp(ops->name, name) == 0)
            return ops;
    }
    return NULL;
}

static const GpBackendOps *
best_for(const char *device, gboolean partitioners_only)
{
    const GpBackendOps *best = NULL;
    int best_score = GP_BACKEND_SCORE_NONE;

    ensure_registry();
    for (guint i = 0; i < registry->len; i++) {
        const GpBackendOps *ops = registry->pdata[i];
        int score;

        if (partitioners_only && ops->kind == GP_PART_KIND_WHOLE)
            continue;
        score = ops->probe(device);
        if (score > best_score) {
            best = ops;
            best_score = score;
        }
    }
    return best;
}

const GpBackendOps *
gp_backend_for(const char *device, GError **error)
{
    const GpBackendOps *ops = best_for(device, FALSE);

    if (!ops)
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                    "%s is neither a PCI device nor an mdev parent of this host: "
                    "see 'gpupool devices'", device);
    return ops;
}

const GpBackendOps *
gp_backend_partitioner_for(const char *device, GError **error)
{
    const GpBackendOps *ops = best_for(device, TRUE);

    if (!ops) {
        g_autofree char *rel = gp_sysfs_pci_dev_path(device, NULL);

        if (gp_sysfs_is_dir(rel))
            g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                        "%s cannot be partitioned: it offers neither mdev types nor SR-IOV "
                        "virtual functions (load its vendor driver, or use it whole in a "
                        "pci pool)", device);
        else
            g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                        "%s is neither a PCI device nor an mdev parent of this host: "
                        "see 'gpupool devices'", device);
    }
    return ops;
}
