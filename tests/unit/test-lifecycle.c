/* A pool domain's life as transactions of the ledger (src/ops/lifecycle.c):
 * prepare, release and reconcile on the simulated hook host (whole
 * devices), and with the partitions of mdev and VF pools: the mdevs and
 * vendor profiles a start makes and a stop gives back, all or nothing. */
#include "config.h"

#include <criterion/criterion.h>

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sysfs.h"
#include "state/claims.h"
#include "state/domain.h"
#include "state/domxml.h"
#include "state/poolstore.h"
#include "ledger/ledger.h"
#include "ledger/probe.h"
#include "ops/lifecycle.h"
#include "ops/partition.h"
#include "pool-fixtures.h"

#define UUID_A "11111111-1111-4111-8111-111111111111"
#define UUID_B "22222222-2222-4222-8222-222222222222"
#define UUID_C "33333333-3333-4333-8333-333333333333"

#define DOM1 "0f0e0d0c-0b0a-4908-8706-050403020100"
#define DOM2 "1f0e0d0c-0b0a-4908-8706-050403020100"

#define GPU0 GP_HOOK_HOST_GPU0
#define GPU1 GP_HOOK_HOST_GPU1
#define GPU2 GP_HOOK_HOST_GPU2

TestSuite(lifecycle);

/* ---- Whole devices, on the hook host -------------------------------------- */

static GpSim *hook_host;

static void
on_hook_host(void)
{
    hook_host = gp_test_hook_host();
}

static void
off_hook_host(void)
{
    g_clear_pointer(&hook_host, gp_sim_free);
}

/* A domain wanting DEVICES (NULL-terminated) of pool "gpus", probed. */
static GpDomain *
domain_new(const char *uuid, const char *name, const char *const *devices)
{
    GpDomain *dom = gp_domain_new(uuid, name);

    for (guint i = 0; devices[i]; i++) {
        g_autofree char *alias = g_strdup_printf("ua-gpupool-%u", i);
        GpDomainDevice *dev = gp_domain_add_device(dom, alias, "gpus", devices[i]);

        gp_ledger_probe_device(dev, GP_POOL_TYPE_PCI);
    }
    /* Big enough for anything on this host unless a test says otherwise. */
    dom->pcihole64 = 1ULL << 40;
    return dom;
}

/* Stale claims given back as `gpupool rebalance` does, in a ledger
 * transaction over CLAIMS. */
static guint
reconcile(GpClaims **claims, GHashTable *running)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    guint n;

    cr_assert(gp_claims_save(*claims, &error), "%s", error ? error->message : "");
    ledger = gp_ledger_open(GP_LEDGER_WRITE, &error);
    cr_assert(ledger != NULL, "%s", error ? error->message : "");
    n = gp_lifecycle_reconcile(ledger, running, NULL, NULL);
    cr_assert(gp_ledger_save(ledger, &error), "%s", error ? error->message : "");
    g_clear_pointer(&ledger, gp_ledger_free);
    gp_claims_free(*claims);
    *claims = gp_claims_load(&error);
    cr_assert(*claims != NULL, "%s", error ? error->message : "");
    return n;
}

static char *
claims_file(void)
{
    return g_build_filename(gp_sim_statedir(hook_host), "claims.xml", NULL);
}

static char *
read_claims_file(void)
{
    g_autofree char *path = claims_file();
    char *data = NULL;

    if (!g_file_get_contents(path, &data, NULL, NULL))
        return NULL;
    return data;
}

static const char *
holder(GpClaims *claims, const char *device)
{
    const GpClaim *c = gp_claims_find(claims, device);

    return c ? c->domain_name : NULL;
}

Test(lifecycle, reconcile_drops_claims_of_domains_that_no_longer_run, .init = on_hook_host,
     .fini = off_hook_host)
{
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GHashTable) running = g_hash_table_new(g_str_hash, g_str_equal);

    cr_assert(gp_claims_add(claims, GPU0, "gpus", UUID_A, "vm1", NULL, NULL));
    cr_assert(gp_claims_add(claims, GPU1, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_assert(gp_claims_add(claims, GPU2, "gpus", UUID_B, "vm2", NULL, NULL));
    g_hash_table_add(running, (gpointer)UUID_A);
    cr_expect_eq(reconcile(&claims, running), 2);
    cr_expect_str_eq(holder(claims, GPU0), "vm1");
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(lifecycle, prepare_and_release_transactions_persist_claims, .init = on_hook_host,
     .fini = off_hook_host)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpClaims) after = NULL;
    guint dropped = 99;

    cr_assert(gp_lifecycle_prepare(dom, &error), "%s", error ? error->message : "");
    after = gp_test_load_claims();
    cr_expect_str_eq(holder(after, GPU0), "vm1");
    cr_assert(gp_lifecycle_release(dom, &dropped, &error));
    cr_expect_eq(dropped, 1);
    g_clear_pointer(&after, gp_claims_free);
    after = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(after)->len, 0);
}

