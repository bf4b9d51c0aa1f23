/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading a domain definition: what gpupool needs of it
 * (GpDomAssignment), from the tree either parser gives
 * (base/xmltree.h), strictly, as gp_domxml_read_assignment() promises.
 * No libxml2 here: the hook reads domains with GMarkup through
 * gp_domxml_read_assignment_fast(), and the rest of gpupool through
 * libxml2 (domxml.c), both with this one reader. */
#include "config.h"

#include "state/domxml.h"

#include "state/domxml-priv.h"

#include <errno.h>
#include <string.h>

#include "base/pciaddr.h"
#include "base/xmldoc.h"
#include "base/xmltree.h"
#include "state/pool.h"

G_DEFINE_QUARK(gp-domxml-error-quark, gp_domxml_error)

/* Longest attribute or text value gpupool reads from a domain: names,
 * addresses, numbers.  Anything longer is hostile or a mistake. */
#define VALUE_MAX 1024

void
gp_dom_request_free(GpDomRequest *req)
{
    if (!req)
        return;
    g_free(req->pool);
    g_free(req->profile);
    g_free(req);
}

void
gp_dom_device_free(GpDomDevice *dev)
{
    if (!dev)
        return;
    g_free(dev->alias);
    g_free(dev->pool);
    g_free(dev->address);
    g_free(dev->uuid);
    g_free(dev);
}

void
gp_dom_change_free(GpDomChange *change)
{
    if (!change)
        return;
    g_free(change->what);
    g_free(change->value);
    g_free(change->previous);
    g_free(change);
}

void
gp_dom_assignment_free(GpDomAssignment *a)
{
    if (!a)
        return;
    g_free(a->uuid);
    g_free(a->name);
    g_ptr_array_unref(a->requests);
    g_ptr_array_unref(a->devices);
    g_ptr_array_unref(a->changes);
    g_ptr_array_unref(a->passthrough);
    g_ptr_array_unref(a->passthrough_kinds);
    g_free(a->machine);
    g_free(a->arch);
    g_free(a->on_crash);
    g_free(a);
}

static GpDomAssignment *
assignment_new(void)
{
    GpDomAssignment *a = g_new0(GpDomAssignment, 1);

    a->requests = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);
    a->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    a->changes = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_change_free);
    a->passthrough = g_ptr_array_new_with_free_func(g_free);
    a->passthrough_kinds = g_ptr_array_new();
    return a;
}

GpDomRequest *
gp_dom_assignment_request(const GpDomAssignment *a, const char *pool)
{
    for (guint i = 0; i < a->requests->len; i++) {
        GpDomRequest *req = g_ptr_array_index(a->requests, i);

        if (strcmp(req->pool, pool) == 0)
            return req;
    }
    return NULL;
}

guint
gp_dom_assignment_count(const GpDomAssignment *a)
{
    guint n = 0;

    for (guint i = 0; i < a->requests->len; i++)
        n += ((GpDomRequest *)g_ptr_array_index(a->requests, i))->count;
    return n;
}

gboolean
gp_domxml_has_assignment(const char *xml, gsize len)
{
    return xml && len > 0 && gp_xmldoc_contains(xml, len, GP_DOMXML_NS);
}

gboolean
gp_domxml_may_pass_through(const char *xml, gsize len)
{
    return xml && len > 0 && (gp_xmldoc_contains(xml, len, GP_DOMXML_PASSTHROUGH_MARK) ||
                              gp_xmldoc_contains(xml, len, GP_DOMXML_CHARREF_MARK));
}

/* Longest attribute or text value gpupool reads from a domain: names,
 * addresses, numbers.  Anything longer is hostile or a mistake. */
#define VALUE_MAX 1024

/* NODE's attribute NAME in no namespace, or NULL; the caller frees it. */
static char *
prop(const GpXmlNode *node, const char *name)
{
    return g_strdup(gp_xmltree_attr(node, name));
}

/* NODE's text, stripped of surrounding whitespace. */
static char *
text_of(const GpXmlNode *node)
{
    return g_strstrip(gp_xmltree_text(node));
}

/* The elements of a domain that gpupool reads.  libvirt accepts one of
 * each and gpupool reads the first: a second one could hold a request
 * gpupool would miss or a host device it would not check (a second
 * <devices>), so a definition with one is refused. */
static gboolean
check_single_elements(const GpXmlNode *root, GError **error)
{
    static const char *const singles[] = {
        "name", "uuid", "metadata", "memory", "maxMemory", "os", "cpu", "on_crash", "devices",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(singles); i++) {
        guint n = 0;

        for (const GpXmlNode *c = root->children; c; c = c->next)
            if (gp_xmltree_is(c, NULL, singles[i]))
                n++;
        if (n > 1) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "the domain XML has %u <%s> elements where libvirt accepts one: pass "
                        "the definition as 'virsh dumpxml' gives it", n, singles[i]);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
gp_domxml_check_root(const GpXmlNode *root, GError **error)
{
    if (!gp_xmltree_is(root, NULL, "domain")) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "XML is not a libvirt domain definition (the root element is <%.32s>, "
                    "not <domain>): pass the output of 'virsh dumpxml'",
                    root && root->name ? root->name : "");
        return FALSE;
    }
    return check_single_elements(root, error);
}

