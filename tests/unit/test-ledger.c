/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger (src/ledger/ledger.c): the host-wide lock that makes a claim
 * a transaction, snapshots that let go of it, the pools and capacity it
 * loads once, and who holds a device: a claim on the device itself, on
 * an mdev made on it, or on one of its VFs. */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/paths.h"
#include "state/claims.h"
#include "state/poolstore.h"
#include "ledger/ledger.h"
#include "pool-fixtures.h"

#define UUID_A "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12"
#define UUID_B "0b6e2f3a-9d4c-4e1f-8a7b-5c3d2e1f0a99"
#define MDEV_UUID "c0ffee00-1234-4a5b-8c9d-0e1f2a3b4c5d"

TestSuite(ledger);

/* ---- The lock ------------------------------------------------------------ */

static char *statedir;

static void
setup_statedir(void)
{
    g_autofree char *base = g_dir_make_tmp("gpupool-ledger-XXXXXX", NULL);

    cr_assert_not_null(base);
    /* A directory that does not exist yet: the ledger creates it. */
    statedir = g_build_filename(base, "run", "gpupool", NULL);
    g_setenv("GPUPOOL_STATEDIR", statedir, TRUE);
}

static void
teardown_statedir(void)
{
    g_autofree char *base = g_path_get_dirname(statedir);
    g_autofree char *top = g_path_get_dirname(base);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", top);

    cr_assert_eq(system(cmd), 0);
    g_clear_pointer(&statedir, g_free);
}

static char *
claims_file(void)
{
    return g_build_filename(statedir, "claims.xml", NULL);
}

/* One racer: wait for the start signal, then lock, load, claim, save.
 * Exits 0 if it won, 3 if the device was held, 1 on any other error. */
static int
race(int start_fd, const char *uuid, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    char c;

    if (read(start_fd, &c, 1) != 1)
        return 1;
    ledger = gp_ledger_open(GP_LEDGER_WRITE, &error);
    if (!ledger)
        return 1;
    if (!gp_claims_add(gp_ledger_claims(ledger), "0000:41:00.0", "gpus", uuid, name, NULL,
                       &error))
        return g_error_matches(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_HELD) ? 3 : 1;
    /* Widen the window a second racer would need. */
    g_usleep(2000);
    return gp_ledger_save(ledger, &error) ? 0 : 1;
}

Test(ledger, two_processes_racing_for_the_last_device_exactly_one_wins, .init = setup_statedir,
     .fini = teardown_statedir)
{
    for (int round = 0; round < 10; round++) {
        static const char *const uuids[] = { UUID_A, UUID_B };
        static const char *const names[] = { "vm-a", "vm-b" };
        g_autofree char *path = claims_file();
        g_autoptr(GpClaims) claims = NULL;
        pid_t pids[2];
        int status[2];
        int fds[2];
        int winner = -1;

        unlink(path);
        cr_assert_eq(pipe(fds), 0);
        for (int i = 0; i < 2; i++) {
            pids[i] = fork();
            cr_assert_geq(pids[i], 0);
            if (pids[i] == 0) {
                close(fds[1]);
                _exit(race(fds[0], uuids[i], names[i]));
            }
        }
        close(fds[0]);
        cr_assert_eq(write(fds[1], "xx", 2), 2);
        close(fds[1]);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(waitpid(pids[i], &status[i], 0), pids[i]);
            cr_assert(WIFEXITED(status[i]));
        }
        for (int i = 0; i < 2; i++) {
            int code = WEXITSTATUS(status[i]);

            cr_assert(code == 0 || code == 3, "racer %d failed (%d)", i, code);
            if (code == 0) {
                cr_assert_eq(winner, -1, "round %d: both won", round);
                winner = i;
            }
        }
        cr_assert_neq(winner, -1, "round %d: nobody won", round);
        claims = gp_test_load_claims();
        cr_assert_eq(gp_claims_all(claims)->len, 1);
        cr_assert_str_eq(gp_claims_find(claims, "0000:41:00.0")->domain_uuid, uuids[winner]);
    }
}

Test(ledger, the_lock_creates_the_state_directory, .init = setup_statedir,
     .fini = teardown_statedir)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_WRITE, &error);
    g_autofree char *path = g_build_filename(statedir, "lock", NULL);

    cr_assert_not_null(ledger, "%s", error ? error->message : "");
    cr_assert(g_file_test(path, G_FILE_TEST_EXISTS));
}

