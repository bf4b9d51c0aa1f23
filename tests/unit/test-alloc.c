/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook's claim decisions (src/policy/alloc.c): claim, release,
 * reconnect and re-point, with the facts the ledger probes on the
 * simulated hook host (pool-fixtures.h). */
#include "config.h"

#include <criterion/criterion.h>

#include <string.h>

#include "state/claims.h"
#include "state/domain.h"
#include "state/pool.h"
#include "state/poolstore.h"
#include "policy/alloc.h"
#include "policy/capacity.h"
#include "ledger/probe.h"
#include "ops/poolhost.h"
#include "pool-fixtures.h"

#define UUID_A "11111111-1111-4111-8111-111111111111"
#define UUID_B "22222222-2222-4222-8222-222222222222"
#define UUID_C "33333333-3333-4333-8333-333333333333"

#define GPU0 GP_HOOK_HOST_GPU0
#define GPU1 GP_HOOK_HOST_GPU1
#define GPU2 GP_HOOK_HOST_GPU2
#define AUDIO0 GP_HOOK_HOST_AUDIO0
#define OTHER GP_HOOK_HOST_OTHER   /* on the host, in no pool */
#define NVIDIA GP_HOOK_HOST_NVIDIA /* in the pool, but bound to nvidia */

static GpSim *sim;

static void
setup_host(void)
{
    sim = gp_test_hook_host();
}

static void
teardown_host(void)
{
    g_clear_pointer(&sim, gp_sim_free);
}

TestSuite(alloc, .init = setup_host, .fini = teardown_host);

/* ---- helpers ------------------------------------------------------------ */

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

/* The pools DOM names, as the stored files have them (name -> GpPool*). */
static GHashTable *
load_pools(const GpDomain *dom)
{
    GHashTable *pools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)gp_pool_free);

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        g_autoptr(GError) error = NULL;
        GpPool *pool;

        if (g_hash_table_contains(pools, dev->pool))
            continue;
        pool = gp_poolstore_load(dev->pool, &error);
        cr_assert(pool != NULL, "%s", error ? error->message : "");
        g_hash_table_insert(pools, g_strdup(dev->pool), pool);
    }
    return pools;
}

/* What POOL can give with CLAIMS on the simulated host. */
static GpPoolCapacity *
capacity(const GpPool *pool, GpClaims *claims)
{
    g_autoptr(GPtrArray) facts = gp_ledger_probe_pool(pool);

    return gp_capacity_of(pool, facts, claims);
}

/* The claim decision, its refusal completed with the pool's free units
 * as the ledger would (ops/lifecycle.c). */
static gboolean
claim(GpClaims *claims, GHashTable *pools, const GpDomain *dom, GError **error)
{
    const GpDomainDevice *refused = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GpPoolCapacity) cap = NULL;
    g_autofree char *free_text = NULL;

    if (gp_alloc_claim(claims, pools, dom, &refused, &err))
        return TRUE;
    if (refused) {
        cap = capacity(g_hash_table_lookup(pools, refused->pool), claims);
        free_text = gp_pool_capacity_free_text(cap);
        gp_alloc_explain_held(&err, free_text);
    }
    g_propagate_error(error, g_steal_pointer(&err));
    return FALSE;
}

/* The re-point decision with the free units the ledger counts. */
static GHashTable *
repoint(GpClaims *claims, GHashTable *pools, const GpDomain *dom, GError **error)
{
    g_autoptr(GPtrArray) needs = gp_alloc_repoint_needs(claims, pools, dom, error);
    g_autoptr(GHashTable) free_units = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                             (GDestroyNotify)gp_pool_capacity_free);
    g_autoptr(GHashTable) units = g_hash_table_new(g_str_hash, g_str_equal);

    if (!needs)
        return NULL;
    for (guint i = 0; i < needs->len; i++) {
        const GpDomainDevice *dev = needs->pdata[i];
        GpPoolCapacity *cap = capacity(g_hash_table_lookup(pools, dev->pool), claims);

        g_hash_table_insert(free_units, dev->pool, cap);
        g_hash_table_insert(units, dev->pool, cap->free_units);
    }
    return gp_alloc_repoint(dom, needs, units, error);
}