/* ---- Reading values ----------------------------------------------------- */

/* Strictly a decimal number without sign, spaces or leading junk. */
gboolean
gp_domxml_parse_u64(const char *str, guint64 *out)
{
    guint64 v;
    char *end = NULL;

    if (!str || !g_ascii_isdigit(str[0]) || strlen(str) > 20)
        return FALSE;
    errno = 0;
    v = g_ascii_strtoull(str, &end, 10);
    if (errno || !end || *end)
        return FALSE;
    *out = v;
    return TRUE;
}

/* libvirt's scaled integers (<memory unit='KiB'>). */
static gboolean
parse_scaled(const char *value, const char *unit, guint64 *bytes)
{
    static const struct {
        const char *name;
        guint64 scale;
    } units[] = {
        { "b", 1 }, { "bytes", 1 },
        { "KB", 1000ULL }, { "k", 1024ULL }, { "KiB", 1024ULL },
        { "MB", 1000ULL * 1000 }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
        { "GB", 1000ULL * 1000 * 1000 }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
        { "TB", 1000ULL * 1000 * 1000 * 1000 }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
        { "PB", 1000ULL * 1000 * 1000 * 1000 * 1000 }, { "P", 1ULL << 50 }, { "PiB", 1ULL << 50 },
    };
    guint64 v;
    guint64 scale = 1024; /* libvirt's default unit is KiB */

    if (!gp_domxml_parse_u64(value, &v))
        return FALSE;
    if (unit) {
        gboolean found = FALSE;

        for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
            if (g_ascii_strcasecmp(unit, units[i].name) == 0 &&
                (strcmp(unit, units[i].name) == 0 || strlen(unit) > 1)) {
                scale = units[i].scale;
                found = TRUE;
                break;
            }
        }
        if (!found)
            return FALSE;
    }
    if (v > G_MAXUINT64 / scale)
        return FALSE;
    *bytes = v * scale;
    return TRUE;
}

/* "ua-gpupool-N", N = 0..GP_DOMXML_MAX_COUNT-1 without leading zeros. */
gboolean
gp_domxml_alias_index(const char *alias, guint *index)
{
    const char *n;
    guint64 v;

    if (!alias || !g_str_has_prefix(alias, GP_DOMXML_ALIAS_PREFIX))
        return FALSE;
    n = alias + strlen(GP_DOMXML_ALIAS_PREFIX);
    if (strlen(n) > 2 || (n[0] == '0' && n[1]) || !gp_domxml_parse_u64(n, &v) ||
        v >= GP_DOMXML_MAX_COUNT)
        return FALSE;
    *index = (guint)v;
    return TRUE;
}

/* The canonical lower-case 8-4-4-4-12 form. */
gboolean
gp_domxml_uuid_check(const char *uuid)
{
    if (!uuid || strlen(uuid) != 36)
        return FALSE;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (uuid[i] != '-')
                return FALSE;
        } else if (!g_ascii_isxdigit(uuid[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

char *
gp_domxml_head_uuid(const char *xml, gsize len)
{
    gsize head = MIN(len, (gsize)64 * 1024);
    const char *domain = g_strstr_len(xml, head, "<domain");
    const char *open = domain ? g_strstr_len(domain, head - (domain - xml), "<uuid>") : NULL;
    const char *value, *close;
    g_autofree char *text = NULL;

    if (!open)
        return NULL;
    value = open + strlen("<uuid>");
    close = g_strstr_len(value, head - (value - xml), "</uuid>");
    if (!close || close - value > 64)
        return NULL;
    text = g_strstrip(g_strndup(value, close - value));
    return gp_domxml_uuid_check(text) ? g_ascii_strdown(text, -1) : NULL;
}

gboolean
gp_domxml_name_check(const char *name, GError **error)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > GP_DOMXML_NAME_MAX || !g_utf8_validate(name, len, NULL)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain name '%.64s' is %s: gpupool records names of 1 to %d bytes of "
                    "UTF-8; rename the domain with 'virsh domrename'", name ? name : "",
                    len == 0 ? "empty" : len > GP_DOMXML_NAME_MAX ? "too long" : "not UTF-8",
                    GP_DOMXML_NAME_MAX);
        return FALSE;
    }
    /* XML 1.0 cannot carry control characters: one in a name would make
     * the claims file unreadable. */
    for (size_t i = 0; i < len; i++) {
        guchar c = (guchar)name[i];

        if (c < 0x20 || c == 0x7f) {
            char ch[2] = { (char)c, '\0' };
            g_autofree char *shown = g_strescape(ch, NULL);

            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "domain name '%.64s' contains the control character '%s', which "
                        "gpupool cannot record as the holder of a device: rename the domain "
                        "with 'virsh domrename' (while it is shut off) and assign it again",
                        name, shown);
            return FALSE;
        }
    }
    return TRUE;
}

static const char *const known_changes[] = {
    GP_DOMXML_CHANGE_PCIHOLE64,
    GP_DOMXML_CHANGE_OVMF_MMIO64,
    GP_DOMXML_CHANGE_PHYSBITS,
    GP_DOMXML_CHANGE_ON_CRASH,
    GP_DOMXML_CHANGE_CREATED,
    GP_DOMXML_CHANGE_CONTROLLERS,
};

