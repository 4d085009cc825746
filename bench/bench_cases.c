/*  =========================================================================
    bench_cases - whole cases, from application to certificate

    Starts the real certflowd and one certflow-worker per automated stage
    on ipc:// endpoints in a temporary directory and drives whole cases
    to certified with C cases in flight (C = 1, 16, 64), from this C
    driver on the client library. Every human step is taken by its own
    identity as soon as the case reaches it:

        applicant     submit (examples/application.json), then sign
        admin         plans the audit by hand for today (audit_planned)
        team leader   files the score sheet dated on the audit day
        committee     the first two members named vote grant

    The workers do intake, review, contract, scoring, the committee (it is
    formed, then the votes are counted) and issuance: 13 events a case.
    The audit is planned by the admin so that the sheet's date is valid
    when it is filed, under the engine's unchanged rules (a sheet is filed
    no earlier than the audit, and planning by the worker puts the audit
    two weeks ahead); so no planning worker runs, and the planning job of
    each case is cancelled when the case ends. The driver learns what the
    workers did from the event feed (a doorbell) and `events since`, read
    as the admin.

    Printed for each C: cases/s, transitions/s, requests/s (the case's own
    requests, and the feed reads apart), submit to certified p50 and p99,
    durable commits per case (LMDB's transaction ids) and events per
    commit, CPU ms per case of the daemon and of the workers (from
    /proc/PID/stat), this driver's CPU share, and per case the store's
    growth and the growth of what its trees hold (the pages of every
    database, LMDB's free pages apart). In the same run the baselines and
    the ratios against them: bare LMDB durable commits per second on the
    same disk (one small put a commit), and C=1, the engine with one
    transition a commit. Then restart time (spawn to first answered ping)
    and RSS at each number of stored cases asked for.

    With -S instead of -s, the cases stored beyond the measured ones are
    copies of them made through the store API while the daemon is down:
    each certified case of the run again under a new id, with its events
    (the store chains them anew) and its certificate under a new number,
    but not its stored replies (a retention drops those after 30 days).
    That reaches a million stored cases in minutes instead of hours.

    Usage: bench_cases [-k] [-n CASES] [-s|-S STORED[,STORED...]]
                       [-c CAPACITY]
           (defaults: 500 whole cases per C; restarts at 10000 stored
           cases; each worker's capacity its default; -k keeps the
           directory, its store and the logs)
    =========================================================================
*/

#include <czmq.h>
#include <dirent.h>
#include <inttypes.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certflow.pb-c.h"
#include "cf_application.h"
#include "cf_bench.h"
#include "cf_client.h"
#include "cf_date.h"
#include "cf_identity.h"
#include "cf_json.h"
#include "cf_log.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_store.h"

//  The numbers of cases in flight measured
static const int s_flights[] = {1, 16, 64};
#define S_FLIGHT_MAX 64

//  Driver threads: a case has at most two requests open (the votes)
#define S_THREADS (2 * S_FLIGHT_MAX)

//  The automated stages that run a worker (planning is the admin's here)
static const char *const s_stages[] = {
    "intake", "review", "contract", "scoring", "committee", "issuance", NULL};
#define S_STAGE_COUNT 6

//  The human principals: name, role (cf_fsm names)
static const char *const s_people[][2] = {{"bench-applicant", "applicant"},
                                          {"AUD001", "auditor"},
                                          {"AUD002", "auditor"},
                                          {"AUD003", "auditor"},
                                          {"COM001", "committee"},
                                          {"COM002", "committee"},
                                          {"COM003", "committee"},
                                          {"COM004", "committee"}};
#define S_PEOPLE (sizeof s_people / sizeof s_people[0])
#define S_ORG    "BENCH-ORG"

//  A case stuck longer than this ends the run, ms
#define S_CASE_MS 60000

//  How long the bare LMDB baseline commits, ms
#define S_BASELINE_MS 2000

typedef enum { S_SUBMIT, S_SIGN, S_PLAN, S_SHEET, S_VOTE } s_kind_t;

//  One human step for a driver thread
typedef struct {
    s_kind_t kind;
    char case_id[32];
    char who[16];   //  S_VOTE: the member
    char date[11];  //  S_PLAN, S_SHEET: the audit day
    char uscc[19];  //  S_SUBMIT: the company's credit code
} s_step_t;

//  The driver: a queue of steps for the threads, the cases in flight
typedef struct {
    cf_bench_site_t *site;
    cf_bench_store_t *store;
    char *certs[S_PEOPLE];               //  Secret certificate of each person
    const Cf__Application *application;  //  What to submit
    const Cf__ScoreSheet *sheet;         //  What the leader files
    pthread_mutex_t lock;
    pthread_cond_t changed;  //  A case certified, the run failed or stops
    pthread_cond_t queued;   //  A step is queued, or the driver stops
    s_step_t *queue;         //  Ring of steps
    size_t queue_size, queue_head, queue_count;
    bool stopping;
    zhashx_t *sent;                //  Case id -> submit instant (usecs, boxed)
    zlistx_t *pool[S_PEOPLE + 1];  //  Idle clients of each person, admin last
    //  The phase: how many cases, how many submitted and certified
    int phase, target, submitted, certified;
    long companies;    //  Companies submitted so far, across phases
    int64_t *latency;  //  Per certified case, usecs
    char failure[512];
    atomic_long requests;  //  The cases' own requests
    atomic_long reads;     //  events since, by the watcher
    atomic_long transitions;
    atomic_long refused;
    uint64_t cursor;  //  Events read up to here (the watcher's)
} s_driver_t;

//  What one phase measured
typedef struct {
    int flight, cases;
    double seconds;
    double cases_s, transitions_s, requests_s, reads_s;
    double p50_ms, p99_ms;
    double commits, events_commit;
    double daemon_ms, workers_ms, driver_share;
    double bytes_case, held_case;
} s_phase_t;

//  ------------------------------------------------------------------------
//  The queue

static void
s_push (s_driver_t *self, const s_step_t *step)
{
    pthread_mutex_lock (&self->lock);
    if (self->queue_count == self->queue_size) {
        //  Grow the ring, unrolled
        size_t size = self->queue_size * 2;
        s_step_t *queue = calloc (size, sizeof (s_step_t));
        if (!queue)
            abort ();
        for (size_t index = 0; index < self->queue_count; index++)
            queue[index] =
                self->queue[(self->queue_head + index) % self->queue_size];
        free (self->queue);
        self->queue = queue;
        self->queue_size = size;
        self->queue_head = 0;
    }
    self->queue[(self->queue_head + self->queue_count) % self->queue_size] =
        *step;
    self->queue_count++;
    pthread_cond_signal (&self->queued);  //  One step, one thread
    pthread_mutex_unlock (&self->lock);
}

