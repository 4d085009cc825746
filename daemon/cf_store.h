/*  =========================================================================
    cf_store - the daemon's durable state in one LMDB environment

    Everything certflowd must not lose lives here: cases, the hash-chained
    event log, jobs, stored replies, staff, certificates and counters, plus
    the indexes that let the daemon page and find deadlines without reading
    every case. Writes are collected in a batch and committed in ONE LMDB
    write transaction: all of it is on disk when cf_store_commit returns 0,
    and none of it when it returns an error.

    Named databases (keys are bytes; "BE" is big-endian):
      cases         case id                        -> packed Cf__Case, its
                                                      application and sheet
                                                      left to the events whose
                                                      data they are
      events        seq (uint64 BE)                -> packed Cf__Event
      case_events   case id, 0, seq BE             -> empty
      by_state      state (1 byte), case id        -> empty
      by_org        org, 0, case id                -> empty
      deadlines     due (int64 BE, sign flipped), kind, id -> empty
      jobs          job id (uint64 BE)             -> packed Cf__Job
      replies       client key, 0, request id      -> SHA-256 of request,
                                                      then the reply bytes
      reply_times   made at (BE), client key, 0, request id -> empty
      staff         staff id                       -> packed Cf__Staff
      certificates  certificate number             -> packed Cf__Certificate
      meta          text key                       -> text value
      organizations org id                         -> packed Cf__Organization
      appointments  consultancy, 0, company, 0, id BE -> packed
                                                      Cf__Appointment
    Ids never contain a 0 byte (they are C strings), so the 0 separators
    make every composite key unambiguous and every prefix scan exact.

    The store maintains every index, and a case's last_seq and events
    fields, from the records themselves: at commit it compares the record
    already in the transaction with the new one. A caller cannot forget an
    index row.

    The event log is global and gap-free from 1. Each event carries the hash
    of the one before it (32 zero bytes for seq 1) and its own hash, the
    SHA-256 of the event packed with hash empty. cf_store_verify recomputes
    the chain, so a changed or removed event is found.

    Note: a store belongs to the thread that opened it and to the process
    that opened it: never use one across fork(). Open a directory once per
    process. Every function opens and ends its own LMDB transaction; none is
    held across calls.
    =========================================================================
*/

#ifndef CF_STORE_H_INCLUDED
#define CF_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"

typedef struct _cf_store_t cf_store_t;
typedef struct _cf_batch_t cf_batch_t;

//  Longest id the store accepts (case id, org, staff id, certificate number,
//  client key, request id, meta key), in bytes; keeps keys under LMDB's 511
#define CF_STORE_ID_MAX 200
//  Size of a SHA-256 hash: event hashes and request hashes
#define CF_STORE_HASH_SIZE 32
//  Map size used when cf_store_open is given 0
#define CF_STORE_DEFAULT_MAP_SIZE ((size_t)64 * 1024 * 1024)
//  The only layout this build reads and writes
#define CF_STORE_SCHEMA_VERSION "1"
//  Deadline kinds
#define CF_STORE_DEADLINE_CASE 'c'
#define CF_STORE_DEADLINE_JOB  'j'

//  Faults a test can inject (see cf_store_inject)
typedef enum {
    CF_STORE_FAULT_NONE,                //  Clears every armed fault
    CF_STORE_FAULT_MAP_FULL_AT_PUT,     //  An mdb_put in a commit: MAP_FULL
    CF_STORE_FAULT_MAP_FULL_AT_COMMIT,  //  mdb_txn_commit: MAP_FULL
    CF_STORE_FAULT_EIO_AT_COMMIT,       //  mdb_txn_commit: EIO
    CF_STORE_FAULT_COUNT                //  Number of kinds, not a fault
} cf_store_fault_t;

//  One row of the deadline index
typedef struct {
    int64_t due;  //  Due instant, ms since the epoch
    char kind;    //  CF_STORE_DEADLINE_CASE or _JOB
    char *id;     //  Case id, or job id in decimal
} cf_store_deadline_t;

//  ------------------------------------------------------------------------
//  Opening and the map

