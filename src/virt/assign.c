/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "virt/assign.h"

#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "state/poolstore.h"
#include "policy/alloc.h"
#include "ledger/ledger.h"
#include "ops/lifecycle.h"
#include "ops/rebalance.h"
#include "ops/reconcile.h"
#include "virt/power.h"

G_DEFINE_QUARK(gp-assign-error-quark, gp_assign_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/* A metadata device's unit: its PCI address or its mdev UUID. */
static const char *
dev_id(const GpDomDevice *dev)
{
    return dev->address ? dev->address : dev->uuid;
}

/* ---- libvirt ------------------------------------------------------------ */

static void
libvirt_quiet(void *data, virErrorPtr err)
{
    /* libvirt prints every error to stderr by default; gpupool reports
     * the ones that matter itself, in one line. */
}

static const char *
libvirt_message(void)
{
    const char *msg = virGetLastErrorMessage();

    return msg ? msg : "unknown libvirt error";
}

const char *
gp_assign_uri(const char *uri)
{
    const char *env = g_getenv("LIBVIRT_DEFAULT_URI");

    if (uri && *uri)
        return uri;
    if (env && *env)
        return env;
    return GP_ASSIGN_DEFAULT_URI;
}

/* gpupool's pools, claims and devices are this host's: a connection to
 * another host's libvirt would check that host's domains against them. */
static gboolean
check_local(virConnectPtr conn, const char *uri, GError **error)
{
    g_autofree char *mine = g_strdup(g_get_host_name());
    char *theirs = virConnectGetHostname(conn);
    gboolean local = !theirs || g_ascii_strcasecmp(theirs, mine) == 0;

    if (!local)
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "%s is libvirt on host '%s', but gpupool checks domains against the "
                    "pools and devices of this host ('%s'): run gpupool on %s instead",
                    uri, theirs, mine, theirs);
    free(theirs);
    return local;
}

virConnectPtr
gp_assign_connect(const char *uri, GError **error)
{
    const char *u = gp_assign_uri(uri);
    virConnectPtr conn;

    virSetErrorFunc(NULL, libvirt_quiet);
    conn = virConnectOpen(u);
    if (!conn) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "cannot connect to libvirt at %s (%s): is libvirtd running? "
                    "(--connect URI picks another)", u, libvirt_message());
        return NULL;
    }
    if (!check_local(conn, u, error)) {
        virConnectClose(conn);
        return NULL;
    }
    return conn;
}

static const char *
conn_uri(virConnectPtr conn)
{
    static char *uri;

    g_free(uri);
    uri = virConnectGetURI(conn);
    return uri ? uri : "libvirt";
}

virDomainPtr
gp_assign_lookup(virConnectPtr conn, const char *name, GError **error)
{
    virDomainPtr dom = NULL;

    if (!name || !*name || strlen(name) > 256) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_INVALID,
                    "no domain name given: name a domain from 'virsh list --all'");
        return NULL;
    }
    if (gp_domxml_uuid_check(name))
        dom = virDomainLookupByUUIDString(conn, name);
    if (!dom)
        dom = virDomainLookupByName(conn, name);
    if (!dom) {
        virErrorPtr err = virGetLastError();

        if (!err || err->code == VIR_ERR_NO_DOMAIN)
            g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_NOT_FOUND,
                        "domain '%s' not found on %s: check 'virsh list --all'", name,
                        conn_uri(conn));
        else
            g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                        "cannot look up domain '%s' on %s: %s", name, conn_uri(conn),
                        libvirt_message());
        return NULL;
    }
    return dom;
}

static char *
inactive_xml(virDomainPtr dom, const char *name, GError **error)
{
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    char *ret;

    if (!xml) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "cannot read the definition of domain '%s': %s", name, libvirt_message());
        return NULL;
    }
    /* libvirt's memory is free()d, GLib's g_free()d: keep to one. */
    ret = g_strdup(xml);
    free(xml);
    return ret;
}

GpDomAssignment *
gp_assign_read_definition(virConnectPtr conn, const char *name, gboolean *active,
                          GError **error)
{
    g_autoptr(virDomain) vdom = gp_assign_lookup(conn, name, error);
    g_autofree char *xml = NULL;

    if (!vdom)
        return NULL;
    xml = inactive_xml(vdom, virDomainGetName(vdom), error);
    if (!xml)
        return NULL;
    if (active)
        *active = virDomainIsActive(vdom) == 1;
    /* As strict as the hook: what it would refuse, this refuses. */
    return gp_domxml_read_assignment(xml, strlen(xml), error);
}

/* A persistent domain without a managed save image. */
static gboolean
check_assignable(virDomainPtr dom, const char *name, GError **error)
{
    int persistent = virDomainIsPersistent(dom);
    int saved;

    if (persistent < 0) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "cannot ask libvirt about domain '%s': %s", name, libvirt_message());
        return FALSE;
    }
    if (persistent == 0) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "domain '%s' is transient: gpupool assigns persistent domains only; "
                    "define it with 'virsh define' first", name);
        return FALSE;
    }
    saved = virDomainHasManagedSaveImage(dom, 0);
    if (saved > 0) {
        /* Device state cannot be saved; a domain in a pool must boot. */
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "domain '%s' has a managed save image, and domains in a pool are never "
                    "saved: remove it with 'virsh managedsave-remove %s' (the guest then "
                    "boots afresh)", name, name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
define_xml(virConnectPtr conn, const char *name, const char *xml, GError **error)
{
    /* Validated against libvirt's own schema: a mistake of ours is
     * refused with libvirt's explanation instead of half-understood. */
    virDomainPtr dom = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);

    if (!dom) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "libvirt refused the new definition of domain '%s' (%s); the domain "
                    "was left as it was", name, libvirt_message());
        return FALSE;
    }
    virDomainFree(dom);
    return TRUE;
}

static void
domain_unref(gpointer dom)
{
    virDomainFree(dom);
}

GPtrArray *
gp_assign_list_running(virConnectPtr conn, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    GPtrArray *out;

    if (n < 0) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "cannot list the running domains of %s: %s", conn_uri(conn),
                    libvirt_message());
        return NULL;
    }
    out = g_ptr_array_new_full((guint)n, domain_unref);
    for (int i = 0; i < n; i++)
        g_ptr_array_add(out, doms[i]);
    free(doms);
    return out;
}

GPtrArray *
gp_assign_list_domains(virConnectPtr conn, GPtrArray *problems, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
    GPtrArray *out;

    if (n < 0) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "cannot list the domains of %s: %s", conn_uri(conn), libvirt_message());
        return NULL;
    }
    out = g_ptr_array_new_with_free_func((GDestroyNotify)gp_domain_free);
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        g_autoptr(GError) local = NULL;
        g_autofree char *xml = inactive_xml(doms[i], name, &local);
        g_autoptr(GpDomAssignment) a = NULL;
        GpDomain *dom;

        if (xml && gp_domxml_has_assignment(xml, strlen(xml)))
            a = gp_domxml_read_assignment(xml, strlen(xml), &local);
        if (local) {
            if (problems)
                g_ptr_array_add(problems, g_strdup(local->message));
        } else if (a && a->devices->len) {
            dom = gp_domain_new_from_assignment(a);
            dom->active = virDomainIsActive(doms[i]) == 1;
            g_ptr_array_add(out, dom);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    g_ptr_array_sort(out, gp_domain_compare_names);
    return out;
}

/* ---- Restarting a running domain with its new definition ------------------ */

/* Why libvirt could not start a domain, in one line: a refusal of
 * gpupool's hook without libvirt's "Hook script execution failed: ...
 * unexpected exit status 1: " around it. */
static char *
start_error(void)
{
    const char *msg = libvirt_message();
    const char *hook = strstr(msg, "gpupool: ");

    return g_strdelimit(g_strdup(hook ? hook + strlen("gpupool: ") : msg), "\n\r", ' ');
}

/* Would a start with definition XML pass gpupool now?  The hook's own
 * checks, as `gpupool check` runs them. */
