/*  =========================================================================
    cf_certfsm - the certificate's own state machine

    Read the table first (s_rows): it is the certificate's life after
    issuance. Guards read the certificate as it is; actions write a copy
    that replaces it only when the whole row has run.
    =========================================================================
*/

#include "cf_certfsm.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_fsm.h"
#include "cf_mem.h"
#include "cf_pb.h"

#define S_DAY_MS (24LL * 3600 * 1000)

typedef struct {
    const cf_certfsm_row_t *row;      //  Row being tried, then fired
    const Cf__Certificate *cert;      //  The certificate as it is
    Cf__Certificate *draft;           //  Its copy: what actions write
    const cf_certfsm_input_t *input;  //  Who, why, when
    cf_day_t today;                   //  The date of input->now, China time
} s_ctx_t;

typedef int (s_guard_fn) (const s_ctx_t *ctx, cf_problems_t *problems);
typedef void (s_action_fn) (s_ctx_t *ctx);

struct _cf_certfsm_row_t {
    Cf__CertStatus from;      //  In this status
    cf_cert_event_t event;    //  On this event
    uint32_t roles;           //  Fired by these roles (CF_ROLE_BIT)
    s_guard_fn *guards[3];    //  All must hold; NULL ends
    s_action_fn *actions[2];  //  Record it, in order; NULL ends
    Cf__CertStatus next;      //  Then the certificate is in this status
};

static const char *const s_event_names[] = {
#define CF_CERTFSM_EVENT_NAME(suffix, name, text) name,
    CF_CERTFSM_EVENT_MAP (CF_CERTFSM_EVENT_NAME)
#undef CF_CERTFSM_EVENT_NAME
};

static const char *const s_triggers[] = {
#define CF_CERTFSM_TRIGGER_NAME(suffix, name) name,
    CF_CERTFSM_TRIGGER_MAP (CF_CERTFSM_TRIGGER_NAME)
#undef CF_CERTFSM_TRIGGER_NAME
};

static bool
s_blank (const char *text)
{
    return !text || !*text;
}

static const char *
s_reason (const s_ctx_t *ctx)
{
    const Cf__CertificateChange *change = ctx->input->change;
    return change && change->reason ? change->reason : "";
}

const char *
cf_certfsm_event_name (cf_cert_event_t event)
{
    return (int)event >= 0 && event < CF_CERT_EVENT_COUNT ? s_event_names[event]
                                                          : "?";
}

int
cf_certfsm_event_from_name (const char *name, cf_cert_event_t *event)
{
    for (int index = 0; name && index < CF_CERT_EVENT_COUNT; index++)
        if (strcmp (name, s_event_names[index]) == 0) {
            *event = (cf_cert_event_t)index;
            return 0;
        }
    return CF_EINVAL;
}

const char *
cf_certfsm_status_name (Cf__CertStatus status)
{
    switch (status) {
        case CF__CERT_STATUS__CERT_STATUS_VALID:
            return "valid";
        case CF__CERT_STATUS__CERT_STATUS_SUSPENDED:
            return "suspended";
        case CF__CERT_STATUS__CERT_STATUS_WITHDRAWN:
            return "withdrawn";
        case CF__CERT_STATUS__CERT_STATUS_CANCELLED:
            return "cancelled";
        case CF__CERT_STATUS__CERT_STATUS_EXPIRED:
            return "expired";
        case CF__CERT_STATUS__CERT_STATUS_SUPERSEDED:
            return "superseded";
        default:
            return "?";
    }
}

bool
cf_certfsm_status_final (Cf__CertStatus status)
{
    return status == CF__CERT_STATUS__CERT_STATUS_WITHDRAWN ||
           status == CF__CERT_STATUS__CERT_STATUS_CANCELLED ||
           status == CF__CERT_STATUS__CERT_STATUS_EXPIRED ||
           status == CF__CERT_STATUS__CERT_STATUS_SUPERSEDED;
}

//  The end of day (its last millisecond, China time), as an instant
static int64_t
s_end_of (cf_day_t day)
{
    return cf_date_to_ms (day + 1) - 1;
}

