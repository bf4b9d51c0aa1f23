/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pool store: CONFDIR/pools/NAME.xml, membership and lookups. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>

#include "state/poolstore.h"

static char *base;
static char *pooldir;

static void
setup_confdir(void)
{
    base = g_dir_make_tmp("gpupool-poolstore-XXXXXX", NULL);
    cr_assert_not_null(base);
    g_autofree char *conf = g_build_filename(base, "etc", "gpupool", NULL);

    g_setenv("GPUPOOL_CONFDIR", conf, TRUE);
    pooldir = g_build_filename(conf, "pools", NULL);
}

static void
teardown_confdir(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", base);

    cr_assert_eq(system(cmd), 0);
    g_clear_pointer(&base, g_free);
    g_clear_pointer(&pooldir, g_free);
}

TestSuite(poolstore, .init = setup_confdir, .fini = teardown_confdir);

static void
save_pool(const char *name, GpPoolType type, const char *const *devices)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new(name, type, &error);

    cr_assert_not_null(pool);
    for (guint i = 0; devices && devices[i]; i++)
        cr_assert(gp_pool_add_device(pool, devices[i], "nvidia", NULL, NULL));
    cr_assert(gp_poolstore_save(pool, &error), "%s", error ? error->message : "");
}

static void
write_pool_file(const char *file, const char *contents)
{
    g_autofree char *path = g_build_filename(pooldir, file, NULL);

    cr_assert_eq(g_mkdir_with_parents(pooldir, 0755), 0);
    cr_assert(g_file_set_contents(path, contents, -1, NULL));
}

Test(poolstore, a_saved_pool_loads_back_from_a_world_readable_file)
{
    static const char *const devs[] = { "0000:41:00.0", "0000:81:00.0", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autofree char *path = g_build_filename(pooldir, "gpus.xml", NULL);
    struct stat st;

    save_pool("gpus", GP_POOL_TYPE_PCI, devs);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644);
    pool = gp_poolstore_load("gpus", &error);
    cr_assert_not_null(pool, "%s", error ? error->message : "");
    cr_assert_eq(pool->devices->len, 2);
    cr_assert(gp_poolstore_exists("gpus"));
    cr_assert_not(gp_poolstore_exists("other"));
}

Test(poolstore, an_unknown_pool_is_reported_with_how_to_find_or_create_one)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_poolstore_load("nope", &error);

    cr_assert_null(pool);
    cr_assert(g_error_matches(error, GP_POOL_ERROR, GP_POOL_ERROR_NOT_FOUND));
    cr_assert(strstr(error->message, "'nope'"), "%s", error->message);
    cr_assert(strstr(error->message, "gpupool pool-list"), "%s", error->message);
}

Test(poolstore, names_that_are_paths_never_reach_the_file_system)
{
    g_autoptr(GError) error = NULL;

    write_pool_file("x.xml", "<pool type='pci'><name>x</name></pool>");
    cr_assert_null(gp_poolstore_load("../pools/x", &error));
    cr_assert(g_error_matches(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID));
    cr_assert_not(gp_poolstore_delete("../pools/x", NULL));
    cr_assert_not(gp_poolstore_exists("../pools/x"));
}

Test(poolstore, the_list_is_sorted_and_skips_temporary_and_foreign_files)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) pools = NULL;

    save_pool("zeta", GP_POOL_TYPE_PCI, NULL);
    save_pool("alpha", GP_POOL_TYPE_VF, NULL);
    write_pool_file(".alpha.xml.Ab12Cd", "<pool type='pci'><name>al");
    write_pool_file("README", "not a pool");
    write_pool_file("gpus.xml~", "backup");
    pools = gp_poolstore_list(&error);
    cr_assert_not_null(pools, "%s", error ? error->message : "");
    cr_assert_eq(pools->len, 2);
    cr_assert_str_eq(((GpPool *)pools->pdata[0])->name, "alpha");
    cr_assert_str_eq(((GpPool *)pools->pdata[1])->name, "zeta");
}

