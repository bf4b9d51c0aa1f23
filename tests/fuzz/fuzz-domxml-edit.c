/* Rewriting a domain definition, as assign, unassign and rebalance do
 * (gp_domxml_parse(), gp_domxml_apply(), gp_domxml_clear(),
 * src/state/domxml.h), on any definition a user can make libvirt store.
 *
 * Input: domain XML; its last byte chooses the plan (how many devices,
 * PCI or mdev, which MMIO settings), so that the target shares its seeds
 * with the other domain XML targets.  Checked, besides crashes,
 * leaks and undefined behaviour: refusals say why; clear is
 * idempotent and leaves no request; what apply writes, the strict reader
 * reads back as the plan; applying twice gives the same document; and
 * clear undoes apply, byte for byte but for blank text between tags: an
 * element that held nothing but blank text comes back empty (<devices/>),
 * which is the same definition to libvirt.  libvirt's own layouts come
 * back byte for byte (tests/unit/test-domxml.c). */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "state/domxml.h"

static const char *const addresses[] = {
    "0000:41:00.0", "0000:81:00.0", "0000:c1:00.1", "0001:02:1f.7",
};
static const char *const uuids[] = {
    "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0001", "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0002",
    "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0003", "8b4c2a5e-0d63-4b8b-9a55-2f5a3c1e0004",
};

static void
plan_init(GpDomPlan *plan, uint8_t choice)
{
    guint count = 1 + (choice & 3);
    GpDomRequest *req = g_new0(GpDomRequest, 1);

    plan->requests = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_request_free);
    plan->devices = g_ptr_array_new_with_free_func((GDestroyNotify)gp_dom_device_free);
    req->pool = g_strdup("gpus");
    req->count = count;
    g_ptr_array_add(plan->requests, req);
    for (guint i = 0; i < count; i++) {
        GpDomDevice *dev = g_new0(GpDomDevice, 1);

        dev->pool = g_strdup("gpus");
        if (choice & 4)
            dev->uuid = g_strdup(uuids[i]);
        else
            dev->address = g_strdup(addresses[i]);
        g_ptr_array_add(plan->devices, dev);
    }
    plan->pcihole64 = (choice & 8) ? 1ULL << 40 : 0;
    plan->ovmf_mmio64 = (choice & 16) ? 1ULL << 40 : 0;
    plan->phys_bits = (choice & 32) ? 42 : 0;
}

static void
plan_clear(GpDomPlan *plan)
{
    g_ptr_array_unref(plan->requests);
    g_ptr_array_unref(plan->devices);
}

static void
check_reads_back(GpDomXml *dom, const GpDomPlan *plan)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = gp_domxml_assignment(dom, &error);

    FUZZ_CHECK(a, "what apply wrote does not read back: %s", error->message);
    FUZZ_CHECK(a->requests->len == 1 && a->devices->len == plan->devices->len,
               "%u requests, %u devices read back", a->requests->len, a->devices->len);
    for (guint i = 0; i < a->devices->len; i++) {
        const GpDomDevice *got = g_ptr_array_index(a->devices, i);
        const GpDomDevice *want = g_ptr_array_index(plan->devices, i);

        FUZZ_CHECK(g_strcmp0(got->address, want->address) == 0 &&
                       g_strcmp0(got->uuid, want->uuid) == 0,
                   "device %u reads back as %s", i, got->address ? got->address : got->uuid);
    }
}

static void
check_nothing_left(GpDomXml *dom)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpDomAssignment) a = gp_domxml_assignment(dom, &error);

    /* It may still be refused for what the admin wrote (a passed-through
     * device gpupool cannot read), never for gpupool's part. */
    if (a)
        FUZZ_CHECK(a->requests->len == 0 && a->devices->len == 0, "clear left a request");
}

/* TEXT without blank text between tags, every empty element as <x/>. */
static char *
layout_free(const char *text)
{
    static GRegex *blank, *empty;
    g_autofree char *joined = NULL;

    if (!blank) {
        blank = g_regex_new(">[ \t\r\n]+<", 0, 0, NULL);
        empty = g_regex_new("<([^\\s/>!?]+)([^<>]*)></\\1>", 0, 0, NULL);
    }
    joined = g_regex_replace_literal(blank, text, -1, 0, "><", 0, NULL);
    return g_regex_replace(empty, joined, -1, 0, "<\\1\\2/>", 0, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GpDomXml) dom = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *cleared = NULL;
    g_autofree char *again = NULL;
    g_autofree char *applied = NULL;
    g_autofree char *reapplied = NULL;
    g_autofree char *undone = NULL;
    GpDomPlan plan = { 0 };

    if (size < 1)
        return 0;
    dom = gp_domxml_parse((const char *)data, size, &error);
    if (!dom) {
        FUZZ_CHECK_ERROR(error);
        return 0;
    }
    g_free(gp_domxml_format(dom));

    FUZZ_CHECK(gp_domxml_clear(dom, NULL), "clear failed");
    cleared = gp_domxml_format(dom);
    FUZZ_CHECK(gp_domxml_clear(dom, NULL), "clear failed the second time");
    again = gp_domxml_format(dom);
    FUZZ_CHECK(strcmp(cleared, again) == 0, "clear is not idempotent");
    check_nothing_left(dom);

    /* assign refuses a name the claims cannot record before it edits
     * anything; what apply wrote for one would rightly not read back. */
    if (!gp_domxml_name_check(gp_domxml_name(dom), NULL))
        return 0;
    plan_init(&plan, data[size - 1]);
    if (!gp_domxml_apply(dom, &plan, &error)) {
        FUZZ_CHECK_ERROR(error);
        plan_clear(&plan);
        return 0;
    }
    applied = gp_domxml_format(dom);
    check_reads_back(dom, &plan);
    FUZZ_CHECK(gp_domxml_apply(dom, &plan, &error), "the same plan failed the second time: %s",
               error->message);
    reapplied = gp_domxml_format(dom);
    FUZZ_CHECK(strcmp(applied, reapplied) == 0, "applying twice changed the document");

    FUZZ_CHECK(gp_domxml_clear(dom, NULL), "clear after apply failed");
    undone = gp_domxml_format(dom);
    check_nothing_left(dom);
    {
        g_autofree char *want = layout_free(cleared);
        g_autofree char *got = layout_free(undone);

        FUZZ_CHECK(strcmp(want, got) == 0, "clear did not undo apply:\n--- before\n%s\n"
                   "--- after\n%s", cleared, undone);
    }
    plan_clear(&plan);
    return 0;
}
