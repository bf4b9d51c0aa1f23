/* The claim logic of the libvirt hook (src/ops/alloc.c) and the hook binary
 * itself (hooks/gpupool-hook), on a simulated host. */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/paths.h"
#include "state/claims.h"
#include "state/domain.h"
#include "state/domxml.h"
#include "state/pool.h"
#include "state/poolstore.h"
#include "policy/alloc.h"
#include "policy/capacity.h"
#include "ledger/ledger.h"
#include "ledger/probe.h"
#include "ops/lifecycle.h"
#include "ops/poolhost.h"
#include "ops/rebalance.h"
#include "sim.h"

#define UUID_A "11111111-1111-4111-8111-111111111111"
#define UUID_B "22222222-2222-4222-8222-222222222222"
#define UUID_C "33333333-3333-4333-8333-333333333333"

#define GPU0 "0000:41:00.0"
#define GPU1 "0000:42:00.0"
#define GPU2 "0000:43:00.0"
#define AUDIO0 "0000:41:00.1"
#define OTHER "0000:44:00.0"  /* on the host, in no pool */
#define NVIDIA "0000:45:00.0" /* in the pool, but bound to nvidia */

static GpSim *sim;

/* A host with four GPUs bound to vfio-pci (one with an HDMI audio
 * companion), one GPU still bound to nvidia, and pool "gpus" holding
 * GPU0 (+ audio), GPU1, GPU2 and NVIDIA. */
static void
add_gpu(const char *rp, guint8 bus, const char *addr, const char *driver, gboolean mf)
{
    GpSimPciSpec spec = {
        .addr = addr, .parent = rp, .vendor = 0x10de, .device = 0x20b5,
        .class_code = 0x030200, .driver = driver, .multifunction = mf,
        .bars = {
            [0] = { .size = 16 << 20 },
            [1] = { .size = 16ULL << 30, .is_64bit = TRUE, .prefetchable = TRUE },
            [3] = { .size = 32 << 20, .is_64bit = TRUE, .prefetchable = TRUE },
        },
    };

    gp_sim_add_root_port(sim, rp, bus);
    gp_sim_add_pci(sim, &spec);
}

static void
setup_host(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;
    GpSimPciSpec audio = {
        .addr = AUDIO0, .parent = "0000:00:01.0", .vendor = 0x10de, .device = 0x22ba,
        .class_code = 0x040300, .driver = "vfio-pci", .group_with = GPU0,
    };

    sim = gp_sim_new();
    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "vfio-pci");
    gp_sim_add_driver(sim, "nvidia");
    gp_sim_add_driver(sim, "pcieport");
    add_gpu("0000:00:01.0", 0x41, GPU0, "vfio-pci", TRUE);
    gp_sim_add_pci(sim, &audio);
    add_gpu("0000:00:02.0", 0x42, GPU1, "vfio-pci", FALSE);
    add_gpu("0000:00:03.0", 0x43, GPU2, "vfio-pci", FALSE);
    add_gpu("0000:00:04.0", 0x44, OTHER, "vfio-pci", FALSE);
    add_gpu("0000:00:05.0", 0x45, NVIDIA, "nvidia", FALSE);

    pool = gp_pool_new("gpus", GP_POOL_TYPE_PCI, &error);
    cr_assert(pool != NULL, "%s", error ? error->message : "");
    cr_assert(gp_pool_add_device(pool, GPU0, "nvidia", NULL, NULL));
    cr_assert(gp_pool_add_device(pool, AUDIO0, "snd_hda_intel", GPU0, NULL));
    cr_assert(gp_pool_add_device(pool, GPU1, "nvidia", NULL, NULL));
    cr_assert(gp_pool_add_device(pool, GPU2, "nvidia", NULL, NULL));
    cr_assert(gp_pool_add_device(pool, NVIDIA, "nvidia", NULL, NULL));
    cr_assert(gp_poolstore_save(pool, &error), "%s", error ? error->message : "");
}

static void
teardown_host(void)
{
    g_clear_pointer(&sim, gp_sim_free);
}

TestSuite(hook, .init = setup_host, .fini = teardown_host);

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

static GpClaims *
load_claims(void)
{
    g_autoptr(GError) error = NULL;
    GpClaims *claims = gp_claims_load(&error);

    cr_assert(claims != NULL, "%s", error ? error->message : "");
    return claims;
}

