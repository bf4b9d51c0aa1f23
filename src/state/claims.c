/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "state/claims.h"

#include <string.h>


#include "base/paths.h"
#include "base/pciaddr.h"
#include "base/txfile.h"
#include "base/xmldoc.h"
#include "state/domxml.h"
#include "state/pool.h"

G_DEFINE_QUARK(gp-claims-error-quark, gp_claims_error)

/* No hash table: the claims are kept sorted (as the file lists them), so
 * a lookup is a binary search, and loading a thousand claims on every
 * domain start builds nothing more than the array. */
struct _GpClaims {
    GPtrArray *claims;      /* GpClaim*, owned, sorted by device (compare_entries()) */
    char *text;             /* the file as read in the writer's spelling, or NULL */
    gpointer block;         /* the claims read from TEXT, with their strings */
};

static void claim_free(gpointer claim);

GpClaims *
gp_claims_new(void)
{
    GpClaims *claims = g_new0(GpClaims, 1);

    claims->claims = g_ptr_array_new_with_free_func(claim_free);
    return claims;
}

void
gp_claims_free(GpClaims *claims)
{
    if (!claims)
        return;
    g_ptr_array_unref(claims->claims);
    g_free(claims->block);
    g_free(claims->text);
    g_free(claims);
}

/* A claim with its sort key worked out once: the hook loads the whole
 * file on every domain start, and parsing addresses in the comparator
 * would cost more than the XML. */
typedef struct {
    GpClaim claim;  /* first, so a GpClaim* is a ClaimEntry* */
    guint64 key;    /* PCI address as a number, so PCI devices sort first and
                     * numerically; G_MAXUINT64 for mdev UUIDs */
    /* The claim's line in GpClaims.text, if it was read from the writer's
     * spelling: a claim never changes, so saving writes that line again
     * instead of formatting it anew.  NULL otherwise. */
    const char *line;
    gsize line_len;
    /* In GpClaims.block, with every claim read from the file in the
     * writer's spelling (load_written()), rather than a block of its own. */
    gboolean in_block;
} ClaimEntry;

/* The strings of a claim, in the order claim_new() takes them. */
enum {
    CLAIM_DEVICE,
    CLAIM_POOL,
    CLAIM_DOMAIN_UUID,
    CLAIM_DOMAIN_NAME,
    CLAIM_PARENT,
    CLAIM_N_STRINGS
};

static GpXmlDocSpan
span_of(const char *str)
{
    return (GpXmlDocSpan){ .str = str, .len = str ? strlen(str) : 0 };
}

/* Makes E a claim of the strings VALUES (an absent one stays NULL),
 * copied to P on; where they end.  Nothing changes a claim's strings
 * once it is made. */
static char *
claim_fill(ClaimEntry *e, char *p, const GpXmlDocSpan values[CLAIM_N_STRINGS])
{
    char **fields[CLAIM_N_STRINGS];

    *e = (ClaimEntry){ 0 };
    fields[CLAIM_DEVICE] = &e->claim.device;
    fields[CLAIM_POOL] = &e->claim.pool;
    fields[CLAIM_DOMAIN_UUID] = &e->claim.domain_uuid;
    fields[CLAIM_DOMAIN_NAME] = &e->claim.domain_name;
    fields[CLAIM_PARENT] = &e->claim.parent;
    for (int i = 0; i < CLAIM_N_STRINGS; i++) {
        if (!values[i].str)
            continue;
        memcpy(p, values[i].str, values[i].len);
        p[values[i].len] = '\0';
        *fields[i] = p;
        p += values[i].len + 1;
    }
    return p;
}

/* A claim of the strings VALUES, made as one block with them and freed
 * with claim_free(). */
static GpClaim *
claim_new(const GpXmlDocSpan values[CLAIM_N_STRINGS])
{
    gsize size = sizeof(ClaimEntry);
    ClaimEntry *e;

    for (int i = 0; i < CLAIM_N_STRINGS; i++)
        if (values[i].str)
            size += values[i].len + 1;
    e = g_malloc(size);
    claim_fill(e, (char *)(e + 1), values);
    return &e->claim;
}

static void
claim_free(gpointer claim)
{
    if (!((ClaimEntry *)claim)->in_block)
        g_free(claim);
}

