/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "host/vfio.h"

#include <errno.h>
#include <string.h>

#include "base/sysfs.h"

G_DEFINE_QUARK(gp-vfio-error-quark, gp_vfio_error)

/* What a device looked like before we touched it, to put it back. */
typedef struct {
    char *address;
    char *driver;    /* NULL: unbound */
    char *override;  /* NULL: none */
} DevState;

static void
dev_state_free(DevState *st)
{
    g_free(st->address);
    g_free(st->driver);
    g_free(st->override);
    g_free(st);
}

static gboolean
driver_is_loaded(const char *driver)
{
    g_autofree char *path = gp_sysfs_pci_driver_path(driver, NULL);

    return gp_sysfs_is_dir(path);
}

gboolean
gp_vfio_is_loaded(void)
{
    return driver_is_loaded(GP_VFIO_DRIVER);
}

char *
gp_vfio_current_driver(const char *address)
{
    g_autofree char *path = gp_sysfs_pci_dev_path(address, "driver");

    return gp_sysfs_link_name(path, NULL);
}

/* The kernel shows an unset override as "(null)". */
static char *
current_override(const char *address)
{
    g_autofree char *path = gp_sysfs_pci_dev_path(address, "driver_override");
    char *value = gp_sysfs_read(path, NULL);

    if (value && (!*value || strcmp(value, "(null)") == 0)) {
        g_free(value);
        return NULL;
    }
    return value;
}

static gboolean
write_override(const char *address, const char *driver, GError **error)
{
    g_autofree char *path = gp_sysfs_pci_dev_path(address, "driver_override");

    /* A lone newline clears the override. */
    return gp_sysfs_write(path, driver ? driver : "\n", error);
}

static gboolean
unbind_from(const char *address, const char *driver, GError **error)
{
    g_autofree char *path = gp_sysfs_pci_driver_path(driver, "unbind");

    return gp_sysfs_write(path, address, error);
}

static gboolean
probe(const char *address, GError **error)
{
    g_autofree char *path = gp_sysfs_pci_drivers_probe_path();

    return gp_sysfs_write(path, address, error);
}

static gboolean
bind_to(const char *address, const char *driver, GError **error)
{
    g_autofree char *path = gp_sysfs_pci_driver_path(driver, "bind");

    return gp_sysfs_write(path, address, error);
}

static gboolean
has_driver(const char *address, const char *driver)
{
    g_autofree char *now = gp_vfio_current_driver(address);

    return g_strcmp0(now, driver) == 0;
}

/* Puts ST's device back to its recorded driver and override, whatever it
 * is bound to now.  Best effort, since it runs when something already
 * failed; returns FALSE with the reason if the device did not get back. */
static gboolean
restore(const DevState *st, GError **error)
{
    g_autofree char *now = gp_vfio_current_driver(st->address);
    g_autofree char *override = current_override(st->address);
    g_autoptr(GError) err = NULL;

    if (now && g_strcmp0(now, st->driver) != 0 && !unbind_from(st->address, now, &err)) {
        g_propagate_error(error, g_steal_pointer(&err));
        return FALSE;
    }
    /* Only what changed is written back: the step that failed may be
     * the very write that cannot be done. */
    if (g_strcmp0(override, st->override) != 0 &&
        !write_override(st->address, st->override, &err)) {
        g_propagate_error(error, g_steal_pointer(&err));
        return FALSE;
    }
    if (st->driver && !has_driver(st->address, st->driver)) {
        /* The probe lets the kernel match as at boot; an explicit bind
         * covers drivers that only took the device through new_id. */
        probe(st->address, NULL);
        if (!has_driver(st->address, st->driver))
            bind_to(st->address, st->driver, NULL);
        if (!has_driver(st->address, st->driver)) {
            g_set_error(error, GP_VFIO_ERROR, GP_VFIO_ERROR_FAILED,
                        "%s did not go back to %s", st->address, st->driver);
            return FALSE;
        }
    }
    return TRUE;
}

/* Rolls back the devices in TOUCHED (newest first) and appends what could
 * not be undone to ERROR's message, so the admin knows what to fix by
 * hand. */
static void
roll_back(GPtrArray *touched, GError **error)
{
    for (guint i = touched->len; i > 0; i--) {
        const DevState *st = g_ptr_array_index(touched, i - 1);
        g_autoptr(GError) err = NULL;

        if (!restore(st, &err) && error && *error) {
            g_autofree char *old = (*error)->message;

            (*error)->message = g_strdup_printf("%s; restoring %s also failed (%s): check it "
                                                "with 'gpupool devices'",
                                                old, st->address, err->message);
        }
    }
}

static DevState *
snapshot(const char *address, GError **error)
{
    g_autofree char *dir = gp_sysfs_pci_dev_path(address, NULL);
    DevState *st;

    if (!gp_sysfs_is_dir(dir)) {
        g_set_error(error, GP_VFIO_ERROR, GP_VFIO_ERROR_NO_DEVICE,
                    "%s is not a PCI device of this host: check the address with "
                    "'gpupool devices'", address);
        return NULL;
    }
    st = g_new0(DevState, 1);
    st->address = g_strdup(address);
    st->driver = gp_vfio_current_driver(address);
    st->override = current_override(address);
    return st;
}

/* Every device of the request as it is now, before any is touched, so a
 * typo in the last one changes nothing; NULL if one is not there. */
static GPtrArray *
snapshot_all(const char *const *addresses, guint n, GError **error)
{
    g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func((GDestroyNotify)dev_state_free);

    for (guint i = 0; i < n; i++) {
        DevState *st = snapshot(addresses[i], error);

        if (!st)
            return NULL;
        g_ptr_array_add(states, st);
    }
    return g_steal_pointer(&states);
}

