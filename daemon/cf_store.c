/*  =========================================================================
    cf_store - the daemon's durable state in one LMDB environment

    Layout and rules: cf_store.h. A commit runs in two phases inside one
    write transaction: first every write but the events, in the order they
    were added, then the events, so an event always finds its case.
    =========================================================================
*/

#include "cf_store.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <lz4.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cf_fsm.h"
#include "cf_log.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_wire.h"

//  LMDB's default maximum key size; our longest key is two ids and a byte
#define S_KEY_MAX 511
//  verify stops listing after this many problems
#define S_VERIFY_MAX_PROBLEMS 1000

typedef enum {
    S_DB_CASES,         //  case id -> Cf__Case
    S_DB_EVENTS,        //  seq BE -> Cf__Event
    S_DB_CASE_EVENTS,   //  case id, 0, seq BE -> empty
    S_DB_BY_STATE,      //  state byte, case id -> empty
    S_DB_BY_ORG,        //  org, 0, case id -> empty
    S_DB_DEADLINES,     //  due, kind, id -> empty
    S_DB_JOBS,          //  job id BE -> Cf__Job
    S_DB_REPLIES,       //  key, 0, request id -> hash + reply
    S_DB_STAFF,         //  staff id -> Cf__Staff
    S_DB_CERTIFICATES,  //  number -> Cf__Certificate
    S_DB_META,          //  text -> text
    S_DB_REPLY_TIMES,   //  at BE, key, 0, request id -> empty
    S_DB_ORGS,          //  org id -> Cf__Organization
    S_DB_APPOINTMENTS,  //  consultancy, 0, company, 0, id BE -> Appointment
    S_DB_COUNT          //  Number of databases
} s_db_t;

static const char *const s_db_names[S_DB_COUNT] = {
    "cases",     "events",      "case_events",   "by_state",    "by_org",
    "deadlines", "jobs",        "replies",       "staff",       "certificates",
    "meta",      "reply_times", "organizations", "appointments"};

//  Databases added after the first layout: a store from before them gets
//  them when certflowd next opens it; a reader of such a store finds them
//  empty
#define S_DB_FIRST_ADDED S_DB_ORGS

typedef struct {
    bool armed;     //  Will fail a call
    int remaining;  //  Calls to let through first
} s_fault_t;

struct _cf_store_t {
    MDB_env *env;                            //  The environment
    MDB_dbi dbi[S_DB_COUNT];                 //  Handle of each named database
    bool absent[S_DB_COUNT];                 //  Added later and not in this
                                             //  store opened to read only
    s_fault_t faults[CF_STORE_FAULT_COUNT];  //  Armed test faults
    bool untimed;      //  Read only, and reply_times is not there yet
    size_t page_size;  //  LMDB's page: a larger record takes whole pages
};

typedef enum {
    S_OP_CASE,                //  Put a case
    S_OP_EVENT,               //  Append an event
    S_OP_JOB,                 //  Put a job
    S_OP_DELETE_JOB,          //  Delete a job
    S_OP_REPLY,               //  Store a reply
    S_OP_STAFF,               //  Put a staff record
    S_OP_CERTIFICATE_INSERT,  //  Insert a certificate
    S_OP_CERTIFICATE_UPDATE,  //  Replace a certificate
    S_OP_META,                //  Set a meta key
    S_OP_ORGANIZATION,        //  Put an organization
    S_OP_APPOINTMENT,         //  Put an appointment
    S_OP_COUNTER,             //  Move a counter reserved by next_id
    S_OP_PRUNE_REPLIES        //  Drop stored replies stored before a time
} s_op_kind_t;

typedef struct {
    s_op_kind_t kind;           //  What to write
    ProtobufCMessage *message;  //  The record, the batch's own copy unless lent
    bool lent;                  //  message is the caller's (a lent case)
    char *name;                 //  Meta key, counter, or reply's client
    char *text;                 //  Meta value, or reply's request id
    uint8_t *data;              //  Reply record: hash then reply
    size_t size;                //  Size of data
    uint64_t number;            //  Job id to delete, counter value, or how
                                //  many replies a prune drops at most
    uint64_t base;              //  Counter value the reservation read
    int64_t at;                 //  When a reply was made; a prune's horizon
} s_op_t;

struct _cf_batch_t {
    s_op_t *ops;         //  Writes in the order added
    size_t size;         //  Number of writes
    size_t capacity;     //  Allocated slots
    size_t events;       //  Number of S_OP_EVENT among them
    uint64_t first_seq;  //  Seq promised to the first event; 0: none
    bool committed;      //  Written: no more changes
};

//  A key being built
typedef struct {
    uint8_t data[S_KEY_MAX];  //  Key bytes
    size_t size;              //  Bytes used
} s_key_t;

//  A growing array of unpacked messages
typedef struct {
    void **items;     //  Pointers to messages
    size_t size;      //  Used
    size_t capacity;  //  Allocated
} s_list_t;

static const uint8_t s_empty_byte = 0;

//  ------------------------------------------------------------------------
//  Small helpers

static char *
s_strndup (const void *data, size_t size)
{
    char *copy = cf_mem_check (malloc (size + 1));
    memcpy (copy, data, size);
    copy[size] = 0;
    return copy;
}

static void
s_list_append (s_list_t *list, void *item)
{
    if (list->size == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 16;
        list->items = cf_mem_check (
            realloc (list->items, list->capacity * sizeof (void *)));
    }
    list->items[list->size++] = item;
}

static void
s_list_free_messages (s_list_t *list)
{
    for (size_t index = 0; index < list->size; index++)
        protobuf_c_message_free_unpacked (list->items[index], NULL);
    free (list->items);
    memset (list, 0, sizeof *list);
}

//  Translates an LMDB or errno code to ours and logs it: the one place
static int
s_lmdb_error (int rc, const char *what)
{
    assert (rc != 0);
    if (rc == MDB_MAP_FULL) {
        cf_log_warn ("store: %s: %s", what, mdb_strerror (rc));
        return CF_ESTOREFULL;
    }
    cf_log_error ("store: %s: %s", what, mdb_strerror (rc));
    if (rc == ENOMEM)
        return CF_ENOMEM;
    if (rc == MDB_VERSION_MISMATCH)
        return CF_EVERSION;
    if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID)
        return CF_ECORRUPT;
    if (rc > 0)
        return CF_EIO;  //  errno: EIO, ENOSPC, EACCES, ...
    return CF_ESTORE;
}

static bool
s_blank_id (const char *id)
{
    return !id || !*id;
}

//  Checks an id that becomes (part of) a key
static int
s_check_id (const char *id)
{
    if (!id || !*id)
        return CF_EINVAL;
    if (strlen (id) > CF_STORE_ID_MAX)
        return CF_ELIMIT;
    return 0;
}

static bool
s_reserved_meta (const char *key)
{
    return streq (key, "schema_version") || streq (key, "last_seq") ||
           streq (key, "last_hash");
}

static void
s_put_u64 (uint8_t *data, uint64_t value)
{
    for (int index = 7; index >= 0; index--) {
        data[index] = (uint8_t)value;
        value >>= 8;
    }
}

static uint64_t
s_get_u64 (const uint8_t *data)
{
    uint64_t value = 0;
    for (int index = 0; index < 8; index++)
        value = (value << 8) | data[index];
    return value;
}

//  Instants are signed; flipping the sign bit makes byte order time order
static uint64_t
s_due_to_key (int64_t due)
{
    return (uint64_t)due ^ UINT64_C (0x8000000000000000);
}

static int64_t
s_due_from_key (uint64_t value)
{
    if (value >= UINT64_C (0x8000000000000000))
        return (int64_t)(value - UINT64_C (0x8000000000000000));
    return (int64_t)value - INT64_MAX - 1;
}

//  Parses a decimal counter; false when it is not one
static bool
s_parse_u64 (const void *data, size_t size, uint64_t *value)
{
    const char *text = data;
    if (size == 0 || size > 20)
        return false;
    uint64_t result = 0;
    for (size_t index = 0; index < size; index++) {
        if (text[index] < '0' || text[index] > '9')
            return false;
        uint64_t digit = (uint64_t)(text[index] - '0');
        if (result > (UINT64_MAX - digit) / 10)
            return false;
        result = result * 10 + digit;
    }
    *value = result;
    return true;
}

static void
s_hex (const uint8_t *data, size_t size, char *text)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t index = 0; index < size; index++) {
        text[2 * index] = digits[data[index] >> 4];
        text[2 * index + 1] = digits[data[index] & 15];
    }
    text[2 * size] = 0;
}

static bool
s_unhex (const void *text, size_t size, uint8_t *data)
{
    const char *chars = text;
    if (size != 2 * CF_STORE_HASH_SIZE)
        return false;
    for (size_t index = 0; index < size; index++) {
        char c = chars[index];
        int nibble = c >= '0' && c <= '9'   ? c - '0'
                     : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                            : -1;
        if (nibble < 0)
            return false;
        if (index % 2 == 0)
            data[index / 2] = (uint8_t)(nibble << 4);
        else
            data[index / 2] |= (uint8_t)nibble;
    }
    return true;
}

//  ------------------------------------------------------------------------
//  Keys

static void
s_key_bytes (s_key_t *key, const void *data, size_t size)
{
    //  Callers check id lengths first, so this is a proven bound
    assert (key->size + size <= S_KEY_MAX);
    memcpy (key->data + key->size, data, size);
    key->size += size;
}

static void
s_key_text (s_key_t *key, const char *text)
{
    s_key_bytes (key, text, strlen (text));
}

static void
s_key_byte (s_key_t *key, uint8_t byte)
{
    s_key_bytes (key, &byte, 1);
}

static void
s_key_u64 (s_key_t *key, uint64_t value)
{
    uint8_t data[8];
    s_put_u64 (data, value);
    s_key_bytes (key, data, 8);
}

static void
s_key_id (s_key_t *key, const char *id)
{
    key->size = 0;
    s_key_text (key, id);
}

static void
s_key_seq (s_key_t *key, uint64_t seq)
{
    key->size = 0;
    s_key_u64 (key, seq);
}

static void
s_key_case_event (s_key_t *key, const char *case_id, uint64_t seq)
{
    key->size = 0;
    s_key_text (key, case_id);
    s_key_byte (key, 0);
    s_key_u64 (key, seq);
}

static void
s_key_state (s_key_t *key, int state, const char *case_id)
{
    key->size = 0;
    s_key_byte (key, (uint8_t)state);
    s_key_text (key, case_id);
}

static void
s_key_org (s_key_t *key, const char *org, const char *case_id)
{
    key->size = 0;
    s_key_text (key, org);
    s_key_byte (key, 0);
    s_key_text (key, case_id);
}

static void
s_key_appointment (s_key_t *key, const char *consultancy, const char *company,
                   uint64_t id)
{
    key->size = 0;
    s_key_text (key, consultancy);
    s_key_byte (key, 0);
    if (company) {
        s_key_text (key, company);
        s_key_byte (key, 0);
        if (id)
            s_key_u64 (key, id);
    }
}

static void
s_key_deadline (s_key_t *key, int64_t due, char kind, const char *id)
{
    key->size = 0;
    s_key_u64 (key, s_due_to_key (due));
    s_key_byte (key, (uint8_t)kind);
    s_key_text (key, id);
}

static void
s_key_job_deadline (s_key_t *key, const Cf__Job *job)
{
    char id[24];
    snprintf (id, sizeof id, "%" PRIu64, job->id);
    s_key_deadline (key, job->due_at, CF_STORE_DEADLINE_JOB, id);
}

static void
s_key_reply (s_key_t *key, const char *client, const char *request_id)
{
    key->size = 0;
    s_key_text (key, client);
    s_key_byte (key, 0);
    s_key_text (key, request_id);
}

//  The row of a stored reply in reply_times: when it was made, then its
//  replies key
static void
s_key_reply_time (s_key_t *key, int64_t at, const char *client,
                  const char *request_id)
{
    key->size = 0;
    s_key_u64 (key, at > 0 ? (uint64_t)at : 0);
    s_key_text (key, client);
    s_key_byte (key, 0);
    s_key_text (key, request_id);
}

static MDB_val
s_val (const s_key_t *key)
{
    MDB_val value = {key->size, (void *)key->data};
    return value;
}

static bool
s_job_has_deadline (const Cf__Job *job)
{
    //  A ready job due at 0 is ready now: it waits for no timer
    return (job->status == CF__JOB_STATUS__JOB_STATUS_READY &&
            job->due_at != 0) ||
           job->status == CF__JOB_STATUS__JOB_STATUS_LEASED;
}

static bool
s_state_valid (int state)
{
    return protobuf_c_enum_descriptor_get_value (&cf__state__descriptor,
                                                 state) != NULL;
}

//  ------------------------------------------------------------------------
//  Squeezed records
//
//  A record too large to sit on its leaf page goes to overflow pages of its
//  own, whole pages however little of the last it fills. An event (written
//  once, so it stays where it is put) that LZ4 brings onto its leaf, or
//  onto fewer pages, is stored squeezed: a zero byte (a packed message
//  never starts with one: field numbers start at 1), its packed size as a
//  varint, then the LZ4 block. A case record is not: it is rewritten as it
//  grows, and the leaf pages a squeezed one left behind would stay.

#define S_SQUEEZED            0x00
#define S_SQUEEZED_MAX        (64 * 1024 * 1024)  //  Largest packed record
#define S_PAGE_HEADER         16                  //  LMDB's page header
#define S_NODE_HEADER         8                   //  LMDB's leaf node header
#define S_SQUEEZE_GUESS(size) ((size)*3 / 4)      //  LZ4 on a record, at best

//  The most a value under a key of key_size bytes may have and stay on
//  its leaf page (LMDB's node maximum, less the node's header and key)
static size_t
s_leaf_room (const cf_store_t *self, size_t key_size)
{
    size_t node_max = (((self->page_size - S_PAGE_HEADER) / 2) & ~(size_t)1) -
                      sizeof (uint16_t);
    return node_max - S_NODE_HEADER - key_size;
}

//  The pages a value of size bytes under key takes of its own: 0 on the leaf
static size_t
s_own_pages (const cf_store_t *self, size_t key_size, size_t size)
{
    if (size <= s_leaf_room (self, key_size))
        return 0;
    return (size + S_PAGE_HEADER + self->page_size - 1) / self->page_size;
}

//  Squeezes packed (size bytes) under a key of key_size bytes into a new
//  buffer when that saves pages; NULL when it would not
static uint8_t *
s_squeeze (const cf_store_t *self, size_t key_size, const uint8_t *packed,
           size_t size, size_t *squeezed_size)
{
    size_t pages = s_own_pages (self, key_size, size);
    if (pages == 0 || size > S_SQUEEZED_MAX ||
        s_own_pages (self, key_size, S_SQUEEZE_GUESS (size)) >= pages)
        return NULL;
    int bound = LZ4_compressBound ((int)size);
    uint8_t *squeezed = cf_mem_check (malloc (11 + (size_t)bound));
    size_t head = 0;
    squeezed[head++] = S_SQUEEZED;
    for (uint64_t rest = size;; rest >>= 7) {
        squeezed[head++] = (uint8_t)((rest & 0x7F) | (rest > 0x7F ? 0x80 : 0));
        if (rest <= 0x7F)
            break;
    }
    int body = LZ4_compress_default ((const char *)packed,
                                     (char *)squeezed + head, (int)size, bound);
    *squeezed_size = head + (size_t)(body > 0 ? body : 0);
    if (body <= 0 || s_own_pages (self, key_size, *squeezed_size) >= pages) {
        free (squeezed);
        return NULL;
    }
    return squeezed;
}

//  The packed size of a stored record, and in *head where its LZ4 block
//  starts (0: it is not squeezed); 0 when a squeezed one's size is wrong
static size_t
s_packed_size (const MDB_val *value, size_t *head)
{
    const uint8_t *data = value->mv_data;
    size_t size = value->mv_size;
    *head = 0;
    if (size == 0 || data[0] != S_SQUEEZED)
        return size;
    uint64_t packed_size = 0;
    *head = 1;
    if (!cf_wire_varint (data, size, head, &packed_size))
        return 0;
    return packed_size > S_SQUEEZED_MAX || *head >= size ? 0
                                                         : (size_t)packed_size;
}

