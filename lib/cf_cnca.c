/*  =========================================================================
    cf_cnca - the rows of the regulator's monthly report (CNCA)

    A row copies what its event recorded (the plan, the sheet, the change)
    and fills the rest from the case and the certificate: the company and
    its credit code, the scope, the standard, the dates. Team members are
    named with the registration numbers their staff records hold.
    =========================================================================
*/

#include "cf_cnca.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cf_certfsm.h"
#include "cf_date.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_score.h"
#include "cf_utf8.h"

static const char *const s_kinds[CF_CNCA_KINDS] = {
    CF_CNCA_PLAN, CF_CNCA_RESULT, CF_CNCA_CERTIFICATE, CF_CNCA_CHANGE};

int
cf_cnca_check_registration (const char *text)
{
    if (!text)
        return CF_EINVAL;
    size_t size = strlen (text);
    if (size == 0)
        return 0;
    if (size > CF_CNCA_REGISTRATION_MAX || text[0] == '-' || text[0] == '/')
        return CF_EINVAL;
    for (const char *at = text; *at; at++)
        if (!((*at >= '0' && *at <= '9') || (*at >= 'A' && *at <= 'Z') ||
              (*at >= 'a' && *at <= 'z') || *at == '-' || *at == '/'))
            return CF_EINVAL;
    return 0;
}

const char *
cf_cnca_kind_name (size_t index)
{
    return index < CF_CNCA_KINDS ? s_kinds[index] : NULL;
}

int
cf_cnca_month (const char *text, int64_t *start, int64_t *end)
{
    assert (start && end);
    char day[11];
    if (!text || strlen (text) != 7 || text[4] != '-')
        return CF_EINVAL;
    snprintf (day, sizeof day, "%s-01", text);
    cf_day_t first;
    if (cf_date_parse (day, &first) != 0)
        return CF_EINVAL;
    *start = cf_date_to_ms (first);
    *end = cf_date_to_ms (cf_date_add_months (first, 1));
    return 0;
}

char *
cf_cnca_month_of (int64_t ms, char *buffer)
{
    int year, month, mday;
    cf_date_to_ymd (cf_date_from_ms (ms), &year, &month, &mday);
    snprintf (buffer, 8, "%04d-%02d", year, month);
    return buffer;
}

const char *
cf_cnca_kind (const Cf__Event *event)
{
    if (!event || *event->refused)
        return NULL;
    if (strcmp (event->event, "audit_planned") == 0)
        return CF_CNCA_PLAN;
    if (strcmp (event->event, "scores_submitted") == 0 ||
        strcmp (event->event, "fixes_accepted") == 0)
        return CF_CNCA_RESULT;
    if (strcmp (event->event, "certificate_issued") == 0)
        return CF_CNCA_CERTIFICATE;
    if (*event->certificate && event->certificate_from != event->certificate_to)
        return CF_CNCA_CHANGE;
    return NULL;
}

static const char *
s_case_kind (const Cf__Case *record)
{
    switch (record->kind) {
        case CF__CASE_KIND__CASE_KIND_SURVEILLANCE:
            return "surveillance";
        case CF__CASE_KIND__CASE_KIND_RECERTIFICATION:
            return "recertification";
        default:
            return "initial";
    }
}

static const Cf__Staff *
s_staff_of (const cf_cnca_sources_t *sources, const char *id)
{
    for (size_t index = 0; index < sources->staff_count; index++)
        if (strcmp (sources->staff[index]->id, id) == 0)
            return sources->staff[index];
    return NULL;
}

static void
s_add_auditor (Cf__ReportRow *row, const char *id, bool leader,
               const cf_cnca_sources_t *sources, cf_problems_t *problems)
{
    Cf__ReportAuditor *auditor = cf_pb_new (&cf__report_auditor__descriptor);
    cf_pb_set_string (&auditor->id, id);
    auditor->leader = leader;
    const Cf__Staff *staff = s_staff_of (sources, id);
    if (!staff)
        cf_problems_add (problems, "cnca.staff",
                         "%.*s on the audit team of %s has no staff record: "
                         "add it with certflow staff put, with its "
                         "registration number",
                         CF_UTF8_CUT (id, CF_UTF8_QUOTE_MAX), row->case_id);
    else {
        cf_pb_set_string (&auditor->name, staff->name);
        cf_pb_set_string (&auditor->registration, staff->registration);
        if (!*staff->registration)
            cf_problems_add (problems, "cnca.registration",
                             "%s (%s) on the audit team of %s has no "
                             "registration number (CCAA 注册证书号): add "
                             "\"registration\" to the staff record and put "
                             "it again",
                             staff->id, staff->name, row->case_id);
    }
    cf_pb_append (&row->n_team, (void ***)&row->team, auditor);
}

