/*  Unit tests for cf_identity: certificates on disk, and who gets through a
    real CURVE server socket over tcp://127.0.0.1 (CURVE does not run over
    inproc). Each test works in its own mkdtemp data directory, initialized
    by cf_identity_init; waits are zpoller timeouts, never sleeps.  */

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_identity.h"
#include "cf_pb.h"

//  How long "nothing arrives" is watched, and how long a good frame may take
#define QUIET_MS  500
#define ARRIVE_MS 1500

typedef struct {
    char dir[64];             //  mkdtemp directory, removed at teardown
    char data[128];           //  dir/data: the initialized data directory
    char certs[160];          //  dir/data/certs
    char server_cert[160];    //  dir/data/keys/daemon.cert (the public half)
    zcert_t *daemon;          //  The daemon's secret certificate
    zactor_t *auth;           //  zauth, when the test started it
    cf_identity_t *identity;  //  Live view of certs, when started
    zsock_t *server;          //  ROUTER, when started
    int port;                 //  Its port
} fixture_t;

static int
s_remove_entry (const char *path, const struct stat *info, int flag,
                struct FTW *ftw)
{
    (void)info;
    (void)flag;
    (void)ftw;
    return remove (path);
}

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_non_null (fixture);
    strcpy (fixture->dir, "/tmp/cf_identity_XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    snprintf (fixture->data, sizeof fixture->data, "%s/data", fixture->dir);
    snprintf (fixture->certs, sizeof fixture->certs, "%s/certs", fixture->data);
    snprintf (fixture->server_cert, sizeof fixture->server_cert,
              "%s/keys/daemon.cert", fixture->data);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_identity_init (fixture->data, problems), 0);
    assert_int_equal (
        cf_identity_load_server (fixture->data, &fixture->daemon, problems), 0);
    cf_problems_destroy (&problems);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    zsock_destroy (&fixture->server);
    zactor_destroy (&fixture->auth);
    cf_identity_destroy (&fixture->identity);
    zcert_destroy (&fixture->daemon);
    nftw (fixture->dir, s_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free (fixture);
    return 0;
}

//  Starts what the daemon starts: zauth first, then the server socket
static void
s_start_server (fixture_t *fixture, bool with_auth)
{
    if (with_auth)
        assert_int_equal (
            cf_identity_auth_start (fixture->certs, &fixture->auth), 0);
    fixture->identity = cf_identity_new (fixture->certs);
    fixture->server = zsock_new (ZMQ_ROUTER);
    assert_non_null (fixture->server);
    cf_identity_server (fixture->server, fixture->daemon);
    fixture->port = zsock_bind (fixture->server, "tcp://127.0.0.1:*");
    assert_true (fixture->port > 0);
}

//  Makes zauth admit what certs holds now, as the daemon does after an
//  issue or a revoke and on a reload
static void
s_admit (fixture_t *fixture)
{
    assert_int_equal (cf_identity_auth_reload (fixture->auth, fixture->certs),
                      0);
}

//  A DEALER that presents the secret certificate in cert_path
static zsock_t *
s_client (fixture_t *fixture, const char *cert_path)
{
    zsock_t *client = zsock_new (ZMQ_DEALER);
    assert_non_null (client);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_identity_client (client, cert_path, fixture->server_cert, problems),
        0);
    cf_problems_destroy (&problems);
    assert_int_equal (
        zsock_connect (client, "tcp://127.0.0.1:%d", fixture->port), 0);
    return client;
}

//  Returns the payload frame the server got within timeout_ms, or NULL
static zframe_t *
s_receive (zsock_t *server, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (server, NULL);
    assert_non_null (poller);
    zframe_t *payload = NULL;
    if (zpoller_wait (poller, timeout_ms) == server) {
        zframe_t *routing_id = zframe_recv (server);
        payload = zframe_recv (server);
        zframe_destroy (&routing_id);
    }
    zpoller_destroy (&poller);
    return payload;
}