//  The packed bytes of a stored record into *plain: its own, or for a
//  squeezed one a buffer in *owned that the caller frees. Returns false
//  when a squeezed record does not unsqueeze.
static bool
s_plain (const MDB_val *value, uint8_t **owned, MDB_val *plain)
{
    const uint8_t *data = value->mv_data;
    size_t size = value->mv_size, head;
    size_t packed_size = s_packed_size (value, &head);
    *owned = NULL;
    *plain = *value;
    if (head == 0)
        return true;
    if (packed_size == 0)
        return false;
    *owned = cf_mem_check (malloc (packed_size));
    int got = LZ4_decompress_safe ((const char *)data + head, (char *)*owned,
                                   (int)(size - head), (int)packed_size);
    if (got != (int)packed_size) {
        free (*owned);
        *owned = NULL;
        return false;
    }
    *plain = (MDB_val){packed_size, *owned};
    return true;
}

//  Unpacks a stored record, squeezed or not; NULL when it does not decode
static void *
s_unpack (const ProtobufCMessageDescriptor *descriptor, const MDB_val *value)
{
    uint8_t *owned;
    MDB_val plain;
    if (!s_plain (value, &owned, &plain))
        return NULL;
    void *message = protobuf_c_message_unpack (descriptor, NULL, plain.mv_size,
                                               plain.mv_data);
    free (owned);
    return message;
}

//  ------------------------------------------------------------------------
//  LMDB calls, with the test faults

static bool
s_fault_fires (cf_store_t *self, cf_store_fault_t fault)
{
    s_fault_t *armed = &self->faults[fault];
    if (!armed->armed)
        return false;
    if (armed->remaining > 0) {
        armed->remaining--;
        return false;
    }
    armed->armed = false;
    return true;
}

static int
s_txn_begin (cf_store_t *self, unsigned flags, MDB_txn **txn)
{
    int rc = mdb_txn_begin (self->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED) {
        //  Another process grew the map: adopt its size and try again
        rc = mdb_env_set_mapsize (self->env, 0);
        if (rc == 0)
            rc = mdb_txn_begin (self->env, NULL, flags, txn);
    }
    return rc ? s_lmdb_error (rc, "begin transaction") : 0;
}

//  Returns an LMDB code; the caller translates it
static int
s_put (cf_store_t *self, MDB_txn *txn, s_db_t db, const s_key_t *key,
       const void *data, size_t size, unsigned flags)
{
    if (s_fault_fires (self, CF_STORE_FAULT_MAP_FULL_AT_PUT))
        return MDB_MAP_FULL;
    MDB_val k = s_val (key);
    MDB_val v = {size, (void *)(data ? data : &s_empty_byte)};
    return mdb_put (txn, self->dbi[db], &k, &v, flags);
}

static int
s_put_message (cf_store_t *self, MDB_txn *txn, s_db_t db, const s_key_t *key,
               const ProtobufCMessage *message, unsigned flags)
{
    size_t size, squeezed_size = 0;
    uint8_t *packed = cf_pb_pack (message, &size);
    uint8_t *squeezed = db == S_DB_EVENTS ? s_squeeze (self, key->size, packed,
                                                       size, &squeezed_size)
                                          : NULL;
    int rc = squeezed
                 ? s_put (self, txn, db, key, squeezed, squeezed_size, flags)
                 : s_put (self, txn, db, key, packed, size, flags);
    free (squeezed);
    free (packed);
    return rc;
}

static int
s_put_index (cf_store_t *self, MDB_txn *txn, s_db_t db, const s_key_t *key)
{
    int rc = s_put (self, txn, db, key, NULL, 0, 0);
    return rc ? s_lmdb_error (rc, s_db_names[db]) : 0;
}

//  Deletes an index row. A row already missing is logged and the write
//  goes on: the new rows are right, and verify reports the old damage.
static int
s_del_index (cf_store_t *self, MDB_txn *txn, s_db_t db, const s_key_t *key)
{
    MDB_val k = s_val (key);
    int rc = mdb_del (txn, self->dbi[db], &k, NULL);
    if (rc == MDB_NOTFOUND) {
        cf_log_warn ("store: %s row to remove was missing; repaired",
                     s_db_names[db]);
        return 0;
    }
    return rc ? s_lmdb_error (rc, s_db_names[db]) : 0;
}

//  Gets a raw value: 0, CF_ENOTFOUND, or a translated error
static int
s_get (cf_store_t *self, MDB_txn *txn, s_db_t db, const s_key_t *key,
       MDB_val *value)
{
    if (self->absent[db])
        return CF_ENOTFOUND;
    MDB_val k = s_val (key);
    int rc = mdb_get (txn, self->dbi[db], &k, value);
    if (rc == MDB_NOTFOUND)
        return CF_ENOTFOUND;
    return rc ? s_lmdb_error (rc, s_db_names[db]) : 0;
}

//  Gets and unpacks a record: 0, CF_ENOTFOUND, CF_ECORRUPT, or an error
static int
s_get_message (cf_store_t *self, MDB_txn *txn, s_db_t db, const s_key_t *key,
               const ProtobufCMessageDescriptor *descriptor, void *message_p)
{
    void **message = message_p;
    *message = NULL;
    MDB_val value;
    int rc = s_get (self, txn, db, key, &value);
    if (rc)
        return rc;
    *message = s_unpack (descriptor, &value);
    if (!*message) {
        cf_log_error ("store: a record in %s does not decode", s_db_names[db]);
        return CF_ECORRUPT;
    }
    return 0;
}

