/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SR-IOV: sriov_numvfs creates and removes virtual functions the way
 * sriov_numvfs_store() and sriov_enable() do.  The PF's VF template (VF
 * device ID, driver, BARs) lives in BASE/sim/pci/PF.ini, written when the
 * PF was added. */
#include "config.h"

#include "simint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

guint
sim_sriov_numvfs(SimCtx *ctx, const char *pf_dir)
{
    guint n = 0;

    for (;;) {
        g_autofree char *name = g_strdup_printf("virtfn%u", n);
        g_autofree char *link = g_build_filename(pf_dir, name, NULL);

        if (!sim_exists(link))
            return n;
        n++;
    }
}

void
sim_sriov_refresh_numvfs(SimCtx *ctx, const char *pf_addr)
{
    g_autofree char *dir = sim_pci_dir(ctx, pf_addr);
    g_autofree char *path = NULL;

    if (!dir)
        return;
    path = g_build_filename(dir, "sriov_numvfs", NULL);
    sim_putf(path, "%u\n", sim_sriov_numvfs(ctx, dir));
}

static char *
vf_addr(const char *pf_addr, guint offset, guint stride, guint index)
{
    guint domain, bus, slot, function, rid;

    sim_parse_addr(pf_addr, &domain, &bus, &slot, &function);
    /* Routing IDs: the VF's bus/devfn is the PF's plus offset + i*stride,
     * carrying into the bus number. */
    rid = (bus << 8 | slot << 3 | function) + offset + index * stride;
    return g_strdup_printf("%04x:%02x:%02x.%x", domain, (rid >> 8) & 0xff,
                           (rid >> 3) & 0x1f, rid & 0x7);
}

static gboolean
add_vf(SimCtx *ctx, const char *pf_addr, const char *pf_dir, GKeyFile *pf_meta, guint index,
       gboolean autoprobe)
{
    g_autofree char *parent_dir = g_path_get_dirname(pf_dir);
    guint offset = g_key_file_get_integer(pf_meta, "sriov", "vf_offset", NULL);
    guint stride = g_key_file_get_integer(pf_meta, "sriov", "vf_stride", NULL);
    g_autofree char *addr = vf_addr(pf_addr, offset, stride, index);
    g_autofree char *vf_driver = g_key_file_get_string(pf_meta, "sriov", "vf_driver", NULL);
    g_autofree char *dir = NULL;
    g_autofree char *physfn = NULL;
    g_autofree char *virtfn = NULL;
    g_autofree char *virtfn_name = g_strdup_printf("virtfn%u", index);
    g_autoptr(GKeyFile) vf_meta = NULL;
    SimPci vf = { 0 };
    guint i;

    vf.spec.addr = addr;
    vf.spec.kind = GP_SIM_PCIE_ENDPOINT;
    vf.spec.vendor = g_key_file_get_integer(pf_meta, "sriov", "vendor", NULL);
    vf.spec.device = g_key_file_get_integer(pf_meta, "sriov", "vf_device", NULL);
    vf.spec.subsystem_vendor = g_key_file_get_integer(pf_meta, "sriov", "subsystem_vendor", NULL);
    vf.spec.subsystem_device = g_key_file_get_integer(pf_meta, "sriov", "subsystem_device", NULL);
    vf.spec.class_code = g_key_file_get_integer(pf_meta, "sriov", "class", NULL);
    vf.spec.revision = g_key_file_get_integer(pf_meta, "sriov", "revision", NULL);
    vf.spec.numa_node = g_key_file_get_integer(pf_meta, "sriov", "numa_node", NULL);
    vf.spec.driver = vf_driver && *vf_driver ? vf_driver : NULL;
    vf.is_vf = TRUE;
    for (i = 0; i < 6; i++) {
        g_autofree char *key = g_strdup_printf("vf_bar%u", i);
        g_autofree char *bar = g_key_file_get_string(pf_meta, "sriov", key, NULL);
        guint64 start, size, flags;

        if (!bar || sscanf(bar, "%" G_GINT64_MODIFIER "x %" G_GINT64_MODIFIER "x %"
                           G_GINT64_MODIFIER "x", &start, &size, &flags) != 3)
            continue;
        vf.res[i].start = start + index * size;
        vf.res[i].size = size;
        vf.res[i].flags = flags;
    }
    dir = sim_pci_create(ctx, &vf, parent_dir, -1);
    if (!dir)
        return FALSE;
    vf_meta = sim_meta_load(ctx, "pci", addr);
    g_key_file_set_string(vf_meta, "device", "pf", pf_addr);
    g_key_file_set_integer(vf_meta, "device", "index", index);
    sim_meta_save(ctx, "pci", addr, vf_meta);
    physfn = g_build_filename(dir, "physfn", NULL);
    virtfn = g_build_filename(pf_dir, virtfn_name, NULL);
    sim_symlink(physfn, pf_dir);
    sim_symlink(virtfn, dir);
    /* sriov_drivers_autoprobe: the VF goes through the same probe as any
     * new device. */
    if (autoprobe)
        sim_kernel_probe(ctx, addr);
    return TRUE;
}

