/*  =========================================================================
    cf_application - is an application well formed, eligible and complete?

    Problems are reported through s_report, which also remembers the kind of
    each one (malformed, ineligible, incomplete): the return code is the
    weightiest kind found, and the caller may pass problems as NULL.
    =========================================================================
*/

#include "cf_application.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_utf8.h"

//  The materials checklist, in code order; the names follow the list that
//  certification bodies publish for GB/T 27922 applicants
typedef struct {
    const char *code;  //  "M01"
    const char *name;  //  Chinese, then English
} s_material_t;

static const s_material_t s_materials[CF_APPLICATION_MATERIALS] = {
    {"M01", "企业营业执照及年检复印件 business licence and annual inspection "
            "copy"},
    {"M02", "组织机构代码证书 organization code certificate"},
    {"M03",
     "生产/服务许可证或资质证书（法律法规有要求时） production or service "
     "licence or qualification, where the law requires it"},
    {"M04", "申报产品/服务的分类介绍及检验报告 description of the products or "
            "services applied for, by category, with inspection reports"},
    {"M05",
     "适用的法律法规/GB标准清单 list of applicable laws, regulations and GB "
     "standards"},
    {"M06", "组织简介 organization profile: scope, scale, position in the "
            "sector"},
    {"M07",
     "组织机构图（含售后服务组织机构图） organization chart including the "
     "after-sales organization"},
    {"M08",
     "产品销售网点/售后服务网点清单 list of sales outlets and after-sales "
     "service outlets"},
    {"M09", "商品销售方式的介绍 description of how goods are sold"},
    {"M10",
     "售后服务体系建设情况及服务提供方式描述 after-sales system "
     "description: how service is delivered (own or outsourced outlets), "
     "facilities, funding"},
    {"M11",
     "已获管理体系认证证书及荣誉证书复印件 copies of management-system and "
     "other certificates held, honours"},
    {"M12", "售后服务管理体系文件及文件清单 after-sales management system "
            "documents and their list"},
};

//  The one item that only some applicants must supply
#define S_LICENCE_MATERIAL "M03"

//  GB 32100-2015: the 31 characters of a credit code, in value order
static const char s_uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

//  Weights of positions 1-17: 3^(i-1) mod 31
static const int s_uscc_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};

//  GB 11714: weights of the eight body characters of an organization code
static const int s_org_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

//  How heavy a problem is; the return code is the heaviest one found
typedef enum {
    S_MALFORMED,   //  The applicant must correct it
    S_INELIGIBLE,  //  The application is refused
    S_INCOMPLETE,  //  Materials must be supplemented
    S_KINDS        //  Number of kinds
} s_kind_t;

typedef struct {
    cf_problems_t *problems;  //  Where problems go; may be NULL
    bool found[S_KINDS];      //  Which kinds were found
} s_check_t;

static void s_report (s_check_t *check, s_kind_t kind, const char *code,
                      const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_report (s_check_t *check, s_kind_t kind, const char *code, const char *format,
          ...)
{
    check->found[kind] = true;
    va_list args;
    va_start (args, format);
    cf_problems_addv (check->problems, code, format, args);
    va_end (args);
}

//  Value of a credit-code character, or -1 when it is not one
static int
s_uscc_value (char c)
{
    const char *found = c ? strchr (s_uscc_charset, c) : NULL;
    return found ? (int)(found - s_uscc_charset) : -1;
}

//  Value of an organization-code character (GB 11714: digits, then A = 10
//  to Z = 35), or -1
static int
s_org_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return -1;
}

//  The value of the check character that follows the first count
//  characters of code: what brings their weighted sum (each character's
//  value times its weight) to a multiple of modulus. GB 11714 and
//  GB 32100 both check their codes this way.
static int
s_check_value (const char *code, int (*value) (char), const int *weights,
               int count, int modulus)
{
    int sum = 0;
    for (int index = 0; index < count; index++)
        sum += value (code[index]) * weights[index];
    return (modulus - sum % modulus) % modulus;
}

//  The check character of an organization code body (8 characters)
static char
s_org_check (const char *body)
{
    int check = s_check_value (body, s_org_value, s_org_weights, 8, 11);
    return check == 10 ? 'X' : (char)('0' + check);
}

//  The check character of the first 17 characters of a credit code
static char
s_uscc_check (const char *code)
{
    int check = s_check_value (code, s_uscc_value, s_uscc_weights, 17, 31);
    return s_uscc_charset[check];
}