//  Sends text from client and returns who the server says sent it: the
//  frame must arrive within ARRIVE_MS and cf_identity_principal return
//  code, leaving no principal on an error. The caller frees the principal.
static Cf__Principal *
s_principal_of (fixture_t *fixture, zsock_t *client, const char *text, int code)
{
    assert_int_equal (zstr_send (client, text), 0);
    zframe_t *frame = s_receive (fixture->server, ARRIVE_MS);
    assert_non_null (frame);
    Cf__Principal *principal = (Cf__Principal *)1;
    assert_int_equal (
        cf_identity_principal (fixture->identity, frame, &principal), code);
    if (code)
        assert_null (principal);
    zframe_destroy (&frame);
    return principal;
}

//  Sends text from client and expects nothing to reach the server within
//  QUIET_MS
static void
s_expect_nothing (fixture_t *fixture, zsock_t *client, const char *text)
{
    assert_int_equal (zstr_send (client, text), 0);
    assert_null (s_receive (fixture->server, QUIET_MS));
}

//  Writes cert's secret file where a principal would keep it
static void
s_save_secret (zcert_t *cert, const char *path)
{
    char *text = cf_identity_secret_text (cert);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    assert_int_equal (fputs (text, file) >= 0, 1);
    assert_int_equal (fclose (file), 0);
    free (text);
}

//  Issues a certificate and saves its secret file as dir/<name>.cert
static zcert_t *
s_issue (fixture_t *fixture, const char *name, const char *role,
         const char *org, char *path, size_t path_size)
{
    zcert_t *cert = NULL;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_identity_issue (fixture->certs, name, role, org, &cert, problems),
        0);
    cf_problems_destroy (&problems);
    snprintf (path, path_size, "%s/%s.cert", fixture->dir, name);
    s_save_secret (cert, path);
    return cert;
}

//  Makes a certificate by hand, not issued, for name in role, and saves
//  its secret file as dir/<file>.cert
static zcert_t *
s_hand_made (fixture_t *fixture, const char *name, const char *role,
             const char *file, char *path, size_t path_size)
{
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    snprintf (path, path_size, "%s/%s.cert", fixture->dir, file);
    s_save_secret (cert, path);
    return cert;
}

static size_t
s_count_files (const char *dir)
{
    zdir_t *listing = zdir_new (dir, NULL);
    size_t count = listing ? zdir_count (listing) : 0;
    zdir_destroy (&listing);
    return count;
}

static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char *text = calloc (1, 65536);
    assert_non_null (text);
    size_t size = fread (text, 1, 65535, file);
    assert_true (size > 0);
    fclose (file);
    return text;
}

static int
s_mode (const char *path)
{
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    return (int)(info.st_mode & 0777);
}

static void
s_expect_problem (cf_problems_t *problems, const char *code)
{
    if (!cf_problems_has (problems, code)) {
        char *text = cf_problems_join (problems);
        fail_msg ("expected problem %s, got: %s", code, text);
    }
}

//  --------------------------------------------------------------------------

static void
test_init_creates_the_layout (void **state)
{
    fixture_t *fixture = *state;
    char path[256];
    assert_int_equal (s_mode (fixture->data), 0700);
    snprintf (path, sizeof path, "%s/keys", fixture->data);
    assert_int_equal (s_mode (path), 0700);
    assert_int_equal (s_mode (fixture->certs), 0700);
    snprintf (path, sizeof path, "%s/keys/daemon.cert_secret", fixture->data);
    assert_int_equal (s_mode (path), 0600);
    assert_int_equal (s_mode (fixture->server_cert), 0600);

    //  The daemon's public file holds no secret; its secret file does
    zcert_t *daemon_public = zcert_load (fixture->server_cert);
    assert_non_null (daemon_public);
    assert_string_equal (zcert_public_txt (daemon_public),
                         zcert_public_txt (fixture->daemon));
    zcert_destroy (&daemon_public);
    char *text = s_read_file (fixture->server_cert);
    assert_null (strstr (text, "secret-key"));
    free (text);

    //  The first admin: secret in DATA/admin.cert, public in certs
    snprintf (path, sizeof path, "%s/admin.cert", fixture->data);
    assert_int_equal (s_mode (path), 0600);
    zcert_t *admin = zcert_load (path);
    assert_non_null (admin);
    assert_string_equal (zcert_meta (admin, "name"), "admin");
    assert_string_equal (zcert_meta (admin, "role"), "admin");
    snprintf (path, sizeof path, "%s/admin-admin.cert", fixture->certs);
    text = s_read_file (path);
    assert_null (strstr (text, "secret-key"));
    assert_non_null (strstr (text, zcert_public_txt (admin)));
    free (text);
    assert_int_equal (s_count_files (fixture->certs), 1);
    zcert_destroy (&admin);
}

