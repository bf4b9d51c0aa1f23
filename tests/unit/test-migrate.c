/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live migration of pool domains (src/policy/migrate.c): the rules, the
 * hook's migrate begin on a destination host (whole devices refused,
 * partitions re-pointed only to a free one of the same profile), and
 * `gpupool migrate-check` against libvirt's test driver. */
#include "config.h"

#include "cluster-fixtures.h"

#include "policy/migrate.h"
#include "state/domxml.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-00000000000a"
#define UUID_X "eeeeeeee-0000-4000-8000-00000000000e"
#define VF1 "0000:4d:00.1"
#define VF2 "0000:4d:00.2"

static void
setup(void)
{
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
}

static void
teardown(void)
{
    g_clear_pointer(&sim, gp_sim_free);
}

TestSuite(migrate, .init = setup, .fini = teardown);

/* ---- The rules -------------------------------------------------------------- */

static GpDomRequest *
request(const char *pool, gboolean has_type, GpPoolType type, const char *profile)
{
    GpDomRequest *r = g_new0(GpDomRequest, 1);

    r->pool = g_strdup(pool);
    r->count = 1;
    r->has_type = has_type;
    r->type = type;
    r->profile = g_strdup(profile);
    return r;
}

static GPtrArray *
requests_of(GpDomRequest *r)
{
    GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);

    g_ptr_array_add(a, r);
    return a;
}

static GHashTable *
pools_of(const char *name, GpPoolType type, const char *profile)
{
    GHashTable *pools = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify)gp_pool_free);
    GpPool *pool = gp_pool_new(name, type, NULL);

    if (type == GP_POOL_TYPE_MDEV)
        pool->mdev_type = g_strdup(profile);
    else if (type == GP_POOL_TYPE_VF)
        pool->vf_profile = g_strdup(profile);
    g_hash_table_insert(pools, pool->name, pool);
    return pools;
}

static char *
verdict(const char *hypervisor, gulong version, const char *kernel, gboolean *can)
{
    GpMigrateStack stack = { "here (qemu:///system)", hypervisor, version, kernel };
    char *reason = NULL;

    *can = gp_migrate_stack_can_vfio(&stack, &reason);
    return reason;
}

Test(migrate, qemu_7_2_cannot_migrate_a_vfio_device_and_says_how_to_check)
{
    gboolean can = TRUE;
    g_autofree char *why = verdict("QEMU", 7002022, "6.1.0-18-amd64", &can);

    cr_expect_not(can);
    cr_expect_str_eq(why, "QEMU 7.2.22 here (qemu:///system) on Linux 6.1.0-18-amd64 cannot "
                          "migrate a VFIO device: it speaks only VFIO migration protocol v1, "
                          "which Linux replaced by v2 in 5.18; QEMU speaks v2 from 8.0 on "
                          "('virsh version' shows the QEMU version)");
}

Test(migrate, qemu_8_on_a_recent_kernel_can_if_the_driver_can)
{
    gboolean can = FALSE;
    g_autofree char *why = verdict("QEMU", 8002000, "6.1.0-18-amd64", &can);
    g_autofree char *remote = NULL;

    cr_expect(can);
    cr_expect_not_null(strstr(why, "QEMU 8.2.0 here (qemu:///system) on Linux 6.1.0-18-amd64 "
                                   "can migrate VFIO devices whose driver supports it"), "%s",
                       why);
    /* The destination's kernel is unknown to libvirt: QEMU decides. */
    remote = verdict("QEMU", 8000000, NULL, &can);
    cr_expect(can, "%s", remote);
}

Test(migrate, an_old_kernel_or_another_hypervisor_is_a_no_with_its_reason)
{
    gboolean can = TRUE;
    g_autofree char *old = verdict("QEMU", 8001000, "5.10.0-28-amd64", &can);
    g_autofree char *test = NULL;

    cr_expect_not(can);
    cr_expect_not_null(strstr(old, "Linux 5.10.0-28-amd64 here (qemu:///system) cannot migrate "
                                   "a VFIO device"), "%s", old);
    can = TRUE;
    test = verdict("TEST", 2, NULL, &can);
    cr_expect_not(can);
    cr_expect_not_null(strstr(test, "cannot tell"), "%s", test);
}

Test(migrate, whole_devices_never_move_by_the_record_or_by_this_hosts_pool)
{
    g_autoptr(GPtrArray) recorded = requests_of(request("gpus", TRUE, GP_POOL_TYPE_PCI, NULL));
    g_autoptr(GPtrArray) old = requests_of(request("gpus", FALSE, 0, NULL));
    g_autoptr(GHashTable) pci = pools_of("gpus", GP_POOL_TYPE_PCI, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) error2 = NULL;

    cr_assert_not(gp_migrate_check_kinds("vm1", recorded, NULL, &error));
    cr_expect_str_eq(error->message, "vm1: pool gpus hands out whole devices; stop the domain "
                                     "and start it on the destination, or let the cluster "
                                     "restart it");
    cr_assert_not(gp_migrate_check_incoming("vm1", old, pci, &error2));
    cr_expect(g_error_matches(error2, GP_MIGRATE_ERROR, GP_MIGRATE_ERROR_WHOLE));
}

