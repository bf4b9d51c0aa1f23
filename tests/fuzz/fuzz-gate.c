/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook gate's filter (hooks/gate-filter.c): on every domain start of
 * the host it decides, with substring searches, whether gpupool must
 * look at the domain at all.
 *
 * Input: domain XML, tried with every hook operation.  Checked: the gate
 * and the domain part's own filter agree (hooks/hook-ops.h: the two
 * must never disagree about what reaches the hook), and the XML the gate
 * lets through is read without crashing. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "hooks/gate-filter.h"
#include "state/domxml.h"

static const GpHookOp ops[] = {
    GP_HOOK_OP_IGNORED, GP_HOOK_OP_PREPARE, GP_HOOK_OP_RELEASE,
    GP_HOOK_OP_RECONNECT, GP_HOOK_OP_MIGRATE, GP_HOOK_OP_RESTORE,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    gboolean any = FALSE;

    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
        GpHookOp op = ops[i];
        int gate = gp_gate_wants(op, xml, size);
        /* hooks/hook.c's test, run by the domain part on what it gets. */
        int hook = op != GP_HOOK_OP_IGNORED &&
                   (gp_domxml_has_assignment(xml, size) ||
                    (op == GP_HOOK_OP_PREPARE && gp_domxml_may_pass_through(xml, size)));

        FUZZ_CHECK(!gate == !hook, "operation %d: the gate says %d, the hook's filter %d", op,
                   gate, hook);
        any = any || gate;
    }
    if (any) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GpDomAssignment) asg = gp_domxml_read_assignment(xml, size, &error);

        if (!asg)
            FUZZ_CHECK_ERROR(error);
    }
    return 0;
}
