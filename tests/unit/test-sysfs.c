/* The sysfs door: what callers get back for attributes, links and
 * directories, and how failures read. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "base/sysfs.h"

static char *root;

/* Small builders of the test tree, relative to ROOT (make_attr: to DIR). */
static void
make_dir(const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    cr_assert_eq(g_mkdir_with_parents(path, 0755), 0);
}

static void
make_link(const char *target, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    cr_assert_eq(symlink(target, path), 0);
}

static void
make_attr(const char *dir, const char *name, const char *contents)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);

    cr_assert(g_file_set_contents(path, contents, -1, NULL));
}

static void
make_tree(void)
{
    g_autofree char *dev = NULL;

    root = g_dir_make_tmp("gp-sysfs-XXXXXX", NULL);
    cr_assert_not_null(root);
    gp_sysfs_set_root(root);
    dev = g_build_filename(root, "devices/pci0000:00/0000:00:01.0/0000:01:00.0", NULL);
    g_mkdir_with_parents(dev, 0755);
    make_dir("bus/pci/devices");
    make_dir("bus/pci/drivers/nvidia");
    make_link("../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0",
              "bus/pci/devices/0000:01:00.0");
    make_link("../../../../bus/pci/drivers/nvidia",
              "devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver");
    make_attr(dev, "vendor", "0x10de\n");
    make_attr(dev, "numa_node", "1\n");
    make_attr(dev, "label", "GPU 1\n");
    make_attr(dev, "driver_override", "(null)\n");
}

static void
remove_tree(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", root);

    cr_assert_eq(system(cmd), 0);
    gp_sysfs_set_root(NULL);
    g_free(root);
}

TestSuite(sysfs, .init = make_tree, .fini = remove_tree);

Test(sysfs, attributes_read_without_their_trailing_newline)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path("0000:01:00.0", "label");
    g_autofree char *label = gp_sysfs_read(rel, NULL);

    cr_assert_str_eq(label, "GPU 1");
}

Test(sysfs, numbers_read_in_decimal_and_0x_hexadecimal)
{
    g_autofree char *vendor = gp_sysfs_pci_dev_path("0000:01:00.0", "vendor");
    g_autofree char *node = gp_sysfs_pci_dev_path("0000:01:00.0", "numa_node");
    guint64 v = 0;

    cr_assert(gp_sysfs_read_u64(vendor, &v, NULL));
    cr_assert_eq(v, 0x10de);
    cr_assert(gp_sysfs_read_u64(node, &v, NULL));
    cr_assert_eq(v, 1);
}

Test(sysfs, a_non_number_is_an_error_naming_the_file_and_the_text)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path("0000:01:00.0", "label");
    g_autoptr(GError) error = NULL;
    guint64 v = 7;

    cr_assert_not(gp_sysfs_read_u64(rel, &v, &error));
    cr_assert(g_error_matches(error, GP_SYSFS_ERROR, EINVAL));
    cr_assert(strstr(error->message, "0000:01:00.0/label"), "%s", error->message);
    cr_assert(strstr(error->message, "'GPU 1'"), "%s", error->message);
    cr_assert_eq(v, 7);
}

Test(sysfs, a_missing_attribute_reports_enoent_with_its_path)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path("0000:01:00.0", "sriov_numvfs");
    g_autoptr(GError) error = NULL;
    g_autofree char *value = gp_sysfs_read(rel, &error);

    cr_assert_null(value);
    cr_assert(g_error_matches(error, GP_SYSFS_ERROR, ENOENT));
    cr_assert(strstr(error->message, root), "%s", error->message);
}

Test(sysfs, writes_replace_the_value)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path("0000:01:00.0", "driver_override");
    g_autofree char *value = NULL;

    cr_assert(gp_sysfs_write(rel, "vfio-pci", NULL));
    value = gp_sysfs_read(rel, NULL);
    cr_assert_str_eq(value, "vfio-pci");
}

Test(sysfs, a_write_never_creates_an_attribute_the_kernel_does_not_offer)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path("0000:01:00.0", "sriov_numvfs");
    g_autoptr(GError) error = NULL;

    cr_assert_not(gp_sysfs_write(rel, "4", &error));
    cr_assert(g_error_matches(error, GP_SYSFS_ERROR, ENOENT));
    cr_assert_not(gp_sysfs_exists(rel));
}

Test(sysfs, links_give_the_driver_and_the_upstream_bridge)
{
    g_autofree char *driver = gp_sysfs_pci_dev_path("0000:01:00.0", "driver");
    g_autofree char *dev = gp_sysfs_pci_dev_path("0000:01:00.0", NULL);
    g_autofree char *name = gp_sysfs_link_name(driver, NULL);
    g_autofree char *parent = gp_sysfs_link_parent_name(dev, NULL);

    cr_assert_str_eq(name, "nvidia");
    cr_assert_str_eq(parent, "0000:00:01.0");
}

Test(sysfs, a_missing_link_is_enoent)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path("0000:01:00.0", "iommu_group");
    g_autoptr(GError) error = NULL;
    g_autofree char *name = gp_sysfs_link_name(rel, &error);

    cr_assert_null(name);
    cr_assert(g_error_matches(error, GP_SYSFS_ERROR, ENOENT));
}

Test(sysfs, directories_list_sorted_without_dot_entries)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path("0000:01:00.0", NULL);
    g_autoptr(GPtrArray) names = gp_sysfs_list(rel, NULL);

    cr_assert_not_null(names);
    cr_assert_eq(names->len, 5);
    cr_assert_str_eq(g_ptr_array_index(names, 0), "driver");
    cr_assert_str_eq(g_ptr_array_index(names, 4), "vendor");
}

Test(sysfs, the_root_comes_from_the_environment_unless_set)
{
    gp_sysfs_set_root(NULL);
    g_setenv("GPUPOOL_SYSFS_ROOT", "/somewhere/else", TRUE);
    cr_assert_str_eq(gp_sysfs_root(), "/somewhere/else");
    g_unsetenv("GPUPOOL_SYSFS_ROOT");
    cr_assert_str_eq(gp_sysfs_root(), "/sys");
    gp_sysfs_set_root(root);
    cr_assert_str_eq(gp_sysfs_root(), root);
}
