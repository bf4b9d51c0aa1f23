/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A simulated host, scanned into the host model, for the suites that
 * read the model (test-host, test-pcidev).  Each suite that includes this
 * gets its own SIM and HOST; teardown() frees both. */
#pragma once

#include <criterion/criterion.h>
#include <glib.h>

#include "host/host.h"
#include "sim.h"

static GpSim *sim;
static GpHost *host;

/* Device names come from a pinned pci.ids, not the build host's. */
static inline void
use_test_pci_ids(void)
{
    g_setenv("GPUPOOL_PCI_IDS", GP_TOP_SRCDIR "/tests/data/pci.ids", TRUE);
}

/* (Re)reads HOST from SIM, as after a change to the simulated sysfs. */
static inline void
scan(void)
{
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&host, gp_host_free);
    host = gp_host_scan(&error);
    cr_assert_not_null(host, "scan failed: %s", error ? error->message : "?");
}

static inline const GpPciDev *
dev(const char *address)
{
    g_autoptr(GError) error = NULL;
    GpPciDev *d = gp_host_lookup(host, address, &error);

    cr_assert_not_null(d, "%s: %s", address, error ? error->message : "?");
    return d;
}

/* SIM becomes FIXTURE's host, and HOST its scan. */
static inline void
start(GpSim *(*fixture)(void))
{
    use_test_pci_ids();
    sim = fixture();
    scan();
}

static inline void
teardown(void)
{
    g_clear_pointer(&host, gp_host_free);
    g_clear_pointer(&sim, gp_sim_free);
}
