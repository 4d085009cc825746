/*  =========================================================================
    fuzz_pb_dup - cf_pb_dup against packing, on whatever unpacks

    The first byte picks the message type, as in fuzz_wire (so its corpus
    seeds this one); the rest is unpacked as that type with protobuf-c
    alone, without cf_wire's checks, so that out-of-range enums, oneofs,
    empty strings and unknown fields all reach the copy. When the bytes
    unpack, the copy and a copy of the copy pack to exactly the bytes the
    message packs to, and every tree frees on its own (ASan finds a block
    two trees share, LeakSanitizer one that none frees).
    =========================================================================
*/

#include "fuzz_util.h"

#include "cf_pb.h"

static const ProtobufCMessageDescriptor *s_types[] = {
    &cf__request__descriptor,        &cf__worker_message__descriptor,
    &cf__daemon_message__descriptor, &cf__reply__descriptor,
    &cf__feed_message__descriptor,   &cf__case__descriptor,
    &cf__event__descriptor,          &cf__job__descriptor,
    &cf__staff__descriptor,          &cf__certificate__descriptor,
};
#define S_TYPES (sizeof s_types / sizeof s_types[0])

//  Fails unless message packs to size bytes equal to bytes
static void
s_check_packs_to (const ProtobufCMessage *message, const uint8_t *bytes,
                  size_t size)
{
    size_t packed_size = 0;
    uint8_t *packed = cf_pb_pack (message, &packed_size);
    FUZZ_CHECK (packed_size == size && memcmp (packed, bytes, size) == 0, NULL);
    free (packed);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *type = s_types[data[0] % S_TYPES];
    ProtobufCMessage *message =
        protobuf_c_message_unpack (type, NULL, size - 1, data + 1);
    if (!message)
        return 0;
    size_t packed_size = 0;
    uint8_t *packed = cf_pb_pack (message, &packed_size);
    ProtobufCMessage *copy = cf_pb_dup (message);
    FUZZ_CHECK (copy != NULL && copy != message, NULL);
    FUZZ_CHECK (copy->descriptor == type, NULL);
    s_check_packs_to (copy, packed, packed_size);
    //  The copy stands alone: freed first, the original is intact
    ProtobufCMessage *again = cf_pb_dup (copy);
    cf_pb_free (&copy);
    s_check_packs_to (message, packed, packed_size);
    s_check_packs_to (again, packed, packed_size);
    cf_pb_free (&message);
    s_check_packs_to (again, packed, packed_size);
    cf_pb_free (&again);
    free (packed);
    return 0;
}
