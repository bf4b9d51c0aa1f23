/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool partitions [DEVICE...]: the partitionable GPUs of this host, as
 * Get-VMHostPartitionableGpu shows them: valid partition counts, the
 * current count, total and available VRAM, and per profile the VRAM,
 * encoders, decoders and compute per partition (where the device tells
 * them) and how many more can be created. */
#include "config.h"

#include "base/sysfs.h"
#include "host/pcidev.h"
#include "state/poolstore.h"
#include "ledger/ledger.h"
#include "ops/partition.h"
#include "cli/cli.h"

#include <stdio.h>

static gboolean
is_listed_gpu(const char *address)
{
    g_autofree char *class_rel = gp_sysfs_pci_dev_path(address, "class");
    g_autofree char *physfn = gp_pci_physfn(address);
    guint64 klass = 0;

    if (physfn)
        return FALSE;  /* VFs are partitions, not partitionable GPUs */
    if (!gp_sysfs_read_u64(class_rel, &klass, NULL))
        return FALSE;
    return gp_pci_class_is_gpu((guint32)klass);
}

/* Every partitionable device: GPUs with a partitioning back end, and mdev
 * parents that are not PCI devices. */
static GPtrArray *
all_partitionable(void)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *pci_rel = gp_sysfs_pci_devices_path();
    g_autofree char *mdev_rel = gp_sysfs_class_path("mdev_bus");
    g_autoptr(GPtrArray) pci = gp_sysfs_list(pci_rel, NULL);
    g_autoptr(GPtrArray) parents = gp_sysfs_list(mdev_rel, NULL);

    for (guint i = 0; pci && i < pci->len; i++) {
        const char *addr = pci->pdata[i];

        if (is_listed_gpu(addr) && gp_backend_partitioner_for(addr, NULL))
            g_ptr_array_add(out, g_strdup(addr));
    }
    for (guint i = 0; parents && i < parents->len; i++) {
        const char *name = parents->pdata[i];

        if (!g_ptr_array_find_with_equal_func(out, name, g_str_equal, NULL))
            g_ptr_array_add(out, g_strdup(name));
    }
    return out;
}

static char *
mib(guint64 bytes)
{
    if (!bytes)
        return g_strdup("-");
    return g_strdup_printf("%" G_GUINT64_FORMAT " MiB", bytes >> 20);
}

static char *
num(guint n)
{
    return n ? g_strdup_printf("%u", n) : g_strdup("-");
}

static char *
model_of(const char *device)
{
    g_autofree char *v_rel = gp_sysfs_pci_dev_path(device, "vendor");
    g_autofree char *d_rel = gp_sysfs_pci_dev_path(device, "device");
    guint64 v = 0, d = 0;

    if (!gp_sysfs_read_u64(v_rel, &v, NULL) || !gp_sysfs_read_u64(d_rel, &d, NULL))
        return g_strdup("virtual mdev parent");
    return g_strdup_printf("%04x:%04x", (guint)v, (guint)d);
}

/* Partitions in use: for a pool's device, those its domains hold as the
 * ledger counts them (a back end may count partitions it set up but
 * nobody holds); otherwise what the device says exists. */
static guint
in_use(const GpPartInfo *info, const GpMemberCapacity *row)
{
    return row ? row->held : info->in_use;
}

/* The same for one profile: for a pool's device, its current profile's
 * partitions in use are those the domains hold. */
static guint
profile_in_use(const GpPartInfo *info, const GpPartProfile *p, const GpMemberCapacity *row)
{
    if (row && g_strcmp0(p->id, info->profile) == 0)
        return row->held;
    return p->in_use;
}

