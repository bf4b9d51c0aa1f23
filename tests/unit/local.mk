# see tests/local.mk

# Domain XML, MMIO sizing, assignment.
gp_domain_tests = tests/unit/test-domxml tests/unit/test-mmio tests/unit/test-assign \
	tests/unit/test-cmd-assign
check_PROGRAMS += $(gp_domain_tests)
TESTS += $(gp_domain_tests)
EXTRA_DIST += tests/data/domains/q35-ovmf.xml tests/data/domains/q35-seabios.xml \
	tests/data/domains/i440fx.xml tests/data/domains/q35-ovmf-loader.xml \
	tests/data/domains/minimal.xml
# The pure decisions need no simulated host.
gp_domain_test_cppflags = $(AM_CPPFLAGS) -DGP_TOP_SRCDIR=\"$(abs_top_srcdir)\" \
	-DGP_TOP_BUILDDIR=\"$(abs_top_builddir)\"
gp_domain_test_ldadd = src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)
tests_unit_test_domxml_SOURCES = tests/unit/test-domxml.c
tests_unit_test_domxml_CPPFLAGS = $(gp_domain_test_cppflags)
tests_unit_test_domxml_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_domxml_LDADD = $(gp_domain_test_ldadd)
tests_unit_test_mmio_SOURCES = tests/unit/test-mmio.c
tests_unit_test_mmio_CPPFLAGS = $(gp_domain_test_cppflags)
tests_unit_test_mmio_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_mmio_LDADD = $(gp_domain_test_ldadd)
tests_unit_test_assign_SOURCES = tests/unit/test-assign.c
tests_unit_test_assign_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_assign_CPPFLAGS = $(gp_domain_test_cppflags) -I$(top_srcdir)/tests/sim
tests_unit_test_assign_LDADD = src/libgpupool-virt.la tests/sim/libgpsim.la $(gp_domain_test_ldadd) \
	$(GP_VIRT_LIBS) -ldl
# End to end on the simulated host.
tests_unit_test_cmd_assign_SOURCES = tests/unit/test-cmd-assign.c
tests_unit_test_cmd_assign_CPPFLAGS = $(gp_domain_test_cppflags) -I$(top_srcdir)/tests/sim
tests_unit_test_cmd_assign_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_cmd_assign_LDADD = tests/sim/libgpsim.la $(gp_domain_test_ldadd) -ldl

# The simulated sysfs itself (tests/sim).
check_PROGRAMS += tests/unit/test-sim
TESTS += tests/unit/test-sim
tests_unit_test_sim_SOURCES = tests/unit/test-sim.c
tests_unit_test_sim_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
tests_unit_test_sim_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_sim_LDADD = tests/sim/libgpsim.la src/libgpupool.la $(GP_CORE_LIBS) $(CRITERION_LIBS) -ldl

# Pools, their store, claims, vfio-pci binding and the pool CLI.
# test-pool and test-claims need no simulated host.
gp_pool_tests = tests/unit/test-pool tests/unit/test-poolstore tests/unit/test-claims \
	tests/unit/test-vfio tests/unit/test-cmd-pool
check_PROGRAMS += $(gp_pool_tests)
TESTS += $(gp_pool_tests)
gp_pool_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
tests_unit_test_pool_SOURCES = tests/unit/test-pool.c
tests_unit_test_pool_CPPFLAGS = $(gp_pool_test_cppflags)
tests_unit_test_pool_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_pool_LDADD = src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)
tests_unit_test_poolstore_SOURCES = tests/unit/test-poolstore.c
tests_unit_test_poolstore_CPPFLAGS = $(gp_pool_test_cppflags)
tests_unit_test_poolstore_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_poolstore_LDADD = src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)
tests_unit_test_claims_SOURCES = tests/unit/test-claims.c
tests_unit_test_claims_CPPFLAGS = $(gp_pool_test_cppflags)
tests_unit_test_claims_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_claims_LDADD = src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)
tests_unit_test_vfio_SOURCES = tests/unit/test-vfio.c
tests_unit_test_vfio_CPPFLAGS = $(gp_pool_test_cppflags)
tests_unit_test_vfio_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_vfio_LDADD = tests/sim/libgpsim.la src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)
tests_unit_test_cmd_pool_SOURCES = tests/unit/test-cmd-pool.c
tests_unit_test_cmd_pool_CPPFLAGS = $(gp_pool_test_cppflags)
tests_unit_test_cmd_pool_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_cmd_pool_LDADD = tests/sim/libgpsim.la src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)

