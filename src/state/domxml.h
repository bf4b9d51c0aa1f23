/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A libvirt domain definition as gpupool reads and rewrites it: the
 * gpupool request recorded in <metadata>, the <hostdev>s gpupool added
 * (alias "ua-gpupool-N"), and the MMIO and stop-action settings assign
 * changed.
 *
 * Metadata, in the domain's <metadata> (schema xml/metadata.rng):
 *
 *   <gpupool:assignment xmlns:gpupool="http://gpupool.org/xmlns/domain/1.0">
 *     <gpupool:request pool="gpus" count="1" mmio="auto" type="pci"/>
 *     <gpupool:device alias="ua-gpupool-0" pool="gpus" address="0000:41:00.0"/>
 *     <gpupool:added what="pcihole64" value="536870912" previous="..."/>
 *   </gpupool:assignment>
 *
 * The hook runs gp_domxml_read_assignment() as root on every domain start
 * on XML that less-trusted users may have written, so reading is strict
 * and bounded; a domain without gpupool metadata costs one substring
 * search (gp_domxml_has_assignment()). */
#pragma once

#include <glib.h>

#include "state/pool.h"

G_BEGIN_DECLS

#define GP_DOMXML_ERROR gp_domxml_error_quark()
GQuark gp_domxml_error_quark(void);

typedef enum {
    GP_DOMXML_ERROR_INVALID,      /* malformed XML or gpupool metadata */
    GP_DOMXML_ERROR_UNSUPPORTED,  /* a domain gpupool cannot rewrite (machine type, arch) */
} GpDomXmlError;

#define GP_DOMXML_NS "http://gpupool.org/xmlns/domain/1.0"
#define GP_DOMXML_NS_PREFIX "gpupool"
/* Aliases of the <hostdev>s gpupool owns: "ua-gpupool-N", N = 0..63.
 * libvirt keeps user aliases ("ua-" prefix) across define and start. */
#define GP_DOMXML_ALIAS_PREFIX "ua-gpupool-"

/* Bounds on what the hook accepts.  Domain XML comes from libvirt and is
 * rarely over 100 KB; 16 MiB leaves room for huge definitions (thousands
 * of disks) and still bounds a hostile one.  The hook reads no more than
 * this (hooks/hook-ops.h). */
#define GP_DOMXML_MAX_SIZE (16 * 1024 * 1024)
#define GP_DOMXML_MAX_COUNT 64     /* devices per request and per domain */
#define GP_DOMXML_MAX_REQUESTS 16  /* pools per domain */

typedef struct {
    char *pool;
    guint count;     /* 1..GP_DOMXML_MAX_COUNT */
    guint64 mmio;    /* bytes of 64-bit MMIO window; 0 = "auto" */
    /* What the pool handed out when assign wrote the request, so that a
     * host the domain migrates to can tell whether its pool of the same
     * name gives the same kind of device.  Metadata written before
     * gpupool recorded it reads as HAS_TYPE FALSE. */
    gboolean has_type;
    GpPoolType type;
    char *profile;   /* mdev: the pool's mdev type; vf: its vendor profile; NULL: none */
} GpDomRequest;

typedef struct {
    char *alias;     /* "ua-gpupool-N" */
    guint index;     /* N */
    char *pool;
    char *address;   /* canonical PCI address (pci and vf pools), else NULL */
    char *uuid;      /* mdev UUID (mdev pools), else NULL */
} GpDomDevice;

/* A change assign made outside <hostdev>, so unassign can put back what
 * was there before.  WHAT is one of the GP_DOMXML_CHANGE_* names. */
typedef struct {
    char *what;
    char *value;     /* what assign set */
    char *previous;  /* what was there before; NULL = nothing was */
} GpDomChange;

/* pcihole64 of the root PCI controller, in KiB. */
#define GP_DOMXML_CHANGE_PCIHOLE64 "pcihole64"
/* OVMF's 64-bit PCI aperture (fw_cfg opt/ovmf/X-PciMmio64Mb on QEMU's
 * command line, <qemu:commandline>), in MiB. */
#define GP_DOMXML_CHANGE_OVMF_MMIO64 "ovmf-mmio64"
/* Guest physical address bits (<cpu><maxphysaddr>): "emulate:N",
 * "passthrough". */
#define GP_DOMXML_CHANGE_PHYSBITS "maxphysaddr"
/* <on_crash> */
#define GP_DOMXML_CHANGE_ON_CRASH "on_crash"
/* The indexes of the domain's PCI controllers before the first assign
 * ("0-6,9"): a controller libvirt adds for a gpupool hostdev is removed
 * with it. */
