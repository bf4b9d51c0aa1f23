/* Pool definitions: `gpupool pool-define FILE` reads an admin's file
 * against the schema (gp_pool_parse_xml()), the hook reads the stored
 * CONFDIR/pools/NAME.xml with the schema's rules checked by hand
 * (gp_pool_parse_stored_xml(), src/state/pool.h).
 *
 * Input: a pool definition.  Checked, besides crashes, leaks and
 * undefined behaviour: refusals say why; the checks by hand refuse
 * everything the schema refuses (pool.h: "refuses the same
 * definitions"); and what is accepted is written back
 * (gp_pool_format_xml()) as a definition both readers accept and that
 * reads back as the same pool. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "state/pool.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* pool.rng from the source tree, unless the caller points elsewhere. */
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", FALSE);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GpPool) checked = NULL;
    g_autoptr(GpPool) stored = NULL;
    g_autoptr(GpPool) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) stored_error = NULL;
    g_autofree char *text = NULL;
    g_autofree char *text_again = NULL;

    checked = gp_pool_parse_xml((const char *)data, size, &error);
    stored = gp_pool_parse_stored_xml((const char *)data, size, &stored_error);
    if (!checked)
        FUZZ_CHECK_ERROR(error);
    if (!stored)
        FUZZ_CHECK_ERROR(stored_error);
    FUZZ_CHECK(!stored || checked, "the stored-file reader accepts what the schema refuses: %s",
               error ? error->message : "");
    if (!checked)
        return 0;
    FUZZ_CHECK(stored, "the stored-file reader refuses a valid pool: %s",
               stored_error->message);

    text = gp_pool_format_xml(checked);
    {
        g_autofree char *stored_text = gp_pool_format_xml(stored);

        FUZZ_CHECK(strcmp(text, stored_text) == 0, "the two readers read different pools");
    }
    g_clear_error(&error);
    again = gp_pool_parse_xml(text, strlen(text), &error);
    FUZZ_CHECK(again, "a pool gpupool wrote is refused: %s\n%s", error->message, text);
    text_again = gp_pool_format_xml(again);
    FUZZ_CHECK(strcmp(text, text_again) == 0, "the pool changed on the way back:\n%s\n%s", text,
               text_again);
    g_clear_pointer(&again, gp_pool_free);
    again = gp_pool_parse_stored_xml(text, strlen(text), &error);
    FUZZ_CHECK(again, "a pool gpupool wrote is refused when stored: %s", error->message);
    return 0;
}
