/*  =========================================================================
    test_loops - the ways a case loops back or ends early, through the real
    programs: the supplement loop, refusals at intake, at document review
    and by the committee, withdrawal, and an applicant deadline that runs
    out
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

#define S_ORG "YUNXI"

//  One day, ms
#define S_DAY_MS ((int64_t)86400000)

//  The scheme's time for supplements, days (examples/scheme.json)
#define S_SUPPLEMENT_DAYS 30

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "loops");
}

//  Returns the example application as a document to change
static json_object *
s_application (cf_proc_t *proc)
{
    return cf_proc_json_load (
        proc, cf_proc_source (proc, "examples/application.json"));
}

//  Writes the example application without material code; returns its path
static const char *
s_application_without (cf_proc_t *proc, const char *code)
{
    json_object *application = s_application (proc);
    json_object *materials = cf_proc_json (application, "/materials");
    size_t count = json_object_array_length (materials);
    for (size_t index = 0; index < count; index++) {
        json_object *material = json_object_array_get_idx (materials, index);
        if (strcmp (cf_proc_json_string (material, "/code"), code) == 0) {
            json_object_array_del_idx (materials, index, 1);
            char name[64];
            snprintf (name, sizeof name, "application-without-%s.json", code);
            return cf_proc_json_save (proc, application, name);
        }
    }
    fail_msg ("the example application has no material %s", code);
    return NULL;
}

//  Returns the events of the case's history, as the admin sees them
static json_object *
s_history (cf_proc_t *proc, const char *case_id, size_t *count)
{
    const cf_proc_output_t *history =
        cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    *count = cf_proc_json_length (history->json, "/events/events");
    return cf_proc_json (history->json, "/events/events");
}

//  Checks the events of the case's history that were not refused, by name
static void
s_assert_events (cf_proc_t *proc, const char *case_id,
                 const char *const expected[])
{
    size_t count;
    json_object *events = s_history (proc, case_id, &count);
    size_t matched = 0;
    for (size_t index = 0; index < count; index++) {
        if (*cf_proc_json_nth (events, "/%zu/refused", index))
            continue;
        const char *event = cf_proc_json_nth (events, "/%zu/event", index);
        if (!expected[matched])
            fail_msg ("unexpected event %s after the last one expected", event);
        assert_string_equal (event, expected[matched]);
        matched++;
    }
    if (expected[matched])
        fail_msg ("event %s is missing from the history", expected[matched]);
}

//  True when a finding of the case names item
static bool
s_finding (json_object *status, const char *item)
{
    size_t count = cf_proc_json_length (status, "/record/findings");
    for (size_t index = 0; index < count; index++)
        if (strcmp (
                cf_proc_json_nth (status, "/record/findings/%zu/item", index),
                item) == 0)
            return true;
    return false;
}

static void
test_missing_material_loops_through_a_supplement (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    cf_proc_worker (proc, "worker-intake", "intake", 0);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);

    const char *case_id =
        cf_proc_submit (proc, applicant, s_application_without (proc, "M07"));
    const cf_proc_output_t *status =
        cf_proc_wait_state (proc, applicant, case_id, "supplement_requested",
                            NULL, CF_PROC_STATE_MS);
    assert_true (s_finding (status->json, "M07"));
    assert_int_equal (
        cf_proc_json_int (status->json, "/record/supplement_rounds", -1), 1);
    //  The applicant has the scheme's 30 days from the request
    int64_t requested =
        cf_proc_json_int (status->json, "/record/updated_at", 0);
    assert_int_equal (cf_proc_json_int (status->json, "/record/deadline_at", 0),
                      requested + S_SUPPLEMENT_DAYS * S_DAY_MS);

    const cf_proc_output_t *supplemented = cf_proc_expect (
        proc, 0, applicant, "--json", "supplement", case_id,
        cf_proc_source (proc, "examples/application.json"), NULL);
    assert_string_equal (cf_proc_state_of (supplemented), "submitted");
    assert_int_equal (
        cf_proc_json_length (supplemented->json, "/record/findings"), 0);
    status = cf_proc_wait_state (proc, applicant, case_id, "document_review",
                                 NULL, CF_PROC_STATE_MS);
    assert_int_equal (
        cf_proc_json_int (status->json, "/record/deadline_at", -1), 0);
    static const char *const events[] = {"submit", "intake_incomplete",
                                         "supplemented", "intake_passed", NULL};
    s_assert_events (proc, case_id, events);
}

static void
test_ineligible_applicant_is_rejected_at_intake (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    cf_proc_worker (proc, "worker-intake", "intake", 0);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    json_object *application = s_application (proc);
    json_object_object_add (application, "lawful_operation",
                            json_object_new_boolean (0));
    const char *case_id = cf_proc_submit (
        proc, applicant,
        cf_proc_json_save (proc, application, "application-unlawful.json"));

    const cf_proc_output_t *status = cf_proc_wait_state (
        proc, applicant, case_id, "rejected", NULL, CF_PROC_STATE_MS);
    const char *reason =
        cf_proc_json_string (status->json, "/record/closing_reason");
    assert_non_null (reason);
    assert_non_null (strstr (reason, "lawful"));
    assert_true (cf_proc_json_length (status->json, "/record/findings") >= 1);
    static const char *const events[] = {"submit", "intake_ineligible", NULL};
    s_assert_events (proc, case_id, events);
    //  Rejected is the end: the applicant cannot supplement its way back
    const cf_proc_output_t *again = cf_proc_expect (
        proc, 1, applicant, "--json", "supplement", case_id,
        cf_proc_source (proc, "examples/application.json"), NULL);
    assert_string_equal (cf_proc_json_string (again->json, "/status"),
                         "STATUS_REFUSED");
    assert_string_equal (cf_proc_json_string (again->json, "/error"),
                         "CF_ENOTRANSITION");
}

static void
test_reviewer_refuses_at_document_review (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    cf_proc_staff (proc);
    //  No review worker: the reviewer decides this one
    cf_proc_worker (proc, "worker-intake", "intake", 0);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    const char *reviewer = cf_proc_principal (proc, "REV001", "reviewer", NULL);
    const char *case_id = cf_proc_submit_example (proc, applicant);
    cf_proc_wait_state (proc, applicant, case_id, "document_review", NULL,
                        CF_PROC_STATE_MS);

    //  An applicant may not judge its own documents
    const cf_proc_output_t *own = cf_proc_expect (
        proc, 1, applicant, "--json", "review", case_id, "accept", NULL);
    assert_string_equal (cf_proc_json_string (own->json, "/status"),
                         "STATUS_FORBIDDEN");

    const char *why = "M10 describes the after-sales system of another company";
    const cf_proc_output_t *refused =
        cf_proc_expect (proc, 0, reviewer, "--json", "review", case_id,
                        "ineligible", "--reason", why, NULL);
    assert_string_equal (cf_proc_state_of (refused), "rejected");
    assert_string_equal (
        cf_proc_json_string (refused->json, "/record/closing_reason"), why);

    size_t count;
    json_object *events = s_history (proc, case_id, &count);
    assert_true (count >= 3);
    assert_string_equal (cf_proc_json_nth (events, "/%zu/event", count - 1),
                         "docs_ineligible");
    assert_string_equal (
        cf_proc_json_nth (events, "/%zu/principal/name", count - 1), "REV001");
    assert_string_equal (
        cf_proc_json_nth (events, "/%zu/principal/role", count - 1),
        "ROLE_REVIEWER");
    assert_string_equal (
        cf_proc_json_nth (events, "/%zu/data/reason", count - 1), why);
    //  The applicant's attempt is on the record, refused
    assert_string_equal (cf_proc_json_nth (events, "/%zu/event", count - 2),
                         "docs_accepted");
    assert_non_null (strstr (
        cf_proc_json_nth (events, "/%zu/refused", count - 2), "CF_EFORBIDDEN"));
    static const char *const expected[] = {"submit", "intake_passed",
                                           "docs_ineligible", NULL};
    s_assert_events (proc, case_id, expected);
}

static void
test_committee_majority_refuses (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    const char *case_id = cf_proc_submit_example (proc, applicant);
    const cf_proc_output_t *status =
        cf_proc_to_committee (proc, applicant, case_id, applicant);
    const char *members[3];
    for (size_t index = 0; index < 3; index++)
        members[index] = cf_proc_json_nth (
            status->json, "/record/committee/members/%zu", index);

    //  Two refusals of three are a majority: the committee worker decides
    for (size_t index = 0; index < 2; index++) {
        const char *member =
            cf_proc_principal (proc, members[index], "committee", NULL);
        cf_proc_expect (proc, 0, member, "vote", case_id, "refuse", "--reason",
                        "the complaint records of 2025 were not shown", NULL);
    }
    status = cf_proc_wait_state (proc, applicant, case_id, "not_approved", NULL,
                                 CF_PROC_STATE_MS);
    assert_string_equal (cf_proc_json_string (status->json, "/record/decision"),
                         "refuse");
    assert_non_null (
        strstr (cf_proc_json_string (status->json, "/record/closing_reason"),
                "refused"));
    const char *certificate =
        cf_proc_json_string (status->json, "/record/certificate");
    assert_true (!certificate || !*certificate);

    //  The third member is too late: the case has ended
    const char *late = cf_proc_principal (proc, members[2], "committee", NULL);
    const cf_proc_output_t *refused =
        cf_proc_expect (proc, 1, late, "--json", "vote", case_id, "grant",
                        "--reason", "late", NULL);
    assert_string_equal (cf_proc_json_string (refused->json, "/status"),
                         "STATUS_REFUSED");
    static const char *const events[] = {"submit",
                                         "intake_passed",
                                         "docs_accepted",
                                         "contract_issued",
                                         "contract_signed",
                                         "audit_planned",
                                         "sheet_submitted",
                                         "scores_submitted",
                                         "fixes_submitted",
                                         "fixes_accepted",
                                         "committee_formed",
                                         "vote",
                                         "vote",
                                         "majority_refuse",
                                         NULL};
    s_assert_events (proc, case_id, events);
    size_t count;
    json_object *history = s_history (proc, case_id, &count);
    assert_string_equal (
        cf_proc_json_nth (history, "/%zu/principal/name", count - 1),
        members[2]);
    assert_non_null (
        strstr (cf_proc_json_nth (history, "/%zu/refused", count - 1),
                "CF_ENOTRANSITION"));
}

static void
test_applicant_withdraws_with_a_reason (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    cf_proc_front_office (proc);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    const char *case_id = cf_proc_submit_example (proc, applicant);
    cf_proc_wait_state (proc, applicant, case_id, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);

    //  A withdrawal without its reason is not even sent
    cf_proc_expect (proc, 2, applicant, "withdraw", case_id, NULL);
    const char *why = "the company is being merged into its parent group";
    const cf_proc_output_t *withdrawn =
        cf_proc_expect (proc, 0, applicant, "--json", "withdraw", case_id,
                        "--reason", why, NULL);
    assert_string_equal (cf_proc_state_of (withdrawn), "withdrawn");
    assert_string_equal (
        cf_proc_json_string (withdrawn->json, "/record/closing_reason"), why);
    //  Withdrawn is the end: signing now is refused and recorded
    const cf_proc_output_t *sign =
        cf_proc_expect (proc, 1, applicant, "--json", "sign", case_id, NULL);
    assert_string_equal (cf_proc_json_string (sign->json, "/error"),
                         "CF_ENOTRANSITION");

    size_t count;
    json_object *events = s_history (proc, case_id, &count);
    assert_true (count >= 2);
    assert_string_equal (cf_proc_json_nth (events, "/%zu/event", count - 2),
                         "withdraw");
    assert_string_equal (
        cf_proc_json_nth (events, "/%zu/data/reason", count - 2), why);
    assert_string_equal (
        cf_proc_json_nth (events, "/%zu/principal/role", count - 2),
        "ROLE_APPLICANT");
    assert_string_equal (cf_proc_json_nth (events, "/%zu/from", count - 2),
                         "STATE_CONTRACT_PENDING");
    assert_string_equal (cf_proc_json_nth (events, "/%zu/event", count - 1),
                         "contract_signed");
    assert_non_null (
        strstr (cf_proc_json_nth (events, "/%zu/refused", count - 1),
                "CF_ENOTRANSITION"));
    static const char *const expected[] = {"submit",        "intake_passed",
                                           "docs_accepted", "contract_issued",
                                           "withdraw",      NULL};
    s_assert_events (proc, case_id, expected);
}

static void
test_supplement_deadline_runs_out (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    cf_proc_child_t *intake =
        cf_proc_worker (proc, "worker-intake", "intake", 0);
    const char *applicant =
        cf_proc_principal (proc, "yunxi", "applicant", S_ORG);
    const char *case_id =
        cf_proc_submit (proc, applicant, s_application_without (proc, "M07"));
    cf_proc_wait_state (proc, applicant, case_id, "supplement_requested", NULL,
                        CF_PROC_STATE_MS);
    assert_int_equal (cf_proc_stop (intake), 0);

    //  29 days on, the deadline is still ahead
    char offset[32];
    snprintf (offset, sizeof offset, "%lld", (long long)(29 * S_DAY_MS));
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    const char *const early[] = {"--clock-offset-ms", offset, NULL};
    cf_proc_daemon (proc, early);
    const cf_proc_output_t *status =
        cf_proc_expect (proc, 0, applicant, "--json", "status", case_id, NULL);
    assert_string_equal (cf_proc_state_of (status), "supplement_requested");

    //  31 days on, it has passed: the daemon's timer closes the case
    snprintf (offset, sizeof offset, "%lld", (long long)(31 * S_DAY_MS));
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    const char *const late[] = {"--clock-offset-ms", offset, NULL};
    cf_proc_daemon (proc, late);
    status = cf_proc_wait_state (proc, applicant, case_id, "closed", NULL,
                                 CF_PROC_STATE_MS);
    assert_non_null (
        strstr (cf_proc_json_string (status->json, "/record/closing_reason"),
                "deadline"));
    size_t count;
    json_object *events = s_history (proc, case_id, &count);
    assert_string_equal (cf_proc_json_nth (events, "/%zu/event", count - 1),
                         "deadline_passed");
    assert_string_equal (
        cf_proc_json_nth (events, "/%zu/principal/role", count - 1),
        "ROLE_SYSTEM");
    assert_string_equal (cf_proc_json_nth (events, "/%zu/from", count - 1),
                         "STATE_SUPPLEMENT_REQUESTED");
    assert_string_equal (cf_proc_json_nth (events, "/%zu/to", count - 1),
                         "STATE_CLOSED");
    static const char *const expected[] = {"submit", "intake_incomplete",
                                           "deadline_passed", NULL};
    s_assert_events (proc, case_id, expected);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_missing_material_loops_through_a_supplement, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_ineligible_applicant_is_rejected_at_intake, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_reviewer_refuses_at_document_review, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_committee_majority_refuses,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_applicant_withdraws_with_a_reason,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_supplement_deadline_runs_out,
                                         s_setup, cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
