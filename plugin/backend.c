/* The back-end registry, the structures every back end fills, and the
 * helpers they share. */
#include "config.h"

#include "backend.h"

#include "sysfs.h"
#include "vfio-users.h"

#include <errno.h>
#include <gmodule.h>
#include <string.h>

G_DEFINE_QUARK(gp-backend-error-quark, gp_backend_error)

const char *
gp_part_kind_to_string(GpPartKind kind)
{
    switch (kind) {
    case GP_PART_KIND_WHOLE:
        return "whole";
    case GP_PART_KIND_MDEV:
        return "mdev";
    case GP_PART_KIND_VF:
        return "vf";
    }
    return "unknown";
}

/* ---- Structures --------------------------------------------------------- */

GpPartProfile *
gp_part_profile_new(const char *id, const char *name)
{
    GpPartProfile *profile = g_new0(GpPartProfile, 1);

    profile->id = g_strdup(id);
    profile->name = g_strdup(name && *name ? name : id);
    return profile;
}

void
gp_part_profile_free(GpPartProfile *profile)
{
    if (!profile)
        return;
    g_free(profile->id);
    g_free(profile->name);
    g_free(profile->description);
    g_free(profile);
}

GpPartInfo *
gp_part_info_new(const char *device)
{
    GpPartInfo *info = g_new0(GpPartInfo, 1);

    info->device = g_strdup(device);
    info->profiles = g_ptr_array_new_with_free_func((GDestroyNotify)gp_part_profile_free);
    info->valid_counts = g_array_new(FALSE, FALSE, sizeof(guint));
    return info;
}

void
gp_part_info_free(GpPartInfo *info)
{
    if (!info)
        return;
    g_free(info->device);
    g_ptr_array_unref(info->profiles);
    g_array_unref(info->valid_counts);
    g_free(info->profile);
    g_free(info);
}

void
gp_part_info_add_count(GpPartInfo *info, guint count)
{
    guint i;

    if (count == 0)
        return;
    for (i = 0; i < info->valid_counts->len; i++) {
        guint c = g_array_index(info->valid_counts, guint, i);

        if (c == count)
            return;
        if (c > count)
            break;
    }
    g_array_insert_val(info->valid_counts, i, count);
}

gboolean
gp_part_info_has_count(const GpPartInfo *info, guint count)
{
    for (guint i = 0; i < info->valid_counts->len; i++) {
        if (g_array_index(info->valid_counts, guint, i) == count)
            return TRUE;
    }
    return FALSE;
}

char *
gp_part_info_counts_text(const GpPartInfo *info)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < info->valid_counts->len; i++)
        g_string_append_printf(s, "%s%u", i ? ", " : "",
                               g_array_index(info->valid_counts, guint, i));
    return g_string_free(s, FALSE);
}

void
gp_part_info_set_current(GpPartInfo *info)
{
    const GpPartProfile *only = NULL;

    for (guint i = 0; i < info->profiles->len; i++) {
        const GpPartProfile *p = info->profiles->pdata[i];

        if (!p->in_use)
            continue;
        if (only)
            return; /* mixed: no one profile is the device's setting */
        only = p;
    }
    if (!only)
        return;
    g_free(info->profile);
    info->profile = g_strdup(only->id);
    info->count = only->max_instances;
}

GpPartProfile *
gp_part_info_find_profile(const GpPartInfo *info, const char *id)
{
    for (guint i = 0; id && i < info->profiles->len; i++) {
        GpPartProfile *profile = info->profiles->pdata[i];

        if (strcmp(profile->id, id) == 0)
            return profile;
    }
    return NULL;
}

GpPartition *
gp_partition_new(GpPartKind kind, const char *parent)
{
    GpPartition *part = g_new0(GpPartition, 1);

    part->kind = kind;
    part->parent = g_strdup(parent);
    return part;
}

void
gp_partition_free(GpPartition *part)
{
    if (!part)
        return;
    g_free(part->parent);
    g_free(part->uuid);
    g_free(part->address);
    g_free(part->profile);
    g_free(part);
}

/* ---- Shared helpers ----------------------------------------------------- */

