/*  =========================================================================
    cf_plan - contract review, the audit team and the decision committee
    =========================================================================
*/

#include "cf_plan.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cf_case.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_utf8.h"

//  The parts of an audit-time computation, kept for the rationale
typedef struct {
    const cf_audit_time_t *step;  //  Step of the table that applied
    uint32_t floor_employees;     //  Previous step's bound (unbounded step)
    uint64_t base;                //  Base time, tenths
    uint64_t outlets;             //  Number of fixed outlets
    uint64_t outlet_time;         //  Their time, tenths
    uint64_t extra;               //  Scope items past the first
    uint64_t extra_time;          //  Their time, tenths
    uint64_t total;               //  Audit time, tenths
    uint64_t fee;                 //  Fee, fen
} s_audit_time_t;

//  A staff record and where it came in the caller's list
typedef struct {
    const Cf__Staff *staff;  //  Borrowed record
    size_t index;            //  Position given: breaks ties of ids
} s_candidate_t;

//  protobuf-c strings are never NULL once decoded; hand-built ones may be
static const char *
s_text (const char *text)
{
    return text ? text : "";
}

static bool
s_listed (char *const *items, size_t count, const char *value)
{
    for (size_t index = 0; index < count; index++)
        if (items[index] && strcmp (items[index], value) == 0)
            return true;
    return false;
}

static bool
s_has_role (const Cf__Staff *staff, const char *role)
{
    return s_listed (staff->roles, staff->n_roles, role);
}

static void
s_problems_move (cf_problems_t *target, cf_problems_t **source_p)
{
    for (size_t index = 0; index < cf_problems_size (*source_p); index++)
        cf_problems_add (target, cf_problems_code (*source_p, index), "%s",
                         cf_problems_message (*source_p, index));
    cf_problems_destroy (source_p);
}

//  Writes tenths as "2.5" into buffer (at least 24 bytes)
static char *
s_tenths (uint64_t tenths, char *buffer)
{
    snprintf (buffer, 24, "%" PRIu64 ".%" PRIu64, tenths / 10, tenths % 10);
    return buffer;
}

//  Writes fen as yuan "3000.00" into buffer (at least 24 bytes)
static char *
s_yuan (uint64_t fen, char *buffer)
{
    snprintf (buffer, 24, "%" PRIu64 ".%02" PRIu64, fen / 100, fen % 100);
    return buffer;
}

static int
s_audit_time (const cf_scheme_t *scheme, const Cf__Application *application,
              s_audit_time_t *result, cf_problems_t *problems)
{
    assert (scheme && application && result);
    memset (result, 0, sizeof *result);
    int rc = 0;
    if (application->employees == 0) {
        cf_problems_add (problems, "application.employees",
                         "the application gives 0 employees; state the "
                         "number of employees, the audit time depends on it");
        rc = CF_EINVAL;
    }
    if (application->n_scope == 0) {
        cf_problems_add (problems, "application.scope",
                         "the application names no product or service in its "
                         "scope; list at least one");
        rc = CF_EINVAL;
    }
    if (rc)
        return rc;

    for (size_t index = 0; index < scheme->audit_time_count; index++) {
        const cf_audit_time_t *step = &scheme->audit_time[index];
        if (step->max_employees == 0 ||
            application->employees <= step->max_employees) {
            result->step = step;
            break;
        }
        result->floor_employees = step->max_employees;
    }
    if (!result->step || result->step->person_days_tenths < 0 ||
        scheme->outlet_person_days_tenths < 0 ||
        scheme->category_person_days_tenths < 0) {
        cf_problems_add (problems, "scheme.audit_time",
                         "scheme %s has no usable audit-time step for %" PRIu32
                         " employees; end the table with a step without "
                         "max_employees and use no negative times",
                         s_text (scheme->version), application->employees);
        return CF_ESCHEME;
    }
    result->base = (uint64_t)result->step->person_days_tenths;
    result->outlets = application->n_outlets;
    result->extra = application->n_scope - 1;
    uint64_t with_outlets, scaled;
    bool overflow =
        __builtin_mul_overflow (result->outlets,
                                (uint64_t)scheme->outlet_person_days_tenths,
                                &result->outlet_time) ||
        __builtin_mul_overflow (result->extra,
                                (uint64_t)scheme->category_person_days_tenths,
                                &result->extra_time) ||
        __builtin_add_overflow (result->base, result->outlet_time,
                                &with_outlets) ||
        __builtin_add_overflow (with_outlets, result->extra_time,
                                &result->total) ||
        result->total > UINT32_MAX ||
        __builtin_mul_overflow (result->total, scheme->day_rate_fen, &scaled) ||
        scaled > UINT64_MAX - 5 ||
        __builtin_add_overflow ((scaled + 5) / 10, scheme->application_fee_fen,
                                &result->fee);
    if (overflow) {
        cf_problems_add (problems, "plan.limit",
                         "the audit time or fee for %zu outlets and %zu scope "
                         "items does not fit its field; check the application",
                         application->n_outlets, application->n_scope);
        return CF_ELIMIT;
    }
    return 0;
}

