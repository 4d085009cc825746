/*  Unit tests for cf_config: where each value comes from, and how every
    kind of bad flag, file and number is reported. The environment variables
    are test-only names, set and unset by each test.  */

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_config.h"

//  A table shaped like certflowd's
static const cf_setting_t s_settings[] = {
    {"config", NULL, NULL, NULL, "ZPL config file", false},
    {"data", "data", "CF_TEST_DATA", "data", "data directory", false},
    {"client", "endpoints/client", "CF_TEST_CLIENT", "tcp://127.0.0.1:5580",
     "client API endpoint", false},
    {"worker", "endpoints/worker", NULL, "tcp://127.0.0.1:5581",
     "worker API endpoint", false},
    {"map_size", "map_size", "CF_TEST_MAP_SIZE", "64M", "store map size",
     false},
    {"lease_ms", "jobs/lease_ms", NULL, "30000", "job lease", false},
    {"scheme", "scheme", NULL, NULL, "scheme file", false},
    {"verbose", NULL, "CF_TEST_VERBOSE", NULL, "log debug records", true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

typedef struct {
    char dir[64];             //  mkdtemp directory for config files
    char file[128];           //  dir/certflowd.cfg
    cf_config_t *config;      //  Fresh config for certflowd
    cf_problems_t *problems;  //  Collected by the test
} fixture_t;

static int
s_remove_entry (const char *path, const struct stat *info, int flag,
                struct FTW *ftw)
{
    (void)info;
    (void)flag;
    (void)ftw;
    return remove (path);
}

static void
s_clear_environment (void)
{
    unsetenv ("CF_TEST_DATA");
    unsetenv ("CF_TEST_CLIENT");
    unsetenv ("CF_TEST_MAP_SIZE");
    unsetenv ("CF_TEST_VERBOSE");
}

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_non_null (fixture);
    strcpy (fixture->dir, "/tmp/cf_config_XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    snprintf (fixture->file, sizeof fixture->file, "%s/certflowd.cfg",
              fixture->dir);
    s_clear_environment ();
    fixture->config = cf_config_new ("certflowd", s_settings);
    fixture->problems = cf_problems_new ();
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    cf_config_destroy (&fixture->config);
    cf_config_destroy (&fixture->config);  //  NULL-safe
    cf_problems_destroy (&fixture->problems);
    s_clear_environment ();
    nftw (fixture->dir, s_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free (fixture);
    return 0;
}

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    assert_true (fputs (text, file) >= 0);
    assert_int_equal (fclose (file), 0);
}

static int
s_parse (fixture_t *fixture, int argc, const char **argv, int *rest)
{
    return cf_config_parse_args (fixture->config, argc, (char **)argv, rest,
                                 fixture->problems);
}

//  Fails unless a problem with code was recorded whose text holds needle
static void
s_expect (fixture_t *fixture, const char *code, const char *needle)
{
    char *text = cf_problems_join (fixture->problems);
    if (!cf_problems_has (fixture->problems, code) ||
        (needle && !strstr (text, needle)))
        fail_msg ("expected %s mentioning \"%s\", got: %s", code,
                  needle ? needle : "", text);
    free (text);
    cf_problems_reset (fixture->problems);
}

//  --------------------------------------------------------------------------

static void
test_defaults_apply_when_nothing_is_set (void **state)
{
    fixture_t *fixture = *state;
    assert_string_equal (cf_config_get (fixture->config, "data"), "data");
    assert_string_equal (cf_config_get (fixture->config, "client"),
                         "tcp://127.0.0.1:5580");
    assert_null (cf_config_get (fixture->config, "scheme"));
    assert_false (cf_config_flag (fixture->config, "verbose"));
}

static void
test_flag_beats_environment_beats_file_beats_default (void **state)
{
    fixture_t *fixture = *state;
    cf_config_t *config = fixture->config;
    s_write (fixture->file, "certflowd\n"
                            "    data = \"/from/file\"\n"
                            "    endpoints\n"
                            "        client = \"tcp://file:1\"\n");
    assert_int_equal (cf_config_load (config, fixture->file, NULL), 0);
    assert_string_equal (cf_config_get (config, "data"), "/from/file");
    assert_string_equal (cf_config_get (config, "client"), "tcp://file:1");
    //  Untouched by the file: still the default
    assert_string_equal (cf_config_get (config, "worker"),
                         "tcp://127.0.0.1:5581");

    setenv ("CF_TEST_DATA", "/from/env", 1);
    assert_string_equal (cf_config_get (config, "data"), "/from/env");
    //  An empty variable counts as unset
    setenv ("CF_TEST_DATA", "", 1);
    assert_string_equal (cf_config_get (config, "data"), "/from/file");
    setenv ("CF_TEST_DATA", "/from/env", 1);

    const char *argv[] = {"certflowd", "--data", "/from/flag", "run"};
    int rest = 0;
    assert_int_equal (s_parse (fixture, 4, argv, &rest), 0);
    assert_int_equal (rest, 3);
    assert_string_equal (cf_config_get (config, "data"), "/from/flag");
    assert_string_equal (cf_config_get (config, "client"), "tcp://file:1");
}

static void
test_parse_args_forms_and_rest (void **state)
{
    fixture_t *fixture = *state;
    const char *argv[] = {"certflowd", "--verbose", "--client=tcp://x:1",
                          "--data",    "d1",        "--data",
                          "d2",        "run",       "--not-parsed"};
    int rest = 0;
    assert_int_equal (s_parse (fixture, 9, argv, &rest), 0);
    assert_int_equal (rest, 7);
    assert_true (cf_config_flag (fixture->config, "verbose"));
    assert_string_equal (cf_config_get (fixture->config, "client"),
                         "tcp://x:1");
    //  A repeated flag: the last wins
    assert_string_equal (cf_config_get (fixture->config, "data"), "d2");

    //  "--" ends the flags; "-" is an argument; no arguments: rest = argc
    const char *dashes[] = {"certflowd", "--", "--data"};
    assert_int_equal (s_parse (fixture, 3, dashes, &rest), 0);
    assert_int_equal (rest, 2);
    const char *stdin_arg[] = {"certflowd", "-", "x"};
    assert_int_equal (s_parse (fixture, 3, stdin_arg, &rest), 0);
    assert_int_equal (rest, 1);
    const char *none[] = {"certflowd"};
    assert_int_equal (s_parse (fixture, 1, none, &rest), 0);
    assert_int_equal (rest, 1);

    //  A value that starts with "--" must use the = form
    const char *dashed[] = {"certflowd", "--data=--odd"};
    assert_int_equal (s_parse (fixture, 2, dashed, &rest), 0);
    assert_string_equal (cf_config_get (fixture->config, "data"), "--odd");
}

static void
test_switch_reads_flag_and_environment (void **state)
{
    fixture_t *fixture = *state;
    setenv ("CF_TEST_VERBOSE", "1", 1);
    assert_true (cf_config_flag (fixture->config, "verbose"));
    setenv ("CF_TEST_VERBOSE", "TRUE", 1);
    assert_true (cf_config_flag (fixture->config, "verbose"));
    setenv ("CF_TEST_VERBOSE", "no", 1);
    assert_false (cf_config_flag (fixture->config, "verbose"));
    const char *argv[] = {"certflowd", "--verbose=false"};
    int rest = 0;
    assert_int_equal (s_parse (fixture, 2, argv, &rest), 0);
    assert_false (cf_config_flag (fixture->config, "verbose"));
}

static void
test_unknown_flag_is_refused_with_the_list (void **state)
{
    fixture_t *fixture = *state;
    int rest = 0;
    const char *argv[] = {"certflowd", "--bogus", "run"};
    assert_int_equal (s_parse (fixture, 3, argv, &rest), CF_EINVAL);
    s_expect (fixture, "config.flag", "--bogus");
    assert_int_equal (s_parse (fixture, 3, argv, &rest), CF_EINVAL);
    s_expect (fixture, "config.flag", "--data VALUE");
    assert_int_equal (s_parse (fixture, 3, argv, &rest), CF_EINVAL);
    s_expect (fixture, "config.flag", "--scheme VALUE, --verbose");

    const char *single[] = {"certflowd", "-v"};
    assert_int_equal (s_parse (fixture, 2, single, &rest), CF_EINVAL);
    s_expect (fixture, "config.flag", "-v");
}

static void
test_flag_missing_its_value_is_refused (void **state)
{
    fixture_t *fixture = *state;
    int rest = 0;
    const char *at_end[] = {"certflowd", "--data"};
    assert_int_equal (s_parse (fixture, 2, at_end, &rest), CF_EINVAL);
    s_expect (fixture, "config.value", "--data VALUE");
    const char *before_flag[] = {"certflowd", "--data", "--verbose"};
    assert_int_equal (s_parse (fixture, 3, before_flag, &rest), CF_EINVAL);
    s_expect (fixture, "config.value", "--data");
    assert_string_equal (cf_config_get (fixture->config, "data"), "data");
}

static void
test_unknown_key_in_file_is_named (void **state)
{
    fixture_t *fixture = *state;
    s_write (fixture->file, "certflowd\n"
                            "    data = \"/ignored\"\n"
                            "    bogus = 1\n"
                            "    endpoints\n"
                            "        nope = \"x\"\n"
                            "other\n"
                            "    data = 2\n");
    assert_int_equal (
        cf_config_load (fixture->config, fixture->file, fixture->problems),
        CF_EINVAL);
    char *text = cf_problems_join (fixture->problems);
    assert_non_null (strstr (text, "certflowd/bogus"));
    assert_non_null (strstr (text, "certflowd/endpoints/nope"));
    assert_non_null (strstr (text, "unknown key other"));
    assert_non_null (strstr (text, fixture->file));
    free (text);
    assert_int_equal (cf_problems_size (fixture->problems), 3);
    //  All or nothing: the good key in the bad file did not apply
    assert_string_equal (cf_config_get (fixture->config, "data"), "data");
}

static void
test_misplaced_keys_in_file_are_refused (void **state)
{
    fixture_t *fixture = *state;
    s_write (fixture->file, "certflowd\n"
                            "    data = \"/a\"\n"
                            "    data = \"/b\"\n");
    assert_int_equal (
        cf_config_load (fixture->config, fixture->file, fixture->problems),
        CF_EINVAL);
    s_expect (fixture, "config.key", "set twice");

    s_write (fixture->file, "certflowd\n"
                            "    data = \"/a\"\n"
                            "        deeper = 1\n");
    assert_int_equal (
        cf_config_load (fixture->config, fixture->file, fixture->problems),
        CF_EINVAL);
    s_expect (fixture, "config.key", "certflowd/data");

    //  A flag-only setting has no file key
    s_write (fixture->file, "certflowd\n"
                            "    config = \"/x\"\n");
    assert_int_equal (
        cf_config_load (fixture->config, fixture->file, fixture->problems),
        CF_EINVAL);
    s_expect (fixture, "config.unknown", "certflowd/config");
}

static void
test_unreadable_file_is_an_io_error (void **state)
{
    fixture_t *fixture = *state;
    char missing[160];
    snprintf (missing, sizeof missing, "%s/missing.cfg", fixture->dir);
    assert_int_equal (
        cf_config_load (fixture->config, missing, fixture->problems), CF_EIO);
    s_expect (fixture, "config.io", missing);
    assert_int_equal (
        cf_config_load (fixture->config, fixture->dir, fixture->problems),
        CF_EIO);
    s_expect (fixture, "config.io", fixture->dir);
}

static void
test_bad_zpl_is_a_parse_error (void **state)
{
    fixture_t *fixture = *state;
    s_write (fixture->file, "certflowd\n"
                            "    data = \"unterminated\n");
    assert_int_equal (
        cf_config_load (fixture->config, fixture->file, fixture->problems),
        CF_EPARSE);
    s_expect (fixture, "config.syntax", fixture->file);
    s_write (fixture->file, "certflowd\n"
                            "\tdata = 1\n");
    assert_int_equal (
        cf_config_load (fixture->config, fixture->file, fixture->problems),
        CF_EPARSE);
    s_expect (fixture, "config.syntax", NULL);
}

static void
test_numbers_take_size_suffixes (void **state)
{
    fixture_t *fixture = *state;
    int64_t value = 0;
    //  The default "64M"
    assert_int_equal (cf_config_number (fixture->config, "map_size", 1,
                                        INT64_MAX, &value, NULL),
                      0);
    assert_int_equal (value, 64 * 1024 * 1024);
    const struct {
        const char *text;
        int64_t value;
    } good[] = {
        {"30000", 30000},
        {"1k", 1024},
        {"1K", 1024},
        {"2G", 2LL * 1024 * 1024 * 1024},
        {"+7", 7},
        {"0", 0},
        {"8589934592", 8589934592LL},
    };
    for (size_t index = 0; index < sizeof good / sizeof good[0]; index++) {
        setenv ("CF_TEST_MAP_SIZE", good[index].text, 1);
        assert_int_equal (cf_config_number (fixture->config, "map_size", 0,
                                            INT64_MAX, &value, NULL),
                          0);
        assert_int_equal (value, good[index].value);
    }
}

static void
test_bad_numbers_name_setting_value_and_range (void **state)
{
    fixture_t *fixture = *state;
    int64_t value = 42;
    const char *malformed[] = {"abc", "12x", "5kb", " 5", "5 ", "-", "1.5"};
    for (size_t index = 0; index < sizeof malformed / sizeof malformed[0];
         index++) {
        setenv ("CF_TEST_MAP_SIZE", malformed[index], 1);
        assert_int_equal (cf_config_number (fixture->config, "map_size", 0, 100,
                                            &value, fixture->problems),
                          CF_EINVAL);
        s_expect (fixture, "config.number", "CF_TEST_MAP_SIZE");
    }
    const char *outside[] = {"-1", "101", "1k", "99999999999999999999",
                             "9999999999G"};
    for (size_t index = 0; index < sizeof outside / sizeof outside[0];
         index++) {
        setenv ("CF_TEST_MAP_SIZE", outside[index], 1);
        assert_int_equal (cf_config_number (fixture->config, "map_size", 0, 100,
                                            &value, fixture->problems),
                          CF_EINVAL);
        s_expect (fixture, "config.range", "0 .. 100");
    }
    assert_int_equal (value, 42);  //  Untouched on error

    //  A value from the file is named by its key and file
    unsetenv ("CF_TEST_MAP_SIZE");
    s_write (fixture->file, "certflowd\n"
                            "    jobs\n"
                            "        lease_ms = 5\n"
                            "    scheme = \"\"\n");
    assert_int_equal (cf_config_load (fixture->config, fixture->file, NULL), 0);
    assert_int_equal (cf_config_number (fixture->config, "lease_ms", 100,
                                        600000, &value, fixture->problems),
                      CF_EINVAL);
    s_expect (fixture, "config.range", "certflowd/jobs/lease_ms");
    //  An empty value is no number
    assert_int_equal (cf_config_number (fixture->config, "scheme", 0, 1, &value,
                                        fixture->problems),
                      CF_EINVAL);
    s_expect (fixture, "config.number", "no value");
}

static void
test_values_outlive_a_reload (void **state)
{
    fixture_t *fixture = *state;
    s_write (fixture->file, "certflowd\n    data = \"/first\"\n");
    assert_int_equal (cf_config_load (fixture->config, fixture->file, NULL), 0);
    const char *first = cf_config_get (fixture->config, "data");
    setenv ("CF_TEST_CLIENT", "tcp://env:1", 1);
    const char *env_first = cf_config_get (fixture->config, "client");
    s_write (fixture->file, "certflowd\n    data = \"/second\"\n");
    assert_int_equal (cf_config_load (fixture->config, fixture->file, NULL), 0);
    setenv ("CF_TEST_CLIENT", "tcp://env:2", 1);
    assert_string_equal (cf_config_get (fixture->config, "data"), "/second");
    assert_string_equal (cf_config_get (fixture->config, "client"),
                         "tcp://env:2");
    //  Borrowed until the config dies, even after being replaced
    assert_string_equal (first, "/first");
    assert_string_equal (env_first, "tcp://env:1");
}

static void
test_usage_lists_every_flag (void **state)
{
    fixture_t *fixture = *state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_non_null (out);
    cf_config_usage (fixture->config, out, "init|run");
    fclose (out);
    assert_non_null (strstr (text, "usage: certflowd [options] init|run\n"));
    size_t lines = 0;
    for (const cf_setting_t *setting = s_settings; setting->name; setting++) {
        char flag[64];
        snprintf (flag, sizeof flag, "--%s%s", setting->name,
                  setting->is_switch ? " " : " VALUE");
        if (!strstr (text, flag))
            fail_msg ("usage lacks %s:\n%s", flag, text);
        if (setting->env)
            assert_non_null (strstr (text, setting->env));
        if (setting->fallback)
            assert_non_null (strstr (text, setting->fallback));
        lines++;
    }
    assert_non_null (strstr (text, "certflowd/endpoints/client"));
    size_t newlines = 0;
    for (const char *cursor = text; *cursor; cursor++)
        newlines += *cursor == '\n';
    assert_int_equal (newlines, lines + 2);  //  usage and options: lines
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        TEST (test_defaults_apply_when_nothing_is_set),
        TEST (test_flag_beats_environment_beats_file_beats_default),
        TEST (test_parse_args_forms_and_rest),
        TEST (test_switch_reads_flag_and_environment),
        TEST (test_unknown_flag_is_refused_with_the_list),
        TEST (test_flag_missing_its_value_is_refused),
        TEST (test_unknown_key_in_file_is_named),
        TEST (test_misplaced_keys_in_file_are_refused),
        TEST (test_unreadable_file_is_an_io_error),
        TEST (test_bad_zpl_is_a_parse_error),
        TEST (test_numbers_take_size_suffixes),
        TEST (test_bad_numbers_name_setting_value_and_range),
        TEST (test_values_outlive_a_reload),
        TEST (test_usage_lists_every_flag),
#undef TEST
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
