/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libxml2-free XML tree (src/base/xmltree.c): on the subset it reads
 * it gives libxml2's tree, namespaces resolved; outside it, and on
 * anything libxml2 refuses, it declines to judge. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "base/xmldoc.h"
#include "base/xmltree.h"

#define TEST_ERROR test_error_quark()
static G_DEFINE_QUARK(test-error-quark, test_error)

TestSuite(xmltree);

/* The tree libxml2 gives for XML (as gpupool parses untrusted XML), or
 * NULL if libxml2 refuses it. */
static GpXmlNode *
libxml2_tree(const char *xml)
{
    g_autoptr(xmlDoc) doc = gp_xmldoc_parse_editable("test", xml, strlen(xml), 1 << 20,
                                                     TEST_ERROR, 1, NULL);

    return doc ? gp_xmldoc_to_tree(xmlDocGetRootElement(doc)) : NULL;
}

static void
expect_same_tree(const char *xml)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpXmlNode) ours = gp_xmltree_parse(xml, strlen(xml), &error);
    g_autoptr(GpXmlNode) theirs = libxml2_tree(xml);

    cr_assert_not_null(ours, "%s: %s", xml, error ? error->message : "");
    cr_assert_not_null(theirs, "libxml2 refuses %s", xml);
    cr_assert(gp_xmltree_equal(ours, theirs), "trees differ for %s", xml);
}

static void
expect_undecided(const char *xml)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpXmlNode) ours = gp_xmltree_parse(xml, strlen(xml), &error);

    cr_assert_null(ours, "read %s", xml);
    cr_assert(g_error_matches(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED), "%s", xml);
    cr_assert(error->message && *error->message);
}

Test(xmltree, libvirt_domain_reads_as_libxml2_reads_it_namespaces_resolved)
{
    const char *xml =
        "<domain type='kvm'>\n"
        "  <name>vm&amp;1</name>\n"
        "  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"
        "  <metadata>\n"
        "    <gpupool:assignment xmlns:gpupool=\"http://gpupool.org/xmlns/domain/1.0\">\n"
        "      <gpupool:request pool='gpus' count='1'/>\n"
        "    </gpupool:assignment>\n"
        "  </metadata>\n"
        "  <devices>\n"
        "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
        "      <source><address domain='0x0000' bus='0x41' slot='0x00' function='0x0'/></source>\n"
        "      <alias name='ua-gpupool-0'/>\n"
        "    </hostdev>\n"
        "  </devices>\n"
        "</domain>\n";
    g_autoptr(GpXmlNode) root = gp_xmltree_parse(xml, strlen(xml), NULL);
    GpXmlNode *meta, *asg;
    g_autofree char *name = NULL;

    expect_same_tree(xml);
    cr_assert(gp_xmltree_is(root, NULL, "domain"));
    name = gp_xmltree_text(gp_xmltree_child(root, "name"));
    cr_assert_str_eq(name, "vm&1");
    meta = gp_xmltree_child(root, "metadata");
    asg = gp_xmltree_first_element(meta);
    cr_assert(gp_xmltree_is(asg, "http://gpupool.org/xmlns/domain/1.0", "assignment"));
    cr_assert_str_eq(gp_xmltree_attr(gp_xmltree_first_element(asg), "count"), "1");
    cr_assert_null(gp_xmltree_child(meta, "assignment"), "a namespaced element is not plain");
}

Test(xmltree, references_decode_and_adjacent_text_is_one_node)
{
    expect_same_tree("<a x='&#x3c;&lt;&gt;&quot;&apos;&#65;'>one&#32;two&amp;three</a>");
    expect_same_tree("<a xmlns:p='urn:x&#58;y'><p:b p:c='1' c='2'/></a>");
    expect_same_tree("<a>\n  <b/>\t\n</a>");
}

