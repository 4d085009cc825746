/*  Unit tests for cf_pb: cf_pb_dup copies case records built from the
    examples, every body of an event's data and of a daemon message, bytes,
    defaults and empty strings, repeated fields, fields unpack did not know,
    and the field kinds certflow.proto does not use (a hand-written
    descriptor); each copy packs to the bytes its original packs to, shares
    no heap memory with it (the original still packs the same after the copy
    is changed and freed), and both free cleanly.  */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_application.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_scheme.h"
#include "cf_score.h"

#define S_EXAMPLES CF_SOURCE_DIR "/examples"

static char *
s_load (const char *path, size_t *size)
{
    char *text = NULL;
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_json_load_file (path, CF_JSON_MAX_BYTES, &text, size, problems);
    if (rc) {
        char *joined = cf_problems_join (problems);
        fail_msg ("%s: %s", cf_errname (rc), joined);
    }
    cf_problems_destroy (&problems);
    return text;
}

static Cf__Application *
s_application (const char *path)
{
    size_t size;
    char *text = s_load (path, &size);
    Cf__Application *app = NULL;
    assert_int_equal (cf_json_application (text, size, &app, NULL), 0);
    free (text);
    return app;
}

static Cf__ScoreSheet *
s_sheet (const char *path)
{
    size_t size;
    char *text = s_load (path, &size);
    Cf__ScoreSheet *sheet = NULL;
    assert_int_equal (cf_json_score_sheet (text, size, &sheet, NULL), 0);
    free (text);
    return sheet;
}

static Cf__Staff *
s_staff (const char *path)
{
    size_t size;
    char *text = s_load (path, &size);
    Cf__Staff *staff = NULL;
    assert_int_equal (cf_json_staff (text, size, &staff, NULL), 0);
    free (text);
    return staff;
}

//  A case in committee review as the engine keeps it: the example
//  application and score sheet, the findings of the incomplete example,
//  contract, plan, the computed score and two ballots
static Cf__Case *
s_example_case (void)
{
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000001");
    cf_pb_set_string (&record->org, "91330110MA2J7R4N38");
    record->state = CF__STATE__STATE_COMMITTEE_REVIEW;
    cf_pb_set_string (&record->scheme_version, "GB/T 27922-2011 r1");
    record->application = s_application (S_EXAMPLES "/application.json");
    record->created_at = 1781049600000LL;
    record->updated_at = 1785542400000LL;
    record->deadline_at = -1;
    record->last_seq = 42;
    record->events = 17;
    Cf__Application *incomplete =
        s_application (S_EXAMPLES "/application-incomplete.json");
    assert_true (cf_application_materials_missing (
                     incomplete, &record->n_findings, &record->findings) > 0);
    cf_pb_free (&incomplete);
    cf_pb_append_string (&record->n_reviewers, &record->reviewers, "REV001");
    cf_pb_append_string (&record->n_reviewers, &record->reviewers, "");

    record->contract = cf_pb_new (&cf__contract__descriptor);
    cf_pb_set_string (&record->contract->number, "HT-2026-0001");
    record->contract->person_days_tenths = 45;
    record->contract->fee_fen = 1800000;
    cf_pb_set_string (&record->contract->issued_date, "2026-06-01");

    record->plan = cf_pb_new (&cf__audit_plan__descriptor);
    cf_pb_set_string (&record->plan->leader, "AUD001");
    cf_pb_append_string (&record->plan->n_members, &record->plan->members,
                         "AUD002");
    cf_pb_append_string (&record->plan->n_members, &record->plan->members,
                         "AUD003");
    cf_pb_set_string (&record->plan->mode, "FS01");

    record->sheet = s_sheet (S_EXAMPLES "/scores.json");
    cf_scheme_t *scheme = NULL;
    assert_int_equal (cf_scheme_default (&scheme), 0);
    cf_score_t score;
    assert_int_equal (cf_score_compute (scheme, record->sheet, &score, NULL),
                      0);
    record->original = cf_pb_new (&cf__score_result__descriptor);
    cf_score_to_result (&score, record->original);
    cf_scheme_destroy (&scheme);

    record->committee = cf_pb_new (&cf__committee__descriptor);
    for (int index = 1; index <= 3; index++) {
        char member[16];
        snprintf (member, sizeof member, "COM00%d", index);
        cf_pb_append_string (&record->committee->n_members,
                             &record->committee->members, member);
    }
    for (int index = 0; index < 2; index++) {
        Cf__Ballot *ballot = cf_pb_new (&cf__ballot__descriptor);
        cf_pb_set_string (&ballot->member, record->committee->members[index]);
        ballot->vote = index ? CF__VOTE__VOTE_REFUSE : CF__VOTE__VOTE_GRANT;
        cf_pb_set_string (&ballot->reason, "按评分 (by the score)");
        ballot->at = 1785542400000LL + index;
        ballot->star_override = index == 0;
        cf_pb_append (&record->committee->n_ballots,
                      (void ***)&record->committee->ballots, ballot);
    }
    cf_pb_set_string (&record->consultancy, "CONSULT-01");
    cf_pb_append_string (&record->n_consultancies, &record->consultancies,
                         "CONSULT-01");
    record->kind = CF__CASE_KIND__CASE_KIND_RECERTIFICATION;
    record->waiting_ms = 3600000;
    return record;
}

