#include "config.h"

#include "virt/assign.h"

#include <string.h>

#include <libvirt/virterror.h>

#include "host/host.h"
#include "state/poolstore.h"
#include "policy/mmio.h"
#include "ops/alloc.h"
#include "ops/partition.h"

G_DEFINE_QUARK(gp-assign-error-quark, gp_assign_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

void
gp_assign_domain_free(GpAssignDomain *dom)
{
    if (!dom)
        return;
    g_free(dom->name);
    g_free(dom->uuid);
    if (dom->devices)
        g_ptr_array_unref(dom->devices);
    g_free(dom);
}

void
gp_assign_move_free(GpAssignMove *move)
{
    if (!move)
        return;
    g_free(move->domain);
    g_free(move->uuid);
    g_free(move->alias);
    g_free(move->pool);
    g_free(move->from);
    g_free(move->to);
    g_free(move->reason);
    g_free(move);
}

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

static const char *
dev_id(const GpDomDevice *dev)
{
    return dev->address ? dev->address : dev->uuid;
}

/* For g_ptr_array_sort(), which passes pointers to the elements. */
static gint
strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- Choosing devices -------------------------------------------------- */

static gboolean
held_by_other(const GpAssignCandidate *c, const char *dom_uuid)
{
    return c->claim && g_strcmp0(c->claim->domain_uuid, dom_uuid) != 0;
}

static gint
candidate_cmp(gconstpointer pa, gconstpointer pb, gpointer dom_uuid)
{
    const GpAssignCandidate *a = *(GpAssignCandidate *const *)pa;
    const GpAssignCandidate *b = *(GpAssignCandidate *const *)pb;
    gboolean ha = held_by_other(a, dom_uuid);
    gboolean hb = held_by_other(b, dom_uuid);

    /* Keep what the domain has unless someone else holds it. */
    if ((a->current && !ha) != (b->current && !hb))
        return (a->current && !ha) ? -1 : 1;
    if (ha != hb)
        return ha ? 1 : -1;
    if (a->reservations != b->reservations)
        return a->reservations < b->reservations ? -1 : 1;
    return strcmp(a->device, b->device);
}

GPtrArray *
gp_assign_choose(const char *dom_name, const char *dom_uuid, const char *pool,
                 GPtrArray *candidates, guint count, guint *held_by_others,
                 GError **error)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    GPtrArray *out;
    guint held = 0;

    if (count == 0 || count > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_INVALID,
                    "count %u for domain '%s' is not 1..%d: give --count N", count, dom_name,
                    GP_DOMXML_MAX_COUNT);
        return NULL;
    }
    if (count > candidates->len) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "pool '%s' has %u device(s) to hand out but domain '%s' asks for %u: "
                    "lower --count or add devices with 'gpupool pool-add %s DEVICE'",
                    pool, candidates->len, dom_name, count, pool);
        return NULL;
    }
    for (guint i = 0; i < candidates->len; i++)
        g_ptr_array_add(sorted, g_ptr_array_index(candidates, i));
    g_ptr_array_sort_with_data(sorted, candidate_cmp, (gpointer)dom_uuid);

    out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < count; i++) {
        GpAssignCandidate *c = g_ptr_array_index(sorted, i);

        if (held_by_other(c, dom_uuid))
            held++;
        g_ptr_array_add(out, g_strdup(c->device));
    }
    g_ptr_array_sort(out, strcmp_ptr);
    if (held_by_others)
        *held_by_others = held;
    return out;
}

/* ---- Rebalance plan ----------------------------------------------------- */

static gint
domain_name_cmp(gconstpointer pa, gconstpointer pb)
{
    const GpAssignDomain *a = *(GpAssignDomain *const *)pa;
    const GpAssignDomain *b = *(GpAssignDomain *const *)pb;

    return strcmp(a->name, b->name);
}

