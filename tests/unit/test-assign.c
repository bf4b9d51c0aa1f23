/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt layer (src/virt/assign.c): assign, unassign, rebalance,
 * status and shutdown-domains against libvirt's test driver (one
 * connection per command, so only single commands can be checked here;
 * the integration tier drives a real libvirtd).  The choices they make
 * are policy/reserve.c's, tested in test-reserve.c. */
#include "config.h"

#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>

#include "virt/assign.h"
#include "pool-fixtures.h"

#define UUID_D "dddddddd-0000-4000-8000-000000000004"

static char *statedir;

static void
setup(void)
{
    statedir = g_dir_make_tmp("gp-test-assign-XXXXXX", NULL);
    cr_assert_not_null(statedir);
    g_setenv("GPUPOOL_STATEDIR", statedir, TRUE);
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
}

static void
teardown(void)
{
    g_autofree char *claims = g_build_filename(statedir, "claims.xml", NULL);

    g_unlink(claims);
    g_rmdir(statedir);
    g_free(statedir);
}

TestSuite(assign, .init = setup, .fini = teardown);

/* ---- The command against libvirt's test driver --------------------------- */

/* The host the command runs on: the two A100s of xml/pool-pci.xml, on
 * vfio-pci as pool-add leaves them. */
static GpSim *
pool_host(void)
{
    GpSim *sim = gp_sim_new();
    const char *const gpus[] = { "0000:41:00.0", "0000:81:00.0" };

    gp_sim_set_iommu(sim, TRUE);
    gp_sim_add_driver(sim, "vfio-pci");
    gp_sim_add_driver(sim, "pcieport");
    for (guint i = 0; i < G_N_ELEMENTS(gpus); i++) {
        g_autofree char *rp = g_strdup_printf("0000:00:0%u.0", i + 1);
        GpSimPciSpec spec = {
            .addr = gpus[i], .parent = rp, .vendor = 0x10de, .device = 0x20b5,
            .class_code = 0x030200, .driver = "vfio-pci",
            .bars = {
                [0] = { .size = 16 << 20 },
                [1] = { .size = 16ULL << 30, .is_64bit = TRUE, .prefetchable = TRUE },
            },
        };

        gp_sim_add_root_port(sim, rp, i ? 0x81 : 0x41);
        gp_sim_add_pci(sim, &spec);
    }
    return sim;
}

/* Runs the built gpupool on host SIM with a libvirt test-driver node
 * holding the sample domains and a pool "gpus" of two devices. */
