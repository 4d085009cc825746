/*  =========================================================================
    cf_score - scoring a sheet and reading the grade (DOMAIN section 3)

    All arithmetic is on integers: points in hundredths, scores in tenths,
    rounding half up at each of the two places the rules round (an
    indicator's earned points, and the normalised score), so the grade
    boundaries (79.95 → 80.0) fall exactly where the scheme says.
    =========================================================================
*/

#include "cf_score.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cf_date.h"
#include "cf_pb.h"

//  Rounds numerator / denominator half up; both non-negative, denominator > 0
static int64_t
s_div_half_up (int64_t numerator, int64_t denominator)
{
    return (2 * numerator + denominator) / (2 * denominator);
}

//  Converts points given as a double to hundredths; false when the value has
//  more than two decimals or is not finite
static bool
s_to_hundredths (double points, int64_t *hundredths)
{
    if (!isfinite (points) || fabs (points) > 1e9)
        return false;
    double scaled = points * 100.0;
    double rounded = round (scaled);
    if (fabs (scaled - rounded) > 1e-6)
        return false;
    *hundredths = (int64_t)rounded;
    return true;
}

static bool
s_blank (const char *text)
{
    return !text || !*text;
}

//  Finds the sheet item for an indicator; reports duplicates
static const Cf__IndicatorScore *
s_find_item (const Cf__ScoreSheet *sheet, const char *code)
{
    for (size_t index = 0; index < sheet->n_items; index++)
        if (strcmp (sheet->items[index]->code, code) == 0)
            return sheet->items[index];
    return NULL;
}

//  Computes one indicator's earned points; returns false on a problem
static bool
s_score_item (const cf_indicator_t *indicator, const Cf__IndicatorScore *item,
              int64_t *earned, cf_problems_t *problems)
{
    char points_text[16];
    snprintf (points_text, sizeof points_text, "%d.%02d",
              indicator->points / 100, indicator->points % 100);
    if (item->samples_failed > item->samples) {
        cf_problems_add (problems, "sheet.samples",
                         "%s: %u failed samples out of %u checked; failed "
                         "samples cannot exceed samples",
                         item->code, item->samples_failed, item->samples);
        return false;
    }
    if (item->samples > 0) {
        if (item->earned != 0) {
            cf_problems_add (problems, "sheet.earned_and_samples",
                             "%s: give either earned points or samples, not "
                             "both (samples decide the points)",
                             item->code);
            return false;
        }
        int64_t conforming = item->samples - item->samples_failed;
        *earned = s_div_half_up ((int64_t)indicator->points * conforming,
                                 item->samples);
        return true;
    }
    int64_t hundredths;
    if (!s_to_hundredths (item->earned, &hundredths)) {
        cf_problems_add (problems, "sheet.earned_decimals",
                         "%s: earned points %g have more than two decimals",
                         item->code, item->earned);
        return false;
    }
    if (hundredths < 0 || hundredths > indicator->points) {
        cf_problems_add (problems, "sheet.earned_range",
                         "%s: earned points %g are outside 0 to %s", item->code,
                         item->earned, points_text);
        return false;
    }
    *earned = hundredths;
    return true;
}

//  Checks the sheet's items against the scheme and sums points
static void
s_sum_items (const cf_scheme_t *scheme, const Cf__ScoreSheet *sheet,
             int64_t *earned, int64_t *applicable, cf_problems_t *problems)
{
    for (size_t index = 0; index < sheet->n_items; index++) {
        const Cf__IndicatorScore *item = sheet->items[index];
        if (!cf_scheme_indicator (scheme, item->code))
            cf_problems_add (problems, "sheet.unknown_indicator",
                             "indicator '%s' is not in scheme %s", item->code,
                             scheme->version);
        else if (s_find_item (sheet, item->code) != item)
            cf_problems_add (problems, "sheet.duplicate_indicator",
                             "indicator %s is scored twice; give it once",
                             item->code);
    }
    for (size_t index = 0; index < scheme->indicator_count; index++) {
        const cf_indicator_t *indicator = &scheme->indicators[index];
        const Cf__IndicatorScore *item = s_find_item (sheet, indicator->code);
        if (!item) {
            cf_problems_add (problems, "sheet.missing_indicator",
                             "indicator %s (%s) is not scored; score it or "
                             "exclude it with a reason",
                             indicator->code, indicator->name);
            continue;
        }
        if (item->excluded) {
            if (s_blank (item->exclusion_reason))
                cf_problems_add (problems, "sheet.exclusion_reason",
                                 "%s is excluded without a justification; "
                                 "give exclusion_reason",
                                 indicator->code);
            continue;
        }
        int64_t points = 0;
        if (s_score_item (indicator, item, &points, problems)) {
            *earned += points;
            *applicable += indicator->points;
        }
    }
}

