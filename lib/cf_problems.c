/*  =========================================================================
    cf_problems - what was wrong with an input, item by item
    =========================================================================
*/

#include "cf_problems.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_mem.h"

typedef struct {
    char *code;     //  Rule or field that failed
    char *message;  //  What is wrong and how to fix it
} s_problem_t;

struct _cf_problems_t {
    s_problem_t *items;  //  Problems in the order found
    size_t size;         //  Number recorded
    size_t capacity;     //  Allocated slots
};

cf_problems_t *
cf_problems_new (void)
{
    return cf_mem_check (calloc (1, sizeof (cf_problems_t)));
}

void
cf_problems_destroy (cf_problems_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        cf_problems_t *self = *self_p;
        cf_problems_reset (self);
        free (self->items);
        free (self);
        *self_p = NULL;
    }
}

void
cf_problems_add (cf_problems_t *self, const char *code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    cf_problems_addv (self, code, format, args);
    va_end (args);
}

void
cf_problems_addv (cf_problems_t *self, const char *code, const char *format,
                  va_list args)
{
    if (!self)
        return;
    assert (code && format);
    if (self->size == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 8;
        self->items = cf_mem_check (
            realloc (self->items, self->capacity * sizeof (s_problem_t)));
    }
    char *message = NULL;
    if (vasprintf (&message, format, args) < 0)
        cf_mem_fail ();
    self->items[self->size].code = cf_mem_check (strdup (code));
    self->items[self->size].message = message;
    self->size++;
}

size_t
cf_problems_size (const cf_problems_t *self)
{
    return self ? self->size : 0;
}

const char *
cf_problems_code (const cf_problems_t *self, size_t index)
{
    assert (self && index < self->size);
    return self->items[index].code;
}

const char *
cf_problems_message (const cf_problems_t *self, size_t index)
{
    assert (self && index < self->size);
    return self->items[index].message;
}

bool
cf_problems_has (const cf_problems_t *self, const char *code)
{
    for (size_t index = 0; index < cf_problems_size (self); index++)
        if (strcmp (self->items[index].code, code) == 0)
            return true;
    return false;
}

void
cf_problems_reset (cf_problems_t *self)
{
    assert (self);
    for (size_t index = 0; index < self->size; index++) {
        free (self->items[index].code);
        free (self->items[index].message);
    }
    self->size = 0;
}

char *
cf_problems_join (const cf_problems_t *self)
{
    size_t length = 1;
    for (size_t index = 0; index < cf_problems_size (self); index++)
        length += strlen (self->items[index].code) +
                  strlen (self->items[index].message) + 4;
    char *joined = cf_mem_check (malloc (length));
    char *cursor = joined;
    *cursor = 0;
    for (size_t index = 0; index < cf_problems_size (self); index++)
        cursor += sprintf (cursor, "%s%s: %s", index ? "; " : "",
                           self->items[index].code, self->items[index].message);
    return joined;
}
