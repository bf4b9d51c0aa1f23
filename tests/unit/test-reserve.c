/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which units a stopped domain reserves (src/policy/reserve.c): the pure
 * choice of `gpupool assign` and the re-pointing plan of `gpupool
 * rebalance`, from candidates and claims built by hand; no libvirt, no
 * host. */
#include "config.h"

#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "state/claims.h"
#include "state/domain.h"
#include "policy/reserve.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-000000000001"
#define UUID_B "bbbbbbbb-0000-4000-8000-000000000002"
#define UUID_C "cccccccc-0000-4000-8000-000000000003"
#define UUID_D "dddddddd-0000-4000-8000-000000000004"

static char *statedir;

/* Claims start from an empty state directory of the test's own. */
static void
setup(void)
{
    statedir = g_dir_make_tmp("gp-test-reserve-XXXXXX", NULL);
    cr_assert_not_null(statedir);
    g_setenv("GPUPOOL_STATEDIR", statedir, TRUE);
}

static void
teardown(void)
{
    g_rmdir(statedir);
    g_free(statedir);
}

TestSuite(reserve, .init = setup, .fini = teardown);

static GpClaims *
claims_with(const char *device, const char *uuid, const char *name)
{
    g_autoptr(GError) error = NULL;
    GpClaims *claims = gp_claims_load(&error);

    cr_assert_not_null(claims, "%s", error ? error->message : "");
    if (device)
        cr_assert(gp_claims_add(claims, device, "gpus", uuid, name, NULL, &error), "%s",
                  error ? error->message : "");
    return claims;
}

static GpReserveCandidate *
cand(const char *device, const GpClaim *claim, guint reservations, gboolean current)
{
    GpReserveCandidate *c = g_new0(GpReserveCandidate, 1);

    c->device = device;
    c->claim = claim;
    c->reservations = reservations;
    c->current = current;
    return c;
}

static GPtrArray *
choose(GPtrArray *cands, guint count, guint *held, GError **error)
{
    return gp_reserve_choose("vm1", UUID_A, "gpus", cands, count, held, error);
}

Test(reserve, choose_prefers_free_and_least_reserved_devices)
{
    g_autoptr(GpClaims) claims = claims_with("0000:41:00.0", UUID_B, "vm2");
    g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) chosen = NULL;
    guint held = 99;

    g_ptr_array_add(cands, cand("0000:41:00.0", gp_claims_find(claims, "0000:41:00.0"), 0, FALSE));
    g_ptr_array_add(cands, cand("0000:42:00.0", NULL, 2, FALSE));
    g_ptr_array_add(cands, cand("0000:43:00.0", NULL, 1, FALSE));
    chosen = choose(cands, 1, &held, NULL);
    cr_assert_eq(chosen->len, 1);
    cr_assert_str_eq(g_ptr_array_index(chosen, 0), "0000:43:00.0");
    cr_assert_eq(held, 0);
}

Test(reserve, choose_keeps_the_devices_the_domain_already_has)
{
    g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) chosen = NULL;

    g_ptr_array_add(cands, cand("0000:41:00.0", NULL, 0, FALSE));
    g_ptr_array_add(cands, cand("0000:42:00.0", NULL, 3, TRUE));
    chosen = choose(cands, 1, NULL, NULL);
    cr_assert_str_eq(g_ptr_array_index(chosen, 0), "0000:42:00.0");
}

Test(reserve, choose_keeps_a_device_the_domain_itself_holds_while_running)
{
    g_autoptr(GpClaims) claims = claims_with("0000:42:00.0", UUID_A, "vm1");
    g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) chosen = NULL;
    guint held = 99;

    g_ptr_array_add(cands, cand("0000:41:00.0", NULL, 0, FALSE));
    g_ptr_array_add(cands, cand("0000:42:00.0", gp_claims_find(claims, "0000:42:00.0"), 0, TRUE));
    chosen = choose(cands, 1, &held, NULL);
    cr_assert_str_eq(g_ptr_array_index(chosen, 0), "0000:42:00.0");
    cr_assert_eq(held, 0, "its own claim is not held by others");
}

