/* The pool commands (src/cli/cmd-pool-*.c and cmd-setup.c), run as the
 * admin runs them (the real gpupool binary) against simulated hosts: what
 * they print, how they read definitions, their refusals.  Every refusal
 * must say what is wrong and how to fix it on one line, exit 1, and
 * change nothing: neither the host nor the pool files.  The transactions
 * behind them are test-poolhost.c's. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli-runner.h"
#include "crash-runner.h"
#include "pool-fixtures.h"

/* The shared runner (cli-runner.h) under the short names these tests use. */
typedef GpTestRun Run;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Run, gp_test_run_free)
#define must gp_test_must

/* gpupool ARGS... must be refused: exit 1, one line naming NEEDLE, and
 * neither the host nor gpupool's files changed. */
static void
refused(GpSim *sim, const char *needle, const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
refused(GpSim *sim, const char *needle, const char *first, ...)
{
    g_autofree char *host_before = gp_sim_snapshot(sim);
    g_autofree char *state_before = gp_test_state_dump(sim);
    g_autofree char *host_after = NULL;
    g_autofree char *state_after = NULL;
    g_autoptr(Run) r = NULL;
    va_list ap;

    va_start(ap, first);
    r = gp_test_run_va(sim, first, ap);
    va_end(ap);
    cr_assert_eq(r->status, 1, "gpupool %s: exit %d, stderr: %s", first, r->status, r->err);
    cr_assert(g_str_has_prefix(r->err, "gpupool: error: "), "stderr: %s", r->err);
    cr_assert(g_str_has_suffix(r->err, "\n") && !strchr(r->err, '\n')[1],
              "not one line: %s", r->err);
    cr_assert(strstr(r->err, needle), "'%s' not in: %s", needle, r->err);
    host_after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(host_after, host_before, first);
    state_after = gp_test_state_dump(sim);
    cr_assert_str_eq(state_after, state_before, "gpupool %s changed gpupool's files:\n%s\n---\n%s",
                     first, state_before, state_after);
}

static char *
pool_file(GpSim *sim, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);
    g_autofree char *path = g_build_filename(gp_sim_confdir(sim), "pools", file, NULL);
    char *data = NULL;

    g_file_get_contents(path, &data, NULL, NULL);
    return data;
}

/* A claim of a running domain NAME on DEVICE of POOL. */
static void
write_claim(const char *device, const char *pool, const char *name)
{
    gp_test_hold(device, pool, "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12", name, NULL);
}

/* Every test scans an empty process table unless it makes one: the
 * processes of the machine running the tests are not the simulated
 * host's. */
static char *empty_proc;

static void
suite_init(void)
{
    empty_proc = g_dir_make_tmp("gpupool-proc-XXXXXX", NULL);
    cr_assert_not_null(empty_proc);
    g_setenv("GPUPOOL_PROC_ROOT", empty_proc, TRUE);
}

static void
suite_fini(void)
{
    g_unsetenv("GPUPOOL_PROC_ROOT");
    rmdir(empty_proc);
    g_clear_pointer(&empty_proc, g_free);
}

TestSuite(cmd_pool, .init = suite_init, .fini = suite_fini);

/* ---- The happy path ------------------------------------------------------ */

Test(cmd_pool, add_then_remove_returns_the_host_to_where_it_was)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *file = NULL;
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci",
                                 "--description", "A100s for the ML VMs", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0, "81:00.0", NULL);
    g_autoptr(Run) list = NULL;
    g_autoptr(Run) remove = NULL;

    gp_test_assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
    gp_test_assert_driver(sim, GP_SIM_DC_GPU1, "vfio-pci");
    cr_assert(strstr(add->out, GP_SIM_DC_GPU0 ": bound to vfio-pci (was nvidia)"), "%s",
              add->out);
    file = pool_file(sim, "gpus");
    cr_assert(strstr(file, "<device address='0000:41:00.0' host-driver='nvidia'/>"), "%s", file);
    cr_assert(strstr(file, "<device address='0000:81:00.0' host-driver='nvidia'/>"), "%s", file);

    list = must(sim, "pool-list", NULL);
    cr_assert(strstr(list->out, "gpus"), "%s", list->out);
    cr_assert(strstr(list->out, "A100s for the ML VMs"), "%s", list->out);

    remove = must(sim, "pool-remove", "gpus", GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, NULL);
    cr_assert(strstr(remove->out, "back on nvidia"), "%s", remove->out);
    after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(after, before, "the commands");
    g_free(file);
    file = pool_file(sim, "gpus");
    cr_assert_null(strstr(file, "<device"), "%s", file);
}

