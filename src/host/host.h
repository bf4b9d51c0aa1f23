/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host's PCI devices, scanned with libpci and sysfs from
 * gp_sysfs_root(), and the assignability verdict for each. */
#pragma once

#include <glib.h>

#include "host/pcidev.h"

G_BEGIN_DECLS

#define GP_HOST_ERROR gp_host_error_quark()
GQuark gp_host_error_quark(void);

typedef enum {
    GP_HOST_ERROR_SCAN,       /* libpci or sysfs could not be read */
    GP_HOST_ERROR_NO_DEVICE,  /* no such PCI device on this host */
} GpHostError;

typedef struct _GpHost GpHost;

GpHost *gp_host_scan(GError **error);
void gp_host_free(GpHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpHost, gp_host_free)

/* An IOMMU is present and enabled (IOMMU groups exist). */
gboolean gp_host_has_iommu(const GpHost *host);
/* All PCI devices, sorted by address; owned by the host. */
GPtrArray *gp_host_devices(const GpHost *host);
/* NULL with GP_HOST_ERROR_NO_DEVICE naming the address and the fix. */
GpPciDev *gp_host_lookup(const GpHost *host, const char *address, GError **error);
/* The other devices of DEV's IOMMU group (bridges included), borrowed;
 * empty if DEV has no group.  A new array: free it with g_ptr_array_unref(). */
GPtrArray *gp_host_group_peers(const GpHost *host, const GpPciDev *dev);
/* Number of IOMMU groups the kernel made (0 without an IOMMU). */
guint gp_host_iommu_group_count(const GpHost *host);
/* The virtual functions of physical function DEV, borrowed, sorted by
 * address; a new array (g_ptr_array_unref()), empty if none are enabled. */
GPtrArray *gp_host_vfs(const GpHost *host, const GpPciDev *dev);

typedef enum {
    GP_DEV_STATUS_READY,            /* ready for passthrough */
    GP_DEV_STATUS_PARTITIONABLE,    /* SR-IOV VFs enabled or mdev types offered */
    GP_DEV_STATUS_SRIOV_DISABLED,   /* partition driver present but SR-IOV disabled */
    GP_DEV_STATUS_NOT_ASSIGNABLE,
} GpDevStatus;

const char *gp_dev_status_to_string(GpDevStatus status);

/* Decide DEV's status.  POOL_OF maps device addresses to the pool that
 * holds them (NULL: no pools); POOL is the pool DEV would join (NULL when
 * just listing), so group peers in that pool, or that would join with it
 * (the IOMMU group goes to a guest whole; see rule 6 in host.c), do not
 * count against it: the note then names every endpoint that joins.
 * *REASON (if not NULL) gets a one-line explanation for NOT_ASSIGNABLE and
 * for notes worth showing otherwise (NULL when there is nothing to say). */
GpDevStatus gp_host_assess(const GpHost *host, const GpPciDev *dev,
                           GHashTable *pool_of, const char *pool,
                           char **reason);

G_END_DECLS
