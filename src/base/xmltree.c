/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "base/xmltree.h"

#include <string.h>

G_DEFINE_QUARK(gp-xmltree-error-quark, gp_xmltree_error)

/* Namespace prefixes in scope at once, and attributes on one element:
 * libvirt's domains have a handful of each, and bounding them bounds
 * the lookups a hostile document can make us do. */
#define MAX_SCOPED_PREFIXES 32
#define MAX_ATTRS 64

/* NODE and its following siblings. */
static void
free_siblings(GpXmlNode *node)
{
    while (node) {
        GpXmlNode *next = node->next;

        while (node->attrs) {
            GpXmlAttr *attr = node->attrs;

            node->attrs = attr->next;
            g_free(attr->name);
            g_free(attr->ns);
            g_free(attr->value);
            g_free(attr);
        }
        free_siblings(node->children);
        g_free(node->name);
        g_free(node->ns);
        g_free(node->text);
        g_free(node);
        node = next;
    }
}

void
gp_xmltree_free(GpXmlNode *node)
{
    if (!node)
        return;
    /* Only a root or a node never appended is freed on its own. */
    node->next = NULL;
    free_siblings(node);
}

GpXmlNode *
gp_xmltree_new_element(const char *name, const char *ns, guint line)
{
    GpXmlNode *node = g_new0(GpXmlNode, 1);

    node->type = GP_XML_NODE_ELEMENT;
    node->name = g_strdup(name);
    node->ns = g_strdup(ns);
    node->line = line;
    return node;
}

void
gp_xmltree_add_attr(GpXmlNode *element, const char *name, const char *ns, const char *value)
{
    GpXmlAttr *attr = g_new0(GpXmlAttr, 1);

    attr->name = g_strdup(name);
    attr->ns = g_strdup(ns);
    attr->value = g_strdup(value);
    if (element->last_attr)
        element->last_attr->next = attr;
    else
        element->attrs = attr;
    element->last_attr = attr;
}

void
gp_xmltree_append(GpXmlNode *parent, GpXmlNode *child)
{
    child->parent = parent;
    if (parent->last)
        parent->last->next = child;
    else
        parent->children = child;
    parent->last = child;
}

void
gp_xmltree_append_text(GpXmlNode *parent, GpXmlNodeType type, const char *text, gsize len,
                       guint line)
{
    GpXmlNode *last = parent->last;
    GpXmlNode *node;

    /* libxml2 keeps adjacent character data in one node whatever
     * references split it: so does this tree, whichever parser built it. */
    if (type == GP_XML_NODE_TEXT && last && last->type == GP_XML_NODE_TEXT) {
        last->text = g_realloc(last->text, last->text_len + len + 1);
        memcpy(last->text + last->text_len, text, len);
        last->text_len += len;
        last->text[last->text_len] = '\0';
        return;
    }
    node = g_new0(GpXmlNode, 1);
    node->type = type;
    node->text = g_strndup(text, len);
    node->text_len = len;
    node->line = line;
    gp_xmltree_append(parent, node);
}

/* ---- Reading with GMarkup ----------------------------------------------- */

typedef struct {
    char *prefix;
    char *uri;
    guint depth;
} Scope;

typedef struct {
    GMarkupParseContext *ctx;
    GpXmlNode *root;
    GpXmlNode *cur;
    guint depth;
    gboolean root_closed;
    GArray *scopes;   /* Scope, innermost last */
} Build;

static gboolean
undecided(GError **error, const char *why)
{
    g_set_error(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED, "%s", why);
    return FALSE;
}

