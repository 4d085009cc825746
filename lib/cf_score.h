/*  =========================================================================
    cf_score - scoring a sheet and reading the grade (DOMAIN section 3)

    For each indicator of the scheme the sheet gives either the points earned
    (0 to its points) or a sample count: a sampled indicator earns its points
    times the share of conforming samples. Earned points per indicator are
    kept to hundredths, rounded half up. Excluded indicators (删减, with a
    justification) leave the applicable total.

        score = earned / applicable × 100, rounded half up to one decimal,
                + 1 for a special bonus (at most one),
                − 1 for each special deduction,
                clamped to 0 .. 100.

    The grade is read from the rounded score. A grant needs a passing score
    and no open nonconformity. Each special deduction must be rectified, so
    it names the nonconformity raised for it; that nonconformity's correction
    is what the applicant submits and the verifier accepts.
    =========================================================================
*/

#ifndef CF_SCORE_H_INCLUDED
#define CF_SCORE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"

typedef struct {
    int64_t earned;                 //  Points earned, hundredths
    int64_t applicable;             //  Applicable total, hundredths
    int32_t base_tenths;            //  earned / applicable × 100, tenths
    int32_t bonus;                  //  1 with a special bonus, else 0
    int32_t deductions;             //  Number of special deductions
    int32_t score_tenths;           //  Final score, tenths, 0 .. 1000
    const cf_grade_t *grade;        //  Grade reached (borrowed), NULL: fail
    uint32_t open_nonconformities;  //  Nonconformities not closed
} cf_score_t;

//  Checks sheet against scheme and computes the score into *score. Returns 0,
//  or CF_EINVAL with every problem listed: an indicator of the scheme missing
//  or given twice, an unknown code, earned points outside 0 .. points or with
//  more than two decimals, failed samples above samples, an exclusion with no
//  reason, every indicator excluded, a bonus or deduction with no reason, a
//  deduction naming no nonconformity of the sheet, a nonconformity with no id,
//  a repeated id, no severity, an unknown indicator or a bad due date. *score
//  is untouched on error.
int CF_MUST_CHECK cf_score_compute (const cf_scheme_t *scheme,
                                    const Cf__ScoreSheet *sheet,
                                    cf_score_t *score, cf_problems_t *problems);

//  Returns true when the score allows a grant: it reaches the passing grade
//  and no nonconformity is open.
bool cf_score_grantable (const cf_score_t *score);

//  Decides the grade granted on decision_date (a day number). A star grade is
//  granted only when the company first held a compliant certificate at least
//  scheme->star_wait_months before (first_compliant_date, "YYYY-MM-DD" or
//  empty for never); otherwise the grade is lowered to the best non-star grade
//  the score reaches, unless override is true with a non-empty reason.
//  *granted gets the grade (borrowed from the scheme). Returns 0, CF_EINVAL
//  for an unparsable first_compliant_date or an override with no reason
//  (problems say which), or CF_EGUARD when scored is NULL (a fail).
int CF_MUST_CHECK cf_score_grant_grade (const cf_scheme_t *scheme,
                                        const cf_grade_t *scored,
                                        const char *first_compliant_date,
                                        int32_t decision_day, bool override,
                                        const char *override_reason,
                                        const cf_grade_t **granted,
                                        cf_problems_t *problems);

//  Writes score into a ScoreResult that belongs to a heap message tree
//  (strings are replaced with malloc'd copies; see cf_pb.h).
void cf_score_to_result (const cf_score_t *score, Cf__ScoreResult *result);

//  Formats tenths as "79.9" into buffer (at least 8 bytes); returns buffer.
char *cf_score_format (int32_t tenths, char *buffer);

#endif