#define GP_DOMXML_CHANGE_CONTROLLERS "pci-controllers"
/* Elements gpupool created to hold its settings, space-separated
 * ("metadata controller cpu qemu:commandline xmlns:qemu"); removed again
 * when empty (the namespace declaration when unused). */
#define GP_DOMXML_CHANGE_CREATED "created"

typedef enum {
    GP_DOM_MACHINE_OTHER = 0,
    GP_DOM_MACHINE_Q35,     /* root controller pcie-root */
    GP_DOM_MACHINE_I440FX,  /* root controller pci-root */
} GpDomMachine;

typedef struct {
    char *uuid;             /* domain UUID, lower case */
    char *name;
    GPtrArray *requests;    /* GpDomRequest*; empty: no gpupool request */
    GPtrArray *devices;     /* GpDomDevice*, sorted by index */
    GPtrArray *changes;     /* GpDomChange* */
    guint64 pcihole64;      /* bytes currently set on the root controller; 0 = none */
    guint64 ovmf_mmio64;    /* bytes of OVMF's aperture set by fw_cfg; 0 = none */
    guint phys_bits;        /* <maxphysaddr mode='emulate' bits='N'/>; 0 = not set */
    gboolean phys_bits_passthrough;
    char *machine;          /* <os><type machine=...>, may be NULL */
    GpDomMachine machine_kind;
    char *arch;             /* may be NULL */
    gboolean ovmf;          /* UEFI firmware (OVMF) rather than SeaBIOS */
    char *on_crash;         /* <on_crash>, NULL when the domain leaves libvirt's default */
    guint64 memory;         /* bytes: the larger of <memory> and <maxMemory> */
    guint memory_slots;     /* <maxMemory slots=...> */
    /* Host devices the domain passes through outside gpupool's metadata:
     * the canonical PCI address of every <hostdev type='pci'> and
     * <interface type='hostdev'> source and the UUID of every
     * <hostdev type='mdev'>, except the ua-gpupool <hostdev>s the
     * metadata accounts for.  The hook refuses a start that names a pool
     * device this way (gp_alloc_check_passthrough()). */
    GPtrArray *passthrough; /* char* */
    /* The element each of PASSTHROUGH comes from, for messages:
     * "<hostdev>" or "<interface type='hostdev'>" (static strings). */
    GPtrArray *passthrough_kinds;
} GpDomAssignment;

void gp_dom_request_free(GpDomRequest *req);
void gp_dom_device_free(GpDomDevice *dev);
void gp_dom_change_free(GpDomChange *change);
void gp_dom_assignment_free(GpDomAssignment *assignment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpDomAssignment, gp_dom_assignment_free)

/* TRUE if XML may carry a gpupool request (it mentions our namespace).
 * FALSE means certainly none: the hook exits at once. */
gboolean gp_domxml_has_assignment(const char *xml, gsize len);

/* Every way a domain definition passes a host device through spells this
 * (<hostdev>, <interface type='hostdev'>), or, in an attribute value,
 * writes it with character references (type='host&#100;ev'), which start
 * with GP_DOMXML_CHARREF_MARK: a domain with neither cannot name a pool
 * device.  The libc-only hook gate searches for them too. */
#define GP_DOMXML_PASSTHROUGH_MARK "hostdev"
#define GP_DOMXML_CHARREF_MARK "&#"
/* TRUE if XML may pass a host device through (it contains
 * GP_DOMXML_PASSTHROUGH_MARK or GP_DOMXML_CHARREF_MARK). */
gboolean gp_domxml_may_pass_through(const char *xml, gsize len);

/* The UUID of a domain definition too large to parse, from its head:
 * libvirt writes <name> and <uuid> right after <domain>, so the first
 * <uuid> element of the first 64 KiB, after a <domain start tag, is the
 * domain's.  Lower case; NULL if there is none that gp_domxml_uuid_check()
 * accepts.  LEN may be the length of a prefix of the document. */
char *gp_domxml_head_uuid(const char *xml, gsize len);

/* Parse a domain definition (as libvirt passes it to hooks or returns it
 * from virDomainGetXMLDesc) and its gpupool metadata.  A domain without
 * gpupool metadata gives an assignment with no requests.  Strict: bounded
 * size, no DTD or entities, every value checked (pool names with
 * gp_pool_name_check(), addresses with gp_pci_addr_parse(), aliases
 * exactly "ua-gpupool-N"), the metadata devices must match the domain's
 * ua-gpupool <hostdev>s one for one, and a request is read only where
 * gp_domxml_has_assignment() finds one (the namespace written out, not
 * as character references).  Errors name the domain and the fix. */
