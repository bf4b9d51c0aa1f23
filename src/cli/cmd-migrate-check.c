/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool migrate-check: can a domain live-migrate, as far as its pool
 * devices go?  "DOMAIN: yes: REASON" (exit 0) or "DOMAIN: no: REASON"
 * (exit 1) on stdout: the GpuDomain resource agent's migrate_to asks it
 * before it lets VirtualDomain migrate. */
#include "config.h"

#include "virt/assign.h"
#include "virt/migrate.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_migrate_check(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    g_autofree char *to_uri = NULL;
    GOptionEntry entries[] = {
        { "to", 't', 0, G_OPTION_ARG_STRING, &to_uri,
          "The destination's libvirt URI (qemu+ssh://HOST/system): its hypervisor is "
          "checked too", "URI" },
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virConnect) to = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *answer = NULL;
    gboolean yes;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_migrate_check, entries, &argc, &argv, 1,
                           "give exactly one DOMAIN");
    if (rc != GP_EXIT_OK)
        return rc;
    conn = gp_assign_connect(uri, &error);
    if (!conn)
        return gp_cli_fail(error);
    if (to_uri) {
        to = gp_assign_connect(to_uri, &error);
        if (!to)
            return gp_cli_fail(error);
    }
    yes = gp_virt_migrate_check(conn, to, argv[1], &answer, &error);
    if (!answer)
        return gp_cli_fail(error);
    printf("%s: %s: %s\n", argv[1], yes ? "yes" : "no", answer);
    return yes ? GP_EXIT_OK : GP_EXIT_FAILURE;
}

const GpCliCommand gp_cmd_migrate_check = {
    .name = "migrate-check",
    .args = "DOMAIN [--to URI] [--connect URI]",
    .summary = "Can a domain live-migrate with its pool devices? yes or no, and why",
    .help = "Answers like Hyper-V's SupportsOutgoingLiveMigration: a domain with whole\n"
            "devices (pci pools) never live-migrates; one with partitions only where\n"
            "the destination has a free partition of the same pool, type and profile,\n"
            "and QEMU and the kernel can migrate VFIO devices (the versions found are\n"
            "named).  ocf:gpupool:GpuDomain asks it before a migration.\n"
            "\n"
            "Example:\n"
            "  gpupool migrate-check vm1 --to qemu+tls://node2/system\n"
            "\n"
            "Exit status: 0 for yes, 1 for no (or when it cannot tell), 2 for a mistake on\n"
            "the command line.",
    .run = run_migrate_check,
};
