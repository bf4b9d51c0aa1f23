# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers for demo-host scenarios. Sourced by guest/guest-init and by every
# scenario; runs inside the demo host (root, libvirt, VFIO, no network).
#
# A scenario is a bash script: it exits 0 on success, 77 to skip, anything
# else on failure. Use step/run/assert_*/wait_for/fail/skip from here.

export LIBVIRT_DEFAULT_URI=qemu:///system
BUILDDIR=${BUILDDIR:-${DEMO_BUILDDIR:-}}
VMDIR=${VMDIR:-${DEMO_VMDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}}
GPUPOOL=${GPUPOOL:-$BUILDDIR/src/gpupool}
GPUPOOL_HOOK=${GPUPOOL_HOOK:-$BUILDDIR/hooks/gpupool-hook}
IVSHMEM_BYTES=${IVSHMEM_BYTES:-${DEMO_IVSHMEM_BYTES:-}}

# PCI ids of the emulated devices of the demo host.
ID_BOCHS="1234 1111"
ID_EDU="1234 11e8"
ID_TESTDEV="1b36 0005"
ID_IVSHMEM="1af4 1110"
ID_NVME="1b36 0010"
ID_VIRTIO_GPU="1af4 1050"

_lib_t0=$(cut -d' ' -f1 /proc/uptime 2>/dev/null || echo 0)
_lib_step_no=0

_lib_elapsed() {
	awk -v a="$_lib_t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%6.1f", b - a }'
}

# step TEXT...: announce the next thing the scenario checks.
step() {
	_lib_step_no=$((_lib_step_no + 1))
	echo "--- [${SCENARIO:-?} +$(_lib_elapsed)s] step $_lib_step_no: $*"
}

note() { echo "    $*"; }

# fail MESSAGE...: stop the scenario with a message saying what went wrong.
fail() {
	echo "FAIL: ${SCENARIO:-scenario}: $*" >&2
	exit 1
}

# skip REASON...: the scenario cannot run here (automake's exit code 77).
skip() {
	echo "SKIP: $*"
	exit 77
}

# run CMD...: print the command as a user would type it, then its output;
# returns the command's exit status. Output is kept in $RUN_OUT.
run() {
	echo "# $*"
	RUN_OUT=$("$@" 2>&1)
	local rc=$?
	[ -n "$RUN_OUT" ] && printf '%s\n' "$RUN_OUT" | sed 's/^/  /'
	[ $rc -ne 0 ] && echo "  (exit $rc)"
	return $rc
}

# must CMD...: like run, but the scenario fails if the command fails.
must() {
	run "$@" || fail "command failed: $*"
}

# must_fail CMD...: like run, but the command is expected to fail.
must_fail() {
	if run "$@"; then fail "command unexpectedly succeeded: $*"; fi
	return 0
}

assert_eq() { # EXPECTED ACTUAL [WHAT]
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
	note "ok: ${3:-value} = '$2'"
}

assert_ne() { # UNEXPECTED ACTUAL [WHAT]
	[ "$1" != "$2" ] || fail "${3:-value}: must not be '$2'"
	note "ok: ${3:-value} = '$2' (not '$1')"
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
	case "$1" in
	*"$2"*) note "ok: ${3:-output} contains '$2'" ;;
	*) fail "${3:-output} does not contain '$2'" ;;
	esac
}

assert_not_contains() { # HAYSTACK NEEDLE [WHAT]
	case "$1" in
	*"$2"*) fail "${3:-output} contains '$2' but must not" ;;
	*) note "ok: ${3:-output} does not contain '$2'" ;;
	esac
}

