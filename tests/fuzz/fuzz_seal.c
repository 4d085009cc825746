/*  =========================================================================
    fuzz_seal - the certificate seal's payload reader

    The input is what `certflow certificate verify` is given: a file (a PDF
    or text) or a payload, the text of a certificate's QR code. It is looked
    for a seal in, read, and checked against a key: whatever the bytes, the
    reader either says why it is not a seal or gives one that, written out
    again, reads back the same; the check never passes for a key that did
    not sign it, and never names a field that is not one.
    =========================================================================
*/

#include "fuzz_util.h"

#include <sodium.h>
#include <unistd.h>

#include "cf_seal.h"

//  A key no input was signed with
static cf_seal_key_t *s_key;

static void
s_make_key (void)
{
    char dir[] = "/tmp/cf-fuzz-seal-XXXXXX";
    if (!mkdtemp (dir) || cf_seal_key_ensure (dir, &s_key, NULL, NULL) != 0)
        FUZZ_FAIL ("cannot make a signing key in %s", dir);
    char path[128];
    snprintf (path, sizeof path, "%s/" CF_SEAL_SECRET_FILE, dir);
    unlink (path);
    snprintf (path, sizeof path, "%s/" CF_SEAL_PUBLIC_FILE, dir);
    unlink (path);
    rmdir (dir);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_key)
        s_make_key ();
    cf_problems_t *problems = cf_problems_new ();
    const char *text = (const char *)data;
    char *found = NULL;
    if (cf_seal_find (text, size, &found) == 0) {
        FUZZ_CHECK (found != NULL, problems);
        text = found;
        size = strlen (found);
    }
    cf_seal_t *seal = NULL;
    int rc = cf_seal_parse (text, size, &seal, problems);
    FUZZ_CHECK ((rc == 0) == (seal != NULL), problems);
    FUZZ_CHECK (rc == 0 || rc == CF_EPARSE || rc == CF_ELIMIT, problems);
    FUZZ_CHECK (rc == 0 || cf_problems_size (problems) > 0, problems);
    if (seal) {
        //  Written out again, it reads back the same
        char *again = cf_seal_payload (seal);
        FUZZ_CHECK (again != NULL, problems);
        cf_seal_t *copy = NULL;
        FUZZ_CHECK (cf_seal_parse (again, strlen (again), &copy, problems) == 0,
                    problems);
        FUZZ_CHECK (strcmp (cf_seal_number (copy), cf_seal_number (seal)) == 0,
                    problems);
        for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++)
            FUZZ_CHECK (strcmp (cf_seal_value (copy, field),
                                cf_seal_value (seal, field)) == 0,
                        problems);
        char *third = cf_seal_payload (copy);
        FUZZ_CHECK (strcmp (third, again) == 0, problems);
        free (third);
        free (again);
        cf_seal_destroy (&copy);
        //  No input was signed with this key
        bool bad[CF_SEAL_FIELD_COUNT];
        cf_problems_reset (problems);
        rc = cf_seal_verify (seal, s_key, bad, problems);
        FUZZ_CHECK (rc == CF_EDENIED || rc == CF_ECORRUPT, problems);
        FUZZ_CHECK (cf_problems_size (problems) > 0, problems);
        char *link = cf_seal_register_link (seal);
        FUZZ_CHECK (strstr (link, cf_seal_number (seal)) != NULL, problems);
        free (link);
        cf_seal_destroy (&seal);
    }
    free (found);
    cf_problems_destroy (&problems);
    return 0;
}
