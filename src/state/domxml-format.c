/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing a domain definition back the way libvirt writes it, so that a
 * document gpupool did not change comes back byte for byte and a change
 * shows as exactly the lines gpupool added.
 *
 * libvirt formats its own elements with single-quoted attributes and
 * escapes < > & ' " in text and attributes alike (virBufferEscapeString);
 * the contents of <metadata> belong to applications and libvirt prints
 * them with libxml2's serializer (double quotes).  libxml2's serializer
 * alone would turn every ' into ", so the domain's own elements are
 * written here. */
#include "config.h"

#include "state/domxml-priv.h"

#include <string.h>

#include <libxml/xmlsave.h>

static void
escape(GString *out, const xmlChar *text)
{
    for (const xmlChar *p = text; p && *p; p++) {
        switch (*p) {
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '&': g_string_append(out, "&amp;"); break;
        case '\'': g_string_append(out, "&apos;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        default: g_string_append_c(out, (char)*p); break;
        }
    }
}

static void
qname(GString *out, const xmlChar *prefix, const xmlChar *name)
{
    if (prefix) {
        g_string_append(out, (const char *)prefix);
        g_string_append_c(out, ':');
    }
    g_string_append(out, (const char *)name);
}

/* An application's element inside <metadata>, as libvirt prints it. */
static void
format_foreign(GString *out, xmlNode *node)
{
    xmlBuffer *buf = xmlBufferCreate();

    xmlNodeDump(buf, node->doc, node, 0, 0);
    g_string_append_len(out, (const char *)xmlBufferContent(buf), xmlBufferLength(buf));
    xmlBufferFree(buf);
}

static void format_node(GString *out, xmlNode *node, gboolean in_metadata);

static void
format_element(GString *out, xmlNode *el)
{
    gboolean is_metadata = gp_domxml_is_el(el, "metadata") &&
                           el->parent == xmlDocGetRootElement(el->doc);

    g_string_append_c(out, '<');
    qname(out, el->ns ? el->ns->prefix : NULL, el->name);
    for (xmlAttr *attr = el->properties; attr; attr = attr->next) {
        /* In-line: the raw value, escaped below libvirt's way. */
        xmlChar *value = xmlNodeListGetString(el->doc, attr->children, 1);

        g_string_append_c(out, ' ');
        qname(out, attr->ns ? attr->ns->prefix : NULL, attr->name);
        g_string_append(out, "='");
        escape(out, value);
        xmlFree(value);
        g_string_append_c(out, '\'');
    }
    /* libvirt prints namespace declarations after the attributes
     * (<domain type='kvm' xmlns:qemu='...'>). */
    for (xmlNs *ns = el->nsDef; ns; ns = ns->next) {
        g_string_append(out, " xmlns");
        if (ns->prefix) {
            g_string_append_c(out, ':');
            g_string_append(out, (const char *)ns->prefix);
        }
        g_string_append(out, "='");
        escape(out, ns->href);
        g_string_append_c(out, '\'');
    }
    if (!el->children) {
        g_string_append(out, "/>");
        return;
    }
    g_string_append_c(out, '>');
    for (xmlNode *c = el->children; c; c = c->next)
        format_node(out, c, is_metadata);
    g_string_append(out, "</");
    qname(out, el->ns ? el->ns->prefix : NULL, el->name);
    g_string_append_c(out, '>');
}

static void
format_node(GString *out, xmlNode *node, gboolean in_metadata)
{
    switch (node->type) {
    case XML_ELEMENT_NODE:
        if (in_metadata)
            format_foreign(out, node);
        else
            format_element(out, node);
        break;
    case XML_TEXT_NODE:
        escape(out, node->content);
        break;
    case XML_COMMENT_NODE:
        g_string_append(out, "<!--");
        g_string_append(out, (const char *)node->content);
        g_string_append(out, "-->");
        break;
    case XML_PI_NODE:
        g_string_append(out, "<?");
        g_string_append(out, (const char *)node->name);
        if (node->content && *node->content) {
            g_string_append_c(out, ' ');
            g_string_append(out, (const char *)node->content);
        }
        g_string_append(out, "?>");
        break;
    default:
        /* Entity references cannot occur: documents with a DTD are
         * refused and predefined entities are substituted. */
        break;
    }
}

char *
gp_domxml_format_doc(xmlDoc *doc, const char *prolog, const char *epilog)
{
    GString *out = g_string_new(prolog);

    format_element(out, xmlDocGetRootElement(doc));
    g_string_append(out, epilog);
    return g_string_free(out, FALSE);
}
