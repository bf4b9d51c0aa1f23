/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A simulated sysfs that the unit tests build and that reacts like the
 * kernel.
 *
 * gp_sim_new() makes a temporary BASE directory:
 *
 *   BASE/sys   the sysfs root (GPUPOOL_SYSFS_ROOT), laid out like /sys:
 *              devices/pci0000:00/0000:00:01.0/0000:01:00.0/..., relative
 *              links in bus/pci/devices, bus/pci/drivers/NAME,
 *              kernel/iommu_groups/N, class/iommu, class/mdev_bus,
 *              bus/mdev/devices.
 *   BASE/sim   what only the simulated kernel knows (native drivers, VF
 *              templates, mdev capacities); gpupool never looks there.
 *   BASE/etc/gpupool, BASE/run/gpupool
 *              GPUPOOL_CONFDIR and GPUPOOL_STATEDIR.
 *   BASE/run/log
 *              GPUPOOL_SYSLOG_SOCKET: where gpupool's system log lines
 *              go; nothing listens there unless a test binds it, so
 *              tests never write to the machine's log.
 *
 * and points the process at it: it sets those four environment variables
 * and calls gp_sysfs_set_root().  libpci reads the tree when given
 * "sysfs.path" = gp_sim_root(sim) + "/bus/pci".
 *
 * Kernel reactions: a test binary that links
 *   tests/sim/libgpsim.la src/libgpupool.la $(GP_CORE_LIBS) $(CRITERION_LIBS)
 * gets a write() that, for regular files under GPUPOOL_SYSFS_ROOT,
 * does what the kernel does: bind/unbind move the driver links,
 * drivers_probe honours driver_override, sriov_numvfs creates VFs, mdev
 * create/remove add and remove devices and move available_instances,
 * NVIDIA's per-VF current_vgpu_type takes a vGPU type.  A failing write
 * returns -1 with the kernel's errno and leaves the file as it was (except
 * a read-only attribute, which the writer's O_TRUNC has emptied where the
 * kernel would have refused the open).
 * Child processes get the same reactions through LD_PRELOAD of
 * tests/sim/.libs/libgpsim-preload.so; gp_sim_run() sets that up.
 * Only write(2) reacts: stdio (whose flushes use libc's internal write),
 * pwrite and writev reach the files unseen, so gpupool must write sysfs
 * through gp_sysfs_write().  Anything the simulator cannot make sense of
 * is logged to stderr with a "gpsim:" prefix, never ignored silently.
 *
 * The reactions, in the kernel's order of checks:
 *   drivers/D/bind ADDR      ENODEV: no such device, or D does not match it
 *                            (a device matches its native driver, a driver
 *                            that got its ID through new_id, and, when
 *                            driver_override is set, only that driver);
 *                            EBUSY: the device already has a driver;
 *                            EINVAL: vfio-pci's probe of a device without
 *                            an IOMMU group.  A device bound to vfio-pci
 *                            has vfio-dev/vfioN (and class/vfio-dev/vfioN).
 *   drivers/D/unbind ADDR    ENODEV unless bound to D.  A PF's driver
 *                            disables its VFs first; an mdev parent's
 *                            driver takes its mdevs and types with it (they
 *                            come back when the native driver binds).
 *   drivers/D/new_id "V D"   adds a dynamic ID (EEXIST twice) and binds
 *                            unbound matching devices; remove_id undoes it.
 *   drivers_probe ADDR       ENODEV for no such device; binds an unbound
 *                            device to its driver_override driver, or, with
 *                            none set, to its native driver; an override
 *                            naming a driver that is not loaded leaves it
 *                            unbound (and the write succeeds), and so does
 *                            a failing probe (vfio-pci without IOMMU).
 *   driver_override          stores the name; "" or "\n" shows "(null)".
 *   sriov_numvfs N           EINVAL not a number, ERANGE N > totalvfs,
 *                            ENOENT PF unbound or bound to vfio-pci (whose
 *                            enable_sriov is off by default), EBUSY VFs
 *                            enabled and N is another non-zero count.  VFs
 *                            get directories next to the PF, physfn/virtfnN
 *                            links, their own group, the NumVFs/VF Enable
 *                            bits in the PF's config, and their driver if
 *                            sriov_drivers_autoprobe is 1.  As on hardware,
 *                            a VF's config space reads 0xffff for vendor and
 *                            device ID and 0 for its BARs; the vendor/device
 *                            files and resource give the real values.
 *   TYPE/create UUID         EINVAL malformed, EEXIST duplicate, ENOSPC no
 *                            capacity.  The mdev gets mdev_type, remove,
 *                            an iommu_group of its own (vfio's emulated
 *                            IOMMU, with or without a host IOMMU) and a
 *                            driver link to bus/mdev/drivers/vfio_mdev.
 *   UUID/remove 1            removes it ("0" does nothing, else EINVAL).
 *   a zero-length write      returns 0 and changes nothing, as sysfs does.
 *   read-only attributes     (vendor, class, resource, available_instances,
 *                            creatable_vgpu_types, ...) fail with EACCES;
 *                            the kernel fails their open() already.
 * Other writes under the root (numa_node, sriov_drivers_autoprobe, config)
 * just store the value (text ones with a newline, as the kernel shows them).
 *
 * Firmware-like resources: BARs get naturally aligned addresses per PCI
 * domain (non-prefetchable ones below 4 GiB, 64-bit prefetchable ones
 * above), and every upstream bridge's I/O, memory and prefetchable windows
 * cover what lies behind it (config registers and resource lines 13-15).
 *
 * Hosts are built in GPSIM_TMPDIR if set, else on /dev/shm when it is a
 * tmpfs, else in TMPDIR.
 *
 * Builder functions set up a host; a mistake in a fixture (a parent that
 * does not exist, a duplicate address) is a bug in the test, so they abort
 * with a "gpsim:" message rather than return an error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GpSim GpSim;

/* ---- The simulated host ------------------------------------------------ */

/* An empty host: no devices, no drivers, IOMMU off, empty
 * kernel/iommu_groups, bus/pci/drivers_probe present. */
GpSim *gp_sim_new(void);
/* Removes BASE and unsets the environment gp_sim_new() set. */
void gp_sim_free(GpSim *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpSim, gp_sim_free)

const char *gp_sim_base(GpSim *sim);     /* BASE */
const char *gp_sim_root(GpSim *sim);     /* BASE/sys */
const char *gp_sim_confdir(GpSim *sim);  /* BASE/etc/gpupool */
const char *gp_sim_statedir(GpSim *sim); /* BASE/run/gpupool */
const char *gp_sim_syslog(GpSim *sim);   /* BASE/run/log */
/* Absolute path of REL under the sysfs root. */
char *gp_sim_path(GpSim *sim, const char *rel);

/* An IOMMU (Intel VT-d): class/iommu/dmar0, devices get an "iommu" link and
 * new devices get IOMMU groups.  Call before adding devices. */
void gp_sim_set_iommu(GpSim *sim, gboolean on);

/* A loaded PCI driver: bus/pci/drivers/NAME/{bind,unbind,new_id,remove_id,
 * uevent}.  Idempotent. */
void gp_sim_add_driver(GpSim *sim, const char *name);
/* Unload: devices bound to it are unbound first (as rmmod does), then its
 * directory goes away.  Builds a host "where vfio-pci is not loaded". */
void gp_sim_remove_driver(GpSim *sim, const char *name);

/* ---- PCI devices ------------------------------------------------------- */

typedef enum {
    GP_SIM_PCIE_ENDPOINT = 0,  /* PCI Express endpoint (GPUs, NICs) */
    GP_SIM_PCIE_RC_INTEGRATED, /* Root complex integrated endpoint (iGPU) */
    GP_SIM_PCI_ENDPOINT,       /* conventional PCI: no PCIe capability */
    GP_SIM_PCIE_ROOT_PORT,     /* type 1 header, PCIe root port */
    GP_SIM_PCIE_UPSTREAM_PORT, /* type 1 header, switch upstream port */
    GP_SIM_PCIE_DOWNSTREAM_PORT,
    GP_SIM_PCIE_TO_PCI_BRIDGE, /* type 1 header, PCIe-to-PCI bridge */
    GP_SIM_PCI_BRIDGE,         /* type 1 header, conventional PCI-to-PCI */
} GpSimPciKind;

typedef struct {
    guint64 size;          /* 0: BAR unused */
    gboolean is_64bit;     /* takes this slot and the next (which stays 0) */
    gboolean prefetchable;
    gboolean io;           /* I/O port BAR (is_64bit/prefetchable ignored) */
} GpSimBar;

/* Leave a field 0/NULL for its default. */
typedef struct {
    const char *addr;        /* "0000:01:00.0" */
    const char *parent;      /* upstream bridge address; NULL: on the root
                              * bus, under devices/pciDDDD:BB */
    GpSimPciKind kind;
    guint16 vendor, device;
    guint16 subsystem_vendor, subsystem_device;
    guint32 class_code;      /* 24 bits: 0x030200 */
    guint8 revision;
    GpSimBar bars[6];
    guint64 rom_size;
    int numa_node;           /* 0 means node 0; use -1 for "no node" */
    gboolean boot_vga;       /* boot_vga exists only for VGA class (0x0300xx),
                              * as in the kernel; this is its value */
    gboolean multifunction;  /* header type bit 7 */
    const char *driver;      /* native driver; NULL: none matches */
    gboolean unbound;        /* TRUE: leave unbound even if the driver exists */
    /* IOMMU group (only when the IOMMU is on): NULL gives a new group;
     * otherwise the address of an existing device whose group it joins. */
    const char *group_with;
    /* Bridges: secondary bus (required), subordinate bus (0: secondary);
     * the bridges above raise their subordinate bus to cover it. */
    guint8 secondary_bus, subordinate_bus;
    /* PCIe link: speed 1..5 (2.5..32 GT/s), width; 0: gen4 x16 for
     * endpoints and ports. */
    guint8 link_speed, link_width;
    /* reset_method as the kernel shows it: NULL, "flr bus" for PCI
     * Express endpoints, "bus" for conventional ones behind a bridge,
     * none on a root bus; "" for none: reset_method and reset are then
     * missing, as the kernel hides them from a function it cannot reset. */
    const char *reset_method;

    /* SR-IOV physical function: total_vfs > 0 adds the SR-IOV extended
     * capability and sriov_* attributes. */
    guint16 total_vfs;
    guint16 vf_device;       /* VF device ID */
    guint16 vf_offset;       /* first VF offset (routing ID), default 1 */
    guint16 vf_stride;       /* default 1 */
    const char *vf_driver;   /* VF native driver; NULL: none */
    GpSimBar vf_bars[6];     /* per-VF BAR sizes */
} GpSimPciSpec;

/* Creates the device: its directory under the parent bridge, attributes,
 * config space, resource, links; binds it to its native driver if that
 * driver is registered and spec->unbound is FALSE.  Returns the IOMMU
 * group number, or -1 when the IOMMU is off. */
int gp_sim_add_pci(GpSim *sim, const GpSimPciSpec *spec);

/* Shortcuts for fixtures: a PCIe root port at ADDR on the root bus with
 * its own group, secondary bus SECONDARY, driver pcieport. */
void gp_sim_add_root_port(GpSim *sim, const char *addr, guint8 secondary);

/* A device that breaks or vanishes.  gp_sim_pci_remove() writes 1 to its
 * "remove" (the driver lets go, the directory, links and IOMMU group go;
 * the function is kept aside, a PF with VFs or a bridge with devices
 * behind it is refused with EINVAL); gp_sim_pci_rescan() writes 1 to
 * bus/pci/rescan, which brings every removed function back in a new
 * IOMMU group, without driver_override, probed by its native driver.
 * gp_sim_pci_set_dead() makes its config space read all-ones, as a
 * device that fell off the link does (vendor, device and the other
 * attributes keep what the kernel read at enumeration).  FALSE with
 * errno set on failure. */
gboolean gp_sim_pci_remove(GpSim *sim, const char *addr);
gboolean gp_sim_pci_rescan(GpSim *sim);
gboolean gp_sim_pci_set_dead(GpSim *sim, const char *addr);

/* ---- Mediated devices -------------------------------------------------- */

/* Capacity in units of the parent's choosing (MiB of framebuffer for
 * NVIDIA and mbochs).  Each type costs COST units; its available_instances
 * is min(max_instances, free / cost) (max_instances 0: no limit of its
 * own).  HOMOGENEOUS parents (NVIDIA vGPU
 * before SR-IOV) show 0 for every other type once one type has an
 * instance. */
void gp_sim_add_mdev_parent_pci(GpSim *sim, const char *addr, guint64 capacity,
                                gboolean homogeneous);
/* A parent that is not a PCI device, like the kernel's mbochs sample:
 * devices/virtual/CLASS/NAME with class/CLASS/NAME and class/mdev_bus/NAME
 * links.  gpupool finds every mdev parent, PCI or not, under
 * class/mdev_bus/NAME and should address a non-PCI one by NAME ("mbochs");
 * PCI parents appear there under their address. */
void gp_sim_add_mdev_parent_virtual(GpSim *sim, const char *klass, const char *name,
                                    guint64 capacity, gboolean homogeneous);
/* PARENT is the PCI address or the virtual parent's NAME.  TYPE is the
 * sysfs type id ("nvidia-63", "mbochs-1"); NAME its "name" attribute
 * ("GRID T4-1Q"); DEVICE_API "vfio-pci". */
void gp_sim_add_mdev_type(GpSim *sim, const char *parent, const char *type,
                          const char *name, const char *description,
                          const char *device_api, guint64 cost,
                          guint max_instances);
/* Creates an mdev the way "echo UUID > .../TYPE/create" does; FALSE with
 * errno set as the kernel would (EINVAL, EEXIST, ENOSPC). */
gboolean gp_sim_create_mdev(GpSim *sim, const char *parent, const char *type,
                            const char *uuid);

/* ---- NVIDIA vGPU on SR-IOV virtual functions (Ada, Hopper) ------------- */

/* The PF's framebuffer, shared by the vGPUs of its VFs.  Once VFs exist and
 * are bound to nvidia, each has nvidia/creatable_vgpu_types:
 *
 *   ID    : vGPU Name
 *   1155  : NVIDIA L40S-1Q
 *
 * and nvidia/current_vgpu_type ("0" when none).  Writing a creatable ID to
 * current_vgpu_type takes that type (EINVAL if not creatable now, EBUSY if
 * the VF already has a type); writing 0 frees it.  The lists shrink as the
 * framebuffer fills; HOMOGENEOUS: only the type in use stays creatable. */
void gp_sim_set_vgpu_capacity(GpSim *sim, const char *pf_addr, guint64 capacity,
                              gboolean homogeneous);
void gp_sim_add_vgpu_type(GpSim *sim, const char *pf_addr, guint id,
                          const char *name, guint64 cost);

/* ---- Acting on the host ------------------------------------------------ */

/* One write of VALUE to REL through the simulated kernel, as gpupool would
 * do it; FALSE with errno set on failure. */
gboolean gp_sim_write(GpSim *sim, const char *rel, const char *value);
/* Contents of REL, trailing newline stripped; NULL if missing. */
char *gp_sim_read(GpSim *sim, const char *rel);
/* Name of the driver bound to a PCI device, NULL if unbound. */
char *gp_sim_driver(GpSim *sim, const char *addr);
/* IOMMU group number of a device, -1 if none. */
int gp_sim_iommu_group(GpSim *sim, const char *addr);

/* Deterministic dump of everything under the sysfs root: sorted paths,
 * directories, link targets, text contents, binary files as size and
 * SHA-256.  Equal snapshots mean nothing changed on the host. */
char *gp_sim_snapshot(GpSim *sim);

/* Runs ARGV with the sim's environment and the preload object.  argv[0]
 * "gpupool" means the built binary ($top_builddir/src/gpupool); anything
 * else is run as given (searched in PATH).  OUT and ERR get the output
 * (either may be NULL), STATUS the exit status (or 128+signal).  FALSE,
 * with a "gpsim:" message, only if the process could not be started. */
gboolean gp_sim_run(GpSim *sim, const char *const *argv, char **out, char **err,
                    int *status);
/* Paths gp_sim_run() uses. */
char *gp_sim_gpupool_path(void);
/* BUILDDIR/hooks/gpupool-hook: the hook as libvirt runs it. */
char *gp_sim_hook_path(void);
char *gp_sim_preload_path(void);

/* ---- Fixtures ---------------------------------------------------------- */

/* (a) Datacenter: IOMMU on; drivers nvidia, ast, igb, pcieport, vfio-pci.
 *   0000:00:01.0 root port (group 0) -> 0000:41:00.0 A100 10de:20b5 class 0x030200,
 *     nvidia, numa 0, group 1; BAR0 16M 32-bit, BAR1 128G 64-bit pref,
 *     BAR3 32M 64-bit pref
 *   0000:00:02.0 root port (group 2) -> 0000:81:00.0 second A100, numa 1, group 3
 *   0000:00:03.0 root port (group 4) -> 0000:02:00.0 PCIe-to-PCI bridge
 *     (group 5) -> 0000:03:00.0 ASPEED 1a03:2000 class 0x030000, ast,
 *     boot_vga 1, conventional PCI, shares group 5 with the bridge
 *   0000:00:1c.0 root port (group 6) -> 0000:04:00.0 Intel I210 8086:1533,
 *     igb, group 7 */
#define GP_SIM_DC_GPU0 "0000:41:00.0"
#define GP_SIM_DC_GPU1 "0000:81:00.0"
#define GP_SIM_DC_BMC_BRIDGE "0000:02:00.0"
#define GP_SIM_DC_BMC_VGA "0000:03:00.0"
#define GP_SIM_DC_NIC "0000:04:00.0"
GpSim *gp_sim_fixture_datacenter(void);

/* (b) Workstation: IOMMU on; drivers nvidia, snd_hda_intel, i915, e1000e,
 *   pcieport, vfio-pci.
 *   0000:00:02.0 Intel iGPU 8086:a780 class 0x030000, i915, boot_vga 1, group 0
 *   0000:00:01.0 root port (group 1) -> 0000:01:00.0 RTX 4090 10de:2684 class
 *     0x030000 nvidia boot_vga 0, and 0000:01:00.1 HDMI audio 10de:22ba class
 *     0x040300 snd_hda_intel: both in group 2
 *   0000:00:1c.0 root port (group 3) -> 0000:02:00.0 PCIe-to-PCI bridge
 *     8086:244e (group 4) -> 0000:03:00.0 conventional PCI GPU (NVIDIA
 *     10de:1287 GT 730 style, class 0x030000, nvidia) and 0000:03:01.0 NIC
 *     8086:107c e1000e bound: all three in group 4, so the GPU is not
 *     assignable
 *   0000:00:1d.0 root port (group 5) -> 0000:05:00.0 accelerator
 *     1e52:0100 class 0x120000, no driver loaded, group 6 */
#define GP_SIM_WS_IGPU "0000:00:02.0"
#define GP_SIM_WS_GPU "0000:01:00.0"
#define GP_SIM_WS_GPU_AUDIO "0000:01:00.1"
#define GP_SIM_WS_LEGACY_BRIDGE "0000:02:00.0"
#define GP_SIM_WS_LEGACY_GPU "0000:03:00.0"
#define GP_SIM_WS_LEGACY_NIC "0000:03:01.0"
#define GP_SIM_WS_ACCEL "0000:05:00.0"
GpSim *gp_sim_fixture_workstation(void);

/* (c) The datacenter host with the IOMMU off: same addresses and drivers,
 * no class/iommu, empty kernel/iommu_groups, no iommu_group links. */
GpSim *gp_sim_fixture_no_iommu(void);

/* (d) N (1..1024) identical A100s, each behind its own root port, own
 * group, bound to nvidia.  GPU i sits in domain i / 128 at bus
 * (i % 128) + 1, device 00.0; its root port at DDDD:00:SS.F with SS.F
 * numbering i % 128 (slot (i%128)/8, function (i%128)%8).
 * numa node (i / 128) % 2, no expansion ROM (128 of them would not fit
 * below 4 GiB next to 128 BAR0s).  gp_sim_fixture_many_addr(i) gives the
 * GPU's address. */
GpSim *gp_sim_fixture_many(guint n);
char *gp_sim_fixture_many_addr(guint i);

/* (e) Partitioning hosts, IOMMU on, vfio-pci loaded.
 *
 * NVIDIA mdev vGPU (Tesla T4 10de:1eb8, nvidia, homogeneous, 16384 MiB):
 *   root port 0000:00:01.0 -> 0000:3b:00.0, types nvidia-222 "GRID T4-1Q"
 *   (1024, max 16), nvidia-223 "GRID T4-2Q" (2048, 8), nvidia-224
 *   "GRID T4-4Q" (4096, 4), nvidia-225 "GRID T4-8Q" (8192, 2),
 *   nvidia-226 "GRID T4-16Q" (16384, 1). */
#define GP_SIM_MDEV_GPU "0000:3b:00.0"
GpSim *gp_sim_fixture_nvidia_mdev(void);
/* Two of those T4s: the second behind root port 0000:00:02.0 at
 * 0000:3c:00.0. */
#define GP_SIM_MDEV_GPU2 "0000:3c:00.0"
GpSim *gp_sim_fixture_nvidia_mdev_pair(void);

/* NVIDIA SR-IOV vGPU (L40S 10de:26b9, nvidia, 49152 MiB, homogeneous,
 * sriov_totalvfs 16, VF device 10de:26b9, offset 4, stride 1, VFs bound to
 * nvidia): root port 0000:00:01.0 -> 0000:c1:00.0; VFs appear at
 * 0000:c1:00.4 .. 0000:c1:02.3 once sriov_numvfs is written.  vGPU types
 * 1155 "NVIDIA L40S-1Q" (1024 MiB), 1156 -2Q, 1157 -4Q, 1158 -8Q, 1159 -16Q,
 * 1160 -24Q, 1161 "NVIDIA L40S-48Q" (49152). */
#define GP_SIM_SRIOV_GPU "0000:c1:00.0"
GpSim *gp_sim_fixture_nvidia_sriov(void);

/* Intel SR-IOV GPU (Flex 170 8086:56c0, class 0x038000, driver i915,
 * sriov_totalvfs 7, VF device 8086:56c0, offset 1, stride 1, VFs bound to
 * i915): root port 0000:00:01.0 -> 0000:4d:00.0, VFs 0000:4d:00.1 .. .7. */
#define GP_SIM_INTEL_SRIOV_GPU "0000:4d:00.0"
GpSim *gp_sim_fixture_intel_sriov(void);
/* Two of those Flex 170s: the second behind root port 0000:00:02.0 at
 * 0000:4e:00.0, VFs 0000:4e:00.1 .. .7. */
#define GP_SIM_INTEL_SRIOV_GPU2 "0000:4e:00.0"
GpSim *gp_sim_fixture_intel_sriov_pair(void);

/* The kernel's mbochs sample (module parameter count=512): a virtual
 * parent devices/virtual/mbochs/mbochs with 512 MiB and the sample's types
 * (the mdev core names a type dir "<driver or class>-<sysfs_name>"):
 *   mbochs-small  name "mbochs-small",  4 MiB, "virtual display, 800x600 framebuffer"
 *   mbochs-medium name "mbochs-medium", 16 MiB
 *   mbochs-large  name "mbochs-large",  64 MiB
 * no per-type limit: available_instances = free MiB / cost. */
#define GP_SIM_MBOCHS "mbochs"
GpSim *gp_sim_fixture_mbochs(void);

/* (f) A PCIe switch without ACS (tests/sim/simfixture-switch.c): IOMMU
 * on; drivers nvidia, snd_hda_intel, pcieport, vfio-pci.
 *   0000:00:01.0 root port (group 0) -> 0000:01:00.0 switch upstream port
 *     (group 1) -> downstream ports 0000:02:00.0 and 0000:02:01.0, which
 *     share group 2 with everything behind them:
 *     0000:03:00.0 RTX A6000 10de:2230 class 0x030000 nvidia, and
 *     0000:03:00.1 its HDMI audio 10de:1aef snd_hda_intel (behind 02:00.0);
 *     0000:04:00.0 and 0000:04:00.1 the same (behind 02:01.0).
 * Two cards in different slots, one IOMMU group: one guest gets both. */
#define GP_SIM_SW_UPSTREAM "0000:01:00.0"
#define GP_SIM_SW_PORT0 "0000:02:00.0"
#define GP_SIM_SW_PORT1 "0000:02:01.0"
#define GP_SIM_SW_GPU0 "0000:03:00.0"
#define GP_SIM_SW_GPU0_AUDIO "0000:03:00.1"
#define GP_SIM_SW_GPU1 "0000:04:00.0"
#define GP_SIM_SW_GPU1_AUDIO "0000:04:00.1"
GpSim *gp_sim_fixture_switch(void);

G_END_DECLS
