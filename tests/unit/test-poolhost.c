/* Pools applied to the host (src/ops/poolhost.c): the transactions behind
 * pool-create, pool-add, pool-remove, pool-undefine and setup, called
 * directly on simulated hosts with their simulated kernel.  Every refusal
 * must be one line saying what is wrong and how to fix it, and change
 * nothing: neither the host nor the pool files nor the claims.  The
 * commands around them are test-cmd-pool.c's. */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "state/pool.h"
#include "ops/poolhost.h"
#include "cli-runner.h"
#include "pool-fixtures.h"

/* The domain of every claim these tests put on a device. */
#define DOM_UUID "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12"

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

TestSuite(poolhost, .init = suite_init, .fini = suite_fini);

/* ---- The transactions --------------------------------------------------- */

/* An empty pool NAME of TYPE (pool-create). */
static void
create(const char *name, GpPoolType type)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new(name, type, &error);

    cr_assert_not_null(pool, "%s", error ? error->message : "");
    cr_assert(gp_poolhost_create(pool, &error), "%s", error ? error->message : "");
}

/* An empty vf pool NAME enabling VF_COUNT VFs (0: leaving them as they
 * are) on each PF. */
static void
create_vf(const char *name, guint vf_count)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new(name, GP_POOL_TYPE_VF, &error);

    cr_assert_not_null(pool, "%s", error ? error->message : "");
    pool->vf_count = vf_count;
    cr_assert(gp_poolhost_create(pool, &error), "%s", error ? error->message : "");
}

/* An empty mdev pool NAME handing out MDEV_TYPE. */
static void
create_mdev(const char *name, const char *mdev_type)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new(name, GP_POOL_TYPE_MDEV, &error);

    cr_assert_not_null(pool, "%s", error ? error->message : "");
    pool->mdev_type = g_strdup(mdev_type);
    cr_assert(gp_poolhost_create(pool, &error), "%s", error ? error->message : "");
}

typedef gboolean (*PoolChange)(const char *name, const char *const *devices, guint n,
                               GPtrArray *done, GError **error);

/* DEVICES... (NULL-terminated) as an array. */
static GPtrArray *
devices_of(va_list ap)
{
    GPtrArray *devices = g_ptr_array_new();
    const char *d;

    while ((d = va_arg(ap, const char *)))
        g_ptr_array_add(devices, (gpointer)d);
    return devices;
}

/* Lines as the command prints them: each ends with a newline. */
static char *
text_of(GPtrArray *lines)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(s, "%s\n", (const char *)lines->pdata[i]);
    return g_string_free(s, FALSE);
}

static char *
changed(PoolChange change, const char *what, const char *name, va_list ap)
{
    g_autoptr(GPtrArray) devices = devices_of(ap);
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;

    cr_assert(change(name, (const char *const *)devices->pdata, devices->len, done, &error),
              "%s %s failed: %s", what, name, error ? error->message : "");
    return text_of(done);
}

/* gp_poolhost_add(NAME, DEVICES...) must succeed; what it did, as
 * pool-add prints it. */
static char *
added(const char *name, ...) G_GNUC_NULL_TERMINATED;

static char *
added(const char *name, ...)
{
    va_list ap;
    char *out;

    va_start(ap, name);
    out = changed(gp_poolhost_add, "pool-add", name, ap);
    va_end(ap);
    return out;
}

/* gp_poolhost_remove(NAME, DEVICES...) must succeed; what it did. */
static char *
removed(const char *name, ...) G_GNUC_NULL_TERMINATED;

static char *
removed(const char *name, ...)
{
    va_list ap;
    char *out;

    va_start(ap, name);
    out = changed(gp_poolhost_remove, "pool-remove", name, ap);
    va_end(ap);
    return out;
}

/* What the host and gpupool's files were before a refused change. */
typedef struct {
    char *host;
    char *state;
} Before;

static void
before_clear(Before *b)
{
    g_free(b->host);
    g_free(b->state);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Before, before_clear)

static void
take_before(GpSim *sim, Before *b)
{
    b->host = gp_sim_snapshot(sim);
    b->state = gp_test_state_dump(sim);
}

