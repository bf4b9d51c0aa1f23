/* Checks shared by the fuzz targets that read domain XML. */
#pragma once

#include <stddef.h>

#include "state/domxml.h"

/* Every bound src/state/domxml.h promises for an accepted assignment A
 * read from the LEN bytes at XML, and that the hook's cheap first tests
 * (gp_domxml_has_assignment(), gp_domxml_may_pass_through()) do not
 * deny what the reader found.  Aborts otherwise. */
void fuzz_check_assignment(const GpDomAssignment *a, const char *xml, size_t len);
