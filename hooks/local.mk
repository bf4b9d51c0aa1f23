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
# gpupool-hook-domain (hook.c), which links the core without libvirt:
# the hook runs inside libvirt's job and must never call back into it.
libexec_PROGRAMS += hooks/gpupool-hook hooks/gpupool-hook-domain
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
