/*  =========================================================================
    cf_worker - the worker loop: take stage jobs from the daemon, do them

    Signals: czmq installs its own SIGINT/SIGTERM handler when it
    initialises; cf_worker_catch_signals switches it off and installs one
    that sets s_interrupted, the module's only mutable global. No
    SA_RESTART, so a signal interrupts zmq_poll (EINTR) and the loop sees
    the flag at once.

    Time: deadlines are on czmq's monotonic clock (zclock_mono), so a
    wall-clock step never fakes a dead daemon; the day a stage runs on is
    the daemon's, carried by each offer (one clock).
    =========================================================================
*/

#include "cf_worker.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf_date.h"
#include "cf_identity.h"
#include "cf_log.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_stages.h"
#include "cf_utf8.h"
#include "cf_wire.h"

//  How long the last message may wait to leave when the worker stops
#define S_LINGER_MS 1000

//  Set by the signal handler; read by the loop
static volatile sig_atomic_t s_interrupted = 0;

struct _cf_worker_t {
    char *endpoint;          //  Daemon's worker API
    char *cert_path;         //  This worker's secret certificate file
    char *server_cert_path;  //  Daemon's public certificate file
    char *name;              //  Name in the logs
    char **stages;           //  Stage names served; none: all
    size_t stage_count;      //  How many
    uint32_t capacity;       //  Jobs offered at once
    int heartbeat_ms;        //  Heartbeat interval
    int hold_ms;             //  Drills: pause before reporting each job
    zsock_t *dealer;         //  Connection; NULL while waiting to reconnect
    int64_t heard_at;        //  When the daemon was last heard (mono ms)
    int64_t heartbeat_at;    //  When the next heartbeat is due
    int64_t reconnect_at;    //  When to connect again, while dealer is NULL
    int reconnect_ms;        //  The wait after the next silence
    uint64_t jobs;           //  Jobs done since start, for the last log line
    cf_stage_schemes_t *schemes;  //  The schemes of the offers, parsed once
};

//  ------------------------------------------------------------------------
//  The command line

//  A number as the text of its default
#define S_TEXT(number)  S_TEXT_ (number)
#define S_TEXT_(number) #number

// clang-format off
static const cf_setting_t s_settings[] = {
    {"worker-endpoint", "endpoints/worker", "CERTFLOW_WORKER_ENDPOINT", CF_WORKER_DEFAULT_ENDPOINT,
     "daemon's worker API endpoint", false},
    {"cert",        "cert",         "CERTFLOW_CERT",            NULL,
     "this worker's secret certificate file (issued with role worker)", false},
    {"server-cert", "server_cert",  "CERTFLOW_SERVER_CERT",     NULL,
     "the daemon's public certificate (DATA/keys/daemon.cert)", false},
    {"stage",       NULL,           NULL,                       NULL,
     "a stage to serve; repeat for more (none: all stages)", false},
    {"heartbeat",   "heartbeat_ms", NULL,                       "1000",
     "heartbeat interval in milliseconds", false},
    {"capacity",    "capacity",     NULL,                       S_TEXT (CF_WORKER_CAPACITY_DEFAULT),
     "jobs the daemon may offer at once", false},
    {"name",        "name",         NULL,                       NULL,
     "worker name in the logs (default worker-PID)", false},
    {"hold-ms",     "hold_ms",      NULL,                       "0",
     "drills: hold each job this long before reporting it", false},
    {"config",      NULL,           NULL,                       NULL,
     "ZPL config file, keys under certflow-worker/", false},
    {"verbose",     NULL,           NULL,                       NULL,
     "log debug records", true},
    CF_LOG_SETTINGS,
    {"help",        NULL,           NULL,                       NULL,
     "print this help", true},
    {NULL, NULL, NULL, NULL, NULL, false},
};
// clang-format on

//  Takes "--stage NAME" and "--stage=NAME" out of argv into the stage list
//  (cf_config keeps one value per flag) and the rest into options->argv
static int
s_take_stages (cf_worker_options_t *options, int argc, char **argv,
               int *rest_argc, cf_problems_t *problems)
{
    options->argv = cf_mem_check (calloc ((size_t)argc + 1, sizeof (char *)));
    options->stages = cf_mem_check (calloc ((size_t)argc + 1, sizeof (char *)));
    int kept = 0;
    for (int index = 0; index < argc; index++) {
        const char *arg = argv[index];
        if (index > 0 && strncmp (arg, "--stage=", 8) == 0)
            options->stages[options->stage_count++] = arg + 8;
        else if (index > 0 && strcmp (arg, "--stage") == 0) {
            if (index + 1 >= argc) {
                cf_problems_add (problems, "args.stage",
                                 "--stage needs a stage name after it");
                return CF_EINVAL;
            }
            options->stages[options->stage_count++] = argv[++index];
        } else
            options->argv[kept++] = argv[index];
    }
    *rest_argc = kept;
    return 0;
}

