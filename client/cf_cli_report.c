/*  =========================================================================
    cf_cli_report - reports for the certification body's staff

    report sla measures the 15-day service level (DOMAIN section 6) of the
    cases decided in a period: per case the net cycle time from acceptance
    to decision without the applicant's waits, the time in each stage and
    the waits, breaches first; a summary; as text, JSON, CSV, and an SVG
    histogram with the target line.
    =========================================================================
*/

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cf_cli_private.h"
#include "cf_cnca.h"
#include "cf_date.h"
#include "cf_fsm.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_pbjson.h"
#include "cf_scheme.h"
#include "cf_show.h"
#include "cf_sla.h"

//  One case of the report
typedef struct {
    Cf__Case *record;
    cf_sla_t sla;
} s_row_t;

typedef struct {
    s_row_t *rows;
    size_t count;
} s_rows_t;

static double
s_days (int64_t ms)
{
    return (double)ms / (double)CF_SLA_DAY_MS;
}

//  Reads every page of case_id's history into *events (count)
static int
s_history (cf_cli_t *cli, const char *case_id, Cf__Event ***events,
           size_t *count)
{
    *events = NULL;
    *count = 0;
    uint64_t after = 0;
    bool more = true;
    int rc = 0;
    while (rc == 0 && more) {
        Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_HISTORY);
        request->history = cf_pb_new (&cf__history_request__descriptor);
        cf_pb_set_string (&request->history->case_id, case_id);
        request->history->after = after;
        Cf__Reply *reply;
        rc = cf_cli_request (cli, request, &reply);
        if (rc)
            break;
        Cf__EventList *list =
            reply->body_case == CF__REPLY__BODY_EVENTS ? reply->events : NULL;
        size_t got = list ? list->n_events : 0;
        more =
            list && list->more && got > 0 && list->events[got - 1]->seq > after;
        for (size_t index = 0; index < got; index++) {
            after = list->events[index]->seq;
            cf_pb_append (count, (void ***)events, list->events[index]);
            list->events[index] = NULL;
        }
        cf_pb_free (&reply);
    }
    return rc;
}

//  The cases decided from..to (days), measured against target
static int
s_collect (cf_cli_t *cli, cf_day_t from, cf_day_t to, int target,
           s_rows_t *rows)
{
    char *after = cf_mem_check (strdup (""));
    int rc = 0;
    size_t read = 0;
    while (rc == 0) {
        Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_LIST);
        request->list = cf_pb_new (&cf__list_request__descriptor);
        request->list->limit = 100;
        cf_pb_set_string (&request->list->after, after);
        Cf__Reply *reply;
        rc = cf_cli_request (cli, request, &reply);
        if (rc)
            break;
        Cf__Page *page =
            reply->body_case == CF__REPLY__BODY_PAGE ? reply->page : NULL;
        for (size_t index = 0; page && rc == 0 && index < page->n_cases;
             index++) {
            Cf__Case *record = page->cases[index];
            cf_day_t decided;
            if (record->accepted_at <= 0 || record->decided_at <= 0 ||
                cf_date_parse (record->decision_date, &decided) != 0 ||
                decided < from || decided > to)
                continue;
            Cf__Event **events = NULL;
            size_t count = 0;
            rc = s_history (cli, record->id, &events, &count);
            s_row_t row = {record, {0}};
            if (rc == 0 &&
                cf_sla_measure (record, events, count, target, &row.sla) == 0) {
                rows->rows = cf_mem_check (realloc (
                    rows->rows, (rows->count + 1) * sizeof *rows->rows));
                rows->rows[rows->count++] = row;
                page->cases[index] = NULL;
            }
            for (size_t event = 0; event < count; event++)
                cf_pb_free (&events[event]);
            free (events);
        }
        read += page ? page->n_cases : 0;
        bool more = page && *page->next;
        free (after);
        after = cf_mem_check (strdup (more ? page->next : ""));
        cf_pb_free (&reply);
        if (!more)
            break;
        cf_cli_progress (cli, "read %zu cases, asking for more ...", read);
    }
    cf_cli_progress_done (cli);
    free (after);
    return rc;
}

