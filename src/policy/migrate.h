/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live migration of a domain with pool devices: which domains can move
 * while they run, and what a destination host accepts.
 *
 * A whole device (pci pool) never moves with a running guest: its state
 * lives in the hardware, and the destination's device is another one.
 * Partitions (mdev and vf pools) are VFIO devices whose state can move
 * only where QEMU and the kernel speak one VFIO migration protocol and
 * the device's driver supports it: Linux replaced protocol v1 by v2 in
 * 5.18, QEMU speaks v2 from 8.0 on (7.2 only v1), so QEMU 7.2 on Linux
 * 6.1 refuses ("VFIO device doesn't support migration").  And the
 * destination's pool must give the same kind of partition: the same mdev
 * type or vendor profile, which the domain's metadata records at assign.
 *
 * Pure: facts in (the domain's requests, the local pools, the
 * hypervisor's and kernel's versions), a verdict out with a reason the
 * user can check. */
#pragma once

#include <glib.h>

#include "state/domxml.h"
#include "state/pool.h"

G_BEGIN_DECLS

#define GP_MIGRATE_ERROR gp_migrate_error_quark()
GQuark gp_migrate_error_quark(void);

typedef enum {
    GP_MIGRATE_ERROR_WHOLE,     /* a pool hands out whole devices */
    GP_MIGRATE_ERROR_MISMATCH,  /* the destination's pool gives another kind or profile */
    GP_MIGRATE_ERROR_UNKNOWN,   /* the metadata does not say what the domain runs with */
    GP_MIGRATE_ERROR_NO_ROOM,   /* too few free units of the pool on the destination */
    GP_MIGRATE_ERROR_STACK,     /* QEMU or the kernel cannot migrate a VFIO device */
} GpMigrateError;

/* The hypervisor and kernel of one side of a migration. */
typedef struct {
    const char *where;      /* for messages: "here (qemu:///system)" */
    const char *hypervisor; /* as libvirt names it ("QEMU"); NULL unknown */
    gulong version;         /* major * 1000000 + minor * 1000 + micro; 0 unknown */
    const char *kernel;     /* uname release ("6.1.0-18-amd64"); NULL unknown */
} GpMigrateStack;

/* First kernel with VFIO migration protocol v2 (and without v1), first
 * QEMU that speaks v2. */
#define GP_MIGRATE_KERNEL_V2 5018
#define GP_MIGRATE_QEMU_V2 8000000UL

/* Refuses, naming the pool and the way out, a domain whose REQUESTS
 * (GpDomRequest*, as its metadata records them) include a pool that
 * hands out whole devices, by the record or, where the record does not
 * say, by POOLS (name -> GpPool*, may be NULL or miss pools):
 * "vm1: pool gpus hands out whole devices; stop the domain and start it
 * on the destination, or let the cluster restart it". */
gboolean gp_migrate_check_kinds(const char *dom_name, GPtrArray *requests, GHashTable *pools,
                                GError **error);

/* Can STACK migrate a VFIO device's state?  *REASON (new string) says
 * why or why not in words the user can check ('virsh version', uname). */
gboolean gp_migrate_stack_can_vfio(const GpMigrateStack *stack, char **reason);

/* migrate begin on the destination, whose pools are POOLS (name ->
 * GpPool*, every pool of REQUESTS): gp_migrate_check_kinds(), then each
 * mdev or vf pool here must give what the domain runs with (the type and
 * profile its request recorded); metadata that records neither is
 * refused (GP_MIGRATE_ERROR_UNKNOWN) with the fix. */
gboolean gp_migrate_check_incoming(const char *dom_name, GPtrArray *requests, GHashTable *pools,
                                   GError **error);

/* NEED units of POOL arrive, FREE are free here: NO_ROOM naming both. */
gboolean gp_migrate_check_room(const char *dom_name, const GpPool *pool, guint need, guint free,
                               GError **error);

G_END_DECLS
