/*  =========================================================================
    cf_report - the regulator's monthly report (CNCA), read from the store

    Layout and rules: cf_report.h.
    =========================================================================
*/

#include "cf_report.h"

#include <assert.h>
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
    if (cf_cnca_month (query->month, &start, &end) != 0) {
        cf_problems_add (problems, "report.month",
                         "month '%.*s' is not a month: write YYYY-MM, e.g. "
                         "2026-11",
                         CF_UTF8_CUT (query->month, CF_UTF8_QUOTE_MAX));
        return CF_EINVAL;
    }
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
