/* The generic mdev back end on simulated NVIDIA (T4) and mbochs parents. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sysfs.h"
#include "host/backends.h"
#include "ops/partition.h"
#include "sim.h"

#define UUID_A "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0001"
#define UUID_B "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0002"

static GpPartInfo *
describe(const char *device)
{
    GpPartInfo *info = gp_part_info_new(device);
    g_autoptr(GError) err = NULL;

    cr_assert(gp_backend_lookup("mdev")->describe(device, info, &err), "%s", err ? err->message : "");
    return info;
}

Test(backend_mdev, t4_profiles_show_vram_and_the_counts_the_gpu_offers)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autoptr(GpPartInfo) info = NULL;
    GpPartProfile *q1, *q4;
    const guint expected[] = { 1, 2, 4, 8, 16 };

    cr_assert_eq(gp_backend_lookup("mdev")->probe(GP_SIM_MDEV_GPU), GP_BACKEND_SCORE_GENERIC);
    info = describe(GP_SIM_MDEV_GPU);
    cr_assert_eq(info->profiles->len, 5);
    q1 = gp_part_info_find_profile(info, "nvidia-222");
    q4 = gp_part_info_find_profile(info, "nvidia-224");
    cr_assert_not_null(q1);
    cr_assert_str_eq(q1->name, "GRID T4-1Q");
    cr_assert_eq(q1->vram, G_GUINT64_CONSTANT(1) << 30);
    cr_assert_eq(q1->max_instances, 16);
    cr_assert_eq(q1->available, 16);
    cr_assert_eq(q4->vram, G_GUINT64_CONSTANT(4) << 30);
    cr_assert_eq(q4->max_instances, 4);
    cr_assert_eq(info->valid_counts->len, G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
        cr_assert_eq(g_array_index(info->valid_counts, guint, i), expected[i]);
    cr_assert_eq(info->vram_total, G_GUINT64_CONSTANT(16) << 30);
    cr_assert_eq(info->vram_free, info->vram_total);
    cr_assert_eq(info->count, 0);
    cr_assert_null(info->profile);
}

Test(backend_mdev, mbochs_counts_come_from_available_instances_on_an_unused_parent)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autoptr(GpPartInfo) info = describe(GP_SIM_MBOCHS);

    cr_assert_eq(gp_part_info_find_profile(info, "mbochs-small")->max_instances, 128);
    cr_assert_eq(gp_part_info_find_profile(info, "mbochs-medium")->max_instances, 32);
    cr_assert_eq(gp_part_info_find_profile(info, "mbochs-large")->max_instances, 8);
    cr_assert(gp_part_info_has_count(info, 8));
    cr_assert(gp_part_info_has_count(info, 32));
    cr_assert(gp_part_info_has_count(info, 128));
    cr_assert_not(gp_part_info_has_count(info, 16));
}

Test(backend_mdev, prepare_creates_the_uuid_and_is_idempotent_and_release_gives_capacity_back)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autoptr(GpPartition) part = gp_partition_new(GP_PART_KIND_MDEV, NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GpPartInfo) after = NULL;
    g_autoptr(GpPartInfo) released = NULL;
    g_autofree char *before = NULL;
    g_autofree char *end = NULL;

    /* On a real host the mdev driver is registered before any mdev
     * exists; in the simulation the first mdev registers it. */
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-small", UUID_B));
    cr_assert(gp_sim_write(sim, "bus/mdev/devices/" UUID_B "/remove", "1"));
    before = gp_sim_snapshot(sim);
    part->uuid = g_strdup(UUID_A);
    cr_assert(gp_backend_lookup("mdev")->prepare(GP_SIM_MBOCHS, "mbochs-large", part, &err), "%s",
              err ? err->message : "");
    cr_assert_str_eq(part->parent, GP_SIM_MBOCHS);
    cr_assert(gp_sim_read(sim, "bus/mdev/devices/" UUID_A "/mdev_type") != NULL ||
              gp_sysfs_is_dir("bus/mdev/devices/" UUID_A));
    after = describe(GP_SIM_MBOCHS);
    cr_assert_eq(gp_part_info_find_profile(after, "mbochs-large")->available, 7);
    cr_assert_eq(gp_part_info_find_profile(after, "mbochs-large")->in_use, 1);
    cr_assert_str_eq(after->profile, "mbochs-large");
    cr_assert_eq(after->count, 8);
    cr_assert_eq(after->in_use, 1);

    /* Again: the mdev is there already, nothing more is created. */
    cr_assert(gp_backend_lookup("mdev")->prepare(GP_SIM_MBOCHS, "mbochs-large", part, &err));
    {
        g_autoptr(GpPartInfo) again = describe(GP_SIM_MBOCHS);

        cr_assert_eq(again->in_use, 1);
    }

    cr_assert(gp_backend_lookup("mdev")->release(GP_SIM_MBOCHS, part, &err), "%s",
              err ? err->message : "");
    cr_assert_not(gp_sysfs_is_dir("bus/mdev/devices/" UUID_A));
    released = describe(GP_SIM_MBOCHS);
    cr_assert_eq(gp_part_info_find_profile(released, "mbochs-large")->available, 8);
    /* Releasing what is gone already is fine. */
    cr_assert(gp_backend_lookup("mdev")->release(GP_SIM_MBOCHS, part, &err));
    end = gp_sim_snapshot(sim);
    cr_assert_str_eq(end, before);
}

