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

GpXmlNode *
gp_xmldoc_parse_tree(const char *what, const char *xml, gsize len, gsize max_size,
                     GQuark domain, gint code, GError **error)
{
    g_autoptr(xmlDoc) doc = gp_xmldoc_parse(what, xml, len, max_size, domain, code, error);

    return doc ? gp_xmldoc_to_tree(xmlDocGetRootElement(doc)) : NULL;
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