Test(lifecycle, prepare_refusal_leaves_the_state_file_byte_for_byte, .init = on_hook_host,
     .fini = off_hook_host)
{
    const char *const a_devs[] = { GPU0, NULL };
    const char *const b_devs[] = { GPU1, GPU0, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm2", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm1", b_devs);
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    cr_assert(gp_lifecycle_prepare(a, NULL));
    before = read_claims_file();
    cr_assert_not_null(before);
    cr_assert_not(gp_lifecycle_prepare(b, &error));
    after = read_claims_file();
    cr_expect_str_eq(after, before);
}

Test(lifecycle, crash_between_write_and_rename_leaves_the_old_state, .init = on_hook_host,
     .fini = off_hook_host)
{
    const char *const a_devs[] = { GPU0, NULL };
    const char *const b_devs[] = { GPU1, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm1", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm2", b_devs);
    g_autoptr(GpClaims) claims = NULL;
    g_autofree char *path = claims_file();
    g_autofree char *tmp = g_build_filename(gp_sim_statedir(hook_host), ".claims.xml.Xy12Zq", NULL);
    g_autoptr(GError) error = NULL;

    cr_assert(gp_lifecycle_prepare(a, NULL));
    /* What a transaction that died after writing its temporary file and
     * before the rename leaves behind: the complete new state, and a
     * half-written one, next to the old file. */
    cr_assert(g_file_set_contents(tmp, "<claims><claim device='" GPU2 "' pool='gpus' "
                                  "domain-uuid='" UUID_C "' domain-name='ghost' since='1'/>"
                                  "</claims>\n", -1, NULL));
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 1, "the unrenamed file is not the state");
    cr_expect_str_eq(holder(claims, GPU0), "vm1");
    cr_expect_null(gp_claims_find(claims, GPU2));

    cr_assert(gp_lifecycle_prepare(b, &error), "%s", error ? error->message : "");
    g_clear_pointer(&claims, gp_claims_free);
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 2);
    cr_expect_null(gp_claims_find(claims, GPU2));
}

Test(lifecycle, prepare_with_corrupt_state_fails_naming_the_file_and_changes_nothing,
     .init = on_hook_host, .fini = off_hook_host)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autofree char *path = claims_file();
    g_autofree char *after = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert(g_file_set_contents(path, "<claims><claim", -1, NULL));
    cr_assert_not(gp_lifecycle_prepare(dom, &error));
    cr_expect(NULL != strstr(error->message, "claims.xml"), "%s", error->message);
    after = read_claims_file();
    cr_expect_str_eq(after, "<claims><claim");
}

Test(lifecycle, concurrent_prepares_for_one_device_let_exactly_one_win, .init = on_hook_host,
     .fini = off_hook_host)
{
    const int n = 6;
    pid_t pids[6];
    int wins = 0;
    g_autoptr(GpClaims) claims = NULL;

    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        cr_assert(pids[i] >= 0);
        if (pids[i] == 0) {
            g_autofree char *uuid = g_strdup_printf("4444444%d-4444-4444-8444-444444444444", i);
            g_autofree char *name = g_strdup_printf("racer%d", i);
            const char *const devs[] = { GPU2, NULL };
            GpDomain *dom = domain_new(uuid, name, devs);

            _exit(gp_lifecycle_prepare(dom, NULL) ? 0 : 1);
        }
    }
    for (int i = 0; i < n; i++) {
        int status = 0;

        cr_assert(waitpid(pids[i], &status, 0) == pids[i]);
        cr_assert(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0)
            wins++;
    }
    cr_expect_eq(wins, 1);
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(lifecycle, release_drops_the_claims_even_after_the_pool_was_undefined, .init = on_hook_host,
     .fini = off_hook_host)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GpClaims) after = NULL;
    g_autoptr(GError) error = NULL;
    guint dropped = 0;

    cr_assert(gp_lifecycle_prepare(dom, NULL));
    cr_assert(gp_poolstore_delete("gpus", NULL));
    cr_assert(gp_lifecycle_release(dom, &dropped, &error), "%s",
              error ? error->message : "");
    cr_expect_eq(dropped, 1);
    after = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(after)->len, 0);
}

