/*  =========================================================================
    cf_show - case records, events, jobs and staff as people read them
    =========================================================================
*/

#include "cf_show.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cf_certfsm.h"
#include "cf_date.h"
#include "cf_fsm.h"
#include "cf_mem.h"
#include "cf_score.h"

#define S_DAY_MS  (24LL * 3600 * 1000)
#define S_HOUR_MS (3600LL * 1000)

//  Prints one formatted line (the newline is added) with every control
//  character of the result turned into a space: the values come from
//  other people and must not steer the terminal.
static void s_line (FILE *out, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_line (FILE *out, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = NULL;
    if (vasprintf (&text, format, args) < 0)
        cf_mem_fail ();
    va_end (args);
    for (char *cursor = text; *cursor; cursor++)
        if ((unsigned char)*cursor < 0x20 || *cursor == 0x7f)
            *cursor = ' ';
    fputs (text, out);
    fputc ('\n', out);
    free (text);
}

//  Returns the lower-case end of an enum value's name ("CERT_STATUS_VALID"
//  with prefix "CERT_STATUS_" gives "valid") in buffer, or "unknown".
static const char *
s_enum_word (const ProtobufCEnumDescriptor *descriptor, int value,
             const char *prefix, char *buffer, size_t size)
{
    const ProtobufCEnumValue *known =
        protobuf_c_enum_descriptor_get_value (descriptor, value);
    const char *name = known ? known->name : "unknown";
    if (known && strncmp (name, prefix, strlen (prefix)) == 0)
        name += strlen (prefix);
    size_t index = 0;
    for (; name[index] && index + 1 < size; index++)
        buffer[index] = (char)(name[index] >= 'A' && name[index] <= 'Z'
                                   ? name[index] - 'A' + 'a'
                                   : name[index]);
    buffer[index] = '\0';
    return buffer;
}

char *
cf_show_time (int64_t ms, char *buffer)
{
    assert (buffer);
    if (ms == 0) {
        strcpy (buffer, "-");
        return buffer;
    }
    ms = ms < CF_DATE_MS_MIN ? CF_DATE_MS_MIN : ms;
    ms = ms > CF_DATE_MS_MAX ? CF_DATE_MS_MAX : ms;
    cf_day_t day = cf_date_from_ms (ms);
    int64_t into_day = ms + CF_DATE_TZ_OFFSET_MS - (int64_t)day * S_DAY_MS;
    char date[11];
    snprintf (buffer, CF_SHOW_TIME_SIZE, "%s %02d:%02d+08:00",
              cf_date_format (day, date), (int)(into_day / S_HOUR_MS),
              (int)(into_day % S_HOUR_MS / 60000));
    return buffer;
}

//  Joins a repeated string field with ", " into a new string.
static char *
s_join (char **items, size_t count)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = cf_mem_check (open_memstream (&text, &size));
    for (size_t index = 0; index < count; index++)
        fprintf (out, "%s%s", index ? ", " : "", items[index]);
    if (fclose (out) != 0)
        cf_mem_fail ();
    return cf_mem_check (text);
}

static const char *
s_state (Cf__State state)
{
    return cf_fsm_state_name ((cf_state_t)state);
}

static const char *
s_label (Cf__State state)
{
    return cf_fsm_state_label ((cf_state_t)state);
}

//  "in 30 days", "in 5 hours", "overdue by 2 days" for a deadline: days
//  are calendar days in China time (a deadline 30 days out is "in 30
//  days" all day long), hours count when under two days are left
static void
s_left (int64_t deadline, int64_t now, char *buffer, size_t size)
{
    int64_t left = deadline - now;
    int64_t span = left < 0 ? -left : left;
    int64_t days = cf_date_from_ms (deadline) - cf_date_from_ms (now);
    if (days < 0)
        days = -days;
    bool in_days = span >= 2 * S_DAY_MS && days >= 2;
    int64_t amount = in_days ? days : span / S_HOUR_MS;
    const char *unit = in_days ? "day" : "hour";
    snprintf (buffer, size, "%s%" PRId64 " %s%s",
              left < 0 ? "overdue by " : "in ", amount, unit,
              amount == 1 ? "" : "s");
}

const char *
cf_show_grade (const cf_scheme_t *scheme, const char *name)
{
    const cf_grade_t *grade =
        scheme ? cf_scheme_grade_named (scheme, name) : NULL;
    return grade ? grade->label : name;
}

