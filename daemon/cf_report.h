/*  =========================================================================
    cf_report - the regulator's monthly report (CNCA), read from the store

    A month's rows are the reportable events (lib/cf_cnca.h) whose instant,
    the daemon's clock at their commit, falls in that month in China
    Standard Time. The event log is in commit order and each round's
    instant is the daemon's clock, so the month's events are one run of the
    log: the first is found by bisection, and a page reads on from there
    until the month ends, bounded by count and by size.

    Note: reads only, each in its own short transactions; single-threaded
    like the engine that calls it.
    =========================================================================
*/

#ifndef CF_REPORT_H_INCLUDED
#define CF_REPORT_H_INCLUDED

#include <stdint.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"
#include "cf_scheme.h"
#include "cf_store.h"

//  Sets *scheme to the scheme that governs record (borrowed), or returns
//  an error; the engine's lookup (argument is the engine)
typedef int (cf_report_scheme_fn) (void *argument, const Cf__Case *record,
                                   const cf_scheme_t **scheme);

//  Most events one page looks at
#define CF_REPORT_SCAN_MAX 2000

//  Reads the page of month query->month after event query->after (0: from
//  the month's first event) at the daemon's instant now, into a new
//  *page_p the caller frees with cf_pb_free. Rows come in sequence order;
//  page->more says to ask again after page->scanned; page->problems names
//  each team member without a registration number or staff record once;
//  page->complete is true once the month has ended by now.
//  Returns 0, or CF_EINVAL (month not YYYY-MM, or not begun by now;
//  problems say which and how to write it), or a store error.
int CF_MUST_CHECK cf_report_page (cf_store_t *store, int64_t now,
                                  const Cf__ReportQuery *query,
                                  cf_report_scheme_fn *scheme_of,
                                  void *argument, size_t max_bytes,
                                  Cf__ReportPage **page_p,
                                  cf_problems_t *problems);

//  Adds to problems what the regulator would refuse in month's whole
//  report (every page, as cf_report_page names them) and sets *count to
//  how many. Returns as cf_report_page.
int CF_MUST_CHECK cf_report_problems (cf_store_t *store, int64_t now,
                                      const char *month,
                                      cf_report_scheme_fn *scheme_of,
                                      void *argument, size_t max_bytes,
                                      cf_problems_t *problems, size_t *count);

//  ------------------------------------------------------------------------
//  The report as an obligation

//  Day of the next month a month's report is due by, and from which it is
//  reminded of
#define CF_REPORT_DUE_DAY      10
#define CF_REPORT_REMINDER_DAY 5
//  Most months listed: twenty years
#define CF_REPORT_MONTHS_MAX 240

//  Each month from the one of the store's first event to the one of now
//  (China time) owes a report. Its record lives in the meta table under
//  "cnca/YYYY-MM" once it was reminded or submitted.

//  Gets month's obligation (a new message the caller frees): as recorded,
//  or a new one when nothing was recorded yet, with its due date and its
//  status at now. Returns 0, CF_EINVAL (not a month), CF_ENOTFOUND (the
//  month owes no report: before the store's first event or after now's
//  month; problems say which months do), CF_ECORRUPT or a store error.
int CF_MUST_CHECK cf_report_obligation (cf_store_t *store, int64_t now,
                                        const char *month,
                                        Cf__ReportObligation **obligation_p,
                                        cf_problems_t *problems);

//  Lists the obligations of every month that owes a report, the latest
//  CF_REPORT_MONTHS_MAX, oldest first, each with its status at now.
//  Returns 0 (none when the log is empty) or a store error.
int CF_MUST_CHECK cf_report_obligations (cf_store_t *store, int64_t now,
                                         Cf__ReportObligations **list_p);

//  Sets the status of obligation at instant now.
void cf_report_status (Cf__ReportObligation *obligation, int64_t now);

//  Sets *due to the instant of the earliest reminder not yet recorded for
//  a month that owes a report and is not submitted (the 5th of the next
//  month, 00:00 China time) and month (at least 8 bytes) to that month,
//  or *due to INT64_MAX when the store holds no event yet. Returns 0 or a
//  store error.
int CF_MUST_CHECK cf_report_next_reminder (cf_store_t *store, int64_t *due,
                                           char *month);

//  Records obligation in batch (status is not stored). Returns as
//  cf_batch_set_meta.
int CF_MUST_CHECK cf_report_put (cf_batch_t *batch,
                                 const Cf__ReportObligation *obligation);

#endif