static const char *
holder(GpClaims *claims, const char *device)
{
    const GpClaim *c = gp_claims_find(claims, device);

    return c ? c->domain_name : NULL;
}

/* Domain vm1 (UUID_A) asks for DEVICE of pool "gpus" alone: the claim's
 * result, with the claims as they stand afterwards in *CLAIMS. */
static gboolean
vm1_claims_alone(const char *device, GpClaims **claims, GError **error)
{
    const char *const devs[] = { device, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);

    *claims = gp_test_load_claims();
    return claim(*claims, pools, dom, error);
}

/* ---- claim decisions ---------------------------------------------------- */

Test(alloc, claim_records_every_device_for_the_domain)
{
    const char *const devs[] = { GPU0, GPU1, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;

    cr_assert(claim(claims, pools, dom, &error), "%s", error ? error->message : "");
    cr_expect_str_eq(holder(claims, GPU0), "vm1");
    cr_expect_str_eq(holder(claims, GPU1), "vm1");
    cr_expect_eq(gp_claims_all(claims)->len, 2);
    cr_expect_str_eq(gp_claims_find(claims, GPU0)->domain_uuid, UUID_A);
    cr_expect_str_eq(gp_claims_find(claims, GPU0)->pool, "gpus");
}

Test(alloc, claim_again_by_the_same_domain_succeeds_and_adds_nothing)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;

    cr_assert(claim(claims, pools, dom, NULL));
    cr_assert(claim(claims, pools, dom, &error), "%s", error ? error->message : "");
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(alloc, claim_of_held_device_fails_naming_device_holder_free_devices_and_fix)
{
    const char *const a_devs[] = { GPU0, NULL };
    const char *const b_devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm2", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm1", b_devs);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;

    cr_assert(claim(claims, pools, a, NULL));
    cr_assert_not(claim(claims, pools, b, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_HELD));
    /* Free as the ledger counts it, as every view does: held by no one
     * and ready to hand out, so NVIDIA, which needs 'gpupool setup'
     * first, is not. */
    cr_expect_str_eq(error->message,
                     GPU0 " of pool 'gpus' is held by domain 'vm2'; free: " GPU1 ", " GPU2
                     "; run 'gpupool rebalance' or start the domain again in a moment");
    cr_expect_null(strchr(error->message, '\n'));
    cr_expect_str_eq(holder(claims, GPU0), "vm2");
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(alloc, claim_is_all_or_nothing_when_one_device_is_held)
{
    const char *const a_devs[] = { GPU1, NULL };
    const char *const b_devs[] = { GPU0, GPU1, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm2", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm1", b_devs);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = gp_test_load_claims();

    cr_assert(claim(claims, pools, a, NULL));
    cr_assert_not(claim(claims, pools, b, NULL));
    cr_expect_null(gp_claims_find(claims, GPU0), "GPU0 must not be claimed by a failed start");
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(alloc, claim_fails_when_pool_exhausted_and_says_none_is_free)
{
    const char *const a_devs[] = { GPU0, GPU1, GPU2, NVIDIA, NULL };
    const char *const b_devs[] = { GPU2, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "big", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm1", b_devs);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;

    /* NVIDIA is not bound to vfio-pci: take it out of A's request. */
    g_ptr_array_remove_index(a->devices, 3);
    cr_assert(claim(claims, pools, a, NULL));
    /* Mark the last member as held too, so nothing is free. */
    cr_assert(gp_claims_add(claims, NVIDIA, "gpus", UUID_C, "other", NULL, NULL));
    cr_assert_not(claim(claims, pools, b, &error));
    cr_expect_str_eq(error->message,
                     GPU2 " of pool 'gpus' is held by domain 'big'; free: none; "
                     "stop a domain of the pool or add devices with 'gpupool pool-add'");
}

Test(alloc, claim_refuses_device_outside_the_pool)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert_not(vm1_claims_alone(OTHER, &claims, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER));
    cr_expect(NULL != strstr(error->message, OTHER " is not a device of pool 'gpus'"), "%s", error->message);
    cr_expect(NULL != strstr(error->message, "gpupool assign vm1 --pool gpus"), "%s", error->message);
    cr_expect_eq(gp_claims_all(claims)->len, 0);
}

Test(alloc, claim_refuses_a_companion_function_on_its_own)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert_not(vm1_claims_alone(AUDIO0, &claims, &error));
    cr_expect(NULL != strstr(error->message, "goes with " GPU0), "%s", error->message);
    cr_expect_eq(gp_claims_all(claims)->len, 0);
}

/* Two cards sharing one IOMMU group (a switch without ACS) join a pool as
 * one member and its companions: only the member is ever handed out, so
 * the group never goes to two domains. */
Test(alloc, a_group_companion_in_another_slot_is_never_offered_to_a_domain)
{
    const char *const group_dev[] = { GP_SIM_SW_GPU0, NULL };
    const char *const member_dev[] = { GP_SIM_SW_GPU1, NULL };
    const char *const devices[] = { GP_SIM_SW_GPU1 };
    g_autoptr(GpDomain) dom_a = NULL;
    g_autoptr(GpDomain) dom_b = NULL;
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GHashTable) moved = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GpPoolCapacity) cap = NULL;
    GPtrArray *free_devs;
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) empty = gp_pool_new("gpus", GP_POOL_TYPE_PCI, NULL);
    const GpPool *pool;

    teardown_host();
    sim = gp_sim_fixture_switch();
    cr_assert(gp_poolhost_create(empty, &error), "%s", error ? error->message : "");
    cr_assert(gp_poolhost_add("gpus", devices, 1, NULL, &error), "%s",
              error ? error->message : "");

    dom_a = domain_new(UUID_A, "vm1", group_dev);
    pools = load_pools(dom_a);
    claims = gp_test_load_claims();
    pool = g_hash_table_lookup(pools, "gpus");
    cap = capacity(pool, claims);
    free_devs = cap->free_units;
    cr_assert_eq(free_devs->len, 1);
    cr_assert_str_eq(free_devs->pdata[0], GP_SIM_SW_GPU1);

    cr_assert_not(claim(claims, pools, dom_a, &error));
    cr_expect(NULL != strstr(error->message, GP_SIM_SW_GPU0 " of pool 'gpus' goes with "
                                             GP_SIM_SW_GPU1), "%s", error->message);
    g_clear_error(&error);

    dom_b = domain_new(UUID_B, "vm2", member_dev);
    cr_assert(claim(claims, pools, dom_b, &error), "%s", error ? error->message : "");
    /* An arriving domain that names the companion is not re-pointed to it:
     * the group's only member is held. */
    moved = repoint(claims, pools, dom_a, &error);
    cr_assert_null(moved);
    cr_expect(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_EXHAUSTED), "%s",
              error->message);
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(alloc, claim_refuses_device_not_bound_to_vfio_pci_and_says_run_setup)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert_not(vm1_claims_alone(NVIDIA, &claims, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_READY));
    cr_expect(NULL != strstr(error->message, "bound to nvidia, not vfio-pci"), "%s", error->message);
    cr_expect(NULL != strstr(error->message, "gpupool setup"), "%s", error->message);
}