static void
test_init_twice_is_refused_and_changes_nothing (void **state)
{
    fixture_t *fixture = *state;
    char admin_path[256], secret_path[256];
    snprintf (admin_path, sizeof admin_path, "%s/admin.cert", fixture->data);
    snprintf (secret_path, sizeof secret_path, "%s/keys/daemon.cert_secret",
              fixture->data);
    char *admin_before = s_read_file (admin_path);
    char *secret_before = s_read_file (secret_path);

    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_identity_init (fixture->data, problems), CF_EEXIST);
    s_expect_problem (problems, "identity.exists");
    cf_problems_destroy (&problems);

    char *admin_after = s_read_file (admin_path);
    char *secret_after = s_read_file (secret_path);
    assert_string_equal (admin_before, admin_after);
    assert_string_equal (secret_before, secret_after);
    assert_int_equal (s_count_files (fixture->certs), 1);
    free (admin_before);
    free (secret_before);
    free (admin_after);
    free (secret_after);
}

static void
test_load_server_needs_init (void **state)
{
    fixture_t *fixture = *state;
    char empty[128];
    snprintf (empty, sizeof empty, "%s/empty", fixture->dir);
    assert_int_equal (mkdir (empty, 0700), 0);
    zcert_t *cert = (zcert_t *)1;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_identity_load_server (empty, &cert, problems),
                      CF_ENOTFOUND);
    assert_null (cert);
    s_expect_problem (problems, "identity.not_initialized");
    cf_problems_destroy (&problems);
}

static void
test_secret_text_is_what_zcert_save_secret_writes (void **state)
{
    fixture_t *fixture = *state;
    char path[256], sample[256];
    zcert_t *cert =
        s_issue (fixture, "AUD001", "auditor", NULL, path, sizeof path);
    snprintf (sample, sizeof sample, "%s/sample.cert", fixture->dir);
    assert_int_equal (zcert_save_secret (cert, sample), 0);
    char *ours = s_read_file (path);
    char *theirs = s_read_file (sample);
    //  Only the "Generated on <time>" line may differ
    char *ours_body = strchr (ours, '\n');
    char *theirs_body = strchr (theirs, '\n');
    assert_non_null (strstr (ours, "Generated on"));
    assert_non_null (ours_body);
    assert_non_null (theirs_body);
    assert_string_equal (ours_body, theirs_body);

    //  The public file in certs is zcert_save_public's format too
    char public_path[256];
    snprintf (public_path, sizeof public_path, "%s/auditor-AUD001.cert",
              fixture->certs);
    assert_int_equal (zcert_save_public (cert, sample), 0);
    free (ours);
    free (theirs);
    ours = s_read_file (public_path);
    theirs = s_read_file (sample);
    assert_string_equal (strchr (ours, '\n'), strchr (theirs, '\n'));
    free (ours);
    free (theirs);
    zcert_destroy (&cert);
}

static void
test_issued_principal_is_identified (void **state)
{
    fixture_t *fixture = *state;
    s_start_server (fixture, true);
    char path[256];
    zcert_t *cert =
        s_issue (fixture, "alice", "applicant", "ACME01", path, sizeof path);
    s_admit (fixture);
    zsock_t *client = s_client (fixture, path);
    assert_int_equal (zstr_send (client, "hello"), 0);

    zframe_t *frame = s_receive (fixture->server, ARRIVE_MS);
    assert_non_null (frame);
    assert_true (zframe_streq (frame, "hello"));
    Cf__Principal *principal = NULL;
    assert_int_equal (
        cf_identity_principal (fixture->identity, frame, &principal), 0);
    assert_string_equal (principal->key, zcert_public_txt (cert));
    assert_string_equal (principal->name, "alice");
    assert_string_equal (principal->org, "ACME01");
    assert_int_equal (principal->role, CF__ROLE__ROLE_APPLICANT);
    cf_pb_free (&principal);
    zframe_destroy (&frame);
    zsock_destroy (&client);
    zcert_destroy (&cert);
}

