/* Rewriting a domain definition for assign, unassign and rebalance.
 *
 * Every element gpupool adds is inserted with the indentation of its
 * neighbours, and removing it takes the same whitespace away again, so
 * gp_domxml_clear() after gp_domxml_apply() gives back the original bytes.
 * Every value gpupool changes outside its own elements is recorded in the
 * metadata (<gpupool:added what= value= previous=>) and put back on clear
 * only if it still has the value gpupool set: an admin's later edit wins. */
#include "config.h"

#include "state/domxml-priv.h"

#include <string.h>

#include "base/pciaddr.h"
#include "state/pool.h"

struct _GpDomXml {
    xmlDoc *doc;
    char *prolog;   /* the bytes before <domain> (XML declaration, comments) */
    char *epilog;   /* the bytes after </domain> */
    char *name;
    char *uuid;
};

/* ---- Document ----------------------------------------------------------- */

static gsize
prolog_length(const char *xml, gsize len)
{
    gsize i = 0;

    for (;;) {
        while (i < len && g_ascii_isspace(xml[i]))
            i++;
        if (i + 1 < len && xml[i] == '<' && xml[i + 1] == '?') {
            const char *end = g_strstr_len(xml + i, len - i, "?>");

            if (!end)
                return i;
            i = (gsize)(end - xml) + 2;
        } else if (i + 3 < len && strncmp(xml + i, "<!--", 4) == 0) {
            const char *end = g_strstr_len(xml + i, len - i, "-->");

            if (!end)
                return i;
            i = (gsize)(end - xml) + 3;
        } else {
            return i;
        }
    }
}

GpDomXml *
gp_domxml_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(GpDomXml) dom = g_new0(GpDomXml, 1);
    xmlNode *root;
    xmlNode *name, *uuid;
    gsize pro;
    gsize epi = len;

    dom->doc = gp_domxml_parse_doc(xml, len, error);
    if (!dom->doc)
        return NULL;
    root = xmlDocGetRootElement(dom->doc);
    name = gp_domxml_child(root, "name");
    uuid = gp_domxml_child(root, "uuid");
    dom->name = name ? gp_domxml_text(name) : NULL;
    dom->uuid = uuid ? gp_domxml_text(uuid) : NULL;
    if (!dom->name || !*dom->name || strlen(dom->name) > 256) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain XML has no usable <name>: pass a complete definition "
                    "('virsh dumpxml DOMAIN')");
        return NULL;
    }

    pro = prolog_length(xml, len);
    dom->prolog = g_strndup(xml, pro);
    /* The root was parsed, so "</domain>" ends it; what follows is kept. */
    for (gsize i = len; i >= pro + 9; i--) {
        if (strncmp(xml + i - 9, "</domain>", 9) == 0) {
            epi = i;
            break;
        }
    }
    dom->epilog = g_strndup(xml + epi, len - epi);
    return g_steal_pointer(&dom);
}

void
gp_domxml_free(GpDomXml *dom)
{
    if (!dom)
        return;
    if (dom->doc)
        xmlFreeDoc(dom->doc);
    g_free(dom->prolog);
    g_free(dom->epilog);
    g_free(dom->name);
    g_free(dom->uuid);
    g_free(dom);
}

char *
gp_domxml_format(GpDomXml *dom)
{
    return gp_domxml_format_doc(dom->doc, dom->prolog, dom->epilog);
}

const char *
gp_domxml_name(GpDomXml *dom)
{
    return dom->name;
}

const char *
gp_domxml_uuid(GpDomXml *dom)
{
    return dom->uuid;
}

GpDomAssignment *
gp_domxml_assignment(GpDomXml *dom, GError **error)
{
    return gp_domxml_assignment_from_doc(dom->doc, error);
}

/* ---- Whitespace-preserving insert and remove ---------------------------- */

static gboolean
is_blank_text(const xmlNode *node)
{
    return node && node->type == XML_TEXT_NODE && xmlIsBlankNode((xmlNode *)node);
}

/* The indentation NODE sits at: what follows the last newline of the
 * blank text before it. */
static char *
indent_of(const xmlNode *node)
{
    const char *text;
    const char *nl;

    if (!is_blank_text(node->prev))
        return g_strdup("");
    text = (const char *)node->prev->content;
    nl = strrchr(text, '\n');
    return g_strdup(nl ? nl + 1 : text);
}

static xmlNode *
new_text(xmlDoc *doc, const char *text)
{
    return xmlNewDocText(doc, (const xmlChar *)text);
}

/* Insert NODE as a child of PARENT before BEFORE (an element child of
 * PARENT) or at the end, laid out like its siblings. */
