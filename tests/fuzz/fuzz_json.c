/*  =========================================================================
    fuzz_json - the JSON readers: applications, score sheets, staff records,
    fixes, audit plans, and the parser under them

    The first byte picks the reader, the rest is the file. What a reader
    accepts must go on the wire as it is (cf_wire_check: valid UTF-8,
    within the limits), since the client sends it; an application and a
    score sheet then go through the checks the workers run on them.
    =========================================================================
*/

#include "fuzz_util.h"

#include <json-c/json.h>

#include "cf_application.h"
#include "cf_date.h"
#include "cf_input.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_score.h"
#include "cf_wire.h"

//  What the reader read must be sendable as it is
static void
s_check_wire (const ProtobufCMessage *message)
{
    cf_problems_t *problems = cf_problems_new ();
    FUZZ_CHECK (cf_wire_check (message, problems) == 0, problems);
    cf_problems_destroy (&problems);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t length = size - 1;
    cf_problems_t *problems = cf_problems_new ();
    void *message = NULL;
    int rc = 0;
    switch (data[0] % 6) {
        case 0:
            rc = cf_json_application (text, length,
                                      (Cf__Application **)&message, problems);
            if (rc == 0) {
                cf_problems_t *checks = cf_problems_new ();
                (void)cf_application_validate (fuzz_scheme (), message,
                                               cf_date_from_ymd (2026, 11, 23),
                                               checks);
                cf_problems_destroy (&checks);
            }
            break;
        case 1:
            rc = cf_json_score_sheet (text, length, (Cf__ScoreSheet **)&message,
                                      problems);
            if (rc == 0) {
                cf_problems_t *checks = cf_problems_new ();
                cf_score_t score;
                (void)cf_score_compute (fuzz_scheme (), message, &score,
                                        checks);
                cf_problems_destroy (&checks);
            }
            break;
        case 2:
            rc = cf_json_staff (text, length, (Cf__Staff **)&message, problems);
            break;
        case 3:
            rc = cf_input_fixes (text, length, (Cf__FixList **)&message,
                                 problems);
            break;
        case 4:
            rc = cf_input_plan (text, length, (Cf__AuditPlan **)&message,
                                problems);
            break;
        default: {
            struct json_object *root = NULL;
            rc = cf_json_parse (text, length, &root, problems);
            FUZZ_CHECK ((rc == 0) == (root != NULL), problems);
            json_object_put (root);
            break;
        }
    }
    //  Refused: NULL and every problem named; read: no problem left over
    FUZZ_CHECK (rc == 0 || (message == NULL && cf_problems_size (problems) > 0),
                problems);
    if (message)
        s_check_wire (message);
    cf_pb_free (&message);
    cf_problems_destroy (&problems);
    return 0;
}
