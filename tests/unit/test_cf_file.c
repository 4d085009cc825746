/*  Unit tests for cf_file: the size limit at its edge, empty, missing and
    directory paths, devices read to their end, and text with a NUL.  */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_file.h"

typedef struct {
    char dir[64];   //  Temporary directory
    char path[96];  //  A file inside it
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof (s_fixture_t));
    strcpy (self->dir, "/tmp/cf-file-XXXXXX");
    assert_non_null (mkdtemp (self->dir));
    snprintf (self->path, sizeof self->path, "%s/file", self->dir);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    unlink (self->path);
    rmdir (self->dir);
    free (self);
    return 0;
}

static void
s_write (const char *path, const char *data, size_t size)
{
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    fclose (file);
}

static void
test_reads_up_to_the_limit_and_no_further (void **state)
{
    s_fixture_t *self = *state;
    s_write (self->path, "0123456789", 10);
    char *text = NULL;
    size_t size = 0;
    assert_int_equal (cf_file_read (self->path, 10, &text, &size), 0);
    assert_int_equal (size, 10);
    assert_string_equal (text, "0123456789");
    free (text);
    assert_int_equal (cf_file_read (self->path, 9, &text, &size), EFBIG);
    assert_null (text);
    assert_int_equal (size, 0);
}

static void
test_empty_missing_and_directory (void **state)
{
    s_fixture_t *self = *state;
    s_write (self->path, "", 0);
    char *text = NULL;
    size_t size = 7;
    assert_int_equal (cf_file_read (self->path, 10, &text, &size), 0);
    assert_int_equal (size, 0);
    assert_string_equal (text, "");
    free (text);
    assert_int_equal (cf_file_read ("/nonexistent/cf-file", 10, &text, &size),
                      ENOENT);
    assert_null (text);
    assert_int_equal (cf_file_read (self->dir, 10, &text, &size), EISDIR);
}

static void
test_devices_are_read_to_their_end_within_the_limit (void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    //  An endless device stops at the limit
    assert_int_equal (cf_file_read ("/dev/zero", 4096, &text, &size), EFBIG);
    assert_null (text);
    assert_int_equal (cf_file_read ("/dev/null", 4096, &text, &size), 0);
    assert_int_equal (size, 0);
    free (text);
    //  A /proc file says size 0 and still has content
    assert_int_equal (cf_file_read ("/proc/self/status", 1 << 20, &text, &size),
                      0);
    assert_true (size > 0);
    assert_non_null (strstr (text, "Name:"));
    free (text);
}

static void
test_nul_bytes_are_kept_and_counted (void **state)
{
    s_fixture_t *self = *state;
    s_write (self->path, "a\0b", 3);
    char *text = NULL;
    size_t size = 0;
    assert_int_equal (cf_file_read (self->path, 10, &text, &size), 0);
    assert_int_equal (size, 3);
    assert_int_equal (strlen (text), 1);
    assert_int_equal (text[2], 'b');
    assert_int_equal (text[3], 0);
    free (text);
}

int
main (void)
{
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_reads_up_to_the_limit_and_no_further),
        TEST (test_empty_missing_and_directory),
        TEST (test_devices_are_read_to_their_end_within_the_limit),
        TEST (test_nul_bytes_are_kept_and_counted),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