static void
test_init_admin_is_identified (void **state)
{
    fixture_t *fixture = *state;
    s_start_server (fixture, true);
    char path[256];
    snprintf (path, sizeof path, "%s/admin.cert", fixture->data);
    zsock_t *client = s_client (fixture, path);
    Cf__Principal *principal = s_principal_of (fixture, client, "hello", 0);
    assert_string_equal (principal->name, "admin");
    assert_string_equal (principal->org, "");
    assert_int_equal (principal->role, CF__ROLE__ROLE_ADMIN);
    cf_pb_free (&principal);
    zsock_destroy (&client);
}

static void
test_unknown_certificate_gets_nothing (void **state)
{
    fixture_t *fixture = *state;
    s_start_server (fixture, true);
    //  A well-formed certificate that was never put in certs
    char path[256];
    zcert_t *stranger =
        s_hand_made (fixture, "admin", "admin", "stranger", path, sizeof path);
    zsock_t *client = s_client (fixture, path);
    s_expect_nothing (fixture, client, "let me in");
    zsock_destroy (&client);
    zcert_destroy (&stranger);
}

static void
test_enforce_domain_closes_the_fail_open_trap (void **state)
{
    fixture_t *fixture = *state;
    //  No zauth at all: even a certificate in certs must get nothing
    s_start_server (fixture, false);
    char path[256];
    zcert_t *cert =
        s_issue (fixture, "REV001", "reviewer", NULL, path, sizeof path);
    zsock_t *client = s_client (fixture, path);
    s_expect_nothing (fixture, client, "hello");
    zsock_destroy (&client);

    //  Control: the same client against a CURVE server set up the naive
    //  way (no enforce) does get through, so the silence above is the
    //  enforce option at work and not a broken client
    zsock_t *naive = zsock_new (ZMQ_ROUTER);
    zsock_set_zap_domain (naive, CF_IDENTITY_DOMAIN);
    zcert_apply (fixture->daemon, naive);
    zsock_set_curve_server (naive, 1);
    fixture->port = zsock_bind (naive, "tcp://127.0.0.1:*");
    assert_true (fixture->port > 0);
    client = s_client (fixture, path);
    assert_int_equal (zstr_send (client, "hello"), 0);
    zframe_t *frame = s_receive (naive, ARRIVE_MS);
    assert_non_null (frame);
    zframe_destroy (&frame);
    zsock_destroy (&client);
    zsock_destroy (&naive);
    zcert_destroy (&cert);
}

static void
test_revoke_denies_the_live_session_and_reconnects (void **state)
{
    fixture_t *fixture = *state;
    s_start_server (fixture, true);
    char path[256];
    zcert_t *cert = s_issue (fixture, "W1", "worker", NULL, path, sizeof path);
    s_admit (fixture);
    zsock_t *client = s_client (fixture, path);
    Cf__Principal *principal = s_principal_of (fixture, client, "before", 0);
    assert_int_equal (principal->role, CF__ROLE__ROLE_WORKER);
    cf_pb_free (&principal);

    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_identity_revoke (fixture->certs, zcert_public_txt (cert), problems),
        0);
    assert_int_equal (cf_identity_auth_reload (fixture->auth, fixture->certs),
                      0);

    //  ZAP ran at handshake only: the old session still delivers, but the
    //  frame no longer names anyone
    s_principal_of (fixture, client, "after", CF_EDENIED);

    //  A new connection with the same key is refused at the handshake
    zsock_t *again = s_client (fixture, path);
    s_expect_nothing (fixture, again, "again");

    //  The key is gone for good
    assert_int_equal (
        cf_identity_revoke (fixture->certs, zcert_public_txt (cert), problems),
        CF_ENOTFOUND);
    s_expect_problem (problems, "identity.unknown_key");
    cf_problems_destroy (&problems);
    zsock_destroy (&again);
    zsock_destroy (&client);
    zcert_destroy (&cert);
}

