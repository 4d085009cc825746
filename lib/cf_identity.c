/*  =========================================================================
    cf_identity - who is speaking: CurveZMQ certificates and zauth

    Certificate files are written by this module, not by zcert_save*: the
    text is built with zconfig exactly as zcert_save_public/_secret lay it
    out, then written to a temporary file and hard-linked into place. The
    link is what makes "refuse to overwrite" atomic, and it means zauth's
    directory scan never sees a half-written certificate. Temporary names
    end in "_secret", which zcertstore's loader skips.

    Why cf_identity_t does not simply wrap a zcertstore: czmq 4.2.1 reloads a
    store only when the directory's file count, total size or newest file
    mtime (whole seconds) changes, and it re-reads the whole directory with
    a stat of every file on each lookup. A revoke plus an issue of the same
    size within one second goes unnoticed. Here each hit costs one stat of
    its own file (gone or changed: rescan), and a miss rescans when the
    directory changed or when its mtime is too recent to be trusted (the
    "racy timestamp" rule git uses for its index), so the answer never
    depends on timestamp granularity. Like zcertstore it reads
    subdirectories too, but only a change directly in certs_dir is noticed
    on a miss: a certificate added to a subdirectory may be denied for a
    while (fail closed). Put certificates directly in certs_dir.

    Certificate files are read into memory and parsed with zconfig_str_load,
    never with zcert_load: in czmq 4.2.1 zconfig_load leaks on a file that
    is not ZPL, and zcert_load quietly reads "<file>_secret" instead of the
    file named when such a sibling exists. The file named is the file read.
    zauth reads with zcert_load, so it is never given certs_dir itself: it
    reads certs_dir/.zauth (hidden, so no scan of certs_dir sees it), where
    cf_identity_auth_reload writes one file holding just the public key of
    each certificate in certs_dir that parses, and logs the files that do
    not. A broken file in certs_dir reaches no parser that leaks.
    =========================================================================
*/

#include "cf_identity.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cf_file.h"
#include "cf_fsm.h"
#include "cf_log.h"
#include "cf_pb.h"
#include "cf_utf8.h"

//  DRAFT in zmq.h 4.3.4, but the stable library handles it
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

//  zauth's allow-list, under certs_dir
#define S_ZAUTH_DIR ".zauth"

//  Longest name or org; keeps zauth's 512-byte metadata buffer safe
#define S_TOKEN_MAX 64
//  Biggest file we believe could be a certificate
#define S_CERT_FILE_MAX 65536
//  A directory changed this recently may change again within the same
//  timestamp tick, so its mtime proves nothing yet
#define S_RACY_SECONDS 2

//  One certificate as the directory held it when last scanned
typedef struct {
    char *path;        //  File it was loaded from
    struct stat file;  //  Its identity then; any change means rescan
    char *name;        //  Metadata "name", or NULL
    char *role;        //  Metadata "role", or NULL
    char *org;         //  Metadata "org", or NULL
} s_entry_t;

struct _cf_identity_t {
    char *certs_dir;    //  Directory of public certificates
    zhashx_t *entries;  //  Z85 public key -> s_entry_t
    struct stat dir;    //  certs_dir at the last scan
    bool dir_seen;      //  certs_dir existed at the last scan
    bool racy;          //  Last scan too close to a change to trust dir
};

//  --------------------------------------------------------------------------
//  Small helpers

static char *
s_strdup_or_null (const char *text)
{
    return text ? strdup (text) : NULL;
}

static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t length = strlen (text);
    size_t suffix_length = strlen (suffix);
    return length >= suffix_length &&
           strcmp (text + length - suffix_length, suffix) == 0;
}

static bool
s_exists (const char *path)
{
    struct stat info;
    return lstat (path, &info) == 0;
}

//  True for the names and orgs we put into certificate metadata: short, and
//  free of anything that ZPL quoting or a file name could trip on
static bool
s_valid_token (const char *text)
{
    size_t length = text ? strlen (text) : 0;
    if (length == 0 || length > S_TOKEN_MAX)
        return false;
    for (const char *cursor = text; *cursor; cursor++) {
        char c = *cursor;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                  c == '@';
        if (!ok)
            return false;
    }
    return true;
}

//  True when all 32 bytes are zero: zcert_load's mark of "no secret key"
static bool
s_key_is_null (const byte *key)
{
    byte bits = 0;
    for (int index = 0; index < 32; index++)
        bits |= key[index];
    return bits == 0;
}

//  Flushes a directory so a name made or removed in it survives a crash.
//  Best effort: the data itself was synced, and the caller has succeeded.
static void
s_sync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync (fd);
        close (fd);
    }
}

