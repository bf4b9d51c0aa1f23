/* Crash injection: gpupool's commands and hook killed at every call that
 * changes a file or sysfs, one run per call (tests/crash/crashpoint.c
 * kills, crash-runner.h runs), and what each kill leaves behind checked
 * against what gpupool promises. */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "base/sysfs.h"
#include "state/claims.h"
#include "state/poolstore.h"
#include "ops/partition.h"
#include "cli-runner.h"
#include "crash-runner.h"
#include "hook-runner.h"
#include "pool-fixtures.h"

/* ---- The preload itself ---------------------------------------------------- */

/* It counts gpupool's own calls (the transaction's temporary file,
 * write, fsync, rename and the directory's fsync; each sysfs write),
 * never the simulated kernel's reaction to them, and kills exactly
 * before the call asked for. */
Test(crash, the_preload_counts_each_change_once_and_kills_before_the_call_asked_for)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    const char *const add[] = { "gpupool", "pool-add", "gpus", GP_SIM_DC_GPU0, NULL };
    g_auto(GpCrashRun) count = { 0 };
    g_auto(GpCrashRun) third = { 0 };
    g_auto(GStrv) lines = NULL;
    guint unbinds = 0;

    gp_crash_host_save(sim);
    gp_crash_run(sim, add, NULL, 0, &count);
    cr_assert_eq(count.status, 0, "%s", count.err);
    cr_assert_not(count.killed);
    lines = g_strsplit(count.log, "\n", -1);
    cr_assert_eq(g_strv_length(lines) - 1, count.calls, "%s", count.log);
    for (guint i = 0; lines[i] && *lines[i]; i++) {
        g_autofree char *num = g_strdup_printf("%u ", i + 1);

        cr_assert(g_str_has_prefix(lines[i], num), "%s", count.log);
        if (g_str_has_suffix(lines[i], "/drivers/nvidia/unbind"))
            unbinds++;
    }
    cr_assert_eq(unbinds, 1, "the unbind counted once: %s", count.log);
    cr_assert(strstr(count.log, " rename "), "%s", count.log);
    cr_assert(strstr(count.log, " fsync "), "%s", count.log);
    gp_test_assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");

    gp_crash_host_restore(sim);
    gp_test_assert_driver(sim, GP_SIM_DC_GPU0, "nvidia");
    gp_crash_run(sim, add, NULL, 3, &third);
    cr_assert(third.killed, "status %d after %u calls", third.status, third.calls);
    cr_assert_eq(third.status, 128 + SIGKILL);
    cr_assert_str_eq(third.last, lines[2]);
    gp_crash_host_drop(sim);
}

/* ---- Temporary files of killed transactions -------------------------------- */

/* Runs ARGV (STDIN_TEXT on stdin) killed right before the first counted
 * call after the one that created a temporary file in DIR, and returns
 * the run. */
static void
kill_after_temp_file(GpSim *sim, const char *const *argv, const char *stdin_text,
                     const char *dir, GpCrashRun *run)
{
    g_auto(GpCrashRun) count = { 0 };
    g_auto(GStrv) lines = NULL;
    g_autofree char *prefix = g_strdup_printf(" open %s/.", dir);
    guint at = 0;

    gp_crash_host_save(sim);
    gp_crash_run(sim, argv, stdin_text, 0, &count);
    cr_assert_eq(count.status, 0, "%s", count.err);
    lines = g_strsplit(count.log, "\n", -1);
    for (guint i = 0; lines[i] && !at; i++)
        if (strstr(lines[i], prefix))
            at = i + 2;
    cr_assert_gt(at, 0, "no temporary file in %s: %s", dir, count.log);
    gp_crash_host_restore(sim);
    gp_crash_run(sim, argv, stdin_text, at, run);
    cr_assert(run->killed, "%s", run->err);
    gp_crash_host_drop(sim);
}

static guint
leftovers_in(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;

    while (d && (name = g_dir_read_name(d)))
        if (name[0] == '.')
            n++;
    return n;
}

/* A temporary claims file left by a killed hook goes with the next
 * transaction on the claims. */