static void
insert_child(xmlNode *parent, xmlNode *node, xmlNode *before)
{
    xmlDoc *doc = parent->doc;

    if (!xmlFirstElementChild(parent) && !before) {
        g_autofree char *ind = indent_of(parent);
        g_autofree char *open = g_strdup_printf("\n%s  ", ind);
        g_autofree char *close = g_strdup_printf("\n%s", ind);

        /* Only blank text (or nothing) inside: lay it out afresh; clear
         * removes all of it again. */
        if (parent->children && !is_blank_text(parent->children))
            goto plain;
        while (parent->children) {
            xmlNode *c = parent->children;

            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
        if (!parent->prev || !is_blank_text(parent->prev)) {
            xmlAddChild(parent, node);
            return;
        }
        xmlAddChild(parent, new_text(doc, open));
        xmlAddChild(parent, node);
        xmlAddChild(parent, new_text(doc, close));
        return;
    }
    if (before) {
        /* [ws, before] -> [ws, NODE, copy of ws, before] */
        xmlAddPrevSibling(before, node);
        if (is_blank_text(node->prev))
            xmlAddPrevSibling(before, new_text(doc, (const char *)node->prev->content));
        return;
    }
    {
        /* [..., ws, last, end] -> [..., ws, last, copy of ws, NODE, end] */
        xmlNode *last = xmlLastElementChild(parent);

        if (is_blank_text(last->prev)) {
            xmlAddNextSibling(last, node);
            xmlAddNextSibling(last, new_text(doc, (const char *)last->prev->content));
        } else {
            xmlAddNextSibling(last, node);
        }
        return;
    }
 plain:
    if (before)
        xmlAddPrevSibling(before, node);
    else
        xmlAddChild(parent, node);
}

/* Remove NODE and the whitespace insert_child() put with it. */
static void
remove_node(xmlNode *node)
{
    xmlNode *parent = node->parent;
    xmlNode *prev, *next;

    if (is_blank_text(node->prev)) {
        xmlNode *ws = node->prev;

        xmlUnlinkNode(ws);
        xmlFreeNode(ws);
    }
    prev = node->prev;
    next = node->next;
    xmlUnlinkNode(node);
    xmlFreeNode(node);
    /* Text left on both sides becomes one text, as a parser reads it, so
     * that inserting again finds the neighbours it found the first time. */
    if (prev && next && prev->type == XML_TEXT_NODE && next->type == XML_TEXT_NODE)
        xmlTextMerge(prev, next);
    if (parent && !xmlFirstElementChild(parent)) {
        gboolean blank = TRUE;

        for (xmlNode *c = parent->children; c; c = c->next)
            if (!is_blank_text(c))
                blank = FALSE;
        if (blank) {
            while (parent->children) {
                xmlNode *c = parent->children;

                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
        }
    }
}

/* The first element child of PARENT whose name is in NAMES, or NULL. */
static xmlNode *
first_of(xmlNode *parent, const char *const *names)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        for (gsize i = 0; names[i]; i++)
            if (gp_domxml_is_el(c, names[i]))
                return c;
    return NULL;
}

/* The last element child of PARENT named NAME, or NULL. */
static xmlNode *
last_named(xmlNode *parent, const char *name)
{
    xmlNode *found = NULL;

    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (gp_domxml_is_el(c, name))
            found = c;
    return found;
}

/* Insert NODE after the last NAME child or, without one, before the first
 * of FOLLOWERS (libvirt's element order), else at the end. */
static void
insert_ordered(xmlNode *parent, xmlNode *node, const char *name,
               const char *const *followers)
{
    xmlNode *last = last_named(parent, name);

    if (last && last->next) {
        xmlNode *next = last->next;

        while (next && next->type != XML_ELEMENT_NODE)
            next = next->next;
        if (next) {
            insert_child(parent, node, next);
            return;
        }
    }
    insert_child(parent, node, last ? NULL : first_of(parent, followers));
}

static xmlNode *
new_el(xmlDoc *doc, const char *name)
{
    return xmlNewDocNode(doc, NULL, (const xmlChar *)name, NULL);
}

static void
set_text(xmlNode *el, const char *text)
{
    xmlNodeSetContent(el, NULL);
    xmlNodeAddContent(el, (const xmlChar *)text);
}

/* ---- The metadata element ----------------------------------------------- */

static xmlNode *
metadata_el(xmlNode *root, gboolean create, gboolean *created)
{
    static const char *const followers[] = {
        "maxMemory", "memory", "currentMemory", "blkiotune", "memoryBacking", "vcpu",
        "iothreads", "os", "devices", NULL
    };
    xmlNode *meta = gp_domxml_child(root, "metadata");

    if (meta || !create)
        return meta;
    meta = new_el(root->doc, "metadata");
    {
        /* After name, uuid, genid, title, description: libvirt's order. */
        xmlNode *before = first_of(root, followers);

        insert_child(root, meta, before);
    }
    *created = TRUE;
    return meta;
}

static xmlNode *
our_child(xmlNode *parent, xmlNs *ns, const char *name)
{
    return xmlNewDocNode(parent->doc, ns, (const xmlChar *)name, NULL);
}

/* ---- Undo --------------------------------------------------------------- */

static const char *
change_value(GPtrArray *changes, const char *what, const char **previous)
{
    for (guint i = 0; i < changes->len; i++) {
        GpDomChange *c = g_ptr_array_index(changes, i);

        if (strcmp(c->what, what) == 0) {
            if (previous)
                *previous = c->previous;
            return c->value;
        }
    }
    return NULL;
}

static gboolean
created(GPtrArray *changes, const char *element)
{
    const char *list = change_value(changes, GP_DOMXML_CHANGE_CREATED, NULL);
    g_auto(GStrv) names = list ? g_strsplit(list, " ", -1) : NULL;

    return names && g_strv_contains((const char *const *)names, element);
}

static void
remove_if_empty(xmlNode *el)
{
    if (el && !xmlFirstElementChild(el))
        remove_node(el);
}

/* Put back pcihole64 as it was, if it still has gpupool's value. */
static void
undo_pcihole64(xmlNode *root, GPtrArray *changes)
{
    const char *previous = NULL;
    const char *value = change_value(changes, GP_DOMXML_CHANGE_PCIHOLE64, &previous);
    xmlNode *ctrl = gp_domxml_root_controller(root);
    xmlNode *hole = gp_domxml_child(ctrl, "pcihole64");
    g_autofree char *text = NULL;
    g_autofree char *unit = NULL;

    if (!value || !hole)
        goto out;
    text = gp_domxml_text(hole);
    unit = gp_domxml_prop(hole, "unit");
    if (strcmp(text, value) != 0 || g_strcmp0(unit, "KiB") != 0)
        goto out;
    if (!previous) {
        remove_node(hole);
    } else {
        /* "TEXT" or "TEXT UNIT": the unit attribute as it was. */
        g_auto(GStrv) parts = g_strsplit(previous, " ", 2);

        set_text(hole, parts[0]);
        if (parts[1])
            xmlSetProp(hole, (const xmlChar *)"unit", (const xmlChar *)parts[1]);
        else
            xmlUnsetProp(hole, (const xmlChar *)"unit");
    }
 out:
    if (ctrl && created(changes, "controller"))
        remove_if_empty(ctrl);
}

static void
undo_on_crash(xmlNode *root, GPtrArray *changes)
{
    const char *previous = NULL;
    const char *value = change_value(changes, GP_DOMXML_CHANGE_ON_CRASH, &previous);
    xmlNode *el = gp_domxml_child(root, "on_crash");
    g_autofree char *text = NULL;

    if (!value || !el)
        return;
    text = gp_domxml_text(el);
    if (strcmp(text, value) != 0)
        return;
    if (previous)
        set_text(el, previous);
    else
        remove_node(el);
}

/* Does anything in the document still use the namespace NS? */
static gboolean
ns_in_use(xmlNode *node, xmlNs *ns)
{
    for (xmlNode *c = node; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (c->ns == ns)
            return TRUE;
        for (xmlAttr *a = c->properties; a; a = a->next)
            if (a->ns == ns)
                return TRUE;
        if (ns_in_use(c->children, ns))
            return TRUE;
    }
    return FALSE;
}

static void
remove_ns_def(xmlNode *el, xmlNs *ns)
{
    for (xmlNs **p = &el->nsDef; *p; p = &(*p)->next) {
        if (*p == ns) {
            *p = ns->next;
            ns->next = NULL;
            xmlFreeNs(ns);
            return;
        }
    }
}

static xmlNs *
qemu_ns_of(xmlNode *root)
{
    for (xmlNs *ns = root->nsDef; ns; ns = ns->next)
        if (ns->href && strcmp((const char *)ns->href, GP_DOMXML_QEMU_NS) == 0)
            return ns;
    return NULL;
}

static char *
ovmf_arg_value(const char *mib)
{
    return g_strdup_printf("name=" GP_DOMXML_OVMF_MMIO64_NAME ",string=%s", mib);
}

static void
undo_ovmf_mmio64(xmlNode *root, GPtrArray *changes)
{
    const char *previous = NULL;
    const char *value = change_value(changes, GP_DOMXML_CHANGE_OVMF_MMIO64, &previous);
    xmlNode *arg = gp_domxml_ovmf_mmio64_arg(root);
    xmlNode *cmdline = gp_domxml_qemu_commandline(root);
    g_autofree char *now = arg ? gp_domxml_ovmf_mmio64_value(arg) : NULL;

    if (value && now && strcmp(now, value) == 0) {
        if (previous) {
            g_autofree char *v = ovmf_arg_value(previous);

            xmlSetProp(arg, (const xmlChar *)"value", (const xmlChar *)v);
        } else {
            xmlNode *flag = arg->prev;

            while (flag && flag->type != XML_ELEMENT_NODE)
                flag = flag->prev;
            remove_node(arg);
            if (flag)
                remove_node(flag);
        }
    }
    if (cmdline && created(changes, "qemu:commandline"))
        remove_if_empty(cmdline);
    if (created(changes, "xmlns:qemu")) {
        xmlNs *ns = qemu_ns_of(root);

        if (ns && !ns_in_use(root, ns))
            remove_ns_def(root, ns);
    }
}

static char *
physaddr_string(xmlNode *el)
{
    g_autofree char *mode = gp_domxml_prop(el, "mode");
    g_autofree char *bits = gp_domxml_prop(el, "bits");

    if (bits)
        return g_strdup_printf("%s:%s", mode ? mode : "", bits);
    return g_strdup(mode ? mode : "");
}

static void
set_physaddr(xmlNode *el, const char *spec)
{
    g_auto(GStrv) parts = g_strsplit(spec, ":", 2);

    xmlSetProp(el, (const xmlChar *)"mode", (const xmlChar *)parts[0]);
    if (parts[1])
        xmlSetProp(el, (const xmlChar *)"bits", (const xmlChar *)parts[1]);
    else
        xmlUnsetProp(el, (const xmlChar *)"bits");
}

static void
undo_physbits(xmlNode *root, GPtrArray *changes)
{
    const char *previous = NULL;
    const char *value = change_value(changes, GP_DOMXML_CHANGE_PHYSBITS, &previous);
    xmlNode *cpu = gp_domxml_child(root, "cpu");
    xmlNode *el = gp_domxml_child(cpu, "maxphysaddr");
    g_autofree char *now = NULL;

    if (!value || !el)
        goto out;
    now = physaddr_string(el);
    if (strcmp(now, value) != 0)
        goto out;
    if (previous)
        set_physaddr(el, previous);
    else
        remove_node(el);
 out:
    if (cpu && created(changes, "cpu") && !cpu->properties)
        remove_if_empty(cpu);
}

/* The changes recorded in our metadata element, read leniently: clear
 * must work on metadata the strict reader refuses. */
static GPtrArray *
recorded_changes(xmlNode *assignment)
{
    GPtrArray *changes = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_change_free);

    for (xmlNode *c = assignment ? assignment->children : NULL; c; c = c->next) {
        GpDomChange *change;

        if (!gp_domxml_is_our_el(c, "added"))
            continue;
        change = g_new0(GpDomChange, 1);
        change->what = gp_domxml_prop(c, "what");
        change->value = gp_domxml_prop(c, "value");
        change->previous = gp_domxml_prop(c, "previous");
        if (!change->what || !change->value) {
            gp_dom_change_free(change);
            continue;
        }
        g_ptr_array_add(changes, change);
    }
    return changes;
}

