/*  =========================================================================
    test_service - certflowd as a service: logs in JSON with ISO 8601 times
    and zones, readiness and reloads told to systemd's notify socket,
    SIGHUP re-reading the log level from the config file; and the client's
    progress on a terminal, silent in scripts

    The notify socket is a datagram socket of the test, named to the daemon
    in NOTIFY_SOCKET as systemd does for Type=notify units.
    =========================================================================
*/

#include <json-c/json.h>
#include <poll.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_proc.h"

//  An ISO 8601 time with milliseconds and the zone's offset
#define S_ISO_TIME                                                             \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}"        \
    "[+-][0-9]{2}:[0-9]{2}$"

typedef struct {
    cf_proc_t *proc;  //  The site
    int notify;       //  The notify socket (bound datagram)
    char path[108];   //  Its path
} s_site_t;

static int
s_setup (void **state)
{
    s_site_t *site = calloc (1, sizeof (s_site_t));
    snprintf (site->path, sizeof site->path, "/tmp/cf-notify-%d.sock",
              (int)getpid ());
    unlink (site->path);
    site->notify = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf (address.sun_path, sizeof address.sun_path, "%s", site->path);
    if (site->notify < 0 ||
        bind (site->notify, (struct sockaddr *)&address, sizeof address) != 0)
        return -1;
    //  The harness hands its environment to every child it starts
    setenv ("NOTIFY_SOCKET", site->path, 1);
    site->proc = cf_proc_new ("service");
    *state = site;
    return site->proc ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_site_t *site = *state;
    int rc = cf_proc_finish (site->proc);
    cf_proc_destroy (&site->proc);
    close (site->notify);
    unlink (site->path);
    unsetenv ("NOTIFY_SOCKET");
    free (site);
    return rc;
}

//  Waits up to 10 s for a notify datagram holding needle; returns it
//  (static buffer) or fails the test
static const char *
s_expect_notify (s_site_t *site, const char *needle)
{
    static char message[4096];
    for (int round = 0; round < 100; round++) {
        struct pollfd ready = {.fd = site->notify, .events = POLLIN};
        if (poll (&ready, 1, 100) <= 0)
            continue;
        ssize_t size = recv (site->notify, message, sizeof message - 1, 0);
        if (size <= 0)
            continue;
        message[size] = 0;
        if (strstr (message, needle))
            return message;
    }
    fail_msg ("no notify message with '%s' within 10 s", needle);
    return NULL;
}

static void
s_write_config (const char *path, const char *level)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "certflowd\n    log\n        level = %s\n", level);
    fclose (file);
}

static void
test_json_logs_carry_iso_times (void **state)
{
    s_site_t *site = *state;
    cf_proc_t *proc = site->proc;
    const char *const flags[] = {"--log-format", "json", NULL};
    cf_proc_child_t *daemon = cf_proc_daemon (proc, flags);
    const char *applicant =
        cf_proc_principal (proc, "li.na", "applicant", "HZYX");
    cf_proc_submit_example (proc, applicant);
    assert_int_equal (cf_proc_stop (daemon), 0);

    char *log = cf_proc_log (daemon);
    regex_t iso;
    assert_int_equal (regcomp (&iso, S_ISO_TIME, REG_EXTENDED | REG_NOSUB), 0);
    size_t records = 0, transitions = 0;
    for (char *line = strtok (log, "\n"); line; line = strtok (NULL, "\n")) {
        json_object *record = json_tokener_parse (line);
        if (!record)
            fail_msg ("a log line is not JSON: %s", line);
        json_object *field;
        assert_true (json_object_object_get_ex (record, "time", &field));
        assert_int_equal (
            regexec (&iso, json_object_get_string (field), 0, NULL, 0), 0);
        assert_true (json_object_object_get_ex (record, "program", &field));
        assert_string_equal (json_object_get_string (field), "certflowd");
        assert_true (json_object_object_get_ex (record, "message", &field));
        if (strstr (json_object_get_string (field), "event=submit"))
            transitions++;
        records++;
        json_object_put (record);
    }
    regfree (&iso);
    free (log);
    assert_true (records >= 3);  //  ready, the submit, stopping
    assert_int_equal (transitions, 1);
}

