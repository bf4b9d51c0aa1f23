#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 35-check-domain: 'gpupool check' and 'gpupool domain' around a real
# passthrough. check passes before the start; once the domain runs with
# the device, its view shows the device held since the start; a second
# domain's check is refused in the hook's words, and its real 'virsh
# start' is refused with the same words. Then 'assign --restart' gives a
# running domain the device now: shut down (destroyed: no OS), changed,
# started with the device passed through.
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add assign check domain status
install_hook

set -- $(pci_by_id $ID_BOCHS)
B1=$1

# The hook's line in virsh's error ("... unexpected exit status 1:
# gpupool: WORDS"), and gpupool's own line ("gpupool: error: WORDS").
hook_words() { printf '%s\n' "$1" | tr '\n' ' ' | sed -n 's/.*exit status 1: gpupool: //p' | sed 's/ *$//'; }
cli_words() { printf '%s\n' "$1" | sed -n 's/^gpupool: error: //p' | head -n1; }

step "a pool 'solo' with one device, domains vmA and vmB assigned to it"
one_device_pool solo "$B1" vmA vmB

step "before any start: check passes for vmA, and its view shows the device free"
must gpupool check vmA
assert_contains "$RUN_OUT" "vmA: a start would pass gpupool" "check vmA"
assert_contains "$RUN_OUT" "ua-gpupool-0: $B1 of pool 'solo'" "check vmA"
must gpupool domain vmA
assert_contains "$RUN_OUT" "Domain vmA (" "domain vmA"
assert_contains "$RUN_OUT" "): shut off" "domain vmA"
assert_contains "$RUN_OUT" "ua-gpupool-0  solo  $B1  free" "domain vmA"
assert_contains "$RUN_OUT" "Start:        would pass gpupool" "domain vmA"

step "virsh start vmA: the device is passed through for real"
t0=$(date +%s)
start_timed vmA || fail "vmA did not start"
t1=$(date +%s)
assert_eq "$B1" "$(domain_hostdevs vmA)" "device of vmA"
must nested_info_pci vmA
assert_contains "$RUN_OUT" "PCI device 1234:1111" "info pci inside vmA"

step "gpupool domain vmA: running, the device held since the start"
must gpupool domain vmA
view=$RUN_OUT
assert_contains "$view" "): running" "domain vmA"
assert_contains "$view" "Holds now:    1 device of pools" "domain vmA"
since=$(printf '%s\n' "$view" | sed -n "s/.*ua-gpupool-0  solo  $B1  held since \([0-9-]* [0-9:]*\).*/\1/p")
[ -n "$since" ] || fail "the view does not show $B1 held since a time: $view"
since_s=$(date -d "$since" +%s) || fail "not a time: $since"
[ "$since_s" -ge $((t0 - 1)) ] && [ "$since_s" -le $((t1 + 1)) ] ||
	fail "held since $since, but vmA was started between $(date -d @$t0 +%T) and $(date -d @$t1 +%T)"
note "ok: held since $since, during vmA's start"
must gpupool check vmA
assert_contains "$RUN_OUT" "(it runs now and holds its devices)" "check of the running vmA"

step "while vmA runs, vmB's check is refused in the hook's words"
must_fail gpupool check vmB
check_words=$(cli_words "$RUN_OUT")
assert_contains "$check_words" "$B1 of pool 'solo' is held by domain 'vmA'" "check vmB"
must gpupool domain vmB
assert_contains "$RUN_OUT" "held by vmA since $since" "domain vmB"
assert_contains "$RUN_OUT" "Start:        would be refused: $check_words" "domain vmB"

step "and vmB's real start is refused with the same words"
must_fail virsh start vmB
start_words=$(hook_words "$RUN_OUT")
assert_eq "$check_words" "$start_words" "the start's refusal"
assert_eq "shut off" "$(domain_state vmB)" "state of vmB"
assert_eq running "$(domain_state vmA)" "state of vmA (untouched)"

step "once vmA stops, vmB's check passes again"
must virsh destroy vmA
must gpupool check vmB
assert_contains "$RUN_OUT" "vmB: a start would pass gpupool" "check vmB"

step "assign --restart: a running domain without devices gets $B1 now"
define_domain vmC
start_timed vmC || fail "vmC did not start"
assert_eq "" "$(domain_hostdevs vmC)" "devices of vmC before"
# Nothing in vmC answers the shutdown request: destroyed after 5 s.
must gpupool assign vmC --pool solo --restart --timeout 5
assert_contains "$RUN_OUT" "vmC: assigned solo $B1 (ua-gpupool-0)" "assign --restart"
assert_contains "$RUN_OUT" "vmC: restarted with the change" "assign --restart"
assert_eq running "$(domain_state vmC)" "state of vmC"
assert_eq "$B1" "$(domain_hostdevs vmC)" "device of vmC after the restart"
must nested_info_pci vmC
assert_contains "$RUN_OUT" "PCI device 1234:1111" "info pci inside vmC"
assert_eq "$B1" "$(held_by vmC)" "devices held by vmC in status"
must virsh destroy vmC
