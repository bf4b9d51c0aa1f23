#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-units: the Debian package installed on a demo host that boots
# systemd as PID 1 (demo-host --init systemd), over two boots.
#
# Boot 1: dpkg -i; the maintainer scripts enable the units, start
# gpupool-shutdown, create /run/gpupool and restart libvirtd; the units
# pass systemd-analyze verify; man pages and completion work.  A pool of
# both bochs-display GPUs; vm-auto (autostart) and vm-manual get a device
# each, plain has none; all three run.  Installing the package again (an
# upgrade) keeps the pool, the claims and the running domains.  libvirt-
# guests is set to suspend (save) guests, then the host powers off.
#
# Boot 2 (the package, the pool and the domains kept as a disk keeps
# them): gpupool-setup bound the pool devices to vfio-pci before libvirtd
# started; vm-auto was started by libvirt and holds a pool device.  Boot
# 1's journal shows gpupool-shutdown asking vm-auto and vm-manual to shut
# down, destroying them after its timeout (they run no OS), and stopping
# before libvirt-guests, which then saved only plain.  Last, removing and
# purging the package leave the running vm-auto alone and keep the pool
# definition and, while vm-auto holds a device, the claims; a new install
# finds both; once nothing is held, purging removes /run/gpupool.
export GPUPOOL=/usr/bin/gpupool
. "$VMDIR/lib.sh"
systemd_scenario

set -- $(pci_by_id $ID_BOCHS)
B1=$1 B2=$2
POOL_FILE=/etc/gpupool/pools/gpus.xml
HOOK_LINK=/etc/libvirt/hooks/qemu.d/gpupool
DEBS=$(ls "$DEMO_DEB_DIR"/gpupool_*.deb "$DEMO_DEB_DIR"/gpupool-vendor-modules_*.deb 2>/dev/null)
[ "$(echo "$DEBS" | grep -c .)" = 2 ] ||
	fail "no gpupool .deb files in '$DEMO_DEB_DIR': run tests/build-deb BUILDDIR first (make check-vm-systemd does)"

# booted: the boot finished ("degraded" names the units that failed).
booted() {
	run systemctl is-system-running --wait
	case "$RUN_OUT" in
	running) ;;
	degraded) run systemctl --failed --no-pager --plain ;;
	*) fail "systemd says the system is '$RUN_OUT'" ;;
	esac
}

# libvirtd's main PID, after making sure it runs (Debian's libvirtd exits
# when idle for 120 s and comes back on the next connection).
libvirtd_main_pid() {
	virsh version >/dev/null 2>&1
	unit_prop libvirtd.service MainPID
}

