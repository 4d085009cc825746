/*  =========================================================================
    cf_stages - the stage work a worker does for the daemon

    Each automated stage of the case lifecycle (DOMAIN section 1) is a pure
    function, one file each (cf_stage_intake.c ...): it reads the job, the
    case snapshot, the staff records and the scheme of a JobOffer, and
    writes the event to fire, its data and any document into a JobResult.
    No I/O, no clock (the caller passes today), no state, so every stage is
    tested without a daemon.

    A stage returns 0 whenever it reached a verdict, including a negative
    one (intake_incomplete, docs_deficient, majority_refuse): those are
    results the state machine records. It returns an error only when it
    cannot do its work (no team can be formed, the case lacks what the
    stage needs); the worker then reports the error, and the daemon retries
    the job with backoff and parks it as an incident after its attempts.

    The table in cf_stages.c is the one place stage names are spelled.
    =========================================================================
*/

#ifndef CF_STAGES_H_INCLUDED
#define CF_STAGES_H_INCLUDED

#include <stddef.h>

#include "certflow.pb-c.h"
#include "cf_date.h"
#include "cf_error.h"
#include "cf_fsm.h"
#include "cf_problems.h"
#include "cf_scheme.h"

//  What a stage works from: a JobOffer, its scheme parsed, and the day
typedef struct {
    const Cf__Job *job;         //  The job: id, stage, lease, reserved number
    const Cf__Case *record;     //  Snapshot of the case (not NULL)
    Cf__Staff *const *staff;    //  Active staff (planning, committee)
    size_t staff_count;         //  How many; staff may be NULL when 0
    const cf_scheme_t *scheme;  //  Scheme that governs the case (not NULL)
    cf_day_t today;             //  Day the stage runs, China Standard Time
} cf_stage_input_t;

//  A stage. input: borrowed for the call. result: a heap JobResult (see
//  cf_pb.h) whose event, data and document the stage sets on success; on
//  error they are left as they were. problems: gets why the stage failed,
//  may be NULL. Returns 0 or a negative CF_E* code.
typedef int (cf_stage_fn) (const cf_stage_input_t *input, Cf__JobResult *result,
                           cf_problems_t *problems);

//  One entry of the stage table
typedef struct {
    const char *name;     //  Stage name on the wire ("intake")
    cf_stage_fn *run;     //  What it does
    const char *summary;  //  One line for --help
} cf_stage_t;

//  ------------------------------------------------------------------------
//  The table

//  Returns the stage table (static, in lifecycle order); *count gets its
//  length.
const cf_stage_t *cf_stages (size_t *count);

//  Returns the stage called name, or NULL for NULL or an unknown name.
const cf_stage_t *cf_stage_find (const char *name);

//  Runs the stage input->job->stage names on input. Returns what the stage
//  returns, or CF_EINVAL when the job is missing or names no known stage
//  (problem stage.unknown listing the stages) or the record is missing
//  (problem stage.record). result and problems as for cf_stage_fn.
int CF_MUST_CHECK cf_stage_run (const cf_stage_input_t *input,
                                Cf__JobResult *result, cf_problems_t *problems);

//  Does a job offer as it came from the daemon: loads the text of the
//  scheme it carries and runs the stage its job names (cf_stage_run) on its
//  case snapshot and staff records, on the day of the daemon's instant the
//  offer carries (one clock: the daemon's). Returns what cf_stage_run
//  returns, CF_EINVAL when the offer carries no job, no scheme or no
//  instant (problem offer.job, offer.scheme or offer.now), or what
//  cf_scheme_parse returns for its scheme text. result and problems as for
//  cf_stage_fn.
int CF_MUST_CHECK cf_stage_offer (const Cf__JobOffer *offer,
                                  Cf__JobResult *result,
                                  cf_problems_t *problems);

//  The schemes a worker has parsed, kept by their text: every offer
//  carries the text of the scheme that governs its case, and most carry
//  the same text, so each text is parsed once. Holds the last
//  CF_STAGE_SCHEMES_KEPT texts (the least recently used goes first); a
//  text that does not parse is never kept.
typedef struct _cf_stage_schemes_t cf_stage_schemes_t;
#define CF_STAGE_SCHEMES_KEPT 4

//  Creates an empty set of schemes.
cf_stage_schemes_t *cf_stage_schemes_new (void);

