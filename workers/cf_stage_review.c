/*  =========================================================================
    cf_stage_review - the document review (ISO/IEC 17065 7.3)

    What a certification body's reviewer checks before it offers a contract.
    The worker cannot read the documents themselves, so the checklist asks
    what can be known from the application: that each material is a real
    document on file, that the documents the GB/T 27922 evaluation rests on
    are there (the after-sales system description M10 and the management
    system documents M12), that there are service outlets to evaluate and a
    list of them (M08), and that the scope is stated clearly and described
    (M04). A human reviewer may still override the verdict through the
    client (docs_accepted / docs_deficient / docs_ineligible).
    =========================================================================
*/

#include "cf_stages.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "cf_application.h"
#include "cf_pb.h"
#include "cf_utf8.h"

//  A checklist rule: appends a finding per deficiency
typedef void (s_rule_fn) (const Cf__Application *application,
                          Cf__FindingList *findings);

//  Extensions of the document files the body accepts
static const char *s_extensions[] = {"pdf",  "jpg", "jpeg", "png", "doc",
                                     "docx", "xls", "xlsx", "ofd", "zip"};

#define S_EXTENSION_LIST "pdf, jpg, jpeg, png, doc, docx, xls, xlsx, ofd, zip"

static bool
s_blank (const char *text)
{
    if (!text)
        return true;
    for (; *text; text++)
        if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r')
            return false;
    return true;
}

//  The material listed under code with a non-blank reference, or NULL
static const Cf__Material *
s_material (const Cf__Application *application, const char *code)
{
    for (size_t index = 0; index < application->n_materials; index++) {
        const Cf__Material *material = application->materials[index];
        if (strcmp (material->code, code) == 0 &&
            !s_blank (material->reference))
            return material;
    }
    return NULL;
}

//  True when findings already hold one for item (the materials intake
//  reports missing are not reported twice)
static bool
s_noted (const Cf__FindingList *findings, const char *item)
{
    for (size_t index = 0; index < findings->n_findings; index++)
        if (strcmp (findings->findings[index]->item, item) == 0)
            return true;
    return false;
}

//  Reports a key document that is not supplied, once
static void
s_require (const Cf__Application *application, Cf__FindingList *findings,
           const char *code, const char *why)
{
    if (s_material (application, code) || s_noted (findings, code))
        return;
    cf_stage_finding (findings, code, "%s %s is not supplied; %s", code,
                      cf_application_material_name (code), why);
}

//  True when reference ends in ".ext" with an accepted extension after a
//  non-empty base name
static bool
s_names_document (const char *reference)
{
    const char *dot = strrchr (reference, '.');
    if (!dot || dot == reference || dot[-1] == '/' || dot[-1] == '\\')
        return false;
    for (size_t index = 0; index < sizeof s_extensions / sizeof s_extensions[0];
         index++)
        if (strcasecmp (dot + 1, s_extensions[index]) == 0)
            return true;
    return false;
}

//  Each material supplied must be a document on file, so that the reviewer
//  and later the auditors can open it
static void
s_rule_documents (const Cf__Application *application, Cf__FindingList *findings)
{
    for (size_t index = 0; index < application->n_materials; index++) {
        const Cf__Material *material = application->materials[index];
        if (s_blank (material->reference) ||
            s_names_document (material->reference))
            continue;  //  A blank reference is a missing material: intake's
        cf_stage_finding (findings, material->code,
                          "%s: reference '%.*s' does not name a document "
                          "file; give the file name with its extension (%s)",
                          material->code,
                          CF_UTF8_CUT (material->reference, 200),
                          S_EXTENSION_LIST);
    }
}

//  The after-sales system description and its documents are what the
//  review examines against GB/T 27922; without them there is nothing to
//  review
static void
s_rule_system_documents (const Cf__Application *application,
                         Cf__FindingList *findings)
{
    s_require (application, findings, "M10",
               "the document review examines how service is delivered "
               "against GB/T 27922, so supply it");
    s_require (application, findings, "M12",
               "the document review examines the management system "
               "documents against GB/T 27922, so supply them");
}

