/*  =========================================================================
    cf_scheme - the certification scheme: indicators, grades, deadlines

    The scheme owner's numbers live in a JSON file (the default one is
    examples/scheme.json, also compiled in). Every case records the version
    of the scheme that governed it. A loaded scheme is read-only: it is a
    plain struct so the pure rule modules can read it directly.

    Points are held in hundredths of a point and scores in tenths, so every
    rule is exact integer arithmetic.

    The file is checked as a whole and every problem is reported, each with
    a code and a message that names the JSON path and the fix:
      scheme.unreadable, scheme.too_large, scheme.not_json (with line and
        column), scheme.not_object: the file itself, which is read and
        parsed by cf_json (cf_json_load_file, cf_json_parse): strict JSON
        with no NUL byte, nested at most CF_JSON_MAX_DEPTH deep
      scheme.missing_key, scheme.unknown_key (suggests the key meant),
        scheme.wrong_type, scheme.empty_string, scheme.nul_in_string,
        scheme.not_whole: any field
      indicators.empty, indicators.group_empty, indicators.code_format,
        indicators.duplicate_code, indicators.code_prefix,
        indicators.points_range, indicators.points_decimals,
        indicators.points_sum
      grades.empty, grades.name_format, grades.duplicate_name,
        grades.min_range, grades.min_decimals, grades.order,
        grades.star_order, grades.no_plain_grade
      deadlines.*, eligibility.*, impartiality.*, stars.waiting_months,
        certificate.validity_years, certificate.surveillance_months: a
        whole number outside its range (the code is the field's path);
        committee_size may be even, but an even committee can tie and a
        tie refuses (cf_case_tally), so the message advises an odd size.
        Added since the first schemes, and optional with the default in
        brackets, so that a store's recorded schemes still read:
        deadlines.service_level_days (15), .audit_notice_days (14),
        certificate.surveillance_grace_days
        (0), .surveillance_reminder_days (30), .suspension_decision_days (5),
        .suspension_months (3), .suspension_months_max (6),
        .recertification_months (3)
      certificate.pattern_literal, certificate.pattern_cb_code,
        certificate.pattern_seq, certificate.pattern_seq_width,
        certificate.pattern_year, certificate.pattern_token,
        certificate.pattern_brace, certificate.pattern_length
      audit_time.base_empty, audit_time.max_employees, audit_time.base_order,
        audit_time.unbounded_not_last, audit_time.no_unbounded,
        audit_time.person_days, audit_time.person_days_decimals,
        audit_time.per_outlet, audit_time.per_extra_category
      fees.day_rate, fees.application_fee, fees.decimals
    =========================================================================
*/

#ifndef CF_SCHEME_H_INCLUDED
#define CF_SCHEME_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cf_error.h"
#include "cf_problems.h"

//  Largest scheme file accepted, in bytes
#define CF_SCHEME_MAX_BYTES (256 * 1024)

//  A first-level indicator (一级指标)
//  No scheme lets a suspension run longer than this many months
#define CF_SCHEME_SUSPENSION_MONTHS_LIMIT 24

typedef struct {
    char *code;  //  "A"
    char *name;  //  "售后服务体系 after-sales service system"
} cf_indicator_group_t;

//  A second-level indicator (二级指标): what the auditors score
typedef struct {
    char *code;      //  "A1"; unique in the scheme
    char *group;     //  Code of its first-level indicator
    char *name;      //  "组织架构 organization"
    int32_t points;  //  Maximum, in hundredths of a point
} cf_indicator_t;

//  A grade and the lowest score that reaches it
typedef struct {
    char *name;          //  "five_star"; used on the wire
    char *label;         //  "五星级 five-star"; used on documents
    int32_t min_tenths;  //  Lowest score, in tenths (950 = 95.0)
    bool stars;          //  A star grade: the waiting period applies
} cf_grade_t;

//  One step of the audit-time table: companies up to max_employees
typedef struct {
    uint32_t max_employees;      //  Upper bound (inclusive); 0: no bound
    int32_t person_days_tenths;  //  Base audit time for that size
} cf_audit_time_t;

