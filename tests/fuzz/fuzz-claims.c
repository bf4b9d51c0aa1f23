/* The claims file, STATEDIR/claims.xml (xml/claims.rng): who holds which
 * device.  The hook loads it on every start and release of a gpupool
 * domain; a wrong reading is a device handed out twice.
 *
 * Input: the file's contents, written to a private state directory
 * (GPUPOOL_STATEDIR) and loaded with gp_claims_load(), as the ledger
 * does.  Checked, besides crashes, leaks and undefined behaviour:
 * refusals say why; what loads is saved as a file that loads back
 * as the same claims, and saving again writes the same bytes. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "base/paths.h"
#include "state/claims.h"

static char *statedir;

static void
remove_statedir(void)
{
    g_autofree char *claims = g_build_filename(statedir, "claims.xml", NULL);

    unlink(claims);
    rmdir(statedir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* A tmpfs if there is one: every save is fsynced. */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir();

    statedir = g_build_filename(base, "gpupool-fuzz-claims-XXXXXX", NULL);
    if (!g_mkdtemp(statedir)) {
        fprintf(stderr, "fuzz-claims: cannot create %s\n", statedir);
        exit(1);
    }
    g_setenv("GPUPOOL_STATEDIR", statedir, TRUE);
    atexit(remove_statedir);
    return 0;
}

static char *
saved(GpClaims *claims)
{
    g_autofree char *path = gp_paths_claims();
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    FUZZ_CHECK(gp_claims_save(claims, &error), "save: %s", error->message);
    FUZZ_CHECK(g_file_get_contents(path, &text, NULL, NULL), "the saved file is gone");
    return text;
}

static void
check_same(GpClaims *a, GpClaims *b)
{
    GPtrArray *ca = gp_claims_all(a);
    GPtrArray *cb = gp_claims_all(b);

    FUZZ_CHECK(ca->len == cb->len, "%u claims saved, %u loaded back", ca->len, cb->len);
    for (guint i = 0; i < ca->len; i++) {
        const GpClaim *x = g_ptr_array_index(ca, i);
        const GpClaim *y = g_ptr_array_index(cb, i);

        FUZZ_CHECK(strcmp(x->device, y->device) == 0 && strcmp(x->pool, y->pool) == 0 &&
                       strcmp(x->domain_uuid, y->domain_uuid) == 0 &&
                       strcmp(x->domain_name, y->domain_name) == 0 && x->since == y->since &&
                       g_strcmp0(x->parent, y->parent) == 0,
                   "the claim on %s changed on the way back", x->device);
        FUZZ_CHECK(gp_claims_find(b, x->device) == y, "the claim on %s is not found",
                   x->device);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *path = gp_paths_claims();
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GpClaims) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;

    FUZZ_CHECK(g_file_set_contents(path, (const char *)data, size, &error), "%s",
               error->message);
    claims = gp_claims_load(&error);
    if (!claims) {
        FUZZ_CHECK_ERROR(error);
        return 0;
    }
    first = saved(claims);
    again = gp_claims_load(&error);
    FUZZ_CHECK(again, "the claims gpupool saved do not load: %s\n%s", error->message, first);
    check_same(claims, again);
    second = saved(again);
    FUZZ_CHECK(strcmp(first, second) == 0, "saving again changed the file:\n%s\n%s", first,
               second);
    return 0;
}
