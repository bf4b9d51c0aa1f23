/* Stale state put right (src/ops/reconcile.c) by release, reconnect,
 * setup and rebalance: mdevs of gpupool's own that no claim owns, claims
 * of mdevs that are gone, profiles of VFs no claim holds. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "base/sysfs.h"
#include "ops/lifecycle.h"
#include "ops/partition.h"
#include "ops/reconcile.h"
#include "cli-runner.h"
#include "hook-runner.h"
#include "pool-fixtures.h"

#define DOM1 "0f0e0d0c-0b0a-4908-8706-050403020100"
#define DOM2 "1f1e1d1c-1b1a-4918-8716-151413121110"
/* An mdev the admin made by hand on the pool's parent: not gpupool's. */
#define FOREIGN "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0009"

static gboolean
mdev_exists(const char *uuid)
{
    g_autofree char *rel = gp_sysfs_mdev_dev_path(uuid, NULL);

    return gp_sysfs_is_dir(rel);
}

/* What a prepare killed after it made DOM_UUID's SLOT-th mdev of pool
 * "disp" and before it saved the claim leaves on the mbochs host. */
static char *
orphan(GpSim *sim, const char *dom_uuid, guint slot)
{
    char *uuid = gp_domain_mdev_uuid(dom_uuid, "disp", slot);

    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-medium", uuid));
    return uuid;
}

Test(reconcile, release_removes_the_domains_own_mdev_that_no_claim_owns)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autofree char *mine = orphan(sim, DOM1, 0);
    g_autofree char *other = orphan(sim, DOM2, 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "disp", mine);
    g_autoptr(GError) err = NULL;
    guint dropped = 99;

    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-small", FOREIGN));
    /* libvirt runs release after a prepare that failed. */
    cr_assert(gp_lifecycle_release(dom, &dropped, &err), "%s", err ? err->message : "");
    cr_expect_eq(dropped, 0);
    cr_expect_not(mdev_exists(mine), "the domain's own mdev stayed");
    cr_expect(mdev_exists(other), "another domain's mdev was taken");
    cr_expect(mdev_exists(FOREIGN), "an mdev gpupool did not make was taken");
}

Test(reconcile, setup_removes_unclaimed_mdevs_of_domains_it_knows_and_keeps_claimed_ones)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autofree char *held = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "disp", held);
    g_autoptr(GError) err = NULL;
    g_autofree char *left = NULL;
    g_autoptr(GpTestRun) setup = NULL;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    /* Slot 1 of the same domain, made by a start that was killed. */
    left = orphan(sim, DOM1, 1);
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-small", FOREIGN));
    setup = gp_test_must(sim, "setup", NULL);
    cr_expect(strstr(setup->out, "removed mdev "), "%s", setup->out);
    cr_expect(strstr(setup->out, left), "%s", setup->out);
    cr_expect_not(mdev_exists(left));
    cr_expect(mdev_exists(held), "a claimed mdev was taken");
    cr_expect(mdev_exists(FOREIGN));
    cr_expect_eq(gp_test_claim_count(), 1);
}

/* The rebalance asks libvirt which domains exist but do not run: their
 * mdevs that no claim owns are gone afterwards, whoever left them. */
Test(reconcile, rebalance_removes_unclaimed_mdevs_of_domains_that_do_not_run)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autofree char *mine = orphan(sim, DOM1, 0);
    const char *const devs[] = { mine, NULL };
    g_autofree char *xml = gp_test_assigned_xml("vm1", DOM1, "disp", devs);
    const char *const xmls[] = { xml, NULL };
    g_autofree char *uri = gp_test_stopped_domains_uri(sim, xmls);
    g_autoptr(GpTestRun) rebalance = NULL;

    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-small", FOREIGN));
    rebalance = gp_test_must(sim, "rebalance", "--connect", uri, NULL);
    cr_expect(strstr(rebalance->out, "removed mdev "), "%s", rebalance->out);
    cr_expect_not(mdev_exists(mine));
    cr_expect(mdev_exists(FOREIGN));
}

/* A release killed after it removed the mdev and before it saved leaves
 * a claim of nothing, which held the pool's capacity: the reconnect pass
 * and the rebalance drop it. */
