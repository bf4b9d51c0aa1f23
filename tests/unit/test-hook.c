/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt hook as libvirt runs it (hooks/gpupool-hook, the gate, and
 * the domain part it loads), with the domain XML on stdin, on
 * the simulated hook host (pool-fixtures.h). */
#include "config.h"

#include <criterion/criterion.h>
#include <glib/gstdio.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "state/claims.h"
#include "state/domain.h"
#include "state/domxml.h"
#include "ops/lifecycle.h"
#include "ops/rebalance.h"
#include "cli-runner.h"
#include "hook-runner.h"
#include "pool-fixtures.h"

#define UUID_A "11111111-1111-4111-8111-111111111111"
#define UUID_B "22222222-2222-4222-8222-222222222222"
#define UUID_C "33333333-3333-4333-8333-333333333333"
#define DOM1 "0f0e0d0c-0b0a-4908-8706-050403020100"

#define GPU0 GP_HOOK_HOST_GPU0
#define GPU1 GP_HOOK_HOST_GPU1
#define GPU2 GP_HOOK_HOST_GPU2
#define AUDIO0 GP_HOOK_HOST_AUDIO0
#define OTHER GP_HOOK_HOST_OTHER   /* on the host, in no pool */

static GpSim *sim;

static void
setup_host(void)
{
    sim = gp_test_hook_host();
}

static void
teardown_host(void)
{
    g_clear_pointer(&sim, gp_sim_free);
}

TestSuite(hook, .init = setup_host, .fini = teardown_host);

/* ---- helpers ------------------------------------------------------------ */

static const char *
holder(GpClaims *claims, const char *device)
{
    const GpClaim *c = gp_claims_find(claims, device);

    return c ? c->domain_name : NULL;
}

/* A domain NAME/UUID with gpupool devices at the PCI addresses in ADDRS
 * (NULL-terminated; bus numbers only), as libvirt hands it to hooks. */
static char *
domain_xml(const char *name, const char *uuid, const char *const *addrs)
{
    g_autoptr(GString) meta = g_string_new(NULL);
    g_autoptr(GString) hostdevs = g_string_new(NULL);
    guint n = 0;

    for (; addrs && addrs[n]; n++) {
        guint bus = 0;

        cr_assert_eq(sscanf(addrs[n], "0000:%x:00.0", &bus), 1);
        g_string_append_printf(meta, "<gpupool:device alias='ua-gpupool-%u' pool='gpus' "
                               "address='%s'/>", n, addrs[n]);
        g_string_append_printf(hostdevs, "<hostdev mode='subsystem' type='pci' managed='no'>"
                               "<source><address domain='0x0000' bus='0x%02x' slot='0x00' "
                               "function='0x0'/></source><alias name='ua-gpupool-%u'/>"
                               "</hostdev>\n", bus, n);
    }
    if (n > 0) {
        g_string_prepend(meta, "  <metadata>\n    <gpupool:assignment "
                         "xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>");
        g_string_append_printf(meta, "<gpupool:request pool='gpus' count='%u'/>", n);
        g_string_append(meta, "</gpupool:assignment>\n  </metadata>\n");
    }
    return g_strdup_printf(
        "<domain type='qemu'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
        "  <memory unit='KiB'>65536</memory>\n%s"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n%s"
        "  </devices>\n</domain>\n",
        name, uuid, meta->str, hostdevs->str);
}

static guint
dir_entries(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

/* ---- the hook binary, run as libvirt runs it ---------------------------- */

Test(hook, binary_exits_at_once_for_a_domain_without_request_and_leaves_no_state)
{
    g_autofree char *xml = domain_xml("plain", UUID_A, NULL);
    const char *ops[][2] = { { "prepare", "begin" }, { "release", "end" },
                             { "reconnect", "begin" }, { "migrate", "begin" },
                             { "restore", "begin" } };

    gp_test_fake_rebalance(sim, 0);
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_auto(GpHookRun) run = { 0 };

        gp_test_run_hook(&run, "plain", ops[i][0], ops[i][1], xml);
        cr_expect_eq(run.status, 0, "%s %s: %s", ops[i][0], ops[i][1], run.err);
        cr_expect_str_empty(run.out, "no replacement XML for a plain domain");
        cr_expect_str_empty(run.err);
    }
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0, "no lock, no claims, no flag");
}

Test(hook, binary_ignores_operations_it_does_not_handle_without_reading_stdin)
{
    const char *ops[][2] = { { "start", "begin" }, { "started", "begin" },
                             { "stopped", "end" }, { "prepare", "end" }, { "attach", "begin" } };

    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_auto(GpHookRun) run = { 0 };

        /* stdin stays open and empty: a hook that read it would hang. */
        gp_test_run_hook(&run, "vm1", ops[i][0], ops[i][1], NULL);
        cr_expect_eq(run.status, 0, "%s %s", ops[i][0], ops[i][1]);
        cr_expect_lt(run.seconds, 2.0);
    }
}

Test(hook, binary_claim_then_conflicting_claim_by_another_domain_fails_with_one_line)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, devs);
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_autoptr(GpClaims) claims = NULL;
    g_auto(GpHookRun) first = { 0 };
    g_auto(GpHookRun) second = { 0 };
    g_auto(GpHookRun) release = { 0 };
    g_auto(GpHookRun) again = { 0 };

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&first, "vm2", "prepare", "begin", vm2);
    cr_assert_eq(first.status, 0, "%s", first.err);
    cr_expect_str_empty(first.err);

    gp_test_run_hook(&second, "vm1", "prepare", "begin", vm1);
    cr_expect_eq(second.status, 1);
    /* NVIDIA is not free: it needs 'gpupool setup' first.  The hook
     * starts the rebalance that re-points vm1, and says so. */
    cr_expect_str_eq(second.err, "gpupool: " GPU0 " of pool 'gpus' is held by domain 'vm2'; "
                     "free: " GPU1 ", " GPU2 "; vm1 is being re-pointed to a free device of "
                     "pool 'gpus': start it again in a moment\n");
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 1);
    cr_expect_str_eq(holder(claims, GPU0), "vm2");

    gp_test_run_hook(&release, "vm2", "release", "end", vm2);
    cr_expect_eq(release.status, 0, "%s", release.err);
    g_clear_pointer(&claims, gp_claims_free);
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 0, "release gives the device back");

    gp_test_run_hook(&again, "vm1", "prepare", "begin", vm1);
    cr_expect_eq(again.status, 0, "%s", again.err);
}

