/*  =========================================================================
    cf_sla - the service level of a case (DOMAIN section 6)

    The processing cycle runs from acceptance (intake passed) to the
    committee's decision, minus the time the case waited on the applicant
    (a supplement, the signature, a rectification), in calendar days; the
    scheme's service_level_days is the target. Pure: it reads a case and
    its history.
    =========================================================================
*/

#ifndef CF_SLA_H_INCLUDED
#define CF_SLA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_fsm.h"

//  Milliseconds in a day
#define CF_SLA_DAY_MS (24LL * 3600 * 1000)

//  One case measured
typedef struct {
    int64_t gross_ms;                  //  Acceptance to decision
    int64_t waiting_ms;                //  Of which on the applicant
    int64_t net_ms;                    //  gross - waiting
    int64_t state_ms[CF_STATE_COUNT];  //  Time in each state between them
    double net_days;                   //  net_ms in days
    bool breach;                       //  net_days over the target
} cf_sla_t;

//  Measures record with its history (count events in sequence order, the
//  refused ones skipped) against target_days. Returns 0, or CF_EINVAL for
//  a case not yet accepted and decided.
int CF_MUST_CHECK cf_sla_measure (const Cf__Case *record,
                                  Cf__Event *const *events, size_t count,
                                  int target_days, cf_sla_t *sla);

#endif
