/* `gpupool domain`: a domain's request, reservations, holdings, MMIO and
 * stop settings, and whether a start would pass, in text and XML. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "virt-fixtures.h"

#define SEABIOS_UUID "2c8b5f63-69d4-4d1f-8e1b-3f1c5d2f0b12"

static void
setup(void)
{
    g_autofree char *sample = virt_sample("q35-seabios.xml");
    g_autofree char *seabios = virt_assigned(sample, GP_SIM_DC_GPU0, 512ULL << 30);
    g_autofree char *minimal = virt_sample("minimal.xml");

    virt_setup(seabios, minimal, NULL);
}

TestSuite(cmd_domain, .init = setup, .fini = virt_teardown);

Test(cmd_domain, shows_the_request_the_reserved_device_held_since_and_the_settings)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    virt_claim(GP_SIM_DC_GPU0, SEABIOS_UUID, "linux-seabios");
    cr_assert_eq(virt_run(&out, &err, "domain", "linux-seabios", NULL), 0, "%s", err);
    cr_assert(strstr(out, "Domain linux-seabios (" SEABIOS_UUID "): running"), "%s", out);
    cr_assert(strstr(out, "Request:      pool 'gpus' (pci, whole devices): 1 device, MMIO auto"),
              "%s", out);
    cr_assert(g_regex_match_simple("Reserves: +ua-gpupool-0  gpus  0000:41:00.0  held since "
                                   "20[0-9-]+ [0-9:]+\n", out, 0, 0), "%s", out);
    cr_assert(strstr(out, "Holds now:    1 device of pools"), "%s", out);
    cr_assert(strstr(out, "MMIO window:  512G (pcihole64)"), "%s", out);
    /* The sample had on_crash destroy already: assign left it. */
    cr_assert(strstr(out, "Stop action:  on_crash destroy\n"), "%s", out);
    cr_assert(strstr(out, "Start:        would pass gpupool"), "%s", out);
}

Test(cmd_domain, a_device_another_domain_holds_is_named_with_the_holder_and_the_refusal)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    virt_claim(GP_SIM_DC_GPU0, "44444444-4444-4444-8444-444444444444", "vm9");
    cr_assert_eq(virt_run(&out, &err, "domain", "linux-seabios", NULL), 0, "%s", err);
    cr_assert(strstr(out, "0000:41:00.0  held by vm9 since"), "%s", out);
    cr_assert(strstr(out, "Holds now:    0 devices of pools"), "%s", out);
    cr_assert(strstr(out, "Start:        would be refused: 0000:41:00.0 of pool 'gpus' is held "
                          "by domain 'vm9'; free: 0000:81:00.0"), "%s", out);
}

Test(cmd_domain, a_domain_without_a_request_says_how_to_assign_one)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(virt_run(&out, &err, "domain", "minimal", NULL), 0, "%s", err);
    cr_assert(strstr(out, "Request:      none (assign one with 'gpupool assign minimal "
                          "--pool POOL')"), "%s", out);
    cr_assert_null(strstr(out, "Start:"), "%s", out);
}

Test(cmd_domain, xml_follows_its_schema)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *file = NULL;
    g_autofree char *lint_err = NULL;
    const char *schema = GP_TOP_SRCDIR "/xml/domain-info.rng";
    g_autofree char *xmllint = g_find_program_in_path("xmllint");
    int status = -1;

    if (!xmllint)
        cr_skip_test("xmllint not installed (Debian package libxml2-utils)");
    virt_claim(GP_SIM_DC_GPU0, SEABIOS_UUID, "linux-seabios");
    cr_assert_eq(virt_run(&out, &err, "domain", "linux-seabios", "minimal", "--xml", NULL), 0,
                 "%s", err);
    cr_assert(strstr(out, "<device alias='ua-gpupool-0' pool='gpus' unit='0000:41:00.0' "
                          "state='held' holder='linux-seabios' since='1700000000'"), "%s", out);
    cr_assert(strstr(out, "<start result='pass'/>"), "%s", out);
    file = g_build_filename(gp_sim_base(sim), "domains.xml", NULL);
    cr_assert(g_file_set_contents(file, out, -1, NULL));
    {
        const char *argv[] = { "xmllint", "--noout", "--relaxng", schema, file, NULL };

        cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, &lint_err, &status, NULL));
        cr_assert_eq(status, 0, "%s", lint_err);
    }
}

Test(cmd_domain, an_unknown_domain_is_one_line_and_exit_1)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(virt_run(&out, &err, "domain", "nosuch", NULL), 1);
    cr_assert(strstr(err, "gpupool: error: domain 'nosuch' not found"), "%s", err);
}

Test(cmd_domain, a_unit_another_definition_reserves_too_is_shown_as_shared)
{
    g_autofree char *sample = virt_sample("q35-seabios.xml");
    g_autofree char *seabios = virt_assigned(sample, GP_SIM_DC_GPU0, 512ULL << 30);
    g_autofree char *ovmf_sample = virt_sample("q35-ovmf.xml");
    /* win-ovmf's definition reserves the same device, as a copy made by
     * virt-clone would. */
    g_autofree char *ovmf = virt_assigned(ovmf_sample, GP_SIM_DC_GPU0, 512ULL << 30);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *xml_err = NULL;

    virt_teardown();
    virt_setup(seabios, ovmf, NULL);
    cr_assert_eq(virt_run(&out, &err, "domain", "linux-seabios", NULL), 0, "%s", err);
    cr_assert(strstr(out, "ua-gpupool-0  gpus  0000:41:00.0  free; also reserved by win-ovmf\n"),
              "%s", out);
    cr_assert_eq(virt_run(&xml, &xml_err, "domain", "linux-seabios", "--xml", NULL), 0, "%s",
                 xml_err);
    cr_assert(strstr(xml, "state='free'>\n      <also-reserved-by domain='win-ovmf'/>\n"
                          "    </device>\n"), "%s", xml);
}