//  Takes the next step; false when the driver stops
static bool
s_pop (s_driver_t *self, s_step_t *step)
{
    pthread_mutex_lock (&self->lock);
    while (!self->stopping && self->queue_count == 0)
        pthread_cond_wait (&self->queued, &self->lock);
    bool got = !self->stopping;
    if (got) {
        *step = self->queue[self->queue_head];
        self->queue_head = (self->queue_head + 1) % self->queue_size;
        self->queue_count--;
    }
    pthread_mutex_unlock (&self->lock);
    return got;
}

static void s_fail (s_driver_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_fail (s_driver_t *self, const char *format, ...)
{
    pthread_mutex_lock (&self->lock);
    if (!self->failure[0]) {
        va_list args;
        va_start (args, format);
        vsnprintf (self->failure, sizeof self->failure, format, args);
        va_end (args);
    }
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
}

//  The next case of the phase, when there is one left to submit
//  (called with the lock held)
//  A valid credit code for company serial: each case is its own company,
//  as a company holding a live certificate may not apply again for it
static void
s_company_code (long serial, char code[19])
{
    const char *org = "0123456789X";
    const char *check = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    snprintf (code, 19, "913301%08ld00", serial % 100000000);
    for (const char *first = org; *first; first++)
        for (const char *last = check; *last; last++) {
            code[16] = *first;
            code[17] = *last;
            if (cf_application_check_uscc (code, NULL) == 0)
                return;
        }
}

static void
s_next_submit (s_driver_t *self)
{
    if (self->submitted >= self->target)
        return;
    self->submitted++;
    long company = ++self->companies;
    pthread_mutex_unlock (&self->lock);
    s_step_t step = {.kind = S_SUBMIT};
    s_company_code (company, step.uscc);
    s_push (self, &step);
    pthread_mutex_lock (&self->lock);
}

//  ------------------------------------------------------------------------
//  A driver thread: takes steps, each as its own principal

typedef struct {
    s_driver_t *driver;
    int index;
    long made;  //  Request ids
} s_thread_t;

//  Borrows a client of person (S_PEOPLE: the admin) from the pool, made
//  when none is free: as many as the person has requests open at once.
//  Returns NULL when it cannot be made (failed the run).
static cf_client_t *
s_borrow (s_driver_t *self, size_t person)
{
    pthread_mutex_lock (&self->lock);
    cf_client_t *client = zlistx_detach (self->pool[person], NULL);
    pthread_mutex_unlock (&self->lock);
    if (client)
        return client;
    const char *cert =
        person < S_PEOPLE ? self->certs[person] : self->store->admin;
    cf_problems_t *problems = cf_problems_new ();
    client = cf_client_new (self->site->client_endpoint, cert,
                            self->store->server_cert, CF_BENCH_REPLY_MS, 1,
                            problems);
    if (!client) {
        char *why = cf_problems_join (problems);
        s_fail (self, "cannot make a client with %s: %s", cert, why);
        free (why);
    }
    cf_problems_destroy (&problems);
    return client;
}

static void
s_give_back (s_driver_t *self, size_t person, cf_client_t *client)
{
    pthread_mutex_lock (&self->lock);
    zlistx_add_end (self->pool[person], client);
    pthread_mutex_unlock (&self->lock);
}

static size_t
s_person (const char *name)
{
    for (size_t index = 0; index < S_PEOPLE; index++)
        if (strcmp (s_people[index][0], name) == 0)
            return index;
    return S_PEOPLE;  //  Nobody we know: the admin
}

//  Sends the request as person. Returns the reply (free it), or NULL
//  (failed the run, said why)
static Cf__Reply *
s_ask (s_thread_t *self, size_t person, Cf__Request *request)
{
    cf_client_t *client = s_borrow (self->driver, person);
    if (!client)
        return NULL;
    char id[64];
    snprintf (id, sizeof id, "bench-%d-%d-%ld", self->driver->phase,
              self->index, ++self->made);
    request->id = id;
    Cf__Reply *reply = NULL;
    int rc = cf_client_request (client, request, &reply);
    request->id = NULL;
    if (rc) {
        char *why = cf_problems_join (cf_client_problems (client));
        s_fail (self->driver, "request %s failed: %s %s", id, cf_errname (rc),
                why);
        free (why);
        cf_client_destroy (&client);
        return NULL;
    }
    s_give_back (self->driver, person, client);
    return reply;
}

static Cf__Request
s_fire (Cf__FireRequest *fire, const char *case_id, const char *event,
        Cf__EventData *data)
{
    cf__fire_request__init (fire);
    fire->case_id = (char *)case_id;
    fire->event = (char *)event;
    fire->data = data;
    Cf__Request request = CF__REQUEST__INIT;
    request.body_case = CF__REQUEST__BODY_FIRE;
    request.fire = fire;
    return request;
}

//  Takes one step; pushes the one that follows from its reply at once
static void
s_take (s_thread_t *self, const s_step_t *step)
{
    s_driver_t *driver = self->driver;
    Cf__Request request = CF__REQUEST__INIT;
    Cf__FireRequest fire;
    Cf__EventData data = CF__EVENT_DATA__INIT;
    Cf__SubmitRequest submit = CF__SUBMIT_REQUEST__INIT;
    Cf__Application company;
    Cf__AuditPlan plan = CF__AUDIT_PLAN__INIT;
    Cf__ScoreSheet sheet;
    Cf__CommitteeData committee = CF__COMMITTEE_DATA__INIT;
    char *members[] = {"AUD002"};
    size_t person = 0;  //  The applicant
    int64_t sent = zclock_usecs ();
    switch (step->kind) {
        case S_SUBMIT:
            company = *driver->application;
            company.uscc = (char *)step->uscc;
            submit.application = &company;
            request.body_case = CF__REQUEST__BODY_SUBMIT;
            request.submit = &submit;
            break;
        case S_SIGN:
            request = s_fire (&fire, step->case_id, "contract_signed", NULL);
            break;
        case S_PLAN:
            plan.leader = "AUD001";
            plan.n_members = 1;
            plan.members = members;
            plan.start_date = plan.end_date = (char *)step->date;
            plan.mode = "FS01";
            data.body_case = CF__EVENT_DATA__BODY_PLAN;
            data.plan = &plan;
            request = s_fire (&fire, step->case_id, "audit_planned", &data);
            person = S_PEOPLE;
            break;
        case S_SHEET:
            sheet = *driver->sheet;
            sheet.audit_date = (char *)step->date;
            data.body_case = CF__EVENT_DATA__BODY_SHEET;
            data.sheet = &sheet;
            request = s_fire (&fire, step->case_id, "sheet_submitted", &data);
            person = s_person ("AUD001");
            break;
        case S_VOTE:
            committee.vote = CF__VOTE__VOTE_GRANT;
            committee.reason = "meets GB/T 27922";
            data.body_case = CF__EVENT_DATA__BODY_COMMITTEE;
            data.committee = &committee;
            request = s_fire (&fire, step->case_id, "vote", &data);
            person = s_person (step->who);
            break;
    }
    Cf__Reply *reply = s_ask (self, person, &request);
    if (!reply)
        return;
    atomic_fetch_add (&driver->requests, 1);
    s_step_t next = {.kind = S_SHEET};
    snprintf (next.case_id, sizeof next.case_id, "%s", step->case_id);
    if (reply->status != CF__STATUS__STATUS_OK) {
        //  A plan made just before midnight reaches a daemon on the next
        //  day: plan again for the daemon's today
        if (step->kind == S_PLAN && strstr (reply->message, "plan.past")) {
            next.kind = S_PLAN;
            cf_date_format (cf_date_from_ms (reply->now), next.date);
            s_push (driver, &next);
        } else
            s_fail (driver, "step %d of %s refused: %s %s", (int)step->kind,
                    step->case_id[0] ? step->case_id : "a new case",
                    reply->error, reply->message);
        cf_pb_free (&reply);
        return;
    }
    if (step->kind == S_SUBMIT && reply->body_case == CF__REPLY__BODY_RECORD) {
        int64_t *boxed = malloc (sizeof (int64_t));
        if (!boxed)
            abort ();
        *boxed = sent;
        pthread_mutex_lock (&driver->lock);
        zhashx_update (driver->sent, reply->record->id, boxed);
        pthread_mutex_unlock (&driver->lock);
    } else if (step->kind == S_SIGN) {
        next.kind = S_PLAN;
        cf_date_format (cf_date_from_ms (reply->now), next.date);
        s_push (driver, &next);
    } else if (step->kind == S_PLAN) {
        snprintf (next.date, sizeof next.date, "%s", step->date);
        s_push (driver, &next);
    }
    cf_pb_free (&reply);
}

static void *
s_thread_run (void *argument)
{
    s_thread_t *self = argument;
    s_step_t step;
    while (s_pop (self->driver, &step))
        s_take (self, &step);
    return NULL;
}

//  ------------------------------------------------------------------------
//  The watcher: what the workers did, from the feed and `events since`

typedef struct {
    s_driver_t *driver;
    cf_client_t *admin;
    zsock_t *feed;
    long made;  //  Request ids
} s_watcher_t;

static void
s_seen (s_driver_t *self, const Cf__Event *event)
{
    if (event->refused && *event->refused) {
        atomic_fetch_add (&self->refused, 1);
        return;
    }
    atomic_fetch_add (&self->transitions, 1);
    s_step_t step = {.kind = S_SIGN};
    snprintf (step.case_id, sizeof step.case_id, "%s", event->case_id);
    if (strcmp (event->event, "contract_issued") == 0)
        s_push (self, &step);
    else if (strcmp (event->event, "committee_formed") == 0 && event->data &&
             event->data->committee) {
        //  The first two members are a majority of three
        const Cf__CommitteeData *committee = event->data->committee;
        for (size_t index = 0; index < 2 && index < committee->n_members;
             index++) {
            step.kind = S_VOTE;
            snprintf (step.who, sizeof step.who, "%s",
                      committee->members[index]);
            s_push (self, &step);
        }
    } else if (strcmp (event->event, "certificate_issued") == 0) {
        int64_t now = zclock_usecs ();
        pthread_mutex_lock (&self->lock);
        int64_t *sent = zhashx_lookup (self->sent, event->case_id);
        if (sent && self->certified < self->target) {
            self->latency[self->certified++] = now - *sent;
            zhashx_delete (self->sent, event->case_id);
            s_next_submit (self);
        }
        pthread_cond_broadcast (&self->changed);
        pthread_mutex_unlock (&self->lock);
    }
}

//  Reads every event after the cursor. Returns 0, or -1 (failed the run)
static int
s_catch_up (s_watcher_t *self)
{
    s_driver_t *driver = self->driver;
    bool more = true;
    while (more) {
        Cf__EventsSince since = CF__EVENTS_SINCE__INIT;
        since.after = driver->cursor;
        since.limit = 100;
        char id[32];
        snprintf (id, sizeof id, "watch-%ld", ++self->made);
        Cf__Request request = CF__REQUEST__INIT;
        request.id = id;
        request.body_case = CF__REQUEST__BODY_EVENTS;
        request.events = &since;
        Cf__Reply *reply = NULL;
        int rc = cf_client_request (self->admin, &request, &reply);
        if (rc || reply->status != CF__STATUS__STATUS_OK ||
            reply->body_case != CF__REPLY__BODY_EVENTS) {
            s_fail (driver, "events since %" PRIu64 " failed: %s %s",
                    driver->cursor, rc ? cf_errname (rc) : reply->error,
                    rc ? "" : reply->message);
            cf_pb_free (&reply);
            return -1;
        }
        atomic_fetch_add (&driver->reads, 1);
        const Cf__EventList *list = reply->events;
        for (size_t index = 0; index < list->n_events; index++) {
            s_seen (driver, list->events[index]);
            driver->cursor = list->events[index]->seq;
        }
        if (list->scanned > driver->cursor)
            driver->cursor = list->scanned;
        more = list->more && list->n_events > 0;
        cf_pb_free (&reply);
    }
    return 0;
}

static void *
s_watcher_run (void *argument)
{
    s_watcher_t *self = argument;
    s_driver_t *driver = self->driver;
    zmq_pollitem_t item = {zsock_resolve (self->feed), 0, ZMQ_POLLIN, 0};
    while (true) {
        pthread_mutex_lock (&driver->lock);
        bool stopping = driver->stopping;
        pthread_mutex_unlock (&driver->lock);
        if (stopping)
            break;
        //  The doorbell: drain what rang, then read the events
        if (zmq_poll (&item, 1, 20) > 0)
            while (zsock_events (self->feed) & ZMQ_POLLIN) {
                zmsg_t *message = zmsg_recv (self->feed);
                zmsg_destroy (&message);
            }
        if (s_catch_up (self) != 0)
            break;
    }
    return NULL;
}

//  ------------------------------------------------------------------------
//  Figures from outside

//  LMDB's last transaction id, the bytes its pages fill, and the bytes
//  of the pages its trees hold (the rest is free, for LMDB to use again)
typedef struct {
    uint64_t txnid;
    uint64_t bytes;
    uint64_t held;
} s_lmdb_t;

static uint64_t
s_pages_of (MDB_txn *txn, MDB_dbi dbi)
{
    MDB_stat stat;
    if (mdb_stat (txn, dbi, &stat) != 0)
        return 0;
    return stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages;
}

//  The pages of the main tree and of every named database in it
static uint64_t
s_held_pages (MDB_env *env)
{
    MDB_txn *txn;
    MDB_dbi main;
    MDB_cursor *cursor;
    if (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn) != 0)
        return 0;
    uint64_t pages = 0;
    if (mdb_dbi_open (txn, NULL, 0, &main) == 0 &&
        mdb_cursor_open (txn, main, &cursor) == 0) {
        pages = s_pages_of (txn, main);
        MDB_val key, value;
        while (mdb_cursor_get (cursor, &key, &value, MDB_NEXT) == 0) {
            char name[64];
            MDB_dbi dbi;
            if (key.mv_size >= sizeof name)
                continue;
            memcpy (name, key.mv_data, key.mv_size);
            name[key.mv_size] = 0;
            if (mdb_dbi_open (txn, name, 0, &dbi) == 0)
                pages += s_pages_of (txn, dbi);
        }
        mdb_cursor_close (cursor);
    }
    mdb_txn_abort (txn);
    return pages;
}

