/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the XML gpupool accepts from admins and from its own state
 * files: untrusted input parsed without DTDs, entities or network access,
 * bounded in size, and checked against one of our RelaxNG schemas. */
#pragma once

#include <glib.h>
#include <string.h>
#include <libxml/tree.h>

#include "base/xmltree.h"

G_BEGIN_DECLS

/* Larger pool and state files are refused before parsing: none comes
 * near it, and it bounds what a hostile file can make us do. */
#define GP_XMLDOC_MAX_SIZE (1024 * 1024)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* Parses XML of LEN bytes (not necessarily NUL-terminated), refusing
 * more than MAX_SIZE bytes (at most G_MAXINT) and any DTD.  The bytes are
 * UTF-8 whatever the document declares: a UTF-16 or UTF-7 one is refused
 * as malformed, never decoded.  Errors are
 * reported in the caller's domain and code (the caller's "invalid input"
 * error), prefixed with WHAT ("pool definition /etc/gpupool/pools/gpus.xml"). */
xmlDoc *gp_xmldoc_parse(const char *what, const char *xml, gsize len, gsize max_size,
                        GQuark domain, gint code, GError **error);
/* gp_xmldoc_parse() gives a read-only tree (libxml2's XML_PARSE_COMPACT:
 * changing its text may crash); this one gives a tree that may be
 * edited, as the domain XML is. */
xmlDoc *gp_xmldoc_parse_editable(const char *what, const char *xml, gsize len, gsize max_size,
                                 GQuark domain, gint code, GError **error);

/* Whether the LEN bytes at HAY (not necessarily NUL-terminated) contain
 * NEEDLE. */
gboolean gp_xmldoc_contains(const char *hay, gsize len, const char *needle);

/* Validate DOC against SCHEMA ("pool.rng") from gp_paths_schema(); the
 * compiled schema is kept for the life of the process.  The error names
 * WHAT, the line and what the schema expected. */
gboolean gp_xmldoc_validate(xmlDoc *doc, const char *schema, const char *what,
                            GQuark domain, gint code, GError **error);

/* ELEMENT and everything under it as a GpXmlNode tree (base/xmltree.h):
 * what gp_xmltree_parse() gives for the same document, where it reads
 * it.  CDATA sections become text; processing instructions are kept as
 * GP_XML_NODE_OTHER. */
GpXmlNode *gp_xmldoc_to_tree(xmlNode *element);

/* The tree of XML as gp_xmldoc_parse() reads it, or NULL with its error. */
GpXmlNode *gp_xmldoc_parse_tree(const char *what, const char *xml, gsize len, gsize max_size,
                                GQuark domain, gint code, GError **error);

/* What READER makes of a tree, or NULL with an error. */
typedef gpointer (*GpXmlDocReader)(const GpXmlNode *root, gpointer data, GError **error);

/* READER's result for XML read with GMarkup (gp_xmltree_parse()), or,
 * where GMarkup cannot decide or READER refuses, read with libxml2
 * (gp_xmldoc_parse_tree()): a refusal is always in the words of
 * gp_xmldoc_parse() and of READER on libxml2's tree.  Needs no
 * libxml2 unless GMarkup's reading fails, so that a program which
 * brings its own gp_xmldoc_parse_tree() links none. */
gpointer gp_xmldoc_read_with(const char *what, const char *xml, gsize len, gsize max_size,
                             GQuark domain, gint code, GpXmlDocReader reader, gpointer data,
                             GError **error);

/* Reading and writing the attributes of our own formats. */

/* NODE's attribute NAME as a GLib string, or NULL if absent. */
char *gp_xmldoc_prop(xmlNode *node, const char *name);
/* NODE's text content as a GLib string, "" if it has none. */
char *gp_xmldoc_content(xmlNode *node);
/* Whether NODE is an element named NAME. */
gboolean gp_xmldoc_node_is(xmlNode *node, const char *name);
/* Appends " NAME='VALUE'" with VALUE escaped as g_markup_escape_text()
 * does, and tabs and line ends as character references, so that a reader
 * gets VALUE back; nothing if VALUE is NULL. */
void gp_xmldoc_append_attr(GString *out, const char *name, const char *value);
/* Appends " NAME='VALUE'" for a number. */
void gp_xmldoc_append_int_attr(GString *out, const char *name, gint64 value);

/* Reading back a file in the one spelling gpupool writes.
 *
 * The claims and the stored pools are read on every domain start, and a
 * libxml2 tree of a thousand elements costs several times what the hook
 * may spend.  A file as gpupool wrote it (fixed layout, single-quoted
 * attributes in the writer's order, values without references or control
 * characters) is read by this scanner instead, which matches that
 * spelling byte by byte and takes values verbatim, as an XML parser would
 * read them there.  Anything else (a hand-edited or damaged file) makes
 * it fail, and the caller then parses the file with gp_xmldoc_parse(),
 * which reads every well-formed spelling and names what is wrong: the
 * scanner never reports an error, so a file is refused with the same
 * message whichever way it was read. */
typedef struct {
    const char *str;   /* into the scanned bytes, not NUL-terminated; NULL if absent */
    gsize len;
} GpXmlDocSpan;

typedef struct {
    const char *p;
    const char *end;
    gboolean failed;   /* seen something not in the written spelling */
} GpXmlDocScan;

/* Scans the LEN bytes at XML. */
void gp_xmldoc_scan_init(GpXmlDocScan *scan, const char *xml, gsize len);
/* Takes LITERAL if the input goes on with it; FALSE, taking nothing, if
 * not.  Inline, so that the length of a literal and the comparison are
 * worked out by the compiler: the hook scans a thousand lines per call. */
static inline gboolean
gp_xmldoc_scan_skip(GpXmlDocScan *scan, const char *literal)
{
    gsize n = strlen(literal);

    if (scan->failed || (gsize)(scan->end - scan->p) < n || memcmp(scan->p, literal, n) != 0)
        return FALSE;
    scan->p += n;
    return TRUE;
}

/* gp_xmldoc_scan_attr() once " NAME='" is taken. */
gboolean gp_xmldoc_scan_attr_value(GpXmlDocScan *scan, GpXmlDocSpan *value);

/* Takes " NAME='VALUE'" into *VALUE.  FALSE if the input does not go on
 * with " NAME='" (VALUE absent, nothing taken), or if the value is not
 * one the writer puts verbatim (then the scan has failed). */
static inline gboolean
gp_xmldoc_scan_attr(GpXmlDocScan *scan, const char *name, GpXmlDocSpan *value)
{
    gsize n = strlen(name);
    const char *p = scan->p;

    value->str = NULL;
    value->len = 0;
    if (scan->failed || (gsize)(scan->end - p) < n + 3 || p[0] != ' ' ||
        memcmp(p + 1, name, n) != 0 || p[n + 1] != '=' || p[n + 2] != '\'')
        return FALSE;
    scan->p = p + n + 3;
    return gp_xmldoc_scan_attr_value(scan, value);
}
/* Takes the character data up to the next '<' into *TEXT, which may be
 * empty; FALSE (the scan has failed) if it is not verbatim text. */
gboolean gp_xmldoc_scan_text(GpXmlDocScan *scan, GpXmlDocSpan *text);
/* Whether everything was taken and the scan never failed. */
gboolean gp_xmldoc_scan_end(GpXmlDocScan *scan);
/* SPAN as a NUL-terminated string in BUF of SIZE bytes, or NULL if it is
 * absent or does not fit. */
const char *gp_xmldoc_span_str(const GpXmlDocSpan *span, char *buf, gsize size);

G_END_DECLS
