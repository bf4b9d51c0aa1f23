/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gpupool command run as the admin runs it (see cli-runner.h). */
#include "config.h"

#include "cli-runner.h"

#include <criterion/criterion.h>
#include <string.h>

void
gp_test_run_free(GpTestRun *r)
{
    if (!r)
        return;
    g_free(r->command);
    g_free(r->out);
    g_free(r->err);
    g_free(r);
}

GpTestRun *
gp_test_run_va(GpSim *sim, const char *first, va_list ap)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    GpTestRun *r = g_new0(GpTestRun, 1);
    const char *arg;

    r->command = g_strdup(first);
    g_ptr_array_add(argv, (gpointer) "gpupool");
    for (arg = first; arg; arg = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)arg);
    g_ptr_array_add(argv, NULL);
    cr_assert(gp_sim_run(sim, (const char *const *)argv->pdata, &r->out, &r->err, &r->status));
    return r;
}

GpTestRun *
gp_test_run(GpSim *sim, const char *first, ...)
{
    va_list ap;
    GpTestRun *r;

    va_start(ap, first);
    r = gp_test_run_va(sim, first, ap);
    va_end(ap);
    return r;
}

GpTestRun *
gp_test_succeeded(GpTestRun *r)
{
    cr_assert_eq(r->status, 0, "gpupool %s failed (%d): %s", r->command, r->status, r->err);
    return r;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *
gp_test_state_dump(GpSim *sim)
{
    g_autofree char *pooldir = g_build_filename(gp_sim_confdir(sim), "pools", NULL);
    g_autofree char *claims = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
    g_autoptr(GDir) dir = g_dir_open(pooldir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GString *out = g_string_new(NULL);
    g_autofree char *cl = NULL;
    const char *name;

    while (dir && (name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(pooldir, names->pdata[i], NULL);
        g_autofree char *data = NULL;

        g_file_get_contents(path, &data, NULL, NULL);
        g_string_append_printf(out, "== %s\n%s", (char *)names->pdata[i], data ? data : "");
    }
    if (g_file_get_contents(claims, &cl, NULL, NULL))
        g_string_append_printf(out, "== claims\n%s", cl);
    return g_string_free(out, FALSE);
}

void
gp_test_assert_same_host(const char *after, const char *before, const char *what)
{
    g_auto(GStrv) a = NULL;
    g_auto(GStrv) b = NULL;
    g_autoptr(GString) diff = NULL;

    if (strcmp(after, before) == 0)
        return;
    a = g_strsplit(after, "\n", -1);
    b = g_strsplit(before, "\n", -1);
    diff = g_string_new(NULL);
    for (guint i = 0; b[i]; i++)
        if (!g_strv_contains((const char *const *)a, b[i]))
            g_string_append_printf(diff, "- %.200s\n", b[i]);
    for (guint i = 0; a[i]; i++)
        if (!g_strv_contains((const char *const *)b, a[i]))
            g_string_append_printf(diff, "+ %.200s\n", a[i]);
    cr_assert_fail("%s changed the host:\n%s", what, diff->str);
}

void
gp_test_assert_driver(GpSim *sim, const char *addr, const char *want)
{
    g_autofree char *driver = gp_sim_driver(sim, addr);

    cr_assert_str_eq(driver ? driver : "(none)", want ? want : "(none)", "%s", addr);
}