static gboolean
start_would_pass(const char *xml, GError **error)
{
    g_autoptr(GpDomAssignment) asg = gp_domxml_read_assignment(xml, strlen(xml), error);
    g_autoptr(GpDomain) dom = NULL;

    if (!asg || !gp_lifecycle_check_passthrough(asg, NULL, error))
        return FALSE;
    if (asg->requests->len == 0 && asg->devices->len == 0)
        return TRUE;
    dom = gp_domain_new_from_assignment(asg);
    return gp_lifecycle_check(dom, error);
}

typedef struct {
    GpAssignResult *result;
    char *why;  /* the stop failed: libvirt's reason */
} StopNote;

static void
note_stop(virDomainPtr dom, GpPowerEvent event, const char *detail, gpointer data)
{
    StopNote *note = data;

    if (event == GP_POWER_DESTROYED)
        note->result->destroyed = TRUE;
    else if (event == GP_POWER_DESTROY_FAILED)
        note->why = g_strdup(detail ? detail : "unknown libvirt error");
}

/* The running domain VDOM (NAME) stopped, defined as NEW_XML and started
 * again; back to OLD_XML, started, when the new one does not start. */
static gboolean
restart_with(virConnectPtr conn, virDomainPtr vdom, const char *name, const char *old_xml,
             const char *new_xml, guint timeout, GpAssignResult *result, GError **error)
{
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *why = NULL;
    g_autofree char *again = NULL;
    StopNote note = { .result = result };
    int hold;
    gboolean ok = FALSE;

    if (!start_would_pass(new_xml, &err)) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "%s: left running and unchanged: a start with the new definition would "
                    "be refused: %s", name, err->message);
        return FALSE;
    }
    /* A rebalance started by the stop must not redefine the domain
     * between our define and our start. */
    hold = gp_rebalance_hold();
    g_ptr_array_add(one, vdom);
    if (gp_power_stop(one, timeout, note_stop, &note) > 0) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "%s: left running and unchanged: it did not shut down within %u s and "
                    "cannot be destroyed: %s", name, timeout, note.why);
        goto out;
    }
    if (!define_xml(conn, name, new_xml, &err)) {
        why = g_strdup(err->message);
        g_clear_error(&err);
    } else if (virDomainCreate(vdom) == 0) {
        result->restarted = TRUE;
        ok = TRUE;
        goto out;
    } else {
        g_autofree char *failed = start_error();

        why = g_strdup_printf("the new definition did not start: %s", failed);
    }
    /* All or nothing: the domain runs again as it did. */
    if (!define_xml(conn, name, old_xml, &err))
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "%s: %s; and the previous definition could not be defined again (%s): "
                    "it is stopped with the new one", name, why, err->message);
    else if (virDomainCreate(vdom) < 0)
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "%s: %s; the previous definition was defined again but did not start "
                    "either (%s): start it with 'virsh start %s'", name, why,
                    (again = start_error()), name);
    else
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "%s: %s; the previous definition was defined again and %s runs with it",
                    name, why, name);
out:
    g_free(note.why);
    if (hold >= 0)
        close(hold);
    return ok;
}

/* Defines NEW_XML for VDOM (NAME), restarting it when it runs and
 * RESTART asks for it; RESULT->running says whether it runs now with the
 * old definition. */
static gboolean
apply_definition(virConnectPtr conn, virDomainPtr vdom, const char *name, const char *old_xml,
                 const char *new_xml, const GpAssignRestart *restart, GpAssignResult *result,
                 GError **error)
{
    gboolean active = virDomainIsActive(vdom) == 1;

    if (!result->changed) {
        result->running = active;
        return TRUE;
    }
    if (active && restart && restart->restart)
        return restart_with(conn, vdom, name, old_xml, new_xml, restart->timeout, result,
                            error);
    if (!define_xml(conn, name, new_xml, error))
        return FALSE;
    result->running = virDomainIsActive(vdom) == 1;
    return TRUE;
}

/* The domain assign works on, as its persistent definition stands. */
typedef struct {
    virDomainPtr vdom;
    char *name;
    char *xml;
    GpDomXml *dom;
} Target;

