/* What an accepted domain XML must hold, shared by the targets that read
 * domain XML (fuzz-domxml.h). */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "fuzz-domxml.h"
#include "base/pciaddr.h"
#include "state/pool.h"

void
fuzz_check_assignment(const GpDomAssignment *a, const char *xml, size_t len)
{
    guint total = 0;

    FUZZ_CHECK(a->name && *a->name, "an accepted domain has a name");
    FUZZ_CHECK(!a->uuid || gp_domxml_uuid_check(a->uuid), "uuid '%s'", a->uuid);
    FUZZ_CHECK(a->requests->len <= GP_DOMXML_MAX_REQUESTS, "%u requests", a->requests->len);
    FUZZ_CHECK(a->devices->len <= GP_DOMXML_MAX_COUNT, "%u devices", a->devices->len);
    for (guint i = 0; i < a->requests->len; i++) {
        const GpDomRequest *req = g_ptr_array_index(a->requests, i);

        FUZZ_CHECK(gp_pool_name_check(req->pool, NULL), "pool name '%s'", req->pool);
        FUZZ_CHECK(req->count >= 1 && req->count <= GP_DOMXML_MAX_COUNT, "count %u",
                   req->count);
        total += req->count;
    }
    FUZZ_CHECK(total == a->devices->len, "%u requested, %u reserved", total, a->devices->len);
    for (guint i = 0; i < a->devices->len; i++) {
        const GpDomDevice *dev = g_ptr_array_index(a->devices, i);
        g_autofree char *alias = g_strdup_printf(GP_DOMXML_ALIAS_PREFIX "%u", dev->index);

        FUZZ_CHECK(strcmp(dev->alias, alias) == 0, "alias '%s' with index %u", dev->alias,
                   dev->index);
        FUZZ_CHECK(i == 0 || ((GpDomDevice *)g_ptr_array_index(a->devices, i - 1))->index <
                                 dev->index, "devices sorted by index, each once");
        FUZZ_CHECK(!dev->address != !dev->uuid, "device %s: one address or one UUID",
                   dev->alias);
        FUZZ_CHECK(!dev->address || gp_pci_addr_parse(dev->address, &(GpPciAddr){ 0 }, NULL),
                   "address '%s'", dev->address);
        FUZZ_CHECK(!dev->uuid || gp_domxml_uuid_check(dev->uuid), "uuid '%s'", dev->uuid);
        FUZZ_CHECK(gp_dom_assignment_request(a, dev->pool), "device of an unrequested pool");
    }
    if (a->requests->len > 0)
        FUZZ_CHECK(a->uuid, "a domain with a request has a UUID");
    for (guint i = 0; i < a->passthrough->len; i++) {
        const char *id = g_ptr_array_index(a->passthrough, i);

        FUZZ_CHECK(gp_pci_addr_parse(id, &(GpPciAddr){ 0 }, NULL) || gp_domxml_uuid_check(id),
                   "passed-through device '%s'", id);
    }
    /* gp_domxml_has_assignment(): "FALSE means certainly none". */
    if (a->requests->len > 0 || a->devices->len > 0)
        FUZZ_CHECK(gp_domxml_has_assignment(xml, len),
                   "a request the hook's first test says cannot be there");
    /* GP_DOMXML_PASSTHROUGH_MARK: "a domain without it cannot name a pool
     * device". */
    if (a->passthrough->len > 0)
        FUZZ_CHECK(gp_domxml_may_pass_through(xml, len),
                   "a passed-through device the hook's first test says cannot be there");
}
