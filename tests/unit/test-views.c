/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every view of a pool's capacity tells the same numbers, because every
 * view and every refusal asks the ledger: each pool kind (pci, mdev, vf
 * with a vendor profile, vf without one) is filled up and emptied again
 * with domains started and stopped through the real hook binary, and at
 * every step `gpupool pool-list`, `pool-info`, `status` (text and XML) and
 * `partitions` (text and XML) must agree on what is held and free; once
 * the pool is full the hook refuses a start naming the holders.  And
 * `gpupool assign` refuses, changing nothing, what prepare would refuse
 * for reasons known before the start. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "virt/assign.h"
#include "ops/partition.h"
#include "cli-runner.h"
#include "hook-runner.h"
#include "pool-fixtures.h"

/* Domain I (1-based) of a test: "vmI" with this UUID. */
static char *
uuid_of(guint i)
{
    return g_strdup_printf("6a1c4a52-2d7e-4b8a-9c1e-%012x", i);
}

static char *
name_of(guint i)
{
    return g_strdup_printf("vm%u", i);
}

/* ---- Reading the views ---------------------------------------------------- */

/* The unsigned number of group GROUP where RE first matches TEXT; fails
 * the test, naming WHAT, if it does not match. */
static guint
number(const char *text, const char *re, guint group, const char *what)
{
    g_autoptr(GRegex) regex = g_regex_new(re, G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GMatchInfo) match = NULL;
    g_autofree char *digits = NULL;

    cr_assert_not_null(regex, "%s", re);
    cr_assert(g_regex_match(regex, text, 0, &match), "%s: no /%s/ in:\n%s", what, re, text);
    digits = g_match_info_fetch(match, group);
    return (guint)g_ascii_strtoull(digits, NULL, 10);
}

/* What one view says about a pool. */
typedef struct {
    const char *view;
    guint devices;  /* units: held + free */
    guint held;
    guint free;
} Numbers;

/* gpupool ARGS... must succeed; its stdout (new). */
static char *
output(GpSim *sim, const char *first, ...) G_GNUC_NULL_TERMINATED;

static char *
output(GpSim *sim, const char *first, ...)
{
    g_autoptr(GpTestRun) r = NULL;
    va_list ap;

    va_start(ap, first);
    r = gp_test_run_va(sim, first, ap);
    va_end(ap);
    gp_test_succeeded(r);
    return g_steal_pointer(&r->out);
}

/* Asserts that pool-list, pool-info, status, status --xml, partitions and
 * partitions --xml all tell the same numbers for POOL, that HELD units of
 * its CAPACITY are held, and FREE of them free; its DEVICES
 * (NULL-terminated: the members) are in use by HELD domains between them.
 * STEP says when. */
static void
expect_views(GpSim *sim, const char *pool, const char *const *devices, guint capacity,
             guint held, gint free_want, const char *step)
{
    g_autofree char *list = output(sim, "pool-list", NULL);
    g_autofree char *info = output(sim, "pool-info", pool, NULL);
    g_autofree char *status = output(sim, "status", "--no-libvirt", NULL);
    g_autofree char *status_xml = output(sim, "status", "--no-libvirt", "--xml", NULL);
    g_autofree char *list_re = g_strdup_printf("^%s +[a-z]+ +([0-9]+) +([0-9]+) +([0-9]+) ",
                                               pool);
    g_autofree char *status_re = g_strdup_printf("^Pool %s \\([a-z]+\\): ([0-9]+) "
                                                 "device\\(s\\), ([0-9]+) held, ([0-9]+) "
                                                 "free(, [0-9]+ quarantined)?$", pool);
    g_autofree char *xml_re = g_strdup_printf("<pool name=\"%s\"[^>]* devices=\"([0-9]+)\" "
                                              "held=\"([0-9]+)\" free=\"([0-9]+)\"", pool);
    const char *usage_re = "^Usage: +([0-9]+) in use, ([0-9]+) free(, [0-9]+ quarantined)?$";
    Numbers views[6] = {
        { .view = "pool-list (DEVICES, IN USE, FREE)" }, { .view = "pool-info (Usage)" },
        { .view = "status" }, { .view = "status --xml" },
        { .view = "partitions (held, free)" }, { .view = "partitions --xml (in-use, free)" },
    };
    const Numbers *first = &views[0];
    guint in_use = 0;
    gboolean whole = FALSE;

    views[0].devices = number(list, list_re, 1, "pool-list");
    views[0].held = number(list, list_re, 2, "pool-list");
    views[0].free = number(list, list_re, 3, "pool-list");
    views[1].held = number(info, usage_re, 1, "pool-info");
    views[1].free = number(info, usage_re, 2, "pool-info");
    views[1].devices = views[1].held + views[1].free;
    views[2].devices = number(status, status_re, 1, "status");
    views[2].held = number(status, status_re, 2, "status");
    views[2].free = number(status, status_re, 3, "status");
    views[3].devices = number(status_xml, xml_re, 1, "status --xml");
    views[3].held = number(status_xml, xml_re, 2, "status --xml");
    views[3].free = number(status_xml, xml_re, 3, "status --xml");
    /* partitions: per device; a pool's devices add up to the pool. */
    for (guint i = 0; devices[i]; i++) {
        g_autofree char *text = output(sim, "partitions", devices[i], NULL);
        g_autofree char *xml = output(sim, "partitions", "--xml", devices[i], NULL);
        const char *rows = "for the pool's domains: ([0-9]+) held, ([0-9]+) free$";
        const char *attrs = "in-use='([0-9]+)' free='([0-9]+)'";

        views[4].held += number(text, rows, 1, "partitions");
        views[4].free += number(text, rows, 2, "partitions");
        whole = strstr(text, "the device is used whole") != NULL;
        if (!whole)
            in_use += number(text, "^  current partition count: .*, ([0-9]+) in use$", 1,
                             "partitions");
        views[5].held += number(xml, attrs, 1, "partitions --xml");
        views[5].free += number(xml, attrs, 2, "partitions --xml");
    }
    views[4].devices = views[4].held + views[4].free;
    views[5].devices = views[5].held + views[5].free;

    for (guint i = 0; i < G_N_ELEMENTS(views); i++)
        cr_expect(views[i].devices == first->devices && views[i].held == first->held &&
                  views[i].free == first->free,
                  "%s: %s says %u devices, %u held, %u free; %s says %u, %u held, %u free",
                  step, views[i].view, views[i].devices, views[i].held, views[i].free,
                  first->view, first->devices, first->held, first->free);
    cr_expect_eq(first->held, held, "%s: the views say %u held, %u domains run", step,
                 first->held, held);
    cr_expect_eq(first->devices, first->held + first->free, "%s: %u devices are not %u held "
                 "and %u free", step, first->devices, first->held, first->free);
    cr_expect(first->free == (guint)free_want && first->devices == capacity,
              "%s: the views say %u devices, %u free; the pool has %u, %d free", step,
              first->devices, first->free, capacity, free_want);
    if (!whole)
        cr_expect_eq(in_use, held, "%s: partitions says %u in use, %u domains hold partitions",
                     step, in_use, held);
}

