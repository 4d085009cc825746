/*  Unit tests for cf_agency: organizations of two kinds, appointments
    recorded and ended with who and when, what runs on which day, the
    round's changes seen before the commit and forgotten when dropped, and
    a store from before appointments read as it is.  Each test opens a real
    LMDB store in its own mkdtemp directory.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_agency.h"
#include "cf_date.h"
#include "cf_pb.h"
#include "cf_problems.h"
#include "cf_store.h"

//  Valid credit codes (the check digits computed)
#define S_USCC_ACME "91330110MA2J7R4N38"
#define S_USCC_BETA "9111010871526726X9"

typedef struct {
    char dir[64];         //  Temporary store directory
    cf_store_t *store;    //  Store open on it
    cf_agency_t *agency;  //  Over the store
    cf_batch_t *batch;    //  The round's batch
    int64_t now;          //  The round's instant
} s_fixture_t;

static const Cf__Principal s_admin = {
    PROTOBUF_C_MESSAGE_INIT (&cf__principal__descriptor), .key = "ADMINKEY",
    .name = "admin", .org = "", .role = CF__ROLE__ROLE_ADMIN};

static int
s_remove_entry (const char *path, const struct stat *info, int flag,
                struct FTW *ftw)
{
    (void)info, (void)flag, (void)ftw;
    return remove (path);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    if (!fixture)
        return -1;
    strcpy (fixture->dir, "/tmp/cf_agency_XXXXXX");
    if (!mkdtemp (fixture->dir) ||
        cf_store_open (fixture->dir, 0, &fixture->store) != 0)
        return -1;
    fixture->agency = cf_agency_new (fixture->store);
    fixture->batch = cf_batch_new ();
    //  2026-03-10 10:00 China time
    fixture->now =
        cf_date_to_ms (cf_date_from_ymd (2026, 3, 10)) + 10 * 3600 * 1000LL;
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    cf_batch_destroy (&fixture->batch);
    cf_agency_destroy (&fixture->agency);
    cf_agency_destroy (&fixture->agency);
    cf_store_destroy (&fixture->store);
    nftw (fixture->dir, s_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free (fixture);
    return 0;
}

//  Commits the round and starts the next one
static void
s_commit (s_fixture_t *fixture)
{
    assert_int_equal (
        cf_store_commit (fixture->store, fixture->batch, NULL, NULL), 0);
    cf_batch_destroy (&fixture->batch);
    fixture->batch = cf_batch_new ();
    cf_agency_drop (fixture->agency);
}

static int
s_add (s_fixture_t *fixture, const char *consultancy, const char *company,
       const char *uscc, const char *from, const char *act,
       cf_problems_t *problems)
{
    Cf__Appointment asked = CF__APPOINTMENT__INIT;
    asked.consultancy = (char *)consultancy;
    asked.company = (char *)company;
    asked.uscc = (char *)(uscc ? uscc : "");
    asked.from = (char *)(from ? from : "");
    char *acts[] = {(char *)act};
    asked.n_acts = act ? 1 : 0;
    asked.acts = acts;
    asked.reference = "letter 2026-07";
    Cf__Appointment *made = NULL;
    int rc = cf_agency_add (fixture->agency, fixture->batch, &s_admin,
                            fixture->now, &asked, &made, problems);
    if (rc == 0) {
        assert_non_null (made);
        assert_true (made->id > 0);
        assert_string_equal (made->added_by->name, "admin");
        assert_int_equal (made->added_at, fixture->now);
    } else
        assert_null (made);
    cf_pb_free (&made);
    return rc;
}

static int
s_end (s_fixture_t *fixture, const char *consultancy, const char *company,
       const char *reason, cf_problems_t *problems)
{
    Cf__AppointmentEnd end = CF__APPOINTMENT_END__INIT;
    end.consultancy = (char *)consultancy;
    end.company = (char *)company;
    end.reason = (char *)reason;
    Cf__Appointment *ended = NULL;
    int rc = cf_agency_end (fixture->agency, fixture->batch, &s_admin,
                            fixture->now, &end, &ended, problems);
    if (rc == 0) {
        assert_int_equal (ended->ended_at, fixture->now);
        assert_string_equal (ended->ended_by->name, "admin");
        assert_string_equal (ended->end_reason, reason);
    }
    cf_pb_free (&ended);
    return rc;
}

static void
test_appointment_records_both_kinds (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (
        s_add (fixture, "CONSULT-A", "ACME", S_USCC_ACME, NULL, NULL, NULL), 0);
    s_commit (fixture);
    assert_int_equal (cf_agency_kind (fixture->agency, "CONSULT-A"),
                      CF__ORG_KIND__ORG_KIND_CONSULTANCY);
    assert_int_equal (cf_agency_kind (fixture->agency, "ACME"),
                      CF__ORG_KIND__ORG_KIND_COMPANY);
    assert_int_equal (cf_agency_kind (fixture->agency, "NEVER-SEEN"),
                      CF__ORG_KIND__ORG_KIND_UNSPECIFIED);
    Cf__Organization *org = NULL;
    assert_int_equal (cf_store_get_organization (fixture->store, "ACME", &org),
                      0);
    assert_string_equal (org->uscc, S_USCC_ACME);
    assert_string_equal (org->recorded_by->name, "admin");
    cf_pb_free (&org);

    //  Every act by default, from today
    Cf__AppointmentQuery query = CF__APPOINTMENT_QUERY__INIT;
    Cf__AppointmentList *list = NULL;
    assert_int_equal (cf_agency_list (fixture->agency, &query, &list), 0);
    assert_int_equal (list->n_appointments, 1);
    const Cf__Appointment *made = list->appointments[0];
    assert_string_equal (made->from, "2026-03-10");
    assert_string_equal (made->uscc, S_USCC_ACME);
    assert_string_equal (made->reference, "letter 2026-07");
    assert_int_equal (made->n_acts, 3);
    assert_string_equal (made->acts[0], CF_ACT_SUBMIT);
    assert_string_equal (made->acts[1], CF_ACT_RESPOND);
    assert_string_equal (made->acts[2], CF_ACT_WITHDRAW);
    cf_pb_free (&list);

    const int64_t now = fixture->now;
    assert_true (
        cf_agency_acts (fixture->agency, "CONSULT-A", "ACME", NULL, now));
    assert_true (cf_agency_acts (fixture->agency, "CONSULT-A", "ACME",
                                 CF_ACT_WITHDRAW, now));
    assert_false (
        cf_agency_acts (fixture->agency, "CONSULT-B", "ACME", NULL, now));
    assert_false (
        cf_agency_acts (fixture->agency, "CONSULT-A", "BETA", NULL, now));
    char *company = NULL;
    assert_int_equal (cf_agency_company_for (fixture->agency, "CONSULT-A",
                                             S_USCC_ACME, now, &company),
                      0);
    assert_string_equal (company, "ACME");
    free (company);
    assert_int_equal (cf_agency_company_for (fixture->agency, "CONSULT-A",
                                             S_USCC_BETA, now, &company),
                      CF_ENOTFOUND);
    assert_null (company);
}

static void
test_acts_and_dates (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (s_add (fixture, "CONSULT-A", "ACME", S_USCC_ACME,
                             "2026-03-12", CF_ACT_RESPOND, NULL),
                      0);
    assert_int_equal (s_add (fixture, "CONSULT-A", "BETA", S_USCC_BETA, NULL,
                             CF_ACT_SUBMIT, NULL),
                      0);
    s_commit (fixture);
    const int64_t now = fixture->now, day = 24 * 3600 * 1000LL;
    //  Not before its first day
    assert_false (
        cf_agency_acts (fixture->agency, "CONSULT-A", "ACME", NULL, now));
    assert_true (cf_agency_acts (fixture->agency, "CONSULT-A", "ACME",
                                 CF_ACT_RESPOND, now + 2 * day));
    assert_false (cf_agency_acts (fixture->agency, "CONSULT-A", "ACME",
                                  CF_ACT_SUBMIT, now + 2 * day));
    assert_false (cf_agency_acts (fixture->agency, "CONSULT-A", "BETA",
                                  CF_ACT_WITHDRAW, now));
    char **clients = NULL;
    size_t count = 0;
    assert_int_equal (
        cf_agency_clients (fixture->agency, "CONSULT-A", now, &clients, &count),
        0);
    assert_int_equal (count, 1);
    assert_string_equal (clients[0], "BETA");
    cf_store_keys_free (&clients, count);
    assert_int_equal (cf_agency_clients (fixture->agency, "CONSULT-A",
                                         now + 2 * day, &clients, &count),
                      0);
    assert_int_equal (count, 2);
    assert_string_equal (clients[0], "ACME");
    assert_string_equal (clients[1], "BETA");
    cf_store_keys_free (&clients, count);
    //  Submitting needs the submit act
    char *company = NULL;
    assert_int_equal (cf_agency_company_for (fixture->agency, "CONSULT-A",
                                             S_USCC_ACME, now + 2 * day,
                                             &company),
                      CF_ENOTFOUND);
}

//  Each refusal writes nothing and says what to do
static void
s_refused (s_fixture_t *fixture, int expected, const char *code,
           const char *consultancy, const char *company, const char *uscc,
           const char *from, const char *act)
{
    cf_problems_t *problems = cf_problems_new ();
    size_t before = cf_batch_size (fixture->batch);
    assert_int_equal (
        s_add (fixture, consultancy, company, uscc, from, act, problems),
        expected);
    assert_int_equal (cf_batch_size (fixture->batch), before);
    assert_true (cf_problems_size (problems) > 0);
    bool found = false;
    for (size_t index = 0; index < cf_problems_size (problems); index++)
        found = found || strcmp (cf_problems_code (problems, index), code) == 0;
    if (!found)
        fail_msg ("no problem %s: %s", code, cf_problems_message (problems, 0));
    cf_problems_destroy (&problems);
}

static void
test_refusals (void **state)
{
    s_fixture_t *fixture = *state;
    //  A company with its own case: not a consultancy
    Cf__Case record = CF__CASE__INIT;
    record.id = "CF-2026-000001";
    record.org = "SELFMADE";
    record.state = CF__STATE__STATE_SUBMITTED;
    assert_int_equal (cf_batch_put_case (fixture->batch, &record), 0);
    assert_int_equal (
        s_add (fixture, "CONSULT-A", "ACME", S_USCC_ACME, NULL, NULL, NULL), 0);
    s_commit (fixture);

    s_refused (fixture, CF_EINVAL, "appointment.consultancy", "", "ACME",
               S_USCC_ACME, NULL, NULL);
    s_refused (fixture, CF_EINVAL, "appointment.company", "CONSULT-A",
               "CONSULT-A", S_USCC_ACME, NULL, NULL);
    s_refused (fixture, CF_EINVAL, "appointment.from", "CONSULT-A", "BETA",
               S_USCC_BETA, "2026-02-30", NULL);
    s_refused (fixture, CF_EINVAL, "appointment.acts", "CONSULT-A", "BETA",
               S_USCC_BETA, NULL, "sign");
    s_refused (fixture, CF_EINVAL, "uscc.check_digit", "CONSULT-A", "BETA",
               "9111010871526726X8", NULL, NULL);
    s_refused (fixture, CF_EINVAL, "appointment.uscc", "CONSULT-A", "BETA",
               NULL, NULL, NULL);
    s_refused (fixture, CF_EGUARD, "appointment.kind", "SELFMADE", "BETA",
               S_USCC_BETA, NULL, NULL);
    s_refused (fixture, CF_EGUARD, "appointment.kind", "ACME", "BETA",
               S_USCC_BETA, NULL, NULL);
    s_refused (fixture, CF_EGUARD, "appointment.kind", "CONSULT-B", "CONSULT-A",
               S_USCC_BETA, NULL, NULL);
    s_refused (fixture, CF_EGUARD, "appointment.uscc", "CONSULT-B", "ACME",
               S_USCC_BETA, NULL, NULL);
    s_refused (fixture, CF_EGUARD, "appointment.open", "CONSULT-A", "ACME",
               NULL, NULL, NULL);
    //  Another company under ACME's code, for the same consultancy
    s_refused (fixture, CF_EGUARD, "appointment.uscc", "CONSULT-A", "ACME-TWO",
               S_USCC_ACME, NULL, NULL);
    //  A second consultancy for ACME is fine, the code may be left out
    assert_int_equal (
        s_add (fixture, "CONSULT-B", "ACME", NULL, NULL, NULL, NULL), 0);
}

static void
test_end_at_once_and_kept (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (
        s_add (fixture, "CONSULT-A", "ACME", S_USCC_ACME, NULL, NULL, NULL), 0);
    //  Seen by the round before its commit
    assert_true (cf_agency_acts (fixture->agency, "CONSULT-A", "ACME", NULL,
                                 fixture->now));
    s_commit (fixture);
    cf_problems_t *problems = cf_problems_new ();
    assert_int_equal (s_end (fixture, "CONSULT-A", "ACME", "", problems),
                      CF_EINVAL);
    assert_string_equal (cf_problems_code (problems, 0), "appointment.reason");
    cf_problems_reset (problems);
    assert_int_equal (s_end (fixture, "CONSULT-A", "ACME",
                             "the company's notice of 2026-03-09", problems),
                      0);
    //  At once, in the round that ends it
    assert_false (cf_agency_acts (fixture->agency, "CONSULT-A", "ACME", NULL,
                                  fixture->now));
    s_commit (fixture);
    assert_false (cf_agency_acts (fixture->agency, "CONSULT-A", "ACME", NULL,
                                  fixture->now));
    assert_int_equal (s_end (fixture, "CONSULT-A", "ACME", "again", problems),
                      CF_ENOTFOUND);
    cf_problems_destroy (&problems);

    //  Kept, with both changes, and listed when asked for
    Cf__AppointmentQuery query = CF__APPOINTMENT_QUERY__INIT;
    Cf__AppointmentList *list = NULL;
    assert_int_equal (cf_agency_list (fixture->agency, &query, &list), 0);
    assert_int_equal (list->n_appointments, 0);
    cf_pb_free (&list);
    query.ended = true;
    query.company = "ACME";
    assert_int_equal (cf_agency_list (fixture->agency, &query, &list), 0);
    assert_int_equal (list->n_appointments, 1);
    assert_string_equal (list->appointments[0]->end_reason,
                         "the company's notice of 2026-03-09");
    assert_string_equal (list->appointments[0]->added_by->name, "admin");
    cf_pb_free (&list);

    //  A new appointment after the end, with a new id
    assert_int_equal (
        s_add (fixture, "CONSULT-A", "ACME", NULL, "2026-04-01", NULL, NULL),
        0);
    s_commit (fixture);
    query.ended = false;
    query.consultancy = "CONSULT-A";
    assert_int_equal (cf_agency_list (fixture->agency, &query, &list), 0);
    assert_int_equal (list->n_appointments, 1);
    assert_int_equal (list->appointments[0]->id, 2);
    cf_pb_free (&list);
    //  The store's own check finds every record where it belongs
    assert_int_equal (cf_store_verify (fixture->store, NULL), 0);
}

static void
test_dropped_round_forgotten (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (
        s_add (fixture, "CONSULT-A", "ACME", S_USCC_ACME, NULL, NULL, NULL), 0);
    assert_int_equal (cf_agency_kind (fixture->agency, "CONSULT-A"),
                      CF__ORG_KIND__ORG_KIND_CONSULTANCY);
    cf_agency_drop (fixture->agency);
    cf_batch_destroy (&fixture->batch);
    fixture->batch = cf_batch_new ();
    assert_int_equal (cf_agency_kind (fixture->agency, "CONSULT-A"),
                      CF__ORG_KIND__ORG_KIND_UNSPECIFIED);
    assert_false (cf_agency_acts (fixture->agency, "CONSULT-A", "ACME", NULL,
                                  fixture->now));
}

//  A store made before organizations and appointments: readers find none,
//  and the daemon's writable open adds them
static void
test_store_from_before (void **state)
{
    s_fixture_t *fixture = *state;
    cf_agency_destroy (&fixture->agency);
    cf_store_destroy (&fixture->store);
    nftw (fixture->dir, s_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    strcpy (fixture->dir, "/tmp/cf_agency_XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    static const char *const old[] = {"cases",        "events",  "case_events",
                                      "by_state",     "by_org",  "deadlines",
                                      "jobs",         "replies", "staff",
                                      "certificates", "meta"};
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 16), 0);
    assert_int_equal (mdb_env_open (env, fixture->dir, 0, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, 0, &txn), 0);
    for (size_t index = 0; index < sizeof old / sizeof old[0]; index++)
        assert_int_equal (mdb_dbi_open (txn, old[index], MDB_CREATE, &dbi), 0);
    MDB_val key = {strlen ("schema_version"), "schema_version"};
    MDB_val value = {strlen (CF_STORE_SCHEMA_VERSION), CF_STORE_SCHEMA_VERSION};
    assert_int_equal (mdb_put (txn, dbi, &key, &value, 0), 0);
    assert_int_equal (mdb_txn_commit (txn), 0);
    mdb_env_close (env);

    assert_int_equal (cf_store_open_readonly (fixture->dir, &fixture->store),
                      0);
    Cf__Appointment **list = NULL;
    size_t count = 1;
    assert_int_equal (cf_store_list_appointments (fixture->store, "CONSULT-A",
                                                  NULL, &list, &count),
                      0);
    assert_int_equal (count, 0);
    Cf__Organization *org = NULL;
    assert_int_equal (cf_store_get_organization (fixture->store, "ACME", &org),
                      CF_ENOTFOUND);
    assert_int_equal (cf_store_verify (fixture->store, NULL), 0);
    cf_store_destroy (&fixture->store);

    assert_int_equal (cf_store_open (fixture->dir, 0, &fixture->store), 0);
    fixture->agency = cf_agency_new (fixture->store);
    assert_int_equal (
        s_add (fixture, "CONSULT-A", "ACME", S_USCC_ACME, NULL, NULL, NULL), 0);
    s_commit (fixture);
    assert_true (cf_agency_acts (fixture->agency, "CONSULT-A", "ACME", NULL,
                                 fixture->now));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_appointment_records_both_kinds,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_acts_and_dates, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_end_at_once_and_kept, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_dropped_round_forgotten, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_store_from_before, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
