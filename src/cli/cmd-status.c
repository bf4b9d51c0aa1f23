/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool status: every pool's devices, who holds them since when, and
 * which domains reserve them. */
#include "config.h"

#include "ledger/ledger.h"
#include "virt/assign.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>

/* Domains (GpDomain*) whose definition reserves DEVICE. */
static GPtrArray *
reserved_by(GPtrArray *domains, const char *device, GPtrArray *aliases)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; domains && i < domains->len; i++) {
        GpDomain *d = g_ptr_array_index(domains, i);

        for (guint j = 0; j < d->devices->len; j++) {
            GpDomainDevice *dev = g_ptr_array_index(d->devices, j);

            if (g_strcmp0(dev->device, device) == 0) {
                g_ptr_array_add(out, d);
                g_ptr_array_add(aliases, dev->alias);
            }
        }
    }
    return out;
}

/* The units of POOL to list: those held and those free; for mdev pools
 * the mdevs domains hold (the free ones exist only once made). */
static GPtrArray *
units_of(GpLedger *ledger, const GpPool *pool, GError **error)
{
    GPtrArray *all = gp_claims_all(gp_ledger_claims(ledger));
    GPtrArray *units;

    if (pool->type != GP_POOL_TYPE_MDEV)
        return gp_ledger_units(ledger, pool->name, error);
    units = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        if (strcmp(c->pool, pool->name) == 0)
            g_ptr_array_add(units, g_strdup(c->device));
    }
    return units;
}

static char *
format_time(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);

    return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

/* The state of unit ID: free, held, or stale (held by a domain RUNNING,
 * when known, does not have: rebalance drops that claim). */
static const char *
state_of(const GpClaim *c, GHashTable *running)
{
    if (!c)
        return "free";
    if (running && !g_hash_table_contains(running, c->domain_uuid))
        return "stale";
    return "held";
}

/* "vm1, vm2 (stopped)": the domains whose definition reserves DEVICE. */
static char *
reserved_text(GPtrArray *domains, const char *device)
{
    g_autoptr(GPtrArray) aliases = g_ptr_array_new();
    g_autoptr(GPtrArray) res = reserved_by(domains, device, aliases);
    GString *r = g_string_new(NULL);

    for (guint k = 0; k < res->len; k++) {
        GpDomain *d = g_ptr_array_index(res, k);

        g_string_append_printf(r, "%s%s%s", k ? ", " : "", d->name,
                               d->active ? "" : " (stopped)");
    }
    return g_string_free(r, FALSE);
}

/* Quarantined members: those nobody holds as rows of their own (they are
 * no unit: neither held nor free), then every one's reason and fix. */
static void
print_quarantined(const GpPoolCapacity *cap, GPtrArray *domains)
{
    for (guint j = 0; j < cap->rows->len; j++) {
        const GpMemberCapacity *row = cap->rows->pdata[j];
        g_autofree char *reserved = NULL;

        if (!row->quarantined || row->held)
            continue;
        reserved = reserved_text(domains, row->address);
        printf("  %-36s %-5s %-32s %-19s %s\n", row->address, "quarantined", "", "", reserved);
    }
    for (guint j = 0; j < cap->rows->len; j++) {
        const GpMemberCapacity *row = cap->rows->pdata[j];

        if (row->quarantined)
            printf("  %s: %s\n", row->address, row->problem);
    }
}

static void
print_text(GPtrArray *pools, GHashTable *devices_of, GHashTable *caps, GpClaims *claims,
           GPtrArray *domains, GHashTable *running)
{
    guint stale = 0;

    if (pools->len == 0) {
        printf("No pools defined: create one with 'gpupool pool-create NAME'\n");
        return;
    }
    for (guint i = 0; i < pools->len; i++) {
        GpPool *pool = g_ptr_array_index(pools, i);
        GPtrArray *devs = g_hash_table_lookup(devices_of, pool->name);
        const GpPoolCapacity *cap = g_hash_table_lookup(caps, pool->name);

        printf("%sPool %s (%s): %u device(s), %u held, %u free", i ? "\n" : "", pool->name,
               gp_pool_type_to_string(pool->type), cap->capacity, cap->held, cap->free);
        if (cap->quarantined)
            printf(", %u quarantined", cap->quarantined);
        printf("\n");
        if (pool->type == GP_POOL_TYPE_MDEV && cap->known)
            printf("  %u more %s can be created on its parents\n", cap->free, pool->mdev_type);
        if (devs->len == 0 && cap->quarantined == 0)
            continue;
        printf("  %-36s %-5s %-32s %-19s %s\n", "DEVICE", "STATE", "HELD BY", "SINCE",
               domains ? "RESERVED BY" : "");
        for (guint j = 0; j < devs->len; j++) {
            const char *id = g_ptr_array_index(devs, j);
            const GpClaim *c = gp_claims_find(claims, id);
            g_autofree char *since = c ? format_time(c->since) : g_strdup("");
            g_autofree char *reserved = reserved_text(domains, id);

            printf("  %-36s %-5s %-32s %-19s %s\n", id, state_of(c, running),
                   c ? c->domain_name : "", since, reserved);
            stale += strcmp(state_of(c, running), "stale") == 0;
        }
        print_quarantined(cap, domains);
    }
    if (stale)
        printf("\n%u stale claim%s: the domain holding %s does not run (it stopped while "
               "libvirtd was down); run 'gpupool rebalance' to give %s back\n", stale,
               stale == 1 ? "" : "s", stale == 1 ? "it" : "them",
               stale == 1 ? "it" : "them");
}

