/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handing pool devices to domains: claim, reconnect, re-point. */
#include "config.h"

#include "policy/alloc.h"

#include <string.h>

#include "policy/mmio.h"
#include "policy/quarantine.h"

G_DEFINE_QUARK(gp-alloc-error-quark, gp_alloc_error)

guint64
gp_alloc_window_need(GPtrArray *devices)
{
    guint64 total = 0;

    for (guint i = 0; i < devices->len; i++) {
        const GpDomainDevice *dev = devices->pdata[i];

        total += gp_mmio_device_footprint(dev->bars);
    }
    return total;
}

/* Why DEV, as probed, is not a device POOL may hand out, without the
 * fix ("0000:41:00.0 is not a device of pool 'gpus' on this host"), and
 * *CODE: NOT_MEMBER or NOT_READY; NULL if it may be.  *COMPANION_OF:
 * the member a companion goes with. */
static char *
member_problem(const GpPool *pool, const GpDomainDevice *dev, GpAllocError *code,
               const char **companion_of)
{
    const GpPoolDevice *member = NULL;

    *code = GP_ALLOC_ERROR_NOT_MEMBER;
    *companion_of = NULL;
    if (pool->type == GP_POOL_TYPE_PCI && gp_quarantine_applies(pool->type, dev->health) &&
        (member = gp_pool_find_device(pool, dev->device)) && !member->companion_of) {
        g_autofree char *why = gp_quarantine_reason(pool->type, pool->name, dev->device,
                                                    dev->health);

        *code = GP_ALLOC_ERROR_QUARANTINED;
        return g_strdup_printf("%s of pool '%s' is %s", dev->device, pool->name, why);
    }
    if (!dev->present)
        return g_strdup_printf("device %s of pool '%s' does not exist on this host",
                               dev->device, pool->name);
    switch (pool->type) {
    case GP_POOL_TYPE_PCI:
        member = gp_pool_find_device(pool, dev->device);
        if (member && member->companion_of) {
            *companion_of = member->companion_of;
            return g_strdup_printf("%s of pool '%s' goes with %s and is never handed out on "
                                   "its own", dev->device, pool->name, member->companion_of);
        }
        break;
    case GP_POOL_TYPE_VF:
    case GP_POOL_TYPE_MDEV:
        if (dev->parent)
            member = gp_pool_find_device(pool, dev->parent);
        break;
    }
    if (!member)
        return g_strdup_printf("%s is not a device of pool '%s' on this host", dev->device,
                               pool->name);
    /* A VF or an mdev of a member that broke: the member is quarantined. */
    if (pool->type != GP_POOL_TYPE_PCI && gp_quarantine_applies(pool->type, dev->parent_health)) {
        g_autofree char *why = gp_quarantine_reason(pool->type, pool->name, dev->parent,
                                                    dev->parent_health);

        *code = GP_ALLOC_ERROR_QUARANTINED;
        return g_strdup_printf("%s of pool '%s' is on %s, which is %s", dev->device,
                               pool->name, dev->parent, why);
    }
    if (pool->type != GP_POOL_TYPE_MDEV && g_strcmp0(dev->driver, "vfio-pci") != 0 &&
        !dev->driver_stays) {
        *code = GP_ALLOC_ERROR_NOT_READY;
        return g_strdup_printf("%s of pool '%s' is bound to %s, not vfio-pci", dev->device,
                               pool->name, dev->driver ? dev->driver : "no driver");
    }
    return NULL;
}

/* Is DEV, as probed, a device POOL may hand out?  The refusal names the
 * fix an admin makes by hand. */
static gboolean
check_member(const GpPool *pool, const GpDomainDevice *dev, const char *dom_name,
             GError **error)
{
    GpAllocError code;
    const char *companion_of;
    g_autofree char *what = member_problem(pool, dev, &code, &companion_of);

    if (!what)
        return TRUE;
    if (code == GP_ALLOC_ERROR_QUARANTINED)
        /* The reason carries its fix. */
        g_set_error(error, GP_ALLOC_ERROR, code, "%s: %s", dom_name, what);
    else if (code == GP_ALLOC_ERROR_NOT_READY)
        g_set_error(error, GP_ALLOC_ERROR, code, "%s: %s: run 'gpupool setup' to bind the "
                    "pool's devices again", dom_name, what);
    else if (!dev->present)
        g_set_error(error, GP_ALLOC_ERROR, code, "%s: %s: run 'gpupool rebalance' to re-point "
                    "%s to a device of this host", dom_name, what, dom_name);
    else
        g_set_error(error, GP_ALLOC_ERROR, code, "%s: %s: run 'gpupool unassign %s' and "
                    "'gpupool assign %s --pool %s'", dom_name, what, dom_name, dom_name,
                    pool->name);
    return FALSE;
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
check_window(const GpDomain *dom, GError **error)
{
    guint64 need = gp_alloc_window_need(dom->devices);
    guint64 have = dom->pcihole64 ? dom->pcihole64 : GP_ALLOC_DEFAULT_HOLE64;
    const GpDomainDevice *big = NULL;
    guint64 big_size = 0;
    g_autofree char *have_s = NULL;
    g_autofree char *need_s = NULL;
    g_autofree char *suggest = NULL;

    if (need <= have)
        return TRUE;
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
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
                dom->name, have_s, dom->pcihole64 ? "" : " (QEMU's default)",
                big->device, dom->devices->len > 1 ? " and the other devices" : "",
                need_s, dom->name, big->pool, suggest);
    return FALSE;
}

