# SPDX-License-Identifier: GPL-2.0-or-later
# The core, one folder per layer (src/README.md): each layer may include
# only the layers below it, as tests/unit/check-layers.sh checks.
#
#   base -> host -> state -> policy -> ledger -> ops -> cluster -> virt -> cli
#
# libgpupool.la is everything up to cluster, with the built-in back ends
# (plugin/local.mk); it does not link libvirt, so neither does the hook
# (hooks/), which links only it.  libgpupool-virt.la is the one layer that
# talks to libvirt; the CLI links both.
noinst_LTLIBRARIES += src/libgpupool.la src/libgpupool-virt.la
src_libgpupool_la_SOURCES = \
	$(gp_base_sources) \
	$(gp_host_sources) \
	$(gp_state_sources) \
	$(gp_policy_sources) \
	$(gp_ledger_sources) \
	$(gp_ops_sources) \
	$(gp_cluster_sources) \
	$(gp_plugin_builtin_sources)
src_libgpupool_la_LIBADD = $(GP_CORE_LIBS)

# base: the doors to sysfs, files and the system log, PCI addresses, XML
# documents.
gp_base_sources = \
	src/base/sysfs.c src/base/sysfs.h \
	src/base/pciaddr.c src/base/pciaddr.h src/base/pcibar.h src/base/pcihealth.h \
	src/base/paths.c src/base/paths.h \
	src/base/syslog.c src/base/syslog.h \
	src/base/txfile.c src/base/txfile.h \
	src/base/xmldoc.c src/base/xmldoc.h src/base/xmlscan.c \
	src/base/xmltree.c src/base/xmltree.h \
	src/base/oneline.c src/base/oneline.h

# host: the host model (PCI devices, IOMMU groups, assignability),
# vfio-pci binding, SR-IOV, VFIO users, and the back-end registry.
gp_host_sources = \
	src/host/pcidev.c src/host/pcidev-load.c src/host/pcidev.h \
	src/host/host.c src/host/host.h \
	src/host/vfio.c src/host/vfio.h \
	src/host/vfio-users.c src/host/vfio-users.h \
	src/host/sriov.c src/host/sriov.h \
	src/host/backends.c src/host/backends.h

# state: what gpupool records: pool definitions and their store, the
# claims, the domain XML and gpupool's metadata in it.
gp_state_sources = \
	src/state/pool.c src/state/pool.h src/state/pool-priv.h src/state/pool-xml.c \
	src/state/poolstore.c src/state/poolstore.h \
	src/state/claims.c src/state/claims.h \
	src/state/domain.c src/state/domain.h \
	src/state/domxml.c src/state/domxml.h src/state/domxml-priv.h src/state/domxml-read.c \
	src/state/domxml-format.c src/state/domxml-edit.c

# policy: pure decisions, facts in, plan out: MMIO sizing, what a pool
# can give, claims at start, reservations at assign and rebalance.
gp_policy_sources = \
	src/policy/mmio.c src/policy/mmio.h \
	src/policy/capacity.c src/policy/capacity.h \
	src/policy/quarantine.c src/policy/quarantine.h \
	src/policy/alloc.c src/policy/alloc.h \
	src/policy/reserve.c src/policy/reserve.h \
	src/policy/migrate.c src/policy/migrate.h

# ledger: the one owner of capacity, free devices, holders and the lock.
gp_ledger_sources = \
	src/ledger/ledger.c src/ledger/ledger.h \
	src/ledger/probe.c src/ledger/probe.h

# ops: the transactions that apply decisions to the host and the state.
gp_ops_sources = \
	src/ops/poolhost.c src/ops/poolhost.h \
	src/ops/partition.c src/ops/partition.h \
	src/ops/lifecycle.c src/ops/lifecycle.h \
	src/ops/reconcile.c src/ops/reconcile.h \
	src/ops/domassign.c src/ops/domassign.h \
	src/ops/rebalance.c src/ops/rebalance.h

# cluster: what a node tells Pacemaker (runtime copies of cluster
# domains, capacity) and what gpupool reads back from the CIB.
gp_cluster_sources = \
	src/cluster/attrs.c src/cluster/attrs.h \
	src/cluster/runtime.c src/cluster/runtime.h \
	src/cluster/publish.c src/cluster/publish.h \
	src/cluster/crmconfig.c src/cluster/crmconfig.h \
	src/cluster/cib.c src/cluster/cib.h \
	src/cluster/placement.c src/cluster/placement.h \
	src/cluster/homogeneity.c src/cluster/homogeneity.h

# virt: assign, unassign, rebalance, listings, stopping domains and
# migrate-check through libvirt.
src_libgpupool_virt_la_SOURCES = \
	src/virt/assign.c src/virt/assign.h \
	src/virt/power.c src/virt/power.h \
	src/virt/migrate.c src/virt/migrate.h
src_libgpupool_virt_la_LIBADD = $(GP_VIRT_LIBS)

# cli: the admin's command line, one cmd-NAME.c per command.
bin_PROGRAMS += src/gpupool
src_gpupool_SOURCES = \
	src/cli/gpupool.c src/cli/cli.h src/cli/cli.c \
	src/cli/cmd-devices.c \
	src/cli/cmd-pool-define.c src/cli/cmd-pool-create.c src/cli/cmd-pool-add.c \
	src/cli/cmd-pool-remove.c src/cli/cmd-pool-list.c src/cli/cmd-pool-info.c \
	src/cli/cmd-pool-undefine.c src/cli/cmd-setup.c \
	src/cli/cmd-assign.c src/cli/cmd-unassign.c src/cli/restart.c src/cli/restart.h \
	src/cli/cmd-status.c \
	src/cli/cmd-domain.c src/cli/cmd-check.c \
	src/cli/cmd-rebalance.c src/cli/cmd-shutdown-domains.c src/cli/cmd-migrate-check.c \
	src/cli/cmd-partitions.c src/cli/cmd-partition-set.c src/cli/cmd-pool-check.c \
	src/cli/cmd-cluster-prepare.c src/cli/cmd-cluster-forget.c \
	src/cli/cmd-cluster-capacity.c src/cli/cmd-cluster-config.c \
	src/cli/cmd-cluster-status.c
src_gpupool_LDADD = src/libgpupool-virt.la src/libgpupool.la $(GP_CORE_LIBS) $(GP_VIRT_LIBS)

EXTRA_DIST += src/README.md
