/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `gpupool migrate-check`: can a libvirt domain live-migrate, as far as
 * its pool devices go (the counterpart of Hyper-V's
 * SupportsOutgoingLiveMigration).  The rules are policy/migrate.h's; this
 * asks libvirt for the domain's definition and for the hypervisor's name
 * and version on each side, and uname for this host's kernel. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "policy/migrate.h"

G_BEGIN_DECLS

/* The hypervisor behind CONN: its name and version from libvirt, the
 * kernel's release when CONN is on this host; WHERE as given (borrowed
 * strings are copied into STORE, freed with it). */
void gp_virt_migrate_stack(virConnectPtr conn, const char *where, GpMigrateStack *stack,
                           GPtrArray *store);

/* Can domain NAME on CONN live-migrate to TO (NULL: only this side is
 * checked)?  *ANSWER (new string) is the reason, e.g. "pool gpus hands
 * out whole devices; stop the domain and start it on the destination,
 * or let the cluster restart it".  FALSE with *ANSWER: it cannot.  FALSE
 * with ERROR set (ANSWER NULL): the domain or a pool could not be read. */
gboolean gp_virt_migrate_check(virConnectPtr conn, virConnectPtr to, const char *name,
                               char **answer, GError **error);

G_END_DECLS
