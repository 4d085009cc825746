/*  =========================================================================
    cf_cli_cert - the certificate commands

    certificate check and show read the register; suspend, restore,
    withdraw, cancel and reissue are decisions on a certificate; history
    lists its changes; certificates pages the register by status, holder
    and what falls due; surveillance open starts a certificate's next visit.
    =========================================================================
*/

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cf_certfsm.h"
#include "cf_certificate.h"
#include "cf_cli_private.h"
#include "cf_date.h"
#include "cf_document.h"
#include "cf_file.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_seal.h"
#include "cf_show.h"

//  Asks for certificate number, written as people write it: case and
//  spaces do not matter ("cfc 2026 sc00001" is CFC2026SC00001), on a day
//  (NULL: today); 0 with the reply holding it.
static int
s_ask_certificate (cf_cli_t *cli, const char *number, const char *on,
                   Cf__Reply **reply_p)
{
    char *normal = cf_certificate_normal_number (number);
    Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_CERTIFICATE);
    request->certificate = cf_pb_new (&cf__certificate_ref__descriptor);
    cf_pb_set_string (&request->certificate->number, normal);
    cf_pb_set_string (&request->certificate->on, on ? on : "");
    free (normal);
    int rc = cf_cli_request (cli, request, reply_p);
    if (rc == 0 && (*reply_p)->body_case != CF__REPLY__BODY_CERTIFICATE) {
        fprintf (cf_cli_err (cli),
                 "certflow: the daemon's reply holds no certificate\n");
        cf_pb_free (reply_p);
        rc = CF_CLI_UNREACHABLE;
    }
    return rc;
}

//  Prints the certificate's visits, one line each
static void
s_show_visits (cf_cli_t *cli, const Cf__Certificate *cert)
{
    for (size_t index = 0; index < cert->n_visits; index++) {
        const Cf__Visit *visit = cert->visits[index];
        fprintf (cf_cli_out (cli), "  visit %zu due %s: %s", index + 1,
                 visit->due, *visit->outcome ? visit->outcome : "to be made");
        if (*visit->case_id)
            fprintf (cf_cli_out (cli), " (case %s%s%s)", visit->case_id,
                     *visit->date ? ", " : "", visit->date);
        fprintf (cf_cli_out (cli), "%s\n",
                 visit->missed ? "; missed its due date" : "");
    }
}

//  One line for a certificate in a list
static void
s_show_line (cf_cli_t *cli, const Cf__Certificate *cert)
{
    fprintf (cf_cli_out (cli), "%-16s %-10s %-11s expires %s  %s", cert->number,
             cf_show_cert_status (cert->status), cert->grade, cert->expiry_date,
             cert->company_name);
    for (size_t index = 0; index < cert->n_visits; index++)
        if (strcmp (cert->visits[index]->outcome, CF_VISIT_MAINTAINED) &&
            strcmp (cert->visits[index]->outcome, CF_VISIT_GRADE_CHANGED)) {
            fprintf (cf_cli_out (cli), "; next visit due %s%s",
                     cert->visits[index]->due,
                     strcmp (cert->visits[index]->outcome, CF_VISIT_OPEN) == 0
                         ? " (open)"
                         : "");
            break;
        }
    if (*cert->superseded_by)
        fprintf (cf_cli_out (cli), "; superseded by %s", cert->superseded_by);
    fputc ('\n', cf_cli_out (cli));
}

//  Prints why the star rule lowered the certificate's grade, when it did,
//  with the date stars become possible when the case record may be read
static void
s_certificate_star_rule (cf_cli_t *cli, const cf_scheme_t *scheme,
                         const Cf__Certificate *cert)
{
    const cf_grade_t *scored =
        cf_scheme_grade (scheme, (int32_t)(cert->score * 10.0 + 0.5));
    const cf_grade_t *granted = cf_scheme_grade_named (scheme, cert->grade);
    if (!scored || !scored->stars || !granted || granted->stars)
        return;
    char rule[400];
    Cf__Case *record = cf_cli_case_record (cli, cert->case_id);
    if (!record || !cf_show_case_star_rule (scheme, record, rule, sizeof rule))
        cf_show_star_rule (scheme, cert->score, scored, granted, NULL, rule,
                           sizeof rule);
    fprintf (cf_cli_out (cli), "grade: %s\n", rule);
    cf_pb_free (&record);
}

