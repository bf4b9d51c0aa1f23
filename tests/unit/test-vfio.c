/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-pci binding: all or nothing, on the simulated host. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "host/vfio.h"
#include "sim.h"

static void
assert_driver(GpSim *sim, const char *addr, const char *want)
{
    g_autofree char *driver = gp_sim_driver(sim, addr);

    if (want)
        cr_assert_str_eq(driver ? driver : "(none)", want, "%s", addr);
    else
        cr_assert_null(driver, "%s is bound to %s", addr, driver);
}

static char *
override_of(GpSim *sim, const char *addr)
{
    g_autofree char *rel = g_strdup_printf("bus/pci/devices/%s/driver_override", addr);

    return gp_sim_read(sim, rel);
}

Test(vfio, bind_moves_the_driver_link_to_vfio_pci_and_sets_the_override)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *devs[] = { GP_SIM_DC_GPU0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *override = NULL;

    assert_driver(sim, GP_SIM_DC_GPU0, "nvidia");
    cr_assert(gp_vfio_bind(devs, 1, &error), "%s", error ? error->message : "");
    assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
    override = override_of(sim, GP_SIM_DC_GPU0);
    cr_assert_str_eq(override, "vfio-pci");
    /* The other GPU is untouched. */
    assert_driver(sim, GP_SIM_DC_GPU1, "nvidia");
}

Test(vfio, unbind_gives_the_device_back_and_the_host_is_as_before)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    const char *devs[] = { GP_SIM_DC_GPU0, GP_SIM_DC_GPU1 };
    const char *drivers[] = { "nvidia", "nvidia" };
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;

    cr_assert(gp_vfio_bind(devs, 2, &error), "%s", error ? error->message : "");
    assert_driver(sim, GP_SIM_DC_GPU1, "vfio-pci");
    cr_assert(gp_vfio_unbind(devs, drivers, 2, notes, &error), "%s",
              error ? error->message : "");
    cr_assert_eq(notes->len, 0);
    assert_driver(sim, GP_SIM_DC_GPU0, "nvidia");
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(vfio, the_functions_of_a_card_move_together)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    const char *devs[] = { GP_SIM_WS_GPU, GP_SIM_WS_GPU_AUDIO };
    const char *drivers[] = { "nvidia", "snd_hda_intel" };
    g_autoptr(GError) error = NULL;

    cr_assert(gp_vfio_bind(devs, 2, &error), "%s", error ? error->message : "");
    assert_driver(sim, GP_SIM_WS_GPU, "vfio-pci");
    assert_driver(sim, GP_SIM_WS_GPU_AUDIO, "vfio-pci");
    cr_assert(gp_vfio_unbind(devs, drivers, 2, NULL, &error), "%s",
              error ? error->message : "");
    assert_driver(sim, GP_SIM_WS_GPU, "nvidia");
    assert_driver(sim, GP_SIM_WS_GPU_AUDIO, "snd_hda_intel");
}

Test(vfio, a_failure_midway_rolls_back_every_device_already_moved)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    const char *devs[] = { GP_SIM_WS_GPU, GP_SIM_WS_GPU_AUDIO };
    g_autofree char *override = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_WS_GPU_AUDIO
                                                 "/driver_override");
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autoptr(GError) error = NULL;

    /* A kernel that cannot override the second function: the first is
     * already on vfio-pci when the second fails. */
    cr_assert_eq(unlink(override), 0);
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_vfio_bind(devs, 2, &error));
    cr_assert(g_error_matches(error, GP_VFIO_ERROR, GP_VFIO_ERROR_FAILED));
    cr_assert(strstr(error->message, GP_SIM_WS_GPU_AUDIO), "%s", error->message);
    cr_assert(strstr(error->message, "nothing was changed"), "%s", error->message);
    cr_assert_null(strstr(error->message, "restoring"), "%s", error->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
    assert_driver(sim, GP_SIM_WS_GPU, "nvidia");
}

Test(vfio, a_failure_while_giving_back_rolls_back_to_vfio_pci)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    const char *devs[] = { GP_SIM_WS_GPU, GP_SIM_WS_GPU_AUDIO };
    const char *drivers[] = { "nvidia", "snd_hda_intel" };
    g_autofree char *override = gp_sim_path(sim, "bus/pci/devices/" GP_SIM_WS_GPU_AUDIO
                                                 "/driver_override");
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert(gp_vfio_bind(devs, 2, &error), "%s", error ? error->message : "");
    cr_assert_eq(unlink(override), 0);
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_vfio_unbind(devs, drivers, 2, NULL, &error));
    cr_assert(strstr(error->message, GP_SIM_WS_GPU_AUDIO), "%s", error->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
    assert_driver(sim, GP_SIM_WS_GPU, "vfio-pci");
}