//  Reports the first character that is not in the credit-code set; returns
//  true when all are
static bool
s_uscc_charset_ok (const char *code, cf_problems_t *problems)
{
    for (size_t index = 0; code[index]; index++) {
        unsigned char c = (unsigned char)code[index];
        if (s_uscc_value ((char)c) >= 0)
            continue;
        //  Every character before this one is ASCII: bytes are characters
        size_t position = index + 1;
        if (c >= 'a' && c <= 'z')
            cf_problems_add (problems, "uscc.charset",
                             "'%c' at position %zu is lower case: write the "
                             "code in upper case",
                             c, position);
        else if (c == ' ' || c == '\t')
            cf_problems_add (problems, "uscc.charset",
                             "position %zu is a space: write the code without "
                             "spaces",
                             position);
        else if (c >= 0x80)
            cf_problems_add (problems, "uscc.charset",
                             "position %zu is not an ASCII character "
                             "(full-width digits and letters are not allowed): "
                             "use 0-9 and A-Y",
                             position);
        else if (c < 0x20 || c == 0x7f)
            cf_problems_add (problems, "uscc.charset",
                             "position %zu is a control character: use 0-9 "
                             "and A-Y",
                             position);
        else
            cf_problems_add (problems, "uscc.charset",
                             "'%c' at position %zu is not used in credit codes:"
                             " they use 0-9 and A-Y without I, O, S, V, Z",
                             c, position);
        return false;
    }
    return true;
}

//  Characters (UTF-8 code points) in text: a full-width digit is one
//  character to the person who typed it, though three bytes
static size_t
s_characters (const char *text)
{
    size_t count = 0;
    for (const char *cursor = text; *cursor; cursor++)
        count += ((unsigned char)*cursor & 0xC0) != 0x80;
    return count;
}

int
cf_application_check_uscc (const char *code, cf_problems_t *problems)
{
    assert (code);
    size_t length = s_characters (code);
    bool valid = true;
    if (length != CF_APPLICATION_USCC_LENGTH) {
        cf_problems_add (problems, "uscc.length",
                         "the code has %zu characters; a unified social "
                         "credit code has 18",
                         length);
        valid = false;
    }
    if (!s_uscc_charset_ok (code, problems))
        valid = false;
    if (!valid)
        return CF_EINVAL;

    //  Positions 3-8: the registering authority's administrative division
    if (strspn (code + 2, "0123456789") < 6) {
        cf_problems_add (problems, "uscc.division",
                         "positions 3-8 are '%.6s'; they must be the six-digit "
                         "administrative division code",
                         code + 2);
        valid = false;
    }
    //  Positions 9-17: the organization code, with its own check character
    char org_check = s_org_check (code + 8);
    if (code[16] != org_check) {
        cf_problems_add (problems, "uscc.org_code",
                         "the organization code %.8s-%c (positions 9-17) has "
                         "check character '%c', GB 11714 computes '%c'",
                         code + 8, code[16], code[16], org_check);
        valid = false;
    }
    char check = s_uscc_check (code);
    if (code[17] != check) {
        cf_problems_add (problems, "uscc.check_digit",
                         "check digit is '%c', the code computes to '%c'",
                         code[17], check);
        valid = false;
    }
    return valid ? 0 : CF_EINVAL;
}

//  True when text is empty or only white space
static bool
s_blank (const char *text)
{
    return !text || text[strspn (text, " \t\r\n")] == 0;
}

static void
s_require (s_check_t *check, const char *field, const char *value,
           const char *what)
{
    if (s_blank (value))
        s_report (check, S_MALFORMED, field, "%s is empty: write %s", field,
                  what);
}

//  Parses an optional date field; reports it when given but not a date.
//  Returns true with *day set when a date was given and read.
static bool
s_optional_date (s_check_t *check, const char *field, const char *value,
                 cf_day_t *day)
{
    if (s_blank (value))
        return false;
    if (cf_date_parse (value, day) == 0)
        return true;
    s_report (check, S_MALFORMED, field,
              "%s '%s' is not a date: write it as YYYY-MM-DD", field, value);
    return false;
}

static void
s_check_company (s_check_t *check, const Cf__Application *app)
{
    s_require (check, "company_name", app->company_name,
               "the registered company name, as on the business licence");
    if (s_blank (app->uscc))
        s_report (check, S_MALFORMED, "uscc",
                  "uscc is empty: write the 18-character unified social "
                  "credit code from the business licence");
    else if (cf_application_check_uscc (app->uscc, check->problems))
        check->found[S_MALFORMED] = true;
    s_require (check, "registered_address", app->registered_address,
               "the address on the business licence");
    s_require (check, "operating_address", app->operating_address,
               "the address where the business operates");
    s_require (check, "sector", app->sector,
               "the sector code of the products or services");
    if (app->n_scope == 0)
        s_report (check, S_MALFORMED, "scope",
                  "scope is empty: list at least one product or service "
                  "applied for");
    for (size_t index = 0; index < app->n_scope; index++)
        if (s_blank (app->scope[index]))
            s_report (check, S_MALFORMED, "scope",
                      "scope[%zu] is empty: name the product or service, or "
                      "remove the item",
                      index);
    if (app->employees == 0)
        s_report (check, S_MALFORMED, "employees",
                  "employees is 0: give the number of employees (at least 1)");
}

