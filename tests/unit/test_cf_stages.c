/*  Unit tests for the worker's stages: each stage run on the sample case of
    examples/ (application.json, scores.json, staff/AUD001.json ...) under the
    default scheme, then on cases changed by hand to take the other paths:
    incomplete, ineligible and deficient applications, too few auditors,
    each way a committee's votes can stand, and the certificate's star
    rule.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_json.h"
#include "cf_pb.h"
#include "cf_plan.h"
#include "cf_stages.h"
#include "cf_wire.h"

//  The staff files of examples/staff, by id
static const char *s_staff_ids[] = {"AUD001", "AUD002", "AUD003",
                                    "AUD004", "COM001", "COM002",
                                    "COM003", "COM004", "REV001"};
#define S_STAFF_FILES (sizeof s_staff_ids / sizeof s_staff_ids[0])

typedef struct {
    cf_scheme_t *scheme;      //  Default scheme
    Cf__Case *record;         //  The sample case
    Cf__Job *job;             //  The job offered
    Cf__Staff *staff[16];     //  Staff records offered
    size_t staff_count;       //  How many
    Cf__JobResult *result;    //  What the last stage wrote
    cf_problems_t *problems;  //  Why the last stage failed
    cf_day_t today;           //  Day the stages run
} fixture_t;

static cf_day_t
s_day (const char *text)
{
    cf_day_t day = 0;
    assert_int_equal (cf_date_parse (text, &day), 0);
    return day;
}

static char *
s_load (const char *relative, size_t *size)
{
    char path[512];
    snprintf (path, sizeof path, "%s/examples/%s", CF_SOURCE_DIR, relative);
    char *text = NULL;
    assert_int_equal (
        cf_json_load_file (path, CF_JSON_MAX_BYTES, &text, size, NULL), 0);
    return text;
}

static Cf__Staff *
s_load_staff (const char *id)
{
    char relative[64];
    snprintf (relative, sizeof relative, "staff/%s.json", id);
    size_t size;
    char *text = s_load (relative, &size);
    Cf__Staff *staff = NULL;
    assert_int_equal (cf_json_staff (text, size, &staff, NULL), 0);
    free (text);
    return staff;
}

static Cf__ScoreSheet *
s_load_sheet (void)
{
    size_t size;
    char *text = s_load ("scores.json", &size);
    Cf__ScoreSheet *sheet = NULL;
    assert_int_equal (cf_json_score_sheet (text, size, &sheet, NULL), 0);
    free (text);
    return sheet;
}

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof (fixture_t));
    assert_non_null (fixture);
    assert_int_equal (cf_scheme_default (&fixture->scheme), 0);

    size_t size;
    char *text = s_load ("application.json", &size);
    Cf__Application *application = NULL;
    assert_int_equal (cf_json_application (text, size, &application, NULL), 0);
    free (text);
    fixture->record = cf_pb_new (&cf__case__descriptor);
    cf_pb_set_string (&fixture->record->id, "CF-2026-000001");
    cf_pb_set_string (&fixture->record->scheme_version,
                      fixture->scheme->version);
    fixture->record->application = application;

    for (size_t index = 0; index < S_STAFF_FILES; index++)
        fixture->staff[fixture->staff_count++] =
            s_load_staff (s_staff_ids[index]);

    fixture->job = cf_pb_new (&cf__job__descriptor);
    fixture->job->id = 7;
    fixture->job->lease = 3;
    cf_pb_set_string (&fixture->job->case_id, fixture->record->id);
    fixture->problems = cf_problems_new ();
    fixture->today = s_day ("2026-03-02");  //  A Monday
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
    cf_pb_free (&fixture->job);
    cf_pb_free (&fixture->result);
    cf_problems_destroy (&fixture->problems);
    cf_scheme_destroy (&fixture->scheme);
    free (fixture);
    return 0;
}

//  Runs stage on the fixture's case into a fresh result; returns its code
static int
s_run (fixture_t *fixture, const char *stage)
{
    cf_pb_set_string (&fixture->job->stage, stage);
    cf_pb_free (&fixture->result);
    fixture->result = cf_pb_new (&cf__job_result__descriptor);
    cf_problems_reset (fixture->problems);
    cf_stage_input_t input = {
        .job = fixture->job,
        .record = fixture->record,
        .staff = fixture->staff,
        .staff_count = fixture->staff_count,
        .scheme = fixture->scheme,
        .today = fixture->today,
    };
    return cf_stage_run (&input, fixture->result, fixture->problems);
}

static Cf__Application *
s_application (fixture_t *fixture)
{
    return fixture->record->application;
}

//  The findings the last stage sent, asserting there are some
static const Cf__FindingList *
s_findings (fixture_t *fixture)
{
    const Cf__EventData *data = fixture->result->data;
    assert_non_null (data);
    assert_int_equal (data->body_case, CF__EVENT_DATA__BODY_FINDINGS);
    assert_true (data->findings->n_findings > 0);
    return data->findings;
}

//  How many findings name item; each must give a reason
static size_t
s_count_findings (fixture_t *fixture, const char *item)
{
    const Cf__FindingList *list = s_findings (fixture);
    size_t count = 0;
    for (size_t index = 0; index < list->n_findings; index++) {
        assert_true (strlen (list->findings[index]->reason) > 0);
        if (strcmp (list->findings[index]->item, item) == 0)
            count++;
    }
    return count;
}

//  The reason of the first finding naming item
static const char *
s_reason (fixture_t *fixture, const char *item)
{
    const Cf__FindingList *list = s_findings (fixture);
    for (size_t index = 0; index < list->n_findings; index++)
        if (strcmp (list->findings[index]->item, item) == 0)
            return list->findings[index]->reason;
    fail_msg ("no finding for %s", item);
    return NULL;
}

static void
s_remove_material (fixture_t *fixture, const char *code)
{
    Cf__Application *application = s_application (fixture);
    for (size_t index = 0; index < application->n_materials; index++) {
        if (strcmp (application->materials[index]->code, code) != 0)
            continue;
        cf_pb_free (&application->materials[index]);
        memmove (
            &application->materials[index], &application->materials[index + 1],
            (application->n_materials - index - 1) * sizeof (Cf__Material *));
        application->n_materials--;
        return;
    }
    fail_msg ("the sample application has no %s", code);
}

static void
s_set_reference (fixture_t *fixture, const char *code, const char *reference)
{
    Cf__Application *application = s_application (fixture);
    for (size_t index = 0; index < application->n_materials; index++)
        if (strcmp (application->materials[index]->code, code) == 0) {
            cf_pb_set_string (&application->materials[index]->reference,
                              reference);
            return;
        }
    fail_msg ("the sample application has no %s", code);
}

//  Keeps only the staff records whose ids are listed, space-separated
static void
s_keep_staff (fixture_t *fixture, const char *ids)
{
    size_t kept = 0;
    for (size_t index = 0; index < fixture->staff_count; index++) {
        if (strstr (ids, fixture->staff[index]->id))
            fixture->staff[kept++] = fixture->staff[index];
        else
            cf_pb_free (&fixture->staff[index]);
    }
    fixture->staff_count = kept;
}

static Cf__Staff *
s_staff (fixture_t *fixture, const char *id)
{
    for (size_t index = 0; index < fixture->staff_count; index++)
        if (strcmp (fixture->staff[index]->id, id) == 0)
            return fixture->staff[index];
    fail_msg ("no staff %s", id);
    return NULL;
}

static void
s_assert_no_event (fixture_t *fixture)
{
    assert_string_equal (fixture->result->event, "");
    assert_null (fixture->result->data);
    assert_string_equal (fixture->result->document, "");
}

//  ------------------------------------------------------------------------
//  The table

static void
test_table_names_every_stage_once (void **state)
{
    (void)state;
    size_t count = 0;
    const cf_stage_t *stages = cf_stages (&count);
    assert_int_equal (count, 7);
    const char *lifecycle[] = {"intake",  "review",    "contract", "planning",
                               "scoring", "committee", "issuance"};
    for (size_t index = 0; index < count; index++) {
        assert_string_equal (stages[index].name, lifecycle[index]);
        assert_ptr_equal (cf_stage_find (lifecycle[index]), &stages[index]);
        assert_non_null (stages[index].run);
    }
    assert_ptr_equal (cf_stage_find ("intake")->run, cf_stage_intake);
    assert_null (cf_stage_find ("shipping"));
    assert_null (cf_stage_find (NULL));
}

static void
test_run_refuses_an_unknown_stage (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_run (fixture, "shipping"), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "stage.unknown"));
    assert_non_null (
        strstr (cf_problems_message (fixture->problems, 0), "intake, review"));
    s_assert_no_event (fixture);
}

//  An offer as the daemon sends it: the job, the case, the staff and the
//  text of the scheme (the default one unless scheme is given)
static Cf__JobOffer
s_offer_of (fixture_t *fixture, const char *stage, const char *scheme)
{
    cf_pb_set_string (&fixture->job->stage, stage);
    cf_pb_free (&fixture->result);
    fixture->result = cf_pb_new (&cf__job_result__descriptor);
    cf_problems_reset (fixture->problems);
    Cf__JobOffer offer = CF__JOB_OFFER__INIT;
    offer.job = fixture->job;
    offer.record = fixture->record;
    offer.staff = fixture->staff;
    offer.n_staff = fixture->staff_count;
    const char *text = scheme ? scheme : cf_scheme_default_text ();
    offer.scheme.data = (uint8_t *)text;
    offer.scheme.len = strlen (text);
    offer.now = cf_date_to_ms (fixture->today) + 3600 * 1000;
    return offer;
}

static int
s_offer (fixture_t *fixture, const char *stage, const char *scheme)
{
    Cf__JobOffer offer = s_offer_of (fixture, stage, scheme);
    return cf_stage_offer (&offer, fixture->result, fixture->problems);
}

static void
test_offer_runs_its_stage_under_its_scheme (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_offer (fixture, "intake", NULL), 0);
    assert_string_equal (fixture->result->event, "intake_passed");
    assert_int_equal (s_offer (fixture, "planning", NULL), 0);
    assert_string_equal (fixture->result->event, "audit_planned");
}

static void
test_offer_refuses_what_it_cannot_do (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_offer (fixture, "intake", "{\"version\": "), CF_EPARSE);
    assert_true (cf_problems_has (fixture->problems, "scheme.not_json"));
    assert_int_equal (s_offer (fixture, "intake", ""), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "offer.scheme"));
    assert_int_equal (s_offer (fixture, "shipping", NULL), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "stage.unknown"));
    s_assert_no_event (fixture);

    Cf__JobOffer offer = CF__JOB_OFFER__INIT;
    cf_problems_reset (fixture->problems);
    assert_int_equal (
        cf_stage_offer (&offer, fixture->result, fixture->problems), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "offer.job"));
    //  No instant: the worker has no clock of its own to fall back on
    offer.job = fixture->job;
    offer.record = fixture->record;
    offer.scheme.data = (uint8_t *)cf_scheme_default_text ();
    offer.scheme.len = strlen (cf_scheme_default_text ());
    cf_problems_reset (fixture->problems);
    assert_int_equal (
        cf_stage_offer (&offer, fixture->result, fixture->problems), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "offer.now"));
}

//  An offer of stage under the scheme text, run with the worker's kept
//  schemes
static int
s_offer_kept (fixture_t *fixture, cf_stage_schemes_t *schemes,
              const char *stage, const char *text)
{
    Cf__JobOffer offer = s_offer_of (fixture, stage, text);
    return cf_stage_offer_kept (schemes, &offer, fixture->result,
                                fixture->problems);
}

//  The default scheme text with its day rate changed, same length
static char *
s_other_rate (const char *from, const char *to)
{
    const char *text = cf_scheme_default_text ();
    char *other = strdup (text);
    assert_non_null (other);
    char *at = strstr (other, from);
    assert_non_null (at);
    assert_int_equal (strlen (from), strlen (to));
    memcpy (at, to, strlen (to));
    return other;
}

static void
test_offers_parse_each_scheme_text_once (void **state)
{
    fixture_t *fixture = *state;
    cf_stage_schemes_t *schemes = cf_stage_schemes_new ();
    const char *text = cf_scheme_default_text ();
    assert_int_equal (s_offer_kept (fixture, schemes, "contract", text), 0);
    assert_string_equal (fixture->result->event, "contract_issued");
    uint64_t fee = fixture->result->data->contract->fee_fen;
    assert_int_equal (s_offer_kept (fixture, schemes, "intake", text), 0);
    assert_string_equal (fixture->result->event, "intake_passed");
    assert_int_equal (cf_stage_schemes_parsed (schemes), 1);

    //  Another text of the same length is another scheme: its own fee
    char *dearer =
        s_other_rate ("\"day_rate\": 3000.00", "\"day_rate\": 6000.00");
    assert_int_equal (s_offer_kept (fixture, schemes, "contract", dearer), 0);
    assert_int_equal (cf_stage_schemes_parsed (schemes), 2);
    assert_true (fixture->result->data->contract->fee_fen > fee);
    uint64_t dearer_fee = fixture->result->data->contract->fee_fen;
    //  ... and the first is still kept, with its own fee
    assert_int_equal (s_offer_kept (fixture, schemes, "contract", text), 0);
    assert_int_equal (fixture->result->data->contract->fee_fen, fee);
    assert_int_equal (cf_stage_schemes_parsed (schemes), 2);

    //  A text that does not parse is refused each time, never kept
    assert_int_equal (s_offer_kept (fixture, schemes, "intake", "{\"version"),
                      CF_EPARSE);
    assert_int_equal (s_offer_kept (fixture, schemes, "intake", "{\"version"),
                      CF_EPARSE);
    assert_true (cf_problems_has (fixture->problems, "scheme.not_json"));
    assert_int_equal (cf_stage_schemes_parsed (schemes), 4);
    //  What the offer lacks is refused before any scheme is looked at
    assert_int_equal (s_offer_kept (fixture, schemes, "intake", ""), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "offer.scheme"));

    //  More texts than are kept: the least recently used goes and is
    //  parsed again when it comes back
    char *others[CF_STAGE_SCHEMES_KEPT];
    for (size_t index = 0; index < CF_STAGE_SCHEMES_KEPT; index++) {
        char rate[32];
        snprintf (rate, sizeof rate, "\"day_rate\": %zu000.00", index + 1);
        others[index] = s_other_rate ("\"day_rate\": 3000.00", rate);
    }
    size_t parsed = cf_stage_schemes_parsed (schemes);
    for (size_t index = 0; index < CF_STAGE_SCHEMES_KEPT; index++)
        assert_int_equal (
            s_offer_kept (fixture, schemes, "contract", others[index]), 0);
    //  others[2] is 3000.00, the default text: it was kept already
    assert_int_equal (cf_stage_schemes_parsed (schemes),
                      parsed + CF_STAGE_SCHEMES_KEPT - 1);
    parsed = cf_stage_schemes_parsed (schemes);
    assert_int_equal (s_offer_kept (fixture, schemes, "contract", dearer), 0);
    assert_int_equal (fixture->result->data->contract->fee_fen, dearer_fee);
    assert_int_equal (cf_stage_schemes_parsed (schemes), parsed + 1);
    for (size_t index = 0; index < CF_STAGE_SCHEMES_KEPT; index++)
        free (others[index]);
    free (dearer);
    cf_stage_schemes_destroy (&schemes);
    assert_null (schemes);
    cf_stage_schemes_destroy (&schemes);
}

static void
test_failed_result_carries_only_the_error (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_run (fixture, "intake"), 0);
    cf_pb_set_string (&fixture->result->document, "a document");
    cf_problems_add (fixture->problems, "team.none", "no auditor is free");
    cf_stage_set_error (fixture->result, CF_EGUARD, fixture->problems);
    s_assert_no_event (fixture);
    assert_string_equal (fixture->result->error,
                         "CF_EGUARD: team.none: no auditor is free");
    //  No problems said: the code's own words, its name once
    cf_stage_set_error (fixture->result, CF_EINVAL, NULL);
    assert_string_equal (fixture->result->error, cf_strerror (CF_EINVAL));
}

//  ------------------------------------------------------------------------
//  intake

static void
test_intake_passes_the_sample (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_run (fixture, "intake"), 0);
    assert_string_equal (fixture->result->event, "intake_passed");
    assert_null (fixture->result->data);
}

static void
test_intake_incomplete_names_the_missing_material (void **state)
{
    fixture_t *fixture = *state;
    s_remove_material (fixture, "M07");
    assert_int_equal (s_run (fixture, "intake"), 0);
    assert_string_equal (fixture->result->event, "intake_incomplete");
    //  Named once, by the checklist, not again as a problem
    assert_int_equal (s_findings (fixture)->n_findings, 1);
    assert_int_equal (s_count_findings (fixture, "M07"), 1);
    assert_non_null (strstr (s_reason (fixture, "M07"), "organization chart"));
}

static void
test_intake_incomplete_lists_malformed_fields_too (void **state)
{
    fixture_t *fixture = *state;
    s_remove_material (fixture, "M09");
    cf_pb_set_string (&s_application (fixture)->contact_email, "no-at-sign");
    assert_int_equal (s_run (fixture, "intake"), 0);
    assert_string_equal (fixture->result->event, "intake_incomplete");
    assert_int_equal (s_count_findings (fixture, "M09"), 1);
    assert_int_equal (s_count_findings (fixture, "contact_email"), 1);
}

static void
test_intake_ineligible_gives_the_reason (void **state)
{
    fixture_t *fixture = *state;
    s_application (fixture)->lawful_operation = false;
    s_remove_material (fixture, "M07");  //  Not a reason to refuse
    assert_int_equal (s_run (fixture, "intake"), 0);
    assert_string_equal (fixture->result->event, "intake_ineligible");
    assert_int_equal (s_findings (fixture)->n_findings, 1);
    assert_int_equal (
        s_count_findings (fixture, "eligibility.lawful_operation"), 1);
}

static void
test_intake_without_application_is_an_error (void **state)
{
    fixture_t *fixture = *state;
    cf_pb_free (&fixture->record->application);
    assert_int_equal (s_run (fixture, "intake"), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "intake.application"));
    s_assert_no_event (fixture);
}

//  ------------------------------------------------------------------------
//  review

static void
test_review_accepts_the_sample (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_accepted");
    assert_null (fixture->result->data);
}

static void
test_review_accepts_extensions_in_any_case (void **state)
{
    fixture_t *fixture = *state;
    s_set_reference (fixture, "M06", "M06-SCAN.JPEG");
    s_set_reference (fixture, "M11", "证书.OFD");
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_accepted");
}

static void
test_review_deficient_when_a_reference_is_no_file (void **state)
{
    fixture_t *fixture = *state;
    s_set_reference (fixture, "M05", "见公司网站 see our website");
    s_set_reference (fixture, "M09", "sales.exe");
    s_set_reference (fixture, "M06", ".pdf");
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_deficient");
    assert_int_equal (s_findings (fixture)->n_findings, 3);
    assert_non_null (
        strstr (s_reason (fixture, "M05"), "does not name a document file"));
    assert_non_null (strstr (s_reason (fixture, "M09"), "sales.exe"));
    assert_int_equal (s_count_findings (fixture, "M06"), 1);
}

//  A finding quotes a bounded prefix of what the applicant wrote; cut inside
//  a character it would be invalid UTF-8, which the daemon refuses, and the
//  case would never leave intake or review
static void
test_findings_cut_quotes_on_character_boundaries (void **state)
{
    fixture_t *fixture = *state;
    //  11 characters of 3 bytes: a cut at 32 bytes falls inside the last
    Cf__Material *material = cf_pb_new (&cf__material__descriptor);
    cf_pb_set_string (&material->code, "材料材料材料材料材料材");
    cf_pb_set_string (&material->reference, "doc.pdf");
    Cf__Application *application = s_application (fixture);
    cf_pb_append (&application->n_materials, (void ***)&application->materials,
                  material);
    assert_int_equal (s_run (fixture, "intake"), 0);
    assert_string_equal (fixture->result->event, "intake_incomplete");
    assert_int_equal (cf_wire_check (&fixture->result->base, fixture->problems),
                      0);
    assert_non_null (strstr (s_reason (fixture, "materials.unknown"),
                             "'材料材料材料材料材料',"));

    //  67 characters of 3 bytes: a cut at 200 bytes falls inside the 67th
    char reference[256] = "";
    for (int count = 0; count < 67; count++)
        strcat (reference, "见");
    s_remove_material (fixture, "材料材料材料材料材料材");
    s_set_reference (fixture, "M05", reference);
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_deficient");
    assert_int_equal (cf_wire_check (&fixture->result->base, fixture->problems),
                      0);
}

static void
test_review_deficient_without_the_system_documents (void **state)
{
    fixture_t *fixture = *state;
    s_remove_material (fixture, "M10");
    s_remove_material (fixture, "M12");
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_deficient");
    //  Each named once, although both intake's check and the checklist
    //  want it
    assert_int_equal (s_count_findings (fixture, "M10"), 1);
    assert_int_equal (s_count_findings (fixture, "M12"), 1);
    assert_int_equal (s_findings (fixture)->n_findings, 2);
}

static void
test_review_deficient_without_fixed_outlets (void **state)
{
    fixture_t *fixture = *state;
    Cf__Application *application = s_application (fixture);
    for (size_t index = 0; index < application->n_outlets; index++)
        cf_pb_free (&application->outlets[index]);
    application->n_outlets = 0;
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_deficient");
    assert_int_equal (s_findings (fixture)->n_findings, 1);
    assert_non_null (
        strstr (s_reason (fixture, "outlets"), "no fixed service outlet"));
}

static void
test_review_deficient_with_a_repeated_outlet (void **state)
{
    fixture_t *fixture = *state;
    Cf__Application *application = s_application (fixture);
    Cf__Outlet *copy = cf_pb_dup (&application->outlets[0]->base);
    cf_pb_append (&application->n_outlets, (void ***)&application->outlets,
                  copy);
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_deficient");
    assert_non_null (strstr (s_reason (fixture, "outlets"),
                             "outlets[4] repeats outlets[0]"));
}

static void
test_review_deficient_with_a_repeated_scope_item (void **state)
{
    fixture_t *fixture = *state;
    Cf__Application *application = s_application (fixture);
    cf_pb_append_string (&application->n_scope, &application->scope,
                         application->scope[1]);
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_deficient");
    assert_int_equal (s_findings (fixture)->n_findings, 1);
    assert_non_null (
        strstr (s_reason (fixture, "scope"), "scope[2] repeats scope[1]"));
}

static void
test_review_ineligible_when_the_system_is_too_young (void **state)
{
    fixture_t *fixture = *state;
    //  Running since a month before today: the scheme wants three
    cf_pb_set_string (&s_application (fixture)->system_start_date,
                      "2026-02-02");
    s_set_reference (fixture, "M05", "no file");  //  Beside the point now
    assert_int_equal (s_run (fixture, "review"), 0);
    assert_string_equal (fixture->result->event, "docs_ineligible");
    assert_int_equal (s_findings (fixture)->n_findings, 1);
    assert_int_equal (s_count_findings (fixture, "eligibility.system_age"), 1);
}

//  ------------------------------------------------------------------------
//  contract

static void
test_contract_for_the_sample (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_run (fixture, "contract"), 0);
    assert_string_equal (fixture->result->event, "contract_issued");
    const Cf__EventData *data = fixture->result->data;
    assert_int_equal (data->body_case, CF__EVENT_DATA__BODY_CONTRACT);
    //  420 employees: base 2.0; 4 outlets × 0.5 = 2.0; 2 scope items, one
    //  past the first: 0.5. Total 4.5 person-days.
    //  Fee 4.5 × 3000.00 + 2000.00 = 15500.00 yuan.
    assert_string_equal (data->contract->number, "HT-CF-2026-000001");
    assert_int_equal (data->contract->person_days_tenths, 45);
    assert_int_equal (data->contract->fee_fen, 1550000);
    assert_string_equal (data->contract->issued_date, "2026-03-02");
    assert_string_equal (data->contract->signed_date, "");
    assert_non_null (
        strstr (fixture->result->document, "total 4.5 person-days"));
    assert_non_null (strstr (fixture->result->document, "HT-CF-2026-000001"));
}

static void
test_contract_without_scope_is_an_error (void **state)
{
    fixture_t *fixture = *state;
    Cf__Application *application = s_application (fixture);
    for (size_t index = 0; index < application->n_scope; index++)
        free (application->scope[index]);
    application->n_scope = 0;
    assert_int_equal (s_run (fixture, "contract"), CF_EINVAL);
    assert_true (cf_problems_size (fixture->problems) > 0);
    s_assert_no_event (fixture);
}

//  ------------------------------------------------------------------------
//  planning

static void
test_planning_excludes_the_conflicted_auditor (void **state)
{
    fixture_t *fixture = *state;
    //  AUD004 consulted for the applicant until 2027-06-30; were it free,
    //  its leader role would make it the team leader
    Cf__Staff *conflicted = s_staff (fixture, "AUD004");
    cf_pb_append_string (&conflicted->n_roles, &conflicted->roles, "leader");
    assert_int_equal (s_run (fixture, "planning"), 0);
    assert_string_equal (fixture->result->event, "audit_planned");
    const Cf__AuditPlan *plan = fixture->result->data->plan;
    assert_non_null (plan);
    assert_string_equal (plan->leader, "AUD001");
    assert_int_equal (plan->n_members, 1);
    assert_string_equal (plan->members[0], "AUD002");
    //  4.5 person-days for two: 3 days on site, after 14 days' notice
    assert_string_equal (plan->start_date, "2026-03-16");
    assert_string_equal (plan->end_date, "2026-03-18");
    assert_string_equal (plan->mode, "FS01");
    //  The daemon's own check of a plan accepts it
    assert_int_equal (cf_plan_check_team (fixture->scheme,
                                          s_application (fixture),
                                          fixture->staff, fixture->staff_count,
                                          plan, fixture->record, NULL),
                      0);
}

static void
test_planning_uses_the_signed_contract_time (void **state)
{
    fixture_t *fixture = *state;
    Cf__Contract *contract = cf_pb_new (&cf__contract__descriptor);
    contract->person_days_tenths = 80;  //  4 days on site for two
    fixture->record->contract = contract;
    assert_int_equal (s_run (fixture, "planning"), 0);
    const Cf__AuditPlan *plan = fixture->result->data->plan;
    assert_string_equal (plan->start_date, "2026-03-16");
    assert_string_equal (plan->end_date, "2026-03-19");
}

//  The scheme's notice: five days from a Monday is a Saturday, so the
//  audit starts the Monday after
static void
test_planning_gives_the_scheme_notice (void **state)
{
    fixture_t *fixture = *state;
    fixture->scheme->audit_notice_days = 5;
    assert_int_equal (s_run (fixture, "planning"), 0);
    const Cf__AuditPlan *plan = fixture->result->data->plan;
    assert_string_equal (plan->start_date, "2026-03-09");
    assert_string_equal (plan->end_date, "2026-03-11");
}

static void
test_planning_fails_with_too_few_staff (void **state)
{
    fixture_t *fixture = *state;
    s_keep_staff (fixture, "AUD003 AUD004 COM001");
    assert_int_equal (s_run (fixture, "planning"), CF_ENOSTAFF);
    assert_true (cf_problems_has (fixture->problems, "auditor.conflict"));
    assert_true (cf_problems_has (fixture->problems, "team.too_few"));
    s_assert_no_event (fixture);
}

//  ------------------------------------------------------------------------
//  scoring

static void
test_scoring_reports_the_score (void **state)
{
    fixture_t *fixture = *state;
    fixture->record->sheet = s_load_sheet ();
    assert_int_equal (s_run (fixture, "scoring"), 0);
    assert_string_equal (fixture->result->event, "scores_submitted");
    assert_null (fixture->result->data);
    const char *report = fixture->result->document;
    //  Worked by hand in scores.json: 80.20 / 94.00 × 100 = 85.3, three-star
    assert_non_null (strstr (report, "earned 80.20 of applicable 94.00"));
    assert_non_null (strstr (report, "(6.00 excluded)"));
    assert_non_null (strstr (report, "score 得分 85.3"));
    assert_non_null (strstr (report, "三星级 three-star"));
    //  B4 sampled: 8 × 18 / 20 = 7.20
    assert_non_null (strstr (report, "B4      8.00    7.20"));
    assert_non_null (strstr (report, "sampled 抽样 20, 2 failed"));
    assert_non_null (strstr (report, "excluded 删减: 配送由京东"));
    assert_non_null (strstr (report, "special bonus 特别加分: none"));
    assert_non_null (strstr (report, "nonconformities 不符合项: 1, 1 open"));
    assert_non_null (strstr (report, "NC-1 A4 minor, due 2026-04-17, open"));
}

static void
test_scoring_without_a_sheet_is_an_error (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (s_run (fixture, "scoring"), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "scoring.sheet"));
    s_assert_no_event (fixture);
}

static void
test_scoring_a_sheet_that_does_not_score_is_an_error (void **state)
{
    fixture_t *fixture = *state;
    fixture->record->sheet = s_load_sheet ();
    fixture->record->sheet->items[0]->earned = 60;  //  A1 is worth 6
    assert_int_equal (s_run (fixture, "scoring"), CF_EINVAL);
    assert_true (cf_problems_size (fixture->problems) > 0);
    s_assert_no_event (fixture);
}

//  ------------------------------------------------------------------------
//  committee

//  Gives the case a committee and a grantable score, 91.0 four-star
static void
s_committee (fixture_t *fixture, const char *members)
{
    Cf__Committee *committee = cf_pb_new (&cf__committee__descriptor);
    char *copy = strdup (members);
    for (char *save = NULL, *member = strtok_r (copy, " ", &save); member;
         member = strtok_r (NULL, " ", &save))
        cf_pb_append_string (&committee->n_members, &committee->members,
                             member);
    free (copy);
    cf_pb_free (&fixture->record->committee);
    fixture->record->committee = committee;
    Cf__ScoreResult *score = cf_pb_new (&cf__score_result__descriptor);
    score->score = 91.0;
    cf_pb_set_string (&score->grade, "four_star");
    cf_pb_free (&fixture->record->original);
    fixture->record->original = score;
}

static void
s_vote (fixture_t *fixture, const char *member, Cf__Vote vote,
        const char *reason)
{
    Cf__Committee *committee = fixture->record->committee;
    Cf__Ballot *ballot = cf_pb_new (&cf__ballot__descriptor);
    cf_pb_set_string (&ballot->member, member);
    ballot->vote = vote;
    cf_pb_set_string (&ballot->reason, reason);
    cf_pb_append (&committee->n_ballots, (void ***)&committee->ballots, ballot);
}

static void
test_committee_is_formed_of_independent_members (void **state)
{
    fixture_t *fixture = *state;
    //  COM002 was on the audit team, so it may not decide
    Cf__AuditPlan *plan = cf_pb_new (&cf__audit_plan__descriptor);
    cf_pb_set_string (&plan->leader, "AUD001");
    cf_pb_append_string (&plan->n_members, &plan->members, "COM002");
    fixture->record->plan = plan;
    assert_int_equal (s_run (fixture, "committee"), 0);
    assert_string_equal (fixture->result->event, "committee_formed");
    const Cf__CommitteeData *data = fixture->result->data->committee;
    assert_int_equal (fixture->result->data->body_case,
                      CF__EVENT_DATA__BODY_COMMITTEE);
    assert_int_equal (data->n_members, 3);
    assert_string_equal (data->members[0], "COM001");
    assert_string_equal (data->members[1], "COM003");
    assert_string_equal (data->members[2], "COM004");
}

static void
test_committee_fails_with_too_few_members (void **state)
{
    fixture_t *fixture = *state;
    s_keep_staff (fixture, "COM001 COM002 AUD001");
    assert_int_equal (s_run (fixture, "committee"), CF_ENOSTAFF);
    assert_true (cf_problems_has (fixture->problems, "committee.too_few"));
    s_assert_no_event (fixture);
}

static void
test_committee_tally_grants_refuses_or_waits (void **state)
{
    fixture_t *fixture = *state;
    s_committee (fixture, "COM001 COM003 COM004");

    //  One vote of three: no majority yet, nothing to do
    s_vote (fixture, "COM001", CF__VOTE__VOTE_GRANT, "meets the standard");
    assert_int_equal (s_run (fixture, "committee"), 0);
    s_assert_no_event (fixture);

    //  A vote from outside the committee does not count
    s_vote (fixture, "AUD001", CF__VOTE__VOTE_GRANT, "not a member");
    assert_int_equal (s_run (fixture, "committee"), 0);
    s_assert_no_event (fixture);

    s_vote (fixture, "COM003", CF__VOTE__VOTE_GRANT, "agreed");
    assert_int_equal (s_run (fixture, "committee"), 0);
    assert_string_equal (fixture->result->event, "majority_grant");
    assert_null (fixture->result->data);
}

static void
test_committee_refusal_gives_the_reasons (void **state)
{
    fixture_t *fixture = *state;
    s_committee (fixture, "COM001 COM003 COM004");
    s_vote (fixture, "COM001", CF__VOTE__VOTE_REFUSE,
            "complaint records incomplete");
    s_vote (fixture, "COM003", CF__VOTE__VOTE_GRANT, "");
    s_vote (fixture, "COM004", CF__VOTE__VOTE_REFUSE, "repair times missed");
    assert_int_equal (s_run (fixture, "committee"), 0);
    assert_string_equal (fixture->result->event, "majority_refuse");
    const Cf__EventData *data = fixture->result->data;
    assert_int_equal (data->body_case, CF__EVENT_DATA__BODY_REASON);
    assert_non_null (strstr (data->reason, "1 grant, 2 refuse of 3"));
    assert_non_null (
        strstr (data->reason, "COM001: complaint records incomplete"));
    assert_non_null (strstr (data->reason, "COM004: repair times missed"));
}

static void
test_committee_grant_with_open_items_refuses (void **state)
{
    fixture_t *fixture = *state;
    s_committee (fixture, "COM001 COM003 COM004");
    fixture->record->original->open_nonconformities = 1;
    s_vote (fixture, "COM001", CF__VOTE__VOTE_GRANT, "");
    s_vote (fixture, "COM003", CF__VOTE__VOTE_GRANT, "");
    assert_int_equal (s_run (fixture, "committee"), 0);
    assert_string_equal (fixture->result->event, "majority_refuse");
    assert_non_null (strstr (fixture->result->data->reason, "still open"));
}

//  ------------------------------------------------------------------------
//  issuance

//  Makes the case granted on decided, scoring 91.0 four-star
static void
s_granted (fixture_t *fixture, const char *decided)
{
    s_committee (fixture, "COM001 COM003 COM004");
    cf_pb_set_string (&fixture->record->decision, "grant");
    cf_pb_set_string (&fixture->record->decision_date, decided);
    cf_pb_set_string (&fixture->job->certificate_number, "CFC2026SC00001");
}

static const Cf__CertificateData *
s_certificate (fixture_t *fixture)
{
    assert_string_equal (fixture->result->event, "certificate_issued");
    const Cf__EventData *data = fixture->result->data;
    assert_int_equal (data->body_case, CF__EVENT_DATA__BODY_CERTIFICATE);
    return data->certificate;
}

static void
test_issuance_lowers_stars_for_a_first_certificate (void **state)
{
    fixture_t *fixture = *state;
    s_granted (fixture, "2026-04-20");
    fixture->today = s_day ("2026-04-22");
    assert_int_equal (s_run (fixture, "issuance"), 0);
    const Cf__CertificateData *certificate = s_certificate (fixture);
    assert_string_equal (certificate->number, "CFC2026SC00001");
    assert_string_equal (certificate->issue_date, "2026-04-22");
    //  Never compliant before: four-star waits, compliant is granted
    assert_string_equal (certificate->grade, "compliant");
    const char *document = fixture->result->document;
    assert_non_null (strstr (document, "CFC2026SC00001"));
    assert_non_null (strstr (document, "2029-04-22"));  //  Expiry
    assert_non_null (strstr (document, "达标级"));
}

static void
test_issuance_override_keeps_the_stars (void **state)
{
    fixture_t *fixture = *state;
    s_granted (fixture, "2026-04-20");
    fixture->today = s_day ("2026-04-22");
    fixture->record->committee->star_override = true;
    cf_pb_set_string (&fixture->record->committee->star_override_reason,
                      "held a compliant certificate of another body");
    assert_int_equal (s_run (fixture, "issuance"), 0);
    assert_string_equal (s_certificate (fixture)->grade, "four_star");
    assert_non_null (strstr (fixture->result->document, "四星级"));
}

static void
test_issuance_keeps_stars_after_the_waiting_period (void **state)
{
    fixture_t *fixture = *state;
    s_granted (fixture, "2026-04-20");
    cf_pb_set_string (&fixture->record->first_compliant_date, "2025-04-20");
    assert_int_equal (s_run (fixture, "issuance"), 0);
    assert_string_equal (s_certificate (fixture)->grade, "four_star");
}

static void
test_issuance_is_never_dated_before_the_decision (void **state)
{
    fixture_t *fixture = *state;
    s_granted (fixture, "2026-04-20");
    fixture->today = s_day ("2026-04-19");  //  A clock behind the decision
    assert_int_equal (s_run (fixture, "issuance"), 0);
    assert_string_equal (s_certificate (fixture)->issue_date, "2026-04-20");
}

static void
test_issuance_uses_the_score_after_rectification (void **state)
{
    fixture_t *fixture = *state;
    s_granted (fixture, "2026-04-20");
    cf_pb_set_string (&fixture->record->first_compliant_date, "2024-01-01");
    Cf__ScoreResult *rescored = cf_pb_new (&cf__score_result__descriptor);
    rescored->score = 95.5;
    cf_pb_set_string (&rescored->grade, "five_star");
    fixture->record->rescored = rescored;
    assert_int_equal (s_run (fixture, "issuance"), 0);
    assert_string_equal (s_certificate (fixture)->grade, "five_star");
}

static void
test_issuance_without_a_number_is_an_error (void **state)
{
    fixture_t *fixture = *state;
    s_granted (fixture, "2026-04-20");
    cf_pb_set_string (&fixture->job->certificate_number, "");
    assert_int_equal (s_run (fixture, "issuance"), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "issuance.number"));
    s_assert_no_event (fixture);
}

static void
test_issuance_without_a_decision_is_an_error (void **state)
{
    fixture_t *fixture = *state;
    s_granted (fixture, "2026-04-20");
    cf_pb_set_string (&fixture->record->decision_date, "");
    assert_int_equal (s_run (fixture, "issuance"), CF_EINVAL);
    assert_true (cf_problems_has (fixture->problems, "issuance.decision_date"));
    s_assert_no_event (fixture);
}

int
main (void)
{
#define TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        TEST (test_table_names_every_stage_once),
        TEST (test_run_refuses_an_unknown_stage),
        TEST (test_offer_runs_its_stage_under_its_scheme),
        TEST (test_offers_parse_each_scheme_text_once),
        TEST (test_offer_refuses_what_it_cannot_do),
        TEST (test_failed_result_carries_only_the_error),
        TEST (test_intake_passes_the_sample),
        TEST (test_intake_incomplete_names_the_missing_material),
        TEST (test_intake_incomplete_lists_malformed_fields_too),
        TEST (test_intake_ineligible_gives_the_reason),
        TEST (test_intake_without_application_is_an_error),
        TEST (test_review_accepts_the_sample),
        TEST (test_review_accepts_extensions_in_any_case),
        TEST (test_review_deficient_when_a_reference_is_no_file),
        TEST (test_review_deficient_without_the_system_documents),
        TEST (test_findings_cut_quotes_on_character_boundaries),
        TEST (test_findings_cut_quotes_on_character_boundaries),
        TEST (test_review_deficient_without_fixed_outlets),
        TEST (test_review_deficient_with_a_repeated_outlet),
        TEST (test_review_deficient_with_a_repeated_scope_item),
        TEST (test_review_ineligible_when_the_system_is_too_young),
        TEST (test_contract_for_the_sample),
        TEST (test_contract_without_scope_is_an_error),
        TEST (test_planning_excludes_the_conflicted_auditor),
        TEST (test_planning_uses_the_signed_contract_time),
        TEST (test_planning_gives_the_scheme_notice),
        TEST (test_planning_fails_with_too_few_staff),
        TEST (test_scoring_reports_the_score),
        TEST (test_scoring_without_a_sheet_is_an_error),
        TEST (test_scoring_a_sheet_that_does_not_score_is_an_error),
        TEST (test_committee_is_formed_of_independent_members),
        TEST (test_committee_fails_with_too_few_members),
        TEST (test_committee_tally_grants_refuses_or_waits),
        TEST (test_committee_refusal_gives_the_reasons),
        TEST (test_committee_grant_with_open_items_refuses),
        TEST (test_issuance_lowers_stars_for_a_first_certificate),
        TEST (test_issuance_override_keeps_the_stars),
        TEST (test_issuance_keeps_stars_after_the_waiting_period),
        TEST (test_issuance_is_never_dated_before_the_decision),
        TEST (test_issuance_uses_the_score_after_rectification),
        TEST (test_issuance_without_a_number_is_an_error),
        TEST (test_issuance_without_a_decision_is_an_error),
    };
#undef TEST
    return cmocka_run_group_tests (tests, NULL, NULL);
}
