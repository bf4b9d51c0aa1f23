/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The structures every back end fills and the helpers they share that
 * need no host: compiled into the core, which lends them to modules by
 * symbol (they are plain data handling, not host access). */
#include "config.h"

#include "backend.h"

#include <string.h>

G_DEFINE_QUARK(gp-backend-error-quark, gp_backend_error)

const char *
gp_part_kind_to_string(GpPartKind kind)
{
    switch (kind) {
    case GP_PART_KIND_WHOLE:
        return "whole";
    case GP_PART_KIND_MDEV:
        return "mdev";
    case GP_PART_KIND_VF:
        return "vf";
    }
    return "unknown";
}

/* ---- Structures --------------------------------------------------------- */

GpPartProfile *
gp_part_profile_new(const char *id, const char *name)
{
    GpPartProfile *profile = g_new0(GpPartProfile, 1);

    profile->id = g_strdup(id);
    profile->name = g_strdup(name && *name ? name : id);
    return profile;
}

void
gp_part_profile_free(GpPartProfile *profile)
{
    if (!profile)
        return;
    g_free(profile->id);
    g_free(profile->name);
    g_free(profile->description);
    g_free(profile);
}

GpPartInfo *
gp_part_info_new(const char *device)
{
    GpPartInfo *info = g_new0(GpPartInfo, 1);

    info->device = g_strdup(device);
    info->profiles = g_ptr_array_new_with_free_func((GDestroyNotify)gp_part_profile_free);
    info->valid_counts = g_array_new(FALSE, FALSE, sizeof(guint));
    return info;
}

void
gp_part_info_free(GpPartInfo *info)
{
    if (!info)
        return;
    g_free(info->device);
    g_ptr_array_unref(info->profiles);
    g_array_unref(info->valid_counts);
    g_free(info->profile);
    g_free(info);
}

void
gp_part_info_add_count(GpPartInfo *info, guint count)
{
    guint i;

    if (count == 0)
        return;
    for (i = 0; i < info->valid_counts->len; i++) {
        guint c = g_array_index(info->valid_counts, guint, i);

        if (c == count)
            return;
        if (c > count)
            break;
    }
    g_array_insert_val(info->valid_counts, i, count);
}

gboolean
gp_part_info_has_count(const GpPartInfo *info, guint count)
{
    for (guint i = 0; i < info->valid_counts->len; i++) {
        if (g_array_index(info->valid_counts, guint, i) == count)
            return TRUE;
    }
    return FALSE;
}

char *
gp_part_info_counts_text(const GpPartInfo *info)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < info->valid_counts->len; i++)
        g_string_append_printf(s, "%s%u", i ? ", " : "",
                               g_array_index(info->valid_counts, guint, i));
    return g_string_free(s, FALSE);
}

void
gp_part_info_set_current(GpPartInfo *info)
{
    const GpPartProfile *only = NULL;

    for (guint i = 0; i < info->profiles->len; i++) {
        const GpPartProfile *p = info->profiles->pdata[i];

        if (!p->in_use)
            continue;
        if (only)
            return; /* mixed: no one profile is the device's setting */
        only = p;
    }
    if (!only)
        return;
    g_free(info->profile);
    info->profile = g_strdup(only->id);
    info->count = only->max_instances;
}

GpPartProfile *
gp_part_info_find_profile(const GpPartInfo *info, const char *id)
{
    for (guint i = 0; id && i < info->profiles->len; i++) {
        GpPartProfile *profile = info->profiles->pdata[i];

        if (strcmp(profile->id, id) == 0)
            return profile;
    }
    return NULL;
}

GpPartition *
gp_partition_new(GpPartKind kind, const char *parent)
{
    GpPartition *part = g_new0(GpPartition, 1);

    part->kind = kind;
    part->parent = g_strdup(parent);
    return part;
}

void
gp_partition_free(GpPartition *part)
{
    if (!part)
        return;
    g_free(part->parent);
    g_free(part->uuid);
    g_free(part->address);
    g_free(part->profile);
    g_free(part);
}

/* ---- Profile names ------------------------------------------------------ */

/* "4Q", "12C", "48A": the number of GiB in an NVIDIA profile name's last
 * dash-separated word. */
static guint64
parse_nvidia_suffix(const char *text)
{
    const char *dash = strrchr(text, '-');
    const char *p;
    guint64 n = 0;

    if (!dash || !g_ascii_isdigit(dash[1]))
        return 0;
    for (p = dash + 1; g_ascii_isdigit(*p); p++)
        n = n * 10 + (guint64)(*p - '0');
    if (n == 0 || n > 4096)
        return 0;
    /* A profile letter (Q, C, A, B) and nothing after it. */
    if (!g_ascii_isalpha(p[0]) || p[1] != '\0')
        return 0;
    return n << 30;
}

/* "framebuffer=1024M" (NVIDIA's mdev descriptions). */
static guint64
parse_framebuffer_attr(const char *text)
{
    const char *p = strstr(text, "framebuffer=");
    char *end = NULL;
    guint64 n;

    if (!p)
        return 0;
    p += strlen("framebuffer=");
    n = g_ascii_strtoull(p, &end, 10);
    if (end == p)
        return 0;
    switch (g_ascii_toupper(*end)) {
    case 'G':
        return n << 30;
    case 'M':
        return n << 20;
    case 'K':
        return n << 10;
    default:
        return n;
    }
}

/* "64 MB", "4MiB", "2 GB" anywhere in the text. */
static guint64
parse_size_words(const char *text)
{
    for (const char *p = text; *p; p++) {
        char *end = NULL;
        guint64 n;

        if (!g_ascii_isdigit(*p) || (p > text && (g_ascii_isalnum(p[-1]) || p[-1] == 'x')))
            continue;
        n = g_ascii_strtoull(p, &end, 10);
        while (*end == ' ')
            end++;
        if (g_str_has_prefix(end, "MB") || g_str_has_prefix(end, "MiB"))
            return n << 20;
        if (g_str_has_prefix(end, "GB") || g_str_has_prefix(end, "GiB"))
            return n << 30;
        p = end - 1;
    }
    return 0;
}

guint64
gp_backend_parse_vram(const char *text)
{
    guint64 v;

    if (!text)
        return 0;
    if ((v = parse_framebuffer_attr(text)))
        return v;
    if ((v = parse_nvidia_suffix(text)))
        return v;
    return parse_size_words(text);
}
