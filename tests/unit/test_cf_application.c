/*  Unit tests for cf_application: the credit-code checker, the three
    verdicts on an application (malformed, ineligible, incomplete) with
    their boundaries, and the supplement findings for missing materials.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_application.h"
#include "cf_date.h"
#include "cf_error.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_scheme.h"

//  The day the tests apply on, unless a test says otherwise
#define S_TODAY "2026-06-15"

static cf_day_t
s_day (const char *text)
{
    cf_day_t day = 0;
    assert_int_equal (cf_date_parse (text, &day), 0);
    return day;
}

static int
s_scheme_setup (void **state)
{
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    //  The boundaries below are written for the default scheme's numbers
    assert_int_equal (scheme->system_min_months, 3);
    assert_int_equal (scheme->accident_lookback_months, 12);
    *state = scheme;
    return 0;
}

static int
s_scheme_teardown (void **state)
{
    cf_scheme_t *scheme = *state;
    cf_scheme_destroy (&scheme);
    return 0;
}

static void
s_add_material (Cf__Application *app, const char *code, const char *reference)
{
    Cf__Material *material = cf_pb_new (&cf__material__descriptor);
    cf_pb_set_string (&material->code, code);
    cf_pb_set_string (&material->reference, reference);
    cf_pb_append (&app->n_materials, (void ***)&app->materials, material);
}

static void
s_add_outlet (Cf__Application *app, const char *name, const char *address)
{
    Cf__Outlet *outlet = cf_pb_new (&cf__outlet__descriptor);
    cf_pb_set_string (&outlet->name, name);
    cf_pb_set_string (&outlet->address, address);
    cf_pb_append (&app->n_outlets, (void ***)&app->outlets, outlet);
}

//  Removes every listing of a material code
static void
s_remove_material (Cf__Application *app, const char *code)
{
    size_t kept = 0;
    for (size_t index = 0; index < app->n_materials; index++) {
        Cf__Material *material = app->materials[index];
        if (strcmp (material->code, code) == 0)
            cf_pb_free (&material);
        else
            app->materials[kept++] = material;
    }
    app->n_materials = kept;
}

//  A well-formed, eligible, complete application as of S_TODAY (no licence
//  needed, so no M03)
static Cf__Application *
s_application (void)
{
    Cf__Application *app = cf_pb_new (&cf__application__descriptor);
    cf_pb_set_string (&app->company_name, "杭州云溪家用电器有限公司");
    cf_pb_set_string (&app->uscc, "91330110MA2J7R4N38");
    cf_pb_set_string (&app->registered_address, "杭州市余杭区文一西路1888号");
    cf_pb_set_string (&app->operating_address, "杭州市余杭区文一西路1888号");
    cf_pb_set_string (&app->sector, "SC03");
    cf_pb_append_string (&app->n_scope, &app->scope, "电饭煲 rice cookers");
    app->employees = 420;
    s_add_outlet (app, "杭州服务中心", "杭州市拱墅区莫干山路100号");
    s_add_outlet (app, "上海服务站", "上海市闵行区七莘路200号");
    cf_pb_set_string (&app->system_start_date, "2024-03-01");
    app->independent_legal_entity = true;
    app->lawful_operation = true;
    app->no_major_accident = true;
    char code[4];
    for (int number = 1; number <= CF_APPLICATION_MATERIALS; number++) {
        snprintf (code, sizeof code, "M%02d", number);
        if (strcmp (code, "M03"))
            s_add_material (app, code, "doc.pdf");
    }
    cf_pb_set_string (&app->contact_name, "陈晓燕");
    cf_pb_set_string (&app->contact_phone, "0571-86001234");
    cf_pb_set_string (&app->contact_email, "cert@yunxi.example.com");
    cf_pb_set_string (&app->application_date, "2026-06-01");
    return app;
}

//  Validates app on today and checks the result code and, when code is not
//  NULL, that a problem with that code was listed
static void
s_expect (const cf_scheme_t *scheme, const Cf__Application *app,
          const char *today, int expected, const char *code)
{
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_application_validate (scheme, app, s_day (today), problems);
    char *joined = cf_problems_join (problems);
    if (rc != expected || (code && !cf_problems_has (problems, code)))
        fail_msg ("expected %s with %s, got %s: %s", cf_errname (expected),
                  code ? code : "no problem", cf_errname (rc), joined);
    if (expected == 0)
        assert_int_equal (cf_problems_size (problems), 0);
    free (joined);
    cf_problems_destroy (&problems);
}

//  --------------------------------------------------------------------------
//  Unified social credit codes

static void
test_uscc_accepts_real_codes (void **state)
{
    (void)state;
    const char *codes[] = {
        "914403001922038216",  //  华为技术有限公司
        "9144030071526726XG",  //  深圳市腾讯计算机系统有限公司
        "91330100716105852F",  //  阿里巴巴（中国）有限公司
        "91110000802100433B",  //  北京百度网讯科技有限公司
        "91330110MA2J7R4N38",  //  made up for the examples
    };
    cf_problems_t *problems = cf_problems_new ();
    for (size_t index = 0; index < sizeof codes / sizeof codes[0]; index++)
        assert_int_equal (cf_application_check_uscc (codes[index], problems),
                          0);
    assert_int_equal (cf_problems_size (problems), 0);
    cf_problems_destroy (&problems);
}

static void
test_uscc_wrong_check_digit_says_what_it_should_be (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_check_uscc ("914403001922038210", problems), CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0), "uscc.check_digit");
    assert_string_equal (cf_problems_message (problems, 0),
                         "check digit is '0', the code computes to '6'");
    //  Two neighbours swapped: the weights catch it
    cf_problems_reset (problems);
    assert_int_equal (
        cf_application_check_uscc ("914403001922038261", problems), CF_EINVAL);
    assert_true (cf_problems_has (problems, "uscc.check_digit"));
    cf_problems_destroy (&problems);
}

static void
test_uscc_wrong_length (void **state)
{
    (void)state;
    const char *codes[] = {"", "91440300192203821", "9144030019220382166"};
    for (size_t index = 0; index < 3; index++) {
        cf_problems_t *problems = cf_problems_new ();
        assert_int_equal (cf_application_check_uscc (codes[index], problems),
                          CF_EINVAL);
        assert_int_equal (cf_problems_size (problems), 1);
        assert_string_equal (cf_problems_code (problems, 0), "uscc.length");
        assert_non_null (strstr (cf_problems_message (problems, 0), "has 18"));
        cf_problems_destroy (&problems);
    }
}

static void
test_uscc_refuses_characters_outside_the_set (void **state)
{
    (void)state;
    //  Each of I, O, S, V, Z in place of a character of a valid code
    const char *letters = "IOSVZ";
    for (const char *letter = letters; *letter; letter++) {
        char code[] = "9144030071526726XG";
        code[9] = *letter;
        cf_problems_t *problems = cf_problems_new ();
        assert_int_equal (cf_application_check_uscc (code, problems),
                          CF_EINVAL);
        assert_int_equal (cf_problems_size (problems), 1);
        assert_string_equal (cf_problems_code (problems, 0), "uscc.charset");
        char expected[80];
        snprintf (expected, sizeof expected, "'%c' at position 10", *letter);
        assert_non_null (strstr (cf_problems_message (problems, 0), expected));
        cf_problems_destroy (&problems);
    }
}

static void
test_uscc_lower_case_asks_for_upper_case (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_check_uscc ("9144030071526726xg", problems), CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0), "uscc.charset");
    assert_string_equal (cf_problems_message (problems, 0),
                         "'x' at position 17 is lower case: write the code in "
                         "upper case");
    cf_problems_destroy (&problems);
}

static void
test_uscc_spaces_and_full_width_digits (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_check_uscc ("914403 001922038216", problems), CF_EINVAL);
    assert_true (cf_problems_has (problems, "uscc.length"));
    assert_non_null (strstr (cf_problems_message (problems, 1), "space"));
    cf_problems_reset (problems);
    //  A full-width nine (U+FF19), as an input method may type it, is one
    //  character of the eighteen, and the wrong kind
    assert_int_equal (cf_application_check_uscc ("\xEF\xBC\x99"
                                                 "14403001922038216",
                                                 problems),
                      CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0), "uscc.charset");
    assert_non_null (strstr (cf_problems_message (problems, 0), "full-width"));
    //  The message says which character is wrong
    cf_problems_reset (problems);
    assert_int_equal (cf_application_check_uscc ("\xEF\xBC\x99"
                                                 "14403001922038I16",
                                                 problems),
                      CF_EINVAL);
    assert_string_equal (cf_problems_message (problems, 0),
                         "position 1 is not an ASCII character (full-width "
                         "digits and letters are not allowed): use 0-9 and "
                         "A-Y");
    cf_problems_destroy (&problems);
}

static void
test_uscc_division_must_be_digits (void **state)
{
    (void)state;
    //  Check digit recomputed, so only the division code is wrong
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_check_uscc ("91A40300192203821E", problems), CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0), "uscc.division");
    assert_non_null (strstr (cf_problems_message (problems, 0), "'A40300'"));
    cf_problems_destroy (&problems);
}

static void
test_uscc_embedded_organization_code_is_checked (void **state)
{
    (void)state;
    //  Position 17 changed from 1 to 2 and position 18 recomputed: only the
    //  GB 11714 check of 19220382 finds it
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_check_uscc ("914403001922038229", problems), CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0), "uscc.org_code");
    assert_string_equal (cf_problems_message (problems, 0),
                         "the organization code 19220382-2 (positions 9-17) "
                         "has check character '2', GB 11714 computes '1'");
    cf_problems_destroy (&problems);
}

static void
test_uscc_reports_each_kind_once (void **state)
{
    (void)state;
    //  Letters in the division, and both check characters wrong
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_check_uscc ("91AB0300192203822A", problems), CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 3);
    assert_true (cf_problems_has (problems, "uscc.division"));
    assert_true (cf_problems_has (problems, "uscc.org_code"));
    assert_true (cf_problems_has (problems, "uscc.check_digit"));
    cf_problems_destroy (&problems);
}

//  --------------------------------------------------------------------------
//  Well formed

static void
test_valid_application_passes (void **state)
{
    Cf__Application *app = s_application ();
    s_expect (*state, app, S_TODAY, 0, NULL);
    assert_int_equal (
        cf_application_validate (*state, app, s_day (S_TODAY), NULL), 0);
    cf_pb_free (&app);
}

//  One way to break an application, and the problem it must give
typedef struct {
    const char *name;                       //  What the case breaks
    void (*breaks) (Cf__Application *app);  //  Breaks it
    const char *code;                       //  Problem code expected
} s_breakage_t;

static void
s_no_company (Cf__Application *app)
{
    cf_pb_set_string (&app->company_name, "");
}
static void
s_no_uscc (Cf__Application *app)
{
    cf_pb_set_string (&app->uscc, "");
}
static void
s_bad_uscc (Cf__Application *app)
{
    cf_pb_set_string (&app->uscc, "91330110MA2J7R4N39");
}
static void
s_no_registered_address (Cf__Application *app)
{
    cf_pb_set_string (&app->registered_address, "");
}
static void
s_blank_operating_address (Cf__Application *app)
{
    cf_pb_set_string (&app->operating_address, "  \t");
}
static void
s_no_sector (Cf__Application *app)
{
    cf_pb_set_string (&app->sector, "");
}
static void
s_no_scope (Cf__Application *app)
{
    free (app->scope[0]);
    free (app->scope);
    app->scope = NULL;
    app->n_scope = 0;
}
static void
s_blank_scope_item (Cf__Application *app)
{
    cf_pb_append_string (&app->n_scope, &app->scope, " ");
}
static void
s_no_employees (Cf__Application *app)
{
    app->employees = 0;
}
static void
s_no_start_date (Cf__Application *app)
{
    cf_pb_set_string (&app->system_start_date, "");
}
static void
s_bad_start_date (Cf__Application *app)
{
    cf_pb_set_string (&app->system_start_date, "2024/03/01");
}
static void
s_future_start_date (Cf__Application *app)
{
    cf_pb_set_string (&app->system_start_date, "2026-06-16");
}
static void
s_no_contact_name (Cf__Application *app)
{
    cf_pb_set_string (&app->contact_name, "");
}
static void
s_no_phone_or_email (Cf__Application *app)
{
    cf_pb_set_string (&app->contact_phone, "");
    cf_pb_set_string (&app->contact_email, "");
}
static void
s_bad_phone (Cf__Application *app)
{
    cf_pb_set_string (&app->contact_phone, "call Ms Chen");
}
static void
s_bad_email (Cf__Application *app)
{
    cf_pb_set_string (&app->contact_email, "cert.yunxi.example.com");
}
static void
s_bad_application_date (Cf__Application *app)
{
    cf_pb_set_string (&app->application_date, "2026-02-30");
}
static void
s_bad_accident_date (Cf__Application *app)
{
    cf_pb_set_string (&app->last_major_accident_date, "last spring");
}
static void
s_future_accident (Cf__Application *app)
{
    cf_pb_set_string (&app->last_major_accident_date, "2026-07-01");
}
static void
s_outlet_without_name (Cf__Application *app)
{
    s_add_outlet (app, "", "宁波市鄞州区");
}
static void
s_outlet_without_address (Cf__Application *app)
{
    s_add_outlet (app, "宁波服务站", "");
}

static void
test_each_required_field_missing_is_malformed (void **state)
{
    const s_breakage_t cases[] = {
        {"company_name", s_no_company, "company_name"},
        {"uscc", s_no_uscc, "uscc"},
        {"uscc wrong", s_bad_uscc, "uscc.check_digit"},
        {"registered_address", s_no_registered_address, "registered_address"},
        {"operating_address", s_blank_operating_address, "operating_address"},
        {"sector", s_no_sector, "sector"},
        {"scope", s_no_scope, "scope"},
        {"scope item", s_blank_scope_item, "scope"},
        {"employees", s_no_employees, "employees"},
        {"system_start_date", s_no_start_date, "system_start_date"},
        {"system_start_date form", s_bad_start_date, "system_start_date"},
        {"system_start_date future", s_future_start_date, "system_start_date"},
        {"contact_name", s_no_contact_name, "contact_name"},
        {"contact", s_no_phone_or_email, "contact"},
        {"contact_phone", s_bad_phone, "contact_phone"},
        {"contact_email", s_bad_email, "contact_email"},
        {"application_date", s_bad_application_date, "application_date"},
        {"last_major_accident_date", s_bad_accident_date,
         "last_major_accident_date"},
        {"accident in the future", s_future_accident,
         "last_major_accident_date"},
        {"outlet name", s_outlet_without_name, "outlets.name"},
        {"outlet address", s_outlet_without_address, "outlets.address"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        Cf__Application *app = s_application ();
        cases[index].breaks (app);
        cf_problems_t *problems = cf_problems_new ();
        int rc =
            cf_application_validate (*state, app, s_day (S_TODAY), problems);
        char *joined = cf_problems_join (problems);
        //  Exactly the one problem: nothing else is disturbed
        if (rc != CF_EINVAL || cf_problems_size (problems) != 1 ||
            !cf_problems_has (problems, cases[index].code))
            fail_msg ("case %s: got %s: %s", cases[index].name, cf_errname (rc),
                      joined);
        free (joined);
        cf_problems_destroy (&problems);
        cf_pb_free (&app);
    }
}

static void
test_messages_name_the_field_and_the_fix (void **state)
{
    Cf__Application *app = s_application ();
    app->employees = 0;
    cf_pb_set_string (&app->system_start_date, "2024/03/01");
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_validate (*state, app, s_day (S_TODAY), problems),
        CF_EINVAL);
    char *joined = cf_problems_join (problems);
    assert_string_equal (joined,
                         "employees: employees is 0: give the number of "
                         "employees (at least 1); system_start_date: "
                         "system_start_date '2024/03/01' is not a date: write "
                         "it as YYYY-MM-DD");
    free (joined);
    cf_problems_destroy (&problems);
    cf_pb_free (&app);
}

//  --------------------------------------------------------------------------
//  Eligible

static void
test_declarations_refuse (void **state)
{
    Cf__Application *app = s_application ();
    app->independent_legal_entity = false;
    s_expect (*state, app, S_TODAY, CF_EINELIGIBLE, "eligibility.legal_entity");
    app->independent_legal_entity = true;
    app->lawful_operation = false;
    s_expect (*state, app, S_TODAY, CF_EINELIGIBLE,
              "eligibility.lawful_operation");
    app->lawful_operation = true;
    app->no_major_accident = false;
    s_expect (*state, app, S_TODAY, CF_EINELIGIBLE,
              "eligibility.major_accident");
    app->no_major_accident = true;
    s_expect (*state, app, S_TODAY, 0, NULL);
    cf_pb_free (&app);
}

static void
test_system_age_boundary (void **state)
{
    Cf__Application *app = s_application ();
    //  Exactly three months running on 2026-04-15 is enough
    cf_pb_set_string (&app->system_start_date, "2026-01-15");
    s_expect (*state, app, "2026-04-15", 0, NULL);
    //  One day less is not; the message says when to apply
    cf_pb_set_string (&app->system_start_date, "2026-01-16");
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_validate (*state, app, s_day ("2026-04-15"), problems),
        CF_EINELIGIBLE);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0),
                         "eligibility.system_age");
    assert_string_equal (cf_problems_message (problems, 0),
                         "the after-sales system has run since 2026-01-16, "
                         "less than 3 months: apply from 2026-04-16");
    cf_problems_destroy (&problems);
    //  Started the same day: not in the future, but far too young
    cf_pb_set_string (&app->system_start_date, "2026-04-15");
    s_expect (*state, app, "2026-04-15", CF_EINELIGIBLE,
              "eligibility.system_age");
    cf_pb_free (&app);
}

static void
test_system_age_at_month_end (void **state)
{
    Cf__Application *app = s_application ();
    //  2025-11-30 + 3 months is 2026-02-28 (no 30 February)
    cf_pb_set_string (&app->system_start_date, "2025-11-30");
    s_expect (*state, app, "2026-02-28", 0, NULL);
    s_expect (*state, app, "2026-02-27", CF_EINELIGIBLE,
              "eligibility.system_age");
    cf_pb_free (&app);
}

static void
test_accident_lookback_boundary (void **state)
{
    Cf__Application *app = s_application ();
    //  Twelve months and one day before 2026-06-15: long enough ago
    cf_pb_set_string (&app->last_major_accident_date, "2025-06-14");
    s_expect (*state, app, S_TODAY, 0, NULL);
    //  Exactly twelve months ago still counts
    cf_pb_set_string (&app->last_major_accident_date, "2025-06-15");
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_validate (*state, app, s_day (S_TODAY), problems),
        CF_EINELIGIBLE);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0),
                         "eligibility.accident_date");
    assert_string_equal (cf_problems_message (problems, 0),
                         "the last major accident, on 2025-06-15, is within 12 "
                         "months of today: apply from 2026-06-16");
    cf_problems_destroy (&problems);
    //  And so does one last month, or today
    cf_pb_set_string (&app->last_major_accident_date, "2026-05-20");
    s_expect (*state, app, S_TODAY, CF_EINELIGIBLE,
              "eligibility.accident_date");
    cf_pb_set_string (&app->last_major_accident_date, S_TODAY);
    s_expect (*state, app, S_TODAY, CF_EINELIGIBLE,
              "eligibility.accident_date");
    cf_pb_free (&app);
}

static void
test_ineligible_outweighs_incomplete (void **state)
{
    Cf__Application *app = s_application ();
    app->lawful_operation = false;
    s_remove_material (app, "M07");
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_validate (*state, app, s_day (S_TODAY), problems),
        CF_EINELIGIBLE);
    assert_int_equal (cf_problems_size (problems), 2);
    assert_true (cf_problems_has (problems, "eligibility.lawful_operation"));
    assert_true (cf_problems_has (problems, "materials.M07"));
    cf_problems_destroy (&problems);
    cf_pb_free (&app);
}

static void
test_malformed_outweighs_all_and_everything_is_listed (void **state)
{
    Cf__Application *app = s_application ();
    cf_pb_set_string (&app->sector, "");
    cf_pb_set_string (&app->system_start_date, "2026-05-01");
    app->independent_legal_entity = false;
    s_remove_material (app, "M01");
    s_remove_material (app, "M12");
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_validate (*state, app, s_day (S_TODAY), problems),
        CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 5);
    assert_true (cf_problems_has (problems, "sector"));
    assert_true (cf_problems_has (problems, "eligibility.legal_entity"));
    assert_true (cf_problems_has (problems, "eligibility.system_age"));
    assert_true (cf_problems_has (problems, "materials.M01"));
    assert_true (cf_problems_has (problems, "materials.M12"));
    cf_problems_destroy (&problems);
    //  Without a list to fill the verdict is the same
    assert_int_equal (
        cf_application_validate (*state, app, s_day (S_TODAY), NULL),
        CF_EINVAL);
    cf_pb_free (&app);
}

//  --------------------------------------------------------------------------
//  Complete

static void
test_each_material_missing_is_incomplete (void **state)
{
    for (int number = 1; number <= CF_APPLICATION_MATERIALS; number++) {
        char code[4], problem[16];
        snprintf (code, sizeof code, "M%02d", number);
        snprintf (problem, sizeof problem, "materials.%s", code);
        Cf__Application *app = s_application ();
        app->licence_required = true;
        s_add_material (app, "M03", "生产许可证.pdf");
        s_remove_material (app, code);
        cf_problems_t *problems = cf_problems_new ();
        int rc =
            cf_application_validate (*state, app, s_day (S_TODAY), problems);
        if (rc != CF_EINCOMPLETE || cf_problems_size (problems) != 1 ||
            !cf_problems_has (problems, problem))
            fail_msg ("without %s: got %s", code, cf_errname (rc));
        assert_non_null (strstr (cf_problems_message (problems, 0),
                                 cf_application_material_name (code)));
        cf_problems_destroy (&problems);
        cf_pb_free (&app);
    }
}

static void
test_material_without_reference_is_missing (void **state)
{
    Cf__Application *app = s_application ();
    s_remove_material (app, "M10");
    s_add_material (app, "M10", " ");
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_validate (*state, app, s_day (S_TODAY), problems),
        CF_EINCOMPLETE);
    assert_true (cf_problems_has (problems, "materials.M10"));
    assert_non_null (strstr (cf_problems_message (problems, 0),
                             "listed without a document reference"));
    cf_problems_destroy (&problems);
    cf_pb_free (&app);
}

static void
test_licence_material_only_when_required (void **state)
{
    Cf__Application *app = s_application ();
    //  No licence needed: M03 absent is fine, and so is M03 given anyway
    s_expect (*state, app, S_TODAY, 0, NULL);
    s_add_material (app, "M03", "ccc.pdf");
    s_expect (*state, app, S_TODAY, 0, NULL);
    //  Licence needed: present passes, absent is a supplement
    app->licence_required = true;
    s_expect (*state, app, S_TODAY, 0, NULL);
    s_remove_material (app, "M03");
    s_expect (*state, app, S_TODAY, CF_EINCOMPLETE, "materials.M03");
    cf_pb_free (&app);
}

static void
test_unknown_or_repeated_material_is_malformed (void **state)
{
    Cf__Application *app = s_application ();
    s_add_material (app, "M13", "extra.pdf");
    s_expect (*state, app, S_TODAY, CF_EINVAL, "materials.unknown");
    s_remove_material (app, "M13");
    s_add_material (app, "m05", "laws.pdf");
    s_expect (*state, app, S_TODAY, CF_EINVAL, "materials.unknown");
    s_remove_material (app, "m05");
    s_add_material (app, "M05", "laws-v2.pdf");
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (
        cf_application_validate (*state, app, s_day (S_TODAY), problems),
        CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0), "materials.duplicate");
    assert_string_equal (cf_problems_message (problems, 0),
                         "M05 is listed twice (materials[3] and "
                         "materials[11]): list each material once");
    cf_problems_destroy (&problems);
    cf_pb_free (&app);
}

static void
test_missing_materials_become_findings (void **state)
{
    (void)state;
    Cf__Application *app = s_application ();
    app->licence_required = true;
    s_remove_material (app, "M07");
    s_remove_material (app, "M11");
    s_add_material (app, "M11", "");
    //  Appended after what the list already holds, in checklist order
    Cf__FindingList *list = cf_pb_new (&cf__finding_list__descriptor);
    Cf__Finding *earlier = cf_pb_new (&cf__finding__descriptor);
    cf_pb_set_string (&earlier->item, "review");
    cf_pb_append (&list->n_findings, (void ***)&list->findings, earlier);
    assert_int_equal (cf_application_materials_missing (app, &list->n_findings,
                                                        &list->findings),
                      3);
    assert_int_equal (list->n_findings, 4);
    assert_string_equal (list->findings[0]->item, "review");
    assert_string_equal (list->findings[1]->item, "M03");
    assert_string_equal (list->findings[2]->item, "M07");
    assert_string_equal (list->findings[3]->item, "M11");
    assert_string_equal (list->findings[2]->reason,
                         "组织机构图（含售后服务组织机构图） organization "
                         "chart including the after-sales organization: "
                         "未提供 not supplied");
    assert_non_null (strstr (list->findings[3]->reason,
                             "listed without a document reference"));
    //  The tree survives a round trip through the wire format
    Cf__FindingList *copy = cf_pb_dup (&list->base);
    assert_int_equal (copy->n_findings, 4);
    cf_pb_free (&copy);
    cf_pb_free (&list);
    //  A complete application adds nothing
    Cf__Application *complete = s_application ();
    Cf__FindingList *none = cf_pb_new (&cf__finding_list__descriptor);
    assert_int_equal (cf_application_materials_missing (
                          complete, &none->n_findings, &none->findings),
                      0);
    assert_int_equal (none->n_findings, 0);
    cf_pb_free (&none);
    cf_pb_free (&complete);
    cf_pb_free (&app);
}

static void
test_material_names (void **state)
{
    (void)state;
    assert_string_equal (cf_application_material_name ("M01"),
                         "企业营业执照及年检复印件 business licence and "
                         "annual inspection copy");
    assert_non_null (strstr (cf_application_material_name ("M03"),
                             "where the law requires it"));
    assert_non_null (cf_application_material_name ("M12"));
    assert_null (cf_application_material_name ("M13"));
    assert_null (cf_application_material_name ("m01"));
    assert_null (cf_application_material_name (""));
    assert_null (cf_application_material_name (NULL));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_uscc_accepts_real_codes),
        cmocka_unit_test (test_uscc_wrong_check_digit_says_what_it_should_be),
        cmocka_unit_test (test_uscc_wrong_length),
        cmocka_unit_test (test_uscc_refuses_characters_outside_the_set),
        cmocka_unit_test (test_uscc_lower_case_asks_for_upper_case),
        cmocka_unit_test (test_uscc_spaces_and_full_width_digits),
        cmocka_unit_test (test_uscc_division_must_be_digits),
        cmocka_unit_test (test_uscc_embedded_organization_code_is_checked),
        cmocka_unit_test (test_uscc_reports_each_kind_once),
        cmocka_unit_test (test_valid_application_passes),
        cmocka_unit_test (test_each_required_field_missing_is_malformed),
        cmocka_unit_test (test_messages_name_the_field_and_the_fix),
        cmocka_unit_test (test_declarations_refuse),
        cmocka_unit_test (test_system_age_boundary),
        cmocka_unit_test (test_system_age_at_month_end),
        cmocka_unit_test (test_accident_lookback_boundary),
        cmocka_unit_test (test_ineligible_outweighs_incomplete),
        cmocka_unit_test (
            test_malformed_outweighs_all_and_everything_is_listed),
        cmocka_unit_test (test_each_material_missing_is_incomplete),
        cmocka_unit_test (test_material_without_reference_is_missing),
        cmocka_unit_test (test_licence_material_only_when_required),
        cmocka_unit_test (test_unknown_or_repeated_material_is_malformed),
        cmocka_unit_test (test_missing_materials_become_findings),
        cmocka_unit_test (test_material_names),
    };
    return cmocka_run_group_tests (tests, s_scheme_setup, s_scheme_teardown);
}
