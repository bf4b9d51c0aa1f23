/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "ops/partition.h"

#include "base/pciaddr.h"
#include "base/sysfs.h"
#include "host/pcidev.h"
#include "host/sriov.h"
#include "state/poolstore.h"

#include <string.h>

G_DEFINE_QUARK(gp-partition-error-quark, gp_partition_error)

/* ---- Describing and resolving ------------------------------------------- */

char *
gp_partition_device_name(const char *name, GError **error)
{
    g_autofree char *rel = NULL;
    g_autoptr(GError) err = NULL;
    char *canon = gp_pci_addr_canonical(name, &err);

    if (canon)
        return canon;
    if (strlen(name) <= 64 && !strchr(name, '/') && name[0] != '.') {
        rel = gp_sysfs_mdev_parent_path(name, NULL);
        if (gp_sysfs_exists(rel))
            return g_strdup(name);
    }
    g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_INVALID,
                "'%.64s' is neither a PCI address (DDDD:BB:SS.F) nor an mdev parent of this "
                "host: see 'gpupool partitions'", name);
    return NULL;
}

GpPartInfo *
gp_partition_describe(const char *device, GError **error)
{
    g_autoptr(GpPartInfo) info = gp_part_info_new(device);
    const GpBackendOps *ops = gp_backend_partitioner_for(device, NULL);

    if (!ops)
        ops = gp_backend_for(device, error);
    if (!ops)
        return NULL;
    if (!ops->describe(device, info, error))
        return NULL;
    info->backend = ops->name;
    return g_steal_pointer(&info);
}

static char *
profiles_text(const GpPartInfo *info)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < info->profiles->len && i < 12; i++) {
        const GpPartProfile *p = info->profiles->pdata[i];

        g_string_append_printf(s, "%s%s", i ? ", " : "", p->id);
    }
    if (info->profiles->len > 12)
        g_string_append_printf(s, " and %u more", info->profiles->len - 12);
    return g_string_free(s, FALSE);
}

gboolean
gp_partition_resolve(const GpPartInfo *info, guint count, const char *profile,
                     guint *count_out, char **profile_out, GError **error)
{
    g_autofree char *counts = gp_part_info_counts_text(info);
    const GpPartProfile *best = NULL;

    if (info->kind == GP_PART_KIND_WHOLE || info->valid_counts->len == 0) {
        g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                    "%s cannot be partitioned: it offers neither mdev types nor SR-IOV "
                    "virtual functions (use it whole in a pci pool)", info->device);
        return FALSE;
    }
    if (profile) {
        g_autofree char *known = profiles_text(info);

        best = gp_part_info_find_profile(info, profile);
        if (!best) {
            /* A device may list its profiles only once it is set up
             * (NVIDIA's VFs carry the vGPU type tables): its back end
             * checks the profile when it configures. */
            if (info->profiles->len == 0) {
                *count_out = count;
                *profile_out = g_strdup(profile);
                return TRUE;
            }
            g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_INVALID,
                            "%s does not offer profile '%s': choose one of %s",
                            info->device, profile, known);
            return FALSE;
        }
        if (count && best->max_instances && count != best->max_instances) {
            g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_INVALID,
                        "%s: profile '%s' (%s) gives %u partitions, not %u: "
                        "give only --profile, or a --count it gives",
                        info->device, best->id, best->name, best->max_instances, count);
            return FALSE;
        }
        *count_out = best->max_instances ? best->max_instances : count;
        *profile_out = g_strdup(best->id);
        return TRUE;
    }
    if (!gp_part_info_has_count(info, count)) {
        g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_INVALID,
                    "%s cannot be split into %u partitions: it offers %s",
                    info->device, count, counts);
        return FALSE;
    }
    for (guint i = 0; i < info->profiles->len; i++) {
        const GpPartProfile *p = info->profiles->pdata[i];

        if (p->max_instances != count)
            continue;
        if (!best || p->vram > best->vram)
            best = p;
    }
    *count_out = count;
    *profile_out = best ? g_strdup(best->id) : NULL;
    return TRUE;
}

/* ---- Who holds what ----------------------------------------------------- */

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static char *
join(GPtrArray *names)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (const char *)names->pdata[i]);
    return g_string_free(s, FALSE);
}

/* ---- partition-set ------------------------------------------------------ */

/* One device partition-set changes, and how it was, to put it back. */
typedef struct {
    char *device;
    const GpBackendOps *ops;
    guint prev_count;
    char *prev_profile;
    GPtrArray *holders;   /* domain names holding its partitions */
} Target;

static void
target_free(Target *t)
{
    g_free(t->device);
    g_free(t->prev_profile);
    g_clear_pointer(&t->holders, g_ptr_array_unref);
    g_free(t);
}