# Every example in xml/ against its schema (xml/NAME*.xml with xml/NAME.rng).
if HAVE_XMLLINT
TESTS += tests/unit/check-xml-examples.sh
endif
EXTRA_DIST += tests/unit/check-xml-examples.sh

# The libvirt hook: claim logic and the hook binary.
check_PROGRAMS += tests/unit/test-hook
TESTS += tests/unit/test-hook
tests_unit_test_hook_SOURCES = tests/unit/test-hook.c
tests_unit_test_hook_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
tests_unit_test_hook_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_hook_LDADD = tests/sim/libgpsim.la src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS) -ldl

# Device back ends and the partitioning commands.  Vendor modules are
# loaded from the build tree.
gp_part_tests = tests/unit/test-backend-mdev tests/unit/test-backend-vf \
	tests/unit/test-backend-nvidia tests/unit/test-backend-intel \
	tests/unit/test-cmd-partitions
check_PROGRAMS += $(gp_part_tests)
TESTS += $(gp_part_tests)
gp_part_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim \
	-DGP_TEST_PLUGINDIR=\"$(abs_top_builddir)/plugin/.libs\"
gp_part_test_ldadd = tests/sim/libgpsim.la src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS) -ldl
tests_unit_test_backend_mdev_SOURCES = tests/unit/test-backend-mdev.c
tests_unit_test_backend_mdev_CPPFLAGS = $(gp_part_test_cppflags)
tests_unit_test_backend_mdev_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_backend_mdev_LDADD = $(gp_part_test_ldadd)
tests_unit_test_backend_vf_SOURCES = tests/unit/test-backend-vf.c
tests_unit_test_backend_vf_CPPFLAGS = $(gp_part_test_cppflags)
tests_unit_test_backend_vf_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_backend_vf_LDADD = $(gp_part_test_ldadd)
tests_unit_test_backend_nvidia_SOURCES = tests/unit/test-backend-nvidia.c
tests_unit_test_backend_nvidia_CPPFLAGS = $(gp_part_test_cppflags)
tests_unit_test_backend_nvidia_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_backend_nvidia_LDADD = $(gp_part_test_ldadd)
tests_unit_test_backend_intel_SOURCES = tests/unit/test-backend-intel.c
tests_unit_test_backend_intel_CPPFLAGS = $(gp_part_test_cppflags)
tests_unit_test_backend_intel_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_backend_intel_LDADD = $(gp_part_test_ldadd)
tests_unit_test_cmd_partitions_SOURCES = tests/unit/test-cmd-partitions.c
tests_unit_test_cmd_partitions_CPPFLAGS = $(gp_part_test_cppflags)
tests_unit_test_cmd_partitions_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_cmd_partitions_LDADD = $(gp_part_test_ldadd)

# Host model and `gpupool devices`.
gp_host_tests = tests/unit/test-pcidev tests/unit/test-host tests/unit/test-cmd-devices
check_PROGRAMS += $(gp_host_tests)
TESTS += $(gp_host_tests)
EXTRA_DIST += tests/data/pci.ids
gp_host_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim \
	-DGP_TOP_SRCDIR=\"$(abs_top_srcdir)\"
gp_host_test_ldadd = tests/sim/libgpsim.la src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)
tests_unit_test_pcidev_SOURCES = tests/unit/test-pcidev.c tests/unit/host-fixtures.h
tests_unit_test_pcidev_CPPFLAGS = $(gp_host_test_cppflags)
tests_unit_test_pcidev_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_pcidev_LDADD = $(gp_host_test_ldadd)
tests_unit_test_host_SOURCES = tests/unit/test-host.c tests/unit/host-fixtures.h
tests_unit_test_host_CPPFLAGS = $(gp_host_test_cppflags)
tests_unit_test_host_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_host_LDADD = $(gp_host_test_ldadd)
tests_unit_test_cmd_devices_SOURCES = tests/unit/test-cmd-devices.c
tests_unit_test_cmd_devices_CPPFLAGS = $(gp_host_test_cppflags)
tests_unit_test_cmd_devices_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_cmd_devices_LDADD = $(gp_host_test_ldadd)