//  Reads the settings of options->config into options
static int
s_read_settings (cf_worker_options_t *options, cf_problems_t *problems)
{
    cf_config_t *config = options->config;
    options->endpoint = cf_config_get (config, "worker-endpoint");
    options->cert_path = cf_config_get (config, "cert");
    options->server_cert_path = cf_config_get (config, "server-cert");
    options->name = cf_config_get (config, "name");
    options->verbose = cf_config_flag (config, "verbose");
    if (cf_log_configure (config, &options->log_format, problems) != 0)
        return CF_EINVAL;
    int64_t heartbeat = 0, capacity = 0, hold = 0;
    if (cf_config_number (config, "hold-ms", 0, 3600000, &hold, problems))
        return CF_EINVAL;
    options->hold_ms = (int)hold;
    int rc =
        cf_config_number (config, "heartbeat", CF_WORKER_HEARTBEAT_MIN_MS,
                          CF_WORKER_HEARTBEAT_MAX_MS, &heartbeat, problems);
    int capacity_rc = cf_config_number (
        config, "capacity", 1, CF_WORKER_CAPACITY_MAX, &capacity, problems);
    if (rc || capacity_rc)
        return CF_EINVAL;
    options->heartbeat_ms = (int)heartbeat;
    options->capacity = (uint32_t)capacity;
    return 0;
}

int
cf_worker_options_parse (int argc, char **argv, cf_worker_options_t **options_p,
                         cf_problems_t *problems)
{
    assert (argc >= 1 && argv && options_p);
    cf_worker_options_t *options =
        cf_mem_check (calloc (1, sizeof (cf_worker_options_t)));
    options->config = cf_config_new ("certflow-worker", s_settings);
    int rest_argc = 0, rest = 0;
    int rc = s_take_stages (options, argc, argv, &rest_argc, problems);
    if (rc == 0)
        rc = cf_config_parse_args (options->config, rest_argc, options->argv,
                                   &rest, problems);
    if (rc == 0 && rest < rest_argc) {
        cf_problems_add (problems, "args.unexpected",
                         "unexpected argument '%s': the worker takes only "
                         "options",
                         options->argv[rest]);
        rc = CF_EINVAL;
    }
    if (rc == 0)
        options->help = cf_config_flag (options->config, "help");
    if (rc == 0 && !options->help) {
        const char *file = cf_config_get (options->config, "config");
        if (file)
            rc = cf_config_load (options->config, file, problems);
        if (rc == 0)
            rc = s_read_settings (options, problems);
    }
    if (rc) {
        cf_worker_options_destroy (&options);
        return rc;
    }
    *options_p = options;
    return 0;
}

void
cf_worker_options_destroy (cf_worker_options_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        cf_worker_options_t *self = *self_p;
        cf_config_destroy (&self->config);
        free (self->stages);
        free (self->argv);
        free (self);
        *self_p = NULL;
    }
}

void
cf_worker_usage (FILE *out)
{
    cf_config_t *config = cf_config_new ("certflow-worker", s_settings);
    cf_config_usage (config, out, "");
    cf_config_destroy (&config);
    size_t count = 0;
    const cf_stage_t *stages = cf_stages (&count);
    fprintf (out, "\nstages:\n");
    for (size_t index = 0; index < count; index++)
        fprintf (out, "  %-10s %s\n", stages[index].name,
                 stages[index].summary);
}

//  ------------------------------------------------------------------------
//  The worker

static void
s_stage_list (char *buffer, size_t size)
{
    size_t count = 0, used = 0;
    const cf_stage_t *stages = cf_stages (&count);
    buffer[0] = '\0';
    for (size_t index = 0; index < count && used < size; index++)
        used += (size_t)snprintf (buffer + used, size - used, "%s%s",
                                  index ? ", " : "", stages[index].name);
}

