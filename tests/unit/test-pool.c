/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pool definitions: names, XML round trip, schema and safety checks. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "state/pool.h"

static GpPool *
parse(const char *xml, GError **error)
{
    return gp_pool_parse_xml(xml, strlen(xml), error);
}

typedef GpPool *(*ParseFunc)(const char *xml, gsize len, GError **error);

static void
expect_invalid_by(ParseFunc parse_func, const char *how, const char *xml, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = parse_func(xml, strlen(xml), &error);

    cr_assert_null(pool, "%s accepted: %s", how, xml);
    cr_assert(g_error_matches(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID),
              "wrong error from %s for %s: %s", how, xml, error ? error->message : "none");
    cr_assert(strstr(error->message, needle), "%s: '%s' not in '%s'", how, needle,
              error->message);
    cr_assert_null(strchr(error->message, '\n'), "multi-line: %s", error->message);
}

/* Parses XML and expects a GP_POOL_ERROR_INVALID whose message contains
 * NEEDLE, both with RelaxNG (pool-define) and with the schema's rules
 * checked by hand (stored pool files, the hook's path). */
static void
expect_invalid(const char *xml, const char *needle)
{
    expect_invalid_by(gp_pool_parse_xml, "RelaxNG", xml, needle);
    expect_invalid_by(gp_pool_parse_stored_xml, "checks by hand", xml, needle);
}

/* Expects both parsers to accept XML and to read the same pool. */
static void
expect_valid(const char *xml)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) a = parse(xml, &error);
    g_autoptr(GpPool) b = NULL;
    g_autofree char *fa = NULL;
    g_autofree char *fb = NULL;

    cr_assert_not_null(a, "RelaxNG refused %s: %s", xml, error ? error->message : "");
    b = gp_pool_parse_stored_xml(xml, strlen(xml), &error);
    cr_assert_not_null(b, "checks by hand refused %s: %s", xml, error ? error->message : "");
    fa = gp_pool_format_xml(a);
    fb = gp_pool_format_xml(b);
    cr_assert_str_eq(fa, fb);
}

Test(pool, xml_round_trips_every_field_of_a_pci_pool)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_new("gpus", GP_POOL_TYPE_PCI, &error);
    g_autoptr(GpPool) back = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *again = NULL;
    GpPoolDevice *dev;

    cr_assert_not_null(pool);
    cr_assert(gp_pool_set_description(pool, "A100s <for> \"ML\" & 'friends' – ünïcode", &error));
    cr_assert(gp_pool_add_device(pool, "0000:81:00.0", "nvidia", NULL, &error));
    cr_assert(gp_pool_add_device(pool, "0000:01:00.1", "snd_hda_intel", "0000:01:00.0", &error));
    cr_assert(gp_pool_add_device(pool, "0000:01:00.0", NULL, NULL, &error));
    xml = gp_pool_format_xml(pool);
    back = parse(xml, &error);
    cr_assert_not_null(back, "%s", error ? error->message : "");
    cr_assert_str_eq(back->name, "gpus");
    cr_assert_eq(back->type, GP_POOL_TYPE_PCI);
    cr_assert_str_eq(back->description, pool->description);
    cr_assert_eq(back->devices->len, 3);
    /* Sorted by address. */
    cr_assert_str_eq(((GpPoolDevice *)back->devices->pdata[0])->address, "0000:01:00.0");
    cr_assert_str_eq(((GpPoolDevice *)back->devices->pdata[2])->address, "0000:81:00.0");
    dev = gp_pool_find_device(back, "0000:01:00.1");
    cr_assert_not_null(dev);
    cr_assert_str_eq(dev->host_driver, "snd_hda_intel");
    cr_assert_str_eq(dev->companion_of, "0000:01:00.0");
    cr_assert_null(gp_pool_find_device(back, "0000:01:00.0")->host_driver);
    again = gp_pool_format_xml(back);
    cr_assert_str_eq(again, xml);
}

