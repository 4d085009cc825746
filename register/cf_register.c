/*  =========================================================================
    cf_register - the public register

    Each answer reads the store in short read transactions (LMDB readers
    never hold the daemon's writer back) and writes a page that carries the
    certificate's public fields only.
    =========================================================================
*/

#include "cf_register.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cf_certfsm.h"
#include "cf_certificate.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_scheme.h"
#include "cf_text.h"
#include "cf_utf8.h"

//  Certificates a company-name search reads at most
#define S_SCAN_MAX 100000

//  Appends value with HTML's five special characters escaped
static void
s_escaped (cf_text_t *text, const char *value)
{
    for (const char *cursor = value ? value : ""; *cursor; cursor++)
        switch (*cursor) {
            case '&':
                cf_text_append (text, "&amp;", 5);
                break;
            case '<':
                cf_text_append (text, "&lt;", 4);
                break;
            case '>':
                cf_text_append (text, "&gt;", 4);
                break;
            case '"':
                cf_text_append (text, "&quot;", 6);
                break;
            case '\'':
                cf_text_append (text, "&#39;", 5);
                break;
            default:
                cf_text_append (text, cursor, 1);
        }
}

static bool
s_blank (const char *text)
{
    return !text || !*text;
}

//  A query value is bounded, valid UTF-8, without control characters
static bool
s_value_ok (const char *value)
{
    if (!value)
        return true;
    size_t size = strlen (value);
    if (size > CF_REGISTER_VALUE_MAX || !cf_utf8_valid (value, size))
        return false;
    for (const char *cursor = value; *cursor; cursor++)
        if ((unsigned char)*cursor < 0x20 || *cursor == 0x7f)
            return false;
    return true;
}

//  ------------------------------------------------------------------------
//  Finding certificates

typedef struct {
    Cf__Certificate **items;
    size_t count;
    bool more;  //  More matched than the answer lists
} s_found_t;

static void
s_found_free (s_found_t *found)
{
    for (size_t index = 0; index < found->count; index++)
        cf_pb_free (&found->items[index]);
    free (found->items);
    *found = (s_found_t){NULL, 0, false};
}

static void
s_found_add (s_found_t *found, Cf__Certificate *cert)
{
    if (found->count == CF_REGISTER_RESULTS_MAX) {
        found->more = true;
        cf_pb_free (&cert);
        return;
    }
    found->items = cf_mem_check (
        realloc (found->items, (found->count + 1) * sizeof *found->items));
    found->items[found->count++] = cert;
}

static bool
s_named (const Cf__Certificate *cert, void *argument)
{
    return strstr (cert->company_name, (const char *)argument) != NULL;
}

static int
s_find (cf_store_t *store, const cf_register_query_t *query, s_found_t *found)
{
    int rc = 0;
    if (!s_blank (query->number)) {
        char *number = cf_certificate_normal_number (query->number);
        Cf__Certificate *cert = NULL;
        rc = cf_store_get_certificate (store, number, &cert);
        free (number);
        if (rc == 0)
            s_found_add (found, cert);
        return rc == CF_ENOTFOUND || rc == CF_EINVAL ? 0 : rc;
    }
    if (!s_blank (query->uscc)) {
        char *uscc = cf_certificate_normal_number (query->uscc);
        char *prefix = NULL;
        if (asprintf (&prefix, "holds/%s/", uscc) < 0)
            cf_mem_fail ();
        free (uscc);
        char **keys = NULL;
        size_t count = 0;
        rc = cf_store_meta_keys (store, prefix, &keys, &count);
        for (size_t index = 0; rc == 0 && index < count; index++) {
            Cf__Certificate *cert = NULL;
            if (cf_store_get_certificate (store, keys[index] + strlen (prefix),
                                          &cert) == 0)
                s_found_add (found, cert);
        }
        cf_store_keys_free (&keys, count);
        free (prefix);
        return rc == CF_EINVAL ? 0 : rc;
    }
    Cf__Certificate **certs = NULL;
    size_t count = 0;
    char *next = NULL;
    rc = cf_store_list_certificates (
        store, NULL, CF_REGISTER_RESULTS_MAX + 1, S_SCAN_MAX, s_named,
        (void *)query->company, &certs, &count, &next);
    for (size_t index = 0; index < count; index++)
        s_found_add (found, certs[index]);
    found->more = found->more || next != NULL;
    free (certs);
    free (next);
    return rc;
}

