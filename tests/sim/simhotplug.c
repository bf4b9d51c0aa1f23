/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A PCI function that leaves the bus and comes back: the device's sysfs
 * "remove" and bus/pci/rescan, as pci_stop_and_remove_bus_device() and
 * pci_rescan_bus() do them.  A removed function's directory is kept under
 * BASE/sim/removed/ADDR so that a rescan finds the same function again
 * (the hardware is still in its slot); its key file under BASE/sim/pci
 * stays, with the parent directory it came from. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "simint.h"

static char *
removed_dir(SimCtx *ctx, const char *addr)
{
    return g_build_filename(ctx->meta, "removed", addr, NULL);
}

/* Does DIR hold PCI functions of its own (a bridge with devices behind
 * it, or a PF with VFs)? */
static gboolean
has_children(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *config = g_build_filename(dir, name, "config", NULL);

        if (sim_parse_addr(name, NULL, NULL, NULL, NULL) && sim_exists(config))
            return TRUE;
        if (g_str_has_prefix(name, "virtfn"))
            return TRUE;
    }
    return FALSE;
}

int
sim_pci_hot_remove(SimCtx *ctx, const char *dev_dir, const char *value)
{
    g_autofree char *addr = g_path_get_basename(dev_dir);
    g_autofree char *parent = g_path_get_dirname(dev_dir);
    g_autofree char *aside = removed_dir(ctx, addr);
    g_autofree char *aside_up = g_path_get_dirname(aside);
    g_autofree char *bus_link = g_build_filename(ctx->root, "bus/pci/devices", addr, NULL);
    g_autofree char *dmar_back = g_build_filename(ctx->root,
                                                  "devices/virtual/iommu/dmar0/devices",
                                                  addr, NULL);
    g_autofree char *driver = sim_pci_driver(ctx, addr);
    g_autoptr(GKeyFile) meta = NULL;
    guint64 v;
    const char *links[] = { "subsystem", "iommu" };

    /* remove_store(): kstrtoul, and only a non-zero value removes. */
    if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &v, NULL))
        return EINVAL;
    if (v == 0)
        return 0;
    if (has_children(dev_dir)) {
        sim_log("removing %s would take the functions behind it along: not simulated", addr);
        return EINVAL;
    }
    /* The driver's remove() runs first, as at unbind. */
    if (driver)
        sim_kernel_unbind(ctx, driver, addr);
    sim_group_leave(ctx, dev_dir);
    unlink(dmar_back);
    unlink(bus_link);
    for (guint i = 0; i < G_N_ELEMENTS(links); i++) {
        g_autofree char *link = g_build_filename(dev_dir, links[i], NULL);

        unlink(link);
    }
    meta = sim_meta_load(ctx, "pci", addr);
    g_key_file_set_string(meta, "removed", "parent_dir", parent);
    /* A new pci_dev comes back: no override, as after a boot. */
    g_key_file_remove_key(meta, "device", "override", NULL);
    sim_meta_save(ctx, "pci", addr, meta);
    if (!sim_mkdir(aside_up) || rename(dev_dir, aside) != 0) {
        sim_log("cannot move %s aside: %s", dev_dir, g_strerror(errno));
        return EIO;
    }
    return 0;
}

/* One removed function back where it was, probed by its driver. */
static void
bring_back(SimCtx *ctx, const char *addr)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", addr);
    g_autofree char *parent = g_key_file_get_string(meta, "removed", "parent_dir", NULL);
    g_autofree char *aside = removed_dir(ctx, addr);
    g_autofree char *dir = parent ? g_build_filename(parent, addr, NULL) : NULL;
    g_autofree char *bus_link = g_build_filename(ctx->root, "bus/pci/devices", addr, NULL);
    g_autofree char *subsystem = NULL;
    g_autofree char *bus_dir = g_build_filename(ctx->root, "bus/pci", NULL);
    g_autofree char *override = NULL;

    /* Behind a bridge that went away itself: stays gone. */
    if (!parent || !g_file_test(parent, G_FILE_TEST_IS_DIR))
        return;
    if (rename(aside, dir) != 0) {
        sim_log("cannot bring %s back: %s", addr, g_strerror(errno));
        return;
    }
    g_key_file_remove_group(meta, "removed", NULL);
    sim_meta_save(ctx, "pci", addr, meta);
    subsystem = g_build_filename(dir, "subsystem", NULL);
    sim_symlink(subsystem, bus_dir);
    sim_symlink(bus_link, dir);
    override = g_build_filename(dir, "driver_override", NULL);
    sim_putf(override, "(null)\n");
    if (sim_ctx_iommu(ctx)) {
        g_autofree char *iommu = g_build_filename(dir, "iommu", NULL);
        g_autofree char *dmar = g_build_filename(ctx->root, "devices/virtual/iommu/dmar0", NULL);
        g_autofree char *back = g_build_filename(dmar, "devices", addr, NULL);

        sim_symlink(iommu, dmar);
        sim_symlink(back, dir);
        sim_group_join(ctx, sim_group_new(ctx), dir);
        sim_ctx_save(ctx);
    }
    sim_kernel_probe(ctx, addr);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
sim_pci_rescan(SimCtx *ctx, const char *value)
{
    g_autofree char *removed = g_build_filename(ctx->meta, "removed", NULL);
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    guint64 v;

    if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &v, NULL))
        return EINVAL;
    if (v == 0)
        return 0;
    d = g_dir_open(removed, 0, NULL);
    while (d && (name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++)
        bring_back(ctx, names->pdata[i]);
    return 0;
}

int
sim_pci_set_dead(SimCtx *ctx, const char *addr)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *config = dir ? g_build_filename(dir, "config", NULL) : NULL;
    g_autofree char *old = NULL;
    gsize len = 0;
    g_autofree guint8 *ones = NULL;

    if (!dir || !g_file_get_contents(config, &old, &len, NULL))
        return ENODEV;
    ones = g_malloc(len);
    memset(ones, 0xff, len);
    return sim_put(config, ones, len) ? 0 : EIO;
}
