/*  =========================================================================
    test_faults - crashes and retries: a worker killed in the middle of a
    job, the daemon killed with SIGKILL while cases are moving, and the
    same request sent twice

    The crash drill picks its moments at random; the seed is printed, and
    CERTFLOW_TEST_SEED=N replays a run.
    =========================================================================
*/

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_proc.h"

#define S_ORG "YUNXI"

//  Cases the crash drill drives at once
#define S_CASES 3

//  How long the crash drill may take in all, ms
#define S_DRILL_MS 180000

//  Most transitions the crash drill is told about
#define S_TOLD_MAX 128

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "faults");
}

static void
s_sleep_ms (int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep (&pause, NULL);
}

static void
test_worker_killed_mid_job_is_replaced (void **state)
{
    cf_proc_t *proc = *state;
    const char *const flags[] = {"--lease-ms", "1000", NULL};
    cf_proc_child_t *daemon = cf_proc_daemon (proc, flags);
    //  The first intake worker holds its job long past the lease
    cf_proc_child_t *first =
        cf_proc_worker (proc, "worker-first", "intake", 3000);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    const char *case_id = cf_proc_submit_example (proc, applicant);
    assert_int_equal (
        cf_proc_wait_log (first, "holding 3000 ms", 1, CF_PROC_READY_MS), 0);
    cf_proc_kill (first);

    //  A second worker gets the job once the lease has run out
    cf_proc_worker (proc, "worker-second", "intake", 0);
    cf_proc_worker (proc, "worker-review", "review", 0);
    cf_proc_worker (proc, "worker-contract", "contract", 0);
    cf_proc_wait_state (proc, applicant, case_id, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);

    const cf_proc_output_t *history =
        cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    assert_int_equal (cf_proc_count_event (history->json, "intake_passed"), 1);
    size_t count = cf_proc_json_length (history->json, "/events/events");
    for (size_t index = 0; index < count; index++) {
        assert_string_equal (cf_proc_json_nth (history->json,
                                               "/events/events/%zu/refused",
                                               index),
                             "");
        if (strcmp (cf_proc_json_nth (history->json, "/events/events/%zu/event",
                                      index),
                    "intake_passed") == 0)
            assert_string_equal (
                cf_proc_json_nth (history->json,
                                  "/events/events/%zu/principal/name", index),
                "worker-second");
    }
    //  Offered to the first worker, then, its lease run out, to the
    //  second (which, on a loaded machine, may itself need more than one
    //  lease: any further offer goes to it too)
    assert_int_equal (cf_proc_log_count (daemon,
                                         "stage=intake leased to worker-first "
                                         "(attempt 1)"),
                      1);
    assert_int_equal (
        cf_proc_log_count (daemon, "stage=intake leased to worker-first"), 1);
    assert_int_equal (cf_proc_log_count (daemon,
                                         "stage=intake leased to worker-second "
                                         "(attempt 2)"),
                      1);
    assert_int_equal (
        cf_proc_log_count (daemon, "stage=intake leased to"),
        1 + cf_proc_log_count (daemon, "stage=intake leased to worker-second"));
}

//  A transition a client was told about
typedef struct {
    const char *case_id;  //  The case (the harness's string)
    uint64_t seq;         //  The event's sequence number
    const char *state;    //  State the reply showed
    const char *event;    //  Event the command fired
} s_told_t;

//  The crash drill: cases driven round by round, the daemon killed twice
typedef struct {
    cf_proc_t *proc;             //  The site
    const char *const *flags;    //  The daemon's flags, for each restart
    const char *applicant;       //  Who submits and acts for the company
    const char *application;     //  What it submits
    unsigned seed;               //  rand_r state
    size_t crash_at[2];          //  Acting rounds in which the daemon dies
    size_t crashes;              //  Crashes so far
    size_t acting_round;         //  Rounds in which commands were sent
    const char *cases[S_CASES];  //  Case ids, once submitted
    s_told_t told[S_TOLD_MAX];   //  What the clients were told
    size_t told_count;           //  How many
} s_drill_t;

