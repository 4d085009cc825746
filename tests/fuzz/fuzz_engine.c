/*  =========================================================================
    fuzz_engine - the engine over a real LMDB store, driven by a script

    Each input is a script (fuzz_engine.h) run against a new store in a
    temporary directory (on /dev/shm when there is one, so durable commits
    cost no disk): requests by every role, worker results made by the real
    stage code from the real offers, forged, stale and repeated results,
    abandoned leases, the clock moving on, and restarts. What must hold:
      - a commit of a healthy store succeeds;
      - every reply and offer the engine sends decodes with cf_wire_decode
        (what a client or worker receives is valid on the wire);
      - cf_store_verify finds nothing wrong after the input;
      - no sanitizer report, no leak.
    =========================================================================
*/

#include "fuzz_util.h"

#include <czmq.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf_certfsm.h"
#include "cf_date.h"
#include "cf_engine.h"
#include "cf_fsm.h"
#include "cf_input.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_stages.h"
#include "cf_store.h"
#include "cf_wire.h"
#include "fuzz_engine.h"

//  Cases and certificate numbers the script can refer to
#define S_SEEN_MAX 16

//  The staff records of examples/staff
static const char *const s_staff_ids[] = {"AUD001", "AUD002", "AUD003",
                                          "AUD004", "COM001", "COM002",
                                          "COM003", "COM004", "REV001"};
#define S_STAFF (sizeof s_staff_ids / sizeof s_staff_ids[0])

//  What every input starts from, made once
typedef struct {
    char dir[64];                       //  Temporary directory of the stores
    char store_dir[96];                 //  The store of the current input
    char certs_dir[96];                 //  Its certificate directory
    cf_scheme_t *scheme;                //  The built-in scheme
    Cf__Application *apps[3];           //  Example, no materials, ineligible
    Cf__ScoreSheet *scores;             //  examples/scores.json
    Cf__ScoreSheet *revised;            //  examples/scores-revised.json
    Cf__FixList *fixes;                 //  examples/fixes.json
    Cf__Staff *staff[S_STAFF];          //  examples/staff
    Cf__Principal who[FUZZ_WHO_COUNT];  //  The principals
    zframe_t *route;                    //  Every sender's routing id
} s_world_t;

static s_world_t *s_world;

//  ------------------------------------------------------------------------
//  Seeds for the other targets (scripts/fuzz.sh --seeds): with
//  FUZZ_ENGINE_DUMP=DIR, every frame that crosses the engine's edge is
//  written to DIR/fuzz_wire (with fuzz_wire's type byte in front) and every
//  offer also to DIR/fuzz_offer; FUZZ_ENGINE_TRACE=1 prints each reply.

//  fuzz_wire's type bytes
#define S_WIRE_REQUEST 0
#define S_WIRE_WORKER  1
#define S_WIRE_DAEMON  2
#define S_WIRE_REPLY   3

static void
s_dump (const char *target, int type, const uint8_t *data, size_t size)
{
    static unsigned count;
    const char *dir = getenv ("FUZZ_ENGINE_DUMP");
    if (!dir)
        return;
    char path[1024];
    snprintf (path, sizeof path, "%s/%s/%d-%u", dir, target, type, ++count);
    FILE *file = fopen (path, "wb");
    if (!file)
        FUZZ_FAIL ("cannot write %s", path);
    if (type >= 0)
        fputc (type, file);
    if (fwrite (data, 1, size, file) != size || fclose (file) != 0)
        FUZZ_FAIL ("cannot write %s", path);
}

//  One input's run
typedef struct {
    cf_store_t *store;             //  The store
    cf_engine_t *engine;           //  The engine over it
    int64_t now;                   //  The clock
    char *cases[S_SEEN_MAX];       //  Case ids seen in replies
    char *audit_days[S_SEEN_MAX];  //  Each one's last audit day, once planned
    size_t case_count;             //  How many
    char *numbers[S_SEEN_MAX];     //  Certificate numbers seen
    size_t number_count;           //  How many
    unsigned fresh;                //  Request ids given
} s_run_t;

static Cf__Principal
s_principal (const char *key, const char *name, const char *org, Cf__Role role)
{
    Cf__Principal principal = CF__PRINCIPAL__INIT;
    principal.key = (char *)key;
    principal.name = (char *)name;
    principal.org = (char *)org;
    principal.role = role;
    return principal;
}

