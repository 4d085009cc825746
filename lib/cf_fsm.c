/*  =========================================================================
    cf_fsm - the case state machine

    Read the table first (s_rows, below the guards and actions): it is the
    workflow. Guards read the case as it is and say what failed; actions
    write a copy, which replaces the case only when the whole row has run,
    so a refused event changes nothing.
    =========================================================================
*/

#include "cf_fsm.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cf_case.h"
#include "cf_certfsm.h"
#include "cf_date.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_plan.h"
#include "cf_score.h"

//  Milliseconds in a day: scheme deadlines are counted in days
#define S_DAY_MS (24LL * 3600 * 1000)

struct _cf_fsm_ctx_t {
    const cf_fsm_row_t *row;         //  Row being tried, then fired
    const Cf__Case *record;          //  The case as it is: what guards read
    Cf__Case *draft;                 //  Its copy: what actions write
    const cf_scheme_t *scheme;       //  Governs the case
    const Cf__Principal *principal;  //  Who fires
    const Cf__EventData *data;       //  What came with the event, or NULL
    int64_t now;                     //  Instant of the transition
    cf_day_t today;                  //  Its date, China time
    const cf_fsm_input_t *input;     //  Facts from the store
};

//  ------------------------------------------------------------------------
//  Name tables, indexed by value

typedef struct {
    const char *name;   //  Used in logs, on the wire, in the CLI
    const char *label;  //  Chinese label for documents and dot
    bool terminal;      //  No way out
    bool waits;         //  The case waits on the applicant
} s_state_info_t;

static const s_state_info_t s_states[CF_STATE_COUNT] = {
#define S_STATE_INFO(suffix, name, value, label, terminal, waits)              \
    [value] = {name, label, terminal, waits},
    CF_STATE_MAP (S_STATE_INFO)
#undef S_STATE_INFO
};

static const char *const s_event_names[CF_EVENT_COUNT] = {
#define S_EVENT_NAME(suffix, name, text) [CF_EVENT_##suffix] = name,
    CF_EVENT_MAP (S_EVENT_NAME)
#undef S_EVENT_NAME
};

static const char *const s_role_names[CF_ROLE_MAX + 1] = {
#define S_ROLE_NAME(suffix, name, value, text) [value] = name,
    CF_ROLE_MAP (S_ROLE_NAME)
#undef S_ROLE_NAME
};

static bool
s_state_valid (cf_state_t state)
{
    return (int)state >= 0 && (int)state < CF_STATE_COUNT;
}

const char *
cf_fsm_state_name (cf_state_t state)
{
    return s_state_valid (state) ? s_states[state].name : "?";
}

const char *
cf_fsm_state_label (cf_state_t state)
{
    return s_state_valid (state) ? s_states[state].label : "?";
}

bool
cf_fsm_state_terminal (cf_state_t state)
{
    return s_state_valid (state) && s_states[state].terminal;
}

bool
cf_fsm_state_applicant_waits (cf_state_t state)
{
    return s_state_valid (state) && s_states[state].waits;
}

int
cf_fsm_state_from_name (const char *name, cf_state_t *state)
{
    assert (state);
    for (int value = 0; name && value < CF_STATE_COUNT; value++)
        if (strcmp (s_states[value].name, name) == 0) {
            *state = (cf_state_t)value;
            return 0;
        }
    return CF_EINVAL;
}

const char *
cf_fsm_event_name (cf_event_t event)
{
    return (int)event >= 0 && (int)event < CF_EVENT_COUNT ? s_event_names[event]
                                                          : "?";
}

int
cf_fsm_event_from_name (const char *name, cf_event_t *event)
{
    assert (event);
    for (int value = 0; name && value < CF_EVENT_COUNT; value++)
        if (strcmp (s_event_names[value], name) == 0) {
            *event = (cf_event_t)value;
            return 0;
        }
    return CF_EINVAL;
}

const char *
cf_fsm_role_name (cf_role_t role)
{
    return (int)role >= 1 && (int)role <= CF_ROLE_MAX ? s_role_names[role]
                                                      : "?";
}

int
cf_fsm_role_from_name (const char *name, cf_role_t *role)
{
    assert (role);
    for (int value = 1; name && value <= CF_ROLE_MAX; value++)
        if (strcmp (s_role_names[value], name) == 0) {
            *role = (cf_role_t)value;
            return 0;
        }
    return CF_EINVAL;
}

//  The role's bit, or 0 for a value outside the map (roles are open enums
//  on the wire, and a shift past the width is undefined)
static uint32_t
s_role_bit (int role)
{
    return role >= 1 && role <= CF_ROLE_MAX ? CF_ROLE_BIT (role) : 0;
}

//  ------------------------------------------------------------------------
//  Small readers shared by guards and actions

static bool
s_blank (const char *text)
{
    return !text || !*text;
}

static bool
s_same (const char *left, const char *right)
{
    return strcmp (left ? left : "", right ? right : "") == 0;
}

static bool
s_listed (char *const *items, size_t count, const char *value)
{
    for (size_t index = 0; index < count; index++)
        if (s_same (items[index], value))
            return true;
    return false;
}

static const char *
s_event (const cf_fsm_ctx_t *ctx)
{
    return cf_fsm_event_name (ctx->row->event);
}

static const char *
s_text (const char *text)
{
    return text ? text : "";
}

static const char *
s_who (const cf_fsm_ctx_t *ctx)
{
    return s_text (ctx->principal->name);
}

//  The event data's body when it is of the given kind, else NULL / ""
static bool
s_body_is (const cf_fsm_ctx_t *ctx, Cf__EventData__BodyCase kind)
{
    return ctx->data && ctx->data->body_case == kind;
}

static const Cf__Application *
s_data_application (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_APPLICATION)
               ? ctx->data->application
               : NULL;
}

static const char *
s_data_reason (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_REASON) && ctx->data->reason
               ? ctx->data->reason
               : "";
}

static const Cf__FindingList *
s_data_findings (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_FINDINGS) ? ctx->data->findings
                                                          : NULL;
}

static const Cf__Contract *
s_data_contract (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_CONTRACT) ? ctx->data->contract
                                                          : NULL;
}

static const Cf__AuditPlan *
s_data_plan (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_PLAN) ? ctx->data->plan : NULL;
}

static const Cf__ScoreSheet *
s_data_sheet (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_SHEET) ? ctx->data->sheet
                                                       : NULL;
}

static const Cf__CommitteeData *
s_data_committee (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_COMMITTEE)
               ? ctx->data->committee
               : NULL;
}

static const Cf__CertificateData *
s_data_certificate (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_CERTIFICATE)
               ? ctx->data->certificate
               : NULL;
}

static const Cf__FixList *
s_data_fixes (const cf_fsm_ctx_t *ctx)
{
    return s_body_is (ctx, CF__EVENT_DATA__BODY_FIXES) ? ctx->data->fixes
                                                       : NULL;
}

//  The nonconformity with this id on sheet, or NULL
static Cf__Nonconformity *
s_nonconformity (const Cf__ScoreSheet *sheet, const char *id)
{
    for (size_t index = 0; sheet && index < sheet->n_nonconformities; index++)
        if (s_same (sheet->nonconformities[index]->id, id))
            return sheet->nonconformities[index];
    return NULL;
}

//  How staff took part in evaluating the case, for refusal messages
static const char *
s_involvement (const Cf__Case *record, const char *staff)
{
    const Cf__AuditPlan *plan = record->plan;
    if (plan && s_same (plan->leader, staff))
        return "led the audit team of this case";
    if (plan && s_listed (plan->members, plan->n_members, staff))
        return "was on the audit team of this case";
    if (s_same (record->verifier, staff))
        return "verified the corrections of this case";
    return "reviewed the documents of this case";
}

//  The score that decides: after rectification if there was one
static const Cf__ScoreResult *
s_latest_score (const Cf__Case *record)
{
    return record->rescored ? record->rescored : record->original;
}

static bool
s_grantable (const cf_scheme_t *scheme, const Cf__ScoreResult *score)
{
    return score &&
           cf_scheme_grade_named (scheme, score->grade ? score->grade : "") &&
           score->open_nonconformities == 0;
}

//  Due instant of a rectification round: a round's days, never past the
//  ceiling counted from the start of the first round
static int64_t
s_rectification_due (const Cf__Case *record, const cf_scheme_t *scheme,
                     int64_t now)
{
    int64_t round_end = now + (int64_t)scheme->rectification_days * S_DAY_MS;
    int64_t ceiling = record->rectification_started_at +
                      (int64_t)scheme->rectification_ceiling_days * S_DAY_MS;
    return round_end < ceiling ? round_end : ceiling;
}

//  ------------------------------------------------------------------------
//  Guards: each checks one rule and says what failed and how to fix it

static int
s_guard_applicant_org (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (!s_blank (ctx->principal->org))
        return 0;
    cf_problems_add (problems, "principal.org",
                     "%s: principal '%s' carries no organization; issue the "
                     "applicant an identity with its organization",
                     s_event (ctx), s_who (ctx));
    return CF_EGUARD;
}

static int
s_guard_application (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (s_data_application (ctx))
        return 0;
    cf_problems_add (problems, "application.missing",
                     "%s: no application came with the event; send the "
                     "application as the event data",
                     s_event (ctx));
    return CF_EGUARD;
}

static int
s_guard_company_named (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Application *application = s_data_application (ctx);
    assert (application);  //  s_guard_application runs first
    int rc = 0;
    if (s_blank (application->company_name)) {
        cf_problems_add (problems, "application.company_name",
                         "%s: the company name is empty; write the name on "
                         "the business licence",
                         s_event (ctx));
        rc = CF_EGUARD;
    }
    if (s_blank (application->uscc)) {
        cf_problems_add (problems, "application.uscc",
                         "%s: the unified social credit code is empty; write "
                         "the 18 characters on the business licence",
                         s_event (ctx));
        rc = CF_EGUARD;
    }
    return rc;
}

