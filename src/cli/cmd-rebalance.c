/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool rebalance: re-point stopped domains whose reserved device is
 * held by another domain (or left the pool) to free devices.  The hook
 * starts it in the background after claims and releases, with its output
 * on /dev/null: what it changes and what it cannot do also goes to the
 * system log, where the admin who was told that a domain is being
 * re-pointed finds what became of it. */
#include "config.h"

#include "base/syslog.h"
#include "virt/assign.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_rebalance(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    GOptionEntry entries[] = {
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GPtrArray) moves = NULL;
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) dropped = g_ptr_array_new_with_free_func(g_free);
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_rebalance, entries, &argc, &argv, 0, "takes no arguments");
    if (rc != GP_EXIT_OK)
        return rc;
    conn = gp_assign_connect(uri, &error);
    if (!conn)
        return gp_cli_fail(error);
    moves = gp_assign_rebalance(conn, dropped, problems, &error);
    if (!moves) {
        gp_syslog_send(LOG_ERR, error->message);
        return gp_cli_fail(error);
    }
    gp_cli_print_lines(dropped);
    for (guint i = 0; i < dropped->len; i++)
        gp_syslog_send(LOG_NOTICE, dropped->pdata[i]);
    for (guint i = 0; i < moves->len; i++) {
        const GpReserveMove *m = g_ptr_array_index(moves, i);

        printf("%s: %s %s -> %s (pool '%s': %s was %s)\n", m->domain, m->alias, m->from,
               m->to, m->pool, m->from, m->reason);
        gp_syslog_domain(LOG_NOTICE, m->domain, m->uuid, "rebalance: %s re-pointed from %s to "
                         "%s of pool '%s' (%s was %s)", m->alias, m->from, m->to, m->pool,
                         m->from, m->reason);
    }
    gp_cli_warn_lines(problems);
    for (guint i = 0; i < problems->len; i++)
        gp_syslog_send(LOG_WARNING, problems->pdata[i]);
    if (moves->len == 0 && dropped->len == 0)
        printf("nothing to re-point\n");
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_rebalance = {
    .name = "rebalance",
    .args = "[--connect URI]",
    .summary = "Re-point stopped domains whose reserved device another domain holds",
    .help = "Drops the claims of domains libvirt does not run (after a libvirtd crash),\n"
            "giving back their partitions, then re-points stopped domains whose reserved\n"
            "device another domain holds, left the pool or is quarantined (the reason\n"
            "printed is the quarantine's), to free devices.  Copies of a\n"
            "definition (virt-clone) get units of their own: an mdev derived from their\n"
            "own UUID, and a device nobody else reserves when one is free.  The hook\n"
            "starts it after every claim, release and refusal it fixes; what it changes\n"
            "also goes to the system log (journalctl -t gpupool).\n"
            "\n"
            "Example:\n"
            "  gpupool rebalance\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_rebalance,
};
