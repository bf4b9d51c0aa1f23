/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NVIDIA vGPU on SR-IOV virtual functions (vGPU 17 and later on Ada,
 * Hopper and newer, kernel 6.8+): there is no mdev bus.  Every VF stays
 * bound to the nvidia driver and carries
 *
 *   VF/nvidia/creatable_vgpu_types   "ID : name" table of the vGPU types
 *                                    this VF could take now; it shrinks as
 *                                    the GPU's framebuffer fills
 *   VF/nvidia/current_vgpu_type      the VF's type ID, 0 for none; write an
 *                                    ID to set it, 0 to clear it
 *
 * and a domain gets the VF itself as <hostdev managed='no'>.  The
 * partition count is how many VFs can take the chosen type; the VF count
 * (sriov_numvfs) is simply all of them, as NVIDIA's sriov-manage does.
 *
 * A loadable module: everything it touches goes through the host table. */
#include "config.h"

#include "backend.h"
#include "vendor-module.h"

#include <errno.h>
#include <gmodule.h>
#include <string.h>

#define NVIDIA_VENDOR 0x10de

static const GpBackendHost *host;

static guint64
pci_u64(const char *device, const char *attr)
{
    return gp_vendor_pci_u64(host, device, attr);
}

static int
nvidia_probe(const char *device)
{
    g_autofree char *driver = NULL;

    if (pci_u64(device, "vendor") != NVIDIA_VENDOR || pci_u64(device, "sriov_totalvfs") == 0)
        return GP_BACKEND_SCORE_NONE;
    /* The vGPU files exist only while NVIDIA's own driver holds the GPU. */
    driver = host->vfio_current_driver(device);
    if (g_strcmp0(driver, "nvidia") != 0)
        return GP_BACKEND_SCORE_NONE;
    return GP_BACKEND_SCORE_VENDOR;
}

/* Type ID currently set on VF, 0 if none, -1 if the VF has no vGPU files. */
static gint64
vf_current_type(const char *vf)
{
    g_autofree char *rel = host->sysfs_pci_dev_path(vf, "nvidia/current_vgpu_type");
    guint64 v = 0;

    if (!host->sysfs_read_u64(rel, &v, NULL))
        return -1;
    return (gint64)v;
}

/* "ID : name" lines after a header line; returns id -> name. */
static GHashTable *
vf_creatable(const char *vf, GPtrArray *order)
{
    g_autofree char *rel = host->sysfs_pci_dev_path(vf, "nvidia/creatable_vgpu_types");
    g_autofree char *text = host->sysfs_read(rel, NULL);
    GHashTable *types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) lines = NULL;

    if (!text)
        return types;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) cols = g_strsplit(lines[i], ":", 2);
        char *id, *name;

        if (!cols[0] || !cols[1])
            continue;
        id = g_strstrip(cols[0]);
        name = g_strstrip(cols[1]);
        if (!*id || !g_ascii_isdigit(*id) || g_hash_table_contains(types, id))
            continue;
        g_hash_table_insert(types, g_strdup(id), g_strdup(name));
        if (order && !g_ptr_array_find_with_equal_func(order, id, g_str_equal, NULL))
            g_ptr_array_add(order, g_strdup(id));
    }
    return types;
}