/* The change WHAT was refused (OK false) with one line naming NEEDLE,
 * and neither the host nor gpupool's files changed since B. */
static void
expect_refusal(GpSim *sim, const Before *b, gboolean ok, const GError *error,
               const char *needle, const char *what)
{
    g_autofree char *host_after = NULL;
    g_autofree char *state_after = NULL;

    cr_assert_not(ok, "%s was not refused", what);
    cr_assert_not_null(error, "%s failed without saying why", what);
    cr_assert_null(strchr(error->message, '\n'), "not one line: %s", error->message);
    cr_assert(strstr(error->message, needle), "'%s' not in: %s", needle, error->message);
    host_after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(host_after, b->host, what);
    state_after = gp_test_state_dump(sim);
    cr_assert_str_eq(state_after, b->state, "%s changed gpupool's files:\n%s\n---\n%s", what,
                     b->state, state_after);
}

static void
refused_change(GpSim *sim, const char *needle, PoolChange change, const char *what,
               const char *name, va_list ap)
{
    g_autoptr(GPtrArray) devices = devices_of(ap);
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_auto(Before) b = { 0 };
    gboolean ok;

    take_before(sim, &b);
    ok = change(name, (const char *const *)devices->pdata, devices->len, done, &error);
    expect_refusal(sim, &b, ok, error, needle, what);
}

/* gp_poolhost_add(NAME, DEVICES...) must be refused naming NEEDLE,
 * changing nothing. */
static void
refused_add(GpSim *sim, const char *needle, const char *name, ...) G_GNUC_NULL_TERMINATED;

static void
refused_add(GpSim *sim, const char *needle, const char *name, ...)
{
    va_list ap;

    va_start(ap, name);
    refused_change(sim, needle, gp_poolhost_add, "pool-add", name, ap);
    va_end(ap);
}

/* The same for gp_poolhost_remove(). */
static void
refused_remove(GpSim *sim, const char *needle, const char *name, ...) G_GNUC_NULL_TERMINATED;

static void
refused_remove(GpSim *sim, const char *needle, const char *name, ...)
{
    va_list ap;

    va_start(ap, name);
    refused_change(sim, needle, gp_poolhost_remove, "pool-remove", name, ap);
    va_end(ap);
}

/* The same for gp_poolhost_undefine(). */
static void
refused_undefine(GpSim *sim, const char *needle, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_auto(Before) b = { 0 };
    gboolean ok;

    take_before(sim, &b);
    ok = gp_poolhost_undefine(name, &error);
    expect_refusal(sim, &b, ok, error, needle, "pool-undefine");
}

/* The same for gp_poolhost_create() of an empty pool NAME of TYPE. */
static void
refused_create(GpSim *sim, const char *needle, const char *name, GpPoolType type)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new(name, type, NULL);
    g_auto(Before) b = { 0 };
    gboolean ok;

    cr_assert_not_null(pool);
    take_before(sim, &b);
    ok = gp_poolhost_create(pool, &error);
    expect_refusal(sim, &b, ok, error, needle, "pool-create");
}

/* What gp_poolhost_setup() did: whether it succeeded, and its report
 * lines as `gpupool setup` prints them. */
typedef struct {
    gboolean ok;
    char *done;
    char *failed;
} Setup;

static void
setup_clear(Setup *s)
{
    g_free(s->done);
    g_free(s->failed);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Setup, setup_clear)

static void
setup(Setup *s)
{
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;

    s->ok = gp_poolhost_setup(done, failed, &error);
    cr_assert_null(error, "setup could not read the pools: %s", error ? error->message : "");
    s->done = text_of(done);
    s->failed = text_of(failed);
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
    gp_test_hold(device, pool, DOM_UUID, name, NULL);
}

/* ---- A card's functions ----------------------------------------------------- */

Test(poolhost, naming_both_functions_of_a_card_adds_the_second_as_companion)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autofree char *add = NULL;
    g_autofree char *file = NULL;

    create("ws", GP_POOL_TYPE_PCI);
    add = added("ws", GP_SIM_WS_GPU_AUDIO, GP_SIM_WS_GPU, NULL);
    file = pool_file(sim, "ws");
    cr_assert(strstr(file, "companion-of='0000:01:00.0'"), "%s", file);
}

