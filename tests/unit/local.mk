# SPDX-License-Identifier: GPL-2.0-or-later
# see tests/local.mk
#
# Unit tests mirror the modules: src/LAYER/NAME.c (and hooks/, plugin/)
# is tested by tests/unit/test-NAME.c, one Criterion suite named after the
# module; the commands, run as the admin runs them, by
# tests/unit/test-cmd-NAME.c (test-cmd-pool.c holds the pool-* commands
# and setup, test-cmd-partitions.c partitions, partition-set and
# pool-check; the libvirt commands run in test-assign.c).  test-views.c
# holds every view of a pool's capacity to the same numbers.  To add the
# test file of a new module:
#   1. write tests/unit/test-NAME.c; build simulated hosts with tests/sim
#      (sim.h) and the shared builders of pool-fixtures.h, run the hook with
#      hook-runner.h and gpupool with cli-runner.h, and either killed at
#      its Nth change with crash-runner.h (tests/crash): a host two suites
#      need is added to pool-fixtures.c, never written twice;
#   2. add tests/unit/test-NAME to the group of its layer below, and give
#      it the four lines every test has:
#        tests_unit_test_NAME_SOURCES = tests/unit/test-NAME.c
#        tests_unit_test_NAME_CPPFLAGS = $(gp_unit_cppflags)
#        tests_unit_test_NAME_CFLAGS = $(gp_unit_cflags)
#        tests_unit_test_NAME_LDADD = $(gp_unit_ldadd)
#      (a test of the libvirt layer links $(gp_virt_test_ldadd) instead);
#   3. a new data file goes into EXTRA_DIST, so that `make distcheck`
#      builds and runs the test from the release tarball too.

gp_unit_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim -I$(top_srcdir)/tests/crash \
	-I$(top_srcdir)/tests/unit \
	-DGP_TOP_SRCDIR=\"$(abs_top_srcdir)\" -DGP_TOP_BUILDDIR=\"$(abs_top_builddir)\" \
	-DGP_TEST_PLUGINDIR=\"$(abs_top_builddir)/plugin/.libs\"
gp_unit_cflags = $(AM_CFLAGS) $(CRITERION_CFLAGS)
gp_unit_ldadd = tests/unit/libgptest.la tests/sim/libgpsim.la src/libgpupool.la \
	$(CRITERION_LIBS) $(GP_CORE_LIBS) -ldl
gp_virt_test_ldadd = src/libgpupool-virt.la $(gp_unit_ldadd) $(GP_VIRT_LIBS)

# Shared by the suites: simulated hosts with pools (pool-fixtures.h), the
# hook run as libvirt runs it (hook-runner.h), gpupool run as the admin
# runs it (cli-runner.h), either killed half-way (crash-runner.h).
check_LTLIBRARIES += tests/unit/libgptest.la
tests_unit_libgptest_la_SOURCES = \
	tests/unit/pool-fixtures.h tests/unit/pool-fixtures.c \
	tests/unit/hook-runner.h tests/unit/hook-runner.c \
	tests/unit/cli-runner.h tests/unit/cli-runner.c \
	tests/crash/crash-runner.h tests/crash/crash-runner.c
tests_unit_libgptest_la_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_libgptest_la_CFLAGS = $(gp_unit_cflags)

# The base modules: the sysfs door, PCI addresses, paths, crash-safe files,
# the system log, XML documents, and the CLI's front door.
gp_base_tests = tests/unit/test-sysfs tests/unit/test-pciaddr tests/unit/test-paths \
	tests/unit/test-txfile tests/unit/test-syslog tests/unit/test-xmldoc tests/unit/test-xmltree tests/unit/test-cli
