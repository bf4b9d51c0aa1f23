/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The domain part of the libvirt QEMU hook: the part that acts.
 *
 * libvirt runs gpupool-hook (hooks/gate.c), which lets through only the
 * operations below and only domains whose XML mentions the gpupool
 * namespace or, at prepare begin, passes host devices through; it then
 * loads this part as a module (gpupool-hook-domain.so) and calls
 * gp_hook_domain_run() with the same arguments and the XML it read.
 * This part applies the same filters itself.
 *
 * libvirt shows what a failing hook printed on stderr in the start error,
 * so a refusal is one line on stderr and exit status 1.  The same line
 * goes to the system log (base/syslog.h) with the domain's name and UUID,
 * as do release problems and reconnect warnings, which libvirt shows
 * nowhere: `journalctl -t gpupool` has what virt-manager's dialog
 * buried.  At migrate and restore begin libvirt reads a replacement
 * definition from stdout; empty output keeps the original.
 *
 * Built twice (hooks/local.mk).  The module links no libxml2, whose
 * start-up (with the ICU and C++ runtime it pulls in) was most of a
 * claim's cost: it reads the domain XML with GMarkup
 * (gp_domxml_read_assignment_fast()) and hands whatever that cannot
 * decide, and every incoming migration, which rewrites the XML, to the
 * program gpupool-hook-domain-xml, the same code linked with libxml2,
 *
 *   gpupool-hook-domain-xml DOMAIN OPERATION SUB-OPERATION EXTRA < domain XML
 *
 * before it has done anything.
 *
 * The hook runs inside the domain's libvirt job: it must never call back
 * into libvirt.  Re-pointing stopped domains after a claim or release is
 * `gpupool rebalance`'s job, started fully detached so that it runs after
 * the job ended. */
#define _GNU_SOURCE /* memfd_create() */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib.h>

#include "base/oneline.h"
#include "base/syslog.h"
#include "state/domain.h"
#include "state/domxml.h"
#include "policy/alloc.h"
#include "ops/lifecycle.h"
#include "ops/rebalance.h"
#include "hooks/hook-ops.h"

/* A pending rebalance older than this never began: start another. */
#define HOOK_REBALANCE_STALE_SECONDS 60

#ifndef GP_HOOK_MODULE
/* Reads stdin into a NUL-terminated buffer, at most GP_HOOK_MAX_INPUT
 * bytes: *TRUNCATED says there was more (or the gate said so, having
 * handed on only the head); NULL if it cannot be read. */
static char *
read_stdin(gsize *len_out, gboolean *truncated)
{
    gsize cap = 64 * 1024;
    gsize len = 0;
    char *buf = g_malloc(cap + 1);

    *truncated = g_strcmp0(g_getenv(GP_HOOK_ENV_TRUNCATED), "1") == 0;
    for (;;) {
        ssize_t n;

        if (len == cap) {
            if (cap >= GP_HOOK_MAX_INPUT) {
                char probe;

                while ((n = read(STDIN_FILENO, &probe, 1)) < 0 && errno == EINTR)
                    ;
                *truncated = *truncated || n != 0;
                break;
            }
            cap = MIN(cap * 4, (gsize)GP_HOOK_MAX_INPUT);
            buf = g_realloc(buf, cap + 1);
        }
        n = read(STDIN_FILENO, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            g_free(buf);
            return NULL;
        }
        if (n == 0)
            break;
        len += n;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}
#endif

static void
close_from(int lowfd)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GArray) open_fds = NULL;
    const char *name;

    /* One call where the kernel has it (5.9); else only the descriptors
     * that are open, not every possible number. */
    if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
        return;
    dir = g_dir_open("/proc/self/fd", 0, NULL);
    if (!dir)
        return;
    open_fds = g_array_new(FALSE, FALSE, sizeof(int));
    while ((name = g_dir_read_name(dir))) {
        int fd = atoi(name);

        if (fd >= lowfd)
            g_array_append_val(open_fds, fd);
    }
    g_clear_pointer(&dir, g_dir_close);
    for (guint i = 0; i < open_fds->len; i++)
        close(g_array_index(open_fds, int, i));
}