static bool
s_is (const char *text, const char *value)
{
    return text && strcmp (text, value) == 0;
}

static bool
s_visit_passed (const Cf__Visit *visit)
{
    return s_is (visit->outcome, CF_VISIT_MAINTAINED) ||
           s_is (visit->outcome, CF_VISIT_GRADE_CHANGED);
}

const Cf__Visit *
cf_certfsm_visit_awaited (const Cf__Certificate *cert, size_t *index)
{
    for (size_t visit = 0; visit < cert->n_visits; visit++)
        if (!s_visit_passed (cert->visits[visit]) &&
            !cert->visits[visit]->missed) {
            if (index)
                *index = visit;
            return cert->visits[visit];
        }
    return NULL;
}

//  The visit the timer waits on (a draft's, to change it)
static Cf__Visit *
s_visit_awaited (const Cf__Certificate *cert)
{
    return (Cf__Visit *)cf_certfsm_visit_awaited (cert, NULL);
}

//  The open visit whose surveillance case is case_id, or NULL
static Cf__Visit *
s_visit_of (const Cf__Certificate *cert, const char *case_id)
{
    for (size_t index = 0; case_id && *case_id && index < cert->n_visits;
         index++)
        if (s_is (cert->visits[index]->outcome, CF_VISIT_OPEN) &&
            s_is (cert->visits[index]->case_id, case_id))
            return cert->visits[index];
    return NULL;
}

//  The last day a visit may be completed: its due date plus the grace
static int
s_visit_deadline (const Cf__Visit *visit, const cf_scheme_t *scheme,
                  cf_day_t *day)
{
    if (cf_date_parse (visit->due, day) != 0)
        return CF_EINVAL;
    *day += scheme->surveillance_grace_days;
    return 0;
}

//  Keeps the earlier of (*due, *event) and (at, event)
static void
s_earlier (int64_t *due, int *event, int64_t at, int which)
{
    if (at && (*due == 0 || at < *due)) {
        *due = at;
        *event = which;
    }
}

//  A valid certificate's next due instant and the event it brings
static int64_t
s_due_valid (const Cf__Certificate *cert, const cf_scheme_t *scheme,
             int *event_p)
{
    int64_t due = 0;
    int event = -1;
    cf_day_t expiry, day;
    bool dated = cf_date_parse (cert->expiry_date, &expiry) == 0;
    if (dated)
        //  A renewed certificate hands over to its successor at its end
        s_earlier (&due, &event, s_end_of (expiry),
                   s_blank (cert->superseded_by) ? CF_CERT_EVENT_EXPIRED
                                                 : CF_CERT_EVENT_SUPERSEDED);
    if (dated && !cert->renewal_reminded && s_blank (cert->renewal) &&
        s_blank (cert->superseded_by))
        s_earlier (&due, &event,
                   cf_date_to_ms (cf_date_add_months (
                       expiry + 1, -scheme->recertification_months)),
                   CF_CERT_EVENT_RENEWAL_DUE);
    const Cf__Visit *visit = s_visit_awaited (cert);
    if (visit && s_visit_deadline (visit, scheme, &day) == 0)
        s_earlier (&due, &event, s_end_of (day), CF_CERT_EVENT_VISIT_MISSED);
    if (visit && !visit->reminded && !s_is (visit->outcome, CF_VISIT_OPEN) &&
        cf_date_parse (visit->due, &day) == 0)
        s_earlier (&due, &event,
                   cf_date_to_ms (day - scheme->surveillance_reminder_days),
                   CF_CERT_EVENT_VISIT_DUE);
    if (event_p)
        *event_p = event;
    return due;
}

int64_t
cf_certfsm_due (const Cf__Certificate *cert, const cf_scheme_t *scheme)
{
    assert (cert && scheme);
    cf_day_t day;
    if (cert->status == CF__CERT_STATUS__CERT_STATUS_VALID)
        return s_due_valid (cert, scheme, NULL);
    if (cert->status == CF__CERT_STATUS__CERT_STATUS_SUSPENDED &&
        cert->suspension && cf_date_parse (cert->suspension->until, &day) == 0)
        return s_end_of (day);
    return 0;
}

