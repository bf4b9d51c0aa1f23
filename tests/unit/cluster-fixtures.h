/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One node of a cluster, simulated, for the suites of src/cluster/: the
 * datacenter host (two A100s) with pool "gpus" of both, the way an admin
 * makes it, shared domain XML files rewritten by `gpupool assign --file`,
 * and claims of domains running there.  Each suite that includes this
 * gets its own SIM; cluster_teardown() frees it. */
#pragma once

#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "state/claims.h"
#include "state/pool.h"
#include "state/poolstore.h"
#include "sim.h"

static GpSim *sim;

/* Runs the built gpupool with ARGS... (NULL-terminated); the exit status. */
static inline int
gpupool(char **out, char **err, const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *arg;
    va_list ap;
    int status = -1;

    g_ptr_array_add(argv, (gpointer)"gpupool");
    g_ptr_array_add(argv, (gpointer)first);
    va_start(ap, first);
    while ((arg = va_arg(ap, const char *)))
        g_ptr_array_add(argv, (gpointer)arg);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    cr_assert(gp_sim_run(sim, (const char *const *)argv->pdata, out, err, &status));
    return status;
}

/* The datacenter node with pool "gpus" of its two A100s, as pool-create
 * and pool-add leave it (on vfio-pci). */
static inline void
cluster_setup(void)
{
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

    sim = gp_sim_fixture_datacenter();
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
    g_setenv("GPUPOOL_PCI_IDS", GP_TOP_SRCDIR "/tests/data/pci.ids", TRUE);
    g_setenv("OCF_RESKEY_CRM_meta_on_node", "node1", TRUE);
    cr_assert_eq(gpupool(&out, &err, "pool-create", "gpus", "--type", "pci", NULL), 0, "%s",
                 err);
    cr_assert_eq(gpupool(&out2, &err2, "pool-add", "gpus", GP_SIM_DC_GPU0, GP_SIM_DC_GPU1,
                         NULL), 0, "%s", err2);
}

static inline void
cluster_teardown(void)
{
    g_clear_pointer(&sim, gp_sim_free);
    g_unsetenv("OCF_RESKEY_CRM_meta_on_node");
}

static inline char *
file_text(const char *path)
{
    char *text = NULL;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    return text;
}

/* The sample domain SAMPLE (tests/data/domains) as a shared file
 * BASE/shared/SAMPLE, optionally renamed NAME with UUID, assigned COUNT
 * devices of POOL with `gpupool assign --file` (POOL NULL: not assigned). */
static inline char *
shared_domain(const char *sample, const char *name, const char *uuid, const char *pool,
              guint count)
{
    g_autofree char *src = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains", sample,
                                            NULL);
    g_autofree char *dir = g_build_filename(gp_sim_base(sim), "shared", NULL);
    g_autofree char *text = NULL;
    g_autofree char *file = g_strdup_printf("%s.xml", name ? name : sample);
    g_autofree char *n = g_strdup_printf("%u", count);
    char *path = g_build_filename(dir, file, NULL);

    cr_assert(g_mkdir_with_parents(dir, 0755) == 0);
    text = file_text(src);
    if (name) {
        GRegex *rn = g_regex_new("<name>[^<]*</name>", 0, 0, NULL);
        GRegex *ru = g_regex_new("<uuid>[^<]*</uuid>", 0, 0, NULL);
        g_autofree char *tn = g_strdup_printf("<name>%s</name>", name);
        g_autofree char *tu = g_strdup_printf("<uuid>%s</uuid>", uuid);
        char *a = g_regex_replace_literal(rn, text, -1, 0, tn, 0, NULL);
        char *b = g_regex_replace_literal(ru, a, -1, 0, tu, 0, NULL);

        g_free(a);
        g_free(text);
        text = b;
        g_regex_unref(rn);
        g_regex_unref(ru);
    }
    cr_assert(g_file_set_contents(path, text, -1, NULL));
    if (pool) {
        g_autofree char *out = NULL, *err = NULL;

        cr_assert_eq(gpupool(&out, &err, "assign", "--file", path, "--pool", pool, "--count",
                             n, NULL), 0, "%s", err);
    }
    return path;
}

/* Domain NAME (UUID) runs on this node and holds DEVICE of POOL. */
static inline void
hold(const char *device, const char *pool, const char *uuid, const char *name,
     const char *parent)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpClaims) claims = gp_claims_load(&error);

    cr_assert_not_null(claims, "%s", error ? error->message : "");
    cr_assert(gp_claims_add(claims, device, pool, uuid, name, parent, &error), "%s",
              error ? error->message : "");
    cr_assert(gp_claims_save(claims, &error), "%s", error ? error->message : "");
}

/* STATEDIR/cluster/FILE */
static inline char *
runtime_path(const char *file)
{
    return g_build_filename(gp_sim_statedir(sim), "cluster", file, NULL);
}

/* ERR is exactly one line. */
#define assert_one_line(err) \
    cr_expect((err) && *(err) && strchr((err), '\n') == (err) + strlen(err) - 1, \
              "not one line: %s", (err))
