/*  =========================================================================
    cf_text - a growing, NUL-terminated text buffer

    For text built piece by piece: the certificate's page, the register's
    answers, a seal's payload. Start from {0}; data is NULL until the first
    append, then always NUL-terminated. The caller frees data.
    =========================================================================
*/

#ifndef CF_TEXT_H_INCLUDED
#define CF_TEXT_H_INCLUDED

#include <stddef.h>

typedef struct {
    char *data;       //  NUL-terminated text so far
    size_t size;      //  Bytes used, without the NUL
    size_t capacity;  //  Bytes allocated
} cf_text_t;

//  Appends size bytes at bytes
void cf_text_append (cf_text_t *self, const char *bytes, size_t size);

//  Appends the string text
void cf_text_add (cf_text_t *self, const char *text);

//  Appends what printf would print
void cf_text_printf (cf_text_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif
