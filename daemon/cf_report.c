/*  =========================================================================
    cf_report - the regulator's monthly report (CNCA), read from the store

    Layout and rules: cf_report.h.
    =========================================================================
*/

#include "cf_report.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cf_cnca.h"
#include "cf_date.h"
#include "cf_log.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_utf8.h"

//  Events read from the store at a time
#define S_CHUNK 200

//  The instant of event seq, or an error
static int
s_instant (cf_store_t *store, uint64_t seq, int64_t *at)
{
    Cf__Event **events = NULL;
    size_t count = 0;
    int rc = cf_store_events_since (store, seq - 1, 1, &events, &count);
    if (rc == 0 && count == 0)
        rc = CF_ENOTFOUND;
    if (rc == 0)
        *at = events[0]->at;
    cf_store_events_free (&events, count);
    return rc;
}

//  Parses text as a month, or says how to write one
static int
s_month (const char *text, int64_t *start, int64_t *end,
         cf_problems_t *problems)
{
    if (cf_cnca_month (text, start, end) == 0)
        return 0;
    cf_problems_add (problems, "report.month",
                     "month '%.*s' is not a month: write YYYY-MM, e.g. 2026-11",
                     CF_UTF8_CUT (text, CF_UTF8_QUOTE_MAX));
    return CF_EINVAL;
}

//  Sets *first to the first event at or after instant start (last + 1
//  when none), by bisection over the log in commit order
static int
s_first_at (cf_store_t *store, int64_t start, uint64_t *first)
{
    uint64_t last;
    int rc = cf_store_last_seq (store, &last);
    uint64_t low = 1, high = last + 1;
    while (rc == 0 && low < high) {
        uint64_t middle = low + (high - low) / 2;
        int64_t at;
        rc = s_instant (store, middle, &at);
        if (rc == 0 && at < start)
            low = middle + 1;
        else if (rc == 0)
            high = middle;
    }
    *first = low;
    return rc;
}

//  What the case's history says before event seq: whether it holds a row
//  of kind (*had), and the sheet of its latest sheet_submitted (*sheet, a
//  copy the caller frees, or NULL)
static void
s_before (cf_store_t *store, const char *case_id, const char *kind,
          uint64_t seq, bool *had, Cf__ScoreSheet **sheet)
{
    Cf__Event **events = NULL;
    size_t count = 0;
    *had = false;
    *sheet = NULL;
    const Cf__ScoreSheet *filed = NULL;
    if (cf_store_case_history (store, case_id, &events, &count) == 0)
        for (size_t index = 0; index < count && events[index]->seq < seq;
             index++) {
            const Cf__Event *event = events[index];
            const char *was = cf_cnca_kind (event);
            *had = *had || (was && strcmp (was, kind) == 0);
            if (!*event->refused &&
                strcmp (event->event, "sheet_submitted") == 0 && event->data &&
                event->data->body_case == CF__EVENT_DATA__BODY_SHEET)
                filed = event->data->sheet;
        }
    if (filed)
        *sheet = cf_pb_dup (&filed->base);
    cf_store_events_free (&events, count);
}

typedef struct {
    cf_store_t *store;
    cf_report_scheme_fn *scheme_of;
    void *argument;
    Cf__Staff **staff;
    size_t staff_count;
    Cf__ReportPage *page;
    cf_problems_t *found;  //  Team members without a registration
    size_t bytes;          //  Packed size of the rows so far
} s_reader_t;

static void
s_add (s_reader_t *self, Cf__ReportRow *row)
{
    if (!row)
        return;
    self->bytes += protobuf_c_message_get_packed_size (&row->base);
    cf_pb_append (&self->page->n_rows, (void ***)&self->page->rows, row);
}

//  The rows of one event
static int
s_rows (s_reader_t *self, const Cf__Event *event)
{
    const char *kind = cf_cnca_kind (event);
    if (!kind)
        return 0;
    Cf__Case *record = NULL;
    int rc = cf_store_get_case (self->store, event->case_id, &record);
    if (rc)
        return rc;
    const cf_scheme_t *scheme = NULL;
    if (self->scheme_of (self->argument, record, &scheme) != 0)
        scheme = NULL;
    cf_cnca_sources_t sources = {record, NULL,        scheme,           NULL,
                                 false,  self->staff, self->staff_count};
    Cf__ScoreSheet *filed = NULL;
    const Cf__EventData *data = event->data;
    const char *number = NULL;
    if (strcmp (kind, CF_CNCA_CERTIFICATE) == 0)
        number = data && data->body_case == CF__EVENT_DATA__BODY_CERTIFICATE
                     ? data->certificate->number
                     : NULL;
    else if (strcmp (kind, CF_CNCA_CHANGE) == 0)
        number = event->certificate;
    else
        s_before (self->store, record->id, kind, event->seq, &sources.changed,
                  &filed);
    sources.sheet = filed;
    Cf__Certificate *certificate = NULL;
    if (number &&
        cf_store_get_certificate (self->store, number, &certificate) != 0) {
        cf_log_error ("report: event %llu names certificate %s, which is "
                      "not stored",
                      (unsigned long long)event->seq, number);
        cf_pb_free (&record);
        cf_pb_free (&filed);
        return CF_ECORRUPT;
    }
    sources.certificate = certificate;
    s_add (self, cf_cnca_row (kind, event, &sources, self->found));
    //  A reissue supersedes the old certificate and issues its successor
    const Cf__CertificateChange *change =
        data && data->body_case == CF__EVENT_DATA__BODY_CHANGE ? data->change
                                                               : NULL;
    Cf__Certificate *successor = NULL;
    if (certificate && change && *change->successor &&
        strcmp (event->event, "certificate_superseded") == 0 &&
        cf_store_get_certificate (self->store, change->successor, &successor) ==
            0 &&
        strcmp (successor->replaces, certificate->number) == 0 &&
        strcmp (successor->case_id, certificate->case_id) == 0) {
        sources.certificate = successor;
        s_add (self,
               cf_cnca_row (CF_CNCA_CERTIFICATE, event, &sources, self->found));
    }
    cf_pb_free (&successor);
    cf_pb_free (&certificate);
    cf_pb_free (&filed);
    cf_pb_free (&record);
    return 0;
}

//  Each problem once, "code: message"
static void
s_problems (Cf__ReportPage *page, const cf_problems_t *found)
{
    for (size_t index = 0; index < cf_problems_size (found); index++) {
        char *line = NULL;
        if (asprintf (&line, "%s: %s", cf_problems_code (found, index),
                      cf_problems_message (found, index)) < 0)
            cf_mem_fail ();
        bool seen = false;
        for (size_t was = 0; was < page->n_problems && !seen; was++)
            seen = strcmp (page->problems[was], line) == 0;
        if (!seen)
            cf_pb_append_string (&page->n_problems, &page->problems, line);
        free (line);
    }
}

int
cf_report_page (cf_store_t *store, int64_t now, const Cf__ReportQuery *query,
                cf_report_scheme_fn *scheme_of, void *argument,
                size_t max_bytes, Cf__ReportPage **page_p,
                cf_problems_t *problems)
{
    assert (store && query && scheme_of && page_p);
    *page_p = NULL;
    int64_t start, end;
    if (s_month (query->month, &start, &end, problems) != 0)
        return CF_EINVAL;
    if (start > now) {
        char today[11];
        cf_problems_add (problems, "report.month",
                         "month %s has not begun: today is %s by the "
                         "daemon's clock",
                         query->month,
                         cf_date_format (cf_date_from_ms (now), today));
        return CF_EINVAL;
    }
    uint64_t first;
    int rc = s_first_at (store, start, &first);
    if (rc)
        return rc;
    Cf__ReportPage *page = cf_pb_new (&cf__report_page__descriptor);
    cf_pb_set_string (&page->month, query->month);
    page->complete = end <= now;
    page->scanned = query->after > first - 1 ? query->after : first - 1;
    s_reader_t reader = {store, scheme_of, argument,           NULL,
                         0,     page,      cf_problems_new (), 0};
    rc = cf_store_list_staff (store, &reader.staff, &reader.staff_count);
    size_t looked = 0;
    bool ended = false;
    while (rc == 0 && !ended && !page->more) {
        Cf__Event **events = NULL;
        size_t count = 0;
        bool more = false;
        rc = cf_store_events_page (store, page->scanned, S_CHUNK, max_bytes,
                                   &events, &count, &more);
        for (size_t index = 0; rc == 0 && index < count; index++) {
            const Cf__Event *event = events[index];
            if (event->at >= end) {
                ended = true;
                break;
            }
            if (event->at >= start)
                rc = s_rows (&reader, event);
            page->scanned = event->seq;
            looked++;
            if (looked >= CF_REPORT_SCAN_MAX || reader.bytes >= max_bytes / 2) {
                page->more = index + 1 < count || more;
                break;
            }
        }
        cf_store_events_free (&events, count);
        if (!more)
            ended = true;
    }
    s_problems (page, reader.found);
    cf_problems_destroy (&reader.found);
    cf_store_staff_free (&reader.staff, reader.staff_count);
    if (rc) {
        cf_pb_free (&page);
        return rc;
    }
    *page_p = page;
    return 0;
}