/* ---- PCI controllers libvirt added for gpupool's hostdevs ------------------ */

/* libvirt gives every new hostdev a guest PCI address when the domain is
 * defined, and on q35 adds a pcie-root-port to put it behind.  It never
 * removes a controller again, so unassign does: assign records which PCI
 * controller indexes existed before ("0-6,9"), and a controller not among
 * them that no device sits behind any more is removed.  A spare port the
 * admin had, which libvirt may have used for our hostdev, is in the
 * record and stays. */

static gboolean
parse_index(const char *str, guint *out)
{
    guint64 v;

    if (!str)
        return FALSE;
    if (g_str_has_prefix(str, "0x")) {
        char *end = NULL;

        if (!str[2] || strlen(str) > 6)
            return FALSE;
        v = g_ascii_strtoull(str + 2, &end, 16);
        if (!end || *end)
            return FALSE;
    } else if (!gp_domxml_parse_u64(str, &v)) {
        return FALSE;
    }
    if (v > 255)
        return FALSE;
    *out = (guint)v;
    return TRUE;
}

/* The PCI controllers of the domain by index (0..255). */
static void
pci_controllers(xmlNode *devices, xmlNode *by_index[256])
{
    memset(by_index, 0, 256 * sizeof(xmlNode *));
    for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        g_autofree char *type = NULL;
        g_autofree char *index = NULL;
        guint i;

        if (!gp_domxml_is_el(c, "controller"))
            continue;
        type = gp_domxml_prop(c, "type");
        index = gp_domxml_prop(c, "index");
        if (g_strcmp0(type, "pci") == 0 && parse_index(index, &i))
            by_index[i] = c;
    }
}

