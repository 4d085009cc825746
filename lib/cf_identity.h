/*  =========================================================================
    cf_identity - who is speaking: CurveZMQ certificates and zauth

    Every principal (consultancy user, staff member, worker, monitor, admin)
    holds a czmq certificate whose metadata names it: "name" (staff id,
    worker or user name), "role" (a cf_fsm role name) and "org" (for
    applicants). The daemon keeps the public halves in DATA/certs, which is
    both the zauth CURVE allow-list and the directory it looks principals up
    in on every message, so a removed certificate is refused at once.

    Data directory layout:
        DATA/keys/daemon.cert         daemon public certificate (give to peers)
        DATA/keys/daemon.cert_secret  daemon secret certificate
        DATA/certs/                   public certificates of all principals
        DATA/admin.cert               first admin's secret certificate (init)
    =========================================================================
*/

#ifndef CF_IDENTITY_H_INCLUDED
#define CF_IDENTITY_H_INCLUDED

#include <czmq.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"

//  ZAP domain of every certflow server socket
#define CF_IDENTITY_DOMAIN "certflow"

//  Creates the daemon keys, the certs directory and the first admin
//  certificate (name "admin", role admin) under data_dir, creating data_dir
//  (and its missing parents) if needed. New directories are 0700, every file
//  0600. Returns 0; CF_EEXIST when data_dir already holds daemon keys or an
//  admin certificate (nothing is changed; problems name each file); CF_EIO
//  when a file cannot be written (problems name the path and the reason;
//  the files this call made are removed again).
//  Note: changes the process umask for the duration of the call.
int CF_MUST_CHECK cf_identity_init (const char *data_dir,
                                    cf_problems_t *problems);

//  Issues a certificate for a principal: a new key pair with metadata name,
//  role (cf_fsm role name) and org (may be NULL or empty except for role
//  applicant, which needs it), saves the public half in certs_dir as
//  "<role>-<name>.cert" and returns the whole certificate in *cert_p (caller
//  destroys it; save it with zcert_save_secret, or get its text with
//  cf_identity_secret_text). The file appears complete or not at all.
//  Returns 0, CF_EINVAL (bad name or org: empty, over 64 bytes, or characters
//  outside letters, digits, '-', '_', '.', '@'; unknown role or "system";
//  applicant without org), CF_EEXIST (that role and name already have a
//  certificate: revoke it first) or CF_EIO. *cert_p is NULL on error.
int CF_MUST_CHECK cf_identity_issue (const char *certs_dir, const char *name,
                                     const char *role, const char *org,
                                     zcert_t **cert_p, cf_problems_t *problems);

//  The same, for request: a token (see identity issue's names) that names
//  the request asking for it, kept in the certificate's metadata as
//  "request". When the file already exists and was written for the same
//  request (an issue whose round never committed: its secret half was
//  never given out), it is replaced by the new key pair instead of
//  CF_EEXIST, so a retry of the request issues it exactly once.
int CF_MUST_CHECK cf_identity_issue_for (const char *certs_dir,
                                         const char *name, const char *role,
                                         const char *org, const char *request,
                                         zcert_t **cert_p,
                                         cf_problems_t *problems);

//  Returns the text of a secret certificate file for cert (as
//  zcert_save_secret would write it, its "Generated on" time being now),
//  in a buffer the caller frees.
char *cf_identity_secret_text (zcert_t *cert);

//  Removes every certificate of public key (Z85) from certs_dir and its
//  subdirectories (all that zauth reads). A cf_identity_t refuses the key
//  from the next message on; call cf_identity_auth_reload so zauth refuses
//  new handshakes at once. Returns 0, CF_ENOTFOUND when no certificate has
//  that key, or CF_EIO.
int CF_MUST_CHECK cf_identity_revoke (const char *certs_dir,
                                      const char *public_key,
                                      cf_problems_t *problems);

//  Starts zauth for CURVE with certs_dir as the allow-list, and returns the
//  actor in *auth_p (caller destroys it with zactor_destroy). Must be called
//  before any server socket binds. Returns 0 or CF_EIO (certs_dir is not a
//  directory, or the actor did not start; logged).
//  Note: one zauth per process at a time (it binds the ZAP endpoint).
int CF_MUST_CHECK cf_identity_auth_start (const char *certs_dir,
                                          zactor_t **auth_p);

//  Makes zauth admit the keys of the certificates in certs_dir now, and
//  only those: it writes them to certs_dir/.zauth, the directory zauth
//  reads (czmq's certificate loader leaks on a file that is not ZPL, so
//  zauth never reads certs_dir itself; a file that is not a certificate is
//  logged by name and admits nobody). A certificate added or removed by
//  hand counts from the next call: call this after cf_identity_issue and
//  cf_identity_revoke, and on reload. Returns 0 or CF_EIO (logged).
int CF_MUST_CHECK cf_identity_auth_reload (zactor_t *auth,
                                           const char *certs_dir);

//  Makes socket a CURVE server with the daemon certificate, the certflow
//  ZAP domain and ZMQ_ZAP_ENFORCE_DOMAIN, so a missing handler denies.
//  Call before bind. Aborts (logged) if libzmq refuses the enforce option:
//  a server that would let anyone in must not start.
void cf_identity_server (zsock_t *socket, zcert_t *server_cert);

//  Loads the daemon's secret certificate from data_dir/keys. Returns 0,
//  CF_ENOTFOUND (not initialized: run certflowd init) or CF_EIO.
int CF_MUST_CHECK cf_identity_load_server (const char *data_dir,
                                           zcert_t **cert_p,
                                           cf_problems_t *problems);

//  Makes socket a CURVE client: loads the principal's secret certificate
//  from cert_path and the server's public certificate from server_cert_path.
//  Call before connect. Returns 0, or CF_ENOTFOUND / CF_EINVAL / CF_EIO
//  naming the file that is missing, is not a certificate (or, for cert_path,
//  holds no matching secret key), or cannot be read.
int CF_MUST_CHECK cf_identity_client (zsock_t *socket, const char *cert_path,
                                      const char *server_cert_path,
                                      cf_problems_t *problems);

//  A directory of principals the daemon consults on every message.
typedef struct _cf_identity_t cf_identity_t;

//  Opens the live view of certs_dir (reloaded when the directory changes).
//  Every lookup checks that the certificate's file is still there and
//  unchanged, so a revoke takes effect on the next message.
cf_identity_t *cf_identity_new (const char *certs_dir);

//  Destroys it and nulls *self_p. NULL-safe.
void cf_identity_destroy (cf_identity_t **self_p);

//  Identifies who sent frame (a frame received on a CURVE server socket):
//  the User-Id zauth set is looked up in the directory now. On success
//  *principal_p is a new heap Cf__Principal (key, name, role, org; free
//  with cf_pb_free) and 0 is returned. CF_EDENIED when the frame carries no
//  User-Id or the key is no longer in the directory (revoked); CF_EINVAL
//  when the certificate's metadata would not pass identity issue (a name,
//  and an org when given or when the role is applicant, of 1 to 64 ASCII
//  letters, digits and - _ . @), or its role metadata is not a known role
//  or is "system". *principal_p is NULL on error.
int CF_MUST_CHECK cf_identity_principal (cf_identity_t *self, zframe_t *frame,
                                         Cf__Principal **principal_p);

//  The same for key, the User-Id of a message as received (NULL or not 40
//  characters: CF_EDENIED)
int CF_MUST_CHECK cf_identity_principal_of (cf_identity_t *self,
                                            const char *key,
                                            Cf__Principal **principal_p);

#endif