static void *
s_read_json (const char *relative,
             int (*reader) (const char *, size_t, void **, cf_problems_t *))
{
    size_t size = 0;
    char *text = fuzz_source_file (relative, &size);
    void *message = NULL;
    if (reader (text, size, &message, NULL))
        FUZZ_FAIL ("%s does not read", relative);
    free (text);
    return message;
}

//  The readers, with one signature
static int
s_app_reader (const char *text, size_t size, void **out, cf_problems_t *p)
{
    return cf_json_application (text, size, (Cf__Application **)out, p);
}
static int
s_sheet_reader (const char *text, size_t size, void **out, cf_problems_t *p)
{
    return cf_json_score_sheet (text, size, (Cf__ScoreSheet **)out, p);
}
static int
s_fixes_reader (const char *text, size_t size, void **out, cf_problems_t *p)
{
    return cf_input_fixes (text, size, (Cf__FixList **)out, p);
}
static int
s_staff_reader (const char *text, size_t size, void **out, cf_problems_t *p)
{
    return cf_json_staff (text, size, (Cf__Staff **)out, p);
}

static s_world_t *
s_world_new (void)
{
    s_world_t *self = calloc (1, sizeof (s_world_t));
    const char *base = access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf (self->dir, sizeof self->dir, "%s/cf-fuzz-engine-XXXXXX", base);
    if (!mkdtemp (self->dir))
        FUZZ_FAIL ("cannot make %s", self->dir);
    snprintf (self->store_dir, sizeof self->store_dir, "%s/store", self->dir);
    snprintf (self->certs_dir, sizeof self->certs_dir, "%s/certs", self->dir);
    if (cf_scheme_default (&self->scheme))
        FUZZ_FAIL ("the built-in scheme does not load");
    for (int index = 0; index < 3; index++)
        self->apps[index] =
            s_read_json ("examples/application.json", s_app_reader);
    //  Without its materials: intake asks for them
    Cf__Application *bare = self->apps[1];
    for (size_t index = 0; index < bare->n_materials; index++)
        cf_pb_free (&bare->materials[index]);
    bare->n_materials = 0;
    //  A company with a major accident: not eligible
    self->apps[2]->no_major_accident = false;
    self->scores = s_read_json ("examples/scores.json", s_sheet_reader);
    self->revised =
        s_read_json ("examples/scores-revised.json", s_sheet_reader);
    self->fixes = s_read_json ("examples/fixes.json", s_fixes_reader);
    for (size_t index = 0; index < S_STAFF; index++) {
        char path[64];
        snprintf (path, sizeof path, "examples/staff/%s.json",
                  s_staff_ids[index]);
        self->staff[index] = s_read_json (path, s_staff_reader);
    }
    self->who[FUZZ_WHO_APPLICANT_A] =
        s_principal ("KEY-A", "yunxi", "ORG-A", CF__ROLE__ROLE_APPLICANT);
    self->who[FUZZ_WHO_APPLICANT_B] =
        s_principal ("KEY-B", "rival", "ORG-B", CF__ROLE__ROLE_APPLICANT);
    self->who[FUZZ_WHO_REV001] =
        s_principal ("KEY-REV001", "REV001", "", CF__ROLE__ROLE_REVIEWER);
    static const char *const auditors[] = {"AUD001", "AUD002", "AUD003",
                                           "AUD004"};
    static const char *const members[] = {"COM001", "COM002", "COM003",
                                          "COM004"};
    for (int index = 0; index < 4; index++) {
        self->who[FUZZ_WHO_AUD001 + index] = s_principal (
            auditors[index], auditors[index], "", CF__ROLE__ROLE_AUDITOR);
        self->who[FUZZ_WHO_COM001 + index] = s_principal (
            members[index], members[index], "", CF__ROLE__ROLE_COMMITTEE);
    }
    self->who[FUZZ_WHO_ADMIN] =
        s_principal ("KEY-ADMIN", "admin", "", CF__ROLE__ROLE_ADMIN);
    self->who[FUZZ_WHO_WORKER] =
        s_principal ("KEY-WORKER", "worker-1", "", CF__ROLE__ROLE_WORKER);
    self->who[FUZZ_WHO_MONITOR] =
        s_principal ("KEY-MONITOR", "ops", "", CF__ROLE__ROLE_MONITOR);
    self->route = zframe_new ("peer", 4);
    return self;
}