/* ---- Refusals: addresses and devices ------------------------------------- */

Test(poolhost, malformed_and_unknown_addresses_are_refused)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();

    create("gpus", GP_POOL_TYPE_PCI);
    refused_add(sim, "'0000:41:00' is not a PCI address", "gpus", "0000:41:00", NULL);
    refused_add(sim, "is not a PCI address", "gpus", "../../etc", NULL);
    /* All or nothing: the good address before the bad one is not bound. */
    refused_add(sim, "no PCI device 0000:99:00.0", "gpus", GP_SIM_DC_GPU0, "0000:99:00.0",
                NULL);
    refused_add(sim, "there is no pool 'nope'", "nope", GP_SIM_DC_GPU0, NULL);
    refused_remove(sim, "is not in pool 'gpus'", "gpus", GP_SIM_DC_GPU0, NULL);
}

Test(poolhost, devices_that_cannot_be_assigned_are_refused_with_the_reason)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();

    create("gpus", GP_POOL_TYPE_PCI);
    refused_add(sim, "0000:00:01.0 cannot be added to pool 'gpus': ", "gpus", "0000:00:01.0",
                NULL);
    refused_add(sim, "bridge", "gpus", "0000:00:01.0", NULL);
    refused_add(sim, GP_SIM_DC_BMC_VGA " cannot be added to pool 'gpus'", "gpus",
                GP_SIM_DC_BMC_VGA, NULL);
    /* All or nothing across the request. */
    refused_add(sim, "0000:00:01.0 cannot be added", "gpus", GP_SIM_DC_GPU0, "0000:00:01.0",
                NULL);
}

Test(poolhost, the_boot_vga_in_use_is_refused)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();

    create("ws", GP_POOL_TYPE_PCI);
    refused_add(sim, "boot VGA", "ws", GP_SIM_WS_IGPU, NULL);
}

Test(poolhost, a_group_shared_with_devices_the_host_uses_is_refused)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();

    create("ws", GP_POOL_TYPE_PCI);
    refused_add(sim, GP_SIM_WS_LEGACY_GPU " cannot be added to pool 'ws'", "ws",
                GP_SIM_WS_LEGACY_GPU, NULL);
}

Test(poolhost, a_pcie_gpu_sharing_its_group_with_a_host_nic_is_refused)
{
    g_autoptr(GpSim) sim = gp_test_nic_group_host();

    create("gpus", GP_POOL_TYPE_PCI);
    refused_add(sim, "IOMMU group", "gpus", "0000:05:00.0", NULL);
    refused_add(sim, "0000:05:01.0", "gpus", "0000:05:00.0", NULL);
}

Test(poolhost, a_host_without_iommu_is_refused_with_the_fix)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_no_iommu();

    create("gpus", GP_POOL_TYPE_PCI);
    refused_add(sim, "intel_iommu=on", "gpus", GP_SIM_DC_GPU0, NULL);
}

Test(poolhost, without_vfio_pci_the_fix_is_modprobe)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();

    create("gpus", GP_POOL_TYPE_PCI);
    gp_sim_remove_driver(sim, "vfio-pci");
    refused_add(sim, "vfio-pci is not loaded: run 'modprobe vfio-pci'", "gpus", GP_SIM_DC_GPU0,
                NULL);
}

/* ---- Refusals: pools and domains ------------------------------------------ */

Test(poolhost, a_device_in_another_pool_is_refused_naming_that_pool)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *add = NULL;

    create("other", GP_POOL_TYPE_PCI);
    create("gpus", GP_POOL_TYPE_PCI);
    add = added("other", GP_SIM_DC_GPU0, NULL);
    refused_add(sim, "0000:41:00.0 is already in pool 'other': run 'gpupool pool-remove other "
                "0000:41:00.0' first", "gpus", "41:00.0", NULL);
    refused_add(sim, "0000:41:00.0 is already in pool 'other': nothing to add", "other",
                GP_SIM_DC_GPU0, NULL);
}

