/*  =========================================================================
    cf_stage_committee - form the decision committee, then count its votes

    The daemon enqueues this stage when the case reaches committee review
    and again after every vote, so one function does both: choose the
    members the first time, and afterwards see whether a majority stands.
    A granting majority still needs a score that allows a grant (a passing
    grade, nothing open); when it does not, the decision is a refusal and
    says why, as the state machine's majority_refuse guard expects.
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cf_case.h"
#include "cf_pb.h"
#include "cf_plan.h"

//  Forms the committee: committee_formed with the members
static int
s_form (const cf_stage_input_t *input, Cf__JobResult *result,
        cf_problems_t *problems)
{
    char **members = NULL;
    size_t count = 0;
    int rc = cf_plan_select_committee (
        input->scheme, input->record, input->staff, input->staff_count,
        input->today, &members, &count, problems);
    if (rc)
        return rc;
    Cf__EventData *data =
        cf_stage_set_event_data (result, CF_EVENT_COMMITTEE_FORMED);
    data->committee = cf_pb_new (&cf__committee_data__descriptor);
    data->committee->members = members;
    data->committee->n_members = count;
    data->body_case = CF__EVENT_DATA__BODY_COMMITTEE;
    return 0;
}

//  The score that decides: after rectification when there was one
static const Cf__ScoreResult *
s_latest_score (const Cf__Case *record)
{
    return record->rescored ? record->rescored : record->original;
}

//  Why the latest score cannot be granted, or NULL when it can
static char *
s_not_grantable (const cf_stage_input_t *input)
{
    const Cf__ScoreResult *score = s_latest_score (input->record);
    if (!score)
        return cf_stage_format ("the committee voted to grant, but the case "
                                "has no score; certification is refused");
    if (!cf_scheme_grade_named (input->scheme, score->grade))
        return cf_stage_format ("the committee voted to grant, but the score "
                                "%.1f reaches no grade (below %.1f); "
                                "certification is refused",
                                score->score,
                                cf_scheme_pass_tenths (input->scheme) / 10.0);
    if (score->open_nonconformities > 0)
        return cf_stage_format ("the committee voted to grant, but %u "
                                "nonconformities are still open; "
                                "certification is refused",
                                score->open_nonconformities);
    return NULL;
}

static bool
s_member (const Cf__Committee *committee, const char *staff_id)
{
    for (size_t index = 0; index < committee->n_members; index++)
        if (strcmp (committee->members[index], staff_id) == 0)
            return true;
    return false;
}

//  The refusal in writing: the count, then each refusing member's reason
static char *
s_refusal (const cf_stage_input_t *input, int grant, int refuse)
{
    const Cf__Committee *committee = input->record->committee;
    char *text = cf_stage_format (
        "the committee refused certification (%d grant, %d refuse of %d "
        "members)",
        grant, refuse, input->scheme->committee_size);
    for (size_t index = 0; index < committee->n_ballots; index++) {
        const Cf__Ballot *ballot = committee->ballots[index];
        if (ballot->vote != CF__VOTE__VOTE_REFUSE ||
            !s_member (committee, ballot->member) || !*ballot->reason)
            continue;
        char *longer = cf_stage_format ("%s; %s: %s", text, ballot->member,
                                        ballot->reason);
        free (text);
        text = longer;
    }
    return text;
}

static void
s_refuse (Cf__JobResult *result, char **reason_p)
{
    Cf__EventData *data =
        cf_stage_set_event_data (result, CF_EVENT_MAJORITY_REFUSE);
    data->reason = *reason_p;
    *reason_p = NULL;
    data->body_case = CF__EVENT_DATA__BODY_REASON;
}

int
cf_stage_committee (const cf_stage_input_t *input, Cf__JobResult *result,
                    cf_problems_t *problems)
{
    assert (input && input->record && input->scheme && result);
    const Cf__Committee *committee = input->record->committee;
    if (!committee || committee->n_members == 0)
        return s_form (input, result, problems);

    int grant = 0, refuse = 0;
    cf_tally_t tally = cf_case_tally (committee, input->scheme->committee_size,
                                      &grant, &refuse);
    if (tally == CF_TALLY_GRANT) {
        char *reason = s_not_grantable (input);
        if (reason)
            s_refuse (result, &reason);
        else
            cf_stage_set_event (result, CF_EVENT_MAJORITY_GRANT);
    } else if (tally == CF_TALLY_REFUSE) {
        char *reason = s_refusal (input, grant, refuse);
        s_refuse (result, &reason);
    } else {
        //  No majority yet: the next vote enqueues this stage again
        cf_pb_set_string (&result->event, "");
        cf_pb_free (&result->data);
    }
    return 0;
}
