/*  =========================================================================
    bench_daemon - the running system: durable submits and restart time

    Starts the real certflowd (from the directory this program was built
    in) on ipc:// endpoints in a temporary directory and measures two
    things against a baseline taken in the same run:

    1. Durable submits per second, one client against many. K client
       threads, each its own CURVE DEALER with its own applicant
       certificate, submit examples/application.json in a closed loop (one
       request in flight per client); K = 1 is the baseline, then 4, 16
       and 64, the same number of submits for each K. Every answer comes
       after its own commit (a case, its event, its index rows, an intake
       job and the stored reply, fsynced); the daemon puts requests that
       arrive together into one commit, so throughput should rise with K.
       No worker runs: the cases stay in submitted. A warm-up round is not
       counted. Also printed: the CPU the daemon's loop thread, the whole
       daemon and the clients used over the round, in % of one core, to
       tell a loop that is busy from one that waits on the disk.
    2. Restart time and memory against the size of the store: from
       spawning `certflowd run` to its first answered ping, and its peak
       RSS (VmHWM) then, on the store step 1 filled and on an empty store,
       each started once unmeasured and then measured repetitions times,
       alternately (the page cache is warm for both). Min and median, and
       how much of the RSS is anonymous memory rather than mapped pages.
       The filled store's event count must equal the submits answered.

    Every child is reaped on every path (and gets SIGTERM if this program
    dies first); Ctrl-C stops the run cleanly.

    Usage: bench_daemon [-k] [-a APPLICATION] [submits [repetitions]]
           (defaults: 2000 submits per K, 3 restarts per store;
           APPLICATION: examples/application.json, looked for from the
           current directory, then from the build directory's parent;
           -k keeps the directory, its stores and the daemon's logs)
    =========================================================================
*/

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "certflow.pb-c.h"
#include "cf_bench.h"
#include "cf_identity.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_wire.h"

//  The numbers of clients measured; the first is the baseline
static const int s_client_counts[] = {1, 4, 16, 64};
#define S_CLIENTS_MAX 64

//  Secret certificate of each client
static char *s_applicants[S_CLIENTS_MAX];

//  One client thread of a round
typedef struct {
    const cf_bench_site_t *site;         //  Endpoints (read only)
    const cf_bench_store_t *store;       //  The daemon's certificate
    const Cf__Application *application;  //  What to submit (read only)
    const char *cert;                    //  This client's certificate
    pthread_barrier_t *start;            //  All clients start together
    int round;                           //  Round number, for request ids
    int index;                           //  Client number, for request ids
    int count;                           //  Submits to make
    int64_t *latency;                    //  Each submit's latency, usecs
    int64_t started;                     //  When its first submit went, usecs
    int64_t finished;                    //  When its last reply came, usecs
    char failure[512];                   //  Why it stopped early, or ""
} s_client_t;

//  What one round measured
typedef struct {
    int clients;    //  K
    int submits;    //  Submits answered OK
    double rate;    //  Submits per second
    double p50_ms;  //  Median latency
    double p99_ms;  //  99th percentile latency
    double loop;    //  CPU of the daemon's loop thread, share of a core
    double daemon;  //  CPU of all the daemon's threads, share of a core
    double load;    //  CPU of this process (the clients), share of a core
} s_round_t;

//  ------------------------------------------------------------------------
//  Small things

//  CPU seconds used so far by the daemon's loop (its main thread), by the
//  whole daemon, and by this process
typedef struct {
    double loop;     //  The daemon's main thread
    double daemon;   //  All the daemon's threads
    double clients;  //  All of this process's threads
    int64_t at;      //  When read, usecs
} s_cpu_t;

static s_cpu_t
s_cpu (pid_t daemon)
{
    char path[64];
    s_cpu_t cpu;
    snprintf (path, sizeof path, "/proc/%d/task/%d/stat", (int)daemon,
              (int)daemon);
    cpu.loop = cf_bench_cpu_read (path);
    snprintf (path, sizeof path, "/proc/%d/stat", (int)daemon);
    cpu.daemon = cf_bench_cpu_read (path);
    cpu.clients = cf_bench_cpu_read ("/proc/self/stat");
    cpu.at = zclock_usecs ();
    return cpu;
}