/* ---- Starting and stopping domains through the hook ---------------------- */

/* Domain I, reserving DEVICE of POOL as `gpupool assign` leaves it. */
static char *
domain_xml(guint i, const char *pool, const char *device)
{
    g_autofree char *uuid = uuid_of(i);
    g_autofree char *name = name_of(i);
    const char *const devices[] = { device, NULL };

    return gp_test_assigned_xml(name, uuid, pool, devices);
}

/* The mdev UUID assign gives domain I in mdev pool POOL. */
static char *
mdev_of(guint i, const char *pool)
{
    g_autofree char *uuid = uuid_of(i);

    return gp_domain_mdev_uuid(uuid, pool, 0);
}

static void
start(guint i, const char *xml)
{
    g_autofree char *name = name_of(i);
    g_auto(GpHookRun) run = { 0 };

    gp_test_run_hook(&run, name, "prepare", "begin", xml);
    cr_assert_eq(run.status, 0, "%s did not start: %s", name, run.err);
}

static void
stop(guint i, const char *xml)
{
    g_autofree char *name = name_of(i);
    g_auto(GpHookRun) run = { 0 };

    gp_test_run_hook(&run, name, "release", "end", xml);
    cr_assert_eq(run.status, 0, "%s did not stop cleanly: %s", name, run.err);
}

/* Domain LATE may not start: one line that names every one of the
 * HOLDERS domains (vm1..vmHOLDERS, or only vm1 when ONE_HOLDER), never
 * LATE itself as a holder, and no raw error of the kernel; nothing
 * changed. */
static void
expect_refused_start(GpSim *sim, guint late, const char *xml, guint holders,
                     gboolean one_holder)
{
    g_autofree char *name = name_of(late);
    g_autofree char *host_before = gp_sim_snapshot(sim);
    g_autofree char *state_before = gp_test_state_dump(sim);
    g_autofree char *host_after = NULL;
    g_autofree char *state_after = NULL;
    g_auto(GpHookRun) run = { 0 };
    g_autofree char *held_by = NULL;
    static const char *const raw[] = { "sysfs", "/sys/", "errno", "Invalid argument",
                                       "No space left", "Device or resource busy",
                                       "No such file", "Permission denied" };

    gp_test_run_hook(&run, name, "prepare", "begin", xml);
    cr_assert_eq(run.status, 1, "%s started in a full pool: %s", name, run.err);
    cr_assert(g_str_has_prefix(run.err, "gpupool: "), "%s", run.err);
    cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "not one line: %s",
                 run.err);
    cr_assert_not_null(strstr(run.err, "held by "), "the refusal does not name the holders: %s",
                       run.err);
    /* The holders' list ends at the fix (and the pointer to 'gpupool
     * check DOMAIN' that names the refused domain follows). */
    held_by = g_strndup(strstr(run.err, "held by "), strcspn(strstr(run.err, "held by "), ";"));
    for (guint i = 1; i <= (one_holder ? 1 : holders); i++) {
        g_autofree char *holder = name_of(i);
        g_autofree char *word = g_strdup_printf("\\b%s\\b", holder);
        g_autoptr(GRegex) re = g_regex_new(word, 0, 0, NULL);

        cr_expect(g_regex_match(re, held_by, 0, NULL), "%s is not named: %s", holder, run.err);
    }
    {
        g_autofree char *me = g_strdup_printf("\\b%s\\b", name);
        g_autoptr(GRegex) re = g_regex_new(me, 0, 0, NULL);

        cr_expect_not(g_regex_match(re, held_by, 0, NULL),
                      "the refused domain is named among the holders: %s", run.err);
    }
    for (guint i = 0; i < G_N_ELEMENTS(raw); i++)
        cr_expect_null(strstr(run.err, raw[i]), "a raw error (%s): %s", raw[i], run.err);
    host_after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(host_after, host_before, "a refused start");
    state_after = gp_test_state_dump(sim);
    cr_assert_str_eq(state_after, state_before, "a refused start changed gpupool's files");
}

