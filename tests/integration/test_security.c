/*  =========================================================================
    test_security - who may act, as the transport proves it: impartial
    votes, one consultancy blind to another's cases, strangers and revoked
    identities refused at the door
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_identity.h"
#include "cf_pb.h"
#include "cf_proc.h"
#include "cf_wire.h"

#define S_ORG       "YUNXI"
#define S_OTHER_ORG "HAIBIN"

//  How long a refused client waits before it counts the daemon unreachable

//  How long a raw socket waits to be sure nothing comes, ms
#define S_SILENCE_MS 1000

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "security");
}

//  Returns the index of the history event of principal name with event,
//  refused; fails the test when there is none
static size_t
s_refusal (json_object *history, const char *event, const char *name)
{
    size_t count = cf_proc_json_length (history, "/events/events");
    for (size_t index = 0; index < count; index++)
        if (strcmp (
                cf_proc_json_nth (history, "/events/events/%zu/event", index),
                event) == 0 &&
            strcmp (cf_proc_json_nth (
                        history, "/events/events/%zu/principal/name", index),
                    name) == 0 &&
            *cf_proc_json_nth (history, "/events/events/%zu/refused", index))
            return index;
    fail_msg ("no refused %s by %s in the history", event, name);
    return 0;
}

//  A ping the daemon answers: it is still serving
static void
s_assert_serving (cf_proc_t *proc)
{
    assert_true (cf_proc_running (cf_proc_current_daemon (proc)));
    cf_proc_expect (proc, 0, NULL, "ping", NULL);
}

static void
test_auditors_of_the_case_may_not_vote (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    const char *case_id = cf_proc_submit_example (proc, applicant);
    const cf_proc_output_t *status =
        cf_proc_to_committee (proc, applicant, case_id, NULL);
    const char *leader =
        cf_proc_json_string (status->json, "/record/plan/leader");
    const char *member =
        cf_proc_json_string (status->json, "/record/plan/members/0");
    assert_non_null (leader);
    assert_non_null (member);

    //  The team leader, with the auditor certificate it audited under
    const char *auditor = cf_proc_principal (proc, leader, "auditor", NULL);
    const cf_proc_output_t *vote =
        cf_proc_expect (proc, 1, auditor, "--json", "vote", case_id, "grant",
                        "--reason", "I audited it myself", NULL);
    assert_string_equal (cf_proc_json_string (vote->json, "/status"),
                         "STATUS_FORBIDDEN");
    assert_string_equal (cf_proc_json_string (vote->json, "/error"),
                         "CF_EFORBIDDEN");
    assert_non_null (strstr (vote->err, "committee"));

    //  A team member who also sits on committees: still not independent
    const char *insider = cf_proc_principal (proc, member, "committee", NULL);
    vote = cf_proc_expect (proc, 1, insider, "--json", "vote", case_id, "grant",
                           "--reason", "looks fine", NULL);
    assert_string_equal (cf_proc_json_string (vote->json, "/status"),
                         "STATUS_REFUSED");
    assert_string_equal (cf_proc_json_string (vote->json, "/error"),
                         "CF_EGUARD");
    const char *message = cf_proc_json_string (vote->json, "/message");
    assert_non_null (strstr (message, member));
    assert_non_null (strstr (message, "independent"));

    //  Nothing was counted, and both attempts are on the record
    status = cf_proc_expect (proc, 0, NULL, "--json", "status", case_id, NULL);
    assert_string_equal (cf_proc_state_of (status), "committee_review");
    assert_int_equal (
        cf_proc_json_length (status->json, "/record/committee/ballots"), 0);
    const cf_proc_output_t *history =
        cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    size_t first = s_refusal (history->json, "vote", leader);
    assert_string_equal (cf_proc_json_nth (history->json,
                                           "/events/events/%zu/principal/role",
                                           first),
                         "ROLE_AUDITOR");
    assert_non_null (strstr (
        cf_proc_json_nth (history->json, "/events/events/%zu/refused", first),
        "CF_EFORBIDDEN"));
    size_t second = s_refusal (history->json, "vote", member);
    assert_string_equal (cf_proc_json_nth (history->json,
                                           "/events/events/%zu/principal/role",
                                           second),
                         "ROLE_COMMITTEE");
    assert_non_null (strstr (
        cf_proc_json_nth (history->json, "/events/events/%zu/refused", second),
        "CF_EGUARD"));
    assert_true (first < second);
}

//  Checks a reply for another organization's case: exactly what a missing
//  case gets, but for the id in the message
static void
s_assert_like_missing (const cf_proc_output_t *other,
                       const cf_proc_output_t *missing, const char *case_id,
                       const char *missing_id)
{
    assert_string_equal (cf_proc_json_string (other->json, "/status"),
                         "STATUS_NOT_FOUND");
    assert_string_equal (cf_proc_json_string (other->json, "/status"),
                         cf_proc_json_string (missing->json, "/status"));
    assert_string_equal (cf_proc_json_string (other->json, "/error"),
                         cf_proc_json_string (missing->json, "/error"));
    const char *said = cf_proc_json_string (other->json, "/message");
    const char *expected = cf_proc_json_string (missing->json, "/message");
    const char *at = strstr (expected, missing_id);
    assert_non_null (at);
    char *rewritten = NULL;
    assert_true (asprintf (&rewritten, "%.*s%s%s", (int)(at - expected),
                           expected, case_id, at + strlen (missing_id)) > 0);
    bool same = strcmp (said, rewritten) == 0;
    free (rewritten);
    assert_true (same);
    assert_null (cf_proc_json (other->json, "/record"));
    assert_null (cf_proc_json (other->json, "/events"));
}

static void
test_other_consultancy_sees_nothing (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    const char *owner = cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    const char *other =
        cf_proc_principal (proc, "haibin", "applicant", S_OTHER_ORG);
    const char *case_id = cf_proc_submit_example (proc, owner);
    const char *missing = "CF-2026-999999";

    //  Reading: status and history say "not found", as for no case at all
    s_assert_like_missing (
        cf_proc_expect (proc, 1, other, "--json", "status", case_id, NULL),
        cf_proc_expect (proc, 1, other, "--json", "status", missing, NULL),
        case_id, missing);
    s_assert_like_missing (
        cf_proc_expect (proc, 1, other, "--json", "history", case_id, NULL),
        cf_proc_expect (proc, 1, other, "--json", "history", missing, NULL),
        case_id, missing);
    //  Acting: the same, and nothing happens to the case
    s_assert_like_missing (
        cf_proc_expect (proc, 1, other, "--json", "withdraw", case_id,
                        "--reason", "we take over this client", NULL),
        cf_proc_expect (proc, 1, other, "--json", "withdraw", missing,
                        "--reason", "we take over this client", NULL),
        case_id, missing);
    const cf_proc_output_t *listed =
        cf_proc_expect (proc, 0, other, "--json", "list", NULL);
    assert_int_equal (cf_proc_json_length (listed->json, "/page/cases"), 0);

    //  The owner still has it, untouched
    const cf_proc_output_t *status =
        cf_proc_expect (proc, 0, owner, "--json", "status", case_id, NULL);
    assert_string_equal (cf_proc_state_of (status), "submitted");
    listed = cf_proc_expect (proc, 0, owner, "--json", "list", NULL);
    assert_int_equal (cf_proc_json_length (listed->json, "/page/cases"), 1);

    //  The attempts are recorded on the case, refused, with who tried
    const cf_proc_output_t *history =
        cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    size_t count = cf_proc_json_length (history->json, "/events/events");
    size_t reads = 0, withdrawals = 0;
    for (size_t index = 0; index < count; index++) {
        if (strcmp (cf_proc_json_nth (history->json,
                                      "/events/events/%zu/principal/name",
                                      index),
                    "haibin") != 0)
            continue;
        assert_string_equal (
            cf_proc_json_nth (history->json, "/events/events/%zu/principal/org",
                              index),
            S_OTHER_ORG);
        const char *refused = cf_proc_json_nth (
            history->json, "/events/events/%zu/refused", index);
        assert_non_null (strstr (refused, "CF_EFORBIDDEN"));
        assert_non_null (strstr (refused, S_OTHER_ORG));
        const char *event =
            cf_proc_json_nth (history->json, "/events/events/%zu/event", index);
        if (strcmp (event, "withdraw") == 0)
            withdrawals++;
        else
            reads++;
    }
    //  The two reads (status, history) within a minute are recorded once
    assert_int_equal (reads, 1);
    assert_int_equal (withdrawals, 1);
}

//  What the feed gives another consultancy is what the API gives it: the
//  PUB socket carries no event, case or name, only how far the log grew;
//  each watcher reads the events it may see through the API
static void
test_feed_shows_each_consultancy_only_its_own (void **state)
{
    cf_proc_t *proc = *state;
    const char *owner = cf_proc_full_site (proc, S_ORG);
    const char *other =
        cf_proc_principal (proc, "haibin", "applicant", S_OTHER_ORG);
    zsock_t *feed = cf_proc_subscriber (proc, other);
    zmsg_t *message = cf_proc_receive (feed, 5000);  //  A first heartbeat
    assert_non_null (message);
    zmsg_destroy (&message);
    const char *case_id = cf_proc_submit_example (proc, owner);
    cf_proc_drive (proc, owner, case_id, "onsite_audit", CF_PROC_STATE_MS);

    size_t rings = 0;
    while ((message = cf_proc_receive (feed, 300))) {
        assert_int_equal (zmsg_size (message), 2);
        char *topic = zmsg_popstr (message);
        zframe_t *body = zmsg_pop (message);
        Cf__FeedMessage *told = NULL;
        assert_int_equal (
            cf_wire_decode (&cf__feed_message__descriptor, zframe_data (body),
                            zframe_size (body), (void **)&told, NULL),
            0);
        if (strcmp (topic, "seq") == 0) {
            assert_int_equal (told->body_case,
                              CF__FEED_MESSAGE__BODY_COMMITTED);
            rings++;
        } else {
            assert_string_equal (topic, "hb");
            assert_int_equal (told->body_case,
                              CF__FEED_MESSAGE__BODY_HEARTBEAT);
        }
        assert_null (memmem (zframe_data (body), zframe_size (body), case_id,
                             strlen (case_id)));
        cf_pb_free (&told);
        zframe_destroy (&body);
        free (topic);
        zmsg_destroy (&message);
    }
    assert_true (rings > 0);

    //  Its own case: its watcher shows its submit, none of the other's
    const char *own = cf_proc_submit_example (proc, other);
    const cf_proc_output_t *watched =
        cf_proc_expect (proc, 0, other, "--json", "watch", "--since", "0",
                        "--count", "1", NULL);
    assert_int_equal (watched->line_count, 1);
    assert_string_equal (cf_proc_json_string (watched->lines[0], "/case_id"),
                         own);
    //  The owner's watcher begins with its own case, from the first event
    watched = cf_proc_expect (proc, 0, owner, "--json", "watch", "--since", "0",
                              "--count", "2", NULL);
    assert_int_equal (watched->line_count, 2);
    assert_string_equal (cf_proc_json_string (watched->lines[0], "/case_id"),
                         case_id);
    assert_string_equal (cf_proc_json_string (watched->lines[1], "/event"),
                         "intake_passed");
}

static void
test_stranger_gets_nothing_at_all (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    const char *stranger = cf_proc_stranger (proc);

    //  The handshake is refused, and the client says so at once (exit 4),
    //  without waiting out its tries of 4 s each
    int64_t started = zclock_mono ();
    const cf_proc_output_t *ping =
        cf_proc_expect (proc, 4, stranger, "ping", NULL);
    assert_true (zclock_mono () - started < 3000);
    assert_string_equal (ping->out, "");
    assert_non_null (strstr (ping->err, "refused this certificate (revoked or "
                                        "not issued"));
    cf_proc_expect (proc, 4, stranger, "submit",
                    cf_proc_source (proc, "examples/application.json"), NULL);
    //  A raw socket with its key hears nothing either
    zsock_t *dealer = cf_proc_dealer (proc, stranger);
    Cf__Request request = CF__REQUEST__INIT;
    request.id = "stranger-1";
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    assert_null (cf_proc_reply (proc, dealer, S_SILENCE_MS, NULL));

    //  Meanwhile a known client is served
    s_assert_serving (proc);
    const cf_proc_output_t *listed =
        cf_proc_expect (proc, 0, NULL, "--json", "list", NULL);
    assert_int_equal (cf_proc_json_length (listed->json, "/page/cases"), 0);
}

//  Waits up to timeout_ms for monitor (a zmonitor) to tell event; true
//  when it did
static bool
s_monitor_says (zactor_t *monitor, const char *event, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    for (int64_t now = zclock_mono (); now < deadline; now = zclock_mono ()) {
        zmsg_t *told =
            cf_proc_receive (zactor_sock (monitor), (int)(deadline - now));
        if (!told)
            return false;
        char *name = zmsg_popstr (told);
        bool said = name && strcmp (name, event) == 0;
        zstr_free (&name);
        zmsg_destroy (&told);
        if (said)
            return true;
    }
    return false;
}

//  A raw client socket with cert whose ping was answered OK
static zsock_t *
s_pinged_dealer (cf_proc_t *proc, const char *cert)
{
    zsock_t *dealer = cf_proc_dealer (proc, cert);
    Cf__Request request = CF__REQUEST__INIT;
    request.id = "first-ping";
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    const Cf__Reply *reply = cf_proc_reply (proc, dealer, 5000, NULL);
    assert_non_null (reply);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    return dealer;
}

static void
test_revoked_identity_stops_working (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    const char *leaver = cf_proc_principal (proc, "leaver", "monitor", NULL);
    const cf_proc_output_t *who =
        cf_proc_expect (proc, 0, leaver, "--json", "whoami", NULL);
    const char *key = cf_proc_json_string (who->json, "/principal/key");
    assert_non_null (key);
    assert_string_equal (cf_proc_json_string (who->json, "/principal/role"),
                         "ROLE_MONITOR");

    //  A connection made before the revocation, working
    zsock_t *dealer = s_pinged_dealer (proc, leaver);
    Cf__Request request = CF__REQUEST__INIT;
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;

    //  "--": a Z85 key may start with '-'
    zactor_t *monitor = zactor_new (zmonitor, dealer);
    assert_non_null (monitor);
    zstr_sendx (monitor, "LISTEN", "DISCONNECTED", "HANDSHAKE_FAILED_AUTH",
                NULL);
    zstr_send (monitor, "START");
    zsock_wait (monitor);
    cf_proc_expect (proc, 0, NULL, "identity", "revoke", "--", key, NULL);
    assert_int_equal (
        access (cf_proc_path (proc, "data/certs/monitor-leaver.cert"), F_OK),
        -1);

    //  The open connection is closed by the daemon at once, with nothing
    //  sent on it, and its reconnection is refused at the handshake
    assert_true (s_monitor_says (monitor, "DISCONNECTED", 5000));
    assert_true (s_monitor_says (monitor, "HANDSHAKE_FAILED_AUTH", 5000));
    zactor_destroy (&monitor);

    //  What it still queues goes nowhere: the socket has no connection
    request.id = "after-revoke";
    size_t size = 0;
    uint8_t *data = cf_pb_pack (&request.base, &size);
    zframe_t *frame = zframe_new (data, size);
    free (data);
    if (zframe_send (&frame, dealer, ZFRAME_DONTWAIT) != 0)
        zframe_destroy (&frame);
    assert_null (cf_proc_reply (proc, dealer, S_SILENCE_MS, NULL));
    //  And a new one does not get through the handshake, which the
    //  client tells apart from a dead daemon
    const cf_proc_output_t *ping =
        cf_proc_expect (proc, 4, leaver, "ping", NULL);
    assert_string_equal (ping->out, "");
    assert_non_null (strstr (ping->err, "refused this certificate"));
    //  Revoking again: there is nothing left to revoke
    const cf_proc_output_t *again = cf_proc_expect (
        proc, 1, NULL, "--json", "identity", "revoke", "--", key, NULL);
    assert_string_equal (cf_proc_json_string (again->json, "/status"),
                         "STATUS_NOT_FOUND");
    s_assert_serving (proc);
}

//  A certificate deleted by hand (no revoke, no reload) ends the open
//  connection of its key at the key's next message, unanswered, a
//  misframed one too
static void
test_unknown_key_message_closes_its_connection (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    const char *leaver = cf_proc_principal (proc, "leaver", "monitor", NULL);
    zsock_t *dealer = s_pinged_dealer (proc, leaver);

    zactor_t *closed = cf_proc_monitor (proc, dealer, "DISCONNECTED");
    assert_int_equal (
        unlink (cf_proc_path (proc, "data/certs/monitor-leaver.cert")), 0);
    //  Nothing is closed before the key speaks
    assert_false (cf_proc_wait_event (closed, S_SILENCE_MS));
    //  A misframed message: the identity is checked before the framing
    zmsg_t *two = zmsg_new ();
    zmsg_addstr (two, "one");
    zmsg_addstr (two, "two");
    assert_int_equal (zmsg_send (&two, dealer), 0);
    assert_true (cf_proc_wait_event (closed, 5000));
    assert_null (cf_proc_receive (dealer, S_SILENCE_MS));
    s_assert_serving (proc);
}

//  A worker's open connection to the worker API is closed by the
//  revocation of its key too, and the worker is offered nothing more
static void
test_revocation_closes_a_worker_connection (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    const char *worker = cf_proc_principal (proc, "w-leaver", "worker", NULL);
    const cf_proc_output_t *who =
        cf_proc_expect (proc, 0, worker, "--json", "whoami", NULL);
    char *key = strdup (cf_proc_json_string (who->json, "/principal/key"));
    zsock_t *dealer = cf_proc_worker_dealer (proc, worker);
    Cf__WorkerMessage message = CF__WORKER_MESSAGE__INIT;
    Cf__WorkerReady ready = CF__WORKER_READY__INIT;
    ready.capacity = 1;
    message.body_case = CF__WORKER_MESSAGE__BODY_READY;
    message.ready = &ready;
    assert_int_equal (cf_proc_send (dealer, &message.base), 0);
    //  The daemon's heartbeat: it took the worker in
    zmsg_t *beat = cf_proc_receive (dealer, 5000);
    assert_non_null (beat);
    zmsg_destroy (&beat);

    zactor_t *closed = cf_proc_monitor (proc, dealer, "DISCONNECTED");
    cf_proc_expect (proc, 0, NULL, "identity", "revoke", "--", key, NULL);
    free (key);
    assert_true (cf_proc_wait_event (closed, 5000));
    assert_true (cf_proc_log_count (cf_proc_current_daemon (proc),
                                    "worker w-leaver forgotten") == 1);
    s_assert_serving (proc);
}

//  A SUB socket on the feed with the CURVE identity cert, subscribed to
//  everything; the caller destroys it
static zsock_t *
s_subscriber (cf_proc_t *proc, const char *cert)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    assert_non_null (sub);
    zsock_set_linger (sub, 0);
    assert_int_equal (
        cf_identity_client (sub, cert, cf_proc_server_cert (proc), NULL), 0);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", cf_proc_feed_endpoint (proc)),
                      0);
    return sub;
}

//  Waits up to timeout_ms for a feed message; with event, one that rings
//  for committed events (heartbeats are passed over). True when one came.
static bool
s_feed_message (zsock_t *sub, bool event, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    for (int64_t now = zclock_mono (); now < deadline; now = zclock_mono ()) {
        zmsg_t *msg = cf_proc_receive (sub, (int)(deadline - now));
        if (!msg)
            return false;
        zframe_t *body = zmsg_last (msg);
        Cf__FeedMessage *feed = NULL;
        bool is_event =
            body &&
            cf_wire_decode (&cf__feed_message__descriptor, zframe_data (body),
                            zframe_size (body), (void **)&feed, NULL) == 0 &&
            feed->body_case == CF__FEED_MESSAGE__BODY_COMMITTED;
        cf_pb_free (&feed);
        zmsg_destroy (&msg);
        if (!event || is_event)
            return true;
    }
    return false;
}

//  Reads and drops what is queued on sub
static void
s_drain (zsock_t *sub)
{
    zmsg_t *msg;
    while ((msg = cf_proc_receive (sub, 0)))
        zmsg_destroy (&msg);
}

//  Revocation closes what the key has open: a feed subscription opened
//  before it hears nothing more, while other subscribers go on
static void
test_revocation_closes_open_feed_subscriptions (void **state)
{
    cf_proc_t *proc = *state;
    const char *extra[] = {"--heartbeat-ms", "200", NULL};
    cf_proc_daemon (proc, extra);
    const char *leaver = cf_proc_principal (proc, "leaver", "monitor", NULL);
    const char *stayer = cf_proc_principal (proc, "stayer", "monitor", NULL);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    const cf_proc_output_t *who =
        cf_proc_expect (proc, 0, leaver, "--json", "whoami", NULL);
    char *key = strdup (cf_proc_json_string (who->json, "/principal/key"));
    zsock_t *gone = s_subscriber (proc, leaver);
    zsock_t *kept = s_subscriber (proc, stayer);
    //  Both hear the feed before
    assert_true (s_feed_message (gone, false, 5000));
    assert_true (s_feed_message (kept, false, 5000));

    cf_proc_expect (proc, 0, NULL, "identity", "revoke", "--", key, NULL);
    free (key);
    //  Once the sessions are closed, what was queued is read; the kept
    //  subscriber comes back through zauth, the revoked one cannot
    zclock_sleep (500);
    s_drain (gone);
    s_drain (kept);
    assert_true (s_feed_message (kept, false, 5000));
    cf_proc_submit_example (proc, applicant);
    assert_true (s_feed_message (kept, true, 5000));
    assert_false (s_feed_message (gone, false, S_SILENCE_MS));
    zsock_destroy (&gone);
    zsock_destroy (&kept);
    s_assert_serving (proc);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_auditors_of_the_case_may_not_vote,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_other_consultancy_sees_nothing,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_feed_shows_each_consultancy_only_its_own, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_stranger_gets_nothing_at_all,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_revoked_identity_stops_working,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_unknown_key_message_closes_its_connection, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_revocation_closes_a_worker_connection, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_revocation_closes_open_feed_subscriptions, s_setup,
            cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