Test(pool, xml_round_trips_mdev_type_and_vf_count)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) m = parse("<pool type='mdev'><name>vgpu</name><mdev type='nvidia-63'/>"
                                "<device address='0000:3b:00.0'/><device address='mbochs'/>"
                                "</pool>", &error);
    g_autoptr(GpPool) v = NULL;
    g_autoptr(GpPool) m2 = NULL;
    g_autofree char *mxml = NULL;

    cr_assert_not_null(m, "%s", error ? error->message : "");
    cr_assert_str_eq(m->mdev_type, "nvidia-63");
    cr_assert_eq(m->devices->len, 2);
    mxml = gp_pool_format_xml(m);
    m2 = parse(mxml, &error);
    cr_assert_not_null(m2);
    cr_assert_str_eq(m2->mdev_type, "nvidia-63");
    cr_assert_not_null(gp_pool_find_device(m2, "mbochs"));

    v = parse("<pool type='vf'><vf count='4'/><name>vfs</name>"
              "<device address='0000:4d:00.0' host-driver='i915'/></pool>", &error);
    cr_assert_not_null(v, "%s", error ? error->message : "");
    cr_assert_eq(v->vf_count, 4);
    cr_assert_eq(v->type, GP_POOL_TYPE_VF);
}

Test(pool, parse_canonicalises_short_and_uppercase_addresses)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = parse("<pool type='pci'><name>p</name>"
                                   "<device address='4A:00.0'/></pool>", &error);

    cr_assert_not_null(pool, "%s", error ? error->message : "");
    cr_assert_not_null(gp_pool_find_device(pool, "0000:4a:00.0"));
}

Test(pool, schema_refuses_unknown_elements_types_and_bad_addresses)
{
    expect_invalid("<pool type='pci'><name>a</name><bogus/></pool>", "schema pool.rng");
    expect_invalid("<pool type='gpu'><name>a</name></pool>", "schema pool.rng");
    expect_invalid("<pool type='pci'></pool>", "schema pool.rng");
    expect_invalid("<pool type='pci'><name>a</name><device address='0000:41:00'/></pool>",
                   "schema pool.rng");
    expect_invalid("<pool type='pci'><name>a</name><device address='0000:41:00.8'/></pool>",
                   "schema pool.rng");
    expect_invalid("<pool type='pci'><name>a</name><device address='0000:41:20.0'/></pool>",
                   "schema pool.rng");
    /* Partition settings belong to their pool types only. */
    expect_invalid("<pool type='pci'><name>a</name><vf count='2'/></pool>", "schema pool.rng");
    expect_invalid("<pool type='vf'><name>a</name><device address='0000:41:00.0' "
                   "companion-of='0000:41:00.1'/></pool>", "schema pool.rng");
    expect_invalid("<pool type='pci'><name>a</name><device address='mbochs'/></pool>",
                   "schema pool.rng");
    expect_invalid("<pool type='vf'><name>a</name><vf count='70000'/></pool>",
                   "schema pool.rng");
    /* Errors point at the line. */
    expect_invalid("<pool type='pci'>\n<name>a</name>\n<bogus/></pool>", "line 3");
}

/* What pool.rng refuses that the code reading a pool would not notice by
 * itself: the checks by hand that stand in for the schema on the hook's
 * path must refuse it too. */