Test(poolhost, a_device_held_by_a_running_domain_is_refused_naming_the_domain)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *add = NULL;

    create("gpus", GP_POOL_TYPE_PCI);
    add = added("gpus", GP_SIM_DC_GPU0, NULL);
    write_claim(GP_SIM_DC_GPU0, "gpus", "vm1");
    refused_remove(sim, "0000:41:00.0 is held by domain 'vm1'", "gpus", GP_SIM_DC_GPU0, NULL);
    refused_remove(sim, "stop it first ('virsh shutdown vm1')", "gpus", GP_SIM_DC_GPU0, NULL);
    refused_undefine(sim, "pool 'gpus' is in use: domain 'vm1'", "gpus");
    /* A claim left on a device no pool lists any more still protects it. */
    write_claim(GP_SIM_DC_GPU1, "gone", "vm2");
    refused_add(sim, "0000:81:00.0 is held by domain 'vm2'", "gpus", GP_SIM_DC_GPU1, NULL);
}

Test(poolhost, a_corrupt_claims_file_stops_every_change)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *path = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);

    create("gpus", GP_POOL_TYPE_PCI);
    cr_assert_eq(g_mkdir_with_parents(gp_sim_statedir(sim), 0755), 0);
    cr_assert(g_file_set_contents(path, "<claims><claim device=", -1, NULL));
    refused_add(sim, "claims.xml is corrupt", "gpus", GP_SIM_DC_GPU0, NULL);
}

Test(poolhost, undefine_refuses_a_pool_with_devices_and_says_how_to_empty_it)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *add = NULL;
    g_autofree char *remove = NULL;
    g_autofree char *file = NULL;
    g_autoptr(GError) error = NULL;

    create("gpus", GP_POOL_TYPE_PCI);
    add = added("gpus", GP_SIM_DC_GPU0, NULL);
    refused_undefine(sim, "remove its devices first with 'gpupool pool-remove gpus "
                     "0000:41:00.0'", "gpus");
    remove = removed("gpus", GP_SIM_DC_GPU0, NULL);
    cr_assert(gp_poolhost_undefine("gpus", &error), "%s", error ? error->message : "");
    file = pool_file(sim, "gpus");
    cr_assert_null(file);
    refused_undefine(sim, "there is no pool 'gpus'", "gpus");
}

Test(poolhost, pool_create_refuses_a_taken_name)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();

    create("gpus", GP_POOL_TYPE_PCI);
    refused_create(sim, "pool 'gpus' already exists", "gpus", GP_POOL_TYPE_VF);
}

/* ---- Partitioning pools ------------------------------------------------------ */

Test(poolhost, a_vf_pool_refuses_devices_without_sr_iov_and_vfs)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();

    create_vf("flex", 8);
    create_vf("few", 2);
    refused_add(sim, "supports at most 7 VFs but pool 'flex' wants 8", "flex",
                GP_SIM_INTEL_SRIOV_GPU, NULL);
    refused_add(sim, "does not support SR-IOV", "few", "0000:00:01.0", NULL);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "3"));
    refused_add(sim, "has 3 VFs enabled but pool 'few' wants 2", "few", GP_SIM_INTEL_SRIOV_GPU,
                NULL);
    refused_add(sim, "is a virtual function of " GP_SIM_INTEL_SRIOV_GPU, "few", "0000:4d:00.1",
                NULL);
}

Test(poolhost, an_mdev_pool_takes_a_parent_that_is_not_a_pci_device_by_name)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autofree char *add = NULL;
    g_autofree char *file = NULL;

    create_mdev("display", "mbochs-small");
    add = added("display", GP_SIM_MBOCHS, NULL);
    file = pool_file(sim, "display");
    cr_assert(strstr(file, "<device address='mbochs'/>"), "%s", file);
    refused_add(sim, "offers no mediated devices", "display", "mtty", NULL);
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

