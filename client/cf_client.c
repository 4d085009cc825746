/*  =========================================================================
    cf_client - requests to certflowd, answered once, however often sent
    =========================================================================
*/

#include "cf_client.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "cf_identity.h"
#include "cf_log.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_wire.h"

struct _cf_client_t {
    char *endpoint;           //  Daemon's client API endpoint
    char *cert_path;          //  Principal's secret certificate file
    char *server_cert_path;   //  Daemon's public certificate file
    int timeout_ms;           //  Wait per try
    int tries;                //  Tries per request, at least 1
    zsock_t *socket;          //  DEALER; NULL after a timeout until reused
    zsock_t *monitor;         //  PAIR hearing the DEALER's failed handshakes
    cf_problems_t *problems;  //  What went wrong in the last request
};

//  Closes the DEALER and its monitor
static void
s_disconnect (cf_client_t *self)
{
    if (self->socket)
        zmq_socket_monitor (zsock_resolve (self->socket), NULL, 0);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->socket);
}

//  A refused CURVE handshake (zauth said no: the key is not in the
//  daemon's certificate directory) shows only in the socket's monitor; the
//  daemon sends nothing else. Watches the DEALER for it.
static int
s_monitor (cf_client_t *self, cf_problems_t *problems)
{
    //  A fresh name each time: a stopped monitor lets go of its old one
    //  only some time later
    char endpoint[80];
    zuuid_t *uuid = cf_mem_check (zuuid_new ());
    snprintf (endpoint, sizeof endpoint, "inproc://cf-client-monitor-%s",
              zuuid_str (uuid));
    zuuid_destroy (&uuid);
    if (zmq_socket_monitor (zsock_resolve (self->socket), endpoint,
                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0 ||
        !(self->monitor = zsock_new_pair (endpoint))) {
        cf_problems_add (problems, "client.monitor",
                         "cannot watch the connection's handshake: %s",
                         zmq_strerror (zmq_errno ()));
        return CF_EIO;
    }
    return 0;
}

//  Reads one monitor event. Returns CF_EDENIED (with the problem said) for
//  a refused handshake, else 0.
static int
s_handshake_event (cf_client_t *self)
{
    zmsg_t *event = zmsg_recv (self->monitor);
    zframe_t *head = event ? zmsg_first (event) : NULL;
    int rc = 0;
    if (head && zframe_size (head) == 6) {
        uint16_t kind;
        uint32_t value;
        memcpy (&kind, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
        if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            cf_problems_add (self->problems, "client.refused",
                             "the daemon at %s refused this certificate "
                             "(revoked or not issued by its admin; ZAP status "
                             "%u): ask the admin for a certificate",
                             self->endpoint, value);
            rc = CF_EDENIED;
        } else if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            cf_problems_add (self->problems, "client.handshake",
                             "the CURVE handshake with %s failed: is "
                             "--server-cert the public certificate of that "
                             "daemon, and is it certflowd?",
                             self->endpoint);
            rc = CF_EDENIED;
        }
    }
    zmsg_destroy (&event);
    return rc;
}

//  Opens a new DEALER with CURVE to the daemon as self->socket.
static int
s_connect (cf_client_t *self, cf_problems_t *problems)
{
    assert (!self->socket);
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    if (!socket) {
        cf_problems_add (problems, "client.socket",
                         "cannot create a ZeroMQ socket: %s",
                         zmq_strerror (zmq_errno ()));
        return CF_EIO;
    }
    //  Queued requests die with the socket: a retry goes on a new one
    zsock_set_linger (socket, 0);
    //  A send waits for a connection no longer than a try lasts
    zsock_set_sndtimeo (socket, self->timeout_ms);
    //  The daemon answers within the wire limits; this only bounds memory
    zsock_set_maxmsgsize (socket, CF_WIRE_MAX_DECODED);
    int rc = cf_identity_client (socket, self->cert_path,
                                 self->server_cert_path, problems);
    self->socket = socket;
    if (rc == 0)
        rc = s_monitor (self, problems);
    if (rc == 0 && zsock_connect (socket, "%s", self->endpoint) == -1) {
        cf_problems_add (problems, "client.endpoint",
                         "cannot connect to '%s' (%s); write an endpoint such "
                         "as %s",
                         self->endpoint, zmq_strerror (zmq_errno ()),
                         CF_CLIENT_ENDPOINT);
        rc = CF_EINVAL;
    }
    if (rc)
        s_disconnect (self);
    return rc;
}

cf_client_t *
cf_client_new (const char *endpoint, const char *cert_path,
               const char *server_cert_path, int timeout_ms, int retries,
               cf_problems_t *problems)
{
    assert (endpoint && cert_path && server_cert_path);
    assert (timeout_ms >= 1 && retries >= 1);
    cf_client_t *self = cf_mem_check (calloc (1, sizeof (cf_client_t)));
    self->endpoint = cf_mem_check (strdup (endpoint));
    self->cert_path = cf_mem_check (strdup (cert_path));
    self->server_cert_path = cf_mem_check (strdup (server_cert_path));
    self->timeout_ms = timeout_ms;
    self->tries = retries;
    self->problems = cf_problems_new ();
    if (s_connect (self, problems))
        cf_client_destroy (&self);
    return self;
}

