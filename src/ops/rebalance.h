/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The asynchronous rebalance: after each claim or release the hook starts
 * `gpupool rebalance` detached.  A burst of changes must start one
 * rebalance, not one each, and a change made while a rebalance runs must
 * still be seen by one:
 *
 *   STATEDIR/rebalance-pending  exists while a started rebalance has not
 *                               begun reading the state; a change that
 *                               finds it relies on that rebalance.
 *   STATEDIR/rebalance.lock     held by the running rebalance; a pending
 *                               one waits for it, then clears the flag and
 *                               begins.
 *
 * So at most one rebalance runs and at most one waits. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Marks a rebalance as pending; TRUE if the caller should start one (none
 * is pending, or the pending one is older than STALE_SECONDS and so
 * presumably died before it began). */
gboolean gp_rebalance_mark(gint64 stale_seconds);
/* In the started process, before it execs `gpupool rebalance`: waits
 * until no other rebalance runs, then clears the pending flag.  Returns
 * the lock's descriptor, to be inherited by the rebalance so the lock is
 * held until it exits (-1 if the lock cannot be had: run anyway). */
int gp_rebalance_take_turn(void);
/* Clears the pending flag (a rebalance that begins by other means). */
void gp_rebalance_begin(void);
/* Keeps the hook's rebalances from running until the descriptor returned
 * is closed, waiting for a running one to end first: for a command that
 * stops a domain, changes its definition and starts it again, which a
 * rebalance started by the stop must not redefine in between.  -1 when
 * the lock cannot be had (go on without it). */
int gp_rebalance_hold(void);

G_END_DECLS
