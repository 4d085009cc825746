/*  =========================================================================
    cf_proc - the process harness of the integration tests
    =========================================================================
*/

#include "cf_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "certflow.pb-c.h"
#include "cf_date.h"
#include "cf_fsm.h"
#include "cf_identity.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_wire.h"

extern char **environ;

//  How long a client command may run before the harness gives up on it, ms
#define S_COMMAND_MS 60000

//  Client defaults: long enough for a daemon restart between two tries
#define S_CLIENT_TIMEOUT "4000"
#define S_CLIENT_RETRIES "3"

//  Lines of a child's log shown when something about it fails
#define S_TAIL_LINES 40

//  Most arguments of one command the harness builds
#define S_ARGS_MAX 64

//  What a sanitizer writes when it finds something
static const char *const s_sanitizer_marks[] = {
    "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
    "runtime error", NULL};

const char *const cf_proc_stages[] = {"intake",   "review",  "contract",
                                      "planning", "scoring", "committee",
                                      "issuance", NULL};

struct _cf_proc_child_t {
    char *label;     //  What it is: certflowd, worker-intake, certflow
    char *command;   //  Its command line, for messages
    pid_t pid;       //  Process id; 0 once reaped
    int status;      //  Once reaped: exit code, or 128 + signal
    bool service;    //  Runs until the harness stops it
    bool asked;      //  The harness stopped or killed it
    char *out_path;  //  Its stdout file
    char *err_path;  //  Its stderr file
};

struct _cf_proc_t {
    char *dir;                //  The site: /tmp/cf-NAME-XXXXXX
    char *data;               //  DIR/data
    char *admin;              //  DIR/data/admin.cert
    char *server_cert;        //  DIR/data/keys/daemon.cert
    char *client_endpoint;    //  ipc://DIR/client.ipc
    char *worker_endpoint;    //  ipc://DIR/worker.ipc
    char *feed_endpoint;      //  ipc://DIR/feed.ipc
    char **env;               //  Our environment without CERTFLOW_*
    zlistx_t *children;       //  cf_proc_child_t, in start order
    zlistx_t *strings;        //  Strings handed out
    zlistx_t *outputs;        //  cf_proc_output_t handed out
    zlistx_t *documents;      //  json_object handed out
    zlistx_t *monitors;       //  zactor_t (zmonitor) handed out
    zlistx_t *sockets;        //  zsock_t handed out
    zlistx_t *messages;       //  protobuf messages handed out
    zlistx_t *chunks;         //  zchunk_t handed out
    zhashx_t *principals;     //  "role name" -> certificate path
    cf_proc_child_t *daemon;  //  The daemon started last
    size_t spawned;           //  Children started: numbers their files
    const char *extra[16];    //  Its extra flags, clock offset aside
    int64_t offset_ms;        //  Its --clock-offset-ms: time let pass
    const char *revised;      //  The verifier's sheet, or NULL: the example
};

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
    int rc = vasprintf (&text, format, args);
    va_end (args);
    assert (rc >= 0);
    (void)rc;
    return text;
}

//  Keeps text (taken) until the harness goes; returns it
static const char *
s_keep (cf_proc_t *self, char *text)
{
    zlistx_add_end (self->strings, text);
    return text;
}

static void
s_sleep_ms (int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep (&pause, &pause) != 0 && errno == EINTR)
        ;
}

//  Reads the whole file at path; "" when it cannot be read
static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return strdup ("");
    char *text = NULL;
    size_t size = 0;
    FILE *memory = open_memstream (&text, &size);
    char buffer[8192];
    size_t got;
    while ((got = fread (buffer, 1, sizeof buffer, file)) > 0)
        fwrite (buffer, 1, got, memory);
    fclose (file);
    fclose (memory);
    return text;
}

//  Returns the last lines of text (a pointer into it)
static const char *
s_tail (const char *text, int lines)
{
    const char *cursor = text + strlen (text);
    while (cursor > text) {
        cursor--;
        if (*cursor == '\n' && cursor[1] != '\0' && --lines < 0)
            return cursor + 1;
    }
    return text;
}

static size_t
s_count (const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *at = strstr (text, needle); at;
         at = strstr (at + strlen (needle), needle))
        count++;
    return count;
}

//  Joins argv into one line for messages, leaving out the options the
//  harness adds to every client command
static char *
s_command_line (const char *const argv[])
{
    char *text = NULL;
    size_t size = 0;
    FILE *line = open_memstream (&text, &size);
    const char *slash = strrchr (argv[0], '/');
    fputs (slash ? slash + 1 : argv[0], line);
    for (size_t index = 1; argv[index]; index++) {
        const char *arg = argv[index];
        bool ours = strcmp (arg, "--server-cert") == 0 ||
                    strcmp (arg, "--client-endpoint") == 0 ||
                    strcmp (arg, "--worker-endpoint") == 0 ||
                    strcmp (arg, "--feed-endpoint") == 0;
        if (ours && argv[index + 1]) {
            index++;
            continue;
        }
        const char *shown = arg;
        if (strcmp (arg, "--cert") == 0 && argv[index + 1]) {
            //  Who acts matters; where the file lies does not
            const char *base = strrchr (argv[index + 1], '/');
            fprintf (line, " --cert %s", base ? base + 1 : argv[index + 1]);
            index++;
            continue;
        }
        fprintf (line, strpbrk (shown, " \t") ? " '%s'" : " %s", shown);
    }
    fclose (line);
    return text;
}

//  ------------------------------------------------------------------------
//  Children

static void
s_child_destroy (void **item_p)
{
    cf_proc_child_t *child = *item_p;
    if (child) {
        if (child->pid > 0) {
            kill (child->pid, SIGKILL);
            waitpid (child->pid, NULL, 0);
        }
        free (child->label);
        free (child->command);
        free (child->out_path);
        free (child->err_path);
        free (child);
        *item_p = NULL;
    }
}

//  Reaps the child if it has exited; returns true when it has
static bool
s_reap (cf_proc_child_t *child, bool block)
{
    if (child->pid <= 0)
        return true;
    int status = 0;
    pid_t done = waitpid (child->pid, &status, block ? 0 : WNOHANG);
    if (done == 0)
        return false;
    if (done < 0) {
        //  Not ours any more (never happens unless reaped elsewhere)
        child->pid = 0;
        child->status = -1;
        return true;
    }
    child->pid = 0;
    child->status = WIFEXITED (status)     ? WEXITSTATUS (status)
                    : WIFSIGNALED (status) ? 128 + WTERMSIG (status)
                                           : -1;
    return true;
}

