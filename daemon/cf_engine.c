/*  =========================================================================
    cf_engine - turns requests, worker results and due timers into commits

    A round holds: the store batch; the round's own copies of the cases it
    changed (so two requests on one case in one round compose); the outbox.
    The in-memory view (jobs ready to lease, the active job of each case and
    stage) changes as the round goes; if the commit fails it is rebuilt from
    the store, which is the only truth.
    =========================================================================
*/

#include "cf_engine.h"

#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "cf_agency.h"
#include "cf_certfsm.h"
#include "cf_certificate.h"
#include "cf_cnca.h"
#include "cf_date.h"
#include "cf_fsm.h"
#include "cf_identity.h"
#include "cf_log.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_report.h"
#include "cf_score.h"
#include "cf_utf8.h"
#include "cf_wire.h"

//  Longest list of events one request returns
#define S_EVENTS_MAX 500
//  Most stored bytes of events in one page of history or events since:
//  half a frame, so the reply's envelope always fits
#define S_PAGE_BYTES_MAX (CF_WIRE_MAX_FRAME / 2)
//  Most events an applicant's events since reads to fill one page
#define S_SCAN_MAX 5000
//  Longest message an error reply carries, bytes: far below the wire's
//  string limit
#define S_REPLY_MESSAGE_MAX (16 * 1024)
//  Longest reason a recorded refusal keeps, bytes
#define S_REFUSAL_TEXT_MAX 1024
//  A principal's refusals of one event on one case within this window
//  are recorded once, ms of the daemon's clock
#define S_REFUSAL_WINDOW_MS (60 * 1000)
//  Stored replies past their retention: looked for once a minute, and
//  dropped at most this many a round while there are more
#define S_PRUNE_CHECK_MS (60 * 1000)
#define S_PRUNE_MOST     1000
//  Refusal windows kept in memory before the closed ones are forgotten
#define S_REFUSALS_TRACKED 10000
//  Due deadlines handled per round
#define S_DUE_MAX 256

//  Meta keys of the scheme versions the store holds: "scheme/VERSION"
#define S_SCHEME_KEY "scheme/"

//  A scheme version a case runs under
typedef struct {
    cf_scheme_t *scheme;  //  Parsed
    char *text;           //  As recorded: what workers get
    bool owned;           //  False for the daemon's own (borrowed)
} s_scheme_t;

//  One thing to send after the commit
typedef struct {
    cf_outbox_kind_t kind;  //  Client reply or worker message
    zframe_t *route;        //  Routing id of the peer
    uint8_t *data;          //  Packed message
    size_t size;            //  Its length
    char *request_id;       //  Reply: id it answers (for UNAVAILABLE)
    bool depends;           //  Only true once the round commits
    bool offer;             //  A job offer (dropped on failure)
    uint8_t request_hash[crypto_hash_sha256_BYTES];  //  Reply: its request's
} s_item_t;

struct _cf_engine_t {
    cf_store_t *store;          //  Durable state (borrowed)
    const cf_scheme_t *scheme;  //  Governs new cases (borrowed)
    const char *scheme_text;    //  Sent to workers (borrowed)
    cf_engine_config_t config;  //  Leases, attempts, backoff, paths
    int64_t now;                //  Instant of the round
    cf_batch_t *batch;          //  The round's writes, NULL between rounds
    zhashx_t *cases;            //  Round copies: case id -> Cf__Case *
    zhashx_t *changed;          //  Round: ids of the cases whose round copy
                                //  the commit writes (lent to the batch)
    zhashx_t *seen;             //  Round's mutating request keys -> item
    zhashx_t *reported;         //  Round's job ids a result was applied to
    zhashx_t *refusals;         //  Principal, case, event -> last recorded
    zlistx_t *outbox;           //  s_item_t, in production order
    zlistx_t *ready;            //  Cf__Job * ready to lease, oldest first
    zhashx_t *ready_handles;    //  Job id -> its handle in ready
    zhashx_t *active;           //  "case stage" -> job id (uintptr_t)
    zhashx_t *superseded;       //  Case id -> zlistx of the ids of its open
                                //  jobs a newer one of their stage
                                //  replaced in active (uintptr_t)
    zhashx_t *stuck;            //  Case ids whose deadline would not fire
    zhashx_t *certified;        //  Round: USCC -> first certificate date
                                //  recorded in this round
    zhashx_t *certificates;     //  Round copies: number -> Cf__Certificate *
    zhashx_t *schemes;          //  Version -> s_scheme_t, read from the
                                //  store the first time a case needs it
    cf_agency_t *agency;        //  Organizations and appointments, with
                                //  the round's changes
    zhashx_t *obligations;      //  Round copies: month ->
                                //  Cf__ReportObligation *
    int64_t report_due;         //  Next monthly report reminder, INT64_MAX:
                                //  none; read from the store when unknown
    bool report_known;          //  report_due is up to date
    uint64_t last_seq;          //  Latest committed event
    int poisoned;               //  A store error mid-change: the round
                                //  must not commit (its code), or 0
    bool identities_changed;    //  The round issued or revoked one
    bool identities_revoked;    //  The round revoked one
    zlistx_t *issued;           //  Public keys the round issued (copies)
    size_t outbox_index;        //  Item the outbox cursor is on
    int64_t replies_checked;    //  When the oldest stored reply was found
                                //  inside the retention
    Cf__Case *lent;             //  The round's copy of a case that the
                                //  request's reply shows, packed before
                                //  the next request may change it
};

static const Cf__Principal s_system = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor),
    .key = "",
    .name = "certflowd",
    .org = "",
    .role = CF__ROLE__ROLE_SYSTEM,
};

//  ------------------------------------------------------------------------
//  Small helpers

static bool
s_blank (const char *text)
{
    return !text || !*text;
}

static void
s_item_destroy (void **item_p)
{
    s_item_t *item = *item_p;
    if (item) {
        zframe_destroy (&item->route);
        free (item->data);
        free (item->request_id);
        free (item);
        *item_p = NULL;
    }
}

static void
s_job_destroy (void **job_p)
{
    cf_pb_free (job_p);
}

static char *
s_active_key (const char *case_id, const char *stage)
{
    char *key = NULL;
    if (asprintf (&key, "%s %s", case_id, stage) < 0)
        cf_mem_fail ();
    return key;
}

//  Remembers open job id of case, which a newer job of its stage replaced
//  in active, so that it is cancelled with the case's other work when the
//  case ends
static void
s_superseded_add (cf_engine_t *self, const char *case_id, uint64_t id)
{
    zlistx_t *ids = zhashx_lookup (self->superseded, case_id);
    if (!ids) {
        ids = zlistx_new ();
        zhashx_insert (self->superseded, case_id, ids);
    }
    zlistx_add_end (ids, (void *)(uintptr_t)id);
}

//  Forgets superseded job id of case, once it is done or gone
static void
s_superseded_remove (cf_engine_t *self, const char *case_id, uint64_t id)
{
    zlistx_t *ids = zhashx_lookup (self->superseded, case_id);
    for (void *item = ids ? zlistx_first (ids) : NULL; item;
         item = zlistx_next (ids))
        if ((uintptr_t)item == id) {
            zlistx_delete (ids, zlistx_cursor (ids));
            break;
        }
    if (ids && zlistx_size (ids) == 0)
        zhashx_delete (self->superseded, case_id);
}

static Cf__Status
s_status_for (int rc)
{
    switch (rc) {
        case 0:
            return CF__STATUS__STATUS_OK;
        case CF_EGUARD:
        case CF_ENOTRANSITION:
            return CF__STATUS__STATUS_REFUSED;
        case CF_EFORBIDDEN:
        case CF_EDENIED:
            return CF__STATUS__STATUS_FORBIDDEN;
        case CF_ENOTFOUND:
            return CF__STATUS__STATUS_NOT_FOUND;
        case CF_ECONFLICT:
        case CF_EEXIST:
            return CF__STATUS__STATUS_CONFLICT;
        case CF_ESTOREFULL:
        case CF_EIO:
        case CF_ESTORE:
        case CF_ECORRUPT:
        case CF_EAGAIN:
            return CF__STATUS__STATUS_UNAVAILABLE;
        default:
            return CF__STATUS__STATUS_BAD_REQUEST;
    }
}

//  Fills reply with an error code and the problems (or the code's text)
static void
s_reply_error (Cf__Reply *reply, int rc, cf_problems_t *problems)
{
    reply->status = s_status_for (rc);
    cf_pb_set_string (&reply->error, cf_errname (rc));
    if (cf_problems_size (problems) > 0) {
        //  Every problem is there, each quoting what was sent: bounded, so
        //  the reply stays within the wire's string limit whatever came
        char *text = cf_problems_join (problems);
        int length = cf_utf8_prefix (text, S_REPLY_MESSAGE_MAX);
        if (text[length])
            strcpy (text + cf_utf8_prefix (text, S_REPLY_MESSAGE_MAX - 32),
                    " (the rest is cut)");
        cf_pb_set_string (&reply->message, text);
        free (text);
    } else
        cf_pb_set_string (&reply->message, cf_strerror (rc));
}

static void
s_outbox_add (cf_engine_t *self, cf_outbox_kind_t kind, zframe_t *route,
              const ProtobufCMessage *message, const char *request_id,
              bool depends, bool offer)
{
    s_item_t *item = calloc (1, sizeof (s_item_t));
    if (!item)
        cf_mem_fail ();
    item->kind = kind;
    item->route = zframe_dup (route);
    item->data = cf_pb_pack (message, &item->size);
    item->request_id = request_id ? strdup (request_id) : NULL;
    item->depends = depends;
    item->offer = offer;
    zlistx_add_end (self->outbox, item);
}

//  ------------------------------------------------------------------------
//  Scheme versions: each case runs under the one it recorded

static void
s_scheme_destroy (void **item_p)
{
    s_scheme_t *item = *item_p;
    if (item) {
        if (item->owned) {
            cf_scheme_destroy (&item->scheme);
            free (item->text);
        }
        free (item);
        *item_p = NULL;
    }
}

static char *
s_scheme_key (const char *version)
{
    char *key = NULL;
    if (asprintf (&key, S_SCHEME_KEY "%s", version) < 0)
        cf_mem_fail ();
    return key;
}

//  Records the daemon's scheme in the store under its version, once. A
//  version recorded with other content is refused: the cases opened under
//  it keep it, so a changed scheme needs a version of its own.
static int
s_scheme_record (cf_engine_t *self)
{
    char *key = s_scheme_key (self->scheme->version);
    char *stored = NULL;
    int rc = cf_store_get_meta (self->store, key, &stored);
    if (rc == 0 && strcmp (stored, self->scheme_text) != 0) {
        cf_log_error ("scheme %s is already recorded in the store with other "
                      "content; give the changed scheme a new version (the "
                      "cases opened under %s keep that one)",
                      self->scheme->version, self->scheme->version);
        rc = CF_ESCHEME;
    } else if (rc == CF_ENOTFOUND) {
        cf_batch_t *batch = cf_batch_new ();
        rc = cf_batch_set_meta (batch, key, self->scheme_text);
        if (rc == 0)
            rc = cf_store_commit (self->store, batch, NULL, NULL);
        cf_batch_destroy (&batch);
        if (rc == 0)
            cf_log_notice ("scheme %s recorded in the store; new cases run "
                           "under it",
                           self->scheme->version);
        else
            cf_log_error ("scheme %s not recorded: %s", self->scheme->version,
                          cf_strerror (rc));
    }
    free (stored);
    free (key);
    return rc;
}

//  Sets *scheme_p to the scheme that governs record: the version it
//  recorded, read from the store and parsed the first time. Returns 0, or
//  CF_ESCHEME with a problem when the store does not hold that version or
//  it does not parse.
static int
s_scheme_of (cf_engine_t *self, const Cf__Case *record,
             const s_scheme_t **scheme_p, cf_problems_t *problems)
{
    const char *version = s_blank (record->scheme_version)
                              ? self->scheme->version
                              : record->scheme_version;
    s_scheme_t *item = zhashx_lookup (self->schemes, version);
    if (item) {
        *scheme_p = item;
        return 0;
    }
    char *key = s_scheme_key (version);
    char *text = NULL;
    cf_scheme_t *scheme = NULL;
    int rc = cf_store_get_meta (self->store, key, &text);
    free (key);
    if (rc == 0)
        rc = cf_scheme_parse (text, strlen (text), version, &scheme, problems);
    if (rc) {
        cf_problems_add (problems, "case.scheme",
                         "case %s runs under scheme %s, which this store does "
                         "not hold readably; start certflowd once with that "
                         "scheme file to record it",
                         record->id, version);
        cf_log_error ("case=%s: scheme %s not held: %s", record->id, version,
                      cf_strerror (rc));
        free (text);
        return CF_ESCHEME;
    }
    item = cf_mem_check (calloc (1, sizeof (s_scheme_t)));
    *item = (s_scheme_t){scheme, text, true};
    zhashx_insert (self->schemes, version, item);
    *scheme_p = item;
    return 0;
}

//  ------------------------------------------------------------------------
//  The in-memory view

//  Drops a job from the ready list (it was leased, finished or obsolete)
//  in constant time: a backlog after an outage of the workers stays linear
static void
s_ready_remove (cf_engine_t *self, uint64_t id)
{
    char key[24];
    snprintf (key, sizeof key, "%" PRIu64, id);
    void *handle = zhashx_lookup (self->ready_handles, key);
    if (handle) {
        zlistx_delete (self->ready, handle);
        zhashx_delete (self->ready_handles, key);
    }
}

//  True when job id is in the ready list
static bool
s_ready_has (cf_engine_t *self, uint64_t id)
{
    char key[24];
    snprintf (key, sizeof key, "%" PRIu64, id);
    return zhashx_lookup (self->ready_handles, key) != NULL;
}

//  Appends job (taken) to the ready list
static void
s_ready_add (cf_engine_t *self, Cf__Job *job)
{
    char key[24];
    snprintf (key, sizeof key, "%" PRIu64, job->id);
    zhashx_update (self->ready_handles, key, zlistx_add_end (self->ready, job));
}

//  Rebuilds the view from the jobs table in one pass: done jobs are deleted,
//  so the table holds only open work, whatever the number of cases
static void
s_view_rebuild (cf_engine_t *self)
{
    zlistx_purge (self->ready);
    zhashx_purge (self->ready_handles);
    zhashx_purge (self->active);
    zhashx_purge (self->superseded);
    Cf__Job **jobs = NULL;
    size_t count = 0;
    if (cf_store_jobs (self->store, CF__JOB_STATUS__JOB_STATUS_UNSPECIFIED,
                       &jobs, &count) != 0)
        cf_log_error ("engine: cannot read jobs to rebuild the view");
    for (size_t index = 0; index < count; index++) {
        Cf__Job *job = jobs[index];
        if (job->status == CF__JOB_STATUS__JOB_STATUS_DONE)
            continue;
        char *key = s_active_key (job->case_id, job->stage);
        //  The newest job of a case's stage is its active one
        uint64_t current = (uintptr_t)zhashx_lookup (self->active, key);
        if (current)
            s_superseded_add (self, job->case_id,
                              current < job->id ? current : job->id);
        if (current < job->id)
            zhashx_update (self->active, key, (void *)(uintptr_t)job->id);
        free (key);
        if (job->status == CF__JOB_STATUS__JOB_STATUS_READY &&
            job->due_at == 0) {
            s_ready_add (self, job);
            jobs[index] = NULL;
        }
    }
    cf_store_jobs_free (&jobs, count);
    if (cf_store_last_seq (self->store, &self->last_seq) != 0)
        cf_log_error ("engine: cannot read the last sequence number");
}

//  Forgets the active job of (case, stage) when it is this job, else the
//  superseded one it is
static void
s_active_release (cf_engine_t *self, const Cf__Job *job)
{
    char *key = s_active_key (job->case_id, job->stage);
    if ((uintptr_t)zhashx_lookup (self->active, key) == job->id)
        zhashx_delete (self->active, key);
    else
        s_superseded_remove (self, job->case_id, job->id);
    free (key);
}

//  ------------------------------------------------------------------------
//  Cases within a round

//  Takes the round copy of a case (caller owns it until s_case_keep), or a
//  fresh copy from the store. Returns 0 or CF_ENOTFOUND / a store error.
static int
s_case_take (cf_engine_t *self, const char *id, Cf__Case **record_p)
{
    Cf__Case *record = zhashx_lookup (self->cases, id);
    if (record) {
        zhashx_delete (self->cases, id);
        *record_p = record;
        return 0;
    }
    return cf_store_get_case (self->store, id, record_p);
}

//  Gives a case back to the round, taking ownership
static void
s_case_keep (cf_engine_t *self, Cf__Case *record)
{
    Cf__Case *old = zhashx_lookup (self->cases, record->id);
    if (old && old != record) {
        zhashx_delete (self->cases, record->id);
        cf_pb_free (&old);
    }
    zhashx_update (self->cases, record->id, record);
}

//  Notes that the commit writes record's round copy, as it stands then:
//  the batch is lent the round copies of the changed cases just before the
//  commit, so a case changed many times in a round is copied for none
static int
s_case_changed (cf_engine_t *self, const Cf__Case *record)
{
    int rc = cf_store_check_case (record);
    if (rc == 0)
        zhashx_update (self->changed, record->id, (void *)1);
    return rc;
}

//  Lends the batch the round copy of every changed case. Every path that
//  drops a changed case's copy poisons the round first, so a copy missing
//  here is a fault of the engine, and the round fails rather than store
//  the case's events without it.
static int
s_lend_changed (cf_engine_t *self)
{
    for (void *mark = zhashx_first (self->changed); mark;
         mark = zhashx_next (self->changed)) {
        const char *id = zhashx_cursor (self->changed);
        Cf__Case *record = zhashx_lookup (self->cases, id);
        if (!record) {
            cf_log_error ("engine: case %s changed in the round but its "
                          "round copy is gone",
                          id);
            return CF_EINVAL;
        }
        int rc = cf_batch_lend_case (self->batch, record);
        if (rc)
            return rc;
    }
    return 0;
}

//  Appends entry, an event of record (already in its new state), to the
//  batch and marks the record changed
static int
s_append_event (cf_engine_t *self, Cf__Case *record, Cf__Event *entry)
{
    uint64_t seq = 0;
    int rc = cf_store_next_seq (self->store, self->batch, &seq);
    if (rc)
        return rc;
    entry->case_id = record->id;
    entry->to = record->state;
    entry->at = self->now;
    rc = cf_batch_append_event (self->batch, entry);
    if (rc)
        return rc;
    //  The store keeps these too; set them so replies built now are right
    record->last_seq = seq;
    record->events++;
    return s_case_changed (self, record);
}