/* The lock as another process would try it: TRUE if it is free now. */
static gboolean
lock_is_free(void)
{
    g_autofree char *path = gp_paths_lock();
    int fd = open(path, O_RDWR);
    gboolean free_now;

    cr_assert_geq(fd, 0, "%s", path);
    /* A lock of our own open file description: it conflicts with the
     * ledger's even within this process. */
    free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return free_now;
}

Test(ledger, a_transaction_holds_the_lock_until_it_is_freed_and_a_snapshot_lets_go_at_once,
     .init = setup_statedir, .fini = teardown_statedir)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) tx = gp_ledger_open(GP_LEDGER_WRITE, &error);
    g_autoptr(GpLedger) snapshot = NULL;

    cr_assert_not_null(tx, "%s", error ? error->message : "");
    cr_assert_not(lock_is_free(), "a transaction must keep others out");
    g_clear_pointer(&tx, gp_ledger_free);
    cr_assert(lock_is_free());
    snapshot = gp_ledger_open(GP_LEDGER_READ, &error);
    cr_assert_not_null(snapshot, "%s", error ? error->message : "");
    cr_assert(lock_is_free(), "a snapshot must not keep a claim waiting");
}

Test(ledger, claims_changed_in_a_transaction_reach_the_file_only_when_saved,
     .init = setup_statedir, .fini = teardown_statedir)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) tx = gp_ledger_open(GP_LEDGER_WRITE, &error);
    g_autoptr(GpClaims) after = NULL;

    cr_assert_not_null(tx, "%s", error ? error->message : "");
    cr_assert(gp_claims_add(gp_ledger_claims(tx), "0000:41:00.0", "gpus", UUID_A, "vm-a", NULL,
                            &error));
    g_clear_pointer(&tx, gp_ledger_free);
    cr_assert_eq(gp_test_claim_count(), 0, "a transaction that was not saved changed the claims");

    tx = gp_ledger_open(GP_LEDGER_WRITE, &error);
    cr_assert(gp_claims_add(gp_ledger_claims(tx), "0000:41:00.0", "gpus", UUID_A, "vm-a", NULL,
                            &error));
    cr_assert(gp_ledger_save(tx, &error), "%s", error ? error->message : "");
    g_clear_pointer(&tx, gp_ledger_free);
    after = gp_test_load_claims();
    cr_assert_str_eq(gp_claims_find(after, "0000:41:00.0")->domain_name, "vm-a");
}

/* ---- Pools and capacity, on the hook host --------------------------------- */

static GpSim *sim;

static void
on_hook_host(void)
{
    sim = gp_test_hook_host();
}

static void
off_hook_host(void)
{
    g_clear_pointer(&sim, gp_sim_free);
}

Test(ledger, the_units_of_a_pool_are_those_held_and_those_free_sorted,
     .init = on_hook_host, .fini = off_hook_host)
{
    const char *const members[] = { GP_SIM_MBOCHS, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) units = NULL;
    g_autoptr(GPtrArray) mdevs = NULL;
    g_autoptr(GPtrArray) none = NULL;

    gp_test_hold(GP_HOOK_HOST_GPU1, "gpus", UUID_A, "vm-a", NULL);
    gp_test_save_pool("disp", GP_POOL_TYPE_MDEV, members, "mbochs-small");
    ledger = gp_ledger_open(GP_LEDGER_READ, &error);
    cr_assert_not_null(ledger, "%s", error ? error->message : "");
    units = gp_ledger_units(ledger, "gpus", &error);
    cr_assert_not_null(units, "%s", error ? error->message : "");
    /* The GPU still on nvidia is neither held nor free: no unit. */
    cr_assert_eq(units->len, 3);
    cr_assert_str_eq(units->pdata[0], GP_HOOK_HOST_GPU0);
    cr_assert_str_eq(units->pdata[1], GP_HOOK_HOST_GPU1);
    cr_assert_str_eq(units->pdata[2], GP_HOOK_HOST_GPU2);
    /* An mdev pool's units are made under each domain's own UUID. */
    mdevs = gp_ledger_units(ledger, "disp", &error);
    cr_assert_not_null(mdevs, "%s", error ? error->message : "");
    cr_assert_eq(mdevs->len, 0);
    none = gp_ledger_units(ledger, "nope", &error);
    cr_assert_null(none);
    cr_assert(g_error_matches(error, GP_POOL_ERROR, GP_POOL_ERROR_NOT_FOUND));
    cr_assert(strstr(error->message, "'nope'"), "%s", error->message);
}