Test(vfio, without_vfio_pci_loaded_nothing_is_touched)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *devs[] = { GP_SIM_DC_GPU0 };
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autoptr(GError) error = NULL;

    gp_sim_remove_driver(sim, "vfio-pci");
    before = gp_sim_snapshot(sim);
    cr_assert_not(gp_vfio_is_loaded());
    cr_assert_not(gp_vfio_bind(devs, 1, &error));
    cr_assert(g_error_matches(error, GP_VFIO_ERROR, GP_VFIO_ERROR_NOT_LOADED));
    cr_assert_str_eq(error->message, "vfio-pci is not loaded: run 'modprobe vfio-pci'");
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(vfio, an_unknown_device_in_the_set_is_refused_before_any_change)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *devs[] = { GP_SIM_DC_GPU0, "0000:99:00.0" };
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert_not(gp_vfio_bind(devs, 2, &error));
    cr_assert(g_error_matches(error, GP_VFIO_ERROR, GP_VFIO_ERROR_NO_DEVICE));
    cr_assert(strstr(error->message, "0000:99:00.0"), "%s", error->message);
    cr_assert(strstr(error->message, "gpupool devices"), "%s", error->message);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}

Test(vfio, binding_twice_changes_nothing_the_second_time)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *devs[] = { GP_SIM_DC_GPU0 };
    g_autofree char *once = NULL;
    g_autofree char *twice = NULL;

    cr_assert(gp_vfio_bind(devs, 1, NULL));
    once = gp_sim_snapshot(sim);
    cr_assert(gp_vfio_bind(devs, 1, NULL));
    twice = gp_sim_snapshot(sim);
    cr_assert_str_eq(twice, once);
}

Test(vfio, a_device_vfio_pci_took_at_boot_gets_the_override_and_stays)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *devs[] = { GP_SIM_DC_GPU0 };
    g_autofree char *override = NULL;

    /* As vfio-pci.ids= on the kernel command line leaves it. */
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GP_SIM_DC_GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/new_id", "10de 20b5"));
    assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
    cr_assert(gp_vfio_bind(devs, 1, NULL));
    assert_driver(sim, GP_SIM_DC_GPU0, "vfio-pci");
    override = override_of(sim, GP_SIM_DC_GPU0);
    cr_assert_str_eq(override, "vfio-pci");
}

Test(vfio, a_host_driver_that_is_not_loaded_leaves_the_device_unbound_and_says_so)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    const char *devs[] = { GP_SIM_DC_GPU0 };
    const char *drivers[] = { "nvidia" };
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autofree char *override = NULL;

    cr_assert(gp_vfio_bind(devs, 1, NULL));
    gp_sim_remove_driver(sim, "nvidia");
    cr_assert(gp_vfio_unbind(devs, drivers, 1, notes, &error), "%s",
              error ? error->message : "");
    assert_driver(sim, GP_SIM_DC_GPU0, NULL);
    override = override_of(sim, GP_SIM_DC_GPU0);
    cr_assert_str_eq(override, "(null)");
    cr_assert_eq(notes->len, 1);
    cr_assert(strstr(notes->pdata[0], GP_SIM_DC_GPU0), "%s", (char *)notes->pdata[0]);
    cr_assert(strstr(notes->pdata[0], "modprobe nvidia"), "%s", (char *)notes->pdata[0]);
}

Test(vfio, a_device_that_had_no_driver_is_left_without_one)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_workstation();
    const char *devs[] = { GP_SIM_WS_ACCEL };
    const char *drivers[] = { NULL };
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;

    assert_driver(sim, GP_SIM_WS_ACCEL, NULL);
    cr_assert(gp_vfio_bind(devs, 1, NULL));
    assert_driver(sim, GP_SIM_WS_ACCEL, "vfio-pci");
    cr_assert(gp_vfio_unbind(devs, drivers, 1, NULL, NULL));
    assert_driver(sim, GP_SIM_WS_ACCEL, NULL);
    after = gp_sim_snapshot(sim);
    cr_assert_str_eq(after, before);
}
