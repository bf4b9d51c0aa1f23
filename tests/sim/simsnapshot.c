/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A deterministic text picture of the whole simulated sysfs, so a test can
 * prove that a command left the host exactly as it found it. */
#include "config.h"

#include "sim.h"
#include "simint.h"

#include <string.h>
#include <sys/stat.h>

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
dump_file(GString *out, const char *rel, const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, NULL)) {
        g_string_append_printf(out, "f %s unreadable\n", rel);
        return;
    }
    /* Config space and anything else binary: its size and a digest. */
    if (memchr(data, '\0', len) || !g_utf8_validate(data, len, NULL)) {
        g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                                           (const guchar *)data, len);

        g_string_append_printf(out, "b %s %" G_GSIZE_FORMAT " sha256:%s\n", rel, len, sum);
    } else {
        g_autofree char *escaped = g_strescape(data, NULL);

        g_string_append_printf(out, "f %s \"%s\"\n", rel, escaped);
    }
}

static void
walk(GString *out, const char *root, const char *rel)
{
    g_autofree char *path = *rel ? g_build_filename(root, rel, NULL) : g_strdup(root);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    guint i;

    while (dir && (name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);
    for (i = 0; i < names->len; i++) {
        g_autofree char *child_rel = *rel ? g_build_filename(rel, names->pdata[i], NULL)
                                          : g_strdup(names->pdata[i]);
        g_autofree char *child = g_build_filename(root, child_rel, NULL);
        struct stat st;

        if (lstat(child, &st) < 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            g_autofree char *target = g_file_read_link(child, NULL);

            g_string_append_printf(out, "l %s -> %s\n", child_rel, target ? target : "?");
        } else if (S_ISDIR(st.st_mode)) {
            g_string_append_printf(out, "d %s/\n", child_rel);
            walk(out, root, child_rel);
        } else {
            dump_file(out, child_rel, child);
        }
    }
}

char *
gp_sim_snapshot(GpSim *sim)
{
    GString *out = g_string_new(NULL);

    walk(out, gp_sim_root(sim), "");
    return g_string_free(out, FALSE);
}
