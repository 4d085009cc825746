/*  =========================================================================
    cf_fsm - the case state machine: the workflow of DOMAIN.md section 1

    States, events and roles come from the X-macros below, which give both
    the enums and the name tables used in logs, on the wire and in the
    client's output. The transition table in cf_fsm.c is the workflow: a
    row {from, event, roles, guards, actions, next, job} says who may fire
    an event in a state, what must hold, what is recorded, where the case
    goes and which automated stage the daemon enqueues next.

    The module is pure: it changes a case record in memory and reports what
    happened. Storing the record, writing the event log and enqueueing the
    job are the caller's work.

    Roles are protobuf values used as bits: a row's roles mask holds
    CF_ROLE_BIT (role) for every role that may fire it.
    =========================================================================
*/

#ifndef CF_FSM_H_INCLUDED
#define CF_FSM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"

// clang-format off
//  X (suffix, name, proto value, zh label, terminal, applicant waits).
//  "Applicant waits" states stop the service-level clock (DOMAIN section 6).
#define CF_STATE_MAP(X)                                                                                                      \
    X (NONE,                 "none",                 CF__STATE__STATE_UNSPECIFIED,           "未申请",         false, false) \
    X (SUBMITTED,            "submitted",            CF__STATE__STATE_SUBMITTED,             "已申请",         false, false) \
    X (SUPPLEMENT_REQUESTED, "supplement_requested", CF__STATE__STATE_SUPPLEMENT_REQUESTED,  "补充材料",       false, true)  \
    X (DOCUMENT_REVIEW,      "document_review",      CF__STATE__STATE_DOCUMENT_REVIEW,       "文件审查",       false, false) \
    X (REJECTED,             "rejected",             CF__STATE__STATE_REJECTED,              "不予受理",       true,  false) \
    X (CONTRACT_PENDING,     "contract_pending",     CF__STATE__STATE_CONTRACT_PENDING,      "合同评审/待签",  false, true)  \
    X (AUDIT_PLANNING,       "audit_planning",       CF__STATE__STATE_AUDIT_PLANNING,        "审查策划",       false, false) \
    X (ONSITE_AUDIT,         "onsite_audit",         CF__STATE__STATE_ONSITE_AUDIT,          "现场评审",       false, false) \
    X (RECTIFICATION,        "rectification",        CF__STATE__STATE_RECTIFICATION,         "整改",           false, true)  \
    X (VERIFICATION,         "verification",         CF__STATE__STATE_VERIFICATION,          "整改验证",       false, false) \
    X (COMMITTEE_REVIEW,     "committee_review",     CF__STATE__STATE_COMMITTEE_REVIEW,      "评审委员会审定", false, false) \
    X (ISSUANCE,             "issuance",             CF__STATE__STATE_ISSUANCE,              "颁证",           false, false) \
    X (CERTIFIED,            "certified",            CF__STATE__STATE_CERTIFIED,             "已发证",         true,  false) \
    X (NOT_APPROVED,         "not_approved",         CF__STATE__STATE_NOT_APPROVED,          "不予认证",       true,  false) \
    X (TERMINATED,           "terminated",           CF__STATE__STATE_TERMINATED,            "终止",           true,  false) \
    X (WITHDRAWN,            "withdrawn",            CF__STATE__STATE_WITHDRAWN,             "申请人撤回",     true,  false) \
    X (CLOSED,               "closed",               CF__STATE__STATE_CLOSED,                "已关闭",         true,  false) \
    X (MAINTAINED,           "maintained",           CF__STATE__STATE_MAINTAINED,            "监督保持",       true,  false)

