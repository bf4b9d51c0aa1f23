/* `gpupool assign` end to end on the simulated datacenter host (two A100s
 * with a 128 GiB BAR1 and a 32 MiB BAR3) and libvirt's test driver, which
 * runs the domains of a node file for the one connection the command
 * makes: the MMIO sizing from real BARs, the OVMF settings, the warning
 * for a too small --mmio, and nothing changed on the host. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "sim.h"

static GpSim *sim;
static char *uri;

static char *
sample(const char *name)
{
    g_autofree char *path = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                             name, NULL);
    g_autofree char *text = NULL;
    GRegex *re = g_regex_new("<domain type='(kvm|qemu)'>", 0, 0, NULL);
    char *out;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    /* The test driver runs domains of its own type. */
    out = g_regex_replace_literal(re, text, -1, 0, "<domain type='test'>", 0, NULL);
    g_regex_unref(re);
    return out;
}

static void
setup(void)
{
    g_autofree char *node = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *create[] = { "gpupool", "pool-create", "gpus", "--type", "pci", NULL };
    const char *add[] = { "gpupool", "pool-add", "gpus", GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, NULL };
    int status = -1;
    g_autofree char *d1 = sample("q35-ovmf.xml");
    g_autofree char *d2 = sample("q35-seabios.xml");
    g_autofree char *nodexml = g_strdup_printf("<node>\n%s%s</node>\n", d1, d2);

    sim = gp_sim_fixture_datacenter();
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
    /* The pool as an admin makes it: its GPUs leave nvidia for vfio-pci. */
    cr_assert(gp_sim_run(sim, create, &out, &err, &status) && status == 0, "%s", err);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    cr_assert(gp_sim_run(sim, add, &out, &err, &status) && status == 0, "%s", err);
    node = g_build_filename(gp_sim_base(sim), "node.xml", NULL);
    cr_assert(g_file_set_contents(node, nodexml, -1, NULL));
    uri = g_strdup_printf("test://%s", node);
}

static void
teardown(void)
{
    gp_sim_free(sim);
    g_free(uri);
}

TestSuite(cmd_assign, .init = setup, .fini = teardown);

static int
run(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
    const char *a6, char **out, char **err)
{
    const char *argv[] = { "gpupool", a1, a2, a3, a4, a5, a6, "--connect", uri, NULL };
    const char *compact[G_N_ELEMENTS(argv)];
    guint n = 0;
    int status = -1;

    for (guint i = 0; i < G_N_ELEMENTS(argv); i++)
        if (argv[i] || i == G_N_ELEMENTS(argv) - 1)
            compact[n++] = argv[i];
    cr_assert(gp_sim_run(sim, compact, out, err, &status));
    return status;
}

Test(cmd_assign, two_a100s_get_a_1_tib_window_with_ovmf_aperture_and_41_address_bits)
{
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run("assign", "win-ovmf", "--pool", "gpus", "--count", "2", &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "win-ovmf: assigned gpus 0000:41:00.0 (ua-gpupool-0), "
                                   "gpus 0000:81:00.0 (ua-gpupool-1)"), "%s", out);
    /* 2 x (128 GiB + 32 MiB, aligned to 128 GiB) + headroom -> 1 TiB; above
     * 16 GiB of RAM it ends at 2 TiB: 41 bits. */
    cr_assert_not_null(strstr(out, "64-bit MMIO window 1T (pcihole64, OVMF aperture), "
                                   "guest physical address bits 41"), "%s", out);
    cr_assert_str_eq(err, "");
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before, "assign changed the host");
}

Test(cmd_assign, one_a100_on_seabios_gets_512_gib_and_no_ovmf_settings)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run("assign", "linux-seabios", "--pool", "gpus", NULL, NULL, &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "64-bit MMIO window 512G (pcihole64)\n"), "%s", out);
}

Test(cmd_assign, a_too_small_explicit_window_is_set_but_warned_about)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run("assign", "win-ovmf", "--pool", "gpus", "--mmio", "64G", &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "64-bit MMIO window 64G"), "%s", out);
    cr_assert_not_null(strstr(err, "gpupool: warning: win-ovmf: --mmio 64G is smaller than "
                                   "the 512G its devices need"), "%s", err);
}
