/*  Unit tests for cf_json: the example files parse and pass their rules,
    and each kind of malformed input gives its error code and a message that
    names the field (or the line and column).  */

#include <dirent.h>
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
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_scheme.h"
#include "cf_score.h"

#define S_EXAMPLES CF_SOURCE_DIR "/examples"
#define S_DATA     CF_SOURCE_DIR "/tests/unit/data"

//  The smallest application the JSON layer accepts: the declarations
#define S_DECLARED                                                             \
    "\"independent_legal_entity\": true, \"lawful_operation\": true, "         \
    "\"no_major_accident\": true"

static char *
s_load (const char *path, size_t *size)
{
    char *text = NULL;
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_json_load_file (path, CF_JSON_MAX_BYTES, &text, size, problems);
    if (rc) {
        char *joined = cf_problems_join (problems);
        fail_msg ("%s: %s", cf_errname (rc), joined);
    }
    cf_problems_destroy (&problems);
    return text;
}

static Cf__Application *
s_example_application (void)
{
    size_t size;
    char *text = s_load (S_EXAMPLES "/application.json", &size);
    Cf__Application *app = NULL;
    assert_int_equal (cf_json_application (text, size, &app, NULL), 0);
    free (text);
    return app;
}

//  Parses text as an application and checks the result code and that a
//  problem with code and exactly message (when not NULL) was listed
static void
s_expect_application (const char *text, int expected, const char *code,
                      const char *message)
{
    cf_problems_t *problems = cf_problems_new ();
    Cf__Application *app = (Cf__Application *)1;
    int rc = cf_json_application (text, strlen (text), &app, problems);
    char *joined = cf_problems_join (problems);
    bool found = false;
    for (size_t index = 0; index < cf_problems_size (problems); index++)
        if (strcmp (cf_problems_code (problems, index), code) == 0 &&
            (!message ||
             strcmp (cf_problems_message (problems, index), message) == 0))
            found = true;
    if (rc != expected || !found)
        fail_msg ("expected %s with %s '%s', got %s: %s", cf_errname (expected),
                  code, message ? message : "", cf_errname (rc), joined);
    assert_null (app);
    free (joined);
    cf_problems_destroy (&problems);
}

static void
s_expect_sheet (const char *text, int expected, const char *code,
                const char *message)
{
    cf_problems_t *problems = cf_problems_new ();
    Cf__ScoreSheet *sheet = NULL;
    int rc = cf_json_score_sheet (text, strlen (text), &sheet, problems);
    char *joined = cf_problems_join (problems);
    if (rc != expected || !cf_problems_has (problems, code) ||
        (message && strcmp (cf_problems_message (problems, 0), message)))
        fail_msg ("expected %s with %s '%s', got %s: %s", cf_errname (expected),
                  code, message ? message : "", cf_errname (rc), joined);
    assert_null (sheet);
    free (joined);
    cf_problems_destroy (&problems);
}

//  --------------------------------------------------------------------------
//  The example files

static void
test_example_application_passes_for_any_day_in_2026_and_2027 (void **state)
{
    (void)state;
    Cf__Application *app = s_example_application ();
    assert_string_equal (app->uscc, "91330110MA2J7R4N38");
    assert_string_equal (app->sector, "SC03");
    assert_int_equal (app->employees, 420);
    assert_int_equal (app->n_scope, 2);
    assert_int_equal (app->n_outlets, 4);
    assert_true (app->outlets[2]->outsourced);
    assert_false (app->outlets[0]->outsourced);
    assert_false (app->licence_required);
    assert_int_equal (app->n_materials, 11);
    assert_non_null (strstr (app->company_name, "杭州云溪家用电器有限公司"));

    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    cf_problems_t *problems = cf_problems_new ();
    cf_day_t first = cf_date_from_ymd (2026, 1, 1);
    cf_day_t last = cf_date_from_ymd (2027, 12, 31);
    for (cf_day_t today = first; today <= last; today++) {
        int rc = cf_application_validate (scheme, app, today, problems);
        if (rc) {
            char date[11], *joined = cf_problems_join (problems);
            fail_msg ("on %s: %s: %s", cf_date_format (today, date),
                      cf_errname (rc), joined);
        }
    }
    cf_problems_destroy (&problems);
    cf_scheme_destroy (&scheme);
    cf_pb_free (&app);
}

