#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-devices: 'gpupool devices' shows an admin the host's GPUs, their IOMMU
# groups, drivers and BARs, and nothing that is not a GPU unless asked.
. "$VMDIR/lib.sh"
gpupool_scenario devices

set -- $(pci_by_id $ID_BOCHS)
B1=$1 B2=$2
VG=$(pci_by_id $ID_VIRTIO_GPU)
EDU=$(pci_by_id $ID_EDU)
IV=$(pci_by_id $ID_IVSHMEM)

step "gpupool devices lists both bochs-display GPUs"
must gpupool devices
out=$RUN_OUT
for b in $B1 $B2; do
	assert_contains "$out" "$b" "devices"
done
assert_contains "$out" "[1234:1111]" "devices"
assert_contains "$out" "iommu group: $(pci_group "$B1")" "devices"
assert_contains "$out" "driver:      bochs-drm" "devices"
assert_not_contains "$out" "$EDU" "devices without --all (edu is no GPU)"

step "the virtio-gpu, a GPU of another model, is listed too"
assert_contains "$out" "$VG" "devices"
assert_contains "$out" "[1af4:1050]" "devices"
must gpupool devices "$VG"
assert_contains "$RUN_OUT" "ready for passthrough" "devices $VG"
assert_contains "$RUN_OUT" "iommu group: $(pci_group "$VG") (alone)" "devices $VG"

step "--all also shows the non-GPU endpoints"
must gpupool devices --all
assert_contains "$RUN_OUT" "$EDU" "devices --all"
assert_contains "$RUN_OUT" "$IV" "devices --all"

step "a named device shows its $((IVSHMEM_BYTES >> 30)) GiB 64-bit BAR (the large-BAR 'GPU')"
must gpupool devices "$IV"
assert_contains "$RUN_OUT" "BAR2 $((IVSHMEM_BYTES >> 30)) GiB 64-bit prefetchable" "devices $IV"

step "the SR-IOV physical function shows its VFs"
NV=$(pci_by_id $ID_NVME | head -n1)
must gpupool devices "$NV"
assert_contains "$RUN_OUT" "sr-iov:" "devices $NV"
assert_contains "$RUN_OUT" "of 2 VFs" "devices $NV"

step "--xml is well-formed and carries the same devices"
must gpupool devices --xml
xml=$RUN_OUT
if command -v xmllint >/dev/null; then
	printf '%s\n' "$xml" | xmllint --noout - || fail "gpupool devices --xml is not well-formed"
	note "ok: xmllint accepts it"
	if [ -f "$SRCDIR/xml/devices.rng" ]; then
		printf '%s\n' "$xml" | xmllint --noout --relaxng "$SRCDIR/xml/devices.rng" - ||
			fail "gpupool devices --xml does not match xml/devices.rng"
		note "ok: valid against xml/devices.rng"
	fi
fi
assert_contains "$xml" "address=\"$B1\"" "devices --xml"
assert_contains "$xml" "address=\"$B2\"" "devices --xml"
assert_contains "$xml" 'vendor-id="0x1234"' "devices --xml"

step "an unknown address is refused with a message naming it"
must_fail gpupool devices 0000:00:1e.7
assert_contains "$RUN_OUT" "0000:00:1e.7" "error message"
