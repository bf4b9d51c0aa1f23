/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "ops/poolhost.h"

#include <string.h>

#include "base/sysfs.h"
#include "host/backends.h"
#include "host/host.h"
#include "host/sriov.h"
#include "host/vfio-users.h"
#include "host/vfio.h"
#include "state/claims.h"
#include "state/poolstore.h"
#include "ledger/ledger.h"
#include "ops/partition.h"
#include "ops/reconcile.h"

/* ---- Small helpers ------------------------------------------------------ */

static gboolean
refuse(GError **error, GpPoolError code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
refuse(GError **error, GpPoolError code, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, GP_POOL_ERROR, code, msg);
    return FALSE;
}

/* When undoing a failed step fails too, the admin needs both. */
static void
append_undo_failure(GError **error, const GError *undo)
{
    if (error && *error && undo) {
        char *msg = g_strdup_printf("%s; undoing the change failed too (%s): check the "
                                    "devices with 'gpupool devices'",
                                    (*error)->message, undo->message);

        g_free((*error)->message);
        (*error)->message = msg;
    }
}

static void
add_notes(GPtrArray *done, GPtrArray *notes)
{
    for (guint i = 0; i < notes->len; i++)
        g_ptr_array_add(done, g_strdup_printf("note: %s", (char *)g_ptr_array_index(notes, i)));
}

/* Errors of the layers below keep their message but travel as pool
 * errors, so callers see one domain. */
static gboolean
rewrap(GError **error, GError *cause, GpPoolError code)
{
    g_set_error_literal(error, GP_POOL_ERROR, code, cause->message);
    return FALSE;
}

static gboolean
refuse_held(GError **error, const char *address, const GpClaim *c)
{
    if (strcmp(c->device, address) == 0)
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "%s is held by domain '%s' (%s) from pool '%s': stop it first "
                      "('virsh shutdown %s')",
                      address, c->domain_name, c->domain_uuid, c->pool, c->domain_name);
    return refuse(error, GP_POOL_ERROR_REFUSED,
                  "%s is in use: its partition %s is held by domain '%s' (%s): stop it "
                  "first ('virsh shutdown %s')",
                  address, c->device, c->domain_name, c->domain_uuid, c->domain_name);
}

/* A device on vfio-pci may be in use by a VM that gpupool knows nothing
 * of (a hostdev written by hand, a QEMU libvirt lost track of): no claim
 * names it, but its VFIO group is open.  Unbinding it then blocks in the
 * kernel until that process lets go, and handing it out would give it to
 * two guests. */
static gboolean
check_no_vfio_users(const char *address, GPtrArray *notes, GError **error)
{
    g_autoptr(GPtrArray) paths = gp_vfio_users_paths(address);
    g_autoptr(GPtrArray) pids = NULL;
    g_autofree char *who = NULL;
    g_autofree char *skipped = NULL;

    if (paths->len == 0)
        return TRUE;
    pids = gp_vfio_users_scan(paths, &skipped);
    if (skipped) {
        if (notes)
            g_ptr_array_add(notes, g_strdup_printf("%s: not checked for VFIO users: %s",
                                                   address, skipped));
        return TRUE;
    }
    if (pids->len == 0)
        return TRUE;
    who = gp_vfio_users_describe(pids, 4);
    return refuse(error, GP_POOL_ERROR_REFUSED,
                  "%s is open through %s by process %s, which no gpupool claim accounts "
                  "for: shut down the VM using it ('virsh list'), then retry",
                  address, (const char *)paths->pdata[0], who);
}

/* Canonical, de-duplicated member addresses of a request. */
static GPtrArray *
canonical_request(const GpPool *pool, const char *const *devices, guint n, GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

    if (n == 0) {
        refuse(error, GP_POOL_ERROR_INVALID, "no device given for pool '%s': name at least "
               "one PCI address (see 'gpupool devices')", pool->name);
        return NULL;
    }
    for (guint i = 0; i < n; i++) {
        g_autoptr(GError) err = NULL;
        char *canon = gp_pool_canonical_member(pool->type, devices[i], &err);

        if (!canon) {
            rewrap(error, err, GP_POOL_ERROR_INVALID);
            return NULL;
        }
        if (g_ptr_array_find_with_equal_func(out, canon, g_str_equal, NULL)) {
            g_free(canon);
            continue;
        }
        g_ptr_array_add(out, canon);
    }
    return g_steal_pointer(&out);
}

/* ---- Adding --------------------------------------------------------------- */

/* One device joining a pci pool. */
typedef struct {
    char *address;
    char *host_driver;
    char *companion_of;
    char *was;          /* driver before binding, for the report */
} Join;

static void
join_free(Join *j)
{
    g_free(j->address);
    g_free(j->host_driver);
    g_free(j->companion_of);
    g_free(j->was);
    g_free(j);
}

static Join *
join_new(const GpPciDev *dev, const char *companion_of, const char *hint)
{
    Join *j = g_new0(Join, 1);

    j->address = g_strdup(dev->address);
    j->companion_of = g_strdup(companion_of);
    j->was = g_strdup(dev->driver);
    /* A device already on vfio-pci no longer shows its host driver: keep
     * what the definition says, if anything. */
    if (dev->driver && strcmp(dev->driver, GP_VFIO_DRIVER) != 0)
        j->host_driver = g_strdup(dev->driver);
    else
        j->host_driver = g_strdup(hint);
    return j;
}

static const char *
hint_for(const GpPool *def, const char *address)
{
    const GpPoolDevice *d = def ? gp_pool_find_device(def, address) : NULL;

    return d ? d->host_driver : NULL;
}

/* Checks one requested device for a pci pool and works out the devices
 * that join with it.  PENDING is the membership as it would be after the
 * request, so peers joining in the same request count as in the pool. */
