#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The resource agents ocf:gpupool:GpuDomain and ocf:gpupool:PoolCapacity,
# run as pacemaker-execd runs them, on simulated nodes (sim-nodes.sh): the
# build tree's gpupool and hook against simulated hosts, a CIB file for
# the cluster, and for GpuDomain a stand-in for VirtualDomain that records
# what it was asked and "starts" a domain the way libvirt would, by
# running gpupool's hook (so that claims are real).
#
#   meta-data     both well formed and valid for resource-agents' schema;
#                 GpuDomain's lists every parameter of the installed
#                 VirtualDomain, with gpupool's defaults
#   GpuDomain     start prepares this node's runtime copy and hands it to
#                 VirtualDomain, the shared file unchanged; no room: the
#                 start fails with gpupool's reason and VirtualDomain is
#                 not asked; a hook refusal is the exit reason; monitor and
#                 stop act on the copy, stop forgets it; migrate_to of a
#                 whole-device domain is refused at once (libvirt's test
#                 driver runs the domain), VirtualDomain never asked;
#                 validate-all refuses what a runtime copy cannot do
#   PoolCapacity  start publishes capacity and inventory in the CIB; a
#                 monitor of an unchanged node writes nothing; a device a
#                 domain outside the cluster holds is not offered, one a
#                 cluster domain holds still is; a pool that goes takes its
#                 attributes along; inventory=false; stop withdraws what
#                 nobody holds and keeps what cluster domains hold
#
# Needs resource-agents (ocf-shellfuncs, VirtualDomain) and
# pacemaker-cli-utils (cibadmin, crm_attribute, crm_simulate); skips
# without them.  No root needed.  A few seconds.
set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
WORK=$(mktemp -d /tmp/gpupool-agents.XXXXXX) || exit 1
trap 'rm -rf "$WORK"' EXIT
. "$top_srcdir/tests/cluster/sim-nodes.sh"

need cibadmin pacemaker-cli-utils
need crm_attribute pacemaker-cli-utils
need crm_simulate pacemaker-cli-utils
need xmllint libxml2-utils
[ -r "$OCF_ROOT/lib/heartbeat/ocf-shellfuncs" ] && [ -x "$OCF_ROOT/resource.d/heartbeat/VirtualDomain" ] ||
	{ echo "SKIP: resource-agents not installed ($OCF_ROOT/resource.d/heartbeat/VirtualDomain)"; exit 77; }
for f in "$CLI" "$HOOK" "$MKHOST" "$PRELOAD" "$AGENTS/GpuDomain" "$AGENTS/PoolCapacity"; do
	[ -e "$f" ] || { echo "FAIL: $f not built (run make check)"; exit 1; }
done


# ---- meta-data ------------------------------------------------------------------
section "meta-data"
for a in GpuDomain PoolCapacity; do
	OCF_ROOT=$REAL_OCF_ROOT "$AGENTS/$a" meta-data > "$WORK/$a.xml"
	expect_rc 0 $? "$a meta-data"
	if out=$(xmllint --noout "$WORK/$a.xml" 2>&1); then pass "$a meta-data is well formed"; else fail "$a meta-data: $out"; fi
	if [ -r /usr/share/resource-agents/metadata.rng ]; then
		if out=$(xmllint --noout --relaxng /usr/share/resource-agents/metadata.rng "$WORK/$a.xml" 2>&1); then
			pass "$a meta-data valid for resource-agents' metadata.rng"
		else
			fail "$a meta-data against metadata.rng: $out"
		fi
	fi
	expect_eq "$a" "$(xmllint --xpath 'string(/resource-agent/@name)' "$WORK/$a.xml")" "agent name"
	expect_eq 1.1 "$(xmllint --xpath 'string(/resource-agent/version)' "$WORK/$a.xml")" "$a's OCF version"
