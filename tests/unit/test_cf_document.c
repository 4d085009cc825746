/*  Unit tests for cf_document: a sealed certificate becomes a one-page A4
    PDF that carries its seal (found again by cf_seal_find), replaces the
    file whole, and says so when the seal does not fit in a QR code or the
    file cannot be written.  */

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

#include "cf_document.h"
#include "cf_file.h"

typedef struct {
    char dir[64];             //  Where the PDFs go
    cf_seal_t *seal;          //  A seal (its signatures are not checked)
    char *payload;            //  Its text
    cf_problems_t *problems;  //  What the last call reported
} fixture_t;

//  The seal of the fuzz corpus: a certificate with a two-item scope, a
//  star grade and escapes in its values
static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_non_null (fixture);
    strcpy (fixture->dir, "/tmp/test_cf_document.XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    fixture->problems = cf_problems_new ();
    size_t size = 0;
    assert_int_equal (cf_file_read (CF_SOURCE_DIR
                                    "/tests/fuzz/corpus/fuzz_seal/payload.txt",
                                    1 << 16, &fixture->payload, &size),
                      0);
    while (size > 0 && fixture->payload[size - 1] == '\n')
        fixture->payload[--size] = '\0';
    assert_int_equal (cf_seal_parse (fixture->payload, size, &fixture->seal,
                                     fixture->problems),
                      0);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    char command[128];
    snprintf (command, sizeof command, "rm -rf %s", fixture->dir);
    assert_int_equal (system (command), 0);
    cf_seal_destroy (&fixture->seal);
    free (fixture->payload);
    cf_problems_destroy (&fixture->problems);
    free (fixture);
    return 0;
}

static void
test_a_pdf_carries_its_seal (void **state)
{
    fixture_t *fixture = *state;
    char path[128];
    snprintf (path, sizeof path, "%s/certificate.pdf", fixture->dir);
    //  Written twice: the second replaces the first whole
    for (int round = 0; round < 2; round++)
        assert_int_equal (cf_document_pdf (fixture->seal, fixture->payload,
                                           path, fixture->problems),
                          0);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal (cf_file_read (path, 1 << 24, &data, &size), 0);
    assert_true (size > 1000);
    assert_memory_equal (data, "%PDF-", 5);
    assert_non_null (memmem (data, size, "/Count 1", 8));
    assert_non_null (
        memmem (data, size, "/MediaBox [ 0 0 595.276 841.89 ]", 32));
    char *found = NULL;
    assert_int_equal (cf_seal_find (data, size, &found), 0);
    assert_string_equal (found, fixture->payload);
    free (found);
    free (data);
    //  Nothing is left beside it
    char command[160];
    snprintf (command, sizeof command, "test $(ls %s | wc -l) -eq 1",
              fixture->dir);
    assert_int_equal (system (command), 0);
    //  A QR code of the usual size
    int width = cf_document_qr_width (fixture->payload);
    assert_true (width > 21 && width <= 177);
}

static void
test_what_cannot_be_written_is_said (void **state)
{
    fixture_t *fixture = *state;
    //  A directory that does not exist
    char path[128];
    snprintf (path, sizeof path, "%s/no/such/dir/certificate.pdf",
              fixture->dir);
    assert_int_equal (cf_document_pdf (fixture->seal, fixture->payload, path,
                                       fixture->problems),
                      CF_EIO);
    char *joined = cf_problems_join (fixture->problems);
    assert_non_null (strstr (joined, path));
    free (joined);
    //  A seal larger than any QR code
    char *huge = malloc (4000);
    assert_non_null (huge);
    memset (huge, 'x', 3999);
    huge[3999] = '\0';
    assert_int_equal (cf_document_qr_width (huge), 0);
    snprintf (path, sizeof path, "%s/huge.pdf", fixture->dir);
    cf_problems_reset (fixture->problems);
    assert_int_equal (
        cf_document_pdf (fixture->seal, huge, path, fixture->problems),
        CF_ELIMIT);
    assert_true (cf_problems_has (fixture->problems, "document.qr"));
    assert_int_equal (access (path, F_OK), -1);
    free (huge);
}

int
main (void)
{
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_a_pdf_carries_its_seal),
        TEST (test_what_cannot_be_written_is_said),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
