/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crm configure lines for a cluster GPU domain
 * (src/cluster/crmconfig.c) through `gpupool cluster-config`: the
 * utilization comes from the domain's request, allow-migrate is false
 * with the reason for whole devices and for a stack that cannot migrate
 * VFIO devices; and, where crmsh and Pacemaker are installed, the lines
 * load into an offline CIB and place the domain by utilization. */
#include "config.h"

#include "cluster-fixtures.h"

#include "cluster/crmconfig.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-00000000000a"

static void
setup(void)
{
    cluster_setup();
    g_unsetenv("LIBVIRT_DEFAULT_URI");
}

TestSuite(crmconfig, .init = setup, .fini = cluster_teardown);

static char *
config_of(const char *file)
{
    char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(gpupool(&out, &err, "cluster-config", "--file", file, NULL), 0, "%s", err);
    cr_expect_str_eq(err, "");
    return out;
}

Test(crmconfig, a_whole_device_domain_gets_its_utilization_and_no_migration)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 2);
    g_autofree char *out = config_of(shared);
    g_autofree char *params = g_strdup_printf("primitive vm1 ocf:gpupool:GpuDomain \\\n"
                                              "\tparams config=\"%s\" "
                                              "hypervisor=\"qemu:///system\" \\\n"
                                              "\tutilization gpupool_gpus=2 \\\n"
                                              "\tmeta allow-migrate=false "
                                              "failure-timeout=10min \\\n"
                                              "\top start timeout=300s interval=0s \\\n"
                                              "\top stop timeout=180s interval=0s \\\n"
                                              "\top monitor interval=60s timeout=90s\n", shared);

    cr_expect_not_null(strstr(out, params), "%s", out);
    cr_expect_not_null(strstr(out, "# allow-migrate=false: pool gpus hands out whole devices, "
                                   "which never move with a running guest"), "%s", out);
    cr_expect_not_null(strstr(out, "# It asks for 2 devices of pool gpus.\n"), "%s", out);
    /* The cluster-wide lines, once, before the resource. */
    cr_expect_not_null(strstr(out, "# ==== Once per cluster ====\n"
                                   "# Pacemaker places by utilization only with this strategy; "
                                   "the default ignores it.\n"
                                   "property placement-strategy=balanced\n"), "%s", out);
    cr_expect_not_null(strstr(out, "clone gpupool-capacity-clone gpupool-capacity"), "%s", out);
    cr_expect_lt(strstr(out, "Once per cluster"), strstr(out, "==== Domain vm1 ===="));
    cr_expect_null(strstr(out, "migrate_to"), "%s", out);
}

/* Pacemaker's default operation timeout (20 s) is shorter than a
 * PoolCapacity start that writes a pool's attributes on a loaded node. */
Test(crmconfig, the_capacity_clone_gets_start_and_stop_timeouts_beyond_the_default)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *out = config_of(shared);

    cr_expect_not_null(strstr(out, "primitive gpupool-capacity ocf:gpupool:PoolCapacity \\\n"
                                   "\top start timeout=60s interval=0s \\\n"
                                   "\top stop timeout=60s interval=0s \\\n"
                                   "\top monitor interval=30s timeout=60s\n"), "%s", out);
}