/* Every test runs the hook, whose detached rebalance is a stand-in here:
 * libvirt is not there to ask. */
static GpSim *
host(GpSim *(*fixture)(void))
{
    GpSim *sim = fixture();

    gp_test_fake_rebalance(sim, 0);
    return sim;
}

/* The fill-up and release of POOL of CAPACITY units whose DEVICES are
 * listed; UNIT(I) is the unit domain I reserves (new).  Domain
 * CAPACITY + 1 is refused once the pool is full (naming only vm1 when
 * the device it reserves is vm1's, ONE_HOLDER). */
static void
fill_and_release(GpSim *sim, const char *pool, const char *const *devices, guint capacity,
                 char *(*unit)(guint i, const char *pool), gboolean one_holder)
{
    g_autoptr(GPtrArray) xmls = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 1; i <= capacity + 1; i++) {
        g_autofree char *u = unit(i, pool);

        g_ptr_array_add(xmls, domain_xml(i, pool, u));
    }
    expect_views(sim, pool, devices, capacity, 0, (gint)capacity,
                 "nothing started");
    for (guint i = 1; i <= capacity; i++) {
        g_autofree char *step = g_strdup_printf("vm1..vm%u started", i);

        start(i, xmls->pdata[i - 1]);
        expect_views(sim, pool, devices, capacity, i, (gint)(capacity - i), step);
    }
    expect_refused_start(sim, capacity + 1, xmls->pdata[capacity], capacity, one_holder);
    expect_views(sim, pool, devices, capacity, capacity, 0, "a start refused in the full pool");
    for (guint i = capacity; i >= 1; i--) {
        g_autofree char *step = g_strdup_printf("vm%u..vm1 stopped", i);

        stop(i, xmls->pdata[i - 1]);
        expect_views(sim, pool, devices, capacity, i - 1, (gint)(capacity - i + 1),
                     step);
    }
}

/* ---- Each pool kind -------------------------------------------------------- */

TestSuite(views);

/* pci: the datacenter's two A100s; the third domain reserves vm1's. */
static char *
a100(guint i, const char *pool)
{
    return g_strdup(i == 2 ? GP_SIM_DC_GPU1 : GP_SIM_DC_GPU0);
}

Test(views, agree_on_a_pci_pool_through_fill_up_and_release)
{
    g_autoptr(GpSim) sim = host(gp_sim_fixture_datacenter);
    const char *const devices[] = { GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, NULL };
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0,
                                            GP_SIM_DC_GPU1, NULL);

    fill_and_release(sim, "gpus", devices, 2, a100, TRUE);
}

/* mdev: the T4 with nvidia-224 (4 GiB of 16) makes four; each domain has
 * its own mdev, made at start. */
Test(views, agree_on_an_mdev_pool_through_fill_up_and_release)
{
    g_autoptr(GpSim) sim = host(gp_sim_fixture_nvidia_mdev);
    const char *const devices[] = { GP_SIM_MDEV_GPU, NULL };
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "vgpu", "--type", "mdev",
                                               "--mdev-type", "nvidia-224", NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "vgpu", GP_SIM_MDEV_GPU, NULL);

    fill_and_release(sim, "vgpu", devices, 4, mdev_of, FALSE);
}

/* VF I (1-based) of the L40S: offset 4, stride 1. */
static char *
l40s_vf(guint i, const char *pool)
{
    guint devfn = 4 + i - 1;

    return g_strdup_printf("0000:c1:%02x.%x", devfn / 8, devfn % 8);
}

/* vf with a vendor profile: the L40S's 8Q profile fits 6 times in 48 GiB,
 * on 16 VFs: FREE 6 before, "6 held, 0 free" after six starts (not 16 and
 * 10).  The seventh domain reserves a VF that is free but has no room
 * behind it. */
