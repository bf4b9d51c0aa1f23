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
    return contains(xml, len, GP_DOMXML_NS) ||
           (op == GP_HOOK_OP_PREPARE && contains(xml, len, GP_DOMXML_PASSTHROUGH_MARK));
}
