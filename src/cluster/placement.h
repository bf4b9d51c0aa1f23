/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cluster's GPU picture, worked out from its CIB (cluster/cib.h) for
 * `gpupool cluster-status`: per node and pool what the node publishes
 * (node utilization gpupool_POOL), what the GPU domains running there
 * hold (the sum of their utilization, as Pacemaker counts it) and what
 * is free; where each GPU domain runs; and for each stopped one, why,
 * node by node: "no node has a free device of pool gpus: node1 0/2
 * free, node2 offline".
 *
 * Pure: a CIB in, a report out, so it can be tested on saved CIBs. */
#pragma once

#include <glib.h>

#include "cluster/cib.h"

G_BEGIN_DECLS

typedef struct {
    char *pool;
    gboolean published;  /* the node publishes gpupool_POOL */
    guint capacity;
    guint held;
    guint free;          /* 0 on a node that is not online */
} GpPlacementPool;

typedef struct {
    const GpCibNode *node;
    const char *state;   /* online, offline, unclean, standby, maintenance */
    GPtrArray *pools;    /* GpPlacementPool*, by pool name, every pool the CIB names */
} GpPlacementNode;

typedef struct {
    const GpCibResource *rsc;
    gboolean running;
    char *where;         /* the nodes it runs on, ", "-joined; NULL when stopped */
    char *reason;        /* why it is stopped; NULL when running */
    char *failed;        /* its failures, "start on node2: REASON"; NULL if none */
} GpPlacementDomain;

typedef struct {
    GPtrArray *nodes;    /* GpPlacementNode* in the CIB's order */
    GPtrArray *domains;  /* GpPlacementDomain* in the CIB's order */
    GPtrArray *warnings; /* char*: what makes the numbers meaningless */
} GpPlacement;

void gp_placement_free(GpPlacement *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpPlacement, gp_placement_free)

/* The picture of CIB (borrowed by the result: keep it alive). */
GpPlacement *gp_placement_of(const GpCib *cib);

/* "gpus 1, vgpu 2": what a domain asks for. */
char *gp_placement_demand_text(const GpCibResource *rsc);

G_END_DECLS