void
cf_client_destroy (cf_client_t **self_p)
{
    assert (self_p);
    cf_client_t *self = *self_p;
    if (!self)
        return;
    s_disconnect (self);
    cf_problems_destroy (&self->problems);
    free (self->endpoint);
    free (self->cert_path);
    free (self->server_cert_path);
    free (self);
    *self_p = NULL;
}

//  Waits for the reply to id on the current socket until the try's time is
//  up, dropping replies to other ids. Returns 0 with *reply_p set,
//  CF_ETIMEOUT, CF_EAGAIN (interrupted), CF_EIO, or a decode error.
static int
s_await (cf_client_t *self, const char *id, Cf__Reply **reply_p)
{
    int64_t deadline = zclock_mono () + self->timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return CF_ETIMEOUT;
        zmq_pollitem_t items[] = {
            {zsock_resolve (self->socket), 0, ZMQ_POLLIN, 0},
            {zsock_resolve (self->monitor), 0, ZMQ_POLLIN, 0}};
        int ready = zmq_poll (items, 2, (long)left);
        if (ready == -1 && zsys_interrupted) {
            cf_problems_add (self->problems, "client.interrupted",
                             "interrupted while waiting for %s",
                             self->endpoint);
            return CF_EAGAIN;
        }
        if (ready == -1 && errno != EINTR) {
            cf_problems_add (self->problems, "client.socket",
                             "waiting for %s failed: %s", self->endpoint,
                             zmq_strerror (errno));
            return CF_EIO;
        }
        if (ready <= 0)
            continue;
        if (items[1].revents & ZMQ_POLLIN) {
            int refused = s_handshake_event (self);
            if (refused)
                return refused;
        }
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        zmsg_t *message = zmsg_recv (self->socket);
        if (!message)
            continue;
        if (zmsg_size (message) != 1) {
            cf_log_warn ("client: dropped a %zu-frame message from %s",
                         zmsg_size (message), self->endpoint);
            zmsg_destroy (&message);
            continue;
        }
        zframe_t *frame = zmsg_first (message);
        Cf__Reply *reply = NULL;
        int rc = cf_wire_decode (&cf__reply__descriptor, zframe_data (frame),
                                 zframe_size (frame), (void **)&reply,
                                 self->problems);
        zmsg_destroy (&message);
        if (rc) {
            cf_problems_add (
                self->problems, "client.reply",
                "the answer from %s is not a certflow Reply (%s); "
                "check that --client-endpoint names certflowd's client "
                "API",
                self->endpoint, cf_errname (rc));
            return rc;
        }
        if (strcmp (reply->id, id) == 0) {
            *reply_p = reply;
            return 0;
        }
        //  A late reply to an earlier request: its caller has given up
        cf_log_debug ("client: dropped reply id=%s, waiting for id=%s",
                      reply->id, id);
        cf_pb_free (&reply);
    }
}

//  Sends bytes on a socket opened for this try, and waits for the reply.
static int
s_try (cf_client_t *self, const uint8_t *bytes, size_t size, const char *id,
       Cf__Reply **reply_p)
{
    if (!self->socket) {
        int rc = s_connect (self, self->problems);
        if (rc)
            return rc;
    }
    //  A send that times out finds no connection: as good as no reply
    if (zmq_send (zsock_resolve (self->socket), bytes, size, 0) == -1) {
        if (zsys_interrupted)
            return CF_EAGAIN;
        cf_log_debug ("client: send to %s failed: %s", self->endpoint,
                      zmq_strerror (errno));
        return CF_ETIMEOUT;
    }
    return s_await (self, id, reply_p);
}

int
cf_client_request (cf_client_t *self, Cf__Request *request, Cf__Reply **reply_p)
{
    assert (self && request && reply_p);
    *reply_p = NULL;
    cf_problems_reset (self->problems);
    if (!request->id || !*request->id) {
        zuuid_t *uuid = cf_mem_check (zuuid_new ());
        cf_pb_set_string (&request->id, zuuid_str_canonical (uuid));
        zuuid_destroy (&uuid);
    } else if (strlen (request->id) > CF_CLIENT_ID_MAX) {
        cf_problems_add (self->problems, "client.id",
                         "request id '%.16s...' is longer than %d bytes",
                         request->id, CF_CLIENT_ID_MAX);
        return CF_EINVAL;
    }
    //  Packed once: every try sends exactly these bytes
    size_t size;
    uint8_t *bytes = cf_pb_pack (&request->base, &size);
    int rc = CF_ETIMEOUT;
    for (int attempt = 1; attempt <= self->tries; attempt++) {
        rc = s_try (self, bytes, size, request->id, reply_p);
        if (rc != CF_ETIMEOUT)
            break;
        //  The Lazy Pirate's reset: whatever the old connection holds
        //  (a stuck handshake, a reply in flight) dies with it
        s_disconnect (self);
        cf_log_debug ("client: no reply to id=%s from %s (try %d of %d)",
                      request->id, self->endpoint, attempt, self->tries);
    }
    free (bytes);
    if (rc == CF_ETIMEOUT)
        cf_problems_add (self->problems, "client.timeout",
                         "no reply from %s after %d tries of %d ms",
                         self->endpoint, self->tries, self->timeout_ms);
    return rc;
}

const cf_problems_t *
cf_client_problems (cf_client_t *self)
{
    assert (self);
    return self->problems;
}

const char *
cf_client_endpoint (cf_client_t *self)
{
    assert (self);
    return self->endpoint;
}