//  Checks what options name before anything connects
static int
s_check_options (const cf_worker_options_t *options, cf_problems_t *problems)
{
    int rc = 0;
    char names[256];
    s_stage_list (names, sizeof names);
    for (size_t index = 0; index < options->stage_count; index++)
        if (!cf_stage_find (options->stages[index])) {
            cf_problems_add (problems, "stage.unknown",
                             "unknown stage '%.*s'; the stages are %s",
                             CF_UTF8_CUT (options->stages[index], 64), names);
            rc = CF_EINVAL;
        }
    if (!options->cert_path || !*options->cert_path) {
        cf_problems_add (problems, "cert",
                         "no worker certificate: give --cert FILE or "
                         "CERTFLOW_CERT (an admin issues one with role "
                         "worker)");
        rc = CF_EINVAL;
    }
    if (!options->server_cert_path || !*options->server_cert_path) {
        cf_problems_add (problems, "server_cert",
                         "no daemon certificate: give --server-cert FILE or "
                         "CERTFLOW_SERVER_CERT (the daemon's "
                         "DATA/keys/daemon.cert)");
        rc = CF_EINVAL;
    }
    if (options->heartbeat_ms != 0 &&
        (options->heartbeat_ms < CF_WORKER_HEARTBEAT_MIN_MS ||
         options->heartbeat_ms > CF_WORKER_HEARTBEAT_MAX_MS)) {
        cf_problems_add (problems, "heartbeat",
                         "heartbeat %d ms is outside %d to %d",
                         options->heartbeat_ms, CF_WORKER_HEARTBEAT_MIN_MS,
                         CF_WORKER_HEARTBEAT_MAX_MS);
        rc = CF_EINVAL;
    }
    if (options->capacity > CF_WORKER_CAPACITY_MAX) {
        cf_problems_add (problems, "capacity", "capacity %u is above %d",
                         options->capacity, CF_WORKER_CAPACITY_MAX);
        rc = CF_EINVAL;
    }
    return rc;
}

//  Makes a DEALER with the worker's CURVE keys, connected to the endpoint;
//  NULL with problems said when the keys or the endpoint are wrong
static zsock_t *
s_dealer (const char *endpoint, const char *cert_path,
          const char *server_cert_path, int *rc, cf_problems_t *problems)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer) {
        cf_problems_add (problems, "socket", "cannot make a ZeroMQ socket: %s",
                         zmq_strerror (zmq_errno ()));
        *rc = CF_EIO;
        return NULL;
    }
    zsock_set_linger (dealer, 0);
    zsock_set_maxmsgsize (dealer, CF_WIRE_MAX_FRAME);
    *rc = cf_identity_client (dealer, cert_path, server_cert_path, problems);
    if (*rc == 0 && zsock_connect (dealer, "%s", endpoint) != 0) {
        cf_problems_add (problems, "endpoint",
                         "cannot connect to '%s': %s; write it as "
                         "tcp://HOST:PORT",
                         endpoint, zmq_strerror (zmq_errno ()));
        *rc = CF_EINVAL;
    }
    if (*rc)
        zsock_destroy (&dealer);
    return dealer;
}

int
cf_worker_new (const cf_worker_options_t *options, cf_worker_t **self_p,
               cf_problems_t *problems)
{
    assert (options && self_p);
    *self_p = NULL;
    int rc = s_check_options (options, problems);
    if (rc)
        return rc;
    const char *endpoint =
        options->endpoint ? options->endpoint : CF_WORKER_DEFAULT_ENDPOINT;
    //  A trial socket proves the keys and the endpoint now, while the
    //  person who started the worker is still looking
    zsock_t *trial = s_dealer (endpoint, options->cert_path,
                               options->server_cert_path, &rc, problems);
    zsock_destroy (&trial);
    if (rc)
        return rc;

    cf_worker_t *self = cf_mem_check (calloc (1, sizeof (cf_worker_t)));
    self->endpoint = cf_mem_check (strdup (endpoint));
    self->cert_path = cf_mem_check (strdup (options->cert_path));
    self->server_cert_path = cf_mem_check (strdup (options->server_cert_path));
    if (options->name && *options->name)
        self->name = cf_mem_check (strdup (options->name));
    else if (asprintf (&self->name, "worker-%d", (int)getpid ()) < 0)
        cf_mem_fail ();
    self->stages =
        cf_mem_check (calloc (options->stage_count + 1, sizeof (char *)));
    for (size_t index = 0; index < options->stage_count; index++) {
        //  A stage named twice is served once
        bool seen = false;
        for (size_t before = 0; before < self->stage_count; before++)
            seen |= strcmp (self->stages[before], options->stages[index]) == 0;
        if (!seen)
            self->stages[self->stage_count++] =
                cf_mem_check (strdup (options->stages[index]));
    }
    self->capacity =
        options->capacity ? options->capacity : CF_WORKER_CAPACITY_DEFAULT;
    self->heartbeat_ms = options->heartbeat_ms ? options->heartbeat_ms : 1000;
    self->hold_ms = options->hold_ms;
    self->reconnect_ms = CF_WORKER_RECONNECT_MIN_MS;
    self->schemes = cf_stage_schemes_new ();
    *self_p = self;
    return 0;
}