//  Opens the store in directory dir, creating the directory (and its
//  parents) and the databases if missing, and clears reader slots left by
//  dead processes (mdb_reader_check). map_size is the LMDB map size in
//  bytes, 0 for CF_STORE_DEFAULT_MAP_SIZE; an existing store keeps a larger
//  size it was grown to. On success *store_p owns the store; on error it is
//  NULL.
//  Returns 0, CF_EINVAL (dir is empty), CF_EVERSION (the store holds
//  another schema version, or data
//  without a version: use a build that reads it, or another directory),
//  CF_EIO (directory cannot be made or opened), CF_ESTOREFULL (map too small
//  even for the empty databases), CF_ECORRUPT (not an LMDB file), or
//  CF_ESTORE.
CF_MUST_CHECK int cf_store_open (const char *dir, size_t map_size,
                                 cf_store_t **store_p);

//  Opens the store in directory dir to read only, beside the daemon that
//  writes it (LMDB lets readers in other processes see each commit whole,
//  without holding the writer back); it is never created or changed.
//  Returns as cf_store_open; CF_EVERSION also for a directory that holds
//  no initialized store.
CF_MUST_CHECK int cf_store_open_readonly (const char *dir,
                                          cf_store_t **store_p);

//  Closes the store and nulls *store_p. NULL-safe and idempotent.
void cf_store_destroy (cf_store_t **store_p);

//  Returns the current map size in bytes.
size_t cf_store_map_size (cf_store_t *self);

//  Grows the map to new_size bytes, e.g. after CF_ESTOREFULL; then commit
//  the same batch again. No transaction is open between calls, as LMDB
//  requires.
//  Returns 0, CF_EINVAL (new_size is not above the current size), or
//  CF_ESTORE.
CF_MUST_CHECK int cf_store_grow (cf_store_t *self, size_t new_size);

//  ------------------------------------------------------------------------
//  Batches: writes that commit together or not at all

//  Returns a new, empty batch. Aborts on out of memory.
cf_batch_t *cf_batch_new (void);

//  Destroys the batch and nulls *self_p. NULL-safe and idempotent.
void cf_batch_destroy (cf_batch_t **self_p);

//  Returns the number of writes collected.
size_t cf_batch_size (const cf_batch_t *self);

//  Each cf_batch_put_* and cf_batch_append_event copies what it is given;
//  the caller keeps its own. They return 0, CF_EINVAL (a required id is
//  empty or 0, an enum is out of range, or the batch was already committed)
//  or CF_ELIMIT (an id is longer than CF_STORE_ID_MAX). Problems that need
//  the stored data are found at commit.

//  Puts a case (insert or replace by id). The store keeps the case's
//  by_state, by_org and deadline rows in line with it, and sets last_seq
//  and events itself: what the caller put in those two fields is replaced.
CF_MUST_CHECK int cf_batch_put_case (cf_batch_t *self, const Cf__Case *record);

//  Puts a case as cf_batch_put_case does, but without a copy: the batch
//  writes record itself at the commit, as it is then. The caller keeps it
//  alive, and as it is to be stored, until the batch is committed or
//  destroyed. The commit sets last_seq and events in record as it stores
//  them (and the seqs of kept fields to 0, as a read hands them out), and
//  takes the fields an event keeps out of it only while it writes (a
//  failed commit leaves record whole, for a second commit).
CF_MUST_CHECK int cf_batch_lend_case (cf_batch_t *self, Cf__Case *record);

//  Checks record as cf_batch_put_case does, without a batch: returns 0,
//  CF_EINVAL (no id, or a state out of range) or CF_ELIMIT (an id or the
//  org longer than CF_STORE_ID_MAX).
CF_MUST_CHECK int cf_store_check_case (const Cf__Case *record);

//  Appends an event to the log. At commit the store fills seq, prev_hash
//  and hash, adds the case_events row and updates the case's last_seq and
//  events. event->case_id names the case, which must be stored or put in
//  this batch, in any order (the commit applies the events first, and a
//  case put in the batch is written with their history).
//  An event of the certification body itself (a monthly report's, with
//  event->report set) has an empty case_id: it is in the log and its
//  chain only.
CF_MUST_CHECK int cf_batch_append_event (cf_batch_t *self,
                                         const Cf__Event *event);