assert_file() { [ -e "$1" ] || fail "${2:-$1} does not exist"; note "ok: $1 exists"; }
assert_no_file() { [ ! -e "$1" ] || fail "${2:-$1} still exists"; note "ok: $1 is gone"; }

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds;
# fail the scenario after SECONDS.
wait_for() {
	local limit=$1 what=$2 start=$SECONDS
	shift 2
	# Bounded by the clock, not by a count of tries: a check that itself
	# takes seconds (a cluster command in a node) would stretch the bound.
	while ! "$@" >/dev/null 2>&1; do
		[ $((SECONDS - start)) -ge "$limit" ] && fail "timed out after ${limit}s waiting for $what"
		sleep 0.2
	done
	note "ok: $what (after ~$((SECONDS - start))s)"
}

# ---- gpupool ---------------------------------------------------------------

# require_gpupool [COMMAND...]: skip the scenario until the CLI (and each
# named subcommand) is built, so the tier stays green while it is written.
require_gpupool() {
	local c help
	[ -x "$GPUPOOL" ] || skip "gpupool CLI not built yet ($GPUPOOL missing)"
	help=$("$GPUPOOL" --help 2>&1)
	for c in "$@"; do
		printf '%s\n' "$help" | grep -qE "^  $c( |\$)" || skip "gpupool has no '$c' command yet"
	done
	gpupool_env
}

# gpupool_env: the environment the build tree's gpupool needs here; the
# installed package (demo-host --installed) needs none.
gpupool_env() {
	[ -n "${DEMO_INSTALL_FAILED:-}" ] &&
		fail "gpupool's packages did not install in the demo host (dpkg -i; see dpkg.log in the results)"
	if [ "${GPUPOOL_INSTALLED:-}" != 1 ]; then
		# Uninstalled build tree: schemas from the source tree.
		[ -d "$SRCDIR/xml" ] && export GPUPOOL_SCHEMADIR=${GPUPOOL_SCHEMADIR:-$SRCDIR/xml}
		# Uninstalled build tree: plugins from its .libs, the CLI the hook
		# starts for 'rebalance' from src/.
		[ -d "$BUILDDIR/plugin/.libs" ] && export GPUPOOL_PLUGINDIR=${GPUPOOL_PLUGINDIR:-$BUILDDIR/plugin/.libs}
		# The hook's modules: its domain part and libxml2 reader.
		[ -d "$BUILDDIR/hooks/.libs" ] && export GPUPOOL_HOOK_LIBDIR=${GPUPOOL_HOOK_LIBDIR:-$BUILDDIR/hooks/.libs}
		export GPUPOOL_CLI=${GPUPOOL_CLI:-$GPUPOOL}
	fi
	export GPUPOOL_CONFDIR=${GPUPOOL_CONFDIR:-/etc/gpupool}
	export GPUPOOL_STATEDIR=${GPUPOOL_STATEDIR:-/run/gpupool}
	mkdir -p "$GPUPOOL_CONFDIR" "$GPUPOOL_STATEDIR"
}

require_hook() {
	[ -x "$GPUPOOL_HOOK" ] || skip "gpupool hook not built yet ($GPUPOOL_HOOK missing)"
}

# gpupool ARGS...: the build tree's CLI, so that 'run gpupool ...' prints
# the command exactly as a user types it.
gpupool() { "$GPUPOOL" "$@"; }

HOOK_PATH=/etc/libvirt/hooks/qemu.d/gpupool
HOOK_LOG=/var/log/libvirt/gpupool-hook.log

