/* SR-IOV virtual functions of a physical function, as sysfs shows them:
 * the one place that lists, numbers and enables them, for the core and
 * (through the back-end host table) for every back end. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The enabled VFs of PF (its virtfnN links) in VF order: virtfn2 before
 * virtfn10.  A new array of PCI addresses, empty if PF has none or does
 * not exist. */
GPtrArray *gp_sriov_vfs(const char *pf);

/* ADDRESS's VF number on PF, 1-based as in the SR-IOV specification; 0 if
 * ADDRESS is not a VF of PF. */
guint gp_sriov_vf_number(const char *pf, const char *address);

/* Sets sriov_numvfs to COUNT (through 0 when it changes between two
 * non-zero values, as the kernel demands), leaving the VFs on the driver
 * the kernel gives them.  GP_BACKEND_ERROR naming PF and the fix. */
gboolean gp_sriov_set_count(const char *pf, guint count, GError **error);

/* The same without letting host drivers probe the new VFs: drivers like
 * nvme probe asynchronously, and a VF they are still probing when it is
 * handed to vfio-pci ends up with no driver at all.  The PF's
 * sriov_drivers_autoprobe is off only while VFs are being created, and
 * on (the kernel's default) afterwards, whatever it was: a command killed
 * in between leaves it off, and the next one, or gp_sriov_autoprobe_on(),
 * must be able to tell that from a setting of its own. */
gboolean gp_sriov_set_count_unprobed(const char *pf, guint count, GError **error);

/* Turns PF's sriov_drivers_autoprobe back on if it is off: what setup and
 * pool-remove do for the PFs of vf pools, whose autoprobe gpupool keeps
 * at the kernel's default.  TRUE if it was off. */
gboolean gp_sriov_autoprobe_on(const char *pf);

G_END_DECLS
