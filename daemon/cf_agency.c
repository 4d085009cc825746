/*  =========================================================================
    cf_agency - organizations and the appointments of consultancies

    The round's changes are kept as whole records: organizations by id, and
    appointments by their store key text. A query reads the store's rows and
    lays the round's over them, so a request sees what an earlier request of
    the same round did.
    =========================================================================
*/

#include "cf_agency.h"

#include <czmq.h>
#include <inttypes.h>
#include <string.h>

#include "cf_application.h"
#include "cf_date.h"
#include "cf_log.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_utf8.h"

//  The counter appointment ids come from
#define S_APPOINTMENT_COUNTER "next_appointment"

struct _cf_agency_t {
    cf_store_t *store;        //  Durable state (borrowed)
    zhashx_t *organizations;  //  Round: id -> Cf__Organization *
    zhashx_t *appointments;   //  Round: key text -> Cf__Appointment *
};

static const char *const s_acts[] = {CF_ACT_SUBMIT, CF_ACT_RESPOND,
                                     CF_ACT_WITHDRAW};
#define S_ACT_COUNT (sizeof s_acts / sizeof s_acts[0])

static bool
s_blank (const char *text)
{
    return !text || !*text;
}

static void
s_message_destroy (void **message_p)
{
    cf_pb_free (message_p);
}

cf_agency_t *
cf_agency_new (cf_store_t *store)
{
    assert (store);
    cf_agency_t *self = cf_mem_check (calloc (1, sizeof (cf_agency_t)));
    self->store = store;
    self->organizations = zhashx_new ();
    zhashx_set_destructor (self->organizations, s_message_destroy);
    self->appointments = zhashx_new ();
    zhashx_set_destructor (self->appointments, s_message_destroy);
    return self;
}

void
cf_agency_destroy (cf_agency_t **self_p)
{
    assert (self_p);
    cf_agency_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->organizations);
        zhashx_destroy (&self->appointments);
        free (self);
        *self_p = NULL;
    }
}

void
cf_agency_drop (cf_agency_t *self)
{
    zhashx_purge (self->organizations);
    zhashx_purge (self->appointments);
}

bool
cf_agency_act_valid (const char *name)
{
    for (size_t index = 0; index < S_ACT_COUNT; index++)
        if (name && strcmp (name, s_acts[index]) == 0)
            return true;
    return false;
}

//  The round's key of an appointment: its store key with 1 for 0
static char *
s_key (const Cf__Appointment *appointment)
{
    char *key = NULL;
    if (asprintf (&key, "%s%c%s%c%020" PRIu64, appointment->consultancy, 1,
                  appointment->company, 1, appointment->id) < 0)
        cf_mem_fail ();
    return key;
}

//  Gets organization id, the round's first: 0, CF_ENOTFOUND or an error
static int
s_organization (cf_agency_t *self, const char *id, Cf__Organization **org_p)
{
    Cf__Organization *round = zhashx_lookup (self->organizations, id);
    if (round) {
        *org_p = cf_pb_dup (&round->base);
        return 0;
    }
    return cf_store_get_organization (self->store, id, org_p);
}

Cf__OrgKind
cf_agency_kind (cf_agency_t *self, const char *org)
{
    if (s_blank (org))
        return CF__ORG_KIND__ORG_KIND_UNSPECIFIED;
    Cf__Organization *record = NULL;
    int rc = s_organization (self, org, &record);
    if (rc && rc != CF_ENOTFOUND)
        cf_log_error ("organization %s cannot be read: %s", org,
                      cf_strerror (rc));
    Cf__OrgKind kind =
        record ? record->kind : CF__ORG_KIND__ORG_KIND_UNSPECIFIED;
    cf_pb_free (&record);
    return kind;
}