Test(backend_mdev, prepare_refuses_when_the_parent_is_full_and_changes_nothing)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autoptr(GpPartition) part = gp_partition_new(GP_PART_KIND_MDEV, NULL);
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    /* A homogeneous T4 with one 2Q vGPU offers no 1Q any more. */
    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-223", UUID_B));
    before = gp_sim_snapshot(sim);
    part->uuid = g_strdup(UUID_A);
    cr_assert_not(gp_backend_lookup("mdev")->prepare(GP_SIM_MDEV_GPU, "nvidia-222", part, &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_NO_CAPACITY));
    cr_assert(strstr(err->message, GP_SIM_MDEV_GPU) && strstr(err->message, "nvidia-222"),
              "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(backend_mdev, describe_with_a_vgpu_in_use_keeps_the_gpus_counts_and_vram)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autoptr(GpPartInfo) info = NULL;

    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MDEV_GPU, "nvidia-224", UUID_A));
    info = describe(GP_SIM_MDEV_GPU);
    cr_assert_str_eq(info->profile, "nvidia-224");
    cr_assert_eq(info->count, 4);
    cr_assert_eq(info->in_use, 1);
    cr_assert_eq(info->vram_total, G_GUINT64_CONSTANT(16) << 30);
    cr_assert_eq(info->vram_free, G_GUINT64_CONSTANT(12) << 30);
    cr_assert_eq(gp_part_info_find_profile(info, "nvidia-224")->available, 3);
    cr_assert_eq(gp_part_info_find_profile(info, "nvidia-222")->max_instances, 16);
}

Test(backend_mdev, configure_refuses_a_type_the_parent_does_not_offer_and_changes_nothing)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autoptr(GError) err = NULL;
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    cr_assert_not(gp_backend_lookup("mdev")->configure(GP_SIM_MBOCHS, 0, "nvidia-63", &err));
    cr_assert(g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID));
    cr_assert(strstr(err->message, "offers no mdev type 'nvidia-63'"), "%s", err->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(backend_mdev, release_of_a_busy_mdev_retries_then_names_it)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_mbochs();
    g_autoptr(GpPartition) part = gp_partition_new(GP_PART_KIND_MDEV, GP_SIM_MBOCHS);
    g_autoptr(GError) err = NULL;
    g_autofree char *remove = NULL;

    cr_assert(gp_sim_create_mdev(sim, GP_SIM_MBOCHS, "mbochs-small", UUID_A));
    /* A remove file that cannot be opened for writing stands for an mdev
     * the kernel will not let go of. */
    remove = gp_sim_path(sim, "bus/mdev/devices/" UUID_A "/remove");
    cr_assert_eq(chmod(remove, 0444), 0);
    if (access(remove, W_OK) == 0)
        cr_skip_test("running as root: permissions cannot make the file unwritable");
    part->uuid = g_strdup(UUID_A);
    cr_assert_not(gp_backend_lookup("mdev")->release(GP_SIM_MBOCHS, part, &err));
    cr_assert(strstr(err->message, "cannot remove mdev " UUID_A), "%s", err->message);
    cr_assert(gp_sysfs_is_dir("bus/mdev/devices/" UUID_A));
}
