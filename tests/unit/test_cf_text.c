/*  Unit tests for cf_text: appends and printf grow the buffer past its
    first allocation and keep it NUL-terminated.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_text.h"

static void
test_text_grows_and_stays_terminated (void **state)
{
    (void)state;
    cf_text_t text = {0};
    cf_text_append (&text, "", 0);
    assert_non_null (text.data);
    assert_string_equal (text.data, "");
    cf_text_add (&text, "证书 ");
    cf_text_printf (&text, "%s-%05d", "CFC2026SC", 1);
    assert_string_equal (text.data, "证书 CFC2026SC-00001");
    assert_int_equal (text.size, strlen (text.data));
    //  Past the first allocation, byte for byte
    for (int index = 0; index < 3000; index++)
        cf_text_append (&text, "x", 1);
    assert_int_equal (text.size, strlen ("证书 CFC2026SC-00001") + 3000);
    assert_true (text.capacity > text.size);
    assert_int_equal (text.data[text.size], '\0');
    assert_int_equal (text.data[text.size - 1], 'x');
    free (text.data);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_text_grows_and_stays_terminated),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
