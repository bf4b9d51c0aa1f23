/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "policy/mmio.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(gp-mmio-error-quark, gp_mmio_error)

static guint64
pow2_ceil(guint64 v)
{
    guint64 p = 1;

    if (v > (1ULL << 63))
        return 0;
    while (p < v)
        p <<= 1;
    return p;
}

static guint64
align_up(guint64 v, guint64 align)
{
    return align ? (v + align - 1) / align * align : v;
}

gboolean
gp_mmio_parse_size(const char *str, guint64 *bytes, GError **error)
{
    static const struct {
        char letter;
        guint shift;
    } units[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 }, { 'P', 50 } };
    const char *p = str ? str : "";
    guint64 v = 0;
    guint shift = 0;
    gsize digits = 0;

    while (g_ascii_isdigit(*p) && digits < 20) {
        guint d = (guint)(*p - '0');

        if (v > (G_MAXUINT64 - d) / 10)
            goto invalid;
        v = v * 10 + d;
        p++;
        digits++;
    }
    if (digits == 0)
        goto invalid;
    if (*p) {
        gboolean found = FALSE;

        for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
            if (g_ascii_toupper(*p) == units[i].letter) {
                shift = units[i].shift;
                found = TRUE;
            }
        }
        if (!found)
            goto invalid;
        p++;
        if (strcmp(p, "iB") == 0 || strcmp(p, "B") == 0)
            p += strlen(p);
        if (*p)
            goto invalid;
    }
    if (shift && v > (G_MAXUINT64 >> shift))
        goto out_of_range;
    v <<= shift;
    if (v < GP_MMIO_SIZE_MIN || v > GP_MMIO_SIZE_MAX)
        goto out_of_range;
    if (v % (1ULL << 20)) {
        g_set_error(error, GP_MMIO_ERROR, GP_MMIO_ERROR_INVALID,
                    "MMIO size '%.32s' is not a whole number of MiB: use a size such as "
                    "512M or 64G", str);
        return FALSE;
    }
    *bytes = v;
    return TRUE;

 out_of_range:
    g_set_error(error, GP_MMIO_ERROR, GP_MMIO_ERROR_INVALID,
                "MMIO size '%.32s' is out of range: give 256M to 256T, or 'auto'", str);
    return FALSE;
 invalid:
    g_set_error(error, GP_MMIO_ERROR, GP_MMIO_ERROR_INVALID,
                "'%.32s%s' is not an MMIO size: write 'auto' or a size such as 512M, 64G "
                "or 1T", str ? str : "", str && strlen(str) > 32 ? "..." : "");
    return FALSE;
}

char *
gp_mmio_format_size(guint64 bytes)
{
    static const struct {
        const char *suffix;
        guint shift;
    } units[] = { { "P", 50 }, { "T", 40 }, { "G", 30 }, { "M", 20 }, { "K", 10 } };

    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        guint64 unit = 1ULL << units[i].shift;

        if (bytes >= unit && bytes % unit == 0)
            return g_strdup_printf("%" G_GUINT64_FORMAT "%s", bytes / unit, units[i].suffix);
    }
    return g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
}

static gint
size_desc(gconstpointer a, gconstpointer b)
{
    guint64 x = *(const guint64 *)a;
    guint64 y = *(const guint64 *)b;

    return (x < y) - (x > y);
}

guint64
gp_mmio_device_footprint(const GpPciBar bars[6])
{
    guint64 sizes[6];
    guint n = 0;
    guint64 offset = 0;

    for (guint i = 0; i < 6; i++)
        if (bars[i].size && !bars[i].is_io && bars[i].is_64bit)
            sizes[n++] = bars[i].size;
    if (n == 0)
        return 0;
    qsort(sizes, n, sizeof(sizes[0]), size_desc);
    /* BAR sizes are powers of two on real hardware; pow2_ceil keeps the
     * arithmetic safe for anything else. */
    for (guint i = 0; i < n; i++)
        offset = align_up(offset, pow2_ceil(sizes[i])) + sizes[i];
    return align_up(offset, pow2_ceil(sizes[0]));
}

guint64
gp_mmio_window(guint64 total)
{
    guint64 headroom;
    guint64 window;

    if (total == 0)
        return 0;
    headroom = MAX(total / 8, 1ULL << 30);
    if (total > G_MAXUINT64 / 2)
        return 0;
    window = pow2_ceil(total + headroom);
    return MAX(window, GP_MMIO_WINDOW_MIN);
}

guint
gp_mmio_phys_bits(guint64 memory, guint slots, guint64 window)
{
    guint64 ram_top = (4ULL << 30) + memory + (guint64)slots * (1ULL << 30);
    guint64 end;
    guint bits = 0;

    ram_top = align_up(ram_top, 1ULL << 30);
    end = align_up(ram_top, window) + window;
    while (bits < 64 && (1ULL << bits) < end)
        bits++;
    return bits;
}
