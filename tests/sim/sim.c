/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The builder side of the simulated sysfs: a host, its drivers, PCI
 * devices and mdev parents.  Every call opens the host afresh from BASE,
 * because the simulated kernel (in this process or in a child) may have
 * changed it since. */
#include "config.h"

#include "sim.h"

#include "base/sysfs.h"
#include "simint.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _GpSim {
    char *base;
    char *root;
    char *confdir;
    char *statedir;
    char *syslog;
};

G_GNUC_NORETURN static void
fixture_bug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void
fixture_bug(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sim_log("fixture error: %s", msg);
    abort();
}

/* Hosts this process made and has not freed.  A failed Criterion
 * assertion ends the test's process without running g_autoptr cleanups;
 * removing leftovers at exit keeps /dev/shm from filling up. */
static GPtrArray *live_bases;
static pid_t live_pid;

static void
remove_leftovers(void)
{
    guint i;

    if (!live_bases || getpid() != live_pid)
        return;
    for (i = 0; i < live_bases->len; i++)
        sim_rm_rf(live_bases->pdata[i]);
    g_ptr_array_set_size(live_bases, 0);
}

static void
track_base(const char *base, gboolean live)
{
    if (!live_bases) {
        live_bases = g_ptr_array_new_with_free_func(g_free);
        live_pid = getpid();
        atexit(remove_leftovers);
    }
    if (live)
        g_ptr_array_add(live_bases, g_strdup(base));
    else {
        guint i;

        for (i = 0; i < live_bases->len; i++) {
            if (strcmp(live_bases->pdata[i], base) == 0) {
                g_ptr_array_remove_index(live_bases, i);
                break;
            }
        }
    }
}

static SimCtx *
ctx_open(GpSim *sim)
{
    SimCtx *ctx = sim_ctx_open(sim->base);

    if (!ctx)
        fixture_bug("simulated host %s is gone", sim->base);
    return ctx;
}

/* Where hosts are built: GPSIM_TMPDIR if set, else /dev/shm when it is a
 * tmpfs (sysfs lives in memory too, and creating tens of thousands of
 * small files on a journalled disk takes minutes for the 1024-GPU
 * fixture), else the usual temporary directory. */
static char *
make_base(GError **error)
{
    const char *dir = g_getenv("GPSIM_TMPDIR");
    struct statfs fs;

    if (!dir || !*dir) {
        if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
            access("/dev/shm", W_OK) == 0)
            dir = "/dev/shm";
        else
            dir = g_get_tmp_dir();
    }
    {
        g_autofree char *tmpl = g_build_filename(dir, "gpsim-XXXXXX", NULL);

        if (!g_mkdtemp(tmpl)) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "cannot create %s: %s", tmpl, g_strerror(errno));
            return NULL;
        }
        return g_steal_pointer(&tmpl);
    }
}

GpSim *
gp_sim_new(void)
{
    static const char *const dirs[] = {
        "sys/devices/virtual", "sys/bus/pci/devices", "sys/bus/pci/drivers",
        "sys/bus/pci/slots", "sys/bus/mdev/devices", "sys/bus/mdev/drivers",
        "sys/kernel/iommu_groups", "sys/class/iommu", "sys/class/mdev_bus",
        "sys/class/vfio-dev",
        "sim", "etc/gpupool", "run/gpupool",
    };
    static const struct {
        const char *path;
        const char *value;
    } files[] = {
        { "sys/bus/pci/drivers_probe", "" },
        { "sys/bus/pci/drivers_autoprobe", "1\n" },
        { "sys/bus/pci/rescan", "" },
        { "sim/host.ini", "[host]\niommu=false\nnext_group=0\n" },
    };
    g_autoptr(GError) error = NULL;
    g_autofree char *tmp = make_base(&error);
    GpSim *sim;
    char *real;
    guint i;

    if (!tmp)
        fixture_bug("cannot create a temporary directory: %s", error->message);
    real = realpath(tmp, NULL);
    sim = g_new0(GpSim, 1);
    sim->base = g_strdup(real);
    free(real);
    sim->root = g_build_filename(sim->base, "sys", NULL);
    sim->confdir = g_build_filename(sim->base, "etc", "gpupool", NULL);
    sim->statedir = g_build_filename(sim->base, "run", "gpupool", NULL);
    sim->syslog = g_build_filename(sim->base, "run", "log", NULL);
    for (i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *path = g_build_filename(sim->base, dirs[i], NULL);

        if (!sim_mkdir(path))
            fixture_bug("cannot create %s", path);
    }
    for (i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(sim->base, files[i].path, NULL);

        if (!sim_put(path, files[i].value, strlen(files[i].value)))
            fixture_bug("cannot create %s", path);
    }
    g_setenv("GPUPOOL_SYSFS_ROOT", sim->root, TRUE);
    g_setenv("GPUPOOL_CONFDIR", sim->confdir, TRUE);
    g_setenv("GPUPOOL_STATEDIR", sim->statedir, TRUE);
    g_setenv("GPUPOOL_SYSLOG_SOCKET", sim->syslog, TRUE);
    gp_sysfs_set_root(sim->root);
    sim_kernel_init();
    track_base(sim->base, TRUE);
    return sim;
}