int
cf_certfsm_due_event (const Cf__Certificate *cert, const cf_scheme_t *scheme,
                      int64_t now)
{
    assert (cert && scheme);
    if (cert->status == CF__CERT_STATUS__CERT_STATUS_VALID) {
        int event = -1;
        int64_t due = s_due_valid (cert, scheme, &event);
        return due && now >= due ? event : -1;
    }
    int64_t due = cf_certfsm_due (cert, scheme);
    return due && now >= due ? CF_CERT_EVENT_LAPSED : -1;
}

int
cf_certfsm_visit_to_make (const Cf__Certificate *cert, size_t *index,
                          cf_problems_t *problems)
{
    assert (cert);
    if (cf_certfsm_status_final (cert->status)) {
        cf_problems_add (problems, "visit.final",
                         "certificate %s is %s: there is nothing to visit",
                         cert->number, cf_certfsm_status_name (cert->status));
        return CF_EGUARD;
    }
    for (size_t visit = 0; visit < cert->n_visits; visit++) {
        if (s_visit_passed (cert->visits[visit]))
            continue;
        if (s_is (cert->visits[visit]->outcome, CF_VISIT_OPEN)) {
            cf_problems_add (problems, "visit.open",
                             "visit %zu of certificate %s is under way in "
                             "case %s; finish that one first",
                             visit + 1, cert->number,
                             cert->visits[visit]->case_id);
            return CF_EGUARD;
        }
        if (index)
            *index = visit;
        return 0;
    }
    cf_problems_add (problems, "visit.none",
                     "certificate %s has made all its %zu surveillance "
                     "visits; it expires on %s (apply for recertification)",
                     cert->number, cert->n_visits, cert->expiry_date);
    return CF_EGUARD;
}

//  ------------------------------------------------------------------------
//  Guards

static int
s_guard_reason (const s_ctx_t *ctx, cf_problems_t *problems)
{
    if (!s_blank (s_reason (ctx)))
        return 0;
    cf_problems_add (problems, "certfsm.reason",
                     "%s: the decision needs its reason in writing (for a "
                     "restoration: the evidence that the cause is cleared)",
                     cf_certfsm_event_name (ctx->row->event));
    return CF_EGUARD;
}

//  A suspension names its trigger, confirmed on a date at most the scheme's
//  suspension_decision_days before today and not after it
static int
s_guard_trigger (const s_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__CertificateChange *change = ctx->input->change;
    const char *trigger = change ? change->trigger : NULL;
    bool known = false;
    for (size_t index = 0;
         trigger && index < sizeof s_triggers / sizeof *s_triggers; index++)
        known = known || strcmp (trigger, s_triggers[index]) == 0;
    if (!known) {
        cf_problems_add (problems, "certfsm.trigger",
                         "a suspension names its trigger: missed_surveillance, "
                         "surveillance_finding, holder_request, misuse or "
                         "unpaid_fees (not '%s')",
                         trigger ? trigger : "");
        return CF_EGUARD;
    }
    cf_day_t day;
    char today[11];
    cf_date_format (ctx->today, today);
    if (cf_date_parse (change->trigger_date, &day) != 0 || day > ctx->today) {
        cf_problems_add (problems, "certfsm.trigger_date",
                         "the trigger's confirmation date '%s' is not a date "
                         "YYYY-MM-DD on or before today (%s)",
                         change->trigger_date, today);
        return CF_EGUARD;
    }
    int days = ctx->input->scheme->suspension_decision_days;
    if (ctx->today - day > days) {
        cf_problems_add (problems, "certfsm.decision_late",
                         "the trigger was confirmed on %s, more than %d days "
                         "before today (%s); a suspension is decided within "
                         "%d days of the confirmed trigger: confirm it anew",
                         change->trigger_date, days, today, days);
        return CF_EGUARD;
    }
    return 0;
}

