/*  =========================================================================
    fuzz_wire - every cf_wire decode entry point, then what reads the result

    The first byte picks the message type one of the programs decodes with
    cf_wire_decode (the daemon: Request, WorkerMessage; the worker:
    DaemonMessage; the client: Reply, FeedMessage; the store's records); the
    rest is the frame. A decoded message must pass cf_wire_check again, pack
    back into bytes that decode to the same bytes, and go through the code
    that reads it next: the application, score sheet and certificate-number
    checks the daemon runs, and everything the client prints (text and
    JSON).
    =========================================================================
*/

#include "fuzz_util.h"

#include "cf_application.h"
#include "cf_certificate.h"
#include "cf_date.h"
#include "cf_pb.h"
#include "cf_pbjson.h"
#include "cf_scheme.h"
#include "cf_score.h"
#include "cf_show.h"
#include "cf_wire.h"

static const ProtobufCMessageDescriptor *s_types[] = {
    &cf__request__descriptor,        &cf__worker_message__descriptor,
    &cf__daemon_message__descriptor, &cf__reply__descriptor,
    &cf__feed_message__descriptor,   &cf__case__descriptor,
    &cf__event__descriptor,          &cf__job__descriptor,
    &cf__staff__descriptor,          &cf__certificate__descriptor,
};
#define S_TYPES (sizeof s_types / sizeof s_types[0])

//  A day inside the example's validity, as the programs' clock would give
#define S_TODAY_MS 1795401600000LL

static void
s_check_application (const Cf__Application *app)
{
    if (!app)
        return;
    cf_problems_t *problems = cf_problems_new ();
    (void)cf_application_validate (fuzz_scheme (), app,
                                   cf_date_from_ms (S_TODAY_MS), problems);
    Cf__FindingList *list = cf_pb_new (&cf__finding_list__descriptor);
    cf_application_materials_missing (app, &list->n_findings, &list->findings);
    cf_pb_free (&list);
    cf_problems_destroy (&problems);
}

static void
s_check_sheet (const Cf__ScoreSheet *sheet)
{
    if (!sheet)
        return;
    cf_problems_t *problems = cf_problems_new ();
    cf_score_t score;
    if (cf_score_compute (fuzz_scheme (), sheet, &score, problems) == 0) {
        Cf__ScoreResult *result = cf_pb_new (&cf__score_result__descriptor);
        cf_score_to_result (&score, result);
        cf_pb_free (&result);
    }
    cf_problems_destroy (&problems);
}

static void
s_check_data (const Cf__EventData *data)
{
    if (!data)
        return;
    if (data->body_case == CF__EVENT_DATA__BODY_APPLICATION)
        s_check_application (data->application);
    if (data->body_case == CF__EVENT_DATA__BODY_SHEET)
        s_check_sheet (data->sheet);
    if (data->body_case == CF__EVENT_DATA__BODY_CERTIFICATE)
        (void)cf_certificate_number_valid (data->certificate->number);
}

static void
s_show_case (const Cf__Case *record)
{
    if (!record)
        return;
    cf_show_case (fuzz_null (), record, fuzz_scheme (), S_TODAY_MS);
    cf_show_case_line (fuzz_null (), record);
}

static void
s_show_reply (const Cf__Reply *reply)
{
    if (reply->body_case == CF__REPLY__BODY_RECORD)
        s_show_case (reply->record);
    if (reply->body_case == CF__REPLY__BODY_PAGE)
        for (size_t index = 0; index < reply->page->n_cases; index++)
            s_show_case (reply->page->cases[index]);
    if (reply->body_case == CF__REPLY__BODY_EVENTS)
        for (size_t index = 0; index < reply->events->n_events; index++)
            cf_show_event (fuzz_null (), reply->events->events[index], true);
    if (reply->body_case == CF__REPLY__BODY_JOBS)
        for (size_t index = 0; index < reply->jobs->n_jobs; index++)
            cf_show_job (fuzz_null (), reply->jobs->jobs[index]);
    if (reply->body_case == CF__REPLY__BODY_STAFF)
        for (size_t index = 0; index < reply->staff->n_staff; index++)
            cf_show_staff (fuzz_null (), reply->staff->staff[index]);
    if (reply->body_case == CF__REPLY__BODY_CERTIFICATE)
        (void)cf_show_cert_status (reply->certificate->status);
}