/* Starts `gpupool rebalance` fully detached: a double fork so it is not
 * our child, setsid so it leaves libvirtd's session (and the grandchild,
 * no session leader, can never gain a controlling terminal), stdio on
 * /dev/null and every other descriptor closed because libvirtd waits
 * until the hook's stdout and stderr pipes close.  We wait for neither:
 * the rebalance takes the lock itself and calls libvirt once this
 * domain's job is over, and the middle child, which only forks and
 * exits, is reaped by init once the hook has exited, a moment later.
 * Waiting for it cost the hook 1-2 ms on a loaded two-core host (it has
 * to be scheduled twice), half a claim's budget.  Bursts are coalesced
 * (see gp_rebalance_mark()). */
static void
spawn_rebalance(void)
{
    const char *cli = g_getenv("GPUPOOL_CLI");
    pid_t pid;

    if (!cli || !g_path_is_absolute(cli))
        cli = GP_BINDIR "/gpupool";
    if (!gp_rebalance_mark(HOOK_REBALANCE_STALE_SECONDS))
        return; /* one is pending and will see this change */

    pid = fork();
    if (pid < 0) {
        g_autofree char *why = g_strdup_printf("cannot start 'gpupool rebalance': %s; "
                                               "run it by hand", g_strerror(errno));

        fprintf(stderr, "gpupool: warning: %s\n", why);
        gp_syslog_send(LOG_WARNING, why);
        gp_rebalance_begin();
        return;
    }
    if (pid == 0) {
        int fd;

        if (setsid() < 0)
            _exit(1);
        pid = fork();
        if (pid != 0)
            _exit(pid < 0 ? 1 : 0);
        fd = open("/dev/null", O_RDWR);
        if (fd < 0)
            _exit(1);
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close_from(3);
        signal(SIGPIPE, SIG_DFL);
        /* Wait for a running rebalance to end: ours must read the state
         * after it, or the change that started us could be missed. */
        gp_rebalance_take_turn();
        execl(cli, "gpupool", "rebalance", (char *)NULL);
        _exit(127);
    }
}

/* The domain a line is about: its name as libvirt gave it, its UUID once
 * the definition was read (NULL before), and what libvirt was doing. */
typedef struct {
    const char *name;
    const char *uuid;
    GpHookOp op;
} HookDomain;

/* What the system log calls a refusal or problem of OP. */
static const char *
op_event(GpHookOp op)
{
    switch (op) {
    case GP_HOOK_OP_PREPARE:
        return "start refused";
    case GP_HOOK_OP_MIGRATE:
        return "incoming migration refused";
    case GP_HOOK_OP_RESTORE:
        return "restore refused";
    case GP_HOOK_OP_RELEASE:
        return "release";
    case GP_HOOK_OP_RECONNECT:
        return "reconnect";
    case GP_HOOK_OP_IGNORED:
        break;
    }
    return "hook";
}

/* libvirt puts what a hook prints into the start error and its log, one
 * line each: every refusal and warning is one line, whatever a domain
 * name or a libxml2 message put in it (base/oneline.h). */
static int
fail(const HookDomain *who, const char *message)
{
    g_autofree char *line = gp_one_line(message);

    fprintf(stderr, "gpupool: %s\n", line);
    gp_syslog_domain(LOG_ERR, who->name, who->uuid, "%s: %s", op_event(who->op), line);
    return 1;
}

/* A warning for libvirt's log and the system log; the hook goes on. */
static void
warn(const HookDomain *who, const char *message)
{
    g_autofree char *line = gp_one_line(message);

    fprintf(stderr, "gpupool: warning: %s\n", line);
    gp_syslog_domain(LOG_WARNING, who->name, who->uuid, "%s: %s", op_event(who->op), line);
}

/* Is MESSAGE a fix?  gpupool's refusals that have one name the command
 * to run, or say that starting again in a moment works. */
