/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI functions of the simulated tree: their directory under the upstream
 * bridge, attributes, bus/driver/group links. */
#include "config.h"

#include "simint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

gboolean
sim_parse_addr(const char *addr, guint *domain, guint *bus, guint *slot, guint *function)
{
    guint d, b, s, f;
    char tail;

    if (!addr || sscanf(addr, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &tail) != 4)
        return FALSE;
    if (strlen(addr) != 12 || s > 0x1f || f > 7)
        return FALSE;
    if (domain)
        *domain = d;
    if (bus)
        *bus = b;
    if (slot)
        *slot = s;
    if (function)
        *function = f;
    return TRUE;
}

char *
sim_pci_dir(SimCtx *ctx, const char *addr)
{
    g_autofree char *rel = g_build_filename("bus/pci/devices", addr, NULL);

    return sim_resolve(ctx, rel);
}

gboolean
sim_driver_exists(SimCtx *ctx, const char *driver)
{
    g_autofree char *dir = g_build_filename(ctx->root, "bus/pci/drivers", driver, NULL);

    return g_file_test(dir, G_FILE_TEST_IS_DIR);
}

gboolean
sim_driver_create(SimCtx *ctx, const char *driver)
{
    static const char *const files[] = { "bind", "unbind", "new_id", "remove_id", "uevent" };
    g_autofree char *dir = g_build_filename(ctx->root, "bus/pci/drivers", driver, NULL);
    guint i;

    if (!sim_mkdir(dir))
        return FALSE;
    for (i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(dir, files[i], NULL);

        if (!sim_exists(path) && !sim_put(path, "", 0))
            return FALSE;
    }
    return TRUE;
}

char *
sim_pci_driver(SimCtx *ctx, const char *addr)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *link = NULL;
    g_autofree char *target = NULL;

    if (!dir)
        return NULL;
    link = g_build_filename(dir, "driver", NULL);
    target = g_file_read_link(link, NULL);
    if (!target)
        return NULL;
    return g_path_get_basename(target);
}

gboolean
sim_pci_link_driver(SimCtx *ctx, const char *addr, const char *driver)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *ddir = g_build_filename(ctx->root, "bus/pci/drivers", driver, NULL);
    g_autofree char *link = NULL;
    g_autofree char *back = NULL;

    if (!dir) {
        sim_log("no PCI device %s to bind to %s", addr, driver);
        return FALSE;
    }
    link = g_build_filename(dir, "driver", NULL);
    back = g_build_filename(ddir, addr, NULL);
    return sim_symlink(link, ddir) && sim_symlink(back, dir);
}

gboolean
sim_pci_unlink_driver(SimCtx *ctx, const char *addr)
{
    g_autofree char *driver = sim_pci_driver(ctx, addr);
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *link = NULL;
    g_autofree char *back = NULL;

    if (!driver || !dir)
        return TRUE;
    link = g_build_filename(dir, "driver", NULL);
    back = g_build_filename(ctx->root, "bus/pci/drivers", driver, addr, NULL);
    unlink(back);
    unlink(link);
    return TRUE;
}

static const char *
link_speed_name(guint8 speed)
{
    static const char *const names[] = {
        "Unknown", "2.5 GT/s PCIe", "5.0 GT/s PCIe", "8.0 GT/s PCIe",
        "16.0 GT/s PCIe", "32.0 GT/s PCIe", "64.0 GT/s PCIe",
    };

    return speed < G_N_ELEMENTS(names) ? names[speed] : names[0];
}