static char *
format_index_set(xmlNode *by_index[256])
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < 256; i++) {
        guint j = i;

        if (!by_index[i])
            continue;
        while (j + 1 < 256 && by_index[j + 1])
            j++;
        if (out->len)
            g_string_append_c(out, ',');
        if (j > i)
            g_string_append_printf(out, "%u-%u", i, j);
        else
            g_string_append_printf(out, "%u", i);
        i = j;
    }
    return g_string_free(out, FALSE);
}

/* FALSE if SET does not parse: then nothing is pruned. */
static gboolean
parse_index_set(const char *set, gboolean member[256])
{
    g_auto(GStrv) parts = NULL;

    memset(member, 0, 256 * sizeof(gboolean));
    if (!set)
        return FALSE;
    if (!*set)
        return TRUE;
    parts = g_strsplit(set, ",", 257);
    for (guint i = 0; parts[i]; i++) {
        g_auto(GStrv) range = g_strsplit(parts[i], "-", 3);
        guint a, b;

        if (!parse_index(range[0], &a))
            return FALSE;
        b = a;
        if (range[1] && (range[2] || !parse_index(range[1], &b) || b < a))
            return FALSE;
        for (guint k = a; k <= b; k++)
            member[k] = TRUE;
    }
    return TRUE;
}

/* Is any device (controllers included) placed on PCI bus INDEX? */
static gboolean
bus_in_use(xmlNode *devices, guint index)
{
    for (xmlNode *c = devices->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (xmlNode *k = c->children; k; k = k->next) {
            g_autofree char *type = NULL;
            g_autofree char *bus = NULL;
            guint b;

            if (!gp_domxml_is_el(k, "address"))
                continue;
            type = gp_domxml_prop(k, "type");
            bus = gp_domxml_prop(k, "bus");
            if (g_strcmp0(type, "pci") == 0 && parse_index(bus, &b) && b == index)
                return TRUE;
        }
    }
    return FALSE;
}

static void
prune_controllers(xmlNode *devices, const char *before)
{
    gboolean member[256];
    gboolean again = TRUE;

    if (!devices || !parse_index_set(before, member))
        return;
    /* Removing a port can free the bus of a bridge it sat behind. */
    while (again) {
        xmlNode *by_index[256];

        again = FALSE;
        pci_controllers(devices, by_index);
        for (guint i = 1; i < 256; i++) {
            if (by_index[i] && !member[i] && !bus_in_use(devices, i)) {
                remove_node(by_index[i]);
                again = TRUE;
            }
        }
    }
}

static gboolean
clear_internal(GpDomXml *dom, gboolean prune, char **controllers_before)
{
    xmlNode *root = xmlDocGetRootElement(dom->doc);
    xmlNode *devices = gp_domxml_child(root, "devices");
    xmlNode *meta = gp_domxml_child(root, "metadata");
    g_autoptr(GPtrArray) changes = NULL;
    g_autoptr(GPtrArray) ours = g_ptr_array_new();
    g_autoptr(GPtrArray) hostdevs = g_ptr_array_new();

    /* Every gpupool element, even several (a hand edit): clear must leave
     * none behind. */
    for (xmlNode *c = meta ? meta->children : NULL; c; c = c->next)
        if (gp_domxml_is_our_el(c, NULL))
            g_ptr_array_add(ours, c);
    changes = recorded_changes(ours->len ? g_ptr_array_index(ours, 0) : NULL);

    /* Undo in the reverse order of apply. */
    undo_physbits(root, changes);
    undo_ovmf_mmio64(root, changes);
    undo_pcihole64(root, changes);
    undo_on_crash(root, changes);

    /* Found first, removed after: removing the last element also frees
     * the blank text around it, which may be the next sibling. */
    for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        g_autofree char *alias = NULL;

        if (gp_domxml_is_el(c, "hostdev")) {
            alias = gp_domxml_hostdev_alias(c);
            if (alias && g_str_has_prefix(alias, GP_DOMXML_ALIAS_PREFIX))
                g_ptr_array_add(hostdevs, c);
        }
    }
    for (guint i = 0; i < hostdevs->len; i++)
        remove_node(g_ptr_array_index(hostdevs, i));
    {
        const char *before = change_value(changes, GP_DOMXML_CHANGE_CONTROLLERS, NULL);

        if (prune)
            prune_controllers(devices, before);
        if (controllers_before)
            *controllers_before = g_strdup(before);
    }
    for (guint i = 0; i < ours->len; i++)
        remove_node(g_ptr_array_index(ours, i));
    if (meta && created(changes, "metadata"))
        remove_if_empty(meta);
    return TRUE;
}

gboolean
gp_domxml_clear(GpDomXml *dom, GError **error)
{
    return clear_internal(dom, TRUE, NULL);
}

/* ---- Apply -------------------------------------------------------------- */

typedef struct {
    xmlNode *assignment;
    GPtrArray *created;  /* element names gpupool created */
} Record;

/* Whether VALUE can be recorded as a previous value and split back
 * apart: no blanks and none of the characters in SEPARATORS. */
static gboolean
recordable(const char *value, const char *separators)
{
    for (const char *c = value; c && *c; c++)
        if (g_ascii_isspace(*c) || strchr(separators, *c))
            return FALSE;
    return TRUE;
}

/* Whether the text of EL can be recorded so that clear puts it back
 * exactly: nothing but one text, without blanks.  libvirt writes a number
 * or a word there; anything else is left as the admin wrote it. */
static gboolean
text_recordable(const xmlNode *el)
{
    if (!el->children)
        return TRUE;
    return !el->children->next && el->children->type == XML_TEXT_NODE &&
           recordable((const char *)el->children->content, "");
}