void
gp_sim_free(GpSim *sim)
{
    const char *root;

    if (!sim)
        return;
    root = g_getenv("GPUPOOL_SYSFS_ROOT");
    if (root && strcmp(root, sim->root) == 0) {
        g_unsetenv("GPUPOOL_SYSFS_ROOT");
        g_unsetenv("GPUPOOL_CONFDIR");
        g_unsetenv("GPUPOOL_STATEDIR");
        g_unsetenv("GPUPOOL_SYSLOG_SOCKET");
        gp_sysfs_set_root(NULL);
    }
    sim_rm_rf(sim->base);
    track_base(sim->base, FALSE);
    g_free(sim->base);
    g_free(sim->root);
    g_free(sim->confdir);
    g_free(sim->statedir);
    g_free(sim->syslog);
    g_free(sim);
}

const char *
gp_sim_base(GpSim *sim)
{
    return sim->base;
}

const char *
gp_sim_root(GpSim *sim)
{
    return sim->root;
}

const char *
gp_sim_confdir(GpSim *sim)
{
    return sim->confdir;
}

const char *
gp_sim_statedir(GpSim *sim)
{
    return sim->statedir;
}

const char *
gp_sim_syslog(GpSim *sim)
{
    return sim->syslog;
}

char *
gp_sim_path(GpSim *sim, const char *rel)
{
    return g_build_filename(sim->root, rel, NULL);
}

void
gp_sim_set_iommu(GpSim *sim, gboolean on)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);
    g_autofree char *dmar = g_build_filename(ctx->root, "devices/virtual/iommu/dmar0", NULL);
    g_autofree char *devices = g_build_filename(dmar, "devices", NULL);
    g_autofree char *class_link = g_build_filename(ctx->root, "class/iommu/dmar0", NULL);

    g_key_file_set_boolean(ctx->host, "host", "iommu", on);
    sim_ctx_save(ctx);
    if (on) {
        sim_mkdir(devices);
        sim_symlink(class_link, dmar);
    } else {
        unlink(class_link);
        sim_rm_rf(dmar);
    }
}

void
gp_sim_add_driver(GpSim *sim, const char *name)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);

    if (!sim_driver_create(ctx, name))
        fixture_bug("cannot register driver %s", name);
}

void
gp_sim_remove_driver(GpSim *sim, const char *name)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);
    g_autofree char *dir = g_build_filename(ctx->root, "bus/pci/drivers", name, NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) bound = g_ptr_array_new_with_free_func(g_free);
    const char *entry;
    guint i;

    while (d && (entry = g_dir_read_name(d))) {
        if (sim_parse_addr(entry, NULL, NULL, NULL, NULL))
            g_ptr_array_add(bound, g_strdup(entry));
    }
    for (i = 0; i < bound->len; i++)
        sim_kernel_unbind(ctx, name, bound->pdata[i]);
    sim_rm_rf(dir);
}

static char *
root_bus_dir(SimCtx *ctx, const char *addr)
{
    guint domain, bus;
    g_autofree char *name = NULL;
    char *dir;

    sim_parse_addr(addr, &domain, &bus, NULL, NULL);
    name = g_strdup_printf("pci%04x:%02x", domain, bus);
    dir = g_build_filename(ctx->root, "devices", name, NULL);
    sim_mkdir(dir);
    return dir;
}

static int
group_of(SimCtx *ctx, const char *addr)
{
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autofree char *link = dir ? g_build_filename(dir, "iommu_group", NULL) : NULL;
    g_autofree char *target = link ? g_file_read_link(link, NULL) : NULL;
    g_autofree char *name = target ? g_path_get_basename(target) : NULL;

    return name ? atoi(name) : -1;
}

