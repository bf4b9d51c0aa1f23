/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash-safe file updates and the locks that serialise them.
 *
 * Every change to gpupool's configuration or state is a transaction: take
 * the lock, read, decide, write a temporary file, fsync it, rename it over
 * the old one, fsync the directory.  A crash at any point leaves either the
 * old or the new contents, never a mix.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GP_TXFILE_ERROR gp_txfile_error_quark()
GQuark gp_txfile_error_quark(void);

/* Error codes are errno values. */

/* Atomically replace PATH with DATA (LEN bytes, or strlen if -1), creating
 * it with MODE. */
gboolean gp_txfile_replace(const char *path, const char *data, gssize len,
                           int mode, GError **error);

/* A piece of a file's new contents: LEN bytes at DATA. */
typedef struct {
    const char *data;
    gsize len;
} GpTxPiece;

/* gp_txfile_replace() with the contents in N_PIECES pieces, written
 * in order without first copying them into one buffer. */
gboolean gp_txfile_replace_pieces(const char *path, const GpTxPiece *pieces, guint n_pieces,
                                  int mode, GError **error);

/* Removes from DIR the temporary files gp_txfile_replace() leaves when it
 * is killed between creating one and renaming it (".NAME.XXXXXX"),
 * adding their names to REMOVED (may be NULL).  Only for a directory
 * whose writers all hold one lock, held by the caller: then no such file
 * can still be in use.  Returns how many were removed. */
guint gp_txfile_remove_leftovers(const char *dir, GPtrArray *removed);

/* Create DIR and its parents with MODE if missing. */
gboolean gp_txfile_ensure_dir(const char *dir, int mode, GError **error);

typedef struct _GpLock GpLock;

/* Block until the exclusive lock on PATH (created if missing) is ours.
 * flock(2) based, so it is released by the kernel if the holder dies. */
GpLock *gp_lock_acquire(const char *path, GError **error);
void gp_lock_release(GpLock *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpLock, gp_lock_release)

G_END_DECLS
