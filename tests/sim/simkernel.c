/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulated kernel: a write() that reacts to sysfs attribute stores
 * the way the driver core, the PCI core, SR-IOV, the mdev core and
 * NVIDIA's vGPU manager do.
 *
 * Linked into a test binary it replaces libc's write() for the whole
 * process; built as libgpsim-preload.so it does the same for any child
 * through LD_PRELOAD.  It only ever looks at regular files under
 * GPUPOOL_SYSFS_ROOT of a tree gp_sim_new() made; every other write (pipes,
 * terminals, Criterion's own reports) goes straight to libc.
 */
#include "config.h"

#include "simint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reactions write files too; they must reach the disk, not come back
 * here. */
static __thread gboolean in_reaction;

void
sim_kernel_init(void)
{
    /* Referencing this object is what pulls write() into a test binary
     * from the convenience library. */
}

/* The value as the kernel's sysfs_streq()/kstrto*() see it: one trailing
 * newline does not count. */
static char *
value_string(const void *buf, size_t count)
{
    char *s = g_strndup(buf, count);
    size_t len = strlen(s);

    if (len > 0 && s[len - 1] == '\n')
        s[len - 1] = '\0';
    return s;
}

static gboolean
device_matches(SimCtx *ctx, const char *addr, const char *driver)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *override_path = g_build_filename(dir, "driver_override", NULL);
    g_autofree char *override = sim_get(override_path);
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", addr);
    g_autoptr(GKeyFile) dmeta = sim_meta_load(ctx, "drivers", driver);
    g_autofree char *native = g_key_file_get_string(meta, "device", "driver", NULL);
    g_auto(GStrv) ids = g_key_file_get_string_list(dmeta, "driver", "new_id", NULL, NULL);
    g_autofree char *vendor_path = g_build_filename(dir, "vendor", NULL);
    g_autofree char *device_path = g_build_filename(dir, "device", NULL);
    g_autofree char *vendor = NULL;
    g_autofree char *device = NULL;
    g_autofree char *id = NULL;

    if (override)
        g_strchomp(override);
    /* pci_match_device(): an override admits exactly one driver. */
    if (override && strcmp(override, "(null)") != 0)
        return strcmp(override, driver) == 0;
    if (native && strcmp(native, driver) == 0)
        return TRUE;
    vendor = sim_get(vendor_path);
    device = sim_get(device_path);
    if (!vendor || !device)
        return FALSE;
    id = g_strdup_printf("%04x %04x", (guint)g_ascii_strtoull(vendor, NULL, 16),
                         (guint)g_ascii_strtoull(device, NULL, 16));
    return ids && g_strv_contains((const char *const *)ids, id);
}

#define VFIO_PCI "vfio-pci"

/* vfio-pci's character device (CONFIG_VFIO_DEVICE_CDEV): DEV/vfio-dev/vfioN
 * and class/vfio-dev/vfioN while bound, N the lowest free number. */
static void
refresh_vfio_dev(SimCtx *ctx, const char *addr, const char *dir)
{
    g_autofree char *driver = sim_pci_driver(ctx, addr);
    g_autofree char *vfio_dev = g_build_filename(dir, "vfio-dev", NULL);
    g_autofree char *klass = g_build_filename(ctx->root, "class/vfio-dev", NULL);
    gboolean bound = driver && strcmp(driver, VFIO_PCI) == 0;
    guint n;

    if (!bound) {
        g_autoptr(GDir) d = g_dir_open(vfio_dev, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
            g_autofree char *link = g_build_filename(klass, name, NULL);

            unlink(link);
        }
        if (sim_exists(vfio_dev))
            sim_rm_rf(vfio_dev);
        return;
    }
    if (sim_exists(vfio_dev))
        return;
    for (n = 0;; n++) {
        g_autofree char *name = g_strdup_printf("vfio%u", n);
        g_autofree char *link = g_build_filename(klass, name, NULL);
        g_autofree char *cdev = NULL;
        g_autofree char *dev_attr = NULL;

        if (sim_exists(link))
            continue;
        cdev = g_build_filename(vfio_dev, name, NULL);
        dev_attr = g_build_filename(cdev, "dev", NULL);
        sim_mkdir(cdev);
        sim_mkdir(klass);
        sim_putf(dev_attr, "511:%u\n", n);
        sim_symlink(link, cdev);
        return;
    }
}

/* What a driver's probe and remove do beyond the links: parents register
 * their mdev types and vGPU files while their driver is bound, vfio-pci
 * makes its character device, and a PF's driver disables SR-IOV when it
 * lets go. */
