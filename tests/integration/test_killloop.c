/*  =========================================================================
    test_killloop - certflowd killed with SIGKILL at random moments, again
    and again, under a load of submits and signatures

    Twelve cases are first taken to contract_pending by the front-office
    workers. Then, S_KILLS times: the daemon starts, raw CURVE clients
    pipeline new submits and signatures of those cases (each a new request
    id; requests still unanswered are sent again with their id, as the
    client retries), and after a random 5-80 ms the daemon is SIGKILLed
    mid-load. A kill comes only while requests are unanswered: if the
    life's requests are all answered by the moment drawn, the clients fill
    their windows with new ones and the kill follows at once, so every kill
    finds work in hand (checked). Every reply that comes is kept; one for a
    request answered before must be the same answer: the same bytes, but
    for the case it shows, which is the case as it stands then (the same
    case, at its event or later).

    Afterwards a last daemon gets every request sent again, byte for byte:
    a request answered before gets the same answer; the rest are answered
    now. Then nothing is lost or doubled: one case per submit
    and no more cases than submits, each case signed exactly once with
    exactly one signature answered OK, and certflowd verify passes.

    The seed is printed; CERTFLOW_TEST_SEED=N replays the moments, and
    CERTFLOW_TEST_KILLS=N changes the number of kills.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_pb.h"
#include "cf_proc.h"
#include "cf_wire.h"

#define S_ORG "YUNXI"

//  Kills in a run unless CERTFLOW_TEST_KILLS says otherwise
#define S_KILLS 100

//  Cases taken to contract_pending before the kills, to be signed
#define S_SIGNABLE 12

//  Clients sending at once
#define S_CLIENTS 4

//  Requests a client has unanswered at most
#define S_WINDOW 8

//  New requests in one life of the daemon at most
#define S_LIFE_REQUESTS 200

//  Most requests in a run
#define S_REQUESTS_MAX 50000

//  One request of the run
typedef struct {
    char id[24];       //  Its request id
    zchunk_t *bytes;   //  The frame as sent, sent again as it is
    int client;        //  The client that sends it
    bool is_submit;    //  A submit; else a signature
    size_t signable;   //  The case it signs (index into the cases)
    zchunk_t *reply;   //  The first reply that came, or NULL
    bool outstanding;  //  Sent and not answered yet
} s_request_t;

typedef struct {
    cf_proc_t *proc;               //  The site
    unsigned seed;                 //  rand_r state
    zsock_t *clients[S_CLIENTS];   //  Raw CURVE DEALERs
    Cf__Application *application;  //  examples/application.json
    char *signable[S_SIGNABLE];    //  Cases to sign
    s_request_t *requests;         //  Every request made
    size_t count;                  //  How many
    size_t waiting[S_CLIENTS];     //  Unanswered, per client
    size_t kills;                  //  SIGKILLs so far
    size_t kills_in_flight;        //  Those with requests unanswered
    size_t kills_topped_up;        //  Those that came on a fresh window
    size_t answered_again;         //  Repeat replies compared
} s_loop_t;

static const char *const s_flags[] = {"--lease-ms", "2000", "--backoff-ms",
                                      "100", NULL};

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "killloop");
}

static size_t
s_kills (void)
{
    const char *given = getenv ("CERTFLOW_TEST_KILLS");
    return given && *given ? (size_t)strtoul (given, NULL, 10) : S_KILLS;
}

//  Makes a new request: a submit, or a signature of signable case
static s_request_t *
s_request_new (s_loop_t *loop, bool is_submit, size_t signable)
{
    assert_true (loop->count < S_REQUESTS_MAX);
    s_request_t *request = &loop->requests[loop->count];
    snprintf (request->id, sizeof request->id, "kill-%zu", loop->count);
    request->client = (int)(loop->count % S_CLIENTS);
    request->is_submit = is_submit;
    request->signable = signable;
    loop->count++;

    Cf__Request message = CF__REQUEST__INIT;
    Cf__SubmitRequest submit = CF__SUBMIT_REQUEST__INIT;
    Cf__FireRequest fire = CF__FIRE_REQUEST__INIT;
    message.id = request->id;
    if (is_submit) {
        submit.application = loop->application;
        message.body_case = CF__REQUEST__BODY_SUBMIT;
        message.submit = &submit;
    } else {
        fire.case_id = loop->signable[signable];
        fire.event = "contract_signed";
        message.body_case = CF__REQUEST__BODY_FIRE;
        message.fire = &fire;
    }
    size_t size = 0;
    uint8_t *data = cf_pb_pack (&message.base, &size);
    request->bytes = zchunk_new (data, size);
    free (data);
    return request;
}

static void
s_send (s_loop_t *loop, s_request_t *request)
{
    zframe_t *frame =
        zframe_new (zchunk_data (request->bytes), zchunk_size (request->bytes));
    //  Queued while the daemon is away, delivered when it is back
    assert_int_equal (
        zframe_send (&frame, loop->clients[request->client], ZFRAME_DONTWAIT),
        0);
    if (!request->outstanding)
        loop->waiting[request->client]++;
    request->outstanding = true;
}

//  Whether again answers as first did: the same outcome and message and,
//  for a reply that shows a case, the same case at the first's event or
//  later; any other reply the same bytes
static bool
s_same_answer (zchunk_t *first, zframe_t *again)
{
    if (zchunk_size (first) == zframe_size (again) &&
        memcmp (zchunk_data (first), zframe_data (again),
                zframe_size (again)) == 0)
        return true;
    Cf__Reply *one = NULL, *other = NULL;
    bool same =
        cf_wire_decode (&cf__reply__descriptor, zchunk_data (first),
                        zchunk_size (first), (void **)&one, NULL) == 0 &&
        cf_wire_decode (&cf__reply__descriptor, zframe_data (again),
                        zframe_size (again), (void **)&other, NULL) == 0 &&
        one->status == other->status && streq (one->error, other->error) &&
        streq (one->message, other->message) && one->now == other->now &&
        one->body_case == CF__REPLY__BODY_RECORD &&
        other->body_case == CF__REPLY__BODY_RECORD &&
        streq (one->record->id, other->record->id) &&
        other->record->last_seq >= one->record->last_seq;
    cf_pb_free (&one);
    cf_pb_free (&other);
    return same;
}

//  Takes one reply: the first answer of its request is kept; a later one
//  must be the same answer. Returns the request, or NULL for an answer that
//  says the daemon could not commit (the client tries again).
static s_request_t *
s_take_reply (s_loop_t *loop, zframe_t *frame)
{
    Cf__Reply *reply = NULL;
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_wire_decode (&cf__reply__descriptor, zframe_data (frame),
                             zframe_size (frame), (void **)&reply, problems);
    if (rc != 0)
        fail_msg ("a reply does not decode: %s", cf_problems_join (problems));
    cf_problems_destroy (&problems);
    size_t index = 0;
    if (sscanf (reply->id, "kill-%zu", &index) != 1 || index >= loop->count)
        fail_msg ("a reply names request '%s', never sent", reply->id);
    s_request_t *request = &loop->requests[index];
    bool unavailable = reply->status == CF__STATUS__STATUS_UNAVAILABLE;
    cf_pb_free (&reply);
    if (request->outstanding)
        loop->waiting[request->client]--;
    request->outstanding = false;
    if (unavailable)
        return NULL;
    if (!request->reply)
        request->reply = zchunk_new (zframe_data (frame), zframe_size (frame));
    else {
        loop->answered_again++;
        if (!s_same_answer (request->reply, frame))
            fail_msg ("request %s answered twice, differently", request->id);
    }
    return request;
}

//  Reads whatever replies are there within timeout_ms
static size_t
s_receive (s_loop_t *loop, int timeout_ms)
{
    zmq_pollitem_t items[S_CLIENTS];
    for (int index = 0; index < S_CLIENTS; index++)
        items[index] = (zmq_pollitem_t){zsock_resolve (loop->clients[index]), 0,
                                        ZMQ_POLLIN, 0};
    if (zmq_poll (items, S_CLIENTS, timeout_ms) <= 0)
        return 0;
    size_t taken = 0;
    for (int index = 0; index < S_CLIENTS; index++) {
        if (!(items[index].revents & ZMQ_POLLIN))
            continue;
        zframe_t *frame;
        while ((frame = zframe_recv_nowait (loop->clients[index]))) {
            (void)s_take_reply (loop, frame);
            zframe_destroy (&frame);
            taken++;
        }
    }
    return taken;
}

//  Fills each client's window with new requests, within the life's budget
//  unless over_budget; returns how many were made
static size_t
s_fill (s_loop_t *loop, size_t *made, bool over_budget)
{
    size_t filled = 0;
    for (int client = 0; client < S_CLIENTS; client++)
        while (loop->waiting[client] < S_WINDOW &&
               (over_budget || *made < S_LIFE_REQUESTS)) {
            //  One in three a signature of a random case
            bool is_submit = rand_r (&loop->seed) % 3 != 0;
            s_request_t *request = s_request_new (
                loop, is_submit, rand_r (&loop->seed) % S_SIGNABLE);
            request->client = client;
            s_send (loop, request);
            (*made)++;
            filled++;
        }
    return filled;
}

static size_t
s_waiting (const s_loop_t *loop)
{
    size_t waiting = 0;
    for (int client = 0; client < S_CLIENTS; client++)
        waiting += loop->waiting[client];
    return waiting;
}

//  One life of the daemon: start it, send again what is unanswered, load
//  it for a random moment, kill it while requests are unanswered
static void
s_life (s_loop_t *loop)
{
    cf_proc_daemon (loop->proc, s_flags);
    for (size_t index = 0; index < loop->count; index++)
        if (loop->requests[index].outstanding || !loop->requests[index].reply)
            s_send (loop, &loop->requests[index]);
    int64_t kill_at = zclock_mono () + 5 + rand_r (&loop->seed) % 76;
    size_t made = 0;
    while (zclock_mono () < kill_at) {
        (void)s_fill (loop, &made, false);
        (void)s_receive (loop, 2);
    }
    //  The daemon answered all it was given: new requests, and the kill
    //  before it can answer them
    if (s_waiting (loop) == 0) {
        (void)s_fill (loop, &made, true);
        loop->kills_topped_up++;
    }
    size_t waiting = s_waiting (loop);
    cf_proc_kill (cf_proc_current_daemon (loop->proc));
    loop->kills++;
    loop->kills_in_flight += waiting > 0;
}

static void
s_send_all_again (s_loop_t *loop)
{
    cf_proc_daemon (loop->proc, s_flags);
    //  Every case gets a signature, however the dice fell
    bool asked[S_SIGNABLE] = {false};
    for (size_t index = 0; index < loop->count; index++)
        if (!loop->requests[index].is_submit)
            asked[loop->requests[index].signable] = true;
    for (size_t index = 0; index < S_SIGNABLE; index++)
        if (!asked[index])
            (void)s_request_new (loop, false, index);
    for (size_t index = 0; index < loop->count; index++)
        loop->requests[index].outstanding = false;
    memset (loop->waiting, 0, sizeof loop->waiting);
    size_t next = 0;
    int64_t deadline = zclock_mono () + 120000;
    while (true) {
        size_t waiting = s_waiting (loop);
        while (next < loop->count && waiting < S_WINDOW * S_CLIENTS) {
            s_send (loop, &loop->requests[next++]);
            waiting++;
        }
        if (next == loop->count && waiting == 0)
            break;
        if (zclock_mono () > deadline)
            fail_msg ("%zu requests still unanswered after the kills", waiting);
        (void)s_receive (loop, 100);
        //  A round that could not commit is answered UNAVAILABLE: again
        for (size_t index = 0; index < next; index++)
            if (!loop->requests[index].outstanding &&
                !loop->requests[index].reply)
                s_send (loop, &loop->requests[index]);
    }
}

static void
s_check (s_loop_t *loop)
{
    cf_proc_t *proc = loop->proc;
    //  One case per submit, each answered OK with its own case
    zhashx_t *cases = zhashx_new ();
    size_t submits = 0, signed_ok[S_SIGNABLE] = {0};
    for (size_t index = 0; index < loop->count; index++) {
        s_request_t *request = &loop->requests[index];
        Cf__Reply *reply = NULL;
        assert_int_equal (cf_wire_decode (&cf__reply__descriptor,
                                          zchunk_data (request->reply),
                                          zchunk_size (request->reply),
                                          (void **)&reply, NULL),
                          0);
        if (request->is_submit) {
            submits++;
            if (reply->status != CF__STATUS__STATUS_OK ||
                reply->body_case != CF__REPLY__BODY_RECORD)
                fail_msg ("submit %s refused: %s %s", request->id, reply->error,
                          reply->message);
            if (zhashx_insert (cases, reply->record->id, request) != 0)
                fail_msg ("submits %s and another made the same case %s",
                          request->id, reply->record->id);
        } else if (reply->status == CF__STATUS__STATUS_OK)
            signed_ok[request->signable]++;
        cf_pb_free (&reply);
    }
    zhashx_destroy (&cases);

    //  No case that no submit made
    const cf_proc_output_t *list =
        cf_proc_expect (proc, 0, NULL, "--json", "list", "--all", NULL);
    assert_int_equal (cf_proc_json_length (list->json, "/page/cases"),
                      submits + S_SIGNABLE);

    //  Each case signed once, and one signature told so
    for (size_t index = 0; index < S_SIGNABLE; index++) {
        const cf_proc_output_t *history = cf_proc_expect (
            proc, 0, NULL, "--json", "history", loop->signable[index], NULL);
        size_t signatures =
            cf_proc_count_event (history->json, "contract_signed");
        if (signatures != 1 || signed_ok[index] != 1)
            fail_msg ("case %s: %zu signatures in its history, %zu told OK",
                      loop->signable[index], signatures, signed_ok[index]);
    }
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    const cf_proc_output_t *verify = cf_proc_verify (proc);
    if (verify->status != 0)
        fail_msg ("certflowd verify after the kills: %s%s", verify->out,
                  verify->err);
}

static void
test_killed_under_load_loses_and_doubles_nothing (void **state)
{
    cf_proc_t *proc = *state;
    s_loop_t loop = {.proc = proc, .seed = cf_proc_seed ("killloop")};
    loop.requests = calloc (S_REQUESTS_MAX, sizeof (s_request_t));
    assert_non_null (loop.requests);

    cf_proc_daemon (proc, s_flags);
    cf_proc_front_office (proc);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    loop.application = cf_proc_application (
        proc, cf_proc_source (proc, "examples/application.json"));
    for (size_t index = 0; index < S_SIGNABLE; index++)
        loop.signable[index] =
            strdup (cf_proc_submit_example (proc, applicant));
    for (size_t index = 0; index < S_SIGNABLE; index++)
        (void)cf_proc_wait_state (proc, NULL, loop.signable[index],
                                  "contract_pending", NULL, CF_PROC_STATE_MS);
    for (int client = 0; client < S_CLIENTS; client++)
        loop.clients[client] = cf_proc_dealer (proc, applicant);
    cf_proc_kill (cf_proc_current_daemon (proc));

    int64_t started = zclock_mono ();
    size_t kills = s_kills ();
    while (loop.kills < kills)
        s_life (&loop);
    size_t answered = 0;
    for (size_t index = 0; index < loop.count; index++)
        answered += loop.requests[index].reply != NULL;
    printf ("[killloop] %zu kills in %.1f s, %zu with requests unanswered "
            "(%zu on a fresh window); %zu requests, %zu answered before the "
            "last start\n",
            loop.kills, (double)(zclock_mono () - started) / 1000,
            loop.kills_in_flight, loop.kills_topped_up, loop.count, answered);
    //  Every kill hit the daemon with work in hand
    assert_int_equal (loop.kills_in_flight, loop.kills);

    s_send_all_again (&loop);
    printf ("[killloop] every request sent again: %zu answers compared with "
            "an earlier one\n",
            loop.answered_again);
    assert_true (loop.answered_again >= answered);
    s_check (&loop);

    for (size_t index = 0; index < loop.count; index++) {
        zchunk_destroy (&loop.requests[index].bytes);
        zchunk_destroy (&loop.requests[index].reply);
    }
    for (size_t index = 0; index < S_SIGNABLE; index++)
        free (loop.signable[index]);
    free (loop.requests);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_killed_under_load_loses_and_doubles_nothing, s_setup,
            cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
