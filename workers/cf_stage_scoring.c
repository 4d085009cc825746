/*  =========================================================================
    cf_stage_scoring - score the audit's sheet and write the score report

    The daemon scores the sheet itself when it records scores_submitted (the
    rules live in lib/cf_score, so both agree); the worker's contribution is
    the report a person reads: each indicator with its points and how they
    were earned, the totals, the special items, the score, the grade and
    the nonconformities to close.
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_mem.h"
#include "cf_score.h"

//  Formats hundredths of a point as "7.20" into buffer (24 bytes)
static char *
s_points (int64_t hundredths, char *buffer)
{
    snprintf (buffer, 24, "%" PRId64 ".%02" PRId64, hundredths / 100,
              hundredths % 100);
    return buffer;
}

//  The sheet's line for code, or NULL
static const Cf__IndicatorScore *
s_item (const Cf__ScoreSheet *sheet, const char *code)
{
    for (size_t index = 0; index < sheet->n_items; index++)
        if (strcmp (sheet->items[index]->code, code) == 0)
            return sheet->items[index];
    return NULL;
}

//  Points an item earned, in hundredths, as cf_score counts them: a
//  sampled indicator earns its share of conforming samples, rounded half up
static int64_t
s_earned (const cf_indicator_t *indicator, const Cf__IndicatorScore *item)
{
    if (item->samples > 0) {
        int64_t conforming = item->samples - item->samples_failed;
        return (2 * (int64_t)indicator->points * conforming + item->samples) /
               (2 * (int64_t)item->samples);
    }
    return (int64_t)llround (item->earned * 100.0);
}

static void
s_report_indicators (FILE *out, const cf_scheme_t *scheme,
                     const Cf__ScoreSheet *sheet)
{
    char points[24], earned[24];
    fprintf (out, "%-4s %7s %7s  %s\n", "", "points", "earned",
             "indicator 指标");
    for (size_t group = 0; group < scheme->group_count; group++) {
        fprintf (out, "%s %s\n", scheme->groups[group].code,
                 scheme->groups[group].name);
        for (size_t index = 0; index < scheme->indicator_count; index++) {
            const cf_indicator_t *indicator = &scheme->indicators[index];
            if (strcmp (indicator->group, scheme->groups[group].code) != 0)
                continue;
            const Cf__IndicatorScore *item = s_item (sheet, indicator->code);
            s_points (indicator->points, points);
            if (item->excluded) {
                fprintf (out, "%-4s %7s %7s  %s\n%13s excluded 删减: %s\n",
                         indicator->code, points, "-", indicator->name, "",
                         item->exclusion_reason);
                continue;
            }
            fprintf (out, "%-4s %7s %7s  %s\n", indicator->code, points,
                     s_points (s_earned (indicator, item), earned),
                     indicator->name);
            if (item->samples > 0)
                fprintf (out, "%13s sampled 抽样 %u, %u failed\n", "",
                         item->samples, item->samples_failed);
            if (item->note && *item->note)
                fprintf (out, "%13s note: %s\n", "", item->note);
        }
    }
}

static void
s_report_special (FILE *out, const Cf__ScoreSheet *sheet)
{
    if (sheet->special_bonus)
        fprintf (out, "special bonus 特别加分 +1: %s (%s)\n",
                 sheet->special_bonus->reason, sheet->special_bonus->clause);
    else
        fprintf (out, "special bonus 特别加分: none\n");
    if (sheet->n_special_deductions == 0)
        fprintf (out, "special deductions 特别扣分: none\n");
    for (size_t index = 0; index < sheet->n_special_deductions; index++) {
        const Cf__SpecialItem *item = sheet->special_deductions[index];
        fprintf (out,
                 "special deduction 特别扣分 -1: %s (%s), rectified by %s\n",
                 item->reason, item->clause, item->nonconformity);
    }
}

static void
s_report_nonconformities (FILE *out, const Cf__ScoreSheet *sheet, uint32_t open)
{
    fprintf (out, "nonconformities 不符合项: %zu, %u open\n",
             sheet->n_nonconformities, open);
    for (size_t index = 0; index < sheet->n_nonconformities; index++) {
        const Cf__Nonconformity *item = sheet->nonconformities[index];
        fprintf (out, "  %s %s %s, due %s, %s: %s\n", item->id, item->indicator,
                 item->severity == CF__SEVERITY__SEVERITY_MAJOR ? "major"
                                                                : "minor",
                 *item->due_date ? item->due_date : "-",
                 item->closed ? "closed" : "open", item->description);
    }
}

//  Writes the report; the sheet has been scored into score
static char *
s_report (const cf_stage_input_t *input, const Cf__ScoreSheet *sheet,
          const cf_score_t *score)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = cf_mem_check (open_memstream (&text, &size));
    const cf_scheme_t *scheme = input->scheme;
    const Cf__Case *record = input->record;
    fprintf (out, "评审得分报告 Score report\n");
    fprintf (out, "case %s", record->id);
    if (record->application)
        fprintf (out, ", %s", record->application->company_name);
    fprintf (out, "\nscheme %s (%s), audit date %s\n\n", scheme->version,
             scheme->standard, *sheet->audit_date ? sheet->audit_date : "-");
    s_report_indicators (out, scheme, sheet);

    char earned[24], applicable[24], excluded[24], base[8], final[8];
    int64_t total = 0;
    for (size_t index = 0; index < scheme->indicator_count; index++)
        total += scheme->indicators[index].points;
    fprintf (out, "\nearned %s of applicable %s (%s excluded)\n",
             s_points (score->earned, earned),
             s_points (score->applicable, applicable),
             s_points (total - score->applicable, excluded));
    fprintf (out, "base score %s = earned / applicable x 100\n",
             cf_score_format (score->base_tenths, base));
    s_report_special (out, sheet);
    fprintf (out, "score 得分 %s, grade 等级 %s\n",
             cf_score_format (score->score_tenths, final),
             score->grade ? score->grade->label : "fail 不合格");
    s_report_nonconformities (out, sheet, score->open_nonconformities);
    if (*sheet->summary)
        fprintf (out, "\nsummary 结论: %s\n", sheet->summary);
    if (fclose (out) != 0)
        cf_mem_fail ();  //  A memory stream fails only when memory does
    return text;
}

int
cf_stage_scoring (const cf_stage_input_t *input, Cf__JobResult *result,
                  cf_problems_t *problems)
{
    assert (input && input->record && input->scheme && result);
    const Cf__ScoreSheet *sheet = input->record->sheet;
    if (!sheet) {
        cf_problems_add (problems, "scoring.sheet",
                         "case %s has no score sheet; the team leader "
                         "submits it (sheet_submitted) before scoring",
                         input->record->id);
        return CF_EINVAL;
    }
    cf_score_t score;
    int rc = cf_score_compute (input->scheme, sheet, &score, problems);
    if (rc)
        return rc;
    char *report = s_report (input, sheet, &score);
    //  No data: the daemon scores the stored sheet as it records the event
    cf_stage_set_event (result, CF_EVENT_SCORES_SUBMITTED);
    cf_stage_set_document (result, &report);
    return 0;
}