static bool
s_scope_overlaps (const Cf__Application *application,
                  const Cf__Certificate *cert, const char **item)
{
    for (size_t wanted = 0; wanted < application->n_scope; wanted++)
        for (size_t held = 0; held < cert->n_scope; held++)
            if (strcmp (application->scope[wanted], cert->scope[held]) == 0) {
                *item = cert->scope[held];
                return true;
            }
    return false;
}

//  An initial application for a scope the company already holds a live
//  certificate for is refused: it renews, or widens the one it holds
static int
s_guard_not_held (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (ctx->record->kind != CF__CASE_KIND__CASE_KIND_INITIAL)
        return 0;
    const Cf__Application *application = s_data_application (ctx);
    int rc = 0;
    for (size_t index = 0; index < ctx->input->held_count; index++) {
        const Cf__Certificate *cert = ctx->input->held[index];
        const char *item = NULL;
        if (cf_certfsm_status_final (cert->status) ||
            strcmp (cert->uscc, application->uscc) != 0 ||
            !s_scope_overlaps (application, cert, &item))
            continue;
        cf_problems_add (problems, "application.held",
                         "%s: company %s already holds certificate %s for "
                         "'%s' (%s until %s); apply to renew it (certflow "
                         "submit FILE --renews %s) in the %d months before it "
                         "expires, or ask for it to be reissued with a wider "
                         "scope",
                         s_event (ctx), application->uscc, cert->number, item,
                         cf_certfsm_status_name (cert->status),
                         cert->expiry_date, cert->number,
                         ctx->scheme->recertification_months);
        rc = CF_EGUARD;
    }
    return rc;
}

//  A recertification renews a live certificate of the applicant's company,
//  applied for in the scheme's months before it expires, one at a time
static int
s_guard_renewal (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (ctx->record->kind != CF__CASE_KIND__CASE_KIND_RECERTIFICATION)
        return 0;
    const Cf__Certificate *cert = ctx->input->certificate;
    const Cf__Application *application = s_data_application (ctx);
    const char *org =
        ctx->input->acts_for ? ctx->input->acts_for : ctx->principal->org;
    if (!cert || !s_same (cert->org, org)) {
        cf_problems_add (problems, "renewal.unknown",
                         "%s: no certificate of your organization to renew",
                         s_event (ctx));
        return CF_EGUARD;
    }
    int rc = 0;
    if (cf_certfsm_status_final (cert->status)) {
        cf_problems_add (problems, "renewal.final",
                         "%s: certificate %s is %s and cannot be renewed; "
                         "apply for a new certificate",
                         s_event (ctx), cert->number,
                         cf_certfsm_status_name (cert->status));
        rc = CF_EGUARD;
    }
    if (strcmp (cert->uscc, application->uscc) != 0) {
        cf_problems_add (problems, "renewal.company",
                         "%s: certificate %s is held by %s, not by %s",
                         s_event (ctx), cert->number, cert->uscc,
                         application->uscc);
        rc = CF_EGUARD;
    }
    cf_day_t expiry;
    char opens[11];
    if (cf_date_parse (cert->expiry_date, &expiry) == 0 &&
        ctx->today < cf_date_add_months (
                         expiry + 1, -ctx->scheme->recertification_months)) {
        cf_problems_add (
            problems, "renewal.early",
            "%s: certificate %s expires on %s; its renewal may be applied for "
            "from %s",
            s_event (ctx), cert->number, cert->expiry_date,
            cf_date_format (
                cf_date_add_months (expiry + 1,
                                    -ctx->scheme->recertification_months),
                opens));
        rc = CF_EGUARD;
    }
    if (ctx->input->renewal_open) {
        cf_problems_add (problems, "renewal.open",
                         "%s: case %s already renews certificate %s",
                         s_event (ctx), cert->renewal, cert->number);
        rc = CF_EGUARD;
    }
    return rc;
}

static int
s_guard_findings (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__FindingList *list = s_data_findings (ctx);
    if (!list || list->n_findings == 0) {
        cf_problems_add (problems, "findings.missing",
                         "%s: no findings came with the event; list each "
                         "missing or deficient item with its reason",
                         s_event (ctx));
        return CF_EGUARD;
    }
    int rc = 0;
    for (size_t index = 0; index < list->n_findings; index++)
        if (s_blank (list->findings[index]->reason)) {
            cf_problems_add (problems, "findings.reason",
                             "%s: finding %zu (item '%s') has no reason; say "
                             "what is missing or deficient",
                             s_event (ctx), index + 1,
                             list->findings[index]->item);
            rc = CF_EGUARD;
        }
    return rc;
}

static int
s_guard_refusal_reason (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__FindingList *list = s_data_findings (ctx);
    if (!s_blank (s_data_reason (ctx)) || (list && list->n_findings > 0))
        return 0;
    cf_problems_add (problems, "refusal.reason",
                     "%s: a refusal needs its reasons in writing; send a "
                     "reason or findings",
                     s_event (ctx));
    return CF_EGUARD;
}

static int
s_guard_deadline_due (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    int64_t deadline = ctx->record->deadline_at;
    if (deadline == 0) {
        cf_problems_add (problems, "deadline.none",
                         "%s: the case has no deadline running in state %s",
                         s_event (ctx), cf_fsm_state_name (ctx->row->from));
        return CF_EGUARD;
    }
    if (ctx->now >= deadline)
        return 0;
    char date[11];
    cf_problems_add (problems, "deadline.not_due",
                     "%s: the deadline (%s, instant %" PRId64
                     ") has not passed; %" PRId64 " minutes remain",
                     s_event (ctx),
                     cf_date_format (cf_date_from_ms (deadline), date),
                     deadline, (deadline - ctx->now + 59999) / 60000);
    return CF_EGUARD;
}

static int
s_guard_contract_terms (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Contract *contract = s_data_contract (ctx);
    if (!contract) {
        cf_problems_add (problems, "contract.missing",
                         "%s: no contract came with the event; send the "
                         "contract terms",
                         s_event (ctx));
        return CF_EGUARD;
    }
    int rc = 0;
    if (s_blank (contract->number)) {
        cf_problems_add (problems, "contract.number",
                         "%s: the contract has no number; number it",
                         s_event (ctx));
        rc = CF_EGUARD;
    }
    if (contract->person_days_tenths == 0) {
        cf_problems_add (problems, "contract.person_days",
                         "%s: the contract gives no audit time; compute the "
                         "person-days from the scheme's audit-time table",
                         s_event (ctx));
        rc = CF_EGUARD;
    }
    if (contract->fee_fen == 0) {
        cf_problems_add (problems, "contract.fee",
                         "%s: the contract gives no fee; compute it from the "
                         "day rate and the application fee",
                         s_event (ctx));
        rc = CF_EGUARD;
    }
    return rc;
}

static int
s_guard_contract_not_issued (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Contract *issued = ctx->record->contract;
    if (!issued || s_blank (issued->number))
        return 0;
    cf_problems_add (problems, "contract.issued",
                     "%s: contract %s was already issued on %s; a case has "
                     "one contract",
                     s_event (ctx), issued->number, issued->issued_date);
    return CF_EGUARD;
}

//  Signing is the company's act: its own user signs, or an administrator
//  records the paper the company signed, naming it
static int
s_guard_signed_paper (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (ctx->principal->role == CF__ROLE__ROLE_APPLICANT) {
        if (!ctx->input->acts_for)
            return 0;
        cf_problems_add (problems, "contract.company",
                         "%s: signing the contract is %s's own act; a "
                         "consultancy may not sign it (the company's user "
                         "signs, or an administrator records its signed "
                         "paper)",
                         s_event (ctx), s_text (ctx->record->org));
        return CF_EGUARD;
    }
    const Cf__Contract *paper = s_data_contract (ctx);
    if (paper && !s_blank (paper->signed_reference))
        return 0;
    cf_problems_add (problems, "contract.reference",
                     "%s: an administrator records the company's signed "
                     "contract: give the paper's reference (--reference)",
                     s_event (ctx));
    return CF_EGUARD;
}

static int
s_guard_contract_unsigned (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Contract *issued = ctx->record->contract;
    if (!issued || s_blank (issued->number)) {
        cf_problems_add (problems, "contract.not_issued",
                         "%s: no contract has been issued yet; sign once the "
                         "certification body has sent it",
                         s_event (ctx));
        return CF_EGUARD;
    }
    if (s_blank (issued->signed_date))
        return 0;
    cf_problems_add (problems, "contract.signed",
                     "%s: contract %s was already signed on %s by %s",
                     s_event (ctx), issued->number, issued->signed_date,
                     issued->signed_by);
    return CF_EGUARD;
}

//  Every plan, by a worker or an administrator, passes the same checks
//  against the staff records (DOMAIN section 4): its shape, each person's
//  role, competence, qualification on the audit days and freedom from
//  conflicts, and no document reviewer on the team; and it lies ahead
static int
s_guard_plan (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__AuditPlan *plan = s_data_plan (ctx);
    if (!plan) {
        cf_problems_add (problems, "plan.missing",
                         "%s: no audit plan came with the event; send the "
                         "team and dates",
                         s_event (ctx));
        return CF_EGUARD;
    }
    int rc = 0;
    if (cf_plan_check_team (ctx->scheme, ctx->record->application,
                            ctx->input->staff, ctx->input->staff_count, plan,
                            ctx->record, problems) != 0)
        rc = CF_EGUARD;
    cf_day_t start;
    char today[11];
    if (cf_date_parse (plan->start_date, &start) == 0 && start < ctx->today) {
        cf_problems_add (problems, "plan.past",
                         "%s: the audit would start on %s, before today (%s); "
                         "plan it from today on",
                         s_event (ctx), plan->start_date,
                         cf_date_format (ctx->today, today));
        rc = CF_EGUARD;
    }
    return rc;
}

