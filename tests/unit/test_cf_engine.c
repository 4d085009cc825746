/*  Unit tests for cf_engine: rounds over a real store in a temporary
    directory, with requests and results built here. Covers deduplication,
    recorded refusals, the organization wall, leases (expiry, backoff,
    parking, retry), deadlines and a commit that fails.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "cf_certfsm.h"
#include "cf_date.h"
#include "cf_engine.h"
#include "cf_fsm.h"
#include "cf_json.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_store.h"
#include "cf_wire.h"

#define S_DAY_MS (86400LL * 1000)

typedef struct {
    char dir[64];                  //  Temporary store directory
    cf_store_t *store;             //  The store under test
    cf_scheme_t *scheme;           //  Default scheme
    cf_engine_t *engine;           //  The engine under test
    zframe_t *route;               //  A client's routing id
    int64_t now;                   //  Clock of the test
    Cf__Application *application;  //  examples/application.json
    int sequence;                  //  Request ids
} s_fixture_t;

static Cf__Principal s_applicant_a = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "KEY-A",
    .name = "alice", .org = "ORG-A", .role = CF__ROLE__ROLE_APPLICANT};
static Cf__Principal s_applicant_b = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "KEY-B",
    .name = "bob", .org = "ORG-B", .role = CF__ROLE__ROLE_APPLICANT};
static Cf__Principal s_worker = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "KEY-W",
    .name = "worker-1", .org = "", .role = CF__ROLE__ROLE_WORKER};
static Cf__Principal s_admin = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "KEY-ADMIN",
    .name = "admin", .org = "", .role = CF__ROLE__ROLE_ADMIN};

//  Opens an engine over the fixture's store with scheme and its text
static cf_engine_t *
s_engine_with (s_fixture_t *self, const cf_scheme_t *scheme, const char *text)
{
    cf_engine_config_t config = {.lease_ms = 30000,
                                 .max_attempts = 3,
                                 .backoff_ms = 1000,
                                 .certs_dir = self->dir,
                                 .page_max = 100};
    return cf_engine_new (self->store, scheme, text, &config);
}

static void
s_engine_open (s_fixture_t *self, uint32_t max_attempts)
{
    cf_engine_config_t config = {.lease_ms = 30000,
                                 .max_attempts = max_attempts,
                                 .backoff_ms = 1000,
                                 .certs_dir = self->dir,
                                 .page_max = 100};
    self->engine = cf_engine_new (self->store, self->scheme,
                                  cf_scheme_default_text (), &config);
    assert_non_null (self->engine);
}

static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof (s_fixture_t));
    strcpy (self->dir, "/tmp/cf-engine-XXXXXX");
    assert_non_null (mkdtemp (self->dir));
    assert_int_equal (cf_store_open (self->dir, 0, &self->store), 0);
    assert_int_equal (cf_scheme_default (&self->scheme), 0);
    s_engine_open (self, 3);
    self->route = zframe_new ("client-1", 8);
    cf_day_t today;
    assert_int_equal (cf_date_parse ("2026-11-23", &today), 0);
    self->now = cf_date_to_ms (today) + 10 * 3600 * 1000;
    char *text = NULL;
    size_t size = 0;
    assert_int_equal (cf_json_load_file (CF_SOURCE_DIR
                                         "/examples/application.json",
                                         1 << 20, &text, &size, NULL),
                      0);
    assert_int_equal (
        cf_json_application (text, size, &self->application, NULL), 0);
    free (text);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    cf_engine_destroy (&self->engine);
    cf_store_destroy (&self->store);
    cf_scheme_destroy (&self->scheme);
    zframe_destroy (&self->route);
    cf_pb_free (&self->application);
    char command[128];
    snprintf (command, sizeof command, "rm -rf %s", self->dir);
    assert_int_equal (system (command), 0);
    free (self);
    return 0;
}

//  Decodes the reply of outbox item index, to the fixture's client
//  (caller frees)
static Cf__Reply *
s_outbox_reply (s_fixture_t *self, size_t index)
{
    zframe_t *route;
    const uint8_t *data;
    size_t size;
    assert_int_equal (
        cf_engine_outbox_item (self->engine, index, &route, &data, &size),
        CF_OUTBOX_CLIENT);
    assert_true (zframe_eq (route, self->route));
    Cf__Reply *reply = NULL;
    assert_int_equal (cf_wire_decode (&cf__reply__descriptor, data, size,
                                      (void **)&reply, NULL),
                      0);
    return reply;
}

//  Runs one round holding request (id given or fresh) from who; returns
//  the decoded reply (caller frees)
static Cf__Reply *
s_request (s_fixture_t *self, const Cf__Principal *who, Cf__Request *request)
{
    char id[32];
    if (!request->id || !*request->id) {
        snprintf (id, sizeof id, "req-%d", ++self->sequence);
        request->id = id;
    }
    size_t size;
    uint8_t *data = cf_pb_pack (&request->base, &size);
    cf_engine_begin (self->engine, self->now);
    cf_engine_request (self->engine, self->route, who, data, size);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    free (data);
    assert_int_equal (cf_engine_outbox_size (self->engine), 1);
    Cf__Reply *reply = s_outbox_reply (self, 0);
    if (request->id == id)
        request->id = NULL;
    return reply;
}

//  Makes request a submit of the example application, in submit, with id
//  (NULL: none, s_request gives it one)
static void
s_submit_request (s_fixture_t *self, Cf__Request *request,
                  Cf__SubmitRequest *submit, const char *id)
{
    *request = (Cf__Request)CF__REQUEST__INIT;
    *submit = (Cf__SubmitRequest)CF__SUBMIT_REQUEST__INIT;
    submit->application = self->application;
    request->body_case = CF__REQUEST__BODY_SUBMIT;
    request->submit = submit;
    if (id)
        request->id = (char *)id;
}

static Cf__Reply *
s_submit (s_fixture_t *self, const Cf__Principal *who)
{
    Cf__Request request;
    Cf__SubmitRequest submit;
    s_submit_request (self, &request, &submit, NULL);
    return s_request (self, who, &request);
}

static Cf__Reply *
s_status (s_fixture_t *self, const Cf__Principal *who, const char *case_id)
{
    Cf__Request request = CF__REQUEST__INIT;
    Cf__CaseRef ref = CF__CASE_REF__INIT;
    ref.case_id = (char *)case_id;
    request.body_case = CF__REQUEST__BODY_STATUS;
    request.status = &ref;
    return s_request (self, who, &request);
}

static Cf__Reply *
s_fire (s_fixture_t *self, const Cf__Principal *who, const char *case_id,
        const char *event, Cf__EventData *data)
{
    Cf__Request request = CF__REQUEST__INIT;
    Cf__FireRequest fire = CF__FIRE_REQUEST__INIT;
    fire.case_id = (char *)case_id;
    fire.event = (char *)event;
    fire.data = data;
    request.body_case = CF__REQUEST__BODY_FIRE;
    request.fire = &fire;
    return s_request (self, who, &request);
}

//  Leases a job in a round of its own; returns the offer (caller frees)
static Cf__JobOffer *
s_lease (s_fixture_t *self, const char *stage)
{
    char *stages[] = {(char *)stage};
    cf_engine_begin (self->engine, self->now);
    int rc = cf_engine_lease (self->engine, self->route, "worker-1", "KEY-W",
                              stages, stage ? 1 : 0);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    if (rc)
        return NULL;
    zframe_t *route;
    const uint8_t *data;
    size_t size;
    assert_int_equal (
        cf_engine_outbox_item (self->engine, 0, &route, &data, &size),
        CF_OUTBOX_WORKER);
    Cf__DaemonMessage *message = NULL;
    assert_int_equal (cf_wire_decode (&cf__daemon_message__descriptor, data,
                                      size, (void **)&message, NULL),
                      0);
    assert_int_equal (message->body_case, CF__DAEMON_MESSAGE__BODY_OFFER);
    Cf__JobOffer *offer = message->offer;
    message->offer = NULL;
    message->body_case = CF__DAEMON_MESSAGE__BODY__NOT_SET;
    cf_pb_free (&message);
    return offer;
}

//  Reports a result for offer in a round; returns the reply's status
static Cf__Status
s_result (s_fixture_t *self, const Cf__JobOffer *offer, const char *event,
          Cf__EventData *data, const char *error)
{
    Cf__JobResult result = CF__JOB_RESULT__INIT;
    result.job = offer->job->id;
    result.lease = offer->job->lease;
    result.event = (char *)(event ? event : "");
    result.data = data;
    result.error = (char *)(error ? error : "");
    cf_engine_begin (self->engine, self->now);
    cf_engine_result (self->engine, self->route, &s_worker, &result);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    zframe_t *route;
    const uint8_t *reply_data;
    size_t size;
    assert_int_equal (
        cf_engine_outbox_item (self->engine, 0, &route, &reply_data, &size),
        CF_OUTBOX_WORKER);
    Cf__DaemonMessage *message = NULL;
    assert_int_equal (cf_wire_decode (&cf__daemon_message__descriptor,
                                      reply_data, size, (void **)&message,
                                      NULL),
                      0);
    Cf__Status status = message->reply->status;
    cf_pb_free (&message);
    return status;
}

static void
s_tick (s_fixture_t *self)
{
    cf_engine_begin (self->engine, self->now);
    cf_engine_tick (self->engine);
    assert_int_equal (cf_engine_commit (self->engine), 0);
}

static Cf__State
s_state (s_fixture_t *self, const char *case_id)
{
    Cf__Case *record = NULL;
    assert_int_equal (cf_store_get_case (self->store, case_id, &record), 0);
    Cf__State state = record->state;
    cf_pb_free (&record);
    return state;
}

//  Submits as applicant A and returns the new case id (static buffer)
static const char *
s_new_case (s_fixture_t *self)
{
    static char id[64];
    Cf__Reply *reply = s_submit (self, &s_applicant_a);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    snprintf (id, sizeof id, "%s", reply->record->id);
    cf_pb_free (&reply);
    return id;
}

//  ------------------------------------------------------------------------

static void
test_submit_creates_a_case_and_an_intake_job (void **state)
{
    s_fixture_t *self = *state;
    Cf__Reply *reply = s_submit (self, &s_applicant_a);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_string_equal (reply->record->id, "CF-2026-000001");
    assert_int_equal (reply->record->state, CF__STATE__STATE_SUBMITTED);
    assert_string_equal (reply->record->org, "ORG-A");
    assert_int_equal (reply->record->last_seq, 1);
    cf_pb_free (&reply);
    assert_int_equal (cf_engine_event_count (self->engine), 1);
    assert_string_equal (cf_engine_event (self->engine, 0)->event, "submit");
    assert_int_equal (cf_engine_last_seq (self->engine), 1);
    assert_int_equal (cf_engine_ready (self->engine), 1);
    Cf__JobOffer *offer = s_lease (self, "intake");
    assert_non_null (offer);
    assert_string_equal (offer->job->stage, "intake");
    assert_string_equal (offer->record->id, "CF-2026-000001");
    assert_int_equal (offer->job->attempts, 1);
    assert_true (offer->scheme.len > 100);
    assert_int_equal (s_result (self, offer, "intake_passed", NULL, NULL),
                      CF__STATUS__STATUS_OK);
    assert_int_equal (s_state (self, "CF-2026-000001"),
                      CF__STATE__STATE_DOCUMENT_REVIEW);
    //  The same lease reported again is refused: exactly once
    assert_int_equal (s_result (self, offer, "intake_passed", NULL, NULL),
                      CF__STATUS__STATUS_REFUSED);
    cf_pb_free (&offer);
    //  The next stage's job is ready
    offer = s_lease (self, "review");
    assert_non_null (offer);
    cf_pb_free (&offer);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
}

static void
test_a_retried_request_is_answered_from_the_stored_reply (void **state)
{
    s_fixture_t *self = *state;
    Cf__Request request;
    Cf__SubmitRequest submit;
    s_submit_request (self, &request, &submit, "same-id");
    Cf__Reply *first = s_request (self, &s_applicant_a, &request);
    assert_int_equal (first->status, CF__STATUS__STATUS_OK);
    //  The stored reply names the case and its event, not the whole record
    uint8_t hash[crypto_hash_sha256_BYTES];
    size_t packed_size = 0;
    uint8_t *packed = cf_pb_pack (&request.base, &packed_size);
    crypto_hash_sha256 (hash, packed, packed_size);
    free (packed);
    uint8_t *stored = NULL;
    size_t stored_size = 0;
    assert_int_equal (cf_store_get_reply (self->store, s_applicant_a.key,
                                          "same-id", hash, &stored,
                                          &stored_size),
                      0);
    assert_true (stored_size < 100);
    assert_true (protobuf_c_message_get_packed_size (&first->base) > 1000);
    free (stored);
    //  Retried after the case moved on, it shows the case as it is now
    Cf__JobOffer *offer = s_lease (self, "intake");
    assert_int_equal (s_result (self, offer, "intake_passed", NULL, NULL),
                      CF__STATUS__STATUS_OK);
    cf_pb_free (&offer);
    Cf__Reply *second = s_request (self, &s_applicant_a, &request);
    assert_int_equal (second->status, CF__STATUS__STATUS_OK);
    assert_string_equal (second->record->id, first->record->id);
    assert_int_equal (second->record->state, CF__STATE__STATE_DOCUMENT_REVIEW);
    assert_string_equal (second->record->application->company_name,
                         first->record->application->company_name);
    assert_int_equal (cf_engine_last_seq (self->engine), 2);
    assert_int_equal (cf_engine_event_count (self->engine), 0);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
    //  The same id with another body is a conflict
    self->application->employees++;
    Cf__Reply *third = s_request (self, &s_applicant_a, &request);
    assert_int_equal (third->status, CF__STATUS__STATUS_CONFLICT);
    //  Another principal's id space is its own
    Cf__Reply *fourth = s_request (self, &s_applicant_b, &request);
    assert_int_equal (fourth->status, CF__STATUS__STATUS_OK);
    assert_string_equal (fourth->record->id, "CF-2026-000002");
    cf_pb_free (&first);
    cf_pb_free (&second);
    cf_pb_free (&third);
    cf_pb_free (&fourth);
}

static void
test_the_same_id_twice_in_one_round_applies_once (void **state)
{
    s_fixture_t *self = *state;
    Cf__Request request;
    Cf__SubmitRequest submit;
    s_submit_request (self, &request, &submit, "twice");
    size_t size;
    uint8_t *data = cf_pb_pack (&request.base, &size);
    cf_engine_begin (self->engine, self->now);
    cf_engine_request (self->engine, self->route, &s_applicant_a, data, size);
    cf_engine_request (self->engine, self->route, &s_applicant_a, data, size);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    free (data);
    assert_int_equal (cf_engine_outbox_size (self->engine), 2);
    assert_int_equal (cf_engine_event_count (self->engine), 1);
    const uint8_t *one, *two;
    size_t one_size, two_size;
    zframe_t *route;
    cf_engine_outbox_item (self->engine, 0, &route, &one, &one_size);
    cf_engine_outbox_item (self->engine, 1, &route, &two, &two_size);
    assert_int_equal (one_size, two_size);
    assert_memory_equal (one, two, one_size);
}

//  Within one round the request hash is compared too: the second body is
//  a conflict, as it is across rounds, not a silent copy of the first reply
static void
test_the_same_id_with_another_body_in_one_round_conflicts (void **state)
{
    s_fixture_t *self = *state;
    Cf__Request request;
    Cf__SubmitRequest submit;
    s_submit_request (self, &request, &submit, "twice");
    size_t one_size, two_size;
    uint8_t *one = cf_pb_pack (&request.base, &one_size);
    self->application->employees++;
    uint8_t *two = cf_pb_pack (&request.base, &two_size);
    cf_engine_begin (self->engine, self->now);
    cf_engine_request (self->engine, self->route, &s_applicant_a, one,
                       one_size);
    cf_engine_request (self->engine, self->route, &s_applicant_a, two,
                       two_size);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    free (one);
    free (two);
    assert_int_equal (cf_engine_outbox_size (self->engine), 2);
    assert_int_equal (cf_engine_event_count (self->engine), 1);
    Cf__Reply *first = s_outbox_reply (self, 0);
    Cf__Reply *second = s_outbox_reply (self, 1);
    assert_int_equal (first->status, CF__STATUS__STATUS_OK);
    assert_int_equal (second->status, CF__STATUS__STATUS_CONFLICT);
    assert_non_null (strstr (second->message, "was used before"));
    cf_pb_free (&first);
    cf_pb_free (&second);
}

//  A worker that sends one result twice before the round commits must not
//  sink the round: the copy is refused alone, everyone else is answered
static void
test_a_duplicated_result_in_one_round_is_refused_alone (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    Cf__JobOffer *offer = s_lease (self, "intake");
    assert_non_null (offer);
    Cf__JobResult result = CF__JOB_RESULT__INIT;
    result.job = offer->job->id;
    result.lease = offer->job->lease;
    result.event = "intake_passed";
    Cf__Request ping = CF__REQUEST__INIT;
    ping.id = "ping-1";
    ping.body_case = CF__REQUEST__BODY_PING;
    ping.ping = true;
    size_t size;
    uint8_t *data = cf_pb_pack (&ping.base, &size);
    zframe_t *worker_route = zframe_new ("worker-1", 8);
    cf_engine_begin (self->engine, self->now);
    cf_engine_result (self->engine, worker_route, &s_worker, &result);
    cf_engine_request (self->engine, self->route, &s_applicant_a, data, size);
    cf_engine_result (self->engine, worker_route, &s_worker, &result);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    free (data);
    assert_int_equal (cf_engine_outbox_size (self->engine), 3);
    Cf__Status statuses[2];
    for (size_t index = 0; index < 3; index += 2) {
        zframe_t *route;
        const uint8_t *bytes;
        size_t length;
        assert_int_equal (cf_engine_outbox_item (self->engine, index, &route,
                                                 &bytes, &length),
                          CF_OUTBOX_WORKER);
        Cf__DaemonMessage *message = NULL;
        assert_int_equal (cf_wire_decode (&cf__daemon_message__descriptor,
                                          bytes, length, (void **)&message,
                                          NULL),
                          0);
        statuses[index / 2] = message->reply->status;
        cf_pb_free (&message);
    }
    assert_int_equal (statuses[0], CF__STATUS__STATUS_OK);
    assert_int_equal (statuses[1], CF__STATUS__STATUS_REFUSED);
    Cf__Reply *reply = s_outbox_reply (self, 1);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_DOCUMENT_REVIEW);
    //  The finished job does not come back
    Cf__JobOffer *again = s_lease (self, "intake");
    assert_null (again);
    zframe_destroy (&worker_route);
    cf_pb_free (&offer);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
}

//  What a request carries is quoted back in a bounded prefix, and a limit
//  that is passed is named
static void
test_long_names_are_quoted_short_and_limits_named (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    size_t length = 200 * 1024;
    char *name = malloc (length + 1);
    memset (name, 'x', length);
    name[length] = 0;
    Cf__Reply *reply = s_fire (self, &s_applicant_a, id, name, NULL);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_true (strlen (reply->message) < 512);
    assert_non_null (strstr (reply->message, "unknown event 'xxxx"));
    cf_pb_free (&reply);

    //  Many problems, each quoting a bounded prefix: the message as a
    //  whole is bounded too
    char *roles[1000];
    for (size_t index = 0; index < 1000; index++)
        roles[index] = name + length - 100;
    Cf__Staff staff = CF__STAFF__INIT;
    staff.id = "AUD901";
    staff.name = "王芳 Wang Fang";
    staff.n_roles = 1000;
    staff.roles = roles;
    staff.qualified_from = "2024-01-01";
    staff.qualified_until = "2027-02-28";
    Cf__Request put = CF__REQUEST__INIT;
    Cf__StaffRequest staff_put = CF__STAFF_REQUEST__INIT;
    staff_put.staff = &staff;
    put.body_case = CF__REQUEST__BODY_STAFF_PUT;
    put.staff_put = &staff_put;
    reply = s_request (self, &s_admin, &put);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_true (strlen (reply->message) <= 16 * 1024);
    assert_non_null (strstr (reply->message, "(the rest is cut)"));
    cf_pb_free (&reply);

    name[300] = 0;
    Cf__Request request = CF__REQUEST__INIT;
    request.id = name;
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;
    reply = s_request (self, &s_applicant_a, &request);
    assert_int_not_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_non_null (strstr (reply->message, "the request id is 300 bytes, "
                                             "more than the 200 allowed"));
    cf_pb_free (&reply);
    free (name);
}

static void
test_another_organization_sees_nothing_and_is_recorded (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    Cf__Reply *reply = s_status (self, &s_applicant_b, id);
    assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
    Cf__Reply *missing = s_status (self, &s_applicant_b, "CF-2026-999999");
    assert_int_equal (missing->status, CF__STATUS__STATUS_NOT_FOUND);
    //  The two answers say the same thing
    assert_string_equal (reply->error, missing->error);
    cf_pb_free (&reply);
    cf_pb_free (&missing);
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_REASON;
    data.reason = "not ours";
    reply = s_fire (self, &s_applicant_b, id, "withdraw", &data);
    assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
    cf_pb_free (&reply);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_SUBMITTED);
    //  Both attempts stand in the case's history, marked refused
    Cf__Event **events = NULL;
    size_t count = 0;
    assert_int_equal (cf_store_case_history (self->store, id, &events, &count),
                      0);
    assert_int_equal (count, 3);
    assert_string_equal (events[1]->event, "read");
    assert_string_equal (events[1]->principal->org, "ORG-B");
    assert_non_null (strstr (events[1]->refused, "CF_EFORBIDDEN"));
    assert_string_equal (events[2]->event, "withdraw");
    assert_true (*events[2]->refused);
    assert_int_equal (events[2]->to, CF__STATE__STATE_SUBMITTED);
    cf_store_events_free (&events, count);
    //  Its own applicant sees it
    reply = s_status (self, &s_applicant_a, id);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
}

//  Reads the case's history through the engine, page after page of limit
static size_t
s_history_count (s_fixture_t *self, const Cf__Principal *who, const char *id,
                 uint32_t limit, size_t *pages_p)
{
    size_t total = 0, pages = 0;
    uint64_t after = 0;
    while (true) {
        Cf__Request request = CF__REQUEST__INIT;
        Cf__HistoryRequest history = CF__HISTORY_REQUEST__INIT;
        history.case_id = (char *)id;
        history.after = after;
        history.limit = limit;
        request.body_case = CF__REQUEST__BODY_HISTORY;
        request.history = &history;
        Cf__Reply *reply = s_request (self, who, &request);
        assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
        Cf__EventList *list = reply->events;
        total += list->n_events;
        pages++;
        bool more = list->more;
        if (more)
            after = list->events[list->n_events - 1]->seq;
        cf_pb_free (&reply);
        if (!more)
            break;
    }
    if (pages_p)
        *pages_p = pages;
    return total;
}

//  Another organization's refused attempts are recorded without what came
//  with them, once a minute per principal, case and event: two 1 MB
//  withdraw attempts used to make the owner's history unreadable for ever
static void
test_refusals_are_recorded_without_payload_and_coalesced (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    size_t length = 200 * 1024;
    char *reason = malloc (length + 1);
    memset (reason, 'r', length);
    reason[length] = 0;
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_REASON;
    data.reason = reason;
    for (int attempt = 0; attempt < 3; attempt++) {
        Cf__Reply *reply = s_fire (self, &s_applicant_b, id, "withdraw", &data);
        assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
        cf_pb_free (&reply);
        reply = s_status (self, &s_applicant_b, id);
        cf_pb_free (&reply);
    }
    Cf__Event **events = NULL;
    size_t count = 0;
    assert_int_equal (cf_store_case_history (self->store, id, &events, &count),
                      0);
    assert_int_equal (count, 3);  //  submit, one withdraw, one read
    assert_string_equal (events[1]->event, "withdraw");
    assert_null (events[1]->data);
    assert_true (strlen (events[1]->refused) <= 1100);
    assert_string_equal (events[2]->event, "read");
    cf_store_events_free (&events, count);
    //  A minute later the next one is recorded again
    self->now += 60 * 1000;
    Cf__Reply *reply = s_fire (self, &s_applicant_b, id, "withdraw", &data);
    cf_pb_free (&reply);
    assert_int_equal (s_history_count (self, &s_applicant_a, id, 0, NULL), 4);
    //  A refusal of the owner itself is recorded the same way
    reply = s_fire (self, &s_applicant_a, id, "contract_signed", &data);
    assert_int_equal (reply->status, CF__STATUS__STATUS_REFUSED);
    cf_pb_free (&reply);
    assert_int_equal (cf_store_case_history (self->store, id, &events, &count),
                      0);
    assert_int_equal (count, 5);
    assert_null (events[4]->data);
    cf_store_events_free (&events, count);
    free (reason);
}

//  History comes in pages; each says whether more follows
static void
test_history_is_paged (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    for (int attempt = 0; attempt < 4; attempt++) {
        Cf__Reply *reply =
            s_fire (self, &s_applicant_a, id, "contract_signed", NULL);
        cf_pb_free (&reply);
        self->now += 60 * 1000;
    }
    size_t pages = 0;
    assert_int_equal (s_history_count (self, &s_applicant_a, id, 2, &pages), 5);
    assert_int_equal (pages, 3);
    assert_int_equal (s_history_count (self, &s_applicant_a, id, 0, &pages), 5);
    assert_int_equal (pages, 1);
}

static void
test_refused_transitions_are_recorded_and_change_nothing (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    //  Signing a contract that does not exist yet
    Cf__Reply *reply =
        s_fire (self, &s_applicant_a, id, "contract_signed", NULL);
    assert_int_equal (reply->status, CF__STATUS__STATUS_REFUSED);
    assert_string_equal (reply->error, "CF_ENOTRANSITION");
    cf_pb_free (&reply);
    //  An event no one may fire by hand
    reply = s_fire (self, &s_applicant_a, id, "intake_passed", NULL);
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    cf_pb_free (&reply);
    //  An unknown event name is a bad request, not recorded
    reply = s_fire (self, &s_applicant_a, id, "approve_please", NULL);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->message, "approve_please"));
    cf_pb_free (&reply);
    Cf__Case *record = NULL;
    assert_int_equal (cf_store_get_case (self->store, id, &record), 0);
    assert_int_equal (record->state, CF__STATE__STATE_SUBMITTED);
    assert_int_equal (record->events, 3);
    cf_pb_free (&record);
}

static void
test_bad_frames_get_error_replies (void **state)
{
    s_fixture_t *self = *state;
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x01};
    cf_engine_begin (self->engine, self->now);
    cf_engine_request (self->engine, self->route, &s_applicant_a, garbage,
                       sizeof garbage);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    zframe_t *route;
    const uint8_t *data;
    size_t size;
    cf_engine_outbox_item (self->engine, 0, &route, &data, &size);
    Cf__Reply *reply = NULL;
    assert_int_equal (cf_wire_decode (&cf__reply__descriptor, data, size,
                                      (void **)&reply, NULL),
                      0);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_string_equal (reply->error, "CF_EDECODE");
    cf_pb_free (&reply);
    //  A request with no command
    Cf__Request request = CF__REQUEST__INIT;
    reply = s_request (self, &s_applicant_a, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    cf_pb_free (&reply);
    //  Ping still works after them
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;
    reply = s_request (self, &s_applicant_a, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
}

//  Lets ms pass: the intake job must not be offered then
static void
s_not_offered_after (s_fixture_t *self, int64_t ms)
{
    self->now += ms;
    s_tick (self);
    assert_null (s_lease (self, "intake"));
}

//  Lets early_ms pass (the intake job is not offered yet), then late_ms
//  more: returns the offer of the job, on its attempts-th try
static Cf__JobOffer *
s_offered_after (s_fixture_t *self, int64_t early_ms, int64_t late_ms,
                 uint32_t attempts)
{
    s_not_offered_after (self, early_ms);
    self->now += late_ms;
    s_tick (self);
    Cf__JobOffer *offer = s_lease (self, "intake");
    assert_non_null (offer);
    assert_int_equal (offer->job->attempts, attempts);
    return offer;
}

static void
test_expired_leases_back_off_then_park_then_retry (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    Cf__JobOffer *offer = s_lease (self, "intake");
    uint64_t job = offer->job->id;
    cf_pb_free (&offer);
    //  Lease runs out: the job waits for its backoff, then is offered again
    offer = s_offered_after (self, 30001, 1000, 2);
    //  A worker failure counts as an attempt too (backoff doubles)
    assert_int_equal (s_result (self, offer, NULL, NULL, "scheme unreadable"),
                      CF__STATUS__STATUS_OK);
    cf_pb_free (&offer);
    offer = s_offered_after (self, 1999, 1, 3);
    assert_int_equal (s_result (self, offer, NULL, NULL, "still failing"),
                      CF__STATUS__STATUS_OK);
    cf_pb_free (&offer);
    //  Three attempts: parked as an incident
    Cf__Request request = CF__REQUEST__INIT;
    request.body_case = CF__REQUEST__BODY_INCIDENTS;
    request.incidents = true;
    Cf__Reply *reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->jobs->n_jobs, 1);
    assert_int_equal (reply->jobs->jobs[0]->id, job);
    assert_string_equal (reply->jobs->jobs[0]->last_error, "still failing");
    cf_pb_free (&reply);
    s_not_offered_after (self, 3600 * 1000);
    //  An applicant may not retry; the admin may
    Cf__JobRef ref = CF__JOB_REF__INIT;
    ref.job = job;
    request.body_case = CF__REQUEST__BODY_RETRY;
    request.retry = &ref;
    reply = s_request (self, &s_applicant_a, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    cf_pb_free (&reply);
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    offer = s_lease (self, "intake");
    assert_non_null (offer);
    assert_int_equal (offer->job->attempts, 1);
    assert_int_equal (s_result (self, offer, "intake_passed", NULL, NULL),
                      CF__STATUS__STATUS_OK);
    cf_pb_free (&offer);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_DOCUMENT_REVIEW);
}

static void
test_restart_rebuilds_the_view_from_the_store (void **state)
{
    s_fixture_t *self = *state;
    s_new_case (self);
    s_new_case (self);
    Cf__JobOffer *offer = s_lease (self, "intake");
    //  A new engine over the same store: one job ready, one leased
    cf_engine_destroy (&self->engine);
    s_engine_open (self, 3);
    assert_int_equal (cf_engine_ready (self->engine), 1);
    assert_int_equal (cf_engine_last_seq (self->engine), 2);
    //  The lease taken before the restart is still honoured
    assert_int_equal (s_result (self, offer, "intake_passed", NULL, NULL),
                      CF__STATUS__STATUS_OK);
    cf_pb_free (&offer);
    assert_true (cf_engine_next_due (self->engine) == INT64_MAX ||
                 cf_engine_next_due (self->engine) > self->now);
}

static void
test_deadlines_fire_as_events (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    Cf__JobOffer *offer = s_lease (self, "intake");
    Cf__EventData data = CF__EVENT_DATA__INIT;
    Cf__FindingList list = CF__FINDING_LIST__INIT;
    Cf__Finding finding = CF__FINDING__INIT;
    Cf__Finding *findings[] = {&finding};
    finding.item = "M07";
    finding.reason = "organization chart missing";
    list.n_findings = 1;
    list.findings = findings;
    data.body_case = CF__EVENT_DATA__BODY_FINDINGS;
    data.findings = &list;
    assert_int_equal (s_result (self, offer, "intake_incomplete", &data, NULL),
                      CF__STATUS__STATUS_OK);
    cf_pb_free (&offer);
    assert_int_equal (s_state (self, id),
                      CF__STATE__STATE_SUPPLEMENT_REQUESTED);
    //  The supplement's deadline, unless the reminder of the month's report
    //  to the regulator (the 5th of the next month) comes first
    int64_t due = self->now + 30 * S_DAY_MS;
    assert_true (cf_engine_next_due (self->engine) <= due);
    self->now = due - 1;
    s_tick (self);
    assert_int_equal (s_state (self, id),
                      CF__STATE__STATE_SUPPLEMENT_REQUESTED);
    self->now = due;
    s_tick (self);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_CLOSED);
    assert_int_equal (cf_engine_event_count (self->engine), 1);
    const Cf__Event *event = cf_engine_event (self->engine, 0);
    assert_string_equal (event->event, "deadline_passed");
    assert_int_equal (event->principal->role, CF__ROLE__ROLE_SYSTEM);
    //  No case deadline is left: only a later month's report reminder
    assert_true (cf_engine_next_due (self->engine) > due);
}

static void
test_a_failed_commit_applies_nothing_and_says_so (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    cf_store_inject (self->store, CF_STORE_FAULT_EIO_AT_COMMIT, 0);
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_REASON;
    data.reason = "changed our mind";
    Cf__Request request = CF__REQUEST__INIT;
    Cf__FireRequest fire = CF__FIRE_REQUEST__INIT;
    fire.case_id = (char *)id;
    fire.event = "withdraw";
    fire.data = &data;
    request.body_case = CF__REQUEST__BODY_FIRE;
    request.fire = &fire;
    request.id = "withdraw-1";
    size_t size;
    uint8_t *bytes = cf_pb_pack (&request.base, &size);
    cf_engine_begin (self->engine, self->now);
    cf_engine_request (self->engine, self->route, &s_applicant_a, bytes, size);
    assert_int_equal (cf_engine_commit (self->engine), CF_EIO);
    zframe_t *route;
    const uint8_t *reply_data;
    size_t reply_size;
    cf_engine_outbox_item (self->engine, 0, &route, &reply_data, &reply_size);
    Cf__Reply *reply = NULL;
    assert_int_equal (cf_wire_decode (&cf__reply__descriptor, reply_data,
                                      reply_size, (void **)&reply, NULL),
                      0);
    assert_int_equal (reply->status, CF__STATUS__STATUS_UNAVAILABLE);
    assert_string_equal (reply->id, "withdraw-1");
    cf_pb_free (&reply);
    assert_int_equal (cf_engine_event_count (self->engine), 0);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_SUBMITTED);
    assert_int_equal (cf_engine_ready (self->engine), 1);
    //  The client's retry with the same id is applied, once
    cf_engine_begin (self->engine, self->now);
    cf_engine_request (self->engine, self->route, &s_applicant_a, bytes, size);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    free (bytes);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_WITHDRAWN);
    //  Map full at commit: the engine grows the map and commits
    size_t before = cf_store_map_size (self->store);
    cf_store_inject (self->store, CF_STORE_FAULT_MAP_FULL_AT_COMMIT, 0);
    Cf__Reply *second = s_submit (self, &s_applicant_a);
    assert_int_equal (second->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&second);
    assert_true (cf_store_map_size (self->store) > before);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
}

//  Issues identity name (role auditor) with request id in a round of its
//  own; returns the reply (caller frees)
static Cf__Reply *
s_issue (s_fixture_t *self, const char *id, const char *name, int fault)
{
    Cf__Request request = CF__REQUEST__INIT;
    Cf__IssueIdentity issue = CF__ISSUE_IDENTITY__INIT;
    issue.name = (char *)name;
    issue.role = CF__ROLE__ROLE_AUDITOR;
    request.id = (char *)id;
    request.body_case = CF__REQUEST__BODY_IDENTITY_ISSUE;
    request.identity_issue = &issue;
    if (!fault)
        return s_request (self, &s_admin, &request);
    size_t size;
    uint8_t *bytes = cf_pb_pack (&request.base, &size);
    cf_store_inject (self->store, fault, 0);
    cf_engine_begin (self->engine, self->now);
    cf_engine_request (self->engine, self->route, &s_admin, bytes, size);
    assert_int_not_equal (cf_engine_commit (self->engine), 0);
    free (bytes);
    return NULL;
}

//  identity issue answers a retry with the stored reply, secret certificate
//  included, so a lost reply loses no certificate; a failed round leaves no
//  certificate behind; no reply names the daemon's paths
static void
test_identity_issue_is_exactly_once (void **state)
{
    s_fixture_t *self = *state;
    Cf__Reply *first = s_issue (self, "issue-1", "AUD009", 0);
    assert_int_equal (first->status, CF__STATUS__STATUS_OK);
    assert_int_equal (first->body_case, CF__REPLY__BODY_IDENTITY);
    Cf__Reply *again = s_issue (self, "issue-1", "AUD009", 0);
    assert_int_equal (again->status, CF__STATUS__STATUS_OK);
    assert_string_equal (again->identity->public_key,
                         first->identity->public_key);
    assert_int_equal (again->identity->certificate.len,
                      first->identity->certificate.len);
    assert_memory_equal (again->identity->certificate.data,
                         first->identity->certificate.data,
                         first->identity->certificate.len);
    //  Another id for the same name: refused, with no path in the answer
    Cf__Reply *other = s_issue (self, "issue-2", "AUD009", 0);
    assert_int_equal (other->status, CF__STATUS__STATUS_CONFLICT);
    assert_null (strstr (other->message, self->dir));
    assert_non_null (strstr (other->message, "already has a certificate"));
    cf_pb_free (&first);
    cf_pb_free (&again);
    cf_pb_free (&other);
    //  A round that does not commit takes its certificate back: the retry
    //  issues it
    assert_null (
        s_issue (self, "issue-3", "AUD010", CF_STORE_FAULT_EIO_AT_COMMIT));
    Cf__Reply *retry = s_issue (self, "issue-3", "AUD010", 0);
    assert_int_equal (retry->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&retry);
}

//  The public key of the certificate file at path (Z85, caller frees)
static char *
s_file_key (const char *path)
{
    zconfig_t *root = zconfig_load (path);
    assert_non_null (root);
    char *key = strdup (zconfig_get (root, "/curve/public-key", ""));
    zconfig_destroy (&root);
    return key;
}

//  The daemon stops between writing an issued certificate's file and the
//  commit: the retry of the same request issues it, once, and the file
//  holds the key the reply gives; another request for that name is still
//  refused
static void
test_identity_issue_survives_a_crash_before_the_commit (void **state)
{
    s_fixture_t *self = *state;
    Cf__Request request = CF__REQUEST__INIT;
    Cf__IssueIdentity issue = CF__ISSUE_IDENTITY__INIT;
    issue.name = "AUD011";
    issue.role = CF__ROLE__ROLE_AUDITOR;
    request.id = "issue-crash";
    request.body_case = CF__REQUEST__BODY_IDENTITY_ISSUE;
    request.identity_issue = &issue;
    size_t size;
    uint8_t *bytes = cf_pb_pack (&request.base, &size);
    cf_engine_begin (self->engine, self->now);
    cf_engine_request (self->engine, self->route, &s_admin, bytes, size);
    free (bytes);
    //  The file is written; the round dies with the daemon, uncommitted
    char path[160];
    snprintf (path, sizeof path, "%s/auditor-AUD011.cert", self->dir);
    assert_int_equal (access (path, F_OK), 0);
    char *lost = s_file_key (path);
    cf_engine_destroy (&self->engine);
    s_engine_open (self, 3);

    Cf__Reply *retry = s_issue (self, "issue-crash", "AUD011", 0);
    assert_int_equal (retry->status, CF__STATUS__STATUS_OK);
    assert_int_equal (retry->body_case, CF__REPLY__BODY_IDENTITY);
    char *kept = s_file_key (path);
    assert_string_equal (kept, retry->identity->public_key);
    assert_string_not_equal (kept, lost);
    //  And once more: the stored reply, the same key
    Cf__Reply *again = s_issue (self, "issue-crash", "AUD011", 0);
    assert_string_equal (again->identity->public_key,
                         retry->identity->public_key);
    //  Another request for the name, or another admin's request of that
    //  id: the certificate is not theirs to replace
    Cf__Reply *other = s_issue (self, "issue-other", "AUD011", 0);
    assert_int_equal (other->status, CF__STATUS__STATUS_CONFLICT);
    Cf__Principal second_admin = s_admin;
    second_admin.key = "KEY-ADMIN-2";
    second_admin.name = "admin-2";
    Cf__Request same = request;
    Cf__Reply *theirs = s_request (self, &second_admin, &same);
    assert_int_equal (theirs->status, CF__STATUS__STATUS_CONFLICT);
    char *still = s_file_key (path);
    assert_string_equal (still, kept);
    free (lost);
    free (kept);
    free (still);
    cf_pb_free (&retry);
    cf_pb_free (&again);
    cf_pb_free (&other);
    cf_pb_free (&theirs);
}

//  Worker events come only through the worker API, for a lease that
//  worker's key holds, and lease tokens are unguessable
static void
test_workers_are_held_to_their_own_leases (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    //  The client API is closed to a worker's events
    Cf__Reply *reply = s_fire (self, &s_worker, id, "intake_passed", NULL);
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    assert_non_null (strstr (reply->message, "worker API"));
    cf_pb_free (&reply);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_SUBMITTED);

    //  Another worker's key cannot report the lease, even knowing it
    Cf__JobOffer *offer = s_lease (self, "intake");
    assert_non_null (offer);
    Cf__Principal other = s_worker;
    other.key = "KEY-W2";
    other.name = "worker-2";
    Cf__JobResult result = CF__JOB_RESULT__INIT;
    result.job = offer->job->id;
    result.lease = offer->job->lease;
    result.event = "intake_passed";
    cf_engine_begin (self->engine, self->now);
    cf_engine_result (self->engine, self->route, &other, &result);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_SUBMITTED);
    assert_int_equal (s_result (self, offer, "intake_passed", NULL, NULL),
                      CF__STATUS__STATUS_OK);
    assert_int_equal (s_state (self, id), CF__STATE__STATE_DOCUMENT_REVIEW);

    //  Leases are not numbered in sequence
    Cf__JobOffer *next = s_lease (self, "review");
    assert_non_null (next);
    assert_true (next->job->lease != offer->job->lease + 1);
    assert_true (next->job->lease > UINT32_MAX ||
                 offer->job->lease > UINT32_MAX);
    cf_pb_free (&offer);
    cf_pb_free (&next);

    //  By hand, a certificate takes only the number reserved for the case
    Cf__CertificateData certificate = CF__CERTIFICATE_DATA__INIT;
    certificate.number = "CFC2026-99999";
    certificate.issue_date = "2026-11-23";
    certificate.grade = "five_star";
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_CERTIFICATE;
    data.certificate = &certificate;
    reply = s_fire (self, &s_admin, id, "certificate_issued", &data);
    assert_int_equal (reply->status, CF__STATUS__STATUS_REFUSED);
    assert_non_null (strstr (reply->message, "no certificate number is "
                                             "reserved"));
    cf_pb_free (&reply);
}

//  events since pages over what the principal may see: an applicant asking
//  from the start gets its own event behind another organization's many,
//  and a page says how far it looked
static void
test_events_since_pages_over_what_an_applicant_sees (void **state)
{
    s_fixture_t *self = *state;
    const char *id = s_new_case (self);
    for (int count = 0; count < 40; count++) {
        Cf__Reply *reply = s_submit (self, &s_applicant_b);
        cf_pb_free (&reply);
    }
    //  Event 42: the owner's refused attempt, recorded on its case
    Cf__Reply *reply =
        s_fire (self, &s_applicant_a, id, "contract_signed", NULL);
    cf_pb_free (&reply);
    Cf__Request request = CF__REQUEST__INIT;
    Cf__EventsSince since = CF__EVENTS_SINCE__INIT;
    since.after = 1;
    since.limit = 10;
    request.body_case = CF__REQUEST__BODY_EVENTS;
    request.events = &since;
    reply = s_request (self, &s_applicant_a, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_int_equal (reply->events->n_events, 1);
    assert_int_equal (reply->events->events[0]->seq, 42);
    assert_false (reply->events->more);
    assert_int_equal (reply->events->scanned, 42);
    cf_pb_free (&reply);
    //  Staff see every event, a page of limit, and where it ended
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->events->n_events, 10);
    assert_true (reply->events->more);
    assert_int_equal (reply->events->scanned, 11);
    cf_pb_free (&reply);
}

static void
test_lists_page_and_applicants_see_their_own (void **state)
{
    s_fixture_t *self = *state;
    for (int index = 0; index < 5; index++)
        cf_pb_free ((Cf__Reply *[]){s_submit (self, &s_applicant_a)});
    cf_pb_free ((Cf__Reply *[]){s_submit (self, &s_applicant_b)});
    Cf__Request request = CF__REQUEST__INIT;
    Cf__ListRequest list = CF__LIST_REQUEST__INIT;
    list.limit = 2;
    request.body_case = CF__REQUEST__BODY_LIST;
    request.list = &list;
    size_t seen = 0;
    char after[64] = "";
    do {
        list.after = after;
        Cf__Reply *reply = s_request (self, &s_admin, &request);
        assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
        seen += reply->page->n_cases;
        snprintf (after, sizeof after, "%s", reply->page->next);
        cf_pb_free (&reply);
    } while (*after);
    assert_int_equal (seen, 6);
    //  Applicant B asking for A's organization gets only its own
    list.org = "ORG-A";
    list.limit = 100;
    list.after = "";
    Cf__Reply *reply = s_request (self, &s_applicant_b, &request);
    assert_int_equal (reply->page->n_cases, 1);
    assert_string_equal (reply->page->cases[0]->org, "ORG-B");
    cf_pb_free (&reply);
    //  Events since 0 for B: only B's case
    Cf__EventsSince since = CF__EVENTS_SINCE__INIT;
    request.body_case = CF__REQUEST__BODY_EVENTS;
    request.events = &since;
    reply = s_request (self, &s_applicant_b, &request);
    assert_int_equal (reply->events->n_events, 1);
    assert_int_equal (reply->events->last_seq, 6);
    cf_pb_free (&reply);
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->events->n_events, 6);
    cf_pb_free (&reply);
    //  A worker may not read the case list
    request.body_case = CF__REQUEST__BODY_LIST;
    reply = s_request (self, &s_worker, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    cf_pb_free (&reply);
}

static Cf__Reply *
s_staff_put (s_fixture_t *self, const Cf__Principal *who, Cf__Staff *staff)
{
    Cf__Request request = CF__REQUEST__INIT;
    Cf__StaffRequest put = CF__STAFF_REQUEST__INIT;
    put.staff = staff;
    request.body_case = CF__REQUEST__BODY_STAFF_PUT;
    request.staff_put = &put;
    return s_request (self, who, &request);
}

static void
test_staff_records_are_checked_and_admin_only (void **state)
{
    s_fixture_t *self = *state;
    char *roles[] = {"auditor", "leader"};
    char *sectors[] = {"SC03"};
    Cf__Staff staff = CF__STAFF__INIT;
    staff.id = "AUD900";
    staff.name = "王芳 Wang Fang";
    staff.n_roles = 2;
    staff.roles = roles;
    staff.n_sectors = 1;
    staff.sectors = sectors;
    staff.qualified_from = "2024-01-01";
    staff.qualified_until = "2027-02-30";
    staff.active = true;
    Cf__Reply *reply = s_staff_put (self, &s_admin, &staff);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->message, "staff.qualification"));
    cf_pb_free (&reply);
    staff.qualified_until = "2027-02-28";
    roles[1] = "boss";
    reply = s_staff_put (self, &s_admin, &staff);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->message, "unknown role 'boss'"));
    cf_pb_free (&reply);
    roles[1] = "leader";
    staff.name = "";
    reply = s_staff_put (self, &s_admin, &staff);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->message, "staff.id"));
    cf_pb_free (&reply);
    staff.name = "王芳 Wang Fang";
    reply = s_staff_put (self, &s_applicant_a, &staff);
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    cf_pb_free (&reply);
    reply = s_staff_put (self, &s_admin, &staff);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    Cf__Staff *stored = NULL;
    assert_int_equal (cf_store_get_staff (self->store, "AUD900", &stored), 0);
    assert_string_equal (stored->qualified_until, "2027-02-28");
    cf_pb_free (&stored);
    //  Staff may list the records; an applicant may not
    Cf__Request request = CF__REQUEST__INIT;
    request.body_case = CF__REQUEST__BODY_STAFF_LIST;
    request.staff_list = true;
    reply = s_request (self, &s_applicant_a, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    cf_pb_free (&reply);
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->staff->n_staff, 1);
    cf_pb_free (&reply);
}

//  An offer carries the staff records only to the stages that choose
//  people from them (planning, committee)
static void
test_offers_carry_staff_only_where_people_are_chosen (void **state)
{
    s_fixture_t *self = *state;
    char *roles[] = {"auditor"};
    Cf__Staff staff = CF__STAFF__INIT;
    staff.id = "AUD901";
    staff.name = "李娜 Li Na";
    staff.n_roles = 1;
    staff.roles = roles;
    staff.qualified_from = "2024-01-01";
    staff.qualified_until = "2028-12-31";
    Cf__Reply *reply = s_staff_put (self, &s_admin, &staff);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    s_new_case (self);
    Cf__JobOffer *offer = s_lease (self, "intake");
    assert_non_null (offer);
    assert_int_equal (offer->n_staff, 0);
    assert_non_null (offer->record);
    assert_true (offer->scheme.len > 100);
    cf_pb_free (&offer);
}

//  How many stored jobs have status (UNSPECIFIED: any)
static size_t
s_jobs (s_fixture_t *self, Cf__JobStatus status)
{
    Cf__Job **jobs = NULL;
    size_t count = 0;
    assert_int_equal (cf_store_jobs (self->store, status, &jobs, &count), 0);
    cf_store_jobs_free (&jobs, count);
    return count;
}

//  A case that ends closes its work: its ready, parked and leased jobs go
//  with it, so no incident outlives the case
static void
test_a_case_that_ends_cancels_its_jobs (void **state)
{
    s_fixture_t *self = *state;
    Cf__EventData reason = CF__EVENT_DATA__INIT;
    reason.body_case = CF__EVENT_DATA__BODY_REASON;
    reason.reason = "company restructuring";

    //  A ready intake job
    char ready[64];
    snprintf (ready, sizeof ready, "%s", s_new_case (self));
    assert_int_equal (cf_engine_ready (self->engine), 1);
    Cf__Reply *reply =
        s_fire (self, &s_applicant_a, ready, "withdraw", &reason);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    assert_int_equal (cf_engine_ready (self->engine), 0);
    assert_int_equal (s_jobs (self, CF__JOB_STATUS__JOB_STATUS_UNSPECIFIED), 0);

    //  A job that failed until it was parked: an incident
    char parked[64];
    snprintf (parked, sizeof parked, "%s", s_new_case (self));
    for (int attempt = 0; attempt < 3; attempt++) {
        Cf__JobOffer *offer = s_lease (self, "intake");
        assert_non_null (offer);
        assert_int_equal (s_result (self, offer, NULL, NULL, "cannot read"),
                          CF__STATUS__STATUS_OK);
        cf_pb_free (&offer);
        self->now += 600 * 1000;
        s_tick (self);
    }
    assert_int_equal (s_jobs (self, CF__JOB_STATUS__JOB_STATUS_PARKED), 1);
    reply = s_fire (self, &s_applicant_a, parked, "withdraw", &reason);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    assert_int_equal (s_jobs (self, CF__JOB_STATUS__JOB_STATUS_UNSPECIFIED), 0);

    //  A leased job: its late result is refused, nothing comes back
    char leased[64];
    snprintf (leased, sizeof leased, "%s", s_new_case (self));
    Cf__JobOffer *offer = s_lease (self, "intake");
    assert_non_null (offer);
    reply = s_fire (self, &s_applicant_a, leased, "withdraw", &reason);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    assert_int_equal (s_result (self, offer, "intake_passed", NULL, NULL),
                      CF__STATUS__STATUS_REFUSED);
    cf_pb_free (&offer);
    assert_int_equal (s_state (self, leased), CF__STATE__STATE_WITHDRAWN);
    assert_int_equal (s_jobs (self, CF__JOB_STATUS__JOB_STATUS_UNSPECIFIED), 0);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
}

//  text with the first from replaced by to (new string)
static char *
s_replace (const char *text, const char *from, const char *to)
{
    const char *at = strstr (text, from);
    assert_non_null (at);
    size_t head = (size_t)(at - text), tail = strlen (at + strlen (from));
    size_t middle = strlen (to);
    char *result = malloc (head + middle + tail + 1);
    assert_non_null (result);
    memcpy (result, text, head);
    memcpy (result + head, to, middle);
    memcpy (result + head + middle, at + strlen (from), tail + 1);
    return result;
}

//  Fires intake_incomplete for the offered job: a supplement is due
static void
s_incomplete (s_fixture_t *self, Cf__JobOffer *offer)
{
    Cf__Finding finding = CF__FINDING__INIT;
    finding.item = "M07";
    finding.reason = "organization chart missing";
    Cf__Finding *findings[] = {&finding};
    Cf__FindingList list = CF__FINDING_LIST__INIT;
    list.findings = findings;
    list.n_findings = 1;
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_FINDINGS;
    data.findings = &list;
    assert_int_equal (s_result (self, offer, "intake_incomplete", &data, NULL),
                      CF__STATUS__STATUS_OK);
}

static int64_t
s_deadline (s_fixture_t *self, const char *case_id)
{
    Cf__Case *record = NULL;
    assert_int_equal (cf_store_get_case (self->store, case_id, &record), 0);
    int64_t due = record->deadline_at;
    cf_pb_free (&record);
    return due;
}

//  A case runs under the scheme it recorded: the daemon restarted with the
//  scheme's next version applies it to new cases only
static void
test_each_case_runs_under_its_own_scheme (void **state)
{
    s_fixture_t *self = *state;
    char older[64], newer[64];
    snprintf (older, sizeof older, "%s", s_new_case (self));
    //  Version 2027.1 gives 10 days for supplements instead of 30
    char *renamed =
        s_replace (cf_scheme_default_text (), "\"CF-SC-27922-2026.1\"",
                   "\"CF-SC-27922-2027.1\"");
    char *text = s_replace (renamed, "\"supplement_days\": 30",
                            "\"supplement_days\": 10");
    free (renamed);
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_parse (text, strlen (text), "2027", &scheme, NULL), 0);
    cf_engine_destroy (&self->engine);
    self->engine = s_engine_with (self, scheme, text);
    assert_non_null (self->engine);
    snprintf (newer, sizeof newer, "%s", s_new_case (self));

    //  Each job carries its case's scheme, and each case's rules are its own
    Cf__JobOffer *offer = s_lease (self, "intake");
    assert_string_equal (offer->record->id, older);
    assert_non_null (memmem (offer->scheme.data, offer->scheme.len,
                             "CF-SC-27922-2026.1", 18));
    s_incomplete (self, offer);
    cf_pb_free (&offer);
    offer = s_lease (self, "intake");
    assert_string_equal (offer->record->id, newer);
    assert_string_equal (offer->record->scheme_version, "CF-SC-27922-2027.1");
    assert_non_null (memmem (offer->scheme.data, offer->scheme.len,
                             "CF-SC-27922-2027.1", 18));
    s_incomplete (self, offer);
    cf_pb_free (&offer);
    assert_int_equal (s_deadline (self, older), self->now + 30 * S_DAY_MS);
    assert_int_equal (s_deadline (self, newer), self->now + 10 * S_DAY_MS);

    //  The store holds both versions, in order
    char **keys = NULL;
    size_t count = 0;
    assert_int_equal (
        cf_store_meta_keys (self->store, "scheme/", &keys, &count), 0);
    assert_int_equal (count, 2);
    assert_string_equal (keys[0], "scheme/CF-SC-27922-2026.1");
    assert_string_equal (keys[1], "scheme/CF-SC-27922-2027.1");
    cf_store_keys_free (&keys, count);

    //  A version already recorded cannot change its content
    cf_engine_destroy (&self->engine);
    cf_scheme_destroy (&scheme);
    char *changed =
        s_replace (cf_scheme_default_text (), "\"supplement_days\": 30",
                   "\"supplement_days\": 20");
    assert_int_equal (
        cf_scheme_parse (changed, strlen (changed), "changed", &scheme, NULL),
        0);
    assert_null (s_engine_with (self, scheme, changed));
    cf_scheme_destroy (&scheme);
    free (changed);
    free (text);
    s_engine_open (self, 3);
}

//  Fires a certificate decision as who; returns the reply (caller frees)
static Cf__Reply *
s_decide (s_fixture_t *self, const Cf__Principal *who, const char *number,
          const char *event, Cf__CertificateChange *change)
{
    Cf__Request request = CF__REQUEST__INIT;
    Cf__CertificateFire fire = CF__CERTIFICATE_FIRE__INIT;
    fire.number = (char *)number;
    fire.event = (char *)event;
    fire.change = change;
    request.body_case = CF__REQUEST__BODY_CERTIFICATE_FIRE;
    request.certificate_fire = &fire;
    return s_request (self, who, &request);
}

//  A certificate after issuance: suspended by decision, refused to another
//  organization, withdrawn by its own timer when the suspension runs out
//  Stores a certified case CF-2026-000077 of organization A holding a
//  valid certificate CFC2026SC00077 issued 2026-11-01, as issuance leaves
//  them; returns the case (caller frees)
static Cf__Case *
s_put_certified (s_fixture_t *self)
{
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000077");
    cf_pb_set_string (&record->org, s_applicant_a.org);
    cf_pb_set_string (&record->scheme_version, self->scheme->version);
    cf_pb_set_string (&record->certificate, "CFC2026SC00077");
    record->state = CF__STATE__STATE_CERTIFIED;
    Cf__Certificate *cert = cf_pb_new (&cf__certificate__descriptor);
    cf_pb_set_string (&cert->number, "CFC2026SC00077");
    cf_pb_set_string (&cert->case_id, record->id);
    cf_pb_set_string (&cert->issue_date, "2026-11-01");
    cf_pb_set_string (&cert->expiry_date, "2029-11-01");
    cf_pb_set_string (&cert->org, record->org);
    cf_pb_set_string (&cert->uscc, "91330110MA2J7R4N38");
    cf_pb_set_string (&cert->company_name, "云熙电器有限公司");
    cert->status = CF__CERT_STATUS__CERT_STATUS_VALID;
    record->deadline_at = cf_certfsm_due (cert, self->scheme);
    Cf__Event issued = CF__EVENT__INIT;
    issued.case_id = record->id;
    issued.from = CF__STATE__STATE_ISSUANCE;
    issued.to = CF__STATE__STATE_CERTIFIED;
    issued.event = "certificate_issued";
    issued.principal = &s_worker;
    issued.at = self->now;
    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_case (batch, record), 0);
    assert_int_equal (cf_batch_put_certificate (batch, cert), 0);
    assert_int_equal (cf_batch_append_event (batch, &issued), 0);
    assert_int_equal (cf_store_commit (self->store, batch, NULL, NULL), 0);
    cf_batch_destroy (&batch);
    cf_pb_free (&cert);
    return record;
}

//  Asks for the signed document of number as who; returns the reply
static Cf__Reply *
s_document (s_fixture_t *self, const Cf__Principal *who, const char *number)
{
    Cf__Request request = CF__REQUEST__INIT;
    Cf__CertificateRef ref = CF__CERTIFICATE_REF__INIT;
    ref.number = (char *)number;
    request.body_case = CF__REQUEST__BODY_CERTIFICATE_DOCUMENT;
    request.certificate_document = &ref;
    return s_request (self, who, &request);
}

//  The document: signed for the holder's applicants and staff, verified by
//  the public key, "not found" (and recorded) for another organization,
//  refused to a worker, to a certificate no longer valid, and by an engine
//  without a key
static void
test_a_certificate_document_is_signed_for_its_holder (void **state)
{
    s_fixture_t *self = *state;
    Cf__Case *record = s_put_certified (self);
    Cf__Reply *reply = s_document (self, &s_applicant_a, "CFC2026SC00077");
    assert_int_equal (reply->status, CF__STATUS__STATUS_UNAVAILABLE);
    cf_pb_free (&reply);

    cf_seal_key_t *key = NULL;
    assert_int_equal (cf_seal_key_ensure (self->dir, &key, NULL, NULL), 0);
    cf_engine_destroy (&self->engine);
    cf_engine_config_t config = {.lease_ms = 30000,
                                 .max_attempts = 3,
                                 .backoff_ms = 1000,
                                 .certs_dir = self->dir,
                                 .page_max = 100,
                                 .seal_key = key,
                                 .register_url = "https://cb.example/register"};
    self->engine = cf_engine_new (self->store, self->scheme,
                                  cf_scheme_default_text (), &config);
    assert_non_null (self->engine);
    const Cf__Principal *allowed[] = {&s_applicant_a, &s_admin};
    for (size_t index = 0; index < 2; index++) {
        reply = s_document (self, allowed[index], "CFC2026SC00077");
        assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
        assert_int_equal (reply->body_case, CF__REPLY__BODY_DOCUMENT);
        const char *payload = reply->document->payload;
        assert_non_null (strstr (payload, "https://cb.example/register/"
                                          "certificates/CFC2026SC00077#"));
        cf_seal_t *seal = NULL;
        assert_int_equal (
            cf_seal_parse (payload, strlen (payload), &seal, NULL), 0);
        assert_int_equal (cf_seal_verify (seal, key, NULL, NULL), 0);
        assert_string_equal (cf_seal_value (seal, CF_SEAL_HOLDER),
                             "云熙电器有限公司");
        assert_string_equal (reply->document->key_id, cf_seal_key_id (key));
        cf_seal_destroy (&seal);
        cf_pb_free (&reply);
    }
    //  Another organization hears "not found", and it is recorded
    size_t before = s_history_count (self, &s_admin, record->id, 0, NULL);
    reply = s_document (self, &s_applicant_b, "CFC2026SC00077");
    assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
    assert_null (strstr (reply->message, "ORG-A"));
    cf_pb_free (&reply);
    assert_int_equal (s_history_count (self, &s_admin, record->id, 0, NULL),
                      before + 1);
    reply = s_document (self, &s_worker, "CFC2026SC00077");
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    cf_pb_free (&reply);
    reply = s_document (self, &s_admin, "CFC2099XX99999");
    assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
    cf_pb_free (&reply);
    //  Suspended: no document
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "mark misused";
    change.trigger = "misuse";
    change.trigger_date = "2026-11-22";
    change.months = 1;
    reply = s_decide (self, &s_admin, "CFC2026SC00077", "certificate_suspended",
                      &change);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    reply = s_document (self, &s_applicant_a, "CFC2026SC00077");
    assert_int_equal (reply->status, CF__STATUS__STATUS_REFUSED);
    assert_non_null (strstr (reply->message, "valid certificate only"));
    cf_pb_free (&reply);
    cf_engine_destroy (&self->engine);
    cf_seal_key_destroy (&key);
    cf_pb_free (&record);
}

static void
test_a_certificate_lives_its_own_life (void **state)
{
    s_fixture_t *self = *state;
    Cf__Case *record = s_put_certified (self);

    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "after-sales hotline closed for a month";
    change.trigger = "surveillance_finding";
    change.trigger_date = "2026-11-22";
    change.months = 1;
    Cf__Reply *reply = s_decide (self, &s_applicant_b, "CFC2026SC00077",
                                 "certificate_suspended", &change);
    assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
    cf_pb_free (&reply);
    reply = s_decide (self, &s_admin, "CFC2026SC00077", "certificate_suspended",
                      &change);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_string_equal (reply->certificate->suspension->until, "2026-12-22");
    cf_pb_free (&reply);
    //  The timers cannot be fired by hand
    reply = s_decide (self, &s_admin, "CFC2026SC00077", "suspension_lapsed",
                      &change);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    cf_pb_free (&reply);

    //  The last day of the suspension passes uncleared
    self->now += 31 * S_DAY_MS;
    s_tick (self);
    Cf__Certificate *stored = NULL;
    assert_int_equal (
        cf_store_get_certificate (self->store, "CFC2026SC00077", &stored), 0);
    assert_int_equal (stored->status, CF__CERT_STATUS__CERT_STATUS_WITHDRAWN);
    assert_string_equal (stored->status_date, "2026-12-22");
    cf_pb_free (&stored);
    Cf__Case *after = NULL;
    assert_int_equal (cf_store_get_case (self->store, "CF-2026-000077", &after),
                      0);
    assert_int_equal (after->deadline_at, 0);
    cf_pb_free (&after);
    //  Nothing leaves withdrawn
    change.reason = "we close the business";
    reply = s_decide (self, &s_applicant_a, "CFC2026SC00077",
                      "certificate_cancelled", &change);
    assert_int_equal (reply->status, CF__STATUS__STATUS_REFUSED);
    cf_pb_free (&reply);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
    cf_pb_free (&record);
}

//  Reissues by decision only; a refused one leaves the numbering as it was.
//  The list pages the register as each principal may see it.
static void
test_a_refused_reissue_takes_no_number (void **state)
{
    s_fixture_t *self = *state;
    Cf__Case *record = s_put_certified (self);
    cf_pb_free (&record);
    Cf__Request request = CF__REQUEST__INIT;
    Cf__CertificateReissue edit = CF__CERTIFICATE_REISSUE__INIT;
    edit.number = "CFC2026SC00077";
    edit.reason = "renamed";
    edit.company_name = "云熙智能家电有限公司";
    request.body_case = CF__REQUEST__BODY_CERTIFICATE_REISSUE;
    request.certificate_reissue = &edit;
    //  The holder may not decide it; another organization hears nothing
    Cf__Reply *reply = s_request (self, &s_applicant_a, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    cf_pb_free (&reply);
    reply = s_request (self, &s_applicant_b, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
    cf_pb_free (&reply);
    //  A decision needs its reason, and a change
    edit.reason = "";
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_REFUSED);
    cf_pb_free (&reply);
    edit.reason = "business licence renamed on 2026-11-20";
    edit.company_name = "";
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    cf_pb_free (&reply);
    //  Decided: the year's first number, the old one superseded
    edit.company_name = "云熙智能家电有限公司";
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_string_equal (reply->certificate->number, "CFC2026SC00001");
    assert_string_equal (reply->certificate->replaces, "CFC2026SC00077");
    assert_string_equal (reply->certificate->company_name, edit.company_name);
    assert_string_equal (reply->certificate->expiry_date, "2029-11-01");
    cf_pb_free (&reply);
    Cf__Certificate *old = NULL;
    assert_int_equal (
        cf_store_get_certificate (self->store, "CFC2026SC00077", &old), 0);
    assert_int_equal (old->status, CF__CERT_STATUS__CERT_STATUS_SUPERSEDED);
    assert_string_equal (old->superseded_by, "CFC2026SC00001");
    cf_pb_free (&old);
    Cf__Case *after = NULL;
    assert_int_equal (cf_store_get_case (self->store, "CF-2026-000077", &after),
                      0);
    assert_string_equal (after->certificate, "CFC2026SC00001");
    assert_true (after->deadline_at > 0);
    cf_pb_free (&after);

    //  The list: by status; the holder sees its own, another none
    Cf__Request list = CF__REQUEST__INIT;
    Cf__CertificateQuery query = CF__CERTIFICATE_QUERY__INIT;
    query.status = CF__CERT_STATUS__CERT_STATUS_SUPERSEDED;
    list.body_case = CF__REQUEST__BODY_CERTIFICATES;
    list.certificates = &query;
    reply = s_request (self, &s_admin, &list);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_int_equal (reply->certificates->n_certificates, 1);
    assert_string_equal (reply->certificates->certificates[0]->number,
                         "CFC2026SC00077");
    cf_pb_free (&reply);
    query.status = CF__CERT_STATUS__CERT_STATUS_UNSPECIFIED;
    reply = s_request (self, &s_applicant_a, &list);
    assert_int_equal (reply->certificates->n_certificates, 2);
    cf_pb_free (&reply);
    reply = s_request (self, &s_applicant_b, &list);
    assert_int_equal (reply->certificates->n_certificates, 0);
    cf_pb_free (&reply);
    //  Due by a date: only the live one with its expiry by then
    query.due_by = "2029-11-01";
    reply = s_request (self, &s_admin, &list);
    assert_int_equal (reply->certificates->n_certificates, 1);
    assert_string_equal (reply->certificates->certificates[0]->number,
                         "CFC2026SC00001");
    cf_pb_free (&reply);
    query.due_by = "2029-10-31";
    reply = s_request (self, &s_admin, &list);
    assert_int_equal (reply->certificates->n_certificates, 0);
    cf_pb_free (&reply);
    query.due_by = "soon";
    reply = s_request (self, &s_admin, &list);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    cf_pb_free (&reply);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
}

//  Opens the engine on the default scheme as version, with its certificate
//  numbers to width digits; returns the scheme (caller destroys)
static cf_scheme_t *
s_engine_numbering (s_fixture_t *self, const char *version, int width)
{
    char quoted[64], sequence[16];
    snprintf (quoted, sizeof quoted, "\"%s\"", version);
    snprintf (sequence, sizeof sequence, "{SEQ:%d}", width);
    char *renamed =
        s_replace (cf_scheme_default_text (), "\"CF-SC-27922-2026.1\"", quoted);
    char *text = s_replace (renamed, "{SEQ:5}", sequence);
    free (renamed);
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_parse (text, strlen (text), version, &scheme, NULL), 0);
    cf_engine_destroy (&self->engine);
    self->engine = s_engine_with (self, scheme, text);
    assert_non_null (self->engine);
    free (text);
    return scheme;
}

//  Stores case id of organization A before the committee's decision: all
//  three members granted on a compliant score, the decision's job ready
static void
s_put_granted (s_fixture_t *self, const char *id, uint64_t job_id)
{
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, id);
    cf_pb_set_string (&record->org, s_applicant_a.org);
    cf_pb_set_string (&record->scheme_version, self->scheme->version);
    record->state = CF__STATE__STATE_COMMITTEE_REVIEW;
    record->original = cf_pb_new (&cf__score_result__descriptor);
    record->original->score = 75.0;
    cf_pb_set_string (&record->original->grade, "compliant");
    Cf__Committee *committee = cf_pb_new (&cf__committee__descriptor);
    static const char *const members[] = {"S-C1", "S-C2", "S-C3"};
    committee->n_members = committee->n_ballots = 3;
    committee->members = cf_mem_check (calloc (3, sizeof (char *)));
    committee->ballots = cf_mem_check (calloc (3, sizeof (Cf__Ballot *)));
    for (size_t index = 0; index < 3; index++) {
        committee->members[index] = cf_mem_check (strdup (members[index]));
        Cf__Ballot *ballot = cf_pb_new (&cf__ballot__descriptor);
        cf_pb_set_string (&ballot->member, members[index]);
        ballot->vote = CF__VOTE__VOTE_GRANT;
        ballot->at = self->now;
        committee->ballots[index] = ballot;
    }
    record->committee = committee;
    Cf__Job job = CF__JOB__INIT;
    job.id = job_id;
    job.case_id = (char *)id;
    job.stage = "committee";
    job.state = record->state;
    job.status = CF__JOB_STATUS__JOB_STATUS_READY;
    job.created_at = self->now;
    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_case (batch, record), 0);
    assert_int_equal (cf_batch_put_job (batch, &job), 0);
    assert_int_equal (cf_store_commit (self->store, batch, NULL, NULL), 0);
    cf_batch_destroy (&batch);
    cf_pb_free (&record);
}

//  The year's last number under {SEQ:1} is 9: the tenth grant is refused
//  alone, with the fix named, and nothing else in its round is lost; a
//  scheme version with a wider pattern numbers the case that waited
static void
test_a_used_up_number_pattern_refuses_the_grant_alone (void **state)
{
    s_fixture_t *self = *state;
    cf_batch_t *batch = cf_batch_new ();
    uint64_t taken = 0;
    for (int count = 0; count < 9; count++)
        assert_int_equal (
            cf_store_next_id (self->store, batch, "cert_seq/2026", &taken), 0);
    assert_int_equal (cf_store_commit (self->store, batch, NULL, NULL), 0);
    cf_batch_destroy (&batch);
    s_put_granted (self, "CF-2026-000501", 900001);
    cf_scheme_t *narrow = s_engine_numbering (self, "CF-SC-27922-2026.2", 1);

    //  The worker's grant and a submit, in one round
    Cf__JobOffer *offer = s_lease (self, "committee");
    assert_non_null (offer);
    Cf__JobResult result = CF__JOB_RESULT__INIT;
    result.job = offer->job->id;
    result.lease = offer->job->lease;
    result.event = "majority_grant";
    Cf__Request request;
    Cf__SubmitRequest submit;
    s_submit_request (self, &request, &submit, "submit-beside");
    size_t size;
    uint8_t *data = cf_pb_pack (&request.base, &size);
    cf_engine_begin (self->engine, self->now);
    cf_engine_result (self->engine, self->route, &s_worker, &result);
    cf_engine_request (self->engine, self->route, &s_applicant_b, data, size);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    free (data);
    cf_pb_free (&offer);
    assert_int_equal (cf_engine_outbox_size (self->engine), 2);
    zframe_t *route;
    const uint8_t *reply_data;
    size_t reply_size;
    assert_int_equal (cf_engine_outbox_item (self->engine, 0, &route,
                                             &reply_data, &reply_size),
                      CF_OUTBOX_WORKER);
    Cf__DaemonMessage *message = NULL;
    assert_int_equal (cf_wire_decode (&cf__daemon_message__descriptor,
                                      reply_data, reply_size, (void **)&message,
                                      NULL),
                      0);
    assert_int_equal (message->reply->status, CF__STATUS__STATUS_REFUSED);
    assert_non_null (strstr (message->reply->message, "wider {SEQ:n}"));
    cf_pb_free (&message);
    Cf__Reply *reply = s_outbox_reply (self, 1);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    assert_int_equal (s_state (self, "CF-2026-000501"),
                      CF__STATE__STATE_COMMITTEE_REVIEW);
    Cf__Job *job = NULL;
    assert_int_equal (cf_store_get_job (self->store, 900001, &job), 0);
    assert_non_null (strstr (job->last_error, "CFC{YYYY}SC{SEQ:1}"));
    cf_pb_free (&job);
    assert_int_equal (
        s_history_count (self, &s_admin, "CF-2026-000501", 50, NULL), 1);

    //  A reissue by decision is refused the same way
    Cf__Case *certified = s_put_certified (self);
    cf_pb_free (&certified);
    Cf__CertificateReissue edit = CF__CERTIFICATE_REISSUE__INIT;
    edit.number = "CFC2026SC00077";
    edit.reason = "business licence renamed on 2026-11-20";
    edit.company_name = "云熙智能家电有限公司";
    request = (Cf__Request)CF__REQUEST__INIT;
    request.body_case = CF__REQUEST__BODY_CERTIFICATE_REISSUE;
    request.certificate_reissue = &edit;
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_REFUSED);
    assert_non_null (strstr (reply->message, "wider {SEQ:n}"));
    cf_pb_free (&reply);

    //  Widened, the waiting grant takes the tenth number
    cf_scheme_t *wide = s_engine_numbering (self, "CF-SC-27922-2026.3", 2);
    self->now += 60 * 1000;
    s_tick (self);
    offer = s_lease (self, "committee");
    assert_non_null (offer);
    assert_int_equal (s_result (self, offer, "majority_grant", NULL, NULL),
                      CF__STATUS__STATUS_OK);
    cf_pb_free (&offer);
    assert_int_equal (s_state (self, "CF-2026-000501"),
                      CF__STATE__STATE_ISSUANCE);
    offer = s_lease (self, "issuance");
    assert_string_equal (offer->job->certificate_number, "CFC2026SC10");
    cf_pb_free (&offer);
    cf_engine_destroy (&self->engine);
    cf_scheme_destroy (&narrow);
    cf_scheme_destroy (&wide);
    s_engine_open (self, 3);
}

//  A stored reply answers retries for the retention, then is dropped, and
//  the same id is a new request
static void
test_a_stored_reply_answers_retries_for_its_retention (void **state)
{
    s_fixture_t *self = *state;
    cf_engine_destroy (&self->engine);
    cf_engine_config_t config = {.lease_ms = 30000,
                                 .max_attempts = 3,
                                 .backoff_ms = 1000,
                                 .certs_dir = self->dir,
                                 .page_max = 100,
                                 .reply_retention_ms = S_DAY_MS};
    self->engine = cf_engine_new (self->store, self->scheme,
                                  cf_scheme_default_text (), &config);
    assert_non_null (self->engine);
    Cf__Request request;
    Cf__SubmitRequest submit;
    s_submit_request (self, &request, &submit, "kept-a-day");
    Cf__Reply *reply = s_request (self, &s_applicant_a, &request);
    assert_string_equal (reply->record->id, "CF-2026-000001");
    cf_pb_free (&reply);
    int64_t made = 0;
    assert_int_equal (cf_store_oldest_reply (self->store, &made), 0);
    assert_int_equal (made, self->now);

    self->now += 23 * 3600 * 1000;
    s_tick (self);
    reply = s_request (self, &s_applicant_a, &request);
    assert_string_equal (reply->record->id, "CF-2026-000001");
    cf_pb_free (&reply);
    self->now += 2 * 3600 * 1000;
    s_tick (self);
    assert_int_equal (cf_store_oldest_reply (self->store, &made), CF_ENOTFOUND);
    reply = s_request (self, &s_applicant_a, &request);
    assert_string_equal (reply->record->id, "CF-2026-000002");
    cf_pb_free (&reply);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
}

static Cf__Principal s_consultant = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "KEY-C",
    .name = "carol", .org = "CONSULT-C", .role = CF__ROLE__ROLE_APPLICANT};

//  Packs one request from who into the open round
static void
s_round_request (s_fixture_t *self, const Cf__Principal *who,
                 Cf__Request *request, const char *id)
{
    request->id = (char *)id;
    size_t size;
    uint8_t *data = cf_pb_pack (&request->base, &size);
    cf_engine_request (self->engine, self->route, who, data, size);
    free (data);
}

//  Queues, in the open round, a submit by applicant A; returns the new
//  case's id (caller frees) from the reply at outbox item index
static char *
s_round_submit (s_fixture_t *self, size_t index)
{
    Cf__Request request;
    Cf__SubmitRequest submit;
    s_submit_request (self, &request, &submit, NULL);
    char id[32];
    snprintf (id, sizeof id, "submit-%zu", index);
    s_round_request (self, &s_applicant_a, &request, id);
    Cf__Reply *reply = s_outbox_reply (self, index);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    char *case_id = strdup (reply->record->id);
    cf_pb_free (&reply);
    return case_id;
}

//  Queues, in the open round, event on case_id by applicant A with data,
//  as request id then case_id
static void
s_round_fire (s_fixture_t *self, const char *case_id, const char *event,
              Cf__EventData *data, const char *id)
{
    Cf__FireRequest fire = CF__FIRE_REQUEST__INIT;
    fire.case_id = (char *)case_id;
    fire.event = (char *)event;
    fire.data = data;
    Cf__Request request = CF__REQUEST__INIT;
    request.body_case = CF__REQUEST__BODY_FIRE;
    request.fire = &fire;
    char request_id[64];
    snprintf (request_id, sizeof request_id, "%s-%s", id, case_id);
    s_round_request (self, &s_applicant_a, &request, request_id);
}

//  Queues, in the open round, a signature of case_id (refused: there is no
//  contract) and its withdrawal (granted)
static void
s_round_refused_then_withdrawn (s_fixture_t *self, const char *case_id)
{
    s_round_fire (self, case_id, "contract_signed", NULL, "sign");
    Cf__EventData reason = CF__EVENT_DATA__INIT;
    reason.body_case = CF__EVENT_DATA__BODY_REASON;
    reason.reason = "the company is restructuring";
    s_round_fire (self, case_id, "withdraw", &reason, "withdraw");
}

//  The stored case is withdrawn after events events, with the application
//  it was submitted with
static void
s_assert_withdrawn (s_fixture_t *self, const char *case_id, uint32_t events)
{
    Cf__Case *record = NULL;
    assert_int_equal (cf_store_get_case (self->store, case_id, &record), 0);
    assert_int_equal (record->state, CF__STATE__STATE_WITHDRAWN);
    assert_int_equal (record->events, events);
    assert_non_null (record->application);
    size_t stored_size, sent_size;
    uint8_t *stored = cf_pb_pack (&record->application->base, &stored_size);
    uint8_t *sent = cf_pb_pack (&self->application->base, &sent_size);
    assert_int_equal (stored_size, sent_size);
    assert_memory_equal (stored, sent, sent_size);
    free (stored);
    free (sent);
    cf_pb_free (&record);
}

//  Three events on one case in one round: a submit, a refused signature
//  and a withdrawal. The commit writes the case once, as the round left
//  it, and what it stored is what the next round reads.
static void
test_a_case_changed_thrice_in_a_round_is_stored_as_it_ends (void **state)
{
    s_fixture_t *self = *state;
    self->now += 1000;
    cf_engine_begin (self->engine, self->now);
    char *id = s_round_submit (self, 0);
    s_round_refused_then_withdrawn (self, id);
    assert_int_equal (cf_engine_commit (self->engine), 0);
    assert_int_equal (cf_engine_outbox_size (self->engine), 3);
    Cf__Status answered[] = {CF__STATUS__STATUS_OK, CF__STATUS__STATUS_REFUSED,
                             CF__STATUS__STATUS_OK};
    for (size_t index = 0; index < 3; index++) {
        Cf__Reply *reply = s_outbox_reply (self, index);
        assert_int_equal (reply->status, answered[index]);
        cf_pb_free (&reply);
    }
    s_assert_withdrawn (self, id, 3);
    Cf__Case *record = NULL;
    assert_int_equal (cf_store_get_case (self->store, id, &record), 0);
    assert_int_equal (record->last_seq, cf_engine_last_seq (self->engine));
    cf_pb_free (&record);
    Cf__Reply *reply = s_status (self, &s_applicant_a, id);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_int_equal (reply->record->state, CF__STATE__STATE_WITHDRAWN);
    assert_int_equal (reply->record->events, 3);
    cf_pb_free (&reply);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (self->store, problems), 0);
    cf_problems_destroy (&problems);
    free (id);
}

//  The same round, and a stored case changed in it too, with the store's
//  map full at each of the commit's writes in turn: the engine grows the
//  map and commits the round again, and both cases are stored whole
static void
test_a_round_committed_again_after_a_full_map_is_stored_whole (void **state)
{
    s_fixture_t *self = *state;
    int filled = 0;
    for (int after = 0; after < 40; after++) {
        cf_engine_destroy (&self->engine);
        cf_store_destroy (&self->store);
        char command[128];
        snprintf (command, sizeof command, "rm -rf %s", self->dir);
        assert_int_equal (system (command), 0);
        strcpy (self->dir, "/tmp/cf-engine-XXXXXX");
        assert_non_null (mkdtemp (self->dir));
        assert_int_equal (cf_store_open (self->dir, 0, &self->store), 0);
        s_engine_open (self, 3);
        char *stored = strdup (s_new_case (self));
        self->now += 1000;
        cf_store_inject (self->store, CF_STORE_FAULT_MAP_FULL_AT_PUT, after);
        cf_engine_begin (self->engine, self->now);
        char *fresh = s_round_submit (self, 0);
        s_round_refused_then_withdrawn (self, fresh);
        s_round_refused_then_withdrawn (self, stored);
        size_t before = cf_store_map_size (self->store);
        assert_int_equal (cf_engine_commit (self->engine), 0);
        if (cf_store_map_size (self->store) > before)
            filled++;
        cf_store_inject (self->store, CF_STORE_FAULT_NONE, 0);
        s_assert_withdrawn (self, fresh, 3);
        s_assert_withdrawn (self, stored, 3);
        cf_problems_t *problems = cf_problems_new ();
        assert_int_equal (cf_store_verify (self->store, problems), 0);
        cf_problems_destroy (&problems);
        free (fresh);
        free (stored);
    }
    //  The fault met most of the commit's writes
    assert_true (filled >= 20);
}

//  A consultancy appointed by ORG-A acts in its name; the round that ends
//  the appointment already refuses it, on a read and in events since, and
//  the refused read is recorded; the company's own user goes on
static void
test_consultancy_wall_falls_in_the_round_that_ends_it (void **state)
{
    s_fixture_t *self = *state;
    Cf__Request request = CF__REQUEST__INIT;
    Cf__Appointment asked = CF__APPOINTMENT__INIT;
    asked.consultancy = "CONSULT-C";
    asked.company = "ORG-A";
    asked.uscc = self->application->uscc;
    request.body_case = CF__REQUEST__BODY_APPOINTMENT_ADD;
    request.appointment_add = &asked;
    //  Only an administrator records it
    Cf__Reply *reply = s_request (self, &s_consultant, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_FORBIDDEN);
    cf_pb_free (&reply);
    reply = s_request (self, &s_admin, &request);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_string_equal (reply->appointment->added_by->name, "admin");
    cf_pb_free (&reply);

    reply = s_submit (self, &s_consultant);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    char *case_id = strdup (reply->record->id);
    assert_string_equal (reply->record->org, "ORG-A");
    assert_string_equal (reply->record->consultancy, "CONSULT-C");
    cf_pb_free (&reply);
    reply = s_status (self, &s_consultant, case_id);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    //  Another company's user sees nothing of it
    reply = s_status (self, &s_applicant_b, case_id);
    assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
    cf_pb_free (&reply);

    //  One round: the end, then a read and events since
    self->now += 1000;
    cf_engine_begin (self->engine, self->now);
    Cf__AppointmentEnd end = CF__APPOINTMENT_END__INIT;
    end.consultancy = "CONSULT-C";
    end.company = "ORG-A";
    end.reason = "ORG-A's notice";
    Cf__Request ending = CF__REQUEST__INIT;
    ending.body_case = CF__REQUEST__BODY_APPOINTMENT_END;
    ending.appointment_end = &end;
    s_round_request (self, &s_admin, &ending, "end-1");
    Cf__CaseRef ref = CF__CASE_REF__INIT;
    ref.case_id = case_id;
    Cf__Request read = CF__REQUEST__INIT;
    read.body_case = CF__REQUEST__BODY_STATUS;
    read.status = &ref;
    s_round_request (self, &s_consultant, &read, "read-1");
    Cf__EventsSince since = CF__EVENTS_SINCE__INIT;
    Cf__Request events = CF__REQUEST__INIT;
    events.body_case = CF__REQUEST__BODY_EVENTS;
    events.events = &since;
    s_round_request (self, &s_consultant, &events, "events-1");
    assert_int_equal (cf_engine_commit (self->engine), 0);
    assert_int_equal (cf_engine_outbox_size (self->engine), 3);
    reply = s_outbox_reply (self, 0);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_true (reply->appointment->ended_at > 0);
    cf_pb_free (&reply);
    reply = s_outbox_reply (self, 1);
    assert_int_equal (reply->status, CF__STATUS__STATUS_NOT_FOUND);
    cf_pb_free (&reply);
    reply = s_outbox_reply (self, 2);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_int_equal (reply->events->n_events, 0);
    cf_pb_free (&reply);

    //  The company's own user reads on, and sees the refused read
    reply = s_status (self, &s_applicant_a, case_id);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    cf_pb_free (&reply);
    Cf__HistoryRequest history = CF__HISTORY_REQUEST__INIT;
    history.case_id = case_id;
    Cf__Request asking = CF__REQUEST__INIT;
    asking.body_case = CF__REQUEST__BODY_HISTORY;
    asking.history = &history;
    reply = s_request (self, &s_applicant_a, &asking);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    bool recorded = false;
    for (size_t index = 0; index < reply->events->n_events; index++) {
        const Cf__Event *event = reply->events->events[index];
        recorded =
            recorded || (strcmp (event->principal->name, "carol") == 0 &&
                         strcmp (event->event, "read") == 0 && *event->refused);
    }
    assert_true (recorded);
    cf_pb_free (&reply);
    free (case_id);
}

//  A report request of kind (cnca_report, reports, report_submitted) for
//  month, from who
static Cf__Reply *
s_report_request (s_fixture_t *self, const Cf__Principal *who,
                  Cf__Request__BodyCase kind, const char *month, const char *id)
{
    Cf__Request request = CF__REQUEST__INIT;
    Cf__ReportQuery query = CF__REPORT_QUERY__INIT;
    Cf__ReportSubmission submission = CF__REPORT_SUBMISSION__INIT;
    query.month = submission.month = (char *)month;
    request.body_case = kind;
    request.cnca_report = &query;
    if (kind == CF__REQUEST__BODY_REPORTS)
        request.reports = true;
    else if (kind == CF__REQUEST__BODY_REPORT_SUBMITTED)
        request.report_submitted = &submission;
    request.id = (char *)id;
    return s_request (self, who, &request);
}

static Cf__Status
s_report_status (s_fixture_t *self, const Cf__Principal *who,
                 Cf__Request__BodyCase kind, const char *month,
                 const char *needle)
{
    Cf__Reply *reply = s_report_request (self, who, kind, month, NULL);
    Cf__Status status = reply->status;
    if (needle && !strstr (reply->message, needle))
        fail_msg ("'%s' does not say '%s'", reply->message, needle);
    cf_pb_free (&reply);
    return status;
}

//  The engine decides who reads the regulator's report and who marks it
//  submitted, whoever asks; the month's reminder is an event of no case
//  that staff see and applicants do not
static void
test_the_regulators_report_by_role (void **state)
{
    s_fixture_t *self = *state;
    Cf__Reply *reply = s_submit (self, &s_applicant_a);
    cf_pb_free (&reply);
    char month[8], next[8], fifth[11];
    cf_day_t today = cf_date_from_ms (self->now);
    int year, number, mday;
    cf_date_to_ymd (today, &year, &number, &mday);
    cf_day_t first = cf_date_from_ymd (year, number, 1);
    snprintf (month, sizeof month, "%.7s", cf_date_format (first, fifth));
    cf_date_format (cf_date_add_months (first, 1), fifth);
    snprintf (next, sizeof next, "%.7s", fifth);
    fifth[8] = '0', fifth[9] = '5';
    const struct {
        Cf__Role role;
        bool reads;
    } roles[] = {
        {CF__ROLE__ROLE_APPLICANT, false}, {CF__ROLE__ROLE_REVIEWER, true},
        {CF__ROLE__ROLE_AUDITOR, true},    {CF__ROLE__ROLE_COMMITTEE, true},
        {CF__ROLE__ROLE_ADMIN, true},      {CF__ROLE__ROLE_WORKER, false},
        {CF__ROLE__ROLE_MONITOR, false},
    };
    for (size_t index = 0; index < sizeof roles / sizeof roles[0]; index++) {
        Cf__Principal who = s_admin;
        who.role = roles[index].role;
        who.org = roles[index].role == CF__ROLE__ROLE_APPLICANT ? "ORG-A" : "";
        Cf__Status expected = roles[index].reads ? CF__STATUS__STATUS_OK
                                                 : CF__STATUS__STATUS_FORBIDDEN;
        assert_int_equal (
            s_report_status (self, &who, CF__REQUEST__BODY_CNCA_REPORT, month,
                             roles[index].reads
                                 ? NULL
                                 : "may not read the regulator's report"),
            expected);
        assert_int_equal (s_report_status (self, &who,
                                           CF__REQUEST__BODY_REPORTS, month,
                                           NULL),
                          expected);
        if (roles[index].role != CF__ROLE__ROLE_ADMIN)
            assert_int_equal (
                s_report_status (self, &who, CF__REQUEST__BODY_REPORT_SUBMITTED,
                                 month, "admin only"),
                CF__STATUS__STATUS_FORBIDDEN);
    }
    //  The admin, for a month not over, a month that owes none, no month
    assert_int_equal (s_report_status (self, &s_admin,
                                       CF__REQUEST__BODY_REPORT_SUBMITTED,
                                       month, "is not over"),
                      CF__STATUS__STATUS_REFUSED);
    assert_int_equal (s_report_status (self, &s_admin,
                                       CF__REQUEST__BODY_REPORT_SUBMITTED,
                                       "1999-01", "owes no report"),
                      CF__STATUS__STATUS_NOT_FOUND);
    assert_int_equal (s_report_status (self, &s_admin,
                                       CF__REQUEST__BODY_CNCA_REPORT, "1999",
                                       "YYYY-MM"),
                      CF__STATUS__STATUS_BAD_REQUEST);

    //  The 5th of the next month: one reminder, of no case
    cf_day_t day;
    assert_int_equal (cf_date_parse (fifth, &day), 0);
    assert_true (cf_engine_next_due (self->engine) == cf_date_to_ms (day));
    self->now = cf_date_to_ms (day) + 3600 * 1000;
    s_tick (self);
    assert_int_equal (cf_engine_event_count (self->engine), 1);
    const Cf__Event *event = cf_engine_event (self->engine, 0);
    assert_string_equal (event->event, "report_due");
    assert_string_equal (event->case_id, "");
    assert_string_equal (event->report, month);
    uint64_t seq = event->seq;
    s_tick (self);
    assert_int_equal (cf_engine_event_count (self->engine), 0);
    assert_true (cf_engine_next_due (self->engine) > self->now);
    //  Staff see it in events since; an applicant does not
    const Cf__Principal *readers[] = {&s_admin, &s_applicant_a};
    for (size_t index = 0; index < 2; index++) {
        Cf__Request request = CF__REQUEST__INIT;
        Cf__EventsSince since = CF__EVENTS_SINCE__INIT;
        since.after = seq - 1;
        request.body_case = CF__REQUEST__BODY_EVENTS;
        request.events = &since;
        reply = s_request (self, readers[index], &request);
        assert_int_equal (reply->events->n_events, index == 0 ? 1 : 0);
        cf_pb_free (&reply);
    }
    //  Submitted once: a retry gets the same reply, another request is
    //  refused with who did it
    reply = s_report_request (
        self, &s_admin, CF__REQUEST__BODY_REPORT_SUBMITTED, month, "submit-1");
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_string_equal (reply->reports->obligations[0]->status, "submitted");
    assert_string_equal (reply->reports->obligations[0]->submitted_by, "admin");
    assert_true (reply->reports->obligations[0]->submitted_at == self->now);
    uint64_t last = cf_engine_last_seq (self->engine);
    Cf__Reply *again = s_report_request (
        self, &s_admin, CF__REQUEST__BODY_REPORT_SUBMITTED, month, "submit-1");
    assert_int_equal (again->status, CF__STATUS__STATUS_OK);
    assert_true (again->reports->obligations[0]->submitted_at ==
                 reply->reports->obligations[0]->submitted_at);
    assert_true (cf_engine_last_seq (self->engine) == last);
    cf_pb_free (&again);
    cf_pb_free (&reply);
    assert_int_equal (s_report_status (self, &s_admin,
                                       CF__REQUEST__BODY_REPORT_SUBMITTED,
                                       month, "was submitted on"),
                      CF__STATUS__STATUS_CONFLICT);
    reply = s_report_request (self, &s_admin, CF__REQUEST__BODY_REPORTS, NULL,
                              NULL);
    assert_int_equal (reply->reports->n_obligations, 2);
    assert_string_equal (reply->reports->obligations[0]->status, "submitted");
    assert_string_equal (reply->reports->obligations[1]->month, next);
    assert_string_equal (reply->reports->obligations[1]->status, "open");
    cf_pb_free (&reply);
    //  A restart reminds no one again
    cf_engine_destroy (&self->engine);
    s_engine_open (self, 3);
    s_tick (self);
    assert_int_equal (cf_engine_event_count (self->engine), 0);
    assert_int_equal (cf_store_verify (self->store, NULL), 0);
}

int
main (void)
{
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_submit_creates_a_case_and_an_intake_job),
        TEST (test_a_case_changed_thrice_in_a_round_is_stored_as_it_ends),
        TEST (test_a_round_committed_again_after_a_full_map_is_stored_whole),
        TEST (test_consultancy_wall_falls_in_the_round_that_ends_it),
        TEST (test_the_regulators_report_by_role),
        TEST (test_a_retried_request_is_answered_from_the_stored_reply),
        TEST (test_the_same_id_twice_in_one_round_applies_once),
        TEST (test_the_same_id_with_another_body_in_one_round_conflicts),
        TEST (test_a_duplicated_result_in_one_round_is_refused_alone),
        TEST (test_long_names_are_quoted_short_and_limits_named),
        TEST (test_refusals_are_recorded_without_payload_and_coalesced),
        TEST (test_history_is_paged),
        TEST (test_identity_issue_is_exactly_once),
        TEST (test_identity_issue_survives_a_crash_before_the_commit),
        TEST (test_workers_are_held_to_their_own_leases),
        TEST (test_events_since_pages_over_what_an_applicant_sees),
        TEST (test_another_organization_sees_nothing_and_is_recorded),
        TEST (test_refused_transitions_are_recorded_and_change_nothing),
        TEST (test_bad_frames_get_error_replies),
        TEST (test_expired_leases_back_off_then_park_then_retry),
        TEST (test_restart_rebuilds_the_view_from_the_store),
        TEST (test_deadlines_fire_as_events),
        TEST (test_a_failed_commit_applies_nothing_and_says_so),
        TEST (test_lists_page_and_applicants_see_their_own),
        TEST (test_staff_records_are_checked_and_admin_only),
        TEST (test_offers_carry_staff_only_where_people_are_chosen),
        TEST (test_a_case_that_ends_cancels_its_jobs),
        TEST (test_each_case_runs_under_its_own_scheme),
        TEST (test_a_certificate_lives_its_own_life),
        TEST (test_a_certificate_document_is_signed_for_its_holder),
        TEST (test_a_refused_reissue_takes_no_number),
        TEST (test_a_used_up_number_pattern_refuses_the_grant_alone),
        TEST (test_a_stored_reply_answers_retries_for_its_retention),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
