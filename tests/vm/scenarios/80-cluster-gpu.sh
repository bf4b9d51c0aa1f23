#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 80-cluster-gpu: a cluster-wide GPU pool on a real 2-node Pacemaker
# cluster (namespaced nodes, cluster.sh), with real passthrough.  Node 1
# owns one bochs-display, node 2 the other, both in pool 'gpus'; every
# node runs gpupool's hook; the agents are installed where a package puts
# them; the PoolCapacity clone and two GpuDomain resources are loaded from
# `gpupool cluster-config`.  Proven, with the claims of every node checked
# after every step (each node's domains hold only that node's device, the
# holder runs there, no domain runs twice):
#   - a GPU domain starts on a node with a free device and really gets it
#     (QEMU holds the device's VFIO group, the nested guest sees it);
#   - a live migration of a whole-device domain is refused: `virsh
#     migrate` by libvirt on the source, and by GpuDomain at once when
#     standby (the drain) of its node tries one with allow-migrate set by
#     hand; the cluster restarts it on the other node with that node's
#     device instead;
#   - killing its node restarts it on the survivor;
#   - a second domain with no free device anywhere stays stopped and
#     `gpupool cluster-status` says why, and starts when a device frees up.
# demo-host: scenario-timeout 2400
. "$VMDIR/lib.sh"
. "$VMDIR/cluster.sh"

NODES=2
T0=$(_cl_now)
require_gpupool cluster-prepare cluster-capacity cluster-config cluster-status
require_hook
cluster_scenario $NODES

node_no() { echo "${1#node}"; }        # node2 -> 2
other() { echo $((3 - $1)); }           # the other of nodes 1 and 2
ngp() { local n=$1; shift; on_node "$n" "$GPUPOOL" "$@"; }

# The device node N owns and its IOMMU group.
D1=$(cluster_node_device 1)
D2=$(cluster_node_device 2)
dev_of() { eval echo "\$D$1"; }