Test(pool, stored_pools_are_refused_wherever_the_schema_refuses_them)
{
    static const char *const refused[] = {
        "<pool type='pci'><name>a</name><name>b</name></pool>",
        "<pool type='pci'><name>a</name><description>x</description>"
        "<description>y</description></pool>",
        "<pool type='pci' color='red'><name>a</name></pool>",
        "<pool type='pci' xmlns:x='urn:x' x:type='pci'><name>a</name></pool>",
        "<pool type='pci'>text<name>a</name></pool>",
        "<pool type='pci'><name>a<b/></name></pool>",
        "<pool type='pci'><name lang='en'>a</name></pool>",
        "<pool type='pci'><x:name xmlns:x='urn:x'>a</x:name></pool>",
        "<pool type='pci' xmlns='urn:x'><name>a</name></pool>",
        "<pool type='pci'><name>a</name><device address='0000:41:00.0' bus='pci'/></pool>",
        "<pool type='pci'><name>a</name><device address='0000:41:00.0'>x</device></pool>",
        "<pool type='pci'><name>a</name><device address='0000:41:00.0'><a/></device></pool>",
        "<pool type='pci'><name>a</name><device/></pool>",
        "<pool type='pci'><name>a</name><device address='0000:41:00.0' "
        "host-driver='../evil'/></pool>",
        "<pool type='pci'><name>a</name><device address='0000:41:00.0' "
        "vfs-enabled-by='host'/></pool>",
        "<pool type='pci'><name>a</name><partitions per-domain='2'/></pool>",
        "<pool type='pci'><name>a</name><mdev type='nvidia-63'/></pool>",
        "<pool type='mdev'><name>a</name><mdev/></pool>",
        "<pool type='mdev'><name>a</name><mdev type='nvidia-63'/><mdev type='nvidia-64'/></pool>",
        "<pool type='mdev'><name>a</name><vf count='1'/></pool>",
        "<pool type='mdev'><name>a</name><device address='0000:41:00.0' "
        "companion-of='0000:41:00.1'/></pool>",
        "<pool type='mdev'><name>a</name><partitions/></pool>",
        "<pool type='mdev'><name>a</name><partitions per-domain='65'/></pool>",
        "<pool type='mdev'><name>a</name><partitions per-domain='0'/></pool>",
        "<pool type='vf'><name>a</name><vf/></pool>",
        "<pool type='vf'><name>a</name><vf count='1' profile='a/b'/></pool>",
        "<pool type='vf'><name>a</name><vf count='1' profile=':x'/></pool>",
        "<pool type='mdev'><name>a</name><mdev type=':x'/></pool>",
        "<pool type='vf'><name>a</name><vf count='-1'/></pool>",
        "<pool type='vf'><name>a</name><device address='mbochs'/></pool>",
        "<pool type='vf'><name>a</name><device address='0000:41:00.0' "
        "vfs-enabled-by='someone'/></pool>",
        "<pool type='vf'><name>a</name><partitions per-domain='2'/>"
        "<partitions per-domain='3'/></pool>",
        "<pool type='vf'><description>x</description></pool>",
        "<pool><name>a</name></pool>",
        "<pools type='pci'><name>a</name></pools>",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(refused); i++)
        expect_invalid(refused[i], "");
}

Test(pool, stored_pools_are_read_as_the_schema_reads_them)
{
    expect_valid("<pool type='pci'>\n  <!-- ours -->\n  <device address='41:00.0' "
                 "host-driver='nvidia'/><?pi x?>\n  <name>a</name>\n"
                 "  <description>A100s</description></pool>");
    expect_valid("<pool type='mdev'><partitions per-domain='64'/><name>m</name>"
                 "<device address='mbochs'/><mdev type='nvidia-63'/></pool>");
    expect_valid("<pool type='vf'><name>v</name><vf count='4' profile='nvidia-592'/>"
                 "<partitions per-domain='2'/><device address='0000:4d:00.0' "
                 "vfs-enabled-by='gpupool'/><device address='0000:4e:00.0' "
                 "vfs-enabled-by='host'/></pool>");
    /* A namespace declared and not used changes nothing. */
    expect_valid("<pool type='pci' xmlns:x='urn:unused'><name>a</name></pool>");
}