Test(crash, the_next_transaction_removes_a_killed_hooks_temporary_claims_file)
{
    g_autoptr(GpSim) sim = gp_test_hook_host();
    const char *const devs[] = { GP_HOOK_HOST_GPU1, NULL };
    g_autofree char *xml = gp_test_assigned_xml("vm1", "11111111-1111-4111-8111-111111111111",
                                                "gpus", devs);
    const char *const prepare[] = { "gpupool-hook", "vm1", "prepare", "begin", "-", NULL };
    const char *const release[] = { "gpupool-hook", "vm1", "release", "end", "-", NULL };
    g_auto(GpCrashRun) killed = { 0 };
    g_auto(GpCrashRun) next = { 0 };

    kill_after_temp_file(sim, prepare, xml, gp_sim_statedir(sim), &killed);
    cr_assert_eq(leftovers_in(gp_sim_statedir(sim)), 1, "%s", killed.log);
    gp_crash_run(sim, release, xml, 0, &next);
    cr_assert_eq(next.status, 0, "%s", next.err);
    cr_assert_eq(leftovers_in(gp_sim_statedir(sim)), 0);
}

/* A temporary pool file in the configuration directory goes with the
 * next transaction on the pools, here the setup at boot. */
Test(crash, setup_removes_a_killed_commands_temporary_pool_file)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *pools = g_build_filename(gp_sim_confdir(sim), "pools", NULL);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    const char *const add[] = { "gpupool", "pool-add", "gpus", GP_SIM_DC_GPU0, NULL };
    g_auto(GpCrashRun) killed = { 0 };
    g_autoptr(GpTestRun) setup = NULL;

    kill_after_temp_file(sim, add, NULL, pools, &killed);
    cr_assert_eq(leftovers_in(pools), 1, "%s", killed.log);
    setup = gp_test_must(sim, "setup", NULL);
    cr_assert_eq(leftovers_in(pools), 0);
}

/* ---- Every call of a command, killed in turn ----------------------------------
 *
 * A scenario is a host with pools (and, for a release, a domain holding
 * its devices), one command, and what follows a crash of it on a real
 * host.  The command runs once to its end for reference, then once per
 * call it makes that changes a file or sysfs, killed right before that
 * call.  After each kill:
 *
 *   1. every state file (the claims, each pool) is the old version or
 *      the new one, and reads back;
 *   2. every PCI device is on the driver it had before or has after the
 *      command, or it is in a pool (the pool file says so) on vfio-pci,
 *      on its recorded host driver, or, between unbind and bind, on
 *      none: a device gpupool has no record of is never off its driver;
 *   3. what follows a crash runs: libvirt's release after a prepare that
 *      failed, `gpupool rebalance` (libvirt's test driver says the
 *      domain does not run), `gpupool setup` (as at the next boot), and
 *      for a pool command the command again if it did not get through;
 *      then no mdev and no VF profile is left that no claim owns, no
 *      temporary file is left, and every device is where the finished
 *      command would have left it;
 *   4. the domain starts (a claim works) and stops, and the host is then
 *      exactly as before the domain ever started.
 */

typedef struct {
    const char *what;
    GpSim *(*host)(void);
    /* The domain whose start ends every round: name, pool, device. */
    const char *pool;
    const char *device;            /* NULL: its mdev (pool 'disp') */
    /* The command: the hook's op/sub for the domain, or gpupool ARGS. */
    const char *hook_op, *hook_sub;
    const char *args[8];
    /* The domain holds its device when the command runs (a release). */
    gboolean started;
    /* The command leaves nothing to claim (the pool's last device went). */
    gboolean no_claim;
    /* The host's own environment (vendor modules) to undo at the end. */
    void (*done)(void);
} Scenario;

#define DOM "6d2b1c5e-4f3a-4e8b-9c7d-0a1b2c3d4e5f"
#define DOM_NAME "vm-crash"

typedef struct {
    const Scenario *sc;
    GpSim *sim;
    char *xml;          /* the domain's definition */
    char *uri;          /* libvirt's test driver: the domain, shut off */
    const char *argv[12];
    char *host0;        /* sysfs before the domain ever started */
    char *host_after;   /* sysfs after the command ran to its end */
    GHashTable *files_before, *files_after;  /* state file -> text (NULL: none) */
    guint calls;
    GString *report;
} Run;

