/* NVIDIA vGPU on SR-IOV VFs (the nvidia-vgpu module) on a simulated L40S:
 * 16 VFs, 48 GiB, vGPU types 1155 (1Q) .. 1161 (48Q), homogeneous. */
#include "config.h"

#include <criterion/criterion.h>
#include <gmodule.h>
#include <string.h>
#include <unistd.h>

#include "host/backends.h"
#include "sim.h"

#define PF GP_SIM_SRIOV_GPU
#define VF1 "0000:c1:00.4"
#define VF2 "0000:c1:00.5"

static GpSim *
l40s(void)
{
    GpSim *sim = gp_sim_fixture_nvidia_sriov();

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    gp_backend_reset();
    return sim;
}

static const GpBackendOps *
nvidia(void)
{
    const GpBackendOps *ops = gp_backend_for(PF, NULL);

    cr_assert_not_null(ops);
    cr_assert_str_eq(ops->name, "nvidia-vgpu");
    return ops;
}

/* The L40S with every VF enabled for vGPU type VGPU_TYPE. */
static GpSim *
l40s_configured(const char *vgpu_type)
{
    GpSim *sim = l40s();
    g_autoptr(GError) err = NULL;

    cr_assert(nvidia()->configure(PF, 0, vgpu_type, &err), "%s", err ? err->message : "");
    return sim;
}

static GpPartition *
vf_part(const char *address)
{
    GpPartition *part = gp_partition_new(GP_PART_KIND_VF, NULL);

    part->address = g_strdup(address);
    return part;
}

Test(backend_nvidia, the_vendor_module_outranks_generic_sriov)
{
    g_autoptr(GpSim) sim = l40s();
    GPtrArray *problems;

    cr_assert_eq(nvidia()->kind, GP_PART_KIND_VF);
    cr_assert(nvidia()->driver_stays);
    cr_assert(gp_backend_lookup("vf")->probe(PF) < nvidia()->probe(PF));
    problems = gp_backend_problems();
    cr_assert_eq(problems->len, 0, "%s", problems->len ? (char *)problems->pdata[0] : "");
}

Test(backend_nvidia, configure_enables_every_vf_and_describe_reads_the_vgpu_types)
{
    g_autoptr(GpSim) sim = l40s();
    g_autoptr(GpPartInfo) info = gp_part_info_new(PF);
    g_autoptr(GError) err = NULL;
    g_autofree char *num = NULL;
    g_autofree char *drv = NULL;
    GpPartProfile *q8;

    cr_assert(nvidia()->configure(PF, 0, "1158", &err), "%s", err ? err->message : "");
    num = gp_sim_read(sim, "bus/pci/devices/" PF "/sriov_numvfs");
    cr_assert_str_eq(num, "16");
    /* VFs stay on nvidia: the vGPU files are the driver's. */
    drv = gp_sim_driver(sim, VF1);
    cr_assert_str_eq(drv, "nvidia");
    cr_assert(nvidia()->describe(PF, info, &err), "%s", err ? err->message : "");
    cr_assert_eq(info->profiles->len, 7);
    q8 = gp_part_info_find_profile(info, "1158");
    cr_assert_str_eq(q8->name, "NVIDIA L40S-8Q");
    cr_assert_eq(q8->vram, G_GUINT64_CONSTANT(8) << 30);
    cr_assert_eq(q8->max_instances, 6);
    cr_assert_eq(q8->available, 6);
    cr_assert_eq(gp_part_info_find_profile(info, "1155")->max_instances, 16);
    cr_assert(gp_part_info_has_count(info, 6));
    cr_assert(gp_part_info_has_count(info, 1));
    cr_assert_eq(info->vram_total, G_GUINT64_CONSTANT(48) << 30);
}