static void
test_new_certificate_is_seen_at_once (void **state)
{
    fixture_t *fixture = *state;
    //  The directory view is open before the certificate exists, and the
    //  issue lands within the same timestamp tick as the first scan
    s_start_server (fixture, true);
    char path[256];
    zcert_t *cert =
        s_issue (fixture, "MON1", "monitor", NULL, path, sizeof path);
    s_admit (fixture);
    zsock_t *client = s_client (fixture, path);
    Cf__Principal *principal = s_principal_of (fixture, client, "hello", 0);
    assert_string_equal (principal->name, "MON1");
    cf_pb_free (&principal);
    zsock_destroy (&client);
    zcert_destroy (&cert);
}

static void
test_swap_that_zauth_cannot_see_is_still_caught (void **state)
{
    fixture_t *fixture = *state;
    char old_path[256], new_path[256], old_file[256], new_file[256];
    zcert_t *old_cert =
        s_issue (fixture, "A1", "worker", NULL, old_path, sizeof old_path);
    snprintf (old_file, sizeof old_file, "%s/worker-A1.cert", fixture->certs);
    struct stat old_info;
    assert_int_equal (stat (old_file, &old_info), 0);
    s_start_server (fixture, true);

    //  Revoke A1 and issue B1 (same size) with A1's mtime: zauth's store,
    //  which compares file count, total size and newest mtime, sees nothing
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_identity_revoke (fixture->certs,
                                          zcert_public_txt (old_cert),
                                          problems),
                      0);
    cf_problems_destroy (&problems);
    zcert_t *new_cert =
        s_issue (fixture, "B1", "worker", NULL, new_path, sizeof new_path);
    snprintf (new_file, sizeof new_file, "%s/worker-B1.cert", fixture->certs);
    struct timespec times[2] = {old_info.st_atim, old_info.st_mtim};
    assert_int_equal (utimensat (AT_FDCWD, new_file, times, 0), 0);

    //  Whatever zauth makes of A1 now, no frame of A1's names anyone
    zsock_t *client = s_client (fixture, old_path);
    assert_int_equal (zstr_send (client, "stale"), 0);
    zframe_t *frame = s_receive (fixture->server, QUIET_MS);
    if (frame) {
        Cf__Principal *principal = NULL;
        assert_int_equal (
            cf_identity_principal (fixture->identity, frame, &principal),
            CF_EDENIED);
        zframe_destroy (&frame);
    }
    zsock_destroy (&client);

    //  After a reload zauth refuses A1 at the handshake and admits B1
    assert_int_equal (cf_identity_auth_reload (fixture->auth, fixture->certs),
                      0);
    client = s_client (fixture, old_path);
    s_expect_nothing (fixture, client, "stale");
    zsock_destroy (&client);
    client = s_client (fixture, new_path);
    Cf__Principal *principal = s_principal_of (fixture, client, "fresh", 0);
    assert_string_equal (principal->name, "B1");
    cf_pb_free (&principal);
    zsock_destroy (&client);
    zcert_destroy (&old_cert);
    zcert_destroy (&new_cert);
}

//  A file in certs that is not a certificate reaches no parser of czmq's
//  (zcert_load leaks on a file that is not ZPL, in zauth's thread, at
//  every reload: LeakSanitizer sees it in the sanitizer build) and admits
//  nobody; the certificates beside it work
static void
test_a_broken_file_in_certs_admits_nobody_and_leaks_nothing (void **state)
{
    fixture_t *fixture = *state;
    char broken[256];
    snprintf (broken, sizeof broken, "%s/broken.cert", fixture->certs);
    FILE *file = fopen (broken, "w");
    assert_non_null (file);
    fputs ("metadata\n    name = \"cut short\n", file);
    assert_int_equal (fclose (file), 0);
    s_start_server (fixture, true);
    char path[256];
    zcert_t *cert =
        s_issue (fixture, "REV009", "reviewer", NULL, path, sizeof path);
    s_admit (fixture);
    s_admit (fixture);
    //  zauth's directory: the admin's key and the reviewer's, nothing else
    char zauth_dir[256];
    snprintf (zauth_dir, sizeof zauth_dir, "%s/.zauth", fixture->certs);
    assert_int_equal (s_count_files (zauth_dir), 2);
    zsock_t *client = s_client (fixture, path);
    Cf__Principal *principal = s_principal_of (fixture, client, "hello", 0);
    assert_string_equal (principal->name, "REV009");
    cf_pb_free (&principal);
    //  No scan of certs sees zauth's directory
    assert_int_equal (s_count_files (fixture->certs), 3);
    zsock_destroy (&client);
    zcert_destroy (&cert);
}

