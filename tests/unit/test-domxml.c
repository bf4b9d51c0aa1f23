/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Domain XML: reading the gpupool metadata strictly, and the assign /
 * unassign rewriting that must give back the original bytes. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "base/xmltree.h"
#include "state/domxml.h"

static char *
sample(const char *name)
{
    g_autofree char *path = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                             name, NULL);
    char *text = NULL;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    return text;
}

static GpDomDevice *
pci_device(const char *pool, const char *address)
{
    GpDomDevice *dev = g_new0(GpDomDevice, 1);

    dev->pool = g_strdup(pool);
    dev->address = g_strdup(address);
    return dev;
}

/* A plan for COUNT devices of pool "gpus" starting at bus 0x41. */
static GpDomPlan
plan_for(guint count, guint64 window, guint bits)
{
    GpDomPlan plan = { 0 };
    GpDomRequest *req = g_new0(GpDomRequest, 1);

    plan.requests = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);
    plan.devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    req->pool = g_strdup("gpus");
    req->count = count;
    g_ptr_array_add(plan.requests, req);
    for (guint i = 0; i < count; i++) {
        g_autofree char *addr = g_strdup_printf("0000:%02x:00.0", 0x41 + i);

        g_ptr_array_add(plan.devices, pci_device("gpus", addr));
    }
    plan.pcihole64 = window;
    plan.ovmf_mmio64 = window;
    plan.phys_bits = bits;
    return plan;
}

static void
plan_clear(GpDomPlan *plan)
{
    g_ptr_array_unref(plan->requests);
    g_ptr_array_unref(plan->devices);
}

static char *
assign_text(const char *xml, GpDomPlan *plan)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomXml) dom = gp_domxml_parse(xml, strlen(xml), &error);

    cr_assert_not_null(dom, "%s", error ? error->message : "");
    cr_assert(gp_domxml_apply(dom, plan, &error), "%s", error ? error->message : "");
    return gp_domxml_format(dom);
}

static char *
unassign_text(const char *xml)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomXml) dom = gp_domxml_parse(xml, strlen(xml), &error);

    cr_assert_not_null(dom, "%s", error ? error->message : "");
    cr_assert(gp_domxml_clear(dom, &error));
    return gp_domxml_format(dom);
}

static void
assert_round_trip(const char *name)
{
    g_autofree char *orig = sample(name);
    GpDomPlan plan = plan_for(2, 1ULL << 40, 42);
    g_autofree char *assigned = assign_text(orig, &plan);
    g_autofree char *restored = unassign_text(assigned);

    cr_assert_str_neq(assigned, orig, "%s: assign changed nothing", name);
    cr_assert_str_eq(restored, orig, "%s: unassign did not restore the original bytes", name);
    plan_clear(&plan);
}

/* ---- Formatting ---------------------------------------------------------- */

Test(domxml, unchanged_libvirt_domains_format_byte_for_byte)
{
    const char *names[] = { "q35-ovmf.xml", "q35-seabios.xml", "i440fx.xml",
                            "q35-ovmf-loader.xml", "minimal.xml" };

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *orig = sample(names[i]);
        g_autoptr(GError) error = NULL;
        g_autoptr(GpDomXml) dom = gp_domxml_parse(orig, strlen(orig), &error);
        g_autofree char *out = NULL;

        cr_assert_not_null(dom, "%s: %s", names[i], error ? error->message : "");
        out = gp_domxml_format(dom);
        cr_assert_str_eq(out, orig, "%s changed on a parse/format round trip", names[i]);
    }
}

Test(domxml, xml_declaration_and_trailing_text_are_kept)
{
    const char *xml = "<?xml version=\"1.0\"?>\n<!-- saved -->\n<domain type='qemu'>"
                      "<name>a</name></domain>\n\n";
    g_autoptr(GpDomXml) dom = gp_domxml_parse(xml, strlen(xml), NULL);
    g_autofree char *out = NULL;

    cr_assert_not_null(dom);
    out = gp_domxml_format(dom);
    cr_assert_str_eq(out, xml);
}

/* ---- assign / unassign round trips ----------------------------------------- */

Test(domxml, assign_then_unassign_restores_q35_ovmf_domain_byte_for_byte)
{
    assert_round_trip("q35-ovmf.xml");
}

Test(domxml, assign_then_unassign_restores_q35_seabios_domain_byte_for_byte)
{
    assert_round_trip("q35-seabios.xml");
}

Test(domxml, assign_then_unassign_restores_i440fx_domain_byte_for_byte)
{
    assert_round_trip("i440fx.xml");
}

Test(domxml, assign_then_unassign_restores_ovmf_loader_domain_byte_for_byte)
{
    assert_round_trip("q35-ovmf-loader.xml");
}

Test(domxml, assign_then_unassign_removes_elements_it_created)
{
    assert_round_trip("minimal.xml");
}

Test(domxml, assign_twice_gives_the_same_document)
{
    g_autofree char *orig = sample("q35-ovmf.xml");
    GpDomPlan plan = plan_for(2, 1ULL << 40, 42);
    g_autofree char *once = assign_text(orig, &plan);
    g_autofree char *twice = assign_text(once, &plan);

    cr_assert_str_eq(twice, once);
    plan_clear(&plan);
}

/* Removing the last element of <devices> takes its blank text with it:
 * clear must not step on the text it has just freed. */
Test(domxml, devices_holding_only_gpupool_hostdevs_unassign_and_assign_again)
{
    const char *orig =
        "<domain type='qemu'>\n  <name>bare</name>\n"
        "  <uuid>0d1f7e1c-32a5-4c39-9a44-1b0d5e0c7a11</uuid>\n"
        "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n"
        "  <devices/>\n</domain>\n";
    GpDomPlan plan = plan_for(2, 0, 0);
    g_autofree char *assigned = assign_text(orig, &plan);
    g_autofree char *again = assign_text(assigned, &plan);
    g_autofree char *restored = unassign_text(assigned);

    cr_assert_not_null(strstr(assigned, "<devices>\n    <hostdev "), "%s", assigned);
    cr_assert_str_eq(again, assigned);
    cr_assert_str_eq(restored, orig);
    plan_clear(&plan);
}

/* Text the admin left in <metadata> next to gpupool's element: removing
 * the element must leave the text as the next assign will find it. */
