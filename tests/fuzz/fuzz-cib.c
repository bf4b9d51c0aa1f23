/* Pacemaker's CIB as gpupool's cluster commands and resource agents read
 * it (gp_cib_parse(), src/cluster/cib.h): the output of `cibadmin
 * --query` or a saved CIB, which anyone who can configure the cluster
 * writes.
 *
 * Input: a CIB.  Checked, besides crashes, leaks and undefined
 * behaviour: refusals say why; a resource runs only on nodes of the CIB
 * that are online ("nothing runs on a node that is not online"); fail
 * counts and migration thresholds stay within Pacemaker's INFINITY. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "cluster/cib.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpCib) cib = gp_cib_parse((const char *)data, size, "the CIB", &error);

    if (!cib) {
        FUZZ_CHECK_ERROR(error);
        return 0;
    }
    for (guint i = 0; i < cib->nodes->len; i++) {
        const GpCibNode *node = g_ptr_array_index(cib->nodes, i);

        FUZZ_CHECK(node->name && gp_cib_node(cib, node->name), "node %u has no name", i);
    }
    for (guint i = 0; i < cib->resources->len; i++) {
        const GpCibResource *r = g_ptr_array_index(cib->resources, i);
        GHashTableIter iter;
        gpointer key, value;

        FUZZ_CHECK(r->id, "resource %u has no ID", i);
        FUZZ_CHECK(r->migration_threshold <= GP_CIB_INFINITY, "%s: migration threshold %u",
                   r->id, r->migration_threshold);
        for (guint j = 0; j < r->running_on->len; j++) {
            const char *name = g_ptr_array_index(r->running_on, j);
            const GpCibNode *node = gp_cib_node(cib, name);

            FUZZ_CHECK(node && node->online, "%s runs on %s, which is %s", r->id, name,
                       node ? "not online" : "no node of the CIB");
        }
        g_hash_table_iter_init(&iter, r->fail_counts);
        while (g_hash_table_iter_next(&iter, &key, &value))
            FUZZ_CHECK(GPOINTER_TO_UINT(value) <= GP_CIB_INFINITY, "%s on %s: %u failures",
                       r->id, (const char *)key, GPOINTER_TO_UINT(value));
    }
    return 0;
}