GPtrArray *
gp_assign_rebalance_plan(GPtrArray *domains, GHashTable *candidates, GpClaims *claims,
                         GPtrArray *problems)
{
    GPtrArray *moves = g_ptr_array_new_with_free_func((GDestroyNotify)gp_assign_move_free);
    g_autoptr(GHashTable) reserved = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) order = g_ptr_array_new();

    /* How many domains reserve each device. */
    for (guint i = 0; i < domains->len; i++) {
        GpAssignDomain *dom = g_ptr_array_index(domains, i);

        g_ptr_array_add(order, dom);
        for (guint j = 0; j < dom->devices->len; j++) {
            const char *id = dev_id(g_ptr_array_index(dom->devices, j));
            guint n = GPOINTER_TO_UINT(g_hash_table_lookup(reserved, id));

            g_hash_table_insert(reserved, (gpointer)id, GUINT_TO_POINTER(n + 1));
        }
    }
    g_ptr_array_sort(order, domain_name_cmp);

    for (guint i = 0; i < order->len; i++) {
        GpAssignDomain *dom = g_ptr_array_index(order, i);

        if (dom->active)
            continue;
        for (guint j = 0; j < dom->devices->len; j++) {
            GpDomDevice *dev = g_ptr_array_index(dom->devices, j);
            const char *id = dev_id(dev);
            GPtrArray *pool_devs = g_hash_table_lookup(candidates, dev->pool);
            const GpClaim *claim = claims ? gp_claims_find(claims, id) : NULL;
            g_autofree char *reason = NULL;
            const char *best = NULL;
            guint best_n = G_MAXUINT;

            /* An mdev is the domain's own (a UUID derived from the
             * domain, created by the hook at prepare): no other domain can
             * hold it, so there is nothing to re-point. */
            if (dev->uuid)
                continue;
            if (!pool_devs) {
                /* The pool is not defined here: nothing to re-point to;
                 * the hook will say so at start. */
                if (problems)
                    g_ptr_array_add(problems, g_strdup_printf(
                        "%s: %s: pool '%s' is not defined on this host", dom->name,
                        dev->alias, dev->pool));
                continue;
            }
            if (claim && g_strcmp0(claim->domain_uuid, dom->uuid) != 0)
                reason = g_strdup_printf("held by %s", claim->domain_name);
            else if (!g_ptr_array_find_with_equal_func(pool_devs, id, g_str_equal, NULL))
                reason = g_strdup_printf("no longer a device of pool '%s'", dev->pool);
            else
                continue;

            for (guint k = 0; k < pool_devs->len; k++) {
                const char *cand = g_ptr_array_index(pool_devs, k);
                guint n = GPOINTER_TO_UINT(g_hash_table_lookup(reserved, cand));
                gboolean mine = FALSE;

                if (claims && gp_claims_find(claims, cand))
                    continue;
                for (guint m = 0; m < dom->devices->len; m++)
                    if (strcmp(dev_id(g_ptr_array_index(dom->devices, m)), cand) == 0)
                        mine = TRUE;
                if (mine)
                    continue;
                /* Least reserved first, then by name (the array is sorted). */
                if (n < best_n) {
                    best = cand;
                    best_n = n;
                }
            }
            if (!best) {
                if (problems)
                    g_ptr_array_add(problems, g_strdup_printf(
                        "%s: %s %s is %s and pool '%s' has no free device: it cannot start "
                        "until one is released", dom->name, dev->alias, id, reason,
                        dev->pool));
                continue;
            }
            {
                GpAssignMove *move = g_new0(GpAssignMove, 1);
                guint old_n = GPOINTER_TO_UINT(g_hash_table_lookup(reserved, id));

                move->domain = g_strdup(dom->name);
                move->uuid = g_strdup(dom->uuid);
                move->alias = g_strdup(dev->alias);
                move->pool = g_strdup(dev->pool);
                move->from = g_strdup(id);
                move->to = g_strdup(best);
                move->reason = g_steal_pointer(&reason);
                g_ptr_array_add(moves, move);
                /* Later domains see this reservation. */
                if (old_n)
                    g_hash_table_insert(reserved, (gpointer)id, GUINT_TO_POINTER(old_n - 1));
                g_hash_table_insert(reserved, (gpointer)best, GUINT_TO_POINTER(best_n + 1));
                if (dev->address) {
                    g_free(dev->address);
                    dev->address = g_strdup(best);
                } else {
                    g_free(dev->uuid);
                    dev->uuid = g_strdup(best);
                }
            }
        }
    }
    return moves;
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

