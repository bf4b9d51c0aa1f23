/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host's PCI devices and the verdict on each: can it be passed
 * through whole, partitioned, or not at all, and why.
 *
 * Status rules, checked in this order (the first that applies wins):
 *
 *  1. A bridge (host bridge, root or switch port, PCI-to-PCI or CardBus
 *     bridge) is NOT ASSIGNABLE: it routes traffic for other devices.
 *  2. Without an IOMMU nothing is assignable; the reason says how to turn
 *     it on (VT-d/AMD-Vi in firmware, intel_iommu=on / amd_iommu=on).
 *  3. A device the kernel put in no IOMMU group cannot be isolated.
 *  4. A conventional PCI device (no PCI Express capability) behind a
 *     bridge shares the bridge's requester ID with its neighbours, so it is
 *     NOT ASSIGNABLE; the reason names the other endpoints of its group.  On a root bus it has its own ID and is fine: VFIO
 *     does not need PCI Express (emulated devices look like that).
 *  5. The boot VGA device with a host driver other than vfio-pci bound is
 *     the host's console: NOT ASSIGNABLE until the console moves away.
 *  6. IOMMU group peers: VFIO gives a whole group to one guest, so the
 *     group is the unit of assignment.  Bridges in the group are ignored
 *     (vfio tolerates them).  Every other endpoint joins with the device
 *     (the note names them all) when it is in the same pool or would join
 *     with it: another function of the same slot (a GPU's HDMI audio), a
 *     device of the kinds gpupool pools (display, accelerator, and the
 *     functions of such a card) in another slot of the group, or a device
 *     no host driver uses.  The device is NOT ASSIGNABLE, naming the peer,
 *     when a peer is in another pool, is the boot VGA the console uses, or
 *     is a device the host uses (a NIC, a disk controller) that is not in
 *     the pool: taking that along must be asked for by naming it.
 *  7. Then: mdev types offered, or SR-IOV VFs enabled: PARTITIONABLE.
 *     SR-IOV capable with a driver bound but no VF enabled: PARTITION DRIVER
 *     PRESENT BUT SR-IOV DISABLED.  Otherwise READY FOR PASSTHROUGH.
 */
#include "config.h"

#include "host/host.h"

#include "base/sysfs.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <pci/pci.h>

G_DEFINE_QUARK(gp-host-error-quark, gp_host_error)

#define GP_HOST_NO_IOMMU_FIX \
    "no IOMMU: enable VT-d/AMD-Vi in firmware and boot with intel_iommu=on or amd_iommu=on"

struct _GpHost {
    gboolean has_iommu;
    guint n_groups;
    GPtrArray *devices;      /* GpPciDev*, owned, sorted by address */
    GHashTable *by_address;  /* canonical address -> GpPciDev*, borrowed */
    GHashTable *groups;      /* group number -> GPtrArray of borrowed GpPciDev* */
};

void
gp_host_free(GpHost *host)
{
    if (!host)
        return;
    g_clear_pointer(&host->groups, g_hash_table_unref);
    g_clear_pointer(&host->by_address, g_hash_table_unref);
    g_clear_pointer(&host->devices, g_ptr_array_unref);
    g_free(host);
}

/* libpci reports fatal errors through a callback that must not return.
 * gpupool is single-threaded and scans once per command, so one jump
 * target and one message buffer are enough.  The scan checks first that
 * the device directory is readable, so this only fires for trees that are
 * damaged (a device directory without its vendor or resource files). */
static jmp_buf libpci_jump;
static char libpci_message[512];

static void G_GNUC_NORETURN G_GNUC_PRINTF(1, 2)
libpci_error(char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_vsnprintf(libpci_message, sizeof(libpci_message), fmt, ap);
    va_end(ap);
    longjmp(libpci_jump, 1);
}

/* Warnings (a config file that cannot be opened) leave the device with
 * less information, which the status rules handle; they must not reach the
 * user's terminal from inside the core. */
static void G_GNUC_PRINTF(1, 2)
libpci_quiet(char *fmt, ...)
{
}

static gint
compare_devs(gconstpointer a, gconstpointer b)
{
    const GpPciDev *da = *(GpPciDev *const *)a;
    const GpPciDev *db = *(GpPciDev *const *)b;

    return gp_pci_addr_compare(&da->addr, &db->addr);
}

static guint
count_entries(const char *rel)
{
    g_autoptr(GPtrArray) names = NULL;

    if (!gp_sysfs_is_dir(rel))
        return 0;
    names = gp_sysfs_list(rel, NULL);
    return names ? names->len : 0;
}

static void
detect_iommu(GpHost *host)
{
    g_autofree char *groups = gp_sysfs_iommu_groups_path();
    g_autofree char *klass = gp_sysfs_class_path("iommu");

    host->n_groups = count_entries(groups);
    host->has_iommu = host->n_groups > 0 || count_entries(klass) > 0;
}

static void
index_devices(GpHost *host)
{
    host->by_address = g_hash_table_new(g_str_hash, g_str_equal);
    host->groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < host->devices->len; i++) {
        GpPciDev *dev = host->devices->pdata[i];
        GPtrArray *members;

        g_hash_table_insert(host->by_address, dev->address, dev);
        if (!dev->iommu_group)
            continue;
        members = g_hash_table_lookup(host->groups, dev->iommu_group);
        if (!members) {
            members = g_ptr_array_new();
            g_hash_table_insert(host->groups, dev->iommu_group, members);
        }
        g_ptr_array_add(members, dev);
    }
}

