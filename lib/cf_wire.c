/*  =========================================================================
    cf_wire - decoding protobuf frames from the network safely

    The check walks the tree by its descriptors, so it covers every message
    type of the schema with no per-type code. The schema has no recursive
    types, so the walk's depth is bounded by the schema itself.
    =========================================================================
*/

#include "cf_wire.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_utf8.h"

//  Memory the decoder may still allocate for this frame
typedef struct {
    size_t remaining;  //  Bytes left in the budget
    bool exhausted;    //  An allocation was refused
} s_budget_t;

static void *
s_budget_alloc (void *data, size_t size)
{
    s_budget_t *budget = data;
    if (size > budget->remaining) {
        budget->exhausted = true;
        return NULL;
    }
    budget->remaining -= size;
    return malloc (size);
}

static void
s_budget_free (void *data, void *pointer)
{
    (void)data;
    free (pointer);
}

//  Where a value is in the tree: the field's name and its parent's place,
//  spelled out ("Reply.record.id") only when a problem names it
typedef struct s_path_t {
    const struct s_path_t *parent;  //  The message holding it, or NULL
    const char *name;               //  Field name, or the root's type
} s_path_t;

//  Writes path into text (size bytes) and returns text
static const char *
s_path_text (const s_path_t *path, char *text, size_t size)
{
    const s_path_t *chain[32];
    size_t depth = 0;
    for (; path && depth < 32; path = path->parent)
        chain[depth++] = path;
    size_t used = 0;
    text[0] = 0;
    while (depth-- > 0 && used < size) {
        int wrote = snprintf (text + used, size - used, "%s%s", used ? "." : "",
                              chain[depth]->name);
        if (wrote < 0)
            break;
        used += (size_t)wrote;
    }
    return text;
}

#define S_PATH(path) s_path_text ((path), (char[256]){0}, 256)

static int s_check_message (const ProtobufCMessage *message,
                            const s_path_t *path, cf_problems_t *problems);

//  Checks one value of a field; item is its address in the message
static int
s_check_value (const ProtobufCFieldDescriptor *field, const void *item,
               const s_path_t *path, cf_problems_t *problems)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_ENUM: {
            int value = *(const int *)item;
            if (!protobuf_c_enum_descriptor_get_value (field->descriptor,
                                                       value)) {
                cf_problems_add (
                    problems, "wire.enum", "%s: %d is not a value of %s",
                    S_PATH (path), value,
                    ((const ProtobufCEnumDescriptor *)field->descriptor)->name);
                return CF_EINVAL;
            }
            return 0;
        }
        case PROTOBUF_C_TYPE_STRING: {
            const char *text = *(char *const *)item;
            size_t length = text ? strlen (text) : 0;
            if (length > CF_WIRE_MAX_STRING) {
                cf_problems_add (problems, "wire.string_length",
                                 "%s: %zu bytes, at most %d", S_PATH (path),
                                 length, CF_WIRE_MAX_STRING);
                return CF_EINVAL;
            }
            if (!cf_utf8_valid (text, length)) {
                cf_problems_add (problems, "wire.utf8",
                                 "%s: not valid UTF-8 text", S_PATH (path));
                return CF_EINVAL;
            }
            return 0;
        }
        case PROTOBUF_C_TYPE_BYTES: {
            const ProtobufCBinaryData *bytes = item;
            if (bytes->len > CF_WIRE_MAX_STRING) {
                cf_problems_add (problems, "wire.bytes_length",
                                 "%s: %zu bytes, at most %d", S_PATH (path),
                                 bytes->len, CF_WIRE_MAX_STRING);
                return CF_EINVAL;
            }
            return 0;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *child = *(ProtobufCMessage *const *)item;
            return child ? s_check_message (child, path, problems) : 0;
        }
        default:
            return 0;
    }
}

static int
s_check_message (const ProtobufCMessage *message, const s_path_t *path,
                 cf_problems_t *problems)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    if (message->n_unknown_fields > 0) {
        cf_problems_add (problems, "wire.unknown_field",
                         "%s: field number %u is not in %s", S_PATH (path),
                         message->unknown_fields[0].tag, descriptor->name);
        return CF_EINVAL;
    }
    const char *base = (const char *)message;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[index];
        s_path_t child = {path, field->name};
        const s_path_t *child_path = &child;
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t chosen =
                *(const uint32_t *)(base + field->quantifier_offset);
            if (chosen != field->id)
                continue;
        }
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *)(base + field->quantifier_offset);
            if (count > CF_WIRE_MAX_ITEMS) {
                cf_problems_add (problems, "wire.items",
                                 "%s: %zu items, at most %d",
                                 S_PATH (child_path), count, CF_WIRE_MAX_ITEMS);
                return CF_EINVAL;
            }
            const char *items = *(char *const *)(base + field->offset);
            size_t stride = field->type == PROTOBUF_C_TYPE_STRING ||
                                    field->type == PROTOBUF_C_TYPE_MESSAGE
                                ? sizeof (void *)
                            : field->type == PROTOBUF_C_TYPE_BYTES
                                ? sizeof (ProtobufCBinaryData)
                            : field->type == PROTOBUF_C_TYPE_ENUM ? sizeof (int)
                                                                  : 0;
            for (size_t item = 0; stride && item < count; item++) {
                int rc = s_check_value (field, items + item * stride,
                                        child_path, problems);
                if (rc)
                    return rc;
            }
            continue;
        }
        int rc =
            s_check_value (field, base + field->offset, child_path, problems);
        if (rc)
            return rc;
    }
    return 0;
}