static void
write_attrs(SimCtx *ctx, const SimPci *dev, const char *dir)
{
    const GpSimPciSpec *s = &dev->spec;
    g_autoptr(GBytes) config = sim_config_build(dev);
    g_autofree char *resource = sim_resource_format(dev);
    gsize config_len;
    const void *config_data = g_bytes_get_data(config, &config_len);
    struct {
        const char *name;
        char *value;
    } attrs[] = {
        { "vendor", g_strdup_printf("0x%04x\n", s->vendor) },
        { "device", g_strdup_printf("0x%04x\n", s->device) },
        { "subsystem_vendor", g_strdup_printf("0x%04x\n", s->subsystem_vendor) },
        { "subsystem_device", g_strdup_printf("0x%04x\n", s->subsystem_device) },
        { "class", g_strdup_printf("0x%06x\n", s->class_code) },
        { "revision", g_strdup_printf("0x%02x\n", s->revision) },
        { "numa_node", g_strdup_printf("%d\n", s->numa_node) },
        { "driver_override", g_strdup("(null)\n") },
        { "irq", g_strdup("0\n") },
        { "enable", g_strdup("1\n") },
        { "dma_mask_bits", g_strdup("64\n") },
        { "uevent", g_strdup_printf("PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
                                    "PCI_SLOT_NAME=%04x:%02x:%02x.%x\n",
                                    s->class_code, s->vendor, s->device,
                                    s->subsystem_vendor, s->subsystem_device,
                                    dev->domain, dev->bus, dev->slot, dev->function) },
        { "modalias", g_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
                                      s->vendor, s->device, s->subsystem_vendor,
                                      s->subsystem_device, s->class_code >> 16,
                                      (s->class_code >> 8) & 0xff, s->class_code & 0xff) },
    };
    g_autofree char *config_path = g_build_filename(dir, "config", NULL);
    g_autofree char *resource_path = g_build_filename(dir, "resource", NULL);
    guint i;

    for (i = 0; i < G_N_ELEMENTS(attrs); i++) {
        g_autofree char *path = g_build_filename(dir, attrs[i].name, NULL);

        sim_put(path, attrs[i].value, strlen(attrs[i].value));
        g_free(attrs[i].value);
    }
    sim_put(config_path, config_data, config_len);
    sim_put(resource_path, resource, strlen(resource));

    /* The kernel shows boot_vga only for VGA-compatible devices
     * (pci_is_vga()), not for 3D or other display controllers. */
    if ((s->class_code >> 8) == 0x0300) {
        g_autofree char *path = g_build_filename(dir, "boot_vga", NULL);

        sim_putf(path, "%d\n", s->boot_vga ? 1 : 0);
    }
    if (sim_pci_is_express(s->kind) && s->kind != GP_SIM_PCIE_RC_INTEGRATED) {
        guint8 speed = s->link_speed ? s->link_speed : 4;
        guint8 width = s->link_width ? s->link_width : 16;
        const char *names[] = { "current_link_speed", "max_link_speed" };
        const char *widths[] = { "current_link_width", "max_link_width" };

        for (i = 0; i < 2; i++) {
            g_autofree char *p = g_build_filename(dir, names[i], NULL);
            g_autofree char *w = g_build_filename(dir, widths[i], NULL);

            sim_putf(p, "%s\n", link_speed_name(speed));
            sim_putf(w, "%u\n", width);
        }
    }
    if (sim_pci_is_bridge(s->kind)) {
        g_autofree char *sec = g_build_filename(dir, "secondary_bus_number", NULL);
        g_autofree char *sub = g_build_filename(dir, "subordinate_bus_number", NULL);

        sim_putf(sec, "%u\n", s->secondary_bus);
        sim_putf(sub, "%u\n", s->subordinate_bus ? s->subordinate_bus : s->secondary_bus);
    } else {
        /* The kernel shows reset_method (and reset) only for a function
         * it can reset some way; an admin may empty it. */
        const char *methods = s->reset_method ? s->reset_method
                              : sim_pci_is_express(s->kind) ? "flr bus"
                              : s->parent ? "bus" : "";

        if (*methods) {
            g_autofree char *p = g_build_filename(dir, "reset_method", NULL);
            g_autofree char *r = g_build_filename(dir, "reset", NULL);

            sim_putf(p, "%s\n", methods);
            sim_putf(r, "%s", "");
        }
    }
    {
        g_autofree char *p = g_build_filename(dir, "remove", NULL);

        sim_putf(p, "%s", "");
    }
    if (s->total_vfs > 0 && !dev->is_vf) {
        const struct {
            const char *name;
            guint value;
            gboolean hex;
        } sriov[] = {
            { "sriov_totalvfs", s->total_vfs, FALSE },
            { "sriov_numvfs", 0, FALSE },
            { "sriov_offset", s->vf_offset ? s->vf_offset : 1, FALSE },
            { "sriov_stride", s->vf_stride ? s->vf_stride : 1, FALSE },
            /* The kernel prints this one in hex without a prefix. */
            { "sriov_vf_device", s->vf_device, TRUE },
            { "sriov_drivers_autoprobe", 1, FALSE },
        };

        for (i = 0; i < G_N_ELEMENTS(sriov); i++) {
            g_autofree char *p = g_build_filename(dir, sriov[i].name, NULL);
            g_autofree char *v = sriov[i].hex ? g_strdup_printf("%x\n", sriov[i].value)
                                              : g_strdup_printf("%u\n", sriov[i].value);

            sim_put(p, v, strlen(v));
        }
    }
    (void)ctx;
}

