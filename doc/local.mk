# SPDX-License-Identifier: GPL-2.0-or-later
# Man pages, written in scdoc.  The generated pages are distributed, so a
# build from the release tarball needs no scdoc; a checkout generates them
# (configure stops with the package name when scdoc is missing).
gp_man_pages = doc/gpupool.8 doc/gpupool-hook.8 doc/gpupool-pool.5 doc/gpupool-metadata.5
dist_man_MANS = $(gp_man_pages)
EXTRA_DIST += $(gp_man_pages:=.scd)
MAINTAINERCLEANFILES += $(gp_man_pages)

# SOURCE_DATE_EPOCH (set by dpkg-buildpackage) fixes the date in each page.
$(gp_man_pages): %: %.scd
	$(AM_V_GEN)$(MKDIR_P) doc && \
	$(SCDOC) < $< > $@.tmp && mv $@.tmp $@
