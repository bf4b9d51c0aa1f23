/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The system log door (src/base/syslog.c): one line per event, as the
 * log daemon on /dev/log receives it, never blocking the caller. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/syslog.h"

#define UUID "1b7a4e52-58c3-4c0e-9d0a-2f0b4c1e9a01"

static char *dir;
static char *sock_path;

static void
setup(void)
{
    dir = g_dir_make_tmp("gp-test-syslog-XXXXXX", NULL);
    cr_assert_not_null(dir);
    sock_path = g_build_filename(dir, "log", NULL);
    g_setenv("GPUPOOL_SYSLOG_SOCKET", sock_path, TRUE);
}

static void
teardown(void)
{
    g_unlink(sock_path);
    g_rmdir(dir);
    g_clear_pointer(&sock_path, g_free);
    g_clear_pointer(&dir, g_free);
}

TestSuite(syslog, .init = setup, .fini = teardown);

/* A log daemon's socket of TYPE at sock_path. */
static int
listen_log(int type)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    g_strlcpy(addr.sun_path, sock_path, sizeof(addr.sun_path));
    cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0, "%s", g_strerror(errno));
    if (type == SOCK_STREAM)
        cr_assert_eq(listen(fd, 4), 0);
    return fd;
}

/* The next datagram, as a string. */
static char *
receive(int fd)
{
    char buf[8192];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

    cr_assert_gt(n, 0, "nothing was sent: %s", g_strerror(errno));
    buf[n] = '\0';
    return g_strdup(buf);
}

Test(syslog, a_line_about_a_domain_names_it_and_its_uuid_as_syslog_sends_it)
{
    int fd = listen_log(SOCK_DGRAM);
    g_autofree char *got = NULL;
    g_autofree char *tag = g_strdup_printf(" gpupool[%ld]: ", (long)getpid());
    g_autoptr(GRegex) stamp = g_regex_new("^<27>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:"
                                          "[0-6][0-9] gpupool\\[[0-9]+\\]: ", 0, 0, NULL);

    cr_assert(gp_syslog_domain(LOG_ERR, "vm1", UUID, "start refused: %s",
                               "0000:41:00.0 of pool 'gpus' is held by domain 'vm2'"));
    got = receive(fd);
    /* LOG_DAEMON | LOG_ERR, an RFC 3164 stamp, the identifier
     * `journalctl -t gpupool` selects, and the process. */
    cr_assert(g_regex_match(stamp, got, 0, NULL), "%s", got);
    cr_assert(strstr(got, tag), "%s", got);
    cr_assert(g_str_has_suffix(got, ": vm1 (" UUID "): start refused: 0000:41:00.0 of pool "
                                    "'gpus' is held by domain 'vm2'"), "%s", got);
    close(fd);
}

Test(syslog, control_characters_cannot_split_the_line_or_forge_another)
{
    int fd = listen_log(SOCK_DGRAM);
    g_autofree char *got = NULL;

    cr_assert(gp_syslog_domain(LOG_WARNING, "evil\n<27>Jan  1 00:00:00 sshd[1]: ok\x1b[2J",
                               NULL, "release: %s\n", "partitions not given back yet"));
    got = receive(fd);
    cr_assert(g_str_has_prefix(got, "<28>"), "%s", got);
    cr_assert_null(strpbrk(got, "\n\r\x1b"), "%s", got);
    cr_assert(strstr(got, "evil\\n<27>Jan  1 00:00:00 sshd[1]: ok\\x1b[2J (uuid unknown): "
                          "release: partitions not given back yet"), "%s", got);
    cr_assert(g_str_has_suffix(got, "given back yet"), "trailing newline kept: %s", got);
    close(fd);
}

Test(syslog, without_a_log_daemon_the_line_is_dropped_and_the_caller_goes_on)
{
    cr_assert_not(gp_syslog_send(LOG_ERR, "nobody listens"));
    g_setenv("GPUPOOL_SYSLOG_SOCKET", "/nonexistent/dir/log", TRUE);
    cr_assert_not(gp_syslog_send(LOG_ERR, "nobody listens"));
}

Test(syslog, a_log_daemon_that_reads_nothing_never_blocks_the_sender)
{
    int fd = listen_log(SOCK_DGRAM);
    g_autofree char *big = g_strnfill(2000, 'x');
    gboolean dropped = FALSE;

    /* The queue of a socket nobody reads fills up: a blocking sender
     * would hang here; this one drops lines. */
    for (int i = 0; i < 100000 && !dropped; i++)
        dropped = !gp_syslog_send(LOG_NOTICE, big);
    cr_assert(dropped, "the receive queue never filled");
    close(fd);
}

Test(syslog, a_stream_socket_gets_the_line_ended_by_a_nul_as_syslog_sends_it)
{
    int lfd = listen_log(SOCK_STREAM);
    char buf[1024];
    ssize_t n;
    int fd;

    cr_assert(gp_syslog_send(LOG_NOTICE, "vm1 (" UUID "): re-pointed"));
    fd = accept(lfd, NULL, NULL);
    cr_assert_geq(fd, 0);
    n = read(fd, buf, sizeof(buf));
    cr_assert_gt(n, 1);
    cr_assert_eq(buf[n - 1], '\0');
    cr_assert(g_str_has_prefix(buf, "<29>"), "%s", buf);
    cr_assert(g_str_has_suffix(buf, ": vm1 (" UUID "): re-pointed"), "%s", buf);
    close(fd);
    close(lfd);
}

Test(syslog, a_long_message_is_cut_not_refused)
{
    int fd = listen_log(SOCK_DGRAM);
    g_autofree char *big = g_strnfill(3 * GP_SYSLOG_MAX_MESSAGE, 'y');
    g_autofree char *got = NULL;

    cr_assert(gp_syslog_send(LOG_ERR, big));
    got = receive(fd);
    cr_assert_lt(strlen(got), GP_SYSLOG_MAX_MESSAGE + 64);
    cr_assert(g_str_has_suffix(got, "yyyy"), "%s", got);
    close(fd);
}
