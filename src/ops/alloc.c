/* Handing pool devices to domains: claim, release, reconnect, re-point. */
#include "config.h"

#include "ops/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/sysfs.h"
#include "host/sriov.h"
#include "host/vfio.h"
#include "state/poolstore.h"
#include "policy/mmio.h"
#include "ops/partition.h"

G_DEFINE_QUARK(gp-alloc-error-quark, gp_alloc_error)

/* The kernel's IORESOURCE_* flags as the "resource" attribute shows them. */
#define GP_IORESOURCE_MEM    0x00000200ULL
#define GP_IORESOURCE_MEM_64 0x00100000ULL
#define GP_IORESOURCE_PREFETCH 0x00002000ULL

/* QEMU's default 64-bit PCI hole when a domain sets no <pcihole64>. */
#define GP_ALLOC_DEFAULT_HOLE64 (32ULL << 30)

GpAllocDevice *
gp_alloc_device_new(const char *alias, const char *pool, const char *device)
{
    GpAllocDevice *dev = g_new0(GpAllocDevice, 1);

    dev->alias = g_strdup(alias);
    dev->pool = g_strdup(pool);
    dev->device = g_strdup(device);
    return dev;
}

void
gp_alloc_device_free(GpAllocDevice *dev)
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

/* ---- Probing the host --------------------------------------------------- */

static void
probe_bars(GpAllocDevice *dev)
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

/* The parent of mdev UUID: the last component of the directory its
 * bus/mdev/devices link points into (a PCI address, or "mbochs"). */
static char *
mdev_parent(const char *uuid)
{
    g_autofree char *rel = gp_sysfs_mdev_dev_path(uuid, NULL);

    return gp_sysfs_link_parent_name(rel, NULL);
}

void
gp_alloc_probe(GpAllocDevice *dev, GpPoolType type)
{
    g_clear_pointer(&dev->driver, g_free);
    g_clear_pointer(&dev->parent, g_free);
    dev->present = FALSE;
    memset(dev->bars, 0, sizeof(dev->bars));

    if (type == GP_POOL_TYPE_MDEV) {
        g_autofree char *rel = gp_sysfs_mdev_dev_path(dev->device, NULL);

        dev->present = gp_sysfs_is_dir(rel);
        if (dev->present)
            dev->parent = mdev_parent(dev->device);
    } else {
        g_autofree char *rel = gp_sysfs_pci_dev_path(dev->device, NULL);

        dev->present = gp_sysfs_is_dir(rel);
        if (!dev->present)
            return;
        dev->driver = gp_vfio_current_driver(dev->device);
        if (type == GP_POOL_TYPE_VF)
            dev->parent = gp_pci_physfn(dev->device);
        probe_bars(dev);
    }
}

guint64
gp_alloc_window_need(GPtrArray *devices)
{
    guint64 total = 0;

    for (guint i = 0; i < devices->len; i++) {
        const GpAllocDevice *dev = devices->pdata[i];

        total += gp_mmio_device_footprint(dev->bars);
    }
    return total;
}

/* ---- Free devices ------------------------------------------------------- */

static void
add_mdevs_of(GPtrArray *out, const char *parent)
{
    g_autofree char *rel = gp_sysfs_mdev_parent_path(parent, NULL);
    g_autoptr(GPtrArray) names = gp_sysfs_list(rel, NULL);

    if (!names)
        return;
    for (guint i = 0; i < names->len; i++) {
        if (g_uuid_string_is_valid(names->pdata[i]))
            g_ptr_array_add(out, g_strdup(names->pdata[i]));
    }
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *
gp_alloc_pool_free(const GpPool *pool, GpClaims *claims)
{
    g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *member = pool->devices->pdata[i];

        switch (pool->type) {
        case GP_POOL_TYPE_PCI:
            if (!member->companion_of)
                g_ptr_array_add(candidates, g_strdup(member->address));
            break;
        case GP_POOL_TYPE_VF:
            g_ptr_array_extend_and_steal(candidates, gp_sriov_vfs(member->address));
            break;
        case GP_POOL_TYPE_MDEV:
            add_mdevs_of(candidates, member->address);
            break;
        }
    }
    for (guint i = 0; i < candidates->len; i++) {
        if (!gp_claims_find(claims, candidates->pdata[i]))
            g_ptr_array_add(out, g_strdup(candidates->pdata[i]));
    }
    g_ptr_array_sort(out, compare_strings);
    return out;
}