static void
target_clear(Target *t)
{
    if (t->vdom)
        virDomainFree(t->vdom);
    g_free(t->name);
    g_free(t->xml);
    gp_domxml_free(t->dom);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Target, target_clear)

static gboolean
load_target(virConnectPtr conn, const char *name, Target *t, GError **error)
{
    t->vdom = gp_assign_lookup(conn, name, error);
    if (!t->vdom)
        return FALSE;
    t->name = g_strdup(virDomainGetName(t->vdom));
    if (!check_assignable(t->vdom, t->name, error))
        return FALSE;
    t->xml = inactive_xml(t->vdom, t->name, error);
    if (!t->xml)
        return FALSE;
    t->dom = gp_domxml_parse(t->xml, strlen(t->xml), error);
    return t->dom != NULL;
}

GpAssignResult *
gp_assign_domain(virConnectPtr conn, const char *name, const char *pool_name,
                 guint count, guint64 mmio, const GpAssignRestart *restart, GError **error)
{
    g_auto(Target) t = { 0 };
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) reserved = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    g_autofree char *new_xml = NULL;
    const GpPool *pool;

    if (count == 0 || count > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_INVALID,
                    "--count %u is not 1..%d", count, GP_DOMXML_MAX_COUNT);
        return NULL;
    }
    if (!gp_pool_name_check(pool_name, error) || !load_target(conn, name, &t, error))
        return NULL;
    /* A snapshot: the lock is never held across a libvirt call (assign.h). */
    ledger = gp_ledger_open(GP_LEDGER_READ, error);
    pool = ledger ? gp_ledger_pool(ledger, pool_name, error) : NULL;
    if (!pool)
        return NULL;
    /* Other domains' reservations matter where units are shared: an mdev
     * pool names each domain's own units. */
    if (pool->type != GP_POOL_TYPE_MDEV &&
        !(reserved = gp_assign_list_domains(conn, NULL, error)))
        return NULL;
    result = gp_domassign_apply(ledger, t.dom, t.xml, pool_name, count, mmio, reserved,
                                &new_xml, error);
    if (!result)
        return NULL;
    if (!apply_definition(conn, t.vdom, t.name, t.xml, new_xml, restart, result, error))
        return NULL;
    return g_steal_pointer(&result);
}

GpAssignResult *
gp_unassign_domain(virConnectPtr conn, const char *name, const GpAssignRestart *restart,
                   GError **error)
{
    g_autoptr(virDomain) vdom = gp_assign_lookup(conn, name, error);
    g_autoptr(GpDomXml) dom = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *new_xml = NULL;
    g_autofree char *dname = NULL;
    int persistent;

    if (!vdom)
        return NULL;
    dname = g_strdup(virDomainGetName(vdom));
    persistent = virDomainIsPersistent(vdom);
    if (persistent == 0) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "domain '%s' is transient: it has no persistent definition to change",
                    dname);
        return NULL;
    }
    xml = inactive_xml(vdom, dname, error);
    if (!xml)
        return NULL;
    dom = gp_domxml_parse(xml, strlen(xml), error);
    if (!dom || !(result = gp_domassign_clear(dom, xml, &new_xml, error)))
        return NULL;
    if (!apply_definition(conn, vdom, dname, xml, new_xml, restart, result, error))
        return NULL;
    return g_steal_pointer(&result);
}

GHashTable *
gp_assign_running_uuids(virConnectPtr conn, GError **error)
{
    g_autoptr(GHashTable) running = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                          NULL);
    g_autoptr(GPtrArray) doms = gp_assign_list_running(conn, error);

    if (!doms)
        return NULL;
    for (guint i = 0; i < doms->len; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(doms->pdata[i], uuid) == 0)
            g_hash_table_add(running, g_ascii_strdown(uuid, -1));
    }
    return g_steal_pointer(&running);
}

void
gp_assign_keep_fresh_claims(GHashTable *running, GpClaims *claims, gint64 t0)
{
    GPtrArray *all = gp_claims_all(claims);

    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = g_ptr_array_index(all, i);

        /* One second of slack for the clock's granularity. */
        if (c->since >= t0 - 1)
            g_hash_table_add(running, g_strdup(c->domain_uuid));
    }
}