Test(domxml, assign_twice_gives_the_same_document_around_stray_text)
{
    const char *orig =
        "<domain type='qemu'>\n  <name>vm1</name>\n"
        "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
        "  <metadata>\n  note <gpupool:assignment xmlns:gpupool=\"" GP_DOMXML_NS "\">"
        "<gpupool:request pool=\"gpus\" count=\"1\"/>"
        "<gpupool:device alias=\"ua-gpupool-0\" pool=\"gpus\" address=\"0000:41:00.0\"/>"
        "</gpupool:assignment>\n  </metadata>\n"
        "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n"
        "  <devices>\n    <hostdev mode='subsystem' type='pci' managed='no'><source>"
        "<address domain='0x0000' bus='0x41' slot='0x00' function='0x0'/></source>"
        "<alias name='ua-gpupool-0'/></hostdev>\n  </devices>\n</domain>\n";
    GpDomPlan plan = plan_for(2, 0, 0);
    g_autofree char *once = assign_text(orig, &plan);
    g_autofree char *twice = assign_text(once, &plan);

    cr_assert_str_eq(twice, once);
    plan_clear(&plan);
}

/* Values libvirt would not accept, which assign could not record so that
 * unassign puts them back: assign leaves them as they are. */
Test(domxml, assign_leaves_alone_values_unassign_could_not_put_back)
{
    const char *orig =
        "<domain type='qemu'>\n  <name>vm1</name>\n"
        "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
        "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n"
        "  <cpu>\n    <maxphysaddr mode='emulate:x' bits='40'/>\n  </cpu>\n"
        "  <on_crash> restart </on_crash>\n"
        "  <devices>\n    <controller type='pci' index='0' model='pcie-root'>\n"
        "      <pcihole64 unit='KiB'>1 2</pcihole64>\n    </controller>\n"
        "  </devices>\n</domain>\n";
    GpDomPlan plan = plan_for(1, 1ULL << 40, 42);
    g_autofree char *assigned = assign_text(orig, &plan);
    g_autofree char *restored = unassign_text(assigned);

    cr_assert_not_null(strstr(assigned, "<pcihole64 unit='KiB'>1 2</pcihole64>"), "%s", assigned);
    cr_assert_not_null(strstr(assigned, "<on_crash> restart </on_crash>"), "%s", assigned);
    cr_assert_not_null(strstr(assigned, "mode='emulate:x' bits='40'"), "%s", assigned);
    cr_assert_str_eq(restored, orig);
    plan_clear(&plan);
}

Test(domxml, unassign_of_a_domain_without_assignment_changes_nothing)
{
    g_autofree char *orig = sample("i440fx.xml");
    g_autofree char *out = unassign_text(orig);

    cr_assert_str_eq(out, orig);
}

Test(domxml, reassign_with_fewer_devices_keeps_the_original_previous_values)
{
    g_autofree char *orig = sample("q35-ovmf.xml");
    GpDomPlan two = plan_for(2, 1ULL << 40, 42);
    GpDomPlan one = plan_for(1, 512ULL << 30, 0);
    g_autofree char *a = assign_text(orig, &two);
    g_autofree char *b = assign_text(a, &one);
    g_autofree char *restored = unassign_text(b);

    cr_assert_null(strstr(b, "0000:42:00.0"), "the second device stayed");
    cr_assert_null(strstr(b, "maxphysaddr"), "phys bits of the old plan stayed");
    cr_assert_not_null(strstr(b, "previous=\"restart\""), "on_crash's original value was lost");
    cr_assert_str_eq(restored, orig);
    plan_clear(&two);
    plan_clear(&one);
}

Test(domxml, assign_sets_hostdevs_window_and_stop_action_and_reads_back)
{
    g_autofree char *orig = sample("q35-ovmf.xml");
    GpDomPlan plan = plan_for(2, 1ULL << 40, 42);
    g_autofree char *xml = assign_text(orig, &plan);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = gp_domxml_read_assignment(xml, strlen(xml), &error);
    GpDomDevice *d0, *d1;

    cr_assert_not_null(a, "%s", error ? error->message : "");
    cr_assert_str_eq(a->name, "win-ovmf");
    cr_assert_str_eq(a->uuid, "1b7a4e52-58c3-4c0e-9d0a-2f0b4c1e9a01");
    cr_assert_eq(a->requests->len, 1);
    cr_assert_eq(a->devices->len, 2);
    d0 = g_ptr_array_index(a->devices, 0);
    d1 = g_ptr_array_index(a->devices, 1);
    cr_assert_str_eq(d0->alias, "ua-gpupool-0");
    cr_assert_str_eq(d0->address, "0000:41:00.0");
    cr_assert_str_eq(d1->alias, "ua-gpupool-1");
    cr_assert_eq(a->pcihole64, 1ULL << 40);
    cr_assert_eq(a->ovmf_mmio64, 1ULL << 40);
    cr_assert_eq(a->phys_bits, 42);
    cr_assert(a->ovmf);
    cr_assert_eq(a->machine_kind, GP_DOM_MACHINE_Q35);
    cr_assert_not_null(strstr(xml, "<hostdev mode='subsystem' type='pci' managed='no'>"));
    cr_assert_not_null(strstr(xml, "<alias name='ua-gpupool-1'/>"));
    cr_assert_not_null(strstr(xml, "<on_crash>destroy</on_crash>"));
    cr_assert_not_null(strstr(xml, "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"), "%s", xml);
    cr_assert_not_null(strstr(xml, "  <qemu:commandline>\n    <qemu:arg value='-fw_cfg'/>\n"
                                   "    <qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=1048576'/>\n"
                                   "  </qemu:commandline>\n</domain>"), "%s", xml);
    cr_assert_not_null(strstr(xml, "<pcihole64 unit='KiB'>1073741824</pcihole64>"));
    /* The other application's metadata is still there. */
    cr_assert_not_null(strstr(xml, "<app1:foo xmlns:app1=\"http://app1.org/app1/\">fizz</app1:foo>"));
    plan_clear(&plan);
}

Test(domxml, seabios_domain_gets_pcihole64_but_no_ovmf_settings)
{
    g_autofree char *orig = sample("q35-seabios.xml");
    GpDomPlan plan = plan_for(1, 512ULL << 30, 0);
    g_autofree char *xml = assign_text(orig, &plan);

    cr_assert_null(strstr(xml, "qemu:"));
    cr_assert_null(strstr(xml, "maxphysaddr"));
    /* The admin's pcihole64 (1 GiB) is recorded to be put back. */
    cr_assert_not_null(strstr(xml, "what=\"pcihole64\" value=\"536870912\" previous=\"1048576 KiB\""),
                       "%s", xml);
    plan_clear(&plan);
}