static void
after_bind_change(SimCtx *ctx, const char *addr)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", addr);
    g_autofree char *pf = g_key_file_get_string(meta, "device", "pf", NULL);

    if (!dir)
        return;
    sim_mdev_refresh(ctx, addr, dir);
    refresh_vfio_dev(ctx, addr, dir);
    /* A VF losing the nvidia driver frees its framebuffer for the
     * others. */
    if (pf)
        sim_vgpu_refresh(ctx, pf);
}

/* vfio-pci's probe fails with EINVAL for a device without an IOMMU group
 * (no IOMMU, and no enable_unsafe_noiommu_mode). */
static gboolean
probe_fails(SimCtx *ctx, const char *driver, const char *dir)
{
    g_autofree char *group = g_build_filename(dir, "iommu_group", NULL);

    return strcmp(driver, VFIO_PCI) == 0 && !sim_exists(group);
}

int
sim_kernel_bind(SimCtx *ctx, const char *driver, const char *addr)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *bound = NULL;

    /* bind_store(): no such device or no match is ENODEV; the probe of a
     * device that has a driver is EBUSY. */
    if (!dir || !device_matches(ctx, addr, driver))
        return ENODEV;
    bound = sim_pci_driver(ctx, addr);
    if (bound)
        return EBUSY;
    if (probe_fails(ctx, driver, dir))
        return EINVAL;
    if (!sim_pci_link_driver(ctx, addr, driver))
        return EIO;
    after_bind_change(ctx, addr);
    return 0;
}

int
sim_kernel_unbind(SimCtx *ctx, const char *driver, const char *addr)
{
    g_autofree char *bound = sim_pci_driver(ctx, addr);
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *virtfn0 = NULL;

    if (!bound || strcmp(bound, driver) != 0)
        return ENODEV;
    virtfn0 = g_build_filename(dir, "virtfn0", NULL);
    if (sim_exists(virtfn0))
        sim_sriov_set_numvfs(ctx, addr, "0");
    sim_pci_unlink_driver(ctx, addr);
    after_bind_change(ctx, addr);
    return 0;
}

int
sim_kernel_probe(SimCtx *ctx, const char *addr)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *bound = NULL;
    g_autofree char *override_path = NULL;
    g_autofree char *override = NULL;
    g_autoptr(GKeyFile) meta = NULL;
    g_autofree char *native = NULL;
    g_autofree char *drivers_dir = NULL;
    g_autoptr(GDir) drivers = NULL;
    const char *name;

    if (!dir)
        return ENODEV;
    bound = sim_pci_driver(ctx, addr);
    if (bound)
        return 0;
    override_path = g_build_filename(dir, "driver_override", NULL);
    override = sim_get(override_path);
    if (override)
        g_strchomp(override);
    /* With an override only that driver may take the device; if it is
     * not loaded the device stays unbound and the store still succeeds. */
    if (override && strcmp(override, "(null)") != 0) {
        if (sim_driver_exists(ctx, override))
            sim_kernel_bind(ctx, override, addr);
        return 0;
    }
    meta = sim_meta_load(ctx, "pci", addr);
    native = g_key_file_get_string(meta, "device", "driver", NULL);
    if (native && sim_driver_exists(ctx, native)) {
        sim_kernel_bind(ctx, native, addr);
        return 0;
    }
    drivers_dir = g_build_filename(ctx->root, "bus/pci/drivers", NULL);
    drivers = g_dir_open(drivers_dir, 0, NULL);
    while (drivers && (name = g_dir_read_name(drivers))) {
        if (device_matches(ctx, addr, name)) {
            sim_kernel_bind(ctx, name, addr);
            break;
        }
    }
    return 0;
}

/* driver_override is mirrored in the device's key file: a writer's
 * O_TRUNC empties the file before the kernel (here) sees the value, and a
 * write that changes nothing must leave the old value. */
static void
show_override(SimCtx *ctx, const char *dir)
{
    g_autofree char *addr = g_path_get_basename(dir);
    g_autofree char *path = g_build_filename(dir, "driver_override", NULL);
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", addr);
    g_autofree char *value = g_key_file_get_string(meta, "device", "override", NULL);

    sim_putf(path, "%s\n", value && *value ? value : "(null)");
}

static int
store_override(SimCtx *ctx, const char *dir, const char *value)
{
    g_autofree char *addr = g_path_get_basename(dir);
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", addr);

    if (strlen(value) >= 4096) {
        show_override(ctx, dir);
        return ENAMETOOLONG;
    }
    g_key_file_set_string(meta, "device", "override", value);
    sim_meta_save(ctx, "pci", addr, meta);
    show_override(ctx, dir);
    return 0;
}