//  ------------------------------------------------------------------------
//  What a certificate shows

//  The scheme of version, parsed once: a version's recorded text never
//  changes (certflowd refuses other content under it), and the register
//  answers one request at a time, so the last one read is kept
static const cf_scheme_t *
s_scheme_of (cf_store_t *store, const char *version)
{
    static char *kept_version;
    static cf_scheme_t *kept;
    if (kept_version && strcmp (kept_version, version) == 0)
        return kept;
    char *key = NULL, *text = NULL;
    if (asprintf (&key, "scheme/%s", version) < 0)
        cf_mem_fail ();
    cf_scheme_t *scheme = NULL;
    if (cf_store_get_meta (store, key, &text) == 0 &&
        cf_scheme_parse (text, strlen (text), version, &scheme, NULL) == 0) {
        cf_scheme_destroy (&kept);
        free (kept_version);
        kept = scheme;
        kept_version = cf_mem_check (strdup (version));
    }
    free (text);
    free (key);
    return scheme;
}

//  The grade's label in the certificate's own scheme, or its name
static char *
s_grade_label (cf_store_t *store, const Cf__Certificate *cert)
{
    const cf_scheme_t *scheme = s_scheme_of (store, cert->scheme_version);
    const cf_grade_t *grade =
        scheme ? cf_scheme_grade_named (scheme, cert->grade) : NULL;
    return cf_mem_check (strdup (grade ? grade->label : cert->grade));
}

//  The stars a grade name gives (five_star: 5), 0 for none
static int
s_stars (const char *grade)
{
    static const char *const words[] = {"one",  "two",  "three",
                                        "four", "five", NULL};
    for (int index = 0; words[index]; index++) {
        size_t length = strlen (words[index]);
        if (strncmp (grade, words[index], length) == 0 &&
            strcmp (grade + length, "_star") == 0)
            return index + 1;
    }
    return 0;
}

//  The status's words, Chinese and English
static const char *
s_status_words (Cf__CertStatus status)
{
    switch (status) {
        case CF__CERT_STATUS__CERT_STATUS_VALID:
            return "有效 valid";
        case CF__CERT_STATUS__CERT_STATUS_SUSPENDED:
            return "暂停 suspended";
        case CF__CERT_STATUS__CERT_STATUS_WITHDRAWN:
            return "撤销 withdrawn";
        case CF__CERT_STATUS__CERT_STATUS_CANCELLED:
            return "注销 cancelled";
        case CF__CERT_STATUS__CERT_STATUS_EXPIRED:
            return "过期 expired";
        case CF__CERT_STATUS__CERT_STATUS_SUPERSEDED:
            return "已换发 superseded";
        default:
            return "? unknown";
    }
}

//  The day the status shown began: the last change's, or the issue date
static const char *
s_status_since (const Cf__Certificate *cert, Cf__CertStatus status)
{
    if (status != cert->status)
        return cert->expiry_date;  //  Expired since the last change
    return s_blank (cert->status_date) ? cert->issue_date : cert->status_date;
}

//  The next visit to make, or NULL
static const Cf__Visit *
s_next_visit (const Cf__Certificate *cert)
{
    for (size_t index = 0; index < cert->n_visits; index++) {
        const char *outcome = cert->visits[index]->outcome;
        if (strcmp (outcome, CF_VISIT_MAINTAINED) &&
            strcmp (outcome, CF_VISIT_GRADE_CHANGED))
            return cert->visits[index];
    }
    return NULL;
}

static size_t
s_visits_made (const Cf__Certificate *cert)
{
    size_t made = 0;
    for (size_t index = 0; index < cert->n_visits; index++)
        made +=
            strcmp (cert->visits[index]->outcome, CF_VISIT_MAINTAINED) == 0 ||
            strcmp (cert->visits[index]->outcome, CF_VISIT_GRADE_CHANGED) == 0;
    return made;
}

