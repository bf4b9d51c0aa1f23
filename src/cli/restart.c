/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cli/restart.h"

#include <stdio.h>
#include <string.h>

#include "virt/power.h"

int
gp_cli_restart_options(const GpCliCommand *cmd, gboolean restart, gint timeout,
                       gboolean file, GpAssignRestart *out)
{
    if (file && restart)
        return gp_cli_usage(cmd, "--file rewrites a file that no domain runs from: leave out "
                            "--restart");
    if (timeout >= 0 && !restart)
        return gp_cli_usage(cmd, "--timeout is how long --restart waits for a shutdown: "
                            "give --restart too");
    if (timeout > GP_POWER_MAX_TIMEOUT || timeout < -1)
        return gp_cli_usage(cmd, "--timeout must be 0..%d seconds", GP_POWER_MAX_TIMEOUT);
    out->restart = restart;
    out->timeout = timeout < 0 ? GP_POWER_DEFAULT_TIMEOUT : (guint)timeout;
    return GP_EXIT_OK;
}

int
gp_cli_fail_domain(const char *domain, const GError *error)
{
    g_autofree char *quoted = g_strdup_printf("'%s'", domain);
    g_autofree char *head = g_strdup_printf("%s:", domain);
    const char *msg = error ? error->message : "unknown error";
    g_autoptr(GError) line = NULL;

    if (g_str_has_prefix(msg, head) || strstr(msg, quoted))
        return gp_cli_fail(error);
    line = g_error_new(GP_ASSIGN_ERROR, GP_ASSIGN_ERROR_REFUSED, "%s: %s", domain, msg);
    return gp_cli_fail(line);
}