//  ------------------------------------------------------------------------
//  Step 1: submits from K clients

static void *
s_client_run (void *argument)
{
    s_client_t *self = argument;
    zsock_t *socket = cf_bench_dealer (self->site, self->store, self->cert,
                                       self->failure, sizeof self->failure);
    Cf__Reply *reply = NULL;
    //  The handshake is done before the clock starts
    Cf__Request ping = CF__REQUEST__INIT;
    char id[64];
    snprintf (id, sizeof id, "ping-%d-%d", self->round, self->index);
    ping.id = id;
    ping.body_case = CF__REQUEST__BODY_PING;
    ping.ping = true;
    if (socket && (cf_bench_send (socket, &ping) != 0 ||
                   cf_bench_await (socket, id, CF_BENCH_REPLY_MS, &reply,
                                   self->failure, sizeof self->failure) != 0))
        zsock_destroy (&socket);
    cf_pb_free (&reply);
    //  Every client reaches the barrier, ready or not, or the round hangs
    pthread_barrier_wait (self->start);
    if (!socket)
        return NULL;

    Cf__SubmitRequest submit = CF__SUBMIT_REQUEST__INIT;
    submit.application = (Cf__Application *)self->application;
    Cf__Request request = CF__REQUEST__INIT;
    request.body_case = CF__REQUEST__BODY_SUBMIT;
    request.submit = &submit;
    request.id = id;
    self->started = zclock_usecs ();
    for (int done = 0; done < self->count; done++) {
        snprintf (id, sizeof id, "submit-%d-%d-%d", self->round, self->index,
                  done);
        int64_t sent = zclock_usecs ();
        if (cf_bench_send (socket, &request) != 0) {
            snprintf (self->failure, sizeof self->failure, "cannot send %s",
                      id);
            break;
        }
        if (cf_bench_await (socket, id, CF_BENCH_REPLY_MS, &reply,
                            self->failure, sizeof self->failure) != 0)
            break;
        int64_t answered = zclock_usecs ();
        if (reply->status != CF__STATUS__STATUS_OK) {
            snprintf (self->failure, sizeof self->failure, "%s refused: %s %s",
                      id, reply->error, reply->message);
            cf_pb_free (&reply);
            break;
        }
        cf_pb_free (&reply);
        self->latency[done] = answered - sent;
        self->finished = answered;
    }
    zsock_destroy (&socket);
    return NULL;
}

//  Runs one round: clients threads submit submits in all. Returns 0 with
//  the figures, or -1 (said)
static int
s_round (cf_bench_site_t *site, const cf_bench_store_t *store,
         const Cf__Application *application, int round, int clients,
         int submits, s_round_t *result)
{
    s_client_t *client = calloc ((size_t)clients, sizeof (s_client_t));
    pthread_t *threads = calloc ((size_t)clients, sizeof (pthread_t));
    int64_t *latency = calloc ((size_t)submits, sizeof (int64_t));
    if (!client || !threads || !latency)
        abort ();
    //  The clients and this thread, which reads the daemon's CPU time
    pthread_barrier_t start;
    pthread_barrier_init (&start, NULL, (unsigned)clients + 1);
    int64_t *next = latency;
    for (int index = 0; index < clients; index++) {
        //  The remainder goes to the first clients
        int count = submits / clients + (index < submits % clients);
        client[index] = (s_client_t){.site = site,
                                     .store = store,
                                     .application = application,
                                     .cert = s_applicants[index],
                                     .start = &start,
                                     .round = round,
                                     .index = index,
                                     .count = count,
                                     .latency = next};
        next += count;
        if (pthread_create (&threads[index], NULL, s_client_run,
                            &client[index]) != 0)
            abort ();
    }
    pthread_barrier_wait (&start);
    s_cpu_t cpu_from = s_cpu (site->daemon);
    int rc = 0;
    int64_t first = INT64_MAX, last = 0;
    for (int index = 0; index < clients; index++) {
        pthread_join (threads[index], NULL);
        if (client[index].failure[0]) {
            if (rc == 0)
                printf ("  client %d: %s\n", index, client[index].failure);
            rc = -1;
        }
        if (client[index].started && client[index].started < first)
            first = client[index].started;
        if (client[index].finished > last)
            last = client[index].finished;
    }
    s_cpu_t cpu_until = s_cpu (site->daemon);
    pthread_barrier_destroy (&start);
    if (rc == 0) {
        qsort (latency, (size_t)submits, sizeof (int64_t), cf_bench_compare);
        result->clients = clients;
        result->submits = submits;
        result->rate = submits / ((double)(last - first) / 1e6);
        result->p50_ms =
            cf_bench_quantile (latency, (size_t)submits, 0.50) / 1000.0;
        result->p99_ms =
            cf_bench_quantile (latency, (size_t)submits, 0.99) / 1000.0;
        double wall = (double)(cpu_until.at - cpu_from.at) / 1e6;
        result->loop = (cpu_until.loop - cpu_from.loop) / wall;
        result->daemon = (cpu_until.daemon - cpu_from.daemon) / wall;
        result->load = (cpu_until.clients - cpu_from.clients) / wall;
    }
    free (latency);
    free (threads);
    free (client);
    return rc;
}

