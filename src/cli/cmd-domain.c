/* gpupool domain: one domain as gpupool sees it, the counterpart of
 * Get-VMAssignableDevice and Get-VMGpuPartitionAdapter: its request, the
 * devices its definition reserves, what it holds now and since when, its
 * MMIO and stop settings, and whether a start would pass now. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "state/domain.h"
#include "policy/mmio.h"
#include "ledger/ledger.h"
#include "ops/lifecycle.h"
#include "virt/assign.h"
#include "cli/cli.h"

/* What the view says about one reserved device. */
typedef struct {
    const char *state;      /* held, held-by-other, free, made-at-start, unavailable */
    const GpClaim *claim;   /* the claim on it, if any */
    char *detail;           /* a problem, or where an mdev would go */
} DeviceView;

static void
device_view(GpLedger *ledger, const GpDomain *dom, const GpDomainDevice *dev, DeviceView *v)
{
    const GpPool *pool = gp_ledger_pool(ledger, dev->pool, NULL);
    const GpPoolCapacity *cap = pool ? gp_ledger_capacity(ledger, dev->pool, NULL) : NULL;

    memset(v, 0, sizeof(*v));
    v->claim = gp_claims_find(gp_ledger_claims(ledger), dev->device);
    if (v->claim) {
        v->state = gp_claim_is_domains(v->claim, dom->uuid, dom->name) ? "held"
                                                                        : "held-by-other";
        return;
    }
    v->state = "unavailable";
    if (!pool) {
        v->detail = g_strdup_printf("pool '%s' is not defined on this host", dev->pool);
    } else if (pool->type == GP_POOL_TYPE_MDEV) {
        v->state = cap && cap->free ? "made-at-start" : "unavailable";
        v->detail = g_strdup_printf("%u more %s can be made on the pool's parents",
                                    cap ? cap->free : 0,
                                    pool->mdev_type ? pool->mdev_type : "(no type)");
    } else if (cap && g_ptr_array_find_with_equal_func(cap->free_units, dev->device,
                                                       g_str_equal, NULL)) {
        v->state = "free";
    } else {
        const GpMemberCapacity *row = cap ? gp_pool_capacity_row(cap, dev->device) : NULL;

        v->detail = g_strdup(row && row->problem ? row->problem
                                                 : "not a free device of the pool here");
    }
}

/* The other domains whose definitions reserve UNIT too (OTHERS: every
 * persistent domain's reservations, GpDomain*; NULL when unknown): a
 * copy of a definition (virt-clone) shares the original's reservation
 * until a rebalance moves it. */
static GPtrArray *
also_reserved_by(GPtrArray *others, const GpDomain *dom, const char *unit)
{
    GPtrArray *names = g_ptr_array_new();

    for (guint i = 0; others && i < others->len; i++) {
        const GpDomain *o = others->pdata[i];

        if (g_ascii_strcasecmp(o->uuid, dom->uuid) == 0)
            continue;
        for (guint j = 0; j < o->devices->len; j++) {
            const GpDomainDevice *d = o->devices->pdata[j];

            if (g_ascii_strcasecmp(d->device, unit) == 0) {
                g_ptr_array_add(names, o->name);
                break;
            }
        }
    }
    return names;
}

static char *
format_since(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);

    return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

static const GpDomChange *
find_change(const GpDomAssignment *asg, const char *what)
{
    for (guint i = 0; i < asg->changes->len; i++) {
        const GpDomChange *c = asg->changes->pdata[i];

        if (strcmp(c->what, what) == 0)
            return c;
    }
    return NULL;
}

