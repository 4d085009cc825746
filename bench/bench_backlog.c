/*  =========================================================================
    bench_backlog - finishing jobs while a backlog of ready jobs waits

    After an outage of the workers a daemon holds a backlog of ready jobs.
    This submits a backlog of cases (an intake job each) to an engine over a
    real store in a temporary directory, then leases the same number of
    jobs in one round and finishes them in the next, with a small and with
    a large backlog waiting. Each job
    that finishes leaves the ready list; when that costs time in proportion
    to the backlog, the large run is as many times slower as it is larger.
    Prints both rates (per second of processor time, so the shared disk's
    fsync waits do not blur them) and their ratio, measured in this run.

    Usage: bench_backlog [small [large]]   (default 2500, and 8 times small)
    =========================================================================
*/

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf_engine.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_store.h"
#include "cf_wire.h"

//  Jobs leased and finished in each measured run
#define S_FINISHED 2000
//  Requests per round while the backlog is built
#define S_ROUND 250

static Cf__Principal s_applicant = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "KEY-A",
    .name = "alice", .org = "ORG-A", .role = CF__ROLE__ROLE_APPLICANT};
static Cf__Principal s_worker = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "KEY-W",
    .name = "worker", .org = "", .role = CF__ROLE__ROLE_WORKER};

//  Submits count cases of application, S_ROUND per round
static int
s_backlog (cf_engine_t *engine, const Cf__Application *application, int count,
           int *sequence)
{
    zframe_t *route = zframe_new ("client", 6);
    for (int done = 0; done < count;) {
        cf_engine_begin (engine, zclock_time ());
        for (int index = 0; index < S_ROUND && done < count; index++, done++) {
            char id[32];
            snprintf (id, sizeof id, "submit-%d", ++*sequence);
            Cf__SubmitRequest submit = CF__SUBMIT_REQUEST__INIT;
            submit.application = (Cf__Application *)application;
            Cf__Request request = CF__REQUEST__INIT;
            request.id = id;
            request.body_case = CF__REQUEST__BODY_SUBMIT;
            request.submit = &submit;
            size_t size;
            uint8_t *data = cf_pb_pack (&request.base, &size);
            cf_engine_request (engine, route, &s_applicant, data, size);
            free (data);
        }
        if (cf_engine_commit (engine) != 0)
            return -1;
    }
    zframe_destroy (&route);
    return 0;
}

//  Processor time of this process, in microseconds: fsync waits of the
//  shared disk do not count
static int64_t
s_cpu_usecs (void)
{
    struct timespec now;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

//  Leases S_FINISHED intake jobs in one round and reports them all done in
//  the next, so the two commits weigh little beside the engine's own work;
//  returns jobs per second
static double
s_finish (cf_engine_t *engine)
{
    zframe_t *route = zframe_new ("worker", 6);
    char *stages[] = {"intake"};
    Cf__JobResult *results = calloc (S_FINISHED, sizeof (Cf__JobResult));
    int64_t start = s_cpu_usecs ();
    cf_engine_begin (engine, zclock_time ());
    for (int count = 0; count < S_FINISHED; count++)
        if (cf_engine_lease (engine, route, "worker", "KEY-W", stages, 1) != 0)
            return 0;
    if (cf_engine_commit (engine) != 0)
        return 0;
    for (int count = 0; count < S_FINISHED; count++) {
        const uint8_t *data;
        size_t size;
        zframe_t *to;
        cf_engine_outbox_item (engine, (size_t)count, &to, &data, &size);
        Cf__DaemonMessage *message = NULL;
        if (cf_wire_decode (&cf__daemon_message__descriptor, data, size,
                            (void **)&message, NULL) != 0)
            return 0;
        results[count] = (Cf__JobResult)CF__JOB_RESULT__INIT;
        results[count].job = message->offer->job->id;
        results[count].lease = message->offer->job->lease;
        results[count].event = "intake_passed";
        cf_pb_free (&message);
    }
    cf_engine_begin (engine, zclock_time ());
    for (int count = 0; count < S_FINISHED; count++)
        cf_engine_result (engine, route, &s_worker, &results[count]);
    int rc = cf_engine_commit (engine);
    double seconds = (double)(s_cpu_usecs () - start) / 1e6;
    free (results);
    zframe_destroy (&route);
    return rc ? 0 : S_FINISHED / seconds;
}

//  One run with a backlog of count ready jobs; returns jobs finished per s
static double
s_run (int count, const Cf__Application *application)
{
    char dir[] = "/tmp/cf-bench-XXXXXX";
    if (!mkdtemp (dir))
        return 0;
    cf_store_t *store = NULL;
    cf_scheme_t *scheme = NULL;
    double rate = 0;
    if (cf_store_open (dir, 0, &store) == 0 &&
        cf_scheme_default (&scheme) == 0) {
        cf_engine_config_t config = {.lease_ms = 600000,
                                     .max_attempts = 3,
                                     .backoff_ms = 1000,
                                     .certs_dir = dir,
                                     .page_max = 100};
        cf_engine_t *engine =
            cf_engine_new (store, scheme, cf_scheme_default_text (), &config);
        int sequence = 0;
        if (engine &&
            s_backlog (engine, application, count + S_FINISHED, &sequence) == 0)
            rate = s_finish (engine);
        cf_engine_destroy (&engine);
    }
    cf_scheme_destroy (&scheme);
    cf_store_destroy (&store);
    char command[64];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    if (system (command) != 0)
        return 0;
    return rate;
}

int
main (int argc, char **argv)
{
    int small = argc > 1 ? atoi (argv[1]) : 2500;
    int large = argc > 2 ? atoi (argv[2]) : small * 8;
    if (argc > 3 || small <= 0 || large <= small) {
        fprintf (stderr, "usage: bench_backlog [small backlog > 0 [large "
                         "backlog > small]]\n");
        return 2;
    }
    char *text = NULL;
    size_t size = 0;
    Cf__Application *application = NULL;
    if (cf_json_load_file ("examples/application.json", CF_JSON_MAX_BYTES,
                           &text, &size, NULL) != 0 ||
        cf_json_application (text, size, &application, NULL) != 0) {
        fprintf (stderr, "bench_backlog: run it from the repository root "
                         "(it reads examples/application.json)\n");
        free (text);
        return 1;
    }
    free (text);
    double base = s_run (small, application);
    double rate = s_run (large, application);
    cf_pb_free (&application);
    if (base <= 0 || rate <= 0) {
        fprintf (stderr, "bench_backlog: a run failed\n");
        return 1;
    }
    printf ("jobs leased and finished, %d per run\n", S_FINISHED);
    printf ("  backlog %6d: %8.0f jobs/s\n", small, base);
    printf ("  backlog %6d: %8.0f jobs/s  (x%.2f vs the small backlog; "
            "1.0 is flat)\n",
            large, rate, rate / base);
    return 0;
}