bool
cf_show_star_rule (const cf_scheme_t *scheme, double score,
                   const cf_grade_t *scored, const cf_grade_t *granted,
                   const char *held_since, char *buffer, size_t size)
{
    buffer[0] = '\0';
    if (!scheme || !scored || !granted || !scored->stars || granted->stars)
        return false;
    char possible[48] = "";
    cf_day_t since;
    if (held_since && cf_date_parse (held_since, &since) == 0) {
        char date[11];
        snprintf (
            possible, sizeof possible, ", possible from %s",
            cf_date_format (
                cf_date_add_months (since, scheme->star_wait_months), date));
    }
    snprintf (buffer, size,
              "%.1f reaches %s; granted %s: stars come only after %d months "
              "holding a compliant certificate (the star rule)%s",
              score, scored->label, granted->label, scheme->star_wait_months,
              possible);
    return true;
}

bool
cf_show_case_star_rule (const cf_scheme_t *scheme, const Cf__Case *record,
                        char *buffer, size_t size)
{
    buffer[0] = '\0';
    const Cf__ScoreResult *result = record->rescored && *record->rescored->grade
                                        ? record->rescored
                                        : record->original;
    cf_day_t decided;
    if (!scheme || !result || strcmp (record->decision, "grant") != 0 ||
        cf_date_parse (record->decision_date, &decided) != 0)
        return false;
    const cf_grade_t *scored = cf_scheme_grade_named (scheme, result->grade);
    const Cf__Committee *committee = record->committee;
    const cf_grade_t *granted = NULL;
    if (cf_score_grant_grade (scheme, scored, record->first_compliant_date,
                              decided, committee && committee->star_override,
                              committee ? committee->star_override_reason
                                        : NULL,
                              &granted, NULL) != 0)
        return false;
    const char *since = *record->first_compliant_date
                            ? record->first_compliant_date
                            : record->decision_date;
    return cf_show_star_rule (scheme, result->score, scored, granted, since,
                              buffer, size);
}

void
cf_show_score (FILE *out, const char *label, const Cf__ScoreResult *result,
               const cf_scheme_t *scheme)
{
    const cf_grade_t *grade =
        scheme ? cf_scheme_grade_named (scheme, result->grade) : NULL;
    s_line (out,
            "%-13s %.1f %s (earned %.2f of %.2f applicable, bonus %+d, "
            "%d deduction%s, %u open nonconformit%s)",
            label, result->score, grade ? grade->label : result->grade,
            result->earned, result->applicable, result->bonus,
            result->deductions, result->deductions == 1 ? "" : "s",
            result->open_nonconformities,
            result->open_nonconformities == 1 ? "y" : "ies");
}

static void
s_show_contract (FILE *out, const Cf__Contract *contract)
{
    char signature[200] = "not signed yet";
    if (*contract->signed_date)
        snprintf (signature, sizeof signature, "signed %s by %s",
                  contract->signed_date, contract->signed_by);
    s_line (out,
            "%-13s %s: %u.%u person-days, fee %" PRIu64 ".%02u yuan, issued "
            "%s, %s",
            "contract", contract->number, contract->person_days_tenths / 10,
            contract->person_days_tenths % 10, contract->fee_fen / 100,
            (unsigned)(contract->fee_fen % 100), contract->issued_date,
            signature);
}

static void
s_show_plan (FILE *out, const Cf__AuditPlan *plan)
{
    char *members = s_join (plan->members, plan->n_members);
    s_line (out, "%-13s leader %s%s%s; %s to %s%s%s%s", "team", plan->leader,
            plan->n_members ? ", members " : "", members, plan->start_date,
            plan->end_date, *plan->mode ? " (" : "", plan->mode,
            *plan->mode ? ")" : "");
    free (members);
}

static void
s_show_committee (FILE *out, const Cf__Committee *committee)
{
    char *members = s_join (committee->members, committee->n_members);
    s_line (out, "%-13s %s", "committee", *members ? members : "not formed");
    free (members);
    for (size_t index = 0; index < committee->n_ballots; index++) {
        const Cf__Ballot *ballot = committee->ballots[index];
        char vote[16], at[CF_SHOW_TIME_SIZE];
        s_line (out, "%-13s %s %s at %s%s%s", index ? "" : "votes",
                ballot->member,
                s_enum_word (&cf__vote__descriptor, (int)ballot->vote, "VOTE_",
                             vote, sizeof vote),
                cf_show_time (ballot->at, at), *ballot->reason ? ": " : "",
                ballot->reason);
    }
    if (committee->star_override)
        s_line (out, "%-13s stars granted early: %s", "",
                committee->star_override_reason);
}

