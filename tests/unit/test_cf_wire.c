/*  Unit tests for cf_wire: every kind of hostile frame is refused with its
    own code and a path to the field, and good frames decode intact.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_pb.h"
#include "cf_wire.h"

static void
s_expect (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
          size_t size, int code, const char *problem)
{
    cf_problems_t *problems = cf_problems_new ();
    void *message = (void *)1;
    assert_int_equal (
        cf_wire_decode (descriptor, data, size, &message, problems), code);
    assert_null (message);
    if (!cf_problems_has (problems, problem)) {
        char *text = cf_problems_join (problems);
        fail_msg ("expected %s, got: %s", problem, text);
    }
    cf_problems_destroy (&problems);
}

static uint8_t *
s_pack (const void *message, size_t *size)
{
    return cf_pb_pack ((const ProtobufCMessage *)message, size);
}

static void
test_good_request_round_trips (void **state)
{
    (void)state;
    Cf__Request request = CF__REQUEST__INIT;
    Cf__CaseRef ref = CF__CASE_REF__INIT;
    request.id = "req-1";
    ref.case_id = "CF-2026-000001";
    request.body_case = CF__REQUEST__BODY_STATUS;
    request.status = &ref;
    size_t size;
    uint8_t *data = s_pack (&request, &size);
    Cf__Request *decoded = NULL;
    assert_int_equal (cf_wire_decode (&cf__request__descriptor, data, size,
                                      (void **)&decoded, NULL),
                      0);
    assert_string_equal (decoded->id, "req-1");
    assert_int_equal (decoded->body_case, CF__REQUEST__BODY_STATUS);
    assert_string_equal (decoded->status->case_id, "CF-2026-000001");
    cf_pb_free (&decoded);
    free (data);
}

static void
test_garbage_and_truncation_are_decode_errors (void **state)
{
    (void)state;
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
    s_expect (&cf__request__descriptor, garbage, sizeof garbage, CF_EDECODE,
              "wire.decode");
    Cf__Request request = CF__REQUEST__INIT;
    request.id = "a-longer-request-id";
    size_t size;
    uint8_t *data = s_pack (&request, &size);
    s_expect (&cf__request__descriptor, data, size - 3, CF_EDECODE,
              "wire.decode");
    free (data);
}

static void
test_unknown_fields_are_refused (void **state)
{
    (void)state;
    //  Field 99, varint 1: not in Request
    const uint8_t data[] = {0x98, 0x06, 0x01};
    s_expect (&cf__request__descriptor, data, sizeof data, CF_EINVAL,
              "wire.unknown_field");
}

//  protobuf-c reads a bool sent as length-delimited, 32-bit or 64-bit as
//  true; standard decoders see an unknown field there
static void
test_bools_must_be_varints (void **state)
{
    (void)state;
    const ProtobufCFieldDescriptor *ping =
        protobuf_c_message_descriptor_get_field_by_name (
            &cf__request__descriptor, "ping");
    assert_non_null (ping);
    assert_true (ping->id < 16);
    uint8_t tag = (uint8_t)(ping->id << 3);
    const uint8_t as_varint[] = {tag, 0x01};
    const uint8_t as_bytes[] = {tag | 2, 0x01, 0x01};
    const uint8_t as_fixed32[] = {tag | 5, 0x01, 0x00, 0x00, 0x00};
    const uint8_t as_fixed64[] = {tag | 1, 1, 0, 0, 0, 0, 0, 0, 0};
    void *message = NULL;
    assert_int_equal (cf_wire_decode (&cf__request__descriptor, as_varint,
                                      sizeof as_varint, &message, NULL),
                      0);
    assert_true (((Cf__Request *)message)->ping);
    cf_pb_free ((Cf__Request **)&message);
    s_expect (&cf__request__descriptor, as_bytes, sizeof as_bytes, CF_EDECODE,
              "wire.bool");
    s_expect (&cf__request__descriptor, as_fixed32, sizeof as_fixed32,
              CF_EDECODE, "wire.bool");
    s_expect (&cf__request__descriptor, as_fixed64, sizeof as_fixed64,
              CF_EDECODE, "wire.bool");

    //  Inside sub-messages too: Request.submit.application.lawful_operation
    unsigned submit = protobuf_c_message_descriptor_get_field_by_name (
                          &cf__request__descriptor, "submit")
                          ->id;
    unsigned application = protobuf_c_message_descriptor_get_field_by_name (
                               &cf__submit_request__descriptor, "application")
                               ->id;
    unsigned lawful = protobuf_c_message_descriptor_get_field_by_name (
                          &cf__application__descriptor, "lawful_operation")
                          ->id;
    assert_true (submit < 16 && application < 16 && lawful < 16);
    //  submit: 11 bytes of SubmitRequest, application: 9 of Application,
    //  lawful_operation: 8 bytes of 64-bit
    const uint8_t nested[] = {(uint8_t)(submit << 3 | 2),
                              11,
                              (uint8_t)(application << 3 | 2),
                              9,
                              (uint8_t)(lawful << 3 | 1),
                              1,
                              0,
                              0,
                              0,
                              0,
                              0,
                              0,
                              0};
    s_expect (&cf__request__descriptor, nested, sizeof nested, CF_EDECODE,
              "wire.bool");
}

static void
test_enum_values_outside_the_enum_are_refused (void **state)
{
    (void)state;
    Cf__Reply reply = CF__REPLY__INIT;
    reply.status = 99;
    size_t size;
    uint8_t *data = s_pack (&reply, &size);
    s_expect (&cf__reply__descriptor, data, size, CF_EINVAL, "wire.enum");
    free (data);

    //  Deep inside a oneof: request.fire.data.sheet.nonconformities[0]
    Cf__Request request = CF__REQUEST__INIT;
    Cf__FireRequest fire = CF__FIRE_REQUEST__INIT;
    Cf__EventData event_data = CF__EVENT_DATA__INIT;
    Cf__ScoreSheet sheet = CF__SCORE_SHEET__INIT;
    Cf__Nonconformity finding = CF__NONCONFORMITY__INIT;
    Cf__Nonconformity *findings[] = {&finding};
    finding.id = "NC-1";
    finding.severity = 9;
    sheet.n_nonconformities = 1;
    sheet.nonconformities = findings;
    event_data.body_case = CF__EVENT_DATA__BODY_SHEET;
    event_data.sheet = &sheet;
    fire.data = &event_data;
    request.body_case = CF__REQUEST__BODY_FIRE;
    request.fire = &fire;
    data = s_pack (&request, &size);
    cf_problems_t *problems = cf_problems_new ();
    void *message = NULL;
    assert_int_equal (cf_wire_decode (&cf__request__descriptor, data, size,
                                      &message, problems),
                      CF_EINVAL);
    assert_non_null (
        strstr (cf_problems_message (problems, 0),
                "Request.fire.data.sheet.nonconformities.severity"));
    cf_problems_destroy (&problems);
    free (data);
}

static void
test_strings_must_be_utf8 (void **state)
{
    (void)state;
    const char *bad[] = {"\xff\xfe", "\xc0\xaf", "\xe4\xbd", "\xed\xa0\x80",
                         "\xf4\x90\x80\x80"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        Cf__Request request = CF__REQUEST__INIT;
        request.id = (char *)bad[index];
        size_t size;
        uint8_t *data = s_pack (&request, &size);
        s_expect (&cf__request__descriptor, data, size, CF_EINVAL, "wire.utf8");
        free (data);
    }
    //  Chinese text is fine
    Cf__Request request = CF__REQUEST__INIT;
    request.id = "售后服务认证";
    size_t size;
    uint8_t *data = s_pack (&request, &size);
    void *message = NULL;
    assert_int_equal (
        cf_wire_decode (&cf__request__descriptor, data, size, &message, NULL),
        0);
    cf_pb_free (&message);
    free (data);
}

static void
test_oversized_frames_are_refused (void **state)
{
    (void)state;
    size_t size = CF_WIRE_MAX_FRAME + 1;
    uint8_t *data = calloc (1, size);
    s_expect (&cf__request__descriptor, data, size, CF_ELIMIT,
              "wire.frame_size");
    free (data);
}

static void
test_allocation_amplification_is_bounded (void **state)
{
    (void)state;
    //  Page.cases (field 1) repeated empty: 2 bytes each, hundreds of bytes
    //  each once decoded
    size_t count = 400000;
    uint8_t *data = malloc (count * 2);
    for (size_t index = 0; index < count; index++) {
        data[index * 2] = 0x0a;
        data[index * 2 + 1] = 0x00;
    }
    s_expect (&cf__page__descriptor, data, count * 2, CF_ELIMIT,
              "wire.decoded_size");
    free (data);
}

static void
test_too_many_items_are_refused (void **state)
{
    (void)state;
    Cf__Application application = CF__APPLICATION__INIT;
    size_t count = CF_WIRE_MAX_ITEMS + 1;
    char **scope = calloc (count, sizeof (char *));
    for (size_t index = 0; index < count; index++)
        scope[index] = "x";
    application.n_scope = count;
    application.scope = scope;
    size_t size;
    uint8_t *data = s_pack (&application, &size);
    s_expect (&cf__application__descriptor, data, size, CF_EINVAL,
              "wire.items");
    free (data);
    free (scope);
}

//  cf_wire_next reads each wire type, and refuses groups, cut fields and
//  lengths past the end
static void
test_next_reads_one_field_at_a_time (void **state)
{
    (void)state;
    //  1: varint 300; 2: fixed64; 3: "abc"; 4: fixed32
    const uint8_t data[] = {0x08, 0xAC, 0x02, 0x11, 1,   2,   3,    4, 5, 6, 7,
                            8,    0x1A, 3,    'a',  'b', 'c', 0x25, 9, 9, 9, 9};
    size_t offset = 0;
    cf_wire_field_t field;
    assert_true (cf_wire_next (data, sizeof data, &offset, &field));
    assert_int_equal (field.number, 1);
    assert_int_equal (field.wire, 0);
    assert_int_equal (field.varint, 300);
    assert_true (cf_wire_next (data, sizeof data, &offset, &field));
    assert_int_equal (field.number, 2);
    assert_int_equal (field.wire, 1);
    assert_int_equal (field.size, 8);
    assert_ptr_equal (field.bytes, data + 4);
    assert_true (cf_wire_next (data, sizeof data, &offset, &field));
    assert_int_equal (field.number, 3);
    assert_int_equal (field.wire, 2);
    assert_int_equal (field.size, 3);
    assert_memory_equal (field.bytes, "abc", 3);
    assert_true (cf_wire_next (data, sizeof data, &offset, &field));
    assert_int_equal (field.number, 4);
    assert_int_equal (field.wire, 5);
    assert_int_equal (field.size, 4);
    assert_int_equal (offset, sizeof data);

    const uint8_t group[] = {0x0B, 0x0C};        //  Start and end group
    const uint8_t cut[] = {0x08, 0x80};          //  Varint without its end
    const uint8_t past[] = {0x1A, 5, 'a', 'b'};  //  Length past the end
    const uint8_t short64[] = {0x11, 1, 2, 3};   //  Fixed64 of 3 bytes
    const uint8_t *bad[] = {group, cut, past, short64};
    size_t sizes[] = {sizeof group, sizeof cut, sizeof past, sizeof short64};
    for (size_t index = 0; index < 4; index++) {
        offset = 0;
        assert_false (cf_wire_next (bad[index], sizes[index], &offset, &field));
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_next_reads_one_field_at_a_time),
        cmocka_unit_test (test_good_request_round_trips),
        cmocka_unit_test (test_garbage_and_truncation_are_decode_errors),
        cmocka_unit_test (test_unknown_fields_are_refused),
        cmocka_unit_test (test_bools_must_be_varints),
        cmocka_unit_test (test_enum_values_outside_the_enum_are_refused),
        cmocka_unit_test (test_strings_must_be_utf8),
        cmocka_unit_test (test_oversized_frames_are_refused),
        cmocka_unit_test (test_allocation_amplification_is_bounded),
        cmocka_unit_test (test_too_many_items_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
