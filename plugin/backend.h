/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device back ends: how one kind of device is partitioned.
 *
 * One narrow ops table (GpBackendOps) that every back end implements, and
 * a registry that picks, for each device, the back end that knows it best.
 * Like the access methods of pciutils, the caller never knows which one
 * answered: the core and the CLI ask gp_backend_for() and call the ops.
 *
 * Built in, compiled into the core library:
 *   pci   the whole device, not partitioned (any PCI device)
 *   mdev  mediated devices of a parent's mdev_supported_types
 *   vf    SR-IOV virtual functions (sriov_totalvfs / sriov_numvfs)
 * Loadable modules from GPUPOOL_PLUGINDIR (default $(pkglibdir)), so a
 * vendor back end can be packaged on its own:
 *   nvidia-vgpu      NVIDIA vGPU on SR-IOV VFs (per-VF vGPU type files)
 *   intel-xe-sriov   Intel SR-IOV GPUs (per-VF provisioning, sriov_admin/)
 *
 * A module is a shared object exporting one symbol,
 * gp_backend_module_init (type GpBackendModuleInit), that checks the ABI
 * version and returns its ops table.  Built-in or module, a back end
 * reaches the host only through the GpBackendHost table its init function
 * is given, so every back end sees the same sysfs door (and the same
 * simulated host in tests) as the core does, and this header is all of
 * gpupool a back end includes.  The registry that picks a back end per
 * device is the core's: src/host/backends.h.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bumped whenever GpBackendOps, GpBackendHost or the structures below
 * change shape. */
#define GP_BACKEND_ABI 2

#define GP_BACKEND_ERROR gp_backend_error_quark()
GQuark gp_backend_error_quark(void);

typedef enum {
    GP_BACKEND_ERROR_UNSUPPORTED,  /* the device cannot do what was asked */
    GP_BACKEND_ERROR_INVALID,      /* a count or profile the device does not offer */
    GP_BACKEND_ERROR_NO_CAPACITY,  /* no room left for another partition */
    GP_BACKEND_ERROR_BUSY,         /* partitions are in use, or a handle is open */
    GP_BACKEND_ERROR_IO,           /* the kernel refused a step */
    GP_BACKEND_ERROR_MODULE,       /* a module could not be loaded */
} GpBackendError;

/* How a partition reaches a domain. */
typedef enum {
    GP_PART_KIND_WHOLE = 0,  /* the device itself: <hostdev type='pci'> */
    GP_PART_KIND_MDEV,       /* a mediated device: <hostdev type='mdev'> by UUID */
    GP_PART_KIND_VF,         /* a virtual function: <hostdev type='pci'> by address */
} GpPartKind;

const char *gp_part_kind_to_string(GpPartKind kind);

/* One kind of partition a device offers.  Numbers the device does not
 * tell are 0 ("unknown"), never guessed. */
typedef struct {
    char *id;             /* what --profile takes: "nvidia-222", "1155" */
    char *name;           /* "GRID T4-1Q"; never NULL (the id if nothing better) */
    char *description;    /* as the device words it, may be NULL */
    guint64 vram;         /* framebuffer bytes per instance */
    guint encoders;       /* video encode engines per instance */
    guint decoders;       /* video decode engines per instance */
    guint compute;        /* compute units (SMs, EUs, CUs) per instance */
    guint max_instances;  /* instances on an otherwise unused device */
    guint available;      /* instances that can be created now */
    guint in_use;         /* instances that exist now */
} GpPartProfile;

GpPartProfile *gp_part_profile_new(const char *id, const char *name);
void gp_part_profile_free(GpPartProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpPartProfile, gp_part_profile_free)

/* What a device says about its partitioning, read in one pass so that the
 * numbers agree with each other. */
