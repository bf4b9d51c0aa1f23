/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The coalesced rebalance (src/ops/rebalance.c): the flags that let a
 * burst of claims and releases start one `gpupool rebalance`, and a change
 * made while one runs still be seen by one. */
#include "config.h"

#include <criterion/criterion.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/paths.h"
#include "ops/rebalance.h"
#include "sim.h"

static GpSim *sim;

/* An empty host: only its state directory matters here. */
static void
setup_host(void)
{
    sim = gp_sim_new();
}

static void
teardown_host(void)
{
    g_clear_pointer(&sim, gp_sim_free);
}

TestSuite(rebalance, .init = setup_host, .fini = teardown_host);

Test(rebalance, rebalance_flag_coalesces_a_burst_and_is_taken_over_when_stale)
{
    g_autofree char *flag = gp_paths_rebalance_pending();

    cr_expect(gp_rebalance_mark(60), "the first change starts a rebalance");
    cr_expect_not(gp_rebalance_mark(60), "the next ones find it pending");
    cr_expect_not(gp_rebalance_mark(60));
    cr_expect(g_file_test(flag, G_FILE_TEST_EXISTS));
    gp_rebalance_begin();
    cr_expect_not(g_file_test(flag, G_FILE_TEST_EXISTS));
    cr_expect(gp_rebalance_mark(60), "a change after the rebalance began needs another");
    /* A pending flag older than the limit: its rebalance died. */
    cr_expect(gp_rebalance_mark(-1));
}

Test(rebalance, rebalance_turn_waits_for_the_running_rebalance_then_clears_the_flag)
{
    g_autofree char *flag = gp_paths_rebalance_pending();
    g_autofree char *lock = g_build_filename(gp_sim_statedir(sim), "rebalance.lock", NULL);
    gint64 t0;
    int fds[2];
    int fd;
    pid_t pid;
    char c;

    cr_assert(g_mkdir_with_parents(gp_sim_statedir(sim), 0755) == 0);
    cr_assert(pipe(fds) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        /* A running rebalance: holds the lock for a second. */
        int l = open(lock, O_RDWR | O_CREAT, 0600);

        flock(l, LOCK_EX);
        (void)!write(fds[1], "x", 1);
        g_usleep(G_USEC_PER_SEC);
        _exit(0);
    }
    cr_assert(read(fds[0], &c, 1) == 1);
    cr_assert(gp_rebalance_mark(60));
    t0 = g_get_monotonic_time();
    fd = gp_rebalance_take_turn();
    cr_expect_geq(g_get_monotonic_time() - t0, G_USEC_PER_SEC / 2, "did not wait for its turn");
    cr_expect_geq(fd, 0);
    cr_expect_not(g_file_test(flag, G_FILE_TEST_EXISTS), "the flag is cleared once it begins");
    close(fd);
    waitpid(pid, NULL, 0);
}
