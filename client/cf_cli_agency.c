/*  =========================================================================
    cf_cli_agency - consultancies, the companies they act for, appointments

    appointment add, end and list are the administrator's record of which
    consultancy acts for which company; a consultancy or a company lists
    the appointments that concern it.
    =========================================================================
*/

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cf_cli_private.h"
#include "cf_fsm.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_show.h"

//  Sets *field to option name's value, when given
static void
s_option (cf_cli_t *cli, const char *name, char **field)
{
    const char *value = cf_cli_option (cli, name, 0);
    if (value)
        cf_pb_set_string (field, value);
}

//  Prints the appointment of an OK reply, as JSON or as text after what
static int
s_print_appointment (cf_cli_t *cli, Cf__Reply *reply, const char *what)
{
    if (reply->body_case != CF__REPLY__BODY_APPOINTMENT) {
        fprintf (cf_cli_err (cli),
                 "certflow: the daemon's reply holds no appointment\n");
        cf_pb_free (&reply);
        return CF_CLI_UNREACHABLE;
    }
    if (cf_cli_json (cli))
        cf_cli_print_json (cli, &reply->base);
    else {
        fprintf (cf_cli_out (cli), "%s\n", what);
        cf_show_appointment (cf_cli_out (cli), reply->appointment);
    }
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_appointment_add (cf_cli_t *cli)
{
    Cf__Request *request =
        cf_cli_request_new (CF__REQUEST__BODY_APPOINTMENT_ADD);
    Cf__Appointment *asked = cf_pb_new (&cf__appointment__descriptor);
    request->appointment_add = asked;
    cf_pb_set_string (&asked->consultancy, cf_cli_arg (cli, 0));
    cf_pb_set_string (&asked->company, cf_cli_arg (cli, 1));
    s_option (cli, "uscc", &asked->uscc);
    s_option (cli, "from", &asked->from);
    s_option (cli, "reference", &asked->reference);
    for (size_t index = 0; index < cf_cli_option_count (cli, "act"); index++)
        cf_pb_append_string (&asked->n_acts, &asked->acts,
                             cf_cli_option (cli, "act", index));
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    return s_print_appointment (cli, reply, "appointment recorded");
}

static int
s_appointment_end (cf_cli_t *cli)
{
    const char *reason = cf_cli_option (cli, "reason", 0);
    if (!reason || !*reason)
        return cf_cli_usage_error (
            cli, "give --reason TEXT: why the appointment ends (the "
                 "company's notice, the contract's end, ...)");
    Cf__Request *request =
        cf_cli_request_new (CF__REQUEST__BODY_APPOINTMENT_END);
    Cf__AppointmentEnd *end = cf_pb_new (&cf__appointment_end__descriptor);
    request->appointment_end = end;
    cf_pb_set_string (&end->consultancy, cf_cli_arg (cli, 0));
    cf_pb_set_string (&end->company, cf_cli_arg (cli, 1));
    cf_pb_set_string (&end->reason, reason);
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    return s_print_appointment (cli, reply, "appointment ended");
}

static int
s_appointment_list (cf_cli_t *cli)
{
    Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_APPOINTMENTS);
    Cf__AppointmentQuery *query =
        cf_pb_new (&cf__appointment_query__descriptor);
    request->appointments = query;
    s_option (cli, "consultancy", &query->consultancy);
    s_option (cli, "company", &query->company);
    query->ended = cf_cli_option (cli, "ended", 0) != NULL;
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (cf_cli_json (cli))
        cf_cli_print_json (cli, &reply->base);
    else if (reply->body_case == CF__REPLY__BODY_APPOINTMENT_LIST) {
        const Cf__AppointmentList *list = reply->appointment_list;
        for (size_t index = 0; index < list->n_appointments; index++)
            cf_show_appointment (cf_cli_out (cli), list->appointments[index]);
        if (list->n_appointments == 0)
            fputs (query->ended ? "no appointments\n"
                                : "no running appointments (--ended lists "
                                  "the ended ones too)\n",
                   cf_cli_out (cli));
    }
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

//  Largest page asked for while gathering a client's cases and certificates
#define S_PAGE 100

//  Appends company's open cases to client, a page at a time
static int
s_client_cases (cf_cli_t *cli, const char *company, Cf__Client *client)
{
    char *after = cf_mem_check (strdup (""));
    int rc = 0;
    while (rc == 0) {
        Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_LIST);
        request->list = cf_pb_new (&cf__list_request__descriptor);
        cf_pb_set_string (&request->list->org, company);
        cf_pb_set_string (&request->list->after, after);
        request->list->limit = S_PAGE;
        Cf__Reply *reply;
        rc = cf_cli_request (cli, request, &reply);
        if (rc)
            break;
        const Cf__Page *page =
            reply->body_case == CF__REPLY__BODY_PAGE ? reply->page : NULL;
        for (size_t index = 0; page && index < page->n_cases; index++)
            if (!cf_fsm_state_terminal ((cf_state_t)page->cases[index]->state))
                cf_pb_append (&client->n_cases, (void ***)&client->cases,
                              cf_pb_dup (&page->cases[index]->base));
        //  Only forward: a cursor that does not move would loop for ever
        bool more = page && *page->next && strcmp (page->next, after) > 0;
        if (more)
            cf_pb_set_string (&after, page->next);
        cf_pb_free (&reply);
        if (!more)
            break;
    }
    free (after);
    return rc;
}

