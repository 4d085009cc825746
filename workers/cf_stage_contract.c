/*  =========================================================================
    cf_stage_contract - the contract review: audit time, fee and number

    The audit time and fee follow the scheme's tables (cf_plan); the
    rationale goes with the result as the contract review record, so the
    applicant and the planner can see how the numbers were reached.
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>
#include <stdlib.h>

#include "cf_pb.h"
#include "cf_plan.h"

int
cf_stage_contract (const cf_stage_input_t *input, Cf__JobResult *result,
                   cf_problems_t *problems)
{
    assert (input && input->record && input->scheme && result);
    const Cf__Case *record = input->record;
    if (!record->application) {
        cf_problems_add (problems, "contract.application",
                         "case %s has no application; the audit time is "
                         "computed from it",
                         record->id);
        return CF_EINVAL;
    }
    uint32_t person_days_tenths;
    uint64_t fee_fen;
    int rc = cf_plan_audit_time (input->scheme, record->application,
                                 &person_days_tenths, &fee_fen, problems);
    if (rc)
        return rc;
    char *number = NULL;
    if (cf_plan_contract_number (record->id, &number)) {
        cf_problems_add (problems, "contract.case_id",
                         "the case has no id to number its contract by");
        return CF_EINVAL;
    }
    char *rationale = NULL;
    rc = cf_plan_audit_rationale (input->scheme, record->application,
                                  &rationale, problems);
    if (rc) {
        free (number);
        return rc;
    }
    char today[11];
    cf_date_format (input->today, today);
    char *document = cf_stage_format ("合同评审记录 Contract review record\n"
                                      "case %s, contract %s, issued %s\n\n%s",
                                      record->id, number, today, rationale);
    free (rationale);

    Cf__EventData *data =
        cf_stage_set_event_data (result, CF_EVENT_CONTRACT_ISSUED);
    Cf__Contract *contract = cf_pb_new (&cf__contract__descriptor);
    contract->number = number;
    contract->person_days_tenths = person_days_tenths;
    contract->fee_fen = fee_fen;
    cf_pb_set_string (&contract->issued_date, today);
    data->contract = contract;
    data->body_case = CF__EVENT_DATA__BODY_CONTRACT;
    cf_stage_set_document (result, &document);
    return 0;
}
