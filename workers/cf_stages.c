/*  =========================================================================
    cf_stages - the stage table and what the stage files share
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_application.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_utf8.h"

//  The stages in lifecycle order: the one place their names are spelled
// clang-format off
static const cf_stage_t s_stages[] = {
    {"intake",    cf_stage_intake,    "are the materials complete and the applicant eligible?"},
    {"review",    cf_stage_review,    "the document review checklist over the materials"},
    {"contract",  cf_stage_contract,  "audit time, fee and contract number"},
    {"planning",  cf_stage_planning,  "audit dates and an impartial, competent team"},
    {"scoring",   cf_stage_scoring,   "score the audit's sheet and write the score report"},
    {"committee", cf_stage_committee, "form the decision committee, then count its votes"},
    {"issuance",  cf_stage_issuance,  "number, grade and render the certificate"},
};
// clang-format on

#define S_STAGE_COUNT (sizeof s_stages / sizeof s_stages[0])

const cf_stage_t *
cf_stages (size_t *count)
{
    assert (count);
    *count = S_STAGE_COUNT;
    return s_stages;
}

const cf_stage_t *
cf_stage_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t index = 0; index < S_STAGE_COUNT; index++)
        if (strcmp (s_stages[index].name, name) == 0)
            return &s_stages[index];
    return NULL;
}

int
cf_stage_run (const cf_stage_input_t *input, Cf__JobResult *result,
              cf_problems_t *problems)
{
    assert (input && input->scheme && result);
    const cf_stage_t *stage =
        input->job ? cf_stage_find (input->job->stage) : NULL;
    if (!stage) {
        char names[256] = "";
        size_t used = 0;
        for (size_t index = 0; index < S_STAGE_COUNT && used < sizeof names;
             index++)
            used += (size_t)snprintf (names + used, sizeof names - used, "%s%s",
                                      index ? ", " : "", s_stages[index].name);
        cf_problems_add (problems, "stage.unknown",
                         "job names stage '%.*s', which this worker does "
                         "not know; the stages are %s",
                         CF_UTF8_CUT (input->job ? input->job->stage : "", 64),
                         names);
        return CF_EINVAL;
    }
    if (!input->record) {
        cf_problems_add (problems, "stage.record",
                         "the %s job came without the case record; the "
                         "daemon must send the case snapshot with the offer",
                         stage->name);
        return CF_EINVAL;
    }
    return stage->run (input, result, problems);
}

void
cf_stage_set_error (Cf__JobResult *result, int rc,
                    const cf_problems_t *problems)
{
    cf_pb_set_string (&result->event, "");
    cf_pb_free (&result->data);
    cf_pb_set_string (&result->document, "");
    char *why = problems ? cf_problems_join (problems) : NULL;
    char *error = NULL;
    //  cf_strerror's text starts with the code's name already
    if (why && *why ? asprintf (&error, "%s: %s", cf_errname (rc), why) < 0
                    : asprintf (&error, "%s", cf_strerror (rc)) < 0)
        cf_mem_fail ();
    cf_pb_set_string (&result->error, error);
    free (error);
    free (why);
}

//  One scheme text and what it parsed to
typedef struct {
    uint8_t *text;
    size_t size;
    cf_scheme_t *scheme;
} s_kept_t;

struct _cf_stage_schemes_t {
    s_kept_t kept[CF_STAGE_SCHEMES_KEPT];  //  The most recently used first
    size_t count;                          //  How many are kept
    size_t parsed;                         //  Texts parsed so far
};

cf_stage_schemes_t *
cf_stage_schemes_new (void)
{
    return cf_mem_check (calloc (1, sizeof (cf_stage_schemes_t)));
}

void
cf_stage_schemes_destroy (cf_stage_schemes_t **self_p)
{
    assert (self_p);
    cf_stage_schemes_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++) {
        free (self->kept[index].text);
        cf_scheme_destroy (&self->kept[index].scheme);
    }
    free (self);
    *self_p = NULL;
}

size_t
cf_stage_schemes_parsed (const cf_stage_schemes_t *self)
{
    assert (self);
    return self->parsed;
}

//  Returns the scheme of text from schemes (moved to the front), or parses
//  it and keeps it there. Returns 0 with *scheme_p borrowed from schemes,
//  or what cf_scheme_parse returns.
static int
s_scheme_kept (cf_stage_schemes_t *self, const ProtobufCBinaryData *text,
               const cf_scheme_t **scheme_p, cf_problems_t *problems)
{
    size_t found = self->count;
    for (size_t index = 0; index < self->count && found == self->count; index++)
        if (self->kept[index].size == text->len &&
            memcmp (self->kept[index].text, text->data, text->len) == 0)
            found = index;
    s_kept_t entry;
    if (found < self->count)
        entry = self->kept[found];
    else {
        cf_scheme_t *scheme = NULL;
        self->parsed++;
        int rc = cf_scheme_parse ((const char *)text->data, text->len, "offer",
                                  &scheme, problems);
        if (rc)
            return rc;
        entry.text = cf_mem_check (malloc (text->len));
        memcpy (entry.text, text->data, text->len);
        entry.size = text->len;
        entry.scheme = scheme;
        if (self->count == CF_STAGE_SCHEMES_KEPT) {
            //  The least recently used goes
            s_kept_t *last = &self->kept[CF_STAGE_SCHEMES_KEPT - 1];
            free (last->text);
            cf_scheme_destroy (&last->scheme);
            found = CF_STAGE_SCHEMES_KEPT - 1;
        } else
            found = self->count++;
    }
    memmove (&self->kept[1], &self->kept[0], found * sizeof (s_kept_t));
    self->kept[0] = entry;
    *scheme_p = entry.scheme;
    return 0;
}

//  The offer's own checks: a job, a scheme text and the daemon's instant
static int
s_offer_check (const Cf__JobOffer *offer, cf_problems_t *problems)
{
    if (!offer->job) {
        cf_problems_add (problems, "offer.job",
                         "the offer carries no job; the daemon must send the "
                         "job with its lease");
        return CF_EINVAL;
    }
    if (offer->scheme.len == 0) {
        cf_problems_add (problems, "offer.scheme",
                         "the offer carries no scheme; the daemon must send "
                         "the text of the scheme that governs the case");
        return CF_EINVAL;
    }
    if (offer->now <= 0) {
        cf_problems_add (problems, "offer.now",
                         "the offer carries no date; the daemon's clock is "
                         "the only clock, so the daemon must send it");
        return CF_EINVAL;
    }
    return 0;
}

//  Runs the offer's stage under scheme
static int
s_offer_run (const Cf__JobOffer *offer, const cf_scheme_t *scheme,
             Cf__JobResult *result, cf_problems_t *problems)
{
    cf_stage_input_t input = {
        .job = offer->job,
        .record = offer->record,
        .staff = offer->staff,
        .staff_count = offer->n_staff,
        .scheme = scheme,
        .today = cf_date_from_ms (offer->now),
    };
    return cf_stage_run (&input, result, problems);
}

int
cf_stage_offer (const Cf__JobOffer *offer, Cf__JobResult *result,
                cf_problems_t *problems)
{
    assert (offer && result);
    int rc = s_offer_check (offer, problems);
    if (rc)
        return rc;
    cf_scheme_t *scheme = NULL;
    rc = cf_scheme_parse ((const char *)offer->scheme.data, offer->scheme.len,
                          "offer", &scheme, problems);
    if (rc)
        return rc;
    rc = s_offer_run (offer, scheme, result, problems);
    cf_scheme_destroy (&scheme);
    return rc;
}

int
cf_stage_offer_kept (cf_stage_schemes_t *schemes, const Cf__JobOffer *offer,
                     Cf__JobResult *result, cf_problems_t *problems)
{
    assert (schemes && offer && result);
    int rc = s_offer_check (offer, problems);
    const cf_scheme_t *scheme = NULL;
    if (rc == 0)
        rc = s_scheme_kept (schemes, &offer->scheme, &scheme, problems);
    return rc ? rc : s_offer_run (offer, scheme, result, problems);
}

void
cf_stage_set_event (Cf__JobResult *result, cf_event_t event)
{
    assert (result);
    cf_pb_set_string (&result->event, cf_fsm_event_name (event));
    cf_pb_free (&result->data);
}

Cf__EventData *
cf_stage_set_event_data (Cf__JobResult *result, cf_event_t event)
{
    cf_stage_set_event (result, event);
    result->data = cf_pb_new (&cf__event_data__descriptor);
    return result->data;
}

void
cf_stage_set_findings (Cf__JobResult *result, cf_event_t event,
                       Cf__FindingList **findings_p)
{
    assert (findings_p && *findings_p);
    Cf__EventData *data = cf_stage_set_event_data (result, event);
    data->findings = *findings_p;
    data->body_case = CF__EVENT_DATA__BODY_FINDINGS;
    *findings_p = NULL;
}

void
cf_stage_finding (Cf__FindingList *list, const char *item, const char *format,
                  ...)
{
    assert (list && item && format);
    Cf__Finding *finding = cf_pb_new (&cf__finding__descriptor);
    cf_pb_set_string (&finding->item, item);
    va_list args;
    va_start (args, format);
    if (vasprintf (&finding->reason, format, args) < 0)
        cf_mem_fail ();
    va_end (args);
    cf_pb_append (&list->n_findings, (void ***)&list->findings, finding);
}

static bool
s_starts_with (const char *text, const char *prefix)
{
    return strncmp (text, prefix, strlen (prefix)) == 0;
}

size_t
cf_stage_findings_from (Cf__FindingList *list, const cf_problems_t *problems,
                        const char *keep, const char *skip)
{
    assert (list && problems);
    size_t appended = 0;
    for (size_t index = 0; index < cf_problems_size (problems); index++) {
        const char *code = cf_problems_code (problems, index);
        if ((keep && !s_starts_with (code, keep)) ||
            (skip && s_starts_with (code, skip)))
            continue;
        cf_stage_finding (list, code, "%s",
                          cf_problems_message (problems, index));
        appended++;
    }
    return appended;
}

int
cf_stage_check_application (const cf_stage_input_t *input, const char *code,
                            const char *purpose, int *verdict_p,
                            Cf__FindingList **findings_p,
                            cf_problems_t *problems)
{
    assert (input && input->record && input->scheme && code && purpose);
    assert (verdict_p && findings_p);
    *findings_p = NULL;
    const Cf__Application *application = input->record->application;
    if (!application) {
        cf_problems_add (problems, code,
                         "case %s has no application to %s; the daemon "
                         "must store it at submission",
                         input->record->id, purpose);
        return CF_EINVAL;
    }
    cf_problems_t *found = cf_problems_new ();
    int verdict = cf_application_validate (input->scheme, application,
                                           input->today, found);
    Cf__FindingList *findings = cf_pb_new (&cf__finding_list__descriptor);
    if (verdict == CF_EINELIGIBLE)
        cf_stage_findings_from (findings, found, "eligibility.", NULL);
    else if (verdict != 0) {
        //  The materials missing, then every other problem (materials.Mxx
        //  would repeat the missing materials)
        cf_application_materials_missing (application, &findings->n_findings,
                                          &findings->findings);
        cf_stage_findings_from (findings, found, NULL, "materials.M");
    }
    cf_problems_destroy (&found);
    *verdict_p = verdict;
    *findings_p = findings;
    return 0;
}

char *
cf_stage_format (const char *format, ...)
{
    assert (format);
    va_list args;
    va_start (args, format);
    char *text = NULL;
    if (vasprintf (&text, format, args) < 0)
        cf_mem_fail ();
    va_end (args);
    return text;
}

void
cf_stage_set_document (Cf__JobResult *result, char **text_p)
{
    assert (result && text_p);
    if (!*text_p)
        return;
    if (result->document && result->document != protobuf_c_empty_string)
        free (result->document);
    result->document = *text_p;
    *text_p = NULL;
}