Test(ledger, capacity_is_probed_once_until_the_host_or_the_pool_is_forgotten,
     .init = on_hook_host, .fini = off_hook_host)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_WRITE, &error);
    g_autoptr(GpPool) pool = NULL;
    const GpPoolCapacity *cap;

    cr_assert_not_null(ledger, "%s", error ? error->message : "");
    cap = gp_ledger_capacity(ledger, "gpus", &error);
    cr_assert_not_null(cap, "%s", error ? error->message : "");
    cr_assert_eq(cap->free, 3);
    /* The GPU left on nvidia goes to vfio-pci, as 'gpupool setup' does. */
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GP_HOOK_HOST_NVIDIA));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_HOOK_HOST_NVIDIA "/driver_override",
                           "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GP_HOOK_HOST_NVIDIA));
    cr_assert_eq(gp_ledger_capacity(ledger, "gpus", NULL)->free, 3,
                 "the host is read once per transaction");
    gp_ledger_forget_host(ledger);
    cr_assert_eq(gp_ledger_capacity(ledger, "gpus", NULL)->free, 4);

    /* A transaction that rewrote the pool reads it again. */
    pool = gp_poolstore_load("gpus", &error);
    cr_assert_not_null(pool, "%s", error ? error->message : "");
    cr_assert(gp_pool_remove_device(pool, GP_HOOK_HOST_GPU2));
    cr_assert(gp_poolstore_save(pool, &error), "%s", error ? error->message : "");
    cr_assert_eq(gp_ledger_capacity(ledger, "gpus", NULL)->members, 4);
    gp_ledger_forget_pool(ledger, "gpus");
    cap = gp_ledger_capacity(ledger, "gpus", NULL);
    cr_assert_eq(cap->members, 3);
    cr_assert_eq(cap->free, 3);
}

/* ---- Holders ------------------------------------------------------------- */

Test(ledger, a_device_is_held_through_its_vfs_and_its_mdevs_and_each_holder_is_named_once)
{
    g_autoptr(GpSim) intel = gp_sim_fixture_intel_sriov();
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) of_pf = NULL;
    g_autoptr(GPtrArray) of_nothing = NULL;
    const GpClaim *c;

    cr_assert(gp_sim_write(intel, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs",
                           "4"));
    gp_test_hold("0000:4d:00.1", "flex", UUID_A, "vm-a", NULL);
    gp_test_hold("0000:4d:00.2", "flex", UUID_B, "vm-b", NULL);
    gp_test_hold("0000:4d:00.3", "flex", UUID_A, "vm-a", NULL);
    gp_test_hold(MDEV_UUID, "disp", UUID_B, "vm-b", GP_SIM_MBOCHS);
    ledger = gp_ledger_open(GP_LEDGER_READ, &error);
    cr_assert_not_null(ledger, "%s", error ? error->message : "");

    c = gp_ledger_holder(ledger, GP_SIM_INTEL_SRIOV_GPU);
    cr_assert_not_null(c, "a PF whose VFs are held is busy");
    cr_assert(g_str_has_prefix(c->device, "0000:4d:00."), "%s", c->device);
    of_pf = gp_ledger_holders(ledger, GP_SIM_INTEL_SRIOV_GPU);
    cr_assert_eq(of_pf->len, 2);
    cr_assert_str_eq(of_pf->pdata[0], "vm-a");
    cr_assert_str_eq(of_pf->pdata[1], "vm-b");
    cr_assert_str_eq(gp_ledger_holder(ledger, "0000:4d:00.2")->domain_name, "vm-b");
    cr_assert_null(gp_ledger_holder(ledger, "0000:4d:00.4"), "nobody holds the fourth VF");
    c = gp_ledger_holder(ledger, GP_SIM_MBOCHS);
    cr_assert_not_null(c, "an mdev parent with a held mdev is busy");
    cr_assert_str_eq(c->device, MDEV_UUID);
    of_nothing = gp_ledger_holders(ledger, "0000:99:00.0");
    cr_assert_eq(of_nothing->len, 0);
}