static void
record_change(Record *rec, const char *what, const char *value, const char *previous)
{
    xmlNode *el = our_child(rec->assignment, rec->assignment->ns, "added");

    xmlSetProp(el, (const xmlChar *)"what", (const xmlChar *)what);
    xmlSetProp(el, (const xmlChar *)"value", (const xmlChar *)value);
    if (previous)
        xmlSetProp(el, (const xmlChar *)"previous", (const xmlChar *)previous);
    insert_child(rec->assignment, el, NULL);
}

static void
apply_on_crash(xmlNode *root, Record *rec)
{
    static const char *const followers[] = {
        "on_lockfailure", "pm", "perf", "idmap", "devices", NULL
    };
    xmlNode *el = gp_domxml_child(root, "on_crash");
    g_autofree char *previous = el ? gp_domxml_text(el) : NULL;

    if (previous && strcmp(previous, "destroy") == 0)
        return;
    if (el && !text_recordable(el))
        return;
    if (!el) {
        xmlNode *after = gp_domxml_child(root, "on_reboot");

        if (!after)
            after = gp_domxml_child(root, "on_poweroff");
        el = new_el(root->doc, "on_crash");
        if (after)
            insert_ordered(root, el, (const char *)after->name, followers);
        else
            insert_child(root, el, first_of(root, followers));
    }
    set_text(el, "destroy");
    record_change(rec, GP_DOMXML_CHANGE_ON_CRASH, "destroy", previous);
}

static void
apply_pcihole64(xmlNode *root, GpDomMachine machine, guint64 bytes, Record *rec)
{
    static const char *const ctrl_followers[] = {
        "lease", "filesystem", "interface", "smartcard", "serial", "parallel", "console",
        "channel", "input", "tpm", "graphics", "sound", "audio", "video", "hostdev",
        "redirdev", "redirfilter", "hub", "watchdog", "memballoon", "rng", "panic",
        "shmem", "memory", "iommu", "vsock", NULL
    };
    static const char *const hole_followers[] = { "alias", "address", NULL };
    xmlNode *devices = gp_domxml_child(root, "devices");
    xmlNode *ctrl = gp_domxml_root_controller(root);
    xmlNode *hole;
    g_autofree char *value = g_strdup_printf("%" G_GUINT64_FORMAT, bytes / 1024);
    g_autofree char *previous = NULL;

    if (!ctrl) {
        ctrl = new_el(root->doc, "controller");
        xmlSetProp(ctrl, (const xmlChar *)"type", (const xmlChar *)"pci");
        xmlSetProp(ctrl, (const xmlChar *)"index", (const xmlChar *)"0");
        xmlSetProp(ctrl, (const xmlChar *)"model",
                   (const xmlChar *)(machine == GP_DOM_MACHINE_Q35 ? "pcie-root" : "pci-root"));
        insert_ordered(devices, ctrl, "controller", ctrl_followers);
        g_ptr_array_add(rec->created, "controller");
    }
    hole = gp_domxml_child(ctrl, "pcihole64");
    if (hole) {
        g_autofree char *text = gp_domxml_text(hole);
        g_autofree char *unit = gp_domxml_prop(hole, "unit");

        if (strcmp(text, value) == 0 && g_strcmp0(unit, "KiB") == 0)
            return;
        /* Recorded as "TEXT UNIT". */
        if (!text_recordable(hole) || !recordable(unit, ""))
            return;
        previous = unit ? g_strdup_printf("%s %s", text, unit) : g_strdup(text);
    } else {
        hole = new_el(root->doc, "pcihole64");
        insert_child(ctrl, hole, first_of(ctrl, hole_followers));
    }
    xmlSetProp(hole, (const xmlChar *)"unit", (const xmlChar *)"KiB");
    set_text(hole, value);
    record_change(rec, GP_DOMXML_CHANGE_PCIHOLE64, value, previous);
}

static void
apply_ovmf_mmio64(xmlNode *root, guint64 bytes, Record *rec)
{
    xmlNode *arg = gp_domxml_ovmf_mmio64_arg(root);
    g_autofree char *value = g_strdup_printf("%" G_GUINT64_FORMAT, bytes >> 20);
    g_autofree char *full = ovmf_arg_value(value);
    g_autofree char *previous = NULL;

    if (arg) {
        previous = gp_domxml_ovmf_mmio64_value(arg);
        if (g_strcmp0(previous, value) == 0)
            return;
    } else {
        xmlNode *cmdline = gp_domxml_qemu_commandline(root);
        xmlNs *ns = qemu_ns_of(root);
        xmlNode *flag;

        if (!ns) {
            ns = xmlNewNs(root, (const xmlChar *)GP_DOMXML_QEMU_NS, (const xmlChar *)"qemu");
            g_ptr_array_add(rec->created, "xmlns:qemu");
        }
        if (!cmdline) {
            /* libvirt writes it last, after <devices>. */
            cmdline = xmlNewDocNode(root->doc, ns, (const xmlChar *)"commandline", NULL);
            insert_child(root, cmdline, NULL);
            g_ptr_array_add(rec->created, "qemu:commandline");
        }
        flag = xmlNewDocNode(root->doc, cmdline->ns, (const xmlChar *)"arg", NULL);
        xmlSetProp(flag, (const xmlChar *)"value", (const xmlChar *)"-fw_cfg");
        insert_child(cmdline, flag, NULL);
        arg = xmlNewDocNode(root->doc, cmdline->ns, (const xmlChar *)"arg", NULL);
        insert_child(cmdline, arg, NULL);
    }
    xmlSetProp(arg, (const xmlChar *)"value", (const xmlChar *)full);
    record_change(rec, GP_DOMXML_CHANGE_OVMF_MMIO64, value, previous);
}

