/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "base/xmldoc.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "base/paths.h"

/* The first error libxml2 reports, which is the one worth showing: later
 * ones are usually consequences of it. */
typedef struct {
    char *message;
    int line;
} FirstError;

static void
first_error_cb(void *data, xmlErrorPtr err)
{
    FirstError *first = data;

    if (first->message || !err || err->level < XML_ERR_ERROR)
        return;
    first->message = g_strdup(err->message ? err->message : "unknown error");
    /* Some of libxml2's messages run over two lines ("Input is not proper
     * UTF-8, indicate encoding !\nBytes: ..."); gpupool's errors are one. */
    g_strdelimit(g_strstrip(first->message), "\r\n", ' ');
    first->line = err->line;
    /* Schema errors such as "Error validating datatype string" only make
     * sense with the element they are about. */
    if (err->domain == XML_FROM_RELAXNGV && err->node &&
        ((xmlNode *)err->node)->type == XML_ELEMENT_NODE) {
        xmlNode *node = err->node;
        char *msg = g_strdup_printf("<%s>: %s", (const char *)node->name, first->message);

        g_free(first->message);
        first->message = msg;
        if (first->line <= 0)
            first->line = xmlGetLineNo(node);
    }
}

static char *
first_error_text(FirstError *first)
{
    if (!first->message)
        return g_strdup("not well-formed");
    if (first->line > 0)
        return g_strdup_printf("line %d: %s", first->line, first->message);
    return g_strdup(first->message);
}

gboolean
gp_xmldoc_contains(const char *hay, gsize len, const char *needle)
{
    gsize n = strlen(needle);

    for (const char *p = hay; p && (gsize)(p - hay) + n <= len;
         p = memchr(p + 1, needle[0], len - (gsize)(p + 1 - hay))) {
        if (memcmp(p, needle, n) == 0)
            return TRUE;
    }
    return FALSE;
}

