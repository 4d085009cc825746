/*  =========================================================================
    cf_sla - the service level of a case
    =========================================================================
*/

#include "cf_sla.h"

#include <assert.h>
#include <string.h>

int
cf_sla_measure (const Cf__Case *record, Cf__Event *const *events, size_t count,
                int target_days, cf_sla_t *sla)
{
    assert (record && sla);
    memset (sla, 0, sizeof *sla);
    if (record->accepted_at <= 0 || record->decided_at < record->accepted_at)
        return CF_EINVAL;
    sla->gross_ms = record->decided_at - record->accepted_at;
    //  Waits after acceptance: waiting_ms only grows, and a decided case
    //  waits no more
    sla->waiting_ms = record->waiting_ms - record->waiting_at_acceptance;
    if (sla->waiting_ms < 0 || sla->waiting_ms > sla->gross_ms)
        return CF_EINVAL;
    sla->net_ms = sla->gross_ms - sla->waiting_ms;
    sla->net_days = (double)sla->net_ms / (double)CF_SLA_DAY_MS;
    sla->breach = sla->net_days > target_days;
    //  Each event ends a stay in its from state; only the part between
    //  acceptance and decision counts
    int64_t since = record->accepted_at;
    for (size_t index = 0; index < count; index++) {
        const Cf__Event *event = events[index];
        if (*event->refused || event->at <= since)
            continue;
        int64_t until =
            event->at < record->decided_at ? event->at : record->decided_at;
        if ((int)event->from >= 0 && (int)event->from < CF_STATE_COUNT &&
            until > since)
            sla->state_ms[event->from] += until - since;
        since = until;
        if (since >= record->decided_at)
            break;
    }
    return 0;
}