GpDomAssignment *gp_domxml_read_assignment(const char *xml, gsize len, GError **error);

/* gp_domxml_read_assignment() without libxml2, for the hook: the same
 * assignment, or NULL with GP_XMLTREE_ERROR_UNDECIDED (base/xmltree.h)
 * when the XML is outside what GMarkup reads as libxml2 does, or when
 * gp_domxml_read_assignment() would refuse it: the caller then runs
 * that, which gives the refusal in its words.  Never accepts what
 * gp_domxml_read_assignment() refuses (tests/fuzz/fuzz-domxml-fast.c). */
GpDomAssignment *gp_domxml_read_assignment_fast(const char *xml, gsize len, GError **error);

/* An mdev or domain UUID in the canonical 8-4-4-4-12 hex form. */
gboolean gp_domxml_uuid_check(const char *uuid);

/* The longest domain name gpupool records. */
#define GP_DOMXML_NAME_MAX 256
/* NAME can be recorded as a holder (claims file, XML 1.0): 1 to
 * GP_DOMXML_NAME_MAX bytes of UTF-8 without control characters.  libvirt
 * accepts a TAB in a name; such a domain is refused, at assign and by
 * the hook, with GP_DOMXML_ERROR_INVALID naming the character and the
 * fix ('virsh domrename'). The one check of names: the claims take
 * only what it accepts. */
gboolean gp_domxml_name_check(const char *name, GError **error);

/* Requests found in ASSIGNMENT for POOL, or NULL. */
GpDomRequest *gp_dom_assignment_request(const GpDomAssignment *assignment, const char *pool);
/* Total devices requested over all pools. */
guint gp_dom_assignment_count(const GpDomAssignment *assignment);

/* ---- Rewriting --------------------------------------------------------- */

/* A parsed domain definition being rewritten.  Formatting is preserved:
 * gp_domxml_format() of an unchanged document gives back libvirt's own
 * formatting byte for byte, and every change gpupool makes is undone
 * exactly by gp_domxml_clear(). */
typedef struct _GpDomXml GpDomXml;

GpDomXml *gp_domxml_parse(const char *xml, gsize len, GError **error);
void gp_domxml_free(GpDomXml *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GpDomXml, gp_domxml_free)
char *gp_domxml_format(GpDomXml *dom);
const char *gp_domxml_name(GpDomXml *dom);
const char *gp_domxml_uuid(GpDomXml *dom);
/* Strict read of the document's current state (see
 * gp_domxml_read_assignment()). */
GpDomAssignment *gp_domxml_assignment(GpDomXml *dom, GError **error);

/* What assign wants the domain to look like. */
typedef struct {
    GPtrArray *requests;    /* GpDomRequest* */
    GPtrArray *devices;     /* GpDomDevice*; aliases are (re)numbered from 0 */
    guint64 pcihole64;      /* bytes, multiple of 1 KiB; 0 = leave as the admin had it */
    guint64 ovmf_mmio64;    /* bytes, multiple of 1 MiB; 0 = leave (ignored without OVMF) */
    guint phys_bits;        /* 0 = leave as is */
} GpDomPlan;

/* Make the domain carry PLAN (whose device aliases are renumbered in
 * place, "ua-gpupool-0" upwards, in plan order): first undo what gpupool changed before
 * (gp_domxml_clear()), then add the metadata, the <hostdev>s, the MMIO
 * settings and <on_crash>destroy</on_crash>, recording every previous
 * value.  Applying the same plan twice gives the same document. */
gboolean gp_domxml_apply(GpDomXml *dom, const GpDomPlan *plan, GError **error);

/* Remove exactly what gpupool added and put back the values it changed,
 * unless the admin changed them since (then they are the admin's and
 * stay).  Elements gpupool does not own are never touched.  Idempotent;
 * returns TRUE also when there was nothing to remove. */
gboolean gp_domxml_clear(GpDomXml *dom, GError **error);

/* Re-point the gpupool device with alias ALIAS to another device of the
 * same pool (rebalance): the metadata entry and the <hostdev> source. */
gboolean gp_domxml_repoint(GpDomXml *dom, const char *alias, const char *address,
                           const char *uuid, GError **error);

G_END_DECLS
