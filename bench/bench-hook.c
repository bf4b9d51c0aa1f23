/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the libvirt hook costs per call, spawned the way libvirt spawns
 * it: through a symlink named like the installed $hookdir/gpupool, with
 * the domain XML on stdin, timed from fork to exit.
 *
 *   (a) a domain without a gpupool request, at prepare begin (the hook is
 *       on the start path of every domain on the host): target < 2 ms,
 *       and at least 10 times faster than
 *   (p) a minimal Python hook that only parses the XML and looks for one
 *       element;
 *   (b) a claim (prepare begin) and a release (release end) in a pool of
 *       1,000 devices on a host where 999 other domains hold the others:
 *       target <= 3 ms and <= 12 million instructions per call.  Every
 *       call also starts the detached rebalance (here BENCH_REBALANCE), as
 *       the first change of a burst does.
 *
 * Times drift with the load of the machine; instructions do not, so the
 * calls of (a) and (b) are also counted once each with valgrind's
 * callgrind, from the gate's first instruction (the dynamic loader) to
 * its exit, the domain part it loads included.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/paths.h"
#include "state/claims.h"
#include "state/pool.h"
#include "state/poolstore.h"
#include "bench-domain.h"
#include "sim.h"

#define BENCH_PLAIN_RUNS 301
#define BENCH_PYTHON_RUNS 15
#define BENCH_CLAIM_RUNS 51
#define BENCH_DEVICES 1000
#define BENCH_PLAIN_TARGET_MS 2.0
#define BENCH_CLAIM_TARGET_MS 3.0
#define BENCH_CLAIM_TARGET_INSTRUCTIONS 12000000
/* What the hook starts as `gpupool rebalance`. */
#define BENCH_REBALANCE "/bin/true"

#define PYTHON_HOOK \
    "import sys, xml.etree.ElementTree as ET\n" \
    "root = ET.fromstring(sys.stdin.read())\n" \
    "sys.exit(0 if root.find('metadata/{http://gpupool.org/xmlns/domain/1.0}assignment') is None else 0)\n"

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
    qsort(v, n, sizeof(*v), compare_doubles);
    return v[n / 2];
}

/* Runs ARGV with XML on stdin and output discarded (stderr too if
 * QUIET); its pid in *PID.  TRUE if it exited with status EXPECT, else
 * FALSE after saying why. */
static gboolean
run(const char *const *argv, const char *xml, gboolean quiet, int expect, pid_t *pid_out)
{
    int in[2];
    int status;
    pid_t pid;

    if (pipe(in) < 0)
        return FALSE;
    pid = fork();
    if (pid < 0)
        return FALSE;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(in[0], STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (quiet)
            dup2(null, STDERR_FILENO);
        close(in[0]);
        close(in[1]);
        execv(argv[0], (char **)argv);
        _exit(127);
    }
    close(in[0]);
    /* Like libvirt: write what the hook takes, ignore it leaving early. */
    (void)!write(in[1], xml, strlen(xml));
    close(in[1]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return FALSE;
    }
    *pid_out = pid;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != expect) {
        g_autofree char *cmd = g_strjoinv(" ", (char **)argv);

        fprintf(stderr, "bench-hook: %s exited with %d\n", cmd, status);
        return FALSE;
    }
    return TRUE;
}

/* Milliseconds from fork to exit of ARGV with XML on stdin, or a negative
 * value (after saying why) if it failed. */
static double
timed_run(const char *const *argv, const char *xml)
{
    gint64 start = g_get_monotonic_time();
    pid_t pid;

    if (!run(argv, xml, FALSE, 0, &pid))
        return -1;
    return (double)(g_get_monotonic_time() - start) / 1000.0;
}

/* The instructions ARGV executes with XML on stdin, counted by callgrind
 * (VALGRIND) into files in DIR, following execs; -1 (after saying why) if
 * the run or the count failed.  Children the hook forks (the detached
 * rebalance) write files of their own, which are not counted.  With
 * BENCH_CALLGRIND_KEEP=DIR the profiles are kept there as WHAT.callgrind.PID
 * (for callgrind_annotate --inclusive=yes). */
