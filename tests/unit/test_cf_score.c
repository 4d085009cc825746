/*  Unit tests for cf_score: hand-worked scores at every grade boundary of
    the default scheme (A1-A7 = 6,6,6,8,5,5,4; B1-B6 = 6,7,6,8,8,5;
    C1-C2 = 10,10), with exclusions, sampling, the ±1 items, clamping, and
    the 12-month star rule with its recorded override.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_pb.h"
#include "cf_score.h"

static const char *s_codes[] = {"A1", "A2", "A3", "A4", "A5", "A6", "A7", "B1",
                                "B2", "B3", "B4", "B5", "B6", "C1", "C2"};
static const double s_points[] = {6, 6, 6, 8, 5, 5,  4, 6,
                                  7, 6, 8, 8, 5, 10, 10};
#define INDICATORS 15

typedef struct {
    cf_scheme_t *scheme;      //  Default scheme
    Cf__ScoreSheet *sheet;    //  Full marks to start with
    cf_problems_t *problems;  //  What the last call reported
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_int_equal (cf_scheme_default (&fixture->scheme), 0);
    fixture->sheet = cf_pb_new (&cf__score_sheet__descriptor);
    for (size_t index = 0; index < INDICATORS; index++) {
        Cf__IndicatorScore *item = cf_pb_new (&cf__indicator_score__descriptor);
        cf_pb_set_string (&item->code, s_codes[index]);
        item->earned = s_points[index];
        cf_pb_append (&fixture->sheet->n_items,
                      (void ***)&fixture->sheet->items, item);
    }
    fixture->problems = cf_problems_new ();
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    cf_scheme_destroy (&fixture->scheme);
    cf_pb_free (&fixture->sheet);
    cf_problems_destroy (&fixture->problems);
    free (fixture);
    return 0;
}

static Cf__IndicatorScore *
s_item (fixture_t *fixture, const char *code)
{
    for (size_t index = 0; index < fixture->sheet->n_items; index++)
        if (strcmp (fixture->sheet->items[index]->code, code) == 0)
            return fixture->sheet->items[index];
    fail_msg ("no item %s", code);
    return NULL;
}

static cf_score_t
s_compute (fixture_t *fixture)
{
    cf_score_t score;
    cf_problems_reset (fixture->problems);
    int rc = cf_score_compute (fixture->scheme, fixture->sheet, &score,
                               fixture->problems);
    if (rc != 0) {
        char *text = cf_problems_join (fixture->problems);
        fail_msg ("cf_score_compute: %s", text);
    }
    return score;
}

static const char *
s_grade (const cf_score_t *score)
{
    return score->grade ? score->grade->name : "fail";
}

static void
s_add_special (Cf__SpecialItem **slot, const char *reason)
{
    Cf__SpecialItem *special = cf_pb_new (&cf__special_item__descriptor);
    cf_pb_set_string (&special->reason, reason);
    *slot = special;
}

static void
s_add_deduction (fixture_t *fixture, const char *reason)
{
    //  A deduction is rectified through the nonconformity raised for it
    Cf__Nonconformity *finding = cf_pb_new (&cf__nonconformity__descriptor);
    char id[16];
    snprintf (id, sizeof id, "NC-D%zu",
              fixture->sheet->n_special_deductions + 1);
    cf_pb_set_string (&finding->id, id);
    cf_pb_set_string (&finding->indicator, "A4");
    finding->severity = CF__SEVERITY__SEVERITY_MAJOR;
    cf_pb_append (&fixture->sheet->n_nonconformities,
                  (void ***)&fixture->sheet->nonconformities, finding);
    Cf__SpecialItem *special = NULL;
    s_add_special (&special, reason);
    cf_pb_set_string (&special->nonconformity, id);
    cf_pb_append (&fixture->sheet->n_special_deductions,
                  (void ***)&fixture->sheet->special_deductions, special);
}

//  ------------------------------------------------------------------------

static void
test_full_marks_is_100_five_star (void **state)
{
    fixture_t *fixture = *state;
    cf_score_t score = s_compute (fixture);
    assert_int_equal (score.earned, 10000);
    assert_int_equal (score.applicable, 10000);
    assert_int_equal (score.score_tenths, 1000);
    assert_string_equal (s_grade (&score), "five_star");
    assert_true (cf_score_grantable (&score));
}

static void
test_boundaries_without_exclusions (void **state)
{
    fixture_t *fixture = *state;
    //  Earned = 100 − losses; applicable = 100, so score = earned
    struct {
        double c1, c2, a7;  //  Points given to C1, C2 and A7
        int32_t tenths;     //  Expected score
        const char *grade;  //  Expected grade
    } cases[] = {
        {0, 0, 3.95, 800, "three_star"},  //  79.95 rounds half up to 80.0
        {0, 0, 3.94, 799, "compliant"},   //  79.94 → 79.9
        {0, 0, 4, 800, "three_star"},     //  80.00
        {0, 0, 3.9, 799, "compliant"},    //  79.90
        {0, 0.1, 0, 761, "compliant"},    //  76.1
        {0, 0, 0, 760, "compliant"},      //  76.0
        {5, 5, 4, 900, "four_star"},      //  90.0
        {10, 4.9, 4, 949, "four_star"},   //  94.9
        {10, 4.95, 4, 950, "five_star"},  //  94.95 → 95.0
        {10, 5, 4, 950, "five_star"},     //  95.0
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        s_item (fixture, "C1")->earned = cases[index].c1;
        s_item (fixture, "C2")->earned = cases[index].c2;
        s_item (fixture, "A7")->earned = cases[index].a7;
        cf_score_t score = s_compute (fixture);
        assert_int_equal (score.score_tenths, cases[index].tenths);
        assert_string_equal (s_grade (&score), cases[index].grade);
    }
}

static void
test_fail_below_70 (void **state)
{
    fixture_t *fixture = *state;
    //  Lose C1, C2, A7, B6 (29) and 1.1 of A4: earned 69.9
    s_item (fixture, "C1")->earned = 0;
    s_item (fixture, "C2")->earned = 0;
    s_item (fixture, "A7")->earned = 0;
    s_item (fixture, "B6")->earned = 0;
    s_item (fixture, "A4")->earned = 6.9;
    cf_score_t score = s_compute (fixture);
    assert_int_equal (score.score_tenths, 699);
    assert_null (score.grade);
    assert_false (cf_score_grantable (&score));
    //  69.95 rounds to 70.0: compliant
    s_item (fixture, "A4")->earned = 6.95;
    score = s_compute (fixture);
    assert_int_equal (score.score_tenths, 700);
    assert_string_equal (s_grade (&score), "compliant");
    //  Exactly 70.00
    s_item (fixture, "A4")->earned = 7;
    score = s_compute (fixture);
    assert_int_equal (score.score_tenths, 700);
    assert_string_equal (s_grade (&score), "compliant");
}

static void
test_exclusions_leave_the_applicable_total (void **state)
{
    fixture_t *fixture = *state;
    //  Exclude B6 (5): applicable 95. Earned 76 of 95 = 80.0 exactly.
    Cf__IndicatorScore *b6 = s_item (fixture, "B6");
    b6->excluded = true;
    b6->earned = 0;
    cf_pb_set_string (&b6->exclusion_reason, "no goods reach end of life");
    s_item (fixture, "C1")->earned = 0;
    s_item (fixture, "C2")->earned = 1;
    cf_score_t score = s_compute (fixture);
    assert_int_equal (score.applicable, 9500);
    assert_int_equal (score.earned, 7600);
    assert_int_equal (score.score_tenths, 800);
    assert_string_equal (s_grade (&score), "three_star");
    //  75.95 / 95 = 79.947 → 79.9
    s_item (fixture, "C2")->earned = 0.95;
    score = s_compute (fixture);
    assert_int_equal (score.score_tenths, 799);
    assert_string_equal (s_grade (&score), "compliant");
    //  66.5 / 95 = 70.0 exactly
    s_item (fixture, "C2")->earned = 0;
    s_item (fixture, "A4")->earned = 0;
    s_item (fixture, "A3")->earned = 5.5;
    score = s_compute (fixture);
    assert_int_equal (score.earned, 6650);
    assert_int_equal (score.score_tenths, 700);
    //  The excluded indicator's own earned points are ignored
    b6->earned = 5;
    score = s_compute (fixture);
    assert_int_equal (score.earned, 6650);
}

static void
test_sampled_indicators_lose_in_proportion (void **state)
{
    fixture_t *fixture = *state;
    Cf__IndicatorScore *b4 = s_item (fixture, "B4");  //  8 points
    b4->earned = 0;
    b4->samples = 10;
    b4->samples_failed = 1;  //  8 × 9/10 = 7.20
    cf_score_t score = s_compute (fixture);
    assert_int_equal (score.earned, 10000 - 80);
    assert_int_equal (score.score_tenths, 992);
    b4->samples = 3;  //  8 × 2/3 = 5.333 → 5.33
    score = s_compute (fixture);
    assert_int_equal (score.earned, 10000 - 800 + 533);
    Cf__IndicatorScore *b6 = s_item (fixture, "B6");  //  5 points
    b6->earned = 0;
    b6->samples = 8;
    b6->samples_failed = 1;  //  5 × 7/8 = 4.375 → 4.38
    score = s_compute (fixture);
    assert_int_equal (score.earned, 10000 - 800 + 533 - 500 + 438);
    b6->samples_failed = 8;  //  every sample fails: 0
    score = s_compute (fixture);
    assert_int_equal (score.earned, 10000 - 800 + 533 - 500);
}

static void
test_bonus_and_deductions (void **state)
{
    fixture_t *fixture = *state;
    //  Base 79.0 + bonus = 80.0 three-star
    s_item (fixture, "C1")->earned = 0;
    s_item (fixture, "C2")->earned = 0;
    s_item (fixture, "A7")->earned = 3;
    s_add_special (&fixture->sheet->special_bonus,
                   "sector-leading recall system");
    cf_score_t score = s_compute (fixture);
    assert_int_equal (score.base_tenths, 790);
    assert_int_equal (score.bonus, 1);
    assert_int_equal (score.score_tenths, 800);
    assert_string_equal (s_grade (&score), "three_star");
    //  Two deductions: 79.0 + 1 − 2 = 78.0
    s_add_deduction (fixture, "warranty card misstates the law");
    s_add_deduction (fixture, "complaint log not kept for one month");
    score = s_compute (fixture);
    assert_int_equal (score.deductions, 2);
    assert_int_equal (score.score_tenths, 780);
    assert_int_equal (score.open_nonconformities, 2);
    assert_string_equal (s_grade (&score), "compliant");
}

static void
test_clamped_to_0_and_100 (void **state)
{
    fixture_t *fixture = *state;
    //  99.5 + 1 = 100.5 → 100.0
    s_item (fixture, "A1")->earned = 5.5;
    s_add_special (&fixture->sheet->special_bonus, "exemplary");
    cf_score_t score = s_compute (fixture);
    assert_int_equal (score.base_tenths, 995);
    assert_int_equal (score.score_tenths, 1000);
    //  0.5 − 1 → 0.0
    cf_pb_free (&fixture->sheet->special_bonus);
    for (size_t index = 0; index < fixture->sheet->n_items; index++)
        fixture->sheet->items[index]->earned = 0;
    s_item (fixture, "A1")->earned = 0.5;
    s_add_deduction (fixture, "unlawful practice");
    score = s_compute (fixture);
    assert_int_equal (score.base_tenths, 5);
    assert_int_equal (score.score_tenths, 0);
    assert_null (score.grade);
}

static void
test_open_nonconformities_block_the_grant (void **state)
{
    fixture_t *fixture = *state;
    Cf__Nonconformity *finding = cf_pb_new (&cf__nonconformity__descriptor);
    cf_pb_set_string (&finding->id, "NC-1");
    cf_pb_set_string (&finding->indicator, "C2");
    finding->severity = CF__SEVERITY__SEVERITY_MINOR;
    cf_pb_set_string (&finding->due_date, "2027-01-31");
    cf_pb_append (&fixture->sheet->n_nonconformities,
                  (void ***)&fixture->sheet->nonconformities, finding);
    cf_score_t score = s_compute (fixture);
    assert_int_equal (score.open_nonconformities, 1);
    assert_false (cf_score_grantable (&score));
    finding->closed = true;
    score = s_compute (fixture);
    assert_int_equal (score.open_nonconformities, 0);
    assert_true (cf_score_grantable (&score));
}

static void
s_expect_problem (fixture_t *fixture, const char *code)
{
    cf_score_t score = {.score_tenths = -5};
    cf_problems_reset (fixture->problems);
    assert_int_equal (cf_score_compute (fixture->scheme, fixture->sheet, &score,
                                        fixture->problems),
                      CF_EINVAL);
    if (!cf_problems_has (fixture->problems, code)) {
        char *text = cf_problems_join (fixture->problems);
        fail_msg ("expected %s, got: %s", code, text);
    }
    assert_int_equal (score.score_tenths, -5);
}

static void
test_sheet_errors_are_named (void **state)
{
    fixture_t *fixture = *state;
    Cf__IndicatorScore *a1 = s_item (fixture, "A1");
    a1->earned = 6.5;
    s_expect_problem (fixture, "sheet.earned_range");
    a1->earned = -1;
    s_expect_problem (fixture, "sheet.earned_range");
    a1->earned = 5.555;
    s_expect_problem (fixture, "sheet.earned_decimals");
    a1->earned = 0;
    a1->samples = 4;
    a1->samples_failed = 5;
    s_expect_problem (fixture, "sheet.samples");
    a1->samples_failed = 1;
    a1->earned = 3;
    s_expect_problem (fixture, "sheet.earned_and_samples");
    a1->earned = 0;
    a1->excluded = true;
    s_expect_problem (fixture, "sheet.exclusion_reason");
    a1->excluded = false;
    cf_pb_set_string (&a1->code, "A9");
    s_expect_problem (fixture, "sheet.unknown_indicator");
    s_expect_problem (fixture, "sheet.missing_indicator");
    cf_pb_set_string (&a1->code, "A2");
    s_expect_problem (fixture, "sheet.duplicate_indicator");
    cf_pb_set_string (&a1->code, "A1");
    s_add_special (&fixture->sheet->special_bonus, "");
    s_expect_problem (fixture, "sheet.bonus_reason");
    cf_pb_free (&fixture->sheet->special_bonus);
    s_add_deduction (fixture, "");
    s_expect_problem (fixture, "sheet.deduction_reason");
    cf_pb_set_string (&fixture->sheet->special_deductions[0]->reason, "x");
    cf_pb_set_string (&fixture->sheet->special_deductions[0]->nonconformity,
                      "NC-9");
    s_expect_problem (fixture, "sheet.deduction_nc");
}

static void
test_nonconformity_errors_are_named (void **state)
{
    fixture_t *fixture = *state;
    Cf__Nonconformity *first = cf_pb_new (&cf__nonconformity__descriptor);
    cf_pb_set_string (&first->id, "NC-1");
    cf_pb_set_string (&first->indicator, "A4");
    cf_pb_append (&fixture->sheet->n_nonconformities,
                  (void ***)&fixture->sheet->nonconformities, first);
    s_expect_problem (fixture, "sheet.nc_severity");
    first->severity = 7;  //  Out of the enum: a decoder lets it in
    s_expect_problem (fixture, "sheet.nc_severity");
    first->severity = CF__SEVERITY__SEVERITY_MAJOR;
    cf_pb_set_string (&first->indicator, "Z1");
    s_expect_problem (fixture, "sheet.nc_indicator");
    cf_pb_set_string (&first->indicator, "A4");
    cf_pb_set_string (&first->due_date, "2027-02-30");
    s_expect_problem (fixture, "sheet.nc_due_date");
    cf_pb_set_string (&first->due_date, "");
    Cf__Nonconformity *second = cf_pb_dup (&first->base);
    cf_pb_append (&fixture->sheet->n_nonconformities,
                  (void ***)&fixture->sheet->nonconformities, second);
    s_expect_problem (fixture, "sheet.nc_duplicate");
    cf_pb_set_string (&second->id, "");
    s_expect_problem (fixture, "sheet.nc_id");
    cf_pb_set_string (&second->id, "NC-2");
    cf_pb_set_string (&fixture->sheet->audit_date, "yesterday");
    s_expect_problem (fixture, "sheet.audit_date");
}

static void
test_every_indicator_excluded_is_refused (void **state)
{
    fixture_t *fixture = *state;
    for (size_t index = 0; index < fixture->sheet->n_items; index++) {
        fixture->sheet->items[index]->excluded = true;
        cf_pb_set_string (&fixture->sheet->items[index]->exclusion_reason,
                          "not applicable");
    }
    s_expect_problem (fixture, "sheet.all_excluded");
}

static void
test_stars_wait_twelve_months (void **state)
{
    fixture_t *fixture = *state;
    const cf_scheme_t *scheme = fixture->scheme;
    const cf_grade_t *four = cf_scheme_grade_named (scheme, "four_star");
    const cf_grade_t *compliant = cf_scheme_grade_named (scheme, "compliant");
    assert_non_null (four);
    assert_non_null (compliant);
    cf_day_t decision;
    assert_int_equal (cf_date_parse ("2026-11-23", &decision), 0);
    const cf_grade_t *granted = NULL;

    //  First compliant exactly 12 months before: stars granted
    assert_int_equal (cf_score_grant_grade (scheme, four, "2025-11-23",
                                            decision, false, NULL, &granted,
                                            NULL),
                      0);
    assert_ptr_equal (granted, four);
    //  One day short: lowered to compliant
    assert_int_equal (cf_score_grant_grade (scheme, four, "2025-11-24",
                                            decision, false, NULL, &granted,
                                            NULL),
                      0);
    assert_ptr_equal (granted, compliant);
    //  Never compliant before: compliant
    assert_int_equal (cf_score_grant_grade (scheme, four, "", decision, false,
                                            NULL, &granted, NULL),
                      0);
    assert_ptr_equal (granted, compliant);
    //  The committee's override with a recorded reason keeps the stars
    assert_int_equal (cf_score_grant_grade (scheme, four, "", decision, true,
                                            "成绩特别显著 outstanding results",
                                            &granted, NULL),
                      0);
    assert_ptr_equal (granted, four);
    //  An override without a reason is refused
    assert_int_equal (cf_score_grant_grade (scheme, four, "", decision, true,
                                            "", &granted, fixture->problems),
                      CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "grade.override_reason"));
    //  A compliant grade needs no waiting
    assert_int_equal (cf_score_grant_grade (scheme, compliant, "", decision,
                                            false, NULL, &granted, NULL),
                      0);
    assert_ptr_equal (granted, compliant);
    //  A fail grants nothing; a bad date is named
    assert_int_equal (cf_score_grant_grade (scheme, NULL, "", decision, false,
                                            NULL, &granted, NULL),
                      CF_EGUARD);
    assert_int_equal (cf_score_grant_grade (scheme, four, "2025-13-01",
                                            decision, false, NULL, &granted,
                                            NULL),
                      CF_EINVAL);
}

static void
test_result_and_format (void **state)
{
    fixture_t *fixture = *state;
    s_item (fixture, "C2")->earned = 4.95;
    cf_score_t score = s_compute (fixture);
    Cf__ScoreResult *result = cf_pb_new (&cf__score_result__descriptor);
    cf_score_to_result (&score, result);
    assert_true (result->score > 94.99 && result->score < 95.01);
    assert_true (result->earned > 94.94 && result->earned < 94.96);
    assert_string_equal (result->grade, "five_star");
    cf_score_to_result (&score, result);  //  Replacing frees the old grade
    cf_pb_free (&result);
    char buffer[8];
    assert_string_equal (cf_score_format (799, buffer), "79.9");
    assert_string_equal (cf_score_format (1000, buffer), "100.0");
    assert_string_equal (cf_score_format (0, buffer), "0.0");
}

int
main (void)
{
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_full_marks_is_100_five_star),
        TEST (test_boundaries_without_exclusions),
        TEST (test_fail_below_70),
        TEST (test_exclusions_leave_the_applicable_total),
        TEST (test_sampled_indicators_lose_in_proportion),
        TEST (test_bonus_and_deductions),
        TEST (test_clamped_to_0_and_100),
        TEST (test_open_nonconformities_block_the_grant),
        TEST (test_sheet_errors_are_named),
        TEST (test_nonconformity_errors_are_named),
        TEST (test_every_indicator_excluded_is_refused),
        TEST (test_stars_wait_twelve_months),
        TEST (test_result_and_format),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
