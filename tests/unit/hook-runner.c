/* The libvirt hook run as libvirt runs it (see hook-runner.h). */
#include "config.h"

#include "hook-runner.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state/domxml.h"

void
gp_hook_run_clear(GpHookRun *run)
{
    g_free(run->out);
    g_free(run->err);
}

static char *
read_fd_all(int fd)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        g_string_append_len(s, buf, n);
    }
    close(fd);
    return g_string_free(s, FALSE);
}

void
gp_test_run_hook(GpHookRun *run, const char *domain, const char *op, const char *sub,
                 const char *xml)
{
    g_autofree char *path = gp_sim_hook_path();
    g_autofree char *preload = gp_sim_preload_path();
    int in[2], out[2], err[2];
    gint64 t0 = g_get_monotonic_time();
    pid_t pid;

    cr_assert(pipe(in) == 0 && pipe(out) == 0 && pipe(err) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[0]); close(err[1]);
        setenv("LD_PRELOAD", preload, 1);
        execl(path, path, domain, op, sub, "-", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (xml) {
        /* The hook may not read at all: a short write to a closed pipe
         * is fine, as it is for libvirt. */
        signal(SIGPIPE, SIG_IGN);
        (void)!write(in[1], xml, strlen(xml));
        close(in[1]);
        in[1] = -1;
    }
    run->out = read_fd_all(out[0]);
    run->err = read_fd_all(err[0]);
    run->seconds = (g_get_monotonic_time() - t0) / 1e6;
    cr_assert(waitpid(pid, &run->status, 0) == pid);
    run->status = WIFEXITED(run->status) ? WEXITSTATUS(run->status) : 128 + WTERMSIG(run->status);
    if (in[1] >= 0)
        close(in[1]);
}

void
gp_test_fake_rebalance(GpSim *sim, guint sleep_seconds)
{
    g_autofree char *path = g_build_filename(gp_sim_base(sim), "fake-gpupool", NULL);
    g_autofree char *script = g_strdup_printf(
        "#!/bin/sh\nf=cleared; [ -e \"$GPUPOOL_STATEDIR/rebalance-pending\" ] && f=pending\n"
        "echo \"$1 begin $(date +%%s%%N) $f\" >> \"$GPUPOOL_STATEDIR/rebalance-ran\"\n"
        "sleep %u\n"
        "echo \"$1 end $(date +%%s%%N)\" >> \"$GPUPOOL_STATEDIR/rebalance-ran\"\n", sleep_seconds);

    cr_assert(g_file_set_contents(path, script, -1, NULL));
    cr_assert(chmod(path, 0755) == 0);
    g_setenv("GPUPOOL_CLI", path, TRUE);
}

int
gp_test_syslog_listen(GpSim *sim)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    cr_assert_lt(strlen(gp_sim_syslog(sim)), sizeof(addr.sun_path));
    g_strlcpy(addr.sun_path, gp_sim_syslog(sim), sizeof(addr.sun_path));
    cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0, "%s",
                 g_strerror(errno));
    return fd;
}

gchar **
gp_test_syslog_lines(int fd, guint wait_for)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);

    for (int tries = 0; tries < 50; tries++) {
        char buf[8192];
        ssize_t n;

        while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
            buf[n] = '\0';
            g_ptr_array_add(lines, g_strdup(buf));
        }
        if (lines->len >= wait_for)
            break;
        g_usleep(100 * 1000);
    }
    g_ptr_array_add(lines, NULL);
    return (gchar **)g_ptr_array_free(g_steal_pointer(&lines), FALSE);
}

void
gp_test_syslog_close(GpSim *sim, int fd)
{
    close(fd);
    unlink(gp_sim_syslog(sim));
}

char *
gp_test_stopped_domains_uri(GpSim *sim, const char *const *xmls)
{
    g_autofree char *path = g_build_filename(gp_sim_base(sim), "node.xml", NULL);
    g_autoptr(GString) node = g_string_new("<node>\n");
    GRegex *type = g_regex_new("<domain type='[a-z]+'>", 0, 0, NULL);
    GRegex *end = g_regex_new("</devices>\n", 0, 0, NULL);

    for (guint i = 0; xmls && xmls[i]; i++) {
        g_autofree char *a = g_regex_replace_literal(
            type, xmls[i], -1, 0,
            "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>", 0,
            NULL);
        /* VIR_DOMAIN_SHUTOFF */
        g_autofree char *b = g_regex_replace_literal(
            end, a, -1, 0, "</devices>\n  <test:runstate>5</test:runstate>\n", 0, NULL);

        g_string_append(node, b);
    }
    g_string_append(node, "</node>\n");
    g_regex_unref(type);
    g_regex_unref(end);
    cr_assert(g_file_set_contents(path, node->str, -1, NULL));
    return g_strdup_printf("test://%s", path);
}

char *
gp_test_assigned_xml(const char *name, const char *uuid, const char *pool,
                     const char *const *devices)
{
    g_autofree char *bare = g_strdup_printf(
        "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
        "  <memory unit='KiB'>65536</memory>\n"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
        "    <controller type='pci' index='0' model='pcie-root'/>\n"
        "  </devices>\n</domain>\n", name, uuid);
    g_autoptr(GpDomXml) dom = NULL;
    g_autoptr(GError) error = NULL;
    GpDomPlan plan = { .pcihole64 = G_GUINT64_CONSTANT(1) << 40 };
    GpDomRequest *req = g_new0(GpDomRequest, 1);
    char *xml;

    dom = gp_domxml_parse(bare, strlen(bare), &error);
    cr_assert_not_null(dom, "%s", error ? error->message : "");
    plan.requests = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);
    plan.devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    req->pool = g_strdup(pool);
    g_ptr_array_add(plan.requests, req);
    for (guint i = 0; devices[i]; i++) {
        GpDomDevice *dev = g_new0(GpDomDevice, 1);

        dev->pool = g_strdup(pool);
        if (g_uuid_string_is_valid(devices[i]))
            dev->uuid = g_strdup(devices[i]);
        else
            dev->address = g_strdup(devices[i]);
        g_ptr_array_add(plan.devices, dev);
        req->count++;
    }
    cr_assert(gp_domxml_apply(dom, &plan, &error), "%s", error ? error->message : "");
    g_ptr_array_unref(plan.requests);
    g_ptr_array_unref(plan.devices);
    xml = gp_domxml_format(dom);
    return xml;
}