/* ---- Partitions of mdev and VF pools ---------------------------------------- */

Test(lifecycle, hook_creates_the_domains_mdev_at_prepare_and_removes_it_at_release)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autofree char *uuid = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "disp", uuid);
    g_autoptr(GError) err = NULL;
    g_autofree char *rel = gp_sysfs_mdev_dev_path(uuid, NULL);
    g_autofree char *type = NULL;
    guint dropped = 0;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    cr_assert(gp_sysfs_is_dir(rel));
    type = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-medium/"
                            "available_instances");
    cr_assert_str_eq(type, "31");
    cr_assert_eq(gp_test_claim_count(), 1);
    /* A second prepare (libvirt retrying a start) changes nothing. */
    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    cr_assert_eq(gp_test_claim_count(), 1);

    cr_assert(gp_lifecycle_release(dom, &dropped, &err), "%s", err ? err->message : "");
    cr_assert_eq(dropped, 1);
    cr_assert_not(gp_sysfs_is_dir(rel));
    cr_assert_eq(gp_test_claim_count(), 0);
    /* release end after the mdev already went (NVIDIA removes its own). */
    cr_assert(gp_lifecycle_release(dom, &dropped, &err));
}

Test(lifecycle, hook_refuses_a_start_when_the_mdev_pool_is_full_and_leaves_the_host_alone)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-large");
    g_autofree char *first = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *second = gp_domain_mdev_uuid(DOM2, "disp", 0);
    g_autoptr(GpDomain) vm1 = gp_test_domain(DOM1, "vm1", "disp", first);
    g_autoptr(GpDomain) vm2 = gp_test_domain(DOM2, "vm2", "disp", second);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    /* The sample's 512 MiB hold eight 64 MiB displays: seven of another
     * domain and vm1's fill it. */
    for (guint i = 1; i < 8; i++) {
        g_autofree char *u = gp_domain_mdev_uuid(DOM2, "other", i);

        cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-large", u));
    }
    cr_assert(gp_lifecycle_prepare(vm1, &err), "%s", err ? err->message : "");
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_lifecycle_prepare(vm2, &err));
    cr_assert(strstr(err->message, "vm2: pool 'disp' is exhausted: no device (mbochs) has room "
                                   "for another mbochs-large, held by vm1"), "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
    cr_assert_eq(gp_test_claim_count(), 1);
}

Test(lifecycle, hook_refuses_two_partitions_of_one_pool_for_one_domain)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-small");
    g_autofree char *a = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *b = gp_domain_mdev_uuid(DOM1, "disp", 1);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "disp", a);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    gp_domain_add_device(dom, "ua-gpupool-1", "disp", b);
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_lifecycle_prepare(dom, &err));
    cr_assert(strstr(err->message, "vm1 asks for more than 1 partition of pool 'disp': run "
                                   "'gpupool assign vm1 --pool disp --count 1', or allow more"),
              "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(lifecycle, hook_sets_the_vgpu_type_on_the_claimed_vf_and_clears_it_at_release)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *cur = NULL;
    g_autofree char *cleared = NULL;
    guint dropped = 0;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_assert_str_eq(cur, "1158");
    cr_assert(gp_lifecycle_release(dom, &dropped, &err), "%s", err ? err->message : "");
    cr_assert_eq(dropped, 1);
    cleared = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_assert_str_eq(cleared, "0");
    gp_test_l40s_done();
}

Test(lifecycle, hook_keeps_the_claim_and_the_type_while_qemu_still_holds_the_vf)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *cur = NULL;
    guint dropped = 0;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    gp_test_vfio_user(sim, "0000:c1:00.4", "77", "qemu-system-x86");

    cr_assert_not(gp_lifecycle_release(dom, &dropped, &err));
    cr_assert(strstr(err->message, "0000:c1:00.4 is still open through /dev/vfio/"), "%s",
              err->message);
    cr_assert_eq(dropped, 0);
    cr_assert_eq(gp_test_claim_count(), 1);
    cur = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_assert_str_eq(cur, "1158");
    gp_test_l40s_done();
}

