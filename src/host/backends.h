/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The back-end registry: which back end (plugin/backend.h) knows a device
 * best.  It holds the built-in back ends and the vendor modules found in
 * the plugin directory, and builds the host table every one of them is
 * given, so the core and the CLI ask gp_backend_for() and call the ops
 * without knowing which back end answered. */
#pragma once

#include <glib.h>

#include "plugin/backend.h"

G_BEGIN_DECLS

/* The table handed to back ends: the sysfs door, SR-IOV, vfio-pci. */
const GpBackendHost *gp_backend_host(void);

/* GPUPOOL_PLUGINDIR, default $(pkglibdir). */
const char *gp_backend_plugindir(void);

/* The registry holds the built-ins, then the modules found in the plugin
 * directory (loaded on first use).  One line per module that could not
 * be loaded and was left out (borrowed). */
GPtrArray *gp_backend_problems(void);
/* By name ("pci", "mdev", "vf", "nvidia-vgpu"), NULL if there is none. */
const GpBackendOps *gp_backend_lookup(const char *name);
/* The back end that knows DEVICE best (highest probe score), or NULL with
 * GP_BACKEND_ERROR_UNSUPPORTED naming DEVICE when no back end knows it. */
const GpBackendOps *gp_backend_for(const char *device, GError **error);
/* The best back end that partitions DEVICE (kind other than WHOLE), or
 * NULL with GP_BACKEND_ERROR_UNSUPPORTED naming the device. */
const GpBackendOps *gp_backend_partitioner_for(const char *device, GError **error);

/* Forget loaded modules and the plugin directory (tests switch it). */
void gp_backend_reset(void);

G_END_DECLS