static void
save_device_meta(SimCtx *ctx, const SimPci *dev)
{
    const GpSimPciSpec *s = &dev->spec;
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", s->addr);
    guint i;

    g_key_file_set_integer(meta, "device", "kind", s->kind);
    if (s->total_vfs > 0) {
        g_key_file_set_integer(meta, "sriov", "vendor", s->vendor);
        g_key_file_set_integer(meta, "sriov", "vf_device", s->vf_device);
        g_key_file_set_integer(meta, "sriov", "subsystem_vendor", s->subsystem_vendor);
        g_key_file_set_integer(meta, "sriov", "subsystem_device", s->subsystem_device);
        g_key_file_set_integer(meta, "sriov", "class", s->class_code);
        g_key_file_set_integer(meta, "sriov", "revision", s->revision);
        g_key_file_set_integer(meta, "sriov", "numa_node", s->numa_node);
        g_key_file_set_integer(meta, "sriov", "vf_offset", s->vf_offset ? s->vf_offset : 1);
        g_key_file_set_integer(meta, "sriov", "vf_stride", s->vf_stride ? s->vf_stride : 1);
        g_key_file_set_string(meta, "sriov", "vf_driver", s->vf_driver ? s->vf_driver : "");
        for (i = 0; i < 6; i++) {
            const SimRes *r = &dev->res[SIM_RES_IOV + i];
            g_autofree char *key = NULL;
            g_autofree char *value = NULL;

            if (!r->size)
                continue;
            key = g_strdup_printf("vf_bar%u", i);
            value = g_strdup_printf("%" G_GINT64_MODIFIER "x %" G_GINT64_MODIFIER "x %"
                                    G_GINT64_MODIFIER "x", r->start, s->vf_bars[i].size,
                                    r->flags);
            g_key_file_set_string(meta, "sriov", key, value);
        }
    }
    sim_meta_save(ctx, "pci", s->addr, meta);
}

int
gp_sim_add_pci(GpSim *sim, const GpSimPciSpec *spec)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);
    g_autofree char *parent_dir = NULL;
    g_autofree char *dir = NULL;
    SimPci dev = { 0 };
    int group = -1;

    if (!spec->addr || !sim_parse_addr(spec->addr, NULL, NULL, NULL, NULL))
        fixture_bug("'%s' is not a PCI address DDDD:BB:SS.F", spec->addr ? spec->addr : "(null)");
    dev.spec = *spec;
    if (!dev.spec.subsystem_vendor && !dev.spec.subsystem_device &&
        !sim_pci_is_bridge(spec->kind)) {
        dev.spec.subsystem_vendor = spec->vendor;
        dev.spec.subsystem_device = spec->device;
    }
    if (spec->parent) {
        g_autoptr(GKeyFile) pmeta = sim_meta_load(ctx, "pci", spec->parent);
        GpSimPciKind pkind = g_key_file_get_integer(pmeta, "device", "kind", NULL);

        parent_dir = sim_pci_dir(ctx, spec->parent);
        if (!parent_dir || !sim_pci_is_bridge(pkind))
            fixture_bug("parent %s of %s is not a bridge of this host", spec->parent, spec->addr);
        /* Requests from behind a PCIe-to-PCI bridge carry the bridge's
         * ID, so the IOMMU cannot tell those devices apart: one group. */
        if (pkind == GP_SIM_PCIE_TO_PCI_BRIDGE || pkind == GP_SIM_PCI_BRIDGE)
            group = group_of(ctx, spec->parent);
    } else {
        parent_dir = root_bus_dir(ctx, spec->addr);
    }
    if (spec->group_with) {
        group = group_of(ctx, spec->group_with);
        if (group < 0 && sim_ctx_iommu(ctx))
            fixture_bug("%s cannot join the group of %s, which has none", spec->addr,
                        spec->group_with);
    }
    dir = sim_pci_create(ctx, &dev, parent_dir, group);
    if (!dir)
        fixture_bug("cannot create PCI device %s", spec->addr);
    save_device_meta(ctx, &dev);
    if (spec->driver && !spec->unbound && sim_driver_exists(ctx, spec->driver)) {
        int err = sim_kernel_bind(ctx, spec->driver, spec->addr);

        if (err)
            sim_log("%s stays unbound: probe by %s fails with %s", spec->addr, spec->driver,
                    g_strerror(err));
    }
    return sim_ctx_iommu(ctx) ? group_of(ctx, spec->addr) : -1;
}

void
gp_sim_add_root_port(GpSim *sim, const char *addr, guint8 secondary)
{
    GpSimPciSpec port = {
        .addr = addr,
        .kind = GP_SIM_PCIE_ROOT_PORT,
        .vendor = 0x8086,
        .device = 0x352a,
        .class_code = 0x060400,
        .revision = 0x04,
        .driver = "pcieport",
        .secondary_bus = secondary,
    };

    gp_sim_add_pci(sim, &port);
}

