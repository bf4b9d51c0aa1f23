/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `gpupool pool-check --cluster`: is each pool alike on every node, per
 * the seeds' rule that a cluster-wide GPU pool holds the same make and
 * model on every server?  Read from the inventory node attributes every
 * node's PoolCapacity resource publishes (gpupool_POOL_WHAT,
 * cluster/attrs.h) in the CIB:
 *
 *   errors:   one pool with different GPU models (vendor:device IDs), on
 *             one node or across nodes; one pool of different types
 *             (whole devices here, partitions there)
 *   warnings: a partial configuration (a node without the pool, or
 *             without its inventory), different VRAM sizes, partition
 *             counts or profiles across nodes
 *
 * Pure: a CIB in, lines out. */
#pragma once

#include <glib.h>

#include "cluster/cib.h"

G_BEGIN_DECLS

/* Checks every pool the CIB names, or only POOLS (NULL-terminated, may
 * be NULL).  OK gets one line per pool found alike, WARNINGS and ERRORS
 * one line per finding.  Returns TRUE when ERRORS stayed empty. */
gboolean gp_homogeneity_check(const GpCib *cib, const char *const *pools, GPtrArray *ok,
                              GPtrArray *warnings, GPtrArray *errors);

G_END_DECLS
