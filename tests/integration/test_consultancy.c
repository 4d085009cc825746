/*  =========================================================================
    test_consultancy - consultancies act for the companies that appointed
    them: appointments recorded and ended by an administrator, with who and
    when, through the real programs
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_proc.h"

//  Two consultancies, three companies and their credit codes
#define S_CONSULT_A  "CONSULT-A"
#define S_CONSULT_B  "CONSULT-B"
#define S_ACME       "ACME"
#define S_ACME_USCC  "91330110MA2J7R4N38"
#define S_BETA       "BETA"
#define S_BETA_USCC  "9111010871526726X9"
#define S_GAMMA      "GAMMA"
#define S_GAMMA_USCC "9131000071526726XX"

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "consultancy");
}

static void
test_appointments_are_the_admins_record (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    const char *ana = cf_proc_principal (proc, "ana", "applicant", S_CONSULT_A);
    const char *auditor = cf_proc_principal (proc, "AUD001", "auditor", NULL);

    //  Only an administrator records one
    const cf_proc_output_t *out =
        cf_proc_expect (proc, 1, ana, "--json", "appointment", "add",
                        S_CONSULT_A, S_ACME, "--uscc", S_ACME_USCC, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_FORBIDDEN");
    out = cf_proc_expect (proc, 1, auditor, "appointment", "add", S_CONSULT_A,
                          S_ACME, "--uscc", S_ACME_USCC, NULL);
    assert_non_null (strstr (out->err, "record appointments"));

    //  Bad input is named with the fix
    out = cf_proc_expect (proc, 1, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, NULL);
    assert_non_null (strstr (out->err, "--uscc"));
    out = cf_proc_expect (proc, 1, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, "--uscc", "91330110MA2J7R4N39", NULL);
    assert_non_null (strstr (out->err, "check"));
    out = cf_proc_expect (proc, 1, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, "--uscc", S_ACME_USCC, "--act", "sign", NULL);
    assert_non_null (strstr (out->err, "submit, respond and withdraw"));

    //  Recorded, in words and as JSON
    out = cf_proc_expect (proc, 0, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, "--uscc", S_ACME_USCC, "--reference",
                          "ACME letter 2026-01", NULL);
    assert_non_null (strstr (out->out, "appointment recorded"));
    assert_non_null (strstr (out->out, "CONSULT-A acts for ACME"));
    assert_non_null (strstr (out->out, "submit, respond, withdraw"));
    out = cf_proc_expect (proc, 0, NULL, "--json", "appointment", "add",
                          S_CONSULT_B, S_BETA, "--uscc", S_BETA_USCC, "--act",
                          "respond", NULL);
    assert_string_equal (
        cf_proc_json_string (out->json, "/appointment/consultancy"),
        S_CONSULT_B);
    assert_string_equal (cf_proc_json_string (out->json, "/appointment/acts/0"),
                         "respond");
    assert_int_equal (cf_proc_json_length (out->json, "/appointment/acts"), 1);
    assert_string_equal (
        cf_proc_json_string (out->json, "/appointment/added_by/name"), "admin");
    assert_true (cf_proc_json_int (out->json, "/appointment/added_at", 0) > 0);

    //  A company is not a consultancy, nor the other way round
    out = cf_proc_expect (proc, 1, NULL, "--json", "appointment", "add", S_ACME,
                          S_GAMMA, "--uscc", S_GAMMA_USCC, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/error"),
                         "CF_EGUARD");
    assert_non_null (
        strstr (cf_proc_json_string (out->json, "/message"), "company"));
    //  The same pair twice: end the first
    out = cf_proc_expect (proc, 1, NULL, "appointment", "add", S_CONSULT_A,
                          S_ACME, NULL);
    assert_non_null (strstr (out->err, "end it first"));

    //  Ending takes a reason, and only an administrator
    out = cf_proc_expect (proc, 2, NULL, "appointment", "end", S_CONSULT_B,
                          S_BETA, NULL);
    assert_non_null (strstr (out->err, "--reason"));
    cf_proc_expect (proc, 1, ana, "appointment", "end", S_CONSULT_B, S_BETA,
                    "--reason", "we take over", NULL);
    out = cf_proc_expect (proc, 0, NULL, "appointment", "end", S_CONSULT_B,
                          S_BETA, "--reason", "BETA's notice of 2026-02-01",
                          NULL);
    assert_non_null (strstr (out->out, "appointment ended"));
    assert_non_null (strstr (out->out, "BETA's notice of 2026-02-01"));
    cf_proc_expect (proc, 1, NULL, "appointment", "end", S_CONSULT_B, S_BETA,
                    "--reason", "twice", NULL);

    //  The list: running ones, or every one with who and when
    out = cf_proc_expect (proc, 0, NULL, "--json", "appointment", "list", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/appointment_list/appointments"), 1);
    out = cf_proc_expect (proc, 0, NULL, "--json", "appointment", "list",
                          "--ended", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/appointment_list/appointments"), 2);
    assert_string_equal (
        cf_proc_json_string (out->json,
                             "/appointment_list/appointments/1/ended_by/name"),
        "admin");
    out =
        cf_proc_expect (proc, 0, NULL, "appointment", "list", "--ended", NULL);
    assert_non_null (strstr (out->out, "ended"));
    assert_non_null (strstr (out->out, "ACME letter 2026-01"));
    //  A consultancy lists its own only
    out = cf_proc_expect (proc, 0, ana, "--json", "appointment", "list",
                          "--consultancy", S_CONSULT_B, "--ended", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/appointment_list/appointments"), 1);
    assert_string_equal (
        cf_proc_json_string (out->json,
                             "/appointment_list/appointments/0/company"),
        S_ACME);

    //  Each command explains itself
    out = cf_proc_expect (proc, 0, NULL, "appointment", "add", "--help", NULL);
    assert_non_null (strstr (out->out, "withdraw"));
    cf_proc_expect (proc, 0, NULL, "appointment", "end", "--help", NULL);
    cf_proc_expect (proc, 0, NULL, "appointment", "list", "--help", NULL);

    //  The record survives a restart
    cf_proc_stop (cf_proc_current_daemon (proc));
    cf_proc_daemon (proc, NULL);
    out = cf_proc_expect (proc, 0, NULL, "--json", "appointment", "list",
                          "--ended", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/appointment_list/appointments"), 2);
}

//  Writes examples/application.json for another company and returns its
//  path
static const char *
s_application_of (cf_proc_t *proc, const char *name, const char *uscc)
{
    json_object *application = cf_proc_json_load (
        proc, cf_proc_source (proc, "examples/application.json"));
    json_object_object_add (application, "company_name",
                            json_object_new_string (name));
    json_object_object_add (application, "uscc", json_object_new_string (uscc));
    char file[64];
    snprintf (file, sizeof file, "application-%s.json", uscc);
    return cf_proc_json_save (proc, application, file);
}

//  Records an appointment as the admin; act NULL: every act
static void
s_appoint (cf_proc_t *proc, const char *consultancy, const char *company,
           const char *uscc, const char *act)
{
    if (act)
        cf_proc_expect (proc, 0, NULL, "appointment", "add", consultancy,
                        company, "--uscc", uscc, "--act", act, NULL);
    else
        cf_proc_expect (proc, 0, NULL, "appointment", "add", consultancy,
                        company, "--uscc", uscc, NULL);
}

//  Fails unless the case ids of a `--json list` output, joined by spaces,
//  are expected
static void
s_assert_listed (const cf_proc_output_t *out, const char *expected)
{
    char *ids = strdup ("");
    size_t count = cf_proc_json_length (out->json, "/page/cases");
    for (size_t index = 0; index < count; index++) {
        char *longer = NULL;
        assert_true (asprintf (&longer, "%s%s%s", ids, index ? " " : "",
                               cf_proc_json_nth (out->json,
                                                 "/page/cases/%zu/id", index)) >
                     0);
        free (ids);
        ids = longer;
    }
    if (strcmp (ids, expected) != 0)
        fail_msg ("listed '%s', expected '%s'", ids, expected);
    free (ids);
}

//  True when history (a --json history output) holds event refused, tried
//  by principal name
static bool
s_refused_by (const cf_proc_output_t *history, const char *event,
              const char *name)
{
    size_t count = cf_proc_json_length (history->json, "/events/events");
    for (size_t index = 0; index < count; index++)
        if (strcmp (cf_proc_json_nth (history->json,
                                      "/events/events/%zu/principal/name",
                                      index),
                    name) == 0 &&
            strcmp (cf_proc_json_nth (history->json, "/events/events/%zu/event",
                                      index),
                    event) == 0 &&
            *cf_proc_json_nth (history->json, "/events/events/%zu/refused",
                               index))
            return true;
    return false;
}

//  Two consultancies and three companies: each consultancy sees exactly
//  the cases of the companies that appointed it, on every channel, and
//  acts on them for the acts appointed
static void
test_consultancy_sees_exactly_its_clients (void **state)
{
    cf_proc_t *proc = *state;
    const char *acme = cf_proc_full_site (proc, S_ACME);
    const char *ana = cf_proc_principal (proc, "ana", "applicant", S_CONSULT_A);
    const char *bo = cf_proc_principal (proc, "bo", "applicant", S_CONSULT_B);
    s_appoint (proc, S_CONSULT_A, S_ACME, S_ACME_USCC, NULL);
    s_appoint (proc, S_CONSULT_A, S_BETA, S_BETA_USCC, NULL);
    s_appoint (proc, S_CONSULT_B, S_GAMMA, S_GAMMA_USCC, "submit");

    //  Each submits in its client's name, found by the credit code
    const char *first = cf_proc_submit_example (proc, ana);
    const char *second = cf_proc_submit (
        proc, ana, s_application_of (proc, "Beta", S_BETA_USCC));
    const char *third = cf_proc_submit (
        proc, bo, s_application_of (proc, "Gamma", S_GAMMA_USCC));
    const cf_proc_output_t *out =
        cf_proc_expect (proc, 0, ana, "--json", "status", first, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/record/org"),
                         S_ACME);
    assert_string_equal (cf_proc_json_string (out->json, "/record/consultancy"),
                         S_CONSULT_A);
    assert_string_equal (
        cf_proc_json_string (out->json, "/record/consultancies/0"),
        S_CONSULT_A);
    //  Not for a company that did not appoint it
    out = cf_proc_expect (proc, 1, bo, "--json", "submit",
                          cf_proc_source (proc, "examples/application.json"),
                          NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_FORBIDDEN");
    assert_non_null (
        strstr (cf_proc_json_string (out->json, "/message"), S_ACME_USCC));

    //  The API: lists and reads
    char expected[64];
    snprintf (expected, sizeof expected, "%s %s", first, second);
    s_assert_listed (cf_proc_expect (proc, 0, ana, "--json", "list", NULL),
                     expected);
    s_assert_listed (
        cf_proc_expect (proc, 0, ana, "--json", "list", "--org", S_BETA, NULL),
        second);
    s_assert_listed (
        cf_proc_expect (proc, 0, ana, "--json", "list", "--org", S_GAMMA, NULL),
        "");
    //  A page at a time, across the companies
    out = cf_proc_expect (proc, 0, ana, "--json", "list", "--limit", "1", NULL);
    s_assert_listed (out, first);
    assert_string_equal (cf_proc_json_string (out->json, "/page/next"), first);
    s_assert_listed (
        cf_proc_expect (proc, 0, ana, "--json", "list", "--after", first, NULL),
        second);
    s_assert_listed (cf_proc_expect (proc, 0, bo, "--json", "list", NULL),
                     third);
    s_assert_listed (cf_proc_expect (proc, 0, acme, "--json", "list", NULL),
                     first);
    cf_proc_expect (proc, 0, ana, "status", second, NULL);
    cf_proc_expect (proc, 0, ana, "history", second, NULL);
    out = cf_proc_expect (proc, 1, bo, "--json", "status", first, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_NOT_FOUND");
    out = cf_proc_expect (proc, 1, ana, "--json", "history", third, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_NOT_FOUND");

    //  The catch-up the feed leads to: its clients' events only
    out = cf_proc_expect (proc, 0, bo, "--json", "watch", "--since", "0",
                          "--count", "1", NULL);
    assert_string_equal (cf_proc_json_string (out->lines[0], "/case_id"),
                         third);
    //  Once both wait for a signature each has four events or more: six of
    //  the ones it sees hold both, and none of the third
    cf_proc_wait_state (proc, ana, first, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);
    cf_proc_wait_state (proc, ana, second, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);
    out = cf_proc_expect (proc, 0, ana, "--json", "watch", "--since", "0",
                          "--count", "6", NULL);
    size_t seen[2] = {0, 0};
    for (size_t index = 0; index < out->line_count; index++) {
        const char *id = cf_proc_json_string (out->lines[index], "/case_id");
        assert_true (strcmp (id, first) == 0 || strcmp (id, second) == 0);
        seen[strcmp (id, first) == 0 ? 0 : 1]++;
    }
    assert_int_equal (out->line_count, 6);
    assert_true (seen[0] > 0 && seen[1] > 0);

    //  clients: the companies with their open cases
    out = cf_proc_expect (proc, 0, ana, "--json", "clients", NULL);
    assert_int_equal (cf_proc_json_length (out->json, "/clients"), 2);
    assert_string_equal (
        cf_proc_json_string (out->json, "/clients/0/appointment/company"),
        S_ACME);
    assert_string_equal (
        cf_proc_json_string (out->json, "/clients/0/cases/0/id"), first);
    assert_string_equal (
        cf_proc_json_string (out->json, "/clients/1/cases/0/id"), second);
    out = cf_proc_expect (proc, 0, ana, "clients", NULL);
    assert_non_null (strstr (out->out, "CONSULT-A acts for BETA"));
    assert_non_null (strstr (out->out, second));
    cf_proc_expect (proc, 0, NULL, "clients", "--help", NULL);

    //  Acting: what was appointed, and no more
    out = cf_proc_expect (proc, 1, bo, "--json", "withdraw", third, "--reason",
                          "the client changed its mind", NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_FORBIDDEN");
    assert_non_null (
        strstr (cf_proc_json_string (out->json, "/message"), "withdraw"));
    cf_proc_expect (proc, 0, ana, "withdraw", second, "--reason",
                    "Beta postpones its application", NULL);
    out = cf_proc_expect (proc, 0, NULL, "--json", "status", second, NULL);
    assert_string_equal (cf_proc_state_of (out), "withdrawn");

    //  Every refused attempt is on the case's record, with who tried
    out = cf_proc_expect (proc, 0, NULL, "--json", "history", third, NULL);
    assert_true (s_refused_by (out, "withdraw", "bo"));
    assert_true (s_refused_by (out, "read", "ana"));
    out = cf_proc_expect (proc, 0, NULL, "--json", "history", first, NULL);
    assert_true (s_refused_by (out, "read", "bo"));
}

//  An appointment ended mid-case: the consultancy is refused at once, on
//  the API and in what its watcher is given, while the company goes on; a
//  consultancy never signs
static void
test_ended_appointment_stops_at_once (void **state)
{
    cf_proc_t *proc = *state;
    const char *acme = cf_proc_full_site (proc, S_ACME);
    const char *ana = cf_proc_principal (proc, "ana", "applicant", S_CONSULT_A);
    s_appoint (proc, S_CONSULT_A, S_ACME, S_ACME_USCC, NULL);
    const char *case_id = cf_proc_submit_example (proc, ana);
    cf_proc_wait_state (proc, ana, case_id, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);

    //  Signing is the company's act
    const cf_proc_output_t *out =
        cf_proc_expect (proc, 1, ana, "--json", "sign", case_id, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/error"),
                         "CF_EGUARD");
    assert_non_null (
        strstr (cf_proc_json_string (out->json, "/message"), "own act"));
    out = cf_proc_expect (proc, 1, NULL, "--json", "sign", case_id, NULL);
    assert_non_null (
        strstr (cf_proc_json_string (out->json, "/message"), "reference"));

    //  Watchers of both, from the start
    cf_proc_child_t *agent = cf_proc_certflow_start (
        proc, ana, "--json", "watch", "--since", "0", NULL);
    cf_proc_child_t *company = cf_proc_certflow_start (
        proc, acme, "--json", "watch", "--since", "0", NULL);
    assert_int_equal (cf_proc_wait_log (agent, "\"event\":\"contract_issued\"",
                                        1, CF_PROC_STATE_MS),
                      0);

    cf_proc_expect (proc, 0, NULL, "appointment", "end", S_CONSULT_A, S_ACME,
                    "--reason", "ACME ends the consultancy contract", NULL);
    //  At once: the API
    out = cf_proc_expect (proc, 1, ana, "--json", "status", case_id, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_NOT_FOUND");
    s_assert_listed (cf_proc_expect (proc, 0, ana, "--json", "list", NULL), "");
    out = cf_proc_expect (proc, 1, ana, "--json", "withdraw", case_id,
                          "--reason", "we keep it", NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_NOT_FOUND");
    out = cf_proc_expect (proc, 0, ana, "--json", "clients", NULL);
    assert_int_equal (cf_proc_json_length (out->json, "/clients"), 0);

    //  The company goes on: its user signs; the consultancy's watcher is
    //  not told, the company's is
    cf_proc_expect (proc, 0, acme, "sign", case_id, NULL);
    assert_int_equal (cf_proc_wait_log (company,
                                        "\"event\":\"contract_signed\"", 1,
                                        CF_PROC_STATE_MS),
                      0);
    cf_proc_wait_state (proc, acme, case_id, "onsite_audit", NULL,
                        CF_PROC_STATE_MS);
    assert_int_equal (cf_proc_wait_log (company, "\"event\":\"audit_planned\"",
                                        1, CF_PROC_STATE_MS),
                      0);
    //  (its own refused signature is an event it saw before the end)
    assert_int_equal (cf_proc_log_count (agent, "\"name\":\"yunxi\""), 0);
    assert_int_equal (cf_proc_log_count (agent, "audit_planned"), 0);
    //  A new watcher from the start gets nothing at all now
    cf_proc_child_t *late = cf_proc_certflow_start (
        proc, ana, "--json", "watch", "--since", "0", "--count", "1", NULL);
    out = cf_proc_collect (proc, late, 2000);
    assert_int_equal (out->status, -1);
    assert_string_equal (out->out, "");
    cf_proc_collect (proc, agent, 0);
    cf_proc_collect (proc, company, 0);

    //  The refused attempts, before and after the end, are on the record
    out = cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    assert_true (s_refused_by (out, "contract_signed", "ana"));
    assert_true (s_refused_by (out, "contract_signed", "admin"));
    assert_true (s_refused_by (out, "read", "ana"));
    assert_true (s_refused_by (out, "withdraw", "ana"));
    out = cf_proc_expect (proc, 0, acme, "--json", "status", case_id, NULL);
    assert_string_equal (
        cf_proc_json_string (out->json, "/record/contract/signed_by"), "yunxi");
}

//  An administrator records the company's signed paper, with its reference
static void
test_admin_records_the_signed_paper (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_full_site (proc, S_ACME);
    const char *ana = cf_proc_principal (proc, "ana", "applicant", S_CONSULT_A);
    s_appoint (proc, S_CONSULT_A, S_ACME, S_ACME_USCC, NULL);
    const char *case_id = cf_proc_submit_example (proc, ana);
    cf_proc_wait_state (proc, ana, case_id, "contract_pending",
                        "/record/contract/number", CF_PROC_STATE_MS);
    cf_proc_expect (proc, 0, NULL, "sign", case_id, "--reference",
                    "ACME's signed contract, received 2026-03-04", NULL);
    const cf_proc_output_t *out =
        cf_proc_expect (proc, 0, ana, "--json", "status", case_id, NULL);
    assert_string_equal (
        cf_proc_json_string (out->json, "/record/contract/signed_by"), "admin");
    assert_string_equal (
        cf_proc_json_string (out->json, "/record/contract/signed_reference"),
        "ACME's signed contract, received 2026-03-04");
}

//  Writes an audit plan for the days from the daemon's today + 14 and
//  returns its path
static const char *
s_plan_file (cf_proc_t *proc, const char *name, const char *leader,
             const char *member)
{
    const cf_proc_output_t *out =
        cf_proc_expect (proc, 0, NULL, "--json", "list", "--limit", "1", NULL);
    cf_day_t today = cf_date_from_ms (cf_proc_json_int (out->json, "/now", 0));
    char start[11], end[11];
    cf_date_format (today + 14, start);
    cf_date_format (today + 15, end);
    json_object *plan = json_object_new_object ();
    json_object_object_add (plan, "leader", json_object_new_string (leader));
    json_object *members = json_object_new_array ();
    json_object_array_add (members, json_object_new_string (member));
    json_object_object_add (plan, "members", members);
    json_object_object_add (plan, "start_date", json_object_new_string (start));
    json_object_object_add (plan, "end_date", json_object_new_string (end));
    json_object_object_add (plan, "mode", json_object_new_string ("FS01"));
    const char *path = cf_proc_json_save (proc, plan, name);
    json_object_put (plan);
    return path;
}

//  True when the plan of a --json status output names staff
static bool
s_on_team (const cf_proc_output_t *status, const char *staff)
{
    if (strcmp (cf_proc_json_string (status->json, "/record/plan/leader"),
                staff) == 0)
        return true;
    size_t count = cf_proc_json_length (status->json, "/record/plan/members");
    for (size_t index = 0; index < count; index++)
        if (strcmp (cf_proc_json_nth (status->json, "/record/plan/members/%zu",
                                      index),
                    staff) == 0)
            return true;
    return false;
}

//  Impartiality: an auditor who declared work for a consultancy is kept off
//  every case it submitted, by the planning worker and by the daemon's
//  guard on a plan made by hand; the refusal is recorded
static void
test_auditor_who_worked_for_the_consultancy (void **state)
{
    cf_proc_t *proc = *state;
    cf_proc_daemon (proc, NULL);
    cf_proc_staff (proc);
    json_object *former = cf_proc_json_load (
        proc, cf_proc_source (proc, "examples/staff/AUD001.json"));
    json_object *conflict = json_object_new_object ();
    json_object_object_add (conflict, "consultancy",
                            json_object_new_string (S_CONSULT_A));
    json_object_object_add (conflict, "reason",
                            json_object_new_string ("prepared its clients' "
                                                    "applications"));
    //  Ended a few months ago: inside the 24 months that count
    const cf_proc_output_t *out =
        cf_proc_expect (proc, 0, NULL, "--json", "list", "--limit", "1", NULL);
    char until[11];
    cf_date_format (
        cf_date_from_ms (cf_proc_json_int (out->json, "/now", 0)) - 90, until);
    json_object_object_add (conflict, "until", json_object_new_string (until));
    json_object_array_add (json_object_object_get (former, "conflicts"),
                           conflict);
    cf_proc_expect (proc, 0, NULL, "staff", "put",
                    cf_proc_json_save (proc, former, "AUD001-conflict.json"),
                    NULL);
    cf_proc_front_office (proc);
    const char *ana = cf_proc_principal (proc, "ana", "applicant", S_CONSULT_A);
    const char *gamma = cf_proc_principal (proc, "gamma", "applicant", S_GAMMA);
    s_appoint (proc, S_CONSULT_A, S_ACME, S_ACME_USCC, NULL);
    s_appoint (proc, S_CONSULT_A, S_BETA, S_BETA_USCC, NULL);

    //  Cases of the consultancy, and one of a company on its own
    const char *first = cf_proc_submit_example (proc, ana);
    const char *second = cf_proc_submit (
        proc, ana, s_application_of (proc, "Beta", S_BETA_USCC));
    const char *own = cf_proc_submit (
        proc, gamma, s_application_of (proc, "Gamma", S_GAMMA_USCC));
    const char *cases[] = {first, second, own};
    for (size_t index = 0; index < 3; index++) {
        cf_proc_wait_state (proc, NULL, cases[index], "contract_pending",
                            "/record/contract/number", CF_PROC_STATE_MS);
        cf_proc_expect (proc, 0, NULL, "sign", cases[index], "--reference",
                        "the company's signed paper", NULL);
    }

    //  By hand: refused by the daemon's guard, with who and why
    out = cf_proc_expect (
        proc, 1, NULL, "--json", "plan", first,
        s_plan_file (proc, "plan-conflicted.json", "AUD001", "AUD002"), NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/error"),
                         "CF_EGUARD");
    const char *message = cf_proc_json_string (out->json, "/message");
    assert_non_null (strstr (message, "AUD001"));
    assert_non_null (strstr (message, S_CONSULT_A));
    out = cf_proc_expect (proc, 0, NULL, "--json", "history", first, NULL);
    assert_true (s_refused_by (out, "audit_planned", "admin"));
    //  A team without AUD001 is accepted
    cf_proc_expect (proc, 0, NULL, "plan", first,
                    s_plan_file (proc, "plan-free.json", "AUD002", "AUD003"),
                    NULL);

    //  The planning worker leaves AUD001 out of the consultancy's case,
    //  and takes it for the company that came on its own
    cf_proc_worker (proc, "worker-planning", "planning", 0);
    out = cf_proc_wait_state (proc, NULL, second, "onsite_audit",
                              "/record/plan/leader", CF_PROC_STATE_MS);
    assert_false (s_on_team (out, "AUD001"));
    out = cf_proc_wait_state (proc, NULL, own, "onsite_audit",
                              "/record/plan/leader", CF_PROC_STATE_MS);
    assert_true (s_on_team (out, "AUD001"));
}

//  The certificate: the consultancy reads it while appointed, never
//  decides on it; its holder cancels it
static void
test_consultancy_reads_the_certificate_the_company_cancels (void **state)
{
    cf_proc_t *proc = *state;
    const char *acme = cf_proc_full_site (proc, S_ACME);
    const char *ana = cf_proc_principal (proc, "ana", "applicant", S_CONSULT_A);
    const char *bo = cf_proc_principal (proc, "bo", "applicant", S_CONSULT_B);
    s_appoint (proc, S_CONSULT_A, S_ACME, S_ACME_USCC, NULL);
    const char *case_id = cf_proc_submit_example (proc, ana);
    cf_proc_drive (proc, acme, case_id, "certified", CF_PROC_STATE_MS);
    const cf_proc_output_t *out =
        cf_proc_wait_state (proc, ana, case_id, "certified",
                            "/record/certificate", CF_PROC_STATE_MS);
    char *number =
        strdup (cf_proc_json_string (out->json, "/record/certificate"));

    out = cf_proc_expect (proc, 0, ana, "--json", "certificates", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/certificates/certificates"), 1);
    assert_string_equal (
        cf_proc_json_string (out->json, "/certificates/certificates/0/org"),
        S_ACME);
    out = cf_proc_expect (proc, 0, bo, "--json", "certificates", NULL);
    assert_int_equal (
        cf_proc_json_length (out->json, "/certificates/certificates"), 0);
    out = cf_proc_expect (proc, 0, ana, "--json", "clients", NULL);
    assert_string_equal (
        cf_proc_json_string (out->json, "/clients/0/certificates/0/number"),
        number);
    cf_proc_expect (proc, 0, ana, "certificate", "history", number, NULL);
    //  Its signed document too, while appointed; not another consultancy
    cf_proc_expect (proc, 0, ana, "certificate", "pdf", number, "--out",
                    cf_proc_path (proc, "ana.pdf"), NULL);
    out = cf_proc_expect (proc, 1, bo, "--json", "certificate", "pdf", number,
                          "--out", cf_proc_path (proc, "bo.pdf"), NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_NOT_FOUND");

    out = cf_proc_expect (proc, 1, ana, "--json", "certificate", "cancel",
                          number, "--reason", "the client closes", NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/status"),
                         "STATUS_FORBIDDEN");
    assert_non_null (
        strstr (cf_proc_json_string (out->json, "/message"), "own act"));
    out = cf_proc_expect (proc, 0, NULL, "--json", "history", case_id, NULL);
    assert_true (s_refused_by (out, "certificate_cancelled", "ana"));
    cf_proc_expect (proc, 0, acme, "certificate", "cancel", number, "--reason",
                    "ACME leaves the appliance business", NULL);
    //  (check exits 1 for a certificate that is not valid)
    out = cf_proc_expect (proc, 1, ana, "--json", "certificate", "check",
                          number, NULL);
    assert_string_equal (cf_proc_json_string (out->json, "/certificate/status"),
                         "CERT_STATUS_CANCELLED");
    free (number);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_appointments_are_the_admins_record, s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_consultancy_sees_exactly_its_clients, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_ended_appointment_stops_at_once,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (test_admin_records_the_signed_paper,
                                         s_setup, cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_auditor_who_worked_for_the_consultancy, s_setup,
            cf_proc_teardown),
        cmocka_unit_test_setup_teardown (
            test_consultancy_reads_the_certificate_the_company_cancels, s_setup,
            cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