cf_proc_child_t *
cf_proc_spawn (cf_proc_t *self, const char *label, bool service,
               const char *const argv[])
{
    cf_proc_child_t *child = calloc (1, sizeof (cf_proc_child_t));
    assert (child);
    child->label = strdup (label);
    child->command = s_command_line (argv);
    child->service = service;
    self->spawned++;
    child->out_path =
        s_format ("%s/%s.%zu.out", self->dir, label, self->spawned);
    child->err_path =
        s_format ("%s/%s.%zu.err", self->dir, label, self->spawned);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen (&actions, 1, child->out_path,
                                      O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen (&actions, 2, child->err_path,
                                      O_WRONLY | O_CREAT | O_TRUNC, 0600);
    //  The child starts with no signal blocked and the stop signals at
    //  their defaults, whatever cmocka or czmq did to this process
    posix_spawnattr_t attributes;
    posix_spawnattr_init (&attributes);
    sigset_t signals;
    sigemptyset (&signals);
    posix_spawnattr_setsigmask (&attributes, &signals);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGPIPE);
    sigaddset (&signals, SIGHUP);
    posix_spawnattr_setsigdefault (&attributes, &signals);
    posix_spawnattr_setflags (&attributes,
                              POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn (&child->pid, argv[0], &actions, &attributes,
                          (char *const *)argv, self->env);
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attributes);
    if (rc != 0) {
        printf ("[harness] cannot start %s: %s\n", child->command,
                strerror (rc));
        child->pid = 0;
        void *item = child;
        s_child_destroy (&item);
        return NULL;
    }
    zlistx_add_end (self->children, child);
    return child;
}

cf_proc_child_t *
cf_proc_find (cf_proc_t *self, const char *label)
{
    cf_proc_child_t *found = NULL;
    for (cf_proc_child_t *child = zlistx_first (self->children); child;
         child = zlistx_next (self->children))
        if (strcmp (child->label, label) == 0 && cf_proc_running (child))
            found = child;
    return found;
}

pid_t
cf_proc_pid (const cf_proc_child_t *child)
{
    return child->pid;
}

bool
cf_proc_running (cf_proc_child_t *child)
{
    return !s_reap (child, false);
}

int
cf_proc_wait_exit (cf_proc_child_t *child, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!s_reap (child, false)) {
        if (zclock_mono () >= deadline)
            return -1;
        s_sleep_ms (5);
    }
    return child->status;
}

//  Asks a child to stop. A drill may have frozen it (SIGSTOP), so it is
//  continued first. Never after: SIGCONT discards a pending stop signal,
//  and LeakSanitizer stops the exiting child's threads with ptrace (which
//  stops them with SIGSTOP) to look for leaks; a late SIGCONT could leave
//  it waiting for ever.
static void
s_terminate (pid_t pid)
{
    kill (pid, SIGCONT);
    kill (pid, SIGTERM);
}

int
cf_proc_stop (cf_proc_child_t *child)
{
    child->asked = true;
    if (child->pid > 0)
        s_terminate (child->pid);
    int status = cf_proc_wait_exit (child, CF_PROC_STOP_MS);
    if (status < 0) {
        printf ("[harness] %s (pid %d) did not stop within %d ms of SIGTERM: "
                "killed\n",
                child->label, (int)child->pid, CF_PROC_STOP_MS);
        cf_proc_kill (child);
        return -1;
    }
    return status;
}

void
cf_proc_kill (cf_proc_child_t *child)
{
    if (!child)
        return;
    child->asked = true;
    if (child->pid > 0) {
        kill (child->pid, SIGKILL);
        s_reap (child, true);
    }
}

char *
cf_proc_log (const cf_proc_child_t *child)
{
    char *out = s_read_file (child->out_path);
    char *err = s_read_file (child->err_path);
    char *both = s_format ("%s%s", out, err);
    free (out);
    free (err);
    return both;
}

size_t
cf_proc_log_count (const cf_proc_child_t *child, const char *needle)
{
    char *log = cf_proc_log (child);
    size_t count = s_count (log, needle);
    free (log);
    return count;
}

int
cf_proc_wait_log (const cf_proc_child_t *child, const char *needle,
                  size_t count, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (cf_proc_log_count (child, needle) < count) {
        if (zclock_mono () >= deadline)
            return -1;
        s_sleep_ms (10);
    }
    return 0;
}

//  Says what the child wrote last, for a failure message
static void
s_show_log (const cf_proc_child_t *child)
{
    if (!child)
        return;
    char *log = cf_proc_log (child);
    printf ("[harness] --- last of %s (pid %d, %s) ---\n%s[harness] ---\n",
            child->label, (int)child->pid,
            child->pid > 0 ? "running" : "exited", s_tail (log, S_TAIL_LINES));
    free (log);
}

//  Shows the stacks of a child that hangs, when CERTFLOW_TEST_GDB is set
//  and gdb is installed
static void
s_show_stacks (const cf_proc_child_t *child)
{
    const char *gdb = getenv ("CERTFLOW_TEST_GDB");
    if (!gdb || !*gdb || strcmp (gdb, "0") == 0 || child->pid <= 0)
        return;
    char *command = s_format ("gdb -p %d -batch -ex 'thread apply all bt' "
                              "2>&1 | tail -100",
                              (int)child->pid);
    fflush (stdout);
    if (system (command) != 0)
        printf ("[harness] gdb could not show the stacks of %s\n",
                child->label);
    free (command);
}

//  Returns the sanitizer lines of the child's stderr, or NULL when clean
static char *
s_sanitizer_report (const cf_proc_child_t *child)
{
    char *err = s_read_file (child->err_path);
    bool found = false;
    for (size_t index = 0; s_sanitizer_marks[index]; index++)
        if (strstr (err, s_sanitizer_marks[index]))
            found = true;
    if (!found) {
        free (err);
        return NULL;
    }
    return err;
}

//  ------------------------------------------------------------------------
//  Outputs

static void
s_output_destroy (void **item_p)
{
    cf_proc_output_t *output = *item_p;
    if (output) {
        free (output->command);
        free (output->out);
        free (output->err);
        json_object_put (output->json);
        for (size_t index = 0; index < output->line_count; index++)
            json_object_put (output->lines[index]);
        free (output->lines);
        free (output);
        *item_p = NULL;
    }
}