static char *
free_list_text(const GpPool *pool, GpClaims *claims)
{
    g_autoptr(GPtrArray) free_devs = gp_alloc_pool_free(pool, claims);
    /* One line must stay readable on a host with hundreds of devices. */
    const guint shown_max = 8;
    GString *s = g_string_new(NULL);

    if (free_devs->len == 0)
        return g_string_free(s, FALSE);
    for (guint i = 0; i < free_devs->len && i < shown_max; i++) {
        if (i)
            g_string_append(s, ", ");
        g_string_append(s, free_devs->pdata[i]);
    }
    if (free_devs->len > shown_max)
        g_string_append_printf(s, " and %u more", free_devs->len - shown_max);
    return g_string_free(s, FALSE);
}

/* ---- Decisions ---------------------------------------------------------- */

/* Is DEV, as probed, a device POOL may hand out? */
static gboolean
check_member(const GpPool *pool, const GpAllocDevice *dev, const char *dom_name,
             GError **error)
{
    const GpPoolDevice *member = NULL;

    if (!dev->present) {
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER,
                    "%s: device %s of pool '%s' does not exist on this host: "
                    "run 'gpupool rebalance' to re-point %s to a device of this host",
                    dom_name, dev->device, pool->name, dom_name);
        return FALSE;
    }
    switch (pool->type) {
    case GP_POOL_TYPE_PCI:
        member = gp_pool_find_device(pool, dev->device);
        if (member && member->companion_of) {
            g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER,
                        "%s: %s of pool '%s' goes with %s and is never handed out "
                        "on its own: run 'gpupool unassign %s' and 'gpupool assign %s --pool %s'",
                        dom_name, dev->device, pool->name, member->companion_of,
                        dom_name, dom_name, pool->name);
            return FALSE;
        }
        break;
    case GP_POOL_TYPE_VF:
    case GP_POOL_TYPE_MDEV:
        if (dev->parent)
            member = gp_pool_find_device(pool, dev->parent);
        break;
    }
    if (!member) {
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER,
                    "%s: %s is not a device of pool '%s' on this host: "
                    "run 'gpupool unassign %s' and 'gpupool assign %s --pool %s'",
                    dom_name, dev->device, pool->name, dom_name, dom_name, pool->name);
        return FALSE;
    }
    /* NVIDIA's vGPU VFs stay on their vendor driver (partition.h). */
    if (pool->type != GP_POOL_TYPE_MDEV && g_strcmp0(dev->driver, "vfio-pci") != 0 &&
        !gp_partition_driver_stays(pool, dev->device)) {
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_READY,
                    "%s: %s of pool '%s' is bound to %s, not vfio-pci: "
                    "run 'gpupool setup' to bind the pool's devices again",
                    dom_name, dev->device, pool->name,
                    dev->driver ? dev->driver : "no driver");
        return FALSE;
    }
    return TRUE;
}

/* "2 GiB", "768 MiB": a whole unit when it is one, for messages. */
static char *
format_size(guint64 bytes)
{
    if (bytes >= (1ULL << 40) && bytes % (1ULL << 40) == 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT " TiB", bytes >> 40);
    if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT " GiB", bytes >> 30);
    if (bytes % (1ULL << 20) == 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT " MiB", bytes >> 20);
    return g_strdup_printf("%" G_GUINT64_FORMAT " bytes", bytes);
}