static int
run_gpupool_on(GpSim *sim, const char *args, const char *extra_domain, char **out, char **err)
{
    const char *builddir = GP_TOP_BUILDDIR;
    const char *srcdir = GP_TOP_SRCDIR;
    g_autofree char *base = g_build_filename(statedir, "t", NULL);
    g_autofree char *pools = g_build_filename(base, "etc", "pools", NULL);
    g_autofree char *node = g_build_filename(base, "node.xml", NULL);
    g_autofree char *pool_src = g_build_filename(srcdir ? srcdir : GP_TOP_SRCDIR, "xml",
                                                 "pool-pci.xml", NULL);
    g_autofree char *pool_text = NULL;
    g_autofree char *pool_dst = g_build_filename(pools, "gpus.xml", NULL);
    g_autofree char *cmd = NULL;
    g_autofree char *d1 = NULL;
    g_autofree char *d2 = NULL;
    g_autofree char *path1 = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                              "q35-ovmf.xml", NULL);
    g_autofree char *path2 = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                              "minimal.xml", NULL);
    g_autofree char *nodexml = NULL;
    g_autoptr(GError) error = NULL;
    int status = -1;

    g_mkdir_with_parents(pools, 0755);
    cr_assert(g_file_get_contents(pool_src, &pool_text, NULL, NULL));
    cr_assert(g_file_set_contents(pool_dst, pool_text, -1, NULL));
    cr_assert(g_file_get_contents(path1, &d1, NULL, NULL));
    cr_assert(g_file_get_contents(path2, &d2, NULL, NULL));
    /* The test driver runs the domains of the node file. */
    nodexml = g_strdup_printf("<node>\n%s%s%s</node>\n", d1, d2,
                              extra_domain ? extra_domain : "");
    {
        GRegex *re = g_regex_new("<domain type='(kvm|qemu)'>", 0, 0, NULL);
        char *t = g_regex_replace_literal(re, nodexml, -1, 0, "<domain type='test'>", 0, NULL);

        g_regex_unref(re);
        g_free(nodexml);
        nodexml = t;
    }
    cr_assert(g_file_set_contents(node, nodexml, -1, NULL));
    cmd = g_strdup_printf("env GPUPOOL_CONFDIR=%s/etc GPUPOOL_STATEDIR=%s "
                          "GPUPOOL_SCHEMADIR=%s/xml GPUPOOL_SYSFS_ROOT=%s "
                          "LIBVIRT_DEFAULT_URI=test://%s %s/src/gpupool %s", base, statedir,
                          srcdir, gp_sim_root(sim), node, builddir, args);
    cr_assert(g_spawn_command_line_sync(cmd, out, err, &status, &error), "%s",
              error ? error->message : "");
    {
        g_autofree char *rm = g_strdup_printf("rm -rf %s", base);

        g_spawn_command_line_sync(rm, NULL, NULL, NULL, NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The same on pool_host(). */
static int
run_gpupool_with(const char *args, const char *extra_domain, char **out, char **err)
{
    g_autoptr(GpSim) sim = pool_host();

    return run_gpupool_on(sim, args, extra_domain, out, err);
}

static int
run_gpupool(const char *args, char **out, char **err)
{
    return run_gpupool_with(args, NULL, out, err);
}

/* The sample SeaBIOS domain assigned ADDRESS of pool "gpus", as
 * `gpupool assign` would define it. */
static char *
assigned_domain(const char *address)
{
    g_autofree char *path = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                             "q35-seabios.xml", NULL);
    g_autofree char *xml = NULL;
    g_autoptr(GpDomXml) dom = NULL;
    GpDomPlan plan = { 0 };
    GpDomRequest *req = g_new0(GpDomRequest, 1);
    GpDomDevice *dev = g_new0(GpDomDevice, 1);

    cr_assert(g_file_get_contents(path, &xml, NULL, NULL));
    dom = gp_domxml_parse(xml, strlen(xml), NULL);
    cr_assert_not_null(dom);
    plan.requests = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);
    plan.devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    req->pool = g_strdup("gpus");
    req->count = 1;
    g_ptr_array_add(plan.requests, req);
    dev->pool = g_strdup("gpus");
    dev->address = g_strdup(address);
    g_ptr_array_add(plan.devices, dev);
    cr_assert(gp_domxml_apply(dom, &plan, NULL));
    g_ptr_array_unref(plan.requests);
    g_ptr_array_unref(plan.devices);
    return gp_domxml_format(dom);
}

Test(assign, command_assigns_with_an_explicit_window_and_reports_a_running_domain)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("assign win-ovmf --pool gpus --mmio 64G", &out, &err);

    cr_assert_eq(rc, 0, "stderr: %s", err);
    cr_assert_not_null(strstr(out, "win-ovmf: assigned gpus 0000:41:00.0 (ua-gpupool-0)"),
                       "%s", out);
    cr_assert_not_null(strstr(out, "64-bit MMIO window 64G (pcihole64, OVMF aperture)"), "%s",
                       out);
    cr_assert_not_null(strstr(out, "applies at its next start"), "%s", out);
}

Test(assign, command_refuses_an_unknown_domain_with_one_line)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("assign nosuch --pool gpus --mmio 64G", &out, &err);

    cr_assert_eq(rc, 1);
    cr_assert_not_null(strstr(err, "gpupool: error: domain 'nosuch' not found on test://"),
                       "%s", err);
    cr_assert_not_null(strstr(err, "virsh list --all"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "not one line: %s", err);
}

