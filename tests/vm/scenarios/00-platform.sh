#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 00-platform: the demo host itself, with raw sysfs and virsh only (no gpupool):
# IOMMU groups, vfio-pci binding by hand, mdev parents, SR-IOV, libvirt, and a
# nested TCG guest that really gets a bochs-display passed through.
. "$VMDIR/lib.sh"

DOM=platform-nested
trap 'cleanup_domain $DOM' EXIT

step "the IOMMU is on and every emulated endpoint has its own IOMMU group"
ngroups=$(ls /sys/kernel/iommu_groups | wc -l)
[ "$ngroups" -gt 0 ] || fail "no IOMMU groups: is intel_iommu=on and intel-iommu emulated?"
note "$ngroups IOMMU groups"
bochs=$(pci_by_id $ID_BOCHS)
set -- $bochs
[ $# -ge 2 ] || fail "expected two bochs-display devices, found: $bochs"
B1=$1 B2=$2
VG=$(pci_by_id $ID_VIRTIO_GPU)
[ -n "$VG" ] || fail "no virtio-gpu (the GPU of another model) found"
endpoints="$bochs $(pci_by_id $ID_EDU) $(pci_by_id $ID_TESTDEV) $(pci_by_id $ID_IVSHMEM) $(pci_by_id $ID_NVME) $VG"
seen=
for d in $endpoints; do
	g=$(pci_group "$d")
	members=$(ls "/sys/kernel/iommu_groups/$g/devices" | tr '\n' ' ')
	note "$d ($(cat /sys/bus/pci/devices/$d/vendor | cut -c3-):$(cat /sys/bus/pci/devices/$d/device | cut -c3-)) group $g: $members"
	assert_eq "$d " "$members" "members of group $g"
	case " $seen " in *" $g "*) fail "group $g shared" ;; esac
	seen="$seen $g"
done

step "three display-class devices of two models stand for GPUs: two bochs-display, one virtio-gpu"
for d in $B1 $B2 $VG; do
	class=$(cat "/sys/bus/pci/devices/$d/class")
	case "$class" in
	0x03*) note "ok: $d class $class (display), driver $(pci_driver "$d")" ;;
	*) fail "$d has class $class, not a display controller (0x03xxxx)" ;;
	esac
done
assert_ne "$(cat /sys/bus/pci/devices/$B1/device)" "$(cat /sys/bus/pci/devices/$VG/device)" "device id of $VG (another model than $B1)"

step "the $((IVSHMEM_BYTES >> 30)) GiB ivshmem BAR2 (the 'huge BAR1' GPU) is assigned in the demo host"
IV=$(pci_by_id $ID_IVSHMEM)
assert_eq "$IVSHMEM_BYTES" "$(pci_bar_size "$IV" 2)" "ivshmem BAR2 size"

step "bochs-display $B1 binds to vfio-pci with driver_override + drivers_probe"
orig=$(pci_driver "$B1")
note "native driver: $orig"
G1=$(pci_group "$B1")
vfio_bind "$B1"
assert_eq vfio-pci "$(pci_driver "$B1")" "driver of $B1"
wait_for 10 "/dev/vfio/$G1 to appear" test -c "/dev/vfio/$G1"

step "unbinding gives $B1 back to its native driver"
vfio_unbind "$B1"
assert_eq "$orig" "$(pci_driver "$B1")" "driver of $B1"
wait_for 10 "/dev/vfio/$G1 to disappear" test ! -e "/dev/vfio/$G1"

step "mbochs and mdpy parents expose mdev types; an mdev can be created and removed"
for parent in mbochs mdpy; do
	types=/sys/class/mdev_bus/$parent/mdev_supported_types
	[ -d "$types" ] || fail "$parent has no mdev_supported_types (module not loaded?)"
	t=$(ls "$types" | head -n1)
	note "$parent types: $(ls "$types" | tr '\n' ' ') (first: $t, $(cat "$types/$t/available_instances") available)"
	uuid=$(cat /proc/sys/kernel/random/uuid)
	echo "$uuid" > "$types/$t/create" || fail "creating a $t mdev failed"
	assert_file "/sys/bus/mdev/devices/$uuid"
	assert_eq "$t" "$(basename "$(readlink -f "/sys/bus/mdev/devices/$uuid/mdev_type")")" "type of mdev $uuid"
	g=$(basename "$(readlink -f "/sys/bus/mdev/devices/$uuid/iommu_group")")
	wait_for 10 "/dev/vfio/$g for mdev $uuid" test -c "/dev/vfio/$g"
	echo 1 > "/sys/bus/mdev/devices/$uuid/remove" || fail "removing mdev $uuid failed"
	assert_no_file "/sys/bus/mdev/devices/$uuid"
done

step "the NVMe physical function offers SR-IOV virtual functions"
NV=$(pci_by_id $ID_NVME | head -n1)
assert_eq 2 "$(cat /sys/bus/pci/devices/$NV/sriov_totalvfs)" "sriov_totalvfs of $NV"
if echo 2 > "/sys/bus/pci/devices/$NV/sriov_numvfs"; then
	vfs=$(ls -d /sys/bus/pci/devices/$NV/virtfn* 2>/dev/null | wc -l)
	assert_eq 2 "$vfs" "number of VFs of $NV"
	for v in /sys/bus/pci/devices/$NV/virtfn*; do
		vf=$(basename "$(readlink -f "$v")")
		note "VF $vf: group $(pci_group "$vf"), driver $(pci_driver "$vf")"
	done
	echo 0 > "/sys/bus/pci/devices/$NV/sriov_numvfs" || fail "disabling VFs failed"
else
	fail "enabling VFs on $NV failed"
fi

step "libvirtd answers on qemu:///system"
must virsh -c qemu:///system list --all

step "a nested type='qemu' guest starts with bochs-display $B2 passed through"
orig2=$(pci_driver "$B2")
define_domain $DOM "$(hostdev_xml "$B2")"
t=$(cut -d' ' -f1 /proc/uptime)
must virsh start $DOM
note "virsh start took $(awk -v a="$t" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')s"
assert_eq vfio-pci "$(pci_driver "$B2")" "driver of $B2 while the guest runs"
run virsh dumpxml $DOM
assert_contains "$RUN_OUT" "<hostdev mode='subsystem' type='pci' managed='yes'>" "dumpxml"
must nested_info_pci $DOM
assert_contains "$RUN_OUT" "PCI device 1234:1111" "nested 'info pci'"

step "virsh destroy returns $B2 to its native driver"
must virsh destroy $DOM
wait_for 20 "$B2 back on $orig2" sh -c "[ \"\$(basename \"\$(readlink -f /sys/bus/pci/devices/$B2/driver 2>/dev/null)\")\" = '$orig2' ] || [ '$orig2' = none -a ! -e /sys/bus/pci/devices/$B2/driver ]"
