/*  =========================================================================
    fuzz_stage - a job offer done as certflow-worker does it

    What the worker's s_work and s_handle_offer do with an offer, for the
    targets that play the worker (fuzz_offer, fuzz_engine): the scheme from
    the offer's text, the stage the job names on the offer's case and
    staff, and on failure a result that carries only the error.
    =========================================================================
*/

#ifndef FUZZ_STAGE_H_INCLUDED
#define FUZZ_STAGE_H_INCLUDED

#include "fuzz_util.h"

#include "cf_date.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_stages.h"

//  Does offer on day today into result (its job and lease already set).
//  Returns 0, or what cf_scheme_parse returned for the offer's scheme
//  (result is then untouched; the problems are said in problems).
static inline int
fuzz_stage_work (const Cf__JobOffer *offer, cf_day_t today,
                 Cf__JobResult *result, cf_problems_t *problems)
{
    cf_scheme_t *scheme = NULL;
    int rc = cf_scheme_parse ((const char *)offer->scheme.data,
                              offer->scheme.len, "offer", &scheme, problems);
    if (rc)
        return rc;
    cf_stage_input_t input = {
        .job = offer->job,
        .record = offer->record,
        .staff = offer->staff,
        .staff_count = offer->n_staff,
        .scheme = scheme,
        .today = today,
    };
    if (cf_stage_run (&input, result, problems) != 0) {
        //  An error carries no event: the daemon retries the job
        cf_pb_set_string (&result->event, "");
        cf_pb_free (&result->data);
        cf_pb_set_string (&result->document, "");
        char *why = cf_problems_join (problems);
        cf_pb_set_string (&result->error, why);
        free (why);
    }
    cf_scheme_destroy (&scheme);
    return 0;
}

#endif
