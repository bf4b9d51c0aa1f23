#include "config.h"

#include "virt/assign.h"

#include <string.h>

#include <libvirt/virterror.h>

#include "host/host.h"
#include "state/poolstore.h"
#include "policy/alloc.h"
#include "policy/mmio.h"
#include "ledger/ledger.h"
#include "ops/lifecycle.h"
#include "ops/partition.h"
#include "ops/rebalance.h"

G_DEFINE_QUARK(gp-assign-error-quark, gp_assign_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

void
gp_assign_result_free(GpAssignResult *result)
{
    if (!result)
        return;
    g_free(result->domain);
    if (result->devices)
        g_ptr_array_unref(result->devices);
    g_free(result);
}

/* A metadata device's unit: its PCI address or its mdev UUID. */
static const char *
dev_id(const GpDomDevice *dev)
{
    return dev->address ? dev->address : dev->uuid;
}

static gint
domain_name_cmp(gconstpointer pa, gconstpointer pb)
{
    const GpDomain *a = *(GpDomain *const *)pa;
    const GpDomain *b = *(GpDomain *const *)pb;

    return strcmp(a->name, b->name);
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
    g_ptr_array_sort(out, domain_name_cmp);
    return out;
}

/* The largest footprint among the pool's devices: a request for N
 * devices needs N times it, whichever devices it ends up with (rebalance
 * may re-point it to any of them). */
static gboolean
pool_footprint(const GpPool *pool, GPtrArray *devices, GpHost **host, guint64 *out,
               GError **error)
{
    guint64 best = 0;

    *out = 0;
    if (pool->type == GP_POOL_TYPE_MDEV)
        return TRUE;  /* mdev BARs are the vendor driver's: use --mmio */
    if (!*host) {
        *host = gp_host_scan(error);
        if (!*host)
            return FALSE;
    }
    for (guint i = 0; i < devices->len; i++) {
        const char *address = g_ptr_array_index(devices, i);
        g_autoptr(GError) local = NULL;
        GpPciDev *dev = gp_host_lookup(*host, address, &local);
        guint64 f;

        if (!dev) {
            g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                        "cannot size the MMIO window: %s; give the size with --mmio SIZE",
                        local->message);
            return FALSE;
        }
        f = gp_mmio_device_footprint(dev->bars);
        best = MAX(best, f);
    }
    *out = best;
    return TRUE;
}

/* Reservations of DEVICE by domains other than DOM_UUID. */
static guint
reservations_of(GPtrArray *domains, const char *dom_uuid, const char *device)
{
    guint n = 0;

    for (guint i = 0; i < domains->len; i++) {
        GpDomain *d = g_ptr_array_index(domains, i);

        if (g_ascii_strcasecmp(d->uuid, dom_uuid) == 0)
            continue;
        for (guint j = 0; j < d->devices->len; j++)
            if (strcmp(((GpDomainDevice *)g_ptr_array_index(d->devices, j))->device,
                       device) == 0)
                n++;
    }
    return n;
}

static void
window_plan(GpDomPlan *plan, const GpDomAssignment *platform, guint64 window,
            GpAssignResult *result)
{
    guint bits;

    plan->pcihole64 = window;
    plan->ovmf_mmio64 = platform->ovmf ? window : 0;
    bits = window ? gp_mmio_phys_bits(platform->memory, platform->memory_slots, window) : 0;
    /* QEMU gives x86 guests 40 bits unless told otherwise; asking for
     * fewer would take address space away. */
    plan->phys_bits = bits > GP_MMIO_DEFAULT_PHYS_BITS ? bits : 0;
    result->window = window;
    result->phys_bits = plan->phys_bits;
    result->ovmf = platform->ovmf;
}

static void
plan_copy_pool(GpDomPlan *plan, const GpDomRequest *r, const GpDomAssignment *current)
{
    GpDomRequest *copy = g_new0(GpDomRequest, 1);

    copy->pool = g_strdup(r->pool);
    copy->count = r->count;
    copy->mmio = r->mmio;
    copy->has_type = r->has_type;
    copy->type = r->type;
    copy->profile = g_strdup(r->profile);
    g_ptr_array_add(plan->requests, copy);
    for (guint j = 0; j < current->devices->len; j++) {
        const GpDomDevice *d = g_ptr_array_index(current->devices, j);
        GpDomDevice *c;

        if (strcmp(d->pool, r->pool) != 0)
            continue;
        c = g_new0(GpDomDevice, 1);
        c->pool = g_strdup(d->pool);
        c->address = g_strdup(d->address);
        c->uuid = g_strdup(d->uuid);
        g_ptr_array_add(plan->devices, c);
    }
}