Test(pool, parse_refuses_doctype_and_entities)
{
    expect_invalid("<?xml version='1.0'?><!DOCTYPE pool [<!ENTITY x 'gpus'>]>"
                   "<pool type='pci'><name>&x;</name></pool>", "DOCTYPE");
    expect_invalid("<!DOCTYPE pool SYSTEM 'http://example.com/pool.dtd'>"
                   "<pool type='pci'><name>a</name></pool>", "DOCTYPE");
    expect_invalid("<pool type='pci'><name>&xxe;</name></pool>", "not well-formed");
}

Test(pool, parse_refuses_input_over_one_mebibyte)
{
    g_autoptr(GString) xml = g_string_new("<pool type='pci'><name>a</name><description>");

    while (xml->len < 1024 * 1024 + 10)
        g_string_append(xml, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    g_string_append(xml, "</description></pool>");
    expect_invalid(xml->str, "bytes");
}

Test(pool, parse_refuses_malformed_xml)
{
    expect_invalid("<pool type='pci'><name>a</name>", "not well-formed");
    expect_invalid("", "not well-formed");
    expect_invalid("gpus", "not well-formed");
}

Test(pool, bytes_that_are_not_utf8_are_refused_in_one_line)
{
    /* libxml2 says this in two lines; the error stays one. */
    expect_invalid("<pool type='pci'><name>gpus</name><description>caf\xe9</description></pool>",
                   "not proper UTF-8");
}

Test(pool, parse_refuses_a_device_listed_twice_in_any_spelling)
{
    expect_invalid("<pool type='pci'><name>a</name><device address='0000:41:00.0'/>"
                   "<device address='41:00.0'/></pool>", "lists 0000:41:00.0 twice");
}

Test(pool, parse_refuses_companions_without_their_device_or_of_a_companion_or_itself)
{
    expect_invalid("<pool type='pci'><name>a</name><device address='0000:01:00.1' "
                   "companion-of='0000:01:00.0'/></pool>", "companion of 0000:01:00.0");
    expect_invalid("<pool type='pci'><name>a</name><device address='0000:02:00.0'/>"
                   "<device address='0000:01:00.1' companion-of='0000:03:00.0'/>"
                   "<device address='0000:03:00.0' companion-of='0000:02:00.0'/></pool>",
                   "not a device of its IOMMU group in this pool");
    expect_invalid("<pool type='pci'><name>a</name><device address='0000:01:00.0' "
                   "companion-of='0000:01:00.0'/></pool>", "not a device of its IOMMU group");
}

/* Endpoints of one IOMMU group in different slots (two GPUs behind one
 * switch port without ACS) join as one member and its companions. */
Test(pool, parse_accepts_a_companion_in_another_slot_of_the_group)
{
    g_autoptr(GError) error = NULL;
    const char *xml = "<pool type='pci'><name>a</name><device address='0000:06:00.0'/>"
                      "<device address='0000:07:00.0' companion-of='0000:06:00.0'/></pool>";
    g_autoptr(GpPool) pool = gp_pool_parse_xml(xml, strlen(xml), &error);

    cr_assert_not_null(pool, "%s", error ? error->message : "");
    cr_assert_str_eq(gp_pool_find_device(pool, "0000:07:00.0")->companion_of, "0000:06:00.0");
}

Test(pool, vf_origin_round_trips_and_old_definitions_stay_valid)
{
    g_autoptr(GError) error = NULL;
    const char *old = "<pool type='vf'><name>v</name><vf count='2'/>"
                      "<device address='0000:4d:00.0' host-driver='i915'/></pool>";
    const char *now = "<pool type='vf'><name>v</name><vf count='2'/>"
                      "<device address='0000:4d:00.0' vfs-enabled-by='gpupool'/>"
                      "<device address='0000:4e:00.0' vfs-enabled-by='host'/></pool>";
    g_autoptr(GpPool) before = gp_pool_parse_xml(old, strlen(old), &error);
    g_autoptr(GpPool) after = NULL;
    g_autoptr(GpPool) again = NULL;
    g_autofree char *text = NULL;

    cr_assert_not_null(before, "%s", error ? error->message : "");
    cr_assert_eq(gp_pool_find_device(before, "0000:4d:00.0")->vfs_origin, GP_POOL_VFS_UNKNOWN);
    text = gp_pool_format_xml(before);
    cr_assert_null(strstr(text, "vfs-enabled-by"), "%s", text);

    after = gp_pool_parse_xml(now, strlen(now), &error);
    cr_assert_not_null(after, "%s", error ? error->message : "");
    g_free(text);
    text = gp_pool_format_xml(after);
    again = gp_pool_parse_xml(text, strlen(text), &error);
    cr_assert_not_null(again, "%s: %s", text, error ? error->message : "");
    cr_assert_eq(gp_pool_find_device(again, "0000:4d:00.0")->vfs_origin, GP_POOL_VFS_GPUPOOL);
    cr_assert_eq(gp_pool_find_device(again, "0000:4e:00.0")->vfs_origin, GP_POOL_VFS_HOST);
    expect_invalid("<pool type='vf'><name>v</name><device address='0000:4d:00.0' "
                   "vfs-enabled-by='someone'/></pool>", "schema pool.rng");
}

Test(pool, names_with_separators_dots_or_over_64_characters_are_refused)
{
    static const char *const bad[] = {
        "", "a/b", "/etc", "..", ".hidden", "-opt", "a b", "gpus\n", "a\\b", "üml",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
    };
    static const char *const good[] = {
        "gpus", "A100_pool.v2", "x", "0", "a-b",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        cr_assert_not(gp_pool_name_check(bad[i], &error), "accepted '%s'", bad[i]);
        cr_assert(g_error_matches(error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID));
        cr_assert(strstr(error->message, "1 to 64"), "%s", error->message);
        cr_assert_null(gp_pool_new(bad[i], GP_POOL_TYPE_PCI, NULL));
    }
    cr_assert_not(gp_pool_name_check(NULL, NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
        cr_assert(gp_pool_name_check(good[i], NULL), "refused '%s'", good[i]);
    expect_invalid("<pool type='pci'><name>../etc</name></pool>", "schema");
}

Test(pool, long_names_in_errors_are_cut_short)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = g_strnfill(5000, 'a');

    cr_assert_not(gp_pool_name_check(name, &error));
    cr_assert_lt(strlen(error->message), 300);
}

Test(pool, type_names_round_trip_and_unknown_ones_are_refused)
{
    GpPoolType t;

    for (GpPoolType i = GP_POOL_TYPE_PCI; i <= GP_POOL_TYPE_VF; i++) {
        cr_assert(gp_pool_type_from_string(gp_pool_type_to_string(i), &t));
        cr_assert_eq(t, i);
    }
    cr_assert_not(gp_pool_type_from_string("PCI", &t));
    cr_assert_not(gp_pool_type_from_string("", &t));
    cr_assert_not(gp_pool_type_from_string(NULL, &t));
}

Test(pool, descriptions_with_control_characters_or_over_1024_bytes_are_refused)
{
    g_autoptr(GpPool) pool = gp_pool_new("p", GP_POOL_TYPE_PCI, NULL);
    g_autofree char *longdesc = g_strnfill(GP_POOL_DESCRIPTION_MAX + 1, 'd');
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    cr_assert_not(gp_pool_set_description(pool, "two\nlines", &e1));
    cr_assert(strstr(e1->message, "pool 'p'"));
    cr_assert_not(gp_pool_set_description(pool, longdesc, &e2));
    cr_assert_null(pool->description);
    cr_assert(gp_pool_set_description(pool, "fine", NULL));
    cr_assert(gp_pool_set_description(pool, NULL, NULL));
    cr_assert_null(pool->description);
}

Test(pool, mdev_type_ids_must_be_directory_names)
{
    cr_assert(gp_pool_mdev_type_check("nvidia-63", NULL));
    cr_assert(gp_pool_mdev_type_check("i915-GVTg_V5_4", NULL));
    cr_assert_not(gp_pool_mdev_type_check("../nvidia-63", NULL));
    cr_assert_not(gp_pool_mdev_type_check("a/b", NULL));
    cr_assert_not(gp_pool_mdev_type_check("", NULL));
}

Test(pool, members_stay_sorted_and_are_added_once)
{
    g_autoptr(GpPool) pool = gp_pool_new("p", GP_POOL_TYPE_PCI, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) comps = NULL;

    cr_assert(gp_pool_add_device(pool, "0000:10:00.0", NULL, NULL, NULL));
    cr_assert(gp_pool_add_device(pool, "0000:09:00.0", NULL, NULL, NULL));
    cr_assert(gp_pool_add_device(pool, "0000:10:00.1", NULL, "0000:10:00.0", NULL));
    cr_assert_not(gp_pool_add_device(pool, "0000:09:00.0", NULL, NULL, &error));
    cr_assert(g_error_matches(error, GP_POOL_ERROR, GP_POOL_ERROR_EXISTS));
    /* Numeric, not string, order: 0x09 before 0x10. */
    cr_assert_str_eq(((GpPoolDevice *)pool->devices->pdata[0])->address, "0000:09:00.0");
    comps = gp_pool_companions(pool, "0000:10:00.0");
    cr_assert_eq(comps->len, 1);
    cr_assert(gp_pool_remove_device(pool, "0000:09:00.0"));
    cr_assert_not(gp_pool_remove_device(pool, "0000:09:00.0"));
    cr_assert_eq(pool->devices->len, 2);
}

Test(pool, a_missing_schema_is_reported_with_the_fix)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autofree char *saved = g_strdup(g_getenv("GPUPOOL_SCHEMADIR"));

    g_setenv("GPUPOOL_SCHEMADIR", "/nonexistent/gpupool-schemas", TRUE);
    pool = parse("<pool type='pci'><name>a</name></pool>", &error);
    if (saved)
        g_setenv("GPUPOOL_SCHEMADIR", saved, TRUE);
    cr_assert_null(pool);
    cr_assert(strstr(error->message, "GPUPOOL_SCHEMADIR"), "%s", error->message);
}

Test(pool, every_example_in_xml_parses)
{
    static const char *const examples[] = {
        "pool-pci.xml", "pool-pci-companion.xml", "pool-mdev.xml", "pool-vf.xml",
    };
    const char *dir = g_getenv("GPUPOOL_SCHEMADIR");

    cr_assert_not_null(dir, "GPUPOOL_SCHEMADIR must point at the source tree's xml/");
    for (size_t i = 0; i < G_N_ELEMENTS(examples); i++) {
        g_autofree char *path = g_build_filename(dir, examples[i], NULL);
        g_autofree char *data = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GpPool) pool = NULL;
        gsize len;

        cr_assert(g_file_get_contents(path, &data, &len, NULL), "cannot read %s", path);
        pool = gp_pool_parse_xml(data, len, &error);
        cr_assert_not_null(pool, "%s: %s", examples[i], error ? error->message : "");
        expect_valid(data);
    }
}