void
cf_show_case (FILE *out, const Cf__Case *record, const cf_scheme_t *scheme,
              int64_t now)
{
    assert (out && record);
    char when[CF_SHOW_TIME_SIZE];
    s_line (out, "%-13s %s", "case", record->id);
    s_line (out, "%-13s %s %s", "state", s_state (record->state),
            s_label (record->state));
    const Cf__Application *application = record->application;
    if (application) {
        s_line (out, "%-13s %s (USCC %s)", "company", application->company_name,
                application->uscc);
        char *scope = s_join (application->scope, application->n_scope);
        s_line (out, "%-13s sector %s; scope %s", "applies for",
                application->sector, scope);
        free (scope);
    }
    if (*record->org)
        s_line (out, "%-13s %s", "org", record->org);
    if (record->n_consultancies) {
        char *acted = s_join (record->consultancies, record->n_consultancies);
        s_line (out, "%-13s %s%s%sacted: %s", "consultancy",
                *record->consultancy ? "submitted by " : "",
                record->consultancy, *record->consultancy ? "; " : "", acted);
        free (acted);
    }
    s_line (out, "%-13s %s", "scheme", record->scheme_version);
    s_line (out, "%-13s %s", "created",
            cf_show_time (record->created_at, when));
    s_line (out, "%-13s %s", "updated",
            cf_show_time (record->updated_at, when));
    if (record->deadline_at) {
        char left[48];
        s_left (record->deadline_at, now, left, sizeof left);
        s_line (out, "%-13s %s (%s)", "deadline",
                cf_show_time (record->deadline_at, when), left);
    }
    if (record->waiting_since)
        s_line (out, "%-13s on the applicant since %s", "waiting",
                cf_show_time (record->waiting_since, when));
    for (size_t index = 0; index < record->n_findings; index++)
        s_line (out, "%-13s %s: %s", index ? "" : "findings",
                record->findings[index]->item, record->findings[index]->reason);
    if (record->n_reviewers) {
        char *reviewers = s_join (record->reviewers, record->n_reviewers);
        s_line (out, "%-13s %s", "reviewed by", reviewers);
        free (reviewers);
    }
    if (record->contract && *record->contract->number)
        s_show_contract (out, record->contract);
    if (record->plan && *record->plan->leader)
        s_show_plan (out, record->plan);
    if (record->original && *record->original->grade)
        cf_show_score (out, "score", record->original, scheme);
    if (record->rescored && *record->rescored->grade)
        cf_show_score (out, "rescored", record->rescored, scheme);
    if (record->rectification_rounds)
        s_line (out, "%-13s %u round%s since %s%s%s", "rectification",
                record->rectification_rounds,
                record->rectification_rounds == 1 ? "" : "s",
                cf_show_time (record->rectification_started_at, when),
                *record->verifier ? ", verifier " : "", record->verifier);
    if (record->committee)
        s_show_committee (out, record->committee);
    if (*record->decision)
        s_line (out, "%-13s %s on %s", "decision", record->decision,
                record->decision_date);
    char rule[400];
    if (cf_show_case_star_rule (scheme, record, rule, sizeof rule))
        s_line (out, "%-13s %s", "grade", rule);
    if (*record->certificate)
        s_line (out, "%-13s %s", "certificate", record->certificate);
    if (*record->closing_reason)
        s_line (out, "%-13s %s", "closed", record->closing_reason);
    s_line (out, "%-13s %u (last seq %" PRIu64 ")", "events", record->events,
            record->last_seq);
}

//  Returns true for a code point a terminal shows two columns wide: the
//  East Asian wide and full-width blocks (Hangul, CJK, kana, full-width
//  forms).
static bool
s_wide (uint32_t code)
{
    return (code >= 0x1100 && code <= 0x115f) ||
           (code >= 0x2e80 && code <= 0xa4cf) ||
           (code >= 0xac00 && code <= 0xd7a3) ||
           (code >= 0xf900 && code <= 0xfaff) ||
           (code >= 0xfe30 && code <= 0xfe4f) ||
           (code >= 0xff00 && code <= 0xff60) ||
           (code >= 0xffe0 && code <= 0xffe6) || code >= 0x20000;
}