//  What the program that decoded message does with it next
static void
s_use (const ProtobufCMessage *message)
{
    const ProtobufCMessageDescriptor *type = message->descriptor;
    if (type == &cf__request__descriptor) {
        const Cf__Request *request = (const Cf__Request *)message;
        if (request->body_case == CF__REQUEST__BODY_SUBMIT)
            s_check_application (request->submit->application);
        if (request->body_case == CF__REQUEST__BODY_FIRE)
            s_check_data (request->fire->data);
        if (request->body_case == CF__REQUEST__BODY_CERTIFICATE)
            (void)cf_certificate_number_valid (request->certificate->number);
    } else if (type == &cf__worker_message__descriptor) {
        const Cf__WorkerMessage *worker = (const Cf__WorkerMessage *)message;
        if (worker->body_case == CF__WORKER_MESSAGE__BODY_RESULT)
            s_check_data (worker->result->data);
    } else if (type == &cf__daemon_message__descriptor) {
        const Cf__DaemonMessage *daemon = (const Cf__DaemonMessage *)message;
        if (daemon->body_case == CF__DAEMON_MESSAGE__BODY_REPLY)
            s_show_reply (daemon->reply);
        if (daemon->body_case == CF__DAEMON_MESSAGE__BODY_OFFER)
            s_show_case (daemon->offer->record);
    } else if (type == &cf__reply__descriptor)
        s_show_reply ((const Cf__Reply *)message);
    //  A feed message holds a sequence number only: decoding is the test
    else if (type == &cf__case__descriptor)
        s_show_case ((const Cf__Case *)message);
    else if (type == &cf__event__descriptor) {
        const Cf__Event *event = (const Cf__Event *)message;
        cf_show_event (fuzz_null (), event, false);
        s_check_data (event->data);
    } else if (type == &cf__job__descriptor)
        cf_show_job (fuzz_null (), (const Cf__Job *)message);
    else if (type == &cf__staff__descriptor)
        cf_show_staff (fuzz_null (), (const Cf__Staff *)message);
    //  Every type prints as JSON (certflow --json)
    cf_pbjson_print (fuzz_null (), message);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *type = s_types[data[0] % S_TYPES];
    cf_problems_t *problems = cf_problems_new ();
    void *decoded = NULL;
    int rc = cf_wire_decode (type, data + 1, size - 1, &decoded, problems);
    FUZZ_CHECK (rc == 0 || rc == CF_ELIMIT || rc == CF_EDECODE ||
                    rc == CF_EINVAL,
                problems);
    FUZZ_CHECK ((rc == 0) == (decoded != NULL), problems);
    if (rc == 0) {
        ProtobufCMessage *message = decoded;
        cf_problems_reset (problems);
        FUZZ_CHECK (cf_wire_check (message, problems) == 0, problems);
        size_t packed_size = 0;
        uint8_t *packed = cf_pb_pack (message, &packed_size);
        void *again = NULL;
        FUZZ_CHECK (
            cf_wire_decode (type, packed, packed_size, &again, problems) == 0,
            problems);
        size_t repacked_size = 0;
        uint8_t *repacked = cf_pb_pack (again, &repacked_size);
        FUZZ_CHECK (repacked_size == packed_size &&
                        memcmp (packed, repacked, packed_size) == 0,
                    problems);
        free (repacked);
        free (packed);
        cf_pb_free (&again);
        s_use (message);
        cf_pb_free (&decoded);
    }
    cf_problems_destroy (&problems);
    return 0;
}
