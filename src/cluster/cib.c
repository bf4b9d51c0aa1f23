/* Reading Pacemaker's CIB. */
#include "config.h"

#include "cluster/cib.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmldoc.h"
#include "cluster/attrs.h"

G_DEFINE_QUARK(gp-cib-error-quark, gp_cib_error)

/* A CIB with a long resource history is a few MiB; this bounds a hostile
 * or mistaken file. */
#define CIB_MAX_SIZE (64 * 1024 * 1024)

static void
node_free(GpCibNode *n)
{
    g_free(n->name);
    g_free(n->id);
    g_hash_table_unref(n->utilization);
    g_hash_table_unref(n->attributes);
    g_free(n);
}

static void
failure_free(GpCibFailure *f)
{
    g_free(f->node);
    g_free(f->operation);
    g_free(f->exit_reason);
    g_free(f);
}

static void
resource_free(GpCibResource *r)
{
    g_free(r->id);
    g_free(r->config);
    g_free(r->target_role);
    g_hash_table_unref(r->demand);
    g_ptr_array_unref(r->running_on);
    g_ptr_array_unref(r->failures);
    g_hash_table_unref(r->fail_counts);
    g_hash_table_unref(r->banned);
    g_free(r);
}

void
gp_cib_free(GpCib *cib)
{
    if (!cib)
        return;
    g_free(cib->placement_strategy);
    g_ptr_array_unref(cib->nodes);
    g_ptr_array_unref(cib->resources);
    g_free(cib);
}

const GpCibNode *
gp_cib_node(const GpCib *cib, const char *name)
{
    for (guint i = 0; i < cib->nodes->len; i++) {
        const GpCibNode *n = cib->nodes->pdata[i];

        if (strcmp(n->name, name) == 0)
            return n;
    }
    return NULL;
}

static GpCibResource *
find_resource(GpCib *cib, const char *id)
{
    for (guint i = 0; i < cib->resources->len; i++) {
        GpCibResource *r = cib->resources->pdata[i];

        if (strcmp(r->id, id) == 0)
            return r;
    }
    return NULL;
}

/* ---- XML helpers ------------------------------------------------------------- */

static xmlNode *
child(xmlNode *node, const char *name)
{
    for (xmlNode *c = node ? node->children : NULL; c; c = c->next)
        if (gp_xmldoc_node_is(c, name))
            return c;
    return NULL;
}

/* The nvpairs of every child set named SET of NODE into TABLE (name ->
 * value), the first value of a name winning unless OVERRIDE.  Sets with
 * rules are read as if their rules held. */
static void
read_nvpairs(xmlNode *node, const char *set, GHashTable *table, gboolean override)
{
    for (xmlNode *s = node ? node->children : NULL; s; s = s->next) {
        if (!gp_xmldoc_node_is(s, set))
            continue;
        for (xmlNode *p = s->children; p; p = p->next) {
            g_autofree char *name = NULL;

            if (!gp_xmldoc_node_is(p, "nvpair"))
                continue;
            name = gp_xmldoc_prop(p, "name");
            if (!name || (!override && g_hash_table_contains(table, name)))
                continue;
            g_hash_table_insert(table, g_steal_pointer(&name),
                                gp_xmldoc_prop(p, "value") ?: g_strdup(""));
        }
    }
}

static GHashTable *
new_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static gboolean
is_true(const char *value)
{
    return value && (g_ascii_strcasecmp(value, "true") == 0 ||
                     g_ascii_strcasecmp(value, "on") == 0 ||
                     g_ascii_strcasecmp(value, "yes") == 0 ||
                     g_ascii_strcasecmp(value, "y") == 0 || strcmp(value, "1") == 0);
}

/* A score or count: "INFINITY", "+INFINITY", or a number, at most
 * GP_CIB_INFINITY. */