/* ---- Values: one reading for both trees (domxml-priv.h) ----------------- */

char *
gp_domxml_pci_address_of(const char *d, const char *b, const char *s, const char *f)
{
    guint64 vd, vb, vs, vf;

    if (!b || !s || !f)
        return NULL;
#define HEXVAL(str, out, max) \
    (strlen(str) <= 6 && g_str_has_prefix(str, "0x") && str[2] && \
     ((out) = g_ascii_strtoull(str + 2, NULL, 16), TRUE) && \
     strspn(str + 2, "0123456789abcdefABCDEF") == strlen(str + 2) && (out) <= (max))
    vd = 0;
    if (d && !HEXVAL(d, vd, 0xffff))
        return NULL;
    if (!HEXVAL(b, vb, 0xff) || !HEXVAL(s, vs, 0x1f) || !HEXVAL(f, vf, 7))
        return NULL;
#undef HEXVAL
    return g_strdup_printf("%04x:%02x:%02x.%x", (guint)vd, (guint)vb, (guint)vs, (guint)vf);
}

char *
gp_domxml_mdev_uuid_of(const char *uuid)
{
    if (!uuid || !gp_domxml_uuid_check(uuid))
        return NULL;
    return g_ascii_strdown(uuid, -1);
}

gboolean
gp_domxml_metadata_child_check(const char *name, gboolean found, GError **error)
{
    if (g_strcmp0(name, "assignment") != 0) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "unknown gpupool metadata element <%.32s>", name);
        return FALSE;
    }
    if (found) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "more than one gpupool assignment in the metadata");
        return FALSE;
    }
    return TRUE;
}

gboolean
gp_domxml_is_root_controller_of(const char *type, const char *index, const char *model)
{
    return g_strcmp0(type, "pci") == 0 && g_strcmp0(index, "0") == 0 &&
           (g_strcmp0(model, "pcie-root") == 0 || g_strcmp0(model, "pci-root") == 0);
}

const char *
gp_domxml_ovmf_mmio64_of(const char *value)
{
    const char *prefix = "name=" GP_DOMXML_OVMF_MMIO64_NAME ",string=";

    return value && g_str_has_prefix(value, prefix) ? value + strlen(prefix) : NULL;
}

/* ---- The tree --------------------------------------------------------- */

/* The PCI address of a <hostdev type='pci'> source, canonical, or NULL. */
static char *
hostdev_address(const GpXmlNode *hostdev)
{
    const GpXmlNode *src = gp_xmltree_child(hostdev, "source");
    const GpXmlNode *addr = gp_xmltree_child(src, "address");
    g_autofree char *d = NULL, *b = NULL, *s = NULL, *f = NULL;

    if (!addr)
        return NULL;
    d = prop(addr, "domain");
    b = prop(addr, "bus");
    s = prop(addr, "slot");
    f = prop(addr, "function");
    return gp_domxml_pci_address_of(d, b, s, f);
}

static char *
hostdev_uuid(const GpXmlNode *hostdev)
{
    const GpXmlNode *src = gp_xmltree_child(hostdev, "source");
    const GpXmlNode *addr = gp_xmltree_child(src, "address");
    g_autofree char *uuid = addr ? prop(addr, "uuid") : NULL;

    return gp_domxml_mdev_uuid_of(uuid);
}

/* The alias of a <hostdev>, NULL if none. */
static char *
hostdev_alias(const GpXmlNode *hostdev)
{
    const GpXmlNode *alias = gp_xmltree_child(hostdev, "alias");

    return alias ? prop(alias, "name") : NULL;
}

static const GpXmlNode *
metadata_element(const GpXmlNode *root, GError **error)
{
    const GpXmlNode *meta = gp_xmltree_child(root, "metadata");
    const GpXmlNode *found = NULL;

    if (!meta)
        return NULL;
    for (const GpXmlNode *c = meta->children; c; c = c->next) {
        if (!gp_xmltree_is(c, GP_DOMXML_NS, NULL))
            continue;
        if (!gp_domxml_metadata_child_check(c->name, found != NULL, error))
            return NULL;
        found = c;
    }
    return found;
}

/* Every attribute of NODE must be in ALLOWED and no longer than VALUE_MAX. */
static gboolean
check_attributes(const GpXmlNode *node, const char *const *allowed, GError **error)
{
    for (const GpXmlAttr *attr = node->attrs; attr; attr = attr->next) {
        gboolean ok = FALSE;
        g_autofree char *v = NULL;

        for (gsize i = 0; allowed[i]; i++)
            if (!attr->ns && strcmp((const char *)attr->name, allowed[i]) == 0)
                ok = TRUE;
        if (!ok) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "<gpupool:%s> has an unknown attribute '%.32s'",
                        (const char *)node->name, (const char *)attr->name);
            return FALSE;
        }
        v = prop(node, (const char *)attr->name);
        if (v && strlen(v) > VALUE_MAX) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "<gpupool:%s %s=...> is %zu characters long, more than %d",
                        (const char *)node->name, (const char *)attr->name, strlen(v),
                        VALUE_MAX);
            return FALSE;
        }
    }
    return TRUE;
}