//  Puts a job (insert or replace by id, which must be non-zero). A LEASED
//  job has a deadline row at due_at (its lease end), and so has a READY job
//  waiting for a retry (due_at > 0); a READY job with due_at 0 is ready now
//  and waits for no timer; other statuses have none.
CF_MUST_CHECK int cf_batch_put_job (cf_batch_t *self, const Cf__Job *job);

//  Deletes job id and its deadline row. Commit fails with CF_ENOTFOUND if
//  there is no such job.
CF_MUST_CHECK int cf_batch_delete_job (cf_batch_t *self, uint64_t id);

//  Stores the reply to request request_id from client key, with the
//  SHA-256 of the request body (CF_STORE_HASH_SIZE bytes) and the packed
//  reply (size bytes; reply may be NULL when size is 0). Commit fails with
//  CF_EEXIST if a reply is already stored for that key and id with the same
//  hash, and CF_ECONFLICT if with another hash: look up with
//  cf_store_get_reply before doing the work. at is when the reply was
//  made (the daemon's clock), for cf_batch_prune_replies.
CF_MUST_CHECK int cf_batch_put_reply (cf_batch_t *self, const char *key,
                                      const char *request_id,
                                      const uint8_t *request_hash,
                                      const uint8_t *reply, size_t size,
                                      int64_t at);

//  Drops, at commit, the stored replies made before before, oldest first
//  and at most most (> 0) of them; a retry of their requests is then a new
//  request. Records in meta replies_kept_from the time from which every
//  request's reply is still held, so cf_store_verify asks for no reply of
//  a request made before.
CF_MUST_CHECK int cf_batch_prune_replies (cf_batch_t *self, int64_t before,
                                          size_t most);

//  Puts a staff record (insert or replace by id).
CF_MUST_CHECK int cf_batch_put_staff (cf_batch_t *self, const Cf__Staff *staff);

//  Puts an organization record (insert or replace by id); its kind must be
//  company or consultancy (else CF_EINVAL).
CF_MUST_CHECK int cf_batch_put_organization (cf_batch_t *self,
                                             const Cf__Organization *org);

//  Puts an appointment (insert or replace by consultancy, company and id,
//  which must be non-zero).
CF_MUST_CHECK int cf_batch_put_appointment (cf_batch_t *self,
                                            const Cf__Appointment *appointment);

//  Inserts a certificate. Numbers are unique: commit fails with CF_EEXIST
//  if the number is already stored (or put earlier in this batch).
CF_MUST_CHECK int cf_batch_put_certificate (cf_batch_t *self,
                                            const Cf__Certificate *certificate);

//  Replaces a stored certificate (status changes). Commit fails with
//  CF_ENOTFOUND if the number is not stored.
CF_MUST_CHECK int
cf_batch_update_certificate (cf_batch_t *self,
                             const Cf__Certificate *certificate);

//  Sets meta key to a text value. The store's own keys (schema_version,
//  last_seq, last_hash) are refused with CF_EINVAL. Do not set a counter
//  that cf_store_next_id reserves from in the same batch.
CF_MUST_CHECK int cf_batch_set_meta (cf_batch_t *self, const char *key,
                                     const char *value);

//  Returns the number of events appended to the batch.
size_t cf_batch_event_count (const cf_batch_t *self);

//  Returns event index (0-based, in append order), borrowed until the
//  batch is destroyed. After a successful commit its seq, prev_hash and
//  hash are the stored ones: publish it from here.
const Cf__Event *cf_batch_event (const cf_batch_t *self, size_t index);

//  ------------------------------------------------------------------------
//  Ids and sequence numbers reserved before commit

//  Reserves the next value of meta counter (e.g. "next_case", "next_job",
//  "cert_seq/2026"; a missing counter starts at 0, so the first id is 1)
//  and writes the counter in the batch. Reservations from the same counter
//  in the same uncommitted batch follow each other. Commit fails with
//  CF_ECONFLICT if another batch moved the counter first; build a new batch
//  then.
//  Returns 0, CF_EINVAL (counter empty or one of the store's own keys, or
//  the batch was committed), CF_ELIMIT, CF_ECORRUPT (the stored counter is
//  not a number) or an LMDB error code.
CF_MUST_CHECK int cf_store_next_id (cf_store_t *self, cf_batch_t *batch,
                                    const char *counter, uint64_t *id);