Test(domxml, i440fx_domain_gets_pcihole64_on_pci_root)
{
    g_autofree char *orig = sample("i440fx.xml");
    GpDomPlan plan = plan_for(1, 4ULL << 30, 0);
    g_autofree char *xml = assign_text(orig, &plan);

    cr_assert_not_null(strstr(xml, "<controller type='pci' index='0' model='pci-root'>\n"
                                   "      <pcihole64 unit='KiB'>4194304</pcihole64>"), "%s", xml);
    /* The admin's own hostdev is untouched and not taken for ours. */
    cr_assert_not_null(strstr(xml, "<hostdev mode='subsystem' type='pci' managed='yes'>"));
    plan_clear(&plan);
}

Test(domxml, unassign_keeps_a_value_the_admin_changed_after_assign)
{
    g_autofree char *orig = sample("q35-ovmf.xml");
    GpDomPlan plan = plan_for(1, 512ULL << 30, 0);
    g_autofree char *xml = assign_text(orig, &plan);
    g_autofree char *edited = NULL;
    g_autofree char *restored = NULL;
    GRegex *re = g_regex_new("<on_crash>destroy</on_crash>", 0, 0, NULL);

    edited = g_regex_replace_literal(re, xml, -1, 0, "<on_crash>coredump-destroy</on_crash>",
                                     0, NULL);
    g_regex_unref(re);
    restored = unassign_text(edited);
    cr_assert_not_null(strstr(restored, "<on_crash>coredump-destroy</on_crash>"));
    cr_assert_null(strstr(restored, "gpupool"));
    plan_clear(&plan);
}

Test(domxml, repoint_moves_metadata_and_hostdev_together)
{
    g_autofree char *orig = sample("q35-ovmf.xml");
    GpDomPlan plan = plan_for(2, 1ULL << 40, 0);
    g_autofree char *xml = assign_text(orig, &plan);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomXml) dom = gp_domxml_parse(xml, strlen(xml), &error);
    g_autofree char *out = NULL;
    g_autoptr(GpDomAssignment) a = NULL;

    cr_assert(gp_domxml_repoint(dom, "ua-gpupool-1", "0000:81:00.0", NULL, &error),
              "%s", error ? error->message : "");
    out = gp_domxml_format(dom);
    a = gp_domxml_read_assignment(out, strlen(out), &error);
    cr_assert_not_null(a, "%s", error ? error->message : "");
    cr_assert_str_eq(((GpDomDevice *)g_ptr_array_index(a->devices, 1))->address, "0000:81:00.0");
    cr_assert_not_null(strstr(out, "bus='0x81'"));
    cr_assert_not_null(strstr(out, "bus='0x41'"));
    plan_clear(&plan);
}

Test(domxml, repoint_refuses_unknown_alias)
{
    g_autofree char *orig = sample("q35-ovmf.xml");
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomXml) dom = gp_domxml_parse(orig, strlen(orig), &error);

    cr_assert_not(gp_domxml_repoint(dom, "ua-gpupool-3", "0000:81:00.0", NULL, &error));
    cr_assert_not_null(strstr(error->message, "gpupool assign win-ovmf"), "%s", error->message);
}

Test(domxml, mdev_devices_become_mdev_hostdevs)
{
    g_autofree char *orig = sample("q35-seabios.xml");
    GpDomPlan plan = plan_for(1, 0, 0);
    GpDomDevice *dev = g_ptr_array_index(plan.devices, 0);
    g_autofree char *xml = NULL;
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&dev->address, g_free);
    dev->uuid = g_strdup("9C4F3A52-1B0E-4D8A-9E3B-0123456789AB");
    xml = assign_text(orig, &plan);
    cr_assert_not_null(strstr(xml, "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci'>"));
    cr_assert_not_null(strstr(xml, "uuid='9c4f3a52-1b0e-4d8a-9e3b-0123456789ab'"));
    a = gp_domxml_read_assignment(xml, strlen(xml), &error);
    cr_assert_not_null(a, "%s", error ? error->message : "");
    cr_assert_str_eq(((GpDomDevice *)g_ptr_array_index(a->devices, 0))->uuid,
                     "9c4f3a52-1b0e-4d8a-9e3b-0123456789ab");
    plan_clear(&plan);
}

Test(domxml, assign_refuses_a_machine_without_pcihole64)
{
    const char *xml = "<domain type='qemu'>\n  <name>arm</name>\n"
                      "  <uuid>6a2f93a7-ad18-4153-a25f-7d5091624f56</uuid>\n"
                      "  <os>\n    <type arch='aarch64' machine='virt'>hvm</type>\n  </os>\n"
                      "  <devices>\n    <emulator>/usr/bin/qemu-system-aarch64</emulator>\n"
                      "  </devices>\n</domain>\n";
    GpDomPlan plan = plan_for(1, 4ULL << 30, 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomXml) dom = gp_domxml_parse(xml, strlen(xml), &error);
    g_autofree char *out = NULL;

    cr_assert_not(gp_domxml_apply(dom, &plan, &error));
    cr_assert_eq(error->code, GP_DOMXML_ERROR_UNSUPPORTED);
    cr_assert_not_null(strstr(error->message, "'arm'"), "%s", error->message);
    cr_assert_not_null(strstr(error->message, "virt"), "%s", error->message);
    out = gp_domxml_format(dom);
    cr_assert_str_eq(out, xml, "a refused assign changed the document");
    plan_clear(&plan);
}

/* ---- Reading ------------------------------------------------------------- */

Test(domxml, domain_without_metadata_reads_as_no_request)
{
    g_autofree char *xml = sample("q35-ovmf.xml");
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = gp_domxml_read_assignment(xml, strlen(xml), &error);

    cr_assert_not_null(a, "%s", error ? error->message : "");
    cr_assert_eq(a->requests->len, 0);
    cr_assert_eq(a->devices->len, 0);
    cr_assert_not(gp_domxml_has_assignment(xml, strlen(xml)));
    cr_assert_eq(a->memory, 16ULL << 30);
}

Test(domxml, platform_is_read_from_the_definition)
{
    g_autofree char *xml = sample("q35-ovmf-loader.xml");
    g_autoptr(GpDomAssignment) a = gp_domxml_read_assignment(xml, strlen(xml), NULL);

    cr_assert_not_null(a);
    cr_assert(a->ovmf, "a pflash OVMF loader is UEFI");
    cr_assert_eq(a->memory, 128ULL << 30, "maxMemory counts");
    cr_assert_eq(a->memory_slots, 16);
    cr_assert_str_eq(a->machine, "pc-q35-7.2");
}

/* A domain carrying METADATA (the inside of <gpupool:assignment>) and the
 * hostdevs in HOSTDEVS. */
