#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Where Pacemaker places GPU domains, replayed with crm_simulate on a CIB
# that gpupool's own commands build: the domains' `crm configure` lines
# come from `gpupool cluster-config` (loaded with crmsh, which checks them
# against the agents' meta-data), and each node's capacity and inventory
# are what the PoolCapacity agent publishes from `gpupool cluster-capacity`
# on that node.  Three (then four) simulated nodes (sim-nodes.sh) stand in
# for the hosts; after every scheduler run, the starts and stops it
# decided are run by the real agents on the simulated nodes (GpuDomain's
# cluster-prepare and gpupool's hook, which claims; PoolCapacity, which
# publishes), so the next run sees the capacity the nodes then publish.
# Every start the scheduler asks for must pass on its node: capacity and
# devices never disagree.
#
#   1  placement onto nodes with free devices: nothing before capacity is
#      published; then one domain per node that has a free device, none on
#      the node without the pool
#   2  published capacity never evicts a running domain: the nodes publish
#      again while their devices are held and nothing moves (publishing the
#      free count instead would stop a domain: shown on a copy), and a
#      stopped PoolCapacity keeps what the cluster's domains hold
#   3  no room anywhere: a third domain stays stopped, and cluster-status
#      says why; it starts when a node gets a device (capacity appears)
#   4  failover: its node fails, the domain restarts on the node with a
#      free device; a second failure finds no room (stopped, and why);
#      drain (standby) of the last node stops the domain there
#   5  homogeneity: a node with another GPU model in the pool makes
#      `pool-check --cluster` fail, though placement goes by capacity
#
# Needs root and a private mount namespace: crmsh learns the agents'
# meta-data from crm_resource, which reads /usr/lib/ocf/resource.d only,
# and in this namespace that directory is this host's plus the build's
# agents (nothing on the host is changed).  Skips otherwise, and without
# pacemaker-cli-utils, crmsh or resource-agents.  About 20 s.
set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}

if [ -z "${GP_PLACEMENT_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private mount namespace shows crmsh the agents)"; exit 77; }
	for t in crm_simulate cibadmin crm_attribute crm_resource crm_mon crm xmllint unshare; do
		command -v $t > /dev/null 2>&1 ||
			{ echo "SKIP: $t not found (Debian: apt-get install pacemaker-cli-utils crmsh libxml2-utils)"; exit 77; }
	done
	[ -x /usr/lib/ocf/resource.d/heartbeat/VirtualDomain ] ||
		{ echo "SKIP: resource-agents not installed"; exit 77; }
	unshare --mount --propagation private true 2> /dev/null ||
		{ echo "SKIP: cannot create a mount namespace here (unshare --mount needs CAP_SYS_ADMIN)"; exit 77; }
	export GP_PLACEMENT_INSIDE=1
	exec timeout --kill-after=10 300 unshare --mount --propagation private -- "$0" "$@"
fi

WORK=$(mktemp -d /tmp/gpupool-placement.XXXXXX) || exit 1
trap 'umount /usr/lib/ocf/resource.d 2> /dev/null; rm -rf "$WORK"' EXIT
. "$top_srcdir/tests/cluster/sim-nodes.sh"
for f in "$CLI" "$HOOK" "$MKHOST" "$PRELOAD" "$AGENTS/GpuDomain" "$AGENTS/PoolCapacity"; do
	[ -e "$f" ] || { echo "FAIL: $f not built (run make check)"; exit 1; }
done

# What crm_resource (and so crmsh) sees: this host's agents and the build's.
mkdir -p "$WORK/resource.d/gpupool"
cp -a /usr/lib/ocf/resource.d/. "$WORK/resource.d/"
cp "$AGENTS/GpuDomain" "$AGENTS/PoolCapacity" "$WORK/resource.d/gpupool/"
mount --bind "$WORK/resource.d" /usr/lib/ocf/resource.d || { echo "FAIL: cannot bind the agents"; exit 1; }
# The agents run on the simulated nodes with VirtualDomain's stand-in.
sim_virtualdomain
export OCF_ROOT=$WORK/ocf
SHARED=$WORK/shared
mkdir -p "$SHARED"
export CIB_file=$WORK/cib.xml
n_step=0

# ---- scheduler runs, replayed on the simulated nodes ---------------------------------