Test(assign, command_refuses_an_unknown_pool)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("assign win-ovmf --pool nope", &out, &err);

    cr_assert_eq(rc, 1);
    cr_assert_not_null(strstr(err, "'nope'"), "%s", err);
    cr_assert_not_null(strstr(err, "pool-list"), "%s", err);
}

Test(assign, command_refuses_a_count_beyond_the_pool)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("assign win-ovmf --pool gpus --count 3 --mmio 64G", &out, &err);

    cr_assert_eq(rc, 1);
    cr_assert_not_null(strstr(err, "pool 'gpus' has 2 device(s)"), "%s", err);
}

Test(assign, command_usage_errors_exit_2)
{
    g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;

    cr_assert_eq(run_gpupool("assign win-ovmf --pool gpus --count 0", &o1, &e1), 2, "%s", e1);
    cr_assert_eq(run_gpupool("assign win-ovmf --pool gpus --mmio 12Q", &o2, &e2), 2, "%s", e2);
    cr_assert_not_null(strstr(e2, "'12Q' is not an MMIO size"), "%s", e2);
    cr_assert_eq(run_gpupool("assign win-ovmf", &o3, &e3), 2, "%s", e3);
    cr_assert_not_null(strstr(e3, "--pool POOL is required"), "%s", e3);
}

Test(assign, command_refuses_a_machine_type_without_pcihole64)
{
    /* libvirt's test driver's own default domain "test" has no machine type. */
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("assign test --pool gpus --mmio 64G --connect test:///default",
                         &out, &err);

    cr_assert_eq(rc, 1);
    cr_assert_not_null(strstr(err, "domain 'test' has machine type '(none)'"), "%s", err);
    cr_assert_not_null(strstr(err, "q35"), "%s", err);
}

/* libvirt takes a TAB in a domain name, the claims file cannot: assign
 * refuses such a domain at once rather than have every start refused. */
Test(assign, command_refuses_a_domain_name_with_a_control_character_naming_the_fix)
{
    g_autofree char *path = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                             "q35-seabios.xml", NULL);
    g_autofree char *xml = NULL;
    g_autofree char *tabbed = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    GRegex *re = g_regex_new("<name>linux-seabios</name>\\s*<uuid>[^<]*</uuid>", 0, 0, NULL);
    int rc;

    cr_assert(g_file_get_contents(path, &xml, NULL, NULL));
    tabbed = g_regex_replace_literal(re, xml, -1, 0, "<name>tab&#9;vm</name><uuid>"
                                     UUID_D "</uuid>", 0, NULL);
    g_regex_unref(re);
    rc = run_gpupool_with("assign " UUID_D " --pool gpus --mmio 64G", tabbed, &out, &err);
    cr_assert_eq(rc, 1, "%s%s", out, err);
    cr_assert_str_eq(err, "gpupool: error: " UUID_D ": domain name 'tab\\tvm' contains the "
                          "control character '\\t', which gpupool cannot record as the holder "
                          "of a device: rename the domain with 'virsh domrename' (while it is "
                          "shut off) and assign it again\n");
    cr_assert_str_eq(out, "");
}

/* A domain that passes a pool device through in a <hostdev> of its own
 * would be refused at every start, however often it is assigned (and
 * libvirt refuses the definition with "Hostdev already exists" when
 * assign picks that device): assign says to remove the <hostdev>. */
