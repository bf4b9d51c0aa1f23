/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the ledger reads from the host (src/ledger/probe.c): the facts
 * about a pool's members behind the capacity numbers, and about a
 * domain's devices behind the hook's decisions, on simulated hosts.  What
 * cannot be read is a member that gives nothing, with the reason and the
 * fix, never an error. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "state/domain.h"
#include "state/poolstore.h"
#include "policy/capacity.h"
#include "ledger/probe.h"
#include "pool-fixtures.h"

#define DOM "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12"
#define MDEV_UUID "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0001"

TestSuite(probe);

/* Pool NAME of TYPE with MEMBERS (NULL-terminated) and MDEV_TYPE. */
static GpPool *
pool_of(const char *name, GpPoolType type, const char *const *members, const char *mdev_type)
{
    GpPool *pool = gp_pool_new(name, type, NULL);

    cr_assert_not_null(pool);
    for (guint i = 0; members[i]; i++)
        cr_assert(gp_pool_add_device(pool, members[i], NULL, NULL, NULL));
    pool->mdev_type = g_strdup(mdev_type);
    return pool;
}

static const GpMemberFacts *
facts_at(GPtrArray *facts, guint i)
{
    cr_assert_lt(i, facts->len);
    return facts->pdata[i];
}

/* ---- A pool's members ------------------------------------------------------ */

Test(probe, whole_devices_are_ready_on_vfio_pci_and_companions_are_no_members)
{
    g_autoptr(GpSim) sim = gp_test_hook_host();
    g_autoptr(GpPool) pool = gp_poolstore_load("gpus", NULL);
    g_autoptr(GPtrArray) facts = NULL;
    const GpMemberFacts *f;

    /* A member that was pulled from the host. */
    cr_assert(gp_pool_add_device(pool, "0000:99:00.0", "nvidia", NULL, NULL));
    facts = gp_ledger_probe_pool(pool);
    cr_assert_eq(facts->len, 5, "GPU0, GPU1, GPU2, NVIDIA and the pulled one, not AUDIO0");
    f = facts_at(facts, 0);
    cr_assert_str_eq(f->address, GP_HOOK_HOST_GPU0);
    cr_assert(f->present && f->ready);
    cr_assert_null(f->problem);
    cr_assert_eq(f->room, -1);
    f = facts_at(facts, 3);
    cr_assert_str_eq(f->address, GP_HOOK_HOST_NVIDIA);
    cr_assert(f->present);
    cr_assert_not(f->ready);
    cr_assert_str_eq(f->problem, "not on vfio-pci: run 'gpupool setup'");
    f = facts_at(facts, 4);
    cr_assert_str_eq(f->address, "0000:99:00.0");
    cr_assert_not(f->present);
    cr_assert_eq(f->health, GP_PCI_HEALTH_GONE);
    cr_assert(g_str_has_prefix(f->problem, "quarantined: gone from the PCI bus: "), "%s",
              f->problem);
    cr_assert_not_null(strstr(f->problem, "'gpupool pool-remove gpus 0000:99:00.0'"), "%s",
                       f->problem);
}

Test(probe, a_member_that_broke_is_quarantined_with_the_reason_and_the_fix)
{
    g_autoptr(GpSim) sim = gp_test_hook_host();
    g_autoptr(GpPool) pool = gp_poolstore_load("gpus", NULL);
    g_autoptr(GPtrArray) facts = NULL;
    const GpMemberFacts *f;

    cr_assert(gp_sim_pci_set_dead(sim, GP_HOOK_HOST_GPU1));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_HOOK_HOST_GPU2 "/reset_method", "\n"));
    facts = gp_ledger_probe_pool(pool);
    f = facts_at(facts, 1);
    cr_assert_str_eq(f->address, GP_HOOK_HOST_GPU1);
    cr_assert(f->present && f->ready, "still there, still on vfio-pci");
    cr_assert_eq(f->health, GP_PCI_HEALTH_DEAD);
    cr_assert(g_str_has_prefix(f->problem, "quarantined: its config space reads all-ones"),
              "%s", f->problem);
    f = facts_at(facts, 2);
    cr_assert_eq(f->health, GP_PCI_HEALTH_NO_RESET);
    cr_assert(g_str_has_prefix(f->problem, "quarantined: the kernel has no reset method"),
              "%s", f->problem);
    cr_assert_eq(facts_at(facts, 0)->health, GP_PCI_HEALTH_OK);
    cr_assert_null(facts_at(facts, 0)->problem);
}

