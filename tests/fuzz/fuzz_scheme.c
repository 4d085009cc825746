/*  =========================================================================
    fuzz_scheme - the scheme loader, and what uses a loaded scheme

    The input is a scheme file. One that loads must be usable by every rule
    that reads it: its version goes on every case (so it must be valid on
    the wire), certificate numbers expand within their documented length,
    every score maps to a grade in order, and the audit time and fee of the
    example application can be worked out.
    =========================================================================
*/

#include "fuzz_util.h"

#include "cf_application.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_plan.h"
#include "cf_scheme.h"
#include "cf_wire.h"

static Cf__Application *s_application;

static void
s_use (const cf_scheme_t *scheme)
{
    cf_problems_t *problems = cf_problems_new ();
    //  Its version and name travel on every case and certificate
    Cf__Certificate *certificate = cf_pb_new (&cf__certificate__descriptor);
    cf_pb_set_string (&certificate->scheme_version, scheme->version);
    cf_pb_set_string (&certificate->standard, scheme->standard);
    cf_pb_set_string (&certificate->issuer, scheme->issuer);
    FUZZ_CHECK (cf_wire_check (&certificate->base, problems) == 0, problems);
    cf_pb_free (&certificate);

    char number[CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1];
    static const uint32_t sequences[] = {1, 42, 99999, 4294967295u};
    for (size_t index = 0; index < 4; index++) {
        int rc = cf_scheme_certificate_number (scheme, 2026, sequences[index],
                                               number, sizeof number);
        FUZZ_CHECK (rc == 0 || rc == CF_ELIMIT, NULL);
        FUZZ_CHECK (strlen (number) <= CF_SCHEME_CERTIFICATE_NUMBER_MAX, NULL);
    }
    //  Grades are ordered: a higher score never gets a lower grade
    int32_t last = -1;
    for (int32_t tenths = 0; tenths <= 1000; tenths += 5) {
        const cf_grade_t *grade = cf_scheme_grade (scheme, tenths);
        int32_t reached = grade ? grade->min_tenths : -1;
        FUZZ_CHECK (reached >= last, NULL);
        last = reached;
    }
    for (size_t index = 0; index < scheme->indicator_count; index++)
        FUZZ_CHECK (
            cf_scheme_indicator (scheme, scheme->indicators[index].code) ==
                &scheme->indicators[index],
            NULL);
    uint32_t tenths = 0;
    uint64_t fee = 0;
    (void)cf_plan_audit_time (scheme, s_application, &tenths, &fee, problems);
    char *rationale = NULL;
    if (cf_plan_audit_rationale (scheme, s_application, &rationale, problems) ==
        0)
        free (rationale);
    cf_problems_destroy (&problems);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_application) {
        size_t length = 0;
        char *text = fuzz_source_file ("examples/application.json", &length);
        if (cf_json_application (text, length, &s_application, NULL))
            FUZZ_FAIL ("examples/application.json does not read");
        free (text);
    }
    cf_problems_t *problems = cf_problems_new ();
    cf_scheme_t *scheme = NULL;
    int rc =
        cf_scheme_parse ((const char *)data, size, "fuzz", &scheme, problems);
    FUZZ_CHECK (rc == 0 || rc == CF_EPARSE || rc == CF_ELIMIT ||
                    rc == CF_ESCHEME,
                problems);
    FUZZ_CHECK ((rc == 0) == (scheme != NULL), problems);
    FUZZ_CHECK (rc == 0 || cf_problems_size (problems) > 0, problems);
    if (scheme)
        s_use (scheme);
    cf_scheme_destroy (&scheme);
    cf_problems_destroy (&problems);
    return 0;
}