Test(assign, command_refuses_a_domain_with_its_own_hostdev_of_a_pool_device)
{
    g_autofree char *path = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                             "q35-seabios.xml", NULL);
    g_autofree char *xml = NULL;
    g_autofree char *own = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    GRegex *re = g_regex_new("<name>linux-seabios</name>\\s*<uuid>[^<]*</uuid>", 0, 0, NULL);
    GRegex *re2 = g_regex_new("</devices>", 0, 0, NULL);
    g_autofree char *renamed = NULL;
    int rc;

    cr_assert(g_file_get_contents(path, &xml, NULL, NULL));
    renamed = g_regex_replace_literal(re, xml, -1, 0, "<name>own</name><uuid>" UUID_D
                                      "</uuid>", 0, NULL);
    own = g_regex_replace_literal(re2, renamed, -1, 0,
                                  "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
                                  "<address domain='0x0000' bus='0x41' slot='0x00' "
                                  "function='0x0'/></source></hostdev></devices>", 0, NULL);
    g_regex_unref(re);
    g_regex_unref(re2);
    rc = run_gpupool_with("assign own --pool gpus --mmio 64G", own, &out, &err);
    cr_assert_eq(rc, 1, "%s%s", out, err);
    cr_assert_str_eq(err, "gpupool: error: own: its own <hostdev> of 0000:41:00.0 passes "
                          "through a device of pool 'gpus', which only gpupool hands out: "
                          "remove that <hostdev> from the definition ('virsh edit own'), then "
                          "run 'gpupool assign own --pool gpus' again\n");
    cr_assert_str_eq(out, "");
}

Test(assign, unassign_of_an_unassigned_domain_changes_nothing)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("unassign minimal", &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, "minimal: no gpupool assignment, nothing changed\n");
}

Test(assign, status_lists_pool_devices_without_libvirt)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("status --no-libvirt", &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "Pool gpus (pci): 2 device(s), 0 held, 2 free"), "%s", out);
    cr_assert_not_null(strstr(out, "0000:81:00.0"), "%s", out);
}

Test(assign, status_shows_which_domains_reserve_a_device)
{
    g_autofree char *extra = assigned_domain("0000:81:00.0");
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool_with("status", extra, &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(g_regex_match_simple("0000:81:00.0 +free +linux-seabios\n", out, 0, 0),
              "%s", out);
}

/* libvirtd killed while domains stopped: no release hook ran, and their
 * claims are still on file.  status tells them from live ones, says
 * what to run, and the schema takes it. */
Test(assign, status_marks_a_claim_of_a_domain_that_does_not_run_as_stale_and_names_the_fix)
{
    g_autofree char *claims_path = g_build_filename(statedir, "claims.xml", NULL);
    g_autofree char *out = NULL, *err = NULL, *xml = NULL, *xerr = NULL;
    g_autofree char *rng = g_build_filename(GP_TOP_SRCDIR, "xml", "status.rng", NULL);
    g_autofree char *xml_path = g_build_filename(statedir, "status.xml", NULL);
    g_autofree char *lint = NULL;
    int rc, status = -1;

    /* win-ovmf runs (the test driver runs the sample); "gone" does not. */
    cr_assert(g_file_set_contents(
        claims_path,
        "<claims>\n"
        "  <claim device='0000:41:00.0' pool='gpus' domain-uuid="
        "'1b7a4e52-58c3-4c0e-9d0a-2f0b4c1e9a01' domain-name='win-ovmf' since='1700000000'/>\n"
        "  <claim device='0000:81:00.0' pool='gpus' domain-uuid='" UUID_D "' "
        "domain-name='gone' since='1700000000'/>\n"
        "</claims>\n", -1, NULL));
    rc = run_gpupool("status", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(g_regex_match_simple("0000:41:00.0 +held +win-ovmf", out, 0, 0), "%s", out);
    cr_expect(g_regex_match_simple("0000:81:00.0 +stale +gone", out, 0, 0), "%s", out);
    cr_expect(strstr(out, "\n1 stale claim: the domain holding it does not run (it stopped "
                          "while libvirtd was down); run 'gpupool rebalance' to give it back\n"),
              "%s", out);
    rc = run_gpupool("status --xml", &xml, &xerr);
    cr_assert_eq(rc, 0, "%s", xerr);
    cr_expect(strstr(xml, "<status reservations=\"known\" running=\"known\">"), "%s", xml);
    cr_expect(strstr(xml, "<device id=\"0000:81:00.0\" state=\"stale\">"), "%s", xml);
    cr_assert(g_file_set_contents(xml_path, xml, -1, NULL));
    lint = g_strdup_printf("xmllint --noout --relaxng %s %s", rng, xml_path);
    cr_assert(g_spawn_command_line_sync(lint, NULL, NULL, &status, NULL));
    cr_expect_eq(status, 0, "status --xml does not follow xml/status.rng");
    g_unlink(xml_path);
}

Test(assign, assign_keeps_clear_of_a_device_another_domain_reserves)
{
    /* 0000:41:00.0 sorts first, but linux-seabios reserves it. */
    g_autofree char *extra = assigned_domain("0000:41:00.0");
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool_with("assign win-ovmf --pool gpus --mmio 64G", extra, &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "assigned gpus 0000:81:00.0"), "%s", out);
}

Test(assign, shutdown_domains_stops_only_domains_holding_pool_devices)
{
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc;

    /* win-ovmf (the q35-ovmf sample) holds a device; minimal holds none. */
    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", "1b7a4e52-58c3-4c0e-9d0a-2f0b4c1e9a01",
                            "win-ovmf", NULL, &error));
    cr_assert(gp_claims_save(claims, &error), "%s", error ? error->message : "");
    rc = run_gpupool("shutdown-domains --timeout 5", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "win-ovmf: asked to shut down\n"), "%s", out);
    cr_assert_not_null(strstr(out, "win-ovmf: shut down\n"), "%s", out);
    cr_assert_null(strstr(out, "minimal"), "%s", out);
}

