/*  =========================================================================
    cf_case - questions about a case record that several rules ask

    Pure functions over the protobuf case record: who was involved in the
    evaluation (the impartiality rules keep them off the committee), how the
    committee's votes stand, and what is still open on a score sheet.
    =========================================================================
*/

#ifndef CF_CASE_H_INCLUDED
#define CF_CASE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "certflow.pb-c.h"

//  How the committee's votes stand
typedef enum {
    CF_TALLY_PENDING,  //  No majority yet, votes outstanding
    CF_TALLY_GRANT,    //  A majority voted to grant
    CF_TALLY_REFUSE    //  A majority refused, or all voted and
                       //  no majority granted (a tie refuses)
} cf_tally_t;

//  Returns true when staff_id took part in evaluating the case: on the audit
//  team (leader or member), the verifier of the fixes, or a document
//  reviewer. ISO/IEC 17065 7.5 and 7.6 keep such people off the review and
//  the decision. Empty or NULL staff_id is never involved.
bool cf_case_involved (const Cf__Case *record, const char *staff_id);

//  Counts the ballots of committee against a committee of size members (a
//  majority is size / 2 + 1). Only ballots of listed members count, each
//  member once. grant and refuse, when not NULL, get the counts.
cf_tally_t cf_case_tally (const Cf__Committee *committee, int size, int *grant,
                          int *refuse);

//  Returns the number of nonconformities on sheet that are not closed.
//  NULL sheet has none.
uint32_t cf_case_open_nonconformities (const Cf__ScoreSheet *sheet);

//  Returns true when member has a ballot on committee.
bool cf_case_has_voted (const Cf__Committee *committee, const char *member);

#endif