static void
test_notify_and_sighup_reload (void **state)
{
    s_site_t *site = *state;
    cf_proc_t *proc = site->proc;
    const char *config = cf_proc_path (proc, "certflowd.cfg");
    s_write_config (config, "warning");
    const char *const flags[] = {"--config", config, NULL};
    cf_proc_child_t *daemon = cf_proc_daemon (proc, flags);
    const char *ready = s_expect_notify (site, "READY=1");
    assert_non_null (strstr (ready, "STATUS=serving clients on"));

    //  At warning, a transition is not logged
    const char *applicant =
        cf_proc_principal (proc, "li.na", "applicant", "HZYX");
    cf_proc_submit_example (proc, applicant);
    assert_int_equal (cf_proc_log_count (daemon, "event=submit"), 0);

    //  SIGHUP: the file says info now
    s_write_config (config, "info");
    assert_int_equal (kill (cf_proc_pid (daemon), SIGHUP), 0);
    s_expect_notify (site, "RELOADING=1");
    s_expect_notify (site, "READY=1");
    assert_int_equal (
        cf_proc_wait_log (daemon, "reloaded: certificates of", 1, 5000), 0);
    assert_int_equal (
        cf_proc_wait_log (daemon, "reloaded: log level info", 1, 5000), 0);
    cf_proc_submit_example (proc, applicant);
    assert_int_equal (cf_proc_wait_log (daemon, "event=submit", 1, 5000), 0);

    //  A wrong level is said and the one in force is kept
    s_write_config (config, "loud");
    assert_int_equal (kill (cf_proc_pid (daemon), SIGHUP), 0);
    assert_int_equal (
        cf_proc_wait_log (daemon, "log-level 'loud' is not a level", 1, 5000),
        0);
    assert_int_equal (
        cf_proc_wait_log (daemon, "reloaded: log level info", 2, 5000), 0);

    assert_int_equal (cf_proc_stop (daemon), 0);
    s_expect_notify (site, "STOPPING=1");
}

static void
test_worker_tells_systemd_it_is_ready (void **state)
{
    s_site_t *site = *state;
    cf_proc_t *proc = site->proc;
    cf_proc_daemon (proc, NULL);
    assert_non_null (strstr (s_expect_notify (site, "READY=1"), "STATUS="));
    cf_proc_child_t *worker =
        cf_proc_worker (proc, "worker-intake", "intake", 0);
    //  The worker's own, once its certificates loaded
    const char *ready = s_expect_notify (site, "READY=1");
    assert_null (strstr (ready, "STATUS=serving"));
    assert_int_equal (cf_proc_stop (worker), 0);
    s_expect_notify (site, "STOPPING=1");
}

static void
test_bad_log_settings_are_usage_errors (void **state)
{
    s_site_t *site = *state;
    cf_proc_t *proc = site->proc;
    const char *bad[] = {CF_BIN_DIR "/certflowd",
                         "--data",
                         cf_proc_data (proc),
                         "--log-format",
                         "xml",
                         "run",
                         NULL};
    cf_proc_child_t *child = cf_proc_spawn (proc, "bad", false, bad);
    assert_int_equal (cf_proc_wait_exit (child, 5000), 2);
    assert_int_equal (
        cf_proc_log_count (child, "log-format 'xml' is not a format: use "
                                  "text or json"),
        1);
}

//  Runs certflow as the admin with words under script(1), on a pseudo
//  terminal (what a person at a terminal sees), and returns its output
static char *
s_on_terminal (cf_proc_t *proc, const char *words)
{
    char command[4096];
    snprintf (command, sizeof command,
              "%s/certflow --client-endpoint %s --cert %s --server-cert %s %s",
              CF_BIN_DIR, cf_proc_client_endpoint (proc), cf_proc_admin (proc),
              cf_proc_server_cert (proc), words);
    const char *argv[] = {"/usr/bin/script", "-qec", command, "/dev/null",
                          NULL};
    cf_proc_child_t *child = cf_proc_spawn (proc, "terminal", false, argv);
    assert_non_null (child);
    assert_int_equal (cf_proc_wait_exit (child, 20000), 0);
    return cf_proc_log (child);
}

static void
test_long_listings_show_progress_on_a_terminal_only (void **state)
{
    s_site_t *site = *state;
    cf_proc_t *proc = site->proc;
    cf_proc_daemon (proc, NULL);
    const char *applicant =
        cf_proc_principal (proc, "li.na", "applicant", "HZYX");
    for (int index = 0; index < 3; index++)
        cf_proc_submit_example (proc, applicant);

    //  At a terminal: how far it got while it asks for the next page, and
    //  the line cleared before the cases print
    char *shown = s_on_terminal (proc, "list --all --limit 1");
    assert_non_null (strstr (shown, "\rcertflow: listed 1 case, asking for "
                                    "more ...\033[K\r\033[K"));
    assert_non_null (strstr (shown, "listed 2 cases"));
    assert_non_null (strstr (shown, "CF-2026-000003"));
    free (shown);

    //  In a script (no terminal): the cases and nothing else
    const cf_proc_output_t *quiet =
        cf_proc_expect (proc, 0, NULL, "list", "--all", "--limit", "1", NULL);
    assert_string_equal (quiet->err, "");
    assert_non_null (strstr (quiet->out, "CF-2026-000003"));
    quiet = cf_proc_expect (proc, 0, NULL, "--json", "list", "--all", "--limit",
                            "1", NULL);
    assert_string_equal (quiet->err, "");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_json_logs_carry_iso_times,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_notify_and_sighup_reload, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_worker_tells_systemd_it_is_ready,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_log_settings_are_usage_errors,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_long_listings_show_progress_on_a_terminal_only, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
