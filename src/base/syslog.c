/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The system log, as one non-blocking datagram per line. */
#include "config.h"

#include "base/syslog.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/paths.h"

/* MESSAGE on one line: control characters (and DEL) as C escapes, cut at
 * GP_SYSLOG_MAX_MESSAGE bytes. */
static char *
one_line(const char *message)
{
    const char *end = message + strlen(message);
    GString *out = g_string_sized_new(end - message + 16);

    /* Trailing white space (a message's own newline) says nothing. */
    while (end > message && g_ascii_isspace(end[-1]))
        end--;
    for (const char *p = message; p < end && out->len < GP_SYSLOG_MAX_MESSAGE; p++) {
        guchar c = (guchar)*p;

        if (c == '\n')
            g_string_append(out, "\\n");
        else if (c == '\t')
            g_string_append(out, "\\t");
        else if (c == '\r')
            g_string_append(out, "\\r");
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\x%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    return g_string_free(out, FALSE);
}

/* "<PRI>Mmm dd hh:mm:ss gpupool[PID]: MESSAGE": what syslog(3) sends.
 * The month is spelled in English whatever the locale, as RFC 3164 (and
 * the daemons that parse the stamp) expect. */
static char *
format_datagram(int priority, const char *message)
{
    static const char *const months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    };
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *line = one_line(message);

    return g_strdup_printf("<%d>%s %2d %02d:%02d:%02d %s[%ld]: %s",
                           LOG_DAEMON | (priority & LOG_PRIMASK),
                           months[g_date_time_get_month(now) - 1],
                           g_date_time_get_day_of_month(now), g_date_time_get_hour(now),
                           g_date_time_get_minute(now), g_date_time_get_second(now),
                           GP_SYSLOG_IDENT, (long)getpid(), line);
}

/* One attempt with a socket of TYPE; errno tells why it failed. */
static gboolean
send_on(int type, const struct sockaddr_un *addr, const char *data, size_t len)
{
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    gboolean sent = FALSE;
    int saved;

    if (fd < 0)
        return FALSE;
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
        ssize_t n;

        do {
            n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        sent = n == (ssize_t)len;
    }
    saved = errno;
    close(fd);
    errno = saved;
    return sent;
}

gboolean
gp_syslog_send(int priority, const char *message)
{
    g_autofree char *path = gp_paths_syslog_socket();
    g_autofree char *datagram = format_datagram(priority, message ? message : "");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    if (strlen(path) >= sizeof(addr.sun_path))
        return FALSE;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (send_on(SOCK_DGRAM, &addr, datagram, strlen(datagram)))
        return TRUE;
    /* A daemon listening on a stream socket (older syslog-ng) reads
     * messages ended by a NUL, as syslog(3) sends them there. */
    if (errno == EPROTOTYPE)
        return send_on(SOCK_STREAM, &addr, datagram, strlen(datagram) + 1);
    return FALSE;
}

gboolean
gp_syslog_domain(int priority, const char *name, const char *uuid, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    g_autofree char *line = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    line = g_strdup_printf("%s (%s): %s", name ? name : "(unnamed domain)",
                           uuid ? uuid : "uuid unknown", what);
    return gp_syslog_send(priority, line);
}