int
cf_plan_audit_time (const cf_scheme_t *scheme,
                    const Cf__Application *application,
                    uint32_t *person_days_tenths, uint64_t *fee_fen,
                    cf_problems_t *problems)
{
    assert (person_days_tenths && fee_fen);
    s_audit_time_t result;
    int rc = s_audit_time (scheme, application, &result, problems);
    if (rc)
        return rc;
    *person_days_tenths = (uint32_t)result.total;
    *fee_fen = result.fee;
    return 0;
}

int
cf_plan_audit_rationale (const cf_scheme_t *scheme,
                         const Cf__Application *application, char **rationale_p,
                         cf_problems_t *problems)
{
    assert (rationale_p);
    *rationale_p = NULL;
    s_audit_time_t result;
    int rc = s_audit_time (scheme, application, &result, problems);
    if (rc)
        return rc;

    char base[24], outlet[24], outlets[24], category[24], extra[24], total[24],
        rate[24], application_fee[24], fee[24];
    char bound[48];
    if (result.step->max_employees)
        snprintf (bound, sizeof bound, "up to %" PRIu32,
                  result.step->max_employees);
    else if (result.floor_employees)
        snprintf (bound, sizeof bound, "over %" PRIu32, result.floor_employees);
    else
        snprintf (bound, sizeof bound, "any size");
    int size = asprintf (
        rationale_p,
        "base %s (%" PRIu32 " employees, %s)\n"
        "%" PRIu64 " %s × %s = %s\n"
        "%" PRIu64 " extra %s × %s = %s\n"
        "total %s person-days\n"
        "fee %s × %s + %s = %s yuan\n",
        s_tenths (result.base, base), application->employees, bound,
        result.outlets, result.outlets == 1 ? "outlet" : "outlets",
        s_tenths ((uint64_t)scheme->outlet_person_days_tenths, outlet),
        s_tenths (result.outlet_time, outlets), result.extra,
        result.extra == 1 ? "category" : "categories",
        s_tenths ((uint64_t)scheme->category_person_days_tenths, category),
        s_tenths (result.extra_time, extra), s_tenths (result.total, total),
        total, s_yuan (scheme->day_rate_fen, rate),
        s_yuan (scheme->application_fee_fen, application_fee),
        s_yuan (result.fee, fee));
    if (size < 0)
        cf_mem_fail ();
    return 0;
}

int
cf_plan_contract_number (const char *case_id, char **number_p)
{
    assert (number_p);
    *number_p = NULL;
    if (!case_id || !*case_id)
        return CF_EINVAL;
    if (asprintf (number_p, "HT-%s", case_id) < 0)
        cf_mem_fail ();
    return 0;
}

//  True when consultancy org submitted record or acted on it
static bool
s_consultancy_acted (const Cf__Case *record, const char *org)
{
    if (!record || !org || !*org)
        return false;
    return strcmp (s_text (record->consultancy), org) == 0 ||
           s_listed (record->consultancies, record->n_consultancies, org);
}

