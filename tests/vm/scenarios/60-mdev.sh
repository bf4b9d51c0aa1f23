#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 60-mdev: a pool of mediated devices (GPU partitions) on the mdpy sample
# parent: each start creates or takes a partition, the nested guest sees it,
# stop releases it.
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add assign status
install_hook

PARENT=mdpy
TYPE=mdpy-xga
[ -d /sys/class/mdev_bus/$PARENT ] || fail "mdev parent $PARENT missing (demo-host builds and loads mdpy.ko)"

step "a pool 'vgpu' of $TYPE partitions on the $PARENT parent"
if gpupool pool-create --help 2>&1 | grep -q -- '--mdev-type'; then
	must gpupool pool-create vgpu --type mdev --mdev-type "$TYPE"
else
	must gpupool pool-create vgpu --type mdev
fi
must gpupool pool-add vgpu "$PARENT"
must gpupool pool-info vgpu
assert_contains "$RUN_OUT" "$PARENT" "pool-info"
avail0=$(cat /sys/class/mdev_bus/$PARENT/mdev_supported_types/$TYPE/available_instances)
note "$TYPE available instances: $avail0"

step "two domains assigned to the pool start together, each with its own partition"
define_domain vgpu1
define_domain vgpu2
must gpupool assign vgpu1 --pool vgpu
must gpupool assign vgpu2 --pool vgpu
start_timed vgpu1 || fail "vgpu1 did not start"
start_timed vgpu2 || fail "vgpu2 did not start"
U1=$(domain_hostdevs vgpu1)
U2=$(domain_hostdevs vgpu2)
note "vgpu1: $U1, vgpu2: $U2"
[ -n "$U1" ] && [ -n "$U2" ] || fail "a running domain has no mdev hostdev"
assert_ne "$U1" "$U2" "partition of vgpu2"
for u in $U1 $U2; do
	assert_file "/sys/bus/mdev/devices/$u"
	assert_eq "$TYPE" "$(basename "$(readlink -f /sys/bus/mdev/devices/$u/mdev_type)")" "type of $u"
	assert_eq "$PARENT" "$(basename "$(readlink -f /sys/bus/mdev/devices/$u/..)")" "parent of $u"
done
must nested_info_pci vgpu1
assert_contains "$RUN_OUT" "PCI device 1b36:000f" "info pci inside vgpu1 (mdpy)"
assert_eq $((avail0 - 2)) "$(cat /sys/class/mdev_bus/$PARENT/mdev_supported_types/$TYPE/available_instances)" "available instances while both run"
must gpupool status
[ -n "$(held_by vgpu1)" ] || fail "status shows nothing held by vgpu1"
[ -n "$(held_by vgpu2)" ] || fail "status shows nothing held by vgpu2"
note "ok: status shows vgpu1 and vgpu2 holding partitions"

step "stopping releases the partitions"
must virsh destroy vgpu1
must virsh destroy vgpu2
must gpupool status
assert_eq "" "$(held_by vgpu1)" "held by vgpu1 after stop"
assert_eq "" "$(held_by vgpu2)" "held by vgpu2 after stop"
note "partitions left after stop: $(ls /sys/bus/mdev/devices | tr '\n' ' ')"

step "vgpu1 starts again"
start_timed vgpu1 || fail "vgpu1 did not start again"
[ -n "$(domain_hostdevs vgpu1)" ] || fail "vgpu1 has no partition"
must virsh destroy vgpu1