//  X (suffix, name, what it means)
#define CF_EVENT_MAP(X)                                                                    \
    X (SUBMIT,             "submit",             "applicant submits an application")       \
    X (INTAKE_PASSED,      "intake_passed",      "materials complete, applicant eligible") \
    X (INTAKE_INCOMPLETE,  "intake_incomplete",  "materials missing: supplement them")     \
    X (INTAKE_INELIGIBLE,  "intake_ineligible",  "applicant not eligible")                 \
    X (SUPPLEMENTED,       "supplemented",       "applicant supplied the materials")       \
    X (DEADLINE_PASSED,    "deadline_passed",    "the applicant's time ran out")           \
    X (DOCS_ACCEPTED,      "docs_accepted",      "documents pass review")                  \
    X (DOCS_DEFICIENT,     "docs_deficient",     "documents need supplements")             \
    X (DOCS_INELIGIBLE,    "docs_ineligible",    "documents show ineligibility")           \
    X (CONTRACT_ISSUED,    "contract_issued",    "contract sent for signature")            \
    X (CONTRACT_SIGNED,    "contract_signed",    "applicant signed the contract")          \
    X (AUDIT_PLANNED,      "audit_planned",      "audit team and dates chosen")            \
    X (SHEET_SUBMITTED,    "sheet_submitted",    "team leader filed the score sheet")      \
    X (SCORES_SUBMITTED,   "scores_submitted",   "the sheet was scored")                   \
    X (FIXES_SUBMITTED,    "fixes_submitted",    "applicant filed corrections")            \
    X (FIXES_ACCEPTED,     "fixes_accepted",     "verifier accepted the fixes")            \
    X (FIXES_REJECTED,     "fixes_rejected",     "verifier rejected the fixes")            \
    X (COMMITTEE_FORMED,   "committee_formed",   "decision committee chosen")              \
    X (VOTE,               "vote",               "a committee member votes")               \
    X (MAJORITY_GRANT,     "majority_grant",     "a majority granted")                     \
    X (MAJORITY_REFUSE,    "majority_refuse",    "the committee refused")                  \
    X (CERTIFICATE_ISSUED, "certificate_issued", "certificate numbered")                   \
    X (WITHDRAW,           "withdraw",           "applicant withdraws, with a reason")    \
    X (SURVEILLANCE_OPENED, "surveillance_opened", "a certificate's next visit is opened")

//  X (suffix, name, proto value, who it is)
#define CF_ROLE_MAP(X)                                                                              \
    X (APPLICANT, "applicant", CF__ROLE__ROLE_APPLICANT,  "consultancy or company owning the case") \
    X (REVIEWER,  "reviewer",  CF__ROLE__ROLE_REVIEWER,   "document reviewer")                      \
    X (AUDITOR,   "auditor",   CF__ROLE__ROLE_AUDITOR,    "audit team member")                      \
    X (COMMITTEE, "committee", CF__ROLE__ROLE_COMMITTEE,  "decision committee member")              \
    X (ADMIN,     "admin",     CF__ROLE__ROLE_ADMIN,      "certification body operator")            \
    X (WORKER,    "worker",    CF__ROLE__ROLE_WORKER,     "automated stage worker")                 \
    X (MONITOR,   "monitor",   CF__ROLE__ROLE_MONITOR,    "read-only observer")                     \
    X (SYSTEM,    "system",    CF__ROLE__ROLE_SYSTEM,     "the daemon's own timers")
// clang-format on

//  The states; each value's meaning is its row of CF_STATE_MAP
typedef enum {
#define CF_FSM_STATE_ENUM(suffix, name, value, label, terminal, waits)         \
    CF_STATE_##suffix = value,
    CF_STATE_MAP (CF_FSM_STATE_ENUM)
#undef CF_FSM_STATE_ENUM
} cf_state_t;

//  The events; each value's meaning is its row of CF_EVENT_MAP
typedef enum {
#define CF_FSM_EVENT_ENUM(suffix, name, text) CF_EVENT_##suffix,
    CF_EVENT_MAP (CF_FSM_EVENT_ENUM)
#undef CF_FSM_EVENT_ENUM
} cf_event_t;

//  The roles; each value's meaning is its row of CF_ROLE_MAP
typedef enum {
    CF_ROLE_NONE = 0,  //  Unspecified: may fire nothing
#define CF_FSM_ROLE_ENUM(suffix, name, value, text) CF_ROLE_##suffix = value,
    CF_ROLE_MAP (CF_FSM_ROLE_ENUM)
#undef CF_FSM_ROLE_ENUM
} cf_role_t;