static int
s_guard_team_leader (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__AuditPlan *plan = ctx->record->plan;
    if (plan && !s_blank (plan->leader) && s_same (s_who (ctx), plan->leader))
        return 0;
    cf_problems_add (problems, "sheet.leader",
                     "%s: %s is not the team leader of this case (%s); the "
                     "team leader files the score sheet",
                     s_event (ctx), s_who (ctx),
                     plan && plan->leader ? plan->leader : "no plan yet");
    return CF_EGUARD;
}

//  The audit happens before it is scored: the sheet is dated within the
//  planned audit days, and is filed no earlier than the first of them and
//  no earlier than its own date (the daemon's clock)
static int
s_guard_sheet_dated (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__ScoreSheet *sheet = s_data_sheet (ctx);
    const Cf__AuditPlan *plan = ctx->record->plan;
    cf_day_t start, end, audit;
    if (!sheet)
        return 0;  //  s_guard_sheet_valid says it is missing
    if (!plan || cf_date_parse (plan->start_date, &start) ||
        cf_date_parse (plan->end_date, &end)) {
        cf_problems_add (problems, "sheet.plan",
                         "%s: the case has no readable audit plan to date the "
                         "sheet against",
                         s_event (ctx));
        return CF_EGUARD;
    }
    char today[11];
    cf_date_format (ctx->today, today);
    if (ctx->today < start) {
        cf_problems_add (problems, "sheet.early",
                         "%s: the audit starts on %s and today is %s; file the "
                         "score sheet once the audit has taken place",
                         s_event (ctx), plan->start_date, today);
        return CF_EGUARD;
    }
    if (cf_date_parse (sheet->audit_date, &audit)) {
        cf_problems_add (problems, "sheet.audit_date",
                         "%s: the sheet's audit_date '%s' is not a date "
                         "YYYY-MM-DD; give the last day of the audit (planned "
                         "%s to %s)",
                         s_event (ctx), sheet->audit_date, plan->start_date,
                         plan->end_date);
        return CF_EGUARD;
    }
    if (audit < start || audit > end) {
        cf_problems_add (problems, "sheet.audit_date",
                         "%s: the sheet is dated %s, outside the planned audit "
                         "days %s to %s",
                         s_event (ctx), sheet->audit_date, plan->start_date,
                         plan->end_date);
        return CF_EGUARD;
    }
    if (audit > ctx->today) {
        cf_problems_add (problems, "sheet.future",
                         "%s: the sheet is dated %s, after today (%s); a sheet "
                         "records an audit that has taken place",
                         s_event (ctx), sheet->audit_date, today);
        return CF_EGUARD;
    }
    return 0;
}

//  Findings are raised open: only the verifier closes a nonconformity, so
//  every one (each special deduction's too) goes through rectification
static int
s_guard_findings_open (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__ScoreSheet *sheet = s_data_sheet (ctx);
    int rc = 0;
    for (size_t index = 0; sheet && index < sheet->n_nonconformities; index++) {
        const Cf__Nonconformity *finding = sheet->nonconformities[index];
        if (finding->closed || !s_blank (finding->correction) ||
            !s_blank (finding->verification)) {
            cf_problems_add (problems, "sheet.closed_nc",
                             "%s: nonconformity %s is filed as already "
                             "corrected; the team raises it open and the "
                             "verifier closes it after rectification",
                             s_event (ctx), finding->id);
            rc = CF_EGUARD;
        }
    }
    return rc;
}

//  Scores sheet under the case's scheme; problems list what does not fit
static int
s_score (const cf_fsm_ctx_t *ctx, const Cf__ScoreSheet *sheet,
         cf_score_t *score, cf_problems_t *problems)
{
    if (cf_score_compute (ctx->scheme, sheet, score, problems) == 0)
        return 0;
    cf_problems_add (problems, "sheet.invalid",
                     "%s: the score sheet does not fit scheme %s; correct "
                     "the items listed",
                     s_event (ctx), ctx->scheme->version);
    return CF_EGUARD;
}

static int
s_guard_sheet_valid (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__ScoreSheet *sheet = s_data_sheet (ctx);
    if (!sheet) {
        cf_problems_add (problems, "sheet.missing",
                         "%s: no score sheet came with the event; send the "
                         "sheet",
                         s_event (ctx));
        return CF_EGUARD;
    }
    cf_score_t score;
    return s_score (ctx, sheet, &score, problems);
}

static int
s_guard_sheet_stored (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (!ctx->record->sheet) {
        cf_problems_add (problems, "sheet.none",
                         "%s: no score sheet has been filed; the team leader "
                         "files it first (sheet_submitted)",
                         s_event (ctx));
        return CF_EGUARD;
    }
    cf_score_t score;
    return s_score (ctx, ctx->record->sheet, &score, problems);
}

//  Open items of the stored sheet: its open nonconformities (each special
//  deduction names the nonconformity that tracks its rectification)
static int64_t
s_open_items (const cf_fsm_ctx_t *ctx)
{
    cf_score_t score = {0};
    if (cf_score_compute (ctx->scheme, ctx->record->sheet, &score, NULL) != 0)
        return -1;  //  s_guard_sheet_stored has said why
    return (int64_t)score.open_nonconformities;
}

static int
s_guard_nothing_open (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    int64_t open = s_open_items (ctx);
    if (open == 0)
        return 0;
    cf_problems_add (problems, "score.open_items",
                     "%s: %" PRId64 " nonconformities of the sheet are open; "
                     "they go to rectification",
                     s_event (ctx), open);
    return CF_EGUARD;
}

static int
s_guard_items_open (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (s_open_items (ctx) > 0)
        return 0;
    cf_problems_add (problems, "score.nothing_open",
                     "%s: nothing on the sheet is open; there is nothing to "
                     "rectify",
                     s_event (ctx));
    return CF_EGUARD;
}

//  Checks one fix: names an open nonconformity once, says what was done
static int
s_check_fix (const cf_fsm_ctx_t *ctx, const Cf__FixList *list, size_t index,
             cf_problems_t *problems)
{
    const Cf__Fix *fix = list->fixes[index];
    const Cf__Nonconformity *finding =
        s_nonconformity (ctx->record->sheet, fix->nonconformity);
    if (!finding || finding->closed) {
        cf_problems_add (problems, "fixes.unknown",
                         "%s: '%s' is not an open nonconformity of this "
                         "case; name the id from the score sheet",
                         s_event (ctx), fix->nonconformity);
        return CF_EGUARD;
    }
    for (size_t earlier = 0; earlier < index; earlier++)
        if (s_same (list->fixes[earlier]->nonconformity, fix->nonconformity)) {
            cf_problems_add (problems, "fixes.duplicate",
                             "%s: nonconformity %s is fixed twice; send one "
                             "correction per nonconformity",
                             s_event (ctx), fix->nonconformity);
            return CF_EGUARD;
        }
    if (s_blank (fix->correction)) {
        cf_problems_add (problems, "fixes.correction",
                         "%s: the fix for %s does not say what was corrected",
                         s_event (ctx), fix->nonconformity);
        return CF_EGUARD;
    }
    return 0;
}

//  The fix of list for nonconformity id, or NULL
static const Cf__Fix *
s_fix_for (const Cf__FixList *list, const char *id)
{
    for (size_t index = 0; list && index < list->n_fixes; index++)
        if (s_same (list->fixes[index]->nonconformity, id))
            return list->fixes[index];
    return NULL;
}

//  Refuses a list that leaves an open nonconformity of the sheet unanswered
static int
s_check_all_answered (const cf_fsm_ctx_t *ctx, const Cf__FixList *list,
                      cf_problems_t *problems)
{
    const Cf__ScoreSheet *sheet = ctx->record->sheet;
    int rc = 0;
    for (size_t index = 0; sheet && index < sheet->n_nonconformities; index++) {
        const Cf__Nonconformity *finding = sheet->nonconformities[index];
        if (finding->closed || s_fix_for (list, finding->id))
            continue;
        cf_problems_add (problems, "fixes.unanswered",
                         "%s: open nonconformity %s has no entry; every open "
                         "nonconformity is answered",
                         s_event (ctx), finding->id);
        rc = CF_EGUARD;
    }
    return rc;
}

static int
s_guard_fixes (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__FixList *list = s_data_fixes (ctx);
    if (!list || list->n_fixes == 0) {
        cf_problems_add (problems, "fixes.missing",
                         "%s: no fixes came with the event; send one "
                         "correction per open nonconformity",
                         s_event (ctx));
        return CF_EGUARD;
    }
    int rc = 0;
    for (size_t index = 0; index < list->n_fixes; index++)
        if (s_check_fix (ctx, list, index, problems))
            rc = CF_EGUARD;
    return s_check_all_answered (ctx, list, problems) ? CF_EGUARD : rc;
}

static int
s_guard_verifier (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const char *verifier = ctx->record->verifier;
    if (!s_blank (verifier) && s_same (s_who (ctx), verifier))
        return 0;
    cf_problems_add (problems, "verifier",
                     "%s: %s is not the verifier of this case (%s); only the "
                     "verifier accepts or rejects fixes",
                     s_event (ctx), s_who (ctx),
                     s_blank (verifier) ? "none named" : verifier);
    return CF_EGUARD;
}

