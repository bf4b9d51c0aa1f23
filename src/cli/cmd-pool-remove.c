/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool pool-remove: devices leave a pool (pci: back to their host
 * driver). */
#include "config.h"

#include "ops/poolhost.h"
#include "cli/cli.h"

static int
run_pool_remove(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);

    if (!gp_cli_parse(&gp_cmd_pool_remove, NULL, &argc, &argv))
        return GP_EXIT_USAGE;
    if (argc < 3)
        return gp_cli_usage(&gp_cmd_pool_remove, "give a pool NAME and at least one DEVICE");
    if (!gp_poolhost_remove(argv[1], (const char *const *)argv + 2, argc - 2, done, &error))
        return gp_cli_fail(error);
    gp_cli_print_lines(done);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_remove = {
    .name = "pool-remove",
    .args = "NAME DEVICE...",
    .summary = "Remove devices from a pool and give them back to their host drivers",
    .help = "The devices (with their IOMMU group companions) go back to the host\n"
            "drivers they had; a VF pool's PF takes its VFs back.  Refused while a\n"
            "domain holds one.\n"
            "\n"
            "Example:\n"
            "  gpupool pool-remove gpus 0000:81:00.0\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_pool_remove,
};