/* ---- Stored files in the writer's spelling ------------------------------
 *
 * gp_pool_parse_stored_xml() reads a file in the one spelling
 * gp_pool_format_xml() writes without building a tree, and leaves any
 * other spelling to the tree.  These tests hold the two ways to the same
 * judgement, byte for byte: an XML declaration in front of a file sends
 * it to the tree without moving its lines. */

#define TREE_ONLY "<?xml version='1.0'?>"

/* Expects the LEN bytes at XML to be read as the tree reads them: the
 * same pool, or the same error. */
static void
expect_read_as_tree(const char *xml, gsize len)
{
    g_autoptr(GString) tree_xml = g_string_new(TREE_ONLY);
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) tree_error = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GpPool) tree_pool = NULL;
    g_autofree char *shown = g_strescape(xml, NULL);

    g_string_append_len(tree_xml, xml, len);
    pool = gp_pool_parse_stored_xml(xml, len, &error);
    tree_pool = gp_pool_parse_stored_xml(tree_xml->str, tree_xml->len, &tree_error);
    if (tree_pool) {
        g_autofree char *a = NULL;
        g_autofree char *b = gp_pool_format_xml(tree_pool);

        cr_assert_not_null(pool, "refused what the tree reads (%s): %s", error->message, shown);
        a = gp_pool_format_xml(pool);
        cr_assert_str_eq(a, b, "read otherwise than the tree: %s", shown);
    } else {
        cr_assert_null(pool, "accepted what the tree refuses (%s): %s", tree_error->message,
                       shown);
        cr_assert_str_eq(error->message, tree_error->message, "%s", shown);
    }
}