//  Breaches first, then the longest
static int
s_order (const void *left, const void *right)
{
    const s_row_t *a = left, *b = right;
    if (a->sla.breach != b->sla.breach)
        return a->sla.breach ? -1 : 1;
    return a->sla.net_ms < b->sla.net_ms   ? 1
           : a->sla.net_ms > b->sla.net_ms ? -1
                                           : 0;
}

//  The p-th percentile (0..1) of the net days, nearest rank
static double
s_percentile (const s_rows_t *rows, double p)
{
    if (!rows->count)
        return 0;
    double *days = cf_mem_check (calloc (rows->count, sizeof (double)));
    for (size_t index = 0; index < rows->count; index++)
        days[index] = rows->rows[index].sla.net_days;
    for (size_t i = 1; i < rows->count; i++)
        for (size_t j = i; j > 0 && days[j - 1] > days[j]; j--) {
            double swap = days[j];
            days[j] = days[j - 1];
            days[j - 1] = swap;
        }
    size_t rank = (size_t)ceil (p * (double)rows->count);
    double value = days[rank ? rank - 1 : 0];
    free (days);
    return value;
}

static size_t
s_breaches (const s_rows_t *rows)
{
    size_t count = 0;
    for (size_t index = 0; index < rows->count; index++)
        count += rows->rows[index].sla.breach;
    return count;
}

//  The stages a case spent time in, "document_review 2.0d, ..."
static void
s_stages (FILE *out, const cf_sla_t *sla, const char *separator)
{
    const char *between = "";
    for (int state = 0; state < CF_STATE_COUNT; state++)
        if (sla->state_ms[state] > 0) {
            fprintf (out, "%s%s %.1fd", between,
                     cf_fsm_state_name ((cf_state_t)state),
                     s_days (sla->state_ms[state]));
            between = separator;
        }
}

static void
s_print_text (cf_cli_t *cli, const s_rows_t *rows, const char *from,
              const char *to, int target)
{
    FILE *out = cf_cli_out (cli);
    fprintf (out,
             "service level %s to %s: net days from acceptance to decision, "
             "without the applicant's waits; target %d\n",
             from, to, target);
    for (size_t index = 0; index < rows->count; index++) {
        const s_row_t *row = &rows->rows[index];
        fprintf (out,
                 "%s %-16s decided %s  net %5.1f d  waited %5.1f d  "
                 "gross %5.1f d  %s\n    ",
                 row->sla.breach ? "BREACH" : "  ok  ", row->record->id,
                 row->record->decision_date, row->sla.net_days,
                 s_days (row->sla.waiting_ms), s_days (row->sla.gross_ms),
                 row->record->application
                     ? row->record->application->company_name
                     : "");
        s_stages (out, &row->sla, ", ");
        fputc ('\n', out);
    }
    fprintf (out,
             "%zu case%s; median %.1f d, p90 %.1f d; %zu breach%s of the "
             "%d-day target\n",
             rows->count, rows->count == 1 ? "" : "s", s_percentile (rows, 0.5),
             s_percentile (rows, 0.9), s_breaches (rows),
             s_breaches (rows) == 1 ? "" : "es", target);
}