static gboolean
check_window(const GpAllocDomain *dom, GError **error)
{
    guint64 need = gp_alloc_window_need(dom->devices);
    guint64 have = dom->pcihole64_set ? dom->pcihole64 : GP_ALLOC_DEFAULT_HOLE64;
    const GpAllocDevice *big = NULL;
    guint64 big_size = 0;
    g_autofree char *have_s = NULL;
    g_autofree char *need_s = NULL;
    g_autofree char *suggest = NULL;

    if (need <= have)
        return TRUE;
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpAllocDevice *dev = dom->devices->pdata[i];
        guint64 size = gp_mmio_device_footprint(dev->bars);

        if (!big || size > big_size) {
            big = dev;
            big_size = size;
        }
    }
    have_s = format_size(have);
    need_s = format_size(need);
    /* What assign would set: the need plus the guest's own headroom. */
    suggest = gp_mmio_format_size(gp_mmio_window(need));
    g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_MMIO,
                "%s: 64-bit MMIO window %s%s is too small for %s%s (needs %s): "
                "run 'gpupool assign %s --pool %s --mmio %s' or set <pcihole64>",
                dom->name, have_s, dom->pcihole64_set ? "" : " (QEMU's default)",
                big->device, dom->devices->len > 1 ? " and the other devices" : "",
                need_s, dom->name, big->pool, suggest);
    return FALSE;
}

static const GpPool *
pool_of(GHashTable *pools, const GpAllocDevice *dev, const char *dom_name, GError **error)
{
    const GpPool *pool = g_hash_table_lookup(pools, dev->pool);

    if (!pool)
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER,
                    "%s: pool '%s' is not defined on this host: define it with "
                    "'gpupool pool-define' or run 'gpupool unassign %s'",
                    dom_name, dev->pool, dom_name);
    return pool;
}

gboolean
gp_alloc_claim(GpClaims *claims, GHashTable *pools, const GpAllocDomain *dom,
               GError **error)
{
    /* Decide everything first, then add: all or nothing. */
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpAllocDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = pool_of(pools, dev, dom->name, error);
        const GpClaim *held;

        if (!pool || !check_member(pool, dev, dom->name, error))
            return FALSE;
        for (guint j = 0; j < i; j++) {
            const GpAllocDevice *other = dom->devices->pdata[j];

            if (strcmp(other->device, dev->device) == 0) {
                g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_INVALID,
                            "%s: %s is listed twice (%s and %s): run 'gpupool unassign %s' "
                            "and 'gpupool assign %s --pool %s'",
                            dom->name, dev->device, other->alias, dev->alias,
                            dom->name, dom->name, dev->pool);
                return FALSE;
            }
        }
        held = gp_claims_find(claims, dev->device);
        if (held && g_ascii_strcasecmp(held->domain_uuid, dom->uuid) != 0) {
            g_autofree char *free_s = free_list_text(pool, claims);

            g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_HELD,
                        "%s of pool '%s' is held by domain '%s'; free: %s; %s",
                        dev->device, pool->name, held->domain_name,
                        *free_s ? free_s : "none",
                        *free_s ? "run 'gpupool rebalance' or start the domain again in a moment"
                                : "stop a domain of the pool or add devices with 'gpupool pool-add'");
            return FALSE;
        }
    }
    if (!check_window(dom, error))
        return FALSE;
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpAllocDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        const char *parent = pool->type == GP_POOL_TYPE_MDEV ? dev->parent : NULL;

        /* Checked above: cannot fail now. */
        if (!gp_claims_add(claims, dev->device, dev->pool, dom->uuid, dom->name,
                           parent, error)) {
            gp_claims_drop_domain(claims, dom->uuid);
            return FALSE;
        }
    }
    return TRUE;
}

guint
gp_alloc_release(GpClaims *claims, const char *dom_uuid)
{
    return gp_claims_drop_domain(claims, dom_uuid);
}