/* Pools of every type with every field the writer writes, in its
 * spelling (new strings). */
static GPtrArray *
written_pools(void)
{
    GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GpPool) pci = gp_pool_new("gpus", GP_POOL_TYPE_PCI, NULL);
    g_autoptr(GpPool) mdev = gp_pool_new("vgpu", GP_POOL_TYPE_MDEV, NULL);
    g_autoptr(GpPool) vf = gp_pool_new("flex.1", GP_POOL_TYPE_VF, NULL);
    g_autoptr(GpPool) escaped = gp_pool_new("e", GP_POOL_TYPE_PCI, NULL);

    cr_assert(gp_pool_set_description(pci, "A100s for the ML VMs, ünïcode", NULL));
    cr_assert(gp_pool_add_device(pci, "0000:41:00.0", "nvidia", NULL, NULL));
    cr_assert(gp_pool_add_device(pci, "0000:41:00.1", "snd_hda_intel", "0000:41:00.0", NULL));
    cr_assert(gp_pool_add_device(pci, "0000:81:00.0", NULL, NULL, NULL));
    mdev->mdev_type = g_strdup("nvidia-63");
    mdev->per_domain = 2;
    cr_assert(gp_pool_add_device(mdev, "0000:3b:00.0", "nvidia", NULL, NULL));
    cr_assert(gp_pool_add_device(mdev, "mbochs", NULL, NULL, NULL));
    vf->vf_count = 4;
    vf->vf_profile = g_strdup("nvidia-592");
    cr_assert(gp_pool_add_device(vf, "0000:4d:00.0", "i915", NULL, NULL));
    gp_pool_find_device(vf, "0000:4d:00.0")->vfs_origin = GP_POOL_VFS_GPUPOOL;
    cr_assert(gp_pool_add_device(vf, "0000:4e:00.0", NULL, NULL, NULL));
    cr_assert(gp_pool_set_description(escaped, "A100s <for> \"ML\" & 'friends'", NULL));
    g_ptr_array_add(texts, gp_pool_format_xml(pci));
    g_ptr_array_add(texts, gp_pool_format_xml(mdev));
    g_ptr_array_add(texts, gp_pool_format_xml(vf));
    g_ptr_array_add(texts, gp_pool_format_xml(escaped));
    return texts;
}

