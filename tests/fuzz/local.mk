# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer targets for every parser of untrusted or on-disk input
# (tests/fuzz/README.md).  Built only in a build configured with
# --enable-fuzzing CC=clang-14, and only by `make fuzz`: everything else
# of that build is instrumented for them but never needed.
#
#   make fuzz                          every target for FUZZ_SECONDS each
#   make fuzz FUZZ_SECONDS=3600 FUZZ_TARGETS=fuzz-pool
gp_fuzz_targets = \
	tests/fuzz/fuzz-gate \
	tests/fuzz/fuzz-domxml-read \
	tests/fuzz/fuzz-xmltree \
	tests/fuzz/fuzz-domxml-fast \
	tests/fuzz/fuzz-domxml-edit \
	tests/fuzz/fuzz-metadata \
	tests/fuzz/fuzz-pool \
	tests/fuzz/fuzz-claims \
	tests/fuzz/fuzz-cib
FUZZ_SECONDS = 300
FUZZ_TARGETS = $(notdir $(gp_fuzz_targets))

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run-fuzzers tests/fuzz/corpus \
	tests/fuzz/regression tests/fuzz/dict
.PHONY: fuzz gp-clean-fuzz
clean-local: gp-clean-fuzz
gp-clean-fuzz:
	rm -rf tests/fuzz/out

if GP_FUZZING
EXTRA_PROGRAMS = $(gp_fuzz_targets)
CLEANFILES += $(gp_fuzz_targets)
gp_fuzz_cppflags = $(AM_CPPFLAGS) -DGP_TOP_SRCDIR=\"$(abs_top_srcdir)\"
# libFuzzer's main(); the rest of the build has -fsanitize=fuzzer-no-link.
gp_fuzz_ldflags = -fsanitize=fuzzer
gp_fuzz_ldadd = src/libgpupool.la $(GP_CORE_LIBS)

tests_fuzz_fuzz_gate_SOURCES = tests/fuzz/fuzz-gate.c tests/fuzz/fuzz.h \
	hooks/gate-filter.c hooks/gate-filter.h
tests_fuzz_fuzz_gate_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_gate_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_gate_LDADD = $(gp_fuzz_ldadd)

tests_fuzz_fuzz_domxml_read_SOURCES = tests/fuzz/fuzz-domxml-read.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz-domxml-check.c tests/fuzz/fuzz-domxml.h
tests_fuzz_fuzz_domxml_read_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_domxml_read_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_domxml_read_LDADD = $(gp_fuzz_ldadd)

tests_fuzz_fuzz_xmltree_SOURCES = tests/fuzz/fuzz-xmltree.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_xmltree_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_xmltree_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_xmltree_LDADD = $(gp_fuzz_ldadd)

tests_fuzz_fuzz_domxml_fast_SOURCES = tests/fuzz/fuzz-domxml-fast.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_domxml_fast_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_domxml_fast_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_domxml_fast_LDADD = $(gp_fuzz_ldadd)

tests_fuzz_fuzz_domxml_edit_SOURCES = tests/fuzz/fuzz-domxml-edit.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_domxml_edit_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_domxml_edit_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_domxml_edit_LDADD = $(gp_fuzz_ldadd)

tests_fuzz_fuzz_metadata_SOURCES = tests/fuzz/fuzz-metadata.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz-domxml-check.c tests/fuzz/fuzz-domxml.h
tests_fuzz_fuzz_metadata_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_metadata_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_metadata_LDADD = $(gp_fuzz_ldadd)

tests_fuzz_fuzz_pool_SOURCES = tests/fuzz/fuzz-pool.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_pool_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_pool_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_pool_LDADD = $(gp_fuzz_ldadd)

tests_fuzz_fuzz_claims_SOURCES = tests/fuzz/fuzz-claims.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_claims_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_claims_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_claims_LDADD = $(gp_fuzz_ldadd)

tests_fuzz_fuzz_cib_SOURCES = tests/fuzz/fuzz-cib.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_cib_CPPFLAGS = $(gp_fuzz_cppflags)
tests_fuzz_fuzz_cib_LDFLAGS = $(gp_fuzz_ldflags)
tests_fuzz_fuzz_cib_LDADD = $(gp_fuzz_ldadd)

fuzz: $(gp_fuzz_targets)
	$(SHELL) $(srcdir)/tests/fuzz/run-fuzzers --seconds $(FUZZ_SECONDS) \
	  --corpora $(srcdir)/tests/fuzz --out tests/fuzz/out \
	  $(addprefix tests/fuzz/,$(FUZZ_TARGETS))
else
fuzz:
	@echo "make fuzz needs a build configured with --enable-fuzzing CC=clang-14" \
	  "(tests/fuzz/README.md)" >&2; \
	exit 1
endif