/* The sort key of a claim on PCI device A, or on an mdev (A NULL). */
static guint64
key_of(const GpPciAddr *a)
{
    if (a)
        return ((guint64)a->domain << 16) | (a->bus << 8) | (a->slot << 3) | a->function;
    return G_MAXUINT64;
}

static void
claim_set_key_of(GpClaim *claim, const GpPciAddr *a)
{
    ((ClaimEntry *)claim)->key = key_of(a);
}

static gint
compare_entries(const GpClaim *a, const GpClaim *b)
{
    guint64 ka = ((const ClaimEntry *)a)->key;
    guint64 kb = ((const ClaimEntry *)b)->key;

    if (ka != kb)
        return ka < kb ? -1 : 1;
    return strcmp(a->device, b->device);
}

static gint
compare_claims(gconstpointer a, gconstpointer b)
{
    return compare_entries(*(const GpClaim *const *)a, *(const GpClaim *const *)b);
}

/* One spelling per device, so that a lookup cannot miss a claim: the
 * canonical PCI address (parsed into *ADDR, *IS_PCI set), or the
 * lower-case UUID of an mdev.  NULL if DEVICE is neither.  The address is
 * parsed once: the hook does this for every claim per call. */
static char *
device_canonical(const char *device, GpPciAddr *addr, gboolean *is_pci)
{
    *is_pci = device && gp_pci_addr_parse(device, addr, NULL);
    if (*is_pci)
        return gp_pci_addr_format(addr);
    if (device && g_uuid_string_is_valid(device))
        return g_ascii_strdown(device, -1);
    return NULL;
}

static gboolean
corrupt(GError **error, const char *path, const char *detail)
{
    g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_CORRUPT,
                "the claims file %s is corrupt (%s): gpupool will not guess who holds "
                "which device; repair the file from 'virsh list' and the domains' "
                "hostdevs, or move it aside if no running domain uses a pooled device",
                path, detail);
    return FALSE;
}

static gboolean
hex_digits(const char *str, int n)
{
    for (int i = 0; i < n; i++)
        if (!g_ascii_isxdigit(str[i]))
            return FALSE;
    return TRUE;
}

/* Whether STR is a UUID as g_uuid_string_is_valid() says, at a tenth of
 * its cost: the hook checks every claim's on each call.  (A NUL stops
 * hex_digits() before the end of a short string.) */
static gboolean
uuid_is_valid(const char *str)
{
    return hex_digits(str, 8) && str[8] == '-' && hex_digits(str + 9, 4) && str[13] == '-' &&
           hex_digits(str + 14, 4) && str[18] == '-' && hex_digits(str + 19, 4) &&
           str[23] == '-' && hex_digits(str + 24, 12) && str[36] == '\0';
}

/* The since attribute SINCE, a non-negative number that fits a gint64, as
 * g_ascii_string_to_signed() reads it; a short run of plain digits (as
 * the writer puts it, and which cannot overflow) is read by hand. */
static gboolean
since_parse(const char *since, gint64 *v)
{
    gint64 n = 0;
    int i;

    for (i = 0; i < 18 && g_ascii_isdigit(since[i]); i++)
        n = n * 10 + (since[i] - '0');
    if (i > 0 && since[i] == '\0') {
        *v = n;
        return TRUE;
    }
    return g_ascii_string_to_signed(since, 10, 0, G_MAXINT64, v, NULL);
}

/* What is wrong with CLAIM as read from the file, whose since attribute
 * is SINCE, as xml/claims.rng would refuse it (every attribute is
 * checked: a claim read wrongly is a device handed out twice); NULL if
 * nothing, with CLAIM's since set.  GOOD_POOL, if not NULL, is a pool
 * name known to be valid.  A bad device is a NULL one, as
 * device_canonical() leaves it. */
static const char *
claim_fault(GpClaim *claim, const char *since, const char *good_pool)
{
    gint64 v;

    if (!claim->device)
        return "bad or missing device";
    /* Nearly every claim names the pool the one before it named. */
    if (!claim->pool ||
        (!(good_pool && strcmp(claim->pool, good_pool) == 0) &&
         !gp_pool_name_check(claim->pool, NULL)))
        return "bad or missing pool";
    if (!claim->domain_uuid || !uuid_is_valid(claim->domain_uuid))
        return "bad or missing domain-uuid";
    if (!gp_domxml_name_check(claim->domain_name, NULL))
        return "bad or missing domain-name";
    if (!since || !since_parse(since, &v))
        return "bad or missing since";
    if (claim->parent && !*claim->parent)
        return "empty parent";
    claim->since = v;
    return NULL;
}

