/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stopping running domains (src/virt/power.c), as host shutdown and
 * assign --restart do it, against libvirt's test driver: each step is
 * reported as it happens, and only what still runs after the timeout is
 * destroyed. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "virt/power.h"

static void
quiet(void *data, virErrorPtr err)
{
}

/* The events reported, as "NAME:EVENT" lines. */
static void
record(virDomainPtr dom, GpPowerEvent event, const char *detail, gpointer data)
{
    static const char *const names[] = {
        [GP_POWER_ASKED] = "asked", [GP_POWER_ASK_FAILED] = "ask-failed",
        [GP_POWER_SHUT_DOWN] = "shut-down", [GP_POWER_DESTROYED] = "destroyed",
        [GP_POWER_DESTROY_FAILED] = "destroy-failed",
    };

    g_string_append_printf(data, "%s:%s\n", virDomainGetName(dom), names[event]);
}

Test(power, a_domain_that_shuts_down_is_asked_and_never_destroyed)
{
    virConnectPtr conn;
    virDomainPtr dom;
    g_autoptr(GPtrArray) doms = g_ptr_array_new();
    g_autoptr(GString) events = g_string_new(NULL);

    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen("test:///default");
    cr_assert_not_null(conn);
    /* The test driver's default domain runs, and obeys a shutdown. */
    dom = virDomainLookupByName(conn, "test");
    cr_assert_not_null(dom);
    cr_assert_eq(virDomainIsActive(dom), 1);
    g_ptr_array_add(doms, dom);
    cr_assert_eq(gp_power_stop(doms, 5, record, events), 0);
    cr_assert_str_eq(events->str, "test:asked\ntest:shut-down\n");
    cr_assert_eq(virDomainIsActive(dom), 0);
    virDomainFree(dom);
    virConnectClose(conn);
}

Test(power, a_domain_already_stopped_is_not_a_failure)
{
    virConnectPtr conn;
    virDomainPtr dom;
    g_autoptr(GPtrArray) doms = g_ptr_array_new();
    g_autoptr(GString) events = g_string_new(NULL);

    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen("test:///default");
    cr_assert_not_null(conn);
    dom = virDomainLookupByName(conn, "test");
    cr_assert_eq(virDomainDestroy(dom), 0);
    g_ptr_array_add(doms, dom);
    cr_assert_eq(gp_power_stop(doms, 0, record, events), 0);
    cr_assert_str_eq(events->str, "test:asked\ntest:shut-down\n");
    virDomainFree(dom);
    virConnectClose(conn);
}
