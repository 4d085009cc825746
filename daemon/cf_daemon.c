/*  =========================================================================
    cf_daemon - certflowd: the sockets and the loop around the engine
    =========================================================================
*/

#include "cf_daemon.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cf_engine.h"
#include "cf_file.h"
#include "cf_fsm.h"
#include "cf_identity.h"
#include "cf_log.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_seal.h"
#include "cf_store.h"
#include "cf_utf8.h"
#include "cf_wire.h"

//  Messages taken from one socket in one round: bounds a round's latency
#define S_DRAIN_MAX 256
//  Heartbeats a worker may miss before it is forgotten
#define S_LIVENESS 3

//  Set by the signal handlers; the only mutable globals
static volatile sig_atomic_t s_stop = 0;
static volatile sig_atomic_t s_reload = 0;

//  A connected worker
typedef struct {
    zframe_t *route;     //  Its routing id
    char *name;          //  Principal name from its certificate
    char *key;           //  Public key of its certificate
    char **stages;       //  Stages it serves; none: all
    size_t stage_count;  //  How many
    uint32_t capacity;   //  Jobs it takes at once
    uint32_t in_flight;  //  Offers not yet answered
    uint32_t offered;    //  Offers made in the current round
    bool idle;           //  No job ready for its stages this round
    int64_t heard_at;    //  Last message from it
} s_worker_t;

//  A connection a message came on, by its socket's descriptor
typedef struct {
    ino_t inode;   //  The socket's inode: a descriptor number is reused
    char key[41];  //  The key its handshake proved (Z85)
} s_peer_t;

static void
s_peer_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

struct _cf_daemon_t {
    cf_daemon_config_t config;  //  As given (strings borrowed)
    int lock_fd;                //  DATA/certflowd.lock, held while alive
    char *certs_dir;            //  DATA/certs
    cf_store_t *store;          //  DATA/store
    cf_scheme_t *scheme;        //  Governs new cases
    char *scheme_text;          //  Sent to workers
    cf_engine_t *engine;        //  The transactional core
    zactor_t *auth;             //  zauth: the CURVE allow-list
    cf_identity_t *identity;    //  Live principal directory
    zcert_t *server_cert;       //  Daemon keys
    cf_seal_key_t *seal_key;    //  Signs certificate documents
    zsock_t *clients;           //  Client API ROUTER
    zsock_t *workers;           //  Worker API ROUTER
    zsock_t *feed;              //  Event feed PUB
    zpoller_t *poller;          //  Over clients and workers
    zhashx_t *registry;         //  Route (hex) -> s_worker_t
    zhashx_t *peers;            //  Descriptor (decimal) -> s_peer_t
    int64_t beat_at;            //  Next heartbeat
    int64_t published_at;       //  Last feed message
};

static void
s_on_signal (int signal_number)
{
    if (signal_number == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
}

void
cf_daemon_signals (void)
{
    zsys_handler_set (NULL);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGHUP, &action, NULL);
}

static void
s_worker_destroy (void **item_p)
{
    s_worker_t *worker = *item_p;
    if (worker) {
        zframe_destroy (&worker->route);
        free (worker->name);
        free (worker->key);
        for (size_t index = 0; index < worker->stage_count; index++)
            free (worker->stages[index]);
        free (worker->stages);
        free (worker);
        *item_p = NULL;
    }
}

//  ------------------------------------------------------------------------
//  Set-up

static char *
s_path (const char *dir, const char *name)
{
    char *path = NULL;
    if (asprintf (&path, "%s/%s", dir, name) < 0)
        cf_mem_fail ();
    return path;
}

