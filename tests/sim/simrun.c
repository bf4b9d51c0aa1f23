/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a program, normally the built gpupool, against the simulated
 * host: the sim's environment plus the preload object that gives the child
 * the same simulated kernel. */
#include "config.h"

#include "sim.h"
#include "simint.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* $top_builddir as the test harness sets it; otherwise derived from where
 * this test binary lives (tests/unit/, or tests/unit/.libs/ under
 * libtool). */
static char *
builddir(void)
{
    const char *env = g_getenv("top_builddir");
    g_autofree char *exe = NULL;
    g_autofree char *dir = NULL;

    if (env && *env)
        return g_strdup(env);
    exe = g_file_read_link("/proc/self/exe", NULL);
    if (!exe)
        return g_strdup(".");
    dir = g_path_get_dirname(exe);
    if (g_str_has_suffix(dir, "/.libs")) {
        char *up = g_path_get_dirname(dir);

        g_free(dir);
        dir = up;
    }
    return g_build_filename(dir, "..", "..", NULL);
}

char *
gp_sim_gpupool_path(void)
{
    g_autofree char *top = builddir();

    return g_build_filename(top, "src", "gpupool", NULL);
}

char *
gp_sim_hook_path(void)
{
    g_autofree char *top = builddir();

    return g_build_filename(top, "hooks", "gpupool-hook", NULL);
}

char *
gp_sim_preload_path(void)
{
    g_autofree char *top = builddir();

    return g_build_filename(top, "tests", "sim", ".libs", "libgpsim-preload.so", NULL);
}

gboolean
gp_sim_run(GpSim *sim, const char *const *argv, char **out, char **err, int *status)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *preload = gp_sim_preload_path();
    g_autofree char *gpupool = NULL;
    g_auto(GStrv) envp = g_get_environ();
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_autofree char *child_out = NULL;
    g_autofree char *child_err = NULL;
    int wait_status = 0;
    guint i;

    if (!g_file_test(preload, G_FILE_TEST_EXISTS)) {
        sim_log("preload object %s is missing: build tests/sim/libgpsim-preload.la", preload);
        return FALSE;
    }
    for (i = 0; argv[i]; i++)
        g_ptr_array_add(args, (gpointer)argv[i]);
    g_ptr_array_add(args, NULL);
    if (strcmp(argv[0], "gpupool") == 0) {
        gpupool = gp_sim_gpupool_path();
        args->pdata[0] = gpupool;
    }
    envp = g_environ_setenv(envp, "GPUPOOL_SYSFS_ROOT", gp_sim_root(sim), TRUE);
    envp = g_environ_setenv(envp, "GPUPOOL_CONFDIR", gp_sim_confdir(sim), TRUE);
    envp = g_environ_setenv(envp, "GPUPOOL_STATEDIR", gp_sim_statedir(sim), TRUE);
    envp = g_environ_setenv(envp, "GPUPOOL_SYSLOG_SOCKET", gp_sim_syslog(sim), TRUE);
    envp = g_environ_setenv(envp, "LD_PRELOAD", preload, TRUE);
    if (!g_spawn_sync(NULL, (char **)args->pdata, envp, G_SPAWN_SEARCH_PATH, NULL, NULL,
                      &child_out, &child_err, &wait_status, &error)) {
        sim_log("cannot run %s: %s", (const char *)args->pdata[0], error->message);
        return FALSE;
    }
    if (status) {
        if (WIFEXITED(wait_status))
            *status = WEXITSTATUS(wait_status);
        else if (WIFSIGNALED(wait_status))
            *status = 128 + WTERMSIG(wait_status);
        else
            *status = -1;
    }
    if (out)
        *out = g_steal_pointer(&child_out);
    if (err)
        *err = g_steal_pointer(&child_err);
    return TRUE;
}