static guint
score_value(const char *value)
{
    gint64 n;

    if (!value)
        return 0;
    if (strstr(value, "INFINITY"))
        return value[0] == '-' ? 0 : GP_CIB_INFINITY;
    n = g_ascii_strtoll(value, NULL, 10);
    return n <= 0 ? 0 : (guint)MIN(n, GP_CIB_INFINITY);
}

/* in_ccm and crmd are "true"/"online" in Pacemaker 2.1 and time stamps
 * in later versions. */
static gboolean
state_on(const char *value, const char *word)
{
    return value && (strcmp(value, word) == 0 || g_ascii_strtoll(value, NULL, 10) > 0);
}

/* ---- Configuration ------------------------------------------------------------ */

static void
read_nodes(GpCib *cib, xmlNode *nodes)
{
    for (xmlNode *n = nodes ? nodes->children : NULL; n; n = n->next) {
        GpCibNode *node;

        if (!gp_xmldoc_node_is(n, "node"))
            continue;
        node = g_new0(GpCibNode, 1);
        node->id = gp_xmldoc_prop(n, "id");
        node->name = gp_xmldoc_prop(n, "uname");
        if (!node->name)
            node->name = g_strdup(node->id ? node->id : "");
        node->utilization = new_table();
        node->attributes = new_table();
        read_nvpairs(n, "utilization", node->utilization, FALSE);
        read_nvpairs(n, "instance_attributes", node->attributes, FALSE);
        g_ptr_array_add(cib->nodes, node);
    }
}

static gboolean
is_gpu_domain(xmlNode *p)
{
    g_autofree char *klass = gp_xmldoc_prop(p, "class");
    g_autofree char *provider = gp_xmldoc_prop(p, "provider");
    g_autofree char *type = gp_xmldoc_prop(p, "type");

    return g_strcmp0(klass, "ocf") == 0 && g_strcmp0(provider, "gpupool") == 0 &&
           g_strcmp0(type, "GpuDomain") == 0;
}

static GpCibResource *
read_primitive(xmlNode *p, GHashTable *defaults)
{
    GpCibResource *r = g_new0(GpCibResource, 1);
    g_autoptr(GHashTable) params = new_table();
    g_autoptr(GHashTable) meta = new_table();
    g_autoptr(GHashTable) util = new_table();
    GHashTableIter iter;
    gpointer key, value;

    r->id = gp_xmldoc_prop(p, "id");
    r->demand = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r->running_on = g_ptr_array_new_with_free_func(g_free);
    r->failures = g_ptr_array_new_with_free_func((GDestroyNotify)failure_free);
    r->fail_counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r->banned = new_table();
    read_nvpairs(p, "instance_attributes", params, FALSE);
    read_nvpairs(p, "meta_attributes", meta, FALSE);
    read_nvpairs(p, "utilization", util, FALSE);
    /* rsc_defaults under the resource's own meta attributes. */
    g_hash_table_iter_init(&iter, defaults);
    while (g_hash_table_iter_next(&iter, &key, &value))
        if (!g_hash_table_contains(meta, key))
            g_hash_table_insert(meta, g_strdup(key), g_strdup(value));
    r->config = g_strdup(g_hash_table_lookup(params, "config"));
    r->target_role = g_strdup(g_hash_table_lookup(meta, "target-role"));
    r->managed = !g_hash_table_contains(meta, "is-managed") ||
                 is_true(g_hash_table_lookup(meta, "is-managed"));
    r->migration_threshold = g_hash_table_contains(meta, "migration-threshold")
                             ? score_value(g_hash_table_lookup(meta, "migration-threshold"))
                             : GP_CIB_INFINITY;
    /* migration-threshold=0 means no threshold. */
    if (r->migration_threshold == 0)
        r->migration_threshold = GP_CIB_INFINITY;
    g_hash_table_iter_init(&iter, util);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        g_autofree char *pool = gp_attr_utilization_pool(key);
        guint n = score_value(value);

        if (pool && n)
            g_hash_table_insert(r->demand, g_steal_pointer(&pool), GUINT_TO_POINTER(n));
    }
    return r;
}

