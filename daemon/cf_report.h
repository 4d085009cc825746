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

#endif