//  One daemon per data directory: a second one would open the same store
//  and take over the sockets. The lock goes with the process, however it
//  ends.
static int
s_lock (cf_daemon_t *self, cf_problems_t *problems)
{
    char *path = s_path (self->config.data_dir, "certflowd.lock");
    self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int rc = 0;
    if (self->lock_fd < 0) {
        cf_problems_add (problems, "daemon.lock",
                         "cannot open %s: %s; is the data directory right "
                         "(run certflowd init first)?",
                         path, strerror (errno));
        rc = CF_EIO;
    } else if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t size = pread (self->lock_fd, pid, sizeof pid - 1, 0);
        pid[size > 0 ? size : 0] = 0;
        pid[strcspn (pid, "\n")] = 0;
        cf_problems_add (problems, "daemon.running",
                         "another certflowd (pid %s) is running on %s; stop "
                         "it first",
                         *pid ? pid : "?", self->config.data_dir);
        rc = CF_EAGAIN;
    } else if (ftruncate (self->lock_fd, 0) != 0 ||
               dprintf (self->lock_fd, "%d\n", (int)getpid ()) < 0)
        cf_log_warn ("cannot write the pid into %s", path);
    free (path);
    return rc;
}

static zsock_t *
s_server (cf_daemon_t *self, int type, const char *endpoint,
          cf_problems_t *problems)
{
    zsock_t *socket = zsock_new (type);
    if (!socket)
        cf_mem_fail ();
    cf_identity_server (socket, self->server_cert);
    //  Frames up to the socket's limit are read and a too large one gets a
    //  clear reply from the decoder; past it libzmq drops the connection
    zsock_set_maxmsgsize (socket, CF_DAEMON_MAX_FRAME);
    zsock_set_linger (socket, 2000);
    if (type == ZMQ_ROUTER)
        zsock_set_router_mandatory (socket, 1);
    if (zsock_bind (socket, "%s", endpoint) < 0) {
        cf_problems_add (problems, "daemon.bind",
                         "cannot bind %s: %s; is another certflowd running, "
                         "or is the endpoint wrong?",
                         endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&socket);
    }
    return socket;
}

static int
s_load_scheme (cf_daemon_t *self, cf_problems_t *problems)
{
    const char *path = self->config.scheme_path;
    if (!path || !*path) {
        self->scheme_text = strdup (cf_scheme_default_text ());
        return cf_scheme_default (&self->scheme);
    }
    //  Read once: the text workers get is the text the daemon checked
    size_t size = 0;
    int error =
        cf_file_read (path, CF_SCHEME_MAX_BYTES, &self->scheme_text, &size);
    if (error) {
        cf_problems_add (problems, "daemon.scheme", "cannot read scheme %s: %s",
                         path,
                         error == EFBIG ? "larger than a scheme file may be"
                                        : strerror (error));
        return error == EFBIG ? CF_ELIMIT : CF_EIO;
    }
    return cf_scheme_parse (self->scheme_text, size, path, &self->scheme,
                            problems);
}

//  The register's URL must be one a phone opens; the signing key is made
//  when a data directory initialized before there were documents lacks it
static int
s_load_seal_key (cf_daemon_t *self, cf_problems_t *problems)
{
    const char *url = self->config.register_url;
    if (!url)
        url = self->config.register_url = CF_SEAL_REGISTER_DEFAULT;
    if (!cf_seal_url_valid (url)) {
        cf_problems_add (problems, "daemon.register_url",
                         "register-url '%.*s' is not an http:// or https:// "
                         "URL without spaces, '#' or '?'; set it to the "
                         "public register's address",
                         CF_UTF8_CUT (url ? url : "", CF_UTF8_QUOTE_MAX));
        return CF_EINVAL;
    }
    char *keys = s_path (self->config.data_dir, "keys");
    bool created = false;
    int rc = cf_seal_key_ensure (keys, &self->seal_key, &created, problems);
    if (rc == 0 && created)
        cf_log_notice ("made the certificate signing key %s/%s (key id %s)",
                       keys, CF_SEAL_SECRET_FILE,
                       cf_seal_key_id (self->seal_key));
    free (keys);
    return rc;
}