static gboolean
plan_pci_device(const GpHost *host, const GpPool *pool, const char *address,
                GHashTable *pending, GHashTable *membership, GpClaims *claims,
                const GpPool *def, GPtrArray *joins, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *reason = NULL;
    g_autoptr(GPtrArray) peers = NULL;
    const GpPciDev *dev = gp_host_lookup(host, address, &err);

    if (!dev)
        return rewrap(error, err, GP_POOL_ERROR_REFUSED);
    if (gp_host_assess(host, dev, pending, pool->name, &reason) == GP_DEV_STATUS_NOT_ASSIGNABLE)
        return refuse(error, GP_POOL_ERROR_REFUSED, "%s cannot be added to pool '%s': %s",
                      address, pool->name, reason ? reason : "it is not assignable");
    if (dev->physfn && g_hash_table_lookup(membership, dev->physfn))
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "%s is a virtual function of %s, which is in pool '%s' and hands its "
                      "VFs out from there: take a VF of a PF in no pool, or run 'gpupool "
                      "pool-remove %s %s' first", address, dev->physfn,
                      (const char *)g_hash_table_lookup(membership, dev->physfn),
                      (const char *)g_hash_table_lookup(membership, dev->physfn), dev->physfn);
    if (dev->sriov_num_vfs > 0)
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "%s has %u SR-IOV virtual functions enabled, which passing it through "
                      "whole would destroy: put it in a vf pool, or disable them with "
                      "'echo 0 > /sys/bus/pci/devices/%s/sriov_numvfs'",
                      address, dev->sriov_num_vfs, address);
    g_ptr_array_add(joins, join_new(dev, NULL, hint_for(def, address)));

    peers = gp_host_group_peers(host, dev);
    for (guint i = 0; i < peers->len; i++) {
        const GpPciDev *peer = g_ptr_array_index(peers, i);
        const char *in_pool = g_hash_table_lookup(membership, peer->address);
        const GpClaim *held;

        /* The whole IOMMU group joins: VFIO gives it to one guest, so no
         * endpoint of it may be handed out on its own. */
        if (peer->is_bridge)
            continue;
        if (g_strcmp0(in_pool, pool->name) == 0) {
            const GpPoolDevice *member = gp_pool_find_device(pool, peer->address);

            if (member && !member->companion_of) {
                if (gp_pci_addr_same_slot(&peer->addr, &dev->addr))
                    return refuse(error, GP_POOL_ERROR_REFUSED,
                                  "%s is a function of the same card as %s, which is in "
                                  "pool '%s' on its own: functions of one card join "
                                  "together; run 'gpupool pool-remove %s %s' and add %s "
                                  "again", address, peer->address, pool->name, pool->name,
                                  peer->address, address);
                return refuse(error, GP_POOL_ERROR_REFUSED,
                              "%s shares IOMMU group %s with %s, which is in pool '%s' on "
                              "its own: a group goes to one guest whole; run 'gpupool "
                              "pool-remove %s %s' and add %s again",
                              address, dev->iommu_group, peer->address, pool->name,
                              pool->name, peer->address, address);
            }
            continue;
        }
        held = gp_claims_find(claims, peer->address);
        if (held)
            return refuse_held(error, peer->address, held);
        g_ptr_array_add(joins, join_new(peer, address, hint_for(def, peer->address)));
    }
    return TRUE;
}

/* Endpoints of one IOMMU group named in one request join as one member
 * and its companions.  The member is the device of the group named
 * first; of its card, the lowest function named (the GPU, not its HDMI
 * audio), as in an admin's eyes the card is what was named.  The others
 * leave the request. */
static void
pick_group_members(const GpHost *host, GPtrArray *request)
{
    for (guint i = 0; i < request->len; i++) {
        const GpPciDev *dev = gp_host_lookup(host, g_ptr_array_index(request, i), NULL);
        g_autoptr(GPtrArray) peers = NULL;

        if (!dev)
            continue;
        for (guint j = i + 1; j < request->len; j++) {
            const GpPciDev *other = gp_host_lookup(host, g_ptr_array_index(request, j), NULL);

            if (other && gp_pci_addr_same_slot(&other->addr, &dev->addr) &&
                gp_pci_addr_compare(&other->addr, &dev->addr) < 0) {
                gpointer tmp = request->pdata[i];

                request->pdata[i] = request->pdata[j];
                request->pdata[j] = tmp;
                dev = other;
            }
        }
        peers = gp_host_group_peers(host, dev);
        for (guint j = 0; j < peers->len; j++) {
            const GpPciDev *peer = g_ptr_array_index(peers, j);
            guint idx;

            if (peer->is_bridge)
                continue;
            if (g_ptr_array_find_with_equal_func(request, peer->address, g_str_equal, &idx) &&
                idx > i)
                g_ptr_array_remove_index(request, idx);
        }
    }
}

static gboolean
check_not_member(const GpPool *pool, GHashTable *membership, GPtrArray *request,
                 GError **error)
{
    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);
        const char *other = g_hash_table_lookup(membership, addr);
        g_autoptr(GpPool) holder = NULL;
        const GpPoolDevice *member;

        if (!other)
            continue;
        holder = strcmp(other, pool->name) == 0 ? NULL : gp_poolstore_load(other, NULL);
        member = gp_pool_find_device(holder ? holder : pool, addr);
        /* A companion came with the device it names (same card or same
         * IOMMU group) and only leaves with it. */
        if (member && member->companion_of) {
            if (strcmp(other, pool->name) == 0)
                return refuse(error, GP_POOL_ERROR_EXISTS,
                              "%s is already in pool '%s' as a companion of %s (same IOMMU "
                              "group): nothing to add", addr, pool->name, member->companion_of);
            return refuse(error, GP_POOL_ERROR_EXISTS,
                          "%s is already in pool '%s' as a companion of %s (same IOMMU "
                          "group): run 'gpupool pool-remove %s %s' first",
                          addr, other, member->companion_of, other, member->companion_of);
        }
        if (strcmp(other, pool->name) == 0)
            return refuse(error, GP_POOL_ERROR_EXISTS,
                          "%s is already in pool '%s': nothing to add", addr, pool->name);
        return refuse(error, GP_POOL_ERROR_EXISTS,
                      "%s is already in pool '%s': run 'gpupool pool-remove %s %s' first",
                      addr, other, other, addr);
    }
    return TRUE;
}

/* The membership as it would be after a request naming NAMED for pool
 * POOL_NAME; the keys are borrowed from MEMBERSHIP and NAMED. */
static GHashTable *
pending_membership(GHashTable *membership, GPtrArray *named, const char *pool_name)
{
    GHashTable *pending = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init(&iter, membership);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_hash_table_insert(pending, key, value);
    for (guint i = 0; i < named->len; i++)
        g_hash_table_insert(pending, g_ptr_array_index(named, i), (gpointer)pool_name);
    return pending;
}

/* The joining devices go into POOL and to vfio-pci, all or nothing.  The
 * pool is saved first, with the driver each device has now: a device
 * never leaves its host driver before the pool file says which it was,
 * so an add killed at any point leaves setup (which binds the pool's
 * devices) and pool-remove (which gives them back) able to finish or
 * undo it.  If binding fails, the devices go back and so does the file. */
