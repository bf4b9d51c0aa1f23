#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What gpupool adds to a cluster's failover, and what Pacemaker's own part
# is, measured where each can be measured honestly on any Debian machine
# (no demo host, no GPU, no IOMMU):
#
#   (s) what GpuDomain adds to a start and a stop, over VirtualDomain's:
#       both agents run as pacemaker-execd runs them on a simulated node
#       with 8 devices (tests/cluster/sim-nodes.sh), VirtualDomain's part
#       played by the tests' stand-in, which runs gpupool's hook as libvirt
#       would; GpuDomain's start minus the stand-in's is cluster-prepare and
#       the wrapper, its stop minus the stand-in's is cluster-forget.  The
#       hook's claim and release, which a pool domain costs whichever agent
#       starts it, are timed on their own.  Target: GpuDomain adds < 300 ms
#       to a start.  No root needed.
#   (f) node loss to domain running on the survivor, in a 2-node Pacemaker
#       cluster of namespaced nodes on this machine (tests/vm/cluster.sh:
#       corosync, pacemaker, libvirtd per node), with
#       ocf:heartbeat:VirtualDomain and a plain domain (QEMU, TCG): no
#       device can be passed through outside the demo host, so this is the
#       cluster's part, to which gpupool adds (s) and the hook's claim.
#       Needs root, network/mount/PID namespaces, corosync, pacemaker and
#       libvirt; skipped with the reason otherwise, or with
#       BENCH_CLUSTER_KILLS=0.  About a minute per kill.
#
# The demo host's end-to-end times with real passthrough are in
# tests/vm/README.md (80-cluster-gpu).
set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
RUNS=${BENCH_CLUSTER_RUNS:-21}
KILLS=${BENCH_CLUSTER_KILLS:-3}
TARGET_START_MS=300
say() { echo "bench-cluster: $*"; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "?" }'; }

WORK=$(mktemp -d /tmp/gpupool-bench-cluster.XXXXXX) || exit 1
cleanup() {
	[ -n "${CLUSTER_DIR:-}" ] && [ -e "${CLUSTER_DIR:-/nonexistent}/size" ] && cluster_destroy > /dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
fail=0

# ---- (s) GpuDomain's cost over VirtualDomain's -----------------------------------
. "$top_srcdir/tests/cluster/sim-nodes.sh"
for f in "$CLI" "$HOOK" "$MKHOST" "$PRELOAD" "$AGENTS/GpuDomain"; do
	[ -e "$f" ] || { say "$f not built (make bench builds it)"; exit 1; }
done
if [ ! -r "$REAL_OCF_ROOT/lib/heartbeat/ocf-shellfuncs" ]; then
	say "(s) skipped: resource-agents is not installed (apt-get install resource-agents)"
else
	sim_node 1 8 8
	sim_virtualdomain
	export OCF_ROOT=$WORK/ocf
	domain_file "$WORK/vm1.xml" vm1 1
	gpupool_on 1 assign --file "$WORK/vm1.xml" --pool gpus > /dev/null
	VD=$WORK/ocf/resource.d/heartbeat/VirtualDomain
	copy=$WORK/node1/run/gpupool/cluster/vm1.xml
	vd() { # ACTION: the stand-in on the runtime copy, as GpuDomain runs it
		on_sim 1 env OCF_RA_VERSION_MAJOR=1 OCF_RESOURCE_TYPE=VirtualDomain OCF_RESOURCE_INSTANCE=vm1 \
			OCF_RESKEY_config="$copy" "$VD" "$1" > /dev/null 2>&1
	}
	on_sim 1 "$CLI" cluster-prepare --file "$WORK/vm1.xml" > /dev/null
	: > "$WORK/s.times"
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now_ms); vd start || say "the stand-in's start failed"
		t1=$(now_ms); vd stop
		t2=$(now_ms); RSC=vm1 agent 1 GpuDomain start config="$WORK/vm1.xml" || say "GpuDomain start failed: $AGENT_REASON"
		t3=$(now_ms); RSC=vm1 agent 1 GpuDomain stop config="$WORK/vm1.xml"
		t4=$(now_ms); on_sim 1 "$CLI" cluster-prepare --file "$WORK/vm1.xml" > /dev/null
		t5=$(now_ms); hook_on 1 vm1 prepare begin < "$copy" > /dev/null 2>&1
		t6=$(now_ms); hook_on 1 vm1 release end < "$copy" > /dev/null 2>&1
		t7=$(now_ms); on_sim 1 "$CLI" cluster-forget --file "$WORK/vm1.xml" > /dev/null
		t8=$(now_ms)
		echo "$((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t4 - t3)) $((t5 - t4)) $((t6 - t5)) $((t7 - t6)) $((t8 - t7))" >> "$WORK/s.times"
		on_sim 1 "$CLI" cluster-prepare --file "$WORK/vm1.xml" > /dev/null
	done
	col() { awk -v c="$1" '{ print $c }' "$WORK/s.times" | median; }
	vd_start=$(col 1); vd_stop=$(col 2); gd_start=$(col 3); gd_stop=$(col 4)
	prepare=$(col 5); claim=$(col 6); release=$(col 7); forget=$(col 8)
	added_start=$((gd_start - vd_start))
	added_stop=$((gd_stop - vd_stop))
	say "(s) medians of $RUNS runs on a simulated node with 8 devices, in ms:"
	say "    VirtualDomain's stand-in: start $vd_start (its hook claim included), stop $vd_stop"
	say "    GpuDomain:                start $gd_start, stop $gd_stop"
	say "    GpuDomain adds:           $added_start ms to a start (target < $TARGET_START_MS ms), $added_stop ms to a stop"
	say "    of which gpupool itself:  cluster-prepare $prepare, cluster-forget $forget"
	say "    the hook, any pool domain: claim (prepare begin) $claim, release (release end) $release"
	[ "$added_start" -lt "$TARGET_START_MS" ] || { say "(s) over target"; fail=1; }
	export OCF_ROOT=$REAL_OCF_ROOT
