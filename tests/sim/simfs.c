/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files and links of the simulated tree.  Everything here writes through
 * the real write(), never through the interposer, so building the tree
 * never triggers a reaction. */
#include "config.h"

#include "simint.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef ssize_t (*WriteFn)(int, const void *, size_t);

ssize_t
sim_real_write(int fd, const void *buf, size_t count)
{
    static WriteFn real;

    if (!real) {
        real = (WriteFn)dlsym(RTLD_NEXT, "write");
        if (!real) {
            /* Nothing else can write: fall back to the raw system call. */
            errno = ENOSYS;
            return -1;
        }
    }
    return real(fd, buf, count);
}

void
sim_log(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    g_autofree char *line = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    line = g_strdup_printf("gpsim: %s\n", msg);
    sim_real_write(STDERR_FILENO, line, strlen(line));
}

gboolean
sim_put(const char *path, const void *data, gsize len)
{
    const char *p = data;
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        sim_log("cannot create %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    while (len > 0) {
        ssize_t n = sim_real_write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sim_log("cannot write %s: %s", path, g_strerror(errno));
            close(fd);
            return FALSE;
        }
        p += n;
        len -= n;
    }
    close(fd);
    return TRUE;
}

gboolean
sim_putf(const char *path, const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return sim_put(path, text, strlen(text));
}

gboolean
sim_mkdir(const char *path)
{
    if (g_mkdir_with_parents(path, 0755) < 0) {
        sim_log("cannot create directory %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* "../../x" from LINK's directory to TARGET: the kernel's links are
 * relative so that a sysfs tree can be looked at from anywhere. */
static char *
relative_target(const char *link, const char *target)
{
    g_autofree char *from = g_path_get_dirname(link);
    g_auto(GStrv) a = g_strsplit(from, "/", -1);
    g_auto(GStrv) b = g_strsplit(target, "/", -1);
    GString *rel = g_string_new(NULL);
    guint i = 0, j;

    while (a[i] && b[i] && strcmp(a[i], b[i]) == 0)
        i++;
    for (j = i; a[j]; j++) {
        if (*a[j])
            g_string_append(rel, "../");
    }
    for (j = i; b[j]; j++) {
        if (!*b[j])
            continue;
        g_string_append(rel, b[j]);
        if (b[j + 1])
            g_string_append_c(rel, '/');
    }
    return g_string_free(rel, FALSE);
}

gboolean
sim_symlink(const char *link, const char *target)
{
    g_autofree char *rel = relative_target(link, target);

    unlink(link);
    if (symlink(rel, link) < 0) {
        sim_log("cannot link %s -> %s: %s", link, rel, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static gboolean
rm_rf_at(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return errno == ENOENT;
    if (S_ISDIR(st.st_mode)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);

            if (!rm_rf_at(child))
                return FALSE;
        }
        if (rmdir(path) < 0) {
            sim_log("cannot remove %s: %s", path, g_strerror(errno));
            return FALSE;
        }
        return TRUE;
    }
    if (unlink(path) < 0) {
        sim_log("cannot remove %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

gboolean
sim_rm_rf(const char *path)
{
    return rm_rf_at(path);
}

char *
sim_get(const char *path)
{
    char *contents = NULL;

    if (!g_file_get_contents(path, &contents, NULL, NULL))
        return NULL;
    return contents;
}

gboolean
sim_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

char *
sim_resolve(SimCtx *ctx, const char *rel)
{
    g_autofree char *path = g_build_filename(ctx->root, rel, NULL);
    char *real = realpath(path, NULL);
    char *ret;

    if (!real)
        return NULL;
    ret = g_strdup(real);
    free(real);
    return ret;
}
