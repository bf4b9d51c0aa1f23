/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "base/pciaddr.h"

#include <string.h>

G_DEFINE_QUARK(gp-pci-addr-error-quark, gp_pci_addr_error)

static gboolean
parse_hex_field(const char *s, size_t len, guint max, guint *out)
{
    guint v = 0;

    if (len == 0)
        return FALSE;
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
        v = v * 16 + g_ascii_xdigit_value(s[i]);
    }
    if (v > max)
        return FALSE;
    *out = v;
    return TRUE;
}

gboolean
gp_pci_addr_parse(const char *str, GpPciAddr *addr, GError **error)
{
    GpPciAddr a = { 0 };
    const char *p;
    const char *colon2;
    const char *dot;
    size_t len;

    if (!str)
        str = "";
    len = strlen(str);
    /* Longest valid form is 12 characters; bound the work and the echo. */
    if (len == 0 || len > 12)
        goto invalid;

    dot = strchr(str, '.');
    if (!dot || strchr(dot + 1, '.'))
        goto invalid;
    if (!parse_hex_field(dot + 1, strlen(dot + 1), 7, &a.function) || strlen(dot + 1) != 1)
        goto invalid;

    colon2 = NULL;
    for (p = str; p < dot; p++)
        if (*p == ':')
            colon2 = p;
    if (!colon2)
        goto invalid;
    if (dot - colon2 - 1 != 2 || !parse_hex_field(colon2 + 1, 2, 0x1f, &a.slot))
        goto invalid;

    {
        const char *colon1 = memchr(str, ':', colon2 - str);

        if (colon1) {
            if (colon1 - str != 4 || colon2 - colon1 - 1 != 2)
                goto invalid;
            if (!parse_hex_field(str, 4, 0xffff, &a.domain) ||
                !parse_hex_field(colon1 + 1, 2, 0xff, &a.bus))
                goto invalid;
        } else {
            if (colon2 - str != 2 || !parse_hex_field(str, 2, 0xff, &a.bus))
                goto invalid;
        }
    }
    *addr = a;
    return TRUE;

 invalid:
    g_set_error(error, GP_PCI_ADDR_ERROR, GP_PCI_ADDR_ERROR_INVALID,
                "'%.*s%s' is not a PCI address: write it as DOMAIN:BUS:SLOT.FUNCTION, "
                "for example 0000:01:00.0 (see 'gpupool devices')",
                40, str, strlen(str) > 40 ? "..." : "");
    return FALSE;
}

/* The value of the N lower-case hex digits at STR, or -1. */
static int
lower_hex_value(const char *str, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = str[i];

        if (c >= '0' && c <= '9')
            v = v * 16 + (c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (c - 'a' + 10);
        else
            return -1;
    }
    return v;
}

gboolean
gp_pci_addr_parse_canonical(const char *str, gsize len, GpPciAddr *addr)
{
    int domain, bus, slot, function;

    if (len != 12 || str[4] != ':' || str[7] != ':' || str[10] != '.')
        return FALSE;
    domain = lower_hex_value(str, 4);
    bus = lower_hex_value(str + 5, 2);
    slot = lower_hex_value(str + 8, 2);
    function = lower_hex_value(str + 11, 1);
    if (domain < 0 || bus < 0 || slot < 0 || slot > 0x1f || function < 0 || function > 7)
        return FALSE;
    addr->domain = domain;
    addr->bus = bus;
    addr->slot = slot;
    addr->function = function;
    return TRUE;
}

static char *
put_hex(char *p, guint value, int digits)
{
    static const char hex[] = "0123456789abcdef";

    for (int i = digits - 1; i >= 0; i--)
        p[i] = hex[(value >> (4 * (digits - 1 - i))) & 0xf];
    return p + digits;
}

/* "%04x:%02x:%02x.%x" by hand: the hook formats every address of a pool
 * and of the claims file on each call, and printf costs twenty times this. */
char *
gp_pci_addr_format(const GpPciAddr *addr)
{
    char *out;
    char *p;

    if (addr->domain > 0xffff || addr->bus > 0xff || addr->slot > 0xff || addr->function > 0xf)
        return g_strdup_printf("%04x:%02x:%02x.%x",
                               addr->domain, addr->bus, addr->slot, addr->function);
    out = p = g_malloc(13);
    p = put_hex(p, addr->domain, 4);
    *p++ = ':';
    p = put_hex(p, addr->bus, 2);
    *p++ = ':';
    p = put_hex(p, addr->slot, 2);
    *p++ = '.';
    p = put_hex(p, addr->function, 1);
    *p = '\0';
    return out;
}

char *
gp_pci_addr_canonical(const char *str, GError **error)
{
    GpPciAddr a;

    if (!gp_pci_addr_parse(str, &a, error))
        return NULL;
    return gp_pci_addr_format(&a);
}

gboolean
gp_pci_addr_same_slot(const GpPciAddr *a, const GpPciAddr *b)
{
    return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

gint
gp_pci_addr_compare(const GpPciAddr *a, const GpPciAddr *b)
{
    if (a->domain != b->domain)
        return a->domain < b->domain ? -1 : 1;
    if (a->bus != b->bus)
        return a->bus < b->bus ? -1 : 1;
    if (a->slot != b->slot)
        return a->slot < b->slot ? -1 : 1;
    if (a->function != b->function)
        return a->function < b->function ? -1 : 1;
    return 0;
}