# install_hook: put the gpupool hook where libvirt looks for it, then
# restart libvirtd, which scans hooks only when it starts. libvirt runs
# hooks with a scrubbed environment, so the wrapper carries the test's
# directories; it also logs each call for the scenario's diagnostics.
# With the package installed (demo-host --installed) the hook is the
# package's link, as dpkg put it there (made again only where a cluster
# node has /etc/libvirt of its own), and needs no environment.
install_hook() {
	local old
	require_hook
	if [ "${GPUPOOL_INSTALLED:-}" = 1 ]; then
		old=$(readlink "$HOOK_PATH" 2>/dev/null)
		if [ "$old" = "$GPUPOOL_HOOK" ] && libvirtd_answers; then
			note "hook installed by the package: $HOOK_PATH -> $GPUPOOL_HOOK"
			return 0
		fi
		mkdir -p /etc/libvirt/hooks/qemu.d
		ln -sfn "$GPUPOOL_HOOK" "$HOOK_PATH"
		note "hook linked as the package links it: $HOOK_PATH -> $GPUPOOL_HOOK"
		restart_libvirtd
		return 0
	fi
	mkdir -p /etc/libvirt/hooks/qemu.d
	old=$(cat "$HOOK_PATH" 2>/dev/null)
	cat > "$HOOK_PATH" <<HOOK
#!/bin/sh
# Installed by tests/vm/lib.sh: the gpupool build tree's libvirt QEMU hook.
export GPUPOOL_CONFDIR='$GPUPOOL_CONFDIR' GPUPOOL_STATEDIR='$GPUPOOL_STATEDIR'
${GPUPOOL_SCHEMADIR:+export GPUPOOL_SCHEMADIR='$GPUPOOL_SCHEMADIR'}
${GPUPOOL_PLUGINDIR:+export GPUPOOL_PLUGINDIR='$GPUPOOL_PLUGINDIR'}
${GPUPOOL_HOOK_LIBDIR:+export GPUPOOL_HOOK_LIBDIR='$GPUPOOL_HOOK_LIBDIR'}
export GPUPOOL_CLI='$GPUPOOL_CLI'
'$GPUPOOL_HOOK' "\$@"
rc=\$?
echo "\$(date +%T) \$* -> \$rc" >> '$HOOK_LOG'
exit \$rc
HOOK
	chmod 0755 "$HOOK_PATH"
	note "hook installed: $HOOK_PATH runs $GPUPOOL_HOOK"
	# The same hook from an earlier scenario: libvirtd already knows it.
	[ "$old" = "$(cat "$HOOK_PATH")" ] && libvirtd_answers && return 0
	restart_libvirtd
}

# held_by DOMAIN: the devices 'gpupool status' shows as held by DOMAIN, one
# per line (its table: DEVICE STATE HELD-BY SINCE RESERVED-BY).
held_by() {
	"$GPUPOOL" status 2>/dev/null | awk -v d="$1" '$2 == "held" && $3 == d { print $1 }'
}

holds_nothing() { [ -z "$(held_by "$1")" ]; }

# device_state DEVICE: its STATE column in 'gpupool status' (held, free, ...).
device_state() {
	"$GPUPOOL" status 2>/dev/null | awk -v d="$1" '$1 == d { print $2; exit }'
}

show_hook_log() {
	[ -s "$HOOK_LOG" ] && { echo "    hook calls:"; sed 's/^/      /' "$HOOK_LOG"; }
	return 0
}

