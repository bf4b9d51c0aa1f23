/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a node publishes to its cluster, per pool (`gpupool
 * cluster-capacity`, run by the PoolCapacity clone resource):
 *
 * the node utilization gpupool_POOL (cluster/attrs.h), Pacemaker's
 * capacity for placing the cluster's domains = the units the ledger
 * counts (held ones while held, free ones only while really usable)
 * minus the units held by domains the cluster does not manage (no
 * runtime copy here, cluster/runtime.h), and never lower than what the
 * cluster's own domains hold here: Pacemaker moves or stops resources
 * on a node whose capacity drops below their use;
 *
 * and the pool's inventory, for the homogeneity check across nodes:
 * per member its vendor:device IDs, model name (pci.ids), VRAM where the
 * back end tells it, partition count, and the pool's type and profile,
 * folded into the node attributes gpupool_POOL_WHAT. */
#pragma once

#include <glib.h>

#include "state/pool.h"

G_BEGIN_DECLS

typedef struct {
    char *address;      /* the member */
    gboolean present;   /* on this host now */
    char *ids;          /* "10de:20b5", NULL for a parent that is not a PCI device */
    char *model;        /* pci.ids name, or a non-PCI parent's name; NULL unknown */
    guint64 vram;       /* bytes, 0 unknown */
    guint partitions;   /* partitions it is set up for, 0 whole or none */
    const char *backend;/* the back end that described it, NULL if none could */
} GpPublishDevice;

typedef struct {
    char *name;
    char *value;
} GpPublishAttr;

typedef struct {
    char *pool;
    GpPoolType type;
    char *attribute;        /* gpupool_POOL */
    guint value;            /* what the node publishes */
    guint capacity;         /* the ledger's: held + free */
    guint held;
    guint held_cluster;     /* by domains with a runtime copy here */
    guint held_other;       /* by the others */
    guint free;
    GPtrArray *devices;     /* GpPublishDevice*, with the inventory */
    GPtrArray *inventory;   /* GpPublishAttr*, gpupool_POOL_WHAT in key order */
} GpPublishPool;

void gp_publish_pool_free(GpPublishPool *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpPublishPool, gp_publish_pool_free)

/* The value to publish: capacity minus what others hold, never below
 * what the cluster's domains hold. */
guint gp_publish_value(guint capacity, guint held_cluster, guint held_other);

/* Every pool of this node, sorted by name; with INVENTORY also the
 * devices and attributes (which scans the host and asks the back ends).
 * Errors: the ledger's, a runtime copy that cannot be read. */
GPtrArray *gp_publish_collect(gboolean inventory, GError **error);

G_END_DECLS