Test(assign, shutdown_domains_with_nothing_to_do_says_so)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("shutdown-domains --timeout 5", &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, "no running domain holds gpupool devices\n");
}

/* ASSIGNED (from assigned_domain()) as a shut-off domain of the test
 * driver. */
static char *
stopped(const char *assigned)
{
    GRegex *re = g_regex_new("<domain type='qemu'>", 0, 0, NULL);
    g_autofree char *a = g_regex_replace_literal(
        re, assigned, -1, 0,
        "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>", 0, NULL);
    GRegex *re2 = g_regex_new("</devices>\n", 0, 0, NULL);
    /* VIR_DOMAIN_SHUTOFF */
    char *b = g_regex_replace_literal(re2, a, -1, 0,
                                      "</devices>\n  <test:runstate>5</test:runstate>\n", 0, NULL);

    g_regex_unref(re);
    g_regex_unref(re2);
    return b;
}

Test(assign, rebalance_command_repoints_a_stopped_domain_and_drops_stale_claims)
{
    g_autofree char *assigned = assigned_domain("0000:41:00.0");
    g_autofree char *extra = stopped(assigned);
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *out2 = NULL;
    g_autofree char *err2 = NULL;
    int rc;

    /* win-ovmf runs and holds 41; a domain that no longer runs still
     * "holds" 81 (libvirtd was down when it stopped). */
    cr_assert(gp_claims_add(claims, "0000:41:00.0", "gpus", "1b7a4e52-58c3-4c0e-9d0a-2f0b4c1e9a01",
                            "win-ovmf", NULL, &error));
    cr_assert(gp_claims_add(claims, "0000:81:00.0", "gpus", UUID_D, "gone", NULL, &error));
    cr_assert(gp_claims_save(claims, &error), "%s", error ? error->message : "");
    /* The claims must look older than the rebalance. */
    g_usleep(2100 * 1000);
    rc = run_gpupool_with("rebalance", extra, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "gone: dropped its claim on 0000:81:00.0 (pool 'gpus'): it is "
                                   "not running\n"), "%s", out);
    cr_assert_not_null(strstr(out, "linux-seabios: ua-gpupool-0 0000:41:00.0 -> 0000:81:00.0 "
                                   "(pool 'gpus': 0000:41:00.0 was held by win-ovmf)\n"), "%s",
                       out);
    cr_assert_null(strstr(out, "win-ovmf:"), "a running domain was touched: %s", out);
    cr_assert_str_eq(err, "");
    /* The dropped claim stays dropped; win-ovmf's stays. */
    rc = run_gpupool_with("status --no-libvirt", extra, &out2, &err2);
    cr_assert_eq(rc, 0, "%s", err2);
    cr_assert(g_regex_match_simple("0000:41:00.0 +held +win-ovmf", out2, 0, 0), "%s", out2);
    cr_assert(g_regex_match_simple("0000:81:00.0 +free", out2, 0, 0), "%s", out2);
}

