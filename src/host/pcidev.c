/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One PCI device of the host model and what can be asked of it: the
 * hook's probes use these, and link no libpci (pcidev-load.c reads a
 * device with libpci for the host scan). */
#include "config.h"

#include "host/pcidev.h"

#include "base/sysfs.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>


void
gp_mdev_type_free(GpMdevType *type)
{
    if (!type)
        return;
    g_free(type->id);
    g_free(type->name);
    g_free(type->description);
    g_free(type->device_api);
    g_free(type);
}

void
gp_pci_dev_free(GpPciDev *dev)
{
    if (!dev)
        return;
    g_free(dev->address);
    g_free(dev->vendor_name);
    g_free(dev->device_name);
    g_free(dev->driver);
    g_free(dev->driver_override);
    g_free(dev->iommu_group);
    g_free(dev->physfn);
    if (dev->mdev_types)
        g_ptr_array_unref(dev->mdev_types);
    g_free(dev->parent_bridge);
    g_free(dev->class_name);
    g_free(dev);
}

gboolean
gp_pci_class_is_gpu(guint32 class_code)
{
    guint base_class = class_code >> 16;

    return base_class == 0x03 || base_class == 0x12;
}

char *
gp_pci_physfn(const char *address)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(address, "physfn");

    return gp_sysfs_link_name(rel, NULL);
}

/* The standard header: every function has it, and every user may read it. */
#define GP_PCI_HEADER_SIZE 64

/* A function that stopped answering returns all-ones for every read, the
 * PCI way of saying "no one there".  A VF's vendor and device ID read
 * all-ones too (by the SR-IOV specification), so the whole header is
 * looked at, not the IDs. */
static gboolean
config_reads_all_ones(const char *address)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(address, "config");
    g_autoptr(GBytes) config = gp_sysfs_read_bytes(rel, NULL);
    const guint8 *data;
    gsize len;

    if (!config)
        return FALSE;
    data = g_bytes_get_data(config, &len);
    len = MIN(len, GP_PCI_HEADER_SIZE);
    if (len < 4)
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if (data[i] != 0xff)
            return FALSE;
    return TRUE;
}

/* Since Linux 5.15 reset_method lists the ways the kernel can reset the
 * function, and an admin may empty it; the kernel hides it, and reset,
 * from a function it cannot reset at all.  Before 5.15 only reset
 * existed, with the same rule. */
static gboolean
has_reset_method(const char *address)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(address, "reset_method");
    g_autofree char *reset = gp_sysfs_pci_dev_path(address, "reset");
    g_autofree char *methods = NULL;

    if (gp_sysfs_exists(rel)) {
        methods = gp_sysfs_read(rel, NULL);
        return !methods || *g_strstrip(methods) != '\0';
    }
    return gp_sysfs_exists(reset);
}

GpPciHealth
gp_pci_health(const char *address)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(address, NULL);

    if (!gp_sysfs_is_dir(rel))
        return GP_PCI_HEALTH_GONE;
    if (config_reads_all_ones(address))
        return GP_PCI_HEALTH_DEAD;
    if (!has_reset_method(address))
        return GP_PCI_HEALTH_NO_RESET;
    return GP_PCI_HEALTH_OK;
}

gboolean
gp_pci_dev_is_gpu(const GpPciDev *dev)
{
    return gp_pci_class_is_gpu(dev->class_code);
}

gboolean
gp_pci_dev_is_vf(const GpPciDev *dev)
{
    return dev->physfn != NULL;
}

guint64
gp_pci_dev_mmio_total(const GpPciDev *dev)
{
    guint64 sum = 0;

    for (int i = 0; i < 6; i++)
        if (!dev->bars[i].is_io)
            sum += dev->bars[i].size;
    return sum;
}

guint64
gp_pci_dev_mmio64(const GpPciDev *dev)
{
    guint64 sum = 0;

    for (int i = 0; i < 6; i++)
        if (!dev->bars[i].is_io && dev->bars[i].is_64bit)
            sum += dev->bars[i].size;
    return sum;
}

guint64
gp_pci_dev_largest_bar(const GpPciDev *dev)
{
    guint64 largest = 0;

    for (int i = 0; i < 6; i++)
        if (!dev->bars[i].is_io && dev->bars[i].size > largest)
            largest = dev->bars[i].size;
    return largest;
}