Test(alloc, claim_refuses_device_missing_from_this_host)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert_not(vm1_claims_alone("0000:99:00.0", &claims, &error));
    cr_expect(NULL != strstr(error->message, "does not exist on this host"), "%s", error->message);
}

/* The three ways a pool device breaks or vanishes, on the simulated host. */
static void
break_gpu0_by_emptying_reset_method(void)
{
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GPU0 "/reset_method", "\n"));
}

static void
break_gpu0_by_config_all_ones(void)
{
    cr_assert(gp_sim_pci_set_dead(sim, GPU0));
}

static void
break_gpu0_by_removing_it(void)
{
    /* Its companion goes first: the kernel removes a whole slot's
     * functions when the slot is removed; here each on its own. */
    cr_assert(gp_sim_pci_remove(sim, AUDIO0));
    cr_assert(gp_sim_pci_remove(sim, GPU0));
}

static void
expect_quarantined_claim_refused(void (*breaks)(void), const char *reason)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_poolstore_load("gpus", NULL);
    g_autoptr(GpPoolCapacity) cap = NULL;

    breaks();
    cr_assert_not(vm1_claims_alone(GPU0, &claims, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_QUARANTINED), "%s",
              error->message);
    cr_expect(g_str_has_prefix(error->message, "vm1: " GPU0 " of pool 'gpus' is quarantined: "),
              "%s", error->message);
    cr_expect(NULL != strstr(error->message, reason), "%s", error->message);
    cr_expect_null(strchr(error->message, '\n'));
    cr_expect_eq(gp_claims_all(claims)->len, 0, "nothing claimed");
    /* The ledger's numbers say the same: GPU0 is not among the free. */
    cap = capacity(pool, claims);
    cr_expect(gp_pool_capacity_row(cap, GPU0)->quarantined);
    cr_expect_not(g_ptr_array_find_with_equal_func(cap->free_units, GPU0, g_str_equal, NULL));
    cr_expect_str_eq(gp_pool_capacity_row(cap, GPU0)->problem,
                     strstr(error->message, "quarantined: "));
}