static void
assign_resources(SimCtx *ctx, SimPci *dev)
{
    const GpSimPciSpec *s = &dev->spec;
    guint i;

    if (sim_pci_is_bridge(s->kind))
        return;
    for (i = 0; i < 6; i++) {
        const GpSimBar *bar = &s->bars[i];

        if (dev->res[i].size || bar->size == 0)
            continue;
        dev->res[i].size = bar->size;
        dev->res[i].flags = sim_bar_flags(bar);
        dev->res[i].start = sim_alloc_mmio(ctx, dev->domain, bar->size, bar->size,
                                           sim_bar_space(bar));
        if (bar->is_64bit && !bar->io)
            i++; /* the upper half is the next register: its slot stays 0 */
    }
    if (s->rom_size && !dev->res[SIM_RES_ROM].size) {
        dev->res[SIM_RES_ROM].size = s->rom_size;
        dev->res[SIM_RES_ROM].flags = SIM_IORESOURCE_SIZEALIGN | SIM_IORESOURCE_READONLY |
                                      SIM_IORESOURCE_PREFETCH | SIM_IORESOURCE_MEM;
        dev->res[SIM_RES_ROM].start = sim_alloc_mmio(ctx, dev->domain, s->rom_size,
                                                     s->rom_size, SIM_SPACE_MEM32);
    }
    if (s->total_vfs == 0 || dev->is_vf)
        return;
    for (i = 0; i < 6; i++) {
        const GpSimBar *bar = &s->vf_bars[i];
        SimRes *r = &dev->res[SIM_RES_IOV + i];

        if (bar->size == 0)
            continue;
        r->size = bar->size * s->total_vfs;
        r->flags = sim_bar_flags(bar);
        r->start = sim_alloc_mmio(ctx, dev->domain, r->size, bar->size, sim_bar_space(bar));
        if (bar->is_64bit)
            i++;
    }
}

/* Bridge windows: each upstream bridge forwards what lies behind it, so
 * its I/O, memory and prefetchable windows grow to cover every BAR added
 * below it (1 MiB granularity for memory, 4 KiB for I/O), in its config
 * registers and in resource lines 13-15, as firmware leaves them. */
static const struct {
    const char *key;
    guint64 granule;
    guint64 flags;
} windows[] = {
    { "io", 0x1000, 0x101 },
    { "mem", 0x100000, 0x200 },
    { "pref", 0x100000, 0x102201 },
};

static guint
window_of(const SimRes *r)
{
    if (r->flags & SIM_IORESOURCE_IO)
        return 0;
    /* Only a 64-bit prefetchable BAR lives above 4 GiB, in the
     * prefetchable window; everything else uses the 32-bit one. */
    if ((r->flags & SIM_IORESOURCE_MEM_64) && (r->flags & SIM_IORESOURCE_PREFETCH))
        return 2;
    return 1;
}