/* "cannot bind ADDRESS to vfio-pci" (BINDING) or "cannot give ADDRESS back
 * to the host", which STEP, why, and the fix. */
static gboolean
step_failed(GError **error, gboolean binding, const char *address, const char *step,
            GError *cause, const char *fix)
{
    g_set_error(error, GP_VFIO_ERROR, GP_VFIO_ERROR_FAILED,
                binding ? "cannot bind %s to vfio-pci: %s failed (%s): %s; nothing was changed"
                        : "cannot give %s back to the host: %s failed (%s): %s; nothing was "
                          "changed",
                address, step, cause ? cause->message : "no error reported", fix);
    return FALSE;
}

static gboolean
bind_one(const DevState *st, GError **error)
{
    g_autoptr(GError) err = NULL;

    if (!write_override(st->address, GP_VFIO_DRIVER, &err))
        return step_failed(error, TRUE, st->address, "setting driver_override", err,
                           "check that the kernel supports driver_override");
    if (st->driver && strcmp(st->driver, GP_VFIO_DRIVER) != 0 &&
        !unbind_from(st->address, st->driver, &err)) {
        g_autofree char *fix =
            g_strdup_printf("stop what uses it in the host (driver %s) and retry", st->driver);

        return step_failed(error, TRUE, st->address, "unbinding from its driver", err, fix);
    }
    if (!has_driver(st->address, GP_VFIO_DRIVER) && !probe(st->address, &err))
        return step_failed(error, TRUE, st->address, "probing", err,
                           "see 'dmesg' for why vfio-pci refused it");
    if (!has_driver(st->address, GP_VFIO_DRIVER)) {
        g_autofree char *now = gp_vfio_current_driver(st->address);
        g_autofree char *why = g_strdup_printf("it is bound to %s", now ? now : "no driver");

        g_set_error(error, GP_VFIO_ERROR, GP_VFIO_ERROR_FAILED,
                    "cannot bind %s to vfio-pci: after probing %s: see 'dmesg' for why "
                    "vfio-pci did not take it; nothing was changed", st->address, why);
        return FALSE;
    }
    return TRUE;
}

gboolean
gp_vfio_bind(const char *const *addresses, guint n, GError **error)
{
    g_autoptr(GPtrArray) states = NULL;
    g_autoptr(GPtrArray) touched = g_ptr_array_new();

    if (!gp_vfio_is_loaded()) {
        g_set_error(error, GP_VFIO_ERROR, GP_VFIO_ERROR_NOT_LOADED,
                    "vfio-pci is not loaded: run 'modprobe vfio-pci'");
        return FALSE;
    }
    states = snapshot_all(addresses, n, error);
    if (!states)
        return FALSE;
    for (guint i = 0; i < n; i++) {
        DevState *st = g_ptr_array_index(states, i);

        if (g_strcmp0(st->driver, GP_VFIO_DRIVER) == 0 &&
            g_strcmp0(st->override, GP_VFIO_DRIVER) == 0)
            continue;
        g_ptr_array_add(touched, st);
        if (!bind_one(st, error)) {
            roll_back(touched, error);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
release_one(const DevState *st, const char *host_driver, GPtrArray *notes, GError **error)
{
    g_autoptr(GError) err = NULL;

    if (!write_override(st->address, NULL, &err))
        return step_failed(error, FALSE, st->address, "clearing driver_override", err,
                           "check that the kernel supports driver_override");
    if (st->driver && g_strcmp0(st->driver, host_driver) != 0 &&
        !unbind_from(st->address, st->driver, &err)) {
        g_autofree char *fix =
            g_strdup_printf("stop what uses it (driver %s) and retry", st->driver);

        return step_failed(error, FALSE, st->address, "unbinding", err, fix);
    }
    if (!host_driver || has_driver(st->address, host_driver))
        return TRUE;
    if (!driver_is_loaded(host_driver)) {
        if (notes)
            g_ptr_array_add(notes,
                            g_strdup_printf("%s is left without a driver: its host driver %s "
                                            "is not loaded (load it, e.g. 'modprobe %s', "
                                            "and write %s to /sys/bus/pci/drivers_probe)",
                                            st->address, host_driver, host_driver,
                                            st->address));
        return TRUE;
    }
    probe(st->address, &err);
    if (!has_driver(st->address, host_driver)) {
        g_clear_error(&err);
        bind_to(st->address, host_driver, &err);
    }
    if (!has_driver(st->address, host_driver)) {
        g_autofree char *fix =
            g_strdup_printf("see 'dmesg' for why %s did not take it", host_driver);

        return step_failed(error, FALSE, st->address, "binding to its host driver", err, fix);
    }
    return TRUE;
}

gboolean
gp_vfio_unbind(const char *const *addresses, const char *const *host_drivers,
               guint n, GPtrArray *notes, GError **error)
{
    g_autoptr(GPtrArray) states = snapshot_all(addresses, n, error);
    g_autoptr(GPtrArray) touched = g_ptr_array_new();
    g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(g_free);

    if (!states)
        return FALSE;
    for (guint i = 0; i < n; i++) {
        DevState *st = g_ptr_array_index(states, i);

        /* Already where it belongs. */
        if (st->override == NULL && g_strcmp0(st->driver, host_drivers[i]) == 0)
            continue;
        g_ptr_array_add(touched, st);
        if (!release_one(st, host_drivers[i], pending, error)) {
            roll_back(touched, error);
            return FALSE;
        }
    }
    /* Notes only count once every device has been released. */
    if (notes)
        for (guint i = 0; i < pending->len; i++)
            g_ptr_array_add(notes, g_strdup(g_ptr_array_index(pending, i)));
    return TRUE;
}