static void
test_example_scores_reach_three_stars_with_one_open_nonconformity (void **state)
{
    (void)state;
    size_t size;
    char *text = s_load (S_EXAMPLES "/scores.json", &size);
    Cf__ScoreSheet *sheet = NULL;
    assert_int_equal (cf_json_score_sheet (text, size, &sheet, NULL), 0);
    free (text);
    assert_int_equal (sheet->n_items, 15);
    assert_null (sheet->special_bonus);
    assert_int_equal (sheet->n_special_deductions, 0);
    assert_int_equal (sheet->n_nonconformities, 1);
    assert_int_equal (sheet->nonconformities[0]->severity,
                      CF__SEVERITY__SEVERITY_MINOR);
    assert_string_equal (sheet->nonconformities[0]->indicator, "A4");

    //  The numbers worked by hand in the sheet's summary
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    cf_score_t score;
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_score_compute (scheme, sheet, &score, problems);
    if (rc) {
        char *joined = cf_problems_join (problems);
        fail_msg ("%s: %s", cf_errname (rc), joined);
    }
    assert_int_equal (score.earned, 8020);
    assert_int_equal (score.applicable, 9400);
    assert_int_equal (score.score_tenths, 853);
    assert_non_null (score.grade);
    assert_string_equal (score.grade->name, "three_star");
    assert_int_equal (score.open_nonconformities, 1);
    assert_false (cf_score_grantable (&score));
    assert_non_null (strstr (sheet->summary, "85.3"));
    cf_problems_destroy (&problems);
    cf_scheme_destroy (&scheme);
    cf_pb_free (&sheet);
}

static void
test_example_staff_cover_a_team_a_committee_and_a_conflict (void **state)
{
    (void)state;
    Cf__Application *app = s_example_application ();
    DIR *directory = opendir (S_EXAMPLES "/staff");
    assert_non_null (directory);
    size_t auditors = 0, committee = 0, reviewers = 0, conflicted = 0;
    cf_day_t end_of_2028 = cf_date_from_ymd (2028, 12, 31);
    struct dirent *entry;
    while ((entry = readdir (directory))) {
        size_t length = strlen (entry->d_name);
        if (length < 6 || strcmp (entry->d_name + length - 5, ".json"))
            continue;
        char path[512], *text;
        snprintf (path, sizeof path, "%s/%s", S_EXAMPLES "/staff",
                  entry->d_name);
        size_t size;
        text = s_load (path, &size);
        Cf__Staff *staff = NULL;
        cf_problems_t *problems = cf_problems_new ();
        int rc = cf_json_staff (text, size, &staff, problems);
        if (rc) {
            char *joined = cf_problems_join (problems);
            fail_msg ("%s: %s: %s", path, cf_errname (rc), joined);
        }
        cf_problems_destroy (&problems);
        free (text);
        assert_true (staff->active);
        cf_day_t until;
        assert_int_equal (cf_date_parse (staff->qualified_until, &until), 0);
        assert_true (until >= end_of_2028);
        for (size_t index = 0; index < staff->n_roles; index++) {
            const char *role = staff->roles[index];
            bool sc03 = false;
            for (size_t sector = 0; sector < staff->n_sectors; sector++)
                sc03 = sc03 || strcmp (staff->sectors[sector], "SC03") == 0;
            auditors += strcmp (role, "auditor") == 0 && sc03;
            committee += strcmp (role, "committee") == 0;
            reviewers += strcmp (role, "reviewer") == 0;
        }
        for (size_t index = 0; index < staff->n_conflicts; index++)
            conflicted +=
                strcmp (staff->conflicts[index]->uscc, app->uscc) == 0;
        cf_pb_free (&staff);
    }
    closedir (directory);
    assert_true (auditors >= 4);
    assert_true (committee >= 4);
    assert_true (reviewers >= 1);
    assert_int_equal (conflicted, 1);
    cf_pb_free (&app);
}

//  --------------------------------------------------------------------------
//  Syntax

static void
test_syntax_error_gives_line_and_column (void **state)
{
    (void)state;
    size_t size;
    char *text = s_load (S_DATA "/broken-application.json", &size);
    cf_problems_t *problems = cf_problems_new ();
    Cf__Application *app = NULL;
    assert_int_equal (cf_json_application (text, size, &app, problems),
                      CF_EPARSE);
    assert_null (app);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0), "json.syntax");
    //  The column counts characters: 电饭煲 and 吸尘器 are three each
    assert_string_equal (cf_problems_message (problems, 0),
                         "line 3, column 26: unexpected character, found ']'; "
                         "remove the comma before it, JSON allows no trailing "
                         "comma");
    cf_problems_destroy (&problems);
    free (text);
}

