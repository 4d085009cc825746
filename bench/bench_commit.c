/*  =========================================================================
    bench_commit - what group commit buys: durable transitions per second

    Commits the same transitions (a case update, its event, a job and a
    stored reply each) to a real store in a temporary directory, first one
    per commit (a daemon that commits each request alone), then in groups
    of 8, 64 and 256 (what certflowd does with requests that arrive
    together). Every commit is durable (LMDB's default fsync). Prints each
    rate and its ratio to the one-per-commit baseline, measured in this run.

    Usage: bench_commit [transitions]     (default 2000 per configuration)
    =========================================================================
*/

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_pb.h"
#include "cf_store.h"

static Cf__Principal s_who = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "K",
    .name = "bench", .org = "ORG", .role = CF__ROLE__ROLE_WORKER};

//  Adds one transition of case number to batch
static void
s_transition (cf_store_t *store, cf_batch_t *batch, int number, int step)
{
    char id[32], request[32];
    snprintf (id, sizeof id, "CF-2026-%06d", number);
    snprintf (request, sizeof request, "r-%d-%d", number, step);
    Cf__Case record = CF__CASE__INIT;
    record.id = id;
    record.org = "ORG";
    record.state = step % 2 ? CF__STATE__STATE_DOCUMENT_REVIEW
                            : CF__STATE__STATE_SUBMITTED;
    Cf__Event event = CF__EVENT__INIT;
    event.case_id = id;
    event.event = "intake_passed";
    event.from = CF__STATE__STATE_SUBMITTED;
    event.to = record.state;
    event.principal = &s_who;
    uint64_t job_id = 0;
    Cf__Job job = CF__JOB__INIT;
    uint8_t hash[CF_STORE_HASH_SIZE] = {0};
    const uint8_t reply[64] = {0};
    if (cf_batch_put_case (batch, &record) ||
        cf_batch_append_event (batch, &event) ||
        cf_store_next_id (store, batch, "next_job", &job_id))
        abort ();
    job.id = job_id;
    job.case_id = id;
    job.stage = "review";
    job.status = CF__JOB_STATUS__JOB_STATUS_READY;
    if (cf_batch_put_job (batch, &job) ||
        cf_batch_put_reply (batch, "K", request, hash, reply, sizeof reply, 0))
        abort ();
}

//  Commits transitions in groups of group; returns transitions per second
static double
s_run (const char *dir, int transitions, int group, int *base)
{
    cf_store_t *store = NULL;
    if (cf_store_open (dir, 0, &store))
        abort ();
    int64_t start = zclock_usecs ();
    for (int done = 0; done < transitions; done += group) {
        cf_batch_t *batch = cf_batch_new ();
        for (int index = 0; index < group && done + index < transitions;
             index++)
            s_transition (store, batch, *base + done + index, 1);
        if (cf_store_commit (store, batch, NULL, NULL))
            abort ();
        cf_batch_destroy (&batch);
    }
    int64_t elapsed = zclock_usecs () - start;
    *base += transitions;
    cf_store_destroy (&store);
    return transitions / (elapsed / 1e6);
}

int
main (int argc, char **argv)
{
    int transitions = argc > 1 ? atoi (argv[1]) : 2000;
    if (transitions <= 0) {
        fprintf (stderr, "usage: bench_commit [transitions > 0]\n");
        return 2;
    }
    char dir[] = "/tmp/cf-bench-XXXXXX";
    if (!mkdtemp (dir)) {
        perror ("mkdtemp");
        return 1;
    }
    int base = 0;
    const int groups[] = {1, 8, 64, 256};
    double baseline = 0;
    printf ("durable transitions (case + event + job + reply), %d per run\n",
            transitions);
    for (size_t index = 0; index < sizeof groups / sizeof groups[0]; index++) {
        double rate = s_run (dir, transitions, groups[index], &base);
        if (index == 0)
            baseline = rate;
        printf ("  %3d per commit: %9.0f transitions/s  (x%.1f vs one per "
                "commit)\n",
                groups[index], rate, rate / baseline);
    }
    char command[64];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    return system (command) == 0 ? 0 : 1;
}
