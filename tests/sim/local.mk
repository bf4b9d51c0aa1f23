# SPDX-License-Identifier: GPL-2.0-or-later
# The simulated sysfs every unit test stands on (see tests/sim/sim.h).
#
# libgpsim.la: builder, fixtures, snapshot, gp_sim_run, and the write()
# interposer that plays the kernel inside the test binary.  Link tests with
#   tests/sim/libgpsim.la src/libgpupool.la $(GP_CORE_LIBS) $(CRITERION_LIBS)
# libgpsim-preload.la: the same simulated kernel as an LD_PRELOAD object
# for child processes (gp_sim_run()); it must not need libgpupool.
gp_sim_kernel_sources = \
	tests/sim/sim.h tests/sim/simint.h \
	tests/sim/simfs.c \
	tests/sim/simctx.c \
	tests/sim/simconfig.c \
	tests/sim/simpci.c \
	tests/sim/simsriov.c \
	tests/sim/simmdev.c \
	tests/sim/simvgpu.c \
	tests/sim/simhotplug.c \
	tests/sim/simkernel.c

check_LTLIBRARIES += tests/sim/libgpsim.la
tests_sim_libgpsim_la_SOURCES = \
	$(gp_sim_kernel_sources) \
	tests/sim/sim.c \
	tests/sim/simfixtures.c \
	tests/sim/simfixture-switch.c \
	tests/sim/simsnapshot.c \
	tests/sim/simrun.c
tests_sim_libgpsim_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
tests_sim_libgpsim_la_LIBADD = $(GLIB_LIBS) -ldl

check_LTLIBRARIES += tests/sim/libgpsim-preload.la
tests_sim_libgpsim_preload_la_SOURCES = $(gp_sim_kernel_sources)
tests_sim_libgpsim_preload_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim
# Never sanitized: it is preloaded into every program a test starts and
# into what those start in turn (shells, date, xmllint), and a sanitized
# object would bring the sanitizer runtime into all of them.  The same
# code runs sanitized inside the test programs (libgpsim.la).
tests_sim_libgpsim_preload_la_CFLAGS = $(GP_WARN_CFLAGS)
tests_sim_libgpsim_preload_la_LIBADD = $(GLIB_LIBS) -ldl
# -rpath makes libtool build a real shared object although nothing
# installs it.
tests_sim_libgpsim_preload_la_LDFLAGS = -module -avoid-version -rpath /nowhere
