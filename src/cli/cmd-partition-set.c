/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool partition-set DEVICE --count N | --profile TYPE: like
 * Set-VMHostPartitionableGpu.  Applies across the pool of DEVICE and
 * records the setting there for `gpupool setup`. */
#include "config.h"

#include "ops/partition.h"
#include "cli/cli.h"

#include <string.h>

static int
run_partition_set(int argc, char **argv)
{
    gint count = 0;
    gint per_domain = 0;
    g_autofree char *profile = NULL;
    GOptionEntry entries[] = {
        { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Number of partitions", "N" },
        { "profile", 'p', 0, G_OPTION_ARG_STRING, &profile,
          "Partition profile (mdev type, vGPU type ID)", "TYPE" },
        { "per-domain", 0, 0, G_OPTION_ARG_INT, &per_domain,
          "Partitions of the pool one domain may hold (default 1)", "N" },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *device = NULL;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_partition_set, entries, &argc, &argv, 1,
                           "give exactly one DEVICE");
    if (rc != GP_EXIT_OK)
        return rc;
    if (count < 0 || count > 4096)
        return gp_cli_usage(&gp_cmd_partition_set, "--count must be from 1 to 4096, not %d",
                            count);
    if (per_domain < 0 || per_domain > GP_POOL_PER_DOMAIN_MAX)
        return gp_cli_usage(&gp_cmd_partition_set, "--per-domain must be from 1 to %d, not %d",
                            GP_POOL_PER_DOMAIN_MAX, per_domain);
    if (count == 0 && !profile && per_domain == 0)
        return gp_cli_usage(&gp_cmd_partition_set,
                            "give --count N or --profile TYPE (or --per-domain N)");
    if (profile && (!*profile || strlen(profile) > 128 || strchr(profile, '/')))
        return gp_cli_usage(&gp_cmd_partition_set, "'%.64s' is not a profile name", profile);

    device = gp_partition_device_name(argv[1], &error);
    if (!device)
        return gp_cli_fail(error);
    if (!gp_partition_set(device, (guint)count, profile, (guint)per_domain, done, &error))
        return gp_cli_fail(error);
    gp_cli_print_lines(done);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_partition_set = {
    .name = "partition-set",
    .args = "DEVICE --count N | --profile TYPE [--per-domain N]",
    .summary = "Set a GPU's (and its pool's) partition count or profile",
    .help = "Sets DEVICE (and every GPU of its pool) to N partitions, or to the\n"
            "partitions of a profile, and records it in the pool so that 'gpupool\n"
            "setup' applies it again at boot.  DEVICE is a PCI address or an mdev\n"
            "parent's name as /sys/class/mdev_bus lists it (e.g. mbochs).  Refused\n"
            "while partitions are held, naming the domains.\n"
            "\n"
            "Examples:\n"
            "  gpupool partition-set 0000:3b:00.0 --count 4\n"
            "  gpupool partition-set mbochs --profile mbochs-large\n"
            "  gpupool partition-set 0000:c1:00.0 --per-domain 2\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_partition_set,
};
