/* Who still has a device open through VFIO.
 *
 * Before a partition's profile is cleared the owner's QEMU must really be
 * gone: libvirt runs the release hook when it has reaped QEMU, but a
 * helper process (or a QEMU that libvirt lost track of) may still hold
 * the VFIO group, and clearing the profile under it would hand the next
 * domain a VF whose state the old one can still touch.  So the check
 * scans every process's open files for the device's VFIO group
 * (/dev/vfio/GROUP) or VFIO device file (/dev/vfio/devices/vfioN).
 *
 * GPUPOOL_PROC_ROOT (default /proc) lets tests point the scan at a
 * directory of their own making. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The process root scanned: GPUPOOL_PROC_ROOT or /proc. */
const char *gp_vfio_users_proc_root(void);

/* The /dev paths through which ADDRESS (a PCI address or an mdev UUID)
 * can be opened with VFIO: its group file, and its VFIO device file when
 * the kernel has one.  Empty when the device has no IOMMU group. */
GPtrArray *gp_vfio_users_paths(const char *address);

/* PIDs (as strings, sorted) of the processes that hold one of PATHS open.
 * *SKIPPED is set, and the result is empty, when the scan cannot see other
 * users' processes (not root on the real /proc): the caller says so
 * rather than pretending the device is unused. */
GPtrArray *gp_vfio_users_scan(GPtrArray *paths, char **skipped);

/* "1234 (qemu-system-x86), 1240 (vfio-helper)": the first MAX of PIDS
 * (as gp_vfio_users_scan() returns them) with their command names, for a
 * message. */
char *gp_vfio_users_describe(GPtrArray *pids, guint max);

/* TRUE when nobody has ADDRESS open through VFIO; FALSE with
 * GP_BACKEND_ERROR_BUSY naming the device and the processes otherwise.
 * When the scan cannot be made, TRUE with *NOTE (may be NULL) saying
 * why. */
gboolean gp_vfio_users_check_unused(const char *address, char **note, GError **error);

G_END_DECLS
