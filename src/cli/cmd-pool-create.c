/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool pool-create: an empty pool of one type. */
#include "config.h"

#include "ops/poolhost.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_pool_create(int argc, char **argv)
{
    g_autofree char *type_str = NULL;
    g_autofree char *description = NULL;
    g_autofree char *mdev_type = NULL;
    gint vf_count = -1;
    GOptionEntry entries[] = {
        { "type", 't', 0, G_OPTION_ARG_STRING, &type_str,
          "pci (whole devices), mdev (mediated devices) or vf (SR-IOV VFs)", "TYPE" },
        { "description", 'd', 0, G_OPTION_ARG_STRING, &description,
          "One line shown in listings", "TEXT" },
        { "mdev-type", 0, 0, G_OPTION_ARG_STRING, &mdev_type,
          "mdev pools: the type every partition has, e.g. nvidia-63", "TYPE" },
        { "vf-count", 0, 0, G_OPTION_ARG_INT, &vf_count,
          "vf pools: VFs to enable on each physical function", "N" },
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;
    GpPoolType type;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_pool_create, entries, &argc, &argv, 1,
                           "give exactly one pool NAME");
    if (rc != GP_EXIT_OK)
        return rc;
    if (!type_str)
        return gp_cli_usage(&gp_cmd_pool_create, "--type is required: pci, mdev or vf");
    if (!gp_pool_type_from_string(type_str, &type))
        return gp_cli_usage(&gp_cmd_pool_create, "unknown --type '%.32s': use pci, mdev or vf",
                            type_str);
    if (mdev_type && type != GP_POOL_TYPE_MDEV)
        return gp_cli_usage(&gp_cmd_pool_create, "--mdev-type is only for --type mdev");
    if (vf_count >= 0 && type != GP_POOL_TYPE_VF)
        return gp_cli_usage(&gp_cmd_pool_create, "--vf-count is only for --type vf");
    if (vf_count > G_MAXUINT16 || vf_count < -1)
        return gp_cli_usage(&gp_cmd_pool_create, "--vf-count must be 0 to 65535");

    pool = gp_pool_new(argv[1], type, &error);
    if (!pool || !gp_pool_set_description(pool, description, &error))
        return gp_cli_fail(error);
    if (mdev_type) {
        if (!gp_pool_mdev_type_check(mdev_type, &error))
            return gp_cli_fail(error);
        pool->mdev_type = g_steal_pointer(&mdev_type);
    }
    if (vf_count > 0)
        pool->vf_count = vf_count;
    if (!gp_poolhost_create(pool, &error))
        return gp_cli_fail(error);
    printf("Pool '%s' (%s) created; add devices with 'gpupool pool-add %s DEVICE...'\n",
           pool->name, type_str, pool->name);
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_create = {
    .name = "pool-create",
    .args = "NAME --type pci|mdev|vf [OPTION...]",
    .summary = "Create an empty pool",
    .help = "Creates an empty pool in /etc/gpupool/pools/NAME.xml.  Give a pool the\n"
            "same name on every host of a cluster.\n"
            "\n"
            "Examples:\n"
            "  gpupool pool-create gpus --type pci --description \"A100s\"\n"
            "  gpupool pool-create vgpu --type mdev --mdev-type nvidia-222\n"
            "  gpupool pool-create flex --type vf --vf-count 4\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_pool_create,
};
