/*  =========================================================================
    cf_seal - the certificate's seal: a signature anyone can check offline

    See cf_seal.h for the signed messages and the payload.
    =========================================================================
*/

#include "cf_seal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf_file.h"
#include "cf_mem.h"
#include "cf_text.h"
#include "cf_utf8.h"

#define S_SIG_SIZE     crypto_sign_BYTES
#define S_MAGIC        "certflow1"
#define S_PATH         "/certificates/"
#define S_KEYWORDS     "certflow-seal:"
#define S_FIELD_TAG    "certflow-seal-field-1"
#define S_WHOLE_TAG    "certflow-seal-1"
#define S_KEY_FILE_MAX 4096

struct _cf_seal_key_t {
    uint8_t public_key[crypto_sign_PUBLICKEYBYTES];  //  Verifies
    uint8_t secret_key[crypto_sign_SECRETKEYBYTES];  //  Signs, if has_secret
    bool has_secret;                                 //  Loaded from the secret
    char id[CF_SEAL_KEY_ID_SIZE + 1];                //  Hex of SHA-256[0..8]
};

struct _cf_seal_t {
    char *register_url;                    //  Base of the register
    char *number;                          //  Certificate number
    char key_id[CF_SEAL_KEY_ID_SIZE + 1];  //  Signer's key id, once signed
    char *values[CF_SEAL_FIELD_COUNT];     //  The fields
    uint8_t whole[S_SIG_SIZE];             //  Signature over everything
    uint8_t number_sig[S_SIG_SIZE];        //  Signature of the number
    uint8_t sigs[CF_SEAL_FIELD_COUNT][S_SIG_SIZE];  //  One per field
    bool signed_;                                   //  Signatures present
};

static const char *s_names[] = {
#define CF_SEAL_NAME(constant, name, zh, en) name,
    CF_SEAL_FIELDS (CF_SEAL_NAME)
#undef CF_SEAL_NAME
};
static const char *s_zh[] = {
#define CF_SEAL_ZH(constant, name, zh, en) zh,
    CF_SEAL_FIELDS (CF_SEAL_ZH)
#undef CF_SEAL_ZH
};
static const char *s_en[] = {
#define CF_SEAL_EN(constant, name, zh, en) en,
    CF_SEAL_FIELDS (CF_SEAL_EN)
#undef CF_SEAL_EN
};

const char *
cf_seal_field_name (cf_seal_field_t field)
{
    return field < CF_SEAL_FIELD_COUNT ? s_names[field] : "?";
}

const char *
cf_seal_field_zh (cf_seal_field_t field)
{
    return field < CF_SEAL_FIELD_COUNT ? s_zh[field] : "?";
}

const char *
cf_seal_field_en (cf_seal_field_t field)
{
    return field < CF_SEAL_FIELD_COUNT ? s_en[field] : "?";
}

//  ------------------------------------------------------------------------
//  Keys

static void
s_key_finish (cf_seal_key_t *key)
{
    uint8_t hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, key->public_key, sizeof key->public_key);
    sodium_bin2hex (key->id, sizeof key->id, hash, CF_SEAL_KEY_ID_SIZE / 2);
}

//  Reads the hex of size bytes from text, skipping '#' comment lines and
//  white space; false when text holds anything else
static bool
s_read_hex (const char *text, uint8_t *bytes, size_t size)
{
    char hex[2 * 64 + 1];
    size_t length = 0;
    const char *cursor = text;
    while (*cursor) {
        if (*cursor == '#') {
            while (*cursor && *cursor != '\n')
                cursor++;
            continue;
        }
        if (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' ||
            *cursor == '\n') {
            cursor++;
            continue;
        }
        if (length >= 2 * size)
            return false;
        hex[length++] = *cursor++;
    }
    hex[length] = '\0';
    size_t decoded = 0;
    return length == 2 * size &&
           sodium_hex2bin (bytes, size, hex, length, NULL, &decoded, NULL) ==
               0 &&
           decoded == size;
}

int
cf_seal_key_parse (const char *text, cf_seal_key_t **key_p,
                   cf_problems_t *problems)
{
    assert (text && key_p);
    *key_p = NULL;
    cf_seal_key_t *key = cf_mem_check (calloc (1, sizeof (cf_seal_key_t)));
    if (!s_read_hex (text, key->public_key, sizeof key->public_key)) {
        cf_problems_add (problems, "seal.key",
                         "not a certflow public signing key: it holds the "
                         "%d-byte Ed25519 public key in hex (%d characters), "
                         "as in DATA/keys/" CF_SEAL_PUBLIC_FILE,
                         crypto_sign_PUBLICKEYBYTES,
                         2 * crypto_sign_PUBLICKEYBYTES);
        free (key);
        return CF_EINVAL;
    }
    s_key_finish (key);
    *key_p = key;
    return 0;
}

