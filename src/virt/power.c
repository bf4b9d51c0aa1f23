/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shut down, wait, destroy. */
#include "config.h"

#include "virt/power.h"

#include <libvirt/virterror.h>

static void
tell(GpPowerReport report, gpointer data, virDomainPtr dom, GpPowerEvent event,
     const char *detail)
{
    if (report)
        report(dom, event, detail, data);
}

guint
gp_power_stop(GPtrArray *doms, guint timeout, GpPowerReport report, gpointer data)
{
    gint64 deadline;
    guint failed = 0;

    for (guint i = 0; i < doms->len; i++) {
        virDomainPtr d = g_ptr_array_index(doms, i);

        /* A guest that stopped by itself meanwhile makes the request fail
         * harmlessly. */
        if (virDomainShutdown(d) < 0 && virDomainIsActive(d) == 1)
            tell(report, data, d, GP_POWER_ASK_FAILED, virGetLastErrorMessage());
        else
            tell(report, data, d, GP_POWER_ASKED, NULL);
    }
    deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
    for (;;) {
        guint running = 0;

        for (guint i = 0; i < doms->len; i++)
            if (virDomainIsActive(g_ptr_array_index(doms, i)) == 1)
                running++;
        if (running == 0 || g_get_monotonic_time() >= deadline)
            break;
        g_usleep(G_USEC_PER_SEC / 2);
    }
    for (guint i = 0; i < doms->len; i++) {
        virDomainPtr d = g_ptr_array_index(doms, i);

        if (virDomainIsActive(d) != 1) {
            tell(report, data, d, GP_POWER_SHUT_DOWN, NULL);
        } else if (virDomainDestroy(d) < 0 && virDomainIsActive(d) == 1) {
            tell(report, data, d, GP_POWER_DESTROY_FAILED, virGetLastErrorMessage());
            failed++;
        } else {
            tell(report, data, d, GP_POWER_DESTROYED, NULL);
        }
    }
    return failed;
}
