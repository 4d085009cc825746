/*  Unit tests for cf_seal: the key files (made once, kept, a missing public
    half written again, a bad file named), the payload (signed, read back,
    the same), and verification: a genuine seal holds, each tampered field
    is named, a changed number or register address is caught, another key
    fails, and truncated or garbage payloads get a clear error.  */

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
#include <sodium.h>

#include "cf_certificate.h"
#include "cf_file.h"
#include "cf_pb.h"
#include "cf_seal.h"

#define REGISTER "https://register.example.cn"

typedef struct {
    char dir[64];             //  A temporary keys directory
    cf_seal_key_t *key;       //  Its signing key
    Cf__Certificate *cert;    //  A certificate to seal
    cf_problems_t *problems;  //  What the last call reported
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_non_null (fixture);
    strcpy (fixture->dir, "/tmp/test_cf_seal.XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    fixture->problems = cf_problems_new ();
    bool created = false;
    assert_int_equal (cf_seal_key_ensure (fixture->dir, &fixture->key, &created,
                                          fixture->problems),
                      0);
    assert_true (created);
    Cf__Certificate *cert = cf_pb_new (&cf__certificate__descriptor);
    cf_pb_set_string (&cert->number, "CFC2026SC00001");
    cf_pb_set_string (&cert->issuer, "闽江认证有限公司 Minjiang Certification");
    cf_pb_set_string (&cert->company_name, "闽江家电服务有限公司");
    cf_pb_set_string (&cert->uscc, "91350100MA2YXQ5T4K");
    cf_pb_set_string (&cert->registered_address,
                      "福建省福州市鼓楼区五四路 1 号");
    cf_pb_set_string (&cert->operating_address, "福州市仓山区; #88 100%");
    cf_pb_append_string (&cert->n_scope, &cert->scope,
                         "家用电器的售后服务 after-sales service");
    cf_pb_append_string (&cert->n_scope, &cert->scope, "零配件 spare parts");
    cf_pb_set_string (&cert->standard, "GB/T 27922-2011");
    cf_pb_set_string (&cert->grade, "four_star");
    cf_pb_set_string (&cert->issue_date, "2026-11-20");
    cf_pb_set_string (&cert->expiry_date, "2029-11-19");
    cf_pb_append_string (&cert->n_surveillance, &cert->surveillance,
                         "2027-11-20");
    cf_pb_append_string (&cert->n_surveillance, &cert->surveillance,
                         "2028-11-20");
    fixture->cert = cert;
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
    cf_seal_key_destroy (&fixture->key);
    cf_pb_free (&fixture->cert);
    cf_problems_destroy (&fixture->problems);
    free (fixture);
    return 0;
}

//  A signed payload of the fixture's certificate
static char *
s_payload (fixture_t *fixture)
{
    cf_seal_t *seal =
        cf_seal_new (fixture->cert, "四星级 four-star ★★★★", REGISTER "/");
    assert_int_equal (cf_seal_sign (seal, fixture->key, fixture->problems), 0);
    char *payload = cf_seal_payload (seal);
    assert_non_null (payload);
    cf_seal_destroy (&seal);
    return payload;
}

//  Reads payload back and verifies it with key; the rc, bad fields in bad
static int
s_verify (fixture_t *fixture, const char *payload, const cf_seal_key_t *key,
          bool *bad)
{
    cf_seal_t *seal = NULL;
    int rc =
        cf_seal_parse (payload, strlen (payload), &seal, fixture->problems);
    if (rc == 0)
        rc = cf_seal_verify (seal, key, bad, fixture->problems);
    cf_seal_destroy (&seal);
    return rc;
}

//  Replaces the first "from" in text after the '#' with "to"
static char *
s_replace (const char *text, const char *from, const char *to)
{
    const char *at = strstr (strchr (text, '#'), from);
    assert_non_null (at);
    char *result = malloc (strlen (text) + strlen (to) + 1);
    assert_non_null (result);
    size_t before = (size_t)(at - text);
    memcpy (result, text, before);
    strcpy (result + before, to);
    strcat (result, at + strlen (from));
    return result;
}

static void
test_key_files (void **state)
{
    fixture_t *fixture = *state;
    char path[128];
    struct stat info;
    snprintf (path, sizeof path, "%s/" CF_SEAL_SECRET_FILE, fixture->dir);
    assert_int_equal (stat (path, &info), 0);
    assert_int_equal (info.st_mode & 0777, 0600);
    assert_true (cf_seal_key_secret (fixture->key));
    assert_int_equal (strlen (cf_seal_key_id (fixture->key)),
                      CF_SEAL_KEY_ID_SIZE);
    //  Made once: a second ensure loads the same key
    cf_seal_key_t *again = NULL;
    bool created = true;
    assert_int_equal (
        cf_seal_key_ensure (fixture->dir, &again, &created, fixture->problems),
        0);
    assert_false (created);
    assert_string_equal (cf_seal_key_id (again), cf_seal_key_id (fixture->key));
    cf_seal_key_destroy (&again);
    assert_int_equal (cf_seal_key_create (fixture->dir, fixture->problems),
                      CF_EEXIST);
    //  The public file is the same key, public only
    snprintf (path, sizeof path, "%s/" CF_SEAL_PUBLIC_FILE, fixture->dir);
    cf_seal_key_t *public_key = NULL;
    assert_int_equal (
        cf_seal_key_load (path, false, &public_key, fixture->problems), 0);
    assert_string_equal (cf_seal_key_id (public_key),
                         cf_seal_key_id (fixture->key));
    assert_false (cf_seal_key_secret (public_key));
    cf_seal_key_destroy (&public_key);
    //  A missing public half is written again from the secret
    assert_int_equal (unlink (path), 0);
    assert_int_equal (
        cf_seal_key_ensure (fixture->dir, &again, &created, fixture->problems),
        0);
    assert_int_equal (access (path, F_OK), 0);
    cf_seal_key_destroy (&again);
    cf_seal_key_destroy (&again);  //  NULL-safe
    //  A file that is not a key is named
    assert_int_equal (
        cf_seal_key_parse ("not a key", &public_key, fixture->problems),
        CF_EINVAL);
    assert_null (public_key);
    snprintf (path, sizeof path, "%s/missing.pub", fixture->dir);
    assert_int_equal (
        cf_seal_key_load (path, false, &public_key, fixture->problems),
        CF_ENOTFOUND);
    char *joined = cf_problems_join (fixture->problems);
    assert_non_null (strstr (joined, "missing.pub"));
    free (joined);
    //  A secret file spoilt: refused with the file's name, never replaced
    snprintf (path, sizeof path, "%s/" CF_SEAL_SECRET_FILE, fixture->dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs ("0011\n", file);
    fclose (file);
    cf_problems_reset (fixture->problems);
    assert_int_equal (
        cf_seal_key_ensure (fixture->dir, &again, NULL, fixture->problems),
        CF_EINVAL);
    assert_null (again);
    joined = cf_problems_join (fixture->problems);
    assert_non_null (strstr (joined, CF_SEAL_SECRET_FILE));
    free (joined);
}

static void
test_round_trip (void **state)
{
    fixture_t *fixture = *state;
    char *payload = s_payload (fixture);
    //  A URL of the register entry, the seal after '#'
    assert_non_null (
        strstr (payload, REGISTER "/certificates/CFC2026SC00001#certflow1;"));
    assert_null (strchr (payload, ' '));
    assert_null (strchr (payload, '\n'));
    cf_seal_t *seal = NULL;
    assert_int_equal (
        cf_seal_parse (payload, strlen (payload), &seal, fixture->problems), 0);
    assert_string_equal (cf_seal_number (seal), "CFC2026SC00001");
    assert_string_equal (cf_seal_register (seal), REGISTER);
    assert_string_equal (cf_seal_key_id_of (seal),
                         cf_seal_key_id (fixture->key));
    assert_string_equal (cf_seal_value (seal, CF_SEAL_HOLDER),
                         "闽江家电服务有限公司");
    assert_string_equal (cf_seal_value (seal, CF_SEAL_OPERATING),
                         "福州市仓山区; #88 100%");
    assert_string_equal (cf_seal_value (seal, CF_SEAL_SCOPE),
                         "家用电器的售后服务 after-sales service\n零配件 "
                         "spare parts");
    assert_string_equal (cf_seal_value (seal, CF_SEAL_SURVEILLANCE),
                         "2027-11-20,2028-11-20");
    assert_string_equal (cf_seal_value (seal, CF_SEAL_GRADE),
                         "四星级 four-star ★★★★");
    char *link = cf_seal_register_link (seal);
    assert_string_equal (link, REGISTER "/certificates/CFC2026SC00001");
    free (link);
    assert_int_equal (
        cf_seal_verify (seal, fixture->key, NULL, fixture->problems), 0);
    //  Written again, the same payload
    char *again = cf_seal_payload (seal);
    assert_string_equal (again, payload);
    free (again);
    cf_seal_destroy (&seal);
    //  As a scanner prints it, and with the public key only
    char *scanned = NULL;
    assert_true (asprintf (&scanned, "QR-Code:%s\n", payload) > 0);
    char path[128];
    snprintf (path, sizeof path, "%s/" CF_SEAL_PUBLIC_FILE, fixture->dir);
    cf_seal_key_t *public_key = NULL;
    assert_int_equal (
        cf_seal_key_load (path, false, &public_key, fixture->problems), 0);
    assert_int_equal (s_verify (fixture, scanned, public_key, NULL), 0);
    cf_seal_key_destroy (&public_key);
    free (scanned);
    free (payload);
}

static void
test_tampered_field_named (void **state)
{
    fixture_t *fixture = *state;
    char *payload = s_payload (fixture);
    //  Every field, changed in the payload, is the one named
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++) {
        char from[64], to[64];
        snprintf (from, sizeof from, ";%s=", cf_seal_field_name (field));
        snprintf (to, sizeof to, ";%s=X", cf_seal_field_name (field));
        char *tampered = s_replace (payload, from, to);
        bool bad[CF_SEAL_FIELD_COUNT];
        cf_problems_reset (fixture->problems);
        assert_int_equal (s_verify (fixture, tampered, fixture->key, bad),
                          CF_ECORRUPT);
        for (size_t other = 0; other < CF_SEAL_FIELD_COUNT; other++)
            assert_int_equal (bad[other], other == field);
        assert_int_equal (cf_problems_size (fixture->problems), 1);
        assert_string_equal (cf_problems_code (fixture->problems, 0),
                             "seal.field");
        assert_non_null (strstr (cf_problems_message (fixture->problems, 0),
                                 cf_seal_field_name (field)));
        free (tampered);
    }
    //  Two changed fields: both named
    char *one = s_replace (payload, ";grade=", ";grade=%E4%BA%94");
    char *two = s_replace (one, ";expires=2029", ";expires=2039");
    bool bad[CF_SEAL_FIELD_COUNT];
    cf_problems_reset (fixture->problems);
    assert_int_equal (s_verify (fixture, two, fixture->key, bad), CF_ECORRUPT);
    assert_true (bad[CF_SEAL_GRADE] && bad[CF_SEAL_EXPIRES]);
    assert_false (bad[CF_SEAL_HOLDER]);
    assert_int_equal (cf_problems_size (fixture->problems), 2);
    free (one);
    free (two);
    //  A seal changed in memory, the same
    cf_seal_t *seal = NULL;
    assert_int_equal (
        cf_seal_parse (payload, strlen (payload), &seal, fixture->problems), 0);
    cf_seal_set_value (seal, CF_SEAL_HOLDER, "别的公司");
    assert_int_equal (
        cf_seal_verify (seal, fixture->key, bad, fixture->problems),
        CF_ECORRUPT);
    assert_true (bad[CF_SEAL_HOLDER]);
    cf_seal_destroy (&seal);
    free (payload);
}

static void
test_number_and_register (void **state)
{
    fixture_t *fixture = *state;
    char *payload = s_payload (fixture);
    //  Another number: every field is bound to it
    char *number = strdup (payload);
    assert_non_null (number);
    char *digit = strstr (number, "00001#");
    assert_non_null (digit);
    digit[4] = '2';
    bool bad[CF_SEAL_FIELD_COUNT];
    cf_problems_reset (fixture->problems);
    assert_int_equal (s_verify (fixture, number, fixture->key, bad),
                      CF_ECORRUPT);
    assert_true (cf_problems_has (fixture->problems, "seal.number"));
    free (number);
    //  Another register: the whole's signature
    char *other = NULL;
    assert_true (asprintf (&other, "https://phish.example%s",
                           payload + strlen (REGISTER)) > 0);
    cf_problems_reset (fixture->problems);
    assert_int_equal (s_verify (fixture, other, fixture->key, bad),
                      CF_ECORRUPT);
    assert_true (cf_problems_has (fixture->problems, "seal.whole"));
    free (other);
    //  A register address that is no http(s) URL is no seal's: a scanner's
    //  prefix twice would be read back as part of the address, and the
    //  payload written from it would read as another
    const char *before[] = {"QR-Code:QR-Code:", "ftp://x.example ", ""};
    const char *instead[] = {NULL, NULL, "ftp://register.example.cn"};
    for (size_t index = 0; index < 3; index++) {
        char *odd = NULL;
        assert_true (
            asprintf (&odd, "%s%s%s", before[index],
                      instead[index] ? instead[index] : "",
                      payload + (instead[index] ? strlen (REGISTER) : 0)) > 0);
        cf_seal_t *seal = NULL;
        cf_problems_reset (fixture->problems);
        assert_int_equal (
            cf_seal_parse (odd, strlen (odd), &seal, fixture->problems),
            CF_EPARSE);
        assert_null (seal);
        assert_true (cf_problems_has (fixture->problems, "seal.register"));
        free (odd);
    }
    free (payload);
}

static void
test_wrong_key (void **state)
{
    fixture_t *fixture = *state;
    char *payload = s_payload (fixture);
    char dir[64] = "/tmp/test_cf_seal_other.XXXXXX";
    assert_non_null (mkdtemp (dir));
    cf_seal_key_t *other = NULL;
    assert_int_equal (cf_seal_key_ensure (dir, &other, NULL, fixture->problems),
                      0);
    assert_int_equal (s_verify (fixture, payload, other, NULL), CF_EDENIED);
    assert_true (cf_problems_has (fixture->problems, "seal.key"));
    //  The key id changed to the other key's: every signature fails
    char *claimed = s_replace (payload, cf_seal_key_id (fixture->key),
                               cf_seal_key_id (other));
    cf_problems_reset (fixture->problems);
    assert_int_equal (s_verify (fixture, claimed, other, NULL), CF_ECORRUPT);
    free (claimed);
    //  A public key only cannot sign
    cf_seal_t *seal = cf_seal_new (fixture->cert, "x", REGISTER);
    char path[128];
    snprintf (path, sizeof path, "%s/" CF_SEAL_PUBLIC_FILE, dir);
    cf_seal_key_t *public_key = NULL;
    assert_int_equal (
        cf_seal_key_load (path, false, &public_key, fixture->problems), 0);
    assert_int_equal (cf_seal_sign (seal, public_key, fixture->problems),
                      CF_EINVAL);
    assert_null (cf_seal_payload (seal));
    cf_seal_destroy (&seal);
    cf_seal_key_destroy (&public_key);
    cf_seal_key_destroy (&other);
    char command[128];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    assert_int_equal (system (command), 0);
    free (payload);
}

static void
test_truncated_and_garbage (void **state)
{
    fixture_t *fixture = *state;
    char *payload = s_payload (fixture);
    size_t size = strlen (payload);
    //  Every prefix: a clear error, never a crash, never valid
    for (size_t length = 0; length < size; length++) {
        cf_seal_t *seal = NULL;
        cf_problems_reset (fixture->problems);
        int rc = cf_seal_parse (payload, length, &seal, fixture->problems);
        if (rc == 0) {
            assert_int_not_equal (
                cf_seal_verify (seal, fixture->key, NULL, fixture->problems),
                0);
            cf_seal_destroy (&seal);
        } else {
            assert_null (seal);
            assert_true (cf_problems_size (fixture->problems) > 0);
        }
    }
    const char *garbage[] = {
        "",
        "hello",
        "https://register.example.cn/certificates/X#other",
        "https://r/certificates/CFC1#certflow1;key=zz",
        "https://r/certificates/cfc1#certflow1",
        "https://r/certificates/CFC1#certflow1;grade=%ZZ",
        "https://r/certificates/CFC1#certflow1;grade=%00",
        "https://r/certificates/CFC1#certflow1;grade=%FF",
        "https://r/certificates/CFC1#certflow1;grade=a;grade=b",
        "https://r/certificates/CFC1#certflow1;nosuch=1",
        "https://r/certificates/CFC1#certflow1;sig=!!!",
        "https://r/certificates/CFC1#certflow1;novalue",
        "https://r/certificates/CFC1#certflow1;;",
        "http s://r/certificates/CFC1#certflow1",
    };
    for (size_t index = 0; index < sizeof garbage / sizeof garbage[0];
         index++) {
        cf_seal_t *seal = NULL;
        cf_problems_reset (fixture->problems);
        assert_int_equal (cf_seal_parse (garbage[index],
                                         strlen (garbage[index]), &seal,
                                         fixture->problems),
                          CF_EPARSE);
        assert_null (seal);
        assert_true (cf_problems_size (fixture->problems) > 0);
    }
    //  A NUL inside, and a payload over the limit
    cf_seal_t *seal = NULL;
    assert_int_equal (cf_seal_parse ("a\0b", 3, &seal, fixture->problems),
                      CF_EPARSE);
    char *huge = malloc (CF_SEAL_PAYLOAD_MAX + 2);
    assert_non_null (huge);
    memset (huge, 'a', CF_SEAL_PAYLOAD_MAX + 1);
    huge[CF_SEAL_PAYLOAD_MAX + 1] = '\0';
    assert_int_equal (
        cf_seal_parse (huge, CF_SEAL_PAYLOAD_MAX + 1, &seal, fixture->problems),
        CF_ELIMIT);
    free (huge);
    free (payload);
}

static void
test_find_in_files (void **state)
{
    fixture_t *fixture = *state;
    char *payload = s_payload (fixture);
    //  In a PDF's Keywords
    char *keywords = cf_seal_keywords (payload);
    char *pdf = NULL;
    assert_true (asprintf (&pdf, "%%PDF-1.5\n<< /Keywords (%s) >>\n%%%%EOF\n",
                           keywords) > 0);
    char *found = NULL;
    assert_int_equal (cf_seal_find (pdf, strlen (pdf), &found), 0);
    assert_string_equal (found, payload);
    free (found);
    //  In text, as a scanner prints it
    char *text = NULL;
    assert_true (asprintf (&text, "QR-Code:%s\n", payload) > 0);
    assert_int_equal (cf_seal_find (text, strlen (text), &found), 0);
    assert_int_equal (s_verify (fixture, found, fixture->key, NULL), 0);
    free (found);
    //  Nowhere
    assert_int_equal (cf_seal_find ("%PDF-1.5 nothing", 16, &found),
                      CF_ENOTFOUND);
    assert_null (found);
    char broken[] = "certflow-seal:!!!";
    assert_int_equal (cf_seal_find (broken, strlen (broken), &found),
                      CF_ENOTFOUND);
    free (text);
    free (pdf);
    free (keywords);
    free (payload);
}

static void
test_register_url (void **state)
{
    (void)state;
    const char *good[] = {
        "http://127.0.0.1:8480", "https://register.example.cn",
        "https://cb.example/register", CF_SEAL_REGISTER_DEFAULT};
    for (size_t index = 0; index < sizeof good / sizeof good[0]; index++)
        assert_true (cf_seal_url_valid (good[index]));
    const char *bad[] = {"",
                         "ftp://register.example",
                         "register.example",
                         "http://",
                         "https:///path",
                         "http://register.example/#x",
                         "http://register.example/?q=1",
                         "http://register example",
                         "http://register.example/%41",
                         "http://注册.example"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++)
        assert_false (cf_seal_url_valid (bad[index]));
}

static void
test_grade_text (void **state)
{
    (void)state;
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    char *text = cf_certificate_grade_text (scheme, "five_star");
    assert_string_equal (text, "五星级 five-star ★★★★★");
    free (text);
    text = cf_certificate_grade_text (scheme, "three_star");
    assert_string_equal (text, "三星级 three-star ★★★");
    free (text);
    text = cf_certificate_grade_text (scheme, "compliant");
    assert_string_equal (text, "达标级 compliant");
    free (text);
    text = cf_certificate_grade_text (scheme, "unheard_of");
    assert_string_equal (text, "unheard_of");
    free (text);
    cf_scheme_destroy (&scheme);
}

int
main (void)
{
    assert_int_equal (sodium_init () < 0, 0);
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_key_files),
        TEST (test_round_trip),
        TEST (test_tampered_field_named),
        TEST (test_number_and_register),
        TEST (test_wrong_key),
        TEST (test_truncated_and_garbage),
        TEST (test_find_in_files),
        TEST (test_register_url),
        TEST (test_grade_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