//  ------------------------------------------------------------------------
//  The site

//  Makes store label in DIR/name: certflowd init, then one applicant
//  certificate per possible client (the same allow-list for both stores)
static int
s_store_make (cf_bench_site_t *site, cf_bench_store_t *store, const char *label,
              const char *name, bool keep_applicants)
{
    store->label = label;
    store->data = cf_bench_format ("%s/%s", site->dir, name);
    store->admin = cf_bench_format ("%s/admin.cert", store->data);
    store->server_cert = cf_bench_format ("%s/keys/daemon.cert", store->data);
    if (cf_bench_certflowd (site, store->data, "init") != 0)
        return -1;
    char *certs = cf_bench_format ("%s/certs", store->data);
    cf_problems_t *problems = cf_problems_new ();
    int rc = 0;
    //  cf_identity_issue logs each certificate: 64 lines of noise here
    zsys_set_logstream (NULL);
    for (int index = 0; index < S_CLIENTS_MAX && rc == 0; index++) {
        char name_text[32], org[32];
        snprintf (name_text, sizeof name_text, "bench-%02d", index);
        snprintf (org, sizeof org, "BENCH-ORG-%02d", index);
        zcert_t *cert = NULL;
        rc = cf_identity_issue (certs, name_text, "applicant", org, &cert,
                                problems);
        if (rc == 0 && keep_applicants) {
            s_applicants[index] =
                cf_bench_format ("%s/%s.cert", site->dir, name_text);
            rc = zcert_save_secret (cert, s_applicants[index]);
        }
        zcert_destroy (&cert);
    }
    zsys_set_logstream (stdout);
    if (rc) {
        char *why = cf_problems_join (problems);
        printf ("  cannot issue the applicants' certificates in %s: %s\n",
                certs, why);
        free (why);
    }
    cf_problems_destroy (&problems);
    free (certs);
    return rc ? -1 : 0;
}

static void
s_store_free (cf_bench_store_t *store)
{
    free (store->data);
    free (store->admin);
    free (store->server_cert);
}

//  ------------------------------------------------------------------------
//  The run

//  Step 1: a warm-up round, then each K. Returns 0 or -1.
static int
s_submits (cf_bench_site_t *site, const cf_bench_store_t *store,
           const Cf__Application *application, int submits, s_round_t *rounds,
           uint64_t *events)
{
    cf_bench_start_t start;
    if (cf_bench_daemon_start (site, store, NULL, &start) != 0)
        return -1;
    printf ("  certflowd up in %.1f ms (pid %d)\n", start.ready_ms,
            (int)site->daemon);
    int warm_up = submits / 10 > 4 ? submits / 10 : 4;
    s_round_t warm;
    if (s_round (site, store, application, 0, 4, warm_up, &warm) != 0)
        return -1;
    printf ("  warm-up: %d submits from 4 clients, not counted (%.0f/s)\n",
            warm_up, warm.rate);
    printf ("durable submits (case + event + index rows + job + stored "
            "reply),\n%d per K, each answered after its own commit; CPU in "
            "%% of one core:\n"
            "   K  submits/s  vs K=1   p50 ms   p99 ms   CPU: loop  daemon  "
            "clients\n",
            submits);
    size_t kinds = sizeof s_client_counts / sizeof s_client_counts[0];
    for (size_t kind = 0; kind < kinds; kind++) {
        s_round_t *round = &rounds[kind];
        if (s_round (site, store, application, (int)kind + 1,
                     s_client_counts[kind], submits, round) != 0)
            return -1;
        printf ("  %2d  %9.0f  %6.1f  %7.2f  %7.2f  %9.0f  %6.0f  %7.0f\n",
                round->clients, round->rate, round->rate / rounds[0].rate,
                round->p50_ms, round->p99_ms, round->loop * 100,
                round->daemon * 100, round->load * 100);
        fflush (stdout);
    }
    *events = (uint64_t)warm_up + (uint64_t)submits * kinds;
    return cf_bench_daemon_stop (site);
}