int
cf_seal_key_load (const char *path, bool secret, cf_seal_key_t **key_p,
                  cf_problems_t *problems)
{
    assert (path && key_p);
    *key_p = NULL;
    char *text = NULL;
    size_t size = 0;
    int error = cf_file_read (path, S_KEY_FILE_MAX, &text, &size);
    if (error) {
        cf_problems_add (problems, "seal.key", "cannot read %s: %s", path,
                         strerror (error));
        return error == ENOENT ? CF_ENOTFOUND : CF_EIO;
    }
    int rc = 0;
    if (!secret) {
        rc = cf_seal_key_parse (text, key_p, NULL);
        if (rc)
            cf_problems_add (
                problems, "seal.key",
                "%s is not a certflow public signing key: it holds the "
                "Ed25519 public key in hex, as DATA/keys/" CF_SEAL_PUBLIC_FILE
                " that certflowd init writes",
                path);
    } else {
        uint8_t seed[crypto_sign_SEEDBYTES];
        cf_seal_key_t *key = cf_mem_check (calloc (1, sizeof (cf_seal_key_t)));
        if (strlen (text) != size || !s_read_hex (text, seed, sizeof seed)) {
            cf_problems_add (problems, "seal.key",
                             "%s is not a certflow secret signing key (the "
                             "hex of a %d-byte seed); restore it from a "
                             "backup, or move it away to make a new one",
                             path, crypto_sign_SEEDBYTES);
            free (key);
            rc = CF_EINVAL;
        } else {
            crypto_sign_seed_keypair (key->public_key, key->secret_key, seed);
            key->has_secret = true;
            s_key_finish (key);
            *key_p = key;
        }
        sodium_memzero (seed, sizeof seed);
    }
    sodium_memzero (text, size);
    free (text);
    return rc;
}

//  Writes text to a new file path with mode, whole or not at all; CF_EEXIST
//  when it exists (no problem added), else 0 or CF_EIO
static int
s_write_new (const char *path, const char *text, mode_t mode,
             cf_problems_t *problems)
{
    char *temp = NULL;
    if (asprintf (&temp, "%s.new-XXXXXX", path) < 0)
        cf_mem_fail ();
    int fd = mkstemp (temp);
    int error = fd < 0 ? errno : 0;
    size_t left = strlen (text);
    const char *cursor = text;
    while (error == 0 && left > 0) {
        ssize_t written = write (fd, cursor, left);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            error = written < 0 ? errno : EIO;
        else {
            cursor += written;
            left -= (size_t)written;
        }
    }
    if (error == 0 && (fchmod (fd, mode) != 0 || fsync (fd) != 0))
        error = errno;
    if (fd >= 0 && close (fd) != 0 && error == 0)
        error = errno;
    int rc = 0;
    if (error == 0 && link (temp, path) != 0)
        error = errno;
    if (error == EEXIST)
        rc = CF_EEXIST;
    else if (error) {
        cf_problems_add (problems, "seal.io",
                         "cannot write %s: %s; check that the directory "
                         "exists and is writable",
                         path, strerror (error));
        rc = CF_EIO;
    }
    if (fd >= 0)
        unlink (temp);
    free (temp);
    return rc;
}

//  Writes the public half of key to path (0644)
static int
s_write_public (const char *path, const cf_seal_key_t *key,
                cf_problems_t *problems)
{
    char hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
    sodium_bin2hex (hex, sizeof hex, key->public_key, sizeof key->public_key);
    char *text = NULL;
    if (asprintf (&text,
                  "#   certflow certificate signing key (Ed25519 public key)\n"
                  "#   key id %s: give this file to whoever checks a "
                  "certificate\n%s\n",
                  key->id, hex) < 0)
        cf_mem_fail ();
    int rc = s_write_new (path, text, 0644, problems);
    free (text);
    return rc;
}

