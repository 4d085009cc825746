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
#include "cf_identity.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_wire.h"

extern char **environ;

//  The numbers of clients measured; the first is the baseline
static const int s_client_counts[] = {1, 4, 16, 64};
#define S_CLIENTS_MAX 64

//  A reply later than this ends the run: the daemon is stuck or gone, ms
#define S_REPLY_MS 10000
//  How long certflowd may take to answer its first ping, ms
#define S_READY_MS 20000
//  How long certflowd may take to exit on SIGTERM, and init to finish, ms
#define S_STOP_MS 5000
//  Waits are sliced so that Ctrl-C is noticed, ms
#define S_SLICE_MS 100
//  Reconnect interval of the readiness probe: the resolution of the
//  restart figure, ms
#define S_PROBE_IVL_MS 1

//  The site: one directory holding both data directories, the endpoints,
//  the applicants' certificates and the daemon's logs
typedef struct {
    char dir[64];                     //  /tmp/cf-bench-daemon-XXXXXX
    char *bin;                        //  The certflowd program
    char **env;                       //  Our environment without CERTFLOW_*
    char *client_endpoint;            //  ipc://DIR/client.ipc
    char *worker_endpoint;            //  ipc://DIR/worker.ipc
    char *feed_endpoint;              //  ipc://DIR/feed.ipc
    char *applicants[S_CLIENTS_MAX];  //  Secret certificate of each client
    pid_t daemon;                     //  The running certflowd, or 0
    char *daemon_log;                 //  Its stdout and stderr
    int spawned;                      //  Children started: numbers logs
} s_site_t;

//  One data directory the daemon can be started on
typedef struct {
    const char *label;  //  What it is, for the output
    char *data;         //  The data directory
    char *admin;        //  Its first admin's secret certificate
    char *server_cert;  //  Its daemon's public certificate
} s_store_t;

//  One client thread of a round
typedef struct {
    const s_site_t *site;                //  Endpoints (read only)
    const s_store_t *store;              //  The daemon's certificate
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

//  What one start of the daemon measured
typedef struct {
    double ready_ms;  //  Spawn to first answered ping
    long hwm_kb;      //  Peak RSS then (VmHWM)
    long anon_kb;     //  Of which heap and stacks (RssAnon); the rest is
                      //  mapped files, LMDB's pages among them
    uint64_t seq;     //  The store's last event, from the ping
} s_start_t;

//  ------------------------------------------------------------------------
//  Small things

static char *s_format (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));

static char *
s_format (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = NULL;
    if (vasprintf (&text, format, args) < 0)
        abort ();
    va_end (args);
    return text;
}

static void
s_sleep_ms (int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep (&pause, &pause) != 0 && errno == EINTR)
        ;
}

static int
s_compare (const void *left, const void *right)
{
    int64_t a = *(const int64_t *)left, b = *(const int64_t *)right;
    return (a > b) - (a < b);
}

//  Returns the p-quantile (0 < p <= 1) of sorted values, nearest rank
static int64_t
s_quantile (const int64_t *sorted, size_t count, double p)
{
    size_t rank = (size_t)(p * (double)count + 0.999999);
    return sorted[(rank ? rank : 1) - 1];
}

static double
s_median (double *values, size_t count)
{
    for (size_t i = 1; i < count; i++)
        for (size_t j = i; j > 0 && values[j - 1] > values[j]; j--) {
            double swap = values[j];
            values[j] = values[j - 1];
            values[j - 1] = swap;
        }
    return count % 2 ? values[count / 2]
                     : (values[count / 2 - 1] + values[count / 2]) / 2;
}

//  Returns the first path of candidates (NULL-terminated) that exists,
//  copied, or NULL
static char *
s_first_existing (char *const candidates[])
{
    for (size_t index = 0; candidates[index]; index++)
        if (access (candidates[index], R_OK) == 0)
            return strdup (candidates[index]);
    return NULL;
}