typedef struct {
    char *device;          /* PCI address, or an mdev parent's name */
    const char *backend;   /* name of the back end that answered (static) */
    GpPartKind kind;
    GPtrArray *profiles;   /* GpPartProfile*, in the device's order */
    GArray *valid_counts;  /* guint, ascending; empty: not partitionable */
    guint count;           /* partitions the device is set up for now (0: none) */
    guint in_use;          /* partitions that exist or are configured now */
    char *profile;         /* id of the profile in use; NULL: none or mixed */
    guint64 vram_total;    /* bytes; 0 unknown */
    guint64 vram_free;     /* bytes not given to partitions; 0 with vram_total 0 */
} GpPartInfo;

GpPartInfo *gp_part_info_new(const char *device);
void gp_part_info_free(GpPartInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpPartInfo, gp_part_info_free)
/* Adds COUNT to valid_counts, keeping it sorted and without duplicates. */
void gp_part_info_add_count(GpPartInfo *info, guint count);
gboolean gp_part_info_has_count(const GpPartInfo *info, guint count);
/* valid_counts as "1, 2, 4" (a new string, empty if there are none). */
char *gp_part_info_counts_text(const GpPartInfo *info);
/* Once the profiles are complete: when the instances that exist are all
 * of one profile, that profile and its max_instances become the device's
 * profile and count; with none or a mix, both are left as they are. */
void gp_part_info_set_current(GpPartInfo *info);
GpPartProfile *gp_part_info_find_profile(const GpPartInfo *info, const char *id);

/* One partition handed to a domain: what its <hostdev> needs. */
typedef struct {
    GpPartKind kind;
    char *parent;      /* the device it lives on (mdev parent, PF) */
    char *uuid;        /* mdev: its UUID */
    char *address;     /* vf: the VF's PCI address; whole: the device */
    char *profile;     /* profile id set on it, NULL if none */
    /* TRUE when the partition stays bound to its vendor driver rather
     * than vfio-pci (NVIDIA's vGPU VFs): the domain gets it as
     * <hostdev managed='no'> and nobody rebinds it. */
    gboolean host_driver_stays;
} GpPartition;

GpPartition *gp_partition_new(GpPartKind kind, const char *parent);
void gp_partition_free(GpPartition *part);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpPartition, gp_partition_free)

/* Probe scores: a vendor back end outranks the generic one it builds on,
 * which outranks the whole device. */
enum {
    GP_BACKEND_SCORE_NONE = 0,
    GP_BACKEND_SCORE_WHOLE = 10,
    GP_BACKEND_SCORE_GENERIC = 50,
    GP_BACKEND_SCORE_VENDOR = 100,
};

typedef struct {
    guint abi;             /* GP_BACKEND_ABI */
    const char *name;      /* "mdev", "nvidia-vgpu" */
    const char *summary;   /* one line for `gpupool partitions` */
    GpPartKind kind;
    /* TRUE when the partitions stay bound to the vendor driver instead of
     * vfio-pci (NVIDIA's vGPU VFs). */
    gboolean driver_stays;

    /* How well this back end knows DEVICE: GP_BACKEND_SCORE_*; NONE if
     * not at all.  Reads sysfs only; never fails. */
    int (*probe)(const char *device);

    /* Profiles, valid counts, current count and profile, VRAM. */
    gboolean (*describe)(const char *device, GpPartInfo *info, GError **error);

    /* Set DEVICE up for COUNT partitions (0: the back end's choice for
     * PROFILE) of PROFILE (NULL: the back end's choice for COUNT).
     * Refuses what the device does not offer with
     * GP_BACKEND_ERROR_INVALID and changes nothing then.  The caller has
     * made sure no partition is in use. */
    gboolean (*configure)(const char *device, guint count, const char *profile,
                          GError **error);

    /* Make one partition of PROFILE ready for a domain.  PART comes
     * filled with what the caller chose (mdev: uuid; vf: address) and is
     * completed (parent, profile, host_driver_stays).  Idempotent: a
     * partition that is already what was asked for is fine.
     * GP_BACKEND_ERROR_NO_CAPACITY when DEVICE has no room, so the caller
     * can try another device of the pool. */
    gboolean (*prepare)(const char *device, const char *profile, GpPartition *part,
                        GError **error);

    /* Give PART's capacity back.  Tolerates a partition that is already
     * gone; GP_BACKEND_ERROR_BUSY if it is still in use. */
    gboolean (*release)(const char *device, const GpPartition *part, GError **error);
} GpBackendOps;

