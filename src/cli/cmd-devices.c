/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool devices: the host's GPUs and what each can become, for a person
 * (one block per device) or a program (--xml, xml/devices.rng). */
#include "config.h"

#include "host/host.h"
#include "state/poolstore.h"
#include "ledger/ledger.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>

/* Group members listed by name before "and N more". */
#define GP_DEVICES_MAX_PEERS_SHOWN 8

static char *
format_size(guint64 bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    guint unit = 0;
    guint64 scale = 1;

    while (unit + 1 < G_N_ELEMENTS(units) && bytes >= scale * 1024) {
        scale *= 1024;
        unit++;
    }
    if (bytes % scale == 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT " %s", bytes / scale, units[unit]);
    return g_strdup_printf("%.2f %s", (double)bytes / (double)scale, units[unit]);
}

static char *
describe_memory(const GpPciDev *dev)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *total = NULL;
    g_autofree char *mmio64 = NULL;

    for (int i = 0; i < 6; i++) {
        const GpPciBar *bar = &dev->bars[i];
        g_autofree char *size = NULL;

        if (!bar->size)
            continue;
        size = format_size(bar->size);
        g_string_append_printf(out, "%sBAR%d %s%s%s%s", out->len ? ", " : "", i, size,
                               bar->is_io ? " I/O" : "",
                               bar->is_64bit ? " 64-bit" : "",
                               bar->prefetchable ? " prefetchable" : "");
    }
    if (!out->len)
        return g_strdup("no BARs");
    total = format_size(gp_pci_dev_mmio_total(dev));
    mmio64 = format_size(gp_pci_dev_mmio64(dev));
    g_string_append_printf(out, "; needs %s MMIO (64-bit: %s)", total, mmio64);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static char *