/* Only whitespace text besides elements: no stray text or comments that
 * would hide values. */
static gboolean
check_only_elements(const GpXmlNode *node, GError **error)
{
    for (const GpXmlNode *c = node->children; c; c = c->next) {
        if (c->type == GP_XML_NODE_ELEMENT || c->type == GP_XML_NODE_COMMENT)
            continue;
        if (gp_xmltree_is_blank(c))
            continue;
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "<gpupool:%s> contains text, which it must not",
                    (const char *)node->name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_request(const GpXmlNode *el, GpDomAssignment *a, GError **error)
{
    static const char *const allowed[] = { "pool", "count", "mmio", "type", "profile", NULL };
    g_autofree char *pool = NULL, *count = NULL, *mmio = NULL, *type = NULL, *profile = NULL;
    g_autoptr(GError) local = NULL;
    GpDomRequest *req;
    guint64 n;

    if (!check_attributes(el, allowed, error) || !check_only_elements(el, error))
        return FALSE;
    if (gp_xmltree_first_element(el)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "<gpupool:request> must be empty");
        return FALSE;
    }
    pool = prop(el, "pool");
    count = prop(el, "count");
    mmio = prop(el, "mmio");
    type = prop(el, "type");
    profile = prop(el, "profile");
    if (!pool || !count) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "<gpupool:request> needs the attributes pool and count");
        return FALSE;
    }
    if (!gp_pool_name_check(pool, &local)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "request: %s", local->message);
        return FALSE;
    }
    if (!gp_domxml_parse_u64(count, &n) || n < 1 || n > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "request for pool '%s' has count '%.32s': it must be 1..%d",
                    pool, count, GP_DOMXML_MAX_COUNT);
        return FALSE;
    }
    if (gp_dom_assignment_request(a, pool)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "two requests for pool '%s'", pool);
        return FALSE;
    }
    if (a->requests->len >= GP_DOMXML_MAX_REQUESTS) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "more than %d pool requests", GP_DOMXML_MAX_REQUESTS);
        return FALSE;
    }
    req = g_new0(GpDomRequest, 1);
    req->pool = g_steal_pointer(&pool);
    req->count = (guint)n;
    g_ptr_array_add(a->requests, req);
    if (type && !gp_pool_type_from_string(type, &req->type)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "request for pool '%s' has type '%.32s': it must be pci, mdev or vf",
                    req->pool, type);
        return FALSE;
    }
    req->has_type = type != NULL;
    if (profile && (!type || req->type == GP_POOL_TYPE_PCI ||
                    !gp_pool_mdev_type_check(profile, NULL))) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "request for pool '%s' has profile '%.32s': only an mdev or vf request "
                    "has one, an mdev type or vendor profile id", req->pool, profile);
        return FALSE;
    }
    req->profile = g_steal_pointer(&profile);
    if (mmio && strcmp(mmio, "auto") != 0) {
        /* Bytes; the same bounds as `--mmio` (256 MiB .. 256 TiB, whole MiB). */
        if (!gp_domxml_parse_u64(mmio, &req->mmio) || req->mmio < (256ULL << 20) ||
            req->mmio > (256ULL << 40) || req->mmio % (1ULL << 20)) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "request for pool '%s' has mmio '%.32s': it must be 'auto' or "
                        "bytes, a whole number of MiB from 256 MiB to 256 TiB",
                        req->pool, mmio);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
read_device(const GpXmlNode *el, GpDomAssignment *a, GError **error)
{
    static const char *const allowed[] = { "alias", "pool", "address", "uuid", NULL };
    g_autofree char *alias = NULL, *pool = NULL, *address = NULL, *uuid = NULL;
    g_autoptr(GError) local = NULL;
    GpDomDevice *dev;
    guint index;

    if (!check_attributes(el, allowed, error) || !check_only_elements(el, error))
        return FALSE;
    alias = prop(el, "alias");
    pool = prop(el, "pool");
    address = prop(el, "address");
    uuid = prop(el, "uuid");
    if (!alias || !pool || (!address == !uuid)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "<gpupool:device> needs alias, pool and one of address or uuid");
        return FALSE;
    }
    if (!gp_domxml_alias_index(alias, &index)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "device alias '%.32s' is not of the form %sN (N = 0..%d)",
                    alias, GP_DOMXML_ALIAS_PREFIX, GP_DOMXML_MAX_COUNT - 1);
        return FALSE;
    }
    if (!gp_pool_name_check(pool, &local)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "device %s: %s", alias, local->message);
        return FALSE;
    }
    dev = g_new0(GpDomDevice, 1);
    dev->alias = g_steal_pointer(&alias);
    dev->index = index;
    dev->pool = g_steal_pointer(&pool);
    g_ptr_array_add(a->devices, dev);
    if (address) {
        dev->address = gp_pci_addr_canonical(address, &local);
        if (!dev->address) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "device %s: %s", dev->alias, local->message);
            return FALSE;
        }
    } else {
        if (!gp_domxml_uuid_check(uuid)) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "device %s: '%.40s' is not a UUID", dev->alias, uuid);
            return FALSE;
        }
        dev->uuid = g_ascii_strdown(uuid, -1);
    }
    if (a->devices->len > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "more than %d gpupool devices", GP_DOMXML_MAX_COUNT);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_change(const GpXmlNode *el, GpDomAssignment *a, GError **error)
{
    static const char *const allowed[] = { "what", "value", "previous", NULL };
    g_autofree char *what = NULL;
    GpDomChange *change;
    gboolean known = FALSE;

    if (!check_attributes(el, allowed, error) || !check_only_elements(el, error))
        return FALSE;
    what = prop(el, "what");
    for (gsize i = 0; what && i < G_N_ELEMENTS(known_changes); i++)
        if (strcmp(what, known_changes[i]) == 0)
            known = TRUE;
    if (!known) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "<gpupool:added> records an unknown change '%.32s'",
                    what ? what : "");
        return FALSE;
    }
    for (guint i = 0; i < a->changes->len; i++) {
        if (strcmp(((GpDomChange *)g_ptr_array_index(a->changes, i))->what, what) == 0) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "<gpupool:added> records '%s' twice", what);
            return FALSE;
        }
    }
    change = g_new0(GpDomChange, 1);
    change->what = g_steal_pointer(&what);
    change->value = prop(el, "value");
    change->previous = prop(el, "previous");
    g_ptr_array_add(a->changes, change);
    if (!change->value) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "<gpupool:added what='%s'> has no value", change->what);
        return FALSE;
    }
    return TRUE;
}

