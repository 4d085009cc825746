/*  =========================================================================
    cf_watch - following the event feed without a gap or a repeat
    =========================================================================
*/

#include "cf_watch.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "cf_fsm.h"
#include "cf_identity.h"
#include "cf_log.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_wire.h"

struct _cf_watch_t {
    cf_client_t *client;  //  Borrowed: asks for missing events
    zsock_t *feed;        //  SUB to the daemon's PUB
    char *state;          //  Filter: state name, or NULL
    char *case_id;        //  Filter: case id, or NULL
    int heartbeat_ms;     //  Daemon's heartbeat interval
    uint64_t last;        //  Last sequence passed over
    uint64_t owed;        //  Catch up to here before going on
    zlistx_t *ready;      //  Events that match, in order, to be taken
    int64_t heard_at;     //  When the feed last said anything (mono ms)
    size_t heartbeats;    //  Heartbeats received
    Cf__Reply *refusal;   //  Last refused catch-up reply
};

static void
s_event_destroy (void **item)
{
    cf_pb_free (item);
}

cf_watch_t *
cf_watch_new (cf_client_t *client, const char *feed_endpoint,
              const char *cert_path, const char *server_cert_path,
              const cf_watch_filter_t *filter, int heartbeat_ms,
              cf_problems_t *problems)
{
    assert (client && feed_endpoint && cert_path && server_cert_path);
    assert (filter && heartbeat_ms >= 1);
    cf_watch_t *self = cf_mem_check (calloc (1, sizeof (cf_watch_t)));
    self->client = client;
    self->heartbeat_ms = heartbeat_ms;
    if (filter->state)
        self->state = cf_mem_check (strdup (filter->state));
    if (filter->case_id)
        self->case_id = cf_mem_check (strdup (filter->case_id));
    self->ready = cf_mem_check (zlistx_new ());
    zlistx_set_destructor (self->ready, s_event_destroy);
    self->heard_at = zclock_mono ();

    self->feed = zsock_new (ZMQ_SUB);
    if (!self->feed) {
        cf_problems_add (problems, "watch.socket",
                         "cannot create a ZeroMQ socket: %s",
                         zmq_strerror (zmq_errno ()));
        cf_watch_destroy (&self);
        return NULL;
    }
    zsock_set_linger (self->feed, 0);
    zsock_set_maxmsgsize (self->feed, CF_WIRE_MAX_DECODED);
    //  The feed is a doorbell ("seq" after commits, "hb" when idle): the
    //  events come through the client API, and the filter applies to them
    zsock_set_subscribe (self->feed, "seq");
    zsock_set_subscribe (self->feed, "hb");
    if (cf_identity_client (self->feed, cert_path, server_cert_path,
                            problems)) {
        cf_watch_destroy (&self);
        return NULL;
    }
    if (zsock_connect (self->feed, "%s", feed_endpoint) == -1) {
        cf_problems_add (problems, "watch.endpoint",
                         "cannot connect to '%s' (%s); write an endpoint such "
                         "as %s",
                         feed_endpoint, zmq_strerror (zmq_errno ()),
                         CF_CLIENT_FEED);
        cf_watch_destroy (&self);
    }
    return self;
}

void
cf_watch_destroy (cf_watch_t **self_p)
{
    assert (self_p);
    cf_watch_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->feed);
    zlistx_destroy (&self->ready);
    cf_pb_free (&self->refusal);
    free (self->state);
    free (self->case_id);
    free (self);
    *self_p = NULL;
}

static bool
s_matches (cf_watch_t *self, const Cf__Event *event)
{
    if (self->state &&
        strcmp (cf_fsm_state_name ((cf_state_t)event->to), self->state) != 0)
        return false;
    return !self->case_id || strcmp (event->case_id, self->case_id) == 0;
}

//  Passes over event (taking it): it becomes the last one, and is kept for
//  the caller when it matches the filter.
static void
s_pass (cf_watch_t *self, Cf__Event *event)
{
    assert (event->seq > self->last);
    self->last = event->seq;
    if (s_matches (self, event))
        zlistx_add_end (self->ready, event);
    else
        cf_pb_free (&event);
}

//  Sends request (taking it) and returns its OK reply in *reply_p. A
//  refused reply is kept as the refusal and gives CF_EFORBIDDEN.
static int
s_ask (cf_watch_t *self, Cf__Request *request, Cf__Reply **reply_p)
{
    *reply_p = NULL;
    Cf__Reply *reply = NULL;
    int rc = cf_client_request (self->client, request, &reply);
    cf_pb_free (&request);
    if (rc)
        return rc;
    if (reply->status != CF__STATUS__STATUS_OK) {
        cf_pb_free (&self->refusal);
        self->refusal = reply;
        return CF_EFORBIDDEN;
    }
    *reply_p = reply;
    return 0;
}

