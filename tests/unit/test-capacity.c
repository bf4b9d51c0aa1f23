/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a pool can give (src/policy/capacity.c): capacity, held and free per
 * pool and per member, for whole devices, VFs with and without a vendor
 * profile and mdev types, from a pool, claims and GpMemberFacts built by
 * hand.  Pure: no simulated kernel, no files. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "state/claims.h"
#include "state/pool.h"
#include "policy/capacity.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-000000000001"
#define UUID_B "bbbbbbbb-0000-4000-8000-000000000002"
#define UUID_C "cccccccc-0000-4000-8000-000000000003"

#define GPU0 "0000:41:00.0"
#define GPU1 "0000:42:00.0"
#define GPU2 "0000:43:00.0"
#define GPU3 "0000:44:00.0"
#define PF "0000:c1:00.0"
#define PF2 "0000:c2:00.0"
#define MDEV1 "9f3c1c2e-5b1a-4d55-9a43-6f1c0de0a001"
#define MDEV2 "9f3c1c2e-5b1a-4d55-9a43-6f1c0de0a002"
#define MDEV3 "9f3c1c2e-5b1a-4d55-9a43-6f1c0de0a003"

TestSuite(capacity);

/* ---- Builders ------------------------------------------------------------ */

/* Pool NAME of TYPE with MEMBERS (NULL-terminated). */
static GpPool *
pool_of(const char *name, GpPoolType type, const char *const *members)
{
    g_autoptr(GError) error = NULL;
    GpPool *pool = gp_pool_new(name, type, &error);

    cr_assert_not_null(pool, "%s", error ? error->message : "");
    for (guint i = 0; members[i]; i++)
        cr_assert(gp_pool_add_device(pool, members[i], NULL, NULL, &error), "%s",
                  error ? error->message : "");
    return pool;
}

static GPtrArray *
facts_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)gp_member_facts_free);
}

/* A whole device as the probe sees it. */
static GpMemberFacts *
pci_member(GPtrArray *facts, const char *address, gboolean present, gboolean ready,
           const char *problem)
{
    GpMemberFacts *f = gp_member_facts_new(address);

    f->present = present;
    f->ready = ready;
    f->problem = g_strdup(problem);
    g_ptr_array_add(facts, f);
    return f;
}

/* The VF address of VF number N (1-based) of PF 0000:c1:00.0 with offset
 * 4 and stride 1, as the L40S has them. */
static char *
vf_address(guint n)
{
    guint devfn = 4 + n - 1;

    return g_strdup_printf("0000:c1:%02x.%x", devfn / 8, devfn % 8);
}

/* PF with VFS VFs, the first READY of them ready for a guest, and ROOM
 * partitions of the pool's profile left (-1: no profile). */
static GpMemberFacts *
vf_member(GPtrArray *facts, const char *pf, guint vfs, guint ready, gint64 room)
{
    GpMemberFacts *f = gp_member_facts_new(pf);

    f->present = TRUE;
    f->room = room;
    for (guint i = 1; i <= vfs; i++) {
        g_autofree char *vf = vf_address(i);

        gp_member_facts_add_vf(f, vf, i <= ready);
    }
    g_ptr_array_add(facts, f);
    return f;
}

/* An mdev parent that can still create ROOM instances of the pool's type. */
static GpMemberFacts *
mdev_member(GPtrArray *facts, const char *parent, gint64 room)
{
    GpMemberFacts *f = gp_member_facts_new(parent);

    f->present = TRUE;
    f->room = room;
    g_ptr_array_add(facts, f);
    return f;
}

static void
hold(GpClaims *claims, const char *device, const char *pool, const char *uuid,
     const char *name, const char *parent)
{
    g_autoptr(GError) error = NULL;

    cr_assert(gp_claims_add(claims, device, pool, uuid, name, parent, &error), "%s",
              error ? error->message : "");
}

/* CAP's numbers as one line, so that a failure shows them all. */
static char *
numbers(const GpPoolCapacity *cap)
{
    return g_strdup_printf("members %u capacity %u held %u free %u", cap->members,
                           cap->capacity, cap->held, cap->free);
}

