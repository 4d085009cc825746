/*  =========================================================================
    cf_pb - building and changing protobuf-c message trees on the heap

    A case record is unpacked from the store, changed by the state machine and
    packed again. protobuf-c frees an unpacked tree with free(), so every
    string, array and sub-message put into such a tree must come from malloc.
    These helpers keep that rule; they abort on out of memory, as czmq does.

    Note: proto3 strings default to protobuf_c_empty_string, which is never
    freed; cf_pb_set_string knows this.
    =========================================================================
*/

#ifndef CF_PB_H_INCLUDED
#define CF_PB_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_error.h"

//  Replaces *field with a malloc'd copy of value, freeing the old string
//  unless it is protobuf-c's shared empty string. NULL value sets "".
void cf_pb_set_string (char **field, const char *value);

//  Appends a malloc'd copy of value to a repeated string field.
void cf_pb_append_string (size_t *count, char ***items, const char *value);

//  Appends item (taking ownership) to a repeated message field whose items
//  are pointers: cf_pb_append (&msg->n_x, (void ***) &msg->x, item).
void cf_pb_append (size_t *count, void ***items, void *item);

//  Returns a new heap message of the given type, initialised to defaults.
//  Free it with protobuf_c_message_free_unpacked (msg, NULL).
void *cf_pb_new (const ProtobufCMessageDescriptor *descriptor);

//  Returns a deep heap copy of message, made field by field from its
//  descriptor: every string, byte array, repeated array, sub-message and
//  unknown field is allocated anew with malloc, so the copy shares no heap
//  memory with message and is freed once, with cf_pb_free or
//  protobuf_c_message_free_unpacked (copy, NULL). A string or bytes that is
//  its field's default (protobuf_c_empty_string) stays that static value.
//
//  The copy is the tree that packing message and unpacking the bytes would
//  give, without the bytes: it packs to exactly what message packs to, and
//  a field that pack leaves out reads as its default in the copy (a proto3
//  NULL or empty string is protobuf_c_empty_string; a oneof whose member is
//  NULL or its default is not set). message: borrowed (not NULL), a tree
//  pack accepts. Aborts on out of memory.
void *cf_pb_dup (const ProtobufCMessage *message);

//  The in-memory size of one value of a field of type: the member of a
//  singular field, or one element of a repeated field's array.
size_t cf_pb_value_size (ProtobufCType type);

//  Packs message into a new malloc'd buffer; *size gets its length. The
//  caller frees the buffer.
uint8_t *cf_pb_pack (const ProtobufCMessage *message, size_t *size);

//  Frees a heap message tree and nulls the pointer. NULL-safe.
void cf_pb_free (void *message_p);

#endif