/* "pool 'vgpu' (mdev, type nvidia-222, up to 1 per domain): 1 device, MMIO auto" */
static char *
request_text(GpLedger *ledger, const GpDomRequest *r)
{
    const GpPool *pool = gp_ledger_pool(ledger, r->pool, NULL);
    g_autofree char *mmio = r->mmio ? gp_mmio_format_size(r->mmio) : g_strdup("auto");
    g_autofree char *kind = NULL;

    if (!pool)
        kind = g_strdup("not defined on this host");
    else if (pool->type == GP_POOL_TYPE_MDEV)
        kind = g_strdup_printf("mdev, type %s, up to %u per domain",
                               pool->mdev_type ? pool->mdev_type : "(not set)",
                               pool->per_domain ? pool->per_domain : 1);
    else if (pool->type == GP_POOL_TYPE_VF)
        kind = g_strdup_printf("vf%s%s, up to %u per domain",
                               pool->vf_profile ? ", profile " : "",
                               pool->vf_profile ? pool->vf_profile : "",
                               pool->per_domain ? pool->per_domain : 1);
    else
        kind = g_strdup("pci, whole devices");
    return g_strdup_printf("pool '%s' (%s): %u device%s, MMIO %s", r->pool, kind, r->count,
                           r->count == 1 ? "" : "s", mmio);
}

static void
print_text(GpLedger *ledger, const GpDomAssignment *asg, const GpDomain *dom, gboolean active,
           GPtrArray *others, const GError *refused)
{
    const GpDomChange *crash = find_change(asg, GP_DOMXML_CHANGE_ON_CRASH);
    GPtrArray *all = gp_claims_all(gp_ledger_claims(ledger));
    guint held = 0;

    printf("Domain %s (%s): %s\n", dom->name, dom->uuid, active ? "running" : "shut off");
    if (asg->requests->len == 0)
        printf("  Request:      none (assign one with 'gpupool assign %s --pool POOL')\n",
               dom->name);
    for (guint i = 0; i < asg->requests->len; i++) {
        g_autofree char *text = request_text(ledger, asg->requests->pdata[i]);

        printf("  %-14s%s\n", i ? "" : "Request:", text);
    }
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        DeviceView v;
        g_autofree char *since = NULL;

        g_autoptr(GPtrArray) sharing = also_reserved_by(others, dom, dev->device);

        device_view(ledger, dom, dev, &v);
        if (v.claim)
            since = format_since(v.claim->since);
        printf("  %-14s%s  %s  %s", i ? "" : "Reserves:", dev->alias, dev->pool, dev->device);
        if (strcmp(v.state, "held") == 0)
            printf("  held since %s%s%s", since, v.claim->parent ? " on " : "",
                   v.claim->parent ? v.claim->parent : "");
        else if (strcmp(v.state, "held-by-other") == 0)
            printf("  held by %s since %s", v.claim->domain_name, since);
        else
            printf("  %s%s%s", v.state, v.detail ? ": " : "", v.detail ? v.detail : "");
        for (guint j = 0; j < sharing->len; j++)
            printf("%s%s", j ? ", " : "; also reserved by ", (const char *)sharing->pdata[j]);
        printf("\n");
        g_free(v.detail);
    }
    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        if (gp_claim_is_domains(c, dom->uuid, dom->name))
            held++;
    }
    printf("  %-14s%u device%s of pools\n", "Holds now:", held, held == 1 ? "" : "s");
    if (asg->pcihole64 || asg->ovmf_mmio64 || asg->phys_bits) {
        g_autofree char *hole = asg->pcihole64 ? gp_mmio_format_size(asg->pcihole64) : NULL;
        g_autofree char *ap = asg->ovmf_mmio64 ? gp_mmio_format_size(asg->ovmf_mmio64) : NULL;

        printf("  %-14s%s%s%s%s", "MMIO window:", hole ? hole : "QEMU's default",
               hole ? " (pcihole64)" : "", ap ? "; OVMF aperture " : "", ap ? ap : "");
        if (asg->phys_bits)
            printf("; guest physical address bits %u", asg->phys_bits);
        printf("\n");
    } else {
        printf("  %-14sQEMU's default\n", "MMIO window:");
    }
    if (crash)
        printf("  %-14son_crash %s (set by gpupool; was %s)\n", "Stop action:", crash->value,
               crash->previous ? crash->previous : "libvirt's default");
    else
        printf("  %-14son_crash %s\n", "Stop action:",
               asg->on_crash ? asg->on_crash : "libvirt's default (not set)");
    if (asg->requests->len == 0)
        return;
    if (refused)
        printf("  %-14swould be refused: %s\n", "Start:", refused->message);
    else
        printf("  %-14swould pass gpupool\n", "Start:");
}

