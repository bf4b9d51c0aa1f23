/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the reading (domxml.c), formatting (domxml-format.c)
 * and rewriting (domxml-edit.c) halves of the domain XML module. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "base/xmltree.h"
#include "state/domxml.h"

G_BEGIN_DECLS

/* The fw_cfg file OVMF reads its 64-bit PCI aperture size (MiB) from.
 * libvirt's <sysinfo type='fwcfg'> refuses names under opt/ovmf/ ("That
 * firmware name is reserved"), so it is passed on QEMU's command line:
 * <qemu:commandline><qemu:arg value='-fw_cfg'/>
 * <qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=N'/>. */
#define GP_DOMXML_OVMF_MMIO64_NAME "opt/ovmf/X-PciMmio64Mb"
#define GP_DOMXML_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

xmlDoc *gp_domxml_parse_doc(const char *xml, gsize len, GError **error);
GpDomAssignment *gp_domxml_assignment_from_doc(xmlDoc *doc, GError **error);

/* The reader both parsers feed (domxml-read.c, libxml2-free): ROOT is a
 * <domain> with one of each element gpupool reads
 * (gp_domxml_check_root()); gp_domxml_check_written_ns() refuses a
 * request whose namespace the bytes XML do not spell out. */
gboolean gp_domxml_check_root(const GpXmlNode *root, GError **error);
GpDomAssignment *gp_domxml_assignment_from_tree(const GpXmlNode *root, GError **error);
gboolean gp_domxml_check_written_ns(const GpDomAssignment *a, const char *xml, gsize len,
                                    GError **error);

/* What both trees' elements mean, read from their attributes' values
 * (domxml-read.c), so that the libxml2 tree the edits work on and the
 * GMarkup tree the hook reads cannot drift apart.  The canonical address
 * of a PCI <source><address> (DOMAIN may be NULL), or NULL; the
 * lower-case UUID of an mdev's, or NULL. */
char *gp_domxml_pci_address_of(const char *domain, const char *bus, const char *slot,
                               const char *function);
char *gp_domxml_mdev_uuid_of(const char *uuid);
/* One child of <metadata> in gpupool's namespace, named NAME, after one
 * was FOUND or not: TRUE if it may be the assignment. */
gboolean gp_domxml_metadata_child_check(const char *name, gboolean found, GError **error);
/* Whether a <controller> with these attributes is the root PCI bus. */
gboolean gp_domxml_is_root_controller_of(const char *type, const char *index,
                                         const char *model);
/* The MiB of a <qemu:arg value> that sets OVMF's aperture, or NULL. */
const char *gp_domxml_ovmf_mmio64_of(const char *value);

gboolean gp_domxml_is_el(const xmlNode *node, const char *name);
gboolean gp_domxml_is_our_el(const xmlNode *node, const char *name);
xmlNode *gp_domxml_child(const xmlNode *parent, const char *name);
char *gp_domxml_prop(const xmlNode *node, const char *name);
char *gp_domxml_text(const xmlNode *node);
gboolean gp_domxml_parse_u64(const char *str, guint64 *out);
gboolean gp_domxml_alias_index(const char *alias, guint *index);
char *gp_domxml_hostdev_address(const xmlNode *hostdev);
char *gp_domxml_hostdev_uuid(const xmlNode *hostdev);
char *gp_domxml_hostdev_alias(const xmlNode *hostdev);
/* NULL without error when there is none. */
xmlNode *gp_domxml_metadata_element(xmlNode *root, GError **error);
xmlNode *gp_domxml_root_controller(xmlNode *root);
gboolean gp_domxml_is_qemu_el(const xmlNode *node, const char *name);
xmlNode *gp_domxml_qemu_commandline(xmlNode *root);
xmlNode *gp_domxml_ovmf_mmio64_arg(xmlNode *root);
char *gp_domxml_ovmf_mmio64_value(xmlNode *arg);

/* libvirt's formatting (domxml-format.c); PROLOG and EPILOG are the raw
 * bytes around the root element. */
char *gp_domxml_format_doc(xmlDoc *doc, const char *prolog, const char *epilog);

G_END_DECLS
