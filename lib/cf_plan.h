/*  =========================================================================
    cf_plan - contract review, the audit team and the decision committee

    Pure rules over the application, the staff records and the scheme
    (DOMAIN sections 3 and 4, ISO/IEC 17065 7.5 and 7.6):

    - Audit time (审查时间) in tenths of a person-day: the base step of the
      scheme's table for the number of employees, plus a fixed share per
      fixed service outlet (at least 0.5 person-day each), plus a share per
      product or service category beyond the first. The fee is that time at
      the day rate plus the application fee. The rationale, line by line, is
      what the 《服务认证审查方案策划记录》 records.
    - An auditor is eligible when active, holding the auditor role, competent
      for the applicant's sector, qualified on every audit day and free of
      conflicts with the applicant: a declared conflict counts while open and
      for conflict_lookback_months after it ended (consulting in the last
      two years, by default).
    - A committee member holds the committee role, is active, qualified on
      the day the committee is formed, competent for the case's sector, free
      of conflicts and was not involved in evaluating the case
      (cf_case_involved).

    Selection is deterministic: candidates are taken in order of staff id,
    so the same records always give the same team and committee.
    =========================================================================
*/

#ifndef CF_PLAN_H_INCLUDED
#define CF_PLAN_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_date.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"

//  Audit mode codes of the CNCA audit-plan report
#define CF_PLAN_MODE_ONSITE "FS01"  //  On-site audit
#define CF_PLAN_MODE_REMOTE "FS02"  //  Remote audit
#define CF_PLAN_MODE_MIXED  "FS03"  //  Partly on site, partly remote

//  Computes the audit time and the fee for application under scheme.
//  *person_days_tenths gets the audit time in tenths of a person-day and
//  *fee_fen the fee in fen: person-days × day_rate_fen + application_fee_fen.
//  A day rate that is not a multiple of 10 fen can leave half a fen or less;
//  it is rounded half up to the fen. Returns 0, or
//    CF_EINVAL   the application has no employees or no scope item
//    CF_ESCHEME  the scheme's audit-time table has no step for the number of
//                employees (it must end with an unbounded step)
//    CF_ELIMIT   the time or the fee does not fit its field
//  with the problems listed. The outputs are untouched on error. problems
//  may be NULL.
int CF_MUST_CHECK cf_plan_audit_time (const cf_scheme_t *scheme,
                                      const Cf__Application *application,
                                      uint32_t *person_days_tenths,
                                      uint64_t *fee_fen,
                                      cf_problems_t *problems);

//  Explains the audit time and fee of cf_plan_audit_time, one part per
//  line, for the planning record, e.g.
//      base 2.0 (120 employees, up to 500)
//      4 outlets × 0.5 = 2.0
//      2 extra categories × 0.5 = 1.0
//      total 5.0 person-days
//      fee 5.0 × 3000.00 + 2000.00 = 17000.00 yuan
//  On success *rationale_p gets a new string the caller frees. Returns the
//  same codes as cf_plan_audit_time; *rationale_p is NULL on error.
int CF_MUST_CHECK cf_plan_audit_rationale (const cf_scheme_t *scheme,
                                           const Cf__Application *application,
                                           char **rationale_p,
                                           cf_problems_t *problems);

//  Makes the contract number of a case: "HT-" and the case id (合同). On
//  success *number_p gets a new string the caller frees. Returns 0, or
//  CF_EINVAL for a NULL or empty case id (then *number_p is NULL).
int CF_MUST_CHECK cf_plan_contract_number (const char *case_id,
                                           char **number_p);

//  Checks that staff may audit application on every day from start_day to
//  end_day (day numbers, inclusive). Returns 0, or CF_ENOSTAFF with each
//  reason as a problem naming the staff id:
//    auditor.inactive       the record is not active
//    auditor.role           no "auditor" role
//    auditor.sector         not competent for the application's sector
//    auditor.qualification  not qualified on every audit day, or a
//                           qualification date that cannot be read
//    auditor.conflict       a declared conflict with the applicant's USCC that
//                           is open, ended fewer than conflict_lookback_months
//                           before start_day, or has an unreadable end date
//  A conflict declared with a consultancy counts for a case it acted on:
//  cf_plan_select_team, cf_plan_check_team and the committee's checks,
//  which know the case, apply it; this check, which knows no case, does not.
//  or CF_EINVAL when start_day is after end_day. problems may be NULL.
int CF_MUST_CHECK cf_plan_check_auditor (const cf_scheme_t *scheme,
                                         const Cf__Application *application,
                                         const Cf__Staff *staff,
                                         cf_day_t start_day, cf_day_t end_day,
                                         cf_problems_t *problems);