/* Partitions could move, but not on a stack gpupool cannot vouch for. */
Test(crmconfig, partitions_migrate_only_where_the_hypervisor_can_and_it_says_why_not)
{
    g_autofree char *o = NULL, *e = NULL, *o2 = NULL, *e2 = NULL, *out = NULL, *err = NULL;
    g_autofree char *shared = NULL;

    g_clear_pointer(&sim, gp_sim_free);
    sim = gp_sim_fixture_mbochs();
    cr_assert_eq(gpupool(&o, &e, "pool-create", "disp", "--type", "mdev", "--mdev-type",
                         "mbochs-large", NULL), 0, "%s", e);
    cr_assert_eq(gpupool(&o2, &e2, "pool-add", "disp", GP_SIM_MBOCHS, NULL), 0, "%s", e2);
    shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "disp", 1);
    cr_assert_eq(gpupool(&out, &err, "cluster-config", "--file", shared, "--connect",
                         "test:///default", NULL), 0, "%s", err);
    cr_expect_not_null(strstr(out, "utilization gpupool_disp=1"), "%s", out);
    cr_expect_not_null(strstr(out, "meta allow-migrate=false"), "%s", out);
    cr_expect_not_null(strstr(out, "# allow-migrate=false: its partitions are VFIO devices, and "
                                   "gpupool cannot tell whether the hypervisor on this node "
                                   "(test:///default) (TEST)"), "%s", out);
    cr_expect_not_null(strstr(out, "hypervisor=\"test:///default\""), "%s", out);
}

Test(crmconfig, a_libvirt_domain_is_configured_with_the_shared_file_named_by_config)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm 1", UUID_A, "gpus", 1);
    g_autofree char *text = file_text(shared);
    g_autofree char *node = g_build_filename(gp_sim_base(sim), "node.xml", NULL);
    g_autofree char *uri = g_strdup_printf("test://%s", node);
    g_autofree char *out = NULL, *err = NULL;
    GRegex *re = g_regex_new("<domain type='(kvm|qemu)'", 0, 0, NULL);
    g_autofree char *t = g_regex_replace_literal(re, text, -1, 0, "<domain type='test'", 0,
                                                 NULL);
    g_autofree char *nodexml = g_strdup_printf("<node>\n%s</node>\n", t);

    g_regex_unref(re);
    cr_assert(g_file_set_contents(node, nodexml, -1, NULL));
    cr_assert_eq(gpupool(&out, &err, "cluster-config", "vm 1", "--config", "/shared/vm1.xml",
                         "--connect", uri, NULL), 0, "%s", err);
    cr_expect_not_null(strstr(out, "primitive vm_1 ocf:gpupool:GpuDomain \\\n\tparams "
                                   "config=\"/shared/vm1.xml\""), "%s", out);
    cr_expect_not_null(strstr(out, "# Resource ID vm_1:"), "%s", out);
    cr_expect_not_null(strstr(out, "utilization gpupool_gpus=1"), "%s", out);
}

Test(crmconfig, refusals_are_one_line_naming_the_fix)
{
    g_autofree char *plain = shared_domain("q35-seabios.xml", "vm1", UUID_A, NULL, 0);
    const struct {
        const char *argv[6];
        int status;
        const char *needle;
    } cases[] = {
        { { "cluster-config", "vm1", NULL }, 2, "give --config PATH" },
        { { "cluster-config", "vm1", "--config", "vm1.xml", NULL }, 2, "absolute path" },
        { { "cluster-config", "--file", plain, NULL }, 1,
          "has no gpupool request: run 'gpupool assign --file" },
        { { "cluster-config", "--file", plain, "--config", "/x.xml", NULL }, 2,
          "--config goes with DOMAIN" },
        { { "cluster-config", NULL }, 2, "give exactly one DOMAIN" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = NULL, *err = NULL;
        const char *const *a = cases[i].argv;
        int rc = gpupool(&out, &err, a[0], a[1], a[2], a[3], a[4], a[5]);

        cr_expect_eq(rc, cases[i].status, "case %u: %d %s", i, rc, err);
        cr_expect_not_null(strstr(err, cases[i].needle), "case %u: %s", i, err);
        assert_one_line(err);
        cr_expect_str_eq(out, "", "case %u", i);
    }
}

Test(crmconfig, resource_ids_keep_what_pacemaker_takes)
{
    g_autofree char *a = gp_crmconfig_resource_id("win11-gpu.2_a");
    g_autofree char *b = gp_crmconfig_resource_id("9lives");
    g_autofree char *c = gp_crmconfig_resource_id("my vm/1");

    cr_expect_str_eq(a, "win11-gpu.2_a");
    cr_expect_str_eq(b, "vm_9lives");
    cr_expect_str_eq(c, "my_vm_1");
}

/* ---- With Pacemaker's own tools, where installed --------------------------- */

static gboolean
have(const char *program)
{
    g_autofree char *path = g_find_program_in_path(program);

    return path != NULL;
}

/* Runs SCRIPT with sh, CIB_file=CIB; fails the test if it fails. */
static char *
shell(const char *cib, const char *script)
{
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "CIB_file", cib, TRUE);
    g_autoptr(GError) error = NULL;
    char *out = NULL;
    g_autofree char *err = NULL;
    int status = -1;

    cr_assert(g_spawn_sync(NULL, (char **)argv, env, 0, NULL, NULL, &out, &err, &status,
                           &error), "%s", error ? error->message : "");
    cr_assert(g_spawn_check_wait_status(status, NULL), "%s failed: %s\n%s", script, err, out);
    return out;
}