boot_1() {
	step "systemd is PID 1, the boot finished, libvirtd runs from its unit, confined by AppArmor"
	booted
	assert_eq enabled "$(systemctl is-enabled libvirtd.service)" "libvirtd.service"
	must virsh version
	assert_eq active "$(systemctl is-active libvirtd.service)" "libvirtd.service"
	assert_eq "libvirtd (enforce)" "$(cat "/proc/$(unit_prop libvirtd.service MainPID)/attr/current")" \
		"AppArmor label of libvirtd"

	step "install the package: dpkg -i"
	pid0=$(libvirtd_main_pid)
	# shellcheck disable=SC2086
	must dpkg -i $DEBS
	must dpkg-query -W -f '${Package} ${Version} ${Status}\n' gpupool gpupool-vendor-modules
	assert_eq "enabled enabled" "$(systemctl is-enabled gpupool-setup.service) $(systemctl is-enabled gpupool-shutdown.service)" \
		"gpupool-setup, gpupool-shutdown enabled"
	assert_eq active "$(systemctl is-active gpupool-shutdown.service)" "gpupool-shutdown.service (started by postinst)"
	# No pool yet: gpupool-setup's condition keeps it from running.
	assert_eq no "$(unit_prop gpupool-setup.service ConditionResult)" "gpupool-setup condition without pools"
	assert_file /run/gpupool "/run/gpupool (tmpfiles.d)"
	# In /usr/sbin: libvirtd's AppArmor profile refuses to execute it from
	# /usr/libexec (see debian/rules).
	assert_eq /usr/sbin/gpupool-hook "$(readlink "$HOOK_LINK")" "$HOOK_LINK"
	pid1=$(unit_prop libvirtd.service MainPID)
	assert_ne "$pid0" "$pid1" "libvirtd's main PID after the install (restarted by postinst)"
	must journalctl -b --no-pager -o cat -u libvirtd.service -n 4

	step "the package's units pass systemd-analyze verify"
	must systemd-analyze verify /lib/systemd/system/gpupool-setup.service /lib/systemd/system/gpupool-shutdown.service
	assert_eq "" "$RUN_OUT" "systemd-analyze verify output"

	step "man pages and bash completion are installed"
	must man -w gpupool gpupool-pool gpupool-metadata gpupool-hook
	must bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader gpupool; complete -p gpupool'
	assert_contains "$RUN_OUT" "-F _gpupool gpupool" "completion of gpupool"

	step "a pool of both bochs-display GPUs"
	# Nothing loaded vfio-pci yet (gpupool-setup does at boot once a pool
	# exists): the admin loads it, as pool-add's error says.
	must modprobe vfio-pci
	must gpupool pool-create gpus --type pci
	must gpupool pool-add gpus "$B1" "$B2"
	assert_eq "vfio-pci vfio-pci" "$(pci_driver "$B1") $(pci_driver "$B2")" "drivers of $B1 $B2"

	step "vm-auto (autostart) and vm-manual with a GPU each, plain without"
	define_domain vm-auto
	define_domain vm-manual
	define_domain plain
	must gpupool assign vm-auto --pool gpus
	must gpupool assign vm-manual --pool gpus
	must virsh autostart vm-auto
	for d in vm-auto vm-manual plain; do start_timed "$d" || fail "$d did not start"; done
	must gpupool status
	a=$(held_by vm-auto) m=$(held_by vm-manual)
	assert_eq "$B1 $B2" "$(printf '%s\n' "$a" "$m" | sort | tr '\n' ' ' | sed 's/ $//')" "devices held by vm-auto and vm-manual"

	step "an upgrade (the same package installed again) keeps pool, claims and guests"
	sum0=$(sha256sum < "$POOL_FILE")
	t0=$(unit_prop gpupool-shutdown.service ActiveEnterTimestampMonotonic)
	# shellcheck disable=SC2086
	must dpkg -i $DEBS
	assert_eq "$sum0" "$(sha256sum < "$POOL_FILE")" "checksum of $POOL_FILE"
	assert_eq "$t0" "$(unit_prop gpupool-shutdown.service ActiveEnterTimestampMonotonic)" \
		"gpupool-shutdown active since (not stopped or restarted)"
	for d in vm-auto vm-manual plain; do assert_eq running "$(domain_state "$d")" "state of $d"; done
	assert_eq "$a" "$(held_by vm-auto)" "device held by vm-auto"
	assert_eq "$m" "$(held_by vm-manual)" "device held by vm-manual"

	step "libvirt-guests saves (managedsave) guests at shutdown, as upstream libvirt's default"
	printf 'ON_SHUTDOWN=suspend\nON_BOOT=ignore\n' > /etc/default/libvirt-guests
	must cat /etc/default/libvirt-guests

	# What a host's disk keeps: the installed package and its units'
	# enablement, the pool, the domain definitions and settings.
	reboot_demo_host $(package_files gpupool gpupool-vendor-modules) \
		/etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
		/etc/gpupool /etc/libvirt/qemu /etc/default/libvirt-guests
}