static void
apply_physbits(xmlNode *root, guint bits, Record *rec)
{
    static const char *const cpu_followers[] = {
        "clock", "on_poweroff", "on_reboot", "on_crash", "on_lockfailure", "pm", "perf",
        "idmap", "devices", NULL
    };
    static const char *const el_followers[] = { "feature", "numa", NULL };
    xmlNode *cpu = gp_domxml_child(root, "cpu");
    xmlNode *el = gp_domxml_child(cpu, "maxphysaddr");
    g_autofree char *value = g_strdup_printf("emulate:%u", bits);
    g_autofree char *previous = NULL;

    if (el) {
        g_autofree char *mode = gp_domxml_prop(el, "mode");
        g_autofree char *cur = gp_domxml_prop(el, "bits");
        guint64 n;

        /* The host's own width, or already wide enough: leave it. */
        if (g_strcmp0(mode, "passthrough") == 0 ||
            (g_strcmp0(mode, "emulate") == 0 && gp_domxml_parse_u64(cur, &n) && n >= bits))
            return;
        /* Recorded as "MODE:BITS" or "MODE". */
        if (!mode || !*mode || !recordable(mode, ":") || !recordable(cur, ""))
            return;
        previous = physaddr_string(el);
    } else {
        if (!cpu) {
            cpu = new_el(root->doc, "cpu");
            insert_child(root, cpu, first_of(root, cpu_followers));
            g_ptr_array_add(rec->created, "cpu");
        }
        el = new_el(root->doc, "maxphysaddr");
        insert_child(cpu, el, first_of(cpu, el_followers));
    }
    set_physaddr(el, value);
    record_change(rec, GP_DOMXML_CHANGE_PHYSBITS, value, previous);
}

/* libvirt gives each hostdev a guest PCI address (<address type='pci'>
 * after <alias>) when the domain is defined.  Assigning again keeps it
 * for a hostdev that keeps its alias and device, so the same assign gives
 * the same definition and the guest sees its GPU at the same place. */
typedef struct {
    char *id;          /* host device */
    xmlNode *address;  /* copy of the guest <address>, or NULL */
} GuestAddress;

static void
guest_address_free(GuestAddress *ga)
{
    g_free(ga->id);
    if (ga->address)
        xmlFreeNode(ga->address);
    g_free(ga);
}

static GHashTable *
collect_guest_addresses(xmlNode *devices)
{
    GHashTable *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)guest_address_free);

    for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        g_autofree char *alias = NULL;
        xmlNode *addr = NULL;
        GuestAddress *ga;

        if (!gp_domxml_is_el(c, "hostdev"))
            continue;
        alias = gp_domxml_hostdev_alias(c);
        if (!alias || !g_str_has_prefix(alias, GP_DOMXML_ALIAS_PREFIX))
            continue;
        for (xmlNode *k = c->children; k; k = k->next)
            if (gp_domxml_is_el(k, "address"))
                addr = k;
        if (!addr)
            continue;
        ga = g_new0(GuestAddress, 1);
        ga->id = gp_domxml_hostdev_address(c);
        if (!ga->id)
            ga->id = gp_domxml_hostdev_uuid(c);
        ga->address = xmlDocCopyNode(addr, c->doc, 1);
        g_hash_table_replace(map, g_steal_pointer(&alias), ga);
    }
    return map;
}

/* A hostdev's source <address> of PCI device A, as libvirt writes it. */
static void
set_pci_address(xmlNode *address, const GpPciAddr *a)
{
    char buf[16];

    g_snprintf(buf, sizeof(buf), "0x%04x", a->domain);
    xmlSetProp(address, (const xmlChar *)"domain", (const xmlChar *)buf);
    g_snprintf(buf, sizeof(buf), "0x%02x", a->bus);
    xmlSetProp(address, (const xmlChar *)"bus", (const xmlChar *)buf);
    g_snprintf(buf, sizeof(buf), "0x%02x", a->slot);
    xmlSetProp(address, (const xmlChar *)"slot", (const xmlChar *)buf);
    g_snprintf(buf, sizeof(buf), "0x%x", a->function);
    xmlSetProp(address, (const xmlChar *)"function", (const xmlChar *)buf);
}

static void
add_hostdev(xmlNode *devices, const GpDomDevice *dev, GHashTable *guest_addresses)
{
    static const char *const followers[] = {
        "redirdev", "redirfilter", "hub", "watchdog", "memballoon", "rng", "panic",
        "shmem", "memory", "iommu", "vsock", "crypto", NULL
    };
    xmlDoc *doc = devices->doc;
    xmlNode *hostdev = new_el(doc, "hostdev");
    xmlNode *source = new_el(doc, "source");
    xmlNode *address = new_el(doc, "address");
    xmlNode *alias = new_el(doc, "alias");

    xmlSetProp(hostdev, (const xmlChar *)"mode", (const xmlChar *)"subsystem");
    if (dev->address) {
        GpPciAddr a;

        /* Checked by the caller. */
        g_assert(gp_pci_addr_parse(dev->address, &a, NULL));
        xmlSetProp(hostdev, (const xmlChar *)"type", (const xmlChar *)"pci");
        /* gpupool keeps pool devices bound to vfio-pci; managed='yes'
         * would make libvirt rebind the host driver at stop. */
        xmlSetProp(hostdev, (const xmlChar *)"managed", (const xmlChar *)"no");
        set_pci_address(address, &a);
    } else {
        /* Attributes in the order libvirt writes them, so that assigning
         * again gives what libvirt stored byte for byte. */
        xmlSetProp(hostdev, (const xmlChar *)"type", (const xmlChar *)"mdev");
        xmlSetProp(hostdev, (const xmlChar *)"managed", (const xmlChar *)"no");
        xmlSetProp(hostdev, (const xmlChar *)"model", (const xmlChar *)"vfio-pci");
        xmlSetProp(address, (const xmlChar *)"uuid", (const xmlChar *)dev->uuid);
    }
    xmlSetProp(alias, (const xmlChar *)"name", (const xmlChar *)dev->alias);
    insert_ordered(devices, hostdev, "hostdev", followers);
    insert_child(hostdev, source, NULL);
    insert_child(source, address, NULL);
    insert_child(hostdev, alias, NULL);
    {
        GuestAddress *ga = g_hash_table_lookup(guest_addresses, dev->alias);
        const char *id = dev->address ? dev->address : dev->uuid;

        if (ga && ga->address && g_strcmp0(ga->id, id) == 0) {
            insert_child(hostdev, ga->address, NULL);
            ga->address = NULL;
        }
    }
}

