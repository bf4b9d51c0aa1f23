#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# demo: the guided tour on the demo host. Every command is printed as you
# would type it on a real GPU host, followed by its output.
. "$VMDIR/lib.sh"
gpupool_scenario devices pool-create pool-add pool-info assign status
install_hook >/dev/null

set -- $(pci_by_id $ID_BOCHS)
B1=$1 B2=$2

say() { echo; echo ">>> $*"; }

say "This demo host is a QEMU guest with an emulated IOMMU and two small emulated"
echo "    GPUs (bochs-display, $B1 and $B2), libvirt, and gpupool's libvirt hook"
echo "    in /etc/libvirt/hooks/qemu.d/. Nested guests are tiny TCG VMs."

say "1. What GPUs does this host have, and can they be passed through?"
must gpupool devices

say "2. Make a pool of whole GPUs and put both in it (they are bound to vfio-pci)."
must gpupool pool-create gpus --type pci
must gpupool pool-add gpus "$B1" "$B2"
must gpupool pool-info gpus

say "3. A guest that names no device at all..."
define_domain demo-vm
virsh dumpxml --inactive demo-vm | sed -n '1,12p' | sed 's/^/    /'
echo "    ..."
say "   ...is assigned to the pool: it will get a free GPU each time it starts."
must gpupool assign demo-vm --pool gpus

say "4. Start it. The hook claims a free GPU from the pool."
must virsh start demo-vm
must gpupool status

say "5. The guest really has the GPU: libvirt's live XML and QEMU's own PCI bus."
virsh dumpxml demo-vm | sed -n '/<hostdev/,/<\/hostdev>/p' | sed 's/^/    /'
echo "# virsh qemu-monitor-command demo-vm --hmp 'info pci'   (the passed GPU)"
nested_info_pci demo-vm | grep -B1 -A4 '1234:1111' | sed 's/^/    /'
dev=$(domain_hostdevs demo-vm)
assert_contains "$(nested_info_pci demo-vm)" "PCI device 1234:1111" "the guest's PCI bus"

say "6. Stop the guest: the GPU goes back to the pool, still bound to vfio-pci."
must virsh destroy demo-vm
must gpupool status
assert_eq vfio-pci "$(pci_driver "$dev")" "driver of $dev"

say "Done. On a real host the same commands run against real GPUs."
