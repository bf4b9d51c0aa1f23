/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A simulated datacenter host whose two A100s are pool "gpus" (made with
 * pool-create and pool-add, so they are on vfio-pci), and libvirt's test
 * driver running the domains of a node file, for the suites of the
 * commands that talk to libvirt (test-cmd-check, test-cmd-domain).  The
 * test driver keeps no state between connections: each command sees the
 * node file's domains as they are written there. */
#pragma once

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "state/domxml.h"
#include "sim.h"

static GpSim *sim;
static char *uri;

/* A sample of tests/data/domains as the test driver runs it. */
static inline char *
virt_sample(const char *name)
{
    g_autofree char *path = g_build_filename(GP_TOP_SRCDIR, "tests", "data", "domains",
                                             name, NULL);
    g_autofree char *text = NULL;
    GRegex *re = g_regex_new("<domain type='(kvm|qemu)'>", 0, 0, NULL);
    char *out;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    out = g_regex_replace_literal(re, text, -1, 0, "<domain type='test'>", 0, NULL);
    g_regex_unref(re);
    return out;
}

/* XML (a domain definition) assigned DEVICE of pool "gpus", as `gpupool
 * assign` writes it. */
static inline char *
virt_assigned(const char *xml, const char *device, guint64 pcihole64)
{
    g_autoptr(GpDomXml) dom = gp_domxml_parse(xml, strlen(xml), NULL);
    GpDomPlan plan = { 0 };
    GpDomRequest *req = g_new0(GpDomRequest, 1);
    GpDomDevice *dev = g_new0(GpDomDevice, 1);
    char *out;

    cr_assert_not_null(dom);
    plan.requests = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);
    plan.devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    req->pool = g_strdup("gpus");
    req->count = 1;
    g_ptr_array_add(plan.requests, req);
    dev->pool = g_strdup("gpus");
    dev->address = g_strdup(device);
    g_ptr_array_add(plan.devices, dev);
    plan.pcihole64 = pcihole64;
    cr_assert(gp_domxml_apply(dom, &plan, NULL));
    g_ptr_array_unref(plan.requests);
    g_ptr_array_unref(plan.devices);
    out = gp_domxml_format(dom);
    return out;
}

/* The host and pool; the node file holds the NULL-terminated domain
 * definitions that follow. */
static inline void
virt_setup(const char *first, ...)
{
    const char *create[] = { "gpupool", "pool-create", "gpus", "--type", "pci", NULL };
    const char *add[] = { "gpupool", "pool-add", "gpus", GP_SIM_DC_GPU0, GP_SIM_DC_GPU1, NULL };
    g_autoptr(GString) node = g_string_new("<node>\n");
    g_autofree char *path = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status = -1;
    va_list ap;

    sim = gp_sim_fixture_datacenter();
    g_setenv("GPUPOOL_SCHEMADIR", GP_TOP_SRCDIR "/xml", TRUE);
    cr_assert(gp_sim_run(sim, create, &out, &err, &status) && status == 0, "%s", err);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    cr_assert(gp_sim_run(sim, add, &out, &err, &status) && status == 0, "%s", err);
    va_start(ap, first);
    for (const char *d = first; d; d = va_arg(ap, const char *))
        g_string_append(node, d);
    va_end(ap);
    g_string_append(node, "</node>\n");
    path = g_build_filename(gp_sim_base(sim), "node.xml", NULL);
    cr_assert(g_file_set_contents(path, node->str, -1, NULL));
    uri = g_strdup_printf("test://%s", path);
}

static inline void
virt_teardown(void)
{
    g_clear_pointer(&sim, gp_sim_free);
    g_clear_pointer(&uri, g_free);
}

/* Runs gpupool ARGS... --connect URI on the simulated host. */
static inline int
virt_run(char **out, char **err, const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    int status = -1;
    va_list ap;

    g_ptr_array_add(argv, (gpointer)"gpupool");
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, (gpointer)"--connect");
    g_ptr_array_add(argv, uri);
    g_ptr_array_add(argv, NULL);
    cr_assert(gp_sim_run(sim, (const char *const *)argv->pdata, out, err, &status));
    return status;
}

/* Another domain's claim on DEVICE, as the hook records it. */
static inline void
virt_claim(const char *device, const char *uuid, const char *name)
{
    g_autofree char *path = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
    g_autofree char *xml = g_strdup_printf(
        "<claims>\n  <claim device='%s' pool='gpus' domain-uuid='%s' domain-name='%s' "
        "since='1700000000'/>\n</claims>\n", device, uuid, name);

    g_mkdir_with_parents(gp_sim_statedir(sim), 0755);
    cr_assert(g_file_set_contents(path, xml, -1, NULL));
}