GPtrArray *
gp_backend_vf_list(const char *pf, GError **error)
{
    g_autofree char *num_rel = gp_sysfs_pci_dev_path(pf, "sriov_numvfs");
    GPtrArray *vfs = g_ptr_array_new_with_free_func(g_free);
    guint64 n = 0;

    if (!gp_sysfs_exists(num_rel))
        return vfs;
    if (!gp_sysfs_read_u64(num_rel, &n, error)) {
        g_ptr_array_unref(vfs);
        return NULL;
    }
    /* virtfnN links are numbered from 0 in VF order; listing them sorted
     * by name would put virtfn10 before virtfn2. */
    for (guint64 i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("virtfn%" G_GUINT64_FORMAT, i);
        g_autofree char *link = gp_sysfs_pci_dev_path(pf, name);
        char *vf = gp_sysfs_link_name(link, NULL);

        if (vf)
            g_ptr_array_add(vfs, vf);
    }
    return vfs;
}

guint
gp_backend_vf_number(const char *pf, const char *address)
{
    g_autoptr(GPtrArray) vfs = gp_backend_vf_list(pf, NULL);

    for (guint i = 0; vfs && i < vfs->len; i++) {
        if (strcmp(vfs->pdata[i], address) == 0)
            return i + 1;
    }
    return 0;
}

gboolean
gp_backend_vf_set_count(const char *pf, guint count, GError **error)
{
    g_autofree char *num_rel = gp_sysfs_pci_dev_path(pf, "sriov_numvfs");
    g_autofree char *total_rel = gp_sysfs_pci_dev_path(pf, "sriov_totalvfs");
    g_autofree char *value = g_strdup_printf("%u", count);
    g_autoptr(GError) err = NULL;
    guint64 cur = 0, total = 0;

    if (!gp_sysfs_read_u64(total_rel, &total, NULL) || total == 0) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                    "%s has no SR-IOV virtual functions: choose an SR-IOV capable device",
                    pf);
        return FALSE;
    }
    if (count > total) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_INVALID,
                    "%s offers at most %" G_GUINT64_FORMAT " virtual functions, not %u: "
                    "choose a count from 1 to %" G_GUINT64_FORMAT,
                    pf, total, count, total);
        return FALSE;
    }
    if (!gp_sysfs_read_u64(num_rel, &cur, &err)) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_IO,
                    "cannot read the VF count of %s: %s", pf, err->message);
        return FALSE;
    }
    if (cur == count)
        return TRUE;
    /* The kernel refuses to change a non-zero VF count to another non-zero
     * one (EBUSY): the VFs must go first. */
    if (cur != 0 && count != 0 && !gp_sysfs_write(num_rel, "0", &err)) {
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_IO,
                    "cannot disable the VFs of %s: %s", pf, err->message);
        return FALSE;
    }
    if (!gp_sysfs_write(num_rel, value, &err)) {
        g_autofree char *back = g_strdup_printf("%" G_GUINT64_FORMAT, cur);

        /* Put back what was there so the host is as it was. */
        if (cur != 0 && count != 0)
            gp_sysfs_write(num_rel, back, NULL);
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_IO,
                    "cannot set %u VFs on %s: %s", count, pf, err->message);
        return FALSE;
    }
    return TRUE;
}

gboolean
gp_backend_vf_set_count_unprobed(const char *pf, guint count, GError **error)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(pf, "sriov_drivers_autoprobe");
    g_autofree char *was = gp_sysfs_read(rel, NULL);
    gboolean ok;

    if (g_strcmp0(was, "1") == 0)
        gp_sysfs_write(rel, "0", NULL);
    ok = gp_backend_vf_set_count(pf, count, error);
    if (g_strcmp0(was, "1") == 0)
        gp_sysfs_write(rel, "1", NULL);
    return ok;
}

/* "4Q", "12C", "48A": the number of GiB in an NVIDIA profile name's last
 * dash-separated word. */
