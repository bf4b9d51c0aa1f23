/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Simulated hosts with pools on them (see pool-fixtures.h). */
#include "config.h"

#include "pool-fixtures.h"

#include <criterion/criterion.h>
#include <unistd.h>

#include "host/backends.h"
#include "state/poolstore.h"
#include "ops/partition.h"

/* ---- The hook host ------------------------------------------------------- */

static void
add_gpu(GpSim *sim, const char *rp, guint8 bus, const char *addr, const char *driver,
        gboolean mf)
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

GpSim *
gp_test_hook_host(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;
    GpSimPciSpec audio = {
        .addr = GP_HOOK_HOST_AUDIO0, .parent = "0000:00:01.0", .vendor = 0x10de,
        .device = 0x22ba, .class_code = 0x040300, .driver = "vfio-pci",
        .group_with = GP_HOOK_HOST_GPU0,
    };
    GpSim *sim = gp_sim_new();

    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "vfio-pci");
    gp_sim_add_driver(sim, "nvidia");
    gp_sim_add_driver(sim, "pcieport");
    add_gpu(sim, "0000:00:01.0", 0x41, GP_HOOK_HOST_GPU0, "vfio-pci", TRUE);
    gp_sim_add_pci(sim, &audio);
    add_gpu(sim, "0000:00:02.0", 0x42, GP_HOOK_HOST_GPU1, "vfio-pci", FALSE);
    add_gpu(sim, "0000:00:03.0", 0x43, GP_HOOK_HOST_GPU2, "vfio-pci", FALSE);
    add_gpu(sim, "0000:00:04.0", 0x44, GP_HOOK_HOST_OTHER, "vfio-pci", FALSE);
    add_gpu(sim, "0000:00:05.0", 0x45, GP_HOOK_HOST_NVIDIA, "nvidia", FALSE);

    pool = gp_pool_new("gpus", GP_POOL_TYPE_PCI, &error);
    cr_assert(pool != NULL, "%s", error ? error->message : "");
    cr_assert(gp_pool_add_device(pool, GP_HOOK_HOST_GPU0, "nvidia", NULL, NULL));
    cr_assert(gp_pool_add_device(pool, GP_HOOK_HOST_AUDIO0, "snd_hda_intel",
                                 GP_HOOK_HOST_GPU0, NULL));
    cr_assert(gp_pool_add_device(pool, GP_HOOK_HOST_GPU1, "nvidia", NULL, NULL));
    cr_assert(gp_pool_add_device(pool, GP_HOOK_HOST_GPU2, "nvidia", NULL, NULL));
    cr_assert(gp_pool_add_device(pool, GP_HOOK_HOST_NVIDIA, "nvidia", NULL, NULL));
    cr_assert(gp_poolstore_save(pool, &error), "%s", error ? error->message : "");
    return sim;
}

/* ---- A GPU sharing its IOMMU group with a host NIC ------------------------ */

GpSim *
gp_test_nic_group_host(void)
{
    GpSim *sim = gp_sim_new();
    GpSimPciSpec gpu = {
        .addr = GP_NIC_GROUP_GPU, .parent = "0000:00:01.0", .vendor = 0x10de,
        .device = 0x20b5, .class_code = 0x030200, .driver = "nvidia",
    };
    GpSimPciSpec nic = {
        .addr = GP_NIC_GROUP_NIC, .parent = "0000:00:01.0", .vendor = 0x8086,
        .device = 0x1533, .class_code = 0x020000, .driver = "igb",
        .group_with = GP_NIC_GROUP_GPU,
    };

    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "nvidia");
    gp_sim_add_driver(sim, "igb");
    gp_sim_add_driver(sim, "pcieport");
    gp_sim_add_driver(sim, "vfio-pci");
    gp_sim_add_root_port(sim, "0000:00:01.0", 5);
    gp_sim_add_pci(sim, &gpu);
    gp_sim_add_pci(sim, &nic);
    return sim;
}

/* ---- Partitioning hosts with their pool ------------------------------------ */

