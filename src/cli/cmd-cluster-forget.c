/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool cluster-forget: what the GpuDomain resource agent runs on
 * stop, after VirtualDomain stopped the domain. */
#include "config.h"

#include "cluster/runtime.h"
#include "cli/cli.h"

static int
run_cluster_forget(int argc, char **argv)
{
    g_autofree char *file = NULL;
    g_autofree char *out = NULL;
    GOptionEntry entries[] = {
        { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
          "The shared domain XML file (VirtualDomain's config=)", "SHARED" },
        { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
          "The runtime copy prepare wrote: removed even when SHARED cannot be read",
          "RUNTIME" },
        { NULL }
    };
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_cluster_forget, entries, &argc, &argv, 0,
                           "takes no arguments besides its options");
    if (rc != GP_EXIT_OK)
        return rc;
    if (!file)
        return gp_cli_usage(&gp_cmd_cluster_forget, "--file SHARED is required");
    if (!gp_runtime_forget(file, out, done, warnings, &error))
        return gp_cli_fail(error);
    gp_cli_print_lines(done);
    gp_cli_warn_lines(warnings);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_cluster_forget = {
    .name = "cluster-forget",
    .args = "--file SHARED [--out RUNTIME]",
    .summary = "Remove this node's runtime copy of a cluster domain (it stopped)",
    .help = "What ocf:gpupool:GpuDomain runs once the domain stopped on this node:\n"
            "its runtime copy is removed, so the node's capacity counts its units for\n"
            "the cluster again.  Nothing to remove is not an error.\n"
            "\n"
            "Example:\n"
            "  gpupool cluster-forget --file /shared/vm1.xml\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_cluster_forget,
};
