/*  =========================================================================
    cf_utf8 - UTF-8 text: strict validation and cutting on character bounds

    Every string certflow takes from a file, a certificate or the wire is
    checked with cf_utf8_valid, and every message that quotes a bounded
    prefix of such a string cuts it with cf_utf8_prefix, so a quoted prefix
    never ends inside a character (a cut character is invalid UTF-8, and the
    daemon refuses a reply or result that carries one).
    =========================================================================
*/

#ifndef CF_UTF8_H_INCLUDED
#define CF_UTF8_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  Longest prefix of a name or value that an error message quotes, in
//  bytes: enough to recognise it, bounded whatever the input's size
#define CF_UTF8_QUOTE_MAX 64

//  Returns the length in bytes (1 to 4) of the valid UTF-8 character at
//  text[0 .. size), or 0 when the bytes there are not one: a stray
//  continuation byte, a sequence cut short, an overlong form, a surrogate
//  (U+D800 to U+DFFF) or a value past U+10FFFF. size 0 gives 0.
size_t cf_utf8_char (const char *text, size_t size);

//  Returns true when text[0 .. size) is valid UTF-8 throughout, as
//  cf_utf8_char judges each character. NUL bytes count as characters here;
//  callers that refuse them check for them separately. text may be NULL
//  when size is 0.
bool cf_utf8_valid (const char *text, size_t size);

//  Returns the length in bytes of the longest prefix of the NUL-terminated
//  text that is at most max bytes long and does not end inside a valid
//  character (a byte that is no valid character counts as one on its own).
//  The result suits printf's "%.*s"; see CF_UTF8_CUT. text NULL gives 0.
int cf_utf8_prefix (const char *text, size_t max);

//  The two printf arguments of "%.*s" that quote at most max bytes of text
//  on a character boundary: printf ("'%.*s'", CF_UTF8_CUT (name, 64)).
//  text is evaluated twice.
#define CF_UTF8_CUT(text, max) cf_utf8_prefix ((text), (max)), (text)

#endif