//  Appends company's certificates to client, a page at a time
static int
s_client_certificates (cf_cli_t *cli, const char *company, Cf__Client *client)
{
    char *after = cf_mem_check (strdup (""));
    int rc = 0;
    while (rc == 0) {
        Cf__Request *request =
            cf_cli_request_new (CF__REQUEST__BODY_CERTIFICATES);
        request->certificates = cf_pb_new (&cf__certificate_query__descriptor);
        cf_pb_set_string (&request->certificates->org, company);
        cf_pb_set_string (&request->certificates->after, after);
        request->certificates->limit = S_PAGE;
        Cf__Reply *reply;
        rc = cf_cli_request (cli, request, &reply);
        if (rc)
            break;
        const Cf__CertificateList *list =
            reply->body_case == CF__REPLY__BODY_CERTIFICATES
                ? reply->certificates
                : NULL;
        for (size_t index = 0; list && index < list->n_certificates; index++)
            cf_pb_append (&client->n_certificates,
                          (void ***)&client->certificates,
                          cf_pb_dup (&list->certificates[index]->base));
        bool more = list && *list->next && strcmp (list->next, after) > 0;
        if (more)
            cf_pb_set_string (&after, list->next);
        cf_pb_free (&reply);
        if (!more)
            break;
    }
    free (after);
    return rc;
}

static void
s_show_client (cf_cli_t *cli, const Cf__Client *client)
{
    FILE *out = cf_cli_out (cli);
    cf_show_appointment (out, client->appointment);
    for (size_t index = 0; index < client->n_cases; index++) {
        fputs ("    ", out);
        cf_show_case_line (out, client->cases[index]);
    }
    if (client->n_cases == 0)
        fputs ("    no open case\n", out);
    for (size_t index = 0; index < client->n_certificates; index++) {
        const Cf__Certificate *cert = client->certificates[index];
        fprintf (out, "    certificate %s %s, %s, expires %s\n", cert->number,
                 cf_show_cert_status (cert->status), cert->grade,
                 cert->expiry_date);
    }
}

