/* SPDX-License-Identifier: GPL-2.0-or-later */
/* migrate-check: the rules of policy/migrate.h with libvirt's facts. */
#include "config.h"

#include "virt/migrate.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "ledger/ledger.h"
#include "virt/assign.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/* Is CONN on this host (its URI names no host)? */
static gboolean
conn_is_local(virConnectPtr conn)
{
    char *uri = virConnectGetURI(conn);
    g_autoptr(GUri) parsed = uri ? g_uri_parse(uri, G_URI_FLAGS_NONE, NULL) : NULL;
    gboolean local = parsed && (!g_uri_get_host(parsed) || !*g_uri_get_host(parsed));

    free(uri);
    return local;
}

void
gp_virt_migrate_stack(virConnectPtr conn, const char *where, GpMigrateStack *stack,
                      GPtrArray *store)
{
    const char *type = virConnectGetType(conn);
    unsigned long version = 0;
    struct utsname u;

    memset(stack, 0, sizeof(*stack));
    stack->where = where;
    if (type) {
        char *copy = g_strdup(type);

        g_ptr_array_add(store, copy);
        stack->hypervisor = copy;
    }
    if (virConnectGetVersion(conn, &version) == 0)
        stack->version = version;
    if (conn_is_local(conn) && uname(&u) == 0) {
        char *copy = g_strdup(u.release);

        g_ptr_array_add(store, copy);
        stack->kernel = copy;
    }
}

/* The definition the domain runs with (or would start with). */
static char *
domain_xml(virDomainPtr dom)
{
    unsigned int flags = VIR_DOMAIN_XML_SECURE;
    char *xml;
    char *out;

    if (virDomainIsActive(dom) != 1)
        flags |= VIR_DOMAIN_XML_INACTIVE;
    xml = virDomainGetXMLDesc(dom, flags);
    if (!xml)
        return NULL;
    out = g_strdup(xml);
    free(xml);
    return out;
}

static char *
where_of(virConnectPtr conn, const char *side)
{
    char *uri = virConnectGetURI(conn);
    char *out = g_strdup_printf("%s (%s)", side, uri ? uri : "libvirt");

    free(uri);
    return out;
}

/* MESSAGE without its leading "NAME: ". */
static char *
without_name(const char *message, const char *name)
{
    g_autofree char *prefix = g_strdup_printf("%s: ", name);

    return g_strdup(g_str_has_prefix(message, prefix) ? message + strlen(prefix) : message);
}

gboolean
gp_virt_migrate_check(virConnectPtr conn, virConnectPtr to, const char *name, char **answer,
                      GError **error)
{
    g_autoptr(virDomain) dom = gp_assign_lookup(conn, name, error);
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GPtrArray) store = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) refusal = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *here = NULL;
    g_autofree char *there = NULL;
    g_autofree char *why_here = NULL;
    g_autofree char *why_there = NULL;
    g_autofree char *what = NULL;
    GpMigrateStack src, dst;

    *answer = NULL;
    if (!dom)
        return FALSE;
    xml = domain_xml(dom);
    if (!xml) {
        g_set_error(error, GP_MIGRATE_ERROR, GP_MIGRATE_ERROR_UNKNOWN,
                    "cannot read the definition of domain '%s' from libvirt", name);
        return FALSE;
    }
    a = gp_domxml_read_assignment(xml, strlen(xml), error);
    if (!a)
        return FALSE;
    if (a->requests->len == 0) {
        *answer = g_strdup("it has no pool devices: gpupool does not stand in its way");
        return TRUE;
    }
    /* The pools as this host defines them, for requests that do not
     * record their type; a pool this host lacks is no reason here. */
    ledger = gp_ledger_open(GP_LEDGER_READ, error);
    if (!ledger)
        return FALSE;
    pools = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < a->requests->len; i++) {
        const GpDomRequest *r = a->requests->pdata[i];
        const GpPool *pool = gp_ledger_pool(ledger, r->pool, NULL);
        GpPoolType type = r->has_type ? r->type : pool ? pool->type : GP_POOL_TYPE_PCI;

        if (pool)
            g_hash_table_insert(pools, pool->name, (gpointer)pool);
        if (!r->has_type && !pool) {
            *answer = g_strdup_printf("its metadata does not record what pool '%s' gives it "
                                      "and this host has no such pool: run 'gpupool assign "
                                      "%s --pool %s' and restart it", r->pool, a->name,
                                      r->pool);
            return FALSE;
        }
        g_ptr_array_add(kinds, g_strdup_printf("%s %s%s%s", r->pool,
                                               type == GP_POOL_TYPE_MDEV ? "mdevs" : "VFs",
                                               r->profile ? " of profile " : "",
                                               r->profile ? r->profile : ""));
    }
    if (!gp_migrate_check_kinds(a->name, a->requests, pools, &refusal)) {
        *answer = without_name(refusal->message, a->name);
        return FALSE;
    }
    g_ptr_array_add(kinds, NULL);
    what = g_strjoinv(", ", (char **)kinds->pdata);
    here = where_of(conn, "here");
    gp_virt_migrate_stack(conn, here, &src, store);
    if (!gp_migrate_stack_can_vfio(&src, &why_here)) {
        *answer = g_strdup_printf("its partitions (%s) are VFIO devices, and %s; stop the "
                                  "domain and start it on the destination, or let the "
                                  "cluster restart it", what, why_here);
        return FALSE;
    }
    if (to) {
        there = where_of(to, "on the destination");
        gp_virt_migrate_stack(to, there, &dst, store);
        if (!gp_migrate_stack_can_vfio(&dst, &why_there)) {
            *answer = g_strdup_printf("its partitions (%s) are VFIO devices, and %s; stop "
                                      "the domain and start it on the destination, or let "
                                      "the cluster restart it", what, why_there);
            return FALSE;
        }
    }
    *answer = g_strdup_printf("its partitions (%s) can move: %s%s%s; the destination's hook "
                              "points them at free partitions of the same profile there, or "
                              "refuses naming the free count", what, why_here,
                              why_there ? "; " : "", why_there ? why_there : "");
    return TRUE;
}
