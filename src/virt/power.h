/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stopping running libvirt domains that have pool devices: asked to shut
 * down, given a timeout, then destroyed.  Never suspended or saved
 * (libvirt-guests' default at host shutdown), because device state
 * cannot be saved.  One code for `gpupool shutdown-domains` (host
 * shutdown) and for `assign --restart`, which stops a domain to change
 * its devices. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* Seconds a guest is given to shut down before it is destroyed. */
#define GP_POWER_DEFAULT_TIMEOUT 120
#define GP_POWER_MAX_TIMEOUT 3600

typedef enum {
    GP_POWER_ASKED,          /* asked to shut down */
    GP_POWER_ASK_FAILED,     /* the request failed (DETAIL); destroyed after the timeout */
    GP_POWER_SHUT_DOWN,      /* it shut down within the timeout */
    GP_POWER_DESTROYED,      /* still running after the timeout: destroyed */
    GP_POWER_DESTROY_FAILED, /* and that failed (DETAIL): it still runs */
} GpPowerEvent;

/* Told each step as it happens, so a caller can print it at once (the
 * wait may be long).  DETAIL is libvirt's message, or NULL. */
typedef void (*GpPowerReport)(virDomainPtr dom, GpPowerEvent event, const char *detail,
                              gpointer data);

/* Asks every domain of DOMS (virDomainPtr) to shut down, waits until
 * none runs or TIMEOUT seconds passed, then destroys those still
 * running.  Returns how many could not be stopped. */
guint gp_power_stop(GPtrArray *doms, guint timeout, GpPowerReport report, gpointer data);

G_END_DECLS