static int
s_by_key (const void *first, const void *second)
{
    const Cf__Appointment *a = *(Cf__Appointment *const *)first;
    const Cf__Appointment *b = *(Cf__Appointment *const *)second;
    int order = strcmp (a->consultancy, b->consultancy);
    if (order == 0)
        order = strcmp (a->company, b->company);
    if (order == 0)
        order = a->id < b->id ? -1 : a->id > b->id;
    return order;
}

//  The appointments of consultancy (NULL: all) for company (NULL: any),
//  the store's with the round's over them, in key order
static int
s_appointments (cf_agency_t *self, const char *consultancy, const char *company,
                Cf__Appointment ***list_p, size_t *count_p)
{
    Cf__Appointment **list = NULL;
    size_t count = 0;
    int rc = cf_store_list_appointments (
        self->store, consultancy, consultancy ? company : NULL, &list, &count);
    if (rc)
        return rc;
    for (Cf__Appointment *round = zhashx_first (self->appointments); round;
         round = zhashx_next (self->appointments)) {
        if ((consultancy && strcmp (round->consultancy, consultancy) != 0) ||
            (consultancy && company && strcmp (round->company, company) != 0))
            continue;
        size_t index = 0;
        while (index < count &&
               !(list[index]->id == round->id &&
                 strcmp (list[index]->consultancy, round->consultancy) == 0))
            index++;
        Cf__Appointment *copy = cf_pb_dup (&round->base);
        if (index < count) {
            cf_pb_free (&list[index]);
            list[index] = copy;
        } else
            cf_pb_append (&count, (void ***)&list, copy);
    }
    if (count > 1)
        qsort (list, count, sizeof list[0], s_by_key);
    *list_p = list;
    *count_p = count;
    return 0;
}

//  True when appointment runs at now and grants act (NULL: any)
static bool
s_runs (const Cf__Appointment *appointment, const char *act, int64_t now)
{
    cf_day_t from;
    if (appointment->ended_at != 0 ||
        cf_date_parse (appointment->from, &from) != 0 ||
        from > cf_date_from_ms (now))
        return false;
    if (!act)
        return true;
    for (size_t index = 0; index < appointment->n_acts; index++)
        if (strcmp (appointment->acts[index], act) == 0)
            return true;
    return false;
}

//  An open appointment is one not ended, running or yet to start
static bool
s_open (const Cf__Appointment *appointment)
{
    return appointment->ended_at == 0;
}

static int
s_text_check (const char *text, const char *field, cf_problems_t *problems)
{
    if (text && strlen (text) > CF_AGENCY_TEXT_MAX) {
        cf_problems_add (problems, field,
                         "%s is %zu bytes, more than the %d allowed; "
                         "shorten it",
                         field, strlen (text), CF_AGENCY_TEXT_MAX);
        return CF_ELIMIT;
    }
    return 0;
}

static int
s_id_check (const char *id, const char *field, cf_problems_t *problems)
{
    if (s_blank (id)) {
        cf_problems_add (problems, field,
                         "an appointment names its %s (the org of its "
                         "principals' certificates)",
                         field + strlen ("appointment."));
        return CF_EINVAL;
    }
    if (strlen (id) > CF_STORE_ID_MAX) {
        cf_problems_add (problems, field, "%s is longer than %d bytes", field,
                         CF_STORE_ID_MAX);
        return CF_ELIMIT;
    }
    return 0;
}