static const GpPool *
pool_of(GHashTable *pools, const GpDomainDevice *dev, const char *dom_name, GError **error)
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
gp_alloc_check_per_domain(const GpDomain *dom, GHashTable *pools, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
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

gboolean
gp_alloc_claim(GpClaims *claims, GHashTable *pools, const GpDomain *dom,
               const GpDomainDevice **refused, GError **error)
{
    if (refused)
        *refused = NULL;
    /* Decide everything first, then add: all or nothing. */
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = pool_of(pools, dev, dom->name, error);
        const GpClaim *held;

        if (!pool || !check_member(pool, dev, dom->name, error))
            return FALSE;
        for (guint j = 0; j < i; j++) {
            const GpDomainDevice *other = dom->devices->pdata[j];

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
        if (held && !gp_claim_is_domains(held, dom->uuid, dom->name)) {
            g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_HELD,
                        "%s of pool '%s' is held by domain '%s'",
                        dev->device, pool->name, held->domain_name);
            if (refused)
                *refused = dev;
            return FALSE;
        }
    }
    if (!check_window(dom, error))
        return FALSE;
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        const char *parent = pool->type == GP_POOL_TYPE_MDEV ? dev->parent : NULL;

        /* Checked above: cannot fail now. */
        if (!gp_claims_add(claims, dev->device, dev->pool, dom->uuid, dom->name,
                           parent, error)) {
            gp_claims_drop_domain(claims, dom->uuid, dom->name);
            return FALSE;
        }
    }
    return TRUE;
}

void
gp_alloc_explain_held(GError **error, const char *free_text)
{
    gboolean any = free_text && *free_text;

    char *old;

    if (!error || !*error)
        return;  /* the caller did not ask why */
    old = (*error)->message;
    (*error)->message = g_strdup_printf(
        "%s; free: %s; %s", old, any ? free_text : "none",
        any ? "run 'gpupool rebalance' or start the domain again in a moment"
            : "stop a domain of the pool or add devices with 'gpupool pool-add'");
    g_free(old);
}

gboolean
gp_alloc_check_copies(const GpDomain *dom, GHashTable *pools, GpClaims *claims,
                      GpAllocRepoint who, GError **error)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        const GpClaim *held;
        g_autofree char *holder = NULL;
        g_autofree char *fix = NULL;

        if (!pool || pool->type != GP_POOL_TYPE_MDEV ||
            gp_domain_mdev_slot(dom->uuid, pool->name, dev->device) >= 0)
            continue;
        held = gp_claims_find(claims, dev->device);
        if (held && !gp_claim_is_domains(held, dom->uuid, dom->name))
            holder = g_strdup_printf(", '%s', which holds it", held->domain_name);
        if (who == GP_ALLOC_REPOINT_STARTED)
            fix = g_strdup_printf("%s is being re-pointed to its own mdev: start it again in "
                                  "a moment", dom->name);
        else
            fix = g_strdup_printf("run 'gpupool rebalance' to give %s its own mdev",
                                  dom->name);
        g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_COPIED,
                    "%s: mdev %s of pool '%s' was made for another domain%s (this definition "
                    "is a copy of that domain's); %s", dom->name, dev->device, pool->name,
                    holder ? holder : "", fix);
        return FALSE;
    }
    return TRUE;
}

const GpDomainDevice *
gp_alloc_refused_device(GpClaims *claims, GHashTable *pools, const GpDomain *dom)
{
    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        const GpClaim *held = gp_claims_find(claims, dev->device);
        GpAllocError code;
        const char *companion_of;
        g_autofree char *what = NULL;

        if (!pool)
            return NULL;
        what = member_problem(pool, dev, &code, &companion_of);
        if (what)
            return code == GP_ALLOC_ERROR_NOT_MEMBER || code == GP_ALLOC_ERROR_QUARANTINED
                   ? dev : NULL;
        if (held && !gp_claim_is_domains(held, dom->uuid, dom->name))
            return dev;
    }
    return NULL;
}