//  Flushes the directory that holds path
static void
s_sync_dir_of (const char *path)
{
    char *copy = strdup (path);
    assert (copy);
    s_sync_dir (dirname (copy));
    free (copy);
}

//  --------------------------------------------------------------------------
//  Certificate text and files

//  Builds the text zcert_save_public (secret false) or zcert_save_secret
//  (secret true) writes for cert; the caller frees it
static char *
s_cert_text (zcert_t *cert, bool secret)
{
    zconfig_t *root = zconfig_new ("root", NULL);
    assert (root);
    char *timestamp = zclock_timestr ();
    zconfig_set_comment (root, "   ****  Generated on %s by CZMQ  ****",
                         timestamp);
    zstr_free (&timestamp);
    if (secret) {
        zconfig_set_comment (root, "   ZeroMQ CURVE **Secret** Certificate");
        zconfig_set_comment (root, "   DO NOT PROVIDE THIS FILE TO OTHER "
                                   "USERS nor change its permissions.");
    } else {
        zconfig_set_comment (root, "   ZeroMQ CURVE Public Certificate");
        zconfig_set_comment (root, "   Exchange securely, or use a secure "
                                   "mechanism to verify the contents");
        zconfig_set_comment (root, "   of this file after exchange. Store "
                                   "public certificates in your home");
        zconfig_set_comment (root, "   directory, in the .curve subdirectory.");
    }
    zconfig_t *metadata = zconfig_new ("metadata", root);
    assert (metadata);
    zlist_t *keys = zcert_meta_keys (cert);
    assert (keys);
    for (char *key = zlist_first (keys); key; key = zlist_next (keys)) {
        zconfig_t *item = zconfig_new (key, metadata);
        assert (item);
        zconfig_set_value (item, "%s", zcert_meta (cert, key));
    }
    zlist_destroy (&keys);
    zconfig_put (root, "/curve/public-key", zcert_public_txt (cert));
    if (secret)
        zconfig_put (root, "/curve/secret-key", zcert_secret_txt (cert));
    char *text = zconfig_str_save (root);
    assert (text);
    zconfig_destroy (&root);
    return text;
}

//  Writes text to a new file at path, mode 0600, refusing to replace an
//  existing file unless replace. Returns 0, CF_EEXIST (no problem added:
//  the caller knows what the file means) or CF_EIO.
static int
s_write_file (const char *path, const char *text, bool replace,
              cf_problems_t *problems)
{
    char *temp = zsys_sprintf ("%s.XXXXXX_secret", path);
    assert (temp);
    int rc = 0;
    int fd = mkstemps (temp, (int)strlen ("_secret"));
    if (fd < 0) {
        cf_problems_add (problems, "identity.io",
                         "cannot create a file next to %s: %s; check that "
                         "the directory exists and is writable",
                         path, strerror (errno));
        free (temp);
        return CF_EIO;
    }
    int error = 0;
    size_t left = strlen (text);
    const char *cursor = text;
    while (left > 0 && error == 0) {
        ssize_t written = write (fd, cursor, left);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            error = errno;
        else if (written == 0)
            error = EIO;
        else {
            cursor += written;
            left -= (size_t)written;
        }
    }
    if (error == 0 && fsync (fd) != 0)
        error = errno;
    if (close (fd) != 0 && error == 0)
        error = errno;
    if (error != 0) {
        cf_problems_add (problems, "identity.io", "cannot write %s: %s", temp,
                         strerror (error));
        rc = CF_EIO;
    } else if ((replace ? rename (temp, path) : link (temp, path)) != 0) {
        if (errno == EEXIST)
            rc = CF_EEXIST;
        else {
            cf_problems_add (problems, "identity.io", "cannot create %s: %s",
                             path, strerror (errno));
            rc = CF_EIO;
        }
    }
    unlink (temp);
    free (temp);
    if (rc == 0)
        s_sync_dir_of (path);
    return rc;
}

static int
s_write_new (const char *path, const char *text, cf_problems_t *problems)
{
    return s_write_file (path, text, false, problems);
}

//  Decodes a Z85 key of exactly 40 characters; false when it is not one
static bool
s_decode_key (const char *text, byte *key)
{
    return text && strlen (text) == 40 && zmq_z85_decode (key, text) != NULL;
}