void
cf_worker_destroy (cf_worker_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        cf_worker_t *self = *self_p;
        assert (!self->dealer);  //  Still running: a caller bug
        free (self->endpoint);
        free (self->cert_path);
        free (self->server_cert_path);
        free (self->name);
        for (size_t index = 0; index < self->stage_count; index++)
            free (self->stages[index]);
        free (self->stages);
        cf_stage_schemes_destroy (&self->schemes);
        free (self);
        *self_p = NULL;
    }
}

static void
s_signal_handler (int signal_value)
{
    (void)signal_value;
    s_interrupted = 1;
}

void
cf_worker_catch_signals (void)
{
    zsys_handler_set (NULL);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_signal_handler;
    sigemptyset (&action.sa_mask);
    action.sa_flags = 0;  //  No SA_RESTART: interrupt the poll
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
}

//  ------------------------------------------------------------------------
//  Talking to the daemon

//  Sends message as one frame without blocking: a message that cannot be
//  queued now (the daemon is away) is dropped, since a heartbeat or ready
//  is worth nothing late and a lost result comes back through the lease
static void
s_send (cf_worker_t *self, const Cf__WorkerMessage *message)
{
    size_t size = 0;
    uint8_t *data = cf_pb_pack (&message->base, &size);
    if (zmq_send (zsock_resolve (self->dealer), data, size, ZMQ_DONTWAIT) < 0)
        cf_log_debug ("worker=%s send dropped: %s", self->name,
                      zmq_strerror (zmq_errno ()));
    free (data);
}

static void
s_send_heartbeat (cf_worker_t *self)
{
    Cf__WorkerMessage message = CF__WORKER_MESSAGE__INIT;
    message.body_case = CF__WORKER_MESSAGE__BODY_HEARTBEAT;
    message.heartbeat = true;
    s_send (self, &message);
    self->heartbeat_at = zclock_mono () + self->heartbeat_ms;
}

static void
s_send_ready (cf_worker_t *self)
{
    Cf__WorkerReady ready = CF__WORKER_READY__INIT;
    ready.stages = self->stages;
    ready.n_stages = self->stage_count;
    ready.capacity = self->capacity;
    Cf__WorkerMessage message = CF__WORKER_MESSAGE__INIT;
    message.body_case = CF__WORKER_MESSAGE__BODY_READY;
    message.ready = &ready;
    s_send (self, &message);
    self->heartbeat_at = zclock_mono () + self->heartbeat_ms;
}

//  Schedules the next connection attempt and backs off the one after
static void
s_back_off (cf_worker_t *self)
{
    self->reconnect_at = zclock_mono () + self->reconnect_ms;
    self->reconnect_ms *= 2;
    if (self->reconnect_ms > CF_WORKER_RECONNECT_MAX_MS)
        self->reconnect_ms = CF_WORKER_RECONNECT_MAX_MS;
}

//  Connects a new socket and says ready; on failure tries again later
static void
s_connect (cf_worker_t *self)
{
    cf_problems_t *problems = cf_problems_new ();
    int rc = 0;
    self->dealer = s_dealer (self->endpoint, self->cert_path,
                             self->server_cert_path, &rc, problems);
    if (self->dealer) {
        self->heard_at = zclock_mono ();
        s_send_ready (self);
        cf_log_info ("worker=%s connecting to %s, ready", self->name,
                     self->endpoint);
    } else {
        char *why = cf_problems_join (problems);
        cf_log_error ("worker=%s cannot connect: %s; retrying in %d ms",
                      self->name, why, self->reconnect_ms);
        free (why);
        s_back_off (self);
    }
    cf_problems_destroy (&problems);
}

