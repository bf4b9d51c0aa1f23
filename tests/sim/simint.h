/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of the simulated sysfs, shared by the builder (libgpsim) and
 * the simulated kernel (also built as the LD_PRELOAD object, which must not
 * depend on libgpupool).
 *
 * The simulator keeps no state in memory: the sysfs tree itself plus the
 * key files under BASE/sim are the state, so the test process and any
 * child running with the preload see one and the same host.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "sim.h"

G_BEGIN_DECLS

/* Kernel resource flags (include/linux/ioport.h) as printed in the
 * "resource" attribute, plus the raw BAR low bits libpci takes from it. */
#define SIM_IORESOURCE_IO 0x100
#define SIM_IORESOURCE_MEM 0x200
#define SIM_IORESOURCE_PREFETCH 0x2000
#define SIM_IORESOURCE_READONLY 0x4000
#define SIM_IORESOURCE_SIZEALIGN 0x40000
#define SIM_IORESOURCE_MEM_64 0x100000
#define SIM_BAR_IO_SPACE 0x1
#define SIM_BAR_MEM_64 0x4
#define SIM_BAR_MEM_PREFETCH 0x8

/* Lines of the "resource" attribute: 6 BARs, ROM, 6 SR-IOV BARs, then
 * 4 bridge windows on bridges only. */
#define SIM_RES_ROM 6
#define SIM_RES_IOV 7
#define SIM_RES_BRIDGE 13
#define SIM_RES_COUNT 17

typedef struct {
    guint64 start;
    guint64 size;   /* 0: unused */
    guint64 flags;
} SimRes;

/* One simulated host, found from BASE. */
typedef struct {
    char *base;      /* BASE */
    char *root;      /* BASE/sys */
    char *meta;      /* BASE/sim */
    GKeyFile *host;  /* BASE/sim/host.ini: IOMMU, address allocators */
} SimCtx;

