/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parts of base/xmldoc.h that need no libxml2: finding a string in
 * XML bytes, writing our own formats' attributes, and reading back the
 * one spelling gpupool writes.  Kept apart from xmldoc.c so that a
 * program that only scans (the hook) links no libxml2. */
#include "config.h"

#include "base/xmldoc.h"

#include <string.h>

gboolean
gp_xmldoc_contains(const char *hay, gsize len, const char *needle)
{
    gsize n = strlen(needle);

    for (const char *p = hay; p && (gsize)(p - hay) + n <= len;
         p = memchr(p + 1, needle[0], len - (gsize)(p + 1 - hay))) {
        if (memcmp(p, needle, n) == 0)
            return TRUE;
    }
    return FALSE;
}

gpointer
gp_xmldoc_read_with(const char *what, const char *xml, gsize len, gsize max_size,
                    GQuark domain, gint code, GpXmlDocReader reader, gpointer data,
                    GError **error)
{
    g_autoptr(GpXmlNode) root = NULL;
    gpointer result;

    /* What gp_xmldoc_parse() refuses before parsing is left to it, for
     * its words. */
    if (len <= max_size && !gp_xmldoc_contains(xml, len, "<!DOCTYPE") &&
        !gp_xmldoc_contains(xml, len, "<!ENTITY")) {
        root = gp_xmltree_parse(xml, len, NULL);
        if (root && (result = reader(root, data, NULL)))
            return result;
        g_clear_pointer(&root, gp_xmltree_free);
    }
    root = gp_xmldoc_parse_tree(what, xml, len, max_size, domain, code, error);
    return root ? reader(root, data, error) : NULL;
}

/* The length of VALUE if it is printable ASCII without markup characters,
 * which g_markup_escape_text() would return unchanged: nearly every value
 * we write (addresses, UUIDs, names), saving an allocation per attribute
 * on the hook's path; -1 otherwise. */
static gssize
verbatim_length(const char *value)
{
    const char *c;

    for (c = value; *c; c++) {
        /* Nearly every byte: printable ASCII above '\'' and '&', not '<' or '>'. */
        if (*c > '\'' && *c < 0x7f && *c != '<' && *c != '>')
            continue;
        switch (*c) {
        case '&': case '<': case '>': case '\'': case '"':
            return -1;
        default:
            if (*c < 0x20 || *c > 0x7e)
                return -1;
        }
    }
    return c - value;
}

/* Appends " NAME='VALUE'" for the LEN bytes of an escaped VALUE, growing
 * OUT once rather than once a piece: the hook writes every claim on each
 * call. */
static void
append_attr_len(GString *out, const char *name, const char *value, gsize len)
{
    gsize name_len = strlen(name);
    gsize at = out->len;
    char *p;

    g_string_set_size(out, at + name_len + len + 4);
    p = out->str + at;
    *p++ = ' ';
    memcpy(p, name, name_len);
    p += name_len;
    *p++ = '=';
    *p++ = '\'';
    memcpy(p, value, len);
    p += len;
    *p = '\'';
}

/* VALUE escaped as g_markup_escape_text() does, and tabs and line ends
 * as character references: g_markup_escape_text() leaves those as they
 * are, which a reader turns into spaces in an attribute value. */
static char *
escape_attr_value(const char *value)
{
    g_autofree char *esc = g_markup_escape_text(value, -1);
    GString *out;

    if (!strpbrk(esc, "\t\n\r"))
        return g_steal_pointer(&esc);
    out = g_string_sized_new(strlen(esc) + 16);
    for (const char *c = esc; *c; c++) {
        if (*c == '\t')
            g_string_append(out, "&#9;");
        else if (*c == '\n')
            g_string_append(out, "&#10;");
        else if (*c == '\r')
            g_string_append(out, "&#13;");
        else
            g_string_append_c(out, *c);
    }
    return g_string_free(out, FALSE);
}

void
gp_xmldoc_append_attr(GString *out, const char *name, const char *value)
{
    g_autofree char *esc = NULL;
    gssize len;

    if (!value)
        return;
    len = verbatim_length(value);
    if (len < 0) {
        esc = escape_attr_value(value);
        value = esc;
        len = strlen(esc);
    }
    append_attr_len(out, name, value, len);
}