//  ------------------------------------------------------------------------
//  HTML

static const char s_style[] =
    "body{font-family:'Noto Sans CJK SC',sans-serif;margin:2em auto;"
    "max-width:48em;color:#222}h1{font-size:1.4em}table{border-collapse:"
    "collapse;width:100%;margin:1em 0}th,td{text-align:left;padding:.3em "
    ".6em;border-bottom:1px solid #ddd;vertical-align:top}th{width:12em;"
    "color:#555;font-weight:normal}.valid{color:#176f2c}.stars{color:#c90}"
    ".warn{color:#a30}form input{margin:.2em}";

static void
s_page_start (cf_text_t *page, const char *title)
{
    cf_text_printf (page, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta "
                          "charset=\"utf-8\"><title>");
    s_escaped (page, title);
    cf_text_printf (page, "</title><style>%s</style></head><body><h1>",
                    s_style);
    s_escaped (page, title);
    cf_text_printf (page, "</h1>\n");
}

static void
s_page_end (cf_text_t *page)
{
    cf_text_printf (page,
                    "<p><a href=\"/\">查询 Search</a> · 证书信息以本页为准 The "
                    "register is the authority on a certificate's status.</p>"
                    "</body></html>\n");
}

static void
s_row (cf_text_t *page, const char *label, const char *value)
{
    cf_text_printf (page, "<tr><th>%s</th><td>", label);
    s_escaped (page, value);
    cf_text_printf (page, "</td></tr>\n");
}

static void
s_link (cf_text_t *page, const char *number)
{
    cf_text_printf (page, "<a href=\"/certificates/");
    s_escaped (page, number);
    cf_text_printf (page, "\">");
    s_escaped (page, number);
    cf_text_printf (page, "</a>");
}

static void
s_html_certificate (cf_text_t *page, cf_store_t *store,
                    const Cf__Certificate *cert, Cf__CertStatus status)
{
    cf_text_printf (page, "<table class=\"certificate\">\n");
    s_row (page, "证书编号 Number", cert->number);
    cf_text_printf (page,
                    "<tr><th>状态 Status</th><td class=\"status %s\" "
                    "id=\"status\">%s",
                    status == CF__CERT_STATUS__CERT_STATUS_VALID ? "valid"
                                                                 : "warn",
                    s_status_words (status));
    cf_text_printf (page, " (");
    s_escaped (page, s_status_since (cert, status));
    cf_text_printf (page, ")");
    cf_text_printf (page, "</td></tr>\n");
    if (cert->suspension && status == CF__CERT_STATUS__CERT_STATUS_SUSPENDED) {
        cf_text_printf (page, "<tr><th>暂停期 Suspended</th><td>");
        s_escaped (page, cert->suspension->from);
        cf_text_printf (page, " – ");
        s_escaped (page, cert->suspension->until);
        cf_text_printf (page, "</td></tr>\n");
    }
    s_row (page, "持证组织 Holder", cert->company_name);
    s_row (page, "统一社会信用代码 Credit code", cert->uscc);
    s_row (page, "注册地址 Registered address", cert->registered_address);
    s_row (page, "经营地址 Operating address", cert->operating_address);
    char *label = s_grade_label (store, cert);
    int stars = s_stars (cert->grade);
    cf_text_printf (page, "<tr><th>等级 Grade</th><td>");
    s_escaped (page, label);
    if (stars)
        cf_text_printf (page, " <span class=\"stars\">%.*s</span>", stars * 3,
                        "★★★★★");
    cf_text_printf (page, "</td></tr>\n");
    free (label);
    cf_text_printf (page, "<tr><th>认证范围 Scope</th><td>");
    for (size_t index = 0; index < cert->n_scope; index++) {
        cf_text_printf (page, "%s", index ? "<br>" : "");
        s_escaped (page, cert->scope[index]);
    }
    cf_text_printf (page, "</td></tr>\n");
    s_row (page, "认证依据 Standard", cert->standard);
    cf_text_printf (page, "<tr><th>有效期 Validity</th><td>");
    s_escaped (page, cert->issue_date);
    cf_text_printf (page, " – ");
    s_escaped (page, cert->expiry_date);
    cf_text_printf (page, "</td></tr>\n");
    const Cf__Visit *next = s_next_visit (cert);
    cf_text_printf (page,
                    "<tr><th>监督 Surveillance</th><td>%zu / %zu 次已完成 "
                    "visits made",
                    s_visits_made (cert), cert->n_visits);
    if (next && !cf_certfsm_status_final (cert->status)) {
        cf_text_printf (page, "; 下次 next due ");
        s_escaped (page, next->due);
    }
    cf_text_printf (page, "</td></tr>\n");
    if (!s_blank (cert->replaces)) {
        cf_text_printf (page, "<tr><th>替代 Replaces</th><td>");
        s_link (page, cert->replaces);
        cf_text_printf (page, "</td></tr>\n");
    }
    if (!s_blank (cert->superseded_by)) {
        cf_text_printf (page, "<tr><th>换发为 Superseded by</th><td>");
        s_link (page, cert->superseded_by);
        cf_text_printf (page, "</td></tr>\n");
    }
    s_row (page, "认证机构 Issued by", cert->issuer);
    cf_text_printf (page, "</table>\n");
}