static void
test_syntax_errors_of_every_kind (void **state)
{
    (void)state;
    s_expect_application ("", CF_EPARSE, "json.syntax",
                          "line 1, column 1: the input is empty: expected a "
                          "JSON object, found the end of the input");
    s_expect_application ("{\n  \"sector\": \"SC03\"", CF_EPARSE, "json.syntax",
                          "line 2, column 19: the input ends before the JSON "
                          "is complete (an object, list or string is not "
                          "closed), found the end of the input");
    s_expect_application ("{\"sector\" \"SC03\"}", CF_EPARSE, "json.syntax",
                          NULL);
    s_expect_application ("{\"sector\": 'SC03'}", CF_EPARSE, "json.syntax",
                          "line 1, column 12: unexpected character, found a "
                          "single quote (JSON strings take double quotes)");
    s_expect_application ("{} {}", CF_EPARSE, "json.syntax", NULL);
    s_expect_application ("{\"sector\": \"\xff\"}", CF_EPARSE, "json.syntax",
                          NULL);
    //  Valid JSON, but not an object
    s_expect_application ("[1, 2]", CF_EINVAL, "json.type",
                          "expected an object at the top level, got a list");
    s_expect_application ("42", CF_EINVAL, "json.type", NULL);
    s_expect_application ("null", CF_EINVAL, "json.type", NULL);
}

//  json-c 0.16 checks only the byte structure of UTF-8 and keeps the last
//  of two equal keys; the one JSON boundary refuses what it lets through
static void
test_strict_text_refuses_what_json_c_lets_through (void **state)
{
    (void)state;
    //  Overlong '/', a surrogate and a point past U+10FFFF, written raw
    s_expect_application ("{\"company_name\": \"a\xC0\xAF\"}", CF_EPARSE,
                          "json.syntax",
                          "line 1, column 20: byte 0xC0 is not valid UTF-8 "
                          "(an overlong form, a surrogate or past U+10FFFF); "
                          "save the file as UTF-8 text");
    s_expect_application ("{\"company_name\": \"\xED\xA0\x80\"}", CF_EPARSE,
                          "json.syntax", NULL);
    s_expect_application ("{\"company_name\": \"\xF4\x90\x80\x80\"}", CF_EPARSE,
                          "json.syntax", NULL);
    s_expect_application ("{\"\xC0\xAF\": 1}", CF_EPARSE, "json.syntax", NULL);
    //  A raw control character, and a lone surrogate escape
    s_expect_application ("{\"company_name\": \"a\tb\"}", CF_EPARSE,
                          "json.syntax",
                          "line 1, column 20: a control character (byte "
                          "0x09) in a string; write it as an escape such as "
                          "\\n or \\u0009");
    s_expect_application ("{\"company_name\": \"\\ud800x\"}", CF_EPARSE,
                          "json.syntax",
                          "line 1, column 19: \\ud800 is half of a UTF-16 "
                          "surrogate pair with no other half; write the "
                          "character itself or both halves");
    s_expect_application ("{\"company_name\": \"\\udc00\\ud800\"}", CF_EPARSE,
                          "json.syntax", NULL);
    //  A key twice, also when an escape spells it differently
    s_expect_application ("{" S_DECLARED ", \"employees\": 7,\n"
                          "\"employees\": 8}",
                          CF_EINVAL, "json.duplicate_key",
                          "line 2, column 1: the key \"employees\" is written "
                          "twice in one object (first at line 1, column 89); "
                          "keep one");
    s_expect_application ("{\"outlets\": [{\"name\": \"a\", \"n\\u0061me\": "
                          "\"b\"}]}",
                          CF_EINVAL, "json.duplicate_key", NULL);
    //  Numbers json-c clamps
    s_expect_application ("{\"employees\": 1e400}", CF_EINVAL, "json.range",
                          "line 1, column 15: 1e400 is too large for a "
                          "number; the largest is about 1.8e308");
    s_expect_application ("{\"employees\": 99999999999999999999}", CF_EINVAL,
                          "json.range",
                          "line 1, column 15: 99999999999999999999 is too "
                          "large; whole numbers go from -9223372036854775808 "
                          "to 9223372036854775807");
    s_expect_application ("{\"employees\": -9223372036854775809}", CF_EINVAL,
                          "json.range", NULL);

    //  What is fine stays fine: a pair of escapes, every control character
    //  escaped, the same key in two objects
    Cf__Application *app = NULL;
    const char *fine =
        "{" S_DECLARED ", \"company_name\": \"\\ud83d\\ude00 \\t\\u0001\", "
        "\"outlets\": [{\"name\": \"a\"}, {\"name\": \"a\"}], \"employees\": "
        "1e2}";
    assert_int_equal (cf_json_application (fine, strlen (fine), &app, NULL), 0);
    assert_string_equal (app->company_name, "\xF0\x9F\x98\x80 \t\x01");
    assert_int_equal (app->employees, 100);
    cf_pb_free (&app);
}