cf_daemon_t *
cf_daemon_new (const cf_daemon_config_t *config, cf_problems_t *problems)
{
    cf_daemon_t *self = calloc (1, sizeof (cf_daemon_t));
    if (!self)
        cf_mem_fail ();
    self->config = *config;
    self->lock_fd = -1;
    self->certs_dir = s_path (config->data_dir, "certs");
    self->registry = zhashx_new ();
    zhashx_set_destructor (self->registry, s_worker_destroy);
    self->peers = zhashx_new ();
    zhashx_set_destructor (self->peers, s_peer_destroy);

    int rc = cf_identity_load_server (config->data_dir, &self->server_cert,
                                      problems);
    if (rc == 0)
        rc = s_lock (self, problems);
    if (rc == 0)
        rc = s_load_seal_key (self, problems);
    if (rc == 0)
        rc = s_load_scheme (self, problems);
    char *store_dir = s_path (config->data_dir, "store");
    if (rc == 0) {
        rc = cf_store_open (store_dir, config->map_size, &self->store);
        if (rc)
            cf_problems_add (problems, "daemon.store", "cannot open %s: %s",
                             store_dir, cf_strerror (rc));
    }
    free (store_dir);
    if (rc == 0) {
        cf_engine_config_t engine_config = {
            .lease_ms = config->lease_ms,
            .max_attempts = config->max_attempts,
            .backoff_ms = config->backoff_ms,
            .certs_dir = self->certs_dir,
            .page_max = 100,
            .seal_key = self->seal_key,
            .register_url = config->register_url,
            .reply_retention_ms = config->reply_retention_ms,
        };
        self->engine = cf_engine_new (self->store, self->scheme,
                                      self->scheme_text, &engine_config);
        if (!self->engine) {
            cf_problems_add (problems, "daemon.engine",
                             "cannot start the engine on the store: it cannot "
                             "be read, or it holds scheme %s with other "
                             "content (see the log; a changed scheme needs a "
                             "new version)",
                             self->scheme->version);
            rc = CF_ESTORE;
        }
    }
    //  zauth first: a CURVE server with no handler would let anyone in
    if (rc == 0)
        rc = cf_identity_auth_start (self->certs_dir, &self->auth);
    if (rc == 0) {
        self->identity = cf_identity_new (self->certs_dir);
        self->clients =
            s_server (self, ZMQ_ROUTER, config->client_endpoint, problems);
        self->workers =
            s_server (self, ZMQ_ROUTER, config->worker_endpoint, problems);
        self->feed = s_server (self, ZMQ_PUB, config->feed_endpoint, problems);
        if (!self->clients || !self->workers || !self->feed)
            rc = CF_EIO;
    }
    if (rc) {
        cf_daemon_destroy (&self);
        return NULL;
    }
    zsock_set_sndhwm (self->feed, 100000);
    self->poller = zpoller_new (self->clients, self->workers, NULL);
    cf_log_notice ("certflowd ready: clients %s, workers %s, feed %s, scheme "
                   "%s, last event %" PRIu64,
                   config->client_endpoint, config->worker_endpoint,
                   config->feed_endpoint, self->scheme->version,
                   cf_engine_last_seq (self->engine));
    return self;
}

void
cf_daemon_destroy (cf_daemon_t **self_p)
{
    assert (self_p);
    cf_daemon_t *self = *self_p;
    if (self) {
        zpoller_destroy (&self->poller);
        zsock_destroy (&self->clients);
        zsock_destroy (&self->workers);
        zsock_destroy (&self->feed);
        zactor_destroy (&self->auth);
        cf_identity_destroy (&self->identity);
        zhashx_destroy (&self->registry);
        zhashx_destroy (&self->peers);
        cf_engine_destroy (&self->engine);
        cf_store_destroy (&self->store);
        cf_scheme_destroy (&self->scheme);
        free (self->scheme_text);
        zcert_destroy (&self->server_cert);
        cf_seal_key_destroy (&self->seal_key);
        free (self->certs_dir);
        if (self->lock_fd >= 0)
            close (self->lock_fd);
        free (self);
        *self_p = NULL;
    }
}

//  ------------------------------------------------------------------------
//  Taking messages in

//  One message from a ROUTER as it came: its route and body (the first
//  two frames), whether it was exactly those two, and, from its metadata,
//  the key its connection's CURVE handshake proved and that connection's
//  socket
typedef struct {
    zframe_t *route;   //  NULL when missing
    zframe_t *body;    //  NULL when missing
    bool well_formed;  //  Exactly [route][body]
    char key[41];      //  The User-Id zauth set; "" without
    int fd;            //  The connection's socket, or -1
} s_message_t;