static gboolean
bind_joins(GpPool *pool, GPtrArray *joins, GPtrArray *notes, GError **error)
{
    g_autofree const char **addrs = g_new0(const char *, joins->len + 1);
    g_autoptr(GpPool) before = gp_pool_copy(pool);
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) undo = NULL;

    for (guint i = 0; i < joins->len; i++) {
        const Join *j = g_ptr_array_index(joins, i);

        if (g_strcmp0(j->was, GP_VFIO_DRIVER) == 0 &&
            !check_no_vfio_users(j->address, notes, error))
            return FALSE;
        addrs[i] = j->address;
    }
    for (guint i = 0; i < joins->len; i++) {
        const Join *j = g_ptr_array_index(joins, i);

        gp_pool_add_device(pool, j->address, j->host_driver, j->companion_of, NULL);
    }
    if (!gp_poolstore_save(pool, error))
        return FALSE;
    if (gp_vfio_bind(addrs, joins->len, &err))
        return TRUE;
    rewrap(error, err, GP_POOL_ERROR_REFUSED);
    if (!gp_poolstore_save(before, &undo))
        append_undo_failure(error, undo);
    return FALSE;
}

static void
report_joins(const GpPool *pool, GPtrArray *joins, GPtrArray *done)
{
    for (guint i = 0; i < joins->len; i++) {
        const Join *j = g_ptr_array_index(joins, i);
        g_autofree char *was = j->was && strcmp(j->was, GP_VFIO_DRIVER) != 0
            ? g_strdup_printf("was %s", j->was)
            : g_strdup(j->was ? "already" : "had no driver");

        if (j->companion_of)
            g_ptr_array_add(done, g_strdup_printf("%s: bound to vfio-pci (%s), joins pool "
                                                  "'%s' with %s", j->address, was,
                                                  pool->name, j->companion_of));
        else
            g_ptr_array_add(done, g_strdup_printf("%s: bound to vfio-pci (%s), added to "
                                                  "pool '%s'", j->address, was, pool->name));
    }
    for (guint i = 0; i < joins->len; i++) {
        const Join *j = g_ptr_array_index(joins, i);

        if (!j->host_driver && j->was)
            g_ptr_array_add(done, g_strdup_printf("note: %s was on vfio-pci already, so its "
                                                  "host driver is unknown: pool-remove will "
                                                  "leave it without a driver", j->address));
    }
}

static gboolean
add_pci(GpPool *pool, GPtrArray *request, GHashTable *membership, GpClaims *claims,
        const GpPool *def, GPtrArray *done, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GpHost) host = gp_host_scan(&err);
    g_autoptr(GPtrArray) named = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) pending = NULL;
    g_autoptr(GPtrArray) joins = g_ptr_array_new_with_free_func((GDestroyNotify)join_free);
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);

    if (!host)
        return rewrap(error, err, GP_POOL_ERROR_IO);
    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);

        if (!gp_host_lookup(host, addr, &err))
            return rewrap(error, err, GP_POOL_ERROR_REFUSED);
    }
    /* Every device named counts as in the pool, also those that join as
     * companions of another named device of their group. */
    for (guint i = 0; i < request->len; i++)
        g_ptr_array_add(named, g_strdup(g_ptr_array_index(request, i)));
    pick_group_members(host, request);
    pending = pending_membership(membership, named, pool->name);

    for (guint i = 0; i < request->len; i++)
        if (!plan_pci_device(host, pool, g_ptr_array_index(request, i), pending, membership,
                             claims, def, joins, error))
            return FALSE;
    if (!bind_joins(pool, joins, notes, error))
        return FALSE;
    if (done) {
        report_joins(pool, joins, done);
        add_notes(done, notes);
    }
    return TRUE;
}

/* The pool records a partitioning for its members to get. */
static gboolean
applies_partitioning(const GpPool *pool)
{
    if (pool->type == GP_POOL_TYPE_VF)
        return pool->vf_count > 0 || pool->vf_profile;
    if (pool->type == GP_POOL_TYPE_MDEV)
        return pool->mdev_type != NULL;
    return FALSE;
}

static gboolean
write_numvfs(const char *pf, guint count, GError **error)
{
    g_autofree char *path = gp_sysfs_pci_dev_path(pf, "sriov_numvfs");
    g_autofree char *value = g_strdup_printf("%u", count);

    return gp_sysfs_write(path, value, error);
}

/* Which PFs need their VF count set for POOL; refuses a PF whose count
 * differs from the pool's and is not 0, since changing it would destroy
 * VFs someone may use. */
static gboolean
plan_vf_count(const GpPool *pool, const char *pf, gboolean *change, GError **error)
{
    g_autofree char *path = gp_sysfs_pci_dev_path(pf, "sriov_numvfs");
    g_autoptr(GError) err = NULL;
    guint64 cur = 0;

    *change = FALSE;
    /* With a vendor profile the back end chooses the count. */
    if (pool->vf_count == 0 || pool->vf_profile)
        return TRUE;
    if (!gp_sysfs_read_u64(path, &cur, &err))
        return refuse(error, GP_POOL_ERROR_REFUSED, "cannot read the VF count of %s: %s",
                      pf, err->message);
    if (cur == pool->vf_count)
        return TRUE;
    if (cur != 0)
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "%s has %" G_GUINT64_FORMAT " VFs enabled but pool '%s' wants %u: if "
                      "no one uses them, disable them with 'echo 0 > "
                      "/sys/bus/pci/devices/%s/sriov_numvfs' and retry",
                      pf, cur, pool->name, pool->vf_count, pf);
    *change = TRUE;
    return TRUE;
}

/* A VF already in a pool on its own (a pci pool) would be handed out
 * twice once its PF's pool hands out VFs too. */
static gboolean
check_vfs_not_members(const GpPool *pool, const char *pf, GHashTable *membership,
                      GError **error)
{
    g_autoptr(GPtrArray) vfs = gp_sriov_vfs(pf);

    for (guint i = 0; i < vfs->len; i++) {
        const char *vf = g_ptr_array_index(vfs, i);
        const char *other = g_hash_table_lookup(membership, vf);

        if (other)
            return refuse(error, GP_POOL_ERROR_REFUSED,
                          "%s cannot join vf pool '%s': its virtual function %s is in pool "
                          "'%s' on its own; run 'gpupool pool-remove %s %s' first",
                          pf, pool->name, vf, other, other, vf);
    }
    return TRUE;
}

/* PF ADDR may join vf pool POOL; *CHANGE says whether its VF count is to
 * be set. */
