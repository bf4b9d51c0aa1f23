/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "vendor-module.h"

gboolean
gp_vendor_module_check_abi(const char *module, const GpBackendHost *host, guint abi,
                           GError **error)
{
    if (abi != GP_BACKEND_ABI || !host || host->abi != GP_BACKEND_ABI) {
        /* The host's error domain may be what changed: name it by string. */
        g_set_error(error, g_quark_from_static_string("gp-backend-error-quark"),
                    GP_BACKEND_ERROR_MODULE,
                    "%s was built for back-end ABI %d, gpupool offers %u: "
                    "install the module that came with this gpupool", module, GP_BACKEND_ABI,
                    abi);
        return FALSE;
    }
    return TRUE;
}

guint64
gp_vendor_pci_u64(const GpBackendHost *host, const char *device, const char *attr)
{
    g_autofree char *rel = host->sysfs_pci_dev_path(device, attr);
    guint64 v = 0;

    if (!host->sysfs_read_u64(rel, &v, NULL))
        return 0;
    return v;
}
