/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the pool module's reader (pool.c, no libxml2) and its
 * schema-validating parser of admins' definitions (pool-xml.c). */
#pragma once

#include <glib.h>

#include "base/xmltree.h"

G_BEGIN_DECLS

/* The pool a tree describes, checked against everything pool.rng says
 * (a GpXmlDocReader, base/xmldoc.h). */
gpointer gp_pool_from_tree(const GpXmlNode *root, gpointer data, GError **error);

G_END_DECLS