/* Every GpuDomain primitive, wherever it sits (a group, a clone). */
static void
read_resources(GpCib *cib, xmlNode *node, GHashTable *defaults)
{
    for (xmlNode *c = node ? node->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (gp_xmldoc_node_is(c, "primitive")) {
            /* Pacemaker runs no resource without an ID, and the status
             * finds a resource by it. */
            if (is_gpu_domain(c) && xmlHasProp(c, (const xmlChar *)"id"))
                g_ptr_array_add(cib->resources, read_primitive(c, defaults));
        } else {
            read_resources(cib, c, defaults);
        }
    }
}

static void
read_bans(GpCib *cib, xmlNode *constraints)
{
    for (xmlNode *c = constraints ? constraints->children : NULL; c; c = c->next) {
        g_autofree char *rsc = NULL, *node = NULL, *score = NULL, *id = NULL;
        GpCibResource *r;

        if (!gp_xmldoc_node_is(c, "rsc_location"))
            continue;
        rsc = gp_xmldoc_prop(c, "rsc");
        node = gp_xmldoc_prop(c, "node");
        score = gp_xmldoc_prop(c, "score");
        id = gp_xmldoc_prop(c, "id");
        r = rsc ? find_resource(cib, rsc) : NULL;
        if (r && node && score && score[0] == '-' && strstr(score, "INFINITY"))
            g_hash_table_insert(r->banned, g_steal_pointer(&node),
                                g_steal_pointer(&id) ?: g_strdup(""));
    }
}

/* ---- Status ------------------------------------------------------------------- */

typedef struct {
    xmlNode *op;
    gint64 call;
} Op;

static gint
op_compare(gconstpointer a, gconstpointer b)
{
    const Op *x = a, *y = b;

    return x->call < y->call ? -1 : x->call > y->call;
}

static int
int_prop(xmlNode *n, const char *name, int fallback)
{
    g_autofree char *v = gp_xmldoc_prop(n, name);

    return v && *v ? (int)g_ascii_strtoll(v, NULL, 10) : fallback;
}

/* Is the resource active on this node after the operations OPS? */
static gboolean
active_after(xmlNode *lrm_resource, GpCibResource *r, const char *node)
{
    g_autoptr(GArray) ops = g_array_new(FALSE, FALSE, sizeof(Op));
    gboolean active = FALSE;

    for (xmlNode *o = lrm_resource->children; o; o = o->next) {
        Op op = { o, 0 };
        g_autofree char *id = NULL;

        if (!gp_xmldoc_node_is(o, "lrm_rsc_op"))
            continue;
        id = gp_xmldoc_prop(o, "id");
        op.call = int_prop(o, "call-id", -1);
        /* A pending operation (call -1) is the newest. */
        if (op.call < 0)
            op.call = G_MAXINT64;
        if (id && g_str_has_suffix(id, "_last_failure_0")) {
            GpCibFailure *f = g_new0(GpCibFailure, 1);

            f->node = g_strdup(node);
            f->operation = gp_xmldoc_prop(o, "operation");
            f->rc = int_prop(o, "rc-code", 1);
            f->exit_reason = gp_xmldoc_prop(o, "exit-reason") ?: g_strdup("");
            g_ptr_array_add(r->failures, f);
        }
        g_array_append_val(ops, op);
    }
    g_array_sort(ops, op_compare);
    for (guint i = 0; i < ops->len; i++) {
        xmlNode *o = g_array_index(ops, Op, i).op;
        g_autofree char *what = gp_xmldoc_prop(o, "operation");
        int rc = int_prop(o, "rc-code", 0);
        int status = int_prop(o, "op-status", 0);

        if (!what || status == 1)  /* cancelled: says nothing */
            continue;
        if (status == -1) {        /* pending: a start or stop under way */
            active = strcmp(what, "stop") != 0;
            continue;
        }
        if (strcmp(what, "stop") == 0)
            active = rc != 0 || status != 0;  /* a failed stop leaves it active */
        else if (strcmp(what, "monitor") == 0)
            active = !(rc == 7 && status == 0);
        else if (strcmp(what, "start") == 0 || strcmp(what, "migrate_from") == 0 ||
                 strcmp(what, "promote") == 0 || strcmp(what, "demote") == 0)
            /* A failed start is stopped next; until then it counts. */
            active = TRUE;
        else if (strcmp(what, "migrate_to") == 0)
            active = TRUE;  /* the source keeps it until its stop */
    }
    return active;
}