Test(pool, stored_files_in_the_writers_spelling_read_back_as_written)
{
    g_autoptr(GPtrArray) texts = written_pools();

    for (guint i = 0; i < texts->len; i++) {
        const char *xml = texts->pdata[i];
        g_autoptr(GError) error = NULL;
        g_autoptr(GpPool) pool = gp_pool_parse_stored_xml(xml, strlen(xml), &error);
        g_autofree char *again = NULL;

        cr_assert_not_null(pool, "%s: %s", xml, error ? error->message : "");
        again = gp_pool_format_xml(pool);
        cr_assert_str_eq(again, xml);
        expect_read_as_tree(xml, strlen(xml));
    }
}

/* Every byte of a written file deleted, replaced or preceded by bytes
 * that matter to XML or to the checks: whatever the damage, the file is
 * read, or refused with the message, that the tree gives. */
Test(pool, every_damage_to_a_stored_file_is_judged_as_the_tree_judges_it)
{
    static const char bytes[] = "'\"&<> \n\tx0fA-:./=;#\x01\x7f\xc3\xa9\xef\xff";
    g_autoptr(GPtrArray) texts = written_pools();

    for (guint i = 0; i < texts->len; i++) {
        const char *xml = texts->pdata[i];
        gsize len = strlen(xml);

        for (gsize at = 0; at <= len; at++) {
            g_autoptr(GString) m = g_string_new_len(xml, len);

            if (at < len) {
                g_string_erase(m, at, 1);
                expect_read_as_tree(m->str, m->len);
            }
            for (gsize b = 0; b < sizeof(bytes) - 1; b++) {
                if (at < len) {
                    g_string_assign(m, xml);
                    m->str[at] = bytes[b];
                    expect_read_as_tree(m->str, m->len);
                }
                g_string_assign(m, xml);
                g_string_insert_c(m, at, bytes[b]);
                expect_read_as_tree(m->str, m->len);
            }
        }
    }
}

