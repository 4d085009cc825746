/*  =========================================================================
    cf_date - calendar dates of the certification domain

    Day numbers use the proleptic Gregorian calendar, converted with the
    era-based method (400-year eras of 146097 days) that is exact for every
    date and needs no tables.
    =========================================================================
*/

#include "cf_date.h"

#include <stdio.h>
#include <string.h>

static bool
s_is_leap (int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
s_days_in_month (int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && s_is_leap (year) ? 29 : days[month - 1];
}

cf_day_t
cf_date_from_ymd (int year, int month, int mday)
{
    //  Shift the year to start in March, so the leap day is the last day
    year -= month <= 2;
    int era = (year >= 0 ? year : year - 399) / 400;
    int year_of_era = year - era * 400;
    int day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + mday - 1;
    int day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

void
cf_date_to_ymd (cf_day_t day, int *year, int *month, int *mday)
{
    int z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int day_of_era = z - era * 146097;
    int year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
                       day_of_era / 146096) /
                      365;
    int day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int shifted_month = (5 * day_of_year + 2) / 153;
    *mday = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    *month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
    *year = year_of_era + era * 400 + (*month <= 2);
}

int
cf_date_parse (const char *text, cf_day_t *day)
{
    if (!text || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
        return CF_EINVAL;
    for (int index = 0; index < 10; index++)
        if (index != 4 && index != 7 &&
            (text[index] < '0' || text[index] > '9'))
            return CF_EINVAL;
    int year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 +
               (text[2] - '0') * 10 + (text[3] - '0');
    int month = (text[5] - '0') * 10 + (text[6] - '0');
    int mday = (text[8] - '0') * 10 + (text[9] - '0');
    if (year < 1900 || month < 1 || month > 12 || mday < 1 ||
        mday > s_days_in_month (year, month))
        return CF_EINVAL;
    *day = cf_date_from_ymd (year, month, mday);
    return 0;
}

char *
cf_date_format (cf_day_t day, char *buffer)
{
    int year, month, mday;
    cf_date_to_ymd (day, &year, &month, &mday);
    //  Each part is reduced to its width, so the text is always 10 bytes
    snprintf (buffer, 11, "%04u-%02u-%02u", (unsigned)year % 10000u,
              (unsigned)month % 100u, (unsigned)mday % 100u);
    return buffer;
}

cf_day_t
cf_date_from_ms (int64_t ms)
{
    if (ms < CF_DATE_MS_MIN)
        ms = CF_DATE_MS_MIN;
    if (ms > CF_DATE_MS_MAX)
        ms = CF_DATE_MS_MAX;
    int64_t local = ms + CF_DATE_TZ_OFFSET_MS;
    int64_t day = local / 86400000;
    if (local % 86400000 < 0)
        day--;
    return (cf_day_t)day;
}

int64_t
cf_date_to_ms (cf_day_t day)
{
    return (int64_t)day * 86400000 - CF_DATE_TZ_OFFSET_MS;
}

cf_day_t
cf_date_add_months (cf_day_t day, int months)
{
    int year, month, mday;
    cf_date_to_ymd (day, &year, &month, &mday);
    int total = year * 12 + (month - 1) + months;
    year = total >= 0 ? total / 12 : (total - 11) / 12;
    month = total - year * 12 + 1;
    int last = s_days_in_month (year, month);
    return cf_date_from_ymd (year, month, mday > last ? last : mday);
}
