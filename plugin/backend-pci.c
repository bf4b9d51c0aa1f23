/* The whole device: what every PCI device can be, and what a device that
 * cannot be partitioned is.  It outranks nothing. */
#include "config.h"

#include "backend.h"

#include "sysfs.h"

static int
pci_probe(const char *device)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(device, NULL);

    return gp_sysfs_is_dir(rel) ? GP_BACKEND_SCORE_WHOLE : GP_BACKEND_SCORE_NONE;
}

static gboolean
pci_describe(const char *device, GpPartInfo *info, GError **error)
{
    info->backend = gp_backend_pci.name;
    info->kind = GP_PART_KIND_WHOLE;
    /* One "partition": the device itself. */
    info->count = 1;
    return TRUE;
}

static gboolean
pci_configure(const char *device, guint count, const char *profile, GError **error)
{
    g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                "%s cannot be partitioned: it offers neither mdev types nor SR-IOV "
                "virtual functions (use it whole in a pci pool)", device);
    return FALSE;
}

static gboolean
pci_prepare(const char *device, const char *profile, GpPartition *part, GError **error)
{
    part->kind = GP_PART_KIND_WHOLE;
    g_free(part->parent);
    part->parent = g_strdup(device);
    g_free(part->address);
    part->address = g_strdup(device);
    return TRUE;
}

static gboolean
pci_release(const char *device, const GpPartition *part, GError **error)
{
    return TRUE;
}

const GpBackendOps gp_backend_pci = {
    .abi = GP_BACKEND_ABI,
    .name = "pci",
    .summary = "whole device",
    .kind = GP_PART_KIND_WHOLE,
    .probe = pci_probe,
    .describe = pci_describe,
    .configure = pci_configure,
    .prepare = pci_prepare,
    .release = pci_release,
};