//  Builds a certificate from ZPL text as zcert_load reads it: curve/
//  public-key (required), curve/secret-key (optional: else all zero), and
//  metadata/*. Returns NULL when the text is not such a certificate.
static zcert_t *
s_cert_from_text (const char *text)
{
    zconfig_t *root = zconfig_str_load (text);
    if (!root)
        return NULL;
    byte public_key[32] = {0};
    byte secret_key[32] = {0};
    zcert_t *cert = NULL;
    const char *secret_text = zconfig_get (root, "/curve/secret-key", NULL);
    if (s_decode_key (zconfig_get (root, "/curve/public-key", NULL),
                      public_key) &&
        !s_key_is_null (public_key) &&
        (!secret_text || s_decode_key (secret_text, secret_key)))
        cert = zcert_new_from (public_key, secret_key);
    zconfig_t *metadata = zconfig_locate (root, "/metadata");
    zconfig_t *item = cert && metadata ? zconfig_child (metadata) : NULL;
    for (; item; item = zconfig_next (item)) {
        const char *value = zconfig_value (item);
        zcert_set_meta (cert, zconfig_name (item), "%s", value ? value : "");
    }
    zconfig_destroy (&root);
    return cert;
}

//  Loads a certificate file; NULL when it cannot be read or is not one
static zcert_t *
s_cert_from_file (const char *path)
{
    char *text = NULL;
    size_t size;
    if (cf_file_read (path, S_CERT_FILE_MAX, &text, &size) != 0)
        return NULL;
    zcert_t *cert = s_cert_from_text (text);
    free (text);
    return cert;
}

//  The files of certs_dir and its subdirectories that zcertstore's loader
//  would read: regular, not ending in "_secret" (zdir skips hidden ones),
//  in a list of paths the caller destroys
static zlistx_t *
s_cert_paths (const char *certs_dir)
{
    zlistx_t *paths = zlistx_new ();
    assert (paths);
    zlistx_set_destructor (paths, (zlistx_destructor_fn *)zstr_free);
    zdir_t *dir = zdir_new (certs_dir, NULL);
    zfile_t **files = dir ? zdir_flatten (dir) : NULL;
    for (size_t index = 0; files && files[index]; index++) {
        const char *path = zfile_filename (files[index], NULL);
        if (zfile_is_regular (files[index]) && !s_ends_with (path, "_secret"))
            zlistx_add_end (paths, strdup (path));
    }
    zdir_flatten_free (&files);
    zdir_destroy (&dir);
    return paths;
}

//  Loads the certificate at path for use by this process. what names the
//  file in messages ("certificate", "server certificate"); need_secret asks
//  for a secret certificate whose keys match. Returns 0, CF_ENOTFOUND,
//  CF_EINVAL or CF_EIO.
static int
s_load_cert (const char *path, const char *what, bool need_secret,
             zcert_t **cert_p, cf_problems_t *problems)
{
    *cert_p = NULL;
    char *text = NULL;
    size_t size;
    int error = cf_file_read (path, S_CERT_FILE_MAX, &text, &size);
    if (error == ENOENT) {
        cf_problems_add (problems, "identity.missing",
                         "%s file %s does not exist; give the path of the "
                         "%s file",
                         what, path, what);
        return CF_ENOTFOUND;
    }
    if (error == EFBIG || error == EISDIR) {
        cf_problems_add (problems, "identity.not_certificate",
                         "%s file %s is not a regular file of at most %d "
                         "bytes; give the path of the %s file",
                         what, path, S_CERT_FILE_MAX, what);
        return CF_EINVAL;
    }
    if (error != 0) {
        cf_problems_add (problems, "identity.io",
                         "%s file %s cannot be read: %s; fix the path or "
                         "its permissions",
                         what, path, strerror (error));
        return CF_EIO;
    }
    zcert_t *cert = s_cert_from_text (text);
    free (text);
    if (!cert) {
        cf_problems_add (problems, "identity.not_certificate",
                         "%s file %s is not a CurveZMQ certificate (ZPL with "
                         "curve/public-key); give the file certflow issued",
                         what, path);
        return CF_EINVAL;
    }
    if (need_secret) {
        char derived[41];
        bool matches =
            !s_key_is_null (zcert_secret_key (cert)) &&
            zmq_curve_public (derived, zcert_secret_txt (cert)) == 0 &&
            streq (derived, zcert_public_txt (cert));
        if (!matches) {
            cf_problems_add (problems, "identity.no_secret",
                             "%s file %s holds no secret key matching its "
                             "public key; give the secret certificate file "
                             "you were issued, not a public one",
                             what, path);
            zcert_destroy (&cert);
            return CF_EINVAL;
        }
    }
    *cert_p = cert;
    return 0;
}

