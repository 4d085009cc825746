/*  Unit tests for cf_scheme: the default scheme and its numbers, lookups,
    every way a scheme file can be wrong (each with its problem code), and
    certificate numbers.

    Most wrong files are made from examples/scheme.json with one or two
    values changed through json-c (s_changed), so each case shows exactly
    the mistake it is about; the files in tests/unit/schemes/ hold what
    cannot be written that way (broken syntax, a typo, many mistakes at
    once).  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"

#define S_EXAMPLE       CF_SOURCE_DIR "/examples/scheme.json"
#define S_FIXTURE(name) CF_SOURCE_DIR "/tests/unit/schemes/" name

//  One change to the example scheme
typedef struct {
    const char *path;  //  "grades[1].min"; NULL: no change
    const char *json;  //  New value as JSON; NULL: remove it
} s_change_t;

//  One way of being wrong and what the loader must say about it
typedef struct {
    s_change_t changes[2];  //  Applied in order to the example
    const char *code;       //  Problem code that must be present
    const char *fragment;   //  Text its message must contain
} s_case_t;

//  --------------------------------------------------------------------------
//  Helpers

//  Returns the value at the last segment of path: *parent gets the object or
//  array that holds it, and *key or *index where.
static void
s_resolve (json_object *root, const char *path, json_object **parent, char *key,
           size_t *index)
{
    json_object *node = root;
    const char *cursor = path;
    while (true) {
        json_object *holder = node;
        key[0] = 0;
        *index = SIZE_MAX;
        if (*cursor == '[') {
            *index = strtoul (cursor + 1, NULL, 10);
            cursor = strchr (cursor, ']') + 1;
            if (*index < json_object_array_length (holder))
                node = json_object_array_get_idx (holder, *index);
        } else {
            size_t length = strcspn (cursor, ".[");
            memcpy (key, cursor, length);
            key[length] = 0;
            cursor += length;
            node = NULL;
            json_object_object_get_ex (holder, key, &node);
        }
        if (*cursor == '.')
            cursor++;
        if (*cursor == 0) {
            *parent = holder;
            return;
        }
        assert_non_null (node);
    }
}

//  Returns the example scheme text with changes applied (caller frees)
static char *
s_changed (const s_change_t *changes, size_t count)
{
    json_object *root = json_object_from_file (S_EXAMPLE);
    assert_non_null (root);
    for (size_t index = 0; index < count && changes[index].path; index++) {
        json_object *parent = NULL;
        char key[64];
        size_t position;
        s_resolve (root, changes[index].path, &parent, key, &position);
        //  json-c holds JSON null as a NULL object
        const char *json = changes[index].json;
        bool removed = json == NULL;
        json_object *value = NULL;
        if (json && strcmp (json, "null") != 0) {
            value = json_tokener_parse (json);
            assert_non_null (value);
        }
        if (position != SIZE_MAX && !removed)
            assert_int_equal (
                json_object_array_put_idx (parent, position, value), 0);
        else if (position != SIZE_MAX)
            assert_int_equal (json_object_array_del_idx (parent, position, 1),
                              0);
        else if (!removed)
            assert_int_equal (json_object_object_add (parent, key, value), 0);
        else
            json_object_object_del (parent, key);
    }
    char *text = strdup (json_object_to_json_string_ext (
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put (root);
    assert_non_null (text);
    return text;
}

//  True when a problem with code has a message that contains fragment
static bool
s_problem_says (const cf_problems_t *problems, const char *code,
                const char *fragment)
{
    for (size_t index = 0; index < cf_problems_size (problems); index++)
        if (strcmp (cf_problems_code (problems, index), code) == 0 &&
            strstr (cf_problems_message (problems, index), fragment))
            return true;
    return false;
}

//  Checks that parsing text fails with rc, leaves no scheme, and reports
//  code with a message containing fragment
static void
s_expect_problem (const char *text, size_t size, int rc, const char *code,
                  const char *fragment, size_t case_index)
{
    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = (cf_scheme_t *)1;
    int result = cf_scheme_parse (text, size, "test.json", &scheme, problems);
    if (result != rc || scheme || !s_problem_says (problems, code, fragment)) {
        char *joined = cf_problems_join (problems);
        print_error ("case %zu: expected %s with '%s' in %s, got %s: %s\n",
                     case_index, code, fragment, cf_errname (rc),
                     cf_errname (result), joined);
        free (joined);
        cf_scheme_destroy (&scheme);
        cf_problems_destroy (&problems);
        fail ();
    }
    cf_problems_destroy (&problems);
}

//  Runs each case against a changed example: refused, with its code
static void
s_expect_cases (const s_case_t *cases, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        char *text = s_changed (cases[index].changes, 2);
        s_expect_problem (text, strlen (text), CF_ESCHEME, cases[index].code,
                          cases[index].fragment, index);
        free (text);
    }
}

//  Reads a whole file (caller frees); *size gets its length
static char *
s_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    char *text = malloc (CF_SCHEME_MAX_BYTES + 1);
    assert_non_null (text);
    *size = fread (text, 1, CF_SCHEME_MAX_BYTES, file);
    text[*size] = 0;
    fclose (file);
    return text;
}

//  --------------------------------------------------------------------------
//  The default scheme

static void
test_default_has_the_numbers_of_the_example (void **state)
{
    (void)state;
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    assert_string_equal (scheme->version, "CF-SC-27922-2026.1");
    assert_string_equal (scheme->standard, "GB/T 27922-2011");
    assert_int_equal (scheme->group_count, 3);
    assert_string_equal (scheme->groups[1].code, "B");
    assert_int_equal (scheme->indicator_count, 15);
    assert_string_equal (scheme->indicators[3].code, "A4");
    assert_string_equal (scheme->indicators[3].group, "A");
    assert_int_equal (scheme->indicators[3].points, 800);
    assert_int_equal (scheme->indicators[14].points, 1000);

    assert_int_equal (scheme->grade_count, 4);
    assert_string_equal (scheme->grades[0].name, "five_star");
    assert_int_equal (scheme->grades[0].min_tenths, 950);
    assert_true (scheme->grades[2].stars);
    assert_string_equal (scheme->grades[3].name, "compliant");
    assert_int_equal (scheme->grades[3].min_tenths, 700);
    assert_false (scheme->grades[3].stars);

    assert_int_equal (scheme->supplement_days, 30);
    assert_int_equal (scheme->rectification_ceiling_days, 90);
    assert_int_equal (scheme->rectification_max_rounds, 3);
    assert_int_equal (scheme->committee_size, 3);
    assert_int_equal (scheme->team_min_size, 2);
    assert_int_equal (scheme->star_wait_months, 12);
    assert_int_equal (scheme->system_min_months, 3);
    assert_int_equal (scheme->accident_lookback_months, 12);
    assert_int_equal (scheme->conflict_lookback_months, 24);
    assert_string_equal (scheme->certificate_pattern, "CFC{YYYY}SC{SEQ:5}");
    assert_int_equal (scheme->validity_years, 3);
    assert_int_equal (scheme->surveillance_months, 12);

    assert_int_equal (scheme->audit_time_count, 3);
    assert_int_equal (scheme->audit_time[1].max_employees, 500);
    assert_int_equal (scheme->audit_time[1].person_days_tenths, 20);
    assert_int_equal (scheme->audit_time[2].max_employees, 0);
    assert_int_equal (scheme->audit_time[2].person_days_tenths, 30);
    assert_int_equal (scheme->outlet_person_days_tenths, 5);
    assert_int_equal (scheme->category_person_days_tenths, 5);
    assert_int_equal (scheme->day_rate_fen, 300000);
    assert_int_equal (scheme->application_fee_fen, 200000);
    cf_scheme_destroy (&scheme);
    assert_null (scheme);
    cf_scheme_destroy (&scheme);
}

static void
test_default_equals_the_example_file (void **state)
{
    (void)state;
    cf_scheme_t *built_in = NULL;
    cf_scheme_t *file = NULL;
    assert_int_equal (cf_scheme_default (&built_in), 0);
    assert_int_equal (cf_scheme_load (S_EXAMPLE, &file, NULL), 0);

    assert_string_equal (built_in->version, file->version);
    assert_string_equal (built_in->name, file->name);
    assert_string_equal (built_in->standard, file->standard);
    assert_string_equal (built_in->issuer, file->issuer);
    assert_int_equal (built_in->group_count, file->group_count);
    for (size_t index = 0; index < file->group_count; index++) {
        assert_string_equal (built_in->groups[index].code,
                             file->groups[index].code);
        assert_string_equal (built_in->groups[index].name,
                             file->groups[index].name);
    }
    assert_int_equal (built_in->indicator_count, file->indicator_count);
    for (size_t index = 0; index < file->indicator_count; index++) {
        const cf_indicator_t *one = &built_in->indicators[index];
        const cf_indicator_t *two = &file->indicators[index];
        assert_string_equal (one->code, two->code);
        assert_string_equal (one->group, two->group);
        assert_string_equal (one->name, two->name);
        assert_int_equal (one->points, two->points);
    }
    assert_int_equal (built_in->grade_count, file->grade_count);
    for (size_t index = 0; index < file->grade_count; index++) {
        const cf_grade_t *one = &built_in->grades[index];
        const cf_grade_t *two = &file->grades[index];
        assert_string_equal (one->name, two->name);
        assert_string_equal (one->label, two->label);
        assert_int_equal (one->min_tenths, two->min_tenths);
        assert_int_equal (one->stars, two->stars);
    }
    assert_int_equal (built_in->supplement_days, file->supplement_days);
    assert_int_equal (built_in->signature_days, file->signature_days);
    assert_int_equal (built_in->rectification_days, file->rectification_days);
    assert_int_equal (built_in->rectification_ceiling_days,
                      file->rectification_ceiling_days);
    assert_int_equal (built_in->rectification_max_rounds,
                      file->rectification_max_rounds);
    assert_int_equal (built_in->committee_size, file->committee_size);
    assert_int_equal (built_in->team_min_size, file->team_min_size);
    assert_int_equal (built_in->star_wait_months, file->star_wait_months);
    assert_int_equal (built_in->system_min_months, file->system_min_months);
    assert_int_equal (built_in->accident_lookback_months,
                      file->accident_lookback_months);
    assert_int_equal (built_in->conflict_lookback_months,
                      file->conflict_lookback_months);
    assert_string_equal (built_in->certificate_pattern,
                         file->certificate_pattern);
    assert_int_equal (built_in->validity_years, file->validity_years);
    assert_int_equal (built_in->surveillance_months, file->surveillance_months);
    assert_int_equal (built_in->audit_time_count, file->audit_time_count);
    assert_memory_equal (built_in->audit_time, file->audit_time,
                         file->audit_time_count * sizeof (cf_audit_time_t));
    assert_int_equal (built_in->outlet_person_days_tenths,
                      file->outlet_person_days_tenths);
    assert_int_equal (built_in->category_person_days_tenths,
                      file->category_person_days_tenths);
    assert_int_equal (built_in->day_rate_fen, file->day_rate_fen);
    assert_int_equal (built_in->application_fee_fen, file->application_fee_fen);
    cf_scheme_destroy (&built_in);
    cf_scheme_destroy (&file);
}

static void
test_default_text_is_the_example_file (void **state)
{
    (void)state;
    size_t size = 0;
    char *text = s_slurp (S_EXAMPLE, &size);
    assert_int_equal (strlen (cf_scheme_default_text ()), size);
    assert_string_equal (cf_scheme_default_text (), text);
    free (text);
}

//  --------------------------------------------------------------------------
//  Lookups

static void
test_grade_is_read_from_the_score (void **state)
{
    (void)state;
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    struct {
        int32_t tenths;
        const char *grade;  //  NULL: a fail
    } expected[] = {{0, NULL},           {699, NULL},
                    {700, "compliant"},  {799, "compliant"},
                    {800, "three_star"}, {899, "three_star"},
                    {900, "four_star"},  {949, "four_star"},
                    {950, "five_star"},  {1000, "five_star"}};
    for (size_t index = 0; index < sizeof expected / sizeof expected[0];
         index++) {
        const cf_grade_t *grade =
            cf_scheme_grade (scheme, expected[index].tenths);
        if (expected[index].grade)
            assert_string_equal (grade->name, expected[index].grade);
        else
            assert_null (grade);
    }
    assert_int_equal (cf_scheme_pass_tenths (scheme), 700);
    cf_scheme_destroy (&scheme);
}

static void
test_indicators_and_grades_are_found_by_name (void **state)
{
    (void)state;
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    const cf_indicator_t *repair = cf_scheme_indicator (scheme, "B4");
    assert_non_null (repair);
    assert_int_equal (repair->points, 800);
    assert_string_equal (repair->group, "B");
    assert_null (cf_scheme_indicator (scheme, "B7"));
    assert_null (cf_scheme_indicator (scheme, "b4"));
    assert_null (cf_scheme_indicator (scheme, NULL));

    const cf_grade_t *four = cf_scheme_grade_named (scheme, "four_star");
    assert_non_null (four);
    assert_int_equal (four->min_tenths, 900);
    assert_string_equal (four->label, "四星级 four-star");
    assert_null (cf_scheme_grade_named (scheme, "gold"));
    assert_null (cf_scheme_grade_named (scheme, NULL));
    cf_scheme_destroy (&scheme);
}

//  --------------------------------------------------------------------------
//  Decimals are exact

static void
test_decimals_map_exactly_to_units (void **state)
{
    (void)state;
    s_change_t changes[] = {
        {"indicators[0].indicators[0].points", "5.75"},
        {"indicators[0].indicators[1].points", "6.25"},
        {"indicators[0].indicators[2].points", "6.00"},
        {"indicators[2].indicators[0].points", "1e1"},
        {"grades[3].min", "69.5"},
        {"deadlines.supplement_days", "30.0"},
        {"audit_time.base[0].person_days", "1.5"},
        {"audit_time.per_extra_category", "0"},
        {"fees.day_rate", "2999.99"},
        {"fees.application_fee", "0.01"},
    };
    char *text = s_changed (changes, sizeof changes / sizeof changes[0]);
    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_parse (text, strlen (text), "test.json", &scheme, problems),
        0);
    assert_int_equal (cf_problems_size (problems), 0);
    assert_int_equal (scheme->indicators[0].points, 575);
    assert_int_equal (scheme->indicators[1].points, 625);
    assert_int_equal (scheme->indicators[2].points, 600);
    assert_int_equal (scheme->indicators[13].points, 1000);
    assert_int_equal (scheme->grades[3].min_tenths, 695);
    assert_int_equal (cf_scheme_pass_tenths (scheme), 695);
    assert_int_equal (scheme->supplement_days, 30);
    assert_int_equal (scheme->audit_time[0].person_days_tenths, 15);
    assert_int_equal (scheme->category_person_days_tenths, 0);
    assert_int_equal (scheme->day_rate_fen, 299999);
    assert_int_equal (scheme->application_fee_fen, 1);
    cf_scheme_destroy (&scheme);
    cf_problems_destroy (&problems);
    free (text);
}

//  --------------------------------------------------------------------------
//  The file itself

static void
test_unreadable_file_is_an_io_error (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = (cf_scheme_t *)1;
    const char *missing = S_FIXTURE ("no_such_file.json");
    assert_int_equal (cf_scheme_load (missing, &scheme, problems), CF_EIO);
    assert_null (scheme);
    assert_true (s_problem_says (problems, "scheme.unreadable", missing));
    assert_true (
        s_problem_says (problems, "scheme.unreadable", "No such file"));

    //  A directory opens but does not read
    cf_problems_reset (problems);
    assert_int_equal (cf_scheme_load (S_FIXTURE (""), &scheme, problems),
                      CF_EIO);
    assert_true (s_problem_says (problems, "scheme.unreadable", "directory"));
    cf_problems_destroy (&problems);
}

static void
test_too_large_file_is_refused (void **state)
{
    (void)state;
    char path[] = "/tmp/test_cf_scheme_XXXXXX";
    int handle = mkstemp (path);
    assert_true (handle >= 0);
    FILE *file = fdopen (handle, "w");
    assert_non_null (file);
    fputs (cf_scheme_default_text (), file);
    for (size_t index = 0; index <= CF_SCHEME_MAX_BYTES; index++)
        fputc (' ', file);
    fclose (file);

    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_load (path, &scheme, problems), CF_ELIMIT);
    assert_null (scheme);
    assert_true (s_problem_says (problems, "scheme.too_large", path));
    unlink (path);

    //  In memory, too
    char *large = malloc (CF_SCHEME_MAX_BYTES + 1);
    assert_non_null (large);
    memset (large, ' ', CF_SCHEME_MAX_BYTES + 1);
    large[0] = '{';
    large[CF_SCHEME_MAX_BYTES] = '}';
    s_expect_problem (large, CF_SCHEME_MAX_BYTES + 1, CF_ELIMIT,
                      "scheme.too_large", "262145 bytes", 0);
    free (large);
    cf_problems_destroy (&problems);
}

static void
test_not_json_gives_line_and_column (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_load (S_FIXTURE ("not_json.json"), &scheme, problems),
        CF_EPARSE);
    assert_null (scheme);
    assert_int_equal (cf_problems_size (problems), 1);
    assert_true (
        s_problem_says (problems, "scheme.not_json", "line 4, column 3"));
    cf_problems_destroy (&problems);

    //  Columns count characters, not the bytes of UTF-8
    const char *chinese = "{\n  \"name\": \"商品\" \"x\"\n}";
    s_expect_problem (chinese, strlen (chinese), CF_EPARSE, "scheme.not_json",
                      "line 2, column 16", 0);
    s_expect_problem ("", 0, CF_EPARSE, "scheme.not_json", "empty", 0);
    s_expect_problem ("{\"version\": ", 12, CF_EPARSE, "scheme.not_json",
                      "ends before", 0);
    s_expect_problem ("{\"a\": 1,}", 9, CF_EPARSE, "scheme.not_json",
                      "line 1, column 9", 0);
    s_expect_problem ("{}\0{}", 5, CF_EPARSE, "scheme.not_json", "NUL byte", 0);
    s_expect_problem ("{} {}", 5, CF_EPARSE, "scheme.not_json",
                      "line 1, column 4", 0);
}

static void
test_top_level_must_be_an_object (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_load (S_FIXTURE ("top_level_list.json"), &scheme, problems),
        CF_ESCHEME);
    assert_null (scheme);
    assert_true (s_problem_says (problems, "scheme.not_object", "a list"));
    cf_problems_destroy (&problems);
}

static void
test_every_problem_is_reported_at_once (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_load (S_FIXTURE ("many_problems.json"), &scheme, problems),
        CF_ESCHEME);
    assert_null (scheme);
    const char *codes[] = {"scheme.unknown_key",
                           "scheme.empty_string",
                           "indicators.code_prefix",
                           "indicators.points_sum",
                           "grades.order",
                           "deadlines.rectification_ceiling_days",
                           "impartiality.committee_size",
                           "scheme.wrong_type",
                           "certificate.pattern_literal",
                           "certificate.pattern_seq",
                           "audit_time.no_unbounded",
                           "audit_time.per_outlet",
                           "fees.decimals"};
    size_t count = sizeof codes / sizeof codes[0];
    for (size_t index = 0; index < count; index++)
        assert_true (cf_problems_has (problems, codes[index]));
    assert_int_equal (cf_problems_size (problems), count);
    assert_true (s_problem_says (problems, "indicators.points_sum",
                                 "sum to 90.50, 9.50 short of 100.00"));
    cf_problems_destroy (&problems);

    //  Without a problem list only the return code tells
    assert_int_equal (
        cf_scheme_load (S_FIXTURE ("many_problems.json"), &scheme, NULL),
        CF_ESCHEME);
    assert_null (scheme);
}

//  --------------------------------------------------------------------------
//  Keys, types and strings

static void
test_misspelt_key_suggests_the_right_one (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_load (S_FIXTURE ("typo.json"), &scheme, problems),
        CF_ESCHEME);
    assert_true (s_problem_says (problems, "scheme.unknown_key",
                                 "unknown key 'comittee_size' in "
                                 "impartiality \u2014 did you mean "
                                 "'committee_size'?"));
    assert_true (s_problem_says (problems, "scheme.missing_key",
                                 "impartiality.committee_size"));
    assert_int_equal (cf_problems_size (problems), 2);
    cf_problems_destroy (&problems);
}

static void
test_missing_and_unknown_keys_are_reported (void **state)
{
    (void)state;
    const s_case_t cases[] = {
        {{{"version", NULL}}, "scheme.missing_key", "version: required key"},
        {{{"fees", NULL}},
         "scheme.missing_key",
         "'fees' is missing from "
         "the top level"},
        {{{"deadlines.signature_days", NULL}},
         "scheme.missing_key",
         "deadlines.signature_days"},
        {{{"indicators[0].code", NULL}},
         "scheme.missing_key",
         "indicators[0].code"},
        {{{"indicators[1].indicators[2].name", NULL}},
         "scheme.missing_key",
         "indicators[1].indicators[2].name"},
        {{{"grades[2].stars", NULL}}, "scheme.missing_key", "grades[2].stars"},
        {{{"audit_time.base[1].person_days", NULL}},
         "scheme.missing_key",
         "audit_time.base[1].person_days"},
        {{{"owner", "\"me\""}},
         "scheme.unknown_key",
         "unknown key 'owner' in the top level; remove it, the keys there "
         "are: version, name"},
        {{{"grades[0].minimum", "95"}},
         "scheme.unknown_key",
         "in grades[0]; remove it, the keys there are: name, label, min, "
         "stars"},
        {{{"version", NULL}, {"Version", "\"1\""}},
         "scheme.unknown_key",
         "did you mean 'version'?"},
        {{{"audit_time.per_outlets", "0.5"}, {"audit_time.per_outlet", NULL}},
         "scheme.unknown_key",
         "did you mean 'per_outlet'?"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);
}

//  The fields added since the first schemes may be absent, so that a
//  store's recorded schemes still read: they take their defaults
static void
test_later_fields_default_when_absent (void **state)
{
    (void)state;
    const s_change_t changes[] = {
        {"deadlines.service_level_days", NULL},
        {"certificate.surveillance_grace_days", NULL},
        {"certificate.surveillance_reminder_days", NULL},
        {"certificate.suspension_decision_days", NULL},
        {"certificate.suspension_months", NULL},
        {"certificate.suspension_months_max", NULL},
        {"certificate.recertification_months", NULL},
    };
    char *text = s_changed (changes, sizeof changes / sizeof changes[0]);
    assert_null (strstr (text, "service_level_days"));
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_parse (text, strlen (text), "older", &scheme, NULL), 0);
    assert_int_equal (scheme->service_level_days, 15);
    assert_int_equal (scheme->surveillance_grace_days, 0);
    assert_int_equal (scheme->surveillance_reminder_days, 30);
    assert_int_equal (scheme->suspension_decision_days, 5);
    assert_int_equal (scheme->suspension_months, 3);
    assert_int_equal (scheme->suspension_months_max, 6);
    assert_int_equal (scheme->recertification_months, 3);
    assert_int_equal (scheme->audit_notice_days, 14);
    cf_scheme_destroy (&scheme);
    free (text);
    //  A body that promises its cycle gives shorter notice of its audits
    const s_change_t shorter[] = {{"deadlines.audit_notice_days", "5"}};
    text = s_changed (shorter, 1);
    assert_int_equal (
        cf_scheme_parse (text, strlen (text), "shorter", &scheme, NULL), 0);
    assert_int_equal (scheme->audit_notice_days, 5);
    cf_scheme_destroy (&scheme);
    free (text);
    //  Given, they are checked like any other
    const s_case_t wrong[] = {
        {{{"deadlines.audit_notice_days", "91"}},
         "deadlines.audit_notice_days",
         "deadlines.audit_notice_days"},
        {{{"certificate.suspension_months_max", "30"}},
         "certificate.suspension_months_max",
         "certificate.suspension_months_max"},
        {{{"deadlines.service_level_days", "0"}},
         "deadlines.service_level_days",
         "deadlines.service_level_days"},
    };
    s_expect_cases (wrong, sizeof wrong / sizeof wrong[0]);
}

static void
test_wrong_types_are_reported (void **state)
{
    (void)state;
    const s_case_t cases[] = {
        {{{"version", "2026"}},
         "scheme.wrong_type",
         "version: must be a string, found the number 2026"},
        {{{"indicators", "{}"}}, "scheme.wrong_type", "must be a list"},
        {{{"indicators[1]", "\"B\""}},
         "scheme.wrong_type",
         "indicators[1]: must be an object"},
        {{{"indicators[0].indicators[3].points", "\"8\""}},
         "scheme.wrong_type",
         "indicators[0].indicators[3].points: must be a number, found the "
         "string \"8\"; write the number without quotes"},
        {{{"indicators[0].indicators[3].points", "NaN"}},
         "scheme.wrong_type",
         "not a plain decimal number"},
        {{{"grades[0].stars", "\"true\""}},
         "scheme.wrong_type",
         "grades[0].stars: must be true or false"},
        {{{"deadlines", "[30]"}},
         "scheme.wrong_type",
         "deadlines: must be an object"},
        {{{"stars.waiting_months", "null"}}, "scheme.wrong_type", "found null"},
        {{{"audit_time.base[2].max_employees", "null"}},
         "scheme.wrong_type",
         "audit_time.base[2].max_employees: must be a number"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);
}

static void
test_empty_strings_are_reported (void **state)
{
    (void)state;
    const s_case_t cases[] = {
        {{{"version", "\"\""}}, "scheme.empty_string", "version: is empty"},
        {{{"name", "\"   \""}}, "scheme.empty_string", "name: is empty"},
        {{{"standard", "\"\""}}, "scheme.empty_string", "standard: is empty"},
        {{{"issuer", "\"\""}}, "scheme.empty_string", "issuer: is empty"},
        {{{"indicators[1].name", "\"\""}},
         "scheme.empty_string",
         "indicators[1].name"},
        {{{"grades[3].label", "\"\""}},
         "scheme.empty_string",
         "grades[3].label"},
        {{{"certificate.number_pattern", "\"\""}},
         "scheme.empty_string",
         "certificate.number_pattern"},
        {{{"issuer", "\"certflow\\u0000CB\""}},
         "scheme.nul_in_string",
         "issuer: contains a NUL"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);
}

//  --------------------------------------------------------------------------
//  Indicators and grades

static void
test_indicator_problems_are_reported (void **state)
{
    (void)state;
    const s_case_t cases[] = {
        {{{"indicators", "[]"}}, "indicators.empty", "indicators: no "},
        {{{"indicators[2].indicators", "[]"}},
         "indicators.group_empty",
         "indicators[2].indicators: the group has no indicators"},
        {{{"indicators[1].indicators[0].code", "\"A1\""}},
         "indicators.duplicate_code",
         "'A1' is already used at indicators[0].indicators[0].code"},
        {{{"indicators[1].code", "\"A\""}},
         "indicators.duplicate_code",
         "indicators[1].code: code 'A'"},
        {{{"indicators[2].indicators[1].code", "\"D2\""}},
         "indicators.code_prefix",
         "'D2' does not start with its group's code 'C'"},
        {{{"indicators[0].indicators[0].code", "\"A 1\""}},
         "indicators.code_format",
         "only letters and digits"},
        {{{"indicators[0].indicators[0].points", "0"}},
         "indicators.points_range",
         "indicators[0].indicators[0].points: 0 is out of range"},
        {{{"indicators[0].indicators[0].points", "-6"}},
         "indicators.points_range",
         "from 0.01 to 100.00"},
        {{{"indicators[0].indicators[0].points", "6.125"}},
         "indicators.points_decimals",
         "6.125 has more than 2 decimals"},
        {{{"indicators[0].indicators[0].points", "7"}},
         "indicators.points_sum",
         "the 15 indicators sum to 101.00, 1.00 over 100.00"},
        {{{"indicators[0].indicators[0].points", "5.5"}},
         "indicators.points_sum",
         "sum to 99.50, 0.50 short of 100.00"},
        {{{"indicators[0].indicators[0].points", "1e30"}},
         "indicators.points_range",
         "1e30 is out of range"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);
}

static void
test_grade_problems_are_reported (void **state)
{
    (void)state;
    const s_case_t cases[] = {
        {{{"grades", "[]"}}, "grades.empty", "grades: no grades"},
        {{{"grades[1].name", "\"five_star\""}},
         "grades.duplicate_name",
         "grades[1].name: 'five_star' names grades[0] too"},
        {{{"grades[0].name", "\"Five Star\""}},
         "grades.name_format",
         "only a-z, 0-9 and '_'"},
        {{{"grades[0].min", "101"}},
         "grades.min_range",
         "grades[0].min: 101 is out of range; scores must be from 0.0 to "
         "100.0"},
        {{{"grades[3].min", "-1"}}, "grades.min_range", "-1 is out of range"},
        {{{"grades[0].min", "95.55"}},
         "grades.min_decimals",
         "95.55 has more than 1 decimal"},
        {{{"grades[1].min", "95"}},
         "grades.order",
         "grades[1].min: 95.0 is not below 95.0, the min of the grade "
         "before it ('five_star')"},
        {{{"grades[3].min", "85"}}, "grades.order", "grades[3].min"},
        {{{"grades[1].stars", "false"}},
         "grades.star_order",
         "grades[2].stars: a star grade is listed below a grade without "
         "stars"},
        {{{"grades[3].stars", "true"}},
         "grades.no_plain_grade",
         "every grade has stars"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);
}

//  --------------------------------------------------------------------------
//  Deadlines, months and sizes

static void
test_whole_numbers_must_be_in_range (void **state)
{
    (void)state;
    const s_case_t cases[] = {
        {{{"deadlines.supplement_days", "0"}},
         "deadlines.supplement_days",
         "0 is out of range; the days the applicant has to supply materials "
         "must be from 1 to 365"},
        {{{"deadlines.signature_days", "366"}},
         "deadlines.signature_days",
         "366 is out of range"},
        {{{"deadlines.rectification_days", "30.5"}},
         "scheme.not_whole",
         "deadlines.rectification_days: must be a whole number, found 30.5"},
        {{{"deadlines.rectification_ceiling_days", "20"}},
         "deadlines.rectification_ceiling_days",
         "20 is less than rectification_days (30)"},
        {{{"deadlines.rectification_max_rounds", "0"}},
         "deadlines.rectification_max_rounds",
         "from 1 to 10"},
        {{{"deadlines.rectification_max_rounds", "11"}},
         "deadlines.rectification_max_rounds",
         "11 is out of range"},
        {{{"eligibility.system_min_months", "-1"}},
         "eligibility.system_min_months",
         "from 0 to 60"},
        {{{"eligibility.accident_lookback_months", "61"}},
         "eligibility.accident_lookback_months",
         "61 is out of range"},
        {{{"impartiality.team_min_size", "0"}},
         "impartiality.team_min_size",
         "from 1 to 10"},
        {{{"impartiality.committee_size", "16"}},
         "impartiality.committee_size",
         "16 is out of range; the committee members must be from 1 to 15; "
         "prefer an odd size: an even committee can tie, and a tie refuses"},
        {{{"impartiality.committee_size", "0"}},
         "impartiality.committee_size",
         "0 is out of range"},
        {{{"impartiality.conflict_lookback_months", "72"}},
         "impartiality.conflict_lookback_months",
         "72 is out of range"},
        {{{"stars.waiting_months", "61"}},
         "stars.waiting_months",
         "61 is out of range"},
        {{{"certificate.validity_years", "0"}},
         "certificate.validity_years",
         "from 1 to 10"},
        {{{"certificate.validity_years", "11"}},
         "certificate.validity_years",
         "11 is out of range"},
        {{{"certificate.surveillance_months", "0"}},
         "certificate.surveillance_months",
         "0 is out of range"},
        {{{"certificate.surveillance_months", "48"}},
         "certificate.surveillance_months",
         "48 is longer than the certificate's life (3 years); make it at "
         "most 36"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);
}

static void
test_even_committee_is_accepted (void **state)
{
    (void)state;
    //  Allowed, though a tie refuses (cf_case_tally); the range message
    //  says so to whoever sets an out-of-range size
    s_change_t change = {"impartiality.committee_size", "4"};
    char *text = s_changed (&change, 1);
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_parse (text, strlen (text), "test.json", &scheme, NULL), 0);
    assert_int_equal (scheme->committee_size, 4);
    cf_scheme_destroy (&scheme);
    free (text);
}

//  --------------------------------------------------------------------------
//  Audit time and fees

static void
test_audit_time_problems_are_reported (void **state)
{
    (void)state;
    const s_case_t cases[] = {
        {{{"audit_time.base", "[]"}},
         "audit_time.base_empty",
         "audit_time.base: no steps"},
        {{{"audit_time.base[2].max_employees", "5000"}},
         "audit_time.no_unbounded",
         "audit_time.base[2]: the last step has max_employees 5000"},
        {{{"audit_time.base[0].max_employees", NULL}},
         "audit_time.unbounded_not_last",
         "audit_time.base[0]: a step without max_employees must be the "
         "last one"},
        {{{"audit_time.base[1].max_employees", "50"}},
         "audit_time.base_order",
         "audit_time.base[1]: max_employees 50 is not above 50"},
        {{{"audit_time.base[0].max_employees", "0"}},
         "audit_time.max_employees",
         "audit_time.base[0].max_employees: 0 is out of range"},
        {{{"audit_time.base[0].max_employees", "50.5"}},
         "scheme.not_whole",
         "audit_time.base[0].max_employees: must be a whole number"},
        {{{"audit_time.base[1].person_days", "0"}},
         "audit_time.person_days",
         "audit_time.base[1].person_days: 0 is out of range; person-days "
         "must be from 0.1 to 1000.0"},
        {{{"audit_time.base[1].person_days", "1.25"}},
         "audit_time.person_days_decimals",
         "1.25 has more than 1 decimal"},
        {{{"audit_time.per_outlet", "0.4"}},
         "audit_time.per_outlet",
         "0.4 is out of range; person-days per fixed service outlet must be "
         "from 0.5 to 1000.0; each fixed outlet gets at least 0.5"},
        {{{"audit_time.per_extra_category", "-0.5"}},
         "audit_time.per_extra_category",
         "-0.5 is out of range"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);
}

static void
test_fee_problems_are_reported (void **state)
{
    (void)state;
    const s_case_t cases[] = {
        {{{"fees.day_rate", "-1"}},
         "fees.day_rate",
         "fees.day_rate: -1 is out of range; fees in yuan must be from 0.00"},
        {{{"fees.application_fee", "2000.001"}},
         "fees.decimals",
         "2000.001 has more than 2 decimals; write at most 2 (fees in yuan "
         "are counted in steps of 0.01)"},
        {{{"fees.day_rate", "\"3000\""}}, "scheme.wrong_type", "fees.day_rate"},
        {{{"fees.application_fee", "1e12"}},
         "fees.application_fee",
         "1e12 is out of range"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);
}

//  --------------------------------------------------------------------------
//  Certificate numbers

static void
test_certificate_number_expands_the_pattern (void **state)
{
    (void)state;
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    char number[CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1];
    assert_int_equal (
        cf_scheme_certificate_number (scheme, 2026, 42, number, sizeof number),
        0);
    assert_string_equal (number, "CFC2026SC00042");
    assert_int_equal (cf_scheme_certificate_number (scheme, 2031, 99999, number,
                                                    sizeof number),
                      0);
    assert_string_equal (number, "CFC2031SC99999");

    //  An exact fit: 14 characters and the NUL
    char exact[15];
    assert_int_equal (
        cf_scheme_certificate_number (scheme, 2026, 1, exact, sizeof exact), 0);
    assert_string_equal (exact, "CFC2026SC00001");

    free (scheme->certificate_pattern);
    scheme->certificate_pattern = strdup ("CB-{YY}-{SEQ:3}-{YYYY}");
    assert_int_equal (
        cf_scheme_certificate_number (scheme, 2009, 7, number, sizeof number),
        0);
    assert_string_equal (number, "CB-09-007-2009");
    cf_scheme_destroy (&scheme);
}

static void
test_certificate_number_refuses_what_does_not_fit (void **state)
{
    (void)state;
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    char number[CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1] = "unchanged";
    assert_int_equal (cf_scheme_certificate_number (scheme, 2026, 100000,
                                                    number, sizeof number),
                      CF_ELIMIT);
    assert_string_equal (number, "");
    char small[14];
    assert_int_equal (
        cf_scheme_certificate_number (scheme, 2026, 42, small, sizeof small),
        CF_ELIMIT);
    assert_string_equal (small, "");

    assert_int_equal (
        cf_scheme_certificate_number (scheme, 2026, 0, number, sizeof number),
        CF_EINVAL);
    assert_int_equal (
        cf_scheme_certificate_number (scheme, 999, 1, number, sizeof number),
        CF_EINVAL);
    assert_int_equal (
        cf_scheme_certificate_number (scheme, 10000, 1, number, sizeof number),
        CF_EINVAL);

    //  A pattern put in by hand is checked like one from a file
    free (scheme->certificate_pattern);
    scheme->certificate_pattern = strdup ("cfc{YYYY}{SEQ:5}");
    assert_int_equal (
        cf_scheme_certificate_number (scheme, 2026, 1, number, sizeof number),
        CF_EINVAL);
    free (scheme->certificate_pattern);
    scheme->certificate_pattern = NULL;
    assert_int_equal (
        cf_scheme_certificate_number (scheme, 2026, 1, number, sizeof number),
        CF_EINVAL);
    cf_scheme_destroy (&scheme);
}

//  A scheme's version is shown by every client: bytes that are not UTF-8
//  would make every reply that carries it undecodable
static void
test_invalid_utf8_in_the_scheme_is_refused (void **state)
{
    (void)state;
    char *text = s_changed ((const s_change_t[]){{"version", "\"v1-X\""}}, 1);
    char *version = strstr (text, "v1-X");
    assert_non_null (version);
    version[2] = (char)0xC0;  //  Overlong: "\xC0\xAF" is '/' in two bytes
    version[3] = (char)0xAF;
    s_expect_problem (text, strlen (text), CF_EPARSE, "scheme.not_json",
                      "byte 0xC0 is not valid UTF-8", 0);
    free (text);
}

static void
test_bad_patterns_are_refused_at_load (void **state)
{
    (void)state;
    const char *path = "certificate.number_pattern";
    const s_case_t cases[] = {
        {{{path, "\"cfc{YYYY}{SEQ:5}\""}},
         "certificate.pattern_literal",
         "'c' at position 1 is not allowed"},
        {{{path, "\"CFC {YYYY}{SEQ:5}\""}},
         "certificate.pattern_literal",
         "a space at position 4"},
        {{{path, "\"CFC{YYYY}认证{SEQ:5}\""}},
         "certificate.pattern_literal",
         "'认' at position 10 is not allowed"},
        {{{path, "\"CFC{YYYY}\\u00e9{SEQ:5}\""}},
         "certificate.pattern_literal",
         "'é' at position 10 is not allowed"},
        {{{path, "\"CFC{YYYY}\\u0007{SEQ:5}\""}},
         "certificate.pattern_literal",
         "a control character at position 10"},
        {{{path, "\"CFC_{YYYY}{SEQ:5}\""}},
         "certificate.pattern_literal",
         "only A-Z, 0-9 and '-'"},
        {{{path, "\"C{YYYY}{SEQ:5}\""}},
         "certificate.pattern_cb_code",
         "has 1 literal characters"},
        {{{path, "\"CFC{YYYY}\""}},
         "certificate.pattern_seq",
         "has 0 {SEQ:n} tokens"},
        {{{path, "\"CFC{YYYY}{SEQ:3}{SEQ:4}\""}},
         "certificate.pattern_seq",
         "has 2 {SEQ:n} tokens"},
        {{{path, "\"CFC{SEQ:5}\""}}, "certificate.pattern_year", "has no year"},
        {{{path, "\"CFC{YYYY}{SEQ:0}\""}},
         "certificate.pattern_seq_width",
         "'{SEQ:0}' asks for 0 digits"},
        {{{path, "\"CFC{YYYY}{SEQ:10}\""}},
         "certificate.pattern_seq_width",
         "n from 1 to 9"},
        {{{path, "\"CFC{YYYY}{NUM}{SEQ:5}\""}},
         "certificate.pattern_token",
         "'{NUM}' at position 10 is not a token"},
        {{{path, "\"CFC{YYYY}{SEQ:x}\""}},
         "certificate.pattern_token",
         "'{SEQ:x}'"},
        {{{path, "\"CFC{YYYY}{SEQ:5\""}},
         "certificate.pattern_brace",
         "the '{' at position 10 is never closed"},
        {{{path, "\"CFCABCDEFGHIJKLMNOPQ{YYYY}{SEQ:9}\""}},
         "certificate.pattern_length",
         "expands to 33 characters"},
    };
    s_expect_cases (cases, sizeof cases / sizeof cases[0]);

    //  32 characters is the longest allowed
    s_change_t longest = {path, "\"CFCABCDEFGHIJKLMNOP{YYYY}{SEQ:9}\""};
    char *text = s_changed (&longest, 1);
    cf_scheme_t *scheme = NULL;
    assert_int_equal (
        cf_scheme_parse (text, strlen (text), "test.json", &scheme, NULL), 0);
    char number[CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1];
    assert_int_equal (cf_scheme_certificate_number (scheme, 2026, 123456789,
                                                    number, sizeof number),
                      0);
    assert_string_equal (number, "CFCABCDEFGHIJKLMNOP2026123456789");
    cf_scheme_destroy (&scheme);
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_invalid_utf8_in_the_scheme_is_refused),
        cmocka_unit_test (test_default_has_the_numbers_of_the_example),
        cmocka_unit_test (test_default_equals_the_example_file),
        cmocka_unit_test (test_default_text_is_the_example_file),
        cmocka_unit_test (test_grade_is_read_from_the_score),
        cmocka_unit_test (test_indicators_and_grades_are_found_by_name),
        cmocka_unit_test (test_decimals_map_exactly_to_units),
        cmocka_unit_test (test_unreadable_file_is_an_io_error),
        cmocka_unit_test (test_too_large_file_is_refused),
        cmocka_unit_test (test_not_json_gives_line_and_column),
        cmocka_unit_test (test_top_level_must_be_an_object),
        cmocka_unit_test (test_every_problem_is_reported_at_once),
        cmocka_unit_test (test_misspelt_key_suggests_the_right_one),
        cmocka_unit_test (test_missing_and_unknown_keys_are_reported),
        cmocka_unit_test (test_later_fields_default_when_absent),
        cmocka_unit_test (test_wrong_types_are_reported),
        cmocka_unit_test (test_empty_strings_are_reported),
        cmocka_unit_test (test_indicator_problems_are_reported),
        cmocka_unit_test (test_grade_problems_are_reported),
        cmocka_unit_test (test_whole_numbers_must_be_in_range),
        cmocka_unit_test (test_even_committee_is_accepted),
        cmocka_unit_test (test_audit_time_problems_are_reported),
        cmocka_unit_test (test_fee_problems_are_reported),
        cmocka_unit_test (test_certificate_number_expands_the_pattern),
        cmocka_unit_test (test_certificate_number_refuses_what_does_not_fit),
        cmocka_unit_test (test_bad_patterns_are_refused_at_load),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
