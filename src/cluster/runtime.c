/* Runtime copies: cluster-prepare and cluster-forget. */
#include "config.h"

#include "cluster/runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "base/paths.h"
#include "base/txfile.h"
#include "state/domain.h"
#include "state/domxml.h"
#include "policy/alloc.h"
#include "ledger/ledger.h"
#include "ledger/probe.h"
#include "ops/domassign.h"
#include "ops/lifecycle.h"

G_DEFINE_QUARK(gp-runtime-error-quark, gp_runtime_error)

const char *
gp_runtime_node_name(void)
{
    const char *node = g_getenv("OCF_RESKEY_CRM_meta_on_node");

    return node && *node ? node : g_get_host_name();
}

/* A domain name that can be a file name as it is. */
static gboolean
name_fits_file(const char *name)
{
    if (!name || !*name || name[0] == '.' || strlen(name) > 200)
        return FALSE;
    for (const char *p = name; *p; p++)
        if (*p == '/' || g_ascii_iscntrl(*p))
            return FALSE;
    return TRUE;
}

char *
gp_runtime_default_path(const char *name, const char *uuid)
{
    g_autofree char *dir = gp_paths_cluster_dir();
    g_autofree char *file = g_strdup_printf("%s.xml", name_fits_file(name) ? name : uuid);

    return g_build_filename(dir, file, NULL);
}

/* ---- The copies on this node ---------------------------------------------- */

typedef struct {
    char *path;
    GpDomAssignment *a;
} Copy;

static void
copy_free(Copy *c)
{
    g_free(c->path);
    gp_dom_assignment_free(c->a);
    g_free(c);
}

/* Every runtime copy in DIR (a missing directory has none).  Temporary
 * files of an unfinished replacement start with '.' and are skipped. */
static GPtrArray *
load_copies(const char *dir, GError **error)
{
    g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func((GDestroyNotify)copy_free);
    g_autoptr(GDir) d = NULL;
    g_autoptr(GError) err = NULL;
    const char *entry;

    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&copies);
    d = g_dir_open(dir, 0, &err);
    if (!d) {
        g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_IO,
                    "cannot list the runtime copies in %s: %s", dir, err->message);
        return NULL;
    }
    while ((entry = g_dir_read_name(d))) {
        g_autofree char *path = NULL;
        g_autofree char *xml = NULL;
        Copy *c;
        gsize len = 0;

        if (entry[0] == '.' || !g_str_has_suffix(entry, ".xml"))
            continue;
        path = g_build_filename(dir, entry, NULL);
        xml = gp_domassign_read_file(path, &len, &err);
        c = g_new0(Copy, 1);
        c->path = g_steal_pointer(&path);
        g_ptr_array_add(copies, c);
        if (xml)
            c->a = gp_domxml_read_assignment(xml, len, &err);
        if (!c->a) {
            g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_IO,
                        "runtime copy %s cannot be read (%s): remove it once its domain "
                        "stopped ('gpupool cluster-forget --file SHARED')", c->path,
                        err->message);
            return NULL;
        }
    }
    return g_steal_pointer(&copies);
}

GHashTable *
gp_runtime_managed(GError **error)
{
    g_autofree char *dir = gp_paths_cluster_dir();
    g_autoptr(GPtrArray) copies = load_copies(dir, error);
    GHashTable *uuids;

    if (!copies)
        return NULL;
    uuids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < copies->len; i++) {
        const Copy *c = copies->pdata[i];

        if (c->a->uuid)
            g_hash_table_add(uuids, g_strdup(c->a->uuid));
    }
    return uuids;
}

/* ---- Prepare ---------------------------------------------------------------- */

/* What other copies keep for their domains until these claim them: the
 * pci and vf units they name that nobody holds, and per mdev pool how
 * many of their mdevs do not exist yet, with the names of those domains
 * per pool. */
typedef struct {
    GHashTable *units;    /* unit -> domain name (borrowed) */
    GHashTable *mdevs;    /* pool -> GUINT_TO_POINTER(count) */
    GHashTable *names;    /* pool -> GPtrArray of domain names (borrowed) */
} Pending;

