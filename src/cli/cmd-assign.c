/* gpupool assign: give a libvirt domain devices from a pool (the KVM form
 * of Add-VMAssignableDevice -ResourcePoolName), or a domain XML file a
 * cluster starts the domain from (--file). */
#include "config.h"

#include "policy/mmio.h"
#include "virt/assign.h"
#include "cli/cli.h"
#include "cli/restart.h"

#include <stdio.h>
#include <string.h>

static void
print_result(const GpAssignResult *r, const char *file)
{
    if (!r->changed) {
        printf("%s: already assigned like this, nothing changed\n", r->domain);
        return;
    }
    if (file)
        printf("%s: %s rewritten\n", r->domain, file);
    printf("%s: assigned", r->domain);
    for (guint i = 0; i < r->devices->len; i++) {
        const GpDomDevice *d = g_ptr_array_index(r->devices, i);

        printf("%s %s %s (%s)", i ? "," : "", d->pool, d->address ? d->address : d->uuid,
               d->alias);
    }
    printf("\n");
    if (r->window) {
        g_autofree char *size = gp_mmio_format_size(r->window);

        printf("%s: 64-bit MMIO window %s (pcihole64%s)", r->domain, size,
               r->ovmf ? ", OVMF aperture" : "");
        if (r->phys_bits)
            printf(", guest physical address bits %u", r->phys_bits);
        printf("\n");
        if (r->needed > r->window) {
            g_autofree char *need = gp_mmio_format_size(r->needed);

            gp_cli_warn("%s: --mmio %s is smaller than the %s its devices need: the guest "
                        "may not map them (run 'gpupool assign %s --pool POOL --mmio auto')",
                        r->domain, size, need, r->domain);
        }
    }
    if (file) {
        /* The reserved units are this host's; every node re-points them
         * to its own free ones when the cluster starts the domain there. */
        printf("%s: on_crash is destroy (libvirt cannot save a domain with passed-through "
               "devices); each node points it at its own free devices when the cluster "
               "starts it there ('gpupool cluster-prepare')\n", r->domain);
        return;
    }
    printf("%s: on_crash is destroy; at host shutdown gpupool-shutdown.service shuts it "
           "down (libvirt cannot save a domain with passed-through devices)\n", r->domain);
    if (r->held_by_others)
        printf("%s: note: %u of its devices are in use by running domains now; it starts "
               "once they are free or after 'gpupool rebalance'\n", r->domain,
               r->held_by_others);
    if (r->restarted)
        printf("%s: restarted with the change (%s)\n", r->domain,
               r->destroyed ? "destroyed: it did not shut down within the timeout"
                            : "shut down, then started");
    else if (r->running)
        printf("%s: the domain is running: the change applies at its next start "
               "(--restart applies it now)\n", r->domain);
}

