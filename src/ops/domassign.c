/* assign and unassign on a domain definition, with or without libvirt. */
#include "config.h"

#include "ops/domassign.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "base/txfile.h"
#include "host/host.h"
#include "policy/alloc.h"
#include "policy/mmio.h"
#include "policy/reserve.h"
#include "ops/lifecycle.h"
#include "ops/partition.h"

G_DEFINE_QUARK(gp-domassign-error-quark, gp_domassign_error)

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
            g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_REFUSED,
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

    for (guint i = 0; domains && i < domains->len; i++) {
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

/* The domain being rewritten, as its definition stands. */
typedef struct {
    const char *name;
    const char *uuid;
    GpDomAssignment *current;  /* NULL when what gpupool left is broken */
} Target;

/* What the hook's prepare would refuse for reasons known now is refused
 * at assign, in the same words: an mdev pool without a type, more
 * partitions than one domain may hold, more units than the pool has. */
static gboolean
check_request(GpLedger *ledger, const GpPool *pool, const Target *t, guint count,
              GError **error)
{
    g_autoptr(GpDomain) want = gp_domain_new(t->uuid, t->name);
    g_autoptr(GHashTable) pools = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) err = NULL;
    const GpPoolCapacity *cap;

    if (pool->type == GP_POOL_TYPE_MDEV && !pool->mdev_type) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_REFUSED,
                    "mdev pool '%s' has no mdev type: run 'gpupool partition-set DEVICE "
                    "--profile TYPE' for one of its devices", pool->name);
        return FALSE;
    }
    g_hash_table_insert(pools, pool->name, (gpointer)pool);
    for (guint i = 0; i < count; i++)
        gp_domain_add_device(want, "", pool->name, "");
    if (!gp_alloc_check_per_domain(want, pools, &err)) {
        g_set_error_literal(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_REFUSED,
                            err->message);
        return FALSE;
    }
    cap = gp_ledger_capacity(ledger, pool->name, error);
    if (!cap)
        return FALSE;
    if (count > cap->capacity) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_REFUSED,
                    "pool '%s' has %u device(s) to hand out but domain '%s' asks for %u: "
                    "lower --count or add devices with 'gpupool pool-add %s DEVICE'",
                    pool->name, cap->capacity, t->name, count, pool->name);
        return FALSE;
    }
    return TRUE;
}

/* The COUNT units of POOL the domain reserves: for mdev pools its own
 * deterministic UUIDs (state/domain.h), which no other domain can hold;
 * otherwise what policy/reserve.h chooses among the pool's units. */