guint
gp_alloc_reconnect(GpClaims *claims, GHashTable *pools, const GpAllocDomain *dom,
                   GPtrArray *warnings)
{
    guint added = 0;

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpAllocDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        const GpClaim *held = gp_claims_find(claims, dev->device);
        g_autoptr(GError) err = NULL;

        if (held && g_ascii_strcasecmp(held->domain_uuid, dom->uuid) == 0)
            continue;
        if (held) {
            g_ptr_array_add(warnings, g_strdup_printf(
                "running domain '%s' uses %s of pool '%s', but the claims say domain "
                "'%s' holds it: stop one of them; gpupool leaves both running",
                dom->name, dev->device, dev->pool, held->domain_name));
            continue;
        }
        if (!pool) {
            g_ptr_array_add(warnings, g_strdup_printf(
                "running domain '%s' uses %s of pool '%s', which is not defined on this "
                "host: the device is not recorded as held", dom->name, dev->device, dev->pool));
            continue;
        }
        if (!check_member(pool, dev, dom->name, &err) &&
            !g_error_matches(err, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_READY)) {
            /* Bound elsewhere or not: the guest has it, so record it; but
             * a device outside the pool is not ours to record. */
            g_ptr_array_add(warnings, g_strdup_printf("%s; the device is not recorded as held",
                                                      err->message));
            continue;
        }
        g_clear_error(&err);
        if (gp_claims_add(claims, dev->device, dev->pool, dom->uuid, dom->name,
                          pool->type == GP_POOL_TYPE_MDEV ? dev->parent : NULL, &err))
            added++;
        else
            g_ptr_array_add(warnings, g_strdup(err->message));
    }
    return added;
}

static guint release_with_partitions(GpClaims *claims, const char *dom_uuid, gboolean stale,
                                     GPtrArray *dropped, GPtrArray *kept);

guint
gp_alloc_reconcile(GpClaims *claims, GHashTable *running, GPtrArray *dropped, GPtrArray *kept)
{
    g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) not_given_back = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *all = gp_claims_all(claims);
    guint n = 0;

    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];
        g_autofree char *lower = g_ascii_strdown(c->domain_uuid, -1);

        if (!g_hash_table_contains(running, c->domain_uuid) &&
            !g_hash_table_contains(running, lower) &&
            !g_ptr_array_find_with_equal_func(stale, c->domain_uuid, g_str_equal, NULL))
            g_ptr_array_add(stale, g_strdup(c->domain_uuid));
    }
    /* As release does: partitions first, and a claim whose partition
     * cannot be given back yet stays. */
    for (guint i = 0; i < stale->len; i++)
        n += release_with_partitions(claims, stale->pdata[i], TRUE, dropped,
                                     kept ? kept : not_given_back);
    return n;
}

GHashTable *
gp_alloc_repoint(GpClaims *claims, GHashTable *pools, const GpAllocDomain *dom,
                 GError **error)
{
    g_autoptr(GHashTable) changes = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                           g_free, g_free);
    /* Devices this domain will use, so two of its devices never meet. */
    g_autoptr(GHashTable) taken = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) need_new = g_ptr_array_new();

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpAllocDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = pool_of(pools, dev, dom->name, error);
        const GpClaim *held;

        if (!pool)
            return NULL;
        /* An mdev is named by the domain's own UUID and made at prepare
         * on whichever member parent has room: nothing to re-point. */
        if (pool->type == GP_POOL_TYPE_MDEV)
            continue;
        held = gp_claims_find(claims, dev->device);
        if (check_member(pool, dev, dom->name, NULL) &&
            (!held || g_ascii_strcasecmp(held->domain_uuid, dom->uuid) == 0) &&
            !g_hash_table_contains(taken, dev->device))
            g_hash_table_add(taken, dev->device);
        else
            g_ptr_array_add(need_new, (gpointer)dev);
    }
    for (guint i = 0; i < need_new->len; i++) {
        const GpAllocDevice *dev = need_new->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        g_autoptr(GPtrArray) free_devs = gp_alloc_pool_free(pool, claims);
        const char *pick = NULL;

        for (guint j = 0; j < free_devs->len && !pick; j++) {
            g_autoptr(GpAllocDevice) cand = gp_alloc_device_new(dev->alias, dev->pool,
                                                                 free_devs->pdata[j]);

            if (g_hash_table_contains(taken, cand->device))
                continue;
            gp_alloc_probe(cand, pool->type);
            if (check_member(pool, cand, dom->name, NULL))
                pick = free_devs->pdata[j];
        }
        if (!pick) {
            g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_EXHAUSTED,
                        "%s: pool '%s' has no free device on this host for %s: "
                        "stop a domain of the pool or add devices with 'gpupool pool-add %s'",
                        dom->name, pool->name, dev->alias, pool->name);
            return NULL;
        }
        g_hash_table_insert(changes, g_strdup(dev->alias), g_strdup(pick));
        /* The key outlives this loop: CHANGES owns the copy. */
        g_hash_table_add(taken, g_hash_table_lookup(changes, dev->alias));
    }
    return g_steal_pointer(&changes);
}

