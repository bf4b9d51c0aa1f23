/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "bench-domain.h"

#include <stdio.h>

char *
bench_pool_domain_xml(const char *name, const char *uuid, const char *pool, const char *addr)
{
    guint dom = 0, bus = 0, slot = 0, fn = 0;

    sscanf(addr, "%x:%x:%x.%x", &dom, &bus, &slot, &fn);
    return g_strdup_printf(
        "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
        "  <metadata>\n    <gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>\n"
        "      <gpupool:request pool='%s' count='1' mmio='auto'/>\n"
        "      <gpupool:device alias='ua-gpupool-0' pool='%s' address='%s'/>\n"
        "    </gpupool:assignment>\n  </metadata>\n"
        "  <memory unit='KiB'>4194304</memory>\n  <vcpu>4</vcpu>\n"
        "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
        "    <controller type='pci' index='0' model='pcie-root'>\n"
        "      <pcihole64 unit='KiB'>1073741824</pcihole64>\n    </controller>\n"
        "    <hostdev mode='subsystem' type='pci' managed='no'>\n"
        "      <source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source>\n"
        "      <alias name='ua-gpupool-0'/>\n    </hostdev>\n"
        "  </devices>\n</domain>\n", name, uuid, pool, pool, addr, dom, bus, slot, fn);
}
