/*  =========================================================================
    cf_cli_admin - the daemon, staff, identity and certificate commands

    ping and whoami check the connection and who the daemon thinks you are;
    incidents and retry handle parked jobs; staff and identity are the
    admin's; dot needs no daemon. The certificate commands are in
    cf_cli_cert.c.
    =========================================================================
*/

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <czmq.h>

#include "cf_certfsm.h"
#include "cf_certificate.h"
#include "cf_cli_private.h"
#include "cf_date.h"
#include "cf_fsm.h"
#include "cf_json.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_show.h"

static Cf__Request *
s_request_new (Cf__Request__BodyCase body_case)
{
    Cf__Request *request = cf_pb_new (&cf__request__descriptor);
    request->body_case = body_case;
    return request;
}

//  Sends a request that has no body but a flag (ping, whoami, incidents,
//  staff_list) and returns its reply as cf_cli_request does.
static int
s_ask_flag (cf_cli_t *cli, Cf__Request__BodyCase body_case, Cf__Reply **reply_p)
{
    Cf__Request *request = s_request_new (body_case);
    //  The flags share one slot of the oneof: any of them says "yes"
    switch (body_case) {
        case CF__REQUEST__BODY_PING:
            request->ping = true;
            break;
        case CF__REQUEST__BODY_WHOAMI:
            request->whoami = true;
            break;
        case CF__REQUEST__BODY_INCIDENTS:
            request->incidents = true;
            break;
        case CF__REQUEST__BODY_STAFF_LIST:
            request->staff_list = true;
            break;
        default:
            assert (false);
    }
    return cf_cli_request (cli, request, reply_p);
}

//  Prints reply as JSON in --json mode; returns true when it did.
static bool
s_printed_json (cf_cli_t *cli, Cf__Reply *reply)
{
    if (cf_cli_json (cli))
        cf_cli_print_json (cli, &reply->base);
    return cf_cli_json (cli);
}

//  ------------------------------------------------------------------------
//  The daemon