//  Checks the rules an auditor and a committee member share: active, the
//  role, qualified on every day from start to end, no conflict with the
//  company uscc nor with a consultancy that acted on record (may be NULL).
//  sector, when not NULL, must be among the competences. Problems are
//  coded "<kind>.<rule>". Returns the number of problems.
static int
s_check_person (const cf_scheme_t *scheme, const char *uscc,
                const Cf__Case *record, const Cf__Staff *staff,
                const char *kind, const char *role, const char *sector,
                cf_day_t start, cf_day_t end, cf_problems_t *problems)
{
    const char *id = s_text (staff->id);
    char code[48], first[11], last[11], date[11];
    cf_date_format (start, first);
    cf_date_format (end, last);
    int found = 0;

    if (!staff->active) {
        snprintf (code, sizeof code, "%s.inactive", kind);
        cf_problems_add (problems, code,
                         "staff %s is not active; choose another person or "
                         "reactivate the record",
                         id);
        found++;
    }
    if (!s_has_role (staff, role)) {
        snprintf (code, sizeof code, "%s.role", kind);
        cf_problems_add (problems, code,
                         "staff %s does not hold the role \"%s\"; choose "
                         "someone who does, or add the role to the record",
                         id, role);
        found++;
    }
    if (sector && !s_listed (staff->sectors, staff->n_sectors, sector)) {
        snprintf (code, sizeof code, "%s.sector", kind);
        if (*sector)
            cf_problems_add (problems, code,
                             "staff %s is not competent for sector %s; choose "
                             "someone whose sectors include %s",
                             id, sector, sector);
        else
            cf_problems_add (problems, code,
                             "the application names no sector, so staff %s "
                             "cannot be shown competent; set the sector",
                             id);
        found++;
    }

    snprintf (code, sizeof code, "%s.qualification", kind);
    cf_day_t from, until;
    if (cf_date_parse (staff->qualified_from, &from)) {
        cf_problems_add (problems, code,
                         "staff %s has an unreadable qualified_from date "
                         "\"%s\"; write it as YYYY-MM-DD",
                         id, s_text (staff->qualified_from));
        found++;
    } else if (from > start) {
        cf_problems_add (problems, code,
                         "staff %s is qualified only from %s, after %s; choose "
                         "later dates or someone else",
                         id, staff->qualified_from, first);
        found++;
    }
    if (cf_date_parse (staff->qualified_until, &until)) {
        cf_problems_add (problems, code,
                         "staff %s has an unreadable qualified_until date "
                         "\"%s\"; write it as YYYY-MM-DD",
                         id, s_text (staff->qualified_until));
        found++;
    } else if (until < end) {
        cf_problems_add (problems, code,
                         "staff %s's qualification ends on %s, before %s; "
                         "renew it or choose someone else",
                         id, staff->qualified_until, last);
        found++;
    }

    //  Past work for the company counts for the lookback after it ended:
    //  a conflict that ended exactly that many months before is over
    snprintf (code, sizeof code, "%s.conflict", kind);
    int lookback = scheme->conflict_lookback_months;
    cf_day_t cutoff = cf_date_add_months (start, lookback > 0 ? -lookback : 0);
    for (size_t index = 0; index < staff->n_conflicts; index++) {
        const Cf__Conflict *conflict = staff->conflicts[index];
        //  A consultancy's conflict reaches every case it acted on
        const char *with = NULL;
        char named[256];
        if (conflict && *s_text (conflict->consultancy)) {
            if (!s_consultancy_acted (record, conflict->consultancy))
                continue;
            snprintf (named, sizeof named,
                      "consultancy %.*s, which acted on this case",
                      CF_UTF8_CUT (conflict->consultancy, 128));
            with = named;
        } else if (conflict && uscc && *uscc &&
                   strcasecmp (s_text (conflict->uscc), uscc) == 0)
            with = uscc;
        if (!with)
            continue;
        const char *reason = conflict->reason && *conflict->reason
                                 ? conflict->reason
                                 : "no reason given";
        if (!conflict->until || !*conflict->until) {
            cf_problems_add (problems, code,
                             "staff %s declared an open conflict of interest "
                             "with %s (%s); choose someone else (ISO/IEC "
                             "17065 4.2)",
                             id, with, reason);
            found++;
        } else if (cf_date_parse (conflict->until, &until)) {
            cf_problems_add (problems, code,
                             "staff %s declared a conflict of interest with "
                             "%s whose end date \"%s\" cannot be read; write "
                             "it as YYYY-MM-DD",
                             id, with, conflict->until);
            found++;
        } else if (until > cutoff) {
            cf_problems_add (problems, code,
                             "staff %s had a conflict of interest with %s "
                             "(%s) until %s, less than %d months before %s "
                             "(after %s); choose someone else (ISO/IEC 17065 "
                             "4.2)",
                             id, with, reason, conflict->until, lookback, first,
                             cf_date_format (cutoff, date));
            found++;
        }
    }
    return found;
}