static int
s_certificate_show (cf_cli_t *cli)
{
    //  The scheme gives the labels on the document; read it before asking
    cf_scheme_t *scheme = NULL;
    const char *path = cf_cli_option (cli, "scheme", 0);
    cf_problems_t *problems = cf_problems_new ();
    int rc = path ? cf_scheme_load (path, &scheme, problems)
                  : cf_scheme_default (&scheme);
    if (rc)
        rc =
            cf_cli_input_error (cli, path ? path : "built-in scheme", problems);
    cf_problems_destroy (&problems);
    Cf__Reply *reply = NULL;
    if (rc == 0)
        rc = s_ask_certificate (cli, cf_cli_arg (cli, 0), NULL, &reply);
    if (rc == 0 && !cf_cli_printed_json (cli, reply)) {
        char *document =
            cf_certificate_render (scheme, reply->certificate, NULL);
        fputs (document, cf_cli_out (cli));
        free (document);
        s_certificate_star_rule (cli, scheme, reply->certificate);
    }
    cf_pb_free (&reply);
    cf_scheme_destroy (&scheme);
    return rc;
}

static int
s_certificate_check (cf_cli_t *cli)
{
    Cf__Reply *reply;
    const char *on = cf_cli_option (cli, "on", 0);
    int rc = s_ask_certificate (cli, cf_cli_arg (cli, 0), on, &reply);
    if (rc)
        return rc;
    const Cf__Certificate *cert = reply->certificate;
    //  A stored "valid" may have run out since: judge it on the daemon's
    //  date (one clock); on another date the daemon read it from the history
    Cf__CertStatus status =
        on ? cert->status
           : cf_certificate_status_on (cert, cf_date_from_ms (reply->now));
    if (!cf_cli_printed_json (cli, reply)) {
        if (on)
            fprintf (cf_cli_out (cli), "on %s: %s since %s (%s)\n", on,
                     cf_show_cert_status (status), cert->status_date,
                     cert->status_reason);
        cf_scheme_t *scheme = NULL;
        if (cf_scheme_default (&scheme))
            scheme = NULL;
        fprintf (cf_cli_out (cli),
                 "%s: %s; grade %s, score %.1f; expires %s; holder %s (USCC "
                 "%s)\n",
                 cert->number, cf_show_cert_status (status),
                 cf_show_grade (scheme, cert->grade), cert->score,
                 cert->expiry_date, cert->company_name, cert->uscc);
        if (cert->suspension)
            fprintf (cf_cli_out (cli),
                     "suspended %s to %s (%s, confirmed %s)\n",
                     cert->suspension->from, cert->suspension->until,
                     cert->suspension->trigger, cert->suspension->trigger_date);
        if (*cert->superseded_by)
            fprintf (cf_cli_out (cli), "superseded by %s\n",
                     cert->superseded_by);
        if (*cert->replaces)
            fprintf (cf_cli_out (cli), "replaces %s\n", cert->replaces);
        s_show_visits (cli, cert);
        if (scheme)
            s_certificate_star_rule (cli, scheme, cert);
        cf_scheme_destroy (&scheme);
    }
    cf_pb_free (&reply);
    return status == CF__CERT_STATUS__CERT_STATUS_VALID ? CF_CLI_OK
                                                        : CF_CLI_REFUSED;
}

