#include "config.h"

#include "base/txfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

static gboolean
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return FALSE;
        }
        data += n;
        len -= n;
    }
    return TRUE;
}

gboolean
gp_txfile_replace(const char *path, const char *data, gssize len,
                  int mode, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    int fd;
    int dfd;

    if (len < 0)
        len = strlen(data);

    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0)
        return fail_errno(error, errno, "create a temporary file in", dir);
    if (fchmod(fd, mode) < 0 || !write_all(fd, data, len) || fsync(fd) < 0) {
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

guint
gp_txfile_remove_leftovers(const char *dir, GPtrArray *removed)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = NULL;
        struct stat st;

        if (!is_leftover(name))
            continue;
        path = g_build_filename(dir, name, NULL);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) == 0) {
            n++;
            if (removed)
                g_ptr_array_add(removed, g_steal_pointer(&path));
        }
    }
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