static char *
claims_file(void)
{
    return g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
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

/* Domain vm1 (UUID_A) asks for DEVICE of pool "gpus" alone: the claim's
 * result, with the claims as they stand afterwards in *CLAIMS. */
static gboolean
vm1_claims_alone(const char *device, GpClaims **claims, GError **error)
{
    const char *const devs[] = { device, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);

    *claims = load_claims();
    return claim(*claims, pools, dom, error);
}

/* ---- claim decisions ---------------------------------------------------- */

Test(hook, claim_records_every_device_for_the_domain)
{
    const char *const devs[] = { GPU0, GPU1, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = load_claims();
    g_autoptr(GError) error = NULL;

    cr_assert(claim(claims, pools, dom, &error), "%s", error ? error->message : "");
    cr_expect_str_eq(holder(claims, GPU0), "vm1");
    cr_expect_str_eq(holder(claims, GPU1), "vm1");
    cr_expect_eq(gp_claims_all(claims)->len, 2);
    cr_expect_str_eq(gp_claims_find(claims, GPU0)->domain_uuid, UUID_A);
    cr_expect_str_eq(gp_claims_find(claims, GPU0)->pool, "gpus");
}

Test(hook, claim_again_by_the_same_domain_succeeds_and_adds_nothing)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = load_claims();
    g_autoptr(GError) error = NULL;

    cr_assert(claim(claims, pools, dom, NULL));
    cr_assert(claim(claims, pools, dom, &error), "%s", error ? error->message : "");
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(hook, claim_of_held_device_fails_naming_device_holder_free_devices_and_fix)
{
    const char *const a_devs[] = { GPU0, NULL };
    const char *const b_devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm2", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm1", b_devs);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = load_claims();
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

Test(hook, claim_is_all_or_nothing_when_one_device_is_held)
{
    const char *const a_devs[] = { GPU1, NULL };
    const char *const b_devs[] = { GPU0, GPU1, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm2", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm1", b_devs);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = load_claims();

    cr_assert(claim(claims, pools, a, NULL));
    cr_assert_not(claim(claims, pools, b, NULL));
    cr_expect_null(gp_claims_find(claims, GPU0), "GPU0 must not be claimed by a failed start");
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(hook, claim_fails_when_pool_exhausted_and_says_none_is_free)
{
    const char *const a_devs[] = { GPU0, GPU1, GPU2, NVIDIA, NULL };
    const char *const b_devs[] = { GPU2, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "big", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm1", b_devs);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = load_claims();
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

Test(hook, claim_refuses_device_outside_the_pool)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert_not(vm1_claims_alone(OTHER, &claims, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER));
    cr_expect(NULL != strstr(error->message, OTHER " is not a device of pool 'gpus'"), "%s", error->message);
    cr_expect(NULL != strstr(error->message, "gpupool assign vm1 --pool gpus"), "%s", error->message);
    cr_expect_eq(gp_claims_all(claims)->len, 0);
}

Test(hook, claim_refuses_a_companion_function_on_its_own)
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
Test(hook, a_group_companion_in_another_slot_is_never_offered_to_a_domain)
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
    claims = load_claims();
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

Test(hook, claim_refuses_device_not_bound_to_vfio_pci_and_says_run_setup)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert_not(vm1_claims_alone(NVIDIA, &claims, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_READY));
    cr_expect(NULL != strstr(error->message, "bound to nvidia, not vfio-pci"), "%s", error->message);
    cr_expect(NULL != strstr(error->message, "gpupool setup"), "%s", error->message);
}

Test(hook, claim_refuses_device_missing_from_this_host)
{
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert_not(vm1_claims_alone("0000:99:00.0", &claims, &error));
    cr_expect(NULL != strstr(error->message, "does not exist on this host"), "%s", error->message);
}

Test(hook, claim_refuses_too_small_mmio_window_and_says_what_to_set)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = load_claims();
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

Test(hook, window_need_is_the_sum_of_the_devices_footprints)
{
    const char *const devs[] = { GPU0, GPU1, GPU2, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);

    cr_expect_eq(gp_alloc_window_need(dom->devices), 96ULL << 30);
}

Test(hook, claim_without_pcihole64_allows_what_fits_qemus_default_window)
{
    const char *const one[] = { GPU0, NULL };
    const char *const two[] = { GPU1, GPU2, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm1", one);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm2", two);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = load_claims();
    g_autoptr(GError) error = NULL;

    a->pcihole64 = b->pcihole64 = 0;
    cr_expect(claim(claims, pools, a, NULL), "32 GiB fit QEMU's 32 GiB default");
    cr_expect_not(claim(claims, pools, b, &error));
    cr_expect(NULL != strstr(error->message, "(QEMU's default)"), "%s", error ? error->message : "");
}

/* ---- release, reconnect, reconcile -------------------------------------- */

Test(hook, release_drops_exactly_this_domains_claims)
{
    const char *const a_devs[] = { GPU0, GPU1, NULL };
    const char *const b_devs[] = { GPU2, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm1", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm2", b_devs);
    g_autoptr(GHashTable) pools = load_pools(a);
    g_autoptr(GpClaims) claims = load_claims();

    cr_assert(claim(claims, pools, a, NULL));
    cr_assert(claim(claims, pools, b, NULL));
    cr_expect_eq(gp_alloc_release(claims, UUID_A), 2);
    cr_expect_null(gp_claims_find(claims, GPU0));
    cr_expect_null(gp_claims_find(claims, GPU1));
    cr_expect_str_eq(holder(claims, GPU2), "vm2");
    cr_expect_eq(gp_alloc_release(claims, UUID_A), 0, "release is idempotent");
}

Test(hook, reconnect_claims_free_devices_again_and_warns_on_conflict_without_failing)
{
    const char *const devs[] = { GPU0, GPU1, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = load_claims();
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

Test(hook, reconnect_leaves_devices_outside_every_pool_unrecorded)
{
    const char *const devs[] = { OTHER, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = load_claims();
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

    cr_expect_eq(gp_alloc_reconnect(claims, pools, dom, warnings), 0);
    cr_expect_eq(gp_claims_all(claims)->len, 0);
    cr_expect_eq(warnings->len, 1);
}

Test(hook, reconcile_drops_claims_of_domains_that_no_longer_run)
{
    g_autoptr(GpClaims) claims = load_claims();
    g_autoptr(GHashTable) running = g_hash_table_new(g_str_hash, g_str_equal);

    cr_assert(gp_claims_add(claims, GPU0, "gpus", UUID_A, "vm1", NULL, NULL));
    cr_assert(gp_claims_add(claims, GPU1, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_assert(gp_claims_add(claims, GPU2, "gpus", UUID_B, "vm2", NULL, NULL));
    g_hash_table_add(running, (gpointer)UUID_A);
    cr_expect_eq(reconcile(&claims, running), 2);
    cr_expect_str_eq(holder(claims, GPU0), "vm1");
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

/* ---- migration: re-pointing --------------------------------------------- */

Test(hook, repoint_keeps_free_devices_and_moves_held_ones_to_free_members)
{
    const char *const devs[] = { GPU0, GPU1, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = load_claims();
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert(gp_claims_add(claims, GPU0, "gpus", UUID_B, "vm2", NULL, NULL));
    changes = repoint(claims, pools, dom, &error);
    cr_assert(changes != NULL, "%s", error ? error->message : "");
    cr_expect_eq(g_hash_table_size(changes), 1);
    /* GPU1 stays; GPU0 is held, GPU2 is the free one (NVIDIA is not ready). */
    cr_expect_str_eq(g_hash_table_lookup(changes, "ua-gpupool-0"), GPU2);
}

Test(hook, repoint_fails_naming_the_pool_when_no_device_is_free)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GHashTable) pools = load_pools(dom);
    g_autoptr(GpClaims) claims = load_claims();
    g_autoptr(GError) error = NULL;

    cr_assert(gp_claims_add(claims, GPU0, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_assert(gp_claims_add(claims, GPU1, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_assert(gp_claims_add(claims, GPU2, "gpus", UUID_B, "vm2", NULL, NULL));
    cr_expect_null(repoint(claims, pools, dom, &error));
    cr_assert(g_error_matches(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_EXHAUSTED));
    cr_expect(NULL != strstr(error->message, "pool 'gpus' has no free device"), "%s", error->message);
}

/* ---- transactions ------------------------------------------------------- */

Test(hook, prepare_and_release_transactions_persist_claims)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpClaims) after = NULL;
    guint dropped = 99;

    cr_assert(gp_lifecycle_prepare(dom, &error), "%s", error ? error->message : "");
    after = load_claims();
    cr_expect_str_eq(holder(after, GPU0), "vm1");
    cr_assert(gp_lifecycle_release(UUID_A, &dropped, &error));
    cr_expect_eq(dropped, 1);
    g_clear_pointer(&after, gp_claims_free);
    after = load_claims();
    cr_expect_eq(gp_claims_all(after)->len, 0);
}

Test(hook, prepare_refusal_leaves_the_state_file_byte_for_byte)
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

Test(hook, crash_between_write_and_rename_leaves_the_old_state)
{
    const char *const a_devs[] = { GPU0, NULL };
    const char *const b_devs[] = { GPU1, NULL };
    g_autoptr(GpDomain) a = domain_new(UUID_A, "vm1", a_devs);
    g_autoptr(GpDomain) b = domain_new(UUID_B, "vm2", b_devs);
    g_autoptr(GpClaims) claims = NULL;
    g_autofree char *path = claims_file();
    g_autofree char *tmp = g_build_filename(gp_sim_statedir(sim), ".claims.xml.Xy12Zq", NULL);
    g_autoptr(GError) error = NULL;

    cr_assert(gp_lifecycle_prepare(a, NULL));
    /* What a transaction that died after writing its temporary file and
     * before the rename leaves behind: the complete new state, and a
     * half-written one, next to the old file. */
    cr_assert(g_file_set_contents(tmp, "<claims><claim device='" GPU2 "' pool='gpus' "
                                  "domain-uuid='" UUID_C "' domain-name='ghost' since='1'/>"
                                  "</claims>\n", -1, NULL));
    claims = load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 1, "the unrenamed file is not the state");
    cr_expect_str_eq(holder(claims, GPU0), "vm1");
    cr_expect_null(gp_claims_find(claims, GPU2));

    cr_assert(gp_lifecycle_prepare(b, &error), "%s", error ? error->message : "");
    g_clear_pointer(&claims, gp_claims_free);
    claims = load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 2);
    cr_expect_null(gp_claims_find(claims, GPU2));
}

Test(hook, prepare_with_corrupt_state_fails_naming_the_file_and_changes_nothing)
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

Test(hook, concurrent_prepares_for_one_device_let_exactly_one_win)
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
    claims = load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 1);
}

Test(hook, release_drops_the_claims_even_after_the_pool_was_undefined)
{
    const char *const devs[] = { GPU0, NULL };
    g_autoptr(GpDomain) dom = domain_new(UUID_A, "vm1", devs);
    g_autoptr(GpClaims) after = NULL;
    g_autoptr(GError) error = NULL;
    guint dropped = 0;

    cr_assert(gp_lifecycle_prepare(dom, NULL));
    cr_assert(gp_poolstore_delete("gpus", NULL));
    cr_assert(gp_lifecycle_release(UUID_A, &dropped, &error), "%s",
              error ? error->message : "");
    cr_expect_eq(dropped, 1);
    after = load_claims();
    cr_expect_eq(gp_claims_all(after)->len, 0);
}

Test(hook, repoint_leaves_mdev_devices_alone_for_prepare_to_create)
{
    g_autoptr(GHashTable) pools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify)gp_pool_free);
    g_autoptr(GpPool) mdev = gp_pool_new("disp", GP_POOL_TYPE_MDEV, NULL);
    g_autoptr(GpClaims) claims = load_claims();
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

/* ---- the asynchronous rebalance's flag ---------------------------------- */

Test(hook, rebalance_flag_coalesces_a_burst_and_is_taken_over_when_stale)
{
    g_autofree char *flag = gp_paths_rebalance_pending();

    cr_expect(gp_rebalance_mark(60), "the first change starts a rebalance");
    cr_expect_not(gp_rebalance_mark(60), "the next ones find it pending");
    cr_expect_not(gp_rebalance_mark(60));
    cr_expect(g_file_test(flag, G_FILE_TEST_EXISTS));
    gp_rebalance_begin();
    cr_expect_not(g_file_test(flag, G_FILE_TEST_EXISTS));
    cr_expect(gp_rebalance_mark(60), "a change after the rebalance began needs another");
    /* A pending flag older than the limit: its rebalance died. */
    cr_expect(gp_rebalance_mark(-1));
}

Test(hook, rebalance_turn_waits_for_the_running_rebalance_then_clears_the_flag)
{
    g_autofree char *flag = gp_paths_rebalance_pending();
    g_autofree char *lock = g_build_filename(gp_sim_statedir(sim), "rebalance.lock", NULL);
    gint64 t0;
    int fds[2];
    int fd;
    pid_t pid;
    char c;

    cr_assert(g_mkdir_with_parents(gp_sim_statedir(sim), 0755) == 0);
    cr_assert(pipe(fds) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        /* A running rebalance: holds the lock for a second. */
        int l = open(lock, O_RDWR | O_CREAT, 0600);

        flock(l, LOCK_EX);
        (void)!write(fds[1], "x", 1);
        g_usleep(G_USEC_PER_SEC);
        _exit(0);
    }
    cr_assert(read(fds[0], &c, 1) == 1);
    cr_assert(gp_rebalance_mark(60));
    t0 = g_get_monotonic_time();
    fd = gp_rebalance_take_turn();
    cr_expect_geq(g_get_monotonic_time() - t0, G_USEC_PER_SEC / 2, "did not wait for its turn");
    cr_expect_geq(fd, 0);
    cr_expect_not(g_file_test(flag, G_FILE_TEST_EXISTS), "the flag is cleared once it begins");
    close(fd);
    waitpid(pid, NULL, 0);
}

/* ---- the hook binary, run as libvirt runs it ---------------------------- */

/* A domain NAME/UUID with gpupool devices at the PCI addresses in ADDRS
 * (NULL-terminated; bus numbers only), as libvirt hands it to hooks. */
static char *
domain_xml(const char *name, const char *uuid, const char *const *addrs)
{
    g_autoptr(GString) meta = g_string_new(NULL);
    g_autoptr(GString) hostdevs = g_string_new(NULL);
    guint n = 0;

    for (; addrs && addrs[n]; n++) {
        guint bus = 0;

        cr_assert_eq(sscanf(addrs[n], "0000:%x:00.0", &bus), 1);
        g_string_append_printf(meta, "<gpupool:device alias='ua-gpupool-%u' pool='gpus' "
                               "address='%s'/>", n, addrs[n]);
        g_string_append_printf(hostdevs, "<hostdev mode='subsystem' type='pci' managed='no'>"
                               "<source><address domain='0x0000' bus='0x%02x' slot='0x00' "
                               "function='0x0'/></source><alias name='ua-gpupool-%u'/>"
                               "</hostdev>\n", bus, n);
    }
    if (n > 0) {
        g_string_prepend(meta, "  <metadata>\n    <gpupool:assignment "
                         "xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>");
        g_string_append_printf(meta, "<gpupool:request pool='gpus' count='%u'/>", n);
        g_string_append(meta, "</gpupool:assignment>\n  </metadata>\n");
    }
    return g_strdup_printf(
        "<domain type='qemu'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
        "  <memory unit='KiB'>65536</memory>\n%s"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n%s"
        "  </devices>\n</domain>\n",
        name, uuid, meta->str, hostdevs->str);
}

typedef struct {
    int status;
    char *out;
    char *err;
    double seconds;  /* until stdout and stderr were closed */
} HookRun;

static void
hook_run_clear(HookRun *run)
{
    g_free(run->out);
    g_free(run->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HookRun, hook_run_clear)

static char *
read_fd_all(int fd)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        g_string_append_len(s, buf, n);
    }
    close(fd);
    return g_string_free(s, FALSE);
}

static char *
hook_path(void)
{
    const char *top = g_getenv("top_builddir");

    return g_build_filename(top ? top : ".", "hooks", "gpupool-hook", NULL);
}

/* Runs the hook binary with XML on stdin (NULL: a pipe nobody writes to,
 * kept open, so a hook that reads stdin would hang) and the sim's
 * environment, as libvirt does: DOMAIN OP SUB -. */
static void
run_hook(HookRun *run, const char *domain, const char *op, const char *sub, const char *xml)
{
    g_autofree char *path = hook_path();
    int in[2], out[2], err[2];
    gint64 t0 = g_get_monotonic_time();
    pid_t pid;

    cr_assert(pipe(in) == 0 && pipe(out) == 0 && pipe(err) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[0]); close(err[1]);
        execl(path, path, domain, op, sub, "-", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (xml) {
        /* The hook may not read at all: a short write to a closed pipe
         * is fine, as it is for libvirt. */
        signal(SIGPIPE, SIG_IGN);
        (void)!write(in[1], xml, strlen(xml));
        close(in[1]);
        in[1] = -1;
    }
    run->out = read_fd_all(out[0]);
    run->err = read_fd_all(err[0]);
    run->seconds = (g_get_monotonic_time() - t0) / 1e6;
    cr_assert(waitpid(pid, &run->status, 0) == pid);
    run->status = WIFEXITED(run->status) ? WEXITSTATUS(run->status) : 128 + WTERMSIG(run->status);
    if (in[1] >= 0)
        close(in[1]);
}

/* A stand-in for `gpupool rebalance` that takes its time. */
static void
fake_rebalance(guint sleep_seconds)
{
    g_autofree char *path = g_build_filename(gp_sim_base(sim), "fake-gpupool", NULL);
    /* Records when it began and ended, and whether the pending flag was
     * already cleared when it began (it must be). */
    g_autofree char *script = g_strdup_printf(
        "#!/bin/sh\nf=cleared; [ -e \"$GPUPOOL_STATEDIR/rebalance-pending\" ] && f=pending\n"
        "echo \"$1 begin $(date +%%s%%N) $f\" >> \"$GPUPOOL_STATEDIR/rebalance-ran\"\n"
        "sleep %u\n"
        "echo \"$1 end $(date +%%s%%N)\" >> \"$GPUPOOL_STATEDIR/rebalance-ran\"\n", sleep_seconds);

    cr_assert(g_file_set_contents(path, script, -1, NULL));
    cr_assert(chmod(path, 0755) == 0);
    g_setenv("GPUPOOL_CLI", path, TRUE);
}

static guint
dir_entries(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

Test(hook, binary_exits_at_once_for_a_domain_without_request_and_leaves_no_state)
{
    g_autofree char *xml = domain_xml("plain", UUID_A, NULL);
    const char *ops[][2] = { { "prepare", "begin" }, { "release", "end" },
                             { "reconnect", "begin" }, { "migrate", "begin" },
                             { "restore", "begin" } };

    fake_rebalance(0);
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_auto(HookRun) run = { 0 };

        run_hook(&run, "plain", ops[i][0], ops[i][1], xml);
        cr_expect_eq(run.status, 0, "%s %s: %s", ops[i][0], ops[i][1], run.err);
        cr_expect_str_empty(run.out, "no replacement XML for a plain domain");
        cr_expect_str_empty(run.err);
    }
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0, "no lock, no claims, no flag");
}

Test(hook, binary_ignores_operations_it_does_not_handle_without_reading_stdin)
{
    const char *ops[][2] = { { "start", "begin" }, { "started", "begin" },
                             { "stopped", "end" }, { "prepare", "end" }, { "attach", "begin" } };

    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_auto(HookRun) run = { 0 };

        /* stdin stays open and empty: a hook that read it would hang. */
        run_hook(&run, "vm1", ops[i][0], ops[i][1], NULL);
        cr_expect_eq(run.status, 0, "%s %s", ops[i][0], ops[i][1]);
        cr_expect_lt(run.seconds, 2.0);
    }
}

Test(hook, binary_claim_then_conflicting_claim_by_another_domain_fails_with_one_line)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, devs);
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_autoptr(GpClaims) claims = NULL;
    g_auto(HookRun) first = { 0 };
    g_auto(HookRun) second = { 0 };
    g_auto(HookRun) release = { 0 };
    g_auto(HookRun) again = { 0 };

    fake_rebalance(0);
    run_hook(&first, "vm2", "prepare", "begin", vm2);
    cr_assert_eq(first.status, 0, "%s", first.err);
    cr_expect_str_empty(first.err);

    run_hook(&second, "vm1", "prepare", "begin", vm1);
    cr_expect_eq(second.status, 1);
    /* NVIDIA is not free: it needs 'gpupool setup' first. */
    cr_expect_str_eq(second.err, "gpupool: " GPU0 " of pool 'gpus' is held by domain 'vm2'; "
                     "free: " GPU1 ", " GPU2 "; run 'gpupool rebalance' or start "
                     "the domain again in a moment\n");
    claims = load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 1);
    cr_expect_str_eq(holder(claims, GPU0), "vm2");

    run_hook(&release, "vm2", "release", "end", vm2);
    cr_expect_eq(release.status, 0, "%s", release.err);
    g_clear_pointer(&claims, gp_claims_free);
    claims = load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 0, "release gives the device back");

    run_hook(&again, "vm1", "prepare", "begin", vm1);
    cr_expect_eq(again.status, 0, "%s", again.err);
}

