/*  Unit tests for cf_plan: hand-worked audit time and fees under the default
    scheme (base 1.0 up to 50 employees, 2.0 up to 500, 3.0 above; 0.5 per
    fixed outlet; 0.5 per scope item past the first; 3000.00 yuan a day plus
    2000.00), each reason an auditor is excluded, team and committee
    selection with their shortfalls, the voter guard and the audit dates.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_pb.h"
#include "cf_plan.h"

//  The applicant every test plans for
#define USCC   "91350100MA2YXQ5T4K"
#define SECTOR "F52"

typedef struct {
    cf_scheme_t *scheme;      //  Default scheme, changed by some tests
    Cf__Case *record;         //  Case with an application
    Cf__Staff *staff[16];     //  Staff records of the test
    size_t staff_count;       //  How many
    cf_problems_t *problems;  //  What the last call reported
} fixture_t;

static cf_day_t
s_day (const char *text)
{
    cf_day_t day = 0;
    assert_int_equal (cf_date_parse (text, &day), 0);
    return day;
}

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_non_null (fixture);
    assert_int_equal (cf_scheme_default (&fixture->scheme), 0);
    fixture->record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&fixture->record->id, "CF-2026-000042");
    Cf__Application *application = cf_pb_new (&cf__application__descriptor);
    cf_pb_set_string (&application->company_name, "闽江家电服务有限公司");
    cf_pb_set_string (&application->uscc, USCC);
    cf_pb_set_string (&application->sector, SECTOR);
    cf_pb_append_string (&application->n_scope, &application->scope,
                         "家用电器 household appliances");
    application->employees = 120;
    fixture->record->application = application;
    fixture->problems = cf_problems_new ();
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    for (size_t index = 0; index < fixture->staff_count; index++)
        cf_pb_free (&fixture->staff[index]);
    cf_pb_free (&fixture->record);
    cf_problems_destroy (&fixture->problems);
    cf_scheme_destroy (&fixture->scheme);
    free (fixture);
    return 0;
}

static Cf__Application *
s_application (fixture_t *fixture)
{
    return fixture->record->application;
}

//  Gives the applicant a new size: employees, fixed outlets, scope items
static void
s_size (fixture_t *fixture, uint32_t employees, size_t outlets, size_t scope)
{
    Cf__Application *application = s_application (fixture);
    for (size_t index = 0; index < application->n_outlets; index++)
        cf_pb_free (&application->outlets[index]);
    application->n_outlets = 0;
    for (size_t index = 0; index < application->n_scope; index++)
        free (application->scope[index]);
    application->n_scope = 0;
    application->employees = employees;
    for (size_t index = 0; index < outlets; index++) {
        Cf__Outlet *outlet = cf_pb_new (&cf__outlet__descriptor);
        cf_pb_set_string (&outlet->name, "网点 outlet");
        cf_pb_append (&application->n_outlets, (void ***)&application->outlets,
                      outlet);
    }
    for (size_t index = 0; index < scope; index++)
        cf_pb_append_string (&application->n_scope, &application->scope,
                             "零配件 spare parts");
}

//  Adds a staff record: roles and sectors are comma-free single words
//  separated by spaces; qualified 2024-01-01 to 2028-12-31 unless changed
static Cf__Staff *
s_staff (fixture_t *fixture, const char *id, const char *roles)
{
    assert_true (fixture->staff_count < 16);
    Cf__Staff *staff = cf_pb_new (&cf__staff__descriptor);
    cf_pb_set_string (&staff->id, id);
    cf_pb_set_string (&staff->name, id);
    char *copy = strdup (roles);
    for (char *save = NULL, *role = strtok_r (copy, " ", &save); role;
         role = strtok_r (NULL, " ", &save))
        cf_pb_append_string (&staff->n_roles, &staff->roles, role);
    free (copy);
    cf_pb_append_string (&staff->n_sectors, &staff->sectors, "F51");
    cf_pb_append_string (&staff->n_sectors, &staff->sectors, SECTOR);
    cf_pb_set_string (&staff->qualified_from, "2024-01-01");
    cf_pb_set_string (&staff->qualified_until, "2028-12-31");
    staff->active = true;
    fixture->staff[fixture->staff_count++] = staff;
    return staff;
}

static void
s_conflict (Cf__Staff *staff, const char *uscc, const char *until)
{
    Cf__Conflict *conflict = cf_pb_new (&cf__conflict__descriptor);
    cf_pb_set_string (&conflict->uscc, uscc);
    cf_pb_set_string (&conflict->reason, "consulted for it");
    cf_pb_set_string (&conflict->until, until);
    cf_pb_append (&staff->n_conflicts, (void ***)&staff->conflicts, conflict);
}

//  The audit every auditor test plans: Monday 2026-03-02 to Tuesday
static int
s_check (fixture_t *fixture, const Cf__Staff *staff)
{
    cf_problems_reset (fixture->problems);
    return cf_plan_check_auditor (fixture->scheme, s_application (fixture),
                                  staff, s_day ("2026-03-02"),
                                  s_day ("2026-03-03"), fixture->problems);
}

//  Asserts the last call reported exactly one problem, with this code
static void
s_only_problem (fixture_t *fixture, const char *code)
{
    assert_int_equal (cf_problems_size (fixture->problems), 1);
    assert_string_equal (cf_problems_code (fixture->problems, 0), code);
}

static void
s_plan (fixture_t *fixture, const char *leader, const char *members)
{
    Cf__AuditPlan *plan = cf_pb_new (&cf__audit_plan__descriptor);
    cf_pb_set_string (&plan->leader, leader);
    char *copy = strdup (members);
    for (char *save = NULL, *member = strtok_r (copy, " ", &save); member;
         member = strtok_r (NULL, " ", &save))
        cf_pb_append_string (&plan->n_members, &plan->members, member);
    free (copy);
    cf_pb_set_string (&plan->start_date, "2026-03-02");
    cf_pb_set_string (&plan->end_date, "2026-03-03");
    cf_pb_set_string (&plan->mode, "FS01");
    cf_pb_free (&fixture->record->plan);
    fixture->record->plan = plan;
}

//  ------------------------------------------------------------------------
//  Audit time and fee

static void
test_audit_time_hand_worked (void **state)
{
    fixture_t *fixture = *state;
    struct {
        uint32_t employees;     //  Company size
        size_t outlets, scope;  //  Fixed outlets, scope items
        uint32_t tenths;        //  Expected person-days × 10
        uint64_t fee;           //  Expected fee in fen
    } cases[] = {
        //  1.0 base; 1.0 × 3000 + 2000 = 5000.00
        {50, 0, 1, 10, 500000},
        //  2.0 + 2 × 0.5 = 3.0; 9000 + 2000 = 11000.00
        {51, 2, 1, 30, 1100000},
        //  2.0 + 4 × 0.5 + 2 × 0.5 = 5.0; 15000 + 2000 = 17000.00
        {500, 4, 3, 50, 1700000},
        //  3.0 + 0.5 + 0.5 = 4.0; 12000 + 2000 = 14000.00
        {501, 1, 2, 40, 1400000},
        //  2.0 + 3 × 0.5 = 3.5; 10500 + 2000 = 12500.00
        {120, 3, 1, 35, 1250000},
        //  1.0 + 0.5 = 1.5 for a one-person shop with one outlet
        {1, 1, 1, 15, 650000},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        s_size (fixture, cases[index].employees, cases[index].outlets,
                cases[index].scope);
        uint32_t tenths = 0;
        uint64_t fee = 0;
        assert_int_equal (cf_plan_audit_time (fixture->scheme,
                                              s_application (fixture), &tenths,
                                              &fee, fixture->problems),
                          0);
        assert_int_equal (tenths, cases[index].tenths);
        assert_int_equal (fee, cases[index].fee);
        assert_int_equal (cf_problems_size (fixture->problems), 0);
    }
}

static void
test_fee_rounds_half_a_fen_up (void **state)
{
    fixture_t *fixture = *state;
    //  0.5 × 3000.05 = 1500.025 yuan: 150002.5 fen rounds to 150003
    fixture->scheme->audit_time[0].person_days_tenths = 5;
    fixture->scheme->day_rate_fen = 300005;
    s_size (fixture, 10, 0, 1);
    uint32_t tenths;
    uint64_t fee;
    assert_int_equal (cf_plan_audit_time (fixture->scheme,
                                          s_application (fixture), &tenths,
                                          &fee, NULL),
                      0);
    assert_int_equal (tenths, 5);
    assert_int_equal (fee, 150003 + 200000);
}

static void
test_audit_rationale_explains_the_sum (void **state)
{
    fixture_t *fixture = *state;
    s_size (fixture, 120, 4, 3);
    char *rationale = NULL;
    assert_int_equal (cf_plan_audit_rationale (fixture->scheme,
                                               s_application (fixture),
                                               &rationale, fixture->problems),
                      0);
    assert_string_equal (rationale, "base 2.0 (120 employees, up to 500)\n"
                                    "4 outlets × 0.5 = 2.0\n"
                                    "2 extra categories × 0.5 = 1.0\n"
                                    "total 5.0 person-days\n"
                                    "fee 5.0 × 3000.00 + 2000.00 = "
                                    "17000.00 yuan\n");
    free (rationale);

    s_size (fixture, 600, 1, 3);
    assert_int_equal (cf_plan_audit_rationale (fixture->scheme,
                                               s_application (fixture),
                                               &rationale, NULL),
                      0);
    assert_non_null (strstr (rationale, "base 3.0 (600 employees, over 500)"));
    assert_non_null (strstr (rationale, "1 outlet × 0.5 = 0.5\n"));
    assert_non_null (strstr (rationale, "total 4.5 person-days"));
    free (rationale);
}

static void
test_audit_time_refuses_what_it_cannot_count (void **state)
{
    fixture_t *fixture = *state;
    Cf__Application *application = s_application (fixture);
    application->employees = 0;
    uint32_t tenths = 77;
    uint64_t fee = 77;
    assert_int_equal (cf_plan_audit_time (fixture->scheme, application, &tenths,
                                          &fee, fixture->problems),
                      CF_EINVAL);
    s_only_problem (fixture, "application.employees");
    assert_int_equal (tenths, 77);
    assert_int_equal (fee, 77);

    //  Both faults at once are both reported
    cf_problems_reset (fixture->problems);
    char **scope = application->scope;
    size_t scope_count = application->n_scope;
    application->n_scope = 0;
    char *rationale = (char *)"untouched";
    assert_int_equal (cf_plan_audit_rationale (fixture->scheme, application,
                                               &rationale, fixture->problems),
                      CF_EINVAL);
    assert_null (rationale);
    assert_int_equal (cf_problems_size (fixture->problems), 2);
    assert_true (cf_problems_has (fixture->problems, "application.scope"));
    application->n_scope = scope_count;
    application->scope = scope;
}

static void
test_audit_time_needs_an_unbounded_step (void **state)
{
    fixture_t *fixture = *state;
    cf_scheme_t *scheme = fixture->scheme;
    scheme->audit_time[scheme->audit_time_count - 1].max_employees = 1000;
    s_size (fixture, 1000, 0, 1);
    uint32_t tenths;
    uint64_t fee;
    assert_int_equal (cf_plan_audit_time (scheme, s_application (fixture),
                                          &tenths, &fee, NULL),
                      0);
    assert_int_equal (tenths, 30);
    s_size (fixture, 1001, 0, 1);
    assert_int_equal (cf_plan_audit_time (scheme, s_application (fixture),
                                          &tenths, &fee, fixture->problems),
                      CF_ESCHEME);
    s_only_problem (fixture, "scheme.audit_time");
}

static void
test_audit_time_that_does_not_fit (void **state)
{
    fixture_t *fixture = *state;
    fixture->scheme->day_rate_fen = UINT64_MAX / 4;
    uint32_t tenths = 77;
    uint64_t fee = 77;
    assert_int_equal (cf_plan_audit_time (fixture->scheme,
                                          s_application (fixture), &tenths,
                                          &fee, fixture->problems),
                      CF_ELIMIT);
    s_only_problem (fixture, "plan.limit");
    assert_int_equal (tenths, 77);
}

static void
test_contract_number (void **state)
{
    (void)state;
    char *number = NULL;
    assert_int_equal (cf_plan_contract_number ("CF-2026-000042", &number), 0);
    assert_string_equal (number, "HT-CF-2026-000042");
    free (number);
    assert_int_equal (cf_plan_contract_number ("", &number), CF_EINVAL);
    assert_null (number);
    assert_int_equal (cf_plan_contract_number (NULL, &number), CF_EINVAL);
}

//  ------------------------------------------------------------------------
//  One auditor

static void
test_auditor_eligible (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    //  A conflict with another company does not matter
    s_conflict (auditor, "91110000100000000X", "");
    assert_int_equal (s_check (fixture, auditor), 0);
    assert_int_equal (cf_problems_size (fixture->problems), 0);
}

static void
test_auditor_inactive (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    auditor->active = false;
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.inactive");
    assert_non_null (
        strstr (cf_problems_message (fixture->problems, 0), "A01"));
}

static void
test_auditor_without_the_role (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "reviewer committee");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.role");
}

static void
test_auditor_not_competent_for_the_sector (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    cf_pb_set_string (&auditor->sectors[1], "F53");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.sector");
    assert_non_null (
        strstr (cf_problems_message (fixture->problems, 0), "F52"));
}

static void
test_auditor_qualification_must_cover_every_day (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    //  Expires the day before the last audit day
    cf_pb_set_string (&auditor->qualified_until, "2026-03-02");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.qualification");
    //  Expiring on the last day is enough
    cf_pb_set_string (&auditor->qualified_until, "2026-03-03");
    assert_int_equal (s_check (fixture, auditor), 0);
    //  Qualified from the second day only
    cf_pb_set_string (&auditor->qualified_from, "2026-03-03");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.qualification");
    cf_pb_set_string (&auditor->qualified_from, "2026-03-02");
    assert_int_equal (s_check (fixture, auditor), 0);
}

static void
test_auditor_unreadable_qualification (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    cf_pb_set_string (&auditor->qualified_from, "2024/01/01");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.qualification");
    assert_non_null (
        strstr (cf_problems_message (fixture->problems, 0), "2024/01/01"));
    cf_pb_set_string (&auditor->qualified_from, "2024-01-01");
    cf_pb_set_string (&auditor->qualified_until, "");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.qualification");
}

static void
test_auditor_open_conflict (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    s_conflict (auditor, USCC, "");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.conflict");
    assert_non_null (strstr (cf_problems_message (fixture->problems, 0), USCC));
}

static void
test_auditor_conflict_lookback_boundary (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    //  Ended exactly 24 months before the first audit day: free
    s_conflict (auditor, USCC, "2024-03-02");
    assert_int_equal (s_check (fixture, auditor), 0);
    //  One day later, less than 24 months before: still a conflict
    cf_pb_set_string (&auditor->conflicts[0]->until, "2024-03-03");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.conflict");
    //  The lookback is the scheme's: at 12 months the same end is long over
    fixture->scheme->conflict_lookback_months = 12;
    assert_int_equal (s_check (fixture, auditor), 0);
}

static void
test_auditor_unreadable_conflict_end (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    s_conflict (auditor, USCC, "last spring");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    s_only_problem (fixture, "auditor.conflict");
}

static void
test_auditor_every_reason_at_once (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "reviewer");
    auditor->active = false;
    auditor->n_sectors = 1;  //  F51 only; the array keeps both for freeing
    cf_pb_set_string (&auditor->qualified_until, "2025-12-31");
    s_conflict (auditor, USCC, "");
    assert_int_equal (s_check (fixture, auditor), CF_ENOSTAFF);
    auditor->n_sectors = 2;
    const char *codes[] = {"auditor.inactive", "auditor.role", "auditor.sector",
                           "auditor.qualification", "auditor.conflict"};
    assert_int_equal (cf_problems_size (fixture->problems), 5);
    for (size_t index = 0; index < 5; index++)
        assert_string_equal (cf_problems_code (fixture->problems, index),
                             codes[index]);
}

static void
test_auditor_dates_out_of_order (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *auditor = s_staff (fixture, "A01", "auditor");
    assert_int_equal (
        cf_plan_check_auditor (fixture->scheme, s_application (fixture),
                               auditor, s_day ("2026-03-03"),
                               s_day ("2026-03-02"), fixture->problems),
        CF_EINVAL);
    s_only_problem (fixture, "plan.dates");
}

//  ------------------------------------------------------------------------
//  The audit team

static int
s_select (fixture_t *fixture, Cf__AuditPlan **plan_p)
{
    cf_problems_reset (fixture->problems);
    return cf_plan_select_team (fixture->scheme, s_application (fixture),
                                fixture->staff, fixture->staff_count,
                                s_day ("2026-03-02"), s_day ("2026-03-03"),
                                fixture->record, plan_p, fixture->problems);
}

static void
test_team_prefers_a_leader_and_orders_by_id (void **state)
{
    fixture_t *fixture = *state;
    //  Given out of order; A00 may not audit
    s_staff (fixture, "A03", "auditor");
    s_staff (fixture, "A02", "auditor leader");
    s_staff (fixture, "A01", "auditor");
    s_staff (fixture, "A00", "auditor")->active = false;
    Cf__AuditPlan *plan = NULL;
    assert_int_equal (s_select (fixture, &plan), 0);
    assert_string_equal (plan->leader, "A02");
    assert_int_equal (plan->n_members, 1);
    assert_string_equal (plan->members[0], "A01");
    assert_string_equal (plan->start_date, "2026-03-02");
    assert_string_equal (plan->end_date, "2026-03-03");
    assert_string_equal (plan->mode, "FS01");
    assert_int_equal (cf_problems_size (fixture->problems), 0);
    cf_pb_free (&plan);
    assert_null (plan);
}

static void
test_team_without_a_leader_role_takes_the_first (void **state)
{
    fixture_t *fixture = *state;
    s_staff (fixture, "A03", "auditor");
    s_staff (fixture, "A02", "auditor");
    s_staff (fixture, "A01", "auditor");
    fixture->scheme->team_min_size = 3;
    Cf__AuditPlan *plan = NULL;
    assert_int_equal (s_select (fixture, &plan), 0);
    assert_string_equal (plan->leader, "A01");
    assert_int_equal (plan->n_members, 2);
    assert_string_equal (plan->members[0], "A02");
    assert_string_equal (plan->members[1], "A03");
    cf_pb_free (&plan);
}

static void
test_team_excludes_document_reviewers (void **state)
{
    fixture_t *fixture = *state;
    s_staff (fixture, "A01", "auditor leader");
    s_staff (fixture, "A02", "auditor");
    s_staff (fixture, "A03", "auditor");
    cf_pb_append_string (&fixture->record->n_reviewers,
                         &fixture->record->reviewers, "A01");
    Cf__AuditPlan *plan = NULL;
    assert_int_equal (s_select (fixture, &plan), 0);
    assert_string_equal (plan->leader, "A02");
    assert_string_equal (plan->members[0], "A03");
    cf_pb_free (&plan);
}

static void
test_team_shortfall_says_why (void **state)
{
    fixture_t *fixture = *state;
    s_staff (fixture, "A01", "auditor");
    s_staff (fixture, "A02", "auditor")->active = false;
    s_conflict (s_staff (fixture, "A03", "auditor"), USCC, "2026-01-31");
    s_staff (fixture, "A04", "auditor");
    cf_pb_append_string (&fixture->record->n_reviewers,
                         &fixture->record->reviewers, "A04");
    //  A repeated record of A01 does not make a second auditor
    s_staff (fixture, "A01", "auditor");
    Cf__AuditPlan *plan = (Cf__AuditPlan *)fixture;  //  Must be reset
    assert_int_equal (s_select (fixture, &plan), CF_ENOSTAFF);
    assert_null (plan);
    assert_int_equal (cf_problems_size (fixture->problems), 4);
    assert_string_equal (cf_problems_code (fixture->problems, 0),
                         "auditor.inactive");
    assert_string_equal (cf_problems_code (fixture->problems, 1),
                         "auditor.conflict");
    assert_string_equal (cf_problems_code (fixture->problems, 2),
                         "team.reviewer");
    assert_string_equal (cf_problems_code (fixture->problems, 3),
                         "team.too_few");
    assert_non_null (strstr (cf_problems_message (fixture->problems, 3),
                             "1 of 4 staff records"));
}

static void
test_team_with_no_staff (void **state)
{
    fixture_t *fixture = *state;
    Cf__AuditPlan *plan = NULL;
    assert_int_equal (
        cf_plan_select_team (fixture->scheme, s_application (fixture), NULL, 0,
                             s_day ("2026-03-02"), s_day ("2026-03-02"), NULL,
                             &plan, fixture->problems),
        CF_ENOSTAFF);
    s_only_problem (fixture, "team.too_few");
}

static void
test_audit_dates_skip_weekends (void **state)
{
    (void)state;
    struct {
        const char *today;        //  Day of planning
        int notice;               //  Days' notice, at least
        uint32_t tenths;          //  Person-days × 10
        size_t team;              //  Auditors
        const char *start, *end;  //  Expected audit days
    } cases[] = {
        //  Monday + 14 is a Monday; 2.0 / 2 = 1 day
        {"2026-03-02", 14, 20, 2, "2026-03-16", "2026-03-16"},
        //  Friday + 14 is a Friday; 5.0 / 2 = 3 days: Fri, Mon, Tue
        {"2026-02-13", 14, 50, 2, "2026-02-27", "2026-03-03"},
        //  Wednesday + 14 is a Wednesday
        {"2026-02-18", 14, 10, 1, "2026-03-04", "2026-03-04"},
        //  Saturday or Sunday + 14 falls on a weekend: start on Monday
        {"2026-02-14", 14, 10, 1, "2026-03-02", "2026-03-02"},
        {"2026-02-15", 14, 10, 1, "2026-03-02", "2026-03-02"},
        //  10.5 / 1 = 11 days from a Monday: two weeks and a Monday
        {"2026-03-02", 14, 105, 1, "2026-03-16", "2026-03-30"},
        //  3.5 / 2 rounds up to 2 days
        {"2026-03-02", 14, 35, 2, "2026-03-16", "2026-03-17"},
        //  No time still means a day on site
        {"2026-03-02", 14, 0, 2, "2026-03-16", "2026-03-16"},
        //  Thursday start, 4 days: Thu, Fri, Mon, Tue
        {"2026-02-19", 14, 40, 1, "2026-03-05", "2026-03-10"},
        //  Five days' notice from a Monday is a Saturday: the Monday after
        {"2026-03-02", 5, 20, 2, "2026-03-09", "2026-03-09"},
        //  None: today, when it is a working day
        {"2026-03-03", 0, 20, 2, "2026-03-03", "2026-03-03"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        cf_day_t start = 0, end = 0;
        assert_int_equal (cf_plan_audit_dates (s_day (cases[index].today),
                                               cases[index].notice,
                                               cases[index].tenths,
                                               cases[index].team, &start, &end),
                          0);
        char text[11];
        assert_string_equal (cf_date_format (start, text), cases[index].start);
        assert_string_equal (cf_date_format (end, text), cases[index].end);
    }
    cf_day_t start = 5, end = 6;
    assert_int_equal (cf_plan_audit_dates (0, 14, 10, 0, &start, &end),
                      CF_EINVAL);
    assert_int_equal (cf_plan_audit_dates (0, -1, 10, 1, &start, &end),
                      CF_EINVAL);
    assert_int_equal (
        cf_plan_audit_dates (s_day ("9999-12-10"), 14, 100, 1, &start, &end),
        CF_ELIMIT);
    assert_int_equal (start, 5);
    assert_int_equal (end, 6);
}

//  ------------------------------------------------------------------------
//  A team proposed by hand

static int
s_check_team (fixture_t *fixture)
{
    cf_problems_reset (fixture->problems);
    return cf_plan_check_team (fixture->scheme, s_application (fixture),
                               fixture->staff, fixture->staff_count,
                               fixture->record->plan, fixture->record,
                               fixture->problems);
}

static void
test_check_team_accepts_a_good_plan (void **state)
{
    fixture_t *fixture = *state;
    s_staff (fixture, "A01", "auditor");
    s_staff (fixture, "A02", "auditor");
    s_staff (fixture, "A03", "auditor");
    s_plan (fixture, "A02", "A01 A03");
    assert_int_equal (s_check_team (fixture), 0);
    assert_int_equal (cf_problems_size (fixture->problems), 0);
}

static void
test_check_team_malformed_plans (void **state)
{
    fixture_t *fixture = *state;
    s_staff (fixture, "A01", "auditor");
    s_staff (fixture, "A02", "auditor");
    s_staff (fixture, "A03", "auditor");

    s_plan (fixture, "A01", "A01");
    assert_int_equal (s_check_team (fixture), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "plan.leader_member"));
    assert_true (cf_problems_has (fixture->problems, "plan.size"));

    s_plan (fixture, "A01", "A02 A02");
    assert_int_equal (s_check_team (fixture), CF_EINVAL);
    s_only_problem (fixture, "plan.duplicate");

    s_plan (fixture, "", "A02 A03");
    assert_int_equal (s_check_team (fixture), CF_EINVAL);
    s_only_problem (fixture, "plan.leader");

    s_plan (fixture, "A01", "A02");
    cf_pb_set_string (&fixture->record->plan->mode, "FS09");
    assert_int_equal (s_check_team (fixture), CF_EINVAL);
    s_only_problem (fixture, "plan.mode");

    s_plan (fixture, "A01", "A02");
    cf_pb_set_string (&fixture->record->plan->end_date, "2026-03-01");
    assert_int_equal (s_check_team (fixture), CF_EINVAL);
    s_only_problem (fixture, "plan.dates");

    s_plan (fixture, "A01", "A02");
    cf_pb_set_string (&fixture->record->plan->start_date, "soon");
    assert_int_equal (s_check_team (fixture), CF_EINVAL);
    s_only_problem (fixture, "plan.dates");
}

static void
test_check_team_names_who_may_not_audit (void **state)
{
    fixture_t *fixture = *state;
    s_staff (fixture, "A01", "auditor");
    s_staff (fixture, "A02", "auditor")->n_sectors = 1;  //  F51 only
    s_staff (fixture, "A03", "auditor");
    cf_pb_append_string (&fixture->record->n_reviewers,
                         &fixture->record->reviewers, "A03");
    s_plan (fixture, "A01", "A02 A03 A09");
    assert_int_equal (s_check_team (fixture), CF_ENOSTAFF);
    fixture->staff[1]->n_sectors = 2;
    assert_int_equal (cf_problems_size (fixture->problems), 3);
    assert_true (cf_problems_has (fixture->problems, "auditor.sector"));
    assert_true (cf_problems_has (fixture->problems, "team.reviewer"));
    assert_true (cf_problems_has (fixture->problems, "plan.unknown_staff"));
}

//  ------------------------------------------------------------------------
//  The committee and its votes

//  The case was evaluated by K01 (leader), K02 (member), K03 (verifier)
//  and K04 (document reviewer); all four also sit on committees
static void
s_evaluated_case (fixture_t *fixture)
{
    for (int index = 1; index <= 4; index++) {
        char id[8];
        snprintf (id, sizeof id, "K%02d", index);
        s_staff (fixture, id, "auditor committee reviewer");
    }
    s_plan (fixture, "K01", "K02");
    cf_pb_set_string (&fixture->record->verifier, "K03");
    cf_pb_append_string (&fixture->record->n_reviewers,
                         &fixture->record->reviewers, "K04");
}

static int
s_select_committee (fixture_t *fixture, char ***members_p, size_t *count_p)
{
    cf_problems_reset (fixture->problems);
    return cf_plan_select_committee (
        fixture->scheme, fixture->record, fixture->staff, fixture->staff_count,
        s_day ("2026-04-10"), members_p, count_p, fixture->problems);
}

static void
test_committee_excludes_everyone_involved (void **state)
{
    fixture_t *fixture = *state;
    s_evaluated_case (fixture);
    s_staff (fixture, "K07", "committee");
    s_staff (fixture, "K06", "committee");
    s_staff (fixture, "K05", "committee");
    s_staff (fixture, "K08", "committee");
    char **members = NULL;
    size_t count = 0;
    assert_int_equal (s_select_committee (fixture, &members, &count), 0);
    assert_int_equal (count, 3);
    assert_string_equal (members[0], "K05");
    assert_string_equal (members[1], "K06");
    assert_string_equal (members[2], "K07");
    cf_plan_strings_free (&members, count);
    assert_null (members);
}

static void
test_committee_members_must_be_qualified_and_free (void **state)
{
    fixture_t *fixture = *state;
    s_staff (fixture, "K01", "committee");
    //  Qualification ended the day before the committee is formed
    cf_pb_set_string (&s_staff (fixture, "K02", "committee")->qualified_until,
                      "2026-04-09");
    s_conflict (s_staff (fixture, "K03", "committee"), USCC, "");
    s_staff (fixture, "K04", "auditor");
    s_staff (fixture, "K05", "committee")->active = false;
    s_staff (fixture, "K06", "committee");
    s_staff (fixture, "K07", "committee");
    char **members = NULL;
    size_t count = 0;
    assert_int_equal (s_select_committee (fixture, &members, &count), 0);
    assert_string_equal (members[0], "K01");
    assert_string_equal (members[1], "K06");
    assert_string_equal (members[2], "K07");
    cf_plan_strings_free (&members, count);
}

static void
test_committee_shortfall (void **state)
{
    fixture_t *fixture = *state;
    s_evaluated_case (fixture);
    s_staff (fixture, "K05", "committee");
    s_staff (fixture, "K06", "committee");
    char **members = (char **)fixture;  //  Must be reset
    size_t count = 9;
    assert_int_equal (s_select_committee (fixture, &members, &count),
                      CF_ENOSTAFF);
    assert_null (members);
    assert_int_equal (count, 0);
    assert_int_equal (cf_problems_size (fixture->problems), 5);
    for (size_t index = 0; index < 4; index++)
        assert_string_equal (cf_problems_code (fixture->problems, index),
                             "committee.involved");
    const char *leader = cf_problems_message (fixture->problems, 0);
    assert_non_null (strstr (leader, "the audit team leader"));
    assert_non_null (strstr (leader, "ISO/IEC 17065 7.6"));
    assert_non_null (
        strstr (cf_problems_message (fixture->problems, 2), "the verifier"));
    assert_string_equal (cf_problems_code (fixture->problems, 4),
                         "committee.too_few");
    assert_non_null (
        strstr (cf_problems_message (fixture->problems, 4), "only 2 of 6"));
}

static void
test_voter_must_be_an_uninvolved_member (void **state)
{
    fixture_t *fixture = *state;
    s_evaluated_case (fixture);
    Cf__Committee *committee = cf_pb_new (&cf__committee__descriptor);
    cf_pb_append_string (&committee->n_members, &committee->members, "K05");
    cf_pb_append_string (&committee->n_members, &committee->members, "K06");
    //  Put there by hand against the rules: the guard still refuses
    cf_pb_append_string (&committee->n_members, &committee->members, "K02");
    fixture->record->committee = committee;

    assert_int_equal (cf_plan_check_voter (fixture->scheme, fixture->record,
                                           "K05", fixture->problems),
                      0);
    assert_int_equal (cf_problems_size (fixture->problems), 0);

    assert_int_equal (cf_plan_check_voter (fixture->scheme, fixture->record,
                                           "K07", fixture->problems),
                      CF_EGUARD);
    s_only_problem (fixture, "vote.not_member");
    assert_non_null (strstr (cf_problems_message (fixture->problems, 0),
                             "ISO/IEC 17065 7.6"));

    cf_problems_reset (fixture->problems);
    assert_int_equal (cf_plan_check_voter (fixture->scheme, fixture->record,
                                           "K02", fixture->problems),
                      CF_EGUARD);
    s_only_problem (fixture, "vote.involved");
    assert_non_null (strstr (cf_problems_message (fixture->problems, 0),
                             "an audit team member"));

    //  The leader is neither a member nor uninvolved: both reasons
    cf_problems_reset (fixture->problems);
    assert_int_equal (cf_plan_check_voter (fixture->scheme, fixture->record,
                                           "K01", fixture->problems),
                      CF_EGUARD);
    assert_int_equal (cf_problems_size (fixture->problems), 2);

    cf_problems_reset (fixture->problems);
    assert_int_equal (cf_plan_check_voter (fixture->scheme, fixture->record, "",
                                           fixture->problems),
                      CF_EGUARD);
    s_only_problem (fixture, "vote.not_member");
}

static void
test_voter_on_a_case_without_committee (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (cf_plan_check_voter (fixture->scheme, fixture->record,
                                           "K05", fixture->problems),
                      CF_EGUARD);
    s_only_problem (fixture, "vote.not_member");
}

//  A conflict declared with a consultancy: every case it submitted or acted
//  on, for the team chosen and the team proposed by hand; not another
//  consultancy's case, and not once the lookback has passed
static void
test_consultancy_conflict_reaches_its_cases (void **state)
{
    fixture_t *fixture = *state;
    Cf__Staff *former = s_staff (fixture, "A01", "auditor leader committee");
    Cf__Conflict *conflict = cf_pb_new (&cf__conflict__descriptor);
    cf_pb_set_string (&conflict->consultancy, "CONSULT-A");
    cf_pb_set_string (&conflict->reason, "worked for it until mid-2025");
    cf_pb_set_string (&conflict->until, "2025-06-30");
    cf_pb_append (&former->n_conflicts, (void ***)&former->conflicts, conflict);
    s_staff (fixture, "A02", "auditor");
    s_staff (fixture, "A03", "auditor");

    //  Another consultancy's case: A01 leads
    cf_pb_set_string (&fixture->record->consultancy, "CONSULT-B");
    cf_pb_append_string (&fixture->record->n_consultancies,
                         &fixture->record->consultancies, "CONSULT-B");
    Cf__AuditPlan *plan = NULL;
    assert_int_equal (s_select (fixture, &plan), 0);
    assert_string_equal (plan->leader, "A01");
    cf_pb_free (&plan);

    //  CONSULT-A acted on it later: A01 is out of the team chosen...
    cf_pb_append_string (&fixture->record->n_consultancies,
                         &fixture->record->consultancies, "CONSULT-A");
    assert_int_equal (s_select (fixture, &plan), 0);
    assert_string_equal (plan->leader, "A02");
    assert_string_equal (plan->members[0], "A03");
    cf_pb_free (&plan);
    //  ...and refused in a team proposed by hand, with who and why
    s_plan (fixture, "A01", "A02");
    assert_int_equal (s_check_team (fixture), CF_ENOSTAFF);
    assert_true (cf_problems_has (fixture->problems, "auditor.conflict"));
    const char *message = cf_problems_message (fixture->problems, 0);
    assert_non_null (strstr (message, "A01"));
    assert_non_null (strstr (message, "CONSULT-A"));
    //  The submitting consultancy alone counts too
    cf_pb_set_string (&fixture->record->consultancies[1], "CONSULT-B");
    cf_pb_set_string (&fixture->record->consultancy, "CONSULT-A");
    assert_int_equal (s_check_team (fixture), CF_ENOSTAFF);
    //  24 months after the conflict ended it no longer counts
    cf_pb_set_string (&conflict->until, "2024-03-01");
    assert_int_equal (s_check_team (fixture), 0);
    //  The committee of the case leaves A01 out too (it is not on the
    //  team now: only the conflict keeps it off)
    cf_pb_set_string (&conflict->until, "2025-06-30");
    cf_pb_free (&fixture->record->plan);
    s_staff (fixture, "A04", "committee");
    s_staff (fixture, "A05", "committee");
    s_staff (fixture, "A06", "committee");
    char **chosen = NULL;
    size_t chosen_count = 0;
    assert_int_equal (s_select_committee (fixture, &chosen, &chosen_count), 0);
    assert_int_equal (chosen_count, 3);
    for (size_t index = 0; index < chosen_count; index++)
        assert_string_not_equal (chosen[index], "A01");
    cf_plan_strings_free (&chosen, chosen_count);
    cf_pb_set_string (&fixture->record->consultancy, "CONSULT-B");
    assert_int_equal (s_select_committee (fixture, &chosen, &chosen_count), 0);
    assert_string_equal (chosen[0], "A01");
    cf_plan_strings_free (&chosen, chosen_count);
    cf_pb_set_string (&fixture->record->consultancy, "CONSULT-A");
    //  Nor for the company's own conflicts check without a case
    cf_pb_set_string (&conflict->until, "");
    cf_problems_reset (fixture->problems);
    assert_int_equal (
        cf_plan_check_auditor (fixture->scheme, s_application (fixture), former,
                               s_day ("2026-03-02"), s_day ("2026-03-03"),
                               fixture->problems),
        0);
}

int
main (void)
{
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_audit_time_hand_worked),
        TEST (test_fee_rounds_half_a_fen_up),
        TEST (test_audit_rationale_explains_the_sum),
        TEST (test_audit_time_refuses_what_it_cannot_count),
        TEST (test_audit_time_needs_an_unbounded_step),
        TEST (test_audit_time_that_does_not_fit),
        TEST (test_contract_number),
        TEST (test_auditor_eligible),
        TEST (test_auditor_inactive),
        TEST (test_auditor_without_the_role),
        TEST (test_auditor_not_competent_for_the_sector),
        TEST (test_auditor_qualification_must_cover_every_day),
        TEST (test_auditor_unreadable_qualification),
        TEST (test_auditor_open_conflict),
        TEST (test_auditor_conflict_lookback_boundary),
        TEST (test_auditor_unreadable_conflict_end),
        TEST (test_auditor_every_reason_at_once),
        TEST (test_auditor_dates_out_of_order),
        TEST (test_team_prefers_a_leader_and_orders_by_id),
        TEST (test_team_without_a_leader_role_takes_the_first),
        TEST (test_team_excludes_document_reviewers),
        TEST (test_team_shortfall_says_why),
        TEST (test_team_with_no_staff),
        TEST (test_audit_dates_skip_weekends),
        TEST (test_check_team_accepts_a_good_plan),
        TEST (test_check_team_malformed_plans),
        TEST (test_check_team_names_who_may_not_audit),
        TEST (test_committee_excludes_everyone_involved),
        TEST (test_committee_members_must_be_qualified_and_free),
        TEST (test_committee_shortfall),
        TEST (test_voter_must_be_an_uninvolved_member),
        TEST (test_voter_on_a_case_without_committee),
        TEST (test_consultancy_conflict_reaches_its_cases),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