check_PROGRAMS += $(gp_base_tests)
TESTS += $(gp_base_tests)
gp_base_test_ldadd = src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)
tests_unit_test_sysfs_CFLAGS = $(gp_unit_cflags)
tests_unit_test_sysfs_LDADD = $(gp_base_test_ldadd)
tests_unit_test_pciaddr_CFLAGS = $(gp_unit_cflags)
tests_unit_test_pciaddr_LDADD = $(gp_base_test_ldadd)
tests_unit_test_paths_CFLAGS = $(gp_unit_cflags)
tests_unit_test_paths_LDADD = $(gp_base_test_ldadd)
tests_unit_test_txfile_CFLAGS = $(gp_unit_cflags)
tests_unit_test_txfile_LDADD = $(gp_base_test_ldadd)
tests_unit_test_syslog_CFLAGS = $(gp_unit_cflags)
tests_unit_test_syslog_LDADD = $(gp_base_test_ldadd)
tests_unit_test_xmldoc_SOURCES = tests/unit/test-xmldoc.c
tests_unit_test_xmldoc_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_xmldoc_CFLAGS = $(gp_unit_cflags)
tests_unit_test_xmldoc_LDADD = $(gp_unit_ldadd)
tests_unit_test_xmltree_SOURCES = tests/unit/test-xmltree.c
tests_unit_test_xmltree_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_xmltree_CFLAGS = $(gp_unit_cflags)
tests_unit_test_xmltree_LDADD = $(gp_unit_ldadd)
tests_unit_test_cli_CFLAGS = $(gp_unit_cflags)
tests_unit_test_cli_LDADD = $(CRITERION_LIBS) $(GLIB_LIBS)

# The simulated sysfs itself (tests/sim).
check_PROGRAMS += tests/unit/test-sim
TESTS += tests/unit/test-sim
tests_unit_test_sim_SOURCES = tests/unit/test-sim.c
tests_unit_test_sim_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_sim_CFLAGS = $(gp_unit_cflags)
tests_unit_test_sim_LDADD = $(gp_unit_ldadd)

# The host model, SR-IOV, vfio-pci binding, VFIO users, the back-end
# registry and `gpupool devices`.
gp_host_tests = tests/unit/test-pcidev tests/unit/test-host tests/unit/test-sriov \
	tests/unit/test-vfio tests/unit/test-vfio-users tests/unit/test-backends \
	tests/unit/test-cmd-devices
check_PROGRAMS += $(gp_host_tests)
TESTS += $(gp_host_tests)
EXTRA_DIST += tests/data/pci.ids
tests_unit_test_pcidev_SOURCES = tests/unit/test-pcidev.c tests/unit/host-fixtures.h
tests_unit_test_pcidev_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_pcidev_CFLAGS = $(gp_unit_cflags)
tests_unit_test_pcidev_LDADD = $(gp_unit_ldadd)
tests_unit_test_host_SOURCES = tests/unit/test-host.c tests/unit/host-fixtures.h
tests_unit_test_host_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_host_CFLAGS = $(gp_unit_cflags)
tests_unit_test_host_LDADD = $(gp_unit_ldadd)
tests_unit_test_sriov_SOURCES = tests/unit/test-sriov.c
tests_unit_test_sriov_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_sriov_CFLAGS = $(gp_unit_cflags)
tests_unit_test_sriov_LDADD = $(gp_unit_ldadd)
tests_unit_test_vfio_SOURCES = tests/unit/test-vfio.c
tests_unit_test_vfio_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_vfio_CFLAGS = $(gp_unit_cflags)
tests_unit_test_vfio_LDADD = $(gp_unit_ldadd)
tests_unit_test_vfio_users_SOURCES = tests/unit/test-vfio-users.c
tests_unit_test_vfio_users_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_vfio_users_CFLAGS = $(gp_unit_cflags)
tests_unit_test_vfio_users_LDADD = $(gp_unit_ldadd)
tests_unit_test_backends_SOURCES = tests/unit/test-backends.c
tests_unit_test_backends_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_backends_CFLAGS = $(gp_unit_cflags)
tests_unit_test_backends_LDADD = $(gp_unit_ldadd)
tests_unit_test_cmd_devices_SOURCES = tests/unit/test-cmd-devices.c
tests_unit_test_cmd_devices_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_cmd_devices_CFLAGS = $(gp_unit_cflags)
tests_unit_test_cmd_devices_LDADD = $(gp_unit_ldadd)

# What gpupool records: pools, their store, claims, domain XML and the
# domain request.  They need no simulated host.
gp_state_tests = tests/unit/test-pool tests/unit/test-poolstore tests/unit/test-claims \
	tests/unit/test-domxml tests/unit/test-domain
check_PROGRAMS += $(gp_state_tests)
TESTS += $(gp_state_tests)
EXTRA_DIST += tests/data/domains/q35-ovmf.xml tests/data/domains/q35-seabios.xml \
	tests/data/domains/i440fx.xml tests/data/domains/q35-ovmf-loader.xml \
	tests/data/domains/minimal.xml
