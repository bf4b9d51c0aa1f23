/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gp_xmldoc_parse_tree() for the hook's domain part, which links no libxml2:
 * the libxml2 reader is loaded from a module, and only when needed.
 *
 * The hook reads the claims and the stored pools in the spelling
 * gpupool writes, or with GMarkup (base/xmltree.h); libxml2 is needed
 * only for a file an admin edited into something GMarkup cannot decide
 * on, or that is damaged, so that the refusal has libxml2's words.
 * That can happen in the middle of a transaction (pools are read as
 * they are needed), where handing the call over to another program
 * would mean redoing work already done; loading the reader in place
 * costs nothing until then.  Linking this file keeps the library's
 * own gp_xmldoc_parse_tree() (base/xmldoc.c), and libxml2 with it,
 * out of the domain part. */
#include "config.h"

#include <gmodule.h>

#include "base/xmldoc.h"
#include "hooks/hook-ops.h"

#define XML_MODULE_NAME "gpupool-xml.so"

typedef GpXmlNode *(*ParseTree)(const char *what, const char *xml, gsize len, gsize max_size,
                                GQuark domain, gint code, GError **error);

/* Where the module is: beside the domain part, in $(pkglibdir)/hook,
 * apart from the back-end modules that $(pkglibdir) holds (hook-ops.h). */
static char *
module_path(void)
{
    const char *env = g_getenv(GP_HOOK_ENV_LIBDIR);

    return g_build_filename(env && *env ? env : GP_HOOK_LIBDIR, XML_MODULE_NAME, NULL);
}

GpXmlNode *
gp_xmldoc_parse_tree(const char *what, const char *xml, gsize len, gsize max_size,
                     GQuark domain, gint code, GError **error)
{
    g_autofree char *path = module_path();
    GModule *module;
    gpointer sym = NULL;

    /* Left open: the process is short-lived, and the parser's code must
     * stay mapped while its tree is read. */
    module = g_module_open(path, G_MODULE_BIND_LOCAL | G_MODULE_BIND_LAZY);
    if (!module || !g_module_symbol(module, "gp_xml_module_parse_tree", &sym) || !sym) {
        g_set_error(error, domain, code,
                    "%s is not in the spelling gpupool writes and the XML reader %s cannot "
                    "be loaded (%s): reinstall gpupool", what, path, g_module_error());
        return NULL;
    }
    return ((ParseTree)sym)(what, xml, len, max_size, domain, code, error);
}
