/*  Unit tests for cf_sla: a case worked by hand, with a supplement loop
    after acceptance, the wait for the signature and a rectification. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cf_date.h"
#include "cf_pb.h"
#include "cf_sla.h"

#define S_HOUR (3600LL * 1000)
#define S_DAY  (24 * S_HOUR)

//  The history, hours after acceptance (T0): event, from state
static const struct {
    double hours;
    const char *event;
    Cf__State from;
} s_steps[] = {
    {-2, "submit", CF__STATE__STATE_UNSPECIFIED},
    {0, "intake_passed", CF__STATE__STATE_SUBMITTED},
    {24, "docs_deficient", CF__STATE__STATE_DOCUMENT_REVIEW},
    {96, "supplemented", CF__STATE__STATE_SUPPLEMENT_REQUESTED},  //  72 h wait
    {97, "intake_passed", CF__STATE__STATE_SUBMITTED},
    {120, "docs_accepted", CF__STATE__STATE_DOCUMENT_REVIEW},
    {121, "contract_issued", CF__STATE__STATE_CONTRACT_PENDING},
    {168, "contract_signed", CF__STATE__STATE_CONTRACT_PENDING},  //  47 h wait
    {169, "audit_planned", CF__STATE__STATE_AUDIT_PLANNING},
    {240, "sheet_submitted", CF__STATE__STATE_ONSITE_AUDIT},
    {241, "scores_submitted", CF__STATE__STATE_ONSITE_AUDIT},
    {336, "fixes_submitted", CF__STATE__STATE_RECTIFICATION},  //  95 h wait
    {360, "fixes_accepted", CF__STATE__STATE_VERIFICATION},
    {361, "committee_formed", CF__STATE__STATE_COMMITTEE_REVIEW},
    {384, "majority_grant", CF__STATE__STATE_COMMITTEE_REVIEW},
    {390, "certificate_issued", CF__STATE__STATE_ISSUANCE},
};
#define S_STEPS (sizeof s_steps / sizeof s_steps[0])

static void
test_a_hand_worked_case (void **state)
{
    (void)state;
    int64_t t0 = cf_date_to_ms (cf_date_from_ymd (2026, 12, 1)) + 10 * S_HOUR;
    Cf__Event *events[S_STEPS + 1];
    Cf__Event storage[S_STEPS];
    for (size_t index = 0; index < S_STEPS; index++) {
        storage[index] = (Cf__Event)CF__EVENT__INIT;
        storage[index].seq = index + 1;
        storage[index].event = (char *)s_steps[index].event;
        storage[index].from = s_steps[index].from;
        storage[index].at = t0 + (int64_t)(s_steps[index].hours * S_HOUR);
    }
    //  A refused attempt, recorded among them, changes nothing
    Cf__Event refused = storage[7];
    refused.refused = "CF_EGUARD: no";
    refused.from = CF__STATE__STATE_ONSITE_AUDIT;
    refused.at = t0 + 150 * S_HOUR;
    for (size_t index = 0, at = 0; index < S_STEPS; index++) {
        if (index == 7)
            events[at++] = &refused;
        events[at++] = &storage[index];
    }
    Cf__Case record = CF__CASE__INIT;
    record.accepted_at = t0;
    record.waiting_at_acceptance = 0;
    record.waiting_ms = (72 + 47 + 95) * S_HOUR;
    record.decided_at = t0 + 384 * S_HOUR;
    cf_sla_t sla;
    assert_int_equal (cf_sla_measure (&record, events, S_STEPS + 1, 15, &sla),
                      0);
    assert_int_equal (sla.gross_ms, 384 * S_HOUR);
    assert_int_equal (sla.waiting_ms, 214 * S_HOUR);
    assert_int_equal (sla.net_ms, 170 * S_HOUR);
    assert_true (sla.net_days > 7.08 && sla.net_days < 7.09);
    assert_false (sla.breach);
    //  Time per state between acceptance and decision
    assert_int_equal (sla.state_ms[CF__STATE__STATE_DOCUMENT_REVIEW],
                      (24 + 23) * S_HOUR);
    assert_int_equal (sla.state_ms[CF__STATE__STATE_SUPPLEMENT_REQUESTED],
                      72 * S_HOUR);
    assert_int_equal (sla.state_ms[CF__STATE__STATE_CONTRACT_PENDING],
                      48 * S_HOUR);
    assert_int_equal (sla.state_ms[CF__STATE__STATE_RECTIFICATION],
                      95 * S_HOUR);
    assert_int_equal (sla.state_ms[CF__STATE__STATE_COMMITTEE_REVIEW],
                      24 * S_HOUR);
    assert_int_equal (sla.state_ms[CF__STATE__STATE_ISSUANCE], 0);
    int64_t total = 0;
    for (int index = 0; index < CF_STATE_COUNT; index++)
        total += sla.state_ms[index];
    assert_int_equal (total, sla.gross_ms);
    //  Over a 7-day target it is a breach
    assert_int_equal (cf_sla_measure (&record, events, S_STEPS + 1, 7, &sla),
                      0);
    assert_true (sla.breach);
    //  Waits before acceptance do not count
    record.waiting_at_acceptance = 5 * S_DAY;
    record.waiting_ms += 5 * S_DAY;
    assert_int_equal (cf_sla_measure (&record, events, S_STEPS + 1, 15, &sla),
                      0);
    assert_int_equal (sla.net_ms, 170 * S_HOUR);
    //  Not decided, or never accepted: nothing to measure
    record.decided_at = 0;
    assert_int_equal (cf_sla_measure (&record, events, S_STEPS + 1, 15, &sla),
                      CF_EINVAL);
    record.decided_at = t0 + 384 * S_HOUR;
    record.accepted_at = 0;
    assert_int_equal (cf_sla_measure (&record, events, S_STEPS + 1, 15, &sla),
                      CF_EINVAL);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_hand_worked_case),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