//  Creates path and its missing parents as 0700 directories
static int
s_make_dirs (const char *path, cf_problems_t *problems)
{
    char *copy = strdup (path);
    assert (copy);
    int rc = 0;
    for (char *cursor = copy; rc == 0; cursor++) {
        bool end = *cursor == '\0';
        //  Each '/' after the first character ends a component to make
        if (!end && (*cursor != '/' || cursor == copy))
            continue;
        *cursor = '\0';
        struct stat info;
        if (mkdir (copy, 0700) != 0 &&
            (errno != EEXIST || stat (copy, &info) != 0 ||
             !S_ISDIR (info.st_mode))) {
            cf_problems_add (problems, "identity.io",
                             "cannot create directory \"%s\": %s", copy,
                             errno == EEXIST ? "a file is in the way"
                                             : strerror (errno));
            rc = CF_EIO;
        }
        if (end)
            break;
        *cursor = '/';
    }
    free (copy);
    return rc;
}

//  --------------------------------------------------------------------------
//  Issuing and revoking

//  The paths init writes
typedef struct {
    char *keys_dir;       //  DATA/keys
    char *certs_dir;      //  DATA/certs
    char *daemon_public;  //  DATA/keys/daemon.cert: written last, the marker
    char *daemon_secret;  //  DATA/keys/daemon.cert_secret
    char *admin_secret;   //  DATA/admin.cert
    char *admin_public;   //  DATA/certs/admin-admin.cert
} s_layout_t;

//  Makes the directories and files of a new data directory; on failure
//  removes the files it made. Returns 0, CF_EEXIST or CF_EIO.
static int
s_init_files (const char *data_dir, const s_layout_t *layout,
              cf_problems_t *problems)
{
    zcert_t *admin = NULL;
    zcert_t *daemon = NULL;
    bool wrote_admin_public = false;
    bool wrote_admin_secret = false;
    bool wrote_daemon_secret = false;
    int rc = s_make_dirs (data_dir, problems);
    if (rc == 0)
        rc = s_make_dirs (layout->keys_dir, problems);
    if (rc == 0)
        rc = s_make_dirs (layout->certs_dir, problems);
    if (rc == 0) {
        rc = cf_identity_issue (layout->certs_dir, "admin", "admin", NULL,
                                &admin, problems);
        wrote_admin_public = rc == 0;
    }
    if (rc == 0) {
        char *text = cf_identity_secret_text (admin);
        rc = s_write_new (layout->admin_secret, text, problems);
        free (text);
        wrote_admin_secret = rc == 0;
    }
    if (rc == 0) {
        daemon = zcert_new ();
        if (!daemon) {
            cf_problems_add (problems, "identity.curve",
                             "cannot make a key pair: libzmq has no CURVE");
            rc = CF_EIO;
        }
    }
    if (rc == 0) {
        zcert_set_meta (daemon, "name", "certflowd");
        char *text = cf_identity_secret_text (daemon);
        rc = s_write_new (layout->daemon_secret, text, problems);
        free (text);
        wrote_daemon_secret = rc == 0;
    }
    if (rc == 0) {
        char *text = s_cert_text (daemon, false);
        rc = s_write_new (layout->daemon_public, text, problems);
        free (text);
    }
    if (rc != 0) {
        //  A half-made directory would refuse the next init; undo
        if (wrote_daemon_secret)
            unlink (layout->daemon_secret);
        if (wrote_admin_secret)
            unlink (layout->admin_secret);
        if (wrote_admin_public)
            unlink (layout->admin_public);
    } else
        cf_log_notice ("identity initialized data=%s admin=%s", data_dir,
                       zcert_public_txt (admin));
    zcert_destroy (&daemon);
    zcert_destroy (&admin);
    return rc;
}