static gboolean
nvidia_describe(const char *device, GpPartInfo *info, GError **error)
{
    g_autoptr(GPtrArray) vfs = host->vf_list(device);
    g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) avail = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint64 total_vfs = pci_u64(device, "sriov_totalvfs");
    guint64 used_vram = 0, total = 0;

    info->backend = "nvidia-vgpu";
    info->kind = GP_PART_KIND_VF;
    for (guint i = 0; i < vfs->len; i++) {
        const char *vf = vfs->pdata[i];
        gint64 cur = vf_current_type(vf);
        g_autoptr(GHashTable) types = NULL;
        GHashTableIter it;
        gpointer k, v;

        if (cur > 0) {
            g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, cur);

            g_hash_table_insert(used, g_strdup(id),
                                GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(used, id)) + 1));
            if (!g_ptr_array_find_with_equal_func(order, id, g_str_equal, NULL))
                g_ptr_array_add(order, g_strdup(id));
            continue;
        }
        if (cur < 0)
            continue;
        types = vf_creatable(vf, order);
        g_hash_table_iter_init(&it, types);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            g_hash_table_insert(avail, g_strdup(k),
                                GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(avail, k)) + 1));
            if (!g_hash_table_contains(names, k))
                g_hash_table_insert(names, g_strdup(k), g_strdup(v));
        }
    }
    for (guint i = 0; i < order->len; i++) {
        const char *id = order->pdata[i];
        GpPartProfile *p = gp_part_profile_new(id, g_hash_table_lookup(names, id));

        p->available = GPOINTER_TO_UINT(g_hash_table_lookup(avail, id));
        p->in_use = GPOINTER_TO_UINT(g_hash_table_lookup(used, id));
        /* The profile name carries the framebuffer ("L40S-12Q": 12 GiB). */
        p->vram = gp_backend_parse_vram(p->name);
        used_vram += (guint64)p->in_use * p->vram;
        total = MAX(total, p->vram);
        info->in_use += p->in_use;
        g_ptr_array_add(info->profiles, p);
    }
    /* On an idle GPU the whole-GPU profile is listed and its size is the
     * framebuffer; while vGPUs run, the framebuffer is at least what they
     * use plus what one more of each creatable type needs. */
    for (guint i = 0; i < info->profiles->len; i++) {
        GpPartProfile *p = info->profiles->pdata[i];

        if (p->available)
            total = MAX(total, used_vram + p->vram);
    }
    for (guint i = 0; i < info->profiles->len; i++) {
        GpPartProfile *p = info->profiles->pdata[i];

        if (p->vram && total) {
            p->max_instances = (guint)MIN(total / p->vram, total_vfs);
            if (p->available > p->max_instances - MIN(p->in_use, p->max_instances))
                p->available = p->max_instances - MIN(p->in_use, p->max_instances);
        }
        /* Free framebuffer bounds what can still be created. */
        if (p->vram && total >= used_vram && p->available > (total - used_vram) / p->vram)
            p->available = (guint)((total - used_vram) / p->vram);
        gp_part_info_add_count(info, p->max_instances);
    }
    if (vfs->len == 0) {
        /* No VFs yet, so no type tables: the counts are the VF counts. */
        for (guint64 i = 1; i <= total_vfs; i++)
            gp_part_info_add_count(info, (guint)i);
    }
    gp_part_info_set_current(info);
    info->vram_total = total;
    info->vram_free = total > used_vram ? total - used_vram : 0;
    return TRUE;
}

static gboolean
nvidia_configure(const char *device, guint count, const char *profile, GError **error)
{
    guint64 total_vfs = pci_u64(device, "sriov_totalvfs");
    guint64 before = pci_u64(device, "sriov_numvfs");
    g_autoptr(GpPartInfo) info = gp_part_info_new(device);
    GpPartProfile *p;

    if (!profile) {
        g_set_error(error, host->error_domain, GP_BACKEND_ERROR_INVALID,
                    "%s: NVIDIA vGPU needs a vGPU type: give --profile ID (see "
                    "'gpupool partitions %s')", device, device);
        return FALSE;
    }
    /* Every VF is enabled; the type decides how many get a vGPU. */
    if (before == 0 && !host->vf_set_count(device, (guint)total_vfs, error))
        return FALSE;
    if (!nvidia_describe(device, info, error))
        goto undo;
    p = gp_part_info_find_profile(info, profile);
    if (!p || (p->available == 0 && p->in_use == 0)) {
        g_set_error(error, host->error_domain, GP_BACKEND_ERROR_INVALID,
                    "%s cannot create vGPU type %s now: choose one that "
                    "'gpupool partitions %s' lists as available", device, profile, device);
        goto undo;
    }
    if (count && p->max_instances && count != p->max_instances) {
        g_set_error(error, host->error_domain, GP_BACKEND_ERROR_INVALID,
                    "%s: vGPU type %s (%s) gives %u partitions, not %u: choose a type "
                    "that gives %u", device, profile, p->name, p->max_instances, count, count);
        goto undo;
    }
    return TRUE;

undo:
    if (before == 0)
        host->vf_set_count(device, 0, NULL);
    return FALSE;
}

