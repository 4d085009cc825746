/*  =========================================================================
    cf_register - the public register (公开查询): what anyone may ask of a
    certificate, without a certflow identity

    Answers a GET of a path with its query from the store, read only: the
    certificate by its number (spaces and case ignored), the certificates
    of a company by name (a substring) or by unified social credit code.
    Each answer is an HTML page (Chinese and English) or, asked for, the
    same as JSON. It shows what is on the certificate and its status only:
    no applicant, no people, no scores.

    The module is the register's logic; certflow-register (main.c) is the
    HTTP server around it, on libmicrohttpd.
    =========================================================================
*/

#ifndef CF_REGISTER_H_INCLUDED
#define CF_REGISTER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "cf_date.h"
#include "cf_store.h"

//  Longest query value and path the register reads
#define CF_REGISTER_VALUE_MAX 128
#define CF_REGISTER_PATH_MAX  256
//  Most certificates one answer lists
#define CF_REGISTER_RESULTS_MAX 20

//  What was asked: the query's values (NULL when absent)
typedef struct {
    const char *number;   //  ?number=
    const char *company;  //  ?company=
    const char *uscc;     //  ?uscc=
    const char *format;   //  ?format=json
    bool wants_json;      //  Accept: application/json
} cf_register_query_t;

//  The answer
typedef struct {
    unsigned status;   //  HTTP status
    const char *type;  //  Content-Type (static)
    char *body;        //  The page (owned; free with cf_register_reply_free)
    size_t size;       //  Its length
} cf_register_reply_t;

//  Answers method and path (without the query) with query on store, the
//  status judged on today. Known paths: "/" (the search form),
//  "/certificates" (a search), "/certificates/NUMBER". Anything else is a
//  404, a method other than GET or HEAD a 405, an over-long or malformed
//  value a 400; each with a page that says why.
void cf_register_answer (cf_store_t *store, const char *method,
                         const char *path, const cf_register_query_t *query,
                         cf_day_t today, cf_register_reply_t *reply);

//  Frees the reply's body. NULL-safe.
void cf_register_reply_free (cf_register_reply_t *reply);

#endif