/* Scan with libpci: returns FALSE with ERROR set; the caller owns PACC. */
static gboolean
scan_libpci(struct pci_access *pacc, GPtrArray *devices, GError **error)
{
    struct pci_dev *pd;

    if (setjmp(libpci_jump)) {
        g_autofree char *where = gp_sysfs_abs("bus/pci");

        g_set_error(error, GP_HOST_ERROR, GP_HOST_ERROR_SCAN,
                    "cannot scan the PCI devices under %s: %s; the sysfs tree is incomplete "
                    "(check GPUPOOL_SYSFS_ROOT, or that /sys is mounted)",
                    where, libpci_message);
        return FALSE;
    }
    pci_init(pacc);
    pci_scan_bus(pacc);
    /* A broken pci.ids is reported through the jump too: load it here,
     * before a device is half built (the lookups would load it later). */
    pci_load_name_list(pacc);
    for (pd = pacc->devices; pd; pd = pd->next) {
        g_autoptr(GError) local = NULL;
        GpPciDev *dev = gp_pci_dev_load(pacc, pd, &local);

        if (!dev) {
            g_set_error(error, GP_HOST_ERROR, GP_HOST_ERROR_SCAN,
                        "cannot read PCI device %04x:%02x:%02x.%x: %s",
                        pd->domain, pd->bus, pd->dev, pd->func, local->message);
            return FALSE;
        }
        g_ptr_array_add(devices, dev);
    }
    return TRUE;
}

GpHost *
gp_host_scan(GError **error)
{
    g_autoptr(GpHost) host = g_new0(GpHost, 1);
    g_autofree char *devices_rel = gp_sysfs_pci_devices_path();
    g_autofree char *sysfs_path = gp_sysfs_abs("bus/pci");
    g_autoptr(GPtrArray) probe = NULL;
    g_autoptr(GError) local = NULL;
    const char *ids = g_getenv("GPUPOOL_PCI_IDS");
    struct pci_access *pacc;
    gboolean ok;

    /* Make sure libpci will find a readable device directory, so that its
     * non-returning error callback is never the normal way to fail. */
    probe = gp_sysfs_list(devices_rel, &local);
    if (!probe) {
        g_set_error(error, GP_HOST_ERROR, GP_HOST_ERROR_SCAN,
                    "cannot list the host's PCI devices: %s (is sysfs mounted? "
                    "GPUPOOL_SYSFS_ROOT selects another tree)", local->message);
        return NULL;
    }

    host->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_pci_dev_free);
    pacc = pci_alloc();
    pacc->error = libpci_error;
    pacc->warning = libpci_quiet;
    pacc->debug = libpci_quiet;
    pacc->method = PCI_ACCESS_SYS_BUS_PCI;
    pci_set_param(pacc, "sysfs.path", sysfs_path);
    if (ids && *ids) {
        /* Tests pin the names; never let udev's hwdb answer instead. */
        pci_set_name_list_path(pacc, (char *)ids, 0);
        pacc->id_lookup_mode |= PCI_LOOKUP_NO_HWDB;
    }
    ok = scan_libpci(pacc, host->devices, error);
    pci_cleanup(pacc);
    if (!ok)
        return NULL;

    g_ptr_array_sort(host->devices, compare_devs);
    detect_iommu(host);
    index_devices(host);
    return g_steal_pointer(&host);
}

