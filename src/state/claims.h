/* Who holds what: the runtime record of which running domain holds which
 * device of which pool since when, in STATEDIR/claims.xml (schema
 * xml/claims.rng).  Every change is a transaction of the ledger
 * (src/ledger/ledger.h), which holds the host-wide lock around load,
 * decide and save (temp file, fsync, rename). */
#pragma once

#include <glib.h>


G_BEGIN_DECLS

#define GP_CLAIMS_ERROR gp_claims_error_quark()
GQuark gp_claims_error_quark(void);

typedef enum {
    GP_CLAIMS_ERROR_CORRUPT,  /* the state file cannot be parsed */
    GP_CLAIMS_ERROR_HELD,     /* the device is held by another domain */
    GP_CLAIMS_ERROR_IO,
} GpClaimsError;

/* A claim is read-only once made (the store keeps it in one block with
 * its strings): change who holds what by adding and dropping claims. */
typedef struct {
    char *device;       /* PCI address, or mdev UUID for mdev pools */
    char *pool;
    char *domain_uuid;
    char *domain_name;
    gint64 since;       /* seconds since the epoch */
    char *parent;       /* mdev: parent device the mdev was created on; else NULL */
} GpClaim;

typedef struct _GpClaims GpClaims;

/* No claims. */
GpClaims *gp_claims_new(void);
/* The claims file; missing = no claims.  Only the ledger reads and
 * writes it, under its lock (readers of a snapshot may do without). */
GpClaims *gp_claims_load(GError **error);
gboolean gp_claims_save(GpClaims *claims, GError **error);
void gp_claims_free(GpClaims *claims);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpClaims, gp_claims_free)

/* All claims, sorted by device; borrowed. */
GPtrArray *gp_claims_all(GpClaims *claims);
const GpClaim *gp_claims_find(GpClaims *claims, const char *device);
/* Whether CLAIM is the domain's of DOMAIN_UUID (any case) and
 * DOMAIN_NAME: a domain is known by its UUID and its name both.  libvirt
 * keeps each unique and renames only a domain that is shut off, which
 * holds nothing; XML with a holder's UUID under another name (fed to the
 * hook by hand, a copy defined elsewhere) is another domain, which must
 * neither get the holder's devices nor give them back.  DOMAIN_NAME NULL:
 * by the UUID alone (a domain libvirt says does not run). */
gboolean gp_claim_is_domains(const GpClaim *claim, const char *domain_uuid,
                             const char *domain_name);

/* Claims of one domain (gp_claim_is_domains()), borrowed pointers in a
 * new array. */
GPtrArray *gp_claims_of_domain(GpClaims *claims, const char *domain_uuid,
                               const char *domain_name);

/* Records DEVICE as held; succeeds if the same domain (UUID and name)
 * already holds it; GP_CLAIMS_ERROR_HELD naming the holder otherwise. */
gboolean gp_claims_add(GpClaims *claims, const char *device, const char *pool,
                       const char *domain_uuid, const char *domain_name,
                       const char *parent, GError **error);
/* Drops the claims of one domain (gp_claims_of_domain()); returns how
 * many. */
guint gp_claims_drop_domain(GpClaims *claims, const char *domain_uuid,
                            const char *domain_name);
gboolean gp_claims_drop_device(GpClaims *claims, const char *device);

G_END_DECLS
