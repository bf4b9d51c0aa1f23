/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "state/pool.h"

#include <stdarg.h>
#include <string.h>

#include "base/pciaddr.h"
#include "base/xmldoc.h"
#include "base/xmltree.h"
#include "state/pool-priv.h"

G_DEFINE_QUARK(gp-pool-error-quark, gp_pool_error)

#define NAME_MAX_LEN 64
#define MDEV_TYPE_MAX_LEN 128

static const char *const type_names[] = {
    [GP_POOL_TYPE_PCI] = "pci",
    [GP_POOL_TYPE_MDEV] = "mdev",
    [GP_POOL_TYPE_VF] = "vf",
};

const char *
gp_pool_type_to_string(GpPoolType type)
{
    if ((guint)type < G_N_ELEMENTS(type_names))
        return type_names[type];
    return "unknown";
}

gboolean
gp_pool_type_from_string(const char *str, GpPoolType *type)
{
    for (guint i = 0; i < G_N_ELEMENTS(type_names); i++) {
        if (str && strcmp(str, type_names[i]) == 0) {
            *type = i;
            return TRUE;
        }
    }
    return FALSE;
}

void
gp_pool_device_free(GpPoolDevice *dev)
{
    if (dev && !dev->in_block)
        g_free(dev);
}

/* Room for the members of a pool read from its file, in one allocation:
 * the hook reads every member of a pool on each start. */
typedef struct {
    GpPoolDevice *next;  /* the next free member */
    guint left;          /* members left */
    char *strings;       /* where the next member's strings go */
    char *end;
} MemberBlock;

/* A member with its strings, in BLOCK if it has room (or BLOCK is NULL),
 * else in one allocation of its own (not three): freed with
 * gp_pool_device_free(). */
static GpPoolDevice *
device_new_in(MemberBlock *block, const char *address, const char *host_driver,
              const char *companion_of)
{
    const char *src[] = { address, host_driver, companion_of };
    gsize len[G_N_ELEMENTS(src)];
    gsize size = sizeof(GpPoolDevice);
    const char **dst[G_N_ELEMENTS(src)];
    GpPoolDevice *dev;
    char *p;

    for (guint i = 0; i < G_N_ELEMENTS(src); i++) {
        len[i] = src[i] ? strlen(src[i]) + 1 : 0;
        size += len[i];
    }
    if (block && block->left > 0 &&
        (gsize)(block->end - block->strings) >= size - sizeof(GpPoolDevice)) {
        dev = block->next++;
        block->left--;
        p = block->strings;
        block->strings += size - sizeof(GpPoolDevice);
        *dev = (GpPoolDevice){ .in_block = TRUE };
    } else {
        dev = g_malloc(size);
        *dev = (GpPoolDevice){ 0 };
        p = (char *)(dev + 1);
    }
    dst[0] = &dev->address;
    dst[1] = &dev->host_driver;
    dst[2] = &dev->companion_of;
    for (guint i = 0; i < G_N_ELEMENTS(src); i++) {
        if (!src[i])
            continue;
        memcpy(p, src[i], len[i]);
        *dst[i] = p;
        p += len[i];
    }
    return dev;
}

void
gp_pool_free(GpPool *pool)
{
    if (!pool)
        return;
    g_free(pool->name);
    g_free(pool->description);
    g_free(pool->mdev_type);
    g_free(pool->vf_profile);
    g_ptr_array_unref(pool->devices);
    g_free(pool->member_block);
    g_free(pool);
}

/* Shown in errors: never echo more than this of untrusted input. */
static char *
shorten(const char *str)
{
    if (!str)
        return g_strdup("");
    if (strlen(str) > NAME_MAX_LEN + 8)
        return g_strdup_printf("%.*s...", NAME_MAX_LEN, str);
    return g_strdup(str);
}

static gboolean
is_name_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* The schemas' name pattern: 1 to MAX of [A-Za-z0-9_.-] (and ':' if
 * COLON), not starting with '.', '-' or ':'. */
static gboolean
is_name(const char *str, size_t max, gboolean colon)
{
    size_t len = str ? strlen(str) : 0;

    if (len < 1 || len > max || str[0] == '.' || str[0] == '-' || str[0] == ':')
        return FALSE;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(str[i]) && !(colon && str[i] == ':'))
            return FALSE;
    return TRUE;
}

gboolean
gp_pool_name_check(const char *name, GError **error)
{
    g_autofree char *shown = NULL;

    if (is_name(name, NAME_MAX_LEN, FALSE))
        return TRUE;
    shown = shorten(name);
    g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                "'%s' is not a valid pool name: use 1 to %d letters, digits, '_', '.' "
                "or '-', not starting with '.' or '-'", shown, NAME_MAX_LEN);
    return FALSE;
}

gboolean
gp_pool_mdev_type_check(const char *type, GError **error)
{
    g_autofree char *shown = NULL;

    /* It names a directory under mdev_supported_types: no separators. */
    if (!is_name(type, MDEV_TYPE_MAX_LEN, TRUE)) {
        shown = shorten(type);
        g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                    "'%s' is not an mdev type id: use the directory name under the "
                    "parent's mdev_supported_types, e.g. nvidia-63 (see 'gpupool devices')",
                    shown);
        return FALSE;
    }
    return TRUE;
}

