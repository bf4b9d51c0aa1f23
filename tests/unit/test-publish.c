/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a node publishes to its cluster (src/cluster/publish.c, attrs.c)
 * through `gpupool cluster-capacity` on one simulated node: the node
 * utilization gpupool_POOL counts what the cluster's domains may use,
 * and the inventory attributes describe the pool for the homogeneity
 * check across nodes. */
#include "config.h"

#include "cluster-fixtures.h"

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "cluster/attrs.h"
#include "cluster/publish.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-00000000000a"
#define UUID_X "eeeeeeee-0000-4000-8000-00000000000e"

TestSuite(publish, .init = cluster_setup, .fini = cluster_teardown);

static char *
capacity(const char *option)
{
    char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(option ? gpupool(&out, &err, "cluster-capacity", option, NULL)
                        : gpupool(&out, &err, "cluster-capacity", NULL), 0, "%s", err);
    cr_expect_str_eq(err, "");
    return out;
}

Test(publish, a_node_with_two_free_devices_publishes_two)
{
    g_autofree char *out = capacity(NULL);

    cr_expect_str_eq(out, "gpupool_gpus 2\n");
}

Test(publish, devices_held_by_domains_outside_the_cluster_are_not_offered)
{
    g_autofree char *out = NULL;

    hold(GP_SIM_DC_GPU0, "gpus", UUID_X, "local-vm", NULL);
    out = capacity(NULL);
    cr_expect_str_eq(out, "gpupool_gpus 1\n");
}

/* A cluster domain running here still counts: Pacemaker subtracts its
 * utilization itself, and a node publishing less than its resources use
 * would make Pacemaker move them away. */
Test(publish, devices_held_by_the_clusters_own_domains_stay_in_the_capacity)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *o = NULL, *e = NULL, *out = NULL, *out2 = NULL, *o2 = NULL, *e2 = NULL;

    cr_assert_eq(gpupool(&o, &e, "cluster-prepare", "--file", shared, NULL), 0, "%s", e);
    hold(GP_SIM_DC_GPU0, "gpus", UUID_A, "vm1", NULL);
    out = capacity(NULL);
    cr_expect_str_eq(out, "gpupool_gpus 2\n");
    /* Once the cluster forgets it, what it still holds is not the
     * cluster's any more. */
    cr_assert_eq(gpupool(&o2, &e2, "cluster-forget", "--file", shared, NULL), 0, "%s", e2);
    out2 = capacity(NULL);
    cr_expect_str_eq(out2, "gpupool_gpus 1\n");
}

Test(publish, the_value_never_drops_below_what_cluster_domains_hold)
{
    cr_expect_eq(gp_publish_value(2, 0, 0), 2);
    cr_expect_eq(gp_publish_value(2, 1, 1), 1);
    cr_expect_eq(gp_publish_value(2, 0, 2), 0);
    /* Held units vanished from the count (a broken ledger, a race):
     * still what the cluster's domains hold. */
    cr_expect_eq(gp_publish_value(1, 2, 1), 2);
    cr_expect_eq(gp_publish_value(0, 0, 3), 0);
}

Test(publish, a_device_that_left_vfio_pci_is_not_offered)
{
    g_autofree char *out = NULL;

    /* Someone bound the second A100 back to nvidia. */
    cr_assert(gp_sim_write(sim, "bus/pci/drivers/vfio-pci/unbind", GP_SIM_DC_GPU1));
    out = capacity(NULL);
    cr_expect_str_eq(out, "gpupool_gpus 1\n");
}

/* The ledger quarantines a device that broke or vanished: a free one is
 * not offered, a cluster domain's held one counts while it holds it. */
Test(publish, a_broken_or_vanished_device_counts_only_while_a_cluster_domain_holds_it)
{
    g_autofree char *shared = shared_domain("q35-seabios.xml", "vm1", UUID_A, "gpus", 1);
    g_autofree char *o = NULL, *e = NULL, *dead = NULL, *held = NULL;

    cr_assert(gp_sim_pci_set_dead(sim, GP_SIM_DC_GPU1));
    dead = capacity(NULL);
    cr_expect_str_eq(dead, "gpupool_gpus 1\n");
    cr_assert_eq(gpupool(&o, &e, "cluster-prepare", "--file", shared, NULL), 0, "%s", e);
    hold(GP_SIM_DC_GPU0, "gpus", UUID_A, "vm1", NULL);
    cr_assert(gp_sim_pci_remove(sim, GP_SIM_DC_GPU0));
    held = capacity(NULL);
    cr_expect_str_eq(held, "gpupool_gpus 1\n", "vm1 still runs on it");
}

Test(publish, inventory_lines_name_type_ids_model_and_partitions)
{
    g_autofree char *out = capacity("--inventory");

    cr_expect_str_eq(out,
                     "gpupool_gpus_type pci\n"
                     "gpupool_gpus_devices 2\n"
                     "gpupool_gpus_ids 10de:20b5\n"
                     "gpupool_gpus_model NVIDIA Corporation GA100 [A100 PCIe 80GB]\n"
                     "gpupool_gpus_vram unknown\n"
                     "gpupool_gpus_partitions 0\n"
                     "gpupool_gpus_profile none\n");
}