Test(reserve, choose_gives_up_a_kept_device_that_another_domain_holds)
{
    g_autoptr(GpClaims) claims = claims_with("0000:42:00.0", UUID_B, "vm2");
    g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) chosen = NULL;

    g_ptr_array_add(cands, cand("0000:41:00.0", NULL, 5, FALSE));
    g_ptr_array_add(cands, cand("0000:42:00.0", gp_claims_find(claims, "0000:42:00.0"), 0, TRUE));
    chosen = choose(cands, 1, NULL, NULL);
    cr_assert_str_eq(g_ptr_array_index(chosen, 0), "0000:41:00.0");
}

Test(reserve, choose_takes_held_devices_last_and_counts_them)
{
    g_autoptr(GpClaims) claims = claims_with("0000:41:00.0", UUID_B, "vm2");
    g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) chosen = NULL;
    guint held = 0;

    g_ptr_array_add(cands, cand("0000:41:00.0", gp_claims_find(claims, "0000:41:00.0"), 0, FALSE));
    g_ptr_array_add(cands, cand("0000:42:00.0", NULL, 4, FALSE));
    chosen = choose(cands, 2, &held, NULL);
    cr_assert_eq(chosen->len, 2);
    cr_assert_str_eq(g_ptr_array_index(chosen, 0), "0000:41:00.0", "results are sorted");
    cr_assert_eq(held, 1);
}

Test(reserve, choose_refuses_more_devices_than_the_pool_has_naming_pool_and_fix)
{
    g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;

    g_ptr_array_add(cands, cand("0000:41:00.0", NULL, 0, FALSE));
    cr_assert_null(choose(cands, 2, NULL, &error));
    cr_assert_eq(error->code, GP_RESERVE_ERROR_REFUSED);
    cr_assert_not_null(strstr(error->message, "pool 'gpus' has 1 device(s)"), "%s",
                       error->message);
    cr_assert_not_null(strstr(error->message, "gpupool pool-add gpus"), "%s", error->message);
}

Test(reserve, choose_refuses_count_zero_and_huge_counts)
{
    g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    g_ptr_array_add(cands, cand("0000:41:00.0", NULL, 0, FALSE));
    cr_assert_null(choose(cands, 0, NULL, &e1));
    cr_assert_not_null(strstr(e1->message, "1..64"));
    cr_assert_null(choose(cands, 100000, NULL, &e2));
    cr_assert_not_null(strstr(e2->message, "1..64"));
}

Test(reserve, choose_from_an_empty_pool_is_refused)
{
    g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;

    cr_assert_null(choose(cands, 1, NULL, &error));
    cr_assert_not_null(strstr(error->message, "has 0 device(s)"), "%s", error->message);
}


/* ---- rebalance ----------------------------------------------------------- */

static GpDomain *
domain(const char *name, const char *uuid, gboolean active, const char *device)
{
    GpDomain *d = gp_domain_new(uuid, name);

    d->active = active;
    gp_domain_add_device(d, "ua-gpupool-0", "gpus", device);
    return d;
}

static GHashTable *
pool_devices(const char *first, ...)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)g_ptr_array_unref);
    GPtrArray *devs = g_ptr_array_new_with_free_func(g_free);
    va_list ap;

    va_start(ap, first);
    for (const char *d = first; d; d = va_arg(ap, const char *))
        g_ptr_array_add(devs, g_strdup(d));
    va_end(ap);
    g_hash_table_insert(t, g_strdup("gpus"), devs);
    return t;
}

static GPtrArray *
domains_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)gp_domain_free);
}