static gboolean
kind_fits_pool(const GpPool *pool, GpPartKind kind)
{
    return (pool->type == GP_POOL_TYPE_MDEV && kind == GP_PART_KIND_MDEV) ||
           (pool->type == GP_POOL_TYPE_VF && kind == GP_PART_KIND_VF);
}

static gboolean
refuse_in_use(GError **error, const char *device, GPtrArray *holders)
{
    g_autofree char *who = join(holders);

    g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_IN_USE,
                "%s has partitions in use by %s: stop %s first", device, who,
                holders->len > 1 ? "them" : "it");
    return FALSE;
}

static void
record_in_pool(GpPool *pool, const char *device, guint count, const char *profile)
{
    if (pool->type == GP_POOL_TYPE_MDEV) {
        g_free(pool->mdev_type);
        pool->mdev_type = g_strdup(profile);
    } else {
        g_autofree char *rel = gp_sysfs_pci_dev_path(device, "sriov_numvfs");
        guint64 numvfs = count;

        /* What the device really has now: a vendor back end may enable
         * every VF and partition by profile. */
        gp_sysfs_read_u64(rel, &numvfs, NULL);
        pool->vf_count = (guint)numvfs;
        g_free(pool->vf_profile);
        pool->vf_profile = g_strdup(profile);
        /* Measured now, on a device nobody uses: once partitions run, a
         * vendor may only tell whether one more fits. */
        pool->vf_per_device = profile ? count : 0;
    }
}

/* DEVICE's pool (NULL: none) may be partitioned, and holds the per-domain
 * setting if one is given. */
static gboolean
check_pool_of_device(const char *device, const GpPool *pool, guint per_domain, GError **error)
{
    if (pool && pool->type == GP_POOL_TYPE_PCI) {
        g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                    "%s is in pci pool '%s', which hands it out whole: a device cannot be "
                    "both whole and partitioned (run 'gpupool pool-remove %s %s' first)",
                    device, pool->name, pool->name, device);
        return FALSE;
    }
    if (per_domain && !pool) {
        g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                    "%s is in no pool, and partitions per domain are a pool's setting: "
                    "add it to an mdev or vf pool first ('gpupool pool-add')", device);
        return FALSE;
    }
    return TRUE;
}

/* Only the pool's per-domain limit changes: nothing on the host. */
static gboolean
set_per_domain(GpPool *pool, guint per_domain, GPtrArray *done, GError **error)
{
    pool->per_domain = per_domain;
    if (!gp_poolstore_save(pool, error))
        return FALSE;
    if (done)
        g_ptr_array_add(done, g_strdup_printf("pool '%s': a domain may hold %u "
                                              "partition%s", pool->name, per_domain,
                                              per_domain == 1 ? "" : "s"));
    return TRUE;
}

/* What COUNT and PROFILE mean on device ADDR (*C, *P), and how it is now;
 * refuses a device its pool cannot partition. */
static Target *
plan_target(GpLedger *ledger, const GpPool *pool, const char *addr, guint count,
            const char *profile, guint *c, char **p, GError **error)
{
    g_autoptr(GpPartInfo) info = NULL;
    g_autoptr(GPtrArray) holders = NULL;
    g_autoptr(GError) err = NULL;
    Target *t;

    /* A device whose partitions are all given out may not describe
     * itself as partitionable any more: its holders are the reason. */
    holders = gp_ledger_holders(ledger, addr);
    info = gp_partition_describe(addr, &err);
    if (!info && holders->len > 0) {
        refuse_in_use(error, addr, holders);
        return NULL;
    }
    if (!info) {
        g_propagate_error(error, g_steal_pointer(&err));
        return NULL;
    }
    if (pool && !kind_fits_pool(pool, info->kind)) {
        g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                    "%s of %s pool '%s' is partitioned by the %s back end (%s): "
                    "put it in a %s pool", addr, gp_pool_type_to_string(pool->type),
                    pool->name, info->backend, gp_part_kind_to_string(info->kind),
                    gp_part_kind_to_string(info->kind));
        return NULL;
    }
    if (!gp_partition_resolve(info, count, profile, c, p, error))
        return NULL;
    t = g_new0(Target, 1);
    t->device = g_strdup(addr);
    t->ops = gp_backend_partitioner_for(addr, NULL);
    t->prev_count = info->count;
    t->prev_profile = g_strdup(info->profile);
    t->holders = g_steal_pointer(&holders);
    return t;
}

/* Decides for DEVICE, or every device of its POOL, into TARGETS, changing
 * nothing: all must agree on *CHOSEN_COUNT and *CHOSEN_PROFILE, and none
 * may have partitions in use that the change would take away. */