static void
s_set_scope (Cf__ReportRow *row, char *const *scope, size_t count)
{
    for (size_t index = 0; index < count; index++)
        cf_pb_append_string (&row->n_scope, &row->scope, scope[index]);
}

//  What every row says of its event and case
static Cf__ReportRow *
s_row_new (const char *kind, const Cf__Event *event,
           const cf_cnca_sources_t *sources)
{
    Cf__ReportRow *row = cf_pb_new (&cf__report_row__descriptor);
    cf_pb_set_string (&row->kind, kind);
    row->seq = event->seq;
    row->at = event->at;
    cf_pb_set_string (&row->event, event->event);
    cf_pb_set_string (&row->action, sources->changed ? "changed" : "new");
    cf_pb_set_string (&row->standard, "GB/T 27922-2011");
    const Cf__Case *record = sources->record;
    if (record) {
        cf_pb_set_string (&row->case_id, record->id);
        cf_pb_set_string (&row->case_kind, s_case_kind (record));
        //  The certificate the case audits (a visit) or renews: what the
        //  case was about when the row was made, so a month's rows stay
        cf_pb_set_string (&row->certificate, record->subject);
        if (record->application) {
            cf_pb_set_string (&row->organization,
                              record->application->company_name);
            cf_pb_set_string (&row->uscc, record->application->uscc);
            s_set_scope (row, record->application->scope,
                         record->application->n_scope);
        }
    }
    const Cf__Certificate *cert = sources->certificate;
    if (cert) {
        cf_pb_set_string (&row->certificate, cert->number);
        cf_pb_set_string (&row->organization, cert->company_name);
        cf_pb_set_string (&row->uscc, cert->uscc);
        cf_pb_set_string (&row->standard, cert->standard);
        cf_pb_set_string (&row->grade, cert->grade);
        cf_pb_set_string (&row->issue_date, cert->issue_date);
        cf_pb_set_string (&row->expiry_date, cert->expiry_date);
        for (size_t index = 0; index < row->n_scope; index++)
            free (row->scope[index]);
        free (row->scope);
        row->scope = NULL;
        row->n_scope = 0;
        s_set_scope (row, cert->scope, cert->n_scope);
    }
    return row;
}

static void
s_team (Cf__ReportRow *row, const Cf__AuditPlan *plan,
        const cf_cnca_sources_t *sources, cf_problems_t *problems)
{
    if (!plan)
        return;
    cf_pb_set_string (&row->audit_start, plan->start_date);
    cf_pb_set_string (&row->audit_end, plan->end_date);
    if (*plan->leader)
        s_add_auditor (row, plan->leader, true, sources, problems);
    for (size_t index = 0; index < plan->n_members; index++)
        s_add_auditor (row, plan->members[index], false, sources, problems);
}

static void
s_result (Cf__ReportRow *row, const Cf__Event *event,
          const cf_cnca_sources_t *sources)
{
    const Cf__ScoreSheet *sheet =
        event->data && event->data->body_case == CF__EVENT_DATA__BODY_SHEET
            ? event->data->sheet
            : sources->sheet;
    if (!sheet)
        return;
    //  A rescored sheet keeps the day of the audit it rescores
    cf_pb_set_string (&row->audit_date, *sheet->audit_date || !sources->sheet
                                            ? sheet->audit_date
                                            : sources->sheet->audit_date);
    cf_score_t score;
    if (sources->scheme &&
        cf_score_compute (sources->scheme, sheet, &score, NULL) == 0) {
        row->score = score.score_tenths / 10.0;
        cf_pb_set_string (&row->grade,
                          score.grade ? score.grade->name : "fail");
        row->nonconformities = score.open_nonconformities;
    }
}