static void
test_certificate_claiming_system_is_refused (void **state)
{
    fixture_t *fixture = *state;
    s_start_server (fixture, true);
    //  Someone drops a hand-made certificate into certs: zauth admits the
    //  key after a reload, but "system" is the daemon's own role and no
    //  principal's
    char path[256], public_path[256];
    zcert_t *forged =
        s_hand_made (fixture, "timer", "system", "forged", path, sizeof path);
    snprintf (public_path, sizeof public_path, "%s/forged.cert",
              fixture->certs);
    assert_int_equal (zcert_save_public (forged, public_path), 0);
    s_admit (fixture);
    zsock_t *client = s_client (fixture, path);
    s_principal_of (fixture, client, "tick", CF_EINVAL);
    zsock_destroy (&client);
    zcert_destroy (&forged);
}

//  A hand-made certificate's metadata gets the checks identity issue
//  makes: a name or org that is not UTF-8 would make a principal whose
//  name breaks every client's decoding of the replies that carry it
static void
test_certificate_with_bad_metadata_is_refused (void **state)
{
    fixture_t *fixture = *state;
    s_start_server (fixture, true);
    const char *names[][2] = {
        {"ORG\xC0\xAF", NULL},  //  Not UTF-8
        {"two words", NULL},
        {"APP001", "org\xFF"},
        {"APP002", "an org with spaces"},
    };
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++) {
        char file[32], path[256], public_path[256];
        snprintf (file, sizeof file, "bad%zu", index);
        zcert_t *cert = s_hand_made (fixture, names[index][0],
                                     names[index][1] ? "applicant" : "reviewer",
                                     file, path, sizeof path);
        if (names[index][1])
            zcert_set_meta (cert, "org", "%s", names[index][1]);
        snprintf (public_path, sizeof public_path, "%s/%s.cert", fixture->certs,
                  file);
        assert_int_equal (zcert_save_public (cert, public_path), 0);
        s_save_secret (cert, path);
        s_admit (fixture);
        zsock_t *client = s_client (fixture, path);
        s_principal_of (fixture, client, "tick", CF_EINVAL);
        zsock_destroy (&client);
        zcert_destroy (&cert);
    }
}

static void
test_frame_without_user_id_is_denied (void **state)
{
    fixture_t *fixture = *state;
    cf_identity_t *identity = cf_identity_new (fixture->certs);
    zframe_t *frame = zframe_new ("hello", 5);
    Cf__Principal *principal = NULL;
    assert_int_equal (cf_identity_principal (identity, frame, &principal),
                      CF_EDENIED);
    assert_null (principal);
    zframe_destroy (&frame);
    cf_identity_destroy (&identity);
    cf_identity_destroy (&identity);  //  NULL-safe
}

static void
s_expect_issue_error (fixture_t *fixture, const char *name, const char *role,
                      const char *org, int code, const char *problem)
{
    zcert_t *cert = (zcert_t *)1;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_identity_issue (fixture->certs, name, role, org, &cert, problems),
        code);
    assert_null (cert);
    s_expect_problem (problems, problem);
    cf_problems_destroy (&problems);
}