Test(probe, a_domains_device_is_probed_for_its_health)
{
    g_autoptr(GpSim) sim = gp_test_hook_host();
    g_autoptr(GpDomain) dom = gp_domain_new(DOM, "vm1");
    GpDomainDevice *gpu = gp_domain_add_device(dom, "ua-gpupool-0", "gpus", GP_HOOK_HOST_GPU1);

    gp_ledger_probe_device(gpu, GP_POOL_TYPE_PCI);
    cr_assert_eq(gpu->health, GP_PCI_HEALTH_OK);
    cr_assert(gp_sim_pci_set_dead(sim, GP_HOOK_HOST_GPU1));
    gp_ledger_probe_device(gpu, GP_POOL_TYPE_PCI);
    cr_assert_eq(gpu->health, GP_PCI_HEALTH_DEAD);
    cr_assert(gpu->present);
    cr_assert(gp_sim_pci_remove(sim, GP_HOOK_HOST_GPU1));
    gp_ledger_probe_device(gpu, GP_POOL_TYPE_PCI);
    cr_assert_eq(gpu->health, GP_PCI_HEALTH_GONE);
    cr_assert_not(gpu->present);
}

Test(probe, a_pf_without_vfs_says_how_to_enable_them)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    const char *const members[] = { GP_SIM_INTEL_SRIOV_GPU, NULL };
    g_autoptr(GpPool) pool = pool_of("flex", GP_POOL_TYPE_VF, members, NULL);
    g_autoptr(GPtrArray) facts = gp_ledger_probe_pool(pool);
    const GpMemberFacts *f = facts_at(facts, 0);

    cr_assert(f->present);
    cr_assert_null(f->vfs);
    cr_assert_str_eq(f->problem, "no VFs enabled: run 'gpupool partition-set "
                     GP_SIM_INTEL_SRIOV_GPU " --count N'");
}

Test(probe, vfs_are_ready_on_vfio_pci_in_vf_order)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    const char *const members[] = { GP_SIM_INTEL_SRIOV_GPU, NULL };
    g_autoptr(GpPool) pool = pool_of("flex", GP_POOL_TYPE_VF, members, NULL);
    g_autoptr(GPtrArray) facts = NULL;
    const GpMemberFacts *f;
    const GpVfFacts *vf;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "3"));
    /* The second VF goes to vfio-pci; the others stay on i915. */
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/i915/unbind", "0000:4d:00.2"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/0000:4d:00.2/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", "0000:4d:00.2"));
    facts = gp_ledger_probe_pool(pool);
    f = facts_at(facts, 0);
    cr_assert_null(f->problem, "%s", f->problem);
    cr_assert_eq(f->room, -1, "no vendor profile, no limit of its own");
    cr_assert_eq(f->vfs->len, 3);
    vf = f->vfs->pdata[0];
    cr_assert_str_eq(vf->address, "0000:4d:00.1");
    cr_assert_not(vf->ready, "a VF on i915 cannot be handed out");
    vf = f->vfs->pdata[1];
    cr_assert_str_eq(vf->address, "0000:4d:00.2");
    cr_assert(vf->ready);
}

