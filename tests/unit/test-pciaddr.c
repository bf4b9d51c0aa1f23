/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI addresses as admins type them. */
#include "config.h"

#include <criterion/criterion.h>

#include "base/pciaddr.h"

static char *
canonical(const char *in)
{
    return gp_pci_addr_canonical(in, NULL);
}

Test(pciaddr, full_and_short_forms_give_the_sysfs_name)
{
    g_autofree char *a = canonical("0000:41:00.0");
    g_autofree char *b = canonical("41:00.0");
    g_autofree char *c = canonical("0001:C1:1F.7");

    cr_assert_str_eq(a, "0000:41:00.0");
    cr_assert_str_eq(b, "0000:41:00.0");
    cr_assert_str_eq(c, "0001:c1:1f.7");
}

Test(pciaddr, out_of_range_fields_and_garbage_are_refused)
{
    const char *bad[] = {
        "", "41:00", "41:20.0", "41:00.8", "0000:41:00.0.1", "00000:41:00.0",
        "0000:141:00.0", "g0:00.0", "0000:41:00.", ":41:00.0", "0000:41:0.0",
        "../../devices", "0000:41:00.0\n", "0000:41 :00.0",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = gp_pci_addr_canonical(bad[i], &error);

        cr_assert_null(out, "accepted '%s'", bad[i]);
        cr_assert(g_error_matches(error, GP_PCI_ADDR_ERROR, GP_PCI_ADDR_ERROR_INVALID));
    }
}

Test(pciaddr, the_refusal_names_the_input_and_shows_the_expected_form)
{
    g_autoptr(GError) error = NULL;

    cr_assert_null(gp_pci_addr_canonical("41.00.0", &error));
    cr_assert(strstr(error->message, "'41.00.0' is not a PCI address"), "%s", error->message);
    cr_assert(strstr(error->message, "0000:01:00.0"), "%s", error->message);
    cr_assert_null(strchr(error->message, '\n'));
}

Test(pciaddr, a_huge_input_is_echoed_shortened)
{
    g_autofree char *huge = g_strnfill(10000, 'a');
    g_autoptr(GError) error = NULL;

    cr_assert_null(gp_pci_addr_canonical(huge, &error));
    cr_assert_lt(strlen(error->message), 300);
    cr_assert(strstr(error->message, "...'"), "%s", error->message);
}

Test(pciaddr, functions_of_one_card_share_the_slot_and_order_numerically)
{
    GpPciAddr gpu, audio, other;

    cr_assert(gp_pci_addr_parse("0000:01:00.0", &gpu, NULL));
    cr_assert(gp_pci_addr_parse("0000:01:00.1", &audio, NULL));
    cr_assert(gp_pci_addr_parse("0000:02:00.0", &other, NULL));
    cr_assert(gp_pci_addr_same_slot(&gpu, &audio));
    cr_assert_not(gp_pci_addr_same_slot(&gpu, &other));
    cr_assert_lt(gp_pci_addr_compare(&gpu, &audio), 0);
    cr_assert_lt(gp_pci_addr_compare(&audio, &other), 0);
    cr_assert_eq(gp_pci_addr_compare(&other, &other), 0);
}
