/*  Unit tests for cf_store: round trips of every record kind, atomic
    batches under injected and real faults, the hash chain and index checks
    of verify, paging by index, deadlines, reply dedupe, schema version.
    Each test opens a real LMDB store in its own mkdtemp directory.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_store.h"

typedef struct {
    char dir[64];       //  Temporary store directory
    cf_store_t *store;  //  Store open on it
} s_fixture_t;

static int
s_remove_entry (const char *path, const struct stat *info, int flag,
                struct FTW *ftw)
{
    (void)info, (void)flag, (void)ftw;
    return remove (path);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    if (!fixture)
        return -1;
    strcpy (fixture->dir, "/tmp/cf_store_XXXXXX");
    if (!mkdtemp (fixture->dir) ||
        cf_store_open (fixture->dir, 0, &fixture->store) != 0)
        return -1;
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_destroy (&fixture->store);
    nftw (fixture->dir, s_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free (fixture);
    return 0;
}

//  Closes and opens the store again, as a restart does
static void
s_reopen (s_fixture_t *fixture, size_t map_size)
{
    cf_store_destroy (&fixture->store);
    assert_int_equal (cf_store_open (fixture->dir, map_size, &fixture->store),
                      0);
}

static Cf__Case
s_case (const char *id, const char *org, Cf__State state, int64_t deadline)
{
    Cf__Case record = CF__CASE__INIT;
    record.id = (char *)id;
    record.org = (char *)org;
    record.state = state;
    record.deadline_at = deadline;
    return record;
}

static Cf__Event
s_event (const char *case_id, const char *name, Cf__State from, Cf__State to)
{
    Cf__Event event = CF__EVENT__INIT;
    event.case_id = (char *)case_id;
    event.event = (char *)name;
    event.from = from;
    event.to = to;
    event.at = 1767225600000;
    return event;
}

static Cf__Job
s_job (uint64_t id, const char *case_id, Cf__JobStatus status, int64_t due)
{
    Cf__Job job = CF__JOB__INIT;
    job.id = id;
    job.case_id = (char *)case_id;
    job.stage = "review";
    job.status = status;
    job.due_at = due;
    return job;
}

static void
s_put_case (cf_batch_t *batch, const char *id, const char *org, Cf__State state,
            int64_t deadline)
{
    Cf__Case record = s_case (id, org, state, deadline);
    assert_int_equal (cf_batch_put_case (batch, &record), 0);
}

static void
s_append_event (cf_batch_t *batch, const char *case_id, const char *name)
{
    Cf__Event event = s_event (case_id, name, CF__STATE__STATE_SUBMITTED,
                               CF__STATE__STATE_DOCUMENT_REVIEW);
    assert_int_equal (cf_batch_append_event (batch, &event), 0);
}

static void
s_put_job (cf_batch_t *batch, uint64_t id, Cf__JobStatus status, int64_t due)
{
    s_put_case (batch, "CF-2026-000001", "acme", CF__STATE__STATE_SUBMITTED, 0);
    Cf__Job job = s_job (id, "CF-2026-000001", status, due);
    assert_int_equal (cf_batch_put_job (batch, &job), 0);
}

static void
s_hash_of (const char *text, uint8_t *hash)
{
    crypto_hash_sha256 (hash, (const uint8_t *)text, strlen (text));
}

static void
s_commit (cf_store_t *store, cf_batch_t **batch_p)
{
    assert_int_equal (cf_store_commit (store, *batch_p, NULL, NULL), 0);
    cf_batch_destroy (batch_p);
}

static void
s_assert_verifies (cf_store_t *store)
{
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_store_verify (store, problems);
    if (rc) {
        char *text = cf_problems_join (problems);
        print_error ("verify: %s\n", text);
        free (text);
    }
    assert_int_equal (rc, 0);
    cf_problems_destroy (&problems);
}

//  Runs verify expecting a problem with this code
static void
s_assert_verify_finds (cf_store_t *store, const char *code)
{
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (store, problems), CF_ECORRUPT);
    if (!cf_problems_has (problems, code)) {
        char *text = cf_problems_join (problems);
        print_error ("wanted %s, got: %s\n", code, text);
        free (text);
    }
    assert_true (cf_problems_has (problems, code));
    cf_problems_destroy (&problems);
}

static uint64_t
s_last_seq (cf_store_t *store)
{
    uint64_t seq;
    assert_int_equal (cf_store_last_seq (store, &seq), 0);
    return seq;
}

static void
s_assert_same_message (const void *expected, const void *actual)
{
    size_t expected_size, actual_size;
    uint8_t *expected_bytes = cf_pb_pack (expected, &expected_size);
    uint8_t *actual_bytes = cf_pb_pack (actual, &actual_size);
    assert_int_equal (expected_size, actual_size);
    assert_memory_equal (expected_bytes, actual_bytes, expected_size);
    free (expected_bytes);
    free (actual_bytes);
}

static void
s_assert_meta (cf_store_t *store, const char *key, const char *expected)
{
    char *value;
    if (!expected) {
        assert_int_equal (cf_store_get_meta (store, key, &value), CF_ENOTFOUND);
        return;
    }
    assert_int_equal (cf_store_get_meta (store, key, &value), 0);
    assert_string_equal (value, expected);
    free (value);
}

//  Number of cases in an index page listing (first page, large limit)
static size_t
s_count_by_state (cf_store_t *store, Cf__State state)
{
    Cf__Case **cases;
    size_t count;
    char *next;
    assert_int_equal (cf_store_list_by_state (store, state, NULL, 1000, &cases,
                                              &count, &next),
                      0);
    assert_null (next);
    cf_store_cases_free (&cases, count);
    return count;
}

static size_t
s_count_by_org (cf_store_t *store, const char *org)
{
    Cf__Case **cases;
    size_t count;
    char *next;
    assert_int_equal (
        cf_store_list_by_org (store, org, NULL, 1000, &cases, &count, &next),
        0);
    assert_null (next);
    cf_store_cases_free (&cases, count);
    return count;
}

//  ------------------------------------------------------------------------
//  Raw LMDB access, to damage a closed store the way a bug or an attacker
//  would

typedef struct {
    MDB_env *env;  //  Environment opened directly
    MDB_txn *txn;  //  Write transaction on it
} s_raw_t;

static s_raw_t
s_raw_open (const char *dir)
{
    s_raw_t raw;
    assert_int_equal (mdb_env_create (&raw.env), 0);
    assert_int_equal (mdb_env_set_maxdbs (raw.env, 16), 0);
    assert_int_equal (mdb_env_open (raw.env, dir, 0, 0600), 0);
    assert_int_equal (mdb_txn_begin (raw.env, NULL, 0, &raw.txn), 0);
    return raw;
}

static MDB_dbi
s_raw_dbi (s_raw_t *raw, const char *name)
{
    MDB_dbi dbi;
    assert_int_equal (mdb_dbi_open (raw->txn, name, 0, &dbi), 0);
    return dbi;
}

static void
s_raw_put (s_raw_t *raw, const char *db, const void *key, size_t key_size,
           const void *data, size_t size)
{
    MDB_val k = {key_size, (void *)key};
    MDB_val v = {size, (void *)(data ? data : "")};
    assert_int_equal (mdb_put (raw->txn, s_raw_dbi (raw, db), &k, &v, 0), 0);
}

static void
s_raw_del (s_raw_t *raw, const char *db, const void *key, size_t key_size)
{
    MDB_val k = {key_size, (void *)key};
    assert_int_equal (mdb_del (raw->txn, s_raw_dbi (raw, db), &k, NULL), 0);
}

static void
s_raw_close (s_raw_t *raw)
{
    assert_int_equal (mdb_txn_commit (raw->txn), 0);
    mdb_env_close (raw->env);
}

static void
s_seq_key (uint64_t seq, uint8_t *key)
{
    for (int index = 7; index >= 0; index--, seq >>= 8)
        key[index] = (uint8_t)seq;
}

//  Reads event seq straight from LMDB
static Cf__Event *
s_raw_event (s_raw_t *raw, uint64_t seq)
{
    uint8_t key[8];
    s_seq_key (seq, key);
    MDB_val k = {8, key}, v;
    assert_int_equal (mdb_get (raw->txn, s_raw_dbi (raw, "events"), &k, &v), 0);
    Cf__Event *event = cf__event__unpack (NULL, v.mv_size, v.mv_data);
    assert_non_null (event);
    return event;
}

static void
s_raw_put_event (s_raw_t *raw, const Cf__Event *event)
{
    uint8_t key[8];
    s_seq_key (event->seq, key);
    size_t size;
    uint8_t *packed = cf_pb_pack (&event->base, &size);
    s_raw_put (raw, "events", key, 8, packed, size);
    free (packed);
}

//  Commits one case CF-2026-00000N with events, state SUBMITTED
static void
s_commit_case_with_events (cf_store_t *store, const char *id, int events)
{
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, id, "org-a", CF__STATE__STATE_SUBMITTED, 0);
    for (int index = 0; index < events; index++)
        s_append_event (batch, id, "submit");
    s_commit (store, &batch);
}

//  ------------------------------------------------------------------------
//  Opening

static void
test_open_creates_directory_and_schema (void **state)
{
    s_fixture_t *fixture = *state;
    char dir[128];
    snprintf (dir, sizeof dir, "%s/nested/data", fixture->dir);
    cf_store_t *store;
    assert_int_equal (cf_store_open (dir, 1024 * 1024, &store), 0);
    assert_int_equal (access (dir, F_OK), 0);
    assert_int_equal (cf_store_map_size (store), 1024 * 1024);
    s_assert_meta (store, "schema_version", CF_STORE_SCHEMA_VERSION);
    assert_int_equal (s_last_seq (store), 0);
    int64_t due;
    char kind;
    char *id;
    assert_int_equal (cf_store_next_deadline (store, &due, &kind, &id),
                      CF_ENOTFOUND);
    assert_null (id);
    s_assert_verifies (store);
    cf_store_destroy (&store);
    cf_store_destroy (&store);  //  Idempotent
    assert_null (store);
}

static void
test_schema_version_mismatch_is_refused (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_destroy (&fixture->store);
    s_raw_t raw = s_raw_open (fixture->dir);
    s_raw_put (&raw, "meta", "schema_version", 14, "2", 1);
    s_raw_close (&raw);
    cf_store_t *store = (cf_store_t *)fixture;  //  Must be nulled
    assert_int_equal (cf_store_open (fixture->dir, 0, &store), CF_EVERSION);
    assert_null (store);

    //  Data without any version is not ours either
    raw = s_raw_open (fixture->dir);
    s_raw_del (&raw, "meta", "schema_version", 14);
    s_raw_put (&raw, "cases", "CF-X", 4, "", 0);
    s_raw_close (&raw);
    assert_int_equal (cf_store_open (fixture->dir, 0, &store), CF_EVERSION);
    assert_null (store);
}

//  ------------------------------------------------------------------------
//  Round trips

static void
test_case_round_trip (void **state)
{
    s_fixture_t *fixture = *state;
    Cf__Case record = s_case ("CF-2026-000001", "acme",
                              CF__STATE__STATE_AUDIT_PLANNING, 1800000000000);
    Cf__Application application = CF__APPLICATION__INIT;
    application.company_name = "Acme 售后服务有限公司";
    application.uscc = "91350100M000100Y43";
    char *scope[] = {"household appliances", "installation"};
    application.n_scope = 2;
    application.scope = scope;
    application.employees = 120;
    record.application = &application;
    Cf__AuditPlan plan = CF__AUDIT_PLAN__INIT;
    plan.leader = "S-001";
    char *members[] = {"S-002"};
    plan.n_members = 1;
    plan.members = members;
    record.plan = &plan;
    record.created_at = 1767225600000;
    record.last_seq = 77;  //  The store's to set: replaced by 0
    record.events = 9;

    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_case (batch, &record), 0);
    assert_int_equal (cf_batch_size (batch), 1);
    s_commit (fixture->store, &batch);

    Cf__Case *stored;
    assert_int_equal (
        cf_store_get_case (fixture->store, "CF-2026-000001", &stored), 0);
    record.last_seq = 0;
    record.events = 0;
    s_assert_same_message (&record, stored);
    cf__case__free_unpacked (stored, NULL);

    assert_int_equal (
        cf_store_get_case (fixture->store, "CF-2026-000002", &stored),
        CF_ENOTFOUND);
    assert_null (stored);
    assert_int_equal (cf_store_get_case (fixture->store, "", &stored),
                      CF_EINVAL);
    s_assert_verifies (fixture->store);
}

static void
test_events_are_chained_at_commit (void **state)
{
    s_fixture_t *fixture = *state;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_append_event (batch, "CF-1", "submit");
    s_append_event (batch, "CF-1", "intake_complete");
    uint64_t first, last;
    assert_int_equal (cf_store_commit (fixture->store, batch, &first, &last),
                      0);
    assert_int_equal (first, 1);
    assert_int_equal (last, 2);
    assert_int_equal (cf_batch_event_count (batch), 2);
    assert_int_equal (cf_batch_event (batch, 1)->seq, 2);
    assert_int_equal (cf_batch_event (batch, 1)->hash.len, 32);
    cf_batch_destroy (&batch);

    batch = cf_batch_new ();
    s_append_event (batch, "CF-1", "review_started");
    assert_int_equal (cf_store_commit (fixture->store, batch, &first, &last),
                      0);
    assert_int_equal (first, 3);
    assert_int_equal (last, 3);
    cf_batch_destroy (&batch);
    assert_int_equal (s_last_seq (fixture->store), 3);

    Cf__Event **events;
    size_t count;
    assert_int_equal (
        cf_store_events_since (fixture->store, 0, 10, &events, &count), 0);
    assert_int_equal (count, 3);
    uint8_t previous[32] = {0};
    for (size_t index = 0; index < count; index++) {
        Cf__Event *event = events[index];
        assert_int_equal (event->seq, index + 1);
        assert_int_equal (event->prev_hash.len, 32);
        assert_memory_equal (event->prev_hash.data, previous, 32);
        //  The hash is SHA-256 of the event packed with hash empty
        ProtobufCBinaryData hash = event->hash;
        event->hash.len = 0;
        event->hash.data = NULL;
        size_t size;
        uint8_t *packed = cf_pb_pack (&event->base, &size);
        uint8_t expected[32];
        crypto_hash_sha256 (expected, packed, size);
        free (packed);
        event->hash = hash;
        assert_int_equal (hash.len, 32);
        assert_memory_equal (hash.data, expected, 32);
        memcpy (previous, hash.data, 32);
    }
    assert_string_equal (events[2]->event, "review_started");
    cf_store_events_free (&events, count);
    assert_null (events);

    assert_int_equal (
        cf_store_events_since (fixture->store, 2, 10, &events, &count), 0);
    assert_int_equal (count, 1);
    assert_int_equal (events[0]->seq, 3);
    cf_store_events_free (&events, count);
    assert_int_equal (
        cf_store_events_since (fixture->store, 0, 2, &events, &count), 0);
    assert_int_equal (count, 2);
    cf_store_events_free (&events, count);
    assert_int_equal (
        cf_store_events_since (fixture->store, 3, 10, &events, &count), 0);
    assert_int_equal (count, 0);

    //  The case carries its history counters, set by the store
    Cf__Case *record;
    assert_int_equal (cf_store_get_case (fixture->store, "CF-1", &record), 0);
    assert_int_equal (record->last_seq, 3);
    assert_int_equal (record->events, 3);
    cf__case__free_unpacked (record, NULL);
    s_assert_verifies (fixture->store);
}

//  The history counters and index rows of a case, read back
static void
s_assert_case (cf_store_t *store, const char *id, Cf__State state,
               uint64_t last_seq, uint32_t events)
{
    Cf__Case *record;
    assert_int_equal (cf_store_get_case (store, id, &record), 0);
    assert_int_equal (record->state, state);
    assert_int_equal (record->last_seq, last_seq);
    assert_int_equal (record->events, events);
    cf_pb_free (&record);
}

//  A batch that puts a case more than once, between events of it and of
//  a case it does not put, writes each case once: the last put, with the
//  history of all the batch's events, and only its index rows
static void
test_a_batch_writes_each_case_once_with_all_its_history (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_t *store = fixture->store;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-A", "acme", CF__STATE__STATE_SUBMITTED, 1000);
    s_append_event (batch, "CF-A", "submit");
    s_put_case (batch, "CF-B", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_append_event (batch, "CF-B", "submit");
    s_commit (store, &batch);  //  Seqs 1 and 2

    batch = cf_batch_new ();
    s_append_event (batch, "CF-B", "intake_complete");  //  3
    s_put_case (batch, "CF-A", "beta", CF__STATE__STATE_DOCUMENT_REVIEW, 2000);
    s_append_event (batch, "CF-A", "intake_complete");  //  4
    s_append_event (batch, "CF-B", "review_started");   //  5
    s_put_case (batch, "CF-A", "beta", CF__STATE__STATE_CONTRACT_PENDING, 3000);
    s_append_event (batch, "CF-A", "review_passed");  //  6
    s_put_case (batch, "CF-C", "beta", CF__STATE__STATE_SUBMITTED, 0);
    s_append_event (batch, "CF-C", "submit");  //  7
    s_commit (store, &batch);

    s_assert_case (store, "CF-A", CF__STATE__STATE_CONTRACT_PENDING, 6, 3);
    s_assert_case (store, "CF-B", CF__STATE__STATE_SUBMITTED, 5, 3);
    s_assert_case (store, "CF-C", CF__STATE__STATE_SUBMITTED, 7, 1);
    assert_int_equal (s_count_by_state (store, CF__STATE__STATE_SUBMITTED), 2);
    assert_int_equal (
        s_count_by_state (store, CF__STATE__STATE_DOCUMENT_REVIEW), 0);
    assert_int_equal (
        s_count_by_state (store, CF__STATE__STATE_CONTRACT_PENDING), 1);
    assert_int_equal (s_count_by_org (store, "acme"), 1);
    assert_int_equal (s_count_by_org (store, "beta"), 2);
    cf_store_deadline_t *deadlines;
    size_t count;
    assert_int_equal (cf_store_due (store, INT64_MAX, 10, &deadlines, &count),
                      0);
    assert_int_equal (count, 1);  //  CF-A's last, not the two before it
    assert_int_equal (deadlines[0].due, 3000);
    cf_store_deadlines_free (&deadlines, count);

    //  A batch of events alone moves its cases' history too
    batch = cf_batch_new ();
    s_append_event (batch, "CF-C", "intake_complete");  //  8
    s_append_event (batch, "CF-B", "review_passed");    //  9
    s_append_event (batch, "CF-C", "review_started");   //  10
    s_commit (store, &batch);
    s_assert_case (store, "CF-B", CF__STATE__STATE_SUBMITTED, 9, 4);
    s_assert_case (store, "CF-C", CF__STATE__STATE_SUBMITTED, 10, 3);
    assert_int_equal (s_last_seq (store), 10);
    s_assert_verifies (store);

    //  An event of a case the store does not hold sinks its batch
    batch = cf_batch_new ();
    s_append_event (batch, "CF-B", "contract_sent");
    s_append_event (batch, "CF-NONE", "submit");
    assert_int_equal (cf_store_commit (store, batch, NULL, NULL), CF_ENOTFOUND);
    cf_batch_destroy (&batch);
    s_assert_case (store, "CF-B", CF__STATE__STATE_SUBMITTED, 9, 4);
    assert_int_equal (s_last_seq (store), 10);
}

//  A case put over a stored record that does not decode sinks its batch:
//  the store cannot tell which index rows the old one holds
static void
test_a_put_over_a_broken_case_record_is_refused (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_case_with_events (fixture->store, "CF-1", 1);
    cf_store_destroy (&fixture->store);
    s_raw_t raw = s_raw_open (fixture->dir);
    s_raw_put (&raw, "cases", "CF-1", 4, "\x12\xff\x01", 3);  //  org cut
    s_raw_close (&raw);
    s_reopen (fixture, 0);
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_DOCUMENT_REVIEW, 0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL),
                      CF_ECORRUPT);
    cf_batch_destroy (&batch);
    assert_int_equal (s_last_seq (fixture->store), 1);
}

//  ------------------------------------------------------------------------
//  Case fields kept in events

//  The stored record of case id, straight from LMDB
static Cf__Case *
s_raw_case (const char *dir, const char *id)
{
    s_raw_t raw = s_raw_open (dir);
    MDB_val k = {strlen (id), (void *)id}, v;
    assert_int_equal (mdb_get (raw.txn, s_raw_dbi (&raw, "cases"), &k, &v), 0);
    Cf__Case *record = cf__case__unpack (NULL, v.mv_size, v.mv_data);
    assert_non_null (record);
    s_raw_close (&raw);
    return record;
}

//  Appends an event of case id whose data is application or sheet
static void
s_append_event_with (cf_batch_t *batch, const char *id, const char *name,
                     Cf__Application *application, Cf__ScoreSheet *sheet,
                     const char *refused)
{
    Cf__Event event = s_event (id, name, CF__STATE__STATE_SUBMITTED,
                               CF__STATE__STATE_SUBMITTED);
    Cf__EventData data = CF__EVENT_DATA__INIT;
    if (application) {
        data.body_case = CF__EVENT_DATA__BODY_APPLICATION;
        data.application = application;
    } else if (sheet) {
        data.body_case = CF__EVENT_DATA__BODY_SHEET;
        data.sheet = sheet;
    }
    event.data = &data;
    event.refused = (char *)(refused ? refused : "");
    assert_int_equal (cf_batch_append_event (batch, &event), 0);
}

//  Puts case id with application and sheet
static void
s_put_case_with (cf_batch_t *batch, const char *id, Cf__State state,
                 Cf__Application *application, Cf__ScoreSheet *sheet)
{
    Cf__Case record = s_case (id, "acme", state, 0);
    record.application = application;
    record.sheet = sheet;
    assert_int_equal (cf_batch_put_case (batch, &record), 0);
}

//  The case as the store hands it out has application and sheet, and no
//  seq of the store's own
static void
s_assert_case_holds (cf_store_t *store, const char *id,
                     const Cf__Application *application,
                     const Cf__ScoreSheet *sheet)
{
    Cf__Case *record;
    assert_int_equal (cf_store_get_case (store, id, &record), 0);
    s_assert_same_message (application, record->application);
    if (sheet)
        s_assert_same_message (sheet, record->sheet);
    else
        assert_null (record->sheet);
    assert_int_equal (record->application_seq, 0);
    assert_int_equal (record->sheet_seq, 0);
    cf_pb_free (&record);
    Cf__Case **cases;
    size_t count;
    char *next;
    assert_int_equal (
        cf_store_list_by_org (store, "acme", NULL, 10, &cases, &count, &next),
        0);
    bool seen = false;
    for (size_t index = 0; index < count; index++)
        if (strcmp (cases[index]->id, id) == 0) {
            seen = true;
            s_assert_same_message (application, cases[index]->application);
            assert_int_equal (cases[index]->application_seq, 0);
        }
    assert_true (seen);
    cf_store_cases_free (&cases, count);
    free (next);
}

//  An application of a company, for the tests of kept fields
static Cf__Application
s_application (void)
{
    static char *scope[] = {"家用电器的安装、维修和售后服务", "配件供应"};
    Cf__Application application = CF__APPLICATION__INIT;
    application.company_name = "某某电器有限公司";
    application.uscc = "91310000MA1FL0000X";
    application.n_scope = 2;
    application.scope = scope;
    return application;
}

static void
test_a_case_keeps_its_application_and_sheet_in_their_events (void **state)
{
    s_fixture_t *fixture = *state;
    Cf__Application application = s_application ();
    Cf__ScoreSheet sheet = CF__SCORE_SHEET__INIT;
    sheet.audit_date = "2026-12-01";
    sheet.summary = "符合要求";

    //  Submitted, then its sheet filed: both stay in their events
    cf_batch_t *batch = cf_batch_new ();
    s_put_case_with (batch, "CF-1", CF__STATE__STATE_SUBMITTED, &application,
                     NULL);
    s_append_event_with (batch, "CF-1", "submit", &application, NULL, NULL);
    s_commit (fixture->store, &batch);
    batch = cf_batch_new ();
    s_put_case_with (batch, "CF-1", CF__STATE__STATE_ONSITE_AUDIT, &application,
                     &sheet);
    s_append_event_with (batch, "CF-1", "sheet_submitted", NULL, &sheet, NULL);
    s_commit (fixture->store, &batch);
    cf_store_destroy (&fixture->store);
    Cf__Case *raw = s_raw_case (fixture->dir, "CF-1");
    assert_null (raw->application);
    assert_null (raw->sheet);
    assert_int_equal (raw->application_seq, 1);
    assert_int_equal (raw->sheet_seq, 2);
    cf_pb_free (&raw);
    s_reopen (fixture, 0);
    s_assert_case_holds (fixture->store, "CF-1", &application, &sheet);

    //  A later put that changes neither keeps the events it had; a
    //  history write without a put keeps them too
    batch = cf_batch_new ();
    s_put_case_with (batch, "CF-1", CF__STATE__STATE_COMMITTEE_REVIEW,
                     &application, &sheet);
    s_append_event (batch, "CF-1", "scores_computed");
    s_commit (fixture->store, &batch);
    batch = cf_batch_new ();
    s_append_event (batch, "CF-1", "reminded");
    s_commit (fixture->store, &batch);
    cf_store_destroy (&fixture->store);
    raw = s_raw_case (fixture->dir, "CF-1");
    assert_int_equal (raw->application_seq, 1);
    assert_int_equal (raw->sheet_seq, 2);
    assert_int_equal (raw->events, 4);
    cf_pb_free (&raw);
    s_reopen (fixture, 0);
    s_assert_case_holds (fixture->store, "CF-1", &application, &sheet);

    //  A supplement moves the application to its event; a refused one
    //  that came after it in the batch does not; a sheet the engine
    //  revised is no event's and is stored whole
    Cf__Application supplemented = application;
    supplemented.contact_name = "张三";
    Cf__Application other = application;
    other.contact_name = "李四";
    Cf__ScoreSheet revised = sheet;
    revised.summary = "整改后符合要求";
    batch = cf_batch_new ();
    s_append_event_with (batch, "CF-1", "supplemented", &supplemented, NULL,
                         NULL);
    s_append_event_with (batch, "CF-1", "supplemented", &other, NULL,
                         "refused: not now");
    s_put_case_with (batch, "CF-1", CF__STATE__STATE_COMMITTEE_REVIEW,
                     &supplemented, &revised);
    s_commit (fixture->store, &batch);
    cf_store_destroy (&fixture->store);
    raw = s_raw_case (fixture->dir, "CF-1");
    assert_null (raw->application);
    assert_int_equal (raw->application_seq, 5);
    assert_non_null (raw->sheet);
    assert_int_equal (raw->sheet_seq, 0);
    cf_pb_free (&raw);
    s_reopen (fixture, 0);
    s_assert_case_holds (fixture->store, "CF-1", &supplemented, &revised);

    //  An application no event holds is stored whole
    batch = cf_batch_new ();
    s_put_case_with (batch, "CF-1", CF__STATE__STATE_COMMITTEE_REVIEW, &other,
                     &revised);
    s_append_event (batch, "CF-1", "edited");
    s_commit (fixture->store, &batch);
    cf_store_destroy (&fixture->store);
    raw = s_raw_case (fixture->dir, "CF-1");
    assert_non_null (raw->application);
    assert_int_equal (raw->application_seq, 0);
    cf_pb_free (&raw);
    s_reopen (fixture, 0);
    s_assert_case_holds (fixture->store, "CF-1", &other, &revised);
    s_assert_verifies (fixture->store);
}

//  A lent case is the caller's: the commit writes it as it stands then,
//  gives it back whole after a failed attempt, and the batch never frees it
static void
test_a_lent_case_is_written_as_it_stands_at_the_commit (void **state)
{
    s_fixture_t *fixture = *state;
    Cf__Application application = s_application ();
    Cf__Case draft = s_case ("CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    draft.application = &application;
    Cf__Case *record = cf_pb_dup (&draft.base);

    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_batch_lend_case (batch, record), 0);
    s_append_event_with (batch, "CF-1", "submit", &application, NULL, NULL);
    //  Changed after the lend: the change is what is stored
    record->state = CF__STATE__STATE_DOCUMENT_REVIEW;
    cf_pb_set_string (&record->verifier, "AUD001");
    int failures = 0;
    for (int after_n = 0;; after_n++) {
        cf_store_inject (fixture->store, CF_STORE_FAULT_MAP_FULL_AT_PUT,
                         after_n);
        int rc = cf_store_commit (fixture->store, batch, NULL, NULL);
        s_assert_same_message (&application, record->application);
        assert_int_equal (record->application_seq, 0);
        if (rc == 0)
            break;
        assert_int_equal (rc, CF_ESTOREFULL);
        failures++;
        assert_true (failures < 50);
    }
    assert_true (failures > 0);
    cf_batch_destroy (&batch);
    //  Still the caller's, with what the store set in it
    assert_string_equal (record->id, "CF-1");
    assert_int_equal (record->last_seq, 1);
    assert_int_equal (record->events, 1);
    cf_pb_free (&record);

    Cf__Case *stored = NULL;
    assert_int_equal (cf_store_get_case (fixture->store, "CF-1", &stored), 0);
    assert_int_equal (stored->state, CF__STATE__STATE_DOCUMENT_REVIEW);
    assert_string_equal (stored->verifier, "AUD001");
    cf_pb_free (&stored);
    s_assert_case_holds (fixture->store, "CF-1", &application, NULL);
    cf_store_destroy (&fixture->store);
    Cf__Case *raw = s_raw_case (fixture->dir, "CF-1");
    assert_null (raw->application);
    assert_int_equal (raw->application_seq, 1);
    cf_pb_free (&raw);
    s_reopen (fixture, 0);
    s_assert_verifies (fixture->store);

    //  A batch destroyed uncommitted leaves the lent case alone too, and a
    //  lent case is checked as a put one is
    record = cf_pb_dup (&draft.base);
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_lend_case (batch, record), 0);
    cf_batch_destroy (&batch);
    assert_string_equal (record->id, "CF-1");
    batch = cf_batch_new ();
    record->state = (Cf__State)999;
    assert_int_equal (cf_batch_lend_case (batch, record), CF_EINVAL);
    assert_int_equal (cf_store_check_case (record), CF_EINVAL);
    record->state = CF__STATE__STATE_SUBMITTED;
    char org[CF_STORE_ID_MAX + 2];
    memset (org, 'o', sizeof org - 1);
    org[sizeof org - 1] = '\0';
    cf_pb_set_string (&record->org, org);
    assert_int_equal (cf_batch_lend_case (batch, record), CF_ELIMIT);
    assert_int_equal (cf_batch_size (batch), 0);
    cf_batch_destroy (&batch);
    cf_pb_free (&record);
}

//  A record whose kept field names an event of another case, or one that
//  does not hold it, is damage: reading it fails, and never hands out the
//  other case's data
static void
test_a_kept_field_in_a_wrong_event_is_found (void **state)
{
    s_fixture_t *fixture = *state;
    Cf__Application mine = CF__APPLICATION__INIT, theirs = mine;
    mine.company_name = "mine";
    theirs.company_name = "theirs";
    cf_batch_t *batch = cf_batch_new ();
    s_put_case_with (batch, "CF-1", CF__STATE__STATE_SUBMITTED, &mine, NULL);
    s_append_event_with (batch, "CF-1", "submit", &mine, NULL, NULL);
    s_put_case_with (batch, "CF-2", CF__STATE__STATE_SUBMITTED, &theirs, NULL);
    s_append_event_with (batch, "CF-2", "submit", &theirs, NULL, NULL);
    s_commit (fixture->store, &batch);
    s_assert_verifies (fixture->store);
    cf_store_destroy (&fixture->store);

    uint64_t wrong[] = {2, 3};  //  The other case's event; none at all
    for (size_t index = 0; index < 2; index++) {
        Cf__Case *raw = s_raw_case (fixture->dir, "CF-1");
        assert_int_equal (raw->application_seq, 1);
        raw->application_seq = wrong[index];
        size_t size;
        uint8_t *packed = cf_pb_pack (&raw->base, &size);
        s_raw_t access = s_raw_open (fixture->dir);
        s_raw_put (&access, "cases", "CF-1", 4, packed, size);
        s_raw_close (&access);
        free (packed);
        s_reopen (fixture, 0);
        Cf__Case *record;
        assert_int_equal (cf_store_get_case (fixture->store, "CF-1", &record),
                          CF_ECORRUPT);
        assert_null (record);
        Cf__Case **cases;
        size_t count;
        char *next;
        assert_int_equal (cf_store_list_cases (fixture->store, NULL, 10, &cases,
                                               &count, &next),
                          CF_ECORRUPT);
        s_assert_verify_finds (fixture->store, "cases.kept");
        cf_store_destroy (&fixture->store);
        raw->application_seq = 1;
        packed = cf_pb_pack (&raw->base, &size);
        access = s_raw_open (fixture->dir);
        s_raw_put (&access, "cases", "CF-1", 4, packed, size);
        s_raw_close (&access);
        free (packed);
        cf_pb_free (&raw);
    }
    s_reopen (fixture, 0);
    s_assert_case_holds (fixture->store, "CF-1", &mine, NULL);
    s_assert_verifies (fixture->store);
}

static void
test_case_history_lists_only_that_case (void **state)
{
    s_fixture_t *fixture = *state;
    cf_batch_t *batch = cf_batch_new ();
    //  Events before their case in the batch: events apply last
    s_append_event (batch, "CF-A", "submit");
    s_append_event (batch, "CF-B", "submit");
    s_put_case (batch, "CF-A", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_put_case (batch, "CF-B", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_append_event (batch, "CF-A", "intake_complete");
    s_commit (fixture->store, &batch);

    Cf__Event **events;
    size_t count;
    assert_int_equal (
        cf_store_case_history (fixture->store, "CF-A", &events, &count), 0);
    assert_int_equal (count, 2);
    assert_int_equal (events[0]->seq, 1);
    assert_string_equal (events[1]->event, "intake_complete");
    assert_int_equal (events[1]->seq, 3);
    cf_store_events_free (&events, count);
    assert_int_equal (
        cf_store_case_history (fixture->store, "CF-B", &events, &count), 0);
    assert_int_equal (count, 1);
    assert_int_equal (events[0]->seq, 2);
    cf_store_events_free (&events, count);
    assert_int_equal (
        cf_store_case_history (fixture->store, "CF-C", &events, &count),
        CF_ENOTFOUND);
    assert_null (events);
    s_assert_verifies (fixture->store);
}

//  A reply holding a page must fit a frame however long the log grows:
//  pages are cut by count and by stored size, always holding one event
static void
test_history_and_events_are_paged_by_count_and_size (void **state)
{
    s_fixture_t *fixture = *state;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-A", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_put_case (batch, "CF-B", "acme", CF__STATE__STATE_SUBMITTED, 0);
    for (int index = 0; index < 5; index++) {
        s_append_event (batch, "CF-A", "submit");
        s_append_event (batch, "CF-B", "submit");
    }
    s_commit (fixture->store, &batch);

    Cf__Event **events;
    size_t count;
    bool more;
    //  By count: CF-A holds seq 1, 3, 5, 7, 9
    assert_int_equal (cf_store_history_page (fixture->store, "CF-A", 0, 2, 0,
                                             &events, &count, &more),
                      0);
    assert_int_equal (count, 2);
    assert_true (more);
    assert_int_equal (events[1]->seq, 3);
    cf_store_events_free (&events, count);
    assert_int_equal (cf_store_history_page (fixture->store, "CF-A", 3, 2, 0,
                                             &events, &count, &more),
                      0);
    assert_int_equal (count, 2);
    assert_int_equal (events[0]->seq, 5);
    assert_true (more);
    cf_store_events_free (&events, count);
    assert_int_equal (cf_store_history_page (fixture->store, "CF-A", 7, 2, 0,
                                             &events, &count, &more),
                      0);
    assert_int_equal (count, 1);
    assert_false (more);
    cf_store_events_free (&events, count);
    //  By size: one byte holds one event, the one a page always holds
    assert_int_equal (cf_store_history_page (fixture->store, "CF-B", 0, 0, 1,
                                             &events, &count, &more),
                      0);
    assert_int_equal (count, 1);
    assert_int_equal (events[0]->seq, 2);
    assert_true (more);
    cf_store_events_free (&events, count);
    assert_int_equal (cf_store_events_page (fixture->store, 4, 100, 1, &events,
                                            &count, &more),
                      0);
    assert_int_equal (count, 1);
    assert_int_equal (events[0]->seq, 5);
    assert_true (more);
    cf_store_events_free (&events, count);
    assert_int_equal (cf_store_events_page (fixture->store, 4, 100, 1 << 20,
                                            &events, &count, &more),
                      0);
    assert_int_equal (count, 6);
    assert_false (more);
    cf_store_events_free (&events, count);
    assert_int_equal (cf_store_history_page (fixture->store, "CF-C", 0, 0, 0,
                                             &events, &count, &more),
                      CF_ENOTFOUND);
}

static void
test_job_round_trip_and_delete (void **state)
{
    s_fixture_t *fixture = *state;
    Cf__Job job = s_job (42, "CF-1", CF__JOB_STATUS__JOB_STATUS_LEASED, 5000);
    job.worker = "worker-1";
    job.lease = 7;
    job.attempts = 2;
    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_job (batch, &job), 0);
    s_commit (fixture->store, &batch);

    Cf__Job *stored;
    assert_int_equal (cf_store_get_job (fixture->store, 42, &stored), 0);
    s_assert_same_message (&job, stored);
    cf__job__free_unpacked (stored, NULL);

    batch = cf_batch_new ();
    assert_int_equal (cf_batch_delete_job (batch, 42), 0);
    s_commit (fixture->store, &batch);
    assert_int_equal (cf_store_get_job (fixture->store, 42, &stored),
                      CF_ENOTFOUND);
    int64_t due;
    char kind;
    char *id;
    assert_int_equal (cf_store_next_deadline (fixture->store, &due, &kind, &id),
                      CF_ENOTFOUND);

    //  Deleting what is not there fails the whole batch
    batch = cf_batch_new ();
    s_put_case (batch, "CF-9", "acme", CF__STATE__STATE_SUBMITTED, 0);
    assert_int_equal (cf_batch_delete_job (batch, 42), 0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL),
                      CF_ENOTFOUND);
    cf_batch_destroy (&batch);
    Cf__Case *record;
    assert_int_equal (cf_store_get_case (fixture->store, "CF-9", &record),
                      CF_ENOTFOUND);
    s_assert_verifies (fixture->store);
}

static void
test_jobs_by_status (void **state)
{
    s_fixture_t *fixture = *state;
    cf_batch_t *batch = cf_batch_new ();
    s_put_job (batch, 3, CF__JOB_STATUS__JOB_STATUS_READY, 0);
    s_put_job (batch, 1, CF__JOB_STATUS__JOB_STATUS_LEASED, 100);
    s_put_job (batch, 2, CF__JOB_STATUS__JOB_STATUS_PARKED, 0);
    s_put_job (batch, 4, CF__JOB_STATUS__JOB_STATUS_READY, 50);
    s_commit (fixture->store, &batch);

    Cf__Job **jobs;
    size_t count;
    assert_int_equal (cf_store_jobs (fixture->store,
                                     CF__JOB_STATUS__JOB_STATUS_READY, &jobs,
                                     &count),
                      0);
    assert_int_equal (count, 2);
    assert_int_equal (jobs[0]->id, 3);
    assert_int_equal (jobs[1]->id, 4);
    cf_store_jobs_free (&jobs, count);
    assert_int_equal (cf_store_jobs (fixture->store,
                                     CF__JOB_STATUS__JOB_STATUS_UNSPECIFIED,
                                     &jobs, &count),
                      0);
    assert_int_equal (count, 4);
    for (size_t index = 0; index < count; index++)
        assert_int_equal (jobs[index]->id, index + 1);
    cf_store_jobs_free (&jobs, count);
    s_assert_verifies (fixture->store);
}

static void
test_staff_round_trip_and_list (void **state)
{
    s_fixture_t *fixture = *state;
    const char *ids[] = {"S-003", "S-001", "S-002"};
    cf_batch_t *batch = cf_batch_new ();
    for (int index = 0; index < 3; index++) {
        Cf__Staff staff = CF__STAFF__INIT;
        staff.id = (char *)ids[index];
        staff.name = "Li Wei";
        staff.active = true;
        char *roles[] = {"auditor"};
        staff.n_roles = 1;
        staff.roles = roles;
        assert_int_equal (cf_batch_put_staff (batch, &staff), 0);
    }
    s_commit (fixture->store, &batch);

    Cf__Staff replacement = CF__STAFF__INIT;
    replacement.id = "S-002";
    replacement.name = "Wang Fang";
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_staff (batch, &replacement), 0);
    s_commit (fixture->store, &batch);

    Cf__Staff *stored;
    assert_int_equal (cf_store_get_staff (fixture->store, "S-002", &stored), 0);
    s_assert_same_message (&replacement, stored);
    cf__staff__free_unpacked (stored, NULL);
    assert_int_equal (cf_store_get_staff (fixture->store, "S-009", &stored),
                      CF_ENOTFOUND);

    Cf__Staff **staff;
    size_t count;
    assert_int_equal (cf_store_list_staff (fixture->store, &staff, &count), 0);
    assert_int_equal (count, 3);
    assert_string_equal (staff[0]->id, "S-001");
    assert_string_equal (staff[1]->name, "Wang Fang");
    assert_string_equal (staff[2]->roles[0], "auditor");
    cf_store_staff_free (&staff, count);
}

static void
test_certificate_numbers_are_unique (void **state)
{
    s_fixture_t *fixture = *state;
    Cf__Certificate certificate = CF__CERTIFICATE__INIT;
    certificate.number = "SC-2026-0001";
    certificate.case_id = "CF-1";
    certificate.status = CF__CERT_STATUS__CERT_STATUS_VALID;
    certificate.score = 92.5;
    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_certificate (batch, &certificate), 0);
    s_commit (fixture->store, &batch);

    //  A second insert of the number fails, and takes its batch with it
    batch = cf_batch_new ();
    s_put_case (batch, "CF-2", "acme", CF__STATE__STATE_ISSUANCE, 0);
    certificate.case_id = "CF-2";
    assert_int_equal (cf_batch_put_certificate (batch, &certificate), 0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL),
                      CF_EEXIST);
    cf_batch_destroy (&batch);
    Cf__Case *record;
    assert_int_equal (cf_store_get_case (fixture->store, "CF-2", &record),
                      CF_ENOTFOUND);
    //  ... even within one batch
    certificate.number = "SC-2026-0002";
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_certificate (batch, &certificate), 0);
    assert_int_equal (cf_batch_put_certificate (batch, &certificate), 0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL),
                      CF_EEXIST);
    cf_batch_destroy (&batch);

    Cf__Certificate *stored;
    assert_int_equal (
        cf_store_get_certificate (fixture->store, "SC-2026-0001", &stored), 0);
    assert_string_equal (stored->case_id, "CF-1");
    assert_true (stored->score == 92.5);
    //  Status changes go through update
    stored->status = CF__CERT_STATUS__CERT_STATUS_SUSPENDED;
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_update_certificate (batch, stored), 0);
    s_commit (fixture->store, &batch);
    cf__certificate__free_unpacked (stored, NULL);
    assert_int_equal (
        cf_store_get_certificate (fixture->store, "SC-2026-0001", &stored), 0);
    assert_int_equal (stored->status, CF__CERT_STATUS__CERT_STATUS_SUSPENDED);
    cf__certificate__free_unpacked (stored, NULL);

    batch = cf_batch_new ();
    assert_int_equal (cf_batch_update_certificate (batch, &certificate), 0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL),
                      CF_ENOTFOUND);
    cf_batch_destroy (&batch);
    assert_int_equal (
        cf_store_get_certificate (fixture->store, "SC-2026-0002", &stored),
        CF_ENOTFOUND);
}

static void
test_reply_dedupe_and_conflict (void **state)
{
    s_fixture_t *fixture = *state;
    uint8_t hash[32], other[32];
    s_hash_of ("submit acme", hash);
    s_hash_of ("submit acme, changed", other);
    const uint8_t reply[] = {0x0a, 0x03, 'r', '-', '1', 0x10, 0x00};
    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_reply (batch, "clientkey", "r-1", hash,
                                          reply, sizeof reply, 0),
                      0);
    assert_int_equal (
        cf_batch_put_reply (batch, "clientkey", "r-empty", hash, NULL, 0, 0),
        0);
    s_commit (fixture->store, &batch);

    //  A retry with the same body gets the same reply
    uint8_t *stored;
    size_t size;
    assert_int_equal (cf_store_get_reply (fixture->store, "clientkey", "r-1",
                                          hash, &stored, &size),
                      0);
    assert_int_equal (size, sizeof reply);
    assert_memory_equal (stored, reply, size);
    free (stored);
    assert_int_equal (cf_store_get_reply (fixture->store, "clientkey",
                                          "r-empty", hash, &stored, &size),
                      0);
    assert_int_equal (size, 0);
    assert_non_null (stored);
    free (stored);
    //  The same id with another body is a conflict
    assert_int_equal (cf_store_get_reply (fixture->store, "clientkey", "r-1",
                                          other, &stored, &size),
                      CF_ECONFLICT);
    assert_null (stored);
    //  Ids belong to one client key
    assert_int_equal (cf_store_get_reply (fixture->store, "otherkey", "r-1",
                                          hash, &stored, &size),
                      CF_ENOTFOUND);
    assert_int_equal (cf_store_get_reply (fixture->store, "clientkey", "r-2",
                                          hash, &stored, &size),
                      CF_ENOTFOUND);

    //  A stored reply is never overwritten
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_reply (batch, "clientkey", "r-1", hash,
                                          reply, sizeof reply, 0),
                      0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL),
                      CF_EEXIST);
    cf_batch_destroy (&batch);
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_reply (batch, "clientkey", "r-1", other,
                                          reply, sizeof reply, 0),
                      0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL),
                      CF_ECONFLICT);
    cf_batch_destroy (&batch);
    s_assert_verifies (fixture->store);
}

static void
test_counters_reserve_ids_in_order (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_t *store = fixture->store;
    cf_batch_t *batch = cf_batch_new ();
    uint64_t id;
    assert_int_equal (cf_store_next_id (store, batch, "next_case", &id), 0);
    assert_int_equal (id, 1);
    assert_int_equal (cf_store_next_id (store, batch, "next_case", &id), 0);
    assert_int_equal (id, 2);
    assert_int_equal (cf_store_next_id (store, batch, "cert_seq/2026", &id), 0);
    assert_int_equal (id, 1);
    s_commit (store, &batch);
    s_assert_meta (store, "next_case", "2");
    s_assert_meta (store, "cert_seq/2026", "1");

    //  Two batches reserving from one counter: the second commit loses
    cf_batch_t *first = cf_batch_new ();
    cf_batch_t *second = cf_batch_new ();
    assert_int_equal (cf_store_next_id (store, first, "next_case", &id), 0);
    assert_int_equal (id, 3);
    assert_int_equal (cf_store_next_id (store, second, "next_case", &id), 0);
    assert_int_equal (id, 3);
    s_commit (store, &second);
    assert_int_equal (cf_store_commit (store, first, NULL, NULL), CF_ECONFLICT);
    cf_batch_destroy (&first);
    s_assert_meta (store, "next_case", "3");

    //  The store's own keys are not counters, and not settable
    batch = cf_batch_new ();
    assert_int_equal (cf_store_next_id (store, batch, "last_seq", &id),
                      CF_EINVAL);
    assert_int_equal (cf_batch_set_meta (batch, "last_hash", "x"), CF_EINVAL);
    assert_int_equal (cf_batch_set_meta (batch, "schema_version", "2"),
                      CF_EINVAL);
    assert_int_equal (cf_batch_set_meta (batch, "owner", "certflow"), 0);
    s_commit (store, &batch);
    s_assert_meta (store, "owner", "certflow");
}

static void
test_next_seq_names_the_events_to_come (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_t *store = fixture->store;
    s_commit_case_with_events (store, "CF-1", 2);

    cf_batch_t *batch = cf_batch_new ();
    uint64_t seq;
    assert_int_equal (cf_store_next_seq (store, batch, &seq), 0);
    assert_int_equal (seq, 3);
    s_append_event (batch, "CF-1", "review");
    assert_int_equal (cf_store_next_seq (store, batch, &seq), 0);
    assert_int_equal (seq, 4);
    s_append_event (batch, "CF-1", "review");
    uint64_t first, last;
    assert_int_equal (cf_store_commit (store, batch, &first, &last), 0);
    assert_int_equal (first, 3);
    assert_int_equal (last, 4);
    cf_batch_destroy (&batch);

    //  A promise broken by another batch's events refuses the commit
    cf_batch_t *promised = cf_batch_new ();
    assert_int_equal (cf_store_next_seq (store, promised, &seq), 0);
    assert_int_equal (seq, 5);
    s_append_event (promised, "CF-1", "late");
    s_commit_case_with_events (store, "CF-2", 1);
    assert_int_equal (cf_store_commit (store, promised, NULL, NULL),
                      CF_ECONFLICT);
    cf_batch_destroy (&promised);
    assert_int_equal (s_last_seq (store), 5);
    s_assert_verifies (store);
}

//  ------------------------------------------------------------------------
//  Atomic batches and faults

//  The application of the sample batch's case CF-B-1
static Cf__Application *
s_sample_application (void)
{
    static Cf__Application application = CF__APPLICATION__INIT;
    application.company_name = "样例公司";
    application.uscc = "91110000000000000X";
    return &application;
}

//  The batch under test: two cases (one with its application in its
//  submit event), their events, a job, a reply, a certificate, a counter
//  and a meta key
static cf_batch_t *
s_sample_batch (cf_store_t *store)
{
    cf_batch_t *batch = cf_batch_new ();
    Cf__Case first =
        s_case ("CF-B-1", "org-b", CF__STATE__STATE_SUBMITTED, 5000);
    first.application = s_sample_application ();
    assert_int_equal (cf_batch_put_case (batch, &first), 0);
    s_put_case (batch, "CF-B-2", "org-b", CF__STATE__STATE_DOCUMENT_REVIEW, 0);
    s_append_event_with (batch, "CF-B-1", "submit", s_sample_application (),
                         NULL, NULL);
    s_append_event (batch, "CF-B-2", "submit");
    s_append_event (batch, "CF-B-2", "intake_complete");
    uint64_t job_id;
    assert_int_equal (cf_store_next_id (store, batch, "next_job", &job_id), 0);
    assert_int_equal (job_id, 1);
    s_put_job (batch, job_id, CF__JOB_STATUS__JOB_STATUS_READY, 6000);
    uint8_t hash[32];
    s_hash_of ("request b", hash);
    assert_int_equal (cf_batch_put_reply (batch, "client-b", "req-b", hash,
                                          (const uint8_t *)"ok", 2, 0),
                      0);
    Cf__Certificate certificate = CF__CERTIFICATE__INIT;
    certificate.number = "SC-B";
    assert_int_equal (cf_batch_put_certificate (batch, &certificate), 0);
    assert_int_equal (cf_batch_set_meta (batch, "marker", "b"), 0);
    return batch;
}

//  What the store holds before the sample batch: case CF-A with one event
static void
s_commit_base (cf_store_t *store)
{
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-A", "org-a", CF__STATE__STATE_SUBMITTED, 9000);
    s_append_event (batch, "CF-A", "submit");
    s_commit (store, &batch);
}

//  Nothing of the sample batch is visible, and the rest is whole
static void
s_assert_sample_absent (cf_store_t *store)
{
    Cf__Case *record;
    assert_int_equal (cf_store_get_case (store, "CF-B-1", &record),
                      CF_ENOTFOUND);
    assert_int_equal (cf_store_get_case (store, "CF-B-2", &record),
                      CF_ENOTFOUND);
    assert_int_equal (s_last_seq (store), 1);
    Cf__Event **events;
    size_t count;
    assert_int_equal (cf_store_events_since (store, 1, 10, &events, &count), 0);
    assert_int_equal (count, 0);
    assert_int_equal (s_count_by_org (store, "org-b"), 0);
    assert_int_equal (s_count_by_state (store, CF__STATE__STATE_SUBMITTED), 1);
    assert_int_equal (
        s_count_by_state (store, CF__STATE__STATE_DOCUMENT_REVIEW), 0);
    cf_store_deadline_t *deadlines;
    assert_int_equal (cf_store_due (store, INT64_MAX, 10, &deadlines, &count),
                      0);
    assert_int_equal (count, 1);  //  Only CF-A's
    assert_string_equal (deadlines[0].id, "CF-A");
    cf_store_deadlines_free (&deadlines, count);
    Cf__Job *job;
    assert_int_equal (cf_store_get_job (store, 1, &job), CF_ENOTFOUND);
    uint8_t hash[32], *reply;
    s_hash_of ("request b", hash);
    assert_int_equal (
        cf_store_get_reply (store, "client-b", "req-b", hash, &reply, &count),
        CF_ENOTFOUND);
    Cf__Certificate *certificate;
    assert_int_equal (cf_store_get_certificate (store, "SC-B", &certificate),
                      CF_ENOTFOUND);
    s_assert_meta (store, "next_job", NULL);
    s_assert_meta (store, "marker", NULL);
    s_assert_verifies (store);
}

static void
s_assert_sample_present (cf_store_t *store)
{
    Cf__Case *record;
    assert_int_equal (cf_store_get_case (store, "CF-B-1", &record), 0);
    s_assert_same_message (s_sample_application (), record->application);
    cf_pb_free (&record);
    assert_int_equal (cf_store_get_case (store, "CF-B-2", &record), 0);
    assert_int_equal (record->events, 2);
    assert_int_equal (record->last_seq, 4);
    cf__case__free_unpacked (record, NULL);
    assert_int_equal (s_last_seq (store), 4);
    assert_int_equal (s_count_by_org (store, "org-b"), 2);
    assert_int_equal (
        s_count_by_state (store, CF__STATE__STATE_DOCUMENT_REVIEW), 1);
    Cf__Job *job;
    assert_int_equal (cf_store_get_job (store, 1, &job), 0);
    cf__job__free_unpacked (job, NULL);
    cf_store_deadline_t *deadlines;
    size_t count;
    assert_int_equal (cf_store_due (store, INT64_MAX, 10, &deadlines, &count),
                      0);
    assert_int_equal (count, 3);
    assert_string_equal (deadlines[0].id, "CF-B-1");
    assert_int_equal (deadlines[1].kind, CF_STORE_DEADLINE_JOB);
    assert_string_equal (deadlines[1].id, "1");
    assert_string_equal (deadlines[2].id, "CF-A");
    cf_store_deadlines_free (&deadlines, count);
    uint8_t hash[32], *reply;
    s_hash_of ("request b", hash);
    assert_int_equal (
        cf_store_get_reply (store, "client-b", "req-b", hash, &reply, &count),
        0);
    assert_memory_equal (reply, "ok", 2);
    free (reply);
    Cf__Certificate *certificate;
    assert_int_equal (cf_store_get_certificate (store, "SC-B", &certificate),
                      0);
    cf__certificate__free_unpacked (certificate, NULL);
    s_assert_meta (store, "next_job", "1");
    s_assert_meta (store, "marker", "b");
    s_assert_verifies (store);
}

static void
test_batch_commits_everything_together (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_base (fixture->store);
    s_assert_sample_absent (fixture->store);
    cf_batch_t *batch = s_sample_batch (fixture->store);
    uint64_t first, last;
    assert_int_equal (cf_store_commit (fixture->store, batch, &first, &last),
                      0);
    assert_int_equal (first, 2);
    assert_int_equal (last, 4);
    //  A committed batch is done
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL),
                      CF_EINVAL);
    assert_int_equal (cf_batch_set_meta (batch, "marker", "c"), CF_EINVAL);
    cf_batch_destroy (&batch);
    s_assert_sample_present (fixture->store);
}

//  Commits the sample batch under a fault, checks nothing was written,
//  then grows the map (when told) and commits the same batch
static void
s_fault_then_retry (cf_store_t *store, cf_store_fault_t fault, int after_n,
                    int expected, bool grow)
{
    s_commit_base (store);
    cf_batch_t *batch = s_sample_batch (store);
    cf_store_inject (store, fault, after_n);
    uint64_t first = 99, last = 99;
    assert_int_equal (cf_store_commit (store, batch, &first, &last), expected);
    assert_int_equal (first, 0);
    assert_int_equal (last, 0);
    s_assert_sample_absent (store);
    if (grow)
        assert_int_equal (cf_store_grow (store, 2 * cf_store_map_size (store)),
                          0);
    assert_int_equal (cf_store_commit (store, batch, &first, &last), 0);
    assert_int_equal (first, 2);
    cf_batch_destroy (&batch);
    s_assert_sample_present (store);
}

static void
test_map_full_at_put_writes_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    s_fault_then_retry (fixture->store, CF_STORE_FAULT_MAP_FULL_AT_PUT, 5,
                        CF_ESTOREFULL, true);
}

static void
test_map_full_at_commit_writes_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    s_fault_then_retry (fixture->store, CF_STORE_FAULT_MAP_FULL_AT_COMMIT, 0,
                        CF_ESTOREFULL, true);
}

static void
test_eio_at_commit_writes_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    s_fault_then_retry (fixture->store, CF_STORE_FAULT_EIO_AT_COMMIT, 0, CF_EIO,
                        false);
}

//  SQLite's loop: fail the 1st put, then the 2nd, ... until the batch goes
//  through; every failure must leave nothing behind
static void
test_map_full_at_every_put_writes_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_t *store = fixture->store;
    s_commit_base (store);
    cf_batch_t *batch = s_sample_batch (store);
    int failures = 0;
    for (int after_n = 0;; after_n++) {
        cf_store_inject (store, CF_STORE_FAULT_MAP_FULL_AT_PUT, after_n);
        int rc = cf_store_commit (store, batch, NULL, NULL);
        if (rc == 0)
            break;
        assert_int_equal (rc, CF_ESTOREFULL);
        s_assert_sample_absent (store);
        failures++;
        assert_true (failures < 200);
    }
    cf_batch_destroy (&batch);
    //  Every put of the batch was a failure point once
    assert_true (failures >= 20);
    s_assert_sample_present (store);
}

static void
test_inject_counts_commits_and_none_disarms (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_t *store = fixture->store;
    cf_store_inject (store, CF_STORE_FAULT_EIO_AT_COMMIT, 1);
    s_commit_case_with_events (store, "CF-1", 1);  //  Let through
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-2", "acme", CF__STATE__STATE_SUBMITTED, 0);
    assert_int_equal (cf_store_commit (store, batch, NULL, NULL), CF_EIO);
    assert_int_equal (cf_store_commit (store, batch, NULL, NULL), 0);
    cf_batch_destroy (&batch);

    cf_store_inject (store, CF_STORE_FAULT_MAP_FULL_AT_COMMIT, 0);
    cf_store_inject (store, CF_STORE_FAULT_NONE, 0);
    s_commit_case_with_events (store, "CF-3", 1);
    s_assert_verifies (store);
}

//  The stored bytes of event seq, straight from LMDB (a copy)
static uint8_t *
s_raw_event_bytes (s_raw_t *raw, uint64_t seq, size_t *size)
{
    uint8_t key[8];
    s_seq_key (seq, key);
    MDB_val k = {8, key}, v;
    assert_int_equal (mdb_get (raw->txn, s_raw_dbi (raw, "events"), &k, &v), 0);
    uint8_t *copy = malloc (v.mv_size);
    assert_non_null (copy);
    memcpy (copy, v.mv_data, v.mv_size);
    *size = v.mv_size;
    return copy;
}

//  Appends an event of case id whose refusal says text
static void
s_commit_event_saying (cf_store_t *store, const char *id, const char *text)
{
    cf_batch_t *batch = cf_batch_new ();
    Cf__Event event = s_event (id, "sign", CF__STATE__STATE_SUBMITTED,
                               CF__STATE__STATE_SUBMITTED);
    event.refused = (char *)text;
    assert_int_equal (cf_batch_append_event (batch, &event), 0);
    s_commit (store, &batch);
}

//  The refusal text of event seq, read back
static void
s_assert_event_says (cf_store_t *store, uint64_t seq, const char *text)
{
    Cf__Event **events;
    size_t count;
    assert_int_equal (
        cf_store_events_since (store, seq - 1, 1, &events, &count), 0);
    assert_int_equal (count, 1);
    assert_string_equal (events[0]->refused, text);
    cf_store_events_free (&events, count);
}

//  An event just too large for its leaf page is stored squeezed when LZ4
//  brings it onto the leaf, and plain when it does not; both read back as
//  written and keep the hash chain, and a damaged squeezed one does not
//  decode. A case record, rewritten as it grows, is never squeezed.
static void
test_large_events_are_squeezed_when_that_saves_pages (void **state)
{
    s_fixture_t *fixture = *state;
    //  2,400 bytes of an application's kind of text, and of noise
    static const char *const phrases[] = {
        "杭州云熙家电有限公司售后服务中心", "浙江省杭州市余杭区良睦路1288号",
        "电饭煲、电压力锅、高速破壁机", "授权服务网点：宁波、上海、南京"};
    char text[2401] = "", noise[2401];
    for (size_t index = 0; strlen (text) + 64 < sizeof text; index++) {
        char line[80];
        snprintf (line, sizeof line, "%s %zu；", phrases[index % 4], index);
        strcat (text, line);
    }
    uint32_t seed = 7;
    for (size_t index = 0; index < sizeof noise - 1; index++) {
        seed = seed * 1103515245 + 12345;
        noise[index] = (char)(' ' + (seed >> 16) % 95);
    }
    noise[sizeof noise - 1] = 0;
    cf_batch_t *batch = cf_batch_new ();
    Cf__Case record = s_case ("CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    record.closing_reason = text;
    assert_int_equal (cf_batch_put_case (batch, &record), 0);
    s_commit (fixture->store, &batch);
    s_commit_event_saying (fixture->store, "CF-1", text);   //  Seq 1
    s_commit_event_saying (fixture->store, "CF-1", noise);  //  2
    s_commit_event_saying (fixture->store, "CF-1", "短");   //  3
    s_commit_event_saying (fixture->store, "CF-1", text);   //  4
    s_commit_event_saying (fixture->store, "CF-1", text);   //  5
    s_assert_event_says (fixture->store, 1, text);
    s_assert_event_says (fixture->store, 2, noise);
    s_assert_event_says (fixture->store, 3, "短");
    s_assert_verifies (fixture->store);
    //  A page bounded in bytes counts a squeezed event as it unpacks: two
    //  of 2.4 KB do not fit in 4,000 bytes, though each stores in 1.9
    Cf__Event **page;
    size_t listed;
    bool more;
    assert_int_equal (cf_store_events_page (fixture->store, 3, 10, 4000, &page,
                                            &listed, &more),
                      0);
    assert_int_equal (listed, 1);
    assert_true (more);
    cf_store_events_free (&page, listed);
    assert_int_equal (cf_store_history_page (fixture->store, "CF-1", 3, 10,
                                             4000, &page, &listed, &more),
                      0);
    assert_int_equal (listed, 1);
    assert_true (more);
    cf_store_events_free (&page, listed);
    cf_store_destroy (&fixture->store);

    s_raw_t raw = s_raw_open (fixture->dir);
    size_t size;
    uint8_t *bytes = s_raw_event_bytes (&raw, 1, &size);
    assert_int_equal (bytes[0], 0);  //  Squeezed
    assert_true (size < 2000);       //  On its leaf
    //  Damaged: its LZ4 block cut short
    uint8_t key[8];
    s_seq_key (1, key);
    s_raw_put (&raw, "events", key, 8, bytes, size / 2);
    free (bytes);
    bytes = s_raw_event_bytes (&raw, 2, &size);
    assert_int_not_equal (bytes[0], 0);  //  Plain: LZ4 saved no page
    assert_true (size > strlen (noise));
    free (bytes);
    MDB_val k = {4, "CF-1"}, v;
    assert_int_equal (mdb_get (raw.txn, s_raw_dbi (&raw, "cases"), &k, &v), 0);
    assert_int_not_equal (((const uint8_t *)v.mv_data)[0], 0);
    assert_true (v.mv_size > strlen (text));
    s_raw_close (&raw);

    s_reopen (fixture, 0);
    Cf__Event **events;
    size_t count;
    assert_int_equal (
        cf_store_events_since (fixture->store, 0, 1, &events, &count),
        CF_ECORRUPT);
    s_assert_verify_finds (fixture->store, "events.decode");
}

static void
test_real_map_full_then_grow (void **state)
{
    s_fixture_t *fixture = *state;
    //  128 KiB: the empty databases fit, a few large cases do not
    cf_store_destroy (&fixture->store);
    nftw (fixture->dir, s_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    assert_int_equal (cf_store_open (fixture->dir, 128 * 1024, &fixture->store),
                      0);
    cf_store_t *store = fixture->store;
    char reason[3000];
    memset (reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = 0;
    int committed = 0, rc = 0;
    cf_batch_t *batch = NULL;
    while (rc == 0) {
        assert_true (committed < 500);
        char id[32];
        snprintf (id, sizeof id, "CF-%04d", committed + 1);
        batch = cf_batch_new ();
        Cf__Case record =
            s_case (id, "acme", CF__STATE__STATE_SUBMITTED, 1000 + committed);
        record.closing_reason = reason;
        assert_int_equal (cf_batch_put_case (batch, &record), 0);
        s_append_event (batch, id, "submit");
        rc = cf_store_commit (store, batch, NULL, NULL);
        if (rc == 0) {
            committed++;
            cf_batch_destroy (&batch);
        }
    }
    assert_int_equal (rc, CF_ESTOREFULL);
    assert_true (committed > 0);
    //  The store is what the committed batches made it, nothing more
    assert_int_equal (s_last_seq (store), committed);
    assert_int_equal (s_count_by_state (store, CF__STATE__STATE_SUBMITTED),
                      (size_t)committed);
    s_assert_verifies (store);

    assert_int_equal (cf_store_grow (store, 1024), CF_EINVAL);
    assert_int_equal (cf_store_grow (store, 4 * 128 * 1024), 0);
    assert_int_equal (cf_store_map_size (store), 4 * 128 * 1024);
    assert_int_equal (cf_store_commit (store, batch, NULL, NULL), 0);
    cf_batch_destroy (&batch);
    assert_int_equal (s_last_seq (store), committed + 1);
    s_assert_verifies (store);

    //  A store grown once keeps its size when opened with a smaller one
    s_reopen (fixture, 128 * 1024);
    assert_int_equal (cf_store_map_size (fixture->store), 4 * 128 * 1024);
    s_assert_verifies (fixture->store);
}

//  ------------------------------------------------------------------------
//  Verify finds damage

static void
test_verify_finds_a_changed_event (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_case_with_events (fixture->store, "CF-1", 3);
    s_assert_verifies (fixture->store);
    cf_store_destroy (&fixture->store);

    s_raw_t raw = s_raw_open (fixture->dir);
    Cf__Event *event = s_raw_event (&raw, 2);
    cf_pb_set_string (&event->event, "grant");
    s_raw_put_event (&raw, event);
    cf__event__free_unpacked (event, NULL);
    s_raw_close (&raw);

    s_reopen (fixture, 0);
    s_assert_verify_finds (fixture->store, "events.hash");
}

static void
test_verify_finds_a_rehashed_event (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_case_with_events (fixture->store, "CF-1", 3);
    cf_store_destroy (&fixture->store);

    //  Changing an event and fixing its own hash breaks the next link
    s_raw_t raw = s_raw_open (fixture->dir);
    Cf__Event *event = s_raw_event (&raw, 2);
    cf_pb_set_string (&event->event, "grant");
    free (event->hash.data);
    event->hash.data = NULL;
    event->hash.len = 0;
    size_t size;
    uint8_t *packed = cf_pb_pack (&event->base, &size);
    uint8_t hash[32];
    crypto_hash_sha256 (hash, packed, size);
    free (packed);
    event->hash.data = malloc (32);
    memcpy (event->hash.data, hash, 32);
    event->hash.len = 32;
    s_raw_put_event (&raw, event);
    cf__event__free_unpacked (event, NULL);
    s_raw_close (&raw);

    s_reopen (fixture, 0);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (fixture->store, problems), CF_ECORRUPT);
    assert_true (cf_problems_has (problems, "events.prev_hash"));
    assert_false (cf_problems_has (problems, "events.hash"));
    cf_problems_destroy (&problems);
}

static void
test_verify_finds_a_removed_event (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_case_with_events (fixture->store, "CF-1", 3);
    cf_store_destroy (&fixture->store);
    s_raw_t raw = s_raw_open (fixture->dir);
    uint8_t key[8];
    s_seq_key (2, key);
    s_raw_del (&raw, "events", key, 8);
    s_raw_close (&raw);
    s_reopen (fixture, 0);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (fixture->store, problems), CF_ECORRUPT);
    assert_true (cf_problems_has (problems, "events.gap"));
    assert_true (cf_problems_has (problems, "case_events.orphan"));
    cf_problems_destroy (&problems);
}

//  The client whose requests the stored replies below answer
static Cf__Principal s_alice = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "KEY-A",
    .name = "alice", .role = CF__ROLE__ROLE_APPLICANT};

//  Stores the reply a client request "req" of client KEY-A got at at: case
//  CF-1, naming its event seq
static void
s_put_answer_at (cf_batch_t *batch, const char *request_id, uint64_t seq,
                 int64_t at)
{
    Cf__Case record = s_case ("CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    record.last_seq = seq;
    Cf__Reply reply = CF__REPLY__INIT;
    reply.id = (char *)request_id;
    reply.body_case = CF__REPLY__BODY_RECORD;
    reply.record = &record;
    size_t size;
    uint8_t *data = cf_pb_pack (&reply.base, &size);
    uint8_t hash[32];
    s_hash_of (request_id, hash);
    assert_int_equal (
        cf_batch_put_reply (batch, "KEY-A", request_id, hash, data, size, at),
        0);
    free (data);
}

static void
s_put_answer (cf_batch_t *batch, const char *request_id, uint64_t seq)
{
    s_put_answer_at (batch, request_id, seq, 0);
}

static bool
s_has_reply (cf_store_t *store, const char *request_id)
{
    uint8_t hash[32], *stored = NULL;
    size_t size;
    s_hash_of (request_id, hash);
    int rc =
        cf_store_get_reply (store, "KEY-A", request_id, hash, &stored, &size);
    free (stored);
    return rc == 0;
}

static int64_t
s_oldest_reply (cf_store_t *store)
{
    int64_t at = -1;
    int rc = cf_store_oldest_reply (store, &at);
    return rc == CF_ENOTFOUND ? -1 : (assert_int_equal (rc, 0), at);
}

//  Stored replies past their retention go oldest first, a bounded number
//  a commit, and verify then asks no reply of the requests made before;
//  a store from before the time index gets one at its first open
static void
test_replies_past_their_retention_are_dropped_oldest_first (void **state)
{
    s_fixture_t *fixture = *state;
    const int64_t t = 1767225600000;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    const char *const ids[] = {"req-1", "req-2", "req-3"};
    for (int index = 0; index < 3; index++) {
        Cf__Event event =
            s_event ("CF-1", "withdraw_note", CF__STATE__STATE_SUBMITTED,
                     CF__STATE__STATE_SUBMITTED);
        event.principal = &s_alice;
        event.at = t + index * 1000;
        assert_int_equal (cf_batch_append_event (batch, &event), 0);
        s_put_answer_at (batch, ids[index], (uint64_t)index + 1, event.at);
    }
    s_commit (fixture->store, &batch);
    assert_int_equal (s_oldest_reply (fixture->store), t);

    //  At most one a commit: the oldest
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_prune_replies (batch, t + 1500, 0), CF_EINVAL);
    assert_int_equal (cf_batch_prune_replies (batch, t + 1500, 1), 0);
    s_commit (fixture->store, &batch);
    assert_false (s_has_reply (fixture->store, "req-1"));
    assert_true (s_has_reply (fixture->store, "req-2"));
    assert_int_equal (s_oldest_reply (fixture->store), t + 1000);
    char *kept = NULL;
    assert_int_equal (
        cf_store_get_meta (fixture->store, "replies_kept_from", &kept), 0);
    assert_int_equal (strtoll (kept, NULL, 10), t + 1);
    free (kept);
    s_assert_verifies (fixture->store);
    //  Then all made before the horizon, none after
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_prune_replies (batch, t + 1500, 100), 0);
    s_commit (fixture->store, &batch);
    assert_false (s_has_reply (fixture->store, "req-2"));
    assert_true (s_has_reply (fixture->store, "req-3"));
    assert_int_equal (s_oldest_reply (fixture->store), t + 2000);
    s_assert_verifies (fixture->store);

    //  A store written before reply_times: its replies are indexed at its
    //  last event's time when it is opened
    batch = cf_batch_new ();
    s_put_answer_at (batch, "req-4", 0, t + 5000);
    s_commit (fixture->store, &batch);
    cf_store_destroy (&fixture->store);
    s_raw_t raw = s_raw_open (fixture->dir);
    assert_int_equal (mdb_drop (raw.txn, s_raw_dbi (&raw, "reply_times"), 1),
                      0);
    s_raw_close (&raw);
    s_reopen (fixture, 0);
    assert_int_equal (s_oldest_reply (fixture->store), t + 2000);
    assert_true (s_has_reply (fixture->store, "req-4"));
    s_assert_verifies (fixture->store);
    //  Only the time index of the later reply remains: found as damage
    cf_store_destroy (&fixture->store);
    raw = s_raw_open (fixture->dir);
    uint8_t key[8 + 11];
    s_seq_key ((uint64_t)(t + 2000), key);
    memcpy (key + 8, "KEY-A\0req-4", 11);
    s_raw_del (&raw, "reply_times", key, sizeof key);
    s_raw_close (&raw);
    s_reopen (fixture, 0);
    s_assert_verify_finds (fixture->store, "reply_times.missing");
}

//  Verify compares the tables with each other: each event a client request
//  made has exactly one stored reply naming it, and every job is of a
//  stored case and not for a terminal state
static void
test_verify_cross_checks_replies_and_jobs (void **state)
{
    s_fixture_t *fixture = *state;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    Cf__Event event = s_event ("CF-1", "submit", CF__STATE__STATE_UNSPECIFIED,
                               CF__STATE__STATE_SUBMITTED);
    event.principal = &s_alice;
    assert_int_equal (cf_batch_append_event (batch, &event), 0);
    s_put_answer (batch, "req-1", 1);
    s_commit (fixture->store, &batch);
    s_assert_verifies (fixture->store);

    //  The stored reply deleted
    cf_store_destroy (&fixture->store);
    s_raw_t raw = s_raw_open (fixture->dir);
    s_raw_del (&raw, "replies", "KEY-A\0req-1", 11);
    s_raw_close (&raw);
    s_reopen (fixture, 0);
    s_assert_verify_finds (fixture->store, "replies.missing");

    //  Back, and a second reply naming the same event
    batch = cf_batch_new ();
    s_put_answer (batch, "req-1", 1);
    s_put_answer (batch, "req-2", 1);
    s_commit (fixture->store, &batch);
    s_assert_verify_finds (fixture->store, "replies.duplicate");

    //  A job of a case in its terminal state (a case that ends takes its
    //  jobs with it)
    batch = cf_batch_new ();
    s_put_case (batch, "CF-2", "acme", CF__STATE__STATE_WITHDRAWN, 0);
    Cf__Job job = s_job (9, "CF-2", CF__JOB_STATUS__JOB_STATUS_READY, 0);
    job.state = CF__STATE__STATE_SUBMITTED;
    assert_int_equal (cf_batch_put_job (batch, &job), 0);
    s_commit (fixture->store, &batch);
    s_assert_verify_finds (fixture->store, "jobs.terminal");

    //  A job of a case that is not stored
    batch = cf_batch_new ();
    Cf__Job stray = s_job (10, "CF-9", CF__JOB_STATUS__JOB_STATUS_READY, 0);
    assert_int_equal (cf_batch_put_job (batch, &stray), 0);
    s_commit (fixture->store, &batch);
    s_assert_verify_finds (fixture->store, "jobs.case");
}

static void
test_verify_finds_a_missing_index_row (void **state)
{
    s_fixture_t *fixture = *state;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_SUBMITTED, 1000);
    s_commit (fixture->store, &batch);
    cf_store_destroy (&fixture->store);
    s_raw_t raw = s_raw_open (fixture->dir);
    s_raw_del (&raw, "by_state", "\001CF-1", 5);
    s_raw_close (&raw);
    s_reopen (fixture, 0);
    s_assert_verify_finds (fixture->store, "by_state.missing");

    //  The next write of the case repairs what it touches
    batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_DOCUMENT_REVIEW, 1000);
    s_commit (fixture->store, &batch);
    s_assert_verifies (fixture->store);
}

static void
test_verify_finds_extra_index_rows (void **state)
{
    s_fixture_t *fixture = *state;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_commit (fixture->store, &batch);
    cf_store_destroy (&fixture->store);
    s_raw_t raw = s_raw_open (fixture->dir);
    s_raw_put (&raw, "by_org", "acme\0CF-2", 9, NULL, 0);
    s_raw_put (&raw, "by_state", "\003CF-1", 5, NULL, 0);
    uint8_t row[13];
    s_seq_key (UINT64_C (0x8000000000000000) + 500, row);
    row[8] = 'c';
    memcpy (row + 9, "CF-1", 4);
    s_raw_put (&raw, "deadlines", row, sizeof row, NULL, 0);
    s_raw_close (&raw);
    s_reopen (fixture, 0);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (fixture->store, problems), CF_ECORRUPT);
    assert_true (cf_problems_has (problems, "by_org.orphan"));
    assert_true (cf_problems_has (problems, "by_state.stale"));
    assert_true (cf_problems_has (problems, "deadlines.stale"));
    assert_int_equal (cf_problems_size (problems), 3);
    cf_problems_destroy (&problems);
}

static void
test_verify_finds_a_wrong_history_count (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_case_with_events (fixture->store, "CF-1", 2);
    cf_store_destroy (&fixture->store);
    s_raw_t raw = s_raw_open (fixture->dir);
    uint8_t row[13] = {'C', 'F', '-', '1', 0};
    s_seq_key (2, row + 5);
    s_raw_del (&raw, "case_events", row, sizeof row);
    s_raw_close (&raw);
    s_reopen (fixture, 0);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_store_verify (fixture->store, problems), CF_ECORRUPT);
    assert_true (cf_problems_has (problems, "case_events.missing"));
    assert_true (cf_problems_has (problems, "cases.history"));
    cf_problems_destroy (&problems);
}

//  ------------------------------------------------------------------------
//  Indexes

#define S_PAGING_CASES 250

static const char *const s_orgs[] = {"acme", "beta", "gamma", "delta"};

static Cf__State
s_paging_state (int index)
{
    static const Cf__State states[] = {CF__STATE__STATE_SUBMITTED,
                                       CF__STATE__STATE_DOCUMENT_REVIEW,
                                       CF__STATE__STATE_CERTIFIED};
    return states[index % 3];
}

//  250 cases, committed out of id order, spread over 3 states and 4 orgs
static void
s_commit_paging_cases (cf_store_t *store)
{
    cf_batch_t *batch = cf_batch_new ();
    for (int step = 0; step < S_PAGING_CASES; step++) {
        int index = (step * 7) % S_PAGING_CASES;
        char id[32];
        snprintf (id, sizeof id, "CF-2026-%06d", index);
        s_put_case (batch, id, s_orgs[index % 4], s_paging_state (index), 0);
        if (step % 50 == 49) {
            s_commit (store, &batch);
            batch = cf_batch_new ();
        }
    }
    cf_batch_destroy (&batch);
}

//  Reads every page of 20 and checks each expected case comes once, in
//  order; which() says whether case index belongs to the listing
typedef int (s_page_fn) (cf_store_t *store, const void *filter,
                         const char *after, Cf__Case ***cases, size_t *count,
                         char **next);

static int
s_page_by_state (cf_store_t *store, const void *filter, const char *after,
                 Cf__Case ***cases, size_t *count, char **next)
{
    return cf_store_list_by_state (store, *(const Cf__State *)filter, after, 20,
                                   cases, count, next);
}

static int
s_page_by_org (cf_store_t *store, const void *filter, const char *after,
               Cf__Case ***cases, size_t *count, char **next)
{
    return cf_store_list_by_org (store, filter, after, 20, cases, count, next);
}

static int
s_page_all (cf_store_t *store, const void *filter, const char *after,
            Cf__Case ***cases, size_t *count, char **next)
{
    (void)filter;
    return cf_store_list_cases (store, after, 20, cases, count, next);
}

static void
s_assert_pages (cf_store_t *store, s_page_fn *page, const void *filter,
                bool (*member) (int index, const void *filter))
{
    int expected = 0;
    while (expected < S_PAGING_CASES && !member (expected, filter))
        expected++;
    char *after = NULL;
    size_t pages = 0, seen = 0;
    do {
        Cf__Case **cases;
        size_t count;
        char *next;
        assert_int_equal (page (store, filter, after, &cases, &count, &next),
                          0);
        assert_true (count > 0 && count <= 20);
        for (size_t index = 0; index < count; index++) {
            char id[32];
            snprintf (id, sizeof id, "CF-2026-%06d", expected);
            assert_string_equal (cases[index]->id, id);
            do
                expected++;
            while (expected < S_PAGING_CASES && !member (expected, filter));
        }
        seen += count;
        pages++;
        cf_store_cases_free (&cases, count);
        free (after);
        after = next;
    } while (after);
    assert_int_equal (expected, S_PAGING_CASES);  //  Every member seen
    assert_int_equal (pages, (seen + 19) / 20);   //  No empty last page
}

static bool
s_in_state (int index, const void *filter)
{
    return s_paging_state (index) == *(const Cf__State *)filter;
}

static bool
s_in_org (int index, const void *filter)
{
    return strcmp (s_orgs[index % 4], filter) == 0;
}

static bool
s_any (int index, const void *filter)
{
    (void)index, (void)filter;
    return true;
}

static void
test_paging_by_state_returns_each_case_once (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_paging_cases (fixture->store);
    for (int index = 0; index < 3; index++) {
        Cf__State wanted = s_paging_state (index);
        s_assert_pages (fixture->store, s_page_by_state, &wanted, s_in_state);
    }
    //  An empty state is one empty page
    assert_int_equal (
        s_count_by_state (fixture->store, CF__STATE__STATE_WITHDRAWN), 0);
    Cf__Case **cases;
    size_t count;
    char *next;
    assert_int_equal (cf_store_list_by_state (fixture->store, 99, NULL, 20,
                                              &cases, &count, &next),
                      CF_EINVAL);
    assert_int_equal (cf_store_list_by_state (fixture->store,
                                              CF__STATE__STATE_SUBMITTED, NULL,
                                              0, &cases, &count, &next),
                      CF_EINVAL);
}

static void
test_paging_by_org_returns_each_case_once (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_paging_cases (fixture->store);
    for (int index = 0; index < 4; index++)
        s_assert_pages (fixture->store, s_page_by_org, s_orgs[index], s_in_org);
    //  An org that is a prefix of another sees only its own cases
    assert_int_equal (s_count_by_org (fixture->store, "acm"), 0);
}

static void
test_paging_all_cases (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_paging_cases (fixture->store);
    s_assert_pages (fixture->store, s_page_all, NULL, s_any);
    s_assert_verifies (fixture->store);
}

static void
test_state_and_org_change_move_index_rows (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_t *store = fixture->store;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_commit (store, &batch);
    assert_int_equal (s_count_by_state (store, CF__STATE__STATE_SUBMITTED), 1);

    batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme-renamed", CF__STATE__STATE_DOCUMENT_REVIEW,
                0);
    s_append_event (batch, "CF-1", "intake_complete");
    s_commit (store, &batch);
    assert_int_equal (s_count_by_state (store, CF__STATE__STATE_SUBMITTED), 0);
    assert_int_equal (
        s_count_by_state (store, CF__STATE__STATE_DOCUMENT_REVIEW), 1);
    assert_int_equal (s_count_by_org (store, "acme"), 0);
    assert_int_equal (s_count_by_org (store, "acme-renamed"), 1);

    //  Two puts of one case in a batch: the last one counts
    batch = cf_batch_new ();
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_CONTRACT_PENDING, 0);
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_AUDIT_PLANNING, 0);
    s_commit (store, &batch);
    assert_int_equal (
        s_count_by_state (store, CF__STATE__STATE_CONTRACT_PENDING), 0);
    assert_int_equal (s_count_by_state (store, CF__STATE__STATE_AUDIT_PLANNING),
                      1);
    assert_int_equal (
        s_count_by_state (store, CF__STATE__STATE_DOCUMENT_REVIEW), 0);
    //  A put keeps the history counters
    Cf__Case *record;
    assert_int_equal (cf_store_get_case (store, "CF-1", &record), 0);
    assert_int_equal (record->events, 1);
    assert_int_equal (record->last_seq, 1);
    cf__case__free_unpacked (record, NULL);
    s_assert_verifies (store);
}

static void
test_deadline_index_order_and_removal (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_t *store = fixture->store;
    cf_batch_t *batch = cf_batch_new ();
    s_put_case (batch, "CF-A", "acme", CF__STATE__STATE_SUBMITTED, 3000);
    s_put_case (batch, "CF-B", "acme", CF__STATE__STATE_SUBMITTED, 1000);
    s_put_case (batch, "CF-C", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_put_job (batch, 7, CF__JOB_STATUS__JOB_STATUS_READY, 2000);
    s_put_job (batch, 8, CF__JOB_STATUS__JOB_STATUS_LEASED, -5);
    s_put_job (batch, 9, CF__JOB_STATUS__JOB_STATUS_PARKED, 100);
    s_commit (store, &batch);

    int64_t due;
    char kind;
    char *id;
    assert_int_equal (cf_store_next_deadline (store, &due, &kind, &id), 0);
    assert_int_equal (due, -5);  //  Before the epoch still sorts first
    assert_int_equal (kind, CF_STORE_DEADLINE_JOB);
    assert_string_equal (id, "8");
    free (id);

    cf_store_deadline_t *deadlines;
    size_t count;
    assert_int_equal (cf_store_due (store, 2500, 10, &deadlines, &count), 0);
    assert_int_equal (count, 3);
    assert_string_equal (deadlines[0].id, "8");
    assert_string_equal (deadlines[1].id, "CF-B");
    assert_int_equal (deadlines[1].kind, CF_STORE_DEADLINE_CASE);
    assert_int_equal (deadlines[1].due, 1000);
    assert_string_equal (deadlines[2].id, "7");
    cf_store_deadlines_free (&deadlines, count);
    assert_null (deadlines);
    assert_int_equal (cf_store_due (store, 2500, 2, &deadlines, &count), 0);
    assert_int_equal (count, 2);
    cf_store_deadlines_free (&deadlines, count);
    assert_int_equal (cf_store_due (store, -6, 10, &deadlines, &count), 0);
    assert_int_equal (count, 0);

    //  Cleared, finished, moved and deleted deadlines leave the index
    batch = cf_batch_new ();
    s_put_case (batch, "CF-B", "acme", CF__STATE__STATE_DOCUMENT_REVIEW, 0);
    s_put_case (batch, "CF-A", "acme", CF__STATE__STATE_SUBMITTED, 500);
    s_put_job (batch, 7, CF__JOB_STATUS__JOB_STATUS_DONE, 2000);
    assert_int_equal (cf_batch_delete_job (batch, 8), 0);
    s_commit (store, &batch);
    assert_int_equal (cf_store_due (store, INT64_MAX, 10, &deadlines, &count),
                      0);
    assert_int_equal (count, 1);
    assert_string_equal (deadlines[0].id, "CF-A");
    assert_int_equal (deadlines[0].due, 500);
    cf_store_deadlines_free (&deadlines, count);
    s_assert_verifies (store);
}

//  ------------------------------------------------------------------------
//  Input checks and restart

static void
test_bad_input_is_refused (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_t *store = fixture->store;
    cf_batch_t *batch = cf_batch_new ();
    char long_id[CF_STORE_ID_MAX + 2];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;

    Cf__Case record = s_case ("", "acme", CF__STATE__STATE_SUBMITTED, 0);
    assert_int_equal (cf_batch_put_case (batch, &record), CF_EINVAL);
    record.id = long_id;
    assert_int_equal (cf_batch_put_case (batch, &record), CF_ELIMIT);
    record.id = "CF-1";
    record.state = 99;
    assert_int_equal (cf_batch_put_case (batch, &record), CF_EINVAL);
    record.state = CF__STATE__STATE_SUBMITTED;
    record.org = long_id;
    assert_int_equal (cf_batch_put_case (batch, &record), CF_ELIMIT);
    Cf__Event event = s_event ("", "submit", 0, 1);
    assert_int_equal (cf_batch_append_event (batch, &event), CF_EINVAL);
    Cf__Job job = s_job (0, "CF-1", CF__JOB_STATUS__JOB_STATUS_READY, 0);
    assert_int_equal (cf_batch_put_job (batch, &job), CF_EINVAL);
    job.id = 1;
    job.status = 42;
    assert_int_equal (cf_batch_put_job (batch, &job), CF_EINVAL);
    assert_int_equal (cf_batch_delete_job (batch, 0), CF_EINVAL);
    uint8_t hash[32] = {0};
    assert_int_equal (cf_batch_put_reply (batch, "", "r", hash, NULL, 0, 0),
                      CF_EINVAL);
    assert_int_equal (
        cf_batch_put_reply (batch, "k", long_id, hash, NULL, 0, 0), CF_ELIMIT);
    assert_int_equal (cf_batch_size (batch), 0);

    //  An event for a case that does not exist fails the batch
    s_put_case (batch, "CF-1", "acme", CF__STATE__STATE_SUBMITTED, 0);
    s_append_event (batch, "CF-404", "submit");
    assert_int_equal (cf_store_commit (store, batch, NULL, NULL), CF_ENOTFOUND);
    cf_batch_destroy (&batch);
    Cf__Case *stored;
    assert_int_equal (cf_store_get_case (store, "CF-1", &stored), CF_ENOTFOUND);
    assert_int_equal (s_last_seq (store), 0);

    Cf__Event **events;
    size_t count;
    assert_int_equal (cf_store_events_since (store, 0, 0, &events, &count),
                      CF_EINVAL);
    assert_int_equal (cf_store_get_case (store, long_id, &stored), CF_EINVAL);
    s_assert_verifies (store);
}

static void
test_reopen_keeps_everything (void **state)
{
    s_fixture_t *fixture = *state;
    s_commit_base (fixture->store);
    cf_batch_t *batch = s_sample_batch (fixture->store);
    s_commit (fixture->store, &batch);
    Cf__Staff staff = CF__STAFF__INIT;
    staff.id = "S-001";
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_put_staff (batch, &staff), 0);
    s_commit (fixture->store, &batch);

    s_reopen (fixture, 0);
    s_assert_sample_present (fixture->store);
    Cf__Staff *stored;
    assert_int_equal (cf_store_get_staff (fixture->store, "S-001", &stored), 0);
    cf__staff__free_unpacked (stored, NULL);

    //  The chain and the counters go on from where they were
    batch = cf_batch_new ();
    uint64_t id, first;
    assert_int_equal (cf_store_next_id (fixture->store, batch, "next_job", &id),
                      0);
    assert_int_equal (id, 2);
    s_append_event (batch, "CF-A", "review");
    assert_int_equal (cf_store_commit (fixture->store, batch, &first, NULL), 0);
    assert_int_equal (first, 5);
    cf_batch_destroy (&batch);
    s_assert_verifies (fixture->store);
}

int
main (void)
{
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_open_creates_directory_and_schema),
        S_TEST (test_schema_version_mismatch_is_refused),
        S_TEST (test_case_round_trip),
        S_TEST (test_events_are_chained_at_commit),
        S_TEST (test_a_batch_writes_each_case_once_with_all_its_history),
        S_TEST (test_a_put_over_a_broken_case_record_is_refused),
        S_TEST (test_a_case_keeps_its_application_and_sheet_in_their_events),
        S_TEST (test_a_kept_field_in_a_wrong_event_is_found),
        S_TEST (test_a_lent_case_is_written_as_it_stands_at_the_commit),
        S_TEST (test_case_history_lists_only_that_case),
        S_TEST (test_history_and_events_are_paged_by_count_and_size),
        S_TEST (test_job_round_trip_and_delete),
        S_TEST (test_jobs_by_status),
        S_TEST (test_staff_round_trip_and_list),
        S_TEST (test_certificate_numbers_are_unique),
        S_TEST (test_reply_dedupe_and_conflict),
        S_TEST (test_counters_reserve_ids_in_order),
        S_TEST (test_next_seq_names_the_events_to_come),
        S_TEST (test_batch_commits_everything_together),
        S_TEST (test_map_full_at_put_writes_nothing),
        S_TEST (test_map_full_at_commit_writes_nothing),
        S_TEST (test_eio_at_commit_writes_nothing),
        S_TEST (test_map_full_at_every_put_writes_nothing),
        S_TEST (test_inject_counts_commits_and_none_disarms),
        S_TEST (test_real_map_full_then_grow),
        S_TEST (test_large_events_are_squeezed_when_that_saves_pages),
        S_TEST (test_verify_finds_a_changed_event),
        S_TEST (test_verify_cross_checks_replies_and_jobs),
        S_TEST (test_replies_past_their_retention_are_dropped_oldest_first),
        S_TEST (test_verify_finds_a_rehashed_event),
        S_TEST (test_verify_finds_a_removed_event),
        S_TEST (test_verify_finds_a_missing_index_row),
        S_TEST (test_verify_finds_extra_index_rows),
        S_TEST (test_verify_finds_a_wrong_history_count),
        S_TEST (test_paging_by_state_returns_each_case_once),
        S_TEST (test_paging_by_org_returns_each_case_once),
        S_TEST (test_paging_all_cases),
        S_TEST (test_state_and_org_change_move_index_rows),
        S_TEST (test_deadline_index_order_and_removal),
        S_TEST (test_bad_input_is_refused),
        S_TEST (test_reopen_keeps_everything),
    };
#undef S_TEST
    return cmocka_run_group_tests (tests, NULL, NULL);
}