static void
test_byte_order_mark_and_unterminated_text_are_fine (void **state)
{
    (void)state;
    //  The text is read up to size only: what follows it is not JSON
    const char text[] = "\xEF\xBB\xBF{" S_DECLARED ", \"employees\": 7}garbage";
    Cf__Application *app = NULL;
    assert_int_equal (cf_json_application (
                          text, strlen (text) - strlen ("garbage"), &app, NULL),
                      0);
    assert_int_equal (app->employees, 7);
    cf_pb_free (&app);
}

//  --------------------------------------------------------------------------
//  Fields

static void
test_wrong_type_names_the_field (void **state)
{
    (void)state;
    s_expect_application ("{" S_DECLARED ", \"employees\": \"many\"}",
                          CF_EINVAL, "json.type",
                          "employees: expected a whole number, got a string");
    s_expect_application ("{" S_DECLARED ", \"employees\": 12.5}", CF_EINVAL,
                          "json.type",
                          "employees: expected a whole number, got 12.5");
    s_expect_application ("{\"independent_legal_entity\": true, "
                          "\"no_major_accident\": true, "
                          "\"lawful_operation\": \"yes\"}",
                          CF_EINVAL, "json.type",
                          "lawful_operation: expected true or false, got a "
                          "string");
    s_expect_application (
        "{" S_DECLARED
        ", \"outlets\": [{\"name\": \"a\"}, {\"outsourced\": 1}]}",
        CF_EINVAL, "json.type",
        "outlets[1].outsourced: expected true or false, got a number");
    s_expect_application ("{" S_DECLARED ", \"scope\": \"rice cookers\"}",
                          CF_EINVAL, "json.type",
                          "scope: expected a list, got a string; write "
                          "[\"...\"] even for one item");
    s_expect_application ("{" S_DECLARED ", \"scope\": [\"a\", null]}",
                          CF_EINVAL, "json.type",
                          "scope[1]: expected a string, got null");
    s_expect_application ("{" S_DECLARED ", \"materials\": [\"M01\"]}",
                          CF_EINVAL, "json.type",
                          "materials[0]: expected an object, got a string");
    s_expect_application ("{" S_DECLARED ", \"company_name\": {}}", CF_EINVAL,
                          "json.type",
                          "company_name: expected a string, got an object");
}

static void
test_whole_numbers_may_be_written_as_decimals (void **state)
{
    (void)state;
    const char *text = "{" S_DECLARED ", \"employees\": 12.0}";
    Cf__Application *app = NULL;
    assert_int_equal (cf_json_application (text, strlen (text), &app, NULL), 0);
    assert_int_equal (app->employees, 12);
    cf_pb_free (&app);
}

static void
test_unknown_field_suggests_the_close_name (void **state)
{
    (void)state;
    s_expect_application ("{" S_DECLARED ", \"employes\": 420}", CF_EINVAL,
                          "json.unknown_field",
                          "employes: unknown field 'employes' — did you mean "
                          "'employees'?");
    s_expect_application (
        "{" S_DECLARED ", \"outlets\": [{\"adress\": \"杭州\"}]}", CF_EINVAL,
        "json.unknown_field",
        "outlets[0].adress: unknown field 'adress' — did you mean 'address'?");
}

static void
test_unknown_field_lists_the_known_ones (void **state)
{
    (void)state;
    s_expect_application (
        "{" S_DECLARED ", \"outlets\": [{\"phone\": \"110\"}]}", CF_EINVAL,
        "json.unknown_field",
        "outlets[0].phone: unknown field 'phone'; the fields here are: name, "
        "address, outsourced");
}