static gboolean
nvidia_prepare(const char *device, const char *profile, GpPartition *part, GError **error)
{
    g_autofree char *rel = NULL;
    g_autoptr(GError) err = NULL;
    gint64 cur;

    if (!part->address || host->vf_number(device, part->address) == 0) {
        g_set_error(error, host->error_domain, GP_BACKEND_ERROR_INVALID,
                    "%s is not an enabled virtual function of %s: run "
                    "'gpupool partition-set %s --profile ID'",
                    part->address ? part->address : "(none)", device, device);
        return FALSE;
    }
    if (!profile) {
        g_set_error(error, host->error_domain, GP_BACKEND_ERROR_INVALID,
                    "%s: no vGPU type chosen for the pool: run "
                    "'gpupool partition-set %s --profile ID'", device, device);
        return FALSE;
    }
    cur = vf_current_type(part->address);
    if (cur < 0) {
        g_set_error(error, host->error_domain, GP_BACKEND_ERROR_UNSUPPORTED,
                    "%s has no nvidia/current_vgpu_type: bind it to the nvidia driver "
                    "(vGPU host driver 17 or later)", part->address);
        return FALSE;
    }
    if (cur > 0) {
        if (g_ascii_strtoll(profile, NULL, 10) == cur)
            goto done;
        g_set_error(error, host->error_domain, GP_BACKEND_ERROR_BUSY,
                    "%s already has vGPU type %" G_GINT64_FORMAT ", not %s: "
                    "see 'gpupool status' for who holds it", part->address, cur, profile);
        return FALSE;
    }
    rel = host->sysfs_pci_dev_path(part->address, "nvidia/current_vgpu_type");
    if (!host->sysfs_write(rel, profile, &err)) {
        /* The driver answers EINVAL for a type that is not creatable now:
         * the framebuffer is full. */
        gboolean full = err->code == EINVAL || err->code == ENOSPC;

        g_set_error(error, host->error_domain,
                    full ? GP_BACKEND_ERROR_NO_CAPACITY : GP_BACKEND_ERROR_IO,
                    "%s: cannot set vGPU type %s on %s: %s", device, profile,
                    part->address, err->message);
        return FALSE;
    }
done:
    part->kind = GP_PART_KIND_VF;
    g_free(part->parent);
    part->parent = g_strdup(device);
    g_free(part->profile);
    part->profile = g_strdup(profile);
    part->host_driver_stays = TRUE;
    return TRUE;
}

static gboolean
nvidia_release(const char *device, const GpPartition *part, GError **error)
{
    g_autofree char *rel = NULL;
    g_autoptr(GError) err = NULL;

    if (!part->address || vf_current_type(part->address) <= 0)
        return TRUE;
    /* Clearing the type under a QEMU that still has the VF open would
     * wipe a running guest's vGPU, and if the VF has already gone to the
     * next owner, that owner's. */
    if (!host->vfio_check_unused(part->address, NULL, error))
        return FALSE;
    rel = host->sysfs_pci_dev_path(part->address, "nvidia/current_vgpu_type");
    if (!host->sysfs_write(rel, "0", &err)) {
        g_set_error(error, host->error_domain,
                    err->code == EBUSY ? GP_BACKEND_ERROR_BUSY : GP_BACKEND_ERROR_IO,
                    "cannot clear the vGPU type of %s: %s", part->address, err->message);
        return FALSE;
    }
    return TRUE;
}

static const GpBackendOps nvidia_ops = {
    .abi = GP_BACKEND_ABI,
    .name = "nvidia-vgpu",
    .summary = "NVIDIA vGPU on SR-IOV virtual functions",
    .kind = GP_PART_KIND_VF,
    .driver_stays = TRUE,
    .probe = nvidia_probe,
    .describe = nvidia_describe,
    .configure = nvidia_configure,
    .prepare = nvidia_prepare,
    .release = nvidia_release,
};

G_MODULE_EXPORT const GpBackendOps *gp_backend_module_init(const GpBackendHost *h, guint abi,
                                                           GError **error);

G_MODULE_EXPORT const GpBackendOps *
gp_backend_module_init(const GpBackendHost *h, guint abi, GError **error)
{
    if (!gp_vendor_module_check_abi("nvidia-vgpu", h, abi, error))
        return NULL;
    host = h;
    return &nvidia_ops;
}
