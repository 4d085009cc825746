/*  =========================================================================
    cf_json - the client's input files: applications, score sheets, staff

    One decoder serves every message: it walks the JSON object and the
    protobuf-c descriptor of the message side by side, so the JSON names are
    the proto names by construction and a new proto field is readable from
    JSON without code here. Each value is checked against its field's type
    and written straight into the heap tree; every problem is reported and
    decoding goes on, so one run lists all of them.
    =========================================================================
*/

#include "cf_json.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_application.h"
#include "cf_cnca.h"
#include "cf_date.h"
#include "cf_file.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_utf8.h"

//  Room for a field path such as "nonconformities[12].description"
#define S_PATH_MAX 256

//  Longest key or name that cf_json_suggest compares; a longer one is no
//  typo of a short field name
#define S_GUESS_MAX 64

typedef struct {
    cf_problems_t *problems;  //  Where problems go; may be NULL
    bool invalid;             //  Found a problem other than a limit
    bool limit;               //  Found a value over a limit
} s_decoder_t;

static void s_fail (s_decoder_t *self, const char *code, const char *format,
                    ...) __attribute__ ((format (printf, 3, 4)));

//  Records a problem; json.limit problems make the result CF_ELIMIT
static void
s_fail (s_decoder_t *self, const char *code, const char *format, ...)
{
    if (strcmp (code, "json.limit") == 0)
        self->limit = true;
    else
        self->invalid = true;
    va_list args;
    va_start (args, format);
    cf_problems_addv (self->problems, code, format, args);
    va_end (args);
}

//  -------------------------------------------------------------------------
//  Syntax: parsing the text, and saying where it went wrong

//  Line and column (1-based; the column counts UTF-8 characters) of the byte
//  at offset
static void
s_locate (const char *text, size_t offset, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (size_t index = 0; index < offset; index++) {
        unsigned char c = (unsigned char)text[index];
        if (c == '\n') {
            (*line)++;
            *column = 1;
        } else if ((c & 0xC0) != 0x80)
            (*column)++;
    }
}

//  What stands at offset, for the message: a quoted character, a byte
static void
s_describe_byte (const char *text, size_t size, size_t offset, char *buffer,
                 size_t buffer_size)
{
    if (offset >= size)
        snprintf (buffer, buffer_size, "the end of the input");
    else {
        unsigned char c = (unsigned char)text[offset];
        if (c == 0)
            snprintf (buffer, buffer_size,
                      "a NUL byte (save the file as UTF-8 text)");
        else if (c == '\'')
            snprintf (buffer, buffer_size,
                      "a single quote (JSON strings take double quotes)");
        else if (c >= 0x20 && c < 0x7f)
            snprintf (buffer, buffer_size, "'%c'", c);
        else
            snprintf (buffer, buffer_size, "byte 0x%02X", c);
    }
}

//  True when the last non-blank character before offset is a comma: the
//  writer left a trailing comma, which JSON does not allow
static bool
s_after_comma (const char *text, size_t offset)
{
    while (offset > 0 && isspace ((unsigned char)text[offset - 1]))
        offset--;
    return offset > 0 && text[offset - 1] == ',';
}

static int
s_syntax_error (const char *text, size_t size, size_t offset, const char *what,
                cf_problems_t *problems)
{
    int line, column;
    s_locate (text, offset, &line, &column);
    char found[64];
    s_describe_byte (text, size, offset, found, sizeof found);
    const char *hint = "";
    if (offset < size && (text[offset] == '}' || text[offset] == ']') &&
        s_after_comma (text, offset))
        hint = "; remove the comma before it, JSON allows no trailing comma";
    cf_problems_add (problems, "json.syntax",
                     "line %d, column %d: %s, found %s%s", line, column, what,
                     found, hint);
    return CF_EPARSE;
}

//  -------------------------------------------------------------------------
//  What json-c lets through: a second pass over text it accepted

//  Most problems the second pass lists before it stops
#define S_TEXT_PROBLEMS_MAX 10

//  A key of one object, decoded, with where it stands
typedef struct {
    char *text;     //  The key with its escapes decoded; heap
    size_t length;  //  Its length in bytes
    size_t offset;  //  Where its opening quote stands in the text
} s_key_t;

//  An object or list that is open at the scan's position
typedef struct {
    bool object;    //  An object, not a list
    bool key_next;  //  In an object: the next string is a key
    s_key_t *keys;  //  The object's keys so far; heap
    size_t count;   //  Keys held
    size_t room;    //  Keys that fit in keys
} s_frame_t;

typedef struct {
    const char *text;         //  The whole input
    size_t size;              //  Its size
    cf_problems_t *problems;  //  Where problems go; may be NULL
    size_t found;             //  Problems listed
    int rc;                   //  The first problem's code, 0 for none
} s_scan_t;

static void s_scan_fail (s_scan_t *self, size_t offset, int rc,
                         const char *code, const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));