static int
s_record_event (cf_engine_t *self, Cf__Case *record, Cf__State from,
                const char *event, const Cf__Principal *who,
                const Cf__EventData *data, const char *refused)
{
    Cf__Event entry = CF__EVENT__INIT;
    entry.from = from;
    entry.event = (char *)event;
    entry.principal = (Cf__Principal *)who;
    entry.data = (Cf__EventData *)data;
    entry.refused = (char *)(refused ? refused : "");
    return s_append_event (self, record, &entry);
}

//  Notes that a refusal under key was recorded now; forgets the ones out of
//  the window once there are many, so memory stays bounded
static void
s_refusal_seen (cf_engine_t *self, const char *key)
{
    if (zhashx_size (self->refusals) >= S_REFUSALS_TRACKED) {
        zlistx_t *keys = zhashx_keys (self->refusals);
        for (const char *old = zlistx_first (keys); old;
             old = zlistx_next (keys)) {
            int64_t *at = zhashx_lookup (self->refusals, old);
            if (self->now - *at >= S_REFUSAL_WINDOW_MS)
                zhashx_delete (self->refusals, old);
        }
        zlistx_destroy (&keys);
        if (zhashx_size (self->refusals) >= S_REFUSALS_TRACKED)
            zhashx_purge (self->refusals);
    }
    int64_t *at = malloc (sizeof (int64_t));
    if (!at)
        cf_mem_fail ();
    *at = self->now;
    zhashx_update (self->refusals, key, at);
}

//  Records a refused attempt on a case's history; nothing else changes.
//  What came with the attempt is not recorded, and its reason only up to
//  S_REFUSAL_TEXT_MAX bytes: the log is append-only and shown to the
//  case's owner, so what another principal sends must not fill it. The
//  same principal refused the same event on the same case again within
//  S_REFUSAL_WINDOW_MS is logged only.
static void
s_record_refusal (cf_engine_t *self, const char *case_id, const char *event,
                  const Cf__Principal *who, int rc, cf_problems_t *problems)
{
    char *why = cf_problems_join (problems);
    char *refused = NULL;
    const char *reason = *why ? why : cf_strerror (rc);
    if (asprintf (&refused, "%s: %.*s", cf_errname (rc),
                  CF_UTF8_CUT (reason, S_REFUSAL_TEXT_MAX)) < 0)
        cf_mem_fail ();
    cf_log_notice ("case=%s event=%s principal=%s role=%s refused: %s", case_id,
                   event, who->name, cf_fsm_role_name ((cf_role_t)who->role),
                   refused);
    free (why);
    char *key = NULL;
    if (asprintf (&key, "%s%c%s%c%s", who->key, 1, case_id, 1, event) < 0)
        cf_mem_fail ();
    int64_t *last = zhashx_lookup (self->refusals, key);
    Cf__Case *record = NULL;
    if ((!last || self->now - *last >= S_REFUSAL_WINDOW_MS) &&
        s_case_take (self, case_id, &record) == 0) {
        if (s_record_event (self, record, record->state, event, who, NULL,
                            refused) != 0)
            cf_log_error ("case=%s event=%s: refusal not recorded", case_id,
                          event);
        s_case_keep (self, record);
        s_refusal_seen (self, key);
    }
    free (key);
    free (refused);
}

//  ------------------------------------------------------------------------
//  Jobs

static int
s_job_put (cf_engine_t *self, const Cf__Job *job)
{
    return cf_batch_put_job (self->batch, job);
}

//  Reserves the next certificate number of the year for a certificate of
//  case record into number (size bytes); with peek, only says which. The
//  number belongs to the register, so it follows the daemon's scheme, not
//  the case's: a pattern widened in a new version numbers the cases that
//  waited on the old one. A pattern with no number left for the year is
//  refused as a guard, naming the fix.
static int
s_reserve_number (cf_engine_t *self, const Cf__Case *record, bool peek,
                  char *number, size_t size, cf_problems_t *problems)
{
    int year, month, mday;
    cf_date_to_ymd (cf_date_from_ms (self->now), &year, &month, &mday);
    char counter[32];
    snprintf (counter, sizeof counter, "cert_seq/%04d", year);
    uint64_t sequence = 0;
    int rc =
        peek ? cf_store_peek_id (self->store, self->batch, counter, &sequence)
             : cf_store_next_id (self->store, self->batch, counter, &sequence);
    if (rc == 0 && sequence > UINT32_MAX)
        rc = CF_ELIMIT;
    if (rc == 0)
        rc = cf_scheme_certificate_number (self->scheme, year,
                                           (uint32_t)sequence, number, size);
    if (rc == CF_ELIMIT) {
        cf_problems_add (problems, "certificate.number",
                         "case %s: certificate number %" PRIu64 " of %d does "
                         "not fit the pattern %s of scheme %s; start certflowd "
                         "with a scheme version whose number_pattern has a "
                         "wider {SEQ:n}, then retry",
                         record->id, sequence, year,
                         self->scheme->certificate_pattern,
                         self->scheme->version);
        return CF_EGUARD;
    }
    if (rc)
        cf_log_error ("case=%s: no certificate number: %s", record->id,
                      cf_strerror (rc));
    return rc;
}

//  Gives a case the state machine has just opened its id, the next of
//  the year (*number), and logs its first event
static int
s_number_case (cf_engine_t *self, Cf__Case *record,
               const cf_fsm_outcome_t *outcome, const Cf__Principal *who,
               const Cf__EventData *data, uint64_t *number)
{
    int rc = cf_store_next_id (self->store, self->batch, "next_case", number);
    if (rc)
        return rc;
    int year, month, mday;
    cf_date_to_ymd (cf_date_from_ms (self->now), &year, &month, &mday);
    char id[40];
    snprintf (id, sizeof id, "CF-%04d-%06" PRIu64, year, *number);
    cf_pb_set_string (&record->id, id);
    return s_record_event (self, record, CF__STATE__STATE_UNSPECIFIED,
                           outcome->event, who, data, NULL);
}

//  Enqueues the job of stage for record unless one is already waiting
static int
s_enqueue (cf_engine_t *self, const Cf__Case *record, const char *stage)
{
    char *key = s_active_key (record->id, stage);
    uint64_t current = (uintptr_t)zhashx_lookup (self->active, key);
    //  A job not yet leased will see the latest case when it is
    if (current && s_ready_has (self, current)) {
        free (key);
        return 0;
    }
    uint64_t id = 0;
    int rc = cf_store_next_id (self->store, self->batch, "next_job", &id);
    if (rc) {
        free (key);
        return rc;
    }
    Cf__Job *job = cf_pb_new (&cf__job__descriptor);
    job->id = id;
    cf_pb_set_string (&job->case_id, record->id);
    cf_pb_set_string (&job->stage, stage);
    job->state = record->state;
    job->status = CF__JOB_STATUS__JOB_STATUS_READY;
    job->created_at = self->now;
    if (strcmp (stage, "issuance") == 0) {
        //  The number is reserved now, so it is unique and never reused
        char number[CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1];
        rc =
            s_reserve_number (self, record, false, number, sizeof number, NULL);
        if (rc) {
            cf_pb_free (&job);
            free (key);
            return rc;
        }
        cf_pb_set_string (&job->certificate_number, number);
    }
    rc = s_job_put (self, job);
    if (rc) {
        cf_pb_free (&job);
        free (key);
        return rc;
    }
    //  A job leased, waiting out its backoff or parked stays open beside
    //  the new one until it ends, is found obsolete or the case ends
    if (current)
        s_superseded_add (self, record->id, current);
    zhashx_update (self->active, key, (void *)(uintptr_t)id);
    free (key);
    s_ready_add (self, job);
    return 0;
}

//  A failed attempt: back to ready after a backoff, or parked
static int
s_job_failed (cf_engine_t *self, Cf__Job *job, const char *why)
{
    cf_pb_set_string (&job->last_error, why);
    cf_pb_set_string (&job->worker, "");
    job->lease = 0;
    if (job->attempts >= self->config.max_attempts) {
        job->status = CF__JOB_STATUS__JOB_STATUS_PARKED;
        job->due_at = 0;
        cf_log_warn ("job=%" PRIu64 " case=%s stage=%s parked after %u "
                     "attempts: %s",
                     job->id, job->case_id, job->stage, job->attempts, why);
    } else {
        int shift = job->attempts > 0 ? (int)job->attempts - 1 : 0;
        if (shift > 10)
            shift = 10;
        job->status = CF__JOB_STATUS__JOB_STATUS_READY;
        job->due_at = self->now + (self->config.backoff_ms << shift);
        cf_log_notice ("job=%" PRIu64 " case=%s stage=%s attempt %u failed, "
                       "retry in %" PRId64 " ms: %s",
                       job->id, job->case_id, job->stage, job->attempts,
                       job->due_at - self->now, why);
    }
    return s_job_put (self, job);
}

//  The job is finished or obsolete: it leaves the store and the view
static int
s_job_done (cf_engine_t *self, const Cf__Job *job)
{
    s_ready_remove (self, job->id);
    s_active_release (self, job);
    return cf_batch_delete_job (self->batch, job->id);
}

//  The case has ended: its jobs (ready, leased or parked) are cancelled,
//  all but current, the job whose result ended it (the caller finishes it)
static int
s_close_work (cf_engine_t *self, const Cf__Case *record, const Cf__Job *current)
{
    size_t count = 0;
    const cf_fsm_row_t *rows = cf_fsm_rows (&count);
    for (size_t index = 0; index < count; index++) {
        if (!rows[index].job)
            continue;
        char *key = s_active_key (record->id, rows[index].job);
        uint64_t id = (uintptr_t)zhashx_lookup (self->active, key);
        free (key);
        if (!id || (current && current->id == id))
            continue;
        Cf__Job job = CF__JOB__INIT;
        job.id = id;
        job.case_id = record->id;
        job.stage = (char *)rows[index].job;
        int rc = s_job_done (self, &job);
        if (rc)
            return rc;
        cf_log_info ("job=%" PRIu64 " case=%s stage=%s cancelled: the case "
                     "ended in %s",
                     id, record->id, job.stage,
                     cf_fsm_state_name ((cf_state_t)record->state));
    }
    //  And the older jobs that newer ones replaced
    zlistx_t *ids = zhashx_lookup (self->superseded, record->id);
    for (void *item = ids ? zlistx_first (ids) : NULL; item;
         item = zlistx_next (ids)) {
        uint64_t id = (uintptr_t)item;
        if (current && current->id == id)
            continue;
        s_ready_remove (self, id);
        int rc = cf_batch_delete_job (self->batch, id);
        if (rc)
            return rc;
        cf_log_info ("job=%" PRIu64 " case=%s cancelled: the case ended in "
                     "%s, and a newer job of its stage had replaced it",
                     id, record->id,
                     cf_fsm_state_name ((cf_state_t)record->state));
    }
    //  current, when it is one of them, is finished by the caller
    zhashx_delete (self->superseded, record->id);
    return 0;
}

//  Takes the round copy of a certificate (caller owns it until
//  s_certificate_keep), or a fresh copy from the store
static int
s_certificate_take (cf_engine_t *self, const char *number,
                    Cf__Certificate **certificate_p)
{
    Cf__Certificate *certificate = zhashx_lookup (self->certificates, number);
    if (certificate) {
        zhashx_delete (self->certificates, number);
        *certificate_p = certificate;
        return 0;
    }
    return cf_store_get_certificate (self->store, number, certificate_p);
}

static void
s_certificate_keep (cf_engine_t *self, Cf__Certificate *certificate)
{
    Cf__Certificate *old =
        zhashx_lookup (self->certificates, certificate->number);
    if (old && old != certificate) {
        zhashx_delete (self->certificates, certificate->number);
        cf_pb_free (&old);
    }
    zhashx_update (self->certificates, certificate->number, certificate);
}

//  Frees the round's copies of certificates
static void
s_certificates_drop (cf_engine_t *self)
{
    for (Cf__Certificate *certificate = zhashx_first (self->certificates);
         certificate; certificate = zhashx_next (self->certificates))
        cf_pb_free (&certificate);
    zhashx_purge (self->certificates);
}

//  The meta key holding the date a company first held a certificate
static char *
s_first_key (const char *uscc)
{
    char *key = NULL;
    if (asprintf (&key, "first_certificate/%s", uscc) < 0)
        cf_mem_fail ();
    for (char *cursor = key; *cursor; cursor++)
        if (*cursor >= 'a' && *cursor <= 'z')
            *cursor = (char)(*cursor - 'a' + 'A');
    return key;
}

//  Sets *date_p to the date the company of record (by its unified social
//  credit code) first held a certificate, across all its cases, or NULL.
//  The caller frees it.
static int
s_first_certified (cf_engine_t *self, const Cf__Case *record, char **date_p)
{
    *date_p = NULL;
    const char *uscc = record->application ? record->application->uscc : "";
    if (s_blank (uscc))
        return 0;
    char *key = s_first_key (uscc);
    const char *round = zhashx_lookup (self->certified, key);
    int rc = 0;
    if (round)
        *date_p = cf_mem_check (strdup (round));
    else {
        rc = cf_store_get_meta (self->store, key, date_p);
        if (rc == CF_ENOTFOUND)
            rc = 0;
    }
    free (key);
    return rc;
}

//  The meta key recording that the company uscc holds certificate number
//  (with number NULL, the prefix of all the company's)
static char *
s_holds_key (const char *uscc, const char *number)
{
    char *key = NULL;
    if (asprintf (&key, "holds/%s/%s", uscc, number ? number : "") < 0)
        cf_mem_fail ();
    for (char *cursor = key + 6; *cursor && *cursor != '/'; cursor++)
        if (*cursor >= 'a' && *cursor <= 'z')
            *cursor = (char)(*cursor - 'a' + 'A');
    return key;
}

//  The certificates the company uscc holds or held, as the round sees them,
//  into a new array of *count copies (free each and the array)
static int
s_held (cf_engine_t *self, const char *uscc, Cf__Certificate ***held_p,
        size_t *count)
{
    *held_p = NULL;
    *count = 0;
    if (s_blank (uscc))
        return 0;
    char *prefix = s_holds_key (uscc, NULL);
    char **keys = NULL;
    size_t found = 0;
    int rc = cf_store_meta_keys (self->store, prefix, &keys, &found);
    Cf__Certificate **held =
        found ? cf_mem_check (calloc (found, sizeof *held)) : NULL;
    for (size_t index = 0; rc == 0 && index < found; index++) {
        const char *number = keys[index] + strlen (prefix);
        Cf__Certificate *round = zhashx_lookup (self->certificates, number);
        if (round)
            held[(*count)++] = cf_pb_dup (&round->base);
        else {
            rc = cf_store_get_certificate (self->store, number, &held[*count]);
            if (rc == 0)
                (*count)++;
        }
    }
    cf_store_keys_free (&keys, found);
    free (prefix);
    *held_p = held;
    if (rc) {
        for (size_t index = 0; index < *count; index++)
            cf_pb_free (&held[index]);
        free (held);
        *held_p = NULL;
        *count = 0;
    }
    return rc;
}

//  Puts a new certificate and, for the company's first, its date
static int
s_put_certificate (cf_engine_t *self, const Cf__Case *record,
                   const Cf__Certificate *certificate)
{
    int rc = cf_batch_put_certificate (self->batch, certificate);
    if (rc == 0 && !s_blank (certificate->uscc)) {
        char *key = s_holds_key (certificate->uscc, certificate->number);
        rc = cf_batch_set_meta (self->batch, key, certificate->case_id);
        free (key);
    }
    char *first = NULL;
    if (rc == 0)
        rc = s_first_certified (self, record, &first);
    if (rc == 0 && !first && !s_blank (certificate->uscc)) {
        char *key = s_first_key (certificate->uscc);
        rc = cf_batch_set_meta (self->batch, key, certificate->issue_date);
        zhashx_update (self->certified, key,
                       cf_mem_check (strdup (certificate->issue_date)));
        free (key);
    }
    free (first);
    return rc;
}

//  ------------------------------------------------------------------------
//  Firing events

//  The grade a decided case grants: its latest score under the star rule
static int
s_granted_grade (const cf_scheme_t *scheme, const Cf__Case *record,
                 const cf_grade_t **granted_p, cf_problems_t *problems)
{
    const Cf__ScoreResult *latest =
        record->rescored ? record->rescored : record->original;
    const cf_grade_t *scored =
        latest ? cf_scheme_grade_named (scheme, latest->grade) : NULL;
    cf_day_t decision = 0;
    if (cf_date_parse (record->decision_date, &decision) != 0) {
        cf_problems_add (problems, "issue.dates",
                         "decision date '%s' is not a date",
                         record->decision_date);
        return CF_EGUARD;
    }
    const Cf__Committee *committee = record->committee;
    return cf_score_grant_grade (
        scheme, scored, record->first_compliant_date, decision,
        committee && committee->star_override,
        committee ? committee->star_override_reason : NULL, granted_p,
        problems);
}

//  Checks a worker's certificate_issued data against the case before the
//  transition: the reserved number and the grade the star rule allows.
//  Builds the certificate record into *certificate_p.
static int
s_check_issue (const cf_scheme_t *scheme, const Cf__Case *record,
               const Cf__Job *job, const Cf__EventData *data,
               Cf__Certificate **certificate_p, cf_problems_t *problems)
{
    const Cf__CertificateData *issued =
        data && data->body_case == CF__EVENT_DATA__BODY_CERTIFICATE
            ? data->certificate
            : NULL;
    if (!issued) {
        cf_problems_add (problems, "issue.data",
                         "certificate_issued needs certificate data");
        return CF_EINVAL;
    }
    if (job && strcmp (issued->number, job->certificate_number) != 0) {
        cf_problems_add (problems, "issue.number",
                         "certificate number %.*s is not the one reserved "
                         "for this case (%s)",
                         CF_UTF8_CUT (issued->number, CF_UTF8_QUOTE_MAX),
                         job->certificate_number);
        return CF_EGUARD;
    }
    cf_day_t issue = 0;
    if (cf_date_parse (issued->issue_date, &issue) != 0) {
        cf_problems_add (problems, "issue.dates",
                         "issue date '%.*s' is not a date",
                         CF_UTF8_CUT (issued->issue_date, CF_UTF8_QUOTE_MAX));
        return CF_EGUARD;
    }
    const cf_grade_t *granted = NULL;
    int rc = s_granted_grade (scheme, record, &granted, problems);
    if (rc)
        return rc;
    if (strcmp (granted->name, issued->grade) != 0) {
        cf_problems_add (problems, "issue.grade",
                         "grade %.*s does not follow the star rule; the "
                         "grade to grant is %s",
                         CF_UTF8_CUT (issued->grade, CF_UTF8_QUOTE_MAX),
                         granted->name);
        return CF_EGUARD;
    }
    //  A renewal decided in time starts the day after the certificate it
    //  renews ends: no gap, no overlap
    cf_day_t decision = 0, ends = 0;
    if (record->kind == CF__CASE_KIND__CASE_KIND_RECERTIFICATION &&
        cf_date_parse (record->decision_date, &decision) == 0 &&
        cf_date_parse (record->subject_expiry, &ends) == 0 &&
        decision <= ends && issue != ends + 1) {
        char starts[11];
        cf_problems_add (problems, "issue.renewal_start",
                         "case %s renews certificate %s, which ends on %s: its "
                         "certificate starts on %s, not %.*s",
                         record->id, record->subject, record->subject_expiry,
                         cf_date_format (ends + 1, starts),
                         CF_UTF8_CUT (issued->issue_date, CF_UTF8_QUOTE_MAX));
        return CF_EGUARD;
    }
    rc = cf_certificate_build (scheme, record, issued->number, issue,
                               granted->name, certificate_p, problems);
    if (rc == 0 && record->kind == CF__CASE_KIND__CASE_KIND_RECERTIFICATION)
        cf_pb_set_string (&(*certificate_p)->replaces, record->subject);
    return rc;
}