/* A stopped domain whose definition reserves a device that broke is told
 * why, in the quarantine's words, by check and by the rebalance that
 * re-points it, and by the rebalance that cannot. */
Test(assign, a_stopped_domain_on_a_quarantined_device_is_told_the_quarantine_reason)
{
    g_autoptr(GpSim) sim = pool_host();
    g_autofree char *assigned = assigned_domain("0000:41:00.0");
    g_autofree char *extra = stopped(assigned);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *out2 = NULL, *err2 = NULL;
    g_autofree char *out3 = NULL, *err3 = NULL;
    const char *why = "quarantined: its config space reads all-ones (it stopped answering): "
                      "remove it ('echo 1 > /sys/bus/pci/devices/0000:41:00.0/remove')";
    int rc;

    cr_assert(gp_sim_pci_set_dead(sim, "0000:41:00.0"));
    rc = run_gpupool_on(sim, "check linux-seabios", extra, &out, &err);
    cr_assert_eq(rc, 1, "%s", out);
    cr_expect(g_str_has_prefix(err, "gpupool: error: linux-seabios: 0000:41:00.0 of pool 'gpus' is "
                               "quarantined: its config space reads all-ones"), "%s", err);
    cr_expect_not_null(strstr(err, "run 'gpupool rebalance' to re-point linux-seabios"), "%s",
                       err);

    rc = run_gpupool_on(sim, "rebalance", extra, &out2, &err2);
    cr_assert_eq(rc, 0, "%s", err2);
    cr_expect_not_null(strstr(out2, "linux-seabios: ua-gpupool-0 0000:41:00.0 -> 0000:81:00.0 "
                                    "(pool 'gpus': 0000:41:00.0 was quarantined: "), "%s", out2);
    cr_expect_not_null(strstr(out2, why), "%s", out2);
    cr_expect_null(strstr(out2, "no longer a device"), "%s", out2);

    /* Both broke: nothing to re-point to, and the warning says why. */
    cr_assert(gp_sim_pci_set_dead(sim, "0000:81:00.0"));
    rc = run_gpupool_on(sim, "rebalance", extra, &out3, &err3);
    cr_assert_eq(rc, 0, "%s", err3);
    cr_expect_not_null(strstr(err3, "linux-seabios: ua-gpupool-0 0000:41:00.0 is "
                                    "quarantined: its config space reads all-ones"), "%s", err3);
    cr_expect_not_null(strstr(err3, "; pool 'gpus' has no free device: it cannot start until "
                                    "one is released\n"), "%s", err3);
    cr_expect_null(strstr(err3, "no longer a device"), "%s", err3);
}

Test(assign, assigning_more_keeps_the_devices_and_aliases_a_domain_has)
{
    g_autofree char *extra = assigned_domain("0000:81:00.0");
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool_with("assign linux-seabios --pool gpus --count 2 --mmio 64G", extra,
                              &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "assigned gpus 0000:81:00.0 (ua-gpupool-0), "
                                   "gpus 0000:41:00.0 (ua-gpupool-1)"), "%s", out);
}

/* ---- Running domains: --restart, in one connection ------------------------ */

#define WIN_OVMF_UUID "1b7a4e52-58c3-4c0e-9d0a-2f0b4c1e9a01"

/* The sample domains, running, on a test-driver node opened in this
 * process, with pool "gpus" of pool_host(): the test driver keeps what a
 * command changed only for the connection, so the checks that look
 * before and after run here. */