//  The revised sheet closes every nonconformity the case has and drops
//  none: each is accounted for by the verifier
static int
s_guard_revised_sheet (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (s_guard_sheet_valid (ctx, problems))
        return CF_EGUARD;
    const Cf__ScoreSheet *revised = s_data_sheet (ctx);
    const Cf__ScoreSheet *filed = ctx->record->sheet;
    int rc = 0;
    for (size_t index = 0; filed && index < filed->n_nonconformities; index++) {
        const char *id = filed->nonconformities[index]->id;
        if (!s_nonconformity (revised, id)) {
            cf_problems_add (problems, "sheet.dropped_nc",
                             "%s: the revised sheet leaves out nonconformity "
                             "%s; keep every nonconformity and close it",
                             s_event (ctx), id);
            rc = CF_EGUARD;
        }
    }
    uint32_t open = cf_case_open_nonconformities (revised);
    if (open > 0) {
        cf_problems_add (problems, "sheet.open_nc",
                         "%s: the revised sheet still has %u open "
                         "nonconformities; accept every fix or reject them",
                         s_event (ctx), open);
        rc = CF_EGUARD;
    }
    return rc;
}

//  The verifier's verdicts: one per open nonconformity, at least one fix
//  rejected, each rejection with its reason
static int
s_guard_verdicts (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__FixList *list = s_data_fixes (ctx);
    if (!list || list->n_fixes == 0) {
        cf_problems_add (problems, "verdicts.missing",
                         "%s: no verdicts came with the event; accept or "
                         "reject the fix of each open nonconformity",
                         s_event (ctx));
        return CF_EGUARD;
    }
    int rc = 0;
    size_t rejected = 0;
    for (size_t index = 0; index < list->n_fixes; index++) {
        const Cf__Fix *fix = list->fixes[index];
        const Cf__Nonconformity *finding =
            s_nonconformity (ctx->record->sheet, fix->nonconformity);
        if (!finding || finding->closed) {
            cf_problems_add (problems, "verdicts.unknown",
                             "%s: '%s' is not an open nonconformity of this "
                             "case",
                             s_event (ctx), fix->nonconformity);
            rc = CF_EGUARD;
        } else if (s_fix_for (list, fix->nonconformity) != fix) {
            cf_problems_add (problems, "verdicts.duplicate",
                             "%s: nonconformity %s has two verdicts",
                             s_event (ctx), fix->nonconformity);
            rc = CF_EGUARD;
        } else if (!fix->accepted) {
            rejected++;
            if (s_blank (fix->note)) {
                cf_problems_add (problems, "verdicts.reason",
                                 "%s: the fix of %s is rejected without a "
                                 "reason; say what the applicant must still "
                                 "correct",
                                 s_event (ctx), fix->nonconformity);
                rc = CF_EGUARD;
            }
        }
    }
    if (s_check_all_answered (ctx, list, problems))
        rc = CF_EGUARD;
    if (rc == 0 && rejected == 0) {
        cf_problems_add (problems, "verdicts.all_accepted",
                         "%s: every fix is accepted; accept them with the "
                         "rescored sheet (fixes_accepted)",
                         s_event (ctx));
        rc = CF_EGUARD;
    }
    return rc;
}

static int
s_guard_rounds_left (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Case *record = ctx->record;
    const cf_scheme_t *scheme = ctx->scheme;
    int rc = 0;
    if (record->rectification_rounds >=
        (uint32_t)scheme->rectification_max_rounds) {
        cf_problems_add (problems, "rectification.rounds",
                         "%s: %u rounds of fixes used of the %d allowed",
                         s_event (ctx), record->rectification_rounds,
                         scheme->rectification_max_rounds);
        rc = CF_EGUARD;
    }
    int64_t ceiling = record->rectification_started_at +
                      (int64_t)scheme->rectification_ceiling_days * S_DAY_MS;
    if (ctx->now >= ceiling) {
        cf_problems_add (problems, "rectification.ceiling",
                         "%s: the %d days allowed for rectification have run "
                         "out",
                         s_event (ctx), scheme->rectification_ceiling_days);
        rc = CF_EGUARD;
    }
    return rc;
}

static int
s_guard_committee_unformed (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Committee *committee = ctx->record->committee;
    if (!committee || committee->n_members == 0)
        return 0;
    cf_problems_add (problems, "committee.formed",
                     "%s: the committee of this case is already formed",
                     s_event (ctx));
    return CF_EGUARD;
}

static int
s_guard_committee_members (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__CommitteeData *data = s_data_committee (ctx);
    if (!data) {
        cf_problems_add (problems, "committee.missing",
                         "%s: no members came with the event", s_event (ctx));
        return CF_EGUARD;
    }
    int rc = 0;
    if (data->n_members != (size_t)ctx->scheme->committee_size) {
        cf_problems_add (problems, "committee.size",
                         "%s: %zu members named; the scheme requires exactly "
                         "%d",
                         s_event (ctx), data->n_members,
                         ctx->scheme->committee_size);
        rc = CF_EGUARD;
    }
    for (size_t index = 0; index < data->n_members; index++) {
        const char *member = data->members[index];
        if (s_blank (member) || s_listed (data->members, index, member)) {
            cf_problems_add (problems, "committee.duplicate",
                             "%s: member %zu ('%s') is empty or named twice",
                             s_event (ctx), index + 1, member);
            rc = CF_EGUARD;
        }
    }
    if (cf_plan_check_committee (ctx->scheme, ctx->record, ctx->input->staff,
                                 ctx->input->staff_count, data->members,
                                 data->n_members, ctx->today, problems) != 0)
        rc = CF_EGUARD;
    return rc;
}

static int
s_guard_committee_formed (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Committee *committee = ctx->record->committee;
    if (committee && committee->n_members > 0)
        return 0;
    cf_problems_add (problems, "committee.not_formed",
                     "%s: the committee of this case is not formed yet",
                     s_event (ctx));
    return CF_EGUARD;
}

static int
s_guard_independent (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (!cf_case_involved (ctx->record, s_who (ctx)))
        return 0;
    cf_problems_add (problems, "vote.involved",
                     "%s: staff %s %s; ISO/IEC 17065 7.6 requires an "
                     "independent decision",
                     s_event (ctx), s_who (ctx),
                     s_involvement (ctx->record, s_who (ctx)));
    return CF_EGUARD;
}

static int
s_guard_member (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Committee *committee = ctx->record->committee;
    assert (committee);  //  s_guard_committee_formed runs first
    if (s_listed (committee->members, committee->n_members, s_who (ctx)))
        return 0;
    cf_problems_add (problems, "vote.not_member",
                     "%s: %s is not on the committee of this case",
                     s_event (ctx), s_who (ctx));
    return CF_EGUARD;
}

static int
s_guard_first_ballot (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (!cf_case_has_voted (ctx->record->committee, s_who (ctx)))
        return 0;
    cf_problems_add (problems, "vote.twice",
                     "%s: %s has already voted; a ballot cannot be changed",
                     s_event (ctx), s_who (ctx));
    return CF_EGUARD;
}

static int
s_guard_ballot (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__CommitteeData *ballot = s_data_committee (ctx);
    if (!ballot || (ballot->vote != CF__VOTE__VOTE_GRANT &&
                    ballot->vote != CF__VOTE__VOTE_REFUSE)) {
        cf_problems_add (problems, "vote.value",
                         "%s: the ballot must say grant or refuse",
                         s_event (ctx));
        return CF_EGUARD;
    }
    if (ballot->vote == CF__VOTE__VOTE_REFUSE && ballot->star_override) {
        cf_problems_add (problems, "vote.override_refuse",
                         "%s: a refusal cannot ask for stars; the star "
                         "override goes with a grant",
                         s_event (ctx));
        return CF_EGUARD;
    }
    if (ballot->vote == CF__VOTE__VOTE_REFUSE && s_blank (ballot->reason)) {
        cf_problems_add (problems, "vote.refuse_reason",
                         "%s: a refusal needs the member's written reason",
                         s_event (ctx));
        return CF_EGUARD;
    }
    if (!ballot->star_override || !s_blank (ballot->reason))
        return 0;
    cf_problems_add (problems, "vote.override_reason",
                     "%s: granting stars inside the waiting period needs a "
                     "recorded reason",
                     s_event (ctx));
    return CF_EGUARD;
}

static cf_tally_t
s_tally (const cf_fsm_ctx_t *ctx, int *grant, int *refuse)
{
    return cf_case_tally (ctx->record->committee, ctx->scheme->committee_size,
                          grant, refuse);
}

static int
s_guard_majority_grant (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    int grant, refuse;
    if (s_tally (ctx, &grant, &refuse) != CF_TALLY_GRANT) {
        cf_problems_add (problems, "tally.no_grant",
                         "%s: no majority has granted (%d grant, %d refuse "
                         "of %d members)",
                         s_event (ctx), grant, refuse,
                         ctx->scheme->committee_size);
        return CF_EGUARD;
    }
    const Cf__ScoreResult *score = s_latest_score (ctx->record);
    if (s_grantable (ctx->scheme, score))
        return 0;
    cf_problems_add (problems, "score.not_grantable",
                     "%s: the score (%.1f, grade %s, %u open "
                     "nonconformities) does not allow a grant; refuse instead",
                     s_event (ctx), score ? score->score : 0.0,
                     score && score->grade ? score->grade : "none",
                     score ? score->open_nonconformities : 0);
    return CF_EGUARD;
}

