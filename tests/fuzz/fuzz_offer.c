/*  =========================================================================
    fuzz_offer - a job offer as certflow-worker takes it, through the real
    stage code

    The input is a DaemonMessage frame. An offer is done as the worker does
    it (cf_stage_offer, and cf_stage_set_error when that fails): the scheme
    text it carries is loaded, the stage it names runs on the case snapshot
    and staff records it carries, on the day the offer says. Whatever the
   stage makes must be a result the daemon can decode: the worker's reply packs
   and passes cf_wire_decode.
    =========================================================================
*/

#include "fuzz_util.h"

#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_stages.h"
#include "cf_wire.h"

static void
s_offer (const Cf__JobOffer *offer)
{
    //  The worker drops an offer without a job; it reports anything else
    if (!offer->job)
        return;
    cf_problems_t *problems = cf_problems_new ();
    Cf__JobResult *result = cf_pb_new (&cf__job_result__descriptor);
    result->job = offer->job->id;
    result->lease = offer->job->lease;
    int rc = cf_stage_offer (offer, result, problems);
    if (rc)
        cf_stage_set_error (result, rc, problems);
    Cf__WorkerMessage message = CF__WORKER_MESSAGE__INIT;
    message.body_case = CF__WORKER_MESSAGE__BODY_RESULT;
    message.result = result;
    size_t size = 0;
    uint8_t *data = cf_pb_pack (&message.base, &size);
    void *decoded = NULL;
    cf_problems_reset (problems);
    rc = cf_wire_decode (&cf__worker_message__descriptor, data, size, &decoded,
                         problems);
    FUZZ_CHECK (rc == 0, problems);
    cf_pb_free (&decoded);
    free (data);
    cf_pb_free (&result);
    cf_problems_destroy (&problems);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Cf__DaemonMessage *message = NULL;
    if (cf_wire_decode (&cf__daemon_message__descriptor, data, size,
                        (void **)&message, NULL) != 0)
        return 0;
    if (message->body_case == CF__DAEMON_MESSAGE__BODY_OFFER)
        s_offer (message->offer);
    cf_pb_free (&message);
    return 0;
}
