/*  Unit tests for cf_cnca and cf_report: which events make rows of which
    kind, the month a row belongs to (the daemon's instant in China time,
    read from a real LMDB store), the rows' fields with the team's
    registration numbers, and CSV escaping.  */

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_cnca.h"
#include "cf_date.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_report.h"
#include "cf_store.h"

#define S_HOUR (3600LL * 1000)

//  The instant of day (y-m-d) at hour:minute in China time
static int64_t
s_at (int year, int month, int mday, int hour, int minute)
{
    return cf_date_to_ms (cf_date_from_ymd (year, month, mday)) +
           hour * S_HOUR + minute * 60 * 1000LL;
}

//  What fwrite wrote to a memory stream, NUL-terminated (free it)
static char *
s_csv (const char *text)
{
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buffer, &size);
    cf_cnca_csv_field (out, text);
    fclose (out);
    return buffer;
}

static void
test_csv_fields_are_escaped (void **state)
{
    (void)state;
    const struct {
        const char *text, *csv;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"杭州云溪智能家电有限公司", "杭州云溪智能家电有限公司"},
        {"a,b", "\"a,b\""},
        {"say \"no\"", "\"say \"\"no\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\rhere", "\"cr\rhere\""},
        {" padded", "\" padded\""},
        {"padded ", "\"padded \""},
        {"=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""},
        {"+1", "\"'+1\""},
        {"-1", "\"'-1\""},
        {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\tx", "\"'\tx\""},
        {"2021-N1SCS-1", "2021-N1SCS-1"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char *csv = s_csv (cases[index].text);
        assert_string_equal (csv, cases[index].csv);
        free (csv);
    }
    char *csv = s_csv (NULL);
    assert_string_equal (csv, "");
    free (csv);
}

static void
test_months_are_china_time (void **state)
{
    (void)state;
    int64_t start, end;
    assert_int_equal (cf_cnca_month ("2026-11", &start, &end), 0);
    assert_true (start == s_at (2026, 11, 1, 0, 0));
    assert_true (end == s_at (2026, 12, 1, 0, 0));
    //  16:00 UTC on 31 October is midnight in China: November
    assert_true (start == s_at (2026, 10, 31, 16, 0) + 8 * S_HOUR);
    assert_int_equal (cf_cnca_month ("2026-12", &start, &end), 0);
    assert_true (end == s_at (2027, 1, 1, 0, 0));
    const char *bad[] = {"2026-13", "2026-1",     "2026/11", "26-11",
                         "",        "2026-11-01", "abcd-ef", "2026-00"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++)
        assert_int_equal (cf_cnca_month (bad[index], &start, &end), CF_EINVAL);
    assert_int_equal (cf_cnca_month (NULL, &start, &end), CF_EINVAL);
    char month[8];
    assert_string_equal (cf_cnca_month_of (s_at (2026, 11, 30, 23, 59), month),
                         "2026-11");
    assert_string_equal (cf_cnca_month_of (s_at (2026, 12, 1, 0, 0), month),
                         "2026-12");
}

static void
test_registration_numbers (void **state)
{
    (void)state;
    assert_int_equal (cf_cnca_check_registration (""), 0);
    assert_int_equal (cf_cnca_check_registration ("2021-N1SCS-1234567"), 0);
    assert_int_equal (cf_cnca_check_registration ("CCAA/2020/77"), 0);
    assert_int_equal (cf_cnca_check_registration ("-12"), CF_EINVAL);
    assert_int_equal (cf_cnca_check_registration ("12 34"), CF_EINVAL);
    assert_int_equal (cf_cnca_check_registration ("注册123"), CF_EINVAL);
    assert_int_equal (cf_cnca_check_registration (
                          "12345678901234567890123456789012345678901"),
                      CF_EINVAL);
    assert_int_equal (cf_cnca_check_registration (NULL), CF_EINVAL);
}

static void
test_which_events_are_reportable (void **state)
{
    (void)state;
    Cf__Event event = CF__EVENT__INIT;
    const struct {
        const char *event;
        const char *kind;
    } cases[] = {
        {"audit_planned", CF_CNCA_PLAN},
        {"scores_submitted", CF_CNCA_RESULT},
        {"fixes_accepted", CF_CNCA_RESULT},
        {"certificate_issued", CF_CNCA_CERTIFICATE},
        {"sheet_submitted", NULL},
        {"submit", NULL},
        {"vote", NULL},
        {"majority_grant", NULL},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        event.event = (char *)cases[index].event;
        const char *kind = cf_cnca_kind (&event);
        if (cases[index].kind)
            assert_string_equal (kind, cases[index].kind);
        else
            assert_null (kind);
    }
    //  A refused attempt is not a record
    event.event = "audit_planned";
    event.refused = "CF_EGUARD: auditor.conflict";
    assert_null (cf_cnca_kind (&event));
    //  A certificate event is a change when the status changed; the
    //  reminders change nothing
    event.refused = "";
    event.event = "certificate_suspended";
    event.certificate = "CFC2026SC00001";
    event.certificate_from = CF__CERT_STATUS__CERT_STATUS_VALID;
    event.certificate_to = CF__CERT_STATUS__CERT_STATUS_SUSPENDED;
    assert_string_equal (cf_cnca_kind (&event), CF_CNCA_CHANGE);
    event.event = "surveillance_due";
    event.certificate_to = CF__CERT_STATUS__CERT_STATUS_VALID;
    assert_null (cf_cnca_kind (&event));
    assert_null (cf_cnca_kind (NULL));
}

//  ------------------------------------------------------------------------
//  A store with a case, its certificate and events around a month's ends

typedef struct {
    char dir[64];
    cf_store_t *store;
    cf_scheme_t *scheme;
    Cf__Staff *staff[3];
    uint64_t seq;
} s_fixture_t;

static int
s_remove_entry (const char *path, const struct stat *info, int flag,
                struct FTW *ftw)
{
    (void)info, (void)flag, (void)ftw;
    return remove (path);
}

static Cf__Staff *
s_auditor (const char *id, const char *name, const char *registration)
{
    Cf__Staff *staff = cf_pb_new (&cf__staff__descriptor);
    cf_pb_set_string (&staff->id, id);
    cf_pb_set_string (&staff->name, name);
    cf_pb_set_string (&staff->registration, registration);
    cf_pb_append_string (&staff->n_roles, &staff->roles, "auditor");
    cf_pb_set_string (&staff->qualified_from, "2022-01-01");
    cf_pb_set_string (&staff->qualified_until, "2028-12-31");
    staff->active = true;
    return staff;
}

static Cf__Case *
s_case (void)
{
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000001");
    cf_pb_set_string (&record->org, "YUNXI");
    record->state = CF__STATE__STATE_CERTIFIED;
    record->application = cf_pb_new (&cf__application__descriptor);
    cf_pb_set_string (&record->application->company_name, "杭州云溪, 智能家电");
    cf_pb_set_string (&record->application->uscc, "91330110MA2J7R4N38");
    cf_pb_append_string (&record->application->n_scope,
                         &record->application->scope, "家用电器的安装");
    cf_pb_append_string (&record->application->n_scope,
                         &record->application->scope, "维修");
    record->plan = cf_pb_new (&cf__audit_plan__descriptor);
    cf_pb_set_string (&record->plan->leader, "AUD001");
    cf_pb_append_string (&record->plan->n_members, &record->plan->members,
                         "AUD002");
    cf_pb_set_string (&record->plan->start_date, "2026-11-16");
    cf_pb_set_string (&record->plan->end_date, "2026-11-17");
    cf_pb_set_string (&record->plan->mode, "FS01");
    cf_pb_set_string (&record->certificate, "CFC2026SC00001");
    return record;
}

static int
s_scheme_of (void *argument, const Cf__Case *record, const cf_scheme_t **scheme)
{
    (void)record;
    *scheme = ((s_fixture_t *)argument)->scheme;
    return 0;
}

//  Appends event name at instant at, with data (taken) and the
//  certificate statuses for certificate events
static void
s_event (s_fixture_t *fixture, const char *name, int64_t at,
         Cf__EventData *data, Cf__CertStatus from, Cf__CertStatus to,
         const char *refused)
{
    Cf__Event *event = cf_pb_new (&cf__event__descriptor);
    cf_pb_set_string (&event->case_id, "CF-2026-000001");
    cf_pb_set_string (&event->event, name);
    event->at = at;
    event->data = data;
    event->principal = cf_pb_new (&cf__principal__descriptor);
    event->principal->role = CF__ROLE__ROLE_WORKER;
    if (from) {
        cf_pb_set_string (&event->certificate, "CFC2026SC00001");
        event->certificate_from = from;
        event->certificate_to = to;
    }
    if (refused)
        cf_pb_set_string (&event->refused, refused);
    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_batch_append_event (batch, event), 0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL), 0);
    cf_batch_destroy (&batch);
    cf_pb_free (&event);
    fixture->seq++;
}

