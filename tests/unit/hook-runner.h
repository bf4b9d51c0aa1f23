/* The libvirt hook run as libvirt runs it (hooks/gpupool-hook DOMAIN OP
 * SUB - with the domain XML on stdin), on a simulated host, and the
 * domain definitions it is given: for the suites that drive the hook
 * binary. */
#pragma once

#include <glib.h>

#include "sim.h"

G_BEGIN_DECLS

typedef struct {
    int status;      /* exit status, or 128 + signal */
    char *out;
    char *err;
    double seconds;  /* until stdout and stderr were closed */
} GpHookRun;

void gp_hook_run_clear(GpHookRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(GpHookRun, gp_hook_run_clear)

/* Runs the hook with XML on stdin (NULL: a pipe nobody writes to, kept
 * open, so a hook that reads stdin would hang) and the sim's environment
 * and simulated kernel (the mdevs and vendor profiles it sets react as
 * the kernel's do): DOMAIN OP SUB -. */
void gp_test_run_hook(GpHookRun *run, const char *domain, const char *op, const char *sub,
                      const char *xml);

/* The `gpupool rebalance` the hook starts becomes a stand-in that takes
 * SLEEP_SECONDS and appends "rebalance begin NS cleared|pending" and
 * "rebalance end NS" lines to STATEDIR/rebalance-ran (whether the pending
 * flag was already cleared when it began: it must be). */
void gp_test_fake_rebalance(GpSim *sim, guint sleep_seconds);

/* The system log as a log daemon sees it: a datagram socket bound at
 * the sim's GPUPOOL_SYSLOG_SOCKET, where gpupool sends its log lines.
 * Close it with gp_test_syslog_close(). */
int gp_test_syslog_listen(GpSim *sim);
/* Every line received so far, in order, "<PRI>STAMP gpupool[PID]: ..."
 * (NULL-terminated); WAIT_FOR > 0 waits up to 5 s until there are at
 * least that many. */
gchar **gp_test_syslog_lines(int fd, guint wait_for);
void gp_test_syslog_close(GpSim *sim, int fd);

/* Domain NAME/UUID (q35, no devices) as `gpupool assign --pool POOL
 * --mmio 1T` defines it when it reserves DEVICES (NULL-terminated; PCI
 * addresses of pci and vf pools, mdev UUIDs of mdev pools): gpupool's
 * metadata, its <hostdev>s and the MMIO window, as libvirt hands it to
 * the hook. */
char *gp_test_assigned_xml(const char *name, const char *uuid, const char *pool,
                           const char *const *devices);

/* A libvirt test-driver node (BASE/node.xml) that knows the domains of
 * XMLS (NULL-terminated domain definitions, as gp_test_assigned_xml()
 * makes them) and runs none of them; returns its URI ("test:///...") for
 * `gpupool rebalance --connect`, which asks libvirt what runs. */
char *gp_test_stopped_domains_uri(GpSim *sim, const char *const *xmls);

G_END_DECLS