static void
test_issue_refuses_bad_arguments (void **state)
{
    fixture_t *fixture = *state;
    char long_name[80];
    memset (long_name, 'x', 65);
    long_name[65] = '\0';
    s_expect_issue_error (fixture, "", "reviewer", NULL, CF_EINVAL,
                          "identity.name");
    s_expect_issue_error (fixture, NULL, "reviewer", NULL, CF_EINVAL,
                          "identity.name");
    s_expect_issue_error (fixture, long_name, "reviewer", NULL, CF_EINVAL,
                          "identity.name");
    s_expect_issue_error (fixture, "../evil", "reviewer", NULL, CF_EINVAL,
                          "identity.name");
    s_expect_issue_error (fixture, "two words", "reviewer", NULL, CF_EINVAL,
                          "identity.name");
    s_expect_issue_error (fixture, "REV002", "boss", NULL, CF_EINVAL,
                          "identity.role");
    s_expect_issue_error (fixture, "REV002", NULL, NULL, CF_EINVAL,
                          "identity.role");
    s_expect_issue_error (fixture, "timer", "system", NULL, CF_EINVAL,
                          "identity.role");
    s_expect_issue_error (fixture, "bob", "applicant", NULL, CF_EINVAL,
                          "identity.org");
    s_expect_issue_error (fixture, "bob", "applicant", "", CF_EINVAL,
                          "identity.org");
    s_expect_issue_error (fixture, "bob", "applicant", "ACME\"\n  role = x",
                          CF_EINVAL, "identity.org");
    //  Nothing reached the allow-list
    assert_int_equal (s_count_files (fixture->certs), 1);

    //  The longest name that is allowed works
    long_name[64] = '\0';
    zcert_t *cert = NULL;
    assert_int_equal (cf_identity_issue (fixture->certs, long_name, "reviewer",
                                         NULL, &cert, NULL),
                      0);
    assert_non_null (cert);
    zcert_destroy (&cert);
}

static void
test_issue_refuses_a_duplicate (void **state)
{
    fixture_t *fixture = *state;
    char path[256], public_path[256];
    zcert_t *first =
        s_issue (fixture, "REV001", "reviewer", NULL, path, sizeof path);
    snprintf (public_path, sizeof public_path, "%s/reviewer-REV001.cert",
              fixture->certs);
    char *before = s_read_file (public_path);
    s_expect_issue_error (fixture, "REV001", "reviewer", NULL, CF_EEXIST,
                          "identity.exists");
    char *after = s_read_file (public_path);
    assert_string_equal (before, after);
    assert_int_equal (s_count_files (fixture->certs), 2);

    //  The same name in another role is another principal
    zcert_t *second = NULL;
    assert_int_equal (cf_identity_issue (fixture->certs, "REV001", "auditor",
                                         NULL, &second, NULL),
                      0);
    assert_int_equal (s_count_files (fixture->certs), 3);
    free (before);
    free (after);
    zcert_destroy (&first);
    zcert_destroy (&second);
}

//  A file written for a request is replaced by a retry of that request
//  only; any other issue of the name is refused and leaves it as it was
static void
test_issue_for_a_request_replaces_only_its_own_file (void **state)
{
    fixture_t *fixture = *state;
    char path[256];
    snprintf (path, sizeof path, "%s/auditor-AUD001.cert", fixture->certs);
    zcert_t *first = NULL, *retry = NULL, *other = NULL, *untagged = NULL;
    assert_int_equal (cf_identity_issue_for (fixture->certs, "AUD001",
                                             "auditor", NULL, "req-1", &first,
                                             NULL),
                      0);
    char *before = s_read_file (path);
    assert_non_null (strstr (before, "request = \"req-1\""));
    assert_int_equal (cf_identity_issue_for (fixture->certs, "AUD001",
                                             "auditor", NULL, "req-2", &other,
                                             NULL),
                      CF_EEXIST);
    assert_int_equal (cf_identity_issue (fixture->certs, "AUD001", "auditor",
                                         NULL, &untagged, NULL),
                      CF_EEXIST);
    char *unchanged = s_read_file (path);
    assert_string_equal (before, unchanged);
    assert_int_equal (cf_identity_issue_for (fixture->certs, "AUD001",
                                             "auditor", NULL, "req-1", &retry,
                                             NULL),
                      0);
    char *after = s_read_file (path);
    assert_non_null (strstr (after, zcert_public_txt (retry)));
    assert_null (strstr (after, zcert_public_txt (first)));
    //  One file: replaced in place, nothing left beside it
    assert_int_equal (s_count_files (fixture->certs), 2);
    free (before);
    free (unchanged);
    free (after);
    zcert_destroy (&first);
    zcert_destroy (&retry);
}

