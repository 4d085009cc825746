/*  =========================================================================
    cf_certfsm - the certificate's own state machine (DOMAIN section 5,
    ISO/IEC 17065 7.9-7.11)

    After issuance a certificate lives its own life: it is suspended on a
    confirmed trigger and restored once the cause is cleared, withdrawn
    (撤销) by decision or when a suspension runs out, cancelled (注销) at
    the holder's request, and it expires at the end of its expiry day. The
    table in cf_certfsm.c is that life: a row {from, event, roles, guards,
    actions, next} says who may decide what in which status, what must
    hold and what is recorded.

    Who decides: suspension, restoration and withdrawal are certification
    decisions, so an administrator of the certification body or a member
    of its decision committee takes them (the committee decides the grant,
    and ISO/IEC 17065 7.11 gives changes to certification to the same
    competence); the holder (an applicant of the certificate's
    organization) or an administrator cancels; the daemon's own timers
    expire a certificate and withdraw one whose suspension ran out.

    Like cf_fsm, the module is pure: it changes a certificate record in
    memory and says what happened; storing it and logging the event are
    the caller's.
    =========================================================================
*/

#ifndef CF_CERTFSM_H_INCLUDED
#define CF_CERTFSM_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "certflow.pb-c.h"
#include "cf_date.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"

//  The outcomes a surveillance visit records (Visit.outcome)
#define CF_VISIT_OPEN          "open"
#define CF_VISIT_MAINTAINED    "maintained"
#define CF_VISIT_GRADE_CHANGED "grade_changed"
#define CF_VISIT_FAILED        "failed"

// clang-format off
//  X (suffix, name, what it means)
#define CF_CERTFSM_EVENT_MAP(X)                                                               \
    X (SUSPENDED,  "certificate_suspended",  "suspended on a confirmed trigger")              \
    X (RESTORED,   "certificate_restored",   "the cause was cleared: valid again")            \
    X (WITHDRAWN,  "certificate_withdrawn",  "withdrawn (撤销) by decision")                  \
    X (LAPSED,     "suspension_lapsed",      "the suspension ran out uncleared: withdrawn")   \
    X (CANCELLED,  "certificate_cancelled",  "cancelled (注销) at the holder's request")      \
    X (EXPIRED,    "certificate_expired",    "its validity ran out")                          \
    X (SUPERSEDED, "certificate_superseded", "a reissued certificate replaces it")            \
    X (VISIT_MISSED, "surveillance_missed",  "a visit was not completed in time: suspended")  \
    X (VISIT_PASSED, "surveillance_passed",  "a visit maintained it (and lifts its suspension)") \
    X (VISIT_FAILED, "surveillance_failed",  "a visit found it wanting: suspended")       \
    X (VISIT_DUE,    "surveillance_due",     "a reminder: the next visit falls due")        \
    X (RENEWAL_DUE,  "renewal_due",          "a reminder: its renewal may be applied for")

//  X (suffix, name) of the triggers of a suspension
#define CF_CERTFSM_TRIGGER_MAP(X)                        \
    X (MISSED_SURVEILLANCE,  "missed_surveillance")      \
    X (SURVEILLANCE_FINDING, "surveillance_finding")     \
    X (HOLDER_REQUEST,       "holder_request")           \
    X (MISUSE,               "misuse")                   \
    X (UNPAID_FEES,          "unpaid_fees")
// clang-format on

//  The certificate events; each value's meaning is its row of the map
typedef enum {
#define CF_CERTFSM_EVENT_ENUM(suffix, name, text) CF_CERT_EVENT_##suffix,
    CF_CERTFSM_EVENT_MAP (CF_CERTFSM_EVENT_ENUM)
#undef CF_CERTFSM_EVENT_ENUM
} cf_cert_event_t;

#define CF_CERTFSM_PLUS_ONE(...) +1
//  Number of certificate events
#define CF_CERT_EVENT_COUNT (0 CF_CERTFSM_EVENT_MAP (CF_CERTFSM_PLUS_ONE))

//  One row of the table (guards and actions are private to cf_certfsm.c)
typedef struct _cf_certfsm_row_t cf_certfsm_row_t;