/* ---- Transactions ------------------------------------------------------- */

/* The pool DEVICE (a PCI address or an mdev UUID a domain names directly)
 * belongs to, or NULL: MEMBERSHIP maps member addresses to pool names. */
static const char *
pool_of_passthrough(const char *device, GHashTable *membership, GpClaims *claims)
{
    const GpClaim *held = gp_claims_find(claims, device);
    const char *pool = g_hash_table_lookup(membership, device);
    g_autofree char *parent = NULL;

    if (pool)
        return pool;
    if (held)
        return held->pool;
    /* An mdev on a member, or a VF of a member: vf pools hand those out,
     * and a VF of any other member shares its silicon. */
    parent = g_uuid_string_is_valid(device) ? mdev_parent(device) : gp_pci_physfn(device);
    return parent ? g_hash_table_lookup(membership, parent) : NULL;
}

gboolean
gp_alloc_check_passthrough(const char *dom_name, GPtrArray *passthrough, GError **error)
{
    g_autoptr(GHashTable) membership = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GError) err = NULL;

    if (!passthrough || passthrough->len == 0)
        return TRUE;
    /* No lock: this start changes nothing of gpupool's, and a pool or
     * claims file is always whole (written aside, then renamed). */
    membership = gp_poolstore_membership(&err);
    if (membership)
        claims = gp_claims_load(&err);
    if (!claims) {
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_BYPASS,
                    "%s: cannot tell whether its <hostdev>s are pool devices: %s",
                    dom_name, err->message);
        return FALSE;
    }
    for (guint i = 0; i < passthrough->len; i++) {
        const char *device = passthrough->pdata[i];
        const char *pool = pool_of_passthrough(device, membership, claims);

        if (pool) {
            g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_BYPASS,
                        "%s: %s belongs to pool '%s'; give the domain pool devices with "
                        "'gpupool assign %s --pool %s' instead of a <hostdev>",
                        dom_name, device, pool, dom_name, pool);
            return FALSE;
        }
    }
    return TRUE;
}

/* The pools DOM's devices name.  A pool not defined on this host is an
 * error, or when MISSING_OK is simply left out of the table. */
static GHashTable *
load_pools(const GpAllocDomain *dom, gboolean missing_ok, GError **error)
{
    g_autoptr(GHashTable) pools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify)gp_pool_free);

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpAllocDevice *dev = dom->devices->pdata[i];
        g_autoptr(GError) err = NULL;
        GpPool *pool;

        if (g_hash_table_contains(pools, dev->pool))
            continue;
        pool = gp_poolstore_load(dev->pool, &err);
        if (pool) {
            g_hash_table_insert(pools, g_strdup(dev->pool), pool);
            continue;
        }
        if (missing_ok && g_error_matches(err, GP_POOL_ERROR, GP_POOL_ERROR_NOT_FOUND))
            continue;
        g_prefix_error(&err, "%s: ", dom->name);
        g_propagate_error(error, g_steal_pointer(&err));
        return NULL;
    }
    return g_steal_pointer(&pools);
}

GHashTable *
gp_alloc_load_pools(const GpAllocDomain *dom, GError **error)
{
    return load_pools(dom, FALSE, error);
}