void
gp_sim_add_mdev_parent_pci(GpSim *sim, const char *addr, guint64 capacity, gboolean homogeneous)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);
    g_autofree char *dir = sim_pci_dir(ctx, addr);
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "pci", addr);
    g_autofree char *driver = g_key_file_get_string(meta, "device", "driver", NULL);

    if (!dir)
        fixture_bug("no PCI device %s to be an mdev parent", addr);
    if (!driver)
        fixture_bug("mdev parent %s needs a native driver", addr);
    sim_mdev_define_parent(ctx, addr, dir, driver, capacity, homogeneous);
}

void
gp_sim_add_mdev_parent_virtual(GpSim *sim, const char *klass, const char *name,
                               guint64 capacity, gboolean homogeneous)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);
    g_autofree char *dir = g_build_filename(ctx->root, "devices/virtual", klass, name, NULL);
    g_autofree char *class_dir = g_build_filename(ctx->root, "class", klass, NULL);
    g_autofree char *class_link = g_build_filename(class_dir, name, NULL);
    g_autofree char *subsystem = g_build_filename(dir, "subsystem", NULL);
    g_autofree char *uevent = g_build_filename(dir, "uevent", NULL);

    if (!sim_mkdir(dir) || !sim_mkdir(class_dir))
        fixture_bug("cannot create virtual device %s/%s", klass, name);
    sim_put(uevent, "", 0);
    sim_symlink(subsystem, class_dir);
    sim_symlink(class_link, dir);
    sim_mdev_define_parent(ctx, name, dir, NULL, capacity, homogeneous);
}

void
gp_sim_add_mdev_type(GpSim *sim, const char *parent, const char *type, const char *name,
                     const char *description, const char *device_api, guint64 cost,
                     guint max_instances)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);

    if (!sim_mdev_define_type(ctx, parent, type, name, description, device_api, cost,
                              max_instances))
        fixture_bug("cannot add mdev type %s to %s", type, parent);
}

gboolean
gp_sim_create_mdev(GpSim *sim, const char *parent, const char *type, const char *uuid)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);
    g_autoptr(GKeyFile) meta = sim_meta_load(ctx, "mdev", parent);
    g_autofree char *dir = g_key_file_get_string(meta, "parent", "dir", NULL);
    g_autofree char *rel = NULL;

    if (!dir)
        fixture_bug("no mdev parent %s", parent);
    rel = g_build_filename(dir, "mdev_supported_types", type, "create", NULL);
    return gp_sim_write(sim, rel, uuid);
}

void
gp_sim_set_vgpu_capacity(GpSim *sim, const char *pf_addr, guint64 capacity, gboolean homogeneous)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);

    sim_vgpu_define(ctx, pf_addr, capacity, homogeneous);
}

void
gp_sim_add_vgpu_type(GpSim *sim, const char *pf_addr, guint id, const char *name, guint64 cost)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);

    sim_vgpu_define_type(ctx, pf_addr, id, name, cost);
}

gboolean
gp_sim_write(GpSim *sim, const char *rel, const char *value)
{
    g_autofree char *path = gp_sim_path(sim, rel);
    size_t len = strlen(value);
    ssize_t n;
    int fd, err;

    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return FALSE;
    n = write(fd, value, len);
    err = errno;
    close(fd);
    errno = err;
    if (n < 0)
        return FALSE;
    return TRUE;
}

gboolean
gp_sim_pci_remove(GpSim *sim, const char *addr)
{
    g_autofree char *rel = g_build_filename("bus/pci/devices", addr, "remove", NULL);

    return gp_sim_write(sim, rel, "1");
}

gboolean
gp_sim_pci_rescan(GpSim *sim)
{
    return gp_sim_write(sim, "bus/pci/rescan", "1");
}

gboolean
gp_sim_pci_set_dead(GpSim *sim, const char *addr)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);
    int err = sim_pci_set_dead(ctx, addr);

    errno = err;
    return err == 0;
}

char *
gp_sim_read(GpSim *sim, const char *rel)
{
    g_autofree char *path = gp_sim_path(sim, rel);
    char *value = sim_get(path);

    if (value)
        g_strchomp(value);
    return value;
}

char *
gp_sim_driver(GpSim *sim, const char *addr)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);

    return sim_pci_driver(ctx, addr);
}

int
gp_sim_iommu_group(GpSim *sim, const char *addr)
{
    g_autoptr(SimCtx) ctx = ctx_open(sim);

    return group_of(ctx, addr);
}