int
cf_identity_init (const char *data_dir, cf_problems_t *problems)
{
    assert (data_dir);
    s_layout_t layout = {
        .keys_dir = zsys_sprintf ("%s/keys", data_dir),
        .certs_dir = zsys_sprintf ("%s/certs", data_dir),
        .daemon_public = zsys_sprintf ("%s/keys/daemon.cert", data_dir),
        .daemon_secret = zsys_sprintf ("%s/keys/daemon.cert_secret", data_dir),
        .admin_secret = zsys_sprintf ("%s/admin.cert", data_dir),
        .admin_public = zsys_sprintf ("%s/certs/admin-admin.cert", data_dir),
    };
    assert (layout.keys_dir && layout.certs_dir && layout.daemon_public &&
            layout.daemon_secret && layout.admin_secret && layout.admin_public);

    //  Everything that would be overwritten is named, so one look suffices
    int rc = 0;
    const char *ours[] = {layout.daemon_public, layout.daemon_secret,
                          layout.admin_secret, layout.admin_public};
    for (size_t index = 0; index < sizeof ours / sizeof ours[0]; index++)
        if (s_exists (ours[index])) {
            cf_problems_add (problems, "identity.exists",
                             "%s already exists: %s is initialized; use "
                             "another data directory",
                             ours[index], data_dir);
            rc = CF_EEXIST;
        }
    if (rc == 0) {
        mode_t old_umask = umask (077);
        rc = s_init_files (data_dir, &layout, problems);
        umask (old_umask);
        if (rc == CF_EEXIST) {
            //  Not there when we looked: someone else is writing here
            cf_problems_add (problems, "identity.exists",
                             "a file appeared in %s during init; try again",
                             data_dir);
            rc = CF_EIO;
        }
        if (rc != 0)
            cf_log_error ("identity init failed data=%s rc=%s", data_dir,
                          cf_errname (rc));
    }
    free (layout.keys_dir);
    free (layout.certs_dir);
    free (layout.daemon_public);
    free (layout.daemon_secret);
    free (layout.admin_secret);
    free (layout.admin_public);
    return rc;
}

int
cf_identity_issue (const char *certs_dir, const char *name, const char *role,
                   const char *org, zcert_t **cert_p, cf_problems_t *problems)
{
    return cf_identity_issue_for (certs_dir, name, role, org, NULL, cert_p,
                                  problems);
}

//  True when the certificate file at path was written for request
static bool
s_issued_for (const char *path, const char *request)
{
    zcert_t *cert = s_cert_from_file (path);
    const char *written = cert ? zcert_meta (cert, "request") : NULL;
    bool same = written && strcmp (written, request) == 0;
    zcert_destroy (&cert);
    return same;
}

int
cf_identity_issue_for (const char *certs_dir, const char *name,
                       const char *role, const char *org, const char *request,
                       zcert_t **cert_p, cf_problems_t *problems)
{
    assert (certs_dir && cert_p);
    assert (!request || s_valid_token (request));
    *cert_p = NULL;
    int rc = 0;
    cf_role_t role_value = CF_ROLE_NONE;
    if (!s_valid_token (name)) {
        cf_problems_add (problems, "identity.name",
                         "name \"%s\" is not valid: give 1 to %d letters, "
                         "digits, '-', '_', '.' or '@'",
                         name ? name : "", S_TOKEN_MAX);
        rc = CF_EINVAL;
    }
    if (cf_fsm_role_from_name (role, &role_value) != 0 ||
        role_value == CF_ROLE_SYSTEM) {
        cf_problems_add (problems, "identity.role",
                         "role \"%s\" cannot be issued: give applicant, "
                         "reviewer, auditor, committee, admin, worker or "
                         "monitor",
                         role ? role : "");
        rc = CF_EINVAL;
    }
    bool has_org = org && *org;
    if (role_value == CF_ROLE_APPLICANT && !has_org) {
        cf_problems_add (problems, "identity.org",
                         "an applicant needs an org: give the organization "
                         "code the applicant acts for");
        rc = CF_EINVAL;
    } else if (has_org && !s_valid_token (org)) {
        cf_problems_add (problems, "identity.org",
                         "org \"%s\" is not valid: give 1 to %d letters, "
                         "digits, '-', '_', '.' or '@'",
                         org, S_TOKEN_MAX);
        rc = CF_EINVAL;
    }
    if (rc != 0)
        return rc;

    zcert_t *cert = zcert_new ();
    if (!cert) {
        cf_problems_add (problems, "identity.curve",
                         "cannot make a key pair: libzmq has no CURVE");
        return CF_EIO;
    }
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    if (has_org)
        zcert_set_meta (cert, "org", "%s", org);
    if (request)
        zcert_set_meta (cert, "request", "%s", request);
    char *path = zsys_sprintf ("%s/%s-%s.cert", certs_dir, role, name);
    char *text = s_cert_text (cert, false);
    assert (path && text);
    rc = s_write_new (path, text, problems);
    //  The file of this very request, from an issue that was never
    //  answered (the daemon stopped before it committed): its secret half
    //  went to no one, and the retry's new key pair takes its place
    if (rc == CF_EEXIST && request && s_issued_for (path, request)) {
        cf_log_notice ("identity %s %s: the certificate of an issue that "
                       "never committed is replaced by its retry",
                       role, name);
        rc = s_write_file (path, text, true, problems);
    }
    if (rc == CF_EEXIST)
        cf_problems_add (problems, "identity.exists",
                         "%s %s already has a certificate; revoke it first",
                         role, name);
    if (rc == 0) {
        cf_log_info ("identity issued name=%s role=%s org=%s key=%s", name,
                     role, has_org ? org : "", zcert_public_txt (cert));
        *cert_p = cert;
    } else
        zcert_destroy (&cert);
    free (text);
    free (path);
    return rc;
}