gboolean
gp_host_has_iommu(const GpHost *host)
{
    return host->has_iommu;
}

guint
gp_host_iommu_group_count(const GpHost *host)
{
    return host->n_groups;
}

GPtrArray *
gp_host_devices(const GpHost *host)
{
    return host->devices;
}

GpPciDev *
gp_host_lookup(const GpHost *host, const char *address, GError **error)
{
    g_autofree char *canonical = gp_pci_addr_canonical(address, error);
    GpPciDev *dev;

    if (!canonical)
        return NULL;
    dev = g_hash_table_lookup(host->by_address, canonical);
    if (!dev) {
        g_set_error(error, GP_HOST_ERROR, GP_HOST_ERROR_NO_DEVICE,
                    "no PCI device %s on this host: check the address with "
                    "'gpupool devices --all' (or lspci -D)", canonical);
        return NULL;
    }
    return dev;
}

GPtrArray *
gp_host_group_peers(const GpHost *host, const GpPciDev *dev)
{
    GPtrArray *peers = g_ptr_array_new();
    GPtrArray *members;

    if (!dev->iommu_group)
        return peers;
    members = g_hash_table_lookup(host->groups, dev->iommu_group);
    for (guint i = 0; members && i < members->len; i++)
        if (members->pdata[i] != dev)
            g_ptr_array_add(peers, members->pdata[i]);
    return peers;
}

GPtrArray *
gp_host_vfs(const GpHost *host, const GpPciDev *dev)
{
    GPtrArray *vfs = g_ptr_array_new();

    if (dev->sriov_total_vfs == 0)
        return vfs;
    for (guint i = 0; i < host->devices->len; i++) {
        GpPciDev *other = host->devices->pdata[i];

        if (other->physfn && strcmp(other->physfn, dev->address) == 0)
            g_ptr_array_add(vfs, other);
    }
    return vfs;
}

const char *
gp_dev_status_to_string(GpDevStatus status)
{
    switch (status) {
    case GP_DEV_STATUS_READY:
        return "ready for passthrough";
    case GP_DEV_STATUS_PARTITIONABLE:
        return "partitionable";
    case GP_DEV_STATUS_SRIOV_DISABLED:
        return "partition driver present but SR-IOV disabled";
    case GP_DEV_STATUS_NOT_ASSIGNABLE:
        return "not assignable";
    }
    return "unknown";
}

/* How a companion function is named in "joins with": the short word an
 * admin expects next to a GPU. */
static char *
companion_label(const GpPciDev *dev)
{
    switch (dev->class_code >> 8) {
    case 0x0403:
        return g_strdup("audio");
    case 0x0c03:
        return g_strdup("USB");
    case 0x0c80:
        return g_strdup("serial bus");
    }
    return g_ascii_strdown(dev->class_name, -1);
}

/* "ADDR (CLASS, driver D)" of the other endpoints in DEV's group, or
 * NULL when there are none: the devices an admin would have to move. */
static char *
describe_endpoint_peers(const GpHost *host, const GpPciDev *dev)
{
    g_autoptr(GPtrArray) peers = gp_host_group_peers(host, dev);
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; i < peers->len; i++) {
        const GpPciDev *peer = peers->pdata[i];

        if (peer->is_bridge || gp_pci_addr_same_slot(&peer->addr, &dev->addr))
            continue;
        g_string_append_printf(out, "%s%s (%s, ", out->len ? ", " : "", peer->address,
                               peer->class_name);
        if (peer->driver)
            g_string_append_printf(out, "driver %s)", peer->driver);
        else
            g_string_append(out, "no driver)");
    }
    if (!out->len)
        return NULL;
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static GpDevStatus
not_assignable(char **reason, char *why)
{
    if (reason)
        *reason = why;
    else
        g_free(why);
    return GP_DEV_STATUS_NOT_ASSIGNABLE;
}