Test(hook, binary_release_of_a_domain_holding_nothing_succeeds)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_auto(GpHookRun) run = { 0 };

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&run, "vm1", "release", "end", vm1);
    cr_expect_eq(run.status, 0, "%s", run.err);
    cr_expect_str_empty(run.err);
}

/* Lines of STATEDIR/rebalance-ran once it has WANT "end" lines (waits up
 * to 10 s). */
static gchar **
rebalance_log(guint want)
{
    g_autofree char *ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);

    for (int i = 0; i < 100; i++) {
        g_autofree char *text = NULL;
        guint ends = 0;

        if (g_file_get_contents(ran, &text, NULL, NULL)) {
            for (const char *p = strstr(text, " end "); p; p = strstr(p + 1, " end "))
                ends++;
            if (ends >= want)
                return g_strsplit(g_strstrip(text), "\n", -1);
        }
        g_usleep(100 * 1000);
    }
    return g_new0(gchar *, 1);
}

Test(hook, binary_starts_rebalance_detached_so_libvirt_is_not_kept_waiting)
{
    const char *const devs[] = { GPU1, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_autofree char *ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);
    g_auto(GStrv) log = NULL;
    g_auto(GpHookRun) run = { 0 };

    gp_test_fake_rebalance(sim, 3);
    gp_test_run_hook(&run, "vm1", "prepare", "begin", vm1);
    cr_assert_eq(run.status, 0, "%s", run.err);
    /* stdout and stderr were closed long before the rebalance finished. */
    cr_expect_lt(run.seconds, 1.5);
    log = rebalance_log(1);
    cr_assert_eq(g_strv_length(log), 2, "the rebalance never ran to its end");
    cr_expect(g_str_has_prefix(log[0], "rebalance begin "), "%s", log[0]);
    cr_expect(g_str_has_suffix(log[0], " cleared"), "the flag is cleared before it begins: %s", log[0]);
}

Test(hook, binary_change_during_a_running_rebalance_gets_one_more_rebalance_after_it)
{
    const char *const d0[] = { GPU0, NULL };
    const char *const d1[] = { GPU1, NULL };
    const char *const d2[] = { GPU2, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, d0);
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, d1);
    g_autofree char *vm3 = domain_xml("vm3", UUID_C, d2);
    g_auto(GStrv) log = NULL;
    g_auto(GpHookRun) a = { 0 };
    g_auto(GpHookRun) b = { 0 };
    g_auto(GpHookRun) c = { 0 };
    guint64 end1 = 0, begin2 = 0;

    gp_test_fake_rebalance(sim, 2);
    gp_test_run_hook(&a, "vm1", "prepare", "begin", vm1);
    g_usleep(700 * 1000);  /* the first rebalance is running now */
    gp_test_run_hook(&b, "vm2", "prepare", "begin", vm2);
    gp_test_run_hook(&c, "vm3", "prepare", "begin", vm3);
    cr_assert(a.status == 0 && b.status == 0 && c.status == 0);
    log = rebalance_log(2);
    g_usleep(2500 * 1000);  /* a third would have begun by now */
    g_strfreev(log);
    log = rebalance_log(2);
    cr_assert_eq(g_strv_length(log), 4, "two rebalances, one after the other");
    cr_expect(sscanf(log[1], "rebalance end %" G_GUINT64_FORMAT, &end1) == 1, "%s", log[1]);
    cr_expect(sscanf(log[2], "rebalance begin %" G_GUINT64_FORMAT, &begin2) == 1, "%s", log[2]);
    cr_expect_geq(begin2, end1, "the second began after the first ended");
}

Test(hook, binary_burst_of_changes_starts_one_rebalance)
{
    const char *const d0[] = { GPU0, NULL };
    const char *const d1[] = { GPU1, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, d0);
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, d1);
    g_autofree char *flag = gp_paths_rebalance_pending();
    g_autofree char *ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);
    g_autofree char *ran_text = NULL;
    g_auto(GpHookRun) a = { 0 };
    g_auto(GpHookRun) b = { 0 };
    g_auto(GpHookRun) c = { 0 };

    /* A rebalance is pending (started, not yet begun): the burst joins it. */
    cr_assert(gp_rebalance_mark(60));
    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&a, "vm1", "prepare", "begin", vm1);
    gp_test_run_hook(&b, "vm2", "prepare", "begin", vm2);
    gp_test_run_hook(&c, "vm1", "release", "end", vm1);
    cr_assert(a.status == 0 && b.status == 0 && c.status == 0);
    g_usleep(500 * 1000);
    cr_expect_not(g_file_test(ran, G_FILE_TEST_EXISTS), "no second rebalance while one is pending");
    cr_expect(g_file_test(flag, G_FILE_TEST_EXISTS));
}

Test(hook, binary_refuses_to_start_a_domain_with_malformed_metadata)
{
    const char *xml =
        "<domain type='qemu'><name>vm1</name><uuid>" UUID_A "</uuid><metadata>"
        "<gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        "<gpupool:request pool='../../etc' count='1'/></gpupool:assignment></metadata>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices/></domain>";
    g_auto(GpHookRun) run = { 0 };

    gp_test_run_hook(&run, "vm1", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: "), "%s", run.err);
    cr_expect_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "one line: %s", run.err);
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0, "%s", run.err);
}