//  A renewal's certificate was issued: the one it renews names its
//  successor, which takes over at its end (or has, when it ended before)
static int
s_link_renewed (cf_engine_t *self, const Cf__Certificate *successor)
{
    Cf__Certificate *renewed = NULL;
    int rc = s_certificate_take (self, successor->replaces, &renewed);
    if (rc)
        return rc;
    cf_pb_set_string (&renewed->superseded_by, successor->number);
    rc = cf_batch_update_certificate (self->batch, renewed);
    s_certificate_keep (self, renewed);
    return rc;
}

static int s_visit_outcome (cf_engine_t *self, const Cf__Case *visit,
                            const cf_scheme_t *scheme);
static char *s_visited (cf_engine_t *self, const char *number);

//  Whether a case just granted can take the certificate number it needs:
//  an application's for its issuance, a visit's for the reissue of a
//  changed grade. Asked before anything changes, so that a used-up pattern
//  refuses the one grant instead of sinking the round.
static int
s_number_left (cf_engine_t *self, const Cf__Case *granted,
               const cf_fsm_outcome_t *outcome, const cf_scheme_t *scheme,
               cf_problems_t *problems)
{
    bool needed = outcome->job && strcmp (outcome->job, "issuance") == 0;
    if (!needed && granted->kind == CF__CASE_KIND__CASE_KIND_SURVEILLANCE) {
        char *number = s_visited (self, granted->subject);
        const cf_grade_t *grade = NULL;
        Cf__Certificate *cert = NULL;
        if (number && s_granted_grade (scheme, granted, &grade, NULL) == 0 &&
            s_certificate_take (self, number, &cert) == 0) {
            needed = strcmp (cert->grade, grade->name) != 0;
            s_certificate_keep (self, cert);
        }
        free (number);
    }
    char next[CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1];
    return needed ? s_reserve_number (self, granted, true, next, sizeof next,
                                      problems)
                  : 0;
}

static bool s_acts_for (cf_engine_t *self, const Cf__Principal *who,
                        const char *company, const char *act);

//  Fires event on a case of the round. On success its event, the next
//  stage's job and (on issuance) the certificate are in the batch, and the
//  case is marked changed (the commit writes its round copy); *record_p is
//  replaced by the new record. On failure nothing changed and
//  problems say why. job is the worker's job, or NULL.
static int
s_fire (cf_engine_t *self, Cf__Case **record_p, cf_event_t event,
        const Cf__Principal *who, const char *acts_for,
        const Cf__EventData *data, const Cf__Job *job, cf_problems_t *problems)
{
    //  The case runs under the scheme it recorded, not the daemon's own
    const s_scheme_t *governs = NULL;
    int rc = s_scheme_of (self, *record_p, &governs, problems);
    if (rc)
        return rc;
    Cf__Certificate *certificate = NULL;
    if (event == CF_EVENT_CERTIFICATE_ISSUED &&
        (*record_p)->state == CF__STATE__STATE_ISSUANCE) {
        rc = s_check_issue (governs->scheme, *record_p, job, data, &certificate,
                            problems);
        if (rc)
            return rc;
    }
    Cf__State from = (*record_p)->state;
    cf_fsm_input_t input = {.scheme = governs->scheme,
                            .principal = who,
                            .data = data,
                            .now = self->now,
                            .acts_for = acts_for};
    //  The facts beyond the case that the guards check, from the store
    Cf__Staff **staff = NULL;
    char *first = NULL;
    if (event == CF_EVENT_AUDIT_PLANNED || event == CF_EVENT_COMMITTEE_FORMED)
        rc = cf_store_list_staff (self->store, &staff, &input.staff_count);
    else if (event == CF_EVENT_MAJORITY_GRANT)
        rc = s_first_certified (self, *record_p, &first);
    input.staff = staff;
    input.first_certified = first;
    Cf__Case *undecided = event == CF_EVENT_MAJORITY_GRANT
                              ? cf_pb_dup (&(*record_p)->base)
                              : NULL;
    cf_fsm_outcome_t outcome;
    if (rc == 0)
        rc = cf_fsm_fire (record_p, event, &input, &outcome, problems);
    cf_store_staff_free (&staff, input.staff_count);
    free (first);
    if (rc == 0 && undecided) {
        rc = s_number_left (self, *record_p, &outcome, governs->scheme,
                            problems);
        if (rc) {
            cf_pb_free (record_p);
            *record_p = undecided;
            undecided = NULL;
        }
    }
    cf_pb_free (&undecided);
    if (rc) {
        cf_pb_free (&certificate);
        return rc;
    }
    //  The case changed: from here a failure must sink the whole round.
    //  A certified case's deadline is its certificate's own timer.
    if (certificate) {
        (*record_p)->deadline_at =
            cf_certfsm_due (certificate, governs->scheme);
        rc = s_put_certificate (self, *record_p, certificate);
        if (rc == 0 && !s_blank (certificate->replaces))
            rc = s_link_renewed (self, certificate);
    }
    if (rc == 0)
        rc = s_record_event (self, *record_p, from, outcome.event, who, data,
                             NULL);
    if (rc == 0 && outcome.job)
        rc = s_enqueue (self, *record_p, outcome.job);
    bool ended = cf_fsm_state_terminal (outcome.to) &&
                 !cf_fsm_state_terminal (outcome.from);
    if (rc == 0 && ended)
        rc = s_close_work (self, *record_p, job);
    //  A surveillance visit's end is recorded on its certificate
    if (rc == 0 && ended &&
        (*record_p)->kind == CF__CASE_KIND__CASE_KIND_SURVEILLANCE)
        rc = s_visit_outcome (self, *record_p, governs->scheme);
    cf_pb_free (&certificate);
    if (rc)
        self->poisoned = rc;
    return rc;
}

//  ------------------------------------------------------------------------
//  Certificates after issuance

//  Fires event on certificate number for who. The certificate and its case
//  change together: the case's deadline follows the certificate's timer,
//  and the event is logged on the case with both statuses. An applicant of
//  another organization hears "not found", and the attempt is recorded.
//  *certificate_p, when not NULL, gets a copy of the new certificate.
static int
s_certificate_fire (cf_engine_t *self, const char *number,
                    cf_cert_event_t event, const Cf__Principal *who,
                    const Cf__CertificateChange *change,
                    Cf__Certificate **certificate_p, cf_problems_t *problems)
{
    Cf__Certificate *certificate = NULL;
    int rc = s_certificate_take (self, number, &certificate);
    if (rc == CF_ENOTFOUND)
        cf_problems_add (problems, "certificate.unknown",
                         "no certificate %.*s in the register",
                         CF_UTF8_CUT (number, CF_UTF8_QUOTE_MAX));
    if (rc)
        return rc;
    Cf__Case *record = NULL;
    rc = s_case_take (self, certificate->case_id, &record);
    if (rc) {
        cf_pb_free (&certificate);
        return rc;
    }
    const char *name = cf_certfsm_event_name (event);
    Cf__CertStatus from = certificate->status, to = from;
    cf_problems_t *why = cf_problems_new ();
    const s_scheme_t *governs = NULL;
    rc = s_scheme_of (self, record, &governs, why);
    if (rc) {
        s_case_keep (self, record);
        s_certificate_keep (self, certificate);
        cf_problems_destroy (&why);
        return rc;
    }
    cf_certfsm_input_t input = {governs->scheme, who, record->org, change,
                                self->now};
    //  Another organization's applicant learns nothing of the certificate;
    //  the holder's consultancy sees it, but decides nothing on it
    bool outsider = who->role == CF__ROLE__ROLE_APPLICANT &&
                    strcmp (who->org, record->org) != 0;
    bool stranger = outsider && !s_acts_for (self, who, record->org, NULL);
    if (outsider && !stranger) {
        cf_problems_add (why, "auth.company",
                         "%s on certificate %s is %s's own act; its "
                         "consultancy %s may not do it (the company's user "
                         "does, or an administrator records its request)",
                         name, certificate->number, record->org, who->org);
        rc = CF_EFORBIDDEN;
    } else if (stranger) {
        cf_problems_add (why, "auth.org",
                         "organization %s acted on a certificate of another "
                         "organization",
                         who->org);
        rc = CF_EFORBIDDEN;
    } else
        rc = cf_certfsm_fire (&certificate, event, &input, &to, why);
    if (rc == 0) {
        //  The case's timer is its latest certificate's
        if (strcmp (record->certificate, certificate->number) == 0)
            record->deadline_at = cf_certfsm_due (certificate, governs->scheme);
        Cf__EventData data = CF__EVENT_DATA__INIT;
        data.body_case = CF__EVENT_DATA__BODY_CHANGE;
        data.change = (Cf__CertificateChange *)change;
        Cf__Event entry = CF__EVENT__INIT;
        entry.from = record->state;
        entry.event = (char *)name;
        entry.principal = (Cf__Principal *)who;
        entry.data = change ? &data : NULL;
        entry.refused = "";
        entry.certificate = certificate->number;
        entry.certificate_from = from;
        entry.certificate_to = to;
        rc = s_append_event (self, record, &entry);
        certificate->status_seq = record->last_seq;
        if (rc == 0)
            rc = cf_batch_update_certificate (self->batch, certificate);
        if (rc)
            self->poisoned = rc;
        else if (certificate_p)
            *certificate_p = cf_pb_dup (&certificate->base);
        cf_log_notice ("certificate=%s %s: %s -> %s by %s", number, name,
                       cf_certfsm_status_name (from),
                       cf_certfsm_status_name (to), who->name);
    }
    s_case_keep (self, record);
    s_certificate_keep (self, certificate);
    if (rc == CF_EGUARD || rc == CF_EFORBIDDEN || rc == CF_ENOTRANSITION)
        s_record_refusal (self, certificate->case_id, name, who, rc, why);
    if (stranger) {
        cf_problems_destroy (&why);
        cf_problems_add (problems, "certificate.unknown",
                         "no certificate %.*s in the register",
                         CF_UTF8_CUT (number, CF_UTF8_QUOTE_MAX));
        return CF_ENOTFOUND;
    }
    for (size_t index = 0; index < cf_problems_size (why); index++)
        cf_problems_add (problems, cf_problems_code (why, index), "%s",
                         cf_problems_message (why, index));
    cf_problems_destroy (&why);
    return rc;
}

static int
s_do_certificate_fire (cf_engine_t *self, const Cf__Principal *who,
                       const Cf__CertificateFire *fire, Cf__Reply *reply,
                       cf_problems_t *problems)
{
    cf_cert_event_t event;
    //  Timers, visits and reissues have their own ways in
    if (cf_certfsm_event_from_name (fire->event, &event) != 0 ||
        (event != CF_CERT_EVENT_SUSPENDED && event != CF_CERT_EVENT_RESTORED &&
         event != CF_CERT_EVENT_WITHDRAWN &&
         event != CF_CERT_EVENT_CANCELLED)) {
        cf_problems_add (problems, "certificate.event",
                         "'%.*s' is not a decision on a certificate; the "
                         "decisions are certificate_suspended, "
                         "certificate_restored, certificate_withdrawn and "
                         "certificate_cancelled (a reissue and a "
                         "surveillance visit have their own requests)",
                         CF_UTF8_CUT (fire->event, CF_UTF8_QUOTE_MAX));
        return CF_EINVAL;
    }
    Cf__Certificate *certificate = NULL;
    int rc = s_certificate_fire (self, fire->number, event, who, fire->change,
                                 &certificate, problems);
    if (rc)
        return rc;
    reply->body_case = CF__REPLY__BODY_CERTIFICATE;
    reply->certificate = certificate;
    return 0;
}

//  What a reissue changes on the successor
typedef struct {
    const Cf__CertificateReissue *edit;  //  Name, addresses, scope; or NULL
    const char *grade;                   //  The grade a visit gave; or NULL
    double score;                        //  Its score
    const char *decision_date;           //  The visit's decision; NULL: today
    bool cleared;                        //  A passed visit: a suspension for
                                         //  surveillance ends with it
} s_reissue_t;

static void
s_reissue_edit (Cf__Certificate *successor, const Cf__CertificateReissue *edit)
{
    if (!s_blank (edit->company_name))
        cf_pb_set_string (&successor->company_name, edit->company_name);
    if (!s_blank (edit->registered_address))
        cf_pb_set_string (&successor->registered_address,
                          edit->registered_address);
    if (!s_blank (edit->operating_address))
        cf_pb_set_string (&successor->operating_address,
                          edit->operating_address);
    if (edit->n_scope == 0)
        return;
    for (size_t index = 0; index < successor->n_scope; index++)
        free (successor->scope[index]);
    free (successor->scope);
    successor->scope = NULL;
    successor->n_scope = 0;
    for (size_t index = 0; index < edit->n_scope; index++)
        cf_pb_append_string (&successor->n_scope, &successor->scope,
                             edit->scope[index]);
}

//  Makes the successor of the superseded certificate old under number: the
//  same validity and visits, issued today, naming the one it replaces
static Cf__Certificate *
s_successor (cf_engine_t *self, const Cf__Certificate *old, Cf__CertStatus was,
             const char *number, const s_reissue_t *what)
{
    char today[11];
    cf_date_format (cf_date_from_ms (self->now), today);
    Cf__Certificate *successor = cf_pb_dup (&old->base);
    cf_pb_set_string (&successor->number, number);
    cf_pb_set_string (&successor->replaces, old->number);
    cf_pb_set_string (&successor->superseded_by, "");
    cf_pb_set_string (&successor->issue_date, today);
    cf_pb_set_string (&successor->decision_date,
                      what->decision_date ? what->decision_date : today);
    cf_pb_set_string (&successor->status_date, today);
    successor->status = was;
    if (what->cleared && cf_certfsm_suspended_by_surveillance (successor))
        successor->status = CF__CERT_STATUS__CERT_STATUS_VALID;
    if (successor->status == CF__CERT_STATUS__CERT_STATUS_VALID)
        cf_pb_free (&successor->suspension);
    if (what->grade) {
        cf_pb_set_string (&successor->grade, what->grade);
        successor->score = what->score;
        cf_pb_set_string (&successor->star_override_reason, "");
    }
    if (what->edit)
        s_reissue_edit (successor, what->edit);
    return successor;
}

//  Reissues certificate number: a successor under a new number replaces
//  it, and the old one is superseded by who's decision (change->reason).
//  The decision is checked before the number is taken, so a refused one
//  leaves the numbering as it was. *successor_p, when not NULL, gets a
//  copy of the successor.
static int
s_reissue (cf_engine_t *self, const char *number, const Cf__Principal *who,
           const Cf__CertificateChange *change, const s_reissue_t *what,
           Cf__Certificate **successor_p, cf_problems_t *problems)
{
    Cf__Certificate *old = NULL;
    int rc = s_certificate_take (self, number, &old);
    if (rc == CF_ENOTFOUND)
        cf_problems_add (problems, "certificate.unknown",
                         "no certificate %.*s in the register",
                         CF_UTF8_CUT (number, CF_UTF8_QUOTE_MAX));
    if (rc)
        return rc;
    Cf__CertStatus was = old->status;
    char *case_id = cf_mem_check (strdup (old->case_id));
    s_certificate_keep (self, old);
    Cf__Case *record = NULL;
    rc = s_case_take (self, case_id, &record);
    char next[CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1];
    if (rc == 0) {
        rc = s_reserve_number (self, record, true, next, sizeof next, problems);
        s_case_keep (self, record);
    }
    Cf__CertificateChange decided =
        change ? *change : (Cf__CertificateChange)CF__CERTIFICATE_CHANGE__INIT;
    decided.successor = next;
    Cf__Certificate *superseded = NULL;
    if (rc == 0)
        rc = s_certificate_fire (self, number, CF_CERT_EVENT_SUPERSEDED, who,
                                 &decided, &superseded, problems);
    if (rc) {
        free (case_id);
        return rc;
    }
    //  From here the round changed: a failure sinks it
    char taken[CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1] = "";
    rc = s_case_take (self, case_id, &record);
    if (rc == 0) {
        rc = s_reserve_number (self, record, false, taken, sizeof taken, NULL);
        assert (rc || strcmp (taken, next) == 0);
    }
    Cf__Certificate *successor = NULL;
    if (rc == 0) {
        const s_scheme_t *governs = NULL;
        rc = s_scheme_of (self, record, &governs, NULL);
        successor = s_successor (self, superseded, was, next, what);
        successor->status_seq = record->last_seq;
        cf_pb_set_string (&successor->status_reason, decided.reason);
        if (rc == 0)
            rc = s_put_certificate (self, record, successor);
        if (rc == 0) {
            cf_pb_set_string (&record->certificate, next);
            record->deadline_at = cf_certfsm_due (successor, governs->scheme);
            rc = s_case_changed (self, record);
        }
    }
    if (record)
        s_case_keep (self, record);
    cf_pb_free (&superseded);
    free (case_id);
    if (rc) {
        cf_pb_free (&successor);
        self->poisoned = rc;
        return rc;
    }
    cf_log_notice ("certificate=%s reissued as %s by %s", number, next,
                   who->name);
    if (successor_p)
        *successor_p = cf_pb_dup (&successor->base);
    s_certificate_keep (self, successor);
    return 0;
}

