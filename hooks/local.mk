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
# gpupool-hook-domain (hook.c), which links the core without libvirt:
# the hook runs inside libvirt's job and must never call back into it.
libexec_PROGRAMS += hooks/gpupool-hook hooks/gpupool-hook-domain
hooks_gpupool_hook_SOURCES = hooks/gate.c hooks/gate-filter.c hooks/gate-filter.h hooks/hook-ops.h
hooks_gpupool_hook_LDADD =
# Static: the dynamic loader alone doubles the cost of a call (0.5 ms
# static, 1.5 ms dynamic measured here).  libc.a comes with libc6-dev.
# A sanitized build (--enable-sanitizers) links it dynamically: the
# sanitizers' runtimes are shared objects and cannot go into a static
# program, and the checks matter more there than the millisecond.
if GP_SANITIZE
hooks_gpupool_hook_LDFLAGS =
else
hooks_gpupool_hook_LDFLAGS = -all-static
endif
hooks_gpupool_hook_domain_SOURCES = hooks/hook.c hooks/hook-ops.h
hooks_gpupool_hook_domain_CPPFLAGS = $(AM_CPPFLAGS) -DGP_BINDIR=\"$(bindir)\"
hooks_gpupool_hook_domain_LDADD = src/libgpupool.la $(GP_CORE_LIBS)

install-exec-hook: gp-install-hook-link
uninstall-hook: gp-uninstall-hook-link
.PHONY: gp-install-hook-link gp-uninstall-hook-link

gp-install-hook-link:
	$(MKDIR_P) '$(DESTDIR)$(hookdir)'
	ln -sf '$(libexecdir)/gpupool-hook' '$(DESTDIR)$(hookdir)/gpupool'

gp-uninstall-hook-link:
	rm -f '$(DESTDIR)$(hookdir)/gpupool'
