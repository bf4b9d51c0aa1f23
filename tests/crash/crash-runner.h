/* Commands run with the crash-injection preload (tests/crash/crashpoint.c):
 * killed right before their Nth call that changes a file or sysfs, on a
 * simulated host whose state a test saves once and restores before each
 * run. */
#pragma once

#include <glib.h>

#include "sim.h"

G_BEGIN_DECLS

typedef struct {
    int status;        /* exit status, or 128 + signal */
    gboolean killed;   /* killed by the injection, before call KILL_AT */
    guint calls;       /* counted calls the process made (up to the kill) */
    char *last;        /* the call it was killed before, "N CALL PATH"; NULL */
    char *log;         /* every counted call, one line each */
    char *out;
    char *err;
} GpCrashRun;

void gp_crash_run_clear(GpCrashRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(GpCrashRun, gp_crash_run_clear)

/* Runs ARGV on SIM with the crash preload in front of the simulated
 * kernel, STDIN_TEXT on stdin (NULL: empty), and KILL_AT (0: never) the
 * call before which the process is killed.  argv[0] "gpupool" is the
 * built CLI, "gpupool-hook" the built hook (the gate, which execs the
 * hook's domain part: both count).  The `gpupool rebalance` the hook
 * starts is /bin/true unless GPUPOOL_CLI says otherwise. */
void gp_crash_run(GpSim *sim, const char *const *argv, const char *stdin_text, guint kill_at,
                  GpCrashRun *run);

/* Keeps a copy of SIM's whole tree (sysfs, simulator state, gpupool's
 * files) to go back to with gp_crash_host_restore(). */
void gp_crash_host_save(GpSim *sim);
void gp_crash_host_restore(GpSim *sim);
/* Removes the copy (before gp_sim_free()). */
void gp_crash_host_drop(GpSim *sim);

G_END_DECLS
