#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 30-assign-start: assign a domain to a pool; 'virsh start' claims a free
# device through the hook and the nested guest sees it; stopping releases it.
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add assign unassign status
install_hook

set -- $(pci_by_id $ID_BOCHS)
B1=$1 B2=$2

step "a pool 'gpus' of both bochs-display GPUs"
must gpupool pool-create gpus --type pci
must gpupool pool-add gpus "$B1" "$B2"

step "assign domain vm1 (which names no device) to the pool"
define_domain vm1
must gpupool assign vm1 --pool gpus
run virsh dumpxml --inactive vm1 >/dev/null
note "inactive definition after assign:"
virsh dumpxml --inactive vm1 | grep -iE 'gpupool|hostdev|<address domain' | sed 's/^/      /'

step "virsh start vm1: the hook claims one device of the pool"
start_timed vm1 || fail "vm1 did not start"
assert_eq running "$(domain_state vm1)" "state of vm1"
devs=$(domain_hostdevs vm1)
note "vm1 got: $devs"
assert_eq 1 "$(echo "$devs" | grep -c .)" "hostdevs of running vm1"
case " $B1 $B2 " in *" $devs "*) ;; *) fail "vm1 got $devs, not a member of pool gpus" ;; esac
G1=$devs
must nested_info_pci vm1
assert_contains "$RUN_OUT" "PCI device 1234:1111" "info pci inside vm1"

step "gpupool status shows the claim"
must gpupool status
assert_eq "$G1" "$(held_by vm1)" "devices held by vm1 in status"

step "a second domain on the same pool gets the other device"
define_domain vm2
must gpupool assign vm2 --pool gpus
start_timed vm2 || fail "vm2 did not start"
G2=$(domain_hostdevs vm2)
assert_ne "$G1" "$G2" "device of vm2"
must nested_info_pci vm2
assert_contains "$RUN_OUT" "PCI device 1234:1111" "info pci inside vm2"
must gpupool status
assert_eq "$G2" "$(held_by vm2)" "devices held by vm2 in status"

step "virsh destroy vm1 releases its device; it stays in the pool on vfio-pci"
must virsh destroy vm1
must gpupool status
assert_eq "" "$(held_by vm1)" "devices held by vm1 in status"
assert_eq free "$(device_state "$G1")" "state of $G1 in status"
assert_eq vfio-pci "$(pci_driver "$G1")" "driver of $G1 after release"

step "--count 2 gives one domain both devices"
must virsh destroy vm2
define_domain vm3
must gpupool assign vm3 --pool gpus --count 2
start_timed vm3 || fail "vm3 did not start"
assert_eq "$B1 $B2" "$(domain_hostdevs vm3 | sort | tr '\n' ' ' | sed 's/ $//')" "hostdevs of vm3"
must nested_info_pci vm3
assert_eq 2 "$(printf '%s\n' "$RUN_OUT" | grep -c 'PCI device 1234:1111')" "bochs devices inside vm3"
must virsh destroy vm3

step "unassign: vm1 starts without any device again"
must gpupool unassign vm1
start_timed vm1 || fail "vm1 did not start after unassign"
assert_eq "" "$(domain_hostdevs vm1)" "hostdevs of vm1"
must virsh destroy vm1
