/*  =========================================================================
    cf_daemon - certflowd: the sockets and the loop around the engine

    One thread, one loop, read top to bottom:

        poll until the next deadline or heartbeat
        begin a round
        take what the client and worker sockets hold (up to a bound)
        fire due deadlines and lease ready jobs to idle workers
        commit the round (one durable write)
        send what the commit produced: replies, offers, feed events
        heartbeat workers and the feed; forget silent workers
        stop on SIGTERM or SIGINT; on SIGHUP re-read the certificate
        directory and call the config's reload

    Under systemd (NOTIFY_SOCKET set) it reports READY=1 once the sockets
    are bound, RELOADING=1 / READY=1 around a reload and STOPPING=1.

    Every socket is a CurveZMQ server behind zauth, which starts before any
    bind. Who sent a message is read from the transport.
    =========================================================================
*/

#ifndef CF_DAEMON_H_INCLUDED
#define CF_DAEMON_H_INCLUDED

#include <stdint.h>

#include "cf_error.h"
#include "cf_problems.h"

//  Largest frame a daemon socket reads at all (4x what a message may be):
//  a larger one drops the sender's connection, a smaller one that is still
//  over CF_WIRE_MAX_FRAME is answered with CF_ELIMIT
#define CF_DAEMON_MAX_FRAME (4 * 1024 * 1024)

typedef struct {
    const char *data_dir;             //  Store, keys and certificates
    const char *scheme_path;          //  Scheme file; NULL or "": built-in
    size_t map_size;                  //  Initial LMDB map size, bytes
    const char *client_endpoint;      //  Client API (ROUTER)
    const char *worker_endpoint;      //  Worker API (ROUTER)
    const char *feed_endpoint;        //  Event feed (PUB)
    int64_t lease_ms;                 //  Job lease length
    uint32_t max_attempts;            //  Offers before a job is parked
    int64_t backoff_ms;               //  First retry delay
    int64_t heartbeat_ms;             //  Worker and feed heartbeat interval
    int64_t reply_retention_ms;       //  Stored replies kept; 0: for ever
    const char *register_url;         //  The public register's base URL, put
                                      //  in every certificate document
    int64_t clock_offset_ms;          //  Drills: added to the clock, so that
                                      //  deadlines come due in tests; 0 else
    void (*reload) (void *argument);  //  On SIGHUP, after the certificate
                                      //  directory: re-read the rest that
                                      //  may change (log level); or NULL
    void *reload_argument;            //  Passed to reload
} cf_daemon_config_t;

typedef struct _cf_daemon_t cf_daemon_t;

//  Opens the store, loads the scheme and keys, starts zauth and binds the
//  sockets. A data directory initialized before certificate documents were
//  signed gets its signing key (DATA/keys/signing.key) here. Returns NULL
//  with the reasons in problems (e.g. not initialized: run certflowd init;
//  endpoint in use; scheme file wrong; register_url not http(s)).
cf_daemon_t *cf_daemon_new (const cf_daemon_config_t *config,
                            cf_problems_t *problems);

//  Tells systemd it is ready, then runs the loop until SIGTERM or SIGINT.
//  Returns 0 on a clean stop.
int CF_MUST_CHECK cf_daemon_run (cf_daemon_t *self);

//  Closes the sockets (queued replies get a short linger), the store and
//  zauth, and nulls *self_p. NULL-safe.
void cf_daemon_destroy (cf_daemon_t **self_p);

//  Installs the SIGTERM/SIGINT handlers that ask the loop to stop and the
//  SIGHUP one that asks it to reload (and keeps czmq's own handler out).
//  Call once, first thing in main.
void cf_daemon_signals (void);

#endif
