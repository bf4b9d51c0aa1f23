/* The cluster read back from Pacemaker's CIB (src/cluster/cib.c,
 * placement.c, homogeneity.c) through `gpupool cluster-status` and
 * `pool-check --cluster`, on CIBs made offline by Pacemaker's own tools
 * (tests/data/cib/make-cibs.sh says how), and on small hand-made ones
 * for what crm_simulate cannot make (a newer Pacemaker's time stamps, a
 * node lost without fencing, an operation under way). */
#include "config.h"

#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster/cib.h"
#include "cluster/placement.h"
#include "sim.h"

static char *tmpdir;

static void
setup(void)
{
    tmpdir = g_dir_make_tmp("gp-test-cib-XXXXXX", NULL);
    cr_assert_not_null(tmpdir);
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

    g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
    g_free(tmpdir);
}

TestSuite(cib, .init = setup, .fini = teardown);

static char *
cib_path(const char *name)
{
    return g_build_filename(GP_TOP_SRCDIR, "tests", "data", "cib", name, NULL);
}

/* Runs the built gpupool with ARGV (after "gpupool"); PATH_PREFIX (may be
 * NULL) goes first in $PATH. */
static int
gpupool(const char *const *args, const char *path_prefix, char **out, char **err)
{
    g_autofree char *bin = gp_sim_gpupool_path();
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(GStrv) env = g_get_environ();
    g_autoptr(GError) error = NULL;
    int status = -1;

    g_ptr_array_add(argv, bin);
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    if (path_prefix) {
        g_autofree char *path = g_strdup_printf("%s:%s", path_prefix,
                                                g_environ_getenv(env, "PATH"));

        env = g_environ_setenv(env, "PATH", path, TRUE);
    }
    env = g_environ_unsetenv(env, "CIB_file");
    cr_assert(g_spawn_sync(NULL, (char **)argv->pdata, env, 0, NULL, NULL, out, err, &status,
                           &error), "%s", error ? error->message : "");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *
status_of(const char *cib)
{
    g_autofree char *path = cib_path(cib);
    const char *args[] = { "cluster-status", "--cib", path, NULL };
    char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(gpupool(args, NULL, &out, &err), 0, "%s", err);
    cr_expect_str_eq(err, "");
    return out;
}

/* ---- cluster-status on CIBs Pacemaker made ---------------------------------- */

Test(cib, status_shows_each_nodes_pool_where_domains_run_and_why_one_finds_no_room)
{
    g_autofree char *out = status_of("running.xml");

    cr_expect_str_eq(out,
        "node1: online; gpus 0 of 1 free (1 held)\n"
        "node2: online; gpus 0 of 1 free (1 held)\n"
        "vm1: running on node1 (gpus 1)\n"
        "vm2: running on node2 (gpus 1)\n"
        "vm3: stopped: no node has a free device of pool gpus: node1 0/1 free, node2 0/1 free\n"
        "vm4: stopped: target-role Stopped: start it with 'crm resource start vm4'\n");
}

Test(cib, a_lost_node_gives_nothing_and_its_domain_waits_for_room)
{
    g_autofree char *out = status_of("node-lost.xml");

    cr_expect_str_eq(out,
        "node1: online; gpus 0 of 1 free (1 held)\n"
        "node2: offline; publishes gpus 1\n"
        "vm1: running on node1 (gpus 1)\n"
        "vm2: stopped: no node has a free device of pool gpus: node1 0/1 free, node2 offline\n"
        "vm3: stopped: no node has a free device of pool gpus: node1 0/1 free, node2 offline\n"
        "vm4: stopped: target-role Stopped: start it with 'crm resource start vm4'\n");
}

/* The seeds' drain is Pacemaker's standby. */
Test(cib, a_drained_node_is_named_as_standby)
{
    g_autofree char *out = status_of("standby.xml");

    cr_expect_not_null(strstr(out, "node1: standby; gpus 1 of 1 free (0 held)\n"), "%s", out);
    cr_expect_not_null(strstr(out, "vm2: stopped: no node has a free device of pool gpus: "
                                   "node1 standby, node2 0/1 free\n"), "%s", out);
}

Test(cib, a_failed_start_and_a_ban_are_named_with_the_agents_reason)
{
    g_autofree char *out = status_of("failed.xml");

    cr_expect_not_null(strstr(out, "vm3: stopped: no node can take it: node1 banned "
                                   "(cli-ban-vm3-on-node1), node2 failed: start: Simulated "
                                   "action result\n"), "%s", out);
    cr_expect_not_null(strstr(out, "node1: online; gpus 1 of 2 free (1 held)\n"), "%s", out);
}

Test(cib, a_node_without_the_pool_is_named_so)
{
    g_autofree char *out = status_of("mixed.xml");

    cr_expect_not_null(strstr(out, "node3: online; publishes no pool\n"), "%s", out);
    cr_expect_not_null(strstr(out, "node2 0/1 free, node3 has no pool gpus\n"), "%s", out);
}

Test(cib, status_xml_matches_its_schema)
{
    g_autofree char *path = cib_path("failed.xml");
    const char *args[] = { "cluster-status", "--xml", "--cib", path, NULL };
    g_autofree char *out = NULL, *err = NULL;
    xmlRelaxNGParserCtxt *pctx = xmlRelaxNGNewParserCtxt(GP_TOP_SRCDIR "/xml/cluster-status.rng");
    xmlRelaxNG *schema = xmlRelaxNGParse(pctx);
    xmlRelaxNGValidCtxt *vctx = xmlRelaxNGNewValidCtxt(schema);
    xmlDoc *doc;

    cr_assert_eq(gpupool(args, NULL, &out, &err), 0, "%s", err);
    cr_expect_not_null(strstr(out, "<domain resource=\"vm3\" state=\"stopped\" "
                                   "config=\"/shared/vm3.xml\">"), "%s", out);
    cr_expect_not_null(strstr(out, "<failed>start on node2: Simulated action result</failed>"),
                       "%s", out);
    doc = xmlReadMemory(out, strlen(out), "status.xml", NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    cr_expect_eq(xmlRelaxNGValidateDoc(vctx, doc), 0, "%s", out);
    xmlFreeDoc(doc);
    xmlRelaxNGFreeValidCtxt(vctx);
    xmlRelaxNGFree(schema);
    xmlRelaxNGFreeParserCtxt(pctx);
}

/* ---- Asking the cluster: cibadmin, never a shell ----------------------------- */

static char *
fake_cibadmin(const char *body)
{
    g_autofree char *script = g_build_filename(tmpdir, "cibadmin", NULL);

    cr_assert(g_file_set_contents(script, body, -1, NULL));
    cr_assert(g_chmod(script, 0755) == 0);
    return g_strdup(tmpdir);
}

Test(cib, without_cib_it_asks_cibadmin_query)
{
    g_autofree char *cib = cib_path("running.xml");
    g_autofree char *body = g_strdup_printf("#!/bin/sh\n[ \"$*\" = --query ] || exit 9\n"
                                            "exec cat '%s'\n", cib);
    g_autofree char *dir = fake_cibadmin(body);
    const char *args[] = { "cluster-status", NULL };
    g_autofree char *out = NULL, *err = NULL;

    cr_assert_eq(gpupool(args, dir, &out, &err), 0, "%s", err);
    cr_expect_not_null(strstr(out, "vm1: running on node1 (gpus 1)\n"), "%s", out);
}

Test(cib, a_cluster_that_does_not_answer_is_one_line_with_the_fix)
{
    g_autofree char *dir = fake_cibadmin("#!/bin/sh\necho 'Could not connect to the CIB: "
                                         "Transport endpoint is not connected' >&2\nexit 102\n");
    const char *args[] = { "cluster-status", NULL };
    const char *check[] = { "pool-check", "--cluster", NULL };
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

    cr_assert_eq(gpupool(args, dir, &out, &err), 1);
    cr_expect_str_eq(err, "gpupool: error: 'cibadmin --query' failed (Could not connect to the "
                          "CIB: Transport endpoint is not connected): is Pacemaker running on "
                          "this node? (--cib FILE reads a saved CIB)\n");
    cr_assert_eq(gpupool(check, dir, &out2, &err2), 1);
    cr_expect_not_null(strstr(err2, "is Pacemaker running"), "%s", err2);
}

Test(cib, a_file_that_is_no_cib_is_refused_naming_it)
{
    g_autofree char *bad = g_build_filename(tmpdir, "bad.xml", NULL);
    g_autofree char *missing = g_build_filename(tmpdir, "missing.xml", NULL);
    const char *a1[] = { "cluster-status", "--cib", bad, NULL };
    const char *a2[] = { "cluster-status", "--cib", missing, NULL };
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

    cr_assert(g_file_set_contents(bad, "<domain/>", -1, NULL));
    cr_assert_eq(gpupool(a1, NULL, &out, &err), 1);
    cr_expect_not_null(strstr(err, "is not a Pacemaker CIB"), "%s", err);
    cr_assert_eq(gpupool(a2, NULL, &out2, &err2), 1);
    cr_expect_not_null(strstr(err2, "cannot read the CIB"), "%s", err2);
}

/* ---- What crm_simulate does not make --------------------------------------- */

#define CIB_HEAD \
    "<cib><configuration><crm_config><cluster_property_set id='o'>%s" \
    "</cluster_property_set></crm_config><nodes>" \
    "<node id='1' uname='node1'><utilization id='u1'>" \
    "<nvpair id='u1a' name='gpupool_gpus' value='2'/></utilization></node>" \
    "<node id='2' uname='node2'><utilization id='u2'>" \
    "<nvpair id='u2a' name='gpupool_gpus' value='2'/></utilization></node>" \
    "</nodes><resources>" \
    "<primitive id='vm1' class='ocf' provider='gpupool' type='GpuDomain'>" \
    "<utilization id='v1'><nvpair id='v1a' name='gpupool_gpus' value='2'/></utilization>" \
    "</primitive>" \
    "<primitive id='web' class='ocf' provider='heartbeat' type='apache'/>" \
    "</resources><constraints/></configuration><status>%s</status></cib>"

static GpCib *
parse(const char *props, const char *status)
{
    g_autofree char *xml = g_strdup_printf(CIB_HEAD, props, status);
    g_autoptr(GError) error = NULL;
    GpCib *cib = gp_cib_parse(xml, strlen(xml), "test CIB", &error);

    cr_assert_not_null(cib, "%s", error ? error->message : "");
    return cib;
}

Test(cib, time_stamps_of_newer_pacemakers_mean_online_and_other_agents_are_not_gpu_domains)
{
    g_autoptr(GpCib) cib = parse("",
        "<node_state id='1' uname='node1' in_ccm='1732860000' crmd='1732860000' "
        "join='member' expected='member'><lrm id='1'><lrm_resources>"
        "<lrm_resource id='vm1' class='ocf' provider='gpupool' type='GpuDomain'>"
        "<lrm_rsc_op id='vm1_last_0' operation='start' call-id='5' rc-code='0' "
        "op-status='0' interval='0'/></lrm_resource></lrm_resources></lrm></node_state>");
    const GpCibResource *vm1;

    cr_assert_eq(cib->resources->len, 1, "apache is no GPU domain");
    vm1 = cib->resources->pdata[0];
    cr_expect(gp_cib_node(cib, "node1")->online);
    cr_expect_not(gp_cib_node(cib, "node2")->online, "never seen: offline");
    cr_assert_eq(vm1->running_on->len, 1);
    cr_expect_str_eq(vm1->running_on->pdata[0], "node1");
    cr_expect_eq(GPOINTER_TO_UINT(g_hash_table_lookup(vm1->demand, "gpus")), 2);
}

/* A damaged CIB: a GPU domain without its ID, and status and fail counts
 * that name resources by ID. */
Test(cib, a_gpu_domain_without_an_id_is_left_out)
{
    g_autofree char *head = g_strdup_printf(CIB_HEAD, "",
        "<node_state id='1' uname='node1' in_ccm='true' crmd='online' join='member'>"
        "<transient_attributes id='1'><instance_attributes id='s1'>"
        "<nvpair id='f1' name='fail-count-vm1#start_0' value='1'/></instance_attributes>"
        "</transient_attributes><lrm id='1'><lrm_resources><lrm_resource id='vm1'>"
        "<lrm_rsc_op id='vm1_last_0' operation='start' call-id='1' rc-code='0' "
        "op-status='0' interval='0'/></lrm_resource></lrm_resources></lrm></node_state>");
    g_auto(GStrv) parts = g_strsplit(head, "<primitive id='vm1' ", 2);
    g_autofree char *xml = g_strjoinv("<primitive ", parts);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpCib) cib = gp_cib_parse(xml, strlen(xml), "test CIB", &error);

    cr_assert_not_null(cib, "%s", error ? error->message : "");
    cr_expect_eq(cib->resources->len, 0);
}

Test(cib, a_second_state_of_a_node_is_not_read)
{
    g_autoptr(GpCib) cib = parse("",
        "<node_state id='1' uname='node1' in_ccm='true' crmd='online' join='member'>"
        "<lrm id='1'><lrm_resources><lrm_resource id='vm1'>"
        "<lrm_rsc_op id='vm1_last_0' operation='start' call-id='1' rc-code='0' "
        "op-status='0' interval='0'/></lrm_resource></lrm_resources></lrm></node_state>"
        "<node_state id='1' uname='node1' in_ccm='false' crmd='offline' join='down'/>");
    const GpCibResource *vm1 = cib->resources->pdata[0];

    cr_expect(gp_cib_node(cib, "node1")->online);
    cr_assert_eq(vm1->running_on->len, 1);
    cr_expect_str_eq(vm1->running_on->pdata[0], "node1");
}

Test(cib, a_start_under_way_counts_and_a_probe_that_found_it_stopped_does_not)
{
    g_autoptr(GpCib) cib = parse("",
        "<node_state id='1' uname='node1' in_ccm='true' crmd='online' join='member'>"
        "<lrm id='1'><lrm_resources><lrm_resource id='vm1'>"
        "<lrm_rsc_op id='vm1_last_0' operation='monitor' call-id='1' rc-code='7' "
        "op-status='0' interval='0'/>"
        "<lrm_rsc_op id='vm1_last_0' operation='start' call-id='-1' rc-code='193' "
        "op-status='-1' interval='0'/></lrm_resource></lrm_resources></lrm></node_state>"
        "<node_state id='2' uname='node2' in_ccm='true' crmd='online' join='member'>"
        "<lrm id='2'><lrm_resources><lrm_resource id='vm1'>"
        "<lrm_rsc_op id='vm1_last_0' operation='monitor' call-id='1' rc-code='7' "
        "op-status='0' interval='0'/></lrm_resource></lrm_resources></lrm></node_state>");
    const GpCibResource *vm1 = cib->resources->pdata[0];
    g_autoptr(GpPlacement) p = gp_placement_of(cib);
    const GpPlacementNode *n1 = p->nodes->pdata[0];
    const GpPlacementPool *pool = n1->pools->pdata[0];

    cr_assert_eq(vm1->running_on->len, 1);
    cr_expect_str_eq(vm1->running_on->pdata[0], "node1");
    cr_expect_eq(pool->held, 2);
    cr_expect_eq(pool->free, 0);
    /* placement-strategy is not set: the numbers are Pacemaker's to ignore. */
    cr_assert_eq(p->warnings->len, 1);
    cr_expect_not_null(strstr(p->warnings->pdata[0], "placement-strategy is 'default'"));
}

Test(cib, a_node_lost_without_fencing_is_unclean_and_said_to_be)
{
    g_autoptr(GpCib) cib = parse(
        "<nvpair id='p' name='placement-strategy' value='utilization'/>",
        "<node_state id='1' uname='node1' in_ccm='true' crmd='online' join='member'/>"
        "<node_state id='2' uname='node2' in_ccm='false' crmd='offline' join='down' "
        "expected='member'/>");
    g_autoptr(GpPlacement) p = gp_placement_of(cib);
    const GpPlacementDomain *d = p->domains->pdata[0];
    const GpPlacementNode *n2 = p->nodes->pdata[1];

    cr_expect_str_eq(n2->state, "unclean");
    cr_expect_eq(p->warnings->len, 0);
    cr_expect_not(d->running);
    cr_expect_str_eq(d->reason, "stopped although node1 has room: a constraint or a transition "
                                "under way keeps it; see 'crm_simulate -Ls' (node2 offline, not "
                                "fenced yet)");
}

/* ---- pool-check --cluster ------------------------------------------------------ */

Test(cib, pool_check_finds_a_pool_alike_on_every_node)
{
    g_autofree char *path = cib_path("running.xml");
    const char *args[] = { "pool-check", "--cluster", "--cib", path, NULL };
    g_autofree char *out = NULL, *err = NULL;

    cr_assert_eq(gpupool(args, NULL, &out, &err), 0, "%s", err);
    cr_expect_str_eq(out, "pool 'gpus': ok on node1, node2: 10de:20b5 (NVIDIA Corporation GA100 "
                          "[A100 PCIe 80GB]), whole devices\n");
}

Test(cib, pool_check_errs_on_mixed_models_and_warns_on_partial_and_differing_setups)
{
    g_autofree char *path = cib_path("mixed.xml");
    const char *args[] = { "pool-check", "--cluster", "--cib", path, NULL };
    g_autofree char *out = NULL, *err = NULL;

    cr_assert_eq(gpupool(args, NULL, &out, &err), 1, "%s", out);
    cr_expect_not_null(strstr(out, "error: pool 'gpus' mixes GPU models across nodes: node1 "
                                   "10de:20b5 (NVIDIA Corporation GA100 [A100 PCIe 80GB]); "
                                   "node2 10de:2236 (NVIDIA Corporation GA102GL [A10]); use the "
                                   "same make and model in the pool on every node\n"), "%s", out);
    cr_expect_not_null(strstr(out, "warning: pool 'gpus' is not on node3 (it publishes no "
                                   "gpupool_gpus)"), "%s", out);
    cr_expect_not_null(strstr(out, "warning: pool 'gpus' has different VRAM across nodes: "
                                   "node2 24 GiB; node1 80 GiB"), "%s", out);
    cr_expect_null(strstr(out, "ok on"), "%s", out);
    cr_expect_str_eq(err, "gpupool: error: 1 problem found in the pools: fix it as described "
                          "above\n");
}

Test(cib, pool_check_names_a_pool_no_node_publishes_and_usage_errors)
{
    g_autofree char *path = cib_path("running.xml");
    const char *a1[] = { "pool-check", "--cluster", "--cib", path, "tensors", NULL };
    const char *a2[] = { "pool-check", "--cib", path, NULL };
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

    cr_assert_eq(gpupool(a1, NULL, &out, &err), 1, "%s", out);
    cr_expect_not_null(strstr(out, "error: no node of the cluster publishes pool 'tensors'"),
                       "%s", out);
    cr_assert_eq(gpupool(a2, NULL, &out2, &err2), 2);
    cr_expect_not_null(strstr(err2, "--cib goes with --cluster"), "%s", err2);
}