//  Empties a directory of files and removes it; gone already is fine
static void
s_remove_dir (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char file[512];
        snprintf (file, sizeof file, "%s/%s", path, entry->d_name);
        if (unlink (file) != 0)
            FUZZ_FAIL ("cannot remove %s", file);
    }
    closedir (dir);
    if (rmdir (path) != 0)
        FUZZ_FAIL ("cannot remove %s", path);
}

//  Removes the current input's store and certificates
static void
s_world_clean (s_world_t *self)
{
    s_remove_dir (self->store_dir);
    s_remove_dir (self->certs_dir);
}

//  Removes the temporary directory at exit
static void
s_world_destroy (void)
{
    if (!s_world)
        return;
    s_world_clean (s_world);
    rmdir (s_world->dir);
}

//  ------------------------------------------------------------------------
//  The run

static void
s_open (s_run_t *self)
{
    if (cf_store_open (s_world->store_dir, 0, &self->store))
        FUZZ_FAIL ("cannot open the store in %s", s_world->store_dir);
    cf_engine_config_t config = {.lease_ms = 30000,
                                 .max_attempts = 3,
                                 .backoff_ms = 1000,
                                 .certs_dir = s_world->certs_dir,
                                 .page_max = 100};
    self->engine = cf_engine_new (self->store, s_world->scheme,
                                  cf_scheme_default_text (), &config);
    if (!self->engine)
        FUZZ_FAIL ("the engine does not start over its own store");
    cf_engine_begin (self->engine, self->now);
}

static void
s_close (s_run_t *self)
{
    cf_engine_destroy (&self->engine);
    cf_store_destroy (&self->store);
}

static void
s_remember (char **list, size_t *count, const char *value)
{
    if (!value || !*value || *count == S_SEEN_MAX)
        return;
    for (size_t index = 0; index < *count; index++)
        if (strcmp (list[index], value) == 0)
            return;
    list[(*count)++] = strdup (value);
}

static void
s_remember_case (s_run_t *self, const Cf__Case *record)
{
    if (!record)
        return;
    s_remember (self->cases, &self->case_count, record->id);
    s_remember (self->numbers, &self->number_count, record->certificate);
    if (!record->plan || !*record->plan->end_date)
        return;
    for (size_t index = 0; index < self->case_count; index++)
        if (strcmp (self->cases[index], record->id) == 0) {
            free (self->audit_days[index]);
            self->audit_days[index] = strdup (record->plan->end_date);
        }
}

//  The last audit day of case_id as its team leader would give it, or ""
static const char *
s_audit_day (s_run_t *self, const char *case_id)
{
    for (size_t index = 0; index < self->case_count; index++)
        if (strcmp (self->cases[index], case_id) == 0 &&
            self->audit_days[index])
            return self->audit_days[index];
    return "";
}

//  Checks one thing the round sends: it must decode as what it claims to
//  be. Notes the cases and certificates it names. *offer_p (may be NULL)
//  gets the last offer, decoded (caller frees).
static void
s_check_item (s_run_t *self, cf_outbox_kind_t kind, const uint8_t *data,
              size_t size, Cf__JobOffer **offer_p)
{
    cf_problems_t *problems = cf_problems_new ();
    if (kind == CF_OUTBOX_CLIENT) {
        s_dump ("fuzz_wire", S_WIRE_REPLY, data, size);
        Cf__Reply *reply = NULL;
        FUZZ_CHECK (cf_wire_decode (&cf__reply__descriptor, data, size,
                                    (void **)&reply, problems) == 0,
                    problems);
        if (getenv ("FUZZ_ENGINE_TRACE"))
            fprintf (stderr, "reply %s: %s %s %s\n", reply->id,
                     cf__status__descriptor.values[reply->status].name,
                     reply->error, reply->message);
        if (reply->body_case == CF__REPLY__BODY_RECORD)
            s_remember_case (self, reply->record);
        if (reply->body_case == CF__REPLY__BODY_PAGE)
            for (size_t index = 0; index < reply->page->n_cases; index++)
                s_remember_case (self, reply->page->cases[index]);
        cf_pb_free (&reply);
    } else {
        s_dump ("fuzz_wire", S_WIRE_DAEMON, data, size);
        s_dump ("fuzz_offer", -1, data, size);
        Cf__DaemonMessage *message = NULL;
        FUZZ_CHECK (cf_wire_decode (&cf__daemon_message__descriptor, data, size,
                                    (void **)&message, problems) == 0,
                    problems);
        if (message->body_case == CF__DAEMON_MESSAGE__BODY_OFFER)
            s_remember_case (self, message->offer->record);
        if (message->offer && offer_p) {
            cf_pb_free (offer_p);
            *offer_p = message->offer;
            message->offer = NULL;
            message->body_case = CF__DAEMON_MESSAGE__BODY__NOT_SET;
        }
        cf_pb_free (&message);
    }
    cf_problems_destroy (&problems);
}