static void
test_numbers_out_of_range (void **state)
{
    (void)state;
    s_expect_application ("{" S_DECLARED ", \"employees\": -5}", CF_EINVAL,
                          "json.range",
                          "employees: must not be negative, got -5");
    s_expect_application ("{" S_DECLARED ", \"employees\": 5000000000}",
                          CF_EINVAL, "json.range",
                          "employees: 5000000000 is out of range; write 0 to "
                          "4294967295");
    s_expect_application ("{" S_DECLARED
                          ", \"employees\": 99999999999999999999}",
                          CF_EINVAL, "json.range", NULL);
    s_expect_sheet ("{\"items\": [{\"code\": \"B4\", \"samples\": -1}]}",
                    CF_EINVAL, "json.range",
                    "items[0].samples: must not be negative, got -1");
    s_expect_sheet ("{\"items\": [{\"code\": \"A1\", \"earned\": NaN}]}",
                    CF_EINVAL, "json.range",
                    "items[0].earned: NaN is not a finite number");
    s_expect_sheet ("{\"items\": [{\"code\": \"A1\", \"earned\": \"5\"}]}",
                    CF_EINVAL, "json.type",
                    "items[0].earned: expected a number, got a string");
}

static void
test_severity_is_minor_or_major (void **state)
{
    (void)state;
    s_expect_sheet ("{\"nonconformities\": [{\"id\": \"NC-1\", "
                    "\"severity\": \"critical\"}]}",
                    CF_EINVAL, "json.value",
                    "nonconformities[0].severity: 'critical' is not one of "
                    "minor, major");
    s_expect_sheet ("{\"nonconformities\": [{\"severity\": \"MINOR\"}]}",
                    CF_EINVAL, "json.value", NULL);
    s_expect_sheet ("{\"nonconformities\": [{\"severity\": 2}]}", CF_EINVAL,
                    "json.type",
                    "nonconformities[0].severity: expected one of minor, "
                    "major, as a string, got a number");
    const char *text = "{\"nonconformities\": [{\"severity\": \"major\"}, "
                       "{\"severity\": \"minor\"}]}";
    Cf__ScoreSheet *sheet = NULL;
    assert_int_equal (cf_json_score_sheet (text, strlen (text), &sheet, NULL),
                      0);
    assert_int_equal (sheet->nonconformities[0]->severity,
                      CF__SEVERITY__SEVERITY_MAJOR);
    assert_int_equal (sheet->nonconformities[1]->severity,
                      CF__SEVERITY__SEVERITY_MINOR);
    cf_pb_free (&sheet);
}

static void
test_declarations_must_be_written_out (void **state)
{
    (void)state;
    s_expect_application (
        "{\"independent_legal_entity\": true, \"no_major_accident\": true}",
        CF_EINVAL, "json.missing",
        "lawful_operation: missing; declare it, true or false");
    s_expect_application ("{\"independent_legal_entity\": true, "
                          "\"lawful_operation\": null, "
                          "\"no_major_accident\": false}",
                          CF_EINVAL, "json.missing",
                          "lawful_operation: missing; declare it, true or "
                          "false");
    //  Declared false is an answer: the rules refuse it later, not here
    const char *text = "{\"independent_legal_entity\": false, "
                       "\"lawful_operation\": false, "
                       "\"no_major_accident\": false}";
    Cf__Application *app = NULL;
    assert_int_equal (cf_json_application (text, strlen (text), &app, NULL), 0);
    assert_false (app->lawful_operation);
    cf_pb_free (&app);
}

static void
test_null_counts_as_absent (void **state)
{
    (void)state;
    const char *text = "{\"special_bonus\": null, \"summary\": null, "
                       "\"items\": null}";
    Cf__ScoreSheet *sheet = NULL;
    assert_int_equal (cf_json_score_sheet (text, strlen (text), &sheet, NULL),
                      0);
    assert_null (sheet->special_bonus);
    assert_string_equal (sheet->summary, "");
    assert_int_equal (sheet->n_items, 0);
    cf_pb_free (&sheet);
}

static void
test_nul_character_in_a_string_is_refused (void **state)
{
    (void)state;
    s_expect_application ("{" S_DECLARED ", \"sector\": \"SC\\u000003\"}",
                          CF_EINVAL, "json.value",
                          "sector: contains a NUL character (\\u0000); remove "
                          "it");
}