static int
s_guard_majority_refuse (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    int grant, refuse;
    cf_tally_t tally = s_tally (ctx, &grant, &refuse);
    if (tally == CF_TALLY_REFUSE ||
        (tally == CF_TALLY_GRANT &&
         !s_grantable (ctx->scheme, s_latest_score (ctx->record))))
        return 0;
    cf_problems_add (problems, "tally.no_refusal",
                     "%s: the committee has not refused (%d grant, %d refuse "
                     "of %d members)",
                     s_event (ctx), grant, refuse, ctx->scheme->committee_size);
    return CF_EGUARD;
}

static int
s_guard_certificate (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__CertificateData *certificate = s_data_certificate (ctx);
    if (!certificate || s_blank (certificate->number)) {
        cf_problems_add (problems, "certificate.number",
                         "%s: no certificate number came with the event",
                         s_event (ctx));
        return CF_EGUARD;
    }
    cf_day_t issued, decided;
    if (cf_date_parse (certificate->issue_date, &issued) != 0) {
        cf_problems_add (problems, "certificate.issue_date",
                         "%s: issue_date '%s' is not a date YYYY-MM-DD",
                         s_event (ctx), certificate->issue_date);
        return CF_EGUARD;
    }
    if (cf_date_parse (ctx->record->decision_date, &decided) == 0 &&
        issued >= decided)
        return 0;
    cf_problems_add (problems, "certificate.before_decision",
                     "%s: issue date %s is before the decision of '%s'; a "
                     "certificate may not be dated before its decision",
                     s_event (ctx), certificate->issue_date,
                     ctx->record->decision_date);
    return CF_EGUARD;
}

static int
s_guard_reason (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    if (!s_blank (s_data_reason (ctx)))
        return 0;
    cf_problems_add (problems, "reason.missing",
                     "%s: a reason is required; send it as the event's "
                     "reason",
                     s_event (ctx));
    return CF_EGUARD;
}

//  surveillance_opened: the certificate has a visit to make and none open
static int
s_guard_visit_to_make (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Certificate *cert = ctx->input->certificate;
    if (!cert || !ctx->input->certified ||
        !ctx->input->certified->application) {
        cf_problems_add (problems, "visit.certificate",
                         "%s: name the certificate to visit", s_event (ctx));
        return CF_EGUARD;
    }
    return cf_certfsm_visit_to_make (cert, NULL, problems) == 0 ? 0 : CF_EGUARD;
}

//  ------------------------------------------------------------------------
//  Actions: each records one thing on the draft

//  A visit audits the holder as certified, under the certificate's scheme,
//  for the organization that holds it
static void
s_act_open_visit (cf_fsm_ctx_t *ctx)
{
    const Cf__Certificate *cert = ctx->input->certificate;
    const Cf__Case *certified = ctx->input->certified;
    size_t visit = 0;
    int rc = cf_certfsm_visit_to_make (cert, &visit, NULL);
    assert (rc == 0);
    (void)rc;
    Cf__Case *draft = ctx->draft;
    draft->kind = CF__CASE_KIND__CASE_KIND_SURVEILLANCE;
    cf_pb_set_string (&draft->subject, cert->number);
    draft->visit = (uint32_t)visit + 1;
    cf_pb_set_string (&draft->org, certified->org);
    cf_pb_set_string (&draft->scheme_version, cert->scheme_version);
    cf_pb_free (&draft->application);
    draft->application = cf_pb_dup (&certified->application->base);
    draft->created_at = ctx->now;
}

static void
s_act_store_application (cf_fsm_ctx_t *ctx)
{
    cf_pb_free (&ctx->draft->application);
    ctx->draft->application = cf_pb_dup (&s_data_application (ctx)->base);
}

static void
s_act_open_case (cf_fsm_ctx_t *ctx)
{
    //  A consultancy submits in the company's name
    const char *agent = ctx->input->acts_for;
    cf_pb_set_string (&ctx->draft->org, agent ? agent : ctx->principal->org);
    cf_pb_set_string (&ctx->draft->consultancy,
                      agent ? ctx->principal->org : "");
    cf_pb_set_string (&ctx->draft->scheme_version, ctx->scheme->version);
    ctx->draft->created_at = ctx->now;
    const Cf__Certificate *renewed = ctx->input->certificate;
    if (ctx->draft->kind == CF__CASE_KIND__CASE_KIND_RECERTIFICATION) {
        cf_pb_set_string (&ctx->draft->subject, renewed->number);
        cf_pb_set_string (&ctx->draft->subject_expiry, renewed->expiry_date);
    }
}

//  The service level counts from acceptance (DOMAIN section 6)
static void
s_act_accept (cf_fsm_ctx_t *ctx)
{
    ctx->draft->accepted_at = ctx->now;
    ctx->draft->waiting_at_acceptance = ctx->draft->waiting_ms;
}

static void
s_act_clear_findings (cf_fsm_ctx_t *ctx)
{
    Cf__Case *draft = ctx->draft;
    for (size_t index = 0; index < draft->n_findings; index++)
        cf_pb_free (&draft->findings[index]);
    free (draft->findings);
    draft->findings = NULL;
    draft->n_findings = 0;
}

static void
s_act_store_findings (cf_fsm_ctx_t *ctx)
{
    s_act_clear_findings (ctx);
    const Cf__FindingList *list = s_data_findings (ctx);
    for (size_t index = 0; list && index < list->n_findings; index++)
        cf_pb_append (&ctx->draft->n_findings, (void ***)&ctx->draft->findings,
                      cf_pb_dup (&list->findings[index]->base));
}

static void
s_act_request_supplement (cf_fsm_ctx_t *ctx)
{
    ctx->draft->supplement_rounds++;
    ctx->draft->deadline_at =
        ctx->now + (int64_t)ctx->scheme->supplement_days * S_DAY_MS;
}

//  Writes the refusal reason, or the findings as "item: reason; ..."
static void
s_act_close_refused (cf_fsm_ctx_t *ctx)
{
    const char *reason = s_data_reason (ctx);
    if (!s_blank (reason)) {
        cf_pb_set_string (&ctx->draft->closing_reason, reason);
        return;
    }
    const Cf__FindingList *list = s_data_findings (ctx);
    size_t length = 1;
    for (size_t index = 0; index < list->n_findings; index++)
        length += strlen (list->findings[index]->item) +
                  strlen (list->findings[index]->reason) + 4;
    char *joined = malloc (length);
    if (!joined)
        cf_mem_fail ();
    char *cursor = joined;
    *cursor = 0;
    for (size_t index = 0; index < list->n_findings; index++)
        cursor += sprintf (cursor, "%s%s: %s", index ? "; " : "",
                           list->findings[index]->item,
                           list->findings[index]->reason);
    cf_pb_set_string (&ctx->draft->closing_reason, joined);
    free (joined);
}

static void
s_act_close_overdue (cf_fsm_ctx_t *ctx)
{
    const char *reason = s_data_reason (ctx);
    char text[128];
    snprintf (text, sizeof text, "the applicant's deadline in %s passed",
              cf_fsm_state_name (ctx->row->from));
    cf_pb_set_string (&ctx->draft->closing_reason,
                      s_blank (reason) ? text : reason);
}

//  A reviewer who looked at the documents is involved in the case
static void
s_act_record_reviewer (cf_fsm_ctx_t *ctx)
{
    Cf__Case *draft = ctx->draft;
    if (ctx->principal->role == CF__ROLE__ROLE_REVIEWER &&
        !s_listed (draft->reviewers, draft->n_reviewers, s_who (ctx)))
        cf_pb_append_string (&draft->n_reviewers, &draft->reviewers,
                             s_who (ctx));
}

static void
s_act_store_contract (cf_fsm_ctx_t *ctx)
{
    char today[11];
    cf_pb_free (&ctx->draft->contract);
    Cf__Contract *contract = cf_pb_dup (&s_data_contract (ctx)->base);
    cf_pb_set_string (&contract->issued_date,
                      cf_date_format (ctx->today, today));
    cf_pb_set_string (&contract->signed_date, "");
    cf_pb_set_string (&contract->signed_by, "");
    ctx->draft->contract = contract;
}

//  The applicant's signature is awaited from the moment the contract is
//  issued: its deadline and its waiting clock start together
static void
s_act_await_signature (cf_fsm_ctx_t *ctx)
{
    ctx->draft->deadline_at =
        ctx->now + (int64_t)ctx->scheme->signature_days * S_DAY_MS;
    ctx->draft->waiting_since = ctx->now;
}

static void
s_act_sign_contract (cf_fsm_ctx_t *ctx)
{
    char today[11];
    Cf__Contract *contract = ctx->draft->contract;
    cf_pb_set_string (&contract->signed_date,
                      cf_date_format (ctx->today, today));
    cf_pb_set_string (&contract->signed_by, s_who (ctx));
    const Cf__Contract *paper = s_data_contract (ctx);
    cf_pb_set_string (&contract->signed_reference,
                      paper ? paper->signed_reference : "");
}

static void
s_act_store_plan (cf_fsm_ctx_t *ctx)
{
    cf_pb_free (&ctx->draft->plan);
    ctx->draft->plan = cf_pb_dup (&s_data_plan (ctx)->base);
}

static void
s_act_store_sheet (cf_fsm_ctx_t *ctx)
{
    cf_pb_free (&ctx->draft->sheet);
    ctx->draft->sheet = cf_pb_dup (&s_data_sheet (ctx)->base);
}

//  Writes the verifier's finding on the nonconformity id of the draft's
//  sheet: "accepted" or "rejected", by whom, when, and the note
static void
s_record_verdict (cf_fsm_ctx_t *ctx, Cf__Nonconformity *finding, bool accepted,
                  const char *note)
{
    char day[11], *text = NULL;
    if (asprintf (&text, "%s by %s on %s%s%s",
                  accepted ? "accepted" : "rejected", s_who (ctx),
                  cf_date_format (ctx->today, day), s_blank (note) ? "" : ": ",
                  s_blank (note) ? "" : note) < 0)
        cf_mem_fail ();
    cf_pb_set_string (&finding->verification, text);
    free (text);
    finding->closed = accepted;
}

