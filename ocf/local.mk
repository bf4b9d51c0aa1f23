# SPDX-License-Identifier: GPL-2.0-or-later
# Pacemaker resource agents (OCF 1.1), installed where Pacemaker looks for
# ocf:gpupool:NAME (--with-ocfdir; Pacemaker reads only
# /usr/lib/ocf/resource.d, so a prefix other than /usr needs the option):
#   GpuDomain     a GPU domain, started by ocf:heartbeat:VirtualDomain on a
#                 node with free devices of its pools
#   PoolCapacity  the clone that publishes each node's capacity per pool
# Generated from NAME.in, so that they run the installed gpupool.
ocf_SCRIPTS = ocf/GpuDomain ocf/PoolCapacity
EXTRA_DIST += ocf/GpuDomain.in ocf/PoolCapacity.in ocf/ra2man.xsl
CLEANFILES += $(ocf_SCRIPTS)

gp_ocf_edit = sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'

ocf/GpuDomain: ocf/GpuDomain.in Makefile
	$(AM_V_GEN)$(MKDIR_P) ocf && $(gp_ocf_edit) $(srcdir)/ocf/GpuDomain.in > $@.tmp && \
	chmod 0755 $@.tmp && mv $@.tmp $@

ocf/PoolCapacity: ocf/PoolCapacity.in Makefile
	$(AM_V_GEN)$(MKDIR_P) ocf && $(gp_ocf_edit) $(srcdir)/ocf/PoolCapacity.in > $@.tmp && \
	chmod 0755 $@.tmp && mv $@.tmp $@

# Their man pages, made the way resource-agents makes its own: the agent's
# meta-data through an XSL stylesheet (ra2man.xsl) to roff.  The release
# tarball carries them, so that building from it needs neither xsltproc
# nor resource-agents (GpuDomain's meta-data is VirtualDomain's, merged,
# and documents the VirtualDomain found at OCF_ROOT when they were made).
dist_man7_MANS = ocf/ocf_gpupool_GpuDomain.7 ocf/ocf_gpupool_PoolCapacity.7
MAINTAINERCLEANFILES += $(dist_man7_MANS)
OCF_ROOT = /usr/lib/ocf

# $(call gp_ocf_man,AGENT): the recipe of AGENT's man page.
gp_ocf_man = $(AM_V_GEN)$(MKDIR_P) ocf && \
	if test "$(XSLTPROC)" = no; then \
	  echo "$@: made from the agent's meta-data with xsltproc: apt-get install xsltproc" >&2; \
	  exit 1; \
	fi && \
	OCF_ROOT=$(OCF_ROOT) ocf/$(1) meta-data > $@.xml && \
	$(XSLTPROC) --novalid --nonet --stringparam package '$(PACKAGE_NAME) $(PACKAGE_VERSION)' \
		--stringparam provider gpupool $(srcdir)/ocf/ra2man.xsl $@.xml > $@.tmp && \
	rm -f $@.xml && mv $@.tmp $@

# The agent is an order-only prerequisite: it is made from the .in at every
# build, which must not make a tarball's man pages out of date.
ocf/ocf_gpupool_GpuDomain.7: ocf/GpuDomain.in ocf/ra2man.xsl | ocf/GpuDomain
	$(call gp_ocf_man,GpuDomain)

ocf/ocf_gpupool_PoolCapacity.7: ocf/PoolCapacity.in ocf/ra2man.xsl | ocf/PoolCapacity
	$(call gp_ocf_man,PoolCapacity)