static int
s_guard_months (const s_ctx_t *ctx, cf_problems_t *problems)
{
    uint32_t months = ctx->input->change ? ctx->input->change->months : 0;
    int most = ctx->input->scheme->suspension_months_max;
    if (months <= (uint32_t)most)
        return 0;
    cf_problems_add (problems, "certfsm.months",
                     "a suspension runs at most %d months, not %u", most,
                     months);
    return CF_EGUARD;
}

//  The timers: each fires only once its day has run out
static int
s_guard_timer (const s_ctx_t *ctx, cf_problems_t *problems, int64_t due,
               const char *what)
{
    if (due && ctx->input->now >= due)
        return 0;
    cf_problems_add (problems, "certfsm.not_due", "%s: the certificate's %s",
                     cf_certfsm_event_name (ctx->row->event), what);
    return CF_EGUARD;
}

static int
s_guard_expired (const s_ctx_t *ctx, cf_problems_t *problems)
{
    cf_day_t day;
    int64_t due =
        cf_date_parse (ctx->cert->expiry_date, &day) == 0 ? s_end_of (day) : 0;
    return s_guard_timer (ctx, problems, due, "validity has not run out");
}

static int
s_guard_lapsed (const s_ctx_t *ctx, cf_problems_t *problems)
{
    return s_guard_timer (ctx, problems,
                          cf_certfsm_due (ctx->cert, ctx->input->scheme),
                          "suspension has not run out");
}

static int
s_guard_visit_overdue (const s_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Visit *visit = s_visit_awaited (ctx->cert);
    cf_day_t day;
    int64_t due =
        visit && s_visit_deadline (visit, ctx->input->scheme, &day) == 0
            ? s_end_of (day)
            : 0;
    return s_guard_timer (ctx, problems, due,
                          "next surveillance visit is not overdue");
}

static int
s_guard_visit_reminder (const s_ctx_t *ctx, cf_problems_t *problems)
{
    const Cf__Visit *visit = s_visit_awaited (ctx->cert);
    cf_day_t day;
    int64_t due =
        visit && !visit->reminded && cf_date_parse (visit->due, &day) == 0
            ? cf_date_to_ms (day -
                             ctx->input->scheme->surveillance_reminder_days)
            : 0;
    return s_guard_timer (ctx, problems, due,
                          "next visit is not yet to be reminded of");
}

static int
s_guard_renewal_reminder (const s_ctx_t *ctx, cf_problems_t *problems)
{
    cf_day_t expiry;
    int64_t due =
        !ctx->cert->renewal_reminded &&
                cf_date_parse (ctx->cert->expiry_date, &expiry) == 0
            ? cf_date_to_ms (cf_date_add_months (
                  expiry + 1, -ctx->input->scheme->recertification_months))
            : 0;
    return s_guard_timer (ctx, problems, due,
                          "renewal may not be applied for yet");
}

//  The change names the surveillance case of an open visit
static int
s_guard_visit_case (const s_ctx_t *ctx, cf_problems_t *problems)
{
    const char *case_id = ctx->input->change ? ctx->input->change->case_id : "";
    if (s_visit_of (ctx->cert, case_id))
        return 0;
    cf_problems_add (problems, "certfsm.visit",
                     "%s: case '%s' is no open surveillance visit of "
                     "certificate %s",
                     cf_certfsm_event_name (ctx->row->event),
                     case_id ? case_id : "", ctx->cert->number);
    return CF_EGUARD;
}

bool
cf_certfsm_suspended_by_surveillance (const Cf__Certificate *cert)
{
    const Cf__Suspension *suspension = cert->suspension;
    return suspension && (s_is (suspension->trigger, "missed_surveillance") ||
                          s_is (suspension->trigger, "surveillance_finding"));
}

//  The suspension came from surveillance, so a passed visit clears it
static bool
s_surveillance_cause (const s_ctx_t *ctx)
{
    return cf_certfsm_suspended_by_surveillance (ctx->cert);
}

