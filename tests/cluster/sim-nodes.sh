# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Simulated cluster nodes for the offline cluster tests (test-agents.sh,
# test-placement.sh): no corosync, no pacemaker daemons, no libvirt.
#
# Node N is a simulated host (tests/integration/gp-it-host) in
# $WORK/nodeN: its sysfs, /etc/gpupool and /run/gpupool, and the resource
# agents' HA_RSCTMP.  on_sim runs a command as if on that node: the build
# tree's gpupool against the node's files, and what pacemaker-execd gives
# a resource agent there (OCF_ROOT, OCF_RESKEY_CRM_meta_on_node).  A CIB
# file (CIB_file) stands in for the cluster, which Pacemaker's tools and
# the agents' crm_attribute calls read and write instead.
#
# Sourced with top_builddir, top_srcdir and WORK set.

CLI=$top_builddir/src/gpupool
HOOK=$top_builddir/hooks/gpupool-hook
MKHOST=$top_builddir/tests/integration/gp-it-host
PRELOAD=$top_builddir/tests/sim/.libs/libgpsim-preload.so
AGENTS=$top_builddir/ocf
: "${OCF_ROOT:=/usr/lib/ocf}"
export OCF_ROOT
REAL_OCF_ROOT=$OCF_ROOT

checks=0
failures=0

pass() { checks=$((checks + 1)); echo "  ok: $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "  FAIL: $*"; }
section() { echo; echo "== $*"; }

# expect_eq WANT GOT WHAT / expect_contains TEXT PART WHAT / expect_rc WANT GOT WHAT
expect_eq() { if [ "$1" = "$2" ]; then pass "$3: $2"; else fail "$3: expected '$1', got '$2'"; fi; }
expect_contains() {
	case "$1" in
	*"$2"*) pass "$3 says '$2'" ;;
	*) fail "$3 does not say '$2': $1" ;;
	esac
}
expect_not_contains() {
	case "$1" in
	*"$2"*) fail "$3 says '$2' but must not: $1" ;;
	*) pass "$3 does not say '$2'" ;;
	esac
}
expect_rc() { if [ "$1" = "$2" ]; then pass "$3: exit $2"; else fail "$3: expected exit $1, got $2"; fi; }

# finish: the summary line and the exit status.
finish() {
	echo
	if [ "$failures" = 0 ]; then
		echo "PASS: $checks checks"
		exit 0
	fi
	echo "FAIL: $failures of $checks checks failed"
	exit 1
}

# need TOOL PACKAGE...: skip the test (exit 77) without TOOL.
need() {
	local tool=$1
	shift
	command -v "$tool" > /dev/null 2>&1 || { echo "SKIP: $tool not found (Debian: apt-get install $*)"; exit 77; }
}

# sim_node N NGPUS POOLSIZE [DEVICE]: node N with NGPUS simulated GPUs
# (10de:DEVICE, A100s by default), POOLSIZE of them in pool 'gpus'.
sim_node() {
	rm -rf "$WORK/node$1"
	"$MKHOST" "$WORK/node$1" "$2" "$3" ${4:+0 "$4"} > /dev/null || { echo "gp-it-host failed" >&2; exit 1; }
	mkdir -p "$WORK/node$1/rsctmp"
}

# on_sim N CMD...: CMD as if on node N.
on_sim() {
	local n=$1
	shift
	GPUPOOL_SYSFS_ROOT=$WORK/node$n/sys GPUPOOL_CONFDIR=$WORK/node$n/etc/gpupool \
	GPUPOOL_STATEDIR=$WORK/node$n/run/gpupool GPUPOOL_SCHEMADIR=$top_srcdir/xml \
	GPUPOOL_HOOK_LIBDIR=$top_builddir/hooks/.libs \
	GPUPOOL_PCI_IDS=$top_srcdir/tests/data/pci.ids GPUPOOL_CLI=$CLI \
	HA_RSCTMP=$WORK/node$n/rsctmp OCF_RESKEY_CRM_meta_on_node=node$n \
		"$@"
}

# gpupool_on N ARGS...: the build tree's gpupool on node N; with the
# simulated kernel preloaded, so that what it writes takes effect.
gpupool_on() {
	local n=$1
	shift
	on_sim "$n" env LD_PRELOAD="$PRELOAD" "$CLI" "$@"
}