static int
run_assign(int argc, char **argv)
{
    g_autofree char *pool = NULL;
    g_autofree char *mmio_arg = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *file = NULL;
    gint count = 1;
    gboolean restart = FALSE;
    gint timeout = -1;
    GOptionEntry entries[] = {
        { "pool", 'p', 0, G_OPTION_ARG_STRING, &pool, "Pool to take devices from", "POOL" },
        { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
          "Rewrite this domain XML file instead of a libvirt domain (the config= of a "
          "cluster's VirtualDomain resource)", "PATH" },
        { "count", 'n', 0, G_OPTION_ARG_INT, &count, "How many devices (default 1)", "N" },
        { "mmio", 0, 0, G_OPTION_ARG_STRING, &mmio_arg,
          "64-bit MMIO window: auto (default) or a size such as 64G", "auto|SIZE" },
        GP_CLI_OPTIONS_RESTART(&restart, &timeout),
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    GpAssignRestart how = { 0 };
    guint64 mmio = 0;
    int rc = GP_EXIT_OK;

    if (!gp_cli_parse(&gp_cmd_assign, entries, &argc, &argv))
        return GP_EXIT_USAGE;
    if (file ? argc != 1 : argc < 2)
        return gp_cli_usage(&gp_cmd_assign, "%s", file ? "give DOMAIN... or --file PATH, not both"
                                               : "give at least one DOMAIN (or --file PATH)");
    if (file && uri)
        return gp_cli_usage(&gp_cmd_assign, "--file rewrites a file without libvirt: "
                            "leave out --connect");
    rc = gp_cli_restart_options(&gp_cmd_assign, restart, timeout, file != NULL, &how);
    if (rc != GP_EXIT_OK)
        return rc;
    if (!pool)
        return gp_cli_usage(&gp_cmd_assign, "--pool POOL is required");
    if (count < 1 || count > GP_DOMXML_MAX_COUNT)
        return gp_cli_usage(&gp_cmd_assign, "--count must be 1..%d", GP_DOMXML_MAX_COUNT);
    if (mmio_arg && strcmp(mmio_arg, "auto") != 0 &&
        !gp_mmio_parse_size(mmio_arg, &mmio, &error))
        return gp_cli_usage(&gp_cmd_assign, "%s", error->message);

    if (file) {
        g_autoptr(GpAssignResult) result = gp_domassign_file(file, pool, (guint)count, mmio,
                                                             &error);

        if (!result)
            return gp_cli_fail(error);
        print_result(result, file);
        return GP_EXIT_OK;
    }
    conn = gp_assign_connect(uri, &error);
    if (!conn)
        return gp_cli_fail(error);
    /* Each domain on its own, all or nothing for each: one that fails
     * leaves the others done. */
    for (int i = 1; i < argc; i++) {
        g_autoptr(GpAssignResult) result = gp_assign_domain(conn, argv[i], pool, (guint)count,
                                                            mmio, &how, &error);

        if (!result) {
            gp_cli_fail_domain(argv[i], error);
            g_clear_error(&error);
            rc = GP_EXIT_FAILURE;
            continue;
        }
        print_result(result, NULL);
        fflush(stdout);
    }
    return rc;
}

const GpCliCommand gp_cmd_assign = {
    .name = "assign",
    .args = "DOMAIN...|--file PATH --pool POOL [--count N] [--mmio auto|SIZE] [--restart "
            "[--timeout SECONDS]] [--connect URI]",
    .summary = "Reserve devices of a pool for a domain or domain XML file (claimed at start)",
    .help = "Records the request in the domain's metadata, reserves concrete devices as\n"
            "<hostdev managed='no'> entries, sizes the 64-bit MMIO window (pcihole64, and\n"
            "OVMF's aperture) and sets on_crash to destroy.  The hook claims the devices\n"
            "at the next start.  Refused, with the reason, when a start would be: an mdev\n"
            "pool without a type, more partitions than one domain may hold, more devices\n"
            "than the pool has.\n"
            "\n"
            "Several domains are assigned one after the other, each reported and each all\n"
            "or nothing.  A running domain keeps its devices until it stops; --restart\n"
            "applies the change now: the domain is shut down (destroyed after --timeout),\n"
            "changed and started again, and if the new start fails its previous\n"
            "definition is defined and started again.  Nothing is stopped when a start\n"
            "with the change would be refused ('gpupool check' says why).\n"
            "\n"
            "With --file, the same rewriting is done on a domain XML file without\n"
            "libvirt, for a cluster's shared definition (ocf:gpupool:GpuDomain's config).\n"
            "\n"
            "Examples:\n"
            "  gpupool assign win11 --pool gpus\n"
            "  gpupool assign win11 --pool gpus --count 2 --mmio 1T\n"
            "  gpupool assign vm1 vm2 vm3 --pool gpus --restart --timeout 60\n"
            "  gpupool assign --file /shared/vm1.xml --pool gpus\n"
            "\n"
            "Exit status: 0 on success, 1 when a domain was refused or failed (that\n"
            "domain was left as it was), 2 for a mistake on the command line.",
    .run = run_assign,
};