//  cf_plan_check_auditor for a case: conflicts with the consultancies that
//  acted on record (may be NULL) count too
static int
s_check_auditor (const cf_scheme_t *scheme, const Cf__Application *application,
                 const Cf__Case *record, const Cf__Staff *staff,
                 cf_day_t start_day, cf_day_t end_day, cf_problems_t *problems)
{
    assert (scheme && application && staff);
    if (start_day > end_day) {
        char first[11], last[11];
        cf_problems_add (problems, "plan.dates",
                         "the audit starts on %s, after its last day %s; "
                         "swap or correct the dates",
                         cf_date_format (start_day, first),
                         cf_date_format (end_day, last));
        return CF_EINVAL;
    }
    int found = s_check_person (
        scheme, s_text (application->uscc), record, staff, "auditor", "auditor",
        s_text (application->sector), start_day, end_day, problems);
    return found ? CF_ENOSTAFF : 0;
}

int
cf_plan_check_auditor (const cf_scheme_t *scheme,
                       const Cf__Application *application,
                       const Cf__Staff *staff, cf_day_t start_day,
                       cf_day_t end_day, cf_problems_t *problems)
{
    return s_check_auditor (scheme, application, NULL, staff, start_day,
                            end_day, problems);
}

static int
s_candidate_compare (const void *one, const void *two)
{
    const s_candidate_t *left = one, *right = two;
    int order = strcmp (s_text (left->staff->id), s_text (right->staff->id));
    if (order)
        return order;
    return left->index < right->index ? -1 : left->index > right->index;
}

//  Returns the records sorted by staff id, repeated ids and NULL records
//  dropped; *size gets how many. The caller frees the array.
static s_candidate_t *
s_candidates (Cf__Staff *const *staff, size_t count, size_t *size)
{
    s_candidate_t *items =
        cf_mem_check (calloc (count ? count : 1, sizeof *items));
    size_t used = 0;
    for (size_t index = 0; index < count; index++)
        if (staff[index]) {
            items[used].staff = staff[index];
            items[used].index = index;
            used++;
        }
    qsort (items, used, sizeof *items, s_candidate_compare);
    size_t kept = 0;
    for (size_t index = 0; index < used; index++)
        if (kept == 0 || strcmp (s_text (items[kept - 1].staff->id),
                                 s_text (items[index].staff->id)) != 0)
            items[kept++] = items[index];
    *size = kept;
    return items;
}

static bool
s_reviewer (const Cf__Case *record, const char *staff_id)
{
    return record &&
           s_listed (record->reviewers, record->n_reviewers, staff_id);
}

static void
s_add_reviewer_problem (cf_problems_t *problems, const Cf__Case *record,
                        const char *staff_id)
{
    cf_problems_add (problems, "team.reviewer",
                     "staff %s reviewed the documents of case %s and may not "
                     "also audit it; choose another auditor",
                     staff_id, s_text (record->id));
}

