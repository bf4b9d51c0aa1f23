#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes the CIBs in this directory offline, with Pacemaker's own tools
# (cibadmin, crm_attribute, crm_resource, crm_simulate: no cluster, no
# crmsh, no resource agent needed), so that their shape, status section
# included, is Pacemaker's.  The tests read them with `gpupool
# cluster-status --cib` and `pool-check --cluster --cib`.  Run it again
# (Debian packages pacemaker-cli-utils) to make them anew; the time stamps
# in the status sections change, nothing else.
#
#   running.xml   node1, node2 publish gpupool_gpus=1 each; vm1 runs on
#                 node1, vm2 on node2, vm3 finds no room; vm4 has
#                 target-role Stopped.  Inventory: both nodes A100s,
#                 node1's as a permanent node attribute, node2's as a
#                 transient one (lifetime reboot).
#   node-lost.xml running.xml after node2 failed: vm2 finds no room on
#                 node1 and stays stopped.
#   standby.xml   running.xml with node1 in standby: vm1 finds no room.
#   failed.xml    both nodes publish 2; vm3 is banned from node1
#                 (crm_resource --ban) and its start failed on node2,
#                 which its migration-threshold of 1 bans it from.
#   mixed.xml     running.xml with node2 inventoried as A10s with another
#                 VRAM size, and node3 online without the pool.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CIB_file="$tmp/base.xml"

cibadmin --empty > "$CIB_file"
for n in node1 node2; do
	cibadmin --create -o nodes -X "<node id=\"$n\" uname=\"$n\"/>"
done
crm_attribute -t crm_config -n stonith-enabled -v false
crm_attribute -t crm_config -n placement-strategy -v balanced
for n in node1 node2; do
	crm_attribute -t nodes -N $n -z -n gpupool_gpus -v 1
done
for vm in vm1 vm2 vm3 vm4; do
	cibadmin --create -o resources -X "<primitive id=\"$vm\" class=\"ocf\" provider=\"gpupool\" type=\"GpuDomain\">
  <instance_attributes id=\"$vm-params\">
    <nvpair id=\"$vm-params-config\" name=\"config\" value=\"/shared/$vm.xml\"/>
    <nvpair id=\"$vm-params-hypervisor\" name=\"hypervisor\" value=\"qemu:///system\"/>
  </instance_attributes>
  <utilization id=\"$vm-utilization\">
    <nvpair id=\"$vm-utilization-gpupool_gpus\" name=\"gpupool_gpus\" value=\"1\"/>
  </utilization>
  <operations>
    <op id=\"$vm-monitor-60s\" name=\"monitor\" interval=\"60s\" timeout=\"90s\"/>
  </operations>
</primitive>"
done
crm_resource -r vm4 --meta -p target-role -v Stopped > /dev/null
crm_simulate -x "$CIB_file" -u node1 -u node2 -q 1 -S -O "$tmp/up.xml" > /dev/null

# Inventory as cluster-capacity --inventory prints it.
inventory() { # NODE LIFETIME IDS MODEL VRAM
	for kv in "type=pci" "devices=1" "ids=$3" "model=$4" "vram=$5" "partitions=0" \
	          "profile=none"; do
		crm_attribute -t nodes -N "$1" -l "$2" -n "gpupool_gpus_${kv%%=*}" -v "${kv#*=}"
	done
}
A100="NVIDIA Corporation GA100 [A100 PCIe 80GB]"
CIB_file="$tmp/up.xml" inventory node1 forever 10de:20b5 "$A100" 85899345920
CIB_file="$tmp/up.xml" inventory node2 reboot 10de:20b5 "$A100" 85899345920
cp "$tmp/up.xml" running.xml

crm_simulate -x running.xml -f node2 -q 1 -S -O node-lost.xml > /dev/null

cp running.xml "$tmp/standby.xml"
CIB_file="$tmp/standby.xml" crm_attribute -t nodes -N node1 -n standby -v on
crm_simulate -x "$tmp/standby.xml" -q 1 -S -O standby.xml > /dev/null

cp "$tmp/base.xml" "$tmp/failed.xml"
for n in node1 node2; do
	CIB_file="$tmp/failed.xml" crm_attribute -t nodes -N $n -z -n gpupool_gpus -v 2
done
CIB_file="$tmp/failed.xml" crm_resource -r vm3 --ban -N node1 2>/dev/null
CIB_file="$tmp/failed.xml" crm_resource -r vm3 --meta -p migration-threshold -v 1 > /dev/null
crm_simulate -x "$tmp/failed.xml" -u node1 -u node2 -q 1 -i vm3_start_0@node2=1 -S \
	-O "$tmp/failed-once.xml" > /dev/null
crm_simulate -x "$tmp/failed-once.xml" -q 1 -S -O failed.xml > /dev/null

cp running.xml "$tmp/mixed.xml"
CIB_file="$tmp/mixed.xml" cibadmin --create -o nodes -X '<node id="node3" uname="node3"/>'
CIB_file="$tmp/mixed.xml" inventory node2 reboot 10de:2236 "NVIDIA Corporation GA102GL [A10]" \
	25769803776
crm_simulate -x "$tmp/mixed.xml" -u node3 -q 1 -S -O mixed.xml > /dev/null
