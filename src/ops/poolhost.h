/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pools applied to the host: the transactions behind pool-create,
 * pool-define, pool-add, pool-remove, pool-undefine and setup.
 *
 * Each is a transaction of the ledger (src/ledger/ledger.h): it takes the
 * host-wide lock, loads the pools and the claims, decides, changes the
 * host (vfio-pci bindings, VF counts) and saves the pool, so that on any
 * refusal or failure the host and the pool files are as they were.  Errors are GP_POOL_ERROR, one line naming
 * the device or pool and the fix.  What was done is reported as lines in
 * DONE (may be NULL) for the CLI to print. */
#pragma once

#include <glib.h>

#include "state/claims.h"
#include "state/pool.h"

G_BEGIN_DECLS

/* An empty pool.  EXISTS if the name is taken. */
gboolean gp_poolhost_create(GpPool *pool, GError **error);

/* A new pool from a definition (pool-define): its members join as with
 * gp_poolhost_add(); a member's host-driver from the definition is kept
 * only when the device is already bound to vfio-pci (so that the driver
 * it had before cannot be seen any more).  Companions are worked out
 * from the host again. */
gboolean gp_poolhost_define(const GpPool *def, GPtrArray *done, GError **error);

/* Adds devices (as the admin typed them) to pool NAME.  pci pools: an
 * IOMMU group goes to one guest whole, so each device joins with every
 * other endpoint of its group as its companions (the device of a group
 * named first is the member), all bound to vfio-pci in one step and their
 * drivers recorded; a device already in a pool as a companion is refused
 * naming its member.  vf pools: the PF's VF count is applied and whether
 * gpupool enabled its VFs recorded.  mdev pools: the parent must offer the
 * pool's type. */
gboolean gp_poolhost_add(const char *name, const char *const *devices, guint n,
                         GPtrArray *done, GError **error);

/* Removes devices from pool NAME; pci devices and their companions (the
 * rest of the IOMMU group) go back to their recorded host drivers, and a
 * companion alone is refused naming its member.  vf pools: a PF none of
 * whose VFs a domain holds takes its VFs off vfio-pci, and disables them
 * if gpupool enabled them.  All or nothing. */
gboolean gp_poolhost_remove(const char *name, const char *const *devices, guint n,
                            GPtrArray *done, GError **error);

/* Deletes an empty pool that no domain holds anything of. */
gboolean gp_poolhost_undefine(const char *name, GError **error);

/* Re-applies every pool (boot): pci devices bound to vfio-pci, VF counts
 * set, mdev parents checked.  A device that fails is reported in FAILED
 * and the others are still applied; returns FALSE if any failed or the
 * pools could not be read (ERROR). */
gboolean gp_poolhost_setup(GPtrArray *done, GPtrArray *failed, GError **error);

G_END_DECLS
