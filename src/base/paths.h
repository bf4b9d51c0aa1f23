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
/* GPUPOOL_SCHEMADIR, default DATADIR/gpupool/schemas: RelaxNG schemas. */
char *gp_paths_schemadir(void);
/* Absolute path of one schema, e.g. "pool.rng". */
char *gp_paths_schema(const char *name);

G_END_DECLS