static gboolean
plan_targets(GpLedger *ledger, const GpPool *pool, const char *device, guint count,
             const char *profile, GPtrArray *targets, guint *chosen_count,
             char **chosen_profile, GError **error)
{
    for (guint i = 0; i < (pool ? pool->devices->len : 1); i++) {
        const char *addr = pool ? ((GpPoolDevice *)pool->devices->pdata[i])->address : device;
        g_autofree char *p = NULL;
        guint c = 0;
        Target *t = plan_target(ledger, pool, addr, count, profile, &c, &p, error);

        if (!t)
            return FALSE;
        g_ptr_array_add(targets, t);
        if (i == 0) {
            *chosen_count = c;
            *chosen_profile = g_strdup(p);
        } else if (c != *chosen_count || g_strcmp0(p, *chosen_profile) != 0) {
            g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                        "pool '%s' would be mixed: %s gets %u partitions of %s but %s "
                        "gets %u of %s; run 'gpupool pool-check %s' and keep alike GPUs "
                        "in one pool", pool->name,
                        ((GpPoolDevice *)pool->devices->pdata[0])->address, *chosen_count,
                        *chosen_profile ? *chosen_profile : "(no profile)", addr, c,
                        p ? p : "(no profile)", pool->name);
            return FALSE;
        }
        if (t->holders->len > 0 &&
            (t->prev_count != c || g_strcmp0(t->prev_profile, p) != 0))
            return refuse_in_use(error, addr, t->holders);
    }
    return TRUE;
}

/* Configures every target, all or nothing: on a failure the devices
 * already changed are put back as they were.  *COUNT becomes the
 * profile's count where only the device can tell it. */
static gboolean
apply_targets(GPtrArray *targets, guint *count, const char *profile, GPtrArray *done,
              GError **error)
{
    g_autoptr(GError) err = NULL;
    guint applied;

    for (applied = 0; applied < targets->len; applied++) {
        Target *t = targets->pdata[applied];

        if (!t->ops->configure(t->device, *count, profile, &err))
            break;
        if (*count == 0 && profile) {
            /* The profile's partition count is known once the device is
             * set up. */
            g_autoptr(GpPartInfo) now = gp_partition_describe(t->device, NULL);
            GpPartProfile *p = now ? gp_part_info_find_profile(now, profile) : NULL;

            if (p)
                *count = p->max_instances;
        }
        if (done)
            g_ptr_array_add(done, g_strdup_printf("%s: %u partitions%s%s (%s)", t->device,
                                                  *count, profile ? " of " : "",
                                                  profile ? profile : "", t->ops->name));
    }
    if (!err)
        return TRUE;
    for (guint i = 0; i < applied; i++) {
        Target *t = targets->pdata[i];

        if (t->prev_count)
            t->ops->configure(t->device, t->prev_count, t->prev_profile, NULL);
    }
    g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_FAILED,
                "%s (the devices of the pool were put back as they were)", err->message);
    return FALSE;
}

/* The setting goes into the pool, so that `gpupool setup` applies it at
 * boot; a device in no pool gets a note that nothing will. */
static gboolean
record_setting(GpPool *pool, const char *device, guint count, const char *profile,
               guint per_domain, GPtrArray *targets, GPtrArray *done, GError **error)
{
    if (!pool) {
        if (done)
            g_ptr_array_add(done, g_strdup_printf("%s is in no pool, so nothing re-applies "
                                                  "this at boot: add it to an %s pool", device,
                                                  targets->len && ((Target *)targets->pdata[0])
                                                      ->ops->kind == GP_PART_KIND_MDEV
                                                      ? "mdev" : "vf"));
        return TRUE;
    }
    record_in_pool(pool, device, count, profile);
    if (per_domain)
        pool->per_domain = per_domain;
    if (!gp_poolstore_save(pool, error))
        return FALSE;
    if (done)
        g_ptr_array_add(done, g_strdup_printf("pool '%s' records it; 'gpupool setup' "
                                              "applies it at boot", pool->name));
    return TRUE;
}

gboolean
gp_partition_set(const char *device, guint count, const char *profile, guint per_domain,
                 GPtrArray *done, GError **error)
{
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func((GDestroyNotify)target_free);
    g_autofree char *chosen_profile = NULL;
    guint chosen_count = 0;
    g_autoptr(GError) err = NULL;

    ledger = gp_ledger_open(GP_LEDGER_WRITE, error);
    if (!ledger)
        return FALSE;
    pool = gp_poolstore_find_pool_of_device(device, &err);
    if (err) {
        g_propagate_error(error, g_steal_pointer(&err));
        return FALSE;
    }
    if (!check_pool_of_device(device, pool, per_domain, error))
        return FALSE;
    if (count == 0 && !profile)
        return set_per_domain(pool, per_domain, done, error);
    if (!plan_targets(ledger, pool, device, count, profile, targets, &chosen_count,
                      &chosen_profile, error))
        return FALSE;
    if (!apply_targets(targets, &chosen_count, chosen_profile, done, error))
        return FALSE;
    return record_setting(pool, device, chosen_count, chosen_profile, per_domain, targets,
                          done, error);
}