# reset_host: a clean demo host for the next scenario: no domains, no
# gpupool config or state, no mdevs, every device back on its native driver.
reset_host() {
	local d
	for d in $(virsh list --all --name 2>/dev/null); do cleanup_domain "$d"; done
	# A scenario may have removed devices or their reset methods.
	echo 1 > /sys/bus/pci/rescan 2>/dev/null
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/reset_method" ] && [ -z "$(cat "$d/reset_method" 2>/dev/null)" ] &&
			echo default > "$d/reset_method" 2>/dev/null
	done
	for d in /sys/bus/mdev/devices/*; do
		[ -e "$d/remove" ] && echo 1 > "$d/remove" 2>/dev/null
	done
	for d in /sys/bus/pci/drivers/vfio-pci/0000:*; do
		[ -e "$d" ] && vfio_unbind "${d##*/}"
	done
	for d in /sys/bus/pci/devices/*; do
		local o=
		read -r o < "$d/driver_override" 2>/dev/null
		[ -n "$o" ] && [ "$o" != "(null)" ] && echo > "$d/driver_override"
	done
	rm -rf "${GPUPOOL_CONFDIR:-/etc/gpupool}"/* "${GPUPOOL_STATEDIR:-/run/gpupool}"/* 2>/dev/null
	rm -f "$HOOK_LOG"
	return 0
}

# gpupool_scenario COMMAND...: the preamble of every gpupool scenario.
gpupool_scenario() {
	require_gpupool "$@"
	reset_host
	trap 'rc=$?; [ $rc -ne 0 ] && [ $rc -ne 77 ] && show_hook_log; reset_host; exit $rc' EXIT
}

# ---- libvirt ----------------------------------------------------------------

libvirtd_pid() { cat /run/libvirtd.pid 2>/dev/null; }

libvirtd_answers() { virsh -c qemu:///system version >/dev/null 2>&1; }

start_libvirtd() {
	mkdir -p /var/log/libvirt /run/libvirt
	if ! pgrep -x virtlogd >/dev/null 2>&1; then
		virtlogd -d || return 1
	fi
	# LIBVIRTD_OPTS: a cluster node's libvirtd also listens on TCP (cluster.sh).
	libvirtd -d ${LIBVIRTD_OPTS:-} || return 1
	local i=0
	while ! libvirtd_answers; do
		i=$((i + 1))
		[ $i -ge 150 ] && { echo "libvirtd did not answer within 30s" >&2; return 1; }
		sleep 0.2
	done
	return 0
}

stop_libvirtd() {
	local pid i=0
	pid=$(libvirtd_pid)
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge 150 ] && { kill -9 "$pid" 2>/dev/null; break; }
		sleep 0.2
	done
	rm -f /run/libvirtd.pid
}

restart_libvirtd() {
	note "restarting libvirtd"
	stop_libvirtd
	start_libvirtd || fail "libvirtd did not come back"
}

# ---- PCI / VFIO sysfs ---------------------------------------------------------

# pci_by_id VENDOR DEVICE: print the addresses of matching devices, sorted.
pci_by_id() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "0x$1" ] && [ "$(cat "$d/device")" = "0x$2" ] && basename "$d"
	done | sort
}

pci_driver() { # BDF -> driver name or "none"
	local l=/sys/bus/pci/devices/$1/driver
	if [ -e "$l" ]; then basename "$(readlink -f "$l")"; else echo none; fi
}

pci_group() { basename "$(readlink -f "/sys/bus/pci/devices/$1/iommu_group")"; }

# pci_bar_size BDF N: size in bytes of BAR N (from the resource file).
pci_bar_size() {
	local s e _f
	{ for ((i = 0; i < $2; i++)); do read -r _f; done; read -r s e _f; } < "/sys/bus/pci/devices/$1/resource"
	if (( e > s )); then echo $(( e - s + 1 )); else echo 0; fi
}

# vfio_bind BDF: bind a device to vfio-pci the way libvirt does.
vfio_bind() {
	local d=/sys/bus/pci/devices/$1
	echo vfio-pci > "$d/driver_override"
	[ -e "$d/driver" ] && echo "$1" > "$d/driver/unbind"
	echo "$1" > /sys/bus/pci/drivers_probe
}

# vfio_unbind BDF: give the device back to its native driver (or none).
vfio_unbind() {
	local d=/sys/bus/pci/devices/$1
	[ -e "$d/driver" ] && echo "$1" > "$d/driver/unbind"
	echo > "$d/driver_override"
	echo "$1" > /sys/bus/pci/drivers_probe
}

# bdf_xml BDF: libvirt <address> for a PCI address.
bdf_xml() {
	local dom=${1%%:*} rest=${1#*:}
	local bus=${rest%%:*} sf=${rest#*:}
	echo "<address domain='0x$dom' bus='0x$bus' slot='0x${sf%%.*}' function='0x${sf#*.}'/>"
}

# ---- nested guests --------------------------------------------------------------

# domain_xml NAME [EXTRA_DEVICES_XML] [EXTRA_TOPLEVEL_XML]: a tiny TCG guest with no
# disk and no network; SeaBIOS finds nothing to boot and idles, which is all
# the passthrough checks need (QEMU has opened the VFIO device by then).
domain_xml() {
	cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>${NESTED_MEM_MIB:-96}</memory>
  <vcpu>1</vcpu>
  ${NESTED_OS_XML:-<os><type arch='x86_64' machine='q35'>hvm</type></os>}
  <features><acpi/></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  ${3:-}
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
    ${2:-}
  </devices>
</domain>
XML
}

# hostdev_xml BDF: a managed PCI hostdev (libvirt binds vfio-pci itself).
hostdev_xml() {
	echo "<hostdev mode='subsystem' type='pci' managed='${2:-yes}'><source>$(bdf_xml "$1")</source></hostdev>"
}

# define_domain NAME [EXTRA_DEVICES_XML] [EXTRA_TOPLEVEL_XML]
define_domain() {
	local f
	f=$(mktemp /tmp/"$1".XXXXXX.xml)
	domain_xml "$@" > "$f"
	virsh define "$f" >/dev/null || fail "virsh define $1 failed: $(cat "$f")"
	rm -f "$f"
	note "defined nested domain $1"
}

# one_device_pool POOL BDF DOMAIN...: a pci pool POOL holding only BDF,
# and every DOMAIN defined and assigned to it.
one_device_pool() {
	local pool=$1 bdf=$2 dom
	shift 2
	must gpupool pool-create "$pool" --type pci
	must gpupool pool-add "$pool" "$bdf"
	for dom; do define_domain "$dom"; done
	for dom; do must gpupool assign "$dom" --pool "$pool"; done
}

# nested_info_pci DOMAIN: HMP 'info pci' of the running nested guest.
nested_info_pci() { virsh qemu-monitor-command "$1" --hmp 'info pci'; }

# nested_has_pci DOMAIN VENDOR DEVICE: is vendor:device on the nested bus?
nested_has_pci() {
	nested_info_pci "$1" | grep -qi "PCI device $2:$3"
}

# cleanup_domain NAME: destroy and undefine, ignoring errors.
cleanup_domain() {
	virsh destroy "$1" >/dev/null 2>&1
	virsh undefine "$1" >/dev/null 2>&1
	return 0
}

domain_state() { virsh domstate "$1" 2>/dev/null | head -n1; }
domain_is() { [ "$(domain_state "$1")" = "$2" ]; }

# domain_hostdevs DOMAIN [--inactive]: the host sources of the domain's
# hostdevs, one per line: PCI addresses (0000:00:03.0) and mdev UUIDs.
domain_hostdevs() {
	virsh dumpxml "$@" | awk '
		/<hostdev / { inh = 1 }
		inh && /<source/ { ins = 1 }
		ins && /<address / {
			if (match($0, /uuid=.[0-9a-f-]+/)) { print substr($0, RSTART + 6, RLENGTH - 6) }
			else {
				d = $0; sub(/.*domain=.0x/, "", d); sub(/[^0-9a-f].*/, "", d)
				b = $0; sub(/.*bus=.0x/, "", b); sub(/[^0-9a-f].*/, "", b)
				s = $0; sub(/.*slot=.0x/, "", s); sub(/[^0-9a-f].*/, "", s)
				f = $0; sub(/.*function=.0x/, "", f); sub(/[^0-9a-f].*/, "", f)
				print d, b, s, f
			}
			ins = 0
		}
		/<\/source>/ { ins = 0 }
		/<\/hostdev>/ { inh = 0 }' | while read -r d b s f; do
		if [ -z "$b" ]; then echo "$d"; else printf '%04x:%02x:%02x.%x\n' "0x$d" "0x$b" "0x$s" "0x$f"; fi
	done
}