int
cf_seal_key_create (const char *keys_dir, cf_problems_t *problems)
{
    assert (keys_dir);
    uint8_t seed[crypto_sign_SEEDBYTES];
    randombytes_buf (seed, sizeof seed);
    cf_seal_key_t key = {0};
    crypto_sign_seed_keypair (key.public_key, key.secret_key, seed);
    s_key_finish (&key);
    char hex[2 * crypto_sign_SEEDBYTES + 1];
    sodium_bin2hex (hex, sizeof hex, seed, sizeof seed);
    sodium_memzero (seed, sizeof seed);
    char *text = NULL, *secret_path = NULL, *public_path = NULL;
    if (asprintf (&text,
                  "#   certflow certificate signing key (Ed25519 seed): "
                  "secret, keep it\n#   key id %s\n%s\n",
                  key.id, hex) < 0 ||
        asprintf (&secret_path, "%s/" CF_SEAL_SECRET_FILE, keys_dir) < 0 ||
        asprintf (&public_path, "%s/" CF_SEAL_PUBLIC_FILE, keys_dir) < 0)
        cf_mem_fail ();
    sodium_memzero (hex, sizeof hex);
    int rc = s_write_new (secret_path, text, 0600, problems);
    sodium_memzero (text, strlen (text));
    if (rc == 0) {
        //  A public file left by an older key is replaced by this one's
        unlink (public_path);
        rc = s_write_public (public_path, &key, problems);
        if (rc)
            unlink (secret_path);
    }
    sodium_memzero (&key, sizeof key);
    free (text);
    free (secret_path);
    free (public_path);
    return rc;
}

int
cf_seal_key_ensure (const char *keys_dir, cf_seal_key_t **key_p, bool *created,
                    cf_problems_t *problems)
{
    assert (keys_dir && key_p);
    *key_p = NULL;
    if (created)
        *created = false;
    char *secret_path = NULL, *public_path = NULL;
    if (asprintf (&secret_path, "%s/" CF_SEAL_SECRET_FILE, keys_dir) < 0 ||
        asprintf (&public_path, "%s/" CF_SEAL_PUBLIC_FILE, keys_dir) < 0)
        cf_mem_fail ();
    cf_problems_t *why = cf_problems_new ();
    int rc = cf_seal_key_load (secret_path, true, key_p, why);
    if (rc == CF_ENOTFOUND) {
        rc = cf_seal_key_create (keys_dir, problems);
        if (rc == 0 && created)
            *created = true;
        if (rc == 0 || rc == CF_EEXIST)  //  Or made beside us just now
            rc = cf_seal_key_load (secret_path, true, key_p, problems);
    } else
        for (size_t index = 0; index < cf_problems_size (why); index++)
            cf_problems_add (problems, cf_problems_code (why, index), "%s",
                             cf_problems_message (why, index));
    cf_problems_destroy (&why);
    if (rc == 0 && access (public_path, F_OK) != 0) {
        rc = s_write_public (public_path, *key_p, problems);
        if (rc == CF_EEXIST)
            rc = 0;
        if (rc)
            cf_seal_key_destroy (key_p);
    }
    free (secret_path);
    free (public_path);
    return rc;
}

const char *
cf_seal_key_id (const cf_seal_key_t *self)
{
    assert (self);
    return self->id;
}

bool
cf_seal_key_secret (const cf_seal_key_t *self)
{
    assert (self);
    return self->has_secret;
}

void
cf_seal_key_destroy (cf_seal_key_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        sodium_memzero (*self_p, sizeof (cf_seal_key_t));
        free (*self_p);
        *self_p = NULL;
    }
}

//  ------------------------------------------------------------------------
//  Seals

static char *
s_join (char **items, size_t count, const char *separator)
{
    size_t size = 1;
    for (size_t index = 0; index < count; index++)
        size += strlen (items[index]) + strlen (separator);
    char *text = cf_mem_check (calloc (1, size));
    for (size_t index = 0; index < count; index++) {
        if (index)
            strcat (text, separator);
        strcat (text, items[index]);
    }
    return text;
}

bool
cf_seal_url_valid (const char *url)
{
    assert (url);
    size_t scheme = strncmp (url, "https://", 8) == 0  ? 8
                    : strncmp (url, "http://", 7) == 0 ? 7
                                                       : 0;
    if (scheme == 0 || strlen (url) <= scheme || strlen (url) > 200 ||
        url[scheme] == '/')
        return false;
    for (const char *cursor = url; *cursor; cursor++)
        if (*cursor <= 0x20 || *cursor >= 0x7f || *cursor == '#' ||
            *cursor == '?' || *cursor == '%')
            return false;
    return true;
}