int
cf_wire_check (const ProtobufCMessage *message, cf_problems_t *problems)
{
    if (!message)
        return CF_EINVAL;
    s_path_t root = {NULL, message->descriptor->short_name};
    return s_check_message (message, &root, problems);
}

bool
cf_wire_varint (const uint8_t *data, size_t size, size_t *offset,
                uint64_t *value)
{
    *value = 0;
    for (int shift = 0; shift < 70 && *offset < size; shift += 7) {
        uint8_t byte = data[(*offset)++];
        *value |= (uint64_t)(byte & 0x7F) << (shift < 64 ? shift : 63);
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

bool
cf_wire_next (const uint8_t *data, size_t size, size_t *offset,
              cf_wire_field_t *field)
{
    uint64_t tag, length = 0;
    if (!cf_wire_varint (data, size, offset, &tag))
        return false;
    field->number = tag >> 3;
    field->wire = (unsigned)(tag & 7);
    field->varint = 0;
    if (field->wire == 0) {
        if (!cf_wire_varint (data, size, offset, &field->varint))
            return false;
    } else if (field->wire == 1)
        length = 8;
    else if (field->wire == 5)
        length = 4;
    else if (field->wire != 2 || !cf_wire_varint (data, size, offset, &length))
        return false;
    if (length > size - *offset)
        return false;
    field->bytes = data + *offset;
    field->size = (size_t)length;
    *offset += (size_t)length;
    return true;
}

//  Checks the encoding protobuf-c accepted against what standard decoders
//  take: protobuf-c reads a bool sent as length-delimited, 32-bit or 64-bit
//  as true, where they see an unknown field. The schema has no recursive
//  types, so the depth is bounded by the schema.
static int
s_check_encoding (const ProtobufCMessageDescriptor *descriptor,
                  const uint8_t *data, size_t size, const s_path_t *path,
                  cf_problems_t *problems)
{
    static const char *const wire_names[] = {
        "a varint",    "64-bit", "length-delimited", "a group start",
        "a group end", "32-bit", "wire type 6",      "wire type 7"};
    size_t offset = 0;
    while (offset < size) {
        //  The tag alone first: a bool's wrong wire type is named as such
        size_t start = offset;
        uint64_t tag;
        if (!cf_wire_varint (data, size, &offset, &tag))
            return CF_EDECODE;
        unsigned wire = (unsigned)(tag & 7);
        const ProtobufCFieldDescriptor *field =
            tag >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field (
                                         descriptor, (unsigned)(tag >> 3))
                                   : NULL;
        if (field && field->type == PROTOBUF_C_TYPE_BOOL && wire != 0 &&
            !(wire == 2 && field->label == PROTOBUF_C_LABEL_REPEATED)) {
            cf_problems_add (problems, "wire.bool",
                             "%s.%s: a bool sent as %s; send it as a varint",
                             S_PATH (path), field->name, wire_names[wire]);
            return CF_EDECODE;
        }
        cf_wire_field_t value;
        offset = start;
        if (!cf_wire_next (data, size, &offset, &value))
            return CF_EDECODE;
        if (field && field->type == PROTOBUF_C_TYPE_MESSAGE && wire == 2) {
            s_path_t child = {path, field->name};
            int rc = s_check_encoding (field->descriptor, value.bytes,
                                       value.size, &child, problems);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int
cf_wire_decode (const ProtobufCMessageDescriptor *descriptor,
                const uint8_t *data, size_t size, void **message_p,
                cf_problems_t *problems)
{
    *message_p = NULL;
    if (size > CF_WIRE_MAX_FRAME) {
        cf_problems_add (problems, "wire.frame_size",
                         "%s frame of %zu bytes; at most %d", descriptor->name,
                         size, CF_WIRE_MAX_FRAME);
        return CF_ELIMIT;
    }
    s_budget_t budget = {.remaining = size * 64 + 1024 * 1024};
    if (budget.remaining > CF_WIRE_MAX_DECODED)
        budget.remaining = CF_WIRE_MAX_DECODED;
    ProtobufCAllocator allocator = {.alloc = s_budget_alloc,
                                    .free = s_budget_free,
                                    .allocator_data = &budget};
    ProtobufCMessage *message =
        protobuf_c_message_unpack (descriptor, &allocator, size, data);
    if (!message) {
        if (budget.exhausted) {
            cf_problems_add (problems, "wire.decoded_size",
                             "%s frame of %zu bytes decodes to too much memory",
                             descriptor->name, size);
            return CF_ELIMIT;
        }
        cf_problems_add (problems, "wire.decode",
                         "frame of %zu bytes is not a valid %s message", size,
                         descriptor->name);
        return CF_EDECODE;
    }
    s_path_t root = {NULL, descriptor->short_name};
    int rc = s_check_encoding (descriptor, data, size, &root, problems);
    if (rc == 0)
        rc = cf_wire_check (message, problems);
    if (rc) {
        protobuf_c_message_free_unpacked (message, &allocator);
        return rc;
    }
    *message_p = message;
    return 0;
}