gboolean
gp_partition_setup_member(const GpPool *pool, const char *device, GError **error)
{
    const GpBackendOps *ops;
    g_autoptr(GpPartInfo) info = NULL;

    if (pool->type == GP_POOL_TYPE_PCI)
        return TRUE;
    if (pool->type == GP_POOL_TYPE_MDEV && !pool->mdev_type)
        return TRUE;
    if (pool->type == GP_POOL_TYPE_VF && pool->vf_count == 0 && !pool->vf_profile)
        return TRUE;
    ops = gp_backend_partitioner_for(device, error);
    if (!ops)
        return FALSE;
    if (pool->type == GP_POOL_TYPE_MDEV)
        return ops->configure(device, 0, pool->mdev_type, error);
    /* A vendor back end chooses the VF count from the profile. */
    return ops->configure(device, pool->vf_profile ? 0 : pool->vf_count, pool->vf_profile,
                          error);
}

/* ---- pool-check --------------------------------------------------------- */

static guint64
pci_u64(const char *device, const char *attr)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(device, attr);
    guint64 v = 0;

    gp_sysfs_read_u64(rel, &v, NULL);
    return v;
}

static gboolean
is_pci_device(const char *device)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(device, NULL);

    return gp_sysfs_is_dir(rel);
}

static guint
mdev_count(const char *parent)
{
    g_autofree char *rel = gp_sysfs_mdev_parent_path(parent, NULL);
    g_autoptr(GPtrArray) names = gp_sysfs_list(rel, NULL);
    guint n = 0;

    for (guint i = 0; names && i < names->len; i++) {
        const char *name = names->pdata[i];

        if (strlen(name) == 36 && name[8] == '-' && name[13] == '-')
            n++;
    }
    return n;
}

static char *
describe_config(const GpPartInfo *info)
{
    if (!info->count)
        return g_strdup("not partitioned");
    return g_strdup_printf("%u partitions%s%s", info->count, info->profile ? " of " : "",
                           info->profile ? info->profile : "");
}

/* A pci pool member with VFs or mdevs is whole and partitioned at once. */
static void
check_whole_member(const GpPool *pool, const GpPoolDevice *d, gboolean pci, GPtrArray *errors)
{
    guint vfs = pci ? (guint)pci_u64(d->address, "sriov_numvfs") : 0;
    guint mdevs = mdev_count(d->address);

    if (vfs || mdevs)
        g_ptr_array_add(errors, g_strdup_printf(
            "pool '%s': %s is handed out whole but has %u %s: a device cannot be "
            "both whole and partitioned (disable them, or move it to a %s pool)",
            pool->name, d->address, vfs ? vfs : mdevs,
            vfs ? "VFs enabled" : "mdevs", vfs ? "vf" : "mdev"));
}

/* A partition pool's member: none of its VFs handed out whole, in no
 * other pool, and partitioned the way the pool says. */
static void
check_partition_member(const GpPool *pool, const GpPoolDevice *d, const GpPartInfo *info,
                       GHashTable *membership, GPtrArray *errors)
{
    g_autoptr(GPtrArray) vfs = gp_sriov_vfs(d->address);
    const char *in_pool = g_hash_table_lookup(membership, d->address);

    for (guint j = 0; vfs && j < vfs->len; j++) {
        const char *other = g_hash_table_lookup(membership, vfs->pdata[j]);

        if (other)
            g_ptr_array_add(errors, g_strdup_printf(
                "pool '%s': VF %s of %s is also in pool '%s': a device cannot be "
                "both whole and partitioned (run 'gpupool pool-remove %s %s')",
                pool->name, (const char *)vfs->pdata[j], d->address, other, other,
                (const char *)vfs->pdata[j]));
    }
    if (in_pool && strcmp(in_pool, pool->name) != 0)
        g_ptr_array_add(errors, g_strdup_printf("pool '%s': %s is also in pool '%s'",
                                                pool->name, d->address, in_pool));
    if (!kind_fits_pool(pool, info->kind))
        g_ptr_array_add(errors, g_strdup_printf(
            "pool '%s': %s offers no %s partitions (its back end is %s): "
            "remove it from the pool", pool->name, d->address,
            gp_pool_type_to_string(pool->type), info->backend));
    if (pool->type == GP_POOL_TYPE_MDEV && pool->mdev_type &&
        !gp_part_info_find_profile(info, pool->mdev_type))
        g_ptr_array_add(errors, g_strdup_printf(
            "pool '%s': %s does not offer the pool's mdev type %s: check its "
            "vGPU driver, or remove it from the pool", pool->name, d->address,
            pool->mdev_type));
    if (pool->type == GP_POOL_TYPE_VF && pool->vf_count &&
        pci_u64(d->address, "sriov_numvfs") != pool->vf_count)
        g_ptr_array_add(errors, g_strdup_printf(
            "pool '%s': %s has %u VFs enabled, the pool wants %u: run 'gpupool "
            "setup'", pool->name, d->address,
            (guint)pci_u64(d->address, "sriov_numvfs"), pool->vf_count));
}