cf_seal_t *
cf_seal_new (const Cf__Certificate *cert, const char *grade_text,
             const char *register_url)
{
    assert (cert && grade_text && register_url);
    cf_seal_t *self = cf_mem_check (calloc (1, sizeof (cf_seal_t)));
    self->register_url = cf_mem_check (strdup (register_url));
    size_t length = strlen (self->register_url);
    while (length > 0 && self->register_url[length - 1] == '/')
        self->register_url[--length] = '\0';
    self->number = cf_mem_check (strdup (cert->number));
    const char *plain[CF_SEAL_FIELD_COUNT] = {
        [CF_SEAL_ISSUER] = cert->issuer,
        [CF_SEAL_HOLDER] = cert->company_name,
        [CF_SEAL_USCC] = cert->uscc,
        [CF_SEAL_REGISTERED] = cert->registered_address,
        [CF_SEAL_OPERATING] = cert->operating_address,
        [CF_SEAL_STANDARD] = cert->standard,
        [CF_SEAL_GRADE] = grade_text,
        [CF_SEAL_ISSUED] = cert->issue_date,
        [CF_SEAL_EXPIRES] = cert->expiry_date,
    };
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++)
        if (plain[field])
            self->values[field] = cf_mem_check (strdup (plain[field]));
    self->values[CF_SEAL_SCOPE] = s_join (cert->scope, cert->n_scope, "\n");
    self->values[CF_SEAL_SURVEILLANCE] =
        s_join (cert->surveillance, cert->n_surveillance, ",");
    return self;
}

void
cf_seal_destroy (cf_seal_t **self_p)
{
    assert (self_p);
    cf_seal_t *self = *self_p;
    if (self) {
        free (self->register_url);
        free (self->number);
        for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++)
            free (self->values[field]);
        free (self);
        *self_p = NULL;
    }
}

//  A growing byte buffer for the messages that are signed
typedef struct {
    uint8_t *data;  //  Bytes so far
    size_t size;    //  How many
} s_bytes_t;

static void
s_add (s_bytes_t *bytes, const char *text, bool separator)
{
    size_t length = strlen (text) + (separator ? 1 : 0);
    bytes->data = cf_mem_check (realloc (bytes->data, bytes->size + length));
    if (separator)
        bytes->data[bytes->size++] = 0;
    memcpy (bytes->data + bytes->size, text, length - (separator ? 1 : 0));
    bytes->size += length - (separator ? 1 : 0);
}

//  The message of one field: tag, key id, number, name, value
static s_bytes_t
s_field_message (const cf_seal_t *self, const char *key_id, const char *name,
                 const char *value)
{
    s_bytes_t bytes = {0};
    s_add (&bytes, S_FIELD_TAG, false);
    s_add (&bytes, key_id, true);
    s_add (&bytes, self->number, true);
    s_add (&bytes, name, true);
    s_add (&bytes, value, true);
    return bytes;
}

//  The message of the whole: tag, key id, register, number, every field
static s_bytes_t
s_whole_message (const cf_seal_t *self, const char *key_id)
{
    s_bytes_t bytes = {0};
    s_add (&bytes, S_WHOLE_TAG, false);
    s_add (&bytes, key_id, true);
    s_add (&bytes, self->register_url, true);
    s_add (&bytes, self->number, true);
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++) {
        s_add (&bytes, s_names[field], true);
        s_add (&bytes, self->values[field], true);
    }
    return bytes;
}

int
cf_seal_sign (cf_seal_t *self, const cf_seal_key_t *key,
              cf_problems_t *problems)
{
    assert (self && key);
    if (!key->has_secret) {
        cf_problems_add (problems, "seal.key",
                         "a seal is signed with the secret key; this key is "
                         "public only");
        return CF_EINVAL;
    }
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++)
        if (strlen (self->values[field]) > CF_SEAL_VALUE_MAX) {
            cf_problems_add (problems, "seal.value",
                             "the certificate's %s is %zu bytes, more than "
                             "the %d a document carries",
                             s_names[field], strlen (self->values[field]),
                             CF_SEAL_VALUE_MAX);
            return CF_EINVAL;
        }
    memcpy (self->key_id, key->id, sizeof self->key_id);
    s_bytes_t bytes = s_field_message (self, key->id, "number", self->number);
    crypto_sign_detached (self->number_sig, NULL, bytes.data, bytes.size,
                          key->secret_key);
    free (bytes.data);
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++) {
        bytes = s_field_message (self, key->id, s_names[field],
                                 self->values[field]);
        crypto_sign_detached (self->sigs[field], NULL, bytes.data, bytes.size,
                              key->secret_key);
        free (bytes.data);
    }
    bytes = s_whole_message (self, key->id);
    crypto_sign_detached (self->whole, NULL, bytes.data, bytes.size,
                          key->secret_key);
    free (bytes.data);
    self->signed_ = true;
    return 0;
}