tests_unit_test_pool_SOURCES = tests/unit/test-pool.c
tests_unit_test_pool_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_pool_CFLAGS = $(gp_unit_cflags)
tests_unit_test_pool_LDADD = $(gp_unit_ldadd)
tests_unit_test_poolstore_SOURCES = tests/unit/test-poolstore.c
tests_unit_test_poolstore_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_poolstore_CFLAGS = $(gp_unit_cflags)
tests_unit_test_poolstore_LDADD = $(gp_unit_ldadd)
tests_unit_test_claims_SOURCES = tests/unit/test-claims.c
tests_unit_test_claims_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_claims_CFLAGS = $(gp_unit_cflags)
tests_unit_test_claims_LDADD = $(gp_unit_ldadd)
tests_unit_test_domxml_SOURCES = tests/unit/test-domxml.c
tests_unit_test_domxml_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_domxml_CFLAGS = $(gp_unit_cflags)
tests_unit_test_domxml_LDADD = $(gp_unit_ldadd)
tests_unit_test_domain_SOURCES = tests/unit/test-domain.c
tests_unit_test_domain_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_domain_CFLAGS = $(gp_unit_cflags)
tests_unit_test_domain_LDADD = $(gp_unit_ldadd)

# The pure decisions: facts in, plan out.  test-mmio, test-capacity and
# test-reserve need no simulated host.
gp_policy_tests = tests/unit/test-mmio tests/unit/test-capacity tests/unit/test-alloc \
	tests/unit/test-reserve
check_PROGRAMS += $(gp_policy_tests)
TESTS += $(gp_policy_tests)
tests_unit_test_mmio_SOURCES = tests/unit/test-mmio.c
tests_unit_test_mmio_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_mmio_CFLAGS = $(gp_unit_cflags)
tests_unit_test_mmio_LDADD = $(gp_unit_ldadd)
tests_unit_test_capacity_SOURCES = tests/unit/test-capacity.c
tests_unit_test_capacity_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_capacity_CFLAGS = $(gp_unit_cflags)
tests_unit_test_capacity_LDADD = $(gp_unit_ldadd)
tests_unit_test_alloc_SOURCES = tests/unit/test-alloc.c
tests_unit_test_alloc_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_alloc_CFLAGS = $(gp_unit_cflags)
tests_unit_test_alloc_LDADD = $(gp_unit_ldadd)
tests_unit_test_reserve_SOURCES = tests/unit/test-reserve.c
tests_unit_test_reserve_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_reserve_CFLAGS = $(gp_unit_cflags)
tests_unit_test_reserve_LDADD = $(gp_unit_ldadd)

# The ledger and what it reads from the host.
gp_ledger_tests = tests/unit/test-ledger tests/unit/test-probe
check_PROGRAMS += $(gp_ledger_tests)
TESTS += $(gp_ledger_tests)
tests_unit_test_ledger_SOURCES = tests/unit/test-ledger.c
tests_unit_test_ledger_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_ledger_CFLAGS = $(gp_unit_cflags)
tests_unit_test_ledger_LDADD = $(gp_unit_ldadd)
tests_unit_test_probe_SOURCES = tests/unit/test-probe.c
tests_unit_test_probe_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_probe_CFLAGS = $(gp_unit_cflags)
tests_unit_test_probe_LDADD = $(gp_unit_ldadd)


# The transactions: pools applied to the host and the pool commands, a
# pool domain's life and the rebalance, the libvirt hook binary.
gp_ops_tests = tests/unit/test-poolhost tests/unit/test-cmd-pool tests/unit/test-lifecycle \
	tests/unit/test-reconcile tests/unit/test-rebalance tests/unit/test-hook
check_PROGRAMS += $(gp_ops_tests)
TESTS += $(gp_ops_tests)
tests_unit_test_poolhost_SOURCES = tests/unit/test-poolhost.c
tests_unit_test_poolhost_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_poolhost_CFLAGS = $(gp_unit_cflags)
tests_unit_test_poolhost_LDADD = $(gp_unit_ldadd)
tests_unit_test_cmd_pool_SOURCES = tests/unit/test-cmd-pool.c
tests_unit_test_cmd_pool_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_cmd_pool_CFLAGS = $(gp_unit_cflags)
tests_unit_test_cmd_pool_LDADD = $(gp_unit_ldadd)
tests_unit_test_lifecycle_SOURCES = tests/unit/test-lifecycle.c
tests_unit_test_lifecycle_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_lifecycle_CFLAGS = $(gp_unit_cflags)
tests_unit_test_lifecycle_LDADD = $(gp_unit_ldadd)
tests_unit_test_reconcile_SOURCES = tests/unit/test-reconcile.c
tests_unit_test_reconcile_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_reconcile_CFLAGS = $(gp_unit_cflags)
tests_unit_test_reconcile_LDADD = $(gp_unit_ldadd)
tests_unit_test_rebalance_SOURCES = tests/unit/test-rebalance.c
tests_unit_test_rebalance_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_rebalance_CFLAGS = $(gp_unit_cflags)
tests_unit_test_rebalance_LDADD = $(gp_unit_ldadd)
tests_unit_test_hook_SOURCES = tests/unit/test-hook.c
tests_unit_test_hook_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_hook_CFLAGS = $(gp_unit_cflags)
tests_unit_test_hook_LDADD = $(gp_unit_ldadd)