static void
probe_all(const GpAllocDomain *dom, GHashTable *pools)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        GpAllocDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);

        gp_alloc_probe(dev, pool ? pool->type : GP_POOL_TYPE_PCI);
    }
}

/* ---- Partitions of mdev and VF pools (ops/partition.h) ------------------
 *
 * An mdev pool's partition is created under the domain's own UUID before
 * the claim (the claim checks that it exists on a member parent); a VF
 * pool's vendor profile is set after the claim (so a VF another domain
 * holds is never touched).  Whatever a refused start made is taken away
 * again; release gives back only partitions the domain's own claims name. */

/* Gives back the partitions this start made (MADE: GpAllocDevice*). */
static void
undo_partitions(GHashTable *pools, GPtrArray *made, const GpAllocDomain *dom)
{
    for (guint i = 0; i < made->len; i++) {
        const GpAllocDevice *dev = made->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        GpClaim claim = {
            .device = dev->device, .pool = dev->pool,
            .domain_uuid = (char *)dom->uuid, .domain_name = (char *)dom->name,
        };

        if (pool)
            gp_partition_release_claim(pool, &claim, NULL, NULL);
    }
}

/* One partition per domain per pool unless the pool allows more
 * (partition-set --per-domain): more would take capacity the pool's other
 * domains were sized for. */
static gboolean
check_per_domain(const GpAllocDomain *dom, GHashTable *pools, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpAllocDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        guint allowed = pool && pool->per_domain ? pool->per_domain : 1;
        guint n;

        if (!pool || pool->type == GP_POOL_TYPE_PCI)
            continue;
        n = GPOINTER_TO_UINT(g_hash_table_lookup(seen, dev->pool)) + 1;
        if (n > allowed) {
            g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_INVALID,
                        "%s asks for more than %u partition%s of pool '%s': run 'gpupool "
                        "assign %s --pool %s --count %u', or allow more with 'gpupool "
                        "partition-set DEVICE --per-domain N'", dom->name, allowed,
                        allowed == 1 ? "" : "s", dev->pool, dom->name, dev->pool, allowed);
            return FALSE;
        }
        g_hash_table_insert(seen, dev->pool, GUINT_TO_POINTER(n));
    }
    return TRUE;
}

/* Prepares the partitions of pool type TYPE (mdev or vf) that DOM's
 * devices are, adding to MADE those undo_partitions() must take back: the
 * mdevs created here, the VFs given a vendor profile. */
static gboolean
prepare_partitions(const GpAllocDomain *dom, GHashTable *pools, GpClaims *claims,
                   GpPoolType type, GPtrArray *made, GError **error)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        GpAllocDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        gboolean changed = FALSE;
        gboolean ok;

        if (!pool || pool->type != type)
            continue;
        if (type == GP_POOL_TYPE_MDEV) {
            ok = gp_partition_prepare_mdev(pool, dev->device, claims, &changed, error);
        } else {
            ok = gp_partition_prepare_vf(pool, dev->device, claims, error);
            changed = pool->vf_profile != NULL;
        }
        if (!ok) {
            g_prefix_error(error, "%s: ", dom->name);
            return FALSE;
        }
        if (changed)
            g_ptr_array_add(made, dev);
    }
    return TRUE;
}

/* The kind of partition CLAIM stands for: an mdev (it has a parent; the
 * claims file names mdevs by UUID, devices by PCI address) or a virtual
 * function (sysfs says so).  FALSE for a whole device. */
static gboolean
partition_type_of(const GpClaim *claim, GpPoolType *type)
{
    g_autofree char *physfn = NULL;

    if (claim->parent || g_uuid_string_is_valid(claim->device)) {
        *type = GP_POOL_TYPE_MDEV;
        return TRUE;
    }
    *type = GP_POOL_TYPE_VF;
    physfn = gp_sysfs_pci_dev_path(claim->device, "physfn");
    return gp_sysfs_exists(physfn);
}

