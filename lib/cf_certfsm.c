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
    Cf__CertStatus from;    //  In this status
    cf_cert_event_t event;  //  On this event
    uint32_t roles;         //  Fired by these roles (CF_ROLE_BIT)
    s_guard_fn *guards[3];  //  All must hold; NULL ends
    s_action_fn *action;    //  Records it, or NULL
    Cf__CertStatus next;    //  Then the certificate is in this status
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

int64_t
cf_certfsm_due (const Cf__Certificate *cert)
{
    cf_day_t day;
    if (cert->status == CF__CERT_STATUS__CERT_STATUS_VALID &&
        cf_date_parse (cert->expiry_date, &day) == 0)
        return s_end_of (day);
    if (cert->status == CF__CERT_STATUS__CERT_STATUS_SUSPENDED &&
        cert->suspension && cf_date_parse (cert->suspension->until, &day) == 0)
        return s_end_of (day);
    return 0;
}

int
cf_certfsm_due_event (const Cf__Certificate *cert, int64_t now)
{
    int64_t due = cf_certfsm_due (cert);
    if (due == 0 || now < due)
        return -1;
    return cert->status == CF__CERT_STATUS__CERT_STATUS_VALID
               ? CF_CERT_EVENT_EXPIRED
               : CF_CERT_EVENT_LAPSED;
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

//  A suspension names its trigger, confirmed on a date at most
//  CF_CERTFSM_DECISION_DAYS before today and not after it
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
    if (ctx->today - day > CF_CERTFSM_DECISION_DAYS) {
        cf_problems_add (problems, "certfsm.decision_late",
                         "the trigger was confirmed on %s, more than %d days "
                         "before today (%s); a suspension is decided within "
                         "%d days of the confirmed trigger: confirm it anew",
                         change->trigger_date, CF_CERTFSM_DECISION_DAYS, today,
                         CF_CERTFSM_DECISION_DAYS);
        return CF_EGUARD;
    }
    return 0;
}

static int
s_guard_months (const s_ctx_t *ctx, cf_problems_t *problems)
{
    uint32_t months = ctx->input->change ? ctx->input->change->months : 0;
    if (months <= CF_CERTFSM_SUSPENSION_MONTHS_MAX)
        return 0;
    cf_problems_add (problems, "certfsm.months",
                     "a suspension runs at most %d months, not %u",
                     CF_CERTFSM_SUSPENSION_MONTHS_MAX, months);
    return CF_EGUARD;
}

//  The certificate's own timer has come due
static int
s_guard_due (const s_ctx_t *ctx, cf_problems_t *problems)
{
    int64_t due = cf_certfsm_due (ctx->cert);
    if (due && ctx->input->now >= due)
        return 0;
    cf_problems_add (
        problems, "certfsm.not_due", "%s: the certificate's %s has not run out",
        cf_certfsm_event_name (ctx->row->event),
        ctx->cert->status == CF__CERT_STATUS__CERT_STATUS_VALID ? "validity"
                                                                : "suspension");
    return CF_EGUARD;
}

//  ------------------------------------------------------------------------
//  Actions

static void
s_act_suspend (s_ctx_t *ctx)
{
    const Cf__CertificateChange *change = ctx->input->change;
    uint32_t months =
        change->months ? change->months : CF_CERTFSM_SUSPENSION_MONTHS;
    Cf__Suspension *suspension = cf_pb_new (&cf__suspension__descriptor);
    char day[11];
    cf_pb_set_string (&suspension->trigger, change->trigger);
    cf_pb_set_string (&suspension->trigger_date, change->trigger_date);
    cf_pb_set_string (&suspension->from, cf_date_format (ctx->today, day));
    cf_pb_set_string (
        &suspension->until,
        cf_date_format (cf_date_add_months (ctx->today, (int)months), day));
    cf_pb_free (&ctx->draft->suspension);
    ctx->draft->suspension = suspension;
}

