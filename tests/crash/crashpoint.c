/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crash-injection preload: an LD_PRELOAD object that counts the calls
 * by which a process changes a file or sysfs and kills the process
 * (SIGKILL, to itself) right before the Nth of them, so that a test can
 * see what any point of a command leaves behind.
 *
 *   GP_CRASH_COUNTER  a file holding the number of calls counted so far
 *                     (created by the runner, shared across exec: the hook
 *                     gate execs the hook, and both count);
 *   GP_CRASH_AT       N: kill before the Nth call (0 or unset: only count);
 *   GP_CRASH_LOG      a file that gets one line per call, "N CALL PATH".
 *
 * Counted: write, writev and pwrite to regular files (sysfs attributes are
 * regular files, in the kernel and in tests/sim), open and openat with
 * O_CREAT, creat, rename, renameat, renameat2, unlink, unlinkat, rmdir,
 * mkdir, mkdirat, symlink, link, fsync, fdatasync, ftruncate, fchmod,
 * chmod, utimes, utimensat.  That is every call gpupool makes to change
 * its files (temporary file, write, fsync, rename, directory fsync) and
 * sysfs (each attribute write), and more.  Not counted: calls made while
 * another counted call runs (the simulated kernel's reaction to a sysfs
 * write, tests/sim, is the kernel's and happens at once), writes to
 * memfds, pipes and terminals, and the calls of a child after fork(),
 * which gets GP_CRASH_OFF=1 so that what it execs does not count either:
 * the parent's sequence stays deterministic.
 *
 * A write to sysfs (under GPUPOOL_SYSFS_ROOT) is counted when its file is
 * opened for writing: the simulated attribute is a plain file that the
 * writer's O_TRUNC empties, which the kernel's never is, so killing a
 * process between that open and its write would leave a state no real
 * host can be in.  Killed at the open, the host is as before the write.
 *
 * Listed first in LD_PRELOAD, before the simulated kernel: the counted
 * call then reaches the simulator through RTLD_NEXT.
 *
 * Its own bookkeeping uses raw system calls, so it never counts itself,
 * and it needs nothing but libc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* Set once this object's constructor ran: before that, libraries still
 * being set up call in (a sanitizer's runtime makes its log directory
 * while the dynamic loader initialises it, when its own interceptors of
 * snprintf and strtol cannot be called yet), and nothing is counted. */
static int ready;
/* Inside a counted call: what it does itself is not counted again.
 * Initial-exec, as a preloaded object may: the general model calls
 * __tls_get_addr, which a sanitizer's runtime intercepts, and that
 * interceptor cannot be called while the runtime is being set up. */
static __thread int depth __attribute__((tls_model("initial-exec")));
/* A child after fork(): it counts nothing. */
static int off;
/* Descriptors of sysfs attributes whose write was counted at the open. */
#define MAX_FDS 4096
static unsigned char counted_at_open[MAX_FDS];

__attribute__((constructor)) static void
crash_ready(void)
{
    ready = 1;
}

static int
crash_off(void)
{
    const char *env;

    if (off || !ready)
        return 1;
    env = getenv("GP_CRASH_OFF");
    return env && *env == '1';
}

static long
read_number(int fd)
{
    char buf[32];
    long n = syscall(SYS_pread64, fd, buf, sizeof(buf) - 1, 0);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

static void
raw_write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        long n = syscall(SYS_write, fd, s, len);

        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

/* The path FD stands for ("?" if unknown). */
static void
fd_path(int fd, char *out, size_t size)
{
    char proc[64];
    long n;

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    n = syscall(SYS_readlink, proc, out, size - 1);
    if (n < 0)
        n = snprintf(out, size, "?");
    out[n] = '\0';
}

/* One counted call: bump the counter, log it, and die if it is the one. */
static void
point(const char *call, const char *path)
{
    const char *counter, *at, *log;
    int saved = errno;
    char line[4200];
    long n;
    int fd;

    if (depth || crash_off())
        return;
    counter = getenv("GP_CRASH_COUNTER");
    at = getenv("GP_CRASH_AT");
    log = getenv("GP_CRASH_LOG");
    if (!counter)
        return;
    fd = (int)syscall(SYS_openat, AT_FDCWD, counter, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return;
    }
    n = read_number(fd) + 1;
    snprintf(line, sizeof(line), "%ld\n", n);
    syscall(SYS_ftruncate, fd, 0);
    syscall(SYS_pwrite64, fd, line, strlen(line), 0);
    syscall(SYS_close, fd);
    if (log) {
        fd = (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                          0644);
        if (fd >= 0) {
            snprintf(line, sizeof(line), "%ld %s %s\n", n, call, path ? path : "");
            raw_write_all(fd, line, strlen(line));
            syscall(SYS_close, fd);
        }
    }
    if (at && strtol(at, NULL, 10) == n)
        syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
    errno = saved;
}

/* A write to FD changes a file only for regular files that are not
 * memfds (the hook gate hands the domain XML on in one), and it is
 * counted here unless it was at the open of a sysfs attribute. */
static int
fd_is_file(int fd, char *path, size_t size)
{
    struct stat st;

    if (depth || crash_off() || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (fd >= 0 && fd < MAX_FDS && counted_at_open[fd]) {
        counted_at_open[fd] = 0;
        return 0;
    }
    fd_path(fd, path, size);
    return strncmp(path, "/memfd:", 7) != 0;
}

/* PATH lies under the simulated (or real) sysfs root. */
static int
in_sysfs(const char *path)
{
    const char *root = getenv("GPUPOOL_SYSFS_ROOT");
    size_t len;

    if (!root || !*root)
        root = "/sys";
    len = strlen(root);
    return strncmp(path, root, len) == 0 && path[len] == '/';
}

/* An open: counted when it creates a file, or when it opens a sysfs
 * attribute for writing (the write that follows is that point). */
static int
open_point(const char *call, const char *path, int flags)
{
    if (flags & O_CREAT) {
        point(call, path);
        return 0;
    }
    if ((flags & O_ACCMODE) != O_RDONLY && !depth && !crash_off() && in_sysfs(path)) {
        point("write", path);
        return 1;
    }
    return 0;
}

static void
opened(int fd, int sysfs_write)
{
    if (fd >= 0 && fd < MAX_FDS)
        counted_at_open[fd] = (unsigned char)sysfs_write;
}

#define NEXT(name) \
    static __typeof__(name) *next; \
    if (!next) \
        next = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

#define RUN(expr) \
    do { \
        depth++; \
        ret = (expr); \
        depth--; \
    } while (0)

ssize_t
write(int fd, const void *buf, size_t count)
{
    char path[4096];
    ssize_t ret;
    NEXT(write);

    if (fd_is_file(fd, path, sizeof(path)))
        point("write", path);
    RUN(next(fd, buf, count));
    return ret;
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
    char path[4096];
    ssize_t ret;
    NEXT(writev);

    if (fd_is_file(fd, path, sizeof(path)))
        point("writev", path);
    RUN(next(fd, iov, iovcnt));
    return ret;
}

ssize_t
pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    char path[4096];
    ssize_t ret;
    NEXT(pwrite);

    if (fd_is_file(fd, path, sizeof(path)))
        point("pwrite", path);
    RUN(next(fd, buf, count, offset));
    return ret;
}

ssize_t
pwrite64(int fd, const void *buf, size_t count, off_t offset)
{
    char path[4096];
    ssize_t ret;
    NEXT(pwrite64);

    if (fd_is_file(fd, path, sizeof(path)))
        point("pwrite", path);
    RUN(next(fd, buf, count, offset));
    return ret;
}

static mode_t
mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

int
open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;
    int at_open;
    int ret;
    NEXT(open);

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    at_open = open_point("open", path, flags);
    RUN(next(path, flags, mode));
    opened(ret, at_open);
    return ret;
}

int
open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;
    int at_open;
    int ret;
    NEXT(open64);

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    at_open = open_point("open", path, flags);
    RUN(next(path, flags, mode));
    opened(ret, at_open);
    return ret;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;
    int at_open;
    int ret;
    NEXT(openat);

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    at_open = open_point("openat", path, flags);
    RUN(next(dirfd, path, flags, mode));
    opened(ret, at_open);
    return ret;
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;
    int at_open;
    int ret;
    NEXT(openat64);

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    at_open = open_point("openat", path, flags);
    RUN(next(dirfd, path, flags, mode));
    opened(ret, at_open);
    return ret;
}