static gint
device_index_cmp(gconstpointer pa, gconstpointer pb)
{
    const GpDomDevice *a = *(GpDomDevice *const *)pa;
    const GpDomDevice *b = *(GpDomDevice *const *)pb;

    return (a->index > b->index) - (a->index < b->index);
}

static gboolean
read_metadata(const GpXmlNode *el, GpDomAssignment *a, GError **error)
{
    static const char *const none[] = { NULL };

    if (!check_attributes(el, none, error) || !check_only_elements(el, error))
        return FALSE;
    for (const GpXmlNode *c = el->children; c; c = c->next) {
        gboolean ok;

        if (c->type != GP_XML_NODE_ELEMENT)
            continue;
        if (gp_xmltree_is(c, GP_DOMXML_NS, "request"))
            ok = read_request(c, a, error);
        else if (gp_xmltree_is(c, GP_DOMXML_NS, "device"))
            ok = read_device(c, a, error);
        else if (gp_xmltree_is(c, GP_DOMXML_NS, "added"))
            ok = read_change(c, a, error);
        else {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "unknown element <%.32s> in the gpupool assignment",
                        (const char *)c->name);
            ok = FALSE;
        }
        if (!ok)
            return FALSE;
    }
    if (a->requests->len == 0) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "the gpupool assignment has no request");
        return FALSE;
    }
    g_ptr_array_sort(a->devices, device_index_cmp);
    for (guint i = 0; i < a->devices->len; i++) {
        GpDomDevice *dev = g_ptr_array_index(a->devices, i);
        const char *id = dev->address ? dev->address : dev->uuid;

        if (i > 0 && ((GpDomDevice *)g_ptr_array_index(a->devices, i - 1))->index == dev->index) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "two devices have the alias %s", dev->alias);
            return FALSE;
        }
        if (!gp_dom_assignment_request(a, dev->pool)) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "device %s is from pool '%s', which the domain does not request",
                        dev->alias, dev->pool);
            return FALSE;
        }
        for (guint j = 0; j < i; j++) {
            GpDomDevice *other = g_ptr_array_index(a->devices, j);
            const char *oid = other->address ? other->address : other->uuid;

            if (strcmp(id, oid) == 0) {
                g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                            "device %s is reserved twice (%s and %s)", id, other->alias,
                            dev->alias);
                return FALSE;
            }
        }
    }
    for (guint i = 0; i < a->requests->len; i++) {
        GpDomRequest *req = g_ptr_array_index(a->requests, i);
        guint n = 0;

        for (guint j = 0; j < a->devices->len; j++)
            if (strcmp(((GpDomDevice *)g_ptr_array_index(a->devices, j))->pool, req->pool) == 0)
                n++;
        if (n != req->count) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "the request for pool '%s' is for %u device(s) but %u are reserved",
                        req->pool, req->count, n);
            return FALSE;
        }
    }
    return TRUE;
}

/* The metadata devices and the domain's ua-gpupool <hostdev>s must match
 * one for one: a hostdev someone added or edited by hand would otherwise
 * reach the guest without a claim. */