//  Parses text as JSON when it is one document and nothing else
static json_object *
s_parse (const char *text, size_t length)
{
    json_tokener *tokener = json_tokener_new ();
    json_object *json = json_tokener_parse_ex (tokener, text, (int)length);
    if (json && json_tokener_get_error (tokener) == json_tokener_success) {
        size_t used = json_tokener_get_parse_end (tokener);
        for (; used < length; used++)
            if (text[used] != '\n' && text[used] != ' ') {
                json_object_put (json);
                json = NULL;
                break;
            }
    } else if (json) {
        json_object_put (json);
        json = NULL;
    }
    json_tokener_free (tokener);
    return json;
}

//  Makes the output of a child that has ended (or is given up on)
static const cf_proc_output_t *
s_output (cf_proc_t *self, cf_proc_child_t *child)
{
    cf_proc_output_t *output = calloc (1, sizeof (cf_proc_output_t));
    assert (output);
    output->command = strdup (child->command);
    output->status = child->pid > 0 ? -1 : child->status;
    output->out = s_read_file (child->out_path);
    output->err = s_read_file (child->err_path);
    output->json = s_parse (output->out, strlen (output->out));
    size_t lines = s_count (output->out, "\n") + 1;
    output->lines = calloc (lines, sizeof (json_object *));
    for (const char *line = output->out; *line;) {
        const char *end = strchr (line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen (line);
        output->lines[output->line_count++] = s_parse (line, length);
        line += length + (end ? 1 : 0);
    }
    //  Said now, next to what the test did; cf_proc_finish fails the test
    char *report = s_sanitizer_report (child);
    if (report)
        printf ("[harness] sanitizer report from %s (see the end of the "
                "test)\n",
                output->command);
    free (report);
    zlistx_add_end (self->outputs, output);
    return output;
}

//  ------------------------------------------------------------------------
//  The site

static int
s_remove_entry (const char *path, const struct stat *status, int flag,
                struct FTW *walk)
{
    (void)status;
    (void)flag;
    (void)walk;
    return remove (path);
}

static char **
s_environment (void)
{
    size_t count = 0;
    while (environ[count])
        count++;
    char **env = calloc (count + 1, sizeof (char *));
    assert (env);
    size_t kept = 0;
    for (size_t index = 0; index < count; index++)
        //  The test says where everything is; a developer's settings
        //  must not
        if (strncmp (environ[index], "CERTFLOW_", 9) != 0)
            env[kept++] = strdup (environ[index]);
    return env;
}

cf_proc_t *
cf_proc_new (const char *name)
{
    cf_proc_t *self = calloc (1, sizeof (cf_proc_t));
    assert (self);
    self->dir = s_format ("/tmp/cf-%s-XXXXXX", name);
    if (!mkdtemp (self->dir)) {
        printf ("[harness] cannot make %s: %s\n", self->dir, strerror (errno));
        free (self->dir);
        free (self);
        return NULL;
    }
    self->data = s_format ("%s/data", self->dir);
    self->admin = s_format ("%s/admin.cert", self->data);
    self->server_cert = s_format ("%s/keys/daemon.cert", self->data);
    self->client_endpoint = s_format ("ipc://%s/client.ipc", self->dir);
    self->worker_endpoint = s_format ("ipc://%s/worker.ipc", self->dir);
    self->feed_endpoint = s_format ("ipc://%s/feed.ipc", self->dir);
    self->env = s_environment ();
    self->children = zlistx_new ();
    zlistx_set_destructor (self->children, s_child_destroy);
    self->strings = zlistx_new ();
    zlistx_set_destructor (self->strings, (zlistx_destructor_fn *)zstr_free);
    self->outputs = zlistx_new ();
    zlistx_set_destructor (self->outputs, s_output_destroy);
    self->documents = zlistx_new ();
    self->monitors = zlistx_new ();
    self->sockets = zlistx_new ();
    self->messages = zlistx_new ();
    self->chunks = zlistx_new ();
    self->principals = zhashx_new ();

    const char *argv[] = {CF_BIN_DIR "/certflowd", "--data", self->data, "init",
                          NULL};
    cf_proc_child_t *init = cf_proc_spawn (self, "init", false, argv);
    int status = init ? cf_proc_wait_exit (init, S_COMMAND_MS) : -1;
    if (status != 0) {
        printf ("[harness] certflowd init failed (status %d)\n", status);
        s_show_log (init);
        cf_proc_destroy (&self);
    }
    return self;
}

void
cf_proc_destroy (cf_proc_t **self_p)
{
    assert (self_p);
    cf_proc_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->children);
    zlistx_destroy (&self->outputs);
    for (json_object *json = zlistx_first (self->documents); json;
         json = zlistx_next (self->documents))
        json_object_put (json);
    zlistx_destroy (&self->documents);
    //  A monitor goes before the socket it watches
    for (zactor_t *monitor = zlistx_first (self->monitors); monitor;
         monitor = zlistx_next (self->monitors))
        zactor_destroy (&monitor);
    zlistx_destroy (&self->monitors);
    for (zsock_t *socket = zlistx_first (self->sockets); socket;
         socket = zlistx_next (self->sockets))
        zsock_destroy (&socket);
    zlistx_destroy (&self->sockets);
    for (void *message = zlistx_first (self->messages); message;
         message = zlistx_next (self->messages))
        cf_pb_free (&message);
    zlistx_destroy (&self->messages);
    for (zchunk_t *chunk = zlistx_first (self->chunks); chunk;
         chunk = zlistx_next (self->chunks))
        zchunk_destroy (&chunk);
    zlistx_destroy (&self->chunks);
    zhashx_destroy (&self->principals);
    zlistx_destroy (&self->strings);
    const char *keep = getenv ("CERTFLOW_TEST_KEEP");
    if (keep && *keep && strcmp (keep, "0") != 0)
        printf ("[harness] kept %s\n", self->dir);
    else
        nftw (self->dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t index = 0; self->env[index]; index++)
        free (self->env[index]);
    free (self->env);
    free (self->dir);
    free (self->data);
    free (self->admin);
    free (self->server_cert);
    free (self->client_endpoint);
    free (self->worker_endpoint);
    free (self->feed_endpoint);
    free (self);
    *self_p = NULL;
}

