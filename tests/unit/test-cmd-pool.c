/* The pool commands, run as the admin runs them (the real gpupool binary)
 * against simulated hosts.  Every refusal must say what is wrong and how
 * to fix it on one line, exit 1, and change nothing: neither the host
 * nor the pool files. */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sim.h"

typedef struct {
    char *command; /* the gpupool subcommand, for messages */
    int status;
    char *out;
    char *err;
} Run;

static void
run_free(Run *r)
{
    g_free(r->command);
    g_free(r->out);
    g_free(r->err);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Run, run_free)

static Run *
run_argv(GpSim *sim, const char *first, va_list ap)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    Run *r = g_new0(Run, 1);
    const char *arg;

    r->command = g_strdup(first);
    g_ptr_array_add(argv, (gpointer) "gpupool");
    for (arg = first; arg; arg = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)arg);
    g_ptr_array_add(argv, NULL);
    cr_assert(gp_sim_run(sim, (const char *const *)argv->pdata, &r->out, &r->err, &r->status));
    return r;
}

/* gpupool ARGS... (NULL-terminated). */
static Run *
run(GpSim *sim, const char *first, ...) G_GNUC_NULL_TERMINATED;

static Run *
run(GpSim *sim, const char *first, ...)
{
    va_list ap;
    Run *r;

    va_start(ap, first);
    r = run_argv(sim, first, ap);
    va_end(ap);
    return r;
}

/* R, once its command is seen to have succeeded. */
static Run *
succeeded(Run *r)
{
    cr_assert_eq(r->status, 0, "gpupool %s failed (%d): %s", r->command, r->status, r->err);
    return r;
}

/* gpupool ARGS... (NULL-terminated) must succeed.  A macro only because C
 * cannot pass variable arguments on to run(). */