static Cf__EventData *
s_plan_data (const char *start)
{
    Cf__EventData *data = cf_pb_new (&cf__event_data__descriptor);
    data->body_case = CF__EVENT_DATA__BODY_PLAN;
    Cf__Case *record = s_case ();
    data->plan = record->plan;
    record->plan = NULL;
    cf_pb_free (&record);
    cf_pb_set_string (&data->plan->start_date, start);
    return data;
}

static Cf__EventData *
s_sheet_data (const char *path)
{
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    char text[65536];
    size_t size = fread (text, 1, sizeof text, file);
    fclose (file);
    Cf__EventData *data = cf_pb_new (&cf__event_data__descriptor);
    data->body_case = CF__EVENT_DATA__BODY_SHEET;
    assert_int_equal (cf_json_score_sheet (text, size, &data->sheet, NULL), 0);
    cf_pb_set_string (&data->sheet->audit_date, "2026-11-17");
    return data;
}

static Cf__EventData *
s_change_data (const char *reason, const char *trigger, uint32_t months)
{
    Cf__EventData *data = cf_pb_new (&cf__event_data__descriptor);
    data->body_case = CF__EVENT_DATA__BODY_CHANGE;
    data->change = cf_pb_new (&cf__certificate_change__descriptor);
    cf_pb_set_string (&data->change->reason, reason);
    cf_pb_set_string (&data->change->trigger, trigger);
    data->change->months = months;
    return data;
}