static void
append_xml(GString *out, GpLedger *ledger, const GpDomAssignment *asg, const GpDomain *dom,
           gboolean active, GPtrArray *others, const GError *refused)
{
    const GpDomChange *crash = find_change(asg, GP_DOMXML_CHANGE_ON_CRASH);
    g_autofree char *head = g_markup_printf_escaped(
        "  <domain name='%s' uuid='%s' state='%s'>\n", dom->name, dom->uuid,
        active ? "running" : "shut off");

    g_string_append(out, head);
    for (guint i = 0; i < asg->requests->len; i++) {
        const GpDomRequest *r = asg->requests->pdata[i];
        const GpPool *pool = gp_ledger_pool(ledger, r->pool, NULL);
        g_autofree char *line = g_markup_printf_escaped(
            "    <request pool='%s' count='%u' mmio='%" G_GUINT64_FORMAT "'", r->pool,
            r->count, r->mmio);

        g_string_append(out, line);
        if (pool) {
            g_string_append_printf(out, " type='%s'", gp_pool_type_to_string(pool->type));
            if (pool->mdev_type)
                g_string_append_printf(out, " mdev-type='%s'", pool->mdev_type);
            if (pool->vf_profile)
                g_string_append_printf(out, " profile='%s'", pool->vf_profile);
            if (pool->type != GP_POOL_TYPE_PCI)
                g_string_append_printf(out, " per-domain='%u'",
                                       pool->per_domain ? pool->per_domain : 1);
        }
        g_string_append(out, "/>\n");
    }
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        DeviceView v;
        g_autofree char *line = NULL;
        g_autoptr(GPtrArray) sharing = also_reserved_by(others, dom, dev->device);

        device_view(ledger, dom, dev, &v);
        line = g_markup_printf_escaped("    <device alias='%s' pool='%s' unit='%s' state='%s'",
                                       dev->alias, dev->pool, dev->device, v.state);
        g_string_append(out, line);
        if (v.claim) {
            g_autofree char *who = g_markup_printf_escaped(
                " holder='%s' since='%" G_GINT64_FORMAT "'", v.claim->domain_name,
                v.claim->since);

            g_string_append(out, who);
            if (v.claim->parent)
                g_string_append_printf(out, " parent='%s'", v.claim->parent);
        }
        if (v.detail) {
            g_autofree char *d = g_markup_printf_escaped(" detail='%s'", v.detail);

            g_string_append(out, d);
        }
        if (sharing->len == 0) {
            g_string_append(out, "/>\n");
        } else {
            g_string_append(out, ">\n");
            for (guint j = 0; j < sharing->len; j++) {
                g_autofree char *o = g_markup_printf_escaped(
                    "      <also-reserved-by domain='%s'/>\n",
                    (const char *)sharing->pdata[j]);

                g_string_append(out, o);
            }
            g_string_append(out, "    </device>\n");
        }
        g_free(v.detail);
    }
    g_string_append_printf(out, "    <mmio firmware='%s' pcihole64='%" G_GUINT64_FORMAT
                           "' ovmf-aperture='%" G_GUINT64_FORMAT "' phys-bits='%u'/>\n",
                           asg->ovmf ? "ovmf" : "bios", asg->pcihole64, asg->ovmf_mmio64,
                           asg->phys_bits);
    if (crash || asg->on_crash) {
        g_autofree char *line = g_markup_printf_escaped(
            "    <on-crash value='%s' set-by-gpupool='%s'%s%s%s/>\n",
            crash ? crash->value : asg->on_crash, crash ? "yes" : "no",
            crash && crash->previous ? " previous='" : "",
            crash && crash->previous ? crash->previous : "",
            crash && crash->previous ? "'" : "");

        g_string_append(out, line);
    }
    if (asg->requests->len) {
        g_autofree char *line = refused
            ? g_markup_printf_escaped("    <start result='refused'>%s</start>\n",
                                      refused->message)
            : g_strdup("    <start result='pass'/>\n");

        g_string_append(out, line);
    }
    g_string_append(out, "  </domain>\n");
}

