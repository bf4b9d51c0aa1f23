/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool pool-info: one pool, its devices and who holds them. */
#include "config.h"

#include "base/pciaddr.h"
#include "host/vfio.h"
#include "ledger/ledger.h"
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

/* A member's status as the ledger counts it. */
static char *
member_status(const GpPool *pool, const GpPoolDevice *d, const GpMemberCapacity *row,
              const GpPoolCapacity *cap)
{
    if (d->companion_of)
        return g_strdup_printf("companion of %s", d->companion_of);
    if (!row)
        return g_strdup("-");
    switch (pool->type) {
    case GP_POOL_TYPE_PCI:
        /* The reason and its fix follow the table: too long for a column. */
        if (row->held)
            return g_strdup(row->quarantined ? "in use, quarantined" : "in use");
        if (row->quarantined)
            return g_strdup("quarantined");
        return g_strdup(row->problem ? row->problem : "free");
    case GP_POOL_TYPE_VF:
        if (row->problem && row->capacity == 0)
            return g_strdup(row->problem);
        return g_strdup_printf("%u VFs enabled, %u held, %u free", row->vfs, row->held,
                               row->free);
    case GP_POOL_TYPE_MDEV:
        if (!cap->known || (row->problem && row->held == 0))
            return g_strdup(row->problem ? row->problem : "no mdev type set");
        return g_strdup_printf("%u more %s can be created, %u held", row->free, pool->mdev_type,
                               row->held);
    }
    return g_strdup("-");
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
    g_autoptr(GpLedger) ledger = NULL;
    const GpPool *pool;
    const GpPoolCapacity *cap;
    GpClaims *claims;
    GPtrArray *all;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_pool_info, entries, &argc, &argv, 1,
                           "give exactly one pool NAME");
    if (rc != GP_EXIT_OK)
        return rc;
    if (!gp_pool_name_check(argv[1], &error))
        return gp_cli_fail(error);
    ledger = gp_ledger_open(GP_LEDGER_READ, &error);
    pool = ledger ? gp_ledger_pool(ledger, argv[1], &error) : NULL;
    if (!pool)
        return gp_cli_fail(error);
    if (xml) {
        g_autofree char *text = gp_pool_format_xml(pool);

        fputs(text, stdout);
        return GP_EXIT_OK;
    }
    cap = gp_ledger_capacity(ledger, pool->name, &error);
    if (!cap)
        return gp_cli_fail(error);
    claims = gp_ledger_claims(ledger);

    printf("Name:         %s\n", pool->name);
    printf("Type:         %s\n", gp_pool_type_to_string(pool->type));
    if (pool->description)
        printf("Description:  %s\n", pool->description);
    if (pool->type == GP_POOL_TYPE_MDEV)
        printf("mdev type:    %s\n", pool->mdev_type ? pool->mdev_type : "(not set)");
    if (pool->type == GP_POOL_TYPE_VF)
        printf("VFs per PF:   %u%s\n", pool->vf_count, pool->vf_count ? "" : " (left as is)");
    if (cap->known && cap->quarantined)
        printf("Usage:        %u in use, %u free, %u quarantined\n", cap->held, cap->free,
               cap->quarantined);
    else if (cap->known)
        printf("Usage:        %u in use, %u free\n", cap->held, cap->free);
    else
        printf("Usage:        %u in use\n", cap->held);
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
        status = member_status(pool, d, gp_pool_capacity_row(cap, d->address), cap);
        printf("%-13s %-14s %-14s %-30s %s\n", d->address, driver ? driver : "-",
               d->host_driver ? d->host_driver : "-", status, holder);
    }

    for (guint i = 0, shown = 0; i < cap->rows->len; i++) {
        const GpMemberCapacity *row = cap->rows->pdata[i];

        if (!row->quarantined)
            continue;
        if (shown++ == 0)
            printf("\n");
        printf("%s: %s\n", row->address, row->problem);
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
    .help = "Shows the pool's settings, how many units are in use and free, and per\n"
            "device its driver, the driver it had before, its status and who holds it.\n"
            "A device, PF or PCI mdev parent that broke or vanished (config space\n"
            "all-ones, gone from the bus; for whole devices also no reset method) is\n"
            "'quarantined': nothing of it is handed out, it is counted apart, and\n"
            "listed after the table with the reason and the fix.\n"
            "\n"
            "Examples:\n"
            "  gpupool pool-info gpus\n"
            "  gpupool pool-info gpus --xml > gpus.xml\n"
            "\n"
            "Exit status: 0 on success, 1 when it cannot be shown, 2 for a mistake on\n"
            "the command line.",
    .run = run_pool_info,
};
