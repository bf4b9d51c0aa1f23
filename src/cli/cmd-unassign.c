/* gpupool unassign: remove exactly what `gpupool assign` added. */
#include "config.h"

#include "virt/assign.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_unassign(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    g_autofree char *file = NULL;
    GOptionEntry entries[] = {
        { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
          "Rewrite this domain XML file instead of a libvirt domain", "PATH" },
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GpAssignResult) result = NULL;

    if (!gp_cli_parse(&gp_cmd_unassign, entries, &argc, &argv))
        return GP_EXIT_USAGE;
    if (argc != (file ? 1 : 2))
        return gp_cli_usage(&gp_cmd_unassign, "%s", file ? "give a DOMAIN or --file PATH, not both"
                                               : "give exactly one DOMAIN (or --file PATH)");
    if (file && uri)
        return gp_cli_usage(&gp_cmd_unassign, "--file rewrites a file without libvirt: "
                            "leave out --connect");
    if (file) {
        result = gp_domassign_file_clear(file, &error);
    } else {
        conn = gp_assign_connect(uri, &error);
        if (!conn)
            return gp_cli_fail(error);
        result = gp_unassign_domain(conn, argv[1], &error);
    }
    if (!result)
        return gp_cli_fail(error);
    if (!result->changed)
        printf("%s: no gpupool assignment, nothing changed\n", result->domain);
    else
        printf("%s: gpupool devices, metadata and settings removed%s\n", result->domain,
               result->running ? " (the domain is running: it keeps its devices until it "
                                 "stops; the change applies at its next start)" : "");
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_unassign = {
    .name = "unassign",
    .args = "DOMAIN|--file PATH [--connect URI]",
    .summary = "Remove a domain's pool devices and the settings assign made",
    .help = "Removes exactly what 'gpupool assign' added (metadata, hostdevs, MMIO and\n"
            "stop settings) and puts back the values it changed.\n"
            "\n"
            "Example:\n"
            "  gpupool unassign win11\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_unassign,
};