//  Records a problem at offset, "line 2, column 7: ...", and keeps the
//  first problem's return code
static void
s_scan_fail (s_scan_t *self, size_t offset, int rc, const char *code,
             const char *format, ...)
{
    if (self->rc == 0)
        self->rc = rc;
    self->found++;
    if (!self->problems)
        return;
    char message[512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    int line, column;
    s_locate (self->text, offset, &line, &column);
    cf_problems_add (self->problems, code, "line %d, column %d: %s", line,
                     column, message);
}

static unsigned
s_hex4 (const char *text)
{
    unsigned value = 0;
    for (int index = 0; index < 4; index++) {
        char digit = text[index];
        value = value * 16 +
                (unsigned)(isdigit ((unsigned char)digit)
                               ? digit - '0'
                               : (tolower ((unsigned char)digit) - 'a' + 10));
    }
    return value;
}

//  Appends the UTF-8 form of point to buffer at *length; buffer has room
static void
s_put_utf8 (char *buffer, size_t *length, unsigned point)
{
    unsigned char *out = (unsigned char *)buffer + *length;
    if (point < 0x80) {
        out[0] = (unsigned char)point;
        *length += 1;
    } else if (point < 0x800) {
        out[0] = (unsigned char)(0xC0 | (point >> 6));
        out[1] = (unsigned char)(0x80 | (point & 0x3F));
        *length += 2;
    } else if (point < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (point >> 12));
        out[1] = (unsigned char)(0x80 | ((point >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (point & 0x3F));
        *length += 3;
    } else {
        out[0] = (unsigned char)(0xF0 | (point >> 18));
        out[1] = (unsigned char)(0x80 | ((point >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((point >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (point & 0x3F));
        *length += 4;
    }
}

//  Checks the string whose opening quote is at *offset and moves *offset
//  past its closing quote. When key is not NULL it gets the decoded string
//  (heap, which no escape makes longer than the text).
static void
s_scan_string (s_scan_t *self, size_t *offset, s_key_t *key)
{
    const char *text = self->text;
    size_t start = *offset;
    size_t index = start + 1;
    //  Decoding makes no string longer: find its end for the buffer's size
    //  (with a byte to spare for the terminator)
    size_t end = index;
    while (end < self->size && text[end] != '"')
        end += text[end] == '\\' ? 2 : 1;
    char *decoded = key ? cf_mem_check (malloc (end - start)) : NULL;
    size_t length = 0;
    while (index < self->size && text[index] != '"') {
        unsigned char byte = (unsigned char)text[index];
        if (byte < 0x20) {
            s_scan_fail (self, index, CF_EPARSE, "json.syntax",
                         "a control character (byte 0x%02X) in a string; "
                         "write it as an escape such as \\n or \\u%04X",
                         byte, byte);
            index++;
        } else if (byte == '\\') {
            char escape = text[index + 1];
            if (escape != 'u') {
                static const char from[] = "\"\\/bfnrt";
                static const char to[] = "\"\\/\b\f\n\r\t";
                const char *at = strchr (from, escape);
                if (decoded && at)
                    decoded[length++] = to[at - from];
                index += 2;
                continue;
            }
            unsigned point = s_hex4 (text + index + 2);
            size_t used = 6;
            if (point >= 0xD800 && point <= 0xDBFF &&
                index + 12 <= self->size && text[index + 6] == '\\' &&
                text[index + 7] == 'u') {
                unsigned low = s_hex4 (text + index + 8);
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    point = 0x10000 + ((point - 0xD800) << 10) + (low - 0xDC00);
                    used = 12;
                }
            }
            if (point >= 0xD800 && point <= 0xDFFF)
                s_scan_fail (self, index, CF_EPARSE, "json.syntax",
                             "\\u%.4s is half of a UTF-16 surrogate pair "
                             "with no other half; write the character itself "
                             "or both halves",
                             text + index + 2);
            else if (decoded)
                s_put_utf8 (decoded, &length, point);
            index += used;
        } else {
            size_t character = cf_utf8_char (text + index, self->size - index);
            if (character == 0) {
                s_scan_fail (self, index, CF_EPARSE, "json.syntax",
                             "byte 0x%02X is not valid UTF-8 (an overlong "
                             "form, a surrogate or past U+10FFFF); save the "
                             "file as UTF-8 text",
                             byte);
                //  One problem for the sequence, not one per byte of it
                character = 1;
                while (index + character < self->size &&
                       ((unsigned char)text[index + character] & 0xC0) == 0x80)
                    character++;
            }
            if (decoded) {
                memcpy (decoded + length, text + index, character);
                length += character;
            }
            index += character;
        }
    }
    *offset = index + 1;
    if (key) {
        //  The buffer has a byte more than the text: room for the end
        decoded[length] = 0;
        key->text = decoded;
        key->length = length;
        key->offset = start;
    }
}

//  Checks the number at *offset (json-c clamps those it cannot hold) and
//  moves *offset past it
static void
s_scan_number (s_scan_t *self, size_t *offset)
{
    const char *text = self->text;
    size_t start = *offset, end = start;
    bool whole = true, literal = false;
    while (end < self->size &&
           (isalnum ((unsigned char)text[end]) || strchr ("+-.", text[end]))) {
        if (strchr (".eE", text[end]))
            whole = false;
        if (isalpha ((unsigned char)text[end]) && !strchr ("eE", text[end]))
            literal = true;  //  -Infinity, NaN: json-c's own words
        end++;
    }
    *offset = end;
    if (literal || end - start > 400)
        return;
    char number[401];
    memcpy (number, text + start, end - start);
    number[end - start] = 0;
    errno = 0;
    bool clamped;
    if (whole) {
        long long value = strtoll (number, NULL, 10);
        (void)value;
        clamped = errno == ERANGE;
    } else {
        double value = strtod (number, NULL);
        clamped = errno == ERANGE && isinf (value);
    }
    int shown = (int)(end - start < 40 ? end - start : 40);
    if (clamped && whole)
        s_scan_fail (self, start, CF_EINVAL, "json.range",
                     "%.*s is too large; whole numbers go from %" PRId64
                     " to %" PRId64,
                     shown, number, INT64_MIN, INT64_MAX);
    else if (clamped)
        s_scan_fail (self, start, CF_EINVAL, "json.range",
                     "%.*s is too large for a number; the largest is about "
                     "1.8e308",
                     shown, number);
}

static int
s_key_order (const void *left, const void *right)
{
    const s_key_t *one = left, *other = right;
    size_t shorter = one->length < other->length ? one->length : other->length;
    int order = memcmp (one->text, other->text, shorter);
    if (order == 0 && one->length != other->length)
        order = one->length < other->length ? -1 : 1;
    if (order == 0)
        order = one->offset < other->offset ? -1 : 1;
    return order;
}

//  Reports each key that the object in frame holds twice, and frees its keys
static void
s_scan_close (s_scan_t *self, s_frame_t *frame)
{
    if (frame->count > 1)
        qsort (frame->keys, frame->count, sizeof (s_key_t), s_key_order);
    for (size_t index = 1; index < frame->count; index++) {
        const s_key_t *key = &frame->keys[index];
        const s_key_t *before = &frame->keys[index - 1];
        if (key->length == before->length &&
            memcmp (key->text, before->text, key->length) == 0) {
            int line, column;
            s_locate (self->text, before->offset, &line, &column);
            s_scan_fail (
                self, key->offset, CF_EINVAL, "json.duplicate_key",
                "the key \"%.*s\" is written twice in one object "
                "(first at line %d, column %d); keep one",
                cf_utf8_prefix (key->text, key->length < 64 ? key->length : 64),
                key->text, line, column);
        }
    }
    for (size_t index = 0; index < frame->count; index++)
        free (frame->keys[index].text);
    free (frame->keys);
    frame->keys = NULL;
    frame->count = frame->room = 0;
}

//  Returns 0, or the code of the first problem of text, which json-c has
//  parsed already, so its structure is sound and at most CF_JSON_MAX_DEPTH
//  deep: invalid UTF-8 that json-c's own check lets through, raw control
//  characters and lone surrogates in strings (CF_EPARSE, json.syntax),
//  numbers json-c would clamp (CF_EINVAL, json.range) and a key written
//  twice in one object (CF_EINVAL, json.duplicate_key).
static int
s_scan_text (const char *text, size_t size, cf_problems_t *problems)
{
    s_scan_t scan = {.text = text, .size = size, .problems = problems};
    //  json-c allows CF_JSON_MAX_DEPTH levels; deeper ones, which it
    //  would have refused, are only counted
    s_frame_t frames[CF_JSON_MAX_DEPTH + 1];
    size_t depth = 0, deeper = 0;
    size_t offset = 0;
    while (offset < size && scan.found < S_TEXT_PROBLEMS_MAX) {
        char c = text[offset];
        s_frame_t *top = depth ? &frames[depth - 1] : NULL;
        if (c == '{' || c == '[') {
            if (depth < CF_JSON_MAX_DEPTH + 1)
                frames[depth++] =
                    (s_frame_t){.object = c == '{', .key_next = true};
            else
                deeper++;
            offset++;
        } else if (c == '}' || c == ']') {
            if (deeper)
                deeper--;
            else if (top) {
                s_scan_close (&scan, top);
                depth--;
            }
            offset++;
        } else if (c == '"') {
            s_key_t key = {0};
            bool is_key = top && top->object && top->key_next;
            s_scan_string (&scan, &offset, is_key ? &key : NULL);
            if (is_key) {
                top->key_next = false;
                if (top->count == top->room) {
                    top->room = top->room ? top->room * 2 : 8;
                    top->keys = cf_mem_check (
                        realloc (top->keys, top->room * sizeof (s_key_t)));
                }
                top->keys[top->count++] = key;
            }
        } else if (c == ',') {
            if (top)
                top->key_next = true;
            offset++;
        } else if (c == '-' || isalnum ((unsigned char)c))
            s_scan_number (&scan, &offset);
        else
            offset++;
    }
    while (depth > 0)
        s_scan_close (&(s_scan_t){.text = text, .size = size},
                      &frames[--depth]);
    return scan.rc;
}

int
cf_json_parse (const char *text, size_t size, json_object **root_p,
               cf_problems_t *problems)
{
    assert ((text || size == 0) && root_p);
    *root_p = NULL;
    if (!text)
        text = "";
    if (size > CF_JSON_MAX_BYTES) {
        cf_problems_add (problems, "json.limit",
                         "the input is %zu bytes, more than the %d allowed",
                         size, CF_JSON_MAX_BYTES);
        return CF_ELIMIT;
    }
    //  Editors on Windows start UTF-8 files with a byte order mark
    if (size >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        size -= 3;
    }
    //  json-c takes a NUL for the end of the text; say what it is instead
    const char *nul = memchr (text, 0, size);
    if (nul)
        return s_syntax_error (text, size, (size_t)(nul - text),
                               "unexpected character", problems);
    size_t blank = 0;
    while (blank < size && isspace ((unsigned char)text[blank]))
        blank++;
    if (blank == size)
        return s_syntax_error (text, size, size,
                               "the input is empty: expected a JSON object",
                               problems);
    struct json_tokener *tokener =
        cf_mem_check (json_tokener_new_ex (CF_JSON_MAX_DEPTH));
    json_tokener_set_flags (tokener,
                            JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex (tokener, text, (int)size);
    enum json_tokener_error error = json_tokener_get_error (tokener);
    size_t end = json_tokener_get_parse_end (tokener);
    if (error == json_tokener_continue) {
        //  A bare number only ends at what follows it; anything else that
        //  still wants more input was cut short
        root = json_tokener_parse_ex (tokener, " ", 1);
        error = json_tokener_get_error (tokener);
        end = size;
    }
    json_tokener_free (tokener);
    size_t rest = end;
    while (rest < size && isspace ((unsigned char)text[rest]))
        rest++;

    int rc = 0;
    if (error == json_tokener_continue)
        rc = s_syntax_error (text, size, size,
                             "the input ends before the JSON is complete "
                             "(an object, list or string is not closed)",
                             problems);
    else if (error == json_tokener_error_depth) {
        int line, column;
        s_locate (text, end, &line, &column);
        cf_problems_add (problems, "json.limit",
                         "line %d, column %d: nested deeper than %d levels",
                         line, column, CF_JSON_MAX_DEPTH);
        rc = CF_ELIMIT;
    } else if (error != json_tokener_success)
        rc = s_syntax_error (text, size, end, json_tokener_error_desc (error),
                             problems);
    else if (rest < size)
        rc = s_syntax_error (text, size, rest,
                             "unexpected text after the end of the object",
                             problems);
    else if ((rc = s_scan_text (text, size, problems)) != 0)
        ;
    else if (!json_object_is_type (root, json_type_object)) {
        cf_problems_add (problems, "json.type",
                         "expected an object at the top level, got %s",
                         json_object_is_type (root, json_type_array)
                             ? "a list"
                             : "a single value");
        rc = CF_EINVAL;
    }
    if (rc)
        json_object_put (root);
    else
        *root_p = root;
    return rc;
}

//  Writes the path of a field or list item below parent into buffer
//  (S_PATH_MAX bytes): "outlets" + "name" -> "outlets.name", "outlets" + 2
//  -> "outlets[2]". A path too long for the buffer is cut short; it only
//  serves messages.
static void
s_child_path (char *buffer, const char *parent, const char *name, size_t index)
{
    int length;
    if (name)
        length = snprintf (buffer, S_PATH_MAX, "%s%s%.*s", parent,
                           *parent ? "." : "", CF_UTF8_CUT (name, 64));
    else
        length = snprintf (buffer, S_PATH_MAX, "%s[%zu]", parent, index);
    if (length < 0)
        buffer[0] = 0;
}

//  -------------------------------------------------------------------------
//  Values: one JSON value into one field of the tree

//  What a JSON value is, for "expected X, got Y"
static const char *
s_got (json_object *value)
{
    switch (json_object_get_type (value)) {
        case json_type_null:
            return "null";
        case json_type_boolean:
            return json_object_get_boolean (value) ? "true" : "false";
        case json_type_int:
        case json_type_double:
            return "a number";
        case json_type_string:
            return "a string";
        case json_type_object:
            return "an object";
        case json_type_array:
            return "a list";
    }
    return "an unknown value";
}

//  "SEVERITY_" for the enum Severity: protobuf names its values with the
//  enum's name in upper snake case
static void
s_enum_prefix (const ProtobufCEnumDescriptor *descriptor, char *buffer,
               size_t buffer_size)
{
    size_t length = 0;
    for (const char *cursor = descriptor->short_name; *cursor; cursor++) {
        if (length + 3 >= buffer_size)
            break;
        if (isupper ((unsigned char)*cursor) &&
            cursor != descriptor->short_name)
            buffer[length++] = '_';
        buffer[length++] = (char)toupper ((unsigned char)*cursor);
    }
    buffer[length++] = '_';
    buffer[length] = 0;
}

//  The JSON names of an enum's values: "minor, major". The zero value means
//  "not set" in proto3 and is not offered.
static void
s_enum_names (const ProtobufCEnumDescriptor *descriptor, char *buffer,
              size_t buffer_size)
{
    char prefix[64];
    s_enum_prefix (descriptor, prefix, sizeof prefix);
    size_t length = 0;
    buffer[0] = 0;
    for (unsigned index = 0; index < descriptor->n_values; index++) {
        const ProtobufCEnumValue *value = &descriptor->values[index];
        if (value->value == 0 || length + 2 >= buffer_size)
            continue;
        const char *name = value->name + strlen (prefix);
        length += (size_t)snprintf (buffer + length, buffer_size - length, "%s",
                                    length ? ", " : "");
        for (; *name && length + 1 < buffer_size; name++)
            buffer[length++] = (char)tolower ((unsigned char)*name);
        buffer[length] = 0;
    }
}

//  Finds the enum value whose JSON name is text; -1 when there is none
static int
s_enum_value (const ProtobufCEnumDescriptor *descriptor, const char *text)
{
    char prefix[64];
    s_enum_prefix (descriptor, prefix, sizeof prefix);
    size_t prefix_length = strlen (prefix);
    for (unsigned index = 0; index < descriptor->n_values; index++) {
        const ProtobufCEnumValue *value = &descriptor->values[index];
        if (value->value == 0 || strncmp (value->name, prefix, prefix_length))
            continue;
        const char *name = value->name + prefix_length;
        size_t length = strlen (name);
        if (strlen (text) != length)
            continue;
        size_t at = 0;
        while (at < length && tolower ((unsigned char)name[at]) == text[at])
            at++;
        if (at == length)
            return value->value;
    }
    return -1;
}

//  What a field wants, for "expected X, got Y"
static const char *
s_expected (const ProtobufCFieldDescriptor *field, char *buffer,
            size_t buffer_size)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            return "a string";
        case PROTOBUF_C_TYPE_BOOL:
            return "true or false";
        case PROTOBUF_C_TYPE_DOUBLE:
        case PROTOBUF_C_TYPE_FLOAT:
            return "a number";
        case PROTOBUF_C_TYPE_MESSAGE:
            return "an object";
        case PROTOBUF_C_TYPE_ENUM: {
            char names[128];
            s_enum_names (field->descriptor, names, sizeof names);
            snprintf (buffer, buffer_size, "one of %s, as a string", names);
            return buffer;
        }
        case PROTOBUF_C_TYPE_BYTES:
            return "bytes, which JSON input does not carry";
        default:
            return "a whole number";
    }
}

static void
s_wrong_type (s_decoder_t *self, const ProtobufCFieldDescriptor *field,
              json_object *value, const char *path)
{
    char buffer[160];
    s_fail (self, "json.type", "%s: expected %s, got %s", path,
            s_expected (field, buffer, sizeof buffer), s_got (value));
}

//  Reads a whole number in min .. max
static bool
s_read_integer (s_decoder_t *self, const ProtobufCFieldDescriptor *field,
                json_object *value, const char *path, int64_t min, int64_t max,
                int64_t *result)
{
    int64_t number;
    if (json_object_is_type (value, json_type_int))
        number = json_object_get_int64 (value);
    else if (json_object_is_type (value, json_type_double)) {
        //  JSON has one number type: 12.0 and 1e3 are whole numbers too
        double real = json_object_get_double (value);
        if (!isfinite (real) || real != floor (real)) {
            s_fail (self, "json.type", "%s: expected a whole number, got %s",
                    path, json_object_to_json_string (value));
            return false;
        }
        if (fabs (real) > 1e15) {
            s_fail (self, "json.range", "%s: %s is too large", path,
                    json_object_to_json_string (value));
            return false;
        }
        number = (int64_t)real;
    } else {
        s_wrong_type (self, field, value, path);
        return false;
    }
    if (number < 0 && min == 0) {
        s_fail (self, "json.range", "%s: must not be negative, got %" PRId64,
                path, number);
        return false;
    }
    if (number < min || number > max) {
        s_fail (self, "json.range",
                "%s: %s is out of range; write %" PRId64 " to %" PRId64, path,
                json_object_to_json_string (value), min, max);
        return false;
    }
    *result = number;
    return true;
}

static bool
s_read_real (s_decoder_t *self, const ProtobufCFieldDescriptor *field,
             json_object *value, const char *path, double *result)
{
    if (!json_object_is_type (value, json_type_int) &&
        !json_object_is_type (value, json_type_double)) {
        s_wrong_type (self, field, value, path);
        return false;
    }
    double real = json_object_get_double (value);
    if (!isfinite (real)) {
        s_fail (self, "json.range", "%s: %s is not a finite number", path,
                json_object_to_json_string (value));
        return false;
    }
    *result = real;
    return true;
}

static void
s_read_string (s_decoder_t *self, json_object *value, const char *path,
               char **slot)
{
    const char *text = json_object_get_string (value);
    size_t length = (size_t)json_object_get_string_len (value);
    if (length > CF_JSON_MAX_STRING)
        s_fail (self, "json.limit",
                "%s: the text is %zu bytes, more than the %d allowed", path,
                length, CF_JSON_MAX_STRING);
    else if (memchr (text, 0, length))
        s_fail (self, "json.value",
                "%s: contains a NUL character (\\u0000); remove it", path);
    else
        cf_pb_set_string (slot, text);
}

static void s_decode_message (s_decoder_t *self, json_object *object,
                              ProtobufCMessage *message, const char *path);

//  Decodes value into the storage of one (non-repeated) field, or of one
//  item of a repeated field
static void
s_decode_value (s_decoder_t *self, const ProtobufCFieldDescriptor *field,
                json_object *value, const char *path, void *slot)
{
    int64_t number;
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            if (json_object_is_type (value, json_type_string))
                s_read_string (self, value, path, (char **)slot);
            else
                s_wrong_type (self, field, value, path);
            break;
        case PROTOBUF_C_TYPE_BOOL:
            if (json_object_is_type (value, json_type_boolean))
                *(protobuf_c_boolean *)slot = json_object_get_boolean (value);
            else
                s_wrong_type (self, field, value, path);
            break;
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
            if (s_read_integer (self, field, value, path, INT32_MIN, INT32_MAX,
                                &number))
                *(int32_t *)slot = (int32_t)number;
            break;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
            if (s_read_integer (self, field, value, path, 0, UINT32_MAX,
                                &number))
                *(uint32_t *)slot = (uint32_t)number;
            break;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
            if (s_read_integer (self, field, value, path, INT64_MIN, INT64_MAX,
                                &number))
                *(int64_t *)slot = number;
            break;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            if (s_read_integer (self, field, value, path, 0, INT64_MAX,
                                &number))
                *(uint64_t *)slot = (uint64_t)number;
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            (void)s_read_real (self, field, value, path, (double *)slot);
            break;
        case PROTOBUF_C_TYPE_FLOAT: {
            double real;
            if (s_read_real (self, field, value, path, &real))
                *(float *)slot = (float)real;
            break;
        }
        case PROTOBUF_C_TYPE_ENUM: {
            int found = json_object_is_type (value, json_type_string)
                            ? s_enum_value (field->descriptor,
                                            json_object_get_string (value))
                            : -1;
            if (found >= 0)
                *(int *)slot = found;
            else if (json_object_is_type (value, json_type_string)) {
                char names[128];
                s_enum_names (field->descriptor, names, sizeof names);
                s_fail (self, "json.value", "%s: '%.*s' is not one of %s", path,
                        CF_UTF8_CUT (json_object_get_string (value), 64),
                        names);
            } else
                s_wrong_type (self, field, value, path);
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            if (!json_object_is_type (value, json_type_object)) {
                s_wrong_type (self, field, value, path);
                break;
            }
            ProtobufCMessage **child = (ProtobufCMessage **)slot;
            if (!*child)
                *child = cf_pb_new (field->descriptor);
            s_decode_message (self, value, *child, path);
            break;
        }
        case PROTOBUF_C_TYPE_BYTES:
            s_wrong_type (self, field, value, path);
            break;
    }
}

//  Bytes one item of a repeated field takes in its array
static size_t
s_item_size (const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_BYTES:
        case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (void *);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_DOUBLE:
            return 8;
        default:
            return 4;
    }
}

//  Decodes a list into a repeated field. Every item is given a valid
//  default first (an empty string, an empty message), so the tree can be
//  freed whatever goes wrong in the items.
static void
s_decode_list (s_decoder_t *self, const ProtobufCFieldDescriptor *field,
               json_object *list, ProtobufCMessage *message, const char *path)
{
    if (!json_object_is_type (list, json_type_array)) {
        s_fail (self, "json.type", "%s: expected a list, got %s%s", path,
                s_got (list),
                json_object_is_type (list, json_type_string)
                    ? "; write [\"...\"] even for one item"
                    : "");
        return;
    }
    size_t count = json_object_array_length (list);
    if (count > CF_JSON_MAX_ITEMS) {
        s_fail (self, "json.limit", "%s: %zu items, more than the %d allowed",
                path, count, CF_JSON_MAX_ITEMS);
        return;
    }
    if (count == 0)
        return;
    size_t item_size = s_item_size (field);
    char *items = cf_mem_check (calloc (count, item_size));
    for (size_t index = 0; index < count; index++) {
        void *item = items + index * item_size;
        if (field->type == PROTOBUF_C_TYPE_STRING)
            *(char **)item = cf_mem_check (strdup (""));
        else if (field->type == PROTOBUF_C_TYPE_MESSAGE)
            *(void **)item = cf_pb_new (field->descriptor);
    }
    *(size_t *)((char *)message + field->quantifier_offset) = count;
    *(void **)((char *)message + field->offset) = items;

    for (size_t index = 0; index < count; index++) {
        char item_path[S_PATH_MAX];
        s_child_path (item_path, path, NULL, index);
        json_object *value = json_object_array_get_idx (list, index);
        if (!value)
            s_wrong_type (self, field, value, item_path);
        else
            s_decode_value (self, field, value, item_path,
                            items + index * item_size);
    }
}

//  -------------------------------------------------------------------------
//  Objects: fields by name, and a guess for a misspelt one

//  Edit distance between two short strings, ignoring case; SIZE_MAX when
//  either is too long to be a typo of the other
static size_t
s_distance (const char *left, const char *right)
{
    size_t left_length = strlen (left), right_length = strlen (right);
    if (left_length >= S_GUESS_MAX || right_length >= S_GUESS_MAX)
        return SIZE_MAX;
    size_t row[S_GUESS_MAX];
    for (size_t column = 0; column <= right_length; column++)
        row[column] = column;
    for (size_t line = 1; line <= left_length; line++) {
        size_t diagonal = row[0];
        row[0] = line;
        for (size_t column = 1; column <= right_length; column++) {
            size_t above = row[column];
            size_t cost = tolower ((unsigned char)left[line - 1]) !=
                          tolower ((unsigned char)right[column - 1]);
            size_t best = diagonal + cost;
            if (above + 1 < best)
                best = above + 1;
            if (row[column - 1] + 1 < best)
                best = row[column - 1] + 1;
            row[column] = best;
            diagonal = above;
        }
    }
    return row[right_length];
}

const char *
cf_json_suggest (const char *key, const char *const names[])
{
    assert (key && names);
    const char *closest = NULL;
    size_t closest_distance = SIZE_MAX;
    for (size_t index = 0; names[index]; index++) {
        size_t length = strlen (names[index]);
        size_t allowed = length <= 4 ? 1 : length <= 8 ? 2 : 3;
        size_t distance = s_distance (key, names[index]);
        if (distance <= allowed && distance < closest_distance) {
            closest = names[index];
            closest_distance = distance;
        }
    }
    return closest;
}

static void
s_unknown_field (s_decoder_t *self, const ProtobufCMessageDescriptor *message,
                 const char *key, const char *path)
{
    char field_path[S_PATH_MAX];
    s_child_path (field_path, path, key, 0);
    const char **names =
        cf_mem_check (calloc (message->n_fields + 1, sizeof *names));
    for (unsigned index = 0; index < message->n_fields; index++)
        names[index] = message->fields[index].name;
    const char *guess = cf_json_suggest (key, names);
    if (guess)
        s_fail (self, "json.unknown_field",
                "%s: unknown field '%.*s' — did you mean '%s'?", field_path,
                CF_UTF8_CUT (key, 64), guess);
    else {
        char known[1024] = "";
        size_t length = 0;
        for (size_t index = 0; names[index] && length < sizeof known; index++)
            length +=
                (size_t)snprintf (known + length, sizeof known - length, "%s%s",
                                  index ? ", " : "", names[index]);
        s_fail (self, "json.unknown_field",
                "%s: unknown field '%.*s'; the fields here are: %s", field_path,
                CF_UTF8_CUT (key, 64), known);
    }
    free (names);
}

static void
s_decode_message (s_decoder_t *self, json_object *object,
                  ProtobufCMessage *message, const char *path)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    json_object_object_foreach (object, key, value)
    {
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field_by_name (descriptor, key);
        if (!field) {
            s_unknown_field (self, descriptor, key, path);
            continue;
        }
        if (!value)
            continue;  //  null: as if the field were absent
        char field_path[S_PATH_MAX];
        s_child_path (field_path, path, field->name, 0);
        if (field->label == PROTOBUF_C_LABEL_REPEATED)
            s_decode_list (self, field, value, message, field_path);
        else {
            if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                *(uint32_t *)((char *)message + field->quantifier_offset) =
                    field->id;
            s_decode_value (self, field, value, field_path,
                            (char *)message + field->offset);
        }
    }
}

//  Reads text into message (a new, empty heap message) and checks that
//  every name in required (NULL-terminated, may be NULL) is written out.
//  Returns 0, or the error; message is then partly filled and still valid.
static int
s_read (const char *text, size_t size, const char *const *required,
        ProtobufCMessage *message, cf_problems_t *problems)
{
    json_object *root = NULL;
    int rc = cf_json_parse (text, size, &root, problems);
    if (rc)
        return rc;
    s_decoder_t decoder = {.problems = problems};
    s_decode_message (&decoder, root, message, "");
    for (size_t index = 0; required && required[index]; index++) {
        json_object *value = NULL;
        if (!json_object_object_get_ex (root, required[index], &value) ||
            !value)
            s_fail (&decoder, "json.missing",
                    "%s: missing; declare it, true or false", required[index]);
    }
    json_object_put (root);
    return decoder.limit ? CF_ELIMIT : decoder.invalid ? CF_EINVAL : 0;
}

//  -------------------------------------------------------------------------
//  Public functions

int
cf_json_load_file (const char *path, size_t max_bytes, char **text_p,
                   size_t *size_p, cf_problems_t *problems)
{
    assert (path && text_p && size_p);
    int error = cf_file_read (path, max_bytes, text_p, size_p);
    if (error == EFBIG) {
        cf_problems_add (problems, "file.size",
                         "%s is larger than the limit of %zu bytes", path,
                         max_bytes);
        return CF_ELIMIT;
    }
    if (error != 0) {
        char reason[128];
        cf_problems_add (problems, "file.read", "cannot open %s: %s", path,
                         strerror_r (error, reason, sizeof reason));
        return CF_EIO;
    }
    return 0;
}

int
cf_json_application (const char *text, size_t size, Cf__Application **app_p,
                     cf_problems_t *problems)
{
    assert ((text || size == 0) && app_p);
    //  A missing declaration would read as false and refuse the applicant
    static const char *const declarations[] = {"independent_legal_entity",
                                               "lawful_operation",
                                               "no_major_accident", NULL};
    Cf__Application *app = cf_pb_new (&cf__application__descriptor);
    int rc =
        s_read (text ? text : "", size, declarations, &app->base, problems);
    if (rc)
        cf_pb_free (&app);
    *app_p = app;
    return rc;
}

int
cf_json_score_sheet (const char *text, size_t size, Cf__ScoreSheet **sheet_p,
                     cf_problems_t *problems)
{
    assert ((text || size == 0) && sheet_p);
    Cf__ScoreSheet *sheet = cf_pb_new (&cf__score_sheet__descriptor);
    int rc = s_read (text ? text : "", size, NULL, &sheet->base, problems);
    if (rc)
        cf_pb_free (&sheet);
    *sheet_p = sheet;
    return rc;
}

//  Checks what a staff record says, beyond its form
static void
s_check_staff (s_decoder_t *self, const Cf__Staff *staff)
{
    static const char *const roles[] = {"reviewer", "auditor", "committee",
                                        "admin"};
    if (!*staff->id || strpbrk (staff->id, " \t\r\n"))
        s_fail (self, "staff.id",
                "id '%.*s' is empty or has spaces: write the staff "
                "identifier, e.g. AUD001",
                CF_UTF8_CUT (staff->id, 64));
    if (!*staff->name)
        s_fail (self, "staff.name", "name is empty: write the full name");
    if (staff->n_roles == 0)
        s_fail (self, "staff.roles",
                "roles is empty: give at least one of reviewer, auditor, "
                "committee, admin");
    for (size_t index = 0; index < staff->n_roles; index++) {
        bool known = false;
        for (size_t role = 0; role < sizeof roles / sizeof roles[0]; role++)
            known = known || strcmp (staff->roles[index], roles[role]) == 0;
        if (!known)
            s_fail (self, "staff.roles",
                    "roles[%zu] is '%.*s': write reviewer, auditor, "
                    "committee or admin",
                    index, CF_UTF8_CUT (staff->roles[index], 64));
    }
    for (size_t index = 0; index < staff->n_sectors; index++)
        if (!*staff->sectors[index])
            s_fail (self, "staff.sectors",
                    "sectors[%zu] is empty: write a sector code such as SC03",
                    index);
    cf_day_t from = 0, until = 0;
    bool has_from = *staff->qualified_from != 0;
    bool has_until = *staff->qualified_until != 0;
    if (has_from && cf_date_parse (staff->qualified_from, &from)) {
        s_fail (self, "staff.qualified",
                "qualified_from '%.*s' is not a date: write YYYY-MM-DD",
                CF_UTF8_CUT (staff->qualified_from, 64));
        has_from = false;
    }
    if (has_until && cf_date_parse (staff->qualified_until, &until)) {
        s_fail (self, "staff.qualified",
                "qualified_until '%.*s' is not a date: write YYYY-MM-DD",
                CF_UTF8_CUT (staff->qualified_until, 64));
        has_until = false;
    }
    if (has_from && has_until && from > until)
        s_fail (self, "staff.qualified",
                "qualified_from %s is after qualified_until %s: swap or "
                "correct them",
                staff->qualified_from, staff->qualified_until);
    if (cf_cnca_check_registration (staff->registration))
        s_fail (self, "staff.registration",
                "registration '%.*s' is not a registration number: write "
                "the CCAA registration certificate number (注册证书号) as "
                "it stands, letters, digits, '-' and '/', at most %d "
                "characters, "
                "or leave it out",
                CF_UTF8_CUT (staff->registration, 64),
                CF_CNCA_REGISTRATION_MAX);
    for (size_t index = 0; index < staff->n_conflicts; index++) {
        const Cf__Conflict *conflict = staff->conflicts[index];
        cf_day_t day;
        //  With a company (its credit code) or with a consultancy (its org)
        bool consultancy = *conflict->consultancy != 0;
        if (consultancy && *conflict->uscc)
            s_fail (self, "staff.conflicts",
                    "conflicts[%zu] names both a company (uscc) and a "
                    "consultancy: declare each conflict on its own",
                    index);
        else if (!consultancy &&
                 cf_application_check_uscc (conflict->uscc, NULL))
            s_fail (self, "staff.conflicts",
                    "conflicts[%zu].uscc '%.*s' is not a valid unified "
                    "social credit code: copy it from the company's "
                    "business licence (or name a consultancy)",
                    index, CF_UTF8_CUT (conflict->uscc, 64));
        if (*conflict->until && cf_date_parse (conflict->until, &day))
            s_fail (self, "staff.conflicts",
                    "conflicts[%zu].until '%.*s' is not a date: write "
                    "YYYY-MM-DD, or leave it out for an open conflict",
                    index, CF_UTF8_CUT (conflict->until, 64));
    }
}

int
cf_json_staff (const char *text, size_t size, Cf__Staff **staff_p,
               cf_problems_t *problems)
{
    assert ((text || size == 0) && staff_p);
    Cf__Staff *staff = cf_pb_new (&cf__staff__descriptor);
    //  Registering someone means they work here unless the file says not
    staff->active = true;
    int rc = s_read (text ? text : "", size, NULL, &staff->base, problems);
    if (rc == 0) {
        s_decoder_t decoder = {.problems = problems};
        s_check_staff (&decoder, staff);
        rc = decoder.invalid ? CF_EINVAL : 0;
    }
    if (rc)
        cf_pb_free (&staff);
    *staff_p = staff;
    return rc;
}