static void
pending_clear(Pending *p)
{
    g_clear_pointer(&p->units, g_hash_table_unref);
    g_clear_pointer(&p->mdevs, g_hash_table_unref);
    g_clear_pointer(&p->names, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Pending, pending_clear)

static void
pending_collect(Pending *p, GPtrArray *copies, const char *uuid, GpClaims *claims)
{
    p->units = g_hash_table_new(g_str_hash, g_str_equal);
    p->mdevs = g_hash_table_new(g_str_hash, g_str_equal);
    p->names = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                     (GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < copies->len; i++) {
        const Copy *c = copies->pdata[i];

        if (g_strcmp0(c->a->uuid, uuid) == 0)
            continue;
        for (guint j = 0; j < c->a->devices->len; j++) {
            const GpDomDevice *d = c->a->devices->pdata[j];
            const char *unit = d->address ? d->address : d->uuid;
            GPtrArray *names;

            if (gp_claims_find(claims, unit))
                continue;
            if (d->uuid)
                g_hash_table_insert(p->mdevs, d->pool, GUINT_TO_POINTER(
                    GPOINTER_TO_UINT(g_hash_table_lookup(p->mdevs, d->pool)) + 1));
            else
                g_hash_table_insert(p->units, (gpointer)unit, c->a->name);
            names = g_hash_table_lookup(p->names, d->pool);
            if (!names) {
                names = g_ptr_array_new();
                g_hash_table_insert(p->names, d->pool, names);
            }
            if (!g_ptr_array_find_with_equal_func(names, c->a->name, g_str_equal, NULL))
                g_ptr_array_add(names, c->a->name);
        }
    }
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ", held by vm2, vm3" for pool P: the holders the ledger counts and the
 * domains other copies keep units for; "" if none. */
static char *
held_by_text(const GpPoolCapacity *cap, const Pending *pending)
{
    GPtrArray *kept = g_hash_table_lookup(pending->names, cap->pool);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autofree char *joined = NULL;

    for (guint i = 0; i < cap->holders->len; i++)
        g_ptr_array_add(names, cap->holders->pdata[i]);
    for (guint i = 0; kept && i < kept->len; i++)
        if (!g_ptr_array_find_with_equal_func(names, kept->pdata[i], g_str_equal, NULL))
            g_ptr_array_add(names, kept->pdata[i]);
    if (names->len == 0)
        return g_strdup("");
    g_ptr_array_sort(names, compare_strings);
    g_ptr_array_add(names, NULL);
    joined = g_strjoinv(", ", (char **)names->pdata);
    return g_strdup_printf(", held by %s", joined);
}

static void
set_no_room(GError **error, const char *dom, const GpPoolCapacity *cap, const Pending *pending,
            guint need, guint free_now)
{
    g_autofree char *held = held_by_text(cap, pending);

    if (free_now == 0)
        g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_NO_ROOM,
                    "%s: no free device of pool '%s' on %s: 0 of %u free%s; the cluster "
                    "places it on a node with room", dom, cap->pool, gp_runtime_node_name(),
                    cap->capacity, held);
    else
        g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_NO_ROOM,
                    "%s: needs %u devices of pool '%s' but %s has %u of %u free%s; the "
                    "cluster places it on a node with room", dom, need, cap->pool,
                    gp_runtime_node_name(), free_now, cap->capacity, held);
}

/* Is DEV one that this node's cluster copies keep for another domain? */
static gboolean
kept_for_other(const Pending *pending, const GpDomainDevice *dev)
{
    return g_hash_table_contains(pending->units, dev->device);
}

/* The re-point plan: NEEDS (borrowed devices of DOM) and, per pool, the
 * units they may take.  Refuses with NO_ROOM naming the pool that has
 * too few. */
static GHashTable *
plan_units(GpLedger *ledger, GHashTable *pools, GpDomain *dom, const Pending *pending,
           GPtrArray **needs_out, GHashTable *free_units, GError **error)
{
    g_autoptr(GPtrArray) needs = NULL;
    g_autoptr(GHashTable) per_pool = g_hash_table_new(g_str_hash, g_str_equal);
    GpClaims *claims = gp_ledger_claims(ledger);
    GHashTableIter iter;
    gpointer key, value;

    needs = gp_alloc_repoint_needs(claims, pools, dom, error);
    if (!needs)
        return NULL;
    for (guint i = 0; i < dom->devices->len; i++) {
        GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        const GpClaim *held = gp_claims_find(claims, dev->device);
        gboolean mine = held && g_ascii_strcasecmp(held->domain_uuid, dom->uuid) == 0;

        /* Each device takes a free unit of its pool unless the domain
         * already runs here and holds it: a kept device is one of the
         * free units, a re-pointed one takes another, an mdev is made. */
        if (mine)
            continue;
        g_hash_table_insert(per_pool, dev->pool, GUINT_TO_POINTER(
            GPOINTER_TO_UINT(g_hash_table_lookup(per_pool, dev->pool)) + 1));
        if (pool->type != GP_POOL_TYPE_MDEV && kept_for_other(pending, dev) &&
            !g_ptr_array_find(needs, dev, NULL))
            g_ptr_array_add(needs, dev);
    }
    g_hash_table_iter_init(&iter, per_pool);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        const GpPool *pool = g_hash_table_lookup(pools, key);
        const GpPoolCapacity *cap = gp_ledger_capacity(ledger, key, error);
        guint need = GPOINTER_TO_UINT(value);
        guint free_now = 0;

        if (!cap)
            return NULL;
        if (pool->type == GP_POOL_TYPE_MDEV) {
            guint kept = GPOINTER_TO_UINT(g_hash_table_lookup(pending->mdevs, key));

            free_now = cap->free > kept ? cap->free - kept : 0;
        } else {
            GPtrArray *units = g_ptr_array_new();

            for (guint i = 0; i < cap->free_units->len; i++)
                if (!g_hash_table_contains(pending->units, cap->free_units->pdata[i]))
                    g_ptr_array_add(units, cap->free_units->pdata[i]);
            free_now = units->len;
            g_hash_table_insert(free_units, key, units);
        }
        if (need > free_now) {
            set_no_room(error, dom->name, cap, pending, need, free_now);
            return NULL;
        }
    }
    *needs_out = g_steal_pointer(&needs);
    return gp_alloc_repoint(dom, *needs_out, free_units, error);
}

