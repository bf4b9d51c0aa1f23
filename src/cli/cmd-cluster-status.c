/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool cluster-status: the cluster's GPU picture from its CIB
 * (src/cluster/placement.h): every node's pools, where each GPU domain
 * runs, and why each stopped one is stopped.  Never over ssh: the CIB
 * comes from `cibadmin --query` or --cib FILE. */
#include "config.h"

#include "cluster/cib.h"
#include "cluster/placement.h"
#include "cli/cli.h"

#include <stdio.h>

#include <libxml/tree.h>

static void
print_text(const GpPlacement *p)
{
    for (guint i = 0; i < p->nodes->len; i++) {
        const GpPlacementNode *pn = p->nodes->pdata[i];
        g_autoptr(GString) line = g_string_new(NULL);
        guint shown = 0;

        g_string_append_printf(line, "%s: %s", pn->node->name, pn->state);
        for (guint j = 0; j < pn->pools->len; j++) {
            const GpPlacementPool *pp = pn->pools->pdata[j];

            if (!pp->published)
                continue;
            /* A node that is gone gives nothing, whatever it published. */
            if (!pn->node->online)
                g_string_append_printf(line, "%s %s %u", shown ? "," : "; publishes", pp->pool,
                                       pp->capacity);
            else
                g_string_append_printf(line, "%s %s %u of %u free (%u held)",
                                       shown ? "," : ";", pp->pool, pp->free, pp->capacity,
                                       pp->held);
            shown++;
        }
        if (!shown)
            g_string_append(line, "; publishes no pool");
        printf("%s\n", line->str);
    }
    for (guint i = 0; i < p->domains->len; i++) {
        const GpPlacementDomain *d = p->domains->pdata[i];
        g_autofree char *demand = gp_placement_demand_text(d->rsc);

        if (d->running)
            printf("%s: running on %s (%s)\n", d->rsc->id, d->where, demand);
        else
            printf("%s: stopped: %s\n", d->rsc->id, d->reason);
        /* A stopped domain's reason names its failures already. */
        if (d->failed && d->running)
            printf("%s: failed before: %s\n", d->rsc->id, d->failed);
    }
}

static void
set_uint(xmlNode *node, const char *name, guint value)
{
    char buf[16];

    g_snprintf(buf, sizeof(buf), "%u", value);
    xmlSetProp(node, (const xmlChar *)name, (const xmlChar *)buf);
}

static void
print_xml(const GpPlacement *p)
{
    xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *root = xmlNewDocNode(doc, NULL, (const xmlChar *)"cluster-status", NULL);
    xmlChar *out = NULL;
    int len = 0;

    xmlDocSetRootElement(doc, root);
    for (guint i = 0; i < p->warnings->len; i++)
        xmlNewTextChild(root, NULL, (const xmlChar *)"warning",
                        (const xmlChar *)p->warnings->pdata[i]);
    for (guint i = 0; i < p->nodes->len; i++) {
        const GpPlacementNode *pn = p->nodes->pdata[i];
        xmlNode *n = xmlNewChild(root, NULL, (const xmlChar *)"node", NULL);

        xmlSetProp(n, (const xmlChar *)"name", (const xmlChar *)pn->node->name);
        xmlSetProp(n, (const xmlChar *)"state", (const xmlChar *)pn->state);
        for (guint j = 0; j < pn->pools->len; j++) {
            const GpPlacementPool *pp = pn->pools->pdata[j];
            xmlNode *pool;

            if (!pp->published)
                continue;
            pool = xmlNewChild(n, NULL, (const xmlChar *)"pool", NULL);
            xmlSetProp(pool, (const xmlChar *)"name", (const xmlChar *)pp->pool);
            set_uint(pool, "capacity", pp->capacity);
            set_uint(pool, "held", pp->held);
            set_uint(pool, "free", pp->free);
        }
    }
    for (guint i = 0; i < p->domains->len; i++) {
        const GpPlacementDomain *d = p->domains->pdata[i];
        xmlNode *dn = xmlNewChild(root, NULL, (const xmlChar *)"domain", NULL);
        GHashTableIter iter;
        gpointer pool, count;

        xmlSetProp(dn, (const xmlChar *)"resource", (const xmlChar *)d->rsc->id);
        xmlSetProp(dn, (const xmlChar *)"state",
                   (const xmlChar *)(d->running ? "running" : "stopped"));
        if (d->rsc->config)
            xmlSetProp(dn, (const xmlChar *)"config", (const xmlChar *)d->rsc->config);
        for (guint j = 0; d->running && j < d->rsc->running_on->len; j++) {
            xmlNode *on = xmlNewChild(dn, NULL, (const xmlChar *)"on", NULL);

            xmlSetProp(on, (const xmlChar *)"node",
                       (const xmlChar *)d->rsc->running_on->pdata[j]);
        }
        g_hash_table_iter_init(&iter, d->rsc->demand);
        while (g_hash_table_iter_next(&iter, &pool, &count)) {
            xmlNode *dem = xmlNewChild(dn, NULL, (const xmlChar *)"demand", NULL);

            xmlSetProp(dem, (const xmlChar *)"pool", (const xmlChar *)pool);
            set_uint(dem, "count", GPOINTER_TO_UINT(count));
        }
        if (d->reason)
            xmlNewTextChild(dn, NULL, (const xmlChar *)"reason", (const xmlChar *)d->reason);
        if (d->failed)
            xmlNewTextChild(dn, NULL, (const xmlChar *)"failed", (const xmlChar *)d->failed);
    }
    xmlDocDumpFormatMemoryEnc(doc, &out, &len, "UTF-8", 1);
    fwrite(out, 1, len, stdout);
    xmlFree(out);
    xmlFreeDoc(doc);
}

static int
run_cluster_status(int argc, char **argv)
{
    gboolean xml = FALSE;
    g_autofree char *cib_file = NULL;
    GOptionEntry entries[] = {
        { "cib", 0, 0, G_OPTION_ARG_FILENAME, &cib_file,
          "Read this saved CIB instead of asking the cluster (cibadmin --query)", "FILE" },
        { "xml", 0, 0, G_OPTION_ARG_NONE, &xml,
          "Print it as XML (xml/cluster-status.rng)", NULL },
        { NULL }
    };
    g_autoptr(GpCib) cib = NULL;
    g_autoptr(GpPlacement) p = NULL;
    g_autoptr(GError) error = NULL;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_cluster_status, entries, &argc, &argv, 0,
                           "takes no arguments besides its options");
    if (rc != GP_EXIT_OK)
        return rc;
    cib = gp_cib_load(cib_file, &error);
    if (!cib)
        return gp_cli_fail(error);
    p = gp_placement_of(cib);
    if (xml) {
        print_xml(p);
        return GP_EXIT_OK;
    }
    gp_cli_warn_lines(p->warnings);
    print_text(p);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_cluster_status = {
    .name = "cluster-status",
    .args = "[--xml] [--cib FILE]",
    .summary = "Every node's pools, where each GPU domain runs, why the others are stopped",
    .help = "From the Pacemaker CIB (cibadmin, or a saved CIB with --cib): every\n"
            "node's pools with capacity, held and free, where each GPU domain runs, and\n"
            "for each stopped GPU domain the reason (no node with a free device, node\n"
            "standby, failed start, target-role Stopped, ...).\n"
            "\n"
            "Examples:\n"
            "  gpupool cluster-status\n"
            "  gpupool cluster-status --cib saved-cib.xml --xml\n"
            "\n"
            "Exit status: 0 on success, 1 when it cannot be shown, 2 for a mistake on\n"
            "the command line.",
    .run = run_cluster_status,
};
