#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 65-partitions: GPU partitioning on the kernel's mbochs sample, whose
# types share the parent's memory like vGPU profiles share a framebuffer.
# 'gpupool partitions' shows the valid counts, 'partition-set' picks the
# type for a count and records it in the pool, 'pool-check' passes, and a
# start/stop cycle creates the domain's own mdev (the UUID assign chose)
# and removes it again, so the capacity returns. 60-mdev covers two
# domains on mdpy; this one covers the partitioning commands.
. "$VMDIR/lib.sh"
gpupool_scenario partitions partition-set pool-check pool-create pool-add assign
install_hook

PARENT=mbochs
TYPES=/sys/class/mdev_bus/$PARENT/mdev_supported_types
[ -d "$TYPES" ] || fail "mdev parent $PARENT missing (demo-host builds and loads mbochs.ko)"

step "gpupool partitions shows the mbochs parent: counts, profiles, availability"
must gpupool partitions "$PARENT"
assert_contains "$RUN_OUT" "back end: mdev" "partitions"
assert_contains "$RUN_OUT" "valid partition counts:" "partitions"
must gpupool partitions --xml "$PARENT"
assert_contains "$RUN_OUT" "<device name='$PARENT' backend='mdev' kind='mdev'" "partitions --xml"

# The roomiest type (fewest instances) is the one a count picks alone.
TYPE= N=
for t in "$TYPES"/*; do
	n=$(cat "$t/available_instances")
	[ "$n" -gt 0 ] || continue
	if [ -z "$N" ] || [ "$n" -lt "$N" ]; then TYPE=${t##*/}; N=$n; fi
done
[ -n "$TYPE" ] || fail "mbochs offers no type with room"
note "$N partitions of $TYPE fit on $PARENT"

step "partition-set refuses a count the parent does not offer, and changes nothing"
must gpupool pool-create disp --type mdev
must gpupool pool-add disp "$PARENT"
before=$(cat /etc/gpupool/pools/disp.xml)
must_fail gpupool partition-set "$PARENT" --count $((N + 1000))
assert_contains "$RUN_OUT" "cannot be split into $((N + 1000)) partitions" "partition-set"
assert_eq "$before" "$(cat /etc/gpupool/pools/disp.xml)" "pool file after a refusal"

step "partition-set --count $N picks $TYPE and records it in the pool"
must gpupool partition-set "$PARENT" --count "$N"
assert_contains "$RUN_OUT" "$N partitions of $TYPE" "partition-set"
must gpupool pool-info disp
assert_contains "$RUN_OUT" "$TYPE" "pool-info"
must gpupool pool-check disp
assert_contains "$RUN_OUT" "pool 'disp': ok" "pool-check"

step "a domain of the pool gets its own mdev at start, and gives it back at stop"
define_domain part1
must gpupool assign part1 --pool disp
U=$(domain_hostdevs part1 --inactive)
[ -n "$U" ] || fail "assign put no mdev into part1"
note "part1's mdev UUID: $U"
assert_no_file "/sys/bus/mdev/devices/$U" "mdev before the start"
start_timed part1 || fail "part1 did not start"
assert_file "/sys/bus/mdev/devices/$U"
assert_eq "$TYPE" "$(basename "$(readlink -f /sys/bus/mdev/devices/$U/mdev_type)")" "type of $U"
assert_eq $((N - 1)) "$(cat "$TYPES/$TYPE/available_instances")" "available while part1 runs"
must gpupool partitions "$PARENT"
assert_contains "$RUN_OUT" "1 in use" "partitions while part1 runs"

step "partition-set refuses to change the parent while part1 uses it"
must_fail gpupool partition-set "$PARENT" --profile "$(ls "$TYPES" | grep -vx "$TYPE" | head -n1)"
assert_contains "$RUN_OUT" "in use by part1" "partition-set while in use"

step "stop: the mdev is removed and the capacity returns"
must virsh destroy part1
wait_for 10 "mdev $U removed" test ! -e "/sys/bus/mdev/devices/$U"
assert_eq "$N" "$(cat "$TYPES/$TYPE/available_instances")" "available after stop"

step "the same UUID again on the next start"
start_timed part1 || fail "part1 did not start again"
assert_file "/sys/bus/mdev/devices/$U"
must virsh destroy part1
