/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The names gpupool's data has in a Pacemaker cluster, in one place for
 * the commands that publish it (cluster-capacity, through the PoolCapacity
 * resource agent), the ones that configure resources (cluster-config) and
 * the ones that read it back from the CIB (cluster-status, pool-check
 * --cluster).
 *
 *   gpupool_POOL           node utilization: what the node can give to
 *                          the cluster's domains (cluster/publish.h);
 *                          resource utilization: what a domain asks for
 *   gpupool_POOL_WHAT      node attributes: the pool's inventory on the
 *                          node, WHAT one of gp_attr_inventory_keys
 *
 * Pool names are 1 to 64 of [A-Za-z0-9_.-], not starting with '.' or '-'
 * (gp_pool_name_check()), so every name here is too: Pacemaker takes them
 * as nvpair names and inside the XML IDs it derives from them
 * ("nodes-node1-utilization-gpupool_gpus"), crm_attribute -n and crmsh's
 * NAME=VALUE lists take them as they are.  A pool name with '_' makes an
 * inventory name ambiguous only if read without its WHAT: parse them with
 * gp_attr_inventory_parse(), which strips a known WHAT from the end. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GP_ATTR_PREFIX "gpupool_"

/* What each pool's inventory says, in this order: */
#define GP_ATTR_TYPE "type"              /* pci, mdev or vf */
#define GP_ATTR_DEVICES "devices"        /* members on this node (companions not counted) */
#define GP_ATTR_IDS "ids"                /* vendor:device IDs of the members, "10de:20b5" */
#define GP_ATTR_MODEL "model"            /* their names from pci.ids */
#define GP_ATTR_VRAM "vram"              /* bytes of VRAM per device, where the back end tells */
#define GP_ATTR_PARTITIONS "partitions"  /* partitions per device; 0 = whole */
#define GP_ATTR_PROFILE "profile"        /* the pool's mdev type or vendor profile */
/* Several distinct values on one node are joined with ",", model names
 * with "; "; a value the node cannot tell is "unknown", none "none". */
#define GP_ATTR_UNKNOWN "unknown"
#define GP_ATTR_NONE "none"

extern const char *const gp_attr_inventory_keys[];  /* NULL-terminated */

/* "gpupool_POOL" */
char *gp_attr_utilization(const char *pool);
/* "gpupool_POOL_WHAT" */
char *gp_attr_inventory(const char *pool, const char *what);
/* The pool of utilization name NAME, NULL if it is not one of ours. */
char *gp_attr_utilization_pool(const char *name);
/* The pool of inventory attribute NAME and which of the keys it is
 * (static), or FALSE. */
gboolean gp_attr_inventory_parse(const char *name, char **pool, const char **what);

G_END_DECLS