static Cf__EventData *
s_issued_data (void)
{
    Cf__EventData *data = cf_pb_new (&cf__event_data__descriptor);
    data->body_case = CF__EVENT_DATA__BODY_CERTIFICATE;
    data->certificate = cf_pb_new (&cf__certificate_data__descriptor);
    cf_pb_set_string (&data->certificate->number, "CFC2026SC00001");
    cf_pb_set_string (&data->certificate->issue_date, "2026-11-20");
    cf_pb_set_string (&data->certificate->grade, "compliant");
    return data;
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    if (!fixture)
        return -1;
    strcpy (fixture->dir, "/tmp/cf_cnca_XXXXXX");
    if (!mkdtemp (fixture->dir) ||
        cf_store_open (fixture->dir, 0, &fixture->store) != 0 ||
        cf_scheme_default (&fixture->scheme) != 0)
        return -1;
    fixture->staff[0] =
        s_auditor ("AUD001", "张伟 Zhang Wei", "2022-N1SCS-1017131");
    fixture->staff[1] = s_auditor ("AUD002", "李娜 Li Na", "");
    cf_batch_t *batch = cf_batch_new ();
    Cf__Case *record = s_case ();
    Cf__Certificate *cert = cf_pb_new (&cf__certificate__descriptor);
    cf_pb_set_string (&cert->number, "CFC2026SC00001");
    cf_pb_set_string (&cert->case_id, record->id);
    cf_pb_set_string (&cert->company_name, "杭州云溪智能家电有限公司");
    cf_pb_set_string (&cert->uscc, "91330110MA2J7R4N38");
    cf_pb_append_string (&cert->n_scope, &cert->scope, "家用电器的安装");
    cf_pb_set_string (&cert->standard, "GB/T 27922-2011");
    cf_pb_set_string (&cert->grade, "compliant");
    cf_pb_set_string (&cert->issue_date, "2026-11-20");
    cf_pb_set_string (&cert->expiry_date, "2029-11-19");
    cert->status = CF__CERT_STATUS__CERT_STATUS_CANCELLED;
    if (cf_batch_put_case (batch, record) ||
        cf_batch_put_certificate (batch, cert) ||
        cf_batch_put_staff (batch, fixture->staff[0]) ||
        cf_batch_put_staff (batch, fixture->staff[1]) ||
        cf_store_commit (fixture->store, batch, NULL, NULL))
        return -1;
    cf_batch_destroy (&batch);
    cf_pb_free (&record);
    cf_pb_free (&cert);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    cf_store_destroy (&fixture->store);
    cf_scheme_destroy (&fixture->scheme);
    for (size_t index = 0; index < 3; index++)
        cf_pb_free (&fixture->staff[index]);
    nftw (fixture->dir, s_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free (fixture);
    return 0;
}

static Cf__ReportPage *
s_page (s_fixture_t *fixture, const char *month, uint64_t after, int64_t now,
        size_t max_bytes)
{
    Cf__ReportQuery query = CF__REPORT_QUERY__INIT;
    query.month = (char *)month;
    query.after = after;
    Cf__ReportPage *page = NULL;
    assert_int_equal (cf_report_page (fixture->store, now, &query, s_scheme_of,
                                      fixture, max_bytes, &page, NULL),
                      0);
    return page;
}

//  The kinds and seqs of a page's rows, "plan:2 result:3 ..."
static void
s_expect (const Cf__ReportPage *page, const char *expected)
{
    char text[512] = "";
    for (size_t index = 0; index < page->n_rows; index++) {
        char one[64];
        snprintf (one, sizeof one, "%s%s:%llu:%s", index ? " " : "",
                  page->rows[index]->kind,
                  (unsigned long long)page->rows[index]->seq,
                  page->rows[index]->action);
        strcat (text, one);
    }
    assert_string_equal (text, expected);
}

//  Events on both sides of November's ends; a row is in the month of its
//  instant, and a record changed later is a row of a later month
static void
test_rows_by_month (void **state)
{
    s_fixture_t *fixture = *state;
    const Cf__CertStatus none = CF__CERT_STATUS__CERT_STATUS_UNSPECIFIED;
    const Cf__CertStatus valid = CF__CERT_STATUS__CERT_STATUS_VALID;
    const Cf__CertStatus suspended = CF__CERT_STATUS__CERT_STATUS_SUSPENDED;
    const Cf__CertStatus cancelled = CF__CERT_STATUS__CERT_STATUS_CANCELLED;
    char sheet[512], revised[512];
    snprintf (sheet, sizeof sheet, "%s/examples/scores.json", CF_SOURCE_DIR);
    snprintf (revised, sizeof revised, "%s/examples/scores-revised.json",
              CF_SOURCE_DIR);
    //  1: October's last minute, China time
    s_event (fixture, "contract_signed", s_at (2026, 10, 31, 23, 59), NULL,
             none, none, NULL);
    //  2: a plan at midnight: November
    s_event (fixture, "audit_planned", s_at (2026, 11, 1, 0, 0),
             s_plan_data ("2026-11-16"), none, none, NULL);
    //  3: a refused plan, 4: the sheet filed (not a record), 5: scored
    s_event (fixture, "audit_planned", s_at (2026, 11, 2, 9, 0),
             s_plan_data ("2026-11-16"), none, none, "CF_EGUARD: no");
    s_event (fixture, "sheet_submitted", s_at (2026, 11, 17, 9, 0),
             s_sheet_data (sheet), none, none, NULL);
    s_event (fixture, "scores_submitted", s_at (2026, 11, 17, 9, 1),
             s_sheet_data (sheet), none, none, NULL);
    //  6: rescored, 7: issued, 8: suspended, 9: a reminder, 10: cancelled
    s_event (fixture, "fixes_accepted", s_at (2026, 11, 19, 9, 0),
             s_sheet_data (revised), none, none, NULL);
    s_event (fixture, "certificate_issued", s_at (2026, 11, 20, 9, 0),
             s_issued_data (), none, none, NULL);
    s_event (fixture, "certificate_suspended", s_at (2026, 11, 25, 9, 0),
             s_change_data ("mark misused", "misuse", 2), valid, suspended,
             NULL);
    s_event (fixture, "surveillance_due", s_at (2026, 11, 26, 9, 0), NULL,
             suspended, suspended, NULL);
    s_event (fixture, "certificate_cancelled", s_at (2026, 11, 30, 23, 59),
             s_change_data ("business closed", "", 0), suspended, cancelled,
             NULL);
    //  11: December's first minute: a rescoring of November's audit
    s_event (fixture, "fixes_accepted", s_at (2026, 12, 1, 0, 0),
             s_sheet_data (revised), none, none, NULL);

    int64_t during = s_at (2026, 11, 28, 12, 0);
    int64_t after = s_at (2026, 12, 2, 12, 0);
    Cf__ReportPage *page = s_page (fixture, "2026-11", 0, after, 1 << 20);
    s_expect (page, "plan:2:new result:5:new result:6:changed "
                    "certificate:7:new change:8:new change:10:new");
    assert_true (page->complete);
    assert_false (page->more);
    //  The rows' fields
    const Cf__ReportRow *plan = page->rows[0];
    assert_string_equal (plan->case_id, "CF-2026-000001");
    assert_string_equal (plan->case_kind, "initial");
    assert_string_equal (plan->organization, "杭州云溪, 智能家电");
    assert_string_equal (plan->uscc, "91330110MA2J7R4N38");
    assert_int_equal (plan->n_scope, 2);
    assert_string_equal (plan->standard, "GB/T 27922-2011");
    assert_string_equal (plan->audit_start, "2026-11-16");
    assert_string_equal (plan->audit_mode, "FS01");
    assert_int_equal (plan->n_team, 2);
    assert_true (plan->team[0]->leader);
    assert_string_equal (plan->team[0]->registration, "2022-N1SCS-1017131");
    assert_string_equal (plan->team[1]->id, "AUD002");
    assert_string_equal (plan->team[1]->name, "李娜 Li Na");
    assert_string_equal (plan->team[1]->registration, "");
    //  AUD002 has no registration: named once however many rows show her
    assert_int_equal (page->n_problems, 1);
    assert_non_null (strstr (page->problems[0], "cnca.registration"));
    assert_non_null (strstr (page->problems[0], "AUD002"));
    const Cf__ReportRow *result = page->rows[1];
    assert_string_equal (result->audit_date, "2026-11-17");
    assert_true (result->score > 80 && result->score < 90);
    assert_int_equal (result->nonconformities, 1);
    assert_int_equal (page->rows[2]->nonconformities, 0);
    assert_true (page->rows[2]->score > result->score);
    const Cf__ReportRow *issued = page->rows[3];
    assert_string_equal (issued->certificate, "CFC2026SC00001");
    assert_string_equal (issued->organization, "杭州云溪智能家电有限公司");
    assert_string_equal (issued->issue_date, "2026-11-20");
    assert_string_equal (issued->expiry_date, "2029-11-19");
    assert_string_equal (issued->grade, "compliant");
    const Cf__ReportRow *suspension = page->rows[4];
    assert_string_equal (suspension->status_from, "valid");
    assert_string_equal (suspension->status_to, "suspended");
    assert_string_equal (suspension->status_date, "2026-11-25");
    assert_string_equal (suspension->reason, "mark misused");
    assert_string_equal (suspension->trigger, "misuse");
    assert_string_equal (suspension->suspended_until, "2027-01-24");
    assert_string_equal (page->rows[5]->status_to, "cancelled");
    assert_string_equal (page->rows[5]->status_date, "2026-11-30");

    //  The CSV of the plans: a header, one line a row, CRLF
    char *csv = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&csv, &size);
    assert_int_equal (cf_cnca_csv (out, CF_CNCA_PLAN, page->rows, 1), 0);
    assert_int_equal (cf_cnca_csv (out, "nothing", page->rows, 1), CF_EINVAL);
    fclose (out);
    assert_non_null (strstr (csv, "seq,recorded_at,action,case_id"));
    assert_non_null (
        strstr (csv, "\r\n2,2026-11-01T00:00:00+08:00,new,CF-2026-000001,"
                     "initial,,\"杭州云溪, 智能家电\","
                     "91330110MA2J7R4N38,家用电器的安装; 维修,GB/T "
                     "27922-2011,2026-11-16,2026-11-17,FS01,AUD001,张伟 Zhang "
                     "Wei,2022-N1SCS-1017131,AUD002,李娜 Li Na,(none)\r\n"));
    free (csv);
    cf_pb_free (&page);

    //  While November runs, its rows so far; the month is not complete
    page = s_page (fixture, "2026-11", 0, during, 1 << 20);
    assert_false (page->complete);
    cf_pb_free (&page);
    //  October: none of it; December: the later rescoring, as a change
    page = s_page (fixture, "2026-10", 0, after, 1 << 20);
    s_expect (page, "");
    cf_pb_free (&page);
    page = s_page (fixture, "2026-12", 0, after, 1 << 20);
    s_expect (page, "result:11:changed");
    assert_false (page->complete);
    cf_pb_free (&page);

    //  Small pages: each says where to go on, and together they are whole
    char text[512] = "";
    uint64_t cursor = 0;
    size_t pages = 0;
    do {
        page = s_page (fixture, "2026-11", cursor, after, 600);
        for (size_t index = 0; index < page->n_rows; index++) {
            char one[32];
            snprintf (one, sizeof one, "%llu ",
                      (unsigned long long)page->rows[index]->seq);
            strcat (text, one);
        }
        bool more = page->more;
        cursor = page->scanned;
        cf_pb_free (&page);
        pages++;
        if (!more)
            break;
    } while (pages < 20);
    assert_string_equal (text, "2 5 6 7 8 10 ");
    assert_true (pages > 1);

    //  A month not begun, and no month, are refused with the reason
    Cf__ReportQuery query = CF__REPORT_QUERY__INIT;
    query.month = "2027-01";
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_report_page (fixture->store, after, &query,
                                      s_scheme_of, fixture, 1 << 20, &page,
                                      problems),
                      CF_EINVAL);
    assert_null (page);
    assert_non_null (strstr (cf_problems_message (problems, 0), "not begun"));
    query.month = "November";
    assert_int_equal (cf_report_page (fixture->store, after, &query,
                                      s_scheme_of, fixture, 1 << 20, &page,
                                      problems),
                      CF_EINVAL);
    assert_non_null (strstr (cf_problems_message (problems, 1), "YYYY-MM"));
    cf_problems_destroy (&problems);
}

