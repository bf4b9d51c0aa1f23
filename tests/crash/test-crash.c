/* Crash injection: gpupool's commands and hook killed at every call that
 * changes a file or sysfs, one run per call (tests/crash/crashpoint.c
 * kills, crash-runner.h runs), and what each kill leaves behind checked
 * against what gpupool promises. */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "cli-runner.h"
#include "crash-runner.h"
#include "hook-runner.h"
#include "pool-fixtures.h"

/* ---- The preload itself ---------------------------------------------------- */

/* It counts gpupool's own calls (the transaction's temporary file,
 * write, fsync, rename and the directory's fsync; each sysfs write),
 * never the simulated kernel's reaction to them, and kills exactly
 * before the call asked for. */
Test(crash, the_preload_counts_each_change_once_and_kills_before_the_call_asked_for)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    const char *const add[] = { "gpupool", "pool-add", "gpus", GP_SIM_DC_GPU0, NULL };
    g_auto(GpCrashRun) count = { 0 };
    g_auto(GpCrashRun) third = { 0 };
    g_auto(GStrv) lines = NULL;
    guint unbinds = 0;

    gp_crash_host_save(sim);
    gp_crash_run(sim, add, NULL, 0, &count);
    cr_assert_eq(count.status, 0, "%s", count.err);
    cr_assert_not(count.killed);
    lines = g_strsplit(count.log, "\n", -1);
    cr_assert_eq(g_strv_length(lines) - 1, count.calls, "%s", count.log);
    for (guint i = 0; lines[i] && *lines[i]; i++) {
        g_autofree char *num = g_strdup_printf("%u ", i + 1);

        cr_assert(g_str_has_prefix(lines[i], num), "%s", count.log);
        if (g_str_has_suffix(lines[i], "/drivers/nvidia/unbind"))
            unbinds++;
    }
    cr_assert_eq(unbinds, 1, "the unbind counted once: %s", count.log);
    cr_assert(strstr(count.log, " rename "), "%s", count.log);
    cr_assert(strstr(count.log, " fsync "), "%s", count.log);
    gp_test_assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");

    gp_crash_host_restore(sim);
    gp_test_assert_driver(sim, GP_SIM_DC_GPU0, "nvidia");
    gp_crash_run(sim, add, NULL, 3, &third);
    cr_assert(third.killed, "status %d after %u calls", third.status, third.calls);
    cr_assert_eq(third.status, 128 + SIGKILL);
    cr_assert_str_eq(third.last, lines[2]);
    gp_crash_host_drop(sim);
}

/* ---- Temporary files of killed transactions -------------------------------- */

/* Runs ARGV (STDIN_TEXT on stdin) killed right before the first counted
 * call after the one that created a temporary file in DIR, and returns
 * the run. */
static void
kill_after_temp_file(GpSim *sim, const char *const *argv, const char *stdin_text,
                     const char *dir, GpCrashRun *run)
{
    g_auto(GpCrashRun) count = { 0 };
    g_auto(GStrv) lines = NULL;
    g_autofree char *prefix = g_strdup_printf(" open %s/.", dir);
    guint at = 0;

    gp_crash_host_save(sim);
    gp_crash_run(sim, argv, stdin_text, 0, &count);
    cr_assert_eq(count.status, 0, "%s", count.err);
    lines = g_strsplit(count.log, "\n", -1);
    for (guint i = 0; lines[i] && !at; i++)
        if (strstr(lines[i], prefix))
            at = i + 2;
    cr_assert_gt(at, 0, "no temporary file in %s: %s", dir, count.log);
    gp_crash_host_restore(sim);
    gp_crash_run(sim, argv, stdin_text, at, run);
    cr_assert(run->killed, "%s", run->err);
    gp_crash_host_drop(sim);
}

static guint
leftovers_in(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;

    while (d && (name = g_dir_read_name(d)))
        if (name[0] == '.')
            n++;
    return n;
}

/* A temporary claims file left by a killed hook goes with the next
 * transaction on the claims. */
Test(crash, the_next_transaction_removes_a_killed_hooks_temporary_claims_file)
{
    g_autoptr(GpSim) sim = gp_test_hook_host();
    const char *const devs[] = { GP_HOOK_HOST_GPU1, NULL };
    g_autofree char *xml = gp_test_assigned_xml("vm1", "11111111-1111-4111-8111-111111111111",
                                                "gpus", devs);
    const char *const prepare[] = { "gpupool-hook", "vm1", "prepare", "begin", "-", NULL };
    const char *const release[] = { "gpupool-hook", "vm1", "release", "end", "-", NULL };
    g_auto(GpCrashRun) killed = { 0 };
    g_auto(GpCrashRun) next = { 0 };

    kill_after_temp_file(sim, prepare, xml, gp_sim_statedir(sim), &killed);
    cr_assert_eq(leftovers_in(gp_sim_statedir(sim)), 1, "%s", killed.log);
    gp_crash_run(sim, release, xml, 0, &next);
    cr_assert_eq(next.status, 0, "%s", next.err);
    cr_assert_eq(leftovers_in(gp_sim_statedir(sim)), 0);
}

/* A temporary pool file in the configuration directory goes with the
 * next transaction on the pools, here the setup at boot. */
Test(crash, setup_removes_a_killed_commands_temporary_pool_file)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *pools = g_build_filename(gp_sim_confdir(sim), "pools", NULL);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    const char *const add[] = { "gpupool", "pool-add", "gpus", GP_SIM_DC_GPU0, NULL };
    g_auto(GpCrashRun) killed = { 0 };
    g_autoptr(GpTestRun) setup = NULL;

    kill_after_temp_file(sim, add, NULL, pools, &killed);
    cr_assert_eq(leftovers_in(pools), 1, "%s", killed.log);
    setup = gp_test_must(sim, "setup", NULL);
    cr_assert_eq(leftovers_in(pools), 0);
}