static int
s_guard_surveillance_cause (const s_ctx_t *ctx, cf_problems_t *problems)
{
    if (s_surveillance_cause (ctx))
        return 0;
    cf_problems_add (problems, "certfsm.cause",
                     "the suspension (%s) was not for surveillance; a passed "
                     "visit does not clear it",
                     ctx->cert->suspension ? ctx->cert->suspension->trigger
                                           : "none");
    return CF_EGUARD;
}

static int
s_guard_other_cause (const s_ctx_t *ctx, cf_problems_t *problems)
{
    if (!s_surveillance_cause (ctx))
        return 0;
    cf_problems_add (problems, "certfsm.cause",
                     "the suspension was for surveillance: the passed visit "
                     "clears it");
    return CF_EGUARD;
}

static int
s_guard_successor (const s_ctx_t *ctx, cf_problems_t *problems)
{
    const char *successor =
        ctx->input->change ? ctx->input->change->successor : NULL;
    if (!s_blank (successor) && strcmp (successor, ctx->cert->number) != 0)
        return 0;
    cf_problems_add (problems, "certfsm.successor",
                     "a superseded certificate names the certificate that "
                     "replaces it; reissue it to make that one");
    return CF_EGUARD;
}

//  ------------------------------------------------------------------------
//  Actions

//  Suspends the draft from the day from, on trigger confirmed on
//  trigger_date, for months (0: the scheme's period)
static void
s_suspend (s_ctx_t *ctx, const char *trigger, const char *trigger_date,
           cf_day_t from, uint32_t months)
{
    if (months == 0)
        months = (uint32_t)ctx->input->scheme->suspension_months;
    Cf__Suspension *suspension = cf_pb_new (&cf__suspension__descriptor);
    char day[11];
    cf_pb_set_string (&suspension->trigger, trigger);
    cf_pb_set_string (&suspension->trigger_date, trigger_date);
    cf_pb_set_string (&suspension->from, cf_date_format (from, day));
    cf_pb_set_string (
        &suspension->until,
        cf_date_format (cf_date_add_months (from, (int)months) - 1, day));
    cf_pb_free (&ctx->draft->suspension);
    ctx->draft->suspension = suspension;
}

static void
s_act_suspend (s_ctx_t *ctx)
{
    const Cf__CertificateChange *change = ctx->input->change;
    s_suspend (ctx, change->trigger, change->trigger_date, ctx->today,
               change->months);
}

static void
s_act_restore (s_ctx_t *ctx)
{
    cf_pb_free (&ctx->draft->suspension);
}

//  The awaited visit ran out: suspended from the day after its last day
static void
s_act_suspend_missed (s_ctx_t *ctx)
{
    Cf__Visit *visit = s_visit_awaited (ctx->draft);
    cf_day_t last;
    int rc = s_visit_deadline (visit, ctx->input->scheme, &last);
    assert (rc == 0);
    (void)rc;
    visit->missed = true;
    char day[11];
    s_suspend (ctx, "missed_surveillance", cf_date_format (last + 1, day),
               last + 1, 0);
}

static void
s_visit_close (s_ctx_t *ctx, const char *outcome)
{
    Cf__Visit *visit = s_visit_of (ctx->draft, ctx->input->change->case_id);
    char day[11];
    cf_pb_set_string (&visit->outcome, outcome);
    cf_pb_set_string (&visit->date, cf_date_format (ctx->today, day));
}

static void
s_act_visit_passed (s_ctx_t *ctx)
{
    s_visit_close (ctx, CF_VISIT_MAINTAINED);
}

static void
s_act_visit_failed (s_ctx_t *ctx)
{
    s_visit_close (ctx, CF_VISIT_FAILED);
}

static void
s_act_suspend_finding (s_ctx_t *ctx)
{
    char day[11];
    s_suspend (ctx, "surveillance_finding", cf_date_format (ctx->today, day),
               ctx->today, 0);
}

static void
s_act_visit_reminded (s_ctx_t *ctx)
{
    s_visit_awaited (ctx->draft)->reminded = true;
}

static void
s_act_renewal_reminded (s_ctx_t *ctx)
{
    ctx->draft->renewal_reminded = true;
}