Test(cmd_pool, the_functions_of_a_card_join_and_leave_together)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *file = NULL;
    g_autoptr(Run) create = must(sim, "pool-create", "ws", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "ws", GP_SIM_WS_GPU, NULL);
    g_autoptr(Run) info = NULL;
    g_autoptr(Run) remove = NULL;

    gp_test_assert_driver(sim, GP_SIM_WS_GPU, "vfio-pci");
    gp_test_assert_driver(sim, GP_SIM_WS_GPU_AUDIO, "vfio-pci");
    file = pool_file(sim, "ws");
    cr_assert(strstr(file, "<device address='0000:01:00.1' host-driver='snd_hda_intel' "
                           "companion-of='0000:01:00.0'/>"), "%s", file);
    info = must(sim, "pool-info", "ws", NULL);
    cr_assert(strstr(info->out, "companion of 0000:01:00.0"), "%s", info->out);

    refused(sim, "run 'gpupool pool-remove ws 0000:01:00.0'",
            "pool-remove", "ws", GP_SIM_WS_GPU_AUDIO, NULL);
    remove = must(sim, "pool-remove", "ws", GP_SIM_WS_GPU, NULL);
    gp_test_assert_driver(sim, GP_SIM_WS_GPU_AUDIO, "snd_hda_intel");
    after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(after, before, "the commands");
}

Test(cmd_pool, pool_define_brings_the_devices_of_a_definition_in)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *def = g_build_filename(gp_sim_base(sim), "gpus.xml", NULL);
    g_autoptr(Run) define = NULL;
    g_autoptr(Run) xml = NULL;

    cr_assert(g_file_set_contents(def, "<pool type='pci'><name>gpus</name>"
                                  "<device address='41:00.0'/></pool>", -1, NULL));
    define = must(sim, "pool-define", def, NULL);
    gp_test_assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
    xml = must(sim, "pool-info", "gpus", "--xml", NULL);
    cr_assert(strstr(xml->out, "host-driver='nvidia'"), "%s", xml->out);
    refused(sim, "pool 'gpus' already exists", "pool-define", def, NULL);
}

Test(cmd_pool, pool_info_names_the_holder_of_each_device)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, NULL);
    g_autoptr(Run) info = NULL;
    g_autoptr(Run) list = NULL;

    write_claim(GP_SIM_DC_GPU0, "gpus", "ml-train-1");
    info = must(sim, "pool-info", "gpus", NULL);
    cr_assert(strstr(info->out, "1 in use, 1 free"), "%s", info->out);
    cr_assert(strstr(info->out, "ml-train-1 (6f1c4a52-"), "%s", info->out);
    list = must(sim, "pool-list", NULL);
    cr_assert(strstr(list->out, "gpus                 pci         2       1       1"), "%s",
              list->out);
}

/* ---- Refusals of the command line ---------------------------------------- */

Test(cmd_pool, pool_names_are_checked)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *long_name = g_strnfill(65, 'a');

    refused(sim, "'a/b' is not a valid pool name", "pool-create", "a/b", "--type", "pci", NULL);
    refused(sim, "is not a valid pool name", "pool-create", "..", "--type", "pci", NULL);
    refused(sim, "is not a valid pool name", "pool-create", long_name, "--type", "pci", NULL);
    refused(sim, "is not a valid pool name", "pool-create", "", "--type", "pci", NULL);
    refused(sim, "is not a valid pool name", "pool-info", "../gpus", NULL);
}