//  What a fire needs besides the certificate
typedef struct {
    const cf_scheme_t *scheme;            //  Governs the certificate
    const Cf__Principal *principal;       //  Who decides (transport-proved)
    const char *org;                      //  The certificate's organization
                                          //  (its case's), for the holder
    const Cf__CertificateChange *change;  //  Reason and terms; may be NULL
    int64_t now;                          //  The daemon's instant
} cf_certfsm_input_t;

//  Returns the event's name, "?" outside the map.
const char *cf_certfsm_event_name (cf_cert_event_t event);

//  Sets *event for a name; returns 0, or CF_EINVAL for NULL or unknown.
int CF_MUST_CHECK cf_certfsm_event_from_name (const char *name,
                                              cf_cert_event_t *event);

//  Returns the status name ("valid", "suspended", ...), "?" outside.
const char *cf_certfsm_status_name (Cf__CertStatus status);

//  Returns true for a status nothing leaves (withdrawn, cancelled,
//  expired, superseded).
bool cf_certfsm_status_final (Cf__CertStatus status);

//  Returns the union of the roles (CF_ROLE_BIT of cf_fsm) that may fire
//  event in status; 0 when the status has no row for it.
uint32_t cf_certfsm_roles_for (Cf__CertStatus status, cf_cert_event_t event);

//  Prints the table as a Graphviz digraph, as cf_fsm_dot does.
void cf_certfsm_dot (FILE *out);

//  Fires event on the certificate *cert_p (a heap tree). The row for
//  (status, event) whose roles include the principal's is tried; when its
//  guards hold, the actions run on a copy, the status becomes the row's
//  next, status_date and status_reason are recorded, and *cert_p is
//  replaced by the copy. Returns 0, or with *cert_p untouched:
//    CF_ENOTRANSITION  no row for (status, event) ("certfsm.transition")
//    CF_EFORBIDDEN     the role may not fire it ("certfsm.role"), or an
//                      applicant acts on another organization's certificate
//                      ("certfsm.org")
//    CF_EGUARD         a guard refused; problems say which rule and why
//  to_p, when not NULL, gets the status after. problems may be NULL.
int CF_MUST_CHECK cf_certfsm_fire (Cf__Certificate **cert_p,
                                   cf_cert_event_t event,
                                   const cf_certfsm_input_t *input,
                                   Cf__CertStatus *to_p,
                                   cf_problems_t *problems);

//  The instant the certificate's own timer is due: while valid, the first
//  of its reminders still to give, the end of the next visit's due date
//  plus the scheme's grace, and the end of its expiry day (China time);
//  while suspended, the end of the suspension's last day; 0 when final or
//  the dates cannot be read.
int64_t cf_certfsm_due (const Cf__Certificate *cert, const cf_scheme_t *scheme);

//  The timer's event for cert at instant now (CF_CERT_EVENT_VISIT_DUE,
//  _RENEWAL_DUE, _VISIT_MISSED, _EXPIRED, _SUPERSEDED or _LAPSED); -1 when
//  nothing is due. The reminders come at the start of the day the scheme's
//  reminder_days before a visit's due date, and of the first day its
//  renewal may be applied for.
int cf_certfsm_due_event (const Cf__Certificate *cert,
                          const cf_scheme_t *scheme, int64_t now);

//  Returns the visit the certificate's timer waits on (the first neither
//  passed nor missed) and sets *index (when not NULL) to it, or NULL.
const Cf__Visit *cf_certfsm_visit_awaited (const Cf__Certificate *cert,
                                           size_t *index);

//  Returns true when cert carries a suspension that surveillance caused
//  (a missed visit or a visit's finding): a passed visit lifts it.
bool cf_certfsm_suspended_by_surveillance (const Cf__Certificate *cert);

//  The visit the next surveillance would make: the first not yet passed.
//  Returns 0 and sets *index (when not NULL), or CF_EGUARD with a problem
//  when the certificate is final, has no visit left, or one is open.
int CF_MUST_CHECK cf_certfsm_visit_to_make (const Cf__Certificate *cert,
                                            size_t *index,
                                            cf_problems_t *problems);

#endif