static void
s_html_search_form (cf_text_t *page)
{
    cf_text_printf (
        page,
        "<form method=\"get\" action=\"/certificates\">"
        "<p><label>证书编号 Certificate number <input name=\"number\" "
        "maxlength=\"%d\"></label></p>"
        "<p><label>组织名称 Company name <input name=\"company\" "
        "maxlength=\"%d\"></label></p>"
        "<p><label>统一社会信用代码 Credit code <input name=\"uscc\" "
        "maxlength=\"18\"></label></p>"
        "<p><input type=\"submit\" value=\"查询 Search\"></p></form>\n",
        CF_REGISTER_VALUE_MAX, CF_REGISTER_VALUE_MAX);
}

//  ------------------------------------------------------------------------
//  JSON

static json_object *
s_json_certificate (cf_store_t *store, const Cf__Certificate *cert,
                    Cf__CertStatus status)
{
    json_object *json = json_object_new_object ();
    json_object_object_add (json, "number",
                            json_object_new_string (cert->number));
    json_object_object_add (
        json, "status",
        json_object_new_string (cf_certfsm_status_name (status)));
    json_object_object_add (
        json, "status_date",
        json_object_new_string (s_status_since (cert, status)));
    if (cert->suspension && status == CF__CERT_STATUS__CERT_STATUS_SUSPENDED) {
        json_object *suspension = json_object_new_object ();
        json_object_object_add (
            suspension, "from",
            json_object_new_string (cert->suspension->from));
        json_object_object_add (
            suspension, "until",
            json_object_new_string (cert->suspension->until));
        json_object_object_add (json, "suspension", suspension);
    }
    json_object_object_add (json, "company_name",
                            json_object_new_string (cert->company_name));
    json_object_object_add (json, "uscc", json_object_new_string (cert->uscc));
    json_object_object_add (json, "registered_address",
                            json_object_new_string (cert->registered_address));
    json_object_object_add (json, "operating_address",
                            json_object_new_string (cert->operating_address));
    char *label = s_grade_label (store, cert);
    json_object_object_add (json, "grade",
                            json_object_new_string (cert->grade));
    json_object_object_add (json, "grade_label",
                            json_object_new_string (label));
    free (label);
    json_object_object_add (json, "stars",
                            json_object_new_int (s_stars (cert->grade)));
    json_object *scope = json_object_new_array ();
    for (size_t index = 0; index < cert->n_scope; index++)
        json_object_array_add (scope,
                               json_object_new_string (cert->scope[index]));
    json_object_object_add (json, "scope", scope);
    json_object_object_add (json, "standard",
                            json_object_new_string (cert->standard));
    json_object_object_add (json, "issue_date",
                            json_object_new_string (cert->issue_date));
    json_object_object_add (json, "expiry_date",
                            json_object_new_string (cert->expiry_date));
    json_object_object_add (json, "visits_made",
                            json_object_new_int ((int)s_visits_made (cert)));
    const Cf__Visit *next = s_next_visit (cert);
    if (next && !cf_certfsm_status_final (cert->status))
        json_object_object_add (json, "next_visit_due",
                                json_object_new_string (next->due));
    if (!s_blank (cert->replaces))
        json_object_object_add (json, "replaces",
                                json_object_new_string (cert->replaces));
    if (!s_blank (cert->superseded_by))
        json_object_object_add (json, "superseded_by",
                                json_object_new_string (cert->superseded_by));
    json_object_object_add (json, "issuer",
                            json_object_new_string (cert->issuer));
    return json;
}