/* What the core lends a loadable back end.  The core's own back ends call
 * the same functions directly. */
typedef struct {
    guint abi;
    GQuark error_domain;   /* GP_BACKEND_ERROR */
    /* The domain of the sysfs functions' errors, whose codes are errno
     * values (EBUSY, ENOSPC, ...). */
    GQuark sysfs_error_domain;
    /* The sysfs door (src/base/sysfs.h). */
    char *(*sysfs_read)(const char *rel, GError **error);
    gboolean (*sysfs_read_u64)(const char *rel, guint64 *value, GError **error);
    gboolean (*sysfs_write)(const char *rel, const char *value, GError **error);
    GPtrArray *(*sysfs_list)(const char *rel, GError **error);
    char *(*sysfs_link_name)(const char *rel, GError **error);
    gboolean (*sysfs_exists)(const char *rel);
    gboolean (*sysfs_is_dir)(const char *rel);
    char *(*sysfs_link_parent_name)(const char *rel, GError **error);
    char *(*sysfs_pci_dev_path)(const char *addr, const char *attr);
    char *(*sysfs_mdev_type_path)(const char *parent, const char *type, const char *attr);
    char *(*sysfs_mdev_dev_path)(const char *uuid, const char *attr);
    /* The generic SR-IOV back end, to build on. */
    const GpBackendOps *vf;
    /* Enabled VFs of PF, in VF order (virtfn0, virtfn1, ..., virtfn10);
     * never NULL. */
    GPtrArray *(*vf_list)(const char *pf);
    /* VF numbers are 1-based, as in the SR-IOV specification; 0 if ADDRESS
     * is not a VF of PF. */
    guint (*vf_number)(const char *pf, const char *address);
    /* Sets sriov_numvfs to COUNT (through 0 when it changes), leaving the
     * VFs on the driver the kernel gives them. */
    gboolean (*vf_set_count)(const char *pf, guint count, GError **error);
    /* The same without host drivers probing the new VFs while they appear
     * (they go to vfio-pci next). */
    gboolean (*vf_set_count_unprobed)(const char *pf, guint count, GError **error);
    /* vfio-pci binding, all or nothing (src/host/vfio.h). */
    gboolean (*vfio_is_loaded)(void);
    char *(*vfio_current_driver)(const char *address);
    gboolean (*vfio_bind)(const char *const *addresses, guint n, GError **error);
    /* FALSE with GP_BACKEND_ERROR_BUSY naming the processes when a VFIO
     * handle on ADDRESS is still open.  When the check cannot be made (not
     * root), TRUE with *NOTE saying why (NOTE may be NULL). */
    gboolean (*vfio_check_unused)(const char *address, char **note, GError **error);
} GpBackendHost;

/* The one symbol a module exports.  Returns NULL, with an error, if ABI
 * is not the version the module was built for. */
typedef const GpBackendOps *(*GpBackendModuleInit)(const GpBackendHost *host, guint abi,
                                                   GError **error);
#define GP_BACKEND_MODULE_INIT_SYMBOL "gp_backend_module_init"

/* ---- The built-in back ends ---------------------------------------------- */

/* Each has the shape of a module's entry point; the registry calls them
 * with the same host table. */
const GpBackendOps *gp_backend_pci_init(const GpBackendHost *host, guint abi, GError **error);
const GpBackendOps *gp_backend_mdev_init(const GpBackendHost *host, guint abi, GError **error);
const GpBackendOps *gp_backend_vf_init(const GpBackendHost *host, guint abi, GError **error);

/* ---- Helpers shared by the back ends ------------------------------------ */

/* Parse a framebuffer size out of a vendor's profile name or description:
 * "GRID T4-4Q" -> 4 GiB, "NVIDIA L40S-12Q" -> 12 GiB, "framebuffer=1024M"
 * -> 1 GiB, "64 MB memory" -> 64 MiB.  0 if the text tells none. */
guint64 gp_backend_parse_vram(const char *text);

G_END_DECLS