static void
write_windows(const char *bridge_dir, GKeyFile *meta)
{
    g_autofree char *config = g_build_filename(bridge_dir, "config", NULL);
    g_autofree char *resource = g_build_filename(bridge_dir, "resource", NULL);
    g_autofree char *text = sim_get(resource);
    g_auto(GStrv) lines = text ? g_strsplit(text, "\n", -1) : NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    guint8 regs[0x30];
    guint i;
    int fd;

    fd = open(config, O_RDWR | O_CLOEXEC);
    if (fd < 0 || pread(fd, regs, sizeof(regs), 0) != sizeof(regs)) {
        sim_log("cannot read the config space of bridge %s", bridge_dir);
        if (fd >= 0)
            close(fd);
        return;
    }
    for (i = 0; i < G_N_ELEMENTS(windows); i++) {
        g_autofree char *lo_key = g_strconcat(windows[i].key, "_lo", NULL);
        g_autofree char *hi_key = g_strconcat(windows[i].key, "_hi", NULL);
        guint64 lo, hi;

        if (!g_key_file_has_key(meta, "windows", lo_key, NULL))
            continue;
        lo = g_key_file_get_uint64(meta, "windows", lo_key, NULL);
        hi = g_key_file_get_uint64(meta, "windows", hi_key, NULL);
        if (i == 0) {
            regs[0x1c] = (lo >> 8) & 0xf0;
            regs[0x1d] = (hi >> 8) & 0xf0;
        } else if (i == 1) {
            regs[0x20] = (lo >> 16) & 0xf0;
            regs[0x21] = (lo >> 24) & 0xff;
            regs[0x22] = (hi >> 16) & 0xf0;
            regs[0x23] = (hi >> 24) & 0xff;
        } else {
            regs[0x24] = ((lo >> 16) & 0xf0) | 0x1;
            regs[0x25] = (lo >> 24) & 0xff;
            regs[0x26] = ((hi >> 16) & 0xf0) | 0x1;
            regs[0x27] = (hi >> 24) & 0xff;
            regs[0x28] = (lo >> 32) & 0xff;
            regs[0x29] = (lo >> 40) & 0xff;
            regs[0x2a] = (lo >> 48) & 0xff;
            regs[0x2b] = (lo >> 56) & 0xff;
            regs[0x2c] = (hi >> 32) & 0xff;
            regs[0x2d] = (hi >> 40) & 0xff;
            regs[0x2e] = (hi >> 48) & 0xff;
            regs[0x2f] = (hi >> 56) & 0xff;
        }
        if (lines && g_strv_length(lines) > SIM_RES_BRIDGE + i) {
            g_free(lines[SIM_RES_BRIDGE + i]);
            lines[SIM_RES_BRIDGE + i] = g_strdup_printf(
                "0x%016" G_GINT64_MODIFIER "x 0x%016" G_GINT64_MODIFIER "x 0x%016"
                G_GINT64_MODIFIER "x", lo, hi, windows[i].flags);
        }
    }
    if (pwrite(fd, regs + 0x1c, 0x30 - 0x1c, 0x1c) != 0x30 - 0x1c)
        sim_log("cannot update the windows of bridge %s", bridge_dir);
    close(fd);
    if (lines) {
        g_autofree char *joined = g_strjoinv("\n", lines);

        sim_put(resource, joined, strlen(joined));
    }
}

static void
extend_bridges(SimCtx *ctx, const char *dev_dir, const SimRes *res, guint n)
{
    g_autofree char *bridge_dir = g_path_get_dirname(dev_dir);

    while (g_str_has_prefix(bridge_dir, ctx->root)) {
        g_autofree char *addr = g_path_get_basename(bridge_dir);
        g_autofree char *config = g_build_filename(bridge_dir, "config", NULL);
        g_autoptr(GKeyFile) meta = NULL;
        char *up;
        guint i;

        if (!sim_parse_addr(addr, NULL, NULL, NULL, NULL) || !sim_exists(config))
            break;
        meta = sim_meta_load(ctx, "pci", addr);
        for (i = 0; i < n; i++) {
            guint w;
            g_autofree char *lo_key = NULL;
            g_autofree char *hi_key = NULL;
            guint64 lo, hi;

            if (!res[i].size)
                continue;
            w = window_of(&res[i]);
            lo_key = g_strconcat(windows[w].key, "_lo", NULL);
            hi_key = g_strconcat(windows[w].key, "_hi", NULL);
            lo = res[i].start & ~(windows[w].granule - 1);
            hi = (res[i].start + res[i].size + windows[w].granule - 1) &
                 ~(windows[w].granule - 1);
            hi -= 1;
            if (g_key_file_has_key(meta, "windows", lo_key, NULL)) {
                lo = MIN(lo, g_key_file_get_uint64(meta, "windows", lo_key, NULL));
                hi = MAX(hi, g_key_file_get_uint64(meta, "windows", hi_key, NULL));
            }
            g_key_file_set_uint64(meta, "windows", lo_key, lo);
            g_key_file_set_uint64(meta, "windows", hi_key, hi);
        }
        sim_meta_save(ctx, "pci", addr, meta);
        write_windows(bridge_dir, meta);
        up = g_path_get_dirname(bridge_dir);
        g_free(bridge_dir);
        bridge_dir = up;
    }
}

/* A bridge's subordinate bus is the highest bus number behind it: adding
 * a bridge raises it in every bridge above. */