gboolean
gp_pool_set_description(GpPool *pool, const char *description, GError **error)
{
    if (description) {
        size_t len = strlen(description);

        if (len > GP_POOL_DESCRIPTION_MAX) {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                        "the description of pool '%s' is %zu characters long: shorten it "
                        "to %d at most", pool->name, len, GP_POOL_DESCRIPTION_MAX);
            return FALSE;
        }
        if (!g_utf8_validate(description, -1, NULL)) {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                        "the description of pool '%s' is not valid UTF-8: retype it",
                        pool->name);
            return FALSE;
        }
        for (size_t i = 0; i < len; i++) {
            /* XML 1.0 cannot carry most control characters, and a
             * description is one line in listings. */
            if ((guchar)description[i] < 0x20 || description[i] == 0x7f) {
                g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                            "the description of pool '%s' contains a control character "
                            "(newline, tab, ...): write it on one line", pool->name);
                return FALSE;
            }
        }
    }
    g_free(pool->description);
    /* An empty description is no description. */
    pool->description = description && *description ? g_strdup(description) : NULL;
    return TRUE;
}

GpPool *
gp_pool_new(const char *name, GpPoolType type, GError **error)
{
    GpPool *pool;

    if (!gp_pool_name_check(name, error))
        return NULL;
    if ((guint)type >= G_N_ELEMENTS(type_names)) {
        g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                    "pool '%s' has an unknown type: use pci, mdev or vf", name);
        return NULL;
    }
    pool = g_new0(GpPool, 1);
    pool->name = g_strdup(name);
    pool->type = type;
    pool->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_pool_device_free);
    return pool;
}

/* A member address in canonical PCI form, "dddd:bb:ss.f".  Canonical
 * addresses have fixed-width lower-case hex fields, so strcmp() orders them
 * numerically; pools of a thousand devices are parsed on the hook's path,
 * so ordering must not parse addresses. */
static gboolean
is_canonical_pci(const char *a)
{
    return strlen(a) == 12 && a[4] == ':' && a[7] == ':' && a[10] == '.';
}

/* Sort order of members: PCI addresses numerically, then (mdev pools)
 * named parents by name. */
static gint
compare_addresses(const char *a, const char *b)
{
    gboolean a_pci = is_canonical_pci(a);
    gboolean b_pci = is_canonical_pci(b);

    if (a_pci != b_pci)
        return a_pci ? -1 : 1;
    return strcmp(a, b);
}

/* Index of ADDRESS in the sorted member array, or where it would go. */
static guint
member_position(const GpPool *pool, const char *address, gboolean *found)
{
    guint lo = 0;
    guint hi = pool->devices->len;

    *found = FALSE;
    /* Pool files are written sorted: a member read from one goes last. */
    if (hi > 0 && compare_addresses(((GpPoolDevice *)pool->devices->pdata[hi - 1])->address,
                                    address) < 0)
        return hi;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const GpPoolDevice *dev = g_ptr_array_index(pool->devices, mid);
        gint c = compare_addresses(dev->address, address);

        if (c == 0) {
            *found = TRUE;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

GpPoolDevice *
gp_pool_find_device(const GpPool *pool, const char *address)
{
    gboolean found;
    guint pos;

    if (!address)
        return NULL;
    pos = member_position(pool, address, &found);
    return found ? g_ptr_array_index(pool->devices, pos) : NULL;
}

gboolean
gp_pool_add_device(GpPool *pool, const char *address, const char *host_driver,
                   const char *companion_of, GError **error)
{
    GpPoolDevice *dev;
    gboolean found;
    guint pos = member_position(pool, address, &found);

    if (found) {
        g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_EXISTS,
                    "%s is already in pool '%s': nothing to add", address, pool->name);
        return FALSE;
    }
    dev = device_new_in(NULL, address, host_driver, companion_of);
    g_ptr_array_insert(pool->devices, pos, dev);
    return TRUE;
}

gboolean
gp_pool_remove_device(GpPool *pool, const char *address)
{
    GpPoolDevice *dev = gp_pool_find_device(pool, address);

    if (!dev)
        return FALSE;
    return g_ptr_array_remove(pool->devices, dev);
}

GPtrArray *
gp_pool_companions(const GpPool *pool, const char *address)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < pool->devices->len; i++) {
        GpPoolDevice *dev = g_ptr_array_index(pool->devices, i);

        if (dev->companion_of && strcmp(dev->companion_of, address) == 0)
            g_ptr_array_add(out, dev);
    }
    return out;
}