static gboolean
is_a_fix(const char *message)
{
    static const char *const fixes[] = { "'gpupool ", "'virsh ", "'echo ", "in a moment" };

    for (guint i = 0; i < G_N_ELEMENTS(fixes); i++)
        if (strstr(message, fixes[i]))
            return TRUE;
    return FALSE;
}

/* A start refused without a fix in its words (no room for a partition, a
 * pool file that cannot be read) points to the command that tells when a
 * start would pass, without starting the domain again. */
static int
refuse_start(const HookDomain *who, const char *message)
{
    g_autofree char *line = NULL;

    if (is_a_fix(message))
        return fail(who, message);
    line = g_strdup_printf("%s; 'gpupool check %s' tells when a start would pass", message,
                           who->name);
    return fail(who, line);
}

static int
do_prepare(const HookDomain *who, GpDomain *dom)
{
    g_autoptr(GError) error = NULL;

    if (!gp_lifecycle_prepare(dom, &error)) {
        /* A domain that lost its reserved device to another, or whose
         * definition is a copy of another's, is re-pointed by the
         * rebalance, so starting it again works: the refusal says so. */
        if (g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_HELD) ||
            g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER) ||
            g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_QUARANTINED) ||
            g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_COPIED))
            spawn_rebalance();
        return refuse_start(who, error->message);
    }
    spawn_rebalance();
    return 0;
}

static int
do_release(const HookDomain *who, const GpDomain *dom)
{
    g_autoptr(GError) error = NULL;
    guint dropped = 0;

    gboolean released = gp_lifecycle_release(dom, &dropped, &error);

    /* What was dropped is free for stopped domains to be re-pointed to,
     * even when another claim had to stay; and a partition not given
     * back yet (a VFIO handle still open) is tried again by the
     * rebalance, which gives back the partitions of stopped domains. */
    if (dropped > 0 || g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_READY))
        spawn_rebalance();
    /* libvirt ignores a failing release; still say why, for its log and
     * the system log. */
    if (!released)
        return fail(who, error->message);
    return 0;
}

/* release end of a domain whose XML is too large to read (hook-ops.h):
 * what it holds is found by the name libvirt passed and the UUID at the
 * head of its XML, and given back as at any release. */
