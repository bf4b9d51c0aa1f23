#!/bin/bash
# 50-mmio: a device with a huge 64-bit BAR (ivshmem: a 64 GiB BAR2, like a
# big GPU's BAR1). A UEFI guest whose firmware aperture is too small leaves
# the BAR unassigned; after 'gpupool assign --mmio auto' sized the domain's
# 64-bit MMIO window (OVMF's aperture, pcihole64, guest physical address
# bits) the firmware places it.
# Two nested OVMF boots under TCG: on a loaded machine they take longer
# than the default limit.
# demo-host: scenario-timeout 900
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add assign status
[ -r "$OVMF_CODE" ] || skip "OVMF missing ($OVMF_CODE): apt-get install -y ovmf"
install_hook

IV=$(pci_by_id $ID_IVSHMEM)
SIZE=$(pci_bar_size "$IV" 2)
note "large-BAR device $IV: BAR2 $((SIZE >> 30)) GiB"
[ "$SIZE" -ge $((64 << 30)) ] || skip "BAR2 of $IV is $((SIZE >> 30)) GiB; this scenario needs 64 GiB (DEMO_IVSHMEM_SIZE)"
# The guest: a CPU with 1 GiB pages and 38 physical address bits (256 GiB),
# as a host CPU with few address bits passes to its guests. OVMF then sizes
# its 64-bit aperture from the address width (an eighth: 32 GiB), too small
# for a 64 GiB BAR, which it leaves unassigned.
CPU="<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model><feature policy='require' name='pdpe1gb'/><maxphysaddr mode='emulate' bits='38'/></cpu>"
export NESTED_OS_XML="$OVMF_OS_XML"

# bar2_within DOMAIN SECONDS: poll the device's BAR2 in the nested guest
# until the firmware assigns it or SECONDS pass once the device is listed
# at all (on a loaded machine that alone can take a minute or more; the
# wait for it is bounded too). Sets BAR2 to the last address seen. (No
# better "firmware is done" signal: when a BAR does not fit, this OVMF
# assigns no BAR of any device, so only time tells.)
bar2_within() {
	local now end listed_by
	now=$(cut -d. -f1 /proc/uptime)
	end=$((now + $2))
	listed_by=$((now + 240))
	while :; do
		BAR2=$(nested_bar 1af4:1110 2 "$1")
		now=$(cut -d. -f1 /proc/uptime)
		[ -n "$BAR2" ] && [ "$BAR2" != 0xffffffffffffffff ] && break
		if [ -z "$BAR2" ]; then
			[ "$now" -ge "$listed_by" ] && break
			end=$((now + $2))
		fi
		[ "$now" -ge "$end" ] && break
		sleep 2
	done
	nested_info_pci "$1" | grep -A4 -E 'PCI device (1af4:1110|8086:2922)' | sed 's/^/      /'
}

step "baseline without gpupool: the firmware cannot place the 64 GiB BAR"
define_domain mmio-plain "$(hostdev_xml "$IV")" "$CPU"
start_timed mmio-plain || fail "mmio-plain did not start"
# OVMF places the BAR within ~20-40 s here when it fits (sized case below).
bar2_within mmio-plain 90
assert_eq 0xffffffffffffffff "$BAR2" "BAR2 address without sizing (unassigned)"
must virsh destroy mmio-plain
cleanup_domain mmio-plain

step "the same guest assigned through gpupool, MMIO window sized automatically"
must gpupool pool-create big --type pci
must gpupool pool-add big "$IV"
define_domain mmio-sized "" "$CPU"
must gpupool assign mmio-sized --pool big --mmio auto
note "what assign set in the definition:"
virsh dumpxml --inactive mmio-sized | grep -iE 'pcihole64|maxphysaddr|X-PciMmio64|fw_cfg|entry name|gpupool:(request|added)' | sed 's/^/      /'
start_timed mmio-sized || fail "mmio-sized did not start"
bar2_within mmio-sized 200
[ -n "$BAR2" ] || fail "the device is missing from the nested guest"
assert_ne 0xffffffffffffffff "$BAR2" "BAR2 address with gpupool's sizing"
must virsh destroy mmio-sized