//  The number of each event a case certified in the crash drill has: one
//  supplement-free pass with one round of fixes and two grant votes
static const struct {
    const char *event;  //  Event name
    size_t count;       //  Times, not refused
} s_expected[] = {
    {"submit", 1},          {"intake_passed", 1},      {"docs_accepted", 1},
    {"contract_issued", 1}, {"contract_signed", 1},    {"audit_planned", 1},
    {"sheet_submitted", 1}, {"scores_submitted", 1},   {"fixes_submitted", 1},
    {"fixes_accepted", 1},  {"committee_formed", 1},   {"vote", 2},
    {"majority_grant", 1},  {"certificate_issued", 1},
};

//  Human steps of that path: sign, scores, rectify, verify, two votes
#define S_HUMAN_STEPS 6

//  Kills the daemon with SIGKILL a moment after the round's commands went
//  out and starts a new one. A frozen daemon (SIGSTOP before the commands)
//  surely dies with them unanswered; otherwise some may have been answered,
//  committed but not answered, or not read yet.
static void
s_drill_crash (s_drill_t *drill, bool frozen)
{
    s_sleep_ms (frozen ? 50 + (int)(rand_r (&drill->seed) % 100)
                       : (int)(rand_r (&drill->seed) % 15));
    cf_proc_kill (cf_proc_current_daemon (drill->proc));
    cf_proc_daemon (drill->proc, drill->flags);
    drill->crashes++;
}

//  Collects a command of the round: it must have been answered, across a
//  crash if need be; what it was told is kept
static void
s_drill_collect (s_drill_t *drill, size_t index, cf_proc_child_t *child,
                 const char *event)
{
    const cf_proc_output_t *output =
        cf_proc_collect (drill->proc, child, 60000);
    if (output->status != 0)
        fail_msg ("%s: exit %d: %s", output->command, output->status,
                  output->err);
    const char *case_id = cf_proc_json_string (output->json, "/record/id");
    assert_non_null (case_id);
    if (!drill->cases[index])
        drill->cases[index] = case_id;
    assert_string_equal (case_id, drill->cases[index]);
    assert_true (drill->told_count < S_TOLD_MAX);
    drill->told[drill->told_count++] = (s_told_t){
        case_id,
        (uint64_t)cf_proc_json_int (output->json, "/record/last_seq", 0),
        cf_proc_state_of (output), event};
}

//  One round: every case takes its next human step (the first round
//  submits them), at once; the daemon may die meanwhile. Returns false
//  when every case is certified.
static bool
s_drill_round (s_drill_t *drill)
{
    cf_proc_t *proc = drill->proc;
    const cf_proc_output_t *statuses[S_CASES] = {NULL};
    size_t certified = 0;
    for (size_t index = 0; index < S_CASES && drill->cases[index]; index++) {
        statuses[index] = cf_proc_expect (proc, 0, drill->applicant, "--json",
                                          "status", drill->cases[index], NULL);
        certified +=
            strcmp (cf_proc_state_of (statuses[index]), "certified") == 0;
    }
    if (certified == S_CASES)
        return false;

    bool crash = drill->acting_round == drill->crash_at[0] ||
                 drill->acting_round == drill->crash_at[1];
    bool frozen = crash && drill->acting_round == drill->crash_at[1];
    pid_t daemon = cf_proc_pid (cf_proc_current_daemon (proc));
    if (frozen)
        kill (daemon, SIGSTOP);
    cf_proc_child_t *children[S_CASES];
    const char *events[S_CASES];
    size_t started = 0;
    for (size_t index = 0; index < S_CASES; index++) {
        events[index] = "submit";
        if (!drill->cases[index])
            children[index] =
                cf_proc_certflow_start (proc, drill->applicant, "--json",
                                        "submit", drill->application, NULL);
        else
            children[index] =
                cf_proc_step_start (proc, drill->applicant, drill->cases[index],
                                    statuses[index], &events[index]);
        started += children[index] != NULL;
    }
    if (started > 0 && crash)
        s_drill_crash (drill, frozen);
    else if (frozen)
        kill (daemon, SIGCONT);  //  Nothing went out: crash another round
    for (size_t index = 0; index < S_CASES; index++)
        if (children[index])
            s_drill_collect (drill, index, children[index], events[index]);
    if (started > 0)
        drill->acting_round++;
    else
        s_sleep_ms (CF_PROC_POLL_MS);  //  The workers have the move
    return true;
}

