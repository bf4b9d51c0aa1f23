/* Mediated devices: a parent's mdev_supported_types while its driver is
 * bound, "create" and "remove" as the mdev core handles them, and
 * available_instances derived from a capacity every instance draws on.
 *
 * BASE/sim/mdev/PARENT.ini holds the parent's capacity and its types'
 * costs; which instances exist is read back from the tree itself. */
#include "config.h"

#include "simint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MDEV_DRIVER "vfio_mdev"

static char *
types_dir(const char *parent_dir)
{
    return g_build_filename(parent_dir, "mdev_supported_types", NULL);
}

static guint
count_instances(const char *parent_dir, const char *type)
{
    g_autofree char *types = types_dir(parent_dir);
    g_autofree char *devices = g_build_filename(types, type, "devices", NULL);
    g_autoptr(GDir) dir = g_dir_open(devices, 0, NULL);
    guint n = 0;

    while (dir && g_dir_read_name(dir))
        n++;
    return n;
}

/* A PCI parent offers types only while its own driver (nvidia, i915)
 * holds it; a virtual parent always does. */
static gboolean
parent_active(SimCtx *ctx, GKeyFile *meta, const char *parent_name)
{
    g_autofree char *driver = g_key_file_get_string(meta, "parent", "driver", NULL);
    g_autofree char *bound = NULL;

    if (!driver || !*driver)
        return TRUE;
    bound = sim_pci_driver(ctx, parent_name);
    return bound && strcmp(bound, driver) == 0;
}

static void
remove_mdev_dir(SimCtx *ctx, const char *mdev_dir)
{
    g_autofree char *uuid = g_path_get_basename(mdev_dir);
    g_autofree char *type_link = g_build_filename(mdev_dir, "mdev_type", NULL);
    g_autofree char *type_dir = realpath(type_link, NULL);
    g_autofree char *bus_link = g_build_filename(ctx->root, "bus/mdev/devices", uuid, NULL);
    g_autofree char *drv_link = g_build_filename(ctx->root, "bus/mdev/drivers", MDEV_DRIVER,
                                                 uuid, NULL);

    if (type_dir) {
        g_autofree char *back = g_build_filename(type_dir, "devices", uuid, NULL);

        unlink(back);
    }
    unlink(bus_link);
    unlink(drv_link);
    sim_group_leave(ctx, mdev_dir);
    sim_rm_rf(mdev_dir);
}

static void
deactivate(SimCtx *ctx, const char *parent_name, const char *parent_dir)
{
    g_autofree char *types = types_dir(parent_dir);
    g_autofree char *class_link = g_build_filename(ctx->root, "class/mdev_bus", parent_name, NULL);
    g_autoptr(GDir) dir = g_dir_open(types, 0, NULL);
    const char *type;

    /* mdev_unregister_parent() removes the parent's devices first. */
    while (dir && (type = g_dir_read_name(dir))) {
        g_autofree char *devices = g_build_filename(types, type, "devices", NULL);
        g_autoptr(GDir) ddir = g_dir_open(devices, 0, NULL);
        const char *uuid;

        while (ddir && (uuid = g_dir_read_name(ddir))) {
            g_autofree char *mdev = g_build_filename(parent_dir, uuid, NULL);

            remove_mdev_dir(ctx, mdev);
        }
    }
    if (sim_exists(types))
        sim_rm_rf(types);
    unlink(class_link);
}