static s_lmdb_t
s_lmdb (const char *dir)
{
    s_lmdb_t figures = {0, 0, 0};
    MDB_env *env = NULL;
    if (mdb_env_create (&env) != 0)
        return figures;
    mdb_env_set_maxdbs (env, 32);
    MDB_envinfo info;
    MDB_stat stat;
    if (mdb_env_open (env, dir, MDB_RDONLY, 0600) == 0 &&
        mdb_env_info (env, &info) == 0 && mdb_env_stat (env, &stat) == 0) {
        figures.txnid = info.me_last_txnid;
        figures.bytes = (uint64_t)(info.me_last_pgno + 1) * stat.ms_psize;
        figures.held = s_held_pages (env) * stat.ms_psize;
    }
    mdb_env_close (env);
    return figures;
}

//  Bare LMDB: one small durable put a commit, for S_BASELINE_MS.
//  Returns commits per second, or 0.
static double
s_lmdb_baseline (const char *dir)
{
    mkdir (dir, 0700);
    MDB_env *env = NULL;
    MDB_dbi dbi;
    double rate = 0;
    if (mdb_env_create (&env) != 0)
        return 0;
    mdb_env_set_mapsize (env, 64u << 20);
    if (mdb_env_open (env, dir, 0, 0600) == 0) {
        char value[128] = {0};
        int64_t start = zclock_usecs ();
        long commits = 0;
        int rc = 0;
        while (rc == 0 && zclock_usecs () - start < S_BASELINE_MS * 1000LL) {
            MDB_txn *txn = NULL;
            rc = mdb_txn_begin (env, NULL, 0, &txn);
            if (rc == 0)
                rc = mdb_dbi_open (txn, NULL, 0, &dbi);
            long key_number = commits;
            MDB_val key = {sizeof key_number, &key_number};
            MDB_val data = {sizeof value, value};
            if (rc == 0)
                rc = mdb_put (txn, dbi, &key, &data, 0);
            if (rc == 0)
                rc = mdb_txn_commit (txn);
            else if (txn)
                mdb_txn_abort (txn);
            commits += rc == 0;
        }
        if (rc == 0)
            rate = commits / ((double)(zclock_usecs () - start) / 1e6);
    }
    mdb_env_close (env);
    return rate;
}

