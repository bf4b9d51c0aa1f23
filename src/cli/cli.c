#include "config.h"

#include "cli/cli.h"

#include <stdio.h>

#include "state/poolstore.h"

gboolean
gp_cli_parse(const GpCliCommand *cmd, const GOptionEntry *entries,
             int *argc, char ***argv)
{
    g_autofree char *prgname = g_strdup_printf("gpupool %s", cmd->name);
    g_autoptr(GOptionContext) ctx = NULL;

    /* GOption's usage line starts with the program name. */
    g_set_prgname(prgname);
    ctx = g_option_context_new(cmd->args ? cmd->args : "");
    g_autoptr(GError) error = NULL;

    g_option_context_set_summary(ctx, cmd->summary);
    if (cmd->help)
        g_option_context_set_description(ctx, cmd->help);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        fprintf(stderr, "gpupool %s: %s (see 'gpupool %s --help')\n",
                cmd->name, error->message, cmd->name);
        return FALSE;
    }
    return TRUE;
}

int
gp_cli_parse_args(const GpCliCommand *cmd, const GOptionEntry *entries,
                  int *argc, char ***argv, int nargs, const char *why)
{
    if (!gp_cli_parse(cmd, entries, argc, argv))
        return GP_EXIT_USAGE;
    if (*argc != nargs + 1)
        return gp_cli_usage(cmd, "%s", why);
    return GP_EXIT_OK;
}

int
gp_cli_fail(const GError *error)
{
    g_autofree char *msg = g_strdup(error ? error->message : "unknown error");

    /* One line, whatever the layers below put in the message. */
    g_strdelimit(msg, "\n", ' ');
    fprintf(stderr, "gpupool: error: %s\n", msg);
    return GP_EXIT_FAILURE;
}

int
gp_cli_usage(const GpCliCommand *cmd, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "gpupool %s: %s (usage: gpupool %s %s)\n",
            cmd->name, msg, cmd->name, cmd->args ? cmd->args : "");
    return GP_EXIT_USAGE;
}

void
gp_cli_print_lines(const GPtrArray *lines)
{
    for (guint i = 0; i < lines->len; i++)
        printf("%s\n", (const char *)lines->pdata[i]);
}

void
gp_cli_warn_lines(const GPtrArray *lines)
{
    for (guint i = 0; i < lines->len; i++)
        fprintf(stderr, "gpupool: warning: %s\n", (const char *)lines->pdata[i]);
}