//  Columns text takes on a terminal.
static size_t
s_columns (const char *text)
{
    size_t columns = 0;
    const unsigned char *cursor = (const unsigned char *)text;
    while (*cursor) {
        uint32_t code = *cursor++;
        int more = code >= 0xf0 ? 3 : code >= 0xe0 ? 2 : code >= 0xc0 ? 1 : 0;
        code &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0xff;
        for (; more > 0 && (*cursor & 0xc0) == 0x80; more--)
            code = (code << 6) | (*cursor++ & 0x3f);
        columns += s_wide (code) ? 2 : 1;
    }
    return columns;
}

//  Writes text padded with spaces to width columns into buffer.
static const char *
s_pad (const char *text, size_t width, char *buffer, size_t size)
{
    size_t columns = s_columns (text);
    snprintf (buffer, size, "%s%*s", text,
              columns < width ? (int)(width - columns) : 0, "");
    return buffer;
}

void
cf_show_case_line (FILE *out, const Cf__Case *record)
{
    assert (out && record);
    char when[CF_SHOW_TIME_SIZE], label[64];
    s_line (out, "%-16s %-20s %s %s  (updated %s)", record->id,
            s_state (record->state),
            s_pad (s_label (record->state), 14, label, sizeof label),
            record->application ? record->application->company_name : "",
            cf_show_time (record->updated_at, when));
}

//  A few words on what came with an event, in buffer; "" for nothing.
static void
s_event_data (const Cf__EventData *data, char *buffer, size_t size)
{
    buffer[0] = '\0';
    if (!data)
        return;
    switch (data->body_case) {
        case CF__EVENT_DATA__BODY_APPLICATION:
            snprintf (buffer, size, "application of %s",
                      data->application->company_name);
            break;
        case CF__EVENT_DATA__BODY_REASON:
            snprintf (buffer, size, "%s", data->reason);
            break;
        case CF__EVENT_DATA__BODY_FINDINGS: {
            size_t used = 0;
            for (size_t index = 0;
                 index < data->findings->n_findings && used + 1 < size;
                 index++) {
                const Cf__Finding *finding = data->findings->findings[index];
                used += (size_t)snprintf (buffer + used, size - used,
                                          "%s%s: %s", index ? "; " : "",
                                          finding->item, finding->reason);
            }
            break;
        }
        case CF__EVENT_DATA__BODY_CONTRACT:
            snprintf (buffer, size, "contract %s", data->contract->number);
            break;
        case CF__EVENT_DATA__BODY_PLAN:
            snprintf (buffer, size, "leader %s, %s to %s", data->plan->leader,
                      data->plan->start_date, data->plan->end_date);
            break;
        case CF__EVENT_DATA__BODY_SHEET:
            snprintf (buffer, size,
                      "score sheet: %zu indicator%s, %zu nonconformit%s%s%s",
                      data->sheet->n_items,
                      data->sheet->n_items == 1 ? "" : "s",
                      data->sheet->n_nonconformities,
                      data->sheet->n_nonconformities == 1 ? "y" : "ies",
                      *data->sheet->audit_date ? ", audited " : "",
                      data->sheet->audit_date);
            break;
        case CF__EVENT_DATA__BODY_COMMITTEE: {
            char vote[16];
            if (data->committee->n_members)
                snprintf (buffer, size, "%zu member%s",
                          data->committee->n_members,
                          data->committee->n_members == 1 ? "" : "s");
            else
                snprintf (buffer, size, "%s%s%s%s",
                          s_enum_word (&cf__vote__descriptor,
                                       (int)data->committee->vote, "VOTE_",
                                       vote, sizeof vote),
                          data->committee->star_override ? " with stars" : "",
                          *data->committee->reason ? ": " : "",
                          data->committee->reason);
            break;
        }
        case CF__EVENT_DATA__BODY_CERTIFICATE:
            snprintf (buffer, size, "certificate %s, %s",
                      data->certificate->number, data->certificate->grade);
            break;
        case CF__EVENT_DATA__BODY_FIXES:
            snprintf (buffer, size, "%zu fix%s", data->fixes->n_fixes,
                      data->fixes->n_fixes == 1 ? "" : "es");
            break;
        case CF__EVENT_DATA__BODY_CHANGE: {
            const Cf__CertificateChange *change = data->change;
            snprintf (buffer, size, "%s%s%s%s%s%s", change->reason,
                      *change->trigger ? " (" : "", change->trigger,
                      *change->trigger ? ")" : "",
                      *change->successor ? "; successor " : "",
                      change->successor);
            break;
        }
        default:
            break;
    }
}

