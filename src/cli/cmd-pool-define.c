/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gpupool pool-define: a pool from an XML definition (xml/pool.rng). */
#include "config.h"

#include "base/xmldoc.h"
#include "ops/poolhost.h"
#include "cli/cli.h"

#include <stdio.h>
#include <sys/stat.h>

static int
run_pool_define(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpPool) pool = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *data = NULL;
    gsize len = 0;
    struct stat st;
    int rc;

    rc = gp_cli_parse_args(&gp_cmd_pool_define, NULL, &argc, &argv, 1, "give exactly one FILE");
    if (rc != GP_EXIT_OK)
        return rc;

    /* Check the size before reading: the file is the admin's, but may be
     * the wrong one. */
    if (stat(argv[1], &st) == 0 && st.st_size > GP_XMLDOC_MAX_SIZE) {
        g_set_error(&error, GP_POOL_ERROR, GP_POOL_ERROR_INVALID,
                    "%s is larger than %d bytes: it is not a pool definition (see "
                    "xml/pool-pci.xml)", argv[1], GP_XMLDOC_MAX_SIZE);
        return gp_cli_fail(error);
    }
    if (!g_file_get_contents(argv[1], &data, &len, &error))
        return gp_cli_fail(error);
    pool = gp_pool_parse_xml(data, len, &error);
    if (!pool) {
        g_prefix_error(&error, "%s: ", argv[1]);
        return gp_cli_fail(error);
    }
    if (!gp_poolhost_define(pool, done, &error))
        return gp_cli_fail(error);
    gp_cli_print_lines(done);
    printf("Pool '%s' (%s) defined\n", pool->name, gp_pool_type_to_string(pool->type));
    return GP_EXIT_OK;
}

const GpCliCommand gp_cmd_pool_define = {
    .name = "pool-define",
    .args = "FILE",
    .summary = "Define a pool from an XML file and bring its devices into it",
    .help = "Defines a pool from a definition (xml/pool.rng), e.g. the output of\n"
            "'gpupool pool-info NAME --xml' on another host, and brings its devices in\n"
            "as pool-add does.\n"
            "\n"
            "Example:\n"
            "  gpupool pool-define gpus.xml\n"
            "\n"
            "Exit status: 0 on success, 1 when refused or failed (nothing was changed),\n"
            "2 for a mistake on the command line.",
    .run = run_pool_define,
};
