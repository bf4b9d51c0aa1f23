/* SR-IOV virtual functions of a physical function. */
#include "config.h"

#include "host/sriov.h"

#include <stdlib.h>
#include <string.h>

#include "base/sysfs.h"
#include "plugin/backend.h"

typedef struct {
    guint64 number;
    char *address;
} Vf;

static gint
compare_vfs(gconstpointer a, gconstpointer b)
{
    const Vf *x = a;
    const Vf *y = b;

    return x->number < y->number ? -1 : x->number > y->number;
}

GPtrArray *
gp_sriov_vfs(const char *pf)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(pf, NULL);
    g_autoptr(GPtrArray) names = gp_sysfs_list(rel, NULL);
    g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(Vf));
    GPtrArray *vfs = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; names && i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *link = NULL;
        char *end = NULL;
        Vf vf;

        if (!g_str_has_prefix(name, "virtfn"))
            continue;
        vf.number = g_ascii_strtoull(name + strlen("virtfn"), &end, 10);
        if (end == name + strlen("virtfn") || *end)
            continue;
        link = gp_sysfs_pci_dev_path(pf, name);
        vf.address = gp_sysfs_link_name(link, NULL);
        if (vf.address)
            g_array_append_val(found, vf);
    }
    /* Sorted by name, virtfn10 would come before virtfn2. */
    g_array_sort(found, compare_vfs);
    for (guint i = 0; i < found->len; i++)
        g_ptr_array_add(vfs, g_array_index(found, Vf, i).address);
    return vfs;
}

guint
gp_sriov_vf_number(const char *pf, const char *address)
{
    g_autoptr(GPtrArray) vfs = gp_sriov_vfs(pf);

    for (guint i = 0; i < vfs->len; i++) {
        if (strcmp(vfs->pdata[i], address) == 0)
            return i + 1;
    }
    return 0;
}

gboolean
gp_sriov_set_count(const char *pf, guint count, GError **error)
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
gp_sriov_set_count_unprobed(const char *pf, guint count, GError **error)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(pf, "sriov_drivers_autoprobe");
    g_autofree char *was = gp_sysfs_read(rel, NULL);
    gboolean ok;

    if (!was)
        return gp_sriov_set_count(pf, count, error);
    if (strcmp(was, "0") != 0)
        gp_sysfs_write(rel, "0", NULL);
    ok = gp_sriov_set_count(pf, count, error);
    gp_sysfs_write(rel, "1", NULL);
    return ok;
}

gboolean
gp_sriov_autoprobe_on(const char *pf)
{
    g_autofree char *rel = gp_sysfs_pci_dev_path(pf, "sriov_drivers_autoprobe");
    g_autofree char *now = gp_sysfs_read(rel, NULL);

    return g_strcmp0(now, "0") == 0 && gp_sysfs_write(rel, "1", NULL);
}