//  A phone number: digits with + - ( ) and spaces, 7 to 20 digits
static bool
s_phone_ok (const char *phone)
{
    size_t digits = 0;
    for (const char *cursor = phone; *cursor; cursor++) {
        if (*cursor >= '0' && *cursor <= '9')
            digits++;
        else if (!strchr ("+-() ", *cursor))
            return false;
    }
    return digits >= 7 && digits <= 20;
}

//  An e-mail address: one @ with text before it and a dotted domain after,
//  no spaces. Enough to catch a phone number or a name in the wrong field.
static bool
s_email_ok (const char *email)
{
    const char *at = strchr (email, '@');
    if (!at || at == email || strchr (at + 1, '@'))
        return false;
    if (strpbrk (email, " \t\r\n"))
        return false;
    const char *dot = strchr (at + 1, '.');
    return dot && dot > at + 1 && dot[1] != 0;
}

static void
s_check_contact (s_check_t *check, const Cf__Application *app)
{
    s_require (check, "contact_name", app->contact_name,
               "the name of the person the certification body writes to");
    bool has_phone = !s_blank (app->contact_phone);
    bool has_email = !s_blank (app->contact_email);
    if (!has_phone && !has_email)
        s_report (check, S_MALFORMED, "contact",
                  "no contact_phone and no contact_email: give at least one "
                  "so the certification body can reach the applicant");
    if (has_phone && !s_phone_ok (app->contact_phone))
        s_report (check, S_MALFORMED, "contact_phone",
                  "contact_phone '%s' is not a phone number: write 7 to 20 "
                  "digits, with + - ( ) or spaces if you like",
                  app->contact_phone);
    if (has_email && !s_email_ok (app->contact_email))
        s_report (check, S_MALFORMED, "contact_email",
                  "contact_email '%s' is not an e-mail address: write "
                  "name@domain",
                  app->contact_email);
}

static void
s_check_outlets (s_check_t *check, const Cf__Application *app)
{
    for (size_t index = 0; index < app->n_outlets; index++) {
        const Cf__Outlet *outlet = app->outlets[index];
        if (s_blank (outlet->name))
            s_report (check, S_MALFORMED, "outlets.name",
                      "outlets[%zu] has no name: write the outlet's name",
                      index);
        if (s_blank (outlet->address))
            s_report (check, S_MALFORMED, "outlets.address",
                      "outlets[%zu] has no address: write where the outlet is",
                      index);
    }
}

static void
s_check_declarations (s_check_t *check, const cf_scheme_t *scheme,
                      const Cf__Application *app, cf_day_t today)
{
    char when[11], from[11];
    if (!app->independent_legal_entity)
        s_report (check, S_INELIGIBLE, "eligibility.legal_entity",
                  "the applicant is not declared an independent legal entity: "
                  "only one can be certified (a branch applies through its "
                  "parent company)");
    if (!app->lawful_operation)
        s_report (check, S_INELIGIBLE, "eligibility.lawful_operation",
                  "the applicant does not declare lawful operation: only a "
                  "lawfully operating company can be certified");
    if (!app->no_major_accident)
        s_report (check, S_INELIGIBLE, "eligibility.major_accident",
                  "a major quality or after-sales accident in the last %d "
                  "months is declared: apply once %d months have passed "
                  "since it",
                  scheme->accident_lookback_months,
                  scheme->accident_lookback_months);
    cf_day_t accident;
    if (s_optional_date (check, "last_major_accident_date",
                         app->last_major_accident_date, &accident)) {
        cf_day_t clear =
            cf_date_add_months (accident, scheme->accident_lookback_months);
        if (accident > today)
            s_report (check, S_MALFORMED, "last_major_accident_date",
                      "last_major_accident_date %s is after today (%s): "
                      "correct the date",
                      app->last_major_accident_date,
                      cf_date_format (today, when));
        else if (clear >= today)
            s_report (check, S_INELIGIBLE, "eligibility.accident_date",
                      "the last major accident, on %s, is within %d months of "
                      "today: apply from %s",
                      app->last_major_accident_date,
                      scheme->accident_lookback_months,
                      cf_date_format (clear + 1, from));
    }
    cf_day_t start;
    if (s_blank (app->system_start_date))
        s_report (check, S_MALFORMED, "system_start_date",
                  "system_start_date is empty: write the date the after-sales "
                  "system started running, as YYYY-MM-DD");
    else if (s_optional_date (check, "system_start_date",
                              app->system_start_date, &start)) {
        cf_day_t old_enough =
            cf_date_add_months (start, scheme->system_min_months);
        if (start > today)
            s_report (check, S_MALFORMED, "system_start_date",
                      "system_start_date %s is after today (%s): write the "
                      "date the system actually started running",
                      app->system_start_date, cf_date_format (today, when));
        else if (old_enough > today)
            s_report (check, S_INELIGIBLE, "eligibility.system_age",
                      "the after-sales system has run since %s, less than %d "
                      "months: apply from %s",
                      app->system_start_date, scheme->system_min_months,
                      cf_date_format (old_enough, from));
    }
    cf_day_t applied;
    (void)s_optional_date (check, "application_date", app->application_date,
                           &applied);
}