Test(views, agree_on_a_vf_pool_with_a_vendor_profile_through_fill_up_and_release)
{
    g_autoptr(GpSim) sim = NULL;
    const char *const devices[] = { GP_SIM_SRIOV_GPU, NULL };
    g_autoptr(GpTestRun) create = NULL;
    g_autoptr(GpTestRun) add = NULL;
    g_autoptr(GpTestRun) profile = NULL;

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    sim = host(gp_sim_fixture_nvidia_sriov);
    create = gp_test_must(sim, "pool-create", "l40s", "--type", "vf", NULL);
    add = gp_test_must(sim, "pool-add", "l40s", GP_SIM_SRIOV_GPU, NULL);
    profile = gp_test_must(sim, "partition-set", GP_SIM_SRIOV_GPU, "--profile", "1158", NULL);
    fill_and_release(sim, "l40s", devices, 6, l40s_vf, FALSE);
}

/* VF I of the Flex 170 (offset 1); the fifth domain reserves vm1's. */
static char *
flex_vf(guint i, const char *pool)
{
    return g_strdup_printf("0000:4d:00.%u", i > 4 ? 1 : i);
}

/* vf without a vendor profile, right after pool-add: VFs enabled are not
 * partitions in use; in use is what domains hold. */
Test(views, agree_on_an_intel_vf_pool_from_pool_add_through_fill_up_and_release)
{
    g_autoptr(GpSim) sim = NULL;
    const char *const devices[] = { GP_SIM_INTEL_SRIOV_GPU, NULL };
    g_autoptr(GpTestRun) create = NULL;
    g_autoptr(GpTestRun) add = NULL;
    g_autofree char *text = NULL;

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    sim = host(gp_sim_fixture_intel_sriov);
    create = gp_test_must(sim, "pool-create", "flex", "--type", "vf", "--vf-count", "4", NULL);
    add = gp_test_must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU, NULL);
    text = output(sim, "partitions", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_expect(strstr(text, "current partition count: 4 of auto, 0 in use"), "%s", text);
    /* Four VFs, four domains; the fifth has no VF to reserve but one
     * another domain holds. */
    fill_and_release(sim, "flex", devices, 4, flex_vf, TRUE);
}

/* ---- assign refuses what prepare would refuse ------------------------------ */

#define DOMAIN "linux-seabios"

/* A libvirt test-driver node running the sample SeaBIOS domain
 * (linux-seabios); its URI (new).  The test driver keeps no state between
 * connections: each command starts from this definition. */
static char *
test_node(GpSim *sim)
{
    g_autofree char *path = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                             "q35-seabios.xml", NULL);
    g_autofree char *node = g_build_filename(gp_sim_base(sim), "node.xml", NULL);
    g_autofree char *text = NULL;
    g_autofree char *nodexml = NULL;
    g_autoptr(GRegex) re = g_regex_new("<domain type='(kvm|qemu)'>", 0, 0, NULL);
    g_autofree char *test = NULL;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    test = g_regex_replace_literal(re, text, -1, 0, "<domain type='test'>", 0, NULL);
    nodexml = g_strdup_printf("<node>\n%s</node>\n", test);
    cr_assert(g_file_set_contents(node, nodexml, -1, NULL));
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
    return g_strdup_printf("test://%s", node);
}

/* The sample domain's persistent definition as libvirt has it on CONN. */
static char *
definition(virConnectPtr conn)
{
    virDomainPtr dom = virDomainLookupByName(conn, DOMAIN);
    char *xml;
    char *copy;

    cr_assert_not_null(dom);
    xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    cr_assert_not_null(xml);
    copy = g_strdup(xml);
    free(xml);
    virDomainFree(dom);
    return copy;
}

/* `gpupool assign linux-seabios --pool POOL --count COUNT` is refused with
 * one line naming NEEDLE, exit 1, nothing changed on the host or in
 * gpupool's files, and the domain's definition is as it was (checked in
 * one connection, in which the test driver keeps it). */
static void
expect_assign_refused(GpSim *sim, const char *uri, const char *pool, guint count,
                      const char *needle)
{
    g_autofree char *count_s = g_strdup_printf("%u", count);
    g_autofree char *host_before = gp_sim_snapshot(sim);
    g_autofree char *state_before = gp_test_state_dump(sim);
    g_autofree char *host_after = NULL;
    g_autofree char *state_after = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autoptr(GpTestRun) r = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    virConnectPtr conn;

    r = gp_test_run(sim, "assign", DOMAIN, "--pool", pool, "--count", count_s, "--connect",
                    uri, NULL);
    cr_expect_eq(r->status, 1, "assign --pool %s --count %u: exit %d: %s%s", pool, count,
                 r->status, r->out, r->err);
    cr_expect_str_empty(r->out);
    cr_expect(g_str_has_prefix(r->err, "gpupool: error: "), "%s", r->err);
    cr_expect(g_str_has_suffix(r->err, "\n") && strchr(r->err, '\n')[1] == '\0',
              "not one line: %s", r->err);
    cr_expect(strstr(r->err, needle), "'%s' not in: %s", needle, r->err);
    host_after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(host_after, host_before, "a refused assign");
    state_after = gp_test_state_dump(sim);
    cr_expect_str_eq(state_after, state_before, "a refused assign changed gpupool's files");

    conn = virConnectOpen(uri);
    cr_assert_not_null(conn, "%s", uri);
    before = definition(conn);
    result = gp_assign_domain(conn, DOMAIN, pool, count, 0, NULL, &error);
    cr_expect_null(result, "assign --pool %s --count %u was accepted", pool, count);
    if (error)
        cr_expect(strstr(error->message, needle), "'%s' not in: %s", needle, error->message);
    after = definition(conn);
    cr_expect_str_eq(after, before, "a refused assign changed the domain's definition");
    virConnectClose(conn);
}

