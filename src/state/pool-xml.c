/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A pool definition as an admin writes it, validated against pool.rng:
 * the one part of the pool module that needs libxml2 (its RelaxNG
 * validator), kept apart so that the hook, which reads only stored
 * pools, links none. */
#include "config.h"

#include "state/pool.h"

#include "base/xmldoc.h"
#include "state/pool-priv.h"

GpPool *
gp_pool_parse_xml(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(GpXmlNode) root = NULL;

    doc = gp_xmldoc_parse("the pool definition", xml, len, GP_XMLDOC_MAX_SIZE, GP_POOL_ERROR,
                          GP_POOL_ERROR_INVALID, error);
    if (!doc)
        return NULL;
    if (!gp_xmldoc_validate(doc, "pool.rng", "the pool definition", GP_POOL_ERROR,
                            GP_POOL_ERROR_INVALID, error))
        return NULL;
    /* The checks by hand too: whatever the schema lets through, they must
     * as well, and every test of a valid pool shows they do. */
    root = gp_xmldoc_to_tree(xmlDocGetRootElement(doc));
    return gp_pool_from_tree(root, NULL, error);
}
