/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The domain definitions the benchmarks feed the hook. */
#pragma once

#include <glib.h>

/* Domain NAME/UUID (new string) whose gpupool request for one device of
 * POOL is already pointed at the PCI device ADDR ("DDDD:BB:SS.F"), as
 * libvirt hands it to the hook at start. */
char *bench_pool_domain_xml(const char *name, const char *uuid, const char *pool,
                            const char *addr);
