/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool: the admin's command line. */
#include "config.h"

#include "cli/cli.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

/* Subcommands in the order `gpupool --help` lists them.  Add one line per
 * command; its implementation lives in src/cli/cmd-NAME.c. */
static const GpCliCommand *const commands[] = {
    &gp_cmd_devices,
    &gp_cmd_pool_create,
    &gp_cmd_pool_define,
    &gp_cmd_pool_add,
    &gp_cmd_pool_remove,
    &gp_cmd_pool_list,
    &gp_cmd_pool_info,
    &gp_cmd_pool_undefine,
    &gp_cmd_setup,
    &gp_cmd_assign,
    &gp_cmd_unassign,
    &gp_cmd_status,
    &gp_cmd_domain,
    &gp_cmd_check,
    &gp_cmd_rebalance,
    &gp_cmd_shutdown_domains,
    &gp_cmd_migrate_check,
    &gp_cmd_partitions,
    &gp_cmd_partition_set,
    &gp_cmd_pool_check,
    &gp_cmd_cluster_prepare,
    &gp_cmd_cluster_forget,
    &gp_cmd_cluster_capacity,
    &gp_cmd_cluster_config,
    &gp_cmd_cluster_status,
    NULL
};

static void
print_help(FILE *out)
{
    fprintf(out,
            "Usage: gpupool COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "Give libvirt/QEMU guests GPUs from named host pools.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; commands[i]; i++) {
        g_autofree char *head = g_strdup_printf("%s %s", commands[i]->name,
                                                commands[i]->args ? commands[i]->args : "");
        if (strlen(head) <= 36)
            fprintf(out, "  %-36s %s\n", head, commands[i]->summary);
        else
            fprintf(out, "  %s\n  %-36s %s\n", head, "", commands[i]->summary);
    }
    fprintf(out,
            "\n"
            "Run 'gpupool COMMAND --help' for a command's options, an example and its\n"
            "exit codes.  Exit status: 0 on success, 1 when refused or failed, 2 for a\n"
            "mistake on the command line.\n"
            "\n"
            "Environment:\n"
            "  GPUPOOL_CONFDIR     pool definitions (default " GP_SYSCONFDIR "/gpupool)\n"
            "  GPUPOOL_STATEDIR    claims and locks (default " GP_RUNSTATEDIR "/gpupool)\n"
            "  GPUPOOL_SYSFS_ROOT  the sysfs to read and write (default /sys)\n"
            "  GPUPOOL_SCHEMADIR   RelaxNG schemas (default " GP_DATADIR "/gpupool/schemas)\n"
            "  GPUPOOL_PLUGINDIR   vendor back-end modules (default " GP_PKGLIBDIR ")\n"
            "  GPUPOOL_PCI_IDS     the pci.ids file for device names (default: libpci's)\n"
            "  GPUPOOL_SYSLOG_SOCKET  the system log's socket (default /dev/log)\n"
            "  LIBVIRT_DEFAULT_URI libvirt connection (default qemu:///system)\n");
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");

    if (argc < 2) {
        print_help(stderr);
        return GP_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return GP_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gpupool %s\n", PACKAGE_VERSION);
        return GP_EXIT_OK;
    }
    for (size_t i = 0; commands[i]; i++) {
        if (strcmp(argv[1], commands[i]->name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "gpupool: unknown command '%.64s' (see 'gpupool --help')\n", argv[1]);
    return GP_EXIT_USAGE;
}
