/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool cluster-config: the crm configure lines for a cluster GPU
 * domain (src/cluster/crmconfig.h), from its shared file or its libvirt
 * definition. */
#include "config.h"

#include "ledger/ledger.h"
#include "ops/domassign.h"
#include "cluster/attrs.h"
#include "cluster/crmconfig.h"
#include "virt/assign.h"
#include "virt/migrate.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

static void
demand_free(GpCrmDemand *d)
{
    g_free(d->pool);
    g_free(d);
}

/* The domain's definition from libvirt, as it would start. */
static char *
libvirt_xml(virConnectPtr conn, const char *name, GError **error)
{
    g_autoptr(virDomain) dom = gp_assign_lookup(conn, name, error);
    char *xml;
    char *out;

    if (!dom)
        return NULL;
    xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!xml) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "cannot read the definition of domain '%s' from libvirt", name);
        return NULL;
    }
    out = g_strdup(xml);
    free(xml);
    return out;
}

/* allow-migrate and why: never for whole devices; for partitions only
 * where this node's QEMU and kernel can migrate VFIO devices. */
static gboolean
migration_verdict(const GpDomAssignment *a, const char *uri, virConnectPtr *conn,
                  char **reason)
{
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_READ, NULL);
    g_autoptr(GHashTable) pools = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) store = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *where = NULL;
    g_autofree char *why = NULL;
    GpMigrateStack stack;
    gboolean can;

    for (guint i = 0; i < a->requests->len; i++) {
        const GpDomRequest *r = a->requests->pdata[i];
        const GpPool *pool = ledger ? gp_ledger_pool(ledger, r->pool, NULL) : NULL;

        if (pool)
            g_hash_table_insert(pools, pool->name, (gpointer)pool);
        else if (!r->has_type) {
            *reason = g_strdup_printf("pool %s is not defined on this node and the request "
                                      "does not record its type", r->pool);
            return FALSE;
        }
    }
    for (guint i = 0; i < a->requests->len; i++) {
        const GpDomRequest *r = a->requests->pdata[i];
        g_autoptr(GPtrArray) one = g_ptr_array_new();

        g_ptr_array_add(one, (gpointer)r);
        if (!gp_migrate_check_kinds(a->name, one, pools, NULL)) {
            *reason = g_strdup_printf("pool %s hands out whole devices, which never move with "
                                      "a running guest: the cluster stops the domain and "
                                      "starts it on another node instead", r->pool);
            return FALSE;
        }
    }
    if (!*conn) {
        g_autoptr(GError) err = NULL;

        *conn = gp_assign_connect(uri, &err);
        if (!*conn) {
            *reason = g_strdup_printf("its partitions are VFIO devices, and libvirt at %s "
                                      "cannot be asked which QEMU runs here (%s)",
                                      gp_assign_uri(uri), err->message);
            return FALSE;
        }
    }
    where = g_strdup_printf("on this node (%s)", gp_assign_uri(uri));
    gp_virt_migrate_stack(*conn, where, &stack, store);
    can = gp_migrate_stack_can_vfio(&stack, &why);
    *reason = g_strdup_printf("its partitions are VFIO devices, and %s%s", why,
                              can ? "; every node needs the same" : "");
    return can;
}

static int
run_cluster_config(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    g_autofree char *file = NULL;
    g_autofree char *config = NULL;
    GOptionEntry entries[] = {
        { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
          "The shared domain XML file the cluster starts the domain from", "PATH" },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &config,
          "With DOMAIN: where its shared file is (every node must read it)", "PATH" },
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GPtrArray) demands = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *path = NULL;
    g_autofree char *reason = NULL;
    g_autofree char *text = NULL;
    GpCrmResource r = { 0 };
    gsize len = 0;

    if (!gp_cli_parse(&gp_cmd_cluster_config, entries, &argc, &argv))
        return GP_EXIT_USAGE;
    if (argc != (file ? 1 : 2))
        return gp_cli_usage(&gp_cmd_cluster_config, "%s", file
                            ? "give a DOMAIN or --file PATH, not both"
                            : "give exactly one DOMAIN (with --config PATH) or --file PATH");
    if (file && config)
        return gp_cli_usage(&gp_cmd_cluster_config, "--config goes with DOMAIN; --file "
                            "already is the shared file");
    if (!file && !config)
        return gp_cli_usage(&gp_cmd_cluster_config, "%s: give --config PATH, the shared file "
                            "every node starts it from (virsh dumpxml --inactive "
                            "--security-info %s > PATH on shared storage)", argv[1], argv[1]);
    if (config && !g_path_is_absolute(config))
        return gp_cli_usage(&gp_cmd_cluster_config, "--config %s: give an absolute path, "
                            "the same on every node", config);
    if (file) {
        xml = gp_domassign_read_file(file, &len, &error);
        path = g_canonicalize_filename(file, NULL);
    } else {
        conn = gp_assign_connect(uri, &error);
        xml = conn ? libvirt_xml(conn, argv[1], &error) : NULL;
        len = xml ? strlen(xml) : 0;
        path = g_strdup(config);
    }
    if (!xml)
        return gp_cli_fail(error);
    a = gp_domxml_read_assignment(xml, len, &error);
    if (!a)
        return gp_cli_fail(error);
    if (a->requests->len == 0) {
        g_set_error(&error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "domain '%s' has no gpupool request: run 'gpupool assign --file %s --pool "
                    "POOL' first (a domain without pool devices needs no GpuDomain resource: "
                    "use ocf:heartbeat:VirtualDomain)", a->name, path);
        return gp_cli_fail(error);
    }
    demands = g_ptr_array_new_with_free_func((GDestroyNotify)demand_free);
    for (guint i = 0; i < a->requests->len; i++) {
        const GpDomRequest *req = a->requests->pdata[i];
        GpCrmDemand *d = g_new0(GpCrmDemand, 1);

        d->pool = g_strdup(req->pool);
        d->count = req->count;
        g_ptr_array_add(demands, d);
    }
    r.domain = a->name;
    r.config = path;
    r.hypervisor = gp_assign_uri(uri);
    r.demands = demands;
    r.allow_migrate = migration_verdict(a, uri, &conn, &reason);
    r.migrate_reason = reason;
    text = gp_crmconfig_text(&r);
    fputs(text, stdout);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_cluster_config = {
    .name = "cluster-config",
    .args = "DOMAIN --config PATH | --file PATH [--connect URI]",
    .summary = "Print the crm configure lines for a cluster GPU domain (utilization and all)",
    .help = "Prints the crm configure lines for a GPU domain of a Pacemaker cluster:\n"
            "the ocf:gpupool:GpuDomain primitive with its utilization gpupool_POOL=N,\n"
            "allow-migrate only where migration can work, timeouts, and once per\n"
            "cluster the placement strategy and the PoolCapacity clone.  Load them with\n"
            "'crm configure load update FILE'.\n"
            "\n"
            "Examples:\n"
            "  gpupool cluster-config --file /shared/vm1.xml > vm1.crm\n"
            "  crm configure load update vm1.crm\n"
            "\n"
            "Exit status: 0 on success, 1 when it cannot be shown, 2 for a mistake on\n"
            "the command line.",
    .run = run_cluster_config,
};