//  Receives one message from a ROUTER if there is one. libzmq tells a
//  message's socket only through zmq_msg_get (ZMQ_SRCFD), so the frames
//  are read with libzmq itself and copied.
static bool
s_receive (zsock_t *socket, s_message_t *message)
{
    *message = (s_message_t){.fd = -1};
    void *handle = zsock_resolve (socket);
    size_t parts = 0;
    bool more = true;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        //  The parts of a message arrive together: only the first can wait
        if (zmq_msg_recv (&part, handle, parts ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&part);
            break;
        }
        more = zmq_msg_more (&part);
        if (message->fd < 0)
            message->fd = zmq_msg_get (&part, ZMQ_SRCFD);
        const char *key = zmq_msg_gets (&part, "User-Id");
        if (!*message->key && key)
            snprintf (message->key, sizeof message->key, "%s", key);
        if (parts < 2) {
            zframe_t *frame =
                zframe_new (zmq_msg_data (&part), zmq_msg_size (&part));
            if (!frame)
                cf_mem_fail ();
            *(parts ? &message->body : &message->route) = frame;
        }
        parts++;
        zmq_msg_close (&part);
    }
    message->well_formed = parts == 2;
    return parts > 0;
}

static void
s_message_end (s_message_t *message)
{
    zframe_destroy (&message->route);
    zframe_destroy (&message->body);
}

//  ------------------------------------------------------------------------
//  Connections of revoked keys
//
//  A ROUTER cannot drop one peer, but the descriptor of the socket a
//  message came on is known: shutdown(2) on it ends that connection as a
//  network failure would; libzmq's I/O thread sees it end, closes it, and
//  the peer's reconnection meets zauth, which refuses a revoked key. The
//  daemon remembers, for every descriptor it heard from, the key and the
//  socket's inode (a closed descriptor's number comes back for another
//  connection: a connection is closed only while its inode is the one
//  heard). A connection that never sent a message is not known, and is
//  closed by its first message.

static void
s_peer_heard (cf_daemon_t *self, const s_message_t *message)
{
    struct stat status;
    if (message->fd < 0 || !*message->key ||
        fstat (message->fd, &status) != 0 || !S_ISSOCK (status.st_mode))
        return;
    char name[16];
    snprintf (name, sizeof name, "%d", message->fd);
    s_peer_t *peer = zhashx_lookup (self->peers, name);
    if (!peer) {
        //  The table has one entry per descriptor number at most
        peer = calloc (1, sizeof (s_peer_t));
        if (!peer)
            cf_mem_fail ();
        zhashx_insert (self->peers, name, peer);
    }
    peer->inode = status.st_ino;
    snprintf (peer->key, sizeof peer->key, "%s", message->key);
}

//  Ends the connection on descriptor fd if it is still the socket inode
//  names (any socket when inode is 0)
static void
s_peer_close (cf_daemon_t *self, int fd, ino_t inode, const char *key)
{
    struct stat status;
    if (fd >= 0 && fstat (fd, &status) == 0 && S_ISSOCK (status.st_mode) &&
        (inode == 0 || status.st_ino == inode) && shutdown (fd, SHUT_RDWR) == 0)
        cf_log_notice ("connection of key %s closed: the key is revoked or "
                       "unknown",
                       key);
    char name[16];
    snprintf (name, sizeof name, "%d", fd);
    zhashx_delete (self->peers, name);
}

//  A message whose key the directory does not know (revoked since its
//  connection was made): nothing is answered, and the connection is closed
static void
s_refuse_connection (cf_daemon_t *self, const s_message_t *message)
{
    s_peer_close (self, message->fd, 0, *message->key ? message->key : "-");
}