int
cf_plan_select_team (const cf_scheme_t *scheme,
                     const Cf__Application *application,
                     Cf__Staff *const *staff, size_t count, cf_day_t start_day,
                     cf_day_t end_day, const Cf__Case *record,
                     Cf__AuditPlan **plan_p, cf_problems_t *problems)
{
    assert (scheme && application && plan_p);
    assert (staff || count == 0);
    *plan_p = NULL;
    char first[11], last[11];
    cf_date_format (start_day, first);
    cf_date_format (end_day, last);
    if (start_day > end_day) {
        cf_problems_add (problems, "plan.dates",
                         "the audit starts on %s, after its last day %s; "
                         "swap or correct the dates",
                         first, last);
        return CF_EINVAL;
    }
    size_t size = scheme->team_min_size > 1 ? (size_t)scheme->team_min_size : 1;
    size_t candidates;
    s_candidate_t *items = s_candidates (staff, count, &candidates);
    const Cf__Staff **eligible =
        cf_mem_check (calloc (candidates ? candidates : 1, sizeof *eligible));
    size_t eligible_count = 0;
    cf_problems_t *excluded = cf_problems_new ();
    for (size_t index = 0; index < candidates; index++) {
        const Cf__Staff *person = items[index].staff;
        if (s_reviewer (record, s_text (person->id)))
            s_add_reviewer_problem (excluded, record, s_text (person->id));
        else if (s_check_auditor (scheme, application, record, person,
                                  start_day, end_day, excluded) == 0)
            eligible[eligible_count++] = person;
    }

    int rc = 0;
    if (eligible_count < size) {
        s_problems_move (problems, &excluded);
        cf_problems_add (problems, "team.too_few",
                         "%zu of %zu staff records may audit sector %s from %s "
                         "to %s; the team needs %zu (a leader and %zu "
                         "members); add qualified, independent auditors or "
                         "change the dates",
                         eligible_count, candidates,
                         s_text (application->sector), first, last, size,
                         size - 1);
        rc = CF_ENOSTAFF;
    } else {
        size_t leader = 0;
        for (size_t index = 0; index < eligible_count; index++)
            if (s_has_role (eligible[index], "leader")) {
                leader = index;
                break;
            }
        Cf__AuditPlan *plan = cf_pb_new (&cf__audit_plan__descriptor);
        cf_pb_set_string (&plan->leader, eligible[leader]->id);
        for (size_t index = 0;
             index < eligible_count && plan->n_members + 1 < size; index++)
            if (index != leader)
                cf_pb_append_string (&plan->n_members, &plan->members,
                                     eligible[index]->id);
        cf_pb_set_string (&plan->start_date, first);
        cf_pb_set_string (&plan->end_date, last);
        cf_pb_set_string (&plan->mode, CF_PLAN_MODE_ONSITE);
        *plan_p = plan;
    }
    cf_problems_destroy (&excluded);
    free (eligible);
    free (items);
    return rc;
}

//  Monday is 0, Sunday 6; day 0, 1970-01-01, was a Thursday
static int
s_weekday (cf_day_t day)
{
    return (int)(((int64_t)day % 7 + 7 + 3) % 7);
}

int
cf_plan_audit_dates (cf_day_t today, int notice_days,
                     uint32_t person_days_tenths, size_t team_size,
                     cf_day_t *start, cf_day_t *end)
{
    assert (start && end);
    if (team_size == 0 || notice_days < 0)
        return CF_EINVAL;
    int64_t first = (int64_t)today + notice_days;
    while (s_weekday ((cf_day_t)first) > 4)
        first++;
    //  Days on site, rounded up: tenths / (10 × team)
    uint64_t per_day = (uint64_t)team_size * 10;
    uint64_t days = (person_days_tenths + per_day - 1) / per_day;
    if (days == 0)
        days = 1;
    //  The days after the first: whole weeks, then the rest, stepping over
    //  one weekend when the rest runs past Friday
    uint64_t after = days - 1;
    int weekday = s_weekday ((cf_day_t)first);
    int64_t rest = (int64_t)(after % 5);
    int64_t last =
        first + (int64_t)(after / 5) * 7 + rest + (weekday + rest > 4 ? 2 : 0);
    if (last > cf_date_from_ymd (9999, 12, 31))
        return CF_ELIMIT;
    *start = (cf_day_t)first;
    *end = (cf_day_t)last;
    return 0;
}

static bool
s_mode_known (const char *mode)
{
    return !*mode || strcmp (mode, CF_PLAN_MODE_ONSITE) == 0 ||
           strcmp (mode, CF_PLAN_MODE_REMOTE) == 0 ||
           strcmp (mode, CF_PLAN_MODE_MIXED) == 0;
}

static const Cf__Staff *
s_find_staff (Cf__Staff *const *staff, size_t count, const char *id)
{
    for (size_t index = 0; index < count; index++)
        if (staff[index] && strcmp (s_text (staff[index]->id), id) == 0)
            return staff[index];
    return NULL;
}