static virConnectPtr
open_node(GpSim **sim_out)
{
    GpSim *sim = pool_host();
    g_autofree char *pools = g_build_filename(gp_sim_confdir(sim), "pools", NULL);
    g_autofree char *pool_src = g_build_filename(GP_TOP_SRCDIR, "xml", "pool-pci.xml", NULL);
    g_autofree char *pool_dst = g_build_filename(pools, "gpus.xml", NULL);
    g_autofree char *node = g_build_filename(gp_sim_base(sim), "node.xml", NULL);
    g_autofree char *text = NULL;
    g_autofree char *d1 = NULL;
    g_autofree char *d2 = NULL;
    g_autofree char *nodexml = NULL;
    g_autofree char *uri = NULL;
    g_autoptr(GRegex) re = g_regex_new("<domain type='(kvm|qemu)'>", 0, 0, NULL);
    virConnectPtr conn;

    g_mkdir_with_parents(pools, 0755);
    cr_assert(g_file_get_contents(pool_src, &text, NULL, NULL));
    cr_assert(g_file_set_contents(pool_dst, text, -1, NULL));
    cr_assert(g_file_get_contents(GP_TOP_SRCDIR "/tests/data/domains/q35-ovmf.xml", &d1,
                                  NULL, NULL));
    cr_assert(g_file_get_contents(GP_TOP_SRCDIR "/tests/data/domains/minimal.xml", &d2,
                                  NULL, NULL));
    nodexml = g_strdup_printf("<node>\n%s%s</node>\n", d1, d2);
    g_free(text);
    text = g_regex_replace_literal(re, nodexml, -1, 0, "<domain type='test'>", 0, NULL);
    cr_assert(g_file_set_contents(node, text, -1, NULL));
    uri = g_strdup_printf("test://%s", node);
    conn = gp_assign_connect(uri, NULL);
    cr_assert_not_null(conn, "%s", uri);
    *sim_out = sim;
    return conn;
}

static char *
inactive_definition(virConnectPtr conn, const char *name)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    char *copy = g_strdup(xml);

    free(xml);
    virDomainFree(dom);
    return copy;
}

static gboolean
is_running(virConnectPtr conn, const char *name)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    gboolean active = virDomainIsActive(dom) == 1;

    virDomainFree(dom);
    return active;
}

/* The live definition, as it runs now. */
static char *
live_definition(virConnectPtr conn, const char *name)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    char *xml = virDomainGetXMLDesc(dom, 0);
    char *copy = g_strdup(xml);

    free(xml);
    virDomainFree(dom);
    return copy;
}