void
cf_show_event (FILE *out, const Cf__Event *event, bool with_case)
{
    assert (out && event);
    char when[CF_SHOW_TIME_SIZE], data[512];
    s_event_data (event->data, data, sizeof data);
    const Cf__Principal *who = event->principal;
    //  A certificate's change shows the certificate's statuses, not the
    //  case's (which stays certified)
    char moved[160];
    if (*event->report)
        //  The certification body's own event: a monthly report's
        snprintf (moved, sizeof moved, "CNCA report %s", event->report);
    else if (*event->certificate)
        snprintf (moved, sizeof moved, "%s %s → %s", event->certificate,
                  cf_show_cert_status (event->certificate_from),
                  cf_show_cert_status (event->certificate_to));
    else
        snprintf (moved, sizeof moved, "%s → %s", s_state (event->from),
                  s_state (event->to));
    s_line (out, "%6" PRIu64 "  %s  %s%s%s %s  %s(%s)%s%s%s%s%s", event->seq,
            cf_show_time (event->at, when),
            !with_case        ? ""
            : *event->case_id ? event->case_id
                              : "-",
            with_case ? "  " : "", event->event, moved,
            who && *who->name ? who->name : "?",
            who ? cf_fsm_role_name ((cf_role_t)who->role) : "?",
            *data ? " — " : "", data, *event->refused ? " [refused: " : "",
            event->refused, *event->refused ? "]" : "");
}

void
cf_show_job (FILE *out, const Cf__Job *job)
{
    assert (out && job);
    char status[24], due[CF_SHOW_TIME_SIZE];
    s_line (out, "job %-6" PRIu64 " %-16s %-10s %-7s attempts %u, due %s%s%s",
            job->id, job->case_id, job->stage,
            s_enum_word (&cf__job_status__descriptor, (int)job->status,
                         "JOB_STATUS_", status, sizeof status),
            job->attempts, cf_show_time (job->due_at, due),
            *job->last_error ? "; last error: " : "", job->last_error);
}

void
cf_show_staff (FILE *out, const Cf__Staff *staff)
{
    assert (out && staff);
    char *roles = s_join (staff->roles, staff->n_roles);
    char *sectors = s_join (staff->sectors, staff->n_sectors);
    s_line (out,
            "%-8s %s; roles %s; sectors %s; qualified %s to %s; "
            "registration %s%s%s",
            staff->id, staff->name, roles, *sectors ? sectors : "none",
            staff->qualified_from, staff->qualified_until,
            *staff->registration ? staff->registration : "none",
            staff->n_conflicts ? "; conflicts declared" : "",
            staff->active ? "" : "; retired");
    free (roles);
    free (sectors);
}

void
cf_show_appointment (FILE *out, const Cf__Appointment *appointment)
{
    assert (out && appointment);
    char *acts = s_join (appointment->acts, appointment->n_acts);
    char when[CF_SHOW_TIME_SIZE];
    s_line (out, "#%" PRIu64 " %s acts for %s (%s) from %s: %s%s",
            appointment->id, appointment->consultancy, appointment->company,
            appointment->uscc, appointment->from, acts,
            appointment->ended_at ? "; ended" : "");
    s_line (out, "    recorded %s by %s%s%s",
            cf_show_time (appointment->added_at, when),
            appointment->added_by ? appointment->added_by->name : "?",
            *appointment->reference ? "; reference " : "",
            appointment->reference);
    if (appointment->ended_at)
        s_line (out, "    ended %s by %s: %s",
                cf_show_time (appointment->ended_at, when),
                appointment->ended_by ? appointment->ended_by->name : "?",
                appointment->end_reason);
    free (acts);
}

const char *
cf_show_cert_status (Cf__CertStatus status)
{
    //  One name table: the certificate state machine's
    const char *name = cf_certfsm_status_name (status);
    return strcmp (name, "?") == 0 ? "unknown" : name;
}