int
cf_report_problems (cf_store_t *store, int64_t now, const char *month,
                    cf_report_scheme_fn *scheme_of, void *argument,
                    size_t max_bytes, cf_problems_t *problems, size_t *count)
{
    assert (count);
    *count = 0;
    Cf__ReportQuery query = CF__REPORT_QUERY__INIT;
    query.month = (char *)month;
    char **seen = NULL;
    size_t seen_count = 0;
    int rc = 0;
    for (bool more = true; rc == 0 && more;) {
        Cf__ReportPage *page = NULL;
        rc = cf_report_page (store, now, &query, scheme_of, argument, max_bytes,
                             &page, problems);
        if (rc)
            break;
        for (size_t index = 0; index < page->n_problems; index++) {
            bool known = false;
            for (size_t was = 0; was < seen_count && !known; was++)
                known = strcmp (seen[was], page->problems[index]) == 0;
            if (!known) {
                cf_pb_append_string (&seen_count, &seen, page->problems[index]);
                cf_problems_add (problems, "report.incomplete", "%s",
                                 page->problems[index]);
            }
        }
        more = page->more && page->scanned > query.after;
        query.after = page->scanned;
        cf_pb_free (&page);
    }
    for (size_t index = 0; index < seen_count; index++)
        free (seen[index]);
    free (seen);
    *count = seen_count;
    return rc;
}

//  ------------------------------------------------------------------------
//  The report as an obligation

#define S_META_PREFIX "cnca/"

//  The month of the store's first event, or CF_ENOTFOUND
static int
s_first_month (cf_store_t *store, cf_day_t *first)
{
    int64_t at;
    int rc = s_instant (store, 1, &at);
    if (rc == 0) {
        int year, month, mday;
        cf_date_to_ymd (cf_date_from_ms (at), &year, &month, &mday);
        *first = cf_date_from_ymd (year, month, 1);
    }
    return rc;
}

static cf_day_t
s_month_start (int64_t ms)
{
    int year, month, mday;
    cf_date_to_ymd (cf_date_from_ms (ms), &year, &month, &mday);
    return cf_date_from_ymd (year, month, 1);
}

//  The instant day mday of the month after the one that starts on first
//  begins
static int64_t
s_next_month_day (cf_day_t first, int mday)
{
    return cf_date_to_ms (cf_date_add_months (first, 1) + mday - 1);
}

void
cf_report_status (Cf__ReportObligation *obligation, int64_t now)
{
    assert (obligation);
    int64_t start, end;
    const char *status = "open";
    if (obligation->submitted_at)
        status = "submitted";
    else if (cf_cnca_month (obligation->month, &start, &end) == 0) {
        cf_day_t first = cf_date_from_ms (start);
        if (now >= s_next_month_day (first, CF_REPORT_DUE_DAY + 1))
            status = "overdue";
        else if (now >= s_next_month_day (first, CF_REPORT_REMINDER_DAY))
            status = "due";
    }
    cf_pb_set_string (&obligation->status, status);
}

//  The obligation of the month that starts on first, as recorded or new
static int
s_read (cf_store_t *store, cf_day_t first, int64_t now,
        Cf__ReportObligation **obligation_p)
{
    char day[11], key[sizeof S_META_PREFIX + 8];
    cf_date_format (first, day);
    snprintf (key, sizeof key, S_META_PREFIX "%.7s", day);
    char *text = NULL;
    int rc = cf_store_get_meta (store, key, &text);
    Cf__ReportObligation *obligation = NULL;
    if (rc == 0) {
        size_t size = strlen (text), length = 0;
        uint8_t *packed = cf_mem_check (malloc (size + 1));
        if (sodium_base642bin (packed, size + 1, text, size, NULL, &length,
                               NULL, sodium_base64_VARIANT_ORIGINAL) == 0)
            obligation = cf__report_obligation__unpack (NULL, length, packed);
        free (packed);
        free (text);
        if (!obligation) {
            cf_log_error ("store: meta %s does not hold a report's record",
                          key);
            return CF_ECORRUPT;
        }
        //  Heap strings from here, as cf_pb_set_string expects
        Cf__ReportObligation *copy = cf_pb_dup (&obligation->base);
        cf__report_obligation__free_unpacked (obligation, NULL);
        obligation = copy;
    } else if (rc == CF_ENOTFOUND) {
        obligation = cf_pb_new (&cf__report_obligation__descriptor);
        snprintf (key, sizeof key, "%.7s", day);
        cf_pb_set_string (&obligation->month, key);
    } else
        return rc;
    cf_pb_set_string (
        &obligation->due_date,
        cf_date_format (cf_date_add_months (first, 1) + CF_REPORT_DUE_DAY - 1,
                        day));
    cf_report_status (obligation, now);
    *obligation_p = obligation;
    return 0;
}

