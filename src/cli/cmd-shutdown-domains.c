/* gpupool shutdown-domains: what gpupool-shutdown.service runs at host
 * shutdown.  Domains holding pool devices are asked to shut down, given
 * TIMEOUT seconds, then destroyed: they must never be suspended or saved
 * (libvirt-guests' default), because device state cannot be saved. */
#include "config.h"

#include "ledger/ledger.h"
#include "virt/assign.h"
#include "virt/power.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include <libvirt/virterror.h>

/* Running domains that hold pool devices: by their claims, or by the
 * gpupool request in their live definition (a claim lost with /run). */
static GPtrArray *
gpu_domains(virConnectPtr conn, GpClaims *claims, GError **error)
{
    GPtrArray *doms = gp_assign_list_running(conn, error);

    for (guint i = 0; doms && i < doms->len;) {
        virDomainPtr dom = doms->pdata[i];
        char uuid[VIR_UUID_STRING_BUFLEN] = "";
        gboolean ours = FALSE;

        if (virDomainGetUUIDString(dom, uuid) == 0 && claims) {
            g_autoptr(GPtrArray) held = gp_claims_of_domain(claims, uuid, NULL);

            ours = held->len > 0;
        }
        if (!ours) {
            char *xml = virDomainGetXMLDesc(dom, 0);

            ours = xml && gp_domxml_has_assignment(xml, strlen(xml));
            free(xml);
        }
        if (ours)
            i++;
        else
            g_ptr_array_remove_index(doms, i);
    }
    return doms;
}

/* Each step on its own line as it happens: the wait may be long. */
static void
report(virDomainPtr d, GpPowerEvent event, const char *detail, gpointer data)
{
    const gint *timeout = data;

    switch (event) {
    case GP_POWER_ASKED:
        printf("%s: asked to shut down\n", virDomainGetName(d));
        break;
    case GP_POWER_ASK_FAILED:
        fprintf(stderr, "gpupool: warning: %s: shutdown request failed (%s); it will be "
                "destroyed after the timeout\n", virDomainGetName(d), detail);
        break;
    case GP_POWER_SHUT_DOWN:
        printf("%s: shut down\n", virDomainGetName(d));
        break;
    case GP_POWER_DESTROYED:
        printf("%s: destroyed after %d s\n", virDomainGetName(d), *timeout);
        break;
    case GP_POWER_DESTROY_FAILED:
        fprintf(stderr, "gpupool: error: %s: cannot destroy it: %s\n", virDomainGetName(d),
                detail);
        break;
    }
    fflush(stdout);
}

static int
run_shutdown_domains(int argc, char **argv)
{
    gint timeout = GP_POWER_DEFAULT_TIMEOUT;
    g_autofree char *uri = NULL;
    GOptionEntry entries[] = {
        { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
          "Seconds to wait for guests to shut down before destroying them (default 120)",
          "SECONDS" },
        GP_CLI_OPTION_CONNECT(&uri),
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    GpClaims *claims;
    g_autoptr(GPtrArray) doms = NULL;
    guint failed;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_shutdown_domains, entries, &argc, &argv, 0,
                           "takes no arguments");
    if (rc != GP_EXIT_OK)
        return rc;
    if (timeout < 0 || timeout > GP_POWER_MAX_TIMEOUT)
        return gp_cli_usage(&gp_cmd_shutdown_domains, "--timeout must be 0..%d seconds",
                            GP_POWER_MAX_TIMEOUT);
    conn = gp_assign_connect(uri, &error);
    if (!conn)
        return gp_cli_fail(error);
    ledger = gp_ledger_open(GP_LEDGER_READ, &error);
    claims = ledger ? gp_ledger_claims(ledger) : NULL;
    if (!claims) {
        /* Still stop the domains that carry a request. */
        fprintf(stderr, "gpupool: warning: %s\n", error->message);
        g_clear_error(&error);
    }
    doms = gpu_domains(conn, claims, &error);
    if (!doms)
        return gp_cli_fail(error);
    if (doms->len == 0) {
        printf("no running domain holds gpupool devices\n");
        return GP_EXIT_OK;
    }

    failed = gp_power_stop(doms, (guint)timeout, report, &timeout);
    return failed ? GP_EXIT_FAILURE : GP_EXIT_OK;
}

const GpCliCommand gp_cmd_shutdown_domains = {
    .name = "shutdown-domains",
    .args = "[--timeout SECONDS] [--connect URI]",
    .summary = "Shut down (then destroy) running domains holding pool devices (host shutdown)",
    .help = "What gpupool-shutdown.service runs at host shutdown, before\n"
            "libvirt-guests could save them: running domains holding pool devices\n"
            "are asked to shut down and destroyed after the timeout, because device\n"
            "state cannot be saved.\n"
            "\n"
            "Example:\n"
            "  gpupool shutdown-domains --timeout 120\n"
            "\n"
            "Exit status: 0 when every such domain stopped, 1 otherwise, 2 for a\n"
            "mistake on the command line.",
    .run = run_shutdown_domains,
};