//  ------------------------------------------------------------------------
//  Answers

static void
s_set (cf_register_reply_t *reply, unsigned status, bool json, cf_text_t *text)
{
    reply->status = status;
    reply->type =
        json ? "application/json; charset=utf-8" : "text/html; charset=utf-8";
    reply->body = text->data;
    reply->size = text->size;
}

static void
s_json_reply (cf_register_reply_t *reply, unsigned status, json_object *json)
{
    cf_text_t text = {NULL, 0, 0};
    const char *printed =
        json_object_to_json_string_ext (json, JSON_C_TO_STRING_PLAIN);
    cf_text_append (&text, printed, strlen (printed));
    cf_text_append (&text, "\n", 1);
    json_object_put (json);
    s_set (reply, status, true, &text);
}

//  An error page (or JSON) that says what was wrong
static void
s_error (cf_register_reply_t *reply, unsigned status, bool json,
         const char *title, const char *message)
{
    if (json) {
        json_object *error = json_object_new_object ();
        json_object_object_add (error, "error", json_object_new_string (title));
        json_object_object_add (error, "message",
                                json_object_new_string (message));
        s_json_reply (reply, status, error);
        return;
    }
    cf_text_t page = {NULL, 0, 0};
    s_page_start (&page, title);
    cf_text_printf (&page, "<p class=\"warn\" id=\"error\">");
    s_escaped (&page, message);
    cf_text_printf (&page, "</p>\n");
    s_page_end (&page);
    s_set (reply, status, false, &page);
}

static void
s_answer_found (cf_store_t *store, s_found_t *found, bool json, cf_day_t today,
                const char *asked, cf_register_reply_t *reply)
{
    if (json) {
        json_object *answer = json_object_new_object ();
        json_object *list = json_object_new_array ();
        for (size_t index = 0; index < found->count; index++) {
            const Cf__Certificate *cert = found->items[index];
            json_object_array_add (
                list, s_json_certificate (
                          store, cert, cf_certificate_status_on (cert, today)));
        }
        json_object_object_add (answer, "certificates", list);
        json_object_object_add (answer, "more",
                                json_object_new_boolean (found->more));
        s_json_reply (reply, 200, answer);
        return;
    }
    cf_text_t page = {NULL, 0, 0};
    s_page_start (&page, "证书查询结果 Certificates found");
    cf_text_printf (&page, "<p>");
    s_escaped (&page, asked);
    cf_text_printf (&page, ": %zu</p>\n", found->count);
    for (size_t index = 0; index < found->count; index++) {
        const Cf__Certificate *cert = found->items[index];
        s_html_certificate (&page, store, cert,
                            cf_certificate_status_on (cert, today));
    }
    if (found->more)
        cf_text_printf (&page,
                        "<p class=\"warn\">更多结果未列出，请细化查询 More "
                        "matched than are shown: ask more precisely.</p>\n");
    s_page_end (&page);
    s_set (reply, 200, false, &page);
}