# runs_with_device DOM N: DOM runs on node N and really has node N's
# device: its live definition names that device and no other, its QEMU
# holds the device's VFIO group open, and the nested guest's PCI bus shows
# a 1234:1111.
runs_with_device() {
	local dom=$1 n=$2 dev out
	dev=$(dev_of "$n")
	out=$(on_node_lib "$n" "
		[ \"\$(domain_state $dom)\" = running ] || { echo 'not running'; exit 1; }
		devs=\$(domain_hostdevs $dom)
		[ \"\$devs\" = '$dev' ] || { echo \"hostdevs: \$devs\"; exit 1; }
		pid=\$(qemu_pid $dom)
		ls -l /proc/\$pid/fd 2>/dev/null | grep -q '/dev/vfio/$(pci_group "$dev")\$' ||
			{ echo 'QEMU does not hold /dev/vfio/$(pci_group "$dev")'; exit 1; }
		nested_has_pci $dom 1234 1111 || { echo 'not on the nested PCI bus'; exit 1; }
		echo \"QEMU pid \$pid holds /dev/vfio/$(pci_group "$dev"), the guest sees 1234:1111\"") ||
		fail "$dom on node$n does not have $dev: $out"
	note "ok: $dom runs on node$n with $dev ($out)"
}

# check_claims: on every live node, each held device is that node's own and
# its holder runs there, each running domain holds exactly that device, and
# no domain runs on two nodes.
check_claims() {
	local n out seen=
	for ((n = 1; n <= NODES; n++)); do
		node_alive $n || continue
		out=$(on_node_lib $n "
			\"\$GPUPOOL\" status --no-libvirt | awk '\$2 == \"held\" { print \$1, \$3 }' | while read -r dev dom; do
				[ \"\$dev\" = '$(dev_of $n)' ] || { echo \"holds \$dev, which is not its device\"; exit 1; }
				[ \"\$(domain_state \$dom)\" = running ] || { echo \"\$dev held by \$dom, which does not run here\"; exit 1; }
			done || exit 1
			for dom in \$(virsh list --name); do
				[ \"\$(domain_hostdevs \$dom)\" = '$(dev_of $n)' ] || { echo \"\$dom runs with \$(domain_hostdevs \$dom)\"; exit 1; }
				[ \"\$(held_by \$dom)\" = '$(dev_of $n)' ] || { echo \"\$dom runs without a claim\"; exit 1; }
				echo \"\$dom\"
			done") || fail "claims on node$n: $out"
		for d in $out; do
			case " $seen " in *" $d "*) fail "$d runs on two nodes" ;; esac
			seen="$seen $d"
		done
		note "ok: node$n: ${out:-no domain}$( [ -n "$out" ] && echo " holding $(dev_of $n)")"
	done
}

step "a $NODES-node cluster forms"
cluster_wait_formed 300 || fail "the cluster did not form"
T_FORMED=$CLUSTER_FORMED_SECS
note "formed ${T_FORMED}s after the nodes booted"

step "pool 'gpus' on both nodes, each with its own device; the hook on both; the agents installed"
t=$(_cl_now)
for ((n = 1; n <= NODES; n++)); do
	must ngp $n pool-create gpus --type pci
	must ngp $n pool-add gpus "$(dev_of $n)"
	must on_node_lib $n install_hook
done
must cluster_install_agents
must on_node 1 crm_resource --list-agents ocf:gpupool
assert_contains "$RUN_OUT" GpuDomain "agents Pacemaker finds"
assert_contains "$RUN_OUT" PoolCapacity "agents Pacemaker finds"
T_SETUP=$(_cl_since "$t")

step "two domains in the shared storage, each given its request with assign --file"
for vm in vm1 vm2; do
	domain_xml $vm "" "<uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>" > "$CLUSTER_SHARED/$vm.xml"
	must ngp 1 assign --file "$CLUSTER_SHARED/$vm.xml" --pool gpus
done

step "the crm lines from cluster-config: placement strategy, PoolCapacity clone, two GpuDomain resources"
must ngp 1 cluster-config --file "$CLUSTER_SHARED/vm1.xml"
printf '%s\n' "$RUN_OUT" > "$CLUSTER_SHARED/gpu.crm"
must ngp 1 cluster-config --file "$CLUSTER_SHARED/vm2.xml"
# vm2's primitive only (the lines a cluster needs once are already there),
# kept stopped for now.
printf '%s\n' "$RUN_OUT" | sed -n '/^# ==== Domain/,$p' |
	sed 's/meta allow-migrate=/meta target-role=Stopped allow-migrate=/' >> "$CLUSTER_SHARED/gpu.crm"
# The admin's choice for guests without an OS, which ignore ACPI shutdown:
# destroy at once instead of after the stop timeout.
sed -i 's|hypervisor="qemu:///system"|& force_stop=true|' "$CLUSTER_SHARED/gpu.crm"
# PoolCapacity's 60 s bounds are ample on a host; in nested TCG on a
# loaded machine its start (a gpupool command and a crm_attribute or
# attrd_updater per attribute, seconds each there) can take longer.
sed -i '/^primitive gpupool-capacity /,/^clone /s/timeout=60s/timeout=180s/' "$CLUSTER_SHARED/gpu.crm"
sed 's/^/    /' "$CLUSTER_SHARED/gpu.crm"
assert_contains "$(cat "$CLUSTER_SHARED/gpu.crm")" "utilization gpupool_gpus=1" "crm lines"
assert_contains "$(cat "$CLUSTER_SHARED/gpu.crm")" "allow-migrate=false" "crm lines"
t=$(_cl_now)
must on_node 1 crm configure load update "$CLUSTER_SHARED/gpu.crm"
T_CRM=$(_cl_since "$t")

step "each node publishes its capacity; vm1 starts on a node with a free device and gets it"
wait_resource_off vm1 "" 420 || fail "vm1 did not start"
T_START=$(_cl_since "$t")
A=$(node_no "$RESOURCE_NODE")
B=$(other $A)
note "vm1 started on node$A ${T_START}s after crm configure began (${T_CRM}s of it crm configure)"
runs_with_device vm1 $A
publishes() { [ "$(crm_any crm_attribute -t nodes -N "node$1" -z -n gpupool_gpus --query --quiet 2>/dev/null)" = "$2" ]; }
for ((n = 1; n <= NODES; n++)); do
	wait_for 120 "node$n publishes gpupool_gpus=1 (its device, whether held by vm1 or free)" publishes $n 1
done
must ngp $A cluster-status
assert_contains "$RUN_OUT" "vm1: running on node$A" "cluster-status"
assert_contains "$RUN_OUT" "vm2: stopped: target-role Stopped" "cluster-status"
must ngp 1 pool-check --cluster
assert_contains "$RUN_OUT" "pool 'gpus': ok on node1, node2" "pool-check --cluster"
check_claims

step "a live migration of vm1 (whole device) is refused by libvirt for virsh migrate"
must_fail on_node $A virsh migrate --live vm1 qemu+tcp://node$B/system
assert_contains "$RUN_OUT" "VFIO device doesn't support migration" "virsh migrate"
assert_eq running "$(on_node $A virsh domstate vm1)" "state of vm1 on node$A after the refused virsh migrate"

step "standby (the drain) of node$A with allow-migrate=true: GpuDomain refuses the live migration at once, and the cluster restarts vm1 on node$B with node$B's device"
# allow-migrate=true is what an admin might set by hand; cluster-config
# never does for whole devices.  Pacemaker keeps no exit reason for a
# migration (its history records migrate_to under its own key, without
# one): the reason is in the node's log, from the agent's error output.
must crm_any crm_resource -r vm1 --meta -p allow-migrate -v true
t=$(_cl_now)
must node_standby $A
wait_resource_on vm1 node$B 420 || fail "vm1 did not come to node$B"
T_DRAIN=$(_cl_since "$t")
run crm_any cibadmin --query --xpath "//node_state[@uname='node$A']//lrm_rsc_op[@id='vm1_migrate_to_0']"
assert_contains "$RUN_OUT" 'operation="migrate_to"' "vm1's migrate_to on node$A"
assert_contains "$RUN_OUT" 'rc-code="1"' "vm1's migrate_to on node$A"
T_REFUSED_MS=$(printf '%s\n' "$RUN_OUT" | sed -n 's/.* exec-time="\([0-9]*\)".*/\1/p')
assert_contains "$(grep -h 'vm1_migrate_to_0' "$(_node_dir $A)/var/log/pacemaker/pacemaker.log")" \
	"vm1: live migration to node$B refused: pool gpus hands out whole devices" "node$A's log of vm1's migrate_to"
note "migrate_to refused after ${T_REFUSED_MS} ms; vm1 running on node$B ${T_DRAIN}s after the standby"
runs_with_device vm1 $B
check_claims
must node_online $A
must crm_any crm_resource -r vm1 --meta -p allow-migrate -v false
must crm_any crm_resource -r vm1 --cleanup

step "killing node$B (every process, QEMU included) restarts vm1 on node$A"
echo "# node_kill $B"
node_kill $B || fail "node_kill $B failed"
t=$NODE_KILLED_AT
wait_node_offline $B 120 || fail "node$B was not seen offline"
T_LOST=$(_cl_since "$t")
wait_resource_on vm1 node$A 420 || fail "vm1 did not restart on node$A"
T_RECOVER=$(_cl_since "$t")
note "node$B seen offline ${T_LOST}s after the kill, vm1 running on node$A ${T_RECOVER}s after it"
runs_with_device vm1 $A
check_claims

step "vm2 has no free device anywhere (node$B down, node$A's held by vm1): it stays stopped, and cluster-status says why"
must crm_any crm_resource -r vm2 --meta -p target-role -v Started
# The cluster decides at once; give it two transitions' time to prove
# nothing starts.
sleep 10
assert_eq "" "$(resource_node vm2)" "node of vm2"
must ngp $A cluster-status
why=$(for ((n = 1; n <= NODES; n++)); do
	if [ $n = $B ]; then echo "node$n offline"; else echo "node$n 0/1 free"; fi
done | paste -sd, | sed 's/,/, /g')
assert_contains "$RUN_OUT" "vm2: stopped: no node has a free device of pool gpus: $why" "cluster-status"
assert_eq "" "$(on_node $A virsh list --name | grep -x vm2)" "vm2 on node$A"

step "a device frees up (vm1 stopped): vm2 starts on node$A with its device"
t=$(_cl_now)
must crm_any crm_resource -r vm1 --meta -p target-role -v Stopped
wait_resource_on vm2 node$A 420 || fail "vm2 did not start on node$A"
T_FREED=$(_cl_since "$t")
note "vm2 running on node$A ${T_FREED}s after vm1 was stopped"
runs_with_device vm2 $A
assert_eq "" "$(on_node $A virsh list --name | grep -x vm1)" "vm1 on node$A"
must ngp $A cluster-status
assert_contains "$RUN_OUT" "vm2: running on node$A" "cluster-status"
assert_contains "$RUN_OUT" "vm1: stopped: target-role Stopped" "cluster-status"
check_claims

step "teardown leaves no cluster process, namespace or link behind"
must cluster_destroy
assert_eq 0 "$(pgrep -xc corosync)" "corosync processes"
assert_eq 0 "$(pgrep -fc '^/usr/lib/pacemaker/pacemaker-')" "pacemaker daemons"
assert_eq 0 "$(pgrep -fc '^/usr/bin/qemu-system-x86_64 ')" "QEMU processes"
assert_eq "" "$(ip netns list)" "network namespaces"

echo
echo "timings ($NODES nodes): formed ${T_FORMED}s; pools, hooks, agents ${T_SETUP}s; crm configure ${T_CRM}s;" \
	"first start ${T_START}s; drain with a refused migrate_to (${T_REFUSED_MS}ms) ${T_DRAIN}s; node loss seen ${T_LOST}s, running elsewhere ${T_RECOVER}s after the kill;" \
	"freed device to running ${T_FREED}s; scenario $(_cl_since "$T0")s"