//  Commits the round and checks what it sends; begins the next round at
//  now. *offer_p as for s_check_item.
static void
s_commit (s_run_t *self, Cf__JobOffer **offer_p)
{
    int rc = cf_engine_commit (self->engine);
    if (rc)
        FUZZ_FAIL ("a commit of a healthy store failed: %s", cf_strerror (rc));
    size_t count = cf_engine_outbox_size (self->engine);
    for (size_t index = 0; index < count; index++) {
        zframe_t *route = NULL;
        const uint8_t *data = NULL;
        size_t size = 0;
        cf_outbox_kind_t kind =
            cf_engine_outbox_item (self->engine, index, &route, &data, &size);
        s_check_item (self, kind, data, size, offer_p);
    }
    cf_engine_begin (self->engine, self->now);
}

//  The store must pass its own check
static void
s_verify (s_run_t *self)
{
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_store_verify (self->store, problems);
    FUZZ_CHECK (rc == 0, problems);
    cf_problems_destroy (&problems);
}

static const char *
s_case (s_run_t *self, uint8_t selector)
{
    if (self->case_count == 0 || selector == 0xFF)
        return "CF-2026-000001";
    return self->cases[selector % self->case_count];
}

//  Packs request and hands it to the engine from who
static void
s_send (s_run_t *self, const Cf__Principal *who, Cf__Request *request,
        uint8_t id)
{
    char name[32];
    if (id == 0)
        snprintf (name, sizeof name, "fresh-%u", ++self->fresh);
    else
        snprintf (name, sizeof name, "fuzz-%u", id);
    request->id = name;
    size_t size = 0;
    uint8_t *data = cf_pb_pack (&request->base, &size);
    s_dump ("fuzz_wire", S_WIRE_REQUEST, data, size);
    cf_engine_request (self->engine, s_world->route, who, data, size);
    free (data);
}

//  The data the client sends with event (none for most)
static void
s_fire_data (cf_event_t event, uint8_t argument, Cf__EventData *data,
             Cf__CommitteeData *committee)
{
    switch (event) {
        case CF_EVENT_SUPPLEMENTED:
            data->body_case = CF__EVENT_DATA__BODY_APPLICATION;
            data->application = s_world->apps[0];
            break;
        case CF_EVENT_WITHDRAW:
        case CF_EVENT_FIXES_REJECTED:
            data->body_case = CF__EVENT_DATA__BODY_REASON;
            data->reason = "the fix does not cover the 2025 product line";
            break;
        case CF_EVENT_SHEET_SUBMITTED:
            data->body_case = CF__EVENT_DATA__BODY_SHEET;
            data->sheet = argument & 0x80 ? s_world->revised : s_world->scores;
            break;
        case CF_EVENT_FIXES_SUBMITTED:
            data->body_case = CF__EVENT_DATA__BODY_FIXES;
            data->fixes = s_world->fixes;
            break;
        case CF_EVENT_FIXES_ACCEPTED:
            data->body_case = CF__EVENT_DATA__BODY_SHEET;
            data->sheet = argument & 0x80 ? s_world->scores : s_world->revised;
            break;
        case CF_EVENT_VOTE:
            data->body_case = CF__EVENT_DATA__BODY_COMMITTEE;
            data->committee = committee;
            committee->vote =
                argument & 0x80 ? CF__VOTE__VOTE_REFUSE : CF__VOTE__VOTE_GRANT;
            committee->reason = "evidence complete";
            committee->star_override = (argument & 0x40) != 0;
            break;
        default:
            break;
    }
}

