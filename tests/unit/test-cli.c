/* The command line's front door: help, version, unknown commands. */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
    char *out;
    char *err;
    int status;
} Run;

static void
run_clear(Run *run)
{
    g_clear_pointer(&run->out, g_free);
    g_clear_pointer(&run->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Run, run_clear)

static Run
gpupool(const char *arg1, const char *arg2)
{
    const char *top = g_getenv("top_builddir");
    g_autofree char *bin = g_build_filename(top ? top : ".", "src", "gpupool", NULL);
    const char *argv[] = { bin, arg1, arg2, NULL };
    Run run = { 0 };
    int wait_status = 0;

    cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                           &run.out, &run.err, &wait_status, NULL));
    run.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    return run;
}

Test(cli, help_lists_every_command_and_exits_0)
{
    g_auto(Run) run = gpupool("--help", NULL);
    const char *commands[] = {
        "devices", "pool-create", "pool-define", "pool-add", "pool-remove", "pool-list",
        "pool-info", "pool-undefine", "setup", "assign", "unassign", "status",
        "rebalance", "partitions", "partition-set", "pool-check",
    };

    cr_assert_eq(run.status, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        g_autofree char *line = g_strdup_printf("\n  %s ", commands[i]);

        cr_assert(strstr(run.out, line), "'%s' missing from:\n%s", commands[i], run.out);
    }
}

Test(cli, no_command_prints_the_usage_and_exits_2)
{
    g_auto(Run) run = gpupool(NULL, NULL);

    cr_assert_eq(run.status, 2);
    cr_assert(g_str_has_prefix(run.err, "Usage: gpupool COMMAND"), "%s", run.err);
}

Test(cli, an_unknown_command_is_one_line_naming_it_and_exits_2)
{
    g_auto(Run) run = gpupool("pool-destroy", "gpus");

    cr_assert_eq(run.status, 2);
    cr_assert_str_eq(run.err,
                     "gpupool: unknown command 'pool-destroy' (see 'gpupool --help')\n");
    cr_assert_str_eq(run.out, "");
}

Test(cli, version_prints_the_package_version)
{
    g_auto(Run) run = gpupool("--version", NULL);

    cr_assert_eq(run.status, 0);
    cr_assert_str_eq(run.out, "gpupool " PACKAGE_VERSION "\n");
}

Test(cli, a_bad_option_of_a_command_is_one_line_and_exits_2)
{
    g_auto(Run) run = gpupool("pool-list", "--frobnicate");

    cr_assert_eq(run.status, 2);
    cr_assert(g_str_has_prefix(run.err, "gpupool pool-list: "), "%s", run.err);
    cr_assert(strstr(run.err, "--frobnicate"), "%s", run.err);
    cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1);
}

/* The command names `gpupool --help` lists (the word after two spaces at
 * the start of a line of its Commands part). */
static GPtrArray *
listed_commands(const char *help)
{
    g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    gboolean in_commands = FALSE;

    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "Commands:")) {
            in_commands = TRUE;
            continue;
        }
        if (in_commands && **l == '\0')
            break;
        if (in_commands && g_str_has_prefix(*l, "  ") && (*l)[2] != ' ') {
            g_auto(GStrv) words = g_strsplit((*l) + 2, " ", 2);

            g_ptr_array_add(names, g_strdup(words[0]));
        }
    }
    return names;
}

Test(cli, every_commands_help_has_its_usage_an_example_and_the_exit_codes)
{
    g_auto(Run) top = gpupool("--help", NULL);
    g_autoptr(GPtrArray) names = listed_commands(top.out);

    cr_assert_gt(names->len, 15);
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_auto(Run) run = gpupool(name, "--help");
        g_autofree char *usage = g_strdup_printf("Usage:\n  gpupool %s ", name);

        cr_assert_eq(run.status, 0, "%s --help: %s", name, run.err);
        cr_assert(g_str_has_prefix(run.out, usage), "%s:\n%s", name, run.out);
        cr_assert(strstr(run.out, "Example"), "%s --help has no example:\n%s", name, run.out);
        cr_assert(strstr(run.out, "Exit status: 0"), "%s --help has no exit codes:\n%s", name,
                  run.out);
    }
}

Test(cli, a_usage_line_names_its_arguments_once)
{
    g_auto(Run) run = gpupool("devices", "--help");

    cr_assert(strstr(run.out, "gpupool devices [OPTION…] [--all] [--xml] [DEVICE...]\n"),
              "%s", run.out);
}

Test(cli, the_top_level_help_lists_every_environment_variable)
{
    g_auto(Run) run = gpupool("--help", NULL);
    const char *vars[] = {
        "GPUPOOL_CONFDIR", "GPUPOOL_STATEDIR", "GPUPOOL_SYSFS_ROOT", "GPUPOOL_SCHEMADIR",
        "GPUPOOL_PLUGINDIR", "GPUPOOL_PCI_IDS", "GPUPOOL_SYSLOG_SOCKET", "LIBVIRT_DEFAULT_URI",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
        cr_assert(strstr(run.out, vars[i]), "%s missing:\n%s", vars[i], run.out);
}

/* Integer options take plain decimal digits only: GOption's own parser
 * reads " 2" and "0x2" as 2 and "010" as 8, so a typo would pass as
 * another number. */
Test(cli, an_integer_option_in_any_other_spelling_than_decimal_digits_is_refused)
{
    const char *top = g_getenv("top_builddir");
    g_autofree char *bin = g_build_filename(top ? top : ".", "src", "gpupool", NULL);
    const char *const values[] = { " 2", "2 ", "0x2", "+2", "-2", "2k", "", "1e1",
                                   "99999999999", "2\t" };
    const char *const commands[][4] = {
        { "assign", "vm1", "--pool", "gpus" },
        { "partition-set", "0000:3b:00.0", NULL, NULL },
    };

    for (guint c = 0; c < G_N_ELEMENTS(commands); c++) {
        for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
            const char *argv[8] = { bin };
            g_autofree char *out = NULL, *err = NULL;
            int n = 1, wait_status = 0;

            for (guint j = 0; j < 4 && commands[c][j]; j++)
                argv[n++] = commands[c][j];
            argv[n++] = "--count";
            argv[n++] = values[i];
            cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, &err, &wait_status, NULL));
            cr_expect(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 2,
                      "%s --count '%s' was taken: %s", commands[c][0], values[i], err);
            cr_expect(strstr(err, "is not a number: give it in decimal digits only"),
                      "%s --count '%s': %s", commands[c][0], values[i], err);
            cr_expect_eq(strchr(err, '\n'), err + strlen(err) - 1, "not one line: %s", err);
        }
    }
}
