/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool cluster-prepare: what the GpuDomain resource agent runs on
 * start, before VirtualDomain starts the domain from the runtime copy. */
#include "config.h"

#include "cluster/runtime.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_cluster_prepare(int argc, char **argv)
{
    g_autofree char *file = NULL;
    g_autofree char *out = NULL;
    GOptionEntry entries[] = {
        { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
          "The shared domain XML file (VirtualDomain's config=)", "SHARED" },
        { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
          "Where the runtime copy goes: a NAME.xml in STATEDIR/cluster (default "
          "STATEDIR/cluster/DOMAIN.xml)", "RUNTIME" },
        { NULL }
    };
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_cluster_prepare, entries, &argc, &argv, 0,
                           "takes no arguments besides its options");
    if (rc != GP_EXIT_OK)
        return rc;
    if (!file)
        return gp_cli_usage(&gp_cmd_cluster_prepare, "--file SHARED is required");
    path = gp_runtime_prepare(file, out, done, &error);
    if (!path)
        return gp_cli_fail(error);
    gp_cli_print_lines(done);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_cluster_prepare = {
    .name = "cluster-prepare",
    .args = "--file SHARED [--out RUNTIME]",
    .summary = "Point a cluster domain at free devices of this node (its runtime copy)",
    .help = "What ocf:gpupool:GpuDomain runs before starting the domain on this\n"
            "node: under gpupool's lock the shared definition's pool devices are\n"
            "pointed at free devices of the same pools here, in a runtime copy the\n"
            "agent hands to VirtualDomain; the shared file keeps the request.  With\n"
            "no free device here it exits 1 and Pacemaker tries another node.\n"
            "\n"
            "Example:\n"
            "  gpupool cluster-prepare --file /shared/vm1.xml\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_cluster_prepare,
};