/* claims.xml and pools/NAME.xml -> contents, with the claims' times left
 * out (a claim made by another run of the same command is the same). */
static GHashTable *
state_files(GpSim *sim)
{
    GHashTable *files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *pooldir = g_build_filename(gp_sim_confdir(sim), "pools", NULL);
    g_autofree char *claims = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
    g_autoptr(GDir) dir = g_dir_open(pooldir, 0, NULL);
    GRegex *since = g_regex_new(" since='[0-9]+'", 0, 0, NULL);
    const char *name;
    char *text = NULL;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(pooldir, name, NULL);

        if (name[0] == '.' || !g_file_get_contents(path, &text, NULL, NULL))
            continue;
        g_hash_table_insert(files, g_strconcat("pools/", name, NULL), text);
    }
    if (g_file_get_contents(claims, &text, NULL, NULL)) {
        g_hash_table_insert(files, g_strdup("claims.xml"),
                            g_regex_replace_literal(since, text, -1, 0, "", 0, NULL));
        g_free(text);
    }
    g_regex_unref(since);
    return files;
}

static gboolean
same_text(const char *a, const char *b)
{
    return g_strcmp0(a, b) == 0;
}

/* Check 1: each state file old or new, and readable. */
static void
check_files(Run *r, const char *when)
{
    g_autoptr(GHashTable) now = state_files(r->sim);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) err = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GPtrArray) pools = NULL;
    GHashTableIter it;
    gpointer key;

    for (guint t = 0; t < 3; t++) {
        GHashTable *h = t == 0 ? now : t == 1 ? r->files_before : r->files_after;

        g_hash_table_iter_init(&it, h);
        while (g_hash_table_iter_next(&it, &key, NULL))
            g_hash_table_add(names, key);
    }
    g_hash_table_iter_init(&it, names);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        const char *text = g_hash_table_lookup(now, key);

        cr_assert(same_text(text, g_hash_table_lookup(r->files_before, key)) ||
                      same_text(text, g_hash_table_lookup(r->files_after, key)),
                  "%s, %s: %s is neither the old nor the new version:\n%s", r->sc->what, when,
                  (char *)key, text ? text : "(missing)");
    }
    claims = gp_claims_load(&err);
    cr_assert_not_null(claims, "%s, %s: %s", r->sc->what, when, err ? err->message : "");
    pools = gp_poolstore_list(&err);
    cr_assert_not_null(pools, "%s, %s: %s", r->sc->what, when, err ? err->message : "");
}

/* Every PCI device of the host -> the driver it is bound to ("": none). */
static GHashTable *
drivers_now(GpSim *sim)
{
    GHashTable *drivers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *rel = gp_sysfs_pci_devices_path();
    g_autoptr(GPtrArray) devs = gp_sysfs_list(rel, NULL);

    for (guint i = 0; devs && i < devs->len; i++) {
        char *driver = gp_sim_driver(sim, devs->pdata[i]);

        g_hash_table_insert(drivers, g_strdup(devs->pdata[i]), driver ? driver : g_strdup(""));
    }
    return drivers;
}

/* The devices the pool files name now, directly or as a VF of a member
 * PF: address -> recorded host driver ("" none). */
static GHashTable *
on_record(void)
{
    GHashTable *rec = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GPtrArray) pools = gp_poolstore_list(NULL);

    for (guint i = 0; pools && i < pools->len; i++) {
        const GpPool *pool = pools->pdata[i];

        for (guint d = 0; d < pool->devices->len; d++) {
            const GpPoolDevice *dev = pool->devices->pdata[d];
            g_autofree char *vfs_rel = gp_sysfs_pci_dev_path(dev->address, NULL);
            g_autoptr(GPtrArray) entries = gp_sysfs_list(vfs_rel, NULL);

            g_hash_table_insert(rec, g_strdup(dev->address),
                                g_strdup(dev->host_driver ? dev->host_driver : ""));
            for (guint e = 0; entries && e < entries->len; e++) {
                g_autofree char *link = NULL;
                g_autofree char *vf = NULL;

                if (!g_str_has_prefix(entries->pdata[e], "virtfn"))
                    continue;
                link = gp_sysfs_pci_dev_path(dev->address, entries->pdata[e]);
                vf = gp_sysfs_link_name(link, NULL);
                if (vf)
                    g_hash_table_insert(rec, g_steal_pointer(&vf), g_strdup(""));
            }
        }
    }
    return rec;
}

