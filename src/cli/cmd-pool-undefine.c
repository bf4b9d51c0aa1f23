/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool pool-undefine: delete an empty, unused pool. */
#include "config.h"

#include "ops/poolhost.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_pool_undefine(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_pool_undefine, NULL, &argc, &argv, 1,
                           "give exactly one pool NAME");
    if (rc != GP_EXIT_OK)
        return rc;
    if (!gp_poolhost_undefine(argv[1], &error))
        return gp_cli_fail(error);
    printf("Pool '%s' undefined\n", argv[1]);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_undefine = {
    .name = "pool-undefine",
    .args = "NAME",
    .summary = "Delete a pool that has no devices left",
    .help = "Deletes the pool's definition once it has no devices and no domain\n"
            "holds anything of it.\n"
            "\n"
            "Example:\n"
            "  gpupool pool-undefine gpus\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_pool_undefine,
};
