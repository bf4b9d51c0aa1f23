/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sizing the guest's 64-bit MMIO window, with the numbers of the
 * datacenter fixture: GPUs with a 16 MiB 32-bit BAR0, a 128 GiB 64-bit
 * prefetchable BAR1 and a 32 MiB 64-bit prefetchable BAR3. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "policy/mmio.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

static void
datacenter_gpu(GpPciBar bars[6])
{
    memset(bars, 0, 6 * sizeof(GpPciBar));
    bars[0] = (GpPciBar){ .size = 16 * MiB };
    bars[1] = (GpPciBar){ .size = 128 * GiB, .is_64bit = TRUE, .prefetchable = TRUE };
    bars[3] = (GpPciBar){ .size = 32 * MiB, .is_64bit = TRUE, .prefetchable = TRUE };
    bars[5] = (GpPciBar){ .size = 128, .is_io = TRUE };
}

Test(mmio, datacenter_gpu_takes_its_64bit_bars_aligned_to_the_largest)
{
    GpPciBar bars[6];

    datacenter_gpu(bars);
    /* 128 GiB + 32 MiB, and the next device's bridge window starts at the
     * next 128 GiB boundary. */
    cr_assert_eq(gp_mmio_device_footprint(bars), 256 * GiB);
}

Test(mmio, two_datacenter_gpus_need_a_1_tib_window)
{
    GpPciBar bars[6];
    guint64 total;

    datacenter_gpu(bars);
    total = 2 * gp_mmio_device_footprint(bars);
    /* 512 GiB of devices + 64 GiB headroom, rounded up to a power of two. */
    cr_assert_eq(gp_mmio_window(total), 1 * TiB);
}

Test(mmio, one_datacenter_gpu_needs_512_gib)
{
    GpPciBar bars[6];

    datacenter_gpu(bars);
    cr_assert_eq(gp_mmio_window(gp_mmio_device_footprint(bars)), 512 * GiB);
}

Test(mmio, device_without_64bit_bars_needs_nothing)
{
    GpPciBar bars[6] = { { .size = 16 * MiB }, { .size = 256, .is_io = TRUE } };

    cr_assert_eq(gp_mmio_device_footprint(bars), 0);
    cr_assert_eq(gp_mmio_window(0), 0);
}

Test(mmio, small_devices_get_the_minimum_window)
{
    GpPciBar bars[6] = { { .size = 256 * MiB, .is_64bit = TRUE, .prefetchable = TRUE } };

    cr_assert_eq(gp_mmio_device_footprint(bars), 256 * MiB);
    cr_assert_eq(gp_mmio_window(256 * MiB), GP_MMIO_WINDOW_MIN);
}

Test(mmio, headroom_is_at_least_one_gib)
{
    /* 8 GiB exactly would fit an 8 GiB window with no room for the
     * guest's own BARs: it gets 16 GiB. */
    cr_assert_eq(gp_mmio_window(8 * GiB), 16 * GiB);
    cr_assert_eq(gp_mmio_window(6 * GiB), 8 * GiB);
}

Test(mmio, unaligned_bar_sizes_are_still_aligned)
{
    GpPciBar bars[6] = {
        { .size = 3 * MiB, .is_64bit = TRUE },
        { .size = 0 },
        { .size = 8 * MiB, .is_64bit = TRUE },
    };

    /* 8 MiB at 0, 3 MiB at 8 MiB (aligned to 4 MiB) = 11 MiB, rounded up
     * to the 8 MiB alignment of the largest. */
    cr_assert_eq(gp_mmio_device_footprint(bars), 16 * MiB);
}

Test(mmio, ovmf_phys_bits_place_the_window_above_ram)
{
    /* 16 GiB RAM: ram_top 20 GiB, a 1 TiB window at 1 TiB ends at 2 TiB. */
    cr_assert_eq(gp_mmio_phys_bits(16 * GiB, 0, 1 * TiB), 41);
    /* A 32 GiB window above 4 GiB + 16 GiB: base 32 GiB, end 64 GiB. */
    cr_assert_eq(gp_mmio_phys_bits(16 * GiB, 0, 32 * GiB), 36);
    /* Hotplug slots count 1 GiB each: 4 + 28 + 4 = 36 GiB -> base 64 GiB. */
    cr_assert_eq(gp_mmio_phys_bits(28 * GiB, 4, 32 * GiB), 37);
    /* 1.5 TiB of RAM pushes a 1 TiB window to 2 TiB..3 TiB: 42 bits. */
    cr_assert_eq(gp_mmio_phys_bits(1536 * GiB, 0, 1 * TiB), 42);
}

static void
assert_size(const char *str, guint64 expected)
{
    g_autoptr(GError) error = NULL;
    guint64 v = 0;

    cr_assert(gp_mmio_parse_size(str, &v, &error), "'%s' refused: %s", str,
              error ? error->message : "");
    cr_assert_eq(v, expected, "'%s' gave %" G_GUINT64_FORMAT, str, v);
}

static void
assert_size_refused(const char *str, const char *needle)
{
    g_autoptr(GError) error = NULL;
    guint64 v = 42;

    cr_assert_not(gp_mmio_parse_size(str, &v, &error), "'%s' accepted", str ? str : "NULL");
    cr_assert_eq(v, 42, "the output changed on refusal");
    cr_assert_not_null(strstr(error->message, needle), "'%s' not in: %s", needle,
                       error->message);
    cr_assert_null(strchr(error->message, '\n'));
}

Test(mmio, sizes_parse_with_binary_suffixes_and_bytes)
{
    assert_size("64G", 64 * GiB);
    assert_size("512M", 512 * MiB);
    assert_size("1T", 1 * TiB);
    assert_size("1t", 1 * TiB);
    assert_size("64GiB", 64 * GiB);
    assert_size("64GB", 64 * GiB);
    assert_size("1048576K", 1 * GiB);
    assert_size("68719476736", 64 * GiB);
    assert_size("256T", 256 * TiB);
}

Test(mmio, garbage_sizes_are_refused_with_one_line)
{
    assert_size_refused("", "not an MMIO size");
    assert_size_refused(NULL, "not an MMIO size");
    assert_size_refused("lots", "not an MMIO size");
    assert_size_refused("-64G", "not an MMIO size");
    assert_size_refused("64 G", "not an MMIO size");
    assert_size_refused("1.5G", "not an MMIO size");
    assert_size_refused("64X", "not an MMIO size");
    assert_size_refused("64Gx", "not an MMIO size");
    assert_size_refused("0x40G", "not an MMIO size");
}

Test(mmio, absurd_sizes_are_refused)
{
    assert_size_refused("0", "out of range");
    assert_size_refused("1M", "out of range");
    assert_size_refused("512T", "out of range");
    assert_size_refused("16384P", "out of range");
    assert_size_refused("99999999999999999999999", "not an MMIO size");
    assert_size_refused("268435457", "whole number of MiB");
}

Test(mmio, sizes_format_in_their_shortest_exact_form)
{
    g_autofree char *a = gp_mmio_format_size(1 * TiB);
    g_autofree char *b = gp_mmio_format_size(512 * GiB);
    g_autofree char *c = gp_mmio_format_size(768 * MiB);
    g_autofree char *d = gp_mmio_format_size(1536 * KiB);
    g_autofree char *e = gp_mmio_format_size(1000);

    cr_assert_str_eq(a, "1T");
    cr_assert_str_eq(b, "512G");
    cr_assert_str_eq(c, "768M");
    cr_assert_str_eq(d, "1536K");
    cr_assert_str_eq(e, "1000");
}