static void
test_sheet_reads_every_kind_of_item (void **state)
{
    (void)state;
    const char *text =
        "{\"audit_date\": \"2026-03-18\", \"items\": ["
        "{\"code\": \"A1\", \"earned\": 5.5, \"note\": \"好\"},"
        "{\"code\": \"B4\", \"samples\": 10, \"samples_failed\": 1},"
        "{\"code\": \"B6\", \"excluded\": true, \"exclusion_reason\": \"无\"}],"
        "\"special_bonus\": {\"reason\": \"national award\", \"clause\": "
        "\"5.2\"},"
        "\"special_deductions\": [{\"reason\": \"complaint\", \"clause\": "
        "\"5.3\"}, {\"reason\": \"recall\"}],"
        "\"nonconformities\": [{\"id\": \"NC-1\", \"indicator\": \"A4\", "
        "\"severity\": \"minor\", \"description\": \"d\", \"due_date\": "
        "\"2026-04-17\", \"closed\": true, \"correction\": \"fixed\"}],"
        "\"summary\": \"s\"}";
    Cf__ScoreSheet *sheet = NULL;
    assert_int_equal (cf_json_score_sheet (text, strlen (text), &sheet, NULL),
                      0);
    assert_int_equal (sheet->n_items, 3);
    assert_true (sheet->items[0]->earned == 5.5);
    assert_string_equal (sheet->items[0]->note, "好");
    assert_int_equal (sheet->items[1]->samples, 10);
    assert_int_equal (sheet->items[1]->samples_failed, 1);
    assert_true (sheet->items[2]->excluded);
    assert_string_equal (sheet->items[2]->exclusion_reason, "无");
    assert_string_equal (sheet->special_bonus->clause, "5.2");
    assert_int_equal (sheet->n_special_deductions, 2);
    assert_string_equal (sheet->special_deductions[1]->reason, "recall");
    assert_true (sheet->nonconformities[0]->closed);
    assert_string_equal (sheet->nonconformities[0]->correction, "fixed");
    assert_string_equal (sheet->audit_date, "2026-03-18");
    //  The tree is a proper heap message: it packs and unpacks
    Cf__ScoreSheet *copy = cf_pb_dup (&sheet->base);
    assert_int_equal (copy->n_special_deductions, 2);
    assert_string_equal (copy->items[2]->exclusion_reason, "无");
    cf_pb_free (&copy);
    cf_pb_free (&sheet);
}

//  --------------------------------------------------------------------------
//  Limits

//  An application with count outlets, each with a name of name_bytes
static char *
s_many_outlets (size_t count, size_t name_bytes)
{
    size_t size = 128 + count * (name_bytes + 32);
    char *text = malloc (size);
    assert_non_null (text);
    size_t length =
        (size_t)snprintf (text, size, "{%s, \"outlets\": [", S_DECLARED);
    for (size_t index = 0; index < count; index++) {
        length += (size_t)snprintf (text + length, size - length,
                                    "%s{\"name\": \"", index ? "," : "");
        memset (text + length, 'x', name_bytes);
        length += name_bytes;
        length += (size_t)snprintf (text + length, size - length, "\"}");
    }
    snprintf (text + length, size - length, "]}");
    return text;
}

static void
test_lists_and_strings_are_capped (void **state)
{
    (void)state;
    //  At the limits: accepted
    char *text = s_many_outlets (CF_JSON_MAX_ITEMS, 1);
    Cf__Application *app = NULL;
    assert_int_equal (cf_json_application (text, strlen (text), &app, NULL), 0);
    assert_int_equal (app->n_outlets, CF_JSON_MAX_ITEMS);
    cf_pb_free (&app);
    free (text);
    text = s_many_outlets (1, CF_JSON_MAX_STRING);
    assert_int_equal (cf_json_application (text, strlen (text), &app, NULL), 0);
    assert_int_equal (strlen (app->outlets[0]->name), CF_JSON_MAX_STRING);
    cf_pb_free (&app);
    free (text);
    //  One over: refused, naming the field
    text = s_many_outlets (CF_JSON_MAX_ITEMS + 1, 1);
    s_expect_application (text, CF_ELIMIT, "json.limit",
                          "outlets: 1001 items, more than the 1000 allowed");
    free (text);
    text = s_many_outlets (1, CF_JSON_MAX_STRING + 1);
    s_expect_application (text, CF_ELIMIT, "json.limit",
                          "outlets[0].name: the text is 4097 bytes, more than "
                          "the 4096 allowed");
    free (text);
}