Test(poolhost, setup_binds_every_pool_device_again_after_a_reboot)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    g_autofree char *add = NULL;
    g_autofree char *bound = NULL;
    g_autofree char *again = NULL;
    g_autofree char *twice = NULL;
    g_auto(Setup) first = { 0 };
    g_auto(Setup) second = { 0 };

    create("ws", GP_POOL_TYPE_PCI);
    add = added("ws", GP_SIM_WS_GPU, NULL);
    bound = gp_sim_snapshot(sim);
    reboot_device(sim, GP_SIM_WS_GPU);
    reboot_device(sim, GP_SIM_WS_GPU_AUDIO);
    gp_test_assert_driver(sim, GP_SIM_WS_GPU, "nvidia");
    setup(&first);
    cr_assert(first.ok, "%s", first.failed);
    cr_assert(strstr(first.done, "bound to vfio-pci"), "%s", first.done);
    again = gp_sim_snapshot(sim);
    gp_test_assert_same_host(again, bound, "setup after a reboot");
    /* Idempotent. */
    setup(&second);
    cr_assert(second.ok, "%s", second.failed);
    cr_assert(strstr(second.done, "already on vfio-pci"), "%s", second.done);
    twice = gp_sim_snapshot(sim);
    gp_test_assert_same_host(twice, bound, "a second setup");
}

Test(poolhost, setup_reports_a_failing_device_and_still_applies_the_others)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *pooldir = g_build_filename(gp_sim_confdir(sim), "pools", NULL);
    g_autofree char *path = g_build_filename(pooldir, "gpus.xml", NULL);
    g_auto(Setup) s = { 0 };

    cr_assert_eq(g_mkdir_with_parents(pooldir, 0755), 0);
    /* A card that was pulled while the host was off. */
    cr_assert(g_file_set_contents(path, "<pool type='pci'><name>gpus</name>"
                                  "<device address='0000:41:00.0' host-driver='nvidia'/>"
                                  "<device address='0000:99:00.0' host-driver='nvidia'/>"
                                  "</pool>", -1, NULL));
    setup(&s);
    cr_assert_not(s.ok, "%s", s.failed);
    cr_assert(strstr(s.failed, "0000:99:00.0"), "%s", s.failed);
    gp_test_assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
}

Test(poolhost, setup_applies_vf_counts)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *add = NULL;
    g_autofree char *numvfs = NULL;
    g_auto(Setup) s = { 0 };

    create_vf("flex", 2);
    add = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "0"));
    setup(&s);
    cr_assert(s.ok, "%s", s.failed);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "2");
    gp_test_assert_driver(sim, "0000:4d:00.2", "vfio-pci");
    cr_assert(strstr(s.done, "enabled 2 VFs"), "%s", s.done);
}

/* partition-set killed between the host and the pool file, or an admin's
 * echo, leaves another VF count than the pool's: setup gives the PF the
 * pool's count back, since no domain holds one of its VFs... */
Test(poolhost, setup_gives_a_pf_the_pools_vf_count_back_when_no_vf_is_held)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *add = NULL;
    g_autofree char *numvfs = NULL;
    g_auto(Setup) s = { 0 };

    create_vf("flex", 2);
    add = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "0"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "5"));
    setup(&s);
    cr_assert(s.ok, "%s", s.failed);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "2");
    gp_test_assert_driver(sim, "0000:4d:00.2", "vfio-pci");
}

/* ... but while a domain holds one, the VFs stay as they are: changing
 * the count would destroy it under the guest. */
Test(poolhost, setup_leaves_the_vf_count_alone_while_a_domain_holds_a_vf)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *add = NULL;
    g_autofree char *numvfs = NULL;
    g_auto(Setup) s = { 0 };

    create_vf("flex", 2);
    add = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "0"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "5"));
    gp_test_hold("0000:4d:00.3", "flex", "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12", "vm1", NULL);
    setup(&s);
    cr_assert_not(s.ok);
    cr_assert(strstr(s.failed, "pool 'flex': 0000:4d:00.0 has another VF count than the "
                               "pool's 2, and domain 'vm1' holds 0000:4d:00.3: stop it"),
              "%s", s.failed);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "5");
}

Test(poolhost, setup_checks_mdev_parents)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *add = NULL;
    g_auto(Setup) first = { 0 };
    g_auto(Setup) after = { 0 };

    create_mdev("vgpu", "nvidia-222");
    add = added("vgpu", GP_SIM_MDEV_GPU, NULL);
    setup(&first);
    cr_assert(first.ok, "%s", first.failed);
    cr_assert(strstr(first.done, GP_SIM_MDEV_GPU " offers nvidia-222"), "%s", first.done);
    /* The vGPU manager did not load at boot. */
    gp_sim_remove_driver(sim, "nvidia");
    setup(&after);
    cr_assert_not(after.ok);
    cr_assert(strstr(after.failed, GP_SIM_MDEV_GPU), "%s", after.failed);
}

