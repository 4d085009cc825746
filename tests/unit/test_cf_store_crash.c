/*  Crash test for cf_store: a child process commits batches in a loop and
    reports each committed batch number on a pipe; the parent kills it with
    SIGKILL at a random moment (5-60 ms after it opened the store), 60
    times. After each kill the reopened store must verify (chain and
    indexes), hold every batch the child reported, and hold at most one
    batch more (committed, killed before it could report). Kill times come
    from a fixed seed; the assertions hold for any timing.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_store.h"

#define S_CYCLES      60              //  Kills
#define S_CASES       24              //  Cases the batches update
#define S_CLIENT      "crash-client"  //  Client key of the stored replies
#define S_KILL_MIN_MS 5               //  Earliest kill after fork
#define S_KILL_MAX_MS 60              //  Latest kill after fork

//  xorshift64*: a small generator with a fixed seed
static uint64_t
s_random (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C (2685821657736338717);
}

static void
s_request (uint64_t number, char *id, size_t size, uint8_t *hash)
{
    snprintf (id, size, "batch-%" PRIu64, number);
    crypto_hash_sha256 (hash, (const uint8_t *)id, strlen (id));
}

static void
s_case_id (int index, char *id, size_t size)
{
    snprintf (id, size, "CF-2026-%06d", index);
}

//  ------------------------------------------------------------------------
//  The child: what a daemon does, as fast as it can

//  Adds one case update with its event; 0 or an error code
static int
s_add_case_update (cf_store_t *store, cf_batch_t *batch, int index,
                   uint64_t number)
{
    char id[32];
    s_case_id (index, id, sizeof id);
    Cf__Case *record = NULL;
    int rc = cf_store_get_case (store, id, &record);
    if (rc == CF_ENOTFOUND) {
        record = cf_pb_new (&cf__case__descriptor);
        cf_pb_set_string (&record->id, id);
        record->state = CF__STATE__STATE_SUBMITTED;
        rc = 0;
    }
    if (rc)
        return rc;
    Cf__State from = record->state;
    record->state = (Cf__State)(from % 16 + 1);
    char org[16];
    snprintf (org, sizeof org, "org-%" PRIu64, number % 3);
    cf_pb_set_string (&record->org, org);
    record->deadline_at = number % 2 ? (int64_t)number * 1000 : 0;
    rc = cf_batch_put_case (batch, record);

    char reason[32];
    snprintf (reason, sizeof reason, "batch %" PRIu64, number);
    Cf__EventData data = CF__EVENT_DATA__INIT;
    data.body_case = CF__EVENT_DATA__BODY_REASON;
    data.reason = reason;
    Cf__Event event = CF__EVENT__INIT;
    event.case_id = id;
    event.event = "advance";
    event.from = from;
    event.to = record->state;
    event.data = &data;
    if (rc == 0)
        rc = cf_batch_append_event (batch, &event);
    cf_pb_free (&record);
    return rc;
}

//  Builds batch number: 1-3 case updates and their events, a new job
//  (and the previous one done), a reply naming the batch's last event,
//  and the batch number in meta
//  The case every job of the test is of
#define S_JOB_CASE "CF-2026-999999"

static int
s_build_batch (cf_store_t *store, uint64_t number, cf_batch_t **batch_p)
{
    cf_batch_t *batch = cf_batch_new ();
    uint64_t random = number * UINT64_C (0x9E3779B97F4A7C15) | 1;
    int updates = 1 + (int)(s_random (&random) % 3);
    int first = (int)(s_random (&random) % S_CASES);
    uint64_t seq = 0;
    int rc = cf_store_next_seq (store, batch, &seq);
    for (int update = 0; update < updates && rc == 0; update++)
        rc = s_add_case_update (store, batch, (first + 7 * update) % S_CASES,
                                number);
    uint64_t job_id = 0;
    if (rc == 0)
        rc = cf_store_next_id (store, batch, "next_job", &job_id);
    //  The jobs are of a case of their own that stays open: the others
    //  pass through terminal states, which take a case's jobs with them
    Cf__Case open_case = CF__CASE__INIT;
    open_case.id = S_JOB_CASE;
    open_case.org = "org-jobs";
    open_case.state = CF__STATE__STATE_DOCUMENT_REVIEW;
    if (rc == 0)
        rc = cf_batch_put_case (batch, &open_case);
    Cf__Job job = CF__JOB__INIT;
    job.id = job_id;
    job.case_id = S_JOB_CASE;
    job.stage = "review";
    job.status = CF__JOB_STATUS__JOB_STATUS_READY;
    job.due_at = (int64_t)number * 10;
    if (rc == 0)
        rc = cf_batch_put_job (batch, &job);
    if (rc == 0 && job_id > 1) {
        job.id = job_id - 1;
        job.status = CF__JOB_STATUS__JOB_STATUS_DONE;
        rc = cf_batch_put_job (batch, &job);
    }

    char request[32];
    uint8_t hash[CF_STORE_HASH_SIZE];
    s_request (number, request, sizeof request, hash);
    Cf__Reply reply = CF__REPLY__INIT;
    reply.id = request;
    reply.body_case = CF__REPLY__BODY_SEQ;
    reply.seq = seq + (uint64_t)updates - 1;
    size_t size;
    uint8_t *packed = cf_pb_pack (&reply.base, &size);
    if (rc == 0)
        rc = cf_batch_put_reply (batch, S_CLIENT, request, hash, packed, size,
                                 0);
    free (packed);
    char text[24];
    snprintf (text, sizeof text, "%" PRIu64, number);
    if (rc == 0)
        rc = cf_batch_set_meta (batch, "crash_batch", text);
    if (rc)
        cf_batch_destroy (&batch);
    *batch_p = batch;
    return rc;
}

static void
s_child (const char *dir, uint64_t number, int report)
{
    cf_store_t *store;
    if (cf_store_open (dir, 0, &store))
        _exit (2);
    //  Ready: the parent's kill timer starts now
    uint64_t ready = 0;
    if (write (report, &ready, sizeof ready) != sizeof ready)
        _exit (5);
    for (;; number++) {
        cf_batch_t *batch;
        if (s_build_batch (store, number, &batch))
            _exit (3);
        int rc = cf_store_commit (store, batch, NULL, NULL);
        if (rc == CF_ESTOREFULL &&
            cf_store_grow (store, 2 * cf_store_map_size (store)) == 0)
            rc = cf_store_commit (store, batch, NULL, NULL);
        cf_batch_destroy (&batch);
        if (rc)
            _exit (4);
        //  Reported only once on disk: what a daemon acknowledges
        if (write (report, &number, sizeof number) != sizeof number)
            _exit (5);
    }
}

//  ------------------------------------------------------------------------
//  The parent: kill, reopen, check

//  Reads every number the child reported; they must follow from first
static uint64_t
s_read_reports (int report, uint64_t first, size_t *count)
{
    uint64_t number, last = first - 1;
    *count = 0;
    ssize_t size;
    while ((size = read (report, &number, sizeof number)) == sizeof number) {
        assert_int_equal (number, last + 1);
        last = number;
        (*count)++;
    }
    assert_int_equal (size, 0);  //  EOF, never half a number
    return last;
}

//  Batch number is in the store: its reply, and its last event names it
static void
s_assert_batch_stored (cf_store_t *store, uint64_t number)
{
    char request[32];
    uint8_t hash[CF_STORE_HASH_SIZE];
    s_request (number, request, sizeof request, hash);
    uint8_t *packed;
    size_t size;
    assert_int_equal (
        cf_store_get_reply (store, S_CLIENT, request, hash, &packed, &size), 0);
    Cf__Reply *reply = cf__reply__unpack (NULL, size, packed);
    free (packed);
    assert_non_null (reply);
    assert_string_equal (reply->id, request);
    Cf__Event **events;
    size_t count;
    assert_int_equal (
        cf_store_events_since (store, reply->seq - 1, 1, &events, &count), 0);
    assert_int_equal (count, 1);
    char reason[32];
    snprintf (reason, sizeof reason, "batch %" PRIu64, number);
    assert_non_null (events[0]->data);
    assert_string_equal (events[0]->data->reason, reason);
    cf_store_events_free (&events, count);
    cf__reply__free_unpacked (reply, NULL);
}

static void
s_assert_batch_absent (cf_store_t *store, uint64_t number)
{
    char request[32];
    uint8_t hash[CF_STORE_HASH_SIZE];
    s_request (number, request, sizeof request, hash);
    uint8_t *packed;
    size_t size;
    assert_int_equal (
        cf_store_get_reply (store, S_CLIENT, request, hash, &packed, &size),
        CF_ENOTFOUND);
}

//  Opens the store after a kill and returns the last batch it holds
static uint64_t
s_check_store (const char *dir, uint64_t reported, uint64_t previous)
{
    cf_store_t *store;
    assert_int_equal (cf_store_open (dir, 0, &store), 0);
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_store_verify (store, problems);
    if (rc) {
        char *text = cf_problems_join (problems);
        print_error ("verify after kill: %s\n", text);
        free (text);
    }
    assert_int_equal (rc, 0);
    cf_problems_destroy (&problems);

    uint64_t last = 0;
    char *value;
    rc = cf_store_get_meta (store, "crash_batch", &value);
    if (rc == 0) {
        last = strtoull (value, NULL, 10);
        free (value);
    } else
        assert_int_equal (rc, CF_ENOTFOUND);
    //  Nothing reported is lost; at most one more than reported is there
    assert_true (last >= reported);
    assert_true (last <= reported + 1);
    for (uint64_t number = previous + 1; number <= last; number++)
        s_assert_batch_stored (store, number);
    s_assert_batch_absent (store, last + 1);
    cf_store_destroy (&store);
    return last;
}

static void
s_sleep_ms (uint64_t milliseconds)
{
    struct timespec pause = {(time_t)(milliseconds / 1000),
                             (long)(milliseconds % 1000) * 1000000L};
    while (nanosleep (&pause, &pause) != 0 && errno == EINTR)
        ;
}

static int
s_remove_entry (const char *path, const struct stat *info, int flag,
                struct FTW *ftw)
{
    (void)info, (void)flag, (void)ftw;
    return remove (path);
}

static void
test_kill_during_commits_loses_nothing (void **state)
{
    (void)state;
    assert_true (sodium_init () >= 0);
    char dir[] = "/tmp/cf_store_crash_XXXXXX";
    assert_non_null (mkdtemp (dir));
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);

    uint64_t random = UINT64_C (20261123);
    uint64_t last = 0;      //  Last batch in the store
    size_t unreported = 0;  //  Kills between commit and report
    for (int cycle = 0; cycle < S_CYCLES; cycle++) {
        int report[2];
        assert_int_equal (pipe (report), 0);
        fflush (NULL);
        pid_t child = fork ();
        assert_true (child >= 0);
        if (child == 0) {
            close (report[0]);
            s_child (dir, last + 1, report[1]);
        }
        close (report[1]);
        uint64_t ready = 1;
        assert_int_equal (read (report[0], &ready, sizeof ready), sizeof ready);
        assert_int_equal (ready, 0);
        s_sleep_ms (S_KILL_MIN_MS +
                    s_random (&random) % (S_KILL_MAX_MS - S_KILL_MIN_MS + 1));
        assert_int_equal (kill (child, SIGKILL), 0);
        int status;
        assert_int_equal (waitpid (child, &status, 0), child);
        if (!WIFSIGNALED (status))
            print_error ("child exited by itself with %d\n",
                         WEXITSTATUS (status));
        assert_true (WIFSIGNALED (status));
        assert_int_equal (WTERMSIG (status), SIGKILL);

        size_t count;
        uint64_t reported = s_read_reports (report[0], last + 1, &count);
        close (report[0]);
        uint64_t stored = s_check_store (dir, reported, last);
        unreported += stored > reported;
        last = stored;
    }
    clock_gettime (CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) +
                     (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf ("crash: %d cycles, %" PRIu64 " batches committed, %zu "
            "committed but unreported at the kill, %.1f s\n",
            S_CYCLES, last, unreported, seconds);
    //  The children did real work between kills (about 20 per kill on an
    //  idle machine; the bound leaves room for a loaded one)
    assert_true (last >= S_CYCLES / 4);
    nftw (dir, s_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kill_during_commits_loses_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
