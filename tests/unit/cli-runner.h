/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gpupool command run as the admin runs it (the built binary, on a
 * simulated host with its simulated kernel), and what a test compares
 * before and after a command: the host and gpupool's own files. */
#pragma once

#include <glib.h>
#include <stdarg.h>

#include "sim.h"

G_BEGIN_DECLS

typedef struct {
    char *command;  /* the gpupool subcommand, for messages */
    int status;
    char *out;
    char *err;
} GpTestRun;

void gp_test_run_free(GpTestRun *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpTestRun, gp_test_run_free)

/* gpupool FIRST ARGS... (NULL-terminated). */
GpTestRun *gp_test_run(GpSim *sim, const char *first, ...) G_GNUC_NULL_TERMINATED;
GpTestRun *gp_test_run_va(GpSim *sim, const char *first, va_list ap);
/* R, once its command is seen to have succeeded. */
GpTestRun *gp_test_succeeded(GpTestRun *r);
/* gpupool ARGS... (NULL-terminated) must succeed.  A macro only because
 * C cannot pass variable arguments on. */
#define gp_test_must(sim, ...) gp_test_succeeded(gp_test_run((sim), __VA_ARGS__))

/* Everything gpupool keeps: the pool files and the claims. */
char *gp_test_state_dump(GpSim *sim);
/* Fails the test, showing only the lines that differ (snapshots are
 * long), unless the host snapshots AFTER and BEFORE are equal; WHAT says
 * what ran in between. */
void gp_test_assert_same_host(const char *after, const char *before, const char *what);
/* ADDR is bound to WANT (NULL: to no driver). */
void gp_test_assert_driver(GpSim *sim, const char *addr, const char *want);

G_END_DECLS