//  Stops the running children that match daemons; returns problems found
static int
s_stop_all (cf_proc_t *self, bool daemons)
{
    int problems = 0;
    //  Every one is asked at once, then each gets the same deadline
    for (cf_proc_child_t *child = zlistx_first (self->children); child;
         child = zlistx_next (self->children)) {
        bool daemon = strcmp (child->label, "certflowd") == 0;
        if (daemon != daemons || !cf_proc_running (child))
            continue;
        if (!child->service) {
            cf_proc_kill (child);  //  A command the test left behind
            continue;
        }
        if (!child->asked) {
            child->asked = true;
            s_terminate (child->pid);
        }
    }
    int64_t deadline = zclock_mono () + CF_PROC_STOP_MS;
    for (cf_proc_child_t *child = zlistx_first (self->children); child;
         child = zlistx_next (self->children)) {
        bool daemon = strcmp (child->label, "certflowd") == 0;
        if (daemon != daemons || child->pid <= 0)
            continue;
        int64_t left = deadline - zclock_mono ();
        int status = cf_proc_wait_exit (child, left > 0 ? (int)left : 0);
        if (status < 0) {
            printf ("[harness] %s did not exit within %d ms of SIGTERM\n",
                    child->command, CF_PROC_STOP_MS);
            s_show_stacks (child);
            s_show_log (child);
            cf_proc_kill (child);
            problems++;
        } else if (status != 0) {
            printf ("[harness] %s exited with status %d on SIGTERM, not 0\n",
                    child->command, status);
            s_show_log (child);
            problems++;
        }
    }
    return problems;
}

int
cf_proc_finish (cf_proc_t *self)
{
    if (!self)
        return -1;
    int problems = 0;
    //  A service that died unasked is a failure even if nothing noticed
    for (cf_proc_child_t *child = zlistx_first (self->children); child;
         child = zlistx_next (self->children))
        if (child->service && !child->asked && !cf_proc_running (child)) {
            printf ("[harness] %s exited by itself with status %d\n",
                    child->command, child->status);
            s_show_log (child);
            child->asked = true;
            problems++;
        }
    problems += s_stop_all (self, false);
    problems += s_stop_all (self, true);
    for (cf_proc_child_t *child = zlistx_first (self->children); child;
         child = zlistx_next (self->children)) {
        char *report = s_sanitizer_report (child);
        if (report) {
            printf ("[harness] sanitizer report in the stderr of %s:\n%s\n",
                    child->command, report);
            free (report);
            problems++;
        }
    }
    return problems ? -1 : 0;
}

int
cf_proc_setup (void **state, const char *name)
{
    *state = cf_proc_new (name);
    return *state ? 0 : -1;
}

int
cf_proc_teardown (void **state)
{
    cf_proc_t *self = *state;
    int rc = cf_proc_finish (self);
    cf_proc_destroy (&self);
    *state = NULL;
    return rc;
}

const char *
cf_proc_dir (cf_proc_t *self)
{
    return self->dir;
}

const char *
cf_proc_data (cf_proc_t *self)
{
    return self->data;
}

const char *
cf_proc_admin (cf_proc_t *self)
{
    return self->admin;
}

const char *
cf_proc_server_cert (cf_proc_t *self)
{
    return self->server_cert;
}

const char *
cf_proc_client_endpoint (cf_proc_t *self)
{
    return self->client_endpoint;
}

const char *
cf_proc_worker_endpoint (cf_proc_t *self)
{
    return self->worker_endpoint;
}

const char *
cf_proc_feed_endpoint (cf_proc_t *self)
{
    return self->feed_endpoint;
}

const char *
cf_proc_path (cf_proc_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *name = NULL;
    int rc = vasprintf (&name, format, args);
    va_end (args);
    assert (rc >= 0);
    (void)rc;
    char *path = s_format ("%s/%s", self->dir, name);
    free (name);
    return s_keep (self, path);
}

const char *
cf_proc_source (cf_proc_t *self, const char *relative)
{
    return s_keep (self, s_format ("%s/%s", CF_SOURCE_DIR, relative));
}

//  ------------------------------------------------------------------------
//  Client commands

//  Starts certflow with the site's options, then args (NULL-terminated)
static cf_proc_child_t *
s_certflow_argv (cf_proc_t *self, const char *cert, const char *const args[])
{
    const char *argv[S_ARGS_MAX];
    size_t count = 0;
    argv[count++] = CF_BIN_DIR "/certflow";
    argv[count++] = "--client-endpoint";
    argv[count++] = self->client_endpoint;
    argv[count++] = "--feed-endpoint";
    argv[count++] = self->feed_endpoint;
    argv[count++] = "--server-cert";
    argv[count++] = self->server_cert;
    argv[count++] = "--cert";
    argv[count++] = cert ? cert : self->admin;
    argv[count++] = "--timeout";
    argv[count++] = S_CLIENT_TIMEOUT;
    argv[count++] = "--retries";
    argv[count++] = S_CLIENT_RETRIES;
    for (size_t index = 0; args[index]; index++) {
        assert (count < S_ARGS_MAX - 1);
        argv[count++] = args[index];
    }
    argv[count] = NULL;
    cf_proc_child_t *child = cf_proc_spawn (self, "certflow", false, argv);
    if (!child)
        fail_msg ("cannot start certflow");
    return child;
}

//  As s_certflow_argv, with the arguments of a va_list
static cf_proc_child_t *
s_certflow_start (cf_proc_t *self, const char *cert, va_list args)
{
    const char *argv[S_ARGS_MAX];
    size_t count = 0;
    const char *arg;
    while ((arg = va_arg (args, const char *))) {
        assert (count < S_ARGS_MAX - 16);
        argv[count++] = arg;
    }
    argv[count] = NULL;
    return s_certflow_argv (self, cert, argv);
}

const cf_proc_output_t *
cf_proc_collect (cf_proc_t *self, cf_proc_child_t *child, int timeout_ms)
{
    if (cf_proc_wait_exit (child, timeout_ms) < 0) {
        printf ("[harness] %s still running after %d ms: killed\n",
                child->command, timeout_ms);
        const cf_proc_output_t *output = s_output (self, child);
        cf_proc_kill (child);
        return output;
    }
    return s_output (self, child);
}

cf_proc_child_t *
cf_proc_certflow_start (cf_proc_t *self, const char *cert, ...)
{
    va_list args;
    va_start (args, cert);
    cf_proc_child_t *child = s_certflow_start (self, cert, args);
    va_end (args);
    return child;
}

const cf_proc_output_t *
cf_proc_certflow (cf_proc_t *self, const char *cert, ...)
{
    va_list args;
    va_start (args, cert);
    cf_proc_child_t *child = s_certflow_start (self, cert, args);
    va_end (args);
    return cf_proc_collect (self, child, S_COMMAND_MS);
}