#define must(sim, ...) succeeded(run((sim), __VA_ARGS__))

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Everything gpupool keeps: the pool files and the claims. */
static char *
state_dump(GpSim *sim)
{
    g_autofree char *pooldir = g_build_filename(gp_sim_confdir(sim), "pools", NULL);
    g_autofree char *claims = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
    g_autoptr(GDir) dir = g_dir_open(pooldir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GString *out = g_string_new(NULL);
    g_autofree char *cl = NULL;
    const char *name;

    while (dir && (name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(pooldir, names->pdata[i], NULL);
        g_autofree char *data = NULL;

        g_file_get_contents(path, &data, NULL, NULL);
        g_string_append_printf(out, "== %s\n%s", (char *)names->pdata[i], data ? data : "");
    }
    if (g_file_get_contents(claims, &cl, NULL, NULL))
        g_string_append_printf(out, "== claims\n%s", cl);
    return g_string_free(out, FALSE);
}

/* Snapshots are long: on a mismatch show only the lines that differ. */
static void
assert_same_host(const char *after, const char *before, const char *what)
{
    g_auto(GStrv) a = NULL;
    g_auto(GStrv) b = NULL;
    g_autoptr(GString) diff = NULL;

    if (strcmp(after, before) == 0)
        return;
    a = g_strsplit(after, "\n", -1);
    b = g_strsplit(before, "\n", -1);
    diff = g_string_new(NULL);
    for (guint i = 0; b[i]; i++)
        if (!g_strv_contains((const char *const *)a, b[i]))
            g_string_append_printf(diff, "- %.200s\n", b[i]);
    for (guint i = 0; a[i]; i++)
        if (!g_strv_contains((const char *const *)b, a[i]))
            g_string_append_printf(diff, "+ %.200s\n", a[i]);
    cr_assert_fail("%s changed the host:\n%s", what, diff->str);
}

/* gpupool ARGS... must be refused: exit 1, one line naming NEEDLE, and
 * neither the host nor gpupool's files changed. */
static void
refused(GpSim *sim, const char *needle, const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
refused(GpSim *sim, const char *needle, const char *first, ...)
{
    g_autofree char *host_before = gp_sim_snapshot(sim);
    g_autofree char *state_before = state_dump(sim);
    g_autofree char *host_after = NULL;
    g_autofree char *state_after = NULL;
    g_autoptr(Run) r = NULL;
    va_list ap;

    va_start(ap, first);
    r = run_argv(sim, first, ap);
    va_end(ap);
    cr_assert_eq(r->status, 1, "gpupool %s: exit %d, stderr: %s", first, r->status, r->err);
    cr_assert(g_str_has_prefix(r->err, "gpupool: error: "), "stderr: %s", r->err);
    cr_assert(g_str_has_suffix(r->err, "\n") && !strchr(r->err, '\n')[1],
              "not one line: %s", r->err);
    cr_assert(strstr(r->err, needle), "'%s' not in: %s", needle, r->err);
    host_after = gp_sim_snapshot(sim);
    assert_same_host(host_after, host_before, first);
    state_after = state_dump(sim);
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

static void
assert_driver(GpSim *sim, const char *addr, const char *want)
{
    g_autofree char *driver = gp_sim_driver(sim, addr);

    cr_assert_str_eq(driver ? driver : "(none)", want ? want : "(none)", "%s", addr);
}

static void
write_claim(GpSim *sim, const char *device, const char *pool, const char *name)
{
    g_autofree char *path = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
    g_autofree char *xml = g_strdup_printf(
        "<claims>\n  <claim device='%s' pool='%s' "
        "domain-uuid='6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12' domain-name='%s' "
        "since='1700000000'/>\n</claims>\n", device, pool, name);

    cr_assert_eq(g_mkdir_with_parents(gp_sim_statedir(sim), 0755), 0);
    cr_assert(g_file_set_contents(path, xml, -1, NULL));
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

    assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
    assert_driver(sim, GP_SIM_DC_GPU1, "vfio-pci");
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
    assert_same_host(after, before, "the commands");
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

    assert_driver(sim, GP_SIM_WS_GPU, "vfio-pci");
    assert_driver(sim, GP_SIM_WS_GPU_AUDIO, "vfio-pci");
    file = pool_file(sim, "ws");
    cr_assert(strstr(file, "<device address='0000:01:00.1' host-driver='snd_hda_intel' "
                           "companion-of='0000:01:00.0'/>"), "%s", file);
    info = must(sim, "pool-info", "ws", NULL);
    cr_assert(strstr(info->out, "companion of 0000:01:00.0"), "%s", info->out);

    refused(sim, "run 'gpupool pool-remove ws 0000:01:00.0'",
            "pool-remove", "ws", GP_SIM_WS_GPU_AUDIO, NULL);
    remove = must(sim, "pool-remove", "ws", GP_SIM_WS_GPU, NULL);
    assert_driver(sim, GP_SIM_WS_GPU_AUDIO, "snd_hda_intel");
    after = gp_sim_snapshot(sim);
    assert_same_host(after, before, "the commands");
}

Test(cmd_pool, naming_both_functions_of_a_card_adds_the_second_as_companion)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autoptr(Run) create = must(sim, "pool-create", "ws", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "ws", GP_SIM_WS_GPU_AUDIO, GP_SIM_WS_GPU, NULL);
    g_autofree char *file = pool_file(sim, "ws");

    cr_assert(strstr(file, "companion-of='0000:01:00.0'"), "%s", file);
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
    assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
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

    write_claim(sim, GP_SIM_DC_GPU0, "gpus", "ml-train-1");
    info = must(sim, "pool-info", "gpus", NULL);
    cr_assert(strstr(info->out, "1 in use, 1 free"), "%s", info->out);
    cr_assert(strstr(info->out, "ml-train-1 (6f1c4a52-"), "%s", info->out);
    list = must(sim, "pool-list", NULL);
    cr_assert(strstr(list->out, "gpus                 pci         2       1       1"), "%s",
              list->out);
}

/* ---- Refusals: addresses and devices ------------------------------------- */

Test(cmd_pool, malformed_and_unknown_addresses_are_refused)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);

    refused(sim, "'0000:41:00' is not a PCI address", "pool-add", "gpus", "0000:41:00", NULL);
    refused(sim, "is not a PCI address", "pool-add", "gpus", "../../etc", NULL);
    /* All or nothing: the good address before the bad one is not bound. */
    refused(sim, "no PCI device 0000:99:00.0", "pool-add", "gpus", GP_SIM_DC_GPU0,
            "0000:99:00.0", NULL);
    refused(sim, "there is no pool 'nope'", "pool-add", "nope", GP_SIM_DC_GPU0, NULL);
    refused(sim, "is not in pool 'gpus'", "pool-remove", "gpus", GP_SIM_DC_GPU0, NULL);
}

Test(cmd_pool, devices_that_cannot_be_assigned_are_refused_with_the_reason)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);

    refused(sim, "0000:00:01.0 cannot be added to pool 'gpus': ", "pool-add", "gpus",
            "0000:00:01.0", NULL);
    refused(sim, "bridge", "pool-add", "gpus", "0000:00:01.0", NULL);
    refused(sim, GP_SIM_DC_BMC_VGA " cannot be added to pool 'gpus'", "pool-add", "gpus",
            GP_SIM_DC_BMC_VGA, NULL);
    /* All or nothing across the request. */
    refused(sim, "0000:00:01.0 cannot be added", "pool-add", "gpus", GP_SIM_DC_GPU0,
            "0000:00:01.0", NULL);
}