Test(hook, binary_refuses_to_restore_a_pool_domain_from_a_saved_image)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_auto(GpHookRun) run = { 0 };

    gp_test_run_hook(&run, "vm1", "restore", "begin", vm1);
    cr_expect_eq(run.status, 1);
    cr_expect_str_empty(run.out);
    cr_expect(NULL != strstr(run.err, "never restored from a saved image"), "%s", run.err);
    cr_expect(NULL != strstr(run.err, "virsh managedsave-remove vm1"), "%s", run.err);
}

/* Whole devices never arrive with a running guest: the destination
 * refuses at once (tests/unit/test-migrate.c re-points partitions). */
Test(hook, binary_migrate_refuses_a_domain_with_whole_devices_in_one_line)
{
    const char *const held[] = { GPU0, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, held);
    g_auto(GpHookRun) run = { 0 };

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&run, "vm1", "migrate", "begin", vm1);
    cr_expect_eq(run.status, 1);
    cr_expect_str_eq(run.err, "gpupool: vm1: pool gpus hands out whole devices; stop the domain "
                              "and start it on the destination, or let the cluster restart it\n");
    cr_expect_str_eq(run.out, "");
}

/* Over the 16 MiB bound, mentioning the namespace only at the end, with
 * HEAD at its start (NULL: "<domain>"). */
static char *
huge_xml(const char *head)
{
    gsize size = 17 * 1024 * 1024;
    char *xml = g_malloc(size + 1);
    const char *tail = "<!-- http://gpupool.org/xmlns/domain/1.0 --></domain>";

    if (!head)
        head = "<domain>";
    memset(xml, ' ', size);
    memcpy(xml, head, strlen(head));
    memcpy(xml + size - strlen(tail), tail, strlen(tail));
    xml[size] = '\0';
    return xml;
}

Test(hook, binary_refuses_oversized_domain_xml_at_prepare)
{
    g_autofree char *xml = huge_xml(NULL);
    g_auto(GpHookRun) prepare = { 0 };
    g_auto(GStrv) lines = NULL;
    int log = gp_test_syslog_listen(sim);

    gp_test_run_hook(&prepare, "huge", "prepare", "begin", xml);
    cr_expect_eq(prepare.status, 1);
    cr_expect(NULL != strstr(prepare.err, "huge: cannot read the domain XML (over 16 MiB"),
              "%s", prepare.err);
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0);
    /* The gate refused before any XML was read: the log has its name. */
    lines = gp_test_syslog_lines(log, 1);
    cr_assert_eq(g_strv_length(lines), 1);
    cr_expect(g_str_has_prefix(lines[0], "<27>"), "%s", lines[0]);
    cr_expect(strstr(lines[0], " gpupool[") && strstr(lines[0], "]: huge (uuid unknown): start "
                                                     "refused: cannot read the domain XML (over "
                                                     "16 MiB"), "%s", lines[0]);
    gp_test_syslog_close(sim, log);
}

/* A domain whose live XML grew past the bound while it ran still gives
 * its devices back when it stops: libvirt names it, and its UUID is at
 * the head of the XML; the rebalance follows as after any release. */
Test(hook, binary_release_of_oversized_domain_xml_drops_its_claims_by_name_and_uuid)
{
    const char *const devs[] = { GPU1, NULL };
    g_autofree char *small = domain_xml("vm1", UUID_A, devs);
    g_autofree char *xml = huge_xml("<domain type='kvm' id='7'>\n  <name>vm1</name>\n  <uuid>"
                                    UUID_A "</uuid>\n");
    g_autofree char *no_uuid = huge_xml(NULL);
    g_autofree char *ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);
    g_auto(GpHookRun) prepare = { 0 };
    g_auto(GpHookRun) release = { 0 };
    g_auto(GpHookRun) unknown = { 0 };

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&prepare, "vm1", "prepare", "begin", small);
    cr_assert_eq(prepare.status, 0, "%s", prepare.err);
    cr_assert_eq(gp_test_claim_count(), 1);
    for (int i = 0; i < 50 && g_file_test(ran, G_FILE_TEST_EXISTS); i++)
        g_usleep(20 * 1000);
    g_unlink(ran);

    gp_test_run_hook(&release, "vm1", "release", "end", xml);
    cr_expect_eq(release.status, 0, "%s", release.err);
    cr_expect_str_empty(release.err);
    cr_expect_eq(gp_test_claim_count(), 0, "the claim stayed");
    for (int i = 0; i < 50 && !g_file_test(ran, G_FILE_TEST_EXISTS); i++)
        g_usleep(100 * 1000);
    cr_expect(g_file_test(ran, G_FILE_TEST_EXISTS), "no rebalance was started");

    /* Without a UUID to go by, the rebalance finds it stopped. */
    gp_test_run_hook(&unknown, "huge", "release", "end", no_uuid);
    cr_expect_eq(unknown.status, 0, "%s", unknown.err);
    cr_expect(g_str_has_prefix(unknown.err, "gpupool: warning: huge: its domain XML is over "
                                            "16 MiB and has no <uuid> at its head"),
              "%s", unknown.err);
}

/* ---- domains that pass host devices through without gpupool ------------ */

/* A domain without gpupool metadata whose <devices> hold DEVICES as
 * libvirt formats them. */
static char *
plain_xml(const char *name, const char *uuid, const char *devices)
{
    return g_strdup_printf(
        "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
        "  <memory unit='KiB'>65536</memory>\n"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n%s"
        "  </devices>\n</domain>\n", name, uuid, devices);
}

#define PCI_HOSTDEV(bus, fn) \
    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n" \
    "        <address domain='0x0000' bus='" bus "' slot='0x00' function='" fn "'/>\n" \
    "      </source>\n    </hostdev>\n"

