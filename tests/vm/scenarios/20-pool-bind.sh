#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 20-pool-bind: a pool of whole devices; adding binds vfio-pci, removing
# gives the device back to its native driver.
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add pool-remove pool-list pool-info

set -- $(pci_by_id $ID_BOCHS)
B1=$1 B2=$2

step "create a pool of whole PCI devices"
must gpupool pool-create gpus --type pci
must gpupool pool-list
assert_contains "$RUN_OUT" "gpus" "pool-list"

step "add both bochs-display GPUs: they leave bochs-drm for vfio-pci"
assert_eq bochs-drm "$(pci_driver "$B1")" "driver of $B1 before"
must gpupool pool-add gpus "$B1" "$B2"
for b in $B1 $B2; do
	assert_eq vfio-pci "$(pci_driver "$b")" "driver of $b"
	assert_file "/dev/vfio/$(pci_group "$b")"
done
must gpupool pool-info gpus
assert_contains "$RUN_OUT" "$B1" "pool-info"
assert_contains "$RUN_OUT" "$B2" "pool-info"

step "gpupool devices shows the pool membership"
must gpupool devices "$B1"
assert_contains "$RUN_OUT" "pool:        gpus" "devices $B1"

step "a device cannot be in two pools"
must gpupool pool-create other --type pci
must_fail gpupool pool-add other "$B1"
assert_contains "$RUN_OUT" "gpus" "error names the owning pool"

step "a missing device is refused and names the address"
must_fail gpupool pool-add gpus 0000:00:1e.7
assert_contains "$RUN_OUT" "0000:00:1e.7" "error message"

step "remove $B2: back on bochs-drm, gone from the pool"
must gpupool pool-remove gpus "$B2"
assert_eq bochs-drm "$(pci_driver "$B2")" "driver of $B2"
assert_eq vfio-pci "$(pci_driver "$B1")" "driver of $B1 (still pooled)"
must gpupool pool-info gpus
assert_not_contains "$RUN_OUT" "$B2" "pool-info"

step "the pool definition survives a new gpupool process (it is on disk)"
must gpupool pool-list
assert_contains "$RUN_OUT" "gpus" "pool-list"
ls "$GPUPOOL_CONFDIR"/pools 2>/dev/null | sed 's/^/    conf: /'
