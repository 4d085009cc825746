/*  =========================================================================
    test_wire - what arrives on the sockets: bad frames get error replies
    or a dropped connection and the daemon serves on; the event feed
    reaches a late monitor and a running watcher without gap or repeat

    The raw drills use a DEALER of their own with an applicant's CURVE
    certificate, as any client could.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_daemon.h"
#include "cf_pb.h"
#include "cf_proc.h"
#include "cf_wire.h"

#define S_ORG "YUNXI"

//  How long a raw socket waits for an answer, ms
#define S_REPLY_MS 5000

//  How long a raw socket waits to be sure nothing comes, ms
#define S_SILENCE_MS 1500

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "wire");
}

//  A daemon and an applicant's raw socket
static zsock_t *
s_start (cf_proc_t *proc)
{
    cf_proc_daemon (proc, NULL);
    return cf_proc_dealer (
        proc, cf_proc_principal (proc, "yunxi", "applicant", S_ORG));
}

//  The daemon is alive and answers a well-behaved client
static void
s_assert_serving (cf_proc_t *proc)
{
    assert_true (cf_proc_running (cf_proc_current_daemon (proc)));
    const cf_proc_output_t *ping =
        cf_proc_expect (proc, 0, NULL, "--json", "ping", NULL);
    assert_string_equal (cf_proc_json_string (ping->json, "/status"),
                         "STATUS_OK");
}

//  A ping on the raw socket is answered
static void
s_assert_answered (cf_proc_t *proc, zsock_t *dealer, const char *id)
{
    Cf__Request request = CF__REQUEST__INIT;
    request.id = (char *)id;
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    const Cf__Reply *reply = cf_proc_reply (proc, dealer, S_REPLY_MS, NULL);
    assert_non_null (reply);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_string_equal (reply->id, id);
}

//  Sends size bytes as one frame and returns the daemon's answer
static const Cf__Reply *
s_exchange (cf_proc_t *proc, zsock_t *dealer, const void *data, size_t size)
{
    zframe_t *frame = zframe_new (data, size);
    assert_int_equal (zframe_send (&frame, dealer, 0), 0);
    const Cf__Reply *reply = cf_proc_reply (proc, dealer, S_REPLY_MS, NULL);
    if (!reply)
        fail_msg ("no answer to a frame of %zu bytes", size);
    return reply;
}

static void
test_frames_that_are_no_request_get_errors (void **state)
{
    cf_proc_t *proc = *state;
    zsock_t *dealer = s_start (proc);

    //  Not protobuf at all: a field tag whose varint never ends
    static const uint8_t garbage[] = {0x0a, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff};
    const Cf__Reply *reply = s_exchange (proc, dealer, garbage, sizeof garbage);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_string_equal (reply->error, "CF_EDECODE");
    s_assert_serving (proc);

    //  Protobuf, but with a field the schema does not have (field 99)
    static const uint8_t unknown[] = {0x0a, 0x01, 'x', 0x98, 0x06, 0x01};
    reply = s_exchange (proc, dealer, unknown, sizeof unknown);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_true (strcmp (reply->error, "CF_EINVAL") == 0 ||
                 strcmp (reply->error, "CF_EDECODE") == 0);
    s_assert_serving (proc);

    //  An empty frame is an empty Request: it has no id
    reply = s_exchange (proc, dealer, "", 0);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_string_equal (reply->error, "CF_EINVAL");
    assert_non_null (strstr (reply->message, "id"));
    s_assert_serving (proc);
}

static void
test_two_frames_get_an_error (void **state)
{
    cf_proc_t *proc = *state;
    zsock_t *dealer = s_start (proc);
    Cf__Request request = CF__REQUEST__INIT;
    request.id = "two-frames";
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;
    uint8_t packed[64];
    size_t size = cf__request__pack (&request, packed);
    zmsg_t *message = zmsg_new ();
    zmsg_addmem (message, packed, size);
    zmsg_addstr (message, "and a second frame");
    assert_int_equal (zmsg_send (&message, dealer), 0);
    const Cf__Reply *reply = cf_proc_reply (proc, dealer, S_REPLY_MS, NULL);
    assert_non_null (reply);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->message, "one frame"));
    assert_false (reply->body_case == CF__REPLY__BODY_SEQ);
    s_assert_serving (proc);

    //  The same request in one frame is answered
    reply = s_exchange (proc, dealer, packed, size);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_string_equal (reply->id, "two-frames");
    assert_int_equal (reply->body_case, CF__REPLY__BODY_SEQ);
}

static void
test_request_without_command_gets_an_error (void **state)
{
    cf_proc_t *proc = *state;
    zsock_t *dealer = s_start (proc);
    Cf__Request request = CF__REQUEST__INIT;
    request.id = "no-command";
    uint8_t packed[64];
    size_t size = cf__request__pack (&request, packed);
    const Cf__Reply *reply = s_exchange (proc, dealer, packed, size);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_string_equal (reply->error, "CF_EINVAL");
    assert_string_equal (reply->id, "no-command");
    assert_non_null (strstr (reply->message, "no command"));
    s_assert_serving (proc);

    //  A command without an id cannot be answered from a stored reply
    request.id = "";
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;
    size = cf__request__pack (&request, packed);
    reply = s_exchange (proc, dealer, packed, size);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->message, "id"));
    s_assert_serving (proc);
}

static void
test_oversized_frame_gets_an_error (void **state)
{
    cf_proc_t *proc = *state;
    zsock_t *dealer = s_start (proc);
    size_t size = CF_WIRE_MAX_FRAME + 1;
    uint8_t *big = calloc (1, size);
    assert_non_null (big);
    zframe_t *frame = zframe_new (big, size);
    free (big);
    assert_int_equal (zframe_send (&frame, dealer, 0), 0);
    const Cf__Reply *reply = cf_proc_reply (proc, dealer, S_REPLY_MS, NULL);
    assert_non_null (reply);
    assert_int_equal (reply->status, CF__STATUS__STATUS_BAD_REQUEST);
    assert_string_equal (reply->error, "CF_ELIMIT");
    assert_non_null (strstr (reply->message, "at most"));
    s_assert_serving (proc);
    s_assert_answered (proc, dealer, "after-oversized");
}

static void
test_huge_frame_drops_the_connection (void **state)
{
    cf_proc_t *proc = *state;
    zsock_t *dealer = s_start (proc);
    //  Connected and through the CURVE handshake first
    s_assert_answered (proc, dealer, "before-huge");
    zactor_t *dropped = cf_proc_monitor (proc, dealer, "DISCONNECTED");
    size_t size = CF_DAEMON_MAX_FRAME + 1;
    uint8_t *big = calloc (1, size);
    assert_non_null (big);
    zframe_t *frame = zframe_new (big, size);
    free (big);
    assert_int_equal (zframe_send (&frame, dealer, 0), 0);
    //  libzmq drops the connection, and nothing comes back
    assert_true (cf_proc_wait_event (dropped, S_REPLY_MS));
    assert_null (cf_proc_reply (proc, dealer, S_SILENCE_MS, NULL));
    s_assert_serving (proc);
    //  The socket reconnects by itself and is served again
    s_assert_answered (proc, dealer, "after-huge");
}

//  Starts a daemon and the front office (cf_proc_front_office); returns
//  the applicant's certificate and sets *monitor_p to a monitor's
//  Sends a READY with capacity from the raw worker dealer
static void
s_ready (zsock_t *dealer, uint32_t capacity)
{
    Cf__WorkerMessage message = CF__WORKER_MESSAGE__INIT;
    Cf__WorkerReady ready = CF__WORKER_READY__INIT;
    char *stages[] = {"intake"};
    ready.n_stages = 1;
    ready.stages = stages;
    ready.capacity = capacity;
    message.body_case = CF__WORKER_MESSAGE__BODY_READY;
    message.ready = &ready;
    assert_int_equal (cf_proc_send (dealer, &message.base), 0);
}

//  Waits up to timeout_ms for a job offer on the raw worker dealer
static bool
s_offered (zsock_t *dealer, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    for (int64_t now = zclock_mono (); now < deadline; now = zclock_mono ()) {
        zmsg_t *msg = cf_proc_receive (dealer, (int)(deadline - now));
        if (!msg)
            return false;
        zframe_t *frame = zmsg_first (msg);
        Cf__DaemonMessage *message = NULL;
        bool offer = cf_wire_decode (&cf__daemon_message__descriptor,
                                     zframe_data (frame), zframe_size (frame),
                                     (void **)&message, NULL) == 0 &&
                     message->body_case == CF__DAEMON_MESSAGE__BODY_OFFER;
        cf_pb_free (&message);
        zmsg_destroy (&msg);
        if (offer)
            return true;
    }
    return false;
}

//  A worker that announces a capacity without bound would be given every
//  ready job at once: its READY is refused, naming the limit
static void
test_worker_capacity_is_bounded (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    cf_proc_submit_example (
        proc, cf_proc_principal (proc, "yunxi", "applicant", S_ORG));
    zsock_t *worker = cf_proc_worker_dealer (
        proc, cf_proc_principal (proc, "raw-worker", "worker", NULL));
    s_ready (worker, UINT32_MAX);
    assert_int_equal (cf_proc_wait_log (cf_proc_current_daemon (proc),
                                        "capacity 4294967295 is above 1000", 1,
                                        5000),
                      0);
    assert_false (s_offered (worker, S_SILENCE_MS));
    s_ready (worker, 1);
    assert_true (s_offered (worker, 5000));
}

static const char *
s_watched_site (cf_proc_t *proc, const char **monitor_p)
{
    cf_proc_daemon (proc, NULL);
    cf_proc_front_office (proc);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    *monitor_p = cf_proc_principal (proc, "dashboard", "monitor", NULL);
    return applicant;
}

//  Checks that lines are the events after seq since, one each, in order,
//  and that they agree with each case's history
static void
s_assert_feed (cf_proc_t *proc, const cf_proc_output_t *watch, uint64_t since,
               size_t count)
{
    assert_int_equal (watch->status, 0);
    assert_int_equal (watch->line_count, count);
    for (size_t index = 0; index < count; index++) {
        json_object *event = watch->lines[index];
        assert_non_null (event);
        assert_int_equal (cf_proc_json_int (event, "/seq", 0),
                          since + index + 1);
        //  The same event as the case's history holds
        const char *case_id = cf_proc_json_string (event, "/case_id");
        const cf_proc_output_t *history =
            cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
        size_t events = cf_proc_json_length (history->json, "/events/events");
        bool found = false;
        for (size_t item = 0; item < events && !found; item++) {
            char pointer[64];
            snprintf (pointer, sizeof pointer, "/events/events/%zu/seq", item);
            if (cf_proc_json_int (history->json, pointer, 0) !=
                cf_proc_json_int (event, "/seq", 0))
                continue;
            found = true;
            assert_string_equal (cf_proc_json_nth (history->json,
                                                   "/events/events/%zu/event",
                                                   item),
                                 cf_proc_json_string (event, "/event"));
            assert_string_equal (cf_proc_json_nth (history->json,
                                                   "/events/events/%zu/hash",
                                                   item),
                                 cf_proc_json_string (event, "/hash"));
        }
        assert_true (found);
    }
}

static void
test_late_monitor_catches_up (void **state)
{
    cf_proc_t *proc = *state;
    const char *monitor;
    const char *applicant = s_watched_site (proc, &monitor);
    const char *first = cf_proc_submit_example (proc, applicant);
    const char *second = cf_proc_submit_example (proc, applicant);
    cf_proc_wait_state (proc, applicant, first, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);
    cf_proc_wait_state (proc, applicant, second, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);
    //  Two cases, four events each: submit, intake, review, contract
    const cf_proc_output_t *ping =
        cf_proc_expect (proc, 0, monitor, "--json", "ping", NULL);
    assert_int_equal (cf_proc_json_int (ping->json, "/seq", 0), 8);

    //  Started after all of it: everything from the start, once, in order
    s_assert_feed (proc,
                   cf_proc_expect (proc, 0, monitor, "--json", "watch",
                                   "--since", "0", "--count", "8", NULL),
                   0, 8);
    //  From the middle: the rest
    s_assert_feed (proc,
                   cf_proc_expect (proc, 0, monitor, "--json", "watch",
                                   "--since", "3", "--count", "5", NULL),
                   3, 5);
}

static void
test_running_watcher_sees_every_event (void **state)
{
    cf_proc_t *proc = *state;
    const char *monitor;
    const char *applicant = s_watched_site (proc, &monitor);
    const cf_proc_output_t *ping =
        cf_proc_expect (proc, 0, monitor, "--json", "ping", NULL);
    uint64_t since = (uint64_t)cf_proc_json_int (ping->json, "/seq", -1);
    char since_text[32];
    snprintf (since_text, sizeof since_text, "%llu", (unsigned long long)since);

    cf_proc_child_t *watcher =
        cf_proc_certflow_start (proc, monitor, "--json", "watch", "--since",
                                since_text, "--count", "8", NULL);
    //  The watcher shows the first case's events as they happen...
    const char *first = cf_proc_submit_example (proc, applicant);
    assert_int_equal (
        cf_proc_wait_log (watcher, "\"event\":\"submit\"", 1, CF_PROC_STATE_MS),
        0);
    cf_proc_wait_state (proc, applicant, first, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);
    assert_int_equal (cf_proc_wait_log (watcher,
                                        "\"event\":\"contract_issued\"", 1,
                                        CF_PROC_STATE_MS),
                      0);
    assert_true (cf_proc_running (watcher));
    //  ...and the second's, while it runs
    const char *second = cf_proc_submit_example (proc, applicant);
    cf_proc_wait_state (proc, applicant, second, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);
    s_assert_feed (proc, cf_proc_collect (proc, watcher, CF_PROC_STATE_MS),
                   since, 8);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_frames_that_are_no_request_get_errors, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_two_frames_get_an_error, s_setup,
                                         cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_request_without_command_gets_an_error, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_oversized_frame_gets_an_error,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_worker_capacity_is_bounded,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_huge_frame_drops_the_connection,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_late_monitor_catches_up, s_setup,
                                         cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_running_watcher_sees_every_event,
                                         s_setup, cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