//  A decision on a certificate: event with the options' reason and terms
static int
s_certificate_decide (cf_cli_t *cli, cf_cert_event_t event)
{
    const char *reason = cf_cli_option (cli, "reason", 0);
    if (!reason || !*reason)
        return cf_cli_usage_error (
            cli, "%s needs --reason TEXT, recorded with the decision",
            cf_certfsm_event_name (event));
    Cf__CertificateFire *fire = cf_pb_new (&cf__certificate_fire__descriptor);
    char *normal = cf_certificate_normal_number (cf_cli_arg (cli, 0));
    cf_pb_set_string (&fire->number, normal);
    free (normal);
    cf_pb_set_string (&fire->event, cf_certfsm_event_name (event));
    fire->change = cf_pb_new (&cf__certificate_change__descriptor);
    cf_pb_set_string (&fire->change->reason, reason);
    if (event == CF_CERT_EVENT_SUSPENDED) {
        const char *trigger = cf_cli_option (cli, "trigger", 0);
        const char *date = cf_cli_option (cli, "trigger-date", 0);
        const char *months = cf_cli_option (cli, "months", 0);
        uint64_t value = 0;
        int rc = 0;
        if (!trigger || !date)
            rc = cf_cli_usage_error (
                cli, "suspend needs --trigger T (missed_surveillance, "
                     "surveillance_finding, holder_request, misuse, "
                     "unpaid_fees) and --trigger-date YYYY-MM-DD");
        else if (months)
            rc = cf_cli_number (cli, "--months", months, 1,
                                CF_SCHEME_SUSPENSION_MONTHS_LIMIT, &value);
        if (rc) {
            cf_pb_free (&fire);
            return rc;
        }
        cf_pb_set_string (&fire->change->trigger, trigger);
        cf_pb_set_string (&fire->change->trigger_date, date);
        fire->change->months = (uint32_t)value;
    }
    Cf__Request *request =
        cf_cli_request_new (CF__REQUEST__BODY_CERTIFICATE_FIRE);
    request->certificate_fire = fire;
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (!cf_cli_printed_json (cli, reply) &&
        reply->body_case == CF__REPLY__BODY_CERTIFICATE) {
        const Cf__Certificate *cert = reply->certificate;
        fprintf (cf_cli_out (cli), "%s: %s on %s", cert->number,
                 cf_show_cert_status (cert->status), cert->status_date);
        if (cert->suspension)
            fprintf (cf_cli_out (cli), " until %s (%s, confirmed %s)",
                     cert->suspension->until, cert->suspension->trigger,
                     cert->suspension->trigger_date);
        fprintf (cf_cli_out (cli), ": %s\n", cert->status_reason);
    }
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_certificate_suspend (cf_cli_t *cli)
{
    return s_certificate_decide (cli, CF_CERT_EVENT_SUSPENDED);
}

static int
s_certificate_restore (cf_cli_t *cli)
{
    return s_certificate_decide (cli, CF_CERT_EVENT_RESTORED);
}

static int
s_certificate_withdraw (cf_cli_t *cli)
{
    return s_certificate_decide (cli, CF_CERT_EVENT_WITHDRAWN);
}

static int
s_certificate_cancel (cf_cli_t *cli)
{
    return s_certificate_decide (cli, CF_CERT_EVENT_CANCELLED);
}

//  Reads --due: "90d" from the daemon's today, or a date
static int
s_due_by (cf_cli_t *cli, const char *due, int64_t now, char day[11])
{
    cf_day_t date;
    size_t length = strlen (due);
    if (cf_date_parse (due, &date) == 0) {
        cf_date_format (date, day);
        return 0;
    }
    uint64_t days = 0;
    char *number = cf_mem_check (strndup (due, length ? length - 1 : 0));
    int rc = length > 1 && due[length - 1] == 'd'
                 ? cf_cli_number (cli, "--due", number, 0, 3660, &days)
                 : cf_cli_usage_error (cli,
                                       "--due takes a number of days (90d) "
                                       "or a date YYYY-MM-DD, not '%s'",
                                       due);
    free (number);
    if (rc == 0)
        cf_date_format (cf_date_from_ms (now) + (cf_day_t)days, day);
    return rc;
}

//  The daemon's clock, for "today" (one clock): a ping's reply carries it
static int
s_daemon_now (cf_cli_t *cli, int64_t *now)
{
    Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_PING);
    request->ping = true;
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc == 0)
        *now = reply->now;
    cf_pb_free (&reply);
    return rc;
}

static int
s_certificates (cf_cli_t *cli)
{
    Cf__CertificateQuery *query =
        cf_pb_new (&cf__certificate_query__descriptor);
    const char *status = cf_cli_option (cli, "status", 0);
    int rc = 0;
    if (status) {
        int value = CF__CERT_STATUS__CERT_STATUS_VALID;
        while (value <= CF__CERT_STATUS__CERT_STATUS_SUPERSEDED &&
               strcmp (cf_certfsm_status_name ((Cf__CertStatus)value), status))
            value++;
        if (value > CF__CERT_STATUS__CERT_STATUS_SUPERSEDED)
            rc = cf_cli_usage_error (cli,
                                     "--status is valid, suspended, withdrawn, "
                                     "cancelled, expired or superseded, not "
                                     "'%s'",
                                     status);
        query->status = (Cf__CertStatus)value;
    }
    const char *org = cf_cli_option (cli, "org", 0);
    cf_pb_set_string (&query->org, org ? org : "");
    const char *due = cf_cli_option (cli, "due", 0);
    int64_t now = 0;
    char day[11];
    if (rc == 0 && due)
        rc = s_daemon_now (cli, &now);
    if (rc == 0 && due)
        rc = s_due_by (cli, due, now, day);
    if (rc == 0 && due)
        cf_pb_set_string (&query->due_by, day);
    uint64_t limit = 0;
    const char *text = cf_cli_option (cli, "limit", 0);
    if (rc == 0 && text)
        rc = cf_cli_number (cli, "--limit", text, 1, 1000, &limit);
    query->limit = (uint32_t)limit;
    const char *after = cf_cli_option (cli, "after", 0);
    cf_pb_set_string (&query->after, after ? after : "");
    if (rc) {
        cf_pb_free (&query);
        return rc;
    }
    Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_CERTIFICATES);
    request->certificates = query;
    Cf__Reply *reply;
    rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (!cf_cli_printed_json (cli, reply) &&
        reply->body_case == CF__REPLY__BODY_CERTIFICATES) {
        const Cf__CertificateList *list = reply->certificates;
        for (size_t index = 0; index < list->n_certificates; index++)
            s_show_line (cli, list->certificates[index]);
        if (list->n_certificates == 0)
            fprintf (cf_cli_out (cli), "no certificates%s%s\n",
                     due ? " due by " : "", due ? day : "");
        if (*list->next)
            fprintf (cf_cli_out (cli),
                     "more: certflow certificates --after %s\n", list->next);
    }
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