//  After a revocation or a reload: every connection heard from whose key
//  is no longer in the directory is closed, and a worker of such a key is
//  forgotten (it is offered nothing more; its leases run out)
static void
s_close_revoked (cf_daemon_t *self)
{
    zlistx_t *gone = zlistx_new ();
    zlistx_set_destructor (gone, (zlistx_destructor_fn *)zstr_free);
    for (s_peer_t *peer = zhashx_first (self->peers); peer;
         peer = zhashx_next (self->peers)) {
        Cf__Principal *who = NULL;
        if (cf_identity_principal_of (self->identity, peer->key, &who) ==
            CF_EDENIED)
            zlistx_add_end (gone, strdup (zhashx_cursor (self->peers)));
        cf_pb_free (&who);
    }
    for (char *name = zlistx_first (gone); name; name = zlistx_next (gone)) {
        s_peer_t *peer = zhashx_lookup (self->peers, name);
        s_peer_close (self, atoi (name), peer->inode, peer->key);
    }
    zlistx_purge (gone);
    for (s_worker_t *worker = zhashx_first (self->registry); worker;
         worker = zhashx_next (self->registry)) {
        Cf__Principal *who = NULL;
        if (cf_identity_principal_of (self->identity, worker->key, &who) ==
            CF_EDENIED) {
            cf_log_notice ("worker %s forgotten: its key is revoked",
                           worker->name);
            zlistx_add_end (gone, strdup (zhashx_cursor (self->registry)));
        }
        cf_pb_free (&who);
    }
    for (char *name = zlistx_first (gone); name; name = zlistx_next (gone))
        zhashx_delete (self->registry, name);
    zlistx_destroy (&gone);
}

//  A client message with the wrong framing gets an error reply
static void
s_reply_framing (cf_daemon_t *self, zframe_t *route)
{
    Cf__Reply reply = CF__REPLY__INIT;
    reply.status = CF__STATUS__STATUS_BAD_REQUEST;
    reply.error = (char *)cf_errname (CF_EDECODE);
    reply.message = "a request is exactly one frame holding one Request "
                    "message";
    size_t size;
    uint8_t *data = cf_pb_pack (&reply.base, &size);
    zmsg_t *message = zmsg_new ();
    zmsg_addmem (message, zframe_data (route), zframe_size (route));
    zmsg_addmem (message, data, size);
    free (data);
    if (zmsg_send (&message, self->clients) != 0)
        zmsg_destroy (&message);
}

//  A PUB socket cannot drop one subscriber, and a subscription keeps the
//  session its handshake opened: after a revocation the feed is closed and
//  bound again at the same endpoint, so every subscriber goes through
//  zauth again. The others reconnect at once and catch up from the
//  sequence numbers, as after any gap; the revoked key is refused.
static void
s_feed_reopen (cf_daemon_t *self)
{
    char *endpoint = zsock_last_endpoint (self->feed);
    if (!endpoint)
        cf_mem_fail ();
    zsock_destroy (&self->feed);
    cf_problems_t *problems = cf_problems_new ();
    self->feed = s_server (self, ZMQ_PUB, endpoint, problems);
    if (self->feed) {
        zsock_set_sndhwm (self->feed, 100000);
        cf_log_notice ("feed %s reopened after a revocation", endpoint);
    } else {
        char *why = cf_problems_join (problems);
        cf_log_error ("feed %s not reopened: %s; certflowd stops", endpoint,
                      why);
        free (why);
        s_stop = 1;
    }
    cf_problems_destroy (&problems);
    free (endpoint);
}

static void
s_take_clients (cf_daemon_t *self)
{
    for (int count = 0; count < S_DRAIN_MAX; count++) {
        if (!(zsock_events (self->clients) & ZMQ_POLLIN))
            return;
        s_message_t message;
        if (!s_receive (self->clients, &message))
            return;
        //  Who sent it first: a key revoked or unknown hears nothing, its
        //  framing right or wrong
        Cf__Principal *who = NULL;
        int rc = cf_identity_principal_of (self->identity, message.key, &who);
        if (rc == CF_EDENIED) {
            cf_log_warn ("client message dropped: %s key",
                         *message.key ? "a revoked or unknown" : "no");
            s_refuse_connection (self, &message);
        } else if (rc)
            cf_log_warn ("client message dropped: %s", cf_strerror (rc));
        else {
            s_peer_heard (self, &message);
            if (!message.well_formed)
                s_reply_framing (self, message.route);
            else
                cf_engine_request (self->engine, message.route, who,
                                   zframe_data (message.body),
                                   zframe_size (message.body));
        }
        cf_pb_free (&who);
        s_message_end (&message);
    }
}