/* Gives back the partition CLAIM stands for, if it is one.  Whole
 * devices have nothing to give back: that spares the pool load on the
 * release path of every pci-pool domain.  A pool that is no longer
 * defined still had its partition made: a stand-in from the claim gives
 * it back, so that no VF keeps a profile nobody holds. */
static gboolean
give_back_partition(const GpClaim *claim, GError **error)
{
    g_autoptr(GpPool) pool = NULL;
    GpPool stand_in = { .name = claim->pool };

    if (!partition_type_of(claim, &stand_in.type))
        return TRUE;
    pool = gp_poolstore_load(claim->pool, NULL);
    /* The hook runs as root, so the open-handle scan sees every process;
     * without root it is skipped (partition.h). */
    return gp_partition_release_claim(pool ? pool : &stand_in, claim, NULL, error);
}

/* Drops DOM_UUID's claims, giving back the partitions they name first.  A
 * partition that cannot be given back (a VFIO handle still open) keeps
 * its claim, so that nobody else is handed it, with a line in KEPT: the
 * error, or for a STALE claim (its domain is not running) "NAME: kept its
 * claim on DEVICE (pool 'P') although it is not running: ERROR".  DROPPED
 * (may be NULL) gets "NAME: dropped its claim on DEVICE (pool 'P'): it is
 * not running" for each stale claim dropped. */
static guint
release_with_partitions(GpClaims *claims, const char *dom_uuid, gboolean stale,
                        GPtrArray *dropped, GPtrArray *kept)
{
    g_autoptr(GPtrArray) mine = gp_claims_of_domain(claims, dom_uuid);
    g_autoptr(GPtrArray) drop = g_ptr_array_new_with_free_func(g_free);
    guint n = 0;

    for (guint i = 0; i < mine->len; i++) {
        const GpClaim *claim = mine->pdata[i];
        g_autoptr(GError) err = NULL;

        if (!give_back_partition(claim, &err)) {
            g_ptr_array_add(kept, stale ? g_strdup_printf(
                                              "%s: kept its claim on %s (pool '%s') although "
                                              "it is not running: %s", claim->domain_name,
                                              claim->device, claim->pool, err->message)
                                        : g_strdup(err->message));
            continue;
        }
        if (stale && dropped)
            g_ptr_array_add(dropped, g_strdup_printf(
                                         "%s: dropped its claim on %s (pool '%s'): it is not "
                                         "running", claim->domain_name, claim->device,
                                         claim->pool));
        g_ptr_array_add(drop, g_strdup(claim->device));
    }
    for (guint i = 0; i < drop->len; i++)
        n += gp_claims_drop_device(claims, drop->pdata[i]) ? 1 : 0;
    return n;
}

static gboolean
ensure_statedir(GError **error)
{
    g_autofree char *dir = gp_paths_statedir();

    return gp_txfile_ensure_dir(dir, 0755, error);
}

gboolean
gp_alloc_prepare_domain(const GpAllocDomain *dom, GError **error)
{
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GpLock) lock = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GPtrArray) made = NULL;

    if (!ensure_statedir(error))
        return FALSE;
    claims = gp_claims_lock_and_load(&lock, error);
    if (!claims)
        return FALSE;
    /* Pools and the host are read under the lock: pool-remove takes it
     * too, so a device cannot leave its pool between check and claim. */
    pools = load_pools(dom, FALSE, error);
    if (!pools)
        return FALSE;
    /* Partitions: mdevs before the probe, VF profiles after the claim. */
    made = g_ptr_array_new();
    if (!check_per_domain(dom, pools, error) ||
        !prepare_partitions(dom, pools, claims, GP_POOL_TYPE_MDEV, made, error))
        goto undo;
    probe_all(dom, pools);
    if (!gp_alloc_claim(claims, pools, dom, error) ||
        !prepare_partitions(dom, pools, claims, GP_POOL_TYPE_VF, made, error) ||
        !gp_claims_save(claims, error))
        goto undo;
    return TRUE;

undo:
    undo_partitions(pools, made, dom);
    return FALSE;
}

