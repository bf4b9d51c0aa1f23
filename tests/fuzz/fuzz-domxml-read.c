/* The domain XML reader the hook runs as root on every gpupool domain's
 * start, on XML that less-trusted users may have written
 * (gp_domxml_read_assignment(), src/state/domxml.h).
 *
 * Input: domain XML.  Checked, besides crashes, leaks and undefined
 * behaviour: a refusal says why; what is accepted holds every bound
 * the header promises; and the cheap tests the hook runs first never
 * say "certainly none" about a domain the reader finds a request or a
 * passed-through device in. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "fuzz-domxml.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GError) error = NULL;
    const char *xml = (const char *)data;

    a = gp_domxml_read_assignment(xml, size, &error);
    if (!a) {
        FUZZ_CHECK_ERROR(error);
        return 0;
    }
    FUZZ_CHECK(!error, "an error set on success");
    fuzz_check_assignment(a, xml, size);
    return 0;
}