static void
plan_add_device(GpDomPlan *plan, const char *pool, gboolean mdev, const char *id)
{
    GpDomDevice *d = g_new0(GpDomDevice, 1);

    d->pool = g_strdup(pool);
    if (mdev)
        d->uuid = g_strdup(id);
    else
        d->address = g_strdup(id);
    g_ptr_array_add(plan->devices, d);
}

/* The pool's partition profile, recorded in the request. */
static const char *
pool_profile(const GpPool *pool)
{
    if (pool->type == GP_POOL_TYPE_MDEV)
        return pool->mdev_type;
    if (pool->type == GP_POOL_TYPE_VF)
        return pool->vf_profile;
    return NULL;
}

static void
plan_add_pool(GpDomPlan *plan, const GpPool *p, guint count, guint64 mmio,
              GPtrArray *chosen, const GpDomAssignment *current)
{
    GpDomRequest *req = g_new0(GpDomRequest, 1);
    g_autoptr(GHashTable) added = g_hash_table_new(g_str_hash, g_str_equal);
    const char *pool = p->name;
    gboolean mdev = p->type == GP_POOL_TYPE_MDEV;

    req->pool = g_strdup(pool);
    req->count = count;
    req->mmio = mmio;
    req->has_type = TRUE;
    req->type = p->type;
    req->profile = g_strdup(pool_profile(p));
    g_ptr_array_add(plan->requests, req);
    for (guint j = 0; current && j < current->devices->len; j++) {
        const GpDomDevice *d = g_ptr_array_index(current->devices, j);
        const char *id = dev_id(d);

        if (strcmp(d->pool, pool) == 0 &&
            g_ptr_array_find_with_equal_func(chosen, id, g_str_equal, NULL) &&
            g_hash_table_add(added, (gpointer)id))
            plan_add_device(plan, pool, mdev, id);
    }
    for (guint i = 0; i < chosen->len; i++) {
        const char *id = g_ptr_array_index(chosen, i);

        if (g_hash_table_add(added, (gpointer)id))
            plan_add_device(plan, pool, mdev, id);
    }
}

/* The domain assign works on, as its persistent definition stands. */
typedef struct {
    virDomainPtr vdom;
    char *name;
    char *xml;
    GpDomXml *dom;
    GpDomAssignment *current;  /* NULL when what gpupool left is broken */
} Target;

static void
target_clear(Target *t)
{
    if (t->vdom)
        virDomainFree(t->vdom);
    g_free(t->name);
    g_free(t->xml);
    gp_domxml_free(t->dom);
    gp_dom_assignment_free(t->current);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Target, target_clear)

static gboolean
load_target(virConnectPtr conn, const char *name, Target *t, GError **error)
{
    g_autoptr(GError) ignored = NULL;

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
    if (!t->dom)
        return FALSE;
    /* A broken assignment is replaced, not an obstacle: apply clears
     * whatever gpupool left. */
    t->current = gp_domxml_assignment(t->dom, &ignored);
    return TRUE;
}

/* What the hook's prepare would refuse for reasons known now is refused
 * at assign, in the same words: an mdev pool without a type, more
 * partitions than one domain may hold, more units than the pool has. */
static gboolean
check_request(GpLedger *ledger, const GpPool *pool, const Target *t, guint count,
              GError **error)
{
    g_autoptr(GpDomain) want = gp_domain_new(gp_domxml_uuid(t->dom), t->name);
    g_autoptr(GHashTable) pools = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) err = NULL;
    const GpPoolCapacity *cap;

    if (pool->type == GP_POOL_TYPE_MDEV && !pool->mdev_type) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "mdev pool '%s' has no mdev type: run 'gpupool partition-set DEVICE "
                    "--profile TYPE' for one of its devices", pool->name);
        return FALSE;
    }
    g_hash_table_insert(pools, pool->name, (gpointer)pool);
    for (guint i = 0; i < count; i++)
        gp_domain_add_device(want, "", pool->name, "");
    if (!gp_alloc_check_per_domain(want, pools, &err)) {
        g_set_error_literal(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED, err->message);
        return FALSE;
    }
    cap = gp_ledger_capacity(ledger, pool->name, error);
    if (!cap)
        return FALSE;
    if (count > cap->capacity) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "pool '%s' has %u device(s) to hand out but domain '%s' asks for %u: "
                    "lower --count or add devices with 'gpupool pool-add %s DEVICE'",
                    pool->name, cap->capacity, t->name, count, pool->name);
        return FALSE;
    }
    return TRUE;
}

/* The COUNT units of POOL the domain reserves: for mdev pools its own
 * deterministic UUIDs (partition.h), which no other domain can hold;
 * otherwise what policy/reserve.h chooses among the pool's units. */