Test(reserve, rebalance_repoints_a_stopped_domain_whose_device_is_held)
{
    g_autoptr(GpClaims) claims = claims_with("0000:41:00.0", UUID_A, "vm1");
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", "0000:42:00.0", NULL);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moves = NULL;
    GpReserveMove *m;

    g_ptr_array_add(doms, domain("vm1", UUID_A, TRUE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm2", UUID_B, FALSE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(moves->len, 1);
    m = g_ptr_array_index(moves, 0);
    cr_assert_str_eq(m->domain, "vm2");
    cr_assert_str_eq(m->from, "0000:41:00.0");
    cr_assert_str_eq(m->to, "0000:42:00.0");
    cr_assert_str_eq(m->reason, "held by vm1");
    cr_assert_eq(problems->len, 0);
}

Test(reserve, rebalance_never_touches_running_domains)
{
    /* vm2 runs with a device vm1's claim says is vm1's: nothing to do
     * for rebalance (the hook reports such conflicts). */
    g_autoptr(GpClaims) claims = claims_with("0000:41:00.0", UUID_A, "vm1");
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", "0000:42:00.0", NULL);
    g_autoptr(GPtrArray) moves = NULL;

    g_ptr_array_add(doms, domain("vm2", UUID_B, TRUE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, NULL);
    cr_assert_eq(moves->len, 0);
}

Test(reserve, rebalance_repoints_devices_that_left_the_pool)
{
    g_autoptr(GpClaims) claims = claims_with(NULL, NULL, NULL);
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:42:00.0", NULL);
    g_autoptr(GPtrArray) moves = NULL;

    g_ptr_array_add(doms, domain("vm2", UUID_B, FALSE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, NULL);
    cr_assert_eq(moves->len, 1);
    cr_assert_str_eq(((GpReserveMove *)g_ptr_array_index(moves, 0))->to, "0000:42:00.0");
    cr_assert_not_null(strstr(((GpReserveMove *)g_ptr_array_index(moves, 0))->reason,
                              "no longer a device of pool 'gpus'"));
}

Test(reserve, rebalance_spreads_stopped_domains_over_free_devices_least_reserved_first)
{
    g_autoptr(GpClaims) claims = claims_with("0000:41:00.0", UUID_A, "vm1");
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", "0000:42:00.0", "0000:43:00.0",
                                               "0000:44:00.0", NULL);
    g_autoptr(GPtrArray) moves = NULL;

    g_ptr_array_add(doms, domain("vm1", UUID_A, TRUE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm2", UUID_B, FALSE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm3", UUID_C, FALSE, "0000:41:00.0"));
    /* vm4 reserves 42 already, so 43 is the least reserved for vm2. */
    g_ptr_array_add(doms, domain("vm4", UUID_D, FALSE, "0000:42:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, NULL);
    cr_assert_eq(moves->len, 2);
    cr_assert_str_eq(((GpReserveMove *)g_ptr_array_index(moves, 0))->domain, "vm2");
    cr_assert_str_eq(((GpReserveMove *)g_ptr_array_index(moves, 0))->to, "0000:43:00.0");
    cr_assert_str_eq(((GpReserveMove *)g_ptr_array_index(moves, 1))->domain, "vm3");
    cr_assert_str_eq(((GpReserveMove *)g_ptr_array_index(moves, 1))->to, "0000:44:00.0");
}

/* The first stopped domain listed reserves the held device: re-pointing
 * it must not take the device's name away from the count the next one
 * reads (a use after free, seen under valgrind and AddressSanitizer). */
Test(reserve, rebalance_repoints_every_stopped_domain_when_the_first_listed_moves_first)
{
    g_autoptr(GpClaims) claims = claims_with("0000:41:00.0", UUID_A, "vm1");
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", "0000:42:00.0", "0000:43:00.0",
                                               NULL);
    g_autoptr(GPtrArray) moves = NULL;

    g_ptr_array_add(doms, domain("vm2", UUID_B, FALSE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm1", UUID_A, TRUE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm3", UUID_C, FALSE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, NULL);
    cr_assert_eq(moves->len, 2);
    cr_assert_str_eq(((GpReserveMove *)g_ptr_array_index(moves, 0))->to, "0000:42:00.0");
    cr_assert_str_eq(((GpReserveMove *)g_ptr_array_index(moves, 1))->to, "0000:43:00.0");
}

Test(reserve, rebalance_twice_moves_nothing_the_second_time)
{
    g_autoptr(GpClaims) claims = claims_with("0000:41:00.0", UUID_A, "vm1");
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", "0000:42:00.0", NULL);
    g_autoptr(GPtrArray) first = NULL;
    g_autoptr(GPtrArray) second = NULL;

    g_ptr_array_add(doms, domain("vm1", UUID_A, TRUE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm2", UUID_B, FALSE, "0000:41:00.0"));
    /* The plan updates the domains it re-points, as redefining them does. */
    first = gp_reserve_rebalance_plan(doms, cands, NULL, claims, NULL);
    second = gp_reserve_rebalance_plan(doms, cands, NULL, claims, NULL);
    cr_assert_eq(first->len, 1);
    cr_assert_eq(second->len, 0);
}

Test(reserve, rebalance_reports_a_device_it_cannot_repoint)
{
    g_autoptr(GpClaims) claims = claims_with("0000:41:00.0", UUID_A, "vm1");
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", NULL);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moves = NULL;

    g_ptr_array_add(doms, domain("vm1", UUID_A, TRUE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm2", UUID_B, FALSE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(moves->len, 0);
    cr_assert_eq(problems->len, 1);
    cr_assert_not_null(strstr(g_ptr_array_index(problems, 0), "vm2"));
    cr_assert_not_null(strstr(g_ptr_array_index(problems, 0), "held by vm1"));
    cr_assert_not_null(strstr(g_ptr_array_index(problems, 0), "no free device"));
}

Test(reserve, rebalance_reports_a_pool_this_host_does_not_have)
{
    g_autoptr(GpClaims) claims = claims_with(NULL, NULL, NULL);
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moves = NULL;

    g_ptr_array_add(doms, domain("vm2", UUID_B, FALSE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(moves->len, 0);
    cr_assert_eq(problems->len, 1);
    cr_assert_not_null(strstr(g_ptr_array_index(problems, 0), "not defined on this host"));
}

Test(reserve, rebalance_leaves_a_domains_own_mdevs_alone)
{
    g_autoptr(GpClaims) claims = claims_with(NULL, NULL, NULL);
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", NULL);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moves = NULL;
    GpDomain *d = domain("vm2", UUID_B, FALSE, "0000:41:00.0");
    GpDomainDevice *dev = g_ptr_array_index(d->devices, 0);

    /* Its mdev does not exist until the hook creates it at prepare; its
     * UUID is derived from the domain's, as assign writes it. */
    g_free(dev->device);
    dev->device = gp_domain_mdev_uuid(UUID_B, dev->pool, 0);
    g_ptr_array_add(doms, d);
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(moves->len, 0);
    cr_assert_eq(problems->len, 0);
}

/* ---- copies of a definition (virt-clone, 'virsh define' of a copy) ------- */

static const GpReserveMove *
move_of(GPtrArray *moves, const char *domain)
{
    for (guint i = 0; i < moves->len; i++) {
        const GpReserveMove *m = g_ptr_array_index(moves, i);

        if (strcmp(m->domain, domain) == 0)
            return m;
    }
    return NULL;
}

Test(reserve, rebalance_gives_a_copied_mdev_the_domains_own)
{
    g_autoptr(GpClaims) claims = claims_with(NULL, NULL, NULL);
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moves = NULL;
    g_autoptr(GPtrArray) again = NULL;
    g_autofree char *orig = gp_domain_mdev_uuid(UUID_A, "vgpu", 0);
    g_autofree char *own = gp_domain_mdev_uuid(UUID_B, "vgpu", 0);
    GpDomain *original = gp_domain_new(UUID_A, "vm1");
    GpDomain *clone = gp_domain_new(UUID_B, "vm1-clone");
    const GpReserveMove *m;

    gp_domain_add_device(original, "ua-gpupool-0", "vgpu", orig);
    /* virt-clone gave the copy a new UUID and kept the metadata. */
    gp_domain_add_device(clone, "ua-gpupool-0", "vgpu", orig);
    g_ptr_array_add(doms, original);
    g_ptr_array_add(doms, clone);
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(moves->len, 1);
    m = move_of(moves, "vm1-clone");
    cr_assert_not_null(m, "the original moved");
    cr_assert_str_eq(m->from, orig);
    cr_assert_str_eq(m->to, own);
    cr_assert_str_eq(m->reason, "made for another domain");
    cr_assert_eq(problems->len, 0);
    again = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(again->len, 0);
}

Test(reserve, rebalance_moves_a_copied_reservation_to_a_unit_nobody_reserves)
{
    g_autoptr(GpClaims) claims = claims_with(NULL, NULL, NULL);
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", "0000:42:00.0", NULL);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moves = NULL;
    g_autoptr(GPtrArray) again = NULL;
    const GpReserveMove *m;

    /* Both stopped, one reservation: the first by name keeps it. */
    g_ptr_array_add(doms, domain("vm1-clone", UUID_B, FALSE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm1", UUID_A, FALSE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(moves->len, 1);
    m = move_of(moves, "vm1-clone");
    cr_assert_not_null(m);
    cr_assert_str_eq(m->to, "0000:42:00.0");
    cr_assert_str_eq(m->reason, "also reserved by vm1");
    cr_assert_eq(problems->len, 0);
    again = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(again->len, 0);
}

Test(reserve, rebalance_lets_a_running_domain_keep_what_its_copy_reserves)
{
    g_autoptr(GpClaims) claims = claims_with(NULL, NULL, NULL);
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", "0000:42:00.0", NULL);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moves = NULL;

    /* "a" sorts first but is the copy; "z" runs (between two starts, say). */
    g_ptr_array_add(doms, domain("a-copy", UUID_B, FALSE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("z-original", UUID_A, TRUE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(moves->len, 1);
    cr_assert_not_null(move_of(moves, "a-copy"));
    cr_assert_str_eq(move_of(moves, "a-copy")->reason, "also reserved by z-original");
}

Test(reserve, rebalance_keeps_shared_reservations_when_every_free_unit_is_reserved)
{
    g_autoptr(GpClaims) claims = claims_with(NULL, NULL, NULL);
    g_autoptr(GPtrArray) doms = domains_new();
    g_autoptr(GHashTable) cands = pool_devices("0000:41:00.0", "0000:42:00.0", NULL);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moves = NULL;

    /* Three stopped domains, two devices: sharing is how assign spreads
     * more domains than devices, and no unit is reserved by nobody. */
    g_ptr_array_add(doms, domain("vm1", UUID_A, FALSE, "0000:41:00.0"));
    g_ptr_array_add(doms, domain("vm2", UUID_B, FALSE, "0000:42:00.0"));
    g_ptr_array_add(doms, domain("vm3", UUID_C, FALSE, "0000:41:00.0"));
    moves = gp_reserve_rebalance_plan(doms, cands, NULL, claims, problems);
    cr_assert_eq(moves->len, 0);
    cr_assert_eq(problems->len, 0, "sharing is not a problem");
}

Test(reserve, a_copied_mdev_is_a_reason_to_move_and_the_domains_own_is_not)
{
    g_autofree char *theirs = gp_domain_mdev_uuid(UUID_A, "vgpu", 0);
    g_autofree char *mine = gp_domain_mdev_uuid(UUID_B, "vgpu", 1);
    g_autoptr(GpDomain) dom = gp_domain_new(UUID_B, "vm2");
    GpDomainDevice *copied = gp_domain_add_device(dom, "ua-gpupool-0", "vgpu", theirs);
    GpDomainDevice *own = gp_domain_add_device(dom, "ua-gpupool-1", "vgpu", mine);
    g_autofree char *why = gp_reserve_repoint_reason(dom, copied, NULL, NULL, NULL);
    g_autofree char *none = gp_reserve_repoint_reason(dom, own, NULL, NULL, NULL);

    cr_assert_str_eq(why, "made for another domain");
    cr_assert_null(none);
}
