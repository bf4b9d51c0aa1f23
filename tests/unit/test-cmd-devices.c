/* `gpupool devices` as an admin runs it: the real binary against
 * simulated hosts, checking the lines a person reads, the XML a program
 * reads, and the errors and exit codes for bad input. */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "state/pool.h"
#include "state/poolstore.h"
#include "sim.h"

static GpSim *sim;

/* Names from the test pci.ids and schemas from the source tree, whether
 * the suite runs under make check or by hand. */
static void
use_test_pci_ids(void)
{
    g_setenv("GPUPOOL_PCI_IDS", GP_TOP_SRCDIR "/tests/data/pci.ids", TRUE);
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
}

static void datacenter(void) { use_test_pci_ids(); sim = gp_sim_fixture_datacenter(); }
static void workstation(void) { use_test_pci_ids(); sim = gp_sim_fixture_workstation(); }
static void no_iommu(void) { use_test_pci_ids(); sim = gp_sim_fixture_no_iommu(); }

static void
teardown(void)
{
    g_clear_pointer(&sim, gp_sim_free);
}

typedef struct {
    char *out;
    char *err;
    int status;
} Run;

static void
run_clear(Run *run)
{
    g_free(run->out);
    g_free(run->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Run, run_clear)

static void
run_gpupool(Run *run, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    va_list ap;

    g_ptr_array_add(argv, (char *)"gpupool");
    g_ptr_array_add(argv, (char *)"devices");
    va_start(ap, run);
    for (const char *arg = va_arg(ap, const char *); arg; arg = va_arg(ap, const char *))
        g_ptr_array_add(argv, (char *)arg);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    cr_assert(gp_sim_run(sim, (const char *const *)argv->pdata, &run->out, &run->err,
                         &run->status), "could not start gpupool");
}

/* The block of lines that starts with ADDRESS, up to the next blank line. */
static char *
block_of(const char *out, const char *address)
{
    g_autofree char *head = g_strdup_printf("\n%s  ", address);
    const char *start = strstr(out, head);
    const char *end;

    cr_assert_not_null(start, "no block for %s in:\n%s", address, out);
    start++;
    end = strstr(start, "\n\n");
    return end ? g_strndup(start, end - start + 1) : g_strdup(start);
}

static void
assert_contains(const char *haystack, const char *needle)
{
    cr_assert(strstr(haystack, needle), "expected \"%s\" in:\n%s", needle, haystack);
}

static void
assert_lacks(const char *haystack, const char *needle)
{
    cr_assert(!strstr(haystack, needle), "did not expect \"%s\" in:\n%s", needle, haystack);
}

/* xmllint --relaxng SCHEMA FILE; returns its exit status, stderr in *ERR. */
static int
relaxng_check(const char *file, char **err)
{
    g_autofree char *schema = g_build_filename(GP_TOP_SRCDIR, "xml", "devices.rng", NULL);
    const char *argv[] = { "xmllint", "--noout", "--relaxng", schema, file, NULL };
    g_autofree char *xmllint = g_find_program_in_path("xmllint");
    int status = -1;

    if (!xmllint)
        cr_skip_test("xmllint not installed (Debian package libxml2-utils)");
    cr_assert(gp_sim_run(sim, argv, NULL, err, &status));
    return status;
}

Test(cmd_devices, lists_datacenter_gpus_with_status_and_memory_needs,
     .init = datacenter, .fini = teardown)
{
    g_auto(Run) run = { 0 };
    g_autofree char *gpu = NULL;

    run_gpupool(&run, NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    cr_assert(g_str_has_prefix(run.out, "IOMMU: on ("), "%s", run.out);
    gpu = block_of(run.out, GP_SIM_DC_GPU0);
    assert_contains(gpu, "0000:41:00.0  NVIDIA Corporation GA100 [A100 PCIe 80GB]  [10de:20b5]\n");
    assert_contains(gpu, "\n  status:      ready for passthrough\n");
    assert_contains(gpu, "\n  driver:      nvidia\n");
    assert_contains(gpu, "\n  iommu group: 1 (alone)\n");
    assert_contains(gpu, "\n  numa node:   0\n");
    assert_contains(gpu, "\n  memory:      BAR0 16 MiB, BAR1 128 GiB 64-bit prefetchable, "
                         "BAR3 32 MiB 64-bit prefetchable; needs 128.05 GiB MMIO "
                         "(64-bit: 128.03 GiB)\n");
    assert_contains(run.out, "\n0000:81:00.0  ");
    /* GPUs only by default: the NIC and the bridges stay out. */
    assert_lacks(run.out, GP_SIM_DC_NIC);
    assert_lacks(run.out, "0000:00:01.0  ");
}

Test(cmd_devices, bmc_vga_behind_bridge_shows_why_it_is_not_assignable,
     .init = datacenter, .fini = teardown)
{
    g_auto(Run) run = { 0 };
    g_autofree char *vga = NULL;

    run_gpupool(&run, NULL);
    vga = block_of(run.out, GP_SIM_DC_BMC_VGA);
    assert_contains(vga, "\n  status:      not assignable\n");
    assert_contains(vga, "\n  reason:      conventional PCI device behind bridge 0000:02:00.0");
    assert_contains(vga, "\n  boot vga:    yes");
}

Test(cmd_devices, workstation_shows_companion_and_boot_vga, .init = workstation, .fini = teardown)
{
    g_auto(Run) run = { 0 };
    g_autofree char *gpu = NULL;
    g_autofree char *igpu = NULL;

    run_gpupool(&run, NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    gpu = block_of(run.out, GP_SIM_WS_GPU);
    assert_contains(gpu, "\n  status:      ready for passthrough\n");
    assert_contains(gpu, "\n  note:        joins with 0000:01:00.1 (audio)\n");
    assert_contains(gpu, "\n  iommu group: 2, shared with 0000:01:00.1 (Audio device)\n");
    igpu = block_of(run.out, GP_SIM_WS_IGPU);
    assert_contains(igpu, "\n  reason:      boot VGA in use by the host console (driver i915)");
    /* The audio function is not a GPU: only shown as the GPU's companion. */
    assert_lacks(run.out, "\n0000:01:00.1  ");
    /* An accelerator whose vendor pci.ids does not know is still shown. */
    assert_contains(run.out, "\n0000:05:00.0  Vendor 1e52 Device 0100  [1e52:0100]\n");
}

Test(cmd_devices, all_shows_every_pci_device, .init = workstation, .fini = teardown)
{
    g_auto(Run) run = { 0 };

    run_gpupool(&run, "--all", NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    assert_contains(run.out, "\n0000:01:00.1  NVIDIA Corporation AD102 High Definition Audio Controller");
    assert_contains(run.out, "\n0000:03:01.0  Intel Corporation 82541PI Gigabit Ethernet Controller");
    assert_contains(run.out, "\n0000:00:01.0  ");
}

Test(cmd_devices, without_iommu_says_so_and_how_to_turn_it_on, .init = no_iommu, .fini = teardown)
{
    g_auto(Run) run = { 0 };
    g_autofree char *gpu = NULL;

    run_gpupool(&run, NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    cr_assert(g_str_has_prefix(run.out, "IOMMU: off; "), "%s", run.out);
    assert_contains(run.out, "intel_iommu=on or amd_iommu=on\n");
    gpu = block_of(run.out, GP_SIM_DC_GPU0);
    assert_contains(gpu, "\n  status:      not assignable\n");
    assert_contains(gpu, "\n  reason:      no IOMMU: enable VT-d/AMD-Vi in firmware");
}

Test(cmd_devices, host_without_gpus_explains_what_it_sees, .fini = teardown)
{
    GpSimPciSpec nic = {
        .addr = "0000:04:00.0", .vendor = 0x8086, .device = 0x1533,
        .class_code = 0x020000, .bars = { { 128 << 10 } },
    };
    g_auto(Run) run = { 0 };

    use_test_pci_ids();
    sim = gp_sim_new();
    gp_sim_add_pci(sim, &nic);
    run_gpupool(&run, NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    cr_assert_str_eq(run.out,
                     "IOMMU: off; no device can be passed through until it is on: enable "
                     "VT-d/AMD-Vi in firmware and boot with intel_iommu=on or amd_iommu=on\n"
                     "No GPUs found among 1 PCI device (display, 3D or processing-accelerator "
                     "class); run 'gpupool devices --all' to see it.\n");
}

Test(cmd_devices, named_device_is_shown_whatever_its_class, .init = datacenter, .fini = teardown)
{
    g_auto(Run) run = { 0 };

    run_gpupool(&run, "04:00.0", NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    assert_contains(run.out, "\n0000:04:00.0  Intel Corporation I210 Gigabit Network Connection");
    assert_lacks(run.out, GP_SIM_DC_GPU0);
}

Test(cmd_devices, malformed_address_is_one_line_error_and_exit_1,
     .init = datacenter, .fini = teardown)
{
    g_auto(Run) run = { 0 };

    run_gpupool(&run, "41:00", NULL);
    cr_assert_eq(run.status, 1);
    cr_assert_str_eq(run.out, "");
    cr_assert_str_eq(run.err, "gpupool: error: '41:00' is not a PCI address: write it as "
                              "DOMAIN:BUS:SLOT.FUNCTION, for example 0000:01:00.0 "
                              "(see 'gpupool devices')\n");
}

Test(cmd_devices, absent_device_is_one_line_error_and_exit_1, .init = datacenter, .fini = teardown)
{
    g_auto(Run) run = { 0 };

    run_gpupool(&run, GP_SIM_DC_GPU0, "0000:99:00.0", NULL);
    cr_assert_eq(run.status, 1);
    cr_assert_str_eq(run.out, "", "nothing is printed when one address is wrong");
    cr_assert_str_eq(run.err, "gpupool: error: no PCI device 0000:99:00.0 on this host: check "
                              "the address with 'gpupool devices --all' (or lspci -D)\n");
}

Test(cmd_devices, unknown_option_is_a_usage_error, .init = datacenter, .fini = teardown)
{
    g_auto(Run) run = { 0 };

    run_gpupool(&run, "--bogus", NULL);
    cr_assert_eq(run.status, 2);
    cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "one line: %s", run.err);
}

Test(cmd_devices, pool_members_are_shown_with_their_pool, .init = workstation, .fini = teardown)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new("nics", GP_POOL_TYPE_PCI, &error);
    g_auto(Run) run = { 0 };
    g_autofree char *nic = NULL;

    cr_assert_not_null(pool, "%s", error ? error->message : "?");
    cr_assert(gp_pool_add_device(pool, GP_SIM_WS_LEGACY_NIC, "e1000e", NULL, &error));
    cr_assert(gp_poolstore_save(pool, &error), "%s", error ? error->message : "?");
    run_gpupool(&run, NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    nic = block_of(run.out, GP_SIM_WS_LEGACY_NIC);
    assert_contains(nic, "\n  pool:        nics\n");
}

Test(cmd_devices, xml_output_validates_against_the_schema, .init = workstation, .fini = teardown)
{
    g_auto(Run) run = { 0 };
    g_autofree char *file = g_build_filename(gp_sim_base(sim), "devices.xml", NULL);
    g_autofree char *err = NULL;

    run_gpupool(&run, "--all", "--xml", NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    assert_contains(run.out, "<device address=\"0000:01:00.0\" status=\"ready\"");
    assert_contains(run.out, "<note>joins with 0000:01:00.1 (audio)</note>");
    assert_contains(run.out, "<peer address=\"0000:01:00.1\" relation=\"companion\"/>");
    cr_assert(g_file_set_contents(file, run.out, -1, NULL));
    cr_assert_eq(relaxng_check(file, &err), 0, "%s\n%s", err, run.out);
}

Test(cmd_devices, xml_of_partitionable_gpus_validates, .fini = teardown)
{
    g_auto(Run) run = { 0 };
    g_autofree char *file = NULL;
    g_autofree char *err = NULL;

    use_test_pci_ids();
    sim = gp_sim_fixture_nvidia_mdev();
    file = g_build_filename(gp_sim_base(sim), "devices.xml", NULL);
    run_gpupool(&run, "--xml", NULL);
    cr_assert_eq(run.status, 0, "stderr: %s", run.err);
    assert_contains(run.out, "status=\"partitionable\"");
    assert_contains(run.out, "<mdev-type id=\"nvidia-222\" available=\"16\" device-api=\"vfio-pci\">");
    cr_assert(g_file_set_contents(file, run.out, -1, NULL));
    cr_assert_eq(relaxng_check(file, &err), 0, "%s\n%s", err, run.out);
}

Test(cmd_devices, schema_example_validates, .init = datacenter, .fini = teardown)
{
    g_autofree char *example = g_build_filename(GP_TOP_SRCDIR, "xml", "devices-example.xml", NULL);
    g_autofree char *err = NULL;

    cr_assert_eq(relaxng_check(example, &err), 0, "%s", err);
}