Test(xmltree, anything_but_elements_text_and_references_is_left_to_libxml2)
{
    expect_undecided("<?xml version='1.0'?><a/>");
    expect_undecided("<!DOCTYPE a><a/>");
    expect_undecided("<a><!-- note --></a>");
    expect_undecided("<a><![CDATA[x]]></a>");
    expect_undecided("<a><?pi x?></a>");
    expect_undecided("<a>x]]>y</a>");
    expect_undecided("<a/>\n<!DOCTYPE a>");
}

Test(xmltree, namespaces_it_cannot_resolve_as_libxml2_does_are_left_to_libxml2)
{
    expect_undecided("<a xmlns='urn:x'/>");
    expect_undecided("<p:a/>");
    expect_undecided("<a p:b='1'/>");
    expect_undecided("<xml:a/>");
    expect_undecided("<a xml:lang='en'/>");
    expect_undecided("<a xmlns:p=''/>");
    expect_undecided("<a xmlns:xml='urn:x'/>");
    expect_undecided("<a:b:c/>");
    /* libxml2 names this namespace "urn:a&#38;b". */
    expect_undecided("<a xmlns:p='urn:a&amp;b'><p:b/></a>");
    /* Two prefixes of one namespace name the same attribute. */
    expect_undecided("<a xmlns:p='urn:x' xmlns:q='urn:x' p:b='1' q:b='2'/>");
}

Test(xmltree, what_gmarkup_reads_laxer_than_libxml2_is_left_to_libxml2)
{
    expect_undecided("<a b='1' b='2'/>");
    /* Written tabs and line ends in a value are spaces to both; a
     * referenced one is not, and the decoded value does not tell. */
    expect_same_tree("<a b='x\ty\nz'/>");
    expect_undecided("<a b='x&#10;y'/>");
    expect_undecided("<a b='x&#9;y'/>");
    expect_undecided("<a>\r\n</a>");
    expect_undecided("<a>&#1;</a>");
    expect_undecided("<a b='&# 100;'/>");
    expect_undecided("<a>&#+65;</a>");
    expect_undecided("<a>&#x-41;</a>");
    expect_undecided("<a>\x01</a>");
    expect_undecided("<a/><b/>");
    expect_undecided("<a b='1'c='2'/>");
    expect_undecided("<a b='<'/>");
    expect_same_tree("<a b='1'\tc=\"'\"/>");
    expect_undecided("<\xc3\xa9/>");
    expect_undecided("\xef\xbb\xbf<a/>");
}

Test(xmltree, malformed_input_is_never_read)
{
    expect_undecided("");
    expect_undecided("<a>");
    expect_undecided("<a></b>");
    expect_undecided("<a>&foo;</a>");
    expect_undecided("<a b=1/>");
    expect_undecided("<a>\xff</a>");
}

Test(xmltree, nesting_deeper_than_libxml2_reads_is_left_to_it)
{
    GString *xml = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GpXmlNode) root = NULL;

    for (int i = 0; i < GP_XMLTREE_MAX_DEPTH + 1; i++)
        g_string_append(xml, "<a>");
    for (int i = 0; i < GP_XMLTREE_MAX_DEPTH + 1; i++)
        g_string_append(xml, "</a>");
    root = gp_xmltree_parse(xml->str, xml->len, &error);
    cr_assert_null(root);
    cr_assert(g_error_matches(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED));
    g_string_free(xml, TRUE);
}

Test(xmltree, text_of_an_element_is_all_its_descendant_text_without_comments)
{
    const char *xml = "<a> x <b>y</b><!-- c -->z </a>";
    g_autoptr(GpXmlNode) root = libxml2_tree(xml);
    g_autofree char *text = gp_xmltree_text(root);
    g_autoptr(GpXmlNode) blank = libxml2_tree("<a> \n</a>");

    cr_assert_str_eq(text, " x yz ");
    cr_assert(gp_xmltree_is_blank(blank->children));
    cr_assert_not(gp_xmltree_is_blank(root->children));
}