static gint64
counted_run(const char *valgrind, const char *dir, const char *what, const char *const *argv,
            const char *xml, int expect)
{
    const char *keep = g_getenv("BENCH_CALLGRIND_KEEP");
    g_autofree char *out_opt = g_strdup_printf("--callgrind-out-file=%s/callgrind.%%p", dir);
    g_autoptr(GPtrArray) vg = g_ptr_array_new();
    g_autofree char *out = NULL;
    g_autofree char *data = NULL;
    g_autoptr(GDir) d = NULL;
    const char *total;
    const char *name;
    gint64 n = -1;
    pid_t pid;

    g_ptr_array_add(vg, (char *)valgrind);
    g_ptr_array_add(vg, "--tool=callgrind");
    g_ptr_array_add(vg, "--trace-children=yes");
    /* The rebalance the hook starts is not part of the call. */
    g_ptr_array_add(vg, "--trace-children-skip=" BENCH_REBALANCE);
    g_ptr_array_add(vg, "-q");
    g_ptr_array_add(vg, out_opt);
    for (int i = 0; argv[i]; i++)
        g_ptr_array_add(vg, (char *)argv[i]);
    g_ptr_array_add(vg, NULL);
    if (run((const char *const *)vg->pdata, xml, expect != 0, expect, &pid)) {
        out = g_strdup_printf("%s/callgrind.%d", dir, (int)pid);
        if (g_file_get_contents(out, &data, NULL, NULL) &&
            (total = strstr(data, "\ntotals: ")))
            n = g_ascii_strtoll(total + strlen("\ntotals: "), NULL, 10);
        else
            fprintf(stderr, "bench-hook: callgrind left no count in %s\n", out);
    }
    d = g_dir_open(dir, 0, NULL);
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (!g_str_has_prefix(name, "callgrind."))
            continue;
        if (keep) {
            g_autofree char *kept = g_strdup_printf("%s/%s.%s", keep, what, name);

            if (rename(path, kept) == 0)
                continue;
        }
        unlink(path);
    }
    return n > 0 ? n : -1;
}

static void
print_count(const char *what, gint64 n)
{
    if (n > 0)
        printf("bench-hook: %s %6.2f M instructions\n", what, n / 1e6);
    else
        printf("bench-hook: %s not counted\n", what);
}

static char *
domain_xml(const char *name, const char *uuid, const char *addr)
{
    if (!addr)
        return g_strdup_printf(
            "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
            "  <memory unit='KiB'>4194304</memory>\n  <vcpu>4</vcpu>\n"
            "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
            "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
            "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source file='/var/lib/libvirt/images/%s.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
            "    <interface type='network'><source network='default'/><model type='virtio'/></interface>\n"
            "  </devices>\n</domain>\n", name, uuid, name);
    return bench_pool_domain_xml(name, uuid, "gpus", addr);
}

static char *
uuid_of(guint i)
{
    return g_strdup_printf("%08x-0000-4000-8000-%012x", i, i);
}

/* A host of BENCH_DEVICES GPUs bound to vfio-pci in pool "gpus", all but
 * the first held by other domains. */
static GpSim *
big_host(const char *statedir)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new("gpus", GP_POOL_TYPE_PCI, NULL);
    g_autoptr(GpClaims) claims = NULL;
    GpSim *sim = gp_sim_fixture_many(BENCH_DEVICES);

    if (statedir)
        g_setenv("GPUPOOL_STATEDIR", statedir, TRUE);

    gp_sim_add_driver(sim, "vfio-pci");
    for (guint i = 0; i < BENCH_DEVICES; i++) {
        g_autofree char *addr = gp_sim_fixture_many_addr(i);
        g_autofree char *override = g_strdup_printf("bus/pci/devices/%s/driver_override", addr);
        g_autofree char *unbind = g_strdup_printf("bus/pci/devices/%s/driver/unbind", addr);
        g_autofree char *driver = NULL;

        if (!gp_sim_write(sim, override, "vfio-pci") || !gp_sim_write(sim, unbind, addr) ||
            !gp_sim_write(sim, "bus/pci/drivers_probe", addr) ||
            g_strcmp0((driver = gp_sim_driver(sim, addr)), "vfio-pci") != 0) {
            fprintf(stderr, "bench-hook: cannot bind %s to vfio-pci in the simulator\n", addr);
            exit(1);
        }
        gp_pool_add_device(pool, addr, "nvidia", NULL, NULL);
    }
    claims = gp_claims_load(&error);
    if (!claims || !gp_poolstore_save(pool, &error)) {
        fprintf(stderr, "bench-hook: %s\n", error->message);
        exit(1);
    }
    for (guint i = 1; i < BENCH_DEVICES; i++) {
        g_autofree char *addr = gp_sim_fixture_many_addr(i);
        g_autofree char *uuid = uuid_of(i);
        g_autofree char *name = g_strdup_printf("vm%u", i);

        if (!gp_claims_add(claims, addr, "gpus", uuid, name, NULL, &error))
            break;
    }
    if (error || !gp_claims_save(claims, &error)) {
        fprintf(stderr, "bench-hook: %s\n", error->message);
        exit(1);
    }
    return sim;
}