# hook_on N DOMAIN OPERATION SUBOPERATION < XML: gpupool's libvirt hook
# on node N, as libvirtd runs it (domain XML on stdin).
hook_on() {
	local n=$1
	shift
	on_sim "$n" env LD_PRELOAD="$PRELOAD" "$HOOK" "$@" -
}

# agent N AGENT ACTION [NAME=VALUE...]: a resource agent's action on node N
# as pacemaker-execd runs it, the NAME=VALUE words as its parameters
# (OCF_RESKEY_NAME) or meta attributes (CRM_meta_NAME).  Its exit status;
# stdout and stderr in AGENT_OUT, the last exit reason in AGENT_REASON.
agent() {
	local n=$1 a=$2 action=$3 kv
	local -a env=(OCF_RA_VERSION_MAJOR=1 OCF_RA_VERSION_MINOR=1 OCF_RESOURCE_TYPE="$a"
		OCF_RESOURCE_PROVIDER=gpupool OCF_RESOURCE_INSTANCE="${RSC:-$a}")
	shift 3
	for kv; do env+=("OCF_RESKEY_$kv"); done
	AGENT_OUT=$(on_sim "$n" env "${env[@]}" "$AGENTS/$a" "$action" 2>&1)
	local rc=$?
	AGENT_REASON=$(printf '%s\n' "$AGENT_OUT" | sed -n 's/^ocf-exit-reason://p' | tail -n 1)
	return $rc
}

# domain_file PATH NAME NUM: a small domain definition with a UUID.
domain_file() {
	cat > "$1" <<XML
<domain type='qemu'>
  <name>$2</name>
  <uuid>$(printf '%08x-0000-4000-8000-%012x' "$3" "$3")</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
XML
}

# sim_virtualdomain: an OCF root, $WORK/ocf, beside resource-agents' own
# ocf-shellfuncs, whose ocf:heartbeat:VirtualDomain stands in for the real
# one for GpuDomain on simulated nodes.  It appends "TYPE ACTION CONFIG
# cpu=AUTOSET" to $WORK/vd.log, and starts a domain the way libvirt would,
# by running gpupool's hook at prepare (so that claims are real; a refusal
# comes back as libvirt words it), and at stop its release.  A running
# domain is a file in the node's HA_RSCTMP.  Its meta-data is the real
# VirtualDomain's.  An executable $WORK/before-start runs before a start.
sim_virtualdomain() {
	mkdir -p "$WORK/ocf/lib" "$WORK/ocf/resource.d/heartbeat"
	ln -sfn "$REAL_OCF_ROOT/lib/heartbeat" "$WORK/ocf/lib/heartbeat"
	cat > "$WORK/ocf/resource.d/heartbeat/VirtualDomain" <<STUB
#!/bin/bash
if [ "\$1" = meta-data ]; then
	OCF_ROOT='$REAL_OCF_ROOT' exec '$REAL_OCF_ROOT/resource.d/heartbeat/VirtualDomain' meta-data
fi
name=\$(sed -n 's|^ *<name>\\(.*\\)</name> *\$|\\1|p' "\$OCF_RESKEY_config" | head -n 1)
echo "\$OCF_RESOURCE_TYPE \$1 \$OCF_RESKEY_config cpu=\$OCF_RESKEY_autoset_utilization_cpu" >> '$WORK/vd.log'
hook() { LD_PRELOAD='$PRELOAD' '$HOOK' "\$name" "\$@" - < "\$OCF_RESKEY_config"; }
running=\$HA_RSCTMP/running.\$name
[ "\$1" = start ] && [ -x '$WORK/before-start' ] && '$WORK/before-start'
case \$1 in
start)
	if ! out=\$(hook prepare begin 2>&1); then
		echo "error: Failed to create domain from \$OCF_RESKEY_config"
		echo "error: Hook script execution failed: internal error: Child process (/etc/libvirt/hooks/qemu.d/gpupool \$name prepare begin -) unexpected exit status 1: \$out"
		echo "ocf-exit-reason:Failed to start virtual domain \$name."
		exit 1
	fi
	touch "\$running" ;;
stop) [ -e "\$running" ] && hook release end; rm -f "\$running" ;;
monitor) [ -e "\$running" ] || exit 7 ;;
esac
exit 0
STUB
	chmod +x "$WORK/ocf/resource.d/heartbeat/VirtualDomain"
}