boot_2() {
	local j=$DEMO_RESULTS/journal-boot1.txt t_stopping t_stopped t_guests

	step "boot 2: the package and the pool are still there"
	booted
	must dpkg-query -W -f '${Package} ${Version} ${Status}\n' gpupool
	assert_file "$POOL_FILE"

	step "gpupool-setup ran at boot and bound the pool devices to vfio-pci"
	must journalctl -b --no-pager -o short-monotonic -u gpupool-setup.service
	setup_log=$RUN_OUT
	assert_eq "success 0" "$(unit_prop gpupool-setup.service Result) $(unit_prop gpupool-setup.service ExecMainStatus)" \
		"gpupool-setup result and exit status"
	assert_contains "$setup_log" "pool 'gpus': $B1 bound to vfio-pci" "gpupool-setup's journal"
	assert_contains "$setup_log" "pool 'gpus': $B2 bound to vfio-pci" "gpupool-setup's journal"
	assert_eq "vfio-pci vfio-pci" "$(pci_driver "$B1") $(pci_driver "$B2")" "drivers of $B1 $B2"

	step "gpupool-setup finished before libvirtd started"
	journalctl -b --no-pager -o short-monotonic > /tmp/journal-boot2.txt
	run grep -E 'gpupool-setup.service|Starting libvirtd.service|Started libvirtd.service' /tmp/journal-boot2.txt
	assert_before "$(mono_of /tmp/journal-boot2.txt "Finished gpupool-setup.service")" \
		"$(mono_of /tmp/journal-boot2.txt "Starting libvirtd.service")" "gpupool-setup finished, libvirtd starting"

	step "vm-auto was started by libvirt (autostart) and holds a pool device"
	wait_for 120 "vm-auto running" domain_is vm-auto running
	must gpupool status
	case " $B1 $B2 " in *" $(held_by vm-auto) "*) ;; *) fail "vm-auto holds '$(held_by vm-auto)', not a device of pool gpus" ;; esac
	assert_eq "$(held_by vm-auto)" "$(domain_hostdevs vm-auto)" "vm-auto's hostdev"
	must nested_info_pci vm-auto
	assert_contains "$RUN_OUT" "PCI device 1234:1111" "info pci inside vm-auto"
	assert_eq "shut off" "$(domain_state vm-manual)" "state of vm-manual (not autostart)"

	step "boot 1's shutdown: gpupool-shutdown turned the GPU guests off, then libvirt-guests ran"
	assert_file "$j" "boot 1's journal"
	# What gpupool and libvirt-guests said, and systemd about their units.
	grep -E ' (gpupool|libvirt-guests\.sh)\[[0-9]+\]: |systemd\[1\]: (Stopping|Stopped) (gpupool-shutdown|libvirt-guests)\.service' \
		"$j" > /tmp/shutdown-boot1.txt
	must cat /tmp/shutdown-boot1.txt
	for d in vm-auto vm-manual; do
		assert_contains "$RUN_OUT" " gpupool[" "boot 1's shutdown journal"
		assert_contains "$RUN_OUT" "]: $d: asked to shut down" "boot 1's shutdown journal"
		assert_contains "$RUN_OUT" "]: $d: destroyed after 120 s" "boot 1's shutdown journal"
	done
	# It waited the timeout for them before destroying them.
	t_stopping=$(mono_of /tmp/shutdown-boot1.txt "Stopping gpupool-shutdown.service")
	t_stopped=$(mono_of /tmp/shutdown-boot1.txt "Stopped gpupool-shutdown.service")
	assert_before "$(awk -v t="$t_stopping" 'BEGIN { print t + 120 }')" "$t_stopped" \
		"gpupool-shutdown stopping + 120 s, stopped"
	t_guests=$(mono_of /tmp/shutdown-boot1.txt "Stopping libvirt-guests.service")
	assert_before "$t_stopped" "$t_guests" "gpupool-shutdown stopped, libvirt-guests stopping"
	# libvirt-guests prints the running guests on the line after this one.
	guests=$(awk '/libvirt-guests\.sh\[[0-9]+\]: Running guests on default URI:/ { getline; sub(/.*\]: /, ""); print; exit }' \
		/tmp/shutdown-boot1.txt)
	assert_eq plain "$guests" "running guests libvirt-guests found"
	assert_contains "$RUN_OUT" "Suspending plain: done" "boot 1's shutdown journal"
	assert_not_contains "$RUN_OUT" "Suspending vm-" "boot 1's shutdown journal"

	step "removing the package leaves the running GPU guest alone and libvirt forgets the hook"
	pid0=$(libvirtd_main_pid)
	must dpkg -r gpupool-vendor-modules gpupool
	assert_eq running "$(domain_state vm-auto)" "state of vm-auto after the removal"
	assert_no_file "$HOOK_LINK"
	assert_ne "$pid0" "$(unit_prop libvirtd.service MainPID)" "libvirtd's main PID after the removal (restarted by postrm)"
	assert_file "$POOL_FILE"
	assert_contains "$(cat /run/gpupool/claims.xml)" "domain-name='vm-auto'" "claims after the removal"

	step "purging while vm-auto holds a device keeps the pool definition and the claims"
	must dpkg -P gpupool
	assert_contains "$RUN_OUT" "pool definitions kept in /etc/gpupool/pools" "dpkg -P output"
	assert_contains "$RUN_OUT" "/run/gpupool kept: running domains still hold pool devices" "dpkg -P output"
	assert_file "$POOL_FILE"
	assert_contains "$(cat /run/gpupool/claims.xml)" "domain-name='vm-auto'" "claims after the purge"
	assert_no_file /etc/systemd/system/multi-user.target.wants/gpupool-setup.service
	assert_no_file /etc/systemd/system/multi-user.target.wants/gpupool-shutdown.service

	step "installing again finds the pool and who holds what"
	# shellcheck disable=SC2086
	must dpkg -i $DEBS
	must gpupool status
	assert_eq "$(domain_hostdevs vm-auto)" "$(held_by vm-auto)" "device held by vm-auto after the new install"

	step "purging with no device held removes /run/gpupool, still keeps the pool definition"
	must virsh destroy vm-auto
	wait_for 60 "vm-auto's claim released" holds_nothing vm-auto
	must dpkg -P gpupool-vendor-modules gpupool
	assert_no_file /run/gpupool
	assert_file "$POOL_FILE"
}

case "$(boot_number)" in
1) boot_1 ;;
2) boot_2 ;;
*) fail "unexpected boot $(boot_number)" ;;
esac
