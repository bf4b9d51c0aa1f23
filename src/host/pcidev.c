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