static void
test_depth_and_size_are_capped (void **state)
{
    (void)state;
    s_expect_application ("{\"outlets\": [[[[[[[[[1]]]]]]]]]}", CF_ELIMIT,
                          "json.limit",
                          "line 1, column 20: nested deeper than 8 levels");
    size_t size = CF_JSON_MAX_BYTES + 1;
    char *text = malloc (size);
    assert_non_null (text);
    memset (text, ' ', size);
    text[0] = '{';
    text[size - 1] = '}';
    Cf__Application *app = NULL;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_json_application (text, size, &app, problems),
                      CF_ELIMIT);
    assert_true (cf_problems_has (problems, "json.limit"));
    assert_null (app);
    cf_problems_destroy (&problems);
    free (text);
}

static void
test_every_problem_is_listed_and_limits_win (void **state)
{
    (void)state;
    char *text = s_many_outlets (CF_JSON_MAX_ITEMS + 1, 1);
    //  Turn the declarations into errors too: replace the opening brace
    char *mixed = NULL;
    assert_true (asprintf (&mixed,
                           "{\"employes\": 1, \"employees\": -1, "
                           "\"sector\": 3, %s",
                           text + 1) > 0);
    cf_problems_t *problems = cf_problems_new ();
    Cf__Application *app = NULL;
    assert_int_equal (
        cf_json_application (mixed, strlen (mixed), &app, problems), CF_ELIMIT);
    assert_int_equal (cf_problems_size (problems), 4);
    assert_string_equal (cf_problems_code (problems, 0), "json.unknown_field");
    assert_string_equal (cf_problems_code (problems, 1), "json.range");
    assert_string_equal (cf_problems_code (problems, 2), "json.type");
    assert_string_equal (cf_problems_code (problems, 3), "json.limit");
    cf_problems_destroy (&problems);
    free (mixed);
    free (text);
}

//  --------------------------------------------------------------------------
//  Files

static void
test_load_file_reports_what_went_wrong (void **state)
{
    (void)state;
    char *text = (char *)1;
    size_t size = 99;
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (cf_json_load_file (S_DATA "/no-such-file.json", 1024,
                                         &text, &size, problems),
                      CF_EIO);
    assert_null (text);
    assert_int_equal (size, 0);
    assert_string_equal (cf_problems_code (problems, 0), "file.read");
    assert_string_equal (cf_problems_message (problems, 0),
                         "cannot open " S_DATA "/no-such-file.json: No such "
                         "file or directory");
    cf_problems_reset (problems);
    assert_int_equal (cf_json_load_file (S_DATA, 1024, &text, &size, problems),
                      CF_EIO);
    assert_non_null (
        strstr (cf_problems_message (problems, 0), "Is a directory"));
    cf_problems_reset (problems);
    //  The fixture is 121 bytes
    assert_int_equal (cf_json_load_file (S_DATA "/broken-application.json", 100,
                                         &text, &size, problems),
                      CF_ELIMIT);
    assert_null (text);
    assert_string_equal (cf_problems_code (problems, 0), "file.size");
    assert_string_equal (cf_problems_message (problems, 0),
                         S_DATA "/broken-application.json is larger than the "
                                "limit of 100 bytes");
    cf_problems_reset (problems);
    assert_int_equal (cf_json_load_file (S_DATA "/broken-application.json", 132,
                                         &text, &size, problems),
                      0);
    assert_int_equal (size, 121);
    assert_int_equal (strlen (text), 121);
    assert_int_equal (text[0], '{');
    free (text);
    cf_problems_destroy (&problems);
}

//  --------------------------------------------------------------------------
//  Staff records

static void
test_staff_record_is_read_and_active_by_default (void **state)
{
    (void)state;
    const char *text = "{\"id\": \"AUD009\", \"name\": \"黄敏 Huang Min\", "
                       "\"roles\": [\"auditor\", \"reviewer\"], "
                       "\"sectors\": [\"SC03\"], "
                       "\"qualified_from\": \"2024-01-01\", "
                       "\"qualified_until\": \"2028-12-31\"}";
    Cf__Staff *staff = NULL;
    assert_int_equal (cf_json_staff (text, strlen (text), &staff, NULL), 0);
    assert_true (staff->active);
    assert_int_equal (staff->n_roles, 2);
    assert_string_equal (staff->roles[1], "reviewer");
    cf_pb_free (&staff);
    const char *retired = "{\"id\": \"AUD010\", \"name\": \"n\", \"roles\": "
                          "[\"auditor\"], \"active\": false}";
    assert_int_equal (cf_json_staff (retired, strlen (retired), &staff, NULL),
                      0);
    assert_false (staff->active);
    cf_pb_free (&staff);
}