/* OUT checked: a file directly in DIR, so that the copy is found. */
static char *
check_out(const char *out, const char *dir, GError **error)
{
    g_autofree char *base = g_path_get_basename(out);
    g_autofree char *parent = g_path_get_dirname(out);
    char *real_parent = realpath(parent, NULL);
    char *real_dir = realpath(dir, NULL);
    gboolean same = real_parent && real_dir && strcmp(real_parent, real_dir) == 0;

    free(real_parent);
    free(real_dir);
    if (!same || base[0] == '.' || !g_str_has_suffix(base, ".xml")) {
        g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_INVALID,
                    "--out %s: a runtime copy is a NAME.xml directly in %s, where gpupool "
                    "finds the cluster's domains; name one there or leave out --out", out, dir);
        return NULL;
    }
    return g_build_filename(dir, base, NULL);
}

/* The shared file's domain and its request. */
static GpDomAssignment *
read_shared(const char *shared, char **xml_out, gsize *len, gboolean need_request,
            GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = gp_domassign_read_file(shared, len, error);
    g_autoptr(GpDomAssignment) a = NULL;

    if (!xml)
        return NULL;
    a = gp_domxml_read_assignment(xml, *len, &err);
    if (!a) {
        g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_INVALID, "%s: %s", shared,
                    err->message);
        return NULL;
    }
    if (!a->uuid || (need_request && a->requests->len == 0)) {
        g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_INVALID,
                    "%s: domain '%s' has no %s: run 'gpupool assign --file %s --pool POOL' "
                    "first", shared, a->name, a->uuid ? "gpupool request" : "<uuid>", shared);
        return NULL;
    }
    if (xml_out)
        *xml_out = g_steal_pointer(&xml);
    return g_steal_pointer(&a);
}

static void
add_device_lines(GPtrArray *done, const GpDomain *dom, GHashTable *pools, GHashTable *changes)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        const char *to = g_hash_table_lookup(changes, dev->alias);

        if (pool->type == GP_POOL_TYPE_MDEV)
            g_ptr_array_add(done, g_strdup_printf(
                "%s: %s %s: mdev %s, made at start on a parent with room", dom->name,
                dev->pool, dev->alias, dev->device));
        else if (to)
            g_ptr_array_add(done, g_strdup_printf("%s: %s %s: %s (the shared file has %s)",
                                                  dom->name, dev->pool, dev->alias, to,
                                                  dev->device));
        else
            g_ptr_array_add(done, g_strdup_printf("%s: %s %s: %s", dom->name, dev->pool,
                                                  dev->alias, dev->device));
    }
}