Test(migrate, a_partition_arrives_only_where_the_pool_gives_the_same_profile)
{
    g_autoptr(GPtrArray) want = requests_of(request("vgpu", TRUE, GP_POOL_TYPE_MDEV,
                                                    "nvidia-222"));
    g_autoptr(GHashTable) same = pools_of("vgpu", GP_POOL_TYPE_MDEV, "nvidia-222");
    g_autoptr(GHashTable) other = pools_of("vgpu", GP_POOL_TYPE_MDEV, "nvidia-223");
    g_autoptr(GHashTable) vf = pools_of("vgpu", GP_POOL_TYPE_VF, "1158");
    g_autoptr(GPtrArray) old = requests_of(request("vgpu", FALSE, 0, NULL));
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

    cr_expect(gp_migrate_check_incoming("vm1", want, same, NULL));
    cr_assert_not(gp_migrate_check_incoming("vm1", want, other, &e1));
    cr_expect_not_null(strstr(e1->message, "pool 'vgpu' gives nvidia-223 here but vm1 runs "
                                           "with nvidia-222"), "%s", e1->message);
    cr_assert_not(gp_migrate_check_incoming("vm1", want, vf, &e2));
    cr_expect_not_null(strstr(e2->message, "hands out SR-IOV VFs here but vm1 runs with mdev "
                                           "partitions"), "%s", e2->message);
    cr_assert_not(gp_migrate_check_incoming("vm1", old, same, &e3));
    cr_expect(g_error_matches(e3, GP_MIGRATE_ERROR, GP_MIGRATE_ERROR_UNKNOWN));
    cr_expect_not_null(strstr(e3->message, "gpupool assign vm1 --pool vgpu"), "%s", e3->message);
}

/* ---- The hook at migrate begin ---------------------------------------------- */

/* Runs the hook binary as libvirt does on the destination, with the
 * domain XML file XML on stdin. */
static int
hook_migrate(const char *xml, char **out, char **err)
{
    g_autofree char *hook = gp_sim_hook_path();
    g_autofree char *script = g_strdup_printf("exec '%s' vm1 migrate begin - < '%s'", hook, xml);
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    int status = -1;

    cr_assert(gp_sim_run(sim, argv, out, err, &status));
    return status;
}

/* The Flex 170 host with vf pool "flex" of 4 VFs on vfio-pci. */
static void
vf_node(void)
{
    g_autofree char *o = NULL, *e = NULL, *o2 = NULL, *e2 = NULL;

    sim = gp_sim_fixture_intel_sriov();
    cr_assert_eq(gpupool(&o, &e, "pool-create", "flex", "--type", "vf", "--vf-count", "4",
                         NULL), 0, "%s", e);
    cr_assert_eq(gpupool(&o2, &e2, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL), 0, "%s",
                 e2);
}

Test(migrate, hook_refuses_a_running_domain_with_whole_devices_in_one_line)
{
    g_autofree char *xml = NULL, *out = NULL, *err = NULL;

    cluster_setup();
    xml = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    cr_assert_eq(hook_migrate(xml, &out, &err), 1, "%s", out);
    cr_expect_str_eq(err, "gpupool: vm1: pool gpus hands out whole devices; stop the domain and "
                          "start it on the destination, or let the cluster restart it\n");
    cr_expect_str_eq(out, "");
}

Test(migrate, hook_points_an_arriving_vf_at_a_free_vf_of_the_pool)
{
    g_autofree char *xml = NULL, *out = NULL, *err = NULL;
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GError) error = NULL;
    const char *dev;

    vf_node();
    xml = shared_domain("q35-seabios.xml", "vm1", UUID_A, "flex", 1);
    /* Here another domain holds the VF the source used. */
    hold(VF1, "flex", UUID_X, "vm2", NULL);
    cr_assert_eq(hook_migrate(xml, &out, &err), 0, "%s", err);
    a = gp_domxml_read_assignment(out, strlen(out), &error);
    cr_assert_not_null(a, "%s: %s", error ? error->message : "", out);
    dev = ((GpDomDevice *)a->devices->pdata[0])->address;
    cr_expect_str_eq(dev, VF2);
}

Test(migrate, hook_refuses_when_no_vf_is_free_naming_the_free_count)
{
    g_autofree char *xml = NULL, *out = NULL, *err = NULL;

    vf_node();
    xml = shared_domain("q35-seabios.xml", "vm1", UUID_A, "flex", 1);
    hold(VF1, "flex", UUID_X, "vm2", NULL);
    hold(VF2, "flex", UUID_X, "vm2", NULL);
    hold("0000:4d:00.3", "flex", UUID_X, "vm2", NULL);
    hold("0000:4d:00.4", "flex", UUID_X, "vm2", NULL);
    cr_assert_eq(hook_migrate(xml, &out, &err), 1, "%s", out);
    cr_expect_str_eq(err, "gpupool: vm1: pool 'flex' has 0 free VFs on this host and vm1 needs "
                          "1: migrate it to a host with room, or stop a domain of the pool "
                          "here\n");
}

