/*  =========================================================================
    cf_proc - the process harness of the integration tests

    Runs the real programs the way an operator would, in a site of their
    own: a temporary directory (mkdtemp) that holds the daemon's data
    (certflowd init), ipc:// endpoints (CURVE works over ipc, and no port
    can clash), the principals' certificates and every child's stdout and
    stderr. Children are started with posix_spawn; the daemon counts as
    ready when `certflow ping` answers (polled every 50 ms up to a
    deadline, never a bare sleep); client commands run to completion and
    leave their exit code, output and parsed --json behind.

    The harness owns everything it hands out (paths, outputs, JSON, raw
    sockets) until cf_proc_destroy, so a test that fails half way leaks
    nothing and leaves no process behind: teardown stops every child still
    running (SIGTERM, exit 0 expected within 5 s; SIGKILL and reap
    otherwise) and fails the test if any child wrote a sanitizer report.

    Functions marked "fails the test" call cmocka's fail () with a message
    that names the command and shows its stderr; call them from a test
    function (never from a setup, whose failure skips the teardown).

    Environment: CERTFLOW_TEST_KEEP=1 keeps the site directory for a look;
    CERTFLOW_TEST_GDB=1 shows, through gdb, the stacks of a child that does
    not stop on SIGTERM.

        setup:     cf_proc_new
        test:      cf_proc_daemon, cf_proc_staff, cf_proc_workers,
                   cf_proc_principal, cf_proc_certflow, cf_proc_wait_state
        teardown:  cf_proc_finish, cf_proc_destroy
    =========================================================================
*/

#ifndef CF_PROC_H_INCLUDED
#define CF_PROC_H_INCLUDED

#include <czmq.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "certflow.pb-c.h"

//  How long a stopped child may take to exit, ms
#define CF_PROC_STOP_MS 5000

//  How long the daemon may take to answer its first ping, ms
#define CF_PROC_READY_MS 20000

//  How long a case may take to reach a state the workers lead it to, ms
#define CF_PROC_STATE_MS 30000

//  Interval of every poll of the harness, ms
#define CF_PROC_POLL_MS 50

//  The automated stages, one worker each in a full site (NULL ends it)
extern const char *const cf_proc_stages[];

typedef struct _cf_proc_t cf_proc_t;

//  A spawned child process, owned by the harness
typedef struct _cf_proc_child_t cf_proc_child_t;

//  What a command that ran to completion left behind (owned by the harness)
typedef struct {
    char *command;        //  Its command line, for messages
    int status;           //  Exit code; 128 + N when signal N ended it
    char *out;            //  What it wrote on stdout
    char *err;            //  What it wrote on stderr
    json_object *json;    //  stdout as one JSON document, or NULL
    json_object **lines;  //  Each line of stdout as JSON (NULL: not JSON)
    size_t line_count;    //  How many lines
} cf_proc_output_t;

//  ------------------------------------------------------------------------
//  The site

//  Makes a site for one test: a temporary directory /tmp/cf-NAME-XXXXXX,
//  the daemon's data in DIR/data (certflowd init, so DIR/data/admin.cert
//  is the first admin) and the endpoints ipc://DIR/{client,worker,feed}.ipc.
//  Starts nothing else. Returns NULL (and says why on stdout) when the
//  directory or init fails. Safe in a cmocka setup: it never fails the
//  test itself.
cf_proc_t *cf_proc_new (const char *name);

//  SIGKILLs and reaps every child still running, frees everything the
//  harness handed out, removes the directory (unless CERTFLOW_TEST_KEEP is
//  set) and nulls *self_p. NULL-safe.
void cf_proc_destroy (cf_proc_t **self_p);

//  The end of a test: stops every child still running, services first
//  and the daemon last, with SIGTERM, and expects each to exit 0 within
//  CF_PROC_STOP_MS (SIGKILL otherwise); then reads every child's stderr for
//  "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer" or
//  "runtime error". Returns 0, or -1 after printing each problem (also a
//  service that exited by itself, unasked). Call it from the teardown and
//  return its result, so cmocka fails the test.
int cf_proc_finish (cf_proc_t *self);

//  The body of a test file's cmocka setup: *state = cf_proc_new (name).
//  Returns 0, or -1 when the site could not be made (cmocka then skips the
//  tests of the group).
int cf_proc_setup (void **state, const char *name);

//  A cmocka teardown for a site made by cf_proc_setup: cf_proc_finish, then
//  cf_proc_destroy. Returns what cf_proc_finish returned, so cmocka fails
//  the test on a problem it found.
int cf_proc_teardown (void **state);