Test(cmd_pool, the_boot_vga_in_use_is_refused)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autoptr(Run) create = must(sim, "pool-create", "ws", "--type", "pci", NULL);

    refused(sim, "boot VGA", "pool-add", "ws", GP_SIM_WS_IGPU, NULL);
}

Test(cmd_pool, a_group_shared_with_devices_the_host_uses_is_refused)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autoptr(Run) create = must(sim, "pool-create", "ws", "--type", "pci", NULL);

    refused(sim, GP_SIM_WS_LEGACY_GPU " cannot be added to pool 'ws'", "pool-add", "ws",
            GP_SIM_WS_LEGACY_GPU, NULL);
}

Test(cmd_pool, a_pcie_gpu_sharing_its_group_with_a_host_nic_is_refused)
{
    g_autoptr(GpSim) sim = gp_sim_new();
    GpSimPciSpec gpu = {
        .addr = "0000:05:00.0", .parent = "0000:00:01.0", .vendor = 0x10de,
        .device = 0x20b5, .class_code = 0x030200, .driver = "nvidia",
    };
    GpSimPciSpec nic = {
        .addr = "0000:05:01.0", .parent = "0000:00:01.0", .vendor = 0x8086,
        .device = 0x1533, .class_code = 0x020000, .driver = "igb", .group_with = "0000:05:00.0",
    };
    g_autoptr(Run) create = NULL;

    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "nvidia");
    gp_sim_add_driver(sim, "igb");
    gp_sim_add_driver(sim, "pcieport");
    gp_sim_add_driver(sim, "vfio-pci");
    gp_sim_add_root_port(sim, "0000:00:01.0", 5);
    gp_sim_add_pci(sim, &gpu);
    gp_sim_add_pci(sim, &nic);
    create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    refused(sim, "IOMMU group", "pool-add", "gpus", "0000:05:00.0", NULL);
    refused(sim, "0000:05:01.0", "pool-add", "gpus", "0000:05:00.0", NULL);
}

Test(cmd_pool, a_host_without_iommu_is_refused_with_the_fix)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_no_iommu();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);

    refused(sim, "intel_iommu=on", "pool-add", "gpus", GP_SIM_DC_GPU0, NULL);
}

Test(cmd_pool, without_vfio_pci_the_fix_is_modprobe)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);

    gp_sim_remove_driver(sim, "vfio-pci");
    refused(sim, "vfio-pci is not loaded: run 'modprobe vfio-pci'", "pool-add", "gpus",
            GP_SIM_DC_GPU0, NULL);
}

/* ---- Refusals: pools and domains ------------------------------------------ */

Test(cmd_pool, a_device_in_another_pool_is_refused_naming_that_pool)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) c1 = must(sim, "pool-create", "other", "--type", "pci", NULL);
    g_autoptr(Run) c2 = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "other", GP_SIM_DC_GPU0, NULL);

    refused(sim, "0000:41:00.0 is already in pool 'other': run 'gpupool pool-remove other "
            "0000:41:00.0' first", "pool-add", "gpus", "41:00.0", NULL);
    refused(sim, "0000:41:00.0 is already in pool 'other': nothing to add",
            "pool-add", "other", GP_SIM_DC_GPU0, NULL);
}

Test(cmd_pool, a_device_held_by_a_running_domain_is_refused_naming_the_domain)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0, NULL);

    write_claim(sim, GP_SIM_DC_GPU0, "gpus", "vm1");
    refused(sim, "0000:41:00.0 is held by domain 'vm1'", "pool-remove", "gpus",
            GP_SIM_DC_GPU0, NULL);
    refused(sim, "stop it first ('virsh shutdown vm1')", "pool-remove", "gpus",
            GP_SIM_DC_GPU0, NULL);
    refused(sim, "pool 'gpus' is in use: domain 'vm1'", "pool-undefine", "gpus", NULL);
    /* A claim left on a device no pool lists any more still protects it. */
    write_claim(sim, GP_SIM_DC_GPU1, "gone", "vm2");
    refused(sim, "0000:81:00.0 is held by domain 'vm2'", "pool-add", "gpus",
            GP_SIM_DC_GPU1, NULL);
}

Test(cmd_pool, a_corrupt_claims_file_stops_every_change)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autofree char *path = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);

    cr_assert_eq(g_mkdir_with_parents(gp_sim_statedir(sim), 0755), 0);
    cr_assert(g_file_set_contents(path, "<claims><claim device=", -1, NULL));
    refused(sim, "claims.xml is corrupt", "pool-add", "gpus", GP_SIM_DC_GPU0, NULL);
}

