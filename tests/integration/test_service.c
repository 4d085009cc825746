/*  =========================================================================
    test_service - certflowd as a service: logs in JSON with ISO 8601 times
    and zones, readiness and reloads told to systemd's notify socket, and
    SIGHUP re-reading the log level from the config file

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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_json_logs_carry_iso_times,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_notify_and_sighup_reload, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_log_settings_are_usage_errors,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
