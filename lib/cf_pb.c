/*  =========================================================================
    cf_pb - building and changing protobuf-c message trees on the heap
    =========================================================================
*/

#include "cf_pb.h"

#include <assert.h>
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

void *
cf_pb_dup (const ProtobufCMessage *message)
{
    size_t size;
    uint8_t *buffer = cf_pb_pack (message, &size);
    void *copy =
        protobuf_c_message_unpack (message->descriptor, NULL, size, buffer);
    free (buffer);
    //  A message we packed ourselves always decodes; NULL is memory
    return cf_mem_check (copy);
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