//  The heap memory of a message tree, as free_unpacked would free it
typedef struct {
    const void **pointers;  //  Every block of the tree
    size_t count;           //  How many
} s_blocks_t;

static void
s_block (s_blocks_t *self, const void *pointer)
{
    if (!pointer)
        return;
    self->pointers =
        realloc (self->pointers, (self->count + 1) * sizeof (void *));
    assert_non_null (self->pointers);
    self->pointers[self->count++] = pointer;
}

static void
s_blocks (s_blocks_t *self, const ProtobufCMessage *message)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    const char *base = (const char *)message;
    s_block (self, message);
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[index];
        const void *member = base + field->offset;
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + field->quantifier_offset) != field->id)
            continue;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *)(base + field->quantifier_offset);
            const void *array = *(void *const *)member;
            s_block (self, array);
            for (size_t item = 0; item < count; item++) {
                if (field->type == PROTOBUF_C_TYPE_STRING)
                    s_block (self, ((char *const *)array)[item]);
                else if (field->type == PROTOBUF_C_TYPE_BYTES)
                    s_block (self,
                             ((const ProtobufCBinaryData *)array)[item].data);
                else if (field->type == PROTOBUF_C_TYPE_MESSAGE)
                    s_blocks (self, ((ProtobufCMessage *const *)array)[item]);
            }
        } else if (field->type == PROTOBUF_C_TYPE_STRING) {
            const char *text = *(char *const *)member;
            if (text != field->default_value)
                s_block (self, text);
        } else if (field->type == PROTOBUF_C_TYPE_BYTES) {
            const ProtobufCBinaryData *bytes = member;
            const ProtobufCBinaryData *fallback = field->default_value;
            if (!fallback || bytes->data != fallback->data)
                s_block (self, bytes->data);
        } else if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;
            if (sub)
                s_blocks (self, sub);
        }
    }
    s_block (self, message->unknown_fields);
    for (size_t index = 0; index < message->n_unknown_fields; index++)
        s_block (self, message->unknown_fields[index].data);
}

//  Fails when two trees share a block, or one tree holds a block twice
static void
s_assert_disjoint (const ProtobufCMessage *one, const ProtobufCMessage *two)
{
    s_blocks_t blocks = {0};
    s_blocks (&blocks, one);
    size_t first = blocks.count;
    s_blocks (&blocks, two);
    assert_true (first > 0 && blocks.count > first);
    for (size_t index = 0; index < blocks.count; index++)
        for (size_t other = index + 1; other < blocks.count; other++)
            if (blocks.pointers[index] == blocks.pointers[other])
                fail_msg ("block %p is held twice (%s)", blocks.pointers[index],
                          index < first && other >= first
                              ? "by the original and the copy"
                              : "in one tree");
    free (blocks.pointers);
}

static void
s_assert_packs_to (const ProtobufCMessage *message, const uint8_t *bytes,
                   size_t size)
{
    size_t packed_size;
    uint8_t *packed = cf_pb_pack (message, &packed_size);
    assert_int_equal (packed_size, size);
    assert_memory_equal (packed, bytes, size);
    free (packed);
}

//  Copies message and checks the copy: same type, same bytes, no block
//  shared; then frees the copy, and the original still packs the same
//  (under ASan a shared block would be a use after free). Returns the
//  packed size.
static size_t
s_check_dup (const ProtobufCMessage *message)
{
    size_t size;
    uint8_t *bytes = cf_pb_pack (message, &size);
    ProtobufCMessage *copy = cf_pb_dup (message);
    assert_non_null (copy);
    assert_ptr_not_equal (copy, message);
    assert_ptr_equal (copy->descriptor, message->descriptor);
    s_assert_packs_to (copy, bytes, size);
    s_assert_disjoint (message, copy);
    //  What the copy stands for: the message packed and unpacked
    ProtobufCMessage *unpacked =
        protobuf_c_message_unpack (message->descriptor, NULL, size, bytes);
    assert_non_null (unpacked);
    s_assert_packs_to (unpacked, bytes, size);
    cf_pb_free (&unpacked);
    //  A copy of the copy packs the same too
    ProtobufCMessage *again = cf_pb_dup (copy);
    s_assert_packs_to (again, bytes, size);
    cf_pb_free (&again);
    cf_pb_free (&copy);
    assert_null (copy);
    s_assert_packs_to (message, bytes, size);
    free (bytes);
    return size;
}

