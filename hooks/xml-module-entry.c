/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The entry of the XML reader module (hooks/xml-module.c): libxml2's
 * reading of a tree, for the hook program that does not link it. */
#include "config.h"

#include <gmodule.h>

#include "base/xmldoc.h"

G_MODULE_EXPORT GpXmlNode *gp_xml_module_parse_tree(const char *what, const char *xml, gsize len,
                                                    gsize max_size, GQuark domain, gint code,
                                                    GError **error);

G_MODULE_EXPORT GpXmlNode *
gp_xml_module_parse_tree(const char *what, const char *xml, gsize len, gsize max_size,
                         GQuark domain, gint code, GError **error)
{
    return gp_xmldoc_parse_tree(what, xml, len, max_size, domain, code, error);
}
