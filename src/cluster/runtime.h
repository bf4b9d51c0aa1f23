/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The runtime copies of cluster domains on this node.
 *
 * A Pacemaker cluster starts a GPU domain from one domain XML file that
 * every node reads (ocf:heartbeat:VirtualDomain's config=, the shared
 * file), which `gpupool assign --file` gave a request.  Its reserved
 * units are some host's; on the node that is to start the domain,
 * gp_runtime_prepare() points its pool devices at free units of the same
 * pools here, under the ledger's lock, and writes the result as this
 * node's runtime copy in STATEDIR/cluster (gp_paths_cluster_dir()).
 * VirtualDomain then starts the domain from the copy, and the hook
 * claims its devices at prepare as for any domain.  The shared file is
 * never changed.
 *
 * A runtime copy marks its domain as the cluster's on this node: what
 * such domains hold is published as the cluster's own use
 * (cluster/publish.h), and the units a copy names are kept for it until
 * the domain claims them or gp_runtime_forget() removes the copy (after
 * the domain stopped), so two domains prepared at once never get the
 * same unit.  STATEDIR is on /run: the copies go with a reboot, as the
 * domains do. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GP_RUNTIME_ERROR gp_runtime_error_quark()
GQuark gp_runtime_error_quark(void);

typedef enum {
    GP_RUNTIME_ERROR_INVALID,  /* no request in the shared file, a bad --out */
    GP_RUNTIME_ERROR_NO_ROOM,  /* a pool has too few free units on this node */
    GP_RUNTIME_ERROR_IO,       /* a copy that cannot be read, written or removed */
} GpRuntimeError;

/* This node's name in messages: $OCF_RESKEY_CRM_meta_on_node, which
 * Pacemaker sets for resource agents, else the host name. */
const char *gp_runtime_node_name(void);

/* The runtime copy's path when the caller names none:
 * STATEDIR/cluster/NAME.xml (UUID.xml for a name unfit for a file name). */
char *gp_runtime_default_path(const char *name, const char *uuid);

/* `gpupool cluster-prepare`: reads the shared file SHARED, points the
 * domain's pci and vf devices at free units of the same pools on this
 * node (a device that is free here stays; mdevs are named by the
 * domain's UUID and made at start, so they only need room), and writes
 * the copy to OUT (NULL: gp_runtime_default_path(); otherwise a file
 * directly in STATEDIR/cluster, so that the copy is found) atomically,
 * mode 0600 (a definition may hold secrets).  Another copy of the same
 * domain is removed.  DONE gets one line per device and one naming the
 * copy.  GP_RUNTIME_ERROR_NO_ROOM: "vm1: no free device of pool 'gpus'
 * on node1: 0 of 2 free, held by vm2, vm3; the cluster places it on a
 * node with room".  Returns the copy's path. */
char *gp_runtime_prepare(const char *shared, const char *out, GPtrArray *done, GError **error);

/* `gpupool cluster-forget`: removes this node's runtime copies of the
 * shared file's domain, and the copy OUT if given (a file in
 * STATEDIR/cluster, as for prepare), under the ledger's lock.  With OUT
 * a shared file that cannot be read is a warning, not an error: a stop
 * must not fail because the shared storage is away.  DONE gets a line
 * per copy removed, or one saying there was none (not an error: a stop
 * must succeed twice); WARNINGS a line when the domain still holds units
 * here (its release has not run). */
gboolean gp_runtime_forget(const char *shared, const char *out, GPtrArray *done,
                           GPtrArray *warnings, GError **error);

/* The UUIDs (lower case) of the domains with a runtime copy on this
 * node: a set of new strings.  An unreadable copy is an error: counting
 * its domain as not the cluster's would lower what the node publishes. */
GHashTable *gp_runtime_managed(GError **error);

G_END_DECLS