//  Step 2: one unmeasured start of each store, then repetitions measured
//  starts, alternately. Returns 0 or -1.
static int
s_restarts (cf_bench_site_t *site, cf_bench_store_t *stores, int repetitions,
            cf_bench_start_t (*starts)[2])
{
    cf_bench_start_t ignored;
    for (int store = 0; store < 2; store++)
        if (cf_bench_daemon_start (site, &stores[store], NULL, &ignored) != 0 ||
            cf_bench_daemon_stop (site) != 0)
            return -1;
    printf ("restart: spawn to first answered ping, and peak RSS then\n"
            "(one start of each store not counted; the page cache is warm):\n");
    for (int rep = 0; rep < repetitions; rep++) {
        for (int store = 0; store < 2; store++) {
            cf_bench_start_t *start = &starts[rep][store];
            if (cf_bench_daemon_start (site, &stores[store], NULL, start) !=
                    0 ||
                cf_bench_daemon_stop (site) != 0)
                return -1;
            printf ("  %d: %-12s %6.1f ms  peak RSS %5.1f MB (anonymous "
                    "%4.1f MB)  %" PRIu64 " events\n",
                    rep + 1, stores[store].label, start->ready_ms,
                    start->hwm_kb / 1024.0, start->anon_kb / 1024.0,
                    start->seq);
            fflush (stdout);
        }
    }
    return 0;
}

static void
s_summary (const s_round_t *rounds, cf_bench_start_t (*starts)[2],
           int repetitions, const cf_bench_store_t *stores, uint64_t events,
           off_t store_bytes)
{
    size_t kinds = sizeof s_client_counts / sizeof s_client_counts[0];
    printf ("\nsummary (this machine, this run)\n");
    for (size_t kind = 0; kind < kinds; kind++)
        printf ("  submits, %2d client%s %6.0f/s  x%-4.1f  p50 %5.2f ms  "
                "p99 %5.2f ms  daemon loop CPU %3.0f%%\n",
                rounds[kind].clients, rounds[kind].clients > 1 ? "s:" : ": ",
                rounds[kind].rate, rounds[kind].rate / rounds[0].rate,
                rounds[kind].p50_ms, rounds[kind].p99_ms,
                rounds[kind].loop * 100);
    double ready[2], hwm[2];
    for (int store = 0; store < 2; store++) {
        double times[repetitions], peaks[repetitions], anon[repetitions];
        for (int rep = 0; rep < repetitions; rep++) {
            times[rep] = starts[rep][store].ready_ms;
            peaks[rep] = starts[rep][store].hwm_kb / 1024.0;
            anon[rep] = starts[rep][store].anon_kb / 1024.0;
        }
        double fastest = times[0];
        for (int rep = 1; rep < repetitions; rep++)
            if (times[rep] < fastest)
                fastest = times[rep];
        ready[store] = cf_bench_median (times, (size_t)repetitions);
        hwm[store] = cf_bench_median (peaks, (size_t)repetitions);
        printf ("  restart, %-12s %6.1f ms median (min %.1f)  peak RSS "
                "%5.1f MB (anonymous %.1f)\n",
                stores[store].label, ready[store], fastest, hwm[store],
                cf_bench_median (anon, (size_t)repetitions));
    }
    printf ("  filled store: %" PRIu64 " cases in %.1f MB (%.1f KB a case); "
            "vs empty: restart x%.2f, peak RSS x%.2f\n",
            events, store_bytes / 1048576.0,
            events ? store_bytes / 1024.0 / (double)events : 0,
            ready[1] / ready[0], hwm[1] / hwm[0]);
}