static GPtrArray *
choose_units(GpLedger *ledger, const GpPool *pool, const Target *t, guint count,
             GPtrArray *reserved, guint *held, GError **error)
{
    g_autoptr(GPtrArray) units = NULL;
    g_autoptr(GPtrArray) candidates = NULL;
    g_autoptr(GError) err = NULL;
    GPtrArray *chosen;

    if (pool->type == GP_POOL_TYPE_MDEV) {
        chosen = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < count; i++)
            g_ptr_array_add(chosen, gp_domain_mdev_uuid(t->uuid, pool->name, i));
        return chosen;
    }
    units = gp_ledger_units(ledger, pool->name, error);
    if (!units)
        return NULL;
    candidates = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < units->len; i++) {
        const char *id = units->pdata[i];
        GpReserveCandidate *c = g_new0(GpReserveCandidate, 1);

        c->device = id;
        c->claim = gp_claims_find(gp_ledger_claims(ledger), id);
        c->reservations = reservations_of(reserved, t->uuid, id);
        for (guint j = 0; t->current && j < t->current->devices->len; j++) {
            GpDomDevice *d = g_ptr_array_index(t->current->devices, j);

            if (strcmp(d->pool, pool->name) == 0 && strcmp(dev_id(d), id) == 0)
                c->current = TRUE;
        }
        g_ptr_array_add(candidates, c);
    }
    chosen = gp_reserve_choose(t->name, t->uuid, pool->name, candidates, count, held, &err);
    if (!chosen)
        g_set_error_literal(error, GP_DOMASSIGN_ERROR,
                            err->code == GP_RESERVE_ERROR_INVALID
                            ? GP_DOMASSIGN_ERROR_INVALID : GP_DOMASSIGN_ERROR_REFUSED,
                            err->message);
    return chosen;
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
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_INVALID, "%s",
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
gp_domassign_apply(GpLedger *ledger, GpDomXml *dom, const char *xml, const char *pool_name,
                   guint count, guint64 mmio, GPtrArray *reserved, char **new_xml,
                   GError **error)
{
    g_auto(GpDomPlan) plan = { 0 };
    g_autoptr(GpDomAssignment) current = NULL;
    g_autoptr(GPtrArray) chosen = NULL;
    g_autoptr(GpDomAssignment) platform = NULL;
    g_autoptr(GpAssignResult) result = g_new0(GpAssignResult, 1);
    g_autoptr(GError) ignored = NULL;
    g_autofree char *out = NULL;
    Target t = { .name = gp_domxml_name(dom), .uuid = gp_domxml_uuid(dom) };
    const GpPool *pool;
    guint64 window;
    guint held = 0;

    if (count == 0 || count > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_INVALID,
                    "--count %u is not 1..%d", count, GP_DOMXML_MAX_COUNT);
        return NULL;
    }
    /* A name the hook would refuse at every start is refused now, in
     * the hook's words. */
    if (!gp_pool_name_check(pool_name, error) || !gp_domxml_name_check(t.name, error))
        return NULL;
    /* A broken assignment is replaced, not an obstacle: apply clears
     * whatever gpupool left. */
    current = gp_domxml_assignment(dom, &ignored);
    t.current = current;
    pool = gp_ledger_pool(ledger, pool_name, error);
    if (!pool || !check_request(ledger, pool, &t, count, error))
        return NULL;
    chosen = choose_units(ledger, pool, &t, count, reserved, &held, error);
    if (!chosen)
        return NULL;
    build_plan(&plan, current, pool, count, mmio, chosen);
    if (plan.requests->len > GP_DOMXML_MAX_REQUESTS ||
        plan.devices->len > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_REFUSED,
                    "domain '%s' would get %u devices from %u pools, more than gpupool "
                    "allows (%d devices): lower --count", t.name, plan.devices->len,
                    plan.requests->len, GP_DOMXML_MAX_COUNT);
        return NULL;
    }
    if (!size_window(ledger, &plan, pool_name, result, &window, error) ||
        !(platform = bare_platform(xml, error)))
        return NULL;
    /* A pool device in a <hostdev> of the domain's own would be refused
     * at every start (and libvirt refuses the definition when assign
     * picks the same device: "Hostdev already exists"). */
    if (!gp_lifecycle_check_passthrough(platform, pool_name, error))
        return NULL;
    window_plan(&plan, platform, window, result);

    if (!gp_domxml_apply(dom, &plan, error))
        return NULL;
    out = gp_domxml_format(dom);
    result->changed = strcmp(out, xml) != 0;
    result->domain = g_strdup(t.name);
    result->held_by_others = held;
    result->devices = g_steal_pointer(&plan.devices);
    *new_xml = g_steal_pointer(&out);
    return g_steal_pointer(&result);
}

GpAssignResult *
gp_domassign_clear(GpDomXml *dom, const char *xml, char **new_xml, GError **error)
{
    g_autoptr(GpAssignResult) result = NULL;
    g_autofree char *out = NULL;

    if (!gp_domxml_clear(dom, error))
        return NULL;
    out = gp_domxml_format(dom);
    result = g_new0(GpAssignResult, 1);
    result->changed = strcmp(out, xml) != 0;
    result->domain = g_strdup(gp_domxml_name(dom));
    result->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    *new_xml = g_steal_pointer(&out);
    return g_steal_pointer(&result);
}

/* ---- Domain XML files ----------------------------------------------------- */

