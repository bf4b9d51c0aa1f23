/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A boot storm: many domains started at once for fewer devices, and what
 * one start costs in it.
 *
 *   (s) on a simulated host (no root needed): 32 domains, four reserving
 *       each device of a pool of 8, hand their start to the hook at once,
 *       as libvirt does when they are all started together (the hook
 *       programs as built, spawned the way libvirt spawns them, all 32
 *       before any is waited for).  Exactly 8 must pass and 24 be refused;
 *       then all 32 release.  Reported: the time from the first spawn to
 *       the last exit, per start, median of BENCH_ROUNDS rounds; target
 *       <= 10 ms per start.  The host-wide lock serialises the claims, so
 *       this is what a start waits for gpupool at worst.
 *   (l) with root, libvirtd and QEMU: the real-libvirtd tier's step l
 *       (tests/integration/test-libvirt-hook.sh with GP_IT_STEPS=l): the
 *       same storm through real libvirtd, virsh start and the installed
 *       hook layout, printed as the tier measures it (per start, and what
 *       a refused virsh start takes); no target, since libvirtd's own work
 *       is most of it.  Skipped, saying why, without root.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state/claims.h"
#include "state/pool.h"
#include "state/poolstore.h"
#include "bench-domain.h"
#include "sim.h"

#define BENCH_DOMAINS 32
#define BENCH_DEVICES 8
#define BENCH_ROUNDS 7
#define BENCH_TARGET_MS 10.0
/* What the hook starts as `gpupool rebalance`. */
#define BENCH_REBALANCE "/bin/true"

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static char *
uuid_of(guint i)
{
    return g_strdup_printf("%08x-0000-4000-8000-%012x", i + 1, i + 1);
}

/* Domain I, reserving device I % BENCH_DEVICES of pool "storm". */
static char *
domain_xml(guint i)
{
    g_autofree char *addr = gp_sim_fixture_many_addr(i % BENCH_DEVICES);
    g_autofree char *uuid = uuid_of(i);
    g_autofree char *name = g_strdup_printf("storm%u", i);

    return bench_pool_domain_xml(name, uuid, "storm", addr);
}

/* BENCH_DEVICES GPUs on vfio-pci in pool "storm". */
static GpSim *
storm_host(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new("storm", GP_POOL_TYPE_PCI, NULL);
    GpSim *sim = gp_sim_fixture_many(BENCH_DEVICES);

    gp_sim_add_driver(sim, "vfio-pci");
    for (guint i = 0; i < BENCH_DEVICES; i++) {
        g_autofree char *addr = gp_sim_fixture_many_addr(i);
        g_autofree char *override = g_strdup_printf("bus/pci/devices/%s/driver_override", addr);
        g_autofree char *unbind = g_strdup_printf("bus/pci/devices/%s/driver/unbind", addr);

        if (!gp_sim_write(sim, override, "vfio-pci") || !gp_sim_write(sim, unbind, addr) ||
            !gp_sim_write(sim, "bus/pci/drivers_probe", addr)) {
            fprintf(stderr, "bench-storm: cannot bind %s to vfio-pci in the simulator\n", addr);
            exit(1);
        }
        gp_pool_add_device(pool, addr, "nvidia", NULL, NULL);
    }
    if (!gp_poolstore_save(pool, &error)) {
        fprintf(stderr, "bench-storm: %s\n", error->message);
        exit(1);
    }
    return sim;
}

/* Spawns the hook (GATE) for domain I and OP SUB with XML on stdin; its
 * pid, or -1. */
