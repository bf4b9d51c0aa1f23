/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GPU partitioning as the core does it (src/ops/partition.c): mdevs made
 * on the first parent with room and given back, and the partition count
 * and profile a request resolves to, on simulated hosts. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "base/sysfs.h"
#include "state/claims.h"
#include "state/poolstore.h"
#include "ledger/ledger.h"
#include "ops/partition.h"
#include "pool-fixtures.h"

#define DOM1 "0f0e0d0c-0b0a-4908-8706-050403020100"
#define DOM2 "1f0e0d0c-0b0a-4908-8706-050403020100"

static GpSim *
two_mbochs_parents(void)
{
    GpSim *sim = gp_sim_fixture_mbochs();

    /* A second parent of the same kind, 128 MiB: two large instances. */
    gp_sim_add_mdev_parent_virtual(sim, "mbochs", "mbochs2", 128, FALSE);
    gp_sim_add_mdev_type(sim, "mbochs2", "mbochs-large", "mbochs-large",
                         "virtual display, 0x0 framebuffer", "vfio-pci", 64, 0);
    return sim;
}

Test(partition, prepare_mdev_uses_the_next_parent_with_room_and_names_holders_when_full)
{
    g_autoptr(GpSim) sim = two_mbochs_parents();
    const char *members[] = { GP_SIM_MBOCHS, "mbochs2", NULL };
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    GpClaims *claims;
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *last = NULL;
    gboolean created = FALSE;

    gp_test_save_pool("disp", GP_POOL_TYPE_MDEV, members, "mbochs-large");
    pool = gp_poolstore_load("disp", &err);
    ledger = gp_ledger_open(GP_LEDGER_WRITE, &err);
    claims = gp_ledger_claims(ledger);
    /* 8 fit on mbochs, 2 on mbochs2. */
    for (guint slot = 0; slot < 10; slot++) {
        g_autofree char *uuid = gp_domain_mdev_uuid(DOM1, "disp", slot);
        g_autofree char *parent = NULL;

        cr_assert(gp_partition_prepare_mdev(ledger, pool, uuid, DOM1, &created, &err), "%u: %s",
                  slot, err ? err->message : "");
        cr_assert(created);
        cr_assert(gp_claims_add(claims, uuid, "disp", DOM1, "vm1",
                                slot < 8 ? GP_SIM_MBOCHS : "mbochs2", &err));
        parent = gp_sim_read(sim, "class/mdev_bus/mbochs2/mdev_supported_types/mbochs-large/"
                                  "available_instances");
        if (slot == 8)
            cr_assert_str_eq(parent, "1");
    }
    /* The same UUID again: already there, nothing new. */
    {
        g_autofree char *uuid = gp_domain_mdev_uuid(DOM1, "disp", 9);

        cr_assert(gp_partition_prepare_mdev(ledger, pool, uuid, DOM1, &created, &err));
        cr_assert_not(created);
    }
    before = gp_sim_snapshot(sim);
    last = gp_domain_mdev_uuid(DOM2, "disp", 0);
    cr_assert_not(gp_partition_prepare_mdev(ledger, pool, last, DOM2, &created, &err));
    cr_assert(g_error_matches(err, GP_PARTITION_ERROR, GP_PARTITION_ERROR_EXHAUSTED));
    cr_assert(strstr(err->message, "pool 'disp' is exhausted: no device (mbochs, mbochs2) has "
                                   "room for another mbochs-large, held by vm1"),
              "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(partition, release_claim_removes_the_mdev_and_tolerates_it_gone)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    GpClaims *claims;
    g_autoptr(GError) err = NULL;
    g_autofree char *uuid = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *rel = NULL;
    g_autofree char *avail = NULL;
    const GpClaim *claim;
    gboolean created;

    pool = gp_poolstore_load("disp", &err);
    ledger = gp_ledger_open(GP_LEDGER_WRITE, &err);
    claims = gp_ledger_claims(ledger);
    cr_assert(gp_partition_prepare_mdev(ledger, pool, uuid, DOM1, &created, &err));
    cr_assert(gp_claims_add(claims, uuid, "disp", DOM1, "vm1", GP_SIM_MBOCHS, &err));
    claim = gp_claims_find(claims, uuid);
    cr_assert(gp_partition_release_claim(pool, claim, NULL, &err), "%s",
              err ? err->message : "");
    rel = gp_sysfs_mdev_dev_path(uuid, NULL);
    cr_assert_not(gp_sysfs_is_dir(rel));
    avail = gp_sim_read(sim, "class/mdev_bus/mbochs/mdev_supported_types/mbochs-medium/"
                             "available_instances");
    cr_assert_str_eq(avail, "32");
    cr_assert(gp_partition_release_claim(pool, claim, NULL, &err));
}

Test(partition, resolve_picks_the_profile_with_most_vram_for_a_count)
{
    g_autoptr(GpPartInfo) info = gp_part_info_new("0000:01:00.0");
    GpPartProfile *a = gp_part_profile_new("a", NULL);
    GpPartProfile *b = gp_part_profile_new("b", NULL);
    g_autofree char *profile = NULL;
    g_autoptr(GError) err = NULL;
    guint count = 0;

    info->kind = GP_PART_KIND_VF;
    a->max_instances = b->max_instances = 16;
    a->vram = 1 << 30;
    b->vram = 3u << 30;
    g_ptr_array_add(info->profiles, a);
    g_ptr_array_add(info->profiles, b);
    gp_part_info_add_count(info, 16);
    cr_assert(gp_partition_resolve(info, 16, NULL, &count, &profile, &err));
    cr_assert_str_eq(profile, "b");
    cr_assert_eq(count, 16);
    g_clear_pointer(&profile, g_free);
    cr_assert_not(gp_partition_resolve(info, 16, "nope", &count, &profile, &err));
    cr_assert(strstr(err->message, "does not offer profile 'nope': choose one of a, b"), "%s",
              err->message);
}
