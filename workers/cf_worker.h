/*  =========================================================================
    cf_worker - the worker loop: take stage jobs from the daemon, do them

    A DEALER socket connects to the daemon's worker API over CurveZMQ (the
    worker's certificate says who it is) and says ready{stages, capacity}.
    Then the loop reads top to bottom: poll until the next heartbeat is
    due; run each offered job through its stage (cf_stages) and send the
    result; send a heartbeat every heartbeat interval; and when nothing has
    come from the daemon for CF_WORKER_LIVENESS intervals, count it dead:
    drop the socket, wait (1 s, doubling to 32 s while it stays away),
    connect a new socket and say ready again. So a daemon restart costs a
    reconnect, never the worker. On SIGINT or SIGTERM (or $TERM when run as
    an actor) the worker says disconnect and returns.

    Every message is one frame: WorkerMessage up, DaemonMessage down,
    decoded only through cf_wire_decode. A frame that does not decode is
    logged and dropped; the daemon's lease brings the job back if it was one.
    =========================================================================
*/

#ifndef CF_WORKER_H_INCLUDED
#define CF_WORKER_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cf_config.h"
#include "cf_error.h"
#include "cf_log.h"
#include "cf_problems.h"
#include "cf_wire.h"

//  The daemon's worker API unless told otherwise
#define CF_WORKER_DEFAULT_ENDPOINT "tcp://127.0.0.1:5581"

//  Heartbeat intervals of silence after which the daemon counts as dead
#define CF_WORKER_LIVENESS 3

//  First wait before reconnecting to a silent daemon, and the longest
#define CF_WORKER_RECONNECT_MIN_MS 1000
#define CF_WORKER_RECONNECT_MAX_MS 32000

//  Bounds of the numeric options
#define CF_WORKER_HEARTBEAT_MIN_MS 10
#define CF_WORKER_HEARTBEAT_MAX_MS 600000
#define CF_WORKER_CAPACITY_MAX     CF_WIRE_MAX_CAPACITY
//  Jobs a worker takes at once unless told: more than one, so that the
//  daemon can put the results of several into one commit while the
//  worker does the next
#define CF_WORKER_CAPACITY_DEFAULT 8

//  What a worker is told to do. Built by hand (tests) or by
//  cf_worker_options_parse (the program); cf_worker_new copies what it keeps.
typedef struct {
    const char *endpoint;          //  Daemon's worker API; NULL: the default
    const char *cert_path;         //  This worker's secret certificate file
    const char *server_cert_path;  //  The daemon's public certificate file
    const char *name;              //  Name in the logs; NULL: worker-PID
    const char **stages;           //  Stage names served; none: all
    size_t stage_count;            //  How many
    uint32_t capacity;             //  Jobs offered at once; 0: the default
    int heartbeat_ms;              //  Heartbeat interval; 0: 1000
    int hold_ms;                   //  Drills: pause before each report; 0: none
    bool verbose;                  //  Debug records on
    cf_log_format_t log_format;    //  Log line shape (the level is set)
    bool help;                     //  --help was given: print usage only
    cf_config_t *config;           //  Parsed: owns the strings; else NULL
    char **argv;                   //  Parsed: the flags but --stage
} cf_worker_options_t;

typedef struct _cf_worker_t cf_worker_t;

//  ------------------------------------------------------------------------
//  The command line

//  Parses the worker's command line: --worker-endpoint, --cert, --server-cert,
//  --stage NAME (repeatable), --heartbeat MS, --capacity N, --name,
//  --config FILE (ZPL, keys under certflow-worker/), --verbose, --help;
//  the environment gives CERTFLOW_WORKER_ENDPOINT, CERTFLOW_CERT and
//  CERTFLOW_SERVER_CERT (flags win, then environment, then the file).
//  Stage names are checked by cf_worker_new, not here. argv must outlive
//  the options (stage names point into it).
//
//  On success *options_p gets new options (free with
//  cf_worker_options_destroy) and 0 is returned; when help is set the rest
//  may be unset. On error *options_p is NULL and the return is CF_EINVAL
//  (an unknown flag, a flag without its value, an argument that is no
//  flag, a number out of range) or the codes of cf_config_load (CF_EIO,
//  CF_EPARSE) with the problems said.
int CF_MUST_CHECK cf_worker_options_parse (int argc, char **argv,
                                           cf_worker_options_t **options_p,
                                           cf_problems_t *problems);

//  Destroys parsed options and nulls *self_p. NULL-safe.
void cf_worker_options_destroy (cf_worker_options_t **self_p);

//  Prints the usage: the options with their environment variables and
//  defaults, then the stages a worker can serve.
void cf_worker_usage (FILE *out);

//  ------------------------------------------------------------------------
//  The worker

//  Creates a worker from options (borrowed for the call). Checks that
//  every stage is known, that both certificates load and that the endpoint
//  is a ZeroMQ endpoint; connects nothing yet. On success *self_p gets the
//  worker and 0 is returned. Otherwise *self_p is NULL and the return is
//  CF_EINVAL (an unknown stage: problem stage.unknown listing the stages;
//  no --cert or --server-cert; a bad endpoint or number), or the codes of
//  cf_identity_client for a certificate that is missing or is none.
int CF_MUST_CHECK cf_worker_new (const cf_worker_options_t *options,
                                 cf_worker_t **self_p, cf_problems_t *problems);

//  Destroys the worker and nulls *self_p. NULL-safe, idempotent. The
//  worker must not be running.
void cf_worker_destroy (cf_worker_t **self_p);

//  Makes SIGINT and SIGTERM stop cf_worker_run: czmq's own handlers are
//  switched off (zsys_handler_set (NULL)) and a handler that only sets a
//  flag is installed. Call once at start-up, before any socket is made.
void cf_worker_catch_signals (void);

//  Runs the loop in the calling thread until SIGINT or SIGTERM (after
//  cf_worker_catch_signals); the worker sends disconnect before it
//  returns. Returns 0, or CF_EIO when no socket can be made (the process
//  is out of sockets or ZeroMQ is shutting down). Note: the sockets live
//  in the calling thread, made and closed by this call.
int CF_MUST_CHECK cf_worker_run (cf_worker_t *self);

//  The same loop as a czmq actor: zactor_new (cf_worker_actor, worker)
//  runs the worker in its own thread until zactor_destroy, which sends
//  $TERM and waits for the disconnect to be sent. The worker (args) stays
//  the caller's; destroy it after the actor.
void cf_worker_actor (zsock_t *pipe, void *args);

#endif
