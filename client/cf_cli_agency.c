/*  =========================================================================
    cf_cli_agency - consultancies, the companies they act for, appointments

    appointment add, end and list are the administrator's record of which
    consultancy acts for which company; a consultancy or a company lists
    the appointments that concern it.
    =========================================================================
*/

#include <inttypes.h>
#include <string.h>

#include "cf_cli_private.h"
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

// clang-format off
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