Test(hook, binary_refuses_a_plain_domain_whose_hostdev_names_a_pool_device)
{
    g_autofree char *xml = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x41", "0x0"));
    g_autofree char *before = gp_sim_snapshot(sim);
    g_autofree char *after = NULL;
    g_auto(GpHookRun) run = { 0 };

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect_str_eq(run.err, "gpupool: vm9: its own <hostdev> of " GPU0 " passes through a "
                     "device of pool 'gpus', which only gpupool hands out: remove that "
                     "<hostdev> from the definition ('virsh edit vm9'), then give it devices "
                     "of the pool with 'gpupool assign vm9 --pool gpus'\n");
    cr_expect_str_empty(run.out);
    after = gp_sim_snapshot(sim);
    cr_expect_str_eq(after, before, "the host was touched");
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0, "no lock, no claims, no rebalance");
}

Test(hook, binary_refuses_a_plain_domain_that_takes_a_pool_devices_companion)
{
    g_autofree char *xml = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x41", "0x1"));
    g_auto(GpHookRun) run = { 0 };

    gp_test_run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: vm9: its own <hostdev> of " AUDIO0 " passes through a "
                              "device of pool 'gpus'"),
              "%s", run.err);
}

Test(hook, binary_refuses_a_pool_vf_given_as_a_hostdev_interface)
{
    /* An <interface type='hostdev'> passes a PCI device through as well. */
    g_autofree char *xml = plain_xml(
        "vm9", UUID_C,
        "    <interface type='hostdev' managed='yes'>\n      <source>\n"
        "        <address type='pci' domain='0x0000' bus='0x43' slot='0x00' function='0x0'/>\n"
        "      </source>\n    </interface>\n");
    g_auto(GpHookRun) run = { 0 };

    gp_test_run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: vm9: its own <interface type='hostdev'> of " GPU2
                              " passes through a device of pool 'gpus'"),
              "%s", run.err);
}

Test(hook, binary_refuses_a_hostdev_interface_spelled_with_a_character_reference)
{
    /* The parser reads type='host&#100;ev' as type='hostdev': the gate
     * must not let it pass unchecked for lack of the word. */
    g_autofree char *xml = plain_xml(
        "vm9", UUID_C,
        "    <interface type='host&#100;ev' managed='yes'>\n      <source>\n"
        "        <address type='pci' domain='0x0000' bus='0x43' slot='0x00' function='0x0'/>\n"
        "      </source>\n    </interface>\n");
    g_auto(GpHookRun) run = { 0 };

    cr_assert_null(strstr(xml, "hostdev"));
    gp_test_run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: vm9: its own <interface type='hostdev'> of "
                                        GPU2 " passes through a device of pool 'gpus'"),
              "%s", run.err);
}

Test(hook, binary_refuses_a_pool_domain_with_an_extra_hostdev_of_the_pool)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *assigned = domain_xml("vm1", UUID_A, devs);
    g_autoptr(GString) xml = g_string_new(assigned);
    g_autoptr(GpClaims) claims = NULL;
    g_auto(GpHookRun) run = { 0 };

    /* A hand-added <hostdev> next to the one gpupool gave it. */
    g_string_replace(xml, "  </devices>", PCI_HOSTDEV("0x42", "0x0") "  </devices>", 1);
    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&run, "vm1", "prepare", "begin", xml->str);
    cr_expect_eq(run.status, 1);
    /* The way out is to remove the <hostdev>: assign is done already. */
    cr_expect_str_eq(run.err, "gpupool: vm1: its own <hostdev> of " GPU1 " passes through a "
                     "device of pool 'gpus', which only gpupool hands out: remove that "
                     "<hostdev> from the definition ('virsh edit vm1'); the devices gpupool "
                     "reserves for it stay\n");
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 0, "nothing claimed for a refused start");
}

Test(hook, binary_lets_other_hostdevs_and_other_operations_pass_untouched)
{
    g_autofree char *other = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x44", "0x0"));
    g_autofree char *pool_dev = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x41", "0x0"));
    const char *ops[][2] = { { "release", "end" }, { "reconnect", "begin" },
                             { "migrate", "begin" }, { "restore", "begin" } };
    g_auto(GpHookRun) run = { 0 };

    gp_test_run_hook(&run, "vm9", "prepare", "begin", other);
    cr_expect_eq(run.status, 0, "%s", run.err);
    cr_expect_str_empty(run.err);
    cr_expect_str_empty(run.out);
    /* Only a start is checked: libvirt runs prepare for every start,
     * incoming migration and restore. */
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_auto(GpHookRun) r = { 0 };

        gp_test_run_hook(&r, "vm9", ops[i][0], ops[i][1], pool_dev);
        cr_expect_eq(r.status, 0, "%s %s: %s", ops[i][0], ops[i][1], r.err);
        cr_expect_str_empty(r.out);
        cr_expect_str_empty(r.err);
    }
    cr_expect_eq(dir_entries(gp_sim_statedir(sim)), 0);
}

Test(hook, binary_refuses_a_plain_domain_whose_hostdev_names_a_claimed_device)
{
    g_autofree char *xml = plain_xml("vm9", UUID_C, PCI_HOSTDEV("0x44", "0x0"));
    g_autoptr(GpClaims) claims = gp_test_load_claims();
    g_autoptr(GError) error = NULL;
    g_auto(GpHookRun) run = { 0 };

    /* A running domain still holds OTHER of a pool that was undefined. */
    cr_assert(gp_claims_add(claims, OTHER, "old", UUID_A, "vm1", NULL, &error));
    cr_assert(gp_claims_save(claims, &error), "%s", error ? error->message : "");
    gp_test_run_hook(&run, "vm9", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: vm9: its own <hostdev> of " OTHER " passes through a "
                              "device of pool 'old'"),
              "%s", run.err);
}

/* ---- partitions the hook cannot give back yet ------------------------------ */