#define CF_FSM_PLUS_ONE(...) +1
//  Number of states (values 0 .. CF_STATE_COUNT - 1, as in the proto)
#define CF_STATE_COUNT (0 CF_STATE_MAP (CF_FSM_PLUS_ONE))
//  Number of events (values 0 .. CF_EVENT_COUNT - 1)
#define CF_EVENT_COUNT (0 CF_EVENT_MAP (CF_FSM_PLUS_ONE))
//  Largest role value (roles run 1 .. CF_ROLE_MAX)
#define CF_ROLE_MAX (0 CF_ROLE_MAP (CF_FSM_PLUS_ONE))

//  The bit of a role in a row's roles mask
#define CF_ROLE_BIT(role) (1u << (unsigned)(role))

//  The bit of a case kind (Cf__CaseKind) in a row's kinds mask. An
//  application (initial or recertification) runs every stage; a
//  surveillance visit starts at audit planning and ends maintained.
#define CF_KIND_BIT(kind) (1u << (unsigned)(kind))
#define CF_KIND_APPLICATIONS                                                   \
    (CF_KIND_BIT (CF__CASE_KIND__CASE_KIND_INITIAL) |                          \
     CF_KIND_BIT (CF__CASE_KIND__CASE_KIND_RECERTIFICATION))
#define CF_KIND_SURVEILLANCE CF_KIND_BIT (CF__CASE_KIND__CASE_KIND_SURVEILLANCE)
#define CF_KIND_ANY          (CF_KIND_APPLICATIONS | CF_KIND_SURVEILLANCE)

//  Most guards / actions one row has
#define CF_FSM_GUARDS_MAX  6
#define CF_FSM_ACTIONS_MAX 4

//  What guards and actions see: the case, the scheme, the principal, the
//  event data and the instant. Private to cf_fsm.c.
typedef struct _cf_fsm_ctx_t cf_fsm_ctx_t;

//  A guard returns 0 when its condition holds, else CF_EGUARD after adding
//  problems that say what failed and how to put it right.
typedef int (cf_fsm_guard_fn) (const cf_fsm_ctx_t *ctx,
                               cf_problems_t *problems);

//  An action records something on the case; it cannot fail (every check is
//  a guard, and out of memory aborts).
typedef void (cf_fsm_action_fn) (cf_fsm_ctx_t *ctx);

//  One row of the transition table
typedef struct {
    cf_state_t from;   //  In this state
    cf_event_t event;  //  On this event
    uint32_t kinds;    //  Of a case of these kinds (CF_KIND_BIT)
    uint32_t roles;    //  Fired by these roles (CF_ROLE_BIT)
    cf_fsm_guard_fn *guards[CF_FSM_GUARDS_MAX];     //  All must hold; NULL ends
    cf_fsm_action_fn *actions[CF_FSM_ACTIONS_MAX];  //  Run in order; NULL ends
    cf_state_t next;  //  Then the case is in this state
    const char *job;  //  Stage to enqueue after firing, or NULL
} cf_fsm_row_t;

//  What fire needs besides the case. The facts that live beyond the case
//  (staff records, the company's earlier certificates) are looked up by the
//  caller in the store, so that every rule is checked against the store
//  whoever fires the event.
typedef struct {
    const cf_scheme_t *scheme;       //  Governs the case
    const Cf__Principal *principal;  //  Who fires (transport-authenticated)
    const Cf__EventData *data;       //  What came with the event; may be NULL
    int64_t now;                     //  Transition instant, ms since epoch
    Cf__Staff *const *staff;         //  Staff records: needed by audit_planned
                                     //  and committee_formed (none: refused)
    size_t staff_count;              //  How many
    const char *first_certified;     //  Date the company (by USCC) first held
                                     //  a certificate; NULL or "": never.
                                     //  Read by majority_grant (star rule)
    const Cf__Certificate *certificate;  //  surveillance_opened: the
                                         //  certificate visited; submit of a
                                         //  recertification: the one renewed
    bool renewal_open;                   //  submit of a recertification:
                                         //  another one for it is open
    Cf__Certificate *const *held;        //  submit of an initial
                                         //  application: the company's
                                         //  certificates (by credit code)
    size_t held_count;                   //  How many
    const Cf__Case *certified;           //  surveillance_opened: the case
                                         //  that granted it
    const char *acts_for;  //  An applicant of a consultancy acting by
                           //  appointment: the company it acts for (the
                           //  caller checked that the appointment runs
                           //  and grants the act); NULL: the principal
                           //  acts for its own organization
} cf_fsm_input_t;

