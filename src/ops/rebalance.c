/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Coalescing the detached rebalances the hook starts. */
#include "config.h"

#include "ops/rebalance.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/paths.h"

gboolean
gp_rebalance_mark(gint64 stale_seconds)
{
    g_autofree char *path = gp_paths_rebalance_pending();
    struct stat st;
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
        close(fd);
        return TRUE;
    }
    if (errno != EEXIST)
        return TRUE; /* cannot coalesce: better one rebalance too many */
    if (stat(path, &st) == 0 && g_get_real_time() / G_USEC_PER_SEC - st.st_mtime > stale_seconds) {
        /* The rebalance that set it never began; take the flag over. */
        utimes(path, NULL);
        return TRUE;
    }
    return FALSE;
}

int
gp_rebalance_take_turn(void)
{
    g_autofree char *path = gp_paths_rebalance_lock();
    /* Not close-on-exec: the rebalance inherits it and holds the lock
     * until it exits. */
    int fd = open(path, O_RDWR | O_CREAT, 0600);

    if (fd >= 0) {
        while (flock(fd, LOCK_EX) < 0) {
            if (errno != EINTR) {
                close(fd);
                fd = -1;
                break;
            }
        }
    }
    /* Begun: changes from now on need another rebalance. */
    gp_rebalance_begin();
    return fd;
}

void
gp_rebalance_begin(void)
{
    g_autofree char *path = gp_paths_rebalance_pending();

    unlink(path);
}

int
gp_rebalance_hold(void)
{
    g_autofree char *path = gp_paths_rebalance_lock();
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    while (fd >= 0 && flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            close(fd);
            fd = -1;
        }
    }
    return fd;
}