char *
cf_identity_secret_text (zcert_t *cert)
{
    assert (cert);
    return s_cert_text (cert, true);
}

int
cf_identity_revoke (const char *certs_dir, const char *public_key,
                    cf_problems_t *problems)
{
    assert (certs_dir && public_key);
    struct stat info;
    if (stat (certs_dir, &info) != 0 || !S_ISDIR (info.st_mode)) {
        cf_problems_add (problems, "identity.io",
                         "certificate directory %s is missing; check --data",
                         certs_dir);
        return CF_EIO;
    }
    //  zdir lists what zcertstore (and so zauth) reads, subdirectories too
    int rc = 0;
    size_t removed = 0;
    zlistx_t *paths = s_cert_paths (certs_dir);
    for (const char *path = zlistx_first (paths); path;
         path = zlistx_next (paths)) {
        zcert_t *cert = s_cert_from_file (path);
        if (cert && streq (zcert_public_txt (cert), public_key)) {
            if (unlink (path) == 0) {
                removed++;
                cf_log_notice ("identity revoked key=%s file=%s", public_key,
                               path);
            } else {
                cf_problems_add (problems, "identity.io",
                                 "cannot remove %s: %s", path,
                                 strerror (errno));
                rc = CF_EIO;
            }
        }
        zcert_destroy (&cert);
    }
    zlistx_destroy (&paths);
    if (rc == 0 && removed == 0) {
        cf_problems_add (problems, "identity.unknown_key",
                         "no certificate has public key \"%.*s\"; copy the "
                         "key from whoami or the issue reply",
                         CF_UTF8_CUT (public_key, CF_UTF8_QUOTE_MAX));
        rc = CF_ENOTFOUND;
    }
    if (removed > 0)
        s_sync_dir (certs_dir);
    return rc;
}

//  --------------------------------------------------------------------------
//  Sockets

int
cf_identity_auth_start (const char *certs_dir, zactor_t **auth_p)
{
    assert (certs_dir && auth_p);
    *auth_p = NULL;
    struct stat info;
    if (stat (certs_dir, &info) != 0 || !S_ISDIR (info.st_mode)) {
        cf_log_error ("identity certificate directory missing dir=%s",
                      certs_dir);
        return CF_EIO;
    }
    zactor_t *auth = zactor_new (zauth, NULL);
    if (!auth) {
        cf_log_error ("identity zauth did not start");
        return CF_EIO;
    }
    int rc = cf_identity_auth_reload (auth, certs_dir);
    if (rc != 0)
        zactor_destroy (&auth);
    *auth_p = auth;
    return rc;
}

//  Writes certs_dir/.zauth as the keys of the certificates of certs_dir:
//  a file per key, named by its hex, what is missing written (atomically:
//  temporary names end in "_secret"), what is no longer there removed.
//  Returns 0 or CF_EIO (logged).
static int
s_zauth_sync (const char *certs_dir, const char *zauth_dir)
{
    if (mkdir (zauth_dir, 0700) != 0 && errno != EEXIST) {
        cf_log_error ("identity cannot make dir=%s: %s", zauth_dir,
                      strerror (errno));
        return CF_EIO;
    }
    //  File name -> its text
    zhashx_t *wanted = zhashx_new ();
    assert (wanted);
    zhashx_set_destructor (wanted, (zhashx_destructor_fn *)zstr_free);
    zlistx_t *paths = s_cert_paths (certs_dir);
    for (const char *path = zlistx_first (paths); path;
         path = zlistx_next (paths)) {
        zcert_t *cert = s_cert_from_file (path);
        if (!cert) {
            cf_log_warn ("identity file is not a certificate (ZPL with "
                         "curve/public-key); no key of it is admitted: fix "
                         "or remove it file=%s",
                         path);
            continue;
        }
        char name[2 * 32 + sizeof ".cert"];
        const byte *key = zcert_public_key (cert);
        for (size_t at = 0; at < 32; at++)
            snprintf (name + 2 * at, 3, "%02x", key[at]);
        strcat (name, ".cert");
        char *text = zsys_sprintf ("curve\n    public-key = \"%s\"\n",
                                   zcert_public_txt (cert));
        assert (text);
        if (zhashx_insert (wanted, name, text) != 0)
            zstr_free (&text);
        zcert_destroy (&cert);
    }
    zlistx_destroy (&paths);

    int rc = 0;
    DIR *listing = opendir (zauth_dir);
    struct dirent *entry;
    while (listing && (entry = readdir (listing))) {
        if (entry->d_name[0] == '.' || zhashx_lookup (wanted, entry->d_name))
            continue;
        char *path = zsys_sprintf ("%s/%s", zauth_dir, entry->d_name);
        assert (path);
        if (unlink (path) != 0 && errno != ENOENT) {
            cf_log_error ("identity cannot remove file=%s: %s", path,
                          strerror (errno));
            rc = CF_EIO;
        }
        zstr_free (&path);
    }
    if (listing)
        closedir (listing);
    for (const char *text = zhashx_first (wanted); text && rc == 0;
         text = zhashx_next (wanted)) {
        char *path = zsys_sprintf ("%s/%s", zauth_dir,
                                   (const char *)zhashx_cursor (wanted));
        assert (path);
        if (access (path, F_OK) != 0) {
            cf_problems_t *problems = cf_problems_new ();
            rc = s_write_file (path, text, true, problems);
            if (rc) {
                char *why = cf_problems_join (problems);
                cf_log_error ("identity %s", why);
                free (why);
            }
            cf_problems_destroy (&problems);
        }
        zstr_free (&path);
    }
    zhashx_destroy (&wanted);
    return rc;
}