//  Returns the index of the history event with seq, or fails the test
static size_t
s_event_at (json_object *history, const char *case_id, uint64_t seq,
            const char *event)
{
    size_t count = cf_proc_json_length (history, "/events/events");
    for (size_t index = 0; index < count; index++) {
        char pointer[64];
        snprintf (pointer, sizeof pointer, "/events/events/%zu/seq", index);
        if ((uint64_t)cf_proc_json_int (history, pointer, 0) == seq)
            return index;
    }
    fail_msg ("case %s: the %s the client was told of (seq %llu) is not in "
              "the history",
              case_id, event, (unsigned long long)seq);
    return 0;
}

//  Checks a case after the drill: each event exactly as often as the path
//  has it (nothing applied twice, nothing refused), two different voters,
//  and every transition a client was told about recorded as told
static void
s_drill_check (s_drill_t *drill, const char *case_id)
{
    const cf_proc_output_t *history = cf_proc_expect (
        drill->proc, 0, NULL, "--json", "history", case_id, NULL);
    json_object *json = history->json;
    size_t count = cf_proc_json_length (json, "/events/events");
    size_t total = 0;
    for (size_t kind = 0; kind < sizeof s_expected / sizeof s_expected[0];
         kind++) {
        size_t found = cf_proc_count_event (json, s_expected[kind].event);
        if (found != s_expected[kind].count)
            fail_msg ("case %s has %zu %s events, expected %zu", case_id, found,
                      s_expected[kind].event, s_expected[kind].count);
        total += found;
    }
    assert_int_equal (total, count);
    const char *voter = NULL;
    for (size_t index = 0; index < count; index++)
        if (strcmp (cf_proc_json_nth (json, "/events/events/%zu/event", index),
                    "vote") == 0) {
            const char *name = cf_proc_json_nth (
                json, "/events/events/%zu/principal/name", index);
            if (voter)
                assert_string_not_equal (voter, name);
            voter = name;
        }
    for (size_t item = 0; item < drill->told_count; item++) {
        const s_told_t *told = &drill->told[item];
        if (strcmp (told->case_id, case_id) != 0)
            continue;
        size_t index = s_event_at (json, case_id, told->seq, told->event);
        assert_string_equal (
            cf_proc_json_nth (json, "/events/events/%zu/event", index),
            told->event);
        char expected[64];
        snprintf (expected, sizeof expected, "STATE_%s", told->state);
        for (char *upper = expected; *upper; upper++)
            if (*upper >= 'a' && *upper <= 'z')
                *upper = (char)(*upper - 'a' + 'A');
        assert_string_equal (
            cf_proc_json_nth (json, "/events/events/%zu/to", index), expected);
    }
}