//  Fails the test unless output ended with status
static void
s_expect (cf_proc_t *self, const cf_proc_output_t *output, int status)
{
    if (output->status == status)
        return;
    printf ("[harness] %s\n[harness] exited %d, expected %d\n"
            "[harness] stdout: %s\n[harness] stderr: %s\n",
            output->command, output->status, status, output->out, output->err);
    s_show_log (self->daemon);
    fail_msg ("%s: exit %d, expected %d", output->command, output->status,
              status);
}

const cf_proc_output_t *
cf_proc_expect (cf_proc_t *self, int status, const char *cert, ...)
{
    va_list args;
    va_start (args, cert);
    cf_proc_child_t *child = s_certflow_start (self, cert, args);
    va_end (args);
    const cf_proc_output_t *output =
        cf_proc_collect (self, child, S_COMMAND_MS);
    s_expect (self, output, status);
    return output;
}

//  ------------------------------------------------------------------------
//  The programs

cf_proc_child_t *
cf_proc_daemon (cf_proc_t *self, const char *const extra[])
{
    const char *argv[S_ARGS_MAX];
    size_t count = 0;
    argv[count++] = CF_BIN_DIR "/certflowd";
    argv[count++] = "--data";
    argv[count++] = self->data;
    argv[count++] = "--client-endpoint";
    argv[count++] = self->client_endpoint;
    argv[count++] = "--worker-endpoint";
    argv[count++] = self->worker_endpoint;
    argv[count++] = "--feed-endpoint";
    argv[count++] = self->feed_endpoint;
    //  The flags are kept for a restart that lets time pass; the clock
    //  offset is kept apart, as the time already let pass
    size_t kept = 0;
    for (size_t index = 0; extra && extra[index]; index++) {
        if (strcmp (extra[index], "--clock-offset-ms") == 0 &&
            extra[index + 1]) {
            self->offset_ms = strtoll (extra[++index], NULL, 10);
            continue;
        }
        assert (kept < sizeof self->extra / sizeof self->extra[0] - 1);
        self->extra[kept++] = s_keep (self, strdup (extra[index]));
    }
    self->extra[kept] = NULL;
    for (size_t index = 0; self->extra[index]; index++) {
        assert (count < S_ARGS_MAX - 4);
        argv[count++] = self->extra[index];
    }
    if (self->offset_ms > 0) {
        argv[count++] = "--clock-offset-ms";
        argv[count++] =
            s_keep (self, s_format ("%lld", (long long)self->offset_ms));
    }
    argv[count++] = "run";
    argv[count] = NULL;
    cf_proc_child_t *daemon = cf_proc_spawn (self, "certflowd", true, argv);
    if (!daemon)
        fail_msg ("cannot start certflowd");
    self->daemon = daemon;

    int64_t deadline = zclock_mono () + CF_PROC_READY_MS;
    while (true) {
        if (!cf_proc_running (daemon)) {
            daemon->asked = true;  //  Reported here, not again at finish
            s_show_log (daemon);
            fail_msg ("certflowd exited with status %d before it was ready",
                      daemon->status);
        }
        const cf_proc_output_t *ping = cf_proc_certflow (
            self, NULL, "--timeout", "250", "--retries", "1", "ping", NULL);
        if (ping->status == 0)
            return daemon;
        if (zclock_mono () >= deadline) {
            s_show_log (daemon);
            fail_msg ("certflowd did not answer a ping within %d ms: %s",
                      CF_PROC_READY_MS, ping->err);
        }
        s_sleep_ms (CF_PROC_POLL_MS);
    }
}

void
cf_proc_advance_to (cf_proc_t *self, const char *date)
{
    cf_day_t day;
    if (cf_date_parse (date, &day) != 0)
        fail_msg ("cannot let time pass to '%s': not a date", date);
    //  10:00 in China on that day, by the daemon's clock
    int64_t needed = cf_date_to_ms (day) + 10 * 3600 * 1000LL - zclock_time ();
    if (needed <= self->offset_ms)
        return;
    self->offset_ms = needed;
    if (self->daemon && cf_proc_running (self->daemon))
        cf_proc_stop (self->daemon);
    const char *extra[16];
    memcpy (extra, self->extra, sizeof extra);
    cf_proc_daemon (self, extra);
}

void
cf_proc_set_revised_sheet (cf_proc_t *self, const char *path)
{
    self->revised = path ? s_keep (self, strdup (path)) : NULL;
}

cf_proc_child_t *
cf_proc_current_daemon (cf_proc_t *self)
{
    return self->daemon;
}

const cf_proc_output_t *
cf_proc_verify (cf_proc_t *self)
{
    const char *argv[] = {CF_BIN_DIR "/certflowd", "--data", self->data,
                          "verify", NULL};
    cf_proc_child_t *child = cf_proc_spawn (self, "verify", false, argv);
    if (!child)
        fail_msg ("cannot start certflowd verify");
    return cf_proc_collect (self, child, S_COMMAND_MS);
}

const char *
cf_proc_principal (cf_proc_t *self, const char *name, const char *role,
                   const char *org)
{
    char *key = s_format ("%s %s", role, name);
    const char *path = zhashx_lookup (self->principals, key);
    if (path) {
        free (key);
        return path;
    }
    path = s_keep (self, s_format ("%s/%s-%s.cert", self->dir, role, name));
    if (org)
        cf_proc_expect (self, 0, NULL, "identity", "issue", name, role, "--org",
                        org, "--out", path, NULL);
    else
        cf_proc_expect (self, 0, NULL, "identity", "issue", name, role, "--out",
                        path, NULL);
    zhashx_insert (self->principals, key, (void *)path);
    free (key);
    return path;
}

const char *
cf_proc_stranger (cf_proc_t *self)
{
    const char *certs = cf_proc_path (self, "stranger-certs");
    const char *path = cf_proc_path (self, "stranger.cert");
    if (mkdir (certs, 0700) != 0 && errno != EEXIST)
        fail_msg ("cannot make %s: %s", certs, strerror (errno));
    zcert_t *cert = NULL;
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_identity_issue (certs, "stranger", "applicant", "ROGUE", &cert,
                                problems);
    cf_problems_destroy (&problems);
    if (rc == 0 && zcert_save_secret (cert, path) != 0)
        rc = -1;
    zcert_destroy (&cert);
    if (rc)
        fail_msg ("cannot make a stranger's certificate in %s", certs);
    return path;
}