//  CPU seconds of a process so far
static double
s_cpu_of (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
    return cf_bench_cpu_read (path);
}

//  ------------------------------------------------------------------------
//  The site

typedef struct {
    cf_bench_site_t site;
    cf_bench_store_t store;
    char *store_dir;  //  DATA/store
    char *worker_bin;
    char *examples;  //  The examples directory
    char *worker_certs[S_STAGE_COUNT];
    pid_t workers[S_STAGE_COUNT];
    int capacity;  //  Of each worker; 0: the worker's default
    s_driver_t driver;
} s_bench_t;

//  Issues the people's and the workers' certificates into the daemon's
//  allow-list before it starts. Returns 0 or -1 (said).
static int
s_identities (s_bench_t *self)
{
    char *certs = cf_bench_format ("%s/certs", self->store.data);
    cf_problems_t *problems = cf_problems_new ();
    int rc = 0;
    zsys_set_logstream (NULL);
    for (size_t index = 0; index < S_PEOPLE + S_STAGE_COUNT && rc == 0;
         index++) {
        bool person = index < S_PEOPLE;
        char worker[32];
        if (!person)
            snprintf (worker, sizeof worker, "worker-%s",
                      s_stages[index - S_PEOPLE]);
        const char *name = person ? s_people[index][0] : worker;
        const char *role = person ? s_people[index][1] : "worker";
        zcert_t *cert = NULL;
        rc = cf_identity_issue (certs, name, role,
                                strcmp (role, "applicant") == 0 ? S_ORG : NULL,
                                &cert, problems);
        char *path = cf_bench_format ("%s/%s.cert", self->site.dir, name);
        if (rc == 0)
            rc = zcert_save_secret (cert, path);
        if (person)
            self->driver.certs[index] = path;
        else
            self->worker_certs[index - S_PEOPLE] = path;
        zcert_destroy (&cert);
    }
    zsys_set_logstream (stdout);
    if (rc) {
        char *why = cf_problems_join (problems);
        printf ("  cannot issue the certificates in %s: %s\n", certs, why);
        free (why);
    }
    cf_problems_destroy (&problems);
    free (certs);
    return rc ? -1 : 0;
}

//  As the admin, puts every examples/staff/*.json. Returns 0 or -1 (said).
static int
s_staff (s_bench_t *self)
{
    char *dir_path = cf_bench_format ("%s/staff", self->examples);
    DIR *dir = opendir (dir_path);
    cf_problems_t *problems = cf_problems_new ();
    cf_client_t *admin =
        cf_client_new (self->site.client_endpoint, self->store.admin,
                       self->store.server_cert, CF_BENCH_REPLY_MS, 3, problems);
    int rc = dir && admin ? 0 : -1;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (dir))) {
        size_t length = strlen (entry->d_name);
        if (length < 6 || strcmp (entry->d_name + length - 5, ".json") != 0)
            continue;
        char *path = cf_bench_format ("%s/%s", dir_path, entry->d_name);
        char *text = NULL;
        size_t size = 0;
        Cf__Staff *staff = NULL;
        rc =
            cf_json_load_file (path, CF_JSON_MAX_BYTES, &text, &size, problems);
        if (rc == 0)
            rc = cf_json_staff (text, size, &staff, problems);
        if (rc == 0) {
            Cf__StaffRequest put = CF__STAFF_REQUEST__INIT;
            put.staff = staff;
            Cf__Request *request = cf_pb_new (&cf__request__descriptor);
            request->body_case = CF__REQUEST__BODY_STAFF_PUT;
            request->staff_put = &put;
            Cf__Reply *reply = NULL;
            rc = cf_client_request (admin, request, &reply);
            if (rc == 0 && reply->status != CF__STATUS__STATUS_OK) {
                cf_problems_add (problems, "staff", "%s refused: %s", path,
                                 reply->message);
                rc = -1;
            }
            request->staff_put = NULL;
            request->body_case = CF__REQUEST__BODY__NOT_SET;
            cf_pb_free (&request);
            cf_pb_free (&reply);
        }
        cf_pb_free (&staff);
        free (text);
        free (path);
    }
    if (rc) {
        char *why = cf_problems_join (problems);
        printf ("  cannot put the staff of %s: %s\n", dir_path, why);
        free (why);
    }
    if (dir)
        closedir (dir);
    cf_client_destroy (&admin);
    cf_problems_destroy (&problems);
    free (dir_path);
    return rc ? -1 : 0;
}

