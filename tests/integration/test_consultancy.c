/*  =========================================================================
    test_consultancy - consultancies act for the companies that appointed
    them: appointments recorded and ended by an administrator, with who and
    when, through the real programs
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_proc.h"

//  Two consultancies, three companies and their credit codes
#define S_CONSULT_A  "CONSULT-A"
#define S_CONSULT_B  "CONSULT-B"
#define S_ACME       "ACME"
#define S_ACME_USCC  "91330110MA2J7R4N38"
#define S_BETA       "BETA"
#define S_BETA_USCC  "9111010871526726X9"
#define S_GAMMA      "GAMMA"
#define S_GAMMA_USCC "9131000071526726XX"

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "consultancy");
}

static void
test_appointments_are_the_admins_record (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    const char *ana = cf_proc_principal (proc, "ana", "applicant", S_CONSULT_A);
    const char *auditor = cf_proc_principal (proc, "AUD001", "auditor", NULL);

    //  Only an administrator records one
    const cf_proc_output_t *out =
        cf_proc_expect (proc, 1, ana, "--json", "appointment", "add",
                        S_CONSULT_A, S_ACME, "--uscc", S_ACME_USCC, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_FORBIDDEN");
    out = cf_proc_expect (proc, 1, auditor, "appointment", "add", S_CONSULT_A,
                          S_ACME, "--uscc", S_ACME_USCC, NULL);
    assert_non_null (strstr (out->err, "record appointments"));

    //  Bad input is named with the fix
    out = cf_proc_expect (proc, 1, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, NULL);
    assert_non_null (strstr (out->err, "--uscc"));
    out = cf_proc_expect (proc, 1, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, "--uscc", "91330110MA2J7R4N39", NULL);
    assert_non_null (strstr (out->err, "check"));
    out = cf_proc_expect (proc, 1, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, "--uscc", S_ACME_USCC, "--act", "sign", NULL);
    assert_non_null (strstr (out->err, "submit, respond and withdraw"));

    //  Recorded, in words and as JSON
    out = cf_proc_expect (proc, 0, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, "--uscc", S_ACME_USCC, "--reference",
                          "ACME letter 2026-01", NULL);
    assert_non_null (strstr (out->out, "appointment recorded"));
    assert_non_null (strstr (out->out, "CONSULT-A acts for ACME"));
    assert_non_null (strstr (out->out, "submit, respond, withdraw"));
    out = cf_proc_expect (proc, 0, NULL, "--json", "appointment", "add",
                          S_CONSULT_B, S_BETA, "--uscc", S_BETA_USCC, "--act",
                          "respond", NULL);
    assert_string_equal (
        cf_proc_json_string (out->json, "/appointment/consultancy"),
        S_CONSULT_B);
    assert_string_equal (cf_proc_json_string (out->json, "/appointment/acts/0"),
                         "respond");
    assert_int_equal (cf_proc_json_length (out->json, "/appointment/acts"), 1);
    assert_string_equal (
        cf_proc_json_string (out->json, "/appointment/added_by/name"), "admin");
    assert_true (cf_proc_json_int (out->json, "/appointment/added_at", 0) > 0);

    //  A company is not a consultancy, nor the other way round
    out = cf_proc_expect (proc, 1, NULL, "--json", "appointment", "add", S_ACME,
                          S_GAMMA, "--uscc", S_GAMMA_USCC, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/error"),
                         "CF_EGUARD");
    assert_non_null (
        strstr (cf_proc_json_string (out->json, "/message"), "company"));
    //  The same pair twice: end the first
    out = cf_proc_expect (proc, 1, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, NULL);
    assert_non_null (strstr (out->err, "end it first"));

    //  Ending takes a reason, and only an administrator
    out = cf_proc_expect (proc, 2, NULL, "appointment", "end", S_CONSULT_B,
                          S_BETA, NULL);
    assert_non_null (strstr (out->err, "--reason"));
    cf_proc_expect (proc, 1, ana, "appointment", "end", S_CONSULT_B, S_BETA,
                    "--reason", "we take over", NULL);
    out = cf_proc_expect (proc, 0, NULL, "appointment", "end", S_CONSULT_B,
                          S_BETA, "--reason", "BETA's notice of 2026-02-01",
                          NULL);
    assert_non_null (strstr (out->out, "appointment ended"));
    assert_non_null (strstr (out->out, "BETA's notice of 2026-02-01"));
    cf_proc_expect (proc, 1, NULL, "appointment", "end", S_CONSULT_B, S_BETA,
                    "--reason", "twice", NULL);

    //  The list: running ones, or every one with who and when
    out = cf_proc_expect (proc, 0, NULL, "--json", "appointment", "list", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/appointment_list/appointments"), 1);
    out = cf_proc_expect (proc, 0, NULL, "--json", "appointment", "list",
                          "--ended", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/appointment_list/appointments"), 2);
    assert_string_equal (
        cf_proc_json_string (out->json,
                             "/appointment_list/appointments/1/ended_by/name"),
        "admin");
    out =
        cf_proc_expect (proc, 0, NULL, "appointment", "list", "--ended", NULL);
    assert_non_null (strstr (out->out, "ended"));
    assert_non_null (strstr (out->out, "ACME letter 2026-01"));
    //  A consultancy lists its own only
    out = cf_proc_expect (proc, 0, ana, "--json", "appointment", "list",
                          "--consultancy", S_CONSULT_B, "--ended", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/appointment_list/appointments"), 1);
    assert_string_equal (
        cf_proc_json_string (out->json,
                             "/appointment_list/appointments/0/company"),
        S_ACME);

    //  Each command explains itself
    out = cf_proc_expect (proc, 0, NULL, "appointment", "add", "--help", NULL);
    assert_non_null (strstr (out->out, "withdraw"));
    cf_proc_expect (proc, 0, NULL, "appointment", "end", "--help", NULL);
    cf_proc_expect (proc, 0, NULL, "appointment", "list", "--help", NULL);

    //  The record survives a restart
    cf_proc_stop (cf_proc_current_daemon (proc));
    cf_proc_daemon (proc, NULL);
    out = cf_proc_expect (proc, 0, NULL, "--json", "appointment", "list",
                          "--ended", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/appointment_list/appointments"), 2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_appointments_are_the_admins_record, s_setup, cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