static void
s_print_json (cf_cli_t *cli, const s_rows_t *rows, const char *from,
              const char *to, int target)
{
    json_object *report = json_object_new_object ();
    json_object_object_add (report, "from", json_object_new_string (from));
    json_object_object_add (report, "to", json_object_new_string (to));
    json_object_object_add (report, "target_days",
                            json_object_new_int (target));
    json_object *cases = json_object_new_array ();
    for (size_t index = 0; index < rows->count; index++) {
        const s_row_t *row = &rows->rows[index];
        json_object *item = json_object_new_object ();
        json_object_object_add (item, "case_id",
                                json_object_new_string (row->record->id));
        json_object_object_add (
            item, "decision_date",
            json_object_new_string (row->record->decision_date));
        json_object_object_add (item, "net_ms",
                                json_object_new_int64 (row->sla.net_ms));
        json_object_object_add (item, "net_days",
                                json_object_new_double (row->sla.net_days));
        json_object_object_add (item, "waiting_ms",
                                json_object_new_int64 (row->sla.waiting_ms));
        json_object_object_add (item, "gross_ms",
                                json_object_new_int64 (row->sla.gross_ms));
        json_object_object_add (item, "breach",
                                json_object_new_boolean (row->sla.breach));
        json_object *stages = json_object_new_object ();
        for (int state = 0; state < CF_STATE_COUNT; state++)
            if (row->sla.state_ms[state] > 0)
                json_object_object_add (
                    stages, cf_fsm_state_name ((cf_state_t)state),
                    json_object_new_int64 (row->sla.state_ms[state]));
        json_object_object_add (item, "stages_ms", stages);
        json_object_array_add (cases, item);
    }
    json_object_object_add (report, "cases", cases);
    json_object *summary = json_object_new_object ();
    json_object_object_add (summary, "count",
                            json_object_new_int ((int)rows->count));
    json_object_object_add (summary, "median_days",
                            json_object_new_double (s_percentile (rows, 0.5)));
    json_object_object_add (summary, "p90_days",
                            json_object_new_double (s_percentile (rows, 0.9)));
    json_object_object_add (summary, "breaches",
                            json_object_new_int ((int)s_breaches (rows)));
    json_object_object_add (report, "summary", summary);
    fprintf (cf_cli_out (cli), "%s\n",
             json_object_to_json_string_ext (report, JSON_C_TO_STRING_PLAIN));
    json_object_put (report);
}

static void
s_print_csv (cf_cli_t *cli, const s_rows_t *rows)
{
    FILE *out = cf_cli_out (cli);
    fprintf (out, "case_id,decision_date,net_days,waiting_days,gross_days,"
                  "breach,stages\n");
    for (size_t index = 0; index < rows->count; index++) {
        const s_row_t *row = &rows->rows[index];
        fprintf (out, "%s,%s,%.2f,%.2f,%.2f,%s,\"", row->record->id,
                 row->record->decision_date, row->sla.net_days,
                 s_days (row->sla.waiting_ms), s_days (row->sla.gross_ms),
                 row->sla.breach ? "yes" : "no");
        s_stages (out, &row->sla, "; ");
        fprintf (out, "\"\n");
    }
}

//  A histogram of net days, one bar a day, with the target line
static int
s_write_svg (cf_cli_t *cli, const char *path, const s_rows_t *rows, int target,
             const char *from, const char *to)
{
    int bins = target + 1;
    for (size_t index = 0; index < rows->count; index++) {
        int day = (int)floor (rows->rows[index].sla.net_days);
        if (day + 1 > bins)
            bins = day + 1;
    }
    if (bins > 120)
        bins = 120;
    int *count = cf_mem_check (calloc ((size_t)bins, sizeof (int)));
    int highest = 1;
    for (size_t index = 0; index < rows->count; index++) {
        int day = (int)floor (rows->rows[index].sla.net_days);
        day = day < 0 ? 0 : day >= bins ? bins - 1 : day;
        if (++count[day] > highest)
            highest = count[day];
    }
    FILE *file = fopen (path, "w");
    if (!file) {
        free (count);
        return cf_cli_usage_error (cli, "cannot write %s: %s", path,
                                   strerror (errno));
    }
    const int left = 50, bottom = 250, width = 600, height = 200;
    double bar = (double)width / bins;
    fprintf (file,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"700\" "
             "height=\"300\" font-family=\"sans-serif\" font-size=\"11\">\n"
             "<title>Net cycle days, cases decided %s to %s</title>\n"
             "<text x=\"%d\" y=\"20\" font-size=\"14\">Net cycle time "
             "(days), %s to %s: %zu cases</text>\n",
             from, to, left, from, to, rows->count);
    for (int day = 0; day < bins; day++) {
        double h = (double)height * count[day] / highest;
        fprintf (file,
                 "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                 "fill=\"%s\"><title>%d-%d days: %d</title></rect>\n",
                 left + day * bar, bottom - h, bar * 0.9, h,
                 day >= target ? "#c0392b" : "#2e86c1", day, day + 1,
                 count[day]);
        if (day % 5 == 0)
            fprintf (file, "<text x=\"%.1f\" y=\"%d\">%d</text>\n",
                     left + day * bar, bottom + 15, day);
    }
    double line = left + target * bar;
    fprintf (
        file,
        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" "
        "stroke-dasharray=\"4 3\"/>\n"
        "<text x=\"%.1f\" y=\"%d\">target %d days</text>\n"
        "<text x=\"%d\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\">%d "
        "cases</text>\n</svg>\n",
        line, bottom - height - 10, line, bottom, line + 4,
        bottom - height - 12, target, left - 15, bottom, left - 45,
        bottom - height + 5, highest);
    free (count);
    if (fclose (file) != 0)
        return cf_cli_usage_error (cli, "cannot write %s: %s", path,
                                   strerror (errno));
    return 0;
}

