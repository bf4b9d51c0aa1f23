/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt hook calls gpupool acts on, and the most input it reads:
 * one table for the libc-only gate (gate.c) and the hook (hook.c), so
 * the two can never disagree about what reaches the hook.  Header-only
 * and libc-only, since the gate links nothing else. */
#pragma once

#include <stdio.h>
#include <string.h>

/* Only the size macro: GLib's header, not its library. */
#include "state/domxml.h"

typedef enum {
    GP_HOOK_OP_IGNORED = 0,
    GP_HOOK_OP_PREPARE,    /* prepare begin: claim */
    GP_HOOK_OP_RELEASE,    /* release end: give back */
    GP_HOOK_OP_RECONNECT,  /* reconnect begin: libvirtd restarted, keep claims */
    GP_HOOK_OP_MIGRATE,    /* migrate begin: re-point the incoming XML */
    GP_HOOK_OP_RESTORE,    /* restore begin: refused for pool domains */
} GpHookOp;

/* Domain XML is rarely over 100 KB; anything larger than the domain XML
 * reader accepts is never parsed nor held whole in memory by a root
 * process.  A start is refused; a release still gives back what the
 * domain holds, found by the name libvirt passes and the UUID at the
 * head of the XML (gp_domxml_head_uuid()): the gate hands on the first
 * GP_HOOK_MAX_INPUT bytes it read with GP_HOOK_ENV_TRUNCATED set to 1. */
#define GP_HOOK_MAX_INPUT GP_DOMXML_MAX_SIZE
#define GP_HOOK_ENV_TRUNCATED "GPUPOOL_HOOK_TRUNCATED"

/* The directory of the hook's modules (hooks/local.mk): the domain part
 * the gate loads, and the libxml2 reader the domain part loads when it
 * must.  GP_HOOK_ENV_LIBDIR names another (the build tree's tests). */
#define GP_HOOK_LIBDIR GP_PKGLIBDIR "/hook"
#define GP_HOOK_ENV_LIBDIR "GPUPOOL_HOOK_LIBDIR"
#define GP_HOOK_DOMAIN_MODULE "gpupool-hook-domain.so"
/* What the gate calls in it: the domain DOMAIN of argv[1], the hook's
 * arguments ARGV (ARGC of them), and the LEN bytes of domain XML at XML
 * (NUL-terminated; only its head if TRUNCATED).  Returns the hook's exit
 * status. */
#define GP_HOOK_DOMAIN_ENTRY "gp_hook_domain_run"
typedef int (*GpHookDomainRun)(int argc, char **argv, const char *xml, size_t len,
                               int truncated);

static inline GpHookOp
gp_hook_op_classify(const char *op, const char *sub)
{
    static const struct {
        const char *op;
        const char *sub;
        GpHookOp id;
    } table[] = {
        { "prepare", "begin", GP_HOOK_OP_PREPARE },
        { "release", "end", GP_HOOK_OP_RELEASE },
        { "reconnect", "begin", GP_HOOK_OP_RECONNECT },
        { "migrate", "begin", GP_HOOK_OP_MIGRATE },
        { "restore", "begin", GP_HOOK_OP_RESTORE },
    };

    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(op, table[i].op) == 0 && strcmp(sub, table[i].sub) == 0)
            return table[i].id;
    }
    return GP_HOOK_OP_IGNORED;
}

/* -1 if the ARGC arguments ARGV are what libvirt passes a hook; else,
 * after printing how the hook is run, the status to exit with. */
static inline int
gp_hook_usage(int argc, char **argv)
{
    if (argc >= 4)
        return -1;
    fprintf(stderr, "gpupool: usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA] "
            "< DOMAIN-XML (libvirt runs this as its QEMU hook)\n", argv[0]);
    return 2;
}

/* What is done with a domain whose XML is over GP_HOOK_MAX_INPUT: a
 * release goes on with its head, the rest is refused (or, where failing
 * helps no one, left alone with a line in libvirt's log). */
static inline int
gp_hook_op_takes_truncated(GpHookOp op)
{
    return op == GP_HOOK_OP_RELEASE;
}

/* Only a start, an incoming migration or a restore can be stopped;
 * failing elsewhere helps no one. */
static inline int
gp_hook_op_can_refuse(GpHookOp op)
{
    return op == GP_HOOK_OP_PREPARE || op == GP_HOOK_OP_MIGRATE || op == GP_HOOK_OP_RESTORE;
}