//  Checks what an appointment asks for, apart from the stored facts
static int
s_check_asked (const Cf__Appointment *asked, cf_problems_t *problems)
{
    int rc =
        s_id_check (asked->consultancy, "appointment.consultancy", problems);
    if (rc == 0)
        rc = s_id_check (asked->company, "appointment.company", problems);
    if (rc == 0 && strcmp (asked->consultancy, asked->company) == 0) {
        cf_problems_add (problems, "appointment.company",
                         "%.*s cannot act for itself; its own users act for "
                         "it already",
                         CF_UTF8_CUT (asked->company, CF_UTF8_QUOTE_MAX));
        rc = CF_EINVAL;
    }
    cf_day_t day;
    if (rc == 0 && !s_blank (asked->from) &&
        cf_date_parse (asked->from, &day) != 0) {
        cf_problems_add (problems, "appointment.from",
                         "'%.*s' is not a date YYYY-MM-DD",
                         CF_UTF8_CUT (asked->from, CF_UTF8_QUOTE_MAX));
        rc = CF_EINVAL;
    }
    if (rc == 0 && !s_blank (asked->uscc))
        rc = cf_application_check_uscc (asked->uscc, problems);
    for (size_t index = 0; rc == 0 && index < asked->n_acts; index++)
        if (!cf_agency_act_valid (asked->acts[index])) {
            cf_problems_add (
                problems, "appointment.acts",
                "unknown act '%.*s'; the acts are submit, "
                "respond and withdraw",
                CF_UTF8_CUT (asked->acts[index], CF_UTF8_QUOTE_MAX));
            rc = CF_EINVAL;
        }
    if (rc == 0)
        rc = s_text_check (asked->reference, "appointment.reference", problems);
    return rc;
}

