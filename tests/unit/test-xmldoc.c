/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the XML gpupool accepts (src/base/xmldoc.c): untrusted input
 * parsed without DTDs and bounded in size, errors in the caller's domain
 * naming the input and the fix, RelaxNG validation naming the line, and
 * the small helpers of our own formats. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "base/xmldoc.h"

#define TEST_ERROR test_error_quark()
static G_DEFINE_QUARK(test-error-quark, test_error)
#define TEST_ERROR_INVALID 7

static void
setup(void)
{
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
}

TestSuite(xmldoc, .init = setup);

static xmlDoc *
parse(const char *xml, gsize max_size, GError **error)
{
    return gp_xmldoc_parse("pool definition gpus.xml", xml, strlen(xml), max_size, TEST_ERROR,
                           TEST_ERROR_INVALID, error);
}

Test(xmldoc, well_formed_input_parses_and_its_attributes_and_text_read_back)
{
    const char *xml = "<pool type='pci'><name>gpus</name><description/></pool>";
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = parse(xml, GP_XMLDOC_MAX_SIZE, &error);
    xmlNode *root;
    g_autofree char *type = NULL;
    g_autofree char *missing = NULL;
    g_autofree char *name = NULL;
    g_autofree char *empty = NULL;

    cr_assert_not_null(doc, "%s", error ? error->message : "");
    root = xmlDocGetRootElement(doc);
    cr_assert(gp_xmldoc_node_is(root, "pool"));
    cr_assert_not(gp_xmldoc_node_is(root, "claims"));
    type = gp_xmldoc_prop(root, "type");
    cr_assert_str_eq(type, "pci");
    missing = gp_xmldoc_prop(root, "name");
    cr_assert_null(missing);
    name = gp_xmldoc_content(xmlFirstElementChild(root));
    cr_assert_str_eq(name, "gpus");
    empty = gp_xmldoc_content(xmlLastElementChild(root));
    cr_assert_str_eq(empty, "");
}

Test(xmldoc, malformed_input_is_refused_in_the_callers_domain_naming_it_and_the_line)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = parse("<pool>\n<name>gpus</nam>\n</pool>", GP_XMLDOC_MAX_SIZE,
                                  &error);

    cr_assert_null(doc);
    cr_assert(g_error_matches(error, TEST_ERROR, TEST_ERROR_INVALID));
    cr_assert(g_str_has_prefix(error->message, "pool definition gpus.xml is not well-formed XML "
                               "(line 2: "), "%s", error->message);
    cr_assert(g_str_has_suffix(error->message, "): fix or recreate it"), "%s", error->message);
    cr_assert_null(strchr(error->message, '\n'), "one line: %s", error->message);
}

Test(xmldoc, a_doctype_is_refused_so_no_entity_is_ever_expanded)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = parse("<!DOCTYPE pool [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
                                  "<pool><name>&e;</name></pool>", GP_XMLDOC_MAX_SIZE, &error);

    cr_assert_null(doc);
    cr_assert(g_error_matches(error, TEST_ERROR, TEST_ERROR_INVALID));
    cr_assert(strstr(error->message, "DOCTYPE"), "%s", error->message);
    cr_assert_null(strstr(error->message, "root:"), "an entity was expanded: %s",
                   error->message);
}

Test(xmldoc, input_over_the_bound_is_refused_before_it_is_parsed)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = parse("<pool><name>gpus</name></pool>", 16, &error);

    cr_assert_null(doc);
    cr_assert_str_eq(error->message, "pool definition gpus.xml is 30 bytes, more than the 16 "
                     "gpupool accepts: is it the right input?");
}

Test(xmldoc, only_the_given_length_is_read)
{
    /* Bytes beyond LEN are not the document's. */
    const char *buf = "<pool type='pci'><name>gpus</name></pool>GARBAGE";
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = gp_xmldoc_parse_editable("pool", buf, strlen(buf) - 7,
                                                     GP_XMLDOC_MAX_SIZE, TEST_ERROR,
                                                     TEST_ERROR_INVALID, &error);

    cr_assert_not_null(doc, "%s", error ? error->message : "");
    cr_assert(gp_xmldoc_contains(buf, 10, "pool"));
    cr_assert_not(gp_xmldoc_contains(buf, strlen(buf) - 7, "GARBAGE"));
    cr_assert(gp_xmldoc_contains(buf, strlen(buf), "GARBAGE"));
    cr_assert_not(gp_xmldoc_contains(buf, 3, "pool"), "the needle runs past LEN");
    cr_assert_not(gp_xmldoc_contains(NULL, 0, "pool"));
}