static GPtrArray *
choose_units(virConnectPtr conn, GpLedger *ledger, const GpPool *pool, const Target *t,
             guint count, guint *held, GError **error)
{
    const char *uuid = gp_domxml_uuid(t->dom);
    g_autoptr(GPtrArray) domains = NULL;
    g_autoptr(GPtrArray) units = NULL;
    g_autoptr(GPtrArray) candidates = NULL;

    if (pool->type == GP_POOL_TYPE_MDEV) {
        GPtrArray *chosen = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; i < count; i++)
            g_ptr_array_add(chosen, gp_partition_mdev_uuid(uuid, pool->name, i));
        return chosen;
    }
    domains = gp_assign_list_domains(conn, NULL, error);
    units = domains ? gp_ledger_units(ledger, pool->name, error) : NULL;
    if (!units)
        return NULL;
    candidates = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < units->len; i++) {
        const char *id = units->pdata[i];
        GpReserveCandidate *c = g_new0(GpReserveCandidate, 1);

        c->device = id;
        c->claim = gp_claims_find(gp_ledger_claims(ledger), id);
        c->reservations = reservations_of(domains, uuid, id);
        for (guint j = 0; t->current && j < t->current->devices->len; j++) {
            GpDomDevice *d = g_ptr_array_index(t->current->devices, j);

            if (strcmp(d->pool, pool->name) == 0 && strcmp(dev_id(d), id) == 0)
                c->current = TRUE;
        }
        g_ptr_array_add(candidates, c);
    }
    {
        g_autoptr(GError) err = NULL;
        GPtrArray *chosen = gp_reserve_choose(t->name, uuid, pool->name, candidates, count,
                                              held, &err);

        if (!chosen)
            g_set_error_literal(error, GP_ASSIGN_ERROR,
                                err->code == GP_RESERVE_ERROR_INVALID
                                ? GP_ASSIGN_ERROR_INVALID : GP_ASSIGN_ERROR_REFUSED,
                                err->message);
        return chosen;
    }
}

/* The new plan keeps the domain's order (requests, and devices with
 * their aliases, to which libvirt's guest addresses are tied): POOL's
 * request is replaced in place or added last, and the devices it keeps
 * come first in their old order. */
static void
build_plan(GpDomPlan *plan, const GpDomAssignment *current, const GpPool *pool, guint count,
           guint64 mmio, GPtrArray *chosen)
{
    gboolean placed = FALSE;

    plan->requests = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);
    plan->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    for (guint i = 0; current && i < current->requests->len; i++) {
        GpDomRequest *r = g_ptr_array_index(current->requests, i);

        if (strcmp(r->pool, pool->name) == 0) {
            plan_add_pool(plan, pool, count, mmio, chosen, current);
            placed = TRUE;
        } else {
            plan_copy_pool(plan, r, current);
        }
    }
    if (!placed)
        plan_add_pool(plan, pool, count, mmio, chosen, current);
}

/* The 64-bit MMIO window over every request of PLAN: explicit sizes as
 * given, the others sized from their pools' largest device footprint. */
static gboolean
size_window(GpLedger *ledger, const GpDomPlan *plan, const char *pool_name,
            GpAssignResult *result, guint64 *window, GError **error)
{
    g_autoptr(GpHost) host = NULL;
    guint64 auto_total = 0;
    guint64 explicit_total = 0;

    for (guint i = 0; i < plan->requests->len; i++) {
        GpDomRequest *r = g_ptr_array_index(plan->requests, i);
        const GpPool *p = gp_ledger_pool(ledger, r->pool, NULL);
        g_autoptr(GPtrArray) units = p ? gp_ledger_units(ledger, r->pool, NULL) : NULL;
        guint64 fp = 0;

        if (r->mmio) {
            /* The admin's size stands; what the devices would need is
             * only worth a warning, so a host that cannot be scanned does
             * not stop an explicit --mmio. */
            g_autoptr(GError) ignored = NULL;

            explicit_total += r->mmio;
            if (strcmp(r->pool, pool_name) == 0 && units &&
                pool_footprint(p, units, &host, &fp, &ignored))
                result->needed += gp_mmio_window(fp * r->count);
            continue;
        }
        if (units && !pool_footprint(p, units, &host, &fp, error))
            return FALSE;
        auto_total += fp * r->count;
    }
    *window = explicit_total + gp_mmio_window(auto_total);
    result->needed += gp_mmio_window(auto_total);
    return TRUE;
}

/* The platform as the admin left it: our own earlier values must not
 * feed back into the sizing. */
static GpDomAssignment *
bare_platform(const char *xml, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GpDomXml) bare = gp_domxml_parse(xml, strlen(xml), &local);
    GpDomAssignment *platform = NULL;

    if (!bare || !gp_domxml_clear(bare, &local) ||
        !(platform = gp_domxml_assignment(bare, &local)))
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_INVALID, "%s",
                    local ? local->message : "cannot read the domain");
    return platform;
}