//  A surveillance case ended: its outcome goes on the visit it made. A
//  maintained grade keeps the certificate (and lifts a suspension that
//  surveillance caused); a changed grade reissues it; a refusal or an
//  abandoned rectification suspends it.
//  The certificate a visit's outcome goes on: the one it visited or, when
//  that was reissued meanwhile, its latest successor (a new string), or
//  NULL when the chain cannot be read
static char *
s_visited (cf_engine_t *self, const char *number)
{
    char *current = cf_mem_check (strdup (number));
    for (int hop = 0; hop < 64; hop++) {
        Cf__Certificate *cert = NULL;
        if (s_certificate_take (self, current, &cert) != 0) {
            free (current);
            return NULL;
        }
        bool onward = cert->status == CF__CERT_STATUS__CERT_STATUS_SUPERSEDED &&
                      !s_blank (cert->superseded_by);
        char *next =
            onward ? cf_mem_check (strdup (cert->superseded_by)) : NULL;
        s_certificate_keep (self, cert);
        if (!onward)
            return current;
        free (current);
        current = next;
    }
    return current;
}

static int
s_visit_outcome (cf_engine_t *self, const Cf__Case *visit,
                 const cf_scheme_t *scheme)
{
    char *number = s_visited (self, visit->subject);
    if (!number) {
        self->poisoned = CF_ECORRUPT;
        cf_log_error ("case=%s: certificate %s of the visit is not readable",
                      visit->id, visit->subject);
        return CF_ECORRUPT;
    }
    char *reason = NULL;
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.case_id = visit->id;
    cf_problems_t *problems = cf_problems_new ();
    int rc = 0;
    if (visit->state == CF__STATE__STATE_MAINTAINED) {
        const cf_grade_t *granted = NULL;
        Cf__Certificate *cert = NULL;
        rc = s_granted_grade (scheme, visit, &granted, problems);
        if (rc == 0)
            rc = s_certificate_take (self, number, &cert);
        if (rc == 0) {
            bool same = strcmp (cert->grade, granted->name) == 0;
            const Cf__ScoreResult *latest =
                visit->rescored ? visit->rescored : visit->original;
            if (asprintf (&reason, "surveillance case %s %s grade %s%s%s",
                          visit->id, same ? "maintained" : "changed it to",
                          granted->name, same ? "" : " from ",
                          same ? "" : cert->grade) < 0)
                cf_mem_fail ();
            change.reason = reason;
            s_reissue_t what = {.grade = granted->name,
                                .score = latest ? latest->score : 0,
                                .decision_date = visit->decision_date,
                                .cleared = true};
            s_certificate_keep (self, cert);
            rc = same ? s_certificate_fire (self, number,
                                            CF_CERT_EVENT_VISIT_PASSED,
                                            &s_system, &change, NULL, problems)
                      : s_reissue (self, number, &s_system, &change, &what,
                                   NULL, problems);
        }
    } else {
        if (asprintf (&reason, "surveillance case %s ended %s: %s", visit->id,
                      cf_fsm_state_name ((cf_state_t)visit->state),
                      s_blank (visit->closing_reason)
                          ? "no reason recorded"
                          : visit->closing_reason) < 0)
            cf_mem_fail ();
        change.reason = reason;
        rc = s_certificate_fire (self, number, CF_CERT_EVENT_VISIT_FAILED,
                                 &s_system, &change, NULL, problems);
    }
    //  A certificate withdrawn, cancelled or expired meanwhile takes no
    //  outcome: the visit's own case records it. Only a store failure
    //  sinks the round.
    bool refused =
        rc == CF_EGUARD || rc == CF_ENOTRANSITION || rc == CF_EFORBIDDEN;
    char *why = rc ? cf_problems_join (problems) : NULL;
    if (refused)
        cf_log_warn ("case=%s: the visit's outcome does not apply to "
                     "certificate %s: %s",
                     visit->id, number, why);
    else if (rc) {
        cf_log_error ("case=%s: the visit's outcome was not recorded on "
                      "certificate %s: %s",
                      visit->id, number, why);
        self->poisoned = rc;
    }
    free (why);
    free (reason);
    free (number);
    cf_problems_destroy (&problems);
    return refused ? 0 : rc;
}

//  An administrator opens the next surveillance visit of a certificate: a
//  surveillance case that starts at audit planning
static int
s_do_surveillance_open (cf_engine_t *self, const Cf__Principal *who,
                        const Cf__CertificateRef *ref, Cf__Reply *reply,
                        cf_problems_t *problems)
{
    Cf__Certificate *cert = NULL;
    int rc = s_certificate_take (self, ref->number, &cert);
    if (rc == CF_ENOTFOUND)
        cf_problems_add (problems, "certificate.unknown",
                         "no certificate %.*s in the register",
                         CF_UTF8_CUT (ref->number, CF_UTF8_QUOTE_MAX));
    if (rc)
        return rc;
    Cf__Case *certified = NULL;
    rc = s_case_take (self, cert->case_id, &certified);
    if (rc) {
        s_certificate_keep (self, cert);
        return rc;
    }
    const s_scheme_t *governs = NULL;
    rc = s_scheme_of (self, certified, &governs, problems);
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    record->kind = CF__CASE_KIND__CASE_KIND_SURVEILLANCE;
    cf_fsm_outcome_t outcome;
    if (rc == 0) {
        cf_fsm_input_t input = {.scheme = governs->scheme,
                                .principal = who,
                                .now = self->now,
                                .certificate = cert,
                                .certified = certified};
        rc = cf_fsm_fire (&record, CF_EVENT_SURVEILLANCE_OPENED, &input,
                          &outcome, problems);
    }
    bool refused =
        rc == CF_EGUARD || rc == CF_EFORBIDDEN || rc == CF_ENOTRANSITION;
    uint64_t number = 0;
    if (rc == 0)
        rc = s_number_case (self, record, &outcome, who, NULL, &number);
    if (rc == 0) {
        Cf__Visit *visit = cert->visits[record->visit - 1];
        cf_pb_set_string (&visit->outcome, CF_VISIT_OPEN);
        cf_pb_set_string (&visit->case_id, record->id);
        rc = cf_batch_update_certificate (self->batch, cert);
    }
    if (rc == 0 && outcome.job)
        rc = s_enqueue (self, record, outcome.job);
    char *certified_id = cf_mem_check (strdup (certified->id));
    s_case_keep (self, certified);
    s_certificate_keep (self, cert);
    if (rc) {
        if (number)
            self->poisoned = rc;
        cf_pb_free (&record);
        if (refused)
            s_record_refusal (self, certified_id, "surveillance_opened", who,
                              rc, problems);
        free (certified_id);
        return rc;
    }
    free (certified_id);
    cf_log_notice ("case=%s: surveillance visit %u of certificate %s opened "
                   "by %s",
                   record->id, record->visit, ref->number, who->name);
    reply->body_case = CF__REPLY__BODY_RECORD;
    reply->record = cf_pb_dup (&record->base);
    s_case_keep (self, record);
    return 0;
}

//  A decision to reissue a certificate on a change of name, address or
//  scope
static int
s_do_certificate_reissue (cf_engine_t *self, const Cf__Principal *who,
                          const Cf__CertificateReissue *edit, Cf__Reply *reply,
                          cf_problems_t *problems)
{
    if (s_blank (edit->company_name) && s_blank (edit->registered_address) &&
        s_blank (edit->operating_address) && edit->n_scope == 0) {
        cf_problems_add (problems, "reissue.nothing",
                         "a reissue changes the company name, an address or "
                         "the scope; give the new value");
        return CF_EINVAL;
    }
    for (size_t index = 0; index < edit->n_scope; index++)
        if (s_blank (edit->scope[index])) {
            cf_problems_add (problems, "reissue.scope",
                             "scope item %zu is blank; name each certified "
                             "product or service",
                             index + 1);
            return CF_EINVAL;
        }
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = edit->reason;
    s_reissue_t what = {.edit = edit};
    Cf__Certificate *successor = NULL;
    int rc = s_reissue (self, edit->number, who, &change, &what, &successor,
                        problems);
    if (rc)
        return rc;
    reply->body_case = CF__REPLY__BODY_CERTIFICATE;
    reply->certificate = successor;
    return 0;
}

//  ------------------------------------------------------------------------
//  The monthly report to the regulator as an obligation

static void
s_obligations_drop (cf_engine_t *self)
{
    for (Cf__ReportObligation *obligation = zhashx_first (self->obligations);
         obligation; obligation = zhashx_next (self->obligations))
        cf_pb_free (&obligation);
    zhashx_purge (self->obligations);
}

//  The round's copy of month's obligation (borrowed: the round owns it)
static int
s_obligation_take (cf_engine_t *self, const char *month,
                   Cf__ReportObligation **obligation_p, cf_problems_t *problems)
{
    *obligation_p = zhashx_lookup (self->obligations, month);
    if (*obligation_p)
        return 0;
    int rc = cf_report_obligation (self->store, self->now, month, obligation_p,
                                   problems);
    if (rc == 0)
        zhashx_insert (self->obligations, month, *obligation_p);
    return rc;
}

//  Records obligation, changed, in the round with its event (name, by who,
//  why): the event is the certification body's, of no case
static int
s_obligation_record (cf_engine_t *self, Cf__ReportObligation *obligation,
                     const char *name, const Cf__Principal *who,
                     const char *reason)
{
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_REASON;
    data.reason = (char *)reason;
    Cf__Event event = CF__EVENT__INIT;
    event.case_id = "";
    event.event = (char *)name;
    event.principal = (Cf__Principal *)who;
    event.at = self->now;
    event.data = &data;
    event.report = obligation->month;
    int rc = cf_report_put (self->batch, obligation);
    if (rc == 0)
        rc = cf_batch_append_event (self->batch, &event);
    if (rc)
        self->poisoned = rc;
    else
        cf_log_notice ("report=%s %s by %s", obligation->month, name,
                       who->name);
    return rc;
}

//  From the 5th of the next month, once, for a month that is not
//  submitted: a reminder that its report is due. One a round: after a
//  restart past several months, the next round does the next month.
static void
s_tick_reports (cf_engine_t *self)
{
    int64_t due = INT64_MAX;
    char month[8];
    if (cf_report_next_reminder (self->store, &due, month) != 0) {
        cf_log_error ("engine: cannot read the monthly reports");
        return;
    }
    //  A month the round changed already waits for the next round
    if (due > self->now || zhashx_lookup (self->obligations, month))
        return;
    Cf__ReportObligation *obligation = NULL;
    if (s_obligation_take (self, month, &obligation, NULL) != 0) {
        cf_log_error ("engine: report %s cannot be read", month);
        return;
    }
    obligation->reminded_at = self->now;
    char *reason = NULL;
    if (asprintf (&reason,
                  "the CNCA report for %s is due by %s: write it with "
                  "certflow report cnca --month %s --out DIR, and once it is "
                  "on the regulator's platform, certflow report submitted "
                  "--month %s",
                  month, obligation->due_date, month, month) < 0)
        cf_mem_fail ();
    if (s_obligation_record (self, obligation, "report_due", &s_system,
                             reason) != 0)
        cf_log_error ("engine: report %s: its reminder was not recorded",
                      month);
    free (reason);
}

//  A certified case's deadline: its certificate expires or its suspension
//  runs out
static void
s_tick_certificate (cf_engine_t *self, const char *case_id, const char *number)
{
    Cf__Certificate *certificate = NULL;
    if (s_certificate_take (self, number, &certificate) != 0) {
        cf_log_error ("case=%s: certificate %s not found for its timer",
                      case_id, number);
        zhashx_insert (self->stuck, case_id, (void *)1);
        return;
    }
    Cf__Case *record = NULL;
    const s_scheme_t *governs = NULL;
    int event = -1;
    if (s_case_take (self, case_id, &record) == 0) {
        if (s_scheme_of (self, record, &governs, NULL) == 0)
            event =
                cf_certfsm_due_event (certificate, governs->scheme, self->now);
        s_case_keep (self, record);
    }
    s_certificate_keep (self, certificate);
    if (!governs) {
        zhashx_insert (self->stuck, case_id, (void *)1);
        return;
    }
    if (event < 0)
        return;
    //  A renewed certificate hands over to its successor at its end
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    char *reason = NULL, *successor = NULL;
    int made = 0;
    if (event == CF_CERT_EVENT_SUPERSEDED) {
        successor = cf_mem_check (strdup (certificate->superseded_by));
        made = asprintf (&reason,
                         "renewed: certificate %s continues from the day "
                         "after %s",
                         successor, certificate->expiry_date);
        change.successor = successor;
    } else if (event == CF_CERT_EVENT_VISIT_DUE) {
        size_t visit = 0;
        const Cf__Visit *awaited =
            cf_certfsm_visit_awaited (certificate, &visit);
        made = asprintf (&reason,
                         "surveillance visit %zu is due on %s: open it with "
                         "certflow surveillance open %s",
                         visit + 1, awaited ? awaited->due : "?", number);
    } else if (event == CF_CERT_EVENT_RENEWAL_DUE)
        made = asprintf (&reason,
                         "the certificate expires on %s; its renewal may be "
                         "applied for now (certflow submit FILE --renews %s)",
                         certificate->expiry_date, number);
    if (made < 0)
        cf_mem_fail ();
    change.reason = reason;
    cf_problems_t *problems = cf_problems_new ();
    if (s_certificate_fire (self, number, (cf_cert_event_t)event, &s_system,
                            reason ? &change : NULL, NULL, problems) != 0) {
        char *why = cf_problems_join (problems);
        cf_log_error ("certificate=%s: timer did not fire: %s", number, why);
        free (why);
        zhashx_insert (self->stuck, case_id, (void *)1);
    }
    cf_problems_destroy (&problems);
    free (reason);
    free (successor);
}

//  ------------------------------------------------------------------------
//  Client requests

//  Staff roles that read every case
static bool
s_staff (const Cf__Principal *who)
{
    switch (who->role) {
        case CF__ROLE__ROLE_REVIEWER:
        case CF__ROLE__ROLE_AUDITOR:
        case CF__ROLE__ROLE_COMMITTEE:
        case CF__ROLE__ROLE_ADMIN:
        case CF__ROLE__ROLE_MONITOR:
            return true;
        default:
            return false;
    }
}

//  True when who is a user of a consultancy
static bool
s_consultancy (cf_engine_t *self, const Cf__Principal *who)
{
    return who->role == CF__ROLE__ROLE_APPLICANT &&
           cf_agency_kind (self->agency, who->org) ==
               CF__ORG_KIND__ORG_KIND_CONSULTANCY;
}

//  True when who is a consultancy's user whose appointment by company runs
//  now and grants act (NULL: any act, which lets it read)
static bool
s_acts_for (cf_engine_t *self, const Cf__Principal *who, const char *company,
            const char *act)
{
    return s_consultancy (self, who) &&
           cf_agency_acts (self->agency, who->org, company, act, self->now);
}

//  The act of an appointment an applicant's event needs, or NULL for an
//  event no appointment grants (signing is the company's own act)
static const char *
s_act_of (cf_event_t event)
{
    switch (event) {
        case CF_EVENT_SUBMIT:
            return CF_ACT_SUBMIT;
        case CF_EVENT_SUPPLEMENTED:
        case CF_EVENT_FIXES_SUBMITTED:
            return CF_ACT_RESPOND;
        case CF_EVENT_WITHDRAW:
            return CF_ACT_WITHDRAW;
        default:
            return NULL;
    }
}

//  The organizations whose cases and certificates applicant who sees now:
//  its own, and a consultancy's appointed companies. A new hash (org ->
//  itself) the caller destroys.
static zhashx_t *
s_visible_orgs (cf_engine_t *self, const Cf__Principal *who)
{
    zhashx_t *orgs = zhashx_new ();
    zhashx_set_duplicator (orgs, (zhashx_duplicator_fn *)strdup);
    zhashx_set_destructor (orgs, (zhashx_destructor_fn *)zstr_free);
    zhashx_insert (orgs, who->org, who->org);
    if (!s_consultancy (self, who))
        return orgs;
    char **clients = NULL;
    size_t count = 0;
    if (cf_agency_clients (self->agency, who->org, self->now, &clients,
                           &count) != 0)
        cf_log_error ("appointments of %s cannot be read", who->org);
    for (size_t index = 0; index < count; index++)
        zhashx_insert (orgs, clients[index], clients[index]);
    cf_store_keys_free (&clients, count);
    return orgs;
}

//  True when who may see record: staff, the company's own users, or a
//  consultancy it appointed, while the appointment runs
static bool
s_may_see (cf_engine_t *self, const Cf__Principal *who, const Cf__Case *record)
{
    if (who->role == CF__ROLE__ROLE_APPLICANT)
        return strcmp (who->org, record->org) == 0 ||
               s_acts_for (self, who, record->org, NULL);
    return s_staff (who);
}

static int
s_forbidden (cf_problems_t *problems, const Cf__Principal *who,
             const char *what)
{
    cf_problems_add (problems, "auth.role",
                     "%s may not %s; ask an administrator for a certificate "
                     "with the right role",
                     cf_fsm_role_name ((cf_role_t)who->role), what);
    return CF_EFORBIDDEN;
}

static int
s_not_found (cf_problems_t *problems, const char *case_id)
{
    cf_problems_add (problems, "case.unknown", "no case %.*s",
                     CF_UTF8_CUT (case_id, CF_UTF8_QUOTE_MAX));
    return CF_ENOTFOUND;
}

//  Reads a committed case that who may see. An applicant asking for another
//  organization's case hears what it would hear for a missing case, and the
//  attempt is recorded on that case.
static int
s_read_case (cf_engine_t *self, const Cf__Principal *who, const char *case_id,
             const char *attempt, Cf__Case **record_p, cf_problems_t *problems)
{
    int rc = cf_store_get_case (self->store, case_id, record_p);
    if (rc == CF_ENOTFOUND)
        return s_not_found (problems, case_id);
    if (rc)
        return rc;
    if (s_may_see (self, who, *record_p))
        return 0;
    cf_pb_free (record_p);
    if (who->role != CF__ROLE__ROLE_APPLICANT)
        return s_forbidden (problems, who, "read cases");
    cf_problems_t *why = cf_problems_new ();
    cf_problems_add (why, "auth.org",
                     "organization %s asked for a case of another "
                     "organization",
                     who->org);
    s_record_refusal (self, case_id, attempt, who, CF_EFORBIDDEN, why);
    cf_problems_destroy (&why);
    return s_not_found (problems, case_id);
}

