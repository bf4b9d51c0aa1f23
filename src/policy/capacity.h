/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a pool can give: capacity, held and free, per pool and per member,
 * for whole devices, mdev types and VF profiles alike.
 *
 * Pure: the numbers come from the pool definition, the claims and the
 * facts the ledger probed on the host (src/ledger/), so every view and
 * every refusal that asks the ledger tells the same numbers, and they can
 * be tested without a host.
 *
 * A unit is what one domain device takes: a whole device (pci pools), a
 * virtual function (vf pools), a mediated device of the pool's type (mdev
 * pools).  For each member of the pool:
 *   held      units of the pool its claims hold there;
 *   free      units a domain could be given now, none on a member that
 *             is quarantined (policy/quarantine.h): pci, a member that
 *             is present, on vfio-pci and not held; vf, the unclaimed VFs
 *             ready for a guest, but no more than the device still has
 *             room for when the pool sets a vendor profile; mdev, the
 *             instances of the pool's type the parent can still create;
 *   capacity  held + free: a held unit counts while it is held, even if
 *             the device broke or vanished; a free one only while it can
 *             really be handed out. */
#pragma once

#include <glib.h>

#include "state/claims.h"
#include "state/pool.h"
#include "base/pcihealth.h"

G_BEGIN_DECLS

/* One VF of a PF as the host shows it. */
typedef struct {
    char *address;
    gboolean ready;     /* on vfio-pci, or on the vendor driver where partitions stay */
} GpVfFacts;

/* What the host says about one member of a pool (not companions). */
typedef struct {
    char *address;      /* as the pool lists it */
    gboolean present;   /* the device (or mdev parent) exists on this host */
    gboolean ready;     /* pci: bound to vfio-pci */
    /* The device, PF or PCI mdev parent: one that broke or vanished is
     * quarantined (policy/quarantine.h); OK for an mdev parent that is
     * no PCI device (mbochs). */
    GpPciHealth health;
    GPtrArray *vfs;     /* vf: GpVfFacts*, the PF's enabled VFs in VF order */
    /* mdev: instances of the pool's type the parent can still create; vf
     * with a vendor profile: partitions of that profile the PF still has
     * room for; -1 where no such limit applies. */
    gint64 room;
    char *problem;      /* why the member gives nothing now, with the fix; NULL if none */
} GpMemberFacts;

GpMemberFacts *gp_member_facts_new(const char *address);
void gp_member_facts_free(GpMemberFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpMemberFacts, gp_member_facts_free)
void gp_member_facts_add_vf(GpMemberFacts *facts, const char *address, gboolean ready);

typedef struct {
    char *address;      /* the member */
    guint capacity;
    guint held;
    guint free;
    guint vfs;          /* vf: VFs enabled on it */
    gboolean quarantined; /* gives nothing until fixed; the problem says why */
    char *problem;      /* from the facts, NULL if none */
} GpMemberCapacity;

typedef struct {
    char *pool;
    GpPoolType type;
    /* FALSE for an mdev pool without a type: it can give nothing, and the
     * numbers below are 0. */
    gboolean known;
    guint members;      /* devices, parents or PFs listed, companions not counted */
    guint capacity;
    guint held;         /* the pool's claims, also those on devices that vanished */
    guint free;
    guint quarantined;  /* members quarantined, held or not */
    GPtrArray *rows;    /* GpMemberCapacity*, in the pool's order */
    /* pci and vf pools: the units a domain could be given now, exactly
     * FREE of them, sorted; empty for mdev pools, whose units are made at
     * start under the domain's own UUID. */
    GPtrArray *free_units;
    GPtrArray *holders; /* names of the domains holding units of the pool, sorted */
} GpPoolCapacity;

void gp_pool_capacity_free(GpPoolCapacity *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpPoolCapacity, gp_pool_capacity_free)

/* The capacity of POOL given FACTS (GpMemberFacts*, one per member that
 * is not a companion, in the pool's order) and CLAIMS. */
GpPoolCapacity *gp_capacity_of(const GpPool *pool, GPtrArray *facts, GpClaims *claims);

/* The row of member ADDRESS, or NULL. */
const GpMemberCapacity *gp_pool_capacity_row(const GpPoolCapacity *cap, const char *address);

/* "0000:41:00.0, 0000:81:00.0 and 3 more", or "" when none is free: the
 * free units for a one-line message. */
char *gp_pool_capacity_free_text(const GpPoolCapacity *cap);

/* "vm1, vm2", or "" when nobody holds anything of the pool. */
char *gp_pool_capacity_holders_text(const GpPoolCapacity *cap);

G_END_DECLS
