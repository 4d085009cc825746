/*  =========================================================================
    cf_case - questions about a case record that several rules ask
    =========================================================================
*/

#include "cf_case.h"

#include <string.h>

static bool
s_listed (char **items, size_t count, const char *value)
{
    for (size_t index = 0; index < count; index++)
        if (items[index] && strcmp (items[index], value) == 0)
            return true;
    return false;
}

bool
cf_case_involved (const Cf__Case *record, const char *staff_id)
{
    if (!record || !staff_id || !*staff_id)
        return false;
    const Cf__AuditPlan *plan = record->plan;
    if (plan && ((plan->leader && strcmp (plan->leader, staff_id) == 0) ||
                 s_listed (plan->members, plan->n_members, staff_id)))
        return true;
    if (record->verifier && strcmp (record->verifier, staff_id) == 0)
        return true;
    return s_listed (record->reviewers, record->n_reviewers, staff_id);
}

bool
cf_case_has_voted (const Cf__Committee *committee, const char *member)
{
    if (!committee || !member)
        return false;
    for (size_t index = 0; index < committee->n_ballots; index++)
        if (strcmp (committee->ballots[index]->member, member) == 0)
            return true;
    return false;
}

cf_tally_t
cf_case_tally (const Cf__Committee *committee, int size, int *grant,
               int *refuse)
{
    int grants = 0, refusals = 0;
    if (committee)
        for (size_t index = 0; index < committee->n_ballots; index++) {
            const Cf__Ballot *ballot = committee->ballots[index];
            if (!s_listed (committee->members, committee->n_members,
                           ballot->member))
                continue;
            //  A member's first ballot is the one that counts
            bool repeated = false;
            for (size_t earlier = 0; earlier < index; earlier++)
                if (strcmp (committee->ballots[earlier]->member,
                            ballot->member) == 0)
                    repeated = true;
            if (repeated)
                continue;
            if (ballot->vote == CF__VOTE__VOTE_GRANT)
                grants++;
            else if (ballot->vote == CF__VOTE__VOTE_REFUSE)
                refusals++;
        }
    if (grant)
        *grant = grants;
    if (refuse)
        *refuse = refusals;
    int majority = size / 2 + 1;
    if (size <= 0)
        return CF_TALLY_PENDING;
    if (grants >= majority)
        return CF_TALLY_GRANT;
    if (refusals >= majority || grants + refusals >= size)
        return CF_TALLY_REFUSE;
    return CF_TALLY_PENDING;
}

uint32_t
cf_case_open_nonconformities (const Cf__ScoreSheet *sheet)
{
    uint32_t open = 0;
    if (sheet)
        for (size_t index = 0; index < sheet->n_nonconformities; index++)
            if (!sheet->nonconformities[index]->closed)
                open++;
    return open;
}