//  Reads a decimal meta value; a missing key reads as 0
static int
s_meta_get_u64 (cf_store_t *self, MDB_txn *txn, const char *name,
                uint64_t *number)
{
    s_key_t key;
    s_key_id (&key, name);
    MDB_val value;
    *number = 0;
    int rc = s_get (self, txn, S_DB_META, &key, &value);
    if (rc == CF_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (!s_parse_u64 (value.mv_data, value.mv_size, number)) {
        cf_log_error ("store: meta %s is not a number", name);
        return CF_ECORRUPT;
    }
    return 0;
}

//  Reads last_hash; a missing key reads as 32 zero bytes (empty log)
static int
s_meta_get_hash (cf_store_t *self, MDB_txn *txn, uint8_t *hash)
{
    s_key_t key;
    s_key_id (&key, "last_hash");
    MDB_val value;
    memset (hash, 0, CF_STORE_HASH_SIZE);
    int rc = s_get (self, txn, S_DB_META, &key, &value);
    if (rc == CF_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (!s_unhex (value.mv_data, value.mv_size, hash)) {
        cf_log_error ("store: meta last_hash is not 64 hex digits");
        return CF_ECORRUPT;
    }
    return 0;
}

static int
s_meta_put (cf_store_t *self, MDB_txn *txn, const char *name, const char *text)
{
    s_key_t key;
    s_key_id (&key, name);
    int rc = s_put (self, txn, S_DB_META, &key, text, strlen (text), 0);
    return rc ? s_lmdb_error (rc, "meta") : 0;
}

//  Hash of an event whose hash field is empty
static void
s_event_hash (const Cf__Event *event, uint8_t *hash)
{
    assert (event->hash.len == 0);
    size_t size;
    uint8_t *packed = cf_pb_pack (&event->base, &size);
    crypto_hash_sha256 (hash, packed, size);
    free (packed);
}

//  Recomputes the hash of a stored event, leaving it as it was
static void
s_event_rehash (Cf__Event *event, uint8_t *hash)
{
    ProtobufCBinaryData stored = event->hash;
    event->hash.len = 0;
    event->hash.data = NULL;
    s_event_hash (event, hash);
    event->hash = stored;
}

static void
s_set_bytes (ProtobufCBinaryData *field, const uint8_t *data, size_t size)
{
    free (field->data);
    field->data = size ? cf_mem_check (malloc (size)) : NULL;
    if (size)
        memcpy (field->data, data, size);
    field->len = size;
}

//  ------------------------------------------------------------------------
//  Opening

static int
s_make_directory (const char *dir)
{
    char *path = cf_mem_check (strdup (dir));
    int rc = 0;
    for (char *slash = path + 1; rc == 0; slash++) {
        bool last = *slash == 0;
        if (*slash != '/' && !last)
            continue;
        *slash = 0;
        if (mkdir (path, 0750) != 0 && errno != EEXIST) {
            cf_log_error ("store: cannot create directory %s: %s", path,
                          strerror (errno));
            rc = CF_EIO;
        }
        if (last)
            break;
        *slash = '/';
    }
    struct stat info;
    if (rc == 0 && (stat (dir, &info) != 0 || !S_ISDIR (info.st_mode))) {
        cf_log_error ("store: %s is not a directory", dir);
        rc = CF_EIO;
    }
    free (path);
    return rc;
}

//  Gives every stored reply of a store written before reply_times a row
//  there, at the time of the store's last event: none is newer, so none
//  is dropped before its retention
static int
s_index_reply_times (cf_store_t *self, MDB_txn *txn)
{
    int64_t at = 0;
    MDB_cursor *cursor = NULL;
    MDB_val key, value;
    int mrc = mdb_cursor_open (txn, self->dbi[S_DB_EVENTS], &cursor);
    if (mrc == 0 && mdb_cursor_get (cursor, &key, &value, MDB_LAST) == 0) {
        Cf__Event *last = s_unpack (&cf__event__descriptor, &value);
        if (last)
            at = last->at;
        cf_pb_free (&last);
    }
    if (cursor)
        mdb_cursor_close (cursor);
    cursor = NULL;
    if (mrc == 0)
        mrc = mdb_cursor_open (txn, self->dbi[S_DB_REPLIES], &cursor);
    size_t indexed = 0;
    int rc = 0;
    for (int step = MDB_FIRST; mrc == 0 && rc == 0; step = MDB_NEXT) {
        mrc = mdb_cursor_get (cursor, &key, &value, step);
        if (mrc)
            break;
        s_key_t row;
        row.size = 0;
        s_key_u64 (&row, at > 0 ? (uint64_t)at : 0);
        if (key.mv_size + 8 > S_KEY_MAX)
            continue;
        s_key_bytes (&row, key.mv_data, key.mv_size);
        rc = s_put_index (self, txn, S_DB_REPLY_TIMES, &row);
        indexed++;
    }
    if (cursor)
        mdb_cursor_close (cursor);
    if (mrc && mrc != MDB_NOTFOUND)
        return s_lmdb_error (mrc, "replies");
    if (rc == 0)
        cf_log_notice ("store: %zu stored replies indexed by time, made at "
                       "the latest at %" PRId64,
                       indexed, at);
    return rc;
}

//  Opens the named databases and checks or writes the schema version
static int
s_open_databases (cf_store_t *self, const char *dir, bool readonly)
{
    MDB_txn *txn;
    int rc = s_txn_begin (self, readonly ? MDB_RDONLY : 0, &txn);
    if (rc)
        return rc;
    size_t entries = 0, counts[S_DB_COUNT] = {0};
    for (int db = 0; db < S_DB_COUNT && rc == 0; db++) {
        int mrc = mdb_dbi_open (txn, s_db_names[db], readonly ? 0 : MDB_CREATE,
                                &self->dbi[db]);
        //  A reader of a store the daemon has not opened since reply_times
        //  came needs none of it
        if (mrc == MDB_NOTFOUND && readonly && db == S_DB_REPLY_TIMES) {
            self->untimed = true;
            continue;
        }
        if (mrc == MDB_NOTFOUND && db >= S_DB_FIRST_ADDED) {
            self->absent[db] = true;
            continue;
        }
        if (mrc == MDB_NOTFOUND) {
            cf_log_error ("store: %s has no %s database: it is not a certflow "
                          "store, or certflowd has not initialized it",
                          dir, s_db_names[db]);
            mdb_txn_abort (txn);
            return CF_EVERSION;
        }
        MDB_stat stat;
        if (mrc == 0)
            mrc = mdb_stat (txn, self->dbi[db], &stat);
        if (mrc)
            rc = s_lmdb_error (mrc, s_db_names[db]);
        else {
            entries += stat.ms_entries;
            counts[db] = stat.ms_entries;
        }
    }
    if (rc == 0) {
        s_key_t key;
        s_key_id (&key, "schema_version");
        MDB_val value;
        rc = s_get (self, txn, S_DB_META, &key, &value);
        if (rc == 0) {
            size_t expected = strlen (CF_STORE_SCHEMA_VERSION);
            if (value.mv_size != expected ||
                memcmp (value.mv_data, CF_STORE_SCHEMA_VERSION, expected)) {
                cf_log_error ("store: %s has schema version '%.*s'; this "
                              "build reads " CF_STORE_SCHEMA_VERSION
                              ": use a matching build or another directory",
                              dir,
                              (int)(value.mv_size > 16 ? 16 : value.mv_size),
                              (const char *)value.mv_data);
                rc = CF_EVERSION;
            }
        } else if (rc == CF_ENOTFOUND && (entries > 0 || readonly)) {
            cf_log_error ("store: %s holds data without a schema version: "
                          "it is not a certflow store of this build",
                          dir);
            rc = CF_EVERSION;
        } else if (rc == CF_ENOTFOUND)
            rc = s_meta_put (self, txn, "schema_version",
                             CF_STORE_SCHEMA_VERSION);
    }
    if (rc == 0 && !readonly && counts[S_DB_REPLY_TIMES] == 0 &&
        counts[S_DB_REPLIES] > 0)
        rc = s_index_reply_times (self, txn);
    if (rc) {
        mdb_txn_abort (txn);
        return rc;
    }
    int mrc = mdb_txn_commit (txn);
    return mrc ? s_lmdb_error (mrc, "create databases") : 0;
}

//  LMDB maps a reopened store at the size asked for, even below the size it
//  was grown to (only the used pages are a floor), and a daemon restarted
//  with its configured size would come up nearly full. The meta page keeps
//  the largest size: adopt it, or the asked size if that is larger.
static int
s_keep_grown_size (cf_store_t *self, size_t map_size)
{
    size_t wanted = map_size ? map_size : CF_STORE_DEFAULT_MAP_SIZE;
    int rc = mdb_env_set_mapsize (self->env, 0);
    if (rc == 0 && cf_store_map_size (self) < wanted)
        rc = mdb_env_set_mapsize (self->env, wanted);
    return rc;
}

static int
s_open (const char *dir, size_t map_size, bool readonly, cf_store_t **store_p)
{
    assert (dir && store_p);
    *store_p = NULL;
    if (!*dir)
        return CF_EINVAL;
    if (sodium_init () < 0) {
        cf_log_error ("store: libsodium failed to initialise");
        return CF_ESTORE;
    }
    int rc = readonly ? 0 : s_make_directory (dir);
    if (rc)
        return rc;
    cf_store_t *self = cf_mem_check (calloc (1, sizeof (cf_store_t)));
    int mrc = mdb_env_create (&self->env);
    if (mrc == 0)
        mrc = mdb_env_set_maxdbs (self->env, S_DB_COUNT);
    if (mrc == 0 && !readonly)
        mrc = mdb_env_set_mapsize (
            self->env, map_size ? map_size : CF_STORE_DEFAULT_MAP_SIZE);
    if (mrc == 0)
        mrc = mdb_env_open (self->env, dir, readonly ? MDB_RDONLY : 0, 0600);
    MDB_stat stat;
    if (mrc == 0)
        mrc = mdb_env_stat (self->env, &stat);
    if (mrc == 0)
        self->page_size = stat.ms_psize;
    if (mrc == 0 && !readonly)
        mrc = s_keep_grown_size (self, map_size);
    if (mrc) {
        char what[64 + PATH_MAX];
        snprintf (what, sizeof what, "open %s", dir);
        rc = s_lmdb_error (mrc, what);
    }
    if (rc == 0) {
        //  A process killed inside a read transaction pins old pages
        int dead = 0;
        mrc = mdb_reader_check (self->env, &dead);
        if (mrc)
            rc = s_lmdb_error (mrc, "reader check");
        else if (dead > 0)
            cf_log_notice ("store: cleared %d stale reader slot(s)", dead);
    }
    if (rc == 0)
        rc = s_open_databases (self, dir, readonly);
    if (rc)
        cf_store_destroy (&self);
    *store_p = self;
    return rc;
}

int
cf_store_open (const char *dir, size_t map_size, cf_store_t **store_p)
{
    return s_open (dir, map_size, false, store_p);
}

int
cf_store_open_readonly (const char *dir, cf_store_t **store_p)
{
    return s_open (dir, 0, true, store_p);
}

void
cf_store_destroy (cf_store_t **store_p)
{
    assert (store_p);
    if (*store_p) {
        cf_store_t *self = *store_p;
        if (self->env)
            mdb_env_close (self->env);
        free (self);
        *store_p = NULL;
    }
}

size_t
cf_store_map_size (cf_store_t *self)
{
    assert (self);
    MDB_envinfo info;
    int rc = mdb_env_info (self->env, &info);
    assert (rc == 0);  //  Only fails for a NULL env
    (void)rc;
    return info.me_mapsize;
}

int
cf_store_grow (cf_store_t *self, size_t new_size)
{
    assert (self);
    size_t old_size = cf_store_map_size (self);
    if (new_size <= old_size) {
        cf_log_error ("store: new map size %zu is not above %zu", new_size,
                      old_size);
        return CF_EINVAL;
    }
    int rc = mdb_env_set_mapsize (self->env, new_size);
    if (rc)
        return s_lmdb_error (rc, "grow map");
    cf_log_notice ("store: map grown from %zu to %zu bytes", old_size,
                   cf_store_map_size (self));
    return 0;
}

void
cf_store_inject (cf_store_t *self, cf_store_fault_t fault, int after_n)
{
    assert (self);
    assert (fault >= CF_STORE_FAULT_NONE && fault < CF_STORE_FAULT_COUNT);
    assert (after_n >= 0);
    if (fault == CF_STORE_FAULT_NONE)
        memset (self->faults, 0, sizeof self->faults);
    else {
        self->faults[fault].armed = true;
        self->faults[fault].remaining = after_n;
    }
}

//  ------------------------------------------------------------------------
//  Batches

cf_batch_t *
cf_batch_new (void)
{
    return cf_mem_check (calloc (1, sizeof (cf_batch_t)));
}

void
cf_batch_destroy (cf_batch_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        cf_batch_t *self = *self_p;
        for (size_t index = 0; index < self->size; index++) {
            s_op_t *op = &self->ops[index];
            if (op->message && !op->lent)
                protobuf_c_message_free_unpacked (op->message, NULL);
            free (op->name);
            free (op->text);
            free (op->data);
        }
        free (self->ops);
        free (self);
        *self_p = NULL;
    }
}

size_t
cf_batch_size (const cf_batch_t *self)
{
    assert (self);
    return self->size;
}

static s_op_t *
s_batch_add (cf_batch_t *self, s_op_kind_t kind)
{
    if (self->size == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 8;
        self->ops = cf_mem_check (
            realloc (self->ops, self->capacity * sizeof (s_op_t)));
    }
    s_op_t *op = &self->ops[self->size++];
    memset (op, 0, sizeof *op);
    op->kind = kind;
    if (kind == S_OP_EVENT)
        self->events++;
    return op;
}

static int
s_batch_open (const cf_batch_t *self)
{
    if (self->committed) {
        cf_log_error ("store: batch already committed; use a new batch");
        return CF_EINVAL;
    }
    return 0;
}

int
cf_store_check_case (const Cf__Case *record)
{
    assert (record);
    int rc = s_check_id (record->id);
    if (rc == 0 && record->org && strlen (record->org) > CF_STORE_ID_MAX)
        rc = CF_ELIMIT;
    if (rc == 0 && !s_state_valid (record->state))
        rc = CF_EINVAL;
    return rc;
}

//  0 if the batch is open and record may be stored
static int
s_batch_takes_case (const cf_batch_t *self, const Cf__Case *record)
{
    int rc = s_batch_open (self);
    return rc ? rc : cf_store_check_case (record);
}

int
cf_batch_put_case (cf_batch_t *self, const Cf__Case *record)
{
    assert (self && record);
    int rc = s_batch_takes_case (self, record);
    if (rc)
        return rc;
    s_batch_add (self, S_OP_CASE)->message = cf_pb_dup (&record->base);
    return 0;
}

int
cf_batch_lend_case (cf_batch_t *self, Cf__Case *record)
{
    assert (self && record);
    int rc = s_batch_takes_case (self, record);
    if (rc)
        return rc;
    s_op_t *op = s_batch_add (self, S_OP_CASE);
    op->message = &record->base;
    op->lent = true;
    return 0;
}

//  True for an event of the certification body itself, of no case: a
//  monthly report's reminder and submission
static bool
s_body_event (const Cf__Event *event)
{
    return event->case_id && !*event->case_id && event->report &&
           *event->report;
}

int
cf_batch_append_event (cf_batch_t *self, const Cf__Event *event)
{
    assert (self && event);
    int rc = s_batch_open (self);
    if (rc == 0 && !s_body_event (event))
        rc = s_check_id (event->case_id);
    if (rc)
        return rc;
    s_batch_add (self, S_OP_EVENT)->message = cf_pb_dup (&event->base);
    return 0;
}

int
cf_batch_put_job (cf_batch_t *self, const Cf__Job *job)
{
    assert (self && job);
    int rc = s_batch_open (self);
    if (rc)
        return rc;
    if (job->id == 0 || !protobuf_c_enum_descriptor_get_value (
                            &cf__job_status__descriptor, job->status))
        return CF_EINVAL;
    s_batch_add (self, S_OP_JOB)->message = cf_pb_dup (&job->base);
    return 0;
}

int
cf_batch_delete_job (cf_batch_t *self, uint64_t id)
{
    assert (self);
    int rc = s_batch_open (self);
    if (rc)
        return rc;
    if (id == 0)
        return CF_EINVAL;
    s_batch_add (self, S_OP_DELETE_JOB)->number = id;
    return 0;
}

int
cf_batch_put_reply (cf_batch_t *self, const char *key, const char *request_id,
                    const uint8_t *request_hash, const uint8_t *reply,
                    size_t size, int64_t at)
{
    assert (self && request_hash && (reply || size == 0));
    int rc = s_batch_open (self);
    if (rc == 0)
        rc = s_check_id (key);
    if (rc == 0)
        rc = s_check_id (request_id);
    if (rc)
        return rc;
    s_op_t *op = s_batch_add (self, S_OP_REPLY);
    op->name = cf_mem_check (strdup (key));
    op->text = cf_mem_check (strdup (request_id));
    op->size = CF_STORE_HASH_SIZE + size;
    op->at = at;
    op->data = cf_mem_check (malloc (op->size));
    memcpy (op->data, request_hash, CF_STORE_HASH_SIZE);
    if (size)
        memcpy (op->data + CF_STORE_HASH_SIZE, reply, size);
    return 0;
}

int
cf_batch_prune_replies (cf_batch_t *self, int64_t before, size_t most)
{
    assert (self);
    int rc = s_batch_open (self);
    if (rc)
        return rc;
    if (most == 0)
        return CF_EINVAL;
    s_op_t *op = s_batch_add (self, S_OP_PRUNE_REPLIES);
    op->at = before;
    op->number = most;
    return 0;
}

int
cf_batch_put_staff (cf_batch_t *self, const Cf__Staff *staff)
{
    assert (self && staff);
    int rc = s_batch_open (self);
    if (rc == 0)
        rc = s_check_id (staff->id);
    if (rc)
        return rc;
    s_batch_add (self, S_OP_STAFF)->message = cf_pb_dup (&staff->base);
    return 0;
}

int
cf_batch_put_organization (cf_batch_t *self, const Cf__Organization *org)
{
    assert (self && org);
    int rc = s_batch_open (self);
    if (rc == 0)
        rc = s_check_id (org->id);
    if (rc == 0 && (org->kind != CF__ORG_KIND__ORG_KIND_COMPANY &&
                    org->kind != CF__ORG_KIND__ORG_KIND_CONSULTANCY))
        rc = CF_EINVAL;
    if (rc)
        return rc;
    s_batch_add (self, S_OP_ORGANIZATION)->message = cf_pb_dup (&org->base);
    return 0;
}

int
cf_batch_put_appointment (cf_batch_t *self, const Cf__Appointment *appointment)
{
    assert (self && appointment);
    int rc = s_batch_open (self);
    if (rc == 0)
        rc = s_check_id (appointment->consultancy);
    if (rc == 0)
        rc = s_check_id (appointment->company);
    if (rc == 0 && appointment->id == 0)
        rc = CF_EINVAL;
    if (rc)
        return rc;
    s_batch_add (self, S_OP_APPOINTMENT)->message =
        cf_pb_dup (&appointment->base);
    return 0;
}

static int
s_batch_certificate (cf_batch_t *self, const Cf__Certificate *certificate,
                     s_op_kind_t kind)
{
    assert (self && certificate);
    int rc = s_batch_open (self);
    if (rc == 0)
        rc = s_check_id (certificate->number);
    if (rc)
        return rc;
    s_batch_add (self, kind)->message = cf_pb_dup (&certificate->base);
    return 0;
}

int
cf_batch_put_certificate (cf_batch_t *self, const Cf__Certificate *certificate)
{
    return s_batch_certificate (self, certificate, S_OP_CERTIFICATE_INSERT);
}

int
cf_batch_update_certificate (cf_batch_t *self,
                             const Cf__Certificate *certificate)
{
    return s_batch_certificate (self, certificate, S_OP_CERTIFICATE_UPDATE);
}

int
cf_batch_set_meta (cf_batch_t *self, const char *key, const char *value)
{
    assert (self && value);
    int rc = s_batch_open (self);
    if (rc == 0)
        rc = s_check_id (key);
    if (rc == 0 && s_reserved_meta (key)) {
        cf_log_error ("store: meta %s belongs to the store", key);
        rc = CF_EINVAL;
    }
    if (rc)
        return rc;
    s_op_t *op = s_batch_add (self, S_OP_META);
    op->name = cf_mem_check (strdup (key));
    op->text = cf_mem_check (strdup (value));
    return 0;
}

size_t
cf_batch_event_count (const cf_batch_t *self)
{
    assert (self);
    return self->events;
}

const Cf__Event *
cf_batch_event (const cf_batch_t *self, size_t index)
{
    assert (self && index < self->events);
    for (size_t op = 0; op < self->size; op++)
        if (self->ops[op].kind == S_OP_EVENT && index-- == 0)
            return (const Cf__Event *)self->ops[op].message;
    return NULL;
}

//  ------------------------------------------------------------------------
//  Reservations

//  Reads counter as batch has it: *op_p gets its batch entry, or NULL and
//  *current the stored value
static int
s_counter_read (cf_store_t *self, cf_batch_t *batch, const char *counter,
                s_op_t **op_p, uint64_t *current)
{
    *op_p = NULL;
    int rc = s_batch_open (batch);
    if (rc == 0)
        rc = s_check_id (counter);
    if (rc == 0 && s_reserved_meta (counter))
        rc = CF_EINVAL;
    if (rc)
        return rc;
    for (size_t index = 0; index < batch->size; index++) {
        s_op_t *op = &batch->ops[index];
        if (op->kind == S_OP_COUNTER && streq (op->name, counter)) {
            *op_p = op;
            *current = op->number;
            return 0;
        }
    }
    MDB_txn *txn;
    rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    rc = s_meta_get_u64 (self, txn, counter, current);
    mdb_txn_abort (txn);
    return rc;
}

int
cf_store_peek_id (cf_store_t *self, cf_batch_t *batch, const char *counter,
                  uint64_t *id)
{
    assert (self && batch && id);
    *id = 0;
    s_op_t *op = NULL;
    uint64_t current = 0;
    int rc = s_counter_read (self, batch, counter, &op, &current);
    if (rc == 0)
        *id = current + 1;
    return rc;
}

int
cf_store_next_id (cf_store_t *self, cf_batch_t *batch, const char *counter,
                  uint64_t *id)
{
    assert (self && batch && id);
    *id = 0;
    s_op_t *op = NULL;
    uint64_t current = 0;
    int rc = s_counter_read (self, batch, counter, &op, &current);
    if (rc)
        return rc;
    if (op) {
        *id = ++op->number;
        return 0;
    }
    op = s_batch_add (batch, S_OP_COUNTER);
    op->name = cf_mem_check (strdup (counter));
    op->base = current;
    op->number = current + 1;
    *id = op->number;
    return 0;
}

int
cf_store_next_seq (cf_store_t *self, cf_batch_t *batch, uint64_t *seq)
{
    assert (self && batch && seq);
    *seq = 0;
    int rc = s_batch_open (batch);
    if (rc)
        return rc;
    if (batch->first_seq == 0) {
        MDB_txn *txn;
        rc = s_txn_begin (self, MDB_RDONLY, &txn);
        if (rc)
            return rc;
        uint64_t last;
        rc = s_meta_get_u64 (self, txn, "last_seq", &last);
        mdb_txn_abort (txn);
        if (rc)
            return rc;
        batch->first_seq = last + 1;
    }
    *seq = batch->first_seq + batch->events;
    return 0;
}

//  ------------------------------------------------------------------------
//  Commit

//  Moves a case's index rows from the old record (NULL: new case) to the
//  new one
static int
s_update_case_indexes (cf_store_t *self, MDB_txn *txn, const Cf__Case *old,
                       const Cf__Case *record)
{
    s_key_t key;
    int rc = 0;
    if (!old || old->state != record->state) {
        if (old) {
            s_key_state (&key, old->state, old->id);
            rc = s_del_index (self, txn, S_DB_BY_STATE, &key);
        }
        s_key_state (&key, record->state, record->id);
        if (rc == 0)
            rc = s_put_index (self, txn, S_DB_BY_STATE, &key);
    }
    if (rc == 0 && (!old || !streq (old->org, record->org))) {
        if (old) {
            s_key_org (&key, old->org, old->id);
            rc = s_del_index (self, txn, S_DB_BY_ORG, &key);
        }
        s_key_org (&key, record->org, record->id);
        if (rc == 0)
            rc = s_put_index (self, txn, S_DB_BY_ORG, &key);
    }
    if (rc == 0 && (!old || old->deadline_at != record->deadline_at)) {
        if (old && old->deadline_at) {
            s_key_deadline (&key, old->deadline_at, CF_STORE_DEADLINE_CASE,
                            old->id);
            rc = s_del_index (self, txn, S_DB_DEADLINES, &key);
        }
        if (rc == 0 && record->deadline_at) {
            s_key_deadline (&key, record->deadline_at, CF_STORE_DEADLINE_CASE,
                            record->id);
            rc = s_put_index (self, txn, S_DB_DEADLINES, &key);
        }
    }
    return rc;
}

//  ------------------------------------------------------------------------
//  Case fields kept in events
//
//  A case's application is the data of its submit or supplement event,
//  and its score sheet mostly that of the event that filed it: together
//  most of a case record's bytes. The stored record keeps such a field as
//  the seq of that event (application_seq, sheet_seq) instead of a second
//  copy. A put keeps a field in an event only when its packed bytes are
//  that event's, so one the engine changed afterwards (a sheet revised by
//  fixes, an application copied from the certified case) is stored whole;
//  a read puts the field back, so no case handed out has a seq set.

typedef struct {
    const char *name;                              //  For messages
    size_t member;                                 //  Its pointer in Cf__Case
    size_t seq;                                    //  Its event's seq there
    Cf__EventData__BodyCase body;                  //  The event data holding it
    const ProtobufCMessageDescriptor *descriptor;  //  Its type
} s_kept_t;

#define S_KEPT_COUNT 2
static const s_kept_t s_kept[S_KEPT_COUNT] = {
    {"application", offsetof (Cf__Case, application),
     offsetof (Cf__Case, application_seq), CF__EVENT_DATA__BODY_APPLICATION,
     &cf__application__descriptor},
    {"sheet", offsetof (Cf__Case, sheet), offsetof (Cf__Case, sheet_seq),
     CF__EVENT_DATA__BODY_SHEET, &cf__score_sheet__descriptor}};

static ProtobufCMessage **
s_kept_member (Cf__Case *record, const s_kept_t *kept)
{
    return (ProtobufCMessage **)((char *)record + kept->member);
}

static uint64_t *
s_kept_seq (Cf__Case *record, const s_kept_t *kept)
{
    return (uint64_t *)((char *)record + kept->seq);
}

//  How a commit folds its cases' history into one write a case: per op,
//  an event's seq, and on the op that writes its case's history (the
//  case's last put, or its last event when the batch puts no record of
//  it) the batch's events of that case and the latest seq among them
typedef struct {
    uint64_t seq;       //  Event: the seq it gets
    uint64_t last_seq;  //  History writer: its case's latest seq, or 0
    uint32_t events;    //  History writer: its case's events in the batch
    bool writes;        //  Writes its case's record (history included)
    bool superseded;    //  Case put that a later put of the case replaces
    uint64_t kept[S_KEPT_COUNT];  //  History writer: seq of its case's
                                  //  latest event holding each kept field
} s_fold_t;

//  One op naming a case, for grouping them by case
typedef struct {
    const char *case_id;
    size_t op;
} s_touch_t;

static int
s_touch_order (const void *left, const void *right)
{
    const s_touch_t *a = left, *b = right;
    int order = strcmp (a->case_id, b->case_id);
    return order ? order : (a->op > b->op) - (a->op < b->op);
}

//  Plans the folding of batch's case puts and events, from seq, the last
//  committed one: into fold, one entry an op
static void
s_fold_plan (const cf_batch_t *batch, uint64_t seq, s_fold_t *fold)
{
    s_touch_t *touches =
        cf_mem_check (calloc (batch->size + 1, sizeof *touches));
    size_t count = 0;
    for (size_t index = 0; index < batch->size; index++) {
        const s_op_t *op = &batch->ops[index];
        if (op->kind == S_OP_EVENT)
            fold[index].seq = ++seq;
        if (op->kind == S_OP_CASE)
            touches[count++] =
                (s_touch_t){((const Cf__Case *)op->message)->id, index};
        else if (op->kind == S_OP_EVENT &&
                 !s_body_event ((const Cf__Event *)op->message))
            touches[count++] =
                (s_touch_t){((const Cf__Event *)op->message)->case_id, index};
    }
    qsort (touches, count, sizeof *touches, s_touch_order);
    for (size_t start = 0, end; start < count; start = end) {
        size_t writer = SIZE_MAX, last_event = SIZE_MAX;
        uint32_t events = 0;
        uint64_t kept[S_KEPT_COUNT] = {0};
        for (end = start; end < count &&
                          streq (touches[end].case_id, touches[start].case_id);
             end++) {
            size_t op = touches[end].op;
            if (batch->ops[op].kind == S_OP_EVENT) {
                events++;
                last_event = op;
                const Cf__Event *event =
                    (const Cf__Event *)batch->ops[op].message;
                for (size_t k = 0; k < S_KEPT_COUNT; k++)
                    if (event->data &&
                        event->data->body_case == s_kept[k].body &&
                        !(event->refused && *event->refused))
                        kept[k] = fold[op].seq;
            } else {
                if (writer != SIZE_MAX)
                    fold[writer].superseded = true;
                writer = op;
            }
        }
        if (writer == SIZE_MAX)
            writer = last_event;
        fold[writer].writes = true;
        fold[writer].events = events;
        fold[writer].last_seq =
            last_event == SIZE_MAX ? 0 : fold[last_event].seq;
        for (size_t k = 0; k < S_KEPT_COUNT; k++)
            fold[writer].kept[k] = kept[k];
    }
    free (touches);
}

//  The fields of a stored case record that its index rows and history
//  follow (org, state, deadline, last seq, events) and the seqs of the
//  events that keep its fields, read off its packed bytes into head
//  without unpacking the rest; head->org points into org. Returns 0 or
//  CF_ECORRUPT.
static int
s_case_head (const MDB_val *value, Cf__Case *head,
             char org[CF_STORE_ID_MAX + 1])
{
    const uint8_t *data = value->mv_data;
    size_t size = value->mv_size, offset = 0;
    org[0] = 0;
    head->org = org;
    if (size > 0 && data[0] == S_SQUEEZED)
        return CF_ECORRUPT;  //  Case records are never squeezed
    while (offset < size) {
        cf_wire_field_t field;
        if (!cf_wire_next (data, size, &offset, &field))
            return CF_ECORRUPT;
        const ProtobufCFieldDescriptor *descriptor =
            field.number <= UINT32_MAX
                ? protobuf_c_message_descriptor_get_field (
                      &cf__case__descriptor, (unsigned)field.number)
                : NULL;
        void *member = descriptor ? (char *)head + descriptor->offset : NULL;
        if (member == &head->org && field.wire == 2) {
            if (field.size > CF_STORE_ID_MAX)
                return CF_ECORRUPT;
            memcpy (org, field.bytes, field.size);
            org[field.size] = 0;
        } else if (member && field.wire == 0) {
            if (member == &head->state)
                head->state = (Cf__State)field.varint;
            else if (member == &head->deadline_at)
                head->deadline_at = (int64_t)field.varint;
            else if (member == &head->last_seq)
                head->last_seq = field.varint;
            else if (member == &head->events)
                head->events = (uint32_t)field.varint;
            else if (member == &head->application_seq)
                head->application_seq = field.varint;
            else if (member == &head->sheet_seq)
                head->sheet_seq = field.varint;
        }
    }
    return 0;
}

//  The packed bytes of the data body of event seq of case id (its
//  application, say) into *bytes; *owned, set in any case, is the buffer
//  to free. Returns 0; CF_ENOTFOUND when there is no such event, it is of
//  another case, or its data is not that body alone; CF_ECORRUPT when it
//  does not parse; or an LMDB error.
static int
s_event_body (cf_store_t *self, MDB_txn *txn, uint64_t seq, const char *id,
              Cf__EventData__BodyCase body, uint8_t **owned, MDB_val *bytes)
{
    *owned = NULL;
    s_key_t key;
    s_key_seq (&key, seq);
    MDB_val value, plain;
    int rc = s_get (self, txn, S_DB_EVENTS, &key, &value);
    if (rc)
        return rc;
    if (!s_plain (&value, owned, &plain))
        return CF_ECORRUPT;
    const uint8_t *data = plain.mv_data;
    size_t offset = 0, datas = 0;
    bool ours = false;
    cf_wire_field_t field, found = {0};
    while (offset < plain.mv_size) {
        if (!cf_wire_next (data, plain.mv_size, &offset, &field))
            return CF_ECORRUPT;
        const ProtobufCFieldDescriptor *descriptor =
            field.number <= UINT32_MAX
                ? protobuf_c_message_descriptor_get_field (
                      &cf__event__descriptor, (unsigned)field.number)
                : NULL;
        if (!descriptor || field.wire != 2)
            continue;
        if (descriptor->offset == offsetof (Cf__Event, case_id))
            ours = field.size == strlen (id) &&
                   memcmp (field.bytes, id, field.size) == 0;
        else if (descriptor->offset == offsetof (Cf__Event, data)) {
            datas++;
            found = field;
        }
    }
    //  The data must be the body alone: then it is what unpacks
    offset = 0;
    if (!ours || datas != 1 ||
        !cf_wire_next (found.bytes, found.size, &offset, &field) ||
        offset != found.size || field.number != (uint64_t)body ||
        field.wire != 2)
        return CF_ENOTFOUND;
    *bytes = (MDB_val){field.size, (void *)field.bytes};
    return 0;
}

//  Gives record back the fields s_kept_lend took
static void
s_kept_return (Cf__Case *record, ProtobufCMessage *lent[S_KEPT_COUNT])
{
    for (size_t k = 0; k < S_KEPT_COUNT; k++) {
        if (lent[k])
            *s_kept_member (record, &s_kept[k]) = lent[k];
        *s_kept_seq (record, &s_kept[k]) = 0;
    }
}

//  Takes out of record, while it is packed, the fields that fold's events
//  or the stored record's (old) keep, setting their seqs; lent gets what
//  was taken, for s_kept_return. On an error record is as it came.
static int
s_kept_lend (cf_store_t *self, MDB_txn *txn, Cf__Case *record,
             const s_fold_t *fold, Cf__Case *old,
             ProtobufCMessage *lent[S_KEPT_COUNT])
{
    for (size_t k = 0; k < S_KEPT_COUNT; k++)
        lent[k] = NULL;
    for (size_t k = 0; k < S_KEPT_COUNT; k++) {
        const s_kept_t *kept = &s_kept[k];
        ProtobufCMessage **member = s_kept_member (record, kept);
        *s_kept_seq (record, kept) = 0;
        if (!*member)
            continue;
        uint64_t candidates[2] = {fold->kept[k],
                                  old ? *s_kept_seq (old, kept) : 0};
        size_t size = protobuf_c_message_get_packed_size (*member);
        uint8_t *packed = NULL;
        for (size_t c = 0; c < 2 && !lent[k]; c++) {
            if (candidates[c] == 0 ||
                (c == 1 && candidates[1] == candidates[0]))
                continue;
            uint8_t *owned;
            MDB_val bytes;
            int rc = s_event_body (self, txn, candidates[c], record->id,
                                   kept->body, &owned, &bytes);
            if (rc == 0 && bytes.mv_size == size) {
                if (!packed)
                    packed = cf_pb_pack (*member, &size);
                if (memcmp (packed, bytes.mv_data, size) == 0) {
                    lent[k] = *member;
                    *member = NULL;
                    *s_kept_seq (record, kept) = candidates[c];
                }
            }
            free (owned);
            if (rc && rc != CF_ENOTFOUND && rc != CF_ECORRUPT) {
                //  The batch may be committed again: give all back
                free (packed);
                s_kept_return (record, lent);
                return rc;
            }
        }
        free (packed);
    }
    return 0;
}

//  Reads the field record keeps in an event into *field. Returns 0,
//  CF_ECORRUPT when that event does not hold it (or record holds it too),
//  or an LMDB error.
static int
s_kept_read (cf_store_t *self, MDB_txn *txn, Cf__Case *record,
             const s_kept_t *kept, ProtobufCMessage **field)
{
    *field = NULL;
    uint8_t *owned = NULL;
    MDB_val bytes;
    int rc = *s_kept_member (record, kept)
                 ? CF_ENOTFOUND
                 : s_event_body (self, txn, *s_kept_seq (record, kept),
                                 record->id, kept->body, &owned, &bytes);
    if (rc == 0) {
        *field = protobuf_c_message_unpack (kept->descriptor, NULL,
                                            bytes.mv_size, bytes.mv_data);
        rc = *field ? 0 : CF_ECORRUPT;
    }
    free (owned);
    return rc == CF_ENOTFOUND ? CF_ECORRUPT : rc;
}

//  Unpacks a stored case record with the fields it keeps in events put
//  back. Returns 0, CF_ECORRUPT (logged), or an LMDB error.
static int
s_case_unpack (cf_store_t *self, MDB_txn *txn, const MDB_val *value,
               Cf__Case **record_p)
{
    Cf__Case *record = s_unpack (&cf__case__descriptor, value);
    *record_p = NULL;
    if (!record) {
        cf_log_error ("store: a record in cases does not decode");
        return CF_ECORRUPT;
    }
    for (size_t k = 0; k < S_KEPT_COUNT; k++) {
        const s_kept_t *kept = &s_kept[k];
        uint64_t *seq = s_kept_seq (record, kept);
        if (*seq == 0)
            continue;
        ProtobufCMessage *field;
        int rc = s_kept_read (self, txn, record, kept, &field);
        if (rc == CF_ECORRUPT)
            cf_log_error ("store: case %s keeps its %s in event %" PRIu64
                          ", which does not hold it",
                          record->id, kept->name, *seq);
        if (rc) {
            cf_pb_free (&record);
            return rc;
        }
        *s_kept_member (record, kept) = field;
        *seq = 0;
    }
    *record_p = record;
    return 0;
}

//  Puts record, its history fields the stored ones moved by fold
static int
s_apply_case (cf_store_t *self, MDB_txn *txn, Cf__Case *record,
              const s_fold_t *fold)
{
    s_key_t key;
    s_key_id (&key, record->id);
    MDB_val value;
    int rc = s_get (self, txn, S_DB_CASES, &key, &value);
    if (rc && rc != CF_ENOTFOUND)
        return rc;
    Cf__Case stored = CF__CASE__INIT;
    char org[CF_STORE_ID_MAX + 1];
    const Cf__Case *old = NULL;
    if (rc == 0) {
        stored.id = record->id;
        rc = s_case_head (&value, &stored, org);
        if (rc) {
            cf_log_error ("store: case %s does not decode", record->id);
            return rc;
        }
        old = &stored;
    }
    rc = 0;
    //  The history fields are the store's: carry them over
    record->last_seq = fold->last_seq ? fold->last_seq
                       : old          ? old->last_seq
                                      : 0;
    record->events = (old ? old->events : 0) + fold->events;
    rc = s_update_case_indexes (self, txn, old, record);
    ProtobufCMessage *lent[S_KEPT_COUNT];
    if (rc == 0)
        rc = s_kept_lend (self, txn, record, fold, old ? &stored : NULL, lent);
    if (rc == 0) {
        int mrc = s_put_message (self, txn, S_DB_CASES, &key, &record->base, 0);
        s_kept_return (record, lent);
        if (mrc)
            rc = s_lmdb_error (mrc, "cases");
    }
    return rc;
}

static int
s_apply_job (cf_store_t *self, MDB_txn *txn, const Cf__Job *job)
{
    s_key_t key;
    s_key_seq (&key, job->id);
    Cf__Job *old;
    int rc =
        s_get_message (self, txn, S_DB_JOBS, &key, &cf__job__descriptor, &old);
    if (rc && rc != CF_ENOTFOUND)
        return rc;
    bool had = old && s_job_has_deadline (old);
    bool has = s_job_has_deadline (job);
    bool same = had && has && old->due_at == job->due_at;
    s_key_t row;
    rc = 0;
    if (had && !same) {
        s_key_job_deadline (&row, old);
        rc = s_del_index (self, txn, S_DB_DEADLINES, &row);
    }
    if (rc == 0 && has && !same) {
        s_key_job_deadline (&row, job);
        rc = s_put_index (self, txn, S_DB_DEADLINES, &row);
    }
    if (rc == 0) {
        int mrc = s_put_message (self, txn, S_DB_JOBS, &key, &job->base, 0);
        if (mrc)
            rc = s_lmdb_error (mrc, "jobs");
    }
    cf_pb_free (&old);
    return rc;
}

static int
s_apply_delete_job (cf_store_t *self, MDB_txn *txn, uint64_t id)
{
    s_key_t key;
    s_key_seq (&key, id);
    Cf__Job *old;
    int rc =
        s_get_message (self, txn, S_DB_JOBS, &key, &cf__job__descriptor, &old);
    if (rc == CF_ENOTFOUND)
        cf_log_error ("store: job %" PRIu64 " to delete does not exist", id);
    if (rc)
        return rc;
    if (s_job_has_deadline (old)) {
        s_key_t row;
        s_key_job_deadline (&row, old);
        rc = s_del_index (self, txn, S_DB_DEADLINES, &row);
    }
    cf_pb_free (&old);
    if (rc == 0) {
        MDB_val k = s_val (&key);
        int mrc = mdb_del (txn, self->dbi[S_DB_JOBS], &k, NULL);
        if (mrc)
            rc = s_lmdb_error (mrc, "jobs");
    }
    return rc;
}

static int
s_apply_reply (cf_store_t *self, MDB_txn *txn, const s_op_t *op)
{
    s_key_t key;
    s_key_reply (&key, op->name, op->text);
    MDB_val value;
    int rc = s_get (self, txn, S_DB_REPLIES, &key, &value);
    if (rc == 0) {
        bool same = value.mv_size >= CF_STORE_HASH_SIZE &&
                    memcmp (value.mv_data, op->data, CF_STORE_HASH_SIZE) == 0;
        cf_log_error ("store: reply to request %s from %s is already stored%s",
                      op->text, op->name, same ? "" : " for another body");
        return same ? CF_EEXIST : CF_ECONFLICT;
    }
    if (rc != CF_ENOTFOUND)
        return rc;
    int mrc = s_put (self, txn, S_DB_REPLIES, &key, op->data, op->size, 0);
    if (mrc)
        return s_lmdb_error (mrc, "replies");
    s_key_reply_time (&key, op->at, op->name, op->text);
    return s_put_index (self, txn, S_DB_REPLY_TIMES, &key);
}

//  Drops the stored replies made before op->at, oldest first, at most
//  op->number of them. The meta key replies_kept_from says from when
//  on every request's reply is still held, for verify.
static int
s_apply_prune_replies (cf_store_t *self, MDB_txn *txn, const s_op_t *op)
{
    MDB_cursor *cursor = NULL;
    int mrc = mdb_cursor_open (txn, self->dbi[S_DB_REPLY_TIMES], &cursor);
    if (mrc)
        return s_lmdb_error (mrc, "reply_times");
    MDB_val key, value;
    uint64_t dropped = 0;
    int64_t horizon = 0;
    int rc = 0;
    mrc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
    while (mrc == 0 && dropped < op->number && key.mv_size > 8) {
        int64_t at = (int64_t)s_get_u64 (key.mv_data);
        if (at >= op->at)
            break;
        MDB_val reply = {key.mv_size - 8, (uint8_t *)key.mv_data + 8};
        mrc = mdb_del (txn, self->dbi[S_DB_REPLIES], &reply, NULL);
        if (mrc == MDB_NOTFOUND)
            mrc = 0;
        if (mrc == 0)
            mrc = mdb_cursor_del (cursor, 0);
        if (mrc)
            break;
        dropped++;
        horizon = at + 1;
        mrc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
    }
    mdb_cursor_close (cursor);
    if (mrc && mrc != MDB_NOTFOUND)
        return s_lmdb_error (mrc, "reply_times");
    if (dropped) {
        char text[24];
        snprintf (text, sizeof text, "%" PRId64, horizon);
        rc = s_meta_put (self, txn, "replies_kept_from", text);
        cf_log_info ("store: %" PRIu64 " stored replies made before %" PRId64
                     " dropped",
                     dropped, op->at);
    }
    return rc;
}

static int
s_apply_certificate (cf_store_t *self, MDB_txn *txn, const s_op_t *op)
{
    const Cf__Certificate *certificate = (const Cf__Certificate *)op->message;
    s_key_t key;
    s_key_id (&key, certificate->number);
    unsigned flags = 0;
    if (op->kind == S_OP_CERTIFICATE_INSERT)
        flags = MDB_NOOVERWRITE;
    else {
        MDB_val value;
        int rc = s_get (self, txn, S_DB_CERTIFICATES, &key, &value);
        if (rc == CF_ENOTFOUND)
            cf_log_error ("store: certificate %s to update does not exist",
                          certificate->number);
        if (rc)
            return rc;
    }
    int mrc = s_put_message (self, txn, S_DB_CERTIFICATES, &key,
                             &certificate->base, flags);
    if (mrc == MDB_KEYEXIST) {
        cf_log_error ("store: certificate number %s is already taken",
                      certificate->number);
        return CF_EEXIST;
    }
    return mrc ? s_lmdb_error (mrc, "certificates") : 0;
}

static int
s_apply_counter (cf_store_t *self, MDB_txn *txn, const s_op_t *op)
{
    uint64_t current;
    int rc = s_meta_get_u64 (self, txn, op->name, &current);
    if (rc)
        return rc;
    if (current != op->base) {
        cf_log_error ("store: counter %s moved from %" PRIu64 " to %" PRIu64
                      " since the batch reserved from it",
                      op->name, op->base, current);
        return CF_ECONFLICT;
    }
    char text[24];
    snprintf (text, sizeof text, "%" PRIu64, op->number);
    return s_meta_put (self, txn, op->name, text);
}

static int
s_apply_write (cf_store_t *self, MDB_txn *txn, s_op_t *op, const s_fold_t *fold)
{
    s_key_t key;
    int mrc;
    switch (op->kind) {
        case S_OP_CASE:
            return fold->superseded
                       ? 0
                       : s_apply_case (self, txn, (Cf__Case *)op->message,
                                       fold);
        case S_OP_JOB:
            return s_apply_job (self, txn, (const Cf__Job *)op->message);
        case S_OP_DELETE_JOB:
            return s_apply_delete_job (self, txn, op->number);
        case S_OP_REPLY:
            return s_apply_reply (self, txn, op);
        case S_OP_STAFF:
            s_key_id (&key, ((const Cf__Staff *)op->message)->id);
            mrc = s_put_message (self, txn, S_DB_STAFF, &key, op->message, 0);
            return mrc ? s_lmdb_error (mrc, "staff") : 0;
        case S_OP_CERTIFICATE_INSERT:
        case S_OP_CERTIFICATE_UPDATE:
            return s_apply_certificate (self, txn, op);
        case S_OP_META:
            return s_meta_put (self, txn, op->name, op->text);
        case S_OP_ORGANIZATION:
            s_key_id (&key, ((const Cf__Organization *)op->message)->id);
            mrc = s_put_message (self, txn, S_DB_ORGS, &key, op->message, 0);
            return mrc ? s_lmdb_error (mrc, "organizations") : 0;
        case S_OP_APPOINTMENT: {
            const Cf__Appointment *appointment = (void *)op->message;
            s_key_appointment (&key, appointment->consultancy,
                               appointment->company, appointment->id);
            mrc = s_put_message (self, txn, S_DB_APPOINTMENTS, &key,
                                 op->message, 0);
            return mrc ? s_lmdb_error (mrc, "appointments") : 0;
        }
        case S_OP_COUNTER:
            return s_apply_counter (self, txn, op);
        case S_OP_PRUNE_REPLIES:
            return s_apply_prune_replies (self, txn, op);
        case S_OP_EVENT:
            break;  //  Second phase
    }
    return 0;
}

//  Appends one event after the one with hash prev; when the batch puts no
//  record of its case, the last of its case's events moves the case's
//  history fields, as fold says
static int
s_apply_event (cf_store_t *self, MDB_txn *txn, Cf__Event *event,
               const s_fold_t *fold, uint8_t *hash)
{
    uint64_t seq = fold->seq;
    event->seq = seq;
    s_set_bytes (&event->prev_hash, hash, CF_STORE_HASH_SIZE);
    s_set_bytes (&event->hash, NULL, 0);
    s_event_hash (event, hash);
    s_set_bytes (&event->hash, hash, CF_STORE_HASH_SIZE);

    s_key_t key;
    bool body = s_body_event (event);
    if (!body && fold->writes) {
        s_key_id (&key, event->case_id);
        Cf__Case *record;
        int rc = s_get_message (self, txn, S_DB_CASES, &key,
                                &cf__case__descriptor, &record);
        if (rc == CF_ENOTFOUND)
            cf_log_error ("store: event %s names case %s, which does not exist",
                          event->event, event->case_id);
        if (rc)
            return rc;
        record->last_seq = fold->last_seq;
        record->events += fold->events;
        int mrc = s_put_message (self, txn, S_DB_CASES, &key, &record->base, 0);
        cf_pb_free (&record);
        if (mrc)
            return s_lmdb_error (mrc, "cases");
    }
    s_key_seq (&key, seq);
    int mrc =
        s_put_message (self, txn, S_DB_EVENTS, &key, &event->base, MDB_APPEND);
    if (mrc == MDB_KEYEXIST) {
        cf_log_error ("store: event %" PRIu64 " already exists: meta "
                      "last_seq is behind the log",
                      seq);
        return CF_ECORRUPT;
    }
    if (mrc)
        return s_lmdb_error (mrc, "events");
    if (body)
        return 0;
    s_key_case_event (&key, event->case_id, seq);
    return s_put_index (self, txn, S_DB_CASE_EVENTS, &key);
}

//  Appends the batch's events after seq, the one with hash hash, and sets
//  the store's last seq and hash
static int
s_apply_events (cf_store_t *self, MDB_txn *txn, cf_batch_t *batch,
                const s_fold_t *fold, uint64_t seq, uint8_t *hash,
                uint64_t *first_seq, uint64_t *last_seq)
{
    int rc = 0;
    for (size_t index = 0; index < batch->size && rc == 0; index++) {
        s_op_t *op = &batch->ops[index];
        if (op->kind != S_OP_EVENT)
            continue;
        seq = fold[index].seq;
        if (*first_seq == 0)
            *first_seq = seq;
        rc = s_apply_event (self, txn, (Cf__Event *)op->message, &fold[index],
                            hash);
    }
    if (rc == 0 && batch->events > 0) {
        *last_seq = seq;
        char text[2 * CF_STORE_HASH_SIZE + 1];
        snprintf (text, sizeof text, "%" PRIu64, seq);
        rc = s_meta_put (self, txn, "last_seq", text);
        s_hex (hash, CF_STORE_HASH_SIZE, text);
        if (rc == 0)
            rc = s_meta_put (self, txn, "last_hash", text);
    }
    return rc;
}

//  Commits, or fails as a test asked; the transaction is gone either way
static int
s_txn_commit (cf_store_t *self, MDB_txn *txn)
{
    int rc = 0;
    if (s_fault_fires (self, CF_STORE_FAULT_MAP_FULL_AT_COMMIT))
        rc = MDB_MAP_FULL;
    else if (s_fault_fires (self, CF_STORE_FAULT_EIO_AT_COMMIT))
        rc = EIO;
    if (rc) {
        mdb_txn_abort (txn);
        return rc;
    }
    return mdb_txn_commit (txn);
}

//  Reads the last committed seq and hash, and checks the batch's promise
static int
s_log_head (cf_store_t *self, MDB_txn *txn, const cf_batch_t *batch,
            uint64_t *seq, uint8_t *hash)
{
    int rc = s_meta_get_u64 (self, txn, "last_seq", seq);
    if (rc == 0)
        rc = s_meta_get_hash (self, txn, hash);
    if (rc == 0 && batch->first_seq && batch->first_seq != *seq + 1) {
        cf_log_error ("store: batch was promised seq %" PRIu64
                      " but another batch took it; the next seq is "
                      "%" PRIu64,
                      batch->first_seq, *seq + 1);
        rc = CF_ECONFLICT;
    }
    return rc;
}

int
cf_store_commit (cf_store_t *self, cf_batch_t *batch, uint64_t *first_seq,
                 uint64_t *last_seq)
{
    assert (self && batch);
    uint64_t first = 0, last = 0, seq = 0;
    uint8_t hash[CF_STORE_HASH_SIZE];
    s_fold_t *fold = NULL;
    int rc = s_batch_open (batch);
    MDB_txn *txn = NULL;
    if (rc == 0)
        rc = s_txn_begin (self, 0, &txn);
    if (rc == 0)
        rc = s_log_head (self, txn, batch, &seq, hash);
    if (rc == 0) {
        //  A case put and its events in one batch write the case once
        fold = cf_mem_check (calloc (batch->size + 1, sizeof *fold));
        s_fold_plan (batch, seq, fold);
    }
    //  Events first: a case put looks up the fields its events keep
    if (rc == 0)
        rc = s_apply_events (self, txn, batch, fold, seq, hash, &first, &last);
    for (size_t index = 0; index < batch->size && rc == 0; index++)
        rc = s_apply_write (self, txn, &batch->ops[index], &fold[index]);
    free (fold);
    if (rc == 0) {
        int mrc = s_txn_commit (self, txn);
        if (mrc)
            rc = s_lmdb_error (mrc, "commit");
    } else if (txn)
        mdb_txn_abort (txn);
    if (rc)
        first = last = 0;
    else
        batch->committed = true;
    if (first_seq)
        *first_seq = first;
    if (last_seq)
        *last_seq = last;
    return rc;
}

//  ------------------------------------------------------------------------
//  Reads

//  Gets one record in its own read transaction
static int
s_read_message (cf_store_t *self, s_db_t db, const s_key_t *key,
                const ProtobufCMessageDescriptor *descriptor, void *message_p)
{
    *(void **)message_p = NULL;
    MDB_txn *txn;
    int rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    rc = s_get_message (self, txn, db, key, descriptor, message_p);
    mdb_txn_abort (txn);
    return rc;
}

int
cf_store_get_case (cf_store_t *self, const char *id, Cf__Case **record_p)
{
    assert (self && record_p);
    *record_p = NULL;
    if (s_check_id (id))
        return CF_EINVAL;
    s_key_t key;
    s_key_id (&key, id);
    MDB_txn *txn;
    int rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    MDB_val value;
    rc = s_get (self, txn, S_DB_CASES, &key, &value);
    if (rc == 0)
        rc = s_case_unpack (self, txn, &value, record_p);
    mdb_txn_abort (txn);
    return rc;
}

int
cf_store_get_job (cf_store_t *self, uint64_t id, Cf__Job **job_p)
{
    assert (self && job_p);
    s_key_t key;
    s_key_seq (&key, id);
    return s_read_message (self, S_DB_JOBS, &key, &cf__job__descriptor, job_p);
}

int
cf_store_get_staff (cf_store_t *self, const char *id, Cf__Staff **staff_p)
{
    assert (self && staff_p);
    *staff_p = NULL;
    if (s_check_id (id))
        return CF_EINVAL;
    s_key_t key;
    s_key_id (&key, id);
    return s_read_message (self, S_DB_STAFF, &key, &cf__staff__descriptor,
                           staff_p);
}

int
cf_store_get_certificate (cf_store_t *self, const char *number,
                          Cf__Certificate **certificate_p)
{
    assert (self && certificate_p);
    *certificate_p = NULL;
    if (s_check_id (number))
        return CF_EINVAL;
    s_key_t key;
    s_key_id (&key, number);
    return s_read_message (self, S_DB_CERTIFICATES, &key,
                           &cf__certificate__descriptor, certificate_p);
}

//  Copies one raw value out of its own read transaction
static int
s_read_value (cf_store_t *self, s_db_t db, const s_key_t *key, uint8_t **data,
              size_t *size)
{
    *data = NULL;
    *size = 0;
    MDB_txn *txn;
    int rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    MDB_val value;
    rc = s_get (self, txn, db, key, &value);
    if (rc == 0) {
        *data = (uint8_t *)s_strndup (value.mv_data, value.mv_size);
        *size = value.mv_size;
    }
    mdb_txn_abort (txn);
    return rc;
}

int
cf_store_get_meta (cf_store_t *self, const char *key, char **value_p)
{
    assert (self && value_p);
    *value_p = NULL;
    if (s_check_id (key))
        return CF_EINVAL;
    s_key_t k;
    s_key_id (&k, key);
    size_t size;
    return s_read_value (self, S_DB_META, &k, (uint8_t **)value_p, &size);
}

int
cf_store_get_reply (cf_store_t *self, const char *key, const char *request_id,
                    const uint8_t *request_hash, uint8_t **reply_p,
                    size_t *size)
{
    assert (self && request_hash && reply_p && size);
    *reply_p = NULL;
    *size = 0;
    if (s_check_id (key) || s_check_id (request_id))
        return CF_EINVAL;
    s_key_t k;
    s_key_reply (&k, key, request_id);
    uint8_t *record;
    size_t record_size;
    int rc = s_read_value (self, S_DB_REPLIES, &k, &record, &record_size);
    if (rc)
        return rc;
    if (record_size < CF_STORE_HASH_SIZE) {
        cf_log_error ("store: reply record for %s is too short", request_id);
        rc = CF_ECORRUPT;
    } else if (memcmp (record, request_hash, CF_STORE_HASH_SIZE) != 0)
        rc = CF_ECONFLICT;
    else {
        *size = record_size - CF_STORE_HASH_SIZE;
        *reply_p = (uint8_t *)s_strndup (record + CF_STORE_HASH_SIZE, *size);
    }
    free (record);
    return rc;
}

int
cf_store_oldest_reply (cf_store_t *self, int64_t *at_p)
{
    assert (self && at_p);
    *at_p = 0;
    if (self->untimed)
        return CF_ENOTFOUND;
    MDB_txn *txn;
    int rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    MDB_cursor *cursor = NULL;
    MDB_val key, value;
    int mrc = mdb_cursor_open (txn, self->dbi[S_DB_REPLY_TIMES], &cursor);
    if (mrc == 0)
        mrc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
    if (mrc == 0 && key.mv_size >= 8)
        *at_p = (int64_t)s_get_u64 (key.mv_data);
    if (cursor)
        mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    if (mrc == MDB_NOTFOUND)
        return CF_ENOTFOUND;
    return mrc ? s_lmdb_error (mrc, "reply_times") : 0;
}

int
cf_store_last_seq (cf_store_t *self, uint64_t *seq)
{
    assert (self && seq);
    *seq = 0;
    MDB_txn *txn;
    int rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    rc = s_meta_get_u64 (self, txn, "last_seq", seq);
    mdb_txn_abort (txn);
    return rc;
}

//  Walks a database from key start (NULL or empty: first) while keys begin with
//  prefix; calls visit for each row until it returns non-zero (1 stops
//  quietly, negative is an error)
typedef int (s_visit_fn) (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                          const MDB_val *value, void *argument);

static int
s_walk (cf_store_t *self, MDB_txn *txn, s_db_t db, const s_key_t *start,
        const void *prefix, size_t prefix_size, s_visit_fn *visit,
        void *argument)
{
    if (self->absent[db])
        return 0;
    MDB_cursor *cursor;
    int mrc = mdb_cursor_open (txn, self->dbi[db], &cursor);
    if (mrc)
        return s_lmdb_error (mrc, s_db_names[db]);
    MDB_val key = {0, NULL}, value;
    if (start && start->size > 0) {
        key = s_val (start);
        mrc = mdb_cursor_get (cursor, &key, &value, MDB_SET_RANGE);
    } else
        mrc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
    int rc = 0;
    while (mrc == 0 && rc == 0) {
        if (prefix_size && (key.mv_size < prefix_size ||
                            memcmp (key.mv_data, prefix, prefix_size) != 0))
            break;
        rc = visit (self, txn, &key, &value, argument);
        if (rc == 0)
            mrc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
    if (mrc && mrc != MDB_NOTFOUND)
        return s_lmdb_error (mrc, s_db_names[db]);
    return rc < 0 ? rc : 0;
}

//  Runs s_walk in its own read transaction
static int
s_read_walk (cf_store_t *self, s_db_t db, const s_key_t *start,
             const void *prefix, size_t prefix_size, s_visit_fn *visit,
             void *argument)
{
    MDB_txn *txn;
    int rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    rc = s_walk (self, txn, db, start, prefix, prefix_size, visit, argument);
    mdb_txn_abort (txn);
    return rc;
}

//  Collects meta keys into a growing array of strings
typedef struct {
    char **keys;   //  The keys so far
    size_t count;  //  How many
} s_keys_t;

static int
s_collect_key (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
               const MDB_val *value, void *argument)
{
    (void)self, (void)txn, (void)value;
    s_keys_t *keys = argument;
    keys->keys = cf_mem_check (
        realloc (keys->keys, (keys->count + 1) * sizeof (char *)));
    keys->keys[keys->count++] = s_strndup (key->mv_data, key->mv_size);
    return 0;
}

int
cf_store_meta_keys (cf_store_t *self, const char *prefix, char ***keys_p,
                    size_t *count)
{
    assert (self && prefix && keys_p && count);
    *keys_p = NULL;
    *count = 0;
    if (s_check_id (prefix))
        return CF_EINVAL;
    s_key_t start;
    s_key_id (&start, prefix);
    s_keys_t keys = {NULL, 0};
    int rc = s_read_walk (self, S_DB_META, &start, prefix, strlen (prefix),
                          s_collect_key, &keys);
    if (rc) {
        cf_store_keys_free (&keys.keys, keys.count);
        return rc;
    }
    *keys_p = keys.keys;
    *count = keys.count;
    return 0;
}

void
cf_store_keys_free (char ***keys_p, size_t count)
{
    assert (keys_p);
    if (*keys_p) {
        for (size_t index = 0; index < count; index++)
            free ((*keys_p)[index]);
        free (*keys_p);
        *keys_p = NULL;
    }
}

//  Collects unpacked records, up to a limit (0: no limit), optionally
//  filtered
typedef struct {
    s_list_t list;  //  What was collected
    size_t limit;   //  Stop after this many; 0: all
    const ProtobufCMessageDescriptor *descriptor;  //  Record type
    int job_status;    //  Jobs only: keep this status; 0: all
    size_t max_bytes;  //  Packed bytes the page may take; 0: any
    size_t bytes;      //  Packed bytes taken so far
    bool more;         //  A record beyond the limit or the size exists
} s_collect_t;

static int
s_collect_record (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                  const MDB_val *value, void *argument)
{
    (void)key;
    s_collect_t *collect = argument;
    if (collect->limit && collect->list.size == collect->limit) {
        collect->more = true;
        return 1;
    }
    //  A page holds at least one record, so it always moves on. A reply
    //  carries records packed: a squeezed one counts as it unpacks.
    size_t head, size = s_packed_size (value, &head);
    if (collect->max_bytes && collect->list.size > 0 &&
        (collect->bytes >= collect->max_bytes ||
         size > collect->max_bytes - collect->bytes)) {
        collect->more = true;
        return 1;
    }
    collect->bytes += size;
    void *message;
    if (collect->descriptor == &cf__case__descriptor) {
        int rc = s_case_unpack (self, txn, value, (Cf__Case **)&message);
        if (rc)
            return rc;
    } else
        message = s_unpack (collect->descriptor, value);
    if (!message) {
        cf_log_error ("store: a %s record does not decode",
                      collect->descriptor->short_name);
        return CF_ECORRUPT;
    }
    if (collect->job_status &&
        (int)((Cf__Job *)message)->status != collect->job_status) {
        protobuf_c_message_free_unpacked (message, NULL);
        return 0;
    }
    s_list_append (&collect->list, message);
    return 0;
}

//  Hands a collected list to the caller, or frees it on error
static int
s_collect_result (s_collect_t *collect, int rc, void *items_p, size_t *count)
{
    if (rc) {
        s_list_free_messages (&collect->list);
        *(void **)items_p = NULL;
        *count = 0;
        return rc;
    }
    *(void ***)items_p = collect->list.items;
    *count = collect->list.size;
    return 0;
}

int
cf_store_events_since (cf_store_t *self, uint64_t after, size_t limit,
                       Cf__Event ***events, size_t *count)
{
    bool more;
    return cf_store_events_page (self, after, limit, 0, events, count, &more);
}

int
cf_store_events_page (cf_store_t *self, uint64_t after, size_t limit,
                      size_t max_bytes, Cf__Event ***events, size_t *count,
                      bool *more)
{
    assert (self && events && count && more);
    *events = NULL;
    *count = 0;
    *more = false;
    if (limit == 0)
        return CF_EINVAL;
    if (after == UINT64_MAX)
        return 0;
    s_collect_t collect = {
        {NULL, 0, 0}, limit, &cf__event__descriptor, 0, max_bytes, 0, false};
    s_key_t start;
    s_key_seq (&start, after + 1);
    int rc = s_read_walk (self, S_DB_EVENTS, &start, NULL, 0, s_collect_record,
                          &collect);
    *more = rc == 0 && collect.more;
    return s_collect_result (&collect, rc, events, count);
}

//  Gathers the events named by case_events rows
static int
s_collect_history (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                   const MDB_val *value, void *argument)
{
    (void)value;
    s_collect_t *collect = argument;
    if (key->mv_size < 9) {
        cf_log_error ("store: a case_events key is too short");
        return CF_ECORRUPT;
    }
    s_key_t event_key;
    s_key_seq (&event_key,
               s_get_u64 ((const uint8_t *)key->mv_data + key->mv_size - 8));
    MDB_val record;
    int rc = s_get (self, txn, S_DB_EVENTS, &event_key, &record);
    if (rc == CF_ENOTFOUND) {
        cf_log_error ("store: case_events names a missing event");
        rc = CF_ECORRUPT;
    }
    if (rc)
        return rc;
    return s_collect_record (self, txn, key, &record, collect);
}

int
cf_store_case_history (cf_store_t *self, const char *case_id,
                       Cf__Event ***events, size_t *count)
{
    bool more;
    return cf_store_history_page (self, case_id, 0, 0, 0, events, count, &more);
}

int
cf_store_history_page (cf_store_t *self, const char *case_id, uint64_t after,
                       size_t limit, size_t max_bytes, Cf__Event ***events,
                       size_t *count, bool *more)
{
    assert (self && events && count && more);
    *events = NULL;
    *count = 0;
    *more = false;
    if (s_check_id (case_id))
        return CF_EINVAL;
    if (after == UINT64_MAX)
        return 0;
    MDB_txn *txn;
    int rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    s_key_t key;
    s_key_id (&key, case_id);
    MDB_val value;
    rc = s_get (self, txn, S_DB_CASES, &key, &value);
    s_collect_t collect = {
        {NULL, 0, 0}, limit, &cf__event__descriptor, 0, max_bytes, 0, false};
    if (rc == 0) {
        s_key_byte (&key, 0);
        s_key_t start;
        s_key_case_event (&start, case_id, after + 1);
        rc = s_walk (self, txn, S_DB_CASE_EVENTS, &start, key.data, key.size,
                     s_collect_history, &collect);
    }
    mdb_txn_abort (txn);
    *more = rc == 0 && collect.more;
    return s_collect_result (&collect, rc, events, count);
}

//  A page of cases from an index whose keys are prefix + case id
typedef struct {
    s_collect_t collect;   //  Cases so far
    size_t prefix_size;    //  Bytes before the case id
    const s_key_t *after;  //  Key of the last row already seen
    bool more;             //  A row beyond the page exists
    bool records;          //  Rows are the cases themselves
} s_page_t;

static int
s_page_row (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
            const MDB_val *value, void *argument)
{
    s_page_t *page = argument;
    if (page->after && key->mv_size == page->after->size &&
        memcmp (key->mv_data, page->after->data, key->mv_size) == 0)
        return 0;  //  The previous page ended here
    if (page->collect.list.size == page->collect.limit) {
        page->more = true;
        return 1;
    }
    if (page->records)
        return s_collect_record (self, txn, key, value, &page->collect);
    s_key_t case_key;
    case_key.size = 0;
    size_t id_size = key->mv_size - page->prefix_size;
    if (id_size == 0 || id_size > CF_STORE_ID_MAX) {
        cf_log_error ("store: an index row holds no valid case id");
        return CF_ECORRUPT;
    }
    s_key_bytes (&case_key, (const uint8_t *)key->mv_data + page->prefix_size,
                 id_size);
    MDB_val record;
    int rc = s_get (self, txn, S_DB_CASES, &case_key, &record);
    if (rc == CF_ENOTFOUND) {
        cf_log_error ("store: an index row names missing case %.*s",
                      (int)id_size, (const char *)case_key.data);
        rc = CF_ECORRUPT;
    }
    if (rc)
        return rc;
    return s_collect_record (self, txn, key, &record, &page->collect);
}

static int
s_list_page (cf_store_t *self, s_db_t db, const s_key_t *prefix,
             const char *after, size_t limit, Cf__Case ***cases, size_t *count,
             char **next)
{
    assert (cases && count && next);
    *cases = NULL;
    *count = 0;
    *next = NULL;
    if (limit == 0 || (after && strlen (after) > CF_STORE_ID_MAX))
        return CF_EINVAL;
    s_key_t start = *prefix;
    if (after)
        s_key_text (&start, after);
    s_page_t page = {{.limit = limit, .descriptor = &cf__case__descriptor},
                     prefix->size,
                     after && *after ? &start : NULL,
                     false,
                     db == S_DB_CASES};
    int rc = s_read_walk (self, db, &start, prefix->data, prefix->size,
                          s_page_row, &page);
    rc = s_collect_result (&page.collect, rc, cases, count);
    if (rc == 0 && page.more)
        *next = cf_mem_check (strdup ((*cases)[*count - 1]->id));
    return rc;
}

int
cf_store_list_by_state (cf_store_t *self, Cf__State state, const char *after,
                        size_t limit, Cf__Case ***cases, size_t *count,
                        char **next)
{
    assert (self);
    s_key_t prefix = {{0}, 0};
    if (!s_state_valid (state)) {
        *cases = NULL, *count = 0, *next = NULL;
        return CF_EINVAL;
    }
    s_key_byte (&prefix, (uint8_t)state);
    return s_list_page (self, S_DB_BY_STATE, &prefix, after, limit, cases,
                        count, next);
}

int
cf_store_list_by_org (cf_store_t *self, const char *org, const char *after,
                      size_t limit, Cf__Case ***cases, size_t *count,
                      char **next)
{
    assert (self && org);
    s_key_t prefix = {{0}, 0};
    if (strlen (org) > CF_STORE_ID_MAX) {
        *cases = NULL, *count = 0, *next = NULL;
        return CF_EINVAL;
    }
    s_key_text (&prefix, org);
    s_key_byte (&prefix, 0);
    return s_list_page (self, S_DB_BY_ORG, &prefix, after, limit, cases, count,
                        next);
}

int
cf_store_list_cases (cf_store_t *self, const char *after, size_t limit,
                     Cf__Case ***cases, size_t *count, char **next)
{
    assert (self);
    s_key_t prefix = {{0}, 0};
    return s_list_page (self, S_DB_CASES, &prefix, after, limit, cases, count,
                        next);
}

//  A page of certificates, filtered as it is read
typedef struct {
    cf_store_certificate_filter_fn *keep;  //  Filter, or NULL
    void *argument;                        //  Its argument
    const s_key_t *after;                  //  Key already seen, or NULL
    size_t limit;                          //  Kept at most
    size_t scan_left;                      //  Rows still to read
    Cf__Certificate **items;               //  Kept so far
    size_t size;                           //  How many
    char *last;                            //  Number of the last row read
    bool more;                             //  Rows beyond the page may exist
} s_certificate_page_t;

static int
s_certificate_row (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                   const MDB_val *value, void *argument)
{
    (void)self, (void)txn;
    s_certificate_page_t *page = argument;
    if (page->after && key->mv_size == page->after->size &&
        memcmp (key->mv_data, page->after->data, key->mv_size) == 0)
        return 0;
    if (page->size == page->limit || page->scan_left == 0) {
        page->more = true;
        return 1;
    }
    page->scan_left--;
    Cf__Certificate *cert = s_unpack (&cf__certificate__descriptor, value);
    if (!cert) {
        cf_log_error ("store: certificate %.*s does not decode",
                      (int)(key->mv_size < 64 ? key->mv_size : 64),
                      (const char *)key->mv_data);
        return CF_ECORRUPT;
    }
    free (page->last);
    page->last = cf_mem_check (strdup (cert->number));
    if (page->keep && !page->keep (cert, page->argument)) {
        cf_pb_free (&cert);
        return 0;
    }
    page->items = cf_mem_check (
        realloc (page->items, (page->size + 1) * sizeof *page->items));
    page->items[page->size++] = cert;
    return 0;
}

int
cf_store_list_certificates (cf_store_t *self, const char *after, size_t limit,
                            size_t scan_max,
                            cf_store_certificate_filter_fn *keep,
                            void *argument, Cf__Certificate ***certificates,
                            size_t *count, char **next)
{
    assert (self && certificates && count && next);
    *certificates = NULL;
    *count = 0;
    *next = NULL;
    if (limit == 0 || (after && strlen (after) > CF_STORE_ID_MAX))
        return CF_EINVAL;
    s_key_t start = {{0}, 0};
    if (after)
        s_key_text (&start, after);
    s_certificate_page_t page = {.keep = keep,
                                 .argument = argument,
                                 .after = after && *after ? &start : NULL,
                                 .limit = limit,
                                 .scan_left = scan_max};
    int rc = s_read_walk (self, S_DB_CERTIFICATES, &start, NULL, 0,
                          s_certificate_row, &page);
    if (rc) {
        for (size_t index = 0; index < page.size; index++)
            cf_pb_free (&page.items[index]);
        free (page.items);
        free (page.last);
        return rc;
    }
    *certificates = page.items;
    *count = page.size;
    if (page.more)
        *next = page.last;
    else
        free (page.last);
    return 0;
}

//  Decodes a deadline key
static int
s_deadline_decode (const MDB_val *key, cf_store_deadline_t *deadline)
{
    const uint8_t *data = key->mv_data;
    if (key->mv_size < 10 || key->mv_size > 9 + CF_STORE_ID_MAX) {
        cf_log_error ("store: a deadline key has a bad size");
        return CF_ECORRUPT;
    }
    deadline->due = s_due_from_key (s_get_u64 (data));
    deadline->kind = (char)data[8];
    deadline->id = s_strndup (data + 9, key->mv_size - 9);
    return 0;
}

typedef struct {
    cf_store_deadline_t *items;  //  Deadlines so far
    size_t size;                 //  Used
    size_t capacity;             //  Allocated
    size_t limit;                //  At most this many
    int64_t now;                 //  Only rows due at or before this
} s_due_t;

static int
s_due_row (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
           const MDB_val *value, void *argument)
{
    (void)self, (void)txn, (void)value;
    s_due_t *due = argument;
    if (due->size == due->limit)
        return 1;
    cf_store_deadline_t deadline;
    int rc = s_deadline_decode (key, &deadline);
    if (rc)
        return rc;
    if (deadline.due > due->now) {
        free (deadline.id);
        return 1;
    }
    if (due->size == due->capacity) {
        due->capacity = due->capacity ? due->capacity * 2 : 16;
        due->items = cf_mem_check (
            realloc (due->items, due->capacity * sizeof (deadline)));
    }
    due->items[due->size++] = deadline;
    return 0;
}

int
cf_store_next_deadline (cf_store_t *self, int64_t *due, char *kind, char **id)
{
    assert (self && due && kind && id);
    *due = 0;
    *kind = 0;
    *id = NULL;
    s_due_t first = {NULL, 0, 0, 1, INT64_MAX};
    int rc =
        s_read_walk (self, S_DB_DEADLINES, NULL, NULL, 0, s_due_row, &first);
    if (rc == 0 && first.size == 0)
        rc = CF_ENOTFOUND;
    if (rc == 0) {
        *due = first.items[0].due;
        *kind = first.items[0].kind;
        *id = first.items[0].id;
        free (first.items);
        return 0;
    }
    cf_store_deadlines_free (&first.items, first.size);
    return rc;
}

int
cf_store_due (cf_store_t *self, int64_t now, size_t limit,
              cf_store_deadline_t **deadlines, size_t *count)
{
    assert (self && deadlines && count);
    *deadlines = NULL;
    *count = 0;
    if (limit == 0)
        return CF_EINVAL;
    s_due_t due = {NULL, 0, 0, limit, now};
    int rc = s_read_walk (self, S_DB_DEADLINES, NULL, NULL, 0, s_due_row, &due);
    if (rc) {
        cf_store_deadlines_free (&due.items, due.size);
        return rc;
    }
    *deadlines = due.items;
    *count = due.size;
    return 0;
}

int
cf_store_jobs (cf_store_t *self, Cf__JobStatus status, Cf__Job ***jobs,
               size_t *count)
{
    assert (self && jobs && count);
    s_collect_t collect = {
        .limit = 0, .descriptor = &cf__job__descriptor, .job_status = status};
    int rc = s_read_walk (self, S_DB_JOBS, NULL, NULL, 0, s_collect_record,
                          &collect);
    return s_collect_result (&collect, rc, jobs, count);
}

int
cf_store_list_staff (cf_store_t *self, Cf__Staff ***staff, size_t *count)
{
    assert (self && staff && count);
    s_collect_t collect = {.descriptor = &cf__staff__descriptor};
    int rc = s_read_walk (self, S_DB_STAFF, NULL, NULL, 0, s_collect_record,
                          &collect);
    return s_collect_result (&collect, rc, staff, count);
}

int
cf_store_get_organization (cf_store_t *self, const char *id,
                           Cf__Organization **org_p)
{
    assert (self && org_p);
    *org_p = NULL;
    int rc = s_check_id (id);
    if (rc)
        return rc;
    s_key_t key;
    s_key_id (&key, id);
    return s_read_message (self, S_DB_ORGS, &key, &cf__organization__descriptor,
                           (void **)org_p);
}

int
cf_store_list_appointments (cf_store_t *self, const char *consultancy,
                            const char *company, Cf__Appointment ***list,
                            size_t *count)
{
    assert (self && list && count);
    *list = NULL;
    *count = 0;
    int rc = s_blank_id (consultancy) ? 0 : s_check_id (consultancy);
    if (rc == 0 && !s_blank_id (company))
        rc = s_check_id (company);
    if (rc)
        return rc;
    s_key_t prefix = {.size = 0};
    if (!s_blank_id (consultancy))
        s_key_appointment (&prefix, consultancy,
                           s_blank_id (company) ? NULL : company, 0);
    s_collect_t collect = {.descriptor = &cf__appointment__descriptor};
    rc = s_read_walk (self, S_DB_APPOINTMENTS, &prefix, prefix.data,
                      prefix.size, s_collect_record, &collect);
    return s_collect_result (&collect, rc, list, count);
}

#define S_LIST_FREE(items_p, count, free_fn)                                   \
    do {                                                                       \
        assert (items_p);                                                      \
        if (*(items_p)) {                                                      \
            for (size_t index = 0; index < (count); index++)                   \
                free_fn ((*(items_p))[index], NULL);                           \
            free (*(items_p));                                                 \
            *(items_p) = NULL;                                                 \
        }                                                                      \
    } while (0)

void
cf_store_cases_free (Cf__Case ***cases, size_t count)
{
    S_LIST_FREE (cases, count, cf__case__free_unpacked);
}

void
cf_store_events_free (Cf__Event ***events, size_t count)
{
    S_LIST_FREE (events, count, cf__event__free_unpacked);
}

void
cf_store_jobs_free (Cf__Job ***jobs, size_t count)
{
    S_LIST_FREE (jobs, count, cf__job__free_unpacked);
}

void
cf_store_staff_free (Cf__Staff ***staff, size_t count)
{
    S_LIST_FREE (staff, count, cf__staff__free_unpacked);
}

void
cf_store_appointments_free (Cf__Appointment ***list, size_t count)
{
    S_LIST_FREE (list, count, cf__appointment__free_unpacked);
}

void
cf_store_deadlines_free (cf_store_deadline_t **deadlines, size_t count)
{
    assert (deadlines);
    if (*deadlines) {
        for (size_t index = 0; index < count; index++)
            free ((*deadlines)[index].id);
        free (*deadlines);
        *deadlines = NULL;
    }
}

//  ------------------------------------------------------------------------
//  Verify

//  A growing list of sequence numbers
typedef struct {
    uint64_t *items;  //  The numbers; heap
    size_t size;      //  Held
    size_t room;      //  Allocated
} s_seqs_t;

static void
s_seqs_add (s_seqs_t *self, uint64_t seq)
{
    if (self->size == self->room) {
        self->room = self->room ? self->room * 2 : 64;
        self->items = realloc (self->items, self->room * sizeof (uint64_t));
        if (!self->items)
            cf_mem_fail ();
    }
    self->items[self->size++] = seq;
}

static int
s_seq_order (const void *left, const void *right)
{
    uint64_t one = *(const uint64_t *)left, other = *(const uint64_t *)right;
    return one < other ? -1 : one > other;
}

//  True for the roles whose events come through the client API, where
//  every applied event is the answer to a request whose reply is stored
static bool
s_answered_role (const Cf__Principal *principal)
{
    //  Workers report through the worker API, the system is the daemon
    return principal && principal->role != CF__ROLE__ROLE_UNSPECIFIED &&
           principal->role != CF__ROLE__ROLE_WORKER &&
           principal->role != CF__ROLE__ROLE_SYSTEM;
}

typedef struct {
    cf_problems_t *problems;                //  Where to report; may be NULL
    size_t found;                           //  Problems found
    uint64_t tail_seq;                      //  Seq of the last event seen
    uint8_t tail_hash[CF_STORE_HASH_SIZE];  //  Its stored hash
    bool tail_known;                        //  tail_hash is trustworthy
    s_seqs_t answered;   //  Events a client request made: each needs a reply
    s_seqs_t named;      //  Events the stored replies name
    int64_t kept_from;   //  Replies of requests made before were dropped
    size_t replies;      //  Stored replies seen
    size_t reply_times;  //  Their rows in reply_times
} s_check_t;

static void s_problem (s_check_t *check, const char *code, const char *format,
                       ...) __attribute__ ((format (printf, 3, 4)));

static void
s_problem (s_check_t *check, const char *code, const char *format, ...)
{
    check->found++;
    if (check->found > S_VERIFY_MAX_PROBLEMS + 1)
        return;
    if (check->found == S_VERIFY_MAX_PROBLEMS + 1) {
        cf_problems_add (check->problems, "verify.truncated",
                         "more than %d problems; fix these and verify again",
                         S_VERIFY_MAX_PROBLEMS);
        return;
    }
    char text[512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    cf_problems_add (check->problems, code, "%s", text);
}

//  True when the database holds key
static int
s_exists (cf_store_t *self, MDB_txn *txn, s_db_t db, const s_key_t *key,
          bool *exists)
{
    MDB_val value;
    int rc = s_get (self, txn, db, key, &value);
    *exists = rc == 0;
    return rc == CF_ENOTFOUND ? 0 : rc;
}

static int
s_verify_event (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                const MDB_val *value, void *argument)
{
    s_check_t *check = argument;
    if (key->mv_size != 8) {
        s_problem (check, "events.key", "an events key is %zu bytes, not 8",
                   key->mv_size);
        return 0;
    }
    uint64_t seq = s_get_u64 (key->mv_data);
    uint64_t expected = check->tail_seq + 1;
    if (seq != expected)
        s_problem (check, "events.gap",
                   "event %" PRIu64 " follows %" PRIu64
                   ": the log must be contiguous",
                   seq, check->tail_seq);
    bool prev_known = check->tail_known && seq == expected;
    check->tail_seq = seq;
    check->tail_known = false;
    Cf__Event *event = s_unpack (&cf__event__descriptor, value);
    if (!event) {
        s_problem (check, "events.decode", "event %" PRIu64 " does not decode",
                   seq);
        return 0;
    }
    if (event->seq != seq)
        s_problem (check, "events.seq",
                   "event at key %" PRIu64 " says seq %" PRIu64, seq,
                   event->seq);
    if (prev_known &&
        (event->prev_hash.len != CF_STORE_HASH_SIZE ||
         memcmp (event->prev_hash.data, check->tail_hash, CF_STORE_HASH_SIZE)))
        s_problem (check, "events.prev_hash",
                   "event %" PRIu64 " does not chain to event %" PRIu64, seq,
                   seq - 1);
    uint8_t hash[CF_STORE_HASH_SIZE];
    s_event_rehash (event, hash);
    if (event->hash.len != CF_STORE_HASH_SIZE ||
        memcmp (event->hash.data, hash, CF_STORE_HASH_SIZE))
        s_problem (check, "events.hash",
                   "event %" PRIu64 " was changed after it was written", seq);
    else {
        memcpy (check->tail_hash, hash, CF_STORE_HASH_SIZE);
        check->tail_known = true;
    }
    int rc = 0;
    bool body = s_body_event (event);
    if (body)
        ;  //  The certification body's own: no case, no request's reply
    else if (s_check_id (event->case_id))
        s_problem (check, "events.case", "event %" PRIu64 " names no case",
                   seq);
    else {
        s_key_t row;
        s_key_case_event (&row, event->case_id, seq);
        bool exists;
        rc = s_exists (self, txn, S_DB_CASE_EVENTS, &row, &exists);
        if (rc == 0 && !exists)
            s_problem (check, "case_events.missing",
                       "event %" PRIu64 " of case %s has no case_events row",
                       seq, event->case_id);
        s_key_id (&row, event->case_id);
        if (rc == 0)
            rc = s_exists (self, txn, S_DB_CASES, &row, &exists);
        if (rc == 0 && !exists)
            s_problem (check, "events.case",
                       "event %" PRIu64 " names missing case %s", seq,
                       event->case_id);
    }
    if (!body && !*event->refused && s_answered_role (event->principal) &&
        event->at >= check->kept_from)
        s_seqs_add (&check->answered, seq);
    cf__event__free_unpacked (event, NULL);
    return rc;
}

static int
s_verify_meta (cf_store_t *self, MDB_txn *txn, s_check_t *check)
{
    uint64_t last_seq;
    uint8_t last_hash[CF_STORE_HASH_SIZE];
    int rc = s_meta_get_u64 (self, txn, "last_seq", &last_seq);
    if (rc == CF_ECORRUPT) {
        s_problem (check, "meta.last_seq", "meta last_seq is not a number");
        return 0;
    }
    if (rc)
        return rc;
    if (last_seq != check->tail_seq)
        s_problem (check, "meta.last_seq",
                   "meta last_seq is %" PRIu64 " but the log ends at %" PRIu64,
                   last_seq, check->tail_seq);
    rc = s_meta_get_hash (self, txn, last_hash);
    if (rc == CF_ECORRUPT) {
        s_problem (check, "meta.last_hash", "meta last_hash is not a hash");
        return 0;
    }
    if (rc == 0 && check->tail_known &&
        memcmp (last_hash, check->tail_hash, CF_STORE_HASH_SIZE))
        s_problem (check, "meta.last_hash",
                   "meta last_hash is not the hash of event %" PRIu64,
                   check->tail_seq);
    return rc;
}

static int
s_verify_case_event (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                     const MDB_val *value, void *argument)
{
    (void)value;
    s_check_t *check = argument;
    const uint8_t *data = key->mv_data;
    if (key->mv_size < 10 || data[key->mv_size - 9] != 0 ||
        memchr (data, 0, key->mv_size - 9)) {
        s_problem (check, "case_events.key", "a case_events key is malformed");
        return 0;
    }
    uint64_t seq = s_get_u64 (data + key->mv_size - 8);
    int id_size = (int)(key->mv_size - 9);
    s_key_t event_key;
    s_key_seq (&event_key, seq);
    Cf__Event *event;
    int rc = s_get_message (self, txn, S_DB_EVENTS, &event_key,
                            &cf__event__descriptor, &event);
    if (rc == CF_ENOTFOUND)
        s_problem (check, "case_events.orphan",
                   "case %.*s lists event %" PRIu64 ", which does not exist",
                   id_size, (const char *)data, seq);
    else if (rc == 0 && (strlen (event->case_id) != (size_t)id_size ||
                         memcmp (event->case_id, data, (size_t)id_size)))
        s_problem (check, "case_events.orphan",
                   "case %.*s lists event %" PRIu64 " of case %s", id_size,
                   (const char *)data, seq, event->case_id);
    cf_pb_free (&event);
    //  A record that does not decode is reported by the events pass
    return rc == CF_ENOTFOUND || rc == CF_ECORRUPT ? 0 : rc;
}

//  Counts a case's case_events rows and finds its latest seq
typedef struct {
    uint32_t count;  //  Rows
    uint64_t last;   //  Largest seq
} s_history_t;

static int
s_count_history (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                 const MDB_val *value, void *argument)
{
    (void)self, (void)txn, (void)value;
    s_history_t *history = argument;
    if (key->mv_size >= 8) {
        uint64_t seq =
            s_get_u64 ((const uint8_t *)key->mv_data + key->mv_size - 8);
        history->last = seq > history->last ? seq : history->last;
    }
    history->count++;
    return 0;
}

//  Reports a problem when the index row is missing
static int
s_expect_row (cf_store_t *self, MDB_txn *txn, s_check_t *check, s_db_t db,
              const s_key_t *key, const char *code, const char *what,
              const char *id)
{
    bool exists;
    int rc = s_exists (self, txn, db, key, &exists);
    if (rc == 0 && !exists)
        s_problem (check, code, "case %s has no %s row", id, what);
    return rc;
}

static int
s_verify_case (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
               const MDB_val *value, void *argument)
{
    s_check_t *check = argument;
    int id_size = (int)key->mv_size;
    Cf__Case *record = s_unpack (&cf__case__descriptor, value);
    if (!record) {
        s_problem (check, "cases.decode", "case %.*s does not decode", id_size,
                   (const char *)key->mv_data);
        return 0;
    }
    int rc = 0;
    if (strlen (record->id) != key->mv_size ||
        memcmp (record->id, key->mv_data, key->mv_size) ||
        s_check_id (record->id) || strlen (record->org) > CF_STORE_ID_MAX ||
        !s_state_valid (record->state)) {
        s_problem (check, "cases.key",
                   "case stored under %.*s has id '%s', org or state out of "
                   "range",
                   id_size, (const char *)key->mv_data, record->id);
        goto out;
    }
    s_key_t row;
    s_key_state (&row, record->state, record->id);
    rc = s_expect_row (self, txn, check, S_DB_BY_STATE, &row,
                       "by_state.missing", "by_state", record->id);
    s_key_org (&row, record->org, record->id);
    if (rc == 0)
        rc = s_expect_row (self, txn, check, S_DB_BY_ORG, &row,
                           "by_org.missing", "by_org", record->id);
    if (rc == 0 && record->deadline_at) {
        s_key_deadline (&row, record->deadline_at, CF_STORE_DEADLINE_CASE,
                        record->id);
        rc = s_expect_row (self, txn, check, S_DB_DEADLINES, &row,
                           "deadlines.missing", "deadline", record->id);
    }
    s_history_t history = {0, 0};
    s_key_id (&row, record->id);
    s_key_byte (&row, 0);
    if (rc == 0)
        rc = s_walk (self, txn, S_DB_CASE_EVENTS, &row, row.data, row.size,
                     s_count_history, &history);
    for (size_t k = 0; k < S_KEPT_COUNT && rc == 0; k++) {
        const s_kept_t *kept = &s_kept[k];
        ProtobufCMessage *field = NULL;
        if (*s_kept_seq (record, kept))
            rc = s_kept_read (self, txn, record, kept, &field);
        if (field)
            protobuf_c_message_free_unpacked (field, NULL);
        if (rc == CF_ECORRUPT) {
            s_problem (check, "cases.kept",
                       "case %s keeps its %s in event %" PRIu64
                       ", which does not hold it",
                       record->id, kept->name, *s_kept_seq (record, kept));
            rc = 0;
        }
    }
    if (rc == 0 &&
        (history.count != record->events || history.last != record->last_seq))
        s_problem (check, "cases.history",
                   "case %s says %u events up to seq %" PRIu64
                   ", case_events has %u up to %" PRIu64,
                   record->id, record->events, record->last_seq, history.count,
                   history.last);
out:
    cf__case__free_unpacked (record, NULL);
    return rc;
}

//  Gets the case an index row names; NULL (reported) when it is missing
static int
s_indexed_case (cf_store_t *self, MDB_txn *txn, s_check_t *check,
                const char *index, const uint8_t *id, size_t id_size,
                Cf__Case **record)
{
    *record = NULL;
    if (id_size == 0 || id_size > CF_STORE_ID_MAX || memchr (id, 0, id_size)) {
        s_problem (check, "index.key", "a %s key holds no valid case id",
                   index);
        return 0;
    }
    s_key_t key = {{0}, 0};
    s_key_bytes (&key, id, id_size);
    int rc = s_get_message (self, txn, S_DB_CASES, &key, &cf__case__descriptor,
                            record);
    if (rc == CF_ENOTFOUND) {
        char code[32];
        snprintf (code, sizeof code, "%s.orphan", index);
        s_problem (check, code, "%s row names missing case %.*s", index,
                   (int)id_size, (const char *)id);
    }
    return rc == CF_ENOTFOUND || rc == CF_ECORRUPT ? 0 : rc;
}

static int
s_verify_by_state (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                   const MDB_val *value, void *argument)
{
    (void)value;
    s_check_t *check = argument;
    const uint8_t *data = key->mv_data;
    Cf__Case *record;
    int rc = s_indexed_case (self, txn, check, "by_state", data + 1,
                             key->mv_size - 1, &record);
    if (record && (int)record->state != data[0])
        s_problem (check, "by_state.stale",
                   "by_state lists case %s under state %d; it is in %d",
                   record->id, data[0], record->state);
    cf_pb_free (&record);
    return rc;
}

static int
s_verify_by_org (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                 const MDB_val *value, void *argument)
{
    (void)value;
    s_check_t *check = argument;
    const uint8_t *data = key->mv_data;
    const uint8_t *zero = memchr (data, 0, key->mv_size);
    if (!zero) {
        s_problem (check, "index.key", "a by_org key has no separator");
        return 0;
    }
    size_t org_size = (size_t)(zero - data);
    Cf__Case *record;
    int rc = s_indexed_case (self, txn, check, "by_org", zero + 1,
                             key->mv_size - org_size - 1, &record);
    if (record && (strlen (record->org) != org_size ||
                   memcmp (record->org, data, org_size)))
        s_problem (check, "by_org.stale",
                   "by_org lists case %s under org %.*s; it is %s", record->id,
                   (int)org_size, (const char *)data, record->org);
    cf_pb_free (&record);
    return rc;
}

static int
s_verify_deadline (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                   const MDB_val *value, void *argument)
{
    (void)value;
    s_check_t *check = argument;
    if (key->mv_size < 10) {
        s_problem (check, "index.key", "a deadlines key is too short");
        return 0;
    }
    const uint8_t *data = key->mv_data;
    int64_t due = s_due_from_key (s_get_u64 (data));
    int rc = 0;
    if (data[8] == CF_STORE_DEADLINE_CASE) {
        Cf__Case *record;
        rc = s_indexed_case (self, txn, check, "deadlines", data + 9,
                             key->mv_size - 9, &record);
        if (record && record->deadline_at != due)
            s_problem (check, "deadlines.stale",
                       "deadline row of case %s is %" PRId64
                       "; the case says %" PRId64,
                       record->id, due, record->deadline_at);
        cf_pb_free (&record);
    } else if (data[8] == CF_STORE_DEADLINE_JOB) {
        uint64_t id;
        if (!s_parse_u64 (data + 9, key->mv_size - 9, &id)) {
            s_problem (check, "index.key", "a job deadline has no job id");
            return 0;
        }
        s_key_t job_key;
        s_key_seq (&job_key, id);
        Cf__Job *job;
        rc = s_get_message (self, txn, S_DB_JOBS, &job_key,
                            &cf__job__descriptor, &job);
        if (rc == CF_ENOTFOUND)
            s_problem (check, "deadlines.orphan",
                       "deadline row names missing job %" PRIu64, id);
        else if (rc == 0 && (!s_job_has_deadline (job) || job->due_at != due))
            s_problem (check, "deadlines.stale",
                       "deadline row of job %" PRIu64 " at %" PRId64
                       " disagrees with the job",
                       id, due);
        cf_pb_free (&job);
        rc = rc == CF_ENOTFOUND || rc == CF_ECORRUPT ? 0 : rc;
    } else
        s_problem (check, "index.key", "a deadline has unknown kind %d",
                   data[8]);
    return rc;
}

static int
s_verify_job (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
              const MDB_val *value, void *argument)
{
    s_check_t *check = argument;
    Cf__Job *job = s_unpack (&cf__job__descriptor, value);
    if (!job || key->mv_size != 8 || s_get_u64 (key->mv_data) != job->id) {
        s_problem (check, "jobs.decode", "a job does not decode or match key");
        cf_pb_free (&job);
        return 0;
    }
    //  Jobs are made for a stage of a stored case, and a case that ends
    //  takes its jobs with it: a job of a case not stored, or of one in a
    //  terminal state, is damage
    s_key_t case_key;
    case_key.size = 0;
    Cf__Case *record = NULL;
    int rc = s_check_id (job->case_id) ? CF_ENOTFOUND : 0;
    if (rc == 0) {
        s_key_id (&case_key, job->case_id);
        rc = s_get_message (self, txn, S_DB_CASES, &case_key,
                            &cf__case__descriptor, &record);
    }
    if (rc == CF_ENOTFOUND || rc == CF_ECORRUPT) {
        s_problem (check, "jobs.case",
                   "job %" PRIu64 " names case %.*s, which is not stored",
                   job->id, (int)strnlen (job->case_id, 64), job->case_id);
        rc = 0;
    } else if (rc == 0 && (cf_fsm_state_terminal ((cf_state_t)job->state) ||
                           cf_fsm_state_terminal ((cf_state_t)record->state)))
        s_problem (check, "jobs.terminal",
                   "job %" PRIu64 " is of case %s, which has ended in %s",
                   job->id, job->case_id,
                   cf_fsm_state_name ((cf_state_t)record->state));
    cf_pb_free (&record);
    if (rc == 0 && s_job_has_deadline (job)) {
        s_key_t row;
        s_key_job_deadline (&row, job);
        bool exists;
        rc = s_exists (self, txn, S_DB_DEADLINES, &row, &exists);
        if (rc == 0 && !exists)
            s_problem (check, "deadlines.missing",
                       "job %" PRIu64 " has no deadline row", job->id);
    }
    cf_pb_free (&job);
    return rc;
}

//  Organizations and appointments: the record decodes and sits under its
//  own key
static int
s_verify_organization (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                       const MDB_val *value, void *argument)
{
    (void)self, (void)txn;
    s_check_t *check = argument;
    Cf__Organization *org = s_unpack (&cf__organization__descriptor, value);
    if (!org || strlen (org->id) != key->mv_size ||
        memcmp (org->id, key->mv_data, key->mv_size))
        s_problem (check, "organizations.decode",
                   "organization %.*s does not decode or match its key",
                   (int)key->mv_size, (const char *)key->mv_data);
    cf_pb_free (&org);
    return 0;
}

static int
s_verify_appointment (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                      const MDB_val *value, void *argument)
{
    (void)self, (void)txn;
    s_check_t *check = argument;
    Cf__Appointment *appointment =
        s_unpack (&cf__appointment__descriptor, value);
    s_key_t expected = {.size = 0};
    if (appointment && !s_blank_id (appointment->consultancy) &&
        !s_blank_id (appointment->company) &&
        strlen (appointment->consultancy) <= CF_STORE_ID_MAX &&
        strlen (appointment->company) <= CF_STORE_ID_MAX)
        s_key_appointment (&expected, appointment->consultancy,
                           appointment->company, appointment->id);
    if (!appointment || expected.size != key->mv_size ||
        memcmp (expected.data, key->mv_data, key->mv_size))
        s_problem (check, "appointments.decode",
                   "an appointment does not decode or match its key");
    cf_pb_free (&appointment);
    return 0;
}

//  Staff and certificates: the record decodes and sits under its own id
//  A reply_times row names a stored reply
static int
s_verify_reply_time (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                     const MDB_val *value, void *argument)
{
    (void)value;
    s_check_t *check = argument;
    check->reply_times++;
    bool exists = false;
    int rc = 0;
    if (key->mv_size > 8 && key->mv_size - 8 <= S_KEY_MAX) {
        s_key_t reply;
        reply.size = 0;
        s_key_bytes (&reply, (const uint8_t *)key->mv_data + 8,
                     key->mv_size - 8);
        rc = s_exists (self, txn, S_DB_REPLIES, &reply, &exists);
    }
    if (rc == 0 && !exists)
        s_problem (check, "reply_times.reply",
                   "a reply_times row names no stored reply");
    return rc;
}

static int
s_verify_staff (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                const MDB_val *value, void *argument)
{
    (void)self, (void)txn;
    s_check_t *check = argument;
    Cf__Staff *staff = s_unpack (&cf__staff__descriptor, value);
    if (!staff || strlen (staff->id) != key->mv_size ||
        memcmp (staff->id, key->mv_data, key->mv_size))
        s_problem (check, "staff.decode",
                   "staff record %.*s does not decode or match its key",
                   (int)key->mv_size, (const char *)key->mv_data);
    cf_pb_free (&staff);
    return 0;
}

static int
s_verify_certificate (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                      const MDB_val *value, void *argument)
{
    (void)self, (void)txn;
    s_check_t *check = argument;
    Cf__Certificate *certificate =
        s_unpack (&cf__certificate__descriptor, value);
    if (!certificate || strlen (certificate->number) != key->mv_size ||
        memcmp (certificate->number, key->mv_data, key->mv_size))
        s_problem (check, "certificates.decode",
                   "certificate %.*s does not decode or match its key",
                   (int)key->mv_size, (const char *)key->mv_data);
    cf_pb_free (&certificate);
    return 0;
}

static int
s_verify_reply (cf_store_t *self, MDB_txn *txn, const MDB_val *key,
                const MDB_val *value, void *argument)
{
    (void)self, (void)txn;
    s_check_t *check = argument;
    check->replies++;
    const char *client = key->mv_data;
    const char *nul = memchr (key->mv_data, 0, key->mv_size);
    if (!nul || value->mv_size < CF_STORE_HASH_SIZE) {
        s_problem (check, "replies.record", "a reply row is malformed");
        return 0;
    }
    size_t client_size = (size_t)(nul - client);
    size_t id_size = key->mv_size - client_size - 1;
    Cf__Reply *reply = (Cf__Reply *)protobuf_c_message_unpack (
        &cf__reply__descriptor, NULL, value->mv_size - CF_STORE_HASH_SIZE,
        (const uint8_t *)value->mv_data + CF_STORE_HASH_SIZE);
    //  The store takes any bytes for a reply; only a Reply that answers
    //  its own request id says which event it stands for
    if (!reply || strlen (reply->id) != id_size ||
        memcmp (reply->id, nul + 1, id_size) != 0) {
        cf_pb_free (&reply);
        return 0;
    }
    //  A reply that shows a case names the event its request made, and one
    //  that shows a certificate the event of its latest change
    int rc = 0;
    const char *case_id = NULL;
    uint64_t seq = 0;
    if (reply->status == CF__STATUS__STATUS_OK &&
        reply->body_case == CF__REPLY__BODY_RECORD) {
        case_id = reply->record->id;
        seq = reply->record->last_seq;
    } else if (reply->status == CF__STATUS__STATUS_OK &&
               reply->body_case == CF__REPLY__BODY_CERTIFICATE) {
        case_id = reply->certificate->case_id;
        seq = reply->certificate->status_seq;
    }
    if (seq) {
        s_key_t event_key;
        s_key_seq (&event_key, seq);
        Cf__Event *event = NULL;
        rc = s_get_message (self, txn, S_DB_EVENTS, &event_key,
                            &cf__event__descriptor, &event);
        bool same = rc == 0 && strcmp (event->case_id, case_id) == 0 &&
                    event->principal &&
                    strlen (event->principal->key) == client_size &&
                    memcmp (event->principal->key, client, client_size) == 0;
        if (rc == CF_ENOTFOUND || rc == CF_ECORRUPT || (rc == 0 && !same))
            s_problem (check, "replies.event",
                       "the reply to request %.*s names event %" PRIu64
                       ", which is not that client's event of case %s",
                       (int)(id_size < 64 ? id_size : 64), nul + 1, seq,
                       case_id);
        if (rc == CF_ENOTFOUND || rc == CF_ECORRUPT)
            rc = 0;
        if (same)
            s_seqs_add (&check->named, seq);
        cf_pb_free (&event);
    }
    cf_pb_free (&reply);
    return rc;
}

//  Each event a client request made is named by exactly one stored reply:
//  a reply deleted, or a second one naming the same event, is damage
static void
s_verify_answers (s_check_t *check)
{
    s_seqs_t *named = &check->named;
    if (named->size > 1)
        qsort (named->items, named->size, sizeof (uint64_t), s_seq_order);
    for (size_t index = 1; index < named->size; index++)
        if (named->items[index] == named->items[index - 1])
            s_problem (check, "replies.duplicate",
                       "two stored replies name event %" PRIu64,
                       named->items[index]);
    for (size_t index = 0; index < check->answered.size; index++) {
        uint64_t seq = check->answered.items[index];
        if (named->size == 0 || !bsearch (&seq, named->items, named->size,
                                          sizeof (uint64_t), s_seq_order))
            s_problem (check, "replies.missing",
                       "event %" PRIu64 " answered a client request whose "
                       "reply is not stored",
                       seq);
    }
}

int
cf_store_verify (cf_store_t *self, cf_problems_t *problems)
{
    assert (self);
    s_check_t check;
    memset (&check, 0, sizeof check);
    check.problems = problems;
    check.tail_known = true;  //  32 zero bytes before event 1

    static const struct {
        s_db_t db;
        s_visit_fn *visit;
    } passes[] = {
        {S_DB_EVENTS, s_verify_event},
        {S_DB_CASE_EVENTS, s_verify_case_event},
        {S_DB_CASES, s_verify_case},
        {S_DB_BY_STATE, s_verify_by_state},
        {S_DB_BY_ORG, s_verify_by_org},
        {S_DB_DEADLINES, s_verify_deadline},
        {S_DB_JOBS, s_verify_job},
        {S_DB_STAFF, s_verify_staff},
        {S_DB_CERTIFICATES, s_verify_certificate},
        {S_DB_REPLIES, s_verify_reply},
        {S_DB_REPLY_TIMES, s_verify_reply_time},
        {S_DB_ORGS, s_verify_organization},
        {S_DB_APPOINTMENTS, s_verify_appointment},
    };
    MDB_txn *txn;
    int rc = s_txn_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    s_key_t kept;
    s_key_id (&kept, "replies_kept_from");
    MDB_val horizon;
    if (s_get (self, txn, S_DB_META, &kept, &horizon) == 0) {
        char *text = s_strndup (horizon.mv_data, horizon.mv_size);
        check.kept_from = strtoll (text, NULL, 10);
        free (text);
    }
    for (size_t pass = 0; pass < sizeof passes / sizeof passes[0] && rc == 0;
         pass++) {
        if (passes[pass].db == S_DB_REPLY_TIMES && self->untimed)
            continue;
        rc = s_walk (self, txn, passes[pass].db, NULL, NULL, 0,
                     passes[pass].visit, &check);
        if (rc == 0 && passes[pass].db == S_DB_EVENTS)
            rc = s_verify_meta (self, txn, &check);
    }
    mdb_txn_abort (txn);
    if (rc == 0 && !self->untimed && check.replies != check.reply_times)
        s_problem (&check, "reply_times.missing",
                   "%zu stored replies but %zu reply_times rows", check.replies,
                   check.reply_times);
    if (rc == 0)
        s_verify_answers (&check);
    free (check.answered.items);
    free (check.named.items);
    if (rc)
        return rc;
    if (check.found) {
        cf_log_error ("store: verify found %zu problem(s)", check.found);
        return CF_ECORRUPT;
    }
    return 0;
}