//  Destroys the set and nulls *self_p. NULL-safe.
void cf_stage_schemes_destroy (cf_stage_schemes_t **self_p);

//  Returns how many times the set has parsed a scheme text.
size_t cf_stage_schemes_parsed (const cf_stage_schemes_t *self);

//  As cf_stage_offer, with the scheme taken from schemes when it holds
//  the offer's text byte for byte, else parsed and kept there.
int CF_MUST_CHECK cf_stage_offer_kept (cf_stage_schemes_t *schemes,
                                       const Cf__JobOffer *offer,
                                       Cf__JobResult *result,
                                       cf_problems_t *problems);

//  ------------------------------------------------------------------------
//  The stages (protocol "Worker API"); each returns 0 with result->event
//  set, or an error with the problems said.

//  intake: checks the application (cf_application_validate). Well formed,
//  eligible and complete: intake_passed, no data. Ineligible:
//  intake_ineligible with one finding per eligibility problem. Malformed or
//  incomplete: intake_incomplete with the missing materials
//  (cf_application_materials_missing) and every other problem as findings.
//  Returns 0, or CF_EINVAL when the case has no application.
int CF_MUST_CHECK cf_stage_intake (const cf_stage_input_t *input,
                                   Cf__JobResult *result,
                                   cf_problems_t *problems);

//  review: the document review of ISO/IEC 17065 7.3 over the materials.
//  The application must still pass intake's checks (an ineligible one gives
//  docs_ineligible with the reasons), and then the reviewer's checklist:
//  - every material's reference names a document file: a base name and an
//    extension among pdf, jpg, jpeg, png, doc, docx, xls, xlsx, ofd, zip
//    (finding item: the material code);
//  - M10 (the after-sales system description) and M12 (the management
//    system documents) are supplied: they are what the review examines;
//  - the application declares at least one fixed service outlet, each
//    once, with M08 listing them: GB/T 27922 evaluates the outlets'
//    service (item "outlets" or "M08");
//  - the scope has items, none blank, none twice, described by M04 (item
//    "scope" or "M04").
//  Every finding names its item and the reason. Findings: docs_deficient
//  with them; none: docs_accepted, no data. Returns 0, or CF_EINVAL when the
//  case has no application.
int CF_MUST_CHECK cf_stage_review (const cf_stage_input_t *input,
                                   Cf__JobResult *result,
                                   cf_problems_t *problems);

//  contract: the audit time and fee (cf_plan_audit_time) and the contract
//  number (cf_plan_contract_number): contract_issued with Contract{number,
//  person_days_tenths, fee_fen, issued_date = today}; the document is the
//  rationale of the time and fee (cf_plan_audit_rationale). Returns 0, or
//  CF_EINVAL (no application, no case id) or the codes of
//  cf_plan_audit_time.
int CF_MUST_CHECK cf_stage_contract (const cf_stage_input_t *input,
                                     Cf__JobResult *result,
                                     cf_problems_t *problems);

//  planning: dates from today (cf_plan_audit_dates, after the scheme's
//  deadlines.audit_notice_days, for the contract's
//  person-days, or the scheme's audit time when the case has no contract,
//  and a team of the scheme's minimum size) and a team from the staff
//  (cf_plan_select_team): audit_planned with the AuditPlan. Returns 0, or
//  CF_ENOSTAFF (too few eligible auditors: the problems say why each was
//  excluded), CF_EINVAL (no application) or the codes of
//  cf_plan_audit_time and cf_plan_audit_dates.
int CF_MUST_CHECK cf_stage_planning (const cf_stage_input_t *input,
                                     Cf__JobResult *result,
                                     cf_problems_t *problems);

//  scoring: scores the stored sheet (cf_score_compute): scores_submitted
//  with no data (the daemon scores it again as it records it); the
//  document is the score report: per indicator its points, the points
//  earned and how (sampled n with m failed, or excluded with the reason);
//  the earned and applicable totals; the special bonus and deductions; the
//  score and grade; the nonconformities and whether each is open. Returns
//  0, or CF_EINVAL when the case has no sheet or the sheet does not score
//  (the problems of cf_score_compute).
int CF_MUST_CHECK cf_stage_scoring (const cf_stage_input_t *input,
                                    Cf__JobResult *result,
                                    cf_problems_t *problems);