static void
print_text(const GpPartInfo *info, const char *pool_name, const GpPool *pool,
           const GpMemberCapacity *row)
{
    g_autofree char *model = model_of(info->device);
    g_autofree char *counts = gp_part_info_counts_text(info);
    g_autofree char *total = mib(info->vram_total);
    g_autofree char *free_vram = mib(info->vram_free);
    const GpBackendOps *ops = gp_backend_lookup(info->backend);

    printf("%s  %s  back end: %s (%s)\n", info->device, model, info->backend,
           ops ? ops->summary : "");
    printf("  valid partition counts: %s\n", *counts ? counts : "none (not partitionable)");
    if (info->kind == GP_PART_KIND_WHOLE)
        printf("  current partition count: none, the device is used whole (pci pools)\n");
    else if (info->count)
        printf("  current partition count: %u%s%s, %u in use\n", info->count,
               info->profile ? " of " : "", info->profile ? info->profile : "",
               in_use(info, row));
    else
        printf("  current partition count: none set, %u in use\n", in_use(info, row));
    printf("  VRAM: %s total, %s available\n", total, free_vram);
    if (pool_name) {
        if (pool && pool->type == GP_POOL_TYPE_MDEV)
            printf("  pool: %s, mdev type %s\n", pool_name,
                   pool->mdev_type ? pool->mdev_type : "(not set)");
        else if (pool && pool->type == GP_POOL_TYPE_VF)
            printf("  pool: %s, %u VFs%s%s\n", pool_name, pool->vf_count,
                   pool->vf_profile ? ", profile " : "",
                   pool->vf_profile ? pool->vf_profile : "");
        else
            printf("  pool: %s\n", pool_name);
        if (row)
            printf("  for the pool's domains: %u held, %u free\n", row->held, row->free);
    }
    if (info->profiles->len == 0)
        return;
    printf("  %-16s %-24s %10s %4s %4s %8s %5s %9s %6s\n", "PROFILE", "NAME", "VRAM", "ENC",
           "DEC", "COMPUTE", "MAX", "AVAILABLE", "IN USE");
    for (guint i = 0; i < info->profiles->len; i++) {
        const GpPartProfile *p = info->profiles->pdata[i];
        g_autofree char *vram = mib(p->vram);
        g_autofree char *enc = num(p->encoders);
        g_autofree char *dec = num(p->decoders);
        g_autofree char *comp = num(p->compute);
        g_autofree char *max = num(p->max_instances);

        printf("  %-16s %-24.24s %10s %4s %4s %8s %5s %9u %6u\n", p->id, p->name, vram, enc,
               dec, comp, max, p->available, profile_in_use(info, p, row));
    }
}

static void
attr_u(GString *out, const char *name, guint64 v)
{
    if (v)
        g_string_append_printf(out, " %s='%" G_GUINT64_FORMAT "'", name, v);
}

static void
attr_s(GString *out, const char *name, const char *v)
{
    g_autofree char *esc = NULL;

    if (!v)
        return;
    esc = g_markup_escape_text(v, -1);
    g_string_append_printf(out, " %s='%s'", name, esc);
}

static void
append_xml(GString *out, const GpPartInfo *info, const char *pool_name,
           const GpMemberCapacity *row)
{
    g_string_append(out, "  <device");
    attr_s(out, "name", info->device);
    attr_s(out, "backend", info->backend);
    attr_s(out, "kind", gp_part_kind_to_string(info->kind));
    g_string_append_printf(out, " count='%u' in-use='%u'", info->count, in_use(info, row));
    if (row)
        g_string_append_printf(out, " free='%u'", row->free);
    attr_s(out, "profile", info->profile);
    attr_u(out, "vram-total", info->vram_total);
    attr_u(out, "vram-free", info->vram_free);
    attr_s(out, "pool", pool_name);
    g_string_append(out, ">\n");
    for (guint i = 0; i < info->valid_counts->len; i++)
        g_string_append_printf(out, "    <valid-count value='%u'/>\n",
                               g_array_index(info->valid_counts, guint, i));
    for (guint i = 0; i < info->profiles->len; i++) {
        const GpPartProfile *p = info->profiles->pdata[i];

        g_string_append(out, "    <profile");
        attr_s(out, "id", p->id);
        attr_s(out, "name", p->name);
        attr_u(out, "vram", p->vram);
        attr_u(out, "encoders", p->encoders);
        attr_u(out, "decoders", p->decoders);
        attr_u(out, "compute", p->compute);
        attr_u(out, "max-instances", p->max_instances);
        g_string_append_printf(out, " available='%u' in-use='%u'", p->available,
                               profile_in_use(info, p, row));
        if (p->description) {
            g_autofree char *esc = g_markup_escape_text(p->description, -1);

            g_string_append_printf(out, ">\n      <description>%s</description>\n"
                                        "    </profile>\n", esc);
        } else {
            g_string_append(out, "/>\n");
        }
    }
    g_string_append(out, "  </device>\n");
}

