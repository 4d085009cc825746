/*  =========================================================================
    cf_pb - building and changing protobuf-c message trees on the heap
    =========================================================================
*/

#include "cf_pb.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cf_mem.h"

void
cf_pb_set_string (char **field, const char *value)
{
    assert (field);
    char *copy = cf_mem_check (strdup (value ? value : ""));
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = copy;
}

void
cf_pb_append_string (size_t *count, char ***items, const char *value)
{
    cf_pb_append (count, (void ***)items,
                  cf_mem_check (strdup (value ? value : "")));
}

void
cf_pb_append (size_t *count, void ***items, void *item)
{
    assert (count && items && item);
    *items = cf_mem_check (realloc (*items, (*count + 1) * sizeof (void *)));
    (*items)[(*count)++] = item;
}

void *
cf_pb_new (const ProtobufCMessageDescriptor *descriptor)
{
    assert (descriptor);
    ProtobufCMessage *message =
        cf_mem_check (malloc (descriptor->sizeof_message));
    protobuf_c_message_init (descriptor, message);
    return message;
}

uint8_t *
cf_pb_pack (const ProtobufCMessage *message, size_t *size)
{
    assert (message && size);
    *size = protobuf_c_message_get_packed_size (message);
    uint8_t *buffer = cf_mem_check (malloc (*size ? *size : 1));
    protobuf_c_message_pack (message, buffer);
    return buffer;
}

size_t
cf_pb_value_size (ProtobufCType type)
{
    switch (type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
        case PROTOBUF_C_TYPE_ENUM:
            return sizeof (uint32_t);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            return sizeof (uint64_t);
        case PROTOBUF_C_TYPE_FLOAT:
            return sizeof (float);
        case PROTOBUF_C_TYPE_DOUBLE:
            return sizeof (double);
        case PROTOBUF_C_TYPE_BOOL:
            return sizeof (protobuf_c_boolean);
        case PROTOBUF_C_TYPE_STRING:
            return sizeof (char *);
        case PROTOBUF_C_TYPE_BYTES:
            return sizeof (ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (ProtobufCMessage *);
    }
    //  Descriptors are compiled in by protoc-c: no other type exists
    assert (false);
    return 0;
}

//  Copies one value of field from from to to, allocating what it points
//  to. A NULL string becomes a new "" (it packs as one, and unpacks as
//  one); bytes of length 0 have no data, as unpack leaves them.
static void
s_copy_value (const ProtobufCFieldDescriptor *field, const void *from, void *to)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING: {
            const char *text = *(char *const *)from;
            *(char **)to = cf_mem_check (strdup (text ? text : ""));
            break;
        }
        case PROTOBUF_C_TYPE_BYTES: {
            const ProtobufCBinaryData *bytes = from;
            ProtobufCBinaryData *copy = to;
            copy->len = bytes->len;
            copy->data = NULL;
            if (bytes->len) {
                copy->data = cf_mem_check (malloc (bytes->len));
                memcpy (copy->data, bytes->data, bytes->len);
            }
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *message = *(ProtobufCMessage *const *)from;
            *(ProtobufCMessage **)to = message ? cf_pb_dup (message) : NULL;
            break;
        }
        case PROTOBUF_C_TYPE_BOOL:
            //  Packed as 0 or 1, whatever else the int holds
            *(protobuf_c_boolean *)to = *(const protobuf_c_boolean *)from != 0;
            break;
        default:
            memcpy (to, from, cf_pb_value_size (field->type));
            break;
    }
}

//  Copies a singular field's value that is set (see s_is_set). A string or
//  bytes that is the field's default (a static value, never freed) is
//  shared, not copied.
static void
s_copy_singular (const ProtobufCFieldDescriptor *field, const void *from,
                 void *to)
{
    if (field->type == PROTOBUF_C_TYPE_STRING && field->default_value &&
        *(char *const *)from == field->default_value)
        *(char **)to = *(char *const *)from;
    else if (field->type == PROTOBUF_C_TYPE_BYTES && field->default_value &&
             ((const ProtobufCBinaryData *)from)->data ==
                 ((const ProtobufCBinaryData *)field->default_value)->data)
        *(ProtobufCBinaryData *)to = *(const ProtobufCBinaryData *)from;
    else
        s_copy_value (field, from, to);
}

//  True when the field is a string or a sub-message: held by pointer,
//  unset when NULL or its default, with no has_ flag
static bool
s_is_pointer (const ProtobufCFieldDescriptor *field)
{
    return field->type == PROTOBUF_C_TYPE_STRING ||
           field->type == PROTOBUF_C_TYPE_MESSAGE;
}

