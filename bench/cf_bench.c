/*  =========================================================================
    cf_bench - what the benchmarks that run the real programs share

    A site (a temporary directory with the daemon's data directories, ipc://
    endpoints and the children's logs), starting and stopping certflowd and
    other children, a raw client socket for the readiness probe, and the
    figures read from /proc. See cf_bench.h.
    =========================================================================
*/

#include "cf_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cf_identity.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_wire.h"

extern char **environ;

char *
cf_bench_format (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = NULL;
    if (vasprintf (&text, format, args) < 0)
        abort ();
    va_end (args);
    return text;
}

void
cf_bench_sleep_ms (int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep (&pause, &pause) != 0 && errno == EINTR)
        ;
}

int
cf_bench_compare (const void *left, const void *right)
{
    int64_t a = *(const int64_t *)left, b = *(const int64_t *)right;
    return (a > b) - (a < b);
}

//  Returns the p-quantile (0 < p <= 1) of sorted values, nearest rank
int64_t
cf_bench_quantile (const int64_t *sorted, size_t count, double p)
{
    size_t rank = (size_t)(p * (double)count + 0.999999);
    return sorted[(rank ? rank : 1) - 1];
}

double
cf_bench_median (double *values, size_t count)
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
char *
cf_bench_first_existing (char *const candidates[])
{
    for (size_t index = 0; candidates[index]; index++)
        if (access (candidates[index], R_OK) == 0)
            return strdup (candidates[index]);
    return NULL;
}

static int
cf_bench_remove_entry (const char *path, const struct stat *status, int flag,
                       struct FTW *walk)
{
    (void)status;
    (void)flag;
    (void)walk;
    return remove (path);
}

//  Prints the last lines of a child's log, when something about it failed
void
cf_bench_show_log (const char *path)
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
pid_t
cf_bench_spawn (cf_bench_site_t *self, char *const argv[], const char *log)
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
int
cf_bench_wait_exit (pid_t pid, int timeout_ms)
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
        cf_bench_sleep_ms (5);
    }
}

//  Stops the daemon with SIGTERM (SIGKILL when it does not exit in time)
//  and reaps it. Returns 0 when it exited cleanly. NULL-safe on no daemon.
int
cf_bench_daemon_stop (cf_bench_site_t *self)
{
    if (!self->daemon)
        return 0;
    kill (self->daemon, SIGTERM);
    int status = cf_bench_wait_exit (self->daemon, CF_BENCH_STOP_MS);
    if (status == -1) {
        printf ("  certflowd (pid %d) did not stop within %d ms: killed\n",
                (int)self->daemon, CF_BENCH_STOP_MS);
        kill (self->daemon, SIGKILL);
        waitpid (self->daemon, NULL, 0);
    } else if (status != 0) {
        printf ("  certflowd exited with status %d\n", status);
        cf_bench_show_log (self->daemon_log);
    }
    self->daemon = 0;
    return status == 0 ? 0 : -1;
}

//  Runs certflowd with args to completion. Returns 0 when it exits 0.
int
cf_bench_certflowd (cf_bench_site_t *self, const char *data,
                    const char *command)
{
    char *log =
        cf_bench_format ("%s/%s.%d.log", self->dir, command, ++self->spawned);
    char *argv[] = {self->bin, "--data", (char *)data, (char *)command, NULL};
    pid_t pid = cf_bench_spawn (self, argv, log);
    int status = pid > 0 ? cf_bench_wait_exit (pid, CF_BENCH_STOP_MS * 6) : 255;
    if (status == -1) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
    }
    if (status != 0) {
        printf ("  certflowd %s %s failed (status %d)\n", command, data,
                status);
        cf_bench_show_log (log);
    }
    free (log);
    return status == 0 ? 0 : -1;
}

//  ------------------------------------------------------------------------
//  Talking to the daemon