int
creat(const char *path, mode_t mode)
{
    int ret;
    NEXT(creat);

    point("creat", path);
    RUN(next(path, mode));
    return ret;
}

int
rename(const char *from, const char *to)
{
    int ret;
    NEXT(rename);

    point("rename", to);
    RUN(next(from, to));
    return ret;
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
    int ret;
    NEXT(renameat);

    point("renameat", to);
    RUN(next(fromfd, from, tofd, to));
    return ret;
}

int
renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
    int ret;
    NEXT(renameat2);

    point("renameat2", to);
    RUN(next(fromfd, from, tofd, to, flags));
    return ret;
}

int
unlink(const char *path)
{
    int ret;
    NEXT(unlink);

    point("unlink", path);
    RUN(next(path));
    return ret;
}

int
unlinkat(int dirfd, const char *path, int flags)
{
    int ret;
    NEXT(unlinkat);

    point("unlinkat", path);
    RUN(next(dirfd, path, flags));
    return ret;
}

int
rmdir(const char *path)
{
    int ret;
    NEXT(rmdir);

    point("rmdir", path);
    RUN(next(path));
    return ret;
}

int
mkdir(const char *path, mode_t mode)
{
    int ret;
    NEXT(mkdir);

    point("mkdir", path);
    RUN(next(path, mode));
    return ret;
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
    int ret;
    NEXT(mkdirat);

    point("mkdirat", path);
    RUN(next(dirfd, path, mode));
    return ret;
}

