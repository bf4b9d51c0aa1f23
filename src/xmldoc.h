/* Reading the XML gpupool accepts from admins and from its own state
 * files: untrusted input parsed without DTDs, entities or network access,
 * bounded in size, and checked against one of our RelaxNG schemas. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* Larger input is refused before parsing: no pool or state file comes
 * near it, and it bounds what a hostile file can make us do. */
#define GP_XMLDOC_MAX_SIZE (1024 * 1024)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* Errors are reported in the caller's domain and code (the caller's
 * "invalid input" error), prefixed with WHAT ("pool definition
 * /etc/gpupool/pools/gpus.xml"). */
xmlDoc *gp_xmldoc_parse(const char *what, const char *xml, gsize len,
                        GQuark domain, gint code, GError **error);

/* Validate DOC against SCHEMA ("pool.rng") from gp_paths_schema(); the
 * compiled schema is kept for the life of the process.  The error names
 * WHAT, the line and what the schema expected. */
gboolean gp_xmldoc_validate(xmlDoc *doc, const char *schema, const char *what,
                            GQuark domain, gint code, GError **error);

G_END_DECLS