describe_group(const GpHost *host, const GpPciDev *dev)
{
    g_autoptr(GPtrArray) peers = NULL;
    g_autoptr(GString) out = NULL;

    if (!dev->iommu_group)
        return g_strdup("none");
    peers = gp_host_group_peers(host, dev);
    if (peers->len == 0)
        return g_strdup_printf("%s (alone)", dev->iommu_group);
    out = g_string_new(NULL);
    g_string_printf(out, "%s, shared with ", dev->iommu_group);
    for (guint i = 0; i < peers->len && i < GP_DEVICES_MAX_PEERS_SHOWN; i++) {
        const GpPciDev *peer = peers->pdata[i];

        g_string_append_printf(out, "%s%s (%s)", i ? ", " : "", peer->address,
                               peer->class_name);
    }
    if (peers->len > GP_DEVICES_MAX_PEERS_SHOWN)
        g_string_append_printf(out, " and %u more", peers->len - GP_DEVICES_MAX_PEERS_SHOWN);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static char *
describe_name(const GpPciDev *dev)
{
    g_autofree char *vendor = dev->vendor_name
        ? g_strdup(dev->vendor_name) : g_strdup_printf("Vendor %04x", dev->vendor_id);
    g_autofree char *device = dev->device_name
        ? g_strdup(dev->device_name) : g_strdup_printf("Device %04x", dev->device_id);

    return g_strdup_printf("%s %s", vendor, device);
}

/* The ledger's word on pool members it quarantined: address -> the
 * reason and fix (borrowed from LEDGER), so this view says what pool-info,
 * status and the hook say. */
static GHashTable *
quarantined_members(GpLedger *ledger, GError **error)
{
    g_autoptr(GHashTable) out = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *pools = gp_ledger_pools(ledger, error);

    if (!pools)
        return NULL;
    for (guint i = 0; i < pools->len; i++) {
        const GpPool *pool = pools->pdata[i];
        const GpPoolCapacity *cap = gp_ledger_capacity(ledger, pool->name, error);

        if (!cap)
            return NULL;
        for (guint j = 0; j < cap->rows->len; j++) {
            const GpMemberCapacity *row = cap->rows->pdata[j];

            if (row->quarantined)
                g_hash_table_insert(out, row->address, row->problem);
        }
    }
    return g_steal_pointer(&out);
}

static void
print_device(const GpHost *host, const GpPciDev *dev, GHashTable *pool_of,
             GHashTable *quarantine)
{
    g_autofree char *reason = NULL;
    g_autofree char *name = describe_name(dev);
    g_autofree char *group = describe_group(host, dev);
    g_autofree char *memory = describe_memory(dev);
    const char *pool = g_hash_table_lookup(pool_of, dev->address);
    GpDevStatus status = gp_host_assess(host, dev, pool_of, NULL, &reason);
    const char *quarantined = g_hash_table_lookup(quarantine, dev->address);

    printf("%s  %s  [%04x:%04x]\n", dev->address, name, dev->vendor_id, dev->device_id);
    if (quarantined) {
        printf("  status:      quarantined\n");
        printf("  reason:      %s\n", quarantined);
    } else {
        printf("  status:      %s\n", gp_dev_status_to_string(status));
    }
    if (reason && !quarantined)
        printf("  %-12s %s\n", status == GP_DEV_STATUS_NOT_ASSIGNABLE ? "reason:" : "note:",
               reason);
    if (pool)
        printf("  pool:        %s\n", pool);
    {
        g_autofree char *code = g_strdup_printf("%04x", dev->class_code >> 8);

        /* pci.ids names some classes with their code already. */
        if (strstr(dev->class_name, code))
            printf("  class:       %s\n", dev->class_name);
        else
            printf("  class:       %s [%s]\n", dev->class_name, code);
    }
    printf("  driver:      %s", dev->driver ? dev->driver : "none");
    if (dev->driver_override)
        printf(" (driver_override %s)", dev->driver_override);
    printf("\n");
    printf("  iommu group: %s\n", group);
    if (dev->numa_node >= 0)
        printf("  numa node:   %d\n", dev->numa_node);
    else
        printf("  numa node:   none\n");
    printf("  bus:         %s, %s%s\n", dev->is_pcie ? "PCI Express" : "conventional PCI",
           dev->parent_bridge ? "behind " : "on a root bus",
           dev->parent_bridge ? dev->parent_bridge : "");
    if (dev->boot_vga)
        printf("  boot vga:    yes (the firmware's console)\n");
    printf("  memory:      %s\n", memory);
    if (dev->physfn)
        printf("  vf of:       %s\n", dev->physfn);
    if (dev->sriov_total_vfs > 0) {
        g_autoptr(GPtrArray) vfs = gp_host_vfs(host, dev);

        printf("  sr-iov:      %u of %u VFs enabled", dev->sriov_num_vfs, dev->sriov_total_vfs);
        for (guint i = 0; i < vfs->len; i++) {
            const GpPciDev *vf = vfs->pdata[i];

            printf("%s%s (%s)", i ? ", " : ": ", vf->address, vf->driver ? vf->driver : "no driver");
        }
        printf("\n");
    }
    if (dev->mdev_types->len > 0) {
        printf("  mdev types:  ");
        for (guint i = 0; i < dev->mdev_types->len; i++) {
            const GpMdevType *type = dev->mdev_types->pdata[i];

            printf("%s%s%s%s%s %u available", i ? ", " : "", type->id,
                   type->name ? " (" : "", type->name ? type->name : "",
                   type->name ? ")" : "", type->available_instances);
        }
        printf("\n");
    }
}

static const char *
status_token(GpDevStatus status)
{
    switch (status) {
    case GP_DEV_STATUS_READY:
        return "ready";
    case GP_DEV_STATUS_PARTITIONABLE:
        return "partitionable";
    case GP_DEV_STATUS_SRIOV_DISABLED:
        return "sriov-disabled";
    case GP_DEV_STATUS_NOT_ASSIGNABLE:
        return "not-assignable";
    }
    return "unknown";
}

static void
xml_prop_printf(xmlNode *node, const char *name, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
xml_prop_printf(xmlNode *node, const char *name, const char *fmt, ...)
{
    g_autofree char *value = NULL;
    va_list ap;

    va_start(ap, fmt);
    value = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    xmlNewProp(node, BAD_CAST name, BAD_CAST value);
}

static void
xml_text_child(xmlNode *parent, const char *name, const char *text)
{
    if (text)
        xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text);
}

static void
xml_add_driver(xmlNode *node, const GpPciDev *dev)
{
    xmlNode *child;

    if (!dev->driver && !dev->driver_override)
        return;
    child = xmlNewChild(node, NULL, BAD_CAST "driver", NULL);
    if (dev->driver)
        xmlNewProp(child, BAD_CAST "name", BAD_CAST dev->driver);
    if (dev->driver_override)
        xmlNewProp(child, BAD_CAST "override", BAD_CAST dev->driver_override);
}

static void
xml_add_iommu_group(xmlNode *node, const GpHost *host, const GpPciDev *dev)
{
    g_autoptr(GPtrArray) peers = NULL;
    xmlNode *child;

    if (!dev->iommu_group)
        return;
    peers = gp_host_group_peers(host, dev);
    child = xmlNewChild(node, NULL, BAD_CAST "iommu-group", NULL);
    xmlNewProp(child, BAD_CAST "id", BAD_CAST dev->iommu_group);
    for (guint i = 0; i < peers->len; i++) {
        const GpPciDev *peer = peers->pdata[i];
        xmlNode *p = xmlNewChild(child, NULL, BAD_CAST "peer", NULL);

        xmlNewProp(p, BAD_CAST "address", BAD_CAST peer->address);
        xmlNewProp(p, BAD_CAST "relation",
                   BAD_CAST (peer->is_bridge ? "bridge"
                             : gp_pci_addr_same_slot(&peer->addr, &dev->addr) ? "companion"
                             : "endpoint"));
    }
}

static void
xml_add_memory(xmlNode *node, const GpPciDev *dev)
{
    xmlNode *child = xmlNewChild(node, NULL, BAD_CAST "memory", NULL);

    xml_prop_printf(child, "total", "%" G_GUINT64_FORMAT, gp_pci_dev_mmio_total(dev));
    xml_prop_printf(child, "mmio64", "%" G_GUINT64_FORMAT, gp_pci_dev_mmio64(dev));
    xml_prop_printf(child, "largest-bar", "%" G_GUINT64_FORMAT, gp_pci_dev_largest_bar(dev));
    for (int i = 0; i < 6; i++) {
        const GpPciBar *bar = &dev->bars[i];
        xmlNode *b;

        if (!bar->size)
            continue;
        b = xmlNewChild(child, NULL, BAD_CAST "bar", NULL);
        xml_prop_printf(b, "index", "%d", i);
        xml_prop_printf(b, "size", "%" G_GUINT64_FORMAT, bar->size);
        xmlNewProp(b, BAD_CAST "type", BAD_CAST (bar->is_io ? "io" : "memory"));
        if (!bar->is_io) {
            xmlNewProp(b, BAD_CAST "bits", BAD_CAST (bar->is_64bit ? "64" : "32"));
            xmlNewProp(b, BAD_CAST "prefetchable", BAD_CAST (bar->prefetchable ? "yes" : "no"));
        }
    }
}

static void
xml_add_sriov(xmlNode *node, const GpHost *host, const GpPciDev *dev)
{
    g_autoptr(GPtrArray) vfs = NULL;
    xmlNode *child;

    if (dev->sriov_total_vfs == 0)
        return;
    vfs = gp_host_vfs(host, dev);
    child = xmlNewChild(node, NULL, BAD_CAST "sriov", NULL);
    xml_prop_printf(child, "total-vfs", "%u", dev->sriov_total_vfs);
    xml_prop_printf(child, "enabled-vfs", "%u", dev->sriov_num_vfs);
    for (guint i = 0; i < vfs->len; i++) {
        const GpPciDev *vf = vfs->pdata[i];
        xmlNode *v = xmlNewChild(child, NULL, BAD_CAST "vf", NULL);

        xmlNewProp(v, BAD_CAST "address", BAD_CAST vf->address);
        if (vf->driver)
            xmlNewProp(v, BAD_CAST "driver", BAD_CAST vf->driver);
    }
}

static void
xml_add_mdev_types(xmlNode *node, const GpPciDev *dev)
{
    for (guint i = 0; i < dev->mdev_types->len; i++) {
        const GpMdevType *type = dev->mdev_types->pdata[i];
        xmlNode *child = xmlNewChild(node, NULL, BAD_CAST "mdev-type", NULL);

        xmlNewProp(child, BAD_CAST "id", BAD_CAST type->id);
        xml_prop_printf(child, "available", "%u", type->available_instances);
        if (type->device_api)
            xmlNewProp(child, BAD_CAST "device-api", BAD_CAST type->device_api);
        xml_text_child(child, "name", type->name);
        xml_text_child(child, "description", type->description);
    }
}

static void
xml_add_device(xmlNode *root, const GpHost *host, const GpPciDev *dev, GHashTable *pool_of,
               GHashTable *quarantine)
{
    g_autofree char *reason = NULL;
    GpDevStatus status = gp_host_assess(host, dev, pool_of, NULL, &reason);
    xmlNode *node = xmlNewChild(root, NULL, BAD_CAST "device", NULL);
    xmlNode *child;
    const char *quarantined = g_hash_table_lookup(quarantine, dev->address);

    xmlNewProp(node, BAD_CAST "address", BAD_CAST dev->address);
    xmlNewProp(node, BAD_CAST "status",
               BAD_CAST (quarantined ? "quarantined" : status_token(status)));
    xml_prop_printf(node, "vendor-id", "0x%04x", dev->vendor_id);
    xml_prop_printf(node, "device-id", "0x%04x", dev->device_id);
    xml_prop_printf(node, "subsystem-vendor-id", "0x%04x", dev->subsys_vendor_id);
    xml_prop_printf(node, "subsystem-device-id", "0x%04x", dev->subsys_device_id);
    xml_prop_printf(node, "class", "0x%06x", dev->class_code);
    xmlNewProp(node, BAD_CAST "pcie", BAD_CAST (dev->is_pcie ? "yes" : "no"));
    xmlNewProp(node, BAD_CAST "bridge", BAD_CAST (dev->is_bridge ? "yes" : "no"));
    xmlNewProp(node, BAD_CAST "boot-vga", BAD_CAST (dev->boot_vga ? "yes" : "no"));

    xml_text_child(node, "vendor", dev->vendor_name);
    xml_text_child(node, "name", dev->device_name);
    xml_text_child(node, "class-name", dev->class_name);
    if (quarantined)
        xml_text_child(node, "reason", quarantined);
    else if (reason)
        xml_text_child(node, status == GP_DEV_STATUS_NOT_ASSIGNABLE ? "reason" : "note", reason);
    xml_text_child(node, "pool", g_hash_table_lookup(pool_of, dev->address));
    xml_add_driver(node, dev);
    xml_add_iommu_group(node, host, dev);
    if (dev->numa_node >= 0) {
        child = xmlNewChild(node, NULL, BAD_CAST "numa", NULL);
        xml_prop_printf(child, "node", "%d", dev->numa_node);
    }
    if (dev->parent_bridge) {
        child = xmlNewChild(node, NULL, BAD_CAST "parent-bridge", NULL);
        xmlNewProp(child, BAD_CAST "address", BAD_CAST dev->parent_bridge);
    }
    xml_add_memory(node, dev);
    if (dev->physfn) {
        child = xmlNewChild(node, NULL, BAD_CAST "physfn", NULL);
        xmlNewProp(child, BAD_CAST "address", BAD_CAST dev->physfn);
    }
    xml_add_sriov(node, host, dev);
    xml_add_mdev_types(node, dev);
}

static void
print_xml(const GpHost *host, GPtrArray *selected, GHashTable *pool_of, GHashTable *quarantine)
{
    xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "devices");
    xmlChar *text = NULL;
    int len = 0;

    xmlDocSetRootElement(doc, root);
    xmlNewProp(root, BAD_CAST "iommu", BAD_CAST (gp_host_has_iommu(host) ? "on" : "off"));
    xml_prop_printf(root, "iommu-groups", "%u", gp_host_iommu_group_count(host));
    xml_prop_printf(root, "pci-devices", "%u", gp_host_devices(host)->len);
    for (guint i = 0; i < selected->len; i++)
        xml_add_device(root, host, selected->pdata[i], pool_of, quarantine);
    xmlDocDumpFormatMemoryEnc(doc, &text, &len, "UTF-8", 1);
    fwrite(text, 1, len, stdout);
    xmlFree(text);
    xmlFreeDoc(doc);
}

