/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A domain as gpupool deals with it: its name and UUID, whether libvirt
 * runs it, and the pool devices its gpupool metadata names.  The one
 * request struct the hook's decisions, rebalance and the views share;
 * built from the domain XML (state/domxml.h) by one constructor.
 *
 * Each device also carries what the host says about it, filled by the
 * ledger (gp_ledger_probe_device()) before a decision looks at it, so the
 * decisions themselves (policy/alloc.h) never read the host. */
#pragma once

#include <glib.h>

#include "base/pcibar.h"
#include "base/pcihealth.h"
#include "state/domxml.h"

G_BEGIN_DECLS

typedef struct {
    char *alias;            /* "ua-gpupool-N" */
    char *pool;
    char *device;           /* canonical PCI address (pci, vf pools) or mdev UUID (mdev pools) */
    /* What the host says, filled by the ledger's probe: */
    gboolean present;       /* the device exists on this host */
    GpPciHealth health;     /* pci, vf: whether it can still be handed out */
    char *driver;           /* bound driver (pci, vf), NULL if none */
    char *parent;           /* vf: its physical function; mdev: its parent */
    GpPciHealth parent_health; /* vf: its PF's; mdev: its parent's if on the PCI bus */
    gboolean driver_stays;  /* vf: its partitions stay on the vendor driver, not vfio-pci */
    GpPciBar bars[6];       /* pci, vf: sizes and kinds of its BARs */
} GpDomainDevice;

typedef struct {
    char *uuid;             /* lower case */
    char *name;
    gboolean active;        /* libvirt runs it (listings; FALSE when unknown) */
    GPtrArray *devices;     /* GpDomainDevice* */
    /* Size of the domain's 64-bit PCI hole (<pcihole64>) in bytes; 0 when
     * the domain leaves it to the hypervisor's default. */
    guint64 pcihole64;
} GpDomain;

GpDomain *gp_domain_new(const char *uuid, const char *name);
/* The domain ASSIGNMENT describes, with its gpupool devices. */
GpDomain *gp_domain_new_from_assignment(const GpDomAssignment *assignment);
void gp_domain_free(GpDomain *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpDomain, gp_domain_free)

/* For g_ptr_array_sort() on GpDomain*: by name. */
gint gp_domain_compare_names(gconstpointer a, gconstpointer b);

/* Appends a device (borrowed from DOM). */
GpDomainDevice *gp_domain_add_device(GpDomain *dom, const char *alias, const char *pool,
                                     const char *device);
/* The device named ALIAS, or NULL. */
GpDomainDevice *gp_domain_find_device(const GpDomain *dom, const char *alias);

/* An mdev pool's device: named by UUID, made at start, never re-pointed. */
gboolean gp_domain_device_is_mdev(const GpDomainDevice *dev);
/* Forget what the host said (before probing again). */
void gp_domain_device_clear_facts(GpDomainDevice *dev);

/* The mdev UUID of a domain's SLOT-th device of mdev pool POOL: a
 * name-based UUID (version 5) of "DOMAIN_UUID/POOL/SLOT", so assign, the
 * hook, rebalance and any later cleanup agree on it without storing it
 * anywhere.  DOMAIN_UUID is taken case-insensitively. */
char *gp_domain_mdev_uuid(const char *domain_uuid, const char *pool, guint slot);
/* The slot (0..GP_DOMXML_MAX_COUNT-1) whose mdev UUID of POOL for domain
 * DOMAIN_UUID is UUID, or -1: UUID was derived from another domain's
 * UUID, as in a definition copied from that domain (virt-clone copies
 * gpupool's metadata, mdev UUIDs included). */
int gp_domain_mdev_slot(const char *domain_uuid, const char *pool, const char *uuid);

G_END_DECLS