static gboolean
check_vf_pf(const GpHost *host, const GpPool *pool, const char *addr, GHashTable *membership,
            GpClaims *claims, gboolean *change, GError **error)
{
    g_autoptr(GError) err = NULL;
    const GpPciDev *dev = gp_host_lookup(host, addr, &err);
    const GpClaim *held;

    if (!dev)
        return rewrap(error, err, GP_POOL_ERROR_REFUSED);
    if (dev->physfn)
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "%s is a virtual function of %s: add the physical function %s to "
                      "vf pool '%s', or this VF to a pci pool",
                      addr, dev->physfn, dev->physfn, pool->name);
    if (dev->sriov_total_vfs == 0)
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "%s cannot be added to vf pool '%s': it does not support SR-IOV; "
                      "put it in a pci pool instead", addr, pool->name);
    if (!gp_host_has_iommu(host))
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "%s cannot be added to vf pool '%s': this host has no IOMMU "
                      "enabled, so its VFs cannot be passed through; enable VT-d/AMD-Vi "
                      "in the firmware and boot with intel_iommu=on or amd_iommu=on",
                      addr, pool->name);
    if (pool->vf_count > dev->sriov_total_vfs)
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "%s supports at most %u VFs but pool '%s' wants %u: lower the "
                      "pool's VF count", addr, dev->sriov_total_vfs, pool->name,
                      pool->vf_count);
    if ((held = gp_claims_find(claims, addr)))
        return refuse_held(error, addr, held);
    if (!check_vfs_not_members(pool, addr, membership, error))
        return FALSE;
    return plan_vf_count(pool, addr, change, error);
}

/* The partitioning back end enables the VFs and binds them for
 * passthrough (or leaves them on a vendor driver that partitions).
 * *CONFIGURED counts the PFs it has set up. */
static gboolean
configure_pfs(const GpPool *pool, GPtrArray *request, guint *configured, GError **error)
{
    for (guint i = 0; i < request->len && applies_partitioning(pool); i++) {
        const char *addr = g_ptr_array_index(request, i);
        g_autoptr(GError) err = NULL;

        if (!gp_partition_setup_member(pool, addr, &err))
            return refuse(error, GP_POOL_ERROR_REFUSED, "cannot add %s to pool '%s': %s; "
                          "nothing was changed", addr, pool->name, err->message);
        (*configured)++;
    }
    return TRUE;
}

/* Disables the VFs of the PFs in ENABLE that configure_pfs() reached
 * (CONFIGURED of them, and the one it failed on).  Only PFs that had no
 * VFs are changed (plan_vf_count() refuses the others), so no VFs means
 * as before. */
static void
undo_vf_enable(const GpPool *pool, GPtrArray *request, GPtrArray *enable, guint configured)
{
    for (guint i = 0; i < configured; i++) {
        const char *addr = g_ptr_array_index(request, i);

        if (g_ptr_array_find_with_equal_func(enable, addr, g_str_equal, NULL))
            write_numvfs(addr, 0, NULL);
    }
    if (configured < request->len && applies_partitioning(pool)) {
        const char *addr = g_ptr_array_index(request, configured);

        if (g_ptr_array_find_with_equal_func(enable, addr, g_str_equal, NULL))
            write_numvfs(addr, 0, NULL);
    }
}

static void
record_pfs(GpPool *pool, GPtrArray *request, const GpHost *host)
{
    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);
        const GpPciDev *dev = gp_host_lookup(host, addr, NULL);

        gp_pool_add_device(pool, addr, dev->driver, NULL, NULL);
        /* VFs that exist from now on are gpupool's to take away again. */
        gp_pool_find_device(pool, addr)->vfs_origin =
            dev->sriov_num_vfs > 0 ? GP_POOL_VFS_HOST : GP_POOL_VFS_GPUPOOL;
    }
}

static void
report_pfs_added(const GpPool *pool, GPtrArray *request, GPtrArray *enable, GPtrArray *done)
{
    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);
        gboolean changed = g_ptr_array_find_with_equal_func(enable, addr, g_str_equal, NULL);

        if (changed)
            g_ptr_array_add(done, g_strdup_printf("%s: %u VFs enabled, added to pool '%s'",
                                                  addr, pool->vf_count, pool->name));
        else
            g_ptr_array_add(done, g_strdup_printf("%s: added to pool '%s'", addr, pool->name));
    }
}

static gboolean
add_vf(GpPool *pool, GPtrArray *request, GHashTable *membership, GpClaims *claims,
       GPtrArray *done, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GpHost) host = gp_host_scan(&err);
    g_autoptr(GPtrArray) enable = g_ptr_array_new();
    g_autoptr(GpPool) before = NULL;
    guint configured = 0;

    if (!host)
        return rewrap(error, err, GP_POOL_ERROR_IO);
    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);
        gboolean change;

        if (!check_vf_pf(host, pool, addr, membership, claims, &change, error))
            return FALSE;
        if (change)
            g_ptr_array_add(enable, (gpointer)addr);
    }
    /* Recorded first, as for pci pools (bind_joins()): VFs gpupool
     * enables are never there without the pool saying so. */
    before = gp_pool_copy(pool);
    record_pfs(pool, request, host);
    if (!gp_poolstore_save(pool, error))
        return FALSE;
    if (!configure_pfs(pool, request, &configured, error)) {
        g_autoptr(GError) undo = NULL;

        undo_vf_enable(pool, request, enable, configured);
        if (!gp_poolstore_save(before, &undo))
            append_undo_failure(error, undo);
        return FALSE;
    }
    if (done)
        report_pfs_added(pool, request, enable, done);
    return TRUE;
}

static char *
offered_types(const char *parent)
{
    g_autofree char *dir = gp_sysfs_mdev_type_path(parent, NULL, NULL);
    g_autoptr(GPtrArray) types = gp_sysfs_list(dir, NULL);

    if (!types || types->len == 0)
        return g_strdup("none");
    g_ptr_array_add(types, NULL);
    return g_strjoinv(", ", (char **)types->pdata);
}