static gboolean
check_plan(GpDomXml *dom, const GpDomPlan *plan, GError **error)
{
    guint total = 0;

    if (!plan->requests || plan->requests->len == 0 ||
        plan->requests->len > GP_DOMXML_MAX_REQUESTS) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain '%s': a gpupool assignment needs 1 to %d pool requests",
                    dom->name, GP_DOMXML_MAX_REQUESTS);
        return FALSE;
    }
    for (guint i = 0; i < plan->requests->len; i++) {
        GpDomRequest *req = g_ptr_array_index(plan->requests, i);

        if (!gp_pool_name_check(req->pool, error))
            return FALSE;
        if (req->count < 1 || req->count > GP_DOMXML_MAX_COUNT) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "domain '%s': count %u for pool '%s' is not 1..%d", dom->name,
                        req->count, req->pool, GP_DOMXML_MAX_COUNT);
            return FALSE;
        }
        total += req->count;
    }
    if (!plan->devices || plan->devices->len != total || total > GP_DOMXML_MAX_COUNT) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain '%s': %u devices requested but %u chosen", dom->name, total,
                    plan->devices ? plan->devices->len : 0);
        return FALSE;
    }
    for (guint i = 0; i < plan->devices->len; i++) {
        GpDomDevice *dev = g_ptr_array_index(plan->devices, i);

        if ((!dev->address == !dev->uuid) ||
            (dev->address && !gp_pci_addr_parse(dev->address, &(GpPciAddr){ 0 }, error)) ||
            (dev->uuid && !gp_domxml_uuid_check(dev->uuid))) {
            if (error && !*error)
                g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                            "domain '%s': device %u has no valid address or UUID",
                            dom->name, i);
            return FALSE;
        }
    }
    return TRUE;
}

/* libvirt's definition of a domain has a <uuid> and <devices>. */
static gboolean
check_definition(GpDomXml *dom, xmlNode *devices, GError **error)
{
    if (!dom->uuid || !gp_domxml_uuid_check(dom->uuid)) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain '%s' has no valid <uuid>: pass the definition as libvirt "
                    "returns it", dom->name);
        return FALSE;
    }
    if (!devices) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_UNSUPPORTED,
                    "domain '%s' has no <devices>: pass the definition as libvirt returns it",
                    dom->name);
        return FALSE;
    }
    return TRUE;
}

/* Takes away what a previous assign added and returns the PCI controller
 * indexes the domain had before gpupool's hostdevs first came.
 * Controllers libvirt added for our previous hostdevs stay until the new
 * hostdevs have taken back their guest addresses. */
static char *
clear_previous(GpDomXml *dom, xmlNode *devices)
{
    char *before = NULL;
    xmlNode *by_index[256];

    clear_internal(dom, FALSE, &before);
    if (before)
        return before;
    pci_controllers(devices, by_index);
    return format_index_set(by_index);
}

/* The platform as the admin left it (after undoing our changes), when
 * gpupool can size its MMIO window as the plan asks. */
static GpDomAssignment *
platform_of(GpDomXml *dom, const GpDomPlan *plan, GError **error)
{
    g_autoptr(GError) ignored = NULL;
    g_autoptr(GpDomAssignment) platform = gp_domxml_assignment_from_doc(dom->doc, &ignored);

    if (!platform) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID, "%s", ignored->message);
        return NULL;
    }
    if (plan->pcihole64 && platform->machine_kind == GP_DOM_MACHINE_OTHER) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_UNSUPPORTED,
                    "domain '%s' has machine type '%s': gpupool sizes the 64-bit MMIO "
                    "window of x86 q35 and i440fx (pc) machines only; change the machine "
                    "type or use a q35 domain",
                    dom->name, platform->machine ? platform->machine : "(none)");
        return NULL;
    }
    return g_steal_pointer(&platform);
}

/* A new <gpupool:assignment> in the domain's <metadata>, which is created
 * if missing (and then named in CREATED). */
static xmlNode *
new_assignment(xmlNode *root, GPtrArray *created)
{
    gboolean meta_created = FALSE;
    xmlNode *meta = metadata_el(root, TRUE, &meta_created);
    xmlNode *assignment = xmlNewDocNode(root->doc, NULL, (const xmlChar *)"assignment", NULL);
    xmlNs *ns = xmlNewNs(assignment, (const xmlChar *)GP_DOMXML_NS,
                         (const xmlChar *)GP_DOMXML_NS_PREFIX);

    xmlSetNs(assignment, ns);
    insert_child(meta, assignment, NULL);
    if (meta_created)
        g_ptr_array_add(created, "metadata");
    return assignment;
}

static void
write_requests(xmlNode *assignment, const GpDomPlan *plan)
{
    for (guint i = 0; i < plan->requests->len; i++) {
        GpDomRequest *req = g_ptr_array_index(plan->requests, i);
        xmlNode *el = our_child(assignment, assignment->ns, "request");
        g_autofree char *count = g_strdup_printf("%u", req->count);
        g_autofree char *mmio = req->mmio ? g_strdup_printf("%" G_GUINT64_FORMAT, req->mmio)
                                          : g_strdup("auto");

        xmlSetProp(el, (const xmlChar *)"pool", (const xmlChar *)req->pool);
        xmlSetProp(el, (const xmlChar *)"count", (const xmlChar *)count);
        xmlSetProp(el, (const xmlChar *)"mmio", (const xmlChar *)mmio);
        if (req->has_type)
            xmlSetProp(el, (const xmlChar *)"type",
                       (const xmlChar *)gp_pool_type_to_string(req->type));
        if (req->has_type && req->profile)
            xmlSetProp(el, (const xmlChar *)"profile", (const xmlChar *)req->profile);
        insert_child(assignment, el, NULL);
    }
}

/* DEV, the INDEX-th device of the plan, in the metadata: its alias, pool
 * and PCI address (made canonical) or mdev UUID (in lower case). */