/* Check 2. */
static void
check_drivers(Run *r, GHashTable *before, GHashTable *after, const char *when)
{
    g_autoptr(GHashTable) now = drivers_now(r->sim);
    g_autoptr(GHashTable) rec = on_record();
    GHashTableIter it;
    gpointer addr, driver;

    g_hash_table_iter_init(&it, now);
    while (g_hash_table_iter_next(&it, &addr, &driver)) {
        const char *recorded = g_hash_table_lookup(rec, addr);

        if (same_text(driver, g_hash_table_lookup(before, addr)) ||
            same_text(driver, g_hash_table_lookup(after, addr)))
            continue;
        cr_assert(recorded && (strcmp(driver, "vfio-pci") == 0 || !*(char *)driver ||
                               strcmp(driver, recorded) == 0),
                  "%s, %s: %s is on '%s', which is neither where it was nor where the command "
                  "takes it, and no pool has it on record", r->sc->what, when, (char *)addr,
                  (char *)driver);
    }
}

/* Check 3, the part about leftovers: every mdev and every VF with a
 * vendor profile is claimed, and no temporary file is left. */
static void
check_nothing_unowned(Run *r, const char *when)
{
    g_autoptr(GpClaims) claims = gp_claims_load(NULL);
    g_autofree char *mdev_rel = gp_sysfs_mdev_devices_path();
    g_autoptr(GPtrArray) mdevs = gp_sysfs_list(mdev_rel, NULL);
    g_autofree char *pci_rel = gp_sysfs_pci_devices_path();
    g_autoptr(GPtrArray) devs = gp_sysfs_list(pci_rel, NULL);
    g_autofree char *pooldir = g_build_filename(gp_sim_confdir(r->sim), "pools", NULL);

    cr_assert_not_null(claims);
    for (guint i = 0; mdevs && i < mdevs->len; i++)
        cr_assert_not_null(gp_claims_find(claims, mdevs->pdata[i]),
                           "%s, %s: mdev %s is owned by no claim", r->sc->what, when,
                           (char *)mdevs->pdata[i]);
    for (guint i = 0; devs && i < devs->len; i++) {
        g_autofree char *rel = g_strdup_printf("bus/pci/devices/%s/nvidia/current_vgpu_type",
                                               (char *)devs->pdata[i]);
        g_autofree char *type = gp_sim_read(r->sim, rel);

        if (type && strcmp(type, "0") != 0)
            cr_assert_not_null(gp_claims_find(claims, devs->pdata[i]),
                               "%s, %s: VF %s has vGPU type %s and no claim", r->sc->what, when,
                               (char *)devs->pdata[i], type);
    }
    cr_assert_eq(leftovers_in(gp_sim_statedir(r->sim)), 0, "%s, %s: a temporary claims file "
                 "is left", r->sc->what, when);
    cr_assert_eq(leftovers_in(pooldir), 0, "%s, %s: a temporary pool file is left",
                 r->sc->what, when);
}

static void
hook(Run *r, const char *op, const char *sub, int want, const char *when)
{
    const char *const argv[] = { "gpupool-hook", DOM_NAME, op, sub, "-", NULL };
    g_auto(GpCrashRun) run = { 0 };

    gp_crash_run(r->sim, argv, r->xml, 0, &run);
    if (want >= 0)
        cr_assert_eq(run.status, want, "%s, %s: %s %s: %s", r->sc->what, when, op, sub, run.err);
}

static void
gpupool(Run *r, const char *when, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL, *err = NULL;
    int status = -1;

    g_ptr_array_add(argv, (gpointer)"gpupool");
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    cr_assert(gp_sim_run(r->sim, (const char *const *)argv->pdata, &out, &err, &status));
    cr_assert_eq(status, 0, "%s, %s: gpupool %s: %s", r->sc->what, when, args[0], err);
}

/* The claims of a start older than any rebalance: a domain that stopped
 * while nobody could release it, as libvirtd killed leaves it. */
