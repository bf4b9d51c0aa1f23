/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config space and the "resource" attribute, in the byte layout the PCI
 * specifications define, so that libpci and lspci parse them as they
 * would a real device's. */
#include "config.h"

#include "simint.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CAP_PM 0x40
#define CAP_MSI 0x48
#define CAP_EXP 0x60
#define EXT_FIRST 0x100
#define SRIOV_SIZE 0x40

gboolean
sim_pci_is_bridge(GpSimPciKind kind)
{
    return kind == GP_SIM_PCIE_ROOT_PORT || kind == GP_SIM_PCIE_UPSTREAM_PORT ||
           kind == GP_SIM_PCIE_DOWNSTREAM_PORT || kind == GP_SIM_PCIE_TO_PCI_BRIDGE ||
           kind == GP_SIM_PCI_BRIDGE;
}

gboolean
sim_pci_is_express(GpSimPciKind kind)
{
    return kind != GP_SIM_PCI_ENDPOINT && kind != GP_SIM_PCI_BRIDGE;
}

static void
put8(guint8 *c, guint off, guint8 v)
{
    c[off] = v;
}

static void
put16(guint8 *c, guint off, guint16 v)
{
    c[off] = v & 0xff;
    c[off + 1] = v >> 8;
}

static void
put32(guint8 *c, guint off, guint32 v)
{
    put16(c, off, v & 0xffff);
    put16(c, off + 2, v >> 16);
}

guint64
sim_bar_flags(const GpSimBar *bar)
{
    guint64 flags;

    if (bar->size == 0)
        return 0;
    if (bar->io)
        return SIM_IORESOURCE_SIZEALIGN | SIM_IORESOURCE_IO | SIM_BAR_IO_SPACE;
    flags = SIM_IORESOURCE_SIZEALIGN | SIM_IORESOURCE_MEM;
    if (bar->is_64bit)
        flags |= SIM_IORESOURCE_MEM_64 | SIM_BAR_MEM_64;
    if (bar->prefetchable)
        flags |= SIM_IORESOURCE_PREFETCH | SIM_BAR_MEM_PREFETCH;
    return flags;
}

/* The BAR registers as firmware left them: address plus the type bits. */
static void
put_bars(guint8 *c, guint reg, const SimRes *res, guint count)
{
    guint i;

    for (i = 0; i < count; i++) {
        const SimRes *r = &res[i];
        guint32 low;

        if (r->size == 0)
            continue;
        if (r->flags & SIM_IORESOURCE_IO) {
            put32(c, reg + 4 * i, (guint32)r->start | 0x1);
            continue;
        }
        low = (guint32)(r->start & 0xfffffff0);
        if (r->flags & SIM_IORESOURCE_MEM_64)
            low |= 0x4;
        if (r->flags & SIM_IORESOURCE_PREFETCH)
            low |= 0x8;
        put32(c, reg + 4 * i, low);
        if ((r->flags & SIM_IORESOURCE_MEM_64) && i + 1 < count)
            put32(c, reg + 4 * (i + 1), (guint32)(r->start >> 32));
    }
}

static guint8
express_type(GpSimPciKind kind)
{
    switch (kind) {
    case GP_SIM_PCIE_RC_INTEGRATED:
        return 0x9;
    case GP_SIM_PCIE_ROOT_PORT:
        return 0x4;
    case GP_SIM_PCIE_UPSTREAM_PORT:
        return 0x5;
    case GP_SIM_PCIE_DOWNSTREAM_PORT:
        return 0x6;
    case GP_SIM_PCIE_TO_PCI_BRIDGE:
        return 0x7;
    default:
        return 0x0;
    }
}