static char *
hostile(const char *metadata, const char *hostdevs)
{
    return g_strdup_printf(
        "<domain type='qemu'>\n  <name>vm1</name>\n"
        "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
        "  <metadata>\n    <gpupool:assignment xmlns:gpupool=\"" GP_DOMXML_NS "\">%s"
        "</gpupool:assignment>\n  </metadata>\n"
        "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n"
        "  <devices>%s</devices>\n</domain>\n", metadata, hostdevs);
}

#define HOSTDEV_41 \
    "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' " \
    "bus='0x41' slot='0x00' function='0x0'/></source><alias name='ua-gpupool-0'/></hostdev>"
#define DEVICE_41 \
    "<gpupool:device alias=\"ua-gpupool-0\" pool=\"gpus\" address=\"0000:41:00.0\"/>"

static void
assert_refused(const char *xml, gsize len, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = gp_domxml_read_assignment(xml, len, &error);

    cr_assert_null(a, "accepted: %.300s", xml);
    cr_assert_not_null(error);
    cr_assert_eq(error->domain, GP_DOMXML_ERROR);
    cr_assert_not_null(strstr(error->message, needle), "'%s' not in: %s", needle,
                       error->message);
    cr_assert_null(strchr(error->message, '\n'), "not one line: %s", error->message);
}

static void
assert_metadata_refused(const char *metadata, const char *hostdevs, const char *needle)
{
    g_autofree char *xml = hostile(metadata, hostdevs);

    assert_refused(xml, strlen(xml), needle);
}

Test(domxml, valid_hostile_template_is_accepted)
{
    g_autofree char *xml = hostile("<gpupool:request pool=\"gpus\" count=\"1\" mmio=\"auto\"/>"
                                   DEVICE_41, HOSTDEV_41);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = gp_domxml_read_assignment(xml, strlen(xml), &error);

    cr_assert_not_null(a, "%s", error ? error->message : "");
    cr_assert(gp_domxml_has_assignment(xml, strlen(xml)));
}

Test(domxml, count_zero_is_refused_naming_the_domain_and_the_fix)
{
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"0\"/>", "",
                            "domain 'vm1'");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"0\"/>", "",
                            "gpupool unassign vm1");
}

Test(domxml, huge_and_malformed_counts_are_refused)
{
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"100000\"/>", "", "1..64");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"-1\"/>", "", "1..64");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\" 1\"/>", "", "1..64");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1e3\"/>", "", "1..64");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"99999999999999999999999\"/>",
                            "", "1..64");
}

Test(domxml, pool_names_with_slash_or_dotdot_are_refused)
{
    assert_metadata_refused("<gpupool:request pool=\"../../etc/passwd\" count=\"1\"/>", "",
                            "not a valid pool name");
    assert_metadata_refused("<gpupool:request pool=\"a/b\" count=\"1\"/>", "",
                            "not a valid pool name");
    assert_metadata_refused("<gpupool:request pool=\"..\" count=\"1\"/>", "",
                            "not a valid pool name");
}

static void assert_metadata_matches_schema(const char *xml);

/* What a destination host compares at migration: the pool type and the
 * partition profile the request was made for; metadata written before
 * they were recorded still reads, as "not recorded". */
Test(domxml, request_type_and_profile_round_trip_and_old_metadata_still_reads)
{
    g_autofree char *orig = sample("q35-seabios.xml");
    GpDomPlan plan = plan_for(1, 0, 0);
    GpDomRequest *req = g_ptr_array_index(plan.requests, 0);
    g_autofree char *xml = NULL;
    g_autofree char *old = hostile("<gpupool:request pool=\"gpus\" count=\"1\"/>" DEVICE_41,
                                   HOSTDEV_41);
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GpDomAssignment) b = NULL;
    g_autoptr(GError) error = NULL;
    GpDomRequest *r;

    req->has_type = TRUE;
    req->type = GP_POOL_TYPE_VF;
    req->profile = g_strdup("1158");
    xml = assign_text(orig, &plan);
    cr_assert_not_null(strstr(xml, "type=\"vf\" profile=\"1158\""), "%s", xml);
    assert_metadata_matches_schema(xml);
    a = gp_domxml_read_assignment(xml, strlen(xml), &error);
    cr_assert_not_null(a, "%s", error ? error->message : "");
    r = g_ptr_array_index(a->requests, 0);
    cr_expect(r->has_type);
    cr_expect_eq(r->type, GP_POOL_TYPE_VF);
    cr_expect_str_eq(r->profile, "1158");

    b = gp_domxml_read_assignment(old, strlen(old), &error);
    cr_assert_not_null(b, "%s", error ? error->message : "");
    r = g_ptr_array_index(b->requests, 0);
    cr_expect_not(r->has_type);
    cr_expect_null(r->profile);
    plan_clear(&plan);
}

Test(domxml, bad_request_types_and_profiles_are_refused)
{
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\" type=\"gpu\"/>"
                            DEVICE_41, HOSTDEV_41, "type 'gpu'");
    /* A whole device has no profile, and a profile without a type is
     * not what assign writes. */
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\" type=\"pci\" "
                            "profile=\"nvidia-222\"/>" DEVICE_41, HOSTDEV_41, "profile");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\" "
                            "profile=\"nvidia-222\"/>" DEVICE_41, HOSTDEV_41, "profile");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\" type=\"mdev\" "
                            "profile=\"../x\"/>" DEVICE_41, HOSTDEV_41, "profile");
}

Test(domxml, bad_mmio_values_are_refused)
{
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\" mmio=\"lots\"/>"
                            DEVICE_41, HOSTDEV_41, "mmio");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\" mmio=\"1\"/>"
                            DEVICE_41, HOSTDEV_41, "mmio");
}

Test(domxml, oversized_documents_and_values_are_refused)
{
    gsize big = GP_DOMXML_MAX_SIZE + 1;
    g_autofree char *value = g_malloc(big + 1);
    g_autofree char *meta = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *longname = g_strnfill(1100, 'a');
    g_autofree char *meta2 = g_strdup_printf(
        "<gpupool:request pool=\"gpus\" count=\"1\"/>"
        "<gpupool:device alias=\"ua-gpupool-0\" pool=\"gpus\" address=\"%s\"/>", longname);

    memset(value, 'x', big);
    value[big] = '\0';
    meta = g_strdup_printf("<gpupool:request pool=\"%s\" count=\"1\"/>", value);
    xml = hostile(meta, "");
    assert_refused(xml, strlen(xml), "more than the");
    assert_metadata_refused(meta2, HOSTDEV_41, "characters long");
}

