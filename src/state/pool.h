/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A pool definition: a named set of host devices of one kind, stored as
 * CONFDIR/pools/NAME.xml (schema xml/pool.rng).  The same name on every
 * host of a cluster makes a cluster-wide pool. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GP_POOL_ERROR gp_pool_error_quark()
GQuark gp_pool_error_quark(void);

typedef enum {
    GP_POOL_ERROR_INVALID,    /* bad name, bad XML, schema violation */
    GP_POOL_ERROR_NOT_FOUND,  /* no such pool */
    GP_POOL_ERROR_EXISTS,     /* pool or member already there */
    GP_POOL_ERROR_REFUSED,    /* the host or the state forbids it */
    GP_POOL_ERROR_IO,
} GpPoolError;

typedef enum {
    GP_POOL_TYPE_PCI,   /* whole devices, passed through with vfio-pci */
    GP_POOL_TYPE_MDEV,  /* mediated devices of one type on listed parents */
    GP_POOL_TYPE_VF,    /* SR-IOV virtual functions of listed physical functions */
} GpPoolType;

const char *gp_pool_type_to_string(GpPoolType type);
gboolean gp_pool_type_from_string(const char *str, GpPoolType *type);

typedef enum {
    GP_POOL_VFS_UNKNOWN = 0,
    GP_POOL_VFS_GPUPOOL,  /* the PF had no VFs when it joined */
    GP_POOL_VFS_HOST,     /* its VFs were there before it joined */
} GpPoolVfOrigin;

typedef struct {
    /* Canonical PCI address (pci: the device; mdev: a parent; vf: a PF).
     * An mdev parent that is not a PCI device (the kernel's mbochs sample)
     * is named as it appears under class/mdev_bus.  The strings live in
     * the member's own block (gp_pool_add_device()) and never change. */
    const char *address;
    const char *host_driver;  /* driver it had before joining, given back on removal; NULL if none */
    /* pci pools: another endpoint of the IOMMU group that joined with the
     * device named here (a GPU's HDMI audio, a second GPU behind the same
     * switch port without ACS).  It is bound
     * and given back with that device and never handed out on its own. */
    const char *companion_of;
    /* vf pools: whether the PF's VFs were enabled by gpupool (so they go
     * when it leaves) or already there; UNKNOWN in definitions written
     * before gpupool recorded it, which leaves them as they are. */
    GpPoolVfOrigin vfs_origin;
    /* In its pool's member_block rather than a block of its own. */
    gboolean in_block;
} GpPoolDevice;

typedef struct {
    char *name;
    GpPoolType type;
    char *description;  /* may be NULL */
    char *mdev_type;    /* mdev pools: the type every partition has, NULL until set */
    guint vf_count;     /* vf pools: VFs to enable per PF (0 = leave as is) */
    /* vf pools: the vendor profile set on each VF when a domain starts
     * (NVIDIA's vGPU type ID), NULL = none.  Set by gpupool partition-set. */
    char *vf_profile;
    /* vf pools with a profile: partitions of it each PF holds, as
     * partition-set measured it on the idle device (0: not known).  A busy
     * NVIDIA GPU only says whether one more fits. */
    guint vf_per_device;
    /* mdev and vf pools: partitions one domain may hold (0 = one), set by
     * gpupool partition-set --per-domain. */
    guint per_domain;
    GPtrArray *devices; /* GpPoolDevice*, sorted by address */
    /* The members read from the stored file, with their strings, in one
     * allocation (pool.c), or NULL. */
    gpointer member_block;
} GpPool;

void gp_pool_device_free(GpPoolDevice *dev);
void gp_pool_free(GpPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpPool, gp_pool_free)

/* Names are 1..64 characters of [A-Za-z0-9_.-], not starting with '.' or
 * '-': they become file names and appear in domain XML. */
gboolean gp_pool_name_check(const char *name, GError **error);

GpPool *gp_pool_new(const char *name, GpPoolType type, GError **error);
/* Validates against the RelaxNG schema, then checks names and addresses. */
GpPool *gp_pool_parse_xml(const char *xml, gsize len, GError **error);
/* The same for a stored pool file (CONFDIR/pools, read by the hook on
 * every domain start): the schema's rules are checked by hand, which
 * refuses the same definitions at a fraction of the cost. */
GpPool *gp_pool_parse_stored_xml(const char *xml, gsize len, GError **error);
char *gp_pool_format_xml(const GpPool *pool);

GpPoolDevice *gp_pool_find_device(const GpPool *pool, const char *address);

/* vfs-enabled-by as written in a definition: "gpupool", "host", or absent
 * (NULL, UNKNOWN). */
const char *gp_pool_vf_origin_to_string(GpPoolVfOrigin origin);
GpPoolVfOrigin gp_pool_vf_origin_from_string(const char *str);

/* Longest description a pool may carry. */
#define GP_POOL_DESCRIPTION_MAX 1024
/* NULL clears it; refuses control characters and overlong text. */
gboolean gp_pool_set_description(GpPool *pool, const char *description, GError **error);
/* Most partitions of one pool a domain may hold (GP_DOMXML_MAX_COUNT). */
#define GP_POOL_PER_DOMAIN_MAX 64
/* mdev type ids as sysfs names them ("nvidia-63", "mbochs-small"). */
gboolean gp_pool_mdev_type_check(const char *type, GError **error);

/* A member address as the admin typed it, in canonical form: a PCI
 * address, or for mdev pools also a non-PCI parent's name. */
char *gp_pool_canonical_member(GpPoolType type, const char *address, GError **error);

/* Adds a member, keeping devices sorted; ADDRESS must be canonical.
 * GP_POOL_ERROR_EXISTS if it is already a member. */
gboolean gp_pool_add_device(GpPool *pool, const char *address, const char *host_driver,
                            const char *companion_of, GError **error);
/* FALSE if ADDRESS is not a member. */
gboolean gp_pool_remove_device(GpPool *pool, const char *address);
/* Members that are companions of ADDRESS, borrowed pointers in a new array. */
GPtrArray *gp_pool_companions(const GpPool *pool, const char *address);
/* A deep copy, so a command can change a pool and still compare or roll back. */
GpPool *gp_pool_copy(const GpPool *pool);

G_END_DECLS
