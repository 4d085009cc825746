/*  =========================================================================
    cf_date - calendar dates of the certification domain

    A date is a day number: days since 1970-01-01. Text form is ISO 8601
    "YYYY-MM-DD". Instants are milliseconds since the epoch (UTC); the day of
    an instant is taken in China Standard Time (UTC+8, no daylight saving),
    where the certification body works.
    =========================================================================
*/

#ifndef CF_DATE_H_INCLUDED
#define CF_DATE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "cf_error.h"

//  Days since 1970-01-01
typedef int32_t cf_day_t;

//  Offset of China Standard Time from UTC, in milliseconds
#define CF_DATE_TZ_OFFSET_MS (8LL * 3600 * 1000)

//  Parses "YYYY-MM-DD" (exactly ten characters, a real calendar day, year
//  1900 to 9999) into *day. Returns 0, or CF_EINVAL for NULL, empty or any
//  other text; *day is untouched on error.
int CF_MUST_CHECK cf_date_parse (const char *text, cf_day_t *day);

//  Writes day as "YYYY-MM-DD" into buffer, which holds at least 11 bytes.
//  Returns buffer.
char *cf_date_format (cf_day_t day, char *buffer);

//  Returns the day number of year, month (1-12), day of month (1-31). The
//  caller passes a valid date.
cf_day_t cf_date_from_ymd (int year, int month, int mday);

//  Splits a day number into year, month and day of month.
void cf_date_to_ymd (cf_day_t day, int *year, int *month, int *mday);

//  The instants cf_date_from_ms takes as they are: from the start of year 0
//  to the end of 9999-12-31, China Standard Time. Anything from the wire or
//  a clock may be outside; it is clamped, never overflowed.
#define CF_DATE_MS_MIN (-62167248000000LL)
#define CF_DATE_MS_MAX (253402271999999LL)

//  Returns the day (China Standard Time) of an instant in ms since epoch;
//  ms is first clamped to CF_DATE_MS_MIN .. CF_DATE_MS_MAX, so the day is
//  always one cf_date_format writes as it is.
cf_day_t cf_date_from_ms (int64_t ms);

//  Returns the instant at which day begins in China Standard Time.
int64_t cf_date_to_ms (cf_day_t day);

//  Adds months (may be negative). A day of month past the end of the target
//  month is clamped to its last day: 2024-01-31 + 1 month = 2024-02-29, and
//  2024-02-29 + 12 months = 2025-02-28.
cf_day_t cf_date_add_months (cf_day_t day, int months);

#endif
