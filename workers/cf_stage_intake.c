/*  =========================================================================
    cf_stage_intake - is the application complete and the applicant eligible?

    Incomplete materials are never a refusal (DOMAIN section 2): they and any
    malformed field go back to the applicant as one supplement request that
    lists everything at once. Only ineligibility refuses, with its reasons.
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>

#include "cf_pb.h"

int
cf_stage_intake (const cf_stage_input_t *input, Cf__JobResult *result,
                 cf_problems_t *problems)
{
    assert (input && result);
    int verdict;
    Cf__FindingList *findings;
    int rc = cf_stage_check_application (input, "intake.application", "check",
                                         &verdict, &findings, problems);
    if (rc)
        return rc;
    if (verdict == 0) {
        cf_pb_free (&findings);
        cf_stage_set_event (result, CF_EVENT_INTAKE_PASSED);
    } else if (verdict == CF_EINELIGIBLE)
        cf_stage_set_findings (result, CF_EVENT_INTAKE_INELIGIBLE, &findings);
    else
        cf_stage_set_findings (result, CF_EVENT_INTAKE_INCOMPLETE, &findings);
    return 0;
}