static void
remove_vfs(SimCtx *ctx, const char *pf_dir)
{
    guint n = sim_sriov_numvfs(ctx, pf_dir);

    /* Last first, as sriov_disable() tears them down. */
    while (n-- > 0) {
        g_autofree char *name = g_strdup_printf("virtfn%u", n);
        g_autofree char *link = g_build_filename(pf_dir, name, NULL);
        g_autofree char *target = g_file_read_link(link, NULL);
        g_autofree char *addr = target ? g_path_get_basename(target) : NULL;

        if (addr)
            sim_pci_remove(ctx, addr);
        unlink(link);
    }
}

static int
set_numvfs(SimCtx *ctx, const char *pf_addr, const char *pf_dir, const char *value)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", pf_addr);
    g_autofree char *total_path = g_build_filename(pf_dir, "sriov_totalvfs", NULL);
    g_autofree char *total_str = sim_get(total_path);
    g_autofree char *autoprobe_path = g_build_filename(pf_dir, "sriov_drivers_autoprobe", NULL);
    g_autofree char *autoprobe = sim_get(autoprobe_path);
    g_autofree char *driver = NULL;
    g_autofree char *config = g_build_filename(pf_dir, "config", NULL);
    guint64 n, total;
    guint current, i;
    char *end = NULL;

    if (!total_str)
        return ENOENT;
    total = g_ascii_strtoull(total_str, NULL, 10);
    /* kstrtou16(buf, 0, ...) */
    n = g_ascii_strtoull(value, &end, 0);
    if (!*value || end == value || *end != '\0' || n > 0xffff)
        return EINVAL;
    if (n > total)
        return ERANGE;
    current = sim_sriov_numvfs(ctx, pf_dir);
    if (n == current)
        return 0;
    driver = sim_pci_driver(ctx, pf_addr);
    /* No driver, or one without sriov_configure: vfio-pci has one but
     * answers ENOENT unless loaded with enable_sriov=1. */
    if (!driver || strcmp(driver, "vfio-pci") == 0)
        return ENOENT;
    if (n == 0) {
        remove_vfs(ctx, pf_dir);
        sim_config_set_numvfs(config, 0);
        sim_vgpu_refresh(ctx, pf_addr);
        return 0;
    }
    if (current != 0)
        return EBUSY;
    for (i = 0; i < n; i++) {
        if (!add_vf(ctx, pf_addr, pf_dir, meta, i,
                    autoprobe && g_ascii_strtoull(autoprobe, NULL, 10) != 0)) {
            sim_log("cannot create VF %u of %s", i, pf_addr);
            remove_vfs(ctx, pf_dir);
            return EIO;
        }
    }
    sim_config_set_numvfs(config, n);
    sim_vgpu_refresh(ctx, pf_addr);
    return 0;
}

int
sim_sriov_set_numvfs(SimCtx *ctx, const char *pf_addr, const char *value)
{
    g_autofree char *pf_dir = sim_pci_dir(ctx, pf_addr);
    int err;

    if (!pf_dir)
        return ENODEV;
    err = set_numvfs(ctx, pf_addr, pf_dir, value);
    /* Whatever happened, the attribute shows the VFs that exist. */
    sim_sriov_refresh_numvfs(ctx, pf_addr);
    return err;
}
