/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which pool domains can move while they run. */
#include "config.h"

#include "policy/migrate.h"

#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(gp-migrate-error-quark, gp_migrate_error)

/* The pool type of request R: as recorded, else the local pool's. */
static gboolean
request_type(const GpDomRequest *r, GHashTable *pools, GpPoolType *type)
{
    const GpPool *pool = pools ? g_hash_table_lookup(pools, r->pool) : NULL;

    if (r->has_type) {
        *type = r->type;
        return TRUE;
    }
    if (pool) {
        *type = pool->type;
        return TRUE;
    }
    return FALSE;
}

gboolean
gp_migrate_check_kinds(const char *dom_name, GPtrArray *requests, GHashTable *pools,
                       GError **error)
{
    for (guint i = 0; i < requests->len; i++) {
        const GpDomRequest *r = requests->pdata[i];
        const GpPool *pool = pools ? g_hash_table_lookup(pools, r->pool) : NULL;
        GpPoolType type;

        /* Whole on either side: the source's record, or this host's pool. */
        if ((request_type(r, pools, &type) && type == GP_POOL_TYPE_PCI) ||
            (pool && pool->type == GP_POOL_TYPE_PCI)) {
            g_set_error(error, GP_MIGRATE_ERROR, GP_MIGRATE_ERROR_WHOLE,
                        "%s: pool %s hands out whole devices; stop the domain and start it "
                        "on the destination, or let the cluster restart it", dom_name, r->pool);
            return FALSE;
        }
    }
    return TRUE;
}

/* "6.1.0-18-amd64" -> 6001; 0 if it does not start with MAJOR.MINOR. */
static guint
kernel_version(const char *release)
{
    guint major = 0, minor = 0;

    if (!release || sscanf(release, "%u.%u", &major, &minor) != 2)
        return 0;
    return major * 1000 + minor;
}

gboolean
gp_migrate_stack_can_vfio(const GpMigrateStack *stack, char **reason)
{
    guint kernel = kernel_version(stack->kernel);
    gulong v = stack->version;
    g_autofree char *qemu = g_strdup_printf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000,
                                            v % 1000);
    g_autofree char *on = stack->kernel ? g_strdup_printf(" on Linux %s", stack->kernel)
                                        : g_strdup("");

    if (!stack->hypervisor || g_ascii_strcasecmp(stack->hypervisor, "QEMU") != 0 || !v) {
        *reason = g_strdup_printf("gpupool cannot tell whether the hypervisor %s (%s) can "
                                  "migrate VFIO devices: it is not QEMU, or its version is "
                                  "unknown", stack->where,
                                  stack->hypervisor ? stack->hypervisor : "unknown");
        return FALSE;
    }
    if (v < GP_MIGRATE_QEMU_V2) {
        *reason = g_strdup_printf("QEMU %s %s%s cannot migrate a VFIO device: it speaks only "
                                  "VFIO migration protocol v1, which Linux replaced by v2 in "
                                  "5.18; QEMU speaks v2 from 8.0 on ('virsh version' shows "
                                  "the QEMU version)", qemu, stack->where, on);
        return FALSE;
    }
    if (kernel && kernel < GP_MIGRATE_KERNEL_V2) {
        *reason = g_strdup_printf("Linux %s %s cannot migrate a VFIO device with QEMU %s: "
                                  "QEMU 8.0 and later need VFIO migration protocol v2, which "
                                  "Linux has from 5.18 on ('uname -r')", stack->kernel,
                                  stack->where, qemu);
        return FALSE;
    }
    *reason = g_strdup_printf("QEMU %s %s%s can migrate VFIO devices whose driver supports "
                              "it (QEMU refuses at once for a driver that does not)", qemu,
                              stack->where, on);
    return TRUE;
}

static const char *
pool_profile(const GpPool *pool)
{
    return pool->type == GP_POOL_TYPE_MDEV ? pool->mdev_type
         : pool->type == GP_POOL_TYPE_VF ? pool->vf_profile : NULL;
}

static const char *
kind_text(GpPoolType type)
{
    return type == GP_POOL_TYPE_MDEV ? "mdev partitions"
         : type == GP_POOL_TYPE_VF ? "SR-IOV VFs" : "whole devices";
}

gboolean
gp_migrate_check_incoming(const char *dom_name, GPtrArray *requests, GHashTable *pools,
                          GError **error)
{
    if (!gp_migrate_check_kinds(dom_name, requests, pools, error))
        return FALSE;
    for (guint i = 0; i < requests->len; i++) {
        const GpDomRequest *r = requests->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, r->pool);
        const char *here;

        if (!pool)
            continue;  /* not requested by a device: nothing arrives */
        if (!r->has_type) {
            g_set_error(error, GP_MIGRATE_ERROR, GP_MIGRATE_ERROR_UNKNOWN,
                        "%s: its gpupool metadata does not record which partitions of pool "
                        "'%s' it runs with (written by an older gpupool), so this host cannot "
                        "check that its pool gives the same: stop %s, run 'gpupool assign %s "
                        "--pool %s' and start it again before migrating it", dom_name,
                        r->pool, dom_name, dom_name, r->pool);
            return FALSE;
        }
        if (r->type != pool->type) {
            g_set_error(error, GP_MIGRATE_ERROR, GP_MIGRATE_ERROR_MISMATCH,
                        "%s: pool '%s' hands out %s here but %s runs with %s: give the pool "
                        "the same type on every host", dom_name, r->pool,
                        kind_text(pool->type), dom_name, kind_text(r->type));
            return FALSE;
        }
        here = pool_profile(pool);
        if (g_strcmp0(here, r->profile) != 0) {
            g_set_error(error, GP_MIGRATE_ERROR, GP_MIGRATE_ERROR_MISMATCH,
                        "%s: pool '%s' gives %s here but %s runs with %s, and a running "
                        "guest cannot change its partition's profile: set the pool alike on "
                        "every host ('gpupool partition-set DEVICE --profile %s'), or stop "
                        "%s and start it here", dom_name, r->pool,
                        here ? here : "no profile", dom_name,
                        r->profile ? r->profile : "no profile",
                        r->profile ? r->profile : "TYPE", dom_name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
gp_migrate_check_room(const char *dom_name, const GpPool *pool, guint need, guint free,
                      GError **error)
{
    const char *profile = pool_profile(pool);
    g_autofree char *what = NULL;

    if (need <= free)
        return TRUE;
    what = g_strdup_printf("%s%s%s", pool->type == GP_POOL_TYPE_MDEV ? "mdevs" : "VFs",
                           profile ? " of profile " : "", profile ? profile : "");
    g_set_error(error, GP_MIGRATE_ERROR, GP_MIGRATE_ERROR_NO_ROOM,
                "%s: pool '%s' has %u free %s on this host and %s needs %u: migrate it to a "
                "host with room, or stop a domain of the pool here", dom_name, pool->name,
                free, what, dom_name, need);
    return FALSE;
}
