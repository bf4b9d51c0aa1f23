# SPDX-License-Identifier: GPL-2.0-or-later
# Test tiers: unit (Criterion, simulated sysfs), libvirt integration,
# offline cluster (resource agents, placement with crm_simulate),
# end-to-end demo host (make check-vm).
if ENABLE_TESTS
include tests/sim/local.mk
include tests/unit/local.mk
include tests/crash/local.mk
endif
include tests/integration/local.mk
include tests/cluster/local.mk
include tests/vm/local.mk
include tests/fuzz/local.mk
include bench/local.mk

TESTS_ENVIRONMENT = \
	GPUPOOL_SCHEMADIR=$(abs_top_srcdir)/xml \
	GPUPOOL_HOOK_LIBDIR=$(abs_top_builddir)/hooks/.libs \
	top_srcdir=$(abs_top_srcdir) top_builddir=$(abs_top_builddir) \
	GP_PROGRAMS='$(bin_PROGRAMS) $(libexec_PROGRAMS)' \
	GP_HOOK_MODULE=hooks/.libs/gpupool-hook-domain.so

EXTRA_DIST += \
	tests/debian-packages tests/install-deps \
	tests/run-all-tests tests/run-demo tests/build-deb

# A sanitized build (configure --enable-sanitizers) runs every test
# through tests/sanitizer-check, which fails a test when any process it
# started wrote an AddressSanitizer, UndefinedBehaviorSanitizer or
# LeakSanitizer report (kept in sanitizer-reports/TEST/).
if GP_SANITIZE
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/sanitizer-check
endif
EXTRA_DIST += tests/sanitizer-check tests/sanitizer.supp
clean-local: gp-clean-sanitizer-reports
.PHONY: gp-clean-sanitizer-reports
gp-clean-sanitizer-reports:
	rm -rf sanitizer-reports