char *
gp_runtime_prepare(const char *shared, const char *out, GPtrArray *done, GError **error)
{
    g_autofree char *dir = gp_paths_cluster_dir();
    g_autofree char *xml = NULL;
    g_autofree char *path = NULL;
    g_autofree char *new_xml = NULL;
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GpDomain) dom = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GPtrArray) copies = NULL;
    g_autoptr(GPtrArray) needs = NULL;
    g_autoptr(GHashTable) free_units = NULL;
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GpDomXml) doc = NULL;
    g_autoptr(GError) err = NULL;
    g_auto(Pending) pending = { 0 };
    GHashTableIter iter;
    gpointer alias, unit;
    gsize len = 0;

    a = read_shared(shared, &xml, &len, TRUE, error);
    if (!a)
        return NULL;
    dom = gp_domain_new_from_assignment(a);
    if (!gp_txfile_ensure_dir(dir, 0755, &err)) {
        g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_IO, "%s", err->message);
        return NULL;
    }
    path = out ? check_out(out, dir, error) : gp_runtime_default_path(a->name, a->uuid);
    if (!path)
        return NULL;

    /* Under the lock: a unit chosen here cannot be chosen by another
     * prepare, or claimed by a start, until the copy is written. */
    ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    if (!ledger)
        return NULL;
    pools = gp_lifecycle_pools(ledger, dom, FALSE, error);
    if (!pools || !gp_alloc_check_per_domain(dom, pools, error))
        return NULL;
    copies = load_copies(dir, error);
    if (!copies)
        return NULL;
    pending_collect(&pending, copies, dom->uuid, gp_ledger_claims(ledger));
    for (guint i = 0; i < dom->devices->len; i++) {
        GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);

        gp_ledger_probe_device(dev, pool->type);
    }
    free_units = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify)g_ptr_array_unref);
    changes = plan_units(ledger, pools, dom, &pending, &needs, free_units, error);
    if (!changes)
        return NULL;

    doc = gp_domxml_parse(xml, len, error);
    if (!doc)
        return NULL;
    g_hash_table_iter_init(&iter, changes);
    while (g_hash_table_iter_next(&iter, &alias, &unit))
        if (!gp_domxml_repoint(doc, alias, unit, NULL, error))
            return NULL;
    new_xml = gp_domxml_format(doc);
    for (guint i = 0; i < copies->len; i++) {
        const Copy *c = copies->pdata[i];

        if (g_strcmp0(c->a->uuid, dom->uuid) == 0 && strcmp(c->path, path) != 0)
            g_unlink(c->path);
    }
    if (!gp_txfile_replace(path, new_xml, -1, 0600, &err)) {
        g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_IO,
                    "%s: cannot write its runtime copy: %s", dom->name, err->message);
        return NULL;
    }
    if (done) {
        add_device_lines(done, dom, pools, changes);
        g_ptr_array_add(done, g_strdup_printf("%s: runtime copy %s", dom->name, path));
    }
    return g_steal_pointer(&path);
}

/* ---- Forget ------------------------------------------------------------------ */

gboolean
gp_runtime_forget(const char *shared, const char *out, GPtrArray *done, GPtrArray *warnings,
                  GError **error)
{
    g_autofree char *dir = gp_paths_cluster_dir();
    g_autofree char *path = NULL;
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) copies = NULL;
    g_autoptr(GPtrArray) held = NULL;
    g_autoptr(GError) unread = NULL;
    const char *name;
    guint removed = 0;
    gsize len = 0;

    if (out && !(path = check_out(out, dir, error)))
        return FALSE;
    a = read_shared(shared, NULL, &len, FALSE, path ? &unread : error);
    if (!a && !path)
        return FALSE;
    ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    if (!ledger)
        return FALSE;
    copies = load_copies(dir, error);
    if (!copies)
        return FALSE;
    /* A stop must not fail because the shared storage is away: the copy
     * the caller names goes in any case. */
    if (!a && warnings)
        g_ptr_array_add(warnings, g_strdup_printf("%s; removing %s only", unread->message,
                                                  path));
    name = a ? a->name : path;
    for (guint i = 0; i < copies->len; i++) {
        const Copy *c = copies->pdata[i];

        if (!(a && g_strcmp0(c->a->uuid, a->uuid) == 0) && g_strcmp0(c->path, path) != 0)
            continue;
        if (g_unlink(c->path) != 0 && errno != ENOENT) {
            int e = errno;

            g_set_error(error, GP_RUNTIME_ERROR, GP_RUNTIME_ERROR_IO,
                        "%s: cannot remove its runtime copy %s: %s", name, c->path,
                        g_strerror(e));
            return FALSE;
        }
        removed++;
        if (done)
            g_ptr_array_add(done, g_strdup_printf("%s: runtime copy %s removed", name, c->path));
    }
    if (removed == 0 && done)
        g_ptr_array_add(done, g_strdup_printf("%s: no runtime copy on %s, nothing to forget",
                                              name, gp_runtime_node_name()));
    held = a ? gp_claims_of_domain(gp_ledger_claims(ledger), a->uuid, a->name) : g_ptr_array_new();
    for (guint i = 0; warnings && i < held->len; i++) {
        const GpClaim *c = held->pdata[i];

        g_ptr_array_add(warnings, g_strdup_printf(
            "%s: still holds %s of pool '%s' here: its release has not run; it counts as "
            "not the cluster's until 'gpupool rebalance' finds it stopped", a->name,
            c->device, c->pool));
    }
    return TRUE;
}