//  Fetches the events after self->last up to target (UINT64_MAX: up to
//  the daemon's latest), passing over each. An applicant sees only its
//  organization's events, so a page may be short or empty and still not
//  the last: the daemon says so (more) and how far it looked (scanned).
static int
s_catch_up (cf_watch_t *self, uint64_t target)
{
    bool to_latest = target == UINT64_MAX;
    while (self->last < target) {
        uint32_t limit = CF_WATCH_PAGE;
        if (!to_latest && target - self->last < limit)
            limit = (uint32_t)(target - self->last);
        Cf__Request *request = cf_pb_new (&cf__request__descriptor);
        Cf__EventsSince *since = cf_pb_new (&cf__events_since__descriptor);
        since->after = self->last;
        since->limit = limit;
        request->body_case = CF__REQUEST__BODY_EVENTS;
        request->events = since;
        cf_log_debug ("watch: catching up after=%" PRIu64 " limit=%" PRIu32,
                      self->last, limit);
        Cf__Reply *reply;
        int rc = s_ask (self, request, &reply);
        if (rc)
            return rc;
        const Cf__EventList *list =
            reply->body_case == CF__REPLY__BODY_EVENTS ? reply->events : NULL;
        size_t count = list ? list->n_events : 0;
        if (to_latest) {
            target = list ? list->last_seq : 0;
            to_latest = false;
        }
        uint64_t before = self->last;
        for (size_t index = 0; index < count; index++) {
            const Cf__Event *event = list->events[index];
            if (event->seq > target)
                break;
            if (event->seq > self->last)
                s_pass (self, cf_pb_dup (&event->base));
        }
        bool more = list && list->more;
        uint64_t scanned = list ? list->scanned : 0;
        cf_pb_free (&reply);
        //  What the daemon looked at and had nothing more of is seen
        if (more && scanned > self->last)
            self->last = scanned < target ? scanned : target;
        //  Nothing more to see up to the target, or a daemon that does not
        //  move us on: either way the range is done
        if (!more || self->last == before)
            self->last = target > self->last ? target : self->last;
    }
    return 0;
}

int
cf_watch_start (cf_watch_t *self, bool from_latest, uint64_t since)
{
    assert (self);
    if (!from_latest) {
        self->last = since;
        return s_catch_up (self, UINT64_MAX);
    }
    Cf__Request *request = cf_pb_new (&cf__request__descriptor);
    request->body_case = CF__REQUEST__BODY_PING;
    request->ping = true;
    Cf__Reply *reply;
    int rc = s_ask (self, request, &reply);
    if (rc)
        return rc;
    self->last = reply->body_case == CF__REPLY__BODY_SEQ ? reply->seq : 0;
    cf_pb_free (&reply);
    return 0;
}

//  Reads one feed message: a heartbeat may reveal that events were
//  missed, an event may be a repeat, the next one, or past a gap.
static void
s_receive (cf_watch_t *self)
{
    zmsg_t *message = zmsg_recv (self->feed);
    if (!message)
        return;
    if (zmsg_size (message) != 2) {
        cf_log_warn ("watch: dropped a %zu-frame feed message",
                     zmsg_size (message));
        zmsg_destroy (&message);
        return;
    }
    zframe_t *body = zmsg_last (message);
    Cf__FeedMessage *feed = NULL;
    cf_problems_t *problems = cf_problems_new ();
    if (cf_wire_decode (&cf__feed_message__descriptor, zframe_data (body),
                        zframe_size (body), (void **)&feed, problems)) {
        char *why = cf_problems_join (problems);
        cf_log_warn ("watch: dropped a feed message that does not decode: %s",
                     why);
        free (why);
    }
    cf_problems_destroy (&problems);
    zmsg_destroy (&message);
    if (!feed)
        return;
    self->heard_at = zclock_mono ();
    uint64_t latest = 0;
    if (feed->body_case == CF__FEED_MESSAGE__BODY_HEARTBEAT) {
        self->heartbeats++;
        latest = feed->heartbeat;
    } else if (feed->body_case == CF__FEED_MESSAGE__BODY_COMMITTED)
        latest = feed->committed;
    if (latest > self->owed)
        self->owed = latest;
    cf_pb_free (&feed);
}

//  Pays what is owed: the events up to the latest the feed announced.
static int
s_settle (cf_watch_t *self)
{
    return self->owed > self->last ? s_catch_up (self, self->owed) : 0;
}

int
cf_watch_next (cf_watch_t *self, int timeout_ms, Cf__Event **event_p)
{
    assert (self && event_p && timeout_ms >= 0);
    *event_p = NULL;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int rc = s_settle (self);
        if (rc)
            return rc;
        if (zlistx_size (self->ready) > 0) {
            *event_p = zlistx_detach (self->ready, NULL);
            return 0;
        }
        int64_t left = deadline - zclock_mono ();
        zmq_pollitem_t item = {zsock_resolve (self->feed), 0, ZMQ_POLLIN, 0};
        int readable = zmq_poll (&item, 1, left > 0 ? (long)left : 0);
        if (readable == -1 && zsys_interrupted)
            return CF_EAGAIN;
        if (readable == 0 || (readable == -1 && left <= 0))
            return CF_ETIMEOUT;
        if (readable > 0)
            s_receive (self);
    }
}

bool
cf_watch_silent (cf_watch_t *self)
{
    assert (self);
    int64_t quiet = zclock_mono () - self->heard_at;
    return quiet > (int64_t)CF_WATCH_SILENT_BEATS * self->heartbeat_ms;
}

uint64_t
cf_watch_last_seq (cf_watch_t *self)
{
    assert (self);
    return self->last;
}

size_t
cf_watch_heartbeats (cf_watch_t *self)
{
    assert (self);
    return self->heartbeats;
}

const Cf__Reply *
cf_watch_refusal (cf_watch_t *self)
{
    assert (self);
    return self->refusal;
}
