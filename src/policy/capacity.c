/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a pool can give: capacity, held and free. */
#include "config.h"

#include "policy/capacity.h"

#include <string.h>

#include "policy/quarantine.h"

GpMemberFacts *
gp_member_facts_new(const char *address)
{
    GpMemberFacts *facts = g_new0(GpMemberFacts, 1);

    facts->address = g_strdup(address);
    facts->room = -1;
    return facts;
}

static void
vf_facts_free(GpVfFacts *vf)
{
    g_free(vf->address);
    g_free(vf);
}

void
gp_member_facts_free(GpMemberFacts *facts)
{
    if (!facts)
        return;
    g_free(facts->address);
    g_clear_pointer(&facts->vfs, g_ptr_array_unref);
    g_free(facts->problem);
    g_free(facts);
}

void
gp_member_facts_add_vf(GpMemberFacts *facts, const char *address, gboolean ready)
{
    GpVfFacts *vf = g_new0(GpVfFacts, 1);

    if (!facts->vfs)
        facts->vfs = g_ptr_array_new_with_free_func((GDestroyNotify)vf_facts_free);
    vf->address = g_strdup(address);
    vf->ready = ready;
    g_ptr_array_add(facts->vfs, vf);
}

static void
member_capacity_free(GpMemberCapacity *row)
{
    g_free(row->address);
    g_free(row->problem);
    g_free(row);
}

void
gp_pool_capacity_free(GpPoolCapacity *cap)
{
    if (!cap)
        return;
    g_free(cap->pool);
    g_ptr_array_unref(cap->rows);
    g_ptr_array_unref(cap->free_units);
    g_ptr_array_unref(cap->holders);
    g_free(cap);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Does CLAIM of the pool hold a unit of member FACTS? */
static gboolean
claim_is_on(const GpPool *pool, const GpClaim *claim, const GpMemberFacts *facts)
{
    switch (pool->type) {
    case GP_POOL_TYPE_PCI:
        return strcmp(claim->device, facts->address) == 0;
    case GP_POOL_TYPE_MDEV:
        return g_strcmp0(claim->parent, facts->address) == 0;
    case GP_POOL_TYPE_VF:
        for (guint i = 0; facts->vfs && i < facts->vfs->len; i++) {
            const GpVfFacts *vf = facts->vfs->pdata[i];

            if (strcmp(vf->address, claim->device) == 0)
                return TRUE;
        }
        return FALSE;
    }
    return FALSE;
}

/* The free units of a member: pci, the member itself; vf, its unclaimed
 * ready VFs, no more than ROOM allows; mdev, a count only. */
static guint
member_free(const GpPool *pool, const GpMemberFacts *facts, guint held, GpClaims *claims,
            GPtrArray *units)
{
    guint n = 0;

    if (!facts->present || gp_quarantine_applies(pool->type, facts->health))
        return 0;
    switch (pool->type) {
    case GP_POOL_TYPE_PCI:
        if (held || !facts->ready)
            return 0;
        g_ptr_array_add(units, g_strdup(facts->address));
        return 1;
    case GP_POOL_TYPE_VF:
        for (guint i = 0; facts->vfs && i < facts->vfs->len; i++) {
            const GpVfFacts *vf = facts->vfs->pdata[i];

            if (facts->room >= 0 && n >= (guint64)facts->room)
                break;
            if (!vf->ready || gp_claims_find(claims, vf->address))
                continue;
            g_ptr_array_add(units, g_strdup(vf->address));
            n++;
        }
        return n;
    case GP_POOL_TYPE_MDEV:
        return facts->room > 0 ? (guint)facts->room : 0;
    }
    return 0;
}

GpPoolCapacity *
gp_capacity_of(const GpPool *pool, GPtrArray *facts, GpClaims *claims)
{
    GpPoolCapacity *cap = g_new0(GpPoolCapacity, 1);
    GPtrArray *all = gp_claims_all(claims);

    cap->pool = g_strdup(pool->name);
    cap->type = pool->type;
    cap->known = pool->type != GP_POOL_TYPE_MDEV || pool->mdev_type != NULL;
    cap->rows = g_ptr_array_new_with_free_func((GDestroyNotify)member_capacity_free);
    cap->free_units = g_ptr_array_new_with_free_func(g_free);
    cap->holders = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < all->len; i++) {
        const GpClaim *c = all->pdata[i];

        if (strcmp(c->pool, pool->name) != 0)
            continue;
        cap->held++;
        if (!g_ptr_array_find_with_equal_func(cap->holders, c->domain_name, g_str_equal, NULL))
            g_ptr_array_add(cap->holders, g_strdup(c->domain_name));
    }
    g_ptr_array_sort(cap->holders, compare_strings);

    for (guint i = 0; i < facts->len; i++) {
        const GpMemberFacts *f = facts->pdata[i];
        GpMemberCapacity *row = g_new0(GpMemberCapacity, 1);

        row->address = g_strdup(f->address);
        row->problem = g_strdup(f->problem);
        row->vfs = f->vfs ? f->vfs->len : 0;
        row->quarantined = gp_quarantine_applies(pool->type, f->health);
        cap->quarantined += row->quarantined ? 1 : 0;
        for (guint j = 0; j < all->len; j++) {
            const GpClaim *c = all->pdata[j];

            if (strcmp(c->pool, pool->name) == 0 && claim_is_on(pool, c, f))
                row->held++;
        }
        if (cap->known)
            row->free = member_free(pool, f, row->held, claims, cap->free_units);
        row->capacity = row->held + row->free;
        cap->members++;
        cap->free += row->free;
        g_ptr_array_add(cap->rows, row);
    }
    /* Held units count while held, on whichever device. */
    cap->capacity = cap->held + cap->free;
    g_ptr_array_sort(cap->free_units, compare_strings);
    return cap;
}

const GpMemberCapacity *
gp_pool_capacity_row(const GpPoolCapacity *cap, const char *address)
{
    for (guint i = 0; i < cap->rows->len; i++) {
        const GpMemberCapacity *row = cap->rows->pdata[i];

        if (strcmp(row->address, address) == 0)
            return row;
    }
    return NULL;
}

char *
gp_pool_capacity_free_text(const GpPoolCapacity *cap)
{
    /* One line must stay readable on a host with hundreds of devices. */
    const guint shown_max = 8;
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < cap->free_units->len && i < shown_max; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (const char *)cap->free_units->pdata[i]);
    if (cap->free_units->len > shown_max)
        g_string_append_printf(s, " and %u more", cap->free_units->len - shown_max);
    return g_string_free(s, FALSE);
}

char *
gp_pool_capacity_holders_text(const GpPoolCapacity *cap)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < cap->holders->len; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (const char *)cap->holders->pdata[i]);
    return g_string_free(s, FALSE);
}