GpPool *
gp_pool_copy(const GpPool *pool)
{
    GpPool *copy = g_new0(GpPool, 1);

    copy->name = g_strdup(pool->name);
    copy->type = pool->type;
    copy->description = g_strdup(pool->description);
    copy->mdev_type = g_strdup(pool->mdev_type);
    copy->vf_count = pool->vf_count;
    copy->vf_profile = g_strdup(pool->vf_profile);
    copy->vf_per_device = pool->vf_per_device;
    copy->per_domain = pool->per_domain;
    copy->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_pool_device_free);
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *dev = g_ptr_array_index(pool->devices, i);
        GpPoolDevice *d = device_new_in(NULL, dev->address, dev->host_driver, dev->companion_of);

        d->vfs_origin = dev->vfs_origin;
        g_ptr_array_add(copy->devices, d);
    }
    return copy;
}

/* ---- XML ---------------------------------------------------------------- */

/* The vfs-enabled-by attribute of a vf pool's device; NULL (absent) for
 * UNKNOWN, so definitions written before it existed read back the same. */
const char *
gp_pool_vf_origin_to_string(GpPoolVfOrigin origin)
{
    switch (origin) {
    case GP_POOL_VFS_GPUPOOL:
        return "gpupool";
    case GP_POOL_VFS_HOST:
        return "host";
    case GP_POOL_VFS_UNKNOWN:
        break;
    }
    return NULL;
}

GpPoolVfOrigin
gp_pool_vf_origin_from_string(const char *str)
{
    if (g_strcmp0(str, "gpupool") == 0)
        return GP_POOL_VFS_GPUPOOL;
    if (g_strcmp0(str, "host") == 0)
        return GP_POOL_VFS_HOST;
    return GP_POOL_VFS_UNKNOWN;
}

/* A member's address in canonical form; mdev pools may also name a
 * non-PCI parent (validated against the schema's name pattern). */
char *
gp_pool_canonical_member(GpPoolType type, const char *address, GError **error)
{
    g_autoptr(GError) err = NULL;
    char *canon = gp_pci_addr_canonical(address, &err);

    if (canon)
        return canon;
    /* A name has no ':', so it cannot be mistaken for a mistyped address. */
    if (type == GP_POOL_TYPE_MDEV && is_name(address, NAME_MAX_LEN, FALSE))
        return g_strdup(address);
    g_set_error_literal(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID, err->message);
    return NULL;
}

static char *
canonical_member(GpPoolType type, const char *address, const char *pool, GError **error)
{
    char *canon = gp_pool_canonical_member(type, address, error);

    if (!canon)
        g_prefix_error(error, "pool '%s': ", pool);
    return canon;
}

/* Checks a pool's members make sense together: companions name a member
 * of the pool that is not itself a companion.  Whether they share its
 * IOMMU group (a function of the same card, or another endpoint of the
 * group) is the host's to say, not the definition's. */
static gboolean
check_companions(const GpPool *pool, GError **error)
{
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *dev = g_ptr_array_index(pool->devices, i);
        const GpPoolDevice *main_dev;

        if (!dev->companion_of)
            continue;
        if (pool->type != GP_POOL_TYPE_PCI) {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                        "pool '%s': %s has companion-of, which only pci pools use: remove it",
                        pool->name, dev->address);
            return FALSE;
        }
        main_dev = gp_pool_find_device(pool, dev->companion_of);
        if (!main_dev || main_dev->companion_of || main_dev == dev) {
            g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                        "pool '%s': %s is a companion of %s, which is not a device of its "
                        "IOMMU group in this pool: fix its companion-of attribute",
                        pool->name, dev->address, dev->companion_of);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- xml/pool.rng, checked by hand --------------------------------------
 *
 * The hook loads a pool file on every domain start, and compiling and
 * running pool.rng over a pool of a thousand devices costs several times
 * the parse itself.  Pool files are gpupool's own, but admins may edit
 * them, so stored files get the schema's rules checked here instead:
 * which elements each pool type has and how often, which attributes each
 * element has, no text or children where the schema has none.  Values
 * (names, addresses, numbers) are checked by the code that reads them,
 * which is as strict as the schema's patterns.  test-pool runs every
 * definition the schema refuses through both paths. */

/* An attribute the schema allows, and its datatype as a check. */
typedef struct {
    const char *name;
    gboolean (*valid)(const char *value);
    gboolean required;
} PoolAttrRule;

typedef struct {
    const char *name;
    guint types;                /* bit per GpPoolType that may have it */
    guint max;                  /* times it may appear; 0 = any */
    gboolean required;
    const PoolAttrRule *attrs;  /* terminated by a NULL name */
    gboolean (*text)(const char *value);  /* its character content, NULL = none */
} PoolElementRule;

static gboolean
pattern_name_is_valid(const char *value)
{
    return is_name(value, NAME_MAX_LEN, FALSE);
}

static gboolean
pci_address_is_valid(const char *value)
{
    GpPciAddr a;

    /* Stored files hold canonical addresses: those need no full parse. */
    return gp_pci_addr_parse_canonical(value, strlen(value), &a) ||
           gp_pci_addr_parse(value, &a, NULL);
}

/* An mdev parent: a PCI address, or a name as under class/mdev_bus. */
static gboolean
mdev_parent_is_valid(const char *value)
{
    return pci_address_is_valid(value) || pattern_name_is_valid(value);
}

