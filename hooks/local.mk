# The thin scripts libvirt executes.
#
# libvirt runs every executable in $(hookdir) (/etc/libvirt/hooks/qemu.d)
# for every QEMU domain event.  gpupool's entry is a symlink to the hook
# program rather than a script: a shell in front of it measured 0.7 ms per
# call, a third of the 2 ms budget for domains gpupool does not manage.
# libvirt looks for hooks when the daemon starts: restart libvirtd after
# installing.
install-exec-hook: gp-install-hook-link
uninstall-hook: gp-uninstall-hook-link
.PHONY: gp-install-hook-link gp-uninstall-hook-link

gp-install-hook-link:
	$(MKDIR_P) '$(DESTDIR)$(hookdir)'
	ln -sf '$(libexecdir)/gpupool-hook' '$(DESTDIR)$(hookdir)/gpupool'

gp-uninstall-hook-link:
	rm -f '$(DESTDIR)$(hookdir)/gpupool'
