/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Moving whole PCI devices between their host drivers and vfio-pci, all
 * or nothing: after any call every device is either where it was or where
 * it was asked to go, never half-bound.
 *
 * Binding uses driver_override, so the choice survives a rescan or a
 * driver reload, and bus/pci/drivers_probe, so the kernel itself picks
 * vfio-pci through the override. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GP_VFIO_ERROR gp_vfio_error_quark()
GQuark gp_vfio_error_quark(void);

typedef enum {
    GP_VFIO_ERROR_NOT_LOADED, /* vfio-pci is not loaded: nothing was changed */
    GP_VFIO_ERROR_NO_DEVICE,  /* an address is not a PCI device of this host */
    GP_VFIO_ERROR_FAILED,     /* the kernel refused a step; everything was rolled back */
} GpVfioError;

#define GP_VFIO_DRIVER "vfio-pci"

/* bus/pci/drivers/vfio-pci exists. */
gboolean gp_vfio_is_loaded(void);

/* Name of the driver bound to ADDRESS, NULL if none. */
char *gp_vfio_current_driver(const char *address);

/* Binds every one of ADDRESSES (canonical, N of them) to vfio-pci.
 * Devices already bound to it with the override set are left alone.
 * On failure every device touched is given back to the driver and
 * override it had, and the error names the first device that failed,
 * the step and the fix. */
gboolean gp_vfio_bind(const char *const *addresses, guint n, GError **error);

/* Gives each of ADDRESSES back to HOST_DRIVERS[i] (NULL: leave it
 * unbound, as it was before it joined): clears driver_override, unbinds
 * from vfio-pci, probes.  A host driver that is not loaded leaves its
 * device unbound and adds a line to NOTES (may be NULL) saying so and how
 * to finish by hand.  On failure every device touched goes back to
 * vfio-pci. */
gboolean gp_vfio_unbind(const char *const *addresses, const char *const *host_drivers,
                        guint n, GPtrArray *notes, GError **error);

G_END_DECLS