Test(hook, hook_release_that_keeps_a_vf_still_starts_the_rebalance_and_says_why)
{
    g_autoptr(GpDomain) dom = gp_test_domain(DOM1, "vm1", "l40s", "0000:c1:00.4");
    g_autoptr(GError) err = NULL;
    g_autofree char *cli = NULL;
    g_autofree char *ran = NULL;
    g_auto(GpHookRun) run = { 0 };
    g_autofree char *stderr_text = NULL;
    g_autofree char *kept = NULL;
    g_autofree char *cleared = NULL;
    g_auto(GStrv) lines = NULL;
    int log;
    const char *xml =
        "<domain type='kvm'>\n  <name>vm1</name>\n  <uuid>" DOM1 "</uuid>\n"
        "  <memory unit='KiB'>65536</memory>\n  <metadata>\n"
        "    <gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        "<gpupool:request pool='l40s' count='2'/>"
        "<gpupool:device alias='ua-gpupool-0' pool='l40s' address='0000:c1:00.4'/>"
        "<gpupool:device alias='ua-gpupool-1' pool='l40s' address='0000:c1:00.5'/>"
        "</gpupool:assignment>\n  </metadata>\n"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n"
        "    <hostdev mode='subsystem' type='pci' managed='no'><source><address "
        "domain='0x0000' bus='0xc1' slot='0x00' function='0x4'/></source>"
        "<alias name='ua-gpupool-0'/></hostdev>\n"
        "    <hostdev mode='subsystem' type='pci' managed='no'><source><address "
        "domain='0x0000' bus='0xc1' slot='0x00' function='0x5'/></source>"
        "<alias name='ua-gpupool-1'/></hostdev>\n"
        "  </devices>\n</domain>\n";
    int status;

    /* The L40S instead of the hook host. */
    teardown_host();
    sim = gp_test_l40s_pool_host("1158", 2);
    cli = g_build_filename(gp_sim_base(sim), "fake-gpupool", NULL);
    ran = g_build_filename(gp_sim_statedir(sim), "rebalance-ran", NULL);
    gp_domain_add_device(dom, "ua-gpupool-1", "l40s", "0000:c1:00.5");
    cr_assert(gp_lifecycle_prepare(dom, &err), "%s", err ? err->message : "");
    gp_test_vfio_user(sim, "0000:c1:00.4", "77", "qemu-system-x86");
    cr_assert(g_file_set_contents(cli, "#!/bin/sh\necho ran >> \"$GPUPOOL_STATEDIR/rebalance-ran\"\n",
                                  -1, NULL));
    cr_assert_eq(chmod(cli, 0755), 0);
    g_setenv("GPUPOOL_CLI", cli, TRUE);
    log = gp_test_syslog_listen(sim);

    gp_test_run_hook(&run, "vm1", "release", "end", xml);
    status = run.status;
    stderr_text = g_steal_pointer(&run.err);
    g_unsetenv("GPUPOOL_CLI");
    cr_expect_eq(status, 1);
    cr_expect(g_str_has_prefix(stderr_text, "gpupool: partitions not given back yet: "
                                            "0000:c1:00.4 is still open through /dev/vfio/"),
              "%s", stderr_text);
    cr_expect_eq(strchr(stderr_text, '\n'), stderr_text + strlen(stderr_text) - 1,
                 "one line: %s", stderr_text);
    /* libvirt ignores what a release prints; the system log keeps it. */
    lines = gp_test_syslog_lines(log, 1);
    cr_expect_eq(g_strv_length(lines), 1);
    cr_expect(lines[0] && strstr(lines[0], "gpupool[") &&
              strstr(lines[0], "]: vm1 (" DOM1 "): release: partitions not given back yet: "
                               "0000:c1:00.4 is still open through /dev/vfio/"),
              "%s", lines[0] ? lines[0] : "no log line");
    gp_test_syslog_close(sim, log);
    /* The VF that was given back is free for a stopped domain now. */
    for (int i = 0; i < 50 && !g_file_test(ran, G_FILE_TEST_EXISTS); i++)
        g_usleep(100 * 1000);
    cr_expect(g_file_test(ran, G_FILE_TEST_EXISTS), "no rebalance was started");
    cr_expect_eq(gp_test_claim_count(), 1);
    kept = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type");
    cr_expect_str_eq(kept, "1158");
    cleared = gp_sim_read(sim, "bus/pci/devices/0000:c1:00.5/nvidia/current_vgpu_type");
    cr_expect_str_eq(cleared, "0");
    gp_test_l40s_done();
}

/* ---- the system log ------------------------------------------------------ */

/* The message of a log line: what follows "gpupool[PID]: ". */
static const char *
log_message(const char *line)
{
    const char *tag = strstr(line, "gpupool[");
    const char *end = tag ? strstr(tag, "]: ") : NULL;

    cr_assert_not_null(end, "not a gpupool log line: %s", line);
    return end + 3;
}

Test(hook, binary_refusal_goes_to_the_system_log_with_the_domains_name_and_uuid)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, devs);
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_auto(GpHookRun) first = { 0 };
    g_auto(GpHookRun) second = { 0 };
    g_auto(GStrv) lines = NULL;
    g_autofree char *want = NULL;
    int log = gp_test_syslog_listen(sim);

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&first, "vm2", "prepare", "begin", vm2);
    cr_assert_eq(first.status, 0, "%s", first.err);
    gp_test_run_hook(&second, "vm1", "prepare", "begin", vm1);
    cr_assert_eq(second.status, 1);
    lines = gp_test_syslog_lines(log, 1);
    /* One line for the refusal, none for the start that passed; the
     * line is what libvirt showed, with the domain's name and UUID. */
    cr_assert_eq(g_strv_length(lines), 1, "%s", lines[0] ? lines[0] : "no line");
    cr_assert(g_str_has_prefix(lines[0], "<27>"), "daemon.err: %s", lines[0]);
    cr_assert(g_str_has_prefix(second.err, "gpupool: "));
    want = g_strdup_printf("vm1 (" UUID_A "): start refused: %s", second.err + 9);
    g_strchomp(want);
    cr_assert_str_eq(log_message(lines[0]), want);
    gp_test_syslog_close(sim, log);
}

