/*  =========================================================================
    cf_engine - turns requests, worker results and due timers into commits

    The engine is the daemon's transactional core, with no sockets: the loop
    hands it what arrived, and it answers with what to send. Work happens in
    rounds. A round collects every change (case records, events, jobs,
    leases, stored replies, certificates) into one store batch; the loop
    commits the round once, then sends what the round produced: replies,
    offers to workers and events for the feed. Nothing leaves before the
    commit that it depends on is on disk.

        cf_engine_begin      a new round at instant now
        cf_engine_request    a client request (principal from the transport)
        cf_engine_result     a worker's job result
        cf_engine_tick       case deadlines and job leases that are due
        cf_engine_lease      lease a ready job to a worker
        cf_engine_commit     commit the round
        cf_engine_outbox_*   what to send, after the commit

    Reads (status, list, history, events) answer from committed state only;
    writes in one round see each other through the round's own copies of
    the cases they touch.

    Note: single-threaded; the engine owns neither the store nor the scheme.
    =========================================================================
*/

#ifndef CF_ENGINE_H_INCLUDED
#define CF_ENGINE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_scheme.h"
#include "cf_seal.h"
#include "cf_store.h"

typedef struct {
    int64_t lease_ms;               //  How long a worker holds a job
    uint32_t max_attempts;          //  Offers before a job is parked
    int64_t backoff_ms;             //  First retry delay; doubles per attempt
    const char *certs_dir;          //  Principals' certificates (identity)
    size_t page_max;                //  Largest page a list may ask for
    const cf_seal_key_t *seal_key;  //  Signs certificate documents (the
                                    //  secret key); NULL: none are made
    const char *register_url;       //  The public register's base URL, in
                                    //  every document's QR code
    int64_t reply_retention_ms;     //  How long a stored reply answers a
                                    //  retried request; 0: for ever
} cf_engine_config_t;

//  Where something in the outbox goes
typedef enum {
    CF_OUTBOX_CLIENT,  //  A Reply to a client
    CF_OUTBOX_WORKER,  //  A DaemonMessage to a worker
} cf_outbox_kind_t;

typedef struct _cf_engine_t cf_engine_t;

//  Creates an engine over store with the scheme (borrowed for its life;
//  scheme_text is the scheme file text). The scheme governs new cases; it
//  is recorded in the store under its version, so that every case keeps
//  running under the version it recorded (read back from the store and
//  sent to the workers with each job) after the daemon moves to a newer
//  scheme. Rebuilds the in-memory view (ready jobs, active jobs per case)
//  from the store's indexes. Returns NULL (logged) when the store cannot
//  be read or already holds the scheme's version with other content.
cf_engine_t *cf_engine_new (cf_store_t *store, const cf_scheme_t *scheme,
                            const char *scheme_text,
                            const cf_engine_config_t *config);

//  Destroys the engine and nulls *self_p. NULL-safe. An open round is
//  dropped.
void cf_engine_destroy (cf_engine_t **self_p);

//  Starts a round at instant now (ms since epoch). A round left open is
//  dropped first.
void cf_engine_begin (cf_engine_t *self, int64_t now);

//  Handles one client request frame from principal who. route is the
//  sender's routing frame (copied). Decoding, authorization, the state
//  machine and deduplication happen here; the reply waits in the outbox.
void cf_engine_request (cf_engine_t *self, zframe_t *route,
                        const Cf__Principal *who, const uint8_t *data,
                        size_t size);

//  Handles a worker's job result; the answer (accepted or refused) waits in
//  the outbox for route.
void cf_engine_result (cf_engine_t *self, zframe_t *route,
                       const Cf__Principal *worker,
                       const Cf__JobResult *result);

//  Fires what is due at the round's instant: case deadlines become
//  deadline_passed events, expired leases put their job back (with backoff)
//  or park it, and delayed jobs become ready.
void cf_engine_tick (cf_engine_t *self);

//  Leases the oldest ready job of one of stages (all stages when count is 0)
//  to worker (its name, and worker_key the public key of its certificate:
//  only that key may report the lease), and puts the offer in the outbox
//  for route. The lease token is random, so no other worker can guess it.
//  Returns 0, or CF_ENOTFOUND when no job is ready for those stages.
int CF_MUST_CHECK cf_engine_lease (cf_engine_t *self, zframe_t *route,
                                   const char *worker, const char *worker_key,
                                   char **stages, size_t count);

//  Commits the round. Returns 0 when it is on disk (or had nothing to
//  write). On CF_ESTOREFULL the map was grown and the commit retried once
//  before giving up. On failure nothing of the round is written: every
//  reply that depended on it becomes STATUS_UNAVAILABLE, offers are
//  dropped and the in-memory view is rebuilt from the store.
int CF_MUST_CHECK cf_engine_commit (cf_engine_t *self);

//  The outbox of the committed round, in the order it was produced.
size_t cf_engine_outbox_size (cf_engine_t *self);

//  Item index of the outbox: its kind, its route (borrowed) and its packed
//  message (borrowed until the next round).
cf_outbox_kind_t cf_engine_outbox_item (cf_engine_t *self, size_t index,
                                        zframe_t **route, const uint8_t **data,
                                        size_t *size);

//  Events the committed round appended, with their sequence numbers and
//  hashes (borrowed until the next round).
size_t cf_engine_event_count (cf_engine_t *self);
const Cf__Event *cf_engine_event (cf_engine_t *self, size_t index);

//  Returns the instant of the earliest pending deadline (case, lease or
//  delayed job), or INT64_MAX when none.
int64_t cf_engine_next_due (cf_engine_t *self);

//  Returns the number of jobs ready to lease now.
size_t cf_engine_ready (cf_engine_t *self);

//  Returns the latest committed sequence number.
uint64_t cf_engine_last_seq (cf_engine_t *self);

//  Returns true when the round issued or revoked an identity, so the loop
//  makes zauth re-read the certificate directory.
bool cf_engine_identities_changed (cf_engine_t *self);

//  Returns true when the round revoked an identity, so the loop also
//  closes what may still be open with the revoked key.
bool cf_engine_identities_revoked (cf_engine_t *self);

#endif
