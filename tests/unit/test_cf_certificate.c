/*  Unit tests for cf_certificate: issuance checks, validity and surveillance
    dates (a leap-day issue included), the status on a day, the number form,
    and the rendered document under the default scheme (valid 3 years,
    surveillance every 12 months).  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <locale.h>
#include <wchar.h>

#include "cf_certificate.h"
#include "cf_date.h"
#include "cf_pb.h"

#define NUMBER "CFC2026SC00001"
#define HOLDER "闽江家电服务有限公司"

typedef struct {
    cf_scheme_t *scheme;      //  Default scheme, changed by some tests
    Cf__Case *record;         //  A case granted on 2026-11-20
    Cf__Certificate *cert;    //  What the last build made
    cf_problems_t *problems;  //  What the last call reported
} fixture_t;

static cf_day_t
s_day (const char *text)
{
    cf_day_t day = 0;
    assert_int_equal (cf_date_parse (text, &day), 0);
    return day;
}

static Cf__ScoreResult *
s_score (double score, const char *grade)
{
    Cf__ScoreResult *result = cf_pb_new (&cf__score_result__descriptor);
    result->score = score;
    cf_pb_set_string (&result->grade, grade);
    return result;
}

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_non_null (fixture);
    assert_int_equal (cf_scheme_default (&fixture->scheme), 0);
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000042");
    cf_pb_set_string (&record->scheme_version, fixture->scheme->version);
    Cf__Application *application = cf_pb_new (&cf__application__descriptor);
    cf_pb_set_string (&application->company_name, HOLDER);
    cf_pb_set_string (&application->uscc, "91350100MA2YXQ5T4K");
    cf_pb_set_string (&application->registered_address,
                      "福建省福州市鼓楼区五四路 1 号");
    cf_pb_set_string (&application->operating_address,
                      "福建省福州市仓山区金山大道 88 号");
    cf_pb_append_string (&application->n_scope, &application->scope,
                         "家用电器的售后服务 after-sales service of household "
                         "appliances");
    cf_pb_append_string (&application->n_scope, &application->scope,
                         "零配件 spare parts");
    record->application = application;
    record->original = s_score (91.5, "four_star");
    cf_pb_set_string (&record->decision, "grant");
    cf_pb_set_string (&record->decision_date, "2026-11-20");
    record->committee = cf_pb_new (&cf__committee__descriptor);
    fixture->record = record;
    fixture->problems = cf_problems_new ();
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    cf_pb_free (&fixture->cert);
    cf_pb_free (&fixture->record);
    cf_problems_destroy (&fixture->problems);
    cf_scheme_destroy (&fixture->scheme);
    free (fixture);
    return 0;
}

static int
s_build (fixture_t *fixture, const char *number, const char *issued,
         const char *grade)
{
    cf_pb_free (&fixture->cert);
    cf_problems_reset (fixture->problems);
    return cf_certificate_build (fixture->scheme, fixture->record, number,
                                 s_day (issued), grade, &fixture->cert,
                                 fixture->problems);
}

static void
s_only_problem (fixture_t *fixture, const char *code)
{
    assert_int_equal (cf_problems_size (fixture->problems), 1);
    assert_string_equal (cf_problems_code (fixture->problems, 0), code);
}

//  ------------------------------------------------------------------------

static void
test_build_fills_every_field (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"), 0);
    const Cf__Certificate *cert = fixture->cert;
    assert_string_equal (cert->number, NUMBER);
    assert_string_equal (cert->case_id, "CF-2026-000042");
    assert_string_equal (cert->company_name, HOLDER);
    assert_string_equal (cert->uscc, "91350100MA2YXQ5T4K");
    assert_string_equal (cert->registered_address,
                         "福建省福州市鼓楼区五四路 1 号");
    assert_string_equal (cert->operating_address,
                         "福建省福州市仓山区金山大道 88 号");
    assert_int_equal (cert->n_scope, 2);
    assert_string_equal (cert->scope[1], "零配件 spare parts");
    assert_string_equal (cert->standard, "GB/T 27922-2011");
    assert_string_equal (cert->grade, "four_star");
    assert_true (cert->score > 91.49 && cert->score < 91.51);
    assert_string_equal (cert->decision_date, "2026-11-20");
    assert_string_equal (cert->issue_date, "2026-11-23");
    assert_string_equal (cert->expiry_date, "2029-11-23");
    //  Due at 12 and 24 months; 36 months is the expiry itself
    assert_int_equal (cert->n_surveillance, 2);
    assert_string_equal (cert->surveillance[0], "2027-11-23");
    assert_string_equal (cert->surveillance[1], "2028-11-23");
    assert_int_equal (cert->status, CF__CERT_STATUS__CERT_STATUS_VALID);
    assert_string_equal (cert->scheme_version, fixture->scheme->version);
    assert_string_equal (cert->issuer, fixture->scheme->issuer);
    assert_string_equal (cert->star_override_reason, "");
    assert_int_equal (cf_problems_size (fixture->problems), 0);
}

static void
test_build_takes_the_score_after_rectification (void **state)
{
    fixture_t *fixture = *state;
    cf_pb_free (&fixture->record->original);
    fixture->record->original = s_score (76.0, "compliant");
    fixture->record->rescored = s_score (88.0, "three_star");
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "three_star"), 0);
    assert_true (fixture->cert->score > 87.99 && fixture->cert->score < 88.01);
}

static void
test_build_on_a_leap_day (void **state)
{
    fixture_t *fixture = *state;
    cf_pb_set_string (&fixture->record->decision_date, "2024-02-26");
    assert_int_equal (s_build (fixture, NUMBER, "2024-02-29", "four_star"), 0);
    assert_string_equal (fixture->cert->expiry_date, "2027-02-28");
    assert_int_equal (fixture->cert->n_surveillance, 2);
    assert_string_equal (fixture->cert->surveillance[0], "2025-02-28");
    assert_string_equal (fixture->cert->surveillance[1], "2026-02-28");
}

static void
test_build_refuses_issue_before_the_decision (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-19", "four_star"),
                      CF_EINVAL);
    assert_null (fixture->cert);
    s_only_problem (fixture, "certificate.issue_date");
    assert_non_null (strstr (cf_problems_message (fixture->problems, 0),
                             "certificate may not be dated before the "
                             "decision"));
}

static void
test_build_allows_issue_on_the_decision_day (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-20", "four_star"), 0);
    assert_string_equal (fixture->cert->issue_date, "2026-11-20");
    assert_string_equal (fixture->cert->expiry_date, "2029-11-20");
}

static void
test_build_needs_a_grant (void **state)
{
    fixture_t *fixture = *state;
    cf_pb_set_string (&fixture->record->decision, "refuse");
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"),
                      CF_EINVAL);
    s_only_problem (fixture, "certificate.decision");

    cf_pb_set_string (&fixture->record->decision, "grant");
    cf_pb_set_string (&fixture->record->decision_date, "");
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"),
                      CF_EINVAL);
    s_only_problem (fixture, "certificate.decision_date");
}

static void
test_build_needs_a_score_and_an_application (void **state)
{
    fixture_t *fixture = *state;
    cf_pb_free (&fixture->record->original);
    cf_pb_free (&fixture->record->application);
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"),
                      CF_EINVAL);
    assert_int_equal (cf_problems_size (fixture->problems), 2);
    assert_true (cf_problems_has (fixture->problems, "certificate.score"));
    assert_true (
        cf_problems_has (fixture->problems, "certificate.application"));
}

static void
test_number_form (void **state)
{
    (void)state;
    const char *good[] = {"CFC2026SC00001", "ABC123", "R0123-01-2026-0001",
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"};
    for (size_t index = 0; index < sizeof good / sizeof good[0]; index++)
        assert_true (cf_certificate_number_valid (good[index]));
    const char *bad[] = {"ABC12",
                         "cfc2026sc00001",
                         "CFC 2026 001",
                         "CFC2026_001",
                         "CFC2026\t001",
                         "CFC2026\xe2\x80\x8b"
                         "01",
                         "",
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++)
        assert_false (cf_certificate_number_valid (bad[index]));
    assert_false (cf_certificate_number_valid (NULL));
}

static void
test_build_refuses_a_bad_number (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_build (fixture, "CFC 2026", "2026-11-23", "four_star"),
                      CF_EINVAL);
    s_only_problem (fixture, "certificate.number");
    assert_non_null (
        strstr (cf_problems_message (fixture->problems, 0), "\"CFC 2026\""));
}

static void
test_build_checks_the_grade (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "six_star"),
                      CF_EINVAL);
    s_only_problem (fixture, "certificate.grade");
    assert_non_null (strstr (cf_problems_message (fixture->problems, 0),
                             "five_star, four_star, three_star, compliant"));
    //  91.5 does not reach five stars
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "five_star"),
                      CF_EINVAL);
    s_only_problem (fixture, "certificate.grade");
    //  A lower grade than the score reaches is the committee's call
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "compliant"), 0);
}

static void
test_build_records_an_early_star_override (void **state)
{
    fixture_t *fixture = *state;
    fixture->record->committee->star_override = true;
    cf_pb_set_string (&fixture->record->committee->star_override_reason,
                      "连续三年零投诉 no complaint in three years");
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"), 0);
    assert_string_equal (fixture->cert->star_override_reason,
                         "连续三年零投诉 no complaint in three years");
    //  No stars granted, nothing to explain
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "compliant"), 0);
    assert_string_equal (fixture->cert->star_override_reason, "");
}

static void
test_surveillance_plan_follows_the_scheme (void **state)
{
    fixture_t *fixture = *state;
    fixture->scheme->surveillance_months = 6;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"), 0);
    const char *due[] = {"2027-05-23", "2027-11-23", "2028-05-23", "2028-11-23",
                         "2029-05-23"};
    assert_int_equal (fixture->cert->n_surveillance, 5);
    for (size_t index = 0; index < 5; index++)
        assert_string_equal (fixture->cert->surveillance[index], due[index]);

    //  Never longer than 12 months between visits, whatever the scheme says
    fixture->scheme->surveillance_months = 18;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"), 0);
    assert_int_equal (fixture->cert->n_surveillance, 2);
    assert_string_equal (fixture->cert->surveillance[0], "2027-11-23");
}

static void
test_status_on_a_day (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"), 0);
    Cf__Certificate *cert = fixture->cert;
    assert_int_equal (cf_certificate_status_on (cert, s_day ("2026-11-23")),
                      CF__CERT_STATUS__CERT_STATUS_VALID);
    assert_int_equal (cf_certificate_status_on (cert, s_day ("2029-11-23")),
                      CF__CERT_STATUS__CERT_STATUS_VALID);
    assert_int_equal (cf_certificate_status_on (cert, s_day ("2029-11-24")),
                      CF__CERT_STATUS__CERT_STATUS_EXPIRED);
    cert->status = CF__CERT_STATUS__CERT_STATUS_SUSPENDED;
    assert_int_equal (cf_certificate_status_on (cert, s_day ("2027-01-01")),
                      CF__CERT_STATUS__CERT_STATUS_SUSPENDED);
    cert->status = CF__CERT_STATUS__CERT_STATUS_WITHDRAWN;
    assert_int_equal (cf_certificate_status_on (cert, s_day ("2030-01-01")),
                      CF__CERT_STATUS__CERT_STATUS_WITHDRAWN);
    cert->status = CF__CERT_STATUS__CERT_STATUS_VALID;
    cf_pb_set_string (&cert->expiry_date, "someday");
    assert_int_equal (cf_certificate_status_on (cert, s_day ("2027-01-01")),
                      CF__CERT_STATUS__CERT_STATUS_UNSPECIFIED);
}

//  Asserts every line of page is 80 columns wide, as a terminal counts
//  them, and framed by the border
static void
s_assert_framed (const char *page)
{
    assert_non_null (setlocale (LC_CTYPE, "C.UTF-8"));
    const char *line = page;
    size_t lines = 0;
    while (*line) {
        const char *end = strchr (line, '\n');
        assert_non_null (end);
        char *copy = strndup (line, (size_t)(end - line));
        wchar_t wide[256];
        size_t count = mbstowcs (wide, copy, 256);
        assert_true (count != (size_t)-1 && count < 256);
        if (wcswidth (wide, count) != 80)
            fail_msg ("line %zu is %d columns: %s", lines + 1,
                      wcswidth (wide, count), copy);
        assert_true (copy[0] == '|' || copy[0] == '+');
        assert_true (end[-1] == '|' || end[-1] == '+');
        free (copy);
        line = end + 1;
        lines++;
    }
    assert_true (lines > 20);
    setlocale (LC_CTYPE, "C");
}

static void
test_render_shows_what_a_reader_needs (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"), 0);
    char *page = cf_certificate_render (fixture->scheme, fixture->cert, NULL);
    assert_non_null (strstr (page, "证书编号 Certificate No.: " NUMBER));
    assert_non_null (strstr (page, HOLDER));
    assert_non_null (strstr (page, "有效期至 Valid until: 2029-11-23"));
    assert_non_null (strstr (page, "发证日期 Issue date: 2026-11-23"));
    assert_non_null (strstr (page, "GB/T 27922-2011"));
    assert_non_null (strstr (page, "四星级 four-star ★★★★ "));
    assert_null (strstr (page, "★★★★★"));
    assert_non_null (strstr (page, "91.5"));
    assert_non_null (strstr (page, "2028-11-23"));
    assert_non_null (strstr (page, fixture->scheme->issuer));
    assert_non_null (
        strstr (page, "Check validity: certflow certificate check " NUMBER));
    s_assert_framed (page);
    free (page);
}

static void
test_render_grades_and_labels (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "compliant"), 0);
    char *page = cf_certificate_render (fixture->scheme, fixture->cert, NULL);
    assert_non_null (strstr (page, "达标级 compliant "));
    assert_null (strstr (page, "★"));
    free (page);

    cf_pb_free (&fixture->record->original);
    fixture->record->original = s_score (96.0, "five_star");
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "three_star"), 0);
    page =
        cf_certificate_render (fixture->scheme, fixture->cert, "三星 3-star");
    assert_non_null (strstr (page, "三星 3-star ★★★ "));
    assert_null (strstr (page, "★★★★"));
    free (page);
}

static void
test_render_wraps_and_cleans_long_values (void **state)
{
    fixture_t *fixture = *state;
    Cf__Application *application = fixture->record->application;
    cf_pb_set_string (&application->company_name,
                      "福建省闽江流域家用电器及厨房电器售后服务与维修技术有限"
                      "责任公司第一分公司 Minjiang Basin Household and "
                      "Kitchen Appliance After-sales Service Co., Ltd.\n"
                      "\x01 branch \xff");
    assert_int_equal (s_build (fixture, NUMBER, "2026-11-23", "four_star"), 0);
    char *page = cf_certificate_render (fixture->scheme, fixture->cert, NULL);
    assert_null (strchr (page, '\x01'));
    assert_null (strstr (page, "\xff"));
    assert_non_null (strstr (page, "branch ?"));
    s_assert_framed (page);
    free (page);
}

int
main (void)
{
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_build_fills_every_field),
        TEST (test_build_takes_the_score_after_rectification),
        TEST (test_build_on_a_leap_day),
        TEST (test_build_refuses_issue_before_the_decision),
        TEST (test_build_allows_issue_on_the_decision_day),
        TEST (test_build_needs_a_grant),
        TEST (test_build_needs_a_score_and_an_application),
        TEST (test_number_form),
        TEST (test_build_refuses_a_bad_number),
        TEST (test_build_checks_the_grade),
        TEST (test_build_records_an_early_star_override),
        TEST (test_surveillance_plan_follows_the_scheme),
        TEST (test_status_on_a_day),
        TEST (test_render_shows_what_a_reader_needs),
        TEST (test_render_grades_and_labels),
        TEST (test_render_wraps_and_cleans_long_values),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
