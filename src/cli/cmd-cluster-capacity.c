/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool cluster-capacity: what this node publishes to its Pacemaker
 * cluster per pool, for the PoolCapacity resource agent (cluster/publish.h):
 *
 *   gpupool_gpus 2                          node utilization, one line per pool
 *   gpupool_gpus_model NVIDIA ... (--inventory)  node attributes, NAME VALUE
 *
 * and --xml with both and each member device (xml/cluster-capacity.rng). */
#include "config.h"

#include "cluster/publish.h"
#include "cluster/runtime.h"
#include "cli/cli.h"

#include <stdio.h>

#include <libxml/tree.h>

static void
set_uint(xmlNode *node, const char *name, guint64 value)
{
    char buf[32];

    g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, value);
    xmlSetProp(node, (const xmlChar *)name, (const xmlChar *)buf);
}

static void
print_xml(GPtrArray *pools)
{
    xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *root = xmlNewDocNode(doc, NULL, (const xmlChar *)"cluster-capacity", NULL);
    xmlChar *out = NULL;
    int len = 0;

    xmlDocSetRootElement(doc, root);
    xmlSetProp(root, (const xmlChar *)"node", (const xmlChar *)gp_runtime_node_name());
    for (guint i = 0; i < pools->len; i++) {
        const GpPublishPool *p = pools->pdata[i];
        xmlNode *pn = xmlNewChild(root, NULL, (const xmlChar *)"pool", NULL);

        xmlSetProp(pn, (const xmlChar *)"name", (const xmlChar *)p->pool);
        xmlSetProp(pn, (const xmlChar *)"type", (const xmlChar *)gp_pool_type_to_string(p->type));
        xmlSetProp(pn, (const xmlChar *)"attribute", (const xmlChar *)p->attribute);
        set_uint(pn, "value", p->value);
        set_uint(pn, "capacity", p->capacity);
        set_uint(pn, "held", p->held);
        set_uint(pn, "held-by-cluster", p->held_cluster);
        set_uint(pn, "held-by-others", p->held_other);
        set_uint(pn, "free", p->free);
        for (guint j = 0; j < p->devices->len; j++) {
            const GpPublishDevice *d = p->devices->pdata[j];
            xmlNode *dn = xmlNewChild(pn, NULL, (const xmlChar *)"device", NULL);

            xmlSetProp(dn, (const xmlChar *)"address", (const xmlChar *)d->address);
            xmlSetProp(dn, (const xmlChar *)"present",
                       (const xmlChar *)(d->present ? "yes" : "no"));
            if (d->ids)
                xmlSetProp(dn, (const xmlChar *)"ids", (const xmlChar *)d->ids);
            if (d->model)
                xmlSetProp(dn, (const xmlChar *)"model", (const xmlChar *)d->model);
            if (d->vram)
                set_uint(dn, "vram", d->vram);
            if (d->backend) {
                set_uint(dn, "partitions", d->partitions);
                xmlSetProp(dn, (const xmlChar *)"backend", (const xmlChar *)d->backend);
            }
        }
        for (guint j = 0; j < p->inventory->len; j++) {
            const GpPublishAttr *a = p->inventory->pdata[j];
            xmlNode *an = xmlNewChild(pn, NULL, (const xmlChar *)"attribute", NULL);

            xmlSetProp(an, (const xmlChar *)"name", (const xmlChar *)a->name);
            xmlSetProp(an, (const xmlChar *)"value", (const xmlChar *)a->value);
        }
    }
    xmlDocDumpFormatMemoryEnc(doc, &out, &len, "UTF-8", 1);
    fwrite(out, 1, len, stdout);
    xmlFree(out);
    xmlFreeDoc(doc);
}

static int
run_cluster_capacity(int argc, char **argv)
{
    gboolean xml = FALSE;
    gboolean inventory = FALSE;
    GOptionEntry entries[] = {
        { "inventory", 'i', 0, G_OPTION_ARG_NONE, &inventory,
          "Print the inventory node attributes (NAME VALUE per line) instead", NULL },
        { "xml", 0, 0, G_OPTION_ARG_NONE, &xml,
          "Print capacity, inventory and member devices as XML (xml/cluster-capacity.rng)",
          NULL },
        { NULL }
    };
    g_autoptr(GPtrArray) pools = NULL;
    g_autoptr(GError) error = NULL;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_cluster_capacity, entries, &argc, &argv, 0,
                           "takes no arguments besides its options");
    if (rc != GP_EXIT_OK)
        return rc;
    if (xml && inventory)
        return gp_cli_usage(&gp_cmd_cluster_capacity, "--xml already holds the inventory: "
                            "give one of --xml and --inventory");
    pools = gp_publish_collect(xml || inventory, &error);
    if (!pools)
        return gp_cli_fail(error);
    if (xml) {
        print_xml(pools);
        return GP_EXIT_OK;
    }
    for (guint i = 0; i < pools->len; i++) {
        const GpPublishPool *p = pools->pdata[i];

        if (!inventory) {
            printf("%s %u\n", p->attribute, p->value);
            continue;
        }
        for (guint j = 0; j < p->inventory->len; j++) {
            const GpPublishAttr *a = p->inventory->pdata[j];

            printf("%s %s\n", a->name, a->value);
        }
    }
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_cluster_capacity = {
    .name = "cluster-capacity",
    .args = "[--inventory | --xml]",
    .summary = "What this node can give the cluster per pool (node utilization gpupool_POOL)",
    .help = "Per pool, the units this node can give cluster domains: the pool's\n"
            "capacity minus what domains the cluster does not manage hold, never less\n"
            "than what cluster domains hold here.  ocf:gpupool:PoolCapacity publishes\n"
            "it as node utilization gpupool_POOL; --inventory prints the attributes\n"
            "'pool-check --cluster' compares (model, IDs, VRAM, partitions).\n"
            "\n"
            "Examples:\n"
            "  gpupool cluster-capacity\n"
            "  gpupool cluster-capacity --inventory\n"
            "\n"
            "Exit status: 0 on success, 1 when it cannot be shown, 2 for a mistake on\n"
            "the command line.",
    .run = run_cluster_capacity,
};