/* ---- Devices open outside gpupool ------------------------------------------- */

Test(poolhost, a_device_a_vm_holds_open_outside_gpupool_is_refused)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *add = NULL;

    create("gpus", GP_POOL_TYPE_PCI);
    add = added("gpus", GP_SIM_DC_GPU0, NULL);
    create("more", GP_POOL_TYPE_PCI);
    gp_test_vfio_user(sim, GP_SIM_DC_GPU0, "4242", "qemu-system-x86");
    refused_remove(sim, "0000:41:00.0 is open through /dev/vfio/1 by process 4242 "
                   "(qemu-system-x86)", "gpus", GP_SIM_DC_GPU0, NULL);
    /* A device an admin bound to vfio-pci by hand and gave to a VM. */
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GP_SIM_DC_GPU1));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/new_id", "10de 20b5"));
    gp_test_assert_driver(sim, GP_SIM_DC_GPU1, "vfio-pci");
    gp_test_vfio_user(sim, GP_SIM_DC_GPU1, "4343", "qemu-system-x86");
    refused_add(sim, "0000:81:00.0 is open through /dev/vfio/3 by process 4343", "more",
                GP_SIM_DC_GPU1, NULL);
}

Test(poolhost, a_vf_is_never_in_two_pools_through_its_pf)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *add = NULL;
    g_autofree char *remove = NULL;
    g_autofree char *add_pf = NULL;

    create_vf("flex", 0);
    create("whole", GP_POOL_TYPE_PCI);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "2"));
    add = added("whole", "0000:4d:00.1", NULL);
    refused_add(sim, "its virtual function 0000:4d:00.1 is in pool 'whole' on its own", "flex",
                GP_SIM_INTEL_SRIOV_GPU, NULL);
    remove = removed("whole", "0000:4d:00.1", NULL);
    add_pf = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    refused_add(sim, "which is in pool 'flex' and hands its VFs out from there", "whole",
                "0000:4d:00.2", NULL);
}

/* ---- A failure after the host was changed ------------------------------------ */

Test(poolhost, when_the_pool_cannot_be_saved_the_devices_are_given_back)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(GpPool) pool = gp_pool_new("gpus", GP_POOL_TYPE_PCI, NULL);
    g_autofree char *desc = g_strnfill(1000, 'd');
    g_autofree char *file = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *file_after = NULL;
    const char *const devices[] = { GP_SIM_DC_GPU0 };
    g_autoptr(GError) error = NULL;
    struct rlimit old, small;
    gboolean ok;

    cr_assert(gp_pool_set_description(pool, desc, NULL));
    cr_assert(gp_poolhost_create(pool, &error), "%s", error ? error->message : "");
    file = pool_file(sim, "gpus");
    before = gp_sim_snapshot(sim);
    /* A full file system, as far as the new pool file is concerned: a file
     * size limit just above the pool file there is, so the sysfs writes go
     * through and writing the pool file with one more device fails. */
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = strlen(file) + 16;
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    ok = gp_poolhost_add("gpus", devices, 1, NULL, &error);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);

    cr_assert_not(ok);
    cr_assert(strstr(error->message, "cannot save pool 'gpus'"), "%s", error->message);
    gp_test_assert_driver(sim, GP_SIM_DC_GPU0, "nvidia");
    after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(after, before, "a pool-add whose save failed");
    file_after = pool_file(sim, "gpus");
    cr_assert_str_eq(file_after, file);
}

/* ---- An IOMMU group is the unit of assignment --------------------------------- */

Test(poolhost, naming_two_cards_of_one_group_makes_the_first_named_the_member)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();
    g_autofree char *add = NULL;
    g_autofree char *file = NULL;

    create("gpus", GP_POOL_TYPE_PCI);
    add = added("gpus", GP_SIM_SW_GPU1_AUDIO, GP_SIM_SW_GPU0, GP_SIM_SW_GPU1, NULL);
    file = pool_file(sim, "gpus");
    /* Of the card named first, its GPU function carries the group. */
    cr_assert(strstr(file, "<device address='0000:04:00.0' host-driver='nvidia'/>"), "%s", file);
    cr_assert(strstr(file, "<device address='0000:03:00.0' host-driver='nvidia' "
                           "companion-of='0000:04:00.0'/>"), "%s", file);
}