static void
expect_numbers(const GpPoolCapacity *cap, guint members, guint capacity, guint held,
               guint free_units)
{
    g_autofree char *got = numbers(cap);
    g_autofree char *want = g_strdup_printf("members %u capacity %u held %u free %u", members,
                                            capacity, held, free_units);

    cr_assert_str_eq(got, want);
    cr_assert_eq(cap->capacity, cap->held + cap->free, "capacity is held + free");
}

/* ---- Whole devices ------------------------------------------------------- */

Test(capacity, a_whole_device_is_free_when_present_on_vfio_pci_and_held_by_nobody)
{
    const char *const members[] = { GPU0, GPU1, GPU2, GPU3, NULL };
    g_autoptr(GpPool) pool = pool_of("gpus", GP_POOL_TYPE_PCI, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    const GpMemberCapacity *row;

    pci_member(facts, GPU0, TRUE, TRUE, NULL);
    pci_member(facts, GPU1, TRUE, TRUE, NULL);
    pci_member(facts, GPU2, TRUE, FALSE, "not on vfio-pci: run 'gpupool setup'");
    pci_member(facts, GPU3, FALSE, FALSE, "missing from this host");
    hold(claims, GPU1, "gpus", UUID_A, "vm1", NULL);
    cap = gp_capacity_of(pool, facts, claims);

    cr_assert(cap->known);
    cr_assert_str_eq(cap->pool, "gpus");
    cr_assert_eq(cap->type, GP_POOL_TYPE_PCI);
    expect_numbers(cap, 4, 2, 1, 1);
    cr_assert_eq(cap->free_units->len, 1);
    cr_assert_str_eq(cap->free_units->pdata[0], GPU0);
    row = gp_pool_capacity_row(cap, GPU1);
    cr_assert_eq(row->held, 1);
    cr_assert_eq(row->free, 0);
    row = gp_pool_capacity_row(cap, GPU2);
    cr_assert_eq(row->capacity, 0);
    cr_assert_str_eq(row->problem, "not on vfio-pci: run 'gpupool setup'");
    cr_assert_null(gp_pool_capacity_row(cap, "0000:99:00.0"));
}

Test(capacity, a_held_unit_counts_while_held_even_on_a_device_that_broke_or_vanished)
{
    const char *const members[] = { GPU0, GPU1, NULL };
    g_autoptr(GpPool) pool = pool_of("gpus", GP_POOL_TYPE_PCI, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;

    pci_member(facts, GPU0, FALSE, FALSE, "missing from this host");
    pci_member(facts, GPU1, TRUE, FALSE, "not on vfio-pci: run 'gpupool setup'");
    hold(claims, GPU0, "gpus", UUID_A, "vm1", NULL);
    hold(claims, GPU1, "gpus", UUID_B, "vm2", NULL);
    /* And a device that left the pool while its domain ran. */
    hold(claims, GPU3, "gpus", UUID_C, "vm3", NULL);
    cap = gp_capacity_of(pool, facts, claims);

    expect_numbers(cap, 2, 3, 3, 0);
    cr_assert_eq(gp_pool_capacity_row(cap, GPU0)->capacity, 1);
    cr_assert_eq(gp_pool_capacity_row(cap, GPU1)->capacity, 1);
    cr_assert_eq(cap->free_units->len, 0);
}

Test(capacity, a_quarantined_device_is_never_free_but_counts_while_its_holder_holds_it)
{
    const char *const members[] = { GPU0, GPU1, GPU2, GPU3, NULL };
    g_autoptr(GpPool) pool = pool_of("gpus", GP_POOL_TYPE_PCI, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    const GpMemberCapacity *row;

    /* On vfio-pci and nobody holds them, yet they broke. */
    pci_member(facts, GPU0, TRUE, TRUE, "quarantined: no reset")->health =
        GP_PCI_HEALTH_NO_RESET;
    pci_member(facts, GPU1, TRUE, TRUE, "quarantined: all-ones")->health = GP_PCI_HEALTH_DEAD;
    /* vm1's device fell off the bus while vm1 runs. */
    pci_member(facts, GPU2, FALSE, FALSE, "quarantined: gone")->health = GP_PCI_HEALTH_GONE;
    pci_member(facts, GPU3, TRUE, TRUE, NULL);
    hold(claims, GPU2, "gpus", UUID_A, "vm1", NULL);
    cap = gp_capacity_of(pool, facts, claims);

    expect_numbers(cap, 4, 2, 1, 1);
    cr_assert_eq(cap->quarantined, 3);
    cr_assert_eq(cap->free_units->len, 1);
    cr_assert_str_eq(cap->free_units->pdata[0], GPU3, "only the healthy device is handed out");
    row = gp_pool_capacity_row(cap, GPU0);
    cr_assert(row->quarantined);
    cr_assert_eq(row->capacity, 0);
    cr_assert_str_eq(row->problem, "quarantined: no reset");
    row = gp_pool_capacity_row(cap, GPU2);
    cr_assert(row->quarantined);
    cr_assert_eq(row->held, 1, "the holder's claim still counts");
    cr_assert_eq(row->capacity, 1);
    cr_assert_str_eq(cap->holders->pdata[0], "vm1");
    cr_assert_not(gp_pool_capacity_row(cap, GPU3)->quarantined);
}

Test(capacity, a_pf_or_mdev_parent_that_broke_gives_nothing_but_its_held_units_count)
{
    const char *const pfs[] = { "0000:c1:00.0", NULL };
    const char *const parents[] = { GPU0, GPU1, NULL };
    g_autoptr(GpPool) vf_pool = pool_of("l40s", GP_POOL_TYPE_VF, pfs);
    g_autoptr(GpPool) mdev_pool = pool_of("vgpu", GP_POOL_TYPE_MDEV, parents);
    g_autoptr(GPtrArray) vf_facts = facts_new();
    g_autoptr(GPtrArray) mdev_facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) vfs = NULL;
    g_autoptr(GpPoolCapacity) mdevs = NULL;
    g_autofree char *vf1 = vf_address(1);
    const GpMemberCapacity *row;

    mdev_pool->mdev_type = g_strdup("nvidia-224");
    /* vm1 runs on VF 1 of a PF whose config space now reads all-ones. */
    vf_member(vf_facts, "0000:c1:00.0", 4, 4, -1)->health = GP_PCI_HEALTH_DEAD;
    hold(claims, vf1, "l40s", UUID_A, "vm1", NULL);
    vfs = gp_capacity_of(vf_pool, vf_facts, claims);
    expect_numbers(vfs, 1, 1, 1, 0);
    cr_assert_eq(vfs->quarantined, 1);
    cr_assert_eq(vfs->free_units->len, 0, "no VF of a broken PF is handed out");
    row = gp_pool_capacity_row(vfs, "0000:c1:00.0");
    cr_assert(row->quarantined);
    cr_assert_eq(row->held, 1, "the holder's claim still counts");

    mdev_member(mdev_facts, GPU0, 3)->health = GP_PCI_HEALTH_GONE;
    mdev_member(mdev_facts, GPU1, 4);
    mdevs = gp_capacity_of(mdev_pool, mdev_facts, claims);
    expect_numbers(mdevs, 2, 4, 0, 4);
    cr_assert_eq(mdevs->quarantined, 1);
    cr_assert(gp_pool_capacity_row(mdevs, GPU0)->quarantined);
    cr_assert_eq(gp_pool_capacity_row(mdevs, GPU0)->free, 0);
}

Test(capacity, a_parent_without_a_reset_method_is_not_quarantined)
{
    const char *const members[] = { "mbochs", NULL };
    g_autoptr(GpPool) pool = pool_of("disp", GP_POOL_TYPE_MDEV, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;

    pool->mdev_type = g_strdup("mbochs-small");
    mdev_member(facts, "mbochs", 3)->health = GP_PCI_HEALTH_NO_RESET;
    cap = gp_capacity_of(pool, facts, claims);

    cr_assert_eq(cap->quarantined, 0);
    cr_assert_eq(cap->free, 3, "mdevs are reset by their parent's driver, not by PCI");
}

Test(capacity, claims_of_other_pools_are_neither_held_nor_free_here)
{
    const char *const members[] = { GPU0, GPU1, NULL };
    g_autoptr(GpPool) pool = pool_of("gpus", GP_POOL_TYPE_PCI, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;

    pci_member(facts, GPU0, TRUE, TRUE, NULL);
    pci_member(facts, GPU1, TRUE, TRUE, NULL);
    hold(claims, GPU2, "other", UUID_A, "vm1", NULL);
    cap = gp_capacity_of(pool, facts, claims);

    expect_numbers(cap, 2, 2, 0, 2);
    cr_assert_eq(cap->holders->len, 0);
}

/* ---- VFs ----------------------------------------------------------------- */

Test(capacity, a_vf_pool_without_profile_gives_its_unclaimed_ready_vfs)
{
    const char *const members[] = { PF, NULL };
    g_autoptr(GpPool) pool = pool_of("flex", GP_POOL_TYPE_VF, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    g_autofree char *vf1 = vf_address(1);
    g_autofree char *vf2 = vf_address(2);
    g_autofree char *vf3 = vf_address(3);
    const GpMemberCapacity *row;

    /* Four VFs; the fourth is not on vfio-pci. */
    vf_member(facts, PF, 4, 3, -1);
    hold(claims, vf2, "flex", UUID_A, "vm1", NULL);
    cap = gp_capacity_of(pool, facts, claims);

    expect_numbers(cap, 1, 3, 1, 2);
    cr_assert_eq(cap->free_units->len, 2);
    cr_assert_str_eq(cap->free_units->pdata[0], vf1);
    cr_assert_str_eq(cap->free_units->pdata[1], vf3);
    row = gp_pool_capacity_row(cap, PF);
    cr_assert_eq(row->vfs, 4);
    cr_assert_eq(row->held, 1);
    cr_assert_eq(row->free, 2);
}

/* The L40S with profile 1158 (8 GiB of 48): 6 partitions fit on 16 VFs.
 * Free is what can really start, not the VFs. */
Test(capacity, a_vendor_profile_gives_no_more_than_the_partitions_that_fit)
{
    const char *const members[] = { PF, NULL };
    g_autoptr(GpPool) pool = pool_of("l40s", GP_POOL_TYPE_VF, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) empty = NULL;
    g_autoptr(GpPoolCapacity) full = NULL;
    g_autoptr(GPtrArray) full_facts = facts_new();
    g_autofree char *vf6 = vf_address(6);
    g_autofree char *vf7 = vf_address(7);

    vf_member(facts, PF, 16, 16, 6);
    empty = gp_capacity_of(pool, facts, claims);
    expect_numbers(empty, 1, 6, 0, 6);
    cr_assert_eq(empty->free_units->len, 6, "free units are exactly FREE of them");
    cr_assert(g_ptr_array_find_with_equal_func(empty->free_units, vf6, g_str_equal, NULL));
    cr_assert_not(g_ptr_array_find_with_equal_func(empty->free_units, vf7, g_str_equal, NULL));
    cr_assert_eq(gp_pool_capacity_row(empty, PF)->vfs, 16);

    /* Six domains started: the device has no room left. */
    for (guint i = 1; i <= 6; i++) {
        g_autofree char *vf = vf_address(i);
        g_autofree char *uuid = g_strdup_printf("aaaaaaaa-0000-4000-8000-00000000000%u", i);
        g_autofree char *name = g_strdup_printf("vm%u", i);

        hold(claims, vf, "l40s", uuid, name, NULL);
    }
    vf_member(full_facts, PF, 16, 16, 0);
    full = gp_capacity_of(pool, full_facts, claims);
    expect_numbers(full, 1, 6, 6, 0);
    cr_assert_eq(full->free_units->len, 0);
    cr_assert_eq(gp_pool_capacity_row(full, PF)->free, 0);
}

Test(capacity, vfs_are_counted_on_the_pf_they_belong_to)
{
    const char *const members[] = { PF, PF2, NULL };
    g_autoptr(GpPool) pool = pool_of("flex", GP_POOL_TYPE_VF, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    GpMemberFacts *second = gp_member_facts_new(PF2);
    g_autofree char *vf1 = vf_address(1);

    vf_member(facts, PF, 2, 2, -1);
    second->present = TRUE;
    gp_member_facts_add_vf(second, "0000:c2:00.4", TRUE);
    g_ptr_array_add(facts, second);
    hold(claims, "0000:c2:00.4", "flex", UUID_A, "vm1", NULL);
    cap = gp_capacity_of(pool, facts, claims);

    expect_numbers(cap, 2, 3, 1, 2);
    cr_assert_eq(gp_pool_capacity_row(cap, PF)->held, 0);
    cr_assert_eq(gp_pool_capacity_row(cap, PF2)->held, 1);
    cr_assert_eq(gp_pool_capacity_row(cap, PF2)->free, 0);
    cr_assert_str_eq(cap->free_units->pdata[0], vf1);
}

Test(capacity, a_pf_without_vfs_gives_nothing_and_says_why)
{
    const char *const members[] = { PF, NULL };
    g_autoptr(GpPool) pool = pool_of("flex", GP_POOL_TYPE_VF, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    GpMemberFacts *f = vf_member(facts, PF, 0, 0, -1);

    f->problem = g_strdup("no VFs enabled: run 'gpupool partition-set " PF " --count N'");
    cap = gp_capacity_of(pool, facts, claims);
    expect_numbers(cap, 1, 0, 0, 0);
    cr_assert_str_eq(gp_pool_capacity_row(cap, PF)->problem, f->problem);
}

/* ---- mdev types ---------------------------------------------------------- */

/* A T4 with nvidia-224 (4 GiB of 16): four instances, nothing made yet. */
Test(capacity, an_mdev_pool_gives_the_instances_its_parents_can_still_create)
{
    const char *const members[] = { "0000:3b:00.0", NULL };
    g_autoptr(GpPool) pool = pool_of("vgpu", GP_POOL_TYPE_MDEV, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GPtrArray) later = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    g_autoptr(GpPoolCapacity) after = NULL;

    pool->mdev_type = g_strdup("nvidia-224");
    mdev_member(facts, "0000:3b:00.0", 4);
    cap = gp_capacity_of(pool, facts, claims);
    cr_assert(cap->known);
    expect_numbers(cap, 1, 4, 0, 4);
    cr_assert_eq(cap->free_units->len, 0, "mdevs are made at start under the domain's UUID");

    /* Two started: two made, two left. */
    hold(claims, MDEV1, "vgpu", UUID_A, "vm1", "0000:3b:00.0");
    hold(claims, MDEV2, "vgpu", UUID_B, "vm2", "0000:3b:00.0");
    mdev_member(later, "0000:3b:00.0", 2);
    after = gp_capacity_of(pool, later, claims);
    expect_numbers(after, 1, 4, 2, 2);
    cr_assert_eq(gp_pool_capacity_row(after, "0000:3b:00.0")->held, 2);
}

Test(capacity, mdevs_are_counted_on_their_parent)
{
    const char *const members[] = { "mbochs", "mbochs2", NULL };
    g_autoptr(GpPool) pool = pool_of("disp", GP_POOL_TYPE_MDEV, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;

    pool->mdev_type = g_strdup("mbochs-large");
    mdev_member(facts, "mbochs", 0);
    mdev_member(facts, "mbochs2", 1);
    hold(claims, MDEV1, "disp", UUID_A, "vm1", "mbochs");
    hold(claims, MDEV2, "disp", UUID_A, "vm1", "mbochs2");
    /* A parent that left the pool while its mdev's domain ran. */
    hold(claims, MDEV3, "disp", UUID_B, "vm2", "mbochs3");
    cap = gp_capacity_of(pool, facts, claims);

    expect_numbers(cap, 2, 4, 3, 1);
    cr_assert_eq(gp_pool_capacity_row(cap, "mbochs")->held, 1);
    cr_assert_eq(gp_pool_capacity_row(cap, "mbochs")->capacity, 1);
    cr_assert_eq(gp_pool_capacity_row(cap, "mbochs2")->held, 1);
    cr_assert_eq(gp_pool_capacity_row(cap, "mbochs2")->capacity, 2);
}

Test(capacity, an_mdev_pool_without_a_type_can_give_nothing)
{
    const char *const members[] = { "0000:3b:00.0", NULL };
    g_autoptr(GpPool) pool = pool_of("vgpu", GP_POOL_TYPE_MDEV, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    GpMemberFacts *f = mdev_member(facts, "0000:3b:00.0", 0);

    f->problem = g_strdup("no mdev type set");
    cap = gp_capacity_of(pool, facts, claims);
    cr_assert_not(cap->known);
    expect_numbers(cap, 1, 0, 0, 0);
    cr_assert_str_eq(gp_pool_capacity_row(cap, "0000:3b:00.0")->problem, "no mdev type set");
}

/* ---- Text for one-line messages ------------------------------------------ */

Test(capacity, holders_are_each_domain_once_sorted_by_name)
{
    const char *const members[] = { GPU0, GPU1, GPU2, NULL };
    g_autoptr(GpPool) pool = pool_of("gpus", GP_POOL_TYPE_PCI, members);
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    g_autoptr(GpPoolCapacity) none = NULL;
    g_autoptr(GpClaims) no_claims = gp_claims_new();
    g_autofree char *text = NULL;
    g_autofree char *empty = NULL;

    pci_member(facts, GPU0, TRUE, TRUE, NULL);
    pci_member(facts, GPU1, TRUE, TRUE, NULL);
    pci_member(facts, GPU2, TRUE, TRUE, NULL);
    hold(claims, GPU0, "gpus", UUID_B, "web", NULL);
    hold(claims, GPU1, "gpus", UUID_A, "db", NULL);
    hold(claims, GPU2, "gpus", UUID_B, "web", NULL);
    cap = gp_capacity_of(pool, facts, claims);
    text = gp_pool_capacity_holders_text(cap);
    cr_assert_str_eq(text, "db, web");
    none = gp_capacity_of(pool, facts, no_claims);
    empty = gp_pool_capacity_holders_text(none);
    cr_assert_str_eq(empty, "");
}

Test(capacity, free_units_text_stays_one_short_line_on_a_large_pool)
{
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GPtrArray) facts = facts_new();
    g_autoptr(GPtrArray) no_facts = facts_new();
    g_autoptr(GpClaims) claims = gp_claims_new();
    g_autoptr(GpPoolCapacity) cap = NULL;
    g_autoptr(GpPoolCapacity) empty = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    g_autofree char *none = NULL;

    pool = gp_pool_new("many", GP_POOL_TYPE_PCI, &error);
    cr_assert_not_null(pool);
    for (guint i = 0; i < 12; i++) {
        g_autofree char *addr = g_strdup_printf("0000:%02x:00.0", 0x41 + i);

        cr_assert(gp_pool_add_device(pool, addr, NULL, NULL, NULL));
        pci_member(facts, addr, TRUE, TRUE, NULL);
    }
    cap = gp_capacity_of(pool, facts, claims);
    text = gp_pool_capacity_free_text(cap);
    cr_assert_str_eq(text, "0000:41:00.0, 0000:42:00.0, 0000:43:00.0, 0000:44:00.0, "
                           "0000:45:00.0, 0000:46:00.0, 0000:47:00.0, 0000:48:00.0 "
                           "and 4 more");
    empty = gp_capacity_of(pool, no_facts, claims);
    none = gp_pool_capacity_free_text(empty);
    cr_assert_str_eq(none, "");
}