static int
s_report_sla (cf_cli_t *cli)
{
    const char *from = cf_cli_option (cli, "from", 0);
    const char *to = cf_cli_option (cli, "to", 0);
    cf_day_t first, last;
    if (!from || !to || cf_date_parse (from, &first) != 0 ||
        cf_date_parse (to, &last) != 0 || last < first)
        return cf_cli_usage_error (cli, "report sla needs --from DATE and "
                                        "--to DATE, YYYY-MM-DD, in order");
    cf_scheme_t *scheme = NULL;
    if (cf_scheme_default (&scheme) != 0)
        return cf_cli_usage_error (cli, "the built-in scheme does not load");
    int target = scheme->service_level_days;
    cf_scheme_destroy (&scheme);
    uint64_t days = 0;
    const char *given = cf_cli_option (cli, "target", 0);
    if (given) {
        int rc = cf_cli_number (cli, "--target", given, 1, 365, &days);
        if (rc)
            return rc;
        target = (int)days;
    }
    s_rows_t rows = {NULL, 0};
    int rc = s_collect (cli, first, last, target, &rows);
    if (rc == 0) {
        qsort (rows.rows, rows.count, sizeof *rows.rows, s_order);
        const char *svg = cf_cli_option (cli, "svg", 0);
        if (svg)
            rc = s_write_svg (cli, svg, &rows, target, from, to);
        if (rc == 0 && cf_cli_option (cli, "csv", 0))
            s_print_csv (cli, &rows);
        else if (rc == 0 && cf_cli_json (cli))
            s_print_json (cli, &rows, from, to, target);
        else if (rc == 0)
            s_print_text (cli, &rows, from, to, target);
    }
    for (size_t index = 0; index < rows.count; index++)
        cf_pb_free (&rows.rows[index].record);
    free (rows.rows);
    return rc;
}

//  ------------------------------------------------------------------------
//  report cnca

//  The file of each row kind, in cf_cnca_kind_name's order, and what its
//  rows are called in the summary
static const char *const s_cnca_files[CF_CNCA_KINDS] = {
    "audit-plans", "audit-results", "certificates-issued", "status-changes"};
static const char *const s_cnca_titles[CF_CNCA_KINDS] = {
    "audit plans", "audit results", "certificates issued", "status changes"};

//  The month's rows, by kind
typedef struct {
    Cf__ReportRow **rows[CF_CNCA_KINDS];
    size_t count[CF_CNCA_KINDS];
    char **problems;
    size_t problem_count;
    bool complete;
} s_cnca_t;

static void
s_cnca_free (s_cnca_t *report)
{
    for (size_t kind = 0; kind < CF_CNCA_KINDS; kind++) {
        for (size_t index = 0; index < report->count[kind]; index++)
            cf_pb_free (&report->rows[kind][index]);
        free (report->rows[kind]);
    }
    for (size_t index = 0; index < report->problem_count; index++)
        free (report->problems[index]);
    free (report->problems);
}