Test(poolhost, adding_a_second_device_of_a_group_in_a_pool_is_refused_naming_its_member)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();
    g_autofree char *add = NULL;

    create("gpus", GP_POOL_TYPE_PCI);
    create("other", GP_POOL_TYPE_PCI);
    add = added("gpus", GP_SIM_SW_GPU0, NULL);
    refused_add(sim, GP_SIM_SW_GPU1 " is already in pool 'gpus' as a companion of "
                GP_SIM_SW_GPU0 " (same IOMMU group)", "gpus", GP_SIM_SW_GPU1, NULL);
    refused_add(sim, GP_SIM_SW_GPU1 " is already in pool 'gpus' as a companion of "
                GP_SIM_SW_GPU0 " (same IOMMU group): run 'gpupool pool-remove gpus "
                GP_SIM_SW_GPU0 "' first", "other", GP_SIM_SW_GPU1, NULL);
}

Test(poolhost, pool_remove_of_the_member_gives_back_the_whole_group)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autofree char *file = NULL;
    g_autofree char *add = NULL;
    g_autofree char *remove = NULL;

    create("gpus", GP_POOL_TYPE_PCI);
    add = added("gpus", GP_SIM_SW_GPU0, NULL);
    refused_remove(sim, GP_SIM_SW_GPU1 " joined pool 'gpus' with " GP_SIM_SW_GPU0 " and leaves "
                   "with it: run 'gpupool pool-remove gpus " GP_SIM_SW_GPU0 "'",
                   "gpus", GP_SIM_SW_GPU1, NULL);
    refused_remove(sim, "run 'gpupool pool-remove gpus " GP_SIM_SW_GPU0 "'",
                   "gpus", GP_SIM_SW_GPU1_AUDIO, NULL);
    remove = removed("gpus", GP_SIM_SW_GPU0, NULL);
    cr_assert(strstr(remove, GP_SIM_SW_GPU1 ": removed from pool 'gpus', back on nvidia"),
              "%s", remove);
    gp_test_assert_driver(sim, GP_SIM_SW_GPU1_AUDIO, "snd_hda_intel");
    after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(after, before, "pool-add and pool-remove of a group");
    file = pool_file(sim, "gpus");
    cr_assert_null(strstr(file, "<device"), "%s", file);
}

Test(poolhost, a_group_whose_other_card_a_domain_holds_is_refused_and_nothing_is_bound)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_switch();

    create("gpus", GP_POOL_TYPE_PCI);
    /* A claim left by a domain on the other card (bound by hand). */
    write_claim(GP_SIM_SW_GPU1, "old", "render-1");
    refused_add(sim, GP_SIM_SW_GPU1 " is held by domain 'render-1'", "gpus", GP_SIM_SW_GPU0,
                NULL);
    gp_test_assert_driver(sim, GP_SIM_SW_GPU0, "nvidia");
}

/* A device the host uses (a NIC) is never taken along silently: naming it
 * asks for it. */
Test(poolhost, a_host_nic_in_the_group_joins_only_when_named_too)
{
    g_autoptr(GpSim) sim = gp_test_nic_group_host();
    g_autofree char *add = NULL;
    g_autofree char *file = NULL;

    create("gpus", GP_POOL_TYPE_PCI);
    refused_add(sim, "0000:05:01.0 (Ethernet controller, driver igb), which is not in pool gpus",
                "gpus", "0000:05:00.0", NULL);
    add = added("gpus", "0000:05:00.0", "0000:05:01.0", NULL);
    gp_test_assert_driver(sim, "0000:05:01.0", "vfio-pci");
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

Test(poolhost, removing_a_pf_disables_the_vfs_gpupool_enabled)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *before_vfs = NULL;
    g_autofree char *add = NULL;
    g_autofree char *file = NULL;
    g_autofree char *remove = NULL;
    g_autofree char *numvfs = NULL;

    create_vf("flex", 4);
    before = gp_sim_snapshot(sim);
    add = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    file = pool_file(sim, "flex");
    cr_assert(strstr(file, "<device address='0000:4d:00.0' host-driver='i915' "
                           "vfs-enabled-by='gpupool'/>"), "%s", file);
    remove = removed("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(strstr(remove, GP_SIM_INTEL_SRIOV_GPU ": its 4 VFs, enabled by gpupool, "
                             "were taken off vfio-pci and disabled (sriov_numvfs 0)"),
              "%s", remove);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "0");
    after = without_autoprobe(gp_sim_snapshot(sim));
    before_vfs = without_autoprobe(g_steal_pointer(&before));
    gp_test_assert_same_host(after, before_vfs, "pool-add and pool-remove of a PF");
}

