/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The back-end registry (src/host/backends.c): the built-in back ends, the
 * vendor modules found in the plugin directory, which one answers for a
 * device, and what is said about a module that cannot serve. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "host/backends.h"
#include "sim.h"

static char *plugindir;

/* An empty plugin directory of the test's own. */
static void
setup(void)
{
    plugindir = g_dir_make_tmp("gp-plugins-XXXXXX", NULL);
    cr_assert_not_null(plugindir);
    g_setenv("GPUPOOL_PLUGINDIR", plugindir, TRUE);
    gp_backend_reset();
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", plugindir);

    cr_assert_eq(system(cmd), 0);
    g_unsetenv("GPUPOOL_PLUGINDIR");
    g_clear_pointer(&plugindir, g_free);
}

TestSuite(backends, .init = setup, .fini = teardown);

/* The vendor module NAME of the build tree, copied into the plugin
 * directory as FILE. */
static void
install_module(const char *name, const char *file)
{
    g_autofree char *src = g_strdup_printf("%s/%s.so", GP_TEST_PLUGINDIR, name);
    g_autofree char *dst = g_build_filename(plugindir, file, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;

    cr_assert(g_file_get_contents(src, &data, &len, NULL), "%s", src);
    cr_assert(g_file_set_contents(dst, data, (gssize)len, NULL), "%s", dst);
}

static const char *
name_for(const char *device)
{
    const GpBackendOps *ops = gp_backend_for(device, NULL);

    return ops ? ops->name : "(none)";
}

Test(backends, the_plugin_directory_comes_from_the_environment)
{
    cr_assert_str_eq(gp_backend_plugindir(), plugindir);
    g_unsetenv("GPUPOOL_PLUGINDIR");
    cr_assert_str_eq(gp_backend_plugindir(), GP_PKGLIBDIR);
}

Test(backends, the_built_in_back_ends_serve_without_any_module)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();

    cr_assert_not_null(gp_backend_lookup("pci"));
    cr_assert_not_null(gp_backend_lookup("mdev"));
    cr_assert_not_null(gp_backend_lookup("vf"));
    cr_assert_null(gp_backend_lookup("intel-xe-sriov"));
    cr_assert_eq(gp_backend_problems()->len, 0);
    /* Intel's SR-IOV GPU is partitioned by the generic VF back end. */
    cr_assert_str_eq(name_for(GP_SIM_INTEL_SRIOV_GPU), "vf");
    cr_assert_eq(gp_backend_host()->vf, gp_backend_lookup("vf"),
                 "vendor modules build on the generic SR-IOV back end");
}

Test(backends, a_vendor_module_outranks_the_generic_back_end_for_its_devices_only)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();

    install_module("intel-xe-sriov", "intel-xe-sriov.so");
    cr_assert_str_eq(name_for(GP_SIM_INTEL_SRIOV_GPU), "intel-xe-sriov");
    cr_assert_eq(gp_backend_problems()->len, 0);
    /* The PCIe root port above it is nobody's to partition. */
    cr_assert_str_eq(name_for("0000:00:01.0"), "pci");
}

Test(backends, each_device_gets_the_back_end_that_knows_it_best)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autoptr(GError) error = NULL;
    const GpBackendOps *ops;

    cr_assert_str_eq(name_for(GP_SIM_MDEV_GPU), "mdev");
    ops = gp_backend_partitioner_for(GP_SIM_MDEV_GPU, &error);
    cr_assert_not_null(ops, "%s", error ? error->message : "");
    cr_assert_str_eq(ops->name, "mdev");
    cr_assert_str_eq(name_for("0000:00:01.0"), "pci");
}

Test(backends, a_device_nobody_partitions_or_nobody_knows_is_refused_naming_it)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autoptr(GError) whole = NULL;
    g_autoptr(GError) unknown = NULL;
    g_autoptr(GError) nowhere = NULL;

    cr_assert_str_eq(name_for(GP_SIM_DC_GPU0), "pci");
    cr_assert_null(gp_backend_partitioner_for(GP_SIM_DC_GPU0, &whole));
    cr_assert(g_error_matches(whole, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED));
    cr_assert(g_str_has_prefix(whole->message, GP_SIM_DC_GPU0 " cannot be partitioned: it "
                               "offers neither mdev types nor SR-IOV virtual functions"),
              "%s", whole->message);
    cr_assert_null(gp_backend_partitioner_for("0000:99:00.0", &unknown));
    cr_assert_str_eq(unknown->message, "0000:99:00.0 is neither a PCI device nor an mdev "
                     "parent of this host: see 'gpupool devices'");
    cr_assert_null(gp_backend_for("0000:99:00.0", &nowhere));
    cr_assert(g_error_matches(nowhere, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED));
}

Test(backends, a_file_that_is_no_back_end_is_left_out_and_said_so)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    g_autofree char *junk = g_build_filename(plugindir, "junk.so", NULL);
    g_autofree char *readme = g_build_filename(plugindir, "README", NULL);
    GPtrArray *problems;

    cr_assert(g_file_set_contents(junk, "not a shared object", -1, NULL));
    cr_assert(g_file_set_contents(readme, "not even named like one", -1, NULL));
    install_module("intel-xe-sriov", "intel-xe-sriov.so");
    problems = gp_backend_problems();
    cr_assert_eq(problems->len, 1, "%s", problems->len ? (char *)problems->pdata[0] : "");
    cr_assert(g_str_has_prefix(problems->pdata[0], "back-end module "),
              "%s", (char *)problems->pdata[0]);
    cr_assert(strstr(problems->pdata[0], "junk.so does not load"), "%s",
              (char *)problems->pdata[0]);
    /* The others still serve. */
    cr_assert_str_eq(name_for(GP_SIM_INTEL_SRIOV_GPU), "intel-xe-sriov");
}

Test(backends, a_second_module_of_the_same_name_is_ignored_and_said_so)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_intel_sriov();
    GPtrArray *problems;

    install_module("intel-xe-sriov", "a-intel.so");
    install_module("intel-xe-sriov", "b-intel.so");
    problems = gp_backend_problems();
    cr_assert_eq(problems->len, 1);
    cr_assert(strstr(problems->pdata[0], "b-intel.so is ignored: a back end named "
                                         "'intel-xe-sriov' is already loaded"), "%s",
              (char *)problems->pdata[0]);
    cr_assert_str_eq(name_for(GP_SIM_INTEL_SRIOV_GPU), "intel-xe-sriov");
}