/* A character XML 1.0 allows (its production Char). */
static gboolean
is_xml_char(gunichar c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* Character data GMarkup decoded (valid UTF-8): every character one XML
 * allows, whether written or referenced.  In an attribute value also no
 * tab or line end: libxml2 turns written ones into spaces and keeps
 * referenced ones; GLib 2.74's GMarkup does the same, older ones kept
 * both, and the decoded value no longer tells which it was. */
static gboolean
check_chars(const char *text, gsize len, gboolean attribute)
{
    const char *end = text + len;

    for (const char *p = text; p < end; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (!is_xml_char(c))
            return FALSE;
        if (attribute && (c == '\t' || c == '\n' || c == '\r'))
            return FALSE;
    }
    return TRUE;
}

/* An ASCII name libxml2 reads as GMarkup does: NCName characters, at
 * most one colon, which then parts two non-empty NCNames.  *COLON is
 * where it is, or NULL. */
static gboolean
check_qname(const char *name, const char **colon)
{
    gsize len = strlen(name);
    gboolean start = TRUE;

    *colon = NULL;
    if (len == 0 || len > GP_XMLTREE_MAX_NAME)
        return FALSE;
    for (const char *p = name; *p; p++) {
        guchar c = (guchar)*p;

        if (c == ':') {
            if (*colon || start)
                return FALSE;
            *colon = p;
            start = TRUE;
            continue;
        }
        if (start ? !(g_ascii_isalpha(c) || c == '_')
                  : !(g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.'))
            return FALSE;
        start = FALSE;
    }
    return !start;
}

static const char *
scope_lookup(Build *b, const char *prefix, gsize len)
{
    for (guint i = b->scopes->len; i-- > 0;) {
        Scope *s = &g_array_index(b->scopes, Scope, i);

        if (strlen(s->prefix) == len && strncmp(s->prefix, prefix, len) == 0)
            return s->uri;
    }
    return NULL;
}

/* The namespace URI of the prefix of QNAME (the part before COLON), or
 * NULL when undeclared or reserved ("xml"). */
static const char *
resolve(Build *b, const char *qname, const char *colon)
{
    gsize len = colon - qname;

    if (len == 3 && strncmp(qname, "xml", 3) == 0)
        return NULL;
    return scope_lookup(b, qname, len);
}

static void
on_start(GMarkupParseContext *ctx, const char *element, const char **names,
         const char **values, gpointer data, GError **error)
{
    Build *b = data;
    g_autoptr(GpXmlNode) node = NULL;
    const char *colon;
    const char *ns = NULL;
    guint n = g_strv_length((char **)names);
    gint line = 0;

    if (b->root_closed) {
        undecided(error, "a second root element");
        return;
    }
    if (b->depth + 1 > GP_XMLTREE_MAX_DEPTH) {
        undecided(error, "elements nested too deep");
        return;
    }
    if (n > MAX_ATTRS) {
        undecided(error, "too many attributes on one element");
        return;
    }
    b->depth++;
    /* Namespace declarations first: they apply to the element that
     * holds them and to its attributes. */
    for (guint i = 0; i < n; i++) {
        Scope s;

        if (!check_qname(names[i], &colon)) {
            undecided(error, "an attribute name outside the ASCII names libvirt writes");
            return;
        }
        if (!check_chars(values[i], strlen(values[i]), TRUE) ||
            strlen(values[i]) > GP_XMLTREE_MAX_VALUE) {
            undecided(error, "an attribute value with a tab, a line end or a character XML "
                      "does not allow");
            return;
        }
        for (guint j = 0; j < i; j++) {
            if (strcmp(names[i], names[j]) == 0) {
                undecided(error, "an attribute given twice");
                return;
            }
        }
        if (strcmp(names[i], "xmlns") == 0) {
            undecided(error, "a default namespace");
            return;
        }
        if (!colon || colon - names[i] != 5 || strncmp(names[i], "xmlns", 5) != 0)
            continue;
        /* libxml2 keeps an '&' of a namespace name as the reference
         * "&#38;", where GMarkup gives the character. */
        if (strcmp(colon + 1, "xml") == 0 || strcmp(colon + 1, "xmlns") == 0 ||
            !*values[i] || strcmp(values[i], "http://www.w3.org/XML/1998/namespace") == 0 ||
            strcmp(values[i], "http://www.w3.org/2000/xmlns/") == 0 || strchr(values[i], '&')) {
            undecided(error, "a reserved or empty namespace declaration, or one with an '&'");
            return;
        }
        if (b->scopes->len >= MAX_SCOPED_PREFIXES) {
            undecided(error, "too many namespace prefixes in scope");
            return;
        }
        s.prefix = g_strdup(colon + 1);
        s.uri = g_strdup(values[i]);
        s.depth = b->depth;
        g_array_append_val(b->scopes, s);
    }

    if (!check_qname(element, &colon)) {
        undecided(error, "an element name outside the ASCII names libvirt writes");
        return;
    }
    if (colon && !(ns = resolve(b, element, colon))) {
        undecided(error, "an element prefix that is not declared");
        return;
    }
    g_markup_parse_context_get_position(ctx, &line, NULL);
    node = gp_xmltree_new_element(colon ? colon + 1 : element, ns, (guint)MAX(line, 0));

    for (guint i = 0; i < n; i++) {
        const char *attr_ns = NULL;

        check_qname(names[i], &colon);
        if (colon && colon - names[i] == 5 && strncmp(names[i], "xmlns", 5) == 0)
            continue;
        if (colon && !(attr_ns = resolve(b, names[i], colon))) {
            undecided(error, "an attribute prefix that is not declared");
            return;
        }
        if (attr_ns) {
            /* Two prefixes of one namespace name the same attribute. */
            for (GpXmlAttr *other = node->attrs; other; other = other->next) {
                if (g_strcmp0(other->ns, attr_ns) == 0 && strcmp(other->name, colon + 1) == 0) {
                    undecided(error, "an attribute given twice");
                    return;
                }
            }
        }
        gp_xmltree_add_attr(node, colon ? colon + 1 : names[i], attr_ns, values[i]);
    }

    if (b->cur) {
        GpXmlNode *el = g_steal_pointer(&node);

        gp_xmltree_append(b->cur, el);
        b->cur = el;
    } else {
        b->root = g_steal_pointer(&node);
        b->cur = b->root;
    }
}

static void
on_end(GMarkupParseContext *ctx, const char *element, gpointer data, GError **error)
{
    Build *b = data;

    while (b->scopes->len > 0 &&
           g_array_index(b->scopes, Scope, b->scopes->len - 1).depth == b->depth)
        g_array_set_size(b->scopes, b->scopes->len - 1);
    b->depth--;
    b->cur = b->cur->parent;
    if (b->depth == 0)
        b->root_closed = TRUE;
}

static void
on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **error)
{
    Build *b = data;
    GpXmlNode *last;
    gint line = 0;

    if (len == 0)
        return;
    if (!b->cur) {
        /* Between the prolog and the root, or after it: only the
         * whitespace XML allows there, which no tree keeps. */
        for (gsize i = 0; i < len; i++) {
            if (!strchr(" \t\n", text[i])) {
                undecided(error, "text outside the root element");
                return;
            }
        }
        return;
    }
    if (!check_chars(text, len, FALSE)) {
        undecided(error, "text with a character XML does not allow");
        return;
    }
    last = b->cur->last;
    if (len > GP_XMLTREE_MAX_VALUE ||
        (last && last->type == GP_XML_NODE_TEXT && last->text_len + len > GP_XMLTREE_MAX_VALUE)) {
        undecided(error, "a text longer than gpupool reads");
        return;
    }
    g_markup_parse_context_get_position(ctx, &line, NULL);
    gp_xmltree_append_text(b->cur, GP_XML_NODE_TEXT, text, len, (guint)MAX(line, 0));
}

static void
on_passthrough(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
               GError **error)
{
    undecided(error, "a comment, CDATA section, declaration or processing instruction");
}

static void
scope_clear(gpointer data)
{
    Scope *s = data;

    g_free(s->prefix);
    g_free(s->uri);
}

/* What GMarkup reads otherwise than libxml2 before a single callback
 * could see it: line ends (libxml2 turns CR LF into LF), control
 * characters, the "]]>" libxml2 refuses in text, any "<!" or "<?"
 * (GMarkup lets a DOCTYPE after the root element pass unseen),
 * character references with spaces or signs in them, and what
 * GMarkup takes in a tag: attributes not parted by whitespace (b='1'c='2') and
 * a '<' in an attribute value.  The scan
 * follows tags and quoted values only as far as that needs: anything
 * it misreads is malformed, and GMarkup refuses it. */
/* Whether the LEN bytes at P begin with "&#" digits ";" or "&#x" hex
 * digits ";", all XML allows; GMarkup also takes spaces and signs
 * before the digits. */
static gboolean
is_char_ref(const char *p, gsize len)
{
    gboolean hex = len > 2 && p[2] == 'x';
    gsize i = hex ? 3 : 2;
    gsize start = i;

    while (i < len && (hex ? g_ascii_isxdigit(p[i]) : g_ascii_isdigit(p[i])))
        i++;
    return i > start && i < len && p[i] == ';';
}

static gboolean
check_bytes(const char *xml, gsize len, GError **error)
{
    enum { TEXT, TAG, VALUE, AFTER_VALUE } state = TEXT;
    char quote = 0;

    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar)xml[i];

        if (c < 0x20 && c != '\t' && c != '\n')
            return undecided(error, "a carriage return, NUL or control character");
        if (c == '&' && i + 1 < len && xml[i + 1] == '#' && !is_char_ref(xml + i, len - i))
            return undecided(error, "a character reference not spelled as XML spells it");
        switch (state) {
        case TEXT:
            if (c == '<' && i + 1 < len && (xml[i + 1] == '!' || xml[i + 1] == '?'))
                return undecided(error, "a comment, CDATA section, declaration or "
                                 "processing instruction");
            if (c == '<')
                state = TAG;
            else if (c == ']' && i + 2 < len && xml[i + 1] == ']' && xml[i + 2] == '>')
                return undecided(error, "the sequence ']]>'");
            break;
        case AFTER_VALUE:
            if (!strchr(" \t\n/>", c))
                return undecided(error, "attributes not parted by whitespace");
            state = TAG;
            G_GNUC_FALLTHROUGH;
        case TAG:
            if (c == '\'' || c == '"') {
                quote = (char)c;
                state = VALUE;
            } else if (c == '>') {
                state = TEXT;
            }
            break;
        case VALUE:
            if (c == (guchar)quote)
                state = AFTER_VALUE;
            else if (c == '<')
                return undecided(error, "a '<' in an attribute value");
            break;
        }
    }
    return TRUE;
}