int
symlink(const char *target, const char *path)
{
    int ret;
    NEXT(symlink);

    point("symlink", path);
    RUN(next(target, path));
    return ret;
}

int
link(const char *from, const char *to)
{
    int ret;
    NEXT(link);

    point("link", to);
    RUN(next(from, to));
    return ret;
}

int
fsync(int fd)
{
    char path[4096];
    int ret;
    NEXT(fsync);

    if (!depth && !crash_off()) {
        fd_path(fd, path, sizeof(path));
        point("fsync", path);
    }
    RUN(next(fd));
    return ret;
}

int
fdatasync(int fd)
{
    char path[4096];
    int ret;
    NEXT(fdatasync);

    if (!depth && !crash_off()) {
        fd_path(fd, path, sizeof(path));
        point("fdatasync", path);
    }
    RUN(next(fd));
    return ret;
}

int
ftruncate(int fd, off_t length)
{
    char path[4096];
    int ret;
    NEXT(ftruncate);

    if (fd_is_file(fd, path, sizeof(path)))
        point("ftruncate", path);
    RUN(next(fd, length));
    return ret;
}

int
fchmod(int fd, mode_t mode)
{
    char path[4096];
    int ret;
    NEXT(fchmod);

    if (fd_is_file(fd, path, sizeof(path)))
        point("fchmod", path);
    RUN(next(fd, mode));
    return ret;
}

int
chmod(const char *path, mode_t mode)
{
    int ret;
    NEXT(chmod);

    point("chmod", path);
    RUN(next(path, mode));
    return ret;
}

int
utimes(const char *path, const struct timeval times[2])
{
    int ret;
    NEXT(utimes);

    point("utimes", path);
    RUN(next(path, times));
    return ret;
}

int
utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
    int ret;
    NEXT(utimensat);

    point("utimensat", path);
    RUN(next(dirfd, path, times, flags));
    return ret;
}

pid_t
fork(void)
{
    pid_t ret;
    NEXT(fork);

    ret = next();
    if (ret == 0) {
        off = 1;
        setenv("GP_CRASH_OFF", "1", 1);
    }
    return ret;
}