char *
gp_domassign_read_file(const char *path, gsize *len, GError **error)
{
    g_autoptr(GError) err = NULL;
    char *text = NULL;
    gsize n = 0;
    GStatBuf st;
    gboolean known = g_stat(path, &st) == 0;

    if (known && !S_ISREG(st.st_mode)) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_IO,
                    "%s is not a file: give the domain XML file the cluster starts the "
                    "domain from", path);
        return NULL;
    }
    if (known && st.st_size > GP_DOMXML_MAX_SIZE) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_IO,
                    "%s is larger than %d MiB: that is no domain definition", path,
                    GP_DOMXML_MAX_SIZE >> 20);
        return NULL;
    }
    if (!g_file_get_contents(path, &text, &n, &err)) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_IO,
                    "cannot read %s: %s: give the domain XML file the cluster starts the "
                    "domain from ('virsh dumpxml --inactive --security-info DOMAIN > FILE')",
                    path, err->message);
        return NULL;
    }
    if (len)
        *len = n;
    return text;
}

/* The file's domain, with the UUID every node must start it under. */
static GpDomXml *
parse_file(const char *path, const char *xml, gsize len, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GpDomXml) dom = gp_domxml_parse(xml, len, &err);

    if (!dom) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_INVALID, "%s: %s", path,
                    err->message);
        return NULL;
    }
    if (!gp_domxml_uuid(dom) || !gp_domxml_uuid_check(gp_domxml_uuid(dom))) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_INVALID,
                    "%s: domain '%s' has no valid <uuid>: add one (from 'uuidgen'); every "
                    "node must start it under the same UUID", path, gp_domxml_name(dom));
        return NULL;
    }
    return g_steal_pointer(&dom);
}

/* Replaces the file REAL (PATH resolved) with XML, keeping its mode. */
static gboolean
replace_file(const char *path, const char *real, const char *xml, GError **error)
{
    g_autoptr(GError) err = NULL;
    GStatBuf st;
    int mode = 0644;

    if (g_stat(real, &st) == 0)
        mode = st.st_mode & 07777;
    if (!gp_txfile_replace(real, xml, -1, mode, &err)) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_IO,
                    "%s was left as it was: %s", path, err->message);
        return FALSE;
    }
    return TRUE;
}

/* PATH with its symbolic links resolved, so that the rename replaces the
 * file the link points to, not the link. */
static char *
resolve(const char *path, GError **error)
{
    char *real = realpath(path, NULL);
    char *out;

    if (!real) {
        int err = errno;

        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_IO,
                    "cannot read %s: %s: give the domain XML file the cluster starts the "
                    "domain from", path, g_strerror(err));
        return NULL;
    }
    out = g_strdup(real);
    free(real);
    return out;
}

GpAssignResult *
gp_domassign_file(const char *path, const char *pool, guint count, guint64 mmio,
                  GError **error)
{
    g_autofree char *real = resolve(path, error);
    g_autofree char *xml = NULL;
    g_autofree char *new_xml = NULL;
    g_autoptr(GpDomXml) dom = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    gsize len = 0;

    if (!real || !(xml = gp_domassign_read_file(real, &len, error)) ||
        !(dom = parse_file(path, xml, len, error)))
        return NULL;
    ledger = gp_ledger_open(GP_LEDGER_READ, error);
    if (!ledger)
        return NULL;
    result = gp_domassign_apply(ledger, dom, xml, pool, count, mmio, NULL, &new_xml, error);
    if (!result)
        return NULL;
    if (result->changed && !replace_file(path, real, new_xml, error))
        return NULL;
    return g_steal_pointer(&result);
}

GpAssignResult *
gp_domassign_file_clear(const char *path, GError **error)
{
    g_autofree char *real = resolve(path, error);
    g_autofree char *xml = NULL;
    g_autofree char *new_xml = NULL;
    g_autoptr(GpDomXml) dom = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    g_autoptr(GError) err = NULL;
    gsize len = 0;

    if (!real || !(xml = gp_domassign_read_file(real, &len, error)))
        return NULL;
    dom = gp_domxml_parse(xml, len, &err);
    if (!dom) {
        g_set_error(error, GP_DOMASSIGN_ERROR, GP_DOMASSIGN_ERROR_INVALID, "%s: %s", path,
                    err->message);
        return NULL;
    }
    result = gp_domassign_clear(dom, xml, &new_xml, error);
    if (!result)
        return NULL;
    if (result->changed && !replace_file(path, real, new_xml, error))
        return NULL;
    return g_steal_pointer(&result);
}