Test(cmd_pool, undefine_refuses_a_pool_with_devices_and_says_how_to_empty_it)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0, NULL);
    g_autoptr(Run) remove = NULL;
    g_autoptr(Run) undefine = NULL;
    g_autofree char *file = NULL;

    refused(sim, "remove its devices first with 'gpupool pool-remove gpus 0000:41:00.0'",
            "pool-undefine", "gpus", NULL);
    remove = must(sim, "pool-remove", "gpus", GP_SIM_DC_GPU0, NULL);
    undefine = must(sim, "pool-undefine", "gpus", NULL);
    file = pool_file(sim, "gpus");
    cr_assert_null(file);
    refused(sim, "there is no pool 'gpus'", "pool-undefine", "gpus", NULL);
}

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

Test(cmd_pool, pool_create_refuses_a_taken_name)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);

    refused(sim, "pool 'gpus' already exists", "pool-create", "gpus", "--type", "vf", NULL);
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
    assert_driver(sim, GP_SIM_INTEL_SRIOV_GPU, "i915");
    /* Its VFs are ready for passthrough. */
    assert_driver(sim, "0000:4d:00.1", "vfio-pci");
    assert_driver(sim, "0000:4d:00.4", "vfio-pci");
    info = must(sim, "pool-info", "flex", NULL);
    cr_assert(strstr(info->out, "4 VFs enabled"), "%s", info->out);
    cr_assert(strstr(info->out, "0 in use, 4 free"), "%s", info->out);
}

Test(cmd_pool, a_vf_pool_refuses_devices_without_sr_iov_and_vfs)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "8", NULL);
    g_autoptr(Run) c2 = must(sim, "pool-create", "few", "--type", "vf", "--vf-count", "2", NULL);
    g_autoptr(Run) add = NULL;

    refused(sim, "supports at most 7 VFs but pool 'flex' wants 8", "pool-add", "flex",
            GP_SIM_INTEL_SRIOV_GPU, NULL);
    refused(sim, "does not support SR-IOV", "pool-add", "few", "0000:00:01.0", NULL);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "3"));
    refused(sim, "has 3 VFs enabled but pool 'few' wants 2", "pool-add", "few",
            GP_SIM_INTEL_SRIOV_GPU, NULL);
    refused(sim, "is a virtual function of " GP_SIM_INTEL_SRIOV_GPU, "pool-add", "few",
            "0000:4d:00.1", NULL);
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
    assert_same_host(after, before, "the commands");
    info = must(sim, "pool-info", "vgpu", NULL);
    cr_assert(strstr(info->out, "16 more nvidia-222 can be created"), "%s", info->out);
}

Test(cmd_pool, an_mdev_pool_takes_a_parent_that_is_not_a_pci_device_by_name)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autoptr(Run) c1 = must(sim, "pool-create", "display", "--type", "mdev", "--mdev-type",
                             "mbochs-small", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "display", GP_SIM_MBOCHS, NULL);
    g_autofree char *file = pool_file(sim, "display");

    cr_assert(strstr(file, "<device address='mbochs'/>"), "%s", file);
    refused(sim, "offers no mediated devices", "pool-add", "display", "mtty", NULL);
}

/* ---- Boot ---------------------------------------------------------------------- */

/* What a reboot does to a device: the override and the binding are gone
 * and the native driver has it again. */