Test(migrate, hook_refuses_an_mdev_of_another_type_than_the_pool_gives_here)
{
    g_autofree char *xml = NULL, *out = NULL, *err = NULL, *o = NULL, *e = NULL;
    g_autofree char *o2 = NULL, *e2 = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GError) error = NULL;

    sim = gp_sim_fixture_mbochs();
    cr_assert_eq(gpupool(&o, &e, "pool-create", "disp", "--type", "mdev", "--mdev-type",
                         "mbochs-large", NULL), 0, "%s", e);
    cr_assert_eq(gpupool(&o2, &e2, "pool-add", "disp", GP_SIM_MBOCHS, NULL), 0, "%s", e2);
    xml = shared_domain("q35-seabios.xml", "vm1", UUID_A, "disp", 1);
    /* This host's pool of the same name gives smaller partitions. */
    pool = gp_poolstore_load("disp", &error);
    cr_assert_not_null(pool, "%s", error ? error->message : "");
    g_free(pool->mdev_type);
    pool->mdev_type = g_strdup("mbochs-small");
    cr_assert(gp_poolstore_save(pool, &error), "%s", error ? error->message : "");
    cr_assert_eq(hook_migrate(xml, &out, &err), 1, "%s", out);
    cr_expect_not_null(strstr(err, "gpupool: vm1: pool 'disp' gives mbochs-small here but vm1 "
                                   "runs with mbochs-large"), "%s", err);
}

/* ---- gpupool migrate-check against libvirt's test driver -------------------- */

/* A test-driver node with domain XML file PATH (as a 'test' domain). */
static char *
test_uri(const char *path)
{
    g_autofree char *text = file_text(path);
    g_autofree char *node = g_build_filename(gp_sim_base(sim), "node.xml", NULL);
    GRegex *re = g_regex_new("<domain type='(kvm|qemu)'", 0, 0, NULL);
    g_autofree char *t = g_regex_replace_literal(re, text, -1, 0, "<domain type='test'", 0,
                                                 NULL);
    g_autofree char *nodexml = g_strdup_printf("<node>\n%s</node>\n", t);

    g_regex_unref(re);
    cr_assert(g_file_set_contents(node, nodexml, -1, NULL));
    return g_strdup_printf("test://%s", node);
}

Test(migrate, check_says_no_for_whole_devices_and_exits_1)
{
    g_autofree char *xml = NULL, *uri = NULL, *out = NULL, *err = NULL;

    cluster_setup();
    xml = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    uri = test_uri(xml);
    cr_assert_eq(gpupool(&out, &err, "migrate-check", "vm1", "--connect", uri, NULL), 1, "%s",
                 err);
    cr_expect_str_eq(out, "vm1: no: pool gpus hands out whole devices; stop the domain and "
                          "start it on the destination, or let the cluster restart it\n");
    cr_expect_str_eq(err, "");
}

Test(migrate, check_says_yes_for_a_domain_without_pool_devices)
{
    g_autofree char *xml = NULL, *uri = NULL, *out = NULL, *err = NULL;

    cluster_setup();
    xml = shared_domain("q35-seabios.xml", "vm1", UUID_A, NULL, 0);
    uri = test_uri(xml);
    cr_assert_eq(gpupool(&out, &err, "migrate-check", "vm1", "--connect", uri, NULL), 0, "%s",
                 err);
    cr_expect_str_eq(out, "vm1: yes: it has no pool devices: gpupool does not stand in its "
                          "way\n");
}

/* The test driver is no QEMU: gpupool will not guess. */
Test(migrate, check_of_partitions_names_the_hypervisor_it_cannot_vouch_for)
{
    g_autofree char *xml = NULL, *uri = NULL, *out = NULL, *err = NULL;

    vf_node();
    xml = shared_domain("q35-seabios.xml", "vm1", UUID_A, "flex", 1);
    uri = test_uri(xml);
    cr_assert_eq(gpupool(&out, &err, "migrate-check", "vm1", "--connect", uri, "--to", uri,
                         NULL), 1, "%s", err);
    cr_expect_not_null(strstr(out, "vm1: no: its partitions (flex VFs) are VFIO devices, and "
                                   "gpupool cannot tell whether the hypervisor here"), "%s", out);
    cr_expect_not_null(strstr(out, "(TEST)"), "%s", out);
}

Test(migrate, check_refuses_an_unknown_domain_in_one_line)
{
    g_autofree char *xml = NULL, *uri = NULL, *out = NULL, *err = NULL, *o2 = NULL;
    g_autofree char *e2 = NULL;

    cluster_setup();
    xml = shared_domain("q35-seabios.xml", "vm1", UUID_A, NULL, 0);
    uri = test_uri(xml);
    cr_assert_eq(gpupool(&out, &err, "migrate-check", "nope", "--connect", uri, NULL), 1);
    cr_expect_not_null(strstr(err, "gpupool: error: domain 'nope' not found"), "%s", err);
    assert_one_line(err);
    cr_expect_eq(gpupool(&o2, &e2, "migrate-check", "--connect", uri, NULL), 2);
}
