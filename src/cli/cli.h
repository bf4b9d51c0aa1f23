/* What every `gpupool` subcommand shares: its table entry, option parsing
 * and the one-line error convention. */
#pragma once

#include <glib.h>

#include "state/claims.h"

G_BEGIN_DECLS

/* Exit codes of the CLI. */
enum {
    GP_EXIT_OK = 0,
    GP_EXIT_FAILURE = 1, /* the request was refused or failed; nothing changed */
    GP_EXIT_USAGE = 2,   /* the command line itself was wrong */
};

typedef struct {
    const char *name;
    const char *args;    /* e.g. "NAME DEVICE..." */
    const char *summary; /* one line for `gpupool --help` */
    /* What `gpupool NAME --help` shows below the options: what the command
     * does beyond the summary, an example, the exit codes. */
    const char *help;
    /* argv[0] is the command name; returns a GP_EXIT_* code. */
    int (*run)(int argc, char **argv);
} GpCliCommand;

/* Parse a subcommand's options with GOption; on a usage error prints one
 * line and returns FALSE (the caller exits GP_EXIT_USAGE). */
gboolean gp_cli_parse(const GpCliCommand *cmd, const GOptionEntry *entries,
                      int *argc, char ***argv);

/* gp_cli_parse(), then a check that exactly NARGS arguments follow the
 * command name; if not, prints WHY ("give exactly one DOMAIN") as
 * gp_cli_usage() does.  Returns GP_EXIT_OK, or GP_EXIT_USAGE to exit with. */
int gp_cli_parse_args(const GpCliCommand *cmd, const GOptionEntry *entries,
                      int *argc, char ***argv, int nargs, const char *why);

/* The --connect option of the commands that talk to libvirt. */
#define GP_CLI_OPTION_CONNECT(uri) \
    { "connect", 'c', 0, G_OPTION_ARG_STRING, (uri), \
      "libvirt URI (default $LIBVIRT_DEFAULT_URI or qemu:///system)", "URI" }


/* "gpupool: error: MESSAGE" on stderr, one line; returns GP_EXIT_FAILURE. */
int gp_cli_fail(const GError *error);
/* Same with a formatted message; returns GP_EXIT_USAGE. */
int gp_cli_usage(const GpCliCommand *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* "gpupool: error: ..." and "gpupool: warning: ..." on stderr, one line
 * whatever the values put in them (base/oneline.h). */
void gp_cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void gp_cli_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Each string of LINES on its own line (control characters escaped): on stdout (what a command did),
 * or on stderr as "gpupool: warning: LINE". */
void gp_cli_print_lines(const GPtrArray *lines);
void gp_cli_warn_lines(const GPtrArray *lines);

/* The subcommands, one per file named after it. */
extern const GpCliCommand gp_cmd_devices;
extern const GpCliCommand gp_cmd_pool_define;
extern const GpCliCommand gp_cmd_pool_create;
extern const GpCliCommand gp_cmd_pool_add;
extern const GpCliCommand gp_cmd_pool_remove;
extern const GpCliCommand gp_cmd_pool_list;
extern const GpCliCommand gp_cmd_pool_info;
extern const GpCliCommand gp_cmd_pool_undefine;
extern const GpCliCommand gp_cmd_setup;
extern const GpCliCommand gp_cmd_assign;
extern const GpCliCommand gp_cmd_unassign;
extern const GpCliCommand gp_cmd_status;
extern const GpCliCommand gp_cmd_rebalance;
extern const GpCliCommand gp_cmd_shutdown_domains;
extern const GpCliCommand gp_cmd_migrate_check;
/* GPU partitioning. */
extern const GpCliCommand gp_cmd_partitions;
extern const GpCliCommand gp_cmd_partition_set;
extern const GpCliCommand gp_cmd_pool_check;
/* The admin's view of one domain. */
extern const GpCliCommand gp_cmd_domain;
extern const GpCliCommand gp_cmd_check;
/* Clusters (Pacemaker). */
extern const GpCliCommand gp_cmd_cluster_prepare;
extern const GpCliCommand gp_cmd_cluster_forget;
extern const GpCliCommand gp_cmd_cluster_capacity;
extern const GpCliCommand gp_cmd_cluster_config;
extern const GpCliCommand gp_cmd_cluster_status;

G_END_DECLS