//  The changes of a certificate: the events on its case that name it
static int
s_certificate_history (cf_cli_t *cli)
{
    Cf__Reply *reply;
    int rc = s_ask_certificate (cli, cf_cli_arg (cli, 0), NULL, &reply);
    if (rc)
        return rc;
    char *number = cf_mem_check (strdup (reply->certificate->number));
    char *case_id = cf_mem_check (strdup (reply->certificate->case_id));
    cf_pb_free (&reply);
    Cf__EventList *changes = cf_pb_new (&cf__event_list__descriptor);
    uint64_t after = 0;
    bool more = true;
    while (rc == 0 && more) {
        Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_HISTORY);
        request->history = cf_pb_new (&cf__history_request__descriptor);
        cf_pb_set_string (&request->history->case_id, case_id);
        request->history->after = after;
        rc = cf_cli_request (cli, request, &reply);
        if (rc)
            break;
        Cf__EventList *list =
            reply->body_case == CF__REPLY__BODY_EVENTS ? reply->events : NULL;
        size_t count = list ? list->n_events : 0;
        more = list && list->more && count > 0 &&
               list->events[count - 1]->seq > after;
        if (more)
            after = list->events[count - 1]->seq;
        for (size_t index = 0; index < count; index++) {
            Cf__Event *event = list->events[index];
            bool issued = strcmp (event->event, "certificate_issued") == 0;
            if ((issued || strcmp (event->certificate, number) == 0) &&
                !*event->refused) {
                cf_pb_append (&changes->n_events, (void ***)&changes->events,
                              event);
                list->events[index] = NULL;
            }
        }
        cf_pb_free (&reply);
    }
    //  --json prints what history prints: a reply holding the events
    Cf__Reply *shown = cf_pb_new (&cf__reply__descriptor);
    shown->status = CF__STATUS__STATUS_OK;
    shown->body_case = CF__REPLY__BODY_EVENTS;
    shown->events = changes;
    if (rc == 0 && !cf_cli_printed_json (cli, shown))
        for (size_t index = 0; index < changes->n_events; index++)
            cf_show_event (cf_cli_out (cli), changes->events[index], false);
    cf_pb_free (&shown);
    free (number);
    free (case_id);
    return rc;
}

