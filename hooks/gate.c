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
#include <unistd.h>

/* The operations and the input bound, shared with hook.c, and the
 * decision itself (libc only as well). */
#include "hooks/gate-filter.h"
#include "hooks/hook-ops.h"

#define GATE_MAX_INPUT GP_HOOK_MAX_INPUT
#define GATE_DOMAIN_PART "gpupool-hook-domain"

static char *
read_all(int fd, size_t *len_out)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);

    if (!buf)
        return NULL;
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *bigger;

            if (cap >= GATE_MAX_INPUT) {
                free(buf);
                return NULL;
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

    xml = read_all(STDIN_FILENO, &len);
    if (!xml) {
        fprintf(stderr, "gpupool: %.64s: cannot read the domain XML (over %d MiB, or "
                "unreadable): refusing to look at it\n", argv[1], GATE_MAX_INPUT >> 20);
        return gp_hook_op_can_refuse(op) ? 1 : 0;
    }
    if (!gp_gate_wants(op, xml, len)) {
        free(xml);
        return 0;
    }

    /* Hand the XML on as stdin: an anonymous in-memory file, so nothing
     * touches a disk and nothing is left behind. */
    fd = memfd_create("gpupool-hook-xml", 0);
    if (fd < 0 || write_all(fd, xml, len) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
        dup2(fd, STDIN_FILENO) < 0 || domain_part_path(path, sizeof(path)) < 0) {
        fprintf(stderr, "gpupool: %.64s: cannot pass the domain XML on: %s\n",
                argv[1], strerror(errno));
        free(xml);
        return gp_hook_op_can_refuse(op) ? 1 : 0;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    free(xml);
    execv(path, argv);
    fprintf(stderr, "gpupool: %.64s: cannot run %s: %s (reinstall gpupool)\n",
            argv[1], path, strerror(errno));
    return gp_hook_op_can_refuse(op) ? 1 : 0;
}