Test(reconcile, a_claim_of_an_mdev_that_is_gone_is_dropped_by_reconnect_and_rebalance)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autofree char *gone = gp_domain_mdev_uuid(DOM1, "disp", 0);
    g_autofree char *other = gp_domain_mdev_uuid(DOM2, "disp", 0);
    g_autofree char *remove = g_strdup_printf("bus/mdev/devices/%s/remove", gone);
    g_autoptr(GpDomain) dom1 = gp_test_domain(DOM1, "vm1", "disp", gone);
    g_autoptr(GpDomain) dom2 = gp_test_domain(DOM2, "vm2", "disp", other);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autoptr(GpTestRun) rebalance = NULL;
    g_autofree char *uri = NULL;

    cr_assert(gp_lifecycle_prepare(dom1, &err), "%s", err ? err->message : "");
    cr_assert(gp_lifecycle_prepare(dom2, &err), "%s", err ? err->message : "");
    cr_assert(gp_sim_write(sim, remove, "1"));
    cr_assert_eq(gp_test_claim_count(), 2);
    /* libvirtd restarted: vm2 reconnects. */
    cr_assert(gp_lifecycle_reconnect(dom2, warnings, &err), "%s", err ? err->message : "");
    cr_expect_eq(gp_test_claim_count(), 1);
    cr_expect_eq(warnings->len, 1);
    cr_expect(warnings->len && strstr(warnings->pdata[0], "vm1: dropped its claim on mdev "),
              "%s", warnings->len ? (char *)warnings->pdata[0] : "");

    /* The same by the rebalance (vm2 runs: the test driver runs it). */
    cr_assert(gp_lifecycle_release(dom2, NULL, &err), "%s", err ? err->message : "");
    cr_assert(gp_lifecycle_prepare(dom1, &err), "%s", err ? err->message : "");
    cr_assert(gp_sim_write(sim, remove, "1"));
    uri = gp_test_stopped_domains_uri(sim, NULL);
    rebalance = gp_test_must(sim, "rebalance", "--connect", uri, NULL);
    cr_expect(strstr(rebalance->out, "vm1: dropped its claim on mdev "), "%s", rebalance->out);
    cr_expect_eq(gp_test_claim_count(), 0);
}

/* An mdev of gpupool's that no claim owns but a process has open is a
 * guest gpupool lost track of: it stays, and the reason is given. */
Test(reconcile, an_unclaimed_mdev_still_open_through_vfio_stays)
{
    g_autoptr(GpSim) sim = gp_test_mbochs_pool_host("mbochs-medium");
    g_autofree char *mine = orphan(sim, DOM1, 0);
    g_autofree char *group_rel = gp_sysfs_mdev_dev_path(mine, "iommu_group");
    g_autofree char *group = gp_sysfs_link_name(group_rel, NULL);
    g_autofree char *proc = g_build_filename(gp_sim_base(sim), "proc", NULL);
    g_autofree char *fd_dir = g_build_filename(proc, "77", "fd", NULL);
    g_autofree char *fd = g_build_filename(fd_dir, "30", NULL);
    g_autofree char *dev = g_strdup_printf("/dev/vfio/%s", group);
    g_autofree char *comm = g_build_filename(proc, "77", "comm", NULL);
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) doms = g_ptr_array_new();
    g_autoptr(GError) err = NULL;

    cr_assert_not_null(group);
    cr_assert_eq(g_mkdir_with_parents(fd_dir, 0755), 0);
    cr_assert_eq(symlink(dev, fd), 0);
    cr_assert(g_file_set_contents(comm, "qemu-system-x86\n", -1, NULL));
    g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);
    ledger = gp_ledger_open(GP_LEDGER_WRITE, &err);
    cr_assert_not_null(ledger, "%s", err ? err->message : "");
    g_ptr_array_add(doms, (gpointer)DOM1);
    cr_assert_eq(gp_reconcile_host(ledger, doms, NULL, done, kept), 0);
    cr_expect_eq(done->len, 0);
    cr_assert_eq(kept->len, 1);
    cr_expect(strstr(kept->pdata[0], "still in use"), "%s", (char *)kept->pdata[0]);
    cr_expect(strstr(kept->pdata[0], "77 (qemu-system-x86)"), "%s", (char *)kept->pdata[0]);
    cr_expect(mdev_exists(mine));
    g_unsetenv("GPUPOOL_PROC_ROOT");
}

/* A VF's vendor profile with no claim on the VF (a prepare killed after
 * it set the profile, before it saved the claim) is cleared by setup. */
Test(reconcile, setup_clears_the_profile_of_a_vf_no_claim_holds)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GpTestRun) setup = NULL;
    g_autofree char *now = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/0000:c1:00.5/nvidia/current_vgpu_type",
                           "1158"));
    setup = gp_test_must(sim, "setup", NULL);
    now = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/nvidia/current_vgpu_type");
    cr_expect_str_eq(now, "0");
    gp_test_l40s_done();
}

/* libvirtd restarted: the reconnect of any running domain puts right
 * what the claims tell, here a VF profile nobody holds. */
Test(reconcile, reconnect_clears_the_profile_of_a_vf_no_claim_holds)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autofree char *held = NULL;
    g_autofree char *nobody = NULL;

    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    cr_assert(gp_sim_write(sim, "bus/pci/devices/0000:c1:00.5/nvidia/current_vgpu_type",
                           "1158"));
    cr_assert(gp_lifecycle_reconnect(dom, warnings, &err), "%s", err ? err->message : "");
    held = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    nobody = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/nvidia/current_vgpu_type");
    cr_expect_str_eq(held, "1158");
    cr_expect_str_eq(nobody, "0");
    cr_expect_eq(gp_test_claim_count(), 1);
    gp_test_l40s_done();
}