# replay SIM_OUTPUT: the starts and stops crm_simulate executed, run by the
# agents on their simulated nodes (monitors are left to the steps).
replay() {
	local rsc action node n
	sed -n 's/^ *\* Resource action: *\([^ ]*\) *\([^ ]*\) on \(.*\)$/\1 \2 \3/p' "$1" |
	while read -r rsc action node; do
		case $action in start|stop) ;; *) continue ;; esac
		n=${node#node}
		case $rsc in
		gpupool-capacity*)
			RSC=$rsc agent "$n" PoolCapacity "$action" ;;
		*)
			RSC=$rsc agent "$n" GpuDomain "$action" config="$SHARED/$rsc.xml" force_stop=true ;;
		esac || echo "REFUSED $rsc $action on $node: ${AGENT_REASON:-$AGENT_OUT}"
	done
}

# schedule [CRM_SIMULATE_ARGS...]: one scheduler run on the CIB with these
# events; its actions simulated, then run by the agents on the nodes.
# Returns 1 when the transition had nothing to do.
schedule() {
	local refused
	echo "   crm_simulate -x cib.xml $* -S -O cib.xml"
	crm_simulate -x "$CIB_file" "$@" -S -O "$WORK/next.xml" > "$WORK/sim.out" 2>&1 ||
		{ cat "$WORK/sim.out"; fail "crm_simulate failed"; finish; }
	sed -n '/^Transition Summary:/,/^Executing/p' "$WORK/sim.out" | sed '1d;$d' | sed '/^ *$/d;s/^/   /'
	mv "$WORK/next.xml" "$CIB_file"
	refused=$(replay "$WORK/sim.out" | grep '^REFUSED')
	if [ -n "$refused" ]; then
		fail "the agents refused what the scheduler decided: $refused"
	else
		pass "every start and stop the scheduler decided passed on its node"
	fi
	grep -q '^Executing Cluster Transition:' "$WORK/sim.out" &&
		sed -n '/^Executing/,/^Revised/p' "$WORK/sim.out" | grep -q 'Resource action: .* \(start\|stop\) on '
}

# simulate TITLE [CRM_SIMULATE_ARGS...]: the events, then the scheduler
# again as long as the agents changed something (what a cluster's DC does
# when the CIB changes), at most 4 runs.
simulate() {
	local title=$1 round
	shift
	n_step=$((n_step + 1))
	section "step $n_step: $title"
	schedule "$@" || return 0
	for round in 2 3 4; do
		schedule || return 0
	done
}

# simulate_once TITLE [CRM_SIMULATE_ARGS...]: one scheduler run only.
simulate_once() {
	local title=$1
	shift
	n_step=$((n_step + 1))
	section "step $n_step: $title"
	schedule "$@"
	return 0
}

# placements: "DOMAIN NODE" per GPU domain (NODE "-" while stopped).
placements() {
	local xml r
	xml=$(crm_mon -1 -r --output-as=xml 2> /dev/null) || return 1
	for r in $(printf '%s\n' "$xml" | xmllint --xpath "//resource[@resource_agent='ocf:gpupool:GpuDomain']/@id" - |
		sed 's/ id="\([^"]*\)"/\1 /g'); do
		echo "$r $(printf '%s\n' "$xml" | xmllint --xpath "string(//resource[@id='$r'][@role='Started']/node/@name)" - |
			sed 's/^$/-/')"
	done | sort
}

node_of() { placements | awk -v r="$1" '$1 == r { print $2 }'; }

# expect_placed "DOMAIN NODE"...: the placements are exactly these.
expect_placed() {
	expect_eq "$(printf '%s\n' "$@" | sort)" "$(placements)" "placements"
}

# publish N [ACTION]: node N's PoolCapacity (its recurring monitor by default).
publish() {
	RSC=gpupool-capacity agent "$1" PoolCapacity "${2:-monitor}" CRM_meta_interval=30000 ||
		fail "PoolCapacity ${2:-monitor} on node$1: $AGENT_REASON"
}

capacity() { crm_attribute -t nodes -N "node$1" -z -n gpupool_gpus --query --quiet 2> /dev/null || echo none; }

held_on() { gpupool_on "$1" status --no-libvirt | awk '$2 == "held" { print $1, $3 }'; }

status_of() { "$CLI" cluster-status --cib "$CIB_file" | grep "^$1: "; }

