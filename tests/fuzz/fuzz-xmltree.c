/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libxml2-free XML reader (gp_xmltree_parse(), src/base/xmltree.h)
 * against libxml2 as gpupool runs it on untrusted XML.
 *
 * Input: XML, seeded with domain XML.  Checked, besides crashes, leaks
 * and undefined behaviour: whatever the GMarkup reader reads, libxml2
 * reads too and gives the same tree (names, namespaces, attributes,
 * text); where it does not read, it says it cannot decide and why.  It
 * may decline what libxml2 reads, never the other way round. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "base/xmldoc.h"
#include "base/xmltree.h"

#define FUZZ_ERROR fuzz_error_quark()
static G_DEFINE_QUARK(fuzz-error-quark, fuzz_error)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GpXmlNode) ours = NULL;
    g_autoptr(GpXmlNode) theirs = NULL;
    g_autoptr(xmlDoc) doc = NULL;

    ours = gp_xmltree_parse(xml, size, &error);
    if (!ours) {
        FUZZ_CHECK(g_error_matches(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED),
                   "a refusal that is not 'cannot decide'");
        FUZZ_CHECK_ERROR(error);
        return 0;
    }
    FUZZ_CHECK(!error, "an error set on success");
    doc = gp_xmldoc_parse_editable("input", xml, size, 16 * 1024 * 1024, FUZZ_ERROR, 1, &error);
    FUZZ_CHECK(doc, "read what libxml2 refuses: %s", error ? error->message : "");
    theirs = gp_xmldoc_to_tree(xmlDocGetRootElement(doc));
    FUZZ_CHECK(gp_xmltree_equal(ours, theirs), "a tree libxml2 reads otherwise");
    return 0;
}
