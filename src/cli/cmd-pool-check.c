/* gpupool pool-check [NAME...]: the homogeneity check Windows Admin
 * Center makes before it builds a GPU pool: one vendor, model, VRAM size
 * and partition configuration per pool, no device both whole and
 * partitioned, and a warning for a partial selection. */
#include "config.h"

#include "state/poolstore.h"
#include "ops/partition.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_pool_check(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) pools = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);

    if (!gp_cli_parse(&gp_cmd_pool_check, NULL, &argc, &argv))
        return GP_EXIT_USAGE;
    if (argc > 1) {
        pools = g_ptr_array_new_with_free_func((GDestroyNotify)gp_pool_free);
        for (int i = 1; i < argc; i++) {
            GpPool *pool;

            if (!gp_pool_name_check(argv[i], &error))
                return gp_cli_fail(error);
            pool = gp_poolstore_load(argv[i], &error);
            if (!pool)
                return gp_cli_fail(error);
            g_ptr_array_add(pools, pool);
        }
    } else {
        pools = gp_poolstore_list(&error);
        if (!pools)
            return gp_cli_fail(error);
    }
    for (guint i = 0; i < pools->len; i++) {
        const GpPool *pool = pools->pdata[i];
        guint w = warnings->len, e = errors->len;

        gp_partition_check_pool(pool, warnings, errors);
        for (guint j = w; j < warnings->len; j++)
            printf("warning: %s\n", (const char *)warnings->pdata[j]);
        for (guint j = e; j < errors->len; j++)
            printf("error: %s\n", (const char *)errors->pdata[j]);
        if (warnings->len == w && errors->len == e)
            printf("pool '%s': ok, %u device%s alike\n", pool->name, pool->devices->len,
                   pool->devices->len == 1 ? "" : "s");
    }
    if (errors->len) {
        fprintf(stderr, "gpupool: error: %u problem%s found in the pools: fix %s as "
                "described above\n", errors->len, errors->len == 1 ? "" : "s",
                errors->len == 1 ? "it" : "them");
        return GP_EXIT_FAILURE;
    }
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_check = {
    .name = "pool-check",
    .args = "[NAME...]",
    .summary = "Check that each pool's GPUs are alike (vendor, model, VRAM, partitions)",
    .help = "Checks that each pool's GPUs are alike: same vendor, model, VRAM and\n"
            "partition configuration, none used both whole and partitioned.  A partial\n"
            "selection (more GPUs of the model in no pool) is a warning; mixed\n"
            "configurations are errors.\n"
            "\n"
            "Example:\n"
            "  gpupool pool-check gpus\n"
            "\n"
            "Exit status: 0 when no pool has errors (warnings allowed), 1 otherwise,\n"
            "2 for a mistake on the command line.",
    .run = run_pool_check,
};