GPtrArray *
gp_assign_pool_devices(const GpPool *pool, GpClaims *claims)
{
    GPtrArray *out = gp_alloc_pool_free(pool, claims);

    /* gp_alloc_pool_free() leaves out the claimed ones: add them back. */
    if (claims) {
        GPtrArray *all = gp_claims_all(claims);

        for (guint i = 0; i < all->len; i++) {
            const GpClaim *claim = g_ptr_array_index(all, i);

            if (g_strcmp0(claim->pool, pool->name) == 0 &&
                !g_ptr_array_find_with_equal_func(out, claim->device, g_str_equal, NULL))
                g_ptr_array_add(out, g_strdup(claim->device));
        }
    }
    g_ptr_array_sort(out, strcmp_ptr);
    return out;
}

static void
devices_copy_into(GPtrArray *into, GPtrArray *devices)
{
    for (guint i = 0; i < devices->len; i++) {
        const GpDomDevice *d = g_ptr_array_index(devices, i);
        GpDomDevice *c = g_new0(GpDomDevice, 1);

        c->alias = g_strdup(d->alias);
        c->index = d->index;
        c->pool = g_strdup(d->pool);
        c->address = g_strdup(d->address);
        c->uuid = g_strdup(d->uuid);
        g_ptr_array_add(into, c);
    }
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
    out = g_ptr_array_new_with_free_func((GDestroyNotify)gp_assign_domain_free);
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        g_autoptr(GError) local = NULL;
        g_autofree char *xml = inactive_xml(doms[i], name, &local);
        g_autoptr(GpDomAssignment) a = NULL;
        GpAssignDomain *dom;

        if (xml && gp_domxml_has_assignment(xml, strlen(xml)))
            a = gp_domxml_read_assignment(xml, strlen(xml), &local);
        if (local) {
            if (problems)
                g_ptr_array_add(problems, g_strdup(local->message));
        } else if (a && a->devices->len) {
            dom = g_new0(GpAssignDomain, 1);
            dom->name = g_strdup(a->name);
            dom->uuid = g_strdup(a->uuid);
            dom->active = virDomainIsActive(doms[i]) == 1;
            dom->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
            devices_copy_into(dom->devices, a->devices);
            g_ptr_array_add(out, dom);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    g_ptr_array_sort(out, domain_name_cmp);
    return out;
}

/* A consistent snapshot of the claims.  The lock is released before any
 * libvirt call (see assign.h). */
static GpClaims *
claims_snapshot(GError **error)
{
    g_autoptr(GpLock) lock = NULL;

    return gp_claims_lock_and_load(&lock, error);
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
        GpAssignDomain *d = g_ptr_array_index(domains, i);

        if (g_strcmp0(d->uuid, dom_uuid) == 0)
            continue;
        for (guint j = 0; j < d->devices->len; j++)
            if (strcmp(dev_id(g_ptr_array_index(d->devices, j)), device) == 0)
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

static void
plan_add_pool(GpDomPlan *plan, const char *pool, guint count, guint64 mmio, gboolean mdev,
              GPtrArray *chosen, const GpDomAssignment *current)
{
    GpDomRequest *req = g_new0(GpDomRequest, 1);
    g_autoptr(GHashTable) added = g_hash_table_new(g_str_hash, g_str_equal);

    req->pool = g_strdup(pool);
    req->count = count;
    req->mmio = mmio;
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

GpAssignResult *
gp_assign_domain(virConnectPtr conn, const char *name, const char *pool_name,
                 guint count, guint64 mmio, GError **error)
{
    g_autoptr(virDomain) vdom = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GPtrArray) domains = NULL;
    g_autoptr(GPtrArray) devices = NULL;
    g_autoptr(GPtrArray) candidates = NULL;
    g_autoptr(GPtrArray) chosen = NULL;
    g_autoptr(GpDomXml) dom = NULL;
    g_autoptr(GpDomAssignment) current = NULL;
    g_autoptr(GpDomAssignment) platform = NULL;
    g_autoptr(GpHost) host = NULL;
    g_autoptr(GpAssignResult) result = g_new0(GpAssignResult, 1);
    g_autofree char *xml = NULL;
    g_autofree char *new_xml = NULL;
    g_autofree char *dname = NULL;
    GpDomPlan plan = { 0 };
    guint64 auto_total = 0;
    guint64 explicit_total = 0;
    guint64 window;
    guint held = 0;
    gboolean ok = FALSE;

    if (count == 0 || count > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_INVALID,
                    "--count %u is not 1..%d", count, GP_DOMXML_MAX_COUNT);
        return NULL;
    }
    if (!gp_pool_name_check(pool_name, error))
        return NULL;
    vdom = gp_assign_lookup(conn, name, error);
    if (!vdom)
        return NULL;
    dname = g_strdup(virDomainGetName(vdom));
    if (!check_assignable(vdom, dname, error))
        return NULL;
    pool = gp_poolstore_load(pool_name, error);
    if (!pool)
        return NULL;
    xml = inactive_xml(vdom, dname, error);
    if (!xml)
        return NULL;
    dom = gp_domxml_parse(xml, strlen(xml), error);
    if (!dom)
        return NULL;
    {
        /* A broken assignment is replaced, not an obstacle: apply clears
         * whatever gpupool left. */
        g_autoptr(GError) ignored = NULL;

        current = gp_domxml_assignment(dom, &ignored);
    }

    claims = claims_snapshot(error);
    if (!claims)
        return NULL;
    domains = gp_assign_list_domains(conn, NULL, error);
    if (!domains)
        return NULL;
    devices = gp_assign_pool_devices(pool, claims);

    candidates = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < devices->len; i++) {
        const char *id = g_ptr_array_index(devices, i);
        GpAssignCandidate *c = g_new0(GpAssignCandidate, 1);

        c->device = id;
        c->claim = gp_claims_find(claims, id);
        c->reservations = reservations_of(domains, gp_domxml_uuid(dom), id);
        for (guint j = 0; current && j < current->devices->len; j++) {
            GpDomDevice *d = g_ptr_array_index(current->devices, j);

            if (strcmp(d->pool, pool_name) == 0 && strcmp(dev_id(d), id) == 0)
                c->current = TRUE;
        }
        g_ptr_array_add(candidates, c);
    }
    if (pool->type == GP_POOL_TYPE_MDEV) {
        /* mdev pools: the domain's own deterministic mdev UUIDs, which no
         * other domain can hold; the hook creates each at prepare on a
         * parent of the pool with room (partition.h). */
        chosen = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < count; i++)
            g_ptr_array_add(chosen, gp_partition_mdev_uuid(gp_domxml_uuid(dom), pool_name, i));
    } else {
        chosen = gp_assign_choose(dname, gp_domxml_uuid(dom), pool_name, candidates, count,
                                  &held, error);
        if (!chosen)
            return NULL;
    }

    /* The new plan keeps the domain's order (requests, and devices with
     * their aliases, to which libvirt's guest addresses are tied): this
     * pool's request is replaced in place or added last, and the devices
     * it keeps come first in their old order. */
    plan.requests = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);
    plan.devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    {
        gboolean placed = FALSE;

        for (guint i = 0; current && i < current->requests->len; i++) {
            GpDomRequest *r = g_ptr_array_index(current->requests, i);

            if (strcmp(r->pool, pool_name) == 0) {
                plan_add_pool(&plan, pool_name, count, mmio, pool->type == GP_POOL_TYPE_MDEV,
                              chosen, current);
                placed = TRUE;
            } else {
                plan_copy_pool(&plan, r, current);
            }
        }
        if (!placed)
            plan_add_pool(&plan, pool_name, count, mmio, pool->type == GP_POOL_TYPE_MDEV,
                          chosen, current);
    }
    if (plan.requests->len > GP_DOMXML_MAX_REQUESTS ||
        plan.devices->len > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED,
                    "domain '%s' would get %u devices from %u pools, more than gpupool "
                    "allows (%d devices): lower --count", dname, plan.devices->len,
                    plan.requests->len, GP_DOMXML_MAX_COUNT);
        goto out;
    }

    /* The MMIO window over every request. */
    for (guint i = 0; i < plan.requests->len; i++) {
        GpDomRequest *r = g_ptr_array_index(plan.requests, i);
        g_autoptr(GpPool) p = NULL;
        g_autoptr(GPtrArray) pdevs = NULL;
        guint64 fp = 0;

        if (r->mmio) {
            /* The admin's size stands; what the devices would need is
             * only worth a warning, so a host that cannot be scanned does
             * not stop an explicit --mmio. */
            g_autoptr(GError) ignored = NULL;

            explicit_total += r->mmio;
            if (strcmp(r->pool, pool_name) == 0 &&
                pool_footprint(pool, devices, &host, &fp, &ignored))
                result->needed += gp_mmio_window(fp * r->count);
            continue;
        }
        if (strcmp(r->pool, pool_name) == 0) {
            if (!pool_footprint(pool, devices, &host, &fp, error))
                goto out;
        } else {
            g_autoptr(GError) local = NULL;

            p = gp_poolstore_load(r->pool, &local);
            if (p) {
                pdevs = gp_assign_pool_devices(p, claims);
                if (!pool_footprint(p, pdevs, &host, &fp, error))
                    goto out;
            }
        }
        auto_total += fp * r->count;
    }
    window = explicit_total + gp_mmio_window(auto_total);
    result->needed += gp_mmio_window(auto_total);
    {
        g_autoptr(GError) local = NULL;

        /* The platform as the admin left it: our own earlier values must
         * not feed back into the sizing. */
        g_autoptr(GpDomXml) bare = gp_domxml_parse(xml, strlen(xml), &local);

        if (!bare || !gp_domxml_clear(bare, &local) ||
            !(platform = gp_domxml_assignment(bare, &local))) {
            g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_INVALID, "%s",
                        local ? local->message : "cannot read the domain");
            goto out;
        }
    }
    window_plan(&plan, platform, window, result);

    if (!gp_domxml_apply(dom, &plan, error))
        goto out;
    new_xml = gp_domxml_format(dom);
    result->changed = strcmp(new_xml, xml) != 0;
    if (result->changed && !define_xml(conn, dname, new_xml, error))
        goto out;
    result->domain = g_steal_pointer(&dname);
    result->running = virDomainIsActive(vdom) == 1;
    result->held_by_others = held;
    result->devices = g_steal_pointer(&plan.devices);
    ok = TRUE;
 out:
    if (plan.requests)
        g_ptr_array_unref(plan.requests);
    if (plan.devices)
        g_ptr_array_unref(plan.devices);
    return ok ? g_steal_pointer(&result) : NULL;
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
    g_autoptr(GpLock) lock = NULL;
    g_autoptr(GpClaims) claims = NULL;
    virDomainPtr *doms = NULL;
    gint64 t0 = g_get_real_time() / G_USEC_PER_SEC;
    GPtrArray *all;
    int n;

    n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) {
        g_set_error(error, GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_LIBVIRT,
                    "cannot list the running domains of %s: %s", conn_uri(conn),
                    libvirt_message());
        return FALSE;
    }
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(doms[i], uuid) == 0)
            g_hash_table_add(running, g_ascii_strdown(uuid, -1));
        virDomainFree(doms[i]);
    }
    free(doms);

    claims = gp_claims_lock_and_load(&lock, error);
    if (!claims)
        return FALSE;
    all = gp_claims_all(claims);
    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = g_ptr_array_index(all, i);

        /* One second of slack for the clock's granularity. */
        if (c->since >= t0 - 1)
            g_hash_table_add(running, g_strdup(c->domain_uuid));
    }
    if (gp_alloc_reconcile(claims, running, dropped, problems) > 0)
        return gp_claims_save(claims, error);
    return TRUE;
}