gboolean
gp_alloc_release_domain(const char *dom_uuid, guint *dropped, GError **error)
{
    g_autoptr(GpLock) lock = NULL;
    g_autoptr(GpClaims) claims = NULL;
    g_autoptr(GPtrArray) kept = NULL;
    guint n;

    if (dropped)
        *dropped = 0;
    if (!ensure_statedir(error))
        return FALSE;
    claims = gp_claims_lock_and_load(&lock, error);
    if (!claims)
        return FALSE;
    kept = g_ptr_array_new_with_free_func(g_free);
    n = release_with_partitions(claims, dom_uuid, FALSE, NULL, kept);
    if (n > 0 && !gp_claims_save(claims, error))
        return FALSE;
    if (dropped)
        *dropped = n;
    if (kept->len) {
        g_autofree char *why = NULL;

        g_ptr_array_add(kept, NULL);
        why = g_strjoinv("; ", (char **)kept->pdata);
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_READY,
                    "partitions not given back yet: %s", why);
        return FALSE;
    }
    return TRUE;
}

gboolean
gp_alloc_reconnect_domain(const GpAllocDomain *dom, GPtrArray *warnings, GError **error)
{
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GpLock) lock = NULL;
    g_autoptr(GpClaims) claims = NULL;

    if (!ensure_statedir(error))
        return FALSE;
    claims = gp_claims_lock_and_load(&lock, error);
    if (!claims)
        return FALSE;
    /* A pool that vanished must not stop the others being recorded. */
    pools = load_pools(dom, TRUE, error);
    if (!pools)
        return FALSE;
    probe_all(dom, pools);
    if (gp_alloc_reconnect(claims, pools, dom, warnings) == 0)
        return TRUE;
    return gp_claims_save(claims, error);
}

GHashTable *
gp_alloc_repoint_domain(const GpAllocDomain *dom, GError **error)
{
    g_autoptr(GHashTable) pools = NULL;
    g_autoptr(GpLock) lock = NULL;
    g_autoptr(GpClaims) claims = NULL;

    /* Claims are read under the lock for a consistent view; prepare
     * claims for real, so nothing is saved here. */
    claims = gp_claims_lock_and_load(&lock, error);
    if (!claims)
        return NULL;
    pools = load_pools(dom, FALSE, error);
    if (!pools)
        return NULL;
    probe_all(dom, pools);
    return gp_alloc_repoint(claims, pools, dom, error);
}

/* ---- The asynchronous rebalance ----------------------------------------- */

char *
gp_alloc_rebalance_flag_path(void)
{
    g_autofree char *dir = gp_paths_statedir();

    return g_build_filename(dir, "rebalance-pending", NULL);
}

gboolean
gp_alloc_rebalance_mark(gint64 stale_seconds)
{
    g_autofree char *path = gp_alloc_rebalance_flag_path();
    struct stat st;
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
        close(fd);
        return TRUE;
    }
    if (errno != EEXIST)
        return TRUE; /* cannot coalesce: better one rebalance too many */
    if (stat(path, &st) == 0 && g_get_real_time() / G_USEC_PER_SEC - st.st_mtime > stale_seconds) {
        /* The rebalance that set it never began; take the flag over. */
        utimes(path, NULL);
        return TRUE;
    }
    return FALSE;
}

int
gp_alloc_rebalance_take_turn(void)
{
    g_autofree char *dir = gp_paths_statedir();
    g_autofree char *path = g_build_filename(dir, "rebalance.lock", NULL);
    /* Not close-on-exec: the rebalance inherits it and holds the lock
     * until it exits. */
    int fd = open(path, O_RDWR | O_CREAT, 0600);

    if (fd >= 0) {
        while (flock(fd, LOCK_EX) < 0) {
            if (errno != EINTR) {
                close(fd);
                fd = -1;
                break;
            }
        }
    }
    /* Begun: changes from now on need another rebalance. */
    gp_alloc_rebalance_begin();
    return fd;
}

void
gp_alloc_rebalance_begin(void)
{
    g_autofree char *path = gp_alloc_rebalance_flag_path();

    unlink(path);
}