static int
s_remove_entry (const char *path, const struct stat *status, int flag,
                struct FTW *walk)
{
    (void)status;
    (void)flag;
    (void)walk;
    return remove (path);
}

//  Prints the last lines of a child's log, when something about it failed
static void
s_show_log (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    char *lines[20] = {NULL};
    size_t seen = 0;
    char *line = NULL;
    size_t size = 0;
    while (getline (&line, &size, file) != -1) {
        free (lines[seen % 20]);
        lines[seen % 20] = strdup (line);
        seen++;
    }
    free (line);
    fclose (file);
    printf ("  --- last of %s ---\n", path);
    for (size_t index = seen > 20 ? seen - 20 : 0; index < seen; index++)
        printf ("  %s", lines[index % 20]);
    for (size_t index = 0; index < 20; index++)
        free (lines[index]);
}

//  ------------------------------------------------------------------------
//  Children

//  Starts argv with stdout and stderr in log; returns the pid, or -1
static pid_t
s_spawn (s_site_t *self, char *const argv[], const char *log)
{
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        //  Only async-signal-safe calls until exec: we have threads
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        if (getppid () != parent)
            _exit (127);
        int null = open ("/dev/null", O_RDONLY);
        int out = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (null < 0 || out < 0 || dup2 (null, 0) < 0 || dup2 (out, 1) < 0 ||
            dup2 (out, 2) < 0)
            _exit (127);
        execve (argv[0], argv, self->env);
        _exit (127);
    }
    if (pid < 0)
        printf ("  cannot start %s: %s\n", argv[0], strerror (errno));
    return pid;
}

//  Waits up to timeout_ms for pid to exit. Returns its exit code (128 + N
//  for signal N), or -1 while it still runs.
static int
s_wait_exit (pid_t pid, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int status = 0;
        pid_t done = waitpid (pid, &status, WNOHANG);
        if (done == pid)
            return WIFEXITED (status)     ? WEXITSTATUS (status)
                   : WIFSIGNALED (status) ? 128 + WTERMSIG (status)
                                          : -1;
        if (done < 0 && errno != EINTR)
            return 255;
        if (zclock_mono () >= deadline)
            return -1;
        s_sleep_ms (5);
    }
}

//  Stops the daemon with SIGTERM (SIGKILL when it does not exit in time)
//  and reaps it. Returns 0 when it exited cleanly. NULL-safe on no daemon.
static int
s_daemon_stop (s_site_t *self)
{
    if (!self->daemon)
        return 0;
    kill (self->daemon, SIGTERM);
    int status = s_wait_exit (self->daemon, S_STOP_MS);
    if (status == -1) {
        printf ("  certflowd (pid %d) did not stop within %d ms: killed\n",
                (int)self->daemon, S_STOP_MS);
        kill (self->daemon, SIGKILL);
        waitpid (self->daemon, NULL, 0);
    } else if (status != 0) {
        printf ("  certflowd exited with status %d\n", status);
        s_show_log (self->daemon_log);
    }
    self->daemon = 0;
    return status == 0 ? 0 : -1;
}

//  Runs certflowd with args to completion. Returns 0 when it exits 0.
static int
s_certflowd (s_site_t *self, const char *data, const char *command)
{
    char *log = s_format ("%s/%s.%d.log", self->dir, command, ++self->spawned);
    char *argv[] = {self->bin, "--data", (char *)data, (char *)command, NULL};
    pid_t pid = s_spawn (self, argv, log);
    int status = pid > 0 ? s_wait_exit (pid, S_STOP_MS * 6) : 255;
    if (status == -1) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
    }
    if (status != 0) {
        printf ("  certflowd %s %s failed (status %d)\n", command, data,
                status);
        s_show_log (log);
    }
    free (log);
    return status == 0 ? 0 : -1;
}

//  ------------------------------------------------------------------------
//  Talking to the daemon