Test(domxml, malformed_xml_is_refused)
{
    const char *xml = "<domain type='qemu'><name>vm1</name><metadata><gpupool:assignment";

    assert_refused(xml, strlen(xml), "not well-formed");
    assert_refused("", 0, "not well-formed");
    assert_refused("<network><name>x</name></network>", 34, "not a libvirt domain");
}

Test(domxml, dtd_and_entity_tricks_are_refused)
{
    const char *bomb =
        "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n"
        "<domain><name>&b;</name></domain>";
    const char *external =
        "<!DOCTYPE domain [<!ENTITY x SYSTEM \"file:///etc/shadow\">]>"
        "<domain><name>&x;</name></domain>";
    const char *undeclared = "<domain type='qemu'><name>&x;</name></domain>";

    assert_refused(bomb, strlen(bomb), "DOCTYPE");
    assert_refused(external, strlen(external), "DOCTYPE");
    assert_refused(undeclared, strlen(undeclared), "not well-formed");
}

/* The hook's gate searches the bytes for gpupool's namespace and for
 * "hostdev": the reader must see the same text, never one decoded from
 * another encoding in which neither is spelled out. */
Test(domxml, documents_are_read_as_utf8_whatever_they_declare)
{
    g_autofree char *xml = hostile("<gpupool:request pool=\"gpus\" count=\"1\"/>" DEVICE_41,
                                   HOSTDEV_41);
    g_autofree char *decl = g_strconcat("<?xml version='1.0' encoding='UTF-16'?>", xml, NULL);
    g_autofree char *utf16 = NULL;
    g_autoptr(GString) bom = g_string_new_len("\xff\xfe", 2);
    glong n = 0;
    const char *utf7 =
        "<?xml version='1.0' encoding='UTF-7'?><domain><name>vm1</name><devices>"
        "<+AGg-ostdev mode='subsystem' type='pci'><source><address domain='0' bus='0x41' "
        "slot='0' function='0'/></source></+AGg-ostdev></devices></domain>";

    utf16 = (char *)g_utf8_to_utf16(decl, -1, NULL, &n, NULL);
    g_string_append_len(bom, utf16, n * 2);
    assert_refused(bom->str, bom->len, "not well-formed");
    assert_refused(utf7, strlen(utf7), "not well-formed");
}

/* Release finds a domain's claims only when the hook's first test sees
 * the namespace: a request it cannot see must not be claimed at prepare
 * either. */
Test(domxml, a_namespace_spelled_with_character_references_is_refused)
{
    g_autofree char *xml = hostile("<gpupool:request pool=\"gpus\" count=\"1\"/>" DEVICE_41,
                                   HOSTDEV_41);
    g_auto(GStrv) parts = g_strsplit(xml, "domain/1.0", 2);
    g_autofree char *spelled = g_strjoinv("domain/1&#46;0", parts);

    cr_assert_not(gp_domxml_has_assignment(spelled, strlen(spelled)));
    assert_refused(spelled, strlen(spelled), "namespace is not written out");
}

/* gpupool reads the first of each: a second <devices> could pass a device
 * through unchecked, a second <metadata> hold a request unassign leaves. */
Test(domxml, a_second_devices_or_metadata_element_is_refused)
{
    g_autofree char *xml = hostile("<gpupool:request pool=\"gpus\" count=\"1\"/>" DEVICE_41,
                                   HOSTDEV_41);
    g_autoptr(GString) devices = g_string_new(xml);
    g_autoptr(GString) metadata = g_string_new(xml);
    g_autoptr(GError) error = NULL;

    g_string_replace(devices, "</domain>",
                     "<devices><hostdev mode='subsystem' type='pci'><source><address "
                     "domain='0' bus='0x42' slot='0' function='0'/></source></hostdev>"
                     "</devices></domain>", 1);
    g_string_replace(metadata, "</domain>",
                     "<metadata><gpupool:assignment xmlns:gpupool=\"" GP_DOMXML_NS "\">"
                     "<gpupool:request pool=\"gpus\" count=\"1\"/></gpupool:assignment>"
                     "</metadata></domain>", 1);
    assert_refused(devices->str, devices->len, "2 <devices> elements");
    assert_refused(metadata->str, metadata->len, "2 <metadata> elements");
    cr_assert_null(gp_domxml_parse(metadata->str, metadata->len, &error));
    cr_assert_not_null(strstr(error->message, "virsh dumpxml"), "%s", error->message);
}

Test(domxml, aliases_must_be_exactly_ua_gpupool_n)
{
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:device alias=\"ua-gpupool-01\" pool=\"gpus\" "
                            "address=\"0000:41:00.0\"/>", "", "ua-gpupool-N");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:device alias=\"ua-gpupool-64\" pool=\"gpus\" "
                            "address=\"0000:41:00.0\"/>", "", "ua-gpupool-N");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:device alias=\"hostdev0\" pool=\"gpus\" "
                            "address=\"0000:41:00.0\"/>", "", "ua-gpupool-N");
}

Test(domxml, bad_addresses_and_uuids_are_refused)
{
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:device alias=\"ua-gpupool-0\" pool=\"gpus\" "
                            "address=\"0000:41:00.0/../../x\"/>", "", "not a PCI address");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:device alias=\"ua-gpupool-0\" pool=\"gpus\" "
                            "uuid=\"../../etc\"/>", "", "not a UUID");
}

Test(domxml, metadata_and_hostdevs_must_match)
{
    /* A metadata device without its hostdev. */
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>" DEVICE_41, "",
                            "no <hostdev> with that alias");
    /* A ua-gpupool hostdev the metadata does not know. */
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:device alias=\"ua-gpupool-1\" pool=\"gpus\" "
                            "address=\"0000:41:00.0\"/>", HOSTDEV_41,
                            "not in the gpupool metadata");
    /* A hostdev pointing elsewhere than the metadata says. */
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:device alias=\"ua-gpupool-0\" pool=\"gpus\" "
                            "address=\"0000:42:00.0\"/>", HOSTDEV_41, "points at 0000:41:00.0");
    /* Fewer devices than the request says. */
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"2\"/>" DEVICE_41,
                            HOSTDEV_41, "2 device(s) but 1");
}