/* Parses one <claim> of a tree; a refusal's message is what is wrong
 * with the file (corrupt() says the rest). */
static GpClaim *
parse_claim(const GpXmlNode *node, GError **error)
{
    g_autofree char *raw_device = g_strdup(gp_xmltree_attr_any(node, "device"));
    const char *pool = gp_xmltree_attr_any(node, "pool");
    const char *domain_uuid = gp_xmltree_attr_any(node, "domain-uuid");
    const char *domain_name = gp_xmltree_attr_any(node, "domain-name");
    const char *since = gp_xmltree_attr_any(node, "since");
    const char *parent = gp_xmltree_attr_any(node, "parent");
    g_autofree char *device = NULL;
    const char *fault;
    GpClaim *claim;
    GpPciAddr addr;
    gboolean is_pci;

    device = device_canonical(raw_device, &addr, &is_pci);
    claim = claim_new((GpXmlDocSpan[CLAIM_N_STRINGS]){
        [CLAIM_DEVICE] = span_of(device),
        [CLAIM_POOL] = span_of(pool),
        [CLAIM_DOMAIN_UUID] = span_of(domain_uuid),
        [CLAIM_DOMAIN_NAME] = span_of(domain_name),
        [CLAIM_PARENT] = span_of(parent),
    });
    fault = claim_fault(claim, since, NULL);
    if (fault) {
        g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_CORRUPT, "line %u: %s",
                    node->line, fault);
        g_free(claim);
        return NULL;
    }
    claim_set_key_of(claim, is_pci ? &addr : NULL);
    return claim;
}

/* Where a claim on the canonical DEVICE whose sort key is KEY is in
 * CLAIMS, or would go; *FOUND set if it is there. */