void
cf_proc_staff (cf_proc_t *self)
{
    glob_t found;
    char *pattern = s_format ("%s/examples/staff/*.json", CF_SOURCE_DIR);
    int rc = glob (pattern, 0, NULL, &found);
    free (pattern);
    if (rc != 0)
        fail_msg ("no staff files in %s/examples/staff", CF_SOURCE_DIR);
    for (size_t index = 0; index < found.gl_pathc; index++)
        cf_proc_expect (self, 0, NULL, "staff", "put", found.gl_pathv[index],
                        NULL);
    globfree (&found);
}

cf_proc_child_t *
cf_proc_worker (cf_proc_t *self, const char *name, const char *stage,
                int hold_ms)
{
    const char *cert = cf_proc_principal (self, name, "worker", NULL);
    char hold[32];
    snprintf (hold, sizeof hold, "%d", hold_ms);
    const char *argv[] = {CF_BIN_DIR "/certflow-worker",
                          "--worker-endpoint",
                          self->worker_endpoint,
                          "--cert",
                          cert,
                          "--server-cert",
                          self->server_cert,
                          "--name",
                          name,
                          "--hold-ms",
                          hold,
                          stage ? "--stage" : NULL,
                          stage,
                          NULL};
    if (!self->daemon)
        fail_msg ("start the daemon before worker %s", name);
    char *ready = s_format ("worker %s ready", name);
    size_t before = cf_proc_log_count (self->daemon, ready);
    cf_proc_child_t *worker = cf_proc_spawn (self, name, true, argv);
    int rc = worker ? cf_proc_wait_log (self->daemon, ready, before + 1,
                                        CF_PROC_READY_MS)
                    : -1;
    free (ready);
    if (!worker)
        fail_msg ("cannot start worker %s", name);
    else if (rc != 0) {
        s_show_log (worker);
        s_show_log (self->daemon);
        fail_msg ("worker %s did not connect within %d ms", name,
                  CF_PROC_READY_MS);
    }
    return worker;
}

void
cf_proc_workers (cf_proc_t *self)
{
    for (size_t index = 0; cf_proc_stages[index]; index++) {
        char name[64];
        snprintf (name, sizeof name, "worker-%s", cf_proc_stages[index]);
        cf_proc_worker (self, name, cf_proc_stages[index], 0);
    }
}

void
cf_proc_front_office (cf_proc_t *self)
{
    cf_proc_worker (self, "worker-intake", "intake", 0);
    cf_proc_worker (self, "worker-review", "review", 0);
    cf_proc_worker (self, "worker-contract", "contract", 0);
}

const char *
cf_proc_full_site (cf_proc_t *self, const char *org)
{
    cf_proc_daemon (self, NULL);
    cf_proc_staff (self);
    cf_proc_workers (self);
    return cf_proc_principal (self, "yunxi", "applicant", org);
}

//  ------------------------------------------------------------------------
//  Cases

const char *
cf_proc_state_of (const cf_proc_output_t *output)
{
    const char *name = cf_proc_json_string (output->json, "/record/state");
    if (!name)
        return NULL;
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value_by_name (&cf__state__descriptor,
                                                      name);
    return value ? cf_fsm_state_name ((cf_state_t)value->value) : NULL;
}

//  True when the value at pointer exists and is not empty
static bool
s_present (json_object *json, const char *pointer)
{
    json_object *value = cf_proc_json (json, pointer);
    if (!value)
        return false;
    switch (json_object_get_type (value)) {
        case json_type_string:
            return json_object_get_string_len (value) > 0;
        case json_type_array:
            return json_object_array_length (value) > 0;
        case json_type_null:
            return false;
        default:
            return true;
    }
}

//  Prints the history of the case, for a failure message
static void
s_show_history (cf_proc_t *self, const char *case_id)
{
    const cf_proc_output_t *history =
        cf_proc_certflow (self, NULL, "history", case_id, NULL);
    printf ("[harness] history of %s:\n%s%s", case_id, history->out,
            history->err);
}

const cf_proc_output_t *
cf_proc_wait_state (cf_proc_t *self, const char *cert, const char *case_id,
                    const char *state, const char *pointer, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    const cf_proc_output_t *status = NULL;
    while (true) {
        status =
            cf_proc_certflow (self, cert, "--json", "status", case_id, NULL);
        const char *now = cf_proc_state_of (status);
        if (status->status == 0 && now && strcmp (now, state) == 0 &&
            (!pointer || s_present (status->json, pointer)))
            return status;
        if (zclock_mono () >= deadline)
            break;
        s_sleep_ms (CF_PROC_POLL_MS);
    }
    const char *last = cf_proc_state_of (status);
    s_show_history (self, case_id);
    s_show_log (self->daemon);
    fail_msg ("case %s did not reach %s%s%s within %d ms: last seen %s "
              "(status exit %d: %s)",
              case_id, state, pointer ? " with " : "", pointer ? pointer : "",
              timeout_ms, last ? last : "nothing", status->status, status->err);
    return NULL;
}

const char *
cf_proc_submit (cf_proc_t *self, const char *applicant, const char *application)
{
    const cf_proc_output_t *submitted = cf_proc_expect (
        self, 0, applicant, "--json", "submit", application, NULL);
    const char *case_id = cf_proc_json_string (submitted->json, "/record/id");
    if (!case_id || strncmp (case_id, "CF-", 3) != 0)
        fail_msg ("submit gave no case id: %s", submitted->out);
    return case_id;
}

const char *
cf_proc_submit_example (cf_proc_t *self, const char *applicant)
{
    return cf_proc_submit (self, applicant,
                           cf_proc_source (self, "examples/application.json"));
}

const cf_proc_output_t *
cf_proc_to_committee (cf_proc_t *self, const char *applicant,
                      const char *case_id, const char *cert)
{
    cf_proc_drive (self, applicant, case_id, "committee_review",
                   CF_PROC_STATE_MS);
    return cf_proc_wait_state (self, cert, case_id, "committee_review",
                               "/record/committee/members", CF_PROC_STATE_MS);
}

//  True when the committee of the case has a ballot of member
static bool
s_voted (json_object *json, const char *member)
{
    size_t count = cf_proc_json_length (json, "/record/committee/ballots");
    for (size_t index = 0; index < count; index++) {
        char pointer[64];
        snprintf (pointer, sizeof pointer,
                  "/record/committee/ballots/%zu/member", index);
        const char *voter = cf_proc_json_string (json, pointer);
        if (voter && strcmp (voter, member) == 0)
            return true;
    }
    return false;
}

