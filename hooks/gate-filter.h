/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the hook gate (gate.c) hands on to the domain part.  Libc
 * only, like the gate, and apart from it so that the decision can be
 * checked without running a program (tests/fuzz/fuzz-gate.c). */
#pragma once

#include <stddef.h>

#include "hooks/hook-ops.h"

/* Nonzero if the LEN bytes of domain XML at XML (not NUL-terminated) may
 * concern gpupool at operation OP: they mention gpupool's namespace, or,
 * at prepare begin, they may pass a host device through.  It must let
 * through everything the domain part's own filter lets through
 * (gp_domxml_has_assignment(), gp_domxml_may_pass_through()). */
int gp_gate_wants(GpHookOp op, const char *xml, size_t len);