static void
reboot_device(GpSim *sim, const char *addr)
{
    g_autofree char *override = g_strdup_printf("bus/pci/devices/%s/driver_override", addr);

    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/unbind", addr));
    cr_assert(gp_sim_write(sim, override, "\n"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", addr));
}

Test(cmd_pool, setup_binds_every_pool_device_again_after_a_reboot)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autoptr(Run) create = must(sim, "pool-create", "ws", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "ws", GP_SIM_WS_GPU, NULL);
    g_autofree char *bound = gp_sim_snapshot(sim);
    g_autofree char *again = NULL;
    g_autofree char *twice = NULL;
    g_autoptr(Run) setup = NULL;
    g_autoptr(Run) setup2 = NULL;

    reboot_device(sim, GP_SIM_WS_GPU);
    reboot_device(sim, GP_SIM_WS_GPU_AUDIO);
    assert_driver(sim, GP_SIM_WS_GPU, "nvidia");
    setup = must(sim, "setup", NULL);
    cr_assert(strstr(setup->out, "bound to vfio-pci"), "%s", setup->out);
    again = gp_sim_snapshot(sim);
    assert_same_host(again, bound, "setup after a reboot");
    /* Idempotent. */
    setup2 = must(sim, "setup", NULL);
    cr_assert(strstr(setup2->out, "already on vfio-pci"), "%s", setup2->out);
    twice = gp_sim_snapshot(sim);
    assert_same_host(twice, bound, "a second setup");
}

Test(cmd_pool, setup_reports_a_failing_device_and_still_applies_the_others)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *pooldir = g_build_filename(gp_sim_confdir(sim), "pools", NULL);
    g_autofree char *path = g_build_filename(pooldir, "gpus.xml", NULL);
    g_autoptr(Run) setup = NULL;

    cr_assert_eq(g_mkdir_with_parents(pooldir, 0755), 0);
    /* A card that was pulled while the host was off. */
    cr_assert(g_file_set_contents(path, "<pool type='pci'><name>gpus</name>"
                                  "<device address='0000:41:00.0' host-driver='nvidia'/>"
                                  "<device address='0000:99:00.0' host-driver='nvidia'/>"
                                  "</pool>", -1, NULL));
    setup = run(sim, "setup", NULL);
    cr_assert_eq(setup->status, 1, "%s", setup->err);
    cr_assert(strstr(setup->err, "0000:99:00.0"), "%s", setup->err);
    assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
}

Test(cmd_pool, setup_applies_vf_counts)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "2", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    g_autoptr(Run) setup = NULL;
    g_autofree char *numvfs = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "0"));
    setup = must(sim, "setup", NULL);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "2");
    assert_driver(sim, "0000:4d:00.2", "vfio-pci");
    cr_assert(strstr(setup->out, "enabled 2 VFs"), "%s", setup->out);
}

/* ---- Devices open outside gpupool ------------------------------------------- */

/* A process of a fake /proc that holds /dev/vfio/GROUP open. */
static void
fake_vfio_user(GpSim *sim, const char *addr, const char *pid, const char *comm)
{
    g_autofree char *proc = g_build_filename(gp_sim_base(sim), "proc", NULL);
    g_autofree char *fd_dir = g_build_filename(proc, pid, "fd", NULL);
    g_autofree char *fd = g_build_filename(fd_dir, "7", NULL);
    g_autofree char *comm_path = g_build_filename(proc, pid, "comm", NULL);
    g_autofree char *target = g_strdup_printf("/dev/vfio/%d", gp_sim_iommu_group(sim, addr));
    g_autofree char *comm_line = g_strconcat(comm, "\n", NULL);

    cr_assert_eq(g_mkdir_with_parents(fd_dir, 0755), 0);
    cr_assert_eq(symlink(target, fd), 0);
    cr_assert(g_file_set_contents(comm_path, comm_line, -1, NULL));
    g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);
}

Test(cmd_pool, a_device_a_vm_holds_open_outside_gpupool_is_refused)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0, NULL);
    g_autoptr(Run) c2 = must(sim, "pool-create", "more", "--type", "pci", NULL);

    fake_vfio_user(sim, GP_SIM_DC_GPU0, "4242", "qemu-system-x86");
    refused(sim, "0000:41:00.0 is open through /dev/vfio/1 by process 4242 (qemu-system-x86)",
            "pool-remove", "gpus", GP_SIM_DC_GPU0, NULL);
    /* A device an admin bound to vfio-pci by hand and gave to a VM. */
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GP_SIM_DC_GPU1));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/new_id", "10de 20b5"));
    assert_driver(sim, GP_SIM_DC_GPU1, "vfio-pci");
    fake_vfio_user(sim, GP_SIM_DC_GPU1, "4343", "qemu-system-x86");
    refused(sim, "0000:81:00.0 is open through /dev/vfio/3 by process 4343",
            "pool-add", "more", GP_SIM_DC_GPU1, NULL);
}

Test(cmd_pool, a_vf_is_never_in_two_pools_through_its_pf)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) c1 = must(sim, "pool-create", "flex", "--type", "vf", NULL);
    g_autoptr(Run) c2 = must(sim, "pool-create", "whole", "--type", "pci", NULL);
    g_autoptr(Run) add = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "2"));
    add = must(sim, "pool-add", "whole", "0000:4d:00.1", NULL);
    refused(sim, "its virtual function 0000:4d:00.1 is in pool 'whole' on its own",
            "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    g_clear_pointer(&add, run_free);
    add = must(sim, "pool-remove", "whole", "0000:4d:00.1", NULL);
    g_clear_pointer(&add, run_free);
    add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    refused(sim, "which is in pool 'flex' and hands its VFs out from there", "pool-add",
            "whole", "0000:4d:00.2", NULL);
}