//  The verifier accepted every fix with the rescored sheet: the sheet
//  replaces the filed one, keeping the audit's date and each correction,
//  and every nonconformity that was open records its acceptance
static void
s_act_store_revised (cf_fsm_ctx_t *ctx)
{
    Cf__ScoreSheet *filed = ctx->draft->sheet;
    Cf__ScoreSheet *revised = cf_pb_dup (&s_data_sheet (ctx)->base);
    if (s_blank (revised->audit_date))
        cf_pb_set_string (&revised->audit_date, filed->audit_date);
    for (size_t index = 0; index < filed->n_nonconformities; index++) {
        const Cf__Nonconformity *was = filed->nonconformities[index];
        Cf__Nonconformity *now = s_nonconformity (revised, was->id);
        if (s_blank (now->correction))
            cf_pb_set_string (&now->correction, was->correction);
        if (!was->closed)
            s_record_verdict (ctx, now, true, NULL);
        else
            cf_pb_set_string (&now->verification, was->verification);
    }
    cf_pb_free (&ctx->draft->sheet);
    ctx->draft->sheet = revised;
}

//  Records the verdict on each fix: accepted ones close, rejected ones
//  stay open for the next round
static void
s_act_record_verdicts (cf_fsm_ctx_t *ctx)
{
    const Cf__FixList *list = s_data_fixes (ctx);
    for (size_t index = 0; index < list->n_fixes; index++) {
        const Cf__Fix *fix = list->fixes[index];
        s_record_verdict (
            ctx, s_nonconformity (ctx->draft->sheet, fix->nonconformity),
            fix->accepted, fix->note);
    }
}

//  Scores the draft's sheet into *result, creating it if needed. A guard
//  of the row has scored the same sheet, so this cannot fail.
static void
s_store_score (cf_fsm_ctx_t *ctx, Cf__ScoreResult **result)
{
    cf_score_t score = {0};
    int rc = cf_score_compute (ctx->scheme, ctx->draft->sheet, &score, NULL);
    assert (rc == 0);
    (void)rc;
    if (!*result)
        *result = cf_pb_new (&cf__score_result__descriptor);
    cf_score_to_result (&score, *result);
}

static void
s_act_score_original (cf_fsm_ctx_t *ctx)
{
    s_store_score (ctx, &ctx->draft->original);
}

static void
s_act_rescore (cf_fsm_ctx_t *ctx)
{
    s_store_score (ctx, &ctx->draft->rescored);
}

static void
s_act_start_rectification (cf_fsm_ctx_t *ctx)
{
    Cf__Case *draft = ctx->draft;
    if (draft->rectification_started_at == 0)
        draft->rectification_started_at = ctx->now;
    cf_pb_set_string (&draft->verifier, draft->plan->leader);
    draft->deadline_at = s_rectification_due (draft, ctx->scheme, ctx->now);
}

static void
s_act_record_fixes (cf_fsm_ctx_t *ctx)
{
    const Cf__FixList *list = s_data_fixes (ctx);
    for (size_t index = 0; index < list->n_fixes; index++) {
        Cf__Nonconformity *finding = s_nonconformity (
            ctx->draft->sheet, list->fixes[index]->nonconformity);
        cf_pb_set_string (&finding->correction, list->fixes[index]->correction);
    }
    ctx->draft->rectification_rounds++;
}

static void
s_act_extend_rectification (cf_fsm_ctx_t *ctx)
{
    ctx->draft->deadline_at =
        s_rectification_due (ctx->draft, ctx->scheme, ctx->now);
}

static void
s_act_close_ceiling (cf_fsm_ctx_t *ctx)
{
    char text[160];
    snprintf (text, sizeof text,
              "fixes rejected in round %u; no round is left within the "
              "scheme's rectification limits",
              ctx->draft->rectification_rounds);
    cf_pb_set_string (&ctx->draft->closing_reason, text);
}

static void
s_act_store_committee (cf_fsm_ctx_t *ctx)
{
    Cf__Case *draft = ctx->draft;
    if (!draft->committee)
        draft->committee = cf_pb_new (&cf__committee__descriptor);
    const Cf__CommitteeData *data = s_data_committee (ctx);
    for (size_t index = 0; index < data->n_members; index++)
        cf_pb_append_string (&draft->committee->n_members,
                             &draft->committee->members, data->members[index]);
}

static void
s_act_cast_ballot (cf_fsm_ctx_t *ctx)
{
    const Cf__CommitteeData *data = s_data_committee (ctx);
    Cf__Committee *committee = ctx->draft->committee;
    Cf__Ballot *ballot = cf_pb_new (&cf__ballot__descriptor);
    cf_pb_set_string (&ballot->member, s_who (ctx));
    ballot->vote = data->vote;
    cf_pb_set_string (&ballot->reason, data->reason);
    ballot->at = ctx->now;
    ballot->star_override = data->star_override;
    cf_pb_append (&committee->n_ballots, (void ***)&committee->ballots, ballot);
}

//  Appends "; MEMBER: reason" for each listed member's ballot that matches
//  (vote, and the star override when override is set) to *text_p; returns
//  how many matched
static int
s_ballot_reasons (const Cf__Committee *committee, Cf__Vote vote, bool override,
                  char **text_p)
{
    int matched = 0;
    for (size_t index = 0; index < committee->n_ballots; index++) {
        const Cf__Ballot *ballot = committee->ballots[index];
        if (ballot->vote != vote || (override && !ballot->star_override) ||
            !s_listed (committee->members, committee->n_members,
                       ballot->member))
            continue;
        char *longer = NULL;
        if (asprintf (&longer, "%s%s%s: %s", *text_p, **text_p ? "; " : "",
                      ballot->member, ballot->reason) < 0)
            cf_mem_fail ();
        free (*text_p);
        *text_p = longer;
        matched++;
    }
    return matched;
}

static void
s_decide (cf_fsm_ctx_t *ctx, const char *decision)
{
    char today[11];
    ctx->draft->decided_at = ctx->now;
    cf_pb_set_string (&ctx->draft->decision, decision);
    cf_pb_set_string (&ctx->draft->decision_date,
                      cf_date_format (ctx->today, today));
}

//  The star override is the committee's: it holds only when a majority of
//  the members granted with it, each with a reason. The company's first
//  certificate date comes from the store, for the star rule at issuance.
static void
s_act_decide_grant (cf_fsm_ctx_t *ctx)
{
    s_decide (ctx, "grant");
    Cf__Committee *committee = ctx->draft->committee;
    char *reasons = cf_mem_check (strdup (""));
    int overriding =
        s_ballot_reasons (committee, CF__VOTE__VOTE_GRANT, true, &reasons);
    committee->star_override =
        overriding >= ctx->scheme->committee_size / 2 + 1;
    cf_pb_set_string (&committee->star_override_reason,
                      committee->star_override ? reasons : "");
    free (reasons);
    const char *first = ctx->input->first_certified;
    cf_pb_set_string (&ctx->draft->first_compliant_date, first ? first : "");
}

static void
s_act_decide_refuse (cf_fsm_ctx_t *ctx)
{
    s_decide (ctx, "refuse");
    int grant, refuse;
    char *text = NULL;
    if (s_tally (ctx, &grant, &refuse) == CF_TALLY_REFUSE) {
        char *reasons = cf_mem_check (strdup (""));
        s_ballot_reasons (ctx->draft->committee, CF__VOTE__VOTE_REFUSE, false,
                          &reasons);
        if (asprintf (&text,
                      "the committee refused certification (%d grant, %d "
                      "refuse): %s",
                      grant, refuse, reasons) < 0)
            cf_mem_fail ();
        free (reasons);
    } else {
        const Cf__ScoreResult *score = s_latest_score (ctx->record);
        if (asprintf (&text,
                      "the committee voted to grant, but the score (%.1f, "
                      "grade %s, %u open nonconformities) does not allow "
                      "certification",
                      score ? score->score : 0.0,
                      score && !s_blank (score->grade) ? score->grade : "none",
                      score ? score->open_nonconformities : 0) < 0)
            cf_mem_fail ();
    }
    cf_pb_set_string (&ctx->draft->closing_reason, text);
    free (text);
}

static void
s_act_store_certificate (cf_fsm_ctx_t *ctx)
{
    cf_pb_set_string (&ctx->draft->certificate,
                      s_data_certificate (ctx)->number);
}

static void
s_act_close_withdrawn (cf_fsm_ctx_t *ctx)
{
    cf_pb_set_string (&ctx->draft->closing_reason, s_data_reason (ctx));
}

//  ------------------------------------------------------------------------
//  The transition table: this IS the workflow of DOMAIN.md section 1.
//  Rows sharing (from, event) are tried in order; the first whose roles
//  include the principal's and whose guards all hold fires. IF lists the
//  guards, DO the actions; job is the stage the daemon enqueues afterwards.
//  Each row names the kinds of case it holds for: APPS (applications,
//  initial or recertification), VISITS (surveillance visits, which start at
//  audit planning and end maintained) or ANY.