static void
plan_clear(GpDomPlan *plan)
{
    g_clear_pointer(&plan->requests, g_ptr_array_unref);
    g_clear_pointer(&plan->devices, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(GpDomPlan, plan_clear)

GpAssignResult *
gp_assign_domain(virConnectPtr conn, const char *name, const char *pool_name,
                 guint count, guint64 mmio, GError **error)
{
    g_auto(Target) t = { 0 };
    g_auto(GpDomPlan) plan = { 0 };
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) chosen = NULL;
    g_autoptr(GpDomAssignment) platform = NULL;
    g_autoptr(GpAssignResult) result = g_new0(GpAssignResult, 1);
    g_autofree char *new_xml = NULL;
    const GpPool *pool;
    guint64 window;
    guint held = 0;

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
    if (!pool || !check_request(ledger, pool, &t, count, error))
        return NULL;
    chosen = choose_units(conn, ledger, pool, &t, count, &held, error);
    if (!chosen)
        return NULL;
    build_plan(&plan, t.current, pool, count, mmio, chosen);
    if (plan.requests->len > GP_DOMXML_MAX_REQUESTS ||
        plan.devices->len > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "domain '%s' would get %u devices from %u pools, more than gpupool "
                    "allows (%d devices): lower --count", t.name, plan.devices->len,
                    plan.requests->len, GP_DOMXML_MAX_COUNT);
        return NULL;
    }
    if (!size_window(ledger, &plan, pool_name, result, &window, error) ||
        !(platform = bare_platform(t.xml, error)))
        return NULL;
    window_plan(&plan, platform, window, result);

    if (!gp_domxml_apply(t.dom, &plan, error))
        return NULL;
    new_xml = gp_domxml_format(t.dom);
    result->changed = strcmp(new_xml, t.xml) != 0;
    if (result->changed && !define_xml(conn, t.name, new_xml, error))
        return NULL;
    result->domain = g_steal_pointer(&t.name);
    result->running = virDomainIsActive(t.vdom) == 1;
    result->held_by_others = held;
    result->devices = g_steal_pointer(&plan.devices);
    return g_steal_pointer(&result);
}

GpAssignResult *
gp_unassign_domain(virConnectPtr conn, const char *name, GError **error)
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
    if (!dom || !gp_domxml_clear(dom, error))
        return NULL;
    new_xml = gp_domxml_format(dom);
    result = g_new0(GpAssignResult, 1);
    result->changed = strcmp(new_xml, xml) != 0;
    if (result->changed && !define_xml(conn, dname, new_xml, error))
        return NULL;
    result->domain = g_steal_pointer(&dname);
    result->running = virDomainIsActive(vdom) == 1;
    result->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    return g_steal_pointer(&result);
}

/* Claims of domains that libvirt does not run any more (they stopped
 * while libvirtd was down, so no release hook ran) are dropped.  The
 * running set is read from libvirt before the lock is taken; a claim
 * made since then belongs to a domain that is starting and is kept.  The
 * partitions those claims stand for are given back first, as at release;
 * a claim whose partition cannot be given back yet stays, with a line in
 * PROBLEMS. */
static gboolean
drop_stale_claims(virConnectPtr conn, GPtrArray *dropped, GPtrArray *problems, GError **error)
{
    g_autoptr(GHashTable) running = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                          NULL);
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) doms = gp_assign_list_running(conn, error);
    gint64 t0 = g_get_real_time() / G_USEC_PER_SEC;
    GPtrArray *all;

    if (!doms)
        return FALSE;
    for (guint i = 0; i < doms->len; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(doms->pdata[i], uuid) == 0)
            g_hash_table_add(running, g_ascii_strdown(uuid, -1));
    }

    ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    if (!ledger)
        return FALSE;
    all = gp_claims_all(gp_ledger_claims(ledger));
    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = g_ptr_array_index(all, i);

        /* One second of slack for the clock's granularity. */
        if (c->since >= t0 - 1)
            g_hash_table_add(running, g_strdup(c->domain_uuid));
    }
    if (gp_lifecycle_reconcile(ledger, running, dropped, problems) > 0)
        return gp_ledger_save(ledger, error);
    return TRUE;
}

GPtrArray *
gp_assign_rebalance(virConnectPtr conn, GPtrArray *dropped, GPtrArray *problems,
                    GError **error)
{
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) domains = NULL;
    GPtrArray *pools;
    g_autoptr(GHashTable) candidates = NULL;
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
    candidates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < pools->len; i++) {
        GpPool *p = g_ptr_array_index(pools, i);
        GPtrArray *units = gp_ledger_units(ledger, p->name, error);

        if (!units)
            return NULL;
        g_hash_table_insert(candidates, g_strdup(p->name), units);
    }
    planned = gp_reserve_rebalance_plan(domains, candidates, gp_ledger_claims(ledger), problems);

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