int
cf_plan_check_team (const cf_scheme_t *scheme,
                    const Cf__Application *application, Cf__Staff *const *staff,
                    size_t count, const Cf__AuditPlan *plan,
                    const Cf__Case *record, cf_problems_t *problems)
{
    assert (scheme && application && plan);
    assert (staff || count == 0);
    cf_problems_t *malformed = cf_problems_new ();
    cf_problems_t *ineligible = cf_problems_new ();

    cf_day_t start = 0, end = 0;
    bool dated = true;
    if (cf_date_parse (plan->start_date, &start) ||
        cf_date_parse (plan->end_date, &end)) {
        cf_problems_add (malformed, "plan.dates",
                         "the audit dates \"%s\" to \"%s\" cannot be read; "
                         "write both as YYYY-MM-DD",
                         s_text (plan->start_date), s_text (plan->end_date));
        dated = false;
    } else if (start > end) {
        cf_problems_add (malformed, "plan.dates",
                         "the audit starts on %s, after its last day %s; "
                         "swap or correct the dates",
                         plan->start_date, plan->end_date);
        dated = false;
    }
    const char *leader = s_text (plan->leader);
    if (!*leader)
        cf_problems_add (malformed, "plan.leader",
                         "the plan names no team leader; name one");
    if (!s_mode_known (s_text (plan->mode)))
        cf_problems_add (malformed, "plan.mode",
                         "audit mode \"%s\" is unknown; use FS01 (on site), "
                         "FS02 (remote) or FS03 (mixed)",
                         plan->mode);

    //  The team: the leader, then each member listed for the first time
    const char **team =
        cf_mem_check (calloc (plan->n_members + 1, sizeof (const char *)));
    size_t size = 0;
    if (*leader)
        team[size++] = leader;
    for (size_t index = 0; index < plan->n_members; index++) {
        const char *member = s_text (plan->members[index]);
        if (!*member)
            cf_problems_add (malformed, "plan.members",
                             "member %zu of the plan is empty; remove it or "
                             "give a staff id",
                             index + 1);
        else if (strcmp (member, leader) == 0)
            cf_problems_add (malformed, "plan.leader_member",
                             "%s is the team leader and may not also be "
                             "listed as a member; remove the member entry",
                             member);
        else if (s_listed ((char *const *)team, size, member))
            cf_problems_add (malformed, "plan.duplicate",
                             "%s is listed twice as a member; list each "
                             "auditor once",
                             member);
        else
            team[size++] = member;
    }
    size_t needed =
        scheme->team_min_size > 1 ? (size_t)scheme->team_min_size : 1;
    if (size < needed)
        cf_problems_add (malformed, "plan.size",
                         "the team has %zu distinct auditors and needs at "
                         "least %zu (a leader and %zu members); add members",
                         size, needed, needed - 1);

    for (size_t index = 0; index < size; index++) {
        const Cf__Staff *person = s_find_staff (staff, count, team[index]);
        if (!person)
            cf_problems_add (ineligible, "plan.unknown_staff",
                             "no staff record has id %s; register the auditor "
                             "first or correct the id",
                             team[index]);
        else {
            if (s_reviewer (record, team[index]))
                s_add_reviewer_problem (ineligible, record, team[index]);
            if (dated)
                s_check_person (scheme, s_text (application->uscc), record,
                                person, "auditor", "auditor",
                                s_text (application->sector), start, end,
                                ineligible);
        }
    }
    free (team);

    int rc = cf_problems_size (malformed)    ? CF_EINVAL
             : cf_problems_size (ineligible) ? CF_ENOSTAFF
                                             : 0;
    s_problems_move (problems, &malformed);
    s_problems_move (problems, &ineligible);
    return rc;
}

//  Says how staff_id took part in the case, for messages
static const char *
s_involvement (const Cf__Case *record, const char *staff_id)
{
    const Cf__AuditPlan *plan = record->plan;
    if (plan && strcmp (s_text (plan->leader), staff_id) == 0)
        return "the audit team leader";
    if (plan && s_listed (plan->members, plan->n_members, staff_id))
        return "an audit team member";
    if (strcmp (s_text (record->verifier), staff_id) == 0)
        return "the verifier of the corrections";
    return "a document reviewer";
}

static void
s_add_involved_problem (cf_problems_t *problems, const char *code,
                        const Cf__Case *record, const char *staff_id,
                        const char *remedy)
{
    cf_problems_add (problems, code,
                     "staff %s was %s of case %s and may not take part in "
                     "its decision (ISO/IEC 17065 7.6: the decision is made "
                     "by persons not involved in the evaluation); %s",
                     staff_id, s_involvement (record, staff_id),
                     s_text (record->id), remedy);
}

