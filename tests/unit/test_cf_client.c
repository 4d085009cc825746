/*  Unit tests for the client: the Lazy Pirate request/reply against a fake
    certflowd (ROUTER and PUB with zauth and CURVE, in an actor), the watch
    that never skips nor repeats an event, the JSON printer, the small input
    files, and the command line's usage errors and exit codes.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <czmq.h>

#include "cf_cli.h"
#include "cf_client.h"
#include "cf_file.h"
#include "cf_identity.h"
#include "cf_input.h"
#include "cf_pb.h"
#include "cf_pbjson.h"
#include "cf_show.h"
#include "cf_watch.h"
#include "cf_wire.h"

//  ------------------------------------------------------------------------
//  The world every test shares: certificates in a temporary data
//  directory, and zauth with its certs/ as the allow-list

typedef struct {
    char data[64];          //  Temporary data directory
    char cert[128];         //  The admin's secret certificate (the client's)
    char server_cert[128];  //  The daemon's public certificate
    zactor_t *auth;         //  zauth, started before any server binds
} s_world_t;

static int
s_world_setup (void **state)
{
    s_world_t *world = calloc (1, sizeof (s_world_t));
    assert_non_null (world);
    strcpy (world->data, "/tmp/test_cf_client.XXXXXX");
    assert_non_null (mkdtemp (world->data));
    //  mkdtemp made it; init wants to create its own layout inside
    assert_int_equal (cf_identity_init (world->data, NULL), 0);
    snprintf (world->cert, sizeof world->cert, "%s/admin.cert", world->data);
    snprintf (world->server_cert, sizeof world->server_cert,
              "%s/keys/daemon.cert", world->data);
    char certs[128];
    snprintf (certs, sizeof certs, "%s/certs", world->data);
    assert_int_equal (cf_identity_auth_start (certs, &world->auth), 0);
    *state = world;
    return 0;
}

static int
s_world_teardown (void **state)
{
    s_world_t *world = *state;
    zactor_destroy (&world->auth);
    char command[128];
    snprintf (command, sizeof command, "rm -rf %s", world->data);
    assert_int_equal (system (command), 0);
    free (world);
    return 0;
}

//  ------------------------------------------------------------------------
//  The fake daemon: an actor with a ROUTER (client API) and a PUB (feed).
//
//  script says what it does with the n-th request: 'a' answers, 'd' drops
//  it, 's' first sends a stale reply (another id) and then answers, 'g'
//  answers with bytes that are no Reply. Past the end of script it
//  answers. Answers: ping -> seq = committed; events{after, limit} -> the
//  committed events in that range; fire -> REFUSED (CF_EGUARD); status ->
//  a case; anything else -> OK.
//
//  Commands on the pipe: "COMMIT n" (events 1..n exist), "PUB n" (commit
//  up to n and ring the feed's doorbell), "HB n" (publish a heartbeat),
//  "HIDE n" (events up to n belong to another organization: events pages
//  leave them out and say how far they looked), "REQUESTS" (answers
//  with [routing id][bytes] of every request received), "ASKED" (answers
//  with "after limit" of every events request).

typedef struct {
    const char *data;    //  Data directory with the daemon's keys
    const char *script;  //  What to do with each request
} s_fake_args_t;

typedef struct {
    s_fake_args_t args;  //  What the actor borrows while it runs
    zactor_t *actor;     //  The fake daemon
    char endpoint[64];   //  Its client API
    char feed[64];       //  Its event feed
} s_fake_t;

//  cmocka's checks jump back into the test's thread: the actor's own
//  thread aborts instead
static void
s_fake_check (bool holds, const char *what)
{
    if (!holds) {
        fprintf (stderr, "fake certflowd: %s failed\n", what);
        abort ();
    }
}

//  Event seq of the fake's log: odd ones on case 1, even ones on case 2
static Cf__Event *
s_fake_event (uint64_t seq)
{
    Cf__Event *event = cf_pb_new (&cf__event__descriptor);
    event->seq = seq;
    cf_pb_set_string (&event->case_id,
                      seq % 2 ? "CF-2026-000001" : "CF-2026-000002");
    cf_pb_set_string (&event->event, "vote");
    event->from = CF__STATE__STATE_COMMITTEE_REVIEW;
    event->to = CF__STATE__STATE_COMMITTEE_REVIEW;
    event->principal = cf_pb_new (&cf__principal__descriptor);
    cf_pb_set_string (&event->principal->name, "COM001");
    event->principal->role = CF__ROLE__ROLE_COMMITTEE;
    event->at = 1772323200000 + (int64_t)seq * 60000;
    return event;
}

static void
s_fake_send (zsock_t *router, zframe_t *routing, const ProtobufCMessage *reply)
{
    size_t size;
    uint8_t *bytes = cf_pb_pack (reply, &size);
    zmsg_t *message = zmsg_new ();
    zmsg_append (message, &(zframe_t *){zframe_dup (routing)});
    zmsg_addmem (message, bytes, size);
    zmsg_send (&message, router);
    free (bytes);
}

//  The fake's cases CF-2026-000001 .. 3, a page after list->after
static Cf__Page *
s_fake_page (const Cf__ListRequest *list)
{
    Cf__Page *page = cf_pb_new (&cf__page__descriptor);
    uint32_t limit = list->limit ? list->limit : 100;
    for (int number = 1; number <= 3; number++) {
        char id[32];
        snprintf (id, sizeof id, "CF-2026-%06d", number);
        if (strcmp (id, list->after) <= 0)
            continue;
        if (page->n_cases == limit) {
            cf_pb_set_string (&page->next, page->cases[page->n_cases - 1]->id);
            break;
        }
        Cf__Case *record = cf_pb_new (&cf__case__descriptor);
        cf_pb_set_string (&record->id, id);
        record->state = CF__STATE__STATE_SUBMITTED;
        cf_pb_append (&page->n_cases, (void ***)&page->cases, record);
    }
    return page;
}

//  A stored certificate: CFC2020SC00001 ran out in 2023, others hold
static Cf__Certificate *
s_fake_certificate (const char *number)
{
    Cf__Certificate *cert = cf_pb_new (&cf__certificate__descriptor);
    cf_pb_set_string (&cert->number, number);
    cf_pb_set_string (&cert->company_name, "Acme Appliances");
    cf_pb_set_string (&cert->grade, "three_star");
    cf_pb_set_string (&cert->issue_date, "2020-01-01");
    cf_pb_set_string (&cert->expiry_date, strcmp (number, "CFC2020SC00001") == 0
                                              ? "2023-01-01"
                                              : "2099-01-01");
    cert->status = CF__CERT_STATUS__CERT_STATUS_VALID;
    return cert;
}

static Cf__Reply *
s_fake_answer (const Cf__Request *request, const uint64_t log[2], zmsg_t *asked)
{
    Cf__Reply *reply = cf_pb_new (&cf__reply__descriptor);
    cf_pb_set_string (&reply->id, request->id);
    switch (request->body_case) {
        case CF__REQUEST__BODY_PING:
            reply->body_case = CF__REPLY__BODY_SEQ;
            reply->seq = log[0];
            break;
        case CF__REQUEST__BODY_EVENTS: {
            zmsg_addstrf (asked, "%" PRIu64 " %u", request->events->after,
                          request->events->limit);
            reply->body_case = CF__REPLY__BODY_EVENTS;
            reply->events = cf_pb_new (&cf__event_list__descriptor);
            reply->events->last_seq = log[0];
            uint64_t seq = request->events->after;
            while (seq < log[0] &&
                   reply->events->n_events < request->events->limit) {
                if (++seq > log[1])
                    cf_pb_append (&reply->events->n_events,
                                  (void ***)&reply->events->events,
                                  s_fake_event (seq));
                if (seq - request->events->after >= 100)
                    break;  //  The most a page looks through, here
            }
            reply->events->scanned = seq;
            reply->events->more = seq < log[0];
            break;
        }
        case CF__REQUEST__BODY_FIRE:
            reply->status = CF__STATUS__STATUS_REFUSED;
            cf_pb_set_string (&reply->error, "CF_EGUARD");
            cf_pb_set_string (&reply->message,
                              "contract_signed: no contract has been issued "
                              "yet; sign once the certification body has "
                              "sent it");
            break;
        case CF__REQUEST__BODY_STATUS:
            reply->body_case = CF__REPLY__BODY_RECORD;
            reply->record = cf_pb_new (&cf__case__descriptor);
            cf_pb_set_string (&reply->record->id, request->status->case_id);
            reply->record->state = CF__STATE__STATE_DOCUMENT_REVIEW;
            break;
        case CF__REQUEST__BODY_LIST:
            reply->body_case = CF__REPLY__BODY_PAGE;
            reply->page = s_fake_page (request->list);
            break;
        case CF__REQUEST__BODY_CERTIFICATE:
            reply->body_case = CF__REPLY__BODY_CERTIFICATE;
            reply->certificate =
                s_fake_certificate (request->certificate->number);
            //  The client judges validity on the daemon's date
            reply->now = zclock_time ();
            break;
        case CF__REQUEST__BODY_IDENTITY_ISSUE:
            reply->body_case = CF__REPLY__BODY_IDENTITY;
            reply->identity = cf_pb_new (&cf__identity_issued__descriptor);
            cf_pb_set_string (&reply->identity->public_key,
                              "0123456789012345678901234567890123456789");
            reply->identity->certificate.data =
                (uint8_t *)strdup ("secret certificate text\n");
            reply->identity->certificate.len = 24;
            break;
        default:
            break;
    }
    return reply;
}

static void
s_fake_publish (zsock_t *pub, const char *topic, Cf__FeedMessage *feed)
{
    size_t size;
    uint8_t *bytes = cf_pb_pack (&feed->base, &size);
    zmsg_t *message = zmsg_new ();
    zmsg_addstr (message, topic);
    zmsg_addmem (message, bytes, size);
    zmsg_send (&message, pub);
    free (bytes);
}

static void
s_fake_command (zsock_t *pipe, zsock_t *pub, const char *command,
                uint64_t log[2], zmsg_t *requests, zmsg_t *asked)
{
    uint64_t value = 0;
    const char *space = strchr (command, ' ');
    if (space)
        value = strtoull (space + 1, NULL, 10);
    Cf__FeedMessage *feed = cf_pb_new (&cf__feed_message__descriptor);
    if (strncmp (command, "COMMIT", 6) == 0)
        log[0] = value;
    else if (strncmp (command, "HIDE", 4) == 0)
        log[1] = value;
    else if (strncmp (command, "PUB", 3) == 0) {
        log[0] = value > log[0] ? value : log[0];
        feed->body_case = CF__FEED_MESSAGE__BODY_COMMITTED;
        feed->committed = log[0];
        s_fake_publish (pub, "seq", feed);
    } else if (strncmp (command, "HB", 2) == 0) {
        feed->body_case = CF__FEED_MESSAGE__BODY_HEARTBEAT;
        feed->heartbeat = value;
        s_fake_publish (pub, "hb", feed);
    } else if (strcmp (command, "REQUESTS") == 0) {
        zmsg_t *copy = zmsg_dup (requests);
        zmsg_send (&copy, pipe);
    } else if (strcmp (command, "ASKED") == 0) {
        zmsg_t *copy = zmsg_dup (asked);
        zmsg_send (&copy, pipe);
    }
    cf_pb_free (&feed);
}

static void
s_fake_request (zsock_t *router, const char *script, size_t *count,
                const uint64_t log[2], zmsg_t *requests, zmsg_t *asked)
{
    zmsg_t *message = zmsg_recv (router);
    zframe_t *routing = zmsg_pop (message);
    zframe_t *body = zmsg_pop (message);
    zmsg_destroy (&message);
    zmsg_append (requests, &(zframe_t *){zframe_dup (routing)});
    zmsg_append (requests, &(zframe_t *){zframe_dup (body)});
    char action = *count < strlen (script) ? script[*count] : 'a';
    (*count)++;
    Cf__Request *request = NULL;
    s_fake_check (cf_wire_decode (&cf__request__descriptor, zframe_data (body),
                                  zframe_size (body), (void **)&request,
                                  NULL) == 0,
                  "request decodes");
    if (action == 's') {
        Cf__Reply *stale = cf_pb_new (&cf__reply__descriptor);
        cf_pb_set_string (&stale->id, "an-earlier-request");
        stale->status = CF__STATUS__STATUS_NOT_FOUND;
        s_fake_send (router, routing, &stale->base);
        cf_pb_free (&stale);
    }
    if (action == 'g') {
        zmsg_t *garbage = zmsg_new ();
        zmsg_append (garbage, &(zframe_t *){zframe_dup (routing)});
        zmsg_addstr (garbage, "\xff\xff\xff\xff garbage");
        zmsg_send (&garbage, router);
    } else if (action != 'd') {
        Cf__Reply *reply = s_fake_answer (request, log, asked);
        s_fake_send (router, routing, &reply->base);
        cf_pb_free (&reply);
    }
    cf_pb_free (&request);
    zframe_destroy (&routing);
    zframe_destroy (&body);
}

static void
s_fake_actor (zsock_t *pipe, void *args)
{
    const s_fake_args_t *fake = args;
    zcert_t *cert = NULL;
    s_fake_check (cf_identity_load_server (fake->data, &cert, NULL) == 0,
                  "daemon keys");
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_t *pub = zsock_new (ZMQ_PUB);
    cf_identity_server (router, cert);
    cf_identity_server (pub, cert);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    int feed_port = zsock_bind (pub, "tcp://127.0.0.1:*");
    s_fake_check (port > 0 && feed_port > 0, "bind");
    zsock_signal (pipe, 0);
    zstr_sendf (pipe, "%d %d", port, feed_port);

    zmsg_t *requests = zmsg_new ();
    zmsg_t *asked = zmsg_new ();
    uint64_t log[2] = {0, 0};  //  Events committed; events hidden
    size_t count = 0;
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == router)
            s_fake_request (router, fake->script, &count, log, requests, asked);
        else if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool done = !command || strcmp (command, "$TERM") == 0;
            if (!done)
                s_fake_command (pipe, pub, command, log, requests, asked);
            zstr_free (&command);
            if (done)
                break;
        } else
            break;
    }
    zpoller_destroy (&poller);
    zmsg_destroy (&requests);
    zmsg_destroy (&asked);
    zsock_destroy (&router);
    zsock_destroy (&pub);
    zcert_destroy (&cert);
}

//  Starts a fake daemon with the world's keys that follows script, with
//  events 1..committed (none when 0)
static void
s_fake_start (s_fake_t *fake, s_world_t *world, const char *script,
              uint64_t committed)
{
    fake->args = (s_fake_args_t){world->data, script};
    fake->actor = zactor_new (s_fake_actor, &fake->args);
    assert_non_null (fake->actor);
    char *ports = zstr_recv (fake->actor);
    int port, feed_port;
    assert_int_equal (sscanf (ports, "%d %d", &port, &feed_port), 2);
    zstr_free (&ports);
    snprintf (fake->endpoint, sizeof fake->endpoint, "tcp://127.0.0.1:%d",
              port);
    snprintf (fake->feed, sizeof fake->feed, "tcp://127.0.0.1:%d", feed_port);
    if (committed)
        zstr_sendf (fake->actor, "COMMIT %" PRIu64, committed);
}

//  Returns what the fake recorded for command ("REQUESTS" or "ASKED").
static zmsg_t *
s_fake_get (s_fake_t *fake, const char *command)
{
    zstr_send (fake->actor, command);
    zmsg_t *message = zmsg_recv (fake->actor);
    assert_non_null (message);
    return message;
}

static cf_client_t *
s_client (s_world_t *world, const char *endpoint, int timeout_ms, int retries)
{
    cf_problems_t *problems = cf_problems_new ();
    cf_client_t *client =
        cf_client_new (endpoint, world->cert, world->server_cert, timeout_ms,
                       retries, problems);
    if (!client) {
        char *why = cf_problems_join (problems);
        fail_msg ("cf_client_new: %s", why);
    }
    cf_problems_destroy (&problems);
    return client;
}

//  ------------------------------------------------------------------------
//  Request and reply

//  A fake daemon, a client of it and a ping to send: what every request
//  test starts with
typedef struct {
    s_fake_t fake;         //  The fake daemon
    cf_client_t *client;   //  The client under test
    Cf__Request *request;  //  A ping
    Cf__Reply *reply;      //  Its reply, once there is one
} s_session_t;

//  Starts the fake following script with events 1..committed, and a
//  client of it that waits timeout_ms for each of retries tries
static void
s_session_start (s_session_t *self, s_world_t *world, const char *script,
                 uint64_t committed, int timeout_ms, int retries)
{
    s_fake_start (&self->fake, world, script, committed);
    self->client = s_client (world, self->fake.endpoint, timeout_ms, retries);
    self->request = cf_pb_new (&cf__request__descriptor);
    self->request->body_case = CF__REQUEST__BODY_PING;
    self->request->ping = true;
    self->reply = NULL;
}

static void
s_session_stop (s_session_t *self)
{
    cf_pb_free (&self->reply);
    cf_pb_free (&self->request);
    cf_client_destroy (&self->client);
    zactor_destroy (&self->fake.actor);
}

static void
test_request_round_trip_fills_the_id (void **state)
{
    s_session_t on;
    s_session_start (&on, *state, "", 7, 2000, 3);
    assert_int_equal (cf_client_request (on.client, on.request, &on.reply), 0);
    //  A fresh UUID in canonical form, and the reply answers it
    assert_int_equal (strlen (on.request->id), 36);
    assert_string_equal (on.reply->id, on.request->id);
    assert_int_equal (on.reply->status, CF__STATUS__STATUS_OK);
    assert_int_equal (on.reply->body_case, CF__REPLY__BODY_SEQ);
    assert_int_equal (on.reply->seq, 7);
    cf_pb_free (&on.reply);

    //  A second request gets another id; a set id is kept
    char first[40];
    strcpy (first, on.request->id);
    cf_pb_set_string (&on.request->id, "");
    assert_int_equal (cf_client_request (on.client, on.request, &on.reply), 0);
    assert_string_not_equal (on.request->id, first);
    cf_pb_free (&on.reply);
    cf_pb_set_string (&on.request->id, "chosen-by-the-caller");
    assert_int_equal (cf_client_request (on.client, on.request, &on.reply), 0);
    assert_string_equal (on.reply->id, "chosen-by-the-caller");
    cf_client_destroy (&on.client);
    assert_null (on.client);
    s_session_stop (&on);
}

static void
test_retry_resends_the_same_bytes_on_a_new_socket (void **state)
{
    s_session_t on;
    s_session_start (&on, *state, "d", 0, 300, 3);
    assert_int_equal (cf_client_request (on.client, on.request, &on.reply), 0);
    assert_string_equal (on.reply->id, on.request->id);

    //  Two tries: the same bytes (so the same id), from two sockets
    zmsg_t *requests = s_fake_get (&on.fake, "REQUESTS");
    assert_int_equal (zmsg_size (requests), 4);
    zframe_t *first_peer = zmsg_pop (requests);
    zframe_t *first = zmsg_pop (requests);
    zframe_t *second_peer = zmsg_pop (requests);
    zframe_t *second = zmsg_pop (requests);
    assert_true (zframe_eq (first, second));
    assert_false (zframe_eq (first_peer, second_peer));
    Cf__Request *sent = NULL;
    assert_int_equal (
        cf_wire_decode (&cf__request__descriptor, zframe_data (second),
                        zframe_size (second), (void **)&sent, NULL),
        0);
    assert_string_equal (sent->id, on.request->id);
    cf_pb_free (&sent);
    zframe_destroy (&first_peer);
    zframe_destroy (&first);
    zframe_destroy (&second_peer);
    zframe_destroy (&second);
    zmsg_destroy (&requests);
    s_session_stop (&on);
}

static void
test_no_reply_after_all_tries_is_a_timeout (void **state)
{
    s_session_t on;
    s_session_start (&on, *state, "ddd", 0, 100, 3);
    on.reply = (Cf__Reply *)1;
    int64_t started = zclock_mono ();
    assert_int_equal (cf_client_request (on.client, on.request, &on.reply),
                      CF_ETIMEOUT);
    assert_true (zclock_mono () - started >= 3 * 100);
    assert_null (on.reply);
    assert_true (
        cf_problems_has (cf_client_problems (on.client), "client.timeout"));
    //  Exactly three tries reached the server, all alike
    zmsg_t *requests = s_fake_get (&on.fake, "REQUESTS");
    assert_int_equal (zmsg_size (requests), 6);
    zmsg_destroy (&requests);

    //  The next request (the script is spent) goes through on a new socket
    assert_int_equal (cf_client_request (on.client, on.request, &on.reply), 0);
    s_session_stop (&on);
}

static void
test_stale_reply_with_another_id_is_dropped (void **state)
{
    s_session_t on;
    s_session_start (&on, *state, "s", 3, 2000, 1);
    assert_int_equal (cf_client_request (on.client, on.request, &on.reply), 0);
    //  The NOT_FOUND reply to "an-earlier-request" was not taken
    assert_string_equal (on.reply->id, on.request->id);
    assert_int_equal (on.reply->status, CF__STATUS__STATUS_OK);
    assert_int_equal (on.reply->seq, 3);
    s_session_stop (&on);
}

static void
test_reply_that_does_not_decode_is_an_error (void **state)
{
    s_session_t on;
    s_session_start (&on, *state, "g", 0, 2000, 3);
    int rc = cf_client_request (on.client, on.request, &on.reply);
    assert_true (rc == CF_EDECODE || rc == CF_EINVAL);
    assert_null (on.reply);
    assert_true (
        cf_problems_has (cf_client_problems (on.client), "client.reply"));
    s_session_stop (&on);
}

static void
test_missing_certificate_is_reported_at_once (void **state)
{
    s_world_t *world = *state;
    cf_problems_t *problems = cf_problems_new ();
    cf_client_t *client =
        cf_client_new (CF_CLIENT_ENDPOINT, "/nonexistent/me.cert",
                       world->server_cert, 100, 1, problems);
    assert_null (client);
    assert_true (cf_problems_size (problems) > 0);
    char *why = cf_problems_join (problems);
    assert_non_null (strstr (why, "/nonexistent/me.cert"));
    free (why);
    cf_problems_destroy (&problems);
    cf_client_destroy (&client);  //  NULL-safe
}

//  ------------------------------------------------------------------------
//  Watch

//  A fake daemon, a client of it and a watch on its feed: what every watch
//  test starts with
typedef struct {
    s_fake_t fake;        //  The fake daemon
    cf_client_t *client;  //  The client the watch fetches with
    cf_watch_t *watch;    //  The watch under test
} s_watching_t;

//  Starts the fake with events 1..committed (none when 0), and the watch
//  on it with filter (borrowed: keep it until the stop)
static void
s_watching_start (s_watching_t *self, s_world_t *world, uint64_t committed,
                  const cf_watch_filter_t *filter, int heartbeat_ms)
{
    s_fake_start (&self->fake, world, "", committed);
    self->client = s_client (world, self->fake.endpoint, 2000, 3);
    cf_problems_t *problems = cf_problems_new ();
    self->watch =
        cf_watch_new (self->client, self->fake.feed, world->cert,
                      world->server_cert, filter, heartbeat_ms, problems);
    assert_non_null (self->watch);
    cf_problems_destroy (&problems);
}

static void
s_watching_stop (s_watching_t *self)
{
    cf_watch_destroy (&self->watch);
    cf_client_destroy (&self->client);
    zactor_destroy (&self->fake.actor);
}

//  Publishes heartbeats of seq until the watch has heard one: then the
//  subscription is in place and later publications reach it.
static void
s_watch_connected (s_watching_t *self, uint64_t seq)
{
    for (int attempt = 0;
         attempt < 200 && cf_watch_heartbeats (self->watch) == 0; attempt++) {
        zstr_sendf (self->fake.actor, "HB %" PRIu64, seq);
        Cf__Event *event = NULL;
        assert_int_equal (cf_watch_next (self->watch, 20, &event), CF_ETIMEOUT);
    }
    assert_true (cf_watch_heartbeats (self->watch) > 0);
}

static uint64_t
s_next_seq (cf_watch_t *watch)
{
    Cf__Event *event = NULL;
    int rc = cf_watch_next (watch, 3000, &event);
    if (rc)
        fail_msg ("cf_watch_next: %s", cf_strerror (rc));
    uint64_t seq = event->seq;
    cf_pb_free (&event);
    return seq;
}

static void
test_watch_fetches_exactly_the_missing_range (void **state)
{
    cf_watch_filter_t all = {NULL, NULL};
    s_watching_t on;
    s_watching_start (&on, *state, 2, &all, 1000);
    assert_int_equal (cf_watch_start (on.watch, false, 2), 0);
    s_watch_connected (&on, 2);

    //  The doorbell says 5: events 3 to 5 are fetched, in order
    zstr_send (on.fake.actor, "PUB 5");
    assert_int_equal (s_next_seq (on.watch), 3);
    assert_int_equal (s_next_seq (on.watch), 4);
    assert_int_equal (s_next_seq (on.watch), 5);
    //  A repeated ring asks for nothing; 6 follows
    zstr_send (on.fake.actor, "PUB 5");
    zstr_send (on.fake.actor, "PUB 6");
    assert_int_equal (s_next_seq (on.watch), 6);
    Cf__Event *event = NULL;
    assert_int_equal (cf_watch_next (on.watch, 50, &event), CF_ETIMEOUT);
    assert_int_equal (cf_watch_last_seq (on.watch), 6);

    //  The start asked for what follows 2; the rings for exactly 3 to 5
    //  and then 6
    zmsg_t *asked = s_fake_get (&on.fake, "ASKED");
    assert_int_equal (zmsg_size (asked), 3);
    char *start = zmsg_popstr (asked);
    char *first = zmsg_popstr (asked);
    char *second = zmsg_popstr (asked);
    assert_string_equal (start, "2 100");
    assert_string_equal (first, "2 3");
    assert_string_equal (second, "5 1");
    zstr_free (&start);
    zstr_free (&first);
    zstr_free (&second);
    zmsg_destroy (&asked);
    cf_watch_destroy (&on.watch);
    assert_null (on.watch);
    s_watching_stop (&on);
}

//  Another organization's events come first: the pages leave them out and
//  say how far they looked, and the watcher goes on from there (a short
//  page is not the end)
static void
test_watch_pages_past_events_it_may_not_see (void **state)
{
    cf_watch_filter_t all = {NULL, NULL};
    s_watching_t on;
    s_watching_start (&on, *state, 2, &all, 1000);
    assert_int_equal (cf_watch_start (on.watch, false, 2), 0);
    s_watch_connected (&on, 2);
    zstr_send (on.fake.actor, "HIDE 250");
    zstr_send (on.fake.actor, "PUB 252");
    assert_int_equal (s_next_seq (on.watch), 251);
    assert_int_equal (s_next_seq (on.watch), 252);
    zmsg_t *asked = s_fake_get (&on.fake, "ASKED");
    char *last = NULL;
    while (zmsg_size (asked))
        zstr_free (&last), last = zmsg_popstr (asked);
    assert_string_equal (last, "202 50");
    zstr_free (&last);
    zmsg_destroy (&asked);
    s_watching_stop (&on);
}

static void
test_watch_heartbeat_reveals_missed_events (void **state)
{
    cf_watch_filter_t all = {NULL, NULL};
    s_watching_t on;
    s_watching_start (&on, *state, 4, &all, 1000);
    //  From the latest: the ping says 4, nothing before is shown
    assert_int_equal (cf_watch_start (on.watch, true, 0), 0);
    assert_int_equal (cf_watch_last_seq (on.watch), 4);
    s_watch_connected (&on, 4);

    //  Event 5 was committed but its publication lost; a heartbeat says 5
    zstr_send (on.fake.actor, "COMMIT 5");
    zstr_send (on.fake.actor, "HB 5");
    assert_int_equal (s_next_seq (on.watch), 5);
    zmsg_t *asked = s_fake_get (&on.fake, "ASKED");
    char *last = NULL;
    while (zmsg_size (asked))
        zstr_free (&last), last = zmsg_popstr (asked);
    assert_string_equal (last, "4 1");
    zstr_free (&last);
    zmsg_destroy (&asked);
    s_watching_stop (&on);
}

static void
test_watch_filters_by_case_and_catches_up_from_since (void **state)
{
    cf_watch_filter_t one_case = {"committee_review", "CF-2026-000002"};
    s_watching_t on;
    s_watching_start (&on, *state, 5, &one_case, 1000);
    assert_int_equal (cf_watch_start (on.watch, false, 1), 0);
    //  Events 2..5 fetched; of those, case 2 has 2 and 4
    assert_int_equal (s_next_seq (on.watch), 2);
    assert_int_equal (s_next_seq (on.watch), 4);
    Cf__Event *event = NULL;
    assert_int_equal (cf_watch_next (on.watch, 0, &event), CF_ETIMEOUT);
    assert_null (event);
    assert_int_equal (cf_watch_last_seq (on.watch), 5);
    s_watching_stop (&on);
}

static void
test_watch_goes_silent_without_heartbeats (void **state)
{
    cf_watch_filter_t all = {NULL, NULL};
    s_watching_t on;
    s_watching_start (&on, *state, 0, &all, 30);
    assert_int_equal (cf_watch_start (on.watch, true, 0), 0);
    assert_false (cf_watch_silent (on.watch));
    Cf__Event *event = NULL;
    assert_int_equal (cf_watch_next (on.watch, 150, &event), CF_ETIMEOUT);
    assert_true (cf_watch_silent (on.watch));
    //  One heartbeat and it is alive again
    s_watch_connected (&on, 0);
    assert_false (cf_watch_silent (on.watch));
    s_watching_stop (&on);
}

//  ------------------------------------------------------------------------
//  JSON printer

static void
s_expect_in (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("expected %s in %s", part, text);
}

static void
test_json_prints_a_case_with_enums_nesting_and_escapes (void **state)
{
    (void)state;
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000001");
    record->state = CF__STATE__STATE_DOCUMENT_REVIEW;
    record->last_seq = 12345678901ULL;
    record->deadline_at = -5;
    record->application = cf_pb_new (&cf__application__descriptor);
    cf_pb_set_string (&record->application->company_name,
                      "深圳 \"Quote\" \\ Co\n\t\x01\x7f");
    cf_pb_append_string (&record->application->n_scope,
                         &record->application->scope, "空调");
    cf_pb_append_string (&record->application->n_scope,
                         &record->application->scope, "冰箱");
    record->original = cf_pb_new (&cf__score_result__descriptor);
    record->original->score = 87.5;
    record->original->earned = 0.1;
    Cf__Finding *finding = cf_pb_new (&cf__finding__descriptor);
    cf_pb_set_string (&finding->item, "M07");
    cf_pb_append (&record->n_findings, (void ***)&record->findings, finding);
    char *text = cf_pbjson_text (&record->base);

    s_expect_in (text, "{\"id\":\"CF-2026-000001\",\"org\":\"\",");
    s_expect_in (text, "\"state\":\"STATE_DOCUMENT_REVIEW\"");
    s_expect_in (text, "\"last_seq\":12345678901,");
    s_expect_in (text, "\"deadline_at\":-5,");
    s_expect_in (text, "\"company_name\":\"深圳 \\\"Quote\\\" \\\\ "
                       "Co\\n\\t\\u0001\\u007f\"");
    s_expect_in (text, "\"scope\":[\"空调\",\"冰箱\"]");
    s_expect_in (text, "\"findings\":[{\"item\":\"M07\",\"reason\":\"\"}]");
    s_expect_in (text, "\"score\":87.5,");
    s_expect_in (text, "\"earned\":0.1,");
    s_expect_in (text, "\"reviewers\":[]");
    //  Sub-messages not set are left out
    assert_null (strstr (text, "\"contract\""));
    assert_null (strchr (text, '\n'));
    free (text);
    cf_pb_free (&record);
}

static void
test_json_prints_a_reply_with_defaults_and_its_oneof (void **state)
{
    (void)state;
    Cf__Reply *reply = cf_pb_new (&cf__reply__descriptor);
    cf_pb_set_string (&reply->id, "r-1");
    reply->body_case = CF__REPLY__BODY_SEQ;
    reply->seq = 0;
    char *text = cf_pbjson_text (&reply->base);
    assert_string_equal (text, "{\"id\":\"r-1\",\"status\":\"STATUS_OK\","
                               "\"error\":\"\",\"message\":\"\",\"seq\":0,"
                               "\"now\":0}");
    free (text);

    reply->body_case = CF__REPLY__BODY_EVENTS;
    reply->events = cf_pb_new (&cf__event_list__descriptor);
    Cf__Event *event = cf_pb_new (&cf__event__descriptor);
    event->hash.data = malloc (3);
    memcpy (event->hash.data, "abc", 3);
    event->hash.len = 3;
    event->to = 99;  //  Outside the enum: printed as its number
    cf_pb_append (&reply->events->n_events, (void ***)&reply->events->events,
                  event);
    text = cf_pbjson_text (&reply->base);
    s_expect_in (text, "\"events\":{\"events\":[{\"seq\":0,");
    s_expect_in (text, "\"hash\":\"YWJj\"");
    s_expect_in (text, "\"prev_hash\":\"\"");
    s_expect_in (text, "\"to\":99,");
    s_expect_in (text, "\"from\":\"STATE_UNSPECIFIED\"");
    //  The oneof's seq is gone: the events list is the reply's last body
    const char *end = "\"last_seq\":0,\"more\":false,\"scanned\":0},\"now\":0}";
    assert_string_equal (text + strlen (text) - strlen (end), end);
    free (text);
    cf_pb_free (&reply);
}

static void
test_json_replaces_bytes_that_are_not_utf8 (void **state)
{
    (void)state;
    Cf__Finding *finding = cf_pb_new (&cf__finding__descriptor);
    cf_pb_set_string (&finding->item, "a\xff"
                                      "b\xe4\xb8");
    char *text = cf_pbjson_text (&finding->base);
    assert_string_equal (
        text, "{\"item\":\"a\\ufffdb\\ufffd\\ufffd\",\"reason\":\"\"}");
    free (text);
    cf_pb_free (&finding);
}

//  ------------------------------------------------------------------------
//  Input files

static void
s_expect_problem (cf_problems_t *problems, const char *code)
{
    if (!cf_problems_has (problems, code)) {
        char *text = cf_problems_join (problems);
        fail_msg ("expected %s, got: %s", code, text);
    }
}

static void
test_fixes_file_is_read_and_checked (void **state)
{
    (void)state;
    const char *good = "{\"fixes\": [{\"nonconformity\": \"NC-1\", "
                       "\"correction\": \"rules revised\"}]}";
    Cf__FixList *fixes = NULL;
    assert_int_equal (cf_input_fixes (good, strlen (good), &fixes, NULL), 0);
    assert_int_equal (fixes->n_fixes, 1);
    assert_string_equal (fixes->fixes[0]->nonconformity, "NC-1");
    assert_string_equal (fixes->fixes[0]->correction, "rules revised");
    assert_false (fixes->fixes[0]->accepted);
    cf_pb_free (&fixes);

    cf_problems_t *problems = cf_problems_new ();
    const char *bad = "{\"fixes\": [{\"nonconformity\": \"NC-1\", "
                      "\"accepted\": true, \"colour\": 1}]}";
    assert_int_equal (cf_input_fixes (bad, strlen (bad), &fixes, problems),
                      CF_EINVAL);
    assert_null (fixes);
    s_expect_problem (problems, "json.missing");        //  correction
    s_expect_problem (problems, "json.unknown_field");  //  accepted, colour
    cf_problems_reset (problems);

    const char *broken = "{\"fixes\": [}";
    assert_int_equal (
        cf_input_fixes (broken, strlen (broken), &fixes, problems), CF_EPARSE);
    s_expect_problem (problems, "json.syntax");
    cf_problems_reset (problems);
    const char *empty = "{\"fixes\": []}";
    assert_int_equal (cf_input_fixes (empty, strlen (empty), &fixes, problems),
                      CF_EINVAL);
    s_expect_problem (problems, "json.missing");
    cf_problems_destroy (&problems);
}

static void
test_plan_file_is_read_and_checked (void **state)
{
    (void)state;
    const char *good = "{\"leader\": \"AUD001\", \"members\": [\"AUD002\"], "
                       "\"start_date\": \"2026-03-17\", \"end_date\": "
                       "\"2026-03-18\", \"mode\": \"FS01\"}";
    Cf__AuditPlan *plan = NULL;
    assert_int_equal (cf_input_plan (good, strlen (good), &plan, NULL), 0);
    assert_string_equal (plan->leader, "AUD001");
    assert_int_equal (plan->n_members, 1);
    assert_string_equal (plan->members[0], "AUD002");
    assert_string_equal (plan->end_date, "2026-03-18");
    cf_pb_free (&plan);
    //  The example the README names is one
    char *example = NULL;
    size_t example_size = 0;
    assert_int_equal (cf_file_read (CF_SOURCE_DIR "/examples/plan.json",
                                    1 << 20, &example, &example_size),
                      0);
    assert_int_equal (cf_input_plan (example, example_size, &plan, NULL), 0);
    assert_string_equal (plan->leader, "AUD001");
    cf_pb_free (&plan);
    free (example);

    cf_problems_t *problems = cf_problems_new ();
    const char *bad = "{\"leader\": \" \", \"start_date\": \"2026-03-18\", "
                      "\"end_date\": \"2026-03-17\", \"mode\": \"FS09\"}";
    assert_int_equal (cf_input_plan (bad, strlen (bad), &plan, problems),
                      CF_EINVAL);
    assert_null (plan);
    char *text = cf_problems_join (problems);
    s_expect_in (text, "leader: is blank");
    s_expect_in (text, "before start_date");
    s_expect_in (text, "FS09");
    free (text);
    cf_problems_destroy (&problems);
}

//  Each member gets the checks every other string of the file gets
static void
test_plan_members_get_the_string_checks (void **state)
{
    (void)state;
    char *long_id = malloc (5001);
    memset (long_id, 'A', 5000);
    long_id[5000] = 0;
    char *text = NULL;
    assert_true (asprintf (&text,
                           "{\"leader\": \"AUD001\", \"members\": "
                           "[\"AUD\\u0000002\", \"%s\", \" \", 7], "
                           "\"start_date\": \"2026-03-17\", \"end_date\": "
                           "\"2026-03-18\"}",
                           long_id) > 0);
    cf_problems_t *problems = cf_problems_new ();
    Cf__AuditPlan *plan = NULL;
    assert_int_equal (cf_input_plan (text, strlen (text), &plan, problems),
                      CF_ELIMIT);
    assert_null (plan);
    char *joined = cf_problems_join (problems);
    s_expect_in (joined, "members[0]: contains a NUL character");
    s_expect_in (joined, "members[1]: 5000 bytes long, more than the 4096");
    s_expect_in (joined, "members[2]: is blank");
    s_expect_in (joined, "members[3]: expected a string");
    free (joined);
    cf_problems_destroy (&problems);
    free (text);
    free (long_id);
}

//  ------------------------------------------------------------------------
//  The command line

//  What one run of the command line printed, and its exit code
typedef struct {
    int code;   //  Exit code
    char *out;  //  Standard output
    char *err;  //  Standard error
} s_run_t;

//  Runs the command line: argv holds argc words, and the words from first
//  up to NULL follow them
static s_run_t
s_cli_words (char **argv, int argc, const char *first, va_list args)
{
    for (const char *word = first; word; word = va_arg (args, const char *))
        argv[argc++] = (char *)word;
    s_run_t run = {0};
    size_t out_size, err_size;
    FILE *out = open_memstream (&run.out, &out_size);
    FILE *err = open_memstream (&run.err, &err_size);
    run.code = cf_cli_run (argc, argv, out, err);
    fclose (out);
    fclose (err);
    return run;
}

static s_run_t
s_cli (const char *first, ...)
{
    char *argv[32] = {"certflow"};
    va_list args;
    va_start (args, first);
    s_run_t run = s_cli_words (argv, 1, first, args);
    va_end (args);
    return run;
}

//  Runs the command line against endpoint with the world's certificate.
static s_run_t
s_cli_at (s_world_t *world, const char *endpoint, const char *first, ...)
{
    char *argv[32] = {"certflow",        "--client-endpoint", (char *)endpoint,
                      "--cert",          world->cert,         "--server-cert",
                      world->server_cert};
    va_list args;
    va_start (args, first);
    s_run_t run = s_cli_words (argv, 7, first, args);
    va_end (args);
    return run;
}

static void
s_run_free (s_run_t *run)
{
    free (run->out);
    free (run->err);
}

static void
s_expect_usage (s_run_t run, const char *message)
{
    if (run.code != CF_CLI_USAGE || !strstr (run.err, message))
        fail_msg ("expected exit 2 and '%s', got %d: %s", message, run.code,
                  run.err);
    s_run_free (&run);
}

static void
test_cli_usage_errors_exit_2_with_the_fix (void **state)
{
    (void)state;
    s_expect_usage (s_cli ("frobnicate", NULL), "unknown command 'frobnicate'");
    s_expect_usage (s_cli (NULL), "no command given");
    s_expect_usage (s_cli ("status", NULL),
                    "missing arguments; usage: certflow status CASE");
    s_expect_usage (s_cli ("status", "", NULL),
                    "argument 1 is empty; usage: certflow status CASE");
    s_expect_usage (s_cli ("status", "CF-1", "CF-2", NULL),
                    "too many arguments at 'CF-2'");
    s_expect_usage (s_cli ("list", "--colour", "red", NULL),
                    "list has no option --colour; it takes --state");
    s_expect_usage (s_cli ("status", "CF-1", "--timeout", "5", NULL),
                    "--timeout is a global option: put it before the command");
    s_expect_usage (s_cli ("list", "--limit", "ten", NULL),
                    "--limit: 'ten' is not a whole number from 1");
    s_expect_usage (s_cli ("list", "--state", "nowhere", NULL),
                    "--state: 'nowhere' is not a state; write one of "
                    "submitted,");
    s_expect_usage (s_cli ("list", "--limit", NULL),
                    "--limit needs a value: --limit N");
    s_expect_usage (s_cli ("vote", "CF-1", "maybe", "--reason", "x", NULL),
                    "'maybe' is not a vote; write grant or refuse");
    s_expect_usage (s_cli ("vote", "CF-1", "grant", NULL),
                    "a vote needs --reason TEXT");
    s_expect_usage (s_cli ("verify", "CF-1", NULL),
                    "give one of --accept FILE");
    s_expect_usage (s_cli ("review", "CF-1", "deficient", NULL),
                    "deficient needs --finding ITEM:REASON");
    s_expect_usage (
        s_cli ("review", "CF-1", "deficient", "--finding", "M07", NULL),
        "--finding 'M07': write ITEM:REASON");
    s_expect_usage (
        s_cli ("identity", "issue", "bob", "wizard", "--out", "/tmp/x", NULL),
        "'wizard' is not a role");
    s_expect_usage (s_cli ("identity", "issue", "bob", "applicant", "--out",
                           "/tmp/x", NULL),
                    "an applicant needs --org ORG");
    s_expect_usage (s_cli ("certificate", "frame", NULL),
                    "unknown certificate command 'frame'");
    s_expect_usage (s_cli ("--timeout", "0", "ping", NULL), "timeout");
    s_expect_usage (s_cli ("--bogus", "ping", NULL), "bogus");
    //  No certificate: said before anything is sent
    s_expect_usage (s_cli ("ping", NULL), "no certificate: give --cert FILE");
    s_expect_usage (s_cli ("--cert", "/nonexistent/me.cert", "--server-cert",
                           "/nonexistent/daemon.cert", "ping", NULL),
                    "/nonexistent/me.cert");
}

static void
test_cli_bad_input_file_is_a_usage_error (void **state)
{
    (void)state;
    s_run_t run =
        s_cli ("submit",
               CF_SOURCE_DIR "/tests/unit/data/broken-application.json", NULL);
    assert_int_equal (run.code, CF_CLI_USAGE);
    s_expect_in (run.err, "broken-application.json: json.");
    s_expect_in (run.err, "fix");
    s_run_free (&run);
    s_expect_usage (s_cli ("submit", "/nonexistent/app.json", NULL),
                    "/nonexistent/app.json: file.read");

    char path[] = "/tmp/test_cf_client_fixes.XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    const char *text = "{\"fixes\": [{\"nonconformity\": \"NC-1\"}]}";
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t)strlen (text));
    close (fd);
    s_expect_usage (s_cli ("rectify", "CF-1", path, NULL),
                    "fixes[0].correction: missing");
    unlink (path);
}

static void
test_cli_help_and_dot_need_no_daemon (void **state)
{
    (void)state;
    s_run_t run = s_cli ("--help", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    const char *commands[] = {"ping",
                              "whoami",
                              "submit FILE.json",
                              "status",
                              "list",
                              "history",
                              "watch",
                              "supplement",
                              "sign",
                              "scores",
                              "rectify",
                              "verify",
                              "vote",
                              "withdraw",
                              "review",
                              "plan",
                              "incidents",
                              "retry JOB",
                              "certificate show",
                              "certificate check",
                              "staff put",
                              "staff list",
                              "identity issue",
                              "identity revoke",
                              "dot"};
    for (size_t index = 0; index < sizeof commands / sizeof *commands; index++)
        s_expect_in (run.out, commands[index]);
    s_expect_in (run.out, "--client-endpoint");
    s_run_free (&run);

    run = s_cli ("watch", "--help", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    s_expect_in (run.out, "usage: certflow [global options] watch");
    s_expect_in (run.out, "--since SEQ");
    s_run_free (&run);

    run = s_cli ("dot", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    assert_memory_equal (run.out, "digraph", 7);
    s_expect_in (run.out, "document_review");
    //  Not a terminal: the dot text alone, no hint on stderr
    assert_string_equal (run.err, "");
    s_run_free (&run);
    run = s_cli ("dot", "--help", NULL);
    s_expect_in (run.out, "certflow dot | dot -Tsvg > lifecycle.svg");
    s_run_free (&run);
    run = s_cli ("dot", "--certificate", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    assert_memory_equal (run.out, "digraph certificate", 19);
    s_expect_in (run.out,
                 "\"suspended\" -> \"withdrawn\" [label=\"suspension_lapsed "
                 "[system]\"]");
    s_run_free (&run);
}

static void
test_cli_daemon_unreachable_exits_3 (void **state)
{
    s_world_t *world = *state;
    //  An endpoint nothing listens on, and nothing else can take in the
    //  meantime (a released TCP port may be bound by another test)
    char endpoint[96];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/nobody.ipc", world->data);
    s_run_t run = s_cli_at (world, endpoint, "--timeout", "100", "--retries",
                            "2", "ping", NULL);
    assert_int_equal (run.code, CF_CLI_UNREACHABLE);
    char expected[160];
    snprintf (expected, sizeof expected,
              "no reply from %s after 2 tries: is certflowd running?",
              endpoint);
    s_expect_in (run.err, expected);
    s_run_free (&run);
}

static void
test_cli_against_the_fake_daemon (void **state)
{
    s_world_t *world = *state;
    s_fake_t fake;
    s_fake_start (&fake, world, "", 4);

    s_run_t run = s_cli_at (world, fake.endpoint, "ping", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    s_expect_in (run.out, "is up; latest event 4");
    s_run_free (&run);

    run = s_cli_at (world, fake.endpoint, "--json", "ping", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    s_expect_in (run.out, "\"status\":\"STATUS_OK\"");
    s_expect_in (run.out, "\"seq\":4,\"now\":0}\n");
    s_run_free (&run);

    //  A refusal: exit 1, the error and the message on stderr
    run = s_cli_at (world, fake.endpoint, "sign", "CF-1", NULL);
    assert_int_equal (run.code, CF_CLI_REFUSED);
    s_expect_in (run.err, "certflow: refused: CF_EGUARD — contract_signed: "
                          "no contract has been issued yet");
    s_run_free (&run);

    run = s_cli_at (world, fake.endpoint, "status", "CF-2026-000009", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    s_expect_in (run.out, "CF-2026-000009");
    s_expect_in (run.out, "document_review 文件审查");
    s_run_free (&run);

    //  watch from seq 0, one case, two events, one JSON line each
    run = s_cli_at (world, fake.endpoint, "--feed-endpoint", fake.feed,
                    "--json", "watch", "--case", "CF-2026-000002", "--since",
                    "0", "--count", "2", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    char *second = strchr (run.out, '\n');
    assert_non_null (second);
    assert_memory_equal (run.out, "{\"seq\":2,", 9);
    assert_memory_equal (second + 1, "{\"seq\":4,", 9);
    assert_string_equal (strchr (second + 1, '\n'), "\n");
    s_run_free (&run);
    zactor_destroy (&fake.actor);
}

static void
test_show_event_line_and_china_time (void **state)
{
    (void)state;
    char when[CF_SHOW_TIME_SIZE];
    //  2026-03-01 00:00 UTC is 08:00 in China
    assert_string_equal (cf_show_time (1772323200000, when),
                         "2026-03-01 08:00+08:00");
    assert_string_equal (cf_show_time (0, when), "-");
    assert_string_equal (cf_show_time (INT64_MAX, when),
                         "9999-12-31 23:59+08:00");
    assert_string_equal (cf_show_time (INT64_MIN, when),
                         "0000-01-01 00:00+08:00");

    Cf__Event *event = s_fake_event (12);
    event->from = CF__STATE__STATE_VERIFICATION;
    event->to = CF__STATE__STATE_VERIFICATION;
    cf_pb_set_string (&event->event, "fixes_rejected");
    event->principal->role = CF__ROLE__ROLE_AUDITOR;
    cf_pb_set_string (&event->principal->name, "AUD001");
    event->data = cf_pb_new (&cf__event_data__descriptor);
    event->data->body_case = CF__EVENT_DATA__BODY_REASON;
    cf_pb_set_string (&event->data->reason, "no evidence\n\x1b[31mforged");
    cf_pb_set_string (&event->refused, "CF_EGUARD: not the verifier");
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cf_show_event (out, event, true);
    fclose (out);
    //  One line; the newline and the escape in the reason are spaces
    assert_string_equal (text,
                         "    12  2026-03-01 08:12+08:00  CF-2026-000002  "
                         "fixes_rejected verification → verification  "
                         "AUD001(auditor) — no evidence  [31mforged "
                         "[refused: CF_EGUARD: not the verifier]\n");
    free (text);
    cf_pb_free (&event);
}

//  Prints record with cf_show_case at now into a new string
static char *
s_shown_case (const Cf__Case *record, const cf_scheme_t *scheme, int64_t now)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cf_show_case (out, record, scheme, now);
    fclose (out);
    return text;
}

static void
test_show_deadline_counts_calendar_days (void **state)
{
    (void)state;
    //  2026-03-01 12:00 in China; the deadline 30 days on, a few seconds
    //  less than 30 x 24 hours away
    int64_t now = 1772337600000LL;
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000001");
    record->deadline_at = now + 30LL * 86400000 - 5000;
    char *text = s_shown_case (record, NULL, now);
    s_expect_in (text, "(in 30 days)");
    free (text);
    record->deadline_at = now + 86400000LL + 3600000;
    text = s_shown_case (record, NULL, now);
    s_expect_in (text, "(in 25 hours)");
    free (text);
    record->deadline_at = now - 3LL * 86400000;
    text = s_shown_case (record, NULL, now);
    s_expect_in (text, "(overdue by 3 days)");
    free (text);
    cf_pb_free (&record);
}

static void
test_show_says_why_the_star_rule_lowered_the_grade (void **state)
{
    (void)state;
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000001");
    record->original = cf_pb_new (&cf__score_result__descriptor);
    record->original->score = 86.9;
    cf_pb_set_string (&record->original->grade, "three_star");
    cf_pb_set_string (&record->decision, "grant");
    cf_pb_set_string (&record->decision_date, "2026-12-02");
    char rule[400];
    //  A first certificate: stars a year after it
    assert_true (cf_show_case_star_rule (scheme, record, rule, sizeof rule));
    assert_string_equal (rule, "86.9 reaches 三星级 three-star; granted 达标级 "
                               "compliant: stars come only after 12 months "
                               "holding a compliant certificate (the star "
                               "rule), possible from 2027-12-02");
    char *text = s_shown_case (record, scheme, 0);
    s_expect_in (text, "grade         86.9 reaches 三星级 three-star; granted");
    //  The score line names its grade once
    s_expect_in (text, "score         86.9 三星级 three-star (earned");
    free (text);
    //  Compliant since 2026-06-01: stars possible from 2027-06-01
    cf_pb_set_string (&record->first_compliant_date, "2026-06-01");
    assert_true (cf_show_case_star_rule (scheme, record, rule, sizeof rule));
    s_expect_in (rule, "possible from 2027-06-01");
    //  Compliant long enough: stars granted, nothing to explain
    cf_pb_set_string (&record->first_compliant_date, "2025-01-01");
    assert_false (cf_show_case_star_rule (scheme, record, rule, sizeof rule));
    assert_string_equal (rule, "");
    //  The committee granted stars early: nothing lowered
    cf_pb_set_string (&record->first_compliant_date, "");
    record->committee = cf_pb_new (&cf__committee__descriptor);
    record->committee->star_override = true;
    cf_pb_set_string (&record->committee->star_override_reason, "evidence");
    assert_false (cf_show_case_star_rule (scheme, record, rule, sizeof rule));
    //  A compliant score needs no word; nor does a case not yet granted
    record->committee->star_override = false;
    record->original->score = 75.0;
    cf_pb_set_string (&record->original->grade, "compliant");
    assert_false (cf_show_case_star_rule (scheme, record, rule, sizeof rule));
    cf_pb_set_string (&record->original->grade, "three_star");
    cf_pb_set_string (&record->decision, "");
    assert_false (cf_show_case_star_rule (scheme, record, rule, sizeof rule));
    cf_pb_free (&record);
    cf_scheme_destroy (&scheme);
}

static void
test_show_event_counts_in_words (void **state)
{
    (void)state;
    Cf__Event *event = s_fake_event (3);
    cf_pb_set_string (&event->event, "sheet_submitted");
    event->data = cf_pb_new (&cf__event_data__descriptor);
    event->data->body_case = CF__EVENT_DATA__BODY_SHEET;
    event->data->sheet = cf_pb_new (&cf__score_sheet__descriptor);
    Cf__Nonconformity *found = cf_pb_new (&cf__nonconformity__descriptor);
    cf_pb_append (&event->data->sheet->n_nonconformities,
                  (void ***)&event->data->sheet->nonconformities, found);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cf_show_event (out, event, false);
    fclose (out);
    s_expect_in (text, "score sheet: 0 indicators, 1 nonconformity");
    free (text);
    cf_pb_free (&event);
}

static void
test_cli_list_all_follows_the_cursor_into_one_document (void **state)
{
    s_world_t *world = *state;
    s_fake_t fake;
    s_fake_start (&fake, world, "", 0);
    s_run_t run = s_cli_at (world, fake.endpoint, "list", "--limit", "2", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    s_expect_in (run.out, "CF-2026-000002");
    s_expect_in (run.out, "more: add --after CF-2026-000002");
    assert_null (strstr (run.out, "CF-2026-000003"));
    s_run_free (&run);

    run = s_cli_at (world, fake.endpoint, "--json", "list", "--limit", "2",
                    "--all", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    s_expect_in (run.out, "\"id\":\"CF-2026-000001\"");
    s_expect_in (run.out, "\"id\":\"CF-2026-000003\"");
    s_expect_in (run.out, "],\"next\":\"\"},\"now\":0}\n");
    //  One document: one line
    assert_ptr_equal (strchr (run.out, '\n'), run.out + strlen (run.out) - 1);
    s_run_free (&run);
    zactor_destroy (&fake.actor);
}

static void
test_cli_certificate_check_exits_1_unless_valid_today (void **state)
{
    s_world_t *world = *state;
    s_fake_t fake;
    s_fake_start (&fake, world, "", 0);
    s_run_t run = s_cli_at (world, fake.endpoint, "certificate", "check",
                            "CFC2026SC00001", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    //  The grade once, as people read it
    s_expect_in (run.out, "CFC2026SC00001: valid; grade 三星级 three-star, "
                          "score ");
    s_expect_in (run.out, "expires 2099-01-01");
    s_run_free (&run);
    //  The number as people write it: case and spaces do not matter
    run = s_cli_at (world, fake.endpoint, "certificate", "check",
                    " cfc2026 sc00001", NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    s_expect_in (run.out, "CFC2026SC00001: valid");
    s_run_free (&run);
    //  Stored as valid, but its expiry date has passed
    run = s_cli_at (world, fake.endpoint, "certificate", "check",
                    "CFC2020SC00001", NULL);
    assert_int_equal (run.code, CF_CLI_REFUSED);
    s_expect_in (run.out, "CFC2020SC00001: expired");
    s_run_free (&run);
    zactor_destroy (&fake.actor);
}

static void
test_cli_identity_issue_writes_a_private_file_once (void **state)
{
    s_world_t *world = *state;
    s_fake_t fake;
    s_fake_start (&fake, world, "", 0);
    char path[128];
    snprintf (path, sizeof path, "%s/bob.cert", world->data);
    s_run_t run = s_cli_at (world, fake.endpoint, "--json", "identity", "issue",
                            "AUD009", "auditor", "--out", path, NULL);
    assert_int_equal (run.code, CF_CLI_OK);
    //  The secret is in the file, not on the output
    s_expect_in (run.out, "\"certificate\":\"\"");
    s_run_free (&run);
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    assert_int_equal (info.st_mode & 0777, 0600);
    char text[64] = "";
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    assert_non_null (fgets (text, sizeof text, file));
    fclose (file);
    assert_string_equal (text, "secret certificate text\n");
    //  Never over an existing file
    s_expect_usage (s_cli_at (world, fake.endpoint, "identity", "issue",
                              "AUD009", "auditor", "--out", path, NULL),
                    "cannot create it (File exists)");
    unlink (path);
    zactor_destroy (&fake.actor);
}

int
main (void)
{
    //  The tests say where everything is; the environment must not
    const char *variables[] = {"CERTFLOW_CLIENT_ENDPOINT",
                               "CERTFLOW_FEED_ENDPOINT",
                               "CERTFLOW_CERT",
                               "CERTFLOW_SERVER_CERT",
                               "CERTFLOW_TIMEOUT",
                               "CERTFLOW_RETRIES",
                               "CERTFLOW_CONFIG"};
    for (size_t index = 0; index < sizeof variables / sizeof *variables;
         index++)
        unsetenv (variables[index]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_request_round_trip_fills_the_id),
        cmocka_unit_test (test_retry_resends_the_same_bytes_on_a_new_socket),
        cmocka_unit_test (test_no_reply_after_all_tries_is_a_timeout),
        cmocka_unit_test (test_stale_reply_with_another_id_is_dropped),
        cmocka_unit_test (test_reply_that_does_not_decode_is_an_error),
        cmocka_unit_test (test_missing_certificate_is_reported_at_once),
        cmocka_unit_test (test_watch_fetches_exactly_the_missing_range),
        cmocka_unit_test (test_watch_pages_past_events_it_may_not_see),
        cmocka_unit_test (test_watch_heartbeat_reveals_missed_events),
        cmocka_unit_test (test_watch_filters_by_case_and_catches_up_from_since),
        cmocka_unit_test (test_watch_goes_silent_without_heartbeats),
        cmocka_unit_test (
            test_json_prints_a_case_with_enums_nesting_and_escapes),
        cmocka_unit_test (test_json_prints_a_reply_with_defaults_and_its_oneof),
        cmocka_unit_test (test_json_replaces_bytes_that_are_not_utf8),
        cmocka_unit_test (test_fixes_file_is_read_and_checked),
        cmocka_unit_test (test_plan_file_is_read_and_checked),
        cmocka_unit_test (test_plan_members_get_the_string_checks),
        cmocka_unit_test (test_cli_usage_errors_exit_2_with_the_fix),
        cmocka_unit_test (test_cli_bad_input_file_is_a_usage_error),
        cmocka_unit_test (test_cli_help_and_dot_need_no_daemon),
        cmocka_unit_test (test_cli_daemon_unreachable_exits_3),
        cmocka_unit_test (test_cli_against_the_fake_daemon),
        cmocka_unit_test (test_show_event_line_and_china_time),
        cmocka_unit_test (test_show_deadline_counts_calendar_days),
        cmocka_unit_test (test_show_says_why_the_star_rule_lowered_the_grade),
        cmocka_unit_test (test_show_event_counts_in_words),
        cmocka_unit_test (
            test_cli_list_all_follows_the_cursor_into_one_document),
        cmocka_unit_test (
            test_cli_certificate_check_exits_1_unless_valid_today),
        cmocka_unit_test (test_cli_identity_issue_writes_a_private_file_once),
    };
    return cmocka_run_group_tests (tests, s_world_setup, s_world_teardown);
}
