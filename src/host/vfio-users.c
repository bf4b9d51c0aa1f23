#include "config.h"

#include "host/vfio-users.h"

#include "base/sysfs.h"
#include "host/backends.h"

#include <string.h>
#include <unistd.h>

const char *
gp_vfio_users_proc_root(void)
{
    const char *env = g_getenv("GPUPOOL_PROC_ROOT");

    return env && *env ? env : "/proc";
}

GPtrArray *
gp_vfio_users_paths(const char *address)
{
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    /* An mdev has an IOMMU group of its own, as a PCI device does. */
    gboolean mdev = g_uuid_string_is_valid(address);
    g_autofree char *group_rel = mdev ? gp_sysfs_mdev_dev_path(address, "iommu_group")
                                      : gp_sysfs_pci_dev_path(address, "iommu_group");
    g_autofree char *group = gp_sysfs_link_name(group_rel, NULL);
    g_autofree char *vfio_dev_rel = mdev ? gp_sysfs_mdev_dev_path(address, "vfio-dev")
                                         : gp_sysfs_pci_dev_path(address, "vfio-dev");
    g_autoptr(GPtrArray) cdevs = NULL;

    if (group)
        g_ptr_array_add(paths, g_strdup_printf("/dev/vfio/%s", group));
    /* The iommufd-era character device: vfio-dev/vfioN under the device. */
    cdevs = gp_sysfs_list(vfio_dev_rel, NULL);
    for (guint i = 0; cdevs && i < cdevs->len; i++) {
        const char *name = cdevs->pdata[i];

        if (g_str_has_prefix(name, "vfio"))
            g_ptr_array_add(paths, g_strdup_printf("/dev/vfio/devices/%s", name));
    }
    return paths;
}

static gboolean
is_pid(const char *name)
{
    if (!*name)
        return FALSE;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
    }
    return TRUE;
}

static gint
compare_pids(gconstpointer a, gconstpointer b)
{
    return (int)(g_ascii_strtoll(*(const char *const *)a, NULL, 10) -
                 g_ascii_strtoll(*(const char *const *)b, NULL, 10));
}

static gboolean
holds_one_of(const char *fd_dir, GPtrArray *paths)
{
    g_autoptr(GDir) dir = g_dir_open(fd_dir, 0, NULL);
    const char *name;

    if (!dir)
        return FALSE;
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *link = g_build_filename(fd_dir, name, NULL);
        g_autofree char *target = g_file_read_link(link, NULL);

        if (!target)
            continue;
        for (guint i = 0; i < paths->len; i++) {
            if (strcmp(target, paths->pdata[i]) == 0)
                return TRUE;
        }
    }
    return FALSE;
}

GPtrArray *
gp_vfio_users_scan(GPtrArray *paths, char **skipped)
{
    const char *root = gp_vfio_users_proc_root();
    GPtrArray *pids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = NULL;
    const char *name;

    /* Without root, other users' fd directories cannot be read and the
     * scan would see nothing: an empty answer would be a lie. */
    if (strcmp(root, "/proc") == 0 && geteuid() != 0) {
        if (skipped)
            *skipped = g_strdup("not running as root, so other processes' open files "
                                "cannot be checked for VFIO handles");
        return pids;
    }
    dir = g_dir_open(root, 0, NULL);
    if (!dir) {
        if (skipped)
            *skipped = g_strdup_printf("%s cannot be read", root);
        return pids;
    }
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *fd_dir = NULL;

        if (!is_pid(name))
            continue;
        fd_dir = g_build_filename(root, name, "fd", NULL);
        if (holds_one_of(fd_dir, paths))
            g_ptr_array_add(pids, g_strdup(name));
    }
    g_ptr_array_sort(pids, compare_pids);
    return pids;
}

static char *
process_name(const char *pid)
{
    g_autofree char *path = g_build_filename(gp_vfio_users_proc_root(), pid, "comm", NULL);
    g_autofree char *comm = NULL;

    if (!g_file_get_contents(path, &comm, NULL, NULL))
        return g_strdup(pid);
    g_strchomp(comm);
    return g_strdup_printf("%s (%s)", pid, comm);
}

char *
gp_vfio_users_describe(GPtrArray *pids, guint max)
{
    GString *who = g_string_new(NULL);

    for (guint i = 0; i < pids->len && i < max; i++) {
        g_autofree char *p = process_name(pids->pdata[i]);

        g_string_append_printf(who, "%s%s", i ? ", " : "", p);
    }
    return g_string_free(who, FALSE);
}

gboolean
gp_vfio_users_check_unused(const char *address, char **note, GError **error)
{
    g_autoptr(GPtrArray) paths = gp_vfio_users_paths(address);
    g_autoptr(GPtrArray) pids = NULL;
    g_autofree char *skipped = NULL;
    g_autofree char *who = NULL;

    if (paths->len == 0)
        return TRUE;
    pids = gp_vfio_users_scan(paths, &skipped);
    if (skipped) {
        if (note)
            *note = g_strdup_printf("%s: VFIO handle check skipped: %s", address, skipped);
        return TRUE;
    }
    if (pids->len == 0)
        return TRUE;
    who = gp_vfio_users_describe(pids, 8);
    g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_BUSY,
                "%s is still open through %s by process %s: "
                "stop that process, then run 'gpupool rebalance'",
                address, (const char *)paths->pdata[0], who);
    return FALSE;
}
