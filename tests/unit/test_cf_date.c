/*  Unit tests for cf_date and cf_problems: calendar arithmetic, strict date
    parsing, and the problem list every validator reports into.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_error.h"
#include "cf_problems.h"

static cf_day_t
s_day (const char *text)
{
    cf_day_t day = 0;
    assert_int_equal (cf_date_parse (text, &day), 0);
    return day;
}

static void
test_parse_and_format_round_trip (void **state)
{
    (void)state;
    char buffer[11];
    assert_int_equal (s_day ("1970-01-01"), 0);
    assert_int_equal (s_day ("1970-01-02"), 1);
    assert_int_equal (s_day ("1969-12-31"), -1);
    assert_int_equal (s_day ("2000-03-01") - s_day ("2000-02-28"), 2);
    assert_int_equal (s_day ("1900-03-01") - s_day ("1900-02-28"), 1);
    const char *dates[] = {"1900-01-01", "2024-02-29", "2026-11-23",
                           "9999-12-31", "2100-02-28"};
    for (size_t index = 0; index < 5; index++)
        assert_string_equal (cf_date_format (s_day (dates[index]), buffer),
                             dates[index]);
}

static void
test_parse_refuses_what_is_not_a_date (void **state)
{
    (void)state;
    const char *bad[] = {
        "",           "2026-1-01",  "2026-13-01", "2026-00-10",  "2026-02-29",
        "2023-04-31", "1899-12-31", "2026/01/01", "2026-01-01T", "20260101",
        "abcd-ef-gh", "2026-01-32", "2026-01-00"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        cf_day_t day = 12345;
        assert_int_equal (cf_date_parse (bad[index], &day), CF_EINVAL);
        assert_int_equal (day, 12345);
    }
    cf_day_t day;
    assert_int_equal (cf_date_parse (NULL, &day), CF_EINVAL);
}

static void
test_add_months_clamps_to_month_end (void **state)
{
    (void)state;
    char buffer[11];
    assert_string_equal (
        cf_date_format (cf_date_add_months (s_day ("2024-01-31"), 1), buffer),
        "2024-02-29");
    assert_string_equal (
        cf_date_format (cf_date_add_months (s_day ("2024-02-29"), 12), buffer),
        "2025-02-28");
    assert_string_equal (
        cf_date_format (cf_date_add_months (s_day ("2026-11-23"), 36), buffer),
        "2029-11-23");
    assert_string_equal (
        cf_date_format (cf_date_add_months (s_day ("2026-03-31"), -1), buffer),
        "2026-02-28");
    assert_string_equal (
        cf_date_format (cf_date_add_months (s_day ("2026-01-15"), -13), buffer),
        "2024-12-15");
}

static void
test_instants_are_china_standard_time (void **state)
{
    (void)state;
    //  2026-11-23 16:00 UTC is 2026-11-24 00:00 in Beijing
    int64_t ms = cf_date_to_ms (s_day ("2026-11-24"));
    assert_int_equal (cf_date_from_ms (ms), s_day ("2026-11-24"));
    assert_int_equal (cf_date_from_ms (ms - 1), s_day ("2026-11-23"));
    assert_int_equal (ms % 86400000, 16LL * 3600 * 1000);
}

//  Instants come from the wire: one near INT64_MAX overflowed the day
//  arithmetic (UBSan) when a client showed it
static void
test_instants_far_out_are_clamped (void **state)
{
    (void)state;
    char date[11];
    assert_string_equal (cf_date_format (cf_date_from_ms (INT64_MAX), date),
                         "9999-12-31");
    assert_string_equal (cf_date_format (cf_date_from_ms (INT64_MIN), date),
                         "0000-01-01");
    assert_string_equal (
        cf_date_format (cf_date_from_ms (CF_DATE_MS_MAX), date), "9999-12-31");
    assert_string_equal (
        cf_date_format (cf_date_from_ms (CF_DATE_MS_MAX + 1), date),
        "9999-12-31");
    assert_string_equal (
        cf_date_format (cf_date_from_ms (CF_DATE_MS_MIN), date), "0000-01-01");
    assert_int_equal (cf_date_to_ms (cf_date_from_ymd (10000, 1, 1)),
                      CF_DATE_MS_MAX + 1);
    assert_int_equal (cf_date_to_ms (cf_date_from_ymd (0, 1, 1)),
                      CF_DATE_MS_MIN);
}

static void
test_problems_collect_and_join (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_problems_size (problems), 0);
    char *empty = cf_problems_join (problems);
    assert_string_equal (empty, "");
    free (empty);
    cf_problems_add (problems, "uscc", "is %d characters, needs %d", 17, 18);
    cf_problems_add (problems, "materials.M07", "missing");
    assert_int_equal (cf_problems_size (problems), 2);
    assert_true (cf_problems_has (problems, "uscc"));
    assert_false (cf_problems_has (problems, "usc"));
    assert_string_equal (cf_problems_message (problems, 0),
                         "is 17 characters, needs 18");
    char *joined = cf_problems_join (problems);
    assert_string_equal (
        joined, "uscc: is 17 characters, needs 18; materials.M07: missing");
    free (joined);
    cf_problems_add (NULL, "ignored", "nothing happens");
    cf_problems_reset (problems);
    assert_int_equal (cf_problems_size (problems), 0);
    cf_problems_destroy (&problems);
    assert_null (problems);
    cf_problems_destroy (&problems);
}

static void
test_error_names_and_texts (void **state)
{
    (void)state;
    assert_string_equal (cf_errname (CF_EGUARD), "CF_EGUARD");
    assert_string_equal (cf_errname (0), "CF_OK");
    assert_string_equal (cf_errname (-999), "CF_E?");
    assert_int_equal (
        strncmp (cf_strerror (CF_ESTOREFULL), "CF_ESTOREFULL:", 14), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parse_and_format_round_trip),
        cmocka_unit_test (test_parse_refuses_what_is_not_a_date),
        cmocka_unit_test (test_add_months_clamps_to_month_end),
        cmocka_unit_test (test_instants_are_china_standard_time),
        cmocka_unit_test (test_instants_far_out_are_clamped),
        cmocka_unit_test (test_problems_collect_and_join),
        cmocka_unit_test (test_error_names_and_texts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