//  Returns a DEALER with the CURVE identity cert, connected to the client
//  API, or NULL (said why)
static zsock_t *
s_dealer (const s_site_t *site, const s_store_t *store, const char *cert,
          char *failure, size_t failure_size)
{
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    if (!socket) {
        snprintf (failure, failure_size, "cannot make a socket: %s",
                  zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (socket, 0);
    zsock_set_reconnect_ivl (socket, S_PROBE_IVL_MS);
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_identity_client (socket, cert, store->server_cert, problems);
    if (rc) {
        char *why = cf_problems_join (problems);
        snprintf (failure, failure_size, "%s", why);
        free (why);
    } else if (zsock_connect (socket, "%s", site->client_endpoint) != 0) {
        snprintf (failure, failure_size, "cannot connect to %s",
                  site->client_endpoint);
        rc = -1;
    }
    cf_problems_destroy (&problems);
    if (rc)
        zsock_destroy (&socket);
    return socket;
}

//  Sends request on socket. Returns 0 or -1.
static int
s_send (zsock_t *socket, const Cf__Request *request)
{
    size_t size = 0;
    uint8_t *bytes = cf_pb_pack (&request->base, &size);
    int rc =
        zmq_send (zsock_resolve (socket), bytes, size, 0) == (int)size ? 0 : -1;
    free (bytes);
    return rc;
}

//  Waits up to timeout_ms for the reply to id. Returns 0 with *reply_p
//  (free with cf_pb_free); else failure says why and the return is
//  CF_ETIMEOUT (no reply yet), CF_EAGAIN (Ctrl-C) or the decoder's error
//  (an answer that is not one Reply)
static int
s_await (zsock_t *socket, const char *id, int timeout_ms, Cf__Reply **reply_p,
         char *failure, size_t failure_size)
{
    *reply_p = NULL;
    int64_t deadline = zclock_mono () + timeout_ms;
    zmq_pollitem_t item = {zsock_resolve (socket), 0, ZMQ_POLLIN, 0};
    while (true) {
        if (zsys_interrupted) {
            snprintf (failure, failure_size, "interrupted");
            return CF_EAGAIN;
        }
        int64_t left = deadline - zclock_mono ();
        if (left <= 0) {
            snprintf (failure, failure_size, "no reply to %s within %d ms", id,
                      timeout_ms);
            return CF_ETIMEOUT;
        }
        if (zmq_poll (&item, 1, left < S_SLICE_MS ? left : S_SLICE_MS) <= 0)
            continue;
        zmsg_t *message = zmsg_recv (socket);
        if (!message)
            continue;
        zframe_t *frame = zmsg_first (message);
        Cf__Reply *reply = NULL;
        int rc =
            zmsg_size (message) == 1
                ? cf_wire_decode (&cf__reply__descriptor, zframe_data (frame),
                                  zframe_size (frame), (void **)&reply, NULL)
                : CF_EDECODE;
        zmsg_destroy (&message);
        if (rc) {
            snprintf (failure, failure_size,
                      "the answer to %s is not one Reply (%s)", id,
                      cf_errname (rc));
            return rc;
        }
        if (strcmp (reply->id, id) == 0) {
            *reply_p = reply;
            return 0;
        }
        cf_pb_free (&reply);  //  Not ours: a closed loop never gets one
    }
}

//  Reads a "Name:   N kB" line of /proc/PID/status, kB; -1 when there is
//  none
static long
s_status_kb (pid_t pid, const char *name)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    long kb = -1;
    char line[256];
    size_t length = strlen (name);
    while (fgets (line, sizeof line, file))
        if (strncmp (line, name, length) == 0 && line[length] == ':' &&
            sscanf (line + length + 1, "%ld", &kb) == 1)
            break;
    fclose (file);
    return kb;
}

//  Reads the CPU time used so far from a /proc stat file, in seconds; 0
//  when it cannot be read
static double
s_cpu_read (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[1024];
    double seconds = 0;
    //  utime and stime are fields 14 and 15; the name (2) may hold spaces,
    //  so count from its closing parenthesis
    char *after = fgets (line, sizeof line, file) ? strrchr (line, ')') : NULL;
    unsigned long long user, system;
    if (after && sscanf (after + 2,
                         "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
                         "%llu",
                         &user, &system) == 2)
        seconds = (double)(user + system) / (double)sysconf (_SC_CLK_TCK);
    fclose (file);
    return seconds;
}

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
    cpu.loop = s_cpu_read (path);
    snprintf (path, sizeof path, "/proc/%d/stat", (int)daemon);
    cpu.daemon = s_cpu_read (path);
    cpu.clients = s_cpu_read ("/proc/self/stat");
    cpu.at = zclock_usecs ();
    return cpu;
}