Test(alloc, claim_refuses_a_device_without_reset_method_as_quarantined_naming_the_fix)
{
    expect_quarantined_claim_refused(break_gpu0_by_emptying_reset_method,
                                     "no reset method for it (reset_method empty), so a guest "
                                     "would inherit the last one's state: run 'echo default > "
                                     "/sys/bus/pci/devices/" GPU0 "/reset_method'");
}

Test(alloc, claim_refuses_a_device_whose_config_reads_all_ones_as_quarantined)
{
    expect_quarantined_claim_refused(break_gpu0_by_config_all_ones,
                                     "config space reads all-ones (it stopped answering)");
}

Test(alloc, claim_refuses_a_device_gone_from_the_bus_as_quarantined_naming_rescan)
{
    expect_quarantined_claim_refused(break_gpu0_by_removing_it,
                                     "gone from the PCI bus: bring it back with 'echo 1 > "
                                     "/sys/bus/pci/rescan'");
}

Test(alloc, a_quarantined_device_is_repointed_to_the_next_free_healthy_one)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = NULL;
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert(gp_sim_pci_set_dead(sim, GPU1));
    break_gpu0_by_config_all_ones();
    dom = domain_new(UUID_A, "vm1", devs);
    pools = load_pools(dom);
    changes = repoint(claims, pools, dom, &error);
    cr_assert_not_null(changes, "%s", error ? error->message : "");
    /* GPU1 broke too, NVIDIA is not on vfio-pci: GPU2 is next. */
    cr_expect_str_eq(g_hash_table_lookup(changes, "ua-gpupool-0"), GPU2);
}

Test(alloc, reconnect_records_a_running_domains_device_even_when_it_broke)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = NULL;
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

    break_gpu0_by_config_all_ones();
    dom = domain_new(UUID_A, "vm1", devs);
    pools = load_pools(dom);
    cr_expect_eq(gp_alloc_reconnect(claims, pools, dom, warnings), 1);
    cr_expect_str_eq(holder(claims, GPU0), "vm1", "who holds it is never lost");
    cr_expect_eq(warnings->len, 0);
}