Test(domxml, duplicates_and_unknown_content_are_refused)
{
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:request pool=\"gpus\" count=\"1\"/>", "", "two requests");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"2\"/>" DEVICE_41
                            "<gpupool:device alias=\"ua-gpupool-1\" pool=\"gpus\" "
                            "address=\"0000:41:00.0\"/>", HOSTDEV_41, "reserved twice");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\" evil=\"1\"/>", "",
                            "unknown attribute");
    assert_metadata_refused("<gpupool:script>rm -rf /</gpupool:script>", "", "unknown element");
    assert_metadata_refused("sneaky text", "", "contains text");
    assert_metadata_refused("", "", "no request");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>"
                            "<gpupool:device alias=\"ua-gpupool-0\" pool=\"other\" "
                            "address=\"0000:41:00.0\"/>", HOSTDEV_41, "does not request");
    assert_metadata_refused("<gpupool:request pool=\"gpus\" count=\"1\"/>" DEVICE_41
                            "<gpupool:added what=\"kernel-cmdline\" value=\"x\"/>", HOSTDEV_41,
                            "unknown change");
}

Test(domxml, two_assignments_are_refused)
{
    const char *xml =
        "<domain><name>vm1</name><metadata>"
        "<gpupool:assignment xmlns:gpupool=\"" GP_DOMXML_NS "\"/>"
        "<g:assignment xmlns:g=\"" GP_DOMXML_NS "\"/>"
        "</metadata></domain>";

    assert_refused(xml, strlen(xml), "more than one");
}

Test(domxml, unassign_removes_everything_even_from_broken_metadata)
{
    g_autofree char *xml = hostile("<gpupool:request pool=\"gpus\" count=\"0\"/>", HOSTDEV_41);
    g_autofree char *out = unassign_text(xml);

    cr_assert_null(strstr(out, "gpupool"), "%s", out);
    cr_assert_null(strstr(out, "<hostdev"), "%s", out);
}

Test(domxml, assign_again_keeps_the_guest_address_libvirt_gave_a_hostdev)
{
    g_autofree char *orig = sample("q35-seabios.xml");
    GpDomPlan plan = plan_for(1, 0, 0);
    g_autofree char *xml = assign_text(orig, &plan);
    g_autofree char *defined = NULL;
    g_autofree char *again = NULL;
    g_autofree char *restored = NULL;
    GRegex *re = g_regex_new("(<alias name='ua-gpupool-0'/>)", 0, 0, NULL);

    /* What libvirt adds on define. */
    defined = g_regex_replace(re, xml, -1, 0,
                              "\\1\n      <address type='pci' domain='0x0000' bus='0x05' "
                              "slot='0x00' function='0x0'/>", 0, NULL);
    g_regex_unref(re);
    again = assign_text(defined, &plan);
    cr_assert_str_eq(again, defined, "assigning the same again changed the definition");
    restored = unassign_text(again);
    cr_assert_str_eq(restored, orig);
    plan_clear(&plan);
}

/* What libvirt does on define: a guest address for each hostdev, the
 * first on the admin's spare root port (bus 1), the second on a new root
 * port it adds (index 2). */
static char *
libvirt_define(const char *xml)
{
    GRegex *r0 = g_regex_new("(<alias name='ua-gpupool-0'/>)", 0, 0, NULL);
    GRegex *r1 = g_regex_new("(<alias name='ua-gpupool-1'/>)", 0, 0, NULL);
    GRegex *rc = g_regex_new("(<controller type='pci' index='1' model='pcie-root-port'/>)",
                             0, 0, NULL);
    char *a = g_regex_replace(r0, xml, -1, 0,
                              "\\1\n      <address type='pci' domain='0x0000' bus='0x01' "
                              "slot='0x00' function='0x0'/>", 0, NULL);
    char *b = g_regex_replace(r1, a, -1, 0,
                              "\\1\n      <address type='pci' domain='0x0000' bus='0x02' "
                              "slot='0x00' function='0x0'/>", 0, NULL);
    char *c = g_regex_replace(rc, b, -1, 0,
                              "\\1\n    <controller type='pci' index='2' model='pcie-root-port'>\n"
                              "      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' "
                              "function='0x1'/>\n    </controller>", 0, NULL);

    g_regex_unref(r0);
    g_regex_unref(r1);
    g_regex_unref(rc);
    g_free(a);
    g_free(b);
    return c;
}

Test(domxml, unassign_removes_the_root_port_libvirt_added_but_keeps_the_admins_spare)
{
    g_autofree char *orig = sample("q35-ovmf-loader.xml");
    GpDomPlan plan = plan_for(2, 1ULL << 40, 0);
    g_autofree char *xml = assign_text(orig, &plan);
    g_autofree char *defined = libvirt_define(xml);
    g_autofree char *again = NULL;
    g_autofree char *restored = NULL;

    cr_assert_not_null(strstr(defined, "index='2'"), "the simulated define did nothing");
    cr_assert_not_null(strstr(xml, "what=\"pci-controllers\" value=\"1\""), "%s", xml);
    again = assign_text(defined, &plan);
    cr_assert_str_eq(again, defined, "assigning again lost libvirt's placement");
    restored = unassign_text(defined);
    cr_assert_str_eq(restored, orig);
    plan_clear(&plan);
}

Test(domxml, assigning_fewer_devices_drops_the_port_of_the_one_removed)
{
    g_autofree char *orig = sample("q35-ovmf-loader.xml");
    GpDomPlan two = plan_for(2, 1ULL << 40, 0);
    GpDomPlan one = plan_for(1, 1ULL << 40, 0);
    g_autofree char *xml = assign_text(orig, &two);
    g_autofree char *defined = libvirt_define(xml);
    g_autofree char *fewer = assign_text(defined, &one);

    cr_assert_null(strstr(fewer, "index='2'"), "%s", fewer);
    cr_assert_not_null(strstr(fewer, "index='1' model='pcie-root-port'"), "%s", fewer);
    cr_assert_not_null(strstr(fewer, "bus='0x01' slot='0x00'"), "%s", fewer);
    plan_clear(&two);
    plan_clear(&one);
}

Test(domxml, every_truncation_of_an_assigned_domain_is_refused_or_read_without_crashing)
{
    g_autofree char *orig = sample("q35-ovmf.xml");
    GpDomPlan plan = plan_for(2, 1ULL << 40, 42);
    g_autofree char *xml = assign_text(orig, &plan);
    gsize len = strlen(xml);
    guint refused = 0;

    for (gsize cut = 0; cut < len; cut++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GpDomAssignment) a = gp_domxml_read_assignment(xml, cut, &error);

        cr_assert((a != NULL) != (error != NULL), "cut at %zu: result and error disagree", cut);
        if (!a)
            refused++;
    }
    /* Only the complete document (and cuts in its trailing newline) parse. */
    cr_assert_geq(refused, len - 2);
    plan_clear(&plan);
}