static int
do_release_by_head(HookDomain *who, const char *xml, gsize len)
{
    g_autofree char *uuid = gp_domxml_head_uuid(xml, len);
    g_autoptr(GpDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    guint dropped = 0;
    gboolean released;

    if (!uuid) {
        g_autofree char *why = g_strdup_printf(
            "%.64s: its domain XML is over %d MiB and has no <uuid> at its head; its claims "
            "stay until 'gpupool rebalance' finds it stopped", who->name,
            GP_HOOK_MAX_INPUT >> 20);

        warn(who, why);
        spawn_rebalance();
        return 0;
    }
    who->uuid = uuid;
    /* Its devices are unknown: the partitions its claims name are
     * given back all the same. */
    dom = gp_domain_new(uuid, who->name);
    released = gp_lifecycle_release(dom, &dropped, &error);
    if (dropped > 0 || !released)
        spawn_rebalance();
    if (!released)
        return fail(who, error->message);
    return 0;
}

static int
do_reconnect(const HookDomain *who, GpDomain *dom)
{
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;

    /* A failing reconnect hook makes libvirt stop the domain: never fail
     * here, a running guest is not ours to kill.  Claims of domains that
     * stopped while libvirtd was down are dropped by the rebalance, which
     * can ask libvirt what runs. */
    if (!gp_lifecycle_reconnect(dom, warnings, &error)) {
        g_autofree char *why = g_strdup_printf("%s: claims not reconciled: %s", dom->name,
                                               error->message);

        warn(who, why);
    }
    for (guint i = 0; i < warnings->len; i++)
        warn(who, warnings->pdata[i]);
    spawn_rebalance();
    return 0;
}

#ifdef GP_HOOK_WITHOUT_LIBXML2
#define HOOK_FULL_PROGRAM "gpupool-hook-domain-xml"

/* Runs gpupool-hook-domain-xml, which sits next to the gate, with
 * the same arguments and the LEN bytes of XML as its standard input (a
 * memory file: a pipe could fill up before anyone reads it).  Only
 * before anything was done: the other program does it all again. */
static int
hand_over(const HookDomain *who, char **argv, const char *xml, gsize len)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    g_autofree char *full = dir ? g_build_filename(dir, HOOK_FULL_PROGRAM, NULL) : NULL;
    int fd = memfd_create("domain-xml", MFD_CLOEXEC);
    gsize done = 0;

    while (fd >= 0 && done < len) {
        ssize_t n = write(fd, xml + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += n;
    }
    if (!full || fd < 0 || done < len || lseek(fd, 0, SEEK_SET) != 0 ||
        dup2(fd, STDIN_FILENO) < 0) {
        g_autofree char *why = g_strdup_printf("cannot hand the domain XML on to %s: %s",
                                               HOOK_FULL_PROGRAM, g_strerror(errno));

        return gp_hook_op_can_refuse(who->op) ? fail(who, why) : (warn(who, why), 0);
    }
    close(fd);
    fflush(NULL);
    execv(full, argv);
    {
        g_autofree char *why = g_strdup_printf("cannot run %s: %s: reinstall gpupool", full,
                                               g_strerror(errno));

        return gp_hook_op_can_refuse(who->op) ? fail(who, why) : (warn(who, why), 0);
    }
}
#else
/* An arriving domain is re-pointed to free devices of the same pools and
 * partition profile on this host (whole devices never arrive running);
 * prepare then claims them as for any start. */
static int
do_migrate(const HookDomain *who, GpDomain *dom, GPtrArray *requests, const char *xml,
           gsize len)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GpDomXml) doc = NULL;
    g_autofree char *out = NULL;
    GHashTableIter iter;
    gpointer alias, address;

    changes = gp_lifecycle_repoint(dom, requests, &error);
    if (!changes)
        return fail(who, error->message);
    if (g_hash_table_size(changes) == 0)
        return 0;

    doc = gp_domxml_parse(xml, len, &error);
    if (!doc)
        return fail(who, error->message);
    g_hash_table_iter_init(&iter, changes);
    while (g_hash_table_iter_next(&iter, &alias, &address)) {
        if (!gp_domxml_repoint(doc, alias, address, NULL, &error))
            return fail(who, error->message);
    }
    out = gp_domxml_format(doc);
    fputs(out, stdout);
    if (fflush(stdout) != 0)
        return fail(who, "cannot write the re-pointed domain definition to libvirt");
    return 0;
}

#endif

/* The hook for operation OP of the domain ARGV[1], whose XML is the LEN
 * bytes at XML (only its head if TRUNCATED). */