/* What pool-check compares across a pool's devices. */
typedef struct {
    const char *address;
    guint64 vendor;
    guint64 device;
    guint64 vram;
    const char *config;
} Model;

/* Homogeneity: device M against the pool's first device FIRST. */
static void
check_same_model(const GpPool *pool, const Model *first, const Model *m, GPtrArray *errors)
{
    if (m->vendor != first->vendor)
        g_ptr_array_add(errors, g_strdup_printf(
            "pool '%s' mixes vendors: %s is %04" G_GINT64_MODIFIER "x, %s is %04"
            G_GINT64_MODIFIER "x; keep one vendor per pool", pool->name, first->address,
            first->vendor, m->address, m->vendor));
    else if (m->device != first->device)
        g_ptr_array_add(errors, g_strdup_printf(
            "pool '%s' mixes models: %s is %04" G_GINT64_MODIFIER "x:%04" G_GINT64_MODIFIER
            "x, %s is %04" G_GINT64_MODIFIER "x:%04" G_GINT64_MODIFIER "x; keep one "
            "model per pool", pool->name, first->address, first->vendor, first->device,
            m->address, m->vendor, m->device));
    if (first->vram && m->vram && first->vram != m->vram)
        g_ptr_array_add(errors, g_strdup_printf(
            "pool '%s' mixes VRAM sizes: %s has %" G_GUINT64_FORMAT " MiB, %s %"
            G_GUINT64_FORMAT " MiB", pool->name, first->address, first->vram >> 20,
            m->address, m->vram >> 20));
    if (pool->type != GP_POOL_TYPE_PCI && strcmp(m->config, first->config) != 0)
        g_ptr_array_add(errors, g_strdup_printf(
            "pool '%s' mixes partition configurations: %s is %s, %s is %s; run "
            "'gpupool partition-set %s --count N' to set them alike", pool->name,
            first->address, first->config, m->address, m->config, first->address));
}

/* A partial selection: devices of the same model on this host that no
 * pool lists.  Windows Admin Center warns about it too: such a GPU is
 * idle, or used by the host. */
static void
warn_partial_selection(const GpPool *pool, const Model *model, GHashTable *membership,
                       GPtrArray *warnings)
{
    g_autofree char *rel = gp_sysfs_pci_devices_path();
    g_autoptr(GPtrArray) all = gp_sysfs_list(rel, NULL);
    g_autoptr(GPtrArray) left = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *list = NULL;

    for (guint i = 0; all && i < all->len; i++) {
        const char *addr = all->pdata[i];
        g_autofree char *pf = NULL;

        if (pci_u64(addr, "vendor") != model->vendor ||
            pci_u64(addr, "device") != model->device ||
            g_hash_table_contains(membership, addr))
            continue;
        /* VFs of a member have the model's IDs on some GPUs. */
        pf = gp_pci_physfn(addr);
        if (pf)
            continue;
        g_ptr_array_add(left, g_strdup(addr));
    }
    if (!left->len)
        return;
    list = join(left);
    g_ptr_array_add(warnings, g_strdup_printf(
        "pool '%s' is a partial selection: %s of the same model %s in no pool; "
        "add %s with 'gpupool pool-add %s ...' to use %s", pool->name, list,
        left->len > 1 ? "are" : "is", left->len > 1 ? "them" : "it", pool->name,
        left->len > 1 ? "them" : "it"));
}