static guint
claim_position(GpClaims *claims, const char *device, guint64 key, gboolean *found)
{
    ClaimEntry probe = { .claim.device = (char *)device, .key = key };
    guint lo = 0;
    guint hi = claims->claims->len;

    *found = FALSE;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        gint c = compare_entries(claims->claims->pdata[mid], &probe.claim);

        if (c == 0) {
            *found = TRUE;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Sorts the claims of a hand-edited file, if they are not in order. */
static void
sort_loaded(GpClaims *claims)
{
    for (guint i = 1; i < claims->claims->len; i++) {
        if (compare_entries(claims->claims->pdata[i - 1], claims->claims->pdata[i]) > 0) {
            g_ptr_array_sort(claims->claims, compare_claims);
            break;
        }
    }
}

/* Whether STR is a UUID as device_canonical() spells it. */
static gboolean
uuid_is_canonical(const char *str)
{
    if (!uuid_is_valid(str))
        return FALSE;
    for (const char *c = str; *c; c++)
        if (g_ascii_isupper(*c))
            return FALSE;
    return TRUE;
}

/* The claims file as gp_claims_save() writes it, read without a tree
 * (gp_xmldoc_scan_init()) and checked as parse_claim() checks a claim;
 * the claims' lines point into DATA, which the caller hands to them.
 * NULL if it is spelled any other way or anything in it is refused: the
 * tree then reads it and says what is wrong, so every message stays the
 * tree's. */
static GpClaims *
load_written(const char *data, gsize len)
{
    g_autoptr(GpClaims) claims = gp_claims_new();
    const char *good_pool = NULL;  /* the last claim's pool, checked */
    GpXmlDocScan scan;
    ClaimEntry *entries;
    char *strings;
    gsize most = 0;

    /* One block for every claim and its strings, not one each: a claim
     * takes a line, and its strings (each followed by at least a quote
     * in the file) fit in the bytes of the file. */
    for (const char *nl = data; (nl = memchr(nl, '\n', data + len - nl)); nl++)
        most++;
    if (most == 0)
        return NULL;  /* not the writer's spelling */
    claims->block = g_malloc(most * sizeof(ClaimEntry) + len);
    entries = claims->block;
    strings = (char *)(entries + most);
    gp_xmldoc_scan_init(&scan, data, len);
    if (!gp_xmldoc_scan_skip(&scan, "<claims>\n"))
        return NULL;
    for (const char *line = scan.p; gp_xmldoc_scan_skip(&scan, "  <claim"); line = scan.p) {
        GpXmlDocSpan values[CLAIM_N_STRINGS];
        GpXmlDocSpan since;
        char since_buf[32];
        ClaimEntry *e;
        GpClaim *claim;
        GpPciAddr addr;
        gboolean is_pci;

        if (claims->claims->len == most ||
            !gp_xmldoc_scan_attr(&scan, "device", &values[CLAIM_DEVICE]) ||
            !gp_xmldoc_scan_attr(&scan, "pool", &values[CLAIM_POOL]) ||
            !gp_xmldoc_scan_attr(&scan, "domain-uuid", &values[CLAIM_DOMAIN_UUID]) ||
            !gp_xmldoc_scan_attr(&scan, "domain-name", &values[CLAIM_DOMAIN_NAME]) ||
            !gp_xmldoc_scan_attr(&scan, "since", &since))
            return NULL;
        gp_xmldoc_scan_attr(&scan, "parent", &values[CLAIM_PARENT]);
        if (!gp_xmldoc_scan_skip(&scan, "/>\n"))
            return NULL;
        /* Devices are written in canonical form: any other spelling is
         * the tree's to read. */
        is_pci = gp_pci_addr_parse_canonical(values[CLAIM_DEVICE].str, values[CLAIM_DEVICE].len,
                                             &addr);
        e = &entries[claims->claims->len];
        strings = claim_fill(e, strings, values);
        e->in_block = TRUE;
        claim = &e->claim;
        claim_set_key_of(claim, is_pci ? &addr : NULL);
        /* The writer lists each device once, in order: a file that does
         * not is the tree's to read (and refuse, if a device is twice). */
        if ((!is_pci && !uuid_is_canonical(claim->device)) ||
            claim_fault(claim, gp_xmldoc_span_str(&since, since_buf, sizeof(since_buf)),
                        good_pool) ||
            (claims->claims->len > 0 &&
             compare_entries(g_ptr_array_index(claims->claims, claims->claims->len - 1),
                             claim) >= 0))
            return NULL;
        g_ptr_array_add(claims->claims, claim);
        good_pool = claim->pool;
        ((ClaimEntry *)claim)->line = line;
        ((ClaimEntry *)claim)->line_len = scan.p - line;
    }
    if (!gp_xmldoc_scan_skip(&scan, "</claims>\n") || !gp_xmldoc_scan_end(&scan))
        return NULL;
    return g_steal_pointer(&claims);
}

/* The claims in the tree of a file not in the written spelling (a
 * GpXmlDocReader); a refusal's message is what is wrong with it. */
static gpointer
claims_from_tree(const GpXmlNode *root, gpointer data, GError **error)
{
    g_autoptr(GpClaims) claims = gp_claims_new();
    /* Each device's first claim, to name the line of the second. */
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    if (strcmp(root->name, "claims") != 0 || root->ns) {
        g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_CORRUPT,
                    "the root element is not <claims>");
        return NULL;
    }
    for (const GpXmlNode *n = root->children; n; n = n->next) {
        GpClaim *claim;

        if (n->type == GP_XML_NODE_TEXT || n->type == GP_XML_NODE_COMMENT)
            continue;
        if (n->type != GP_XML_NODE_ELEMENT || strcmp(n->name, "claim") != 0 || n->children) {
            g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_CORRUPT,
                        "line %u: unexpected content", n->line);
            return NULL;
        }
        claim = parse_claim(n, error);
        if (!claim)
            return NULL;
        if (!g_hash_table_add(seen, claim->device)) {
            g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_CORRUPT,
                        "line %u: %s is claimed twice", n->line, claim->device);
            g_free(claim);
            return NULL;
        }
        g_ptr_array_add(claims->claims, claim);
    }
    sort_loaded(claims);
    return g_steal_pointer(&claims);
}

/* The file is ours, read on every domain start: instead of a RelaxNG pass
 * the loader checks each claim as strictly as xml/claims.rng describes it
 * (claim_fault()), at a fraction of the cost, and reads a file in the
 * spelling gp_claims_save() writes without building a tree. */
