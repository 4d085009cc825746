/*  =========================================================================
    cf_pbjson - any protobuf message as JSON, for `certflow --json`
    =========================================================================
*/

#include "cf_pbjson.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_utf8.h"

static void s_print_message (FILE *out, const ProtobufCMessage *message);

static void
s_print_string (FILE *out, const char *string)
{
    const unsigned char *text = (const unsigned char *)(string ? string : "");
    fputc ('"', out);
    while (*text) {
        unsigned char byte = *text;
        if (byte == '"' || byte == '\\') {
            fputc ('\\', out);
            fputc (byte, out);
        } else if (byte == '\n')
            fputs ("\\n", out);
        else if (byte == '\r')
            fputs ("\\r", out);
        else if (byte == '\t')
            fputs ("\\t", out);
        else if (byte < 0x20 || byte == 0x7f)
            fprintf (out, "\\u%04x", byte);
        else {
            size_t length = cf_utf8_char ((const char *)text, 4);
            if (length == 0) {
                fputs ("\\ufffd", out);
                length = 1;
            } else
                fwrite (text, 1, length, out);
            text += length;
            continue;
        }
        text++;
    }
    fputc ('"', out);
}

static void
s_print_bytes (FILE *out, const ProtobufCBinaryData *data)
{
    const int variant = sodium_base64_VARIANT_ORIGINAL;
    size_t size = sodium_base64_ENCODED_LEN (data->len, variant);
    char *text = cf_mem_check (malloc (size));
    sodium_bin2base64 (text, size, data->len ? data->data : (uint8_t *)"",
                       data->len, variant);
    fprintf (out, "\"%s\"", text);
    free (text);
}

static void
s_print_double (FILE *out, double value, int shortest, int longest)
{
    if (isnan (value)) {
        fputs ("\"NaN\"", out);
        return;
    }
    if (isinf (value)) {
        fputs (value > 0 ? "\"Infinity\"" : "\"-Infinity\"", out);
        return;
    }
    //  The fewest digits that read back exactly: 87.5, not 87.500000000001
    char buffer[40];
    for (int precision = shortest; precision <= longest; precision++) {
        snprintf (buffer, sizeof buffer, "%.*g", precision, value);
        if (strtod (buffer, NULL) == value)
            break;
    }
    fputs (buffer, out);
}

static void
s_print_enum (FILE *out, const ProtobufCEnumDescriptor *descriptor, int value)
{
    const ProtobufCEnumValue *known =
        protobuf_c_enum_descriptor_get_value (descriptor, value);
    if (known)
        fprintf (out, "\"%s\"", known->name);
    else
        fprintf (out, "%d", value);
}

//  Prints the one value of field's type stored at member.
static void
s_print_value (FILE *out, const ProtobufCFieldDescriptor *field,
               const void *member)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
            fprintf (out, "%" PRId32, *(const int32_t *)member);
            break;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
            fprintf (out, "%" PRIu32, *(const uint32_t *)member);
            break;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
            fprintf (out, "%" PRId64, *(const int64_t *)member);
            break;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            fprintf (out, "%" PRIu64, *(const uint64_t *)member);
            break;
        case PROTOBUF_C_TYPE_FLOAT:
            s_print_double (out, *(const float *)member, 6, 9);
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            s_print_double (out, *(const double *)member, 15, 17);
            break;
        case PROTOBUF_C_TYPE_BOOL:
            fputs (*(const protobuf_c_boolean *)member ? "true" : "false", out);
            break;
        case PROTOBUF_C_TYPE_ENUM:
            s_print_enum (out, field->descriptor, *(const int *)member);
            break;
        case PROTOBUF_C_TYPE_STRING:
            s_print_string (out, *(char *const *)member);
            break;
        case PROTOBUF_C_TYPE_BYTES:
            s_print_bytes (out, (const ProtobufCBinaryData *)member);
            break;
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *child =
                *(const ProtobufCMessage *const *)member;
            if (child)
                s_print_message (out, child);
            else
                fputs ("null", out);
            break;
        }
    }
}

//  Returns true when field is to be printed: every plain field, a oneof
//  member only when chosen, an optional field only when present, a
//  sub-message only when set.
static bool
s_field_present (const ProtobufCMessage *message,
                 const ProtobufCFieldDescriptor *field)
{
    const char *base = (const char *)message;
    if (field->label == PROTOBUF_C_LABEL_REPEATED)
        return true;
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t chosen;
        memcpy (&chosen, base + field->quantifier_offset, sizeof chosen);
        return chosen == field->id;
    }
    if (field->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(const ProtobufCMessage *const *)(base + field->offset) != NULL;
    if (field->label == PROTOBUF_C_LABEL_OPTIONAL &&
        field->type != PROTOBUF_C_TYPE_STRING) {
        protobuf_c_boolean has;
        memcpy (&has, base + field->quantifier_offset, sizeof has);
        return has;
    }
    return true;
}

static void
s_print_message (FILE *out, const ProtobufCMessage *message)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    const char *base = (const char *)message;
    bool first = true;
    fputc ('{', out);
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[index];
        if (!s_field_present (message, field))
            continue;
        if (!first)
            fputc (',', out);
        first = false;
        s_print_string (out, field->name);
        fputc (':', out);
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count;
            memcpy (&count, base + field->quantifier_offset, sizeof count);
            const char *items = *(const char *const *)(base + field->offset);
            size_t step = cf_pb_value_size (field->type);
            fputc ('[', out);
            for (size_t item = 0; item < count; item++) {
                if (item)
                    fputc (',', out);
                s_print_value (out, field, items + item * step);
            }
            fputc (']', out);
        } else
            s_print_value (out, field, base + field->offset);
    }
    fputc ('}', out);
}

void
cf_pbjson_print (FILE *out, const ProtobufCMessage *message)
{
    assert (out && message);
    s_print_message (out, message);
}

char *
cf_pbjson_text (const ProtobufCMessage *message)
{
    assert (message);
    char *text = NULL;
    size_t size = 0;
    FILE *out = cf_mem_check (open_memstream (&text, &size));
    s_print_message (out, message);
    if (fclose (out) != 0)
        cf_mem_fail ();
    return cf_mem_check (text);
}