//  A certificate number for argument: one the run has seen (below 0x80),
//  or one made up into number
static char *
s_number (s_run_t *self, uint8_t argument, char *number)
{
    if (self->number_count > 0 && argument < 0x80)
        return self->numbers[argument % self->number_count];
    snprintf (number, 40, "CFC2026SC%05u", argument);
    return number;
}

static void
s_built_request (s_run_t *self, fuzz_reader_t *reader)
{
    const Cf__Principal *who =
        &s_world->who[fuzz_byte (reader) % FUZZ_WHO_COUNT];
    uint8_t kind = fuzz_byte (reader) % FUZZ_KIND_COUNT;
    const char *case_id = s_case (self, fuzz_byte (reader));
    uint8_t argument = fuzz_byte (reader);
    uint8_t id = fuzz_byte (reader);

    Cf__Request request = CF__REQUEST__INIT;
    Cf__SubmitRequest submit = CF__SUBMIT_REQUEST__INIT;
    Cf__CaseRef ref = CF__CASE_REF__INIT;
    Cf__HistoryRequest history = CF__HISTORY_REQUEST__INIT;
    Cf__ListRequest list = CF__LIST_REQUEST__INIT;
    Cf__EventsSince since = CF__EVENTS_SINCE__INIT;
    Cf__FireRequest fire = CF__FIRE_REQUEST__INIT;
    Cf__EventData data = CF__EVENT_DATA__INIT;
    Cf__CommitteeData committee = CF__COMMITTEE_DATA__INIT;
    Cf__ScoreSheet *sheet = NULL;
    Cf__JobRef job = CF__JOB_REF__INIT;
    Cf__CertificateRef certificate = CF__CERTIFICATE_REF__INIT;
    Cf__StaffRequest staff = CF__STAFF_REQUEST__INIT;
    Cf__IssueIdentity issue = CF__ISSUE_IDENTITY__INIT;
    Cf__CertificateFire decision = CF__CERTIFICATE_FIRE__INIT;
    Cf__CertificateChange change = CF__CERTIFICATE_CHANGE__INIT;
    Cf__CertificateQuery query = CF__CERTIFICATE_QUERY__INIT;
    Cf__CertificateReissue reissue = CF__CERTIFICATE_REISSUE__INIT;
    Cf__Appointment appointment = CF__APPOINTMENT__INIT;
    Cf__AppointmentEnd ending = CF__APPOINTMENT_END__INIT;
    Cf__AppointmentQuery appointments = CF__APPOINTMENT_QUERY__INIT;
    Cf__ReportQuery report = CF__REPORT_QUERY__INIT;
    Cf__ReportSubmission submission = CF__REPORT_SUBMISSION__INIT;
    static char *acts[] = {"submit", "respond", "withdraw"};
    static char *scope[] = {"kitchen appliances"};
    static const char *const orgs[] = {"ORG-A", "ORG-B", "ORG-C", ""};
    char number[40], name[16], month[8];
    snprintf (month, sizeof month, "2026-%02u", 1 + argument % 12);
    ref.case_id = (char *)case_id;
    switch (kind) {
        case FUZZ_KIND_PING:
            request.body_case = CF__REQUEST__BODY_PING;
            request.ping = true;
            break;
        case FUZZ_KIND_SUBMIT:
            request.body_case = CF__REQUEST__BODY_SUBMIT;
            request.submit = &submit;
            submit.application = s_world->apps[argument % 3];
            break;
        case FUZZ_KIND_STATUS:
            request.body_case = CF__REQUEST__BODY_STATUS;
            request.status = &ref;
            break;
        case FUZZ_KIND_LIST:
            request.body_case = CF__REQUEST__BODY_LIST;
            request.list = &list;
            list.limit = argument % 8;
            list.state = (Cf__State)(argument >> 3) % CF_STATE_COUNT;
            break;
        case FUZZ_KIND_HISTORY:
            request.body_case = CF__REQUEST__BODY_HISTORY;
            request.history = &history;
            history.case_id = (char *)case_id;
            history.after = argument >> 4;
            history.limit = argument % 16;
            break;
        case FUZZ_KIND_EVENTS:
            request.body_case = CF__REQUEST__BODY_EVENTS;
            request.events = &since;
            since.after = argument;
            since.limit = argument % 5;
            break;
        case FUZZ_KIND_FIRE: {
            cf_event_t event = (cf_event_t)((argument & 0x3F) % CF_EVENT_COUNT);
            request.body_case = CF__REQUEST__BODY_FIRE;
            request.fire = &fire;
            fire.case_id = (char *)case_id;
            fire.event = (char *)cf_fsm_event_name (event);
            s_fire_data (event, argument, &data, &committee);
            if (data.body_case == CF__EVENT_DATA__BODY_SHEET) {
                //  The team leader gives the last day of the audit
                sheet = cf_pb_dup (&data.sheet->base);
                cf_pb_set_string (&sheet->audit_date,
                                  s_audit_day (self, case_id));
                data.sheet = sheet;
            }
            if (data.body_case != CF__EVENT_DATA__BODY__NOT_SET)
                fire.data = &data;
            break;
        }
        case FUZZ_KIND_INCIDENTS:
            request.body_case = CF__REQUEST__BODY_INCIDENTS;
            request.incidents = true;
            break;
        case FUZZ_KIND_RETRY:
            request.body_case = CF__REQUEST__BODY_RETRY;
            request.retry = &job;
            job.job = argument;
            break;
        case FUZZ_KIND_CERTIFICATE:
            request.body_case = CF__REQUEST__BODY_CERTIFICATE;
            request.certificate = &certificate;
            certificate.number = s_number (self, argument, number);
            break;
        case FUZZ_KIND_CERTIFICATE_FIRE:
            request.body_case = CF__REQUEST__BODY_CERTIFICATE_FIRE;
            request.certificate_fire = &decision;
            decision.number = s_number (self, argument & 0x8F, number);
            decision.event = (char *)cf_certfsm_event_name (
                (cf_cert_event_t)((argument >> 4) % CF_CERT_EVENT_COUNT));
            decision.change = &change;
            change.reason = argument & 1 ? "the holder's letter" : "";
            change.trigger = argument & 2 ? "holder_request" : "misuse";
            change.trigger_date = argument & 4 ? "2026-01-05" : "";
            change.months = argument % 8;
            change.case_id = (char *)case_id;
            break;
        case FUZZ_KIND_SURVEILLANCE:
            request.body_case = CF__REQUEST__BODY_SURVEILLANCE_OPEN;
            request.surveillance_open = &certificate;
            certificate.number = s_number (self, argument, number);
            break;
        case FUZZ_KIND_CERTIFICATES:
            request.body_case = CF__REQUEST__BODY_CERTIFICATES;
            request.certificates = &query;
            query.status = (Cf__CertStatus)(argument >> 5);
            query.org = (char *)orgs[(argument >> 3) & 3];
            query.due_by = argument & 4 ? "2027-06-30" : "";
            query.limit = argument % 4;
            break;
        case FUZZ_KIND_REISSUE:
            request.body_case = CF__REQUEST__BODY_CERTIFICATE_REISSUE;
            request.certificate_reissue = &reissue;
            reissue.number = s_number (self, argument & 0xFC, number);
            reissue.reason = argument & 4 ? "" : "the company renamed itself";
            reissue.company_name = argument & 1 ? "云熙家电有限公司" : "";
            if (argument & 2) {
                reissue.n_scope = 1;
                reissue.scope = scope;
            }
            break;
        case FUZZ_KIND_DOCUMENT:
            request.body_case = CF__REQUEST__BODY_CERTIFICATE_DOCUMENT;
            request.certificate_document = &certificate;
            certificate.number = s_number (self, argument, number);
            break;
        case FUZZ_KIND_APPOINTMENT_ADD:
            request.body_case = CF__REQUEST__BODY_APPOINTMENT_ADD;
            request.appointment_add = &appointment;
            appointment.consultancy = (char *)orgs[argument & 3];
            appointment.company = (char *)orgs[(argument >> 2) & 3];
            appointment.from = argument & 0x10 ? "2026-01-01" : "";
            appointment.n_acts = 1 + (argument >> 5) % 3;
            appointment.acts = acts;
            appointment.reference = "letter of appointment";
            break;
        case FUZZ_KIND_APPOINTMENT_END:
            request.body_case = CF__REQUEST__BODY_APPOINTMENT_END;
            request.appointment_end = &ending;
            ending.consultancy = (char *)orgs[argument & 3];
            ending.company = (char *)orgs[(argument >> 2) & 3];
            ending.reason = argument & 0x10 ? "" : "the contract ended";
            break;
        case FUZZ_KIND_APPOINTMENTS:
            request.body_case = CF__REQUEST__BODY_APPOINTMENTS;
            request.appointments = &appointments;
            appointments.consultancy = (char *)orgs[argument & 3];
            appointments.company = (char *)orgs[(argument >> 2) & 3];
            appointments.ended = argument & 0x10;
            break;
        case FUZZ_KIND_CNCA_REPORT:
            request.body_case = CF__REQUEST__BODY_CNCA_REPORT;
            request.cnca_report = &report;
            report.month = month;
            report.after = argument >> 4;
            break;
        case FUZZ_KIND_REPORTS:
            request.body_case = CF__REQUEST__BODY_REPORTS;
            request.reports = true;
            break;
        case FUZZ_KIND_REPORT_SUBMITTED:
            request.body_case = CF__REQUEST__BODY_REPORT_SUBMITTED;
            request.report_submitted = &submission;
            submission.month = month;
            submission.reference = argument & 0x80 ? "CNCA-RECEIPT-1" : "";
            break;
        case FUZZ_KIND_STAFF_PUT:
            request.body_case = CF__REQUEST__BODY_STAFF_PUT;
            request.staff_put = &staff;
            staff.staff = s_world->staff[argument % S_STAFF];
            break;
        case FUZZ_KIND_STAFF_LIST:
            request.body_case = CF__REQUEST__BODY_STAFF_LIST;
            request.staff_list = true;
            break;
        case FUZZ_KIND_WHOAMI:
            request.body_case = CF__REQUEST__BODY_WHOAMI;
            request.whoami = true;
            break;
        default:
            request.body_case = CF__REQUEST__BODY_IDENTITY_ISSUE;
            request.identity_issue = &issue;
            snprintf (name, sizeof name, "p%u", argument % 16);
            issue.name = name;
            issue.role = (Cf__Role)(argument >> 4) % CF_ROLE_MAX;
            issue.org = argument & 1 ? "ORG-C" : "";
            break;
    }
    s_send (self, who, &request, id);
    cf_pb_free (&sheet);
}

