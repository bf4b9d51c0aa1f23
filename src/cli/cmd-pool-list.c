/* gpupool pool-list: every pool of this host, one line each. */
#include "config.h"

#include "state/poolstore.h"
#include "ops/poolhost.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_pool_list(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) pools = NULL;
    g_autoptr(GpClaims) claims = NULL;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_pool_list, NULL, &argc, &argv, 0, "takes no arguments");
    if (rc != GP_EXIT_OK)
        return rc;
    if (!gp_cli_load_pools_and_claims(&pools, &claims, &error))
        return gp_cli_fail(error);
    if (pools->len == 0) {
        printf("No pools defined; create one with 'gpupool pool-create NAME --type pci'\n");
        return GP_EXIT_OK;
    }
    printf("%-20s %-5s %7s %7s %7s  %s\n", "NAME", "TYPE", "DEVICES", "IN USE", "FREE",
           "DESCRIPTION");
    for (guint i = 0; i < pools->len; i++) {
        const GpPool *pool = g_ptr_array_index(pools, i);
        g_autofree char *free_str = NULL;
        GpPoolUsage usage;

        gp_poolhost_usage(pool, claims, &usage);
        if (usage.total < 0)
            free_str = g_strdup("-");
        else
            free_str = g_strdup_printf("%" G_GINT64_FORMAT,
                                       MAX(usage.total - (gint64)usage.in_use, 0));
        printf("%-20s %-5s %7u %7u %7s  %s\n", pool->name, gp_pool_type_to_string(pool->type),
               usage.members, usage.in_use, free_str,
               pool->description ? pool->description : "");
    }
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_list = {
    .name = "pool-list",
    .args = "",
    .summary = "List the pools of this host with their free and used devices",
    .run = run_pool_list,
};