//  Sets *id to what cf_store_next_id would reserve next from counter in
//  batch, without reserving it. Returns as cf_store_next_id.
CF_MUST_CHECK int cf_store_peek_id (cf_store_t *self, cf_batch_t *batch,
                                    const char *counter, uint64_t *id);

//  Sets *seq to the sequence number the next event appended to batch will
//  get, so a reply stored in the same batch can name it. From the first
//  call on, commit fails with CF_ECONFLICT if another batch appended events
//  in between.
//  Returns 0, CF_EINVAL (the batch was committed), CF_ECORRUPT or an LMDB
//  error code.
CF_MUST_CHECK int cf_store_next_seq (cf_store_t *self, cf_batch_t *batch,
                                     uint64_t *seq);

//  ------------------------------------------------------------------------
//  Commit

//  Writes the whole batch in one LMDB write transaction. On success the
//  batch is done (a second commit returns CF_EINVAL) and *first_seq and
//  *last_seq (either may be NULL) get the sequence numbers of its first and
//  last event, both 0 when it had none. On ANY error the transaction is
//  aborted, nothing of the batch is written, and the batch can be committed
//  again, e.g. after cf_store_grow.
//  Returns 0, CF_ESTOREFULL (map full, from a put or from the commit
//  itself: grow and retry), CF_EIO (disk error or disk full), CF_EEXIST
//  (certificate number or reply taken), CF_ECONFLICT (reply id reused with
//  another hash, or a reserved counter or sequence number moved),
//  CF_ENOTFOUND (event for an unknown case, job or certificate to change is
//  missing), CF_ECORRUPT (a stored record does not decode) or CF_ESTORE.
//  Note: the LMDB error is logged here, once.
CF_MUST_CHECK int cf_store_commit (cf_store_t *self, cf_batch_t *batch,
                                   uint64_t *first_seq, uint64_t *last_seq);

//  ------------------------------------------------------------------------
//  Reads. Each runs in its own short read-only transaction. Returned
//  messages and arrays belong to the caller; free them with the matching
//  cf_store_*_free or protobuf-c's *__free_unpacked (msg, NULL). On error
//  the out-parameters are NULL / 0. Every read may also return CF_ECORRUPT
//  (a stored record does not decode) or CF_ESTORE / CF_EIO (LMDB failed).

//  Gets case id. Returns 0, CF_ENOTFOUND, CF_EINVAL (id empty or too long).
CF_MUST_CHECK int cf_store_get_case (cf_store_t *self, const char *id,
                                     Cf__Case **record_p);

//  Gets job id. Returns 0, CF_ENOTFOUND.
CF_MUST_CHECK int cf_store_get_job (cf_store_t *self, uint64_t id,
                                    Cf__Job **job_p);

//  Gets staff member id. Returns 0, CF_ENOTFOUND, CF_EINVAL.
CF_MUST_CHECK int cf_store_get_staff (cf_store_t *self, const char *id,
                                      Cf__Staff **staff_p);

//  Lists every staff record, ordered by id. Returns 0.
CF_MUST_CHECK int cf_store_list_staff (cf_store_t *self, Cf__Staff ***staff,
                                       size_t *count);

//  Gets organization id. Returns 0, CF_ENOTFOUND, CF_EINVAL, CF_ELIMIT.
CF_MUST_CHECK int cf_store_get_organization (cf_store_t *self, const char *id,
                                             Cf__Organization **org_p);

//  Lists appointments ordered by consultancy, company and id: those of
//  consultancy (NULL or "": every consultancy's), and of them those for
//  company (NULL or "": every company; ignored without a consultancy).
//  Reads only the consultancy's rows when one is given. Free the list with
//  cf_store_appointments_free. Returns 0, CF_EINVAL, CF_ELIMIT.
CF_MUST_CHECK int cf_store_list_appointments (cf_store_t *self,
                                              const char *consultancy,
                                              const char *company,
                                              Cf__Appointment ***list,
                                              size_t *count);