static s_worker_t *
s_worker_find (cf_daemon_t *self, zframe_t *route)
{
    char *key = zframe_strhex (route);
    s_worker_t *worker = zhashx_lookup (self->registry, key);
    free (key);
    return worker;
}

static void
s_worker_ready (cf_daemon_t *self, zframe_t *route, const Cf__Principal *who,
                const Cf__WorkerReady *ready, int64_t now)
{
    //  A capacity without bound would take every ready job at once
    if (ready->capacity > CF_WIRE_MAX_CAPACITY) {
        cf_log_warn ("worker %s refused: capacity %u is above %d", who->name,
                     ready->capacity, CF_WIRE_MAX_CAPACITY);
        return;
    }
    s_worker_t *worker = calloc (1, sizeof (s_worker_t));
    if (!worker)
        cf_mem_fail ();
    worker->route = zframe_dup (route);
    worker->name = strdup (who->name);
    worker->key = strdup (who->key);
    worker->capacity = ready->capacity ? ready->capacity : 1;
    worker->heard_at = now;
    worker->stage_count = ready->n_stages;
    worker->stages = calloc (ready->n_stages + 1, sizeof (char *));
    for (size_t index = 0; index < ready->n_stages; index++)
        worker->stages[index] = strdup (ready->stages[index]);
    char *key = zframe_strhex (route);
    zhashx_update (self->registry, key, worker);
    free (key);
    cf_log_info ("worker %s ready: %zu stages (0 = all), capacity %u",
                 worker->name, worker->stage_count, worker->capacity);
}

static void
s_take_workers (cf_daemon_t *self, int64_t now)
{
    for (int count = 0; count < S_DRAIN_MAX; count++) {
        if (!(zsock_events (self->workers) & ZMQ_POLLIN))
            return;
        s_message_t received;
        if (!s_receive (self->workers, &received))
            return;
        zframe_t *route = received.route, *body = received.body;
        Cf__Principal *who = NULL;
        Cf__WorkerMessage *message = NULL;
        int rc = cf_identity_principal_of (self->identity, received.key, &who);
        if (rc == CF_EDENIED) {
            cf_log_warn ("worker message dropped: a revoked or unknown key");
            s_refuse_connection (self, &received);
            goto next;
        }
        if (rc == 0)
            s_peer_heard (self, &received);
        if (rc != 0 || !received.well_formed ||
            who->role != CF__ROLE__ROLE_WORKER ||
            cf_wire_decode (&cf__worker_message__descriptor, zframe_data (body),
                            zframe_size (body), (void **)&message, NULL) != 0) {
            cf_log_warn ("worker message dropped: not a worker, or not a "
                         "valid WorkerMessage");
            goto next;
        }
        s_worker_t *worker = s_worker_find (self, route);
        if (worker)
            worker->heard_at = now;
        switch (message->body_case) {
            case CF__WORKER_MESSAGE__BODY_READY:
                s_worker_ready (self, route, who, message->ready, now);
                break;
            case CF__WORKER_MESSAGE__BODY_RESULT:
                if (worker && worker->in_flight > 0)
                    worker->in_flight--;
                cf_engine_result (self->engine, route, who, message->result);
                break;
            case CF__WORKER_MESSAGE__BODY_DISCONNECT:
                if (worker) {
                    cf_log_info ("worker %s disconnected", worker->name);
                    char *key = zframe_strhex (route);
                    zhashx_delete (self->registry, key);
                    free (key);
                }
                break;
            default:
                break;
        }
    next:
        cf_pb_free (&message);
        cf_pb_free (&who);
        s_message_end (&received);
    }
}