static gboolean
add_mdev(GpPool *pool, GPtrArray *request, GpLedger *ledger, GPtrArray *done, GError **error)
{
    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);
        g_autofree char *parent = gp_sysfs_mdev_parent_path(addr, NULL);
        const GpClaim *held;

        if (!gp_sysfs_is_dir(parent))
            return refuse(error, GP_POOL_ERROR_REFUSED,
                          "%s cannot be added to mdev pool '%s': it offers no mediated "
                          "devices (it is not in /sys/class/mdev_bus); load its vGPU or "
                          "mdev driver first, or put it in a pci pool", addr, pool->name);
        if (pool->mdev_type) {
            g_autofree char *type = gp_sysfs_mdev_type_path(addr, pool->mdev_type, NULL);

            if (!gp_sysfs_is_dir(type)) {
                g_autofree char *offered = offered_types(addr);

                return refuse(error, GP_POOL_ERROR_REFUSED,
                              "%s does not offer mdev type %s that pool '%s' hands out "
                              "(it offers: %s): add a parent that does", addr,
                              pool->mdev_type, pool->name, offered);
            }
        }
        if ((held = gp_ledger_holder(ledger, addr)))
            return refuse_held(error, addr, held);
    }
    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);
        g_autofree char *driver = NULL;
        GpPciAddr a;

        if (gp_pci_addr_parse(addr, &a, NULL))
            driver = gp_vfio_current_driver(addr);
        gp_pool_add_device(pool, addr, driver, NULL, NULL);
    }
    if (!gp_poolstore_save(pool, error))
        return FALSE;
    for (guint i = 0; done && i < request->len; i++)
        g_ptr_array_add(done, g_strdup_printf("%s: added to pool '%s'",
                                              (char *)g_ptr_array_index(request, i),
                                              pool->name));
    return TRUE;
}

/* The body of pool-add and pool-define, under the lock. */
static gboolean
add_locked(GpLedger *ledger, GpPool *pool, const char *const *devices, guint n,
           const GpPool *def, GPtrArray *done, GError **error)
{
    g_autoptr(GPtrArray) request = canonical_request(pool, devices, n, error);
    g_autoptr(GHashTable) membership = NULL;
    GpClaims *claims = gp_ledger_claims(ledger);

    if (!request)
        return FALSE;
    membership = gp_poolstore_membership(error);
    if (!membership || !check_not_member(pool, membership, request, error))
        return FALSE;
    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);
        const GpClaim *held = gp_claims_find(claims, addr);

        if (held)
            return refuse_held(error, addr, held);
    }
    switch (pool->type) {
    case GP_POOL_TYPE_PCI:
        return add_pci(pool, request, membership, claims, def, done, error);
    case GP_POOL_TYPE_VF:
        return add_vf(pool, request, membership, claims, done, error);
    case GP_POOL_TYPE_MDEV:
        return add_mdev(pool, request, ledger, done, error);
    }
    return refuse(error, GP_POOL_ERROR_INVALID, "pool '%s' has an unknown type", pool->name);
}

/* The ledger of a transaction on pools, with a failure to lock or read
 * the claims as a pool error. */
static GpLedger *
open_ledger(GError **error)
{
    g_autoptr(GError) err = NULL;
    GpLedger *ledger = gp_ledger_open(GP_LEDGER_WRITE, &err);

    if (!ledger)
        rewrap(error, err, GP_POOL_ERROR_IO);
    return ledger;
}

/* A copy of pool NAME, to change, as it is while *LEDGER (set on
 * success) holds the lock. */
static GpPool *
lock_and_load(const char *name, GpLedger **ledger, GError **error)
{
    g_autoptr(GpLedger) held = NULL;
    const GpPool *pool;

    /* A bad name is refused before waiting for the lock. */
    if (!gp_pool_name_check(name, error))
        return NULL;
    held = open_ledger(error);
    if (!held)
        return NULL;
    pool = gp_ledger_pool(held, name, error);
    if (!pool)
        return NULL;
    *ledger = g_steal_pointer(&held);
    return gp_pool_copy(pool);
}

gboolean
gp_poolhost_add(const char *name, const char *const *devices, guint n,
                GPtrArray *done, GError **error)
{
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GpPool) pool = NULL;

    pool = lock_and_load(name, &ledger, error);
    if (!pool)
        return FALSE;
    return add_locked(ledger, pool, devices, n, NULL, done, error);
}

gboolean
gp_poolhost_create(GpPool *pool, GError **error)
{
    g_autoptr(GpLedger) ledger = open_ledger(error);

    if (!ledger)
        return FALSE;
    if (gp_poolstore_exists(pool->name))
        return refuse(error, GP_POOL_ERROR_EXISTS,
                      "pool '%s' already exists: see 'gpupool pool-info %s', or remove it "
                      "with 'gpupool pool-undefine %s' first", pool->name, pool->name,
                      pool->name);
    return gp_poolstore_save(pool, error);
}

gboolean
gp_poolhost_define(const GpPool *def, GPtrArray *done, GError **error)
{
    g_autoptr(GpLedger) ledger = open_ledger(error);
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GPtrArray) devices = g_ptr_array_new();

    if (!ledger)
        return FALSE;
    if (gp_poolstore_exists(def->name))
        return refuse(error, GP_POOL_ERROR_EXISTS,
                      "pool '%s' already exists: change its members with 'gpupool "
                      "pool-add/pool-remove', or remove it with 'gpupool pool-undefine %s' "
                      "first", def->name, def->name);
    pool = gp_pool_copy(def);
    g_ptr_array_set_size(pool->devices, 0);
    /* Companions are found on this host again: the definition may come
     * from another host. */
    for (guint i = 0; i < def->devices->len; i++) {
        const GpPoolDevice *d = g_ptr_array_index(def->devices, i);

        if (!d->companion_of)
            g_ptr_array_add(devices, (gpointer)d->address);
    }
    if (devices->len == 0)
        return gp_poolstore_save(pool, error);
    return add_locked(ledger, pool, (const char *const *)devices->pdata, devices->len, def,
                      done, error);
}

/* ---- Removing ------------------------------------------------------------- */

/* A PF leaving a vf pool: its VFs on vfio-pci go back to the host, and
 * VFs gpupool enabled go away. */
typedef struct {
    const GpPoolDevice *member;
    GPtrArray *vfio_vfs;   /* its VFs bound to vfio-pci, new strings */
    guint count;           /* VFs enabled now */
    gboolean disable;      /* write 0 to sriov_numvfs */
    gboolean unbound;      /* done: vfio_vfs left vfio-pci */
    gboolean disabled;     /* done: sriov_numvfs is 0 */
} PfLeave;

static void
pf_leave_free(PfLeave *pl)
{
    g_clear_pointer(&pl->vfio_vfs, g_ptr_array_unref);
    g_free(pl);
}

