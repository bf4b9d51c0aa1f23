/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "base/paths.h"

static char *
dir_from_env(const char *var, const char *fallback)
{
    const char *env = g_getenv(var);

    if (env && *env)
        return g_strdup(env);
    return g_strdup(fallback);
}

char *
gp_paths_confdir(void)
{
    return dir_from_env("GPUPOOL_CONFDIR", GP_SYSCONFDIR "/gpupool");
}

char *
gp_paths_pooldir(void)
{
    g_autofree char *conf = gp_paths_confdir();

    return g_build_filename(conf, "pools", NULL);
}

char *
gp_paths_statedir(void)
{
    return dir_from_env("GPUPOOL_STATEDIR", GP_RUNSTATEDIR "/gpupool");
}

static char *
state_file(const char *name)
{
    g_autofree char *dir = gp_paths_statedir();

    return g_build_filename(dir, name, NULL);
}

char *
gp_paths_lock(void)
{
    return state_file("lock");
}

char *
gp_paths_claims(void)
{
    return state_file("claims.xml");
}

char *
gp_paths_rebalance_pending(void)
{
    return state_file("rebalance-pending");
}

char *
gp_paths_rebalance_lock(void)
{
    return state_file("rebalance.lock");
}

char *
gp_paths_cluster_dir(void)
{
    return state_file("cluster");
}

char *
gp_paths_schemadir(void)
{
    return dir_from_env("GPUPOOL_SCHEMADIR", GP_DATADIR "/gpupool/schemas");
}

char *
gp_paths_schema(const char *name)
{
    g_autofree char *dir = gp_paths_schemadir();

    return g_build_filename(dir, name, NULL);
}

char *
gp_paths_syslog_socket(void)
{
    return dir_from_env("GPUPOOL_SYSLOG_SOCKET", "/dev/log");
}