Test(domxml, every_single_byte_change_in_the_metadata_is_refused_or_read_consistently)
{
    g_autofree char *orig = sample("q35-ovmf.xml");
    GpDomPlan plan = plan_for(2, 1ULL << 40, 42);
    g_autofree char *xml = assign_text(orig, &plan);
    const char *start = strstr(xml, "<gpupool:assignment");
    const char *end = strstr(xml, "</gpupool:assignment>");
    const char subst[] = { '/', '.', '<', '"', '0', '9', 'z', '&', ' ' };

    cr_assert(start && end);
    for (const char *p = start; p < end; p++) {
        for (gsize k = 0; k < sizeof(subst); k++) {
            g_autofree char *copy = g_strdup(xml);
            g_autoptr(GError) error = NULL;
            g_autoptr(GpDomAssignment) a = NULL;

            copy[p - xml] = subst[k];
            a = gp_domxml_read_assignment(copy, strlen(copy), &error);
            if (!a)
                continue;
            /* Whatever is accepted is still within bounds. */
            for (guint i = 0; i < a->requests->len; i++) {
                GpDomRequest *r = g_ptr_array_index(a->requests, i);

                cr_assert(r->count >= 1 && r->count <= GP_DOMXML_MAX_COUNT);
                cr_assert_null(strchr(r->pool, '/'));
            }
            cr_assert_leq(a->devices->len, GP_DOMXML_MAX_COUNT);
        }
    }
    plan_clear(&plan);
}

Test(domxml, two_pools_in_one_domain_read_back_and_round_trip)
{
    g_autofree char *orig = sample("i440fx.xml");
    GpDomPlan plan = plan_for(1, 8ULL << 30, 0);
    GpDomRequest *vgpu = g_new0(GpDomRequest, 1);
    GpDomDevice *mdev = g_new0(GpDomDevice, 1);
    g_autofree char *xml = NULL;
    g_autofree char *restored = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = NULL;

    vgpu->pool = g_strdup("vgpu");
    vgpu->count = 1;
    vgpu->mmio = 1ULL << 30;
    g_ptr_array_add(plan.requests, vgpu);
    mdev->pool = g_strdup("vgpu");
    mdev->uuid = g_strdup("9c4f3a52-1b0e-4d8a-9e3b-0123456789ab");
    g_ptr_array_add(plan.devices, mdev);
    xml = assign_text(orig, &plan);
    a = gp_domxml_read_assignment(xml, strlen(xml), &error);
    cr_assert_not_null(a, "%s", error ? error->message : "");
    cr_assert_eq(a->requests->len, 2);
    cr_assert_eq(gp_dom_assignment_count(a), 2);
    cr_assert_eq(gp_dom_assignment_request(a, "vgpu")->mmio, 1ULL << 30);
    cr_assert_eq(gp_dom_assignment_request(a, "gpus")->mmio, 0);
    cr_assert_str_eq(((GpDomDevice *)g_ptr_array_index(a->devices, 1))->alias, "ua-gpupool-1");
    cr_assert_not_null(strstr(xml, "mmio=\"1073741824\""), "%s", xml);
    restored = unassign_text(xml);
    cr_assert_str_eq(restored, orig);
    plan_clear(&plan);
}

/* The metadata gpupool writes is what xml/metadata.rng describes. */
static void
assert_metadata_matches_schema(const char *xml)
{
    g_autofree char *rng = g_build_filename(GP_TOP_SRCDIR, "xml", "metadata.rng", NULL);
    const char *start = strstr(xml, "<gpupool:assignment");
    const char *end = strstr(xml, "</gpupool:assignment>");
    g_autofree char *fragment = NULL;
    xmlRelaxNGParserCtxtPtr pctxt;
    xmlRelaxNGPtr schema;
    xmlRelaxNGValidCtxtPtr vctxt;
    xmlDocPtr doc;
    int rc;

    cr_assert(start && end);
    fragment = g_strndup(start, (gsize)(end - start) + strlen("</gpupool:assignment>"));
    doc = xmlReadMemory(fragment, (int)strlen(fragment), "metadata.xml", NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    pctxt = xmlRelaxNGNewParserCtxt(rng);
    schema = xmlRelaxNGParse(pctxt);
    cr_assert_not_null(schema);
    vctxt = xmlRelaxNGNewValidCtxt(schema);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlRelaxNGFree(schema);
    xmlRelaxNGFreeParserCtxt(pctxt);
    xmlFreeDoc(doc);
    cr_assert_eq(rc, 0, "metadata does not match xml/metadata.rng:\n%s", fragment);
}

Test(domxml, written_metadata_matches_the_schema)
{
    const char *names[] = { "q35-ovmf.xml", "q35-seabios.xml", "i440fx.xml", "minimal.xml" };

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *orig = sample(names[i]);
        GpDomPlan plan = plan_for(2, 1ULL << 40, 42);
        g_autofree char *xml = NULL;

        ((GpDomRequest *)g_ptr_array_index(plan.requests, 0))->mmio = 1ULL << 40;
        xml = assign_text(orig, &plan);
        assert_metadata_matches_schema(xml);
        plan_clear(&plan);
    }
}

/* What the hook checks against the pools at prepare: every device the
 * domain passes through on its own, in canonical form, but not the
 * <hostdev>s the gpupool metadata accounts for. */
Test(domxml, passthrough_lists_the_hostdevs_gpupool_does_not_own)
{
    const char *xml =
        "<domain type='kvm'><name>vm1</name><uuid>11111111-1111-4111-8111-111111111111</uuid>"
        "<metadata><gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        "<gpupool:request pool='gpus' count='1'/>"
        "<gpupool:device alias='ua-gpupool-0' pool='gpus' address='0000:41:00.0'/>"
        "</gpupool:assignment></metadata><devices>"
        "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x41' "
        "slot='0x00' function='0x0'/></source><alias name='ua-gpupool-0'/></hostdev>"
        "<hostdev mode='subsystem' type='pci'><source><address bus='66' slot='0x1' "
        "function='0'/></source></hostdev>"
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address "
        "uuid='8B4C2A5E-0D63-4B8B-9A55-2F5A3C1E0009'/></source></hostdev>"
        "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/>"
        "<product id='0xbeef'/></source></hostdev>"
        "<hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block>"
        "</source></hostdev>"
        "<interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0xc1' "
        "slot='0x00' function='0x4'/></source></interface>"
        "<interface type='network'><source network='default'/></interface>"
        "</devices></domain>";
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GError) error = NULL;

    cr_assert(gp_domxml_may_pass_through(xml, strlen(xml)));
    a = gp_domxml_read_assignment(xml, strlen(xml), &error);
    cr_assert_not_null(a, "%s", error ? error->message : "");
    cr_assert_eq(a->passthrough->len, 3);
    cr_expect_str_eq(a->passthrough->pdata[0], "0000:42:01.0");
    cr_expect_str_eq(a->passthrough->pdata[1], "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0009");
    cr_expect_str_eq(a->passthrough->pdata[2], "0000:c1:00.4");
}