Test(cmd_pool, command_line_mistakes_exit_2)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    static const char *const cases[][6] = {
        { "pool-create", "gpus", NULL },
        { "pool-create", "gpus", "--type", "gpu", NULL },
        { "pool-create", "gpus", "--type", "pci", "--mdev-type=nvidia-63", NULL },
        { "pool-add", "gpus", NULL },
        { "pool-remove", NULL },
        { "pool-info", NULL },
        { "pool-define", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autofree char *out = NULL;
        g_autofree char *err = NULL;
        int status;

        g_ptr_array_add(argv, (gpointer) "gpupool");
        for (int j = 0; cases[i][j]; j++)
            g_ptr_array_add(argv, (gpointer)cases[i][j]);
        g_ptr_array_add(argv, NULL);
        cr_assert(gp_sim_run(sim, (const char *const *)argv->pdata, &out, &err, &status));
        cr_assert_eq(status, 2, "case %zu: exit %d: %s", i, status, err);
        cr_assert(strstr(err, cases[i][0]), "case %zu: %s", i, err);
    }
}

Test(cmd_pool, pool_define_refuses_invalid_definitions)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *bad = g_build_filename(gp_sim_base(sim), "bad.xml", NULL);
    g_autofree char *evil = g_build_filename(gp_sim_base(sim), "evil.xml", NULL);

    cr_assert(g_file_set_contents(bad, "<pool type='pci'><name>gpus</name><gpu/></pool>",
                                  -1, NULL));
    cr_assert(g_file_set_contents(evil, "<!DOCTYPE pool [<!ENTITY e SYSTEM "
                                  "'file:///etc/passwd'>]><pool type='pci'><name>&e;</name>"
                                  "</pool>", -1, NULL));
    refused(sim, "does not match the schema pool.rng", "pool-define", bad, NULL);
    refused(sim, "DOCTYPE", "pool-define", evil, NULL);
    refused(sim, "No such file", "pool-define", "/nonexistent/pool.xml", NULL);
}

/* ---- Partitioning pools ------------------------------------------------------ */

Test(cmd_pool, a_vf_pool_enables_its_vf_count_on_the_pf)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "4", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    g_autofree char *numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU
                                               "/sriov_numvfs");
    g_autoptr(Run) info = NULL;

    cr_assert_str_eq(numvfs, "4");
    gp_test_assert_driver(sim, GP_SIM_INTEL_SRIOV_GPU, "i915");
    /* Its VFs are ready for passthrough. */
    gp_test_assert_driver(sim, "0000:4d:00.1", "vfio-pci");
    gp_test_assert_driver(sim, "0000:4d:00.4", "vfio-pci");
    info = must(sim, "pool-info", "flex", NULL);
    cr_assert(strstr(info->out, "4 VFs enabled"), "%s", info->out);
    cr_assert(strstr(info->out, "0 in use, 4 free"), "%s", info->out);
}

Test(cmd_pool, an_mdev_pool_takes_parents_that_offer_its_type)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autoptr(Run) c1 = must(sim, "pool-create", "vgpu", "--type", "mdev", "--mdev-type",
                             "nvidia-222", NULL);
    g_autoptr(Run) c2 = must(sim, "pool-create", "odd", "--type", "mdev", "--mdev-type",
                             "nvidia-999", NULL);
    g_autoptr(Run) add = NULL;
    g_autoptr(Run) info = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    refused(sim, "does not offer mdev type nvidia-999", "pool-add", "odd", GP_SIM_MDEV_GPU, NULL);
    refused(sim, "nvidia-222", "pool-add", "odd", GP_SIM_MDEV_GPU, NULL);
    refused(sim, "offers no mediated devices", "pool-add", "vgpu", "0000:00:01.0", NULL);
    add = must(sim, "pool-add", "vgpu", GP_SIM_MDEV_GPU, NULL);
    /* Recording a parent changes nothing on the host. */
    after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(after, before, "the commands");
    info = must(sim, "pool-info", "vgpu", NULL);
    cr_assert(strstr(info->out, "16 more nvidia-222 can be created"), "%s", info->out);
}

/* ---- Definitions read from a file --------------------------------------------- */

Test(cmd_pool, schema_errors_name_the_element_and_line)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *bad = g_build_filename(gp_sim_base(sim), "bad.xml", NULL);

    cr_assert(g_file_set_contents(bad, "<pool type='pci'>\n  <name>a b</name>\n</pool>\n",
                                  -1, NULL));
    refused(sim, "line 2: <name>", "pool-define", bad, NULL);
}

/* ---- An IOMMU group is the unit of assignment --------------------------------- */

/* Two cards behind one switch without ACS share IOMMU group 2: VFIO gives
 * the group to one guest, so the pool takes the whole group as one member
 * and its companions. */