//  The next human step of the happy path for the case as status shows it:
//  who acts (*cert_p) and the certflow arguments (into args, with --json,
//  NULL-terminated). Returns the event it fires, or NULL when the workers
//  have the move.
static const char *
s_next (cf_proc_t *self, const char *applicant, const char *case_id,
        const cf_proc_output_t *status, const char **cert_p,
        const char *args[10])
{
    const char *state = cf_proc_state_of (status);
    json_object *json = status->json;
    size_t count = 0;
    args[count++] = "--json";
    *cert_p = applicant;
    const char *event = NULL;
    if (!state)
        return NULL;
    if (strcmp (state, "contract_pending") == 0 &&
        s_present (json, "/record/contract/number") &&
        !s_present (json, "/record/contract/signed_date")) {
        args[count++] = "sign";
        args[count++] = case_id;
        event = "contract_signed";
    } else if (strcmp (state, "onsite_audit") == 0 &&
               !s_present (json, "/record/sheet")) {
        const char *leader = cf_proc_json_string (json, "/record/plan/leader");
        const char *end = cf_proc_json_string (json, "/record/plan/end_date");
        *cert_p = cf_proc_principal (self, leader, "auditor", NULL);
        //  The audit takes place before the sheet is filed
        cf_proc_advance_to (self, end);
        args[count++] = "scores";
        args[count++] = case_id;
        args[count++] = cf_proc_source (self, "examples/scores.json");
        args[count++] = "--audit-date";
        args[count++] = s_keep (self, strdup (end));
        event = "sheet_submitted";
    } else if (strcmp (state, "rectification") == 0) {
        args[count++] = "rectify";
        args[count++] = case_id;
        args[count++] = cf_proc_source (self, "examples/fixes.json");
        event = "fixes_submitted";
    } else if (strcmp (state, "verification") == 0) {
        const char *verifier = cf_proc_json_string (json, "/record/verifier");
        *cert_p = cf_proc_principal (self, verifier, "auditor", NULL);
        args[count++] = "verify";
        args[count++] = case_id;
        args[count++] = "--accept";
        args[count++] =
            self->revised
                ? self->revised
                : cf_proc_source (self, "examples/scores-revised.json");
        event = "fixes_accepted";
    } else if (strcmp (state, "committee_review") == 0) {
        //  The first two members are a majority of three; a third vote
        //  would race the committee worker's tally
        size_t members =
            cf_proc_json_length (json, "/record/committee/members");
        for (size_t index = 0; index < 2 && index < members && !event;
             index++) {
            char pointer[64];
            snprintf (pointer, sizeof pointer, "/record/committee/members/%zu",
                      index);
            const char *member = cf_proc_json_string (json, pointer);
            if (s_voted (json, member))
                continue;
            *cert_p = cf_proc_principal (self, member, "committee", NULL);
            args[count++] = "vote";
            args[count++] = case_id;
            args[count++] = "grant";
            args[count++] = "--reason";
            args[count++] = "meets GB/T 27922";
            event = "vote";
        }
    }
    args[count] = NULL;
    return event;
}

cf_proc_child_t *
cf_proc_step_start (cf_proc_t *self, const char *applicant, const char *case_id,
                    const cf_proc_output_t *status, const char **event_p)
{
    const char *cert = NULL;
    const char *args[10];
    const char *event = s_next (self, applicant, case_id, status, &cert, args);
    if (event_p)
        *event_p = event;
    return event ? s_certflow_argv (self, cert, args) : NULL;
}

//  Runs the next human step; returns true when there was one
static bool
s_step (cf_proc_t *self, const char *applicant, const char *case_id,
        const cf_proc_output_t *status)
{
    cf_proc_child_t *child =
        cf_proc_step_start (self, applicant, case_id, status, NULL);
    if (!child)
        return false;
    s_expect (self, cf_proc_collect (self, child, S_COMMAND_MS), 0);
    return true;
}

bool
cf_proc_step (cf_proc_t *self, const char *applicant, const char *case_id)
{
    const cf_proc_output_t *status =
        cf_proc_expect (self, 0, applicant, "--json", "status", case_id, NULL);
    return s_step (self, applicant, case_id, status);
}

void
cf_proc_drive (cf_proc_t *self, const char *applicant, const char *case_id,
               const char *state, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    const char *now = NULL;
    while (zclock_mono () < deadline) {
        const cf_proc_output_t *status = cf_proc_expect (
            self, 0, applicant, "--json", "status", case_id, NULL);
        now = cf_proc_state_of (status);
        if (now && strcmp (now, state) == 0)
            return;
        cf_state_t value;
        if (now && cf_fsm_state_from_name (now, &value) == 0 &&
            cf_fsm_state_terminal (value)) {
            s_show_history (self, case_id);
            fail_msg ("case %s ended in %s on the way to %s", case_id, now,
                      state);
        }
        if (!s_step (self, applicant, case_id, status))
            s_sleep_ms (CF_PROC_POLL_MS);
    }
    s_show_history (self, case_id);
    s_show_log (self->daemon);
    fail_msg ("case %s did not reach %s within %d ms: last seen %s", case_id,
              state, timeout_ms, now ? now : "nothing");
}

//  ------------------------------------------------------------------------
//  JSON

json_object *
cf_proc_json (json_object *json, const char *pointer)
{
    json_object *value = NULL;
    if (!json || json_pointer_get (json, pointer, &value) != 0)
        return NULL;
    return value;
}

const char *
cf_proc_json_string (json_object *json, const char *pointer)
{
    json_object *value = cf_proc_json (json, pointer);
    return value && json_object_is_type (value, json_type_string)
               ? json_object_get_string (value)
               : NULL;
}

const char *
cf_proc_json_nth (json_object *json, const char *format, size_t index)
{
    char pointer[128];
    snprintf (pointer, sizeof pointer, format, index);
    const char *value = cf_proc_json_string (json, pointer);
    return value ? value : "";
}

int64_t
cf_proc_json_int (json_object *json, const char *pointer, int64_t fallback)
{
    json_object *value = cf_proc_json (json, pointer);
    return value && (json_object_is_type (value, json_type_int) ||
                     json_object_is_type (value, json_type_double))
               ? json_object_get_int64 (value)
               : fallback;
}

double
cf_proc_json_double (json_object *json, const char *pointer, double fallback)
{
    json_object *value = cf_proc_json (json, pointer);
    return value && (json_object_is_type (value, json_type_int) ||
                     json_object_is_type (value, json_type_double))
               ? json_object_get_double (value)
               : fallback;
}