Test(domxml, passthrough_source_that_cannot_be_read_is_refused)
{
    const char *xml =
        "<domain type='kvm'><name>vm1</name><devices>"
        "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='-1' "
        "slot='0x00' function='0x0'/></source></hostdev></devices></domain>";
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GError) error = NULL;
    const char *plain = "<domain type='kvm'><name>vm1</name><devices/></domain>";

    a = gp_domxml_read_assignment(xml, strlen(xml), &error);
    cr_assert_null(a);
    cr_expect(strstr(error->message, "domain 'vm1': a <hostdev> has a source gpupool cannot "
                                     "read"), "%s", error->message);
    cr_expect_not(gp_domxml_may_pass_through(plain, strlen(plain)));
}

Test(domxml, the_uuid_of_a_domain_too_large_to_parse_is_read_from_its_head)
{
    const char *good = "<domain type='kvm' id='3'>\n  <name>vm1</name>\n  <uuid> "
                       "0F0E0D0C-0B0A-4908-8706-050403020100 </uuid>\n  <memory";
    const char *cases[] = {
        "<domain><name>vm1</name></domain>",                    /* none */
        "<uuid>0f0e0d0c-0b0a-4908-8706-050403020100</uuid><domain>", /* before <domain */
        "<domain><uuid>0f0e0d0c-0b0a-4908-8706-05040302010</uuid>",  /* malformed */
        "<domain><uuid>0f0e0d0c-0b0a-4908-8706-050403020100",        /* cut off */
    };
    g_autofree char *uuid = gp_domxml_head_uuid(good, strlen(good));

    cr_assert_str_eq(uuid, "0f0e0d0c-0b0a-4908-8706-050403020100");
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *none = gp_domxml_head_uuid(cases[i], strlen(cases[i]));

        cr_expect_null(none, "case %u: %s", i, none);
    }
}

/* ---- The hook's libxml2-free reader ----------------------------------- */

/* Both readers of XML: the same assignment, or the fast one declines. */
static void
expect_fast_agrees(const char *what, const char *xml, gboolean must_read)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) fast = gp_domxml_read_assignment_fast(xml, strlen(xml), &error);
    g_autoptr(GpDomAssignment) full = gp_domxml_read_assignment(xml, strlen(xml), NULL);

    if (!fast) {
        cr_assert(g_error_matches(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED), "%s",
                  what);
        cr_assert_not(must_read, "%s: the fast reader declined: %s", what, error->message);
        return;
    }
    cr_assert_not_null(full, "%s: the fast reader accepts what the full one refuses", what);
    cr_assert_str_eq(fast->name, full->name);
    cr_assert_eq(g_strcmp0(fast->uuid, full->uuid), 0);
    cr_assert_eq(fast->requests->len, full->requests->len, "%s", what);
    cr_assert_eq(fast->devices->len, full->devices->len, "%s", what);
    for (guint i = 0; i < fast->devices->len; i++) {
        GpDomDevice *a = fast->devices->pdata[i], *b = full->devices->pdata[i];

        cr_assert_str_eq(a->alias, b->alias);
        cr_assert_eq(g_strcmp0(a->address, b->address), 0);
        cr_assert_eq(g_strcmp0(a->uuid, b->uuid), 0);
    }
    cr_assert_eq(fast->passthrough->len, full->passthrough->len, "%s", what);
    cr_assert_eq(fast->memory, full->memory);
    cr_assert_eq(fast->ovmf, full->ovmf);
    cr_assert_eq(fast->pcihole64, full->pcihole64);
    cr_assert_eq(fast->machine_kind, full->machine_kind);
}

Test(domxml, fast_reader_reads_an_assigned_domain_as_the_full_reader_does)
{
    static const char *const samples[] = { "q35-ovmf.xml", "q35-seabios.xml", "i440fx.xml" };

    for (gsize i = 0; i < G_N_ELEMENTS(samples); i++) {
        g_autofree char *xml = sample(samples[i]);
        g_autoptr(GpDomXml) doc = gp_domxml_parse(xml, strlen(xml), NULL);
        GpDomPlan plan = plan_for(2, 64ULL << 30, 46);
        g_autofree char *out = NULL;

        cr_assert_not_null(doc);
        cr_assert(gp_domxml_apply(doc, &plan, NULL));
        out = gp_domxml_format(doc);
        /* What libvirt passes the hook: read without libxml2. */
        expect_fast_agrees(samples[i], out, TRUE);
        expect_fast_agrees(samples[i], xml, TRUE);
        plan_clear(&plan);
    }
}

Test(domxml, fast_reader_never_accepts_what_the_full_reader_refuses)
{
    g_autofree char *dir = g_build_filename(GP_TOP_SRCDIR, "tests", "fuzz", "corpus", "domain",
                                            NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;

    cr_assert_not_null(d);
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *xml = NULL;

        cr_assert(g_file_get_contents(path, &xml, NULL, NULL));
        expect_fast_agrees(name, xml, FALSE);
        n++;
    }
    cr_assert_gt(n, 10);
}

Test(domxml, fast_reader_leaves_every_refusal_to_the_full_reader)
{
    static const char *const refused[] = {
        /* the namespace written with a character reference */
        "<domain><name>a</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid><metadata>"
        "<g:assignment xmlns:g='http://gpupool.org/xmlns/domain/1&#46;0'>"
        "<g:request pool='gpus' count='1'/></g:assignment></metadata></domain>",
        /* a second <devices> */
        "<domain><name>a</name><devices/><devices><hostdev mode='subsystem' type='pci'>"
        "<source><address bus='0x41' slot='0' function='0'/></source></hostdev></devices>"
        "</domain>",
        /* not a domain */
        "<network><name>a</name></network>",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GError) full_error = NULL;
        g_autoptr(GpDomAssignment) fast = gp_domxml_read_assignment_fast(
            refused[i], strlen(refused[i]), &error);
        g_autoptr(GpDomAssignment) full = gp_domxml_read_assignment(
            refused[i], strlen(refused[i]), &full_error);

        cr_assert_null(full, "%s", refused[i]);
        cr_assert_null(fast, "%s", refused[i]);
        cr_assert(g_error_matches(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED));
        cr_assert(strstr(error->message, full_error->message), "%s", error->message);
    }
}