//  Counts why person may not sit on the committee of record on day today:
//  the committee role, active, qualified, free of conflicts with the
//  company, competent for its sector (ISO/IEC 17065 7.6: the decision is
//  taken by competent persons) and not involved in evaluating the case
static int
s_check_member (const cf_scheme_t *scheme, const Cf__Case *record,
                const Cf__Staff *person, cf_day_t today,
                cf_problems_t *problems)
{
    const Cf__Application *application = record->application;
    const char *id = s_text (person->id);
    int found =
        s_check_person (scheme, application ? s_text (application->uscc) : "",
                        record, person, "committee", "committee",
                        application ? s_text (application->sector) : "", today,
                        today, problems);
    if (cf_case_involved (record, id)) {
        s_add_involved_problem (problems, "committee.involved", record, id,
                                "choose a member who was not");
        found++;
    }
    return found;
}

int
cf_plan_select_committee (const cf_scheme_t *scheme, const Cf__Case *record,
                          Cf__Staff *const *staff, size_t count, cf_day_t today,
                          char ***members_p, size_t *count_p,
                          cf_problems_t *problems)
{
    assert (scheme && record && members_p && count_p);
    assert (staff || count == 0);
    *members_p = NULL;
    *count_p = 0;
    size_t size =
        scheme->committee_size > 1 ? (size_t)scheme->committee_size : 1;
    size_t candidates;
    s_candidate_t *items = s_candidates (staff, count, &candidates);
    char **members = cf_mem_check (calloc (size, sizeof (char *)));
    size_t chosen = 0;
    cf_problems_t *excluded = cf_problems_new ();
    for (size_t index = 0; index < candidates && chosen < size; index++) {
        const Cf__Staff *person = items[index].staff;
        if (s_check_member (scheme, record, person, today, excluded) == 0)
            members[chosen++] = cf_mem_check (strdup (s_text (person->id)));
    }
    free (items);

    if (chosen < size) {
        char day[11];
        const char *sector =
            record->application ? s_text (record->application->sector) : "";
        s_problems_move (problems, &excluded);
        cf_problems_add (problems, "committee.too_few",
                         "only %zu of %zu staff records may sit on the "
                         "committee of case %s on %s; it needs %zu members "
                         "competent for sector %s, qualified, free of "
                         "conflicts and not involved in the case; add such "
                         "committee members",
                         chosen, candidates, s_text (record->id),
                         cf_date_format (today, day), size,
                         *sector ? sector : "(none given)");
        cf_plan_strings_free (&members, chosen);
        return CF_ENOSTAFF;
    }
    cf_problems_destroy (&excluded);
    *members_p = members;
    *count_p = chosen;
    return 0;
}

int
cf_plan_check_committee (const cf_scheme_t *scheme, const Cf__Case *record,
                         Cf__Staff *const *staff, size_t count,
                         char *const *members, size_t member_count,
                         cf_day_t today, cf_problems_t *problems)
{
    assert (scheme && record);
    assert (staff || count == 0);
    assert (members || member_count == 0);
    int found = 0;
    for (size_t index = 0; index < member_count; index++) {
        const char *id = s_text (members[index]);
        const Cf__Staff *person = s_find_staff (staff, count, id);
        if (!person) {
            cf_problems_add (problems, "committee.unknown_staff",
                             "no staff record has id %s; register the member "
                             "first or correct the id",
                             id);
            found++;
        } else
            found += s_check_member (scheme, record, person, today, problems);
    }
    return found ? CF_ENOSTAFF : 0;
}

int
cf_plan_check_voter (const cf_scheme_t *scheme, const Cf__Case *record,
                     const char *staff_id, cf_problems_t *problems)
{
    //  The scheme is part of the guard's signature for rules to come (a
    //  quorum, a deputy); today only the case decides
    (void)scheme;
    assert (record);
    const char *id = s_text (staff_id);
    int rc = 0;
    const Cf__Committee *committee = record->committee;
    if (!*id || !committee ||
        !s_listed (committee->members, committee->n_members, id)) {
        cf_problems_add (problems, "vote.not_member",
                         "staff \"%s\" is not on the decision committee of "
                         "case %s; only its members may vote (ISO/IEC 17065 "
                         "7.6)",
                         id, s_text (record->id));
        rc = CF_EGUARD;
    }
    if (cf_case_involved (record, id)) {
        s_add_involved_problem (problems, "vote.involved", record, id,
                                "the vote is refused");
        rc = CF_EGUARD;
    }
    return rc;
}

void
cf_plan_strings_free (char ***items_p, size_t count)
{
    assert (items_p);
    if (*items_p) {
        for (size_t index = 0; index < count; index++)
            free ((*items_p)[index]);
        free (*items_p);
        *items_p = NULL;
    }
}