static int
s_ping (cf_cli_t *cli)
{
    Cf__Reply *reply;
    int rc = s_ask_flag (cli, CF__REQUEST__BODY_PING, &reply);
    if (rc)
        return rc;
    if (!s_printed_json (cli, reply))
        fprintf (cf_cli_out (cli),
                 "certflowd at %s is up; latest event %" PRIu64 "\n",
                 cf_cli_setting (cli, "client-endpoint"),
                 reply->body_case == CF__REPLY__BODY_SEQ ? reply->seq : 0);
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_whoami (cf_cli_t *cli)
{
    Cf__Reply *reply;
    int rc = s_ask_flag (cli, CF__REQUEST__BODY_WHOAMI, &reply);
    if (rc)
        return rc;
    if (!s_printed_json (cli, reply) &&
        reply->body_case == CF__REPLY__BODY_PRINCIPAL) {
        const Cf__Principal *who = reply->principal;
        fprintf (cf_cli_out (cli), "%s, role %s%s%s\nkey %s\n", who->name,
                 cf_fsm_role_name ((cf_role_t)who->role),
                 *who->org ? ", org " : "", who->org, who->key);
    }
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_incidents (cf_cli_t *cli)
{
    Cf__Reply *reply;
    int rc = s_ask_flag (cli, CF__REQUEST__BODY_INCIDENTS, &reply);
    if (rc)
        return rc;
    if (!s_printed_json (cli, reply) &&
        reply->body_case == CF__REPLY__BODY_JOBS) {
        for (size_t index = 0; index < reply->jobs->n_jobs; index++)
            cf_show_job (cf_cli_out (cli), reply->jobs->jobs[index]);
        if (reply->jobs->n_jobs == 0)
            fputs ("no incidents\n", cf_cli_out (cli));
    }
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_retry (cf_cli_t *cli)
{
    uint64_t job;
    int rc =
        cf_cli_number (cli, "JOB", cf_cli_arg (cli, 0), 1, UINT64_MAX, &job);
    if (rc)
        return rc;
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_RETRY);
    request->retry = cf_pb_new (&cf__job_ref__descriptor);
    request->retry->job = job;
    Cf__Reply *reply;
    rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (!s_printed_json (cli, reply))
        fprintf (cf_cli_out (cli), "job %" PRIu64 " is ready again\n", job);
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_dot (cf_cli_t *cli)
{
    if (cf_cli_option (cli, "certificate", 0))
        cf_certfsm_dot (cf_cli_out (cli));
    else
        cf_fsm_dot (cf_cli_out (cli));
    //  On a terminal the text alone helps no one: say how to draw it
    if (isatty (fileno (cf_cli_out (cli))))
        fputs ("certflow: this is Graphviz dot; draw it with: certflow dot | "
               "dot -Tsvg > lifecycle.svg (apt install graphviz)\n",
               cf_cli_err (cli));
    return CF_CLI_OK;
}

//  ------------------------------------------------------------------------
//  Staff

static int
s_staff_put (cf_cli_t *cli)
{
    const char *path = cf_cli_arg (cli, 0);
    char *text;
    size_t size;
    int rc = cf_cli_read_file (cli, path, &text, &size);
    if (rc)
        return rc;
    Cf__Staff *staff = NULL;
    cf_problems_t *problems = cf_problems_new ();
    if (cf_json_staff (text, size, &staff, problems))
        rc = cf_cli_input_error (cli, path, problems);
    cf_problems_destroy (&problems);
    free (text);
    if (rc)
        return rc;
    char *id = cf_mem_check (strdup (staff->id));
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_STAFF_PUT);
    request->staff_put = cf_pb_new (&cf__staff_request__descriptor);
    request->staff_put->staff = staff;
    Cf__Reply *reply;
    rc = cf_cli_request (cli, request, &reply);
    if (rc == 0 && !s_printed_json (cli, reply))
        fprintf (cf_cli_out (cli), "staff %s saved\n", id);
    free (id);
    cf_pb_free (&reply);
    return rc;
}

static int
s_staff_list (cf_cli_t *cli)
{
    Cf__Reply *reply;
    int rc = s_ask_flag (cli, CF__REQUEST__BODY_STAFF_LIST, &reply);
    if (rc)
        return rc;
    if (!s_printed_json (cli, reply) &&
        reply->body_case == CF__REPLY__BODY_STAFF) {
        for (size_t index = 0; index < reply->staff->n_staff; index++)
            cf_show_staff (cf_cli_out (cli), reply->staff->staff[index]);
        if (reply->staff->n_staff == 0)
            fputs ("no staff\n", cf_cli_out (cli));
    }
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

//  ------------------------------------------------------------------------
//  Identities

//  Writes size bytes to fd; returns 0 or an errno value.
static int
s_write_all (int fd, const uint8_t *data, size_t size)
{
    while (size > 0) {
        ssize_t written = write (fd, data, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            return errno;
        data += written;
        size -= (size_t)written;
    }
    return fsync (fd) == 0 ? 0 : errno;
}

static int
s_identity_issue (cf_cli_t *cli)
{
    const char *name = cf_cli_arg (cli, 0);
    const char *role_name = cf_cli_arg (cli, 1);
    const char *org = cf_cli_option (cli, "org", 0);
    const char *out_path = cf_cli_option (cli, "out", 0);
    cf_role_t role;
    if (cf_fsm_role_from_name (role_name, &role) || role == CF_ROLE_SYSTEM)
        return cf_cli_usage_error (
            cli,
            "'%s' is not a role; write applicant, reviewer, auditor, "
            "committee, admin, worker or monitor",
            role_name);
    if (role == CF_ROLE_APPLICANT && (!org || !*org))
        return cf_cli_usage_error (
            cli, "an applicant needs --org ORG: the organization whose "
                 "cases it may see");
    if (!out_path || !*out_path)
        return cf_cli_usage_error (
            cli, "give --out FILE: where to write the new secret "
                 "certificate");
    //  Made first, and only by us: never overwrite a file with a secret,
    //  and never issue an identity whose secret has nowhere to go
    int fd = open (out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return cf_cli_usage_error (
            cli, "--out %s: cannot create it (%s); name a new file", out_path,
            strerror (errno));
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_IDENTITY_ISSUE);
    request->identity_issue = cf_pb_new (&cf__issue_identity__descriptor);
    cf_pb_set_string (&request->identity_issue->name, name);
    request->identity_issue->role = (Cf__Role)role;
    cf_pb_set_string (&request->identity_issue->org, org);
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc == 0 && reply->body_case != CF__REPLY__BODY_IDENTITY) {
        fprintf (cf_cli_err (cli),
                 "certflow: the daemon's reply holds no identity\n");
        rc = CF_CLI_UNREACHABLE;
    }
    if (rc) {
        close (fd);
        unlink (out_path);
        cf_pb_free (&reply);
        return rc;
    }
    Cf__IdentityIssued *identity = reply->identity;
    int error =
        s_write_all (fd, identity->certificate.data, identity->certificate.len);
    if (close (fd) != 0 && error == 0)
        error = errno;
    if (error) {
        fprintf (cf_cli_err (cli),
                 "certflow: cannot write %s (%s); identity %s was issued: "
                 "revoke it with 'certflow identity revoke %s' and issue "
                 "again\n",
                 out_path, strerror (error), identity->public_key,
                 identity->public_key);
        unlink (out_path);
        cf_pb_free (&reply);
        return CF_CLI_USAGE;
    }
    //  The secret went to the file; it is not repeated on the output
    if (cf_cli_json (cli)) {
        free (identity->certificate.data);
        identity->certificate.data = NULL;
        identity->certificate.len = 0;
        cf_cli_print_json (cli, &reply->base);
    } else
        fprintf (cf_cli_out (cli),
                 "issued %s (%s%s%s): public key %s\nsecret certificate "
                 "written to %s (mode 0600): hand it to %s only\n",
                 name, role_name, org ? ", org " : "", org ? org : "",
                 identity->public_key, out_path, name);
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_identity_revoke (cf_cli_t *cli)
{
    const char *key = cf_cli_arg (cli, 0);
    if (strlen (key) != 40)
        return cf_cli_usage_error (
            cli,
            "'%s' is not a public key: write the 40-character Z85 key "
            "that 'identity issue' or 'whoami' printed",
            key);
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_IDENTITY_REVOKE);
    request->identity_revoke = cf_pb_new (&cf__revoke_identity__descriptor);
    cf_pb_set_string (&request->identity_revoke->key, key);
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (!s_printed_json (cli, reply))
        fprintf (cf_cli_out (cli), "revoked %s\n", key);
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

//  ------------------------------------------------------------------------
//  The table

// clang-format off
static const cf_cli_option_t s_dot_options[] = {
    {"certificate", NULL, false, "the certificate's machine after issuance"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_issue_options[] = {
    {"org", "ORG",  false, "organization of an applicant (required for one)"},
    {"out", "FILE", false, "new file for the secret certificate (required)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_command_t s_commands[] = {
    {"ping", "", "check that certflowd answers; prints the latest event seq",
     NULL, 0, 0, NULL, s_ping},
    {"whoami", "", "show who the daemon takes you for (name, role, org, key)",
     NULL, 0, 0, NULL, s_whoami},
    {"incidents", "", "list parked jobs (staff)", NULL, 0, 0, NULL,
     s_incidents},
    {"retry", "JOB", "make a parked job ready again (admin)", NULL, 1, 1, NULL,
     s_retry},
    {"staff put", "FILE.json", "add or change a staff record (admin)",
     "See examples/staff/AUD001.json.", 1, 1, NULL, s_staff_put},
    {"staff list", "", "list the staff records (staff)", NULL, 0, 0, NULL,
     s_staff_list},
    {"identity issue", "NAME ROLE [--org ORG] --out FILE",
     "issue a certificate for a person or worker (admin)",
     "ROLE: applicant, reviewer, auditor, committee, admin, worker or\n"
     "monitor. The secret certificate is written to FILE with mode 0600.",
     2, 2, s_issue_options, s_identity_issue},
    {"identity revoke", "KEY", "revoke a certificate by public key (admin)",
     NULL, 1, 1, NULL, s_identity_revoke},
    {"dot", "[--certificate]",
     "print the case's (or the certificate's) state machine as Graphviz dot "
     "(no daemon needed)",
     "Render it with Graphviz (apt install graphviz):\n"
     "  certflow dot | dot -Tsvg > lifecycle.svg\n"
     "  certflow dot --certificate | dot -Tsvg > certificate.svg",
     0, 0, s_dot_options, s_dot},
    {NULL, NULL, NULL, NULL, 0, 0, NULL, NULL},
};
// clang-format on

const cf_cli_command_t *
cf_cli_admin_commands (void)
{
    return s_commands;
}