Test(hook, binary_release_of_a_domain_holding_nothing_succeeds)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_auto(HookRun) run = { 0 };

    fake_rebalance(0);
    run_hook(&run, "vm1", "release", "end", vm1);
    cr_expect_eq(run.status, 0, "%s", run.err);
    cr_expect_str_empty(run.err);
}

/* Lines of STATEDIR/rebalance-ran once it has WANT "end" lines (waits up
 * to 10 s). */
static gchar **
rebalance_log(guint want)
{
    g_autofree char *ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);

    for (int i = 0; i < 100; i++) {
        g_autofree char *text = NULL;
        guint ends = 0;

        if (g_file_get_contents(ran, &text, NULL, NULL)) {
            for (const char *p = strstr(text, " end "); p; p = strstr(p + 1, " end "))
                ends++;
            if (ends >= want)
                return g_strsplit(g_strstrip(text), "\n", -1);
        }
        g_usleep(100 * 1000);
    }
    return g_new0(gchar *, 1);
}

Test(hook, binary_starts_rebalance_detached_so_libvirt_is_not_kept_waiting)
{
    const char *const devs[] = { GPU1, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_autofree char *ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);
    g_auto(GStrv) log = NULL;
    g_auto(HookRun) run = { 0 };

    fake_rebalance(3);
    run_hook(&run, "vm1", "prepare", "begin", vm1);
    cr_assert_eq(run.status, 0, "%s", run.err);
    /* stdout and stderr were closed long before the rebalance finished. */
    cr_expect_lt(run.seconds, 1.5);
    log = rebalance_log(1);
    cr_assert_eq(g_strv_length(log), 2, "the rebalance never ran to its end");
    cr_expect(g_str_has_prefix(log[0], "rebalance begin "), "%s", log[0]);
    cr_expect(g_str_has_suffix(log[0], " cleared"), "the flag is cleared before it begins: %s", log[0]);
}