//  The daemon has been silent for CF_WORKER_LIVENESS intervals: drop the
//  socket (queued messages go with it) and reconnect after the backoff
static void
s_drop_silent (cf_worker_t *self)
{
    cf_log_warn (
        "worker=%s daemon silent for %" PRId64 " ms; reconnecting in %d ms",
        self->name, zclock_mono () - self->heard_at, self->reconnect_ms);
    zsock_destroy (&self->dealer);
    s_back_off (self);
}

//  ------------------------------------------------------------------------
//  Doing a job

static bool
s_serves (const cf_worker_t *self, const char *stage)
{
    if (self->stage_count == 0)
        return true;
    for (size_t index = 0; index < self->stage_count; index++)
        if (strcmp (self->stages[index], stage) == 0)
            return true;
    return false;
}

//  Runs the offered job into result; returns 0 or the error
static int
s_work (cf_worker_t *self, const Cf__JobOffer *offer, Cf__JobResult *result,
        cf_problems_t *problems)
{
    const Cf__Job *job = offer->job;
    if (!s_serves (self, job->stage)) {
        cf_problems_add (problems, "stage.not_served",
                         "worker %s does not serve stage '%.*s'; offer it "
                         "to a worker that announced it",
                         self->name, CF_UTF8_CUT (job->stage, 64));
        return CF_EINVAL;
    }
    return cf_stage_offer_kept (self->schemes, offer, result, problems);
}

static void
s_handle_offer (cf_worker_t *self, const Cf__JobOffer *offer)
{
    const Cf__Job *job = offer->job;
    if (!job) {
        cf_log_warn ("worker=%s offer without a job dropped", self->name);
        return;
    }
    int64_t started = zclock_mono ();
    Cf__JobResult *result = cf_pb_new (&cf__job_result__descriptor);
    result->job = job->id;
    result->lease = job->lease;
    cf_problems_t *problems = cf_problems_new ();
    int rc = s_work (self, offer, result, problems);
    if (rc)
        cf_stage_set_error (result, rc, problems);
    if (self->hold_ms > 0) {
        //  A drill: the job stays leased and unreported for a while, so a
        //  test can kill the worker in the middle of it
        cf_log_notice ("job=%" PRIu64 " holding %d ms before reporting",
                       job->id, self->hold_ms);
        zclock_sleep (self->hold_ms);
    }
    Cf__WorkerMessage message = CF__WORKER_MESSAGE__INIT;
    message.body_case = CF__WORKER_MESSAGE__BODY_RESULT;
    message.result = result;
    s_send (self, &message);
    self->jobs++;

    const char *case_id = offer->record ? offer->record->id : job->case_id;
    int64_t elapsed = zclock_mono () - started;
    if (rc)
        cf_log_warn ("job=%" PRIu64
                     " case=%s stage=%s error=\"%s\" ms=%" PRId64,
                     job->id, case_id, job->stage, result->error, elapsed);
    else
        cf_log_info ("job=%" PRIu64 " case=%s stage=%s event=%s ms=%" PRId64,
                     job->id, case_id, job->stage,
                     *result->event ? result->event : "none", elapsed);
    cf_problems_destroy (&problems);
    cf_pb_free (&result);
}

static void
s_handle_reply (cf_worker_t *self, const Cf__Reply *reply)
{
    if (reply->status == CF__STATUS__STATUS_OK)
        cf_log_debug ("worker=%s result accepted", self->name);
    else
        cf_log_warn ("worker=%s result refused: %s %s", self->name,
                     reply->error, reply->message);
}