static void
s_raw_request (s_run_t *self, fuzz_reader_t *reader)
{
    const Cf__Principal *who =
        &s_world->who[fuzz_byte (reader) % FUZZ_WHO_COUNT];
    size_t size = 0;
    const uint8_t *data = fuzz_bytes (reader, fuzz_u16 (reader), &size);
    cf_engine_request (self->engine, s_world->route, who, data, size);
}

//  Hands a WorkerMessage frame to the engine as the daemon does
static void
s_report (s_run_t *self, const Cf__Principal *who, const uint8_t *data,
          size_t size)
{
    s_dump ("fuzz_wire", S_WIRE_WORKER, data, size);
    Cf__WorkerMessage *message = NULL;
    if (cf_wire_decode (&cf__worker_message__descriptor, data, size,
                        (void **)&message, NULL) != 0)
        return;
    if (message->body_case == CF__WORKER_MESSAGE__BODY_RESULT)
        cf_engine_result (self->engine, s_world->route, who, message->result);
    cf_pb_free (&message);
}

static void
s_raw_result (s_run_t *self, fuzz_reader_t *reader)
{
    const Cf__Principal *who =
        &s_world->who[fuzz_byte (reader) % FUZZ_WHO_COUNT];
    size_t size = 0;
    const uint8_t *data = fuzz_bytes (reader, fuzz_u16 (reader), &size);
    s_report (self, who, data, size);
}