//  Checks bonus, deductions and nonconformities
static void
s_check_findings (const cf_scheme_t *scheme, const Cf__ScoreSheet *sheet,
                  cf_problems_t *problems)
{
    cf_day_t day;
    if (sheet->special_bonus && s_blank (sheet->special_bonus->reason))
        cf_problems_add (problems, "sheet.bonus_reason",
                         "the special bonus needs a reason");
    for (size_t index = 0; index < sheet->n_special_deductions; index++) {
        const Cf__SpecialItem *deduction = sheet->special_deductions[index];
        if (s_blank (deduction->reason))
            cf_problems_add (problems, "sheet.deduction_reason",
                             "special deduction %zu needs a reason", index + 1);
        bool raised = false;
        for (size_t nc = 0; nc < sheet->n_nonconformities; nc++)
            if (strcmp (sheet->nonconformities[nc]->id,
                        deduction->nonconformity) == 0)
                raised = true;
        if (!raised)
            cf_problems_add (problems, "sheet.deduction_nc",
                             "special deduction %zu must be rectified: name "
                             "the nonconformity raised for it (nonconformity "
                             "'%s' is not on the sheet)",
                             index + 1, deduction->nonconformity);
    }
    for (size_t index = 0; index < sheet->n_nonconformities; index++) {
        const Cf__Nonconformity *finding = sheet->nonconformities[index];
        if (s_blank (finding->id)) {
            cf_problems_add (problems, "sheet.nc_id",
                             "nonconformity %zu has no id", index + 1);
            continue;
        }
        for (size_t earlier = 0; earlier < index; earlier++)
            if (strcmp (sheet->nonconformities[earlier]->id, finding->id) == 0)
                cf_problems_add (problems, "sheet.nc_duplicate",
                                 "nonconformity id %s is used twice",
                                 finding->id);
        if (finding->severity != CF__SEVERITY__SEVERITY_MINOR &&
            finding->severity != CF__SEVERITY__SEVERITY_MAJOR)
            cf_problems_add (problems, "sheet.nc_severity",
                             "nonconformity %s needs severity minor or major",
                             finding->id);
        if (!cf_scheme_indicator (scheme, finding->indicator))
            cf_problems_add (problems, "sheet.nc_indicator",
                             "nonconformity %s names indicator '%s', which is "
                             "not in the scheme",
                             finding->id, finding->indicator);
        if (!s_blank (finding->due_date) &&
            cf_date_parse (finding->due_date, &day) != 0)
            cf_problems_add (problems, "sheet.nc_due_date",
                             "nonconformity %s: due_date '%s' is not a date "
                             "YYYY-MM-DD",
                             finding->id, finding->due_date);
    }
    if (!s_blank (sheet->audit_date) &&
        cf_date_parse (sheet->audit_date, &day) != 0)
        cf_problems_add (problems, "sheet.audit_date",
                         "audit_date '%s' is not a date YYYY-MM-DD",
                         sheet->audit_date);
}

