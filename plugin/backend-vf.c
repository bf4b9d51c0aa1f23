/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Generic SR-IOV: a physical function split into virtual functions, each
 * passed to a guest whole through vfio-pci.  The partition count is
 * sriov_numvfs; there are no profiles (the device divides itself evenly,
 * or a vendor back end built on this one sets profiles per VF). */
#include "config.h"

#include "backend.h"


#include <string.h>


/* Set once by the registry (src/host/backends.c) before any op runs. */
static const GpBackendHost *host;
static const GpBackendOps vf_ops;
static guint64
read_u64_or_zero(const char *device, const char *attr)
{
    g_autofree char *rel = host->sysfs_pci_dev_path(device, attr);
    guint64 v = 0;

    if (!host->sysfs_read_u64(rel, &v, NULL))
        return 0;
    return v;
}

static int
vf_probe(const char *device)
{
    return read_u64_or_zero(device, "sriov_totalvfs") > 0 ? GP_BACKEND_SCORE_GENERIC
                                                          : GP_BACKEND_SCORE_NONE;
}

static gboolean
vf_describe(const char *device, GpPartInfo *info, GError **error)
{
    guint64 total = read_u64_or_zero(device, "sriov_totalvfs");
    guint64 num = read_u64_or_zero(device, "sriov_numvfs");

    info->backend = vf_ops.name;
    info->kind = GP_PART_KIND_VF;
    if (total == 0) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                    "%s has no SR-IOV virtual functions: choose an SR-IOV capable device",
                    device);
        return FALSE;
    }
    for (guint64 i = 1; i <= total; i++)
        gp_part_info_add_count(info, (guint)i);
    info->count = (guint)num;
    info->in_use = (guint)num;
    return TRUE;
}

/* Hand every VF of PF to vfio-pci: a generic VF is useless to a guest on
 * its host driver. */
static gboolean
bind_vfs(const char *pf, GError **error)
{
    g_autoptr(GPtrArray) vfs = host->vf_list(pf);
    g_autoptr(GError) err = NULL;

    if (vfs->len == 0)
        return TRUE;
    if (!host->vfio_bind((const char *const *)vfs->pdata, vfs->len, &err)) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_IO,
                    "the VFs of %s cannot be bound to vfio-pci: %s", pf, err->message);
        return FALSE;
    }
    /* Trust what the kernel shows, not that the writes succeeded: a probe
     * that fails leaves a VF unbound without an error on the write. */
    for (guint i = 0; i < vfs->len; i++) {
        g_autofree char *driver = host->vfio_current_driver(vfs->pdata[i]);

        if (g_strcmp0(driver, "vfio-pci") != 0) {
            g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_IO,
                        "VF %s of %s did not bind to vfio-pci (driver: %s): see 'dmesg'",
                        (const char *)vfs->pdata[i], pf, driver ? driver : "none");
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
vf_configure(const char *device, guint count, const char *profile, GError **error)
{
    guint64 total = read_u64_or_zero(device, "sriov_totalvfs");
    guint64 before = read_u64_or_zero(device, "sriov_numvfs");
    g_autoptr(GError) err = NULL;

    if (profile) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID,
                    "%s: the virtual functions of this device have no profiles to choose "
                    "from: use --count N (1 to %" G_GUINT64_FORMAT ")", device, total);
        return FALSE;
    }
    if (count == 0 || count > total) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID,
                    "%s offers 1 to %" G_GUINT64_FORMAT " partitions (virtual functions), "
                    "not %u: choose a count in that range", device, total, count);
        return FALSE;
    }
    if (!host->vfio_is_loaded()) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                    "%s: vfio-pci is not loaded, so its virtual functions could not be "
                    "given to guests: run 'modprobe vfio-pci' and try again", device);
        return FALSE;
    }
    if (!host->vf_set_count_unprobed(device, count, error))
        return FALSE;
    if (!bind_vfs(device, &err)) {
        g_autofree char *back = g_strdup_printf("%" G_GUINT64_FORMAT, before);
        g_autofree char *rel = host->sysfs_pci_dev_path(device, "sriov_numvfs");

        /* Never leave VFs half-bound: take them away again and restore
         * the count the device had. */
        host->sysfs_write(rel, "0", NULL);
        if (before)
            host->sysfs_write(rel, back, NULL);
        g_propagate_error(error, g_steal_pointer(&err));
        return FALSE;
    }
    return TRUE;
}

static gboolean
vf_prepare(const char *device, const char *profile, GpPartition *part, GError **error)
{
    if (!part->address || host->vf_number(device, part->address) == 0) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID,
                    "%s is not an enabled virtual function of %s: run "
                    "'gpupool partition-set %s --count N' to enable them",
                    part->address ? part->address : "(none)", device, device);
        return FALSE;
    }
    if (profile) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID,
                    "%s: profile '%s' cannot be set, this device's virtual functions "
                    "have no profiles: clear it with 'gpupool partition-set %s --count N'",
                    device, profile, device);
        return FALSE;
    }
    part->kind = GP_PART_KIND_VF;
    g_free(part->parent);
    part->parent = g_strdup(device);
    part->host_driver_stays = FALSE;
    return TRUE;
}

static gboolean
vf_release(const char *device, const GpPartition *part, GError **error)
{
    /* Nothing was set on a generic VF; its claim is all there is. */
    return TRUE;
}

static const GpBackendOps vf_ops = {
    .abi = GP_BACKEND_ABI,
    .name = "vf",
    .summary = "SR-IOV virtual functions",
    .kind = GP_PART_KIND_VF,
    .probe = vf_probe,
    .describe = vf_describe,
    .configure = vf_configure,
    .prepare = vf_prepare,
    .release = vf_release,
};

const GpBackendOps *
gp_backend_vf_init(const GpBackendHost *h, guint abi, GError **error)
{
    host = h;
    return &vf_ops;
}
