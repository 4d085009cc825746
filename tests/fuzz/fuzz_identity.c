/*  =========================================================================
    fuzz_identity - certificate metadata, as the daemon reads it

    A real CURVE connection over ipc:// in a temporary directory: zauth and
    a server socket as certflowd sets them up, and a client whose public
    certificate file is rewritten for every input. The input is the
    metadata section of that file (name, role, org, as ZPL); the daemon
    then identifies the sender of a message through cf_identity_principal,
    which reads the file again. zauth reads only what the last
    cf_identity_auth_reload admitted (certs/.zauth), never the input. A
   principal it makes goes into replies (whoami, every event's principal), so it
   must be valid on the wire.
    =========================================================================
*/

#include "fuzz_util.h"

#include <czmq.h>
#include <unistd.h>

#include "cf_identity.h"
#include "cf_pb.h"
#include "cf_wire.h"

typedef struct {
    char dir[64];             //  Temporary directory
    char certs[96];           //  The allow-list
    char cert_path[128];      //  The client's public certificate file
    char temporary[128];      //  Where it is written first
    zcert_t *client;          //  The client's keys
    zactor_t *auth;           //  zauth
    zsock_t *server;          //  The daemon's side
    zsock_t *dealer;          //  The client's side
    char endpoint[128];       //  Where the server listens
    char server_key[41];      //  The server's public key (Z85)
    cf_identity_t *identity;  //  The directory the daemon consults
} s_site_t;

static s_site_t *s_site;

static void
s_write_cert (s_site_t *self, const uint8_t *metadata, size_t size)
{
    FILE *file = fopen (self->temporary, "wb");
    if (!file)
        FUZZ_FAIL ("cannot write %s", self->temporary);
    fputs ("#   ZeroMQ CURVE Public Certificate\nmetadata\n", file);
    if (fwrite (metadata, 1, size, file) != size)
        FUZZ_FAIL ("cannot write %s", self->temporary);
    fprintf (file, "\ncurve\n    public-key = \"%s\"\n",
             zcert_public_txt (self->client));
    if (fclose (file) != 0 || rename (self->temporary, self->cert_path) != 0)
        FUZZ_FAIL ("cannot write %s", self->cert_path);
}

//  The metadata the site starts with, and goes back to
static const char *s_valid = "    name = \"yunxi\"\n    role = \"applicant\"\n"
                             "    org = \"ORG-A\"\n";

//  Waits up to timeout_ms for the client's message; returns its frame (the
//  caller destroys it) or NULL
static zframe_t *
s_hear (s_site_t *self, int timeout_ms)
{
    zsock_set_rcvtimeo (self->server, timeout_ms);
    zframe_t *route = zframe_recv (self->server);
    zframe_t *body = route ? zframe_recv (self->server) : NULL;
    zframe_destroy (&route);
    return body;
}

//  Connects a new client with the valid certificate in place and admitted
//  by zauth, and waits for its handshake
static void
s_connect (s_site_t *self)
{
    zsock_destroy (&self->dealer);
    s_write_cert (self, (const uint8_t *)s_valid, strlen (s_valid));
    if (cf_identity_auth_reload (self->auth, self->certs))
        FUZZ_FAIL ("zauth does not reload %s", self->certs);
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->dealer, 0);
    zcert_apply (self->client, self->dealer);
    zsock_set_curve_serverkey (self->dealer, self->server_key);
    if (zsock_connect (self->dealer, "%s", self->endpoint) != 0)
        FUZZ_FAIL ("cannot connect to %s", self->endpoint);
    if (zstr_send (self->dealer, "hello") != 0)
        FUZZ_FAIL ("the client cannot send");
    zframe_t *body = s_hear (self, 30000);
    if (!body)
        FUZZ_FAIL ("a client with a valid certificate got no handshake");
    zframe_destroy (&body);
}