static gboolean
plan_pf_leave(const GpPoolDevice *member, GPtrArray *notes, PfLeave **out, GError **error)
{
    g_autoptr(GPtrArray) vfs = gp_sriov_vfs(member->address);
    PfLeave *pl;

    *out = NULL;
    pl = g_new0(PfLeave, 1);
    pl->member = member;
    pl->vfio_vfs = g_ptr_array_new_with_free_func(g_free);
    pl->count = vfs->len;
    pl->disable = vfs->len > 0 && member->vfs_origin == GP_POOL_VFS_GPUPOOL;
    for (guint i = 0; i < vfs->len; i++) {
        const char *vf = g_ptr_array_index(vfs, i);
        g_autofree char *now = gp_vfio_current_driver(vf);

        /* VFs a vendor back end keeps on its own driver (NVIDIA vGPU)
         * have nothing to give back. */
        if (g_strcmp0(now, GP_VFIO_DRIVER) != 0)
            continue;
        if (!check_no_vfio_users(vf, notes, error)) {
            pf_leave_free(pl);
            return FALSE;
        }
        g_ptr_array_add(pl->vfio_vfs, g_strdup(vf));
    }
    *out = pl;
    return TRUE;
}

/* Undoes what apply_pf_leaves() did to PLANS, newest first. */
static void
undo_pf_leaves(const GpPool *pool, GPtrArray *plans, GError **error)
{
    for (guint i = plans->len; i > 0; i--) {
        PfLeave *pl = g_ptr_array_index(plans, i - 1);
        g_autoptr(GError) undo = NULL;

        /* Without host drivers probing them: they go to vfio-pci next. */
        if (pl->disabled &&
            !gp_sriov_set_count_unprobed(pl->member->address, pl->count, &undo)) {
            append_undo_failure(error, undo);
            continue;
        }
        /* The same VFs come back at the same addresses. */
        if (pl->unbound &&
            !gp_vfio_bind((const char *const *)pl->vfio_vfs->pdata, pl->vfio_vfs->len, &undo))
            append_undo_failure(error, undo);
        pl->unbound = pl->disabled = FALSE;
    }
}

/* Gives the VFs of each PF back: off vfio-pci (to the driver the kernel
 * picks for them), and disabled where gpupool enabled them.  All or
 * nothing: on failure what was done is undone. */
static gboolean
apply_pf_leaves(const GpPool *pool, GPtrArray *plans, GError **error)
{
    g_autofree char *probe = gp_sysfs_pci_drivers_probe_path();

    for (guint i = 0; i < plans->len; i++) {
        PfLeave *pl = g_ptr_array_index(plans, i);
        g_autofree const char **none = g_new0(const char *, pl->vfio_vfs->len + 1);
        g_autoptr(GError) err = NULL;

        /* As the PF joined: gpupool turns it off only while it makes VFs. */
        gp_sriov_autoprobe_on(pl->member->address);

        if (pl->vfio_vfs->len > 0) {
            if (!gp_vfio_unbind((const char *const *)pl->vfio_vfs->pdata, none,
                                pl->vfio_vfs->len, NULL, &err)) {
                refuse(error, GP_POOL_ERROR_REFUSED, "cannot take the VFs of %s off "
                       "vfio-pci: %s", pl->member->address, err->message);
                undo_pf_leaves(pool, plans, error);
                return FALSE;
            }
            pl->unbound = TRUE;
        }
        if (pl->disable) {
            if (!write_numvfs(pl->member->address, 0, &err)) {
                refuse(error, GP_POOL_ERROR_REFUSED, "cannot disable the VFs of %s "
                       "(writing 0 to sriov_numvfs): %s", pl->member->address, err->message);
                undo_pf_leaves(pool, plans, error);
                return FALSE;
            }
            pl->disabled = TRUE;
            continue;
        }
        /* VFs that stay: let the kernel give them the driver it would
         * have chosen (driver_override is clear again). */
        for (guint j = 0; j < pl->vfio_vfs->len; j++)
            gp_sysfs_write(probe, g_ptr_array_index(pl->vfio_vfs, j), NULL);
    }
    return TRUE;
}

/* What happened to a PF's VFs, for the report. */
static char *
describe_pf_leave(const PfLeave *pl)
{
    const char *pf = pl->member->address;

    if (pl->count == 0)
        return g_strdup_printf("%s: had no VFs enabled", pf);
    if (pl->disabled)
        return g_strdup_printf("%s: its %u VFs, enabled by gpupool, were %sdisabled "
                               "(sriov_numvfs 0)", pf, pl->count,
                               pl->unbound ? "taken off vfio-pci and " : "");
    if (pl->member->vfs_origin == GP_POOL_VFS_HOST)
        return g_strdup_printf("%s: its %u VFs were there before it joined and stay "
                               "enabled%s", pf, pl->count,
                               pl->unbound ? ", taken off vfio-pci" : "");
    return g_strdup_printf("%s: its %u VFs stay enabled%s (the pool does not record that "
                           "gpupool enabled them): disable them with 'echo 0 > "
                           "/sys/bus/pci/devices/%s/sriov_numvfs' if no one needs them",
                           pf, pl->count, pl->unbound ? ", taken off vfio-pci" : "", pf);
}

/* The members of REQUEST and their companions, into LEAVE (borrowed from
 * POOL); refuses a device not in the pool, a companion named alone and a
 * device someone holds. */
static gboolean
plan_leave(GpLedger *ledger, GpPool *pool, GPtrArray *request, GPtrArray *leave,
           GError **error)
{
    GpClaims *claims = gp_ledger_claims(ledger);

    for (guint i = 0; i < request->len; i++) {
        const char *addr = g_ptr_array_index(request, i);
        GpPoolDevice *member = gp_pool_find_device(pool, addr);
        g_autoptr(GPtrArray) companions = NULL;
        const GpClaim *held;

        if (!member)
            return refuse(error, GP_POOL_ERROR_NOT_FOUND,
                          "%s is not in pool '%s': see 'gpupool pool-info %s'",
                          addr, pool->name, pool->name);
        if (member->companion_of)
            return refuse(error, GP_POOL_ERROR_REFUSED,
                          "%s joined pool '%s' with %s and leaves with it: run 'gpupool "
                          "pool-remove %s %s'", addr, pool->name, member->companion_of,
                          pool->name, member->companion_of);
        if ((held = gp_ledger_holder(ledger, addr)))
            return refuse_held(error, addr, held);
        g_ptr_array_add(leave, member);
        companions = gp_pool_companions(pool, addr);
        for (guint j = 0; j < companions->len; j++) {
            GpPoolDevice *c = g_ptr_array_index(companions, j);

            if ((held = gp_claims_find(claims, c->address)))
                return refuse_held(error, c->address, held);
            g_ptr_array_add(leave, c);
        }
    }
    return TRUE;
}