Test(backend_nvidia, configure_refuses_a_type_it_does_not_list_and_changes_nothing)
{
    g_autoptr(GpSim) sim = l40s();
    g_autoptr(GError) err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    cr_assert_not(nvidia()->configure(PF, 0, "999", &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID));
    cr_assert(strstr(err->message, "cannot create vGPU type 999"), "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(backend_nvidia, prepare_sets_the_type_once_and_release_clears_it)
{
    g_autoptr(GpSim) sim = l40s_configured("1158");
    g_autoptr(GpPartition) part = vf_part(VF1);
    g_autoptr(GError) err = NULL;
    g_autofree char *cur = NULL;
    g_autofree char *cleared = NULL;
    g_autofree char *proc = NULL;

    /* An empty process table: nobody has the VF open. */
    proc = g_build_filename(gp_sim_base(sim), "proc", NULL);
    g_mkdir_with_parents(proc, 0755);
    g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);

    cr_assert(nvidia()->prepare(PF, "1158", part, &err), "%s", err ? err->message : "");
    cr_assert(part->host_driver_stays);
    cr_assert_str_eq(part->parent, PF);
    cur = gp_sim_read(sim, "bus/pci/devices/" VF1 "/nvidia/current_vgpu_type");
    cr_assert_str_eq(cur, "1158");
    /* Again: already so. */
    cr_assert(nvidia()->prepare(PF, "1158", part, &err), "%s", err ? err->message : "");
    cr_assert(nvidia()->release(PF, part, &err), "%s", err ? err->message : "");
    cleared = gp_sim_read(sim, "bus/pci/devices/" VF1 "/nvidia/current_vgpu_type");
    cr_assert_str_eq(cleared, "0");
    g_unsetenv("GPUPOOL_PROC_ROOT");
}

Test(backend_nvidia, prepare_refuses_a_vf_holding_another_type)
{
    g_autoptr(GpSim) sim = l40s_configured("1158");
    g_autoptr(GpPartition) part = vf_part(VF1);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" VF1 "/nvidia/current_vgpu_type", "1157"));
    before = gp_sim_snapshot(sim);
    cr_assert_not(nvidia()->prepare(PF, "1158", part, &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_BUSY));
    cr_assert(strstr(err->message, VF1 " already has vGPU type 1157"), "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(backend_nvidia, prepare_reports_no_capacity_when_the_framebuffer_is_full)
{
    g_autoptr(GpSim) sim = l40s_configured("1161");
    g_autoptr(GpPartition) part = vf_part(VF2);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    cr_assert(gp_sim_write(sim, "bus/pci/devices/" VF1 "/nvidia/current_vgpu_type", "1161"));
    before = gp_sim_snapshot(sim);
    cr_assert_not(nvidia()->prepare(PF, "1161", part, &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_NO_CAPACITY), "%s",
              err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(backend_nvidia, release_refuses_while_a_vfio_handle_is_open_and_keeps_the_type)
{
    g_autoptr(GpSim) sim = l40s_configured("1158");
    g_autoptr(GpPartition) part = vf_part(VF1);
    g_autoptr(GError) err = NULL;
    g_autofree char *fd_dir = NULL;
    g_autofree char *fd = NULL;
    g_autofree char *target = NULL;
    g_autofree char *comm = NULL;
    g_autofree char *proc = NULL;
    g_autofree char *cur = NULL;
    int group;

    cr_assert(nvidia()->prepare(PF, "1158", part, &err));
    group = gp_sim_iommu_group(sim, VF1);
    cr_assert_geq(group, 0);
    /* A stand-in /proc where process 4242 (qemu) still holds the VF's
     * VFIO group. */
    fd_dir = g_build_filename(gp_sim_base(sim), "proc", "4242", "fd", NULL);
    cr_assert_eq(g_mkdir_with_parents(fd_dir, 0755), 0);
    fd = g_build_filename(fd_dir, "17", NULL);
    target = g_strdup_printf("/dev/vfio/%d", group);
    cr_assert_eq(symlink(target, fd), 0);
    comm = g_build_filename(gp_sim_base(sim), "proc", "4242", "comm", NULL);
    cr_assert(g_file_set_contents(comm, "qemu-system-x86\n", -1, NULL));
    proc = g_build_filename(gp_sim_base(sim), "proc", NULL);
    g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);

    cr_assert_not(nvidia()->release(PF, part, &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_BUSY));
    cr_assert(strstr(err->message, "4242 (qemu-system-x86)"), "%s", err->message);
    cur = gp_sim_read(sim, "bus/pci/devices/" VF1 "/nvidia/current_vgpu_type");
    cr_assert_str_eq(cur, "1158");
    g_unsetenv("GPUPOOL_PROC_ROOT");
}

Test(backend_nvidia, a_module_built_for_another_abi_refuses_to_load)
{
    g_autofree char *path = g_build_filename(GP_TEST_PLUGINDIR, "nvidia-vgpu." G_MODULE_SUFFIX,
                                             NULL);
    GModule *module = g_module_open(path, G_MODULE_BIND_LOCAL);
    gpointer sym = NULL;
    g_autoptr(GError) err = NULL;

    cr_assert_not_null(module, "%s", g_module_error());
    cr_assert(g_module_symbol(module, GP_BACKEND_MODULE_INIT_SYMBOL, &sym));
    cr_assert_null(((GpBackendModuleInit)sym)(gp_backend_host(), GP_BACKEND_ABI + 1, &err));
    cr_assert(strstr(err->message, "install the module that came with this gpupool"), "%s",
              err->message);
    g_module_close(module);
}

Test(backend_nvidia, a_broken_module_is_reported_and_the_built_in_back_ends_still_answer)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_sriov();
    g_autofree char *dir = g_build_filename(gp_sim_base(sim), "plugins", NULL);
    g_autofree char *bogus = g_build_filename(dir, "broken." G_MODULE_SUFFIX, NULL);
    GPtrArray *problems;
    const GpBackendOps *ops;

    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    cr_assert(g_file_set_contents(bogus, "not an ELF object", -1, NULL));
    g_setenv("GPUPOOL_PLUGINDIR", dir, TRUE);
    gp_backend_reset();
    problems = gp_backend_problems();
    cr_assert_eq(problems->len, 1);
    cr_assert(strstr(problems->pdata[0], "back-end module ") &&
              strstr(problems->pdata[0], "broken." G_MODULE_SUFFIX " does not load"),
              "%s", (const char *)problems->pdata[0]);
    /* Without its vendor module the L40S is a generic SR-IOV device. */
    ops = gp_backend_for(PF, NULL);
    cr_assert_str_eq(ops->name, "vf");
    g_unsetenv("GPUPOOL_PLUGINDIR");
    gp_backend_reset();
}