Test(hook, binary_change_during_a_running_rebalance_gets_one_more_rebalance_after_it)
{
    const char *const d0[] = { GPU0, NULL };
    const char *const d1[] = { GPU1, NULL };
    const char *const d2[] = { GPU2, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, d0);
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, d1);
    g_autofree char *vm3 = domain_xml("vm3", UUID_C, d2);
    g_auto(GStrv) log = NULL;
    g_auto(HookRun) a = { 0 };
    g_auto(HookRun) b = { 0 };
    g_auto(HookRun) c = { 0 };
    guint64 end1 = 0, begin2 = 0;

    fake_rebalance(2);
    run_hook(&a, "vm1", "prepare", "begin", vm1);
    g_usleep(700 * 1000);  /* the first rebalance is running now */
    run_hook(&b, "vm2", "prepare", "begin", vm2);
    run_hook(&c, "vm3", "prepare", "begin", vm3);
    cr_assert(a.status == 0 && b.status == 0 && c.status == 0);
    log = rebalance_log(2);
    g_usleep(2500 * 1000);  /* a third would have begun by now */
    g_strfreev(log);
    log = rebalance_log(2);
    cr_assert_eq(g_strv_length(log), 4, "two rebalances, one after the other");
    cr_expect(sscanf(log[1], "rebalance end %" G_GUINT64_FORMAT, &end1) == 1, "%s", log[1]);
    cr_expect(sscanf(log[2], "rebalance begin %" G_GUINT64_FORMAT, &begin2) == 1, "%s", log[2]);
    cr_expect_geq(begin2, end1, "the second began after the first ended");
}