static void
s_change (Cf__ReportRow *row, const Cf__Event *event,
          const cf_cnca_sources_t *sources)
{
    char day[11];
    cf_pb_set_string (&row->status_from,
                      cf_certfsm_status_name (event->certificate_from));
    cf_pb_set_string (&row->status_to,
                      cf_certfsm_status_name (event->certificate_to));
    cf_day_t today = cf_date_from_ms (event->at);
    cf_pb_set_string (&row->status_date, cf_date_format (today, day));
    const Cf__CertificateChange *change =
        event->data && event->data->body_case == CF__EVENT_DATA__BODY_CHANGE
            ? event->data->change
            : NULL;
    if (change)
        cf_pb_set_string (&row->reason, change->reason);
    if (event->certificate_to != CF__CERT_STATUS__CERT_STATUS_SUSPENDED)
        return;
    const Cf__Certificate *cert = sources->certificate;
    if (cert->status_seq == event->seq && cert->suspension) {
        cf_pb_set_string (&row->trigger, cert->suspension->trigger);
        cf_pb_set_string (&row->suspended_until, cert->suspension->until);
        return;
    }
    //  Suspended since, and changed again: the terms as decided then
    const char *trigger = change && *change->trigger ? change->trigger
                          : strcmp (event->event, "surveillance_missed") == 0
                              ? "missed_surveillance"
                              : "surveillance_finding";
    cf_pb_set_string (&row->trigger, trigger);
    int months = change && change->months ? (int)change->months
                 : sources->scheme        ? sources->scheme->suspension_months
                                          : 0;
    if (months > 0)
        cf_pb_set_string (
            &row->suspended_until,
            cf_date_format (cf_date_add_months (today, months) - 1, day));
}

Cf__ReportRow *
cf_cnca_row (const char *kind, const Cf__Event *event,
             const cf_cnca_sources_t *sources, cf_problems_t *problems)
{
    assert (kind && event && sources);
    bool certificate = strcmp (kind, CF_CNCA_CERTIFICATE) == 0 ||
                       strcmp (kind, CF_CNCA_CHANGE) == 0;
    if (certificate && !sources->certificate)
        return NULL;
    Cf__ReportRow *row = s_row_new (kind, event, sources);
    const Cf__EventData *data = event->data;
    if (strcmp (kind, CF_CNCA_PLAN) == 0) {
        const Cf__AuditPlan *plan =
            data && data->body_case == CF__EVENT_DATA__BODY_PLAN ? data->plan
                                                                 : NULL;
        s_team (row, plan, sources, problems);
        if (plan)
            cf_pb_set_string (&row->audit_mode, plan->mode);
    } else if (strcmp (kind, CF_CNCA_RESULT) == 0) {
        //  The team that audited: the case's plan (a case is planned once)
        s_team (row, sources->record ? sources->record->plan : NULL, sources,
                problems);
        cf_pb_set_string (&row->grade, "");
        s_result (row, event, sources);
    } else if (strcmp (kind, CF_CNCA_CHANGE) == 0)
        s_change (row, event, sources);
    else if (strcmp (event->event, "certificate_superseded") == 0)
        cf_pb_set_string (&row->action, "reissued");
    return row;
}

//  ------------------------------------------------------------------------
//  CSV

void
cf_cnca_csv_field (FILE *out, const char *text)
{
    assert (out);
    if (!text || !*text)
        return;
    size_t size = strlen (text);
    bool formula = strchr ("=+-@\t\r", text[0]) != NULL;
    bool quote = strpbrk (text, ",\"\r\n") != NULL || text[0] == ' ' ||
                 text[size - 1] == ' ' || formula;
    if (quote)
        fputc ('"', out);
    if (formula)
        fputc ('\'', out);
    for (const char *at = text; *at; at++) {
        if (*at == '"')
            fputc ('"', out);
        fputc (*at, out);
    }
    if (quote)
        fputc ('"', out);
}

static void
s_csv_next (FILE *out, const char *text)
{
    fputc (',', out);
    cf_cnca_csv_field (out, text);
}

static void
s_csv_list (FILE *out, char *const *items, size_t count)
{
    size_t size = 1;
    for (size_t index = 0; index < count; index++)
        size += strlen (items[index]) + 2;
    char *joined = cf_mem_check (calloc (1, size));
    for (size_t index = 0; index < count; index++) {
        if (index)
            strcat (joined, "; ");
        strcat (joined, items[index]);
    }
    s_csv_next (out, joined);
    free (joined);
}