GpXmlNode *
gp_xmltree_parse(const char *xml, gsize len, GError **error)
{
    static const GMarkupParser parser = {
        .start_element = on_start,
        .end_element = on_end,
        .text = on_text,
        .passthrough = on_passthrough,
    };
    Build b = { 0 };
    GpXmlNode *root = NULL;
    GError *local = NULL;

    if (!xml || len > G_MAXSSIZE) {
        undecided(error, "no input");
        return NULL;
    }
    if (!check_bytes(xml, len, error))
        return NULL;
    b.scopes = g_array_new(FALSE, FALSE, sizeof(Scope));
    g_array_set_clear_func(b.scopes, scope_clear);
    b.ctx = g_markup_parse_context_new(&parser, 0, &b, NULL);
    if (g_markup_parse_context_parse(b.ctx, xml, (gssize)len, &local) &&
        g_markup_parse_context_end_parse(b.ctx, &local) && b.root) {
        root = g_steal_pointer(&b.root);
    } else if (local && local->domain == GP_XMLTREE_ERROR) {
        g_propagate_error(error, g_steal_pointer(&local));
    } else {
        /* Malformed for GMarkup: libxml2 says how, in its words. */
        g_set_error(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED,
                    "not read by GMarkup: %s", local ? local->message : "no root element");
    }
    g_clear_error(&local);
    g_markup_parse_context_free(b.ctx);
    g_array_unref(b.scopes);
    gp_xmltree_free(b.root);
    return root;
}

