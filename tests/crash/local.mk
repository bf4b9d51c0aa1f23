# Crash injection (tests/crash/crashpoint.c): an LD_PRELOAD object that
# kills a process right before its Nth call that changes a file or
# sysfs, and the suite that kills the hook and the pool commands at every
# such call in turn (test-crash.c).  The runner (crash-runner.h) is part
# of the shared test library, tests/unit/libgptest.la.
check_LTLIBRARIES += tests/crash/libgpcrash-preload.la
tests_crash_libgpcrash_preload_la_SOURCES = tests/crash/crashpoint.c
# Not sanitized, as the simulated kernel's preload object is not
# (tests/sim/local.mk): it is preloaded into whatever a test starts.
tests_crash_libgpcrash_preload_la_CFLAGS = $(GP_WARN_CFLAGS)
tests_crash_libgpcrash_preload_la_LIBADD = -ldl
# -rpath makes libtool build a real shared object although nothing
# installs it.
tests_crash_libgpcrash_preload_la_LDFLAGS = -module -avoid-version -rpath /nowhere

check_PROGRAMS += tests/crash/test-crash
TESTS += tests/crash/test-crash
tests_crash_test_crash_SOURCES = tests/crash/test-crash.c
tests_crash_test_crash_CPPFLAGS = $(gp_unit_cppflags)
tests_crash_test_crash_CFLAGS = $(gp_unit_cflags)
tests_crash_test_crash_LDADD = $(gp_unit_ldadd)