Test(probe, a_vendor_profile_gives_the_room_its_back_end_tells)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GpPool) pool = gp_poolstore_load("l40s", NULL);
    g_autoptr(GPtrArray) facts = NULL;
    g_autoptr(GPtrArray) odd = NULL;
    const GpMemberFacts *f;

    cr_assert_not_null(pool);
    facts = gp_ledger_probe_pool(pool);
    f = facts_at(facts, 0);
    cr_assert_null(f->problem, "%s", f->problem);
    cr_assert_eq(f->vfs->len, 16);
    /* NVIDIA's VFs stay on nvidia, where their vGPU files are. */
    cr_assert(((GpVfFacts *)f->vfs->pdata[0])->ready);
    cr_assert_eq(f->room, 6, "8 GiB partitions in 48 GiB");

    g_free(pool->vf_profile);
    pool->vf_profile = g_strdup("9999");
    odd = gp_ledger_probe_pool(pool);
    f = facts_at(odd, 0);
    cr_assert_eq(f->room, 0);
    cr_assert_str_eq(f->problem, "does not offer profile 9999: see 'gpupool partitions "
                     GP_SIM_SRIOV_GPU "'");
    gp_test_l40s_done();
}

Test(probe, an_mdev_parent_gives_the_instances_of_the_pools_type_it_can_still_create)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    const char *const members[] = { GP_SIM_MDEV_GPU, NULL };
    const char *const gone[] = { "0000:99:00.0", NULL };
    g_autoptr(GpPool) pool = pool_of("vgpu", GP_POOL_TYPE_MDEV, members, "nvidia-224");
    g_autoptr(GpPool) untyped = pool_of("vgpu", GP_POOL_TYPE_MDEV, members, NULL);
    g_autoptr(GpPool) other = pool_of("vgpu", GP_POOL_TYPE_MDEV, members, "nvidia-999");
    g_autoptr(GpPool) missing = pool_of("vgpu", GP_POOL_TYPE_MDEV, gone, "nvidia-224");
    g_autoptr(GPtrArray) facts = gp_ledger_probe_pool(pool);
    g_autoptr(GPtrArray) after = NULL;
    g_autoptr(GPtrArray) f_untyped = gp_ledger_probe_pool(untyped);
    g_autoptr(GPtrArray) f_other = gp_ledger_probe_pool(other);
    g_autoptr(GPtrArray) f_missing = gp_ledger_probe_pool(missing);
    const char *const off_bus[] = { "mdpy", NULL };
    g_autoptr(GpPool) virtual = pool_of("disp", GP_POOL_TYPE_MDEV, off_bus, "mdpy-vga");
    g_autoptr(GPtrArray) f_virtual = gp_ledger_probe_pool(virtual);

    cr_assert(facts_at(facts, 0)->present);
    cr_assert_eq(facts_at(facts, 0)->room, 4);
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-224", MDEV_UUID));
    after = gp_ledger_probe_pool(pool);
    cr_assert_eq(facts_at(after, 0)->room, 3);

    cr_assert_eq(facts_at(f_untyped, 0)->room, 0);
    cr_assert_str_eq(facts_at(f_untyped, 0)->problem, "no mdev type set");
    cr_assert_eq(facts_at(f_other, 0)->room, 0);
    cr_assert_str_eq(facts_at(f_other, 0)->problem, "does not offer nvidia-999");
    /* A PCI parent that left the bus is quarantined; one off the bus
     * (a sample driver's) is missing while its module is not loaded. */
    cr_assert_not(facts_at(f_missing, 0)->present);
    cr_assert_eq(facts_at(f_missing, 0)->health, GP_PCI_HEALTH_GONE);
    cr_assert(g_str_has_prefix(facts_at(f_missing, 0)->problem,
                               "quarantined: gone from the PCI bus: "), "%s",
              facts_at(f_missing, 0)->problem);
    cr_assert_not(facts_at(f_virtual, 0)->present);
    cr_assert_eq(facts_at(f_virtual, 0)->health, GP_PCI_HEALTH_OK);
    cr_assert_str_eq(facts_at(f_virtual, 0)->problem, "missing from this host");
}

/* ---- A domain's devices ---------------------------------------------------- */