int
cf_score_compute (const cf_scheme_t *scheme, const Cf__ScoreSheet *sheet,
                  cf_score_t *score, cf_problems_t *problems)
{
    if (!scheme || !sheet || !score) {
        cf_problems_add (problems, "sheet.missing", "no score sheet given");
        return CF_EINVAL;
    }
    //  Count our own problems even when the caller passed none
    cf_problems_t *found = cf_problems_new ();
    int64_t earned = 0, applicable = 0;
    s_sum_items (scheme, sheet, &earned, &applicable, found);
    s_check_findings (scheme, sheet, found);
    if (applicable == 0 && cf_problems_size (found) == 0)
        cf_problems_add (found, "sheet.all_excluded",
                         "every indicator is excluded; at least one must be "
                         "scored");
    size_t count = cf_problems_size (found);
    for (size_t index = 0; index < count; index++)
        cf_problems_add (problems, cf_problems_code (found, index), "%s",
                         cf_problems_message (found, index));
    cf_problems_destroy (&found);
    if (count > 0)
        return CF_EINVAL;

    cf_score_t result = {0};
    result.earned = earned;
    result.applicable = applicable;
    result.base_tenths = (int32_t)s_div_half_up (earned * 1000, applicable);
    result.bonus = sheet->special_bonus ? 1 : 0;
    result.deductions = (int32_t)sheet->n_special_deductions;
    int64_t final = (int64_t)result.base_tenths + 10 * result.bonus -
                    10 * result.deductions;
    result.score_tenths = (int32_t)(final < 0      ? 0
                                    : final > 1000 ? 1000
                                                   : final);
    result.grade = cf_scheme_grade (scheme, result.score_tenths);
    result.open_nonconformities = 0;
    for (size_t index = 0; index < sheet->n_nonconformities; index++)
        if (!sheet->nonconformities[index]->closed)
            result.open_nonconformities++;
    *score = result;
    return 0;
}

bool
cf_score_grantable (const cf_score_t *score)
{
    return score && score->grade && score->open_nonconformities == 0;
}

int
cf_score_grant_grade (const cf_scheme_t *scheme, const cf_grade_t *scored,
                      const char *first_compliant_date, int32_t decision_day,
                      bool override, const char *override_reason,
                      const cf_grade_t **granted, cf_problems_t *problems)
{
    if (!scored) {
        cf_problems_add (problems, "grade.fail",
                         "the score reaches no grade; nothing can be granted");
        return CF_EGUARD;
    }
    if (!scored->stars) {
        *granted = scored;
        return 0;
    }
    if (override) {
        if (s_blank (override_reason)) {
            cf_problems_add (problems, "grade.override_reason",
                             "granting stars inside the waiting period needs "
                             "the committee's recorded reason");
            return CF_EINVAL;
        }
        *granted = scored;
        return 0;
    }
    bool waited = false;
    if (!s_blank (first_compliant_date)) {
        cf_day_t first;
        if (cf_date_parse (first_compliant_date, &first) != 0) {
            cf_problems_add (problems, "grade.first_compliant_date",
                             "first compliant date '%s' is not a date "
                             "YYYY-MM-DD",
                             first_compliant_date);
            return CF_EINVAL;
        }
        waited = cf_date_add_months (first, scheme->star_wait_months) <=
                 decision_day;
    }
    if (waited) {
        *granted = scored;
        return 0;
    }
    //  Stars wait: grant the best grade without stars
    for (size_t index = 0; index < scheme->grade_count; index++)
        if (!scheme->grades[index].stars &&
            scheme->grades[index].min_tenths <= scored->min_tenths) {
            *granted = &scheme->grades[index];
            return 0;
        }
    cf_problems_add (problems, "grade.no_plain_grade",
                     "the scheme has no grade without stars to grant during "
                     "the waiting period");
    return CF_EGUARD;
}

void
cf_score_to_result (const cf_score_t *score, Cf__ScoreResult *result)
{
    result->earned = (double)score->earned / 100.0;
    result->applicable = (double)score->applicable / 100.0;
    result->score = (double)score->score_tenths / 10.0;
    cf_pb_set_string (&result->grade,
                      score->grade ? score->grade->name : "fail");
    result->bonus = score->bonus;
    result->deductions = score->deductions;
    result->open_nonconformities = score->open_nonconformities;
}

char *
cf_score_format (int32_t tenths, char *buffer)
{
    snprintf (buffer, 8, "%d.%d", (int)(tenths / 10 % 10000),
              (int)(tenths % 10 < 0 ? -(tenths % 10) : tenths % 10));
    return buffer;
}