static void
test_pb_dup_example_case (void **state)
{
    (void)state;
    Cf__Case *record = s_example_case ();
    assert_true (record->application->n_scope > 0);
    assert_true (record->application->n_outlets > 0);
    assert_true (record->application->n_materials > 0);
    assert_true (record->sheet->n_items == 15);
    assert_true (s_check_dup (&record->base) > 2000);

    //  Changing the copy leaves the original as it was
    size_t size;
    uint8_t *bytes = cf_pb_pack (&record->base, &size);
    Cf__Case *copy = cf_pb_dup (&record->base);
    cf_pb_set_string (&copy->id, "CF-2026-000002");
    copy->application->company_name[0] = 'X';
    copy->application->scope[0][0] = 'X';
    copy->application->outlets[0]->address[0] = 'X';
    copy->application->materials[0]->reference[0] = 'X';
    copy->findings[0]->reason[0] = 'X';
    copy->sheet->items[0]->earned += 1;
    copy->sheet->nonconformities[0]->description[0] = 'X';
    copy->committee->ballots[1]->vote = CF__VOTE__VOTE_GRANT;
    cf_pb_append_string (&copy->n_reviewers, &copy->reviewers, "REV002");
    cf_pb_free (&copy->plan);
    s_assert_packs_to (&record->base, bytes, size);
    size_t copy_size;
    uint8_t *copy_bytes = cf_pb_pack (&copy->base, &copy_size);
    assert_true (copy_size != size || memcmp (copy_bytes, bytes, size) != 0);
    free (copy_bytes);
    cf_pb_free (&copy);
    s_assert_packs_to (&record->base, bytes, size);
    free (bytes);

    //  A page of such cases, and a client with its cases and certificate
    Cf__Page *page = cf_pb_new (&cf__page__descriptor);
    for (int index = 0; index < 3; index++)
        cf_pb_append (&page->n_cases, (void ***)&page->cases,
                      cf_pb_dup (&record->base));
    cf_pb_set_string (&page->next, "CF-2026-000004");
    s_check_dup (&page->base);
    Cf__Client *client = cf_pb_new (&cf__client__descriptor);
    cf_pb_append (&client->n_cases, (void ***)&client->cases,
                  cf_pb_dup (&record->base));
    Cf__Certificate *certificate = cf_pb_new (&cf__certificate__descriptor);
    cf_pb_set_string (&certificate->number, "CFC2026SC-00001");
    for (size_t index = 0; index < record->application->n_scope; index++)
        cf_pb_append_string (&certificate->n_scope, &certificate->scope,
                             record->application->scope[index]);
    certificate->score = 91.5;
    certificate->status = CF__CERT_STATUS__CERT_STATUS_SUSPENDED;
    certificate->suspension = cf_pb_new (&cf__suspension__descriptor);
    cf_pb_set_string (&certificate->suspension->trigger, "holder_request");
    for (int index = 0; index < 2; index++) {
        Cf__Visit *visit = cf_pb_new (&cf__visit__descriptor);
        cf_pb_set_string (&visit->due, index ? "2028-06-01" : "2027-06-01");
        visit->missed = index == 1;
        cf_pb_append (&certificate->n_visits, (void ***)&certificate->visits,
                      visit);
        cf_pb_append_string (&certificate->n_surveillance,
                             &certificate->surveillance, visit->due);
    }
    cf_pb_append (&client->n_certificates, (void ***)&client->certificates,
                  certificate);
    s_check_dup (&client->base);
    cf_pb_free (&client);
    cf_pb_free (&page);
    cf_pb_free (&record);
}

//  Every member of EventData's oneof, the message ones built from the
//  examples, each set alone
static Cf__EventData *
s_event_data (uint32_t body)
{
    Cf__EventData *data = cf_pb_new (&cf__event_data__descriptor);
    data->body_case = body;
    switch (body) {
        case CF__EVENT_DATA__BODY_APPLICATION:
            data->application = s_application (S_EXAMPLES "/application.json");
            break;
        case CF__EVENT_DATA__BODY_REASON:
            data->reason = strdup ("撤回 withdrawn by the applicant");
            break;
        case CF__EVENT_DATA__BODY_FINDINGS: {
            data->findings = cf_pb_new (&cf__finding_list__descriptor);
            Cf__Application *app =
                s_application (S_EXAMPLES "/application-incomplete.json");
            assert_true (cf_application_materials_missing (
                             app, &data->findings->n_findings,
                             &data->findings->findings) > 0);
            cf_pb_free (&app);
            break;
        }
        case CF__EVENT_DATA__BODY_CONTRACT:
            data->contract = cf_pb_new (&cf__contract__descriptor);
            cf_pb_set_string (&data->contract->number, "HT-2026-0001");
            data->contract->fee_fen = UINT64_MAX;
            break;
        case CF__EVENT_DATA__BODY_PLAN:
            data->plan = cf_pb_new (&cf__audit_plan__descriptor);
            cf_pb_set_string (&data->plan->leader, "AUD001");
            break;
        case CF__EVENT_DATA__BODY_SHEET:
            data->sheet = s_sheet (S_EXAMPLES "/scores-revised.json");
            break;
        case CF__EVENT_DATA__BODY_COMMITTEE:
            data->committee = cf_pb_new (&cf__committee_data__descriptor);
            cf_pb_append_string (&data->committee->n_members,
                                 &data->committee->members, "COM001");
            data->committee->vote = CF__VOTE__VOTE_REFUSE;
            break;
        case CF__EVENT_DATA__BODY_CERTIFICATE:
            data->certificate = cf_pb_new (&cf__certificate_data__descriptor);
            cf_pb_set_string (&data->certificate->number, "CFC2026SC-00001");
            break;
        case CF__EVENT_DATA__BODY_FIXES: {
            data->fixes = cf_pb_new (&cf__fix_list__descriptor);
            Cf__Fix *fix = cf_pb_new (&cf__fix__descriptor);
            cf_pb_set_string (&fix->nonconformity, "NC-1");
            fix->accepted = true;
            cf_pb_append (&data->fixes->n_fixes, (void ***)&data->fixes->fixes,
                          fix);
            break;
        }
        case CF__EVENT_DATA__BODY_CHANGE:
            data->change = cf_pb_new (&cf__certificate_change__descriptor);
            data->change->months = 6;
            break;
        default:
            fail_msg ("no body %u", body);
    }
    return data;
}

