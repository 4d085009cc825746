/*  =========================================================================
    test_document - the signed certificate document, through the real
    programs: certflowd (on a data directory initialized before there were
    signing keys) signs, certflow writes the PDF; poppler's pdftotext reads
    its text, pdftoppm renders the page and zbar's zbarimg decodes its QR
    code; certflow certificate verify checks it with the public key only,
    names a tampered field and refuses another key; another organization's
    applicant and a worker are refused the document.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_proc.h"

#define S_ORG "YUNXI"

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "document");
}

//  Runs a tool to its end and returns what it wrote on stdout
static const char *
s_tool (cf_proc_t *proc, const char *const argv[])
{
    cf_proc_child_t *child = cf_proc_spawn (proc, "tool", false, argv);
    assert_non_null (child);
    const cf_proc_output_t *output = cf_proc_collect (proc, child, 60000);
    if (output->status != 0)
        fail_msg ("%s exited %d: %s", argv[0], output->status, output->err);
    return output->out;
}

//  Writes text to the site's file name; returns its path
static const char *
s_write (cf_proc_t *proc, const char *name, const char *text)
{
    const char *path = cf_proc_path (proc, "%s", name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    assert_int_equal (fclose (file), 0);
    return path;
}

//  text with the first from replaced by to (a new string)
static char *
s_replace (const char *text, const char *from, const char *to)
{
    const char *at = strstr (text, from);
    assert_non_null (at);
    char *result = malloc (strlen (text) + strlen (to) + 1);
    assert_non_null (result);
    memcpy (result, text, (size_t)(at - text));
    strcpy (result + (at - text), to);
    strcat (result, at + strlen (from));
    return result;
}

static void
test_the_document_is_signed_read_and_checked (void **state)
{
    cf_proc_t *proc = *state;
    //  A data directory from before there were signing keys
    const char *secret = cf_proc_path (proc, "data/keys/signing.key");
    const char *public_key = cf_proc_path (proc, "data/keys/signing.pub");
    assert_int_equal (unlink (secret), 0);
    assert_int_equal (unlink (public_key), 0);
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    assert_int_equal (access (secret, R_OK), 0);
    assert_int_equal (access (public_key, R_OK), 0);

    const char *case_id = cf_proc_submit_example (proc, applicant);
    cf_proc_drive (proc, applicant, case_id, "certified", CF_PROC_STATE_MS);
    const cf_proc_output_t *status =
        cf_proc_wait_state (proc, applicant, case_id, "certified",
                            "/record/certificate", CF_PROC_STATE_MS);
    char *number =
        strdup (cf_proc_json_string (status->json, "/record/certificate"));
    const cf_proc_output_t *check = cf_proc_expect (
        proc, 0, applicant, "--json", "certificate", "check", number, NULL);
    char *issued =
        strdup (cf_proc_json_string (check->json, "/certificate/issue_date"));
    char *expires =
        strdup (cf_proc_json_string (check->json, "/certificate/expiry_date"));

    //  The holder's consultancy writes the PDF
    const char *pdf = cf_proc_path (proc, "certificate.pdf");
    const cf_proc_output_t *made =
        cf_proc_expect (proc, 0, applicant, "--json", "certificate", "pdf",
                        number, "--out", pdf, NULL);
    assert_string_equal (cf_proc_json_string (made->json, "/file"), pdf);
    assert_string_equal (cf_proc_json_string (made->json, "/number"), number);
    char *payload = strdup (cf_proc_json_string (made->json, "/payload"));
    assert_non_null (strstr (payload, "/certificates/"));

    //  poppler reads it: one A4 page with the number, company, grade, dates
    const char *info_argv[] = {"/usr/bin/pdfinfo", pdf, NULL};
    const char *info = s_tool (proc, info_argv);
    assert_non_null (strstr (info, "Pages:           1"));
    assert_non_null (strstr (info, "(A4)"));
    const char *text_argv[] = {"/usr/bin/pdftotext", pdf, "-", NULL};
    const char *text = s_tool (proc, text_argv);
    assert_non_null (strstr (text, number));
    assert_non_null (strstr (text, "杭州云溪家用电器有限公司"));
    assert_non_null (strstr (text, "达标级 compliant"));
    assert_non_null (strstr (text, issued));
    assert_non_null (strstr (text, expires));
    assert_non_null (strstr (text, "GB/T 27922-2011"));

    //  The QR code on the rendered page decodes to the seal
    const char *page = cf_proc_path (proc, "page");
    const char *render_argv[] = {"/usr/bin/pdftoppm", "-r", "300", "-png",
                                 "-singlefile",       pdf,  page,  NULL};
    s_tool (proc, render_argv);
    const char *png = cf_proc_path (proc, "page.png");
    const char *scan_argv[] = {"/usr/bin/zbarimg", "-q", "--raw", png, NULL};
    const char *scanned = s_tool (proc, scan_argv);
    assert_int_equal (strncmp (scanned, payload, strlen (payload)), 0);
    assert_true (strcmp (scanned + strlen (payload), "\n") == 0 ||
                 scanned[strlen (payload)] == '\0');

    //  Checked offline: the PDF and the QR code's text, with the public key
    //  beside --server-cert, and with --key
    const cf_proc_output_t *verified =
        cf_proc_expect (proc, 0, applicant, "certificate", "verify", pdf, NULL);
    assert_non_null (strstr (verified->out, "the seal holds"));
    const char *qr = s_write (proc, "qr.txt", scanned);
    verified = cf_proc_expect (proc, 0, applicant, "--json", "certificate",
                               "verify", qr, "--key", public_key, NULL);
    json_object *valid = NULL;
    assert_true (json_object_object_get_ex (verified->json, "valid", &valid));
    assert_true (json_object_get_boolean (valid));

    //  A tampered field is named
    char *tampered = s_replace (payload, ";grade=", ";grade=%E4%BA%94");
    verified = cf_proc_expect (proc, 1, applicant, "--json", "certificate",
                               "verify", tampered, NULL);
    json_object *changed = NULL;
    assert_true (
        json_object_object_get_ex (verified->json, "changed", &changed));
    assert_int_equal (json_object_array_length (changed), 1);
    assert_string_equal (
        json_object_get_string (json_object_array_get_idx (changed, 0)),
        "grade");
    verified = cf_proc_expect (proc, 1, applicant, "certificate", "verify",
                               tampered, NULL);
    assert_non_null (strstr (verified->out, "NOT GENUINE"));
    assert_non_null (strstr (verified->out, "grade"));
    free (tampered);
    //  Another key: refused, by key id
    const char *other = s_write (
        proc, "other.pub",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\n");
    verified = cf_proc_expect (proc, 1, applicant, "certificate", "verify", pdf,
                               "--key", other, NULL);
    assert_non_null (strstr (verified->out, "signed by key"));
    //  A truncated seal, garbage, a file that is not a document
    char *cut = strndup (payload, strlen (payload) / 2);
    verified =
        cf_proc_expect (proc, 2, applicant, "certificate", "verify", cut, NULL);
    assert_non_null (strstr (verified->err, "seal"));
    free (cut);
    verified = cf_proc_expect (proc, 2, applicant, "certificate", "verify",
                               s_write (proc, "junk.txt", "junk"), NULL);
    assert_non_null (strstr (verified->err, "holds no certflow seal"));

    //  Another organization's applicant hears "not found"; a worker may not
    const char *rival = cf_proc_principal (proc, "rival", "applicant", "RIVAL");
    const char *stolen = cf_proc_path (proc, "stolen.pdf");
    const cf_proc_output_t *refused = cf_proc_expect (
        proc, 1, rival, "certificate", "pdf", number, "--out", stolen, NULL);
    assert_non_null (strstr (refused->err, "no certificate"));
    assert_int_equal (access (stolen, F_OK), -1);
    const char *worker = cf_proc_principal (proc, "clerk", "worker", NULL);
    refused = cf_proc_expect (proc, 1, worker, "certificate", "pdf", number,
                              "--out", stolen, NULL);
    assert_non_null (strstr (refused->err, "CF_EFORBIDDEN"));
    //  The attempt is in the case's history
    const cf_proc_output_t *history =
        cf_proc_expect (proc, 0, NULL, "history", case_id, NULL);
    assert_non_null (strstr (history->out, "certificate_document"));
    //  Usage: --out is needed
    refused =
        cf_proc_expect (proc, 2, applicant, "certificate", "pdf", number, NULL);
    assert_non_null (strstr (refused->err, "--out FILE"));
    free (payload);
    free (issued);
    free (expires);
    free (number);
}

//  init --if-missing gives an older data directory its signing key, once;
//  a register address that is no http(s) URL stops the daemon at its start
static void
test_init_adds_a_missing_signing_key (void **state)
{
    cf_proc_t *proc = *state;
    const char *secret = cf_proc_path (proc, "data/keys/signing.key");
    assert_int_equal (access (secret, R_OK), 0);
    assert_int_equal (unlink (secret), 0);
    const char *argv[] = {CF_BIN_DIR "/certflowd", "--data",
                          cf_proc_data (proc),     "init",
                          "--if-missing",          NULL};
    assert_non_null (strstr (s_tool (proc, argv), "added the certificate "
                                                  "signing key"));
    assert_int_equal (access (secret, R_OK), 0);
    assert_non_null (strstr (s_tool (proc, argv), "kept as it is"));
    //  A register address a phone would not open: the daemon does not start
    const char *bad_argv[] = {CF_BIN_DIR "/certflowd",
                              "--data",
                              cf_proc_data (proc),
                              "--client-endpoint",
                              cf_proc_client_endpoint (proc),
                              "--worker-endpoint",
                              cf_proc_worker_endpoint (proc),
                              "--feed-endpoint",
                              cf_proc_feed_endpoint (proc),
                              "--register-url",
                              "ftp://register.example",
                              "run",
                              NULL};
    cf_proc_child_t *child = cf_proc_spawn (proc, "bad-url", false, bad_argv);
    assert_non_null (child);
    const cf_proc_output_t *output = cf_proc_collect (proc, child, 10000);
    assert_int_equal (output->status, 1);
    assert_non_null (
        strstr (output->err, "register-url 'ftp://register.example'"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_the_document_is_signed_read_and_checked, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_init_adds_a_missing_signing_key,
                                         s_setup, cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