//  Checks that organization id is of kind or not yet recorded, and gets
//  its record (NULL when not recorded)
static int
s_check_kind (cf_agency_t *self, const char *id, Cf__OrgKind kind,
              Cf__Organization **org_p, cf_problems_t *problems)
{
    int rc = s_organization (self, id, org_p);
    if (rc == CF_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    if ((*org_p)->kind == kind)
        return 0;
    cf_problems_add (
        problems, "appointment.kind", "%.*s is recorded as a %s, not a %s",
        CF_UTF8_CUT (id, CF_UTF8_QUOTE_MAX),
        (*org_p)->kind == CF__ORG_KIND__ORG_KIND_COMPANY ? "company"
                                                         : "consultancy",
        kind == CF__ORG_KIND__ORG_KIND_COMPANY ? "company" : "consultancy");
    cf_pb_free (org_p);
    return CF_EGUARD;
}

//  Records a new organization in batch and in the round
static int
s_record_organization (cf_agency_t *self, cf_batch_t *batch, const char *id,
                       Cf__OrgKind kind, const char *uscc,
                       const Cf__Principal *who, int64_t now)
{
    Cf__Organization *org = cf_pb_new (&cf__organization__descriptor);
    cf_pb_set_string (&org->id, id);
    org->kind = kind;
    cf_pb_set_string (&org->uscc, uscc ? uscc : "");
    org->recorded_at = now;
    org->recorded_by = cf_pb_dup (&who->base);
    int rc = cf_batch_put_organization (batch, org);
    if (rc == 0)
        zhashx_update (self->organizations, id, org);
    else
        cf_pb_free (&org);
    return rc;
}

//  Checks the organizations an appointment names: of the right kinds, the
//  company's credit code its own. *uscc_p gets the company's code (a new
//  string); *record_consultancy and *record_company say which are new.
static int
s_organizations (cf_agency_t *self, const Cf__Appointment *asked, char **uscc_p,
                 bool *record_consultancy, bool *record_company,
                 cf_problems_t *problems)
{
    Cf__Organization *consultancy = NULL, *company = NULL;
    int rc = s_check_kind (self, asked->consultancy,
                           CF__ORG_KIND__ORG_KIND_CONSULTANCY, &consultancy,
                           problems);
    if (rc == 0)
        rc = s_check_kind (self, asked->company, CF__ORG_KIND__ORG_KIND_COMPANY,
                           &company, problems);
    //  An organization whose own users applied is a company
    if (rc == 0 && !consultancy) {
        Cf__Case **cases = NULL;
        size_t count = 0;
        char *next = NULL;
        rc = cf_store_list_by_org (self->store, asked->consultancy, NULL, 1,
                                   &cases, &count, &next);
        cf_store_cases_free (&cases, count);
        free (next);
        if (rc == 0 && count > 0) {
            cf_problems_add (
                problems, "appointment.kind",
                "%.*s has applied for itself: it is a company, not a "
                "consultancy; its consultancy needs an org of its own",
                CF_UTF8_CUT (asked->consultancy, CF_UTF8_QUOTE_MAX));
            rc = CF_EGUARD;
        }
    }
    if (rc == 0 && company && !s_blank (asked->uscc) &&
        strcmp (company->uscc, asked->uscc) != 0) {
        cf_problems_add (problems, "appointment.uscc",
                         "company %.*s is recorded with credit code %s, not "
                         "%s",
                         CF_UTF8_CUT (asked->company, CF_UTF8_QUOTE_MAX),
                         company->uscc, asked->uscc);
        rc = CF_EGUARD;
    }
    if (rc == 0 && !company && s_blank (asked->uscc)) {
        cf_problems_add (problems, "appointment.uscc",
                         "company %.*s is new: give its unified social "
                         "credit code (--uscc)",
                         CF_UTF8_CUT (asked->company, CF_UTF8_QUOTE_MAX));
        rc = CF_EINVAL;
    }
    if (rc == 0) {
        *record_consultancy = !consultancy;
        *record_company = !company;
        *uscc_p = cf_mem_check (strdup (company ? company->uscc : asked->uscc));
    }
    cf_pb_free (&consultancy);
    cf_pb_free (&company);
    return rc;
}

int
cf_agency_add (cf_agency_t *self, cf_batch_t *batch, const Cf__Principal *who,
               int64_t now, const Cf__Appointment *asked,
               Cf__Appointment **appointment_p, cf_problems_t *problems)
{
    assert (self && batch && who && asked && appointment_p);
    *appointment_p = NULL;
    int rc = s_check_asked (asked, problems);
    //  One open appointment per consultancy and company, and one company
    //  per credit code for a consultancy: a submission names its company
    //  by the code
    Cf__Appointment **list = NULL;
    size_t count = 0;
    if (rc == 0)
        rc = s_appointments (self, asked->consultancy, NULL, &list, &count);
    char *uscc = NULL;
    bool new_consultancy = false, new_company = false;
    if (rc == 0)
        rc = s_organizations (self, asked, &uscc, &new_consultancy,
                              &new_company, problems);
    for (size_t index = 0; rc == 0 && index < count; index++) {
        const Cf__Appointment *other = list[index];
        if (!s_open (other))
            continue;
        if (strcmp (other->company, asked->company) == 0) {
            cf_problems_add (problems, "appointment.open",
                             "%s already acts for %s (appointment %" PRIu64
                             " from %s); end it first to change it",
                             other->consultancy, other->company, other->id,
                             other->from);
            rc = CF_EGUARD;
        } else if (strcmp (other->uscc, uscc) == 0) {
            cf_problems_add (problems, "appointment.uscc",
                             "%s already acts for %s with credit code %s",
                             other->consultancy, other->company, uscc);
            rc = CF_EGUARD;
        }
    }
    cf_store_appointments_free (&list, count);
    //  Checked: from here on it is written
    if (rc == 0 && new_consultancy)
        rc = s_record_organization (self, batch, asked->consultancy,
                                    CF__ORG_KIND__ORG_KIND_CONSULTANCY, NULL,
                                    who, now);
    if (rc == 0 && new_company)
        rc = s_record_organization (self, batch, asked->company,
                                    CF__ORG_KIND__ORG_KIND_COMPANY, uscc, who,
                                    now);
    Cf__Appointment *appointment = NULL;
    if (rc == 0) {
        appointment = cf_pb_new (&cf__appointment__descriptor);
        rc = cf_store_next_id (self->store, batch, S_APPOINTMENT_COUNTER,
                               &appointment->id);
    }
    if (rc == 0) {
        char today[11];
        cf_pb_set_string (&appointment->consultancy, asked->consultancy);
        cf_pb_set_string (&appointment->company, asked->company);
        cf_pb_set_string (&appointment->uscc, uscc);
        cf_pb_set_string (&appointment->from,
                          s_blank (asked->from)
                              ? cf_date_format (cf_date_from_ms (now), today)
                              : asked->from);
        for (size_t act = 0; act < S_ACT_COUNT; act++) {
            bool wanted = asked->n_acts == 0;
            for (size_t index = 0; index < asked->n_acts; index++)
                wanted =
                    wanted || strcmp (asked->acts[index], s_acts[act]) == 0;
            if (wanted)
                cf_pb_append_string (&appointment->n_acts, &appointment->acts,
                                     s_acts[act]);
        }
        cf_pb_set_string (&appointment->reference,
                          asked->reference ? asked->reference : "");
        appointment->added_at = now;
        appointment->added_by = cf_pb_dup (&who->base);
        cf_pb_set_string (&appointment->end_reason, "");
        rc = cf_batch_put_appointment (batch, appointment);
    }
    free (uscc);
    if (rc) {
        cf_pb_free (&appointment);
        return rc;
    }
    cf_log_notice ("appointment %" PRIu64 ": %s acts for %s from %s, recorded "
                   "by %s",
                   appointment->id, appointment->consultancy,
                   appointment->company, appointment->from, who->name);
    *appointment_p = cf_pb_dup (&appointment->base);
    char *key = s_key (appointment);
    zhashx_update (self->appointments, key, appointment);
    free (key);
    return 0;
}

int
cf_agency_end (cf_agency_t *self, cf_batch_t *batch, const Cf__Principal *who,
               int64_t now, const Cf__AppointmentEnd *end,
               Cf__Appointment **appointment_p, cf_problems_t *problems)
{
    assert (self && batch && who && end && appointment_p);
    *appointment_p = NULL;
    int rc = s_id_check (end->consultancy, "appointment.consultancy", problems);
    if (rc == 0)
        rc = s_id_check (end->company, "appointment.company", problems);
    if (rc == 0 && s_blank (end->reason)) {
        cf_problems_add (problems, "appointment.reason",
                         "say why the appointment ends (--reason)");
        rc = CF_EINVAL;
    }
    if (rc == 0)
        rc = s_text_check (end->reason, "appointment.reason", problems);
    Cf__Appointment **list = NULL;
    size_t count = 0;
    if (rc == 0)
        rc = s_appointments (self, end->consultancy, end->company, &list,
                             &count);
    Cf__Appointment *appointment = NULL;
    for (size_t index = 0; rc == 0 && index < count && !appointment; index++)
        if (s_open (list[index])) {
            appointment = list[index];
            list[index] = NULL;
        }
    cf_store_appointments_free (&list, count);
    if (rc == 0 && !appointment) {
        cf_problems_add (problems, "appointment.unknown",
                         "%.*s does not act for %.*s; certflow appointment "
                         "list shows the appointments",
                         CF_UTF8_CUT (end->consultancy, CF_UTF8_QUOTE_MAX),
                         CF_UTF8_CUT (end->company, CF_UTF8_QUOTE_MAX));
        rc = CF_ENOTFOUND;
    }
    if (rc == 0) {
        appointment->ended_at = now;
        cf_pb_free (&appointment->ended_by);
        appointment->ended_by = cf_pb_dup (&who->base);
        cf_pb_set_string (&appointment->end_reason, end->reason);
        rc = cf_batch_put_appointment (batch, appointment);
    }
    if (rc) {
        cf_pb_free (&appointment);
        return rc;
    }
    cf_log_notice ("appointment %" PRIu64 ": %s no longer acts for %s, ended "
                   "by %s",
                   appointment->id, appointment->consultancy,
                   appointment->company, who->name);
    *appointment_p = cf_pb_dup (&appointment->base);
    char *key = s_key (appointment);
    zhashx_update (self->appointments, key, appointment);
    free (key);
    return 0;
}

int
cf_agency_list (cf_agency_t *self, const Cf__AppointmentQuery *query,
                Cf__AppointmentList **list_p)
{
    assert (self && query && list_p);
    *list_p = NULL;
    const char *consultancy =
        s_blank (query->consultancy) ? NULL : query->consultancy;
    const char *company = s_blank (query->company) ? NULL : query->company;
    if ((consultancy && strlen (consultancy) > CF_STORE_ID_MAX) ||
        (company && strlen (company) > CF_STORE_ID_MAX))
        return CF_ELIMIT;
    Cf__Appointment **all = NULL;
    size_t count = 0;
    int rc = s_appointments (self, consultancy, company, &all, &count);
    if (rc)
        return rc;
    Cf__AppointmentList *list = cf_pb_new (&cf__appointment_list__descriptor);
    for (size_t index = 0; index < count; index++) {
        bool wanted = (query->ended || s_open (all[index])) &&
                      (!company || strcmp (all[index]->company, company) == 0);
        if (wanted) {
            cf_pb_append (&list->n_appointments, (void ***)&list->appointments,
                          all[index]);
            all[index] = NULL;
        }
    }
    cf_store_appointments_free (&all, count);
    *list_p = list;
    return 0;
}

bool
cf_agency_acts (cf_agency_t *self, const char *consultancy, const char *company,
                const char *act, int64_t now)
{
    if (s_blank (consultancy) || s_blank (company) ||
        strlen (consultancy) > CF_STORE_ID_MAX ||
        strlen (company) > CF_STORE_ID_MAX)
        return false;
    Cf__Appointment **list = NULL;
    size_t count = 0;
    int rc = s_appointments (self, consultancy, company, &list, &count);
    if (rc)
        cf_log_error ("appointments of %s cannot be read: %s", consultancy,
                      cf_strerror (rc));
    bool acts = false;
    for (size_t index = 0; index < count && !acts; index++)
        acts = s_runs (list[index], act, now);
    cf_store_appointments_free (&list, count);
    return acts;
}

int
cf_agency_clients (cf_agency_t *self, const char *consultancy, int64_t now,
                   char ***companies, size_t *count)
{
    assert (self && companies && count);
    *companies = NULL;
    *count = 0;
    if (s_blank (consultancy) || strlen (consultancy) > CF_STORE_ID_MAX)
        return 0;
    Cf__Appointment **list = NULL;
    size_t size = 0;
    int rc = s_appointments (self, consultancy, NULL, &list, &size);
    //  In key order: a company's appointments follow each other
    for (size_t index = 0; rc == 0 && index < size; index++)
        if (s_runs (list[index], NULL, now) &&
            (*count == 0 ||
             strcmp ((*companies)[*count - 1], list[index]->company) != 0))
            cf_pb_append_string (count, companies, list[index]->company);
    cf_store_appointments_free (&list, size);
    return rc;
}

int
cf_agency_company_for (cf_agency_t *self, const char *consultancy,
                       const char *uscc, int64_t now, char **company_p)
{
    assert (self && company_p);
    *company_p = NULL;
    if (s_blank (consultancy) || s_blank (uscc) ||
        strlen (consultancy) > CF_STORE_ID_MAX)
        return CF_ENOTFOUND;
    Cf__Appointment **list = NULL;
    size_t count = 0;
    int rc = s_appointments (self, consultancy, NULL, &list, &count);
    for (size_t index = 0; rc == 0 && index < count && !*company_p; index++)
        if (strcmp (list[index]->uscc, uscc) == 0 &&
            s_runs (list[index], CF_ACT_SUBMIT, now))
            *company_p = cf_mem_check (strdup (list[index]->company));
    cf_store_appointments_free (&list, count);
    if (rc == 0 && !*company_p)
        rc = CF_ENOTFOUND;
    return rc;
}
