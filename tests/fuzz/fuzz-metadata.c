/* gpupool's metadata element (<gpupool:assignment>, xml/metadata.rng),
 * read strictly by the hook and leniently by unassign.
 *
 * Input: the content of a domain's <metadata>, put into a fixed domain
 * whose <devices> hold two gpupool hostdevs (ua-gpupool-0 on PCI device
 * 0000:41:00.0, ua-gpupool-1 on an mdev) and a host device of the
 * admin's own, so that the fuzzer spends its time on the metadata.
 * Checked: what the strict reader accepts holds every bound of
 * src/state/domxml.h and matches the hostdevs; unassign removes every
 * request, however broken the metadata is. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "fuzz-domxml.h"

#define DEVICE_UUID "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0001"

static const char head[] =
    "<domain type='kvm'>\n"
    "  <name>vm1</name>\n"
    "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
    "  <metadata>";
static const char tail[] =
    "</metadata>\n"
    "  <memory unit='KiB'>4194304</memory>\n"
    "  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  </os>\n"
    "  <devices>\n"
    "    <hostdev mode='subsystem' type='pci' managed='no'>\n"
    "      <source>\n"
    "        <address domain='0x0000' bus='0x41' slot='0x00' function='0x0'/>\n"
    "      </source>\n"
    "      <alias name='ua-gpupool-0'/>\n"
    "    </hostdev>\n"
    "    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci'>\n"
    "      <source>\n"
    "        <address uuid='" DEVICE_UUID "'/>\n"
    "      </source>\n"
    "      <alias name='ua-gpupool-1'/>\n"
    "    </hostdev>\n"
    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
    "      <source>\n"
    "        <address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>\n"
    "      </source>\n"
    "    </hostdev>\n"
    "  </devices>\n"
    "</domain>\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GString) xml = g_string_sized_new(sizeof(head) + size + sizeof(tail));
    g_autoptr(GpDomAssignment) a = NULL;
    g_autoptr(GpDomXml) dom = NULL;
    g_autoptr(GError) error = NULL;

    g_string_append(xml, head);
    g_string_append_len(xml, (const char *)data, size);
    g_string_append(xml, tail);

    a = gp_domxml_read_assignment(xml->str, xml->len, &error);
    if (a) {
        fuzz_check_assignment(a, xml->str, xml->len);
        for (guint i = 0; i < a->devices->len; i++) {
            const GpDomDevice *dev = g_ptr_array_index(a->devices, i);

            FUZZ_CHECK(dev->index < 2, "device %s has no hostdev", dev->alias);
            FUZZ_CHECK(dev->index == 0 ? g_strcmp0(dev->address, "0000:41:00.0") == 0
                                       : g_strcmp0(dev->uuid, DEVICE_UUID) == 0,
                       "device %s is not the hostdev's", dev->alias);
        }
    } else {
        FUZZ_CHECK_ERROR(error);
        g_clear_error(&error);
    }

    dom = gp_domxml_parse(xml->str, xml->len, &error);
    if (!dom) {
        FUZZ_CHECK_ERROR(error);
        return 0;
    }
    FUZZ_CHECK(gp_domxml_clear(dom, NULL), "clear failed");
    {
        g_autoptr(GpDomAssignment) left = gp_domxml_assignment(dom, NULL);

        FUZZ_CHECK(!left || (left->requests->len == 0 && left->devices->len == 0),
                   "unassign left a request behind");
    }
    g_free(gp_domxml_format(dom));
    return 0;
}