static gboolean
check_hostdevs(const GpXmlNode *root, GpDomAssignment *a, GError **error)
{
    const GpXmlNode *devices = gp_xmltree_child(root, "devices");
    g_autofree gboolean *seen = g_new0(gboolean, a->devices->len + 1);

    for (const GpXmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        g_autofree char *alias = NULL;
        g_autofree char *address = NULL;
        g_autofree char *uuid = NULL;
        GpDomDevice *dev = NULL;
        guint index;
        guint i;

        if (!gp_xmltree_is(c, NULL, "hostdev"))
            continue;
        alias = hostdev_alias(c);
        if (!alias || !g_str_has_prefix(alias, GP_DOMXML_ALIAS_PREFIX))
            continue;
        if (!gp_domxml_alias_index(alias, &index)) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "<hostdev> alias '%.32s' uses gpupool's prefix but is not %sN",
                        alias, GP_DOMXML_ALIAS_PREFIX);
            return FALSE;
        }
        for (i = 0; i < a->devices->len; i++) {
            dev = g_ptr_array_index(a->devices, i);
            if (dev->index == index)
                break;
        }
        if (i == a->devices->len) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "<hostdev> %s is not in the gpupool metadata", alias);
            return FALSE;
        }
        if (seen[i]) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "two <hostdev>s have the alias %s", alias);
            return FALSE;
        }
        seen[i] = TRUE;
        address = hostdev_address(c);
        uuid = hostdev_uuid(c);
        if ((dev->address && g_strcmp0(address, dev->address) != 0) ||
            (dev->uuid && g_strcmp0(uuid, dev->uuid) != 0)) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "<hostdev> %s points at %s but the gpupool metadata reserves %s",
                        alias, address ? address : uuid ? uuid : "no valid device",
                        dev->address ? dev->address : dev->uuid);
            return FALSE;
        }
    }
    for (guint i = 0; i < a->devices->len; i++) {
        if (!seen[i]) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "the gpupool metadata reserves %s as %s but the domain has no "
                        "<hostdev> with that alias",
                        ((GpDomDevice *)g_ptr_array_index(a->devices, i))->address
                            ? ((GpDomDevice *)g_ptr_array_index(a->devices, i))->address
                            : ((GpDomDevice *)g_ptr_array_index(a->devices, i))->uuid,
                        ((GpDomDevice *)g_ptr_array_index(a->devices, i))->alias);
            return FALSE;
        }
    }
    return TRUE;
}

/* One part of a PCI address attribute as libvirt reads it (decimal, 0x
 * hex or 0-prefixed octal, no sign), at most MAX. */
static gboolean
parse_address_part(const char *str, guint max, guint *out)
{
    guint64 v;
    char *end = NULL;

    if (!str || !g_ascii_isdigit(str[0]) || strlen(str) > 16)
        return FALSE;
    errno = 0;
    v = g_ascii_strtoull(str, &end, 0);
    if (errno != 0 || !end || *end || v > max)
        return FALSE;
    *out = (guint)v;
    return TRUE;
}

/* The canonical PCI address an <address domain bus slot function> names,
 * or NULL when it names none. */
static char *
source_pci_address(const GpXmlNode *addr)
{
    g_autofree char *d = prop(addr, "domain");
    g_autofree char *b = prop(addr, "bus");
    g_autofree char *s = prop(addr, "slot");
    g_autofree char *f = prop(addr, "function");
    guint vd = 0, vb, vs, vf;

    if ((d && !parse_address_part(d, 0xffff, &vd)) || !parse_address_part(b, 0xff, &vb) ||
        !parse_address_part(s, 0x1f, &vs) || !parse_address_part(f, 7, &vf))
        return NULL;
    return g_strdup_printf("%04x:%02x:%02x.%x", vd, vb, vs, vf);
}