int
cf_identity_auth_reload (zactor_t *auth, const char *certs_dir)
{
    assert (auth && certs_dir);
    char *zauth_dir = zsys_sprintf ("%s/%s", certs_dir, S_ZAUTH_DIR);
    assert (zauth_dir);
    int rc = s_zauth_sync (certs_dir, zauth_dir);
    if (rc == 0 && (zstr_sendx (auth, "CURVE", zauth_dir, NULL) != 0 ||
                    zsock_wait (auth) != 0)) {
        cf_log_error ("identity zauth did not take dir=%s", zauth_dir);
        rc = CF_EIO;
    }
    zstr_free (&zauth_dir);
    return rc;
}

void
cf_identity_server (zsock_t *socket, zcert_t *server_cert)
{
    assert (socket && server_cert);
    assert (!s_key_is_null (zcert_secret_key (server_cert)));
    zsock_set_zap_domain (socket, CF_IDENTITY_DOMAIN);
    int enforce = 1;
    if (zmq_setsockopt (zsock_resolve (socket), ZMQ_ZAP_ENFORCE_DOMAIN,
                        &enforce, sizeof enforce) != 0) {
        //  Without it, CURVE with no ZAP handler admits any key pair
        cf_log_error ("identity ZMQ_ZAP_ENFORCE_DOMAIN refused: %s",
                      zmq_strerror (zmq_errno ()));
        abort ();
    }
    zcert_apply (server_cert, socket);
    zsock_set_curve_server (socket, 1);
}

int
cf_identity_load_server (const char *data_dir, zcert_t **cert_p,
                         cf_problems_t *problems)
{
    assert (data_dir && cert_p);
    char *path = zsys_sprintf ("%s/keys/daemon.cert_secret", data_dir);
    assert (path);
    int rc = 0;
    if (!s_exists (path)) {
        *cert_p = NULL;
        cf_problems_add (problems, "identity.not_initialized",
                         "%s holds no daemon keys (%s is missing); run "
                         "certflowd init first",
                         data_dir, path);
        rc = CF_ENOTFOUND;
    } else {
        rc = s_load_cert (path, "daemon secret certificate", true, cert_p,
                          problems);
        if (rc != 0)
            rc = CF_EIO;  //  It exists, so anything else is damage
    }
    free (path);
    return rc;
}

int
cf_identity_client (zsock_t *socket, const char *cert_path,
                    const char *server_cert_path, cf_problems_t *problems)
{
    assert (socket && cert_path && server_cert_path);
    zcert_t *mine = NULL;
    zcert_t *server = NULL;
    int rc = s_load_cert (cert_path, "certificate", true, &mine, problems);
    if (rc == 0)
        rc = s_load_cert (server_cert_path, "server certificate", false,
                          &server, problems);
    if (rc == 0) {
        zcert_apply (mine, socket);
        zsock_set_curve_serverkey (socket, zcert_public_txt (server));
    }
    zcert_destroy (&mine);
    zcert_destroy (&server);
    return rc;
}

//  --------------------------------------------------------------------------
//  The live directory

static void
s_entry_destroy (s_entry_t **self_p)
{
    if (*self_p) {
        s_entry_t *self = *self_p;
        free (self->path);
        free (self->name);
        free (self->role);
        free (self->org);
        free (self);
        *self_p = NULL;
    }
}