//  Frees count appointments of *list and the array, and nulls *list.
void cf_store_appointments_free (Cf__Appointment ***list, size_t count);

//  Gets certificate number. Returns 0, CF_ENOTFOUND, CF_EINVAL.
CF_MUST_CHECK int cf_store_get_certificate (cf_store_t *self,
                                            const char *number,
                                            Cf__Certificate **certificate_p);

//  Says whether a certificate belongs on a page (argument is the caller's)
typedef bool (cf_store_certificate_filter_fn) (const Cf__Certificate *cert,
                                               void *argument);

//  A page of certificates in number order after number after (NULL or ""
//  from the first): at most limit that keep accepts (NULL: all), reading at
//  most scan_max. *next gets the number to continue after when more may
//  follow, else NULL (a new string the caller frees). The caller frees
//  the certificates with cf_pb_free and the array with free.
//  Returns 0, CF_EINVAL (limit 0, after too long) or an error.
CF_MUST_CHECK int cf_store_list_certificates (
    cf_store_t *self, const char *after, size_t limit, size_t scan_max,
    cf_store_certificate_filter_fn *keep, void *argument,
    Cf__Certificate ***certificates, size_t *count, char **next);

//  Gets meta key as a new string the caller frees. Returns 0, CF_ENOTFOUND,
//  CF_EINVAL.
CF_MUST_CHECK int cf_store_get_meta (cf_store_t *self, const char *key,
                                     char **value_p);

//  Lists the meta keys that begin with prefix, in key order, into a new
//  array of *count new strings; free it with cf_store_keys_free. Returns
//  0, CF_EINVAL (prefix empty or too long).
CF_MUST_CHECK int cf_store_meta_keys (cf_store_t *self, const char *prefix,
                                      char ***keys_p, size_t *count);

//  Frees count strings of *keys_p and the array, and nulls *keys_p.
//  NULL-safe.
void cf_store_keys_free (char ***keys_p, size_t count);

//  Looks up the stored reply for request_id from client key.
//  request_hash is the SHA-256 of the request body now received. On 0,
//  *reply_p is a malloc'd copy of the reply the caller frees (never NULL,
//  even for size 0) and *size its length.
//  Returns 0 (a retry: send this reply again), CF_ENOTFOUND (a new
//  request), CF_ECONFLICT (id reused with another body: refuse it),
//  CF_EINVAL (key or id empty or too long).
CF_MUST_CHECK int cf_store_get_reply (cf_store_t *self, const char *key,
                                      const char *request_id,
                                      const uint8_t *request_hash,
                                      uint8_t **reply_p, size_t *size);

//  Sets *at_p to when the oldest stored reply was made. Returns 0,
//  CF_ENOTFOUND when none is stored, or a store error.
CF_MUST_CHECK int cf_store_oldest_reply (cf_store_t *self, int64_t *at_p);

//  Sets *seq to the sequence number of the latest event, 0 when none.
//  Returns 0.
CF_MUST_CHECK int cf_store_last_seq (cf_store_t *self, uint64_t *seq);

//  Lists up to limit events with seq > after, in order. Returns 0 (with
//  *count 0 when there are none), CF_EINVAL (limit 0).
CF_MUST_CHECK int cf_store_events_since (cf_store_t *self, uint64_t after,
                                         size_t limit, Cf__Event ***events,
                                         size_t *count);

//  Lists every event of case case_id, in order, from the case_events index.
//  Returns 0, CF_ENOTFOUND (no such case), CF_EINVAL.
CF_MUST_CHECK int cf_store_case_history (cf_store_t *self, const char *case_id,
                                         Cf__Event ***events, size_t *count);

//  Pages of events, bounded by count and by size, so a reply that carries
//  one stays within the frame limit however large the log grows: events
//  with seq > after (of case case_id only, for the history), in order, at
//  most limit of them (0: no count limit) whose stored records take at
//  most max_bytes together (0: no size limit), but always at least one.
//  *more is true when an event beyond the page exists; ask again after
//  the last one listed. Return codes as the two functions above, which
//  are these with no limits.
CF_MUST_CHECK int cf_store_events_page (cf_store_t *self, uint64_t after,
                                        size_t limit, size_t max_bytes,
                                        Cf__Event ***events, size_t *count,
                                        bool *more);
