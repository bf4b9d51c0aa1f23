/* The one door to the kernel's sysfs.
 *
 * Every read and write of a sysfs attribute goes through this module, rooted
 * at GPUPOOL_SYSFS_ROOT (default /sys), so the simulated sysfs trees of the
 * test suite and the real kernel see exactly the same calls.  Paths are
 * relative to the root; the gp_sysfs_*_path() builders are the only place
 * that knows how sysfs lays out PCI devices, drivers, IOMMU groups and
 * mediated devices.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Error codes of this domain are errno values (EBUSY, ENODEV, ...), so a
 * caller can react to what the kernel said. */
#define GP_SYSFS_ERROR gp_sysfs_error_quark()
GQuark gp_sysfs_error_quark(void);

const char *gp_sysfs_root(void);
/* For tests and for tools that inspect another root; NULL restores the
 * environment's choice. */
void gp_sysfs_set_root(const char *root);

/* Absolute path of a path relative to the sysfs root. */
char *gp_sysfs_abs(const char *rel);

/* Relative path builders. */
char *gp_sysfs_pci_devices_path(void);
char *gp_sysfs_pci_dev_path(const char *addr, const char *attr);
char *gp_sysfs_pci_driver_path(const char *driver, const char *attr);
char *gp_sysfs_pci_drivers_probe_path(void);
char *gp_sysfs_iommu_groups_path(void);
/* Every mdev parent, PCI device or not (e.g. "mbochs"), appears under
 * class/mdev_bus by the name the mdev core knows it; TYPE and ATTR may be
 * NULL for the directories above them. */
char *gp_sysfs_mdev_parent_path(const char *parent, const char *attr);
char *gp_sysfs_mdev_type_path(const char *parent, const char *type, const char *attr);
char *gp_sysfs_mdev_dev_path(const char *uuid, const char *attr);
/* bus/mdev/devices: every mdev of the host, by UUID. */
char *gp_sysfs_mdev_devices_path(void);
char *gp_sysfs_class_path(const char *klass);

gboolean gp_sysfs_exists(const char *rel);
gboolean gp_sysfs_is_dir(const char *rel);

/* Contents without the trailing newline. */
char *gp_sysfs_read(const char *rel, GError **error);
/* Decimal, or hexadecimal with a 0x prefix (vendor, device, class). */
gboolean gp_sysfs_read_u64(const char *rel, guint64 *value, GError **error);
/* Whole binary contents (config space). */
GBytes *gp_sysfs_read_bytes(const char *rel, GError **error);

/* One write(2) of VALUE, as the kernel expects for attributes. */
gboolean gp_sysfs_write(const char *rel, const char *value, GError **error);

/* Last path component of a symlink's target: the driver name of
 * ".../driver", the group number of ".../iommu_group".  NULL with ENOENT if
 * the link does not exist. */
char *gp_sysfs_link_name(const char *rel, GError **error);

/* Name of the directory that holds a symlink's target: the upstream
 * bridge (or "pciDDDD:BB" root bus) of bus/pci/devices/ADDR, the parent
 * device of bus/mdev/devices/UUID.  NULL with ENOENT if the link does not
 * exist. */
char *gp_sysfs_link_parent_name(const char *rel, GError **error);

/* Sorted names in a directory, without "." and "..". */
GPtrArray *gp_sysfs_list(const char *rel, GError **error);

G_END_DECLS