static void
put_express(guint8 *c, const SimPci *dev)
{
    GpSimPciKind kind = dev->spec.kind;
    guint8 type = express_type(kind);
    guint8 speed = dev->spec.link_speed ? dev->spec.link_speed : 4;
    guint8 width = dev->spec.link_width ? dev->spec.link_width : 16;
    gboolean port = kind == GP_SIM_PCIE_ROOT_PORT || kind == GP_SIM_PCIE_DOWNSTREAM_PORT;
    guint16 flags = 0x2 | (type << 4);
    guint32 devcap = 0x1 /* MPS 256 */ | (1u << 15) /* role-based errors */;

    if (kind == GP_SIM_PCIE_ENDPOINT || kind == GP_SIM_PCIE_RC_INTEGRATED)
        devcap |= 1u << 28; /* function level reset */
    if (port)
        flags |= 0x100; /* slot implemented */
    put8(c, CAP_EXP, 0x10);
    put8(c, CAP_EXP + 1, 0x00);
    put16(c, CAP_EXP + 0x02, flags);
    put32(c, CAP_EXP + 0x04, devcap);
    put16(c, CAP_EXP + 0x08, 0x2020 | 0x000f); /* MPS 256, MRRS 512, errors reported */
    if (kind != GP_SIM_PCIE_RC_INTEGRATED) {
        put32(c, CAP_EXP + 0x0c, speed | (width << 4) | (0x2 << 10) | ((guint32)dev->function << 24));
        put16(c, CAP_EXP + 0x12, speed | (width << 4) | 0x1000);
        put32(c, CAP_EXP + 0x2c, ((1u << speed) - 1) << 1);
        put16(c, CAP_EXP + 0x30, speed);
    }
    if (port) {
        put32(c, CAP_EXP + 0x14, (guint32)(dev->slot + 1) << 19);
        put16(c, CAP_EXP + 0x1a, 0x0040); /* presence detect */
        put32(c, CAP_EXP + 0x24, 0x20);   /* ARI forwarding supported */
        put16(c, CAP_EXP + 0x28, 0x20);   /* ARI forwarding enabled */
    }
}

/* Routing-ID reach for VF offsets past function 7 needs ARI; SR-IOV PFs
 * carry it, and the SR-IOV capability follows. */
static guint
put_sriov(guint8 *c, guint off, const SimPci *dev, guint next)
{
    const GpSimPciSpec *s = &dev->spec;
    guint16 offset = s->vf_offset ? s->vf_offset : 1;
    guint16 stride = s->vf_stride ? s->vf_stride : 1;

    put32(c, off, 0x0010 | (1u << 16) | ((guint32)next << 20));
    put32(c, off + 0x04, 0x2);      /* ARI capable hierarchy preserved */
    put16(c, off + 0x08, 0x10);     /* ARI capable hierarchy */
    put16(c, off + 0x0c, s->total_vfs);
    put16(c, off + 0x0e, s->total_vfs);
    put16(c, off + 0x10, 0);
    put16(c, off + 0x14, offset);
    put16(c, off + 0x16, stride);
    put16(c, off + 0x1a, s->vf_device);
    put32(c, off + 0x1c, 0x553);    /* supported page sizes */
    put32(c, off + 0x20, 0x1);      /* 4 KiB */
    put_bars(c, off + 0x24, &dev->res[SIM_RES_IOV], 6);
    return off + SRIOV_SIZE;
}

