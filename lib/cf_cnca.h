/*  =========================================================================
    cf_cnca - the rows of the regulator's monthly report (CNCA)

    Every audit plan, audit result, certificate issued and certificate
    status change is reportable (DOMAIN section 5). A row belongs to the
    month (China Standard Time) of the daemon's instant when its event was
    recorded, so a record changed after a month's report was made is a new
    row of the next month. Pure: it reads an event with its case, its
    certificate and the staff records, and writes CSV.
    =========================================================================
*/

#ifndef CF_CNCA_H_INCLUDED
#define CF_CNCA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"

//  The row kinds, also the report's file names
#define CF_CNCA_PLAN        "plan"
#define CF_CNCA_RESULT      "result"
#define CF_CNCA_CERTIFICATE "certificate"
#define CF_CNCA_CHANGE      "change"

//  Number of row kinds
#define CF_CNCA_KINDS 4

//  Longest staff registration number, bytes
#define CF_CNCA_REGISTRATION_MAX 40

//  Checks a staff registration number (CCAA 注册证书号, e.g.
//  "2021-N1SCS-1234567"): empty (none on record), or 1 to
//  CF_CNCA_REGISTRATION_MAX letters, digits, '-' and '/', beginning with a
//  letter or digit. Returns 0, or CF_EINVAL.
int CF_MUST_CHECK cf_cnca_check_registration (const char *text);

//  Returns kind index (0 .. CF_CNCA_KINDS-1) as its name, NULL past them.
const char *cf_cnca_kind_name (size_t index);

//  Parses month "YYYY-MM" (year 1900 to 9999) into the instants it spans
//  in China Standard Time: *start its first millisecond, *end the first
//  of the next month. Returns 0, or CF_EINVAL for any other text.
int CF_MUST_CHECK cf_cnca_month (const char *text, int64_t *start,
                                 int64_t *end);

//  Writes the month of instant ms (China Standard Time) as "YYYY-MM" into
//  buffer (at least 8 bytes). Returns buffer.
char *cf_cnca_month_of (int64_t ms, char *buffer);

//  The kind of row event makes: CF_CNCA_PLAN for audit_planned,
//  CF_CNCA_RESULT for scores_submitted and fixes_accepted (a rescored
//  audit), CF_CNCA_CHANGE for a certificate event that changed its status,
//  CF_CNCA_CERTIFICATE for certificate_issued; NULL for a refused attempt
//  and every other event. A reissue's certificate_superseded is a change
//  and, for its successor, a certificate too: see cf_cnca_row.
const char *cf_cnca_kind (const Cf__Event *event);

//  What a row is made from (all borrowed)
typedef struct {
    const Cf__Case *record;              //  The event's case
    const Cf__Certificate *certificate;  //  certificate: the one issued;
                                         //  change: the one changed; may be
                                         //  NULL for plans and results
    const cf_scheme_t *scheme;           //  The case's scheme: scores a sheet,
                                         //  the default suspension period
    const Cf__ScoreSheet *sheet;         //  result of scores_submitted (which
                                         //  carries no sheet): the sheet filed
                                         //  before it; else NULL
    bool changed;                        //  The case had a row of this kind
                                         //  before (a re-plan, a rescoring)
    Cf__Staff *const *staff;             //  Every staff record, for names and
    size_t staff_count;                  //  registration numbers
} cf_cnca_sources_t;

//  Makes the row of kind for event from what sources hold, a new message
//  the caller frees with cf_pb_free. An auditor on a plan or a result with
//  no registration number on record is named in the row with an empty
//  registration, and added to problems (code "cnca.registration") with
//  the fix; a staff id with no record at all, the same ("cnca.staff").
//  Returns NULL when the kind needs a certificate and sources has none.
Cf__ReportRow *cf_cnca_row (const char *kind, const Cf__Event *event,
                            const cf_cnca_sources_t *sources,
                            cf_problems_t *problems);

//  Writes text as one CSV field (RFC 4180) to out: quoted when it holds a
//  comma, a quote, CR, LF or begins or ends with a space, quotes doubled;
//  a field that begins with =, +, -, @, TAB or CR, which a spreadsheet
//  would run as a formula, is written after a single quote ('). NULL is
//  an empty field.
void cf_cnca_csv_field (FILE *out, const char *text);

//  Writes rows of kind (count of them, each of that kind) as CSV with a
//  header line, UTF-8, lines ending CRLF as RFC 4180 asks. Columns: see
//  the header. Returns 0, or CF_EINVAL for an unknown kind.
int CF_MUST_CHECK cf_cnca_csv (FILE *out, const char *kind,
                               Cf__ReportRow *const *rows, size_t count);

#endif