void
sim_mdev_refresh(SimCtx *ctx, const char *parent_name, const char *parent_dir)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "mdev", parent_name);
    g_autofree char *types = types_dir(parent_dir);
    g_autofree char *class_link = g_build_filename(ctx->root, "class/mdev_bus", parent_name, NULL);
    g_auto(GStrv) groups = NULL;
    guint64 capacity, used = 0, free_units;
    gboolean homogeneous;
    const char *in_use = NULL;
    guint i;

    if (!g_key_file_has_group(meta, "parent"))
        return;
    if (!parent_active(ctx, meta, parent_name)) {
        deactivate(ctx, parent_name, parent_dir);
        return;
    }
    capacity = g_key_file_get_uint64(meta, "parent", "capacity", NULL);
    homogeneous = g_key_file_get_boolean(meta, "parent", "homogeneous", NULL);
    groups = g_key_file_get_groups(meta, NULL);
    sim_mkdir(types);
    sim_symlink(class_link, parent_dir);
    /* vfio's mdev driver is there once a parent is, not only once the
     * first mdev is made: removing the last mdev does not unload it. */
    {
        g_autofree char *drv_dir = g_build_filename(ctx->root, "bus/mdev/drivers", MDEV_DRIVER,
                                                    NULL);

        sim_mkdir(drv_dir);
    }

    for (i = 0; groups[i]; i++) {
        const char *type;
        guint n;

        if (!g_str_has_prefix(groups[i], "type "))
            continue;
        type = groups[i] + 5;
        n = count_instances(parent_dir, type);
        used += n * g_key_file_get_uint64(meta, groups[i], "cost", NULL);
        if (n > 0)
            in_use = type;
    }
    free_units = used > capacity ? 0 : capacity - used;

    for (i = 0; groups[i]; i++) {
        const char *type;
        g_autofree char *dir = NULL;
        g_autofree char *devices = NULL;
        g_autofree char *create = NULL;
        g_autofree char *avail_path = NULL;
        guint64 cost, max, avail;
        guint n;
        const char *const attrs[] = { "name", "description", "device_api" };
        guint a;

        if (!g_str_has_prefix(groups[i], "type "))
            continue;
        type = groups[i] + 5;
        dir = g_build_filename(types, type, NULL);
        devices = g_build_filename(dir, "devices", NULL);
        create = g_build_filename(dir, "create", NULL);
        avail_path = g_build_filename(dir, "available_instances", NULL);
        if (!sim_exists(dir)) {
            sim_mkdir(devices);
            sim_put(create, "", 0);
            for (a = 0; a < G_N_ELEMENTS(attrs); a++) {
                g_autofree char *path = g_build_filename(dir, attrs[a], NULL);
                g_autofree char *value = g_key_file_get_string(meta, groups[i], attrs[a], NULL);

                sim_putf(path, "%s\n", value ? value : "");
            }
        }
        cost = g_key_file_get_uint64(meta, groups[i], "cost", NULL);
        max = g_key_file_get_uint64(meta, groups[i], "max", NULL);
        n = count_instances(parent_dir, type);
        avail = cost ? free_units / cost : 0;
        if (max)
            avail = MIN(avail, max > n ? max - n : 0);
        /* NVIDIA's time-sliced vGPU: one type per physical GPU at a time. */
        if (homogeneous && in_use && strcmp(in_use, type) != 0)
            avail = 0;
        sim_putf(avail_path, "%" G_GUINT64_FORMAT "\n", avail);
    }
}

void
sim_mdev_define_parent(SimCtx *ctx, const char *name, const char *dir, const char *driver,
                       guint64 capacity, gboolean homogeneous)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "mdev", name);

    g_key_file_set_string(meta, "parent", "dir", dir + strlen(ctx->root) + 1);
    g_key_file_set_string(meta, "parent", "driver", driver ? driver : "");
    g_key_file_set_uint64(meta, "parent", "capacity", capacity);
    g_key_file_set_boolean(meta, "parent", "homogeneous", homogeneous);
    sim_meta_save(ctx, "mdev", name, meta);
    sim_mdev_refresh(ctx, name, dir);
}

gboolean
sim_mdev_define_type(SimCtx *ctx, const char *parent, const char *type, const char *name,
                     const char *description, const char *device_api, guint64 cost,
                     guint max)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "mdev", parent);
    g_autofree char *group = g_strconcat("type ", type, NULL);
    g_autofree char *rel = g_key_file_get_string(meta, "parent", "dir", NULL);
    g_autofree char *dir = NULL;

    if (!rel) {
        sim_log("no mdev parent %s for type %s", parent, type);
        return FALSE;
    }
    g_key_file_set_string(meta, group, "name", name ? name : type);
    g_key_file_set_string(meta, group, "description", description ? description : "");
    g_key_file_set_string(meta, group, "device_api", device_api ? device_api : "vfio-pci");
    g_key_file_set_uint64(meta, group, "cost", cost);
    g_key_file_set_uint64(meta, group, "max", max);
    sim_meta_save(ctx, "mdev", parent, meta);
    dir = g_build_filename(ctx->root, rel, NULL);
    sim_mdev_refresh(ctx, parent, dir);
    return TRUE;
}