static gboolean
owned_by_gpupool(const GpDomAssignment *a, const char *alias)
{
    for (guint i = 0; alias && i < a->devices->len; i++) {
        if (strcmp(((GpDomDevice *)a->devices->pdata[i])->alias, alias) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Fills A->passthrough.  A source gpupool cannot read is refused: it is
 * no device libvirt would accept either, and passing it unchecked could
 * hide a pool device. */
static gboolean
read_passthrough(const GpXmlNode *root, GpDomAssignment *a, GError **error)
{
    const GpXmlNode *devices = gp_xmltree_child(root, "devices");

    for (const GpXmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        g_autofree char *type = NULL;
        g_autofree char *device = NULL;
        const GpXmlNode *addr;
        const char *what;

        if (gp_xmltree_is(c, NULL, "hostdev")) {
            g_autofree char *mode = prop(c, "mode");
            g_autofree char *alias = NULL;

            /* mode='capabilities' passes storage, character or network
             * capabilities of the host, never a PCI device or an mdev. */
            if (mode && strcmp(mode, "subsystem") != 0)
                continue;
            type = prop(c, "type");
            if (g_strcmp0(type, "pci") != 0 && g_strcmp0(type, "mdev") != 0)
                continue;
            alias = hostdev_alias(c);
            if (owned_by_gpupool(a, alias))
                continue;
            what = "<hostdev>";
        } else if (gp_xmltree_is(c, NULL, "interface")) {
            type = prop(c, "type");
            if (g_strcmp0(type, "hostdev") != 0)
                continue;
            what = "<interface type='hostdev'>";
        } else {
            continue;
        }
        addr = gp_xmltree_child(gp_xmltree_child(c, "source"), "address");
        if (g_strcmp0(type, "mdev") == 0) {
            device = hostdev_uuid(c);
        } else if (addr) {
            g_autofree char *addr_type = prop(addr, "type");

            if (!addr_type || strcmp(addr_type, "pci") == 0)
                device = source_pci_address(addr);
        }
        if (!device) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "domain '%.64s': a %s has a source gpupool cannot read (line %ld): "
                        "fix the definition", a->name, what, (long)c->line);
            return FALSE;
        }
        g_ptr_array_add(a->passthrough, g_steal_pointer(&device));
        g_ptr_array_add(a->passthrough_kinds, (gpointer)what);
    }
    return TRUE;
}

static const GpXmlNode *
root_controller(const GpXmlNode *root)
{
    const GpXmlNode *devices = gp_xmltree_child(root, "devices");

    for (const GpXmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        g_autofree char *type = NULL, *index = NULL, *model = NULL;

        if (!gp_xmltree_is(c, NULL, "controller"))
            continue;
        type = prop(c, "type");
        index = prop(c, "index");
        model = prop(c, "model");
        if (gp_domxml_is_root_controller_of(type, index, model))
            return c;
    }
    return NULL;
}


static const GpXmlNode *
qemu_commandline(const GpXmlNode *root)
{
    for (const GpXmlNode *c = root->children; c; c = c->next)
        if (gp_xmltree_is(c, GP_DOMXML_QEMU_NS, "commandline"))
            return c;
    return NULL;
}

/* The <qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=N'/> that
 * follows a <qemu:arg value='-fw_cfg'/>, or NULL. */
static const GpXmlNode *
ovmf_mmio64_arg(const GpXmlNode *root)
{
    const GpXmlNode *cmdline = qemu_commandline(root);
    gboolean after_fw_cfg = FALSE;

    for (const GpXmlNode *c = cmdline ? cmdline->children : NULL; c; c = c->next) {
        g_autofree char *value = NULL;

        if (!gp_xmltree_is(c, GP_DOMXML_QEMU_NS, "arg"))
            continue;
        value = prop(c, "value");
        if (after_fw_cfg && gp_domxml_ovmf_mmio64_of(value))
            return c;
        after_fw_cfg = g_strcmp0(value, "-fw_cfg") == 0;
    }
    return NULL;
}

/* The MiB value of that argument as text, or NULL. */
static char *
ovmf_mmio64_value(const GpXmlNode *arg)
{
    g_autofree char *value = arg ? prop(arg, "value") : NULL;

    return g_strdup(gp_domxml_ovmf_mmio64_of(value));
}

/* What the rest of the definition says that gpupool needs: machine,
 * firmware, memory, current MMIO settings.  Values that do not parse are
 * left at 0: they matter for sizing, not for safety. */
static void
read_platform(const GpXmlNode *root, GpDomAssignment *a)
{
    const GpXmlNode *os = gp_xmltree_child(root, "os");
    const GpXmlNode *type = gp_xmltree_child(os, "type");
    const GpXmlNode *loader = gp_xmltree_child(os, "loader");
    const GpXmlNode *mem = gp_xmltree_child(root, "memory");
    const GpXmlNode *maxmem = gp_xmltree_child(root, "maxMemory");
    const GpXmlNode *ctrl = root_controller(root);
    const GpXmlNode *cpu = gp_xmltree_child(root, "cpu");
    const GpXmlNode *physaddr = gp_xmltree_child(cpu, "maxphysaddr");
    const GpXmlNode *fwcfg = ovmf_mmio64_arg(root);
    const GpXmlNode *crash = gp_xmltree_child(root, "on_crash");
    g_autofree char *firmware = os ? prop(os, "firmware") : NULL;

    if (type) {
        a->machine = prop(type, "machine");
        a->arch = prop(type, "arch");
        if (a->machine && strlen(a->machine) > VALUE_MAX)
            g_clear_pointer(&a->machine, g_free);
        if (a->arch && strlen(a->arch) > VALUE_MAX)
            g_clear_pointer(&a->arch, g_free);
    }
    if (crash) {
        a->on_crash = text_of(crash);
        if (a->on_crash && strlen(a->on_crash) > VALUE_MAX)
            g_clear_pointer(&a->on_crash, g_free);
    }
    /* "q35", "pc-q35-7.2"; "pc", "pc-i440fx-7.2" and the old "pc-0.15". */
    if (a->machine && strstr(a->machine, "q35"))
        a->machine_kind = GP_DOM_MACHINE_Q35;
    else if (a->machine && (strcmp(a->machine, "pc") == 0 || g_str_has_prefix(a->machine, "pc-")))
        a->machine_kind = GP_DOM_MACHINE_I440FX;

    if (g_strcmp0(firmware, "efi") == 0) {
        a->ovmf = TRUE;
    } else if (loader) {
        g_autofree char *ltype = prop(loader, "type");
        g_autofree char *path = text_of(loader);
        g_autofree char *lower = g_ascii_strdown(path, -1);

        if (g_strcmp0(ltype, "pflash") == 0 || strstr(lower, "ovmf") || strstr(lower, "edk2"))
            a->ovmf = TRUE;
    }

    if (mem) {
        g_autofree char *v = text_of(mem);
        g_autofree char *unit = prop(mem, "unit");
        guint64 bytes;

        if (parse_scaled(v, unit, &bytes))
            a->memory = bytes;
    }
    if (maxmem) {
        g_autofree char *v = text_of(maxmem);
        g_autofree char *unit = prop(maxmem, "unit");
        g_autofree char *slots = prop(maxmem, "slots");
        guint64 bytes, n;

        if (parse_scaled(v, unit, &bytes) && bytes > a->memory)
            a->memory = bytes;
        if (gp_domxml_parse_u64(slots, &n) && n <= 1024)
            a->memory_slots = (guint)n;
    }
    if (ctrl) {
        const GpXmlNode *hole = gp_xmltree_child(ctrl, "pcihole64");

        if (hole) {
            g_autofree char *v = text_of(hole);
            g_autofree char *unit = prop(hole, "unit");
            guint64 bytes;

            if (parse_scaled(v, unit, &bytes))
                a->pcihole64 = bytes;
        }
    }
    if (physaddr) {
        g_autofree char *mode = prop(physaddr, "mode");
        g_autofree char *bits = prop(physaddr, "bits");
        guint64 n;

        if (g_strcmp0(mode, "passthrough") == 0)
            a->phys_bits_passthrough = TRUE;
        else if (g_strcmp0(mode, "emulate") == 0 && gp_domxml_parse_u64(bits, &n) && n <= 64)
            a->phys_bits = (guint)n;
    }
    if (fwcfg) {
        g_autofree char *v = ovmf_mmio64_value(fwcfg);
        guint64 mib;

        if (gp_domxml_parse_u64(v, &mib) && mib < (1ULL << 40))
            a->ovmf_mmio64 = mib << 20;
    }
}

static void
prefix_error(GError **error, const char *name)
{
    if (error && *error)
        g_prefix_error(error, "domain '%.64s': gpupool metadata: ", name ? name : "?");
}

GpDomAssignment *
gp_domxml_assignment_from_tree(const GpXmlNode *root, GError **error)
{
    g_autoptr(GpDomAssignment) a = assignment_new();
    const GpXmlNode *name = gp_xmltree_child(root, "name");
    const GpXmlNode *uuid = gp_xmltree_child(root, "uuid");
    const GpXmlNode *meta;
    GError *local = NULL;

    a->name = name ? text_of(name) : NULL;
    if (!a->name || !*a->name || strlen(a->name) > VALUE_MAX) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain XML has no usable <name>: pass a complete definition "
                    "('virsh dumpxml DOMAIN')");
        return NULL;
    }
    if (uuid) {
        g_autofree char *text = text_of(uuid);

        if (!gp_domxml_uuid_check(text)) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "domain '%.64s' has no valid <uuid>: pass the definition as libvirt "
                        "returns it ('virsh dumpxml %.64s')", a->name, a->name);
            return NULL;
        }
        a->uuid = g_ascii_strdown(text, -1);
    }
    read_platform(root, a);

    meta = metadata_element(root, &local);
    if (local) {
        g_propagate_error(error, local);
        prefix_error(error, a->name);
        return NULL;
    }
    if (meta) {
        /* A domain gpupool hands devices to must have a name the claims
         * can record. */
        if (!gp_domxml_name_check(a->name, error))
            return NULL;
        if (!read_metadata(meta, a, error) || !check_hostdevs(root, a, error)) {
            prefix_error(error, a->name);
            if (error && *error) {
                g_autofree char *msg = (*error)->message;

                (*error)->message = g_strdup_printf(
                    "%s: run 'gpupool assign %.64s --pool POOL' again, or "
                    "'gpupool unassign %.64s'", msg, a->name, a->name);
            }
            return NULL;
        }
        if (!a->uuid) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "domain '%.64s' has a gpupool request but no <uuid>: pass the "
                        "definition as libvirt returns it", a->name);
            return NULL;
        }
    }
    if (!read_passthrough(root, a, error))
        return NULL;
    return g_steal_pointer(&a);
}