//  committee: with no members yet, chooses them (cf_plan_select_committee,
//  on today): committee_formed with CommitteeData{members}. With members,
//  counts the ballots (cf_case_tally): a granting majority gives
//  majority_grant when the latest score allows a grant (a passing grade
//  and no open nonconformity) and majority_refuse with the reason when it
//  does not; a refusing majority gives majority_refuse with the count as
//  the reason; no majority yet gives an empty event (nothing to do until
//  the next vote). Returns 0, or CF_ENOSTAFF (too few independent
//  members: the problems say why each was excluded).
int CF_MUST_CHECK cf_stage_committee (const cf_stage_input_t *input,
                                      Cf__JobResult *result,
                                      cf_problems_t *problems);

//  issuance: the certificate for a granted case. Number: the one the daemon
//  reserved (job->certificate_number). Issue date: today, or the decision
//  date when today is before it. Grade: the latest score's grade (after
//  rectification when rescored) through the star rule
//  (cf_score_grant_grade on the decision date, with the committee's
//  override). certificate_issued with CertificateData{number, issue_date,
//  grade}; the document is the certificate (cf_certificate_render).
//  Returns 0, or CF_EINVAL (no reserved number, no readable decision date,
//  no score, an unreadable first_compliant_date, or a certificate that
//  cf_certificate_build refuses) or CF_EGUARD (the score reaches no grade).
int CF_MUST_CHECK cf_stage_issuance (const cf_stage_input_t *input,
                                     Cf__JobResult *result,
                                     cf_problems_t *problems);

//  ------------------------------------------------------------------------
//  Helpers the stage files share

//  Sets result->event to the name of event with no data (freeing any data there
//  was).
void cf_stage_set_event (Cf__JobResult *result, cf_event_t event);

//  Makes result the report of a stage that failed with rc (a CF_E* code):
//  no event, data or document (the daemon retries the job), and error
//  "CF_NAME: " and the problems joined, or cf_strerror (rc) when there are
//  none. problems may be NULL.
void cf_stage_set_error (Cf__JobResult *result, int rc,
                         const cf_problems_t *problems);

//  Sets result->event to the name of event and result->data to a new empty
//  EventData (replacing what was there), and returns the data for the caller to
//  fill.
Cf__EventData *cf_stage_set_event_data (Cf__JobResult *result,
                                        cf_event_t event);

//  Sets result->event to the name of event and result->data to a new
//  EventData carrying the findings, taking *findings_p and nulling it.
void cf_stage_set_findings (Cf__JobResult *result, cf_event_t event,
                            Cf__FindingList **findings_p);

//  Appends a finding with item and a printf-formatted reason to list.
void cf_stage_finding (Cf__FindingList *list, const char *item,
                       const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Appends one finding per problem whose code starts with keep (NULL: every
//  problem) and not with skip (NULL: none): item = the problem code, reason
//  = its message. Returns how many were appended.
size_t cf_stage_findings_from (Cf__FindingList *list,
                               const cf_problems_t *problems, const char *keep,
                               const char *skip);

//  Checks the application of input's case as intake does
//  (cf_application_validate on input->today) and turns what was found into
//  findings: for an ineligible applicant, one per eligibility problem; for
//  a malformed or incomplete application, the missing materials
//  (cf_application_materials_missing) and then every other problem; none
//  for a good one. The intake and the document review both start here.
//
//  input: as for cf_stage_fn. code, purpose: name the problem when the case
//  has no application ("intake.application", "check": "case C-1 has no
//  application to check"). verdict_p: gets what cf_application_validate
//  returned (0, CF_EINELIGIBLE, CF_EINCOMPLETE or CF_EINVAL). findings_p:
//  gets a new heap FindingList, possibly empty, which the caller frees
//  with cf_pb_free or hands to cf_stage_set_findings; NULL on error.
//  problems: may be NULL.
//
//  Returns 0, or CF_EINVAL when the case has no application.
int CF_MUST_CHECK cf_stage_check_application (
    const cf_stage_input_t *input, const char *code, const char *purpose,
    int *verdict_p, Cf__FindingList **findings_p, cf_problems_t *problems);

//  Returns a new printf-formatted string the caller frees. Aborts on out
//  of memory.
char *cf_stage_format (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));

//  Replaces result->document with text; takes ownership of *text_p and
//  nulls it. NULL-safe: a NULL *text_p leaves the document as it was.
void cf_stage_set_document (Cf__JobResult *result, char **text_p);

#endif
