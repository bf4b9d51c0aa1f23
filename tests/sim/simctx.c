/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulated host's own bookkeeping under BASE/sim: whether it has an
 * IOMMU, where the next BAR goes, what each device's native driver is. */
#include "config.h"

#include "simint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

SimCtx *
sim_ctx_open(const char *base)
{
    g_autofree char *host_path = NULL;
    SimCtx *ctx;
    char *real;

    real = realpath(base, NULL);
    if (!real)
        return NULL;
    ctx = g_new0(SimCtx, 1);
    /* Physical paths throughout: the interposer compares against what
     * /proc/self/fd/N says, which has every link resolved. */
    ctx->base = g_strdup(real);
    free(real);
    ctx->root = g_build_filename(ctx->base, "sys", NULL);
    ctx->meta = g_build_filename(ctx->base, "sim", NULL);
    ctx->host = g_key_file_new();
    host_path = g_build_filename(ctx->meta, "host.ini", NULL);
    if (!g_key_file_load_from_file(ctx->host, host_path, G_KEY_FILE_NONE, NULL)) {
        sim_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

SimCtx *
sim_ctx_from_env(void)
{
    const char *root = g_getenv("GPUPOOL_SYSFS_ROOT");
    g_autofree char *base = NULL;
    g_autofree char *marker = NULL;

    if (!root || !*root)
        return NULL;
    base = g_path_get_dirname(root);
    /* Only a tree that gp_sim_new() built: never react on a real /sys. */
    marker = g_build_filename(base, "sim", "host.ini", NULL);
    if (access(marker, F_OK) < 0)
        return NULL;
    return sim_ctx_open(base);
}

gboolean
sim_ctx_save(SimCtx *ctx)
{
    g_autofree char *path = g_build_filename(ctx->meta, "host.ini", NULL);
    gsize len;
    g_autofree char *data = g_key_file_to_data(ctx->host, &len, NULL);

    return sim_put(path, data, len);
}

void
sim_ctx_free(SimCtx *ctx)
{
    if (!ctx)
        return;
    g_free(ctx->base);
    g_free(ctx->root);
    g_free(ctx->meta);
    if (ctx->host)
        g_key_file_unref(ctx->host);
    g_free(ctx);
}

gboolean
sim_ctx_iommu(SimCtx *ctx)
{
    return g_key_file_get_boolean(ctx->host, "host", "iommu", NULL);
}

/* Group numbers come from an IDA in the kernel: a freed number is the
 * next one handed out.  host.ini keeps the freed ones and the high mark. */
static gint
compare_ints(gconstpointer a, gconstpointer b)
{
    return *(const gint *)a - *(const gint *)b;
}

int
sim_group_new(SimCtx *ctx)
{
    gsize n_free = 0;
    g_autofree gint *freed = g_key_file_get_integer_list(ctx->host, "host", "free_groups",
                                                          &n_free, NULL);
    int group;
    g_autofree char *dir = NULL;
    g_autofree char *devices = NULL;
    g_autofree char *type = NULL;
    g_autofree char *regions = NULL;

    if (freed && n_free > 0) {
        qsort(freed, n_free, sizeof(gint), compare_ints);
        group = freed[0];
        if (n_free > 1)
            g_key_file_set_integer_list(ctx->host, "host", "free_groups", freed + 1, n_free - 1);
        else
            g_key_file_remove_key(ctx->host, "host", "free_groups", NULL);
    } else {
        group = g_key_file_get_integer(ctx->host, "host", "next_group", NULL);
        g_key_file_set_integer(ctx->host, "host", "next_group", group + 1);
    }
    sim_ctx_save(ctx);
    dir = g_strdup_printf("%s/kernel/iommu_groups/%d", ctx->root, group);
    devices = g_build_filename(dir, "devices", NULL);
    type = g_build_filename(dir, "type", NULL);
    regions = g_build_filename(dir, "reserved_regions", NULL);
    sim_mkdir(devices);
    sim_putf(type, "DMA\n");
    sim_putf(regions, "0x00000000fee00000 0x00000000feefffff msi\n");
    return group;
}

void
sim_group_join(SimCtx *ctx, int group, const char *dev_dir)
{
    g_autofree char *gdir = g_strdup_printf("%s/kernel/iommu_groups/%d", ctx->root, group);
    g_autofree char *name = g_path_get_basename(dev_dir);
    g_autofree char *back = g_build_filename(gdir, "devices", name, NULL);
    g_autofree char *link = g_build_filename(dev_dir, "iommu_group", NULL);

    if (!sim_exists(gdir)) {
        sim_log("IOMMU group %d does not exist (joining %s)", group, name);
        return;
    }
    sim_symlink(link, gdir);
    sim_symlink(back, dev_dir);
}

/* A device leaving takes its group with it when it was the last member,
 * as iommu_group_remove_device() releases the group's last reference. */
void
sim_group_leave(SimCtx *ctx, const char *dev_dir)
{
    g_autofree char *link = g_build_filename(dev_dir, "iommu_group", NULL);
    g_autofree char *name = g_path_get_basename(dev_dir);
    g_autofree char *gdir = realpath(link, NULL);
    g_autofree char *back = NULL;
    g_autofree char *devices = NULL;
    g_autoptr(GDir) dir = NULL;

    if (!gdir)
        return;
    back = g_build_filename(gdir, "devices", name, NULL);
    unlink(back);
    unlink(link);
    devices = g_build_filename(gdir, "devices", NULL);
    dir = g_dir_open(devices, 0, NULL);
    if (dir && !g_dir_read_name(dir)) {
        g_autofree char *num = g_path_get_basename(gdir);
        gsize n_free = 0;
        g_autofree gint *freed = g_key_file_get_integer_list(ctx->host, "host", "free_groups",
                                                              &n_free, NULL);
        g_autofree gint *more = g_new(gint, n_free + 1);

        if (n_free)
            memcpy(more, freed, n_free * sizeof(gint));
        more[n_free] = atoi(num);
        g_key_file_set_integer_list(ctx->host, "host", "free_groups", more, n_free + 1);
        sim_ctx_save(ctx);
        sim_rm_rf(gdir);
    }
}

SimSpace
sim_bar_space(const GpSimBar *bar)
{
    if (bar->io)
        return SIM_SPACE_IO;
    /* A bridge's only 64-bit window is its prefetchable one, so firmware
     * puts non-prefetchable BARs below 4 GiB even when they are 64-bit. */
    if (bar->is_64bit && bar->prefetchable)
        return SIM_SPACE_MEM64;
    return SIM_SPACE_MEM32;
}

guint64
sim_alloc_mmio(SimCtx *ctx, guint domain, guint64 size, guint64 align, SimSpace space)
{
    static const char *const names[] = { "mem32", "mem64", "io" };
    g_autofree char *key = g_strdup_printf("%s_%04x", names[space], domain);
    guint64 start, next, limit;

    switch (space) {
    case SIM_SPACE_IO:
        start = 0x1000;
        limit = 0x10000;
        break;
    case SIM_SPACE_MEM64:
        /* 64 TiB of 64-bit space per domain: room for 128 A100s. */
        start = ((guint64)domain + 1) << 46;
        limit = ((guint64)domain + 2) << 46;
        break;
    default:
        start = 0x60000000;
        limit = 0xf0000000;
        break;
    }
    if (align < 0x1000 && space != SIM_SPACE_IO)
        align = 0x1000;
    next = g_key_file_get_uint64(ctx->host, "alloc", key, NULL);
    if (next == 0)
        next = start;
    next = (next + align - 1) & ~(align - 1);
    if (next + size > limit)
        sim_log("%s space of domain %04x exhausted: BAR of %" G_GUINT64_FORMAT
                " bytes at 0x%" G_GINT64_MODIFIER "x overlaps what follows", names[space],
                domain, size, next);
    g_key_file_set_uint64(ctx->host, "alloc", key, next + size);
    return next;
}

static char *
meta_path(SimCtx *ctx, const char *kind, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".ini", NULL);

    return g_build_filename(ctx->meta, kind, file, NULL);
}

GKeyFile *
sim_meta_load(SimCtx *ctx, const char *kind, const char *name)
{
    g_autofree char *path = meta_path(ctx, kind, name);
    GKeyFile *kf = g_key_file_new();

    g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL);
    return kf;
}

gboolean
sim_meta_save(SimCtx *ctx, const char *kind, const char *name, GKeyFile *kf)
{
    g_autofree char *path = meta_path(ctx, kind, name);
    g_autofree char *dir = g_path_get_dirname(path);
    gsize len;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);

    return sim_mkdir(dir) && sim_put(path, data, len);
}

void
sim_meta_remove(SimCtx *ctx, const char *kind, const char *name)
{
    g_autofree char *path = meta_path(ctx, kind, name);

    unlink(path);
}