//  Index of a checklist code, or -1
static int
s_material_index (const char *code)
{
    for (int index = 0; index < CF_APPLICATION_MATERIALS; index++)
        if (strcmp (s_materials[index].code, code) == 0)
            return index;
    return -1;
}

static bool
s_material_required (const Cf__Application *app, int index)
{
    return app->licence_required ||
           strcmp (s_materials[index].code, S_LICENCE_MATERIAL) != 0;
}

//  Why a required material counts as missing, or NULL when it is supplied:
//  a listing with a reference supplies it, one without does not
static const char *
s_material_lack (const Cf__Application *app, int index)
{
    const char *lack = "未提供 not supplied";
    for (size_t item = 0; item < app->n_materials; item++) {
        const Cf__Material *material = app->materials[item];
        if (strcmp (material->code, s_materials[index].code) != 0)
            continue;
        if (!s_blank (material->reference))
            return NULL;
        lack = "未注明文件 listed without a document reference";
    }
    return lack;
}

static void
s_check_materials (s_check_t *check, const Cf__Application *app)
{
    //  Where each checklist code was first listed, to name duplicates
    size_t first[CF_APPLICATION_MATERIALS];
    bool seen[CF_APPLICATION_MATERIALS] = {false};
    for (size_t item = 0; item < app->n_materials; item++) {
        const char *code = app->materials[item]->code;
        int index = s_material_index (code);
        if (index < 0)
            s_report (check, S_MALFORMED, "materials.unknown",
                      "materials[%zu] has code '%.*s', which is not on the "
                      "checklist: use M01 to M12",
                      item, CF_UTF8_CUT (code, 32));
        else if (seen[index])
            s_report (check, S_MALFORMED, "materials.duplicate",
                      "%s is listed twice (materials[%zu] and materials[%zu]): "
                      "list each material once",
                      code, first[index], item);
        else {
            seen[index] = true;
            first[index] = item;
        }
    }
    for (int index = 0; index < CF_APPLICATION_MATERIALS; index++) {
        if (!s_material_required (app, index))
            continue;
        const char *lack = s_material_lack (app, index);
        if (!lack)
            continue;
        char code[32];
        snprintf (code, sizeof code, "materials.%s", s_materials[index].code);
        s_report (check, S_INCOMPLETE, code, "%s %s: %s",
                  s_materials[index].code, s_materials[index].name, lack);
    }
}

int
cf_application_validate (const cf_scheme_t *scheme, const Cf__Application *app,
                         cf_day_t today, cf_problems_t *problems)
{
    assert (scheme && app);
    s_check_t check = {.problems = problems};
    s_check_company (&check, app);
    s_check_contact (&check, app);
    s_check_outlets (&check, app);
    s_check_declarations (&check, scheme, app, today);
    s_check_materials (&check, app);
    if (check.found[S_MALFORMED])
        return CF_EINVAL;
    if (check.found[S_INELIGIBLE])
        return CF_EINELIGIBLE;
    if (check.found[S_INCOMPLETE])
        return CF_EINCOMPLETE;
    return 0;
}

size_t
cf_application_materials_missing (const Cf__Application *app,
                                  size_t *n_findings, Cf__Finding ***findings)
{
    assert (app && n_findings && findings);
    size_t appended = 0;
    for (int index = 0; index < CF_APPLICATION_MATERIALS; index++) {
        if (!s_material_required (app, index))
            continue;
        const char *lack = s_material_lack (app, index);
        if (!lack)
            continue;
        Cf__Finding *finding = cf_pb_new (&cf__finding__descriptor);
        cf_pb_set_string (&finding->item, s_materials[index].code);
        char *reason = NULL;
        if (asprintf (&reason, "%s: %s", s_materials[index].name, lack) < 0)
            cf_mem_fail ();
        finding->reason = reason;
        cf_pb_append (n_findings, (void ***)findings, finding);
        appended++;
    }
    return appended;
}

const char *
cf_application_material_name (const char *code)
{
    int index = code ? s_material_index (code) : -1;
    return index < 0 ? NULL : s_materials[index].name;
}
