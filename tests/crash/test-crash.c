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
