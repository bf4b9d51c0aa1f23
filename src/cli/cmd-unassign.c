/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool unassign: remove exactly what `gpupool assign` added. */
#include "config.h"

#include "virt/assign.h"
#include "cli/cli.h"
#include "cli/restart.h"

#include <stdio.h>

static void
print_result(const GpAssignResult *r)
{
    if (!r->changed)
        printf("%s: no gpupool assignment, nothing changed\n", r->domain);
    else if (r->restarted)
        printf("%s: gpupool devices, metadata and settings removed; restarted without them "
               "(%s)\n", r->domain,
               r->destroyed ? "destroyed: it did not shut down within the timeout"
                            : "shut down, then started");
    else
        printf("%s: gpupool devices, metadata and settings removed%s\n", r->domain,
               r->running ? " (the domain is running: it keeps its devices until it "
                            "stops; the change applies at its next start, or now with "
                            "--restart)" : "");
}

static int
run_unassign(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    g_autofree char *file = NULL;
    gboolean restart = FALSE;
    gint timeout = -1;
    GOptionEntry entries[] = {
        { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
          "Rewrite this domain XML file instead of a libvirt domain", "PATH" },
        GP_CLI_OPTIONS_RESTART(&restart, &timeout),
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    GpAssignRestart how = { 0 };
    int rc;

    if (!gp_cli_parse(&gp_cmd_unassign, entries, &argc, &argv))
        return GP_EXIT_USAGE;
    if (file ? argc != 1 : argc < 2)
        return gp_cli_usage(&gp_cmd_unassign, "%s", file ? "give DOMAIN... or --file PATH, not both"
                                               : "give at least one DOMAIN (or --file PATH)");
    if (file && uri)
        return gp_cli_usage(&gp_cmd_unassign, "--file rewrites a file without libvirt: "
                            "leave out --connect");
    rc = gp_cli_restart_options(&gp_cmd_unassign, restart, timeout, file != NULL, &how);
    if (rc != GP_EXIT_OK)
        return rc;
    if (file) {
        g_autoptr(GpAssignResult) result = gp_domassign_file_clear(file, &error);

        if (!result)
            return gp_cli_fail(error);
        print_result(result);
        return GP_EXIT_OK;
    }
    conn = gp_assign_connect(uri, &error);
    if (!conn)
        return gp_cli_fail(error);
    for (int i = 1; i < argc; i++) {
        g_autoptr(GpAssignResult) result = gp_unassign_domain(conn, argv[i], &how, &error);

        if (!result) {
            gp_cli_fail_domain(argv[i], error);
            g_clear_error(&error);
            rc = GP_EXIT_FAILURE;
            continue;
        }
        print_result(result);
        fflush(stdout);
    }
    return rc;
}

const GpCliCommand gp_cmd_unassign = {
    .name = "unassign",
    .args = "DOMAIN...|--file PATH [--restart [--timeout SECONDS]] [--connect URI]",
    .summary = "Remove a domain's pool devices and the settings assign made",
    .help = "Removes exactly what 'gpupool assign' added (metadata, hostdevs, MMIO and\n"
            "stop settings) and puts back the values it changed.  Several domains are\n"
            "done one after the other, each reported.  A running domain keeps its\n"
            "devices until it stops; --restart applies the change now (shut down,\n"
            "destroyed after --timeout, changed, started again; if that start fails,\n"
            "the previous definition is started again).\n"
            "\n"
            "Examples:\n"
            "  gpupool unassign win11\n"
            "  gpupool unassign vm1 vm2 --restart\n"
            "\n"
            "Exit status: 0 on success, 1 when a domain was refused or failed (that\n"
            "domain was left as it was), 2 for a mistake on the command line.",
    .run = run_unassign,
};