Test(xmldoc, validation_names_the_schema_the_line_and_the_element)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) good = parse("<pool type='pci'><name>gpus</name></pool>",
                                   GP_XMLDOC_MAX_SIZE, &error);
    g_autoptr(xmlDoc) bad = parse("<pool type='pci'>\n  <name>a b</name>\n</pool>",
                                  GP_XMLDOC_MAX_SIZE, &error);

    cr_assert_not_null(good);
    cr_assert_not_null(bad);
    cr_assert(gp_xmldoc_validate(good, "pool.rng", "gpus.xml", TEST_ERROR, TEST_ERROR_INVALID,
                                 &error), "%s", error ? error->message : "");
    cr_assert_not(gp_xmldoc_validate(bad, "pool.rng", "gpus.xml", TEST_ERROR,
                                     TEST_ERROR_INVALID, &error));
    cr_assert(g_error_matches(error, TEST_ERROR, TEST_ERROR_INVALID));
    cr_assert(g_str_has_prefix(error->message, "gpus.xml does not match the schema pool.rng "
                               "(line 2: <name>"), "%s", error->message);
}

Test(xmldoc, a_missing_schema_says_how_to_find_it)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = parse("<pool/>", GP_XMLDOC_MAX_SIZE, &error);

    g_setenv("GPUPOOL_SCHEMADIR", "/nonexistent", TRUE);
    cr_assert_not(gp_xmldoc_validate(doc, "pool.rng", "gpus.xml", TEST_ERROR,
                                     TEST_ERROR_INVALID, &error));
    cr_assert(strstr(error->message, "schema /nonexistent/pool.rng is missing"), "%s",
              error->message);
    cr_assert(strstr(error->message, "GPUPOOL_SCHEMADIR"), "%s", error->message);
}

Test(xmldoc, attributes_are_written_escaped_and_only_when_set)
{
    g_autoptr(GString) out = g_string_new("<claim");

    gp_xmldoc_append_attr(out, "domain-name", "vm <b> & 'c'");
    gp_xmldoc_append_attr(out, "parent", NULL);
    g_string_append(out, "/>");
    cr_assert_str_eq(out->str, "<claim domain-name='vm &lt;b&gt; &amp; &apos;c&apos;'/>");
}

/* What the scanner must do with byte B inside an attribute value or a
 * text: take it as it stands, or fail (and leave the file to a parser). */
static gboolean
written_verbatim(guchar b, char stop)
{
    if (b == (guchar)stop)
        return TRUE;
    return b >= 0x20 && b < 0x80 && b != '&' && b != '<';
}

/* Every byte value at every place of values long enough for the scanner's
 * eight-byte steps: a byte it must not take verbatim is never skipped,
 * wherever it stands in a step. */
Test(xmldoc, the_scanner_takes_a_byte_verbatim_only_where_the_writer_would_have_put_it)
{
    for (guint len = 1; len <= 24; len++) {
        for (guint at = 0; at < len; at++) {
            for (guint b = 1; b < 256; b++) {
                char attr[64];
                char text[64];
                GpXmlDocScan scan;
                GpXmlDocSpan span;
                gboolean took;

                /* " a='xxx...x'" with byte B at AT. */
                memcpy(attr, " a='", 4);
                memset(attr + 4, 'x', len);
                attr[4 + at] = (char)b;
                attr[4 + len] = '\'';
                gp_xmldoc_scan_init(&scan, attr, 5 + len);
                took = gp_xmldoc_scan_attr(&scan, "a", &span);
                if (b == '\'') {
                    cr_assert(took && span.len == at, "len %u at %u byte 0x%02x", len, at, b);
                } else {
                    cr_assert_eq(took, written_verbatim(b, '\''), "len %u at %u byte 0x%02x",
                                 len, at, b);
                    cr_assert(!took || (span.len == len && gp_xmldoc_scan_end(&scan)));
                }

                /* "xxx...x<" with byte B at AT. */
                memset(text, 'x', len);
                text[at] = (char)b;
                text[len] = '<';
                gp_xmldoc_scan_init(&scan, text, len + 1);
                took = gp_xmldoc_scan_text(&scan, &span);
                if (b == '<')
                    cr_assert(took && span.len == at, "text len %u at %u", len, at);
                else
                    cr_assert_eq(took, written_verbatim(b, '<'), "text len %u at %u byte 0x%02x",
                                 len, at, b);
            }
        }
    }
}