CF_MUST_CHECK int cf_store_history_page (cf_store_t *self, const char *case_id,
                                         uint64_t after, size_t limit,
                                         size_t max_bytes, Cf__Event ***events,
                                         size_t *count, bool *more);

//  Pages: each lists up to limit cases ordered by case id, starting after
//  case id after (NULL or "" for the first page). *next gets a new string
//  to pass as after for the next page, or NULL when this page is the last.
//  Each reads only the index range it returns, never every case.
//  Return 0, CF_EINVAL (limit 0, state out of range, after or org too
//  long), CF_ECORRUPT (an index row names a missing case).

//  Cases in state.
CF_MUST_CHECK int cf_store_list_by_state (cf_store_t *self, Cf__State state,
                                          const char *after, size_t limit,
                                          Cf__Case ***cases, size_t *count,
                                          char **next);

//  Cases of organization org.
CF_MUST_CHECK int cf_store_list_by_org (cf_store_t *self, const char *org,
                                        const char *after, size_t limit,
                                        Cf__Case ***cases, size_t *count,
                                        char **next);

//  All cases.
CF_MUST_CHECK int cf_store_list_cases (cf_store_t *self, const char *after,
                                       size_t limit, Cf__Case ***cases,
                                       size_t *count, char **next);

//  Gets the earliest deadline: *due, *kind (CF_STORE_DEADLINE_CASE or
//  _JOB) and *id (new string the caller frees; a job id is in decimal).
//  Returns 0, CF_ENOTFOUND (no deadline at all).
CF_MUST_CHECK int cf_store_next_deadline (cf_store_t *self, int64_t *due,
                                          char *kind, char **id);

//  Lists up to limit deadlines due at or before now, earliest first, into
//  a new array the caller frees with cf_store_deadlines_free.
//  Returns 0, CF_EINVAL (limit 0).
CF_MUST_CHECK int cf_store_due (cf_store_t *self, int64_t now, size_t limit,
                                cf_store_deadline_t **deadlines, size_t *count);

//  Lists the jobs with status, or every job for JOB_STATUS_UNSPECIFIED,
//  ordered by id. Used to rebuild the daemon's view at restart; this scans
//  the jobs table, so delete jobs that are done. Returns 0.
CF_MUST_CHECK int cf_store_jobs (cf_store_t *self, Cf__JobStatus status,
                                 Cf__Job ***jobs, size_t *count);

//  Free what the list functions returned and null the pointer. NULL-safe.
void cf_store_cases_free (Cf__Case ***cases, size_t count);
void cf_store_events_free (Cf__Event ***events, size_t count);
void cf_store_jobs_free (Cf__Job ***jobs, size_t count);
void cf_store_staff_free (Cf__Staff ***staff, size_t count);
void cf_store_deadlines_free (cf_store_deadline_t **deadlines, size_t count);

//  ------------------------------------------------------------------------
//  Checks and tests

//  Checks the whole store in one read transaction: events contiguous from
//  1, every prev_hash and hash right, meta last_seq and last_hash at the
//  tail; every case has exactly its by_state, by_org and deadline rows,
//  and last_seq and events that match its history; no index row names a
//  missing record or disagrees with it; case_events and events match both
//  ways; jobs and their deadline rows agree; every record decodes. Each
//  disagreement is added to problems (may be NULL) with a code such as
//  "events.hash" or "by_state.missing"; at most 1,000 are listed.
//  Returns 0 (all good), CF_ECORRUPT (problems found), or an LMDB error.
CF_MUST_CHECK int cf_store_verify (cf_store_t *self, cf_problems_t *problems);

//  Arms a fault for tests: after after_n more calls of the matching kind
//  succeed, the next one fails, once. Puts count every mdb_put made inside
//  cf_store_commit; commits count cf_store_commit's mdb_txn_commit (a
//  failing commit aborts the transaction, as LMDB does). Faults of
//  different kinds are armed independently; CF_STORE_FAULT_NONE disarms
//  all. Off unless set.
void cf_store_inject (cf_store_t *self, cf_store_fault_t fault, int after_n);

#endif