/* DEVICE's row in the capacity of POOL_NAME, NULL if it is in no pool or
 * is a companion. */
static const GpMemberCapacity *
row_of(GpLedger *ledger, const char *pool_name, const char *device)
{
    const GpPoolCapacity *cap = pool_name ? gp_ledger_capacity(ledger, pool_name, NULL) : NULL;

    return cap ? gp_pool_capacity_row(cap, device) : NULL;
}

static int
run_partitions(int argc, char **argv)
{
    gboolean xml = FALSE;
    g_auto(GStrv) names = NULL;
    GOptionEntry entries[] = {
        { "xml", 0, 0, G_OPTION_ARG_NONE, &xml, "Print XML (xml/partitions.rng)", NULL },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &names, NULL, NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func((GDestroyNotify)gp_part_info_free);
    g_autoptr(GHashTable) pool_of = NULL;
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    GPtrArray *problems;

    if (!gp_cli_parse(&gp_cmd_partitions, entries, &argc, &argv))
        return GP_EXIT_USAGE;
    for (char **name = names; name && *name; name++) {
        char *canon = gp_partition_device_name(*name, &error);

        if (!canon)
            return gp_cli_fail(error);
        g_ptr_array_add(devices, canon);
    }
    if (devices->len == 0) {
        g_ptr_array_unref(devices);
        devices = all_partitionable();
    }
    pool_of = gp_poolstore_membership(&error);
    if (!pool_of)
        return gp_cli_fail(error);
    ledger = gp_ledger_open(GP_LEDGER_READ, &error);
    if (!ledger)
        return gp_cli_fail(error);
    for (guint i = 0; i < devices->len; i++) {
        GpPartInfo *info = gp_partition_describe(devices->pdata[i], &error);

        if (!info)
            return gp_cli_fail(error);
        g_ptr_array_add(infos, info);
    }
    /* A vendor module that did not load would silently leave its GPUs to
     * a generic back end: say so. */
    problems = gp_backend_problems();
    gp_cli_warn_lines(problems);

    if (xml) {
        g_string_append(out, "<partitions>\n");
        for (guint i = 0; i < infos->len; i++) {
            const GpPartInfo *info = infos->pdata[i];

            append_xml(out, info, g_hash_table_lookup(pool_of, info->device),
                       row_of(ledger, g_hash_table_lookup(pool_of, info->device),
                              info->device));
        }
        g_string_append(out, "</partitions>\n");
        fputs(out->str, stdout);
        return GP_EXIT_OK;
    }
    if (infos->len == 0) {
        printf("No partitionable GPUs: none offers mdev types or SR-IOV virtual functions "
               "(load the vendor's vGPU or SR-IOV driver; 'gpupool devices' shows them all).\n");
        return GP_EXIT_OK;
    }
    for (guint i = 0; i < infos->len; i++) {
        const GpPartInfo *info = infos->pdata[i];
        const char *pool_name = g_hash_table_lookup(pool_of, info->device);
        const GpPool *pool = pool_name ? gp_ledger_pool(ledger, pool_name, NULL) : NULL;

        if (i)
            printf("\n");
        print_text(info, pool_name, pool, row_of(ledger, pool_name, info->device));
    }
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_partitions = {
    .name = "partitions",
    .args = "[--xml] [DEVICE...]",
    .summary = "Show partitionable GPUs: valid partition counts, VRAM, profiles",
    .help = "For each partitionable GPU: valid partition counts, the current count,\n"
            "VRAM, and per profile its VRAM, engines and instances (maximum, available,\n"
            "in use; for a pool's GPU, in use is what the pool's domains hold).  DEVICE\n"
            "is a PCI address or an mdev parent's name as /sys/class/mdev_bus lists it\n"
            "(e.g. mbochs).\n"
            "\n"
            "Examples:\n"
            "  gpupool partitions\n"
            "  gpupool partitions 0000:3b:00.0 --xml\n"
            "\n"
            "Exit status: 0 on success, 1 when it cannot be shown, 2 for a mistake on\n"
            "the command line.",
    .run = run_partitions,
};
