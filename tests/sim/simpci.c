/* PCI functions of the simulated tree: their directory under the upstream
 * bridge, attributes, bus/driver/group links. */
#include "config.h"

#include "simint.h"

#include <errno.h>
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
    } else if (s->kind == GP_SIM_PCIE_ENDPOINT || s->kind == GP_SIM_PCIE_RC_INTEGRATED) {
        g_autofree char *p = g_build_filename(dir, "reset_method", NULL);

        sim_putf(p, "flr bus\n");
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
                                                     s->rom_size, SIM_SPACE_ROM);
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