# The base modules: the sysfs door, PCI addresses, paths, crash-safe files,
# and the CLI's front door.
gp_base_tests = tests/unit/test-sysfs tests/unit/test-pciaddr tests/unit/test-paths \
	tests/unit/test-txfile tests/unit/test-cli
check_PROGRAMS += $(gp_base_tests)
TESTS += $(gp_base_tests)
gp_base_test_ldadd = src/libgpupool.la $(CRITERION_LIBS) $(GP_CORE_LIBS)
tests_unit_test_sysfs_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_sysfs_LDADD = $(gp_base_test_ldadd)
tests_unit_test_pciaddr_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_pciaddr_LDADD = $(gp_base_test_ldadd)
tests_unit_test_paths_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_paths_LDADD = $(gp_base_test_ldadd)
tests_unit_test_txfile_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_txfile_LDADD = $(gp_base_test_ldadd)
tests_unit_test_cli_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_cli_LDADD = $(CRITERION_LIBS) $(GLIB_LIBS)

# The layering rule (src/LAYERS) holds for every file, and its check
# catches each kind of break.
TESTS += tests/unit/check-layers.sh tests/unit/check-layers-self-test.sh
EXTRA_DIST += tests/unit/check-layers.sh tests/unit/check-layers-self-test.sh src/LAYERS

# Clusters (src/cluster/): one simulated node each, through the commands.
gp_cluster_tests = tests/unit/test-runtime tests/unit/test-publish tests/unit/test-migrate \
	tests/unit/test-crmconfig tests/unit/test-cib
check_PROGRAMS += $(gp_cluster_tests)
TESTS += $(gp_cluster_tests)
gp_cluster_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim \
	-DGP_TOP_SRCDIR=\"$(abs_top_srcdir)\"
gp_cluster_test_ldadd = tests/sim/libgpsim.la src/libgpupool.la $(CRITERION_LIBS) \
	$(GP_CORE_LIBS) -ldl
tests_unit_test_runtime_SOURCES = tests/unit/test-runtime.c tests/unit/cluster-fixtures.h
tests_unit_test_runtime_CPPFLAGS = $(gp_cluster_test_cppflags)
tests_unit_test_runtime_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_runtime_LDADD = $(gp_cluster_test_ldadd)
tests_unit_test_publish_SOURCES = tests/unit/test-publish.c tests/unit/cluster-fixtures.h
tests_unit_test_publish_CPPFLAGS = $(gp_cluster_test_cppflags)
tests_unit_test_publish_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_publish_LDADD = $(gp_cluster_test_ldadd)
tests_unit_test_migrate_SOURCES = tests/unit/test-migrate.c tests/unit/cluster-fixtures.h
tests_unit_test_migrate_CPPFLAGS = $(gp_cluster_test_cppflags)
tests_unit_test_migrate_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_migrate_LDADD = $(gp_cluster_test_ldadd)
tests_unit_test_crmconfig_SOURCES = tests/unit/test-crmconfig.c tests/unit/cluster-fixtures.h
tests_unit_test_crmconfig_CPPFLAGS = $(gp_cluster_test_cppflags)
tests_unit_test_crmconfig_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_crmconfig_LDADD = $(gp_cluster_test_ldadd)
tests_unit_test_cib_SOURCES = tests/unit/test-cib.c
tests_unit_test_cib_CPPFLAGS = $(gp_cluster_test_cppflags)
tests_unit_test_cib_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_cib_LDADD = $(gp_cluster_test_ldadd)
EXTRA_DIST += tests/data/cib/make-cibs.sh tests/data/cib/running.xml \
	tests/data/cib/node-lost.xml tests/data/cib/standby.xml tests/data/cib/failed.xml \
	tests/data/cib/mixed.xml