static int
s_workers_start (s_bench_t *self)
{
    for (size_t index = 0; index < S_STAGE_COUNT; index++) {
        char *log = cf_bench_format ("%s/worker-%s.log", self->site.dir,
                                     s_stages[index]);
        char *name = cf_bench_format ("worker-%s", s_stages[index]);
        char capacity[16];
        snprintf (capacity, sizeof capacity, "%d", self->capacity);
        char *argv[] = {self->worker_bin,
                        "--worker-endpoint",
                        self->site.worker_endpoint,
                        "--cert",
                        self->worker_certs[index],
                        "--server-cert",
                        self->store.server_cert,
                        "--stage",
                        (char *)s_stages[index],
                        "--name",
                        name,
                        self->capacity ? "--capacity" : NULL,
                        capacity,
                        NULL};
        self->workers[index] = cf_bench_spawn (&self->site, argv, log);
        free (log);
        free (name);
        if (self->workers[index] < 0) {
            self->workers[index] = 0;
            return -1;
        }
    }
    return 0;
}

static void
s_workers_stop (s_bench_t *self)
{
    for (size_t index = 0; index < S_STAGE_COUNT; index++)
        if (self->workers[index] > 0) {
            kill (self->workers[index], SIGTERM);
            if (cf_bench_wait_exit (self->workers[index], CF_BENCH_STOP_MS) ==
                -1) {
                kill (self->workers[index], SIGKILL);
                cf_bench_wait_exit (self->workers[index], CF_BENCH_STOP_MS);
            }
            self->workers[index] = 0;
        }
}

static double
s_workers_cpu (s_bench_t *self)
{
    double seconds = 0;
    for (size_t index = 0; index < S_STAGE_COUNT; index++)
        seconds += s_cpu_of (self->workers[index]);
    return seconds;
}

//  ------------------------------------------------------------------------
//  A phase: cases whole cases with flight in flight

static int
s_phase (s_bench_t *self, int flight, int cases, s_phase_t *result)
{
    s_driver_t *driver = &self->driver;
    s_lmdb_t lmdb_from = s_lmdb (self->store_dir);
    double daemon_from = s_cpu_of (self->site.daemon);
    double workers_from = s_workers_cpu (self);
    double driver_from = cf_bench_cpu_read ("/proc/self/stat");
    long requests_from = atomic_load (&driver->requests);
    long reads_from = atomic_load (&driver->reads);
    long transitions_from = atomic_load (&driver->transitions);
    int64_t start = zclock_usecs ();

    pthread_mutex_lock (&driver->lock);
    driver->phase++;
    driver->target = cases;
    driver->submitted = 0;
    driver->certified = 0;
    free (driver->latency);
    driver->latency = calloc ((size_t)cases, sizeof (int64_t));
    if (!driver->latency)
        abort ();
    for (int index = 0; index < flight; index++)
        s_next_submit (driver);
    int last = 0;
    int64_t progress = zclock_mono ();
    while (driver->certified < cases && !driver->failure[0]) {
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait (&driver->changed, &driver->lock, &until);
        if (driver->certified != last) {
            last = driver->certified;
            progress = zclock_mono ();
        } else if (zclock_mono () - progress > S_CASE_MS) {
            pthread_mutex_unlock (&driver->lock);
            s_fail (driver, "no case certified for %d ms (%d of %d)", S_CASE_MS,
                    last, cases);
            pthread_mutex_lock (&driver->lock);
        }
        if (zsys_interrupted) {
            pthread_mutex_unlock (&driver->lock);
            s_fail (driver, "interrupted");
            pthread_mutex_lock (&driver->lock);
        }
    }
    bool failed = driver->failure[0] != '\0';
    pthread_mutex_unlock (&driver->lock);
    if (failed) {
        printf ("  C=%d: %s\n", flight, driver->failure);
        return -1;
    }
    int64_t end = zclock_usecs ();
    double seconds = (double)(end - start) / 1e6;
    s_lmdb_t lmdb_until = s_lmdb (self->store_dir);
    double commits = (double)(lmdb_until.txnid - lmdb_from.txnid);
    long transitions = atomic_load (&driver->transitions) - transitions_from;
    qsort (driver->latency, (size_t)cases, sizeof (int64_t), cf_bench_compare);
    *result = (s_phase_t){
        .flight = flight,
        .cases = cases,
        .seconds = seconds,
        .cases_s = cases / seconds,
        .transitions_s = (double)transitions / seconds,
        .requests_s =
            (double)(atomic_load (&driver->requests) - requests_from) / seconds,
        .reads_s =
            (double)(atomic_load (&driver->reads) - reads_from) / seconds,
        .p50_ms =
            cf_bench_quantile (driver->latency, (size_t)cases, 0.50) / 1000.0,
        .p99_ms =
            cf_bench_quantile (driver->latency, (size_t)cases, 0.99) / 1000.0,
        .commits = commits / cases,
        .events_commit = commits > 0 ? (double)transitions / commits : 0,
        .daemon_ms =
            (s_cpu_of (self->site.daemon) - daemon_from) * 1000 / cases,
        .workers_ms = (s_workers_cpu (self) - workers_from) * 1000 / cases,
        .driver_share =
            (cf_bench_cpu_read ("/proc/self/stat") - driver_from) / seconds,
        .bytes_case = (double)(lmdb_until.bytes - lmdb_from.bytes) / cases,
        .held_case =
            ((double)lmdb_until.held - (double)lmdb_from.held) / cases};
    return 0;
}

static void
s_phase_print (const s_phase_t *phase)
{
    printf ("  %2d  %7.0f  %7.0f  %7.0f  %6.0f  %7.2f  %7.2f  %6.2f  %6.2f  "
            "%6.2f  %6.2f  %5.0f%%  %6.1f  %5.1f\n",
            phase->flight, phase->cases_s, phase->transitions_s,
            phase->requests_s, phase->reads_s, phase->p50_ms, phase->p99_ms,
            phase->commits, phase->events_commit, phase->daemon_ms,
            phase->workers_ms, phase->driver_share * 100,
            phase->bytes_case / 1024.0, phase->held_case / 1024.0);
    fflush (stdout);
}

//  ------------------------------------------------------------------------
//  Restarts at a number of stored cases