Test(hook, binary_burst_of_changes_starts_one_rebalance)
{
    const char *const d0[] = { GPU0, NULL };
    const char *const d1[] = { GPU1, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, d0);
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, d1);
    g_autofree char *flag = gp_paths_rebalance_pending();
    g_autofree char *ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);
    g_autofree char *ran_text = NULL;
    g_auto(HookRun) a = { 0 };
    g_auto(HookRun) b = { 0 };
    g_auto(HookRun) c = { 0 };

    /* A rebalance is pending (started, not yet begun): the burst joins it. */
    cr_assert(gp_rebalance_mark(60));
    fake_rebalance(0);
    run_hook(&a, "vm1", "prepare", "begin", vm1);
    run_hook(&b, "vm2", "prepare", "begin", vm2);
    run_hook(&c, "vm1", "release", "end", vm1);
    cr_assert(a.status == 0 && b.status == 0 && c.status == 0);
    g_usleep(500 * 1000);
    cr_expect_not(g_file_test(ran, G_FILE_TEST_EXISTS), "no second rebalance while one is pending");
    cr_expect(g_file_test(flag, G_FILE_TEST_EXISTS));
}

Test(hook, binary_refuses_to_start_a_domain_with_malformed_metadata)
{
    const char *xml =
        "<domain type='qemu'><name>vm1</name><uuid>" UUID_A "</uuid><metadata>"
        "<gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        "<gpupool:request pool='../../etc' count='1'/></gpupool:assignment></metadata>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices/></domain>";
    g_auto(HookRun) run = { 0 };

    run_hook(&run, "vm1", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: "), "%s", run.err);
    cr_expect_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "one line: %s", run.err);
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0, "%s", run.err);
}