static void
print_xml(GPtrArray *pools, GHashTable *devices_of, GHashTable *caps, GpClaims *claims,
          GPtrArray *domains, GHashTable *running)
{
    xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *root = xmlNewDocNode(doc, NULL, (const xmlChar *)"status", NULL);
    xmlChar *out = NULL;
    int len = 0;

    xmlDocSetRootElement(doc, root);
    xmlSetProp(root, (const xmlChar *)"reservations",
               (const xmlChar *)(domains ? "known" : "unknown"));
    /* Whether a claim of a domain that does not run could be told. */
    xmlSetProp(root, (const xmlChar *)"running",
               (const xmlChar *)(running ? "known" : "unknown"));
    for (guint i = 0; i < pools->len; i++) {
        GpPool *pool = g_ptr_array_index(pools, i);
        GPtrArray *devs = g_hash_table_lookup(devices_of, pool->name);
        const GpPoolCapacity *cap = g_hash_table_lookup(caps, pool->name);
        xmlNode *p = xmlNewChild(root, NULL, (const xmlChar *)"pool", NULL);
        char buf[32];

        xmlSetProp(p, (const xmlChar *)"name", (const xmlChar *)pool->name);
        xmlSetProp(p, (const xmlChar *)"type",
                   (const xmlChar *)gp_pool_type_to_string(pool->type));
        for (guint j = 0; j < devs->len; j++) {
            const char *id = g_ptr_array_index(devs, j);
            const GpClaim *c = gp_claims_find(claims, id);
            const GpMemberCapacity *row;
            xmlNode *d = xmlNewChild(p, NULL, (const xmlChar *)"device", NULL);
            g_autoptr(GPtrArray) aliases = g_ptr_array_new();
            g_autoptr(GPtrArray) res = reserved_by(domains, id, aliases);

            xmlSetProp(d, (const xmlChar *)"id", (const xmlChar *)id);
            xmlSetProp(d, (const xmlChar *)"state", (const xmlChar *)state_of(c, running));
            row = gp_pool_capacity_row(cap, id);
            if (row && row->quarantined)
                xmlSetProp(d, (const xmlChar *)"quarantine", (const xmlChar *)row->problem);
            if (c) {
                xmlNode *h = xmlNewChild(d, NULL, (const xmlChar *)"holder", NULL);

                xmlSetProp(h, (const xmlChar *)"name", (const xmlChar *)c->domain_name);
                xmlSetProp(h, (const xmlChar *)"uuid", (const xmlChar *)c->domain_uuid);
                g_snprintf(buf, sizeof(buf), "%" G_GINT64_FORMAT, c->since);
                xmlSetProp(h, (const xmlChar *)"since", (const xmlChar *)buf);
            }
            for (guint k = 0; k < res->len; k++) {
                GpDomain *dom = g_ptr_array_index(res, k);
                xmlNode *r = xmlNewChild(d, NULL, (const xmlChar *)"reserved-by", NULL);

                xmlSetProp(r, (const xmlChar *)"name", (const xmlChar *)dom->name);
                xmlSetProp(r, (const xmlChar *)"uuid", (const xmlChar *)dom->uuid);
                xmlSetProp(r, (const xmlChar *)"alias",
                           (const xmlChar *)g_ptr_array_index(aliases, k));
                xmlSetProp(r, (const xmlChar *)"running",
                           (const xmlChar *)(dom->active ? "yes" : "no"));
            }
        }
        for (guint j = 0; j < cap->rows->len; j++) {
            const GpMemberCapacity *row = cap->rows->pdata[j];
            xmlNode *d;

            if (!row->quarantined || row->held)
                continue;
            d = xmlNewChild(p, NULL, (const xmlChar *)"device", NULL);
            xmlSetProp(d, (const xmlChar *)"id", (const xmlChar *)row->address);
            xmlSetProp(d, (const xmlChar *)"state", (const xmlChar *)"quarantined");
            xmlSetProp(d, (const xmlChar *)"quarantine", (const xmlChar *)row->problem);
        }
        g_snprintf(buf, sizeof(buf), "%u", cap->capacity);
        xmlSetProp(p, (const xmlChar *)"devices", (const xmlChar *)buf);
        g_snprintf(buf, sizeof(buf), "%u", cap->held);
        xmlSetProp(p, (const xmlChar *)"held", (const xmlChar *)buf);
        g_snprintf(buf, sizeof(buf), "%u", cap->free);
        xmlSetProp(p, (const xmlChar *)"free", (const xmlChar *)buf);
    }
    xmlDocDumpFormatMemoryEnc(doc, &out, &len, "UTF-8", 1);
    fwrite(out, 1, (size_t)len, stdout);
    xmlFree(out);
    xmlFreeDoc(doc);
}