Test(assign, restart_stops_a_running_domain_changes_it_and_starts_it_with_the_change)
{
    g_autoptr(GpSim) sim = NULL;
    virConnectPtr conn = open_node(&sim);
    GpAssignRestart how = { .restart = TRUE, .timeout = 5 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    g_autofree char *live = NULL;

    cr_assert(is_running(conn, "win-ovmf"));
    result = gp_assign_domain(conn, "win-ovmf", "gpus", 1, 0, &how, &error);
    cr_assert_not_null(result, "%s", error ? error->message : "");
    cr_expect(result->restarted);
    cr_expect_not(result->running, "the change does not wait for the next start");
    cr_expect(is_running(conn, "win-ovmf"), "restarted, so running again");
    /* It runs with its device now, not at its next start. */
    live = live_definition(conn, "win-ovmf");
    cr_expect(strstr(live, "<alias name='ua-gpupool-0'/>"), "%s", live);

    /* unassign --restart takes it away the same way. */
    g_clear_pointer(&result, gp_assign_result_free);
    result = gp_unassign_domain(conn, "win-ovmf", &how, &error);
    cr_assert_not_null(result, "%s", error ? error->message : "");
    cr_expect(result->restarted);
    g_free(live);
    live = live_definition(conn, "win-ovmf");
    cr_expect_null(strstr(live, "ua-gpupool"), "%s", live);
    cr_expect(is_running(conn, "win-ovmf"));
    virConnectClose(conn);
}

Test(assign, without_restart_a_running_domain_keeps_running_as_it_was)
{
    g_autoptr(GpSim) sim = NULL;
    virConnectPtr conn = open_node(&sim);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;

    result = gp_assign_domain(conn, "win-ovmf", "gpus", 1, 0, NULL, &error);
    cr_assert_not_null(result, "%s", error ? error->message : "");
    cr_expect(result->running);
    cr_expect_not(result->restarted);
    live = live_definition(conn, "win-ovmf");
    cr_expect_null(strstr(live, "ua-gpupool"), "the running guest changed: %s", live);
    inactive = inactive_definition(conn, "win-ovmf");
    cr_expect(strstr(inactive, "ua-gpupool-0"), "%s", inactive);
    virConnectClose(conn);
}

Test(assign, restart_is_not_even_tried_when_the_start_would_be_refused)
{
    g_autoptr(GpSim) sim = NULL;
    virConnectPtr conn = open_node(&sim);
    GpAssignRestart how = { .restart = TRUE, .timeout = 5 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    g_autofree char *before = inactive_definition(conn, "win-ovmf");
    g_autofree char *after = NULL;

    /* Both devices are held by other running domains. */
    gp_test_hold("0000:41:00.0", "gpus", UUID_D, "vm-a", NULL);
    gp_test_hold("0000:81:00.0", "gpus", "eeeeeeee-0000-4000-8000-000000000005", "vm-b", NULL);
    result = gp_assign_domain(conn, "win-ovmf", "gpus", 1, 0, &how, &error);
    cr_assert_null(result);
    cr_assert(g_str_has_prefix(error->message, "win-ovmf: left running and unchanged: a start "
                               "with the new definition would be refused: 0000:41:00.0 of "
                               "pool 'gpus' is held by domain 'vm-a'"), "%s", error->message);
    cr_expect(is_running(conn, "win-ovmf"));
    after = inactive_definition(conn, "win-ovmf");
    cr_expect_str_eq(after, before);
    virConnectClose(conn);
}

Test(assign, several_domains_are_each_reported_and_one_failure_makes_the_exit_1)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("assign win-ovmf nosuch minimal --pool gpus --mmio 64G", &out, &err);

    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "win-ovmf: assigned gpus 0000:41:00.0 (ua-gpupool-0)\n"), "%s", out);
    /* The other domain gets the other device: each sees the one before. */
    cr_assert(strstr(out, "minimal: assigned gpus 0000:81:00.0 (ua-gpupool-0)\n"), "%s", out);
    cr_assert(g_str_has_prefix(err, "gpupool: error: domain 'nosuch' not found"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
}

Test(assign, unassign_takes_several_domains)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int rc = run_gpupool("unassign minimal win-ovmf", &out, &err);

    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, "minimal: no gpupool assignment, nothing changed\n"
                          "win-ovmf: no gpupool assignment, nothing changed\n");
}

Test(assign, restart_options_are_checked_before_anything_runs)
{
    g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;
    g_autofree char *o4 = NULL, *e4 = NULL;

    cr_assert_eq(run_gpupool("assign win-ovmf --pool gpus --timeout 5", &o1, &e1), 2, "%s", e1);
    cr_assert(strstr(e1, "--timeout is how long --restart waits"), "%s", e1);
    cr_assert_eq(run_gpupool("assign --file /nonexistent.xml --pool gpus --restart", &o2, &e2),
                 2, "%s", e2);
    cr_assert(strstr(e2, "leave out --restart"), "%s", e2);
    cr_assert_eq(run_gpupool("unassign win-ovmf --restart --timeout 99999", &o3, &e3), 2, "%s",
                 e3);
    cr_assert(strstr(e3, "--timeout must be 0..3600 seconds"), "%s", e3);
    cr_assert_eq(run_gpupool("assign --file /nonexistent.xml vm2 --pool gpus", &o4, &e4), 2,
                 "%s", e4);
    cr_assert(strstr(e4, "give DOMAIN... or --file PATH, not both"), "%s", e4);
}
