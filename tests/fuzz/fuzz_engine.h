/*  =========================================================================
    fuzz_engine - the script language of the engine target

    An input of fuzz_engine is a script: one opcode byte after another, each
    followed by its operands (fuzz_util's reader: missing bytes read as 0).
    The seed program (seeds.c) writes scripts in it; the target
    (fuzz_engine.c) runs them. Everything a principal can do to the engine
    is here: raw and well-formed requests by every role, worker results
    from the real stage code, forged and repeated results, leases that are
    never reported, the clock moving on, and a restart.
    =========================================================================
*/

#ifndef FUZZ_ENGINE_H_INCLUDED
#define FUZZ_ENGINE_H_INCLUDED

typedef enum {
    FUZZ_OP_ROUND,    //  Commit the round, begin the next at the same instant
    FUZZ_OP_TICK,     //  u16 minutes: commit, move the clock, begin, tick
    FUZZ_OP_RAW,      //  principal, u16 length, bytes: a Request frame
    FUZZ_OP_REQUEST,  //  principal, kind, case, argument, id: a request
                      //  built like the client builds it
    FUZZ_OP_WORK,     //  stage, flags, argument: lease a job, commit, run
                      //  the offer through the stage code, report in a new
                      //  round (flags: FUZZ_WORK_*)
    FUZZ_OP_RESULT,   //  principal, u16 length, bytes: a WorkerMessage frame
    FUZZ_OP_RESTART,  //  Commit, close engine and store, open both again
    FUZZ_OP_LEASE,    //  stage: lease a job and never report it
    FUZZ_OP_COUNT     //  Opcodes are taken modulo this
} fuzz_op_t;

//  What FUZZ_OP_WORK does with the result besides reporting it
#define FUZZ_WORK_TWICE 0x01  //  Report it twice in the round
#define FUZZ_WORK_EVENT 0x02  //  Report the event named by the argument
#define FUZZ_WORK_STALE 0x04  //  Report it under the lease before
#define FUZZ_WORK_ERROR 0x08  //  Report a failure instead
#define FUZZ_WORK_LATE  0x10  //  Report it after the lease ran out

//  Principals (operand modulo FUZZ_WHO_COUNT)
typedef enum {
    FUZZ_WHO_APPLICANT_A,  //  Applicant of organization ORG-A
    FUZZ_WHO_APPLICANT_B,  //  Applicant of another organization
    FUZZ_WHO_REV001,       //  Reviewer (examples/staff)
    FUZZ_WHO_AUD001,       //  Auditors
    FUZZ_WHO_AUD002,
    FUZZ_WHO_AUD003,
    FUZZ_WHO_AUD004,
    FUZZ_WHO_COM001,  //  Committee members
    FUZZ_WHO_COM002,
    FUZZ_WHO_COM003,
    FUZZ_WHO_COM004,
    FUZZ_WHO_ADMIN,    //  The administrator
    FUZZ_WHO_WORKER,   //  A worker
    FUZZ_WHO_MONITOR,  //  A monitor
    FUZZ_WHO_COUNT
} fuzz_who_t;

//  Built requests (operand modulo FUZZ_KIND_COUNT)
typedef enum {
    FUZZ_KIND_PING,
    FUZZ_KIND_SUBMIT,  //  argument % 3: the example, without its
                       //  materials, from an ineligible company
    FUZZ_KIND_STATUS,
    FUZZ_KIND_LIST,
    FUZZ_KIND_HISTORY,  //  argument: after in the high four bits, limit low
    FUZZ_KIND_EVENTS,   //  argument: after
    FUZZ_KIND_FIRE,     //  argument: the event (cf_fsm order) in the low six
                        //  bits, with the data the client sends with it;
                        //  0x80 the other sheet or a refusing vote, 0x40 a
                        //  star override
    FUZZ_KIND_INCIDENTS,
    FUZZ_KIND_RETRY,        //  argument: job id
    FUZZ_KIND_CERTIFICATE,  //  argument: a certificate seen, or made up
    FUZZ_KIND_STAFF_PUT,    //  argument: examples/staff record
    FUZZ_KIND_STAFF_LIST,
    FUZZ_KIND_WHOAMI,
    FUZZ_KIND_CERTIFICATE_FIRE,  //  argument: the certificate, and the
                                 //  event (cf_certfsm order) in the high
                                 //  four bits, with a reason and terms
    FUZZ_KIND_SURVEILLANCE,      //  argument: the certificate to visit
    FUZZ_KIND_CERTIFICATES,      //  argument: status filter and limit
    FUZZ_KIND_REISSUE,           //  argument: the certificate; bit 0 a
                                 //  new name, bit 1 a new scope
    FUZZ_KIND_DOCUMENT,          //  argument: the certificate
    FUZZ_KIND_APPOINTMENT_ADD,   //  argument: consultancy, company, acts
    FUZZ_KIND_APPOINTMENT_END,   //  argument: consultancy, company
    FUZZ_KIND_APPOINTMENTS,      //  argument: filters
    FUZZ_KIND_CNCA_REPORT,       //  argument: the month (2026-01 + n % 16)
                                 //  and the page cursor
    FUZZ_KIND_REPORTS,
    FUZZ_KIND_REPORT_SUBMITTED,  //  argument: the month, and a reference
    FUZZ_KIND_ISSUE,             //  argument: name and role
    FUZZ_KIND_COUNT
} fuzz_kind_t;

//  The id operand: 0 a fresh request id, else "fuzz-N" (repeats on purpose)

#endif