static gboolean
save_without(const GpPool *pool, GPtrArray *leave, GError **error)
{
    g_autoptr(GpPool) updated = gp_pool_copy(pool);

    for (guint i = 0; i < leave->len; i++)
        gp_pool_remove_device(updated, ((GpPoolDevice *)g_ptr_array_index(leave, i))->address);
    return gp_poolstore_save(updated, error);
}

/* pci pool members leave: off vfio-pci, back to the host drivers they
 * had, then out of the pool; bound again if the pool cannot be saved. */
static gboolean
remove_pci_members(const GpPool *pool, GPtrArray *leave, GPtrArray *notes, GError **error)
{
    g_autofree const char **addrs = g_new0(const char *, leave->len + 1);
    g_autofree const char **drivers = g_new0(const char *, leave->len + 1);
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) undo = NULL;
    guint present = 0;

    for (guint i = 0; i < leave->len; i++) {
        const GpPoolDevice *d = g_ptr_array_index(leave, i);
        g_autofree char *dir = gp_sysfs_pci_dev_path(d->address, NULL);
        g_autofree char *now = NULL;

        /* A member that vanished from the host (card pulled) leaves the
         * pool without being unbound: there is nothing to give back. */
        if (!gp_sysfs_is_dir(dir)) {
            g_ptr_array_add(notes, g_strdup_printf("%s is not on this host any more",
                                                   d->address));
            continue;
        }
        now = gp_vfio_current_driver(d->address);
        if (g_strcmp0(now, GP_VFIO_DRIVER) == 0 &&
            !check_no_vfio_users(d->address, notes, error))
            return FALSE;
        addrs[present] = d->address;
        drivers[present] = d->host_driver;
        present++;
    }
    if (!gp_vfio_unbind(addrs, drivers, present, notes, &err))
        return rewrap(error, err, GP_POOL_ERROR_REFUSED);
    if (save_without(pool, leave, error))
        return TRUE;
    if (!gp_vfio_bind(addrs, present, &undo))
        append_undo_failure(error, undo);
    return FALSE;
}

/* vf and mdev pool members leave; a PF's VFs go back to the host first
 * (PF_LEAVES gets what happened to them) and return if the pool cannot
 * be saved. */
static gboolean
remove_partitioned_members(const GpPool *pool, GPtrArray *leave, GPtrArray *pf_leaves,
                           GPtrArray *notes, GError **error)
{
    if (pool->type == GP_POOL_TYPE_VF) {
        for (guint i = 0; i < leave->len; i++) {
            PfLeave *pl;

            if (!plan_pf_leave(g_ptr_array_index(leave, i), notes, &pl, error))
                return FALSE;
            g_ptr_array_add(pf_leaves, pl);
        }
        if (!apply_pf_leaves(pool, pf_leaves, error))
            return FALSE;
    }
    if (save_without(pool, leave, error))
        return TRUE;
    undo_pf_leaves(pool, pf_leaves, error);
    return FALSE;
}

static void
report_removed(const GpPool *pool, GPtrArray *leave, GPtrArray *pf_leaves, GPtrArray *done)
{
    for (guint i = 0; i < leave->len; i++) {
        const GpPoolDevice *d = g_ptr_array_index(leave, i);
        g_autofree char *now = NULL;

        if (pool->type != GP_POOL_TYPE_PCI) {
            g_ptr_array_add(done, g_strdup_printf("%s: removed from pool '%s'",
                                                  d->address, pool->name));
            if (pool->type == GP_POOL_TYPE_VF)
                g_ptr_array_add(done, describe_pf_leave(g_ptr_array_index(pf_leaves, i)));
            continue;
        }
        now = gp_vfio_current_driver(d->address);
        g_ptr_array_add(done, g_strdup_printf("%s: removed from pool '%s', %s%s",
                                              d->address, pool->name,
                                              now ? "back on " : "left without a driver",
                                              now ? now : ""));
    }
}

gboolean
gp_poolhost_remove(const char *name, const char *const *devices, guint n,
                   GPtrArray *done, GError **error)
{
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GPtrArray) request = NULL;
    g_autoptr(GPtrArray) leave = g_ptr_array_new();  /* GpPoolDevice*, borrowed */
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) pf_leaves = g_ptr_array_new_with_free_func((GDestroyNotify)pf_leave_free);
    gboolean removed;

    pool = lock_and_load(name, &ledger, error);
    if (!pool)
        return FALSE;
    request = canonical_request(pool, devices, n, error);
    if (!request || !plan_leave(ledger, pool, request, leave, error))
        return FALSE;
    if (pool->type == GP_POOL_TYPE_PCI)
        removed = remove_pci_members(pool, leave, notes, error);
    else
        removed = remove_partitioned_members(pool, leave, pf_leaves, notes, error);
    if (!removed)
        return FALSE;
    if (done) {
        report_removed(pool, leave, pf_leaves, done);
        add_notes(done, notes);
    }
    return TRUE;
}

gboolean
gp_poolhost_undefine(const char *name, GError **error)
{
    g_autoptr(GpLedger) ledger = NULL;
    g_autoptr(GpPool) pool = NULL;
    GPtrArray *all;

    pool = lock_and_load(name, &ledger, error);
    if (!pool)
        return FALSE;
    all = gp_claims_all(gp_ledger_claims(ledger));
    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = g_ptr_array_index(all, i);

        if (strcmp(c->pool, name) == 0)
            return refuse(error, GP_POOL_ERROR_REFUSED,
                          "pool '%s' is in use: domain '%s' (%s) holds %s; stop it first "
                          "('virsh shutdown %s')", name, c->domain_name, c->domain_uuid,
                          c->device, c->domain_name);
    }
    if (pool->devices->len > 0) {
        g_autoptr(GString) list = g_string_new(NULL);

        for (guint i = 0; i < pool->devices->len; i++) {
            const GpPoolDevice *d = g_ptr_array_index(pool->devices, i);

            if (!d->companion_of)
                g_string_append_printf(list, " %s", d->address);
        }
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "pool '%s' still has devices: remove its devices first with "
                      "'gpupool pool-remove %s%s'", name, name, list->str);
    }
    return gp_poolstore_delete(name, error);
}

/* ---- Boot ------------------------------------------------------------------ */

