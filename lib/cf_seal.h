/*  =========================================================================
    cf_seal - the certificate's seal: a signature anyone can check offline

    The certification body signs what a certificate document says with its
    Ed25519 signing key (libsodium), so that a holder's customer can check a
    printed or forwarded document with the body's public key alone, without
    a certflow identity and without the network.

    A seal holds the register's address, the certificate number, the key id
    (the first 8 bytes of SHA-256 of the public key, in hex) and the fields
    below, each a UTF-8 string. It carries one signature per field and one
    over the whole:

        field i:  "certflow-seal-field-1" 0 KEYID 0 NUMBER 0 NAME 0 VALUE
        number:   the same with NAME "number" and VALUE the number
        whole:    "certflow-seal-1" 0 KEYID 0 REGISTER 0 NUMBER
                  then 0 NAME 0 VALUE for every field in order

    Every field's signature is bound to the number and the key, so no field
    can be moved to another certificate, and a changed field is named: its
    own signature fails while the others pass. The whole signature covers
    the register's address and the set of fields.

    The payload is one line, a URL that opens the certificate's entry in the
    public register; what follows '#' never reaches the register:

        REGISTER/certificates/NUMBER#certflow1;key=KEYID;issuer=...;...;
            sig=BASE64URL;fsig=BASE64URL

    Values are written as they are (UTF-8) but for '%', ';', '#', space and
    control characters, which are percent-encoded. sig is the whole's 64
    bytes, fsig the number's then each field's, 64 bytes each, in the order
    of CF_SEAL_FIELDS; both in unpadded URL-safe base64.

    Key files, in DATA/keys: signing.key holds the 32-byte seed of the
    secret key in hex (mode 0600; the daemon's only), signing.pub the public
    key in hex (publish it: it is all a verifier needs). Lines starting with
    '#' are comments.
    =========================================================================
*/

#ifndef CF_SEAL_H_INCLUDED
#define CF_SEAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"

//  X (constant, name in the payload, Chinese label, English label): the
//  fields of a sealed certificate (DOMAIN section 5), in payload order
#define CF_SEAL_FIELDS(X)                                                      \
    X (CF_SEAL_ISSUER, "issuer", "发证机构", "Certification body")             \
    X (CF_SEAL_HOLDER, "holder", "获证组织", "Certificate holder")             \
    X (CF_SEAL_USCC, "uscc", "统一社会信用代码", "Unified social credit code") \
    X (CF_SEAL_REGISTERED, "registered", "注册地址", "Registered address")     \
    X (CF_SEAL_OPERATING, "operating", "经营地址", "Operating address")        \
    X (CF_SEAL_SCOPE, "scope", "认证范围", "Scope of certification")           \
    X (CF_SEAL_STANDARD, "standard", "认证依据", "Standard")                   \
    X (CF_SEAL_GRADE, "grade", "评价等级", "Grade")                            \
    X (CF_SEAL_ISSUED, "issued", "发证日期", "Issue date")                     \
    X (CF_SEAL_EXPIRES, "expires", "有效期至", "Valid until")                  \
    X (CF_SEAL_SURVEILLANCE, "surveillance", "监督审查", "Surveillance due")

typedef enum {
#define CF_SEAL_ENUM(constant, name, zh, en) constant,
    CF_SEAL_FIELDS (CF_SEAL_ENUM)
#undef CF_SEAL_ENUM
        CF_SEAL_FIELD_COUNT  //  How many fields
} cf_seal_field_t;

//  Key id length in characters (hex of 8 bytes)
#define CF_SEAL_KEY_ID_SIZE 16

//  Longest payload accepted, and longest value of a field, in bytes
#define CF_SEAL_PAYLOAD_MAX 8192
#define CF_SEAL_VALUE_MAX   2048

//  The key files in a keys directory
#define CF_SEAL_SECRET_FILE "signing.key"
#define CF_SEAL_PUBLIC_FILE "signing.pub"

//  ------------------------------------------------------------------------
//  Keys

//  A signing key: a public key, and the secret half when loaded from the
//  secret file.
typedef struct _cf_seal_key_t cf_seal_key_t;

//  Creates a new key pair in keys_dir (which must exist): signing.key
//  (0600) and signing.pub (0644), each appearing whole or not at all.
//  Returns 0, CF_EEXIST when signing.key exists already (nothing changed),
//  or CF_EIO (problems name the file and the reason).
int CF_MUST_CHECK cf_seal_key_create (const char *keys_dir,
                                      cf_problems_t *problems);

//  Loads the secret key of keys_dir into *key_p, creating the pair first
//  when signing.key is missing (a data directory initialized before there
//  were seals); *created (may be NULL) says whether it did. A missing
//  signing.pub is written again from the secret. Returns 0, or CF_EIO /
//  CF_EINVAL (problems name the file) with *key_p NULL.
int CF_MUST_CHECK cf_seal_key_ensure (const char *keys_dir,
                                      cf_seal_key_t **key_p, bool *created,
                                      cf_problems_t *problems);

//  Loads a public key file (or, with secret, a secret key file) at path.
//  Returns 0, CF_ENOTFOUND (no such file), CF_EIO, or CF_EINVAL (not a key
//  file: problems say what it must hold); *key_p NULL on error.
int CF_MUST_CHECK cf_seal_key_load (const char *path, bool secret,
                                    cf_seal_key_t **key_p,
                                    cf_problems_t *problems);

