/*  =========================================================================
    cf_stage_planning - audit dates and an impartial, competent team

    The dates come first (the notice period, then enough working days for
    the contract's person-days), because an auditor must be qualified on
    every audit day and free of conflicts counted back from the first.
    When no team can be formed the job fails: the daemon retries it (staff
    records change) and parks it as an incident an operator sees, who may
    also plan the audit by hand (audit_planned by an admin).
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>

#include "cf_pb.h"
#include "cf_plan.h"

int
cf_stage_planning (const cf_stage_input_t *input, Cf__JobResult *result,
                   cf_problems_t *problems)
{
    assert (input && input->record && input->scheme && result);
    const Cf__Case *record = input->record;
    if (!record->application) {
        cf_problems_add (problems, "planning.application",
                         "case %s has no application; the team is chosen "
                         "for its sector and company",
                         record->id);
        return CF_EINVAL;
    }
    //  The signed contract fixed the audit time; without one (a plan asked
    //  for again after a data repair) the scheme's tables give it
    uint32_t person_days_tenths = 0;
    if (record->contract && record->contract->person_days_tenths > 0)
        person_days_tenths = record->contract->person_days_tenths;
    else {
        uint64_t fee_fen;
        int rc = cf_plan_audit_time (input->scheme, record->application,
                                     &person_days_tenths, &fee_fen, problems);
        if (rc)
            return rc;
    }
    size_t team_size =
        input->scheme->team_min_size > 0 ? input->scheme->team_min_size : 1;
    cf_day_t start, end;
    int rc =
        cf_plan_audit_dates (input->today, input->scheme->audit_notice_days,
                             person_days_tenths, team_size, &start, &end);
    if (rc) {
        cf_problems_add (problems, "planning.dates",
                         "no audit dates can be set from today for %u.%u "
                         "person-days",
                         person_days_tenths / 10, person_days_tenths % 10);
        return rc;
    }
    Cf__AuditPlan *plan = NULL;
    rc = cf_plan_select_team (input->scheme, record->application, input->staff,
                              input->staff_count, start, end, record, &plan,
                              problems);
    if (rc)
        return rc;
    Cf__EventData *data =
        cf_stage_set_event_data (result, CF_EVENT_AUDIT_PLANNED);
    data->plan = plan;
    data->body_case = CF__EVENT_DATA__BODY_PLAN;
    return 0;
}