static xmlDoc *
parse(const char *what, const char *xml, gsize len, gsize max_size, int options,
      GQuark domain, gint code, GError **error)
{
    FirstError first = { 0 };
    g_autofree char *text = NULL;
    xmlDoc *doc;

    g_return_val_if_fail(max_size <= G_MAXINT, NULL);
    if (len > max_size) {
        g_set_error(error, domain, code,
                    "%s is %" G_GSIZE_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                    " gpupool accepts: is it the right input?", what, len, max_size);
        return NULL;
    }
    /* Document type declarations are how entity expansion and external
     * entity attacks get in; none of our formats (nor libvirt's domain
     * XML) has one, so refuse the whole class instead of trusting parser
     * options alone. */
    if (gp_xmldoc_contains(xml, len, "<!DOCTYPE") || gp_xmldoc_contains(xml, len, "<!ENTITY")) {
        g_set_error(error, domain, code,
                    "%s contains a DOCTYPE or ENTITY declaration, which gpupool does "
                    "not accept: remove it", what);
        return NULL;
    }

    xmlSetStructuredErrorFunc(&first, first_error_cb);
    /* No XML_PARSE_NOENT (entities stay unexpanded), no XML_PARSE_DTDLOAD,
     * no network.  The bytes are read as UTF-8 whatever a byte order mark
     * or an encoding declaration says: everything gpupool reads is UTF-8
     * (libvirt writes nothing else), and the hook's gate searches the
     * bytes themselves, so a document decoded from UTF-16 or UTF-7 could
     * hide from it what the parser would then see. */
    doc = xmlReadMemory(xml, (int)len, "input.xml", "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                        XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | options);
    xmlSetStructuredErrorFunc(NULL, NULL);

    if (!doc || !xmlDocGetRootElement(doc)) {
        text = first_error_text(&first);
        g_set_error(error, domain, code, "%s is not well-formed XML (%s): fix or recreate it",
                    what, text);
        g_free(first.message);
        if (doc)
            xmlFreeDoc(doc);
        return NULL;
    }
    g_free(first.message);
    if (doc->intSubset || doc->extSubset) {
        g_set_error(error, domain, code,
                    "%s contains a DOCTYPE declaration, which gpupool does not accept: "
                    "remove it", what);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

xmlDoc *
gp_xmldoc_parse(const char *what, const char *xml, gsize len, gsize max_size,
                GQuark domain, gint code, GError **error)
{
    /* Small text kept inside its node: a tenth fewer instructions for
     * the hook's pool and claims files, at the price of a tree that must
     * not be changed. */
    return parse(what, xml, len, max_size, XML_PARSE_COMPACT, domain, code, error);
}

xmlDoc *
gp_xmldoc_parse_editable(const char *what, const char *xml, gsize len, gsize max_size,
                         GQuark domain, gint code, GError **error)
{
    return parse(what, xml, len, max_size, 0, domain, code, error);
}

static void
to_tree_children(GpXmlNode *parent, xmlNode *first)
{
    for (xmlNode *c = first; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
            gp_xmltree_append(parent, gp_xmldoc_to_tree(c));
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            gp_xmltree_append_text(parent, GP_XML_NODE_TEXT, (const char *)c->content,
                                   c->content ? strlen((const char *)c->content) : 0,
                                   (guint)MAX(xmlGetLineNo(c), 0));
            break;
        case XML_COMMENT_NODE:
            gp_xmltree_append_text(parent, GP_XML_NODE_COMMENT, (const char *)c->content,
                                   c->content ? strlen((const char *)c->content) : 0,
                                   (guint)MAX(xmlGetLineNo(c), 0));
            break;
        default:
            gp_xmltree_append_text(parent, GP_XML_NODE_OTHER, "", 0, 0);
            break;
        }
    }
}

GpXmlNode *
gp_xmldoc_to_tree(xmlNode *element)
{
    GpXmlNode *node = gp_xmltree_new_element((const char *)element->name,
                                             element->ns ? (const char *)element->ns->href
                                                         : NULL,
                                             (guint)MAX(xmlGetLineNo(element), 0));

    for (xmlAttr *a = element->properties; a; a = a->next) {
        xmlChar *value = xmlNodeGetContent((xmlNode *)a);

        gp_xmltree_add_attr(node, (const char *)a->name,
                            a->ns ? (const char *)a->ns->href : NULL,
                            value ? (const char *)value : "");
        xmlFree(value);
    }
    to_tree_children(node, element->children);
    return node;
}

/* Compiled schemas by path.  gpupool is single-threaded; the CLI and the
 * hook are short-lived, so this lives as long as the process. */
static GHashTable *schema_cache;

static xmlRelaxNGPtr
load_schema(const char *name, GError **error, GQuark domain, gint code)
{
    g_autofree char *path = gp_paths_schema(name);
    FirstError first = { 0 };
    xmlRelaxNGParserCtxtPtr pctxt;
    xmlRelaxNGPtr schema;

    if (!schema_cache)
        schema_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify)xmlRelaxNGFree);
    schema = g_hash_table_lookup(schema_cache, path);
    if (schema)
        return schema;

    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, domain, code,
                    "schema %s is missing: reinstall gpupool or point GPUPOOL_SCHEMADIR "
                    "at the directory holding %s", path, name);
        return NULL;
    }
    pctxt = xmlRelaxNGNewParserCtxt(path);
    xmlRelaxNGSetParserStructuredErrors(pctxt, first_error_cb, &first);
    schema = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    if (!schema) {
        g_autofree char *text = first_error_text(&first);

        g_set_error(error, domain, code,
                    "schema %s cannot be loaded (%s): reinstall gpupool", path, text);
        g_free(first.message);
        return NULL;
    }
    g_free(first.message);
    g_hash_table_insert(schema_cache, g_steal_pointer(&path), schema);
    return schema;
}

gboolean
gp_xmldoc_validate(xmlDoc *doc, const char *schema_name, const char *what,
                   GQuark domain, gint code, GError **error)
{
    FirstError first = { 0 };
    xmlRelaxNGValidCtxtPtr vctxt;
    xmlRelaxNGPtr schema;
    int rc;

    schema = load_schema(schema_name, error, domain, code);
    if (!schema)
        return FALSE;
    vctxt = xmlRelaxNGNewValidCtxt(schema);
    xmlRelaxNGSetValidStructuredErrors(vctxt, first_error_cb, &first);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    if (rc != 0) {
        g_autofree char *text = first_error_text(&first);

        g_set_error(error, domain, code, "%s does not match the schema %s (%s): fix it",
                    what, schema_name, text);
        g_free(first.message);
        return FALSE;
    }
    g_free(first.message);
    return TRUE;
}