static char *
s_stage (uint8_t selector)
{
    size_t count = 0;
    const cf_stage_t *stages = cf_stages (&count);
    //  One in eight: any stage
    return selector % 8 == 7 ? NULL : (char *)stages[selector % count].name;
}

//  Leases a job for stage (NULL: any) and commits; returns the offer
//  (caller frees), or NULL when none was ready
static Cf__JobOffer *
s_lease (s_run_t *self, char *stage)
{
    char *stages[] = {stage};
    const Cf__Principal *worker = &s_world->who[FUZZ_WHO_WORKER];
    if (cf_engine_lease (self->engine, s_world->route, worker->name,
                         worker->key, stages, stage ? 1 : 0) != 0)
        return NULL;
    Cf__JobOffer *offer = NULL;
    s_commit (self, &offer);
    if (!offer)
        FUZZ_FAIL ("a lease that succeeded sent no offer");
    return offer;
}

//  Does the offered job as certflow-worker does
static void
s_work (const Cf__JobOffer *offer, Cf__JobResult *result)
{
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_stage_offer (offer, result, problems);
    if (rc)
        cf_stage_set_error (result, rc, problems);
    cf_problems_destroy (&problems);
}

static void
s_work_op (s_run_t *self, fuzz_reader_t *reader)
{
    char *stage = s_stage (fuzz_byte (reader));
    uint8_t flags = fuzz_byte (reader);
    uint8_t argument = fuzz_byte (reader);
    Cf__JobOffer *offer = s_lease (self, stage);
    if (!offer)
        return;
    Cf__JobResult *result = cf_pb_new (&cf__job_result__descriptor);
    result->job = offer->job->id;
    result->lease = offer->job->lease;
    s_work (offer, result);
    if (flags & FUZZ_WORK_EVENT)
        cf_pb_set_string (
            &result->event,
            cf_fsm_event_name ((cf_event_t)(argument % CF_EVENT_COUNT)));
    if (flags & FUZZ_WORK_STALE)
        result->lease--;
    if (flags & FUZZ_WORK_ERROR) {
        cf_pb_set_string (&result->event, "");
        cf_pb_free (&result->data);
        cf_pb_set_string (&result->error, "CF_EIO: the stage failed");
    }
    if (flags & FUZZ_WORK_LATE) {
        self->now += 31000;
        s_commit (self, NULL);
        cf_engine_tick (self->engine);
    }
    Cf__WorkerMessage message = CF__WORKER_MESSAGE__INIT;
    message.body_case = CF__WORKER_MESSAGE__BODY_RESULT;
    message.result = result;
    size_t size = 0;
    uint8_t *data = cf_pb_pack (&message.base, &size);
    s_report (self, &s_world->who[FUZZ_WHO_WORKER], data, size);
    if (flags & FUZZ_WORK_TWICE) {
        s_report (self, &s_world->who[FUZZ_WHO_WORKER], data, size);
    }
    free (data);
    cf_pb_free (&result);
    cf_pb_free (&offer);
}