//  The leader, then the members: ids, names and registrations, each a list
static void
s_csv_team (FILE *out, const Cf__ReportRow *row)
{
    const Cf__ReportAuditor *leader = NULL;
    char **ids = cf_mem_check (calloc (row->n_team + 1, sizeof (char *)));
    char **names = cf_mem_check (calloc (row->n_team + 1, sizeof (char *)));
    char **registrations =
        cf_mem_check (calloc (row->n_team + 1, sizeof (char *)));
    size_t members = 0;
    for (size_t index = 0; index < row->n_team; index++) {
        const Cf__ReportAuditor *auditor = row->team[index];
        if (auditor->leader && !leader) {
            leader = auditor;
            continue;
        }
        ids[members] = auditor->id;
        names[members] = auditor->name;
        registrations[members] =
            *auditor->registration ? auditor->registration : "(none)";
        members++;
    }
    s_csv_next (out, leader ? leader->id : "");
    s_csv_next (out, leader ? leader->name : "");
    s_csv_next (out, leader ? leader->registration : "");
    s_csv_list (out, ids, members);
    s_csv_list (out, names, members);
    s_csv_list (out, registrations, members);
    free (ids);
    free (names);
    free (registrations);
}

//  The instant as the local time of China, "2026-11-03T10:12:00+08:00"
static void
s_csv_instant (FILE *out, int64_t ms)
{
    char day[11];
    int64_t local = ms + CF_DATE_TZ_OFFSET_MS;
    int64_t seconds = ((local % 86400000) + 86400000) % 86400000 / 1000;
    fprintf (out, ",%sT%02d:%02d:%02d+08:00",
             cf_date_format (cf_date_from_ms (ms), day), (int)(seconds / 3600),
             (int)(seconds / 60 % 60), (int)(seconds % 60));
}

static const char *const s_head_common =
    "seq,recorded_at,action,case_id,case_kind,certificate,organization,"
    "uscc,scope,standard";

int
cf_cnca_csv (FILE *out, const char *kind, Cf__ReportRow *const *rows,
             size_t count)
{
    assert (out && kind);
    const char *tail;
    if (strcmp (kind, CF_CNCA_PLAN) == 0)
        tail = "audit_start,audit_end,audit_mode,leader,leader_name,"
               "leader_registration,members,member_names,member_registrations";
    else if (strcmp (kind, CF_CNCA_RESULT) == 0)
        tail = "audit_start,audit_end,audit_date,score,grade,"
               "open_nonconformities,leader,leader_name,leader_registration,"
               "members,member_names,member_registrations";
    else if (strcmp (kind, CF_CNCA_CERTIFICATE) == 0)
        tail = "grade,issue_date,expiry_date";
    else if (strcmp (kind, CF_CNCA_CHANGE) == 0)
        tail = "grade,issue_date,expiry_date,event,status_from,status_to,"
               "status_date,reason,trigger,suspended_until";
    else
        return CF_EINVAL;
    fprintf (out, "%s,%s\r\n", s_head_common, tail);
    for (size_t index = 0; index < count; index++) {
        const Cf__ReportRow *row = rows[index];
        fprintf (out, "%llu", (unsigned long long)row->seq);
        s_csv_instant (out, row->at);
        s_csv_next (out, row->action);
        s_csv_next (out, row->case_id);
        s_csv_next (out, row->case_kind);
        s_csv_next (out, row->certificate);
        s_csv_next (out, row->organization);
        s_csv_next (out, row->uscc);
        s_csv_list (out, row->scope, row->n_scope);
        s_csv_next (out, row->standard);
        if (strcmp (kind, CF_CNCA_PLAN) == 0 ||
            strcmp (kind, CF_CNCA_RESULT) == 0) {
            s_csv_next (out, row->audit_start);
            s_csv_next (out, row->audit_end);
            if (strcmp (kind, CF_CNCA_PLAN) == 0)
                s_csv_next (out, row->audit_mode);
            else {
                s_csv_next (out, row->audit_date);
                fprintf (out, ",%.1f", row->score);
                s_csv_next (out, row->grade);
                fprintf (out, ",%u", row->nonconformities);
            }
            s_csv_team (out, row);
        } else {
            s_csv_next (out, row->grade);
            s_csv_next (out, row->issue_date);
            s_csv_next (out, row->expiry_date);
            if (strcmp (kind, CF_CNCA_CHANGE) == 0) {
                s_csv_next (out, row->event);
                s_csv_next (out, row->status_from);
                s_csv_next (out, row->status_to);
                s_csv_next (out, row->status_date);
                s_csv_next (out, row->reason);
                s_csv_next (out, row->trigger);
                s_csv_next (out, row->suspended_until);
            }
        }
        fputs ("\r\n", out);
    }
    return 0;
}
