/*  =========================================================================
    cf_client - requests to certflowd, answered once, however often sent

    A DEALER socket with CURVE talks to the daemon's client API: one frame
    up (a Request), one frame back (a Reply). The daemon may be slow,
    restarting or gone, so the client is a Lazy Pirate (zguide chapter 4):
    it waits timeout_ms for the reply; on timeout it closes the socket
    (dropping whatever the old connection still holds), opens a new one and
    sends the SAME bytes again, up to its number of tries. Every request
    carries an id; the daemon answers a repeated id from its stored reply,
    so a retried request is never applied twice, and the client drops any
    reply whose id is not the one it waits for (a late answer to an earlier
    request).
    =========================================================================
*/

#ifndef CF_CLIENT_H_INCLUDED
#define CF_CLIENT_H_INCLUDED

#include <stdbool.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"

//  Default client API endpoint of certflowd
#define CF_CLIENT_ENDPOINT "tcp://127.0.0.1:5580"

//  Default event feed endpoint of certflowd
#define CF_CLIENT_FEED "tcp://127.0.0.1:5582"

//  Longest request id the client makes or accepts, bytes
#define CF_CLIENT_ID_MAX 64

typedef struct _cf_client_t cf_client_t;

//  Creates a client of the daemon at endpoint ("tcp://127.0.0.1:5580").
//  cert_path is the principal's secret certificate file, server_cert_path
//  the daemon's public certificate; both are read now, so a wrong path is
//  reported here rather than as a silent timeout later. timeout_ms (at
//  least 1) is how long each try waits for its reply; retries is how many
//  tries a request gets in all (the zguide's REQUEST_RETRIES; at least 1).
//  The strings are copied.
//
//  Returns the client, or NULL with problems saying which file is missing
//  or is not a certificate (codes from cf_identity_client) or that the
//  endpoint is malformed (client.endpoint). problems may be NULL.
cf_client_t *cf_client_new (const char *endpoint, const char *cert_path,
                            const char *server_cert_path, int timeout_ms,
                            int retries, cf_problems_t *problems);

//  Destroys the client, closing its socket, and nulls *self_p. NULL-safe.
void cf_client_destroy (cf_client_t **self_p);

//  Sends request and waits for its reply, retrying as described above.
//
//  request: a heap tree (cf_pb_new) the caller keeps. When its id is empty
//  it is set to a fresh UUID (with cf_pb_set_string, so it is freed with
//  the request); a set id is used as it is (up to CF_CLIENT_ID_MAX bytes).
//  reply_p: gets the decoded reply (free with cf_pb_free) whatever its
//  status: a refusal is a reply too; NULL on error.
//
//  Returns 0 when a reply to this id came; CF_ETIMEOUT when none came in
//  all the tries; CF_EDECODE, CF_ELIMIT or CF_EINVAL when the daemon's
//  answer could not be decoded or checked (cf_client_problems says why);
//  CF_EINVAL also for an id over CF_CLIENT_ID_MAX; CF_ENOTFOUND when a
//  certificate file vanished before a reconnect; CF_EDENIED at once when
//  the daemon refused the CURVE handshake (the certificate is revoked or
//  was never issued, or --server-cert is not that daemon's; no retry can
//  help, so none is made); CF_EAGAIN when czmq's
//  interrupt flag (zsys_interrupted) was raised while waiting.
int CF_MUST_CHECK cf_client_request (cf_client_t *self, Cf__Request *request,
                                     Cf__Reply **reply_p);

//  Returns what went wrong in the last request (empty after a success),
//  borrowed until the next request.
const cf_problems_t *cf_client_problems (cf_client_t *self);

//  Returns the endpoint the client talks to (borrowed).
const char *cf_client_endpoint (cf_client_t *self);

#endif