# start_timed DOMAIN: virsh start, printing how long it took.
start_timed() {
	local t
	t=$(cut -d' ' -f1 /proc/uptime)
	run virsh start "$1"
	local rc=$?
	note "virsh start $1: exit $rc after $(awk -v a="$t" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')s"
	return $rc
}

# qemu_pid DOMAIN: pid of the domain's QEMU process.
qemu_pid() { cat "/run/libvirt/qemu/$1.pid" 2>/dev/null; }

# OVMF firmware for nested guests that need UEFI (50-mmio): set
# NESTED_OS_XML="$OVMF_OS_XML" before define_domain.
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
OVMF_OS_XML="<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>$OVMF_CODE</loader><nvram template='$OVMF_VARS'/></os>"

# nested_bar VENDOR:DEVICE N DOMAIN: the nested firmware's address of BAR N
# of that device ("0xffffffffffffffff" while unassigned; empty if absent).
nested_bar() {
	nested_info_pci "$3" | awk -v id="PCI device $1" -v bar="BAR$2:" '
		index($0, id) { dev = 1; next }
		dev && /Bus / { dev = 0 }
		dev && index($0, bar) { for (i = 1; i <= NF; i++) if ($i == "at") { print $(i + 1); exit } }'
}

# ---- the demo host with systemd as PID 1 (demo-host --init systemd) ----------