static gboolean
mdev_type_is_valid(const char *value)
{
    return gp_pool_mdev_type_check(value, NULL);
}

static gboolean
unsigned_short_is_valid(const char *value)
{
    return g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT16, NULL, NULL);
}

static gboolean
per_domain_is_valid(const char *value)
{
    return g_ascii_string_to_unsigned(value, 10, 1, GP_POOL_PER_DOMAIN_MAX, NULL, NULL);
}

static gboolean
vf_origin_is_valid(const char *value)
{
    return gp_pool_vf_origin_from_string(value) != GP_POOL_VFS_UNKNOWN;
}

static gboolean
description_is_valid(const char *value)
{
    return g_utf8_validate(value, -1, NULL) &&
           g_utf8_strlen(value, -1) <= GP_POOL_DESCRIPTION_MAX;
}

#define ANY_TYPE ((1u << GP_POOL_TYPE_PCI) | (1u << GP_POOL_TYPE_MDEV) | (1u << GP_POOL_TYPE_VF))
#define PARTITIONED_TYPES ((1u << GP_POOL_TYPE_MDEV) | (1u << GP_POOL_TYPE_VF))

static const PoolAttrRule no_attrs[] = { { NULL } };
static const PoolAttrRule mdev_attrs[] = { { "type", mdev_type_is_valid, TRUE }, { NULL } };
static const PoolAttrRule vf_attrs[] = {
    { "count", unsigned_short_is_valid, TRUE },
    { "profile", mdev_type_is_valid, FALSE },
    { "per-device", unsigned_short_is_valid, FALSE },
    { NULL },
};
static const PoolAttrRule partitions_attrs[] = {
    { "per-domain", per_domain_is_valid, TRUE }, { NULL },
};
static const PoolAttrRule pci_device_attrs[] = {
    { "address", pci_address_is_valid, TRUE },
    { "host-driver", pattern_name_is_valid, FALSE },
    { "companion-of", pci_address_is_valid, FALSE },
    { NULL },
};
static const PoolAttrRule mdev_device_attrs[] = {
    { "address", mdev_parent_is_valid, TRUE },
    { "host-driver", pattern_name_is_valid, FALSE },
    { NULL },
};
static const PoolAttrRule vf_device_attrs[] = {
    { "address", pci_address_is_valid, TRUE },
    { "host-driver", pattern_name_is_valid, FALSE },
    { "vfs-enabled-by", vf_origin_is_valid, FALSE },
    { NULL },
};

static const PoolElementRule pool_rules[] = {
    { "name", ANY_TYPE, 1, TRUE, no_attrs, pattern_name_is_valid },
    { "description", ANY_TYPE, 1, FALSE, no_attrs, description_is_valid },
    { "mdev", 1u << GP_POOL_TYPE_MDEV, 1, FALSE, mdev_attrs, NULL },
    { "vf", 1u << GP_POOL_TYPE_VF, 1, FALSE, vf_attrs, NULL },
    { "partitions", PARTITIONED_TYPES, 1, FALSE, partitions_attrs, NULL },
    { "device", 1u << GP_POOL_TYPE_PCI, 0, FALSE, pci_device_attrs, NULL },
    { "device", 1u << GP_POOL_TYPE_MDEV, 0, FALSE, mdev_device_attrs, NULL },
    { "device", 1u << GP_POOL_TYPE_VF, 0, FALSE, vf_device_attrs, NULL },
};

static gboolean
schema_error(GError **error, const GpXmlNode *node, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
schema_error(GError **error, const GpXmlNode *node, const char *fmt, ...)
{
    g_autofree char *detail = NULL;
    va_list ap;

    va_start(ap, fmt);
    detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                "the pool definition does not match the schema pool.rng (line %ld: %s): fix it",
                (long)node->line, detail);
    return FALSE;
}

/* The content of an element: text only where the schema has data, and
 * never an element. */
static gboolean
check_element_content(const GpXmlNode *node, const PoolElementRule *rule, GError **error)
{
    for (const GpXmlNode *c = node->children; c; c = c->next) {
        if (c->type == GP_XML_NODE_COMMENT || c->type == GP_XML_NODE_OTHER)
            continue;
        if (c->type == GP_XML_NODE_TEXT && (rule->text || gp_xmltree_is_blank(c)))
            continue;
        return schema_error(error, c, "<%s> has content the schema does not allow", rule->name);
    }
    if (rule->text) {
        g_autofree char *text = gp_xmltree_text(node);

        if (!rule->text(text))
            return schema_error(error, node, "<%s> is not valid", rule->name);
    }
    return TRUE;
}

static const PoolAttrRule *
find_attr_rule(const PoolAttrRule *rules, const char *name)
{
    for (; rules->name; rules++)
        if (strcmp(rules->name, name) == 0)
            return rules;
    return NULL;
}

