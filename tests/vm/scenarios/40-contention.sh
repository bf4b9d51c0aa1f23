#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 40-contention: two domains, one free device. The second start is refused
# with gpupool's message; once the first stops, the second starts.
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add assign status
install_hook

set -- $(pci_by_id $ID_BOCHS)
B1=$1

step "a pool 'solo' with a single device, two domains assigned to it"
one_device_pool solo "$B1" vmA vmB

step "vmA starts and holds $B1"
start_timed vmA || fail "vmA did not start"
assert_eq "$B1" "$(domain_hostdevs vmA)" "device of vmA"

step "vmB is refused: the pool has no free device"
must_fail virsh start vmB
err=$RUN_OUT
assert_contains "$err" "solo" "the refusal (names the pool)"
case "$err" in *vmA*) note "ok: the refusal names the holder vmA" ;; *) note "(the refusal does not name the holder vmA)" ;; esac
assert_eq "shut off" "$(domain_state vmB)" "state of vmB"
assert_eq running "$(domain_state vmA)" "state of vmA (untouched)"
must gpupool status
assert_eq "$B1" "$(held_by vmA)" "devices held by vmA in status"

step "after vmA stops, vmB starts with the same device"
must virsh destroy vmA
start_timed vmB || fail "vmB did not start once the device was free"
assert_eq "$B1" "$(domain_hostdevs vmB)" "device of vmB"
must nested_info_pci vmB
assert_contains "$RUN_OUT" "PCI device 1234:1111" "info pci inside vmB"

step "now vmA is the one refused"
must_fail virsh start vmA
assert_contains "$RUN_OUT" "solo" "the refusal"
must virsh destroy vmB