GpClaims *
gp_claims_load(GError **error)
{
    g_autofree char *path = gp_paths_claims();
    g_autofree char *data = NULL;
    g_autofree char *what = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GpClaims) claims = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return gp_claims_new();
        g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_IO,
                    "cannot read the claims file: %s (run as root)", err->message);
        return NULL;
    }
    if (len <= GP_XMLDOC_MAX_SIZE && (claims = load_written(data, len))) {
        claims->text = g_steal_pointer(&data);
        return g_steal_pointer(&claims);
    }

    what = g_strdup_printf("the claims file %s", path);
    claims = gp_xmldoc_read_with(what, data, len, GP_XMLDOC_MAX_SIZE, GP_CLAIMS_ERROR,
                                 GP_CLAIMS_ERROR_CORRUPT, claims_from_tree, NULL, &err);
    if (!claims) {
        corrupt(error, path, err->message);
        return NULL;
    }
    return g_steal_pointer(&claims);
}

/* Appends the LEN bytes at DATA to PIECES, joining the last piece if they
 * follow it in memory: the lines of claims read from the file come back
 * as the few runs of it that a change left whole. */
static void
add_piece(GArray *pieces, const char *data, gsize len)
{
    GpTxPiece *last = pieces->len ? &g_array_index(pieces, GpTxPiece, pieces->len - 1) : NULL;

    if (last && last->data + last->len == data) {
        last->len += len;
        return;
    }
    g_array_append_val(pieces, ((GpTxPiece){ data, len }));
}

/* The file is written from the lines of the file as read, where a claim
 * has one, and the new claims' lines: no copy of the whole file is made
 * (the hook saves on every claim and release). */
gboolean
gp_claims_save(GpClaims *claims, GError **error)
{
    g_autofree char *dir = gp_paths_statedir();
    g_autofree char *path = gp_paths_claims();
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) fresh = g_string_new(NULL);
    g_autoptr(GArray) ends = g_array_new(FALSE, FALSE, sizeof(gsize));
    g_autoptr(GArray) pieces = g_array_sized_new(FALSE, FALSE, sizeof(GpTxPiece), 8);
    guint next = 0;
    gsize start = 0;

    /* The new lines first, so that FRESH no longer moves. */
    for (guint i = 0; i < claims->claims->len; i++) {
        const GpClaim *c = g_ptr_array_index(claims->claims, i);

        if (((const ClaimEntry *)c)->line)
            continue;
        g_string_append(fresh, "  <claim");
        gp_xmldoc_append_attr(fresh, "device", c->device);
        gp_xmldoc_append_attr(fresh, "pool", c->pool);
        gp_xmldoc_append_attr(fresh, "domain-uuid", c->domain_uuid);
        gp_xmldoc_append_attr(fresh, "domain-name", c->domain_name);
        gp_xmldoc_append_int_attr(fresh, "since", c->since);
        gp_xmldoc_append_attr(fresh, "parent", c->parent);
        g_string_append(fresh, "/>\n");
        g_array_append_val(ends, fresh->len);
    }
    add_piece(pieces, "<claims>\n", strlen("<claims>\n"));
    for (guint i = 0; i < claims->claims->len; i++) {
        const ClaimEntry *e = g_ptr_array_index(claims->claims, i);
        gsize end;

        if (e->line) {
            add_piece(pieces, e->line, e->line_len);
            continue;
        }
        end = g_array_index(ends, gsize, next++);
        add_piece(pieces, fresh->str + start, end - start);
        start = end;
    }
    add_piece(pieces, "</claims>\n", strlen("</claims>\n"));
    if (!gp_txfile_ensure_dir(dir, 0755, &err) ||
        !gp_txfile_replace_pieces(path, (const GpTxPiece *)(gpointer)pieces->data, pieces->len,
                                  0644, &err)) {
        g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_IO,
                    "cannot save the claims file: %s (check that %s is writable)",
                    err->message, dir);
        return FALSE;
    }
    return TRUE;
}

GPtrArray *
gp_claims_all(GpClaims *claims)
{
    return claims->claims;
}