//  Ends the sockets and zauth before czmq's own exit handler ends the
//  context under them; removes the directory
static void
s_site_destroy (void)
{
    s_site_t *self = s_site;
    if (!self)
        return;
    cf_identity_destroy (&self->identity);
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->server);
    zactor_destroy (&self->auth);
    unlink (self->cert_path);
    //  zauth's directory holds one file, named by the key's hex
    char path[160];
    const byte *key = zcert_public_key (self->client);
    int at = snprintf (path, sizeof path, "%s/.zauth/", self->certs);
    for (size_t index = 0; index < 32; index++)
        at +=
            snprintf (path + at, sizeof path - (size_t)at, "%02x", key[index]);
    snprintf (path + at, sizeof path - (size_t)at, ".cert");
    unlink (path);
    snprintf (path, sizeof path, "%s/.zauth", self->certs);
    rmdir (path);
    rmdir (self->certs);
    zcert_destroy (&self->client);
    snprintf (path, sizeof path, "%s/client.ipc", self->dir);
    unlink (path);
    rmdir (self->dir);
    free (self);
    s_site = NULL;
}

static s_site_t *
s_site_new (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    s_site_t *self = calloc (1, sizeof (s_site_t));
    snprintf (self->dir, sizeof self->dir, "/tmp/cf-fuzz-identity-XXXXXX");
    if (!mkdtemp (self->dir))
        FUZZ_FAIL ("cannot make %s", self->dir);
    snprintf (self->certs, sizeof self->certs, "%s/certs", self->dir);
    snprintf (self->cert_path, sizeof self->cert_path, "%s/client.cert",
              self->certs);
    snprintf (self->temporary, sizeof self->temporary, "%s/client.tmp",
              self->dir);
    snprintf (self->endpoint, sizeof self->endpoint, "ipc://%s/client.ipc",
              self->dir);
    if (mkdir (self->certs, 0700) != 0)
        FUZZ_FAIL ("cannot make %s", self->certs);
    self->client = zcert_new ();
    s_write_cert (self, (const uint8_t *)s_valid, strlen (s_valid));
    if (cf_identity_auth_start (self->certs, &self->auth))
        FUZZ_FAIL ("zauth does not start");
    zcert_t *server_cert = zcert_new ();
    snprintf (self->server_key, sizeof self->server_key, "%s",
              zcert_public_txt (server_cert));
    self->server = zsock_new (ZMQ_ROUTER);
    cf_identity_server (self->server, server_cert);
    zcert_destroy (&server_cert);
    if (zsock_bind (self->server, "%s", self->endpoint) != 0)
        FUZZ_FAIL ("cannot bind %s", self->endpoint);
    self->identity = cf_identity_new (self->certs);
    s_connect (self);
    return self;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_site) {
        s_site = s_site_new ();
        //  After zsys_init's handler, so it runs first
        atexit (s_site_destroy);
    }
    s_write_cert (s_site, data, size);
    if (zstr_send (s_site->dealer, "whoami") != 0)
        FUZZ_FAIL ("the client cannot send");
    zframe_t *body = s_hear (s_site, 2000);
    //  The machine is too busy to pass the message in time, or the
    //  connection was lost: a valid certificate and a new client, then the
    //  input once more, a few times at most
    for (int attempt = 0; !body && attempt < 3; attempt++) {
        s_connect (s_site);
        s_write_cert (s_site, data, size);
        if (zstr_send (s_site->dealer, "whoami") != 0)
            FUZZ_FAIL ("the client cannot send");
        body = s_hear (s_site, 30000);
    }
    if (!body)
        FUZZ_FAIL ("an open connection went silent three times");
    Cf__Principal *principal = NULL;
    int rc = cf_identity_principal (s_site->identity, body, &principal);
    FUZZ_CHECK (rc == 0 || rc == CF_EDENIED || rc == CF_EINVAL, NULL);
    FUZZ_CHECK ((rc == 0) == (principal != NULL), NULL);
    if (principal) {
        //  whoami: the principal as the client receives it
        Cf__Reply reply = CF__REPLY__INIT;
        reply.id = "whoami";
        reply.body_case = CF__REPLY__BODY_PRINCIPAL;
        reply.principal = principal;
        size_t packed_size = 0;
        uint8_t *packed = cf_pb_pack (&reply.base, &packed_size);
        void *decoded = NULL;
        cf_problems_t *problems = cf_problems_new ();
        rc = cf_wire_decode (&cf__reply__descriptor, packed, packed_size,
                             &decoded, problems);
        FUZZ_CHECK (rc == 0, problems);
        cf_problems_destroy (&problems);
        cf_pb_free (&decoded);
        free (packed);
        cf_pb_free (&principal);
    }
    zframe_destroy (&body);
    return 0;
}