size_t
cf_proc_json_length (json_object *json, const char *pointer)
{
    json_object *value = cf_proc_json (json, pointer);
    return value && json_object_is_type (value, json_type_array)
               ? json_object_array_length (value)
               : 0;
}

unsigned
cf_proc_seed (const char *label)
{
    const char *given = getenv ("CERTFLOW_TEST_SEED");
    unsigned seed = given && *given
                        ? (unsigned)strtoul (given, NULL, 10)
                        : (unsigned)time (NULL) ^ (unsigned)getpid ();
    printf ("[%s] seed %u (CERTFLOW_TEST_SEED=%u replays it)\n", label, seed,
            seed);
    return seed;
}

size_t
cf_proc_count_event (json_object *history, const char *event)
{
    size_t count = cf_proc_json_length (history, "/events/events");
    size_t found = 0;
    for (size_t index = 0; index < count; index++)
        if (strcmp (
                cf_proc_json_nth (history, "/events/events/%zu/event", index),
                event) == 0 &&
            !*cf_proc_json_nth (history, "/events/events/%zu/refused", index))
            found++;
    return found;
}

json_object *
cf_proc_json_load (cf_proc_t *self, const char *path)
{
    json_object *json = json_object_from_file (path);
    if (!json)
        fail_msg ("cannot read JSON from %s: %s", path,
                  json_util_get_last_err ());
    zlistx_add_end (self->documents, json);
    return json;
}

const char *
cf_proc_json_save (cf_proc_t *self, json_object *json, const char *name)
{
    const char *path = cf_proc_path (self, "%s", name);
    if (json_object_to_file_ext (path, json,
                                 JSON_C_TO_STRING_PRETTY |
                                     JSON_C_TO_STRING_NOSLASHESCAPE) != 0)
        fail_msg ("cannot write %s: %s", path, json_util_get_last_err ());
    return path;
}

//  ------------------------------------------------------------------------
//  Raw sockets

static zsock_t *
s_dealer (cf_proc_t *self, const char *cert, const char *endpoint)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert (dealer);
    zsock_set_linger (dealer, 0);
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_identity_client (dealer, cert, self->server_cert, problems);
    cf_problems_destroy (&problems);
    if (rc == 0)
        rc = zsock_connect (dealer, "%s", endpoint);
    if (rc != 0) {
        zsock_destroy (&dealer);
        fail_msg ("cannot connect a DEALER with %s to %s", cert, endpoint);
    }
    zlistx_add_end (self->sockets, dealer);
    return dealer;
}

zsock_t *
cf_proc_dealer (cf_proc_t *self, const char *cert)
{
    return s_dealer (self, cert, self->client_endpoint);
}

zsock_t *
cf_proc_worker_dealer (cf_proc_t *self, const char *cert)
{
    return s_dealer (self, cert, self->worker_endpoint);
}

zsock_t *
cf_proc_subscriber (cf_proc_t *self, const char *cert)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    assert (sub);
    zsock_set_linger (sub, 0);
    zsock_set_subscribe (sub, "");
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_identity_client (sub, cert, self->server_cert, problems);
    cf_problems_destroy (&problems);
    if (rc == 0)
        rc = zsock_connect (sub, "%s", self->feed_endpoint);
    if (rc != 0) {
        zsock_destroy (&sub);
        fail_msg ("cannot subscribe with %s to %s", cert, self->feed_endpoint);
    }
    zlistx_add_end (self->sockets, sub);
    return sub;
}

zmsg_t *
cf_proc_receive (zsock_t *socket, int timeout_ms)
{
    zmq_pollitem_t item = {zsock_resolve (socket), 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;
    return zmsg_recv (socket);
}

zactor_t *
cf_proc_monitor (cf_proc_t *self, zsock_t *socket, const char *event)
{
    zactor_t *monitor = zactor_new (zmonitor, socket);
    assert (monitor);
    zstr_sendx (monitor, "LISTEN", event, NULL);
    zstr_send (monitor, "START");
    zsock_wait (monitor);
    zlistx_add_end (self->monitors, monitor);
    return monitor;
}

bool
cf_proc_wait_event (zactor_t *monitor, int timeout_ms)
{
    zmsg_t *event = cf_proc_receive (zactor_sock (monitor), timeout_ms);
    bool seen = event != NULL;
    zmsg_destroy (&event);
    return seen;
}

int
cf_proc_send (zsock_t *dealer, const ProtobufCMessage *message)
{
    size_t size = 0;
    uint8_t *data = cf_pb_pack (message, &size);
    zframe_t *frame = zframe_new (data, size);
    free (data);
    return zframe_send (&frame, dealer, 0);
}

const Cf__Reply *
cf_proc_reply (cf_proc_t *self, zsock_t *dealer, int timeout_ms,
               zchunk_t **bytes_p)
{
    if (bytes_p)
        *bytes_p = NULL;
    zmsg_t *message = cf_proc_receive (dealer, timeout_ms);
    if (!message)
        return NULL;
    if (zmsg_size (message) != 1) {
        size_t frames = zmsg_size (message);
        zmsg_destroy (&message);
        fail_msg ("the daemon answered with %zu frames, not one", frames);
    }
    zframe_t *frame = zmsg_first (message);
    zchunk_t *bytes = zchunk_new (zframe_data (frame), zframe_size (frame));
    zmsg_destroy (&message);
    zlistx_add_end (self->chunks, bytes);
    Cf__Reply *reply = NULL;
    if (cf_wire_decode (&cf__reply__descriptor, zchunk_data (bytes),
                        zchunk_size (bytes), (void **)&reply, NULL) != 0)
        fail_msg ("the daemon's answer of %zu bytes is not a Reply",
                  zchunk_size (bytes));
    zlistx_add_end (self->messages, reply);
    if (bytes_p)
        *bytes_p = bytes;
    return reply;
}

Cf__Application *
cf_proc_application (cf_proc_t *self, const char *path)
{
    char *text = NULL;
    size_t size = 0;
    Cf__Application *application = NULL;
    int rc = cf_json_load_file (path, CF_JSON_MAX_BYTES, &text, &size, NULL);
    if (rc == 0)
        rc = cf_json_application (text, size, &application, NULL);
    free (text);
    if (rc)
        fail_msg ("cannot read the application %s", path);
    zlistx_add_end (self->messages, application);
    return application;
}