static bool
s_same_outlet (const Cf__Outlet *one, const Cf__Outlet *other)
{
    return strcmp (one->name, other->name) == 0 &&
           strcmp (one->address, other->address) == 0;
}

//  GB/T 27922 evaluates the service at fixed outlets (own or contracted):
//  an application without them cannot be evaluated, and M08 must list
//  them. The content of M08 cannot be read here, so the declared outlets
//  stand for it.
static void
s_rule_outlets (const Cf__Application *application, Cf__FindingList *findings)
{
    if (application->n_outlets == 0)
        cf_stage_finding (findings, "outlets",
                          "the application declares no fixed service outlet; "
                          "GB/T 27922 evaluates the service the outlets "
                          "give, so list each outlet (own or contracted) "
                          "with its name and address");
    for (size_t index = 0; index < application->n_outlets; index++)
        for (size_t before = 0; before < index; before++)
            if (s_same_outlet (application->outlets[before],
                               application->outlets[index])) {
                cf_stage_finding (
                    findings, "outlets",
                    "outlets[%zu] repeats outlets[%zu] "
                    "('%.*s'); list each outlet once",
                    index, before,
                    CF_UTF8_CUT (application->outlets[index]->name, 100));
                break;
            }
    if (application->n_outlets > 0)
        s_require (application, findings, "M08",
                   "it must list the fixed outlets the application declares");
}

//  The certificate states the scope: each item must say something, once,
//  and M04 must describe the products or services it names
static void
s_rule_scope (const Cf__Application *application, Cf__FindingList *findings)
{
    if (application->n_scope == 0)
        cf_stage_finding (findings, "scope",
                          "the application names no product or service; "
                          "state the scope to be certified");
    for (size_t index = 0; index < application->n_scope; index++) {
        const char *item = application->scope[index];
        if (s_blank (item)) {
            cf_stage_finding (findings, "scope",
                              "scope[%zu] is blank; name the product or "
                              "service, or remove the item",
                              index);
            continue;
        }
        for (size_t before = 0; before < index; before++)
            if (strcmp (application->scope[before], item) == 0) {
                cf_stage_finding (findings, "scope",
                                  "scope[%zu] repeats scope[%zu] ('%.100s'); "
                                  "name each product or service once",
                                  index, before, item);
                break;
            }
    }
    if (application->n_scope > 0)
        s_require (application, findings, "M04",
                   "it must describe each product or service of the scope");
}

//  The checklist, in the order the reviewer's record lists it
static s_rule_fn *const s_checklist[] = {
    s_rule_documents,
    s_rule_system_documents,
    s_rule_outlets,
    s_rule_scope,
};

int
cf_stage_review (const cf_stage_input_t *input, Cf__JobResult *result,
                 cf_problems_t *problems)
{
    assert (input && result);
    //  The reviewer does not rest on intake's verdict: the application is
    //  checked again on the day of the review
    int verdict;
    Cf__FindingList *findings;
    int rc = cf_stage_check_application (input, "review.application", "review",
                                         &verdict, &findings, problems);
    if (rc)
        return rc;
    if (verdict == CF_EINELIGIBLE) {
        cf_stage_set_findings (result, CF_EVENT_DOCS_INELIGIBLE, &findings);
        return 0;
    }
    for (size_t index = 0; index < sizeof s_checklist / sizeof s_checklist[0];
         index++)
        s_checklist[index](input->record->application, findings);

    if (findings->n_findings == 0) {
        cf_pb_free (&findings);
        cf_stage_set_event (result, CF_EVENT_DOCS_ACCEPTED);
    } else
        cf_stage_set_findings (result, CF_EVENT_DOCS_DEFICIENT, &findings);
    return 0;
}