# systemd_scenario: the preamble of a scenario that needs systemd as PID 1.
systemd_scenario() {
	[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] ||
		skip "needs systemd as PID 1: demo-host --init systemd (make check-vm-systemd)"
}

# boot_number: 1 in the demo host's first boot, one more after each
# reboot_demo_host.
boot_number() { echo "${DEMO_BOOT:-1}"; }

# reboot_demo_host PATH...: end this boot's part of the scenario.  PATHs
# (files, or directories with everything in them) are kept as a disk
# would keep them and put back before systemd starts in the next boot
# (guest/systemd-preinit), where the scenario runs again with boot_number
# one higher.  guest/run-scenarios powers off when this part returns.
reboot_demo_host() {
	local list p
	[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] || fail "reboot_demo_host needs systemd as PID 1"
	list=$(mktemp)
	for p in "$@"; do
		[ -e "$p" ] || [ -L "$p" ] || continue
		find "$p" \( -type f -o -type l -o -type d \) -print
	done | sed 's|^/||' > "$list"
	tar -C / --no-recursion -cpf "$DEMO_RESULTS/state.tar" -T "$list" ||
		fail "cannot keep the files for the next boot"
	note "kept $(wc -l < "$list") files and directories for boot $(($(boot_number) + 1))"
	rm -f "$list"
	touch "$DEMO_RESULTS/next-boot"
	step "power off (systemctl poweroff); this scenario continues in boot $(($(boot_number) + 1))"
	exit 0
}

# package_files PACKAGE...: what keeps PACKAGEs installed across a reboot:
# their files (not the directories they share) and their dpkg records.
package_files() {
	local p
	dpkg -L "$@" | while read -r p; do
		[ -d "$p" ] && [ ! -L "$p" ] || echo "$p"
	done
	for p; do ls -d /var/lib/dpkg/info/"$p".* /var/lib/dpkg/info/"$p":* 2>/dev/null; done
	echo /var/lib/dpkg/status
}

# unit_prop UNIT PROPERTY: one property of a unit, the value only.
unit_prop() { systemctl show -P "$2" "$1"; }

# mono_of FILE PATTERN: the monotonic time (seconds) of the first line of
# a "journalctl -o short-monotonic" dump that contains PATTERN, or nothing.
mono_of() {
	awk -v pat="$2" 'index($0, pat) { t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); print t; exit }' "$1"
}

# assert_before A B [WHAT]: time A (seconds) is earlier than B; both must be known.
assert_before() {
	[ -n "$1" ] && [ -n "$2" ] || fail "${3:-order}: a time is missing ('$1', '$2')"
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }' || fail "${3:-order}: $1 s is not before $2 s"
	note "ok: ${3:-order}: $1 s before $2 s"
}