/* ---- simfs.c: files, links, paths ---- */
ssize_t sim_real_write(int fd, const void *buf, size_t count);
void sim_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
gboolean sim_put(const char *path, const void *data, gsize len);
gboolean sim_putf(const char *path, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
gboolean sim_mkdir(const char *path);
/* A relative symlink at LINK pointing to TARGET (both absolute), as the
 * kernel makes them. */
gboolean sim_symlink(const char *link, const char *target);
gboolean sim_rm_rf(const char *path);
char *sim_get(const char *path); /* contents, NULL if unreadable */
/* Physical (link-free) path under ROOT of ROOT-relative REL, or NULL. */
char *sim_resolve(SimCtx *ctx, const char *rel);
gboolean sim_exists(const char *path);

/* ---- simctx.c: host and per-object metadata ---- */
SimCtx *sim_ctx_open(const char *base);
/* The host the environment (GPUPOOL_SYSFS_ROOT) points at, or NULL if it
 * is not a simulated one. */
SimCtx *sim_ctx_from_env(void);
gboolean sim_ctx_save(SimCtx *ctx);
void sim_ctx_free(SimCtx *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimCtx, sim_ctx_free)
gboolean sim_ctx_iommu(SimCtx *ctx);
/* Next free IOMMU group number; creates kernel/iommu_groups/N. */
int sim_group_new(SimCtx *ctx);
void sim_group_join(SimCtx *ctx, int group, const char *dev_dir);
void sim_group_leave(SimCtx *ctx, const char *dev_dir);
/* Address space for a BAR in a PCI domain, aligned to ALIGN (a power of
 * two: the BAR size, or the per-VF size for SR-IOV BARs). */
typedef enum {
    SIM_SPACE_MEM32, /* non-prefetchable BARs, 32- or 64-bit: below 4 GiB */
    SIM_SPACE_MEM64, /* 64-bit prefetchable BARs */
    SIM_SPACE_IO,
} SimSpace;
guint64 sim_alloc_mmio(SimCtx *ctx, guint domain, guint64 size, guint64 align, SimSpace space);
SimSpace sim_bar_space(const GpSimBar *bar);
/* BASE/sim/KIND/NAME.ini; load returns an empty key file if missing. */
GKeyFile *sim_meta_load(SimCtx *ctx, const char *kind, const char *name);
gboolean sim_meta_save(SimCtx *ctx, const char *kind, const char *name, GKeyFile *kf);
void sim_meta_remove(SimCtx *ctx, const char *kind, const char *name);

/* ---- simconfig.c: config space and resource ---- */
typedef struct {
    GpSimPciSpec spec;        /* strings borrowed */
    guint domain, bus, slot, function;
    SimRes res[SIM_RES_COUNT];
    gboolean is_vf;
} SimPci;

gboolean sim_pci_is_bridge(GpSimPciKind kind);
gboolean sim_pci_is_express(GpSimPciKind kind);
GBytes *sim_config_build(const SimPci *dev);
char *sim_resource_format(const SimPci *dev);
guint64 sim_bar_flags(const GpSimBar *bar);
/* Patch the SR-IOV control/NumVFs of a PF's config file. */
gboolean sim_config_set_numvfs(const char *config_path, guint16 numvfs);

/* ---- simpci.c: PCI functions ---- */
/* Creates DEV's directory under PARENT_DIR (absolute) and its links;
 * GROUP: -1 new group (if the IOMMU is on), else join.  Returns the
 * device dir or NULL. */
char *sim_pci_create(SimCtx *ctx, SimPci *dev, const char *parent_dir, int group);
/* Removes a PCI function: driver, group, bus link, directory. */
gboolean sim_pci_remove(SimCtx *ctx, const char *addr);
/* Driver-side: link DEV to driver NAME (which must exist). */
gboolean sim_pci_link_driver(SimCtx *ctx, const char *addr, const char *driver);
gboolean sim_pci_unlink_driver(SimCtx *ctx, const char *addr);
/* Bound driver name or NULL. */
char *sim_pci_driver(SimCtx *ctx, const char *addr);
/* Physical directory of a PCI device, or NULL. */
char *sim_pci_dir(SimCtx *ctx, const char *addr);
gboolean sim_driver_exists(SimCtx *ctx, const char *driver);
gboolean sim_driver_create(SimCtx *ctx, const char *driver);
gboolean sim_parse_addr(const char *addr, guint *domain, guint *bus, guint *slot,
                        guint *function);

/* ---- simkernel.c: reactions; return 0 or a positive errno ---- */
int sim_kernel_bind(SimCtx *ctx, const char *driver, const char *addr);
int sim_kernel_unbind(SimCtx *ctx, const char *driver, const char *addr);
int sim_kernel_probe(SimCtx *ctx, const char *addr);
/* Make sure the interposer is linked into a test binary. */
void sim_kernel_init(void);

/* ---- simhotplug.c: a device leaving the bus, coming back, dying ---- */
/* DEV_DIR's "remove" attribute (absolute directory of the function). */
int sim_pci_hot_remove(SimCtx *ctx, const char *dev_dir, const char *value);
/* bus/pci/rescan: every removed function whose parent is there again. */
int sim_pci_rescan(SimCtx *ctx, const char *value);
/* Config space reads all-ones from now on. */
int sim_pci_set_dead(SimCtx *ctx, const char *addr);

/* ---- simsriov.c ---- */
int sim_sriov_set_numvfs(SimCtx *ctx, const char *pf_addr, const char *value);
void sim_sriov_refresh_numvfs(SimCtx *ctx, const char *pf_addr);
guint sim_sriov_numvfs(SimCtx *ctx, const char *pf_dir);

/* ---- simmdev.c ---- */
int sim_mdev_create(SimCtx *ctx, const char *parent_dir, const char *type,
                    const char *value);
int sim_mdev_remove(SimCtx *ctx, const char *mdev_dir, const char *value);
void sim_mdev_refresh(SimCtx *ctx, const char *parent_name, const char *parent_dir);
/* DIR absolute; DRIVER: the PCI driver that must hold the parent for its
 * types to show, NULL for a virtual parent. */
void sim_mdev_define_parent(SimCtx *ctx, const char *name, const char *dir, const char *driver,
                            guint64 capacity, gboolean homogeneous);
gboolean sim_mdev_define_type(SimCtx *ctx, const char *parent, const char *type,
                              const char *name, const char *description,
                              const char *device_api, guint64 cost, guint max);

/* ---- simfixtures.c: building blocks of the fixtures ---- */
/* A new host with the IOMMU on or off and DRIVERS (NULL-terminated)
 * registered. */
GpSim *sim_fixture_new(gboolean iommu, const char *const *drivers);
/* The BAR layout every NVIDIA GPU in the fixtures shares: 16 MiB of
 * registers in BAR0, the APERTURE in BAR1 and 32 MiB in BAR3, both 64-bit
 * prefetchable.  BARS has room for 6. */
void sim_fixture_nvidia_bars(GpSimBar *bars, guint64 aperture);

/* ---- simvgpu.c ---- */
void sim_vgpu_define(SimCtx *ctx, const char *pf_addr, guint64 capacity, gboolean homogeneous);
void sim_vgpu_define_type(SimCtx *ctx, const char *pf_addr, guint id, const char *name,
                          guint64 cost);
int sim_vgpu_set_type(SimCtx *ctx, const char *vf_dir, const char *value);
void sim_vgpu_refresh(SimCtx *ctx, const char *pf_addr);
void sim_vgpu_refresh_vf(SimCtx *ctx, const char *vf_dir);

G_END_DECLS
