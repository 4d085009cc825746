/*  =========================================================================
    seeds - writes the engine target's seed scripts

    Usage: fuzz-seeds DIR    (writes one NAME.script file per seed into DIR)

    The scripts play the examples through the engine the way people and
    workers would: the whole case to a certificate, the supplement loop,
    an ineligible company, a withdrawal, a deadline that passes, a worker
    that dies holding a job, a competitor reading another organization's
    case, requests repeated with their ids, and restarts in the middle.
    scripts/fuzz.sh --seeds runs them through fuzz_engine to collect the
    frames (requests, replies, offers, results) that seed the other
    targets.
    =========================================================================
*/

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_fsm.h"
#include "fuzz_engine.h"

typedef struct {
    uint8_t bytes[4096];  //  The script
    size_t size;          //  Its length
} s_script_t;

static void
s_put (s_script_t *self, int count, ...)
{
    va_list args;
    va_start (args, count);
    for (int index = 0; index < count; index++) {
        if (self->size == sizeof self->bytes) {
            fprintf (stderr, "fuzz-seeds: a script is over %zu bytes\n",
                     sizeof self->bytes);
            exit (1);
        }
        self->bytes[self->size++] = (uint8_t)va_arg (args, int);
    }
    va_end (args);
}

static void
s_round (s_script_t *self)
{
    s_put (self, 1, FUZZ_OP_ROUND);
}

static void
s_request (s_script_t *self, fuzz_who_t who, fuzz_kind_t kind, int argument,
           int id)
{
    //  Case 0: the first case the script made
    s_put (self, 6, FUZZ_OP_REQUEST, who, kind, 0, argument, id);
    s_round (self);
}

static void
s_fire (s_script_t *self, fuzz_who_t who, cf_event_t event, int bits)
{
    s_request (self, who, FUZZ_KIND_FIRE, (int)event | bits, 0);
}

static void
s_work (s_script_t *self, int flags)
{
    //  Stage selector 7: any stage
    s_put (self, 4, FUZZ_OP_WORK, 7, flags, 0);
    s_round (self);
}

static void
s_tick_days (s_script_t *self, int days)
{
    int minutes = days * 24 * 60;
    s_put (self, 3, FUZZ_OP_TICK, minutes >> 8 & 0xFF, minutes & 0xFF);
}

static void
s_staff (s_script_t *self)
{
    for (int index = 0; index < 9; index++)
        s_request (self, FUZZ_WHO_ADMIN, FUZZ_KIND_STAFF_PUT, index, 0);
}

//  Every auditor tries: only the team leader (or verifier) is let through
static void
s_auditors (s_script_t *self, cf_event_t event, int bits)
{
    for (int who = FUZZ_WHO_AUD001; who <= FUZZ_WHO_AUD004; who++)
        s_fire (self, (fuzz_who_t)who, event, bits);
}

static void
s_reads (s_script_t *self, fuzz_who_t who)
{
    s_request (self, who, FUZZ_KIND_STATUS, 0, 0);
    s_request (self, who, FUZZ_KIND_HISTORY, 0, 0);
    s_request (self, who, FUZZ_KIND_EVENTS, 0, 0);
    s_request (self, who, FUZZ_KIND_LIST, 0, 0);
}

//  From a submitted example to a certified case
static void
s_to_certified (s_script_t *self, int votes)
{
    s_work (self, 0);  //  intake
    s_work (self, 0);  //  review
    s_work (self, 0);  //  contract
    s_fire (self, FUZZ_WHO_APPLICANT_A, CF_EVENT_CONTRACT_SIGNED, 0);
    s_work (self, 0);        //  planning
    s_tick_days (self, 16);  //  the audit takes place
    s_request (self, FUZZ_WHO_AUD001, FUZZ_KIND_STATUS, 0, 0);
    s_auditors (self, CF_EVENT_SHEET_SUBMITTED, 0);
    s_work (self, 0);  //  scoring
    s_fire (self, FUZZ_WHO_APPLICANT_A, CF_EVENT_FIXES_SUBMITTED, 0);
    s_auditors (self, CF_EVENT_FIXES_ACCEPTED, 0);
    s_work (self, 0);  //  committee formed
    for (int who = FUZZ_WHO_COM001; who <= FUZZ_WHO_COM004; who++) {
        s_fire (self, (fuzz_who_t)who, CF_EVENT_VOTE, votes);
        s_work (self, 0);  //  the votes counted
    }
    s_work (self, 0);  //  issuance
    s_request (self, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_STATUS, 0, 0);
    s_request (self, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_CERTIFICATE, 0, 0);
    s_request (self, FUZZ_WHO_APPLICANT_B, FUZZ_KIND_CERTIFICATE, 0, 0);
}

static void
s_write (const char *dir, const char *name, const s_script_t *script)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s.script", dir, name);
    FILE *file = fopen (path, "wb");
    if (!file ||
        fwrite (script->bytes, 1, script->size, file) != script->size ||
        fclose (file) != 0) {
        fprintf (stderr, "fuzz-seeds: cannot write %s\n", path);
        exit (1);
    }
}