Test(hook, binary_release_warning_names_the_uuid_even_when_the_metadata_is_unreadable)
{
    const char *xml =
        "<domain type='qemu'><name>vm1</name><uuid>" UUID_A "</uuid><metadata>"
        "<gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        "<gpupool:request pool='../../etc' count='1'/></gpupool:assignment></metadata>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices/></domain>";
    g_auto(GpHookRun) run = { 0 };
    g_auto(GStrv) lines = NULL;
    int log = gp_test_syslog_listen(sim);

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&run, "vm1", "release", "end", xml);
    cr_expect_eq(run.status, 0, "%s", run.err);
    lines = gp_test_syslog_lines(log, 1);
    cr_assert_eq(g_strv_length(lines), 1);
    cr_assert(g_str_has_prefix(lines[0], "<28>"), "daemon.warning: %s", lines[0]);
    cr_assert(g_str_has_prefix(log_message(lines[0]), "vm1 (" UUID_A "): release: "),
              "%s", lines[0]);
    cr_assert(strstr(lines[0], "its claims stay until 'gpupool rebalance' finds it stopped"),
              "%s", lines[0]);
    gp_test_syslog_close(sim, log);
}

Test(hook, binary_reconnect_warning_goes_to_the_system_log)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm1 = domain_xml("vm1", UUID_A, devs);
    g_auto(GpHookRun) run = { 0 };
    g_auto(GStrv) lines = NULL;
    int log = gp_test_syslog_listen(sim);

    gp_test_fake_rebalance(sim, 0);
    gp_test_hold(GPU0, "gpus", UUID_B, "vm2", NULL);
    gp_test_run_hook(&run, "vm1", "reconnect", "begin", vm1);
    cr_expect_eq(run.status, 0, "a running guest is never stopped: %s", run.err);
    lines = gp_test_syslog_lines(log, 1);
    cr_assert_eq(g_strv_length(lines), 1);
    cr_assert(g_str_has_prefix(log_message(lines[0]), "vm1 (" UUID_A "): reconnect: running "
                               "domain 'vm1' uses " GPU0 " of pool 'gpus', but the claims say "
                               "domain 'vm2' holds it"), "%s", lines[0]);
    gp_test_syslog_close(sim, log);
}

Test(hook, binary_refusal_without_a_fix_points_to_gpupool_check_and_one_with_a_fix_does_not)
{
    g_autofree char *mdev = NULL;
    g_autofree char *vm1 = NULL;
    g_autofree char *vm2 = NULL;
    const char *devs[] = { NULL, NULL };
    g_auto(GpHookRun) first = { 0 };
    g_auto(GpHookRun) full = { 0 };
    g_auto(GpHookRun) malformed = { 0 };

    /* An mdev pool with room for one partition. */
    teardown_host();
    sim = gp_sim_fixture_mbochs();
    gp_sim_add_mdev_type(sim, GP_SIM_MBOCHS, "mbochs-whole", "mbochs-whole", "all of it",
                         "vfio-pci", 512, 0);
    {
        const char *const members[] = { GP_SIM_MBOCHS, NULL };

        gp_test_save_pool("disp", GP_POOL_TYPE_MDEV, members, "mbochs-whole");
    }
    gp_test_fake_rebalance(sim, 0);
    mdev = gp_domain_mdev_uuid(UUID_A, "disp", 0);
    devs[0] = mdev;
    vm1 = gp_test_assigned_xml("vm1", UUID_A, "disp", devs);
    gp_test_run_hook(&first, "vm1", "prepare", "begin", vm1);
    cr_assert_eq(first.status, 0, "%s", first.err);

    g_free(mdev);
    mdev = gp_domain_mdev_uuid(UUID_B, "disp", 0);
    devs[0] = mdev;
    vm2 = gp_test_assigned_xml("vm2", UUID_B, "disp", devs);
    gp_test_run_hook(&full, "vm2", "prepare", "begin", vm2);
    cr_assert_eq(full.status, 1);
    cr_assert(g_str_has_prefix(full.err, "gpupool: vm2: pool 'disp' is exhausted"), "%s",
              full.err);
    cr_assert(g_str_has_suffix(full.err, "; 'gpupool check vm2' tells when a start would "
                                         "pass\n"), "%s", full.err);
    cr_assert_eq(strchr(full.err, '\n'), full.err + strlen(full.err) - 1, "%s", full.err);

    /* A refusal that names its fix ends with it. */
    gp_test_run_hook(&malformed, "vm1", "restore", "begin", vm1);
    cr_assert(g_str_has_suffix(malformed.err, "start vm1 afresh\n"), "%s", malformed.err);
}

/* ---- copies of another domain's definition ------------------------------- */