void
gp_alloc_explain_refusal(GError **error, const GpDomain *dom, const GpDomainDevice *dev,
                         GHashTable *pools, const char *free_text, gboolean repointable,
                         GpAllocRepoint who)
{
    const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
    GpAllocError code;
    const char *companion_of;
    g_autofree char *what = NULL;
    char *old;

    if (!error || !*error || !pool)
        return;
    if (g_error_matches(*error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_HELD)) {
        if (!repointable || who == GP_ALLOC_REPOINT_ADVISE) {
            gp_alloc_explain_held(error, free_text);
            return;
        }
        old = (*error)->message;
        (*error)->message = g_strdup_printf("%s; free: %s; %s is being re-pointed to a free "
                                            "device of pool '%s': start it again in a moment",
                                            old, free_text, dom->name, pool->name);
        g_free(old);
        return;
    }
    if (!repointable || (!g_error_matches(*error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_MEMBER) &&
                         !g_error_matches(*error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_QUARANTINED)))
        return;
    what = member_problem(pool, dev, &code, &companion_of);
    if (!what)
        return;
    old = (*error)->message;
    if (who == GP_ALLOC_REPOINT_STARTED)
        (*error)->message = g_strdup_printf("%s: %s; %s is being re-pointed to a free device "
                                            "of pool '%s': start it again in a moment",
                                            dom->name, what, dom->name, pool->name);
    else
        (*error)->message = g_strdup_printf("%s: %s: run 'gpupool rebalance' to re-point %s "
                                            "to a free device of pool '%s'", dom->name, what,
                                            dom->name, pool->name);
    g_free(old);
}

guint
gp_alloc_release(GpClaims *claims, const char *dom_uuid, const char *dom_name)
{
    return gp_claims_drop_domain(claims, dom_uuid, dom_name);
}

guint
gp_alloc_reconnect(GpClaims *claims, GHashTable *pools, const GpDomain *dom,
                   GPtrArray *warnings)
{
    guint added = 0;

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
        const GpPool *pool = g_hash_table_lookup(pools, dev->pool);
        const GpClaim *held = gp_claims_find(claims, dev->device);
        g_autoptr(GError) err = NULL;

        if (held && gp_claim_is_domains(held, dom->uuid, dom->name))
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
            !g_error_matches(err, GP_ALLOC_ERROR, GP_ALLOC_ERROR_NOT_READY) &&
            !g_error_matches(err, GP_ALLOC_ERROR, GP_ALLOC_ERROR_QUARANTINED)) {
            /* Bound elsewhere or not, broken or not: the guest has it, so
             * record it; but a device outside the pool is not ours to
             * record. */
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

GPtrArray *
gp_alloc_stale_domains(GpClaims *claims, GHashTable *running)
{
    GPtrArray *stale = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *all = gp_claims_all(claims);

    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];
        g_autofree char *lower = g_ascii_strdown(c->domain_uuid, -1);

        if (!g_hash_table_contains(running, c->domain_uuid) &&
            !g_hash_table_contains(running, lower) &&
            !g_ptr_array_find_with_equal_func(stale, c->domain_uuid, g_str_equal, NULL))
            g_ptr_array_add(stale, g_strdup(c->domain_uuid));
    }
    return stale;
}

GPtrArray *
gp_alloc_repoint_needs(GpClaims *claims, GHashTable *pools, const GpDomain *dom,
                       GError **error)
{
    g_autoptr(GPtrArray) needs = g_ptr_array_new();
    /* Devices this domain keeps, so two of its devices never meet. */
    g_autoptr(GHashTable) kept = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];
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
            (!held || gp_claim_is_domains(held, dom->uuid, dom->name)) &&
            !g_hash_table_contains(kept, dev->device))
            g_hash_table_add(kept, dev->device);
        else
            g_ptr_array_add(needs, (gpointer)dev);
    }
    return g_steal_pointer(&needs);
}

GHashTable *
gp_alloc_repoint(const GpDomain *dom, GPtrArray *needs, GHashTable *free_units,
                 GError **error)
{
    g_autoptr(GHashTable) changes = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                           g_free, g_free);
    g_autoptr(GHashTable) taken = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < dom->devices->len; i++) {
        const GpDomainDevice *dev = dom->devices->pdata[i];

        if (!g_ptr_array_find(needs, dev, NULL))
            g_hash_table_add(taken, dev->device);
    }
    for (guint i = 0; i < needs->len; i++) {
        const GpDomainDevice *dev = needs->pdata[i];
        GPtrArray *units = g_hash_table_lookup(free_units, dev->pool);
        const char *pick = NULL;

        for (guint j = 0; units && j < units->len && !pick; j++) {
            if (!g_hash_table_contains(taken, units->pdata[j]))
                pick = units->pdata[j];
        }
        if (!pick) {
            g_set_error(error, GP_ALLOC_ERROR, GP_ALLOC_ERROR_EXHAUSTED,
                        "%s: pool '%s' has no free device on this host for %s: "
                        "stop a domain of the pool or add devices with 'gpupool pool-add %s'",
                        dom->name, dev->pool, dev->alias, dev->pool);
            return NULL;
        }
        g_hash_table_insert(changes, g_strdup(dev->alias), g_strdup(pick));
        g_hash_table_add(taken, (gpointer)pick);
    }
    return g_steal_pointer(&changes);
}