//  Starts certflowd run on store and waits for its first answered ping:
//  the probe is connected before the spawn, retries its connection every
//  S_PROBE_IVL_MS, and its ping waits in the socket until the handshake.
//  Returns 0 with what it measured, or -1 (said; the daemon is stopped).
static int
s_daemon_start (s_site_t *self, const s_store_t *store, s_start_t *start)
{
    char failure[512] = "";
    zsock_t *probe =
        s_dealer (self, store, store->admin, failure, sizeof failure);
    if (!probe) {
        printf ("  readiness probe: %s\n", failure);
        return -1;
    }
    free (self->daemon_log);
    self->daemon_log =
        s_format ("%s/certflowd.%d.log", self->dir, ++self->spawned);
    char *argv[] = {self->bin,
                    "--data",
                    store->data,
                    "--client-endpoint",
                    self->client_endpoint,
                    "--worker-endpoint",
                    self->worker_endpoint,
                    "--feed-endpoint",
                    self->feed_endpoint,
                    "run",
                    NULL};
    int64_t spawned = zclock_usecs ();
    pid_t pid = s_spawn (self, argv, self->daemon_log);
    if (pid < 0) {
        zsock_destroy (&probe);
        return -1;
    }
    self->daemon = pid;
    Cf__Request request = CF__REQUEST__INIT;
    request.id = "ready";
    request.body_case = CF__REQUEST__BODY_PING;
    request.ping = true;
    Cf__Reply *reply = NULL;
    int rc = s_send (probe, &request);
    if (rc)
        snprintf (failure, sizeof failure, "the probe cannot send its ping");
    int64_t deadline = zclock_mono () + S_READY_MS;
    //  Waited for in slices, so that a daemon that exits is seen at once
    while (rc == 0 && !reply) {
        if (s_wait_exit (pid, 0) != -1) {
            self->daemon = 0;  //  Reaped
            snprintf (failure, sizeof failure,
                      "certflowd exited before it answered a ping");
            rc = -1;
        } else if (zclock_mono () >= deadline) {
            snprintf (failure, sizeof failure,
                      "certflowd did not answer a ping within %d ms",
                      S_READY_MS);
            rc = -1;
        } else {
            int waited = s_await (probe, "ready", S_SLICE_MS, &reply, failure,
                                  sizeof failure);
            if (waited != 0 && waited != CF_ETIMEOUT)
                rc = -1;
        }
    }
    int64_t answered = zclock_usecs ();
    zsock_destroy (&probe);
    if (rc == 0 && reply->status != CF__STATUS__STATUS_OK) {
        snprintf (failure, sizeof failure, "ping refused: %s %s", reply->error,
                  reply->message);
        rc = -1;
    }
    if (rc == 0) {
        start->ready_ms = (double)(answered - spawned) / 1000.0;
        start->hwm_kb = s_status_kb (pid, "VmHWM");
        start->anon_kb = s_status_kb (pid, "RssAnon");
        start->seq = reply->body_case == CF__REPLY__BODY_SEQ ? reply->seq : 0;
    }
    cf_pb_free (&reply);
    if (rc) {
        printf ("  %s\n", failure);
        s_show_log (self->daemon_log);
        s_daemon_stop (self);
    }
    return rc;
}

//  ------------------------------------------------------------------------
//  Step 1: submits from K clients

