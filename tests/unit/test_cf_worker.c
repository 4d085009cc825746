/*  Unit tests for the worker loop against an in-process fake daemon: a
    ROUTER on tcp://127.0.0.1 behind zauth and CURVE, with certificates
    made in a temporary directory. The worker runs as a czmq actor so the
    test can play the daemon: it takes ready, offers jobs, checks results,
    lets heartbeats flow, goes silent or restarts and expects a new ready,
    and stops the worker to see it say disconnect. Also the command line.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_identity.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_wire.h"
#include "cf_worker.h"

//  Heartbeat interval of the workers whose silence handling is tested:
//  silence is seen in 300 ms
#define S_HEARTBEAT_MS 100
//  Heartbeat interval of the others: a fake daemon that does not beat
//  stays alive to them for the length of a test
#define S_PATIENT_MS 2000

typedef struct {
    char dir[64];             //  Temporary data directory
    char worker_cert[128];    //  The worker's secret certificate file
    char server_cert[128];    //  The daemon's public certificate file
    char worker_key[41];      //  The worker's public key (Z85)
    zactor_t *auth;           //  zauth over DATA/certs
    zcert_t *server;          //  The daemon's keys
    zsock_t *router;          //  The fake daemon's worker socket
    char endpoint[96];        //  ipc://DIR/worker.ipc, where it listens
    cf_worker_t *worker;      //  Worker under test
    zactor_t *actor;          //  Running it
    cf_problems_t *problems;  //  What the last call reported
    Cf__Application *sample;  //  examples/application.json
} fixture_t;

//  Makes the fake daemon's ROUTER on an ipc endpoint of the fixture's own:
//  bound again after a restart, no other test can have taken it
static void
s_bind (fixture_t *fixture)
{
    fixture->router = zsock_new (ZMQ_ROUTER);
    assert_non_null (fixture->router);
    cf_identity_server (fixture->router, fixture->server);
    zsock_set_router_mandatory (fixture->router, 1);
    snprintf (fixture->endpoint, sizeof fixture->endpoint,
              "ipc://%s/worker.ipc", fixture->dir);
    assert_int_equal (zsock_bind (fixture->router, "%s", fixture->endpoint), 0);
}

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_non_null (fixture);
    fixture->problems = cf_problems_new ();
    strcpy (fixture->dir, "/tmp/cf_worker_XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    assert_int_equal (cf_identity_init (fixture->dir, fixture->problems), 0);

    char certs[96];
    snprintf (certs, sizeof certs, "%s/certs", fixture->dir);
    zcert_t *cert = NULL;
    assert_int_equal (cf_identity_issue (certs, "worker-1", "worker", NULL,
                                         &cert, fixture->problems),
                      0);
    snprintf (fixture->worker_cert, sizeof fixture->worker_cert,
              "%s/worker.cert", fixture->dir);
    assert_int_equal (zcert_save_secret (cert, fixture->worker_cert), 0);
    strcpy (fixture->worker_key, zcert_public_txt (cert));
    zcert_destroy (&cert);
    snprintf (fixture->server_cert, sizeof fixture->server_cert,
              "%s/keys/daemon.cert", fixture->dir);

    assert_int_equal (cf_identity_auth_start (certs, &fixture->auth), 0);
    assert_int_equal (cf_identity_load_server (fixture->dir, &fixture->server,
                                               fixture->problems),
                      0);
    s_bind (fixture);

    char path[512];
    snprintf (path, sizeof path, "%s/examples/application.json", CF_SOURCE_DIR);
    char *text = NULL;
    size_t size = 0;
    assert_int_equal (
        cf_json_load_file (path, CF_JSON_MAX_BYTES, &text, &size, NULL), 0);
    assert_int_equal (cf_json_application (text, size, &fixture->sample, NULL),
                      0);
    free (text);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    zactor_destroy (&fixture->actor);
    cf_worker_destroy (&fixture->worker);
    zsock_destroy (&fixture->router);
    zactor_destroy (&fixture->auth);
    zcert_destroy (&fixture->server);
    cf_pb_free (&fixture->sample);
    cf_problems_destroy (&fixture->problems);
    //  zdir skips hidden entries, zauth's certs/.zauth among them
    char command[128];
    snprintf (command, sizeof command, "rm -rf %s", fixture->dir);
    assert_int_equal (system (command), 0);
    free (fixture);
    return 0;
}

//  Options for a worker of the fixture, serving stages (NULL-ended)
static cf_worker_options_t
s_options (fixture_t *fixture, const char **stages, int heartbeat_ms)
{
    size_t count = 0;
    while (stages && stages[count])
        count++;
    cf_worker_options_t options = {
        .endpoint = fixture->endpoint,
        .cert_path = fixture->worker_cert,
        .server_cert_path = fixture->server_cert,
        .name = "test-worker",
        .stages = stages,
        .stage_count = count,
        .capacity = 2,
        .heartbeat_ms = heartbeat_ms,
    };
    return options;
}

static void
s_start (fixture_t *fixture, const char **stages, int heartbeat_ms)
{
    cf_worker_options_t options = s_options (fixture, stages, heartbeat_ms);
    assert_int_equal (
        cf_worker_new (&options, &fixture->worker, fixture->problems), 0);
    fixture->actor = zactor_new (cf_worker_actor, fixture->worker);
    assert_non_null (fixture->actor);
}

//  Receives from the fake daemon's socket until a message of kind arrives
//  (other kinds are counted in *others when not NULL) or timeout_ms pass.
//  Returns the decoded message or NULL; *routing_p gets the sender.
static Cf__WorkerMessage *
s_expect (fixture_t *fixture, Cf__WorkerMessage__BodyCase kind, int timeout_ms,
          zframe_t **routing_p, int *others)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    zpoller_t *poller = zpoller_new (fixture->router, NULL);
    Cf__WorkerMessage *found = NULL;
    int64_t remaining;
    while (!found && (remaining = deadline - zclock_mono ()) > 0) {
        if (!zpoller_wait (poller, (int)remaining))
            continue;
        zmsg_t *msg = zmsg_recv (fixture->router);
        assert_non_null (msg);
        assert_int_equal (zmsg_size (msg), 2);  //  Routing id, one body
        zframe_t *routing = zmsg_pop (msg);
        zframe_t *body = zmsg_first (msg);
        //  CURVE and zauth named the sender by its key
        assert_string_equal (zframe_meta (body, "User-Id"),
                             fixture->worker_key);
        Cf__WorkerMessage *message = NULL;
        assert_int_equal (
            cf_wire_decode (&cf__worker_message__descriptor, zframe_data (body),
                            zframe_size (body), (void **)&message, NULL),
            0);
        if (message->body_case == kind) {
            found = message;
            if (routing_p) {
                zframe_destroy (routing_p);
                *routing_p = routing;
                routing = NULL;
            }
        } else {
            if (others)
                (*others)++;
            cf_pb_free (&message);
        }
        zframe_destroy (&routing);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return found;
}

//  A new message addressed to the worker at routing
static zmsg_t *
s_to (zframe_t *routing)
{
    zmsg_t *msg = zmsg_new ();
    zframe_t *copy = zframe_dup (routing);
    zmsg_append (msg, &copy);
    return msg;
}

//  Sends message to the worker at routing
static void
s_send (fixture_t *fixture, zframe_t *routing, const Cf__DaemonMessage *message)
{
    size_t size = 0;
    uint8_t *data = cf_pb_pack (&message->base, &size);
    zmsg_t *msg = s_to (routing);
    zmsg_addmem (msg, data, size);
    free (data);
    assert_int_equal (zmsg_send (&msg, fixture->router), 0);
}

static void
s_send_heartbeat (fixture_t *fixture, zframe_t *routing)
{
    Cf__DaemonMessage message = CF__DAEMON_MESSAGE__INIT;
    message.body_case = CF__DAEMON_MESSAGE__BODY_HEARTBEAT;
    message.heartbeat = true;
    s_send (fixture, routing, &message);
}

//  Offers a job of stage on the sample case
static void
s_offer (fixture_t *fixture, zframe_t *routing, const char *stage,
         uint64_t job_id, uint64_t lease)
{
    Cf__Job job = CF__JOB__INIT;
    job.id = job_id;
    job.lease = lease;
    job.stage = (char *)stage;
    job.case_id = "CF-2026-000001";
    job.status = CF__JOB_STATUS__JOB_STATUS_LEASED;
    Cf__Case record = CF__CASE__INIT;
    record.id = "CF-2026-000001";
    record.state = CF__STATE__STATE_SUBMITTED;
    record.application = fixture->sample;
    const char *scheme = cf_scheme_default_text ();
    Cf__JobOffer offer = CF__JOB_OFFER__INIT;
    offer.job = &job;
    offer.record = &record;
    offer.now = cf_date_to_ms (cf_date_from_ymd (2026, 3, 2)) + 3600000;
    offer.scheme.data = (uint8_t *)scheme;
    offer.scheme.len = strlen (scheme);
    Cf__DaemonMessage message = CF__DAEMON_MESSAGE__INIT;
    message.body_case = CF__DAEMON_MESSAGE__BODY_OFFER;
    message.offer = &offer;
    s_send (fixture, routing, &message);
}

//  Starts a worker and takes its ready; returns the worker's routing id
static zframe_t *
s_start_ready (fixture_t *fixture, const char **stages, int heartbeat_ms)
{
    s_start (fixture, stages, heartbeat_ms);
    zframe_t *routing = NULL;
    Cf__WorkerMessage *ready = s_expect (
        fixture, CF__WORKER_MESSAGE__BODY_READY, 5000, &routing, NULL);
    assert_non_null (ready);
    cf_pb_free (&ready);
    return routing;
}

//  ------------------------------------------------------------------------
//  The conversation

static void
test_worker_says_ready_over_curve (void **state)
{
    fixture_t *fixture = *state;
    const char *stages[] = {"intake", "review", "intake", NULL};
    s_start (fixture, stages, S_PATIENT_MS);
    zframe_t *routing = NULL;
    Cf__WorkerMessage *message = s_expect (
        fixture, CF__WORKER_MESSAGE__BODY_READY, 5000, &routing, NULL);
    assert_non_null (message);
    //  The stage named twice is announced once
    assert_int_equal (message->ready->n_stages, 2);
    assert_string_equal (message->ready->stages[0], "intake");
    assert_string_equal (message->ready->stages[1], "review");
    assert_int_equal (message->ready->capacity, 2);
    cf_pb_free (&message);
    zframe_destroy (&routing);
}

static void
test_worker_does_an_offered_job (void **state)
{
    fixture_t *fixture = *state;
    zframe_t *routing = s_start_ready (fixture, NULL, S_PATIENT_MS);
    s_offer (fixture, routing, "intake", 42, 9);
    Cf__WorkerMessage *message =
        s_expect (fixture, CF__WORKER_MESSAGE__BODY_RESULT, 5000, NULL, NULL);
    assert_non_null (message);
    assert_int_equal (message->result->job, 42);
    assert_int_equal (message->result->lease, 9);
    assert_string_equal (message->result->event, "intake_passed");
    assert_string_equal (message->result->error, "");
    cf_pb_free (&message);

    //  The daemon answers; a second job shows the worker still takes work
    Cf__Reply reply = CF__REPLY__INIT;
    reply.status = CF__STATUS__STATUS_REFUSED;
    reply.error = "CF_EGUARD";
    reply.message = "lease expired";
    Cf__DaemonMessage answer = CF__DAEMON_MESSAGE__INIT;
    answer.body_case = CF__DAEMON_MESSAGE__BODY_REPLY;
    answer.reply = &reply;
    s_send (fixture, routing, &answer);
    s_offer (fixture, routing, "contract", 43, 1);
    message =
        s_expect (fixture, CF__WORKER_MESSAGE__BODY_RESULT, 5000, NULL, NULL);
    assert_non_null (message);
    assert_int_equal (message->result->job, 43);
    assert_string_equal (message->result->event, "contract_issued");
    assert_int_equal (message->result->data->contract->person_days_tenths, 45);
    assert_non_null (strstr (message->result->document, "HT-CF-2026-000001"));
    cf_pb_free (&message);
    zframe_destroy (&routing);
}

static void
test_worker_reports_a_job_it_cannot_do (void **state)
{
    fixture_t *fixture = *state;
    const char *stages[] = {"intake", "planning", NULL};
    zframe_t *routing = s_start_ready (fixture, stages, S_PATIENT_MS);

    //  No staff came with the offer: no team, an error for the daemon
    s_offer (fixture, routing, "planning", 50, 2);
    Cf__WorkerMessage *message =
        s_expect (fixture, CF__WORKER_MESSAGE__BODY_RESULT, 5000, NULL, NULL);
    assert_non_null (message);
    assert_int_equal (message->result->job, 50);
    assert_string_equal (message->result->event, "");
    assert_null (message->result->data);
    assert_non_null (strstr (message->result->error, "CF_ENOSTAFF: "));
    assert_non_null (strstr (message->result->error, "team.too_few"));
    cf_pb_free (&message);

    //  A stage it did not announce
    s_offer (fixture, routing, "review", 51, 2);
    message =
        s_expect (fixture, CF__WORKER_MESSAGE__BODY_RESULT, 5000, NULL, NULL);
    assert_non_null (message);
    assert_int_equal (message->result->job, 51);
    assert_non_null (strstr (message->result->error, "stage.not_served"));
    cf_pb_free (&message);
    zframe_destroy (&routing);
}

static void
test_worker_drops_frames_that_do_not_decode (void **state)
{
    fixture_t *fixture = *state;
    zframe_t *routing = s_start_ready (fixture, NULL, S_PATIENT_MS);
    //  Garbage, then two frames where one is expected
    zmsg_t *msg = s_to (routing);
    zmsg_addmem (msg, "\xff\xff\xff\xff", 4);
    assert_int_equal (zmsg_send (&msg, fixture->router), 0);
    msg = s_to (routing);
    zmsg_addstr (msg, "one");
    zmsg_addstr (msg, "two");
    assert_int_equal (zmsg_send (&msg, fixture->router), 0);

    s_offer (fixture, routing, "intake", 60, 1);
    Cf__WorkerMessage *message =
        s_expect (fixture, CF__WORKER_MESSAGE__BODY_RESULT, 5000, NULL, NULL);
    assert_non_null (message);
    assert_int_equal (message->result->job, 60);
    assert_string_equal (message->result->event, "intake_passed");
    cf_pb_free (&message);
    zframe_destroy (&routing);
}

static void
test_heartbeats_flow_both_ways (void **state)
{
    fixture_t *fixture = *state;
    zframe_t *routing = s_start_ready (fixture, NULL, S_HEARTBEAT_MS);
    //  For eight intervals the daemon beats and the worker beats back; a
    //  live daemon is never reconnected to, so no second ready
    int beats = 0;
    for (int round = 0; round < 8; round++) {
        s_send_heartbeat (fixture, routing);
        Cf__WorkerMessage *message =
            s_expect (fixture, CF__WORKER_MESSAGE__BODY_READY, S_HEARTBEAT_MS,
                      NULL, &beats);
        assert_null (message);
    }
    assert_true (beats >= 5);
    zframe_destroy (&routing);
}

static void
test_silent_daemon_gets_a_new_ready (void **state)
{
    fixture_t *fixture = *state;
    zframe_t *first = s_start_ready (fixture, NULL, S_HEARTBEAT_MS);
    //  Say nothing: after three intervals the worker drops the socket and,
    //  a second later, connects a new one and says ready again
    int64_t silent_since = zclock_mono ();
    zframe_t *second = NULL;
    Cf__WorkerMessage *message =
        s_expect (fixture, CF__WORKER_MESSAGE__BODY_READY, 5000, &second, NULL);
    assert_non_null (message);
    assert_true (zclock_mono () - silent_since >=
                 CF_WORKER_LIVENESS * S_HEARTBEAT_MS +
                     CF_WORKER_RECONNECT_MIN_MS - 200);
    assert_false (zframe_eq (first, second));  //  A new socket
    cf_pb_free (&message);

    //  And it works on the new connection
    s_offer (fixture, second, "intake", 70, 1);
    message =
        s_expect (fixture, CF__WORKER_MESSAGE__BODY_RESULT, 5000, NULL, NULL);
    assert_non_null (message);
    assert_int_equal (message->result->job, 70);
    cf_pb_free (&message);
    zframe_destroy (&first);
    zframe_destroy (&second);
}

static void
test_restarted_daemon_gets_ready (void **state)
{
    fixture_t *fixture = *state;
    zframe_t *routing = s_start_ready (fixture, NULL, S_HEARTBEAT_MS);
    zframe_destroy (&routing);
    //  The daemon goes away and comes back on the same endpoint
    zsock_destroy (&fixture->router);
    zclock_sleep (200);
    s_bind (fixture);
    Cf__WorkerMessage *message = s_expect (
        fixture, CF__WORKER_MESSAGE__BODY_READY, 5000, &routing, NULL);
    assert_non_null (message);
    cf_pb_free (&message);
    s_offer (fixture, routing, "intake", 80, 1);
    message =
        s_expect (fixture, CF__WORKER_MESSAGE__BODY_RESULT, 5000, NULL, NULL);
    assert_non_null (message);
    assert_int_equal (message->result->job, 80);
    cf_pb_free (&message);
    zframe_destroy (&routing);
}

static void
test_stopping_says_disconnect (void **state)
{
    fixture_t *fixture = *state;
    zframe_t *routing = s_start_ready (fixture, NULL, S_PATIENT_MS);
    zframe_destroy (&routing);
    zactor_destroy (&fixture->actor);
    Cf__WorkerMessage *message = s_expect (
        fixture, CF__WORKER_MESSAGE__BODY_DISCONNECT, 2000, NULL, NULL);
    assert_non_null (message);
    assert_true (message->disconnect);
    cf_pb_free (&message);
}

//  ------------------------------------------------------------------------
//  Making a worker

static void
test_new_refuses_an_unknown_stage (void **state)
{
    fixture_t *fixture = *state;
    const char *stages[] = {"intake", "shipping", NULL};
    cf_worker_options_t options = s_options (fixture, stages, S_PATIENT_MS);
    assert_int_equal (
        cf_worker_new (&options, &fixture->worker, fixture->problems),
        CF_EINVAL);
    assert_null (fixture->worker);
    assert_true (cf_problems_has (fixture->problems, "stage.unknown"));
    const char *message = cf_problems_message (fixture->problems, 0);
    assert_non_null (strstr (message, "'shipping'"));
    assert_non_null (strstr (message, "intake, review, contract, planning, "
                                      "scoring, committee, issuance"));
}

static void
test_new_needs_both_certificates (void **state)
{
    fixture_t *fixture = *state;
    cf_worker_options_t options = s_options (fixture, NULL, S_PATIENT_MS);
    options.cert_path = NULL;
    options.server_cert_path = "";
    assert_int_equal (
        cf_worker_new (&options, &fixture->worker, fixture->problems),
        CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "cert"));
    assert_true (cf_problems_has (fixture->problems, "server_cert"));

    cf_problems_reset (fixture->problems);
    options = s_options (fixture, NULL, S_PATIENT_MS);
    options.cert_path = "/nonexistent/worker.cert";
    assert_true (cf_worker_new (&options, &fixture->worker, fixture->problems) <
                 0);
    assert_null (fixture->worker);
    assert_true (cf_problems_size (fixture->problems) > 0);
}

static void
test_new_refuses_a_bad_endpoint (void **state)
{
    fixture_t *fixture = *state;
    cf_worker_options_t options = s_options (fixture, NULL, S_PATIENT_MS);
    options.endpoint = "localhost:5581";
    assert_int_equal (
        cf_worker_new (&options, &fixture->worker, fixture->problems),
        CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "endpoint"));
}

//  ------------------------------------------------------------------------
//  The command line

static int
s_parse (fixture_t *fixture, cf_worker_options_t **options_p, ...)
{
    char *argv[32] = {"certflow-worker"};
    int argc = 1;
    va_list args;
    va_start (args, options_p);
    for (char *arg = va_arg (args, char *); arg; arg = va_arg (args, char *))
        argv[argc++] = arg;
    va_end (args);
    cf_problems_reset (fixture->problems);
    return cf_worker_options_parse (argc, argv, options_p, fixture->problems);
}

static void
test_options_take_repeated_stages (void **state)
{
    fixture_t *fixture = *state;
    unsetenv ("CERTFLOW_WORKER_ENDPOINT");
    cf_worker_options_t *options = NULL;
    assert_int_equal (s_parse (fixture, &options, "--stage", "intake",
                               "--heartbeat", "250", "--stage=scoring",
                               "--capacity", "3", "--cert", "w.cert",
                               "--server-cert", "d.cert", "--verbose", NULL),
                      0);
    assert_int_equal (options->stage_count, 2);
    assert_string_equal (options->stages[0], "intake");
    assert_string_equal (options->stages[1], "scoring");
    assert_int_equal (options->heartbeat_ms, 250);
    assert_int_equal (options->capacity, 3);
    assert_string_equal (options->cert_path, "w.cert");
    assert_string_equal (options->server_cert_path, "d.cert");
    assert_string_equal (options->endpoint, CF_WORKER_DEFAULT_ENDPOINT);
    assert_true (options->verbose);
    assert_false (options->help);
    cf_worker_options_destroy (&options);
    assert_null (options);
}

static void
test_options_read_the_environment (void **state)
{
    fixture_t *fixture = *state;
    setenv ("CERTFLOW_WORKER_ENDPOINT", "tcp://10.0.0.5:5581", 1);
    setenv ("CERTFLOW_CERT", "env.cert", 1);
    cf_worker_options_t *options = NULL;
    assert_int_equal (s_parse (fixture, &options, "--cert", "flag.cert", NULL),
                      0);
    assert_string_equal (options->endpoint, "tcp://10.0.0.5:5581");
    assert_string_equal (options->cert_path, "flag.cert");  //  Flags win
    assert_int_equal (options->stage_count, 0);             //  All stages
    assert_int_equal (options->heartbeat_ms, 1000);
    assert_int_equal (options->capacity, CF_WORKER_CAPACITY_DEFAULT);
    assert_true (CF_WORKER_CAPACITY_DEFAULT > 1);
    cf_worker_options_destroy (&options);
    unsetenv ("CERTFLOW_WORKER_ENDPOINT");
    unsetenv ("CERTFLOW_CERT");
}

static void
test_options_refuse_what_they_do_not_know (void **state)
{
    fixture_t *fixture = *state;
    cf_worker_options_t *options = NULL;
    assert_int_equal (s_parse (fixture, &options, "--bogus", NULL), CF_EINVAL);
    assert_null (options);
    assert_int_equal (s_parse (fixture, &options, "intake", NULL), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "args.unexpected"));
    assert_int_equal (s_parse (fixture, &options, "--stage", NULL), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "args.stage"));
    assert_int_equal (s_parse (fixture, &options, "--heartbeat", "0", NULL),
                      CF_EINVAL);
    assert_null (options);
}

static void
test_options_help (void **state)
{
    fixture_t *fixture = *state;
    cf_worker_options_t *options = NULL;
    assert_int_equal (s_parse (fixture, &options, "--help", NULL), 0);
    assert_true (options->help);
    cf_worker_options_destroy (&options);

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cf_worker_usage (out);
    fclose (out);
    assert_non_null (strstr (text, "--stage"));
    assert_non_null (strstr (text, "CERTFLOW_SERVER_CERT"));
    assert_non_null (strstr (text, "committee"));
    free (text);
}

int
main (void)
{
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_worker_says_ready_over_curve),
        TEST (test_worker_does_an_offered_job),
        TEST (test_worker_reports_a_job_it_cannot_do),
        TEST (test_worker_drops_frames_that_do_not_decode),
        TEST (test_heartbeats_flow_both_ways),
        TEST (test_silent_daemon_gets_a_new_ready),
        TEST (test_restarted_daemon_gets_ready),
        TEST (test_stopping_says_disconnect),
        TEST (test_new_refuses_an_unknown_stage),
        TEST (test_new_needs_both_certificates),
        TEST (test_new_refuses_a_bad_endpoint),
        TEST (test_options_take_repeated_stages),
        TEST (test_options_read_the_environment),
        TEST (test_options_refuse_what_they_do_not_know),
        TEST (test_options_help),
    };
#undef TEST
    return cmocka_run_group_tests (tests, NULL, NULL);
}
