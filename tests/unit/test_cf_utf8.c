/*  =========================================================================
    test_cf_utf8 - strict UTF-8 validation and cutting on character bounds
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cf_utf8.h"

static bool
s_valid (const char *text)
{
    return cf_utf8_valid (text, strlen (text));
}

static void
test_valid_accepts_every_plane (void **state)
{
    (void)state;
    assert_true (s_valid (""));
    assert_true (s_valid ("ASCII"));
    assert_true (s_valid ("\xC2\x80 \xDF\xBF"));  //  U+0080, U+07FF
    assert_true (s_valid ("认证 \xEF\xBF\xBF"));  //  U+FFFF
    assert_true (s_valid ("\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));  //  U+10000..
    assert_true (cf_utf8_valid (NULL, 0));
    assert_true (cf_utf8_valid ("a\0b", 3));
}

static void
test_valid_refuses_what_is_not_unicode_text (void **state)
{
    (void)state;
    assert_false (s_valid ("\x80"));              //  A stray continuation
    assert_false (s_valid ("\xC0\xAF"));          //  Overlong '/'
    assert_false (s_valid ("\xE0\x80\xAF"));      //  Overlong, 3 bytes
    assert_false (s_valid ("\xF0\x80\x80\xAF"));  //  Overlong, 4 bytes
    assert_false (s_valid ("\xED\xA0\x80"));      //  U+D800, a surrogate
    assert_false (s_valid ("\xED\xBF\xBF"));      //  U+DFFF
    assert_false (s_valid ("\xF4\x90\x80\x80"));  //  U+110000
    assert_false (s_valid ("\xF8\x88\x80\x80\x80"));
    assert_false (s_valid ("\xFF"));
    assert_false (cf_utf8_valid ("\xE8\xAE", 2));  //  Cut short
    assert_int_equal (cf_utf8_char ("\xE8\xAE\xA4", 2), 0);
    assert_int_equal (cf_utf8_char ("\xE8\xAE\xA4", 3), 3);
    assert_int_equal (cf_utf8_char ("", 0), 0);
}

static void
test_prefix_ends_on_a_character_boundary (void **state)
{
    (void)state;
    //  认 is 3 bytes: 4 bytes of "认证" hold one character, not one and a third
    assert_int_equal (cf_utf8_prefix ("认证", 4), 3);
    assert_int_equal (cf_utf8_prefix ("认证", 6), 6);
    assert_int_equal (cf_utf8_prefix ("认证", 100), 6);
    assert_int_equal (cf_utf8_prefix ("认证", 2), 0);
    assert_int_equal (cf_utf8_prefix ("ab认", 3), 2);
    assert_int_equal (cf_utf8_prefix ("abc", 0), 0);
    assert_int_equal (cf_utf8_prefix (NULL, 10), 0);
    //  A byte that is no character counts alone, so it can still be cut
    assert_int_equal (cf_utf8_prefix ("\xFF\xFF\xFF", 2), 2);
    assert_int_equal (cf_utf8_prefix ("\xE8\xAE", 5), 2);

    char quoted[64];
    snprintf (quoted, sizeof quoted, "'%.*s'", CF_UTF8_CUT ("认证认证", 8));
    assert_string_equal (quoted, "'认证'");
    assert_true (s_valid (quoted));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_valid_accepts_every_plane),
        cmocka_unit_test (test_valid_refuses_what_is_not_unicode_text),
        cmocka_unit_test (test_prefix_ends_on_a_character_boundary),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