// clang-format off
#define FOR(kinds, from, event, roles, next, job, guards, actions) \
    {CF_STATE_##from, CF_EVENT_##event, kinds, roles, guards, actions, CF_STATE_##next, job}
#define ANY       CF_KIND_ANY
#define APPS      CF_KIND_APPLICATIONS
#define VISITS    CF_KIND_SURVEILLANCE
#define IF(...)   {__VA_ARGS__}
#define DO(...)   {__VA_ARGS__}
#define APPLICANT CF_ROLE_BIT (CF_ROLE_APPLICANT)
#define REVIEWER  CF_ROLE_BIT (CF_ROLE_REVIEWER)
#define AUDITOR   CF_ROLE_BIT (CF_ROLE_AUDITOR)
#define COMMITTEE CF_ROLE_BIT (CF_ROLE_COMMITTEE)
#define ADMIN     CF_ROLE_BIT (CF_ROLE_ADMIN)
#define WORKER    CF_ROLE_BIT (CF_ROLE_WORKER)
#define SYSTEM    CF_ROLE_BIT (CF_ROLE_SYSTEM)

static const cf_fsm_row_t s_rows[] = {
    //   kinds    from                  event                roles              next                  job
    FOR (APPS,   NONE,                 SUBMIT,              APPLICANT,         SUBMITTED,            "intake",
         IF (s_guard_applicant_org, s_guard_application, s_guard_company_named, s_guard_not_held, s_guard_renewal),
         DO (s_act_store_application, s_act_open_case)),
    FOR (APPS,   SUBMITTED,            INTAKE_PASSED,       WORKER,            DOCUMENT_REVIEW,      "review",
         IF (NULL),
         DO (s_act_accept)),
    FOR (APPS,   SUBMITTED,            INTAKE_INCOMPLETE,   WORKER,            SUPPLEMENT_REQUESTED, NULL,
         IF (s_guard_findings),
         DO (s_act_store_findings, s_act_request_supplement)),
    FOR (APPS,   SUBMITTED,            INTAKE_INELIGIBLE,   WORKER,            REJECTED,             NULL,
         IF (s_guard_refusal_reason),
         DO (s_act_store_findings, s_act_close_refused)),
    FOR (APPS,   SUPPLEMENT_REQUESTED, SUPPLEMENTED,        APPLICANT,         SUBMITTED,            "intake",
         IF (s_guard_application),
         DO (s_act_store_application, s_act_clear_findings)),
    FOR (APPS,   SUPPLEMENT_REQUESTED, DEADLINE_PASSED,     SYSTEM,            CLOSED,               NULL,
         IF (s_guard_deadline_due),
         DO (s_act_close_overdue)),
    FOR (APPS,   DOCUMENT_REVIEW,      DOCS_ACCEPTED,       WORKER | REVIEWER, CONTRACT_PENDING,     "contract",
         IF (NULL),
         DO (s_act_record_reviewer)),
    FOR (APPS,   DOCUMENT_REVIEW,      DOCS_DEFICIENT,      WORKER | REVIEWER, SUPPLEMENT_REQUESTED, NULL,
         IF (s_guard_findings),
         DO (s_act_record_reviewer, s_act_store_findings, s_act_request_supplement)),
    FOR (APPS,   DOCUMENT_REVIEW,      DOCS_INELIGIBLE,     WORKER | REVIEWER, REJECTED,             NULL,
         IF (s_guard_refusal_reason),
         DO (s_act_store_findings, s_act_close_refused)),
    FOR (APPS,   CONTRACT_PENDING,     CONTRACT_ISSUED,     WORKER,            CONTRACT_PENDING,     NULL,
         IF (s_guard_contract_terms, s_guard_contract_not_issued),
         DO (s_act_store_contract, s_act_await_signature)),
    //  The company signs; an administrator may record its signed paper
    FOR (APPS,   CONTRACT_PENDING,     CONTRACT_SIGNED,     APPLICANT | ADMIN, AUDIT_PLANNING,       "planning",
         IF (s_guard_contract_unsigned, s_guard_signed_paper),
         DO (s_act_sign_contract)),
    FOR (APPS,   CONTRACT_PENDING,     DEADLINE_PASSED,     SYSTEM,            CLOSED,               NULL,
         IF (s_guard_deadline_due),
         DO (s_act_close_overdue)),
    FOR (ANY,    AUDIT_PLANNING,       AUDIT_PLANNED,       WORKER | ADMIN,    ONSITE_AUDIT,         NULL,
         IF (s_guard_plan),
         DO (s_act_store_plan)),
    FOR (ANY,    ONSITE_AUDIT,         SHEET_SUBMITTED,     AUDITOR,           ONSITE_AUDIT,         "scoring",
         IF (s_guard_team_leader, s_guard_sheet_dated, s_guard_sheet_valid, s_guard_findings_open),
         DO (s_act_store_sheet)),
    FOR (ANY,    ONSITE_AUDIT,         SCORES_SUBMITTED,    WORKER,            COMMITTEE_REVIEW,     "committee",
         IF (s_guard_sheet_stored, s_guard_nothing_open),
         DO (s_act_score_original)),
    FOR (ANY,    ONSITE_AUDIT,         SCORES_SUBMITTED,    WORKER,            RECTIFICATION,        NULL,
         IF (s_guard_sheet_stored, s_guard_items_open),
         DO (s_act_score_original, s_act_start_rectification)),
    FOR (ANY,    RECTIFICATION,        FIXES_SUBMITTED,     APPLICANT,         VERIFICATION,         NULL,
         IF (s_guard_fixes),
         DO (s_act_record_fixes)),
    FOR (ANY,    RECTIFICATION,        DEADLINE_PASSED,     SYSTEM,            TERMINATED,           NULL,
         IF (s_guard_deadline_due),
         DO (s_act_close_overdue)),
    FOR (ANY,    VERIFICATION,         FIXES_ACCEPTED,      AUDITOR,           COMMITTEE_REVIEW,     "committee",
         IF (s_guard_verifier, s_guard_revised_sheet),
         DO (s_act_store_revised, s_act_rescore)),
    FOR (ANY,    VERIFICATION,         FIXES_REJECTED,      AUDITOR,           RECTIFICATION,        NULL,
         IF (s_guard_verifier, s_guard_verdicts, s_guard_rounds_left),
         DO (s_act_record_verdicts, s_act_extend_rectification)),
    FOR (ANY,    VERIFICATION,         FIXES_REJECTED,      AUDITOR,           TERMINATED,           NULL,
         IF (s_guard_verifier, s_guard_verdicts),
         DO (s_act_record_verdicts, s_act_close_ceiling)),
    FOR (ANY,    COMMITTEE_REVIEW,     COMMITTEE_FORMED,    WORKER,            COMMITTEE_REVIEW,     NULL,
         IF (s_guard_committee_unformed, s_guard_committee_members),
         DO (s_act_store_committee)),
    FOR (ANY,    COMMITTEE_REVIEW,     VOTE,                COMMITTEE,         COMMITTEE_REVIEW,     "committee",
         IF (s_guard_committee_formed, s_guard_independent, s_guard_member, s_guard_first_ballot, s_guard_ballot),
         DO (s_act_cast_ballot)),
    FOR (APPS,   COMMITTEE_REVIEW,     MAJORITY_GRANT,      WORKER,            ISSUANCE,             "issuance",
         IF (s_guard_majority_grant),
         DO (s_act_decide_grant)),
    FOR (VISITS, COMMITTEE_REVIEW,     MAJORITY_GRANT,      WORKER,            MAINTAINED,           NULL,
         IF (s_guard_majority_grant),
         DO (s_act_decide_grant)),
    FOR (ANY,    COMMITTEE_REVIEW,     MAJORITY_REFUSE,     WORKER,            NOT_APPROVED,         NULL,
         IF (s_guard_majority_refuse),
         DO (s_act_decide_refuse)),
    FOR (APPS,   ISSUANCE,             CERTIFICATE_ISSUED,  WORKER,            CERTIFIED,            NULL,
         IF (s_guard_certificate),
         DO (s_act_store_certificate)),
    //  A surveillance visit is opened by the certification body on a
    //  certificate with a visit to make; the certification contract covers it
    FOR (VISITS, NONE,                 SURVEILLANCE_OPENED, ADMIN,             AUDIT_PLANNING,       "planning",
         IF (s_guard_visit_to_make),
         DO (s_act_open_visit)),
    //  The applicant may withdraw an application at any time before the
    //  decision (a holder ends its certificate by cancelling it)
    FOR (APPS,   SUBMITTED,            WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
    FOR (APPS,   SUPPLEMENT_REQUESTED, WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
    FOR (APPS,   DOCUMENT_REVIEW,      WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
    FOR (APPS,   CONTRACT_PENDING,     WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
    FOR (APPS,   AUDIT_PLANNING,       WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
    FOR (APPS,   ONSITE_AUDIT,         WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
    FOR (APPS,   RECTIFICATION,        WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
    FOR (APPS,   VERIFICATION,         WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
    FOR (APPS,   COMMITTEE_REVIEW,     WITHDRAW,            APPLICANT,         WITHDRAWN,            NULL,
         IF (s_guard_reason), DO (s_act_close_withdrawn)),
};
// clang-format on

#undef FOR
#undef ANY
#undef APPS
#undef VISITS
#undef IF
#undef DO
#undef APPLICANT
#undef REVIEWER
#undef AUDITOR
#undef COMMITTEE
#undef ADMIN
#undef WORKER
#undef SYSTEM

#define S_ROW_COUNT (sizeof s_rows / sizeof s_rows[0])

const cf_fsm_row_t *
cf_fsm_rows (size_t *count)
{
    assert (count);
    *count = S_ROW_COUNT;
    return s_rows;
}

bool
cf_fsm_accepts (cf_state_t state, cf_event_t event)
{
    return cf_fsm_roles_for (state, event) != 0;
}

uint32_t
cf_fsm_roles_for (cf_state_t state, cf_event_t event)
{
    uint32_t roles = 0;
    for (size_t index = 0; index < S_ROW_COUNT; index++)
        if (s_rows[index].from == state && s_rows[index].event == event)
            roles |= s_rows[index].roles;
    return roles;
}

//  Writes the names of the roles in mask, comma separated, into text
static void
s_role_list (uint32_t mask, char *text, size_t size)
{
    size_t used = 0;
    text[0] = 0;
    for (int role = 1; role <= CF_ROLE_MAX; role++)
        if (mask & CF_ROLE_BIT (role))
            used += (size_t)snprintf (text + used, size - used, "%s%s",
                                      used ? ", " : "",
                                      cf_fsm_role_name ((cf_role_t)role));
    assert (used < size);
}

void
cf_fsm_dot (FILE *out)
{
    assert (out);
    fprintf (out, "digraph certflow {\n"
                  "    rankdir=LR;\n"
                  "    node [shape=circle, fontsize=10];\n"
                  "    edge [fontsize=9];\n");
    for (int state = 0; state < CF_STATE_COUNT; state++)
        fprintf (out, "    \"%s\" [label=\"%s\\n%s\"%s];\n",
                 s_states[state].name, s_states[state].name,
                 s_states[state].label,
                 s_states[state].terminal ? ", shape=doublecircle" : "");
    for (size_t index = 0; index < S_ROW_COUNT; index++) {
        const cf_fsm_row_t *row = &s_rows[index];
        char roles[128];
        s_role_list (row->roles, roles, sizeof roles);
        fprintf (out, "    \"%s\" -> \"%s\" [label=\"%s [%s]%s\"%s];\n",
                 cf_fsm_state_name (row->from), cf_fsm_state_name (row->next),
                 cf_fsm_event_name (row->event), roles,
                 row->kinds == CF_KIND_SURVEILLANCE ? " (visit)" : "",
                 row->kinds == CF_KIND_SURVEILLANCE ? ", style=dashed" : "");
    }
    fprintf (out, "}\n");
}

//  ------------------------------------------------------------------------
//  The executor

//  Refuses an event the state has no row for, naming what it accepts
//  The roles of the rows for (state, event) that hold for kinds
static uint32_t
s_roles_for (cf_state_t state, cf_event_t event, uint32_t kinds)
{
    uint32_t roles = 0;
    for (size_t index = 0; index < S_ROW_COUNT; index++)
        if (s_rows[index].from == state && s_rows[index].event == event &&
            (s_rows[index].kinds & kinds))
            roles |= s_rows[index].roles;
    return roles;
}

static int
s_check_transition (cf_state_t state, cf_event_t event, uint32_t kind,
                    cf_problems_t *problems)
{
    if (s_roles_for (state, event, kind))
        return 0;
    char accepted[512] = "";
    size_t used = 0;
    for (int other = 0; other < CF_EVENT_COUNT; other++)
        if (s_roles_for (state, (cf_event_t)other, kind))
            used += (size_t)snprintf (accepted + used, sizeof accepted - used,
                                      "%s%s", used ? ", " : "",
                                      s_event_names[other]);
    assert (used < sizeof accepted);
    cf_problems_add (problems, "fsm.transition",
                     "event '%s' does not apply in state '%s' (%s); %s%s",
                     cf_fsm_event_name (event), cf_fsm_state_name (state),
                     cf_fsm_state_label (state),
                     used ? "that state accepts: " : "that state is final",
                     accepted);
    return CF_ENOTRANSITION;
}

//  Refuses a principal whose role fires no row, or an applicant acting on
//  another organization's case
static int
s_check_principal (const Cf__Case *record, cf_event_t event,
                   const Cf__Principal *principal, const char *acts_for,
                   cf_problems_t *problems)
{
    cf_state_t state = (cf_state_t)record->state;
    uint32_t roles = s_roles_for (state, event, CF_KIND_BIT (record->kind));
    if (!(roles & s_role_bit (principal->role))) {
        char may[128];
        s_role_list (roles, may, sizeof may);
        cf_problems_add (problems, "fsm.role",
                         "role '%s' may not fire '%s' in state '%s'; the "
                         "roles that may: %s",
                         cf_fsm_role_name ((cf_role_t)principal->role),
                         cf_fsm_event_name (event), cf_fsm_state_name (state),
                         may);
        return CF_EFORBIDDEN;
    }
    if (principal->role != CF__ROLE__ROLE_APPLICANT ||
        event == CF_EVENT_SUBMIT || s_same (principal->org, record->org) ||
        (acts_for && s_same (acts_for, record->org)))
        return 0;
    cf_problems_add (problems, "fsm.org",
                     "applicant of organization '%s' may not act on case %s "
                     "of organization '%s'",
                     s_text (principal->org), s_text (record->id),
                     s_text (record->org));
    return CF_EFORBIDDEN;
}

//  Runs a row's guards in order, stopping at the first that refuses
static bool
s_guards_hold (const cf_fsm_ctx_t *ctx, cf_problems_t *problems)
{
    for (size_t index = 0; index < CF_FSM_GUARDS_MAX && ctx->row->guards[index];
         index++)
        if (ctx->row->guards[index](ctx, problems) != 0) {
            assert (cf_problems_size (problems) > 0);
            return false;
        }
    return true;
}

//  Finds the first row for (state, event, role) whose guards hold and sets
//  ctx->row. When none does, reports the problems of the first one tried.
static int
s_choose_row (cf_fsm_ctx_t *ctx, cf_event_t event, cf_problems_t *problems)
{
    cf_problems_t *first = cf_problems_new ();
    cf_problems_t *scratch = cf_problems_new ();
    uint32_t role = s_role_bit (ctx->principal->role);
    int rc = CF_EGUARD;
    bool tried = false;
    uint32_t kind = CF_KIND_BIT (ctx->record->kind);
    for (size_t index = 0; index < S_ROW_COUNT && rc; index++) {
        const cf_fsm_row_t *row = &s_rows[index];
        if (row->from != (cf_state_t)ctx->record->state ||
            row->event != event || !(row->roles & role) || !(row->kinds & kind))
            continue;
        ctx->row = row;
        cf_problems_reset (scratch);
        if (s_guards_hold (ctx, tried ? scratch : first))
            rc = 0;
        tried = true;
    }
    for (size_t index = 0; rc && index < cf_problems_size (first); index++)
        cf_problems_add (problems, cf_problems_code (first, index), "%s",
                         cf_problems_message (first, index));
    cf_problems_destroy (&first);
    cf_problems_destroy (&scratch);
    return rc;
}

//  Starts the applicant-waiting clock on entering a waiting state and adds
//  the wait to waiting_ms on leaving one (DOMAIN section 6)
static void
s_keep_waiting_clock (Cf__Case *draft, cf_state_t from, cf_state_t next,
                      int64_t now)
{
    bool waited = cf_fsm_state_applicant_waits (from);
    bool waits = cf_fsm_state_applicant_waits (next);
    if (waited && !waits) {
        if (draft->waiting_since > 0 && now > draft->waiting_since)
            draft->waiting_ms += now - draft->waiting_since;
        draft->waiting_since = 0;
    } else if (!waited && waits && next != CF_STATE_CONTRACT_PENDING)
        //  In contract_pending the wait starts with the contract's issue
        //  (s_act_await_signature), not on entry
        draft->waiting_since = now;
}

//  Runs the chosen row on a copy of the case and returns the copy
static Cf__Case *
s_apply (cf_fsm_ctx_t *ctx)
{
    const cf_fsm_row_t *row = ctx->row;
    Cf__Case *draft = cf_pb_dup (&ctx->record->base);
    ctx->draft = draft;
    if (row->next != row->from)
        draft->deadline_at = 0;
    for (size_t index = 0; index < CF_FSM_ACTIONS_MAX && row->actions[index];
         index++)
        row->actions[index](ctx);
    s_keep_waiting_clock (draft, row->from, row->next, ctx->now);
    draft->state = (Cf__State)row->next;
    draft->updated_at = ctx->now;
    return draft;
}

static void
s_note_consultancy (Cf__Case *draft, const char *org)
{
    for (size_t index = 0; index < draft->n_consultancies; index++)
        if (s_same (draft->consultancies[index], org))
            return;
    cf_pb_append_string (&draft->n_consultancies, &draft->consultancies, org);
}

int
cf_fsm_fire (Cf__Case **record_p, cf_event_t event, const cf_fsm_input_t *input,
             cf_fsm_outcome_t *outcome, cf_problems_t *problems)
{
    assert (record_p && *record_p);
    assert (input && input->scheme && input->principal);
    cf_fsm_ctx_t ctx = {.record = *record_p,
                        .scheme = input->scheme,
                        .principal = input->principal,
                        .data = input->data,
                        .now = input->now,
                        .today = cf_date_from_ms (input->now),
                        .input = input};
    cf_state_t from = (cf_state_t)ctx.record->state;
    int rc = s_check_transition (from, event, CF_KIND_BIT (ctx.record->kind),
                                 problems);
    if (rc == 0)
        rc = s_check_principal (ctx.record, event, ctx.principal,
                                input->acts_for, problems);
    if (rc == 0)
        rc = s_choose_row (&ctx, event, problems);
    if (rc)
        return rc;

    Cf__Case *draft = s_apply (&ctx);
    //  The case keeps every consultancy that acted on it (impartiality)
    if (input->acts_for)
        s_note_consultancy (draft, ctx.principal->org);
    cf_pb_free (record_p);
    *record_p = draft;
    if (outcome) {
        outcome->from = from;
        outcome->to = ctx.row->next;
        outcome->event = cf_fsm_event_name (ctx.row->event);
        outcome->job = ctx.row->job;
    }
    return 0;
}
