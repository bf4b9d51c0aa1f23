/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cluster as Pacemaker's CIB tells it: the nodes with their state,
 * utilization and attributes, and the GPU domains (ocf:gpupool:GpuDomain
 * resources) with their demand, where they run and what failed.  Read
 * from `cibadmin --query` (run with an argument vector, never a shell;
 * it honours $CIB_file) or from a saved CIB, never over ssh.
 *
 * Where a resource runs is read from each node's resource history the
 * way Pacemaker reads it: the most recent operation decides (a start,
 * promote or migrate_from that succeeded, a monitor that found it
 * running: running; a stop, or a monitor that found it stopped: not),
 * and nothing runs on a node that is not online. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GP_CIB_ERROR gp_cib_error_quark()
GQuark gp_cib_error_quark(void);

typedef enum {
    GP_CIB_ERROR_QUERY,    /* cibadmin could not be run or failed */
    GP_CIB_ERROR_INVALID,  /* not a CIB */
} GpCibError;

/* Pacemaker's INFINITY for scores and fail counts. */
#define GP_CIB_INFINITY 1000000

typedef struct {
    char *name;             /* uname */
    char *id;
    gboolean online;        /* in the membership and its controller joined */
    /* Lost without being fenced yet (fencing enabled and the node was
     * expected up): Pacemaker restarts its domains elsewhere only once
     * it is fenced. */
    gboolean unclean;
    gboolean standby;
    gboolean maintenance;
    GHashTable *utilization;  /* name -> value (strings), the node's capacities */
    GHashTable *attributes;   /* name -> value: permanent, then transient over them */
} GpCibNode;

typedef struct {
    char *node;
    char *operation;        /* "start" */
    int rc;                 /* the agent's exit code */
    char *exit_reason;      /* the agent's one line, may be "" */
} GpCibFailure;

typedef struct {
    char *id;
    char *config;           /* its config= parameter, NULL if none */
    GHashTable *demand;     /* pool -> GUINT_TO_POINTER(count), from utilization gpupool_POOL */
    char *target_role;      /* NULL: not set */
    gboolean managed;
    guint migration_threshold;  /* GP_CIB_INFINITY when not set */
    GPtrArray *running_on;  /* node names */
    GPtrArray *failures;    /* GpCibFailure*: the last failure per node */
    GHashTable *fail_counts;/* node -> GUINT_TO_POINTER(count), GP_CIB_INFINITY at most */
    GHashTable *banned;     /* node -> constraint ID of a -INFINITY location */
} GpCibResource;

typedef struct {
    char *placement_strategy;  /* "default" when not set */
    gboolean stonith_enabled;
    GPtrArray *nodes;          /* GpCibNode*, in the CIB's order */
    GPtrArray *resources;      /* GpCibResource*, GpuDomain resources only */
} GpCib;

void gp_cib_free(GpCib *cib);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpCib, gp_cib_free)

/* XML (LEN bytes) as a CIB; WHAT names it in errors. */
GpCib *gp_cib_parse(const char *xml, gsize len, const char *what, GError **error);

/* FILE, or with FILE NULL the live CIB from `cibadmin --query`. */
GpCib *gp_cib_load(const char *file, GError **error);

const GpCibNode *gp_cib_node(const GpCib *cib, const char *name);

G_END_DECLS
