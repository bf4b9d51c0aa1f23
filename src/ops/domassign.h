/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `gpupool assign` and `unassign` do to a domain definition: the
 * request and the reserved units in gpupool's metadata, the <hostdev>s,
 * the 64-bit MMIO window and the stop action (state/domxml.h), with the
 * units chosen by policy/reserve.h among what the ledger counts.
 *
 * libvirt-free, so that one code serves a libvirt domain (virt/assign.c
 * reads the definition from libvirt and defines the result) and a domain
 * XML file that a cluster starts the domain from (ocf:heartbeat:
 * VirtualDomain's config=, shared by every node), which is replaced
 * atomically and never given to libvirt here. */
#pragma once

#include <glib.h>

#include "state/domain.h"
#include "state/domxml.h"
#include "ledger/ledger.h"

G_BEGIN_DECLS

#define GP_DOMASSIGN_ERROR gp_domassign_error_quark()
GQuark gp_domassign_error_quark(void);

typedef enum {
    GP_DOMASSIGN_ERROR_REFUSED,  /* count too large, a pool that cannot give it, ... */
    GP_DOMASSIGN_ERROR_INVALID,  /* bad arguments, a definition gpupool cannot rewrite */
    GP_DOMASSIGN_ERROR_IO,       /* a domain XML file that cannot be read or replaced */
} GpDomAssignError;

typedef struct {
    char *domain;
    gboolean changed;       /* FALSE: the definition already was like this */
    gboolean running;       /* the change applies at the next start */
    gboolean restarted;     /* stopped and started again with the change (--restart) */
    gboolean destroyed;     /* ... and destroyed, not shut down, within the timeout */
    GPtrArray *devices;     /* GpDomDevice* assigned (all pools) */
    guint64 window;         /* 64-bit MMIO window set, bytes; 0 = none */
    guint64 needed;         /* what the devices need by gpupool's sizing; 0 = unknown */
    guint phys_bits;        /* guest physical address bits set; 0 = left */
    gboolean ovmf;
    guint held_by_others;   /* chosen devices another running domain holds now */
} GpAssignResult;

void gp_assign_result_free(GpAssignResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpAssignResult, gp_assign_result_free)

/* Rewrites DOM, parsed from XML (the definition as read), to ask for
 * COUNT (1..64) units of pool POOL (MMIO 0 = size the window from the
 * pools' devices), keeping the requests of other pools and the devices
 * it already has.  RESERVED: the other domains whose definitions reserve
 * units (GpDomain*), so that assign keeps clear of them; NULL when they
 * cannot be known (a shared file: only this host's claims count).
 * LEDGER: a snapshot.  Returns what was done; *NEW_XML is the rewritten
 * definition (result->changed says whether it differs). */
GpAssignResult *gp_domassign_apply(GpLedger *ledger, GpDomXml *dom, const char *xml,
                                   const char *pool, guint count, guint64 mmio,
                                   GPtrArray *reserved, char **new_xml, GError **error);

/* `gpupool unassign`: removes from DOM (parsed from XML) everything
 * assign added.  *NEW_XML as above. */
GpAssignResult *gp_domassign_clear(GpDomXml *dom, const char *xml, char **new_xml,
                                   GError **error);

/* The same for the domain XML file PATH (a symbolic link is followed):
 * read, rewrite, and when it changed replace the file atomically (temp
 * file, fsync, rename), keeping its permissions.  The file needs a
 * <uuid>: every node of a cluster must start the domain under the same
 * one.  Reservations of other domains are unknown here: the units are
 * chosen among this host's, free ones first. */
GpAssignResult *gp_domassign_file(const char *path, const char *pool, guint count,
                                  guint64 mmio, GError **error);
GpAssignResult *gp_domassign_file_clear(const char *path, GError **error);

/* Reads the domain XML file PATH (at most GP_DOMXML_MAX_SIZE bytes) for
 * the commands that take --file: errors name the file and the fix. */
char *gp_domassign_read_file(const char *path, gsize *len, GError **error);

G_END_DECLS
