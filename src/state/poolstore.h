/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pool definitions of this host: one CONFDIR/pools/NAME.xml each.
 *
 * Readers need no lock (files are replaced atomically); a command that
 * changes pools holds gp_claims_lock() around its read-decide-write, so
 * two admins or an admin and the hook never interleave. */
#pragma once

#include <glib.h>

#include "state/pool.h"

G_BEGIN_DECLS

/* Errors are GP_POOL_ERROR: NOT_FOUND, EXISTS, INVALID (a corrupt file,
 * named with its path), IO. */

/* Every pool, sorted by name.  A file that does not parse is an error
 * naming it: a pool that silently vanished could hand its devices out
 * twice. */
GPtrArray *gp_poolstore_list(GError **error);
/* NOT_FOUND naming the pool and 'gpupool pool-list'. */
GpPool *gp_poolstore_load(const char *name, GError **error);
/* Writes NAME.xml atomically (mode 0644), creating CONFDIR/pools. */
gboolean gp_poolstore_save(const GpPool *pool, GError **error);
/* NOT_FOUND if there is no such pool. */
gboolean gp_poolstore_delete(const char *name, GError **error);
gboolean gp_poolstore_exists(const char *name);

/* Device address -> name of the pool that lists it (companions
 * included), both strings owned by the table.  INVALID if two pools list
 * the same device. */
GHashTable *gp_poolstore_membership(GError **error);

/* The pool that lists ADDRESS (canonical), or NULL without an error when
 * none does. */
GpPool *gp_poolstore_find_pool_of_device(const char *address, GError **error);

G_END_DECLS