static gboolean
check_element_attrs(const GpXmlNode *node, const PoolElementRule *rule, GError **error)
{
    for (const GpXmlAttr *a = node->attrs; a; a = a->next) {
        const PoolAttrRule *attr = a->ns ? NULL : find_attr_rule(rule->attrs,
                                                                 (const char *)a->name);
        g_autofree char *value = NULL;

        if (!attr)
            return schema_error(error, node, "<%s> has no attribute %s",
                                rule->name, (const char *)a->name);
        value = g_strdup(gp_xmltree_attr_any(node, attr->name));
        if (!attr->valid(value))
            return schema_error(error, node, "<%s %s='%.*s'> is not valid", rule->name,
                                attr->name, NAME_MAX_LEN, value);
    }
    for (const PoolAttrRule *attr = rule->attrs; attr->name; attr++) {
        if (attr->required && !gp_xmltree_attr_any(node, attr->name))
            return schema_error(error, node, "<%s> lacks its %s attribute",
                                rule->name, attr->name);
    }
    return TRUE;
}

static const PoolElementRule *
find_rule(GpPoolType type, const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(pool_rules); i++)
        if ((pool_rules[i].types & (1u << type)) && strcmp(pool_rules[i].name, name) == 0)
            return &pool_rules[i];
    return NULL;
}

/* Everything pool.rng says about ROOT. */
static gboolean
check_schema_by_hand(const GpXmlNode *root, GError **error)
{
    guint seen[G_N_ELEMENTS(pool_rules)] = { 0 };
    g_autofree char *type_str = NULL;
    GpPoolType type;

    if (root->ns || strcmp((const char *)root->name, "pool") != 0)
        return schema_error(error, root, "the root element is not <pool>");
    type_str = g_strdup(gp_xmltree_attr_any(root, "type"));
    if (!gp_pool_type_from_string(type_str, &type))
        return schema_error(error, root, "<pool> has no type pci, mdev or vf");
    for (const GpXmlAttr *a = root->attrs; a; a = a->next)
        if (a->ns || strcmp((const char *)a->name, "type") != 0)
            return schema_error(error, root, "<pool> has no attribute %s",
                                (const char *)a->name);
    for (const GpXmlNode *n = root->children; n; n = n->next) {
        const PoolElementRule *rule;

        if (n->type == GP_XML_NODE_COMMENT || n->type == GP_XML_NODE_OTHER ||
            (n->type == GP_XML_NODE_TEXT && gp_xmltree_is_blank(n)))
            continue;
        if (n->type != GP_XML_NODE_ELEMENT)
            return schema_error(error, n, "<pool> has text the schema does not allow");
        rule = n->ns ? NULL : find_rule(type, (const char *)n->name);
        if (!rule)
            return schema_error(error, n, "a %s pool has no element <%s>",
                                gp_pool_type_to_string(type), (const char *)n->name);
        if (rule->max && ++seen[rule - pool_rules] > rule->max)
            return schema_error(error, n, "<%s> appears more than once", rule->name);
        if (!check_element_attrs(n, rule, error) || !check_element_content(n, rule, error))
            return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(pool_rules); i++)
        if (pool_rules[i].required && !seen[i])
            return schema_error(error, root, "<pool> lacks its <%s>", pool_rules[i].name);
    return TRUE;
}