Test(poolstore, no_pool_directory_means_no_pools)
{
    g_autoptr(GPtrArray) pools = gp_poolstore_list(NULL);
    g_autoptr(GHashTable) members = gp_poolstore_membership(NULL);

    cr_assert_not_null(pools);
    cr_assert_eq(pools->len, 0);
    cr_assert_not_null(members);
    cr_assert_eq(g_hash_table_size(members), 0);
}

Test(poolstore, a_corrupt_pool_file_is_reported_with_its_path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) pools = NULL;
    g_autofree char *path = g_build_filename(pooldir, "broken.xml", NULL);

    save_pool("good", GP_POOL_TYPE_PCI, NULL);
    write_pool_file("broken.xml", "<pool type='pci'><name>broken</name><device/></pool>");
    pools = gp_poolstore_list(&error);
    cr_assert_null(pools);
    cr_assert(g_error_matches(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID));
    cr_assert(strstr(error->message, path), "%s", error->message);
    cr_assert_null(strchr(error->message, '\n'));
}

Test(poolstore, a_file_whose_name_disagrees_with_its_pool_is_refused)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;

    write_pool_file("copy.xml", "<pool type='pci'><name>gpus</name></pool>");
    pool = gp_poolstore_load("copy", &error);
    cr_assert_null(pool);
    cr_assert(strstr(error->message, "rename the file to gpus.xml"), "%s", error->message);
}

Test(poolstore, membership_maps_every_member_to_its_pool)
{
    static const char *const gpus[] = { "0000:41:00.0", "0000:81:00.0", NULL };
    static const char *const vfs[] = { "0000:c1:00.0", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) members = NULL;
    g_autoptr(GpPool) found = NULL;
    g_autoptr(GpPool) none = NULL;

    save_pool("gpus", GP_POOL_TYPE_PCI, gpus);
    save_pool("vfs", GP_POOL_TYPE_VF, vfs);
    write_pool_file("ws.xml", "<pool type='pci'><name>ws</name>"
                    "<device address='0000:01:00.0' host-driver='nvidia'/>"
                    "<device address='0000:01:00.1' host-driver='snd_hda_intel' "
                    "companion-of='0000:01:00.0'/></pool>");
    members = gp_poolstore_membership(&error);
    cr_assert_not_null(members, "%s", error ? error->message : "");
    cr_assert_eq(g_hash_table_size(members), 5);
    cr_assert_str_eq(g_hash_table_lookup(members, "0000:81:00.0"), "gpus");
    cr_assert_str_eq(g_hash_table_lookup(members, "0000:c1:00.0"), "vfs");
    cr_assert_str_eq(g_hash_table_lookup(members, "0000:01:00.1"), "ws");

    found = gp_poolstore_find_pool_of_device("0000:01:00.1", &error);
    cr_assert_not_null(found);
    cr_assert_str_eq(found->name, "ws");
    none = gp_poolstore_find_pool_of_device("0000:99:00.0", &error);
    cr_assert_null(none);
    cr_assert_null(error);
}

Test(poolstore, a_device_listed_by_two_pools_is_an_error_naming_both)
{
    static const char *const a[] = { "0000:41:00.0", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) members = NULL;

    save_pool("a", GP_POOL_TYPE_PCI, a);
    save_pool("b", GP_POOL_TYPE_PCI, a);
    members = gp_poolstore_membership(&error);
    cr_assert_null(members);
    cr_assert(strstr(error->message, "0000:41:00.0 is in both pool 'a' and pool 'b'"), "%s",
              error->message);
    cr_assert(strstr(error->message, "gpupool pool-remove"), "%s", error->message);
}

Test(poolstore, delete_removes_the_file_and_reports_unknown_pools)
{
    g_autoptr(GError) error = NULL;

    save_pool("gone", GP_POOL_TYPE_PCI, NULL);
    cr_assert(gp_poolstore_delete("gone", &error));
    cr_assert_not(gp_poolstore_exists("gone"));
    cr_assert_not(gp_poolstore_delete("gone", &error));
    cr_assert(g_error_matches(error, GP_POOL_ERROR, GP_POOL_ERROR_NOT_FOUND));
}