Test(lifecycle, hook_names_the_other_type_that_blocks_a_homogeneous_vgpu)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    const char *members[] = { GP_SIM_MDEV_GPU, NULL };
    const char *other = "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0009";
    g_autofree char *uuid = gp_domain_mdev_uuid(DOM1, "t4-1q", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "t4-1q", uuid);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    gp_test_save_pool("t4-1q", GP_POOL_TYPE_MDEV, members, "nvidia-222");
    /* Someone else's 2Q vGPU: the T4 runs one type at a time. */
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-223", other));
    gp_test_hold(other, "t4-2q", DOM2, "vm9", GP_SIM_MDEV_GPU);
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_lifecycle_prepare(dom, &err));
    cr_assert(strstr(err->message, "no device (" GP_SIM_MDEV_GPU ") has room for another "
                                   "nvidia-222; " GP_SIM_MDEV_GPU " has 1 mdev of type "
                                   "nvidia-223 (vm9)"), "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(lifecycle, hook_says_a_vf_pool_is_exhausted_when_the_profile_has_no_room)
{
    /* The 48Q type takes the whole GPU: one partition for 16 VFs. */
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1161", 0);
    g_autoptr(GpDomain) vm1 = gp_test_domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GpDomain) vm2 = gp_test_domain(DOM2, "vm2", "l40s", "0000:c1:00.5");
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    cr_assert(gp_lifecycle_prepare(vm1, &err), "%s", err ? err->message : "");
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_lifecycle_prepare(vm2, &err));
    cr_assert(strstr(err->message, "vm2: pool 'l40s' is exhausted: " GP_SIM_SRIOV_GPU " has no "
                                   "room for another 1161 partition, held by vm1"),
              "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
    cr_assert_eq(gp_test_claim_count(), 1);
    gp_test_l40s_done();
}

/* ---- Partitions named without gpupool --------------------------------------- */

/* What the hook checks at prepare for a domain that lists DEVICE among
 * its own host devices. */
static gboolean
passthrough_allowed(const char *device, GError **error)
{
    GpDomAssignment asg = {
        .name = (char *)"vm9",
        .requests = g_ptr_array_new(),
        .passthrough = g_ptr_array_new(),
        .passthrough_kinds = g_ptr_array_new(),
    };
    gboolean ok;

    g_ptr_array_add(asg.passthrough, (gpointer)device);
    g_ptr_array_add(asg.passthrough_kinds, (gpointer)"<hostdev>");
    ok = gp_lifecycle_check_passthrough(&asg, NULL, error);
    g_ptr_array_unref(asg.requests);
    g_ptr_array_unref(asg.passthrough);
    g_ptr_array_unref(asg.passthrough_kinds);
    return ok;
}

Test(lifecycle, a_vf_of_a_vf_pool_given_as_a_hostdev_is_refused_naming_the_pool)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GError) err = NULL;

    cr_assert_not(passthrough_allowed("0000:c1:00.5", &err));
    cr_expect_str_eq(err->message, "vm9: its own <hostdev> of 0000:c1:00.5 passes through a "
                                   "device of pool 'l40s', which only gpupool hands out: "
                                   "remove that <hostdev> from the definition ('virsh edit "
                                   "vm9'), then give it devices of the pool with 'gpupool "
                                   "assign vm9 --pool l40s'");
    g_clear_error(&err);
    cr_assert_not(passthrough_allowed(GP_SIM_SRIOV_GPU, &err), "the PF itself");
    gp_test_l40s_done();
}

Test(lifecycle, a_pool_domains_mdev_given_as_a_hostdev_is_refused_naming_the_pool)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autofree char *uuid = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "disp", uuid);
    g_autoptr(GError) err = NULL;
    g_autofree char *msg = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GpDomAssignment) asg = NULL;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    /* The domain definition as libvirt hands it to the hook. */
    xml = g_strdup_printf(
        "<domain type='kvm'><name>vm9</name><uuid>" DOM2 "</uuid><devices>"
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
        "<address uuid='%s'/></source></hostdev></devices></domain>", uuid);
    asg = gp_domxml_read_assignment(xml, strlen(xml), &err);
    cr_assert_not_null(asg, "%s", err ? err->message : "");
    cr_assert_eq(asg->passthrough->len, 1);
    cr_assert_not(gp_lifecycle_check_passthrough(asg, NULL, &err));
    msg = g_strdup_printf("vm9: its own <hostdev> of %s passes through a device of pool "
                          "'disp', which only gpupool hands out: remove that <hostdev> from "
                          "the definition ('virsh edit vm9'), then give it devices of the "
                          "pool with 'gpupool assign vm9 --pool disp'", uuid);
    cr_expect_str_eq(err->message, msg);
    g_clear_error(&err);
    /* An mdev of the same parent made outside gpupool is the pool's too. */
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-small",
                                 "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0009"));
    cr_assert_not(passthrough_allowed("8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0009", &err));
    g_clear_error(&err);
    cr_expect(passthrough_allowed("8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0010", &err), "%s",
              err ? err->message : "");
}