//  The successor is named; a grade changed by a visit closes that visit
static void
s_act_supersede (s_ctx_t *ctx)
{
    const Cf__CertificateChange *change = ctx->input->change;
    cf_pb_set_string (&ctx->draft->superseded_by, change->successor);
    if (s_visit_of (ctx->draft, change->case_id))
        s_visit_close (ctx, CF_VISIT_GRADE_CHANGED);
}

//  ------------------------------------------------------------------------
//  The table: the certificate's life after issuance

// clang-format off
#define ROW(from, event, roles, next, guards, actions) \
    {CF__CERT_STATUS__CERT_STATUS_##from, CF_CERT_EVENT_##event, roles, guards, actions, CF__CERT_STATUS__CERT_STATUS_##next}
#define IF(...)   {__VA_ARGS__}
#define DO(...)   {__VA_ARGS__}
#define HOLDER    CF_ROLE_BIT (CF_ROLE_APPLICANT)
#define ADMIN     CF_ROLE_BIT (CF_ROLE_ADMIN)
#define COMMITTEE CF_ROLE_BIT (CF_ROLE_COMMITTEE)
#define SYSTEM    CF_ROLE_BIT (CF_ROLE_SYSTEM)
#define DECIDES   (ADMIN | COMMITTEE)

static const cf_certfsm_row_t s_rows[] = {
    //   from       event         roles              next
    ROW (VALID,     SUSPENDED,    DECIDES,           SUSPENDED,
         IF (s_guard_reason, s_guard_trigger, s_guard_months), DO (s_act_suspend)),
    ROW (SUSPENDED, RESTORED,     DECIDES,           VALID,
         IF (s_guard_reason), DO (s_act_restore)),
    ROW (SUSPENDED, LAPSED,       SYSTEM,            WITHDRAWN,
         IF (s_guard_lapsed), DO (NULL)),
    ROW (VALID,     WITHDRAWN,    DECIDES,           WITHDRAWN,
         IF (s_guard_reason), DO (NULL)),
    ROW (SUSPENDED, WITHDRAWN,    DECIDES,           WITHDRAWN,
         IF (s_guard_reason), DO (NULL)),
    ROW (VALID,     CANCELLED,    HOLDER | ADMIN,    CANCELLED,
         IF (s_guard_reason), DO (NULL)),
    ROW (SUSPENDED, CANCELLED,    HOLDER | ADMIN,    CANCELLED,
         IF (s_guard_reason), DO (NULL)),
    ROW (VALID,     EXPIRED,      SYSTEM,            EXPIRED,
         IF (s_guard_expired), DO (NULL)),
    //  A reissue (a change of name, address or scope decided by the body, a
    //  grade changed by a visit, a recertification) replaces it
    ROW (VALID,     SUPERSEDED,   DECIDES | SYSTEM,  SUPERSEDED,
         IF (s_guard_reason, s_guard_successor), DO (s_act_supersede)),
    ROW (SUSPENDED, SUPERSEDED,   DECIDES | SYSTEM,  SUPERSEDED,
         IF (s_guard_reason, s_guard_successor), DO (s_act_supersede)),
    //  Surveillance: a visit not completed by its due date and the scheme's
    //  grace suspends; the outcome of a surveillance case is recorded on the
    //  visit, and a passed one lifts a suspension that surveillance caused
    ROW (VALID,     VISIT_MISSED, SYSTEM,            SUSPENDED,
         IF (s_guard_visit_overdue), DO (s_act_suspend_missed)),
    ROW (VALID,     VISIT_PASSED, SYSTEM,            VALID,
         IF (s_guard_reason, s_guard_visit_case), DO (s_act_visit_passed)),
    ROW (SUSPENDED, VISIT_PASSED, SYSTEM,            VALID,
         IF (s_guard_reason, s_guard_visit_case, s_guard_surveillance_cause),
         DO (s_act_visit_passed, s_act_restore)),
    ROW (SUSPENDED, VISIT_PASSED, SYSTEM,            SUSPENDED,
         IF (s_guard_reason, s_guard_visit_case, s_guard_other_cause),
         DO (s_act_visit_passed)),
    ROW (VALID,     VISIT_FAILED, SYSTEM,            SUSPENDED,
         IF (s_guard_reason, s_guard_visit_case),
         DO (s_act_visit_failed, s_act_suspend_finding)),
    ROW (SUSPENDED, VISIT_FAILED, SYSTEM,            SUSPENDED,
         IF (s_guard_reason, s_guard_visit_case), DO (s_act_visit_failed)),
    //  Reminders, for the holder and the body, in the certificate's history
    ROW (VALID,     VISIT_DUE,    SYSTEM,            VALID,
         IF (s_guard_visit_reminder), DO (s_act_visit_reminded)),
    ROW (VALID,     RENEWAL_DUE,  SYSTEM,            VALID,
         IF (s_guard_renewal_reminder), DO (s_act_renewal_reminded)),
};
// clang-format on

#undef ROW
#undef IF
#undef DO
#undef DECIDES
#undef HOLDER
#undef ADMIN
#undef COMMITTEE
#undef SYSTEM

#define S_ROW_COUNT (sizeof s_rows / sizeof s_rows[0])

uint32_t
cf_certfsm_roles_for (Cf__CertStatus status, cf_cert_event_t event)
{
    uint32_t roles = 0;
    for (size_t index = 0; index < S_ROW_COUNT; index++)
        if (s_rows[index].from == status && s_rows[index].event == event)
            roles |= s_rows[index].roles;
    return roles;
}

void
cf_certfsm_dot (FILE *out)
{
    fprintf (out, "digraph certificate {\n    rankdir=LR;\n"
                  "    node [shape=circle, fontsize=10];\n"
                  "    edge [fontsize=9];\n");
    for (int status = CF__CERT_STATUS__CERT_STATUS_VALID;
         status <= CF__CERT_STATUS__CERT_STATUS_SUPERSEDED; status++)
        fprintf (out, "    \"%s\"%s;\n",
                 cf_certfsm_status_name ((Cf__CertStatus)status),
                 cf_certfsm_status_final ((Cf__CertStatus)status)
                     ? " [shape=doublecircle]"
                     : "");
    for (size_t index = 0; index < S_ROW_COUNT; index++) {
        const cf_certfsm_row_t *row = &s_rows[index];
        fprintf (out, "    \"%s\" -> \"%s\" [label=\"%s [",
                 cf_certfsm_status_name (row->from),
                 cf_certfsm_status_name (row->next),
                 cf_certfsm_event_name (row->event));
        const char *separator = "";
        for (int role = 1; role <= CF_ROLE_MAX; role++)
            if (row->roles & CF_ROLE_BIT (role)) {
                fprintf (out, "%s%s", separator,
                         cf_fsm_role_name ((cf_role_t)role));
                separator = ", ";
            }
        fprintf (out, "]\"];\n");
    }
    fprintf (out, "}\n");
}

//  Records the change on the draft: the new status, its date and why
static void
s_record (s_ctx_t *ctx)
{
    char day[11], *reason = NULL;
    const Cf__Certificate *cert = ctx->cert;
    //  A visit recorded on a certificate that stays as it was is no change of
    //  its status: the status date and reason stay those of the last change
    if (ctx->row->next == ctx->row->from)
        return;
    cf_cert_event_t event = ctx->row->event;
    //  (a renewed certificate, superseded at its end, is one too)
    bool timer =
        event == CF_CERT_EVENT_EXPIRED || event == CF_CERT_EVENT_LAPSED ||
        event == CF_CERT_EVENT_VISIT_MISSED ||
        (event == CF_CERT_EVENT_SUPERSEDED && !s_blank (cert->superseded_by));
    //  A timer's change is dated the day that ran out; a decision, today
    cf_day_t dated =
        timer ? cf_date_from_ms (cf_certfsm_due (cert, ctx->input->scheme))
              : ctx->today;
    if (event == CF_CERT_EVENT_EXPIRED)
        reason = cf_mem_check (strdup ("the validity ran out"));
    else if (event == CF_CERT_EVENT_LAPSED) {
        if (asprintf (&reason,
                      "the suspension (%s) ran out on %s without the cause "
                      "cleared",
                      cert->suspension->trigger, cert->suspension->until) < 0)
            cf_mem_fail ();
    } else if (event == CF_CERT_EVENT_VISIT_MISSED) {
        const Cf__Visit *visit = s_visit_awaited (cert);
        if (asprintf (&reason,
                      "the surveillance visit due %s was not completed by "
                      "%s",
                      visit->due, cf_date_format (dated, day)) < 0)
            cf_mem_fail ();
    } else
        reason = cf_mem_check (strdup (s_reason (ctx)));
    cf_pb_set_string (&ctx->draft->status_reason, reason);
    free (reason);
    cf_pb_set_string (&ctx->draft->status_date, cf_date_format (dated, day));
    ctx->draft->status = ctx->row->next;
}

int
cf_certfsm_fire (Cf__Certificate **cert_p, cf_cert_event_t event,
                 const cf_certfsm_input_t *input, Cf__CertStatus *to_p,
                 cf_problems_t *problems)
{
    assert (cert_p && *cert_p && input && input->principal);
    const Cf__Certificate *cert = *cert_p;
    const Cf__Principal *who = input->principal;
    uint32_t roles = cf_certfsm_roles_for (cert->status, event);
    if (!roles) {
        cf_problems_add (problems, "certfsm.transition",
                         "%s does not apply to a certificate that is %s",
                         cf_certfsm_event_name (event),
                         cf_certfsm_status_name (cert->status));
        return CF_ENOTRANSITION;
    }
    if (!(roles & CF_ROLE_BIT (who->role))) {
        cf_problems_add (problems, "certfsm.role",
                         "role '%s' may not fire %s on a %s certificate",
                         cf_fsm_role_name ((cf_role_t)who->role),
                         cf_certfsm_event_name (event),
                         cf_certfsm_status_name (cert->status));
        return CF_EFORBIDDEN;
    }
    if (who->role == CF__ROLE__ROLE_APPLICANT &&
        (s_blank (who->org) || !input->org || strcmp (who->org, input->org))) {
        cf_problems_add (problems, "certfsm.org",
                         "organization %s does not hold certificate %s",
                         who->org ? who->org : "", cert->number);
        return CF_EFORBIDDEN;
    }
    s_ctx_t ctx = {
        .cert = cert, .input = input, .today = cf_date_from_ms (input->now)};
    //  Rows sharing (status, event) are tried in order; when none holds,
    //  the problems are those of the first
    cf_problems_t *first = cf_problems_new (), *scratch = cf_problems_new ();
    int rc = CF_EGUARD;
    bool tried = false;
    for (size_t index = 0; index < S_ROW_COUNT && rc; index++) {
        const cf_certfsm_row_t *row = &s_rows[index];
        if (row->from != cert->status || row->event != event ||
            !(row->roles & CF_ROLE_BIT (who->role)))
            continue;
        ctx.row = row;
        cf_problems_reset (scratch);
        rc = 0;
        for (size_t guard = 0; guard < 3 && row->guards[guard] && rc == 0;
             guard++)
            rc = row->guards[guard](&ctx, tried ? scratch : first);
        tried = true;
    }
    for (size_t index = 0; rc && index < cf_problems_size (first); index++)
        cf_problems_add (problems, cf_problems_code (first, index), "%s",
                         cf_problems_message (first, index));
    cf_problems_destroy (&first);
    cf_problems_destroy (&scratch);
    if (rc)
        return rc;
    ctx.draft = cf_pb_dup (&cert->base);
    for (size_t action = 0; action < 2 && ctx.row->actions[action]; action++)
        ctx.row->actions[action](&ctx);
    s_record (&ctx);
    cf_pb_free (cert_p);
    *cert_p = ctx.draft;
    if (to_p)
        *to_p = ctx.row->next;
    return 0;
}