static void
s_act_restore (s_ctx_t *ctx)
{
    cf_pb_free (&ctx->draft->suspension);
}

//  ------------------------------------------------------------------------
//  The table: the certificate's life after issuance

// clang-format off
#define ROW(from, event, roles, next, guards, action) \
    {CF__CERT_STATUS__CERT_STATUS_##from, CF_CERT_EVENT_##event, roles, guards, action, CF__CERT_STATUS__CERT_STATUS_##next}
#define IF(...)   {__VA_ARGS__}
#define HOLDER    CF_ROLE_BIT (CF_ROLE_APPLICANT)
#define ADMIN     CF_ROLE_BIT (CF_ROLE_ADMIN)
#define COMMITTEE CF_ROLE_BIT (CF_ROLE_COMMITTEE)
#define SYSTEM    CF_ROLE_BIT (CF_ROLE_SYSTEM)

static const cf_certfsm_row_t s_rows[] = {
    //   from       event      roles              next
    ROW (VALID,     SUSPENDED, ADMIN | COMMITTEE, SUSPENDED,
         IF (s_guard_reason, s_guard_trigger, s_guard_months), s_act_suspend),
    ROW (SUSPENDED, RESTORED,  ADMIN | COMMITTEE, VALID,
         IF (s_guard_reason), s_act_restore),
    ROW (SUSPENDED, LAPSED,    SYSTEM,            WITHDRAWN,
         IF (s_guard_due), NULL),
    ROW (VALID,     WITHDRAWN, ADMIN | COMMITTEE, WITHDRAWN,
         IF (s_guard_reason), NULL),
    ROW (SUSPENDED, WITHDRAWN, ADMIN | COMMITTEE, WITHDRAWN,
         IF (s_guard_reason), NULL),
    ROW (VALID,     CANCELLED, HOLDER | ADMIN,    CANCELLED,
         IF (s_guard_reason), NULL),
    ROW (SUSPENDED, CANCELLED, HOLDER | ADMIN,    CANCELLED,
         IF (s_guard_reason), NULL),
    ROW (VALID,     EXPIRED,   SYSTEM,            EXPIRED,
         IF (s_guard_due), NULL),
};
// clang-format on

#undef ROW
#undef IF
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
    if (ctx->row->event == CF_CERT_EVENT_EXPIRED)
        reason = cf_mem_check (strdup ("the validity ran out"));
    else if (ctx->row->event == CF_CERT_EVENT_LAPSED) {
        if (asprintf (&reason,
                      "the suspension (%s) ran out on %s without the cause "
                      "cleared",
                      cert->suspension->trigger, cert->suspension->until) < 0)
            cf_mem_fail ();
    } else
        reason = cf_mem_check (strdup (s_reason (ctx)));
    cf_pb_set_string (&ctx->draft->status_reason, reason);
    free (reason);
    //  A timer's change is dated the day that ran out; a decision, today
    cf_day_t dated = ctx->today;
    if (ctx->row->event == CF_CERT_EVENT_EXPIRED ||
        ctx->row->event == CF_CERT_EVENT_LAPSED)
        dated = cf_date_from_ms (cf_certfsm_due (cert));
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
    int rc = CF_EGUARD;
    for (size_t index = 0; index < S_ROW_COUNT && rc; index++) {
        const cf_certfsm_row_t *row = &s_rows[index];
        if (row->from != cert->status || row->event != event ||
            !(row->roles & CF_ROLE_BIT (who->role)))
            continue;
        ctx.row = row;
        rc = 0;
        for (size_t guard = 0; guard < 3 && row->guards[guard] && rc == 0;
             guard++)
            rc = row->guards[guard](&ctx, problems);
    }
    if (rc)
        return rc;
    ctx.draft = cf_pb_dup (&cert->base);
    if (ctx.row->action)
        ctx.row->action (&ctx);
    s_record (&ctx);
    cf_pb_free (cert_p);
    *cert_p = ctx.draft;
    if (to_p)
        *to_p = ctx.row->next;
    return 0;
}
