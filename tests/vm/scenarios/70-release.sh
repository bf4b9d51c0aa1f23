#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 70-release: every way a guest ends gives its device back (virsh destroy, a
# killed QEMU), and a libvirtd restart keeps a running guest's claim.
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add assign status
install_hook

set -- $(pci_by_id $ID_BOCHS)
B1=$1

step "a one-device pool and two domains assigned to it"
one_device_pool solo "$B1" vmR vmS

step "virsh destroy releases the claim"
start_timed vmR || fail "vmR did not start"
must gpupool status
assert_eq "$B1" "$(held_by vmR)" "held by vmR while it runs"
must virsh destroy vmR
must gpupool status
assert_eq "" "$(held_by vmR)" "held by vmR after destroy"

step "a killed QEMU releases the claim too"
start_timed vmR || fail "vmR did not start"
pid=$(qemu_pid vmR)
[ -n "$pid" ] || fail "no QEMU pid for vmR"
run kill -9 "$pid"
wait_for 30 "libvirt to notice vmR's QEMU died" domain_is vmR "shut off"
wait_for 15 "the claim of vmR to go" holds_nothing vmR
start_timed vmS || fail "vmS did not get the device after vmR's QEMU was killed"
assert_eq "$B1" "$(domain_hostdevs vmS)" "device of vmS"
must virsh destroy vmS

step "restarting libvirtd keeps a running guest's claim"
start_timed vmR || fail "vmR did not start"
restart_libvirtd
assert_eq running "$(domain_state vmR)" "state of vmR after libvirtd restart"
must gpupool status
assert_eq "$B1" "$(held_by vmR)" "held by vmR after the libvirtd restart"
must nested_info_pci vmR
assert_contains "$RUN_OUT" "PCI device 1234:1111" "info pci inside vmR"
must_fail virsh start vmS
assert_contains "$RUN_OUT" "solo" "the refusal of vmS"

step "and the claim still goes when the guest stops after the restart"
must virsh destroy vmR
must gpupool status
assert_eq "" "$(held_by vmR)" "held by vmR after destroy"
start_timed vmS || fail "vmS did not start"
must virsh destroy vmS