Test(publish, xml_holds_capacity_devices_and_attributes_and_matches_its_schema)
{
    g_autofree char *out = NULL;
    xmlDoc *doc;
    xmlRelaxNGParserCtxt *pctx = xmlRelaxNGNewParserCtxt(GP_TOP_SRCDIR "/xml/cluster-capacity.rng");
    xmlRelaxNG *schema = xmlRelaxNGParse(pctx);
    xmlRelaxNGValidCtxt *vctx = xmlRelaxNGNewValidCtxt(schema);

    hold(GP_SIM_DC_GPU0, "gpus", UUID_X, "local-vm", NULL);
    out = capacity("--xml");
    cr_expect_not_null(strstr(out, "<cluster-capacity node=\"node1\">"), "%s", out);
    cr_expect_not_null(strstr(out, "attribute=\"gpupool_gpus\" value=\"1\" capacity=\"2\" "
                                   "held=\"1\" held-by-cluster=\"0\" held-by-others=\"1\" "
                                   "free=\"1\""), "%s", out);
    cr_expect_not_null(strstr(out, "<device address=\"0000:81:00.0\" present=\"yes\" "
                                   "ids=\"10de:20b5\" model=\"NVIDIA Corporation GA100 [A100 "
                                   "PCIe 80GB]\" partitions=\"0\" backend=\"pci\"/>"), "%s", out);
    cr_expect_not_null(strstr(out, "<attribute name=\"gpupool_gpus_ids\" value=\"10de:20b5\"/>"),
                       "%s", out);
    doc = xmlReadMemory(out, strlen(out), "capacity.xml", NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    cr_expect_eq(xmlRelaxNGValidateDoc(vctx, doc), 0, "%s", out);
    xmlFreeDoc(doc);
    xmlRelaxNGFreeValidCtxt(vctx);
    xmlRelaxNGFree(schema);
    xmlRelaxNGFreeParserCtxt(pctx);
}

Test(publish, an_mdev_pool_publishes_free_instances_and_its_type)
{
    g_autofree char *o = NULL, *e = NULL, *o2 = NULL, *e2 = NULL, *out = NULL, *inv = NULL;

    g_clear_pointer(&sim, gp_sim_free);
    sim = gp_sim_fixture_mbochs();
    cr_assert_eq(gpupool(&o, &e, "pool-create", "disp", "--type", "mdev", "--mdev-type",
                         "mbochs-large", NULL), 0, "%s", e);
    cr_assert_eq(gpupool(&o2, &e2, "pool-add", "disp", GP_SIM_MBOCHS, NULL), 0, "%s", e2);
    /* 512 MiB of 64 MiB instances. */
    out = capacity(NULL);
    cr_expect_str_eq(out, "gpupool_disp 8\n");
    inv = capacity("--inventory");
    cr_expect_not_null(strstr(inv, "gpupool_disp_type mdev\n"), "%s", inv);
    cr_expect_not_null(strstr(inv, "gpupool_disp_model mbochs\n"), "%s", inv);
    cr_expect_not_null(strstr(inv, "gpupool_disp_profile mbochs-large\n"), "%s", inv);
}

Test(publish, usage_errors_exit_2)
{
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

    cr_expect_eq(gpupool(&out, &err, "cluster-capacity", "--xml", "--inventory", NULL), 2);
    cr_expect_not_null(strstr(err, "give one of --xml and --inventory"), "%s", err);
    cr_expect_eq(gpupool(&out2, &err2, "cluster-capacity", "gpus", NULL), 2);
}

/* ---- Attribute names ------------------------------------------------------ */

Test(publish, attribute_names_map_pools_both_ways_even_with_underscores)
{
    g_autofree char *u = gp_attr_utilization("my_pool.v2");
    g_autofree char *i = gp_attr_inventory("my_pool.v2", GP_ATTR_MODEL);
    g_autofree char *back = gp_attr_utilization_pool(u);
    g_autofree char *pool = NULL;
    g_autofree char *none = gp_attr_utilization_pool("other_thing");
    const char *what = NULL;

    cr_expect_str_eq(u, "gpupool_my_pool.v2");
    cr_expect_str_eq(i, "gpupool_my_pool.v2_model");
    cr_expect_str_eq(back, "my_pool.v2");
    cr_expect_null(none);
    cr_assert(gp_attr_inventory_parse(i, &pool, &what));
    cr_expect_str_eq(pool, "my_pool.v2");
    cr_expect_str_eq(what, "model");
    cr_expect_not(gp_attr_inventory_parse("gpupool_gpus", &pool, &what));
    cr_expect_not(gp_attr_inventory_parse("gpupool__model", &pool, &what));
    cr_expect_not(gp_attr_inventory_parse("standby", &pool, &what));
}