Test(cmd_pool, schema_errors_name_the_element_and_line)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *bad = g_build_filename(gp_sim_base(sim), "bad.xml", NULL);

    cr_assert(g_file_set_contents(bad, "<pool type='pci'>\n  <name>a b</name>\n</pool>\n",
                                  -1, NULL));
    refused(sim, "line 2: <name>", "pool-define", bad, NULL);
}

Test(cmd_pool, setup_leaves_a_pf_whose_vfs_were_changed_by_hand_alone)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "2", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    g_autoptr(Run) setup = NULL;
    g_autofree char *numvfs = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "0"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "5"));
    setup = run(sim, "setup", NULL);
    cr_assert_eq(setup->status, 1);
    cr_assert(strstr(setup->err, "has 5 VFs enabled but pool 'flex' wants 2"), "%s", setup->err);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "5");
}

Test(cmd_pool, setup_checks_mdev_parents)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autoptr(Run) create = must(sim, "pool-create", "vgpu", "--type", "mdev", "--mdev-type",
                                 "nvidia-222", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "vgpu", GP_SIM_MDEV_GPU, NULL);
    g_autoptr(Run) setup = must(sim, "setup", NULL);
    g_autoptr(Run) after = NULL;

    cr_assert(strstr(setup->out, GP_SIM_MDEV_GPU " offers nvidia-222"), "%s", setup->out);
    /* The vGPU manager did not load at boot. */
    gp_sim_remove_driver(sim, "nvidia");
    after = run(sim, "setup", NULL);
    cr_assert_eq(after->status, 1);
    cr_assert(strstr(after->err, GP_SIM_MDEV_GPU), "%s", after->err);
}

/* ---- A failure after the host was changed ------------------------------------ */

Test(cmd_pool, when_the_pool_cannot_be_saved_the_devices_are_given_back)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *desc = g_strnfill(1000, 'd');
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci",
                                 "--description", desc, NULL);
    g_autofree char *file = pool_file(sim, "gpus");
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *file_after = NULL;
    g_autoptr(Run) add = NULL;
    struct rlimit old, small;

    /* A full file system, as far as the new pool file is concerned: gpupool
     * inherits a file size limit just above the pool file it has, so the
     * sysfs writes go through and writing the pool file with one more
     * device fails. */
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = strlen(file) + 16;
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    add = run(sim, "pool-add", "gpus", GP_SIM_DC_GPU0, NULL);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);

    cr_assert_eq(add->status, 1, "%s", add->err);
    cr_assert(strstr(add->err, "cannot save pool 'gpus'"), "%s", add->err);
    assert_driver(sim, GP_SIM_DC_GPU0, "nvidia");
    after = gp_sim_snapshot(sim);
    assert_same_host(after, before, "a pool-add whose save failed");
    file_after = pool_file(sim, "gpus");
    cr_assert_str_eq(file_after, file);
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

    assert_driver(sim, GP_SIM_SW_GPU0, "vfio-pci");
    assert_driver(sim, GP_SIM_SW_GPU0_AUDIO, "vfio-pci");
    assert_driver(sim, GP_SIM_SW_GPU1, "vfio-pci");
    assert_driver(sim, GP_SIM_SW_GPU1_AUDIO, "vfio-pci");
    /* Bridges of the group stay with the host. */
    assert_driver(sim, GP_SIM_SW_PORT0, "pcieport");
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

Test(cmd_pool, naming_two_cards_of_one_group_makes_the_first_named_the_member)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_SW_GPU1_AUDIO, GP_SIM_SW_GPU0,
                              GP_SIM_SW_GPU1, NULL);
    g_autofree char *file = pool_file(sim, "gpus");

    /* Of the card named first, its GPU function carries the group. */
    cr_assert(strstr(file, "<device address='0000:04:00.0' host-driver='nvidia'/>"), "%s", file);
    cr_assert(strstr(file, "<device address='0000:03:00.0' host-driver='nvidia' "
                           "companion-of='0000:04:00.0'/>"), "%s", file);
}

Test(cmd_pool, adding_a_second_device_of_a_group_in_a_pool_is_refused_naming_its_member)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) other = must(sim, "pool-create", "other", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_SW_GPU0, NULL);

    refused(sim, GP_SIM_SW_GPU1 " is already in pool 'gpus' as a companion of "
            GP_SIM_SW_GPU0 " (same IOMMU group)", "pool-add", "gpus", GP_SIM_SW_GPU1, NULL);
    refused(sim, GP_SIM_SW_GPU1 " is already in pool 'gpus' as a companion of "
            GP_SIM_SW_GPU0 " (same IOMMU group): run 'gpupool pool-remove gpus "
            GP_SIM_SW_GPU0 "' first", "pool-add", "other", GP_SIM_SW_GPU1, NULL);
}