/* The UUIDs (lower case, new strings) of the domains libvirt knows but
 * does not run. */
static GPtrArray *
list_stopped_uuids(virConnectPtr conn, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_INACTIVE);
    GPtrArray *out;

    if (n < 0) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "cannot list the domains of %s: %s", conn_uri(conn), libvirt_message());
        return NULL;
    }
    out = g_ptr_array_new_full((guint)n, g_free);
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(doms[i], uuid) == 0)
            g_ptr_array_add(out, g_ascii_strdown(uuid, -1));
        virDomainFree(doms[i]);
    }
    free(doms);
    return out;
}

/* Claims of domains that libvirt does not run any more (they stopped
 * while libvirtd was down, so no release hook ran) are dropped.  The
 * running set is read from libvirt before the lock is taken; a claim
 * made since then belongs to a domain that is starting and is kept.  The
 * partitions those claims stand for are given back first, as at release;
 * a claim whose partition cannot be given back yet stays, with a line in
 * PROBLEMS.  Then what killed hooks and commands left is put right
 * (ops/reconcile.h): claims of mdevs that are gone, gpupool's own mdevs of
 * domains that do not run that no claim owns, profiles of VFs no claim
 * holds. */
static gboolean
drop_stale_claims(virConnectPtr conn, GPtrArray *dropped, GPtrArray *problems, GError **error)
{
    gint64 t0 = g_get_real_time() / G_USEC_PER_SEC;
    g_autoptr(GHashTable) running = gp_assign_running_uuids(conn, error);
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) stopped = NULL;
    g_autoptr(GPtrArray) stale = NULL;
    guint changed;

    if (!running || !(stopped = list_stopped_uuids(conn, error)))
        return FALSE;
    ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    if (!ledger)
        return FALSE;
    gp_assign_keep_fresh_claims(running, gp_ledger_claims(ledger), t0);
    /* Domains gone from libvirt altogether (transient ones) still own
     * their mdevs by UUID. */
    stale = gp_alloc_stale_domains(gp_ledger_claims(ledger), running);
    for (guint i = 0; i < stale->len; i++)
        g_ptr_array_add(stopped, g_strdup(stale->pdata[i]));
    changed = gp_lifecycle_reconcile(ledger, running, dropped, problems);
    changed += gp_reconcile_host(ledger, stopped, NULL, dropped, problems);
    if (changed > 0)
        return gp_ledger_save(ledger, error);
    return TRUE;
}

/* A domain the hook just refused is still in libvirt's start job for a
 * moment when the rebalance that refusal started lists it: it counts as
 * running, and the refusal promised to re-point it.  So a domain that
 * runs with pool devices but holds none of them is looked at again, for
 * at most SETTLE_SECONDS in all, until it stopped (or claimed them). */
#define SETTLE_SECONDS 5

static void
settle_refused_starts(virConnectPtr conn, GPtrArray *domains, GpClaims *claims)
{
    gint64 deadline = g_get_monotonic_time() + SETTLE_SECONDS * G_USEC_PER_SEC;

    for (guint i = 0; i < domains->len; i++) {
        GpDomain *dom = domains->pdata[i];
        g_autoptr(virDomain) vdom = NULL;
        g_autoptr(GPtrArray) held = NULL;

        if (!dom->active || dom->devices->len == 0)
            continue;
        held = gp_claims_of_domain(claims, dom->uuid, dom->name);
        if (held->len > 0)
            continue;
        vdom = virDomainLookupByUUIDString(conn, dom->uuid);
        while (vdom && virDomainIsActive(vdom) == 1 && g_get_monotonic_time() < deadline)
            g_usleep(G_USEC_PER_SEC / 10);
        if (vdom && virDomainIsActive(vdom) == 0)
            dom->active = FALSE;
    }
}

/* Device -> why, for the devices of stopped DOMAINS that the ledger
 * quarantines: the reason a re-pointed domain is told. */
