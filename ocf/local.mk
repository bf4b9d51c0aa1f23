# Pacemaker resource agents (OCF 1.1), installed where Pacemaker looks for
# ocf:gpupool:NAME (--with-ocfdir; Pacemaker reads only
# /usr/lib/ocf/resource.d, so a prefix other than /usr needs the option):
#   GpuDomain     a GPU domain, started by ocf:heartbeat:VirtualDomain on a
#                 node with free devices of its pools
#   PoolCapacity  the clone that publishes each node's capacity per pool
# Generated from NAME.in, so that they run the installed gpupool.
ocf_SCRIPTS = ocf/GpuDomain ocf/PoolCapacity
EXTRA_DIST += ocf/GpuDomain.in ocf/PoolCapacity.in
CLEANFILES += $(ocf_SCRIPTS)

gp_ocf_edit = sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'

ocf/GpuDomain: ocf/GpuDomain.in Makefile
	$(AM_V_GEN)$(MKDIR_P) ocf && $(gp_ocf_edit) $(srcdir)/ocf/GpuDomain.in > $@.tmp && \
	chmod 0755 $@.tmp && mv $@.tmp $@

ocf/PoolCapacity: ocf/PoolCapacity.in Makefile
	$(AM_V_GEN)$(MKDIR_P) ocf && $(gp_ocf_edit) $(srcdir)/ocf/PoolCapacity.in > $@.tmp && \
	chmod 0755 $@.tmp && mv $@.tmp $@
