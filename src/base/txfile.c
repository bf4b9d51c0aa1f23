/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "base/txfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

G_DEFINE_QUARK(gp-txfile-error-quark, gp_txfile_error)

struct _GpLock {
    int fd;
    char *path;
};

static gboolean
fail_errno(GError **error, int err, const char *what, const char *path)
{
    g_set_error(error, GP_TXFILE_ERROR, err, "cannot %s %s: %s",
                what, path, g_strerror(err));
    return FALSE;
}

/* The most pieces one writev() takes on Linux (UIO_MAXIOV). */
#define TX_PIECES_MAX 1024

/* Writes the N PIECES in order, with as few calls as the kernel allows;
 * PIECES is used up. */
static gboolean
write_pieces(int fd, struct iovec *pieces, guint n)
{
    while (n > 0) {
        ssize_t done = writev(fd, pieces, MIN(n, (guint)TX_PIECES_MAX));

        if (done < 0) {
            if (errno == EINTR)
                continue;
            return FALSE;
        }
        /* Skip what was written, finishing a piece written in part. */
        while (n > 0 && (size_t)done >= pieces->iov_len) {
            done -= pieces->iov_len;
            pieces++;
            n--;
        }
        if (n > 0) {
            pieces->iov_base = (char *)pieces->iov_base + done;
            pieces->iov_len -= done;
        }
    }
    return TRUE;
}

gboolean
gp_txfile_replace(const char *path, const char *data, gssize len,
                  int mode, GError **error)
{
    GpTxPiece piece = { data, len < 0 ? strlen(data) : (gsize)len };

    return gp_txfile_replace_pieces(path, &piece, 1, mode, error);
}

gboolean
gp_txfile_replace_pieces(const char *path, const GpTxPiece *pieces, guint n_pieces,
                         int mode, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    g_autofree struct iovec *iov = g_new(struct iovec, MAX(n_pieces, 1));
    int fd;
    int dfd;

    for (guint i = 0; i < n_pieces; i++)
        iov[i] = (struct iovec){ .iov_base = (void *)pieces[i].data, .iov_len = pieces[i].len };
    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0)
        return fail_errno(error, errno, "create a temporary file in", dir);
    if (fchmod(fd, mode) < 0 || !write_pieces(fd, iov, n_pieces) || fsync(fd) < 0) {
        int err = errno;

        close(fd);
        unlink(tmp);
        return fail_errno(error, err, "write", tmp);
    }
    if (close(fd) < 0) {
        int err = errno;

        unlink(tmp);
        return fail_errno(error, err, "write", tmp);
    }
    if (rename(tmp, path) < 0) {
        int err = errno;

        unlink(tmp);
        return fail_errno(error, err, "rename a temporary file over", path);
    }
    /* The rename is durable only once the directory entry is. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return TRUE;
}

/* NAME is what gp_txfile_replace() names its temporary files: a dot,
 * the file's name, a dot and the six letters or digits of mkstemp(). */
static gboolean
is_leftover(const char *name)
{
    size_t len = strlen(name);

    if (len < 9 || name[0] != '.' || name[len - 7] != '.')
        return FALSE;
    for (size_t i = len - 6; i < len; i++)
        if (!g_ascii_isalnum(name[i]))
            return FALSE;
    return TRUE;
}

/* opendir(), not g_dir_open(): the hook looks into directories that do
 * not exist yet on every claim, and g_dir_open() spells out an error for
 * them, loading the C library's character set conversion to do so. */
guint
gp_txfile_remove_leftovers(const char *dir, GPtrArray *removed)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    guint n = 0;

    while (d && (entry = readdir(d))) {
        g_autofree char *path = NULL;
        struct stat st;

        if (!is_leftover(entry->d_name))
            continue;
        path = g_build_filename(dir, entry->d_name, NULL);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) == 0) {
            n++;
            if (removed)
                g_ptr_array_add(removed, g_steal_pointer(&path));
        }
    }
    if (d)
        closedir(d);
    return n;
}

gboolean
gp_txfile_ensure_dir(const char *dir, int mode, GError **error)
{
    if (g_mkdir_with_parents(dir, mode) < 0)
        return fail_errno(error, errno, "create directory", dir);
    return TRUE;
}

GpLock *
gp_lock_acquire(const char *path, GError **error)
{
    GpLock *lock;
    int fd;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail_errno(error, errno, "open lock file", path);
        return NULL;
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int err = errno;

            close(fd);
            fail_errno(error, err, "lock", path);
            return NULL;
        }
    }
    lock = g_new0(GpLock, 1);
    lock->fd = fd;
    lock->path = g_strdup(path);
    return lock;
}

void
gp_lock_release(GpLock *lock)
{
    if (!lock)
        return;
    flock(lock->fd, LOCK_UN);
    close(lock->fd);
    g_free(lock->path);
    g_free(lock);
}
