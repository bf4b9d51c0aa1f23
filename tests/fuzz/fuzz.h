/* What every fuzz target shares (tests/fuzz/README.md). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

/* libFuzzer's entry points. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the code under test promises.  A broken one aborts, which
 * libFuzzer reports as a crash and keeps the input that broke it. */
#define FUZZ_CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz: %s:%d: broken: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            abort(); \
        } \
    } while (0)

/* A refusal says why.  It may still hold a newline that came with a
 * value from the input: the front doors print errors as one line
 * (gp_cli_fail(), the hook's fail()). */
#define FUZZ_CHECK_ERROR(error) \
    FUZZ_CHECK((error) && (error)->message && *(error)->message, \
               "a refusal without a message")