static pid_t
spawn_hook(const char *gate, guint i, const char *op, const char *sub, const char *xml)
{
    g_autofree char *name = g_strdup_printf("storm%u", i);
    int in[2];
    pid_t pid;

    if (pipe(in) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(in[0], STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(in[0]);
        close(in[1]);
        execl(gate, gate, name, op, sub, "-", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    if (pid > 0)
        (void)!write(in[1], xml, strlen(xml));
    close(in[1]);
    return pid;
}

/* All BENCH_DOMAINS hooks at once; how many exited 0 in *PASSED; the
 * milliseconds from the first spawn to the last exit, or -1. */
static double
storm(const char *gate, const char *op, const char *sub, char **xmls, guint *passed)
{
    pid_t pids[BENCH_DOMAINS];
    gint64 t0 = g_get_monotonic_time();

    *passed = 0;
    for (guint i = 0; i < BENCH_DOMAINS; i++)
        if ((pids[i] = spawn_hook(gate, i, op, sub, xmls[i])) < 0)
            return -1;
    for (guint i = 0; i < BENCH_DOMAINS; i++) {
        int status;

        while (waitpid(pids[i], &status, 0) < 0) {
            if (errno != EINTR)
                return -1;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            (*passed)++;
    }
    return (g_get_monotonic_time() - t0) / 1000.0;
}

/* (l): the real-libvirtd tier's storm, when this machine can run it. */
static void
libvirt_storm(const char *srcdir, const char *builddir)
{
    g_autofree char *script = g_build_filename(srcdir, "tests", "integration",
                                               "test-libvirt-hook.sh", NULL);
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) envp = g_get_environ();
    const char *argv[] = { script, NULL };
    g_auto(GStrv) lines = NULL;
    int status = 0;

    if (geteuid() != 0) {
        printf("bench-storm: (l) real libvirtd: skipped: needs root (it runs a private "
               "libvirtd, as make check does)\n");
        return;
    }
    envp = g_environ_setenv(envp, "GP_IT_STEPS", "l", TRUE);
    envp = g_environ_setenv(envp, "top_builddir", builddir, TRUE);
    envp = g_environ_setenv(envp, "top_srcdir", srcdir, TRUE);
    if (!g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                      NULL, &status, &error)) {
        printf("bench-storm: (l) real libvirtd: not run: %s\n", error->message);
        return;
    }
    lines = g_strsplit(out, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *p = strstr(lines[i], "l: storm: ");

        if (p)
            printf("bench-storm: (l) real libvirtd: %s\n", p + strlen("l: storm: "));
        else if (strstr(lines[i], "SKIP") || strstr(lines[i], "FAIL"))
            printf("bench-storm: (l) real libvirtd: %s\n", lines[i]);
    }
}

int
main(void)
{
    const char *top = g_getenv("top_builddir");
    const char *src = g_getenv("top_srcdir");
    g_autofree char *builddir = g_strdup(top ? top : ".");
    g_autofree char *srcdir = g_strdup(src ? src : "..");
    g_autofree char *gate = g_build_filename(builddir, "hooks", "gpupool-hook", NULL);
    g_autoptr(GpSim) sim = NULL;
    g_autofree char *preload = gp_sim_preload_path();
    char *xmls[BENCH_DOMAINS];
    double per_start[BENCH_ROUNDS];
    double med;
    int fail = 0;

    signal(SIGPIPE, SIG_IGN);
    sim = storm_host();
    g_setenv("GPUPOOL_CLI", BENCH_REBALANCE, TRUE);
    /* The hook sees the simulated kernel as the tests do. */
    g_setenv("LD_PRELOAD", preload, TRUE);
    for (guint i = 0; i < BENCH_DOMAINS; i++)
        xmls[i] = domain_xml(i);
    for (guint r = 0; r < BENCH_ROUNDS; r++) {
        guint passed = 0, released = 0;
        double ms = storm(gate, "prepare", "begin", xmls, &passed);

        if (ms < 0 || passed != BENCH_DEVICES) {
            fprintf(stderr, "bench-storm: round %u: %u of %d starts passed, not %d\n", r,
                    passed, BENCH_DOMAINS, BENCH_DEVICES);
            return 1;
        }
        per_start[r] = ms / BENCH_DOMAINS;
        if (storm(gate, "release", "end", xmls, &released) < 0 ||
            released != BENCH_DOMAINS) {
            fprintf(stderr, "bench-storm: round %u: the releases failed\n", r);
            return 1;
        }
    }
    g_unsetenv("LD_PRELOAD");
    qsort(per_start, BENCH_ROUNDS, sizeof(double), compare_doubles);
    med = per_start[BENCH_ROUNDS / 2];
    printf("bench-storm: (s) %d starts at once for %d devices: %d pass, %d refused; "
           "%6.2f ms per start (target <= %.0f ms)\n", BENCH_DOMAINS, BENCH_DEVICES,
           BENCH_DEVICES, BENCH_DOMAINS - BENCH_DEVICES, med, BENCH_TARGET_MS);
    if (med > BENCH_TARGET_MS)
        fail = 1;
    for (guint i = 0; i < BENCH_DOMAINS; i++)
        g_free(xmls[i]);
    libvirt_storm(srcdir, builddir);
    return fail;
}
