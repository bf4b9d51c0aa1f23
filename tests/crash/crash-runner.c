/* Running commands with the crash-injection preload (crash-runner.h). */
#include "config.h"

#include "crash-runner.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *
builddir(void)
{
    const char *env = g_getenv("top_builddir");

    return g_strdup(env && *env ? env : GP_TOP_BUILDDIR);
}

void
gp_crash_run_clear(GpCrashRun *run)
{
    g_free(run->last);
    g_free(run->log);
    g_free(run->out);
    g_free(run->err);
}

typedef struct {
    const char *stdin_path;
} ChildSetup;

static void
child_setup(gpointer data)
{
    ChildSetup *cs = data;
    int fd = open(cs->stdin_path, O_RDONLY);

    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        close(fd);
    }
}

static char *
last_line(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    guint n = g_strv_length(lines);

    while (n > 0 && !*lines[n - 1])
        n--;
    return n ? g_strdup(lines[n - 1]) : NULL;
}

void
gp_crash_run(GpSim *sim, const char *const *argv, const char *stdin_text, guint kill_at,
             GpCrashRun *run)
{
    g_autofree char *top = builddir();
    g_autofree char *crash = g_build_filename(top, "tests", "crash", ".libs",
                                              "libgpcrash-preload.so", NULL);
    g_autofree char *sim_preload = gp_sim_preload_path();
    g_autofree char *preload = g_strdup_printf("%s:%s", crash, sim_preload);
    g_autofree char *counter = g_build_filename(gp_sim_base(sim), "crash-counter", NULL);
    g_autofree char *log = g_build_filename(gp_sim_base(sim), "crash-log", NULL);
    g_autofree char *input = g_build_filename(gp_sim_base(sim), "crash-stdin", NULL);
    g_autofree char *at = g_strdup_printf("%u", kill_at);
    g_autofree char *prog = NULL;
    g_autofree char *count_text = NULL;
    g_auto(GStrv) envp = g_get_environ();
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    ChildSetup cs = { .stdin_path = input };
    int wait_status = 0;

    memset(run, 0, sizeof(*run));
    g_assert(g_file_test(crash, G_FILE_TEST_EXISTS));
    g_assert(g_file_set_contents(counter, "0\n", -1, NULL));
    g_assert(g_file_set_contents(log, "", -1, NULL));
    g_assert(g_file_set_contents(input, stdin_text ? stdin_text : "", -1, NULL));
    if (strcmp(argv[0], "gpupool") == 0)
        prog = gp_sim_gpupool_path();
    else if (strcmp(argv[0], "gpupool-hook") == 0)
        prog = gp_sim_hook_path();
    else
        prog = g_strdup(argv[0]);
    g_ptr_array_add(args, prog);
    for (guint i = 1; argv[i]; i++)
        g_ptr_array_add(args, (gpointer)argv[i]);
    g_ptr_array_add(args, NULL);
    envp = g_environ_setenv(envp, "GPUPOOL_SYSFS_ROOT", gp_sim_root(sim), TRUE);
    envp = g_environ_setenv(envp, "GPUPOOL_CONFDIR", gp_sim_confdir(sim), TRUE);
    envp = g_environ_setenv(envp, "GPUPOOL_STATEDIR", gp_sim_statedir(sim), TRUE);
    envp = g_environ_setenv(envp, "GPUPOOL_CLI", "/bin/true", FALSE);
    envp = g_environ_setenv(envp, "LD_PRELOAD", preload, TRUE);
    envp = g_environ_setenv(envp, "GP_CRASH_COUNTER", counter, TRUE);
    envp = g_environ_setenv(envp, "GP_CRASH_LOG", log, TRUE);
    envp = g_environ_setenv(envp, "GP_CRASH_AT", at, TRUE);
    envp = g_environ_unsetenv(envp, "GP_CRASH_OFF");
    if (!g_spawn_sync(NULL, (char **)args->pdata, envp,
                      G_SPAWN_CHILD_INHERITS_STDIN, child_setup,
                      &cs, &run->out, &run->err, &wait_status, &error))
        g_error("cannot run %s: %s", prog, error->message);
    if (WIFEXITED(wait_status))
        run->status = WEXITSTATUS(wait_status);
    else if (WIFSIGNALED(wait_status))
        run->status = 128 + WTERMSIG(wait_status);
    else
        run->status = -1;
    g_assert(g_file_get_contents(counter, &count_text, NULL, NULL));
    run->calls = (guint)g_ascii_strtoull(count_text, NULL, 10);
    g_assert(g_file_get_contents(log, &run->log, NULL, NULL));
    run->killed = kill_at > 0 && run->status == 128 + SIGKILL && run->calls == kill_at;
    if (run->killed)
        run->last = last_line(run->log);
}

static void
run_or_die(const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                      &status, &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("%s %s: %s %s", argv[0], argv[1], error->message, err ? err : "");
}

/* BASE.saved, next to the host's tree: the paths inside the tree (the
 * simulator's state names them) stay valid when it is copied back. */
static char *
saved_path(GpSim *sim)
{
    return g_strdup_printf("%s.saved", gp_sim_base(sim));
}

void
gp_crash_host_save(GpSim *sim)
{
    g_autofree char *saved = saved_path(sim);
    const char *rm[] = { "rm", "-rf", saved, NULL };
    const char *cp[] = { "cp", "-a", gp_sim_base(sim), saved, NULL };

    run_or_die(rm);
    run_or_die(cp);
}

void
gp_crash_host_drop(GpSim *sim)
{
    g_autofree char *saved = saved_path(sim);
    const char *rm[] = { "rm", "-rf", saved, NULL };

    run_or_die(rm);
}

void
gp_crash_host_restore(GpSim *sim)
{
    g_autofree char *saved = saved_path(sim);
    const char *rm[] = { "rm", "-rf", gp_sim_base(sim), NULL };
    const char *cp[] = { "cp", "-a", saved, gp_sim_base(sim), NULL };

    run_or_die(rm);
    run_or_die(cp);
}