/* Values at the edges of what XML and pool.rng allow, in the writer's
 * spelling otherwise: each is read, or refused, as the tree does. */
Test(pool, stored_values_at_the_edges_are_judged_as_the_tree_judges_them)
{
    static const char *const descriptions[] = {
        "a]]>b", "a]]b>", "\xef\xbf\xbe", "\xef\xbf\xbd", "\xc2\x85", "\x7f", "\xed\xa0\x80", "",
    };
    static const char *const elements[] = {
        "  <vf count='65535'/>\n", "  <vf count='65536'/>\n", "  <vf count='+4'/>\n",
        "  <vf count='04' profile='nvidia-592'/>\n", "  <vf count='4' profile='a/b'/>\n",
        "  <partitions per-domain='64'/>\n", "  <partitions per-domain='65'/>\n",
        "  <mdev type='nvidia-63'/>\n", "  <device address='4A:00.0'/>\n",
        "  <device address='0000:4a:00.0' vfs-enabled-by='host'/>\n",
        "  <device address='0000:4a:00.0' vfs-enabled-by='nobody'/>\n",
        "  <device address='0000:4a:20.0'/>\n", "  <device address='mbochs'/>\n",
        "  <device address='0000:4a:00.0' host-driver='-x'/>\n",
        "  <device address='0000:4a:00.0' companion-of='0000:4a:00.0'/>\n",
    };
    static const char *const types[] = { "pci", "mdev", "vf" };

    for (size_t i = 0; i < G_N_ELEMENTS(descriptions); i++) {
        g_autofree char *xml = g_strdup_printf("<pool type='pci'>\n  <name>a</name>\n"
                                               "  <description>%s</description>\n</pool>\n",
                                               descriptions[i]);

        expect_read_as_tree(xml, strlen(xml));
    }
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        for (size_t i = 0; i < G_N_ELEMENTS(elements); i++) {
            g_autofree char *xml = g_strdup_printf("<pool type='%s'>\n  <name>a</name>\n%s"
                                                   "</pool>\n", types[t], elements[i]);

            expect_read_as_tree(xml, strlen(xml));
        }
    }
}

/* A stored file cut short after its name (found by fuzz-pool) is refused,
 * naming the problem in one line. */
Test(pool, a_stored_file_cut_short_is_refused)
{
    const char *xml = "<pool type='pci'>\n  <name>gpus</name>\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = gp_pool_parse_stored_xml(xml, strlen(xml), &error);

    cr_assert_null(pool);
    cr_assert_not_null(error);
    cr_assert_null(strchr(error->message, '\n'), "multi-line: %s", error->message);
}
