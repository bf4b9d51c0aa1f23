/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool-hook: the program libvirt runs for every QEMU hook call
 * ($hookdir/gpupool is a symlink to it).
 *
 * It runs on the start path of every domain on the host, GPU or not, and
 * most domains are none of gpupool's business, so this front part links
 * nothing but libc: loading GLib and libxml2 (with ICU) alone costs more
 * than a millisecond per call.  It lets through only the operations
 * gpupool handles and only domains whose XML mentions the gpupool
 * namespace, and hands those to the domain part (hooks/hook.c), the part
 * that parses, locks and claims, which it loads as a module only then,
 * with the XML it already read.  At prepare begin it also hands on a
 * domain that may pass host devices through (it mentions "hostdev", or
 * has a character reference, which can spell it): such a domain must not
 * name a pool device, which the domain part checks.  Everything else exits 0
 * here: without reading stdin for the operations gpupool ignores, after
 * one to three substring searches otherwise. */
#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* The operations and the input bound, shared with hook.c, and the
 * decision itself (libc only as well). */
#include "hooks/gate-filter.h"
#include "hooks/hook-ops.h"

#define GATE_MAX_INPUT GP_HOOK_MAX_INPUT

/* Reads FD into a new buffer: at most GATE_MAX_INPUT bytes, *TRUNCATED
 * set when there was more. */
static char *
read_all(int fd, size_t *len_out, int *truncated)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);

    *truncated = 0;
    if (!buf)
        return NULL;
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *bigger;

            if (cap >= GATE_MAX_INPUT) {
                char probe;

                /* Full: one more byte says whether there was more. */
                while ((n = read(fd, &probe, 1)) < 0 && errno == EINTR)
                    ;
                *truncated = n != 0;
                break;
            }
            cap = cap * 4 > GATE_MAX_INPUT ? GATE_MAX_INPUT : cap * 4;
            bigger = realloc(buf, cap);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return NULL;
        }
        if (n == 0)
            break;
        len += n;
    }
    *len_out = len;
    return buf;
}

/* Appends TEXT to OUT (of SIZE bytes, used *LEN), control characters as
 * C escapes, as base/syslog.c writes them. */
static void
log_append(char *out, size_t size, size_t *len, const char *text)
{
    for (; *text && *len + 5 < size; text++) {
        unsigned char c = (unsigned char)*text;

        if (c < 0x20 || c == 0x7f)
            *len += snprintf(out + *len, size - *len, "\\x%02x", c);
        else
            out[(*len)++] = (char)c;
    }
    out[*len] = '\0';
}

/* The gate's own refusals and warnings go to the system log as the
 * hook's do (base/syslog.h: one non-blocking datagram to /dev/log, or
 * GPUPOOL_SYSLOG_SOCKET; "NAME (uuid unknown): EVENT: MESSAGE"), formatted
 * here because the gate links libc only.  The UUID is in the XML the gate
 * could not read. */
static void
gate_log(const char *name, GpHookOp op, int refused, const char *message)
{
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    const char *event = op == GP_HOOK_OP_PREPARE ? "start refused"
                        : op == GP_HOOK_OP_MIGRATE ? "incoming migration refused"
                        : op == GP_HOOK_OP_RESTORE ? "restore refused"
                        : op == GP_HOOK_OP_RELEASE ? "release" : "reconnect";
    const char *path = getenv("GPUPOOL_SYSLOG_SOCKET");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char line[2048];
    char short_name[65];
    size_t len;
    time_t now = time(NULL);
    struct tm tm;
    int fd;

    if (!path || !*path)
        path = "/dev/log";
    if (strlen(path) >= sizeof(addr.sun_path) || !localtime_r(&now, &tm))
        return;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    snprintf(short_name, sizeof(short_name), "%s", name);
    len = (size_t)snprintf(line, sizeof(line), "<%d>%s %2d %02d:%02d:%02d gpupool[%ld]: ",
                           LOG_DAEMON | (refused ? LOG_ERR : LOG_WARNING),
                           months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                           (long)getpid());
    log_append(line, sizeof(line), &len, short_name);
    log_append(line, sizeof(line), &len, " (uuid unknown): ");
    log_append(line, sizeof(line), &len, event);
    log_append(line, sizeof(line), &len, ": ");
    log_append(line, sizeof(line), &len, message);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
        (void)!send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
}

/* Says why on stderr (libvirt shows it) and in the system log; returns
 * what the gate exits with: 1 where libvirt lets the hook refuse. */
static int
gate_fail(const char *name, GpHookOp op, const char *message)
{
    int refused = gp_hook_op_can_refuse(op);

    char shown[64 * 4 + 1];
    char short_name[65];
    size_t len = 0;

    /* One line: libvirt accepts a TAB in a name, and nothing but libvirt
     * vouches for argv. */
    snprintf(short_name, sizeof(short_name), "%s", name);
    log_append(shown, sizeof(shown), &len, short_name);
    fprintf(stderr, "gpupool: %s: %s\n", shown, message);
    gate_log(name, op, refused, message);
    return refused ? 1 : 0;
}

/* Where the domain part is (hook-ops.h). */
static int
domain_part_path(char *out, size_t size)
{
    const char *env = getenv(GP_HOOK_ENV_LIBDIR);
    const char *dir = env && *env ? env : GP_HOOK_LIBDIR;

    if ((size_t)snprintf(out, size, "%s/%s", dir, GP_HOOK_DOMAIN_MODULE) >= size)
        return -1;
    return 0;
}

int
main(int argc, char **argv)
{
    char path[PATH_MAX];
    size_t len = 0;
    int truncated = 0;
    GpHookDomainRun run;
    void *module;
    GpHookOp op;
    int status;
    char *xml;

    if ((status = gp_hook_usage(argc, argv)) >= 0)
        return status;
    op = gp_hook_op_classify(argv[2], argv[3]);
    if (op == GP_HOOK_OP_IGNORED)
        return 0;

    xml = read_all(STDIN_FILENO, &len, &truncated);
    if (!xml || (truncated && !gp_hook_op_takes_truncated(op))) {
        char why[128];

        free(xml);
        snprintf(why, sizeof(why), "cannot read the domain XML (over %d MiB, or unreadable): "
                 "refusing to look at it", GATE_MAX_INPUT >> 20);
        return gate_fail(argv[1], op, why);
    }
    /* Too large to be read whole, a release still gives back what the
     * domain holds (hook-ops.h); otherwise only what gpupool must see
     * goes on (gate-filter.h). */
    if (truncated) {
        setenv(GP_HOOK_ENV_TRUNCATED, "1", 1);
    } else {
        unsetenv(GP_HOOK_ENV_TRUNCATED);
        if (!gp_gate_wants(op, xml, len)) {
            free(xml);
            return 0;
        }
    }

    /* Into this process rather than a program of its own: a second
     * program image, and the C library started twice, cost more than
     * anything the domain part does (hooks/local.mk). */
    if (domain_part_path(path, sizeof(path)) < 0) {
        free(xml);
        return gate_fail(argv[1], op, "the hook's module directory (" GP_HOOK_ENV_LIBDIR
                         ") is too long");
    }
    module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    run = module ? (GpHookDomainRun)dlsym(module, GP_HOOK_DOMAIN_ENTRY) : NULL;
    if (!run) {
        char why[PATH_MAX + 512];

        free(xml);
        snprintf(why, sizeof(why), "cannot load the hook's domain part %s: %s "
                 "(reinstall gpupool)", path, dlerror());
        return gate_fail(argv[1], op, why);
    }
    status = run(argc, argv, xml, len, truncated);
    free(xml);
    return status;
}