static int
s_do_submit (cf_engine_t *self, const Cf__Principal *who,
             const Cf__SubmitRequest *submit, Cf__Reply *reply,
             cf_problems_t *problems)
{
    if (!submit->application) {
        cf_problems_add (problems, "submit.application",
                         "submit needs an application");
        return CF_EINVAL;
    }
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_APPLICATION;
    data.application = submit->application;
    //  The id is taken only once the state machine accepts the case
    cf_fsm_input_t input = {.scheme = self->scheme,
                            .principal = who,
                            .data = &data,
                            .now = self->now};
    //  The facts the guards check: the certificate a recertification
    //  renews, or those the company already holds
    Cf__Certificate *renewed = NULL;
    Cf__Certificate **held = NULL;
    int rc = 0;
    //  A consultancy submits for the company with the application's credit
    //  code that appointed it to submit
    char *company = NULL;
    if (s_consultancy (self, who)) {
        const char *uscc = submit->application->uscc;
        rc = cf_agency_company_for (self->agency, who->org, uscc, self->now,
                                    &company);
        if (rc == CF_ENOTFOUND) {
            cf_problems_add (
                problems, "auth.appointment",
                "%s is not appointed to submit for the company with credit "
                "code %.*s; an administrator records appointments "
                "(certflow appointment add)",
                who->org, CF_UTF8_CUT (uscc ? uscc : "", CF_UTF8_QUOTE_MAX));
            cf_log_notice ("submit by %s (%s) refused: not appointed for %s",
                           who->name, who->org, uscc ? uscc : "");
            rc = CF_EFORBIDDEN;
        }
        input.acts_for = company;
    }
    if (rc) {
        cf_pb_free (&record);
        return rc;
    }
    if (!s_blank (submit->renews)) {
        record->kind = CF__CASE_KIND__CASE_KIND_RECERTIFICATION;
        rc = s_certificate_take (self, submit->renews, &renewed);
        if (rc == CF_ENOTFOUND)
            rc = 0;
        if (renewed && !s_blank (renewed->renewal)) {
            Cf__Case *open = NULL;
            if (s_case_take (self, renewed->renewal, &open) == 0) {
                input.renewal_open =
                    !cf_fsm_state_terminal ((cf_state_t)open->state);
                s_case_keep (self, open);
            }
        }
        input.certificate = renewed;
    } else if (submit->application->uscc)
        rc = s_held (self, submit->application->uscc, &held, &input.held_count);
    input.held = held;
    cf_fsm_outcome_t outcome;
    if (rc == 0)
        rc = cf_fsm_fire (&record, CF_EVENT_SUBMIT, &input, &outcome, problems);
    for (size_t index = 0; index < input.held_count; index++)
        cf_pb_free (&held[index]);
    free (held);
    free (company);
    uint64_t number = 0;
    if (rc == 0)
        rc = s_number_case (self, record, &outcome, who, &data, &number);
    if (rc == 0 && outcome.job)
        rc = s_enqueue (self, record, outcome.job);
    //  The renewed certificate names the case that renews it
    if (rc == 0 && renewed) {
        cf_pb_set_string (&renewed->renewal, record->id);
        rc = cf_batch_update_certificate (self->batch, renewed);
    }
    if (renewed)
        s_certificate_keep (self, renewed);
    if (rc) {
        if (number)
            self->poisoned = rc;
        cf_pb_free (&record);
        return rc;
    }
    reply->body_case = CF__REPLY__BODY_RECORD;
    reply->record = cf_pb_dup (&record->base);
    s_case_keep (self, record);
    return 0;
}

static int
s_do_fire (cf_engine_t *self, const Cf__Principal *who,
           const Cf__FireRequest *fire, Cf__Reply *reply,
           cf_problems_t *problems)
{
    cf_event_t event;
    if (cf_fsm_event_from_name (fire->event, &event) != 0) {
        cf_problems_add (problems, "fire.event",
                         "unknown event '%.*s'; see certflow dot for the "
                         "events each state accepts",
                         CF_UTF8_CUT (fire->event, CF_UTF8_QUOTE_MAX));
        return CF_EINVAL;
    }
    //  A worker's events come with a lease it holds, through the worker API
    if (who->role == CF__ROLE__ROLE_WORKER)
        return s_forbidden (problems, who,
                            "fire events through the client API (a worker "
                            "reports job results through the worker API)");
    Cf__Case *record = NULL;
    int rc = s_case_take (self, fire->case_id, &record);
    if (rc == CF_ENOTFOUND)
        return s_not_found (problems, fire->case_id);
    if (rc)
        return rc;
    //  A consultancy acts in the company's name, for the acts appointed
    const char *acts_for = NULL;
    if (who->role == CF__ROLE__ROLE_APPLICANT &&
        strcmp (who->org, record->org) != 0 &&
        s_acts_for (self, who, record->org, NULL)) {
        acts_for = record->org;
        const char *act = s_act_of (event);
        if (act && !s_acts_for (self, who, record->org, act)) {
            cf_problems_add (problems, "auth.appointment",
                             "%s is not appointed by %s to %s; an "
                             "administrator records appointments",
                             who->org, record->org, act);
            rc = CF_EFORBIDDEN;
        }
    } else if (who->role == CF__ROLE__ROLE_APPLICANT &&
               strcmp (who->org, record->org) != 0) {
        s_case_keep (self, record);
        cf_problems_t *why = cf_problems_new ();
        cf_problems_add (why, "auth.org",
                         "organization %s acted on a case of another "
                         "organization",
                         who->org);
        s_record_refusal (self, fire->case_id, fire->event, who, CF_EFORBIDDEN,
                          why);
        cf_problems_destroy (&why);
        return s_not_found (problems, fire->case_id);
    }
    //  Issued by hand, the certificate still takes the number reserved
    //  with the case's issuance job
    Cf__Job *issuance = NULL;
    if (rc == 0 && event == CF_EVENT_CERTIFICATE_ISSUED) {
        char *key = s_active_key (record->id, "issuance");
        uint64_t id = (uintptr_t)zhashx_lookup (self->active, key);
        free (key);
        if (!id || cf_store_get_job (self->store, id, &issuance) != 0) {
            cf_problems_add (problems, "issue.number",
                             "no certificate number is reserved for case %s; "
                             "the issuance stage reserves it",
                             record->id);
            rc = CF_EGUARD;
        }
    }
    if (rc == 0)
        rc = s_fire (self, &record, event, who, acts_for, fire->data, issuance,
                     problems);
    cf_pb_free (&issuance);
    s_case_keep (self, record);
    if (rc == CF_EGUARD || rc == CF_EFORBIDDEN || rc == CF_ENOTRANSITION) {
        s_record_refusal (self, fire->case_id, fire->event, who, rc, problems);
        return rc;
    }
    if (rc)
        return rc;
    //  The reply is packed before the next request may take the case
    reply->body_case = CF__REPLY__BODY_RECORD;
    reply->record = self->lent = record;
    return 0;
}

static int
s_do_status (cf_engine_t *self, const Cf__Principal *who, const char *case_id,
             Cf__Reply *reply, cf_problems_t *problems)
{
    Cf__Case *record = NULL;
    int rc = s_read_case (self, who, case_id, "read", &record, problems);
    if (rc)
        return rc;
    reply->body_case = CF__REPLY__BODY_RECORD;
    reply->record = record;
    return 0;
}

static int
s_do_history (cf_engine_t *self, const Cf__Principal *who,
              const Cf__HistoryRequest *history, Cf__Reply *reply,
              cf_problems_t *problems)
{
    Cf__Case *record = NULL;
    int rc =
        s_read_case (self, who, history->case_id, "read", &record, problems);
    if (rc)
        return rc;
    cf_pb_free (&record);
    size_t limit = history->limit && history->limit < S_EVENTS_MAX
                       ? history->limit
                       : S_EVENTS_MAX;
    Cf__EventList *list = cf_pb_new (&cf__event_list__descriptor);
    bool more = false;
    rc = cf_store_history_page (self->store, history->case_id, history->after,
                                limit, S_PAGE_BYTES_MAX, &list->events,
                                &list->n_events, &more);
    list->more = more;
    list->last_seq = self->last_seq;
    reply->body_case = CF__REPLY__BODY_EVENTS;
    reply->events = list;
    return rc;
}

static int
s_by_case_id (const void *first, const void *second)
{
    return strcmp ((*(Cf__Case *const *)first)->id,
                   (*(Cf__Case *const *)second)->id);
}

//  A consultancy's page: the cases of the companies it acts for now (or of
//  list->org among them), merged in case id order. Each company's index
//  gives at most limit after the cursor; the first limit of them all are
//  the page.
static int
s_consultancy_list (cf_engine_t *self, const Cf__Principal *who,
                    const Cf__ListRequest *list, size_t limit, Cf__Page *page,
                    char **next_p)
{
    char **clients = NULL;
    size_t count = 0;
    int rc =
        cf_agency_clients (self->agency, who->org, self->now, &clients, &count);
    bool more = false;
    for (size_t index = 0; rc == 0 && index < count; index++) {
        if (!s_blank (list->org) && strcmp (list->org, clients[index]) != 0)
            continue;
        Cf__Case **cases = NULL;
        size_t found = 0;
        char *next = NULL;
        rc = cf_store_list_by_org (self->store, clients[index], list->after,
                                   limit, &cases, &found, &next);
        more = more || next;
        free (next);
        for (size_t item = 0; item < found; item++)
            cf_pb_append (&page->n_cases, (void ***)&page->cases, cases[item]);
        free (cases);
    }
    cf_store_keys_free (&clients, count);
    if (page->n_cases > 1)
        qsort (page->cases, page->n_cases, sizeof page->cases[0], s_by_case_id);
    while (page->n_cases > limit) {
        cf_pb_free (&page->cases[--page->n_cases]);
        more = true;
    }
    if (rc == 0 && more && page->n_cases > 0)
        *next_p = cf_mem_check (strdup (page->cases[page->n_cases - 1]->id));
    return rc;
}

static int
s_do_list (cf_engine_t *self, const Cf__Principal *who,
           const Cf__ListRequest *list, Cf__Reply *reply,
           cf_problems_t *problems)
{
    if (who->role != CF__ROLE__ROLE_APPLICANT && !s_staff (who))
        return s_forbidden (problems, who, "list cases");
    const char *org =
        who->role == CF__ROLE__ROLE_APPLICANT ? who->org : list->org;
    size_t limit = list->limit ? list->limit : 20;
    if (limit > self->config.page_max)
        limit = self->config.page_max;
    Cf__Page *page = cf_pb_new (&cf__page__descriptor);
    reply->body_case = CF__REPLY__BODY_PAGE;
    reply->page = page;
    char *next = NULL;
    int rc;
    bool consultancy = s_consultancy (self, who);
    if (consultancy)
        rc = s_consultancy_list (self, who, list, limit, page, &next);
    else if (!s_blank (org))
        rc = cf_store_list_by_org (self->store, org, list->after, limit,
                                   &page->cases, &page->n_cases, &next);
    else if (list->state != CF__STATE__STATE_UNSPECIFIED)
        rc =
            cf_store_list_by_state (self->store, list->state, list->after,
                                    limit, &page->cases, &page->n_cases, &next);
    else
        rc = cf_store_list_cases (self->store, list->after, limit, &page->cases,
                                  &page->n_cases, &next);
    //  With both filters the organization's index pages; the state filters
    if (rc == 0 && (consultancy || !s_blank (org)) &&
        list->state != CF__STATE__STATE_UNSPECIFIED) {
        size_t kept = 0;
        for (size_t index = 0; index < page->n_cases; index++)
            if (page->cases[index]->state == list->state)
                page->cases[kept++] = page->cases[index];
            else
                cf_pb_free (&page->cases[index]);
        page->n_cases = kept;
    }
    cf_pb_set_string (&page->next, next);
    free (next);
    return rc;
}

//  An applicant's page of events since: pages of the log are read and
//  filtered until limit visible events, the size bound or S_SCAN_MAX events
//  read; list->scanned says how far it looked, so a page with few or none
//  of the applicant's events still moves the catch-up on
static int
s_applicant_events (cf_engine_t *self, const Cf__Principal *who, uint64_t after,
                    size_t limit, Cf__EventList *list)
{
    //  Case id -> its organization, read once per case
    zhashx_t *orgs = zhashx_new ();
    zhashx_set_destructor (orgs, (zhashx_destructor_fn *)zstr_free);
    //  The organizations whose events it sees, as of now
    zhashx_t *visible = s_visible_orgs (self, who);
    size_t bytes = 0, scanned = 0;
    bool more = true, full = false;
    int rc = 0;
    list->scanned = after;
    while (rc == 0 && more && !full && scanned < S_SCAN_MAX) {
        Cf__Event **events = NULL;
        size_t count = 0;
        rc = cf_store_events_page (self->store, list->scanned, S_EVENTS_MAX,
                                   S_PAGE_BYTES_MAX, &events, &count, &more);
        size_t index = 0;
        for (; rc == 0 && index < count && !full; index++) {
            Cf__Event *event = events[index];
            char *org = zhashx_lookup (orgs, event->case_id);
            Cf__Case *record = NULL;
            if (!org &&
                cf_store_get_case (self->store, event->case_id, &record) == 0) {
                zhashx_insert (orgs, event->case_id, strdup (record->org));
                org = zhashx_lookup (orgs, event->case_id);
                cf_pb_free (&record);
            }
            if (org && zhashx_lookup (visible, org)) {
                size_t size = protobuf_c_message_get_packed_size (&event->base);
                if (list->n_events > 0 && bytes + size > S_PAGE_BYTES_MAX) {
                    full = true;
                    break;
                }
                bytes += size;
                cf_pb_append (&list->n_events, (void ***)&list->events, event);
                events[index] = NULL;
                full = list->n_events == limit;
            }
            list->scanned = event->seq;
            scanned++;
        }
        //  Events of this page not looked at are more to come
        if (index < count)
            more = true;
        cf_store_events_free (&events, count);
    }
    list->more = more;
    zhashx_destroy (&orgs);
    zhashx_destroy (&visible);
    return rc;
}

static int
s_do_events (cf_engine_t *self, const Cf__Principal *who,
             const Cf__EventsSince *since, Cf__Reply *reply,
             cf_problems_t *problems)
{
    if (who->role != CF__ROLE__ROLE_APPLICANT && !s_staff (who))
        return s_forbidden (problems, who, "read events");
    size_t limit = since->limit && since->limit < S_EVENTS_MAX ? since->limit
                                                               : S_EVENTS_MAX;
    Cf__EventList *list = cf_pb_new (&cf__event_list__descriptor);
    reply->body_case = CF__REPLY__BODY_EVENTS;
    reply->events = list;
    list->last_seq = self->last_seq;
    //  An applicant sees its own organization's events only
    if (who->role == CF__ROLE__ROLE_APPLICANT)
        return s_applicant_events (self, who, since->after, limit, list);
    bool more = false;
    int rc = cf_store_events_page (self->store, since->after, limit,
                                   S_PAGE_BYTES_MAX, &list->events,
                                   &list->n_events, &more);
    list->more = more;
    list->scanned =
        list->n_events ? list->events[list->n_events - 1]->seq : since->after;
    return rc;
}

static int
s_do_incidents (cf_engine_t *self, const Cf__Principal *who, Cf__Reply *reply,
                cf_problems_t *problems)
{
    if (!s_staff (who))
        return s_forbidden (problems, who, "list incidents");
    Cf__JobList *list = cf_pb_new (&cf__job_list__descriptor);
    reply->body_case = CF__REPLY__BODY_JOBS;
    reply->jobs = list;
    return cf_store_jobs (self->store, CF__JOB_STATUS__JOB_STATUS_PARKED,
                          &list->jobs, &list->n_jobs);
}

static int
s_do_retry (cf_engine_t *self, const Cf__Principal *who, uint64_t id,
            cf_problems_t *problems)
{
    if (who->role != CF__ROLE__ROLE_ADMIN)
        return s_forbidden (problems, who, "retry jobs");
    Cf__Job *job = NULL;
    int rc = cf_store_get_job (self->store, id, &job);
    if (rc == CF_ENOTFOUND)
        cf_problems_add (problems, "job.unknown", "no job %" PRIu64, id);
    if (rc)
        return rc;
    if (job->status != CF__JOB_STATUS__JOB_STATUS_PARKED) {
        cf_problems_add (problems, "job.not_parked",
                         "job %" PRIu64 " is not parked; only incidents are "
                         "retried",
                         id);
        cf_pb_free (&job);
        return CF_EGUARD;
    }
    job->status = CF__JOB_STATUS__JOB_STATUS_READY;
    job->attempts = 0;
    job->due_at = 0;
    rc = s_job_put (self, job);
    if (rc) {
        cf_pb_free (&job);
        return rc;
    }
    cf_log_notice ("job=%" PRIu64 " case=%s stage=%s retried by %s", job->id,
                   job->case_id, job->stage, who->name);
    s_ready_add (self, job);
    return 0;
}

//  The day a certificate event took effect: a decision's when it was made;
//  an expiry (or a renewal taking over) at the end of the expiry day, so
//  from the day after, however late the daemon's timer committed it
static cf_day_t
s_effective_day (const Cf__Certificate *cert, const Cf__Event *event)
{
    cf_day_t day = cf_date_from_ms (event->at), expiry;
    bool ended = strcmp (event->event, "certificate_expired") == 0 ||
                 strcmp (event->event, "certificate_superseded") == 0;
    if (ended && cf_date_parse (cert->expiry_date, &expiry) == 0 &&
        day > expiry)
        return expiry + 1;
    return day;
}

//  Sets cert's status, its date and reason to what they were on day, from
//  its case's history; CF_ENOTFOUND when it was not yet issued then
static int
s_certificate_on (cf_engine_t *self, Cf__Certificate *cert, cf_day_t day,
                  cf_problems_t *problems)
{
    cf_day_t issued;
    if (cf_date_parse (cert->issue_date, &issued) != 0 || day < issued) {
        char on[11];
        cf_problems_add (problems, "certificate.not_in_force",
                         "certificate %s was not in force on %s: it starts on "
                         "%s",
                         cert->number, cf_date_format (day, on),
                         cert->issue_date);
        return CF_ENOTFOUND;
    }
    Cf__CertStatus status = CF__CERT_STATUS__CERT_STATUS_VALID;
    char *since = cf_mem_check (strdup (cert->issue_date));
    char *reason = cf_mem_check (strdup ("issued"));
    uint64_t after = 0;
    bool more = true;
    int rc = 0;
    while (rc == 0 && more) {
        Cf__Event **events = NULL;
        size_t count = 0;
        rc = cf_store_history_page (self->store, cert->case_id, after, 200,
                                    S_PAGE_BYTES_MAX, &events, &count, &more);
        for (size_t index = 0; rc == 0 && index < count; index++) {
            const Cf__Event *event = events[index];
            after = event->seq;
            if (strcmp (event->certificate, cert->number) != 0 ||
                *event->refused ||
                event->certificate_to == event->certificate_from ||
                s_effective_day (cert, event) > day)
                continue;
            status = event->certificate_to;
            char date[11];
            free (since);
            since = cf_mem_check (
                strdup (cf_date_format (s_effective_day (cert, event), date)));
            free (reason);
            const Cf__EventData *data = event->data;
            reason = cf_mem_check (strdup (
                data && data->body_case == CF__EVENT_DATA__BODY_CHANGE &&
                        *data->change->reason
                    ? data->change->reason
                    : event->event));
        }
        for (size_t index = 0; index < count; index++)
            cf_pb_free (&events[index]);
        free (events);
        more = more && count > 0;
    }
    if (rc == 0) {
        //  A suspension shows when it is the one in force on that day
        cf_day_t from;
        if (status != CF__CERT_STATUS__CERT_STATUS_SUSPENDED ||
            !cert->suspension ||
            cf_date_parse (cert->suspension->from, &from) != 0 || from > day)
            cf_pb_free (&cert->suspension);
        cert->status = status;
        cf_pb_set_string (&cert->status_date, since);
        cf_pb_set_string (&cert->status_reason, reason);
    }
    free (since);
    free (reason);
    return rc;
}