int
main(void)
{
    const char *top = g_getenv("top_builddir");
    g_autofree char *gate = g_build_filename(top ? top : ".", "hooks", "gpupool-hook", NULL);
    g_autofree char *dir = g_dir_make_tmp("gpupool-bench-hook-XXXXXX", NULL);
    g_autofree char *link = g_build_filename(dir, "gpupool", NULL);
    g_autofree char *plain = NULL;
    g_autofree char *claimer = NULL;
    g_autofree char *python = g_find_program_in_path("python3");
    g_autofree char *valgrind = g_find_program_in_path("valgrind");
    g_autofree char *counts = g_dir_make_tmp("gpupool-bench-count-XXXXXX", NULL);
    g_autoptr(GpSim) sim = NULL;
    g_autofree char *flag = NULL;
    g_autofree char *claims_path = NULL;
    g_autofree char *shm_state = NULL;
    double plain_ms[BENCH_PLAIN_RUNS], py_ms[BENCH_PYTHON_RUNS];
    double claim_ms[BENCH_CLAIM_RUNS], release_ms[BENCH_CLAIM_RUNS];
    double a, p = -1, b_claim, b_release;
    gint64 n_plain = -1, n_claim = -1, n_release = -1;
    int fail = 0;

    signal(SIGPIPE, SIG_IGN);
    if (!counts || !dir || symlink(gate, link) < 0) {
        fprintf(stderr, "bench-hook: cannot link %s: %s\n", gate, g_strerror(errno));
        return 1;
    }

    /* (a) A domain gpupool does not manage. */
    plain = domain_xml("web1", "6695eb01-f6a4-8304-79aa-97f2502e193f", NULL);
    for (int i = 0; i < BENCH_PLAIN_RUNS; i++) {
        const char *argv[] = { link, "web1", "prepare", "begin", "-", NULL };

        if ((plain_ms[i] = timed_run(argv, plain)) < 0)
            return 1;
    }
    a = median(plain_ms, BENCH_PLAIN_RUNS);
    if (valgrind) {
        const char *argv[] = { link, "web1", "prepare", "begin", "-", NULL };

        n_plain = counted_run(valgrind, counts, "plain", argv, plain, 0);
    }

    /* (p) The baseline a hook written in Python would cost. */
    if (python) {
        for (int i = 0; i < BENCH_PYTHON_RUNS; i++) {
            const char *argv[] = { python, "-c", PYTHON_HOOK, "web1", "prepare", "begin", "-", NULL };

            if ((py_ms[i] = timed_run(argv, plain)) < 0)
                return 1;
        }
        p = median(py_ms, BENCH_PYTHON_RUNS);
    }

    /* (b) Claim and release among 1,000 devices and domains.  The claims
     * live where they do on a host, in memory: /run is a tmpfs, and an
     * fsync there costs nothing, unlike on the disk under /tmp. */
    if (g_file_test("/dev/shm", G_FILE_TEST_IS_DIR)) {
        shm_state = g_strdup("/dev/shm/gpupool-bench-hook-XXXXXX");
        if (!g_mkdtemp(shm_state))
            g_clear_pointer(&shm_state, g_free);
    }
    sim = big_host(shm_state);
    g_setenv("GPUPOOL_CLI", BENCH_REBALANCE, TRUE);
    flag = gp_paths_rebalance_pending();
    {
        g_autofree char *state = gp_paths_statedir();

        claims_path = g_build_filename(state, "claims.xml", NULL);
    }
    {
        g_autofree char *addr = gp_sim_fixture_many_addr(0);
        g_autofree char *uuid = uuid_of(BENCH_DEVICES);

        claimer = domain_xml("vm1000", uuid, addr);
    }
    for (int i = 0; i < BENCH_CLAIM_RUNS; i++) {
        const char *prepare[] = { link, "vm1000", "prepare", "begin", "-", NULL };
        const char *release[] = { link, "vm1000", "release", "end", "-", NULL };
        g_autofree char *held = NULL;

        unlink(flag);
        if ((claim_ms[i] = timed_run(prepare, claimer)) < 0)
            return 1;
        /* A claim that did not happen must not pass for a fast one. */
        if (!g_file_get_contents(claims_path, &held, NULL, NULL) ||
            !strstr(held, "domain-name='vm1000'")) {
            fprintf(stderr, "bench-hook: the claim of vm1000 is not in %s\n", claims_path);
            return 1;
        }
        unlink(flag);
        if ((release_ms[i] = timed_run(release, claimer)) < 0)
            return 1;
    }
    b_claim = median(claim_ms, BENCH_CLAIM_RUNS);
    b_release = median(release_ms, BENCH_CLAIM_RUNS);
    if (valgrind && n_plain > 0) {
        const char *prepare[] = { link, "vm1000", "prepare", "begin", "-", NULL };
        const char *release[] = { link, "vm1000", "release", "end", "-", NULL };
        g_autofree char *held = NULL;
        g_autofree char *after = NULL;

        unlink(flag);
        n_claim = counted_run(valgrind, counts, "claim", prepare, claimer, 0);
        if (n_claim > 0 && (!g_file_get_contents(claims_path, &held, NULL, NULL) ||
                            !strstr(held, "domain-name='vm1000'"))) {
            fprintf(stderr, "bench-hook: the counted claim of vm1000 is not in %s\n",
                    claims_path);
            n_claim = -1;
        }
        unlink(flag);
        n_release = counted_run(valgrind, counts, "release", release, claimer, 0);
        if (n_release > 0 && (!g_file_get_contents(claims_path, &after, NULL, NULL) ||
                              strstr(after, "domain-name='vm1000'"))) {
            fprintf(stderr, "bench-hook: the counted release left vm1000's claim in %s\n",
                    claims_path);
            n_release = -1;
        }
    }

    printf("bench-hook: (a) domain without request:       %7.3f ms per call (target < %.0f ms)\n",
           a, BENCH_PLAIN_TARGET_MS);
    if (python)
        printf("bench-hook: (p) minimal Python hook baseline: %7.3f ms per call (%.0fx the hook; "
               "target >= 10x)\n", p, p / a);
    else
        printf("bench-hook: (p) minimal Python hook baseline: not measured (no python3)\n");
    printf("bench-hook: (b) claim in a pool of %d, %d domains: %7.3f ms per call (target <= %.0f ms)\n",
           BENCH_DEVICES, BENCH_DEVICES, b_claim, BENCH_CLAIM_TARGET_MS);
    printf("bench-hook: (b) release in the same pool:        %7.3f ms per call (target <= %.0f ms)\n",
           b_release, BENCH_CLAIM_TARGET_MS);
    printf("bench-hook:     claims in %s\n", claims_path);
    if (!valgrind)
        printf("bench-hook: instructions not counted: valgrind is missing (Debian package valgrind)\n");
    print_count("(a) domain without request:      ", n_plain);
    print_count("(b) claim:                       ", n_claim);
    print_count("(b) release:                     ", n_release);
    printf("bench-hook:     (b) target <= %.0f M instructions per call\n",
           BENCH_CLAIM_TARGET_INSTRUCTIONS / 1e6);

    if (a >= BENCH_PLAIN_TARGET_MS) {
        fprintf(stderr, "bench-hook: FAIL: (a) %.3f ms >= %.0f ms\n", a, BENCH_PLAIN_TARGET_MS);
        fail = 1;
    }
    if (python && a * 10 > p) {
        fprintf(stderr, "bench-hook: FAIL: (a) is not 10 times faster than the Python baseline\n");
        fail = 1;
    }
    if (b_claim > BENCH_CLAIM_TARGET_MS || b_release > BENCH_CLAIM_TARGET_MS) {
        fprintf(stderr, "bench-hook: FAIL: (b) a call takes more than %.0f ms\n",
                BENCH_CLAIM_TARGET_MS);
        fail = 1;
    }
    if (n_claim < 0 || n_release < 0) {
        fprintf(stderr, "bench-hook: FAIL: (b) the instructions of a call were not counted\n");
        fail = 1;
    } else if (n_claim > BENCH_CLAIM_TARGET_INSTRUCTIONS ||
               n_release > BENCH_CLAIM_TARGET_INSTRUCTIONS) {
        fprintf(stderr, "bench-hook: FAIL: (b) a call executes more than %.0f M instructions\n",
                BENCH_CLAIM_TARGET_INSTRUCTIONS / 1e6);
        fail = 1;
    }
    unlink(link);
    rmdir(dir);
    rmdir(counts);
    if (shm_state) {
        const char *const rm[] = { "rm", "-rf", shm_state, NULL };

        g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     NULL, NULL);
    }
    return fail;
}