//  True when a proto3 field holds its zero value, which pack leaves out
static bool
s_is_zero (const ProtobufCFieldDescriptor *field, const void *member)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING: {
            const char *text = *(char *const *)member;
            return !text || !*text;
        }
        case PROTOBUF_C_TYPE_BYTES:
            return ((const ProtobufCBinaryData *)member)->len == 0;
        case PROTOBUF_C_TYPE_MESSAGE:
            return *(ProtobufCMessage *const *)member == NULL;
        case PROTOBUF_C_TYPE_FLOAT:
            return *(const float *)member == 0;
        case PROTOBUF_C_TYPE_DOUBLE:
            return *(const double *)member == 0;
        case PROTOBUF_C_TYPE_BOOL:
            return *(const protobuf_c_boolean *)member == 0;
        default:
            if (cf_pb_value_size (field->type) == sizeof (uint64_t))
                return *(const uint64_t *)member == 0;
            return *(const uint32_t *)member == 0;
    }
}

//  True when pack would write the singular field of message: then the copy
//  gets its value, otherwise the copy keeps its default, as unpack would
static bool
s_is_set (const ProtobufCFieldDescriptor *field, const char *message)
{
    const void *member = message + field->offset;
    const void *quantifier = message + field->quantifier_offset;
    if (field->label == PROTOBUF_C_LABEL_REQUIRED)
        return true;
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        //  Members share storage: only the one the case names is there
        if (*(const uint32_t *)quantifier != field->id)
            return false;
    } else if (field->label == PROTOBUF_C_LABEL_NONE)
        return !s_is_zero (field, member);
    else if (!s_is_pointer (field))
        return *(const protobuf_c_boolean *)quantifier;
    //  A oneof's member, or an optional string or message
    if (!s_is_pointer (field))
        return true;
    const void *pointer = *(void *const *)member;
    return pointer && pointer != field->default_value;
}

//  Copies a repeated field: its count and a new array of copied elements
static void
s_copy_repeated (const ProtobufCFieldDescriptor *field, const char *from,
                 char *to)
{
    size_t count = *(const size_t *)(from + field->quantifier_offset);
    if (count == 0)
        return;
    size_t size = cf_pb_value_size (field->type);
    const char *items = *(char *const *)(from + field->offset);
    char *array = cf_mem_check (malloc (count * size));
    if (field->type == PROTOBUF_C_TYPE_STRING ||
        field->type == PROTOBUF_C_TYPE_BYTES ||
        field->type == PROTOBUF_C_TYPE_MESSAGE ||
        field->type == PROTOBUF_C_TYPE_BOOL) {
        for (size_t index = 0; index < count; index++)
            s_copy_value (field, items + index * size, array + index * size);
    } else
        memcpy (array, items, count * size);
    *(char **)(to + field->offset) = array;
    *(size_t *)(to + field->quantifier_offset) = count;
}

//  Copies the fields unpack did not know, which pack writes back verbatim
static void
s_copy_unknown (const ProtobufCMessage *message, ProtobufCMessage *copy)
{
    size_t count = message->n_unknown_fields;
    if (count == 0)
        return;
    copy->unknown_fields =
        cf_mem_check (malloc (count * sizeof *copy->unknown_fields));
    for (size_t index = 0; index < count; index++) {
        const ProtobufCMessageUnknownField *field =
            &message->unknown_fields[index];
        ProtobufCMessageUnknownField *field_copy = &copy->unknown_fields[index];
        *field_copy = *field;
        field_copy->data = cf_mem_check (malloc (field->len ? field->len : 1));
        if (field->len)
            memcpy (field_copy->data, field->data, field->len);
    }
    copy->n_unknown_fields = count;
}

void *
cf_pb_dup (const ProtobufCMessage *message)
{
    assert (message && message->descriptor);
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    assert (descriptor->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    ProtobufCMessage *copy = cf_pb_new (descriptor);
    const char *from = (const char *)message;
    char *to = (char *)copy;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[index];
        if (field->label == PROTOBUF_C_LABEL_REPEATED)
            s_copy_repeated (field, from, to);
        else if (s_is_set (field, from)) {
            s_copy_singular (field, from + field->offset, to + field->offset);
            if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                *(uint32_t *)(to + field->quantifier_offset) = field->id;
            else if (field->label == PROTOBUF_C_LABEL_OPTIONAL &&
                     !s_is_pointer (field))
                *(protobuf_c_boolean *)(to + field->quantifier_offset) = true;
        }
    }
    s_copy_unknown (message, copy);
    return copy;
}

void
cf_pb_free (void *message_p)
{
    ProtobufCMessage **pointer = (ProtobufCMessage **)message_p;
    assert (pointer);
    if (*pointer) {
        protobuf_c_message_free_unpacked (*pointer, NULL);
        *pointer = NULL;
    }
}