//  Reads a public key from text (hex of 32 bytes; '#' comment lines and
//  surrounding white space ignored). Returns 0 or CF_EINVAL.
int CF_MUST_CHECK cf_seal_key_parse (const char *text, cf_seal_key_t **key_p,
                                     cf_problems_t *problems);

//  Returns the key id (CF_SEAL_KEY_ID_SIZE hex characters), borrowed.
const char *cf_seal_key_id (const cf_seal_key_t *self);

//  Returns true when the key holds its secret half (it can sign).
bool cf_seal_key_secret (const cf_seal_key_t *self);

//  Destroys the key (wiping the secret) and nulls *self_p. NULL-safe.
void cf_seal_key_destroy (cf_seal_key_t **self_p);

//  ------------------------------------------------------------------------
//  Seals

typedef struct _cf_seal_t cf_seal_t;

//  Returns the payload name of field ("grade"), and its labels.
const char *cf_seal_field_name (cf_seal_field_t field);
const char *cf_seal_field_zh (cf_seal_field_t field);
const char *cf_seal_field_en (cf_seal_field_t field);

//  The register's address when none is configured: certflow-register's
//  default listening address
#define CF_SEAL_REGISTER_DEFAULT "http://127.0.0.1:8480"

//  Returns true when url may be a register's base address: http:// or
//  https:// and a host, printable ASCII without space, '#', '?' or '%',
//  at most 200 bytes.
bool cf_seal_url_valid (const char *url);

//  Returns a new, unsigned seal of cert: the register's base address
//  register_url (http:// or https://, without a trailing '/'), the number,
//  and the fields: issuer, company name, USCC, both addresses, the scope
//  (items one a line), the standard, grade_text (the grade as a document
//  shows it, e.g. "三星级 three-star ★★★"), issue and expiry dates and the
//  surveillance due dates (comma separated).
cf_seal_t *cf_seal_new (const Cf__Certificate *cert, const char *grade_text,
                        const char *register_url);

//  Destroys the seal and nulls *self_p. NULL-safe.
void cf_seal_destroy (cf_seal_t **self_p);

//  Signs the seal with key, which must hold its secret half. Returns 0, or
//  CF_EINVAL when it does not, or a value is over CF_SEAL_VALUE_MAX or
//  holds a NUL (problems say which).
int CF_MUST_CHECK cf_seal_sign (cf_seal_t *self, const cf_seal_key_t *key,
                                cf_problems_t *problems);

//  Returns the payload of a signed seal (the URL described above), a new
//  string the caller frees; NULL when the seal is not signed.
char *cf_seal_payload (const cf_seal_t *self);

//  Returns the register's address of the certificate (base
//  "/certificates/" number, without the seal), a new string.
char *cf_seal_register_link (const cf_seal_t *self);

//  Reads a payload: the URL, possibly after a scanner's "QR-Code:" and
//  with white space around it, of at most CF_SEAL_PAYLOAD_MAX bytes.
//  Returns 0 with *seal_p a new seal, or CF_EPARSE (not a certflow seal;
//  problems say what is wrong where: a missing or repeated item, a bad
//  escape, base64 or UTF-8) or CF_ELIMIT, with *seal_p NULL.
int CF_MUST_CHECK cf_seal_parse (const char *text, size_t size,
                                 cf_seal_t **seal_p, cf_problems_t *problems);

//  Checks the seal against key (its public half is enough). Returns 0 when
//  every signature holds; CF_EDENIED when the seal names another key id
//  (signed by another key, or the key id was changed); CF_ECORRUPT when a
//  signature fails: problems get one "seal.field" problem per changed field
//  naming it (every field when the number changed: "seal.number"), or
//  "seal.whole" when only the whole's fails (the register's address was
//  changed). bad (may be NULL, CF_SEAL_FIELD_COUNT entries) gets true for
//  each field whose signature fails.
int CF_MUST_CHECK cf_seal_verify (const cf_seal_t *self,
                                  const cf_seal_key_t *key, bool *bad,
                                  cf_problems_t *problems);

//  The parts of a seal, borrowed.
const char *cf_seal_number (const cf_seal_t *self);
const char *cf_seal_register (const cf_seal_t *self);
const char *cf_seal_key_id_of (const cf_seal_t *self);
const char *cf_seal_value (const cf_seal_t *self, cf_seal_field_t field);

//  Replaces the value of field (tests: a tampered document).
void cf_seal_set_value (cf_seal_t *self, cf_seal_field_t field,
                        const char *value);

//  Finds a payload in a file's bytes: a PDF written by certflow (the seal
//  is in its Keywords, as "certflow-seal:" and the payload in URL-safe
//  base64), or text holding the payload URL. Returns 0 with *payload_p a
//  new string, or CF_ENOTFOUND.
int CF_MUST_CHECK cf_seal_find (const char *data, size_t size,
                                char **payload_p);

//  Returns the text "certflow-seal:" + payload in URL-safe base64 that
//  certflow puts in a PDF's Keywords (a new string).
char *cf_seal_keywords (const char *payload);

#endif