//  Reads every page of month's report
static int
s_cnca_collect (cf_cli_t *cli, const char *month, s_cnca_t *report)
{
    uint64_t after = 0;
    int rc = 0;
    for (bool more = true; rc == 0 && more;) {
        Cf__Request *request =
            cf_cli_request_new (CF__REQUEST__BODY_CNCA_REPORT);
        request->cnca_report = cf_pb_new (&cf__report_query__descriptor);
        cf_pb_set_string (&request->cnca_report->month, month);
        request->cnca_report->after = after;
        Cf__Reply *reply;
        rc = cf_cli_request (cli, request, &reply);
        if (rc)
            break;
        Cf__ReportPage *page =
            reply->body_case == CF__REPLY__BODY_REPORT ? reply->report : NULL;
        more = page && page->more && page->scanned > after;
        after = page ? page->scanned : after;
        report->complete = page && page->complete;
        for (size_t index = 0; page && index < page->n_rows; index++) {
            Cf__ReportRow *row = page->rows[index];
            for (size_t kind = 0; kind < CF_CNCA_KINDS; kind++)
                if (strcmp (row->kind, cf_cnca_kind_name (kind)) == 0) {
                    cf_pb_append (&report->count[kind],
                                  (void ***)&report->rows[kind], row);
                    page->rows[index] = NULL;
                    break;
                }
        }
        for (size_t index = 0; page && index < page->n_problems; index++) {
            bool seen = false;
            for (size_t was = 0; was < report->problem_count && !seen; was++)
                seen =
                    strcmp (report->problems[was], page->problems[index]) == 0;
            if (!seen)
                cf_pb_append_string (&report->problem_count, &report->problems,
                                     page->problems[index]);
        }
        cf_pb_free (&reply);
        if (more)
            cf_cli_progress (
                cli, "read to event %" PRIu64 ", asking for more ...", after);
    }
    cf_cli_progress_done (cli);
    return rc;
}

//  Writes DIR/cnca-MONTH-FILE.csv and .json for each kind
static int
s_cnca_write (cf_cli_t *cli, const char *dir, const char *month,
              const s_cnca_t *report)
{
    for (size_t kind = 0; kind < CF_CNCA_KINDS; kind++) {
        for (int json = 0; json < 2; json++) {
            char *path = NULL;
            if (asprintf (&path, "%s/cnca-%s-%s.%s", dir, month,
                          s_cnca_files[kind], json ? "json" : "csv") < 0)
                cf_mem_fail ();
            FILE *file = fopen (path, "w");
            if (!file) {
                int rc = cf_cli_usage_error (cli, "cannot write %s: %s", path,
                                             strerror (errno));
                free (path);
                return rc;
            }
            if (json) {
                fprintf (file,
                         "{\"month\":\"%s\",\"kind\":\"%s\",\"complete\":%s,"
                         "\"rows\":[",
                         month, cf_cnca_kind_name (kind),
                         report->complete ? "true" : "false");
                for (size_t index = 0; index < report->count[kind]; index++) {
                    fputs (index ? ",\n" : "\n", file);
                    cf_pbjson_print (file, &report->rows[kind][index]->base);
                }
                fputs ("]}\n", file);
            } else if (cf_cnca_csv (file, cf_cnca_kind_name (kind),
                                    report->rows[kind],
                                    report->count[kind]) != 0)
                assert (!"every kind has columns");
            if (fclose (file) != 0) {
                int rc = cf_cli_usage_error (cli, "cannot write %s: %s", path,
                                             strerror (errno));
                free (path);
                return rc;
            }
            free (path);
        }
    }
    return 0;
}