//  Expects cf_identity_client to fail with code and problem, naming named
static void
s_expect_client_error (const char *cert_path, const char *server_path, int code,
                       const char *problem, const char *named)
{
    zsock_t *client = zsock_new (ZMQ_DEALER);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_identity_client (client, cert_path, server_path, problems), code);
    s_expect_problem (problems, problem);
    char *text = cf_problems_join (problems);
    assert_non_null (strstr (text, named));
    free (text);
    cf_problems_destroy (&problems);
    zsock_destroy (&client);
}

static void
test_client_reports_missing_and_bad_files (void **state)
{
    fixture_t *fixture = *state;
    char missing[256], garbage[256], no_curve[256], admin[256];
    snprintf (missing, sizeof missing, "%s/nobody.cert", fixture->dir);
    snprintf (garbage, sizeof garbage, "%s/garbage.cert", fixture->dir);
    snprintf (no_curve, sizeof no_curve, "%s/no-curve.cert", fixture->dir);
    snprintf (admin, sizeof admin, "%s/admin.cert", fixture->data);
    FILE *file = fopen (garbage, "w");
    assert_non_null (file);
    fputs ("\"this is not\n  = ZPL\n", file);
    fclose (file);
    file = fopen (no_curve, "w");
    assert_non_null (file);
    fputs ("metadata\n    name = \"x\"\n", file);
    fclose (file);

    const char *server = fixture->server_cert;
    s_expect_client_error (missing, server, CF_ENOTFOUND, "identity.missing",
                           missing);
    s_expect_client_error (garbage, server, CF_EINVAL,
                           "identity.not_certificate", garbage);
    s_expect_client_error (no_curve, server, CF_EINVAL,
                           "identity.not_certificate", no_curve);
    s_expect_client_error (fixture->dir, server, CF_EINVAL,
                           "identity.not_certificate", fixture->dir);
    //  A public certificate cannot be used to log in
    char public_admin[256];
    snprintf (public_admin, sizeof public_admin, "%s/admin-admin.cert",
              fixture->certs);
    s_expect_client_error (public_admin, server, CF_EINVAL,
                           "identity.no_secret", public_admin);
    s_expect_client_error (admin, missing, CF_ENOTFOUND, "identity.missing",
                           missing);
}

static void
test_auth_start_needs_the_directory (void **state)
{
    fixture_t *fixture = *state;
    char missing[256];
    snprintf (missing, sizeof missing, "%s/no-such-certs", fixture->dir);
    zactor_t *auth = (zactor_t *)1;
    assert_int_equal (cf_identity_auth_start (missing, &auth), CF_EIO);
    assert_null (auth);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        TEST (test_init_creates_the_layout),
        TEST (test_init_twice_is_refused_and_changes_nothing),
        TEST (test_load_server_needs_init),
        TEST (test_secret_text_is_what_zcert_save_secret_writes),
        TEST (test_issued_principal_is_identified),
        TEST (test_init_admin_is_identified),
        TEST (test_unknown_certificate_gets_nothing),
        TEST (test_enforce_domain_closes_the_fail_open_trap),
        TEST (test_revoke_denies_the_live_session_and_reconnects),
        TEST (test_new_certificate_is_seen_at_once),
        TEST (test_swap_that_zauth_cannot_see_is_still_caught),
        TEST (test_certificate_claiming_system_is_refused),
        TEST (test_certificate_with_bad_metadata_is_refused),
        TEST (test_frame_without_user_id_is_denied),
        TEST (test_issue_refuses_bad_arguments),
        TEST (test_issue_refuses_a_duplicate),
        TEST (test_a_broken_file_in_certs_admits_nobody_and_leaks_nothing),
        TEST (test_issue_for_a_request_replaces_only_its_own_file),
        TEST (test_client_reports_missing_and_bad_files),
        TEST (test_auth_start_needs_the_directory),
#undef TEST
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