static guint64
parse_nvidia_suffix(const char *text)
{
    const char *dash = strrchr(text, '-');
    const char *p;
    guint64 n = 0;

    if (!dash || !g_ascii_isdigit(dash[1]))
        return 0;
    for (p = dash + 1; g_ascii_isdigit(*p); p++)
        n = n * 10 + (guint64)(*p - '0');
    if (n == 0 || n > 4096)
        return 0;
    /* A profile letter (Q, C, A, B) and nothing after it. */
    if (!g_ascii_isalpha(p[0]) || p[1] != '\0')
        return 0;
    return n << 30;
}

/* "framebuffer=1024M" (NVIDIA's mdev descriptions). */
static guint64
parse_framebuffer_attr(const char *text)
{
    const char *p = strstr(text, "framebuffer=");
    char *end = NULL;
    guint64 n;

    if (!p)
        return 0;
    p += strlen("framebuffer=");
    n = g_ascii_strtoull(p, &end, 10);
    if (end == p)
        return 0;
    switch (g_ascii_toupper(*end)) {
    case 'G':
        return n << 30;
    case 'M':
        return n << 20;
    case 'K':
        return n << 10;
    default:
        return n;
    }
}

/* "64 MB", "4MiB", "2 GB" anywhere in the text. */
static guint64
parse_size_words(const char *text)
{
    for (const char *p = text; *p; p++) {
        char *end = NULL;
        guint64 n;

        if (!g_ascii_isdigit(*p) || (p > text && (g_ascii_isalnum(p[-1]) || p[-1] == 'x')))
            continue;
        n = g_ascii_strtoull(p, &end, 10);
        while (*end == ' ')
            end++;
        if (g_str_has_prefix(end, "MB") || g_str_has_prefix(end, "MiB"))
            return n << 20;
        if (g_str_has_prefix(end, "GB") || g_str_has_prefix(end, "GiB"))
            return n << 30;
        p = end - 1;
    }
    return 0;
}

guint64
gp_backend_parse_vram(const char *text)
{
    guint64 v;

    if (!text)
        return 0;
    if ((v = parse_framebuffer_attr(text)))
        return v;
    if ((v = parse_nvidia_suffix(text)))
        return v;
    return parse_size_words(text);
}

/* ---- The registry ------------------------------------------------------- */

static const GpBackendHost backend_host = {
    .abi = GP_BACKEND_ABI,
    .sysfs_read = gp_sysfs_read,
    .sysfs_read_u64 = gp_sysfs_read_u64,
    .sysfs_write = gp_sysfs_write,
    .sysfs_list = gp_sysfs_list,
    .sysfs_link_name = gp_sysfs_link_name,
    .sysfs_exists = gp_sysfs_exists,
    .sysfs_pci_dev_path = gp_sysfs_pci_dev_path,
    .vf = &gp_backend_vf,
    .vf_list = gp_backend_vf_list,
    .vf_number = gp_backend_vf_number,
    .vf_set_count = gp_backend_vf_set_count,
    .vfio_check_unused = gp_vfio_users_check_unused,
};

static GpBackendHost backend_host_live;

const GpBackendHost *
gp_backend_host(void)
{
    /* The quark is only known at run time. */
    if (backend_host_live.abi == 0) {
        backend_host_live = backend_host;
        backend_host_live.error_domain = GP_BACKEND_ERROR;
    }
    return &backend_host_live;
}

static GPtrArray *registry;   /* const GpBackendOps* */
static GPtrArray *problems;   /* char* */

const char *
gp_backend_plugindir(void)
{
    const char *env = g_getenv("GPUPOOL_PLUGINDIR");

    return env && *env ? env : GP_PKGLIBDIR;
}