/* The same request with COUNT is accepted and changes the definition:
 * the refusals above are about the count, not about the domain. */
static void
expect_assign_accepted(const char *uri, const char *pool, guint count)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpAssignResult) result = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    virConnectPtr conn = virConnectOpen(uri);

    cr_assert_not_null(conn, "%s", uri);
    before = definition(conn);
    result = gp_assign_domain(conn, DOMAIN, pool, count, 0, NULL, &error);
    cr_assert_not_null(result, "assign --pool %s --count %u: %s", pool, count,
                       error ? error->message : "");
    cr_assert_eq(result->devices->len, count);
    after = definition(conn);
    cr_assert_str_neq(after, before);
    cr_assert(strstr(after, "gpupool:assignment"), "%s", after);
    virConnectClose(conn);
}

/* ---- Devices that break or vanish ------------------------------------------ */

/* TEXT (a view's output) says of DEVICE that it is quarantined, with the
 * reason starting with REASON. */
static void
expect_quarantine_shown(const char *text, const char *device, const char *reason,
                        const char *view)
{
    g_autofree char *line = g_strdup_printf("%s: quarantined: %s", device, reason);

    cr_expect_not_null(strstr(text, line), "%s does not say '%s':\n%s", view, line, text);
}

Test(views, a_device_that_breaks_or_vanishes_is_quarantined_in_every_view_and_the_pool_works_on)
{
    g_autoptr(GpSim) sim = host(gp_sim_fixture_datacenter);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    g_autoptr(GpTestRun) add = NULL;
    g_autofree char *vm1 = domain_xml(1, "gpus", GP_SIM_DC_GPU1);
    g_autofree char *vm2 = domain_xml(2, "gpus", GP_SIM_DC_GPU0);
    g_autofree char *info = NULL;
    g_autofree char *status = NULL;
    g_autofree char *status_xml = NULL;
    g_autofree char *devices = NULL;
    g_autofree char *list = NULL;
    g_auto(GpHookRun) refused = { 0 };
    g_autoptr(GpClaims) claims = NULL;

    /* pool-add warns about a device the kernel cannot reset, and adds it. */
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_DC_GPU1 "/reset_method", "\n"));
    add = gp_test_must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, NULL);
    cr_expect_not_null(strstr(add->err, "gpupool: warning: " GP_SIM_DC_GPU1 ": quarantined: "
                              "the kernel has no reset method"), "%s", add->err);
    cr_expect_null(strstr(add->err, GP_SIM_DC_GPU0), "%s", add->err);
    info = output(sim, "pool-info", "gpus", NULL);
    cr_expect_not_null(strstr(info, "Usage:        0 in use, 1 free, 1 quarantined\n"), "%s",
                       info);

    /* It vanishes from the bus instead (reset method back first). */
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_DC_GPU1 "/reset_method", "bus\n"));
    cr_assert(gp_sim_pci_remove(sim, GP_SIM_DC_GPU1));
    g_clear_pointer(&info, g_free);
    info = output(sim, "pool-info", "gpus", NULL);
    status = output(sim, "status", "--no-libvirt", NULL);
    status_xml = output(sim, "status", "--no-libvirt", "--xml", NULL);
    devices = output(sim, "devices", NULL);
    list = output(sim, "pool-list", NULL);
    cr_expect_not_null(strstr(info, "Usage:        0 in use, 1 free, 1 quarantined\n"), "%s",
                       info);
    expect_quarantine_shown(info, GP_SIM_DC_GPU1, "gone from the PCI bus: bring it back with "
                            "'echo 1 > /sys/bus/pci/rescan'", "pool-info");
    cr_expect_not_null(strstr(status, "Pool gpus (pci): 1 device(s), 0 held, 1 free, 1 "
                              "quarantined\n"), "%s", status);
    cr_expect_not_null(strstr(status, "  " GP_SIM_DC_GPU1 " "), "%s", status);
    expect_quarantine_shown(status, GP_SIM_DC_GPU1, "gone from the PCI bus", "status");
    cr_expect_not_null(strstr(status_xml, "id=\"" GP_SIM_DC_GPU1 "\" state=\"quarantined\" "
                              "quarantine=\"quarantined: gone from the PCI bus"), "%s",
                       status_xml);
    cr_expect_not_null(strstr(devices, GP_SIM_DC_GPU1 "  (not on the PCI bus)\n  status:      "
                              "quarantined\n  reason:      quarantined: gone"), "%s", devices);
    cr_expect(g_regex_match_simple("^gpus +pci +1 +0 +1 ", list, G_REGEX_MULTILINE, 0),
              "pool-list counts what can be given: %s", list);

    /* vm1 reserved the gone device: refused in one line with the reason;
     * it is being re-pointed to the free one. */
    gp_test_run_hook(&refused, "vm1", "prepare", "begin", vm1);
    cr_assert_eq(refused.status, 1, "%s", refused.err);
    cr_expect(g_str_has_prefix(refused.err, "gpupool: vm1: " GP_SIM_DC_GPU1 " of pool 'gpus' "
                               "is quarantined: gone from the PCI bus"), "%s", refused.err);
    cr_expect_not_null(strstr(refused.err, "vm1 is being re-pointed to a free device of pool "
                              "'gpus': start it again in a moment\n"), "%s", refused.err);
    cr_expect_eq(strchr(refused.err, '\n'), refused.err + strlen(refused.err) - 1, "%s",
                 refused.err);
    cr_expect_eq(gp_test_claim_count(), 0);

    /* The rest of the pool works: vm2 gets GPU0. */
    start(2, vm2);
    /* Then GPU0 vanishes while vm2 holds it: who holds it is kept. */
    cr_assert(gp_sim_pci_remove(sim, GP_SIM_DC_GPU0));
    claims = gp_test_load_claims();
    cr_expect_str_eq(gp_claims_find(claims, GP_SIM_DC_GPU0)->domain_name, "vm2");
    g_clear_pointer(&status, g_free);
    status = output(sim, "status", "--no-libvirt", NULL);
    cr_expect_not_null(strstr(status, "Pool gpus (pci): 1 device(s), 1 held, 0 free, 2 "
                              "quarantined\n"), "%s", status);
    cr_expect(g_regex_match_simple("^  " GP_SIM_DC_GPU0 " +held +vm2 ", status,
                                   G_REGEX_MULTILINE, 0), "%s", status);
    expect_quarantine_shown(status, GP_SIM_DC_GPU0, "gone from the PCI bus", "status");
    g_clear_pointer(&info, g_free);
    info = output(sim, "pool-info", "gpus", NULL);
    cr_expect(g_regex_match_simple("^" GP_SIM_DC_GPU0 " .* in use, quarantined +vm2 ", info,
                                   G_REGEX_MULTILINE, 0), "%s", info);
    /* Its release gives the claim back, device or not. */
    stop(2, vm2);
    cr_expect_eq(gp_test_claim_count(), 0);

    /* A rescan brings both back on their host driver: no longer
     * quarantined, waiting for 'gpupool setup'. */
    cr_assert(gp_sim_pci_rescan(sim));
    g_clear_pointer(&info, g_free);
    info = output(sim, "pool-info", "gpus", NULL);
    cr_expect_null(strstr(info, "quarantined"), "%s", info);
    cr_expect_not_null(strstr(info, "Usage:        0 in use, 0 free\n"), "%s", info);
    cr_expect_not_null(strstr(info, "not on vfio-pci: run 'gpupool setup'"), "%s", info);
}

