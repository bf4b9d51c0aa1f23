/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who still has a device open through VFIO (src/host/vfio-users.c): the
 * /dev paths a device is opened through, and a scan of a process table
 * the test makes (GPUPOOL_PROC_ROOT), on the simulated datacenter host. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "host/vfio-users.h"
#include "plugin/backend.h"
#include "pool-fixtures.h"

static GpSim *sim;

/* The datacenter with its first A100 on vfio-pci, as pool-add leaves it,
 * and an empty process table. */
static void
setup(void)
{
    g_autofree char *proc = NULL;

    sim = gp_sim_fixture_datacenter();
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/nvidia/unbind", GP_SIM_DC_GPU0));
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_DC_GPU0 "/driver_override",
                           "vfio-pci"));
    cr_assert(gp_sim_write(sim, "bus/pci/drivers_probe", GP_SIM_DC_GPU0));
    proc = g_build_filename(gp_sim_base(sim), "proc", NULL);
    cr_assert_eq(g_mkdir_with_parents(proc, 0755), 0);
    g_setenv("GPUPOOL_PROC_ROOT", proc, TRUE);
}

static void
teardown(void)
{
    g_unsetenv("GPUPOOL_PROC_ROOT");
    g_clear_pointer(&sim, gp_sim_free);
}

TestSuite(vfio_users, .init = setup, .fini = teardown);

/* Process PID of the test's process table has TARGET open. */
static void
holds_open(const char *pid, const char *fd, const char *target)
{
    g_autofree char *dir = g_build_filename(gp_vfio_users_proc_root(), pid, "fd", NULL);
    g_autofree char *link = g_build_filename(dir, fd, NULL);

    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    cr_assert_eq(symlink(target, link), 0);
}

Test(vfio_users, the_process_table_is_procs_unless_the_environment_says_otherwise)
{
    g_autofree char *proc = g_build_filename(gp_sim_base(sim), "proc", NULL);

    cr_assert_str_eq(gp_vfio_users_proc_root(), proc);
    g_unsetenv("GPUPOOL_PROC_ROOT");
    cr_assert_str_eq(gp_vfio_users_proc_root(), "/proc");
    g_setenv("GPUPOOL_PROC_ROOT", "", TRUE);
    cr_assert_str_eq(gp_vfio_users_proc_root(), "/proc");
}

Test(vfio_users, a_device_on_vfio_pci_is_opened_through_its_group_and_its_vfio_device)
{
    g_autoptr(GPtrArray) paths = gp_vfio_users_paths(GP_SIM_DC_GPU0);
    g_autoptr(GPtrArray) on_nvidia = gp_vfio_users_paths(GP_SIM_DC_GPU1);

    cr_assert_eq(paths->len, 2);
    cr_assert_str_eq(paths->pdata[0], "/dev/vfio/1");
    cr_assert(g_str_has_prefix(paths->pdata[1], "/dev/vfio/devices/vfio"), "%s",
              (char *)paths->pdata[1]);
    /* Not bound to vfio-pci: only its group could be opened. */
    cr_assert_eq(on_nvidia->len, 1);
    cr_assert_str_eq(on_nvidia->pdata[0], "/dev/vfio/3");
}

Test(vfio_users, a_device_without_iommu_group_cannot_be_opened_through_vfio)
{
    g_autoptr(GPtrArray) paths = NULL;

    g_clear_pointer(&sim, gp_sim_free);
    sim = gp_sim_fixture_no_iommu();
    paths = gp_vfio_users_paths(GP_SIM_DC_GPU0);
    cr_assert_eq(paths->len, 0);
}

Test(vfio_users, the_scan_finds_exactly_the_processes_holding_the_device_in_pid_order)
{
    g_autoptr(GPtrArray) paths = gp_vfio_users_paths(GP_SIM_DC_GPU0);
    g_autoptr(GPtrArray) pids = NULL;
    g_autofree char *skipped = NULL;

    holds_open("4242", "7", "/dev/vfio/1");
    holds_open("977", "30", paths->pdata[1]);
    holds_open("1000", "7", "/dev/vfio/3");   /* the other GPU */
    holds_open("1001", "1", "/dev/null");
    holds_open("self", "7", "/dev/vfio/1");   /* not a process */
    pids = gp_vfio_users_scan(paths, &skipped);
    cr_assert_null(skipped, "%s", skipped);
    cr_assert_eq(pids->len, 2);
    cr_assert_str_eq(pids->pdata[0], "977");
    cr_assert_str_eq(pids->pdata[1], "4242");
}

Test(vfio_users, a_device_in_use_is_refused_naming_the_processes_and_the_fix)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *note = NULL;
    g_autofree char *comm = g_build_filename(gp_vfio_users_proc_root(), "4242", "comm", NULL);

    cr_assert(gp_vfio_users_check_unused(GP_SIM_DC_GPU0, &note, &error), "%s",
              error ? error->message : "");
    cr_assert_null(note);
    holds_open("4242", "7", "/dev/vfio/1");
    cr_assert(g_file_set_contents(comm, "qemu-system-x86\n", -1, NULL));
    holds_open("4343", "9", "/dev/vfio/1");
    cr_assert_not(gp_vfio_users_check_unused(GP_SIM_DC_GPU0, &note, &error));
    cr_assert(g_error_matches(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_BUSY));
    cr_assert_str_eq(error->message, GP_SIM_DC_GPU0 " is still open through /dev/vfio/1 by "
                     "process 4242 (qemu-system-x86), 4343: stop that process, then run "
                     "'gpupool rebalance'");
}

Test(vfio_users, a_process_table_that_cannot_be_read_is_said_so_not_taken_as_unused)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *note = NULL;
    g_autoptr(GPtrArray) paths = gp_vfio_users_paths(GP_SIM_DC_GPU0);
    g_autoptr(GPtrArray) pids = NULL;
    g_autofree char *skipped = NULL;

    g_setenv("GPUPOOL_PROC_ROOT", "/nonexistent/proc", TRUE);
    pids = gp_vfio_users_scan(paths, &skipped);
    cr_assert_eq(pids->len, 0);
    cr_assert_str_eq(skipped, "/nonexistent/proc cannot be read");
    cr_assert(gp_vfio_users_check_unused(GP_SIM_DC_GPU0, &note, &error));
    cr_assert_str_eq(note, GP_SIM_DC_GPU0 ": VFIO handle check skipped: /nonexistent/proc "
                     "cannot be read");
}