Test(cmd_pool, pool_add_brings_every_endpoint_of_the_iommu_group_as_companions)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_SW_GPU1, NULL);
    g_autofree char *file = pool_file(sim, "gpus");
    g_autoptr(Run) info = NULL;
    g_autoptr(Run) list = NULL;

    gp_test_assert_driver(sim, GP_SIM_SW_GPU0, "vfio-pci");
    gp_test_assert_driver(sim, GP_SIM_SW_GPU0_AUDIO, "vfio-pci");
    gp_test_assert_driver(sim, GP_SIM_SW_GPU1, "vfio-pci");
    gp_test_assert_driver(sim, GP_SIM_SW_GPU1_AUDIO, "vfio-pci");
    /* Bridges of the group stay with the host. */
    gp_test_assert_driver(sim, GP_SIM_SW_PORT0, "pcieport");
    /* The device named is the member. */
    cr_assert(strstr(file, "<device address='0000:04:00.0' host-driver='nvidia'/>"), "%s", file);
    cr_assert(strstr(file, "<device address='0000:03:00.0' host-driver='nvidia' "
                           "companion-of='0000:04:00.0'/>"), "%s", file);
    cr_assert(strstr(file, "<device address='0000:03:00.1' host-driver='snd_hda_intel' "
                           "companion-of='0000:04:00.0'/>"), "%s", file);
    cr_assert(strstr(file, "<device address='0000:04:00.1' host-driver='snd_hda_intel' "
                           "companion-of='0000:04:00.0'/>"), "%s", file);
    cr_assert(strstr(add->out, GP_SIM_SW_GPU0 ": bound to vfio-pci (was nvidia), joins pool "
                               "'gpus' with " GP_SIM_SW_GPU1), "%s", add->out);
    info = must(sim, "pool-info", "gpus", NULL);
    cr_assert(strstr(info->out, "companion of 0000:04:00.0"), "%s", info->out);
    list = must(sim, "pool-list", NULL);
    cr_assert(strstr(list->out, "gpus                 pci         1       0       1"), "%s",
              list->out);
}


/* ---- Killed half-way ------------------------------------------------------ */

/* pool-add of DEVICE to pool NAME killed at each of its calls that
 * change a file or sysfs in turn (tests/crash): once the host changed the
 * pool file says what DEVICE had, so setup (which applies the pool's
 * devices again, as at boot) and pool-remove bring the host back to
 * where it was; a device the pool does not name was never touched. */
static void
kill_pool_add_at_every_call(GpSim *sim, const char *name, const char *device)
{
    g_autofree char *before = gp_sim_snapshot(sim);
    const char *const add[] = { "gpupool", "pool-add", name, device, NULL };
    guint n;

    gp_crash_host_save(sim);
    for (n = 1;; n++) {
        g_auto(GpCrashRun) run = { 0 };
        g_autofree char *file = NULL;
        g_autofree char *after = NULL;

        gp_crash_host_restore(sim);
        gp_crash_run(sim, add, NULL, n, &run);
        if (!run.killed) {
            cr_assert_eq(run.status, 0, "%s", run.err);
            break;
        }
        file = pool_file(sim, name);
        if (strstr(file, device)) {
            g_autoptr(Run) setup = must(sim, "setup", NULL);
            g_autoptr(Run) remove = must(sim, "pool-remove", name, device, NULL);
        }
        after = gp_sim_snapshot(sim);
        gp_test_assert_same_host(after, before, run.last);
    }
    cr_assert_gt(n, 5, "pool-add made only %u calls", n - 1);
    gp_crash_host_drop(sim);
}

Test(cmd_pool, pool_add_killed_at_any_call_leaves_the_devices_driver_on_record)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autoptr(Run) create = must(sim, "pool-create", "ws", "--type", "pci", NULL);

    /* The GPU and its HDMI audio (its IOMMU group) leave their drivers. */
    kill_pool_add_at_every_call(sim, "ws", GP_SIM_WS_GPU);
}

Test(cmd_pool, pool_add_killed_at_any_call_leaves_the_vfs_it_enabled_on_record)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "4", NULL);

    kill_pool_add_at_every_call(sim, "flex", GP_SIM_INTEL_SRIOV_GPU);
}
