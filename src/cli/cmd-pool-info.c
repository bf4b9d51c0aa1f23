/* gpupool pool-info: one pool, its devices and who holds them. */
#include "config.h"

#include "base/pciaddr.h"
#include "base/sysfs.h"
#include "host/vfio.h"
#include "state/poolstore.h"
#include "ops/poolhost.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static char *
format_holder(const GpClaim *c)
{
    g_autoptr(GDateTime) since = g_date_time_new_from_unix_local(c->since);
    g_autofree char *when = since ? g_date_time_format(since, "%Y-%m-%d %H:%M") : NULL;

    return g_strdup_printf("%s (%s) since %s", c->domain_name, c->domain_uuid,
                           when ? when : "?");
}

static char *
pci_status(const GpPoolDevice *d, const char *driver, const GpClaim *held)
{
    g_autofree char *dir = gp_sysfs_pci_dev_path(d->address, NULL);

    if (!gp_sysfs_is_dir(dir))
        return g_strdup("missing from this host");
    if (g_strcmp0(driver, GP_VFIO_DRIVER) != 0)
        return g_strdup("not on vfio-pci: run 'gpupool setup'");
    if (d->companion_of)
        return g_strdup_printf("companion of %s", d->companion_of);
    return g_strdup(held ? "in use" : "free");
}

static char *
partition_status(const GpPool *pool, const GpPoolDevice *d)
{
    if (pool->type == GP_POOL_TYPE_VF) {
        g_autofree char *path = gp_sysfs_pci_dev_path(d->address, "sriov_numvfs");
        g_autofree char *n = gp_sysfs_read(path, NULL);

        return n ? g_strdup_printf("%s VFs enabled", n) : g_strdup("missing from this host");
    }
    if (pool->mdev_type) {
        g_autofree char *path = gp_sysfs_mdev_type_path(d->address, pool->mdev_type,
                                                        "available_instances");
        g_autofree char *n = gp_sysfs_read(path, NULL);

        return n ? g_strdup_printf("%s more %s can be created", n, pool->mdev_type)
                 : g_strdup_printf("does not offer %s", pool->mdev_type);
    }
    return g_strdup("no mdev type set");
}

static int
run_pool_info(int argc, char **argv)
{
    gboolean xml = FALSE;
    GOptionEntry entries[] = {
        { "xml", 0, 0, G_OPTION_ARG_NONE, &xml,
          "Print the definition (xml/pool.rng), e.g. to define the pool on another host",
          NULL },
        { NULL }
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GpClaims) claims = NULL;
    GPtrArray *all;
    GpPoolUsage usage;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_pool_info, entries, &argc, &argv, 1,
                           "give exactly one pool NAME");
    if (rc != GP_EXIT_OK)
        return rc;
    pool = gp_poolstore_load(argv[1], &error);
    if (!pool)
        return gp_cli_fail(error);
    if (xml) {
        g_autofree char *text = gp_pool_format_xml(pool);

        fputs(text, stdout);
        return GP_EXIT_OK;
    }
    claims = gp_claims_load(&error);
    if (!claims)
        return gp_cli_fail(error);
    gp_poolhost_usage(pool, claims, &usage);

    printf("Name:         %s\n", pool->name);
    printf("Type:         %s\n", gp_pool_type_to_string(pool->type));
    if (pool->description)
        printf("Description:  %s\n", pool->description);
    if (pool->type == GP_POOL_TYPE_MDEV)
        printf("mdev type:    %s\n", pool->mdev_type ? pool->mdev_type : "(not set)");
    if (pool->type == GP_POOL_TYPE_VF)
        printf("VFs per PF:   %u%s\n", pool->vf_count, pool->vf_count ? "" : " (left as is)");
    if (usage.total >= 0)
        printf("Usage:        %u in use, %" G_GINT64_FORMAT " free\n", usage.in_use,
               MAX(usage.total - (gint64)usage.in_use, 0));
    else
        printf("Usage:        %u in use\n", usage.in_use);
    if (pool->devices->len == 0) {
        printf("\nNo devices yet: add some with 'gpupool pool-add %s DEVICE...'\n", pool->name);
        return GP_EXIT_OK;
    }

    printf("\n%-13s %-14s %-14s %-30s %s\n", "DEVICE", "DRIVER", "HOST DRIVER", "STATUS",
           "HELD BY");
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *d = g_ptr_array_index(pool->devices, i);
        const GpClaim *held = gp_claims_find(claims, d->address);
        g_autofree char *driver = NULL;
        g_autofree char *status = NULL;
        g_autofree char *holder = held ? format_holder(held) : g_strdup("");
        GpPciAddr a;

        if (gp_pci_addr_parse(d->address, &a, NULL))
            driver = gp_vfio_current_driver(d->address);
        if (pool->type == GP_POOL_TYPE_PCI)
            status = pci_status(d, driver, held);
        else
            status = partition_status(pool, d);
        printf("%-13s %-14s %-14s %-30s %s\n", d->address, driver ? driver : "-",
               d->host_driver ? d->host_driver : "-", status, holder);
    }

    if (pool->type == GP_POOL_TYPE_PCI)
        return GP_EXIT_OK;
    all = gp_claims_all(claims);
    for (guint i = 0, shown = 0; i < all->len; i++) {
        const GpClaim *c = g_ptr_array_index(all, i);
        g_autofree char *holder = NULL;

        if (strcmp(c->pool, pool->name) != 0 || gp_pool_find_device(pool, c->device))
            continue;
        if (shown++ == 0)
            printf("\n%-36s %-13s %s\n", "PARTITION", "PARENT", "HELD BY");
        holder = format_holder(c);
        printf("%-36s %-13s %s\n", c->device, c->parent ? c->parent : "-", holder);
    }
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_info = {
    .name = "pool-info",
    .args = "NAME [--xml]",
    .summary = "Show a pool's devices, their drivers and the domains holding them",
    .run = run_pool_info,
};