static void
age_claims(GpSim *sim)
{
    g_autofree char *path = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
    g_autofree char *text = NULL;
    g_autofree char *old = NULL;
    GRegex *since = g_regex_new("since='[0-9]+'", 0, 0, NULL);

    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    old = g_regex_replace_literal(since, text, -1, 0, "since='1700000000'", 0, NULL);
    g_regex_unref(since);
    cr_assert(g_file_set_contents(path, old, -1, NULL));
}

static void
run_setup(Run *r)
{
    const Scenario *sc = r->sc;
    g_autofree char *proc = NULL;
    g_autofree char *mdev = NULL;
    const char *devices[2] = { NULL, NULL };
    const char *xmls[2] = { NULL, NULL };
    const char *const setup[] = { "setup", NULL };
    guint n = 0;

    r->sim = sc->host();
    proc = g_build_filename(gp_sim_base(r->sim), "proc", NULL);
    g_mkdir_with_parents(proc, 0755);
    if (!g_getenv("GPUPOOL_PROC_ROOT"))
        g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);
    mdev = sc->device ? NULL : gp_domain_mdev_uuid(DOM, sc->pool, 0);
    devices[0] = sc->device ? sc->device : mdev;
    r->xml = gp_test_assigned_xml(DOM_NAME, DOM, sc->pool, devices);
    xmls[0] = r->xml;
    r->uri = gp_test_stopped_domains_uri(r->sim, xmls);
    r->report = g_string_new(NULL);
    /* As after a boot: every pool applied. */
    gpupool(r, "before", setup);
    r->host0 = gp_sim_snapshot(r->sim);
    if (sc->started) {
        hook(r, "prepare", "begin", 0, "before");
        age_claims(r->sim);
    }
    if (sc->hook_op) {
        r->argv[n++] = "gpupool-hook";
        r->argv[n++] = DOM_NAME;
        r->argv[n++] = sc->hook_op;
        r->argv[n++] = sc->hook_sub;
        r->argv[n++] = "-";
    } else {
        r->argv[n++] = "gpupool";
        for (guint i = 0; sc->args[i]; i++)
            r->argv[n++] = sc->args[i];
    }
    r->argv[n] = NULL;
    gp_crash_host_save(r->sim);
}

static void
run_clear(Run *r)
{
    gp_crash_host_drop(r->sim);
    g_clear_pointer(&r->sim, gp_sim_free);
    g_free(r->xml);
    g_free(r->uri);
    g_free(r->host0);
    g_free(r->host_after);
    g_clear_pointer(&r->files_before, g_hash_table_unref);
    g_clear_pointer(&r->files_after, g_hash_table_unref);
    g_string_free(r->report, TRUE);
    if (r->sc->done)
        r->sc->done();
    g_unsetenv("GPUPOOL_PROC_ROOT");
}

/* Step 3 after a kill at call N (0: after the run to the end). */
static void
recover(Run *r, const char *when)
{
    const char *const rebalance[] = { "rebalance", "--connect", r->uri, NULL };
    const char *const setup[] = { "setup", NULL };

    /* libvirt runs release for a start that a hook failed (killed). */
    if (r->sc->hook_op && strcmp(r->sc->hook_op, "prepare") == 0)
        hook(r, "release", "end", 0, when);
    gpupool(r, when, rebalance);
    gpupool(r, when, setup);
    check_nothing_unowned(r, when);
    if (!r->sc->hook_op) {
        g_autoptr(GHashTable) files = state_files(r->sim);
        const char *path = NULL;
        GHashTableIter it;
        gpointer key, text;

        /* A pool command that did not get through is run again. */
        g_hash_table_iter_init(&it, r->files_after);
        while (g_hash_table_iter_next(&it, &key, &text))
            if (!same_text(g_hash_table_lookup(files, key), text))
                path = key;
        if (path) {
            g_auto(GpCrashRun) again = { 0 };

            gp_crash_run(r->sim, r->argv, NULL, 0, &again);
            cr_assert_eq(again.status, 0, "%s, %s: run again (%s differed): %s", r->sc->what,
                         when, path, again.err);
        }
    }
    {
        g_autofree char *host = gp_sim_snapshot(r->sim);

        /* Where the finished command leaves the host (a release: where
         * it was before the domain started). */
        gp_test_assert_same_host(host, r->sc->hook_op ? r->host0 : r->host_after, when);
    }
    /* Step 4: the domain starts and stops. */
    if (r->sc->no_claim)
        return;
    hook(r, "prepare", "begin", 0, when);
    hook(r, "release", "end", 0, when);
    cr_assert_eq(gp_test_claim_count(), 0, "%s, %s: claims left", r->sc->what, when);
    check_nothing_unowned(r, when);
    if (r->sc->hook_op) {
        g_autofree char *host = gp_sim_snapshot(r->sim);

        gp_test_assert_same_host(host, r->host0, when);
    }
}