/* Display controllers and processing accelerators: what gpupool pools. */
/* PEER belongs to a card of the kind gpupool pools: it is one, or another
 * function of its slot is (the second GPU's HDMI audio). */
static gboolean
on_gpu_card(const GpHost *host, const GpPciDev *peer)
{
    g_autoptr(GPtrArray) group = gp_host_group_peers(host, peer);

    if (gp_pci_dev_is_gpu(peer))
        return TRUE;
    for (guint i = 0; i < group->len; i++) {
        const GpPciDev *other = group->pdata[i];

        if (!other->is_bridge && gp_pci_addr_same_slot(&other->addr, &peer->addr) &&
            gp_pci_dev_is_gpu(other))
            return TRUE;
    }
    return FALSE;
}

/* A peer in no pool joins with the device unless the host uses it for
 * something else: it has a host driver and is not part of a GPU card.
 * Functions of the device's own card always join (they are the card). */
static gboolean
would_join(const GpHost *host, const GpPciDev *dev, const GpPciDev *peer)
{
    if (gp_pci_addr_same_slot(&peer->addr, &dev->addr))
        return TRUE;
    if (!peer->driver || strcmp(peer->driver, "vfio-pci") == 0)
        return TRUE;
    return on_gpu_card(host, peer);
}

static char *
group_peer_refusal(const GpPciDev *dev, const GpPciDev *peer, const char *peer_pool,
                   const char *pool)
{
    g_autofree char *driver = peer->driver
        ? g_strdup_printf("driver %s", peer->driver) : g_strdup("no driver");
    g_autofree char *where = NULL;

    if (peer_pool && pool)
        where = g_strdup_printf("which is in pool %s, not in pool %s", peer_pool, pool);
    else if (peer_pool)
        where = g_strdup_printf("which is in pool %s", peer_pool);
    else if (pool)
        where = g_strdup_printf("which is not in pool %s", pool);
    else
        where = g_strdup("which is not in the same pool");
    return g_strdup_printf("IOMMU group %s is shared with %s (%s, %s), %s: "
                           "put it in %s%s together with this device, or move "
                           "the card to a slot with an IOMMU group of its own",
                           dev->iommu_group, peer->address, peer->class_name,
                           driver, where,
                           pool ? "pool " : "the same pool", pool ? pool : "");
}

/* Rule 6: NULL when the group lets DEV go (the endpoints that join with
 * it are added to NOTES), else the reason. */
static char *
check_group(const GpHost *host, const GpPciDev *dev, GHashTable *pool_of,
            const char *pool, GString *notes)
{
    g_autoptr(GPtrArray) peers = gp_host_group_peers(host, dev);
    g_autoptr(GString) companions = g_string_new(NULL);

    for (guint i = 0; i < peers->len; i++) {
        const GpPciDev *peer = peers->pdata[i];
        const char *peer_pool = pool_of ? g_hash_table_lookup(pool_of, peer->address) : NULL;
        gboolean same_slot = gp_pci_addr_same_slot(&peer->addr, &dev->addr);
        gboolean in_pool = pool && g_strcmp0(peer_pool, pool) == 0;

        if (peer->is_bridge)
            continue;
        /* One member of a group in another pool would be handed to two
         * owners, and the second QEMU could not open the group. */
        if (peer_pool && !in_pool) {
            if (same_slot) {
                g_autofree char *label = companion_label(peer);

                return g_strdup_printf("%s (%s), a function of the same card, is in pool %s: "
                                       "functions of one card go to one pool; "
                                       "remove it from pool %s first",
                                       peer->address, label, peer_pool, peer_pool);
            }
            return group_peer_refusal(dev, peer, peer_pool, pool);
        }
        /* Binding it to vfio-pci would take the host's console away. */
        if (peer->boot_vga && peer->driver && strcmp(peer->driver, "vfio-pci") != 0)
            return g_strdup_printf("IOMMU group %s is shared with %s, the boot VGA in use by "
                                   "the host console (driver %s): give the console another "
                                   "GPU, or move the card to a slot with an IOMMU group of "
                                   "its own", dev->iommu_group, peer->address, peer->driver);
        if (!in_pool && !would_join(host, dev, peer))
            return group_peer_refusal(dev, peer, NULL, pool);
        if (same_slot) {
            g_autofree char *label = companion_label(peer);

            g_string_append_printf(companions, "%s%s (%s)", companions->len ? ", " : "",
                                   peer->address, label);
        } else {
            g_string_append_printf(companions, "%s%s (%s, same IOMMU group)",
                                   companions->len ? ", " : "", peer->address,
                                   peer->class_name);
        }
    }
    if (companions->len)
        g_string_append_printf(notes, "%sjoins with %s", notes->len ? "; " : "",
                               companions->str);
    return NULL;
}