/* uuid_is_valid(): 8-4-4-4-12 hex digits. */
static gboolean
uuid_valid(const char *s)
{
    guint i;

    if (strlen(s) != 36)
        return FALSE;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return FALSE;
        } else if (!g_ascii_isxdigit(s[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

int
sim_mdev_create(SimCtx *ctx, const char *parent_dir, const char *type, const char *value)
{
    g_autofree char *parent_name = g_path_get_basename(parent_dir);
    g_autofree char *uuid = g_ascii_strdown(value, -1);
    g_autofree char *types = types_dir(parent_dir);
    g_autofree char *type_dir = g_build_filename(types, type, NULL);
    g_autofree char *avail_path = g_build_filename(type_dir, "available_instances", NULL);
    g_autofree char *avail = sim_get(avail_path);
    g_autofree char *bus_link = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *link = NULL;
    g_autofree char *back = NULL;
    g_autofree char *remove = NULL;
    g_autofree char *drv_dir = NULL;
    g_autofree char *drv_link = NULL;
    g_autofree char *drv_back = NULL;
    g_autofree char *subsystem = NULL;
    g_autofree char *bus_dir = NULL;
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "mdev", parent_name);

    if (!g_key_file_has_group(meta, "parent")) {
        sim_log("%s is not a simulated mdev parent", parent_dir);
        return EIO;
    }
    g_strstrip(uuid);
    if (!uuid_valid(uuid))
        return EINVAL;
    bus_link = g_build_filename(ctx->root, "bus/mdev/devices", uuid, NULL);
    if (sim_exists(bus_link))
        return EEXIST;
    if (!avail || g_ascii_strtoull(avail, NULL, 10) == 0)
        return ENOSPC;

    dir = g_build_filename(parent_dir, uuid, NULL);
    link = g_build_filename(dir, "mdev_type", NULL);
    back = g_build_filename(type_dir, "devices", uuid, NULL);
    remove = g_build_filename(dir, "remove", NULL);
    bus_dir = g_build_filename(ctx->root, "bus/mdev", NULL);
    subsystem = g_build_filename(dir, "subsystem", NULL);
    drv_dir = g_build_filename(ctx->root, "bus/mdev/drivers", MDEV_DRIVER, NULL);
    drv_link = g_build_filename(dir, "driver", NULL);
    drv_back = g_build_filename(drv_dir, uuid, NULL);
    if (!sim_mkdir(dir) || !sim_mkdir(drv_dir))
        return EIO;
    sim_put(remove, "", 0);
    sim_symlink(link, type_dir);
    sim_symlink(back, dir);
    sim_symlink(bus_link, dir);
    sim_symlink(subsystem, bus_dir);
    sim_symlink(drv_link, drv_dir);
    sim_symlink(drv_back, dir);
    /* vfio registers an mdev as an emulated-IOMMU device: it gets a group
     * of its own whether or not the host has an IOMMU. */
    sim_group_join(ctx, sim_group_new(ctx), dir);
    sim_mdev_refresh(ctx, parent_name, parent_dir);
    return 0;
}

int
sim_mdev_remove(SimCtx *ctx, const char *mdev_dir, const char *value)
{
    g_autofree char *parent_dir = g_path_get_dirname(mdev_dir);
    g_autofree char *parent_name = g_path_get_basename(parent_dir);
    char *end = NULL;
    guint64 v;

    /* remove_store(): kstrtoul(), and only a non-zero value removes. */
    v = g_ascii_strtoull(value, &end, 0);
    if (!*value || end == value || *end != '\0')
        return EINVAL;
    if (v == 0)
        return 0;
    remove_mdev_dir(ctx, mdev_dir);
    sim_mdev_refresh(ctx, parent_name, parent_dir);
    return 0;
}
