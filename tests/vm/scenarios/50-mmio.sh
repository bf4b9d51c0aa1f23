#!/bin/bash
# 50-mmio: a device with a huge 64-bit BAR (ivshmem, 8 GiB BAR2: a GPU's
# BAR1). A UEFI guest whose address space and firmware aperture are too small
# cannot place the BAR; after 'gpupool assign' sized the domain's 64-bit MMIO
# window (pcihole64, OVMF's aperture, guest physical address bits) it can.
. "$VMDIR/lib.sh"
gpupool_scenario pool-create pool-add assign status
[ -r "$OVMF_CODE" ] || skip "OVMF missing ($OVMF_CODE): apt-get install -y ovmf"
install_hook

IV=$(pci_by_id $ID_IVSHMEM)
SIZE=$(pci_bar_size "$IV" 2)
note "large-BAR device $IV: BAR2 $((SIZE >> 30)) GiB"
# The guest, scaled down 16x from a real one (40 address bits, a 32 GiB
# pcihole64, a 128 GiB BAR1): 35 physical address bits (32 GiB; QEMU
# refuses fewer than RAM + pcihole64 need), a 2 GiB 64-bit PCI hole, and a
# CPU with 1 GiB pages as real hosts have (OVMF then sizes its 64-bit
# aperture from the address width: an eighth of it, 4 GiB). An 8 GiB BAR
# fits none of these until the window is sized for it.
CPU="<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model><feature policy='require' name='pdpe1gb'/><maxphysaddr mode='emulate' bits='35'/></cpu>"
HOLE="<controller type='pci' index='0' model='pcie-root'><pcihole64 unit='KiB'>2097152</pcihole64></controller>"
export NESTED_OS_XML="$OVMF_OS_XML"

# wait_enumerated DOMAIN: until OVMF has assigned the device's small BAR0
# (PCI enumeration done), bounded; then set BAR2 to BAR2's address.
wait_enumerated() {
	local i bar0
	for ((i = 0; i < 90; i++)); do
		bar0=$(nested_bar 1af4:1110 0 "$1")
		[ -n "$bar0" ] && [ "$bar0" != 0xffffffffffffffff ] && break
		sleep 2
	done
	[ $i -lt 90 ] || fail "OVMF in $1 did not enumerate PCI within ~180 s"
	note "OVMF enumerated PCI after ~$((i * 2))s: BAR0 at $bar0"
	BAR2=$(nested_bar 1af4:1110 2 "$1")
}

step "baseline without gpupool: the BAR does not fit the guest's default window"
define_domain mmio-plain "$HOLE $(hostdev_xml "$IV")" "$CPU"
start_timed mmio-plain || fail "mmio-plain did not start"
wait_enumerated mmio-plain
nested_info_pci mmio-plain | grep -A4 'PCI device 1af4:1110' | sed 's/^/      /'
assert_eq 0xffffffffffffffff "$BAR2" "BAR2 address without sizing (unassigned)"
must virsh destroy mmio-plain
cleanup_domain mmio-plain

step "the same guest assigned through gpupool, MMIO window sized automatically"
must gpupool pool-create big --type pci
must gpupool pool-add big "$IV"
define_domain mmio-sized "$HOLE" "$CPU"
must gpupool assign mmio-sized --pool big --mmio auto
note "what assign set in the definition:"
virsh dumpxml --inactive mmio-sized | grep -iE 'pcihole64|maxphysaddr|X-PciMmio64|fw_cfg|entry name|gpupool:(request|added)' | sed 's/^/      /'
start_timed mmio-sized || fail "mmio-sized did not start"
wait_enumerated mmio-sized
nested_info_pci mmio-sized | grep -A4 'PCI device 1af4:1110' | sed 's/^/      /'
assert_ne 0xffffffffffffffff "$BAR2" "BAR2 address with gpupool's sizing"
[ -n "$BAR2" ] || fail "the device is missing from the nested guest"
must virsh destroy mmio-sized
