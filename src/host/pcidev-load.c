/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading one PCI device: what libpci read from its config space and
 * resources, completed with what only sysfs knows (driver, IOMMU group,
 * SR-IOV, mediated device types, boot VGA, NUMA node, upstream bridge).
 * Apart from pcidev.c so that what does not scan the host (the hook)
 * does not load libpci. */
#include "config.h"

#include "host/pcidev.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "base/sysfs.h"

/* A missing sysfs entry is not an error: most are optional (boot_vga
 * exists only for VGA devices, sriov_* only for SR-IOV physical
 * functions).  Keeps VALUE (NULL for missing) in *OUT. */
static gboolean
optional_result(char *value, GError *local, char **out, GError **error)
{
    *out = value;
    if (value || g_error_matches(local, GP_SYSFS_ERROR, ENOENT)) {
        g_clear_error(&local);
        return TRUE;
    }
    g_propagate_error(error, local);
    return FALSE;
}

/* Read ADDR's attribute ATTR; *OUT is NULL if it is missing. */
static gboolean
read_optional(const char *addr, const char *attr, char **out, GError **error)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(addr, attr);
    GError *local = NULL;
    char *value = gp_sysfs_read(rel, &local);

    return optional_result(value, local, out, error);
}

/* The name of what ADDR's LINK points to; *OUT is NULL if it is missing. */
static gboolean
read_optional_link(const char *addr, const char *link, char **out, GError **error)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(addr, link);
    GError *local = NULL;
    char *value = gp_sysfs_link_name(rel, &local);

    return optional_result(value, local, out, error);
}

static gboolean
read_optional_uint(const char *addr, const char *attr, guint *out, GError **error)
{
    g_autofree char *str = NULL;
    guint64 v;

    *out = 0;
    if (!read_optional(addr, attr, &str, error))
        return FALSE;
    if (!str)
        return TRUE;
    if (!g_ascii_string_to_unsigned(str, 10, 0, G_MAXUINT, &v, NULL)) {
        g_autofree char *rel = gp_sysfs_pci_dev_path(addr, attr);
        g_autofree char *path = gp_sysfs_abs(rel);

        g_set_error(error, GP_SYSFS_ERROR, EINVAL, "%s holds '%s', not a number", path, str);
        return FALSE;
    }
    *out = (guint)v;
    return TRUE;
}

static gboolean
load_mdev_types(GpPciDev *dev, GError **error)
{
    g_autofree char *rel = gp_sysfs_mdev_type_path(dev->address, NULL, NULL);
    g_autoptr(GPtrArray) ids = NULL;
    g_autoptr(GError) local = NULL;

    if (!gp_sysfs_is_dir(rel))
        return TRUE;
    ids = gp_sysfs_list(rel, &local);
    if (!ids) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    for (guint i = 0; i < ids->len; i++) {
        const char *id = ids->pdata[i];
        g_autoptr(GpMdevType) type = g_new0(GpMdevType, 1);
        g_autofree char *avail_rel = gp_sysfs_mdev_type_path(dev->address, id,
                                                             "available_instances");
        guint64 avail = 0;
        struct { const char *attr; char **field; } attrs[] = {
            { "name", &type->name },
            { "description", &type->description },
            { "device_api", &type->device_api },
        };

        type->id = g_strdup(id);
        for (size_t j = 0; j < G_N_ELEMENTS(attrs); j++) {
            g_autofree char *attr_rel = gp_sysfs_mdev_type_path(dev->address, id, attrs[j].attr);
            g_autoptr(GError) attr_error = NULL;

            *attrs[j].field = gp_sysfs_read(attr_rel, &attr_error);
            if (!*attrs[j].field && !g_error_matches(attr_error, GP_SYSFS_ERROR, ENOENT)) {
                g_propagate_error(error, g_steal_pointer(&attr_error));
                return FALSE;
            }
            /* Vendors leave "name" empty on some types: treat as absent. */
            if (*attrs[j].field && !**attrs[j].field)
                g_clear_pointer(attrs[j].field, g_free);
        }
        if (gp_sysfs_exists(avail_rel) && !gp_sysfs_read_u64(avail_rel, &avail, error))
            return FALSE;
        type->available_instances = (guint)MIN(avail, G_MAXUINT);
        g_ptr_array_add(dev->mdev_types, g_steal_pointer(&type));
    }
    return TRUE;
}

/* The device's place in the topology is only visible in its real path:
 * bus/pci/devices/ADDR links to devices/pci0000:00/0000:00:01.0/ADDR, and
 * the directory above ADDR is the upstream bridge, or "pciDDDD:BB" when
 * the device sits on a root bus. */
static char *
find_parent_bridge(const char *addr)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(addr, NULL);
    g_autofree char *parent = gp_sysfs_link_parent_name(rel, NULL);
    GpPciAddr parent_addr;

    if (!parent || !gp_pci_addr_parse(parent, &parent_addr, NULL))
        return NULL;
    return gp_pci_addr_format(&parent_addr);
}

/* A name from pci.ids, NULL when the database does not know the ID.
 * pci_lookup_name() reads only as many of A, B as FLAGS needs. */
static char *
lookup_name(struct pci_access *pacc, int flags, int a, int b)
{
    char buf[256];
    char *name = pci_lookup_name(pacc, buf, sizeof(buf), flags | PCI_LOOKUP_NO_NUMBERS, a, b);

    return name ? g_strdup(name) : NULL;
}