GPtrArray *
gp_assign_rebalance(virConnectPtr conn, GPtrArray *dropped, GPtrArray *problems,
                    GError **error)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GPtrArray) domains = NULL;
    g_autoptr(GPtrArray) pools = NULL;
    g_autoptr(GHashTable) candidates = NULL;
    g_autoptr(GPtrArray) planned = NULL;
    GPtrArray *applied;

    gp_alloc_rebalance_begin();
    if (!drop_stale_claims(conn, dropped, problems, error))
        return NULL;
    claims = claims_snapshot(error);
    if (!claims)
        return NULL;
    pools = gp_poolstore_list(error);
    if (!pools)
        return NULL;
    domains = gp_assign_list_domains(conn, problems, error);
    if (!domains)
        return NULL;
    candidates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < pools->len; i++) {
        GpPool *p = g_ptr_array_index(pools, i);

        g_hash_table_insert(candidates, g_strdup(p->name), gp_assign_pool_devices(p, claims));
    }
    planned = gp_assign_rebalance_plan(domains, candidates, claims, problems);

    applied = g_ptr_array_new_with_free_func((GDestroyNotify)gp_assign_move_free);
    for (guint i = 0; i < planned->len; i++) {
        GpAssignMove *move = g_ptr_array_index(planned, i);
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
