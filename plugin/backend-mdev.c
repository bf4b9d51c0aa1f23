/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mediated devices: a parent (a PCI GPU whose vendor driver offers
 * mdev_supported_types, or a virtual parent like the kernel's mbochs
 * sample) creates partitions of a type on demand.  Every parent, PCI or
 * not, appears under class/mdev_bus/NAME; that is how this back end
 * addresses it.
 *
 * The kernel tells per type only how many more instances fit now
 * (available_instances) and, in NVIDIA's descriptions, the framebuffer and
 * the maximum per GPU; the rest is derived and stays 0 when it cannot be. */
#include "config.h"

#include "backend.h"


#include <errno.h>
#include <string.h>

/* How long release waits for an mdev that is still busy: the vendor
 * driver may hold it for a moment after QEMU exits. */
#define MDEV_REMOVE_TRIES 10
#define MDEV_REMOVE_WAIT_US (200 * 1000)


/* Set once by the registry (src/host/backends.c) before any op runs. */
static const GpBackendHost *host;
static const GpBackendOps mdev_ops;
static int
mdev_probe(const char *device)
{
    g_autofree char *rel = host->sysfs_mdev_type_path(device, NULL, NULL);

    return host->sysfs_is_dir(rel) ? GP_BACKEND_SCORE_GENERIC : GP_BACKEND_SCORE_NONE;
}

/* "max_instance=16" in NVIDIA's descriptions. */
static guint
parse_max_instance(const char *description)
{
    const char *p = description ? strstr(description, "max_instance=") : NULL;

    if (!p)
        return 0;
    return (guint)g_ascii_strtoull(p + strlen("max_instance="), NULL, 10);
}

static char *
read_type_attr(const char *parent, const char *type, const char *attr)
{
    g_autofree char *rel = host->sysfs_mdev_type_path(parent, type, attr);

    return host->sysfs_read(rel, NULL);
}

static gboolean
mdev_describe(const char *device, GpPartInfo *info, GError **error)
{
    g_autofree char *rel = host->sysfs_mdev_type_path(device, NULL, NULL);
    g_autoptr(GPtrArray) types = NULL;
    g_autoptr(GError) err = NULL;
    guint64 used = 0;
    guint64 total = 0;

    info->backend = mdev_ops.name;
    info->kind = GP_PART_KIND_MDEV;
    types = host->sysfs_list(rel, &err);
    if (!types) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                    "%s offers no mdev types (%s): load its vendor's vGPU driver",
                    device, err->message);
        return FALSE;
    }
    for (guint i = 0; i < types->len; i++) {
        const char *id = types->pdata[i];
        g_autofree char *name = read_type_attr(device, id, "name");
        g_autofree char *avail_rel = host->sysfs_mdev_type_path(device, id, "available_instances");
        g_autofree char *devs_rel = host->sysfs_mdev_type_path(device, id, "devices");
        g_autoptr(GPtrArray) devs = host->sysfs_list(devs_rel, NULL);
        GpPartProfile *profile = gp_part_profile_new(id, name);
        guint64 avail = 0;

        profile->description = read_type_attr(device, id, "description");
        host->sysfs_read_u64(avail_rel, &avail, NULL);
        profile->available = (guint)avail;
        profile->in_use = devs ? devs->len : 0;
        profile->vram = gp_backend_parse_vram(profile->name);
        if (!profile->vram)
            profile->vram = gp_backend_parse_vram(profile->description);
        profile->max_instances = parse_max_instance(profile->description);
        used += (guint64)profile->in_use * profile->vram;
        info->in_use += profile->in_use;
        g_ptr_array_add(info->profiles, profile);
    }

    /* The framebuffer: what is used plus what the roomiest type could
     * still take; on an unused parent simply the largest type's share. */
    for (guint i = 0; i < info->profiles->len; i++) {
        GpPartProfile *p = info->profiles->pdata[i];

        if (p->vram && p->max_instances)
            total = MAX(total, p->vram * p->max_instances);
        if (p->vram)
            total = MAX(total, used + p->vram * p->available);
    }
    for (guint i = 0; i < info->profiles->len; i++) {
        GpPartProfile *p = info->profiles->pdata[i];

        if (p->max_instances == 0) {
            if (info->in_use == 0)
                /* Nothing exists: what fits now is what fits at all. */
                p->max_instances = p->available;
            else if (p->vram && total)
                p->max_instances = (guint)(total / p->vram);
            else if (p->in_use)
                p->max_instances = p->in_use + p->available;
        }
        gp_part_info_add_count(info, p->max_instances);
    }
    gp_part_info_set_current(info);
    info->vram_total = total;
    info->vram_free = total > used ? total - used : 0;
    return TRUE;
}

static gboolean
mdev_configure(const char *device, guint count, const char *profile, GError **error)
{
    g_autoptr(GpPartInfo) info = gp_part_info_new(device);
    GpPartProfile *p;

    if (!mdev_describe(device, info, error))
        return FALSE;
    p = gp_part_info_find_profile(info, profile);
    if (!p) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID,
                    "%s offers no mdev type '%s': see 'gpupool partitions %s'",
                    device, profile ? profile : "(none)", device);
        return FALSE;
    }
    /* mdevs are created when a domain starts; setting the partitioning
     * only has to make sure the type can be had.  Instances of another
     * type on a homogeneous parent would make it unavailable. */
    if (p->available == 0 && p->in_use == 0) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_BUSY,
                    "%s cannot create mdevs of type '%s' now: remove the %u mdevs of "
                    "other types on it first (see 'gpupool partitions %s')",
                    device, profile, info->in_use, device);
        return FALSE;
    }
    return TRUE;
}

