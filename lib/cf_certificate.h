/*  =========================================================================
    cf_certificate - the certificate: issuance, validity, the document

    Pure rules of DOMAIN section 5 and ISO/IEC 17065 7.7. A certificate is
    issued for a case the committee granted, never dated before the
    decision, valid for the scheme's validity_years from its issue date, with
    a surveillance visit due every surveillance_months (at most 12) while it
    is valid. Its number is upper case letters, digits and '-' only, as CNCA
    reporting requires (no spaces, no invisible characters).
    =========================================================================
*/

#ifndef CF_CERTIFICATE_H_INCLUDED
#define CF_CERTIFICATE_H_INCLUDED

#include "certflow.pb-c.h"
#include "cf_date.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"

//  Shortest and longest certificate number
#define CF_CERTIFICATE_NUMBER_MIN 6
#define CF_CERTIFICATE_NUMBER_MAX 32

//  Longest gap between surveillance visits, in months, whatever the scheme
#define CF_CERTIFICATE_SURVEILLANCE_MAX_MONTHS 12

//  Builds the certificate numbered number for the case record, issued on
//  issue_day (a day number) at granted_grade (a grade name of the scheme).
//  Checks that the case was decided "grant" on a readable decision_date,
//  that issue_day is not before that date, that the number is 6 to 32
//  upper case letters, digits or '-', that the grade is in the scheme and
//  not above the case's score, and that the case has an application and a
//  score. The certificate takes: holder, USCC, both addresses and scope
//  from the application; the score (after rectification when rescored,
//  else the on-site one); expiry = issue + validity_years (a 29 February
//  issue expires on 28 February); the surveillance dates, issue + k ×
//  surveillance_months (capped at 12) strictly before expiry; status VALID;
//  the scheme's standard, version and issuer; and the committee's
//  star_override_reason when it granted a star grade early. On success
//  *cert_p gets a new heap Certificate (free with cf_pb_free). Returns 0,
//  or CF_EINVAL with every problem listed (codes certificate.*) and *cert_p
//  NULL. problems may be NULL.
int CF_MUST_CHECK cf_certificate_build (const cf_scheme_t *scheme,
                                        const Cf__Case *record,
                                        const char *number, cf_day_t issue_day,
                                        const char *granted_grade,
                                        Cf__Certificate **cert_p,
                                        cf_problems_t *problems);

//  Returns true when number has the certificate number form: 6 to 32
//  characters, each an upper case letter A-Z, a digit or '-'.
bool cf_certificate_number_valid (const char *number);

//  Returns the status of cert on day: a VALID certificate is valid until
//  its expiry date inclusive and EXPIRED after; any other stored status
//  (suspended, withdrawn, cancelled, superseded, expired) is returned as
//  stored. A VALID certificate whose expiry date cannot be read gives
//  CERT_STATUS_UNSPECIFIED: its validity is unknown, never assumed.
Cf__CertStatus cf_certificate_status_on (const Cf__Certificate *cert,
                                         cf_day_t day);

//  Renders cert as the document a person reads: a bordered plain-text page,
//  Chinese with English, 80 columns wide, giving the issuer, number,
//  holder, USCC, addresses, scope, standard, grade (grade_label, or the
//  scheme's label, then ★ per star), score, decision, issue and expiry
//  dates, the surveillance plan and how to check validity. Chinese
//  characters count two columns, everything else one; control characters
//  in the data print as spaces and bytes that are not UTF-8 as '?'. Long
//  values wrap. grade_label may be NULL. Returns a new string the caller
//  frees.
char *cf_certificate_render (const cf_scheme_t *scheme,
                             const Cf__Certificate *cert,
                             const char *grade_label);

//  Returns the grade named grade as a document shows it: the scheme's
//  label, then a space and ★ per star for a star grade (GB/T 27922 star
//  levels are three to five stars; the lowest star grade of the scheme has
//  three), or the name itself when the scheme has no such grade. A new
//  string the caller frees.
char *cf_certificate_grade_text (const cf_scheme_t *scheme, const char *grade);

//  Returns certificate number as people write it made canonical: spaces
//  and tabs dropped, letters in upper case (a new string the caller frees).
char *cf_certificate_normal_number (const char *number);

#endif