static void
load_module(const char *path)
{
    GModule *module;
    gpointer sym = NULL;
    const GpBackendOps *ops;
    g_autoptr(GError) err = NULL;

    module = g_module_open(path, G_MODULE_BIND_LOCAL | G_MODULE_BIND_LAZY);
    if (!module) {
        g_ptr_array_add(problems, g_strdup_printf("back-end module %s does not load: %s",
                                                  path, g_module_error()));
        return;
    }
    if (!g_module_symbol(module, GP_BACKEND_MODULE_INIT_SYMBOL, &sym) || !sym) {
        g_ptr_array_add(problems,
                        g_strdup_printf("%s is not a gpupool back end: it has no %s",
                                        path, GP_BACKEND_MODULE_INIT_SYMBOL));
        g_module_close(module);
        return;
    }
    ops = ((GpBackendModuleInit)sym)(gp_backend_host(), GP_BACKEND_ABI, &err);
    if (!ops || ops->abi != GP_BACKEND_ABI) {
        g_ptr_array_add(problems,
                        g_strdup_printf("back-end module %s refused to load: %s", path,
                                        err ? err->message
                                            : "it was built for another gpupool version; "
                                              "reinstall it with this gpupool"));
        g_module_close(module);
        return;
    }
    if (gp_backend_lookup(ops->name)) {
        g_ptr_array_add(problems,
                        g_strdup_printf("back-end module %s is ignored: a back end named "
                                        "'%s' is already loaded", path, ops->name));
        g_module_close(module);
        return;
    }
    /* Ops tables live in the module: it must stay loaded. */
    g_module_make_resident(module);
    g_ptr_array_add(registry, (gpointer)ops);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
ensure_registry(void)
{
    const char *dir_path;
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) names = NULL;
    const char *name;

    if (registry)
        return;
    registry = g_ptr_array_new();
    problems = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(registry, (gpointer)&gp_backend_pci);
    g_ptr_array_add(registry, (gpointer)&gp_backend_mdev);
    g_ptr_array_add(registry, (gpointer)&gp_backend_vf);

    if (!g_module_supported())
        return;
    dir_path = gp_backend_plugindir();
    dir = g_dir_open(dir_path, 0, NULL);
    if (!dir)
        return;  /* no modules installed: the built-ins serve */
    names = g_ptr_array_new_with_free_func(g_free);
    while ((name = g_dir_read_name(dir))) {
        if (g_str_has_suffix(name, "." G_MODULE_SUFFIX))
            g_ptr_array_add(names, g_strdup(name));
    }
    /* A stable order, so equal scores are broken the same way each time. */
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir_path, names->pdata[i], NULL);

        load_module(path);
    }
}

void
gp_backend_reset(void)
{
    /* Modules stay resident; only the registry forgets them. */
    g_clear_pointer(&registry, g_ptr_array_unref);
    g_clear_pointer(&problems, g_ptr_array_unref);
}

GPtrArray *
gp_backend_problems(void)
{
    ensure_registry();
    return problems;
}

const GpBackendOps *
gp_backend_lookup(const char *name)
{
    for (guint i = 0; registry && i < registry->len; i++) {
        const GpBackendOps *ops = registry->pdata[i];

        if (strcmp(ops->name, name) == 0)
            return ops;
    }
    return NULL;
}

static const GpBackendOps *
best_for(const char *device, gboolean partitioners_only)
{
    const GpBackendOps *best = NULL;
    int best_score = GP_BACKEND_SCORE_NONE;

    ensure_registry();
    for (guint i = 0; i < registry->len; i++) {
        const GpBackendOps *ops = registry->pdata[i];
        int score;

        if (partitioners_only && ops->kind == GP_PART_KIND_WHOLE)
            continue;
        score = ops->probe(device);
        if (score > best_score) {
            best = ops;
            best_score = score;
        }
    }
    return best;
}

const GpBackendOps *
gp_backend_for(const char *device, GError **error)
{
    const GpBackendOps *ops = best_for(device, FALSE);

    if (!ops)
        g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                    "%s is neither a PCI device nor an mdev parent of this host: "
                    "see 'gpupool devices'", device);
    return ops;
}

const GpBackendOps *
gp_backend_partitioner_for(const char *device, GError **error)
{
    const GpBackendOps *ops = best_for(device, TRUE);

    if (!ops) {
        g_autofree char *rel = gp_sysfs_pci_dev_path(device, NULL);

        if (gp_sysfs_is_dir(rel))
            g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                        "%s cannot be partitioned: it offers neither mdev types nor SR-IOV "
                        "virtual functions (load its vendor driver, or use it whole in a "
                        "pci pool)", device);
        else
            g_set_error(error, GP_BACKEND_ERROR, GP_BACKEND_ERROR_UNSUPPORTED,
                        "%s is neither a PCI device nor an mdev parent of this host: "
                        "see 'gpupool devices'", device);
    }
    return ops;
}
