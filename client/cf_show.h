/*  =========================================================================
    cf_show - case records, events, jobs and staff as people read them

    The human-readable side of certflow's output. Instants print in China
    time (UTC+8, where the certification body works) as
    "2026-06-01 10:00+08:00"; states with their Chinese label. Text from the
    daemon is printed with control characters replaced by spaces, so a
    field cannot move the cursor or forge an extra line.
    =========================================================================
*/

#ifndef CF_SHOW_H_INCLUDED
#define CF_SHOW_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "certflow.pb-c.h"
#include "cf_scheme.h"

//  Bytes cf_show_time needs, NUL included
#define CF_SHOW_TIME_SIZE 32

//  Writes the instant ms (since the epoch, UTC) as China time
//  "YYYY-MM-DD HH:MM+08:00" into buffer (CF_SHOW_TIME_SIZE bytes), or "-"
//  for 0 (not set). An instant outside the calendar's years 0 to 9999
//  (CF_DATE_MS_MIN .. CF_DATE_MS_MAX) shows as its first or last minute.
//  Returns buffer.
char *cf_show_time (int64_t ms, char *buffer);

//  Prints the whole case record, one "label  value" line per thing known:
//  state (name and Chinese label), company, dates, deadline (with how long
//  is left at now, ms since the epoch), findings, contract, team, scores
//  (grade labels from scheme, which may be NULL), committee and votes,
//  decision, certificate, closing reason.
void cf_show_case (FILE *out, const Cf__Case *record, const cf_scheme_t *scheme,
                   int64_t now);

//  Prints one line for a case in a list: id, state, label, company,
//  last update.
void cf_show_case_line (FILE *out, const Cf__Case *record);

//  Prints one line for an event: "seq time [case] event from → to
//  principal(role)", then what came with it ("— reason") and, for a
//  refused attempt, "[refused: why]". with_case adds the case id (watch).
void cf_show_event (FILE *out, const Cf__Event *event, bool with_case);

//  Prints one line for a job (incidents): id, case, stage, status,
//  attempts, last error.
void cf_show_job (FILE *out, const Cf__Job *job);

//  Prints one line for a staff record: id, name, roles, sectors,
//  qualification, conflicts, inactive.
void cf_show_staff (FILE *out, const Cf__Staff *staff);

//  Prints an appointment: "#3 consultancy CONSULT-A acts for ACME (uscc)
//  from DATE: submit, respond, withdraw", then who recorded it and when,
//  its reference, and once ended who ended it, when and why.
void cf_show_appointment (FILE *out, const Cf__Appointment *appointment);

//  Prints one score line: "label  86.9 三星级 three-star (earned 86.90 of
//  100.00 applicable, bonus +0, 0 deductions, 0 open nonconformities)",
//  the grade's label from scheme (may be NULL: its name).
void cf_show_score (FILE *out, const char *label, const Cf__ScoreResult *result,
                    const cf_scheme_t *scheme);

//  Returns how a person reads a grade: the scheme's label ("达标级
//  compliant") when scheme knows name, else name itself.
const char *cf_show_grade (const cf_scheme_t *scheme, const char *name);

//  When the star rule granted a score that reaches a star grade (scored)
//  at a grade without stars (granted), writes why into buffer: "86.9
//  reaches 三星级 three-star; granted 达标级 compliant: stars come only
//  after 12 months holding a compliant certificate (the star rule),
//  possible from 2027-12-02" -- the date is held_since (YYYY-MM-DD, when
//  the company first held a compliant certificate) plus the scheme's
//  waiting months, left out when held_since is NULL or not a date. Returns
//  true; false (buffer "") when the grade was not lowered so.
bool cf_show_star_rule (const cf_scheme_t *scheme, double score,
                        const cf_grade_t *scored, const cf_grade_t *granted,
                        const char *held_since, char *buffer, size_t size);

//  As cf_show_star_rule for a case record, with the rule the engine
//  applies (cf_score_grant_grade): the final score (rescored, else the
//  on-site one), the committee's override, the decision date, and the
//  company's first compliant date (a first certificate: the decision date).
//  Returns false before a grant is decided.
bool cf_show_case_star_rule (const cf_scheme_t *scheme, const Cf__Case *record,
                             char *buffer, size_t size);

//  Returns the lower-case word of a certificate status: "valid",
//  "suspended", "withdrawn", "cancelled", "expired", "superseded", or
//  "unknown".
const char *cf_show_cert_status (Cf__CertStatus status);

#endif
