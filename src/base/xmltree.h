/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A read-only XML tree that needs no libxml2: elements with their
 * namespace resolved, attributes, text and comments.
 *
 * libxml2 pulls ICU and the C++ runtime into every program that links
 * it, which measured about 1.4 ms of the hook's start-up, half its
 * budget.  The hook only reads the domain XML at a start or a release,
 * so it reads it into this tree with GLib's GMarkup
 * (gp_xmltree_parse()), and the rest of gpupool, which edits domain
 * XML and validates files against schemas, converts libxml2's documents
 * into the same tree (gp_xmldoc_to_tree()), so that one reader serves
 * both.
 *
 * GMarkup is not a conforming XML parser: it is laxer in places
 * (attribute whitespace, duplicate attributes, names, depth) and knows
 * nothing of namespaces.  gp_xmltree_parse() therefore takes only a
 * subset of XML, the spelling libvirt writes, and for anything outside
 * it says "cannot decide" (GP_XMLTREE_ERROR_UNDECIDED) rather than
 * judging it: the caller then parses with libxml2.  On the subset it
 * gives exactly the tree libxml2 gives (tests/fuzz/fuzz-xmltree.c
 * checks it on every input). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GP_XMLTREE_ERROR gp_xmltree_error_quark()
GQuark gp_xmltree_error_quark(void);

typedef enum {
    /* The input is outside the subset this reader judges: not an
     * error in it, only a reason to ask libxml2. */
    GP_XMLTREE_ERROR_UNDECIDED,
} GpXmlTreeError;

typedef enum {
    GP_XML_NODE_ELEMENT,
    GP_XML_NODE_TEXT,
    GP_XML_NODE_COMMENT,
    GP_XML_NODE_OTHER,     /* processing instructions (libxml2 trees only) */
} GpXmlNodeType;

/* Linked like libxml2's nodes, so that code walking one walks the
 * other alike: for (c = node->children; c; c = c->next). */
typedef struct _GpXmlAttr GpXmlAttr;
struct _GpXmlAttr {
    char *name;            /* local name */
    char *ns;              /* namespace URI; NULL: none */
    char *value;
    GpXmlAttr *next;       /* in document order */
};

typedef struct _GpXmlNode GpXmlNode;
struct _GpXmlNode {
    GpXmlNodeType type;
    char *name;            /* element: local name; else NULL */
    char *ns;              /* element: namespace URI; NULL: none */
    char *text;            /* text and comment: the characters; else NULL */
    gsize text_len;
    GpXmlAttr *attrs;      /* element: the first attribute */
    GpXmlNode *children;   /* element: the first child; adjacent text is one child */
    GpXmlNode *next;
    GpXmlNode *parent;
    guint line;            /* where it starts, for messages; 0: unknown */
    /* Where the next attribute and child go while it is built. */
    GpXmlAttr *last_attr;
    GpXmlNode *last;
};

/* Bounds of the subset: libxml2 refuses documents nested deeper than
 * 256 without XML_PARSE_HUGE, and gpupool never reads names or values
 * anywhere near these. */
#define GP_XMLTREE_MAX_DEPTH 200
#define GP_XMLTREE_MAX_NAME 1000
#define GP_XMLTREE_MAX_VALUE (1024 * 1024)

/* The root element of the LEN bytes at XML (not necessarily
 * NUL-terminated), read as UTF-8, or NULL with
 * GP_XMLTREE_ERROR_UNDECIDED when the input is outside the subset:
 * anything but elements, attributes, text and character or predefined
 * entity references (no XML declaration, DOCTYPE, processing
 * instruction, comment or CDATA section), namespaces declared with a
 * prefix only, ASCII names, attribute values without tabs or line ends
 * and characters XML 1.0 allows. */
GpXmlNode *gp_xmltree_parse(const char *xml, gsize len, GError **error);

void gp_xmltree_free(GpXmlNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpXmlNode, gp_xmltree_free)

/* Building a tree (gp_xmldoc_to_tree()).  A node appended to PARENT is
 * owned by it; text appended after text is merged into it. */
GpXmlNode *gp_xmltree_new_element(const char *name, const char *ns, guint line);
void gp_xmltree_add_attr(GpXmlNode *element, const char *name, const char *ns,
                         const char *value);
void gp_xmltree_append(GpXmlNode *parent, GpXmlNode *child);
void gp_xmltree_append_text(GpXmlNode *parent, GpXmlNodeType type, const char *text,
                            gsize len, guint line);

/* Reading. */

/* Whether NODE is an element named NAME (any, if NULL) in namespace NS
 * (none, if NULL). */
gboolean gp_xmltree_is(const GpXmlNode *node, const char *ns, const char *name);
/* PARENT's first child element NAME in no namespace, or NULL (also when
 * PARENT is NULL). */
GpXmlNode *gp_xmltree_child(const GpXmlNode *parent, const char *name);
/* NODE's attribute NAME in no namespace, or NULL. */
const char *gp_xmltree_attr(const GpXmlNode *node, const char *name);
/* NODE's first attribute NAME in any namespace, as libxml2's
 * xmlGetProp() finds it, or NULL. */
const char *gp_xmltree_attr_any(const GpXmlNode *node, const char *name);
/* Whether NODE is an element named NAME, in any namespace. */
gboolean gp_xmltree_is_named(const GpXmlNode *node, const char *name);
/* The text of NODE and all its descendants, comments left out, as
 * libxml2's xmlNodeGetContent() gives it. */
char *gp_xmltree_text(const GpXmlNode *node);
/* Whether NODE is text of spaces, tabs and line ends only. */
gboolean gp_xmltree_is_blank(const GpXmlNode *node);
/* NODE's first child element, or NULL. */
GpXmlNode *gp_xmltree_first_element(const GpXmlNode *node);

/* Whether A and B are the same tree (names, namespaces, attributes in
 * order, text, comments, line numbers aside). */
gboolean gp_xmltree_equal(const GpXmlNode *a, const GpXmlNode *b);

G_END_DECLS
