#define _GNU_SOURCE
#include "config.h"

#include "hooks/gate-filter.h"

#include <string.h>

static int
contains(const char *xml, size_t len, const char *needle)
{
    return memmem(xml, len, needle, strlen(needle)) != NULL;
}

int
gp_gate_wants(GpHookOp op, const char *xml, size_t len)
{
    if (op == GP_HOOK_OP_IGNORED)
        return 0;
    /* At prepare also what may pass a device through, which includes
     * "hostdev" spelled with character references: libvirt writes none
     * in a domain's devices, so this costs nothing for the usual domain. */
    return contains(xml, len, GP_DOMXML_NS) ||
           (op == GP_HOOK_OP_PREPARE && (contains(xml, len, GP_DOMXML_PASSTHROUGH_MARK) ||
                                         contains(xml, len, GP_DOMXML_CHARREF_MARK)));
}