int
main (int argc, char **argv)
{
    const char *application_path = NULL;
    int submits = 2000, repetitions = 3, positional = 0;
    bool keep = false;
    for (int index = 1; index < argc; index++) {
        if (strcmp (argv[index], "-a") == 0 && index + 1 < argc)
            application_path = argv[++index];
        else if (strcmp (argv[index], "-k") == 0)
            keep = true;
        else if (positional == 0 && ++positional)
            submits = atoi (argv[index]);
        else if (positional == 1 && ++positional)
            repetitions = atoi (argv[index]);
        else
            submits = 0;
    }
    if (submits < S_CLIENTS_MAX || repetitions < 1) {
        fprintf (stderr,
                 "usage: bench_daemon [-k] [-a APPLICATION] [submits >= "
                 "%d [repetitions >= 1]]\n",
                 S_CLIENTS_MAX);
        return 2;
    }
    cf_bench_site_t site = {.dir = "/tmp/cf-bench-daemon-XXXXXX"};
    site.bin = cf_bench_find_program ("certflowd");
    if (!site.bin)
        return 1;
    Cf__Application *application =
        cf_bench_application (application_path, site.bin);
    if (!application || !mkdtemp (site.dir)) {
        if (application)
            perror ("mkdtemp");
        cf_pb_free (&application);
        free (site.bin);
        return 1;
    }
    //  czmq starts here, in the main thread, before any other thread
    zsys_init ();
    site.env = cf_bench_environment ();
    site.client_endpoint = cf_bench_format ("ipc://%s/client.ipc", site.dir);
    site.worker_endpoint = cf_bench_format ("ipc://%s/worker.ipc", site.dir);
    site.feed_endpoint = cf_bench_format ("ipc://%s/feed.ipc", site.dir);

    printf ("certflowd %s on ipc:// in %s\n", site.bin, site.dir);
    cf_bench_store_t stores[2] = {{0}};
    size_t kinds = sizeof s_client_counts / sizeof s_client_counts[0];
    s_round_t rounds[kinds];
    cf_bench_start_t (*starts)[2] =
        calloc ((size_t)repetitions, sizeof *starts);
    if (!starts)
        abort ();
    uint64_t events = 0;
    int rc = s_store_make (&site, &stores[0], "empty store", "empty", false);
    if (rc == 0)
        rc = s_store_make (&site, &stores[1], "filled store", "data", true);
    if (rc == 0)
        printf ("  two data directories initialized, %d applicant "
                "certificates each\n",
                S_CLIENTS_MAX);
    if (rc == 0)
        rc = s_submits (&site, &stores[1], application, submits, rounds,
                        &events);
    if (rc == 0)
        rc = s_restarts (&site, stores, repetitions, starts);
    if (rc == 0) {
        struct stat status;
        char *file = cf_bench_format ("%s/store/data.mdb", stores[1].data);
        off_t bytes = stat (file, &status) == 0 ? status.st_size : 0;
        free (file);
        s_summary (rounds, starts, repetitions, stores, events, bytes);
        if (starts[0][1].seq != events) {
            printf ("  but the filled store holds %" PRIu64
                    " events, not the %" PRIu64 " submits answered\n",
                    starts[0][1].seq, events);
            rc = -1;
        }
    }
    //  Every path ends here: no child outlives the run
    if (cf_bench_daemon_stop (&site) != 0)
        rc = -1;
    if (rc || keep)
        printf ("%skept %s for a look\n", rc ? "bench_daemon failed; " : "",
                site.dir);
    else
        cf_bench_remove_tree (site.dir);

    free (starts);
    for (int store = 0; store < 2; store++)
        s_store_free (&stores[store]);
    for (int index = 0; index < S_CLIENTS_MAX; index++)
        free (s_applicants[index]);
    for (size_t index = 0; site.env[index]; index++)
        free (site.env[index]);
    free (site.env);
    free (site.client_endpoint);
    free (site.worker_endpoint);
    free (site.feed_endpoint);
    free (site.daemon_log);
    free (site.bin);
    cf_pb_free (&application);
    return rc ? 1 : 0;
}