static const char *
s_status_at (Cf__ReportObligation *obligation, int64_t now)
{
    cf_report_status (obligation, now);
    return obligation->status;
}

//  Each month from the store's first event owes a report, due by the 10th
//  of the next month and reminded of from the 5th, once; the reminder and
//  the submission are events of no case, which the store chains and checks
static void
test_obligations (void **state)
{
    s_fixture_t *fixture = *state;
    Cf__ReportObligations *list = NULL;
    int64_t due;
    char month[8];
    //  An empty log owes nothing
    assert_int_equal (
        cf_report_obligations (fixture->store, s_at (2026, 12, 2, 9, 0), &list),
        0);
    assert_int_equal (list->n_obligations, 0);
    cf_pb_free (&list);
    assert_int_equal (cf_report_next_reminder (fixture->store, &due, month), 0);
    assert_true (due == INT64_MAX);

    s_event (fixture, "contract_signed", s_at (2026, 10, 31, 23, 59), NULL,
             CF__CERT_STATUS__CERT_STATUS_UNSPECIFIED,
             CF__CERT_STATUS__CERT_STATUS_UNSPECIFIED, NULL);
    int64_t now = s_at (2026, 12, 2, 9, 0);
    assert_int_equal (cf_report_obligations (fixture->store, now, &list), 0);
    assert_int_equal (list->n_obligations, 3);
    assert_string_equal (list->obligations[0]->month, "2026-10");
    assert_string_equal (list->obligations[0]->due_date, "2026-11-10");
    assert_string_equal (list->obligations[0]->status, "overdue");
    assert_string_equal (list->obligations[1]->month, "2026-11");
    assert_string_equal (list->obligations[1]->due_date, "2026-12-10");
    assert_string_equal (list->obligations[1]->status, "open");
    assert_string_equal (list->obligations[2]->month, "2026-12");
    assert_string_equal (list->obligations[2]->due_date, "2027-01-10");
    //  Its status through the next month
    Cf__ReportObligation *november = list->obligations[1];
    assert_string_equal (s_status_at (november, s_at (2026, 12, 4, 23, 59)),
                         "open");
    assert_string_equal (s_status_at (november, s_at (2026, 12, 5, 0, 0)),
                         "due");
    assert_string_equal (s_status_at (november, s_at (2026, 12, 10, 23, 59)),
                         "due");
    assert_string_equal (s_status_at (november, s_at (2026, 12, 11, 0, 0)),
                         "overdue");
    november->submitted_at = now;
    assert_string_equal (s_status_at (november, s_at (2026, 12, 11, 0, 0)),
                         "submitted");
    cf_pb_free (&list);

    //  The first reminder is October's, on 5 November; once recorded, the
    //  next is November's
    assert_int_equal (cf_report_next_reminder (fixture->store, &due, month), 0);
    assert_true (due == s_at (2026, 11, 5, 0, 0));
    assert_string_equal (month, "2026-10");
    Cf__ReportObligation *october = NULL;
    assert_int_equal (
        cf_report_obligation (fixture->store, now, "2026-10", &october, NULL),
        0);
    assert_int_equal (october->reminded_at, 0);
    october->reminded_at = now;
    Cf__Event event = CF__EVENT__INIT;
    Cf__Principal system = CF__PRINCIPAL__INIT;
    system.role = CF__ROLE__ROLE_SYSTEM;
    event.case_id = "";
    event.event = "report_due";
    event.report = "2026-10";
    event.principal = &system;
    event.at = now;
    cf_batch_t *batch = cf_batch_new ();
    assert_int_equal (cf_report_put (batch, october), 0);
    assert_int_equal (cf_batch_append_event (batch, &event), 0);
    assert_int_equal (cf_store_commit (fixture->store, batch, NULL, NULL), 0);
    cf_batch_destroy (&batch);
    cf_pb_free (&october);
    assert_int_equal (cf_report_next_reminder (fixture->store, &due, month), 0);
    assert_true (due == s_at (2026, 12, 5, 0, 0));
    assert_string_equal (month, "2026-11");
    assert_int_equal (
        cf_report_obligation (fixture->store, now, "2026-10", &october, NULL),
        0);
    assert_true (october->reminded_at == now);
    assert_string_equal (october->status, "overdue");
    cf_pb_free (&october);
    //  An event of no case is chained and checked like the others; one
    //  that names no case and no report is refused
    cf_problems_t *found = cf_problems_new ();
    int verified = cf_store_verify (fixture->store, found);
    if (verified)
        fail_msg ("verify: %s", cf_problems_join (found));
    cf_problems_destroy (&found);
    event.report = "";
    batch = cf_batch_new ();
    assert_int_equal (cf_batch_append_event (batch, &event), CF_EINVAL);
    cf_batch_destroy (&batch);

    //  Months that owe none, and text that is not a month
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_report_obligation (fixture->store, now, "2026-09",
                                            &october, problems),
                      CF_ENOTFOUND);
    assert_non_null (
        strstr (cf_problems_message (problems, 0), "2026-10 to 2026-12"));
    assert_int_equal (cf_report_obligation (fixture->store, now, "2027-01",
                                            &october, problems),
                      CF_ENOTFOUND);
    assert_int_equal (
        cf_report_obligation (fixture->store, now, "Oct", &october, problems),
        CF_EINVAL);
    assert_null (october);
    cf_problems_destroy (&problems);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_csv_fields_are_escaped),
        cmocka_unit_test (test_months_are_china_time),
        cmocka_unit_test (test_registration_numbers),
        cmocka_unit_test (test_which_events_are_reportable),
        cmocka_unit_test_setup_teardown (test_rows_by_month, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_obligations, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