static int
s_restart (s_bench_t *self, long stored, int repetitions)
{
    if (cf_bench_daemon_stop (&self->site) != 0)
        return -1;
    double times[repetitions], peaks[repetitions], anon[repetitions];
    cf_bench_start_t start = {0};
    for (int rep = 0; rep <= repetitions; rep++) {
        if (cf_bench_daemon_start (&self->site, &self->store, NULL, &start) !=
            0)
            return -1;
        if (rep < repetitions && cf_bench_daemon_stop (&self->site) != 0)
            return -1;
        if (rep == 0)
            continue;  //  The page cache warms up
        times[rep - 1] = start.ready_ms;
        peaks[rep - 1] = start.hwm_kb / 1024.0;
        anon[rep - 1] = start.anon_kb / 1024.0;
    }
    //  The last start keeps running for the next phase
    s_lmdb_t lmdb = s_lmdb (self->store_dir);
    printf ("  %7ld stored cases (%" PRIu64 " events, store %.0f MB): restart "
            "%6.1f ms median, peak RSS %5.1f MB (anonymous %.1f)\n",
            stored, start.seq, lmdb.bytes / 1048576.0,
            cf_bench_median (times, (size_t)repetitions),
            cf_bench_median (peaks, (size_t)repetitions),
            cf_bench_median (anon, (size_t)repetitions));
    fflush (stdout);
    return 0;
}

//  ------------------------------------------------------------------------
//  Stored cases by copying

//  One whole case to copy: its record, its events and its certificate
typedef struct {
    Cf__Case *record;
    Cf__Event **events;
    size_t event_count;
    Cf__Certificate *certificate;
} s_template_t;

//  Reads up to most certified cases of the run as templates; *count gets
//  how many. Returns 0 or -1 (said).
static int
s_templates (cf_store_t *store, s_template_t *templates, size_t most,
             size_t *count)
{
    *count = 0;
    Cf__Case **cases = NULL;
    size_t found = 0;
    char *next = NULL;
    int rc = cf_store_list_by_state (store, CF__STATE__STATE_CERTIFIED, NULL,
                                     most, &cases, &found, &next);
    free (next);
    for (size_t index = 0; rc == 0 && index < found; index++) {
        s_template_t *template = &templates[*count];
        template->record = cases[index];
        cases[index] = NULL;
        rc = cf_store_case_history (store, template->record->id,
                                    &template->events, &template->event_count);
        if (rc == 0)
            rc = cf_store_get_certificate (store, template->record->certificate,
                                           &template->certificate);
        (*count)++;
    }
    cf_store_cases_free (&cases, found);
    if (rc == 0 && *count == 0)
        rc = CF_ENOTFOUND;
    if (rc)
        printf ("  no certified case to copy: %s\n", cf_strerror (rc));
    return rc ? -1 : 0;
}

static void
s_templates_free (s_template_t *templates, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        cf_pb_free (&templates[index].record);
        cf_store_events_free (&templates[index].events,
                              templates[index].event_count);
        cf_pb_free (&templates[index].certificate);
    }
}

//  Puts copy serial of template into batch
static int
s_put_copy (cf_batch_t *batch, const s_template_t *template, long serial)
{
    char id[32], number[32];
    snprintf (id, sizeof id, "CF-COPY-%08ld", serial);
    snprintf (number, sizeof number, "CFCOPY%08ld", serial);
    Cf__Case *record = cf_pb_dup (&template->record->base);
    cf_pb_set_string (&record->id, id);
    cf_pb_set_string (&record->certificate, number);
    int rc = cf_batch_put_case (batch, record);
    cf_pb_free (&record);
    for (size_t index = 0; rc == 0 && index < template->event_count; index++) {
        Cf__Event *event = cf_pb_dup (&template->events[index]->base);
        cf_pb_set_string (&event->case_id, id);
        rc = cf_batch_append_event (batch, event);
        cf_pb_free (&event);
    }
    Cf__Certificate *certificate = cf_pb_dup (&template->certificate->base);
    cf_pb_set_string (&certificate->number, number);
    cf_pb_set_string (&certificate->case_id, id);
    if (rc == 0)
        rc = cf_batch_put_certificate (batch, certificate);
    cf_pb_free (&certificate);
    return rc;
}

//  Copies the run's certified cases into the stopped daemon's store until
//  it holds stored cases, from total. Returns 0 or -1 (said).
static int
s_copy_fill (s_bench_t *self, long total, long stored)
{
    enum { S_TEMPLATES = 64, S_COPIES_A_COMMIT = 500 };
    if (cf_bench_daemon_stop (&self->site) != 0)
        return -1;
    //  Room for the copies from the start (about 14 KB each), so that the
    //  map seldom grows on the way
    s_lmdb_t lmdb = s_lmdb (self->store_dir);
    size_t room = (size_t)lmdb.bytes + (size_t)(stored - total) * 20 * 1024;
    cf_store_t *store = NULL;
    int rc = cf_store_open (self->store_dir, room, &store);
    s_template_t templates[S_TEMPLATES] = {{0}};
    size_t count = 0;
    if (rc == 0)
        rc =
            s_templates (store, templates, S_TEMPLATES, &count) ? CF_EINVAL : 0;
    int64_t started = zclock_mono ();
    long step = (stored - total) / 10 > 0 ? (stored - total) / 10 : 1;
    for (long copy = total; rc == 0 && copy < stored;) {
        cf_batch_t *batch = cf_batch_new ();
        long until = copy + S_COPIES_A_COMMIT < stored
                         ? copy + S_COPIES_A_COMMIT
                         : stored;
        for (long serial = copy; rc == 0 && serial < until; serial++)
            rc = s_put_copy (batch, &templates[serial % count], serial);
        if (rc == 0)
            rc = cf_store_commit (store, batch, NULL, NULL);
        if (rc == CF_ESTOREFULL &&
            cf_store_grow (store, cf_store_map_size (store) * 2) == 0)
            rc = cf_store_commit (store, batch, NULL, NULL);
        cf_batch_destroy (&batch);
        if (rc == 0 && until / step != copy / step)
            printf ("    copied to %ld stored cases (%.0f s)\n", until,
                    (double)(zclock_mono () - started) / 1000);
        fflush (stdout);
        copy = until;
    }
    if (rc)
        printf ("  copying cases into %s failed: %s\n", self->store_dir,
                cf_strerror (rc));
    s_templates_free (templates, count);
    cf_store_destroy (&store);
    return rc ? -1 : 0;
}

//  ------------------------------------------------------------------------
//  The run

