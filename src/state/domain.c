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
    dev->driver_stays = FALSE;
    memset(dev->bars, 0, sizeof(dev->bars));
}
