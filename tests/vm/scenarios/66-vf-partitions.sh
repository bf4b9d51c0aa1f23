#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 66-vf-partitions: a pool of SR-IOV virtual functions on the demo host's
# emulated NVMe physical function (the only SR-IOV device QEMU emulates):
# 'partition-set --count' enables the VFs and hands them to vfio-pci, a
# domain gets a free VF at start and gives it back at stop. The generic vf
# back end does not care that the device is not a GPU.
. "$VMDIR/lib.sh"
gpupool_scenario partitions partition-set pool-check pool-create pool-add assign status
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

step "the VFs go away again (reset_host leaves SR-IOV alone)"
echo 0 > "/sys/bus/pci/devices/$NV/sriov_numvfs" || fail "disabling the VFs of $NV failed"
