/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A domain and the pool devices it names. */
#include "config.h"

#include "state/domain.h"

#include <string.h>

static void
device_free(GpDomainDevice *dev)
{
    if (!dev)
        return;
    g_free(dev->alias);
    g_free(dev->pool);
    g_free(dev->device);
    g_free(dev->driver);
    g_free(dev->parent);
    g_free(dev);
}

GpDomain *
gp_domain_new(const char *uuid, const char *name)
{
    GpDomain *dom = g_new0(GpDomain, 1);

    dom->uuid = g_ascii_strdown(uuid, -1);
    dom->name = g_strdup(name);
    dom->devices = g_ptr_array_new_with_free_func((GDestroyNotify)device_free);
    return dom;
}

GpDomain *
gp_domain_new_from_assignment(const GpDomAssignment *assignment)
{
    GpDomain *dom = gp_domain_new(assignment->uuid, assignment->name);

    for (guint i = 0; i < assignment->devices->len; i++) {
        const GpDomDevice *d = assignment->devices->pdata[i];

        gp_domain_add_device(dom, d->alias, d->pool, d->address ? d->address : d->uuid);
    }
    dom->pcihole64 = assignment->pcihole64;
    return dom;
}

void
gp_domain_free(GpDomain *dom)
{
    if (!dom)
        return;
    g_free(dom->uuid);
    g_free(dom->name);
    g_ptr_array_unref(dom->devices);
    g_free(dom);
}

gint
gp_domain_compare_names(gconstpointer a, gconstpointer b)
{
    const GpDomain *da = *(GpDomain *const *)a;
    const GpDomain *db = *(GpDomain *const *)b;

    return strcmp(da->name, db->name);
}

GpDomainDevice *
gp_domain_add_device(GpDomain *dom, const char *alias, const char *pool, const char *device)
{
    GpDomainDevice *dev = g_new0(GpDomainDevice, 1);

    dev->alias = g_strdup(alias);
    dev->pool = g_strdup(pool);
    dev->device = g_strdup(device);
    g_ptr_array_add(dom->devices, dev);
    return dev;
}

GpDomainDevice *
gp_domain_find_device(const GpDomain *dom, const char *alias)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        GpDomainDevice *dev = dom->devices->pdata[i];

        if (strcmp(dev->alias, alias) == 0)
            return dev;
    }
    return NULL;
}

gboolean
gp_domain_device_is_mdev(const GpDomainDevice *dev)
{
    return g_uuid_string_is_valid(dev->device);
}

void
gp_domain_device_clear_facts(GpDomainDevice *dev)
{
    g_clear_pointer(&dev->driver, g_free);
    g_clear_pointer(&dev->parent, g_free);
    dev->present = FALSE;
    dev->health = GP_PCI_HEALTH_OK;
    dev->parent_health = GP_PCI_HEALTH_OK;
    dev->driver_stays = FALSE;
    memset(dev->bars, 0, sizeof(dev->bars));
}

/* ---- mdev UUIDs ---------------------------------------------------------- */

/* uuid5(NAMESPACE_URL, "http://gpupool.org/xmlns/mdev"): gpupool's own
 * namespace, so our names cannot collide with anyone else's. */
static const guint8 mdev_namespace[16] = {
    0x1f, 0xfa, 0x62, 0x55, 0x9e, 0x50, 0x54, 0x2f,
    0x9a, 0x2c, 0x75, 0x6a, 0x20, 0xe0, 0x78, 0x1b,
};

char *
gp_domain_mdev_uuid(const char *domain_uuid, const char *pool, guint slot)
{
    g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    g_autofree char *dom = g_ascii_strdown(domain_uuid, -1);
    g_autofree char *name = g_strdup_printf("%s/%s/%u", dom, pool, slot);
    guint8 digest[20];
    gsize len = sizeof(digest);

    /* RFC 4122 section 4.3: SHA-1 of namespace + name, version 5, variant
     * 10xx. */
    g_checksum_update(sha1, mdev_namespace, sizeof(mdev_namespace));
    g_checksum_update(sha1, (const guchar *)name, strlen(name));
    g_checksum_get_digest(sha1, digest, &len);
    digest[6] = (digest[6] & 0x0f) | 0x50;
    digest[8] = (digest[8] & 0x3f) | 0x80;
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x",
                           digest[0], digest[1], digest[2], digest[3], digest[4], digest[5],
                           digest[6], digest[7], digest[8], digest[9], digest[10],
                           digest[11], digest[12], digest[13], digest[14], digest[15]);
}

int
gp_domain_mdev_slot(const char *domain_uuid, const char *pool, const char *uuid)
{
    for (guint slot = 0; slot < GP_DOMXML_MAX_COUNT; slot++) {
        g_autofree char *mine = gp_domain_mdev_uuid(domain_uuid, pool, slot);

        if (g_ascii_strcasecmp(mine, uuid) == 0)
            return (int)slot;
    }
    return -1;
}
