/*  =========================================================================
    cf_stage_issuance - number, grade and render the certificate

    The number is reserved by the daemon (it owns the sequence) and comes
    with the job. The grade is the score's grade through the star rule: a
    company that has not held a compliant certificate for the waiting
    period gets the best grade without stars, unless the committee recorded
    a reason to grant stars early. The certificate is never dated before
    the decision (ISO/IEC 17065 7.7).
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cf_certificate.h"
#include "cf_pb.h"
#include "cf_score.h"

//  The grade the latest score reached, or NULL with a problem said
static const cf_grade_t *
s_scored_grade (const cf_stage_input_t *input, cf_problems_t *problems, int *rc)
{
    const Cf__Case *record = input->record;
    const Cf__ScoreResult *score =
        record->rescored ? record->rescored : record->original;
    if (!score) {
        cf_problems_add (problems, "issuance.score",
                         "case %s has no score; a certificate is graded by "
                         "the audit's score",
                         record->id);
        *rc = CF_EINVAL;
        return NULL;
    }
    const cf_grade_t *grade =
        cf_scheme_grade_named (input->scheme, score->grade);
    if (!grade) {
        cf_problems_add (problems, "issuance.grade",
                         "case %s scored %.1f, grade '%s', which is no grade "
                         "of scheme %s; nothing can be certified",
                         record->id, score->score, score->grade,
                         input->scheme->version);
        *rc = CF_EGUARD;
    }
    return grade;
}

int
cf_stage_issuance (const cf_stage_input_t *input, Cf__JobResult *result,
                   cf_problems_t *problems)
{
    assert (input && input->record && input->scheme && result);
    const Cf__Case *record = input->record;
    const char *number = input->job ? input->job->certificate_number : NULL;
    if (!number || !*number) {
        cf_problems_add (problems, "issuance.number",
                         "the issuance job for case %s carries no reserved "
                         "certificate number; the daemon reserves it when it "
                         "enqueues the job",
                         record->id);
        return CF_EINVAL;
    }
    cf_day_t decided;
    if (cf_date_parse (record->decision_date, &decided)) {
        cf_problems_add (problems, "issuance.decision_date",
                         "case %s has no readable decision date ('%s'); the "
                         "certificate cannot be dated before the decision",
                         record->id, record->decision_date);
        return CF_EINVAL;
    }
    int rc = 0;
    const cf_grade_t *scored = s_scored_grade (input, problems, &rc);
    if (!scored)
        return rc;
    const Cf__Committee *committee = record->committee;
    bool override = committee && committee->star_override;
    const cf_grade_t *granted = NULL;
    rc = cf_score_grant_grade (
        input->scheme, scored, record->first_compliant_date, decided, override,
        committee ? committee->star_override_reason : NULL, &granted, problems);
    if (rc)
        return rc;

    cf_day_t issue_day = input->today > decided ? input->today : decided;
    //  A renewal decided in time starts when the certificate it renews ends
    cf_day_t ends;
    if (record->kind == CF__CASE_KIND__CASE_KIND_RECERTIFICATION &&
        cf_date_parse (record->subject_expiry, &ends) == 0 && decided <= ends)
        issue_day = ends + 1;
    Cf__Certificate *certificate = NULL;
    rc = cf_certificate_build (input->scheme, record, number, issue_day,
                               granted->name, &certificate, problems);
    if (rc)
        return rc;
    char *document = cf_certificate_render (input->scheme, certificate, NULL);

    Cf__EventData *data =
        cf_stage_set_event_data (result, CF_EVENT_CERTIFICATE_ISSUED);
    data->certificate = cf_pb_new (&cf__certificate_data__descriptor);
    cf_pb_set_string (&data->certificate->number, certificate->number);
    cf_pb_set_string (&data->certificate->issue_date, certificate->issue_date);
    cf_pb_set_string (&data->certificate->grade, granted->name);
    data->body_case = CF__EVENT_DATA__BODY_CERTIFICATE;
    cf_stage_set_document (result, &document);
    cf_pb_free (&certificate);
    return 0;
}