//  What a successful fire did
typedef struct {
    cf_state_t from;    //  State before
    cf_state_t to;      //  State after (may equal from)
    const char *event;  //  Name of the event fired (static)
    const char *job;    //  Stage the caller must enqueue, or NULL
} cf_fsm_outcome_t;

//  ------------------------------------------------------------------------
//  Names. Every *_name function returns a static string, "?" for a value
//  outside its map. Every *_from_name function returns 0 and sets *out, or
//  CF_EINVAL for NULL or an unknown name (then *out is untouched).

const char *cf_fsm_state_name (cf_state_t state);
int CF_MUST_CHECK cf_fsm_state_from_name (const char *name, cf_state_t *state);

//  Returns the Chinese label of a state ("文件审查"), "?" outside the map.
const char *cf_fsm_state_label (cf_state_t state);

//  Returns true for a state with no way out (rejected, certified, ...).
bool cf_fsm_state_terminal (cf_state_t state);

//  Returns true for a state in which the case waits on the applicant.
bool cf_fsm_state_applicant_waits (cf_state_t state);

const char *cf_fsm_event_name (cf_event_t event);
int CF_MUST_CHECK cf_fsm_event_from_name (const char *name, cf_event_t *event);

//  Roles: "none" is not a name; CF_ROLE_NONE gives "?".
const char *cf_fsm_role_name (cf_role_t role);
int CF_MUST_CHECK cf_fsm_role_from_name (const char *name, cf_role_t *role);

//  ------------------------------------------------------------------------
//  The table

//  Returns the transition table (static, read-only); *count gets its length.
const cf_fsm_row_t *cf_fsm_rows (size_t *count);

//  Returns true when some row leaves state on event.
bool cf_fsm_accepts (cf_state_t state, cf_event_t event);

//  Returns the union of the roles masks of the rows for (state, event); 0
//  when there is none.
uint32_t cf_fsm_roles_for (cf_state_t state, cf_event_t event);

//  Prints the table as a Graphviz digraph: one node per state (terminal
//  ones as double circles, labelled "name\nzh label"), one edge per row
//  labelled "event [roles]".
void cf_fsm_dot (FILE *out);

//  ------------------------------------------------------------------------
//  The executor

//  Fires event on the case *record_p (a heap tree: unpacked, cf_pb_new'd or
//  cf_pb_dup'd). For submit, pass a fresh case with its id set and state 0.
//
//  The rows for (state, event) are tried in table order; the first whose
//  roles include the principal's role and whose guards all hold is fired on
//  a deep copy: the deadline is cleared if the state changes, the actions
//  run, the state becomes next, updated_at becomes now and the applicant
//  waiting clock (waiting_since, waiting_ms) starts or stops. Then *record_p
//  is replaced by the copy and the old tree is freed.
//
//  input->scheme and input->principal are required; input->data may be NULL.
//  outcome, when not NULL, gets what happened. problems may be NULL.
//
//  Returns 0 on success, or on failure, with *record_p untouched:
//    CF_ENOTRANSITION  no row for (state, event); problem "fsm.transition"
//                      lists the events the state accepts
//    CF_EFORBIDDEN     the principal's role is in no row ("fsm.role", names
//                      the roles that may), or an applicant acts on another
//                      organization's case ("fsm.org")
//    CF_EGUARD         a guard refused; problems say which rule and why
//                      (when several rows apply, those of the first row)
int CF_MUST_CHECK cf_fsm_fire (Cf__Case **record_p, cf_event_t event,
                               const cf_fsm_input_t *input,
                               cf_fsm_outcome_t *outcome,
                               cf_problems_t *problems);

#endif
