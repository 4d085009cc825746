/*  =========================================================================
    cf_text - a growing, NUL-terminated text buffer
    =========================================================================
*/

#include "cf_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_mem.h"

void
cf_text_append (cf_text_t *self, const char *bytes, size_t size)
{
    if (self->size + size + 1 > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 1024;
        while (self->size + size + 1 > capacity)
            capacity *= 2;
        self->data = cf_mem_check (realloc (self->data, capacity));
        self->capacity = capacity;
    }
    memcpy (self->data + self->size, bytes, size);
    self->size += size;
    self->data[self->size] = '\0';
}

void
cf_text_add (cf_text_t *self, const char *text)
{
    cf_text_append (self, text, strlen (text));
}

void
cf_text_printf (cf_text_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *line = NULL;
    int size = vasprintf (&line, format, args);
    va_end (args);
    if (size < 0)
        cf_mem_fail ();
    cf_text_append (self, line, (size_t)size);
    free (line);
}