gboolean
gp_partition_check_pool(const GpPool *pool, GPtrArray *warnings, GPtrArray *errors)
{
    g_autoptr(GHashTable) membership = NULL;
    g_autoptr(GError) err = NULL;
    Model first = { 0 };
    g_autofree char *config0 = NULL;
    guint n_errors = errors->len;

    membership = gp_poolstore_membership(&err);
    if (!membership) {
        g_ptr_array_add(errors, g_strdup_printf("pool '%s': %s", pool->name, err->message));
        return FALSE;
    }
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *d = pool->devices->pdata[i];
        g_autoptr(GpPartInfo) info = NULL;
        g_autofree char *config = NULL;
        gboolean pci = is_pci_device(d->address);
        Model m = { d->address, pci ? pci_u64(d->address, "vendor") : 0,
                    pci ? pci_u64(d->address, "device") : 0, 0, NULL };

        if (d->companion_of)
            continue;
        if (!pci && pool->type != GP_POOL_TYPE_MDEV) {
            g_ptr_array_add(errors, g_strdup_printf("pool '%s': %s does not exist on this host: "
                                                    "run 'gpupool pool-remove %s %s'",
                                                    pool->name, d->address, pool->name,
                                                    d->address));
            continue;
        }
        g_clear_error(&err);
        info = gp_partition_describe(d->address, &err);
        if (!info) {
            g_ptr_array_add(errors, g_strdup_printf("pool '%s': %s", pool->name, err->message));
            continue;
        }
        if (pool->type == GP_POOL_TYPE_PCI)
            check_whole_member(pool, d, pci, errors);
        else
            check_partition_member(pool, d, info, membership, errors);
        config = describe_config(info);
        m.vram = info->vram_total;
        m.config = config;
        if (first.address) {
            check_same_model(pool, &first, &m, errors);
            continue;
        }
        config0 = g_steal_pointer(&config);
        first = m;
        first.config = config0;
    }
    if (first.address && first.vendor && warnings)
        warn_partial_selection(pool, &first, membership, warnings);
    return errors->len == n_errors;
}

/* ---- Lifecycle ---------------------------------------------------------- */

/* "; 0000:3b:00.0 has 1 mdev of type nvidia-223 (vm9)": what takes a
 * pool's parents besides the pool's own type, for the exhaustion error.
 * A homogeneous vGPU parent (NVIDIA before SR-IOV) offers no other type
 * at all once one has an instance. */
static char *
other_types_text(GpLedger *ledger, const GpPool *pool)
{
    g_autoptr(GString) s = g_string_new(NULL);
    GPtrArray *all = gp_claims_all(gp_ledger_claims(ledger));

    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *d = pool->devices->pdata[i];
        g_autoptr(GpPartInfo) info = gp_part_info_new(d->address);

        if (!gp_backend_lookup("mdev")->describe(d->address, info, NULL))
            continue;
        for (guint j = 0; j < info->profiles->len; j++) {
            const GpPartProfile *p = info->profiles->pdata[j];
            g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
            g_autofree char *who = NULL;

            if (!p->in_use || g_strcmp0(p->id, pool->mdev_type) == 0)
                continue;
            for (guint k = 0; k < all->len; k++) {
                const GpClaim *c = all->pdata[k];

                if (g_strcmp0(c->parent, d->address) == 0 &&
                    g_strcmp0(c->pool, pool->name) != 0 &&
                    !g_ptr_array_find_with_equal_func(names, c->domain_name, g_str_equal, NULL))
                    g_ptr_array_add(names, g_strdup(c->domain_name));
            }
            who = join(names);
            g_string_append_printf(s, "; %s has %u mdev%s of type %s%s%s%s", d->address,
                                   p->in_use, p->in_use == 1 ? "" : "s", p->id,
                                   names->len ? " (" : "", names->len ? who : "",
                                   names->len ? ")" : "");
        }
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* "vm1, vm2": the domains other than DOM_UUID holding units of POOL, as
 * the ledger counts them; NULL if none. */
static char *
other_holders(GpLedger *ledger, const GpPool *pool, const char *dom_uuid)
{
    GPtrArray *all = gp_claims_all(gp_ledger_claims(ledger));
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        if (g_strcmp0(c->pool, pool->name) == 0 &&
            g_ascii_strcasecmp(c->domain_uuid, dom_uuid) != 0 &&
            !g_ptr_array_find_with_equal_func(names, c->domain_name, g_str_equal, NULL))
            g_ptr_array_add(names, g_strdup(c->domain_name));
    }
    g_ptr_array_sort(names, compare_strings);
    return names->len ? join(names) : NULL;
}

/* Adds parent ROW to the list of those asked for room, marked when the
 * ledger quarantines it (its problem says why). */
static void
append_tried(GString *tried, const GpMemberCapacity *row)
{
    g_string_append_printf(tried, "%s%s%s", tried->len ? ", " : "", row->address,
                           row->quarantined ? " quarantined" : "");
}

/* The refusal when no parent of mdev pool POOL has room: TRIED lists the
 * parents that were asked. */
static gboolean
mdev_exhausted(GpLedger *ledger, const GpPool *pool, const char *dom_uuid, const char *tried,
               GError **error)
{
    g_autofree char *who = other_holders(ledger, pool, dom_uuid);
    g_autofree char *others = other_types_text(ledger, pool);

    g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_EXHAUSTED,
                "pool '%s' is exhausted: no device (%s) has room for another %s%s%s%s; "
                "stop one of them, or add a device to the pool", pool->name,
                *tried ? tried : "none usable", pool->mdev_type,
                who ? ", held by " : "", who ? who : "", others);
    return FALSE;
}

