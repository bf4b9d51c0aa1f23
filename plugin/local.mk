# SPDX-License-Identifier: GPL-2.0-or-later
# Device back ends behind one ops table (plugin/backend.h, the only
# header of gpupool they include).  The generic ones are built into the
# core library (src/local.mk); vendor ones are loadable modules in
# $(pkglibdir).  part.c holds the structures every back end fills.
gp_plugin_builtin_sources = \
	plugin/backend.h \
	plugin/part.c \
	plugin/backend-pci.c \
	plugin/backend-mdev.c \
	plugin/backend-vf.c

# Vendor back ends: one module each, loaded with GModule; they link
# nothing of the core (see plugin/backend.h).
pkglib_LTLIBRARIES += plugin/nvidia-vgpu.la plugin/intel-xe-sriov.la
gp_module_ldflags = -module -avoid-version -shared -no-undefined
# vendor-module.c: what every vendor module does alike, compiled into each.
gp_vendor_module_sources = plugin/vendor-module.c plugin/vendor-module.h plugin/backend.h
plugin_nvidia_vgpu_la_SOURCES = plugin/nvidia-vgpu.c $(gp_vendor_module_sources)
plugin_nvidia_vgpu_la_LDFLAGS = $(gp_module_ldflags)
plugin_nvidia_vgpu_la_LIBADD = $(GLIB_LIBS) $(GMODULE_LIBS)
plugin_intel_xe_sriov_la_SOURCES = plugin/intel-xe-sriov.c $(gp_vendor_module_sources)
plugin_intel_xe_sriov_la_LDFLAGS = $(gp_module_ldflags)
plugin_intel_xe_sriov_la_LIBADD = $(GLIB_LIBS) $(GMODULE_LIBS)

# GModule opens the modules by their .so name; libtool's .la files would
# only be clutter in $(pkglibdir) (and invite linking against a module).
# Without its .la, libtool's uninstall cannot find a module's .so, so the
# uninstall hook removes those itself.
install-exec-hook: gp-remove-plugin-la
uninstall-hook: gp-uninstall-plugin-so
.PHONY: gp-remove-plugin-la gp-uninstall-plugin-so

gp-remove-plugin-la:
	for la in $(pkglib_LTLIBRARIES); do \
	  rm -f "$(DESTDIR)$(pkglibdir)/$${la##*/}"; \
	done

gp-uninstall-plugin-so:
	for la in $(pkglib_LTLIBRARIES); do \
	  name=$${la##*/}; rm -f "$(DESTDIR)$(pkglibdir)/$${name%.la}.so"; \
	done
