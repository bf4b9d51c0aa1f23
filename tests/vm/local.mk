# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end tier: the demo host (a QEMU guest with an emulated IOMMU and
# emulated PCI devices) in which libvirt passes devices through for real.
# Slow (minutes under TCG), so it is its own target; tests/run-all-tests
# and CI run it after make check.  With GPUPOOL_DEB_DIR (tests/run-all-tests
# passes the packages tests/build-deb built and lintian checked) the demo
# host installs them and the scenarios run the installed package;
# without it, the build tree.
gp_vm_scenarios = $(sort $(wildcard $(srcdir)/tests/vm/scenarios/[0-9]*.sh))

check-vm: all
	$(srcdir)/tests/vm/demo-host --builddir $(abs_top_builddir) \
		$${GPUPOOL_DEB_DIR:+--installed} $(gp_vm_scenarios)

# The README's demo: boot the demo host and walk through pool -> assign ->
# start -> stop.
demo: all
	$(srcdir)/tests/vm/demo-host --builddir $(abs_top_builddir) $(srcdir)/tests/vm/scenarios/demo.sh

EXTRA_DIST += \
	tests/vm/demo-host tests/vm/demo tests/vm/lib.sh tests/vm/cluster.sh tests/vm/README.md \
	$(wildcard $(srcdir)/tests/vm/guest/*) \
	$(wildcard $(srcdir)/tests/vm/scenarios/*.sh)

# The demo host booted with systemd as PID 1 and gpupool's Debian package
# installed in it: scenarios/systemd-*.sh.  They install the .deb files
# from GPUPOOL_DEB_DIR (tests/run-all-tests passes the ones it built and
# checked); without it, tests/build-deb builds them into BUILDDIR/deb.
gp_vm_systemd_scenarios = $(sort $(wildcard $(srcdir)/tests/vm/scenarios/systemd-*.sh))
.PHONY: check-vm-systemd
check-vm-systemd: all
	@if [ -z "$$GPUPOOL_DEB_DIR" ]; then $(srcdir)/tests/build-deb $(abs_top_builddir) || exit 1; fi
	$(srcdir)/tests/vm/demo-host --builddir $(abs_top_builddir) --init systemd \
		--scenario-timeout 1200 $(gp_vm_systemd_scenarios)