static gboolean
check_mdev_type(const GpPool *pool, GError **error)
{
    if (pool->mdev_type)
        return TRUE;
    g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                "mdev pool '%s' has no mdev type: run 'gpupool partition-set DEVICE "
                "--profile TYPE' for one of its devices", pool->name);
    return FALSE;
}

/* The member parent mdev UUID exists on as the pool's type, or NULL. */
static const char *
mdev_home(const GpPool *pool, const char *uuid)
{
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *d = pool->devices->pdata[i];
        g_autoptr(GpPartition) part = gp_partition_new(GP_PART_KIND_MDEV, NULL);

        part->uuid = g_strdup(uuid);
        if (gp_backend_lookup("mdev")->prepare(d->address, pool->mdev_type, part, NULL))
            return d->address;
    }
    return NULL;
}

static gboolean
refuse_foreign_mdev(const GpPool *pool, const char *uuid, GError **error)
{
    g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                "mdev %s exists, but not as type %s on a device of pool '%s': remove "
                "it ('echo 1 > /sys/bus/mdev/devices/%s/remove') and start again",
                uuid, pool->mdev_type, pool->name, uuid);
    return FALSE;
}

/* The members an mdev of POOL could be made on: those the mdev back end
 * partitions. */
static gboolean
is_mdev_parent(const char *address)
{
    const GpBackendOps *ops = gp_backend_partitioner_for(address, NULL);

    return ops && ops->kind == GP_PART_KIND_MDEV;
}

char *
gp_partition_mdev_room(GpLedger *ledger, const GpPool *pool, const char *uuid,
                       const char *dom_uuid, guint taken, GError **error)
{
    g_autofree char *dev_rel = NULL;
    g_autoptr(GString) tried = g_string_new(NULL);
    const GpPoolCapacity *cap;
    const char *home;

    if (!check_mdev_type(pool, error))
        return NULL;
    dev_rel = gp_sysfs_mdev_dev_path(uuid, NULL);
    if (gp_sysfs_is_dir(dev_rel)) {
        home = mdev_home(pool, uuid);
        if (!home)
            refuse_foreign_mdev(pool, uuid, error);
        return g_strdup(home);
    }
    cap = gp_ledger_capacity(ledger, pool->name, error);
    if (!cap)
        return NULL;
    for (guint i = 0; i < cap->rows->len; i++) {
        const GpMemberCapacity *row = cap->rows->pdata[i];

        if (!row->quarantined && !is_mdev_parent(row->address))
            continue;
        /* TAKEN: what this start already planned on the pool's parents. */
        if (row->free > taken)
            return g_strdup(row->address);
        taken -= MIN(taken, row->free);
        append_tried(tried, row);
    }
    mdev_exhausted(ledger, pool, dom_uuid, tried->str, error);
    return NULL;
}

gboolean
gp_partition_prepare_mdev(GpLedger *ledger, const GpPool *pool, const char *uuid,
                          const char *dom_uuid, gboolean *created, GError **error)
{
    g_autofree char *dev_rel = gp_sysfs_mdev_dev_path(uuid, NULL);
    g_autoptr(GString) tried = g_string_new(NULL);
    const GpPoolCapacity *cap;

    *created = FALSE;
    if (!check_mdev_type(pool, error))
        return FALSE;
    /* Existing already (a start that failed after prepare, a host driver
     * that kept it): fine when it is on a member parent. */
    if (gp_sysfs_is_dir(dev_rel))
        return mdev_home(pool, uuid) ? TRUE : refuse_foreign_mdev(pool, uuid, error);
    /* The ledger tells which parents are quarantined: none is made there. */
    cap = gp_ledger_capacity(ledger, pool->name, error);
    if (!cap)
        return FALSE;
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *d = pool->devices->pdata[i];
        const GpMemberCapacity *row = gp_pool_capacity_row(cap, d->address);
        const GpBackendOps *ops = NULL;
        g_autoptr(GpPartition) part = gp_partition_new(GP_PART_KIND_MDEV, NULL);
        g_autoptr(GError) err = NULL;

        if (row && row->quarantined) {
            append_tried(tried, row);
            continue;
        }
        ops = gp_backend_partitioner_for(d->address, NULL);
        if (!ops || ops->kind != GP_PART_KIND_MDEV)
            continue;
        part->uuid = g_strdup(uuid);
        if (ops->prepare(d->address, pool->mdev_type, part, &err)) {
            *created = TRUE;
            return TRUE;
        }
        if (!g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_NO_CAPACITY)) {
            g_propagate_error(error, g_steal_pointer(&err));
            return FALSE;
        }
        g_string_append_printf(tried, "%s%s", tried->len ? ", " : "", d->address);
    }
    return mdev_exhausted(ledger, pool, dom_uuid, tried->str, error);
}