//  Leases ready jobs to workers with room for them, one job at a time to
//  the worker with the fewest offers open (the first of equals), so that
//  workers of one stage share the work instead of the first taking all it
//  has room for
static void
s_dispatch (cf_daemon_t *self)
{
    for (s_worker_t *worker = zhashx_first (self->registry); worker;
         worker = zhashx_next (self->registry)) {
        worker->offered = 0;
        worker->idle = false;
    }
    while (cf_engine_ready (self->engine) > 0) {
        s_worker_t *least = NULL;
        for (s_worker_t *worker = zhashx_first (self->registry); worker;
             worker = zhashx_next (self->registry))
            if (!worker->idle && worker->in_flight < worker->capacity &&
                (!least || worker->in_flight < least->in_flight))
                least = worker;
        if (!least)
            break;
        if (cf_engine_lease (self->engine, least->route, least->name,
                             least->key, least->stages,
                             least->stage_count) == 0) {
            least->in_flight++;
            least->offered++;
        } else
            least->idle = true;  //  Nothing ready for its stages
    }
}

//  ------------------------------------------------------------------------
//  Sending out

static void
s_send (zsock_t *socket, zframe_t *route, const uint8_t *data, size_t size)
{
    //  A peer that left gets nothing; its retry finds the stored reply
    void *handle = zsock_resolve (socket);
    if (zmq_send (handle, zframe_data (route), zframe_size (route),
                  ZMQ_SNDMORE) < 0 ||
        zmq_send (handle, data, size, 0) < 0)
        cf_log_debug ("reply to a departed peer dropped: %s",
                      zmq_strerror (zmq_errno ()));
}

//  Rings the feed's doorbell: topic ("seq" or "hb") and the latest
//  sequence number. Any principal may subscribe and PUB cannot choose its
//  readers, so the feed tells no more than ping tells everyone; each
//  subscriber reads the events it may see through the client API.
static void
s_publish (cf_daemon_t *self, const char *topic, int64_t now)
{
    Cf__FeedMessage feed = CF__FEED_MESSAGE__INIT;
    if (strcmp (topic, "hb") == 0) {
        feed.body_case = CF__FEED_MESSAGE__BODY_HEARTBEAT;
        feed.heartbeat = cf_engine_last_seq (self->engine);
    } else {
        feed.body_case = CF__FEED_MESSAGE__BODY_COMMITTED;
        feed.committed = cf_engine_last_seq (self->engine);
    }
    size_t size;
    uint8_t *data = cf_pb_pack (&feed.base, &size);
    zmsg_t *message = zmsg_new ();
    zmsg_addstr (message, topic);
    zmsg_addmem (message, data, size);
    free (data);
    if (zmsg_send (&message, self->feed) != 0)
        zmsg_destroy (&message);
    self->published_at = now;
}

static void
s_send_outbox (cf_daemon_t *self, int64_t now)
{
    size_t count = cf_engine_outbox_size (self->engine);
    for (size_t index = 0; index < count; index++) {
        zframe_t *route;
        const uint8_t *data;
        size_t size;
        cf_outbox_kind_t kind =
            cf_engine_outbox_item (self->engine, index, &route, &data, &size);
        s_send (kind == CF_OUTBOX_CLIENT ? self->clients : self->workers, route,
                data, size);
    }
    for (size_t index = 0; index < cf_engine_event_count (self->engine);
         index++) {
        const Cf__Event *event = cf_engine_event (self->engine, index);
        cf_log_info ("seq=%" PRIu64 " case=%s from=%s event=%s to=%s "
                     "principal=%s role=%s%s%s",
                     event->seq, event->case_id,
                     cf_fsm_state_name ((cf_state_t)event->from), event->event,
                     cf_fsm_state_name ((cf_state_t)event->to),
                     event->principal->name,
                     cf_fsm_role_name ((cf_role_t)event->principal->role),
                     *event->refused ? " refused=" : "", event->refused);
    }
    if (cf_engine_event_count (self->engine) > 0)
        s_publish (self, "seq", now);
}