/* The pool in ROOT, whose shape the caller has checked. */
static GpPool *
pool_from_tree(const GpXmlNode *root, GError **error)
{
    g_autoptr(GpPool) pool = NULL;
    g_autofree char *type_str = NULL;
    g_autofree char *name = NULL;
    GpPoolType type;

    type_str = g_strdup(gp_xmltree_attr_any(root, "type"));
    if (!gp_pool_type_from_string(type_str, &type)) {
        /* The schema only lets known types through. */
        g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                    "the pool definition has an unknown type: use pci, mdev or vf");
        return NULL;
    }
    for (const GpXmlNode *n = root->children; n; n = n->next)
        if (gp_xmltree_is_named(n, "name"))
            name = gp_xmltree_text(n);
    pool = gp_pool_new(name, type, error);
    if (!pool)
        return NULL;

    for (const GpXmlNode *n = root->children; n; n = n->next) {
        if (gp_xmltree_is_named(n, "description")) {
            g_autofree char *desc = gp_xmltree_text(n);

            if (!gp_pool_set_description(pool, desc, error))
                return NULL;
        } else if (gp_xmltree_is_named(n, "mdev")) {
            g_autofree char *mtype = g_strdup(gp_xmltree_attr_any(n, "type"));

            if (!gp_pool_mdev_type_check(mtype, error)) {
                g_prefix_error(error, "pool '%s': ", pool->name);
                return NULL;
            }
            pool->mdev_type = g_steal_pointer(&mtype);
        } else if (gp_xmltree_is_named(n, "vf")) {
            g_autofree char *count = g_strdup(gp_xmltree_attr_any(n, "count"));
            guint64 v = 0;

            if (!g_ascii_string_to_unsigned(count, 10, 0, G_MAXUINT16, &v, NULL)) {
                g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                            "pool '%s': VF count '%s' is not a number from 0 to 65535",
                            pool->name, count ? count : "");
                return NULL;
            }
            pool->vf_count = v;
            /* partition-set: the vendor profile of every VF. */
            pool->vf_profile = g_strdup(gp_xmltree_attr_any(n, "profile"));
            {
                g_autofree char *per = g_strdup(gp_xmltree_attr_any(n, "per-device"));

                if (per && !g_ascii_string_to_unsigned(per, 10, 0, G_MAXUINT16, &v, NULL)) {
                    g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                                "pool '%s': partitions per device '%s' is not a number from "
                                "0 to 65535", pool->name, per);
                    return NULL;
                }
                pool->vf_per_device = per ? v : 0;
            }
        } else if (gp_xmltree_is_named(n, "partitions")) {
            /* partition-set --per-domain. */
            g_autofree char *per = g_strdup(gp_xmltree_attr_any(n, "per-domain"));
            guint64 v = 0;

            if (!g_ascii_string_to_unsigned(per, 10, 1, GP_POOL_PER_DOMAIN_MAX, &v, NULL)) {
                g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                            "pool '%s': partitions per domain '%s' is not a number from 1 "
                            "to %d", pool->name, per ? per : "", GP_POOL_PER_DOMAIN_MAX);
                return NULL;
            }
            pool->per_domain = v;
        } else if (gp_xmltree_is_named(n, "device")) {
            g_autofree char *addr = g_strdup(gp_xmltree_attr_any(n, "address"));
            g_autofree char *driver = g_strdup(gp_xmltree_attr_any(n, "host-driver"));
            g_autofree char *comp = g_strdup(gp_xmltree_attr_any(n, "companion-of"));
            g_autofree char *origin =
                type == GP_POOL_TYPE_VF ? g_strdup(gp_xmltree_attr_any(n, "vfs-enabled-by")) : NULL;
            g_autofree char *canon = canonical_member(type, addr, pool->name, error);
            g_autofree char *canon_comp = NULL;

            if (!canon)
                return NULL;
            if (comp) {
                canon_comp = canonical_member(GP_POOL_TYPE_PCI, comp, pool->name, error);
                if (!canon_comp)
                    return NULL;
            }
            if (gp_pool_find_device(pool, canon)) {
                g_set_error(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                            "pool '%s' lists %s twice: remove one of them",
                            pool->name, canon);
                return NULL;
            }
            if (!gp_pool_add_device(pool, canon, driver, canon_comp, error))
                return NULL;
            gp_pool_find_device(pool, canon)->vfs_origin = gp_pool_vf_origin_from_string(origin);
        }
    }
    if (!check_companions(pool, error))
        return NULL;
    return g_steal_pointer(&pool);
}

/* ---- The stored file as gp_pool_format_xml() writes it -----------------
 *
 * A pool file in the writer's spelling is read without a tree
 * (gp_xmldoc_scan_init()): its elements in the writer's order, each
 * attribute and text checked by its rule in pool_rules as
 * check_schema_by_hand() checks them, and the pool built with the calls
 * pool_from_doc() makes.  Any other spelling, and anything refused, is
 * left to the tree, which says what is wrong: a file is refused with the
 * same message whichever way it is read. */

/* Most attributes an element has in pool_rules, and the longest valid
 * value (an mdev type id). */
#define WRITTEN_ATTRS_MAX 3
#define WRITTEN_VALUE_MAX (MDEV_TYPE_MAX_LEN + 1)

/* An empty element as read from the writer's spelling. */
typedef struct {
    const PoolElementRule *rule;
    const char *value[WRITTEN_ATTRS_MAX];  /* by the index of rule->attrs; NULL if absent */
    char buf[WRITTEN_ATTRS_MAX][WRITTEN_VALUE_MAX];
} WrittenElement;

/* Takes the rest of an empty element NAME of a TYPE pool, its start
 * already taken: the attributes its rule allows, in the rule's order
 * (which is the writer's), each checked by its rule, then "/>\n".  FALSE
 * if a TYPE pool has no such element, a required attribute is missing or
 * anything is refused or spelled otherwise. */
static gboolean
scan_element_of(GpXmlDocScan *scan, const PoolElementRule *rule, WrittenElement *el)
{
    guint i = 0;

    el->rule = rule;
    if (!el->rule)
        return FALSE;
    for (const PoolAttrRule *attr = el->rule->attrs; attr->name; attr++, i++) {
        GpXmlDocSpan span;

        if (i >= WRITTEN_ATTRS_MAX)
            return FALSE;
        el->value[i] = NULL;
        if (!gp_xmldoc_scan_attr(scan, attr->name, &span)) {
            if (attr->required)
                return FALSE;
            continue;
        }
        el->value[i] = gp_xmldoc_span_str(&span, el->buf[i], WRITTEN_VALUE_MAX);
        if (!el->value[i] || !attr->valid(el->value[i]))
            return FALSE;
    }
    return gp_xmldoc_scan_skip(scan, "/>\n");
}

static gboolean
scan_element(GpXmlDocScan *scan, GpPoolType type, const char *name, WrittenElement *el)
{
    return scan_element_of(scan, find_rule(type, name), el);
}

