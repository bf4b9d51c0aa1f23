/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The whole device: what every PCI device can be, and what a device that
 * cannot be partitioned is.  It outranks nothing. */
#include "config.h"

#include "backend.h"



/* Set once by the registry (src/host/backends.c) before any op runs. */
static const GpBackendHost *host;
static const GpBackendOps pci_ops;
static int
pci_probe(const char *device)
{
    g_autofree char *rel = host->sysfs_pci_dev_path(device, NULL);

    return host->sysfs_is_dir(rel) ? GP_BACKEND_SCORE_WHOLE : GP_BACKEND_SCORE_NONE;
}

static gboolean
pci_describe(const char *device, GpPartInfo *info, GError **error)
{
    info->backend = pci_ops.name;
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

static const GpBackendOps pci_ops = {
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

const GpBackendOps *
gp_backend_pci_init(const GpBackendHost *h, guint abi, GError **error)
{
    host = h;
    return &pci_ops;
}