/* ---- Reading the tree --------------------------------------------------- */

gboolean
gp_xmltree_is(const GpXmlNode *node, const char *ns, const char *name)
{
    return node && node->type == GP_XML_NODE_ELEMENT && g_strcmp0(node->ns, ns) == 0 &&
           (!name || strcmp(node->name, name) == 0);
}

GpXmlNode *
gp_xmltree_child(const GpXmlNode *parent, const char *name)
{
    for (GpXmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (gp_xmltree_is(c, NULL, name))
            return c;
    return NULL;
}

GpXmlNode *
gp_xmltree_first_element(const GpXmlNode *node)
{
    for (GpXmlNode *c = node ? node->children : NULL; c; c = c->next)
        if (c->type == GP_XML_NODE_ELEMENT)
            return c;
    return NULL;
}

const char *
gp_xmltree_attr(const GpXmlNode *node, const char *name)
{
    for (GpXmlAttr *attr = node ? node->attrs : NULL; attr; attr = attr->next)
        if (!attr->ns && strcmp(attr->name, name) == 0)
            return attr->value;
    return NULL;
}

const char *
gp_xmltree_attr_any(const GpXmlNode *node, const char *name)
{
    for (GpXmlAttr *attr = node ? node->attrs : NULL; attr; attr = attr->next)
        if (strcmp(attr->name, name) == 0)
            return attr->value;
    return NULL;
}

gboolean
gp_xmltree_is_named(const GpXmlNode *node, const char *name)
{
    return node && node->type == GP_XML_NODE_ELEMENT && strcmp(node->name, name) == 0;
}

static void
append_text(GString *out, const GpXmlNode *node)
{
    if (node->type == GP_XML_NODE_TEXT) {
        g_string_append_len(out, node->text, node->text_len);
        return;
    }
    for (const GpXmlNode *c = node->children; c; c = c->next)
        append_text(out, c);
}

char *
gp_xmltree_text(const GpXmlNode *node)
{
    GString *out = g_string_new(NULL);

    if (node)
        append_text(out, node);
    return g_string_free(out, FALSE);
}

gboolean
gp_xmltree_is_blank(const GpXmlNode *node)
{
    if (!node || node->type != GP_XML_NODE_TEXT)
        return FALSE;
    return strspn(node->text, " \t\n\r") == node->text_len;
}

gboolean
gp_xmltree_equal(const GpXmlNode *a, const GpXmlNode *b)
{
    const GpXmlAttr *x, *y;
    const GpXmlNode *c, *d;

    if (!a || !b)
        return a == b;
    if (a->type != b->type || g_strcmp0(a->name, b->name) != 0 ||
        g_strcmp0(a->ns, b->ns) != 0 || a->text_len != b->text_len ||
        (a->text_len > 0 && memcmp(a->text, b->text, a->text_len) != 0))
        return FALSE;
    for (x = a->attrs, y = b->attrs; x && y; x = x->next, y = y->next) {
        if (strcmp(x->name, y->name) != 0 || g_strcmp0(x->ns, y->ns) != 0 ||
            strcmp(x->value, y->value) != 0)
            return FALSE;
    }
    if (x || y)
        return FALSE;
    for (c = a->children, d = b->children; c && d; c = c->next, d = d->next)
        if (!gp_xmltree_equal(c, d))
            return FALSE;
    return !c && !d;
}