Test(alloc, claim_refuses_too_small_mmio_window_and_says_what_to_set)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;
    const GpDomainDevice *gpu = dom->devices->pdata[0];

    /* The GPU's 64-bit BARs as the resource file shows them. */
    cr_assert_eq(gpu->bars[1].size, 16ULL << 30);
    cr_assert(gpu->bars[1].is_64bit && gpu->bars[1].prefetchable);
    cr_assert_eq(gpu->bars[3].size, 32ULL << 20);
    cr_assert_not(gpu->bars[0].is_64bit);
    /* 16 GiB + 32 MiB, rounded up to the largest BAR: 32 GiB. */
    cr_assert_eq(gp_alloc_window_need(dom->devices), 32ULL << 30);

    dom->pcihole64 = 2ULL << 30;
    cr_assert_not(claim(claims, pools, dom, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_MMIO));
    cr_expect_str_eq(error->message,
                     "vm1: 64-bit MMIO window 2 GiB is too small for " GPU0
                     " (needs 32 GiB): run 'gpupool assign vm1 --pool gpus --mmio 64G' "
                     "or set <pcihole64>");
    cr_expect_eq(gp_claims_all(claims)->len, 0);

    dom->pcihole64 = 32ULL << 30;
    cr_expect(claim(claims, pools, dom, NULL));
}

Test(alloc, window_need_is_the_sum_of_the_devices_footprints)
{
    const char *const devs[] = { GPU0, GPU1, GPU2, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);

    cr_expect_eq(gp_alloc_window_need(dom->devices), 96ULL << 30);
}

Test(alloc, claim_without_pcihole64_allows_what_fits_qemus_default_window)
{
    const char *const one[] = { GPU0, NULL };
    const char *const two[] = { GPU1, GPU2, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm1", one);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm2", two);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;

    a->pcihole64 = b->pcihole64 = 0;
    cr_expect(claim(claims, pools, a, NULL), "32 GiB fit QEMU's 32 GiB default");
    cr_expect_not(claim(claims, pools, b, &error));
    cr_expect(NULL != strstr(error->message, "(QEMU's default)"), "%s", error ? error->message : "");
}

/* ---- release and reconnect ---------------------------------------------- */

Test(alloc, release_drops_exactly_this_domains_claims)
{
    const char *const a_devs[] = { GPU0, GPU1, NULL };
    const char *const b_devs[] = { GPU2, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm1", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm2", b_devs);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = gp_test_load_claims();

    cr_assert(claim(claims, pools, a, NULL));
    cr_assert(claim(claims, pools, b, NULL));
    cr_expect_eq(gp_alloc_release(claims, UUID_A, NULL), 2);
    cr_expect_null(gp_claims_find(claims, GPU0));
    cr_expect_null(gp_claims_find(claims, GPU1));
    cr_expect_str_eq(holder(claims, GPU2), "vm2");
    cr_expect_eq(gp_alloc_release(claims, UUID_A, NULL), 0, "release is idempotent");
}

