/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One PCI device of the host as gpupool sees it: identity, driver, IOMMU
 * group, BARs, SR-IOV and mediated device capabilities. */
#pragma once

#include <glib.h>

#include "base/pciaddr.h"
#include "base/pcibar.h"
#include "base/pcihealth.h"

G_BEGIN_DECLS

typedef struct {
    char *id;           /* directory name under mdev_supported_types, e.g. "nvidia-63" */
    char *name;         /* the type's "name" attribute, may be NULL */
    char *description;  /* may be NULL */
    char *device_api;   /* e.g. "vfio-pci" */
    guint available_instances;
} GpMdevType;

typedef struct {
    char *address;          /* canonical "0000:01:00.0" */
    GpPciAddr addr;
    guint16 vendor_id;
    guint16 device_id;
    guint16 subsys_vendor_id;
    guint16 subsys_device_id;
    guint32 class_code;     /* 0xCCSSPP */
    char *vendor_name;      /* from pci.ids, NULL if unknown */
    char *device_name;      /* from pci.ids, NULL if unknown */
    char *driver;           /* bound driver, NULL if none */
    char *driver_override;  /* NULL if unset */
    char *iommu_group;      /* group number, NULL if none */
    gboolean is_bridge;     /* header type 1 or class 0x0604 */
    gboolean is_pcie;       /* has a PCI Express capability */
    /* A PCI Express root port or switch downstream port, as its
     * capability says (FALSE when it cannot be read: not root). */
    gboolean is_pcie_port;
    gboolean boot_vga;
    int numa_node;          /* -1 if unknown */
    GpPciBar bars[6];
    guint sriov_total_vfs;  /* 0 if not SR-IOV capable */
    guint sriov_num_vfs;
    char *physfn;           /* a VF's physical function, NULL otherwise */
    GPtrArray *mdev_types;  /* GpMdevType*, empty if not an mdev parent */
    char *parent_bridge;    /* upstream bridge address, NULL on a root bus */
    char *class_name;       /* from pci.ids, e.g. "VGA compatible controller"; never NULL */
} GpPciDev;

struct pci_access;
struct pci_dev;

/* Build the model of one device that libpci found (PACC is the access
 * handle that scanned it, used for pci.ids names) and complete it from the
 * device's sysfs attributes.  NULL with a GP_SYSFS_ERROR when an attribute
 * exists but cannot be read. */
GpPciDev *gp_pci_dev_load(struct pci_access *pacc, struct pci_dev *pd, GError **error);
void gp_pci_dev_free(GpPciDev *dev);
void gp_mdev_type_free(GpMdevType *type);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpMdevType, gp_mdev_type_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpPciDev, gp_pci_dev_free)

/* Display (0x03), processing accelerator (0x12) class: CLASS_CODE as in
 * sysfs "class" (0xCCSSPP), or DEV's. */
gboolean gp_pci_class_is_gpu(guint32 class_code);
gboolean gp_pci_dev_is_gpu(const GpPciDev *dev);
/* The address of the physical function whose VF ADDRESS is; NULL for a
 * device that is not a VF (or is missing), without scanning the host. */
char *gp_pci_physfn(const char *address);
/* How function ADDRESS answers now, without scanning the host (the hook
 * asks it): gone from the bus, configuration space all-ones, no reset
 * method, or fine.  What cannot be read counts as fine: only what the
 * kernel shows decides. */
GpPciHealth gp_pci_health(const char *address);
/* A virtual function of an SR-IOV physical function. */
gboolean gp_pci_dev_is_vf(const GpPciDev *dev);
/* Sum of all memory BARs. */
guint64 gp_pci_dev_mmio_total(const GpPciDev *dev);
/* Sum of the 64-bit memory BARs: what the guest's 64-bit MMIO window must hold. */
guint64 gp_pci_dev_mmio64(const GpPciDev *dev);
/* Largest single memory BAR (the window's alignment need). */
guint64 gp_pci_dev_largest_bar(const GpPciDev *dev);

G_END_DECLS
