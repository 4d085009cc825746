/*  Unit tests for cf_certfsm: the table against every (status, event,
    role) as DOMAIN section 5 gives it, written out here by hand; each guard
    both ways; the timers; a refused decision leaves the certificate
    byte-identical.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_certfsm.h"
#include "cf_date.h"
#include "cf_fsm.h"
#include "cf_pb.h"
#include "cf_scheme.h"

#define S_HOUR (3600LL * 1000)
#define S_ORG  "YUNXI"

#define VALID       CF__CERT_STATUS__CERT_STATUS_VALID
#define SUSPENDED   CF__CERT_STATUS__CERT_STATUS_SUSPENDED
#define WITHDRAWN   CF__CERT_STATUS__CERT_STATUS_WITHDRAWN
#define CANCELLED   CF__CERT_STATUS__CERT_STATUS_CANCELLED
#define EXPIRED     CF__CERT_STATUS__CERT_STATUS_EXPIRED
#define SUPERSEDED  CF__CERT_STATUS__CERT_STATUS_SUPERSEDED
#define S_BIT(role) CF_ROLE_BIT (CF_ROLE_##role)

//  Who may decide what, from DOMAIN section 5 and the module's header
static const struct {
    Cf__CertStatus status;  //  In this status
    cf_cert_event_t event;  //  This event
    uint32_t roles;         //  Exactly these roles
} s_expected[] = {
    {VALID, CF_CERT_EVENT_SUSPENDED, S_BIT (ADMIN) | S_BIT (COMMITTEE)},
    {SUSPENDED, CF_CERT_EVENT_RESTORED, S_BIT (ADMIN) | S_BIT (COMMITTEE)},
    {SUSPENDED, CF_CERT_EVENT_LAPSED, S_BIT (SYSTEM)},
    {VALID, CF_CERT_EVENT_WITHDRAWN, S_BIT (ADMIN) | S_BIT (COMMITTEE)},
    {SUSPENDED, CF_CERT_EVENT_WITHDRAWN, S_BIT (ADMIN) | S_BIT (COMMITTEE)},
    {VALID, CF_CERT_EVENT_CANCELLED, S_BIT (APPLICANT) | S_BIT (ADMIN)},
    {SUSPENDED, CF_CERT_EVENT_CANCELLED, S_BIT (APPLICANT) | S_BIT (ADMIN)},
    {VALID, CF_CERT_EVENT_EXPIRED, S_BIT (SYSTEM)},
    {VALID, CF_CERT_EVENT_SUPERSEDED,
     S_BIT (ADMIN) | S_BIT (COMMITTEE) | S_BIT (SYSTEM)},
    {SUSPENDED, CF_CERT_EVENT_SUPERSEDED,
     S_BIT (ADMIN) | S_BIT (COMMITTEE) | S_BIT (SYSTEM)},
    {VALID, CF_CERT_EVENT_VISIT_MISSED, S_BIT (SYSTEM)},
    {VALID, CF_CERT_EVENT_VISIT_PASSED, S_BIT (SYSTEM)},
    {SUSPENDED, CF_CERT_EVENT_VISIT_PASSED, S_BIT (SYSTEM)},
    {VALID, CF_CERT_EVENT_VISIT_FAILED, S_BIT (SYSTEM)},
    {SUSPENDED, CF_CERT_EVENT_VISIT_FAILED, S_BIT (SYSTEM)},
    {VALID, CF_CERT_EVENT_VISIT_DUE, S_BIT (SYSTEM)},
    {VALID, CF_CERT_EVENT_RENEWAL_DUE, S_BIT (SYSTEM)},
};

//  The built-in scheme: 5 decision days, 3 months' suspension (6 at most),
//  no grace for a visit
static cf_scheme_t *s_scheme;

static int
s_setup (void **state)
{
    (void)state;
    return cf_scheme_default (&s_scheme);
}

static int
s_teardown (void **state)
{
    (void)state;
    cf_scheme_destroy (&s_scheme);
    return 0;
}

static uint32_t
s_expected_roles (Cf__CertStatus status, cf_cert_event_t event)
{
    for (size_t index = 0; index < sizeof s_expected / sizeof *s_expected;
         index++)
        if (s_expected[index].status == status &&
            s_expected[index].event == event)
            return s_expected[index].roles;
    return 0;
}

//  A valid certificate issued 2026-03-20, expiring 2029-03-20
static Cf__Certificate *
s_certificate (void)
{
    Cf__Certificate *cert = cf_pb_new (&cf__certificate__descriptor);
    cf_pb_set_string (&cert->number, "CFC2026SC00001");
    cf_pb_set_string (&cert->case_id, "CF-2026-000001");
    cf_pb_set_string (&cert->issue_date, "2026-03-20");
    cf_pb_set_string (&cert->expiry_date, "2029-03-20");
    cert->status = VALID;
    //  Its reminders are given (test_reminders_come_once has them)
    cert->renewal_reminded = true;
    return cert;
}

static int64_t
s_at (int year, int month, int day)
{
    return cf_date_to_ms (cf_date_from_ymd (year, month, day)) + 10 * S_HOUR;
}

static int
s_fire (Cf__Certificate **cert_p, cf_cert_event_t event, Cf__Role role,
        const char *org, const Cf__CertificateChange *change, int64_t now,
        cf_problems_t *problems)
{
    Cf__Principal who = CF__PRINCIPAL__INIT;
    who.name = "someone";
    who.role = role;
    who.org = (char *)(org ? org : "");
    cf_certfsm_input_t input = {s_scheme, &who, S_ORG, change, now};
    cf_problems_reset (problems);
    return cf_certfsm_fire (cert_p, event, &input, NULL, problems);
}

static void
test_every_status_event_role_against_the_domain (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "as decided";
    change.trigger = "misuse";
    change.trigger_date = "2027-01-04";
    for (int status = VALID; status <= SUPERSEDED; status++)
        for (int event = 0; event < CF_CERT_EVENT_COUNT; event++) {
            uint32_t roles = s_expected_roles ((Cf__CertStatus)status,
                                               (cf_cert_event_t)event);
            assert_int_equal (cf_certfsm_roles_for ((Cf__CertStatus)status,
                                                    (cf_cert_event_t)event),
                              roles);
            for (int role = 1; role <= CF_ROLE_MAX; role++) {
                Cf__Certificate *cert = s_certificate ();
                cert->status = (Cf__CertStatus)status;
                int rc = s_fire (&cert, (cf_cert_event_t)event, (Cf__Role)role,
                                 S_ORG, &change, s_at (2027, 1, 5), problems);
                if (!roles)
                    assert_int_equal (rc, CF_ENOTRANSITION);
                else if (!(roles & CF_ROLE_BIT (role)))
                    assert_int_equal (rc, CF_EFORBIDDEN);
                else
                    assert_true (rc == 0 || rc == CF_EGUARD);
                cf_pb_free (&cert);
            }
        }
    for (int status = VALID; status <= SUPERSEDED; status++)
        if (cf_certfsm_status_final ((Cf__CertStatus)status))
            for (int event = 0; event < CF_CERT_EVENT_COUNT; event++)
                assert_int_equal (cf_certfsm_roles_for ((Cf__CertStatus)status,
                                                        (cf_cert_event_t)event),
                                  0);
    cf_problems_destroy (&problems);
}

static void
test_suspension_is_triggered_timed_and_restored (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    Cf__Certificate *cert = s_certificate ();
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "";
    change.trigger = "misuse";
    change.trigger_date = "2027-01-04";
    int64_t now = s_at (2027, 1, 6);
    size_t size;
    uint8_t *before = cf_pb_pack (&cert->base, &size);
    //  Each guard: reason, trigger, its date, the 5 days, the months
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUSPENDED,
                              CF__ROLE__ROLE_ADMIN, NULL, &change, now,
                              problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.reason"));
    change.reason = "logo used on an uncertified product line";
    change.trigger = "rumour";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUSPENDED,
                              CF__ROLE__ROLE_COMMITTEE, NULL, &change, now,
                              problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.trigger"));
    change.trigger = "misuse";
    change.trigger_date = "2027-01-09";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUSPENDED,
                              CF__ROLE__ROLE_ADMIN, NULL, &change, now,
                              problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.trigger_date"));
    change.trigger_date = "2026-12-30";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUSPENDED,
                              CF__ROLE__ROLE_ADMIN, NULL, &change, now,
                              problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.decision_late"));
    change.trigger_date = "2027-01-04";
    change.months = 7;
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUSPENDED,
                              CF__ROLE__ROLE_ADMIN, NULL, &change, now,
                              problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.months"));
    size_t after_size;
    uint8_t *after = cf_pb_pack (&cert->base, &after_size);
    assert_int_equal (after_size, size);
    assert_memory_equal (after, before, size);
    free (before);
    free (after);

    //  The default period is 3 months from today: its last day the day
    //  before
    change.months = 0;
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUSPENDED,
                              CF__ROLE__ROLE_ADMIN, NULL, &change, now,
                              problems),
                      0);
    assert_int_equal (cert->status, SUSPENDED);
    assert_string_equal (cert->suspension->from, "2027-01-06");
    assert_string_equal (cert->suspension->until, "2027-04-05");
    assert_string_equal (cert->suspension->trigger_date, "2027-01-04");
    assert_string_equal (cert->status_date, "2027-01-06");
    assert_string_equal (cert->status_reason, change.reason);
    //  Its timer: the end of the last day, China time
    assert_int_equal (cf_certfsm_due (cert, s_scheme),
                      cf_date_to_ms (cf_date_from_ymd (2027, 4, 6)) - 1);
    assert_int_equal (cf_certfsm_due_event (cert, s_scheme, s_at (2027, 4, 5)),
                      -1);
    assert_int_equal (
        cf_certfsm_due_event (cert, s_scheme,
                              cf_date_to_ms (cf_date_from_ymd (2027, 4, 6))),
        CF_CERT_EVENT_LAPSED);
    //  Restored with the evidence
    Cf__CertificateChange evidence = CF__CERTIFICATE_CHANGE__INIT;
    evidence.reason = "product line withdrawn from sale; marking corrected";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_RESTORED,
                              CF__ROLE__ROLE_COMMITTEE, NULL, &evidence,
                              s_at (2027, 2, 1), problems),
                      0);
    assert_int_equal (cert->status, VALID);
    assert_null (cert->suspension);
    assert_string_equal (cert->status_reason, evidence.reason);
    cf_pb_free (&cert);
    cf_problems_destroy (&problems);
}

static void
test_timers_expire_and_withdraw (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    Cf__Certificate *cert = s_certificate ();
    //  Valid through its expiry day, expired after it
    int64_t last = cf_date_to_ms (cf_date_from_ymd (2029, 3, 21)) - 1;
    assert_int_equal (cf_certfsm_due (cert, s_scheme), last);
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_EXPIRED,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, last - 1,
                              problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.not_due"));
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_EXPIRED,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, last,
                              problems),
                      0);
    assert_int_equal (cert->status, EXPIRED);
    assert_string_equal (cert->status_date, "2029-03-20");
    assert_int_equal (cf_certfsm_due (cert, s_scheme), 0);
    cf_pb_free (&cert);

    //  A suspension that runs out uncleared withdraws the certificate
    cert = s_certificate ();
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "the 2027 surveillance was not held";
    change.trigger = "missed_surveillance";
    change.trigger_date = "2027-03-21";
    change.months = 1;
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUSPENDED,
                              CF__ROLE__ROLE_ADMIN, NULL, &change,
                              s_at (2027, 3, 22), problems),
                      0);
    int64_t due = cf_certfsm_due (cert, s_scheme);
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_LAPSED,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, due, problems),
                      0);
    assert_int_equal (cert->status, WITHDRAWN);
    assert_non_null (strstr (cert->status_reason, "missed_surveillance"));
    assert_string_equal (cert->status_date, "2027-04-21");
    cf_pb_free (&cert);
    cf_problems_destroy (&problems);
}

static void
test_only_the_holder_cancels (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    Cf__Certificate *cert = s_certificate ();
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "the company closes its appliance business";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_CANCELLED,
                              CF__ROLE__ROLE_APPLICANT, "RIVAL", &change,
                              s_at (2027, 6, 1), problems),
                      CF_EFORBIDDEN);
    assert_true (cf_problems_has (problems, "certfsm.org"));
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_CANCELLED,
                              CF__ROLE__ROLE_APPLICANT, S_ORG, &change,
                              s_at (2027, 6, 1), problems),
                      0);
    assert_int_equal (cert->status, CANCELLED);
    //  Nothing leaves a final status
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_RESTORED,
                              CF__ROLE__ROLE_ADMIN, NULL, &change,
                              s_at (2027, 6, 2), problems),
                      CF_ENOTRANSITION);
    cf_pb_free (&cert);
    cf_problems_destroy (&problems);
}

//  A certificate with visits due 2027-03-20 and 2028-03-20
static Cf__Certificate *
s_visited (void)
{
    Cf__Certificate *cert = s_certificate ();
    const char *due[] = {"2027-03-20", "2028-03-20"};
    for (size_t index = 0; index < 2; index++) {
        Cf__Visit *visit = cf_pb_new (&cf__visit__descriptor);
        cf_pb_set_string (&visit->due, due[index]);
        visit->reminded = true;
        cf_pb_append (&cert->n_visits, (void ***)&cert->visits, visit);
    }
    return cert;
}

static void
s_open_visit (Cf__Certificate *cert, size_t index, const char *case_id)
{
    cf_pb_set_string (&cert->visits[index]->outcome, CF_VISIT_OPEN);
    cf_pb_set_string (&cert->visits[index]->case_id, case_id);
}

static void
test_a_missed_visit_suspends_and_a_passed_one_restores (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    Cf__Certificate *cert = s_visited ();
    //  The timer waits on the first visit, through the end of its due day
    int64_t due = cf_date_to_ms (cf_date_from_ymd (2027, 3, 21)) - 1;
    assert_int_equal (cf_certfsm_due (cert, s_scheme), due);
    assert_int_equal (cf_certfsm_due_event (cert, s_scheme, due - 1), -1);
    assert_int_equal (cf_certfsm_due_event (cert, s_scheme, due),
                      CF_CERT_EVENT_VISIT_MISSED);
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_VISIT_MISSED,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, due - 1,
                              problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.not_due"));
    //  Missed: suspended from the next day, for the scheme's 3 months
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_VISIT_MISSED,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, due, problems),
                      0);
    assert_int_equal (cert->status, SUSPENDED);
    assert_true (cert->visits[0]->missed);
    assert_string_equal (cert->suspension->trigger, "missed_surveillance");
    assert_string_equal (cert->suspension->trigger_date, "2027-03-21");
    assert_string_equal (cert->suspension->from, "2027-03-21");
    assert_string_equal (cert->suspension->until, "2027-06-20");
    assert_string_equal (cert->status_date, "2027-03-20");
    assert_non_null (strstr (cert->status_reason, "2027-03-20"));
    //  The late visit is made; another case's outcome is refused
    s_open_visit (cert, 0, "CF-2027-000009");
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "surveillance case CF-2027-000009 maintained grade B";
    change.case_id = "CF-2027-000008";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_VISIT_PASSED,
                              CF__ROLE__ROLE_SYSTEM, NULL, &change,
                              s_at (2027, 4, 20), problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.visit"));
    change.case_id = "CF-2027-000009";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_VISIT_PASSED,
                              CF__ROLE__ROLE_SYSTEM, NULL, &change,
                              s_at (2027, 4, 20), problems),
                      0);
    assert_int_equal (cert->status, VALID);
    assert_null (cert->suspension);
    assert_string_equal (cert->visits[0]->outcome, CF_VISIT_MAINTAINED);
    assert_string_equal (cert->visits[0]->date, "2027-04-20");
    //  Now the timer waits on the second visit
    assert_int_equal (cf_certfsm_due (cert, s_scheme),
                      cf_date_to_ms (cf_date_from_ymd (2028, 3, 21)) - 1);
    size_t next = 0;
    assert_int_equal (cf_certfsm_visit_to_make (cert, &next, problems), 0);
    assert_int_equal (next, 1);
    cf_pb_free (&cert);
    cf_problems_destroy (&problems);
}

static void
test_visits_follow_the_scheme_and_their_causes (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    Cf__Certificate *cert = s_visited ();
    //  The scheme's grace moves the deadline
    s_scheme->surveillance_grace_days = 10;
    assert_int_equal (cf_certfsm_due (cert, s_scheme),
                      cf_date_to_ms (cf_date_from_ymd (2027, 3, 31)) - 1);
    s_scheme->surveillance_grace_days = 0;
    //  A suspension for unpaid fees stays when a visit passes
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "the 2027 fee is unpaid";
    change.trigger = "unpaid_fees";
    change.trigger_date = "2027-02-01";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUSPENDED,
                              CF__ROLE__ROLE_ADMIN, NULL, &change,
                              s_at (2027, 2, 2), problems),
                      0);
    s_open_visit (cert, 0, "CF-2027-000009");
    Cf__CertificateChange outcome = CF__CERTIFICATE_CHANGE__INIT;
    outcome.reason = "surveillance case CF-2027-000009 maintained grade B";
    outcome.case_id = "CF-2027-000009";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_VISIT_PASSED,
                              CF__ROLE__ROLE_SYSTEM, NULL, &outcome,
                              s_at (2027, 3, 1), problems),
                      0);
    assert_int_equal (cert->status, SUSPENDED);
    assert_string_equal (cert->suspension->trigger, "unpaid_fees");
    assert_string_equal (cert->visits[0]->outcome, CF_VISIT_MAINTAINED);
    //  A failed visit suspends a valid certificate for the finding
    cf_pb_free (&cert);
    cert = s_visited ();
    s_open_visit (cert, 0, "CF-2027-000010");
    outcome.case_id = "CF-2027-000010";
    outcome.reason = "surveillance case CF-2027-000010 ended not_approved";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_VISIT_FAILED,
                              CF__ROLE__ROLE_SYSTEM, NULL, &outcome,
                              s_at (2027, 3, 1), problems),
                      0);
    assert_int_equal (cert->status, SUSPENDED);
    assert_string_equal (cert->suspension->trigger, "surveillance_finding");
    assert_string_equal (cert->suspension->until, "2027-05-31");
    assert_string_equal (cert->visits[0]->outcome, CF_VISIT_FAILED);
    //  It may be visited again; while that is open, no other
    size_t next = 5;
    assert_int_equal (cf_certfsm_visit_to_make (cert, &next, problems), 0);
    assert_int_equal (next, 0);
    s_open_visit (cert, 0, "CF-2027-000011");
    assert_int_equal (cf_certfsm_visit_to_make (cert, &next, problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "visit.open"));
    cf_pb_free (&cert);
    cf_problems_destroy (&problems);
}

static void
test_a_reissue_supersedes_naming_its_successor (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    Cf__Certificate *cert = s_visited ();
    s_open_visit (cert, 0, "CF-2027-000009");
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    change.reason = "surveillance case CF-2027-000009 changed the grade";
    change.case_id = "CF-2027-000009";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUPERSEDED,
                              CF__ROLE__ROLE_SYSTEM, NULL, &change,
                              s_at (2027, 3, 1), problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "certfsm.successor"));
    change.successor = "CFC2027SC00002";
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_SUPERSEDED,
                              CF__ROLE__ROLE_SYSTEM, NULL, &change,
                              s_at (2027, 3, 1), problems),
                      0);
    assert_int_equal (cert->status, SUPERSEDED);
    assert_string_equal (cert->superseded_by, "CFC2027SC00002");
    assert_string_equal (cert->visits[0]->outcome, CF_VISIT_GRADE_CHANGED);
    assert_int_equal (cf_certfsm_due (cert, s_scheme), 0);
    assert_int_equal (cf_certfsm_visit_to_make (cert, NULL, problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "visit.final"));
    cf_pb_free (&cert);
    //  All visits made: none left to open
    cert = s_visited ();
    for (size_t index = 0; index < cert->n_visits; index++)
        cf_pb_set_string (&cert->visits[index]->outcome, CF_VISIT_MAINTAINED);
    cf_problems_reset (problems);
    assert_int_equal (cf_certfsm_visit_to_make (cert, NULL, problems),
                      CF_EGUARD);
    assert_true (cf_problems_has (problems, "visit.none"));
    cf_pb_free (&cert);
    cf_problems_destroy (&problems);
}

//  A visit's reminder comes the scheme's 30 days before it is due, the
//  renewal's when it may be applied for (3 months before expiry); each once
static void
test_reminders_come_once (void **state)
{
    (void)state;
    cf_problems_t *problems = cf_problems_new ();
    Cf__Certificate *cert = s_visited ();
    cert->renewal_reminded = false;
    for (size_t index = 0; index < cert->n_visits; index++)
        cert->visits[index]->reminded = false;
    int64_t remind = cf_date_to_ms (cf_date_from_ymd (2027, 2, 18));
    assert_int_equal (cf_certfsm_due (cert, s_scheme), remind);
    assert_int_equal (cf_certfsm_due_event (cert, s_scheme, remind - 1), -1);
    assert_int_equal (cf_certfsm_due_event (cert, s_scheme, remind),
                      CF_CERT_EVENT_VISIT_DUE);
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_VISIT_DUE,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, remind - 1,
                              problems),
                      CF_EGUARD);
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_VISIT_DUE,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, remind,
                              problems),
                      0);
    assert_int_equal (cert->status, VALID);
    assert_true (cert->visits[0]->reminded);
    //  A reminder is no change of status: its date and reason stay
    assert_null (cert->status_date[0] ? cert->status_date : NULL);
    //  Then the visit's deadline; once it is made, the next one's reminder
    assert_int_equal (cf_certfsm_due (cert, s_scheme),
                      cf_date_to_ms (cf_date_from_ymd (2027, 3, 21)) - 1);
    cf_pb_set_string (&cert->visits[0]->outcome, CF_VISIT_MAINTAINED);
    assert_int_equal (cf_certfsm_due (cert, s_scheme),
                      cf_date_to_ms (cf_date_from_ymd (2028, 2, 19)));
    cf_pb_set_string (&cert->visits[1]->outcome, CF_VISIT_MAINTAINED);
    //  The renewal opens 3 months before the expiry day's end
    int64_t opens = cf_date_to_ms (cf_date_from_ymd (2028, 12, 21));
    assert_int_equal (cf_certfsm_due (cert, s_scheme), opens);
    assert_int_equal (cf_certfsm_due_event (cert, s_scheme, opens),
                      CF_CERT_EVENT_RENEWAL_DUE);
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_RENEWAL_DUE,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, opens,
                              problems),
                      0);
    assert_true (cert->renewal_reminded);
    assert_int_equal (s_fire (&cert, CF_CERT_EVENT_RENEWAL_DUE,
                              CF__ROLE__ROLE_SYSTEM, NULL, NULL, opens,
                              problems),
                      CF_EGUARD);
    assert_int_equal (cf_certfsm_due (cert, s_scheme),
                      cf_date_to_ms (cf_date_from_ymd (2029, 3, 21)) - 1);
    cf_pb_free (&cert);
    cf_problems_destroy (&problems);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_status_event_role_against_the_domain),
        cmocka_unit_test (test_suspension_is_triggered_timed_and_restored),
        cmocka_unit_test (test_timers_expire_and_withdraw),
        cmocka_unit_test (test_only_the_holder_cancels),
        cmocka_unit_test (
            test_a_missed_visit_suspends_and_a_passed_one_restores),
        cmocka_unit_test (test_visits_follow_the_scheme_and_their_causes),
        cmocka_unit_test (test_a_reissue_supersedes_naming_its_successor),
        cmocka_unit_test (test_reminders_come_once),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