/* The parent an existing mdev lives on and its type, NULL if it does not
 * exist. */
static gboolean
mdev_lookup(const char *uuid, char **parent, char **type)
{
    g_autofree char *rel = host->sysfs_mdev_dev_path(uuid, NULL);
    g_autofree char *type_rel = host->sysfs_mdev_dev_path(uuid, "mdev_type");

    if (!host->sysfs_is_dir(rel))
        return FALSE;
    /* bus/mdev/devices/UUID -> .../PARENT/UUID */
    *parent = host->sysfs_link_parent_name(rel, NULL);
    *type = host->sysfs_link_name(type_rel, NULL);
    return TRUE;
}

static gboolean
mdev_prepare(const char *device, const char *profile, GpPartition *part, GError **error)
{
    g_autofree char *parent = NULL;
    g_autofree char *type = NULL;
    g_autofree char *create = NULL;
    g_autofree char *avail_rel = NULL;
    g_autoptr(GError) err = NULL;
    guint64 avail = 0;

    if (!part->uuid || !profile) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID,
                    "%s: an mdev needs a UUID and a type: set the pool's type with "
                    "'gpupool partition-set'", device);
        return FALSE;
    }
    if (mdev_lookup(part->uuid, &parent, &type)) {
        if (g_strcmp0(parent, device) == 0 && g_strcmp0(type, profile) == 0)
            goto done;
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_BUSY,
                    "mdev %s already exists on %s with type %s, not on %s with type %s: "
                    "remove it with 'echo 1 > /sys/bus/mdev/devices/%s/remove' if nothing "
                    "uses it", part->uuid, parent ? parent : "?", type ? type : "?",
                    device, profile, part->uuid);
        return FALSE;
    }
    avail_rel = host->sysfs_mdev_type_path(device, profile, "available_instances");
    if (!host->sysfs_read_u64(avail_rel, &avail, &err)) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID,
                    "%s offers no mdev type '%s': see 'gpupool partitions %s'",
                    device, profile, device);
        return FALSE;
    }
    if (avail == 0) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_NO_CAPACITY,
                    "%s has no room for another mdev of type %s", device, profile);
        return FALSE;
    }
    create = host->sysfs_mdev_type_path(device, profile, "create");
    if (!host->sysfs_write(create, part->uuid, &err)) {
        int code = err->domain == host->sysfs_error_domain && err->code == ENOSPC
                   ? GP_BACKEND_ERROR_NO_CAPACITY : GP_BACKEND_ERROR_IO;

        g_set_error(error, GP_BACKEND_ERROR, code, "cannot create mdev %s of type %s on %s: %s",
                    part->uuid, profile, device, err->message);
        return FALSE;
    }
done:
    part->kind = GP_PART_KIND_MDEV;
    g_free(part->parent);
    part->parent = g_strdup(device);
    g_free(part->profile);
    part->profile = g_strdup(profile);
    return TRUE;
}

static gboolean
mdev_release(const char *device, const GpPartition *part, GError **error)
{
    g_autofree char *remove = NULL;
    g_autoptr(GError) err = NULL;

    if (!part->uuid)
        return TRUE;
    remove = host->sysfs_mdev_dev_path(part->uuid, "remove");
    for (guint i = 0; i < MDEV_REMOVE_TRIES; i++) {
        g_clear_error(&err);
        /* NVIDIA's driver may remove the mdev by itself once QEMU is
         * gone: an mdev that is not there any more is released. */
        if (!host->sysfs_exists(remove))
            return TRUE;
        if (host->sysfs_write(remove, "1", &err))
            return TRUE;
        if (err->domain == host->sysfs_error_domain && err->code == ENOENT)
            return TRUE;
        if (!(err->domain == host->sysfs_error_domain && err->code == EBUSY))
            break;
        g_usleep(MDEV_REMOVE_WAIT_US);
    }
    g_set_error(error, GP_BACKEND_ERROR,
                err->domain == host->sysfs_error_domain && err->code == EBUSY
                ? GP_BACKEND_ERROR_BUSY : GP_BACKEND_ERROR_IO,
                "cannot remove mdev %s from %s: %s (is a guest still using it? "
                "run 'gpupool rebalance' once it stopped)",
                part->uuid, device, err->message);
    return FALSE;
}

static const GpBackendOps mdev_ops = {
    .abi = GP_BACKEND_ABI,
    .name = "mdev",
    .summary = "mediated devices",
    .kind = GP_PART_KIND_MDEV,
    .probe = mdev_probe,
    .describe = mdev_describe,
    .configure = mdev_configure,
    .prepare = mdev_prepare,
    .release = mdev_release,
};

const GpBackendOps *
gp_backend_mdev_init(const GpBackendHost *h, guint abi, GError **error)
{
    host = h;
    return &mdev_ops;
}