static int
s_certificate_reissue (cf_cli_t *cli)
{
    const char *reason = cf_cli_option (cli, "reason", 0);
    if (!reason || !*reason)
        return cf_cli_usage_error (
            cli, "reissue needs --reason TEXT: the decision and what changed");
    Cf__CertificateReissue *edit =
        cf_pb_new (&cf__certificate_reissue__descriptor);
    char *normal = cf_certificate_normal_number (cf_cli_arg (cli, 0));
    cf_pb_set_string (&edit->number, normal);
    free (normal);
    cf_pb_set_string (&edit->reason, reason);
    const char *name = cf_cli_option (cli, "company-name", 0);
    const char *registered = cf_cli_option (cli, "registered-address", 0);
    const char *operating = cf_cli_option (cli, "operating-address", 0);
    cf_pb_set_string (&edit->company_name, name ? name : "");
    cf_pb_set_string (&edit->registered_address, registered ? registered : "");
    cf_pb_set_string (&edit->operating_address, operating ? operating : "");
    for (size_t index = 0; index < cf_cli_option_count (cli, "scope"); index++)
        cf_pb_append_string (&edit->n_scope, &edit->scope,
                             cf_cli_option (cli, "scope", index));
    Cf__Request *request =
        cf_cli_request_new (CF__REQUEST__BODY_CERTIFICATE_REISSUE);
    request->certificate_reissue = edit;
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (!cf_cli_printed_json (cli, reply) &&
        reply->body_case == CF__REPLY__BODY_CERTIFICATE)
        fprintf (cf_cli_out (cli),
                 "%s reissued as %s (%s, grade %s, valid until %s)\n",
                 reply->certificate->replaces, reply->certificate->number,
                 cf_show_cert_status (reply->certificate->status),
                 reply->certificate->grade, reply->certificate->expiry_date);
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_surveillance_open (cf_cli_t *cli)
{
    Cf__Request *request =
        cf_cli_request_new (CF__REQUEST__BODY_SURVEILLANCE_OPEN);
    request->surveillance_open = cf_pb_new (&cf__certificate_ref__descriptor);
    char *normal = cf_certificate_normal_number (cf_cli_arg (cli, 0));
    cf_pb_set_string (&request->surveillance_open->number, normal);
    free (normal);
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (!cf_cli_printed_json (cli, reply) &&
        reply->body_case == CF__REPLY__BODY_RECORD)
        fprintf (cf_cli_out (cli), "%s: surveillance visit %u of %s, in %s\n",
                 reply->record->id, reply->record->visit,
                 reply->record->subject, "audit_planning");
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

//  ------------------------------------------------------------------------
//  The signed document

//  Largest file certificate verify reads for a seal
#define S_DOCUMENT_MAX (16 * 1024 * 1024)

//  Loads the public signing key: --key FILE, else the signing-key setting
//  (CERTFLOW_SIGNING_KEY), else signing.pub beside the daemon's public
//  certificate (--server-cert: both are in DATA/keys). NULL after saying
//  why on err.
static cf_seal_key_t *
s_public_key (cf_cli_t *cli)
{
    const char *path = cf_cli_option (cli, "key", 0);
    if (!path)
        path = cf_cli_setting (cli, "signing-key");
    char *beside = NULL;
    const char *server = cf_cli_setting (cli, "server-cert");
    if (!path && server) {
        char *copy = cf_mem_check (strdup (server));
        if (asprintf (&beside, "%s/" CF_SEAL_PUBLIC_FILE, dirname (copy)) < 0)
            cf_mem_fail ();
        free (copy);
        path = beside;
    }
    if (!path) {
        fprintf (
            cf_cli_err (cli),
            "certflow: certificate verify needs the certification "
            "body's public signing key: --key FILE (its "
            "DATA/keys/" CF_SEAL_PUBLIC_FILE "), CERTFLOW_SIGNING_KEY, "
            "or --server-cert DATA/keys/daemon.cert with " CF_SEAL_PUBLIC_FILE
            " beside it\n");
        return NULL;
    }
    cf_problems_t *problems = cf_problems_new ();
    cf_seal_key_t *key = NULL;
    if (cf_seal_key_load (path, false, &key, problems) != 0) {
        for (size_t index = 0; index < cf_problems_size (problems); index++)
            fprintf (cf_cli_err (cli), "certflow: %s\n",
                     cf_problems_message (problems, index));
        fprintf (cf_cli_err (cli),
                 "certflow: give the certification body's public signing "
                 "key with --key FILE (DATA/keys/" CF_SEAL_PUBLIC_FILE ")\n");
    }
    cf_problems_destroy (&problems);
    free (beside);
    return key;
}

//  The payload of what: a URL as the QR code holds it (or as a scanner
//  prints it), else a file: a certflow PDF or text holding the payload.
//  NULL after saying why on err.
static char *
s_read_payload (cf_cli_t *cli, const char *what)
{
    if (strncmp (what, "http://", 7) == 0 ||
        strncmp (what, "https://", 8) == 0 ||
        strncmp (what, "QR-Code:", 8) == 0)
        return cf_mem_check (strdup (what));
    char *data = NULL;
    size_t size = 0;
    int error = cf_file_read (what, S_DOCUMENT_MAX, &data, &size);
    if (error) {
        fprintf (cf_cli_err (cli),
                 "certflow: cannot read %s: %s; give a certificate PDF, a "
                 "file with the QR code's text, or that text itself\n",
                 what, strerror (error));
        return NULL;
    }
    char *payload = NULL;
    if (cf_seal_find (data, size, &payload) != 0)
        fprintf (cf_cli_err (cli),
                 "certflow: %s holds no certflow seal: it is neither a PDF "
                 "written by certflow certificate pdf nor the text of its QR "
                 "code; scan the QR code (zbarimg) and pass its text\n",
                 what);
    free (data);
    return payload;
}

static int
s_certificate_pdf (cf_cli_t *cli)
{
    const char *out = cf_cli_option (cli, "out", 0);
    if (!out || !*out)
        return cf_cli_usage_error (
            cli, "certificate pdf needs --out FILE, where the PDF is written");
    Cf__Request *request =
        cf_cli_request_new (CF__REQUEST__BODY_CERTIFICATE_DOCUMENT);
    request->certificate_document =
        cf_pb_new (&cf__certificate_ref__descriptor);
    char *normal = cf_certificate_normal_number (cf_cli_arg (cli, 0));
    cf_pb_set_string (&request->certificate_document->number, normal);
    free (normal);
    Cf__Reply *reply = NULL;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (reply->body_case != CF__REPLY__BODY_DOCUMENT) {
        fprintf (cf_cli_err (cli),
                 "certflow: the daemon's reply holds no certificate document; "
                 "upgrade certflowd\n");
        cf_pb_free (&reply);
        return CF_CLI_UNREACHABLE;
    }
    const char *payload = reply->document->payload;
    cf_problems_t *problems = cf_problems_new ();
    cf_seal_t *seal = NULL;
    rc = cf_seal_parse (payload, strlen (payload), &seal, problems);
    if (rc == 0)
        rc = cf_document_pdf (seal, payload, out, problems);
    if (rc) {
        for (size_t index = 0; index < cf_problems_size (problems); index++)
            fprintf (cf_cli_err (cli), "certflow: %s\n",
                     cf_problems_message (problems, index));
        cf_problems_destroy (&problems);
        cf_seal_destroy (&seal);
        cf_pb_free (&reply);
        return rc == CF_EIO ? CF_CLI_USAGE : CF_CLI_UNREACHABLE;
    }
    char *link = cf_seal_register_link (seal);
    int width = cf_document_qr_width (payload);
    if (cf_cli_json (cli)) {
        json_object *root = json_object_new_object ();
        json_object_object_add (root, "number",
                                json_object_new_string (cf_seal_number (seal)));
        json_object_object_add (root, "file", json_object_new_string (out));
        json_object_object_add (root, "pages", json_object_new_int (1));
        json_object_object_add (
            root, "holder",
            json_object_new_string (cf_seal_value (seal, CF_SEAL_HOLDER)));
        json_object_object_add (
            root, "grade",
            json_object_new_string (cf_seal_value (seal, CF_SEAL_GRADE)));
        json_object_object_add (
            root, "expires",
            json_object_new_string (cf_seal_value (seal, CF_SEAL_EXPIRES)));
        json_object_object_add (root, "register",
                                json_object_new_string (link));
        json_object_object_add (
            root, "key_id", json_object_new_string (reply->document->key_id));
        json_object_object_add (root, "qr_modules",
                                json_object_new_int (width));
        json_object_object_add (root, "payload",
                                json_object_new_string (payload));
        fprintf (cf_cli_out (cli), "%s\n",
                 json_object_to_json_string_ext (root, JSON_C_TO_STRING_PLAIN));
        json_object_put (root);
    } else
        fprintf (cf_cli_out (cli),
                 "wrote %s: certificate %s of %s, %s, valid until %s (one A4 "
                 "page)\n  signed by key %s; its QR code (%d modules) opens "
                 "%s\n  check it offline: certflow certificate verify %s "
                 "--key signing.pub\n",
                 out, cf_seal_number (seal),
                 cf_seal_value (seal, CF_SEAL_HOLDER),
                 cf_seal_value (seal, CF_SEAL_GRADE),
                 cf_seal_value (seal, CF_SEAL_EXPIRES), reply->document->key_id,
                 width, link, out);
    free (link);
    cf_problems_destroy (&problems);
    cf_seal_destroy (&seal);
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static void
s_verify_json (cf_cli_t *cli, const cf_seal_t *seal, const bool *bad, int rc,
               const char *key_id, const cf_problems_t *problems)
{
    json_object *root = json_object_new_object ();
    json_object_object_add (root, "number",
                            json_object_new_string (cf_seal_number (seal)));
    json_object_object_add (root, "valid", json_object_new_boolean (rc == 0));
    json_object_object_add (root, "key_id",
                            json_object_new_string (cf_seal_key_id_of (seal)));
    json_object_object_add (root, "checked_with",
                            json_object_new_string (key_id));
    char *link = cf_seal_register_link (seal);
    json_object_object_add (root, "register", json_object_new_string (link));
    free (link);
    json_object *fields = json_object_new_object ();
    json_object *changed = json_object_new_array ();
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++) {
        json_object_object_add (
            fields, cf_seal_field_name (field),
            json_object_new_string (cf_seal_value (seal, field)));
        if (rc == CF_ECORRUPT && bad[field])
            json_object_array_add (
                changed, json_object_new_string (cf_seal_field_name (field)));
    }
    json_object_object_add (root, "fields", fields);
    json_object_object_add (root, "changed", changed);
    json_object *list = json_object_new_array ();
    for (size_t index = 0; index < cf_problems_size (problems); index++)
        json_object_array_add (
            list,
            json_object_new_string (cf_problems_message (problems, index)));
    json_object_object_add (root, "problems", list);
    fprintf (cf_cli_out (cli), "%s\n",
             json_object_to_json_string_ext (root, JSON_C_TO_STRING_PLAIN));
    json_object_put (root);
}

static int
s_certificate_verify (cf_cli_t *cli)
{
    char *payload = s_read_payload (cli, cf_cli_arg (cli, 0));
    if (!payload)
        return CF_CLI_USAGE;
    cf_problems_t *problems = cf_problems_new ();
    cf_seal_t *seal = NULL;
    int rc = cf_seal_parse (payload, strlen (payload), &seal, problems);
    free (payload);
    if (rc) {
        rc = cf_cli_input_error (cli, cf_cli_arg (cli, 0), problems);
        cf_problems_destroy (&problems);
        return rc;
    }
    cf_seal_key_t *key = s_public_key (cli);
    if (!key) {
        cf_seal_destroy (&seal);
        cf_problems_destroy (&problems);
        return CF_CLI_USAGE;
    }
    bool bad[CF_SEAL_FIELD_COUNT];
    rc = cf_seal_verify (seal, key, bad, problems);
    FILE *out = cf_cli_out (cli);
    if (cf_cli_json (cli))
        s_verify_json (cli, seal, bad, rc, cf_seal_key_id (key), problems);
    else if (rc == 0) {
        fprintf (out,
                 "%s: the seal holds: signed by key %s of %s; nothing was "
                 "changed\n",
                 cf_seal_number (seal), cf_seal_key_id (key),
                 cf_seal_value (seal, CF_SEAL_ISSUER));
        for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++) {
            fprintf (out, "  %s %s: ", cf_seal_field_zh (field),
                     cf_seal_field_en (field));
            //  The scope's items one a line, under the first
            for (const char *cursor = cf_seal_value (seal, field); *cursor;
                 cursor++)
                fputs (*cursor == '\n' ? "\n    " : (char[]){*cursor, 0}, out);
            fputc ('\n', out);
        }
        char *link = cf_seal_register_link (seal);
        fprintf (out, "its status today (valid, suspended, withdrawn): %s\n",
                 link);
        free (link);
    } else {
        fprintf (out, "%s: NOT GENUINE: the seal does not hold\n",
                 cf_seal_number (seal));
        for (size_t index = 0; index < cf_problems_size (problems); index++)
            fprintf (out, "  %s\n", cf_problems_message (problems, index));
    }
    cf_seal_key_destroy (&key);
    cf_seal_destroy (&seal);
    cf_problems_destroy (&problems);
    return rc == 0 ? CF_CLI_OK : CF_CLI_REFUSED;
}

//  ------------------------------------------------------------------------
//  The table

// clang-format off
static const cf_cli_option_t s_show_options[] = {
    {"scheme", "FILE", false, "scheme file for the labels (default: built-in)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_suspend_options[] = {
    {"trigger",      "T",    false, "missed_surveillance, surveillance_finding, holder_request, misuse or unpaid_fees"},
    {"trigger-date", "DATE", false, "when the trigger was confirmed (within 5 days)"},
    {"months",       "N",    false, "how long it runs (default 3, at most 6)"},
    {"reason",       "TEXT", false, "the decision's reason (required)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_decision_options[] = {
    {"reason", "TEXT", false, "the decision's reason; for restore, the evidence (required)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_reissue_options[] = {
    {"reason",             "TEXT", false, "the decision and what changed (required)"},
    {"company-name",       "NAME", false, "the holder's new name"},
    {"registered-address", "TEXT", false, "the new registered address"},
    {"operating-address",  "TEXT", false, "the new operating address"},
    {"scope",              "ITEM", true,  "the whole new scope, one item per --scope"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_check_options[] = {
    {"on", "DATE", false, "the day to answer for (default: the daemon's today)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_list_options[] = {
    {"status", "S",      false, "valid, suspended, withdrawn, cancelled, expired or superseded"},
    {"org",    "ORG",    false, "the holder organization (staff)"},
    {"due",    "WHEN",   false, "with a visit or expiry due by then: 90d (from today) or a date"},
    {"after",  "NUMBER", false, "the page after this certificate number"},
    {"limit",  "N",      false, "page size (default 20)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_verify_options[] = {
    {"key", "FILE", false, "the body's public signing key (DATA/keys/signing.pub)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_pdf_options[] = {
    {"out", "FILE", false, "where the PDF is written (required)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_command_t s_commands[] = {
    {"certificate show", "NUMBER [--scheme FILE]",
     "print a certificate as a document", NULL, 1, 1, s_show_options,
     s_certificate_show},
    {"certificate pdf", "NUMBER --out FILE",
     "write the signed certificate document: one A4 page, Chinese and English, with its QR code",
     "The daemon signs the certificate's fields (for its holder and staff, while\n"
     "it is valid); the PDF shows them with the grade's stars, and its QR code\n"
     "holds the seal: the URL of the certificate in the public register, with\n"
     "the fields and signatures after '#'. certificate verify checks it.",
     1, 1, s_pdf_options, s_certificate_pdf},
    {"certificate verify", "FILE-or-PAYLOAD [--key FILE]",
     "check a certificate document's seal offline: exit 1 and the changed fields if it does not hold",
     "FILE is a PDF written by certificate pdf, or a file holding the text of\n"
     "its QR code (zbarimg prints it); or give that text (the URL) itself.\n"
     "Only the certification body's public key is needed, no daemon: --key\n"
     "FILE, else CERTFLOW_SIGNING_KEY, else signing.pub beside --server-cert.\n"
     "The seal says what was issued; the register URL says the status today.",
     1, 1, s_verify_options, s_certificate_verify},
    {"certificate suspend", "NUMBER --trigger T --trigger-date DATE [--months N] --reason TEXT",
     "suspend a valid certificate (admin, committee)",
     "Withdrawn by itself when the period runs out without a restoration.",
     1, 1, s_suspend_options, s_certificate_suspend},
    {"certificate restore", "NUMBER --reason EVIDENCE",
     "restore a suspended certificate once the cause is cleared (admin, committee)",
     NULL, 1, 1, s_decision_options, s_certificate_restore},
    {"certificate withdraw", "NUMBER --reason TEXT",
     "withdraw (撤销) a certificate (admin, committee)", NULL, 1, 1,
     s_decision_options, s_certificate_withdraw},
    {"certificate cancel", "NUMBER --reason TEXT",
     "cancel (注销) a certificate: the holder's request, or its business ended "
     "(holder, admin)",
     NULL, 1, 1, s_decision_options, s_certificate_cancel},
    {"certificate check", "NUMBER [--on DATE]",
     "is the certificate valid? grade and expiry; exit 1 if not valid",
     "--on DATE answers for that day, from the certificate's history: the\n"
     "status it had then, since when and why.",
     1, 1, s_check_options, s_certificate_check},
    {"certificate history", "NUMBER",
     "list the certificate's changes: issuance, visits, suspensions, reissue",
     NULL, 1, 1, NULL, s_certificate_history},
    {"certificate reissue", "NUMBER --reason TEXT [--company-name N] [--registered-address A] [--operating-address A] [--scope ITEM]...",
     "reissue on a change of name, address or scope (admin, committee)",
     "The new certificate takes a new number, keeps the validity and the\n"
     "surveillance visits, and names the old one, which is superseded.",
     1, 1, s_reissue_options, s_certificate_reissue},
    {"certificates", "[--status S] [--org ORG] [--due 90d] [--after NUMBER] [--limit N]",
     "list certificates by status, holder and what falls due",
     "--due 90d lists the certificates with a surveillance visit not yet made,\n"
     "or an expiry, within 90 days of the daemon's today.",
     0, 0, s_list_options, s_certificates},
    {"surveillance open", "NUMBER",
     "open the next surveillance visit of a certificate (admin)",
     "The visit is a case that starts at audit planning: the planning worker\n"
     "picks the team, the team leader files the score sheet, nonconformities\n"
     "go through rectification and verification, and the committee decides.\n"
     "Maintained, the certificate is kept (a changed grade reissues it); not\n"
     "approved, it is suspended. A visit not completed by its due date\n"
     "suspends the certificate.",
     1, 1, NULL, s_surveillance_open},
    {NULL, NULL, NULL, NULL, 0, 0, NULL, NULL},
};
// clang-format on

const cf_cli_command_t *
cf_cli_certificate_commands (void)
{
    return s_commands;
}