/* "open lock, write bind, ..." from a crash log: each call and the last
 * part of its path, for the test's report. */
static char *
calls_text(const char *log)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    GString *out = g_string_new(NULL);

    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", 3);
        g_autofree char *base = NULL;

        if (g_strv_length(f) < 3)
            continue;
        base = g_path_get_basename(f[2]);
        g_string_append_printf(out, "%s%s %s", out->len ? ", " : "", f[1], base);
    }
    return g_string_free(out, FALSE);
}

/* Runs SC killed at each of its calls in turn. */
static void
kill_at_every_call(const Scenario *sc)
{
    Run r = { .sc = sc };
    g_autoptr(GHashTable) drivers_before = NULL;
    g_autoptr(GHashTable) drivers_after = NULL;
    g_auto(GpCrashRun) reference = { 0 };
    g_autofree char *calls = NULL;
    gint64 t0 = g_get_monotonic_time();
    guint n;

    run_setup(&r);
    r.files_before = state_files(r.sim);
    drivers_before = drivers_now(r.sim);
    gp_crash_run(r.sim, r.argv, r.xml, 0, &reference);
    cr_assert_eq(reference.status, 0, "%s: %s", sc->what, reference.err);
    r.calls = reference.calls;
    r.files_after = state_files(r.sim);
    drivers_after = drivers_now(r.sim);
    r.host_after = gp_sim_snapshot(r.sim);
    cr_assert_gt(r.calls, 3, "%s: only %u calls: %s", sc->what, r.calls, reference.log);
    recover(&r, "after the run to the end");

    for (n = 1; n <= r.calls; n++) {
        g_auto(GpCrashRun) run = { 0 };
        g_autofree char *when = NULL;

        gp_crash_host_restore(r.sim);
        gp_crash_run(r.sim, r.argv, r.xml, n, &run);
        cr_assert(run.killed, "%s: not killed at call %u of %u (status %d): %s", sc->what, n,
                  r.calls, run.status, run.err);
        when = g_strdup_printf("killed at call %u/%u (%s)", n, r.calls, run.last);
        check_files(&r, when);
        check_drivers(&r, drivers_before, drivers_after, when);
        recover(&r, when);
    }
    calls = calls_text(reference.log);
    cr_log_info("%s: killed at each of %u calls, %.1f s: %s", sc->what, r.calls,
                (g_get_monotonic_time() - t0) / 1e6, calls);
    run_clear(&r);
}

/* ---- The scenarios ------------------------------------------------------------ */

static GpSim *
mbochs_host(void)
{
    return gp_test_mbochs_pool_host("mbochs-medium");
}

static GpSim *
l40s_host(void)
{
    return gp_test_l40s_pool_host("1158", 0);
}

Test(crash, hook_prepare_of_a_pci_pool_domain)
{
    const Scenario sc = { .what = "prepare (pci pool)", .host = gp_test_hook_host,
                          .pool = "gpus", .device = GP_HOOK_HOST_GPU1, .hook_op = "prepare",
                          .hook_sub = "begin" };

    kill_at_every_call(&sc);
}

Test(crash, hook_prepare_of_an_mdev_pool_domain)
{
    const Scenario sc = { .what = "prepare (mdev pool)", .host = mbochs_host, .pool = "disp",
                          .hook_op = "prepare", .hook_sub = "begin" };

    kill_at_every_call(&sc);
}

Test(crash, hook_prepare_of_a_vf_pool_domain)
{
    const Scenario sc = { .what = "prepare (vf pool)", .host = l40s_host, .pool = "l40s",
                          .device = "0000:c1:00.4", .hook_op = "prepare", .hook_sub = "begin",
                          .done = gp_test_l40s_done };

    kill_at_every_call(&sc);
}