const GpClaim *
gp_claims_find(GpClaims *claims, const char *device)
{
    g_autofree char *canon = NULL;
    GpPciAddr addr;
    gboolean is_pci;
    gboolean found;
    guint pos;

    if (!device)
        return NULL;
    /* The common case: callers pass canonical PCI addresses. */
    is_pci = gp_pci_addr_parse_canonical(device, strlen(device), &addr);
    if (!is_pci && !(device = canon = device_canonical(device, &addr, &is_pci)))
        return NULL;
    pos = claim_position(claims, device, key_of(is_pci ? &addr : NULL), &found);
    return found ? claims->claims->pdata[pos] : NULL;
}

gboolean
gp_claim_is_domains(const GpClaim *claim, const char *domain_uuid, const char *domain_name)
{
    return domain_uuid && g_ascii_strcasecmp(claim->domain_uuid, domain_uuid) == 0 &&
           (!domain_name || strcmp(claim->domain_name, domain_name) == 0);
}

GPtrArray *
gp_claims_of_domain(GpClaims *claims, const char *domain_uuid, const char *domain_name)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < claims->claims->len; i++) {
        GpClaim *c = g_ptr_array_index(claims->claims, i);

        if (gp_claim_is_domains(c, domain_uuid, domain_name))
            g_ptr_array_add(out, c);
    }
    return out;
}

gboolean
gp_claims_add(GpClaims *claims, const char *device, const char *pool,
              const char *domain_uuid, const char *domain_name,
              const char *parent, GError **error)
{
    GpPciAddr addr;
    gboolean is_pci;
    g_autofree char *canon = device_canonical(device, &addr, &is_pci);
    const GpClaim *held = gp_claims_find(claims, canon);
    GpClaim *claim;
    gboolean found;
    guint pos;

    if (held) {
        if (gp_claim_is_domains(held, domain_uuid, domain_name))
            return TRUE;
        g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_HELD,
                    "%s of pool '%s' is held by domain '%s' (%s) since %" G_GINT64_FORMAT
                    ": stop that domain first ('virsh shutdown %s')",
                    held->device, held->pool, held->domain_name, held->domain_uuid,
                    held->since, held->domain_name);
        return FALSE;
    }
    /* Refuse what the file could not carry back: the record must load. */
    if (!canon || !pool || !gp_pool_name_check(pool, NULL) ||
        !domain_uuid || !g_uuid_string_is_valid(domain_uuid) ||
        !gp_domxml_name_check(domain_name, NULL) || (parent && !*parent)) {
        g_set_error(error, GP_CLAIMS_ERROR, GP_CLAIMS_ERROR_IO,
                    "cannot record a claim of '%.64s' for domain '%.64s': device, pool, domain "
                    "UUID or name is malformed (this is a gpupool bug: report it)",
                    device ? device : "", domain_name ? domain_name : "");
        return FALSE;
    }

    claim = claim_new((GpXmlDocSpan[CLAIM_N_STRINGS]){
        [CLAIM_DEVICE] = span_of(canon),
        [CLAIM_POOL] = span_of(pool),
        [CLAIM_DOMAIN_UUID] = span_of(domain_uuid),
        [CLAIM_DOMAIN_NAME] = span_of(domain_name),
        [CLAIM_PARENT] = span_of(parent),
    });
    for (char *c = claim->domain_uuid; *c; c++)
        *c = g_ascii_tolower(*c);
    claim->since = g_get_real_time() / G_USEC_PER_SEC;
    claim_set_key_of(claim, is_pci ? &addr : NULL);

    pos = claim_position(claims, claim->device, ((ClaimEntry *)claim)->key, &found);
    g_ptr_array_insert(claims->claims, pos, claim);
    return TRUE;
}

guint
gp_claims_drop_domain(GpClaims *claims, const char *domain_uuid, const char *domain_name)
{
    guint dropped = 0;

    for (guint i = claims->claims->len; i > 0; i--) {
        GpClaim *c = g_ptr_array_index(claims->claims, i - 1);

        if (gp_claim_is_domains(c, domain_uuid, domain_name)) {
            g_ptr_array_remove_index(claims->claims, i - 1);
            dropped++;
        }
    }
    return dropped;
}

gboolean
gp_claims_drop_device(GpClaims *claims, const char *device)
{
    GpClaim *c = (GpClaim *)gp_claims_find(claims, device);

    if (!c)
        return FALSE;
    return g_ptr_array_remove(claims->claims, c);
}