//  Appends value with '%', ';', '#', space and control bytes escaped
static void
s_append_escaped (cf_text_t *text, const char *value)
{
    for (const unsigned char *cursor = (const unsigned char *)value; *cursor;
         cursor++) {
        if (*cursor <= 0x20 || *cursor == 0x7f || *cursor == '%' ||
            *cursor == ';' || *cursor == '#') {
            char escape[4];
            snprintf (escape, sizeof escape, "%%%02X", *cursor);
            cf_text_append (text, escape, 3);
        } else
            cf_text_append (text, (const char *)cursor, 1);
    }
}

static void
s_append_base64 (cf_text_t *text, const uint8_t *bytes, size_t size)
{
    size_t length = sodium_base64_ENCODED_LEN (
        size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *encoded = cf_mem_check (malloc (length));
    sodium_bin2base64 (encoded, length, bytes, size,
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    cf_text_add (text, encoded);
    free (encoded);
}

char *
cf_seal_payload (const cf_seal_t *self)
{
    assert (self);
    if (!self->signed_)
        return NULL;
    cf_text_t text = {0};
    cf_text_add (&text, self->register_url);
    cf_text_add (&text, S_PATH);
    cf_text_add (&text, self->number);
    cf_text_add (&text, "#" S_MAGIC ";key=");
    cf_text_add (&text, self->key_id);
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++) {
        cf_text_add (&text, ";");
        cf_text_add (&text, s_names[field]);
        cf_text_add (&text, "=");
        s_append_escaped (&text, self->values[field]);
    }
    cf_text_add (&text, ";sig=");
    s_append_base64 (&text, self->whole, sizeof self->whole);
    cf_text_add (&text, ";fsig=");
    uint8_t all[(1 + CF_SEAL_FIELD_COUNT) * S_SIG_SIZE];
    memcpy (all, self->number_sig, S_SIG_SIZE);
    memcpy (all + S_SIG_SIZE, self->sigs, sizeof self->sigs);
    s_append_base64 (&text, all, sizeof all);
    return text.data;
}

char *
cf_seal_register_link (const cf_seal_t *self)
{
    assert (self);
    char *link = NULL;
    if (asprintf (&link, "%s" S_PATH "%s", self->register_url, self->number) <
        0)
        cf_mem_fail ();
    return link;
}

//  ------------------------------------------------------------------------
//  Reading a payload

static int
s_hex_digit (char digit)
{
    if (digit >= '0' && digit <= '9')
        return digit - '0';
    if (digit >= 'A' && digit <= 'F')
        return digit - 'A' + 10;
    if (digit >= 'a' && digit <= 'f')
        return digit - 'a' + 10;
    return -1;
}

//  Decodes the percent escapes of size bytes at text into a new string;
//  NULL (with a problem naming what) when an escape is bad, a NUL would
//  result, or the value is not UTF-8 or too long
static char *
s_unescape (const char *text, size_t size, const char *what,
            cf_problems_t *problems)
{
    if (size > 3 * CF_SEAL_VALUE_MAX) {
        cf_problems_add (problems, "seal.value",
                         "%s is longer than a seal's %d bytes", what,
                         CF_SEAL_VALUE_MAX);
        return NULL;
    }
    char *value = cf_mem_check (malloc (size + 1));
    size_t length = 0;
    for (size_t index = 0; index < size; index++) {
        if (text[index] != '%') {
            value[length++] = text[index];
            continue;
        }
        int high = index + 2 < size ? s_hex_digit (text[index + 1]) : -1;
        int low = index + 2 < size ? s_hex_digit (text[index + 2]) : -1;
        if (high < 0 || low < 0 || (high == 0 && low == 0)) {
            cf_problems_add (problems, "seal.escape",
                             "%s has a bad escape at byte %zu (a '%%' takes "
                             "two hex digits, not 00)",
                             what, index + 1);
            free (value);
            return NULL;
        }
        value[length++] = (char)(high * 16 + low);
        index += 2;
    }
    value[length] = '\0';
    if (length > CF_SEAL_VALUE_MAX || !cf_utf8_valid (value, length)) {
        cf_problems_add (problems, "seal.value",
                         length > CF_SEAL_VALUE_MAX
                             ? "%s is longer than a seal's value may be"
                             : "%s is not UTF-8 text",
                         what);
        free (value);
        return NULL;
    }
    return value;
}

//  Decodes unpadded URL-safe base64 of exactly size bytes
static bool
s_base64 (const char *text, size_t length, uint8_t *bytes, size_t size)
{
    size_t decoded = 0;
    return sodium_base642bin (bytes, size, text, length, NULL, &decoded, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
           decoded == size;
}

static bool
s_number_char (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

//  Reads the item name=value of size bytes at item into seal; seen marks
//  what was read (fields, then key, sig, fsig)
static int
s_parse_item (cf_seal_t *seal, const char *item, size_t size, bool *seen,
              cf_problems_t *problems)
{
    const char *equals = memchr (item, '=', size);
    if (!equals) {
        cf_problems_add (problems, "seal.item",
                         "'%.*s' is not name=value; the seal was cut or "
                         "changed",
                         CF_UTF8_CUT (item, size < 40 ? (int)size : 40));
        return CF_EPARSE;
    }
    size_t name_size = (size_t)(equals - item);
    const char *value = equals + 1;
    size_t value_size = size - name_size - 1;
    static const char *extra[] = {"key", "sig", "fsig"};
    size_t slot = CF_SEAL_FIELD_COUNT + 3;
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++)
        if (strlen (s_names[field]) == name_size &&
            memcmp (s_names[field], item, name_size) == 0)
            slot = field;
    for (size_t index = 0; index < 3; index++)
        if (strlen (extra[index]) == name_size &&
            memcmp (extra[index], item, name_size) == 0)
            slot = CF_SEAL_FIELD_COUNT + index;
    if (slot == CF_SEAL_FIELD_COUNT + 3) {
        cf_problems_add (
            problems, "seal.item", "'%.*s' is not an item of a certflow seal",
            CF_UTF8_CUT (item, name_size < 40 ? (int)name_size : 40));
        return CF_EPARSE;
    }
    const char *name = slot < CF_SEAL_FIELD_COUNT
                           ? s_names[slot]
                           : extra[slot - CF_SEAL_FIELD_COUNT];
    if (seen[slot]) {
        cf_problems_add (problems, "seal.item",
                         "%s is given twice; a seal has each item once", name);
        return CF_EPARSE;
    }
    seen[slot] = true;
    if (slot < CF_SEAL_FIELD_COUNT) {
        seal->values[slot] = s_unescape (value, value_size, name, problems);
        return seal->values[slot] ? 0 : CF_EPARSE;
    }
    bool good = false;
    if (slot == CF_SEAL_FIELD_COUNT) {
        good = value_size == CF_SEAL_KEY_ID_SIZE;
        for (size_t index = 0; good && index < value_size; index++)
            good = (value[index] >= '0' && value[index] <= '9') ||
                   (value[index] >= 'a' && value[index] <= 'f');
        if (good) {
            memcpy (seal->key_id, value, value_size);
            seal->key_id[value_size] = '\0';
        }
    } else if (slot == CF_SEAL_FIELD_COUNT + 1)
        good = s_base64 (value, value_size, seal->whole, sizeof seal->whole);
    else {
        uint8_t all[(1 + CF_SEAL_FIELD_COUNT) * S_SIG_SIZE];
        good = s_base64 (value, value_size, all, sizeof all);
        if (good) {
            memcpy (seal->number_sig, all, S_SIG_SIZE);
            memcpy (seal->sigs, all + S_SIG_SIZE, sizeof seal->sigs);
        }
    }
    if (!good && slot == CF_SEAL_FIELD_COUNT)
        cf_problems_add (problems, "seal.item",
                         "key is not a key id (%d lower case hex digits)",
                         CF_SEAL_KEY_ID_SIZE);
    else if (!good)
        cf_problems_add (problems, "seal.item",
                         "%s is not the signatures in URL-safe base64; the "
                         "seal was cut or changed",
                         name);
    return good ? 0 : CF_EPARSE;
}

static int s_parse (const char *text, size_t size, cf_seal_t **seal_p,
                    cf_problems_t *problems);

int
cf_seal_parse (const char *text, size_t size, cf_seal_t **seal_p,
               cf_problems_t *problems)
{
    assert (text && seal_p);
    *seal_p = NULL;
    if (size > CF_SEAL_PAYLOAD_MAX) {
        cf_problems_add (problems, "seal.size",
                         "the payload is %zu bytes, more than the %d a seal "
                         "may be; pass the text of the QR code or the PDF",
                         size, CF_SEAL_PAYLOAD_MAX);
        return CF_ELIMIT;
    }
    if (memchr (text, 0, size)) {
        cf_problems_add (problems, "seal.form",
                         "not a certflow seal: it holds a NUL byte");
        return CF_EPARSE;
    }
    char *copy = cf_mem_check (strndup (text, size));
    int rc = s_parse (copy, size, seal_p, problems);
    free (copy);
    return rc;
}

//  cf_seal_parse on a NUL-terminated copy
static int
s_parse (const char *text, size_t size, cf_seal_t **seal_p,
         cf_problems_t *problems)
{
    //  White space around it, and a scanner's "QR-Code:" before it
    while (size > 0 &&
           (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')) {
        text++;
        size--;
    }
    while (size > 0 && (text[size - 1] == ' ' || text[size - 1] == '\t' ||
                        text[size - 1] == '\r' || text[size - 1] == '\n'))
        size--;
    if (size >= 8 && memcmp (text, "QR-Code:", 8) == 0) {
        text += 8;
        size -= 8;
    }
    const char *hash = memchr (text, '#', size);
    const char *path = NULL;
    for (const char *cursor = text; hash && cursor + strlen (S_PATH) <= hash;
         cursor++)
        if (memcmp (cursor, S_PATH, strlen (S_PATH)) == 0)
            path = cursor;
    size_t magic = strlen (S_MAGIC);
    if (!hash || !path || (size_t)(text + size - hash) < 1 + magic ||
        memcmp (hash + 1, S_MAGIC, magic) != 0 ||
        (hash + 1 + magic < text + size && hash[1 + magic] != ';')) {
        cf_problems_add (problems, "seal.form",
                         "not a certflow seal: it is a URL "
                         "REGISTER/certificates/NUMBER#" S_MAGIC
                         ";key=...;...;fsig=..., as in the QR code of a "
                         "certificate document");
        return CF_EPARSE;
    }
    cf_seal_t *seal = cf_mem_check (calloc (1, sizeof (cf_seal_t)));
    int rc = 0;
    const char *number = path + strlen (S_PATH);
    size_t number_size = (size_t)(hash - number);
    bool good = number_size > 0 && number_size <= 64;
    for (size_t index = 0; good && index < number_size; index++)
        good = s_number_char (number[index]);
    //  The address a seal is written with is one cf_seal_new takes, so
    //  that the payload written from what was read reads the same again
    seal->register_url = cf_mem_check (strndup (text, (size_t)(path - text)));
    if (!good) {
        cf_problems_add (problems, "seal.number",
                         "the URL's certificate number is not well formed "
                         "(upper case letters, digits and '-')");
        rc = CF_EPARSE;
    } else if (!cf_seal_url_valid (seal->register_url)) {
        cf_problems_add (problems, "seal.register",
                         "the register's address before " S_PATH
                         " is not an http:// or https:// URL");
        rc = CF_EPARSE;
    } else
        seal->number = cf_mem_check (strndup (number, number_size));
    bool seen[CF_SEAL_FIELD_COUNT + 3] = {false};
    const char *cursor = hash + 1 + magic;
    const char *end = text + size;
    while (rc == 0 && cursor < end) {
        cursor++;  //  The ';'
        const char *next = memchr (cursor, ';', (size_t)(end - cursor));
        if (!next)
            next = end;
        rc = s_parse_item (seal, cursor, (size_t)(next - cursor), seen,
                           problems);
        cursor = next;
    }
    for (size_t slot = 0; rc == 0 && slot < CF_SEAL_FIELD_COUNT + 3; slot++)
        if (!seen[slot]) {
            const char *extra[] = {"key", "sig", "fsig"};
            cf_problems_add (problems, "seal.item",
                             "the seal has no %s; it was cut or changed",
                             slot < CF_SEAL_FIELD_COUNT
                                 ? s_names[slot]
                                 : extra[slot - CF_SEAL_FIELD_COUNT]);
            rc = CF_EPARSE;
        }
    if (rc) {
        cf_seal_destroy (&seal);
        return rc;
    }
    seal->signed_ = true;
    *seal_p = seal;
    return 0;
}

//  ------------------------------------------------------------------------
//  Checking

static bool
s_check (const s_bytes_t *bytes, const uint8_t *sig, const cf_seal_key_t *key)
{
    return crypto_sign_verify_detached (sig, bytes->data, bytes->size,
                                        key->public_key) == 0;
}

int
cf_seal_verify (const cf_seal_t *self, const cf_seal_key_t *key, bool *bad,
                cf_problems_t *problems)
{
    assert (self && key);
    if (bad)
        memset (bad, 0, CF_SEAL_FIELD_COUNT * sizeof (bool));
    if (!self->signed_) {
        cf_problems_add (problems, "seal.unsigned", "the seal is not signed");
        return CF_ECORRUPT;
    }
    if (strcmp (self->key_id, key->id) != 0) {
        cf_problems_add (problems, "seal.key",
                         "signed by key %s, not by the key given (%s): check "
                         "with the public key of the body that issued it, or "
                         "the document was not made by it",
                         self->key_id, key->id);
        return CF_EDENIED;
    }
    int rc = 0;
    s_bytes_t bytes = s_field_message (self, key->id, "number", self->number);
    bool number_good = s_check (&bytes, self->number_sig, key);
    free (bytes.data);
    if (!number_good) {
        cf_problems_add (problems, "seal.number",
                         "number: %s is not the number that was signed "
                         "(every field is bound to it)",
                         self->number);
        if (bad)
            for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++)
                bad[field] = true;
        return CF_ECORRUPT;
    }
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++) {
        bytes = s_field_message (self, key->id, s_names[field],
                                 self->values[field]);
        if (!s_check (&bytes, self->sigs[field], key)) {
            cf_problems_add (problems, "seal.field",
                             "%s (%s %s): '%.*s' is not what was signed",
                             s_names[field], s_zh[field], s_en[field],
                             CF_UTF8_CUT (self->values[field], 80));
            if (bad)
                bad[field] = true;
            rc = CF_ECORRUPT;
        }
        free (bytes.data);
    }
    bytes = s_whole_message (self, key->id);
    bool whole_good = s_check (&bytes, self->whole, key);
    free (bytes.data);
    if (!whole_good && rc == 0) {
        cf_problems_add (problems, "seal.whole",
                         "the register address %s or the seal's whole "
                         "signature was changed",
                         self->register_url);
        rc = CF_ECORRUPT;
    }
    return rc;
}

const char *
cf_seal_number (const cf_seal_t *self)
{
    assert (self);
    return self->number;
}

const char *
cf_seal_register (const cf_seal_t *self)
{
    assert (self);
    return self->register_url;
}

const char *
cf_seal_key_id_of (const cf_seal_t *self)
{
    assert (self);
    return self->key_id;
}

const char *
cf_seal_value (const cf_seal_t *self, cf_seal_field_t field)
{
    assert (self && field < CF_SEAL_FIELD_COUNT);
    return self->values[field];
}

void
cf_seal_set_value (cf_seal_t *self, cf_seal_field_t field, const char *value)
{
    assert (self && field < CF_SEAL_FIELD_COUNT && value);
    free (self->values[field]);
    self->values[field] = cf_mem_check (strdup (value));
}

//  ------------------------------------------------------------------------
//  In files

static bool
s_base64_char (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

char *
cf_seal_keywords (const char *payload)
{
    assert (payload);
    cf_text_t text = {0};
    cf_text_add (&text, S_KEYWORDS);
    s_append_base64 (&text, (const uint8_t *)payload, strlen (payload));
    return text.data;
}

int
cf_seal_find (const char *data, size_t size, char **payload_p)
{
    assert (data && payload_p);
    *payload_p = NULL;
    size_t tag = strlen (S_KEYWORDS);
    const char *found =
        size >= tag ? memmem (data, size, S_KEYWORDS, tag) : NULL;
    if (found) {
        const char *start = found + tag, *end = start;
        while (end < data + size && s_base64_char (*end) &&
               (size_t)(end - start) < 2 * CF_SEAL_PAYLOAD_MAX)
            end++;
        size_t length = (size_t)(end - start);
        char *payload = cf_mem_check (malloc (length + 1));
        size_t decoded = 0;
        if (length > 0 &&
            sodium_base642bin ((uint8_t *)payload, length, start, length, NULL,
                               &decoded, NULL,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
            memchr (payload, 0, decoded) == NULL) {
            payload[decoded] = '\0';
            *payload_p = payload;
            return 0;
        }
        free (payload);
        return CF_ENOTFOUND;
    }
    //  Text: the payload itself, as a scanner prints it
    const char *magic =
        size >= 10 ? memmem (data, size, "#" S_MAGIC, 10) : NULL;
    if (!magic || memchr (data, 0, size))
        return CF_ENOTFOUND;
    *payload_p = cf_mem_check (strndup (data, size));
    return 0;
}