void
gp_xmldoc_append_int_attr(GString *out, const char *name, gint64 value)
{
    char digits[24];
    char *d = digits + sizeof(digits);
    guint64 v = value < 0 ? -(guint64)value : (guint64)value;

    /* By hand: printf costs more than the rest of a claim's line. */
    do {
        *--d = '0' + v % 10;
        v /= 10;
    } while (v);
    if (value < 0)
        *--d = '-';
    append_attr_len(out, name, d, digits + sizeof(digits) - d);
}

/* ---- Reading back the written spelling ---------------------------------- */

void
gp_xmldoc_scan_init(GpXmlDocScan *scan, const char *xml, gsize len)
{
    scan->p = xml;
    scan->end = xml + len;
    scan->failed = FALSE;
}

/* verbatim_until() from P on, where a byte other than printable ASCII
 * is: kept out of line, so that the loop over the usual bytes needs no
 * registers saved. */
static G_GNUC_NO_INLINE const char *
verbatim_until_slow(const char *p, const char *end, char stop)
{
    while (p < end) {
        guchar c = (guchar)*p;
        gunichar u;

        if (c == (guchar)stop)
            return p;
        if (c == '&' || c == '<' || c < 0x20)
            return NULL;
        if (c < 0x80) {
            p++;
            continue;
        }
        u = g_utf8_get_char_validated(p, end - p);
        if (u == (gunichar)-1 || u == (gunichar)-2 || u == 0xfffe || u == 0xffff)
            return NULL;
        p = g_utf8_next_char(p);
    }
    return NULL;
}

/* Where the character data from P ends at STOP ('\'' for an attribute
 * value, '<' for text), or NULL if it is not verbatim: a reference
 * ('&'), a '<', a control character (the writer escapes those, and a
 * parser would normalise or refuse them), or bytes that are not UTF-8 of
 * XML characters (libxml2 refuses U+FFFE and U+FFFF, which GLib's
 * validation lets through). */
static inline const char *
verbatim_until(const char *p, const char *end, char stop)
{
    const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
    const guint64 highs = G_GUINT64_CONSTANT(0x8080808080808080);

    /* Eight bytes at a time while none is below 0x28 (which covers '&',
     * '\'' and control characters), at or above 0x80, or '<': the known
     * bit tricks for "has a byte less than N" and "has a zero byte",
     * exact for "is there any" when no byte has its high bit set (and
     * one that has stops the run anyway).  The byte loop below then
     * finds which. */
    while (end - p >= 8) {
        guint64 w;
        guint64 lt;

        memcpy(&w, p, sizeof(w));
        lt = w ^ (ones * '<');
        if ((((w - ones * 0x28) & ~w) | ((lt - ones) & ~lt) | w) & highs)
            break;
        p += 8;
    }
    for (; p < end; p++) {
        guchar c = (guchar)*p;

        /* Nearly every byte: printable ASCII above '\'' and '&', not '<'. */
        if (c > '\'' && c < 0x80 && c != '<')
            continue;
        if (c == (guchar)stop)
            return p;
        return verbatim_until_slow(p, end, stop);
    }
    return NULL;
}

gboolean
gp_xmldoc_scan_attr_value(GpXmlDocScan *scan, GpXmlDocSpan *value)
{
    const char *p = scan->p;
    const char *stop;

    stop = verbatim_until(p, scan->end, '\'');
    if (!stop) {
        scan->failed = TRUE;
        return FALSE;
    }
    value->str = p;
    value->len = stop - p;
    scan->p = stop + 1;
    return TRUE;
}

gboolean
gp_xmldoc_scan_text(GpXmlDocScan *scan, GpXmlDocSpan *text)
{
    const char *stop = scan->failed ? NULL : verbatim_until(scan->p, scan->end, '<');

    text->str = NULL;
    text->len = 0;
    /* "]]>" may not appear in character data. */
    if (!stop || gp_xmldoc_contains(scan->p, stop - scan->p, "]]>")) {
        scan->failed = TRUE;
        return FALSE;
    }
    text->str = scan->p;
    text->len = stop - scan->p;
    scan->p = stop;
    return TRUE;
}

gboolean
gp_xmldoc_scan_end(GpXmlDocScan *scan)
{
    return !scan->failed && scan->p == scan->end;
}

const char *
gp_xmldoc_span_str(const GpXmlDocSpan *span, char *buf, gsize size)
{
    if (!span->str || span->len >= size)
        return NULL;
    memcpy(buf, span->str, span->len);
    buf[span->len] = '\0';
    return buf;
}
