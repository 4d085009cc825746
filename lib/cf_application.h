/*  =========================================================================
    cf_application - is an application well formed, eligible and complete?
    (DOMAIN section 2)

    The intake worker asks three questions of a submitted application, in
    this order of weight:

    1. Is it well formed? Required fields are present and readable: the
       unified social credit code (GB 32100-2015) checks out, dates are
       dates, every outlet has a name and an address. If not, the applicant
       must correct it (CF_EINVAL).
    2. Is the applicant eligible? An independent legal entity, operating
       lawfully, without a major quality or after-sales accident in the
       lookback period, whose after-sales system has run long enough. If not,
       the application is refused (CF_EINELIGIBLE, the case is rejected).
    3. Are the materials complete? Each item of the twelve-item checklist is
       supplied with a document reference (M03 only where the law requires a
       licence). If not, the applicant is asked to supplement it
       (CF_EINCOMPLETE). Missing materials are never a refusal.

    Every problem found is listed, whatever the answer, so one reply tells
    the applicant everything. All functions are pure: no I/O, no clock (the
    caller passes today), no state.
    =========================================================================
*/

#ifndef CF_APPLICATION_H_INCLUDED
#define CF_APPLICATION_H_INCLUDED

#include <stddef.h>

#include "certflow.pb-c.h"
#include "cf_date.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"

//  Characters in a unified social credit code
#define CF_APPLICATION_USCC_LENGTH 18

//  Items on the materials checklist, M01 .. M12
#define CF_APPLICATION_MATERIALS 12

//  Checks a unified social credit code (统一社会信用代码, GB 32100-2015):
//  18 characters from 0-9 and A-Y without I, O, S, V, Z; positions 3-8 the
//  six-digit administrative division code; positions 9-17 an organization
//  code whose last character is its GB 11714 check character; position 18
//  the check character of positions 1-17 (weights 3^i mod 31). Lower case
//  is refused: codes are printed in upper case and compared as text.
//
//  code: NUL-terminated text (not NULL). problems: gets one problem per kind
//  of failure, may be NULL. Codes: uscc.length, uscc.charset (the first
//  wrong character and its position), uscc.division, uscc.org_code,
//  uscc.check_digit. Each message says what was found and what was expected
//  ("check digit is 'A', the code computes to '6'"). When the length or the
//  character set is wrong, the check characters are not computed.
//
//  Returns 0 when the code is valid, else CF_EINVAL.
int CF_MUST_CHECK cf_application_check_uscc (const char *code,
                                             cf_problems_t *problems);

//  Checks an application against the scheme on the day today (a day number,
//  China Standard Time; see cf_date.h).
//
//  scheme: gives system_min_months and accident_lookback_months (not NULL).
//  app: the application (not NULL), borrowed for the call.
//  problems: gets every problem found, may be NULL.
//
//  Malformed (CF_EINVAL), problem code in brackets:
//  - company_name, registered_address, operating_address, sector,
//    contact_name empty or blank [the field name];
//  - uscc empty [uscc] or wrong [see cf_application_check_uscc];
//  - no scope item, or a blank one [scope];
//  - employees 0 [employees];
//  - system_start_date not a YYYY-MM-DD date or after today
//    [system_start_date]; application_date or last_major_accident_date
//    given but not a date [their names]; an accident after today
//    [last_major_accident_date];
//  - neither contact_phone nor contact_email [contact]; a phone that is not
//    digits with + - ( ) and spaces [contact_phone]; an e-mail address that
//    is not name@domain [contact_email];
//  - an outlet with no name or no address [outlets.name, outlets.address];
//  - a material with an unknown code such as M13 [materials.unknown], or a
//    code listed twice [materials.duplicate].
//
//  Ineligible (CF_EINELIGIBLE):
//  - not declared an independent legal entity [eligibility.legal_entity];
//  - not declared operating lawfully [eligibility.lawful_operation];
//  - a major accident declared: no_major_accident false
//    [eligibility.major_accident];
//  - last_major_accident_date within the lookback: the accident day plus
//    accident_lookback_months is today or later (an accident exactly 12
//    months ago still counts; one day earlier does not)
//    [eligibility.accident_date];
//  - the system has run less than system_min_months: system_start_date plus
//    system_min_months is after today (exactly 3 months is enough)
//    [eligibility.system_age]. Each message gives the first day on which
//    the applicant could apply.
//
//  Incomplete (CF_EINCOMPLETE):
//  - a checklist item not supplied with a non-blank reference
//    [materials.M01 .. materials.M12]; M03 only when licence_required.
//
//  Returns 0 when the application is well formed, eligible and complete.
//  Otherwise the weightiest kind found: CF_EINVAL, then CF_EINELIGIBLE, then
//  CF_EINCOMPLETE; problems lists all of them regardless.
int CF_MUST_CHECK cf_application_validate (const cf_scheme_t *scheme,
                                           const Cf__Application *app,
                                           cf_day_t today,
                                           cf_problems_t *problems);

//  Appends one Finding per checklist item the application lacks (the same
//  items cf_application_validate reports as materials.Mxx), in checklist
//  order, to a repeated Finding field of a heap message tree: pass
//  &list->n_findings and &list->findings of a FindingList or a Case. Each
//  finding's item is the material code and its reason names the material in
//  Chinese and English and says what is wrong, for the supplement request.
//
//  app: borrowed (not NULL). n_findings, findings: the repeated field; the
//  new findings belong to the message that holds the field.
//
//  Returns how many findings were appended (0: nothing missing). Aborts on
//  out of memory.
size_t cf_application_materials_missing (const Cf__Application *app,
                                         size_t *n_findings,
                                         Cf__Finding ***findings);

//  Returns the checklist name of a material code ("M07" -> "组织机构图（含售后
//  服务组织机构图） organization chart including the after-sales
//  organization"), static text, or NULL for a code not on the checklist.
const char *cf_application_material_name (const char *code);

#endif
