/*  Unit tests for cf_fsm: the table against every (state, event, role), the
    shape of the graph, each guard both ways, whole lifecycles driven through
    cf_fsm_fire, and that a refused event leaves the case byte-identical.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_error.h"
#include "cf_fsm.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_scheme.h"

#define S_ORG    "ORG-ACME"
#define S_OTHER  "ORG-OTHER"
#define S_DAY_MS (24LL * 3600 * 1000)
#define S_HOUR   (3600LL * 1000)

typedef struct {
    cf_scheme_t *scheme;          //  The built-in default scheme
    cf_problems_t *problems;      //  Problems of the latest fire
    Cf__Case *record;             //  The case under test
    Cf__EventData *data;          //  Data of the next fire, or NULL
    cf_fsm_outcome_t outcome;     //  Outcome of the latest fire
    int64_t now;                  //  Clock of the next fire
    Cf__Staff **staff;            //  The staff records the store would hold
    size_t staff_count;           //  How many
    const char *first_certified;  //  The company's first certificate date
    const char *acts_for;         //  The company a consultancy acts for
} s_fixture_t;

#define S_USCC "91350100MA2XYZ1234"

//  Adds a staff record: id, role, sector, and a conflict with S_USCC when
//  conflicted
static void
s_staff_add (s_fixture_t *self, const char *id, const char *role,
             const char *sector, bool conflicted)
{
    Cf__Staff *staff = cf_pb_new (&cf__staff__descriptor);
    cf_pb_set_string (&staff->id, id);
    cf_pb_set_string (&staff->name, id);
    cf_pb_append_string (&staff->n_roles, &staff->roles, role);
    cf_pb_append_string (&staff->n_sectors, &staff->sectors, sector);
    cf_pb_set_string (&staff->qualified_from, "2020-01-01");
    cf_pb_set_string (&staff->qualified_until, "2028-12-31");
    staff->active = true;
    if (conflicted) {
        Cf__Conflict *conflict = cf_pb_new (&cf__conflict__descriptor);
        cf_pb_set_string (&conflict->uscc, S_USCC);
        cf_pb_set_string (&conflict->reason, "consulted for it in 2025");
        cf_pb_append (&staff->n_conflicts, (void ***)&staff->conflicts,
                      conflict);
    }
    cf_pb_append (&self->staff_count, (void ***)&self->staff, staff);
}

//  The staff of the tests: auditors A-01 .. A-03 for sector C38 (A-03 with
//  a conflict of interest), A-04 for SC03 only; reviewer R-01; committee
//  members C-01 .. C-04 for C38 and C-05 for SC07 only
static void
s_staff_setup (s_fixture_t *self)
{
    s_staff_add (self, "A-01", "auditor", "C38", false);
    s_staff_add (self, "A-02", "auditor", "C38", false);
    s_staff_add (self, "A-03", "auditor", "C38", true);
    s_staff_add (self, "A-04", "auditor", "SC03", false);
    s_staff_add (self, "R-01", "reviewer", "C38", false);
    for (int index = 1; index <= 4; index++) {
        char id[8];
        snprintf (id, sizeof id, "C-%02d", index);
        s_staff_add (self, id, "committee", "C38", false);
    }
    s_staff_add (self, "C-05", "committee", "SC07", false);
}

static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof (s_fixture_t));
    assert_non_null (self);
    assert_int_equal (cf_scheme_default (&self->scheme), 0);
    self->problems = cf_problems_new ();
    //  2026-03-02 09:00 in China
    self->now = cf_date_to_ms (cf_date_from_ymd (2026, 3, 2)) + 9 * S_HOUR;
    s_staff_setup (self);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    cf_pb_free (&self->record);
    cf_pb_free (&self->data);
    for (size_t index = 0; index < self->staff_count; index++)
        cf_pb_free (&self->staff[index]);
    free (self->staff);
    cf_problems_destroy (&self->problems);
    cf_scheme_destroy (&self->scheme);
    free (self);
    return 0;
}

//  ------------------------------------------------------------------------
//  Event data builders: each replaces the fixture's data and returns it

static Cf__EventData *
s_data (s_fixture_t *self, Cf__EventData__BodyCase kind)
{
    cf_pb_free (&self->data);
    self->data = cf_pb_new (&cf__event_data__descriptor);
    self->data->body_case = kind;
    return self->data;
}

static Cf__EventData *
s_application (s_fixture_t *self, const char *company, const char *uscc)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_APPLICATION);
    Cf__Application *application = cf_pb_new (&cf__application__descriptor);
    cf_pb_set_string (&application->company_name, company);
    cf_pb_set_string (&application->uscc, uscc);
    cf_pb_set_string (&application->sector, "C38");
    application->employees = 120;
    data->application = application;
    return data;
}

static Cf__EventData *
s_reason (s_fixture_t *self, const char *reason)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_REASON);
    cf_pb_set_string (&data->reason, reason);
    return data;
}

//  Findings on M07, M08, ... each with reason (may be "")
static Cf__EventData *
s_findings (s_fixture_t *self, size_t count, const char *reason)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_FINDINGS);
    data->findings = cf_pb_new (&cf__finding_list__descriptor);
    for (size_t index = 0; index < count; index++) {
        Cf__Finding *finding = cf_pb_new (&cf__finding__descriptor);
        char item[8];
        snprintf (item, sizeof item, "M%02zu", 7 + index);
        cf_pb_set_string (&finding->item, item);
        cf_pb_set_string (&finding->reason, reason);
        cf_pb_append (&data->findings->n_findings,
                      (void ***)&data->findings->findings, finding);
    }
    return data;
}

static Cf__EventData *
s_contract (s_fixture_t *self, const char *number, uint32_t tenths,
            uint64_t fee)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_CONTRACT);
    data->contract = cf_pb_new (&cf__contract__descriptor);
    cf_pb_set_string (&data->contract->number, number);
    data->contract->person_days_tenths = tenths;
    data->contract->fee_fen = fee;
    return data;
}

//  An audit plan: leader, then members up to NULL
static Cf__EventData *
s_plan (s_fixture_t *self, const char *start, const char *end,
        const char *leader, ...)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_PLAN);
    Cf__AuditPlan *plan = cf_pb_new (&cf__audit_plan__descriptor);
    cf_pb_set_string (&plan->leader, leader);
    cf_pb_set_string (&plan->start_date, start);
    cf_pb_set_string (&plan->end_date, end);
    cf_pb_set_string (&plan->mode, "FS01");
    va_list args;
    va_start (args, leader);
    for (const char *member = va_arg (args, const char *); member;
         member = va_arg (args, const char *))
        cf_pb_append_string (&plan->n_members, &plan->members, member);
    va_end (args);
    data->plan = plan;
    return data;
}

//  A sheet scoring percent of every indicator, with open nonconformities
//  NC-1 .. NC-open and deductions special deductions
static Cf__ScoreSheet *
s_sheet_new (const cf_scheme_t *scheme, int percent, size_t open,
             size_t deductions)
{
    Cf__ScoreSheet *sheet = cf_pb_new (&cf__score_sheet__descriptor);
    for (size_t index = 0; index < scheme->indicator_count; index++) {
        Cf__IndicatorScore *item = cf_pb_new (&cf__indicator_score__descriptor);
        cf_pb_set_string (&item->code, scheme->indicators[index].code);
        item->earned = scheme->indicators[index].points * percent / 100 / 100.0;
        cf_pb_append (&sheet->n_items, (void ***)&sheet->items, item);
    }
    for (size_t index = 0; index < open; index++) {
        Cf__Nonconformity *finding = cf_pb_new (&cf__nonconformity__descriptor);
        char id[16];
        snprintf (id, sizeof id, "NC-%zu", index + 1);
        cf_pb_set_string (&finding->id, id);
        cf_pb_set_string (&finding->indicator, "B4");
        finding->severity = CF__SEVERITY__SEVERITY_MINOR;
        cf_pb_set_string (&finding->description, "repair records incomplete");
        cf_pb_set_string (&finding->due_date, "2026-05-30");
        cf_pb_append (&sheet->n_nonconformities,
                      (void ***)&sheet->nonconformities, finding);
    }
    for (size_t index = 0; index < deductions; index++) {
        Cf__Nonconformity *finding = cf_pb_new (&cf__nonconformity__descriptor);
        char id[16];
        snprintf (id, sizeof id, "NC-D%zu", index + 1);
        cf_pb_set_string (&finding->id, id);
        cf_pb_set_string (&finding->indicator, "C2");
        finding->severity = CF__SEVERITY__SEVERITY_MAJOR;
        cf_pb_set_string (&finding->description, "complaint left unanswered");
        cf_pb_append (&sheet->n_nonconformities,
                      (void ***)&sheet->nonconformities, finding);
        Cf__SpecialItem *deduction = cf_pb_new (&cf__special_item__descriptor);
        cf_pb_set_string (&deduction->reason, "complaint left unanswered");
        cf_pb_set_string (&deduction->nonconformity, id);
        cf_pb_append (&sheet->n_special_deductions,
                      (void ***)&sheet->special_deductions, deduction);
    }
    cf_pb_set_string (&sheet->audit_date, "2026-03-20");
    return sheet;
}

//  A sheet dated the last planned audit day of the case, when it has a plan
static Cf__EventData *
s_sheet (s_fixture_t *self, int percent, size_t open, size_t deductions)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_SHEET);
    data->sheet = s_sheet_new (self->scheme, percent, open, deductions);
    if (self->record && self->record->plan)
        cf_pb_set_string (&data->sheet->audit_date,
                          self->record->plan->end_date);
    return data;
}

//  An audit plan of two weeks from the fixture's clock,
//  over three days
static Cf__EventData *
s_plan_ahead (s_fixture_t *self)
{
    char start[11], end[11];
    cf_day_t today = cf_date_from_ms (self->now);
    cf_date_format (today + 14, start);
    cf_date_format (today + 16, end);
    return s_plan (self, start, end, "A-01", "A-02", NULL);
}

//  Moves the fixture's clock to 10:00 on the last planned audit day
static void
s_to_audit_done (s_fixture_t *self)
{
    cf_day_t end;
    assert_int_equal (cf_date_parse (self->record->plan->end_date, &end), 0);
    self->now = cf_date_to_ms (end) + 10 * S_HOUR;
}

//  Fixes: nonconformity ids up to NULL, each with correction
static Cf__EventData *
s_fixes (s_fixture_t *self, const char *correction, ...)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_FIXES);
    data->fixes = cf_pb_new (&cf__fix_list__descriptor);
    va_list args;
    va_start (args, correction);
    for (const char *id = va_arg (args, const char *); id;
         id = va_arg (args, const char *)) {
        Cf__Fix *fix = cf_pb_new (&cf__fix__descriptor);
        cf_pb_set_string (&fix->nonconformity, id);
        cf_pb_set_string (&fix->correction, correction);
        cf_pb_append (&data->fixes->n_fixes, (void ***)&data->fixes->fixes,
                      fix);
    }
    va_end (args);
    return data;
}

//  Verdicts: (nonconformity id, note) pairs up to NULL; the note "ok"
//  accepts that fix, any other rejects it with the note as the reason
static Cf__EventData *
s_verdicts (s_fixture_t *self, const char *id, const char *note, ...)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_FIXES);
    data->fixes = cf_pb_new (&cf__fix_list__descriptor);
    va_list args;
    va_start (args, note);
    while (id) {
        Cf__Fix *fix = cf_pb_new (&cf__fix__descriptor);
        cf_pb_set_string (&fix->nonconformity, id);
        fix->accepted = strcmp (note, "ok") == 0;
        cf_pb_set_string (&fix->note, fix->accepted ? "" : note);
        cf_pb_append (&data->fixes->n_fixes, (void ***)&data->fixes->fixes,
                      fix);
        id = va_arg (args, const char *);
        if (id)
            note = va_arg (args, const char *);
    }
    va_end (args);
    return data;
}

//  Committee members up to NULL
static Cf__EventData *
s_members (s_fixture_t *self, ...)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_COMMITTEE);
    data->committee = cf_pb_new (&cf__committee_data__descriptor);
    va_list args;
    va_start (args, self);
    for (const char *member = va_arg (args, const char *); member;
         member = va_arg (args, const char *))
        cf_pb_append_string (&data->committee->n_members,
                             &data->committee->members, member);
    va_end (args);
    return data;
}

static Cf__EventData *
s_ballot (s_fixture_t *self, Cf__Vote vote, const char *reason,
          bool star_override)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_COMMITTEE);
    data->committee = cf_pb_new (&cf__committee_data__descriptor);
    data->committee->vote = vote;
    cf_pb_set_string (&data->committee->reason, reason);
    data->committee->star_override = star_override;
    return data;
}

static Cf__EventData *
s_certificate (s_fixture_t *self, const char *number, const char *date)
{
    Cf__EventData *data = s_data (self, CF__EVENT_DATA__BODY_CERTIFICATE);
    data->certificate = cf_pb_new (&cf__certificate_data__descriptor);
    cf_pb_set_string (&data->certificate->number, number);
    cf_pb_set_string (&data->certificate->issue_date, date);
    return data;
}

//  ------------------------------------------------------------------------
//  Firing

//  Fires event as a principal of role and name; applicants belong to S_ORG
static int
s_fire_as (s_fixture_t *self, cf_event_t event, Cf__Role role, const char *name,
           const char *org, const Cf__EventData *data)
{
    Cf__Principal principal = CF__PRINCIPAL__INIT;
    principal.role = role;
    principal.name = (char *)name;
    principal.org = (char *)org;
    cf_fsm_input_t input = {.scheme = self->scheme,
                            .principal = &principal,
                            .data = data,
                            .now = self->now,
                            .staff = self->staff,
                            .staff_count = self->staff_count,
                            .first_certified = self->first_certified,
                            .acts_for = self->acts_for};
    cf_problems_reset (self->problems);
    memset (&self->outcome, 0, sizeof self->outcome);
    return cf_fsm_fire (&self->record, event, &input, &self->outcome,
                        self->problems);
}

static int
s_fire (s_fixture_t *self, cf_event_t event, Cf__Role role, const char *name,
        const Cf__EventData *data)
{
    const char *org = role == CF__ROLE__ROLE_APPLICANT ? S_ORG : "";
    return s_fire_as (self, event, role, name, org, data);
}

//  Fires and expects the case to move to next with job (or NULL)
static void
s_ok (s_fixture_t *self, cf_event_t event, Cf__Role role, const char *name,
      const Cf__EventData *data, cf_state_t next, const char *job)
{
    cf_state_t from = (cf_state_t)self->record->state;
    int rc = s_fire (self, event, role, name, data);
    if (rc != 0) {
        char *joined = cf_problems_join (self->problems);
        print_error ("%s refused: %s\n", cf_fsm_event_name (event), joined);
        free (joined);
    }
    assert_int_equal (rc, 0);
    assert_int_equal (self->record->state, next);
    assert_int_equal (self->record->updated_at, self->now);
    assert_int_equal (self->outcome.from, from);
    assert_int_equal (self->outcome.to, next);
    assert_string_equal (self->outcome.event, cf_fsm_event_name (event));
    if (job)
        assert_string_equal (self->outcome.job, job);
    else
        assert_null (self->outcome.job);
}

//  Fires as org and expects rc with a problem of code, the case untouched
static void
s_refused_as (s_fixture_t *self, cf_event_t event, Cf__Role role,
              const char *name, const char *org, const Cf__EventData *data,
              int expected, const char *code)
{
    Cf__Case *before = self->record;
    size_t size_before, size_after;
    uint8_t *packed_before = cf_pb_pack (&before->base, &size_before);
    int rc = s_fire_as (self, event, role, name, org, data);
    if (!cf_problems_has (self->problems, code)) {
        char *joined = cf_problems_join (self->problems);
        print_error ("%s: expected problem %s, got: %s\n",
                     cf_fsm_event_name (event), code, joined);
        free (joined);
    }
    assert_int_equal (rc, expected);
    assert_true (cf_problems_has (self->problems, code));
    assert_ptr_equal (self->record, before);
    uint8_t *packed_after = cf_pb_pack (&self->record->base, &size_after);
    assert_int_equal (size_after, size_before);
    assert_memory_equal (packed_after, packed_before, size_before);
    free (packed_before);
    free (packed_after);
}

static void
s_refused (s_fixture_t *self, cf_event_t event, Cf__Role role, const char *name,
           const Cf__EventData *data, int expected, const char *code)
{
    const char *org = role == CF__ROLE__ROLE_APPLICANT ? S_ORG : "";
    s_refused_as (self, event, role, name, org, data, expected, code);
}

//  The message of the problem with code
static const char *
s_message (s_fixture_t *self, const char *code)
{
    for (size_t index = 0; index < cf_problems_size (self->problems); index++)
        if (strcmp (cf_problems_code (self->problems, index), code) == 0)
            return cf_problems_message (self->problems, index);
    fail_msg ("no problem %s", code);
    return NULL;
}

#define APPLICANT CF__ROLE__ROLE_APPLICANT
#define REVIEWER  CF__ROLE__ROLE_REVIEWER
#define AUDITOR   CF__ROLE__ROLE_AUDITOR
#define COMMITTEE CF__ROLE__ROLE_COMMITTEE
#define ADMIN     CF__ROLE__ROLE_ADMIN
#define WORKER    CF__ROLE__ROLE_WORKER
#define SYSTEM    CF__ROLE__ROLE_SYSTEM

//  ------------------------------------------------------------------------
//  Driving a case to a state through the real transitions. The audit team
//  is A-01 (leader) and A-02; R-01 reviewed the documents; the committee is
//  C-01, C-02, C-03.

static void
s_new_case (s_fixture_t *self)
{
    cf_pb_free (&self->record);
    self->record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&self->record->id, "CF-2026-000001");
}

static void
s_to_submitted (s_fixture_t *self)
{
    s_new_case (self);
    s_ok (self, CF_EVENT_SUBMIT, APPLICANT, "consultant",
          s_application (self, "福州售后服务有限公司", S_USCC),
          CF_STATE_SUBMITTED, "intake");
}

static void
s_to_document_review (s_fixture_t *self)
{
    s_to_submitted (self);
    s_ok (self, CF_EVENT_INTAKE_PASSED, WORKER, "worker-1", NULL,
          CF_STATE_DOCUMENT_REVIEW, "review");
}

static void
s_to_contract_pending (s_fixture_t *self)
{
    s_to_document_review (self);
    s_ok (self, CF_EVENT_DOCS_ACCEPTED, REVIEWER, "R-01", NULL,
          CF_STATE_CONTRACT_PENDING, "contract");
    s_ok (self, CF_EVENT_CONTRACT_ISSUED, WORKER, "worker-1",
          s_contract (self, "HT-2026-0001", 30, 1100000),
          CF_STATE_CONTRACT_PENDING, NULL);
}

static void
s_to_audit_planning (s_fixture_t *self)
{
    s_to_contract_pending (self);
    self->now += 2 * S_DAY_MS;
    s_ok (self, CF_EVENT_CONTRACT_SIGNED, APPLICANT, "consultant", NULL,
          CF_STATE_AUDIT_PLANNING, "planning");
}

static void
s_to_onsite_audit (s_fixture_t *self)
{
    s_to_audit_planning (self);
    s_ok (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1", s_plan_ahead (self),
          CF_STATE_ONSITE_AUDIT, NULL);
}

//  Files a sheet and scores it: to committee_review, or rectification when
//  something is open
static void
s_scored (s_fixture_t *self, int percent, size_t open, size_t deductions,
          cf_state_t next)
{
    s_to_onsite_audit (self);
    s_to_audit_done (self);
    s_ok (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01",
          s_sheet (self, percent, open, deductions), CF_STATE_ONSITE_AUDIT,
          "scoring");
    s_ok (self, CF_EVENT_SCORES_SUBMITTED, WORKER, "worker-1", NULL, next,
          next == CF_STATE_COMMITTEE_REVIEW ? "committee" : NULL);
}

static void
s_to_committee_formed (s_fixture_t *self, int percent)
{
    s_scored (self, percent, 0, 0, CF_STATE_COMMITTEE_REVIEW);
    s_ok (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
          s_members (self, "C-01", "C-02", "C-03", NULL),
          CF_STATE_COMMITTEE_REVIEW, NULL);
}

static void
s_vote (s_fixture_t *self, const char *member, Cf__Vote vote)
{
    s_ok (self, CF_EVENT_VOTE, COMMITTEE, member,
          s_ballot (self, vote, "as the sheet shows", false),
          CF_STATE_COMMITTEE_REVIEW, "committee");
}

static void
s_to_issuance (s_fixture_t *self)
{
    s_to_committee_formed (self, 100);
    s_vote (self, "C-01", CF__VOTE__VOTE_GRANT);
    s_vote (self, "C-02", CF__VOTE__VOTE_GRANT);
    s_ok (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
          CF_STATE_ISSUANCE, "issuance");
}

//  A bare case in state, of S_ORG: what the table walk fires on
static Cf__Case *
s_minimal_case (cf_state_t state)
{
    Cf__Case *record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&record->id, "CF-2026-000099");
    cf_pb_set_string (&record->org, S_ORG);
    record->state = (Cf__State)state;
    return record;
}

//  ------------------------------------------------------------------------
//  Names

static void
test_names_round_trip_and_match_the_proto (void **state)
{
    (void)state;
    assert_int_equal (CF_STATE_COUNT, cf__state__descriptor.n_values);
    for (unsigned index = 0; index < cf__state__descriptor.n_values; index++) {
        const ProtobufCEnumValue *value = &cf__state__descriptor.values[index];
        cf_state_t parsed;
        const char *name = cf_fsm_state_name ((cf_state_t)value->value);
        assert_int_equal (cf_fsm_state_from_name (name, &parsed), 0);
        assert_int_equal (parsed, value->value);
        //  "STATE_DOCUMENT_REVIEW" is "document_review"; 0 is "none"
        char upper[64] = "STATE_";
        for (size_t at = 0; name[at] && value->value; at++)
            upper[6 + at] = (char)(name[at] - (name[at] >= 'a' ? 32 : 0));
        if (value->value)
            assert_string_equal (upper, value->name);
    }
    assert_int_equal (CF_ROLE_MAX + 1, cf__role__descriptor.n_values);
    for (int role = 1; role <= CF_ROLE_MAX; role++) {
        cf_role_t parsed;
        assert_int_equal (
            cf_fsm_role_from_name (cf_fsm_role_name ((cf_role_t)role), &parsed),
            0);
        assert_int_equal (parsed, role);
    }
    for (int event = 0; event < CF_EVENT_COUNT; event++) {
        cf_event_t parsed;
        assert_int_equal (cf_fsm_event_from_name (
                              cf_fsm_event_name ((cf_event_t)event), &parsed),
                          0);
        assert_int_equal (parsed, event);
    }
    assert_string_equal (cf_fsm_state_name (CF_STATE_SUPPLEMENT_REQUESTED),
                         "supplement_requested");
    assert_string_equal (cf_fsm_state_label (CF_STATE_DOCUMENT_REVIEW),
                         "文件审查");
    assert_string_equal (cf_fsm_event_name (CF_EVENT_MAJORITY_GRANT),
                         "majority_grant");
    assert_string_equal (cf_fsm_role_name (CF_ROLE_WORKER), "worker");
    assert_int_equal (CF_ROLE_COMMITTEE, CF__ROLE__ROLE_COMMITTEE);
}

static void
test_unknown_names_are_einval (void **state)
{
    (void)state;
    cf_state_t parsed_state = CF_STATE_CLOSED;
    cf_event_t parsed_event = CF_EVENT_VOTE;
    cf_role_t parsed_role = CF_ROLE_ADMIN;
    assert_int_equal (cf_fsm_state_from_name ("approved", &parsed_state),
                      CF_EINVAL);
    assert_int_equal (cf_fsm_state_from_name (NULL, &parsed_state), CF_EINVAL);
    assert_int_equal (cf_fsm_event_from_name ("Vote", &parsed_event),
                      CF_EINVAL);
    assert_int_equal (cf_fsm_role_from_name ("", &parsed_role), CF_EINVAL);
    assert_int_equal (cf_fsm_role_from_name ("none", &parsed_role), CF_EINVAL);
    assert_int_equal (parsed_state, CF_STATE_CLOSED);
    assert_int_equal (parsed_event, CF_EVENT_VOTE);
    assert_int_equal (parsed_role, CF_ROLE_ADMIN);
    assert_string_equal (cf_fsm_state_name ((cf_state_t)99), "?");
    assert_string_equal (cf_fsm_event_name ((cf_event_t)-1), "?");
    assert_string_equal (cf_fsm_role_name (CF_ROLE_NONE), "?");
}

static void
test_terminal_and_waiting_states (void **state)
{
    (void)state;
    cf_state_t terminal[] = {CF_STATE_REJECTED,     CF_STATE_CERTIFIED,
                             CF_STATE_NOT_APPROVED, CF_STATE_TERMINATED,
                             CF_STATE_WITHDRAWN,    CF_STATE_CLOSED,
                             CF_STATE_MAINTAINED};
    cf_state_t waiting[] = {CF_STATE_SUPPLEMENT_REQUESTED,
                            CF_STATE_CONTRACT_PENDING, CF_STATE_RECTIFICATION};
    int terminals = 0, waits = 0;
    for (int value = 0; value < CF_STATE_COUNT; value++) {
        terminals += cf_fsm_state_terminal ((cf_state_t)value);
        waits += cf_fsm_state_applicant_waits ((cf_state_t)value);
    }
    assert_int_equal (terminals, 7);
    assert_int_equal (waits, 3);
    for (size_t index = 0; index < 7; index++)
        assert_true (cf_fsm_state_terminal (terminal[index]));
    for (size_t index = 0; index < 3; index++)
        assert_true (cf_fsm_state_applicant_waits (waiting[index]));
    assert_false (cf_fsm_state_terminal ((cf_state_t)40));
}

//  ------------------------------------------------------------------------
//  The table

//  Who may fire what, written out by hand from DOMAIN.md section 1 (not
//  read from the table, so that a wrong role in the table fails the test)
#define S_BIT(role) CF_ROLE_BIT (CF_ROLE_##role)
#define S_A         CF_KIND_APPLICATIONS
#define S_V         CF_KIND_SURVEILLANCE
static const struct {
    cf_state_t state;  //  In this state
    cf_event_t event;  //  This event
    uint32_t roles;    //  May be fired by exactly these roles
    uint32_t kinds;    //  In a case of these kinds (applications, visits)
} s_expected[] = {
    {CF_STATE_NONE, CF_EVENT_SUBMIT, S_BIT (APPLICANT), S_A},
    {CF_STATE_SUBMITTED, CF_EVENT_INTAKE_PASSED, S_BIT (WORKER), S_A},
    {CF_STATE_SUBMITTED, CF_EVENT_INTAKE_INCOMPLETE, S_BIT (WORKER), S_A},
    {CF_STATE_SUBMITTED, CF_EVENT_INTAKE_INELIGIBLE, S_BIT (WORKER), S_A},
    {CF_STATE_SUPPLEMENT_REQUESTED, CF_EVENT_SUPPLEMENTED, S_BIT (APPLICANT),
     S_A},
    {CF_STATE_SUPPLEMENT_REQUESTED, CF_EVENT_DEADLINE_PASSED, S_BIT (SYSTEM),
     S_A},
    {CF_STATE_DOCUMENT_REVIEW, CF_EVENT_DOCS_ACCEPTED,
     S_BIT (WORKER) | S_BIT (REVIEWER), S_A},
    {CF_STATE_DOCUMENT_REVIEW, CF_EVENT_DOCS_DEFICIENT,
     S_BIT (WORKER) | S_BIT (REVIEWER), S_A},
    {CF_STATE_DOCUMENT_REVIEW, CF_EVENT_DOCS_INELIGIBLE,
     S_BIT (WORKER) | S_BIT (REVIEWER), S_A},
    {CF_STATE_CONTRACT_PENDING, CF_EVENT_CONTRACT_ISSUED, S_BIT (WORKER), S_A},
    {CF_STATE_CONTRACT_PENDING, CF_EVENT_CONTRACT_SIGNED,
     S_BIT (APPLICANT) | S_BIT (ADMIN), S_A},
    {CF_STATE_CONTRACT_PENDING, CF_EVENT_DEADLINE_PASSED, S_BIT (SYSTEM), S_A},
    {CF_STATE_AUDIT_PLANNING, CF_EVENT_AUDIT_PLANNED,
     S_BIT (WORKER) | S_BIT (ADMIN), S_A | S_V},
    {CF_STATE_ONSITE_AUDIT, CF_EVENT_SHEET_SUBMITTED, S_BIT (AUDITOR),
     S_A | S_V},
    {CF_STATE_ONSITE_AUDIT, CF_EVENT_SCORES_SUBMITTED, S_BIT (WORKER),
     S_A | S_V},
    {CF_STATE_RECTIFICATION, CF_EVENT_FIXES_SUBMITTED, S_BIT (APPLICANT),
     S_A | S_V},
    {CF_STATE_RECTIFICATION, CF_EVENT_DEADLINE_PASSED, S_BIT (SYSTEM),
     S_A | S_V},
    {CF_STATE_VERIFICATION, CF_EVENT_FIXES_ACCEPTED, S_BIT (AUDITOR),
     S_A | S_V},
    {CF_STATE_VERIFICATION, CF_EVENT_FIXES_REJECTED, S_BIT (AUDITOR),
     S_A | S_V},
    {CF_STATE_COMMITTEE_REVIEW, CF_EVENT_COMMITTEE_FORMED, S_BIT (WORKER),
     S_A | S_V},
    {CF_STATE_COMMITTEE_REVIEW, CF_EVENT_VOTE, S_BIT (COMMITTEE), S_A | S_V},
    {CF_STATE_COMMITTEE_REVIEW, CF_EVENT_MAJORITY_GRANT, S_BIT (WORKER),
     S_A | S_V},
    {CF_STATE_NONE, CF_EVENT_SURVEILLANCE_OPENED, S_BIT (ADMIN), S_V},
    {CF_STATE_COMMITTEE_REVIEW, CF_EVENT_MAJORITY_REFUSE, S_BIT (WORKER),
     S_A | S_V},
    {CF_STATE_ISSUANCE, CF_EVENT_CERTIFICATE_ISSUED, S_BIT (WORKER), S_A},
    {CF_STATE_SUBMITTED, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
    {CF_STATE_SUPPLEMENT_REQUESTED, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
    {CF_STATE_DOCUMENT_REVIEW, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
    {CF_STATE_CONTRACT_PENDING, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
    {CF_STATE_AUDIT_PLANNING, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
    {CF_STATE_ONSITE_AUDIT, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
    {CF_STATE_RECTIFICATION, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
    {CF_STATE_VERIFICATION, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
    {CF_STATE_COMMITTEE_REVIEW, CF_EVENT_WITHDRAW, S_BIT (APPLICANT), S_A},
};
#undef S_BIT
#undef S_A
#undef S_V

//  The roles DOMAIN.md gives for (state, event) in a case of kind (a
//  Cf__CaseKind, or -1 for any); *found says whether the event applies in
//  that state at all
static uint32_t
s_table_roles (cf_state_t state, cf_event_t event, int kind, bool *found)
{
    for (size_t index = 0; index < sizeof s_expected / sizeof s_expected[0];
         index++)
        if (s_expected[index].state == state &&
            s_expected[index].event == event &&
            (kind < 0 || (s_expected[index].kinds & CF_KIND_BIT (kind)))) {
            *found = true;
            return s_expected[index].roles;
        }
    *found = false;
    return 0;
}

static void
test_every_state_event_role_against_table (void **state)
{
    s_fixture_t *self = *state;
    size_t fired = 0;
    for (int kind = CF__CASE_KIND__CASE_KIND_INITIAL;
         kind <= CF__CASE_KIND__CASE_KIND_RECERTIFICATION; kind++)
        for (int from = 0; from < CF_STATE_COUNT; from++)
            for (int event = 0; event < CF_EVENT_COUNT; event++)
                //  Role 0 and 9 are outside the map: never allowed
                for (int role = 0; role <= CF_ROLE_MAX + 1; role++) {
                    bool found, any;
                    uint32_t roles = s_table_roles (
                        (cf_state_t)from, (cf_event_t)event, kind, &found);
                    uint32_t all = s_table_roles ((cf_state_t)from,
                                                  (cf_event_t)event, -1, &any);
                    bool allowed = role >= 1 && role <= CF_ROLE_MAX &&
                                   (roles & (1u << role));
                    cf_pb_free (&self->record);
                    self->record = s_minimal_case ((cf_state_t)from);
                    self->record->kind = (Cf__CaseKind)kind;
                    int rc = s_fire_as (self, (cf_event_t)event, (Cf__Role)role,
                                        "S-01", S_ORG, NULL);
                    if (!found) {
                        assert_int_equal (rc, CF_ENOTRANSITION);
                        assert_true (
                            cf_problems_has (self->problems, "fsm.transition"));
                    } else if (!allowed) {
                        assert_int_equal (rc, CF_EFORBIDDEN);
                        assert_true (
                            cf_problems_has (self->problems, "fsm.role"));
                    } else {
                        assert_true (rc == 0 || rc == CF_EGUARD);
                        assert_true (rc == 0 ||
                                     cf_problems_size (self->problems) > 0);
                        fired += rc == 0;
                    }
                    assert_int_equal (
                        cf_fsm_accepts ((cf_state_t)from, (cf_event_t)event),
                        any);
                    assert_int_equal (
                        cf_fsm_roles_for ((cf_state_t)from, (cf_event_t)event),
                        all);
                }
    //  Rows with no guard fire even on a bare case
    assert_true (fired > 0);
}

static void
test_terminal_states_have_no_exits (void **state)
{
    (void)state;
    size_t count;
    const cf_fsm_row_t *rows = cf_fsm_rows (&count);
    assert_true (count > 0);
    for (size_t index = 0; index < count; index++)
        assert_false (cf_fsm_state_terminal (rows[index].from));
    for (int value = 0; value < CF_STATE_COUNT; value++)
        for (int event = 0; event < CF_EVENT_COUNT; event++)
            if (cf_fsm_state_terminal ((cf_state_t)value))
                assert_false (
                    cf_fsm_accepts ((cf_state_t)value, (cf_event_t)event));
}

static void
test_every_state_reachable_and_able_to_finish (void **state)
{
    (void)state;
    size_t count;
    const cf_fsm_row_t *rows = cf_fsm_rows (&count);
    //  Forward from none, and backward from the terminal states
    bool reached[CF_STATE_COUNT] = {[CF_STATE_NONE] = true};
    bool finishes[CF_STATE_COUNT] = {false};
    for (int value = 0; value < CF_STATE_COUNT; value++)
        finishes[value] = cf_fsm_state_terminal ((cf_state_t)value);
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t index = 0; index < count; index++) {
            const cf_fsm_row_t *row = &rows[index];
            if (reached[row->from] && !reached[row->next])
                changed = reached[row->next] = true;
            if (finishes[row->next] && !finishes[row->from])
                changed = finishes[row->from] = true;
        }
    }
    for (int value = 0; value < CF_STATE_COUNT; value++) {
        if (!reached[value] || !finishes[value])
            print_error ("state %s: reachable %d, can finish %d\n",
                         cf_fsm_state_name ((cf_state_t)value), reached[value],
                         finishes[value]);
        assert_true (reached[value]);
        assert_true (finishes[value]);
    }
}

static void
test_withdraw_accepted_exactly_before_a_decision (void **state)
{
    (void)state;
    for (int value = 0; value < CF_STATE_COUNT; value++) {
        cf_state_t from = (cf_state_t)value;
        bool before_decision = from != CF_STATE_NONE &&
                               from != CF_STATE_ISSUANCE &&
                               !cf_fsm_state_terminal (from);
        assert_int_equal (cf_fsm_accepts (from, CF_EVENT_WITHDRAW),
                          before_decision);
        if (before_decision)
            assert_int_equal (cf_fsm_roles_for (from, CF_EVENT_WITHDRAW),
                              CF_ROLE_BIT (CF_ROLE_APPLICANT));
    }
}

static void
test_rows_name_jobs_for_automated_stages (void **state)
{
    (void)state;
    size_t count;
    const cf_fsm_row_t *rows = cf_fsm_rows (&count);
    const char *stages[] = {"intake",  "review",    "contract", "planning",
                            "scoring", "committee", "issuance"};
    bool used[7] = {false};
    for (size_t index = 0; index < count; index++) {
        if (!rows[index].job)
            continue;
        bool known = false;
        for (size_t stage = 0; stage < 7; stage++)
            if (strcmp (rows[index].job, stages[stage]) == 0)
                known = used[stage] = true;
        assert_true (known);
    }
    for (size_t stage = 0; stage < 7; stage++)
        assert_true (used[stage]);
    assert_int_equal (
        cf_fsm_roles_for (CF_STATE_DOCUMENT_REVIEW, CF_EVENT_DOCS_ACCEPTED),
        CF_ROLE_BIT (CF_ROLE_WORKER) | CF_ROLE_BIT (CF_ROLE_REVIEWER));
    assert_false (cf_fsm_accepts (CF_STATE_SUBMITTED, CF_EVENT_VOTE));
}

static void
test_dot_has_every_state_and_one_edge_per_row (void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_non_null (out);
    cf_fsm_dot (out);
    assert_int_equal (fclose (out), 0);
    assert_non_null (strstr (text, "digraph"));
    for (int value = 0; value < CF_STATE_COUNT; value++) {
        char node[128];
        snprintf (node, sizeof node, "\"%s\" [label=\"%s\\n%s\"",
                  cf_fsm_state_name ((cf_state_t)value),
                  cf_fsm_state_name ((cf_state_t)value),
                  cf_fsm_state_label ((cf_state_t)value));
        assert_non_null (strstr (text, node));
    }
    assert_non_null (strstr (text,
                             "\"certified\" [label=\"certified\\n已发证\", "
                             "shape=doublecircle]"));
    assert_non_null (strstr (text,
                             "\"document_review\" -> \"contract_pending\" "
                             "[label=\"docs_accepted [reviewer, worker]\"]"));
    size_t count, edges = 0;
    cf_fsm_rows (&count);
    for (char *line = strstr (text, "->"); line; line = strstr (line + 2, "->"))
        edges++;
    assert_int_equal (edges, count);
    free (text);
}

//  ------------------------------------------------------------------------
//  The executor's refusals

static void
test_no_transition_lists_accepted_events (void **state)
{
    s_fixture_t *self = *state;
    s_to_submitted (self);
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-01", NULL, CF_ENOTRANSITION,
               "fsm.transition");
    assert_string_equal (s_message (self, "fsm.transition"),
                         "event 'vote' does not apply in state 'submitted' "
                         "(已申请); that state accepts: intake_passed, "
                         "intake_incomplete, intake_ineligible, withdraw");
    cf_pb_free (&self->record);
    self->record = s_minimal_case (CF_STATE_CERTIFIED);
    s_refused (self, CF_EVENT_WITHDRAW, APPLICANT, "consultant", NULL,
               CF_ENOTRANSITION, "fsm.transition");
    assert_non_null (strstr (s_message (self, "fsm.transition"), "final"));
}

static void
test_forbidden_role_names_roles_that_may (void **state)
{
    s_fixture_t *self = *state;
    s_to_document_review (self);
    s_refused (self, CF_EVENT_DOCS_ACCEPTED, AUDITOR, "A-01", NULL,
               CF_EFORBIDDEN, "fsm.role");
    assert_string_equal (s_message (self, "fsm.role"),
                         "role 'auditor' may not fire 'docs_accepted' in "
                         "state 'document_review'; the roles that may: "
                         "reviewer, worker");
    //  The applicant may not accept its own documents
    s_refused (self, CF_EVENT_DOCS_ACCEPTED, APPLICANT, "consultant", NULL,
               CF_EFORBIDDEN, "fsm.role");
}

static void
test_applicant_of_another_org_is_forbidden (void **state)
{
    s_fixture_t *self = *state;
    s_to_submitted (self);
    assert_string_equal (self->record->org, S_ORG);
    s_refused_as (self, CF_EVENT_WITHDRAW, APPLICANT, "intruder", S_OTHER,
                  s_reason (self, "not ours"), CF_EFORBIDDEN, "fsm.org");
    assert_non_null (strstr (s_message (self, "fsm.org"), S_OTHER));
    //  The owner may
    s_ok (self, CF_EVENT_WITHDRAW, APPLICANT, "consultant",
          s_reason (self, "moving the project to next year"),
          CF_STATE_WITHDRAWN, NULL);
}

static void
test_failed_fire_leaves_record_byte_identical (void **state)
{
    s_fixture_t *self = *state;
    s_to_committee_formed (self, 100);
    s_vote (self, "C-01", CF__VOTE__VOTE_GRANT);
    size_t size_before, size_after;
    uint8_t *before = cf_pb_pack (&self->record->base, &size_before);
    Cf__Case *pointer = self->record;
    //  A guard refusal, a forbidden role and an unknown transition
    assert_int_equal (
        s_fire (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
                s_ballot (self, CF__VOTE__VOTE_REFUSE, "", false)),
        CF_EGUARD);
    assert_int_equal (
        s_fire (self, CF_EVENT_MAJORITY_GRANT, ADMIN, "admin", NULL),
        CF_EFORBIDDEN);
    assert_int_equal (
        s_fire (self, CF_EVENT_SUBMIT, APPLICANT, "consultant", NULL),
        CF_ENOTRANSITION);
    assert_ptr_equal (self->record, pointer);
    uint8_t *after = cf_pb_pack (&self->record->base, &size_after);
    assert_int_equal (size_after, size_before);
    assert_memory_equal (after, before, size_before);
    free (before);
    free (after);
}

//  ------------------------------------------------------------------------
//  Guards, each refusing and passing

static void
test_guard_submit_needs_named_application_and_org (void **state)
{
    s_fixture_t *self = *state;
    s_new_case (self);
    s_refused (self, CF_EVENT_SUBMIT, APPLICANT, "consultant", NULL, CF_EGUARD,
               "application.missing");
    s_refused (self, CF_EVENT_SUBMIT, APPLICANT, "consultant",
               s_application (self, "", ""), CF_EGUARD,
               "application.company_name");
    assert_true (cf_problems_has (self->problems, "application.uscc"));
    s_refused_as (self, CF_EVENT_SUBMIT, APPLICANT, "consultant", "",
                  s_application (self, "某公司", "91350100MA2XYZ1234"),
                  CF_EGUARD, "principal.org");
    s_ok (self, CF_EVENT_SUBMIT, APPLICANT, "consultant",
          s_application (self, "某公司", "91350100MA2XYZ1234"),
          CF_STATE_SUBMITTED, "intake");
    assert_string_equal (self->record->org, S_ORG);
    assert_string_equal (self->record->scheme_version, self->scheme->version);
    assert_int_equal (self->record->created_at, self->now);
    assert_string_equal (self->record->application->company_name, "某公司");
    assert_string_equal (self->record->id, "CF-2026-000001");
}

static void
test_guard_findings_for_a_supplement_request (void **state)
{
    s_fixture_t *self = *state;
    s_to_submitted (self);
    s_refused (self, CF_EVENT_INTAKE_INCOMPLETE, WORKER, "worker-1", NULL,
               CF_EGUARD, "findings.missing");
    s_refused (self, CF_EVENT_INTAKE_INCOMPLETE, WORKER, "worker-1",
               s_findings (self, 0, "x"), CF_EGUARD, "findings.missing");
    s_refused (self, CF_EVENT_INTAKE_INCOMPLETE, WORKER, "worker-1",
               s_findings (self, 2, ""), CF_EGUARD, "findings.reason");
    s_ok (self, CF_EVENT_INTAKE_INCOMPLETE, WORKER, "worker-1",
          s_findings (self, 2, "not supplied"), CF_STATE_SUPPLEMENT_REQUESTED,
          NULL);
    assert_int_equal (self->record->n_findings, 2);
    assert_string_equal (self->record->findings[1]->item, "M08");
    assert_int_equal (self->record->supplement_rounds, 1);
    assert_int_equal (self->record->deadline_at,
                      self->now + self->scheme->supplement_days * S_DAY_MS);
}

static void
test_guard_supplemented_needs_application (void **state)
{
    s_fixture_t *self = *state;
    s_to_submitted (self);
    s_ok (self, CF_EVENT_INTAKE_INCOMPLETE, WORKER, "worker-1",
          s_findings (self, 1, "not supplied"), CF_STATE_SUPPLEMENT_REQUESTED,
          NULL);
    s_refused (self, CF_EVENT_SUPPLEMENTED, APPLICANT, "consultant",
               s_reason (self, "here it is"), CF_EGUARD, "application.missing");
    s_ok (self, CF_EVENT_SUPPLEMENTED, APPLICANT, "consultant",
          s_application (self, "福州售后服务有限公司(补充)",
                         "91350100MA2XYZ1234"),
          CF_STATE_SUBMITTED, "intake");
    assert_int_equal (self->record->n_findings, 0);
    assert_int_equal (self->record->deadline_at, 0);
    assert_string_equal (self->record->application->company_name,
                         "福州售后服务有限公司(补充)");
}

static void
test_guard_refusal_needs_reasons (void **state)
{
    s_fixture_t *self = *state;
    s_to_submitted (self);
    s_refused (self, CF_EVENT_INTAKE_INELIGIBLE, WORKER, "worker-1", NULL,
               CF_EGUARD, "refusal.reason");
    s_refused (self, CF_EVENT_INTAKE_INELIGIBLE, WORKER, "worker-1",
               s_reason (self, ""), CF_EGUARD, "refusal.reason");
    s_ok (self, CF_EVENT_INTAKE_INELIGIBLE, WORKER, "worker-1",
          s_reason (self, "after-sales system running for 1 month, 3 needed"),
          CF_STATE_REJECTED, NULL);
    assert_string_equal (self->record->closing_reason,
                         "after-sales system running for 1 month, 3 needed");
}

static void
test_guard_deadline_must_be_due (void **state)
{
    s_fixture_t *self = *state;
    s_to_submitted (self);
    s_ok (self, CF_EVENT_INTAKE_INCOMPLETE, WORKER, "worker-1",
          s_findings (self, 1, "not supplied"), CF_STATE_SUPPLEMENT_REQUESTED,
          NULL);
    int64_t deadline = self->record->deadline_at;
    self->now = deadline - 1;
    s_refused (self, CF_EVENT_DEADLINE_PASSED, SYSTEM, "certflowd", NULL,
               CF_EGUARD, "deadline.not_due");
    assert_non_null (
        strstr (s_message (self, "deadline.not_due"), "1 minutes"));
    self->now = deadline;
    s_ok (self, CF_EVENT_DEADLINE_PASSED, SYSTEM, "certflowd", NULL,
          CF_STATE_CLOSED, NULL);
    assert_int_equal (self->record->deadline_at, 0);
    assert_non_null (
        strstr (self->record->closing_reason, "supplement_requested"));
}

static void
test_guard_deadline_needs_a_running_deadline (void **state)
{
    s_fixture_t *self = *state;
    s_to_document_review (self);
    s_ok (self, CF_EVENT_DOCS_ACCEPTED, WORKER, "worker-1", NULL,
          CF_STATE_CONTRACT_PENDING, "contract");
    //  No contract issued yet: nothing for the applicant to miss
    self->now += 365 * S_DAY_MS;
    s_refused (self, CF_EVENT_DEADLINE_PASSED, SYSTEM, "certflowd", NULL,
               CF_EGUARD, "deadline.none");
}

static void
test_guard_contract_terms_and_single_issue (void **state)
{
    s_fixture_t *self = *state;
    s_to_document_review (self);
    s_ok (self, CF_EVENT_DOCS_ACCEPTED, WORKER, "worker-1", NULL,
          CF_STATE_CONTRACT_PENDING, "contract");
    s_refused (self, CF_EVENT_CONTRACT_ISSUED, WORKER, "worker-1", NULL,
               CF_EGUARD, "contract.missing");
    s_refused (self, CF_EVENT_CONTRACT_ISSUED, WORKER, "worker-1",
               s_contract (self, "", 0, 0), CF_EGUARD, "contract.number");
    assert_true (cf_problems_has (self->problems, "contract.person_days"));
    assert_true (cf_problems_has (self->problems, "contract.fee"));
    s_ok (self, CF_EVENT_CONTRACT_ISSUED, WORKER, "worker-1",
          s_contract (self, "HT-2026-0001", 30, 1100000),
          CF_STATE_CONTRACT_PENDING, NULL);
    assert_string_equal (self->record->contract->number, "HT-2026-0001");
    assert_string_equal (self->record->contract->issued_date, "2026-03-02");
    assert_int_equal (self->record->deadline_at,
                      self->now + self->scheme->signature_days * S_DAY_MS);
    s_refused (self, CF_EVENT_CONTRACT_ISSUED, WORKER, "worker-1",
               s_contract (self, "HT-2026-0002", 30, 1100000), CF_EGUARD,
               "contract.issued");
}

//  A consultancy acting for the company: the case is the company's, and
//  keeps the consultancies that acted; signing stays the company's act,
//  which an administrator may record from its signed paper
static void
test_consultancy_acts_in_the_company_name (void **state)
{
    s_fixture_t *self = *state;
    s_new_case (self);
    self->acts_for = S_ORG;
    assert_int_equal (
        s_fire_as (self, CF_EVENT_SUBMIT, APPLICANT, "ana", "CONSULT-A",
                   s_application (self, "福州售后服务有限公司", S_USCC)),
        0);
    assert_string_equal (self->record->org, S_ORG);
    assert_string_equal (self->record->consultancy, "CONSULT-A");
    assert_int_equal (self->record->n_consultancies, 1);
    assert_string_equal (self->record->consultancies[0], "CONSULT-A");
    //  Another consultancy acting later is kept too, once each
    self->acts_for = NULL;
    s_ok (self, CF_EVENT_INTAKE_PASSED, WORKER, "worker-1", NULL,
          CF_STATE_DOCUMENT_REVIEW, "review");
    s_ok (self, CF_EVENT_DOCS_ACCEPTED, REVIEWER, "R-01", NULL,
          CF_STATE_CONTRACT_PENDING, "contract");
    s_ok (self, CF_EVENT_CONTRACT_ISSUED, WORKER, "worker-1",
          s_contract (self, "HT-2026-0001", 30, 1100000),
          CF_STATE_CONTRACT_PENDING, NULL);
    //  Without acting for the company, another organization is refused
    s_refused_as (self, CF_EVENT_CONTRACT_SIGNED, APPLICANT, "bo", "CONSULT-B",
                  NULL, CF_EFORBIDDEN, "fsm.org");
    self->acts_for = S_ORG;
    s_refused_as (self, CF_EVENT_CONTRACT_SIGNED, APPLICANT, "bo", "CONSULT-B",
                  NULL, CF_EGUARD, "contract.company");
    assert_non_null (strstr (s_message (self, "contract.company"), S_ORG));
    self->acts_for = NULL;
    //  An administrator records the company's paper, naming it
    s_refused (self, CF_EVENT_CONTRACT_SIGNED, ADMIN, "admin", NULL, CF_EGUARD,
               "contract.reference");
    Cf__EventData *paper = s_contract (self, "HT-2026-0001", 0, 0);
    cf_pb_set_string (&paper->contract->signed_reference,
                      "signed paper received 2026-03-04, file 17");
    s_ok (self, CF_EVENT_CONTRACT_SIGNED, ADMIN, "admin", paper,
          CF_STATE_AUDIT_PLANNING, "planning");
    assert_string_equal (self->record->contract->signed_by, "admin");
    assert_string_equal (self->record->contract->signed_reference,
                         "signed paper received 2026-03-04, file 17");
    assert_int_equal (self->record->contract->fee_fen, 1100000);
    //  A withdrawal by the second consultancy, acting for the company
    self->acts_for = S_ORG;
    assert_int_equal (s_fire_as (self, CF_EVENT_WITHDRAW, APPLICANT, "bo",
                                 "CONSULT-B", s_reason (self, "moving on")),
                      0);
    assert_int_equal (self->record->n_consultancies, 2);
    assert_string_equal (self->record->consultancies[1], "CONSULT-B");
    assert_string_equal (self->record->consultancy, "CONSULT-A");
    self->acts_for = NULL;
}

static void
test_guard_contract_signed_once_after_issue (void **state)
{
    s_fixture_t *self = *state;
    s_to_document_review (self);
    s_ok (self, CF_EVENT_DOCS_ACCEPTED, WORKER, "worker-1", NULL,
          CF_STATE_CONTRACT_PENDING, "contract");
    s_refused (self, CF_EVENT_CONTRACT_SIGNED, APPLICANT, "consultant", NULL,
               CF_EGUARD, "contract.not_issued");
    s_ok (self, CF_EVENT_CONTRACT_ISSUED, WORKER, "worker-1",
          s_contract (self, "HT-2026-0001", 30, 1100000),
          CF_STATE_CONTRACT_PENDING, NULL);
    //  A case stored signed but still pending (a replayed signature)
    Cf__Case *twice = cf_pb_dup (&self->record->base);
    cf_pb_set_string (&twice->contract->signed_date, "2026-03-03");
    cf_pb_set_string (&twice->contract->signed_by, "consultant");
    Cf__Case *kept = self->record;
    self->record = twice;
    s_refused (self, CF_EVENT_CONTRACT_SIGNED, APPLICANT, "consultant", NULL,
               CF_EGUARD, "contract.signed");
    cf_pb_free (&self->record);
    self->record = kept;
    self->now += S_DAY_MS;
    s_ok (self, CF_EVENT_CONTRACT_SIGNED, APPLICANT, "consultant", NULL,
          CF_STATE_AUDIT_PLANNING, "planning");
    assert_string_equal (self->record->contract->signed_date, "2026-03-03");
    assert_string_equal (self->record->contract->signed_by, "consultant");
    assert_int_equal (self->record->deadline_at, 0);
}

static void
test_guard_plan_team_dates_and_impartiality (void **state)
{
    s_fixture_t *self = *state;
    s_to_audit_planning (self);
    const char *start = "2026-03-18", *end = "2026-03-20";
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1", NULL,
               CF_EGUARD, "plan.missing");
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, start, end, "", "A-02", NULL), CF_EGUARD,
               "plan.leader");
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, start, end, "A-01", NULL), CF_EGUARD, "plan.size");
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, start, end, "A-01", "A-02", "A-02", NULL),
               CF_EGUARD, "plan.duplicate");
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, start, end, "A-01", "A-01", NULL), CF_EGUARD,
               "plan.leader_member");
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, end, start, "A-01", "A-02", NULL), CF_EGUARD,
               "plan.dates");
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, "2026-02-30", "", "A-01", "A-02", NULL), CF_EGUARD,
               "plan.dates");
    //  R-01 reviewed the documents
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, start, end, "A-01", "R-01", NULL), CF_EGUARD,
               "team.reviewer");
    assert_true (cf_problems_has (self->problems, "auditor.role"));
    s_ok (self, CF_EVENT_AUDIT_PLANNED, ADMIN, "admin",
          s_plan (self, start, end, "A-01", "A-02", NULL),
          CF_STATE_ONSITE_AUDIT, NULL);
    assert_string_equal (self->record->plan->leader, "A-01");
    assert_int_equal (self->record->plan->n_members, 1);
}

//  A hand-made plan passes the rules of DOMAIN section 4 in the guard,
//  checked against the staff records, whoever files it
static void
test_guard_plan_checks_staff_records (void **state)
{
    s_fixture_t *self = *state;
    s_to_audit_planning (self);
    const char *start = "2026-03-18", *end = "2026-03-20";
    //  A-03 declared a conflict of interest with the company
    s_refused (self, CF_EVENT_AUDIT_PLANNED, ADMIN, "admin",
               s_plan (self, start, end, "A-03", "A-02", NULL), CF_EGUARD,
               "auditor.conflict");
    assert_non_null (strstr (s_message (self, "auditor.conflict"), "A-03"));
    //  C-01 holds no auditor role
    s_refused (self, CF_EVENT_AUDIT_PLANNED, ADMIN, "admin",
               s_plan (self, start, end, "A-01", "C-01", NULL), CF_EGUARD,
               "auditor.role");
    //  No staff record at all
    s_refused (self, CF_EVENT_AUDIT_PLANNED, ADMIN, "admin",
               s_plan (self, start, end, "A-01", "X-99", NULL), CF_EGUARD,
               "plan.unknown_staff");
    //  A-04 is competent for SC03, the case is C38
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, start, end, "A-04", "A-02", NULL), CF_EGUARD,
               "auditor.sector");
    //  Everyone's qualification ends on 2028-12-31
    s_refused (self, CF_EVENT_AUDIT_PLANNED, ADMIN, "admin",
               s_plan (self, "2029-01-08", "2029-01-09", "A-01", "A-02", NULL),
               CF_EGUARD, "auditor.qualification");
    //  Today is 2026-03-04: an audit in the past
    s_refused (self, CF_EVENT_AUDIT_PLANNED, ADMIN, "admin",
               s_plan (self, "2026-03-03", "2026-03-05", "A-01", "A-02", NULL),
               CF_EGUARD, "plan.past");
    //  No staff records known: nobody can be shown qualified
    size_t count = self->staff_count;
    self->staff_count = 0;
    s_refused (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
               s_plan (self, start, end, "A-01", "A-02", NULL), CF_EGUARD,
               "plan.unknown_staff");
    self->staff_count = count;
    s_ok (self, CF_EVENT_AUDIT_PLANNED, ADMIN, "admin",
          s_plan (self, "2026-03-04", "2026-03-05", "A-01", "A-02", NULL),
          CF_STATE_ONSITE_AUDIT, NULL);
}

static void
test_guard_sheet_from_team_leader_and_valid (void **state)
{
    s_fixture_t *self = *state;
    s_to_onsite_audit (self);
    s_to_audit_done (self);
    s_refused (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-02",
               s_sheet (self, 100, 0, 0), CF_EGUARD, "sheet.leader");
    s_refused (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01", NULL, CF_EGUARD,
               "sheet.missing");
    Cf__EventData *data = s_sheet (self, 100, 0, 0);
    data->sheet->items[0]->earned = 99;  //  Far above A1's points
    s_refused (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01", data, CF_EGUARD,
               "sheet.invalid");
    assert_true (cf_problems_size (self->problems) >= 2);
    s_ok (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01",
          s_sheet (self, 90, 0, 0), CF_STATE_ONSITE_AUDIT, "scoring");
    assert_int_equal (self->record->sheet->n_items,
                      self->scheme->indicator_count);
    assert_null (self->record->original);
}

static void
test_guard_scores_need_a_stored_sheet (void **state)
{
    s_fixture_t *self = *state;
    s_to_onsite_audit (self);
    s_refused (self, CF_EVENT_SCORES_SUBMITTED, WORKER, "worker-1", NULL,
               CF_EGUARD, "sheet.none");
    s_to_audit_done (self);
    s_ok (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01",
          s_sheet (self, 90, 0, 0), CF_STATE_ONSITE_AUDIT, "scoring");
    s_ok (self, CF_EVENT_SCORES_SUBMITTED, WORKER, "worker-1", NULL,
          CF_STATE_COMMITTEE_REVIEW, "committee");
    assert_non_null (self->record->original);
    assert_true (self->record->original->score == 90.0);
    assert_string_equal (self->record->original->grade, "four_star");
    assert_null (self->record->rescored);
}

static void
test_open_items_send_scores_to_rectification (void **state)
{
    s_fixture_t *self = *state;
    //  A special deduction is rectified through its nonconformity
    s_scored (self, 100, 0, 1, CF_STATE_RECTIFICATION);
    assert_int_equal (self->record->original->deductions, 1);
    assert_true (self->record->original->score == 99.0);
    assert_string_equal (self->record->verifier, "A-01");
    assert_int_equal (self->record->rectification_started_at, self->now);
    assert_int_equal (self->record->deadline_at,
                      self->now + self->scheme->rectification_days * S_DAY_MS);
}

static void
test_guard_fixes_name_open_nonconformities (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 95, 2, 0, CF_STATE_RECTIFICATION);
    s_refused (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant", NULL,
               CF_EGUARD, "fixes.missing");
    s_refused (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
               s_fixes (self, "records completed", "NC-1", "NC-9", NULL),
               CF_EGUARD, "fixes.unknown");
    s_refused (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
               s_fixes (self, "records completed", "NC-1", "NC-1", NULL),
               CF_EGUARD, "fixes.duplicate");
    s_refused (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
               s_fixes (self, "", "NC-1", NULL), CF_EGUARD, "fixes.correction");
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "records completed", "NC-1", "NC-2", NULL),
          CF_STATE_VERIFICATION, NULL);
    assert_string_equal (self->record->sheet->nonconformities[1]->correction,
                         "records completed");
    assert_int_equal (self->record->rectification_rounds, 1);
    assert_int_equal (self->record->deadline_at, 0);
}

static void
test_guard_fixes_judged_by_the_verifier (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 95, 1, 0, CF_STATE_RECTIFICATION);
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "records completed", "NC-1", NULL),
          CF_STATE_VERIFICATION, NULL);
    s_refused (self, CF_EVENT_FIXES_ACCEPTED, AUDITOR, "A-02",
               s_sheet (self, 95, 0, 0), CF_EGUARD, "verifier");
    s_refused (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-02", NULL, CF_EGUARD,
               "verifier");
    //  A revised sheet that still has the nonconformity open
    s_refused (self, CF_EVENT_FIXES_ACCEPTED, AUDITOR, "A-01",
               s_sheet (self, 95, 1, 0), CF_EGUARD, "sheet.open_nc");
    s_refused (self, CF_EVENT_FIXES_ACCEPTED, AUDITOR, "A-01", NULL, CF_EGUARD,
               "sheet.missing");
    Cf__EventData *revised = s_sheet (self, 97, 1, 0);
    revised->sheet->nonconformities[0]->closed = true;
    s_ok (self, CF_EVENT_FIXES_ACCEPTED, AUDITOR, "A-01", revised,
          CF_STATE_COMMITTEE_REVIEW, "committee");
    assert_true (self->record->original->score == 95.0);
    assert_int_equal (self->record->original->open_nonconformities, 1);
    assert_true (self->record->rescored->score == 97.0);
    assert_int_equal (self->record->rescored->open_nonconformities, 0);
    assert_true (self->record->sheet->nonconformities[0]->closed);
}

static void
test_guard_rounds_left_before_the_ceiling (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 95, 1, 0, CF_STATE_RECTIFICATION);
    int64_t started = self->record->rectification_started_at;
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "records completed", "NC-1", NULL),
          CF_STATE_VERIFICATION, NULL);
    //  One round used of three, but the 90 days have run out
    self->now = started + self->scheme->rectification_ceiling_days * S_DAY_MS;
    s_ok (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
          s_verdicts (self, "NC-1", "records still incomplete", NULL),
          CF_STATE_TERMINATED, NULL);
    assert_non_null (strstr (self->record->closing_reason, "round 1;"));
}

static void
test_guard_committee_formation (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 100, 0, 0, CF_STATE_COMMITTEE_REVIEW);
    s_refused (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1", NULL,
               CF_EGUARD, "committee.missing");
    s_refused (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
               s_members (self, "C-01", "C-02", NULL), CF_EGUARD,
               "committee.size");
    s_refused (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
               s_members (self, "C-01", "C-02", "C-01", NULL), CF_EGUARD,
               "committee.duplicate");
    s_refused (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
               s_members (self, "C-01", "C-02", "A-02", NULL), CF_EGUARD,
               "committee.involved");
    assert_non_null (strstr (s_message (self, "committee.involved"),
                             "staff A-02 was an audit team member"));
    s_refused (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
               s_members (self, "C-01", "R-01", "C-03", NULL), CF_EGUARD,
               "committee.involved");
    //  C-05 is competent for SC07 only (ISO/IEC 17065 7.6)
    s_refused (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
               s_members (self, "C-01", "C-02", "C-05", NULL), CF_EGUARD,
               "committee.sector");
    s_refused (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
               s_members (self, "C-01", "C-02", "C-09", NULL), CF_EGUARD,
               "committee.unknown_staff");
    s_ok (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
          s_members (self, "C-01", "C-02", "C-03", NULL),
          CF_STATE_COMMITTEE_REVIEW, NULL);
    assert_int_equal (self->record->committee->n_members, 3);
    s_refused (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
               s_members (self, "C-04", "C-05", "C-06", NULL), CF_EGUARD,
               "committee.formed");
}

static void
test_vote_before_committee_formed_refused (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 100, 0, 0, CF_STATE_COMMITTEE_REVIEW);
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
               s_ballot (self, CF__VOTE__VOTE_GRANT, "", false), CF_EGUARD,
               "committee.not_formed");
}

//  Puts staff on the committee of a stored case, as a corrupt or hand-made
//  record might: the vote guard must still refuse them
static void
s_seat (s_fixture_t *self, const char *staff)
{
    cf_pb_set_string (&self->record->committee->members[2], staff);
}

static void
test_vote_from_anyone_involved_refused (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 95, 1, 0, CF_STATE_RECTIFICATION);
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "records completed", "NC-1", NULL),
          CF_STATE_VERIFICATION, NULL);
    Cf__EventData *revised = s_sheet (self, 97, 1, 0);
    revised->sheet->nonconformities[0]->closed = true;
    s_ok (self, CF_EVENT_FIXES_ACCEPTED, AUDITOR, "A-01", revised,
          CF_STATE_COMMITTEE_REVIEW, "committee");
    s_ok (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
          s_members (self, "C-01", "C-02", "C-03", NULL),
          CF_STATE_COMMITTEE_REVIEW, NULL);
    struct {
        const char *staff;  //  Who tries to vote
        const char *why;    //  What the refusal says
    } involved[] = {{"A-01", "led the audit team"},
                    {"A-02", "was on the audit team"},
                    {"R-01", "reviewed the documents"}};
    for (size_t index = 0; index < 3; index++) {
        s_seat (self, involved[index].staff);
        s_refused (self, CF_EVENT_VOTE, COMMITTEE, involved[index].staff,
                   s_ballot (self, CF__VOTE__VOTE_GRANT, "", false), CF_EGUARD,
                   "vote.involved");
        const char *message = s_message (self, "vote.involved");
        assert_non_null (strstr (message, involved[index].why));
        assert_non_null (strstr (message, "ISO/IEC 17065 7.6"));
    }
    //  The verifier, when not also the leader
    cf_pb_set_string (&self->record->verifier, "V-01");
    s_seat (self, "V-01");
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "V-01",
               s_ballot (self, CF__VOTE__VOTE_GRANT, "", false), CF_EGUARD,
               "vote.involved");
    assert_string_equal (s_message (self, "vote.involved"),
                         "vote: staff V-01 verified the corrections of this "
                         "case; ISO/IEC 17065 7.6 requires an independent "
                         "decision");
    s_seat (self, "C-03");
    s_vote (self, "C-03", CF__VOTE__VOTE_GRANT);
}

static void
test_vote_from_non_member_refused (void **state)
{
    s_fixture_t *self = *state;
    s_to_committee_formed (self, 100);
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-09",
               s_ballot (self, CF__VOTE__VOTE_GRANT, "", false), CF_EGUARD,
               "vote.not_member");
    s_vote (self, "C-01", CF__VOTE__VOTE_GRANT);
}

static void
test_double_vote_refused (void **state)
{
    s_fixture_t *self = *state;
    s_to_committee_formed (self, 100);
    s_vote (self, "C-01", CF__VOTE__VOTE_REFUSE);
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
               s_ballot (self, CF__VOTE__VOTE_GRANT, "changed my mind", false),
               CF_EGUARD, "vote.twice");
    assert_int_equal (self->record->committee->n_ballots, 1);
    assert_int_equal (self->record->committee->ballots[0]->vote,
                      CF__VOTE__VOTE_REFUSE);
}

static void
test_ballot_value_and_override_reason (void **state)
{
    s_fixture_t *self = *state;
    s_to_committee_formed (self, 100);
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-01", NULL, CF_EGUARD,
               "vote.value");
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
               s_ballot (self, CF__VOTE__VOTE_UNSPECIFIED, "", false),
               CF_EGUARD, "vote.value");
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
               s_ballot (self, CF__VOTE__VOTE_GRANT, "", true), CF_EGUARD,
               "vote.override_reason");
    s_ok (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
          s_ballot (self, CF__VOTE__VOTE_GRANT, "outstanding service network",
                    true),
          CF_STATE_COMMITTEE_REVIEW, "committee");
    //  One member's override is a request, not the committee's decision
    const Cf__Committee *committee = self->record->committee;
    assert_false (committee->star_override);
    assert_true (committee->ballots[0]->star_override);
    assert_string_equal (committee->ballots[0]->member, "C-01");
    assert_int_equal (committee->ballots[0]->at, self->now);
}

static void
test_majority_tallies (void **state)
{
    s_fixture_t *self = *state;
    s_to_committee_formed (self, 100);
    s_vote (self, "C-01", CF__VOTE__VOTE_GRANT);
    //  One of three: no majority either way
    s_refused (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
               CF_EGUARD, "tally.no_grant");
    s_refused (self, CF_EVENT_MAJORITY_REFUSE, WORKER, "worker-1", NULL,
               CF_EGUARD, "tally.no_refusal");
    s_vote (self, "C-02", CF__VOTE__VOTE_REFUSE);
    s_refused (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
               CF_EGUARD, "tally.no_grant");
    s_vote (self, "C-03", CF__VOTE__VOTE_GRANT);
    s_refused (self, CF_EVENT_MAJORITY_REFUSE, WORKER, "worker-1", NULL,
               CF_EGUARD, "tally.no_refusal");
    s_ok (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
          CF_STATE_ISSUANCE, "issuance");
    assert_string_equal (self->record->decision, "grant");
    assert_string_equal (self->record->decision_date, "2026-03-20");
}

static void
test_majority_refuse_when_the_score_cannot_be_granted (void **state)
{
    s_fixture_t *self = *state;
    //  60 points: the committee may vote to grant, but nothing can be
    s_to_committee_formed (self, 60);
    assert_string_equal (self->record->original->grade, "fail");
    s_vote (self, "C-01", CF__VOTE__VOTE_GRANT);
    s_vote (self, "C-02", CF__VOTE__VOTE_GRANT);
    s_refused (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
               CF_EGUARD, "score.not_grantable");
    s_ok (self, CF_EVENT_MAJORITY_REFUSE, WORKER, "worker-1", NULL,
          CF_STATE_NOT_APPROVED, NULL);
    assert_string_equal (self->record->decision, "refuse");
    assert_non_null (strstr (self->record->closing_reason, "score"));
}

static void
test_guard_certificate_not_before_decision (void **state)
{
    s_fixture_t *self = *state;
    s_to_issuance (self);
    s_refused (self, CF_EVENT_CERTIFICATE_ISSUED, WORKER, "worker-1", NULL,
               CF_EGUARD, "certificate.number");
    s_refused (self, CF_EVENT_CERTIFICATE_ISSUED, WORKER, "worker-1",
               s_certificate (self, "CFC2026SC00001", "22/03/2026"), CF_EGUARD,
               "certificate.issue_date");
    s_refused (self, CF_EVENT_CERTIFICATE_ISSUED, WORKER, "worker-1",
               s_certificate (self, "CFC2026SC00001", "2026-03-19"), CF_EGUARD,
               "certificate.before_decision");
    s_ok (self, CF_EVENT_CERTIFICATE_ISSUED, WORKER, "worker-1",
          s_certificate (self, "CFC2026SC00001", "2026-03-20"),
          CF_STATE_CERTIFIED, NULL);
    assert_string_equal (self->record->certificate, "CFC2026SC00001");
}

static void
test_guard_withdraw_needs_reason (void **state)
{
    s_fixture_t *self = *state;
    s_to_audit_planning (self);
    s_refused (self, CF_EVENT_WITHDRAW, APPLICANT, "consultant", NULL,
               CF_EGUARD, "reason.missing");
    s_refused (self, CF_EVENT_WITHDRAW, APPLICANT, "consultant",
               s_reason (self, ""), CF_EGUARD, "reason.missing");
    s_ok (self, CF_EVENT_WITHDRAW, APPLICANT, "consultant",
          s_reason (self, "company merged"), CF_STATE_WITHDRAWN, NULL);
    assert_string_equal (self->record->closing_reason, "company merged");
}

//  The audit happens before it is scored (DOMAIN section 4, the chronology)
static void
test_guard_sheet_dated_within_the_audit (void **state)
{
    s_fixture_t *self = *state;
    s_to_onsite_audit (self);
    const char *start = self->record->plan->start_date;
    //  The contract was signed today; the audit is two weeks ahead
    s_refused (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01",
               s_sheet (self, 90, 0, 0), CF_EGUARD, "sheet.early");
    cf_day_t first;
    assert_int_equal (cf_date_parse (start, &first), 0);
    self->now = cf_date_to_ms (first) + 10 * S_HOUR;
    //  Dated the last day, filed on the first: not yet
    s_refused (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01",
               s_sheet (self, 90, 0, 0), CF_EGUARD, "sheet.future");
    //  Dated before the audit (the day the contract was signed)
    Cf__EventData *data = s_sheet (self, 90, 0, 0);
    cf_pb_set_string (&data->sheet->audit_date,
                      self->record->contract->signed_date);
    s_refused (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01", data, CF_EGUARD,
               "sheet.audit_date");
    data = s_sheet (self, 90, 0, 0);
    cf_pb_set_string (&data->sheet->audit_date, "");
    s_refused (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01", data, CF_EGUARD,
               "sheet.audit_date");
    data = s_sheet (self, 90, 0, 0);
    cf_pb_set_string (&data->sheet->audit_date, start);
    s_ok (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01", data,
          CF_STATE_ONSITE_AUDIT, "scoring");
}

//  Every nonconformity, a special deduction's too, is raised open and
//  closed only by the verifier
static void
test_nonconformities_filed_open_and_each_answered (void **state)
{
    s_fixture_t *self = *state;
    s_to_onsite_audit (self);
    s_to_audit_done (self);
    Cf__EventData *data = s_sheet (self, 95, 0, 1);
    data->sheet->nonconformities[0]->closed = true;
    s_refused (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01", data, CF_EGUARD,
               "sheet.closed_nc");
    s_ok (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01",
          s_sheet (self, 95, 2, 1), CF_STATE_ONSITE_AUDIT, "scoring");
    s_ok (self, CF_EVENT_SCORES_SUBMITTED, WORKER, "worker-1", NULL,
          CF_STATE_RECTIFICATION, NULL);
    //  NC-1, NC-2 and the deduction's NC-D1 are open: all three answered
    s_refused (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
               s_fixes (self, "done", "NC-1", "NC-2", NULL), CF_EGUARD,
               "fixes.unanswered");
    assert_non_null (strstr (s_message (self, "fixes.unanswered"), "NC-D1"));
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "done", "NC-1", "NC-2", "NC-D1", NULL),
          CF_STATE_VERIFICATION, NULL);
    //  A verdict for each open fix, reasons for rejections
    s_refused (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
               s_verdicts (self, "NC-1", "vague", NULL), CF_EGUARD,
               "fixes.unanswered");
    s_refused (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
               s_reason (self, "not good enough"), CF_EGUARD,
               "verdicts.missing");
    s_refused (
        self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
        s_verdicts (self, "NC-1", "ok", "NC-2", "ok", "NC-D1", "ok", NULL),
        CF_EGUARD, "verdicts.all_accepted");
    s_refused (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
               s_verdicts (self, "NC-1", "ok", "NC-2", "ok", "NC-9", "x", NULL),
               CF_EGUARD, "verdicts.unknown");
    s_ok (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
          s_verdicts (self, "NC-1", "ok", "NC-2", "ok", "NC-D1",
                      "the complaint is still unanswered", NULL),
          CF_STATE_RECTIFICATION, NULL);
    //  Only the rejected one is open now, and only it must be answered
    s_refused (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
               s_fixes (self, "again", "NC-1", NULL), CF_EGUARD,
               "fixes.unknown");
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "answered the complaint", "NC-D1", NULL),
          CF_STATE_VERIFICATION, NULL);
    //  The rescored sheet keeps every nonconformity, all closed
    Cf__EventData *revised = s_sheet (self, 96, 2, 0);
    revised->sheet->nonconformities[0]->closed = true;
    revised->sheet->nonconformities[1]->closed = true;
    s_refused (self, CF_EVENT_FIXES_ACCEPTED, AUDITOR, "A-01", revised,
               CF_EGUARD, "sheet.dropped_nc");
    revised = s_sheet (self, 96, 2, 1);
    for (size_t index = 0; index < 3; index++)
        revised->sheet->nonconformities[index]->closed = true;
    cf_pb_set_string (&revised->sheet->audit_date, "");
    s_ok (self, CF_EVENT_FIXES_ACCEPTED, AUDITOR, "A-01", revised,
          CF_STATE_COMMITTEE_REVIEW, "committee");
    const Cf__ScoreSheet *sheet = self->record->sheet;
    assert_string_equal (sheet->audit_date, self->record->plan->end_date);
    assert_non_null (
        strstr (sheet->nonconformities[2]->verification, "accepted by A-01"));
    assert_string_equal (sheet->nonconformities[2]->correction,
                         "answered the complaint");
}

//  The override is the committee's decision: a majority granting with it,
//  each with a reason; never on a refusal
static void
test_star_override_needs_a_majority (void **state)
{
    s_fixture_t *self = *state;
    s_to_committee_formed (self, 100);
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
               s_ballot (self, CF__VOTE__VOTE_REFUSE, "weak network", true),
               CF_EGUARD, "vote.override_refuse");
    s_ok (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
          s_ballot (self, CF__VOTE__VOTE_GRANT, "network of 40 outlets", true),
          CF_STATE_COMMITTEE_REVIEW, "committee");
    s_vote (self, "C-02", CF__VOTE__VOTE_GRANT);
    s_ok (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
          CF_STATE_ISSUANCE, "issuance");
    assert_false (self->record->committee->star_override);
    assert_string_equal (self->record->committee->star_override_reason, "");

    s_to_committee_formed (self, 100);
    s_ok (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
          s_ballot (self, CF__VOTE__VOTE_GRANT, "network of 40 outlets", true),
          CF_STATE_COMMITTEE_REVIEW, "committee");
    s_ok (self, CF_EVENT_VOTE, COMMITTEE, "C-03",
          s_ballot (self, CF__VOTE__VOTE_GRANT, "complaints halved", true),
          CF_STATE_COMMITTEE_REVIEW, "committee");
    self->first_certified = "2025-11-02";
    s_ok (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
          CF_STATE_ISSUANCE, "issuance");
    assert_true (self->record->committee->star_override);
    assert_string_equal (self->record->committee->star_override_reason,
                         "C-01: network of 40 outlets; C-03: complaints "
                         "halved");
    //  The store's fact is recorded for the star rule at issuance
    assert_string_equal (self->record->first_compliant_date, "2025-11-02");
}

static void
test_refusals_are_reasoned (void **state)
{
    s_fixture_t *self = *state;
    s_to_committee_formed (self, 100);
    s_refused (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
               s_ballot (self, CF__VOTE__VOTE_REFUSE, "", false), CF_EGUARD,
               "vote.refuse_reason");
    s_ok (self, CF_EVENT_VOTE, COMMITTEE, "C-01",
          s_ballot (self, CF__VOTE__VOTE_REFUSE, "outlets not verified", false),
          CF_STATE_COMMITTEE_REVIEW, "committee");
    s_ok (self, CF_EVENT_VOTE, COMMITTEE, "C-02",
          s_ballot (self, CF__VOTE__VOTE_REFUSE, "complaint log incomplete",
                    false),
          CF_STATE_COMMITTEE_REVIEW, "committee");
    s_ok (self, CF_EVENT_MAJORITY_REFUSE, WORKER, "worker-1", NULL,
          CF_STATE_NOT_APPROVED, NULL);
    assert_non_null (strstr (self->record->closing_reason,
                             "C-01: outlets not verified; C-02: complaint "
                             "log incomplete"));
}

//  The applicant waits on a contract only once it is issued
static void
test_signature_wait_starts_with_the_contract (void **state)
{
    s_fixture_t *self = *state;
    s_to_document_review (self);
    s_ok (self, CF_EVENT_DOCS_ACCEPTED, REVIEWER, "R-01", NULL,
          CF_STATE_CONTRACT_PENDING, "contract");
    assert_int_equal (self->record->waiting_since, 0);
    self->now += 3 * S_DAY_MS;
    int64_t issued = self->now;
    s_ok (self, CF_EVENT_CONTRACT_ISSUED, WORKER, "worker-1",
          s_contract (self, "HT-2026-0001", 30, 1100000),
          CF_STATE_CONTRACT_PENDING, NULL);
    assert_int_equal (self->record->waiting_since, issued);
    self->now += 2 * S_DAY_MS;
    s_ok (self, CF_EVENT_CONTRACT_SIGNED, APPLICANT, "consultant", NULL,
          CF_STATE_AUDIT_PLANNING, "planning");
    assert_int_equal (self->record->waiting_ms, 2 * S_DAY_MS);
}

//  ------------------------------------------------------------------------
//  Whole lifecycles

static void
test_lifecycle_happy_path_to_certified (void **state)
{
    s_fixture_t *self = *state;
    int64_t opened = self->now;
    s_to_contract_pending (self);
    assert_string_equal (self->record->reviewers[0], "R-01");
    assert_int_equal (self->record->n_reviewers, 1);
    //  The applicant's clock runs from the contract's issue
    assert_int_equal (self->record->waiting_since, opened);
    self->now += 2 * S_DAY_MS;
    s_ok (self, CF_EVENT_CONTRACT_SIGNED, APPLICANT, "consultant", NULL,
          CF_STATE_AUDIT_PLANNING, "planning");
    assert_int_equal (self->record->waiting_ms, 2 * S_DAY_MS);
    assert_int_equal (self->record->waiting_since, 0);
    s_ok (self, CF_EVENT_AUDIT_PLANNED, WORKER, "worker-1",
          s_plan (self, "2026-03-18", "2026-03-20", "A-01", "A-02", NULL),
          CF_STATE_ONSITE_AUDIT, NULL);
    s_to_audit_done (self);
    s_ok (self, CF_EVENT_SHEET_SUBMITTED, AUDITOR, "A-01",
          s_sheet (self, 100, 0, 0), CF_STATE_ONSITE_AUDIT, "scoring");
    s_ok (self, CF_EVENT_SCORES_SUBMITTED, WORKER, "worker-1", NULL,
          CF_STATE_COMMITTEE_REVIEW, "committee");
    assert_string_equal (self->record->original->grade, "five_star");
    s_ok (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
          s_members (self, "C-01", "C-02", "C-03", NULL),
          CF_STATE_COMMITTEE_REVIEW, NULL);
    s_vote (self, "C-02", CF__VOTE__VOTE_GRANT);
    s_vote (self, "C-03", CF__VOTE__VOTE_GRANT);
    s_ok (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
          CF_STATE_ISSUANCE, "issuance");
    s_ok (self, CF_EVENT_CERTIFICATE_ISSUED, WORKER, "worker-1",
          s_certificate (self, "CFC2026SC00001", "2026-03-20"),
          CF_STATE_CERTIFIED, NULL);
    const Cf__Case *record = self->record;
    assert_string_equal (record->decision, "grant");
    assert_string_equal (record->decision_date, "2026-03-20");
    assert_string_equal (record->certificate, "CFC2026SC00001");
    assert_int_equal (record->created_at, opened);
    assert_int_equal (record->deadline_at, 0);
    assert_int_equal (record->waiting_ms, 2 * S_DAY_MS);
    assert_string_equal (record->closing_reason, "");
}

static void
test_lifecycle_supplement_loop (void **state)
{
    s_fixture_t *self = *state;
    s_to_submitted (self);
    for (int round = 1; round <= 2; round++) {
        s_ok (self, CF_EVENT_INTAKE_INCOMPLETE, WORKER, "worker-1",
              s_findings (self, 1, "M07 organization chart missing"),
              CF_STATE_SUPPLEMENT_REQUESTED, NULL);
        assert_int_equal (self->record->waiting_since, self->now);
        self->now += 5 * S_DAY_MS;
        s_ok (
            self, CF_EVENT_SUPPLEMENTED, APPLICANT, "consultant",
            s_application (self, "福州售后服务有限公司", "91350100MA2XYZ1234"),
            CF_STATE_SUBMITTED, "intake");
        assert_int_equal (self->record->supplement_rounds, round);
        assert_int_equal (self->record->waiting_ms, round * 5 * S_DAY_MS);
    }
    s_ok (self, CF_EVENT_INTAKE_PASSED, WORKER, "worker-1", NULL,
          CF_STATE_DOCUMENT_REVIEW, "review");
    //  The reviewer finds the documents deficient: a loop again
    s_ok (self, CF_EVENT_DOCS_DEFICIENT, REVIEWER, "R-02",
          s_findings (self, 1, "M12 documents not controlled"),
          CF_STATE_SUPPLEMENT_REQUESTED, NULL);
    assert_int_equal (self->record->supplement_rounds, 3);
    assert_string_equal (self->record->reviewers[0], "R-02");
    assert_int_equal (self->record->deadline_at,
                      self->now + self->scheme->supplement_days * S_DAY_MS);
    s_ok (self, CF_EVENT_SUPPLEMENTED, APPLICANT, "consultant",
          s_application (self, "福州售后服务有限公司", "91350100MA2XYZ1234"),
          CF_STATE_SUBMITTED, "intake");
    assert_int_equal (self->record->waiting_ms, 10 * S_DAY_MS);
}

static void
test_lifecycle_rectification_rejected_then_accepted (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 92, 2, 0, CF_STATE_RECTIFICATION);
    int64_t started = self->record->rectification_started_at;
    int64_t waited = self->record->waiting_ms;
    assert_string_equal (self->record->original->grade, "four_star");
    assert_int_equal (self->record->original->open_nonconformities, 2);
    self->now += 10 * S_DAY_MS;
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "repair log introduced", "NC-1", "NC-2", NULL),
          CF_STATE_VERIFICATION, NULL);
    assert_int_equal (self->record->waiting_ms, waited + 10 * S_DAY_MS);
    self->now += 2 * S_DAY_MS;
    s_ok (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
          s_verdicts (self, "NC-1", "ok", "NC-2", "no evidence for NC-2", NULL),
          CF_STATE_RECTIFICATION, NULL);
    //  Each verdict is recorded: NC-1 closed, NC-2 open again
    const Cf__ScoreSheet *sheet = self->record->sheet;
    assert_true (sheet->nonconformities[0]->closed);
    assert_non_null (
        strstr (sheet->nonconformities[0]->verification, "accepted by A-01"));
    assert_false (sheet->nonconformities[1]->closed);
    assert_non_null (strstr (sheet->nonconformities[1]->verification,
                             "rejected by A-01 on 2026-04-01: no evidence"));
    assert_int_equal (self->record->deadline_at,
                      self->now + self->scheme->rectification_days * S_DAY_MS);
    assert_int_equal (self->record->waiting_since, self->now);
    self->now += 70 * S_DAY_MS;
    //  Day 82 of 90: the second round ends at the ceiling, not in 30 days
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "repair log with photographs", "NC-2", NULL),
          CF_STATE_VERIFICATION, NULL);
    s_ok (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
          s_verdicts (self, "NC-2", "photographs undated", NULL),
          CF_STATE_RECTIFICATION, NULL);
    assert_int_equal (self->record->deadline_at,
                      started +
                          self->scheme->rectification_ceiling_days * S_DAY_MS);
    s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
          s_fixes (self, "dated photographs", "NC-2", NULL),
          CF_STATE_VERIFICATION, NULL);
    assert_int_equal (self->record->rectification_rounds, 3);
    Cf__EventData *revised = s_sheet (self, 94, 2, 0);
    revised->sheet->nonconformities[0]->closed = true;
    revised->sheet->nonconformities[1]->closed = true;
    s_ok (self, CF_EVENT_FIXES_ACCEPTED, AUDITOR, "A-01", revised,
          CF_STATE_COMMITTEE_REVIEW, "committee");
    assert_true (self->record->original->score == 92.0);
    assert_true (self->record->rescored->score == 94.0);
    assert_int_equal (self->record->deadline_at, 0);
    assert_int_equal (self->record->waiting_since, 0);
    s_ok (self, CF_EVENT_COMMITTEE_FORMED, WORKER, "worker-1",
          s_members (self, "C-01", "C-02", "C-03", NULL),
          CF_STATE_COMMITTEE_REVIEW, NULL);
    s_vote (self, "C-01", CF__VOTE__VOTE_GRANT);
    s_vote (self, "C-02", CF__VOTE__VOTE_GRANT);
    //  The rescored sheet decides: no nonconformity is open any more
    s_ok (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
          CF_STATE_ISSUANCE, "issuance");
}

static void
test_lifecycle_rejected_fixes_until_terminated (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 85, 1, 0, CF_STATE_RECTIFICATION);
    int rounds = self->scheme->rectification_max_rounds;
    for (int round = 1; round <= rounds; round++) {
        self->now += S_DAY_MS;
        s_ok (self, CF_EVENT_FIXES_SUBMITTED, APPLICANT, "consultant",
              s_fixes (self, "another attempt", "NC-1", NULL),
              CF_STATE_VERIFICATION, NULL);
        cf_state_t next =
            round < rounds ? CF_STATE_RECTIFICATION : CF_STATE_TERMINATED;
        s_ok (self, CF_EVENT_FIXES_REJECTED, AUDITOR, "A-01",
              s_verdicts (self, "NC-1", "not effective", NULL), next, NULL);
    }
    assert_int_equal (self->record->rectification_rounds, rounds);
    assert_int_equal (self->record->deadline_at, 0);
    assert_non_null (strstr (self->record->closing_reason, "round 3;"));
}

static void
test_lifecycle_refusals (void **state)
{
    s_fixture_t *self = *state;
    //  At intake
    s_to_submitted (self);
    s_ok (self, CF_EVENT_INTAKE_INELIGIBLE, WORKER, "worker-1",
          s_reason (self, "major quality accident on 2026-01-10"),
          CF_STATE_REJECTED, NULL);
    //  At document review, with findings as the written reasons
    s_to_document_review (self);
    s_ok (self, CF_EVENT_DOCS_INELIGIBLE, REVIEWER, "R-01",
          s_findings (self, 2, "not an independent legal entity"),
          CF_STATE_REJECTED, NULL);
    assert_string_equal (self->record->closing_reason,
                         "M07: not an independent legal entity; "
                         "M08: not an independent legal entity");
    assert_int_equal (self->record->n_findings, 2);
    //  By the committee
    s_to_committee_formed (self, 100);
    s_vote (self, "C-01", CF__VOTE__VOTE_REFUSE);
    s_vote (self, "C-02", CF__VOTE__VOTE_GRANT);
    s_vote (self, "C-03", CF__VOTE__VOTE_REFUSE);
    s_refused (self, CF_EVENT_MAJORITY_GRANT, WORKER, "worker-1", NULL,
               CF_EGUARD, "tally.no_grant");
    s_ok (self, CF_EVENT_MAJORITY_REFUSE, WORKER, "worker-1", NULL,
          CF_STATE_NOT_APPROVED, NULL);
    assert_string_equal (self->record->decision, "refuse");
    assert_string_equal (self->record->closing_reason,
                         "the committee refused certification (1 grant, 2 "
                         "refuse): C-01: as the sheet shows; C-03: as the "
                         "sheet shows");
}

static void
test_lifecycle_withdrawal_stops_the_clock (void **state)
{
    s_fixture_t *self = *state;
    s_scored (self, 95, 1, 0, CF_STATE_RECTIFICATION);
    int64_t waited = self->record->waiting_ms;
    self->now += 4 * S_DAY_MS;
    s_ok (self, CF_EVENT_WITHDRAW, APPLICANT, "consultant",
          s_reason (self, "cannot fix the repair process this year"),
          CF_STATE_WITHDRAWN, NULL);
    assert_int_equal (self->record->waiting_ms, waited + 4 * S_DAY_MS);
    assert_int_equal (self->record->waiting_since, 0);
    assert_int_equal (self->record->deadline_at, 0);
    assert_string_equal (self->record->closing_reason,
                         "cannot fix the repair process this year");
}

static void
test_lifecycle_deadline_closures (void **state)
{
    s_fixture_t *self = *state;
    //  The contract was never signed
    s_to_contract_pending (self);
    self->now = self->record->deadline_at;
    s_ok (self, CF_EVENT_DEADLINE_PASSED, SYSTEM, "certflowd", NULL,
          CF_STATE_CLOSED, NULL);
    assert_non_null (strstr (self->record->closing_reason, "contract_pending"));
    //  The corrections never came
    s_scored (self, 95, 1, 0, CF_STATE_RECTIFICATION);
    int64_t due = self->record->deadline_at;
    self->now = due - S_HOUR;
    s_refused (self, CF_EVENT_DEADLINE_PASSED, SYSTEM, "certflowd", NULL,
               CF_EGUARD, "deadline.not_due");
    self->now = due + S_HOUR;
    s_ok (self, CF_EVENT_DEADLINE_PASSED, SYSTEM, "certflowd",
          s_reason (self, "no corrections received by 2026-04-21"),
          CF_STATE_TERMINATED, NULL);
    assert_string_equal (self->record->closing_reason,
                         "no corrections received by 2026-04-21");
    assert_int_equal (self->record->deadline_at, 0);
}

int
main (void)
{
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_names_round_trip_and_match_the_proto),
        S_TEST (test_unknown_names_are_einval),
        S_TEST (test_terminal_and_waiting_states),
        S_TEST (test_every_state_event_role_against_table),
        S_TEST (test_terminal_states_have_no_exits),
        S_TEST (test_every_state_reachable_and_able_to_finish),
        S_TEST (test_withdraw_accepted_exactly_before_a_decision),
        S_TEST (test_rows_name_jobs_for_automated_stages),
        S_TEST (test_dot_has_every_state_and_one_edge_per_row),
        S_TEST (test_no_transition_lists_accepted_events),
        S_TEST (test_forbidden_role_names_roles_that_may),
        S_TEST (test_applicant_of_another_org_is_forbidden),
        S_TEST (test_failed_fire_leaves_record_byte_identical),
        S_TEST (test_guard_submit_needs_named_application_and_org),
        S_TEST (test_guard_findings_for_a_supplement_request),
        S_TEST (test_guard_supplemented_needs_application),
        S_TEST (test_guard_refusal_needs_reasons),
        S_TEST (test_guard_deadline_must_be_due),
        S_TEST (test_guard_deadline_needs_a_running_deadline),
        S_TEST (test_guard_contract_terms_and_single_issue),
        S_TEST (test_guard_contract_signed_once_after_issue),
        S_TEST (test_consultancy_acts_in_the_company_name),
        S_TEST (test_guard_plan_team_dates_and_impartiality),
        S_TEST (test_guard_plan_checks_staff_records),
        S_TEST (test_guard_sheet_dated_within_the_audit),
        S_TEST (test_nonconformities_filed_open_and_each_answered),
        S_TEST (test_star_override_needs_a_majority),
        S_TEST (test_refusals_are_reasoned),
        S_TEST (test_signature_wait_starts_with_the_contract),
        S_TEST (test_guard_sheet_from_team_leader_and_valid),
        S_TEST (test_guard_scores_need_a_stored_sheet),
        S_TEST (test_open_items_send_scores_to_rectification),
        S_TEST (test_guard_fixes_name_open_nonconformities),
        S_TEST (test_guard_fixes_judged_by_the_verifier),
        S_TEST (test_guard_rounds_left_before_the_ceiling),
        S_TEST (test_guard_committee_formation),
        S_TEST (test_vote_before_committee_formed_refused),
        S_TEST (test_vote_from_anyone_involved_refused),
        S_TEST (test_vote_from_non_member_refused),
        S_TEST (test_double_vote_refused),
        S_TEST (test_ballot_value_and_override_reason),
        S_TEST (test_majority_tallies),
        S_TEST (test_majority_refuse_when_the_score_cannot_be_granted),
        S_TEST (test_guard_certificate_not_before_decision),
        S_TEST (test_guard_withdraw_needs_reason),
        S_TEST (test_lifecycle_happy_path_to_certified),
        S_TEST (test_lifecycle_supplement_loop),
        S_TEST (test_lifecycle_rectification_rejected_then_accepted),
        S_TEST (test_lifecycle_rejected_fixes_until_terminated),
        S_TEST (test_lifecycle_refusals),
        S_TEST (test_lifecycle_withdrawal_stops_the_clock),
        S_TEST (test_lifecycle_deadline_closures),
    };
#undef S_TEST
    return cmocka_run_group_tests (tests, NULL, NULL);
}