static void
print_iommu_line(const GpHost *host)
{
    if (gp_host_has_iommu(host))
        printf("IOMMU: on (%u groups)\n", gp_host_iommu_group_count(host));
    else
        printf("IOMMU: off; no device can be passed through until it is on: enable "
               "VT-d/AMD-Vi in firmware and boot with intel_iommu=on or amd_iommu=on\n");
}

/* Which devices to show: the ones named, everything with --all, or the
 * GPUs and every pool member.  VFs appear under their physical function
 * unless a pool holds them. */
static GPtrArray *
select_devices(const GpHost *host, GHashTable *pool_of, gboolean all,
               char **names, GError **error)
{
    g_autoptr(GPtrArray) selected = g_ptr_array_new();
    GPtrArray *devices = gp_host_devices(host);

    if (names && names[0]) {
        for (char **name = names; *name; name++) {
            GpPciDev *dev = gp_host_lookup(host, *name, error);

            if (!dev)
                return NULL;
            g_ptr_array_add(selected, dev);
        }
        return g_steal_pointer(&selected);
    }
    for (guint i = 0; i < devices->len; i++) {
        GpPciDev *dev = devices->pdata[i];
        gboolean in_pool = g_hash_table_contains(pool_of, dev->address);

        if (all || in_pool || (gp_pci_dev_is_gpu(dev) && !gp_pci_dev_is_vf(dev)))
            g_ptr_array_add(selected, dev);
    }
    return g_steal_pointer(&selected);
}

