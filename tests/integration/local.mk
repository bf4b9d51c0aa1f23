# SPDX-License-Identifier: GPL-2.0-or-later
# The libvirt integration tier: a private libvirtd + QEMU in a mount
# namespace, the real hook, real virsh (root only; skips otherwise).
EXTRA_DIST += tests/integration/test-libvirt-hook.sh
if ENABLE_TESTS
# Builds the simulated host the tier points gpupool at.
check_PROGRAMS += tests/integration/gp-it-host
tests_integration_gp_it_host_SOURCES = tests/integration/gp-it-host.c
tests_integration_gp_it_host_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
tests_integration_gp_it_host_LDADD = tests/sim/libgpsim.la src/libgpupool.la $(GP_CORE_LIBS) -ldl
TESTS += tests/integration/test-libvirt-hook.sh
endif