GBytes *
sim_config_build(const SimPci *dev)
{
    const GpSimPciSpec *s = &dev->spec;
    gboolean express = sim_pci_is_express(s->kind);
    gboolean bridge = sim_pci_is_bridge(s->kind);
    gsize size = express ? 4096 : 256;
    guint8 *c = g_malloc0(size);
    guint32 klass = s->class_code;
    guint16 vendor = s->vendor, device = s->device;

    /* A VF's own vendor and device ID registers read as all ones; the
     * kernel takes them from the PF (and the sysfs vendor/device files
     * show the right values). */
    if (dev->is_vf)
        vendor = device = 0xffff;
    put16(c, 0x00, vendor);
    put16(c, 0x02, device);
    put16(c, 0x04, dev->is_vf ? 0x0000 : 0x0007);
    put16(c, 0x06, 0x0010); /* capability list */
    put8(c, 0x08, s->revision);
    put8(c, 0x09, klass & 0xff);
    put8(c, 0x0a, (klass >> 8) & 0xff);
    put8(c, 0x0b, (klass >> 16) & 0xff);
    put8(c, 0x0c, 0x10);
    put8(c, 0x0e, (bridge ? 0x01 : 0x00) | (s->multifunction ? 0x80 : 0x00));
    put8(c, 0x34, CAP_PM);
    put8(c, 0x3c, 0xff);
    put8(c, 0x3d, 0x01);

    if (bridge) {
        guint8 sub = s->subordinate_bus ? s->subordinate_bus : s->secondary_bus;

        put8(c, 0x18, dev->bus);
        put8(c, 0x19, s->secondary_bus);
        put8(c, 0x1a, sub);
        /* Windows closed (base above limit) unless computed: devices
         * behind still work in the simulation, and lspci shows
         * "[disabled]". */
        put8(c, 0x1c, 0xf0);
        put8(c, 0x1d, 0x00);
        put16(c, 0x20, 0xfff0);
        put16(c, 0x22, 0x0000);
        put16(c, 0x24, 0xfff1);
        put16(c, 0x26, 0x0001);
        put16(c, 0x3e, 0x0010);
    } else if (!dev->is_vf) {
        put_bars(c, 0x10, dev->res, 6);
        put16(c, 0x2c, s->subsystem_vendor);
        put16(c, 0x2e, s->subsystem_device);
        if (dev->res[SIM_RES_ROM].size)
            put32(c, 0x30, (guint32)dev->res[SIM_RES_ROM].start);
    } else {
        put16(c, 0x2c, s->subsystem_vendor);
        put16(c, 0x2e, s->subsystem_device);
    }

    /* Power management, then MSI, then (PCIe) the Express capability. */
    put8(c, CAP_PM, 0x01);
    put8(c, CAP_PM + 1, CAP_MSI);
    put16(c, CAP_PM + 2, 0x0003);
    put16(c, CAP_PM + 4, 0x0008);
    put8(c, CAP_MSI, 0x05);
    put8(c, CAP_MSI + 1, express ? CAP_EXP : 0x00);
    put16(c, CAP_MSI + 2, 0x0080);
    if (express)
        put_express(c, dev);

    if (express && s->total_vfs > 0 && !dev->is_vf) {
        guint ari = EXT_FIRST + SRIOV_SIZE;

        put_sriov(c, EXT_FIRST, dev, ari);
        put32(c, ari, 0x000e | (1u << 16));
    } else if (express && (s->kind == GP_SIM_PCIE_ROOT_PORT ||
                           s->kind == GP_SIM_PCIE_DOWNSTREAM_PORT)) {
        /* Access Control Services: source validation, request and
         * completion redirect, upstream forwarding; all enabled, which is
         * why devices behind separate ports get separate groups. */
        put32(c, EXT_FIRST, 0x000d | (1u << 16));
        put16(c, EXT_FIRST + 4, 0x001f);
        put16(c, EXT_FIRST + 6, 0x001d);
    } else if (express && dev->is_vf) {
        put32(c, EXT_FIRST, 0x000e | (1u << 16));
    }
    return g_bytes_new_take(c, size);
}

char *
sim_resource_format(const SimPci *dev)
{
    GString *out = g_string_new(NULL);
    guint lines = sim_pci_is_bridge(dev->spec.kind) ? SIM_RES_COUNT : SIM_RES_BRIDGE;
    guint i;

    for (i = 0; i < lines; i++) {
        const SimRes *r = &dev->res[i];
        guint64 end = r->size ? r->start + r->size - 1 : 0;

        g_string_append_printf(out, "0x%016" G_GINT64_MODIFIER "x 0x%016" G_GINT64_MODIFIER
                               "x 0x%016" G_GINT64_MODIFIER "x\n",
                               r->size ? r->start : 0, end, r->size ? r->flags : 0);
    }
    return g_string_free(out, FALSE);
}

gboolean
sim_config_set_numvfs(const char *config_path, guint16 numvfs)
{
    guint8 regs[4];
    int fd;
    gboolean ok;

    fd = open(config_path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        sim_log("cannot open %s to update NumVFs", config_path);
        return FALSE;
    }
    /* VF Enable and VF Memory Space Enable follow NumVFs, as the kernel
     * sets them in sriov_enable(). */
    put16(regs, 0, numvfs ? 0x19 : 0x10);
    ok = pwrite(fd, regs, 2, EXT_FIRST + 0x08) == 2;
    put16(regs, 0, numvfs);
    ok = ok && pwrite(fd, regs, 2, EXT_FIRST + 0x10) == 2;
    close(fd);
    if (!ok)
        sim_log("cannot update NumVFs in %s", config_path);
    return ok;
}