static int
s_setup (s_bench_t *self)
{
    s_driver_t *driver = &self->driver;
    self->store.label = "whole cases";
    self->store.data = cf_bench_format ("%s/data", self->site.dir);
    self->store.admin = cf_bench_format ("%s/admin.cert", self->store.data);
    self->store.server_cert =
        cf_bench_format ("%s/keys/daemon.cert", self->store.data);
    self->store_dir = cf_bench_format ("%s/store", self->store.data);
    if (cf_bench_certflowd (&self->site, self->store.data, "init") != 0 ||
        s_identities (self) != 0)
        return -1;
    cf_bench_start_t start;
    if (cf_bench_daemon_start (&self->site, &self->store, NULL, &start) != 0 ||
        s_staff (self) != 0 || s_workers_start (self) != 0)
        return -1;
    printf ("  certflowd up in %.1f ms (pid %d); staff put; workers: %s",
            start.ready_ms, (int)self->site.daemon, s_stages[0]);
    for (size_t index = 1; index < S_STAGE_COUNT; index++)
        printf (", %s", s_stages[index]);
    printf ("\n");
    //  The sheet the leader files: examples/scores.json with no
    //  nonconformity open, so the case goes to the committee
    char *path = cf_bench_format ("%s/scores.json", self->examples);
    char *text = NULL;
    size_t size = 0;
    Cf__ScoreSheet *sheet = NULL;
    int rc = cf_json_load_file (path, CF_JSON_MAX_BYTES, &text, &size, NULL);
    if (rc == 0)
        rc = cf_json_score_sheet (text, size, &sheet, NULL);
    free (text);
    if (rc) {
        printf ("  cannot read the score sheet %s\n", path);
        free (path);
        return -1;
    }
    free (path);
    for (size_t index = 0; index < sheet->n_nonconformities; index++)
        cf_pb_free (&sheet->nonconformities[index]);
    sheet->n_nonconformities = 0;
    driver->sheet = sheet;
    return 0;
}

static int
s_watch_start (s_bench_t *self, s_watcher_t *watcher, pthread_t *thread)
{
    s_driver_t *driver = &self->driver;
    cf_problems_t *problems = cf_problems_new ();
    watcher->driver = driver;
    watcher->admin =
        cf_client_new (self->site.client_endpoint, self->store.admin,
                       self->store.server_cert, CF_BENCH_REPLY_MS, 3, problems);
    watcher->feed = zsock_new (ZMQ_SUB);
    int rc = watcher->admin && watcher->feed ? 0 : -1;
    if (rc == 0)
        rc = cf_identity_client (watcher->feed, self->store.admin,
                                 self->store.server_cert, problems);
    if (rc == 0) {
        zsock_set_subscribe (watcher->feed, "");
        rc = zsock_connect (watcher->feed, "%s", self->site.feed_endpoint);
    }
    //  Whatever is in the store already is not this run's
    Cf__Request ping = CF__REQUEST__INIT;
    ping.id = "watch-start";
    ping.body_case = CF__REQUEST__BODY_PING;
    ping.ping = true;
    Cf__Reply *reply = NULL;
    if (rc == 0 && cf_client_request (watcher->admin, &ping, &reply) == 0 &&
        reply->body_case == CF__REPLY__BODY_SEQ)
        driver->cursor = reply->seq;
    cf_pb_free (&reply);
    if (rc == 0 && pthread_create (thread, NULL, s_watcher_run, watcher) != 0)
        rc = -1;
    if (rc) {
        char *why = cf_problems_join (problems);
        printf ("  cannot watch the feed: %s\n", why);
        free (why);
    }
    cf_problems_destroy (&problems);
    return rc;
}