//  zhashx's destructor for an entry
static void
s_entry_free (void **item)
{
    s_entry_destroy ((s_entry_t **)item);
}

static bool
s_same_file (const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
           a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
           a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

//  Reads the whole directory again, as zcertstore would
static void
s_scan (cf_identity_t *self)
{
    zhashx_purge (self->entries);
    //  Stat before listing: a change during the listing shows up next time
    self->dir_seen = stat (self->certs_dir, &self->dir) == 0;
    zlistx_t *paths = s_cert_paths (self->certs_dir);
    for (const char *path = zlistx_first (paths); path;
         path = zlistx_next (paths)) {
        struct stat info;
        zcert_t *cert =
            stat (path, &info) == 0 ? s_cert_from_file (path) : NULL;
        if (!cert)
            continue;
        s_entry_t *entry = calloc (1, sizeof (s_entry_t));
        assert (entry);
        entry->path = strdup (path);
        entry->file = info;
        entry->name = s_strdup_or_null (zcert_meta (cert, "name"));
        entry->role = s_strdup_or_null (zcert_meta (cert, "role"));
        entry->org = s_strdup_or_null (zcert_meta (cert, "org"));
        //  Two files with one key: the first listed is the one we know
        if (zhashx_insert (self->entries, zcert_public_txt (cert), entry) != 0)
            s_entry_destroy (&entry);
        zcert_destroy (&cert);
    }
    zlistx_destroy (&paths);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    self->racy = self->dir_seen &&
                 now.tv_sec - self->dir.st_mtim.tv_sec < S_RACY_SECONDS;
}

//  Returns the entry for key as the directory holds it now, or NULL
static s_entry_t *
s_lookup (cf_identity_t *self, const char *key)
{
    s_entry_t *entry = zhashx_lookup (self->entries, key);
    struct stat info;
    if (entry) {
        if (stat (entry->path, &info) == 0 && s_same_file (&entry->file, &info))
            return entry;
    } else {
        bool seen = stat (self->certs_dir, &info) == 0;
        bool unchanged = seen == self->dir_seen &&
                         (!seen || s_same_file (&self->dir, &info));
        if (unchanged && !self->racy)
            return NULL;
    }
    s_scan (self);
    return zhashx_lookup (self->entries, key);
}

cf_identity_t *
cf_identity_new (const char *certs_dir)
{
    assert (certs_dir);
    cf_identity_t *self = calloc (1, sizeof (cf_identity_t));
    assert (self);
    self->certs_dir = strdup (certs_dir);
    self->entries = zhashx_new ();
    assert (self->certs_dir && self->entries);
    zhashx_set_destructor (self->entries, s_entry_free);
    s_scan (self);
    return self;
}

void
cf_identity_destroy (cf_identity_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        cf_identity_t *self = *self_p;
        zhashx_destroy (&self->entries);
        free (self->certs_dir);
        free (self);
        *self_p = NULL;
    }
}

int
cf_identity_principal (cf_identity_t *self, zframe_t *frame,
                       Cf__Principal **principal_p)
{
    assert (self && frame && principal_p);
    return cf_identity_principal_of (self, zframe_meta (frame, "User-Id"),
                                     principal_p);
}

int
cf_identity_principal_of (cf_identity_t *self, const char *key,
                          Cf__Principal **principal_p)
{
    assert (self && principal_p);
    *principal_p = NULL;
    if (!key || strlen (key) != 40)
        return CF_EDENIED;
    s_entry_t *entry = s_lookup (self, key);
    if (!entry) {
        cf_log_debug ("identity unknown or revoked key=%s", key);
        return CF_EDENIED;
    }
    //  A certificate made by hand gets the checks identity issue makes
    cf_role_t role;
    if (!s_valid_token (entry->name) ||
        cf_fsm_role_from_name (entry->role, &role) != 0 ||
        role == CF_ROLE_SYSTEM ||
        (entry->org && *entry->org && !s_valid_token (entry->org)) ||
        (role == CF_ROLE_APPLICANT && !s_valid_token (entry->org))) {
        cf_log_warn ("identity certificate lacks a valid name, role or org "
                     "file=%s",
                     entry->path);
        return CF_EINVAL;
    }
    Cf__Principal *principal = cf_pb_new (&cf__principal__descriptor);
    cf_pb_set_string (&principal->key, key);
    cf_pb_set_string (&principal->name, entry->name);
    cf_pb_set_string (&principal->org, entry->org);
    principal->role = (Cf__Role)role;
    *principal_p = principal;
    return 0;
}
