/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `assign` and `unassign` share: --restart and --timeout, and the
 * line each domain of a multi-domain call gets when it fails. */
#pragma once

#include <glib.h>

#include "virt/assign.h"
#include "cli/cli.h"

G_BEGIN_DECLS

/* The two options, bound to RESTART (gboolean) and TIMEOUT (gint, start
 * it at -1: not given). */
#define GP_CLI_OPTIONS_RESTART(restart, timeout) \
    { "restart", 0, 0, G_OPTION_ARG_NONE, (restart), \
      "Stop a running domain (shut down, destroyed after the timeout), change it and " \
      "start it again; if the new start fails, the previous definition is started again", \
      NULL }, \
    { "timeout", 't', 0, G_OPTION_ARG_INT, (timeout), \
      "With --restart: seconds a guest is given to shut down before it is destroyed " \
      "(default 120, as shutdown-domains)", "SECONDS" }

/* Checks them (FILE: --file was given, which restarts nothing) and fills
 * OUT; GP_EXIT_OK, or the usage error's exit code. */
int gp_cli_restart_options(const GpCliCommand *cmd, gboolean restart, gint timeout,
                           gboolean file, GpAssignRestart *out);

/* "gpupool: error: DOMAIN: MESSAGE" (DOMAIN: left out when the message
 * starts with it or names it quoted); returns GP_EXIT_FAILURE. */
int gp_cli_fail_domain(const char *domain, const GError *error);

G_END_DECLS