Test(alloc, reconnect_claims_free_devices_again_and_warns_on_conflict_without_failing)
{
    const char *const devs[] = { GPU0, GPU1, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

    cr_assert(gp_claims_add(claims, GPU1, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_expect_eq(gp_alloc_reconnect(claims, pools, dom, warnings), 1);
    cr_expect_str_eq(holder(claims, GPU0), "vm1");
    cr_expect_str_eq(holder(claims, GPU1), "vm2", "a conflict is reported, not resolved");
    cr_assert_eq(warnings->len, 1);
    cr_expect(NULL != strstr(warnings->pdata[0], "'vm1' uses " GPU1), "%s", (char *)warnings->pdata[0]);
    cr_expect(NULL != strstr(warnings->pdata[0], "'vm2' holds it"), "%s", (char *)warnings->pdata[0]);

    g_ptr_array_set_size(warnings, 0);
    cr_expect_eq(gp_alloc_reconnect(claims, pools, dom, warnings), 0, "idempotent");
}

Test(alloc, reconnect_leaves_devices_outside_every_pool_unrecorded)
{
    const char *const devs[] = { OTHER, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

    cr_expect_eq(gp_alloc_reconnect(claims, pools, dom, warnings), 0);
    cr_expect_eq(gp_claims_all(claims)->len, 0);
    cr_expect_eq(warnings->len, 1);
}

/* ---- migration: re-pointing --------------------------------------------- */

Test(alloc, repoint_keeps_free_devices_and_moves_held_ones_to_free_members)
{
    const char *const devs[] = { GPU0, GPU1, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert(gp_claims_add(claims, GPU0, "gpus", UUID_B, "vm2", NULL, NULL));
    changes = repoint(claims, pools, dom, &error);
    cr_assert(changes != NULL, "%s", error ? error->message : "");
    cr_expect_eq(g_hash_table_size(changes), 1);
    /* GPU1 stays; GPU0 is held, GPU2 is the free one (NVIDIA is not ready). */
    cr_expect_str_eq(g_hash_table_lookup(changes, "ua-gpupool-0"), GPU2);
}

Test(alloc, repoint_fails_naming_the_pool_when_no_device_is_free)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;

    cr_assert(gp_claims_add(claims, GPU0, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_assert(gp_claims_add(claims, GPU1, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_assert(gp_claims_add(claims, GPU2, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_expect_null(repoint(claims, pools, dom, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_EXHAUSTED));
    cr_expect(NULL != strstr(error->message, "pool 'gpus' has no free device"), "%s", error->message);
}

Test(alloc, repoint_leaves_mdev_devices_alone_for_prepare_to_create)
{
    g_autoptr(GHashTable) pools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify)gp_pool_free);
    g_autoptr(GpPool) mdev = gp_pool_new("disp", GP_POOL_TYPE_MDEV, NULL);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomain) dom = gp_domain_new(UUID_A, "vm1");

    cr_assert(gp_pool_add_device(mdev, GPU1, NULL, NULL, NULL));
    g_hash_table_insert(pools, g_strdup("disp"), g_steal_pointer(&mdev));
    /* Not created yet on this host: that is prepare's job. */
    gp_domain_add_device(dom, "ua-gpupool-0", "disp", "9f3c1c2e-5b1a-4d55-9a43-6f1c0de0a001");
    changes = repoint(claims, pools, dom, &error);
    cr_assert(changes != NULL, "%s", error ? error->message : "");
    cr_expect_eq(g_hash_table_size(changes), 0);
}

/* ---- copies and refusals that a rebalance fixes ---------------------------- */

/* An mdev pool "vgpu" (not on this host: the decision reads only the
 * definition). */
static GHashTable *
mdev_pools(void)
{
    GHashTable *pools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)gp_pool_free);
    GpPool *pool = gp_pool_new("vgpu", GP_POOL_TYPE_MDEV, NULL);

    g_hash_table_insert(pools, g_strdup("vgpu"), pool);
    return pools;
}

Test(alloc, a_copied_mdev_is_refused_naming_its_holder_and_what_is_done_about_it)
{
    g_autoptr(GHashTable) pools = mdev_pools();
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autofree char *theirs = gp_domain_mdev_uuid(UUID_A, "vgpu", 0);
    g_autofree char *want_started = NULL;
    g_autofree char *want_advise = NULL;
    g_autoptr(GpDomain) copy = gp_domain_new(UUID_B, "vm1-clone");
    g_autoptr(GError) started = NULL;
    g_autoptr(GError) advise = NULL;

    gp_domain_add_device(copy, "ua-gpupool-0", "vgpu", theirs);
    cr_assert(gp_claims_add(claims, theirs, "vgpu", UUID_A, "vm1", "mbochs", NULL));
    cr_assert_not(gp_alloc_check_copies(copy, pools, claims, GP_ALLOC_REPOINT_STARTED, &started));
    cr_assert(g_error_matches(started, GP_ALLOC_ERROR, GP_ALLOC_ERROR_COPIED));
    want_started = g_strdup_printf("vm1-clone: mdev %s of pool 'vgpu' was made for another "
                                   "domain, 'vm1', which holds it (this definition is a copy "
                                   "of that domain's); vm1-clone is being re-pointed to its "
                                   "own mdev: start it again in a moment", theirs);
    cr_assert_str_eq(started->message, want_started);
    /* gpupool check starts nothing: it names the command. */
    g_clear_pointer(&claims, gp_claims_free);
    claims = gp_test_load_claims();
    cr_assert_not(gp_alloc_check_copies(copy, pools, claims, GP_ALLOC_REPOINT_ADVISE, &advise));
    want_advise = g_strdup_printf("vm1-clone: mdev %s of pool 'vgpu' was made for another "
                                  "domain (this definition is a copy of that domain's); run "
                                  "'gpupool rebalance' to give vm1-clone its own mdev", theirs);
    cr_assert_str_eq(advise->message, want_advise);
}

Test(alloc, a_domains_own_mdevs_and_other_pools_pass_the_copy_check)
{
    g_autoptr(GHashTable) pools = mdev_pools();
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autofree char *slot0 = gp_domain_mdev_uuid(UUID_B, "vgpu", 0);
    g_autofree char *slot1 = gp_domain_mdev_uuid(UUID_B, "vgpu", 1);
    g_autoptr(GpDomain) dom = gp_domain_new(UUID_B, "vm2");
    g_autoptr(GError) error = NULL;

    gp_domain_add_device(dom, "ua-gpupool-0", "vgpu", slot0);
    gp_domain_add_device(dom, "ua-gpupool-1", "vgpu", slot1);
    gp_domain_add_device(dom, "ua-gpupool-2", "gpus", GPU0);
    cr_assert(gp_alloc_check_copies(dom, pools, claims, GP_ALLOC_REPOINT_STARTED, &error), "%s",
              error ? error->message : "");
}

Test(alloc, a_device_outside_the_pool_is_said_to_be_repointed_only_when_it_is)
{
    const char *const devs[] = { OTHER, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) started = NULL;
    g_autoptr(GError) advise = NULL;
    g_autoptr(GError) manual = NULL;
    const GpDomainDevice *dev;

    pools = load_pools(dom);
    cr_assert_not(gp_alloc_claim(claims, pools, dom, NULL, &started));
    dev = gp_alloc_refused_device(claims, pools, dom);
    cr_assert_eq(dev, dom->devices->pdata[0]);
    gp_alloc_explain_refusal(&started, dom, dev, pools, GPU1, TRUE, GP_ALLOC_REPOINT_STARTED);
    cr_assert_str_eq(started->message, "vm1: " OTHER " is not a device of pool 'gpus' on this "
                     "host; vm1 is being re-pointed to a free device of pool 'gpus': start it "
                     "again in a moment");
    cr_assert_not(gp_alloc_claim(claims, pools, dom, NULL, &advise));
    gp_alloc_explain_refusal(&advise, dom, dev, pools, GPU1, TRUE, GP_ALLOC_REPOINT_ADVISE);
    cr_assert_str_eq(advise->message, "vm1: " OTHER " is not a device of pool 'gpus' on this "
                     "host: run 'gpupool rebalance' to re-point vm1 to a free device of pool "
                     "'gpus'");
    /* No free unit: nobody re-points it; the manual fix stands. */
    cr_assert_not(gp_alloc_claim(claims, pools, dom, NULL, &manual));
    gp_alloc_explain_refusal(&manual, dom, dev, pools, "", FALSE, GP_ALLOC_REPOINT_STARTED);
    cr_assert_str_eq(manual->message, "vm1: " OTHER " is not a device of pool 'gpus' on this "
                     "host: run 'gpupool unassign vm1' and 'gpupool assign vm1 --pool gpus'");
}