int
cf_report_obligation (cf_store_t *store, int64_t now, const char *month,
                      Cf__ReportObligation **obligation_p,
                      cf_problems_t *problems)
{
    assert (store && obligation_p);
    *obligation_p = NULL;
    int64_t start, end;
    if (s_month (month, &start, &end, problems) != 0)
        return CF_EINVAL;
    cf_day_t first, wanted = cf_date_from_ms (start);
    int rc = s_first_month (store, &first);
    if (rc && rc != CF_ENOTFOUND)
        return rc;
    if (rc == CF_ENOTFOUND || wanted < first || start > now) {
        char from[11], to[11];
        if (rc == CF_ENOTFOUND)
            cf_problems_add (problems, "report.month",
                             "no month owes a report yet: the store has "
                             "recorded nothing");
        else
            cf_problems_add (problems, "report.month",
                             "month %s owes no report: the months from %.7s "
                             "to %.7s do (certflow reports lists them)",
                             month, cf_date_format (first, from),
                             cf_date_format (s_month_start (now), to));
        return CF_ENOTFOUND;
    }
    return s_read (store, wanted, now, obligation_p);
}

int
cf_report_obligations (cf_store_t *store, int64_t now,
                       Cf__ReportObligations **list_p)
{
    assert (store && list_p);
    Cf__ReportObligations *list =
        cf_pb_new (&cf__report_obligations__descriptor);
    *list_p = list;
    cf_day_t first, last = s_month_start (now);
    int rc = s_first_month (store, &first);
    if (rc == CF_ENOTFOUND)
        return 0;
    cf_day_t earliest = cf_date_add_months (last, 1 - CF_REPORT_MONTHS_MAX);
    if (first < earliest)
        first = earliest;
    for (cf_day_t day = first; rc == 0 && day <= last;
         day = cf_date_add_months (day, 1)) {
        Cf__ReportObligation *obligation = NULL;
        rc = s_read (store, day, now, &obligation);
        if (rc == 0)
            cf_pb_append (&list->n_obligations, (void ***)&list->obligations,
                          obligation);
    }
    if (rc) {
        cf_pb_free (list_p);
        return rc;
    }
    return 0;
}

int
cf_report_next_reminder (cf_store_t *store, int64_t *due, char *month)
{
    assert (store && due && month);
    *due = INT64_MAX;
    *month = 0;
    cf_day_t first;
    int rc = s_first_month (store, &first);
    if (rc == CF_ENOTFOUND)
        return 0;
    //  Recorded months are reminded or submitted: the first month after
    //  the last of them in a row owes the next reminder
    char **keys = NULL;
    size_t count = 0;
    if (rc == 0)
        rc = cf_store_meta_keys (store, S_META_PREFIX, &keys, &count);
    for (cf_day_t day = first; rc == 0; day = cf_date_add_months (day, 1)) {
        char text[11], key[sizeof S_META_PREFIX + 8];
        snprintf (key, sizeof key, S_META_PREFIX "%.7s",
                  cf_date_format (day, text));
        bool recorded = false;
        for (size_t index = 0; index < count && !recorded; index++)
            recorded = strcmp (keys[index], key) == 0;
        if (!recorded) {
            *due = s_next_month_day (day, CF_REPORT_REMINDER_DAY);
            snprintf (month, 8, "%.7s", text);
            break;
        }
    }
    cf_store_keys_free (&keys, count);
    return rc;
}

int
cf_report_put (cf_batch_t *batch, const Cf__ReportObligation *obligation)
{
    assert (batch && obligation);
    Cf__ReportObligation stored = *obligation;
    stored.status = "";
    size_t size = 0;
    uint8_t *packed = cf_pb_pack (&stored.base, &size);
    size_t length =
        sodium_base64_ENCODED_LEN (size, sodium_base64_VARIANT_ORIGINAL);
    char *text = cf_mem_check (malloc (length));
    sodium_bin2base64 (text, length, packed, size,
                       sodium_base64_VARIANT_ORIGINAL);
    char key[sizeof S_META_PREFIX + 8];
    snprintf (key, sizeof key, S_META_PREFIX "%.7s", obligation->month);
    int rc = cf_batch_set_meta (batch, key, text);
    free (text);
    free (packed);
    return rc;
}