void
cf_register_answer (cf_store_t *store, const char *method, const char *path,
                    const cf_register_query_t *query, cf_day_t today,
                    cf_register_reply_t *reply)
{
    assert (store && method && path && query && reply);
    *reply = (cf_register_reply_t){0, NULL, NULL, 0};
    bool json = query->wants_json ||
                (query->format && strcmp (query->format, "json") == 0);
    if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
        s_error (reply, 405, json, "405 Method not allowed",
                 "the register answers GET and HEAD only");
        return;
    }
    if (strlen (path) > CF_REGISTER_PATH_MAX ||
        !cf_utf8_valid (path, strlen (path))) {
        s_error (reply, 400, json, "400 Bad request",
                 "the path is too long or not UTF-8");
        return;
    }
    if (!s_value_ok (query->number) || !s_value_ok (query->company) ||
        !s_value_ok (query->uscc) || !s_value_ok (query->format)) {
        s_error (reply, 400, json, "400 Bad request",
                 "a query value is longer than 128 bytes, not UTF-8, or "
                 "holds control characters");
        return;
    }
    if (query->format && strcmp (query->format, "json") != 0 &&
        strcmp (query->format, "html") != 0) {
        s_error (reply, 400, json, "400 Bad request", "format is html or json");
        return;
    }
    if (strcmp (path, "/") == 0) {
        cf_text_t page = {NULL, 0, 0};
        s_page_start (&page, "认证证书查询 Certificate register");
        s_html_search_form (&page);
        s_page_end (&page);
        s_set (reply, 200, false, &page);
        return;
    }
    const char *prefix = "/certificates/";
    cf_register_query_t asked = *query;
    if (strncmp (path, prefix, strlen (prefix)) == 0 && path[strlen (prefix)] &&
        !strchr (path + strlen (prefix), '/')) {
        //  One certificate by its number
        asked = (cf_register_query_t){.number = path + strlen (prefix)};
        s_found_t found = {NULL, 0, false};
        int rc = s_find (store, &asked, &found);
        if (rc == 0 && found.count == 0) {
            char message[CF_REGISTER_PATH_MAX + 80];
            snprintf (message, sizeof message,
                      "no certificate %s in the register; check the number "
                      "on the document",
                      asked.number);
            s_error (reply, 404, json, "404 证书不存在 No such certificate",
                     message);
        } else if (rc)
            s_error (reply, 503, json, "503 Unavailable",
                     "the register cannot read its store now; try later");
        else if (json) {
            const Cf__Certificate *cert = found.items[0];
            s_json_reply (
                reply, 200,
                s_json_certificate (store, cert,
                                    cf_certificate_status_on (cert, today)));
        } else {
            cf_text_t page = {NULL, 0, 0};
            s_page_start (&page, "认证证书 Certificate");
            s_html_certificate (
                &page, store, found.items[0],
                cf_certificate_status_on (found.items[0], today));
            s_page_end (&page);
            s_set (reply, 200, false, &page);
        }
        s_found_free (&found);
        return;
    }
    if (strcmp (path, "/certificates") != 0) {
        s_error (reply, 404, json, "404 Not found",
                 "the register has /, /certificates?number=|company=|uscc= "
                 "and /certificates/NUMBER");
        return;
    }
    if (s_blank (query->number) && s_blank (query->company) &&
        s_blank (query->uscc)) {
        s_error (reply, 400, json, "400 Bad request",
                 "ask by number, company (a part of its name) or uscc");
        return;
    }
    s_found_t found = {NULL, 0, false};
    int rc = s_find (store, query, &found);
    if (rc)
        s_error (reply, 503, json, "503 Unavailable",
                 "the register cannot read its store now; try later");
    else {
        char what[CF_REGISTER_VALUE_MAX + 32];
        snprintf (what, sizeof what, "%s %s",
                  !s_blank (query->number) ? "证书编号 number"
                  : !s_blank (query->uscc) ? "信用代码 credit code"
                                           : "名称 name",
                  !s_blank (query->number) ? query->number
                  : !s_blank (query->uscc) ? query->uscc
                                           : query->company);
        s_answer_found (store, &found, json, today, what, reply);
    }
    s_found_free (&found);
}

void
cf_register_reply_free (cf_register_reply_t *reply)
{
    if (reply) {
        free (reply->body);
        reply->body = NULL;
        reply->size = 0;
    }
}
