/*  =========================================================================
    test_certificate_life - the three years after issuance, through the real
    programs, with the daemon's clock let pass: surveillance visits made,
    missed and made late, a suspension that runs out, the holder's
    cancellation, reissues by decision and by a visit that changes the
    grade, expiry, and a SIGKILL while the expiry timer fires; a second
    application refused and a recertification that takes over at expiry.

    The example sheets score 85.3 on site (one minor nonconformity) and
    86.9 once fixed: three-star, granted as compliant to a company that has
    held a certificate for less than 12 months. The low sheet below scores
    71.7 / 94.00 = 76.3: compliant whatever the star rule says.
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

#define S_ORG "YUNXI"

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "certlife");
}

//  Drives a new case of the example company to certified; returns the
//  certificate number (kept by the harness)
static const char *
s_certify (cf_proc_t *proc, const char *applicant)
{
    const char *case_id = cf_proc_submit_example (proc, applicant);
    cf_proc_drive (proc, applicant, case_id, "certified", CF_PROC_STATE_MS);
    const cf_proc_output_t *status =
        cf_proc_wait_state (proc, applicant, case_id, "certified",
                            "/record/certificate", CF_PROC_STATE_MS);
    return cf_proc_json_string (status->json, "/record/certificate");
}

//  The certificate as `certificate check --json` shows it (exit 0 or 1)
static json_object *
s_check (cf_proc_t *proc, const char *number)
{
    const cf_proc_output_t *check = cf_proc_certflow (
        proc, NULL, "--json", "certificate", "check", number, NULL);
    assert_true (check->status == 0 || check->status == 1);
    json_object *cert = cf_proc_json (check->json, "/certificate");
    assert_non_null (cert);
    return cert;
}

static const char *
s_field (cf_proc_t *proc, const char *number, const char *pointer)
{
    const char *value = cf_proc_json_string (s_check (proc, number), pointer);
    return value ? value : "";
}

//  Waits until the certificate's status is status (a CertStatus name)
static void
s_wait_status (cf_proc_t *proc, const char *number, const char *status)
{
    const char *now = "";
    for (int attempt = 0; attempt < 200; attempt++) {
        now = s_field (proc, number, "/status");
        if (strcmp (now, status) == 0)
            return;
        usleep (50 * 1000);
    }
    fail_msg ("certificate %s is %s, not %s", number, now, status);
}

//  Opens the certificate's next visit and drives it to its end state
static const char *
s_visit (cf_proc_t *proc, const char *applicant, const char *number,
         const char *end)
{
    const cf_proc_output_t *opened = cf_proc_expect (
        proc, 0, NULL, "--json", "surveillance", "open", number, NULL);
    const char *visit = cf_proc_json_string (opened->json, "/record/id");
    assert_non_null (visit);
    assert_string_equal (cf_proc_json_string (opened->json, "/record/kind"),
                         "CASE_KIND_SURVEILLANCE");
    assert_string_equal (cf_proc_json_string (opened->json, "/record/state"),
                         "STATE_AUDIT_PLANNING");
    cf_proc_drive (proc, applicant, visit, end, CF_PROC_STATE_MS);
    return visit;
}

//  The day after date into text, for letting a due day run out
static const char *
s_day_after (const char *date, char text[11])
{
    cf_day_t day;
    assert_int_equal (cf_date_parse (date, &day), 0);
    return cf_date_format (day + 1, text);
}

//  Writes the low sheet (76.3, compliant) and returns its path
static const char *
s_low_sheet (cf_proc_t *proc)
{
    json_object *sheet = cf_proc_json_load (
        proc, cf_proc_source (proc, "examples/scores-revised.json"));
    json_object *items = cf_proc_json (sheet, "/items");
    for (size_t index = 0; index < json_object_array_length (items); index++) {
        json_object *item = json_object_array_get_idx (items, index);
        const char *code =
            json_object_get_string (json_object_object_get (item, "code"));
        if (strcmp (code, "C1") == 0 || strcmp (code, "C2") == 0)
            json_object_object_add (item, "earned",
                                    json_object_new_double (3.5));
    }
    return cf_proc_json_save (proc, sheet, "scores-low.json");
}

//  The certification body renews its staff's qualifications until 2031
static void
s_renew_staff (cf_proc_t *proc)
{
    const char *staff[] = {"AUD001", "AUD002", "AUD003", "AUD004", "COM001",
                           "COM002", "COM003", "COM004", "REV001"};
    for (size_t index = 0; index < sizeof staff / sizeof *staff; index++) {
        char name[64];
        snprintf (name, sizeof name, "examples/staff/%s.json", staff[index]);
        json_object *record =
            cf_proc_json_load (proc, cf_proc_source (proc, name));
        json_object_object_add (record, "qualified_until",
                                json_object_new_string ("2031-12-31"));
        snprintf (name, sizeof name, "%s-renewed.json", staff[index]);
        cf_proc_expect (proc, 0, NULL, "staff", "put",
                        cf_proc_json_save (proc, record, name), NULL);
    }
}

static size_t
s_count (cf_proc_t *proc, const char *case_id, const char *event)
{
    const cf_proc_output_t *history =
        cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    return cf_proc_count_event (history->json, event);
}

//  Two visits (the second missed, then made late, which restores the
//  certificate), then expiry; the daemon is killed as the expiry timer
//  fires, and the expiry is recorded once
static void
test_two_visits_a_missed_one_and_expiry (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    const char *number = s_certify (proc, applicant);
    char day[11];
    json_object *cert = s_check (proc, number);
    assert_int_equal (cf_proc_json_length (cert, "/visits"), 2);
    char *case_id = strdup (cf_proc_json_string (cert, "/case_id"));
    char *second_due = strdup (cf_proc_json_string (cert, "/visits/1/due"));
    char *expiry = strdup (cf_proc_json_string (cert, "/expiry_date"));
    //  Both visits and the expiry are within the next 3 years and a bit
    const cf_proc_output_t *due =
        cf_proc_expect (proc, 0, NULL, "certificates", "--due", "1200d", NULL);
    assert_non_null (strstr (due->out, number));
    due = cf_proc_expect (proc, 0, NULL, "--json", "certificates", "--due",
                          "30d", NULL);
    assert_int_equal (
        cf_proc_json_length (due->json, "/certificates/certificates"), 0);
    cf_proc_set_revised_sheet (proc, s_low_sheet (proc));

    //  Visit 1, made early: maintained; a second one cannot open meanwhile
    const cf_proc_output_t *opened = cf_proc_expect (
        proc, 0, NULL, "--json", "surveillance", "open", number, NULL);
    const char *visit = cf_proc_json_string (opened->json, "/record/id");
    const cf_proc_output_t *again = cf_proc_expect (
        proc, 1, NULL, "--json", "surveillance", "open", number, NULL);
    assert_non_null (
        strstr (cf_proc_json_string (again->json, "/message"), "under way"));
    cf_proc_drive (proc, applicant, visit, "maintained", CF_PROC_STATE_MS);
    s_wait_status (proc, number, "CERT_STATUS_VALID");
    assert_string_equal (s_field (proc, number, "/visits/0/outcome"),
                         "maintained");
    assert_string_equal (s_field (proc, number, "/visits/0/case_id"), visit);
    assert_int_equal (s_count (proc, case_id, "surveillance_passed"), 1);

    //  Visit 2 is not made by its due date: suspended the next day
    s_renew_staff (proc);
    cf_proc_advance_to (proc, s_day_after (second_due, day));
    s_wait_status (proc, number, "CERT_STATUS_SUSPENDED");
    assert_string_equal (s_field (proc, number, "/suspension/trigger"),
                         "missed_surveillance");
    assert_int_equal (s_count (proc, case_id, "surveillance_missed"), 1);
    //  Made late, it lifts the suspension it caused
    s_visit (proc, applicant, number, "maintained");
    s_wait_status (proc, number, "CERT_STATUS_VALID");
    cert = s_check (proc, number);
    assert_null (cf_proc_json (cert, "/suspension"));
    assert_string_equal (cf_proc_json_string (cert, "/visits/1/outcome"),
                         "maintained");
    assert_true (
        json_object_get_boolean (cf_proc_json (cert, "/visits/1/missed")));
    //  No visit is left
    const cf_proc_output_t *none = cf_proc_expect (
        proc, 1, NULL, "--json", "surveillance", "open", number, NULL);
    assert_non_null (
        strstr (cf_proc_json_string (none->json, "/message"), "all its"));

    //  Expiry: the daemon is killed as soon as it answers after the expiry
    //  day, three times; the expiry is recorded once
    cf_proc_advance_to (proc, s_day_after (expiry, day));
    for (int kill = 0; kill < 3; kill++) {
        cf_proc_kill (cf_proc_current_daemon (proc));
        cf_proc_daemon (proc, NULL);
    }
    s_wait_status (proc, number, "CERT_STATUS_EXPIRED");
    assert_string_equal (s_field (proc, number, "/status_date"), expiry);
    assert_int_equal (s_count (proc, case_id, "certificate_expired"), 1);
    //  The reminders came once each: visit 2 (visit 1 was opened before
    //  its own) and the renewal
    assert_int_equal (s_count (proc, case_id, "surveillance_due"), 1);
    assert_int_equal (s_count (proc, case_id, "renewal_due"), 1);
    //  The certificate's history: issued, two visits, missed, expired
    const cf_proc_output_t *history = cf_proc_expect (
        proc, 0, NULL, "--json", "certificate", "history", number, NULL);
    assert_int_equal (cf_proc_count_event (history->json, "certificate_issued"),
                      1);
    assert_int_equal (
        cf_proc_count_event (history->json, "surveillance_passed"), 2);
    assert_int_equal (
        cf_proc_count_event (history->json, "certificate_expired"), 1);
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    assert_int_equal (cf_proc_verify (proc)->status, 0);
    free (case_id);
    free (second_due);
    free (expiry);
}

//  A missed visit's suspension runs out into withdrawal; another
//  organization is refused on every certificate command; the holder
//  cancels
static void
test_a_suspension_runs_out_and_the_holder_cancels (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    const char *number = s_certify (proc, applicant);
    char day[11];
    char *first_due = strdup (s_field (proc, number, "/visits/0/due"));
    //  A visit is opened but not made in time
    const cf_proc_output_t *opened = cf_proc_expect (
        proc, 0, NULL, "--json", "surveillance", "open", number, NULL);
    const char *late = cf_proc_json_string (opened->json, "/record/id");
    cf_proc_advance_to (proc, s_day_after (first_due, day));
    s_wait_status (proc, number, "CERT_STATUS_SUSPENDED");
    char *until = strdup (s_field (proc, number, "/suspension/until"));
    cf_proc_advance_to (proc, s_day_after (until, day));
    s_wait_status (proc, number, "CERT_STATUS_WITHDRAWN");
    assert_string_equal (s_field (proc, number, "/status_date"), until);
    //  The register answers for any day from the certificate's history
    char *issued = strdup (s_field (proc, number, "/issue_date"));
    cf_day_t first;
    assert_int_equal (cf_date_parse (issued, &first), 0);
    char before[11];
    const cf_proc_output_t *on =
        cf_proc_expect (proc, 1, NULL, "--json", "certificate", "check", number,
                        "--on", cf_date_format (first - 1, before), NULL);
    assert_string_equal (cf_proc_json_string (on->json, "/status"),
                         "STATUS_NOT_FOUND");
    const struct {
        const char *day, *status;
    } register_on[] = {{issued, "CERT_STATUS_VALID"},
                       {first_due, "CERT_STATUS_VALID"},
                       {s_day_after (first_due, day), "CERT_STATUS_SUSPENDED"},
                       {until, "CERT_STATUS_SUSPENDED"}};
    for (size_t index = 0; index < 4; index++) {
        on = cf_proc_certflow (proc, NULL, "--json", "certificate", "check",
                               number, "--on", register_on[index].day, NULL);
        assert_string_equal (
            cf_proc_json_string (on->json, "/certificate/status"),
            register_on[index].status);
    }
    on = cf_proc_certflow (proc, NULL, "--json", "certificate", "check", number,
                           "--on", s_day_after (until, day), NULL);
    assert_string_equal (cf_proc_json_string (on->json, "/certificate/status"),
                         "CERT_STATUS_WITHDRAWN");
    free (issued);
    //  Finished after the withdrawal, the visit ends all the same, and the
    //  certificate stays withdrawn
    cf_proc_drive (proc, applicant, late, "maintained", CF_PROC_STATE_MS);
    assert_string_equal (s_field (proc, number, "/status"),
                         "CERT_STATUS_WITHDRAWN");
    const cf_proc_output_t *withdrawn = cf_proc_expect (
        proc, 0, NULL, "certificates", "--status", "withdrawn", NULL);
    assert_non_null (strstr (withdrawn->out, number));

    //  A second certificate: strangers learn nothing of it
    const char *held = s_certify (proc, applicant);
    const char *rival =
        cf_proc_principal (proc, "rival", "applicant", "RIVAL-CONSULTING");
    const char *decisions[][10] = {
        {"certificate", "suspend", held, "--trigger", "misuse",
         "--trigger-date", "2026-01-01", "--reason", "misuse"},
        {"certificate", "restore", held, "--reason", "cleared", NULL},
        {"certificate", "withdraw", held, "--reason", "we say so", NULL},
        {"certificate", "cancel", held, "--reason", "we say so", NULL},
        {"certificate", "reissue", held, "--reason", "renamed",
         "--company-name", "对手公司", NULL},
        {"certificate", "history", held, NULL},
    };
    for (size_t index = 0; index < sizeof decisions / sizeof *decisions;
         index++) {
        const char *const *argv = decisions[index];
        const cf_proc_output_t *refused = cf_proc_certflow (
            proc, rival, "--json", argv[0], argv[1], argv[2], argv[3], argv[4],
            argv[5], argv[6], argv[7], argv[8], NULL);
        assert_int_not_equal (refused->status, 0);
        const char *status = cf_proc_json_string (refused->json, "/status");
        assert_non_null (status);
        assert_true (strcmp (status, "STATUS_NOT_FOUND") == 0 ||
                     strcmp (status, "STATUS_BAD_REQUEST") == 0);
    }
    const cf_proc_output_t *forbidden = cf_proc_expect (
        proc, 1, rival, "--json", "surveillance", "open", held, NULL);
    assert_string_equal (cf_proc_json_string (forbidden->json, "/status"),
                         "STATUS_FORBIDDEN");
    const cf_proc_output_t *theirs =
        cf_proc_expect (proc, 0, rival, "--json", "certificates", NULL);
    assert_int_equal (
        cf_proc_json_length (theirs->json, "/certificates/certificates"), 0);
    s_wait_status (proc, held, "CERT_STATUS_VALID");
    //  The holder cancels its own
    cf_proc_expect (proc, 0, applicant, "certificate", "cancel", held,
                    "--reason", "the company leaves the appliance business",
                    NULL);
    s_wait_status (proc, held, "CERT_STATUS_CANCELLED");
    const cf_proc_output_t *mine =
        cf_proc_expect (proc, 0, applicant, "--json", "certificates", NULL);
    assert_int_equal (
        cf_proc_json_length (mine->json, "/certificates/certificates"), 2);
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    assert_int_equal (cf_proc_verify (proc)->status, 0);
    free (first_due);
    free (until);
}

//  A reissue by decision on a change of name; a visit that lowers a
//  three-star grade reissues the certificate too
static void
test_reissues_supersede (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    const char *number = s_certify (proc, applicant);
    const cf_proc_output_t *reissued = cf_proc_expect (
        proc, 0, NULL, "--json", "certificate", "reissue", number, "--reason",
        "the holder changed its name (business licence of 2026-12-01)",
        "--company-name", "云熙智能家电有限公司", NULL);
    const char *successor =
        cf_proc_json_string (reissued->json, "/certificate/number");
    assert_non_null (successor);
    assert_string_not_equal (successor, number);
    assert_string_equal (
        cf_proc_json_string (reissued->json, "/certificate/replaces"), number);
    assert_string_equal (
        cf_proc_json_string (reissued->json, "/certificate/company_name"),
        "云熙智能家电有限公司");
    assert_string_equal (s_field (proc, number, "/status"),
                         "CERT_STATUS_SUPERSEDED");
    assert_string_equal (s_field (proc, number, "/superseded_by"), successor);
    assert_string_equal (s_field (proc, successor, "/expiry_date"),
                         s_field (proc, number, "/expiry_date"));
    //  Nothing leaves superseded
    cf_proc_expect (proc, 1, NULL, "certificate", "reissue", number, "--reason",
                    "again", "--company-name", "X", NULL);

    //  12 months on, the company ends that certificate and applies anew;
    //  the new case is granted three stars
    char *held = strdup (s_field (proc, successor, "/issue_date"));
    cf_day_t day;
    assert_int_equal (cf_date_parse (held, &day), 0);
    char later[11];
    cf_proc_advance_to (proc,
                        cf_date_format (cf_date_add_months (day, 12), later));
    cf_proc_expect (proc, 0, applicant, "certificate", "cancel", successor,
                    "--reason", "replaced by a new application", NULL);
    const char *starred = s_certify (proc, applicant);
    assert_string_equal (s_field (proc, starred, "/grade"), "three_star");
    //  Its first visit scores 76.3: compliant, so it is reissued
    cf_proc_set_revised_sheet (proc, s_low_sheet (proc));
    const char *visit = s_visit (proc, applicant, starred, "maintained");
    s_wait_status (proc, starred, "CERT_STATUS_SUPERSEDED");
    const char *lowered = s_field (proc, starred, "/superseded_by");
    assert_true (*lowered);
    char *lower = strdup (lowered);
    assert_string_equal (s_field (proc, starred, "/visits/0/outcome"),
                         "grade_changed");
    json_object *cert = s_check (proc, lower);
    assert_string_equal (cf_proc_json_string (cert, "/grade"), "compliant");
    assert_string_equal (cf_proc_json_string (cert, "/status"),
                         "CERT_STATUS_VALID");
    assert_string_equal (cf_proc_json_string (cert, "/replaces"), starred);
    assert_string_equal (cf_proc_json_string (cert, "/visits/0/case_id"),
                         visit);
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    assert_int_equal (cf_proc_verify (proc)->status, 0);
    free (held);
    free (lower);
}

//  A second initial application for the same scope is refused; a
//  recertification applied for 3 months before expiry takes over on the
//  day after it
static void
test_a_recertification_takes_over_at_expiry (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    const char *number = s_certify (proc, applicant);
    char *expiry = strdup (s_field (proc, number, "/expiry_date"));
    const char *application =
        cf_proc_source (proc, "examples/application.json");
    const cf_proc_output_t *again = cf_proc_expect (
        proc, 1, applicant, "--json", "submit", application, NULL);
    const char *message = cf_proc_json_string (again->json, "/message");
    assert_non_null (strstr (message, number));
    assert_non_null (strstr (message, "--renews"));
    const cf_proc_output_t *early =
        cf_proc_expect (proc, 1, applicant, "--json", "submit", application,
                        "--renews", number, NULL);
    assert_non_null (
        strstr (cf_proc_json_string (early->json, "/message"), "from"));
    //  Both visits are made; the staff are renewed for the years ahead
    cf_proc_set_revised_sheet (proc, s_low_sheet (proc));
    s_renew_staff (proc);
    s_visit (proc, applicant, number, "maintained");
    s_visit (proc, applicant, number, "maintained");
    s_wait_status (proc, number, "CERT_STATUS_VALID");

    //  Three months before expiry the renewal opens; one at a time
    cf_day_t ends;
    assert_int_equal (cf_date_parse (expiry, &ends), 0);
    char day[11];
    cf_proc_advance_to (
        proc, cf_date_format (cf_date_add_months (ends + 1, -3), day));
    const cf_proc_output_t *renewal =
        cf_proc_expect (proc, 0, applicant, "--json", "submit", application,
                        "--renews", number, NULL);
    const char *case_id = cf_proc_json_string (renewal->json, "/record/id");
    assert_string_equal (cf_proc_json_string (renewal->json, "/record/kind"),
                         "CASE_KIND_RECERTIFICATION");
    assert_string_equal (cf_proc_json_string (renewal->json, "/record/subject"),
                         number);
    const cf_proc_output_t *second =
        cf_proc_expect (proc, 1, applicant, "--json", "submit", application,
                        "--renews", number, NULL);
    assert_non_null (
        strstr (cf_proc_json_string (second->json, "/message"), case_id));
    cf_proc_drive (proc, applicant, case_id, "certified", CF_PROC_STATE_MS);
    const cf_proc_output_t *status =
        cf_proc_wait_state (proc, applicant, case_id, "certified",
                            "/record/certificate", CF_PROC_STATE_MS);
    char *renewed =
        strdup (cf_proc_json_string (status->json, "/record/certificate"));
    //  Decided in time: it starts the day after the old one ends
    assert_string_equal (s_field (proc, renewed, "/issue_date"),
                         cf_date_format (ends + 1, day));
    assert_string_equal (s_field (proc, renewed, "/replaces"), number);
    assert_string_equal (s_field (proc, number, "/superseded_by"), renewed);
    assert_string_equal (s_field (proc, number, "/status"),
                         "CERT_STATUS_VALID");
    //  At its end the old one is superseded, not expired
    cf_proc_advance_to (proc, s_day_after (expiry, day));
    s_wait_status (proc, number, "CERT_STATUS_SUPERSEDED");
    assert_string_equal (s_field (proc, number, "/status_date"), expiry);
    assert_string_equal (s_field (proc, renewed, "/status"),
                         "CERT_STATUS_VALID");
    assert_int_equal (cf_proc_stop (cf_proc_current_daemon (proc)), 0);
    assert_int_equal (cf_proc_verify (proc)->status, 0);
    free (expiry);
    free (renewed);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_two_visits_a_missed_one_and_expiry, s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_suspension_runs_out_and_the_holder_cancels, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_reissues_supersede, s_setup,
                                         cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_recertification_takes_over_at_expiry, s_setup,
            cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