gboolean
gp_domxml_check_written_ns(const GpDomAssignment *a, const char *xml, gsize len,
                           GError **error)
{
    /* The hook's first test (and its gate) look for the namespace as it
     * is written.  Spelled with character references, it would be read
     * here at prepare but missed at release, and the claim would stay. */
    if ((a->requests->len > 0 || a->devices->len > 0) && !gp_domxml_has_assignment(xml, len)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain '%.64s': gpupool metadata: its namespace is not written out as "
                    "%s (character references?): run 'gpupool assign %.64s --pool POOL' "
                    "again", a->name, GP_DOMXML_NS, a->name);
        return FALSE;
    }
    return TRUE;
}

GpDomAssignment *
gp_domxml_read_assignment_fast(const char *xml, gsize len, GError **error)
{
    g_autoptr(GpXmlNode) root = NULL;
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GError) local = NULL;

    /* The checks gp_xmldoc_parse() makes before libxml2 sees a byte. */
    if (!xml || len > GP_DOMXML_MAX_SIZE || gp_xmldoc_contains(xml, len, "<!DOCTYPE") ||
        gp_xmldoc_contains(xml, len, "<!ENTITY")) {
        g_set_error(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED,
                    "no input, too large, or a DOCTYPE or ENTITY declaration");
        return NULL;
    }
    root = gp_xmltree_parse(xml, len, error);
    if (!root)
        return NULL;
    /* A refusal is left to the full reader, so that it reads the same
     * whichever reader met the domain first. */
    if (!gp_domxml_check_root(root, &local) ||
        !(a = gp_domxml_assignment_from_tree(root, &local)) ||
        !gp_domxml_check_written_ns(a, xml, len, &local)) {
        g_set_error(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED,
                    "refused, in words the full reader gives: %s", local->message);
        return NULL;
    }
    return g_steal_pointer(&a);
}
