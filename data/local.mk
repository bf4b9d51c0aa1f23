# SPDX-License-Identifier: GPL-2.0-or-later
# The boot-time unit that re-applies every pool before libvirt starts.
systemdsystemunit_DATA = data/gpupool-setup.service
EXTRA_DIST += data/gpupool-setup.service.in
CLEANFILES += data/gpupool-setup.service

# Generated so the unit names the installed binary and configuration.
data/gpupool-setup.service: data/gpupool-setup.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && \
	sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/data/gpupool-setup.service.in > $@.tmp && mv $@.tmp $@

# The host-shutdown unit for domains holding pool devices.
systemdsystemunit_DATA += data/gpupool-shutdown.service
EXTRA_DIST += data/gpupool-shutdown.service.in
CLEANFILES += data/gpupool-shutdown.service
data/gpupool-shutdown.service: data/gpupool-shutdown.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && \
	sed -e 's|@bindir[@]|$(bindir)|g' \
		$(srcdir)/data/gpupool-shutdown.service.in > $@.tmp && mv $@.tmp $@

# /run/gpupool, created at boot by systemd-tmpfiles.
tmpfiles_DATA = data/gpupool.conf
EXTRA_DIST += data/gpupool.tmpfiles.in
CLEANFILES += data/gpupool.conf
data/gpupool.conf: data/gpupool.tmpfiles.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && \
	sed -e 's|@runstatedir[@]|$(runstatedir)|g' \
		$(srcdir)/data/gpupool.tmpfiles.in > $@.tmp && mv $@.tmp $@
