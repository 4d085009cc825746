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
//  for 0 (not set). Returns buffer.
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

//  Returns the lower-case word of a certificate status: "valid",
//  "suspended", "withdrawn", "cancelled", "expired", "superseded", or
//  "unknown".
const char *cf_show_cert_status (Cf__CertStatus status);

#endif