# ---- the cluster, built by gpupool's commands ----------------------------------------
section "a CIB file, three nodes; domains and crm lines from gpupool's commands"
sim_node 1 1 1   # one A100 in pool gpus
sim_node 2 1 1   # one A100 in pool gpus
sim_node 3 1 0   # one A100, no pool yet
cibadmin --empty > "$CIB_file"
# A live cluster keeps have-quorum on the root; a file must be told.
cibadmin --modify --xml-text '<cib have-quorum="1"/>'
for n in 1 2 3; do cibadmin --create -o nodes --xml-text "<node id=\"$n\" uname=\"node$n\"/>"; done
# The test cluster's choice: no fence device (the failures below are
# simulated); a real cluster needs one (README, Clusters).
crm_attribute -t crm_config -n stonith-enabled -v false
for i in 1 2 3; do
	domain_file "$SHARED/vm$i.xml" "vm$i" "$i"
	gpupool_on 1 assign --file "$SHARED/vm$i.xml" --pool gpus > /dev/null ||
		{ fail "assign --file vm$i"; finish; }
done
on_sim 1 "$CLI" cluster-config --file "$SHARED/vm1.xml" > "$WORK/gpu.crm" || { fail "cluster-config vm1"; finish; }
for i in 2 3; do
	# the domain's lines; those a cluster needs once are in already
	on_sim 1 "$CLI" cluster-config --file "$SHARED/vm$i.xml" | sed -n '/^# ==== Domain/,$p' >> "$WORK/gpu.crm"
done
# vm3 stays stopped until step 3.
sed -i '/^primitive vm3 /,/^\tmeta/s/\tmeta allow-migrate/\tmeta target-role=Stopped allow-migrate/' "$WORK/gpu.crm"
grep -E '^(property|primitive|clone)|utilization|meta' "$WORK/gpu.crm" | sed 's/^/   /'
if out=$(crm configure load update "$WORK/gpu.crm" 2>&1); then
	pass "crm configure load update of cluster-config's lines"
else
	fail "crm configure load update: $out"
	finish
fi
expect_not_contains "$out" "ERROR" "crmsh"
expect_eq "ocf:gpupool:GpuDomain" "$(crm_resource -r vm2 --query-xml 2> /dev/null |
	sed -n 's/.*class="\([^"]*\)" provider="\([^"]*\)" type="\([^"]*\)".*/\1:\2:\3/p' | head -n 1)" "vm2's agent"

# ---- 1 -------------------------------------------------------------------------------
simulate_once "the nodes come up: no capacity is published yet, so no GPU domain starts; PoolCapacity starts everywhere" \
	--node-up node1 --node-up node2 --node-up node3
expect_placed "vm1 -" "vm2 -" "vm3 -"
expect_eq "1 1 none" "$(capacity 1) $(capacity 2) $(capacity 3)" "capacity node1 node2 node3 (node3 has no pool)"
out=$("$CLI" pool-check --cluster --cib "$CIB_file" 2>&1)
expect_rc 0 $? "pool-check --cluster"
expect_contains "$out" "pool 'gpus' is not on node3" "pool-check --cluster"

