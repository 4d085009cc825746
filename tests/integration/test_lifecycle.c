/*  =========================================================================
    test_lifecycle - one case from application to certificate, through the
    real programs: certflowd, one certflow-worker per stage, and certflow
    for every person who acts

    Expected figures are worked by hand from the example files, as their
    own summaries show: the audit sheet scores 80.20 of 94.00 applicable
    points = 85.3, three-star, with one minor nonconformity open; the
    revised sheet scores 81.70 / 94.00 = 86.9, three-star, nothing open.
    The company has never held a certificate, so the star rule grants the
    best grade without stars: compliant.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_proc.h"

//  The applicant company's code: its consultancy's identity carries it
#define S_ORG "YUNXI"

//  The auditor with a declared conflict with the applicant company
#define S_CONFLICTED "AUD004"

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "lifecycle");
}

//  Checks that value is one of the names in set (NULL-terminated)
static void
s_assert_in (const char *value, const char *const set[])
{
    for (size_t index = 0; set[index]; index++)
        if (strcmp (value, set[index]) == 0)
            return;
    fail_msg ("'%s' is not one of the expected staff", value);
}

//  One step the history must show: the event and who fired it
typedef struct {
    const char *event;  //  Event name
    const char *role;   //  Principal's role, as --json prints it
    const char *name;   //  Principal's name
    const char *to;     //  State after it
    bool refused;       //  A refused attempt, recorded
} s_step_t;

static void
test_case_goes_from_application_to_certificate (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);

    //  Submitted; intake, review and contract are the workers'
    const char *case_id = cf_proc_submit_example (proc, applicant);
    const cf_proc_output_t *status =
        cf_proc_wait_state (proc, applicant, case_id, "contract_pending",
                            "/record/contract/number", CF_PROC_STATE_MS);
    assert_string_equal (cf_proc_json_string (status->json, "/record/org"),
                         S_ORG);
    assert_true (
        cf_proc_json_int (status->json, "/record/contract/fee_fen", 0) > 0);
    assert_true (cf_proc_json_int (status->json,
                                   "/record/contract/person_days_tenths",
                                   0) > 0);
    assert_int_equal (
        cf_proc_json_int (status->json, "/record/supplement_rounds", -1), 0);

    //  The applicant signs; planning picks an impartial team
    const cf_proc_output_t *signed_ =
        cf_proc_expect (proc, 0, applicant, "--json", "sign", case_id, NULL);
    assert_string_equal (cf_proc_state_of (signed_), "audit_planning");
    status = cf_proc_wait_state (proc, applicant, case_id, "onsite_audit",
                                 "/record/plan/leader", CF_PROC_STATE_MS);
    const char *leader =
        cf_proc_json_string (status->json, "/record/plan/leader");
    static const char *const auditors[] = {"AUD001", "AUD002", "AUD003", NULL};
    s_assert_in (leader, auditors);
    size_t members = cf_proc_json_length (status->json, "/record/plan/members");
    assert_true (members >= 1);  //  The scheme's team is at least two
    for (size_t index = 0; index < members; index++) {
        const char *member =
            cf_proc_json_nth (status->json, "/record/plan/members/%zu", index);
        s_assert_in (member, auditors);
        assert_string_not_equal (member, leader);
    }
    //  AUD004 is an active auditor of the sector: only its conflict with
    //  the company keeps it off the team
    const cf_proc_output_t *staff =
        cf_proc_expect (proc, 0, NULL, "--json", "staff", "list", NULL);
    assert_non_null (strstr (staff->out, "\"id\":\"" S_CONFLICTED "\""));
    assert_string_not_equal (leader, S_CONFLICTED);

    //  The audit lies two weeks ahead: a sheet filed now is refused by the
    //  daemon, whatever the sheet says
    const char *leader_cert = cf_proc_principal (proc, leader, "auditor", NULL);
    const char *first_day =
        cf_proc_json_string (status->json, "/record/plan/start_date");
    const char *last_day =
        cf_proc_json_string (status->json, "/record/plan/end_date");
    const cf_proc_output_t *early =
        cf_proc_expect (proc, 1, leader_cert, "scores", case_id,
                        cf_proc_source (proc, "examples/scores.json"),
                        "--audit-date", first_day, NULL);
    assert_non_null (strstr (early->err, "sheet.early"));

    //  After the audit the team leader files the sheet; one minor NC is open
    cf_proc_advance_to (proc, last_day);
    cf_proc_expect (proc, 0, leader_cert, "scores", case_id,
                    cf_proc_source (proc, "examples/scores.json"),
                    "--audit-date", last_day, NULL);
    status = cf_proc_wait_state (proc, applicant, case_id, "rectification",
                                 "/record/original/grade", CF_PROC_STATE_MS);
    json_object *record = status->json;
    assert_float_equal (
        cf_proc_json_double (record, "/record/original/score", 0), 85.3, 1e-9);
    assert_float_equal (
        cf_proc_json_double (record, "/record/original/applicable", 0), 94.0,
        1e-9);
    assert_float_equal (
        cf_proc_json_double (record, "/record/original/earned", 0), 80.2, 1e-9);
    assert_string_equal (cf_proc_json_string (record, "/record/original/grade"),
                         "three_star");
    assert_int_equal (
        cf_proc_json_int (record, "/record/original/open_nonconformities", -1),
        1);
    assert_string_equal (cf_proc_json_string (record, "/record/verifier"),
                         leader);
    assert_true (cf_proc_json_int (record, "/record/deadline_at", 0) > 0);

    //  First fixes: the verifier rejects them, back to rectification
    const char *fixes = cf_proc_source (proc, "examples/fixes.json");
    const cf_proc_output_t *fixed = cf_proc_expect (
        proc, 0, applicant, "--json", "rectify", case_id, fixes, NULL);
    assert_string_equal (cf_proc_state_of (fixed), "verification");
    assert_int_equal (
        cf_proc_json_int (fixed->json, "/record/rectification_rounds", -1), 1);
    const cf_proc_output_t *rejected = cf_proc_expect (
        proc, 0, leader_cert, "--json", "verify", case_id, "--reject",
        "training records for the installers are missing", NULL);
    assert_string_equal (cf_proc_state_of (rejected), "rectification");

    //  Second fixes: accepted with the revised sheet, NC-1 closed
    fixed = cf_proc_expect (proc, 0, applicant, "--json", "rectify", case_id,
                            fixes, NULL);
    assert_string_equal (cf_proc_state_of (fixed), "verification");
    assert_int_equal (
        cf_proc_json_int (fixed->json, "/record/rectification_rounds", -1), 2);
    const cf_proc_output_t *accepted = cf_proc_expect (
        proc, 0, leader_cert, "--json", "verify", case_id, "--accept",
        cf_proc_source (proc, "examples/scores-revised.json"), NULL);
    assert_string_equal (cf_proc_state_of (accepted), "committee_review");
    record = accepted->json;
    assert_float_equal (
        cf_proc_json_double (record, "/record/rescored/score", 0), 86.9, 1e-9);
    assert_string_equal (cf_proc_json_string (record, "/record/rescored/grade"),
                         "three_star");
    assert_int_equal (
        cf_proc_json_int (record, "/record/rescored/open_nonconformities", -1),
        0);
    assert_true (
        cf_proc_json (record, "/record/sheet/nonconformities/0/closed") &&
        json_object_get_boolean (
            cf_proc_json (record, "/record/sheet/nonconformities/0/closed")));
    //  The original score is kept beside the new one
    assert_float_equal (
        cf_proc_json_double (record, "/record/original/score", 0), 85.3, 1e-9);

    //  The committee worker forms the committee: 3 of COM001..COM004
    status = cf_proc_wait_state (proc, applicant, case_id, "committee_review",
                                 "/record/committee/members", CF_PROC_STATE_MS);
    assert_int_equal (
        cf_proc_json_length (status->json, "/record/committee/members"), 3);
    static const char *const committee[] = {"COM001", "COM002", "COM003",
                                            "COM004", NULL};
    const char *voters[3];
    for (size_t index = 0; index < 3; index++) {
        voters[index] = cf_proc_json_nth (
            status->json, "/record/committee/members/%zu", index);
        s_assert_in (voters[index], committee);
        for (size_t earlier = 0; earlier < index; earlier++)
            assert_string_not_equal (voters[earlier], voters[index]);
    }

    //  Every member votes grant. The committee worker would decide at the
    //  second grant and the third vote would find the case gone, so it is
    //  away while all three vote, and a new one tallies afterwards
    assert_int_equal (cf_proc_stop (cf_proc_find (proc, "worker-committee")),
                      0);
    for (size_t index = 0; index < 3; index++) {
        const char *cert =
            cf_proc_principal (proc, voters[index], "committee", NULL);
        const cf_proc_output_t *voted = cf_proc_expect (
            proc, 0, cert, "--json", "vote", case_id, "grant", "--reason",
            "scored three-star; NC-1 verified closed", NULL);
        assert_string_equal (cf_proc_state_of (voted), "committee_review");
        assert_int_equal (
            cf_proc_json_length (voted->json, "/record/committee/ballots"),
            index + 1);
    }
    cf_proc_worker (proc, "worker-committee", "committee", 0);
    status = cf_proc_wait_state (proc, applicant, case_id, "certified",
                                 "/record/certificate", CF_PROC_STATE_MS);
    assert_string_equal (cf_proc_json_string (status->json, "/record/decision"),
                         "grant");
    const char *decided =
        cf_proc_json_string (status->json, "/record/decision_date");
    const char *number =
        cf_proc_json_string (status->json, "/record/certificate");

    //  The service level: net of the signature and rectification waits,
    //  the time of each stage, and the histogram
    const char *svg = cf_proc_path (proc, "sla.svg");
    const cf_proc_output_t *sla =
        cf_proc_expect (proc, 0, NULL, "--json", "report", "sla", "--from",
                        decided, "--to", decided, "--svg", svg, NULL);
    assert_int_equal (cf_proc_json_int (sla->json, "/summary/count", 0), 1);
    assert_string_equal (cf_proc_json_string (sla->json, "/cases/0/case_id"),
                         case_id);
    int64_t accepted_at =
        cf_proc_json_int (status->json, "/record/accepted_at", 0);
    int64_t decided_at =
        cf_proc_json_int (status->json, "/record/decided_at", 0);
    int64_t waited =
        cf_proc_json_int (status->json, "/record/waiting_ms", 0) -
        cf_proc_json_int (status->json, "/record/waiting_at_acceptance", 0);
    assert_true (accepted_at > 0 && decided_at > accepted_at && waited > 0);
    assert_int_equal (cf_proc_json_int (sla->json, "/cases/0/net_ms", 0),
                      decided_at - accepted_at - waited);
    assert_true (
        cf_proc_json_int (sla->json, "/cases/0/stages_ms/onsite_audit", 0) > 0);
    assert_true (cf_proc_json_int (sla->json,
                                   "/cases/0/stages_ms/rectification", 0) > 0);
    char *picture = NULL;
    size_t picture_size = 0;
    FILE *file = fopen (svg, "r");
    assert_non_null (file);
    assert_int_equal (getdelim (&picture, &picture_size, '\0', file) > 0, 1);
    fclose (file);
    assert_non_null (strstr (picture, "<svg"));
    assert_non_null (strstr (picture, "target 15 days"));
    free (picture);
    const cf_proc_output_t *csv =
        cf_proc_expect (proc, 0, NULL, "report", "sla", "--from", decided,
                        "--to", decided, "--csv", NULL);
    assert_non_null (strstr (csv->out, "case_id,decision_date,net_days"));
    assert_non_null (strstr (csv->out, case_id));
    //  A tighter target makes it a breach, listed as such
    const cf_proc_output_t *tight =
        cf_proc_expect (proc, 0, NULL, "report", "sla", "--from", decided,
                        "--to", decided, "--target", "1", NULL);
    assert_non_null (strstr (tight->out, "BREACH"));
    assert_non_null (strstr (tight->out, "1 breach of the 1-day target"));

    //  The public register: valid, compliant, three years
    const cf_proc_output_t *check = cf_proc_expect (
        proc, 0, applicant, "certificate", "check", number, NULL);
    assert_non_null (strstr (check->out, "valid"));
    assert_non_null (strstr (check->out, "grade 达标级 compliant, score 86.9"));
    //  Why not three stars: the star rule, and when they become possible
    char rule[256];
    snprintf (rule, sizeof rule,
              "grade: 86.9 reaches 三星级 three-star; granted 达标级 "
              "compliant: stars come only after 12 months holding a "
              "compliant certificate (the star rule), possible from %d-",
              atoi (decided) + 1);
    assert_non_null (strstr (check->out, rule));
    //  The number as people write it
    char lowered[64];
    snprintf (lowered, sizeof lowered, "%.3s %s", number, number + 3);
    for (char *cursor = lowered; *cursor; cursor++)
        if (*cursor >= 'A' && *cursor <= 'Z')
            *cursor = (char)(*cursor - 'A' + 'a');
    cf_proc_expect (proc, 0, applicant, "certificate", "check", lowered, NULL);
    const cf_proc_output_t *shown_status =
        cf_proc_expect (proc, 0, applicant, "status", case_id, NULL);
    assert_non_null (strstr (shown_status->out, rule + strlen ("grade: ")));
    const cf_proc_output_t *document = cf_proc_expect (
        proc, 0, applicant, "certificate", "show", number, NULL);
    assert_non_null (strstr (document->out, rule));
    check = cf_proc_expect (proc, 0, applicant, "--json", "certificate",
                            "check", number, NULL);
    json_object *certificate = cf_proc_json (check->json, "/certificate");
    assert_non_null (certificate);
    assert_string_equal (cf_proc_json_string (certificate, "/status"),
                         "CERT_STATUS_VALID");
    assert_string_equal (cf_proc_json_string (certificate, "/number"), number);
    assert_string_equal (cf_proc_json_string (certificate, "/case_id"),
                         case_id);
    assert_string_equal (cf_proc_json_string (certificate, "/grade"),
                         "compliant");
    assert_string_equal (cf_proc_json_string (certificate, "/uscc"),
                         "91330110MA2J7R4N38");
    assert_string_equal (cf_proc_json_string (certificate, "/standard"),
                         "GB/T 27922-2011");
    assert_float_equal (cf_proc_json_double (certificate, "/score", 0), 86.9,
                        1e-9);
    const char *issued = cf_proc_json_string (certificate, "/issue_date");
    const char *expiry = cf_proc_json_string (certificate, "/expiry_date");
    assert_non_null (issued);
    assert_non_null (expiry);
    assert_true (strcmp (issued, decided) >= 0);
    int year, month, day;
    assert_int_equal (sscanf (issued, "%4d-%2d-%2d", &year, &month, &day), 3);
    char expected[48];
    snprintf (expected, sizeof expected, "%04d-%02d-%02d", year + 3, month,
              month == 2 && day == 29 ? 28 : day);
    assert_string_equal (expiry, expected);
    assert_non_null (strstr (check->out, expiry));

    //  The history shows every step, with who took it
    const s_step_t steps[] = {
        {"submit", "ROLE_APPLICANT", "yunxi", "STATE_SUBMITTED", false},
        {"intake_passed", "ROLE_WORKER", "worker-intake",
         "STATE_DOCUMENT_REVIEW", false},
        {"docs_accepted", "ROLE_WORKER", "worker-review",
         "STATE_CONTRACT_PENDING", false},
        {"contract_issued", "ROLE_WORKER", "worker-contract",
         "STATE_CONTRACT_PENDING", false},
        {"contract_signed", "ROLE_APPLICANT", "yunxi", "STATE_AUDIT_PLANNING",
         false},
        {"audit_planned", "ROLE_WORKER", "worker-planning",
         "STATE_ONSITE_AUDIT", false},
        {"sheet_submitted", "ROLE_AUDITOR", leader, "STATE_ONSITE_AUDIT", true},
        {"sheet_submitted", "ROLE_AUDITOR", leader, "STATE_ONSITE_AUDIT",
         false},
        {"scores_submitted", "ROLE_WORKER", "worker-scoring",
         "STATE_RECTIFICATION", false},
        {"fixes_submitted", "ROLE_APPLICANT", "yunxi", "STATE_VERIFICATION",
         false},
        {"fixes_rejected", "ROLE_AUDITOR", leader, "STATE_RECTIFICATION",
         false},
        {"fixes_submitted", "ROLE_APPLICANT", "yunxi", "STATE_VERIFICATION",
         false},
        {"fixes_accepted", "ROLE_AUDITOR", leader, "STATE_COMMITTEE_REVIEW",
         false},
        {"committee_formed", "ROLE_WORKER", "worker-committee",
         "STATE_COMMITTEE_REVIEW", false},
        {"vote", "ROLE_COMMITTEE", voters[0], "STATE_COMMITTEE_REVIEW", false},
        {"vote", "ROLE_COMMITTEE", voters[1], "STATE_COMMITTEE_REVIEW", false},
        {"vote", "ROLE_COMMITTEE", voters[2], "STATE_COMMITTEE_REVIEW", false},
        {"majority_grant", "ROLE_WORKER", "worker-committee", "STATE_ISSUANCE",
         false},
        {"certificate_issued", "ROLE_WORKER", "worker-issuance",
         "STATE_CERTIFIED", false},
    };
    size_t count = sizeof steps / sizeof steps[0];
    const cf_proc_output_t *history =
        cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    json_object *events = cf_proc_json (history->json, "/events/events");
    assert_int_equal (cf_proc_json_length (history->json, "/events/events"),
                      count);
    const char *before = "STATE_UNSPECIFIED";
    for (size_t index = 0; index < count; index++) {
        assert_string_equal (cf_proc_json_nth (events, "/%zu/event", index),
                             steps[index].event);
        assert_string_equal (
            cf_proc_json_nth (events, "/%zu/principal/role", index),
            steps[index].role);
        assert_string_equal (
            cf_proc_json_nth (events, "/%zu/principal/name", index),
            steps[index].name);
        assert_string_equal (cf_proc_json_nth (events, "/%zu/from", index),
                             before);
        assert_string_equal (cf_proc_json_nth (events, "/%zu/to", index),
                             steps[index].to);
        const char *refused = cf_proc_json_nth (events, "/%zu/refused", index);
        assert_int_equal (refused && *refused, steps[index].refused);
        assert_string_equal (cf_proc_json_nth (events, "/%zu/case_id", index),
                             case_id);
        before = steps[index].to;
    }
    //  The people's view lists the same steps, one line each, in order,
    //  each naming who took it
    const cf_proc_output_t *shown =
        cf_proc_expect (proc, 0, NULL, "history", case_id, NULL);
    const char *line = shown->out;
    for (size_t index = 0; index < count; index++) {
        const char *end = strchr (line, '\n');
        assert_non_null (end);
        char *text = strndup (line, (size_t)(end - line));
        char who[64];
        snprintf (who, sizeof who, "  %s(", steps[index].name);
        bool named = strstr (text, steps[index].event) && strstr (text, who);
        if (!named)
            printf ("history line %zu: %s\n", index + 1, text);
        free (text);
        assert_true (named);
        line = end + 1;
    }
    //  Then the scores, and why the grade is what it is
    assert_int_equal (strncmp (line, "score         85.3 ", 19), 0);
    line = strchr (line, '\n') + 1;
    assert_int_equal (strncmp (line, "rescored      86.9 三星级 three-star",
                               strlen ("rescored      86.9 三星级 three-star")),
                      0);
    line = strchr (line, '\n') + 1;
    assert_int_equal (strncmp (line, rule, strlen (rule)), 0);
    line = strchr (line, '\n');
    assert_non_null (line);
    assert_string_equal (line + 1, "");

    //  The certificate's own life: suspended on a confirmed trigger (the
    //  register says so), refused to another consultancy, restored with the
    //  evidence, then suspended by its timer when its first surveillance
    //  visit was not made by the end of its due day
    char today[11];
    cf_date_format (cf_date_from_ms (cf_proc_json_int (check->json, "/now", 0)),
                    today);
    const cf_proc_output_t *suspended = cf_proc_expect (
        proc, 0, NULL, "--json", "certificate", "suspend", number, "--trigger",
        "misuse", "--trigger-date", today, "--reason",
        "certification mark on an uncertified product line", NULL);
    assert_string_equal (
        cf_proc_json_string (suspended->json, "/certificate/status"),
        "CERT_STATUS_SUSPENDED");
    check = cf_proc_expect (proc, 1, applicant, "certificate", "check", number,
                            NULL);
    assert_non_null (strstr (check->out, "suspended"));
    const char *rival =
        cf_proc_principal (proc, "rival", "applicant", "RIVAL-CONSULTING");
    const cf_proc_output_t *refused =
        cf_proc_expect (proc, 1, rival, "--json", "certificate", "cancel",
                        number, "--reason", "we say so", NULL);
    assert_string_equal (cf_proc_json_string (refused->json, "/status"),
                         "STATUS_NOT_FOUND");
    cf_proc_expect (proc, 0, NULL, "certificate", "restore", number, "--reason",
                    "marking withdrawn from the product line", NULL);
    cf_proc_expect (proc, 0, applicant, "certificate", "check", number, NULL);
    //  No visit is made: the end of its due day suspends the certificate
    check = cf_proc_expect (proc, 0, applicant, "--json", "certificate",
                            "check", number, NULL);
    const char *due =
        cf_proc_json_string (check->json, "/certificate/visits/0/due");
    assert_non_null (due);
    char *visit_due = strdup (due);
    cf_day_t due_day;
    assert_int_equal (cf_date_parse (visit_due, &due_day), 0);
    char after[11];
    cf_proc_advance_to (proc, cf_date_format (due_day + 1, after));
    bool missed = false;
    for (int attempt = 0; attempt < 100 && !missed; attempt++) {
        history = cf_proc_expect (proc, 0, NULL, "history", case_id, NULL);
        missed = strstr (history->out, "surveillance_missed") != NULL;
        if (!missed)
            usleep (50 * 1000);
    }
    assert_true (missed);
    check = cf_proc_expect (proc, 1, NULL, "--json", "certificate", "check",
                            number, NULL);
    assert_string_equal (
        cf_proc_json_string (check->json, "/certificate/status"),
        "CERT_STATUS_SUSPENDED");
    assert_string_equal (
        cf_proc_json_string (check->json, "/certificate/suspension/trigger"),
        "missed_surveillance");
    assert_string_equal (
        cf_proc_json_string (check->json, "/certificate/status_date"),
        visit_due);
    assert_true (json_object_get_boolean (
        cf_proc_json (check->json, "/certificate/visits/0/missed")));
    free (visit_due);

    //  A clean stop, then the store's chain and indexes check out
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    const cf_proc_output_t *verified = cf_proc_verify (proc);
    assert_int_equal (verified->status, 0);
    assert_non_null (strstr (verified->out, "verified"));
    //  The store holds the scheme the case ran under
    const char *argv[] = {CF_BIN_DIR "/certflowd", "--data",
                          cf_proc_data (proc), "schemes", NULL};
    const cf_proc_output_t *schemes = cf_proc_collect (
        proc, cf_proc_spawn (proc, "schemes", false, argv), CF_PROC_STATE_MS);
    assert_int_equal (schemes->status, 0);
    assert_string_equal (schemes->out, "CF-SC-27922-2026.1\n");
}

//  Drives a new case of the example company to certified and returns the
//  grade on its certificate. The company's live certificate, if any, is
//  cancelled first: it could not apply again for the same scope.
static const char *
s_certified_grade (cf_proc_t *proc, const char *applicant)
{
    const cf_proc_output_t *held =
        cf_proc_expect (proc, 0, applicant, "--json", "certificates",
                        "--status", "valid", NULL);
    const char *live =
        cf_proc_json_string (held->json, "/certificates/certificates/0/number");
    if (live)
        cf_proc_expect (proc, 0, applicant, "certificate", "cancel", live,
                        "--reason", "the company ends it to apply anew", NULL);
    const char *case_id = cf_proc_submit_example (proc, applicant);
    cf_proc_drive (proc, applicant, case_id, "certified", CF_PROC_STATE_MS);
    const cf_proc_output_t *status =
        cf_proc_wait_state (proc, applicant, case_id, "certified",
                            "/record/certificate", CF_PROC_STATE_MS);
    const char *number =
        cf_proc_json_string (status->json, "/record/certificate");
    const cf_proc_output_t *check = cf_proc_expect (
        proc, 0, applicant, "--json", "certificate", "check", number, NULL);
    return cf_proc_json_string (check->json, "/certificate/grade");
}

//  Stars come 12 months after the company (by its credit code) first held
//  a certificate: the store keeps that date across its cases
static void
test_stars_wait_twelve_months_from_the_first_certificate (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    //  The example scores three-star; the company never held a certificate
    assert_string_equal (s_certified_grade (proc, applicant), "compliant");
    const cf_proc_output_t *page = cf_proc_expect (
        proc, 0, applicant, "--json", "list", "--state", "certified", NULL);
    const char *first_case =
        cf_proc_json_string (page->json, "/page/cases/0/id");
    const cf_proc_output_t *first = cf_proc_expect (
        proc, 0, applicant, "--json", "status", first_case, NULL);
    cf_day_t held;
    assert_int_equal (
        cf_date_parse (
            cf_proc_json_string (first->json, "/record/decision_date"), &held),
        0);
    //  A case decided within 11 months of it: still compliant
    char day[11];
    cf_proc_advance_to (
        proc, cf_date_format (cf_date_add_months (held, 11) - 20, day));
    assert_string_equal (s_certified_grade (proc, applicant), "compliant");
    //  A case decided after 12 months: three stars
    cf_proc_advance_to (proc,
                        cf_date_format (cf_date_add_months (held, 12), day));
    assert_string_equal (s_certified_grade (proc, applicant), "three_star");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_case_goes_from_application_to_certificate, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_stars_wait_twelve_months_from_the_first_certificate, s_setup,
            cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
