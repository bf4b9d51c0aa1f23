#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 75-quarantine: pool devices that break or vanish, on the real kernel.
# A device without a reset method is added with a warning and quarantined
# until 'echo default > reset_method' gives it one back. A free device
# removed from the bus (sysfs remove) is quarantined: shown with the
# reason and the fix in pool-info, status and devices, never handed out;
# a domain that reserved it is refused and re-pointed to the other device,
# which it then gets. Removing the held device waits in the kernel for
# its holder (vfio asks QEMU to let go) while gpupool keeps the holder's
# claim; once the holder stops, it is gone too. A rescan brings both back,
# 'gpupool setup' binds them again and the pool gives both out again.
# demo-host: scenario-timeout 600
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add assign status pool-info devices setup
install_hook

set -- $(pci_by_id $ID_BOCHS)
B1=$1 B2=$2
[ -n "$B2" ] || fail "two bochs-display devices expected"
sysdev=/sys/bus/pci/devices

step "each GPU sits behind a PCIe root port: the kernel can reset it ('bus')"
for b in "$B1" "$B2"; do
	assert_eq bus "$(cat "$sysdev/$b/reset_method")" "reset_method of $b"
done

step "$B2 without a reset method: pool-add warns, and it stays quarantined"
echo > "$sysdev/$B2/reset_method"
assert_eq "" "$(cat "$sysdev/$B2/reset_method")" "reset_method of $B2 after emptying it"
must gpupool pool-create gpus --type pci
must gpupool pool-add gpus "$B1" "$B2"
assert_contains "$RUN_OUT" "warning: $B2: quarantined: the kernel has no reset method" "pool-add"
assert_not_contains "$RUN_OUT" "warning: $B1" "pool-add"
must gpupool pool-info gpus
assert_contains "$RUN_OUT" "Usage:        0 in use, 1 free, 1 quarantined" "pool-info"
assert_contains "$RUN_OUT" "$B2: quarantined: the kernel has no reset method" "pool-info"

step "the fix gpupool names gives the reset method back: $B2 is free"
echo default > "$sysdev/$B2/reset_method"
must gpupool pool-info gpus
assert_contains "$RUN_OUT" "Usage:        0 in use, 2 free" "pool-info"
assert_not_contains "$RUN_OUT" "quarantined" "pool-info"

step "domains vmA and vmB each reserve one device"
define_domain vmA
define_domain vmB
must gpupool assign vmA --pool gpus
must gpupool assign vmB --pool gpus
A_DEV=$(domain_hostdevs vmA --inactive)
B_DEV=$(domain_hostdevs vmB --inactive)
note "vmA reserves $A_DEV, vmB reserves $B_DEV"
assert_ne "$A_DEV" "$B_DEV" "the reservations"
# FREE_GONE: the device vmB reserves, removed while nobody holds it.
FREE_GONE=$B_DEV
OTHER=$A_DEV

step "sysfs remove of the free device $FREE_GONE: quarantined, the pool keeps working"
t0=$EPOCHREALTIME
echo 1 > "$sysdev/$FREE_GONE/remove"
note "remove took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')s"
[ ! -e "$sysdev/$FREE_GONE" ] || fail "$FREE_GONE still on the bus after remove"
must gpupool pool-info gpus
assert_contains "$RUN_OUT" "Usage:        0 in use, 1 free, 1 quarantined" "pool-info"
assert_contains "$RUN_OUT" "$FREE_GONE: quarantined: gone from the PCI bus: bring it back with 'echo 1 > /sys/bus/pci/rescan'" "pool-info"
must gpupool status
assert_contains "$RUN_OUT" "1 free, 1 quarantined" "status"
assert_eq quarantined "$(device_state "$FREE_GONE")" "state of $FREE_GONE in status"
assert_eq free "$(device_state "$OTHER")" "state of $OTHER in status"
must gpupool devices
assert_contains "$RUN_OUT" "$FREE_GONE  (not on the PCI bus)" "devices"
assert_contains "$RUN_OUT" "status:      quarantined" "devices"

step "vmB, which reserved $FREE_GONE, is refused with the reason and re-pointed to $OTHER"
must_fail virsh start vmB
assert_contains "$RUN_OUT" "$FREE_GONE of pool 'gpus' is quarantined: gone from the PCI bus" "the refusal"
assert_contains "$RUN_OUT" "vmB is being re-pointed to a free device of pool 'gpus'" "the refusal"
wait_for 180 "vmB re-pointed to $OTHER" test "$(domain_hostdevs vmB --inactive)" = "$OTHER"
start_timed vmB || fail "vmB did not start on $OTHER"
assert_eq "$OTHER" "$(domain_hostdevs vmB)" "device of vmB"
assert_eq "$OTHER" "$(held_by vmB)" "held by vmB in status"

step "vmA finds nothing free: the refusal names the holder"
must_fail virsh start vmA
assert_contains "$RUN_OUT" "vmB" "the refusal"
assert_eq "shut off" "$(domain_state vmA)" "state of vmA"

step "sysfs remove of the held device $OTHER: the kernel waits for vmB, its claim stays"
( echo 1 > "$sysdev/$OTHER/remove" ) &
RM_PID=$!
sleep 5
kill -0 "$RM_PID" 2>/dev/null || fail "remove of a device QEMU holds returned at once"
[ -e "$sysdev/$OTHER" ] || fail "$OTHER left the bus while vmB holds it"
assert_eq running "$(domain_state vmB)" "state of vmB"
assert_eq "$OTHER" "$(held_by vmB)" "held by vmB in status while the kernel removes it"
dmesg | grep -i "vfio.*$OTHER\|$OTHER.*vfio" | tail -n 3 | sed 's/^/    kernel: /'

step "vmB stops: the removal completes, its claim is released, both devices are quarantined"
must virsh destroy vmB
wait_for 60 "the removal of $OTHER to finish" sh -c "! kill -0 $RM_PID"
[ ! -e "$sysdev/$OTHER" ] || fail "$OTHER still on the bus"
wait_for 30 "vmB to hold nothing" holds_nothing vmB
must gpupool pool-info gpus
assert_contains "$RUN_OUT" "Usage:        0 in use, 0 free, 2 quarantined" "pool-info"
must_fail virsh start vmA
assert_contains "$RUN_OUT" "quarantined: gone from the PCI bus" "the refusal"

step "rescan brings both back on bochs-drm; 'gpupool setup' binds them to vfio-pci again"
echo 1 > /sys/bus/pci/rescan
wait_for 30 "both on the bus again" test -e "$sysdev/$FREE_GONE" -a -e "$sysdev/$OTHER"
note "drivers after rescan: $FREE_GONE $(pci_driver "$FREE_GONE"), $OTHER $(pci_driver "$OTHER")"
must gpupool pool-info gpus
assert_not_contains "$RUN_OUT" "quarantined" "pool-info after rescan"
must gpupool setup
must gpupool pool-info gpus
assert_contains "$RUN_OUT" "Usage:        0 in use, 2 free" "pool-info after setup"
assert_eq vfio-pci "$(pci_driver "$FREE_GONE")" "driver of $FREE_GONE"
assert_eq vfio-pci "$(pci_driver "$OTHER")" "driver of $OTHER"

step "the pool hands out again: vmA starts"
if ! start_timed vmA; then
	# A refusal that re-points vmA says so; the second start then passes.
	assert_contains "$RUN_OUT" "start it again in a moment" "the refusal"
	sleep 10
	start_timed vmA || fail "vmA did not start after rescan and setup"
fi
assert_eq "$(domain_hostdevs vmA)" "$(held_by vmA)" "held by vmA"
must virsh destroy vmA