static void
load_bars(GpPciDev *dev, struct pci_dev *pd)
{
    for (int i = 0; i < 6; i++) {
        pciaddr_t base = pd->base_addr[i];
        pciaddr_t flags = (pd->known_fields & PCI_FILL_IO_FLAGS) ? pd->flags[i] : 0;
        GpPciBar *bar = &dev->bars[i];

        bar->size = pd->size[i];
        if (!bar->size)
            continue;
        /* The kernel keeps the BAR's low type bits in the resource flags
         * and libpci folds them into base_addr; the IORESOURCE flags say
         * the same when the back end provides them. */
        bar->is_io = (flags & PCI_IORESOURCE_IO) || (base & PCI_BASE_ADDRESS_SPACE_IO);
        if (bar->is_io)
            continue;
        bar->is_64bit = (flags & PCI_IORESOURCE_MEM_64) ||
                        (base & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;
        bar->prefetchable = (flags & PCI_IORESOURCE_PREFETCH) ||
                            (base & PCI_BASE_ADDRESS_MEM_PREFETCH);
    }
}

static gboolean
load_sysfs_attributes(GpPciDev *dev, GError **error)
{
    const char *addr = dev->address;
    g_autofree char *boot_vga = NULL;
    g_autofree char *numa = NULL;

    if (!read_optional_link(addr, "driver", &dev->driver, error) ||
        !read_optional_link(addr, "iommu_group", &dev->iommu_group, error) ||
        !read_optional_link(addr, "physfn", &dev->physfn, error) ||
        !read_optional(addr, "driver_override", &dev->driver_override, error) ||
        !read_optional(addr, "boot_vga", &boot_vga, error) ||
        !read_optional(addr, "numa_node", &numa, error) ||
        !read_optional_uint(addr, "sriov_totalvfs", &dev->sriov_total_vfs, error) ||
        !read_optional_uint(addr, "sriov_numvfs", &dev->sriov_num_vfs, error))
        return FALSE;

    /* The kernel shows an unset override as "(null)". */
    if (dev->driver_override &&
        (!*dev->driver_override || strcmp(dev->driver_override, "(null)") == 0))
        g_clear_pointer(&dev->driver_override, g_free);
    dev->boot_vga = boot_vga && strcmp(boot_vga, "1") == 0;
    dev->numa_node = -1;
    if (numa) {
        gint64 node;

        if (g_ascii_string_to_signed(numa, 10, -1, INT_MAX, &node, NULL))
            dev->numa_node = (int)node;
    }
    return load_mdev_types(dev, error);
}

GpPciDev *
gp_pci_dev_load(struct pci_access *pacc, struct pci_dev *pd, GError **error)
{
    g_autoptr(GpPciDev) dev = NULL;
    int header_type;

    /* libpci reports a damaged device (no vendor or resource file) by
     * calling its error handler, which jumps out of this function
     * (host.c): read everything it needs before allocating anything, so
     * that the jump leaves nothing behind. */
    pci_fill_info(pd, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT |
                      PCI_FILL_SUBSYS | PCI_FILL_BASES | PCI_FILL_SIZES |
                      PCI_FILL_IO_FLAGS | PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
    dev = g_new0(GpPciDev, 1);

    dev->addr.domain = pd->domain;
    dev->addr.bus = pd->bus;
    dev->addr.slot = pd->dev;
    dev->addr.function = pd->func;
    dev->address = gp_pci_addr_format(&dev->addr);
    dev->vendor_id = pd->vendor_id;
    dev->device_id = pd->device_id;
    dev->subsys_vendor_id = pd->subsys_vendor_id;
    dev->subsys_device_id = pd->subsys_id;
    dev->class_code = ((guint32)pd->device_class << 8) | pd->prog_if;
    dev->mdev_types = g_ptr_array_new_with_free_func((GDestroyNotify)gp_mdev_type_free);

    dev->vendor_name = lookup_name(pacc, PCI_LOOKUP_VENDOR, pd->vendor_id, 0);
    dev->device_name = lookup_name(pacc, PCI_LOOKUP_DEVICE, pd->vendor_id, pd->device_id);
    dev->class_name = lookup_name(pacc, PCI_LOOKUP_CLASS, pd->device_class, 0);
    if (!dev->class_name)
        dev->class_name = g_strdup_printf("Class %04x", pd->device_class);

    /* Without config space access (no "config" file) the header type reads
     * as 0xff: fall back to the class alone. */
    header_type = pci_read_byte(pd, PCI_HEADER_TYPE);
    header_type = header_type == 0xff ? 0 : (header_type & 0x7f);
    /* Host bridges, PCI-to-PCI bridges (root and switch ports) and
     * CardBus bridges route traffic for others; none is a device a guest
     * can use. */
    dev->is_bridge = header_type == PCI_HEADER_TYPE_BRIDGE ||
                     header_type == PCI_HEADER_TYPE_CARDBUS ||
                     pd->device_class == PCI_CLASS_BRIDGE_HOST ||
                     pd->device_class == PCI_CLASS_BRIDGE_PCI ||
                     pd->device_class == 0x0609 /* semi-transparent PCI-to-PCI */;
    /* Without root, config space past 64 bytes reads short and the
     * capability list is invisible; the kernel's link attributes exist for
     * every PCI Express device and tell the same. */
    {
        struct pci_cap *exp = pci_find_cap(pd, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
        int type = exp ? (pci_read_word(pd, exp->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4
                       : -1;

        dev->is_pcie = exp != NULL;
        dev->is_pcie_port = type == PCI_EXP_TYPE_ROOT_PORT || type == PCI_EXP_TYPE_DOWNSTREAM;
    }
    if (!dev->is_pcie) {
        g_autofree char *link = gp_sysfs_pci_dev_path(dev->address, "max_link_speed");

        dev->is_pcie = gp_sysfs_exists(link);
    }

    load_bars(dev, pd);
    if (!load_sysfs_attributes(dev, error))
        return NULL;
    dev->parent_bridge = find_parent_bridge(dev->address);
    return g_steal_pointer(&dev);
}