static void
write_device(xmlNode *assignment, GpDomDevice *dev, guint index)
{
    xmlNode *el = our_child(assignment, assignment->ns, "device");

    /* Aliases are numbered in plan order. */
    g_free(dev->alias);
    dev->alias = g_strdup_printf(GP_DOMXML_ALIAS_PREFIX "%u", index);
    dev->index = index;
    xmlSetProp(el, (const xmlChar *)"alias", (const xmlChar *)dev->alias);
    xmlSetProp(el, (const xmlChar *)"pool", (const xmlChar *)dev->pool);
    if (dev->address) {
        g_autofree char *canon = gp_pci_addr_canonical(dev->address, NULL);

        g_free(dev->address);
        dev->address = g_steal_pointer(&canon);
        xmlSetProp(el, (const xmlChar *)"address", (const xmlChar *)dev->address);
    } else {
        g_autofree char *lower = g_ascii_strdown(dev->uuid, -1);

        g_free(dev->uuid);
        dev->uuid = g_steal_pointer(&lower);
        xmlSetProp(el, (const xmlChar *)"uuid", (const xmlChar *)dev->uuid);
    }
    insert_child(assignment, el, NULL);
}

/* What the devices need of the domain besides the hostdevs, each change
 * recorded in REC for clear to undo. */
static void
apply_settings(xmlNode *root, const GpDomAssignment *platform, const GpDomPlan *plan,
               Record *rec)
{
    apply_on_crash(root, rec);
    if (plan->pcihole64)
        apply_pcihole64(root, platform->machine_kind, plan->pcihole64, rec);
    if (plan->ovmf_mmio64 && platform->ovmf)
        apply_ovmf_mmio64(root, plan->ovmf_mmio64, rec);
    if (plan->phys_bits)
        apply_physbits(root, plan->phys_bits, rec);
}

/* The elements gpupool created, so that clear takes them away again. */
static void
record_created(Record *rec)
{
    g_autofree char *list = NULL;

    if (!rec->created->len)
        return;
    g_ptr_array_add(rec->created, NULL);
    list = g_strjoinv(" ", (char **)rec->created->pdata);
    record_change(rec, GP_DOMXML_CHANGE_CREATED, list, NULL);
}

gboolean
gp_domxml_apply(GpDomXml *dom, const GpDomPlan *plan, GError **error)
{
    xmlNode *root = xmlDocGetRootElement(dom->doc);
    xmlNode *devices = gp_domxml_child(root, "devices");
    g_autoptr(GpDomAssignment) platform = NULL;
    g_autoptr(GPtrArray) created_names = g_ptr_array_new();
    g_autoptr(GHashTable) guest_addresses = NULL;
    g_autofree char *controllers_before = NULL;
    Record rec;

    if (!check_plan(dom, plan, error) || !check_definition(dom, devices, error))
        return FALSE;
    guest_addresses = collect_guest_addresses(devices);
    controllers_before = clear_previous(dom, devices);
    platform = platform_of(dom, plan, error);
    if (!platform)
        return FALSE;

    rec.assignment = new_assignment(root, created_names);
    rec.created = created_names;
    write_requests(rec.assignment, plan);
    for (guint i = 0; i < plan->devices->len; i++) {
        GpDomDevice *dev = g_ptr_array_index(plan->devices, i);

        write_device(rec.assignment, dev, i);
        add_hostdev(devices, dev, guest_addresses);
    }
    apply_settings(root, platform, plan, &rec);
    record_change(&rec, GP_DOMXML_CHANGE_CONTROLLERS, controllers_before, NULL);
    prune_controllers(devices, controllers_before);
    record_created(&rec);
    return TRUE;
}

/* ---- Rebalance ---------------------------------------------------------- */

gboolean
gp_domxml_repoint(GpDomXml *dom, const char *alias, const char *address,
                  const char *uuid, GError **error)
{
    xmlNode *root = xmlDocGetRootElement(dom->doc);
    g_autoptr(GError) local = NULL;
    xmlNode *meta_el = gp_domxml_metadata_element(root, &local);
    xmlNode *devices = gp_domxml_child(root, "devices");
    xmlNode *entry = NULL;
    xmlNode *hostdev = NULL;
    g_autofree char *canon = NULL;

    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (!address == !uuid || (uuid && !gp_domxml_uuid_check(uuid))) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain '%s': re-pointing %s needs one PCI address or mdev UUID",
                    dom->name, alias);
        return FALSE;
    }
    if (address) {
        canon = gp_pci_addr_canonical(address, error);
        if (!canon)
            return FALSE;
    }
    for (xmlNode *c = meta_el ? meta_el->children : NULL; c; c = c->next) {
        g_autofree char *a = NULL;

        if (!gp_domxml_is_our_el(c, "device"))
            continue;
        a = gp_domxml_prop(c, "alias");
        if (g_strcmp0(a, alias) == 0)
            entry = c;
    }
    for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        g_autofree char *a = NULL;

        if (!gp_domxml_is_el(c, "hostdev"))
            continue;
        a = gp_domxml_hostdev_alias(c);
        if (g_strcmp0(a, alias) == 0)
            hostdev = c;
    }
    if (!entry || !hostdev) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "domain '%s' has no gpupool device %s: run 'gpupool assign %s "
                    "--pool POOL' again", dom->name, alias, dom->name);
        return FALSE;
    }
    {
        g_autofree char *had_address = gp_domxml_prop(entry, "address");
        xmlNode *addr = gp_domxml_child(gp_domxml_child(hostdev, "source"), "address");

        if (!had_address != !canon || !addr) {
            g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                        "domain '%s': device %s cannot change between a PCI device and an "
                        "mdev", dom->name, alias);
            return FALSE;
        }
        if (canon) {
            GpPciAddr a;

            gp_pci_addr_parse(canon, &a, NULL);
            xmlSetProp(entry, (const xmlChar *)"address", (const xmlChar *)canon);
            set_pci_address(addr, &a);
        } else {
            g_autofree char *lower = g_ascii_strdown(uuid, -1);

            xmlSetProp(entry, (const xmlChar *)"uuid", (const xmlChar *)lower);
            xmlSetProp(addr, (const xmlChar *)"uuid", (const xmlChar *)lower);
        }
    }
    return TRUE;
}