static void
setup_pci(const GpPool *pool, GPtrArray *done, GPtrArray *failed)
{
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *d = g_ptr_array_index(pool->devices, i);
        g_autoptr(GPtrArray) companions = NULL;
        g_autoptr(GPtrArray) addrs = g_ptr_array_new();
        g_autoptr(GError) err = NULL;
        gboolean already = TRUE;

        if (d->companion_of)
            continue;
        g_ptr_array_add(addrs, (gpointer)d->address);
        companions = gp_pool_companions(pool, d->address);
        for (guint j = 0; j < companions->len; j++) {
            const GpPoolDevice *c = g_ptr_array_index(companions, j);

            g_ptr_array_add(addrs, (gpointer)c->address);
        }
        for (guint j = 0; j < addrs->len; j++) {
            g_autofree char *now = gp_vfio_current_driver(g_ptr_array_index(addrs, j));

            already = already && g_strcmp0(now, GP_VFIO_DRIVER) == 0;
        }
        if (!gp_vfio_bind((const char *const *)addrs->pdata, addrs->len, &err)) {
            g_ptr_array_add(failed, g_strdup_printf("pool '%s': %s", pool->name,
                                                    err->message));
            continue;
        }
        g_ptr_array_add(done, g_strdup_printf("pool '%s': %s%s %s", pool->name, d->address,
                                              companions->len ? " and its companions" : "",
                                              already ? "already on vfio-pci"
                                                      : "bound to vfio-pci"));
    }
}

/* A PF of vf pool POOL whose VF count is not the pool's (partition-set
 * killed between the host and the pool file, or an admin's echo) gets
 * the pool's, but only when none of its VFs is held by a claim or open
 * through VFIO: changing the count destroys every VF. */
static gboolean
may_reset_vf_count(GpLedger *ledger, const GpPool *pool, const char *pf, GError **error)
{
    const GpClaim *held = gp_ledger_holder(ledger, pf);
    g_autoptr(GPtrArray) vfs = NULL;

    if (held)
        return refuse(error, GP_POOL_ERROR_REFUSED,
                      "pool '%s': %s has another VF count than the pool's %u, and domain "
                      "'%s' holds %s: stop it, then run 'gpupool setup' again", pool->name, pf,
                      pool->vf_count, held->domain_name, held->device);
    vfs = gp_sriov_vfs(pf);
    for (guint i = 0; i < vfs->len; i++)
        if (!check_no_vfio_users(vfs->pdata[i], NULL, error))
            return FALSE;
    return TRUE;
}

/* vf and mdev pools: the recorded partitioning, through the back end
 * that partitions each member.  A PF whose VFs exist in another number
 * gets the pool's only when no domain holds any of them. */
static void
setup_partitioned(GpLedger *ledger, const GpPool *pool, GPtrArray *done, GPtrArray *failed)
{
    for (guint i = 0; i < pool->devices->len; i++) {
        const GpPoolDevice *d = g_ptr_array_index(pool->devices, i);
        g_autoptr(GError) err = NULL;
        gboolean change = FALSE;

        if (!applies_partitioning(pool)) {
            g_ptr_array_add(done, g_strdup_printf("pool '%s': %s has no partitioning to apply",
                                                  pool->name, d->address));
            continue;
        }
        if (pool->type == GP_POOL_TYPE_MDEV) {
            g_autofree char *parent = gp_sysfs_mdev_parent_path(d->address, NULL);

            if (!gp_sysfs_is_dir(parent)) {
                g_ptr_array_add(failed, g_strdup_printf("pool '%s': %s offers no mediated "
                                                        "devices (not in /sys/class/mdev_bus): "
                                                        "load its vGPU or mdev driver",
                                                        pool->name, d->address));
                continue;
            }
        } else if (!plan_vf_count(pool, d->address, &change, &err)) {
            g_clear_error(&err);
            if (!may_reset_vf_count(ledger, pool, d->address, &err)) {
                g_ptr_array_add(failed, g_strdup(err->message));
                continue;
            }
            change = TRUE;
        }
        if (!gp_partition_setup_member(pool, d->address, &err)) {
            g_ptr_array_add(failed, g_strdup_printf("pool '%s': %s", pool->name, err->message));
            continue;
        }
        /* Off only while VFs are made (host/sriov.h): a command killed
         * then left it off. */
        if (pool->type == GP_POOL_TYPE_VF && gp_sriov_autoprobe_on(d->address))
            g_ptr_array_add(done, g_strdup_printf("pool '%s': %s sriov_drivers_autoprobe "
                                                  "back on (an interrupted command left it "
                                                  "off)", pool->name, d->address));
        if (pool->type == GP_POOL_TYPE_MDEV)
            g_ptr_array_add(done, g_strdup_printf("pool '%s': %s offers %s", pool->name,
                                                  d->address, pool->mdev_type));
        else if (pool->vf_profile)
            g_ptr_array_add(done, g_strdup_printf("pool '%s': %s VFs set up with profile %s",
                                                  pool->name, d->address, pool->vf_profile));
        else
            g_ptr_array_add(done, g_strdup_printf("pool '%s': %s %s %u VFs", pool->name,
                                                  d->address, change ? "enabled" : "has",
                                                  pool->vf_count));
    }
}

gboolean
gp_poolhost_setup(GPtrArray *done, GPtrArray *failed, GError **error)
{
    g_autoptr(GpLedger) ledger = open_ledger(error);
    g_autoptr(GPtrArray) pools = NULL;
    g_autoptr(GPtrArray) kept = NULL;
    guint failures;

    if (!ledger)
        return FALSE;
    pools = gp_poolstore_list(error);
    if (!pools)
        return FALSE;
    failures = failed->len;
    for (guint i = 0; i < pools->len; i++) {
        const GpPool *pool = g_ptr_array_index(pools, i);

        switch (pool->type) {
        case GP_POOL_TYPE_PCI:
            setup_pci(pool, done, failed);
            break;
        case GP_POOL_TYPE_VF:
        case GP_POOL_TYPE_MDEV:
            setup_partitioned(ledger, pool, done, failed);
            break;
        }
    }
    /* What killed commands left behind, as far as it can be told without
     * asking libvirt which domains run: claims are dropped only when what
     * they hold is gone (the rebalance drops those of domains that do not
     * run), and at boot there are none, /run being empty. */
    kept = g_ptr_array_new_with_free_func(g_free);
    if (gp_reconcile_host(ledger, NULL, NULL, done, kept) > 0) {
        g_autoptr(GError) err = NULL;

        if (!gp_ledger_save(ledger, &err))
            g_ptr_array_add(failed, g_strdup(err->message));
    }
    for (guint i = 0; i < kept->len; i++)
        g_ptr_array_add(done, g_strdup_printf("note: %s", (char *)kept->pdata[i]));
    return failed->len == failures;
}
