/*  =========================================================================
    cf_wire - decoding protobuf frames from the network safely

    protobuf-c decodes what it is given and trusts it: it keeps enum values
    that are not in the enum, allocates many times the input for repeated
    empty messages, and keeps unknown fields. Every frame that arrives from a
    socket or a file goes through cf_wire_decode, which bounds the frame
    size and the memory the decoder may take, then checks the decoded tree:
    no unknown fields, every enum value known, strings valid UTF-8 and
    within length, repeated fields within count. (protobuf-c ends a string
    at an embedded NUL; what follows it is dropped, never read.)
    =========================================================================
*/

#ifndef CF_WIRE_H_INCLUDED
#define CF_WIRE_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cf_error.h"
#include "cf_problems.h"

//  Largest frame accepted on any socket, bytes
#define CF_WIRE_MAX_FRAME (1024 * 1024)
//  Longest string or bytes field, bytes
#define CF_WIRE_MAX_STRING (256 * 1024)
//  Most items in one repeated field
#define CF_WIRE_MAX_ITEMS 10000
//  Most memory the decoder may allocate for one frame
#define CF_WIRE_MAX_DECODED (16 * 1024 * 1024)
//  Most jobs a worker may announce it takes at once (WorkerReady.capacity);
//  the daemon refuses a READY above it
#define CF_WIRE_MAX_CAPACITY 1000

//  Decodes size bytes of data as a message of the given type and checks it.
//  On success *message_p owns a heap tree (free it with cf_pb_free) and 0 is
//  returned. Otherwise *message_p is NULL and the return is CF_ELIMIT (frame
//  or decoded size over the limits), CF_EDECODE (not a valid encoding) or
//  CF_EINVAL (decoded, but a check failed); problems say which field.
int CF_MUST_CHECK cf_wire_decode (const ProtobufCMessageDescriptor *descriptor,
                                  const uint8_t *data, size_t size,
                                  void **message_p, cf_problems_t *problems);

//  Checks a decoded tree as cf_wire_decode does. Returns 0 or CF_EINVAL.
int CF_MUST_CHECK cf_wire_check (const ProtobufCMessage *message,
                                 cf_problems_t *problems);

//  Reads the protobuf varint at data[*offset ..size) into *value, moving
//  *offset past it; false when it is cut short or longer than ten bytes.
bool cf_wire_varint (const uint8_t *data, size_t size, size_t *offset,
                     uint64_t *value);

//  One field of a packed message, as cf_wire_next reads it
typedef struct {
    uint64_t number;       //  Field number
    unsigned wire;         //  Wire type: 0 varint, 1 64-bit, 2 length-
                           //  delimited, 5 32-bit (groups are refused)
    uint64_t varint;       //  Wire type 0: its value
    const uint8_t *bytes;  //  Other types: its bytes, inside data
    size_t size;           //  Their count
} cf_wire_field_t;

//  Reads the field at data[*offset ..size) into *field, moving *offset past
//  it; false when it is cut short, its wire type is a group's or unknown, or
//  its length runs past size.
bool cf_wire_next (const uint8_t *data, size_t size, size_t *offset,
                   cf_wire_field_t *field);

#endif