static void
read_node_state(GpCib *cib, xmlNode *ns)
{
    g_autofree char *uname = gp_xmldoc_prop(ns, "uname");
    g_autofree char *in_ccm = gp_xmldoc_prop(ns, "in_ccm");
    g_autofree char *crmd = gp_xmldoc_prop(ns, "crmd");
    g_autofree char *join = gp_xmldoc_prop(ns, "join");
    g_autofree char *expected = gp_xmldoc_prop(ns, "expected");
    GpCibNode *node = uname ? (GpCibNode *)gp_cib_node(cib, uname) : NULL;
    xmlNode *resources = child(child(ns, "lrm"), "lrm_resources");
    xmlNode *transient = child(ns, "transient_attributes");

    if (!node)
        return;
    node->online = state_on(in_ccm, "true") && state_on(crmd, "online") &&
                   (!join || strcmp(join, "member") == 0);
    node->unclean = !node->online && cib->stonith_enabled &&
                    g_strcmp0(expected, "member") == 0;
    read_nvpairs(transient, "instance_attributes", node->attributes, TRUE);
    for (xmlNode *lr = resources ? resources->children : NULL; lr; lr = lr->next) {
        g_autofree char *id = NULL;
        GpCibResource *r;

        if (!gp_xmldoc_node_is(lr, "lrm_resource"))
            continue;
        id = gp_xmldoc_prop(lr, "id");
        r = id ? find_resource(cib, id) : NULL;
        if (r && active_after(lr, r, uname) && node->online)
            g_ptr_array_add(r->running_on, g_strdup(uname));
    }
}

/* fail-count-RSC#OP_INTERVAL (Pacemaker 2) or fail-count-RSC (1.x). */
static void
read_fail_counts(GpCib *cib)
{
    for (guint i = 0; i < cib->nodes->len; i++) {
        const GpCibNode *n = cib->nodes->pdata[i];
        GHashTableIter iter;
        gpointer key, value;

        g_hash_table_iter_init(&iter, n->attributes);
        while (g_hash_table_iter_next(&iter, &key, &value)) {
            const char *name = key;
            g_autofree char *rsc = NULL;
            GpCibResource *r;
            guint sum;

            if (!g_str_has_prefix(name, "fail-count-"))
                continue;
            rsc = g_strdup(name + strlen("fail-count-"));
            if (strchr(rsc, '#'))
                *strchr(rsc, '#') = '\0';
            r = find_resource(cib, rsc);
            if (!r)
                continue;
            sum = GPOINTER_TO_UINT(g_hash_table_lookup(r->fail_counts, n->name)) +
                  score_value(value);
            g_hash_table_insert(r->fail_counts, g_strdup(n->name),
                                GUINT_TO_POINTER(MIN(sum, GP_CIB_INFINITY)));
        }
    }
}