Test(hook, binary_refuses_a_copied_mdev_before_making_it_and_starts_the_rebalance_it_names)
{
    g_autofree char *theirs = gp_domain_mdev_uuid(UUID_A, "disp", 0);
    const char *devs[] = { theirs, NULL };
    g_autofree char *copy = NULL;
    g_autofree char *want = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_auto(GpHookRun) run = { 0 };
    g_auto(GStrv) ran = NULL;

    teardown_host();
    sim = gp_test_mbochs_pool_host("mbochs-small");
    gp_test_fake_rebalance(sim, 0);
    /* virt-clone's copy of vm1: a UUID of its own, vm1's mdev. */
    copy = gp_test_assigned_xml("vm1-clone", UUID_B, "disp", devs);
    before = gp_sim_snapshot(sim);
    gp_test_run_hook(&run, "vm1-clone", "prepare", "begin", copy);
    cr_assert_eq(run.status, 1);
    want = g_strdup_printf("gpupool: vm1-clone: mdev %s of pool 'disp' was made for another "
                           "domain (this definition is a copy of that domain's); vm1-clone is "
                           "being re-pointed to its own mdev: start it again in a moment\n",
                           theirs);
    cr_assert_str_eq(run.err, want);
    /* vm1's mdev was not made for the copy, nothing was claimed. */
    after = gp_sim_snapshot(sim);
    gp_test_assert_same_host(after, before, "a refused copy");
    cr_assert_eq(gp_test_claim_count(), 0);
    ran = rebalance_log(1);
    cr_assert_eq(g_strv_length(ran), 2, "the rebalance the refusal names did not run");
}

Test(hook, binary_says_a_domain_from_another_host_is_being_repointed)
{
    /* A definition moved from another host names a device this one does
     * not pool; the pool has free devices here. */
    const char *const devs[] = { OTHER, NULL };
    g_autofree char *moved = domain_xml("vm1", UUID_A, devs);
    g_auto(GpHookRun) run = { 0 };
    g_auto(GStrv) ran = NULL;

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&run, "vm1", "prepare", "begin", moved);
    cr_assert_eq(run.status, 1);
    cr_assert_str_eq(run.err, "gpupool: vm1: " OTHER " is not a device of pool 'gpus' on this "
                     "host; vm1 is being re-pointed to a free device of pool 'gpus': start it "
                     "again in a moment\n");
    ran = rebalance_log(1);
    cr_assert_eq(g_strv_length(ran), 2, "the rebalance the refusal names did not run");
}

/* Every warning and refusal is one line, whatever a domain's XML or name
 * puts into it: libvirt shows the first line in the start error and logs
 * the rest where nobody reads them. */
Test(hook, binary_warnings_and_refusals_stay_one_line_with_control_characters_in_values)
{
    const char *xml =
        "<domain type='qemu'><name>vm1</name><uuid>" UUID_A "</uuid><metadata>"
        "<gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        "<gpupool:request pool='g&#10;pus&#9;' count='1'/></gpupool:assignment></metadata>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices/></domain>";
    const char *ops[][2] = {
        { "prepare", "begin" }, { "release", "end" }, { "reconnect", "begin" },
    };
    gsize size = 17 * 1024 * 1024;
    g_autofree char *huge = g_malloc0(size + 1);
    g_auto(GpHookRun) big = { 0 };

    gp_test_fake_rebalance(sim, 0);
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_auto(GpHookRun) run = { 0 };

        gp_test_run_hook(&run, "vm1", ops[i][0], ops[i][1], xml);
        cr_expect(g_str_has_prefix(run.err, "gpupool: "), "%s: %s", ops[i][0], run.err);
        cr_expect_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1,
                     "%s: not one line: %s", ops[i][0], run.err);
        cr_expect(strstr(run.err, "'g\\npus\\t'"), "%s: %s", ops[i][0], run.err);
    }
    /* The gate's own message names the domain as libvirt passed it. */
    memset(huge, ' ', size);
    memcpy(huge, "<domain>", 8);
    gp_test_run_hook(&big, "vm\t1\n", "prepare", "begin", huge);
    cr_expect_eq(big.status, 1);
    cr_expect_str_eq(big.err, "gpupool: vm\\x091\\x0a: cannot read the domain XML (over 16 "
                              "MiB, or unreadable): refusing to look at it\n");
}

/* The check assign makes of a name is the hook's: a domain whose name
 * the claims cannot record (libvirt takes a TAB) is refused saying how
 * to rename it, never claimed and never blamed on gpupool. */
Test(hook, binary_refuses_a_domain_whose_name_has_a_control_character_naming_the_fix)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *xml = domain_xml("tab&#9;vm", UUID_A, devs);
    g_auto(GpHookRun) run = { 0 };

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&run, "tab\tvm", "prepare", "begin", xml);
    cr_expect_eq(run.status, 1);
    cr_expect_str_eq(run.err, "gpupool: domain name 'tab\\tvm' contains the control character "
                              "'\\t', which gpupool cannot record as the holder of a device: "
                              "rename the domain with 'virsh domrename' (while it is shut off) "
                              "and assign it again\n");
    cr_expect_eq(gp_test_claim_count(), 0);
}

/* A domain is known by its UUID and its name both: XML that passes the
 * holder's UUID under another name (fed to the hook by hand, a copy of
 * the domain defined elsewhere) is another domain.  It neither gets the
 * holder's device nor gives it back at its release. */
Test(hook, binary_a_domain_with_the_holders_uuid_but_another_name_is_another_domain)
{
    const char *const devs[] = { GPU1, NULL };
    g_autofree char *holder_xml = domain_xml("vm1", UUID_A, devs);
    g_autofree char *copy_xml = domain_xml("vm1-copy", UUID_A, devs);
    g_auto(GpHookRun) first = { 0 };
    g_auto(GpHookRun) copy = { 0 };
    g_auto(GpHookRun) release = { 0 };
    g_autoptr(GpClaims) claims = NULL;

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&first, "vm1", "prepare", "begin", holder_xml);
    cr_assert_eq(first.status, 0, "%s", first.err);
    gp_test_run_hook(&copy, "vm1-copy", "prepare", "begin", copy_xml);
    cr_expect_eq(copy.status, 1, "the copy got the holder's device");
    cr_expect(g_str_has_prefix(copy.err, "gpupool: " GPU1 " of pool 'gpus' is held by domain "
                                         "'vm1'"), "%s", copy.err);
    gp_test_run_hook(&release, "vm1-copy", "release", "end", copy_xml);
    cr_expect_eq(release.status, 0, "%s", release.err);
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 1, "the copy's release dropped the holder's claim");
    cr_expect_str_eq(holder(claims, GPU1), "vm1");
}

