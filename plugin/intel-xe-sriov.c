/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intel GPUs with SR-IOV (Data Center GPU Flex and Max, Arc Pro B, the
 * Xe driver's PF mode): virtual functions passed through with vfio-pci,
 * as the generic vf back end does, plus what the Xe driver tells and
 * provisions per VF under the PF's sriov_admin/ (kernel 6.19+):
 *
 *   sriov_admin/vfN/profile/{exec_quantum_ms,preempt_timeout_us,
 *                            sched_priority,vram_quota}
 *   sriov_admin/.bulk_profile/...   the same for every VF at once
 *
 * VF numbers there are 1-based, as in the SR-IOV specification.  Without
 * sriov_admin (i915, older kernels) the driver divides the GPU evenly
 * (auto-provisioning) and only the VF count can be chosen.
 *
 * A loadable module: everything it touches goes through the host table. */
#include "config.h"

#include "backend.h"
#include "vendor-module.h"

#include <gmodule.h>
#include <string.h>

#define INTEL_VENDOR 0x8086
/* The only profile: the driver's even split. */
#define PROFILE_AUTO "auto"

static const GpBackendHost *host;

static guint64
pci_u64(const char *device, const char *attr)
{
    return gp_vendor_pci_u64(host, device, attr);
}

static int
intel_probe(const char *device)
{
    guint64 klass = pci_u64(device, "class");

    if (pci_u64(device, "vendor") != INTEL_VENDOR || pci_u64(device, "sriov_totalvfs") == 0)
        return GP_BACKEND_SCORE_NONE;
    /* Display controllers (0x03xxxx): Intel's NICs have SR-IOV too. */
    if ((klass >> 16) != 0x03)
        return GP_BACKEND_SCORE_NONE;
    return GP_BACKEND_SCORE_VENDOR;
}

/* sriov_admin/vfN/profile/ATTR of PF, or FALSE if the kernel has none. */
static gboolean
vf_profile_u64(const char *pf, guint vf_number, const char *attr, guint64 *value)
{
    g_autofree char *sub = g_strdup_printf("sriov_admin/vf%u/profile/%s", vf_number, attr);
    g_autofree char *rel = host->sysfs_pci_dev_path(pf, sub);

    return host->sysfs_read_u64(rel, value, NULL);
}

static gboolean
intel_describe(const char *device, GpPartInfo *info, GError **error)
{
    g_autofree char *admin = host->sysfs_pci_dev_path(device, "sriov_admin");
    GpPartProfile *p;
    guint64 quota = 0, quantum = 0;

    if (!host->vf->describe(device, info, error))
        return FALSE;
    info->backend = "intel-xe-sriov";
    p = gp_part_profile_new(PROFILE_AUTO, "even share (driver auto-provisioning)");
    p->max_instances = info->valid_counts->len
                       ? g_array_index(info->valid_counts, guint, info->valid_counts->len - 1)
                       : 0;
    p->in_use = info->count;
    p->available = p->max_instances - MIN(p->in_use, p->max_instances);
    if (host->sysfs_exists(admin) && info->count > 0) {
        /* What the PF gave VF1 stands for every VF of an even split. */
        if (vf_profile_u64(device, 1, "vram_quota", &quota) && quota)
            p->vram = quota;
        if (vf_profile_u64(device, 1, "exec_quantum_ms", &quantum))
            p->description = g_strdup_printf("execution quantum %" G_GUINT64_FORMAT " ms "
                                             "per VF", quantum);
    } else if (!host->sysfs_exists(admin)) {
        p->description = g_strdup("no sriov_admin/ on this kernel: resources are split "
                                  "evenly by the driver");
    }
    info->profile = info->count ? g_strdup(PROFILE_AUTO) : NULL;
    g_ptr_array_add(info->profiles, p);
    return TRUE;
}

static gboolean
intel_configure(const char *device, guint count, const char *profile, GError **error)
{
    if (profile && strcmp(profile, PROFILE_AUTO) != 0) {
        g_set_error(error, host->error_domain, GP_BACKEND_ERROR_INVALID,
                    "%s offers only the profile '%s' (an even split of the GPU): "
                    "use --count N", device, PROFILE_AUTO);
        return FALSE;
    }
    return host->vf->configure(device, count, NULL, error);
}

static gboolean
intel_prepare(const char *device, const char *profile, GpPartition *part, GError **error)
{
    if (profile && strcmp(profile, PROFILE_AUTO) == 0)
        profile = NULL;
    return host->vf->prepare(device, profile, part, error);
}

static gboolean
intel_release(const char *device, const GpPartition *part, GError **error)
{
    return host->vf->release(device, part, error);
}

static const GpBackendOps intel_ops = {
    .abi = GP_BACKEND_ABI,
    .name = "intel-xe-sriov",
    .summary = "Intel SR-IOV GPU virtual functions",
    .kind = GP_PART_KIND_VF,
    .probe = intel_probe,
    .describe = intel_describe,
    .configure = intel_configure,
    .prepare = intel_prepare,
    .release = intel_release,
};

G_MODULE_EXPORT const GpBackendOps *gp_backend_module_init(const GpBackendHost *h, guint abi,
                                                           GError **error);

G_MODULE_EXPORT const GpBackendOps *
gp_backend_module_init(const GpBackendHost *h, guint abi, GError **error)
{
    if (!gp_vendor_module_check_abi("intel-xe-sriov", h, abi, error))
        return NULL;
    host = h;
    return &intel_ops;
}