Test(crash, hook_release_of_a_pci_pool_domain)
{
    const Scenario sc = { .what = "release (pci pool)", .host = gp_test_hook_host,
                          .pool = "gpus", .device = GP_HOOK_HOST_GPU1, .hook_op = "release",
                          .hook_sub = "end", .started = TRUE };

    kill_at_every_call(&sc);
}

Test(crash, hook_release_of_an_mdev_pool_domain)
{
    const Scenario sc = { .what = "release (mdev pool)", .host = mbochs_host, .pool = "disp",
                          .hook_op = "release", .hook_sub = "end", .started = TRUE };

    kill_at_every_call(&sc);
}

Test(crash, hook_release_of_a_vf_pool_domain)
{
    const Scenario sc = { .what = "release (vf pool)", .host = l40s_host, .pool = "l40s",
                          .device = "0000:c1:00.4", .hook_op = "release", .hook_sub = "end",
                          .started = TRUE, .done = gp_test_l40s_done };

    kill_at_every_call(&sc);
}

/* Hosts for the pool commands, made with the commands themselves. */
static GpSim *
workstation_empty_pool(void)
{
    GpSim *sim = gp_sim_fixture_workstation();
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "ws", "--type", "pci", NULL);

    return sim;
}

static GpSim *
datacenter_two_gpus(void)
{
    GpSim *sim = gp_sim_fixture_datacenter();
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0,
                                            GP_SIM_DC_GPU1, NULL);

    return sim;
}

static GpSim *
flex_empty_pool(void)
{
    GpSim *sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "flex", "--type", "vf",
                                               "--vf-count", "4", NULL);

    return sim;
}

static GpSim *
flex_pool(void)
{
    GpSim *sim = flex_empty_pool();
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU,
                                            NULL);

    return sim;
}

Test(crash, pool_add_of_a_gpu_and_its_hdmi_audio)
{
    const Scenario sc = { .what = "pool-add (pci pool)", .host = workstation_empty_pool,
                          .pool = "ws", .device = GP_SIM_WS_GPU,
                          .args = { "pool-add", "ws", GP_SIM_WS_GPU } };

    kill_at_every_call(&sc);
}

Test(crash, pool_remove_of_a_gpu)
{
    const Scenario sc = { .what = "pool-remove (pci pool)", .host = datacenter_two_gpus,
                          .pool = "gpus", .device = GP_SIM_DC_GPU1,
                          .args = { "pool-remove", "gpus", GP_SIM_DC_GPU0 } };

    kill_at_every_call(&sc);
}

Test(crash, pool_add_of_a_pf_to_a_vf_pool)
{
    const Scenario sc = { .what = "pool-add (vf pool)", .host = flex_empty_pool,
                          .pool = "flex", .device = "0000:4d:00.1",
                          .args = { "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU } };

    kill_at_every_call(&sc);
}

Test(crash, pool_remove_of_a_pf_from_a_vf_pool)
{
    const Scenario sc = { .what = "pool-remove (vf pool)", .host = flex_pool, .pool = "flex",
                          .device = "0000:4d:00.1", .no_claim = TRUE,
                          .args = { "pool-remove", "flex", GP_SIM_INTEL_SRIOV_GPU } };

    kill_at_every_call(&sc);
}

Test(crash, partition_set_of_a_vf_pools_count)
{
    const Scenario sc = { .what = "partition-set (vf pool)", .host = flex_pool,
                          .pool = "flex", .device = "0000:4d:00.1",
                          .args = { "partition-set", GP_SIM_INTEL_SRIOV_GPU, "--count", "2" } };

    kill_at_every_call(&sc);
}

Test(crash, partition_set_of_a_vgpu_profile)
{
    const Scenario sc = { .what = "partition-set (vGPU profile)", .host = l40s_host,
                          .pool = "l40s", .device = "0000:c1:00.4", .done = gp_test_l40s_done,
                          .args = { "partition-set", GP_SIM_SRIOV_GPU, "--profile", "1159" } };

    kill_at_every_call(&sc);
}