typedef struct _cf_scheme_t {
    char *version;                   //  Scheme version, recorded on every case
    char *name;                      //  Scheme title
    char *standard;                  //  "GB/T 27922-2011"
    char *issuer;                    //  Certification body name on certificates
    cf_indicator_group_t *groups;    //  First-level indicators
    size_t group_count;              //  How many
    cf_indicator_t *indicators;      //  Second-level indicators, file order
    size_t indicator_count;          //  How many; points sum to 100.00
    cf_grade_t *grades;              //  Highest first; below the last: fail
    size_t grade_count;              //  How many
    int supplement_days;             //  Applicant's time to supply materials
    int signature_days;              //  Applicant's time to sign the contract
    int rectification_days;          //  Time for each round of corrections
    int rectification_ceiling_days;  //  Total rectification time, all rounds
    int rectification_max_rounds;    //  Rejected fixes allowed before ending
    int service_level_days;          //  Acceptance to decision, net of the
                                     //  applicant's waits, at most
    int audit_notice_days;           //  Planning to an audit's first day,
                                     //  at least
    int committee_size;              //  Members on the decision committee
    int team_min_size;               //  Audit team: leader + members, at least
    int star_wait_months;            //  Compliant this long before stars
    int system_min_months;           //  After-sales system running at least
    int accident_lookback_months;    //  No major accident in this period
    int conflict_lookback_months;    //  Past consulting counts as a conflict
    char *certificate_pattern;       //  e.g. "CFC{YYYY}{SEQ:5}"
    int validity_years;              //  Certificate life
    int surveillance_months;         //  Surveillance at least this often
    int surveillance_grace_days;  //  A visit may be this late: then suspended
    int surveillance_reminder_days;     //  Reminded this long before a visit
    int suspension_decision_days;       //  Suspend within this of the trigger
    int suspension_months;              //  A suspension's period, by default
    int suspension_months_max;          //  and at most (at most
                                        //  CF_SCHEME_SUSPENSION_MONTHS_LIMIT)
    int recertification_months;         //  Renewal may be applied for this long
                                        //  before expiry
    cf_audit_time_t *audit_time;        //  Base audit time by company size
    size_t audit_time_count;            //  Steps, by ascending max_employees
    int32_t outlet_person_days_tenths;  //  Added per fixed outlet (>= 5)
    int32_t category_person_days_tenths;  //  Added per scope item past one
    uint64_t day_rate_fen;                //  Fee per person-day
    uint64_t application_fee_fen;         //  Fixed fee per case
} cf_scheme_t;

//  Loads and checks the scheme file at path. On success *scheme_p owns a new
//  scheme and 0 is returned. On failure *scheme_p is NULL and the return is
//  CF_EIO (cannot read; problems name the file and errno text), CF_EPARSE
//  (not JSON; problems give line and column), CF_ELIMIT (larger than
//  CF_SCHEME_MAX_BYTES) or CF_ESCHEME (valid JSON, wrong content; problems
//  list every wrong field with what to write instead). problems may be NULL.
int CF_MUST_CHECK cf_scheme_load (const char *path, cf_scheme_t **scheme_p,
                                  cf_problems_t *problems);

//  As cf_scheme_load, from text in memory (size bytes; a NUL is not
//  needed). origin names the source in problem messages (a path, or
//  "built-in"). Returns 0, CF_EPARSE, CF_ELIMIT, CF_ESCHEME or CF_ENOMEM.
int CF_MUST_CHECK cf_scheme_parse (const char *text, size_t size,
                                   const char *origin, cf_scheme_t **scheme_p,
                                   cf_problems_t *problems);

//  Loads the built-in copy of examples/scheme.json. Returns 0, or CF_ENOMEM.
//  (A built-in copy that fails its own checks is a build error that the unit
//  tests catch; it would return CF_ESCHEME.)
int CF_MUST_CHECK cf_scheme_default (cf_scheme_t **scheme_p);

//  Returns the built-in scheme file text (NUL-terminated, static).
const char *cf_scheme_default_text (void);

//  Destroys a scheme and nulls *self_p. NULL-safe, idempotent.
void cf_scheme_destroy (cf_scheme_t **self_p);

//  Returns the indicator with this code, or NULL.
const cf_indicator_t *cf_scheme_indicator (const cf_scheme_t *self,
                                           const char *code);

//  Returns the grade a score in tenths reaches, or NULL for a fail.
const cf_grade_t *cf_scheme_grade (const cf_scheme_t *self,
                                   int32_t score_tenths);

//  Returns the grade with this name, or NULL.
const cf_grade_t *cf_scheme_grade_named (const cf_scheme_t *self,
                                         const char *name);

//  Returns the lowest passing score in tenths (the last grade's minimum).
int32_t cf_scheme_pass_tenths (const cf_scheme_t *self);

//  Longest certificate number a valid pattern expands to, in characters
#define CF_SCHEME_CERTIFICATE_NUMBER_MAX 32

//  Writes the certificate number for year and sequence into buffer (size
//  bytes, NUL-terminated; CF_SCHEME_CERTIFICATE_NUMBER_MAX + 1 always
//  suffices) by expanding self->certificate_pattern: {YYYY} becomes the
//  4-digit year, {YY} its last two digits, {SEQ:n} the sequence padded with
//  zeros to n digits; other characters are copied. "CFC{YYYY}SC{SEQ:5}" with
//  2026 and 42 gives "CFC2026SC00042". year must be 1000 .. 9999 and
//  sequence at least 1 (numbers are counted from 1). Returns 0, CF_ELIMIT
//  when sequence needs more than n digits or buffer is too small, or
//  CF_EINVAL for a bad year, a zero sequence or a pattern that breaks the
//  rules checked at load. On error buffer holds "" (when size > 0).
int CF_MUST_CHECK cf_scheme_certificate_number (const cf_scheme_t *self,
                                                int year, uint32_t sequence,
                                                char *buffer, size_t size);

#endif