static void
test_pb_dup_oneof_bodies (void **state)
{
    (void)state;
    //  Each body of an event's data, inside an event with both hashes
    for (uint32_t body = CF__EVENT_DATA__BODY_APPLICATION;
         body <= CF__EVENT_DATA__BODY_CHANGE; body++) {
        Cf__Event *event = cf_pb_new (&cf__event__descriptor);
        event->seq = body;
        event->data = s_event_data (body);
        event->prev_hash.len = 32;
        event->prev_hash.data = calloc (1, 32);
        event->hash.len = 32;
        event->hash.data = malloc (32);
        for (int index = 0; index < 32; index++)
            event->hash.data[index] = (uint8_t)(index * 7 + body);
        s_check_dup (&event->data->base);
        s_check_dup (&event->base);
        Cf__Event *copy = cf_pb_dup (&event->base);
        assert_int_equal (copy->data->body_case, body);
        assert_int_equal (copy->prev_hash.len, 32);
        assert_ptr_not_equal (copy->prev_hash.data, event->prev_hash.data);
        assert_memory_equal (copy->hash.data, event->hash.data, 32);
        cf_pb_free (&copy);
        cf_pb_free (&event);
    }

    //  Each body of what the daemon sends a worker
    Cf__DaemonMessage *daemon = cf_pb_new (&cf__daemon_message__descriptor);
    daemon->body_case = CF__DAEMON_MESSAGE__BODY_OFFER;
    daemon->offer = cf_pb_new (&cf__job_offer__descriptor);
    daemon->offer->job = cf_pb_new (&cf__job__descriptor);
    daemon->offer->job->id = 7;
    daemon->offer->job->lease = 0x8000000000000001ULL;
    daemon->offer->job->due_at = -5;
    cf_pb_set_string (&daemon->offer->job->stage, "committee");
    daemon->offer->record = s_example_case ();
    cf_pb_append (&daemon->offer->n_staff, (void ***)&daemon->offer->staff,
                  s_staff (S_EXAMPLES "/staff/AUD001.json"));
    cf_pb_append (&daemon->offer->n_staff, (void ***)&daemon->offer->staff,
                  s_staff (S_EXAMPLES "/staff/COM001.json"));
    const char *scheme = cf_scheme_default_text ();
    daemon->offer->scheme.len = strlen (scheme);
    daemon->offer->scheme.data = malloc (daemon->offer->scheme.len);
    memcpy (daemon->offer->scheme.data, scheme, daemon->offer->scheme.len);
    assert_true (s_check_dup (&daemon->base) > daemon->offer->scheme.len);
    cf_pb_free (&daemon);

    //  A oneof member that is zero is still sent: the case says it is set
    daemon = cf_pb_new (&cf__daemon_message__descriptor);
    daemon->body_case = CF__DAEMON_MESSAGE__BODY_HEARTBEAT;
    daemon->heartbeat = false;
    assert_int_equal (s_check_dup (&daemon->base), 2);
    daemon->heartbeat = true;
    Cf__DaemonMessage *copy = cf_pb_dup (&daemon->base);
    assert_int_equal (copy->body_case, CF__DAEMON_MESSAGE__BODY_HEARTBEAT);
    assert_true (copy->heartbeat);
    cf_pb_free (&copy);
    cf_pb_free (&daemon);

    daemon = cf_pb_new (&cf__daemon_message__descriptor);
    daemon->body_case = CF__DAEMON_MESSAGE__BODY_REPLY;
    daemon->reply = cf_pb_new (&cf__reply__descriptor);
    daemon->reply->status = CF__STATUS__STATUS_REFUSED;
    cf_pb_set_string (&daemon->reply->error, "CF_EGUARD");
    daemon->reply->body_case = CF__REPLY__BODY_SEQ;
    daemon->reply->seq = 0;
    s_check_dup (&daemon->base);
    cf_pb_free (&daemon);

    //  The worker's side: ready with its stages, a result with data
    Cf__WorkerMessage *worker = cf_pb_new (&cf__worker_message__descriptor);
    worker->body_case = CF__WORKER_MESSAGE__BODY_READY;
    worker->ready = cf_pb_new (&cf__worker_ready__descriptor);
    cf_pb_append_string (&worker->ready->n_stages, &worker->ready->stages,
                         "intake");
    worker->ready->capacity = 4;
    s_check_dup (&worker->base);
    cf_pb_free (&worker);
    worker = cf_pb_new (&cf__worker_message__descriptor);
    worker->body_case = CF__WORKER_MESSAGE__BODY_RESULT;
    worker->result = cf_pb_new (&cf__job_result__descriptor);
    worker->result->job = 7;
    cf_pb_set_string (&worker->result->event, "scores_submitted");
    worker->result->data = s_event_data (CF__EVENT_DATA__BODY_SHEET);
    s_check_dup (&worker->base);
    cf_pb_free (&worker);

    //  A request and a reply with a case
    Cf__Request *request = cf_pb_new (&cf__request__descriptor);
    cf_pb_set_string (&request->id, "req-1");
    request->body_case = CF__REQUEST__BODY_SUBMIT;
    request->submit = cf_pb_new (&cf__submit_request__descriptor);
    request->submit->application =
        s_application (S_EXAMPLES "/application.json");
    s_check_dup (&request->base);
    cf_pb_free (&request);
    Cf__Reply *reply = cf_pb_new (&cf__reply__descriptor);
    reply->body_case = CF__REPLY__BODY_RECORD;
    reply->record = s_example_case ();
    reply->now = 1785542400000LL;
    s_check_dup (&reply->base);
    cf_pb_free (&reply);
}