simulate "capacity published: vm1 and vm2 start, each on a node with a free device"
A=$(node_of vm1)
B=$(node_of vm2)
expect_eq "node1 node2" "$(printf '%s\n' "$A" "$B" | sort | paste -sd' ')" "the nodes of vm1 and vm2"
expect_eq "0000:e1:00.0 vm1" "$(held_on "${A#node}")" "claims on $A"
expect_eq "0000:e1:00.0 vm2" "$(held_on "${B#node}")" "claims on $B"

# ---- 2 -------------------------------------------------------------------------------
for n in 1 2 3; do publish $n; done
expect_eq "1 1 none" "$(capacity 1) $(capacity 2) $(capacity 3)" \
	"capacity published while the cluster's domains hold every device"
# The control: a node publishing its free devices (0) instead.
cp "$CIB_file" "$WORK/free-count.xml"
CIB_file=$WORK/free-count.xml crm_attribute -t nodes -N "$A" -z -n gpupool_gpus -v 0
crm_simulate -x "$WORK/free-count.xml" -S > "$WORK/control.out" 2>&1
expect_contains "$(sed -n '/^Transition Summary:/,/^Executing/p' "$WORK/control.out")" "due to node availability" \
	"crm_simulate with $A publishing its free count (0) instead, the control"
simulate "the nodes publish again while vm1 and vm2 hold their devices: nothing moves"
expect_placed "vm1 $A" "vm2 $B" "vm3 -"
publish "${A#node}" stop
expect_eq 1 "$(capacity "${A#node}")" "$A's capacity after its PoolCapacity stopped (vm1 holds its device)"
simulate "PoolCapacity stopped on $A: vm1 stays"
expect_placed "vm1 $A" "vm2 $B" "vm3 -"
publish "${A#node}" start

# ---- 3 -------------------------------------------------------------------------------
crm_resource -r vm3 --meta -p target-role -v Started > /dev/null
simulate "vm3 is started, but no node has a free device: it stays stopped"
expect_placed "vm1 $A" "vm2 $B" "vm3 -"
expect_eq "vm3: stopped: no node has a free device of pool gpus: node1 0/1 free, node2 0/1 free, node3 has no pool gpus" \
	"$(status_of vm3)" "cluster-status"
gpupool_on 3 pool-create gpus --type pci > /dev/null && gpupool_on 3 pool-add gpus 0000:e1:00.0 > /dev/null ||
	fail "pool gpus on node3"
publish 3
expect_eq 1 "$(capacity 3)" "node3's capacity with its device in the pool"
simulate "capacity appears on node3: vm3 starts there"
expect_placed "vm1 $A" "vm2 $B" "vm3 node3"
expect_eq "0000:e1:00.0 vm3" "$(held_on 3)" "claims on node3"

# ---- 4 -------------------------------------------------------------------------------
crm_resource -r vm3 --meta -p target-role -v Stopped > /dev/null
simulate "vm3 is stopped: node3's device is free again"
expect_placed "vm1 $A" "vm2 $B" "vm3 -"
expect_eq "" "$(held_on 3)" "claims on node3"
simulate "$A (vm1) fails: vm1 restarts on node3, the node with a free device" --node-fail "$A"
expect_placed "vm1 node3" "vm2 $B" "vm3 -"
expect_eq "0000:e1:00.0 vm1" "$(held_on 3)" "claims on node3"
simulate "$B (vm2) fails too: no node has room for vm2, which stays stopped" --node-fail "$B"
expect_placed "vm1 node3" "vm2 -" "vm3 -"
expect_eq "vm2: stopped: no node has a free device of pool gpus: node1 offline, node2 offline, node3 0/1 free" \
	"$(status_of vm2)" "cluster-status"
crm_attribute -t nodes -N node3 -n standby -v on
simulate "standby (drain) of node3: vm1 has nowhere to go and stops"
expect_placed "vm1 -" "vm2 -" "vm3 -"
expect_eq "vm1: stopped: no node can take it: node1 offline, node2 offline, node3 standby" \
	"$(status_of vm1)" "cluster-status"
crm_attribute -t nodes -N node3 -n standby -v off
simulate "node3 back online: PoolCapacity publishes again there, and vm1 or vm2 takes its device, the other waits"
expect_eq 1 "$(placements | grep -c ' node3$')" "GPU domains on node3"
expect_eq 1 "$(held_on 3 | wc -l)" "claims on node3"

# ---- 5 -------------------------------------------------------------------------------
section "a fourth node whose pool gpus holds another model (T4s)"
sim_node 4 1 1 1eb8
cibadmin --create -o nodes --xml-text '<node id="4" uname="node4"/>'
simulate "node4 comes up: PoolCapacity publishes its T4, and the waiting domain starts there" --node-up node4
expect_eq "10de:1eb8" "$(crm_attribute -N node4 -l reboot -n gpupool_gpus_ids --query --quiet 2> /dev/null)" \
	"node4's inventory (transient)"
expect_eq "node3 node4 -" "$(placements | awk '{ print $2 }' | paste -sd' ')" "the nodes of vm1, vm2 and vm3"
out=$("$CLI" pool-check --cluster --cib "$CIB_file" 2>&1)
expect_rc 1 $? "pool-check --cluster with A100s and a T4 in one pool"
expect_contains "$out" "10de:20b5" "pool-check --cluster"
expect_contains "$out" "10de:1eb8" "pool-check --cluster"
echo "$out" | sed 's/^/   /'

finish
