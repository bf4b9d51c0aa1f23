/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm configure lines for a GpuDomain resource. */
#include "config.h"

#include "cluster/crmconfig.h"

#include <string.h>

#include "cluster/attrs.h"

char *
gp_crmconfig_resource_id(const char *name)
{
    GString *id = g_string_new(NULL);

    if (!name || !*name || !(g_ascii_isalpha(name[0]) || name[0] == '_'))
        g_string_append(id, "vm_");
    for (const char *p = name ? name : ""; *p; p++)
        g_string_append_c(id, g_ascii_isalnum(*p) || *p == '.' || *p == '-' || *p == '_'
                              ? *p : '_');
    return g_string_free(id, FALSE);
}

/* VALUE in crmsh's double quotes: a backslash before '"' and '\'. */
static char *
quoted(const char *value)
{
    GString *s = g_string_new("\"");

    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(s, '\\');
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
    return g_string_free(s, FALSE);
}

char *
gp_crmconfig_text(const GpCrmResource *r)
{
    GString *s = g_string_new(NULL);
    g_autofree char *id = gp_crmconfig_resource_id(r->domain);
    g_autofree char *config = quoted(r->config);
    g_autofree char *hypervisor = quoted(r->hypervisor);

    g_string_append_printf(s,
        "# gpupool cluster-config for domain %s, started from %s on every node.\n"
        "# Load it with 'crm configure load update FILE' or paste it into 'crm configure';\n"
        "# loading it again changes nothing.\n"
        "#\n"
        "# ==== Once per cluster ====\n"
        "# Pacemaker places by utilization only with this strategy; the default ignores it.\n"
        "property placement-strategy=balanced\n"
        "# Every node publishes its free devices per pool as node utilization gpupool_POOL.\n"
        "primitive %s ocf:gpupool:PoolCapacity \\\n"
        "\top start timeout=%s interval=0s \\\n"
        "\top stop timeout=%s interval=0s \\\n"
        "\top monitor interval=%s timeout=%s\n"
        "clone %s %s \\\n"
        "\tmeta interleave=true\n"
        "# A domain on a lost node restarts elsewhere only once that node is fenced:\n"
        "# configure a stonith device (stonith-enabled=true).\n"
        "#\n"
        "# ==== Domain %s ====\n",
        r->domain, r->config, GP_CRM_CAPACITY_RESOURCE, GP_CRM_CAPACITY_TIMEOUT,
        GP_CRM_CAPACITY_TIMEOUT, GP_CRM_CAPACITY_INTERVAL, GP_CRM_CAPACITY_TIMEOUT,
        GP_CRM_CAPACITY_CLONE, GP_CRM_CAPACITY_RESOURCE, r->domain);
    for (guint i = 0; i < r->demands->len; i++) {
        const GpCrmDemand *d = r->demands->pdata[i];

        g_string_append_printf(s, "# It asks for %u device%s of pool %s.\n", d->count,
                               d->count == 1 ? "" : "s", d->pool);
    }
    g_string_append_printf(s, "# allow-migrate=%s: %s\n",
                           r->allow_migrate ? "true" : "false", r->migrate_reason);
    if (strcmp(id, r->domain) != 0)
        g_string_append_printf(s, "# Resource ID %s: Pacemaker IDs take no other characters.\n",
                               id);
    g_string_append_printf(s, "primitive %s ocf:gpupool:GpuDomain \\\n"
                              "\tparams config=%s hypervisor=%s \\\n", id, config, hypervisor);
    if (r->demands->len) {
        g_string_append(s, "\tutilization");
        for (guint i = 0; i < r->demands->len; i++) {
            const GpCrmDemand *d = r->demands->pdata[i];
            g_autofree char *name = gp_attr_utilization(d->pool);

            g_string_append_printf(s, " %s=%u", name, d->count);
        }
        g_string_append(s, " \\\n");
    }
    g_string_append_printf(s, "\tmeta allow-migrate=%s failure-timeout=%s \\\n"
                              "\top start timeout=%s interval=0s \\\n"
                              "\top stop timeout=%s interval=0s \\\n",
                           r->allow_migrate ? "true" : "false", GP_CRM_FAILURE_TIMEOUT,
                           GP_CRM_START_TIMEOUT, GP_CRM_STOP_TIMEOUT);
    if (r->allow_migrate)
        g_string_append_printf(s, "\top migrate_to timeout=%s interval=0s \\\n"
                                  "\top migrate_from timeout=%s interval=0s \\\n",
                               GP_CRM_MIGRATE_TIMEOUT, GP_CRM_MIGRATE_TIMEOUT);
    g_string_append_printf(s, "\top monitor interval=%s timeout=%s\n", GP_CRM_MONITOR_INTERVAL,
                           GP_CRM_MONITOR_TIMEOUT);
    return g_string_free(s, FALSE);
}
