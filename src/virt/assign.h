/* Assigning libvirt domains to pools: `gpupool assign`, `unassign`,
 * `rebalance`, `status` and the host-shutdown helper.
 *
 * The rewriting is ops/domassign.h's (the decisions policy/reserve.h's,
 * the pool's units and the claims the ledger's).  The gp_assign_*_domain()
 * functions talk to libvirt: they read the persistent definition
 * (virDomainGetXMLDesc INACTIVE|SECURE), have it rewritten and define it
 * again.
 *
 * Locking: libvirt runs the hook inside a domain's start job, and the
 * hook takes the state lock.  Holding the state lock while calling
 * libvirt about a domain that is starting could wait on that job, which
 * waits on us.  So the state lock is held only to take a consistent
 * snapshot of the claims, never across a libvirt call. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "state/claims.h"
#include "state/domain.h"
#include "state/domxml.h"
#include "state/pool.h"
#include "policy/reserve.h"
#include "ops/domassign.h"

G_BEGIN_DECLS

#define GP_ASSIGN_ERROR gp_assign_error_quark()
GQuark gp_assign_error_quark(void);

typedef enum {
    GP_ASSIGN_ERROR_NOT_FOUND,  /* no such domain */
    GP_ASSIGN_ERROR_REFUSED,    /* transient domain, count too large, ... */
    GP_ASSIGN_ERROR_LIBVIRT,    /* libvirt failed */
    GP_ASSIGN_ERROR_INVALID,    /* bad arguments */
} GpAssignError;

#define GP_ASSIGN_DEFAULT_URI "qemu:///system"

/* ---- libvirt --------------------------------------------------------------- */

/* URI, else $LIBVIRT_DEFAULT_URI, else qemu:///system. */
const char *gp_assign_uri(const char *uri);
/* Errors name the URI and the fix (is libvirtd running?).  A URI of
 * another host's libvirt is refused (REFUSED): gpupool's pools are this
 * host's. */
virConnectPtr gp_assign_connect(const char *uri, GError **error);
/* By name or UUID.  NOT_FOUND: "domain 'vm1' not found on URI: check
 * 'virsh list --all'". */
virDomainPtr gp_assign_lookup(virConnectPtr conn, const char *name, GError **error);

/* What assign and unassign do to a domain that runs.  NULL (or RESTART
 * FALSE): nothing; the change applies at its next start (result->running
 * says so).  RESTART: the change is made now, all or nothing:
 *   1. a start with the new definition must pass gpupool's checks
 *      (gp_lifecycle_check()), else the domain is left running and
 *      unchanged;
 *   2. it is stopped as at host shutdown (virt/power.h: asked to shut
 *      down, destroyed after TIMEOUT seconds);
 *   3. the new definition is defined and started;
 *   4. if that start fails (the hook refuses, QEMU fails), the previous
 *      definition is defined again and started, and the error says so.
 * A domain that does not run is only redefined. */
typedef struct {
    gboolean restart;
    guint timeout;
} GpAssignRestart;

/* `gpupool assign`: COUNT 1..64; MMIO 0 = auto. */
GpAssignResult *gp_assign_domain(virConnectPtr conn, const char *name, const char *pool,
                                 guint count, guint64 mmio, const GpAssignRestart *restart,
                                 GError **error);
/* `gpupool unassign`: removes everything assign added. */
GpAssignResult *gp_unassign_domain(virConnectPtr conn, const char *name,
                                   const GpAssignRestart *restart, GError **error);

/* `gpupool rebalance`: first drops the claims of domains libvirt does not
 * run (they stopped while libvirtd was down; one line each in DROPPED),
 * then re-points; returns the moves applied (GpReserveMove*).  PROBLEMS
 * gets one line per device that could not be re-pointed or domain that
 * could not be read or redefined. */
GPtrArray *gp_assign_rebalance(virConnectPtr conn, GPtrArray *dropped, GPtrArray *problems,
                               GError **error);

/* NAME's persistent definition (the one its next start uses) read as the
 * hook reads it; *ACTIVE (may be NULL) says whether it runs now. */
GpDomAssignment *gp_assign_read_definition(virConnectPtr conn, const char *name,
                                           gboolean *active, GError **error);

/* The running domains (virDomainPtr, freed with the array). */
GPtrArray *gp_assign_list_running(virConnectPtr conn, GError **error);

/* Which claims are stale, asked the way `status` and `rebalance` ask it:
 * a claim is stale when its domain does not run, so it stopped while no
 * release hook could run (libvirtd was down), and `gpupool rebalance`
 * drops it.  gp_assign_running_uuids() is the set of the UUIDs (lower
 * case) of the domains libvirt runs; gp_assign_keep_fresh_claims() adds
 * those of CLAIMS younger than T0 (seconds since the epoch, taken before
 * libvirt was asked, the claims read after): their domains are starting,
 * and libvirt's answer may predate their start.  A claim whose domain is
 * not in the set is stale. */
GHashTable *gp_assign_running_uuids(virConnectPtr conn, GError **error);
void gp_assign_keep_fresh_claims(GHashTable *running, GpClaims *claims, gint64 t0);

/* The persistent domains' gpupool reservations: GpDomain* sorted
 * by name; domains whose metadata cannot be read get a line in PROBLEMS. */
GPtrArray *gp_assign_list_domains(virConnectPtr conn, GPtrArray *problems, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)

G_END_DECLS
