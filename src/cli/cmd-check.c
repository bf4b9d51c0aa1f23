/* gpupool check: would `virsh start DOMAIN` pass gpupool now?  The hook's
 * own prepare decisions, run against a snapshot without changing
 * anything, for the domain's persistent definition. */
#include "config.h"

#include <stdio.h>

#include "state/domain.h"
#include "ops/lifecycle.h"
#include "virt/assign.h"
#include "cli/cli.h"

/* One domain: 0 when a start would pass, 1 with the hook's reason. */
static int
check_one(virConnectPtr conn, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) asg = NULL;
    g_autoptr(GpDomain) dom = NULL;
    gboolean active = FALSE;

    asg = gp_assign_read_definition(conn, name, &active, &error);
    if (!asg || !gp_lifecycle_check_passthrough(asg, NULL, &error))
        return gp_cli_fail(error);
    if (asg->requests->len == 0 && asg->devices->len == 0) {
        printf("%s: no gpupool request; gpupool lets it start\n", asg->name);
        return GP_EXIT_OK;
    }
    dom = gp_domain_new_from_assignment(asg);
    if (!gp_lifecycle_check(dom, &error))
        return gp_cli_fail(error);
    printf("%s: a start would pass gpupool%s\n", dom->name,
           active ? " (it runs now and holds its devices)" : "");
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];

        printf("  %s: %s of pool '%s'%s%s\n", dev->alias, dev->device, dev->pool,
               dev->parent ? " on " : "", dev->parent ? dev->parent : "");
    }
    return GP_EXIT_OK;
}

static int
run_check(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    GOptionEntry entries[] = {
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    int rc = GP_EXIT_OK;

    if (!gp_cli_parse(&gp_cmd_check, entries, &argc, &argv))
        return GP_EXIT_USAGE;
    if (argc < 2)
        return gp_cli_usage(&gp_cmd_check, "give at least one DOMAIN");
    conn = gp_assign_connect(uri, &error);
    if (!conn)
        return gp_cli_fail(error);
    for (int i = 1; i < argc; i++) {
        if (check_one(conn, argv[i]) != GP_EXIT_OK)
            rc = GP_EXIT_FAILURE;
    }
    return rc;
}

const GpCliCommand gp_cmd_check = {
    .name = "check",
    .args = "DOMAIN... [--connect URI]",
    .summary = "Say whether starting a domain would pass gpupool now, and why not",
    .help = "Runs the checks the libvirt hook makes at 'virsh start' (pool membership,\n"
            "devices held by other domains, partitions with room, the 64-bit MMIO window)\n"
            "against the domain's persistent definition, in the same words, and changes\n"
            "nothing.  Each domain is reported.\n"
            "\n"
            "Example:\n"
            "  gpupool check win11\n"
            "\n"
            "Exit status: 0 when every start would pass, 1 when one would be refused or\n"
            "could not be checked, 2 for a mistake on the command line.",
    .run = run_check,
};