# Device back ends, partitioning and its commands.  Vendor modules are
# loaded from the build tree.
gp_part_tests = tests/unit/test-backend-mdev tests/unit/test-backend-vf \
	tests/unit/test-backend-nvidia tests/unit/test-backend-intel \
	tests/unit/test-partition tests/unit/test-cmd-partitions
check_PROGRAMS += $(gp_part_tests)
TESTS += $(gp_part_tests)
tests_unit_test_backend_mdev_SOURCES = tests/unit/test-backend-mdev.c
tests_unit_test_backend_mdev_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_backend_mdev_CFLAGS = $(gp_unit_cflags)
tests_unit_test_backend_mdev_LDADD = $(gp_unit_ldadd)
tests_unit_test_backend_vf_SOURCES = tests/unit/test-backend-vf.c
tests_unit_test_backend_vf_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_backend_vf_CFLAGS = $(gp_unit_cflags)
tests_unit_test_backend_vf_LDADD = $(gp_unit_ldadd)
tests_unit_test_backend_nvidia_SOURCES = tests/unit/test-backend-nvidia.c
tests_unit_test_backend_nvidia_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_backend_nvidia_CFLAGS = $(gp_unit_cflags)
tests_unit_test_backend_nvidia_LDADD = $(gp_unit_ldadd)
tests_unit_test_backend_intel_SOURCES = tests/unit/test-backend-intel.c
tests_unit_test_backend_intel_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_backend_intel_CFLAGS = $(gp_unit_cflags)
tests_unit_test_backend_intel_LDADD = $(gp_unit_ldadd)
tests_unit_test_partition_SOURCES = tests/unit/test-partition.c
tests_unit_test_partition_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_partition_CFLAGS = $(gp_unit_cflags)
tests_unit_test_partition_LDADD = $(gp_unit_ldadd)
tests_unit_test_cmd_partitions_SOURCES = tests/unit/test-cmd-partitions.c
tests_unit_test_cmd_partitions_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_cmd_partitions_CFLAGS = $(gp_unit_cflags)
tests_unit_test_cmd_partitions_LDADD = $(gp_unit_ldadd)

# The libvirt layer and `gpupool assign`, against libvirt's test driver.
gp_virt_tests = tests/unit/test-assign tests/unit/test-power tests/unit/test-cmd-assign
check_PROGRAMS += $(gp_virt_tests)
TESTS += $(gp_virt_tests)
tests_unit_test_power_SOURCES = tests/unit/test-power.c
tests_unit_test_power_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_power_CFLAGS = $(gp_unit_cflags)
tests_unit_test_power_LDADD = $(gp_virt_test_ldadd)
tests_unit_test_assign_SOURCES = tests/unit/test-assign.c
tests_unit_test_assign_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_assign_CFLAGS = $(gp_unit_cflags)
tests_unit_test_assign_LDADD = $(gp_virt_test_ldadd)
tests_unit_test_cmd_assign_SOURCES = tests/unit/test-cmd-assign.c
tests_unit_test_cmd_assign_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_cmd_assign_CFLAGS = $(gp_unit_cflags)
tests_unit_test_cmd_assign_LDADD = $(gp_unit_ldadd)

# Every view of a pool's capacity tells the same numbers through fill-up
# and release of each pool kind, and assign refuses what prepare would.
check_PROGRAMS += tests/unit/test-views
TESTS += tests/unit/test-views
tests_unit_test_views_SOURCES = tests/unit/test-views.c
tests_unit_test_views_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_views_CFLAGS = $(gp_unit_cflags)
tests_unit_test_views_LDADD = $(gp_virt_test_ldadd)