static void
s_run (s_run_t *self, fuzz_reader_t *reader)
{
    while (fuzz_left (reader) > 0) {
        switch (fuzz_byte (reader) % FUZZ_OP_COUNT) {
            case FUZZ_OP_ROUND:
                s_commit (self, NULL);
                break;
            case FUZZ_OP_TICK:
                s_commit (self, NULL);
                self->now += (int64_t)fuzz_u16 (reader) * 60000;
                cf_engine_begin (self->engine, self->now);
                cf_engine_tick (self->engine);
                break;
            case FUZZ_OP_RAW:
                s_raw_request (self, reader);
                break;
            case FUZZ_OP_REQUEST:
                s_built_request (self, reader);
                break;
            case FUZZ_OP_WORK:
                s_work_op (self, reader);
                break;
            case FUZZ_OP_RESULT:
                s_raw_result (self, reader);
                break;
            case FUZZ_OP_RESTART:
                s_commit (self, NULL);
                s_verify (self);
                s_close (self);
                s_open (self);
                break;
            default: {
                Cf__JobOffer *offer =
                    s_lease (self, s_stage (fuzz_byte (reader)));
                cf_pb_free (&offer);
                break;
            }
        }
    }
    s_commit (self, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_world) {
        zsys_init ();
        zsys_set_logstream (NULL);
        s_world = s_world_new ();
        atexit (s_world_destroy);
    }
    s_world_clean (s_world);
    if (mkdir (s_world->certs_dir, 0700) != 0)
        FUZZ_FAIL ("cannot make %s", s_world->certs_dir);
    s_run_t run = {0};
    cf_day_t today = cf_date_from_ymd (2026, 11, 23);
    run.now = cf_date_to_ms (today) + 2 * 3600 * 1000;
    s_open (&run);
    fuzz_reader_t reader = {data, size, 0};
    s_run (&run, &reader);

    s_verify (&run);
    s_close (&run);
    for (size_t index = 0; index < run.case_count; index++) {
        free (run.cases[index]);
        free (run.audit_days[index]);
    }
    for (size_t index = 0; index < run.number_count; index++)
        free (run.numbers[index]);
    return 0;
}