static GHashTable *
quarantined_devices(GpLedger *ledger, GPtrArray *domains)
{
    GHashTable *why = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    for (guint i = 0; i < domains->len; i++) {
        const GpDomain *dom = domains->pdata[i];

        for (guint j = 0; !dom->active && j < dom->devices->len; j++) {
            const GpDomainDevice *dev = dom->devices->pdata[j];
            char *reason;

            if (gp_domain_device_is_mdev(dev) || g_hash_table_contains(why, dev->device))
                continue;
            reason = gp_ledger_quarantine_of(ledger, dev->pool, dev->device);
            if (reason)
                g_hash_table_insert(why, g_strdup(dev->device), reason);
        }
    }
    return why;
}

GPtrArray *
gp_assign_rebalance(virConnectPtr conn, GPtrArray *dropped, GPtrArray *problems,
                    GError **error)
{
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) domains = NULL;
    GPtrArray *pools;
    g_autoptr(GHashTable) candidates = NULL;
    g_autoptr(GHashTable) quarantined = NULL;
    g_autoptr(GPtrArray) planned = NULL;
    GPtrArray *applied;

    gp_rebalance_begin();
    if (!drop_stale_claims(conn, dropped, problems, error))
        return NULL;
    /* A snapshot: the lock is never held across a libvirt call (assign.h). */
    ledger = gp_ledger_open(GP_LEDGER_READ, error);
    pools = ledger ? gp_ledger_pools(ledger, error) : NULL;
    if (!pools)
        return NULL;
    domains = gp_assign_list_domains(conn, problems, error);
    if (!domains)
        return NULL;
    settle_refused_starts(conn, domains, gp_ledger_claims(ledger));
    candidates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < pools->len; i++) {
        GpPool *p = g_ptr_array_index(pools, i);
        GPtrArray *units = gp_ledger_units(ledger, p->name, error);

        if (!units)
            return NULL;
        g_hash_table_insert(candidates, g_strdup(p->name), units);
    }
    quarantined = quarantined_devices(ledger, domains);
    planned = gp_reserve_rebalance_plan(domains, candidates, quarantined,
                                        gp_ledger_claims(ledger), problems);

    applied = g_ptr_array_new_with_free_func((GDestroyNotify)gp_reserve_move_free);
    for (guint i = 0; i < planned->len; i++) {
        GpReserveMove *move = g_ptr_array_index(planned, i);
        g_autoptr(GError) local = NULL;
        g_autoptr(virDomain) vdom = gp_assign_lookup(conn, move->uuid, &local);
        g_autofree char *xml = NULL;
        g_autoptr(GpDomXml) dom = NULL;
        g_autofree char *new_xml = NULL;
        g_autoptr(GpDomAssignment) now = NULL;
        gboolean still = FALSE;

        /* The definition is read again right before it is changed: an
         * admin or another rebalance may have changed it meanwhile, and a
         * domain that started meanwhile is left alone. */
        if (vdom && virDomainIsActive(vdom) == 1)
            continue;
        if (vdom)
            xml = inactive_xml(vdom, move->domain, &local);
        if (xml)
            dom = gp_domxml_parse(xml, strlen(xml), &local);
        if (dom)
            now = gp_domxml_assignment(dom, &local);
        for (guint j = 0; now && j < now->devices->len; j++) {
            GpDomDevice *d = g_ptr_array_index(now->devices, j);

            if (strcmp(d->alias, move->alias) == 0 && strcmp(dev_id(d), move->from) == 0)
                still = TRUE;
        }
        if (!local && !still)
            continue;
        if (!local)
            gp_domxml_repoint(dom, move->alias, strchr(move->to, ':') ? move->to : NULL,
                              strchr(move->to, ':') ? NULL : move->to, &local);
        if (!local) {
            new_xml = gp_domxml_format(dom);
            define_xml(conn, move->domain, new_xml, &local);
        }
        if (local) {
            if (problems)
                g_ptr_array_add(problems, g_strdup_printf("%s: %s", move->domain,
                                                          local->message));
            continue;
        }
        g_ptr_array_add(applied, g_ptr_array_steal_index(planned, i));
        i--;
    }
    return applied;
}
