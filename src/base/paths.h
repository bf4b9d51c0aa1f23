/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where gpupool keeps its configuration, its runtime state and its
 * schemas.  Each can be moved with an environment variable so that tests
 * and packagers never touch the real ones by accident. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* GPUPOOL_CONFDIR, default SYSCONFDIR/gpupool (/etc/gpupool). */
char *gp_paths_confdir(void);
/* CONFDIR/pools: one NAME.xml per pool. */
char *gp_paths_pooldir(void);
/* GPUPOOL_STATEDIR, default /run/gpupool: claims and locks. */
char *gp_paths_statedir(void);
/* The files in STATEDIR, named here and nowhere else:
 *   lock               the host-wide lock every change to pools or claims
 *                      takes (src/ledger/ledger.h);
 *   claims.xml         who holds what (xml/claims.rng);
 *   rebalance-pending  exists while a started rebalance has not begun;
 *   rebalance.lock     held by the running rebalance (src/ops/alloc.h);
 *   cluster/           the runtime copies of cluster domains started on
 *                      this node, NAME.xml (src/cluster/runtime.h): their
 *                      presence marks a domain as the cluster's. */
char *gp_paths_lock(void);
char *gp_paths_claims(void);
char *gp_paths_rebalance_pending(void);
char *gp_paths_rebalance_lock(void);
char *gp_paths_cluster_dir(void);
/* GPUPOOL_SCHEMADIR, default DATADIR/gpupool/schemas: RelaxNG schemas. */
char *gp_paths_schemadir(void);
/* Absolute path of one schema, e.g. "pool.rng". */
char *gp_paths_schema(const char *name);
/* GPUPOOL_SYSLOG_SOCKET, default /dev/log: the system log's socket
 * (base/syslog.h). */
char *gp_paths_syslog_socket(void);

G_END_DECLS