fi

# ---- (f) node loss to running elsewhere, the cluster's part -------------------------
skip_f() { say "(f) skipped: $*"; exit $fail; }
[ "$KILLS" -gt 0 ] || skip_f "BENCH_CLUSTER_KILLS=0"
[ "$(id -u)" = 0 ] || skip_f "needs root (network, mount and PID namespaces for the nodes)"
for c in corosync pacemakerd crm crm_mon libvirtd virtlogd virsh qemu-system-x86_64 ip nsenter unshare xmllint; do
	command -v $c > /dev/null 2>&1 ||
		skip_f "$c not found (apt-get install pacemaker corosync crmsh libvirt-daemon-system qemu-system-x86 iproute2 libxml2-utils)"
done
[ -x /usr/lib/ocf/resource.d/heartbeat/VirtualDomain ] || skip_f "resource-agents is not installed"
ip netns add gpupool-bench-probe 2> /dev/null && ip netns del gpupool-bench-probe ||
	skip_f "cannot create network namespaces here"
# lib.sh (for domain_xml) and the cluster test bed, with names of their
# own, so that nothing else on this machine is touched.
VMDIR=$top_srcdir/tests/vm
BUILDDIR=$top_builddir
. "$VMDIR/lib.sh"
export CLUSTER_DIR=$WORK/cluster CLUSTER_PREFIX=gpb CLUSTER_BRIDGE=gpbbr0 CLUSTER_NET=10.213.11
. "$VMDIR/cluster.sh"
cluster_create 2 > "$WORK/create.log" 2>&1 || { cat "$WORK/create.log"; skip_f "the nodes did not boot"; }
cluster_wait_formed 120 > /dev/null 2>&1 || skip_f "the cluster did not form within 120 s"
say "(f) 2 namespaced nodes formed a cluster in ${CLUSTER_FORMED_SECS}s"
domain_xml bench-vd > "$CLUSTER_SHARED/bench-vd.xml"
cat > "$CLUSTER_SHARED/vd.crm" <<CRM
primitive bench-vd ocf:heartbeat:VirtualDomain \\
	params config="$CLUSTER_SHARED/bench-vd.xml" hypervisor="qemu:///system" force_stop=true \\
	op start timeout=120s interval=0 op stop timeout=120s interval=0 \\
	op monitor interval=30s timeout=60s
CRM
on_node 1 crm configure load update "$CLUSTER_SHARED/vd.crm" > /dev/null 2>&1
wait_resource_off bench-vd "" 120 > /dev/null 2>&1 || skip_f "the domain did not start"
: > "$WORK/f.times"
for ((k = 1; k <= KILLS; k++)); do
	from=${RESOURCE_NODE#node}
	node_kill "$from" || break
	wait_node_offline "$from" 60 > /dev/null 2>&1
	seen=$(_cl_since "$NODE_KILLED_AT")
	wait_resource_off bench-vd "node$from" 120 > /dev/null 2>&1 || { say "(f) the domain did not restart"; fail=1; break; }
	running=$(_cl_since "$NODE_KILLED_AT")
	say "(f) kill $k: node$from seen offline after ${seen}s, the domain running on $RESOURCE_NODE after ${running}s"
	echo "$seen $running" >> "$WORK/f.times"
	node_start "$from" > /dev/null 2>&1 && cluster_wait_formed 120 > /dev/null 2>&1 || { say "(f) node$from did not rejoin"; break; }
done
if [ -s "$WORK/f.times" ]; then
	seen=$(awk '{ print $1 }' "$WORK/f.times" | median)
	running=$(awk '{ print $2 }' "$WORK/f.times" | median)
	say "(f) node loss to running elsewhere: median ${running}s (seen offline ${seen}s), VirtualDomain, plain domain"
	if [ -n "${added_start:-}" ]; then
		share=$((added_start + claim))
		say "    gpupool's part of it (GpuDomain's additions $added_start ms + the hook's claim $claim ms): ${share} ms," \
			"$(awk -v s="$share" -v r="$running" 'BEGIN { printf "%.1f", s / (r * 10) }')% of it"
	fi
fi
exit $fail