/* Attributes the kernel creates without a store method: opening them for
 * writing fails with EACCES, even for root.  The simulator cannot refuse
 * the open, so it refuses the write. */
static gboolean
read_only_attr(const char *attr)
{
    static const char *const names[] = {
        "vendor", "device", "subsystem_vendor", "subsystem_device", "class", "revision",
        "resource", "boot_vga", "irq", "modalias", "dma_mask_bits", "current_link_speed",
        "current_link_width", "max_link_speed", "max_link_width", "secondary_bus_number",
        "subordinate_bus_number", "sriov_totalvfs", "sriov_offset", "sriov_stride",
        "sriov_vf_device", "available_instances", "name", "description", "device_api",
        "creatable_vgpu_types", "reserved_regions", "dev", NULL,
    };

    return g_strv_contains(names, attr);
}

/* new_id "VVVV DDDD ...": a dynamic ID, then the driver tries every
 * unbound device (driver_attach()). */
static int
store_new_id(SimCtx *ctx, const char *driver, const char *value, gboolean add)
{
    g_autoptr(GKeyFile) dmeta = sim_meta_load(ctx, "drivers", driver);
    g_auto(GStrv) ids = g_key_file_get_string_list(dmeta, "driver", "new_id", NULL, NULL);
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *id = NULL;
    guint vendor, device, i;
    gboolean found = FALSE;

    if (sscanf(value, "%x %x", &vendor, &device) != 2)
        return EINVAL;
    id = g_strdup_printf("%04x %04x", vendor, device);
    for (i = 0; ids && ids[i]; i++) {
        if (strcmp(ids[i], id) == 0)
            found = TRUE;
        else
            g_ptr_array_add(list, g_strdup(ids[i]));
    }
    if (add && found)
        return EEXIST;
    if (!add && !found)
        return ENODEV;
    if (add)
        g_ptr_array_add(list, g_strdup(id));
    g_key_file_set_string_list(dmeta, "driver", "new_id",
                               (const char *const *)list->pdata, list->len);
    sim_meta_save(ctx, "drivers", driver, dmeta);
    if (add) {
        g_autofree char *devs_dir = g_build_filename(ctx->root, "bus/pci/devices", NULL);
        g_autoptr(GDir) devs = g_dir_open(devs_dir, 0, NULL);
        const char *addr;

        while (devs && (addr = g_dir_read_name(devs))) {
            g_autofree char *bound = sim_pci_driver(ctx, addr);

            if (!bound && device_matches(ctx, addr, driver))
                sim_kernel_bind(ctx, driver, addr);
        }
    }
    return 0;
}

static gboolean
is_pci_device_dir(const char *dir)
{
    g_autofree char *config = g_build_filename(dir, "config", NULL);
    g_autofree char *name = g_path_get_basename(dir);

    return sim_parse_addr(name, NULL, NULL, NULL, NULL) && sim_exists(config);
}

/* Returns -1 when PATH has no reaction (the write just stores), else 0 or
 * an errno. */
static int
react(SimCtx *ctx, const char *path, const char *value)
{
    const char *rel = path + strlen(ctx->root) + 1;
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *attr = g_path_get_basename(path);
    g_autofree char *dirname = g_path_get_basename(dir);
    g_autofree char *updir = g_path_get_dirname(dir);
    g_autofree char *upname = g_path_get_basename(updir);
    g_auto(GStrv) parts = g_strsplit(rel, "/", -1);

    if (read_only_attr(attr)) {
        sim_log("write to read-only attribute %s: the kernel refuses its open() with EACCES",
                path);
        return EACCES;
    }
    if (strcmp(rel, "bus/pci/drivers_probe") == 0)
        return sim_kernel_probe(ctx, value);
    if (strcmp(rel, "bus/pci/rescan") == 0)
        return sim_pci_rescan(ctx, value);
    if (g_strv_length(parts) == 5 && strcmp(parts[0], "bus") == 0 &&
        strcmp(parts[1], "pci") == 0 && strcmp(parts[2], "drivers") == 0) {
        if (strcmp(attr, "bind") == 0)
            return sim_kernel_bind(ctx, parts[3], value);
        if (strcmp(attr, "unbind") == 0)
            return sim_kernel_unbind(ctx, parts[3], value);
        if (strcmp(attr, "new_id") == 0)
            return store_new_id(ctx, parts[3], value, TRUE);
        if (strcmp(attr, "remove_id") == 0)
            return store_new_id(ctx, parts[3], value, FALSE);
        return -1;
    }
    if (strcmp(attr, "driver_override") == 0 && is_pci_device_dir(dir))
        return store_override(ctx, dir, value);
    if (strcmp(attr, "sriov_numvfs") == 0 && is_pci_device_dir(dir))
        return sim_sriov_set_numvfs(ctx, dirname, value);
    if (strcmp(attr, "create") == 0 && strcmp(upname, "mdev_supported_types") == 0) {
        g_autofree char *parent_dir = g_path_get_dirname(updir);

        return sim_mdev_create(ctx, parent_dir, dirname, value);
    }
    if (strcmp(attr, "remove") == 0) {
        g_autofree char *type_link = g_build_filename(dir, "mdev_type", NULL);

        if (sim_exists(type_link))
            return sim_mdev_remove(ctx, dir, value);
        if (is_pci_device_dir(dir))
            return sim_pci_hot_remove(ctx, dir, value);
        return -1;
    }
    if (strcmp(attr, "current_vgpu_type") == 0 && strcmp(dirname, "nvidia") == 0)
        return sim_vgpu_set_type(ctx, updir, value);
    return -1;
}

