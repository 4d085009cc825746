/*  =========================================================================
    cf_problems - what was wrong with an input, item by item

    Validation collects every problem it finds, not only the first, so a
    person can fix an application or a scheme file in one pass. Each problem
    has a short code naming the rule or field ("uscc.check_digit",
    "materials.M07", "indicators.points_sum") and a sentence that says what
    is wrong and how to fix it.
    =========================================================================
*/

#ifndef CF_PROBLEMS_H_INCLUDED
#define CF_PROBLEMS_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _cf_problems_t cf_problems_t;

//  Creates an empty list. Aborts on out of memory (cf_mem.h), as do all
//  the functions below that record or join.
cf_problems_t *cf_problems_new (void);

//  Destroys the list and nulls *self_p. NULL-safe and idempotent.
void cf_problems_destroy (cf_problems_t **self_p);

//  Appends a problem. code is copied; the message is printf-formatted and
//  copied. self may be NULL, then nothing is recorded (callers that only want
//  the return code pass NULL).
void cf_problems_add (cf_problems_t *self, const char *code, const char *format,
                      ...) __attribute__ ((format (printf, 3, 4)));

//  As cf_problems_add, with the arguments in a va_list: for a module's own
//  reporting function that takes printf arguments and records more than the
//  problem (what kind it was, that one was found). Like vprintf it uses args
//  up; the caller still calls va_end.
void cf_problems_addv (cf_problems_t *self, const char *code,
                       const char *format, va_list args)
    __attribute__ ((format (printf, 3, 0)));

//  Returns the number of problems recorded.
size_t cf_problems_size (const cf_problems_t *self);

//  Returns the code / message of problem index (0-based), borrowed until the
//  list is destroyed or reset. index must be below cf_problems_size.
const char *cf_problems_code (const cf_problems_t *self, size_t index);
const char *cf_problems_message (const cf_problems_t *self, size_t index);

//  Returns true when a problem with exactly this code was recorded.
bool cf_problems_has (const cf_problems_t *self, const char *code);

//  Empties the list.
void cf_problems_reset (cf_problems_t *self);

//  Returns all problems joined as "code: message; code: message" in a
//  buffer the caller frees. Returns an empty string for an empty list.
char *cf_problems_join (const cf_problems_t *self);

#endif