Test(hook, binary_refuses_to_restore_a_pool_domain_from_a_saved_image)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_auto(HookRun) run = { 0 };

    run_hook(&run, "vm1", "restore", "begin", vm1);
    cr_expect_eq(run.status, 1);
    cr_expect_str_empty(run.out);
    cr_expect(NULL != strstr(run.err, "never restored from a saved image"), "%s", run.err);
    cr_expect(NULL != strstr(run.err, "virsh managedsave-remove vm1"), "%s", run.err);
}

/* Whole devices never arrive with a running guest: the destination
 * refuses at once (tests/unit/test-migrate.c re-points partitions). */
Test(hook, binary_migrate_refuses_a_domain_with_whole_devices_in_one_line)
{
    const char *const held[] = { GPU0, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, held);
    g_auto(HookRun) run = { 0 };

    fake_rebalance(0);
    run_hook(&run, "vm1", "migrate", "begin", vm1);
    cr_expect_eq(run.status, 1);
    cr_expect_str_eq(run.err, "gpupool: vm1: pool gpus hands out whole devices; stop the domain "
                              "and start it on the destination, or let the cluster restart it\n");
    cr_expect_str_eq(run.out, "");
}

Test(hook, binary_refuses_oversized_domain_xml_at_prepare_and_ignores_it_at_release)
{
    /* Over the 16 MiB bound, mentioning the namespace only at the end. */
    gsize size = 17 * 1024 * 1024;
    g_autofree char *xml = g_malloc(size + 1);
    g_auto(HookRun) prepare = { 0 };
    g_auto(HookRun) release = { 0 };
    const char *tail = "<!-- http://gpupool.org/xmlns/domain/1.0 --></domain>";

    memset(xml, ' ', size);
    memcpy(xml, "<domain>", 8);
    memcpy(xml + size - strlen(tail), tail, strlen(tail));
    xml[size] = '\0';
    run_hook(&prepare, "huge", "prepare", "begin", xml);
    cr_expect_eq(prepare.status, 1);
    cr_expect(NULL != strstr(prepare.err, "huge: cannot read the domain XML (over 16 MiB"),
              "%s", prepare.err);
    run_hook(&release, "huge", "release", "end", xml);
    cr_expect_eq(release.status, 0, "%s", release.err);
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0);
}