static int
s_do_certificate (cf_engine_t *self, const Cf__CertificateRef *ref,
                  Cf__Reply *reply, cf_problems_t *problems)
{
    cf_day_t on = cf_date_from_ms (self->now);
    if (!s_blank (ref->on) && cf_date_parse (ref->on, &on) != 0) {
        cf_problems_add (problems, "certificate.on",
                         "'%.*s' is not a date YYYY-MM-DD",
                         CF_UTF8_CUT (ref->on, CF_UTF8_QUOTE_MAX));
        return CF_EINVAL;
    }
    Cf__Certificate *certificate = NULL;
    int rc = cf_store_get_certificate (self->store, ref->number, &certificate);
    if (rc == CF_ENOTFOUND)
        cf_problems_add (problems, "certificate.unknown",
                         "no certificate %.*s in the register",
                         CF_UTF8_CUT (ref->number, CF_UTF8_QUOTE_MAX));
    if (rc)
        return rc;
    if (s_blank (ref->on))
        certificate->status = cf_certificate_status_on (certificate, on);
    else
        rc = s_certificate_on (self, certificate, on, problems);
    if (rc) {
        cf_pb_free (&certificate);
        return rc;
    }
    reply->body_case = CF__REPLY__BODY_CERTIFICATE;
    reply->certificate = certificate;
    return 0;
}

//  The document of certificate ref->number: its fields signed with the
//  body's key, for its holder's applicants and for staff. An applicant of
//  another organization hears "not found", and the attempt is recorded.
//  Only a certificate valid today gets one.
static int
s_do_certificate_document (cf_engine_t *self, const Cf__Principal *who,
                           const Cf__CertificateRef *ref, Cf__Reply *reply,
                           cf_problems_t *problems)
{
    if (!s_staff (who) && who->role != CF__ROLE__ROLE_APPLICANT)
        return s_forbidden (problems, who, "ask for certificate documents");
    if (!self->config.seal_key) {
        cf_problems_add (problems, "certificate.seal",
                         "this daemon has no signing key; restart certflowd, "
                         "which makes DATA/keys/" CF_SEAL_SECRET_FILE);
        return CF_EIO;
    }
    Cf__Certificate *certificate = NULL;
    int rc = cf_store_get_certificate (self->store, ref->number, &certificate);
    //  The holder's own users, and its consultancy while appointed
    if (rc == 0 && who->role == CF__ROLE__ROLE_APPLICANT &&
        strcmp (who->org, certificate->org) != 0 &&
        !s_acts_for (self, who, certificate->org, NULL)) {
        cf_problems_t *why = cf_problems_new ();
        cf_problems_add (why, "auth.org",
                         "organization %s asked for the document of a "
                         "certificate of another organization",
                         who->org);
        s_record_refusal (self, certificate->case_id, "certificate_document",
                          who, CF_EFORBIDDEN, why);
        cf_problems_destroy (&why);
        cf_pb_free (&certificate);
        rc = CF_ENOTFOUND;
    }
    if (rc == CF_ENOTFOUND)
        cf_problems_add (problems, "certificate.unknown",
                         "no certificate %.*s in the register",
                         CF_UTF8_CUT (ref->number, CF_UTF8_QUOTE_MAX));
    if (rc)
        return rc;
    certificate->status =
        cf_certificate_status_on (certificate, cf_date_from_ms (self->now));
    if (certificate->status != CF__CERT_STATUS__CERT_STATUS_VALID) {
        cf_problems_add (
            problems, "certificate.status",
            "%s is %s since %s: a document is made for a valid "
            "certificate only (certflow certificate check %s "
            "says why)",
            certificate->number, cf_certfsm_status_name (certificate->status),
            s_blank (certificate->status_date) ? certificate->expiry_date
                                               : certificate->status_date,
            certificate->number);
        cf_pb_free (&certificate);
        return CF_EGUARD;
    }
    //  The grade as the scheme that governed the case words it
    Cf__Case probe = CF__CASE__INIT;
    probe.id = certificate->case_id;
    probe.scheme_version = certificate->scheme_version;
    const s_scheme_t *governs = NULL;
    rc = s_scheme_of (self, &probe, &governs, problems);
    char *grade = NULL, *payload = NULL;
    cf_seal_t *seal = NULL;
    if (rc == 0) {
        grade = cf_certificate_grade_text (governs->scheme, certificate->grade);
        seal = cf_seal_new (certificate, grade, self->config.register_url);
        rc = cf_seal_sign (seal, self->config.seal_key, problems);
    }
    if (rc == 0)
        payload = cf_seal_payload (seal);
    cf_seal_destroy (&seal);
    free (grade);
    if (rc) {
        cf_pb_free (&certificate);
        return rc;
    }
    Cf__CertificateDocument *document =
        cf_pb_new (&cf__certificate_document__descriptor);
    document->certificate = certificate;
    cf_pb_set_string (&document->payload, payload);
    free (payload);
    cf_pb_set_string (&document->key_id,
                      cf_seal_key_id (self->config.seal_key));
    reply->body_case = CF__REPLY__BODY_DOCUMENT;
    reply->document = document;
    cf_log_info ("certificate=%s document signed for %s", ref->number,
                 who->name);
    return 0;
}

//  What a certificate list asks for
typedef struct {
    Cf__CertStatus status;  //  This status, or any
    const char *org;        //  This holder, or any
    zhashx_t *orgs;         //  One of these holders, or any (NULL)
    bool by_due;            //  Only those with something due by
    cf_day_t due_by;        //  this day: a visit not yet passed, or expiry
} s_certificate_query_t;

static bool
s_certificate_wanted (const Cf__Certificate *cert, void *argument)
{
    const s_certificate_query_t *query = argument;
    if (query->status != CF__CERT_STATUS__CERT_STATUS_UNSPECIFIED &&
        cert->status != query->status)
        return false;
    if (!s_blank (query->org) && strcmp (cert->org, query->org) != 0)
        return false;
    if (query->orgs && !zhashx_lookup (query->orgs, cert->org))
        return false;
    if (!query->by_due)
        return true;
    if (cf_certfsm_status_final (cert->status))
        return false;
    cf_day_t day;
    for (size_t index = 0; index < cert->n_visits; index++) {
        const Cf__Visit *visit = cert->visits[index];
        bool passed = strcmp (visit->outcome, CF_VISIT_MAINTAINED) == 0 ||
                      strcmp (visit->outcome, CF_VISIT_GRADE_CHANGED) == 0;
        if (!passed && cf_date_parse (visit->due, &day) == 0 &&
            day <= query->due_by)
            return true;
    }
    return cf_date_parse (cert->expiry_date, &day) == 0 && day <= query->due_by;
}

//  Certificates by status, holder and what falls due; an applicant sees
//  its own organization's only
static int
s_do_certificates (cf_engine_t *self, const Cf__Principal *who,
                   const Cf__CertificateQuery *query, Cf__Reply *reply,
                   cf_problems_t *problems)
{
    if (who->role != CF__ROLE__ROLE_APPLICANT && !s_staff (who))
        return s_forbidden (problems, who, "list certificates");
    s_certificate_query_t wanted = {
        .status = query->status,
        .org = who->role == CF__ROLE__ROLE_APPLICANT ? who->org : query->org,
        .by_due = !s_blank (query->due_by)};
    //  A consultancy: the certificates of the companies it acts for now
    zhashx_t *visible = NULL;
    if (s_consultancy (self, who)) {
        visible = s_visible_orgs (self, who);
        zhashx_delete (visible, who->org);
        if (!s_blank (query->org) && zhashx_lookup (visible, query->org)) {
            zhashx_purge (visible);
            zhashx_insert (visible, query->org, query->org);
        } else if (!s_blank (query->org))
            zhashx_purge (visible);
        wanted.org = NULL;
        wanted.orgs = visible;
    }
    if (wanted.by_due && cf_date_parse (query->due_by, &wanted.due_by) != 0) {
        cf_problems_add (problems, "certificates.due_by",
                         "'%.*s' is not a date YYYY-MM-DD",
                         CF_UTF8_CUT (query->due_by, CF_UTF8_QUOTE_MAX));
        zhashx_destroy (&visible);
        return CF_EINVAL;
    }
    size_t limit = query->limit ? query->limit : 20;
    if (limit > self->config.page_max)
        limit = self->config.page_max;
    Cf__CertificateList *list = cf_pb_new (&cf__certificate_list__descriptor);
    reply->body_case = CF__REPLY__BODY_CERTIFICATES;
    reply->certificates = list;
    char *next = NULL;
    int rc = cf_store_list_certificates (
        self->store, query->after, limit, S_SCAN_MAX, s_certificate_wanted,
        &wanted, &list->certificates, &list->n_certificates, &next);
    zhashx_destroy (&visible);
    cf_pb_set_string (&list->next, next);
    free (next);
    if (rc == CF_EINVAL)
        cf_problems_add (problems, "certificates.page",
                         "the page cursor is too long or the limit is 0");
    return rc;
}

static int
s_do_staff_put (cf_engine_t *self, const Cf__Principal *who,
                const Cf__Staff *staff, cf_problems_t *problems)
{
    if (who->role != CF__ROLE__ROLE_ADMIN)
        return s_forbidden (problems, who, "change staff records");
    if (!staff || s_blank (staff->id) || s_blank (staff->name)) {
        cf_problems_add (problems, "staff.id",
                         "a staff record needs id and name");
        return CF_EINVAL;
    }
    int rc = 0;
    cf_day_t day;
    if (cf_date_parse (staff->qualified_from, &day) != 0 ||
        cf_date_parse (staff->qualified_until, &day) != 0) {
        cf_problems_add (problems, "staff.qualification",
                         "%s: qualified_from and qualified_until must be "
                         "dates YYYY-MM-DD",
                         staff->id);
        rc = CF_EINVAL;
    }
    if (cf_cnca_check_registration (staff->registration) != 0) {
        cf_problems_add (
            problems, "staff.registration",
            "%.*s: registration '%.*s' is not a registration number: the "
            "CCAA registration certificate number, letters, digits, '-' and "
            "'/', at most %d characters, or none",
            CF_UTF8_CUT (staff->id, CF_UTF8_QUOTE_MAX),
            CF_UTF8_CUT (staff->registration, CF_UTF8_QUOTE_MAX),
            CF_CNCA_REGISTRATION_MAX);
        rc = CF_EINVAL;
    }
    for (size_t index = 0; index < staff->n_roles; index++) {
        cf_role_t role;
        if (strcmp (staff->roles[index], "leader") != 0 &&
            cf_fsm_role_from_name (staff->roles[index], &role) != 0) {
            cf_problems_add (
                problems, "staff.role", "%.*s: unknown role '%.*s'",
                CF_UTF8_CUT (staff->id, CF_UTF8_QUOTE_MAX),
                CF_UTF8_CUT (staff->roles[index], CF_UTF8_QUOTE_MAX));
            rc = CF_EINVAL;
        }
    }
    if (rc)
        return rc;
    cf_log_notice ("staff=%s updated by %s", staff->id, who->name);
    return cf_batch_put_staff (self->batch, staff);
}

static int
s_do_staff_list (cf_engine_t *self, const Cf__Principal *who, Cf__Reply *reply,
                 cf_problems_t *problems)
{
    if (!s_staff (who))
        return s_forbidden (problems, who, "list staff");
    Cf__StaffList *list = cf_pb_new (&cf__staff_list__descriptor);
    reply->body_case = CF__REPLY__BODY_STAFF;
    reply->staff = list;
    return cf_store_list_staff (self->store, &list->staff, &list->n_staff);
}

//  Appointments: an administrator records and ends them; staff read them
//  all, a consultancy its own and a company those for it
static int
s_do_appointment (cf_engine_t *self, const Cf__Principal *who,
                  const Cf__Request *request, Cf__Reply *reply,
                  cf_problems_t *problems)
{
    Cf__Appointment *appointment = NULL;
    int rc;
    switch (request->body_case) {
        case CF__REQUEST__BODY_APPOINTMENT_ADD:
            if (who->role != CF__ROLE__ROLE_ADMIN) {
                cf_log_notice ("appointment add by %s refused: not an "
                               "administrator",
                               who->name);
                return s_forbidden (problems, who, "record appointments");
            }
            rc = cf_agency_add (self->agency, self->batch, who, self->now,
                                request->appointment_add, &appointment,
                                problems);
            break;
        case CF__REQUEST__BODY_APPOINTMENT_END:
            if (who->role != CF__ROLE__ROLE_ADMIN) {
                cf_log_notice ("appointment end by %s refused: not an "
                               "administrator",
                               who->name);
                return s_forbidden (problems, who, "end appointments");
            }
            rc = cf_agency_end (self->agency, self->batch, who, self->now,
                                request->appointment_end, &appointment,
                                problems);
            break;
        default: {
            if (who->role != CF__ROLE__ROLE_APPLICANT && !s_staff (who))
                return s_forbidden (problems, who, "list appointments");
            Cf__AppointmentQuery query = *request->appointments;
            if (who->role == CF__ROLE__ROLE_APPLICANT) {
                bool consultancy = cf_agency_kind (self->agency, who->org) ==
                                   CF__ORG_KIND__ORG_KIND_CONSULTANCY;
                query.consultancy = consultancy ? who->org : query.consultancy;
                query.company = consultancy ? query.company : who->org;
            }
            Cf__AppointmentList *list = NULL;
            rc = cf_agency_list (self->agency, &query, &list);
            if (rc == CF_ELIMIT)
                cf_problems_add (problems, "appointments.query",
                                 "an organization is at most %d bytes",
                                 CF_STORE_ID_MAX);
            reply->body_case = CF__REPLY__BODY_APPOINTMENT_LIST;
            reply->appointment_list = list;
            return rc;
        }
    }
    if (rc == 0) {
        reply->body_case = CF__REPLY__BODY_APPOINTMENT;
        reply->appointment = appointment;
    } else if (rc != CF_EINVAL && rc != CF_ELIMIT && rc != CF_EGUARD &&
               rc != CF_ENOTFOUND)
        self->poisoned = rc;
    return rc;
}

//  The scheme that governs record, for the report
static int
s_report_scheme (void *argument, const Cf__Case *record,
                 const cf_scheme_t **scheme)
{
    const s_scheme_t *governs = NULL;
    int rc = s_scheme_of ((cf_engine_t *)argument, record, &governs, NULL);
    *scheme = rc == 0 ? governs->scheme : NULL;
    return rc;
}

//  A page of the regulator's monthly report: it names companies, their
//  audits and the auditors, so the certification body's staff read it,
//  not applicants, workers or monitors
static int
s_do_cnca_report (cf_engine_t *self, const Cf__Principal *who,
                  const Cf__ReportQuery *query, Cf__Reply *reply,
                  cf_problems_t *problems)
{
    switch (who->role) {
        case CF__ROLE__ROLE_REVIEWER:
        case CF__ROLE__ROLE_AUDITOR:
        case CF__ROLE__ROLE_COMMITTEE:
        case CF__ROLE__ROLE_ADMIN:
            break;
        default:
            return s_forbidden (problems, who,
                                "read the regulator's report (staff only)");
    }
    Cf__ReportPage *page = NULL;
    int rc = cf_report_page (self->store, self->now, query, s_report_scheme,
                             self, S_PAGE_BYTES_MAX, &page, problems);
    if (rc)
        return rc;
    reply->body_case = CF__REPLY__BODY_REPORT;
    reply->report = page;
    return 0;
}

//  The monthly reports the certification body owes, with their status
static int
s_do_reports (cf_engine_t *self, const Cf__Principal *who, Cf__Reply *reply,
              cf_problems_t *problems)
{
    if (!s_staff (who) || who->role == CF__ROLE__ROLE_MONITOR)
        return s_forbidden (problems, who,
                            "list the regulator's reports (staff only)");
    Cf__ReportObligations *list = NULL;
    int rc = cf_report_obligations (self->store, self->now, &list);
    if (rc)
        return rc;
    reply->body_case = CF__REPLY__BODY_REPORTS;
    reply->reports = list;
    return 0;
}

//  An admin records that a month's report is on the regulator's platform:
//  once, for a month that has ended, with who and when
static int
s_do_report_submitted (cf_engine_t *self, const Cf__Principal *who,
                       const Cf__ReportSubmission *submission, Cf__Reply *reply,
                       cf_problems_t *problems)
{
    if (who->role != CF__ROLE__ROLE_ADMIN)
        return s_forbidden (problems, who,
                            "mark the regulator's report submitted (admin "
                            "only)");
    if (strlen (submission->reference) > 200) {
        cf_problems_add (problems, "report.reference",
                         "the reference is over 200 bytes: give the "
                         "platform's receipt number only");
        return CF_EINVAL;
    }
    Cf__ReportObligation *obligation = NULL;
    int rc = s_obligation_take (self, submission->month, &obligation, problems);
    if (rc)
        return rc;
    int64_t start, end;
    if (cf_cnca_month (obligation->month, &start, &end) == 0 &&
        end > self->now) {
        char day[11];
        cf_problems_add (problems, "report.month",
                         "month %s is not over: its report is submitted from "
                         "%s, when its rows are final",
                         obligation->month,
                         cf_date_format (cf_date_from_ms (end), day));
        return CF_EGUARD;
    }
    //  The platform refuses a team member without a registration number
    size_t gaps = 0;
    rc = cf_report_problems (self->store, self->now, obligation->month,
                             s_report_scheme, self, S_PAGE_BYTES_MAX, problems,
                             &gaps);
    if (rc)
        return rc;
    if (gaps) {
        cf_problems_add (problems, "report.incomplete",
                         "the report for %s is not complete (%zu above): put "
                         "the staff records right, write the report again "
                         "with certflow report cnca, and submit that",
                         obligation->month, gaps);
        return CF_EGUARD;
    }
    if (obligation->submitted_at) {
        char when[11];
        cf_problems_add (
            problems, "report.submitted",
            "the report for %s was submitted on %s by %s", obligation->month,
            cf_date_format (cf_date_from_ms (obligation->submitted_at), when),
            obligation->submitted_by);
        return CF_EEXIST;
    }
    obligation->submitted_at = self->now;
    cf_pb_set_string (&obligation->submitted_by, who->name);
    cf_pb_set_string (&obligation->reference, submission->reference);
    cf_report_status (obligation, self->now);
    char *reason = NULL;
    if (asprintf (&reason, "the CNCA report for %s was submitted%s%s",
                  obligation->month, *submission->reference ? "; receipt " : "",
                  submission->reference) < 0)
        cf_mem_fail ();
    rc =
        s_obligation_record (self, obligation, "report_submitted", who, reason);
    free (reason);
    if (rc)
        return rc;
    Cf__ReportObligations *list =
        cf_pb_new (&cf__report_obligations__descriptor);
    cf_pb_append (&list->n_obligations, (void ***)&list->obligations,
                  cf_pb_dup (&obligation->base));
    reply->body_case = CF__REPLY__BODY_REPORTS;
    reply->reports = list;
    return 0;
}