//  Returns a DEALER with the CURVE identity cert, connected to the client
//  API, or NULL (said why)
zsock_t *
cf_bench_dealer (const cf_bench_site_t *site, const cf_bench_store_t *store,
                 const char *cert, char *failure, size_t failure_size)
{
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    if (!socket) {
        snprintf (failure, failure_size, "cannot make a socket: %s",
                  zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (socket, 0);
    zsock_set_reconnect_ivl (socket, CF_BENCH_PROBE_IVL_MS);
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
int
cf_bench_send (zsock_t *socket, const Cf__Request *request)
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
int
cf_bench_await (zsock_t *socket, const char *id, int timeout_ms,
                Cf__Reply **reply_p, char *failure, size_t failure_size)
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
        if (zmq_poll (&item, 1,
                      left < CF_BENCH_SLICE_MS ? left : CF_BENCH_SLICE_MS) <= 0)
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
long
cf_bench_status_kb (pid_t pid, const char *name)
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
double
cf_bench_cpu_read (const char *path)
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

//  Starts certflowd run on store and waits for its first answered ping:
//  the probe is connected before the spawn, retries its connection every
//  CF_BENCH_PROBE_IVL_MS, and its ping waits in the socket until the handshake.
//  Returns 0 with what it measured, or -1 (said; the daemon is stopped).
int
cf_bench_daemon_start (cf_bench_site_t *self, const cf_bench_store_t *store,
                       const char *const extra[], cf_bench_start_t *start)
{
    char failure[512] = "";
    zsock_t *probe =
        cf_bench_dealer (self, store, store->admin, failure, sizeof failure);
    if (!probe) {
        printf ("  readiness probe: %s\n", failure);
        return -1;
    }
    free (self->daemon_log);
    self->daemon_log =
        cf_bench_format ("%s/certflowd.%d.log", self->dir, ++self->spawned);
    char *argv[32] = {self->bin,
                      "--data",
                      store->data,
                      "--client-endpoint",
                      self->client_endpoint,
                      "--worker-endpoint",
                      self->worker_endpoint,
                      "--feed-endpoint",
                      self->feed_endpoint};
    size_t count = 9;
    for (size_t index = 0; extra && extra[index] && count < 30; index++)
        argv[count++] = (char *)extra[index];
    argv[count++] = "run";
    argv[count] = NULL;
    int64_t spawned = zclock_usecs ();
    pid_t pid = cf_bench_spawn (self, argv, self->daemon_log);
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
    int rc = cf_bench_send (probe, &request);
    if (rc)
        snprintf (failure, sizeof failure, "the probe cannot send its ping");
    int64_t deadline = zclock_mono () + CF_BENCH_READY_MS;
    //  Waited for in slices, so that a daemon that exits is seen at once
    while (rc == 0 && !reply) {
        if (cf_bench_wait_exit (pid, 0) != -1) {
            self->daemon = 0;  //  Reaped
            snprintf (failure, sizeof failure,
                      "certflowd exited before it answered a ping");
            rc = -1;
        } else if (zclock_mono () >= deadline) {
            snprintf (failure, sizeof failure,
                      "certflowd did not answer a ping within %d ms",
                      CF_BENCH_READY_MS);
            rc = -1;
        } else {
            int waited = cf_bench_await (probe, "ready", CF_BENCH_SLICE_MS,
                                         &reply, failure, sizeof failure);
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
        start->hwm_kb = cf_bench_status_kb (pid, "VmHWM");
        start->anon_kb = cf_bench_status_kb (pid, "RssAnon");
        start->seq = reply->body_case == CF__REPLY__BODY_SEQ ? reply->seq : 0;
    }
    cf_pb_free (&reply);
    if (rc) {
        printf ("  %s\n", failure);
        cf_bench_show_log (self->daemon_log);
        cf_bench_daemon_stop (self);
    }
    return rc;
}

char *
cf_bench_find_program (const char *name)
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
    char *bin = cf_bench_format ("%s/%s", self_path, name);
    if (access (bin, X_OK) != 0) {
        printf ("no %s: build it first (cmake --build %s --target "
                "%s)\n",
                bin, self_path, name);
        free (bin);
        return NULL;
    }
    return bin;
}

//  Reads the application to submit. Returns it, or NULL (said).
Cf__Application *
cf_bench_application (const char *path, const char *bin)
{
    char *found = NULL;
    if (path)
        found = strdup (path);
    else {
        char *from_build =
            cf_bench_format ("%.*s/../examples/application.json",
                             (int)(strrchr (bin, '/') - bin), bin);
        char *candidates[] = {"examples/application.json", from_build, NULL};
        found = cf_bench_first_existing (candidates);
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
char **
cf_bench_environment (void)
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

void
cf_bench_remove_tree (const char *dir)
{
    nftw (dir, cf_bench_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