static void
s_cnca_summary (cf_cli_t *cli, const char *dir, const char *month,
                const s_cnca_t *report)
{
    FILE *out = cf_cli_out (cli);
    if (cf_cli_json (cli)) {
        json_object *summary = json_object_new_object ();
        json_object_object_add (summary, "month",
                                json_object_new_string (month));
        json_object_object_add (summary, "complete",
                                json_object_new_boolean (report->complete));
        json_object *counts = json_object_new_object ();
        json_object *files = json_object_new_array ();
        for (size_t kind = 0; kind < CF_CNCA_KINDS; kind++) {
            json_object_object_add (
                counts, cf_cnca_kind_name (kind),
                json_object_new_int ((int)report->count[kind]));
            for (int json = 0; json < 2; json++) {
                char *path = NULL;
                if (asprintf (&path, "%s/cnca-%s-%s.%s", dir, month,
                              s_cnca_files[kind], json ? "json" : "csv") < 0)
                    cf_mem_fail ();
                json_object_array_add (files, json_object_new_string (path));
                free (path);
            }
        }
        json_object_object_add (summary, "rows", counts);
        json_object_object_add (summary, "files", files);
        json_object *problems = json_object_new_array ();
        for (size_t index = 0; index < report->problem_count; index++)
            json_object_array_add (
                problems, json_object_new_string (report->problems[index]));
        json_object_object_add (summary, "problems", problems);
        fprintf (
            out, "%s\n",
            json_object_to_json_string_ext (summary, JSON_C_TO_STRING_PLAIN));
        json_object_put (summary);
        return;
    }
    fprintf (out, "CNCA report %s%s:\n", month,
             report->complete ? "" : " (the month is not over: so far)");
    for (size_t kind = 0; kind < CF_CNCA_KINDS; kind++)
        fprintf (out, "  %-20s %4zu  %s/cnca-%s-%s.csv, .json\n",
                 s_cnca_titles[kind], report->count[kind], dir, month,
                 s_cnca_files[kind]);
    for (size_t index = 0; index < report->problem_count; index++)
        fprintf (cf_cli_err (cli), "certflow: warning: %s\n",
                 report->problems[index]);
}

static int
s_report_cnca (cf_cli_t *cli)
{
    const char *month = cf_cli_option (cli, "month", 0);
    const char *dir = cf_cli_option (cli, "out", 0);
    int64_t start, end;
    if (!month || cf_cnca_month (month, &start, &end) != 0)
        return cf_cli_usage_error (cli, "report cnca needs --month YYYY-MM, "
                                        "e.g. --month 2026-11");
    if (!dir || !*dir)
        return cf_cli_usage_error (cli, "report cnca needs --out DIR, the "
                                        "directory to write the files in");
    if (mkdir (dir, 0777) != 0 && errno != EEXIST)
        return cf_cli_usage_error (cli, "cannot make directory %s: %s", dir,
                                   strerror (errno));
    s_cnca_t report;
    memset (&report, 0, sizeof report);
    int rc = s_cnca_collect (cli, month, &report);
    if (rc == 0)
        rc = s_cnca_write (cli, dir, month, &report);
    if (rc == 0)
        s_cnca_summary (cli, dir, month, &report);
    s_cnca_free (&report);
    return rc;
}

//  ------------------------------------------------------------------------
//  The reports as obligations

static void
s_show_obligation (FILE *out, const Cf__ReportObligation *obligation)
{
    char reminded[CF_SHOW_TIME_SIZE], submitted[CF_SHOW_TIME_SIZE];
    fprintf (out, "%s  due %s  %-*s", obligation->month, obligation->due_date,
             obligation->reminded_at || obligation->submitted_at ? 9 : 0,
             obligation->status);
    if (obligation->reminded_at)
        fprintf (out, "  reminded %s",
                 cf_show_time (obligation->reminded_at, reminded));
    if (obligation->submitted_at)
        fprintf (out, "  submitted %s by %s%s%s",
                 cf_show_time (obligation->submitted_at, submitted),
                 obligation->submitted_by, *obligation->reference ? ", " : "",
                 obligation->reference);
    fputc ('\n', out);
}

static int
s_show_obligations (cf_cli_t *cli, Cf__Reply *reply)
{
    if (!cf_cli_printed_json (cli, reply)) {
        const Cf__ReportObligations *list =
            reply->body_case == CF__REPLY__BODY_REPORTS ? reply->reports : NULL;
        for (size_t index = 0; list && index < list->n_obligations; index++)
            s_show_obligation (cf_cli_out (cli), list->obligations[index]);
        if (!list || list->n_obligations == 0)
            fputs ("no month owes a report yet\n", cf_cli_out (cli));
    }
    cf_pb_free (&reply);
    return 0;
}

