/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A domain and the pool devices it asks for (src/state/domain.c): the one
 * request struct the hook's decisions, rebalance and the views share,
 * built by hand or from a domain definition. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "state/domain.h"
#include "state/domxml.h"

#define MDEV_UUID "9f3c1c2e-5b1a-4d55-9a43-6f1c0de0a001"

TestSuite(domain);

Test(domain, a_domain_is_named_by_its_uuid_in_lower_case)
{
    g_autoptr(GpDomain) dom = gp_domain_new("6F1C4A52-2D7E-4B8A-9C1E-3A5B7D9E0F12", "vm1");

    cr_assert_str_eq(dom->uuid, "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12");
    cr_assert_str_eq(dom->name, "vm1");
    cr_assert_not(dom->active);
    cr_assert_eq(dom->devices->len, 0);
    cr_assert_eq(dom->pcihole64, 0);
}

Test(domain, devices_are_found_by_alias_and_mdevs_by_their_uuid)
{
    g_autoptr(GpDomain) dom = gp_domain_new("6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12", "vm1");
    GpDomainDevice *gpu = gp_domain_add_device(dom, "ua-gpupool-0", "gpus", "0000:41:00.0");
    GpDomainDevice *mdev = gp_domain_add_device(dom, "ua-gpupool-1", "disp", MDEV_UUID);

    cr_assert_eq(dom->devices->len, 2);
    cr_assert_eq(gp_domain_find_device(dom, "ua-gpupool-1"), mdev);
    cr_assert_eq(gp_domain_find_device(dom, "ua-gpupool-0"), gpu);
    cr_assert_null(gp_domain_find_device(dom, "ua-gpupool-2"));
    cr_assert_str_eq(gpu->pool, "gpus");
    cr_assert_not(gp_domain_device_is_mdev(gpu));
    cr_assert(gp_domain_device_is_mdev(mdev));
}

Test(domain, clearing_the_facts_forgets_what_the_host_said_and_keeps_the_request)
{
    g_autoptr(GpDomain) dom = gp_domain_new("6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12", "vm1");
    GpDomainDevice *vf = gp_domain_add_device(dom, "ua-gpupool-0", "l40s", "0000:c1:00.4");

    vf->present = TRUE;
    vf->driver = g_strdup("nvidia");
    vf->parent = g_strdup("0000:c1:00.0");
    vf->driver_stays = TRUE;
    vf->bars[1].size = 1ULL << 30;
    gp_domain_device_clear_facts(vf);
    cr_assert_not(vf->present);
    cr_assert_null(vf->driver);
    cr_assert_null(vf->parent);
    cr_assert_not(vf->driver_stays);
    cr_assert_eq(vf->bars[1].size, 0);
    cr_assert_str_eq(vf->alias, "ua-gpupool-0");
    cr_assert_str_eq(vf->pool, "l40s");
    cr_assert_str_eq(vf->device, "0000:c1:00.4");
}

Test(domain, the_request_of_a_definition_carries_its_devices_and_mmio_window)
{
    const char *xml =
        "<domain type='kvm'><name>vm1</name><uuid>6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12</uuid>"
        "<metadata><gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        "<gpupool:request pool='gpus' count='1'/><gpupool:request pool='disp' count='1'/>"
        "<gpupool:device alias='ua-gpupool-0' pool='gpus' address='0000:41:00.0'/>"
        "<gpupool:device alias='ua-gpupool-1' pool='disp' uuid='" MDEV_UUID "'/>"
        "</gpupool:assignment></metadata>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
        "<controller type='pci' index='0' model='pcie-root'>"
        "<pcihole64 unit='KiB'>67108864</pcihole64></controller>"
        "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' "
        "bus='0x41' slot='0x00' function='0x0'/></source><alias name='ua-gpupool-0'/>"
        "</hostdev>"
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='"
        MDEV_UUID "'/></source><alias name='ua-gpupool-1'/></hostdev>"
        "</devices></domain>";
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) asg = gp_domxml_read_assignment(xml, strlen(xml), &error);
    g_autoptr(GpDomain) dom = NULL;
    const GpDomainDevice *d;

    cr_assert_not_null(asg, "%s", error ? error->message : "");
    dom = gp_domain_new_from_assignment(asg);
    cr_assert_str_eq(dom->name, "vm1");
    cr_assert_str_eq(dom->uuid, "6f1c4a52-2d7e-4b8a-9c1e-3a5b7d9e0f12");
    cr_assert_eq(dom->pcihole64, G_GUINT64_CONSTANT(64) << 30);
    cr_assert_eq(dom->devices->len, 2);
    d = dom->devices->pdata[0];
    cr_assert_str_eq(d->alias, "ua-gpupool-0");
    cr_assert_str_eq(d->pool, "gpus");
    cr_assert_str_eq(d->device, "0000:41:00.0");
    d = dom->devices->pdata[1];
    cr_assert_str_eq(d->pool, "disp");
    cr_assert_str_eq(d->device, MDEV_UUID);
    cr_assert(gp_domain_device_is_mdev(d));
    cr_assert_not(d->present, "nothing is known of the host until the ledger probes it");
}

Test(domain, mdev_uuids_are_stable_per_domain_pool_and_slot)
{
    g_autofree char *a = gp_domain_mdev_uuid("C7A5FDBD-CDAF-9455-926A-D65C16DB1809", "vgpu", 0);
    g_autofree char *b = gp_domain_mdev_uuid("c7a5fdbd-cdaf-9455-926a-d65c16db1809", "vgpu", 0);
    g_autofree char *c = gp_domain_mdev_uuid("c7a5fdbd-cdaf-9455-926a-d65c16db1809", "vgpu", 1);
    g_autofree char *d = gp_domain_mdev_uuid("c7a5fdbd-cdaf-9455-926a-d65c16db1809", "other", 0);

    /* RFC 4122 version 5 of gpupool's namespace, checked against Python's
     * uuid.uuid5(). */
    cr_assert_str_eq(a, "136a849e-f46f-5bac-a26a-97dc19ddf8ed");
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c);
    cr_assert_str_neq(a, d);
}

Test(domain, an_mdev_uuid_tells_its_slot_only_to_the_domain_it_was_derived_from)
{
    const char *orig = "c7a5fdbd-cdaf-9455-926a-d65c16db1809";
    const char *clone = "0b9e8d4c-1f2a-4b3c-8d4e-5f6a7b8c9d0e";
    g_autofree char *slot0 = gp_domain_mdev_uuid(orig, "vgpu", 0);
    g_autofree char *slot3 = gp_domain_mdev_uuid(orig, "vgpu", 3);

    cr_assert_eq(gp_domain_mdev_slot(orig, "vgpu", slot0), 0);
    cr_assert_eq(gp_domain_mdev_slot("C7A5FDBD-CDAF-9455-926A-D65C16DB1809", "vgpu",
                                     slot3), 3);
    /* A copy of the definition (virt-clone) keeps the original's mdev. */
    cr_assert_eq(gp_domain_mdev_slot(clone, "vgpu", slot0), -1);
    /* The same domain's mdev of another pool is not this pool's. */
    cr_assert_eq(gp_domain_mdev_slot(orig, "other", slot0), -1);
    cr_assert_eq(gp_domain_mdev_slot(orig, "vgpu", MDEV_UUID), -1);
}
