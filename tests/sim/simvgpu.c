/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NVIDIA vGPU on SR-IOV GPUs (Ada, Hopper and later): each VF bound to
 * nvidia has nvidia/creatable_vgpu_types and nvidia/current_vgpu_type;
 * the vGPU types draw on the PF's framebuffer.
 *
 * PF.ini [vgpu] holds the capacity, [vgpu-type ID] each type; VF.ini
 * [vgpu] current mirrors current_vgpu_type so a failed write (after the
 * writer's O_TRUNC) can put the old value back. */
#include "config.h"

#include "simint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VGPU_DRIVER "nvidia"

void
sim_vgpu_define(SimCtx *ctx, const char *pf_addr, guint64 capacity, gboolean homogeneous)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", pf_addr);

    g_key_file_set_uint64(meta, "vgpu", "capacity", capacity);
    g_key_file_set_boolean(meta, "vgpu", "homogeneous", homogeneous);
    sim_meta_save(ctx, "pci", pf_addr, meta);
    sim_vgpu_refresh(ctx, pf_addr);
}

void
sim_vgpu_define_type(SimCtx *ctx, const char *pf_addr, guint id, const char *name, guint64 cost)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", pf_addr);
    g_autofree char *group = g_strdup_printf("vgpu-type %u", id);

    g_key_file_set_string(meta, group, "name", name);
    g_key_file_set_uint64(meta, group, "cost", cost);
    sim_meta_save(ctx, "pci", pf_addr, meta);
    sim_vgpu_refresh(ctx, pf_addr);
}

static guint
vf_current(SimCtx *ctx, const char *vf_addr)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", vf_addr);

    return g_key_file_get_integer(meta, "vgpu", "current", NULL);
}

static void
vf_set_current(SimCtx *ctx, const char *vf_addr, guint id)
{
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", vf_addr);

    g_key_file_set_integer(meta, "vgpu", "current", id);
    sim_meta_save(ctx, "pci", vf_addr, meta);
}

static gint
compare_ids(gconstpointer a, gconstpointer b)
{
    guint x = GPOINTER_TO_UINT(*(gconstpointer *)a), y = GPOINTER_TO_UINT(*(gconstpointer *)b);

    return x < y ? -1 : x > y;
}

/* Type IDs a VF without a vGPU could take now, ascending. */
static GPtrArray *
creatable(SimCtx *ctx, const char *pf_addr, GKeyFile *pf_meta)
{
    g_autofree char *pf_dir = sim_pci_dir(ctx, pf_addr);
    g_auto(GStrv) groups = g_key_file_get_groups(pf_meta, NULL);
    guint64 capacity = g_key_file_get_uint64(pf_meta, "vgpu", "capacity", NULL);
    gboolean homogeneous = g_key_file_get_boolean(pf_meta, "vgpu", "homogeneous", NULL);
    GPtrArray *ids = g_ptr_array_new();
    guint64 used = 0;
    guint in_use = 0, n, i;

    n = pf_dir ? sim_sriov_numvfs(ctx, pf_dir) : 0;
    for (i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("virtfn%u", i);
        g_autofree char *link = g_build_filename(pf_dir, name, NULL);
        g_autofree char *target = g_file_read_link(link, NULL);
        g_autofree char *vf = target ? g_path_get_basename(target) : NULL;
        g_autofree char *group = NULL;
        guint cur = vf ? vf_current(ctx, vf) : 0;

        if (!cur)
            continue;
        group = g_strdup_printf("vgpu-type %u", cur);
        used += g_key_file_get_uint64(pf_meta, group, "cost", NULL);
        in_use = cur;
    }
    for (i = 0; groups[i]; i++) {
        guint64 cost;
        guint id;

        if (!g_str_has_prefix(groups[i], "vgpu-type "))
            continue;
        id = (guint)g_ascii_strtoull(groups[i] + 10, NULL, 10);
        cost = g_key_file_get_uint64(pf_meta, groups[i], "cost", NULL);
        if (used + cost > capacity)
            continue;
        if (homogeneous && in_use && in_use != id)
            continue;
        g_ptr_array_add(ids, GUINT_TO_POINTER(id));
    }
    g_ptr_array_sort(ids, compare_ids);
    return ids;
}