static gboolean
vf_exhausted(GpLedger *ledger, const GpPool *pool, const char *pf, const char *dom_uuid,
             GError **error)
{
    g_autofree char *who = other_holders(ledger, pool, dom_uuid);

    g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_EXHAUSTED,
                "pool '%s' is exhausted: %s has no room for another %s partition%s%s; "
                "stop one of them, or add a device to the pool", pool->name, pf,
                pool->vf_profile ? pool->vf_profile : "", who ? ", held by " : "",
                who ? who : "");
    return FALSE;
}

gboolean
gp_partition_prepare_vf(GpLedger *ledger, const GpPool *pool, const char *address,
                        const char *dom_uuid, GError **error)
{
    g_autofree char *pf = gp_pci_physfn(address);
    g_autoptr(GpPartition) part = gp_partition_new(GP_PART_KIND_VF, pf);
    g_autoptr(GError) err = NULL;
    const GpBackendOps *ops;

    if (!pf) {
        g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                    "%s of pool '%s' is not a virtual function: run 'gpupool rebalance'",
                    address, pool->name);
        return FALSE;
    }
    ops = gp_backend_partitioner_for(pf, error);
    if (!ops)
        return FALSE;
    part->address = g_strdup(address);
    if (ops->prepare(pf, pool->vf_profile, part, &err))
        return TRUE;
    /* More VFs than the profile has room for: the pool is full. */
    if (g_error_matches(err, GP_BACKEND_ERROR, GP_BACKEND_ERROR_NO_CAPACITY))
        return vf_exhausted(ledger, pool, pf, dom_uuid, error);
    g_propagate_error(error, g_steal_pointer(&err));
    return FALSE;
}

gboolean
gp_partition_vf_room(GpLedger *ledger, const GpPool *pool, const char *address,
                     const char *dom_uuid, GError **error)
{
    g_autofree char *pf = gp_pci_physfn(address);
    const GpPoolCapacity *cap;
    const GpMemberCapacity *row;
    const GpClaim *held;

    if (!pool->vf_profile)
        return TRUE;
    if (!pf) {
        g_set_error(error, GP_PARTITION_ERROR, GP_PARTITION_ERROR_REFUSED,
                    "%s of pool '%s' is not a virtual function: run 'gpupool rebalance'",
                    address, pool->name);
        return FALSE;
    }
    cap = gp_ledger_capacity(ledger, pool->name, error);
    if (!cap)
        return FALSE;
    row = gp_pool_capacity_row(cap, pf);
    held = gp_claims_find(gp_ledger_claims(ledger), address);
    /* A VF the domain holds already has its profile. */
    if ((held && g_ascii_strcasecmp(held->domain_uuid, dom_uuid) == 0) || (row && row->free))
        return TRUE;
    return vf_exhausted(ledger, pool, pf, dom_uuid, error);
}

gboolean
gp_partition_release_claim(const GpPool *pool, const GpClaim *claim, char **note,
                           GError **error)
{
    g_autoptr(GpPartition) part = NULL;

    if (pool->type == GP_POOL_TYPE_MDEV) {
        part = gp_partition_new(GP_PART_KIND_MDEV, claim->parent);
        part->uuid = g_strdup(claim->device);
        /* The generic mdev release needs no device: sysfs knows the mdev
         * by UUID, wherever it lives. */
        return gp_backend_lookup("mdev")->release(claim->parent ? claim->parent : "", part, error);
    }
    if (pool->type == GP_POOL_TYPE_VF) {
        g_autofree char *pf = gp_pci_physfn(claim->device);
        const GpBackendOps *ops;

        if (!pf)
            return TRUE;  /* the VF is gone (VFs disabled): nothing left to clear */
        ops = gp_backend_partitioner_for(pf, error);
        if (!ops)
            return FALSE;
        part = gp_partition_new(GP_PART_KIND_VF, pf);
        part->address = g_strdup(claim->device);
        part->profile = g_strdup(pool->vf_profile);
        if (ops->driver_stays) {
            /* Say when the open-handle check could not be made. */
            if (!gp_backend_host()->vfio_check_unused(claim->device, note, error))
                return FALSE;
        }
        return ops->release(pf, part, error);
    }
    return TRUE;
}

gboolean
gp_partition_kind_of_claim(const GpClaim *claim, GpPoolType *type)
{
    g_autofree char *physfn = NULL;

    if (claim->parent || g_uuid_string_is_valid(claim->device)) {
        *type = GP_POOL_TYPE_MDEV;
        return TRUE;
    }
    *type = GP_POOL_TYPE_VF;
    physfn = gp_pci_physfn(claim->device);
    return physfn != NULL;
}
