#include "config.h"

#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "base/oneline.h"
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
        g_autofree char *msg = gp_one_line(error->message);

        fprintf(stderr, "gpupool %s: %s (see 'gpupool %s --help')\n",
                cmd->name, msg, cmd->name);
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
    /* One line, whatever the layers below put in the message. */
    g_autofree char *msg = gp_one_line(error ? error->message : "unknown error");

    fprintf(stderr, "gpupool: error: %s\n", msg);
    return GP_EXIT_FAILURE;
}

static void
say(FILE *to, const char *prefix, const char *fmt, va_list ap)
{
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    g_autofree char *line = gp_one_line(text);

    fprintf(to, "%s%s\n", prefix, line);
}

void
gp_cli_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say(stderr, "gpupool: error: ", fmt, ap);
    va_end(ap);
}

void
gp_cli_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say(stderr, "gpupool: warning: ", fmt, ap);
    va_end(ap);
}

int
gp_cli_usage(const GpCliCommand *cmd, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    g_autofree char *line = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    line = gp_one_line(msg);
    fprintf(stderr, "gpupool %s: %s (usage: gpupool %s %s)\n",
            cmd->name, line, cmd->name, cmd->args ? cmd->args : "");
    return GP_EXIT_USAGE;
}

void
gp_cli_print_lines(const GPtrArray *lines)
{
    for (guint i = 0; i < lines->len; i++) {
        g_autofree char *line = gp_one_line(lines->pdata[i]);

        printf("%s\n", line);
    }
}

void
gp_cli_warn_lines(const GPtrArray *lines)
{
    for (guint i = 0; i < lines->len; i++)
        gp_cli_warn("%s", (const char *)lines->pdata[i]);
}
