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
 *       target < 10 ms per call.  Every call also starts the detached
 *       rebalance (here /bin/true), as the first change of a burst does.
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
#include "sim.h"

#define BENCH_PLAIN_RUNS 301
#define BENCH_PYTHON_RUNS 15
#define BENCH_CLAIM_RUNS 51
#define BENCH_DEVICES 1000
#define BENCH_PLAIN_TARGET_MS 2.0
#define BENCH_CLAIM_TARGET_MS 10.0

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

/* Runs ARGV with XML on stdin and output discarded; milliseconds from
 * fork to exit, or a negative value (after saying why) if it failed. */
static double
timed_run(const char *const *argv, const char *xml)
{
    int in[2];
    gint64 start = g_get_monotonic_time();
    int status;
    pid_t pid;

    if (pipe(in) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(in[0], STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
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
            return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench-hook: %s %s %s exited with %d\n", argv[0],
                argv[1] ? argv[1] : "", argv[2] ? argv[2] : "", status);
        return -1;
    }
    return (double)(g_get_monotonic_time() - start) / 1000.0;
}

static char *
domain_xml(const char *name, const char *uuid, const char *addr)
{
    guint dom = 0, bus = 0, slot = 0, fn = 0;

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
    sscanf(addr, "%x:%x:%x.%x", &dom, &bus, &slot, &fn);
    return g_strdup_printf(
        "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
        "  <metadata>\n    <gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>\n"
        "      <gpupool:request pool='gpus' count='1' mmio='auto'/>\n"
        "      <gpupool:device alias='ua-gpupool-0' pool='gpus' address='%s'/>\n"
        "    </gpupool:assignment>\n  </metadata>\n"
        "  <memory unit='KiB'>4194304</memory>\n  <vcpu>4</vcpu>\n"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
        "    <controller type='pci' index='0' model='pcie-root'>\n"
        "      <pcihole64 unit='KiB'>1073741824</pcihole64>\n    </controller>\n"
        "    <hostdev mode='subsystem' type='pci' managed='no'>\n"
        "      <source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source>\n"
        "      <alias name='ua-gpupool-0'/>\n    </hostdev>\n"
        "  </devices>\n</domain>\n", name, uuid, addr, dom, bus, slot, fn);
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
    g_autoptr(GpSim) sim = NULL;
    g_autofree char *flag = NULL;
    g_autofree char *claims_path = NULL;
    g_autofree char *shm_state = NULL;
    double plain_ms[BENCH_PLAIN_RUNS], py_ms[BENCH_PYTHON_RUNS];
    double claim_ms[BENCH_CLAIM_RUNS], release_ms[BENCH_CLAIM_RUNS];
    double a, p = -1, b_claim, b_release;
    int fail = 0;

    signal(SIGPIPE, SIG_IGN);
    if (!dir || symlink(gate, link) < 0) {
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
    g_setenv("GPUPOOL_CLI", "/bin/true", TRUE);
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

    printf("bench-hook: (a) domain without request:       %7.3f ms per call (target < %.0f ms)\n",
           a, BENCH_PLAIN_TARGET_MS);
    if (python)
        printf("bench-hook: (p) minimal Python hook baseline: %7.3f ms per call (%.0fx the hook; "
               "target >= 10x)\n", p, p / a);
    else
        printf("bench-hook: (p) minimal Python hook baseline: not measured (no python3)\n");
    printf("bench-hook: (b) claim in a pool of %d, %d domains: %7.3f ms per call (target < %.0f ms)\n",
           BENCH_DEVICES, BENCH_DEVICES, b_claim, BENCH_CLAIM_TARGET_MS);
    printf("bench-hook: (b) release in the same pool:        %7.3f ms per call (target < %.0f ms)\n",
           b_release, BENCH_CLAIM_TARGET_MS);
    printf("bench-hook:     claims in %s\n", claims_path);

    if (a >= BENCH_PLAIN_TARGET_MS) {
        fprintf(stderr, "bench-hook: FAIL: (a) %.3f ms >= %.0f ms\n", a, BENCH_PLAIN_TARGET_MS);
        fail = 1;
    }
    if (python && a * 10 > p) {
        fprintf(stderr, "bench-hook: FAIL: (a) is not 10 times faster than the Python baseline\n");
        fail = 1;
    }
    if (b_claim >= BENCH_CLAIM_TARGET_MS || b_release >= BENCH_CLAIM_TARGET_MS) {
        fprintf(stderr, "bench-hook: FAIL: (b) a call takes %.0f ms or more\n", BENCH_CLAIM_TARGET_MS);
        fail = 1;
    }
    unlink(link);
    rmdir(dir);
    if (shm_state) {
        const char *const rm[] = { "rm", "-rf", shm_state, NULL };

        g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     NULL, NULL);
    }
    return fail;
}
