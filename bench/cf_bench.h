/*  =========================================================================
    cf_bench - what the benchmarks that run the real programs share

    A site: one temporary directory that holds the data directories, the
    ipc:// endpoints, the principals' certificates and every child's log.
    Children are started with fork and execve (each gets SIGTERM if the
    benchmark dies first) and always reaped. The daemon counts as started
    when it answers its first ping; the figures of a process (CPU time,
    peak RSS) are read from /proc.
    =========================================================================
*/

#ifndef CF_BENCH_H_INCLUDED
#define CF_BENCH_H_INCLUDED

#include <czmq.h>
#include <stdint.h>
#include <sys/types.h>

#include "certflow.pb-c.h"

//  A reply later than this ends the run: the daemon is stuck or gone, ms
#define CF_BENCH_REPLY_MS 10000
//  How long certflowd may take to answer its first ping, ms
#define CF_BENCH_READY_MS 20000
//  How long certflowd may take to exit on SIGTERM, and init to finish, ms
#define CF_BENCH_STOP_MS 5000
//  Waits are sliced so that Ctrl-C is noticed, ms
#define CF_BENCH_SLICE_MS 100
//  Reconnect interval of the readiness probe: the resolution of the
//  restart figure, ms
#define CF_BENCH_PROBE_IVL_MS 1

//  The site: one directory holding the data directories, the endpoints,
//  the principals' certificates and the children's logs
typedef struct {
    char dir[64];           //  /tmp/cf-bench-NAME-XXXXXX
    char *bin;              //  The certflowd program
    char **env;             //  Our environment without CERTFLOW_*
    char *client_endpoint;  //  ipc://DIR/client.ipc
    char *worker_endpoint;  //  ipc://DIR/worker.ipc
    char *feed_endpoint;    //  ipc://DIR/feed.ipc
    pid_t daemon;           //  The running certflowd, or 0
    char *daemon_log;       //  Its stdout and stderr
    int spawned;            //  Children started: numbers logs
} cf_bench_site_t;

//  One data directory the daemon can be started on
typedef struct {
    const char *label;  //  What it is, for the output
    char *data;         //  The data directory
    char *admin;        //  Its first admin's secret certificate
    char *server_cert;  //  Its daemon's public certificate
} cf_bench_store_t;

//  What one start of the daemon measured
typedef struct {
    double ready_ms;  //  Spawn to first answered ping
    long hwm_kb;      //  Peak RSS then (VmHWM)
    long anon_kb;     //  Of which heap and stacks (RssAnon); the rest is
                      //  mapped files, LMDB's pages among them
    uint64_t seq;     //  The store's last event, from the ping
} cf_bench_start_t;

//  Small things: a formatted new string (aborts when out of memory), a
//  sleep that Ctrl-C cannot cut short, the comparison of int64_t for
//  qsort, the p-quantile (0 < p <= 1) of sorted values by nearest rank,
//  the median of values (sorts them), the first of candidates
//  (NULL-terminated) that exists (copied, or NULL), the last 20 lines of a
//  child's log on stdout, and removing a directory tree.
char *cf_bench_format (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));
void cf_bench_sleep_ms (int ms);
int cf_bench_compare (const void *left, const void *right);
int64_t cf_bench_quantile (const int64_t *sorted, size_t count, double p);
double cf_bench_median (double *values, size_t count);
char *cf_bench_first_existing (char *const candidates[]);
void cf_bench_show_log (const char *path);
void cf_bench_remove_tree (const char *dir);

//  Starts argv with stdout and stderr in log and the site's environment;
//  returns the pid, or -1 (said).
pid_t cf_bench_spawn (cf_bench_site_t *self, char *const argv[],
                      const char *log);

//  Waits up to timeout_ms for pid to exit. Returns its exit code (128 + N
//  for signal N), or -1 while it still runs.
int cf_bench_wait_exit (pid_t pid, int timeout_ms);

//  Runs `certflowd --data DATA COMMAND` to completion. Returns 0 when it
//  exits 0 (else shows its log).
int cf_bench_certflowd (cf_bench_site_t *self, const char *data,
                        const char *command);

//  Starts `certflowd run` on store with the site's endpoints and the extra
//  flags (NULL-terminated, may be NULL) and waits for its first answered
//  ping: the probe is connected before the spawn and retries every
//  CF_BENCH_PROBE_IVL_MS. Returns 0 with what it measured, or -1 (said;
//  the daemon is stopped).
int cf_bench_daemon_start (cf_bench_site_t *self, const cf_bench_store_t *store,
                           const char *const extra[], cf_bench_start_t *start);

//  Stops the daemon with SIGTERM (SIGKILL when it does not exit in time)
//  and reaps it. Returns 0 when it exited cleanly. Does nothing without one.
int cf_bench_daemon_stop (cf_bench_site_t *self);

//  A DEALER with the CURVE identity cert connected to the client API, or
//  NULL (failure says why).
zsock_t *cf_bench_dealer (const cf_bench_site_t *site,
                          const cf_bench_store_t *store, const char *cert,
                          char *failure, size_t failure_size);

//  Sends request on socket as one frame. Returns 0 or -1.
int cf_bench_send (zsock_t *socket, const Cf__Request *request);

//  Waits up to timeout_ms for the reply to id. Returns 0 with *reply_p
//  (free with cf_pb_free); else failure says why and the return is
//  CF_ETIMEOUT (no reply yet), CF_EAGAIN (Ctrl-C) or the decoder's error.
int cf_bench_await (zsock_t *socket, const char *id, int timeout_ms,
                    Cf__Reply **reply_p, char *failure, size_t failure_size);

//  A "Name:   N kB" line of /proc/PID/status, kB; -1 when there is none.
long cf_bench_status_kb (pid_t pid, const char *name);

//  The CPU time (user + system) so far from a /proc .../stat file, s; 0
//  when it cannot be read.
double cf_bench_cpu_read (const char *path);

//  The program name built next to this one. Returns it, or NULL (said).
char *cf_bench_find_program (const char *name);

//  Reads the application to submit: path, or examples/application.json
//  from the current directory or beside bin's build directory. Returns it,
//  or NULL (said).
Cf__Application *cf_bench_application (const char *path, const char *bin);

//  Our environment without CERTFLOW_*: the benchmark says where things
//  are. A new NULL-terminated array of new strings.
char **cf_bench_environment (void);

#endif