static void
test_staff_record_content_is_checked (void **state)
{
    (void)state;
    const char *text =
        "{\"id\": \"AUD 9\", \"name\": \"\", \"roles\": [\"auditor\", "
        "\"boss\"], \"sectors\": [\"\"], \"qualified_from\": \"2029-01-01\", "
        "\"qualified_until\": \"2028-12-31\", \"conflicts\": [{\"uscc\": "
        "\"91330110MA2J7R4N39\", \"until\": \"soon\"}]}";
    cf_problems_t *problems = cf_problems_new ();
    Cf__Staff *staff = NULL;
    assert_int_equal (cf_json_staff (text, strlen (text), &staff, problems),
                      CF_EINVAL);
    assert_null (staff);
    const char *codes[] = {
        "staff.id",        "staff.name",      "staff.roles",    "staff.sectors",
        "staff.qualified", "staff.conflicts", "staff.conflicts"};
    assert_int_equal (cf_problems_size (problems), 7);
    for (size_t index = 0; index < 7; index++)
        assert_string_equal (cf_problems_code (problems, index), codes[index]);
    assert_string_equal (cf_problems_message (problems, 2),
                         "roles[1] is 'boss': write reviewer, auditor, "
                         "committee or admin");
    cf_problems_reset (problems);
    //  No roles at all, and a date that is not one
    const char *bare = "{\"id\": \"X1\", \"name\": \"n\", "
                       "\"qualified_until\": \"2028-02-30\"}";
    assert_int_equal (cf_json_staff (bare, strlen (bare), &staff, problems),
                      CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 2);
    assert_string_equal (cf_problems_code (problems, 0), "staff.roles");
    assert_string_equal (cf_problems_code (problems, 1), "staff.qualified");
    cf_problems_destroy (&problems);
}

static void
test_staff_form_errors_come_first (void **state)
{
    (void)state;
    //  A record that does not read is not checked for content
    const char *text = "{\"id\": \"X1\", \"roles\": \"auditor\"}";
    cf_problems_t *problems = cf_problems_new ();
    Cf__Staff *staff = NULL;
    assert_int_equal (cf_json_staff (text, strlen (text), &staff, problems),
                      CF_EINVAL);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_string_equal (cf_problems_code (problems, 0), "json.type");
    cf_problems_destroy (&problems);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_example_application_passes_for_any_day_in_2026_and_2027),
        cmocka_unit_test (
            test_example_scores_reach_three_stars_with_one_open_nonconformity),
        cmocka_unit_test (
            test_example_staff_cover_a_team_a_committee_and_a_conflict),
        cmocka_unit_test (test_syntax_error_gives_line_and_column),
        cmocka_unit_test (test_syntax_errors_of_every_kind),
        cmocka_unit_test (test_strict_text_refuses_what_json_c_lets_through),
        cmocka_unit_test (test_byte_order_mark_and_unterminated_text_are_fine),
        cmocka_unit_test (test_wrong_type_names_the_field),
        cmocka_unit_test (test_whole_numbers_may_be_written_as_decimals),
        cmocka_unit_test (test_unknown_field_suggests_the_close_name),
        cmocka_unit_test (test_unknown_field_lists_the_known_ones),
        cmocka_unit_test (test_numbers_out_of_range),
        cmocka_unit_test (test_severity_is_minor_or_major),
        cmocka_unit_test (test_declarations_must_be_written_out),
        cmocka_unit_test (test_null_counts_as_absent),
        cmocka_unit_test (test_nul_character_in_a_string_is_refused),
        cmocka_unit_test (test_sheet_reads_every_kind_of_item),
        cmocka_unit_test (test_lists_and_strings_are_capped),
        cmocka_unit_test (test_depth_and_size_are_capped),
        cmocka_unit_test (test_every_problem_is_listed_and_limits_win),
        cmocka_unit_test (test_load_file_reports_what_went_wrong),
        cmocka_unit_test (test_staff_record_is_read_and_active_by_default),
        cmocka_unit_test (test_staff_record_content_is_checked),
        cmocka_unit_test (test_staff_form_errors_come_first),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