/* The index of attribute NAME in RULE, -1 if RULE has none. */
static gint
attr_index(const PoolElementRule *rule, const char *name)
{
    gint i = 0;

    for (const PoolAttrRule *attr = rule->attrs; attr->name; attr++, i++)
        if (strcmp(attr->name, name) == 0)
            return i;
    return -1;
}

/* The value of the attribute at index AT of EL (attr_index()), NULL if
 * absent or if AT is -1. */
static const char *
value_at(const WrittenElement *el, gint at)
{
    return at < 0 ? NULL : el->value[at];
}

/* The value of attribute NAME of EL, NULL if absent or not EL's. */
static const char *
written_value(const WrittenElement *el, const char *name)
{
    return value_at(el, attr_index(el->rule, name));
}

/* Takes the rest of text element NAME of a TYPE pool, its start already
 * taken: the text, checked by its rule, and CLOSE ("</NAME>\n").  The
 * text (new), or NULL if refused or spelled otherwise. */
static char *
scan_text_element(GpXmlDocScan *scan, GpPoolType type, const char *name, const char *close)
{
    const PoolElementRule *rule = find_rule(type, name);
    g_autofree char *text = NULL;
    GpXmlDocSpan span;

    if (!rule || !rule->text || !gp_xmldoc_scan_text(scan, &span) ||
        !gp_xmldoc_scan_skip(scan, close))
        return NULL;
    text = g_strndup(span.str, span.len);
    return rule->text(text) ? g_steal_pointer(&text) : NULL;
}

/* The members of a pool in the writer's spelling, as pool_from_doc()
 * adds them.  The writer lists them sorted, so each goes last: one that
 * would not (listed twice, or out of order) is left to the tree. */
static gboolean
scan_devices(GpXmlDocScan *scan, GpPool *pool)
{
    /* A thousand members on the hook's path: look the rule up once. */
    const PoolElementRule *rule = find_rule(pool->type, "device");
    gint at_address = rule ? attr_index(rule, "address") : -1;
    gint at_driver = rule ? attr_index(rule, "host-driver") : -1;
    gint at_comp = rule ? attr_index(rule, "companion-of") : -1;
    gint at_origin = rule ? attr_index(rule, "vfs-enabled-by") : -1;
    GPtrArray *devices = pool->devices;
    gsize bytes = scan->end - scan->p;
    MemberBlock block = { 0 };

    /* A member takes a line, and its strings (each followed by at least a
     * quote in the file) fit in the bytes of the file; one respelled
     * longer gets a block of its own. */
    for (const char *nl = scan->p; (nl = memchr(nl, '\n', scan->end - nl)); nl++)
        block.left++;
    /* A pool is read into a new GpPool: there is no block yet.  No line
     * left, no member. */
    if (block.left > 0) {
        pool->member_block = g_malloc(block.left * sizeof(GpPoolDevice) + bytes);
        block.next = pool->member_block;
        block.strings = (char *)(block.next + block.left);
        block.end = block.strings + bytes;
    }

    while (gp_xmldoc_scan_skip(scan, "  <device")) {
        WrittenElement el;
        g_autofree char *respelled = NULL;
        g_autofree char *canon_comp = NULL;
        GpPoolDevice *dev;
        const char *canon;
        const char *comp;
        GpPciAddr a;

        if (!scan_element_of(scan, rule, &el))
            return FALSE;
        /* The writer writes addresses canonical; anything else is spelled
         * as pool_from_doc() spells it. */
        canon = value_at(&el, at_address);
        if (!gp_pci_addr_parse_canonical(canon, strlen(canon), &a))
            canon = respelled = gp_pool_canonical_member(pool->type, canon, NULL);
        comp = value_at(&el, at_comp);
        if (comp)
            canon_comp = gp_pool_canonical_member(GP_POOL_TYPE_PCI, comp, NULL);
        /* Each member goes last, as gp_pool_add_device() would put it. */
        if (!canon || (comp && !canon_comp) ||
            (devices->len > 0 &&
             compare_addresses(((GpPoolDevice *)devices->pdata[devices->len - 1])->address,
                               canon) >= 0))
            return FALSE;
        dev = device_new_in(&block, canon, value_at(&el, at_driver), canon_comp);
        dev->vfs_origin = gp_pool_vf_origin_from_string(value_at(&el, at_origin));
        g_ptr_array_add(devices, dev);
    }
    return TRUE;
}

/* The pool in the LEN bytes at XML if they are in the writer's spelling
 * and every check passes, else NULL. */