int
main (int argc, char **argv)
{
    int cases = 500;
    long stored[8];
    size_t stored_count = 0;
    bool keep = false, copies = false;
    int capacity = 0;
    const char *stored_arg = "10000";
    for (int index = 1; index < argc; index++) {
        if (strcmp (argv[index], "-k") == 0)
            keep = true;
        else if (strcmp (argv[index], "-n") == 0 && index + 1 < argc)
            cases = atoi (argv[++index]);
        else if ((strcmp (argv[index], "-s") == 0 ||
                  strcmp (argv[index], "-S") == 0) &&
                 index + 1 < argc) {
            copies = argv[index][1] == 'S';
            stored_arg = argv[++index];
        } else if (strcmp (argv[index], "-c") == 0 && index + 1 < argc &&
                   atoi (argv[index + 1]) > 0)
            capacity = atoi (argv[++index]);
        else
            cases = 0;
    }
    for (const char *cursor = stored_arg; *cursor && stored_count < 8;) {
        char *end = NULL;
        long value = strtol (cursor, &end, 10);
        if (end == cursor || value <= 0)
            break;
        stored[stored_count++] = value;
        cursor = *end == ',' ? end + 1 : end;
    }
    if (cases < S_FLIGHT_MAX) {
        fprintf (stderr,
                 "usage: bench_cases [-k] [-n CASES >= %d] [-s|-S "
                 "STORED[,STORED...]] [-c CAPACITY]\n",
                 S_FLIGHT_MAX);
        return 2;
    }
    s_bench_t bench = {.site = {.dir = "/tmp/cf-bench-cases-XXXXXX"}};
    s_driver_t *driver = &bench.driver;
    bench.capacity = capacity;
    bench.site.bin = cf_bench_find_program ("certflowd");
    bench.worker_bin = cf_bench_find_program ("certflow-worker");
    Cf__Application *application =
        bench.site.bin ? cf_bench_application (NULL, bench.site.bin) : NULL;
    if (!application || !bench.worker_bin || !mkdtemp (bench.site.dir)) {
        cf_pb_free (&application);
        free (bench.site.bin);
        free (bench.worker_bin);
        return 1;
    }
    //  The examples beside the application read
    char *from_build = cf_bench_format (
        "%.*s/../examples/scores.json",
        (int)(strrchr (bench.site.bin, '/') - bench.site.bin), bench.site.bin);
    char *candidates[] = {"examples/scores.json", from_build, NULL};
    char *scores = cf_bench_first_existing (candidates);
    free (from_build);
    bench.examples = scores ? strndup (scores, strrchr (scores, '/') - scores)
                            : strdup ("examples");
    free (scores);
    zsys_set_max_sockets (0);  //  As many as the system allows
    zsys_init ();
    zsys_set_logstream (NULL);
    cf_log_set_level (CF_LOG_WARNING);  //  cf_identity_issue's notes  //  The
                                        //  clients' reconnect notes
    bench.site.env = cf_bench_environment ();
    bench.site.client_endpoint =
        cf_bench_format ("ipc://%s/client.ipc", bench.site.dir);
    bench.site.worker_endpoint =
        cf_bench_format ("ipc://%s/worker.ipc", bench.site.dir);
    bench.site.feed_endpoint =
        cf_bench_format ("ipc://%s/feed.ipc", bench.site.dir);
    driver->site = &bench.site;
    driver->store = &bench.store;
    driver->application = application;
    pthread_mutex_init (&driver->lock, NULL);
    pthread_cond_init (&driver->changed, NULL);
    pthread_cond_init (&driver->queued, NULL);
    driver->queue_size = 256;
    driver->queue = calloc (driver->queue_size, sizeof (s_step_t));
    for (size_t index = 0; index <= S_PEOPLE; index++) {
        driver->pool[index] = zlistx_new ();
        zlistx_set_destructor (driver->pool[index],
                               (zlistx_destructor_fn *)cf_client_destroy);
    }
    driver->sent = zhashx_new ();
    zhashx_set_destructor (driver->sent, (zhashx_destructor_fn *)zstr_free);
    printf ("certflowd %s and certflow-worker on ipc:// in %s\n",
            bench.site.bin, bench.site.dir);

    //  The ceiling first, on an idle disk: bare LMDB durable commits
    char *baseline_dir = cf_bench_format ("%s/lmdb-baseline", bench.site.dir);
    double ceiling = s_lmdb_baseline (baseline_dir);
    free (baseline_dir);
    printf ("  bare LMDB on this disk: %.0f durable commits/s (one small put "
            "a commit)\n",
            ceiling);

    s_thread_t threads[S_THREADS] = {{0}};
    pthread_t thread_ids[S_THREADS];
    s_watcher_t watcher = {0};
    pthread_t watcher_id;
    int started = 0;
    bool watching = false;
    int rc = ceiling > 0 ? s_setup (&bench) : -1;
    if (rc == 0) {
        rc = s_watch_start (&bench, &watcher, &watcher_id);
        watching = rc == 0;
    }
    for (; rc == 0 && started < S_THREADS; started++) {
        threads[started] = (s_thread_t){.driver = driver, .index = started};
        if (pthread_create (&thread_ids[started], NULL, s_thread_run,
                            &threads[started]) != 0)
            rc = -1;
    }
    size_t flights = sizeof s_flights / sizeof s_flights[0];
    s_phase_t phases[flights];
    long total = 0;
    if (rc == 0) {
        s_phase_t warm;
        rc = s_phase (&bench, 16, S_FLIGHT_MAX, &warm);
        total += S_FLIGHT_MAX;
        if (rc == 0)
            printf ("  warm-up: %d whole cases, 16 in flight, not counted "
                    "(%.0f/s)\n",
                    S_FLIGHT_MAX, warm.cases_s);
    }
    if (rc == 0)
        printf ("whole cases (13 events, 6 requests of their people and 7 "
                "worker jobs each), %d per C;\nCPU in ms per case, the "
                "driver's in %% of one core, store growth and what its trees "
                "hold (free pages apart) in KB per case:\n"
                "   C  cases/s  trans/s    req/s  reads/s  p50 ms   p99 ms  "
                "commit  ev/com  daemon  worker  driver   store   held\n",
                cases);
    for (size_t index = 0; rc == 0 && index < flights; index++) {
        rc = s_phase (&bench, s_flights[index], cases, &phases[index]);
        total += cases;
        if (rc == 0)
            s_phase_print (&phases[index]);
    }
    if (rc == 0) {
        printf ("against the ceiling (bare LMDB, %.0f commits/s):\n", ceiling);
        for (size_t index = 0; index < flights; index++) {
            const s_phase_t *phase = &phases[index];
            double commits_s = phase->commits * phase->cases_s;
            printf ("  C=%-2d  %6.0f commits/s = %.2f of the ceiling; cases/s "
                    "= %.2f of what the ceiling allows at %.1f commits a "
                    "case\n",
                    phase->flight, commits_s, commits_s / ceiling,
                    phase->cases_s / (ceiling / phase->commits),
                    phase->commits);
        }
        const s_phase_t *single = &phases[0];
        printf ("against one transition a commit (C=1, %.2f events a "
                "commit):\n",
                single->events_commit);
        for (size_t index = 1; index < flights; index++) {
            const s_phase_t *phase = &phases[index];
            printf ("  C=%-2d  cases/s x%.1f, transitions a commit x%.1f, "
                    "daemon CPU a case x%.2f, workers' x%.2f\n",
                    phase->flight, phase->cases_s / single->cases_s,
                    phase->events_commit / single->events_commit,
                    phase->daemon_ms / single->daemon_ms,
                    phase->workers_ms / single->workers_ms);
        }
        printf ("restart (spawn to first answered ping; 3 starts, median; "
                "filled %s):\n",
                copies ? "with copies of the run's cases" : "64 in flight");
        fflush (stdout);
    }
    for (size_t index = 0; rc == 0 && index < stored_count; index++) {
        if (stored[index] > total && copies)
            rc = s_copy_fill (&bench, total, stored[index]);
        else if (stored[index] > total) {
            s_phase_t fill;
            rc = s_phase (&bench, S_FLIGHT_MAX, (int)(stored[index] - total),
                          &fill);
        }
        if (stored[index] > total)
            total = stored[index];
        if (rc == 0)
            rc = s_restart (&bench, total, 3);
    }

    //  Every path ends here: no child outlives the run
    pthread_mutex_lock (&driver->lock);
    driver->stopping = true;
    pthread_cond_broadcast (&driver->changed);
    pthread_cond_broadcast (&driver->queued);
    pthread_mutex_unlock (&driver->lock);
    for (int index = 0; index < started; index++)
        pthread_join (thread_ids[index], NULL);
    if (watching)
        pthread_join (watcher_id, NULL);
    cf_client_destroy (&watcher.admin);
    zsock_destroy (&watcher.feed);
    s_workers_stop (&bench);
    if (cf_bench_daemon_stop (&bench.site) != 0)
        rc = -1;
    if (rc || keep)
        printf ("%skept %s for a look\n", rc ? "bench_cases failed; " : "",
                bench.site.dir);
    else
        cf_bench_remove_tree (bench.site.dir);

    Cf__ScoreSheet *sheet = (Cf__ScoreSheet *)driver->sheet;
    cf_pb_free (&sheet);
    zhashx_destroy (&driver->sent);
    for (size_t index = 0; index <= S_PEOPLE; index++)
        zlistx_destroy (&driver->pool[index]);
    free (driver->queue);
    free (driver->latency);
    for (size_t index = 0; index < S_PEOPLE; index++)
        free (driver->certs[index]);
    for (size_t index = 0; index < S_STAGE_COUNT; index++)
        free (bench.worker_certs[index]);
    for (size_t index = 0; bench.site.env && bench.site.env[index]; index++)
        free (bench.site.env[index]);
    free (bench.site.env);
    free (bench.site.client_endpoint);
    free (bench.site.worker_endpoint);
    free (bench.site.feed_endpoint);
    free (bench.site.daemon_log);
    free (bench.site.bin);
    free (bench.worker_bin);
    free (bench.examples);
    free (bench.store.data);
    free (bench.store.admin);
    free (bench.store.server_cert);
    free (bench.store_dir);
    cf_pb_free (&application);
    return rc ? 1 : 0;
}