//  Chooses an audit team of scheme->team_min_size auditors (at least one)
//  from the count records of staff, for the days start_day to end_day.
//  Eligible are those cf_plan_check_auditor accepts who are not a document
//  reviewer of record (record may be NULL: no reviewers). Candidates are
//  taken by staff id; a repeated id counts once. The leader is the first
//  eligible with the role "leader", else the first eligible; the members are
//  the next eligible ones. On success *plan_p gets a new heap AuditPlan
//  (free with cf_pb_free) with leader, members, dates and mode FS01, and the
//  problems are untouched. Returns 0, or
//    CF_ENOSTAFF  too few eligible auditors: problems give why each
//                 candidate was excluded, then team.too_few with the count
//    CF_EINVAL    start_day after end_day
//  with *plan_p NULL. staff may be NULL when count is 0.
int CF_MUST_CHECK cf_plan_select_team (
    const cf_scheme_t *scheme, const Cf__Application *application,
    Cf__Staff *const *staff, size_t count, cf_day_t start_day, cf_day_t end_day,
    const Cf__Case *record, Cf__AuditPlan **plan_p, cf_problems_t *problems);

//  Proposes the audit dates when planning on day today: *start gets the
//  first working day (Monday to Friday) at least notice_days after today, and
//  *end the last of the days on site, counted in working days from *start. Days
//  on site are person-days / team size, rounded up, at least one. Public
//  holidays are not known here: the planner moves the dates by hand around
//  them. Returns 0, CF_EINVAL when team_size is 0, or CF_ELIMIT when the last
//  day would fall after 9999-12-31; on error the outputs are untouched.
int CF_MUST_CHECK cf_plan_audit_dates (cf_day_t today, int notice_days,
                                       uint32_t person_days_tenths,
                                       size_t team_size, cf_day_t *start,
                                       cf_day_t *end);

//  Checks an audit plan proposed by hand (by an administrator) for
//  application: its dates read and are in order, the leader is set and is
//  not also a member, no one is listed twice, the team has at least
//  scheme->team_min_size people, the mode is empty or FS01, FS02 or FS03,
//  and each person is found among the count records of staff, is not a
//  document reviewer of record (may be NULL) and passes
//  cf_plan_check_auditor for the plan's dates. Returns 0, or
//    CF_EINVAL    the plan itself is malformed (codes plan.*)
//    CF_ENOSTAFF  it is well formed but someone may not audit (codes
//                 plan.unknown_staff, team.reviewer and auditor.*)
//  with every problem listed. problems may be NULL.
int CF_MUST_CHECK cf_plan_check_team (const cf_scheme_t *scheme,
                                      const Cf__Application *application,
                                      Cf__Staff *const *staff, size_t count,
                                      const Cf__AuditPlan *plan,
                                      const Cf__Case *record,
                                      cf_problems_t *problems);

//  Chooses scheme->committee_size decision committee members for record
//  from the count records of staff, formed on day today: each holds the
//  role "committee", is active, qualified on today, competent for the
//  case's sector (ISO/IEC 17065 7.6), not involved in the evaluation of the
//  case (cf_case_involved) and free of conflicts with the applicant (the
//  auditors' rule, counted back from today). Candidates are
//  taken by staff id; a repeated id counts once. On success *members_p gets
//  a new array of *count_p new strings (staff ids), laid out as a protobuf-c
//  repeated string so it can move into a heap message; otherwise free it
//  with cf_plan_strings_free. Returns 0, or CF_ENOSTAFF with why each
//  candidate was excluded (codes committee.*) and committee.too_few; then
//  *members_p is NULL and *count_p 0. staff may be NULL when count is 0.
int CF_MUST_CHECK cf_plan_select_committee (const cf_scheme_t *scheme,
                                            const Cf__Case *record,
                                            Cf__Staff *const *staff,
                                            size_t count, cf_day_t today,
                                            char ***members_p, size_t *count_p,
                                            cf_problems_t *problems);

//  Checks a committee proposed for record on day today: each of the
//  member_count ids of members is found among the count records of staff
//  and may sit on it by the rules of cf_plan_select_committee (role,
//  active, qualified, free of conflicts, competent for the case's sector,
//  not involved). Returns 0, or CF_ENOSTAFF with every reason listed
//  (committee.unknown_staff and committee.*). problems may be NULL.
int CF_MUST_CHECK cf_plan_check_committee (const cf_scheme_t *scheme,
                                           const Cf__Case *record,
                                           Cf__Staff *const *staff,
                                           size_t count, char *const *members,
                                           size_t member_count, cf_day_t today,
                                           cf_problems_t *problems);

//  Checks that staff_id may vote on the decision of record: it is on the
//  case's committee and took no part in the evaluation (ISO/IEC 17065 7.6).
//  Returns 0, or CF_EGUARD with the reason (codes vote.not_member,
//  vote.involved) citing the clause. problems may be NULL.
int CF_MUST_CHECK cf_plan_check_voter (const cf_scheme_t *scheme,
                                       const Cf__Case *record,
                                       const char *staff_id,
                                       cf_problems_t *problems);

//  Frees count strings of *items_p and the array, and nulls *items_p.
//  NULL-safe.
void cf_plan_strings_free (char ***items_p, size_t count);

#endif