//  The daemon's paths stay out of replies: a problem with its files is
//  logged in full and answered in a sentence
static int
s_identity_answer (int rc, cf_problems_t *problems)
{
    if (rc != CF_EIO)
        return rc;
    char *why = cf_problems_join (problems);
    cf_log_error ("identity files: %s", why);
    free (why);
    cf_problems_reset (problems);
    cf_problems_add (problems, "identity.io",
                     "the daemon cannot change its certificate directory; "
                     "its log says why");
    return rc;
}

static int
s_do_identity (cf_engine_t *self, const Cf__Principal *who,
               const Cf__Request *request, Cf__Reply *reply,
               cf_problems_t *problems)
{
    if (who->role != CF__ROLE__ROLE_ADMIN)
        return s_forbidden (problems, who, "manage identities");
    if (request->body_case == CF__REQUEST__BODY_IDENTITY_REVOKE) {
        int rc = cf_identity_revoke (self->config.certs_dir,
                                     request->identity_revoke->key, problems);
        if (rc == 0) {
            cf_log_notice ("identity %s revoked by %s",
                           request->identity_revoke->key, who->name);
            self->identities_changed = true;
            self->identities_revoked = true;
        }
        return s_identity_answer (rc, problems);
    }
    const Cf__IssueIdentity *issue = request->identity_issue;
    //  The file names the request (who asked, its id, what for), so that
    //  its retry after a crash before the commit issues it, once
    const char *role = cf_fsm_role_name ((cf_role_t)issue->role);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    const char *parts[] = {who->key, request->id,
                           issue->name ? issue->name : "", role ? role : "",
                           issue->org ? issue->org : ""};
    for (size_t index = 0; index < sizeof parts / sizeof parts[0]; index++)
        crypto_hash_sha256_update (&state, (const uint8_t *)parts[index],
                                   strlen (parts[index]) + 1);
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&state, digest);
    char tag[33];
    sodium_bin2hex (tag, sizeof tag, digest, 16);
    zcert_t *cert = NULL;
    int rc = cf_identity_issue_for (self->config.certs_dir, issue->name, role,
                                    issue->org, tag, &cert, problems);
    if (rc)
        return s_identity_answer (rc, problems);
    //  Revoked again should the round not commit, so a retry can issue it
    zlistx_add_end (self->issued, (void *)zcert_public_txt (cert));
    Cf__IdentityIssued *issued = cf_pb_new (&cf__identity_issued__descriptor);
    cf_pb_set_string (&issued->public_key, zcert_public_txt (cert));
    char *text = cf_identity_secret_text (cert);
    issued->certificate.len = strlen (text);
    issued->certificate.data = (uint8_t *)text;
    zcert_destroy (&cert);
    reply->body_case = CF__REPLY__BODY_IDENTITY;
    reply->identity = issued;
    self->identities_changed = true;
    cf_log_notice ("identity %s (%s) issued by %s", issue->name,
                   cf_fsm_role_name ((cf_role_t)issue->role), who->name);
    return 0;
}

//  True for requests whose replies are stored: they change state
static bool
s_mutates (const Cf__Request *request)
{
    switch (request->body_case) {
        case CF__REQUEST__BODY_SUBMIT:
        case CF__REQUEST__BODY_FIRE:
        case CF__REQUEST__BODY_CERTIFICATE_FIRE:
        case CF__REQUEST__BODY_CERTIFICATE_REISSUE:
        case CF__REQUEST__BODY_SURVEILLANCE_OPEN:
        case CF__REQUEST__BODY_RETRY:
        case CF__REQUEST__BODY_STAFF_PUT:
        case CF__REQUEST__BODY_IDENTITY_ISSUE:
        case CF__REQUEST__BODY_IDENTITY_REVOKE:
        case CF__REQUEST__BODY_APPOINTMENT_ADD:
        case CF__REQUEST__BODY_APPOINTMENT_END:
        case CF__REQUEST__BODY_REPORT_SUBMITTED:
            return true;
        default:
            return false;
    }
}

static int
s_dispatch (cf_engine_t *self, const Cf__Principal *who,
            const Cf__Request *request, Cf__Reply *reply,
            cf_problems_t *problems)
{
    switch (request->body_case) {
        case CF__REQUEST__BODY_PING:
            reply->body_case = CF__REPLY__BODY_SEQ;
            reply->seq = self->last_seq;
            return 0;
        case CF__REQUEST__BODY_WHOAMI:
            reply->body_case = CF__REPLY__BODY_PRINCIPAL;
            reply->principal = cf_pb_dup (&who->base);
            return 0;
        case CF__REQUEST__BODY_SUBMIT:
            return s_do_submit (self, who, request->submit, reply, problems);
        case CF__REQUEST__BODY_STATUS:
            return s_do_status (self, who, request->status->case_id, reply,
                                problems);
        case CF__REQUEST__BODY_HISTORY:
            return s_do_history (self, who, request->history, reply, problems);
        case CF__REQUEST__BODY_LIST:
            return s_do_list (self, who, request->list, reply, problems);
        case CF__REQUEST__BODY_EVENTS:
            return s_do_events (self, who, request->events, reply, problems);
        case CF__REQUEST__BODY_FIRE:
            return s_do_fire (self, who, request->fire, reply, problems);
        case CF__REQUEST__BODY_INCIDENTS:
            return s_do_incidents (self, who, reply, problems);
        case CF__REQUEST__BODY_RETRY:
            return s_do_retry (self, who, request->retry->job, problems);
        case CF__REQUEST__BODY_CERTIFICATE:
            return s_do_certificate (self, request->certificate, reply,
                                     problems);
        case CF__REQUEST__BODY_CERTIFICATE_DOCUMENT:
            return s_do_certificate_document (
                self, who, request->certificate_document, reply, problems);
        case CF__REQUEST__BODY_CERTIFICATE_FIRE:
            return s_do_certificate_fire (self, who, request->certificate_fire,
                                          reply, problems);
        case CF__REQUEST__BODY_CERTIFICATE_REISSUE:
            return s_do_certificate_reissue (
                self, who, request->certificate_reissue, reply, problems);
        case CF__REQUEST__BODY_SURVEILLANCE_OPEN:
            return s_do_surveillance_open (
                self, who, request->surveillance_open, reply, problems);
        case CF__REQUEST__BODY_CERTIFICATES:
            return s_do_certificates (self, who, request->certificates, reply,
                                      problems);
        case CF__REQUEST__BODY_STAFF_PUT:
            return s_do_staff_put (self, who, request->staff_put->staff,
                                   problems);
        case CF__REQUEST__BODY_STAFF_LIST:
            return s_do_staff_list (self, who, reply, problems);
        case CF__REQUEST__BODY_CNCA_REPORT:
            return s_do_cnca_report (self, who, request->cnca_report, reply,
                                     problems);
        case CF__REQUEST__BODY_REPORTS:
            return s_do_reports (self, who, reply, problems);
        case CF__REQUEST__BODY_REPORT_SUBMITTED:
            return s_do_report_submitted (self, who, request->report_submitted,
                                          reply, problems);
        case CF__REQUEST__BODY_IDENTITY_ISSUE:
        case CF__REQUEST__BODY_IDENTITY_REVOKE:
            return s_do_identity (self, who, request, reply, problems);
        case CF__REQUEST__BODY_APPOINTMENT_ADD:
        case CF__REQUEST__BODY_APPOINTMENT_END:
        case CF__REQUEST__BODY_APPOINTMENTS:
            return s_do_appointment (self, who, request, reply, problems);
        default:
            cf_problems_add (problems, "request.command",
                             "the request names no command; upgrade the "
                             "client or check the message");
            return CF_EINVAL;
    }
}

//  A stored reply that shows a case keeps only the case's id and the seq
//  of the event its request made (what cf_store_verify checks), not the
//  whole record: that was most of a case's pages. Packs reply so.
static uint8_t *
s_stored_reply (const Cf__Reply *reply, size_t *size)
{
    if (reply->body_case != CF__REPLY__BODY_RECORD || !reply->record)
        return cf_pb_pack (&reply->base, size);
    Cf__Case slim = CF__CASE__INIT;
    slim.id = reply->record->id;
    slim.last_seq = reply->record->last_seq;
    Cf__Reply stored = *reply;
    stored.record = &slim;
    return cf_pb_pack (&stored.base, size);
}

//  A replayed reply shows the case as it stands now, as the principal may
//  see it now: a slim record (no state) is read again, and dropped when
//  the case is no longer the principal's to see
static void
s_replay_record (cf_engine_t *self, const Cf__Principal *who, Cf__Reply *reply)
{
    if (reply->body_case != CF__REPLY__BODY_RECORD || !reply->record ||
        reply->record->state != CF__STATE__STATE_UNSPECIFIED)
        return;
    Cf__Case *record = NULL;
    bool shown = s_case_take (self, reply->record->id, &record) == 0;
    cf_pb_free (&reply->record);
    if (shown && s_may_see (self, who, record))
        reply->record = cf_pb_dup (&record->base);
    else
        reply->body_case = CF__REPLY__BODY__NOT_SET;
    if (shown)
        s_case_keep (self, record);
}

//  Sends the stored reply of an earlier request with the same id
static bool
s_replay (cf_engine_t *self, zframe_t *route, const Cf__Principal *who,
          const Cf__Request *request, const uint8_t *hash)
{
    char *key = NULL;
    if (asprintf (&key, "%s%c%s", who->key, 1, request->id) < 0)
        cf_mem_fail ();
    s_item_t *earlier = zhashx_lookup (self->seen, key);
    free (key);
    uint8_t *stored = NULL;
    size_t size = 0;
    int rc = CF_ENOTFOUND;
    if (earlier &&
        memcmp (earlier->request_hash, hash, sizeof earlier->request_hash) != 0)
        rc = CF_ECONFLICT;  //  The same id with another body, this round
    else if (earlier) {
        //  The same id twice in one round: the same answer, once committed
        s_item_t *item = calloc (1, sizeof (s_item_t));
        *item = (s_item_t){.kind = CF_OUTBOX_CLIENT,
                           .route = zframe_dup (route),
                           .data = malloc (earlier->size),
                           .size = earlier->size,
                           .request_id = strdup (request->id),
                           .depends = true};
        memcpy (item->data, earlier->data, earlier->size);
        zlistx_add_end (self->outbox, item);
        return true;
    } else {
        rc = cf_store_get_reply (self->store, who->key, request->id, hash,
                                 &stored, &size);
        if (rc == CF_ENOTFOUND)
            return false;
    }
    Cf__Reply *reply = NULL;
    if (rc == 0 && cf_wire_decode (&cf__reply__descriptor, stored, size,
                                   (void **)&reply, NULL) == 0) {
        s_replay_record (self, who, reply);
        s_outbox_add (self, CF_OUTBOX_CLIENT, route, &reply->base, request->id,
                      false, false);
        cf_pb_free (&reply);
    } else {
        Cf__Reply error = CF__REPLY__INIT;
        error.id = request->id;
        cf_problems_t *problems = cf_problems_new ();
        if (rc == CF_ECONFLICT)
            cf_problems_add (problems, "request.id_reused",
                             "request id %s was used before for another "
                             "request; use a new id",
                             request->id);
        s_reply_error (&error, rc ? rc : CF_ECORRUPT, problems);
        s_outbox_add (self, CF_OUTBOX_CLIENT, route, &error.base, request->id,
                      false, false);
        free (error.error);
        free (error.message);
        cf_problems_destroy (&problems);
    }
    free (stored);
    return true;
}

//  Frees a request's reply, which may show a case the round lent it
static void
s_reply_free (cf_engine_t *self, Cf__Reply **reply_p)
{
    Cf__Reply *reply = *reply_p;
    if (reply && self->lent && reply->record == self->lent)
        reply->record = NULL;
    self->lent = NULL;
    cf_pb_free (reply_p);
}

void
cf_engine_request (cf_engine_t *self, zframe_t *route, const Cf__Principal *who,
                   const uint8_t *data, size_t size)
{
    assert (self->batch);
    cf_problems_t *problems = cf_problems_new ();
    Cf__Request *request = NULL;
    Cf__Reply *reply = cf_pb_new (&cf__reply__descriptor);
    reply->now = self->now;
    int rc = cf_wire_decode (&cf__request__descriptor, data, size,
                             (void **)&request, problems);
    if (rc == 0 && s_blank (request->id)) {
        cf_problems_add (problems, "request.id",
                         "every request needs an id (the client sets one)");
        rc = CF_EINVAL;
    } else if (rc == 0 && strlen (request->id) > CF_STORE_ID_MAX) {
        cf_problems_add (problems, "request.id",
                         "the request id is %zu bytes, more than the %d "
                         "allowed; use a shorter id",
                         strlen (request->id), CF_STORE_ID_MAX);
        rc = CF_ELIMIT;
    }
    if (rc) {
        s_reply_error (reply, rc, problems);
        s_outbox_add (self, CF_OUTBOX_CLIENT, route, &reply->base, NULL, false,
                      false);
        cf_log_notice ("request from %s refused: %s", who->name,
                       reply->message);
        goto out;
    }
    cf_pb_set_string (&reply->id, request->id);
    bool mutates = s_mutates (request);
    uint8_t hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, data, size);
    if (mutates && s_replay (self, route, who, request, hash))
        goto out;

    rc = s_dispatch (self, who, request, reply, problems);
    if (rc) {
        //  Keep the request id; drop any half-built body
        Cf__Reply *failed = cf_pb_new (&cf__reply__descriptor);
        cf_pb_set_string (&failed->id, request->id);
        failed->now = self->now;
        s_reply_free (self, &reply);
        reply = failed;
        s_reply_error (reply, rc, problems);
    }
    s_outbox_add (self, CF_OUTBOX_CLIENT, route, &reply->base, request->id,
                  mutates, false);
    if (mutates) {
        s_item_t *item = zlistx_last (self->outbox);
        memcpy (item->request_hash, hash, sizeof item->request_hash);
        size_t stored_size = 0;
        uint8_t *stored = s_stored_reply (reply, &stored_size);
        if (cf_batch_put_reply (self->batch, who->key, request->id, hash,
                                stored, stored_size, self->now) != 0)
            cf_log_error ("request=%s: reply not stored", request->id);
        free (stored);
        char *key = NULL;
        if (asprintf (&key, "%s%c%s", who->key, 1, request->id) < 0)
            cf_mem_fail ();
        zhashx_update (self->seen, key, item);
        free (key);
    }
out:
    s_reply_free (self, &reply);
    cf_pb_free (&request);
    cf_problems_destroy (&problems);
}

//  ------------------------------------------------------------------------
//  Worker results

static void
s_answer_worker (cf_engine_t *self, zframe_t *route, int rc,
                 cf_problems_t *problems, bool depends)
{
    Cf__Reply reply = CF__REPLY__INIT;
    if (rc)
        s_reply_error (&reply, rc, problems);
    Cf__DaemonMessage message = CF__DAEMON_MESSAGE__INIT;
    message.body_case = CF__DAEMON_MESSAGE__BODY_REPLY;
    message.reply = &reply;
    s_outbox_add (self, CF_OUTBOX_WORKER, route, &message.base, NULL, depends,
                  false);
    if (reply.error != protobuf_c_empty_string)
        free (reply.error);
    if (reply.message != protobuf_c_empty_string)
        free (reply.message);
}

//  Applies a result to its job; returns the answer's code
static int
s_apply_result (cf_engine_t *self, const Cf__Principal *worker,
                const Cf__JobResult *result, Cf__Job *job,
                cf_problems_t *problems)
{
    if (job->status != CF__JOB_STATUS__JOB_STATUS_LEASED ||
        job->lease != result->lease ||
        strcmp (job->worker_key, worker->key) != 0) {
        cf_problems_add (problems, "job.lease",
                         "lease %" PRIu64 " is not the current lease of job "
                         "%" PRIu64 " (expired or already reported)",
                         result->lease, job->id);
        return CF_EGUARD;
    }
    //  The store still holds the job as it was before this round: a second
    //  copy of the result is judged by the round's own view, and alone
    char key[24];
    snprintf (key, sizeof key, "%" PRIu64, job->id);
    if (zhashx_lookup (self->reported, key)) {
        cf_problems_add (problems, "job.lease",
                         "lease %" PRIu64 " of job %" PRIu64 " was reported "
                         "already",
                         result->lease, job->id);
        return CF_EGUARD;
    }
    zhashx_insert (self->reported, key, self);
    if (!s_blank (result->error))
        return s_job_failed (self, job, result->error);

    Cf__Case *record = NULL;
    int rc = s_case_take (self, job->case_id, &record);
    if (rc)
        return rc;
    if (record->state != job->state) {
        cf_problems_add (
            problems, "job.obsolete",
            "case %s has moved on to %s; the %s job is dropped", job->case_id,
            cf_fsm_state_name ((cf_state_t)record->state), job->stage);
        s_case_keep (self, record);
        rc = s_job_done (self, job);
        return rc ? rc : CF_EGUARD;
    }
    if (s_blank (result->event)) {
        s_case_keep (self, record);
        return s_job_done (self, job);
    }
    cf_event_t event;
    if (cf_fsm_event_from_name (result->event, &event) != 0) {
        s_case_keep (self, record);
        cf_problems_add (problems, "result.event", "unknown event '%.*s'",
                         CF_UTF8_CUT (result->event, CF_UTF8_QUOTE_MAX));
        char *why = cf_problems_join (problems);
        rc = s_job_failed (self, job, why);
        free (why);
        return rc ? rc : CF_EINVAL;
    }
    rc = s_fire (self, &record, event, worker, NULL, result->data, job,
                 problems);
    s_case_keep (self, record);
    if (rc == CF_EGUARD || rc == CF_EFORBIDDEN || rc == CF_ENOTRANSITION ||
        rc == CF_EINVAL) {
        s_record_refusal (self, job->case_id, result->event, worker, rc,
                          problems);
        char *why = cf_problems_join (problems);
        int put = s_job_failed (self, job, why);
        free (why);
        return put ? put : rc;
    }
    if (rc)
        return rc;
    return s_job_done (self, job);
}