/* ---- domains that pass host devices through without gpupool ------------ */

/* A domain without gpupool metadata whose <devices> hold DEVICES as
 * libvirt formats them. */
static char *
plain_xml(const char *name, const char *uuid, const char *devices)
{
    return g_strdup_printf(
        "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
        "  <memory unit='KiB'>65536</memory>\n"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n%s"
        "  </devices>\n</domain>\n", name, uuid, devices);
}

#define PCI_HOSTDEV(bus, fn) \
    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n" \
    "        <address domain='0x0000' bus='" bus "' slot='0x00' function='" fn "'/>\n" \
    "      </source>\n    </hostdev>\n"

Test(hook, binary_refuses_a_plain_domain_whose_hostdev_names_a_pool_device)
{
    g_autofree char *xml = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x41", "0x0"));
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_auto(HookRun) run = { 0 };

    fake_rebalance(0);
    run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect_str_eq(run.err, "gpupool: vm9: " GPU0 " belongs to pool 'gpus'; give the domain "
                     "pool devices with 'gpupool assign vm9 --pool gpus' instead of a "
                     "<hostdev>\n");
    cr_expect_str_empty(run.out);
    after = gp_sim_snapshot(sim);
    cr_expect_str_eq(after, before, "the host was touched");
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0, "no lock, no claims, no rebalance");
}

