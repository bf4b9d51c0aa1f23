/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The system log: where what the hook refused, what went wrong when a
 * domain stopped and what rebalance did stay on record.  libvirt shows a
 * hook's refusal only inside its start error (virt-manager buries it in
 * a dialog), and logs nothing of a failing release; `journalctl -t
 * gpupool` (or /var/log/syslog) shows all of it.
 *
 * One line per event, as RFC 3164 datagrams with identifier "gpupool"
 * on the syslog socket, /dev/log (GPUPOOL_SYSLOG_SOCKET moves it), as
 * libc's syslog(3) sends them: journald listens there where it runs,
 * rsyslog elsewhere, and both record the identifier and the process ID.
 * Sent here rather than with syslog(3) because the hook runs inside
 * libvirt's start job: the socket is non-blocking, so a stalled log
 * daemon drops a line instead of stopping a start, and no process-wide
 * openlog() state is kept.  Without a log daemon the line is dropped. */
#pragma once

#include <glib.h>
#include <syslog.h>

G_BEGIN_DECLS

#define GP_SYSLOG_IDENT "gpupool"
/* Longer messages are cut here (journald and rsyslog take at least 2 KiB
 * by default; a refusal is a few hundred bytes). */
#define GP_SYSLOG_MAX_MESSAGE 4096

/* Sends MESSAGE with PRIORITY (LOG_ERR, LOG_WARNING, LOG_NOTICE, ...;
 * the facility is LOG_DAEMON, as for libvirtd on whose behalf the hook
 * runs).  Control characters in MESSAGE are written as C escapes ("\n",
 * "\x1b"), so a value from a domain definition can neither split the line
 * nor forge a second one.  FALSE when it could not be sent (no log
 * daemon, a full queue); callers go on without it. */
gboolean gp_syslog_send(int priority, const char *message);
/* "NAME (UUID): MESSAGE", formatted: every line about a domain names it
 * both ways, so `journalctl -t gpupool --grep UUID` finds a domain
 * whatever it was called then.  UUID NULL: "uuid unknown". */
gboolean gp_syslog_domain(int priority, const char *name, const char *uuid, const char *fmt,
                          ...) G_GNUC_PRINTF(4, 5);

G_END_DECLS