char *
gp_xmldoc_prop(xmlNode *node, const char *name)
{
    xmlAttr *attr = xmlHasProp(node, (const xmlChar *)name);
    xmlChar *v;
    char *s;

    if (!attr)
        return NULL;
    /* The usual attribute is one text node: copy it once, not twice. */
    if (attr->children && !attr->children->next && attr->children->type == XML_TEXT_NODE)
        return g_strdup((const char *)attr->children->content);
    v = xmlGetProp(node, (const xmlChar *)name);
    s = g_strdup(v ? (const char *)v : "");
    xmlFree(v);
    return s;
}

char *
gp_xmldoc_content(xmlNode *node)
{
    xmlChar *v = xmlNodeGetContent(node);
    char *s = g_strdup(v ? (const char *)v : "");

    xmlFree(v);
    return s;
}

gboolean
gp_xmldoc_node_is(xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

/* The length of VALUE if it is printable ASCII without markup characters,
 * which g_markup_escape_text() would return unchanged: nearly every value
 * we write (addresses, UUIDs, names), saving an allocation per attribute
 * on the hook's path; -1 otherwise. */
static gssize
verbatim_length(const char *value)
{
    const char *c;

    for (c = value; *c; c++) {
        /* Nearly every byte: printable ASCII above '\'' and '&', not '<' or '>'. */
        if (*c > '\'' && *c < 0x7f && *c != '<' && *c != '>')
            continue;
        switch (*c) {
        case '&': case '<': case '>': case '\'': case '"':
            return -1;
        default:
            if (*c < 0x20 || *c > 0x7e)
                return -1;
        }
    }
    return c - value;
}

/* Appends " NAME='VALUE'" for the LEN bytes of an escaped VALUE, growing
 * OUT once rather than once a piece: the hook writes every claim on each
 * call. */
static void
append_attr_len(GString *out, const char *name, const char *value, gsize len)
{
    gsize name_len = strlen(name);
    gsize at = out->len;
    char *p;

    g_string_set_size(out, at + name_len + len + 4);
    p = out->str + at;
    *p++ = ' ';
    memcpy(p, name, name_len);
    p += name_len;
    *p++ = '=';
    *p++ = '\'';
    memcpy(p, value, len);
    p += len;
    *p = '\'';
}

/* VALUE escaped as g_markup_escape_text() does, and tabs and line ends
 * as character references: g_markup_escape_text() leaves those as they
 * are, which a reader turns into spaces in an attribute value. */
static char *
escape_attr_value(const char *value)
{
    g_autofree char *esc = g_markup_escape_text(value, -1);
    GString *out;

    if (!strpbrk(esc, "\t\n\r"))
        return g_steal_pointer(&esc);
    out = g_string_sized_new(strlen(esc) + 16);
    for (const char *c = esc; *c; c++) {
        if (*c == '\t')
            g_string_append(out, "&#9;");
        else if (*c == '\n')
            g_string_append(out, "&#10;");
        else if (*c == '\r')
            g_string_append(out, "&#13;");
        else
            g_string_append_c(out, *c);
    }
    return g_string_free(out, FALSE);
}

void
gp_xmldoc_append_attr(GString *out, const char *name, const char *value)
{
    g_autofree char *esc = NULL;
    gssize len;

    if (!value)
        return;
    len = verbatim_length(value);
    if (len < 0) {
        esc = escape_attr_value(value);
        value = esc;
        len = strlen(esc);
    }
    append_attr_len(out, name, value, len);
}

void
gp_xmldoc_append_int_attr(GString *out, const char *name, gint64 value)
{
    char digits[24];
    char *d = digits + sizeof(digits);
    guint64 v = value < 0 ? -(guint64)value : (guint64)value;

    /* By hand: printf costs more than the rest of a claim's line. */
    do {
        *--d = '0' + v % 10;
        v /= 10;
    } while (v);
    if (value < 0)
        *--d = '-';
    append_attr_len(out, name, d, digits + sizeof(digits) - d);
}

/* ---- Reading back the written spelling ---------------------------------- */

void
gp_xmldoc_scan_init(GpXmlDocScan *scan, const char *xml, gsize len)
{
    scan->p = xml;
    scan->end = xml + len;
    scan->failed = FALSE;
}

gboolean
gp_xmldoc_scan_skip(GpXmlDocScan *scan, const char *literal)
{
    gsize n = strlen(literal);

    if (scan->failed || (gsize)(scan->end - scan->p) < n || memcmp(scan->p, literal, n) != 0)
        return FALSE;
    scan->p += n;
    return TRUE;
}

/* verbatim_until() from P on, where a byte other than printable ASCII
 * is: kept out of line, so that the loop over the usual bytes needs no
 * registers saved. */
static G_GNUC_NO_INLINE const char *
verbatim_until_slow(const char *p, const char *end, char stop)
{
    while (p < end) {
        guchar c = (guchar)*p;
        gunichar u;

        if (c == (guchar)stop)
            return p;
        if (c == '&' || c == '<' || c < 0x20)
            return NULL;
        if (c < 0x80) {
            p++;
            continue;
        }
        u = g_utf8_get_char_validated(p, end - p);
        if (u == (gunichar)-1 || u == (gunichar)-2 || u == 0xfffe || u == 0xffff)
            return NULL;
        p = g_utf8_next_char(p);
    }
    return NULL;
}

/* Where the character data from P ends at STOP ('\'' for an attribute
 * value, '<' for text), or NULL if it is not verbatim: a reference
 * ('&'), a '<', a control character (the writer escapes those, and a
 * parser would normalise or refuse them), or bytes that are not UTF-8 of
 * XML characters (libxml2 refuses U+FFFE and U+FFFF, which GLib's
 * validation lets through). */
static inline const char *
verbatim_until(const char *p, const char *end, char stop)
{
    for (; p < end; p++) {
        guchar c = (guchar)*p;

        /* Nearly every byte: printable ASCII above '\'' and '&', not '<'. */
        if (c > '\'' && c < 0x80 && c != '<')
            continue;
        if (c == (guchar)stop)
            return p;
        return verbatim_until_slow(p, end, stop);
    }
    return NULL;
}

gboolean
gp_xmldoc_scan_attr(GpXmlDocScan *scan, const char *name, GpXmlDocSpan *value)
{
    gsize n = strlen(name);
    const char *p = scan->p;
    const char *stop;

    value->str = NULL;
    value->len = 0;
    if (scan->failed || (gsize)(scan->end - p) < n + 3 || p[0] != ' ' ||
        memcmp(p + 1, name, n) != 0 || p[n + 1] != '=' || p[n + 2] != '\'')
        return FALSE;
    p += n + 3;
    stop = verbatim_until(p, scan->end, '\'');
    if (!stop) {
        scan->failed = TRUE;
        return FALSE;
    }
    value->str = p;
    value->len = stop - p;
    scan->p = stop + 1;
    return TRUE;
}

gboolean
gp_xmldoc_scan_text(GpXmlDocScan *scan, GpXmlDocSpan *text)
{
    const char *stop = scan->failed ? NULL : verbatim_until(scan->p, scan->end, '<');

    text->str = NULL;
    text->len = 0;
    /* "]]>" may not appear in character data. */
    if (!stop || gp_xmldoc_contains(scan->p, stop - scan->p, "]]>")) {
        scan->failed = TRUE;
        return FALSE;
    }
    text->str = scan->p;
    text->len = stop - scan->p;
    scan->p = stop;
    return TRUE;
}

gboolean
gp_xmldoc_scan_end(GpXmlDocScan *scan)
{
    return !scan->failed && scan->p == scan->end;
}

const char *
gp_xmldoc_span_str(const GpXmlDocSpan *span, char *buf, gsize size)
{
    if (!span->str || span->len >= size)
        return NULL;
    memcpy(buf, span->str, span->len);
    buf[span->len] = '\0';
    return buf;
}