static int
hook_run(char **argv, GpHookOp op, const char *xml, gsize len, gboolean truncated)
{
    g_autoptr(GpDomAssignment) asg = NULL;
    g_autoptr(GpDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    HookDomain who = { .name = argv[1], .op = op };
    int ret = 0;

    if (truncated)
        return do_release_by_head(&who, xml, len);
    if (!gp_domxml_has_assignment(xml, len) &&
        !(op == GP_HOOK_OP_PREPARE && gp_domxml_may_pass_through(xml, len)))
        return 0;

    /* GMarkup reads what libvirt writes at a fraction of libxml2's
     * cost; whatever it cannot decide, or would refuse, the full reader
     * judges, in its own words. */
#ifdef GP_HOOK_WITHOUT_LIBXML2
    if (op == GP_HOOK_OP_MIGRATE)
        return hand_over(&who, argv, xml, len);
    asg = gp_domxml_read_assignment_fast(xml, len, NULL);
    if (!asg)
        return hand_over(&who, argv, xml, len);
#else
    asg = gp_domxml_read_assignment_fast(xml, len, NULL);
    if (!asg)
        asg = gp_domxml_read_assignment(xml, len, &error);
    if (!asg) {
        /* The log names the domain's UUID even when gpupool's part of the
         * definition is what could not be read. */
        g_autoptr(GpDomXml) doc = gp_domxml_parse(xml, len, NULL);
        const char *uuid = doc ? gp_domxml_uuid(doc) : NULL;

        if (uuid && gp_domxml_uuid_check(uuid))
            who.uuid = uuid;
        if (op == GP_HOOK_OP_RELEASE || op == GP_HOOK_OP_RECONNECT) {
            g_autofree char *why = g_strdup_printf("%s; its claims stay until 'gpupool "
                                                   "rebalance' finds it stopped",
                                                   error->message);

            warn(&who, why);
            spawn_rebalance();
            return 0;
        }
        return fail(&who, error->message);
    }
#endif
    who.uuid = asg->uuid;
    /* A device of a pool reaches a guest only through a claim: never as
     * a <hostdev> of the domain's own, with or without gpupool metadata. */
    if (op == GP_HOOK_OP_PREPARE && !gp_lifecycle_check_passthrough(asg, NULL, &error))
        return fail(&who, error->message);
    if (asg->requests->len == 0 && asg->devices->len == 0)
        return 0;

    dom = gp_domain_new_from_assignment(asg);
    switch (op) {
    case GP_HOOK_OP_PREPARE:
        ret = do_prepare(&who, dom);
        break;
    case GP_HOOK_OP_RELEASE:
        ret = do_release(&who, dom);
        break;
    case GP_HOOK_OP_RECONNECT:
        ret = do_reconnect(&who, dom);
        break;
    case GP_HOOK_OP_MIGRATE:
#ifndef GP_HOOK_WITHOUT_LIBXML2
        ret = do_migrate(&who, dom, asg->requests, xml, len);
#endif
        break;
    case GP_HOOK_OP_RESTORE: {
        g_autofree char *msg = NULL;

        /* Device state cannot be saved, so gpupool domains follow the
         * force-shutdown policy and are never saved; an image that claims
         * otherwise would resume a guest whose device state is gone. */
        msg = g_strdup_printf("%s: a domain with pool devices is never restored from a "
                              "saved image (device state cannot be saved): remove the "
                              "image ('virsh managedsave-remove %s') and start %s afresh",
                              dom->name, dom->name, dom->name);
        ret = fail(&who, msg);
        break;
    }
    case GP_HOOK_OP_IGNORED:
        break;
    }
    return ret;
}

#ifdef GP_HOOK_MODULE
int gp_hook_domain_run(int argc, char **argv, const char *xml, size_t len, int truncated);

/* GpHookDomainRun (hook-ops.h): the gate has checked the arguments and
 * read the XML, and set GP_HOOK_ENV_TRUNCATED for hand_over(). */
int
gp_hook_domain_run(int argc, char **argv, const char *xml, size_t len, int truncated)
{
    GpHookOp op = argc < 4 ? GP_HOOK_OP_IGNORED : gp_hook_op_classify(argv[2], argv[3]);

    if (op == GP_HOOK_OP_IGNORED)
        return 0;
    return hook_run(argv, op, xml, len, truncated);
}
#else
int
main(int argc, char **argv)
{
    g_autofree char *xml = NULL;
    HookDomain who = { 0 };
    GpHookOp op;
    gboolean truncated = FALSE;
    gsize len = 0;
    int status;

    if ((status = gp_hook_usage(argc, argv)) >= 0)
        return status;
    op = gp_hook_op_classify(argv[2], argv[3]);
    if (op == GP_HOOK_OP_IGNORED)
        return 0;
    who.name = argv[1];
    who.op = op;

    xml = read_stdin(&len, &truncated);
    if (!xml || (truncated && !gp_hook_op_takes_truncated(op))) {
        g_autofree char *why = g_strdup_printf("%.64s: cannot read the domain XML (over %d "
                                               "MiB, or unreadable): refusing to look at it",
                                               argv[1], GP_HOOK_MAX_INPUT >> 20);
        g_autofree char *line = gp_one_line(why);

        if (gp_hook_op_can_refuse(op))
            return fail(&who, why);
        fprintf(stderr, "gpupool: %s\n", line);
        gp_syslog_domain(LOG_WARNING, who.name, NULL, "%s: %s", op_event(op), line);
        return 0;
    }
    return hook_run(argv, op, xml, len, truncated);
}
#endif