//  Reads one message from the daemon; anything at all proves it alive
static void
s_receive (cf_worker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->dealer);
    if (!msg)
        return;  //  Interrupted
    self->heard_at = zclock_mono ();
    self->reconnect_ms = CF_WORKER_RECONNECT_MIN_MS;
    if (zmsg_size (msg) != 1) {
        cf_log_warn ("worker=%s message of %zu frames dropped; the daemon "
                     "sends one",
                     self->name, zmsg_size (msg));
        zmsg_destroy (&msg);
        return;
    }
    zframe_t *frame = zmsg_first (msg);
    Cf__DaemonMessage *message = NULL;
    cf_problems_t *problems = cf_problems_new ();
    if (cf_wire_decode (&cf__daemon_message__descriptor, zframe_data (frame),
                        zframe_size (frame), (void **)&message, problems)) {
        char *why = cf_problems_join (problems);
        cf_log_warn ("worker=%s undecodable message dropped: %s", self->name,
                     why);
        free (why);
    } else if (message->body_case == CF__DAEMON_MESSAGE__BODY_OFFER)
        s_handle_offer (self, message->offer);
    else if (message->body_case == CF__DAEMON_MESSAGE__BODY_REPLY)
        s_handle_reply (self, message->reply);
    //  A heartbeat needs nothing more than heard_at
    cf_problems_destroy (&problems);
    cf_pb_free (&message);
    zmsg_destroy (&msg);
}

//  Says goodbye, giving the message a moment to leave
static void
s_disconnect (cf_worker_t *self)
{
    if (!self->dealer)
        return;
    Cf__WorkerMessage message = CF__WORKER_MESSAGE__INIT;
    message.body_case = CF__WORKER_MESSAGE__BODY_DISCONNECT;
    message.disconnect = true;
    s_send (self, &message);
    zsock_set_linger (self->dealer, S_LINGER_MS);
    zsock_destroy (&self->dealer);
}

//  ------------------------------------------------------------------------
//  The loop

//  Milliseconds until the next thing to do, at least 0
static int64_t
s_next_timeout (const cf_worker_t *self, int64_t now)
{
    int64_t due = self->reconnect_at;
    if (self->dealer) {
        due = self->heartbeat_at;
        int64_t dead_at =
            self->heard_at + (int64_t)CF_WORKER_LIVENESS * self->heartbeat_ms;
        if (dead_at < due)
            due = dead_at;
    }
    return due > now ? due - now : 0;
}

//  True when pipe (may be NULL) asks the loop to end
static bool
s_pipe_says_stop (zsock_t *pipe)
{
    char *command = zstr_recv (pipe);
    bool stop = !command || streq (command, "$TERM");
    zstr_free (&command);
    return stop;
}

//  The loop: poll until the next deadline, handle what arrived, fire the
//  timers, check for shutdown. pipe: an actor's pipe, or NULL.
static int
s_loop (cf_worker_t *self, zsock_t *pipe)
{
    cf_log_info ("worker=%s starting: endpoint=%s stages=%zu capacity=%u "
                 "heartbeat=%d ms",
                 self->name, self->endpoint, self->stage_count, self->capacity,
                 self->heartbeat_ms);
    int rc = 0;
    s_connect (self);
    while (!s_interrupted) {
        int64_t timeout = s_next_timeout (self, zclock_mono ());
        zmq_pollitem_t items[2];
        int count = 0;
        if (pipe)
            items[count++] =
                (zmq_pollitem_t){zsock_resolve (pipe), 0, ZMQ_POLLIN, 0};
        if (self->dealer)
            items[count++] = (zmq_pollitem_t){zsock_resolve (self->dealer), 0,
                                              ZMQ_POLLIN, 0};
        if (zmq_poll (items, count, (long)timeout) < 0) {
            if (zmq_errno () == EINTR)
                continue;
            cf_log_error ("worker=%s poll failed: %s", self->name,
                          zmq_strerror (zmq_errno ()));
            rc = CF_EIO;
            break;
        }
        if (pipe && (items[0].revents & ZMQ_POLLIN) && s_pipe_says_stop (pipe))
            break;
        if (self->dealer && (items[count - 1].revents & ZMQ_POLLIN))
            s_receive (self);

        int64_t now = zclock_mono ();
        if (!self->dealer) {
            if (now >= self->reconnect_at)
                s_connect (self);
        } else if (now - self->heard_at >=
                   (int64_t)CF_WORKER_LIVENESS * self->heartbeat_ms)
            s_drop_silent (self);
        else if (now >= self->heartbeat_at)
            s_send_heartbeat (self);
    }
    s_disconnect (self);
    cf_log_info ("worker=%s stopped after %" PRIu64 " jobs", self->name,
                 self->jobs);
    return rc;
}

int
cf_worker_run (cf_worker_t *self)
{
    assert (self);
    return s_loop (self, NULL);
}

void
cf_worker_actor (zsock_t *pipe, void *args)
{
    cf_worker_t *self = args;
    assert (self);
    zsock_signal (pipe, 0);
    (void)s_loop (self, pipe);
}
