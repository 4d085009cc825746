/*  =========================================================================
    test_cnca_report - the regulator's monthly report through the real
    programs, with the daemon's clock let pass: a month with two audit
    plans, three results (one a rescoring), an issuance, a suspension and
    a cancellation gives exactly those rows; a record changed after the
    month's report was made is a row of the next month's, and the first
    month's report stays as it was; auditors without a registration
    number are named; applicants and monitors are refused, and a month not
    begun or not written as one is refused with the reason.
    =========================================================================
*/

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_application.h"
#include "cf_date.h"
#include "cf_proc.h"

#define S_ORG "YUNXI"

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "cnca");
}

//  The example application for another company: name and a valid code
static const char *
s_second_company (cf_proc_t *proc)
{
    json_object *application = cf_proc_json_load (
        proc, cf_proc_source (proc, "examples/application.json"));
    char code[19] = "91330106MA2B3C4D00";
    const char *check = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    bool found = false;
    for (const char *digit = "123456789"; *digit && !found; digit++)
        for (const char *last = check; *last && !found; last++) {
            code[16] = *digit;
            code[17] = *last;
            found = cf_application_check_uscc (code, NULL) == 0;
        }
    assert_true (found);
    json_object_object_add (application, "uscc", json_object_new_string (code));
    json_object_object_add (application, "company_name",
                            json_object_new_string ("宁波海晨厨具有限公司"));
    return cf_proc_json_save (proc, application, "application-haichen.json");
}

//  Reads a file the report wrote (kept by the caller: free it)
static char *
s_read (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        fail_msg ("the report did not write %s", path);
    char *text = calloc (1, 1 << 20);
    size_t size = fread (text, 1, (1 << 20) - 1, file);
    text[size] = 0;
    fclose (file);
    return text;
}

//  Lines of a CSV file, its header included
static size_t
s_lines (const char *text)
{
    size_t count = 0;
    for (const char *at = text; (at = strstr (at, "\r\n")); at += 2)
        count++;
    return count;
}

//  Runs the report of month into directory dir as the admin; returns the
//  summary (--json)
static json_object *
s_report (cf_proc_t *proc, const char *month, const char *dir)
{
    const cf_proc_output_t *report =
        cf_proc_expect (proc, 0, NULL, "--json", "report", "cnca", "--month",
                        month, "--out", cf_proc_path (proc, "%s", dir), NULL);
    assert_non_null (report->json);
    return report->json;
}

static const char *
s_file (cf_proc_t *proc, const char *dir, const char *month, const char *kind,
        const char *extension)
{
    return cf_proc_path (proc, "%s/cnca-%s-%s.%s", dir, month, kind, extension);
}

//  `certflow --json reports` as the admin
static json_object *
s_reports (cf_proc_t *proc)
{
    const cf_proc_output_t *reports =
        cf_proc_expect (proc, 0, NULL, "--json", "reports", NULL);
    assert_non_null (reports->json);
    return reports->json;
}

static void
s_expect_obligation (json_object *reports, size_t index, const char *month,
                     const char *status)
{
    char pointer[64];
    snprintf (pointer, sizeof pointer, "/reports/obligations/%zu/month", index);
    assert_string_equal (cf_proc_json_string (reports, pointer), month);
    snprintf (pointer, sizeof pointer, "/reports/obligations/%zu/status",
              index);
    assert_string_equal (cf_proc_json_string (reports, pointer), status);
}

//  How many report_due events for month the whole log holds, read as the
//  admin watches the feed from the start
static size_t
s_reminders (cf_proc_t *proc, const char *month)
{
    const cf_proc_output_t *ping =
        cf_proc_expect (proc, 0, NULL, "--json", "ping", NULL);
    char count[32];
    snprintf (count, sizeof count, "%" PRId64,
              cf_proc_json_int (ping->json, "/seq", 0));
    const cf_proc_output_t *watch = cf_proc_expect (
        proc, 0, NULL, "watch", "--since", "0", "--count", count, NULL);
    char needle[64];
    snprintf (needle, sizeof needle, "report_due CNCA report %s", month);
    size_t found = 0;
    for (const char *at = watch->out; (at = strstr (at, needle)); at++)
        found++;
    return found;
}

