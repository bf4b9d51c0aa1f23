/* gpupool setup: re-apply every pool at boot (gpupool-setup.service). */
#include "config.h"

#include "ops/poolhost.h"
#include "cli/cli.h"

#include <stdio.h>

static int
run_setup(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func(g_free);
    gboolean ok;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_setup, NULL, &argc, &argv, 0, "takes no arguments");
    if (rc != GP_EXIT_OK)
        return rc;
    ok = gp_poolhost_setup(done, failed, &error);
    gp_cli_print_lines(done);
    if (error)
        return gp_cli_fail(error);
    for (guint i = 0; i < failed->len; i++)
        gp_cli_error("%s", (const char *)g_ptr_array_index(failed, i));
    if (!ok)
        return GP_EXIT_FAILURE;
    if (done->len == 0)
        printf("Nothing to set up: no pool has devices\n");
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_setup = {
    .name = "setup",
    .args = "",
    .summary = "Re-apply every pool (vfio-pci bindings, VF counts); run at boot",
    .help = "What gpupool-setup.service runs at boot, before libvirtd: every pci pool\n"
            "device is bound to vfio-pci again, VF counts are set, and the partition\n"
            "settings recorded by partition-set (mdev types, vendor profiles) are applied\n"
            "again.  Then what an interrupted command left is put right: temporary files,\n"
            "claims of mdevs that are gone, gpupool's own mdevs no claim owns, vendor\n"
            "profiles on VFs no claim holds.  It never drops the claim of a device that is\n"
            "there (it cannot tell whether its domain runs: 'gpupool rebalance' asks\n"
            "libvirt).  Running it twice changes nothing.  A device that fails is reported\n"
            "and the others are still applied.\n"
            "\n"
            "Example:\n"
            "  gpupool setup\n"
            "\n"
            "Exit status: 0 when every pool was applied, 1 when a device failed, 2 for a\n"
            "mistake on the command line.",
    .run = run_setup,
};
