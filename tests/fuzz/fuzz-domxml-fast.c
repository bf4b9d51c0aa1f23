/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook's libxml2-free domain reader (gp_domxml_read_assignment_fast())
 * against the full one (gp_domxml_read_assignment()), src/state/domxml.h.
 *
 * Input: domain XML.  Checked, besides crashes, leaks and undefined
 * behaviour: where the fast reader gives an assignment, the full one
 * gives the same (every field); where it gives none, it says it cannot
 * decide and why.  It never accepts what the full reader refuses. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "base/xmltree.h"
#include "state/domxml.h"

static gboolean
strv_equal(GPtrArray *a, GPtrArray *b)
{
    if (a->len != b->len)
        return FALSE;
    for (guint i = 0; i < a->len; i++)
        if (g_strcmp0(a->pdata[i], b->pdata[i]) != 0)
            return FALSE;
    return TRUE;
}

static gboolean
assignment_equal(const GpDomAssignment *x, const GpDomAssignment *y)
{
    if (g_strcmp0(x->uuid, y->uuid) || g_strcmp0(x->name, y->name) ||
        x->requests->len != y->requests->len || x->devices->len != y->devices->len ||
        x->changes->len != y->changes->len || x->pcihole64 != y->pcihole64 ||
        x->ovmf_mmio64 != y->ovmf_mmio64 || x->phys_bits != y->phys_bits ||
        x->phys_bits_passthrough != y->phys_bits_passthrough ||
        g_strcmp0(x->machine, y->machine) || x->machine_kind != y->machine_kind ||
        g_strcmp0(x->arch, y->arch) || x->ovmf != y->ovmf ||
        g_strcmp0(x->on_crash, y->on_crash) || x->memory != y->memory ||
        x->memory_slots != y->memory_slots || !strv_equal(x->passthrough, y->passthrough) ||
        !strv_equal(x->passthrough_kinds, y->passthrough_kinds))
        return FALSE;
    for (guint i = 0; i < x->requests->len; i++) {
        const GpDomRequest *a = x->requests->pdata[i], *b = y->requests->pdata[i];

        if (g_strcmp0(a->pool, b->pool) || a->count != b->count || a->mmio != b->mmio ||
            a->has_type != b->has_type || a->type != b->type ||
            g_strcmp0(a->profile, b->profile))
            return FALSE;
    }
    for (guint i = 0; i < x->devices->len; i++) {
        const GpDomDevice *a = x->devices->pdata[i], *b = y->devices->pdata[i];

        if (g_strcmp0(a->alias, b->alias) || a->index != b->index ||
            g_strcmp0(a->pool, b->pool) || g_strcmp0(a->address, b->address) ||
            g_strcmp0(a->uuid, b->uuid))
            return FALSE;
    }
    for (guint i = 0; i < x->changes->len; i++) {
        const GpDomChange *a = x->changes->pdata[i], *b = y->changes->pdata[i];

        if (g_strcmp0(a->what, b->what) || g_strcmp0(a->value, b->value) ||
            g_strcmp0(a->previous, b->previous))
            return FALSE;
    }
    return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    g_autoptr(GpDomAssignment) fast = NULL;
    g_autoptr(GpDomAssignment) full = NULL;
    g_autoptr(GError) error = NULL;

    fast = gp_domxml_read_assignment_fast(xml, size, &error);
    if (!fast) {
        FUZZ_CHECK(g_error_matches(error, GP_XMLTREE_ERROR, GP_XMLTREE_ERROR_UNDECIDED),
                   "a refusal that is not 'cannot decide'");
        FUZZ_CHECK_ERROR(error);
        return 0;
    }
    FUZZ_CHECK(!error, "an error set on success");
    full = gp_domxml_read_assignment(xml, size, &error);
    FUZZ_CHECK(full, "accepted what the full reader refuses: %s", error ? error->message : "");
    FUZZ_CHECK(assignment_equal(fast, full), "an assignment the full reader reads otherwise");
    return 0;
}