# Every example in xml/ against its schema (xml/NAME*.xml with xml/NAME.rng).
if HAVE_XMLLINT
TESTS += tests/unit/check-xml-examples.sh
endif
EXTRA_DIST += tests/unit/check-xml-examples.sh

# The layering rule (src/LAYERS) holds for every file, and its check
# catches each kind of break.
TESTS += tests/unit/check-layers.sh tests/unit/check-layers-self-test.sh
EXTRA_DIST += tests/unit/check-layers.sh tests/unit/check-layers-self-test.sh src/LAYERS

# The per-domain view and the start check, against libvirt's test driver
# on a simulated host (tests/unit/virt-fixtures.h).
gp_virt_cmd_tests = tests/unit/test-cmd-check tests/unit/test-cmd-domain
check_PROGRAMS += $(gp_virt_cmd_tests)
TESTS += $(gp_virt_cmd_tests)
tests_unit_test_cmd_check_SOURCES = tests/unit/test-cmd-check.c tests/unit/virt-fixtures.h
tests_unit_test_cmd_check_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_cmd_check_CFLAGS = $(gp_unit_cflags)
tests_unit_test_cmd_check_LDADD = $(gp_unit_ldadd)
tests_unit_test_cmd_domain_SOURCES = tests/unit/test-cmd-domain.c tests/unit/virt-fixtures.h
tests_unit_test_cmd_domain_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_cmd_domain_CFLAGS = $(gp_unit_cflags)
tests_unit_test_cmd_domain_LDADD = $(gp_unit_ldadd)

# Clusters (src/cluster/): one simulated node each, through the commands.
gp_cluster_tests = tests/unit/test-runtime tests/unit/test-publish tests/unit/test-migrate \
	tests/unit/test-crmconfig tests/unit/test-cib
check_PROGRAMS += $(gp_cluster_tests)
TESTS += $(gp_cluster_tests)
tests_unit_test_runtime_SOURCES = tests/unit/test-runtime.c tests/unit/cluster-fixtures.h
tests_unit_test_runtime_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_runtime_CFLAGS = $(gp_unit_cflags)
tests_unit_test_runtime_LDADD = $(gp_unit_ldadd)
tests_unit_test_publish_SOURCES = tests/unit/test-publish.c tests/unit/cluster-fixtures.h
tests_unit_test_publish_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_publish_CFLAGS = $(gp_unit_cflags)
tests_unit_test_publish_LDADD = $(gp_unit_ldadd)
tests_unit_test_migrate_SOURCES = tests/unit/test-migrate.c tests/unit/cluster-fixtures.h
tests_unit_test_migrate_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_migrate_CFLAGS = $(gp_unit_cflags)
tests_unit_test_migrate_LDADD = $(gp_unit_ldadd)
tests_unit_test_crmconfig_SOURCES = tests/unit/test-crmconfig.c tests/unit/cluster-fixtures.h
tests_unit_test_crmconfig_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_crmconfig_CFLAGS = $(gp_unit_cflags)
tests_unit_test_crmconfig_LDADD = $(gp_unit_ldadd)
tests_unit_test_cib_SOURCES = tests/unit/test-cib.c
tests_unit_test_cib_CPPFLAGS = $(gp_unit_cppflags)
tests_unit_test_cib_CFLAGS = $(gp_unit_cflags)
tests_unit_test_cib_LDADD = $(gp_unit_ldadd)
EXTRA_DIST += tests/data/cib/make-cibs.sh tests/data/cib/running.xml \
	tests/data/cib/node-lost.xml tests/data/cib/standby.xml tests/data/cib/failed.xml \
	tests/data/cib/mixed.xml

# bash completion: commands, options, pools, devices and domains offered.
TESTS += tests/unit/test-completion.sh
EXTRA_DIST += tests/unit/test-completion.sh

# gpupool(8) has an entry for every command and its long options.
TESTS += tests/unit/check-man-commands.sh
EXTRA_DIST += tests/unit/check-man-commands.sh

# Every installed program is PIE with RELRO; the hook gate links libc alone.
TESTS += tests/unit/check-programs.sh
EXTRA_DIST += tests/unit/check-programs.sh

# Every source file git tracks carries the SPDX licence line.
TESTS += tests/unit/check-spdx.sh tests/unit/check-spdx-self-test.sh
EXTRA_DIST += tests/unit/check-spdx.sh tests/unit/check-spdx-self-test.sh
