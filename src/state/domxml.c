/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "state/domxml.h"

#include "state/domxml-priv.h"

#include <errno.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "base/pciaddr.h"
#include "base/xmldoc.h"
#include "state/pool.h"

/* ---- Small tree helpers ------------------------------------------------- */

gboolean
gp_domxml_is_el(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && !node->ns &&
           strcmp((const char *)node->name, name) == 0;
}

gboolean
gp_domxml_is_our_el(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           strcmp((const char *)node->ns->href, GP_DOMXML_NS) == 0 &&
           (!name || strcmp((const char *)node->name, name) == 0);
}

xmlNode *
gp_domxml_child(const xmlNode *parent, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNode *c = parent->children; c; c = c->next)
        if (gp_domxml_is_el(c, name))
            return c;
    return NULL;
}

/* A text or attribute value, or NULL if absent.  Values are bounded: a
 * longer one is reported as invalid by the callers through *TOO_LONG. */
char *
gp_domxml_prop(const xmlNode *node, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
    char *ret;

    if (!v)
        return NULL;
    ret = g_strdup((const char *)v);
    xmlFree(v);
    return ret;
}

char *
gp_domxml_text(const xmlNode *node)
{
    xmlChar *v = xmlNodeGetContent(node);
    char *ret;

    if (!v)
        return g_strdup("");
    ret = g_strdup((const char *)v);
    xmlFree(v);
    return g_strstrip(ret);
}

/* ---- Parsing ------------------------------------------------------------ */

xmlDoc *
gp_domxml_parse_doc(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(GpXmlNode) tree = NULL;

    if (!xml) {
        g_set_error(error, GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID,
                    "no domain XML given");
        return NULL;
    }
    /* Untrusted: bounded, no DTD, no entity substitution, no network.
     * Blanks are kept (they are the formatting gp_domxml_format() gives
     * back). */
    doc = gp_xmldoc_parse_editable("the domain XML", xml, len, GP_DOMXML_MAX_SIZE,
                                   GP_DOMXML_ERROR, GP_DOMXML_ERROR_INVALID, error);
    if (!doc)
        return NULL;
    tree = gp_xmldoc_to_tree(xmlDocGetRootElement(doc));
    if (!gp_domxml_check_root(tree, error))
        return NULL;
    return g_steal_pointer(&doc);
}

/* The PCI address of a <hostdev type='pci'> source, canonical, or NULL. */
char *
gp_domxml_hostdev_address(const xmlNode *hostdev)
{
    xmlNode *src = gp_domxml_child(hostdev, "source");
    xmlNode *addr = gp_domxml_child(src, "address");
    g_autofree char *d = NULL, *b = NULL, *s = NULL, *f = NULL;

    if (!addr)
        return NULL;
    d = gp_domxml_prop(addr, "domain");
    b = gp_domxml_prop(addr, "bus");
    s = gp_domxml_prop(addr, "slot");
    f = gp_domxml_prop(addr, "function");
    return gp_domxml_pci_address_of(d, b, s, f);
}

char *
gp_domxml_hostdev_uuid(const xmlNode *hostdev)
{
    xmlNode *src = gp_domxml_child(hostdev, "source");
    xmlNode *addr = gp_domxml_child(src, "address");
    g_autofree char *uuid = addr ? gp_domxml_prop(addr, "uuid") : NULL;

    return gp_domxml_mdev_uuid_of(uuid);
}

/* The alias of a <hostdev>, NULL if none. */
char *
gp_domxml_hostdev_alias(const xmlNode *hostdev)
{
    xmlNode *alias = gp_domxml_child(hostdev, "alias");

    return alias ? gp_domxml_prop(alias, "name") : NULL;
}

xmlNode *
gp_domxml_metadata_element(xmlNode *root, GError **error)
{
    xmlNode *meta = gp_domxml_child(root, "metadata");
    xmlNode *found = NULL;

    if (!meta)
        return NULL;
    for (xmlNode *c = meta->children; c; c = c->next) {
        if (!gp_domxml_is_our_el(c, NULL))
            continue;
        if (!gp_domxml_metadata_child_check((const char *)c->name, found != NULL, error))
            return NULL;
        found = c;
    }
    return found;
}

xmlNode *
gp_domxml_root_controller(xmlNode *root)
{
    xmlNode *devices = gp_domxml_child(root, "devices");

    for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        g_autofree char *type = NULL, *index = NULL, *model = NULL;

        if (!gp_domxml_is_el(c, "controller"))
            continue;
        type = gp_domxml_prop(c, "type");
        index = gp_domxml_prop(c, "index");
        model = gp_domxml_prop(c, "model");
        if (gp_domxml_is_root_controller_of(type, index, model))
            return c;
    }
    return NULL;
}

gboolean
gp_domxml_is_qemu_el(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           strcmp((const char *)node->ns->href, GP_DOMXML_QEMU_NS) == 0 &&
           strcmp((const char *)node->name, name) == 0;
}

xmlNode *
gp_domxml_qemu_commandline(xmlNode *root)
{
    for (xmlNode *c = root->children; c; c = c->next)
        if (gp_domxml_is_qemu_el(c, "commandline"))
            return c;
    return NULL;
}

/* The <qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=N'/> that
 * follows a <qemu:arg value='-fw_cfg'/>, or NULL. */
xmlNode *
gp_domxml_ovmf_mmio64_arg(xmlNode *root)
{
    xmlNode *cmdline = gp_domxml_qemu_commandline(root);
    gboolean after_fw_cfg = FALSE;

    for (xmlNode *c = cmdline ? cmdline->children : NULL; c; c = c->next) {
        g_autofree char *value = NULL;

        if (!gp_domxml_is_qemu_el(c, "arg"))
            continue;
        value = gp_domxml_prop(c, "value");
        if (after_fw_cfg && gp_domxml_ovmf_mmio64_of(value))
            return c;
        after_fw_cfg = g_strcmp0(value, "-fw_cfg") == 0;
    }
    return NULL;
}

/* The MiB value of that argument as text, or NULL. */
char *
gp_domxml_ovmf_mmio64_value(xmlNode *arg)
{
    g_autofree char *value = arg ? gp_domxml_prop(arg, "value") : NULL;

    return g_strdup(gp_domxml_ovmf_mmio64_of(value));
}

GpDomAssignment *
gp_domxml_assignment_from_doc(xmlDoc *doc, GError **error)
{
    g_autoptr(GpXmlNode) root = gp_xmldoc_to_tree(xmlDocGetRootElement(doc));

    return gp_domxml_assignment_from_tree(root, error);
}

GpDomAssignment *
gp_domxml_read_assignment(const char *xml, gsize len, GError **error)
{
    xmlDoc *doc = gp_domxml_parse_doc(xml, len, error);
    GpDomAssignment *a;

    if (!doc)
        return NULL;
    a = gp_domxml_assignment_from_doc(doc, error);
    xmlFreeDoc(doc);
    if (a && !gp_domxml_check_written_ns(a, xml, len, error)) {
        gp_dom_assignment_free(a);
        return NULL;
    }
    return a;
}