Test(poolhost, removing_a_pf_leaves_vfs_that_were_there_before_it_joined)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *add = NULL;
    g_autofree char *remove = NULL;
    g_autofree char *file = NULL;
    g_autofree char *numvfs = NULL;

    create_vf("flex", 3);
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "3"));
    gp_test_assert_driver(sim, "0000:4d:00.2", "i915");
    add = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    gp_test_assert_driver(sim, "0000:4d:00.2", "vfio-pci");
    file = pool_file(sim, "flex");
    cr_assert(strstr(file, "vfs-enabled-by='host'"), "%s", file);
    remove = removed("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(strstr(remove, "its 3 VFs were there before it joined and stay enabled, "
                             "taken off vfio-pci"), "%s", remove);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "3");
    /* Back on the driver the kernel picks for them. */
    gp_test_assert_driver(sim, "0000:4d:00.1", "i915");
    gp_test_assert_driver(sim, "0000:4d:00.3", "i915");
}

/* Definitions written before gpupool recorded who enabled the VFs. */
Test(poolhost, removing_a_pf_of_an_old_definition_leaves_its_vfs_enabled_and_says_how)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *add = NULL;
    g_autofree char *file = NULL;
    g_autofree char *path = g_build_filename(gp_sim_confdir(sim), "pools", "flex.xml", NULL);
    g_auto(GStrv) parts = NULL;
    g_autofree char *old = NULL;
    g_autofree char *remove = NULL;
    g_autofree char *numvfs = NULL;

    create_vf("flex", 2);
    add = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    file = pool_file(sim, "flex");
    parts = g_strsplit(file, " vfs-enabled-by='gpupool'", 2);
    old = g_strjoinv("", parts);
    cr_assert(g_file_set_contents(path, old, -1, NULL));
    remove = removed("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_assert(strstr(remove, "its 2 VFs stay enabled, taken off vfio-pci (the pool does "
                             "not record that gpupool enabled them): disable them with "
                             "'echo 0 > /sys/bus/pci/devices/0000:4d:00.0/sriov_numvfs'"),
              "%s", remove);
    numvfs = gp_sim_read(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs");
    cr_assert_str_eq(numvfs, "2");
}

Test(poolhost, removing_a_pf_whose_vf_a_domain_holds_is_refused_naming_the_domain)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *add = NULL;

    create_vf("flex", 4);
    add = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    write_claim("0000:4d:00.3", "flex", "render-2");
    refused_remove(sim, "its partition 0000:4d:00.3 is held by domain 'render-2' (6f1c4a52-2d7e-"
                   "4b8a-9c1e-3a5b7d9e0f12): stop it first ('virsh shutdown render-2')",
                   "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
}

/* All or nothing: one VF open by a VM gpupool does not know of stops the
 * PF from leaving, and no VF is touched. */
Test(poolhost, removing_a_pf_with_a_vf_open_outside_gpupool_changes_nothing)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *add = NULL;

    create_vf("flex", 4);
    add = added("flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    gp_test_vfio_user(sim, "0000:4d:00.4", "4545", "qemu-system-x86");
    refused_remove(sim, "0000:4d:00.4 is open through /dev/vfio/", "flex",
                   GP_SIM_INTEL_SRIOV_GPU, NULL);
    gp_test_assert_driver(sim, "0000:4d:00.1", "vfio-pci");
}
