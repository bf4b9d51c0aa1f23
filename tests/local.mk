# Test tiers: unit (Criterion, simulated sysfs), libvirt integration,
# offline cluster (resource agents, placement with crm_simulate),
# end-to-end demo host (make check-vm).
if ENABLE_TESTS
include tests/sim/local.mk
include tests/unit/local.mk
endif
include tests/integration/local.mk
include tests/cluster/local.mk
include tests/vm/local.mk
include bench/local.mk

TESTS_ENVIRONMENT = \
	GPUPOOL_SCHEMADIR=$(abs_top_srcdir)/xml \
	top_srcdir=$(abs_top_srcdir) top_builddir=$(abs_top_builddir)

EXTRA_DIST += \
	tests/debian-packages tests/install-deps \
	tests/run-all-tests tests/run-demo
