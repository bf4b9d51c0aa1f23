/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every vendor module (nvidia-vgpu, intel-xe-sriov) does the same
 * way.  Compiled into each module rather than linked from the core: a
 * vendor module reaches gpupool only through the host table it is given
 * (see backend.h), so these helpers take that table too. */
#pragma once

#include "backend.h"

G_BEGIN_DECLS

/* The entry point's check that MODULE was built for the back-end ABI the
 * host offers; the error says to install the matching module. */
G_GNUC_INTERNAL
gboolean gp_vendor_module_check_abi(const char *module, const GpBackendHost *host, guint abi,
                                    GError **error);

/* A number from DEVICE's sysfs attribute ATTR ("vendor"), 0 if it cannot
 * be read: probes ask many devices and an unreadable one is simply not
 * the module's. */
G_GNUC_INTERNAL
guint64 gp_vendor_pci_u64(const GpBackendHost *host, const char *device, const char *attr);

G_END_DECLS