static void
test_pb_dup_unset_oneof (void **state)
{
    (void)state;
    //  A oneof whose member is NULL or its default is not sent: the copy,
    //  like an unpacked message, has no body
    Cf__EventData *data = cf_pb_new (&cf__event_data__descriptor);
    data->body_case = CF__EVENT_DATA__BODY_REASON;
    data->reason = (char *)protobuf_c_empty_string;
    assert_int_equal (s_check_dup (&data->base), 0);
    Cf__EventData *copy = cf_pb_dup (&data->base);
    assert_int_equal (copy->body_case, CF__EVENT_DATA__BODY__NOT_SET);
    cf_pb_free (&copy);
    data->body_case = CF__EVENT_DATA__BODY_SHEET;
    data->sheet = NULL;
    assert_int_equal (s_check_dup (&data->base), 0);
    copy = cf_pb_dup (&data->base);
    assert_int_equal (copy->body_case, CF__EVENT_DATA__BODY__NOT_SET);
    cf_pb_free (&copy);
    //  An empty string that is not the default is sent, and copied
    data->body_case = CF__EVENT_DATA__BODY_REASON;
    data->reason = strdup ("");
    assert_int_equal (s_check_dup (&data->base), 2);
    copy = cf_pb_dup (&data->base);
    assert_int_equal (copy->body_case, CF__EVENT_DATA__BODY_REASON);
    assert_string_equal (copy->reason, "");
    assert_ptr_not_equal (copy->reason, data->reason);
    assert_ptr_not_equal (copy->reason, protobuf_c_empty_string);
    cf_pb_free (&copy);
    cf_pb_free (&data);
    //  A message with nothing set packs to nothing, and so does its copy
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    assert_int_equal (s_check_dup (&record->base), 0);
    cf_pb_free (&record);
}

