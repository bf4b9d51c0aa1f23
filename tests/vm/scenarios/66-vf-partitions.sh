#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 66-vf-partitions: a pool of SR-IOV virtual functions on the demo host's
# emulated NVMe physical function (the only SR-IOV device QEMU emulates):
# 'partition-set --count' enables the VFs and hands them to vfio-pci, a
# domain gets a free VF at start and gives it back at stop. The generic vf
# back end does not care that the device is not a GPU. When the PF leaves
# the bus (sysfs remove) the pool quarantines it and the domain is refused;
# a rescan and 'gpupool setup' bring it back with its VFs.
. "$VMDIR/lib.sh"
gpupool_scenario partitions partition-set pool-check pool-create pool-add assign status pool-info setup check
install_hook

NV=$(pci_by_id $ID_NVME | head -n1)
[ -n "$NV" ] || skip "no emulated NVMe SR-IOV physical function in this demo host"
TOTAL=$(cat /sys/bus/pci/devices/$NV/sriov_totalvfs 2>/dev/null)
[ "${TOTAL:-0}" -gt 0 ] || skip "$NV offers no SR-IOV virtual functions"

step "gpupool partitions shows $NV's valid VF counts"
must gpupool partitions "$NV"
assert_contains "$RUN_OUT" "back end: vf" "partitions"
assert_contains "$RUN_OUT" "valid partition counts: $(seq -s ', ' 1 "$TOTAL")" "partitions"

step "a vf pool; partition-set refuses more VFs than the PF has, then enables $TOTAL"
must gpupool pool-create nvmevf --type vf
must gpupool pool-add nvmevf "$NV"
must_fail gpupool partition-set "$NV" --count $((TOTAL + 1))
assert_contains "$RUN_OUT" "cannot be split into $((TOTAL + 1)) partitions" "partition-set"
assert_eq 0 "$(cat /sys/bus/pci/devices/$NV/sriov_numvfs)" "VFs after a refusal"
must gpupool partition-set "$NV" --count "$TOTAL"
assert_eq "$TOTAL" "$(cat /sys/bus/pci/devices/$NV/sriov_numvfs)" "VFs enabled"
for v in /sys/bus/pci/devices/$NV/virtfn*; do
	vf=$(basename "$(readlink -f "$v")")
	assert_eq vfio-pci "$(pci_driver "$vf")" "driver of VF $vf"
done
assert_contains "$(cat /etc/gpupool/pools/nvmevf.xml)" "<vf count='$TOTAL'" "pool file"
must gpupool pool-check nvmevf

step "a domain of the pool gets a VF at start and gives it back at stop"
define_domain vfdom
must gpupool assign vfdom --pool nvmevf
VF=$(domain_hostdevs vfdom --inactive)
[ -n "$VF" ] || fail "assign put no VF into vfdom"
note "vfdom's VF: $VF"
assert_eq "$NV" "$(basename "$(readlink -f /sys/bus/pci/devices/$VF/physfn)")" "PF of $VF"
start_timed vfdom || fail "vfdom did not start"
must gpupool status
assert_contains "$RUN_OUT" "vfdom" "status while vfdom runs"
must_fail gpupool partition-set "$NV" --count 1
assert_contains "$RUN_OUT" "in use by vfdom" "partition-set while vfdom runs"
assert_eq "$TOTAL" "$(cat /sys/bus/pci/devices/$NV/sriov_numvfs)" "VFs while vfdom runs"
must virsh destroy vfdom
must gpupool status
# vfdom keeps its reservation (it is still assigned), not the VF.
assert_contains "$RUN_OUT" "0 held, $TOTAL free" "status after stop"

step "$NV leaves the bus: the pool quarantines the PF, vfdom is refused and nothing is held"
# VFs off first, as before any hot removal of a PF: the kernel removes
# the VFs' devices with their PF but leaves VF Enable set in the PF, so a
# rescan finds the VFs again as plain functions, beside the ones that
# sriov_numvfs then adds (kernel 6.1 oopsed on that here).
echo 0 > "/sys/bus/pci/devices/$NV/sriov_numvfs" || fail "disabling the VFs of $NV failed"
echo 1 > "/sys/bus/pci/devices/$NV/remove" || fail "sysfs remove of $NV failed"
wait_for 30 "$NV off the bus" test ! -e "/sys/bus/pci/devices/$NV"
must gpupool pool-info nvmevf
assert_contains "$RUN_OUT" "$NV: quarantined: gone from the PCI bus: bring it back with 'echo 1 > /sys/bus/pci/rescan'" "pool-info"
assert_not_contains "$RUN_OUT" "missing from this host" "pool-info"
must gpupool status
assert_contains "$RUN_OUT" "quarantined" "status"
must_fail virsh start vfdom
must_fail gpupool check vfdom
assert_contains "$RUN_OUT" "nvmevf" "check of vfdom"
holds_nothing vfdom || fail "vfdom holds $(held_by vfdom) after its refused start"

step "rescan brings $NV back; 'gpupool setup' enables its VFs again and vfdom gets one"
echo 1 > /sys/bus/pci/rescan
wait_for 30 "$NV on the bus again" test -e "/sys/bus/pci/devices/$NV"
must gpupool setup
assert_eq "$TOTAL" "$(cat /sys/bus/pci/devices/$NV/sriov_numvfs)" "VFs after setup"
must gpupool pool-info nvmevf
assert_not_contains "$RUN_OUT" "quarantined" "pool-info after setup"
start_timed vfdom || fail "vfdom did not start after rescan and setup"
VF=$(domain_hostdevs vfdom)
assert_eq "$NV" "$(basename "$(readlink -f /sys/bus/pci/devices/$VF/physfn)")" "PF of vfdom's VF $VF"
must virsh destroy vfdom

step "the VFs go away again (reset_host leaves SR-IOV alone)"
echo 0 > "/sys/bus/pci/devices/$NV/sriov_numvfs" || fail "disabling the VFs of $NV failed"