void
cf_engine_result (cf_engine_t *self, zframe_t *route,
                  const Cf__Principal *worker, const Cf__JobResult *result)
{
    assert (self->batch);
    cf_problems_t *problems = cf_problems_new ();
    Cf__Job *job = NULL;
    int rc = 0;
    if (worker->role != CF__ROLE__ROLE_WORKER)
        rc = s_forbidden (problems, worker, "report job results");
    else {
        rc = cf_store_get_job (self->store, result->job, &job);
        if (rc == CF_ENOTFOUND)
            cf_problems_add (problems, "job.unknown", "no job %" PRIu64,
                             result->job);
    }
    if (rc == 0)
        rc = s_apply_result (self, worker, result, job, problems);
    //  A result for a finished job is a duplicate: refused, like a stale one
    if (rc == CF_ENOTFOUND)
        rc = CF_EGUARD;
    if (job)
        cf_log_info ("job=%" PRIu64 " case=%s stage=%s worker=%s event=%s%s%s",
                     job->id, job->case_id, job->stage, worker->name,
                     s_blank (result->event) ? "-" : result->event,
                     rc ? " refused: " : "", rc ? cf_strerror (rc) : "");
    s_answer_worker (self, route, rc, problems, true);
    cf_pb_free (&job);
    cf_problems_destroy (&problems);
}

//  ------------------------------------------------------------------------
//  Timers

static void
s_tick_case (cf_engine_t *self, const char *case_id)
{
    if (zhashx_lookup (self->stuck, case_id))
        return;
    Cf__Case *record = NULL;
    if (s_case_take (self, case_id, &record) != 0)
        return;
    if (record->deadline_at == 0 || record->deadline_at > self->now) {
        s_case_keep (self, record);
        return;
    }
    if (record->state == CF__STATE__STATE_CERTIFIED) {
        char *number = cf_mem_check (strdup (record->certificate));
        s_case_keep (self, record);
        s_tick_certificate (self, case_id, number);
        free (number);
        return;
    }
    cf_problems_t *problems = cf_problems_new ();
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_REASON;
    data.reason = "the applicant's deadline passed";
    const char *state = cf_fsm_state_name ((cf_state_t)record->state);
    int rc = s_fire (self, &record, CF_EVENT_DEADLINE_PASSED, &s_system, NULL,
                     &data, NULL, problems);
    if (rc) {
        char *why = cf_problems_join (problems);
        cf_log_error ("case=%s state=%s: deadline did not fire: %s", case_id,
                      state, why);
        free (why);
        zhashx_insert (self->stuck, case_id, (void *)1);
    }
    s_case_keep (self, record);
    cf_problems_destroy (&problems);
}

static void
s_tick_job (cf_engine_t *self, uint64_t id)
{
    Cf__Job *job = NULL;
    if (cf_store_get_job (self->store, id, &job) != 0)
        return;
    if (job->status == CF__JOB_STATUS__JOB_STATUS_READY && job->due_at > 0 &&
        job->due_at <= self->now) {
        job->due_at = 0;
        if (s_job_put (self, job) == 0) {
            s_ready_add (self, job);
            job = NULL;
        }
    } else if (job->status == CF__JOB_STATUS__JOB_STATUS_LEASED &&
               job->due_at <= self->now) {
        char why[160];
        snprintf (why, sizeof why, "lease %" PRIu64 " held by %s ran out",
                  job->lease, job->worker);
        if (s_job_failed (self, job, why) != 0)
            cf_log_error ("job=%" PRIu64 ": expiry not recorded", id);
    }
    cf_pb_free (&job);
}

//  Drops stored replies older than the retention. A round with nothing to
//  drop writes nothing, so an idle daemon does not commit for it.
static void
s_prune_replies (cf_engine_t *self)
{
    int64_t retention = self->config.reply_retention_ms;
    if (retention <= 0 || self->now - self->replies_checked < S_PRUNE_CHECK_MS)
        return;
    int64_t before = self->now - retention, oldest = 0;
    int rc = cf_store_oldest_reply (self->store, &oldest);
    if (rc == 0 && oldest < before)
        rc = cf_batch_prune_replies (self->batch, before, S_PRUNE_MOST);
    else
        self->replies_checked = self->now;
    if (rc && rc != CF_ENOTFOUND)
        cf_log_error ("engine: stored replies not pruned: %s",
                      cf_strerror (rc));
}

void
cf_engine_tick (cf_engine_t *self)
{
    assert (self->batch);
    s_prune_replies (self);
    cf_store_deadline_t *due = NULL;
    size_t count = 0;
    if (cf_store_due (self->store, self->now, S_DUE_MAX, &due, &count) != 0) {
        cf_log_error ("engine: cannot read due deadlines");
        return;
    }
    for (size_t index = 0; index < count; index++)
        if (due[index].kind == CF_STORE_DEADLINE_CASE)
            s_tick_case (self, due[index].id);
        else
            s_tick_job (self, strtoull (due[index].id, NULL, 10));
    cf_store_deadlines_free (&due, count);
    s_tick_reports (self);
}

//  ------------------------------------------------------------------------
//  Leasing

static bool
s_serves (char **stages, size_t count, const char *stage)
{
    if (count == 0)
        return true;
    for (size_t index = 0; index < count; index++)
        if (strcmp (stages[index], stage) == 0)
            return true;
    return false;
}

//  The stages whose work reads the staff records: planning picks the team
//  and the committee its members (the guards of audit_planned and
//  committee_formed check both again); the other offers carry none
static bool
s_stage_reads_staff (const char *stage)
{
    return strcmp (stage, "planning") == 0 || strcmp (stage, "committee") == 0;
}

int
cf_engine_lease (cf_engine_t *self, zframe_t *route, const char *worker,
                 const char *worker_key, char **stages, size_t count)
{
    assert (self->batch);
    Cf__Job *job = zlistx_first (self->ready);
    while (job) {
        Cf__Job *next = zlistx_next (self->ready);
        if (!s_serves (stages, count, job->stage)) {
            job = next;
            continue;
        }
        Cf__Case *record = NULL;
        if (s_case_take (self, job->case_id, &record) != 0)
            record = NULL;
        if (!record || record->state != job->state) {
            //  The case moved on (or is gone): this work is obsolete
            cf_log_info ("job=%" PRIu64 " case=%s stage=%s obsolete, dropped",
                         job->id, job->case_id, job->stage);
            if (record)
                s_case_keep (self, record);
            if (cf_batch_delete_job (self->batch, job->id) == 0) {
                s_active_release (self, job);
                s_ready_remove (self, job->id);
            }
            job = zlistx_first (self->ready);
            continue;
        }
        //  The worker gets the scheme the case runs under; a case whose
        //  scheme the store does not hold cannot be worked: an incident
        const s_scheme_t *governs = NULL;
        if (s_scheme_of (self, record, &governs, NULL) != 0) {
            s_case_keep (self, record);
            Cf__Job *parked = cf_pb_dup (&job->base);
            parked->attempts = self->config.max_attempts;
            s_ready_remove (self, job->id);
            int rc = s_job_failed (self, parked,
                                   "the store does not hold the case's scheme "
                                   "version; start certflowd once with it");
            cf_pb_free (&parked);
            if (rc)
                return rc;
            job = zlistx_first (self->ready);
            continue;
        }
        //  Unguessable: a worker cannot report a lease it was not given
        uint64_t lease = 0;
        while (lease == 0)
            randombytes_buf (&lease, sizeof lease);
        int rc = 0;
        Cf__Job *leased = cf_pb_dup (&job->base);
        leased->status = CF__JOB_STATUS__JOB_STATUS_LEASED;
        leased->attempts++;
        leased->lease = lease;
        leased->due_at = self->now + self->config.lease_ms;
        cf_pb_set_string (&leased->worker, worker);
        cf_pb_set_string (&leased->worker_key, worker_key);
        rc = s_job_put (self, leased);
        if (rc == 0) {
            Cf__JobOffer offer = CF__JOB_OFFER__INIT;
            offer.job = leased;
            offer.record = record;
            Cf__Staff **staff = NULL;
            size_t staff_count = 0;
            if (s_stage_reads_staff (job->stage) &&
                cf_store_list_staff (self->store, &staff, &staff_count) == 0) {
                offer.staff = staff;
                offer.n_staff = staff_count;
            }
            offer.now = self->now;
            offer.scheme.data = (uint8_t *)governs->text;
            offer.scheme.len = strlen (governs->text);
            Cf__DaemonMessage message = CF__DAEMON_MESSAGE__INIT;
            message.body_case = CF__DAEMON_MESSAGE__BODY_OFFER;
            message.offer = &offer;
            s_outbox_add (self, CF_OUTBOX_WORKER, route, &message.base, NULL,
                          true, true);
            cf_store_staff_free (&staff, staff_count);
            cf_log_info ("job=%" PRIu64 " case=%s stage=%s leased to %s "
                         "(attempt %u)",
                         leased->id, leased->case_id, leased->stage, worker,
                         leased->attempts);
            s_ready_remove (self, job->id);
        }
        cf_pb_free (&leased);
        s_case_keep (self, record);
        return rc;
    }
    return CF_ENOTFOUND;
}

//  ------------------------------------------------------------------------
//  Rounds

static void
s_round_drop (cf_engine_t *self)
{
    cf_batch_destroy (&self->batch);
    for (Cf__Case *record = zhashx_first (self->cases); record;
         record = zhashx_next (self->cases))
        cf_pb_free (&record);
    zhashx_purge (self->cases);
    zhashx_purge (self->changed);
    zhashx_purge (self->seen);
    zhashx_purge (self->reported);
    zlistx_purge (self->issued);
    zhashx_purge (self->certified);
    s_certificates_drop (self);
    cf_agency_drop (self->agency);
    s_obligations_drop (self);
}

void
cf_engine_begin (cf_engine_t *self, int64_t now)
{
    s_round_drop (self);
    zlistx_purge (self->outbox);
    self->poisoned = 0;
    self->identities_changed = false;
    self->identities_revoked = false;
    self->now = now;
    self->batch = cf_batch_new ();
}

//  Turns the round's replies into STATUS_UNAVAILABLE and drops its offers
static void
s_round_failed (cf_engine_t *self, int rc)
{
    zlistx_t *kept = zlistx_new ();
    zlistx_set_destructor (kept, s_item_destroy);
    s_item_t *item;
    while ((item = zlistx_detach (self->outbox, NULL))) {
        if (item->offer) {
            s_item_destroy ((void **)&item);
            continue;
        }
        if (item->depends) {
            Cf__Reply reply = CF__REPLY__INIT;
            reply.id = item->request_id ? item->request_id : "";
            reply.status = CF__STATUS__STATUS_UNAVAILABLE;
            reply.error = (char *)cf_errname (rc);
            reply.message = "the daemon could not store this change; nothing "
                            "was applied. Try again; if it persists, the "
                            "operator must check the disk";
            Cf__DaemonMessage message = CF__DAEMON_MESSAGE__INIT;
            message.body_case = CF__DAEMON_MESSAGE__BODY_REPLY;
            message.reply = &reply;
            free (item->data);
            item->data = cf_pb_pack (
                item->kind == CF_OUTBOX_CLIENT ? &reply.base : &message.base,
                &item->size);
        }
        zlistx_add_end (kept, item);
    }
    zlistx_destroy (&self->outbox);
    self->outbox = kept;
}

int
cf_engine_commit (cf_engine_t *self)
{
    assert (self->batch);
    int rc = self->poisoned;
    //  The first event of an empty store begins the monthly reports too
    if (zhashx_size (self->obligations) > 0 || self->last_seq == 0)
        self->report_known = false;
    if (rc == 0)
        rc = s_lend_changed (self);
    if (rc == 0 && cf_batch_size (self->batch) > 0) {
        rc = cf_store_commit (self->store, self->batch, NULL, NULL);
        if (rc == CF_ESTOREFULL) {
            size_t size = cf_store_map_size (self->store) * 2;
            cf_log_warn ("store map full: growing it to %zu MiB",
                         size / (1024 * 1024));
            if (cf_store_grow (self->store, size) == 0)
                rc = cf_store_commit (self->store, self->batch, NULL, NULL);
        }
    }
    if (rc) {
        cf_log_error ("round of %zu changes not committed: %s",
                      cf_batch_size (self->batch), cf_strerror (rc));
        s_round_failed (self, rc);
        for (const char *key = zlistx_first (self->issued); key;
             key = zlistx_next (self->issued))
            if (cf_identity_revoke (self->config.certs_dir, key, NULL) != 0)
                cf_log_error ("identity %s issued in the failed round is "
                              "still in the certificate directory",
                              key);
        s_round_drop (self);
        s_view_rebuild (self);
        return rc;
    }
    for (size_t index = 0; index < cf_batch_event_count (self->batch);
         index++) {
        const Cf__Event *event = cf_batch_event (self->batch, index);
        if (event->seq > self->last_seq)
            self->last_seq = event->seq;
    }
    return 0;
}

size_t
cf_engine_outbox_size (cf_engine_t *self)
{
    return zlistx_size (self->outbox);
}

cf_outbox_kind_t
cf_engine_outbox_item (cf_engine_t *self, size_t index, zframe_t **route,
                       const uint8_t **data, size_t *size)
{
    //  Sending walks the outbox in order: continue from the last item read
    //  rather than from the start
    s_item_t *item;
    if (index > 0 && index == self->outbox_index + 1)
        item = zlistx_next (self->outbox);
    else {
        item = zlistx_first (self->outbox);
        for (size_t skip = 0; skip < index && item; skip++)
            item = zlistx_next (self->outbox);
    }
    assert (item);
    self->outbox_index = index;
    *route = item->route;
    *data = item->data;
    *size = item->size;
    return item->kind;
}

size_t
cf_engine_event_count (cf_engine_t *self)
{
    return self->batch ? cf_batch_event_count (self->batch) : 0;
}

const Cf__Event *
cf_engine_event (cf_engine_t *self, size_t index)
{
    return cf_batch_event (self->batch, index);
}

int64_t
cf_engine_next_due (cf_engine_t *self)
{
    int64_t due = 0;
    char kind = 0;
    char *id = NULL;
    int rc = cf_store_next_deadline (self->store, &due, &kind, &id);
    bool stuck = rc == 0 && kind == CF_STORE_DEADLINE_CASE &&
                 zhashx_lookup (self->stuck, id);
    free (id);
    if (!self->report_known) {
        char month[8];
        if (cf_report_next_reminder (self->store, &self->report_due, month))
            self->report_due = self->now + 1000;
        self->report_known = true;
    }
    int64_t report = self->report_due;
    if (rc)
        return report;
    //  A deadline that would not fire must not spin the loop
    due = stuck ? self->now + 1000 : due;
    return due < report ? due : report;
}

size_t
cf_engine_ready (cf_engine_t *self)
{
    return zlistx_size (self->ready);
}

uint64_t
cf_engine_last_seq (cf_engine_t *self)
{
    return self->last_seq;
}

bool
cf_engine_identities_changed (cf_engine_t *self)
{
    return self->identities_changed;
}

bool
cf_engine_identities_revoked (cf_engine_t *self)
{
    return self->identities_revoked;
}

cf_engine_t *
cf_engine_new (cf_store_t *store, const cf_scheme_t *scheme,
               const char *scheme_text, const cf_engine_config_t *config)
{
    assert (store && scheme && scheme_text && config);
    if (sodium_init () < 0)
        return NULL;
    cf_engine_t *self = calloc (1, sizeof (cf_engine_t));
    if (!self)
        cf_mem_fail ();
    self->store = store;
    self->scheme = scheme;
    self->scheme_text = scheme_text;
    self->config = *config;
    if (self->config.page_max == 0)
        self->config.page_max = 100;
    self->cases = zhashx_new ();
    self->changed = zhashx_new ();
    self->seen = zhashx_new ();
    self->reported = zhashx_new ();
    self->issued = zlistx_new ();
    zlistx_set_duplicator (self->issued, (zlistx_duplicator_fn *)strdup);
    zlistx_set_destructor (self->issued, (zlistx_destructor_fn *)zstr_free);
    self->refusals = zhashx_new ();
    zhashx_set_destructor (self->refusals, (zhashx_destructor_fn *)zstr_free);
    self->outbox = zlistx_new ();
    zlistx_set_destructor (self->outbox, s_item_destroy);
    self->ready = zlistx_new ();
    self->ready_handles = zhashx_new ();
    zlistx_set_destructor (self->ready, s_job_destroy);
    self->active = zhashx_new ();
    self->superseded = zhashx_new ();
    zhashx_set_destructor (self->superseded,
                           (zhashx_destructor_fn *)zlistx_destroy);
    self->stuck = zhashx_new ();
    self->certified = zhashx_new ();
    zhashx_set_destructor (self->certified, (zhashx_destructor_fn *)zstr_free);
    self->certificates = zhashx_new ();
    self->agency = cf_agency_new (store);
    self->obligations = zhashx_new ();
    self->schemes = zhashx_new ();
    zhashx_set_destructor (self->schemes, s_scheme_destroy);
    s_scheme_t *own = cf_mem_check (calloc (1, sizeof (s_scheme_t)));
    *own = (s_scheme_t){(cf_scheme_t *)scheme, (char *)scheme_text, false};
    zhashx_insert (self->schemes, scheme->version, own);
    if (s_scheme_record (self) != 0) {
        cf_engine_destroy (&self);
        return NULL;
    }
    s_view_rebuild (self);
    return self;
}

void
cf_engine_destroy (cf_engine_t **self_p)
{
    assert (self_p);
    cf_engine_t *self = *self_p;
    if (self) {
        s_round_drop (self);
        zhashx_destroy (&self->cases);
        zhashx_destroy (&self->changed);
        zhashx_destroy (&self->seen);
        zhashx_destroy (&self->reported);
        zlistx_destroy (&self->issued);
        zhashx_destroy (&self->refusals);
        zlistx_destroy (&self->outbox);
        zlistx_destroy (&self->ready);
        zhashx_destroy (&self->ready_handles);
        zhashx_destroy (&self->active);
        zhashx_destroy (&self->superseded);
        zhashx_destroy (&self->stuck);
        zhashx_destroy (&self->certified);
        zhashx_destroy (&self->schemes);
        zhashx_destroy (&self->certificates);
        cf_agency_destroy (&self->agency);
        zhashx_destroy (&self->obligations);
        free (self);
        *self_p = NULL;
    }
}
