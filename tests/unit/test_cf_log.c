/*  Unit tests for cf_log: the record shapes (ISO 8601 time with its zone,
    text and JSON), level and format names, and reading them from a
    program's settings.  */

#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_config.h"
#include "cf_log.h"

//  2026-12-01T11:40:00.123Z
#define S_TIME_MS 1796125200123LL

static const cf_setting_t s_settings[] = {
    CF_LOG_SETTINGS,
    {"verbose", NULL, NULL, NULL, "debug", true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

static void
test_text_record_has_local_time_and_zone (void **state)
{
    (void)state;
    char line[256];
    size_t length = cf_log_format_record (line, sizeof line, CF_LOG_TEXT,
                                          "certflowd", 7, CF_LOG_WARNING,
                                          S_TIME_MS, 8 * 3600, "case=CF-1 x");
    assert_string_equal (line, "2026-12-01T19:40:00.123+08:00 certflowd W: "
                               "case=CF-1 x");
    assert_int_equal (length, strlen (line));
    cf_log_format_record (line, sizeof line, CF_LOG_TEXT, "w", 7, CF_LOG_DEBUG,
                          S_TIME_MS, -(5 * 3600 + 30 * 60), "m");
    assert_string_equal (line, "2026-12-01T06:10:00.123-05:30 w D: m");
    cf_log_format_record (line, sizeof line, CF_LOG_TEXT, "w", 7, CF_LOG_INFO,
                          S_TIME_MS, 0, "m");
    assert_string_equal (line, "2026-12-01T11:40:00.123+00:00 w I: m");
    //  Cut to fit, never past the buffer
    length = cf_log_format_record (line, 12, CF_LOG_TEXT, "w", 7, CF_LOG_INFO,
                                   S_TIME_MS, 0, "m");
    assert_int_equal (length, 11);
    assert_string_equal (line, "2026-12-01T");
}

static void
test_json_record_is_one_object (void **state)
{
    (void)state;
    char line[512];
    cf_log_format_record (line, sizeof line, CF_LOG_JSON, "certflowd", 42,
                          CF_LOG_ERROR, S_TIME_MS, 8 * 3600,
                          "say \"no\"\n\tto \xe6\x98\x9f");
    json_object *record = json_tokener_parse (line);
    assert_non_null (record);
    json_object *field;
    assert_true (json_object_object_get_ex (record, "time", &field));
    assert_string_equal (json_object_get_string (field),
                         "2026-12-01T19:40:00.123+08:00");
    assert_true (json_object_object_get_ex (record, "level", &field));
    assert_string_equal (json_object_get_string (field), "error");
    assert_true (json_object_object_get_ex (record, "program", &field));
    assert_string_equal (json_object_get_string (field), "certflowd");
    assert_true (json_object_object_get_ex (record, "pid", &field));
    assert_int_equal (json_object_get_int64 (field), 42);
    assert_true (json_object_object_get_ex (record, "message", &field));
    assert_string_equal (json_object_get_string (field),
                         "say \"no\"\n\tto \xe6\x98\x9f");
    assert_null (strchr (line, '\n'));
    json_object_put (record);
}

static void
test_json_record_cut_stays_valid (void **state)
{
    (void)state;
    //  A long message full of characters that escape: the record is cut to
    //  the buffer, still one object, and the message is a prefix
    char message[2000];
    for (size_t index = 0; index < sizeof message - 1; index++)
        message[index] = index % 3 ? '"' : 'a';
    message[sizeof message - 1] = 0;
    char line[300];
    size_t length =
        cf_log_format_record (line, sizeof line, CF_LOG_JSON, "certflowd", 1,
                              CF_LOG_INFO, S_TIME_MS, 0, message);
    assert_true (length > 0 && length < sizeof line);
    json_object *record = json_tokener_parse (line);
    assert_non_null (record);
    json_object *field;
    assert_true (json_object_object_get_ex (record, "message", &field));
    const char *kept = json_object_get_string (field);
    assert_true (strlen (kept) > 0);
    assert_int_equal (strncmp (kept, message, strlen (kept)), 0);
    json_object_put (record);
}

static void
test_names_round_trip (void **state)
{
    (void)state;
    const char *names[] = {"error", "warning", "notice", "info", "debug"};
    for (int index = 0; index < 5; index++) {
        cf_log_level_t level = CF_LOG_NOTICE;
        assert_int_equal (cf_log_level_parse (names[index], &level), 0);
        assert_int_equal (level, index);
        assert_string_equal (cf_log_level_name (level), names[index]);
    }
    cf_log_level_t level = CF_LOG_NOTICE;
    assert_int_equal (cf_log_level_parse ("loud", &level), CF_EINVAL);
    assert_int_equal (cf_log_level_parse (NULL, &level), CF_EINVAL);
    assert_int_equal (level, CF_LOG_NOTICE);
    cf_log_format_t format = CF_LOG_TEXT;
    assert_int_equal (cf_log_format_parse ("json", &format), 0);
    assert_int_equal (format, CF_LOG_JSON);
    assert_int_equal (cf_log_format_parse ("xml", &format), CF_EINVAL);
    assert_int_equal (format, CF_LOG_JSON);
}

static void
test_configure_reads_settings (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    cf_config_t *config = cf_config_new ("certflowd", s_settings);
    char *args[] = {"certflowd", "--log-level", "warning", "--log-format",
                    "json"};
    int rest = 0;
    assert_int_equal (cf_config_parse_args (config, 5, args, &rest, problems),
                      0);
    cf_log_format_t format = CF_LOG_TEXT;
    assert_int_equal (cf_log_configure (config, &format, problems), 0);
    assert_int_equal (format, CF_LOG_JSON);
    assert_int_equal (cf_log_level (), CF_LOG_WARNING);
    assert_false (cf_log_verbose ());
    cf_config_destroy (&config);

    //  --verbose wins over the level
    config = cf_config_new ("certflowd", s_settings);
    char *verbose[] = {"certflowd", "--log-level", "error", "--verbose"};
    assert_int_equal (
        cf_config_parse_args (config, 4, verbose, &rest, problems), 0);
    assert_int_equal (cf_log_configure (config, &format, problems), 0);
    assert_true (cf_log_verbose ());
    cf_config_destroy (&config);

    //  Both wrong: both named, nothing changed
    config = cf_config_new ("certflowd", s_settings);
    char *wrong[] = {"certflowd", "--log-level", "loud", "--log-format", "xml"};
    assert_int_equal (cf_config_parse_args (config, 5, wrong, &rest, problems),
                      0);
    cf_log_set_level (CF_LOG_INFO);
    assert_int_equal (cf_log_configure (config, &format, problems), CF_EINVAL);
    assert_int_equal (cf_log_level (), CF_LOG_INFO);
    assert_int_equal (cf_problems_size (problems), 2);
    assert_non_null (strstr (cf_problems_message (problems, 0), "'loud'"));
    assert_non_null (strstr (cf_problems_message (problems, 1), "'xml'"));
    cf_config_destroy (&config);
    cf_problems_destroy (&problems);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_text_record_has_local_time_and_zone),
        cmocka_unit_test (test_json_record_is_one_object),
        cmocka_unit_test (test_json_record_cut_stays_valid),
        cmocka_unit_test (test_names_round_trip),
        cmocka_unit_test (test_configure_reads_settings),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
