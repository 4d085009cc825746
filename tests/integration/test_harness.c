/*  =========================================================================
    test_harness - the process harness keeps its promises: a sanitizer
    report in any child's stderr, a service that dies unasked and one that
    ignores SIGTERM each fail the test, and nothing outlives the harness

    The children here are small shell scripts, not certflow programs, so
    that each can misbehave on purpose.
    =========================================================================
*/

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_proc.h"

//  A service that stops cleanly on SIGTERM after writing text to stderr
#define S_CLEAN_SERVICE(text)                                                  \
    "trap 'exit 0' TERM; printf '%s\\n' '" text "' >&2; "                      \
    "while :; do sleep 0.05; done"

static int
s_setup (void **state)
{
    *state = cf_proc_new ("harness");
    return *state ? 0 : -1;
}

static int
s_teardown (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_destroy (&proc);
    return 0;
}

//  Starts script under /bin/sh as a service
static cf_proc_child_t *
s_service (cf_proc_t *proc, const char *script)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    cf_proc_child_t *child = cf_proc_spawn (proc, "script", true, argv);
    assert_non_null (child);
    //  It is up once it has written its line
    assert_int_equal (cf_proc_wait_log (child, "\n", 1, 5000), 0);
    return child;
}

static void
test_clean_services_pass (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_child_t *child = s_service (proc, S_CLEAN_SERVICE ("all is well"));
    assert_true (cf_proc_running (child));
    assert_int_equal (cf_proc_finish (proc), 0);
    assert_false (cf_proc_running (child));
}

static void
test_sanitizer_reports_fail_the_test (void **state)
{
    cf_proc_t *proc = *state;
    s_service (proc, S_CLEAN_SERVICE (
                         "==7==ERROR: AddressSanitizer: heap-use-after-free"));
    assert_int_equal (cf_proc_finish (proc), -1);
}

static void
test_undefined_behaviour_fails_the_test (void **state)
{
    cf_proc_t *proc = *state;
    //  UBSan writes "runtime error" and, built to stop, the child ends
    const char *argv[] = {
        "/bin/sh", "-c",
        "echo 'cf_x.c:1:1: runtime error: signed integer overflow' >&2", NULL};
    cf_proc_child_t *child = cf_proc_spawn (proc, "script", false, argv);
    assert_int_equal (cf_proc_wait_exit (child, 5000), 0);
    assert_int_equal (cf_proc_finish (proc), -1);
}

static void
test_service_dying_unasked_fails_the_test (void **state)
{
    cf_proc_t *proc = *state;
    const char *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
    cf_proc_child_t *child = cf_proc_spawn (proc, "script", true, argv);
    assert_int_equal (cf_proc_wait_exit (child, 5000), 0);
    assert_int_equal (cf_proc_finish (proc), -1);
}

static void
test_service_ignoring_sigterm_is_killed (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_child_t *child = s_service (
        proc, "trap '' TERM; echo stubborn; while :; do sleep 0.05; done");
    pid_t pid = cf_proc_pid (child);
    int64_t started = zclock_mono ();
    assert_int_equal (cf_proc_finish (proc), -1);
    int64_t waited = zclock_mono () - started;
    assert_true (waited >= CF_PROC_STOP_MS);
    assert_true (waited < CF_PROC_STOP_MS + 3000);
    assert_int_equal (kill (pid, 0), -1);
    assert_int_equal (errno, ESRCH);
}

static void
test_destroy_leaves_nothing_behind (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_child_t *child = s_service (proc, S_CLEAN_SERVICE ("running"));
    pid_t pid = cf_proc_pid (child);
    char *dir = strdup (cf_proc_dir (proc));
    cf_proc_destroy (&proc);
    *state = NULL;
    assert_null (proc);
    assert_int_equal (kill (pid, 0), -1);
    assert_int_equal (errno, ESRCH);
    struct stat status;
    int gone = stat (dir, &status);
    free (dir);
    if (!getenv ("CERTFLOW_TEST_KEEP"))
        assert_int_equal (gone, -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_clean_services_pass, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_sanitizer_reports_fail_the_test,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_undefined_behaviour_fails_the_test, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_service_dying_unasked_fails_the_test, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_service_ignoring_sigterm_is_killed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_leaves_nothing_behind,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
