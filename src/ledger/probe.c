/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the host says about a pool's members. */
#include "config.h"

#include "ledger/probe.h"

#include <stdio.h>
#include <string.h>

#include "base/pciaddr.h"
#include "base/sysfs.h"
#include "host/backends.h"
#include "host/pcidev.h"
#include "host/sriov.h"
#include "host/vfio.h"
#include "policy/capacity.h"
#include "policy/quarantine.h"

static void
probe_pci(const GpPool *pool, GpMemberFacts *f)
{
    g_autofree char *driver = NULL;

    f->health = gp_pci_health(f->address);
    f->present = f->health != GP_PCI_HEALTH_GONE;
    f->problem = gp_quarantine_reason(pool->type, pool->name, f->address, f->health);
    if (!f->present)
        return;
    driver = gp_vfio_current_driver(f->address);
    f->ready = g_strcmp0(driver, GP_VFIO_DRIVER) == 0;
    if (!f->ready && !f->problem)
        f->problem = g_strdup("not on vfio-pci: run 'gpupool setup'");
}

/* Room for another partition of PROFILE on PF, as its back end tells it;
 * 0 with a problem when the device does not offer the profile. */
static void
probe_profile_room(GpMemberFacts *f, const GpBackendOps *ops, const char *profile,
                   guint per_device)
{
    g_autoptr(GpPartInfo) info = gp_part_info_new(f->address);
    g_autoptr(GError) err = NULL;
    const GpPartProfile *p;

    if (!ops->describe(f->address, info, &err)) {
        f->room = 0;
        f->problem = g_strdup(err->message);
        return;
    }
    p = gp_part_info_find_profile(info, profile);
    f->room = p ? p->available : 0;
    /* A busy device may only say whether one more fits; the count
     * partition-set measured on it idle tells how many. */
    if (p && per_device > p->in_use)
        f->room = MAX(f->room, (gint64)(per_device - p->in_use));
    if (!p)
        f->problem = g_strdup_printf("does not offer profile %s: see 'gpupool partitions %s'",
                                     profile, f->address);
}

static void
probe_vf(const GpPool *pool, GpMemberFacts *f)
{
    g_autoptr(GPtrArray) vfs = NULL;
    const GpBackendOps *ops;
    gboolean stays;

    f->health = gp_pci_health(f->address);
    f->present = f->health != GP_PCI_HEALTH_GONE;
    f->problem = gp_quarantine_reason(pool->type, pool->name, f->address, f->health);
    if (!f->present)
        return;
    ops = gp_backend_partitioner_for(f->address, NULL);
    /* NVIDIA's vGPU VFs stay on their vendor driver (plugin/backend.h). */
    stays = ops && ops->driver_stays;
    vfs = gp_sriov_vfs(f->address);
    for (guint i = 0; i < vfs->len; i++) {
        g_autofree char *driver = gp_vfio_current_driver(vfs->pdata[i]);

        gp_member_facts_add_vf(f, vfs->pdata[i],
                               stays || g_strcmp0(driver, GP_VFIO_DRIVER) == 0);
    }
    /* A quarantined PF's VFs are listed only so that the claims on them
     * count as held there; its back end is not asked for room. */
    if (f->problem)
        return;
    if (vfs->len == 0) {
        f->problem = g_strdup_printf("no VFs enabled: run 'gpupool partition-set %s --count N'",
                                     f->address);
        return;
    }
    if (pool->vf_profile && ops)
        probe_profile_room(f, ops, pool->vf_profile, pool->vf_per_device);
}

/* Is mdev parent NAME a PCI function (not mbochs or mdpy)?  Pools hold
 * addresses in canonical form. */
static gboolean
is_pci_parent(const char *name)
{
    GpPciAddr addr;

    return gp_pci_addr_parse_canonical(name, strlen(name), &addr);
}