void
sim_vgpu_refresh_vf(SimCtx *ctx, const char *vf_dir)
{
    g_autofree char *vf_addr = g_path_get_basename(vf_dir);
    g_autoptr(GKeyFile) vf_meta = sim_meta_load(ctx, "pci", vf_addr);
    g_autofree char *pf_addr = g_key_file_get_string(vf_meta, "device", "pf", NULL);
    g_autoptr(GKeyFile) pf_meta = NULL;
    g_autofree char *nv_dir = g_build_filename(vf_dir, "nvidia", NULL);
    g_autofree char *driver = NULL;
    g_autofree char *cur_path = NULL;
    g_autofree char *list_path = NULL;
    g_autoptr(GPtrArray) ids = NULL;
    GString *table;
    guint cur, i;

    if (!pf_addr)
        return;
    pf_meta = sim_meta_load(ctx, "pci", pf_addr);
    if (!g_key_file_has_group(pf_meta, "vgpu"))
        return;
    driver = sim_pci_driver(ctx, vf_addr);
    if (!driver || strcmp(driver, VGPU_DRIVER) != 0) {
        /* The files belong to the nvidia driver: gone with it, and so is
         * the VF's vGPU. */
        if (sim_exists(nv_dir))
            sim_rm_rf(nv_dir);
        if (vf_current(ctx, vf_addr))
            vf_set_current(ctx, vf_addr, 0);
        return;
    }
    sim_mkdir(nv_dir);
    cur = vf_current(ctx, vf_addr);
    cur_path = g_build_filename(nv_dir, "current_vgpu_type", NULL);
    list_path = g_build_filename(nv_dir, "creatable_vgpu_types", NULL);
    sim_putf(cur_path, "%u\n", cur);
    table = g_string_new("ID    : vGPU Name\n");
    /* A VF that has a vGPU can take no other. */
    ids = cur ? g_ptr_array_new() : creatable(ctx, pf_addr, pf_meta);
    for (i = 0; i < ids->len; i++) {
        guint id = GPOINTER_TO_UINT(ids->pdata[i]);
        g_autofree char *group = g_strdup_printf("vgpu-type %u", id);
        g_autofree char *name = g_key_file_get_string(pf_meta, group, "name", NULL);

        g_string_append_printf(table, "%-6u: %s\n", id, name ? name : "");
    }
    sim_put(list_path, table->str, table->len);
    g_string_free(table, TRUE);
}

void
sim_vgpu_refresh(SimCtx *ctx, const char *pf_addr)
{
    g_autofree char *pf_dir = sim_pci_dir(ctx, pf_addr);
    guint n, i;

    if (!pf_dir)
        return;
    n = sim_sriov_numvfs(ctx, pf_dir);
    for (i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("virtfn%u", i);
        g_autofree char *link = g_build_filename(pf_dir, name, NULL);
        g_autofree char *vf_dir = realpath(link, NULL);

        if (vf_dir)
            sim_vgpu_refresh_vf(ctx, vf_dir);
    }
}

int
sim_vgpu_set_type(SimCtx *ctx, const char *vf_dir, const char *value)
{
    g_autofree char *vf_addr = g_path_get_basename(vf_dir);
    g_autoptr(GKeyFile) vf_meta = sim_meta_load(ctx, "pci", vf_addr);
    g_autofree char *pf_addr = g_key_file_get_string(vf_meta, "device", "pf", NULL);
    g_autoptr(GKeyFile) pf_meta = NULL;
    g_autoptr(GPtrArray) ids = NULL;
    char *end = NULL;
    guint64 id;
    int err = 0;

    if (!pf_addr) {
        sim_log("%s has nvidia/current_vgpu_type but is not a simulated VF", vf_dir);
        return EIO;
    }
    pf_meta = sim_meta_load(ctx, "pci", pf_addr);
    id = g_ascii_strtoull(value, &end, 10);
    if (!*value || end == value || *end != '\0') {
        err = EINVAL;
    } else if (id == 0) {
        vf_set_current(ctx, vf_addr, 0);
    } else if (vf_current(ctx, vf_addr) != 0) {
        err = EBUSY;
    } else {
        ids = creatable(ctx, pf_addr, pf_meta);
        if (!g_ptr_array_find(ids, GUINT_TO_POINTER((guint)id), NULL))
            err = EINVAL;
        else
            vf_set_current(ctx, vf_addr, id);
    }
    /* Every VF's list depends on the PF's free framebuffer; and a failed
     * write gets its old value back. */
    sim_vgpu_refresh(ctx, pf_addr);
    return err;
}
