/*  =========================================================================
    cf_watch - following the event feed without a gap or a repeat

    The daemon publishes every committed event on a PUB socket, and PUB
    drops messages for a slow or late subscriber without telling anyone.
    Every event carries a global, gap-free sequence number, so the watcher
    (the zguide's Clone pattern, RFC 12) keeps the last number it has
    passed on and, whenever the feed shows a later number than the next one
    expected (an event past a gap, or a heartbeat naming a later latest
    sequence), fetches exactly the missing range through the client API
    (`events{after, limit}`) before it passes on the event that revealed
    the gap. Events at or below the last number are repeats and dropped.
    The result is every event after the starting point, once, in order.

    The feed's idle heartbeats print nothing but prove the daemon is alive;
    after three heartbeat intervals without any message the watch counts
    as silent until the next one arrives.
    =========================================================================
*/

#ifndef CF_WATCH_H_INCLUDED
#define CF_WATCH_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_client.h"
#include "cf_error.h"
#include "cf_problems.h"

//  Events asked for in one catch-up request (the daemon's page cap)
#define CF_WATCH_PAGE 100

//  Heartbeat intervals without a message after which the feed is silent
#define CF_WATCH_SILENT_BEATS 3

typedef struct _cf_watch_t cf_watch_t;

//  What to watch: NULL fields match everything
typedef struct {
    const char *state;    //  Only events that lead to this state (name)
    const char *case_id;  //  Only events of this case
} cf_watch_filter_t;

//  Creates a watch that subscribes with CURVE to the feed at feed_endpoint
//  (certificates as for cf_client_new) and catches up through client,
//  which it borrows for its whole life. filter is copied; filter->state,
//  when set, also narrows the subscription ("ev STATE "). heartbeat_ms is
//  the daemon's heartbeat interval (certflowd/heartbeat_ms, at least 1).
//  Nothing is passed on until cf_watch_start.
//
//  Returns the watch, or NULL with problems naming the certificate file or
//  endpoint at fault. problems may be NULL.
cf_watch_t *cf_watch_new (cf_client_t *client, const char *feed_endpoint,
                          const char *cert_path, const char *server_cert_path,
                          const cf_watch_filter_t *filter, int heartbeat_ms,
                          cf_problems_t *problems);

//  Destroys the watch, dropping events not yet taken, and nulls *self_p.
//  NULL-safe.
void cf_watch_destroy (cf_watch_t **self_p);

//  Sets the starting point: with from_latest, the daemon's latest sequence
//  (asked with a ping), so only new events follow; otherwise events after
//  seq since, which are fetched now through the client API.
//
//  Returns 0; an error of cf_client_request (CF_ETIMEOUT: the daemon did
//  not answer); or CF_EFORBIDDEN when the daemon refused the request
//  (cf_watch_refusal gives its reply).
int CF_MUST_CHECK cf_watch_start (cf_watch_t *self, bool from_latest,
                                  uint64_t since);

//  Takes the next event that matches the filter, in sequence order, waiting
//  up to timeout_ms (0: only what has arrived) for the feed. On success
//  *event_p gets a new heap Event (free with cf_pb_free).
//
//  Returns 0; CF_ETIMEOUT when no event came in time (look at
//  cf_watch_silent); CF_EAGAIN when czmq's interrupt flag was raised;
//  CF_EFORBIDDEN when the daemon refused a catch-up request; or an error
//  of cf_client_request when it did not answer one (the events are then
//  still owed: the next call tries again). *event_p is NULL on error.
int CF_MUST_CHECK cf_watch_next (cf_watch_t *self, int timeout_ms,
                                 Cf__Event **event_p);

//  Returns true when no feed message (event or heartbeat) came for
//  CF_WATCH_SILENT_BEATS heartbeat intervals.
bool cf_watch_silent (cf_watch_t *self);

//  Returns the sequence number of the last event passed over (taken, or
//  not matching the filter): the point a restarted watch resumes from.
uint64_t cf_watch_last_seq (cf_watch_t *self);

//  Returns how many heartbeats the feed has delivered so far.
size_t cf_watch_heartbeats (cf_watch_t *self);

//  Returns the reply of the last refused catch-up request, borrowed until
//  the next request, or NULL.
const Cf__Reply *cf_watch_refusal (cf_watch_t *self);

#endif