Test(probe, a_whole_device_is_probed_for_its_driver_and_bars)
{
    g_autoptr(GpSim) sim = gp_test_hook_host();
    g_autoptr(GpDomain) dom = gp_domain_new(DOM, "vm1");
    GpDomainDevice *gpu = gp_domain_add_device(dom, "ua-gpupool-0", "gpus", GP_HOOK_HOST_GPU0);
    GpDomainDevice *gone = gp_domain_add_device(dom, "ua-gpupool-1", "gpus", "0000:99:00.0");

    gp_ledger_probe_device(gpu, GP_POOL_TYPE_PCI);
    cr_assert(gpu->present);
    cr_assert_str_eq(gpu->driver, "vfio-pci");
    cr_assert_null(gpu->parent);
    cr_assert_eq(gpu->bars[0].size, 16 << 20);
    cr_assert_not(gpu->bars[0].is_64bit);
    cr_assert_eq(gpu->bars[1].size, 16ULL << 30);
    cr_assert(gpu->bars[1].is_64bit && gpu->bars[1].prefetchable);
    cr_assert_eq(gpu->bars[3].size, 32 << 20);
    gp_ledger_probe_device(gone, GP_POOL_TYPE_PCI);
    cr_assert_not(gone->present);
    cr_assert_null(gone->driver);
}

Test(probe, probing_again_forgets_what_the_host_said_before)
{
    g_autoptr(GpSim) sim = gp_test_hook_host();
    g_autoptr(GpDomain) dom = gp_domain_new(DOM, "vm1");
    GpDomainDevice *gpu = gp_domain_add_device(dom, "ua-gpupool-0", "gpus", GP_HOOK_HOST_GPU0);

    gp_ledger_probe_device(gpu, GP_POOL_TYPE_PCI);
    cr_assert(gpu->present);
    g_free(gpu->device);
    gpu->device = g_strdup("0000:99:00.0");
    gp_ledger_probe_device(gpu, GP_POOL_TYPE_PCI);
    cr_assert_not(gpu->present);
    cr_assert_null(gpu->driver);
    cr_assert_eq(gpu->bars[1].size, 0);
}

Test(probe, a_vf_is_probed_for_its_pf_and_whether_its_partitions_stay_on_the_vendor_driver)
{
    g_autoptr(GpSim) sim = gp_test_l40s_pool_host("1158", 0);
    g_autoptr(GpDomain) dom = gp_domain_new(DOM, "vm1");
    GpDomainDevice *vf = gp_domain_add_device(dom, "ua-gpupool-0", "l40s", "0000:c1:00.4");

    gp_ledger_probe_device(vf, GP_POOL_TYPE_VF);
    cr_assert(vf->present);
    cr_assert_str_eq(vf->parent, GP_SIM_SRIOV_GPU);
    cr_assert_str_eq(vf->driver, "nvidia");
    cr_assert(vf->driver_stays);
    gp_test_l40s_done();
}

Test(probe, a_vf_on_vfio_pci_needs_no_vendor_driver)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autoptr(GpDomain) dom = gp_domain_new(DOM, "vm1");
    GpDomainDevice *vf = gp_domain_add_device(dom, "ua-gpupool-0", "flex", "0000:4d:00.1");

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "1"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/i915/unbind", "0000:4d:00.1"));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/0000:4d:00.1/driver_override", "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", "0000:4d:00.1"));
    gp_ledger_probe_device(vf, GP_POOL_TYPE_VF);
    cr_assert(vf->present);
    cr_assert_str_eq(vf->parent, GP_SIM_INTEL_SRIOV_GPU);
    cr_assert_str_eq(vf->driver, "vfio-pci");
    cr_assert_not(vf->driver_stays);
}

Test(probe, an_mdev_is_probed_for_its_parent_pci_or_not)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autoptr(GpDomain) dom = gp_domain_new(DOM, "vm1");
    GpDomainDevice *mdev = gp_domain_add_device(dom, "ua-gpupool-0", "disp", MDEV_UUID);

    gp_ledger_probe_device(mdev, GP_POOL_TYPE_MDEV);
    cr_assert_not(mdev->present, "made at start, not before");
    cr_assert_null(mdev->parent);
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-small", MDEV_UUID));
    gp_ledger_probe_device(mdev, GP_POOL_TYPE_MDEV);
    cr_assert(mdev->present);
    cr_assert_str_eq(mdev->parent, GP_SIM_MBOCHS);
}
