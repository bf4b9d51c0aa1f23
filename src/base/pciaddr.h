/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI addresses as the admin types them and as sysfs names them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GP_PCI_ADDR_ERROR gp_pci_addr_error_quark()
GQuark gp_pci_addr_error_quark(void);

typedef enum {
    GP_PCI_ADDR_ERROR_INVALID,
} GpPciAddrError;

typedef struct {
    guint domain;   /* 0..0xffff */
    guint bus;      /* 0..0xff */
    guint slot;     /* 0..0x1f */
    guint function; /* 0..7 */
} GpPciAddr;

/* Accepts "DDDD:BB:SS.F" and the short "BB:SS.F" (domain 0), in any case;
 * rejects everything else with a message that names the input and shows
 * the expected form. */
gboolean gp_pci_addr_parse(const char *str, GpPciAddr *addr, GError **error);
/* Whether the LEN bytes at STR are an address exactly as
 * gp_pci_addr_format() writes it (lower-case, every field at full
 * width), parsed into *ADDR.  gpupool's own files hold addresses in that
 * form; reading them this way skips a parse and a format per address. */
gboolean gp_pci_addr_parse_canonical(const char *str, gsize len, GpPciAddr *addr);
/* Canonical sysfs form, "0000:01:00.0". */
char *gp_pci_addr_format(const GpPciAddr *addr);
/* Parse and return the canonical form, or NULL. */
char *gp_pci_addr_canonical(const char *str, GError **error);
/* Same domain, bus and slot: functions of one physical device. */
gboolean gp_pci_addr_same_slot(const GpPciAddr *a, const GpPciAddr *b);
gint gp_pci_addr_compare(const GpPciAddr *a, const GpPciAddr *b);

G_END_DECLS
