/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where configuration, state and schemas live, and how tests and
 * packagers move them. */
#include "config.h"

#include <criterion/criterion.h>

#include "base/paths.h"

Test(paths, defaults_follow_the_configured_directories)
{
    g_autofree char *conf = NULL;
    g_autofree char *pools = NULL;
    g_autofree char *state = NULL;
    g_autofree char *schema = NULL;
    g_autofree char *log = NULL;

    g_unsetenv("GPUPOOL_CONFDIR");
    g_unsetenv("GPUPOOL_STATEDIR");
    g_unsetenv("GPUPOOL_SCHEMADIR");
    g_unsetenv("GPUPOOL_SYSLOG_SOCKET");
    conf = gp_paths_confdir();
    pools = gp_paths_pooldir();
    state = gp_paths_statedir();
    schema = gp_paths_schema("pool.rng");
    log = gp_paths_syslog_socket();
    cr_assert_str_eq(conf, GP_SYSCONFDIR "/gpupool");
    cr_assert_str_eq(pools, GP_SYSCONFDIR "/gpupool/pools");
    cr_assert_str_eq(state, GP_RUNSTATEDIR "/gpupool");
    cr_assert_str_eq(schema, GP_DATADIR "/gpupool/schemas/pool.rng");
    cr_assert_str_eq(log, "/dev/log");
}

Test(paths, environment_variables_move_each_directory)
{
    g_autofree char *pools = NULL;
    g_autofree char *state = NULL;
    g_autofree char *cluster = NULL;
    g_autofree char *schema = NULL;
    g_autofree char *log = NULL;

    g_setenv("GPUPOOL_CONFDIR", "/tmp/conf", TRUE);
    g_setenv("GPUPOOL_STATEDIR", "/tmp/state", TRUE);
    g_setenv("GPUPOOL_SCHEMADIR", "/src/xml", TRUE);
    g_setenv("GPUPOOL_SYSLOG_SOCKET", "/tmp/log", TRUE);
    pools = gp_paths_pooldir();
    state = gp_paths_statedir();
    cluster = gp_paths_cluster_dir();
    schema = gp_paths_schema("claims.rng");
    log = gp_paths_syslog_socket();
    cr_assert_str_eq(pools, "/tmp/conf/pools");
    cr_assert_str_eq(state, "/tmp/state");
    cr_assert_str_eq(cluster, "/tmp/state/cluster");
    cr_assert_str_eq(schema, "/src/xml/claims.rng");
    cr_assert_str_eq(log, "/tmp/log");
}

Test(paths, an_empty_variable_means_the_default)
{
    g_autofree char *state = NULL;

    g_setenv("GPUPOOL_STATEDIR", "", TRUE);
    state = gp_paths_statedir();
    cr_assert_str_eq(state, GP_RUNSTATEDIR "/gpupool");
}