int
main (int argc, char **argv)
{
    if (argc != 2 || strcmp (argv[1], "--help") == 0) {
        fprintf (argc == 2 ? stdout : stderr,
                 "usage: fuzz-seeds DIR\nwrites the seed scripts of "
                 "fuzz_engine into DIR\n");
        return argc == 2 ? 0 : 2;
    }
    const char *dir = argv[1];
    s_script_t script;

    //  The whole case, as the demo plays it, read by everyone at the end
    memset (&script, 0, sizeof script);
    s_staff (&script);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 0, 0);
    s_to_certified (&script, 0);
    for (int who = 0; who < FUZZ_WHO_COUNT; who++)
        s_reads (&script, (fuzz_who_t)who);
    s_request (&script, FUZZ_WHO_ADMIN, FUZZ_KIND_STAFF_LIST, 0, 0);
    s_write (dir, "certified", &script);

    //  The same with a restart after every step and the committee refusing
    memset (&script, 0, sizeof script);
    s_staff (&script);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 0, 0);
    s_put (&script, 1, FUZZ_OP_RESTART);
    s_to_certified (&script, 0x80);
    s_put (&script, 1, FUZZ_OP_RESTART);
    s_reads (&script, FUZZ_WHO_APPLICANT_A);
    s_write (dir, "refused", &script);

    //  Materials missing: asked for, supplied, then the rest of the case
    memset (&script, 0, sizeof script);
    s_staff (&script);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 1, 0);
    s_work (&script, 0);
    s_fire (&script, FUZZ_WHO_APPLICANT_A, CF_EVENT_SUPPLEMENTED, 0);
    s_to_certified (&script, 0);
    s_write (dir, "supplement", &script);

    //  Not eligible; a second case withdrawn; a third left to its deadline
    memset (&script, 0, sizeof script);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 2, 0);
    s_work (&script, 0);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 0, 0);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 1, 0);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_LIST, 0, 0);
    s_put (&script, 6, FUZZ_OP_REQUEST, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_FIRE, 1,
           CF_EVENT_WITHDRAW, 0);
    s_work (&script, 0);
    s_work (&script, 0);
    s_tick_days (&script, 31);
    s_tick_days (&script, 1);
    s_reads (&script, FUZZ_WHO_MONITOR);
    s_write (dir, "endings", &script);

    //  A worker that dies holding each job: leases run out, back off, park;
    //  the admin lists and retries them
    memset (&script, 0, sizeof script);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 0, 0);
    for (int attempt = 0; attempt < 3; attempt++) {
        s_put (&script, 2, FUZZ_OP_LEASE, 7);
        s_put (&script, 3, FUZZ_OP_TICK, 0, 2);
    }
    s_request (&script, FUZZ_WHO_ADMIN, FUZZ_KIND_INCIDENTS, 0, 0);
    s_request (&script, FUZZ_WHO_ADMIN, FUZZ_KIND_RETRY, 1, 0);
    s_work (&script, FUZZ_WORK_STALE);
    s_work (&script, FUZZ_WORK_ERROR);
    s_put (&script, 3, FUZZ_OP_TICK, 0, 1);
    s_work (&script, FUZZ_WORK_LATE);
    s_put (&script, 3, FUZZ_OP_TICK, 0, 5);
    s_work (&script, FUZZ_WORK_EVENT);
    s_work (&script, 0);
    s_write (dir, "leases", &script);

    //  The other organization, the worker and the monitor try the
    //  applicant's case; repeated ids, one with another body; identities
    memset (&script, 0, sizeof script);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 0, 7);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 0, 7);
    s_request (&script, FUZZ_WHO_APPLICANT_A, FUZZ_KIND_SUBMIT, 1, 7);
    s_reads (&script, FUZZ_WHO_APPLICANT_B);
    s_fire (&script, FUZZ_WHO_APPLICANT_B, CF_EVENT_WITHDRAW, 0);
    s_fire (&script, FUZZ_WHO_WORKER, CF_EVENT_INTAKE_PASSED, 0);
    s_fire (&script, FUZZ_WHO_MONITOR, CF_EVENT_WITHDRAW, 0);
    s_request (&script, FUZZ_WHO_ADMIN, FUZZ_KIND_ISSUE, 0x10, 0);
    s_request (&script, FUZZ_WHO_ADMIN, FUZZ_KIND_ISSUE, 0x01, 0);
    s_request (&script, FUZZ_WHO_MONITOR, FUZZ_KIND_ISSUE, 0x22, 0);
    s_request (&script, FUZZ_WHO_WORKER, FUZZ_KIND_WHOAMI, 0, 0);
    s_request (&script, FUZZ_WHO_REV001, FUZZ_KIND_PING, 0, 0);
    s_write (dir, "hostile", &script);
    return 0;
}
