/*  =========================================================================
    cf_input - the client's own small input files: fixes and audit plans

    Applications, score sheets and staff records are read by lib/cf_json.
    Two files only the client reads are parsed here, on cf_json_parse, with
    the same rules and problem codes: field names are the proto field names,
    every mistake is reported with its path and the fix, and nothing unknown
    is ignored.

    Problem codes: json.syntax (with line and column), json.type,
    json.unknown_field, json.missing, json.value (a blank or malformed
    value), json.limit (over the cf_json.h limits).
    =========================================================================
*/

#ifndef CF_INPUT_H_INCLUDED
#define CF_INPUT_H_INCLUDED

#include <stddef.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"

//  Reads the applicant's corrections for `certflow rectify`:
//
//      {"fixes": [{"nonconformity": "NC-1",
//                  "correction": "installation rules revised, staff trained"}]}
//
//  At least one fix; each names a nonconformity and says what was
//  corrected (both non-blank). "accepted" is the verifier's field and is
//  refused here. text, size: the input (need not be NUL-terminated).
//  fixes_p: gets a new heap FixList (free with cf_pb_free), NULL on error.
//  problems: gets every problem found; may be NULL.
//
//  Returns 0; CF_EPARSE when the text is not JSON; CF_ELIMIT when it, a
//  list or a string is over the cf_json.h limits; or CF_EINVAL for any
//  other problem.
int CF_MUST_CHECK cf_input_fixes (const char *text, size_t size,
                                  Cf__FixList **fixes_p,
                                  cf_problems_t *problems);

//  Reads an audit plan an admin makes by hand for `certflow plan`:
//
//      {"leader": "AUD001", "members": ["AUD002"],
//       "start_date": "2026-03-17", "end_date": "2026-03-18",
//       "mode": "FS01"}
//
//  leader, start_date and end_date are required; dates are YYYY-MM-DD with
//  start not after end; mode, when given, is FS01 (on-site), FS02 (remote)
//  or FS03 (mixed); members are staff ids. Whether the team is qualified
//  and independent is for the daemon's guards. Arguments and returns as
//  cf_input_fixes; plan_p gets a new heap AuditPlan.
int CF_MUST_CHECK cf_input_plan (const char *text, size_t size,
                                 Cf__AuditPlan **plan_p,
                                 cf_problems_t *problems);

#endif
