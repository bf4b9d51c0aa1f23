/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `crm configure` lines for a cluster GPU domain (`gpupool
 * cluster-config`), so that nobody works out utilization by hand: the
 * ocf:gpupool:GpuDomain primitive with its config= file, hypervisor,
 * generous timeouts, a long monitor interval, utilization gpupool_POOL=N
 * per pool of its request, allow-migrate only where migration can work
 * (with the reason as a comment), failure-timeout; and, separated, the
 * lines a cluster needs once: placement-strategy=balanced (the default
 * strategy ignores utilization) and the PoolCapacity clone that
 * publishes every node's capacity.  The text loads with `crm configure
 * load update FILE` or pastes into `crm configure`; loading it twice
 * changes nothing.  crmsh keeps comments as XML comments, which may not
 * hold "--". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Timeouts: VirtualDomain's monitor takes about 10 s on a loaded host and
 * a start with devices (prepare, QEMU mapping BARs) far longer than a
 * plain one; Pacemaker's defaults (20 s) would fail them. */
#define GP_CRM_START_TIMEOUT "300s"
#define GP_CRM_STOP_TIMEOUT "180s"
#define GP_CRM_MONITOR_INTERVAL "60s"
#define GP_CRM_MONITOR_TIMEOUT "90s"
#define GP_CRM_MIGRATE_TIMEOUT "600s"
/* A failed node may take the resource again after this. */
#define GP_CRM_FAILURE_TIMEOUT "10min"
/* The clone that runs PoolCapacity on every node. */
#define GP_CRM_CAPACITY_RESOURCE "gpupool-capacity"
#define GP_CRM_CAPACITY_CLONE "gpupool-capacity-clone"
#define GP_CRM_CAPACITY_INTERVAL "30s"
/* Its start writes up to 8 attributes per pool with Pacemaker's tools,
 * which overran Pacemaker's default 20 s on a loaded node. */
#define GP_CRM_CAPACITY_TIMEOUT "60s"

typedef struct {
    char *pool;
    guint count;
} GpCrmDemand;

typedef struct {
    const char *domain;          /* the domain's name */
    const char *config;          /* the shared file VirtualDomain starts it from */
    const char *hypervisor;      /* libvirt URI */
    GPtrArray *demands;          /* GpCrmDemand*, per pool of the request */
    gboolean allow_migrate;
    const char *migrate_reason;  /* why (not), one line */
} GpCrmResource;

/* NAME as a Pacemaker resource ID (an XML ID: a letter or '_' first,
 * then letters, digits, '.', '-', '_'); other characters become '_'. */
char *gp_crmconfig_resource_id(const char *name);

/* The text, ending in a newline. */
char *gp_crmconfig_text(const GpCrmResource *r);

G_END_DECLS