static int
s_clients (cf_cli_t *cli)
{
    Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_APPOINTMENTS);
    request->appointments = cf_pb_new (&cf__appointment_query__descriptor);
    s_option (cli, "consultancy", &request->appointments->consultancy);
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    Cf__ClientList *clients = cf_pb_new (&cf__client_list__descriptor);
    const Cf__AppointmentList *list =
        reply->body_case == CF__REPLY__BODY_APPOINTMENT_LIST
            ? reply->appointment_list
            : NULL;
    for (size_t index = 0; list && rc == 0 && index < list->n_appointments;
         index++) {
        const Cf__Appointment *appointment = list->appointments[index];
        Cf__Client *client = cf_pb_new (&cf__client__descriptor);
        client->appointment = cf_pb_dup (&appointment->base);
        cf_pb_append (&clients->n_clients, (void ***)&clients->clients, client);
        rc = s_client_cases (cli, appointment->company, client);
        if (rc == 0)
            rc = s_client_certificates (cli, appointment->company, client);
    }
    cf_pb_free (&reply);
    if (rc == 0 && cf_cli_json (cli))
        cf_cli_print_json (cli, &clients->base);
    else if (rc == 0) {
        for (size_t index = 0; index < clients->n_clients; index++)
            s_show_client (cli, clients->clients[index]);
        if (clients->n_clients == 0)
            fputs ("no company has appointed you (an administrator records "
                   "appointments)\n",
                   cf_cli_out (cli));
    }
    cf_pb_free (&clients);
    return rc ? rc : CF_CLI_OK;
}

// clang-format off
static const cf_cli_option_t s_clients_options[] = {
    {"consultancy", "ORG", false, "staff: the consultancy whose clients"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_add_options[] = {
    {"uscc",      "CODE", false, "the company's unified social credit code "
                                 "(required the first time)"},
    {"from",      "DATE", false, "first day it runs, YYYY-MM-DD (default: "
                                 "today)"},
    {"act",       "ACT",  true,  "submit, respond or withdraw (repeat; "
                                 "default: all three)"},
    {"reference", "TEXT", false, "the company's letter of appointment"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_end_options[] = {
    {"reason", "TEXT", false, "why it ends (required)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_list_options[] = {
    {"consultancy", "ORG", false, "only this consultancy's"},
    {"company",     "ORG", false, "only those for this company"},
    {"ended",       NULL,  false, "the ended ones too"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_command_t s_commands[] = {
    {"appointment add", "CONSULTANCY COMPANY [--uscc CODE] [--from DATE] "
     "[--act ACT]... [--reference TEXT]",
     "record that a consultancy acts for a company (admin)",
     "CONSULTANCY and COMPANY are organizations: the org of their users'\n"
     "certificates (certflow identity issue NAME applicant --org ORG).\n"
     "The consultancy's users may then, while it runs, read the company's\n"
     "cases and certificates and do the acts appointed:\n"
     "  submit    submit applications for it and follow its cases\n"
     "  respond   answer supplement requests and rectifications\n"
     "  withdraw  withdraw its applications\n"
     "Signing the contract and cancelling a certificate stay the\n"
     "company's own acts. The first appointment of a company records its\n"
     "credit code; an org whose own users applied is a company and cannot\n"
     "be a consultancy.",
     2, 2, s_add_options, s_appointment_add},
    {"appointment end", "CONSULTANCY COMPANY --reason TEXT",
     "end a consultancy's appointment by a company (admin)",
     "From that moment its users are refused the company's cases and\n"
     "certificates on every channel. The appointment stays on record with\n"
     "who ended it, when and why.",
     2, 2, s_end_options, s_appointment_end},
    {"clients", "[--consultancy ORG]",
     "the companies you act for, with their open cases and certificates",
     "For a consultancy's user: each company whose appointment runs, the\n"
     "acts appointed, its open cases and its certificates. Staff name the\n"
     "consultancy with --consultancy (else every running appointment).",
     0, 0, s_clients_options, s_clients},
    {"appointment list", "[--consultancy ORG] [--company ORG] [--ended]",
     "list appointments (staff; a consultancy or company: its own)",
     NULL, 0, 0, s_list_options, s_appointment_list},
    {NULL, NULL, NULL, NULL, 0, 0, NULL, NULL},
};
// clang-format on

const cf_cli_command_t *
cf_cli_agency_commands (void)
{
    return s_commands;
}