static int
s_reports (cf_cli_t *cli)
{
    Cf__Request *request = cf_cli_request_new (CF__REQUEST__BODY_REPORTS);
    request->reports = true;
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    return rc ? rc : s_show_obligations (cli, reply);
}

static int
s_report_submitted (cf_cli_t *cli)
{
    const char *month = cf_cli_option (cli, "month", 0);
    int64_t start, end;
    if (!month || cf_cnca_month (month, &start, &end) != 0)
        return cf_cli_usage_error (cli, "report submitted needs --month "
                                        "YYYY-MM, e.g. --month 2026-11");
    const char *reference = cf_cli_option (cli, "reference", 0);
    Cf__Request *request =
        cf_cli_request_new (CF__REQUEST__BODY_REPORT_SUBMITTED);
    request->report_submitted = cf_pb_new (&cf__report_submission__descriptor);
    cf_pb_set_string (&request->report_submitted->month, month);
    cf_pb_set_string (&request->report_submitted->reference,
                      reference ? reference : "");
    Cf__Reply *reply;
    int rc = cf_cli_request (cli, request, &reply);
    return rc ? rc : s_show_obligations (cli, reply);
}

// clang-format off
static const cf_cli_option_t s_sla_options[] = {
    {"from",   "DATE", false, "the first decision day (required)"},
    {"to",     "DATE", false, "the last decision day (required)"},
    {"target", "DAYS", false, "the target (default: the scheme's service_level_days, 15)"},
    {"csv",    NULL,   false, "print CSV"},
    {"svg",    "FILE", false, "also write a histogram of net days, with the target line"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_cnca_options[] = {
    {"month", "YYYY-MM", false, "the month (China time; required)"},
    {"out",   "DIR",     false, "the directory to write the files in (required; made if missing)"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_option_t s_submitted_options[] = {
    {"month",     "YYYY-MM", false, "the month whose report was submitted (required)"},
    {"reference", "TEXT",    false, "the platform's receipt number, recorded with it"},
    {NULL, NULL, false, NULL},
};

static const cf_cli_command_t s_commands[] = {
    {"report sla", "--from DATE --to DATE [--target DAYS] [--csv] [--svg FILE]",
     "the service level of the cases decided in a period (staff)",
     "Per case: the net days from acceptance (intake passed) to the\n"
     "committee's decision without the applicant's waits (supplements, the\n"
     "signature, rectification), the waits, the time in each stage;\n"
     "breaches of the target first, then a summary (median, p90).",
     0, 0, s_sla_options, s_report_sla},
    {"report cnca", "--month YYYY-MM --out DIR",
     "the regulator's monthly report (CNCA) as CSV and JSON files (staff)",
     "One CSV (UTF-8, RFC 4180) and one JSON file per record kind:\n"
     "cnca-MONTH-audit-plans, -audit-results, -certificates-issued and\n"
     "-status-changes. A row is in the month in which the daemon recorded\n"
     "it (China time), so a record changed after a month's report was made\n"
     "is a row of the next month's, marked \"changed\". An auditor with no\n"
     "registration number on record is named without one and warned of.",
     0, 0, s_cnca_options, s_report_cnca},
    {"reports", "",
     "the monthly reports owed to the regulator, with their status (staff)",
     "Each month from the first the store recorded owes a report, due by\n"
     "the 10th of the next month: open, due (from the 5th, when the daemon\n"
     "records a report_due reminder on the feed, once), overdue, or\n"
     "submitted (when and by whom).",
     0, 0, NULL, s_reports},
    {"report submitted", "--month YYYY-MM [--reference TEXT]",
     "record that a month's report is on the regulator's platform (admin)",
     "Once a month, for a month that is over; recorded with the admin and\n"
     "the daemon's time as a report_submitted event.",
     0, 0, s_submitted_options, s_report_submitted},
    {NULL, NULL, NULL, NULL, 0, 0, NULL, NULL},
};
// clang-format on

const cf_cli_command_t *
cf_cli_report_commands (void)
{
    return s_commands;
}