static void
extend_subordinate(SimCtx *ctx, const char *dev_dir, guint8 sub)
{
    g_autofree char *bridge_dir = g_path_get_dirname(dev_dir);

    while (g_str_has_prefix(bridge_dir, ctx->root)) {
        g_autofree char *addr = g_path_get_basename(bridge_dir);
        g_autofree char *config = g_build_filename(bridge_dir, "config", NULL);
        g_autofree char *attr = g_build_filename(bridge_dir, "subordinate_bus_number", NULL);
        guint8 cur = 0;
        char *up;
        int fd;

        if (!sim_parse_addr(addr, NULL, NULL, NULL, NULL) || !sim_exists(attr))
            break;
        fd = open(config, O_RDWR | O_CLOEXEC);
        if (fd < 0 || pread(fd, &cur, 1, 0x1a) != 1) {
            sim_log("cannot read the subordinate bus of bridge %s", bridge_dir);
            if (fd >= 0)
                close(fd);
            break;
        }
        if (sub > cur) {
            if (pwrite(fd, &sub, 1, 0x1a) != 1)
                sim_log("cannot raise the subordinate bus of bridge %s", bridge_dir);
            sim_putf(attr, "%u\n", sub);
        }
        close(fd);
        up = g_path_get_dirname(bridge_dir);
        g_free(bridge_dir);
        bridge_dir = up;
    }
}

char *
sim_pci_create(SimCtx *ctx, SimPci *dev, const char *parent_dir, int group)
{
    const GpSimPciSpec *s = &dev->spec;
    g_autofree char *dir = g_build_filename(parent_dir, s->addr, NULL);
    g_autofree char *bus_link = g_build_filename(ctx->root, "bus/pci/devices", s->addr, NULL);
    g_autofree char *subsystem = g_build_filename(dir, "subsystem", NULL);
    g_autofree char *bus_dir = g_build_filename(ctx->root, "bus/pci", NULL);

    if (sim_exists(bus_link)) {
        sim_log("PCI device %s exists already", s->addr);
        return NULL;
    }
    if (!sim_parse_addr(s->addr, &dev->domain, &dev->bus, &dev->slot, &dev->function)) {
        sim_log("'%s' is not a PCI address DDDD:BB:SS.F", s->addr);
        return NULL;
    }
    assign_resources(ctx, dev);
    if (!sim_mkdir(dir))
        return NULL;
    write_attrs(ctx, dev, dir);
    /* A VF's BARs lie inside its PF's SR-IOV BARs, already forwarded. */
    if (!dev->is_vf && !sim_pci_is_bridge(s->kind))
        extend_bridges(ctx, dir, dev->res, SIM_RES_BRIDGE);
    if (sim_pci_is_bridge(s->kind))
        extend_subordinate(ctx, dir, MAX(s->subordinate_bus, s->secondary_bus));
    sim_symlink(subsystem, bus_dir);
    sim_symlink(bus_link, dir);
    if (sim_ctx_iommu(ctx)) {
        g_autofree char *iommu = g_build_filename(dir, "iommu", NULL);
        g_autofree char *dmar = g_build_filename(ctx->root, "devices/virtual/iommu/dmar0", NULL);
        g_autofree char *back = g_build_filename(dmar, "devices", s->addr, NULL);

        sim_symlink(iommu, dmar);
        sim_symlink(back, dir);
        if (group < 0)
            group = sim_group_new(ctx);
        sim_group_join(ctx, group, dir);
    }
    if (s->driver) {
        g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", s->addr);

        g_key_file_set_string(meta, "device", "driver", s->driver);
        sim_meta_save(ctx, "pci", s->addr, meta);
    }
    sim_ctx_save(ctx);
    return g_steal_pointer(&dir);
}

gboolean
sim_pci_remove(SimCtx *ctx, const char *addr)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *bus_link = g_build_filename(ctx->root, "bus/pci/devices", addr, NULL);
    g_autofree char *dmar_back = g_build_filename(ctx->root, "devices/virtual/iommu/dmar0/devices",
                                                  addr, NULL);

    if (!dir) {
        sim_log("no PCI device %s to remove", addr);
        return FALSE;
    }
    sim_pci_unlink_driver(ctx, addr);
    {
        g_autofree char *vfio_dev = g_build_filename(dir, "vfio-dev", NULL);
        g_autoptr(GDir) d = g_dir_open(vfio_dev, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
            g_autofree char *link = g_build_filename(ctx->root, "class/vfio-dev", name, NULL);

            unlink(link);
        }
    }
    sim_group_leave(ctx, dir);
    unlink(dmar_back);
    unlink(bus_link);
    sim_meta_remove(ctx, "pci", addr);
    return sim_rm_rf(dir);
}