/* The lines load as they are printed (the agents replaced by the
 * resource-agents ones with the same parameters, since gpupool's may not
 * be installed here), and Pacemaker then places the domain on the node
 * whose published capacity has room. */
Test(crmconfig, the_lines_load_into_crm_and_place_the_domain_by_utilization)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 2);
    g_autofree char *out = config_of(shared);
    g_autofree char *dir = g_build_filename(gp_sim_base(sim), "crm", NULL);
    g_autofree char *cib = g_build_filename(dir, "cib.xml", NULL);
    g_autofree char *lines = g_build_filename(dir, "vm1.crm", NULL);
    g_autofree char *script = NULL;
    g_autofree char *shown = NULL;
    g_autofree char *placed = NULL;
    char **parts;
    g_autofree char *swapped = NULL;

    if (!have("crm") || !have("crm_simulate") || !have("cibadmin"))
        cr_skip_test("crmsh and Pacemaker are not installed");
    cr_assert(g_mkdir_with_parents(dir, 0755) == 0);
    parts = g_strsplit(out, "ocf:gpupool:GpuDomain", -1);
    swapped = g_strjoinv("ocf:heartbeat:VirtualDomain", parts);
    g_strfreev(parts);
    parts = g_strsplit(swapped, "ocf:gpupool:PoolCapacity", -1);
    g_free(swapped);
    swapped = g_strjoinv("ocf:heartbeat:NodeUtilization", parts);
    g_strfreev(parts);
    cr_assert(g_file_set_contents(lines, swapped, -1, NULL));
    script = g_strdup_printf(
        "set -e; cibadmin --empty > \"$CIB_file\"\n"
        "cibadmin --create -o nodes -X '<node id=\"node1\" uname=\"node1\"/>'\n"
        "cibadmin --create -o nodes -X '<node id=\"node2\" uname=\"node2\"/>'\n"
        "crm_attribute -t crm_config -n stonith-enabled -v false\n"
        "crm_attribute -t nodes -N node1 -z -n gpupool_gpus -v 1\n"
        "crm_attribute -t nodes -N node2 -z -n gpupool_gpus -v 2\n"
        "crm configure load update '%s' 2>&1\n", lines);
    g_free(shell(cib, script));
    /* Loading twice changes nothing. */
    g_free(script);
    script = g_strdup_printf("crm configure load update '%s' 2>&1", lines);
    g_free(shell(cib, script));
    shown = shell(cib, "crm configure show 2>/dev/null");
    cr_expect_not_null(strstr(shown, "utilization gpupool_gpus=2"), "%s", shown);
    cr_expect_not_null(strstr(shown, "placement-strategy=balanced"), "%s", shown);
    placed = shell(cib, "crm_simulate -x \"$CIB_file\" -u node1 -u node2 -q 1 -S 2>&1");
    cr_expect_not_null(strstr(placed, "vm1\t(ocf:heartbeat:VirtualDomain):\t Started node2"),
                       "%s", placed);
}
