/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A node's capacity and inventory per pool, as the cluster sees them. */
#include "config.h"

#include "cluster/publish.h"

#include <string.h>

#include "host/host.h"
#include "ledger/ledger.h"
#include "ops/partition.h"
#include "cluster/attrs.h"
#include "cluster/runtime.h"

static void
device_free(GpPublishDevice *d)
{
    g_free(d->address);
    g_free(d->ids);
    g_free(d->model);
    g_free(d);
}

static void
attr_free(GpPublishAttr *a)
{
    g_free(a->name);
    g_free(a->value);
    g_free(a);
}

void
gp_publish_pool_free(GpPublishPool *p)
{
    if (!p)
        return;
    g_free(p->pool);
    g_free(p->attribute);
    if (p->devices)
        g_ptr_array_unref(p->devices);
    if (p->inventory)
        g_ptr_array_unref(p->inventory);
    g_free(p);
}

guint
gp_publish_value(guint capacity, guint held_cluster, guint held_other)
{
    guint usable = capacity > held_other ? capacity - held_other : 0;

    return MAX(usable, held_cluster);
}

/* ---- Inventory ------------------------------------------------------------- */

static GpPublishDevice *
describe_member(GpHost *host, const char *address)
{
    GpPublishDevice *d = g_new0(GpPublishDevice, 1);
    g_autoptr(GpPartInfo) info = NULL;
    GpPciDev *dev = host ? gp_host_lookup(host, address, NULL) : NULL;

    d->address = g_strdup(address);
    if (dev) {
        d->present = TRUE;
        d->ids = g_strdup_printf("%04x:%04x", dev->vendor_id, dev->device_id);
        if (dev->device_name)
            d->model = g_strdup_printf("%s%s%s", dev->vendor_name ? dev->vendor_name : "",
                                       dev->vendor_name ? " " : "", dev->device_name);
    }
    info = gp_partition_describe(address, NULL);
    if (info) {
        /* A parent that is not a PCI device (the kernel's mbochs) is
         * known by its name. */
        d->present = TRUE;
        if (!dev && !d->model)
            d->model = g_strdup(address);
        d->vram = info->vram_total;
        d->partitions = info->kind == GP_PART_KIND_WHOLE ? 0 : info->count;
        d->backend = info->backend;
    }
    return d;
}

/* The distinct values of FIELD over the devices, in order, joined with
 * SEP; UNKNOWN where a device cannot tell, "none" without devices. */
static char *
fold(GPtrArray *devices, char *(*field)(const GpPublishDevice *), const char *sep)
{
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < devices->len; i++) {
        char *v = field(devices->pdata[i]);

        if (!v)
            v = g_strdup(GP_ATTR_UNKNOWN);
        if (g_ptr_array_find_with_equal_func(seen, v, g_str_equal, NULL))
            g_free(v);
        else
            g_ptr_array_add(seen, v);
    }
    if (seen->len == 0)
        return g_strdup(GP_ATTR_NONE);
    g_ptr_array_add(seen, NULL);
    return g_strjoinv(sep, (char **)seen->pdata);
}

static char *
field_ids(const GpPublishDevice *d)
{
    return g_strdup(d->ids);
}

static char *
field_model(const GpPublishDevice *d)
{
    return g_strdup(d->model);
}

static char *
field_vram(const GpPublishDevice *d)
{
    return d->vram ? g_strdup_printf("%" G_GUINT64_FORMAT, d->vram) : NULL;
}

static char *
field_partitions(const GpPublishDevice *d)
{
    return d->backend ? g_strdup_printf("%u", d->partitions) : NULL;
}

static void
add_attr(GpPublishPool *p, const char *what, char *value)
{
    GpPublishAttr *a = g_new0(GpPublishAttr, 1);

    a->name = gp_attr_inventory(p->pool, what);
    a->value = value;
    g_ptr_array_add(p->inventory, a);
}

static void
take_inventory(GpPublishPool *p, const GpPool *pool, GpHost *host)
{
    const char *profile = pool->type == GP_POOL_TYPE_MDEV ? pool->mdev_type
                        : pool->type == GP_POOL_TYPE_VF ? pool->vf_profile : NULL;

    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *member = pool->devices->pdata[i];

        if (!member->companion_of)
            g_ptr_array_add(p->devices, describe_member(host, member->address));
    }
    add_attr(p, GP_ATTR_TYPE, g_strdup(gp_pool_type_to_string(pool->type)));
    add_attr(p, GP_ATTR_DEVICES, g_strdup_printf("%u", p->devices->len));
    add_attr(p, GP_ATTR_IDS, fold(p->devices, field_ids, ","));
    add_attr(p, GP_ATTR_MODEL, fold(p->devices, field_model, "; "));
    add_attr(p, GP_ATTR_VRAM, fold(p->devices, field_vram, ","));
    add_attr(p, GP_ATTR_PARTITIONS, fold(p->devices, field_partitions, ","));
    add_attr(p, GP_ATTR_PROFILE, g_strdup(profile ? profile : GP_ATTR_NONE));
}

/* ---- Capacity ---------------------------------------------------------------- */

GPtrArray *
gp_publish_collect(gboolean inventory, GError **error)
{
    g_autoptr(GpLedger) ledger = gp_ledger_open(GP_LEDGER_READ, error);
    g_autoptr(GHashTable) managed = NULL;
    g_autoptr(GpHost) host = NULL;
    g_autoptr(GPtrArray) out = NULL;
    GPtrArray *pools;
    GPtrArray *claims;

    if (!ledger)
        return NULL;
    pools = gp_ledger_pools(ledger, error);
    if (!pools)
        return NULL;
    managed = gp_runtime_managed(error);
    if (!managed)
        return NULL;
    /* Without a readable PCI tree the IDs and names stay unknown; the
     * capacity does not depend on them. */
    if (inventory)
        host = gp_host_scan(NULL);
    claims = gp_claims_all(gp_ledger_claims(ledger));
    out = g_ptr_array_new_with_free_func((GDestroyNotify)gp_publish_pool_free);
    for (guint i = 0; i < pools->len; i++) {
        const GpPool *pool = pools->pdata[i];
        const GpPoolCapacity *cap = gp_ledger_capacity(ledger, pool->name, error);
        GpPublishPool *p;

        if (!cap)
            return NULL;
        p = g_new0(GpPublishPool, 1);
        p->pool = g_strdup(pool->name);
        p->type = pool->type;
        p->attribute = gp_attr_utilization(pool->name);
        p->capacity = cap->capacity;
        p->held = cap->held;
        p->free = cap->free;
        p->devices = g_ptr_array_new_with_free_func((GDestroyNotify)device_free);
        p->inventory = g_ptr_array_new_with_free_func((GDestroyNotify)attr_free);
        for (guint j = 0; j < claims->len; j++) {
            const GpClaim *c = claims->pdata[j];
            g_autofree char *uuid = g_ascii_strdown(c->domain_uuid, -1);

            if (strcmp(c->pool, pool->name) != 0)
                continue;
            if (g_hash_table_contains(managed, uuid))
                p->held_cluster++;
            else
                p->held_other++;
        }
        p->value = gp_publish_value(p->capacity, p->held_cluster, p->held_other);
        if (inventory)
            take_inventory(p, pool, host);
        g_ptr_array_add(out, p);
    }
    return g_steal_pointer(&out);
}