Test(views, a_device_whose_config_reads_all_ones_is_quarantined_and_devices_says_so)
{
    g_autoptr(GpSim) sim = host(gp_sim_fixture_datacenter);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0,
                                            GP_SIM_DC_GPU1, NULL);
    g_autofree char *devices = NULL;
    g_autofree char *devices_xml = NULL;

    cr_expect_null(strstr(add->err, "warning"), "%s", add->err);
    cr_assert(gp_sim_pci_set_dead(sim, GP_SIM_DC_GPU0));
    devices = output(sim, "devices", GP_SIM_DC_GPU0, NULL);
    devices_xml = output(sim, "devices", "--xml", NULL);
    cr_expect_not_null(strstr(devices, "  status:      quarantined\n  reason:      quarantined: "
                              "its config space reads all-ones"), "%s", devices);
    cr_expect(g_regex_match_simple("<device address=\"" GP_SIM_DC_GPU0 "\" status=\"quarantined\"",
                                   devices_xml, 0, 0), "%s", devices_xml);
    cr_expect(g_regex_match_simple("<device address=\"" GP_SIM_DC_GPU1 "\" status=\"ready\"",
                                   devices_xml, 0, 0), "%s", devices_xml);
    expect_views(sim, "gpus", (const char *const[]){ GP_SIM_DC_GPU1, NULL }, 1, 0, 1,
                 "one of two quarantined");
}

/* A PF of a vf pool breaks, then vanishes: its VFs are never handed out,
 * every view shows it quarantined with the reason and the fix and counts
 * none of its VFs free, the hook refuses a domain that reserved one of its
 * VFs, and the other PF's VFs keep being handed out. */