static void
test_daemon_killed_with_cases_in_flight (void **state)
{
    cf_proc_t *proc = *state;
    //  A short lease: jobs leased at a crash come back soon after it
    static const char *const flags[] = {"--lease-ms", "2000", NULL};
    s_drill_t drill = {.proc = proc, .flags = flags};
    cf_proc_daemon (proc, flags);
    cf_proc_staff (proc);
    cf_proc_workers (proc);
    drill.applicant = cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    drill.application = cf_proc_source (proc, "examples/application.json");
    //  Everyone who will act has a certificate before any crash: issuing
    //  one needs the daemon
    static const char *const auditors[] = {"AUD001", "AUD002", "AUD003"};
    static const char *const members[] = {"COM001", "COM002", "COM003",
                                          "COM004"};
    for (size_t index = 0; index < 3; index++)
        cf_proc_principal (proc, auditors[index], "auditor", NULL);
    for (size_t index = 0; index < 4; index++)
        cf_proc_principal (proc, members[index], "committee", NULL);

    //  Two crashes in rounds with commands in flight, the first possibly
    //  among the submissions; the cases may keep in step, so the last
    //  acting round that surely comes is the sixth human step's
    drill.seed = cf_proc_seed ("faults");
    drill.crash_at[0] = (size_t)rand_r (&drill.seed) % 3;
    drill.crash_at[1] =
        drill.crash_at[0] + 2 +
        (size_t)rand_r (&drill.seed) % (S_HUMAN_STEPS - 1 - drill.crash_at[0]);
    int64_t deadline = zclock_mono () + S_DRILL_MS;
    while (s_drill_round (&drill))
        if (zclock_mono () > deadline)
            fail_msg ("the cases were not all certified within %d ms",
                      S_DRILL_MS);
    assert_int_equal (drill.crashes, 2);
    assert_int_equal (drill.told_count, S_CASES * (1 + S_HUMAN_STEPS));

    //  One case per submission, however often a submission was sent
    const cf_proc_output_t *listed = cf_proc_expect (
        proc, 0, drill.applicant, "--json", "list", "--all", NULL);
    assert_int_equal (cf_proc_json_length (listed->json, "/page/cases"),
                      S_CASES);
    const char *certificates[S_CASES];
    for (size_t index = 0; index < S_CASES; index++) {
        s_drill_check (&drill, drill.cases[index]);
        const cf_proc_output_t *status = cf_proc_expect (
            proc, 0, NULL, "--json", "status", drill.cases[index], NULL);
        certificates[index] =
            cf_proc_json_string (status->json, "/record/certificate");
        assert_non_null (certificates[index]);
        for (size_t earlier = 0; earlier < index; earlier++)
            assert_string_not_equal (certificates[earlier],
                                     certificates[index]);
        cf_proc_expect (proc, 0, drill.applicant, "certificate", "check",
                        certificates[index], NULL);
    }
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    const cf_proc_output_t *verified = cf_proc_verify (proc);
    if (verified->status != 0)
        fail_msg ("certflowd verify: %s%s", verified->out, verified->err);
}

static void
test_same_request_twice_changes_state_once (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    zsock_t *dealer = cf_proc_dealer (proc, applicant);
    Cf__Application *application = cf_proc_application (
        proc, cf_proc_source (proc, "examples/application.json"));

    Cf__SubmitRequest submit = CF__SUBMIT_REQUEST__INIT;
    submit.application = application;
    Cf__Request request = CF__REQUEST__INIT;
    request.id = "same-submit-1";
    request.body_case = CF__REQUEST__BODY_SUBMIT;
    request.submit = &submit;
    zchunk_t *first = NULL, *again = NULL;
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    const Cf__Reply *reply = cf_proc_reply (proc, dealer, 5000, &first);
    assert_non_null (reply);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_string_equal (reply->id, "same-submit-1");
    const char *case_id = reply->record->id;

    //  The same bytes again: the same reply bytes, no second case
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    assert_non_null (cf_proc_reply (proc, dealer, 5000, &again));
    assert_int_equal (zchunk_size (again), zchunk_size (first));
    assert_memory_equal (zchunk_data (again), zchunk_data (first),
                         zchunk_size (first));

    //  Even after a crash: the reply was stored with the case
    cf_proc_kill (cf_proc_current_daemon (proc));
    cf_proc_daemon (proc, NULL);
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    assert_non_null (cf_proc_reply (proc, dealer, 10000, &again));
    assert_int_equal (zchunk_size (again), zchunk_size (first));
    assert_memory_equal (zchunk_data (again), zchunk_data (first),
                         zchunk_size (first));

    //  The same id for another request is a conflict, not a new case
    application->employees++;
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    reply = cf_proc_reply (proc, dealer, 5000, NULL);
    assert_non_null (reply);
    assert_int_equal (reply->status, CF__STATUS__STATUS_CONFLICT);
    assert_string_equal (reply->error, "CF_ECONFLICT");
    const cf_proc_output_t *listed =
        cf_proc_expect (proc, 0, applicant, "--json", "list", NULL);
    assert_int_equal (cf_proc_json_length (listed->json, "/page/cases"), 1);
    assert_string_equal (cf_proc_json_string (listed->json, "/page/cases/0/id"),
                         case_id);

    //  A state change sent twice happens once
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_REASON;
    data.reason = "the board postponed the certification";
    Cf__FireRequest fire = CF__FIRE_REQUEST__INIT;
    fire.case_id = (char *)case_id;
    fire.event = "withdraw";
    fire.data = &data;
    request.id = "same-withdraw-1";
    request.body_case = CF__REQUEST__BODY_FIRE;
    request.fire = &fire;
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    reply = cf_proc_reply (proc, dealer, 5000, &first);
    assert_non_null (reply);
    assert_int_equal (reply->status, CF__STATUS__STATUS_OK);
    assert_int_equal (reply->record->state, CF__STATE__STATE_WITHDRAWN);
    assert_int_equal (cf_proc_send (dealer, &request.base), 0);
    assert_non_null (cf_proc_reply (proc, dealer, 5000, &again));
    assert_int_equal (zchunk_size (again), zchunk_size (first));
    assert_memory_equal (zchunk_data (again), zchunk_data (first),
                         zchunk_size (first));

    const cf_proc_output_t *history =
        cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    assert_int_equal (cf_proc_json_length (history->json, "/events/events"), 2);
    assert_int_equal (cf_proc_count_event (history->json, "submit"), 1);
    assert_int_equal (cf_proc_count_event (history->json, "withdraw"), 1);
}

