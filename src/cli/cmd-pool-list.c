/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool pool-list: every pool of this host, one line each. */
#include "config.h"

#include "ledger/ledger.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_pool_list(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    GPtrArray *pools;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_pool_list, NULL, &argc, &argv, 0, "takes no arguments");
    if (rc != GP_EXIT_OK)
        return rc;
    ledger = gp_ledger_open(GP_LEDGER_READ, &error);
    pools = ledger ? gp_ledger_pools(ledger, &error) : NULL;
    if (!pools)
        return gp_cli_fail(error);
    if (pools->len == 0) {
        printf("No pools defined; create one with 'gpupool pool-create NAME --type pci'\n");
        return GP_EXIT_OK;
    }
    printf("%-20s %-5s %7s %7s %7s  %s\n", "NAME", "TYPE", "DEVICES", "IN USE", "FREE",
           "DESCRIPTION");
    for (guint i = 0; i < pools->len; i++) {
        const GpPool *pool = g_ptr_array_index(pools, i);
        const GpPoolCapacity *cap = gp_ledger_capacity(ledger, pool->name, &error);
        g_autofree char *free_str = NULL;

        if (!cap)
            return gp_cli_fail(error);
        /* An mdev pool without a type cannot tell what it could give. */
        free_str = cap->known ? g_strdup_printf("%u", cap->free) : g_strdup("-");
        /* DEVICES are the units a domain can be given, as status and
         * assign count them (held + free), not the parents or PFs that
         * provide them. */
        printf("%-20s %-5s %7u %7u %7s  %s\n", pool->name, gp_pool_type_to_string(pool->type),
               cap->capacity, cap->held, free_str, pool->description ? pool->description : "");
    }
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_list = {
    .name = "pool-list",
    .args = "",
    .summary = "List the pools of this host with their free and used devices",
    .help = "One line per pool: its type, devices (members, companions not counted),\n"
            "units in use and units free now.\n"
            "\n"
            "Example:\n"
            "  gpupool pool-list\n"
            "\n"
            "Exit status: 0 on success, 1 when it cannot be shown, 2 for a mistake on\n"
            "the command line.",
    .run = run_pool_list,
};