Test(views, a_pf_that_breaks_or_vanishes_is_quarantined_and_the_vf_pool_works_on)
{
    g_autoptr(GpSim) sim = NULL;
    g_autoptr(GpTestRun) create = NULL;
    g_autoptr(GpTestRun) add = NULL;
    g_autofree char *vm1 = domain_xml(1, "flex", "0000:4d:00.1");
    g_autofree char *vm2 = domain_xml(2, "flex", "0000:4e:00.1");
    g_autofree char *info = NULL;
    g_autofree char *status = NULL;
    g_autofree char *devices = NULL;
    g_autofree char *gone = NULL;
    g_auto(GpHookRun) refused = { 0 };

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    sim = host(gp_sim_fixture_intel_sriov_pair);
    create = gp_test_must(sim, "pool-create", "flex", "--type", "vf", "--vf-count", "2", NULL);
    add = gp_test_must(sim, "pool-add", "flex", GP_SIM_INTEL_SRIOV_GPU,
                       GP_SIM_INTEL_SRIOV_GPU2, NULL);
    /* A PF without a reset method of its own is no reason: VFs are reset
     * by their own FLR. */
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/reset_method",
                           "\n"));
    info = output(sim, "pool-info", "flex", NULL);
    cr_expect_not_null(strstr(info, "Usage:        0 in use, 4 free\n"), "%s", info);

    cr_assert(gp_sim_pci_set_dead(sim, GP_SIM_INTEL_SRIOV_GPU));
    g_clear_pointer(&info, g_free);
    info = output(sim, "pool-info", "flex", NULL);
    status = output(sim, "status", "--no-libvirt", NULL);
    devices = output(sim, "devices", GP_SIM_INTEL_SRIOV_GPU, NULL);
    cr_expect_not_null(strstr(info, "Usage:        0 in use, 2 free, 1 quarantined\n"), "%s",
                       info);
    expect_quarantine_shown(info, GP_SIM_INTEL_SRIOV_GPU, "its config space reads all-ones",
                            "pool-info");
    cr_expect_not_null(strstr(status, "Pool flex (vf): 2 device(s), 0 held, 2 free, 1 "
                              "quarantined\n"), "%s", status);
    expect_quarantine_shown(status, GP_SIM_INTEL_SRIOV_GPU, "its config space reads all-ones",
                            "status");
    cr_expect_not_null(strstr(devices, "  status:      quarantined\n  reason:      quarantined: "
                              "its config space reads all-ones"), "%s", devices);
    expect_views(sim, "flex", (const char *const[]){ GP_SIM_INTEL_SRIOV_GPU2, NULL }, 2, 0, 2,
                 "one PF of two quarantined");

    /* vm1 reserved a VF of the broken PF: refused in one line with the
     * reason; the other PF's VFs are free for the rebalance. */
    gp_test_run_hook(&refused, "vm1", "prepare", "begin", vm1);
    cr_assert_eq(refused.status, 1, "%s", refused.err);
    cr_expect(g_str_has_prefix(refused.err, "gpupool: vm1: 0000:4d:00.1 of pool 'flex' is on "
                               GP_SIM_INTEL_SRIOV_GPU ", which is quarantined: its config "
                               "space reads all-ones"), "%s", refused.err);
    cr_expect_not_null(strstr(refused.err, "vm1 is being re-pointed to a free device of pool "
                              "'flex': start it again in a moment\n"), "%s", refused.err);
    cr_expect_eq(strchr(refused.err, '\n'), refused.err + strlen(refused.err) - 1, "%s",
                 refused.err);
    cr_expect_eq(gp_test_claim_count(), 0);
    start(2, vm2);
    stop(2, vm2);

    /* The PF vanishes: the kernel takes its VFs along (its driver turns
     * SR-IOV off), as here by hand. */
    cr_assert(gp_sim_write(sim, "bus/pci/devices/" GP_SIM_INTEL_SRIOV_GPU "/sriov_numvfs", "0"));
    cr_assert(gp_sim_pci_remove(sim, GP_SIM_INTEL_SRIOV_GPU));
    gone = output(sim, "pool-info", "flex", NULL);
    cr_expect_not_null(strstr(gone, "Usage:        0 in use, 2 free, 1 quarantined\n"), "%s",
                       gone);
    expect_quarantine_shown(gone, GP_SIM_INTEL_SRIOV_GPU, "gone from the PCI bus: bring it "
                            "back with 'echo 1 > /sys/bus/pci/rescan'", "pool-info");
    cr_expect_null(strstr(gone, "missing from this host"), "%s", gone);
}

/* A PCI parent of an mdev pool breaks, then vanishes: no mdev is made on
 * it, every view shows it quarantined and counts nothing of it free, and
 * domains get their mdev on the other parent. */