Test(hook, binary_refuses_a_plain_domain_that_takes_a_pool_devices_companion)
{
    g_autofree char *xml = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x41", "0x1"));
    g_auto(HookRun) run = { 0 };

    run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: vm9: " AUDIO0 " belongs to pool 'gpus'; "),
              "%s", run.err);
}

Test(hook, binary_refuses_a_pool_vf_given_as_a_hostdev_interface)
{
    /* An <interface type='hostdev'> passes a PCI device through as well. */
    g_autofree char *xml = plain_xml(
        "vm9", UUID_C,
        "    <interface type='hostdev' managed='yes'>\n      <source>\n"
        "        <address type='pci' domain='0x0000' bus='0x43' slot='0x00' function='0x0'/>\n"
        "      </source>\n    </interface>\n");
    g_auto(HookRun) run = { 0 };

    run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: vm9: " GPU2 " belongs to pool 'gpus'; "),
              "%s", run.err);
}

Test(hook, binary_refuses_a_pool_domain_with_an_extra_hostdev_of_the_pool)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *assigned = domain_xml("vm1", UUID_A, devs);
    g_autoptr(GString) xml = g_string_new(assigned);
    g_autoptr(GpClaims) claims = NULL;
    g_auto(HookRun) run = { 0 };

    /* A hand-added <hostdev> next to the one gpupool gave it. */
    g_string_replace(xml, "  </devices>", PCI_HOSTDEV("0x42", "0x0") "  </devices>", 1);
    fake_rebalance(0);
    run_hook(&run, "vm1", "prepare", "begin", xml->str);
    cr_expect_eq(run.status, 1);
    cr_expect_str_eq(run.err, "gpupool: vm1: " GPU1 " belongs to pool 'gpus'; give the domain "
                     "pool devices with 'gpupool assign vm1 --pool gpus' instead of a "
                     "<hostdev>\n");
    claims = load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 0, "nothing claimed for a refused start");
}

Test(hook, binary_lets_other_hostdevs_and_other_operations_pass_untouched)
{
    g_autofree char *other = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x44", "0x0"));
    g_autofree char *pool_dev = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x41", "0x0"));
    const char *ops[][2] = { { "release", "end" }, { "reconnect", "begin" },
                             { "migrate", "begin" }, { "restore", "begin" } };
    g_auto(HookRun) run = { 0 };

    run_hook(&run, "vm9", "prepare", "begin", other);
    cr_expect_eq(run.status, 0, "%s", run.err);
    cr_expect_str_empty(run.err);
    cr_expect_str_empty(run.out);
    /* Only a start is checked: libvirt runs prepare for every start,
     * incoming migration and restore. */
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_auto(HookRun) r = { 0 };

        run_hook(&r, "vm9", ops[i][0], ops[i][1], pool_dev);
        cr_expect_eq(r.status, 0, "%s %s: %s", ops[i][0], ops[i][1], r.err);
        cr_expect_str_empty(r.out);
        cr_expect_str_empty(r.err);
    }
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0);
}

Test(hook, binary_refuses_a_plain_domain_whose_hostdev_names_a_claimed_device)
{
    g_autofree char *xml = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x44", "0x0"));
    g_autoptr(GpClaims) claims = load_claims();
    g_autoptr(GError) error = NULL;
    g_auto(HookRun) run = { 0 };

    /* A running domain still holds OTHER of a pool that was undefined. */
    cr_assert(gp_claims_add(claims, OTHER, "old", UUID_A, "vm1", NULL, &error));
    cr_assert(gp_claims_save(claims, &error), "%s", error ? error->message : "");
    run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: vm9: " OTHER " belongs to pool 'old'; "),
              "%s", run.err);
}