Test(cmd_pool, pool_remove_of_the_member_gives_back_the_whole_group)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *file = NULL;
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "gpus", GP_SIM_SW_GPU0, NULL);
    g_autoptr(Run) remove = NULL;

    refused(sim, GP_SIM_SW_GPU1 " joined pool 'gpus' with " GP_SIM_SW_GPU0 " and leaves with "
            "it: run 'gpupool pool-remove gpus " GP_SIM_SW_GPU0 "'",
            "pool-remove", "gpus", GP_SIM_SW_GPU1, NULL);
    refused(sim, "run 'gpupool pool-remove gpus " GP_SIM_SW_GPU0 "'",
            "pool-remove", "gpus", GP_SIM_SW_GPU1_AUDIO, NULL);
    remove = must(sim, "pool-remove", "gpus", GP_SIM_SW_GPU0, NULL);
    cr_assert(strstr(remove->out, GP_SIM_SW_GPU1 ": removed from pool 'gpus', back on nvidia"),
              "%s", remove->out);
    assert_driver(sim, GP_SIM_SW_GPU1_AUDIO, "snd_hda_intel");
    after = gp_sim_snapshot(sim);
    assert_same_host(after, before, "pool-add and pool-remove of a group");
    file = pool_file(sim, "gpus");
    cr_assert_null(strstr(file, "<device"), "%s", file);
}

Test(cmd_pool, a_group_whose_other_card_a_domain_holds_is_refused_and_nothing_is_bound)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();
    g_autoptr(Run) create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);

    /* A claim left by a domain on the other card (bound by hand). */
    write_claim(sim, GP_SIM_SW_GPU1, "old", "render-1");
    refused(sim, GP_SIM_SW_GPU1 " is held by domain 'render-1'", "pool-add", "gpus",
            GP_SIM_SW_GPU0, NULL);
    assert_driver(sim, GP_SIM_SW_GPU0, "nvidia");
}

/* A device the host uses (a NIC) is never taken along silently: naming it
 * asks for it. */
Test(cmd_pool, a_host_nic_in_the_group_joins_only_when_named_too)
{
    g_autoptr(GpSim) sim = gp_sim_new();
    GpSimPciSpec gpu = {
        .addr = "0000:05:00.0", .parent = "0000:00:01.0", .vendor = 0x10de,
        .device = 0x20b5, .class_code = 0x030200, .driver = "nvidia",
    };
    GpSimPciSpec nic = {
        .addr = "0000:05:01.0", .parent = "0000:00:01.0", .vendor = 0x8086,
        .device = 0x1533, .class_code = 0x020000, .driver = "igb", .group_with = "0000:05:00.0",
    };
    g_autoptr(Run) create = NULL;
    g_autoptr(Run) add = NULL;
    g_autofree char *file = NULL;

    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "nvidia");
    gp_sim_add_driver(sim, "igb");
    gp_sim_add_driver(sim, "pcieport");
    gp_sim_add_driver(sim, "vfio-pci");
    gp_sim_add_root_port(sim, "0000:00:01.0", 5);
    gp_sim_add_pci(sim, &gpu);
    gp_sim_add_pci(sim, &nic);
    create = must(sim, "pool-create", "gpus", "--type", "pci", NULL);
    refused(sim, "0000:05:01.0 (Ethernet controller, driver igb), which is not in pool gpus",
            "pool-add", "gpus", "0000:05:00.0", NULL);
    add = must(sim, "pool-add", "gpus", "0000:05:00.0", "0000:05:01.0", NULL);
    assert_driver(sim, "0000:05:01.0", "vfio-pci");
    file = pool_file(sim, "gpus");
    cr_assert(strstr(file, "<device address='0000:05:01.0' host-driver='igb' "
                           "companion-of='0000:05:00.0'/>"), "%s", file);
}

/* ---- A PF leaving a vf pool ---------------------------------------------------- */

/* SNAPSHOT without the PF's sriov_drivers_autoprobe line: the VF back end
 * turns autoprobe off and on again while it enables VFs, and the
 * simulator stores the "1" it writes where the fixture had "1\n" (the
 * kernel shows "1\n" either way).  Takes SNAPSHOT. */