/* Puts back what a stateful attribute shows after the writer's O_TRUNC,
 * for a write the kernel never passes to the store method. */
static void
restore(SimCtx *ctx, const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *attr = g_path_get_basename(path);
    g_autofree char *dirname = g_path_get_basename(dir);

    if (strcmp(attr, "driver_override") == 0 && is_pci_device_dir(dir))
        show_override(ctx, dir);
    else if (strcmp(attr, "sriov_numvfs") == 0 && is_pci_device_dir(dir))
        sim_sriov_refresh_numvfs(ctx, dirname);
    else if (strcmp(attr, "current_vgpu_type") == 0 && strcmp(dirname, "nvidia") == 0) {
        g_autofree char *vf_dir = g_path_get_dirname(dir);

        sim_vgpu_refresh_vf(ctx, vf_dir);
    } else if (strcmp(attr, "bind") != 0 && strcmp(attr, "unbind") != 0 &&
               strcmp(attr, "drivers_probe") != 0 && strcmp(attr, "create") != 0 &&
               strcmp(attr, "remove") != 0 && strcmp(attr, "new_id") != 0 &&
               strcmp(attr, "remove_id") != 0 && strcmp(attr, "rescan") != 0) {
        sim_log("empty write to %s after O_TRUNC: its old contents are lost", path);
    }
}

/* The physical path of FD if it lies under GPUPOOL_SYSFS_ROOT.  Checked
 * before anything else is loaded: with the preload, every write of the
 * child to any regular file passes through here. */
static char *
sim_file_of_fd(int fd)
{
    const char *root = g_getenv("GPUPOOL_SYSFS_ROOT");
    g_autofree char *proc = NULL;
    g_autofree char *path = NULL;
    g_autofree char *real_root = NULL;
    size_t len;

    if (!root || !*root)
        return NULL;
    proc = g_strdup_printf("/proc/self/fd/%d", fd);
    path = g_file_read_link(proc, NULL);
    real_root = path ? realpath(root, NULL) : NULL;
    if (!real_root)
        return NULL;
    len = strlen(real_root);
    if (strncmp(path, real_root, len) != 0 || path[len] != '/')
        return NULL;
    return g_steal_pointer(&path);
}

ssize_t write(int fd, const void *buf, size_t count);

ssize_t
write(int fd, const void *buf, size_t count)
{
    g_autoptr(SimCtx) ctx = NULL;
    g_autofree char *path = NULL;
    g_autofree char *value = NULL;
    struct stat st;
    int err, saved_errno = errno;

    if (in_reaction || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        errno = saved_errno;
        return sim_real_write(fd, buf, count);
    }
    in_reaction = TRUE;
    path = sim_file_of_fd(fd);
    if (path)
        ctx = sim_ctx_from_env();
    if (!ctx) {
        in_reaction = FALSE;
        errno = saved_errno;
        return sim_real_write(fd, buf, count);
    }
    if (count == 0) {
        /* sysfs_kf_write() returns 0 before any store method runs. */
        restore(ctx, path);
        in_reaction = FALSE;
        return 0;
    }
    value = value_string(buf, count);
    err = react(ctx, path, value);
    in_reaction = FALSE;
    if (err < 0) {
        g_autofree char *attr = g_path_get_basename(path);
        ssize_t n;

        errno = saved_errno;
        n = sim_real_write(fd, buf, count);
        /* A text attribute shows its value with a newline, as the
         * kernel's show methods print it; config is binary. */
        if (n == (ssize_t)count && strcmp(attr, "config") != 0 &&
            ((const char *)buf)[count - 1] != '\n')
            sim_real_write(fd, "\n", 1);
        return n;
    }
    if (err > 0) {
        errno = err;
        return -1;
    }
    return count;
}
