/*  =========================================================================
    test_dispatch - ready jobs go to the workers of their stage in turn

    A worker takes several jobs at once by default (its capacity), so that
    a stage does more than one job per round trip through the daemon's
    commit. Two workers of one stage then share the ready jobs: each job
    goes to the worker with the fewest offers open, rather than the first
    worker taking all it has room for while the other waits.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_proc.h"

//  How long each worker holds a job: the jobs stay in flight while the
//  cases are submitted, ms
#define S_HOLD_MS 2000

//  Cases submitted, one intake job each
#define S_CASES 4

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "dispatch");
}

static int
s_teardown (void **state)
{
    return cf_proc_teardown (state);
}

static void
test_workers_of_a_stage_share_its_jobs (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_child_t *daemon = cf_proc_daemon (proc, NULL);
    cf_proc_child_t *first =
        cf_proc_worker (proc, "intake-a", "intake", S_HOLD_MS);
    cf_proc_child_t *second =
        cf_proc_worker (proc, "intake-b", "intake", S_HOLD_MS);
    //  Both take more than one job at once by default
    assert_int_equal (cf_proc_wait_log (daemon, "capacity 8", 2, 5000), 0);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", "ORG-DISPATCH");
    for (int index = 0; index < S_CASES; index++)
        cf_proc_submit_example (proc, applicant);
    assert_int_equal (cf_proc_wait_log (daemon, "stage=intake leased to",
                                        S_CASES, CF_PROC_STATE_MS),
                      0);
    //  Each worker has room for all four; each got half
    assert_int_equal (cf_proc_log_count (daemon, "leased to intake-a"),
                      S_CASES / 2);
    assert_int_equal (cf_proc_log_count (daemon, "leased to intake-b"),
                      S_CASES / 2);
    //  And each did what it got
    assert_int_equal (cf_proc_wait_log (daemon,
                                        "worker=intake-a event=intake_passed",
                                        S_CASES / 2, CF_PROC_STATE_MS),
                      0);
    assert_int_equal (cf_proc_wait_log (daemon,
                                        "worker=intake-b event=intake_passed",
                                        S_CASES / 2, CF_PROC_STATE_MS),
                      0);
    (void)first;
    (void)second;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_workers_of_a_stage_share_its_jobs,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