done
OCF_ROOT=$REAL_OCF_ROOT "$REAL_OCF_ROOT/resource.d/heartbeat/VirtualDomain" meta-data > "$WORK/vd.xml" 2>/dev/null
params() { xmllint --xpath '//parameters/parameter/@name' "$1" | sed 's/ name="\([^"]*\)"/\1\n/g' | sed '/^$/d'; }
missing=$(comm -23 <(params "$WORK/vd.xml" | sort) <(params "$WORK/GpuDomain.xml" | sort) | tr '\n' ' ')
expect_eq "" "$missing" "VirtualDomain parameters GpuDomain's meta-data lacks"
expect_eq "$(params "$WORK/vd.xml" | wc -l)" "$(params "$WORK/GpuDomain.xml" | wc -l)" "parameters of GpuDomain (those of VirtualDomain)"
for p in autoset_utilization_cpu autoset_utilization_host_memory autoset_utilization_hv_memory; do
	expect_eq false "$(xmllint --xpath "string(//parameter[@name='$p']/content/@default)" "$WORK/GpuDomain.xml")" "default of $p"
done
expect_contains "$(xmllint --xpath "string(//parameter[@name='config']/longdesc)" "$WORK/GpuDomain.xml")" \
	"gpupool assign --file" "config's description"
expect_contains "$(xmllint --xpath "string(//parameter[@name='snapshot']/longdesc)" "$WORK/GpuDomain.xml")" \
	"GpuDomain refuses it" "snapshot's description"
expect_eq 300s "$(xmllint --xpath "string(//action[@name='start']/@timeout)" "$WORK/GpuDomain.xml")" "GpuDomain's start timeout"

# ---- GpuDomain --------------------------------------------------------------------
sim_virtualdomain
export OCF_ROOT=$WORK/ocf
vd_log() { cat "$WORK/vd.log" 2>/dev/null; }

section "GpuDomain start: this node's runtime copy, handed to VirtualDomain"
sim_node 1 2 2
sim_node 2 1 1
domain_file "$WORK/vm1.xml" vm1 1
gpupool_on 1 assign --file "$WORK/vm1.xml" --pool gpus > /dev/null
cp "$WORK/vm1.xml" "$WORK/vm1.orig"
# node 2 has a single device, 0000:e1:00.0; the shared file reserved node
# 1's first, which node 2 names the same: hold node 2's with a domain the
# cluster does not manage, so that a start there must be refused.
domain_file "$WORK/local.xml" local 9
gpupool_on 2 assign --file "$WORK/local.xml" --pool gpus > /dev/null
hook_on 2 local prepare begin < "$WORK/local.xml" || fail "the hook did not claim for 'local' on node 2"
RSC=vm1
agent 1 GpuDomain start config="$WORK/vm1.xml"
expect_rc 0 $? "start on node1"
copy=$WORK/node1/run/gpupool/cluster/vm1.xml
expect_eq "VirtualDomain start $copy cpu=false" "$(vd_log)" "what VirtualDomain was asked"
if cmp -s "$WORK/vm1.xml" "$WORK/vm1.orig"; then pass "the shared file is unchanged"; else fail "the shared file changed"; fi
expect_contains "$(gpupool_on 1 status --no-libvirt)" "held  vm1" "node1's claims after the start"
expect_contains "$(cat "$copy")" "<alias name='ua-gpupool-0'/>" "the runtime copy"

section "GpuDomain monitor and stop act on the copy; stop forgets it"
: > "$WORK/vd.log"
agent 1 GpuDomain monitor config="$WORK/vm1.xml" CRM_meta_interval=60000
expect_rc 0 $? "monitor of the running domain"
agent 1 GpuDomain stop config="$WORK/vm1.xml"
expect_rc 0 $? "stop"
expect_eq "VirtualDomain monitor $copy cpu=false
VirtualDomain stop $copy cpu=false" "$(vd_log)" "what VirtualDomain was asked"
[ -e "$copy" ] && fail "the runtime copy is still there after stop" || pass "the runtime copy is gone after stop"
expect_not_contains "$(gpupool_on 1 status --no-libvirt)" "vm1" "node1's claims after the stop"
agent 1 GpuDomain monitor config="$WORK/vm1.xml"
expect_rc 7 $? "probe after the stop"
agent 1 GpuDomain stop config="$WORK/vm1.xml"
expect_rc 0 $? "a second stop"

section "GpuDomain start on a node without a free device: refused with gpupool's reason"
: > "$WORK/vd.log"
agent 2 GpuDomain start config="$WORK/vm1.xml"
expect_rc 1 $? "start on node2"
expect_eq "vm1: no free device of pool 'gpus' on node2: 0 of 1 free, held by local; the cluster places it on a node with room" \
	"$AGENT_REASON" "exit reason"
expect_eq "" "$(vd_log)" "what VirtualDomain was asked"

section "GpuDomain start that the hook refuses: the hook's reason is the exit reason"
# node1's pool loses its second device, and the first is held by a domain
# that starts behind the cluster's back after cluster-prepare chose it: the
# hook then refuses vm1.
gpupool_on 1 pool-remove gpus 0000:e2:00.0 > /dev/null
domain_file "$WORK/late.xml" late 8
gpupool_on 1 assign --file "$WORK/late.xml" --pool gpus > /dev/null
cat > "$WORK/before-start" <<EOF
#!/bin/sh
LD_PRELOAD='$PRELOAD' '$HOOK' late prepare begin - < '$WORK/late.xml'
EOF
chmod +x "$WORK/before-start"
: > "$WORK/vd.log"
agent 1 GpuDomain start config="$WORK/vm1.xml"
expect_rc 1 $? "start on node1"
expect_eq "vm1: start refused: 0000:e1:00.0 of pool 'gpus' is held by domain 'late'; free: none; stop a domain of the pool or add devices with 'gpupool pool-add'" \
	"$AGENT_REASON" "exit reason"
agent 1 GpuDomain stop config="$WORK/vm1.xml"
expect_rc 0 $? "the stop after the failed start"
[ -e "$copy" ] && fail "the runtime copy is still there after stop" || pass "the runtime copy is gone after stop"
rm -f "$WORK/before-start"
hook_on 1 late release end < "$WORK/late.xml"

section "GpuDomain migrate_to of a whole-device domain: refused at once, VirtualDomain not asked"
# libvirt's test driver runs vm1 as a source node's libvirtd would.
sed "s/<domain type='qemu'>/<domain type='test'>/" "$WORK/vm1.xml" | { echo "<node>"; cat; echo "</node>"; } > "$WORK/test-driver.xml"
: > "$WORK/vd.log"
agent 1 GpuDomain migrate_to config="$WORK/vm1.xml" hypervisor="test://$WORK/test-driver.xml" \
	CRM_meta_migrate_target=node2 migration_transport=tcp
expect_rc 1 $? "migrate_to"
expect_eq "vm1: live migration to node2 refused: pool gpus hands out whole devices; stop the domain and start it on the destination, or let the cluster restart it" \
	"$AGENT_REASON" "exit reason"
expect_eq "" "$(vd_log)" "what VirtualDomain was asked"

section "GpuDomain validate-all refuses what cannot work on a runtime copy"
agent 1 GpuDomain validate-all config="$WORK/vm1.xml"
expect_rc 0 $? "validate-all of a plain configuration"
for kv in snapshot=/var/lib/snapshots backingfile=/var/lib/base.qcow2 copyindirs=/etc stateless=true \
	save_config_on_stop=true sync_config_on_stop=true; do
	agent 1 GpuDomain validate-all config="$WORK/vm1.xml" "$kv"
	expect_rc 6 $? "validate-all with $kv"
	expect_contains "$AGENT_REASON" "GpuDomain does not support ${kv%%=*}" "exit reason with $kv"
done
agent 1 GpuDomain start config="$WORK/vm1.xml" snapshot=/var/lib/snapshots
expect_rc 6 $? "start with snapshot"
agent 1 GpuDomain stop
expect_rc 6 $? "stop without config"

# ---- PoolCapacity ----------------------------------------------------------------------
export OCF_ROOT=$REAL_OCF_ROOT
export CIB_file=$WORK/cib.xml
cibadmin --empty > "$CIB_file"
for n in 1 2; do cibadmin --create -o nodes --xml-text "<node id=\"$n\" uname=\"node$n\"/>"; done
crm_simulate -x "$CIB_file" --node-up node1 --node-up node2 -S -O "$WORK/up.xml" > /dev/null 2>&1 && mv "$WORK/up.xml" "$CIB_file"
# attributes N: node N's gpupool attributes in the CIB, "NAME VALUE" sorted.
attributes() {
	cibadmin --query --xpath "//nodes/node[@uname='node$1']|//node_state[@uname='node$1']/transient_attributes" 2>/dev/null |
		sed -n 's/.* name="\(gpupool_[^"]*\)" value="\([^"]*\)".*/\1 \2/p' | sort
}
utilization() {
	crm_attribute -t nodes -N "node$1" -z -n gpupool_gpus --query --quiet 2>/dev/null
}
RSC=gpupool-capacity:0

section "PoolCapacity start publishes capacity and inventory"
sim_node 1 3 2
sim_node 2 1 1
agent 1 PoolCapacity start
expect_rc 0 $? "start on node1"
expect_eq "gpupool_gpus 2
gpupool_gpus_devices 2
gpupool_gpus_ids 10de:20b5
gpupool_gpus_model NVIDIA Corporation GA100 [A100 PCIe 80GB]
gpupool_gpus_partitions 0
gpupool_gpus_profile none
gpupool_gpus_type pci
gpupool_gpus_vram unknown" "$(attributes 1)" "node1's attributes"
expect_eq "gpupool_gpus 2" "$(on_sim 1 "$CLI" cluster-capacity)" "cluster-capacity on node1"
expect_eq 1 "$(cibadmin --query --xpath "//node_state[@uname='node1']/transient_attributes" | grep -c gpupool_gpus_model)" \
	"inventory in the status section (transient)"
agent 1 PoolCapacity monitor
expect_rc 0 $? "probe of the started clone"
sum=$(md5sum < "$CIB_file")
agent 1 PoolCapacity monitor CRM_meta_interval=30000
expect_rc 0 $? "monitor"
expect_eq "$sum" "$(md5sum < "$CIB_file")" "the CIB after a monitor of an unchanged node (checksum)"
agent 2 PoolCapacity monitor
expect_rc 7 $? "probe on node2, where it is not started"

section "PoolCapacity: what a domain outside the cluster holds is not offered, what cluster domains hold still is"
domain_file "$WORK/other.xml" other 7
gpupool_on 1 assign --file "$WORK/other.xml" --pool gpus > /dev/null
hook_on 1 other prepare begin < "$WORK/other.xml" || fail "the hook did not claim for 'other'"
agent 1 PoolCapacity monitor CRM_meta_interval=30000
expect_eq 1 "$(utilization 1)" "node1's capacity while 'other' (not the cluster's) holds a device"
# vm1 started by the cluster on node1 (prepare, then the hook's claim).
on_sim 1 "$CLI" cluster-prepare --file "$WORK/vm1.xml" > /dev/null
hook_on 1 vm1 prepare begin < "$WORK/node1/run/gpupool/cluster/vm1.xml" || fail "the hook did not claim for vm1"
agent 1 PoolCapacity monitor CRM_meta_interval=30000
expect_eq 1 "$(utilization 1)" "node1's capacity while vm1 (the cluster's) holds the other device"
expect_contains "$(on_sim 1 "$CLI" cluster-capacity --xml)" 'held-by-cluster="1" held-by-others="1" free="0"' \
	"cluster-capacity --xml"

section "PoolCapacity stop withdraws what nobody holds, keeps what cluster domains hold"
agent 1 PoolCapacity stop
expect_rc 0 $? "stop"
expect_eq "gpupool_gpus 1" "$(attributes 1)" "node1's attributes after the stop (vm1 holds one)"
agent 1 PoolCapacity monitor
expect_rc 7 $? "probe after the stop"
hook_on 1 vm1 release end < "$WORK/node1/run/gpupool/cluster/vm1.xml"
on_sim 1 "$CLI" cluster-forget --file "$WORK/vm1.xml" > /dev/null
agent 1 PoolCapacity start
expect_eq 1 "$(utilization 1)" "node1's capacity after vm1 stopped ('other' still holds one)"
agent 1 PoolCapacity stop
expect_eq "" "$(attributes 1)" "node1's attributes after a stop with nothing held by the cluster"

section "PoolCapacity: inventory=false, and a pool that goes takes its attributes along"
agent 2 PoolCapacity start inventory=false
expect_eq "gpupool_gpus 1" "$(attributes 2)" "node2's attributes with inventory=false"
agent 2 PoolCapacity monitor CRM_meta_interval=30000
expect_eq 8 "$(attributes 2 | wc -l)" "node2's attributes with inventory=true"
gpupool_on 2 pool-remove gpus 0000:e1:00.0 > /dev/null && gpupool_on 2 pool-undefine gpus > /dev/null
agent 2 PoolCapacity monitor CRM_meta_interval=30000
expect_rc 0 $? "monitor after the pool went"
expect_eq "" "$(attributes 2)" "node2's attributes without the pool"
expect_contains "$AGENT_OUT" "gpupool_gpus removed (no such pool here any more)" "the agent's log"

finish
