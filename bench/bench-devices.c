/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How long `gpupool devices` takes on a big host: 256 A100s, each behind
 * its own root port, run end to end (the real binary, process start,
 * libpci scan, pci.ids names, status rules, output) several times.  The
 * median is compared with the target an admin expects of a listing:
 * well under a second. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define GP_BENCH_GPUS 256
#define GP_BENCH_RUNS 7
#define GP_BENCH_TARGET_SECONDS 1.0

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static guint
count(const char *haystack, const char *needle)
{
    guint n = 0;

    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Median wall time of ARGV in seconds, or a negative value (after saying
 * why) when a run fails or does not show every GPU: a broken command must
 * not pass for a fast one. */
static double
median_run(GpSim *sim, const char *const *argv, const char *per_gpu)
{
    double times[GP_BENCH_RUNS];

    for (int i = 0; i < GP_BENCH_RUNS; i++) {
        g_autofree char *out = NULL;
        g_autofree char *err = NULL;
        gint64 start = g_get_monotonic_time();
        int status = -1;
        guint shown;

        if (!gp_sim_run(sim, argv, &out, &err, &status))
            return -1;
        times[i] = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
        shown = count(out, per_gpu);
        if (status != 0 || shown != GP_BENCH_GPUS) {
            fprintf(stderr, "bench-devices: gpupool exited %d and showed %u of %d GPUs: %s\n",
                    status, shown, GP_BENCH_GPUS, err);
            return -1;
        }
    }
    qsort(times, GP_BENCH_RUNS, sizeof(times[0]), compare_doubles);
    return times[GP_BENCH_RUNS / 2];
}

static gboolean
report(const char *name, double median)
{
    if (median < 0) {
        printf("%s/%d-gpus: FAILED (see above)\n", name, GP_BENCH_GPUS);
        return FALSE;
    }
    printf("%s/%d-gpus: median %.3f s of %d runs (target < %.0f s)%s\n", name, GP_BENCH_GPUS,
           median, GP_BENCH_RUNS, GP_BENCH_TARGET_SECONDS,
           median < GP_BENCH_TARGET_SECONDS ? "" : ": TOO SLOW");
    return median < GP_BENCH_TARGET_SECONDS;
}

int
main(void)
{
    static const char *const text[] = { "gpupool", "devices", NULL };
    static const char *const xml[] = { "gpupool", "devices", "--xml", NULL };
    g_autoptr(GpSim) sim = NULL;
    gboolean ok = TRUE;

    /* The installed pci.ids, as on a real host: loading it is part of the
     * cost. */
    g_unsetenv("GPUPOOL_PCI_IDS");
    sim = gp_sim_fixture_many(GP_BENCH_GPUS);
    ok &= report("devices", median_run(sim, text, "\n  status:      ready for passthrough\n"));
    ok &= report("devices-xml", median_run(sim, xml, " status=\"ready\""));
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