static void
probe_mdev(const GpPool *pool, GpMemberFacts *f)
{
    g_autofree char *rel = gp_sysfs_mdev_parent_path(f->address, NULL);
    g_autofree char *avail = NULL;
    guint64 n = 0;

    f->room = 0;
    /* A parent on the PCI bus can break or vanish like any device; one
     * that is not exists while its module is loaded. */
    if (is_pci_parent(f->address)) {
        f->health = gp_pci_health(f->address);
        f->problem = gp_quarantine_reason(pool->type, pool->name, f->address, f->health);
        if (f->problem) {
            f->present = f->health != GP_PCI_HEALTH_GONE;
            return;
        }
    }
    f->present = gp_sysfs_exists(rel);
    if (!f->present) {
        f->problem = g_strdup("missing from this host");
        return;
    }
    if (!pool->mdev_type) {
        f->problem = g_strdup("no mdev type set");
        return;
    }
    avail = gp_sysfs_mdev_type_path(f->address, pool->mdev_type, "available_instances");
    if (!gp_sysfs_read_u64(avail, &n, NULL)) {
        f->problem = g_strdup_printf("does not offer %s", pool->mdev_type);
        return;
    }
    f->room = (gint64)n;
}

GPtrArray *
gp_ledger_probe_pool(const GpPool *pool)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)gp_member_facts_free);

    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *d = pool->devices->pdata[i];
        GpMemberFacts *f;

        if (d->companion_of)
            continue;
        f = gp_member_facts_new(d->address);
        switch (pool->type) {
        case GP_POOL_TYPE_PCI:
            probe_pci(pool, f);
            break;
        case GP_POOL_TYPE_VF:
            probe_vf(pool, f);
            break;
        case GP_POOL_TYPE_MDEV:
            probe_mdev(pool, f);
            break;
        }
        g_ptr_array_add(out, f);
    }
    return out;
}

/* ---- A domain's device --------------------------------------------------- */

/* The kernel's IORESOURCE_* flags as the "resource" attribute shows them. */
#define GP_IORESOURCE_MEM    0x00000200ULL
#define GP_IORESOURCE_MEM_64 0x00100000ULL
#define GP_IORESOURCE_PREFETCH 0x00002000ULL

static void
probe_bars(GpDomainDevice *dev)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(dev->device, "resource");
    g_autofree char *text = gp_sysfs_read(rel, NULL);
    g_auto(GStrv) lines = NULL;

    if (!text)
        return;
    lines = g_strsplit(text, "\n", -1);
    /* Lines 0..5 are the BARs; the ROM and bridge windows follow. */
    for (guint i = 0; i < 6 && lines[i]; i++) {
        guint64 start, end, flags;

        if (sscanf(lines[i], "%" G_GINT64_MODIFIER "x %" G_GINT64_MODIFIER "x %"
                   G_GINT64_MODIFIER "x", &start, &end, &flags) != 3)
            continue;
        if (end <= start || !(flags & GP_IORESOURCE_MEM))
            continue;
        dev->bars[i].size = end - start + 1;
        dev->bars[i].is_64bit = (flags & GP_IORESOURCE_MEM_64) != 0;
        dev->bars[i].prefetchable = (flags & GP_IORESOURCE_PREFETCH) != 0;
    }
}

void
gp_ledger_probe_device(GpDomainDevice *dev, GpPoolType type)
{
    gp_domain_device_clear_facts(dev);
    if (type == GP_POOL_TYPE_MDEV) {
        g_autofree char *rel = gp_sysfs_mdev_dev_path(dev->device, NULL);

        dev->present = gp_sysfs_is_dir(rel);
        /* The parent is the directory its bus/mdev/devices link points
         * into: a PCI address, or "mbochs". */
        if (dev->present)
            dev->parent = gp_sysfs_link_parent_name(rel, NULL);
        if (dev->parent && is_pci_parent(dev->parent))
            dev->parent_health = gp_pci_health(dev->parent);
        return;
    }
    dev->health = gp_pci_health(dev->device);
    dev->present = dev->health != GP_PCI_HEALTH_GONE;
    if (!dev->present)
        return;
    dev->driver = gp_vfio_current_driver(dev->device);
    if (type == GP_POOL_TYPE_VF) {
        dev->parent = gp_pci_physfn(dev->device);
        if (dev->parent)
            dev->parent_health = gp_pci_health(dev->parent);
        /* Only a VF off vfio-pci needs to know: asking the back ends may
         * load vendor modules. */
        if (dev->parent && g_strcmp0(dev->driver, GP_VFIO_DRIVER) != 0) {
            const GpBackendOps *ops = gp_backend_partitioner_for(dev->parent, NULL);

            dev->driver_stays = ops && ops->driver_stays;
        }
    }
    probe_bars(dev);
}
