/*  =========================================================================
    cf_stage_intake - is the application complete and the applicant eligible?

    Incomplete materials are never a refusal (DOMAIN section 2): they and any
    malformed field go back to the applicant as one supplement request that
    lists everything at once. Only ineligibility refuses, with its reasons.
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>

#include "cf_application.h"

int
cf_stage_intake (const cf_stage_input_t *input, Cf__JobResult *result,
                 cf_problems_t *problems)
{
    assert (input && input->record && input->scheme && result);
    const Cf__Application *application = input->record->application;
    if (!application) {
        cf_problems_add (problems, "intake.application",
                         "case %s has no application to check; the daemon "
                         "must store it at submission",
                         input->record->id);
        return CF_EINVAL;
    }
    cf_problems_t *found = cf_problems_new ();
    int rc = cf_application_validate (input->scheme, application, input->today,
                                      found);
    if (rc == 0)
        cf_stage_set_event (result, CF_EVENT_INTAKE_PASSED);
    else if (rc == CF_EINELIGIBLE) {
        Cf__EventData *data =
            cf_stage_set_event_data (result, CF_EVENT_INTAKE_INELIGIBLE);
        cf_stage_findings_from (cf_stage_findings (data), found, "eligibility.",
                                NULL);
    } else {
        //  Malformed or incomplete: the materials missing, then every other
        //  problem (materials.Mxx would repeat the missing materials)
        Cf__EventData *data =
            cf_stage_set_event_data (result, CF_EVENT_INTAKE_INCOMPLETE);
        Cf__FindingList *list = cf_stage_findings (data);
        cf_application_materials_missing (application, &list->n_findings,
                                          &list->findings);
        cf_stage_findings_from (list, found, NULL, "materials.M");
    }
    cf_problems_destroy (&found);
    return 0;
}
