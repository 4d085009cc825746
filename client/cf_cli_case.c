/*  =========================================================================
    cf_cli_case - the case workflow commands of `certflow`

    submit, status, list, history, watch, and the human steps: each step is
    a `fire` request naming the state machine's event, with the data the
    event needs read from a file or the options. Input files are checked
    here first, so a mistake in one is a usage error (exit 2) that names
    the field, not a refusal from the daemon.
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "cf_cli_private.h"
#include "cf_date.h"
#include "cf_fsm.h"
#include "cf_input.h"
#include "cf_json.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_show.h"
#include "cf_watch.h"

//  Largest --limit passed on (the daemon caps pages at 100 anyway)
#define S_LIMIT_MAX 100000

//  The daemon's default heartbeat interval (certflowd/heartbeat_ms)
#define S_HEARTBEAT_MS "1000"

//  How long watch waits for the feed between checks for silence
#define S_WATCH_TICK_MS 250

//  The input files the commands read
typedef enum {
    S_INPUT_APPLICATION,  //  cf_json_application
    S_INPUT_SHEET,        //  cf_json_score_sheet
    S_INPUT_FIXES,        //  cf_input_fixes
    S_INPUT_PLAN,         //  cf_input_plan
} s_input_t;

//  Reads and checks the input file path as kind. Returns 0 with the heap
//  message in *message_p, or CF_CLI_USAGE after printing every problem.
static int
s_load (cf_cli_t *cli, const char *path, s_input_t kind, void **message_p)
{
    *message_p = NULL;
    char *text = NULL;
    size_t size = 0;
    int rc = cf_cli_read_file (cli, path, &text, &size);
    if (rc)
        return rc;
    cf_problems_t *problems = cf_problems_new ();
    switch (kind) {
        case S_INPUT_APPLICATION:
            rc = cf_json_application (text, size, (Cf__Application **)message_p,
                                      problems);
            break;
        case S_INPUT_SHEET:
            rc = cf_json_score_sheet (text, size, (Cf__ScoreSheet **)message_p,
                                      problems);
            break;
        case S_INPUT_FIXES:
            rc = cf_input_fixes (text, size, (Cf__FixList **)message_p,
                                 problems);
            break;
        case S_INPUT_PLAN:
            rc = cf_input_plan (text, size, (Cf__AuditPlan **)message_p,
                                problems);
            break;
    }
    if (rc)
        rc = cf_cli_input_error (cli, path, problems);
    cf_problems_destroy (&problems);
    free (text);
    return rc;
}

static Cf__Request *
s_request_new (Cf__Request__BodyCase body_case)
{
    Cf__Request *request = cf_pb_new (&cf__request__descriptor);
    request->body_case = body_case;
    return request;
}

static Cf__CaseRef *
s_case_ref (const char *case_id)
{
    Cf__CaseRef *ref = cf_pb_new (&cf__case_ref__descriptor);
    cf_pb_set_string (&ref->case_id, case_id);
    return ref;
}

//  Sends a fire request for event on case_id with data (taken; may be
//  NULL) and reports where the case is now.
static int
s_fire (cf_cli_t *cli, const char *case_id, cf_event_t event,
        Cf__EventData *data)
{
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_FIRE);
    request->fire = cf_pb_new (&cf__fire_request__descriptor);
    cf_pb_set_string (&request->fire->case_id, case_id);
    cf_pb_set_string (&request->fire->event, cf_fsm_event_name (event));
    request->fire->data = data;
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (cf_cli_json (cli))
        cf_cli_print_json (cli, &reply->base);
    else if (reply->body_case == CF__REPLY__BODY_RECORD)
        fprintf (cf_cli_out (cli), "%s: %s accepted; now %s %s\n",
                 reply->record->id, cf_fsm_event_name (event),
                 cf_fsm_state_name ((cf_state_t)reply->record->state),
                 cf_fsm_state_label ((cf_state_t)reply->record->state));
    else
        fprintf (cf_cli_out (cli), "%s: %s accepted\n", case_id,
                 cf_fsm_event_name (event));
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static Cf__EventData *
s_data_new (Cf__EventData__BodyCase body_case)
{
    Cf__EventData *data = cf_pb_new (&cf__event_data__descriptor);
    data->body_case = body_case;
    return data;
}

static Cf__EventData *
s_data_reason (const char *reason)
{
    Cf__EventData *data = s_data_new (CF__EVENT_DATA__BODY_REASON);
    cf_pb_set_string (&data->reason, reason);
    return data;
}

//  Reads the input file path as kind and fires event on case_id with it as
//  the event's data. Returns what s_load or s_fire returns.
static int
s_fire_input (cf_cli_t *cli, const char *case_id, const char *path,
              s_input_t kind, cf_event_t event)
{
    void *message;
    int rc = s_load (cli, path, kind, &message);
    if (rc)
        return rc;
    Cf__EventData *data = cf_pb_new (&cf__event_data__descriptor);
    switch (kind) {
        case S_INPUT_APPLICATION:
            data->body_case = CF__EVENT_DATA__BODY_APPLICATION;
            data->application = message;
            break;
        case S_INPUT_SHEET:
            data->body_case = CF__EVENT_DATA__BODY_SHEET;
            data->sheet = message;
            break;
        case S_INPUT_FIXES:
            data->body_case = CF__EVENT_DATA__BODY_FIXES;
            data->fixes = message;
            break;
        case S_INPUT_PLAN:
            data->body_case = CF__EVENT_DATA__BODY_PLAN;
            data->plan = message;
            break;
    }
    return s_fire (cli, case_id, event, data);
}

//  Checks a state name given with option; returns 0 or CF_CLI_USAGE.
static int
s_check_state (cf_cli_t *cli, const char *option, const char *name,
               cf_state_t *state)
{
    if (cf_fsm_state_from_name (name, state) == 0 && *state != CF_STATE_NONE)
        return 0;
    char names[512] = "";
    for (int value = 1; value < CF_STATE_COUNT; value++) {
        size_t used = strlen (names);
        snprintf (names + used, sizeof names - used, "%s%s",
                  value > 1 ? ", " : "", cf_fsm_state_name ((cf_state_t)value));
    }
    return cf_cli_usage_error (
        cli, "--%s: '%s' is not a state; write one of %s", option, name, names);
}

//  Returns true when text has something other than white space.
static bool
s_filled (const char *text)
{
    for (; text && *text; text++)
        if (*text != ' ' && *text != '\t')
            return true;
    return false;
}

//  ------------------------------------------------------------------------
//  submit, status, list, history

static int
s_submit (cf_cli_t *cli)
{
    Cf__Application *application;
    int rc = s_load (cli, cf_cli_arg (cli, 0), S_INPUT_APPLICATION,
                     (void **)&application);
    if (rc)
        return rc;
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_SUBMIT);
    request->submit = cf_pb_new (&cf__submit_request__descriptor);
    request->submit->application = application;
    const char *renews = cf_cli_option (cli, "renews", 0);
    cf_pb_set_string (&request->submit->renews, renews ? renews : "");
    Cf__Reply *reply;
    rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (cf_cli_json (cli))
        cf_cli_print_json (cli, &reply->base);
    else if (reply->body_case == CF__REPLY__BODY_RECORD)
        fprintf (cf_cli_out (cli),
                 "submitted %s; now %s %s\nfollow it: certflow watch --case "
                 "%s\n",
                 reply->record->id,
                 cf_fsm_state_name ((cf_state_t)reply->record->state),
                 cf_fsm_state_label ((cf_state_t)reply->record->state),
                 reply->record->id);
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

static int
s_status (cf_cli_t *cli)
{
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_STATUS);
    request->status = s_case_ref (cf_cli_arg (cli, 0));
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    if (cf_cli_json (cli))
        cf_cli_print_json (cli, &reply->base);
    else if (reply->body_case == CF__REPLY__BODY_RECORD) {
        //  Grade labels come from the built-in scheme; without it, names do
        cf_scheme_t *scheme = NULL;
        if (cf_scheme_default (&scheme))
            scheme = NULL;
        cf_show_case (cf_cli_out (cli), reply->record, scheme, reply->now);
        cf_scheme_destroy (&scheme);
    }
    cf_pb_free (&reply);
    return CF_CLI_OK;
}

//  Moves the cases of page into all (for one JSON document of --all).
static void
s_take_cases (Cf__Page *all, Cf__Page *page)
{
    for (size_t index = 0; index < page->n_cases; index++)
        cf_pb_append (&all->n_cases, (void ***)&all->cases, page->cases[index]);
    page->n_cases = 0;  //  The array goes with page; its cases moved
}

static int
s_list (cf_cli_t *cli)
{
    Cf__ListRequest *list = cf_pb_new (&cf__list_request__descriptor);
    const char *state = cf_cli_option (cli, "state", 0);
    const char *org = cf_cli_option (cli, "org", 0);
    const char *after = cf_cli_option (cli, "after", 0);
    const char *limit = cf_cli_option (cli, "limit", 0);
    int rc = 0;
    cf_state_t state_value;
    if (state && (rc = s_check_state (cli, "state", state, &state_value)) == 0)
        list->state = (Cf__State)state_value;
    uint64_t limit_value = 0;
    if (rc == 0 && limit)
        rc =
            cf_cli_number (cli, "--limit", limit, 1, S_LIMIT_MAX, &limit_value);
    if (rc) {
        cf_pb_free (&list);
        return rc;
    }
    list->limit = (uint32_t)limit_value;
    cf_pb_set_string (&list->org, org);
    cf_pb_set_string (&list->after, after);
    bool all = cf_cli_option (cli, "all", 0) != NULL;
    FILE *out = cf_cli_out (cli);
    Cf__Reply *first = NULL;  //  --json --all: every page's cases go here
    size_t shown = 0, listed = 0;
    while (true) {
        Cf__Request *request = s_request_new (CF__REQUEST__BODY_LIST);
        request->list = cf_pb_dup (&list->base);
        Cf__Reply *reply;
        rc = cf_cli_request (cli, request, &reply);
        if (rc)
            break;
        Cf__Page *page =
            reply->body_case == CF__REPLY__BODY_PAGE ? reply->page : NULL;
        if (!cf_cli_json (cli) && page) {
            cf_cli_progress_done (cli);
            for (size_t index = 0; index < page->n_cases; index++)
                cf_show_case_line (out, page->cases[index]);
            shown += page->n_cases;
        }
        //  Follow the cursor only forward: a cursor that does not move
        //  would loop for ever
        bool more =
            all && page && *page->next && strcmp (page->next, list->after) != 0;
        listed += page ? page->n_cases : 0;
        if (more) {
            cf_pb_set_string (&list->after, page->next);
            cf_cli_progress (cli, "listed %zu case%s, asking for more ...",
                             listed, listed == 1 ? "" : "s");
        }
        if (cf_cli_json (cli) && !first)
            first = reply;
        else if (cf_cli_json (cli) && page && first->page) {
            s_take_cases (first->page, page);
            cf_pb_set_string (&first->page->next, page->next);
        }
        if (!cf_cli_json (cli) && !all && page && *page->next)
            fprintf (out, "more: add --after %s (or --all)\n", page->next);
        if (reply != first)
            cf_pb_free (&reply);
        if (!more)
            break;
    }
    cf_cli_progress_done (cli);
    if (rc == 0 && first)
        cf_cli_print_json (cli, &first->base);
    else if (rc == 0 && shown == 0 && !cf_cli_json (cli))
        fputs ("no cases\n", out);
    cf_pb_free (&first);
    cf_pb_free (&list);
    return rc;
}

//  Asks for the history page after seq; returns the reply's code
static int
s_history_page (cf_cli_t *cli, uint64_t after, Cf__Reply **reply_p)
{
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_HISTORY);
    request->history = cf_pb_new (&cf__history_request__descriptor);
    cf_pb_set_string (&request->history->case_id, cf_cli_arg (cli, 0));
    request->history->after = after;
    return cf_cli_request (cli, request, reply_p);
}

//  The daemon pages a long history by count and size; every page is
//  fetched, and --json prints them as one list
static int
s_history (cf_cli_t *cli)
{
    Cf__Reply *first = NULL;
    uint64_t after = 0;
    size_t shown = 0;
    int rc;
    while (true) {
        Cf__Reply *reply;
        rc = s_history_page (cli, after, &reply);
        if (rc)
            break;
        Cf__EventList *list =
            reply->body_case == CF__REPLY__BODY_EVENTS ? reply->events : NULL;
        size_t count = list ? list->n_events : 0;
        //  Follow only forward: a page that does not move would loop
        bool more = list && list->more && count > 0 &&
                    list->events[count - 1]->seq > after;
        if (more)
            after = list->events[count - 1]->seq;
        if (!cf_cli_json (cli)) {
            cf_cli_progress_done (cli);
            for (size_t index = 0; index < count; index++)
                cf_show_event (cf_cli_out (cli), list->events[index], false);
        }
        shown += count;
        if (more)
            cf_cli_progress (cli, "read %zu events, asking for more ...",
                             shown);
        if (cf_cli_json (cli) && !first)
            first = reply;
        else if (cf_cli_json (cli) && list && first->events) {
            for (size_t index = 0; index < count; index++)
                cf_pb_append (&first->events->n_events,
                              (void ***)&first->events->events,
                              list->events[index]);
            list->n_events = 0;  //  The events moved; the array stays
            first->events->last_seq = list->last_seq;
        }
        if (reply != first)
            cf_pb_free (&reply);
        if (!more)
            break;
    }
    cf_cli_progress_done (cli);
    if (rc == 0 && first) {
        if (first->events)
            first->events->more = false;
        cf_cli_print_json (cli, &first->base);
    } else if (rc == 0 && !cf_cli_json (cli)) {
        if (shown == 0)
            fputs ("no events\n", cf_cli_out (cli));
        //  Under the events, the scores they led to, and why the grade is
        //  lower than the score reaches when the star rule lowered it
        Cf__Case *record = cf_cli_case_record (cli, cf_cli_arg (cli, 0));
        cf_scheme_t *scheme = NULL;
        char rule[400];
        if (record && cf_scheme_default (&scheme) != 0)
            scheme = NULL;
        if (record && record->original && *record->original->grade)
            cf_show_score (cf_cli_out (cli), "score", record->original, scheme);
        if (record && record->rescored && *record->rescored->grade)
            cf_show_score (cf_cli_out (cli), "rescored", record->rescored,
                           scheme);
        if (record &&
            cf_show_case_star_rule (scheme, record, rule, sizeof rule))
            fprintf (cf_cli_out (cli), "grade: %s\n", rule);
        cf_scheme_destroy (&scheme);
        cf_pb_free (&record);
    }
    cf_pb_free (&first);
    return rc ? rc : CF_CLI_OK;
}

//  ------------------------------------------------------------------------
//  watch

//  Maps an error of cf_watch to the exit code, printing why.
static int
s_watch_error (cf_cli_t *cli, cf_watch_t *watch, int rc)
{
    if (rc == CF_EFORBIDDEN && cf_watch_refusal (watch))
        return cf_cli_refused (cli, cf_watch_refusal (watch));
    return cf_cli_transport_error (cli, rc);
}

//  Takes events until count (0: no end) have been printed.
static int
s_watch_loop (cf_cli_t *cli, cf_watch_t *watch, uint64_t count,
              uint64_t heartbeat_ms)
{
    FILE *out = cf_cli_out (cli);
    uint64_t shown = 0;
    bool said_silent = false;
    while (count == 0 || shown < count) {
        Cf__Event *event = NULL;
        int rc = cf_watch_next (watch, S_WATCH_TICK_MS, &event);
        if (rc == 0) {
            if (cf_cli_json (cli))
                cf_cli_print_json (cli, &event->base);
            else
                cf_show_event (out, event, true);
            fflush (out);
            cf_pb_free (&event);
            shown++;
        } else if (rc == CF_EAGAIN)
            return CF_CLI_OK;  //  Interrupted: the watcher is done
        else if (rc != CF_ETIMEOUT)
            return s_watch_error (cli, watch, rc);
        bool silent = cf_watch_silent (watch);
        if (silent && !said_silent)
            fprintf (cf_cli_err (cli),
                     "certflow: feed silent: nothing from %s for %d heartbeat "
                     "intervals of %" PRIu64
                     " ms; is certflowd running? check --feed\n",
                     cf_cli_setting (cli, "feed-endpoint"),
                     CF_WATCH_SILENT_BEATS, heartbeat_ms);
        said_silent = silent;
    }
    return CF_CLI_OK;
}

static int
s_watch (cf_cli_t *cli)
{
    const char *state = cf_cli_option (cli, "state", 0);
    const char *since = cf_cli_option (cli, "since", 0);
    const char *count = cf_cli_option (cli, "count", 0);
    const char *heartbeat = cf_cli_option (cli, "heartbeat", 0);
    cf_state_t state_value;
    uint64_t since_value = 0, count_value = 0, heartbeat_ms = 0;
    int rc = 0;
    if (state)
        rc = s_check_state (cli, "state", state, &state_value);
    if (rc == 0 && since)
        rc = cf_cli_number (cli, "--since", since, 0, INT64_MAX, &since_value);
    if (rc == 0 && count)
        rc = cf_cli_number (cli, "--count", count, 1, INT64_MAX, &count_value);
    if (rc == 0)
        rc = cf_cli_number (cli, "--heartbeat",
                            heartbeat ? heartbeat : S_HEARTBEAT_MS, 1,
                            3600 * 1000, &heartbeat_ms);
    if (rc)
        return rc;
    cf_client_t *client = cf_cli_client (cli, &rc);
    if (!client)
        return rc;
    cf_watch_filter_t filter = {state, cf_cli_option (cli, "case", 0)};
    cf_problems_t *problems = cf_problems_new ();
    cf_watch_t *watch = cf_watch_new (
        client, cf_cli_setting (cli, "feed-endpoint"),
        cf_cli_setting (cli, "cert"), cf_cli_setting (cli, "server-cert"),
        &filter, (int)heartbeat_ms, problems);
    if (!watch)
        rc = cf_cli_input_error (cli, "--feed-endpoint", problems);
    cf_problems_destroy (&problems);
    if (rc)
        return rc;
    rc = cf_watch_start (watch, since == NULL, since_value);
    if (rc)
        rc = s_watch_error (cli, watch, rc);
    else
        rc = s_watch_loop (cli, watch, count_value, heartbeat_ms);
    cf_watch_destroy (&watch);
    return rc;
}

//  ------------------------------------------------------------------------
//  The human steps

static int
s_supplement (cf_cli_t *cli)
{
    return s_fire_input (cli, cf_cli_arg (cli, 0), cf_cli_arg (cli, 1),
                         S_INPUT_APPLICATION, CF_EVENT_SUPPLEMENTED);
}

static int
s_sign (cf_cli_t *cli)
{
    //  An administrator records the paper the company signed
    const char *reference = cf_cli_option (cli, "reference", 0);
    Cf__EventData *data = NULL;
    if (reference) {
        data = s_data_new (CF__EVENT_DATA__BODY_CONTRACT);
        data->contract = cf_pb_new (&cf__contract__descriptor);
        cf_pb_set_string (&data->contract->signed_reference, reference);
    }
    return s_fire (cli, cf_cli_arg (cli, 0), CF_EVENT_CONTRACT_SIGNED, data);
}

static int
s_scores (cf_cli_t *cli)
{
    const char *audit_date = cf_cli_option (cli, "audit-date", 0);
    cf_day_t day;
    if (audit_date && cf_date_parse (audit_date, &day) != 0)
        return cf_cli_usage_error (
            cli, "--audit-date '%s' is not a date YYYY-MM-DD", audit_date);
    void *sheet;
    int rc = s_load (cli, cf_cli_arg (cli, 1), S_INPUT_SHEET, &sheet);
    if (rc)
        return rc;
    Cf__EventData *data = s_data_new (CF__EVENT_DATA__BODY_SHEET);
    data->sheet = sheet;
    if (audit_date)
        cf_pb_set_string (&data->sheet->audit_date, audit_date);
    return s_fire (cli, cf_cli_arg (cli, 0), CF_EVENT_SHEET_SUBMITTED, data);
}

static int
s_rectify (cf_cli_t *cli)
{
    return s_fire_input (cli, cf_cli_arg (cli, 0), cf_cli_arg (cli, 1),
                         S_INPUT_FIXES, CF_EVENT_FIXES_SUBMITTED);
}

static Cf__Fix *
s_verdict (Cf__FixList *list, const char *nonconformity, size_t length,
           bool accepted, const char *note)
{
    Cf__Fix *fix = cf_pb_new (&cf__fix__descriptor);
    fix->nonconformity = cf_mem_check (strndup (nonconformity, length));
    fix->accepted = accepted;
    cf_pb_set_string (&fix->note, note);
    cf_pb_append (&list->n_fixes, (void ***)&list->fixes, fix);
    return fix;
}

//  Verdicts for every open nonconformity of the case, rejected with reason
static int
s_reject_all (cf_cli_t *cli, const char *case_id, const char *reason,
              Cf__FixList *list)
{
    Cf__Request *request = s_request_new (CF__REQUEST__BODY_STATUS);
    request->status = s_case_ref (case_id);
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    if (rc)
        return rc;
    const Cf__ScoreSheet *sheet = reply->body_case == CF__REPLY__BODY_RECORD
                                      ? reply->record->sheet
                                      : NULL;
    for (size_t index = 0; sheet && index < sheet->n_nonconformities; index++)
        if (!sheet->nonconformities[index]->closed) {
            const char *id = sheet->nonconformities[index]->id;
            s_verdict (list, id, strlen (id), false, reason);
        }
    cf_pb_free (&reply);
    return 0;
}

//  The verdicts of --reject-fix NC:REASON and --accept-fix NC
static int
s_verdicts (cf_cli_t *cli, Cf__FixList *list)
{
    const char *text;
    for (size_t index = 0; (text = cf_cli_option (cli, "accept-fix", index));
         index++) {
        if (!s_filled (text))
            return cf_cli_usage_error (cli, "--accept-fix needs an id, NC-1");
        s_verdict (list, text, strlen (text), true, "");
    }
    for (size_t index = 0; (text = cf_cli_option (cli, "reject-fix", index));
         index++) {
        const char *colon = strchr (text, ':');
        if (!colon || colon == text || !s_filled (colon + 1))
            return cf_cli_usage_error (
                cli,
                "--reject-fix '%s': write NC:REASON, e.g. --reject-fix "
                "\"NC-1:the 2025 product line is still not covered\"",
                text);
        s_verdict (list, text, (size_t)(colon - text), false, colon + 1);
    }
    return 0;
}

static int
s_verify (cf_cli_t *cli)
{
    const char *case_id = cf_cli_arg (cli, 0);
    const char *accept = cf_cli_option (cli, "accept", 0);
    const char *reject = cf_cli_option (cli, "reject", 0);
    bool each = cf_cli_option (cli, "accept-fix", 0) ||
                cf_cli_option (cli, "reject-fix", 0);
    if ((accept != NULL) + (reject != NULL) + each != 1)
        return cf_cli_usage_error (
            cli, "give one of --accept FILE (every fix accepted, with the "
                 "rescored sheet), --reject REASON (every fix rejected), or "
                 "a verdict per fix with --accept-fix NC and --reject-fix "
                 "NC:REASON");
    if (accept)
        return s_fire_input (cli, case_id, accept, S_INPUT_SHEET,
                             CF_EVENT_FIXES_ACCEPTED);
    if (reject && !s_filled (reject))
        return cf_cli_usage_error (
            cli, "--reject needs a reason the applicant can act on");
    Cf__EventData *data = s_data_new (CF__EVENT_DATA__BODY_FIXES);
    data->fixes = cf_pb_new (&cf__fix_list__descriptor);
    int rc = reject ? s_reject_all (cli, case_id, reject, data->fixes)
                    : s_verdicts (cli, data->fixes);
    if (rc) {
        cf_pb_free (&data);
        return rc;
    }
    return s_fire (cli, case_id, CF_EVENT_FIXES_REJECTED, data);
}

static int
s_vote (cf_cli_t *cli)
{
    const char *choice = cf_cli_arg (cli, 1);
    Cf__Vote vote;
    if (strcmp (choice, "grant") == 0)
        vote = CF__VOTE__VOTE_GRANT;
    else if (strcmp (choice, "refuse") == 0)
        vote = CF__VOTE__VOTE_REFUSE;
    else
        return cf_cli_usage_error (
            cli, "'%s' is not a vote; write grant or refuse", choice);
    const char *reason = cf_cli_option (cli, "reason", 0);
    if (!s_filled (reason))
        return cf_cli_usage_error (
            cli, "a vote needs --reason TEXT: the member's recorded reason");
    bool stars = cf_cli_option (cli, "star-override", 0) != NULL;
    if (stars && vote != CF__VOTE__VOTE_GRANT)
        return cf_cli_usage_error (
            cli, "--star-override goes with a grant vote only");
    Cf__EventData *data = s_data_new (CF__EVENT_DATA__BODY_COMMITTEE);
    data->committee = cf_pb_new (&cf__committee_data__descriptor);
    data->committee->vote = vote;
    cf_pb_set_string (&data->committee->reason, reason);
    data->committee->star_override = stars;
    return s_fire (cli, cf_cli_arg (cli, 0), CF_EVENT_VOTE, data);
}

static int
s_withdraw (cf_cli_t *cli)
{
    const char *reason = cf_cli_option (cli, "reason", 0);
    if (!s_filled (reason))
        return cf_cli_usage_error (
            cli, "withdrawing needs --reason TEXT, recorded on the case");
    return s_fire (cli, cf_cli_arg (cli, 0), CF_EVENT_WITHDRAW,
                   s_data_reason (reason));
}

//  Builds the findings of `review` from its --finding ITEM:REASON options.
static int
s_findings (cf_cli_t *cli, Cf__EventData **data_p)
{
    *data_p = NULL;
    Cf__EventData *data = s_data_new (CF__EVENT_DATA__BODY_FINDINGS);
    data->findings = cf_pb_new (&cf__finding_list__descriptor);
    const char *text;
    for (size_t index = 0; (text = cf_cli_option (cli, "finding", index));
         index++) {
        const char *colon = strchr (text, ':');
        if (!colon || colon == text || !s_filled (colon + 1)) {
            cf_pb_free (&data);
            return cf_cli_usage_error (
                cli,
                "--finding '%s': write ITEM:REASON, e.g. --finding "
                "\"M07:organization chart missing\"",
                text);
        }
        Cf__Finding *finding = cf_pb_new (&cf__finding__descriptor);
        finding->item = cf_mem_check (strndup (text, (size_t)(colon - text)));
        cf_pb_set_string (&finding->reason, colon + 1);
        cf_pb_append (&data->findings->n_findings,
                      (void ***)&data->findings->findings, finding);
    }
    *data_p = data;
    return 0;
}

static int
s_review (cf_cli_t *cli)
{
    const char *verdict = cf_cli_arg (cli, 1);
    size_t findings = cf_cli_option_count (cli, "finding");
    const char *reason = cf_cli_option (cli, "reason", 0);
    Cf__EventData *data = NULL;
    cf_event_t event;
    if (strcmp (verdict, "accept") == 0) {
        if (findings || reason)
            return cf_cli_usage_error (cli,
                                       "accept takes no --finding or --reason");
        event = CF_EVENT_DOCS_ACCEPTED;
    } else if (strcmp (verdict, "deficient") == 0) {
        if (findings == 0 || reason)
            return cf_cli_usage_error (
                cli, "deficient needs --finding ITEM:REASON for each item "
                     "to supplement (and no --reason)");
        event = CF_EVENT_DOCS_DEFICIENT;
    } else if (strcmp (verdict, "ineligible") == 0) {
        if ((findings > 0) == s_filled (reason))
            return cf_cli_usage_error (
                cli, "ineligible needs the reasons in writing: --reason "
                     "TEXT, or --finding ITEM:REASON (one or more), not both");
        event = CF_EVENT_DOCS_INELIGIBLE;
    } else
        return cf_cli_usage_error (
            cli,
            "'%s' is not a verdict; write accept, deficient or "
            "ineligible",
            verdict);
    if (findings) {
        int rc = s_findings (cli, &data);
        if (rc)
            return rc;
    } else if (reason)
        data = s_data_reason (reason);
    return s_fire (cli, cf_cli_arg (cli, 0), event, data);
}

static int
s_plan (cf_cli_t *cli)
{
    return s_fire_input (cli, cf_cli_arg (cli, 0), cf_cli_arg (cli, 1),
                         S_INPUT_PLAN, CF_EVENT_AUDIT_PLANNED);
}

//  ------------------------------------------------------------------------
//  The table

// clang-format off
static const cf_cli_option_t s_list_options[] = {
    {"state", "S",    false, "only cases in state S (e.g. document_review)"},
    {"org",   "O",    false, "only cases of organization O (staff only)"},
    {"after", "CASE", false, "start after this case id (the page cursor)"},
    {"limit", "N",    false, "at most N cases per page (the daemon caps at 100)"},
    {"all",   NULL,   false, "follow the cursor to the last page"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_watch_options[] = {
    {"case",      "CASE", false, "only events of this case"},
    {"state",     "S",    false, "only events that lead to state S"},
    {"since",     "SEQ",  false, "start after event SEQ (default: now)"},
    {"count",     "N",    false, "stop after N events"},
    {"heartbeat", "MS",   false, "the daemon's heartbeat interval (default 1000)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_verify_options[] = {
    {"accept",     "FILE",      false, "accept every fix with the rescored sheet"},
    {"reject",     "REASON",    false, "reject every open fix: back to rectification"},
    {"accept-fix", "NC",        true,  "a verdict per fix: this one is accepted"},
    {"reject-fix", "NC:REASON", true,  "a verdict per fix: this one is rejected"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_sign_options[] = {
    {"reference", "TEXT", false, "admin: the company's signed paper recorded"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_scores_options[] = {
    {"audit-date", "DATE", false, "the last audit day (sets the sheet's audit_date)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_vote_options[] = {
    {"reason",        "TEXT", false, "the member's reason, recorded (required)"},
    {"star-override", NULL,   false, "grant stars inside the waiting period"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_reason_options[] = {
    {"reason", "TEXT", false, "why, recorded on the case (required)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_review_options[] = {
    {"finding", "ITEM:REASON", true,  "an item to supplement and why"},
    {"reason",  "R",           false, "why the applicant is ineligible"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_submit_options[] = {
    {"renews", "NUMBER", false, "the certificate this application renews"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_command_t s_commands[] = {
    {"submit", "FILE.json [--renews NUMBER]", "submit an application (applicant)",
     "The file is checked first; see examples/application.json. With\n"
     "--renews, the application renews that certificate (recertification),\n"
     "from 3 months (the scheme's recertification_months) before it expires;\n"
     "decided in time, the new certificate starts the day after it ends.",
     1, 1, s_submit_options, s_submit},
    {"status", "CASE", "show a case: state, deadline, scores, team, votes",
     NULL, 1, 1, NULL, s_status},
    {"list", "[--state S] [--org O] [--after CASE] [--limit N] [--all]",
     "list cases, a page at a time", NULL, 0, 0, s_list_options, s_list},
    {"history", "CASE", "show every event of a case, refused attempts too",
     NULL, 1, 1, NULL, s_history},
    {"watch", "[--case CASE] [--state S] [--since SEQ] [--count N]",
     "follow events as they happen, without gaps",
     "Events missed by the feed are fetched from the daemon, so none is\n"
     "skipped or shown twice. Stops after --count N events, or on Ctrl-C.",
     0, 0, s_watch_options, s_watch},
    {"supplement", "CASE FILE.json",
     "send the supplemented application (event supplemented)", NULL, 2, 2,
     NULL, s_supplement},
    {"sign", "CASE [--reference TEXT]",
     "sign the issued contract (event contract_signed)",
     "The company's own user signs. An administrator records the paper the\n"
     "company signed with --reference; a consultancy cannot sign.",
     1, 1, s_sign_options, s_sign},
    {"scores", "CASE FILE.json",
     "file the audit's score sheet (team leader; event sheet_submitted)",
     "See examples/scores.json. The audit date must be one of the planned\n"
     "audit days, not after today; the sheet is filed once the audit began.",
     2, 2, s_scores_options, s_scores},
    {"rectify", "CASE FILE.json",
     "send corrections for the nonconformities (event fixes_submitted)",
     "FILE.json: {\"fixes\": [{\"nonconformity\": \"NC-1\", "
     "\"correction\": \"what was done\"}]}",
     2, 2, NULL, s_rectify},
    {"verify", "CASE --accept FILE.json | --reject REASON | --accept-fix NC... --reject-fix NC:REASON...",
     "accept the fixes with the rescored sheet, or reject them (verifier)",
     "Every open nonconformity gets a verdict. A partly rejected round\n"
     "closes the accepted ones; the rejected go back to rectification.",
     1, 1, s_verify_options, s_verify},
    {"vote", "CASE grant|refuse --reason TEXT [--star-override]",
     "cast a committee member's vote (event vote)", NULL, 2, 2,
     s_vote_options, s_vote},
    {"withdraw", "CASE --reason TEXT",
     "withdraw the application (applicant; event withdraw)", NULL, 1, 1,
     s_reason_options, s_withdraw},
    {"review", "CASE accept|deficient|ineligible [--finding ITEM:REASON]... [--reason R]",
     "override the document review (reviewer)", NULL, 2, 2,
     s_review_options, s_review},
    {"plan", "CASE FILE.json",
     "plan the audit by hand (admin; event audit_planned)",
     "FILE.json: {\"leader\": \"AUD001\", \"members\": [\"AUD002\"],\n"
     "            \"start_date\": \"2026-03-17\", \"end_date\": "
     "\"2026-03-18\", \"mode\": \"FS01\"}",
     2, 2, NULL, s_plan},
    {NULL, NULL, NULL, NULL, 0, 0, NULL, NULL},
};
// clang-format on

const cf_cli_command_t *
cf_cli_case_commands (void)
{
    return s_commands;
}