static void
test_a_month_of_records (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    //  The month after the next, from its first day
    int year, month, mday;
    cf_date_to_ymd (cf_date_from_ms (zclock_time ()), &year, &month, &mday);
    cf_day_t first = cf_date_add_months (cf_date_from_ymd (year, month, 1), 2);
    cf_day_t next = cf_date_add_months (first, 1);
    char day[11], later[11], name[8], next_name[8];
    cf_date_format (first, day);
    cf_date_format (next, later);
    snprintf (name, sizeof name, "%.7s", day);
    snprintf (next_name, sizeof next_name, "%.7s", later);
    cf_proc_advance_to (proc, day);

    //  Company one: planned, scored with a nonconformity, rescored once
    //  fixed, certified, suspended and cancelled; company two: planned and
    //  scored on the same days, its rectification running into the next
    //  month
    const char *case_one = cf_proc_submit_example (proc, applicant);
    const char *case_two =
        cf_proc_submit (proc, applicant, s_second_company (proc));
    cf_proc_drive (proc, applicant, case_two, "onsite_audit", CF_PROC_STATE_MS);
    cf_proc_drive (proc, applicant, case_one, "certified", CF_PROC_STATE_MS);
    const cf_proc_output_t *status =
        cf_proc_wait_state (proc, applicant, case_one, "certified",
                            "/record/certificate", CF_PROC_STATE_MS);
    char *number =
        strdup (cf_proc_json_string (status->json, "/record/certificate"));
    char *issued =
        strdup (cf_proc_json_string (status->json, "/record/decision_date"));
    cf_proc_expect (proc, 0, NULL, "certificate", "suspend", number,
                    "--trigger", "misuse", "--trigger-date", issued, "--months",
                    "2", "--reason", "mark used, on a wider line", NULL);
    cf_proc_expect (proc, 0, NULL, "certificate", "cancel", number, "--reason",
                    "business closed", NULL);
    cf_proc_drive (proc, applicant, case_two, "rectification",
                   CF_PROC_STATE_MS);

    //  The month's report, once it is over
    cf_proc_advance_to (proc, later);
    json_object *summary = s_report (proc, name, "first");
    assert_true (json_object_get_boolean (cf_proc_json (summary, "/complete")));
    assert_int_equal (cf_proc_json_int (summary, "/rows/plan", -1), 2);
    assert_int_equal (cf_proc_json_int (summary, "/rows/result", -1), 3);
    assert_int_equal (cf_proc_json_int (summary, "/rows/certificate", -1), 1);
    assert_int_equal (cf_proc_json_int (summary, "/rows/change", -1), 2);
    assert_int_equal (cf_proc_json_length (summary, "/files"), 8);
    assert_int_equal (cf_proc_json_length (summary, "/problems"), 0);

    //  Each kind as CSV (a header and a line a row) and as JSON
    char *plans = s_read (s_file (proc, "first", name, "audit-plans", "csv"));
    assert_int_equal (s_lines (plans), 3);
    assert_non_null (strstr (plans, case_one));
    assert_non_null (strstr (plans, case_two));
    assert_non_null (strstr (plans, "91330110MA2J7R4N38"));
    assert_non_null (strstr (plans, "2022-N1SCS-10"));
    assert_null (strstr (plans, "(none)"));
    char *results =
        s_read (s_file (proc, "first", name, "audit-results", "csv"));
    assert_int_equal (s_lines (results), 4);
    assert_non_null (strstr (results, ",changed,"));
    char *certificates =
        s_read (s_file (proc, "first", name, "certificates-issued", "csv"));
    assert_int_equal (s_lines (certificates), 2);
    assert_non_null (strstr (certificates, number));
    assert_non_null (strstr (certificates, "GB/T 27922-2011"));
    char *changes =
        s_read (s_file (proc, "first", name, "status-changes", "csv"));
    assert_int_equal (s_lines (changes), 3);
    assert_non_null (strstr (changes, ",valid,suspended,"));
    assert_non_null (strstr (changes, ",misuse,"));
    assert_non_null (strstr (changes, ",suspended,cancelled,"));
    assert_non_null (strstr (changes, "business closed"));
    json_object *rows = cf_proc_json_load (
        proc, s_file (proc, "first", name, "status-changes", "json"));
    assert_int_equal (cf_proc_json_length (rows, "/rows"), 2);
    assert_string_equal (cf_proc_json_string (rows, "/rows/0/certificate"),
                         number);
    assert_string_equal (cf_proc_json_string (rows, "/rows/1/reason"),
                         "business closed");
    rows = cf_proc_json_load (
        proc, s_file (proc, "first", name, "audit-plans", "json"));
    assert_true (cf_proc_json_length (rows, "/rows/0/team") >= 2);
    assert_non_null (cf_proc_json_string (rows, "/rows/0/team/0/registration"));

    //  Company two's audit is rescored in the next month: a row of that
    //  month, and the first month's report is as it was
    cf_proc_drive (proc, applicant, case_two, "certified", CF_PROC_STATE_MS);
    summary = s_report (proc, name, "again");
    char *again = s_read (s_file (proc, "again", name, "audit-results", "csv"));
    assert_string_equal (again, results);
    free (again);
    again = s_read (s_file (proc, "again", name, "status-changes", "csv"));
    assert_string_equal (again, changes);
    free (again);
    summary = s_report (proc, next_name, "next");
    assert_false (
        json_object_get_boolean (cf_proc_json (summary, "/complete")));
    assert_int_equal (cf_proc_json_int (summary, "/rows/plan", -1), 0);
    assert_int_equal (cf_proc_json_int (summary, "/rows/result", -1), 1);
    assert_int_equal (cf_proc_json_int (summary, "/rows/certificate", -1), 1);
    assert_int_equal (cf_proc_json_int (summary, "/rows/change", -1), 0);
    rows = cf_proc_json_load (
        proc, s_file (proc, "next", next_name, "audit-results", "json"));
    assert_string_equal (cf_proc_json_string (rows, "/rows/0/case_id"),
                         case_two);
    assert_string_equal (cf_proc_json_string (rows, "/rows/0/action"),
                         "changed");
    assert_string_equal (cf_proc_json_string (rows, "/rows/0/event"),
                         "fixes_accepted");

    //  The month's report as an obligation: open until the 5th of the
    //  next month, then due, with one reminder on the feed (a restart
    //  does not make another), submitted by an admin only, once
    json_object *owed = s_reports (proc);
    assert_int_equal (cf_proc_json_length (owed, "/reports/obligations"), 2);
    s_expect_obligation (owed, 0, name, "open");
    s_expect_obligation (owed, 1, next_name, "open");
    assert_int_equal (s_reminders (proc, name), 0);
    char fifth[11], sixth[11];
    cf_date_format (next + 4, fifth);
    cf_date_format (next + 5, sixth);
    cf_proc_advance_to (proc, fifth);
    assert_int_equal (cf_proc_wait_log (cf_proc_current_daemon (proc),
                                        "report_due by certflowd", 1,
                                        CF_PROC_STATE_MS),
                      0);
    owed = s_reports (proc);
    s_expect_obligation (owed, 0, name, "due");
    assert_true (
        cf_proc_json_int (owed, "/reports/obligations/0/reminded_at", 0) > 0);
    s_expect_obligation (owed, 1, next_name, "open");
    cf_proc_advance_to (proc, sixth);
    assert_int_equal (s_reminders (proc, name), 1);
    assert_int_equal (s_reminders (proc, next_name), 0);
    //  Not an auditor, not a month that is not over, not twice
    const char *auditor = cf_proc_principal (proc, "AUD003", "auditor", NULL);
    const cf_proc_output_t *refused = cf_proc_expect (
        proc, 1, auditor, "report", "submitted", "--month", name, NULL);
    assert_non_null (strstr (refused->err, "admin only"));
    refused = cf_proc_expect (proc, 1, NULL, "report", "submitted", "--month",
                              next_name, NULL);
    assert_non_null (strstr (refused->err, "is not over"));
    const cf_proc_output_t *submitted = cf_proc_expect (
        proc, 0, NULL, "--json", "report", "submitted", "--month", name,
        "--reference", "CNCA-2027-000123", NULL);
    assert_string_equal (
        cf_proc_json_string (submitted->json, "/reports/obligations/0/status"),
        "submitted");
    refused = cf_proc_expect (proc, 1, NULL, "report", "submitted", "--month",
                              name, NULL);
    assert_non_null (strstr (refused->err, "was submitted on"));
    owed = s_reports (proc);
    s_expect_obligation (owed, 0, name, "submitted");
    assert_true (
        cf_proc_json_int (owed, "/reports/obligations/0/submitted_at", 0) > 0);
    assert_string_equal (
        cf_proc_json_string (owed, "/reports/obligations/0/reference"),
        "CNCA-2027-000123");
    assert_non_null (
        cf_proc_json_string (owed, "/reports/obligations/0/submitted_by"));
    const cf_proc_output_t *listed =
        cf_proc_expect (proc, 0, NULL, "reports", NULL);
    assert_non_null (strstr (listed->out, "submitted"));
    //  The next month's, not submitted, is overdue after its 10th
    char eleventh[11];
    cf_date_format (cf_date_add_months (next, 1) + 10, eleventh);
    cf_proc_advance_to (proc, eleventh);
    owed = s_reports (proc);
    s_expect_obligation (owed, 0, name, "submitted");
    s_expect_obligation (owed, 1, next_name, "overdue");
    assert_int_equal (s_reminders (proc, next_name), 1);
    assert_int_equal (s_reminders (proc, name), 1);
    //  Applicants and monitors do not see the obligations either
    refused = cf_proc_expect (proc, 1, applicant, "reports", NULL);
    assert_non_null (strstr (refused->err, "staff only"));

    //  Auditors whose records lose their registration numbers are named
    //  in the report, which still lists them
    const char *auditors[] = {"AUD001", "AUD002", "AUD003", "AUD004"};
    for (size_t index = 0; index < 4; index++) {
        char file[64];
        snprintf (file, sizeof file, "examples/staff/%s.json", auditors[index]);
        json_object *record =
            cf_proc_json_load (proc, cf_proc_source (proc, file));
        json_object_object_del (record, "registration");
        json_object_object_add (record, "qualified_until",
                                json_object_new_string ("2031-12-31"));
        snprintf (file, sizeof file, "%s-unregistered.json", auditors[index]);
        cf_proc_expect (proc, 0, NULL, "staff", "put",
                        cf_proc_json_save (proc, record, file), NULL);
    }
    const cf_proc_output_t *warned =
        cf_proc_expect (proc, 0, NULL, "report", "cnca", "--month", name,
                        "--out", cf_proc_path (proc, "unregistered"), NULL);
    assert_non_null (strstr (warned->err, "has no registration number"));
    assert_non_null (strstr (warned->out, "audit plans"));
    char *unregistered =
        s_read (s_file (proc, "unregistered", name, "audit-plans", "csv"));
    assert_int_equal (s_lines (unregistered), 3);
    assert_non_null (strstr (unregistered, "(none)"));
    free (unregistered);
    //  A report the platform would refuse is not marked submitted
    refused = cf_proc_expect (proc, 1, NULL, "report", "submitted", "--month",
                              next_name, NULL);
    assert_non_null (strstr (refused->err, "has no registration number"));
    assert_non_null (strstr (refused->err, "is not complete"));
    owed = s_reports (proc);
    s_expect_obligation (owed, 1, next_name, "overdue");
    //  A registration number that is not one is refused, by the client and
    //  by the daemon
    json_object *bad = cf_proc_json_load (
        proc, cf_proc_source (proc, "examples/staff/AUD001.json"));
    json_object_object_add (bad, "registration",
                            json_object_new_string ("no. 12"));
    refused =
        cf_proc_expect (proc, 2, NULL, "staff", "put",
                        cf_proc_json_save (proc, bad, "AUD001-bad.json"), NULL);
    assert_non_null (strstr (refused->err, "staff.registration"));

    //  Who may not read it, and months that are not one
    const char *monitor = cf_proc_principal (proc, "ops", "monitor", NULL);
    const char *readers[] = {applicant, monitor};
    for (size_t index = 0; index < 2; index++) {
        refused = cf_proc_expect (proc, 1, readers[index], "report", "cnca",
                                  "--month", name, "--out",
                                  cf_proc_path (proc, "refused"), NULL);
        assert_non_null (
            strstr (refused->err, "may not read the regulator's report"));
    }
    refused =
        cf_proc_expect (proc, 2, NULL, "report", "cnca", "--month", "2026-13",
                        "--out", cf_proc_path (proc, "bad"), NULL);
    assert_non_null (strstr (refused->err, "--month YYYY-MM"));
    char future[11];
    cf_date_format (cf_date_add_months (next, 2), future);
    future[7] = 0;
    refused =
        cf_proc_expect (proc, 1, NULL, "report", "cnca", "--month", future,
                        "--out", cf_proc_path (proc, "bad"), NULL);
    assert_non_null (strstr (refused->err, "has not begun"));

    free (plans);
    free (results);
    free (certificates);
    free (changes);
    free (number);
    free (issued);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_month_of_records, s_setup,
                                         cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
