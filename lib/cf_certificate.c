/*  =========================================================================
    cf_certificate - the certificate: issuance, validity, the document
    =========================================================================
*/

#include "cf_certificate.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_text.h"

//  Columns inside the border of the rendered page: "| " + 76 + " |" = 80
#define S_PAGE_WIDTH 76

//  Indent of the lines a long value wraps onto
#define S_WRAP_INDENT 4

static const char *
s_str (const char *text)
{
    return text ? text : "";
}

bool
cf_certificate_number_valid (const char *number)
{
    if (!number)
        return false;
    size_t length = strlen (number);
    if (length < CF_CERTIFICATE_NUMBER_MIN ||
        length > CF_CERTIFICATE_NUMBER_MAX)
        return false;
    for (size_t index = 0; index < length; index++) {
        char c = number[index];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

//  Lists the scheme's grade names as "a, b, c" in a new string
static char *
s_grade_names (const cf_scheme_t *scheme)
{
    size_t size = 1;
    for (size_t index = 0; index < scheme->grade_count; index++)
        size += strlen (s_str (scheme->grades[index].name)) + 2;
    char *names = cf_mem_check (calloc (1, size));
    for (size_t index = 0; index < scheme->grade_count; index++) {
        if (index)
            strcat (names, ", ");
        strcat (names, s_str (scheme->grades[index].name));
    }
    return names;
}

//  Checks what issuance needs; returns the number of problems found.
//  *score_p gets the score that applies, *decision_p the decision day.
static int
s_check (const cf_scheme_t *scheme, const Cf__Case *record, const char *number,
         cf_day_t issue_day, const char *granted_grade,
         const Cf__ScoreResult **score_p, cf_problems_t *problems)
{
    int found = 0;
    const char *case_id = s_str (record->id);
    char issued[11], decided[11];
    cf_date_format (issue_day, issued);

    if (strcmp (s_str (record->decision), "grant") != 0) {
        cf_problems_add (problems, "certificate.decision",
                         "case %s has no decision to grant (decision \"%s\"); "
                         "a certificate is issued only after the committee "
                         "grants certification",
                         case_id, s_str (record->decision));
        found++;
    }
    cf_day_t decision_day;
    if (cf_date_parse (record->decision_date, &decision_day)) {
        cf_problems_add (problems, "certificate.decision_date",
                         "case %s has no readable decision date (\"%s\"); "
                         "record the date of the committee's decision",
                         case_id, s_str (record->decision_date));
        found++;
    } else if (issue_day < decision_day) {
        cf_problems_add (problems, "certificate.issue_date",
                         "certificate may not be dated before the decision: "
                         "issue date %s is before the decision of %s; issue "
                         "on %s or later (ISO/IEC 17065 7.7.1)",
                         issued, cf_date_format (decision_day, decided),
                         decided);
        found++;
    }
    if (!cf_certificate_number_valid (number)) {
        cf_problems_add (problems, "certificate.number",
                         "certificate number \"%s\" is not valid; use %d to "
                         "%d upper case letters, digits or '-', no spaces",
                         s_str (number), CF_CERTIFICATE_NUMBER_MIN,
                         CF_CERTIFICATE_NUMBER_MAX);
        found++;
    }
    if (!record->application) {
        cf_problems_add (problems, "certificate.application",
                         "case %s has no application: the holder, addresses "
                         "and scope come from it",
                         case_id);
        found++;
    }
    if (scheme->validity_years <= 0 || scheme->surveillance_months <= 0) {
        cf_problems_add (problems, "certificate.scheme",
                         "scheme %s gives validity_years %d and "
                         "surveillance_months %d; both must be positive",
                         s_str (scheme->version), scheme->validity_years,
                         scheme->surveillance_months);
        found++;
    }

    const Cf__ScoreResult *score =
        record->rescored ? record->rescored : record->original;
    int32_t score_tenths = -1;
    if (!score) {
        cf_problems_add (problems, "certificate.score",
                         "case %s has no score; the on-site score must be "
                         "recorded before issuance",
                         case_id);
        found++;
    } else if (!(score->score >= 0.0 && score->score <= 100.0)) {
        cf_problems_add (problems, "certificate.score",
                         "case %s has score %g, outside 0 to 100", case_id,
                         score->score);
        found++;
    } else
        score_tenths = (int32_t)(score->score * 10.0 + 0.5);

    const cf_grade_t *grade = cf_scheme_grade_named (scheme, granted_grade);
    if (!grade) {
        char *names = s_grade_names (scheme);
        cf_problems_add (problems, "certificate.grade",
                         "grade \"%s\" is not in scheme %s; grant one of: %s",
                         s_str (granted_grade), s_str (scheme->version), names);
        free (names);
        found++;
    } else if (score_tenths >= 0 && grade->min_tenths > score_tenths) {
        cf_problems_add (problems, "certificate.grade",
                         "grade %s needs a score of at least %d.%d but case "
                         "%s scored %d.%d; grant the grade the score reaches",
                         grade->name, grade->min_tenths / 10,
                         grade->min_tenths % 10, case_id, score_tenths / 10,
                         score_tenths % 10);
        found++;
    }
    *score_p = score;
    return found;
}

int
cf_certificate_build (const cf_scheme_t *scheme, const Cf__Case *record,
                      const char *number, cf_day_t issue_day,
                      const char *granted_grade, Cf__Certificate **cert_p,
                      cf_problems_t *problems)
{
    assert (scheme && record && cert_p);
    *cert_p = NULL;
    const Cf__ScoreResult *score = NULL;
    if (s_check (scheme, record, number, issue_day, granted_grade, &score,
                 problems))
        return CF_EINVAL;

    const Cf__Application *application = record->application;
    const cf_grade_t *grade = cf_scheme_grade_named (scheme, granted_grade);
    Cf__Certificate *cert = cf_pb_new (&cf__certificate__descriptor);
    cf_pb_set_string (&cert->number, number);
    cf_pb_set_string (&cert->case_id, record->id);
    cf_pb_set_string (&cert->org, record->org);
    cf_pb_set_string (&cert->company_name, application->company_name);
    cf_pb_set_string (&cert->uscc, application->uscc);
    cf_pb_set_string (&cert->registered_address,
                      application->registered_address);
    cf_pb_set_string (&cert->operating_address, application->operating_address);
    for (size_t index = 0; index < application->n_scope; index++)
        cf_pb_append_string (&cert->n_scope, &cert->scope,
                             application->scope[index]);
    cf_pb_set_string (&cert->standard, scheme->standard);
    cf_pb_set_string (&cert->grade, grade->name);
    cert->score = score->score;
    cf_pb_set_string (&cert->decision_date, record->decision_date);

    char date[11];
    cf_pb_set_string (&cert->issue_date, cf_date_format (issue_day, date));
    cf_day_t expiry =
        cf_date_add_months (issue_day, scheme->validity_years * 12);
    cf_pb_set_string (&cert->expiry_date, cf_date_format (expiry, date));
    //  Each visit is counted from the issue date, not from the visit before,
    //  so a 29 February issue does not drift to the 28th for good
    int interval = scheme->surveillance_months;
    if (interval > CF_CERTIFICATE_SURVEILLANCE_MAX_MONTHS)
        interval = CF_CERTIFICATE_SURVEILLANCE_MAX_MONTHS;
    for (int visit = 1;; visit++) {
        cf_day_t due = cf_date_add_months (issue_day, visit * interval);
        if (due >= expiry)
            break;
        cf_pb_append_string (&cert->n_surveillance, &cert->surveillance,
                             cf_date_format (due, date));
        Cf__Visit *planned = cf_pb_new (&cf__visit__descriptor);
        cf_pb_set_string (&planned->due, date);
        cf_pb_append (&cert->n_visits, (void ***)&cert->visits, planned);
    }
    cert->status = CF__CERT_STATUS__CERT_STATUS_VALID;
    cf_pb_set_string (&cert->scheme_version, scheme->version);
    cf_pb_set_string (&cert->issuer, scheme->issuer);
    if (grade->stars && record->committee && record->committee->star_override)
        cf_pb_set_string (&cert->star_override_reason,
                          record->committee->star_override_reason);
    *cert_p = cert;
    return 0;
}

Cf__CertStatus
cf_certificate_status_on (const Cf__Certificate *cert, cf_day_t day)
{
    assert (cert);
    if (cert->status != CF__CERT_STATUS__CERT_STATUS_VALID)
        return cert->status;
    cf_day_t expiry;
    if (cf_date_parse (cert->expiry_date, &expiry))
        return CF__CERT_STATUS__CERT_STATUS_UNSPECIFIED;
    return day > expiry ? CF__CERT_STATUS__CERT_STATUS_EXPIRED
                        : CF__CERT_STATUS__CERT_STATUS_VALID;
}

//  -------------------------------------------------------------------------
//  The rendered page

static void
s_text_repeat (cf_text_t *text, char c, size_t count)
{
    for (size_t index = 0; index < count; index++)
        cf_text_append (text, &c, 1);
}

//  Decodes one UTF-8 character at bytes; *length gets its size in bytes.
//  Returns the code point, or -1 for a byte that does not start a valid,
//  shortest-form sequence (then *length is 1).
static int32_t
s_decode (const unsigned char *bytes, size_t *length)
{
    *length = 1;
    unsigned char lead = bytes[0];
    if (lead < 0x80)
        return lead;
    size_t size = lead >= 0xF0 && lead <= 0xF4   ? 4
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xC2 && lead <= 0xDF ? 2
                                                 : 0;
    if (size == 0)
        return -1;
    int32_t point = lead & (0x3F >> (size - 1));
    for (size_t index = 1; index < size; index++) {
        if ((bytes[index] & 0xC0) != 0x80)
            return -1;
        point = (point << 6) | (bytes[index] & 0x3F);
    }
    static const int32_t lowest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (point < lowest[size] || point > 0x10FFFF ||
        (point >= 0xD800 && point <= 0xDFFF))
        return -1;
    *length = size;
    return point;
}

//  Columns a character takes: two for East Asian wide and full-width
//  characters (CJK ideographs, kana, hangul, CJK punctuation such as 《》
//  and full-width forms), one for everything else, as wcwidth counts them
static size_t
s_columns (int32_t point)
{
    static const int32_t wide[][2] = {
        {0x1100, 0x115F},  {0x2E80, 0x303E}, {0x3041, 0x33FF},
        {0x3400, 0x4DBF},  {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
        {0xAC00, 0xD7A3},  {0xF900, 0xFAFF}, {0xFE30, 0xFE4F},
        {0xFF00, 0xFF60},  {0xFFE0, 0xFFE6}, {0x20000, 0x2FFFD},
        {0x30000, 0x3FFFD}};
    for (size_t index = 0; index < sizeof wide / sizeof wide[0]; index++)
        if (point >= wide[index][0] && point <= wide[index][1])
            return 2;
    return 1;
}

//  Returns a copy of text that is safe to lay out: valid UTF-8 with no
//  control characters (they become spaces; bytes that are not UTF-8 '?')
static char *
s_clean (const char *text)
{
    cf_text_t clean = {0};
    cf_text_append (&clean, "", 0);
    const unsigned char *cursor = (const unsigned char *)s_str (text);
    while (*cursor) {
        size_t length;
        int32_t point = s_decode (cursor, &length);
        if (point < 0)
            cf_text_append (&clean, "?", 1);
        else if (point < 0x20 || point == 0x7F ||
                 (point >= 0x80 && point < 0xA0))
            cf_text_append (&clean, " ", 1);
        else
            cf_text_append (&clean, (const char *)cursor, length);
        cursor += length;
    }
    return clean.data;
}

static size_t
s_width (const char *clean)
{
    size_t width = 0;
    const unsigned char *cursor = (const unsigned char *)clean;
    while (*cursor) {
        size_t length;
        width += s_columns (s_decode (cursor, &length));
        cursor += length;
    }
    return width;
}

//  Adds one bordered line: "| " + margin spaces + bytes + padding + " |"
static void
s_line (cf_text_t *page, size_t margin, const char *bytes, size_t size,
        size_t width)
{
    cf_text_append (page, "| ", 2);
    s_text_repeat (page, ' ', margin);
    cf_text_append (page, bytes, size);
    s_text_repeat (page, ' ', S_PAGE_WIDTH - margin - width);
    cf_text_append (page, " |\n", 3);
}

//  Adds text (already clean) as bordered lines, wrapping what does not
//  fit: at the last space when one falls in the second half of the line,
//  else between characters. Lines after the first are indented.
static void
s_row (cf_text_t *page, const char *clean)
{
    const char *cursor = clean;
    size_t margin = 0;
    do {
        size_t room = S_PAGE_WIDTH - margin;
        const char *end = cursor, *space = NULL;
        size_t width = 0, space_width = 0, length;
        while (*end) {
            size_t columns =
                s_columns (s_decode ((const unsigned char *)end, &length));
            if (width + columns > room)
                break;
            if (*end == ' ') {
                space = end;
                space_width = width;
            }
            end += length;
            width += columns;
        }
        const char *next = end;
        if (*end && space && space_width >= room / 2) {
            end = space;
            width = space_width;
            next = space + 1;
        }
        s_line (page, margin, cursor, (size_t)(end - cursor), width);
        cursor = next;
        while (*cursor == ' ')
            cursor++;
        margin = S_WRAP_INDENT;
    } while (*cursor);
}

//  Adds a printf-formatted row; the arguments may hold any bytes
static void s_rowf (cf_text_t *page, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_rowf (cf_text_t *page, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *raw = NULL;
    int size = vasprintf (&raw, format, args);
    va_end (args);
    if (size < 0)
        cf_mem_fail ();
    char *clean = s_clean (raw);
    s_row (page, clean);
    free (clean);
    free (raw);
}

static void
s_center (cf_text_t *page, const char *text)
{
    char *clean = s_clean (text);
    size_t width = s_width (clean);
    if (width <= S_PAGE_WIDTH)
        s_line (page, (S_PAGE_WIDTH - width) / 2, clean, strlen (clean), width);
    else
        s_row (page, clean);
    free (clean);
}

static void
s_rule (cf_text_t *page, char c)
{
    cf_text_append (page, "+", 1);
    s_text_repeat (page, c, S_PAGE_WIDTH + 2);
    cf_text_append (page, "+\n", 2);
}

//  Stars of a grade: GB/T 27922 star levels are three to five stars; the
//  scheme lists grades highest first, so the lowest star grade gets three
static size_t
s_stars (const cf_scheme_t *scheme, const cf_grade_t *grade)
{
    if (!grade || !grade->stars)
        return 0;
    size_t below = 0;
    for (const cf_grade_t *lower = grade + 1;
         lower < scheme->grades + scheme->grade_count; lower++)
        if (lower->stars)
            below++;
    return below + 3 > 5 ? 5 : below + 3;
}

char *
cf_certificate_render (const cf_scheme_t *scheme, const Cf__Certificate *cert,
                       const char *grade_label)
{
    assert (scheme && cert);
    const cf_grade_t *grade = cf_scheme_grade_named (scheme, cert->grade);
    const char *label = grade_label ? grade_label
                        : grade     ? grade->label
                                    : cert->grade;
    char stars[5 * 3 + 1] = "";
    for (size_t index = 0; index < s_stars (scheme, grade); index++)
        strcat (stars, "★");

    cf_text_t page = {0};
    s_rule (&page, '=');
    s_center (&page, "");
    s_center (&page, "认证证书  CERTIFICATE");
    s_center (&page, s_str (scheme->name));
    s_center (&page, "");
    s_rowf (&page, "证书编号 Certificate No.: %s", s_str (cert->number));
    s_rule (&page, '-');
    s_rowf (&page, "获证组织 Certificate holder: %s",
            s_str (cert->company_name));
    s_rowf (&page, "统一社会信用代码 Unified social credit code: %s",
            s_str (cert->uscc));
    s_rowf (&page, "注册地址 Registered address: %s",
            s_str (cert->registered_address));
    s_rowf (&page, "经营地址 Operating address: %s",
            s_str (cert->operating_address));
    s_rowf (&page, "认证范围 Scope of certification:");
    for (size_t index = 0; index < cert->n_scope; index++)
        s_rowf (&page, "  - %s", s_str (cert->scope[index]));
    s_rowf (&page, "认证依据 Standard: %s", s_str (cert->standard));
    s_rowf (&page, "评价等级 Grade: %s%s%s", s_str (label), *stars ? " " : "",
            stars);
    s_rowf (&page, "评价得分 Score: %.1f", cert->score);
    if (cert->star_override_reason && *cert->star_override_reason)
        s_rowf (&page, "星级提前授予理由 Stars granted early because: %s",
                cert->star_override_reason);
    s_rule (&page, '-');
    s_rowf (&page, "认证决定日期 Decision date: %s",
            s_str (cert->decision_date));
    s_rowf (&page, "发证日期 Issue date: %s", s_str (cert->issue_date));
    s_rowf (&page, "有效期至 Valid until: %s", s_str (cert->expiry_date));
    s_rowf (&page, "监督审查计划 Surveillance plan (获证后监督):");
    if (cert->n_surveillance == 0)
        s_rowf (&page, "  无 none");
    for (size_t index = 0; index < cert->n_surveillance; index++)
        s_rowf (&page, "  第%zu次监督 Surveillance %zu: 不晚于 due by %s",
                index + 1, index + 1, s_str (cert->surveillance[index]));
    s_rule (&page, '-');
    s_rowf (&page, "发证机构 Issued by: %s", s_str (cert->issuer));
    s_rowf (&page, "认证方案 Scheme version: %s", s_str (cert->scheme_version));
    //  On a line of its own, so the command can be copied whole
    s_rowf (&page, "证书有效性查询:");
    s_rowf (&page, "Check validity: certflow certificate check %s",
            s_str (cert->number));
    s_center (&page, "");
    s_rule (&page, '=');
    return page.data;
}

char *
cf_certificate_grade_text (const cf_scheme_t *scheme, const char *grade)
{
    assert (scheme && grade);
    const cf_grade_t *named = cf_scheme_grade_named (scheme, grade);
    size_t stars = s_stars (scheme, named);
    char *text = NULL;
    if (asprintf (&text, "%s%s%.*s", named ? named->label : grade,
                  stars ? " " : "", (int)(stars * 3), "★★★★★") < 0)
        cf_mem_fail ();
    return text;
}

char *
cf_certificate_normal_number (const char *number)
{
    assert (number);
    char *normal = cf_mem_check (strdup (number));
    size_t kept = 0;
    for (const char *cursor = number; *cursor; cursor++)
        if (*cursor != ' ' && *cursor != '\t')
            normal[kept++] =
                (char)(*cursor >= 'a' && *cursor <= 'z' ? *cursor - 'a' + 'A'
                                                        : *cursor);
    normal[kept] = '\0';
    return normal;
}
