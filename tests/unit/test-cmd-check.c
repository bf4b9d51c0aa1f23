/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `gpupool check`: the hook's prepare decisions, run for a domain's
 * persistent definition without changing anything, in the hook's words. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "hook-runner.h"
#include "virt-fixtures.h"

#define SEABIOS_UUID "2c8b5f63-69d4-4d1f-8e1b-3f1c5d2f0b12"
#define OTHER_UUID "33333333-3333-4333-8333-333333333333"

static char *seabios;

static void
setup(void)
{
    g_autofree char *sample = virt_sample("q35-seabios.xml");
    g_autofree char *ovmf = virt_sample("minimal.xml");

    seabios = virt_assigned(sample, GP_SIM_DC_GPU0, 512ULL << 30);
    virt_setup(seabios, ovmf, NULL);
}

static void
teardown(void)
{
    virt_teardown();
    g_clear_pointer(&seabios, g_free);
}

TestSuite(cmd_check, .init = setup, .fini = teardown);

Test(cmd_check, a_start_that_would_pass_says_so_and_names_the_device)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(virt_run(&out, &err, "check", "linux-seabios", NULL), 0, "%s", err);
    cr_assert(strstr(out, "linux-seabios: a start would pass gpupool"), "%s", out);
    cr_assert(strstr(out, "ua-gpupool-0: " GP_SIM_DC_GPU0 " of pool 'gpus'"), "%s", out);
}

Test(cmd_check, a_held_device_is_refused_in_the_hooks_words_and_nothing_changes)
{
    g_autofree char *claims = NULL;
    g_autofree char *claims_after = NULL;
    g_autofree char *host_before = NULL;
    g_autofree char *host_after = NULL;
    g_autofree char *path = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_auto(GpHookRun) hook = { 0 };
    const char *reason = GP_SIM_DC_GPU0 " of pool 'gpus' is held by domain 'other'; free: "
                         GP_SIM_DC_GPU1 "; ";
    const char *check_fix = "run 'gpupool rebalance' or start the domain again in a moment\n";
    /* The hook has started the rebalance that re-points the domain. */
    const char *hook_fix = "linux-seabios is being re-pointed to a free device of pool "
                           "'gpus': start it again in a moment\n";
    g_autofree char *check_line = g_strconcat(reason, check_fix, NULL);
    g_autofree char *hook_line = g_strconcat(reason, hook_fix, NULL);

    virt_claim(GP_SIM_DC_GPU0, OTHER_UUID, "other");
    path = g_build_filename(gp_sim_statedir(sim), "claims.xml", NULL);
    cr_assert(g_file_get_contents(path, &claims, NULL, NULL));
    host_before = gp_sim_snapshot(sim);

    cr_assert_eq(virt_run(&out, &err, "check", "linux-seabios", NULL), 1, "%s", out);
    cr_assert(g_str_has_prefix(err, "gpupool: error: "), "%s", err);
    cr_assert_str_eq(err + strlen("gpupool: error: "), check_line);
    /* The hook, for the same definition, refuses in the same words, up to
     * what is done about it. */
    gp_test_fake_rebalance(sim, 0);
    gp_test_run_hook(&hook, "linux-seabios", "prepare", "begin", seabios);
    cr_assert_eq(hook.status, 1, "%s", hook.err);
    cr_assert_str_eq(hook.err + strlen("gpupool: "), hook_line);

    /* check changed nothing: the claims file, the host. */
    host_after = gp_sim_snapshot(sim);
    cr_assert_str_eq(host_after, host_before);
    cr_assert(g_file_get_contents(path, &claims_after, NULL, NULL));
    cr_assert_str_eq(claims_after, claims);
}

Test(cmd_check, a_too_small_window_is_refused_with_the_setting_to_use)
{
    g_autofree char *sample = virt_sample("q35-seabios.xml");
    g_autofree char *small = virt_assigned(sample, GP_SIM_DC_GPU1, 4ULL << 30);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    virt_teardown();
    virt_setup(small, NULL);
    cr_assert_eq(virt_run(&out, &err, "check", "linux-seabios", NULL), 1, "%s", out);
    cr_assert(strstr(err, "64-bit MMIO window 4 GiB is too small for " GP_SIM_DC_GPU1), "%s",
              err);
    cr_assert(strstr(err, "--mmio 512G"), "%s", err);
}

Test(cmd_check, every_domain_is_reported_and_one_refusal_makes_the_exit_1)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    virt_claim(GP_SIM_DC_GPU0, OTHER_UUID, "other");
    cr_assert_eq(virt_run(&out, &err, "check", "minimal", "linux-seabios", NULL), 1, "%s", out);
    cr_assert(strstr(out, "minimal: no gpupool request"), "%s", out);
    cr_assert(strstr(err, "held by domain 'other'"), "%s", err);
}

Test(cmd_check, an_unknown_domain_is_one_line_and_exit_1)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(virt_run(&out, &err, "check", "nosuch", NULL), 1);
    cr_assert(strstr(err, "gpupool: error: domain 'nosuch' not found"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "%s", err);
}

Test(cmd_check, without_a_domain_it_is_a_usage_error)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(virt_run(&out, &err, "check", NULL), 2);
    cr_assert(strstr(err, "give at least one DOMAIN"), "%s", err);
}

Test(cmd_check, a_device_this_host_does_not_pool_names_the_command_that_repoints_it)
{
    g_autofree char *sample = virt_sample("q35-seabios.xml");
    /* As a definition moved from another host: the datacenter host's NIC
     * is on this host, in no pool. */
    g_autofree char *moved = virt_assigned(sample, GP_SIM_DC_NIC, 512ULL << 30);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    virt_teardown();
    virt_setup(moved, NULL);
    cr_assert_eq(virt_run(&out, &err, "check", "linux-seabios", NULL), 1, "%s", out);
    cr_assert_str_eq(err, "gpupool: error: linux-seabios: " GP_SIM_DC_NIC " is not a device of "
                     "pool 'gpus' on this host: run 'gpupool rebalance' to re-point "
                     "linux-seabios to a free device of pool 'gpus'\n");
}