/* Pool members the scan cannot show: gone from the bus.  Listed (text
 * only: the XML describes devices the host has) unless DEVICE arguments
 * chose others. */
static void
print_gone(const GpHost *host, GHashTable *pool_of, GHashTable *quarantine, char **names)
{
    g_autoptr(GList) addrs = g_hash_table_get_keys(quarantine);

    addrs = g_list_sort(addrs, (GCompareFunc)g_strcmp0);
    for (GList *l = addrs; l; l = l->next) {
        const char *addr = l->data;

        if (gp_host_lookup(host, addr, NULL) || (names && names[0]))
            continue;
        printf("\n%s  (not on the PCI bus)\n", addr);
        printf("  status:      quarantined\n");
        printf("  reason:      %s\n", (const char *)g_hash_table_lookup(quarantine, addr));
        printf("  pool:        %s\n", (const char *)g_hash_table_lookup(pool_of, addr));
    }
}

static int
run_devices(int argc, char **argv)
{
    gboolean all = FALSE;
    gboolean xml = FALSE;
    g_auto(GStrv) names = NULL;
    GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Show every PCI device, not only GPUs", NULL },
        { "xml", 0, 0, G_OPTION_ARG_NONE, &xml, "Print XML (xml/devices.rng)", NULL },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &names, NULL, NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GpHost) host = NULL;
    g_autoptr(GHashTable) pool_of = NULL;
    g_autoptr(GPtrArray) selected = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GHashTable) quarantine = NULL;

    if (!gp_cli_parse(&gp_cmd_devices, entries, &argc, &argv))
        return GP_EXIT_USAGE;
    if (all && names && names[0])
        return gp_cli_usage(&gp_cmd_devices, "--all and DEVICE arguments exclude each other");
    /* Malformed addresses are refused before anything is scanned. */
    for (char **name = names; name && *name; name++) {
        g_autofree char *canonical = gp_pci_addr_canonical(*name, &error);

        if (!canonical)
            return gp_cli_fail(error);
    }

    host = gp_host_scan(&error);
    if (!host)
        return gp_cli_fail(error);
    pool_of = gp_poolstore_membership(&error);
    if (!pool_of)
        return gp_cli_fail(error);
    ledger = gp_ledger_open(GP_LEDGER_READ, &error);
    quarantine = ledger ? quarantined_members(ledger, &error) : NULL;
    if (!quarantine)
        return gp_cli_fail(error);
    selected = select_devices(host, pool_of, all, names, &error);
    if (!selected)
        return gp_cli_fail(error);

    if (xml) {
        print_xml(host, selected, pool_of, quarantine);
        return GP_EXIT_OK;
    }
    print_iommu_line(host);
    if (selected->len == 0) {
        guint n = gp_host_devices(host)->len;

        printf("No GPUs found among %u PCI device%s (display, 3D or processing-accelerator "
               "class); run 'gpupool devices --all' to see %s.\n",
               n, n == 1 ? "" : "s", n == 1 ? "it" : "them all");
        return GP_EXIT_OK;
    }
    for (guint i = 0; i < selected->len; i++) {
        printf("\n");
        print_device(host, selected->pdata[i], pool_of, quarantine);
    }
    print_gone(host, pool_of, quarantine, names);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_devices = {
    .name = "devices",
    .args = "[--all] [--xml] [DEVICE...]",
    .summary = "Show the host's GPUs and whether each can be passed through or partitioned",
    .help = "Lists the host's GPUs (display, 3D and processing-accelerator classes) and\n"
            "every device of a pool, each with its status: ready for passthrough,\n"
            "partitionable, partition driver present but SR-IOV disabled, not\n"
            "assignable with the reason and the fix, or, for a pool device, PF or PCI\n"
            "mdev parent that broke or vanished (config space all-ones, gone from the\n"
            "bus; for whole devices also no reset method), quarantined with the\n"
            "reason and the fix.  DEVICE is a PCI address\n"
            "(0000:41:00.0 or 41:00.0).\n"
            "\n"
            "Examples:\n"
            "  gpupool devices\n"
            "  gpupool devices 41:00.0 --xml\n"
            "\n"
            "Exit status: 0 on success, 1 when it cannot be shown, 2 for a mistake on\n"
            "the command line.",
    .run = run_devices,
};
