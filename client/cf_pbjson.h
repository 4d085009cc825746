/*  =========================================================================
    cf_pbjson - any protobuf message as JSON, for `certflow --json`

    The printer walks the message descriptor, so every message of the
    schema prints without code of its own. Scripts read the output with jq,
    so it is predictable rather than minimal:
      - field names are the proto field names (snake_case);
      - every plain field is printed, also at its default value (a status
        of STATUS_OK is 0 and would otherwise vanish); a sub-message that is
        not set and a oneof member that is not the chosen one are left out;
      - enums print as their proto value names ("STATE_SUBMITTED"); a value
        outside the enum prints as its number;
      - 64-bit integers print as numbers (sequence numbers and instants stay
        well below 2^53, where jq stays exact);
      - doubles print in the shortest form that reads back to the same
        value; NaN and infinities as the strings "NaN", "Infinity",
        "-Infinity" (as the proto3 JSON mapping does);
      - bytes print as base64;
      - strings are escaped: quote, backslash and every control character
        (U+0000 to U+001F and U+007F); a byte that is not part of valid UTF-8
        prints as U+FFFD. Other characters are written as they are.
    =========================================================================
*/

#ifndef CF_PBJSON_H_INCLUDED
#define CF_PBJSON_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdio.h>

//  Writes message as one JSON object on one line, without a newline, to
//  out. message is borrowed; it may be a hand-built tree whose string
//  fields are NULL (printed as "").
void cf_pbjson_print (FILE *out, const ProtobufCMessage *message);

//  Returns the JSON text cf_pbjson_print writes, in a new NUL-terminated
//  string the caller frees. Aborts on out of memory.
char *cf_pbjson_text (const ProtobufCMessage *message);

#endif
