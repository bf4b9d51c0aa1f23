# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmarks: `make bench` builds every program in GP_BENCHES and runs
# them; each prints its medians and exits non-zero when over its target.
# Add a benchmark here: GP_BENCHES += bench/bench-NAME, and its _SOURCES
# (and _CPPFLAGS/_LDADD like bench-devices).
GP_BENCHES = bench/bench-devices
GP_BENCHES += bench/bench-hook
GP_BENCHES += bench/bench-storm
EXTRA_DIST += bench/bench-cluster.sh

if ENABLE_TESTS
# Built with everything else so they never rot; run only by `make bench`.
noinst_PROGRAMS += $(GP_BENCHES)
gp_bench_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
gp_bench_ldadd = tests/sim/libgpsim.la src/libgpupool.la $(GP_CORE_LIBS)

bench_bench_devices_SOURCES = bench/bench-devices.c
bench_bench_devices_CPPFLAGS = $(gp_bench_cppflags)
bench_bench_devices_LDADD = $(gp_bench_ldadd)

bench_bench_hook_SOURCES = bench/bench-hook.c bench/bench-domain.c bench/bench-domain.h
bench_bench_hook_CPPFLAGS = $(gp_bench_cppflags)
bench_bench_hook_LDADD = $(gp_bench_ldadd) -ldl

bench_bench_storm_SOURCES = bench/bench-storm.c bench/bench-domain.c bench/bench-domain.h
bench_bench_storm_CPPFLAGS = $(gp_bench_cppflags)
bench_bench_storm_LDADD = $(gp_bench_ldadd) -ldl
# bench-storm runs the real-libvirtd tier's step l, which needs its host
# builder.
bench: tests/integration/gp-it-host
# bench-hook spawns the hook programs as libvirt would; bench-devices runs
# gpupool with the simulated kernel preloaded (gp_sim_run()), an object
# only `make check` would build otherwise.
bench: hooks/gpupool-hook hooks/gpupool-hook-domain.la hooks/gpupool-hook-domain-xml \
	hooks/gpupool-xml.la tests/sim/libgpsim-preload.la

# bench-cluster.sh: GpuDomain's cost over VirtualDomain's, and node loss
# to a domain running on the survivor in a cluster of namespaced nodes.
bench: ocf/GpuDomain ocf/PoolCapacity tests/integration/gp-it-host

bench: $(GP_BENCHES) src/gpupool
	@fail=0; \
	for b in $(GP_BENCHES); do \
	  top_srcdir=$(abs_top_srcdir) top_builddir=$(abs_top_builddir) \
	    GPUPOOL_SCHEMADIR=$(abs_top_srcdir)/xml \
	    GPUPOOL_HOOK_LIBDIR=$(abs_top_builddir)/hooks/.libs ./$$b || fail=1; \
	done; \
	top_srcdir=$(abs_top_srcdir) top_builddir=$(abs_top_builddir) \
	  GPUPOOL_SCHEMADIR=$(abs_top_srcdir)/xml \
	  $(abs_top_srcdir)/bench/bench-cluster.sh || fail=1; \
	exit $$fail
else
bench:
	@echo "make bench needs the test simulator (tests/sim): configure without --disable-tests" >&2; \
	exit 1
endif
