/*  =========================================================================
    fuzz_util - what the libFuzzer targets of tests/fuzz share

    A reader that takes the fuzzer's bytes a piece at a time (running out
    gives zeros, never an error, so every input is a valid script), the
    example files, and the rule of every target: a check that fails is a
    finding, reported on stderr and ended with abort () so libFuzzer keeps
    the input.
    =========================================================================
*/

#ifndef FUZZ_UTIL_H_INCLUDED
#define FUZZ_UTIL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_json.h"
#include "cf_log.h"
#include "cf_problems.h"
#include "cf_scheme.h"

//  libFuzzer calls this once before the first input: only errors are
//  logged, so the runs are not slowed by a line per transition
int LLVMFuzzerInitialize (int *argc, char ***argv);
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cf_log_set_level (CF_LOG_ERROR);
    return 0;
}

//  The fuzzer's input, read front to back
typedef struct {
    const uint8_t *data;  //  The input
    size_t size;          //  Its length
    size_t offset;        //  Bytes read so far
} fuzz_reader_t;

static inline uint8_t
fuzz_byte (fuzz_reader_t *self)
{
    return self->offset < self->size ? self->data[self->offset++] : 0;
}

static inline uint16_t
fuzz_u16 (fuzz_reader_t *self)
{
    uint16_t high = fuzz_byte (self);
    return (uint16_t)(high << 8 | fuzz_byte (self));
}

static inline size_t
fuzz_left (const fuzz_reader_t *self)
{
    return self->size - self->offset;
}

//  Takes up to size bytes; *taken gets how many there were
static inline const uint8_t *
fuzz_bytes (fuzz_reader_t *self, size_t size, size_t *taken)
{
    const uint8_t *start = self->data + self->offset;
    *taken = size < fuzz_left (self) ? size : fuzz_left (self);
    self->offset += *taken;
    return start;
}

//  A finding: says what broke and lets libFuzzer keep the input
#define FUZZ_FAIL(...)                                                         \
    do {                                                                       \
        fprintf (stderr, "fuzz finding: " __VA_ARGS__);                        \
        fputc ('\n', stderr);                                                  \
        abort ();                                                              \
    } while (0)

//  Fails with the problems said when the check does not hold
#define FUZZ_CHECK(condition, problems)                                        \
    do {                                                                       \
        if (!(condition)) {                                                    \
            char *why = (problems) ? cf_problems_join (problems) : NULL;       \
            FUZZ_FAIL ("%s:%d: %s %s", __FILE__, __LINE__, #condition,         \
                       why ? why : "");                                        \
        }                                                                      \
    } while (0)

//  Reads a file of the source tree (CF_SOURCE_DIR/relative) into a new
//  buffer; *size gets its length. Aborts when it cannot.
static inline char *
fuzz_source_file (const char *relative, size_t *size)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", CF_SOURCE_DIR, relative);
    char *text = NULL;
    if (cf_json_load_file (path, CF_JSON_MAX_BYTES, &text, size, NULL))
        FUZZ_FAIL ("cannot read %s", path);
    return text;
}

//  The built-in scheme, loaded at the first call (kept for the process)
static inline const cf_scheme_t *
fuzz_scheme (void)
{
    static cf_scheme_t *scheme;
    if (!scheme && cf_scheme_default (&scheme))
        FUZZ_FAIL ("the built-in scheme does not load");
    return scheme;
}

//  Where the targets print what a client would show: nowhere
static inline FILE *
fuzz_null (void)
{
    static FILE *null;
    if (!null)
        null = fopen ("/dev/null", "w");
    if (!null)
        FUZZ_FAIL ("cannot open /dev/null");
    return null;
}

#endif
