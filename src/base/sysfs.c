#include "config.h"

#include "base/sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(gp-sysfs-error-quark, gp_sysfs_error)

/* The sysfs root is the only process-wide mutable state gpupool keeps:
 * tests point it at a simulated tree. */
static char *sysfs_root_override;

const char *
gp_sysfs_root(void)
{
    const char *env;

    if (sysfs_root_override)
        return sysfs_root_override;
    env = g_getenv("GPUPOOL_SYSFS_ROOT");
    if (env && *env)
        return env;
    return "/sys";
}

void
gp_sysfs_set_root(const char *root)
{
    g_free(sysfs_root_override);
    sysfs_root_override = g_strdup(root);
}

char *
gp_sysfs_abs(const char *rel)
{
    return g_build_filename(gp_sysfs_root(), rel, NULL);
}

char *
gp_sysfs_pci_devices_path(void)
{
    return g_strdup("bus/pci/devices");
}

char *
gp_sysfs_pci_dev_path(const char *addr, const char *attr)
{
    return g_build_filename("bus/pci/devices", addr, attr, NULL);
}

char *
gp_sysfs_pci_driver_path(const char *driver, const char *attr)
{
    return g_build_filename("bus/pci/drivers", driver, attr, NULL);
}

char *
gp_sysfs_pci_drivers_probe_path(void)
{
    return g_strdup("bus/pci/drivers_probe");
}

char *
gp_sysfs_iommu_groups_path(void)
{
    return g_strdup("kernel/iommu_groups");
}

char *
gp_sysfs_mdev_parent_path(const char *parent, const char *attr)
{
    return g_build_filename("class/mdev_bus", parent, attr, NULL);
}

char *
gp_sysfs_mdev_type_path(const char *parent, const char *type, const char *attr)
{
    return g_build_filename("class/mdev_bus", parent, "mdev_supported_types",
                            type, attr, NULL);
}

char *
gp_sysfs_mdev_dev_path(const char *uuid, const char *attr)
{
    return g_build_filename("bus/mdev/devices", uuid, attr, NULL);
}

char *
gp_sysfs_mdev_devices_path(void)
{
    return g_strdup("bus/mdev/devices");
}

char *
gp_sysfs_class_path(const char *klass)
{
    return g_build_filename("class", klass, NULL);
}

gboolean
gp_sysfs_exists(const char *rel)
{
    g_autofree char *path = gp_sysfs_abs(rel);

    return access(path, F_OK) == 0;
}

gboolean
gp_sysfs_is_dir(const char *rel)
{
    g_autofree char *path = gp_sysfs_abs(rel);
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
set_errno_error(GError **error, int err, const char *what, const char *path)
{
    g_set_error(error, GP_SYSFS_ERROR, err, "cannot %s %s: %s",
                what, path, g_strerror(err));
}

GBytes *
gp_sysfs_read_bytes(const char *rel, GError **error)
{
    g_autofree char *path = gp_sysfs_abs(rel);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_errno_error(error, errno, "read", path);
        return NULL;
    }
    for (;;) {
        guint8 chunk[4096];
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0) {
            int err = errno;

            if (err == EINTR)
                continue;
            close(fd);
            set_errno_error(error, err, "read", path);
            return NULL;
        }
        if (n == 0)
            break;
        g_byte_array_append(buf, chunk, n);
    }
    close(fd);
    return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

char *
gp_sysfs_read(const char *rel, GError **error)
{
    g_autoptr(GBytes) bytes = gp_sysfs_read_bytes(rel, error);
    gsize len;
    const char *data;
    char *str;

    if (!bytes)
        return NULL;
    data = g_bytes_get_data(bytes, &len);
    str = g_strndup(data ? data : "", len);
    g_strchomp(str);
    return str;
}

gboolean
gp_sysfs_read_u64(const char *rel, guint64 *value, GError **error)
{
    g_autofree char *str = gp_sysfs_read(rel, error);
    g_autofree char *path = NULL;
    char *end = NULL;
    guint64 v;

    if (!str)
        return FALSE;
    errno = 0;
    v = g_ascii_strtoull(str, &end, 0);
    if (errno != 0 || end == str || *end != '\0') {
        path = gp_sysfs_abs(rel);
        g_set_error(error, GP_SYSFS_ERROR, EINVAL,
                    "%s holds '%s', not a number", path, str);
        return FALSE;
    }
    *value = v;
    return TRUE;
}

gboolean
gp_sysfs_write(const char *rel, const char *value, GError **error)
{
    g_autofree char *path = gp_sysfs_abs(rel);
    size_t len = strlen(value);
    ssize_t n;
    int fd;

    /* O_TRUNC as a shell redirection does: the kernel ignores it on
     * attributes, and simulated trees need it to replace the value. */
    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        set_errno_error(error, errno, "open for writing", path);
        return FALSE;
    }
    do {
        n = write(fd, value, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int err = errno;

        close(fd);
        g_set_error(error, GP_SYSFS_ERROR, err, "cannot write '%s' to %s: %s",
                    value, path, g_strerror(err));
        return FALSE;
    }
    if (close(fd) < 0) {
        int err = errno;

        g_set_error(error, GP_SYSFS_ERROR, err, "cannot write '%s' to %s: %s",
                    value, path, g_strerror(err));
        return FALSE;
    }
    if ((size_t)n != len) {
        g_set_error(error, GP_SYSFS_ERROR, EIO, "short write of '%s' to %s",
                    value, path);
        return FALSE;
    }
    return TRUE;
}

/* Where link REL points, as the kernel wrote it (relative). */
static char *
read_link(const char *rel, GError **error)
{
    g_autofree char *path = gp_sysfs_abs(rel);
    char target[4096];
    ssize_t n;

    n = readlink(path, target, sizeof(target) - 1);
    if (n < 0) {
        set_errno_error(error, errno, "read link", path);
        return NULL;
    }
    target[n] = '\0';
    return g_strdup(target);
}

char *
gp_sysfs_link_name(const char *rel, GError **error)
{
    g_autofree char *target = read_link(rel, error);

    return target ? g_path_get_basename(target) : NULL;
}

char *
gp_sysfs_link_parent_name(const char *rel, GError **error)
{
    g_autofree char *target = read_link(rel, error);
    g_autofree char *dir = NULL;

    if (!target)
        return NULL;
    dir = g_path_get_dirname(target);
    return g_path_get_basename(dir);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *
gp_sysfs_list(const char *rel, GError **error)
{
    g_autofree char *path = gp_sysfs_abs(rel);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *ent;
    DIR *dir;

    dir = opendir(path);
    if (!dir) {
        set_errno_error(error, errno, "list", path);
        return NULL;
    }
    while ((ent = readdir(dir))) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        g_ptr_array_add(names, g_strdup(ent->d_name));
    }
    closedir(dir);
    g_ptr_array_sort(names, compare_names);
    return g_steal_pointer(&names);
}