static int
run_domain(int argc, char **argv)
{
    gboolean xml = FALSE;
    g_autofree char *uri = NULL;
    GOptionEntry entries[] = {
        { "xml", 0, 0, G_OPTION_ARG_NONE, &xml, "Print XML (schema xml/domain-info.rng)", NULL },
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GString) out = g_string_new("<domains>\n");
    g_autoptr(GPtrArray) others = NULL;
    int rc = GP_EXIT_OK;

    if (!gp_cli_parse(&gp_cmd_domain, entries, &argc, &argv))
        return GP_EXIT_USAGE;
    if (argc < 2)
        return gp_cli_usage(&gp_cmd_domain, "give at least one DOMAIN");
    conn = gp_assign_connect(uri, &error);
    if (!conn)
        return gp_cli_fail(error);
    /* Every domain's reservations, to show which units a domain shares
     * (a copy of a definition); without them the view just omits that. */
    others = gp_assign_list_domains(conn, NULL, NULL);
    for (int i = 1; i < argc; i++) {
        g_autoptr(GpDomAssignment) asg = NULL;
        g_autoptr(GpDomain) dom = NULL;
        g_autoptr(GpDomain) probe = NULL;
        g_autoptr(GpLedger) ledger = NULL;
        g_autoptr(GError) refused = NULL;
        gboolean active = FALSE;

        asg = gp_assign_read_definition(conn, argv[i], &active, &error);
        ledger = asg ? gp_ledger_open(GP_LEDGER_READ, &error) : NULL;
        if (!ledger) {
            gp_cli_fail(error);
            g_clear_error(&error);
            rc = GP_EXIT_FAILURE;
            continue;
        }
        dom = gp_domain_new_from_assignment(asg);
        /* What a start would meet: the hook's own check, on a copy. */
        probe = gp_domain_new_from_assignment(asg);
        if (asg->requests->len &&
            gp_lifecycle_check_passthrough(asg, NULL, &refused))
            gp_lifecycle_check(probe, &refused);
        if (xml)
            append_xml(out, ledger, asg, dom, active, others, refused);
        else
            print_text(ledger, asg, dom, active, others, refused);
        if (!xml && i + 1 < argc)
            printf("\n");
    }
    if (xml) {
        g_string_append(out, "</domains>\n");
        fputs(out->str, stdout);
    }
    return rc;
}

const GpCliCommand gp_cmd_domain = {
    .name = "domain",
    .args = "DOMAIN... [--xml] [--connect URI]",
    .summary = "Show a domain's pool request, reserved and held devices, and start check",
    .help = "For each domain: the pools and counts it asks for (with the partition type or\n"
            "profile of partitioned pools), the devices its definition reserves and the\n"
            "state of each (held by it since when, held by another domain, free), how\n"
            "many devices it holds now, its 64-bit MMIO window and firmware aperture,\n"
            "the stop action gpupool set, and whether a start would pass gpupool now\n"
            "(the checks of 'gpupool check').\n"
            "\n"
            "Example:\n"
            "  gpupool domain win11 --xml\n"
            "\n"
            "Exit status: 0 when every domain could be shown, 1 otherwise, 2 for a\n"
            "mistake on the command line.",
    .run = run_domain,
};