static GpPool *
pool_from_written(const char *xml, gsize len)
{
    g_autoptr(GpPool) pool = NULL;
    g_autofree char *name = NULL;
    GpXmlDocScan scan;
    GpXmlDocSpan span;
    WrittenElement el;
    char type_buf[8];
    const char *type_str;
    GpPoolType type;
    guint64 v;

    gp_xmldoc_scan_init(&scan, xml, len);
    if (!gp_xmldoc_scan_skip(&scan, "<pool") || !gp_xmldoc_scan_attr(&scan, "type", &span) ||
        !(type_str = gp_xmldoc_span_str(&span, type_buf, sizeof(type_buf))) ||
        !gp_pool_type_from_string(type_str, &type) ||
        !gp_xmldoc_scan_skip(&scan, ">\n  <name>") ||
        !(name = scan_text_element(&scan, type, "name", "</name>\n")) ||
        !(pool = gp_pool_new(name, type, NULL)))
        return NULL;
    if (gp_xmldoc_scan_skip(&scan, "  <description>")) {
        g_autofree char *desc = scan_text_element(&scan, type, "description",
                                                  "</description>\n");

        if (!desc || !gp_pool_set_description(pool, desc, NULL))
            return NULL;
    }
    if (gp_xmldoc_scan_skip(&scan, "  <mdev")) {
        const char *mtype;

        if (!scan_element(&scan, type, "mdev", &el) ||
            !gp_pool_mdev_type_check((mtype = written_value(&el, "type")), NULL))
            return NULL;
        pool->mdev_type = g_strdup(mtype);
    }
    if (gp_xmldoc_scan_skip(&scan, "  <vf")) {
        if (!scan_element(&scan, type, "vf", &el) ||
            !g_ascii_string_to_unsigned(written_value(&el, "count"), 10, 0, G_MAXUINT16, &v,
                                        NULL))
            return NULL;
        pool->vf_count = v;
        pool->vf_profile = g_strdup(written_value(&el, "profile"));
        if (written_value(&el, "per-device") &&
            !g_ascii_string_to_unsigned(written_value(&el, "per-device"), 10, 0, G_MAXUINT16,
                                        &v, NULL))
            return NULL;
        pool->vf_per_device = written_value(&el, "per-device") ? v : 0;
    }
    if (gp_xmldoc_scan_skip(&scan, "  <partitions")) {
        if (!scan_element(&scan, type, "partitions", &el) ||
            !g_ascii_string_to_unsigned(written_value(&el, "per-domain"), 10, 1,
                                        GP_POOL_PER_DOMAIN_MAX, &v, NULL))
            return NULL;
        pool->per_domain = v;
    }
    if (!scan_devices(&scan, pool) || !gp_xmldoc_scan_skip(&scan, "</pool>\n") ||
        !gp_xmldoc_scan_end(&scan) || !check_companions(pool, NULL))
        return NULL;
    return g_steal_pointer(&pool);
}

gpointer
gp_pool_from_tree(const GpXmlNode *root, gpointer data, GError **error)
{
    if (!check_schema_by_hand(root, error))
        return NULL;
    return pool_from_tree(root, error);
}

GpPool *
gp_pool_parse_stored_xml(const char *xml, gsize len, GError **error)
{
    GpPool *pool = len <= GP_XMLDOC_MAX_SIZE ? pool_from_written(xml, len) : NULL;

    if (pool)
        return pool;
    return gp_xmldoc_read_with("the pool definition", xml, len, GP_XMLDOC_MAX_SIZE,
                               GP_POOL_ERROR, GP_POOL_ERROR_INVALID, gp_pool_from_tree, NULL,
                               error);
}

char *
gp_pool_format_xml(const GpPool *pool)
{
    GString *out = g_string_new(NULL);

    g_string_append_printf(out, "<pool type='%s'>\n", gp_pool_type_to_string(pool->type));
    {
        g_autofree char *name = g_markup_escape_text(pool->name, -1);

        g_string_append_printf(out, "  <name>%s</name>\n", name);
    }
    if (pool->description) {
        g_autofree char *desc = g_markup_escape_text(pool->description, -1);

        g_string_append_printf(out, "  <description>%s</description>\n", desc);
    }
    if (pool->type == GP_POOL_TYPE_MDEV && pool->mdev_type) {
        g_string_append(out, "  <mdev");
        gp_xmldoc_append_attr(out, "type", pool->mdev_type);
        g_string_append(out, "/>\n");
    }
    if (pool->type == GP_POOL_TYPE_VF && (pool->vf_count > 0 || pool->vf_profile)) {
        g_string_append_printf(out, "  <vf count='%u'", pool->vf_count);
        gp_xmldoc_append_attr(out, "profile", pool->vf_profile);
        if (pool->vf_profile && pool->vf_per_device)
            g_string_append_printf(out, " per-device='%u'", pool->vf_per_device);
        g_string_append(out, "/>\n");
    }
    if (pool->type != GP_POOL_TYPE_PCI && pool->per_domain > 1)
        g_string_append_printf(out, "  <partitions per-domain='%u'/>\n", pool->per_domain);
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *dev = g_ptr_array_index(pool->devices, i);

        g_string_append(out, "  <device");
        gp_xmldoc_append_attr(out, "address", dev->address);
        gp_xmldoc_append_attr(out, "host-driver", dev->host_driver);
        gp_xmldoc_append_attr(out, "companion-of", dev->companion_of);
        if (pool->type == GP_POOL_TYPE_VF)
            gp_xmldoc_append_attr(out, "vfs-enabled-by",
                                  gp_pool_vf_origin_to_string(dev->vfs_origin));
        g_string_append(out, "/>\n");
    }
    g_string_append(out, "</pool>\n");
    return g_string_free(out, FALSE);
}