static void *
s_client_run (void *argument)
{
    s_client_t *self = argument;
    zsock_t *socket = s_dealer (self->site, self->store, self->cert,
                                self->failure, sizeof self->failure);
    Cf__Reply *reply = NULL;
    //  The handshake is done before the clock starts
    Cf__Request ping = CF__REQUEST__INIT;
    char id[64];
    snprintf (id, sizeof id, "ping-%d-%d", self->round, self->index);
    ping.id = id;
    ping.body_case = CF__REQUEST__BODY_PING;
    ping.ping = true;
    if (socket && (s_send (socket, &ping) != 0 ||
                   s_await (socket, id, S_REPLY_MS, &reply, self->failure,
                            sizeof self->failure) != 0))
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
        if (s_send (socket, &request) != 0) {
            snprintf (self->failure, sizeof self->failure, "cannot send %s",
                      id);
            break;
        }
        if (s_await (socket, id, S_REPLY_MS, &reply, self->failure,
                     sizeof self->failure) != 0)
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
s_round (s_site_t *site, const s_store_t *store,
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
                                     .cert = site->applicants[index],
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
        qsort (latency, (size_t)submits, sizeof (int64_t), s_compare);
        result->clients = clients;
        result->submits = submits;
        result->rate = submits / ((double)(last - first) / 1e6);
        result->p50_ms = s_quantile (latency, (size_t)submits, 0.50) / 1000.0;
        result->p99_ms = s_quantile (latency, (size_t)submits, 0.99) / 1000.0;
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
s_store_make (s_site_t *site, s_store_t *store, const char *label,
              const char *name, bool keep_applicants)
{
    store->label = label;
    store->data = s_format ("%s/%s", site->dir, name);
    store->admin = s_format ("%s/admin.cert", store->data);
    store->server_cert = s_format ("%s/keys/daemon.cert", store->data);
    if (s_certflowd (site, store->data, "init") != 0)
        return -1;
    char *certs = s_format ("%s/certs", store->data);
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
            site->applicants[index] =
                s_format ("%s/%s.cert", site->dir, name_text);
            rc = zcert_save_secret (cert, site->applicants[index]);
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
s_store_free (s_store_t *store)
{
    free (store->data);
    free (store->admin);
    free (store->server_cert);
}

//  Finds certflowd next to this program. Returns it, or NULL (said).
static char *
s_find_certflowd (void)
{
    char self_path[4096];
    ssize_t length =
        readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    if (length <= 0)
        return NULL;
    self_path[length] = '\0';
    char *slash = strrchr (self_path, '/');
    if (slash)
        *slash = '\0';
    char *bin = s_format ("%s/certflowd", self_path);
    if (access (bin, X_OK) != 0) {
        printf ("no %s: build it first (cmake --build %s --target "
                "certflowd)\n",
                bin, self_path);
        free (bin);
        return NULL;
    }
    return bin;
}

//  Reads the application to submit. Returns it, or NULL (said).
static Cf__Application *
s_application (const char *path, const char *bin)
{
    char *found = NULL;
    if (path)
        found = strdup (path);
    else {
        char *from_build = s_format ("%.*s/../examples/application.json",
                                     (int)(strrchr (bin, '/') - bin), bin);
        char *candidates[] = {"examples/application.json", from_build, NULL};
        found = s_first_existing (candidates);
        free (from_build);
        if (!found) {
            printf ("cannot find examples/application.json: run from the "
                    "repository root, or give -a FILE\n");
            return NULL;
        }
    }
    char *text = NULL;
    size_t size = 0;
    Cf__Application *application = NULL;
    cf_problems_t *problems = cf_problems_new ();
    int rc =
        cf_json_load_file (found, CF_JSON_MAX_BYTES, &text, &size, problems);
    if (rc == 0)
        rc = cf_json_application (text, size, &application, problems);
    if (rc) {
        char *why = cf_problems_join (problems);
        printf ("%s is not an application: %s\n", found, why);
        free (why);
    }
    cf_problems_destroy (&problems);
    free (text);
    free (found);
    return application;
}

//  Our environment without CERTFLOW_*: the benchmark says where things are
static char **
s_environment (void)
{
    size_t count = 0;
    while (environ[count])
        count++;
    char **env = calloc (count + 1, sizeof (char *));
    if (!env)
        abort ();
    size_t kept = 0;
    for (size_t index = 0; index < count; index++)
        if (strncmp (environ[index], "CERTFLOW_", 9) != 0)
            env[kept++] = strdup (environ[index]);
    return env;
}

//  ------------------------------------------------------------------------
//  The run

//  Step 1: a warm-up round, then each K. Returns 0 or -1.
static int
s_submits (s_site_t *site, const s_store_t *store,
           const Cf__Application *application, int submits, s_round_t *rounds,
           uint64_t *events)
{
    s_start_t start;
    if (s_daemon_start (site, store, &start) != 0)
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
    return s_daemon_stop (site);
}

//  Step 2: one unmeasured start of each store, then repetitions measured
//  starts, alternately. Returns 0 or -1.
static int
s_restarts (s_site_t *site, s_store_t *stores, int repetitions,
            s_start_t (*starts)[2])
{
    s_start_t ignored;
    for (int store = 0; store < 2; store++)
        if (s_daemon_start (site, &stores[store], &ignored) != 0 ||
            s_daemon_stop (site) != 0)
            return -1;
    printf ("restart: spawn to first answered ping, and peak RSS then\n"
            "(one start of each store not counted; the page cache is warm):\n");
    for (int rep = 0; rep < repetitions; rep++) {
        for (int store = 0; store < 2; store++) {
            s_start_t *start = &starts[rep][store];
            if (s_daemon_start (site, &stores[store], start) != 0 ||
                s_daemon_stop (site) != 0)
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
s_summary (const s_round_t *rounds, s_start_t (*starts)[2], int repetitions,
           const s_store_t *stores, uint64_t events, off_t store_bytes)
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
        ready[store] = s_median (times, (size_t)repetitions);
        hwm[store] = s_median (peaks, (size_t)repetitions);
        printf ("  restart, %-12s %6.1f ms median (min %.1f)  peak RSS "
                "%5.1f MB (anonymous %.1f)\n",
                stores[store].label, ready[store], fastest, hwm[store],
                s_median (anon, (size_t)repetitions));
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
    s_site_t site = {.dir = "/tmp/cf-bench-daemon-XXXXXX"};
    site.bin = s_find_certflowd ();
    if (!site.bin)
        return 1;
    Cf__Application *application = s_application (application_path, site.bin);
    if (!application || !mkdtemp (site.dir)) {
        if (application)
            perror ("mkdtemp");
        cf_pb_free (&application);
        free (site.bin);
        return 1;
    }
    //  czmq starts here, in the main thread, before any other thread
    zsys_init ();
    site.env = s_environment ();
    site.client_endpoint = s_format ("ipc://%s/client.ipc", site.dir);
    site.worker_endpoint = s_format ("ipc://%s/worker.ipc", site.dir);
    site.feed_endpoint = s_format ("ipc://%s/feed.ipc", site.dir);

    printf ("certflowd %s on ipc:// in %s\n", site.bin, site.dir);
    s_store_t stores[2] = {{0}};
    size_t kinds = sizeof s_client_counts / sizeof s_client_counts[0];
    s_round_t rounds[kinds];
    s_start_t (*starts)[2] = calloc ((size_t)repetitions, sizeof *starts);
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
        char *file = s_format ("%s/store/data.mdb", stores[1].data);
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
    if (s_daemon_stop (&site) != 0)
        rc = -1;
    if (rc || keep)
        printf ("%skept %s for a look\n", rc ? "bench_daemon failed; " : "",
                site.dir);
    else
        nftw (site.dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);

    free (starts);
    for (int store = 0; store < 2; store++)
        s_store_free (&stores[store]);
    for (int index = 0; index < S_CLIENTS_MAX; index++)
        free (site.applicants[index]);
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