GpSim *
gp_test_mbochs_pool_host(const char *mdev_type)
{
    GpSim *sim = gp_sim_fixture_mbochs();
    const char *const members[] = { GP_SIM_MBOCHS, NULL };

    gp_test_save_pool("disp", GP_POOL_TYPE_MDEV, members, mdev_type);
    return sim;
}

GpSim *
gp_test_l40s_pool_host(const char *vgpu_type, guint per_domain)
{
    GpSim *sim = gp_sim_fixture_nvidia_sriov();
    const char *const members[] = { GP_SIM_SRIOV_GPU, NULL };
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autofree char *proc = g_build_filename(gp_sim_base(sim), "proc", NULL);

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    gp_backend_reset();
    g_mkdir_with_parents(proc, 0755);
    g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);
    gp_test_save_pool("l40s", GP_POOL_TYPE_VF, members, NULL);
    cr_assert(gp_partition_set(GP_SIM_SRIOV_GPU, 0, vgpu_type, per_domain, done, &err), "%s",
              err ? err->message : "");
    return sim;
}

void
gp_test_l40s_done(void)
{
    g_unsetenv("GPUPOOL_PROC_ROOT");
    g_unsetenv("GPUPOOL_PLUGINDIR");
}

/* ---- Pools and claims -------------------------------------------------- */

void
gp_test_save_pool(const char *name, GpPoolType type, const char *const *members,
                  const char *mdev_type)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GpPool) pool = gp_pool_new(name, type, &err);

    cr_assert_not_null(pool, "%s", err ? err->message : "");
    for (guint i = 0; members[i]; i++)
        cr_assert(gp_pool_add_device(pool, members[i], NULL, NULL, &err), "%s",
                  err ? err->message : "");
    pool->mdev_type = g_strdup(mdev_type);
    cr_assert(gp_poolstore_save(pool, &err), "%s", err ? err->message : "");
}

GpClaims *
gp_test_load_claims(void)
{
    g_autoptr(GError) error = NULL;
    GpClaims *claims = gp_claims_load(&error);

    cr_assert(claims != NULL, "%s", error ? error->message : "");
    return claims;
}

guint
gp_test_claim_count(void)
{
    g_autoptr(GpClaims) claims = gp_test_load_claims();

    return gp_claims_all(claims)->len;
}

void
gp_test_hold(const char *device, const char *pool, const char *dom_uuid, const char *dom_name,
             const char *parent)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GpClaims) claims = gp_test_load_claims();

    cr_assert(gp_claims_add(claims, device, pool, dom_uuid, dom_name, parent, &err), "%s",
              err ? err->message : "");
    cr_assert(gp_claims_save(claims, &err), "%s", err ? err->message : "");
}

GpDomain *
gp_test_domain(const char *uuid, const char *name, const char *pool, const char *device)
{
    GpDomain *dom = gp_domain_new(uuid, name);

    gp_domain_add_device(dom, "ua-gpupool-0", pool, device);
    dom->pcihole64 = G_GUINT64_CONSTANT(64) << 30;
    return dom;
}

void
gp_test_vfio_user(GpSim *sim, const char *address, const char *pid, const char *comm)
{
    int group = gp_sim_iommu_group(sim, address);
    g_autofree char *proc = g_build_filename(gp_sim_base(sim), "proc", NULL);
    g_autofree char *fd_dir = g_build_filename(proc, pid, "fd", NULL);
    /* One descriptor per group, so a process may hold several. */
    g_autofree char *fd = g_strdup_printf("%s/%d", fd_dir, 30 + group);
    g_autofree char *target = g_strdup_printf("/dev/vfio/%d", group);
    g_autofree char *comm_path = g_build_filename(proc, pid, "comm", NULL);
    g_autofree char *comm_line = g_strconcat(comm, "\n", NULL);

    cr_assert_geq(group, 0, "%s has no IOMMU group", address);
    cr_assert_eq(g_mkdir_with_parents(fd_dir, 0755), 0);
    cr_assert_eq(symlink(target, fd), 0);
    cr_assert(g_file_set_contents(comm_path, comm_line, -1, NULL));
    g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);
}