//  Returns the site directory, its data directory, the first admin's
//  secret certificate and the daemon's public certificate (borrowed).
const char *cf_proc_dir (cf_proc_t *self);
const char *cf_proc_data (cf_proc_t *self);
const char *cf_proc_admin (cf_proc_t *self);
const char *cf_proc_server_cert (cf_proc_t *self);

//  Returns the endpoints (borrowed).
const char *cf_proc_client_endpoint (cf_proc_t *self);
const char *cf_proc_worker_endpoint (cf_proc_t *self);
const char *cf_proc_feed_endpoint (cf_proc_t *self);

//  Returns "DIR/" + the formatted name, a path in the site (owned by the
//  harness).
const char *cf_proc_path (cf_proc_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Returns the path of a file of the source tree ("examples/scores.json"),
//  owned by the harness.
const char *cf_proc_source (cf_proc_t *self, const char *relative);

//  ------------------------------------------------------------------------
//  Children

//  Starts argv (argv[0] a path, NULL-terminated) with stdin from /dev/null
//  and stdout and stderr in DIR/LABEL.N.out and .err. A service runs until
//  stopped; cf_proc_finish counts a service that exits unasked as a
//  failure. Returns the child, or NULL when posix_spawn fails (said).
cf_proc_child_t *cf_proc_spawn (cf_proc_t *self, const char *label,
                                bool service, const char *const argv[]);

//  Returns the running child started with label (a worker's name,
//  "certflowd"), the last one started when there are several, or NULL.
cf_proc_child_t *cf_proc_find (cf_proc_t *self, const char *label);

//  Returns the child's process id (0 once reaped).
pid_t cf_proc_pid (const cf_proc_child_t *child);

//  Returns true while the child has not exited.
bool cf_proc_running (cf_proc_child_t *child);

//  Waits up to timeout_ms for the child to exit. Returns its status (exit
//  code, or 128 + signal), or -1 when it is still running.
int cf_proc_wait_exit (cf_proc_child_t *child, int timeout_ms);

//  Sends SIGTERM and waits up to CF_PROC_STOP_MS; SIGKILLs it when it does
//  not exit. Returns its status as cf_proc_wait_exit does (-1 when it had
//  to be killed).
int cf_proc_stop (cf_proc_child_t *child);

//  Sends SIGKILL and reaps the child (a crash drill). NULL-safe.
void cf_proc_kill (cf_proc_child_t *child);

//  Returns what the child wrote so far on stdout and stderr, in one new
//  string the caller frees.
char *cf_proc_log (const cf_proc_child_t *child);

//  Returns how many times needle occurs in what the child wrote so far.
size_t cf_proc_log_count (const cf_proc_child_t *child, const char *needle);

//  Waits up to timeout_ms until the child has written needle count times
//  (stdout or stderr). Returns 0, or -1 on timeout.
int cf_proc_wait_log (const cf_proc_child_t *child, const char *needle,
                      size_t count, int timeout_ms);

//  ------------------------------------------------------------------------
//  The programs

//  Starts certflowd on the site's data and endpoints with the extra flags
//  (NULL-terminated, may be NULL), e.g. {"--lease-ms", "1000", NULL}, and
//  waits until it answers a ping. Fails the test (showing its log) when it
//  exits or does not answer within CF_PROC_READY_MS. Returns the daemon,
//  which is also the harness's current daemon.
cf_proc_child_t *cf_proc_daemon (cf_proc_t *self, const char *const extra[]);

//  Lets time pass: restarts the current daemon (with the flags it was
//  started with) with a clock offset that makes it 10:00 China time on
//  date (YYYY-MM-DD) or later. Does nothing when its clock is there
//  already. Workers reconnect by themselves. Fails the test as
//  cf_proc_daemon does.
void cf_proc_advance_to (cf_proc_t *self, const char *date);

//  Makes the verifier of every case cf_proc_drive drives accept the fixes
//  with the sheet at path (kept), or, for NULL, examples/scores-revised.json.
void cf_proc_set_revised_sheet (cf_proc_t *self, const char *path);

//  Returns the current daemon, or NULL.
cf_proc_child_t *cf_proc_current_daemon (cf_proc_t *self);

//  Runs `certflowd --data DATA verify` to completion (stop the daemon
//  first) and returns its output.
const cf_proc_output_t *cf_proc_verify (cf_proc_t *self);

//  Starts a certflow-worker named name (its certificate: principal name,
//  role worker) serving stage (NULL: every stage), holding each job
//  hold_ms before it reports (0: none). Waits until the daemon logs it
//  ready. Fails the test when it does not connect. Returns the worker.
cf_proc_child_t *cf_proc_worker (cf_proc_t *self, const char *name,
                                 const char *stage, int hold_ms);

//  Starts one worker per stage of cf_proc_stages, named "worker-STAGE".
void cf_proc_workers (cf_proc_t *self);

//  Starts the workers that take a case to the applicant's signature: one
//  each for intake, review and contract, named "worker-STAGE".
void cf_proc_front_office (cf_proc_t *self);

//  Starts a full site: certflowd with no extra flags, the staff of
//  examples/staff (cf_proc_staff) and one worker per stage
//  (cf_proc_workers). Returns the secret certificate of applicant "yunxi"
//  of org (cf_proc_principal). Fails the test as those do.
const char *cf_proc_full_site (cf_proc_t *self, const char *org);

//  Returns the secret certificate file of principal name with role (a
//  cf_fsm role name) and org (applicants; else NULL), issuing it the first
//  time through `certflow identity issue` with the admin certificate.
//  Fails the test when the daemon refuses. The path is the harness's.
const char *cf_proc_principal (cf_proc_t *self, const char *name,
                               const char *role, const char *org);

//  Makes a certificate the daemon has never seen (role applicant, org
//  ROGUE): its secret file, outside the daemon's certificate directory.
const char *cf_proc_stranger (cf_proc_t *self);

//  As the admin, puts every examples/staff/*.json. Fails the test on any
//  refusal.
void cf_proc_staff (cf_proc_t *self);

//  Runs certflow with the site's endpoints, server certificate, cert as
//  --cert (NULL: the admin) and a 4000 ms timeout with 3 tries, then the
//  arguments (NULL-terminated; global options may come first and win).
//  Returns the output, never NULL.
const cf_proc_output_t *cf_proc_certflow (cf_proc_t *self, const char *cert,
                                          ...) __attribute__ ((sentinel));

//  As cf_proc_certflow, but fails the test, showing the command and its
//  stderr, unless it exits with status.
const cf_proc_output_t *cf_proc_expect (cf_proc_t *self, int status,
                                        const char *cert, ...)
    __attribute__ ((sentinel));

//  Starts certflow as cf_proc_certflow does, but returns at once with the
//  child (not a service: it is expected to end). Collect it with
//  cf_proc_collect.
cf_proc_child_t *cf_proc_certflow_start (cf_proc_t *self, const char *cert, ...)
    __attribute__ ((sentinel));

//  Waits up to timeout_ms for a child started by cf_proc_certflow_start
//  and returns its output (status -1 when it did not end; then it is
//  killed).
const cf_proc_output_t *
cf_proc_collect (cf_proc_t *self, cf_proc_child_t *child, int timeout_ms);

//  Returns the seed of a randomized test, CERTFLOW_TEST_SEED when it is
//  set, else one from the clock and the pid; prints it with label so a
//  failing run can be replayed.
unsigned cf_proc_seed (const char *label);

//  ------------------------------------------------------------------------
//  Cases

//  Polls `certflow --json status CASE` as cert every CF_PROC_POLL_MS until
//  the case is in state (a cf_fsm state name such as "document_review")
//  and, when pointer is not NULL, the JSON value at pointer in the reply
//  exists and is not empty (e.g. "/record/contract/number"). Fails the test
//  after timeout_ms, saying the last state seen. Returns the status output
//  that matched.
const cf_proc_output_t *
cf_proc_wait_state (cf_proc_t *self, const char *cert, const char *case_id,
                    const char *state, const char *pointer, int timeout_ms);

//  Submits the application file as the applicant; fails the test unless it
//  is accepted. Returns the new case id (the harness's).
const char *cf_proc_submit (cf_proc_t *self, const char *applicant,
                            const char *application);

//  Submits examples/application.json as the applicant, as cf_proc_submit
//  does. Returns the new case id (the harness's).
const char *cf_proc_submit_example (cf_proc_t *self, const char *applicant);

//  Drives the case to committee_review as cf_proc_drive does, then waits
//  until its committee is named. Returns that `--json status` output, read
//  as cert (NULL: the admin). Fails the test after CF_PROC_STATE_MS each.
const cf_proc_output_t *cf_proc_to_committee (cf_proc_t *self,
                                              const char *applicant,
                                              const char *case_id,
                                              const char *cert);

//  Takes the case one human step along the happy path, the way its people
//  would: the applicant signs the contract and rectifies (examples/
//  fixes.json), the team leader files examples/scores.json and accepts the
//  fixes with examples/scores-revised.json, and the first two committee
//  members listed vote grant. Returns true when it acted; false when the
//  workers have the next move. Fails the test on a refusal.
bool cf_proc_step (cf_proc_t *self, const char *applicant, const char *case_id);

//  Starts the next human step of the happy path (as cf_proc_step takes
//  it) for the case as status (its `--json status` output) shows it,
//  without waiting: returns the certflow child, run with --json (collect
//  it with cf_proc_collect), and sets *event_p (may be NULL) to the event
//  it fires. Returns NULL when the workers have the move.
cf_proc_child_t *cf_proc_step_start (cf_proc_t *self, const char *applicant,
                                     const char *case_id,
                                     const cf_proc_output_t *status,
                                     const char **event_p);

//  Steps the case until it reaches state (a cf_fsm state name), waiting
//  for the workers in between. Fails the test after timeout_ms.
void cf_proc_drive (cf_proc_t *self, const char *applicant, const char *case_id,
                    const char *state, int timeout_ms);

//  Returns the state of the case in an output of `--json status` (a cf_fsm
//  state name, static), or NULL.
const char *cf_proc_state_of (const cf_proc_output_t *output);

//  ------------------------------------------------------------------------
//  JSON (json-c pointers, RFC 6901: "/record/plan/members/0")

//  Returns the value at pointer, or NULL. Borrowed from json.
json_object *cf_proc_json (json_object *json, const char *pointer);

//  Returns the string at pointer, or NULL when there is none.
const char *cf_proc_json_string (json_object *json, const char *pointer);

//  Returns the string at the pointer format makes of index (a format with
//  one %zu, "/events/events/%zu/event"), or "" when there is none.
const char *cf_proc_json_nth (json_object *json, const char *format,
                              size_t index);

//  Returns the number at pointer, or fallback when there is none.
int64_t cf_proc_json_int (json_object *json, const char *pointer,
                          int64_t fallback);
double cf_proc_json_double (json_object *json, const char *pointer,
                            double fallback);

//  Returns the length of the array at pointer, 0 when there is none.
size_t cf_proc_json_length (json_object *json, const char *pointer);

//  Returns how many events of a `--json history` output are named event
//  and were not refused.
size_t cf_proc_count_event (json_object *history, const char *event);

//  Loads a JSON file into a document the harness owns (change it at will).
//  Fails the test when it cannot be read.
json_object *cf_proc_json_load (cf_proc_t *self, const char *path);

//  Writes json to DIR/name and returns the path (the harness's).
const char *cf_proc_json_save (cf_proc_t *self, json_object *json,
                               const char *name);

//  ------------------------------------------------------------------------
//  Raw sockets (wire drills)

//  Returns a DEALER connected to the client API with the CURVE identity
//  cert (a secret certificate file), owned by the harness (destroyed in
//  cf_proc_destroy). Fails the test when the certificate does not load.
zsock_t *cf_proc_dealer (cf_proc_t *self, const char *cert);

//  As cf_proc_dealer, connected to the worker API: a worker of the test's
//  own making.
zsock_t *cf_proc_worker_dealer (cf_proc_t *self, const char *cert);

//  Waits up to timeout_ms for one message on socket. Returns it (the
//  caller destroys it), or NULL on timeout.
zmsg_t *cf_proc_receive (zsock_t *socket, int timeout_ms);

//  A raw SUB socket with cert's CURVE keys, subscribed to every topic of
//  the site's feed (owned by the harness).
zsock_t *cf_proc_subscriber (cf_proc_t *self, const char *cert);

//  Watches socket for the libzmq event named event ("DISCONNECTED", as
//  zmonitor names them). The monitor is the harness's; it is destroyed
//  before the socket.
zactor_t *cf_proc_monitor (cf_proc_t *self, zsock_t *socket, const char *event);

//  Waits up to timeout_ms for the monitor to report its event. Returns true
//  when it did.
bool cf_proc_wait_event (zactor_t *monitor, int timeout_ms);

//  Packs message and sends it as one frame on dealer. Returns 0, or -1
//  when it cannot be sent.
int cf_proc_send (zsock_t *dealer, const ProtobufCMessage *message);

//  Waits up to timeout_ms for the daemon's answer on dealer and decodes it
//  (cf_wire_decode). Returns the Reply (the harness's), or NULL when none
//  came; *bytes_p (may be NULL) gets its bytes, the harness's too. Fails
//  the test when the answer is not one frame holding a Reply.
const Cf__Reply *cf_proc_reply (cf_proc_t *self, zsock_t *dealer,
                                int timeout_ms, zchunk_t **bytes_p);

//  Reads an application JSON file into a message the harness owns (change
//  it at will). Fails the test when the file is not an application.
Cf__Application *cf_proc_application (cf_proc_t *self, const char *path);

#endif
