# SPDX-License-Identifier: GPL-2.0-or-later
# The code libvirt executes, and how it is installed.
#
# libvirt runs every executable in $(hookdir) (/etc/libvirt/hooks/qemu.d)
# for every QEMU domain event.  gpupool's entry is a symlink to the hook
# program rather than a script: a shell in front of it measured 0.7 ms per
# call, a third of the 2 ms budget for domains gpupool does not manage.
# libvirt looks for hooks when the daemon starts: restart libvirtd after
# installing.
#
# gpupool-hook (gate.c) is a libc-only gate that hands gpupool domains to
# the domain part (hook.c), which links the core without libvirt: the
# hook runs inside libvirt's job and must never call back into it.
libexec_PROGRAMS += hooks/gpupool-hook
hooks_gpupool_hook_SOURCES = hooks/gate.c hooks/gate-filter.c hooks/gate-filter.h hooks/hook-ops.h
# Linked dynamically against libc alone, as a PIE with the distribution's
# hardening flags, so that it picks up libc's security fixes: the dynamic
# loader with one library costs little (make bench, a domain without
# request: 0.75-0.96 ms per call on a loaded machine, 0.58-0.67 ms linked
# -all-static, target 2 ms; 0.14 M instructions, 0.05 M static).  A
# static program is not PIE and keeps the libc it was linked with;
# static-pie keeps it too.  tests/unit/check-programs.sh holds the gate to
# libc alone and every program to PIE.
hooks_gpupool_hook_LDADD =

# The domain part is a module the gate loads (dlopen(), in libc) into its
# own process, not a program it executes: a second program image, with
# the C library started twice, cost a claim 0.7-0.8 ms of its 3 ms
# budget (make bench, (b)).  It links no libxml2 (hook.c says how): with
# it, the domain part cost 3.46 M instructions before doing anything,
# without it 0.43 M.  It takes the core from the archive of its objects,
# as a program would, rather than from the convenience library, which
# libtool would copy into it whole, libxml2 readers and all;
# --as-needed drops the libraries its objects do not use, and
# tests/unit/check-programs.sh holds it to that.  xml-module.c stands in
# for the core's libxml2 reader, loading gpupool-xml.so from the same
# directory only for files GMarkup cannot decide on.
# gpupool-hook-domain-xml is the same hook.c as a program linked with
# libxml2, which the module executes for what needs libxml2.
gphookexecdir = $(pkglibdir)/hook
gphookexec_LTLIBRARIES = hooks/gpupool-hook-domain.la hooks/gpupool-xml.la
hooks_gpupool_hook_domain_la_SOURCES = hooks/hook.c hooks/hook-ops.h hooks/xml-module.c
hooks_gpupool_hook_domain_la_CPPFLAGS = $(AM_CPPFLAGS) -DGP_BINDIR=\"$(bindir)\" \
	-DGP_HOOK_WITHOUT_LIBXML2 -DGP_HOOK_MODULE
hooks_gpupool_hook_domain_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-Wl,--as-needed -Wl,-Bsymbolic -export-symbols-regex '^gp_hook_domain_run$$'
hooks_gpupool_hook_domain_la_LIBADD = src/.libs/libgpupool.a $(GLIB_LIBS) $(GMODULE_LIBS) \
	$(LIBPCI_LIBS)
hooks_gpupool_hook_domain_la_DEPENDENCIES = src/libgpupool.la
libexec_PROGRAMS += hooks/gpupool-hook-domain-xml
hooks_gpupool_hook_domain_xml_SOURCES = hooks/hook.c hooks/hook-ops.h
hooks_gpupool_hook_domain_xml_CPPFLAGS = $(AM_CPPFLAGS) -DGP_BINDIR=\"$(bindir)\"
hooks_gpupool_hook_domain_xml_LDADD = src/libgpupool.la $(GP_CORE_LIBS)

hooks_gpupool_xml_la_SOURCES = hooks/xml-module-entry.c src/base/xmldoc.c src/base/xmltree.c \
	src/base/xmlscan.c src/base/paths.c
# -Bsymbolic: the core's own gp_xmldoc_parse_tree() is xml-module.c's
# stand-in in the domain part, which would otherwise take the module's
# calls.
hooks_gpupool_xml_la_LDFLAGS = -module -avoid-version -shared -no-undefined -Wl,-Bsymbolic
hooks_gpupool_xml_la_LIBADD = $(GLIB_LIBS) $(GMODULE_LIBS) $(LIBXML_LIBS)

install-exec-hook: gp-install-hook-link gp-remove-hook-module-la
uninstall-hook: gp-uninstall-hook-link gp-uninstall-hook-module-so
.PHONY: gp-install-hook-link gp-uninstall-hook-link gp-remove-hook-module-la \
	gp-uninstall-hook-module-so

# Opened by their .so names, like the back-end modules (plugin/local.mk).
gp-remove-hook-module-la:
	for la in $(gphookexec_LTLIBRARIES); do \
	  rm -f "$(DESTDIR)$(gphookexecdir)/$${la##*/}"; \
	done

gp-uninstall-hook-module-so:
	for la in $(gphookexec_LTLIBRARIES); do \
	  name=$${la##*/}; rm -f "$(DESTDIR)$(gphookexecdir)/$${name%.la}.so"; \
	done

gp-install-hook-link:
	$(MKDIR_P) '$(DESTDIR)$(hookdir)'
	ln -sf '$(libexecdir)/gpupool-hook' '$(DESTDIR)$(hookdir)/gpupool'

gp-uninstall-hook-link:
	rm -f '$(DESTDIR)$(hookdir)/gpupool'