static void
s_heartbeat (cf_daemon_t *self, int64_t now)
{
    if (now < self->beat_at)
        return;
    self->beat_at = now + self->config.heartbeat_ms;
    Cf__DaemonMessage beat = CF__DAEMON_MESSAGE__INIT;
    beat.body_case = CF__DAEMON_MESSAGE__BODY_HEARTBEAT;
    beat.heartbeat = true;
    size_t size;
    uint8_t *data = cf_pb_pack (&beat.base, &size);
    zlistx_t *silent = zlistx_new ();
    zlistx_set_destructor (silent, (zlistx_destructor_fn *)zstr_free);
    for (s_worker_t *worker = zhashx_first (self->registry); worker;
         worker = zhashx_next (self->registry)) {
        if (now - worker->heard_at > S_LIVENESS * self->config.heartbeat_ms) {
            cf_log_warn ("worker %s silent for %" PRId64 " ms: forgotten "
                         "(its leases run out and the jobs go to others)",
                         worker->name, now - worker->heard_at);
            zlistx_add_end (silent, strdup (zhashx_cursor (self->registry)));
        } else
            s_send (self->workers, worker->route, data, size);
    }
    for (char *key = zlistx_first (silent); key; key = zlistx_next (silent))
        zhashx_delete (self->registry, key);
    zlistx_destroy (&silent);
    free (data);
    if (now - self->published_at >= self->config.heartbeat_ms)
        s_publish (self, "hb", now);
}

//  ------------------------------------------------------------------------
//  The loop

//  The daemon's idea of now: the wall clock, shifted by the drill offset
static int64_t
s_now (cf_daemon_t *self)
{
    return zclock_time () + self->config.clock_offset_ms;
}

//  SIGHUP: certificates placed in or removed from DATA/certs by hand count
//  from now on (zauth and the directory both read it again), then the rest
static void
s_reload_now (cf_daemon_t *self)
{
    s_reload = 0;
    sd_notify (0, "RELOADING=1");
    if (cf_identity_auth_reload (self->auth, self->certs_dir) != 0)
        cf_log_error ("zauth did not reload %s", self->certs_dir);
    cf_identity_destroy (&self->identity);
    self->identity = cf_identity_new (self->certs_dir);
    s_close_revoked (self);
    //  After the log level, so the line shows at the new one
    if (self->config.reload)
        self->config.reload (self->config.reload_argument);
    cf_log_notice ("reloaded: certificates of %s", self->certs_dir);
    sd_notify (0, "READY=1");
}

int
cf_daemon_run (cf_daemon_t *self)
{
    sd_notifyf (0, "READY=1\nSTATUS=serving clients on %s\nMAINPID=%d",
                self->config.client_endpoint, (int)getpid ());
    while (!s_stop) {
        int64_t now = s_now (self);
        int64_t wake = cf_engine_next_due (self->engine);
        if (wake > self->beat_at)
            wake = self->beat_at;
        int64_t timeout = wake > now ? wake - now : 0;
        zpoller_wait (self->poller, (int)timeout);
        if (s_stop)
            break;
        if (s_reload)
            s_reload_now (self);
        now = s_now (self);
        cf_engine_begin (self->engine, now);
        s_take_clients (self);
        s_take_workers (self, now);
        cf_engine_tick (self->engine);
        s_dispatch (self);
        if (cf_engine_commit (self->engine) != 0) {
            //  Nothing of the round is on disk: its offers were dropped
            for (s_worker_t *worker = zhashx_first (self->registry); worker;
                 worker = zhashx_next (self->registry))
                worker->in_flight -= worker->offered;
        }
        //  zauth re-reads the allow-list now, not when it next notices
        if (cf_engine_identities_changed (self->engine) &&
            cf_identity_auth_reload (self->auth, self->certs_dir) != 0)
            cf_log_error ("zauth did not reload %s", self->certs_dir);
        s_send_outbox (self, now);
        s_heartbeat (self, now);
        if (cf_engine_identities_revoked (self->engine)) {
            s_close_revoked (self);
            s_feed_reopen (self);
        }
    }
    sd_notify (0, "STOPPING=1");
    cf_log_notice ("certflowd stopping: last event %" PRIu64,
                   cf_engine_last_seq (self->engine));
    return 0;
}