GpCib *
gp_cib_parse(const char *xml, gsize len, const char *what, GError **error)
{
    g_autoptr(xmlDoc) doc = gp_xmldoc_parse(what, xml, len, CIB_MAX_SIZE, GP_CIB_ERROR,
                                            GP_CIB_ERROR_INVALID, error);
    g_autoptr(GpCib) cib = NULL;
    g_autoptr(GHashTable) props = new_table();
    g_autoptr(GHashTable) defaults = new_table();
    g_autoptr(GHashTable) states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    xmlNode *root, *config, *status;

    if (!doc)
        return NULL;
    root = xmlDocGetRootElement(doc);
    config = child(root, "configuration");
    if (!gp_xmldoc_node_is(root, "cib") || !config) {
        g_set_error(error, GP_CIB_ERROR, GP_CIB_ERROR_INVALID,
                    "%s is not a Pacemaker CIB (no <cib><configuration>): give the output of "
                    "'cibadmin --query'", what);
        return NULL;
    }
    cib = g_new0(GpCib, 1);
    cib->nodes = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    cib->resources = g_ptr_array_new_with_free_func((GDestroyNotify)resource_free);
    read_nvpairs(child(config, "crm_config"), "cluster_property_set", props, FALSE);
    cib->placement_strategy = g_strdup(g_hash_table_lookup(props, "placement-strategy")
                                       ?: "default");
    cib->stonith_enabled = !g_hash_table_contains(props, "stonith-enabled") ||
                           is_true(g_hash_table_lookup(props, "stonith-enabled"));
    read_nvpairs(child(config, "rsc_defaults"), "meta_attributes", defaults, FALSE);
    if (is_true(g_hash_table_lookup(props, "maintenance-mode")))
        g_hash_table_replace(defaults, g_strdup("is-managed"), g_strdup("false"));
    read_nodes(cib, child(config, "nodes"));
    read_resources(cib, child(config, "resources"), defaults);
    read_bans(cib, child(config, "constraints"));
    status = child(root, "status");
    for (xmlNode *ns = status ? status->children : NULL; ns; ns = ns->next) {
        char *uname;

        if (!gp_xmldoc_node_is(ns, "node_state"))
            continue;
        /* Pacemaker keeps one state per node; a damaged CIB's second one
         * could put a domain on a node it then says is offline. */
        uname = gp_xmldoc_prop(ns, "uname");
        if (uname && !g_hash_table_add(states, uname))
            continue;
        read_node_state(cib, ns);
    }
    for (guint i = 0; i < cib->nodes->len; i++) {
        GpCibNode *n = cib->nodes->pdata[i];

        n->standby = is_true(g_hash_table_lookup(n->attributes, "standby"));
        n->maintenance = is_true(g_hash_table_lookup(n->attributes, "maintenance"));
    }
    read_fail_counts(cib);
    return g_steal_pointer(&cib);
}

GpCib *
gp_cib_load(const char *file, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *errout = NULL;
    gsize len = 0;
    int status = 0;

    if (file) {
        if (!g_file_get_contents(file, &xml, &len, &err)) {
            g_set_error(error, GP_CIB_ERROR, GP_CIB_ERROR_QUERY,
                        "cannot read the CIB %s: %s: save one with 'cibadmin --query > FILE'",
                        file, err->message);
            return NULL;
        }
        return gp_cib_parse(xml, len, file, error);
    } else {
        /* An argument vector, never a shell; cibadmin honours $CIB_file. */
        const char *argv[] = { "cibadmin", "--query", NULL };

        if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &xml,
                          &errout, &status, &err)) {
            g_set_error(error, GP_CIB_ERROR, GP_CIB_ERROR_QUERY,
                        "cannot run 'cibadmin --query': %s: install pacemaker-cli-utils, or "
                        "read a saved CIB with --cib FILE", err->message);
            return NULL;
        }
        if (!g_spawn_check_wait_status(status, NULL)) {
            g_strstrip(errout);
            g_strdelimit(errout, "\n", ' ');
            g_set_error(error, GP_CIB_ERROR, GP_CIB_ERROR_QUERY,
                        "'cibadmin --query' failed (%s): is Pacemaker running on this node? "
                        "(--cib FILE reads a saved CIB)", *errout ? errout : "no message");
            return NULL;
        }
        return gp_cib_parse(xml, strlen(xml), "the CIB from 'cibadmin --query'", error);
    }
}