/* The hook's claim and release program links no libxml2: a claims file
 * an admin edited into something GMarkup cannot decide on (a comment)
 * is read by the libxml2 reader it loads as a module, and a domain
 * definition GMarkup cannot decide on is handed to the program that
 * links libxml2; both as before. */
Test(hook, binary_reads_a_hand_edited_claims_file_and_domain_as_before)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, devs);
    g_autofree char *path = gp_paths_claims();
    g_autofree char *text = NULL;
    g_autofree char *edited = NULL;
    g_autofree char *vm2_commented = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_auto(GpHookRun) prepare = { 0 };
    g_auto(GpHookRun) release = { 0 };
    g_auto(GpHookRun) again = { 0 };
    char *root;

    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&prepare, "vm2", "prepare", "begin", vm2);
    cr_assert_eq(prepare.status, 0, "%s", prepare.err);
    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    root = strstr(text, "<claims>");
    cr_assert_not_null(root);
    root += strlen("<claims>");
    edited = g_strdup_printf("%.*s<!-- checked by hand -->%s", (int)(root - text), text, root);
    cr_assert(g_file_set_contents(path, edited, -1, NULL));

    gp_test_run_hook(&release, "vm2", "release", "end", vm2);
    cr_expect_eq(release.status, 0, "status %d: %s", release.status, release.err);
    cr_expect_str_empty(release.err);
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 0, "release gives the device back");

    root = strstr(vm2, "<name>");
    cr_assert_not_null(root);
    vm2_commented = g_strdup_printf("%.*s<!-- a note -->%s", (int)(root - vm2), vm2, root);
    gp_test_run_hook(&again, "vm2", "prepare", "begin", vm2_commented);
    cr_expect_eq(again.status, 0, "%s", again.err);
    g_clear_pointer(&claims, gp_claims_free);
    claims = gp_test_load_claims();
    cr_expect_str_eq(holder(claims, GPU0), "vm2");
}

/* Runs the hook for DOMAIN (XML) with the hook's module directory
 * GPUPOOL_HOOK_LIBDIR set to DIR for that run only. */
static void
run_hook_with_libdir(GpHookRun *run, const char *dir, const char *domain, const char *op,
                     const char *sub, const char *xml)
{
    g_autofree char *old_dir = g_strdup(g_getenv("GPUPOOL_HOOK_LIBDIR"));

    g_setenv("GPUPOOL_HOOK_LIBDIR", dir, TRUE);
    gp_test_run_hook(run, domain, op, sub, xml);
    if (old_dir)
        g_setenv("GPUPOOL_HOOK_LIBDIR", old_dir, TRUE);
    else
        g_unsetenv("GPUPOOL_HOOK_LIBDIR");
}

/* Without the module that holds libxml2's reader, a claims file GMarkup
 * cannot decide on is refused naming the file and the fix, and nothing
 * changes. */
Test(hook, binary_without_its_xml_reader_refuses_a_hand_edited_claims_file_naming_the_fix)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, devs);
    g_autofree char *path = gp_paths_claims();
    g_autofree char *edited = NULL;
    g_autofree char *after = NULL;
    g_autofree char *dir = g_build_filename(gp_sim_base(sim), "hook-lib", NULL);
    g_autofree char *domain_part = g_build_filename(g_getenv("GPUPOOL_HOOK_LIBDIR"),
                                                    "gpupool-hook-domain.so", NULL);
    g_autofree char *link = g_build_filename(dir, "gpupool-hook-domain.so", NULL);
    g_auto(GpHookRun) run = { 0 };

    /* The domain part alone, without gpupool-xml.so beside it. */
    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    cr_assert_eq(symlink(domain_part, link), 0);
    edited = g_strdup("<claims><!-- by hand --></claims>\n");
    cr_assert(g_file_set_contents(path, edited, -1, NULL));
    run_hook_with_libdir(&run, dir, "vm2", "prepare", "begin", vm2);
    cr_expect_eq(run.status, 1);
    cr_expect(strstr(run.err, path) && strstr(run.err, "reinstall gpupool"), "%s", run.err);
    cr_assert(g_file_get_contents(path, &after, NULL, NULL));
    cr_expect_str_eq(after, edited, "the claims file is left as it was");
}

/* Without its domain part, the gate refuses to start a pool domain in
 * one line naming the module and the fix, and claims nothing; a domain
 * gpupool does not manage still starts. */
Test(hook, binary_without_its_domain_part_refuses_a_pool_domain_naming_the_fix)
{
    const char *const devs[] = { GPU0, NULL };
    g_autofree char *vm2 = domain_xml("vm2", UUID_B, devs);
    g_autofree char *plain = domain_xml("web", UUID_C, NULL);
    g_autofree char *dir = g_build_filename(gp_sim_base(sim), "no-hook-lib", NULL);
    g_autoptr(GpClaims) claims = NULL;
    g_auto(GpHookRun) run = { 0 };
    g_auto(GpHookRun) other = { 0 };

    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    run_hook_with_libdir(&run, dir, "vm2", "prepare", "begin", vm2);
    cr_expect_eq(run.status, 1);
    cr_expect(g_str_has_prefix(run.err, "gpupool: vm2: cannot load the hook's domain part ") &&
              strstr(run.err, "/no-hook-lib/gpupool-hook-domain.so") &&
              g_str_has_suffix(run.err, "(reinstall gpupool)\n"), "%s", run.err);
    cr_expect_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "one line: %s", run.err);
    claims = gp_test_load_claims();
    cr_expect_eq(gp_claims_all(claims)->len, 0, "nothing is claimed");
    run_hook_with_libdir(&other, dir, "web", "prepare", "begin", plain);
    cr_expect_eq(other.status, 0, "%s", other.err);
}
