/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GPU partitioning as the admin and the hook see it: the devices of a
 * pool described through their back ends (plugin/backend.h), the
 * partition count set across a pool and recorded in it, the homogeneity
 * check, and the partitions made and given back when a domain starts and
 * stops.
 *
 * The core never asks which vendor a device is: it asks the back end the
 * registry picks for it. */
#pragma once

#include <glib.h>

#include "host/backends.h"
#include "state/claims.h"
#include "state/pool.h"
#include "ledger/ledger.h"

G_BEGIN_DECLS

#define GP_PARTITION_ERROR gp_partition_error_quark()
GQuark gp_partition_error_quark(void);

typedef enum {
    GP_PARTITION_ERROR_INVALID,   /* a count or profile the device does not offer */
    GP_PARTITION_ERROR_IN_USE,    /* partitions are held by domains (named) */
    GP_PARTITION_ERROR_REFUSED,   /* the pool or device cannot be partitioned so */
    GP_PARTITION_ERROR_EXHAUSTED, /* no device of the pool has room */
    GP_PARTITION_ERROR_FAILED,    /* the host refused a step; rolled back */
} GpPartitionError;

/* NAME as the partitioning commands take it: a PCI address made canonical,
 * or an mdev parent that is not a PCI device, named as under
 * class/mdev_bus ("mbochs").  GP_PARTITION_ERROR_INVALID otherwise. */
char *gp_partition_device_name(const char *name, GError **error);

/* DEVICE described by the back end that partitions it best (or, if none
 * does, by the whole-device back end). */
GpPartInfo *gp_partition_describe(const char *device, GError **error);

/* What `partition-set --count COUNT --profile PROFILE` (either may be
 * 0/NULL) means on the device INFO describes: the profile and count to
 * apply.  A count alone picks, among the profiles giving exactly COUNT
 * partitions, the one with the most VRAM.  GP_PARTITION_ERROR_INVALID
 * naming the device and the counts or profiles it offers otherwise. */
gboolean gp_partition_resolve(const GpPartInfo *info, guint count, const char *profile,
                              guint *count_out, char **profile_out, GError **error);

/* partition-set: under the host-wide lock, set DEVICE (and, when it is a
 * member of a pool, every device of that pool) to COUNT partitions of
 * PROFILE, and record the setting in the pool so that `gpupool setup`
 * applies it again at boot.  Refuses, changing nothing, a count or profile
 * a device does not offer, a device whose partitions are in use (naming
 * the domains), and a device of a pci pool.  PER_DOMAIN (0: leave as is)
 * sets how many partitions of the pool one domain may hold; with COUNT 0
 * and no PROFILE only that is changed.  DONE gets one line per change. */
gboolean gp_partition_set(const char *device, guint count, const char *profile,
                          guint per_domain, GPtrArray *done, GError **error);

/* The pool's recorded partitioning applied to one member at boot (VFs
 * enabled and bound, the profile checked); used by `gpupool setup`.
 * TRUE without doing anything for pci pools and unset settings. */
gboolean gp_partition_setup_member(const GpPool *pool, const char *device, GError **error);

/* pool-check: POOL's devices are alike (vendor, model, VRAM, partition
 * count and profile) and none is used both whole and partitioned.
 * Lines go to WARNINGS (a partial selection: the host has more devices of
 * the model that no pool lists) and ERRORS (mixed configurations, missing
 * devices).  Returns TRUE when ERRORS stayed empty. */
gboolean gp_partition_check_pool(const GpPool *pool, GPtrArray *warnings, GPtrArray *errors);

/* ---- Lifecycle (the hook) ---------------------------------------------- */

/* prepare begin, before the claim: the mdev UUID of a domain's device of
 * mdev pool POOL is created on the first member parent with room for the
 * pool's type, unless it exists already on a member parent (idempotent).
 * GP_PARTITION_ERROR_EXHAUSTED naming the domains other than DOM_UUID
 * that hold the pool's units (as LEDGER has them) when no parent has room.
 * *CREATED is TRUE when this call created it (so a refused start can take
 * it away again). */
gboolean gp_partition_prepare_mdev(GpLedger *ledger, const GpPool *pool, const char *uuid,
                                   const char *dom_uuid, gboolean *created, GError **error);

/* prepare begin, after the claim: the pool's vendor profile set on VF
 * ADDRESS of vf pool POOL (nothing for generic VFs).
 * GP_PARTITION_ERROR_EXHAUSTED naming the other holders (as LEDGER has
 * them) when the device has no room for another partition of the
 * profile. */
gboolean gp_partition_prepare_vf(GpLedger *ledger, const GpPool *pool, const char *address,
                                 const char *dom_uuid, GError **error);

/* The same decisions, made without changing the host (`gpupool check`):
 * the member parent mdev UUID of pool POOL would be (or is) made on, with
 * TAKEN more of the pool's units already planned by the same start; NULL
 * with prepare's refusal otherwise.  Reads the ledger's capacity. */
char *gp_partition_mdev_room(GpLedger *ledger, const GpPool *pool, const char *uuid,
                             const char *dom_uuid, guint taken, GError **error);
/* TRUE if the pool's vendor profile could be set on VF ADDRESS now; the
 * same refusal as prepare otherwise. */
gboolean gp_partition_vf_room(GpLedger *ledger, const GpPool *pool, const char *address,
                              const char *dom_uuid, GError **error);

/* release end (and undoing a refused start): give the partition a claim
 * stands for back.  The caller passes only claims that belong to the
 * domain being released, so a VF that has already gone to the next owner
 * is never touched.  mdev: removed (gone already is fine; busy is retried
 * a little); VF: the profile is cleared once no VFIO handle is open.
 * NOTE (may be NULL) gets a line when a check had to be skipped. */
gboolean gp_partition_release_claim(const GpPool *pool, const GpClaim *claim, char **note,
                                    GError **error);

/* The kind of partition CLAIM stands for: an mdev (it has a parent; the
 * claims file names mdevs by UUID, devices by PCI address) or a virtual
 * function (sysfs says so).  FALSE for a whole device. */
gboolean gp_partition_kind_of_claim(const GpClaim *claim, GpPoolType *type);

G_END_DECLS