//  Starts a second certflowd on the site's data with its own endpoints and
//  the extra flags, as a child expected to end; returns it
static cf_proc_child_t *
s_second_daemon (cf_proc_t *proc, const char *flag, const char *value)
{
    const char *argv[] = {CF_BIN_DIR "/certflowd",
                          "--data",
                          cf_proc_data (proc),
                          "--client-endpoint",
                          cf_proc_path (proc, "second-client.ipc"),
                          "--worker-endpoint",
                          cf_proc_path (proc, "second-worker.ipc"),
                          "--feed-endpoint",
                          cf_proc_path (proc, "second-feed.ipc"),
                          flag,
                          value,
                          "run",
                          NULL};
    cf_proc_child_t *second = cf_proc_spawn (proc, "second", false, argv);
    assert_non_null (second);
    return second;
}

//  A second daemon on the same data directory would open the same store and
//  take over the sockets: it refuses to start, and the first goes on serving
static void
test_second_daemon_on_the_same_data_refuses (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    cf_proc_child_t *second = s_second_daemon (proc, "--heartbeat-ms", "1000");
    assert_int_equal (cf_proc_wait_exit (second, 5000), 1);
    char *log = cf_proc_log (second);
    assert_non_null (strstr (log, "another certflowd"));
    free (log);
    cf_proc_expect (proc, 0, NULL, "ping", NULL);
}

//  The scheme file the daemon is given governs new cases; a broken one
//  stops it at start, named
static void
test_the_daemon_runs_the_scheme_it_is_given (void **state)
{
    cf_proc_t *proc = *state;
    const char *broken = cf_proc_path (proc, "broken-scheme.json");
    FILE *file = fopen (broken, "w");
    assert_non_null (file);
    fputs ("{\"version\": ", file);
    fclose (file);
    cf_proc_child_t *refused = s_second_daemon (proc, "--scheme", broken);
    assert_int_equal (cf_proc_wait_exit (refused, 5000), 1);
    char *log = cf_proc_log (refused);
    assert_non_null (strstr (log, "broken-scheme.json"));
    free (log);

    json_object *scheme =
        cf_proc_json_load (proc, cf_proc_source (proc, "examples/scheme.json"));
    json_object_object_add (scheme, "version",
                            json_object_new_string ("CB-DRILL-2"));
    const char *extra[] = {
        "--scheme", cf_proc_json_save (proc, scheme, "scheme.json"), NULL};
    cf_proc_daemon (proc, extra);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", "YUNXI");
    const char *case_id = cf_proc_submit_example (proc, applicant);
    const cf_proc_output_t *status =
        cf_proc_expect (proc, 0, applicant, "--json", "status", case_id, NULL);
    assert_string_equal (
        cf_proc_json_string (status->json, "/record/scheme_version"),
        "CB-DRILL-2");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_worker_killed_mid_job_is_replaced,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_daemon_killed_with_cases_in_flight, s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_same_request_twice_changes_state_once, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_second_daemon_on_the_same_data_refuses, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_daemon_runs_the_scheme_it_is_given, s_setup,
            cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