/* A conventional PCI device right below a PCI Express root port or switch
 * downstream port keeps its own requester ID (the kernel finds no DMA
 * alias there: only PCIe-to-PCI and PCI bridges take over their
 * devices' IDs), so its IOMMU group can be its own.  Hardware never
 * wires one there, emulated hosts do. */
static gboolean
behind_pcie_port(const GpHost *host, const GpPciDev *dev)
{
    GpPciDev *bridge = gp_host_lookup(host, dev->parent_bridge, NULL);

    return bridge && bridge->is_pcie_port;
}

GpDevStatus
gp_host_assess(const GpHost *host, const GpPciDev *dev,
               GHashTable *pool_of, const char *pool, char **reason)
{
    g_autoptr(GString) notes = g_string_new(NULL);
    char *why;
    GpDevStatus status;

    if (reason)
        *reason = NULL;
    /* A device already in a pool is judged against that pool. */
    if (!pool && pool_of)
        pool = g_hash_table_lookup(pool_of, dev->address);

    if (dev->is_bridge)
        return not_assignable(reason, g_strdup_printf(
            "%s: a bridge or switch port routes traffic for the devices behind it and "
            "cannot be passed through; assign those devices instead", dev->class_name));
    if (!host->has_iommu)
        return not_assignable(reason, g_strdup(GP_HOST_NO_IOMMU_FIX));
    if (!dev->iommu_group)
        return not_assignable(reason, g_strdup(
            "no IOMMU group: the IOMMU does not cover this device, so it cannot be "
            "isolated; check the firmware's VT-d/AMD-Vi settings for this slot"));
    if (!dev->is_pcie && dev->parent_bridge && !behind_pcie_port(host, dev)) {
        g_autofree char *others = describe_endpoint_peers(host, dev);
        g_autofree char *sharing = others
            ? g_strdup_printf(" (IOMMU group %s also holds %s)", dev->iommu_group, others)
            : g_strdup("");

        return not_assignable(reason, g_strdup_printf(
            "conventional PCI device behind bridge %s: every device behind that bridge "
            "uses its requester ID, so the IOMMU cannot isolate it%s; use a PCI Express slot",
            dev->parent_bridge, sharing));
    }
    if (dev->boot_vga && dev->driver && strcmp(dev->driver, "vfio-pci") != 0)
        return not_assignable(reason, g_strdup_printf(
            "boot VGA in use by the host console (driver %s): give the console another "
            "GPU, or bind this one to vfio-pci at boot (vfio-pci.ids=%04x:%04x)",
            dev->driver, dev->vendor_id, dev->device_id));
    why = check_group(host, dev, pool_of, pool, notes);
    if (why)
        return not_assignable(reason, why);

    if (dev->mdev_types->len > 0 || dev->sriov_num_vfs > 0) {
        status = GP_DEV_STATUS_PARTITIONABLE;
    } else if (dev->sriov_total_vfs > 0 && dev->driver) {
        status = GP_DEV_STATUS_SRIOV_DISABLED;
        g_string_append_printf(notes,
                               "%sdriver %s can create up to %u VFs: enable them with "
                               "'echo N > /sys/bus/pci/devices/%s/sriov_numvfs'",
                               notes->len ? "; " : "", dev->driver,
                               dev->sriov_total_vfs, dev->address);
    } else {
        status = GP_DEV_STATUS_READY;
    }
    if (reason && notes->len)
        *reason = g_string_free(g_steal_pointer(&notes), FALSE);
    return status;
}
