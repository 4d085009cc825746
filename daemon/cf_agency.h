/*  =========================================================================
    cf_agency - organizations and the appointments of consultancies

    A company (identified by its unified social credit code) is the
    applicant in law: it signs the contract and holds the certificate. A
    consultancy acts for the companies that appointed it: an administrator
    records that consultancy C acts for company X from a date, for some
    acts, until the appointment is ended. An applicant principal's org names
    its organization; an org never recorded is a company whose own users
    those principals are (so stores and identities from before
    consultancies keep their meaning).

    The acts an appointment grants:
        submit      submit applications for the company and follow its cases
        respond     answer supplement requests and rectifications
        withdraw    withdraw the company's applications
    Any running appointment lets the consultancy read the company's cases
    and certificates. An appointment runs from its first day (the daemon's
    clock, China Standard Time) until it is ended; ending takes effect at
    once and is kept with who ended it, when and why.

    The agency belongs to the engine's round: what the round adds or ends is
    kept here until the round commits or is dropped, and every query sees
    the store with the round's changes over it.

    Note: single-threaded; the agency borrows the store.
    =========================================================================
*/

#ifndef CF_AGENCY_H_INCLUDED
#define CF_AGENCY_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_store.h"

//  The acts of an appointment, by name
#define CF_ACT_SUBMIT   "submit"
#define CF_ACT_RESPOND  "respond"
#define CF_ACT_WITHDRAW "withdraw"

//  Longest reference or reason an appointment keeps, bytes
#define CF_AGENCY_TEXT_MAX 1024

typedef struct _cf_agency_t cf_agency_t;

//  Creates an agency over store (borrowed for its life). Aborts on out of
//  memory.
cf_agency_t *cf_agency_new (cf_store_t *store);

//  Destroys the agency and nulls *self_p. NULL-safe and idempotent.
void cf_agency_destroy (cf_agency_t **self_p);

//  Forgets the round's changes (the round committed, failed or was
//  dropped: from now on the store is the truth).
void cf_agency_drop (cf_agency_t *self);

//  Records the appointment asked for (consultancy, company, uscc, from,
//  acts, reference; the other fields are ignored) by who at instant now, in
//  batch. from empty means today; acts empty means every act; uscc may be
//  empty once the company is recorded. The consultancy and the company are
//  recorded as organizations of their kind the first time.
//  On 0, *appointment_p gets a copy of the stored appointment (the caller
//  frees it). Returns 0, CF_EINVAL (a field is missing or wrong), CF_ELIMIT
//  (a text too long), CF_EGUARD (an organization is of the other kind, the
//  credit code is another than the company's, or the consultancy already
//  acts for the company or for another company with that code) or a store
//  error. problems say what was wrong and how to put it right.
CF_MUST_CHECK int cf_agency_add (cf_agency_t *self, cf_batch_t *batch,
                                 const Cf__Principal *who, int64_t now,
                                 const Cf__Appointment *asked,
                                 Cf__Appointment **appointment_p,
                                 cf_problems_t *problems);

//  Ends the running appointment of end->consultancy for end->company, by
//  who at now, with end->reason (required), in batch. On 0,
//  *appointment_p gets a copy of the ended appointment. Returns 0,
//  CF_EINVAL, CF_ELIMIT, CF_ENOTFOUND (no running appointment) or a store
//  error.
CF_MUST_CHECK int cf_agency_end (cf_agency_t *self, cf_batch_t *batch,
                                 const Cf__Principal *who, int64_t now,
                                 const Cf__AppointmentEnd *end,
                                 Cf__Appointment **appointment_p,
                                 cf_problems_t *problems);

//  Lists the appointments query asks for into *list_p (a new list the
//  caller frees), ordered by consultancy, company and id; ended ones only
//  with query->ended. Returns 0 or a store error.
CF_MUST_CHECK int cf_agency_list (cf_agency_t *self,
                                  const Cf__AppointmentQuery *query,
                                  Cf__AppointmentList **list_p);

//  Returns the recorded kind of organization org:
//  CF__ORG_KIND__ORG_KIND_UNSPECIFIED when never recorded (a company's own
//  users), or when it cannot be read (logged).
Cf__OrgKind cf_agency_kind (cf_agency_t *self, const char *org);

//  True when consultancy acts for company at instant now: an appointment
//  runs that grants act (NULL: any act, which lets it read).
bool cf_agency_acts (cf_agency_t *self, const char *consultancy,
                     const char *company, const char *act, int64_t now);

//  The companies consultancy acts for at now (any act), sorted, without
//  repeats: a new array of *count new strings (free it with
//  cf_store_keys_free). Returns 0 or a store error.
CF_MUST_CHECK int cf_agency_clients (cf_agency_t *self, const char *consultancy,
                                     int64_t now, char ***companies,
                                     size_t *count);

//  Sets *company_p (a new string) to the company with credit code uscc for
//  which consultancy may submit at now. Returns 0, CF_ENOTFOUND (no such
//  running appointment) or a store error.
CF_MUST_CHECK int cf_agency_company_for (cf_agency_t *self,
                                         const char *consultancy,
                                         const char *uscc, int64_t now,
                                         char **company_p);

//  True when name is one of the acts.
bool cf_agency_act_valid (const char *name);

#endif