static char *
without_autoprobe(char *snapshot)
{
    g_auto(GStrv) lines = g_strsplit(snapshot, "\n", -1);
    GString *out = g_string_new(NULL);

    for (guint i = 0; lines[i]; i++)
        if (!strstr(lines[i], "/sriov_drivers_autoprobe "))
            g_string_append_printf(out, "%s\n", lines[i]);
    g_free(snapshot);
    return g_string_free(out, FALSE);
}

Test(cmd_pool, removing_a_pf_disables_the_vfs_gpupool_enabled)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "4", NULL);
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *before_vfs = NULL;
    g_autoptr(Run) add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    g_autofree char *file = pool_file(sim, "flex");
    g_autoptr(Run) remove = NULL;
    g_autofree char *numvfs = NULL;

    cr_assert(strstr(file, "<device address='0000:4d:00.0' host-driver='i915' "
                           "vfs-enabled-by='gpupool'/>"), "%s", file);
    remove = must(sim, "pool-remove", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(strstr(remove->out, GP_SIM_INTEL_SRIOV_GPU ": its 4 VFs, enabled by gpupool, "
                                  "were taken off vfio-pci and disabled (sriov_numvfs 0)"),
              "%s", remove->out);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "0");
    after = without_autoprobe(gp_sim_snapshot(sim));
    before_vfs = without_autoprobe(g_steal_pointer(&before));
    assert_same_host(after, before_vfs, "pool-add and pool-remove of a PF");
}

Test(cmd_pool, removing_a_pf_leaves_vfs_that_were_there_before_it_joined)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "3", NULL);
    g_autoptr(Run) add = NULL;
    g_autoptr(Run) remove = NULL;
    g_autofree char *file = NULL;
    g_autofree char *numvfs = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "3"));
    assert_driver(sim, "0000:4d:00.2", "i915");
    add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    assert_driver(sim, "0000:4d:00.2", "vfio-pci");
    file = pool_file(sim, "flex");
    cr_assert(strstr(file, "vfs-enabled-by='host'"), "%s", file);
    remove = must(sim, "pool-remove", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(strstr(remove->out, "its 3 VFs were there before it joined and stay enabled, "
                                  "taken off vfio-pci"), "%s", remove->out);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "3");
    /* Back on the driver the kernel picks for them. */
    assert_driver(sim, "0000:4d:00.1", "i915");
    assert_driver(sim, "0000:4d:00.3", "i915");
}

/* Definitions written before gpupool recorded who enabled the VFs. */
Test(cmd_pool, removing_a_pf_of_an_old_definition_leaves_its_vfs_enabled_and_says_how)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "2", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    g_autofree char *file = pool_file(sim, "flex");
    g_autofree char *path = g_build_filename(gp_sim_confdir(sim), "pools", "flex.xml", NULL);
    g_auto(GStrv) parts = g_strsplit(file, " vfs-enabled-by='gpupool'", 2);
    g_autofree char *old = g_strjoinv("", parts);
    g_autoptr(Run) remove = NULL;
    g_autofree char *numvfs = NULL;

    cr_assert(g_file_set_contents(path, old, -1, NULL));
    remove = must(sim, "pool-remove", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(strstr(remove->out, "its 2 VFs stay enabled, taken off vfio-pci (the pool does "
                                  "not record that gpupool enabled them): disable them with "
                                  "'echo 0 > /sys/bus/pci/devices/0000:4d:00.0/sriov_numvfs'"),
              "%s", remove->out);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "2");
}

Test(cmd_pool, removing_a_pf_whose_vf_a_domain_holds_is_refused_naming_the_domain)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "4", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);

    write_claim(sim, "0000:4d:00.3", "flex", "render-2");
    refused(sim, "its partition 0000:4d:00.3 is held by domain 'render-2' (6f1c4a52-2d7e-4b8a-"
            "9c1e-3a5b7d9e0f12): stop it first ('virsh shutdown render-2')",
            "pool-remove", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
}

/* All or nothing: one VF open by a VM gpupool does not know of stops the
 * PF from leaving, and no VF is touched. */
Test(cmd_pool, removing_a_pf_with_a_vf_open_outside_gpupool_changes_nothing)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(Run) create = must(sim, "pool-create", "flex", "--type", "vf", "--vf-count",
                                 "4", NULL);
    g_autoptr(Run) add = must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);

    fake_vfio_user(sim, "0000:4d:00.4", "4545", "qemu-system-x86");
    refused(sim, "0000:4d:00.4 is open through /dev/vfio/", "pool-remove", "flex",
            GP_SIM_INTEL_SRIOV_GPU, NULL);
    assert_driver(sim, "0000:4d:00.1", "vfio-pci");
}