Test(views, an_mdev_parent_that_breaks_or_vanishes_is_quarantined_and_the_pool_works_on)
{
    g_autoptr(GpSim) sim = host(gp_sim_fixture_nvidia_mdev_pair);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "vgpu", "--type", "mdev",
                                               "--mdev-type", "nvidia-224", NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "vgpu", GP_SIM_MDEV_GPU,
                                            GP_SIM_MDEV_GPU2, NULL);
    g_autofree char *mdev1 = mdev_of(1, "vgpu");
    g_autofree char *vm1 = domain_xml(1, "vgpu", mdev1);
    g_autofree char *info = NULL;
    g_autofree char *status = NULL;
    g_autofree char *gone = NULL;
    g_autoptr(GpClaims) claims = NULL;
    const GpClaim *claim;

    cr_assert(gp_sim_pci_set_dead(sim, GP_SIM_MDEV_GPU));
    info = output(sim, "pool-info", "vgpu", NULL);
    status = output(sim, "status", "--no-libvirt", NULL);
    cr_expect_not_null(strstr(info, "Usage:        0 in use, 4 free, 1 quarantined\n"), "%s",
                       info);
    expect_quarantine_shown(info, GP_SIM_MDEV_GPU, "its config space reads all-ones",
                            "pool-info");
    expect_quarantine_shown(status, GP_SIM_MDEV_GPU, "its config space reads all-ones",
                            "status");
    expect_views(sim, "vgpu", (const char *const[]){ GP_SIM_MDEV_GPU2, NULL }, 4, 0, 4,
                 "one parent of two quarantined");

    /* vm1's mdev is made on the healthy parent, not on the first. */
    start(1, vm1);
    claims = gp_test_load_claims();
    claim = gp_claims_find(claims, mdev1);
    cr_assert_not_null(claim);
    cr_expect_str_eq(claim->parent, GP_SIM_MDEV_GPU2);
    stop(1, vm1);

    /* The parent vanishes. */
    cr_assert(gp_sim_pci_remove(sim, GP_SIM_MDEV_GPU));
    gone = output(sim, "pool-info", "vgpu", NULL);
    cr_expect_not_null(strstr(gone, "Usage:        0 in use, 4 free, 1 quarantined\n"), "%s",
                       gone);
    expect_quarantine_shown(gone, GP_SIM_MDEV_GPU, "gone from the PCI bus", "pool-info");
    cr_expect_null(strstr(gone, "missing from this host"), "%s", gone);
}

Test(views, assign_refuses_an_mdev_pool_without_a_type)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *uri = test_node(sim);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "notype", "--type", "mdev",
                                               NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "notype", GP_SIM_MDEV_GPU, NULL);

    expect_assign_refused(sim, uri, "notype", 1, "mdev pool 'notype' has no mdev type");
}

Test(views, assign_refuses_more_partitions_than_one_domain_may_hold)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *uri = test_node(sim);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "vgpu", "--type", "mdev",
                                               "--mdev-type", "nvidia-224", NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "vgpu", GP_SIM_MDEV_GPU, NULL);

    expect_assign_refused(sim, uri, "vgpu", 2, DOMAIN " asks for more than 1 partition of "
                          "pool 'vgpu'");
    expect_assign_accepted(uri, "vgpu", 1);
}

Test(views, assign_refuses_more_devices_than_a_pci_pool_has)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_datacenter();
    g_autofree char *uri = test_node(sim);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "gpus", "--type", "pci",
                                               NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "gpus", GP_SIM_DC_GPU0,
                                            GP_SIM_DC_GPU1, NULL);

    expect_assign_refused(sim, uri, "gpus", 3, "pool 'gpus' has 2 device(s) to hand out");
    expect_assign_accepted(uri, "gpus", 2);
}

Test(views, assign_refuses_more_partitions_than_an_mdev_pool_can_make)
{
    g_autoptr(GpSim) sim = gp_sim_fixture_nvidia_mdev();
    g_autofree char *uri = test_node(sim);
    g_autoptr(GpTestRun) create = gp_test_must(sim, "pool-create", "vgpu", "--type", "mdev",
                                               "--mdev-type", "nvidia-224", NULL);
    g_autoptr(GpTestRun) add = gp_test_must(sim, "pool-add", "vgpu", GP_SIM_MDEV_GPU, NULL);
    g_autoptr(GpTestRun) per = gp_test_must(sim, "partition-set", GP_SIM_MDEV_GPU,
                                            "--per-domain", "8", NULL);

    expect_assign_refused(sim, uri, "vgpu", 5, "pool 'vgpu' has 4 device(s) to hand out");
    expect_assign_accepted(uri, "vgpu", 4);
}

/* 16 VFs, but room for 6 partitions of the profile. */
Test(views, assign_refuses_more_partitions_than_fit_a_vendor_profile)
{
    g_autoptr(GpSim) sim = NULL;
    g_autofree char *uri = NULL;
    g_autoptr(GpTestRun) create = NULL;
    g_autoptr(GpTestRun) add = NULL;
    g_autoptr(GpTestRun) profile = NULL;

    g_setenv("GPUPOOL_PLUGINDIR", GP_TEST_PLUGINDIR, TRUE);
    sim = gp_sim_fixture_nvidia_sriov();
    uri = test_node(sim);
    create = gp_test_must(sim, "pool-create", "l40s", "--type", "vf", NULL);
    add = gp_test_must(sim, "pool-add", "l40s", GP_SIM_SRIOV_GPU, NULL);
    profile = gp_test_must(sim, "partition-set", GP_SIM_SRIOV_GPU, "--profile", "1158",
                           "--per-domain", "16", NULL);
    expect_assign_refused(sim, uri, "l40s", 7, "pool 'l40s' has 6 device(s) to hand out");
    expect_assign_accepted(uri, "l40s", 6);
}
