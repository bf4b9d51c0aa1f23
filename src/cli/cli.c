#include "config.h"

#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "base/oneline.h"
#include "state/poolstore.h"

/* VALUE, given for integer option NAME, as a number of plain decimal
 * digits (what GOption's own parser is too lenient for: it takes " 2",
 * "0x2" and "010" as 2, 2 and 8). */
static gboolean
parse_decimal(const char *name, const char *value, gint *out, GError **error)
{
    guint64 v = 0;

    if (!*value || strlen(value) > 9 || strspn(value, "0123456789") != strlen(value) ||
        !g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT, &v, NULL)) {
        g_autofree char *shown = gp_one_line(value);

        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--%s '%.32s' is not a number: give it in decimal digits only", name,
                    shown);
        return FALSE;
    }
    *out = (gint)v;
    return TRUE;
}

gboolean
gp_cli_parse(const GpCliCommand *cmd, const GOptionEntry *entries,
             int *argc, char ***argv)
{
    g_autofree char *prgname = g_strdup_printf("gpupool %s", cmd->name);
    g_autoptr(GOptionContext) ctx = NULL;
    g_autofree GOptionEntry *copy = NULL;
    g_autofree char **ints = NULL;
    g_autoptr(GError) error = NULL;
    gboolean ok;
    guint n = 0;

    /* GOption's usage line starts with the program name. */
    g_set_prgname(prgname);
    ctx = g_option_context_new(cmd->args ? cmd->args : "");

    g_option_context_set_summary(ctx, cmd->summary);
    if (cmd->help)
        g_option_context_set_description(ctx, cmd->help);
    /* Integer options are read as text and checked here: one strict
     * spelling of a number for every command. */
    while (entries && entries[n].long_name)
        n++;
    copy = g_new0(GOptionEntry, n + 1);
    ints = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++) {
        copy[i] = entries[i];
        if (entries[i].arg == G_OPTION_ARG_INT) {
            copy[i].arg = G_OPTION_ARG_STRING;
            copy[i].arg_data = &ints[i];
        }
    }
    if (n)
        g_option_context_add_main_entries(ctx, copy, NULL);
    ok = g_option_context_parse(ctx, argc, argv, &error);
    for (guint i = 0; i < n; i++) {
        if (ok && ints[i])
            ok = parse_decimal(entries[i].long_name, ints[i], entries[i].arg_data, &error);
        g_free(ints[i]);
    }
    if (!ok) {
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
