/* gpupool-hook: the program libvirt runs for every QEMU hook call
 * ($hookdir/gpupool is a symlink to it).
 *
 * It runs on the start path of every domain on the host, GPU or not, and
 * most domains are none of gpupool's business, so this front part links
 * nothing but libc: loading GLib and libxml2 (with ICU) alone costs more
 * than a millisecond per call.  It lets through only the operations
 * gpupool handles and only domains whose XML mentions the gpupool
 * namespace, and hands those to gpupool-hook-domain (hooks/hook.c), the
 * part that parses, locks and claims, with the XML it already read as
 * stdin.  At prepare begin it also hands on a domain that may pass host
 * devices through (it mentions "hostdev", or has a character reference,
 * which can spell it): such a domain must not name a pool device, which
 * gpupool-hook-domain checks.  Everything else exits 0
 * here: without reading stdin for the operations gpupool ignores, after
 * one to three substring searches otherwise. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
#define GATE_DOMAIN_PART "gpupool-hook-domain"

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

static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= n;
    }
    return 0;
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

/* The domain part sits next to this program: $(libexecdir) when
 * installed (the hook directory holds only a symlink), src/ in the build
 * tree. */
static int
domain_part_path(char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n <= 0)
        return -1;
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    if ((size_t)snprintf(out, size, "%s/%s", self, GATE_DOMAIN_PART) >= size)
        return -1;
    return 0;
}

int
main(int argc, char **argv)
{
    char path[PATH_MAX];
    size_t len = 0;
    int truncated = 0;
    GpHookOp op;
    char *xml;
    int fd;

    if (argc < 4) {
        fprintf(stderr, "gpupool: usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA] "
                "< DOMAIN-XML (libvirt runs this as its QEMU hook)\n", argv[0]);
        return 2;
    }
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

    /* Hand the XML on as stdin: an anonymous in-memory file, so nothing
     * touches a disk and nothing is left behind. */
    fd = memfd_create("gpupool-hook-xml", 0);
    if (fd < 0 || write_all(fd, xml, len) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
        dup2(fd, STDIN_FILENO) < 0 || domain_part_path(path, sizeof(path)) < 0) {
        char why[256];
        int err = errno;

        free(xml);
        snprintf(why, sizeof(why), "cannot pass the domain XML on: %s", strerror(err));
        return gate_fail(argv[1], op, why);
    }
    if (fd != STDIN_FILENO)
        close(fd);
    free(xml);
    execv(path, argv);
    {
        char why[PATH_MAX + 128];

        snprintf(why, sizeof(why), "cannot run %s: %s (reinstall gpupool)", path,
                 strerror(errno));
        return gate_fail(argv[1], op, why);
    }
}