static void
test_pb_dup_defaults_and_empties (void **state)
{
    (void)state;
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000009");
    //  An empty string of our own and a NULL one: neither is sent, and the
    //  copy has the default, as unpack would give
    record->org = strdup ("");
    record->scheme_version = NULL;
    //  Repeated strings are all sent, the empty ones too
    cf_pb_append_string (&record->n_reviewers, &record->reviewers, "");
    cf_pb_append_string (&record->n_reviewers, &record->reviewers, "REV001");
    cf_pb_append_string (&record->n_consultancies, &record->consultancies,
                         "C1");
    record->consultancies[0][0] = '\0';
    //  A sub-message with every field at its default is still sent
    record->contract = cf_pb_new (&cf__contract__descriptor);
    record->application = cf_pb_new (&cf__application__descriptor);
    record->application->employees = 0;
    record->application->licence_required = 2;  //  Sent as true
    s_check_dup (&record->base);

    Cf__Case *copy = cf_pb_dup (&record->base);
    assert_string_equal (copy->id, "CF-2026-000009");
    assert_ptr_equal (copy->org, protobuf_c_empty_string);
    assert_ptr_equal (copy->scheme_version, protobuf_c_empty_string);
    assert_ptr_equal (copy->decision, protobuf_c_empty_string);
    assert_int_equal (copy->n_reviewers, 2);
    assert_string_equal (copy->reviewers[0], "");
    assert_string_equal (copy->reviewers[1], "REV001");
    assert_int_equal (copy->n_consultancies, 1);
    assert_string_equal (copy->consultancies[0], "");
    assert_non_null (copy->contract);
    assert_ptr_equal (copy->contract->number, protobuf_c_empty_string);
    assert_true (copy->application->licence_required == 1);
    assert_null (copy->plan);
    assert_int_equal (copy->n_findings, 0);
    assert_null (copy->findings);
    cf_pb_free (&copy);

    //  Bytes: a zero length is not sent and the copy has none
    Cf__IdentityIssued *issued = cf_pb_new (&cf__identity_issued__descriptor);
    cf_pb_set_string (&issued->public_key,
                      "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
    issued->certificate.data = malloc (1);
    issued->certificate.len = 0;
    s_check_dup (&issued->base);
    Cf__IdentityIssued *issued_copy = cf_pb_dup (&issued->base);
    assert_int_equal (issued_copy->certificate.len, 0);
    assert_null (issued_copy->certificate.data);
    cf_pb_free (&issued_copy);
    const char *secret = "#   ZeroMQ CURVE **Secret** Certificate\n";
    free (issued->certificate.data);
    issued->certificate.len = strlen (secret);
    issued->certificate.data = (uint8_t *)strdup (secret);
    s_check_dup (&issued->base);
    cf_pb_free (&issued);
    cf_pb_free (&record);
}

//  Appends a varint to buffer at *size
static void
s_varint (uint8_t *buffer, size_t *size, uint64_t value)
{
    while (value >= 0x80) {
        buffer[(*size)++] = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    buffer[(*size)++] = (uint8_t)value;
}

//  Appends fields no version of certflow.proto has: a varint (field 990),
//  a length-delimited one (991), a fixed64 (992) and a fixed32 (993)
static void
s_unknown_fields (uint8_t *buffer, size_t *size)
{
    s_varint (buffer, size, 990 << 3 | 0);
    s_varint (buffer, size, 300);
    s_varint (buffer, size, 991 << 3 | 2);
    s_varint (buffer, size, 5);
    memcpy (buffer + *size, "extra", 5);
    *size += 5;
    s_varint (buffer, size, 992 << 3 | 1);
    memcpy (buffer + *size, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    *size += 8;
    s_varint (buffer, size, 993 << 3 | 5);
    memcpy (buffer + *size, "\xff\xfe\xfd\xfc", 4);
    *size += 4;
}

static void
test_pb_dup_unknown_fields (void **state)
{
    (void)state;
    //  A case written by a newer daemon: unknown fields in the case and in
    //  its application
    Cf__Case *record = s_example_case ();
    Cf__Application *app = record->application;
    size_t app_size = protobuf_c_message_get_packed_size (&app->base);
    uint8_t *app_bytes = malloc (app_size + 64);
    size_t app_length = protobuf_c_message_pack (&app->base, app_bytes);
    s_unknown_fields (app_bytes, &app_length);
    record->application = cf__application__unpack (NULL, app_length, app_bytes);
    assert_non_null (record->application);
    free (app_bytes);
    cf_pb_free (&app);
    size_t size = protobuf_c_message_get_packed_size (&record->base);
    uint8_t *buffer = malloc (size + 64);
    assert_int_equal (protobuf_c_message_pack (&record->base, buffer), size);
    s_unknown_fields (buffer, &size);
    cf_pb_free (&record);

    Cf__Case *unpacked = cf__case__unpack (NULL, size, buffer);
    assert_non_null (unpacked);
    assert_int_equal (unpacked->base.n_unknown_fields, 4);
    assert_int_equal (unpacked->application->base.n_unknown_fields, 4);
    //  The unknown fields are written back last: the bytes are the input's
    s_assert_packs_to (&unpacked->base, buffer, size);
    s_check_dup (&unpacked->base);
    Cf__Case *copy = cf_pb_dup (&unpacked->base);
    assert_int_equal (copy->base.n_unknown_fields, 4);
    for (size_t index = 0; index < 4; index++) {
        const ProtobufCMessageUnknownField *field =
            &unpacked->base.unknown_fields[index];
        const ProtobufCMessageUnknownField *copied =
            &copy->base.unknown_fields[index];
        assert_int_equal (copied->tag, field->tag);
        assert_int_equal (copied->wire_type, field->wire_type);
        assert_int_equal (copied->len, field->len);
        assert_ptr_not_equal (copied->data, field->data);
        assert_memory_equal (copied->data, field->data, field->len);
    }
    assert_int_equal (copy->application->base.n_unknown_fields, 4);
    s_assert_packs_to (&copy->base, buffer, size);
    cf_pb_free (&copy);
    cf_pb_free (&unpacked);
    free (buffer);
}

static void
test_pb_dup_store_records (void **state)
{
    (void)state;
    //  The other records the store and the engine copy
    Cf__Job *job = cf_pb_new (&cf__job__descriptor);
    job->id = 12;
    cf_pb_set_string (&job->case_id, "CF-2026-000001");
    job->state = CF__STATE__STATE_ISSUANCE;
    job->status = CF__JOB_STATUS__JOB_STATUS_LEASED;
    cf_pb_set_string (&job->last_error, "timeout: 超时");
    s_check_dup (&job->base);
    cf_pb_free (&job);
    for (int index = 0; index < 2; index++) {
        Cf__Staff *staff = s_staff (index ? S_EXAMPLES "/staff/REV001.json"
                                          : S_EXAMPLES "/staff/AUD002.json");
        Cf__Conflict *conflict = cf_pb_new (&cf__conflict__descriptor);
        cf_pb_set_string (&conflict->uscc, "91330110MA2J7R4N38");
        cf_pb_append (&staff->n_conflicts, (void ***)&staff->conflicts,
                      conflict);
        s_check_dup (&staff->base);
        cf_pb_free (&staff);
    }
    Cf__Appointment *appointment = cf_pb_new (&cf__appointment__descriptor);
    cf_pb_append_string (&appointment->n_acts, &appointment->acts, "submit");
    appointment->added_by = cf_pb_new (&cf__principal__descriptor);
    cf_pb_set_string (&appointment->added_by->name, "ADM001");
    appointment->added_by->role = CF__ROLE__ROLE_ADMIN;
    s_check_dup (&appointment->base);
    cf_pb_free (&appointment);
}

//  What certflow.proto does not use but cf_pb_dup handles: proto2 optional
//  fields with has_ flags and defaults, a required field, repeated scalars
//  (packed and not), repeated bytes, a oneof with a scalar member, and
//  proto3 floating point. The message and its descriptor are written here
//  as protoc-c would generate them for:
//
//      message Sample {
//          optional int32 number = 1;
//          optional double ratio = 2;
//          optional bytes blob = 3 [default = "ab"];
//          optional string label = 4 [default = "none"];
//          required sint64 key = 5;
//          repeated float scores = 6 [packed = true];
//          repeated fixed64 counts = 7;
//          repeated bool flags = 8 [packed = true];
//          repeated bytes blobs = 9;
//          oneof choice { uint32 small = 10; string text = 11; }
//          optional cf.Finding finding = 12;
//          double level = 13;   (proto3, no presence)
//          float weight = 14;   (proto3, no presence)
//      }
typedef struct {
    ProtobufCMessage base;
    protobuf_c_boolean has_number;
    int32_t number;
    protobuf_c_boolean has_ratio;
    double ratio;
    protobuf_c_boolean has_blob;
    ProtobufCBinaryData blob;
    char *label;
    int64_t key;
    size_t n_scores;
    float *scores;
    size_t n_counts;
    uint64_t *counts;
    size_t n_flags;
    protobuf_c_boolean *flags;
    size_t n_blobs;
    ProtobufCBinaryData *blobs;
    uint32_t choice_case;
    union {
        uint32_t small;
        char *text;
    };
    Cf__Finding *finding;
    double level;
    float weight;
} s_sample_t;

static const uint8_t s_blob_bytes[] = "ab";
static const ProtobufCBinaryData s_blob_default = {2, (uint8_t *)s_blob_bytes};
static const char s_label_default[] = "none";
static const ProtobufCMessageDescriptor s_sample_descriptor;

static void
s_sample_init (ProtobufCMessage *message)
{
    s_sample_t *self = (s_sample_t *)message;
    memset (self, 0, sizeof *self);
    self->base.descriptor = &s_sample_descriptor;
    self->blob = s_blob_default;
    self->label = (char *)s_label_default;
}

//  One field of s_sample_t, as protoc-c writes it
#define S_FIELD(member, number, label, type, quantifier, message, fallback,    \
                options)                                                       \
    {                                                                          \
#member, number, PROTOBUF_C_LABEL_##label, PROTOBUF_C_TYPE_##type,     \
            quantifier, offsetof(s_sample_t, member), message, fallback,       \
            options, 0, NULL, NULL                                             \
    }

static const ProtobufCFieldDescriptor s_sample_fields[] = {
    S_FIELD (number, 1, OPTIONAL, INT32, offsetof (s_sample_t, has_number),
             NULL, NULL, 0),
    S_FIELD (ratio, 2, OPTIONAL, DOUBLE, offsetof (s_sample_t, has_ratio), NULL,
             NULL, 0),
    S_FIELD (blob, 3, OPTIONAL, BYTES, offsetof (s_sample_t, has_blob), NULL,
             &s_blob_default, 0),
    S_FIELD (label, 4, OPTIONAL, STRING, 0, NULL, s_label_default, 0),
    S_FIELD (key, 5, REQUIRED, SINT64, 0, NULL, NULL, 0),
    S_FIELD (scores, 6, REPEATED, FLOAT, offsetof (s_sample_t, n_scores), NULL,
             NULL, PROTOBUF_C_FIELD_FLAG_PACKED),
    S_FIELD (counts, 7, REPEATED, FIXED64, offsetof (s_sample_t, n_counts),
             NULL, NULL, 0),
    S_FIELD (flags, 8, REPEATED, BOOL, offsetof (s_sample_t, n_flags), NULL,
             NULL, PROTOBUF_C_FIELD_FLAG_PACKED),
    S_FIELD (blobs, 9, REPEATED, BYTES, offsetof (s_sample_t, n_blobs), NULL,
             NULL, 0),
    S_FIELD (small, 10, OPTIONAL, UINT32, offsetof (s_sample_t, choice_case),
             NULL, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF),
    S_FIELD (text, 11, OPTIONAL, STRING, offsetof (s_sample_t, choice_case),
             NULL, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF),
    S_FIELD (finding, 12, OPTIONAL, MESSAGE, 0, &cf__finding__descriptor, NULL,
             0),
    S_FIELD (level, 13, NONE, DOUBLE, 0, NULL, NULL, 0),
    S_FIELD (weight, 14, NONE, FLOAT, 0, NULL, NULL, 0),
};
#define S_SAMPLE_FIELDS (sizeof s_sample_fields / sizeof s_sample_fields[0])

//  Indices of s_sample_fields in the order of their names
static const unsigned s_sample_by_name[S_SAMPLE_FIELDS] = {
    2, 8, 6, 11, 7, 4, 3, 12, 0, 1, 5, 9, 10, 13};
static const ProtobufCIntRange s_sample_ranges[] = {{1, 0},
                                                    {15, S_SAMPLE_FIELDS}};

static const ProtobufCMessageDescriptor s_sample_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "test.Sample",
    "Sample",
    "s_sample_t",
    "test",
    sizeof (s_sample_t),
    S_SAMPLE_FIELDS,
    s_sample_fields,
    s_sample_by_name,
    1,
    s_sample_ranges,
    s_sample_init,
    NULL,
    NULL,
    NULL};

static void *
s_copy_of (const void *bytes, size_t size)
{
    void *copy = malloc (size ? size : 1);
    assert_non_null (copy);
    memcpy (copy, bytes, size);
    return copy;
}

static void
test_pb_dup_every_field_kind (void **state)
{
    (void)state;
    //  The names are sorted as the descriptor says
    for (size_t index = 1; index < S_SAMPLE_FIELDS; index++)
        assert_true (strcmp (s_sample_fields[s_sample_by_name[index - 1]].name,
                             s_sample_fields[s_sample_by_name[index]].name) <
                     0);
    s_sample_t *sample = cf_pb_new (&s_sample_descriptor);
    //  Defaults: only the required key is sent
    assert_int_equal (s_check_dup (&sample->base), 2);
    s_sample_t *copy = cf_pb_dup (&sample->base);
    assert_ptr_equal (copy->label, s_label_default);
    assert_ptr_equal (copy->blob.data, s_blob_bytes);
    cf_pb_free (&copy);

    //  Present with zero values, absent with values, the default's bytes
    sample->has_number = true;
    sample->number = 0;
    sample->has_ratio = false;
    sample->ratio = 3.5;
    sample->has_blob = true;
    sample->key = -123456789012LL;
    sample->level = -0.0;  //  Zero: not sent
    sample->weight = 1.25f;
    float scores[] = {0.5f, -1.0f, 3.25e10f};
    sample->n_scores = 3;
    sample->scores = s_copy_of (scores, sizeof scores);
    uint64_t counts[] = {0, 1, UINT64_MAX};
    sample->n_counts = 3;
    sample->counts = s_copy_of (counts, sizeof counts);
    protobuf_c_boolean flags[] = {0, 1, 5};
    sample->n_flags = 3;
    sample->flags = s_copy_of (flags, sizeof flags);
    sample->n_blobs = 2;
    sample->blobs = calloc (2, sizeof (ProtobufCBinaryData));
    sample->blobs[1].len = 3;
    sample->blobs[1].data = s_copy_of ("\x00\xff\x01", 3);
    sample->choice_case = 10;
    sample->small = 0;
    s_check_dup (&sample->base);
    copy = cf_pb_dup (&sample->base);
    assert_true (copy->has_number);
    assert_false (copy->has_ratio);
    assert_true (copy->ratio == 0);  //  Not sent: unpack gives the default
    assert_true (copy->has_blob);
    assert_ptr_equal (copy->blob.data, s_blob_bytes);
    assert_true (copy->key == sample->key);
    assert_true (copy->level == 0 && !signbit (copy->level));
    assert_true (copy->weight == 1.25f);
    assert_int_equal (copy->n_scores, 3);
    assert_memory_equal (copy->scores, scores, sizeof scores);
    assert_int_equal (copy->n_counts, 3);
    assert_memory_equal (copy->counts, counts, sizeof counts);
    assert_int_equal (copy->n_flags, 3);
    assert_true (copy->flags[0] == 0 && copy->flags[1] == 1 &&
                 copy->flags[2] == 1);
    assert_int_equal (copy->n_blobs, 2);
    assert_null (copy->blobs[0].data);
    assert_memory_equal (copy->blobs[1].data, "\x00\xff\x01", 3);
    assert_int_equal (copy->choice_case, 10);
    assert_null (copy->finding);
    //  The copy's arrays are its own
    copy->scores[0] = 9;
    copy->counts[0] = 9;
    copy->flags[0] = 1;
    copy->blobs[1].data[0] = 9;
    assert_true (sample->scores[0] == 0.5f && sample->counts[0] == 0 &&
                 sample->flags[0] == 0 && sample->blobs[1].data[0] == 0);
    cf_pb_free (&copy);

    //  Bytes, strings and a message of their own; the oneof's string
    sample->blob.len = 4;
    sample->blob.data = s_copy_of ("blob", 4);
    sample->label = strdup ("label");
    sample->finding = cf_pb_new (&cf__finding__descriptor);
    cf_pb_set_string (&sample->finding->item, "M07");
    sample->choice_case = 11;
    sample->text = strdup ("文本");
    s_check_dup (&sample->base);
    copy = cf_pb_dup (&sample->base);
    assert_memory_equal (copy->blob.data, "blob", 4);
    assert_string_equal (copy->label, "label");
    assert_string_equal (copy->finding->item, "M07");
    assert_int_equal (copy->choice_case, 11);
    assert_string_equal (copy->text, "文本");
    cf_pb_free (&copy);
    //  An optional string at its default is not sent, nor copied
    free (sample->label);
    sample->label = (char *)s_label_default;
    copy = cf_pb_dup (&sample->base);
    assert_ptr_equal (copy->label, s_label_default);
    cf_pb_free (&copy);
    s_check_dup (&sample->base);
    cf_pb_free (&sample);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pb_dup_example_case),
        cmocka_unit_test (test_pb_dup_oneof_bodies),
        cmocka_unit_test (test_pb_dup_unset_oneof),
        cmocka_unit_test (test_pb_dup_defaults_and_empties),
        cmocka_unit_test (test_pb_dup_unknown_fields),
        cmocka_unit_test (test_pb_dup_store_records),
        cmocka_unit_test (test_pb_dup_every_field_kind),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