static int
run_status(int argc, char **argv)
{
    gboolean xml = FALSE;
    gboolean no_libvirt = FALSE;
    g_autofree char *uri = NULL;
    GOptionEntry entries[] = {
        { "xml", 0, 0, G_OPTION_ARG_NONE, &xml, "Print XML (schema xml/status.rng)", NULL },
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
          "libvirt URI for the reservations (default $LIBVIRT_DEFAULT_URI or qemu:///system)",
          "URI" },
        { "no-libvirt", 0, 0, G_OPTION_ARG_NONE, &no_libvirt,
          "Do not ask libvirt which domains reserve devices", NULL },
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    GPtrArray *pools;
    g_autoptr(GPtrArray) domains = NULL;
    g_autoptr(GHashTable) devices_of = NULL;
    g_autoptr(GHashTable) caps = NULL;
    g_autoptr(GHashTable) running = NULL;
    gint64 t0 = g_get_real_time() / G_USEC_PER_SEC;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_status, entries, &argc, &argv, 0, "takes no arguments");
    if (rc != GP_EXIT_OK)
        return rc;
    if (!no_libvirt) {
        g_autoptr(virConnect) conn = gp_assign_connect(uri, &error);

        /* Asked before the claims are read, as rebalance asks. */
        if (conn && (running = gp_assign_running_uuids(conn, &error)))
            domains = gp_assign_list_domains(conn, NULL, &error);
        if (!domains) {
            /* Pools and claims are still worth showing. */
            gp_cli_warn("reservations unknown: %s", error->message);
            g_clear_error(&error);
            g_clear_pointer(&running, g_hash_table_unref);
        }
    }
    ledger = gp_ledger_open(GP_LEDGER_READ, &error);
    pools = ledger ? gp_ledger_pools(ledger, &error) : NULL;
    if (!pools)
        return gp_cli_fail(error);
    if (running)
        gp_assign_keep_fresh_claims(running, gp_ledger_claims(ledger), t0);
    devices_of = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify)g_ptr_array_unref);
    caps = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < pools->len; i++) {
        GpPool *pool = g_ptr_array_index(pools, i);
        const GpPoolCapacity *cap = gp_ledger_capacity(ledger, pool->name, &error);
        GPtrArray *units = cap ? units_of(ledger, pool, &error) : NULL;

        if (!units)
            return gp_cli_fail(error);
        g_hash_table_insert(caps, pool->name, (gpointer)cap);
        g_hash_table_insert(devices_of, pool->name, units);
    }
    if (xml)
        print_xml(pools, devices_of, caps, gp_ledger_claims(ledger), domains, running);
    else
        print_text(pools, devices_of, caps, gp_ledger_claims(ledger), domains, running);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_status = {
    .name = "status",
    .args = "[--xml] [--connect URI] [--no-libvirt]",
    .summary = "Show pools, devices, holders since when, and reservations",
    .help = "Every pool: its units, the domain holding each since when, and which\n"
            "domains' definitions reserve it (from libvirt unless --no-libvirt).  A unit\n"
            "whose holder libvirt does not run is 'stale': its domain stopped while\n"
            "libvirtd was down; 'gpupool rebalance' gives it back.  A device that\n"
            "broke or vanished, or a PF or PCI mdev parent that did (config space\n"
            "all-ones, gone from the bus; for whole devices also no reset method), is\n"
            "'quarantined': nothing of it is handed out, it is listed with the reason\n"
            "and the fix; a domain holding it keeps its claim until it stops.\n"
            "\n"
            "Examples:\n"
            "  gpupool status\n"
            "  gpupool status --xml --no-libvirt\n"
            "\n"
            "Exit status: 0 on success, 1 when it cannot be shown, 2 for a mistake on\n"
            "the command line.",
    .run = run_status,
};
