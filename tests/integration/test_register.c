/*  =========================================================================
    test_register - the public register over HTTP, through the real
    programs: certflowd certifies two companies (one then suspended),
    certflow-register serves the store read only beside it, and the test
    asks as anyone would, over TCP on 127.0.0.1, and in a real headless
    browser (chromium --dump-dom).
    =========================================================================
*/

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "cf_application.h"
#include "cf_date.h"
#include "cf_proc.h"

#define S_ORG "YUNXI"

//  One HTTP exchange: the status, the headers and the body
typedef struct {
    int status;
    char *head;
    char *body;
} s_http_t;

static void
s_http_free (s_http_t *http)
{
    free (http->head);
    free (http->body);
}

//  Sends request (a whole HTTP/1.0 request) to 127.0.0.1:port, reads the
//  answer to its end
static s_http_t
s_exchange (int port, const char *request)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons ((uint16_t)port)};
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    assert_int_equal (connect (fd, (struct sockaddr *)&address, sizeof address),
                      0);
    size_t length = strlen (request);
    assert_int_equal (write (fd, request, length), (ssize_t)length);
    char *answer = NULL;
    size_t size = 0;
    char chunk[4096];
    ssize_t got;
    while ((got = read (fd, chunk, sizeof chunk)) > 0) {
        answer = realloc (answer, size + (size_t)got + 1);
        memcpy (answer + size, chunk, (size_t)got);
        size += (size_t)got;
        answer[size] = '\0';
    }
    close (fd);
    assert_non_null (answer);
    s_http_t http = {0, NULL, NULL};
    assert_int_equal (sscanf (answer, "HTTP/1.%*d %d", &http.status), 1);
    char *split = strstr (answer, "\r\n\r\n");
    assert_non_null (split);
    *split = '\0';
    http.head = strdup (answer);
    http.body = strdup (split + 4);
    free (answer);
    return http;
}

static s_http_t
s_get (int port, const char *path, const char *accept)
{
    char request[1024];
    snprintf (request, sizeof request,
              "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s%s\r\n", path,
              accept ? "Accept: " : "", accept ? accept : "",
              accept ? "\r\n" : "");
    return s_exchange (port, request);
}

//  Every answer carries what a security scanner expects
static void
s_assert_headers (const s_http_t *http, const char *type)
{
    assert_non_null (strstr (http->head, type));
    assert_non_null (strstr (http->head, "X-Content-Type-Options: nosniff"));
    assert_non_null (strstr (http->head, "Content-Security-Policy: "
                                         "default-src 'none'"));
    assert_non_null (strstr (http->head, "X-Frame-Options: DENY"));
}

//  Drives a new case of application to certified; returns the number
static const char *
s_certify (cf_proc_t *proc, const char *applicant, const char *application)
{
    const char *case_id = cf_proc_submit (proc, applicant, application);
    cf_proc_drive (proc, applicant, case_id, "certified", CF_PROC_STATE_MS);
    const cf_proc_output_t *status =
        cf_proc_wait_state (proc, applicant, case_id, "certified",
                            "/record/certificate", CF_PROC_STATE_MS);
    return cf_proc_json_string (status->json, "/record/certificate");
}

//  The example application for another company: name and a valid code
static const char *
s_other_company (cf_proc_t *proc)
{
    json_object *application = cf_proc_json_load (
        proc, cf_proc_source (proc, "examples/application.json"));
    char code[19] = "91330106MA2B3C4D00";
    const char *org = "0123456789X";
    const char *check = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    bool found = false;
    for (const char *first = org; *first && !found; first++)
        for (const char *last = check; *last && !found; last++) {
            code[16] = *first;
            code[17] = *last;
            found = cf_application_check_uscc (code, NULL) == 0;
        }
    assert_true (found);
    json_object_object_add (application, "uscc", json_object_new_string (code));
    json_object_object_add (
        application, "company_name",
        json_object_new_string (
            "宁波海晨厨具有限公司 (Ningbo Haichen Kitchenware "
            "Co., Ltd.)"));
    return cf_proc_json_save (proc, application, "application-haichen.json");
}

static int
s_setup (void **state)
{
    return cf_proc_setup (state, "register");
}

//  Asks chromium for the page's DOM, as a browser renders it
static const char *
s_browse (cf_proc_t *proc, int port, const char *path)
{
    char url[256], profile[512];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    snprintf (profile, sizeof profile, "--user-data-dir=%s/chromium",
              cf_proc_dir (proc));
    const char *argv[] = {"/usr/bin/chromium",
                          "--headless",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--disable-dev-shm-usage",
                          profile,
                          "--dump-dom",
                          url,
                          NULL};
    cf_proc_child_t *child = cf_proc_spawn (proc, "chromium", false, argv);
    assert_non_null (child);
    const cf_proc_output_t *output = cf_proc_collect (proc, child, 60000);
    assert_int_equal (output->status, 0);
    return output->out;
}

static void
test_anyone_asks_the_register (void **state)
{
    cf_proc_t *proc = *state;
    const char *applicant = cf_proc_full_site (proc, S_ORG);
    const char *valid = s_certify (
        proc, applicant, cf_proc_source (proc, "examples/application.json"));
    const char *suspended = s_certify (proc, applicant, s_other_company (proc));
    const cf_proc_output_t *check = cf_proc_expect (
        proc, 0, NULL, "--json", "certificate", "check", valid, NULL);
    char today[11];
    cf_date_format (cf_date_from_ms (cf_proc_json_int (check->json, "/now", 0)),
                    today);
    cf_proc_expect (proc, 0, NULL, "certificate", "suspend", suspended,
                    "--trigger", "misuse", "--trigger-date", today, "--reason",
                    "mark on an uncertified line", NULL);

    //  The register beside the daemon, on a free port
    const char *argv[] = {CF_BIN_DIR "/certflow-register",
                          "--data",
                          cf_proc_data (proc),
                          "--listen",
                          "127.0.0.1:0",
                          NULL};
    cf_proc_child_t *server = cf_proc_spawn (proc, "register", true, argv);
    assert_non_null (server);
    assert_int_equal (cf_proc_wait_log (server, "ready: http://", 1, 5000), 0);
    char *log = cf_proc_log (server);
    int port = 0;
    assert_int_equal (
        sscanf (strstr (log, "127.0.0.1:"), "127.0.0.1:%d", &port), 1);
    free (log);

    //  A valid certificate, its number written as people write it
    char path[128];
    snprintf (path, sizeof path, "/certificates/%.7s%%20%s", valid, valid + 7);
    for (char *cursor = path + 14; *cursor; cursor++)
        if (*cursor >= 'A' && *cursor <= 'Z')
            *cursor = (char)(*cursor - 'A' + 'a');
    s_http_t page = s_get (port, path, NULL);
    assert_int_equal (page.status, 200);
    s_assert_headers (&page, "Content-Type: text/html; charset=utf-8");
    assert_non_null (strstr (page.body, valid));
    assert_non_null (strstr (page.body, "有效 valid"));
    assert_non_null (strstr (page.body, "达标级 compliant"));
    //  Nothing that is not on the certificate: no consultancy, no score
    assert_null (strstr (page.body, S_ORG));
    assert_null (strstr (page.body, "86.9"));
    s_http_free (&page);
    snprintf (path, sizeof path, "/certificates/%s", valid);
    page = s_get (port, path, "application/json");
    assert_int_equal (page.status, 200);
    s_assert_headers (&page, "Content-Type: application/json");
    assert_non_null (strstr (page.body, "\"status\":\"valid\""));
    assert_null (strstr (page.body, "\"score\""));
    assert_null (strstr (page.body, "case_id"));
    assert_null (strstr (page.body, S_ORG));
    s_http_free (&page);

    //  The suspended one, with its dates
    snprintf (path, sizeof path, "/certificates/%s?format=json", suspended);
    page = s_get (port, path, NULL);
    assert_int_equal (page.status, 200);
    assert_non_null (strstr (page.body, "\"status\":\"suspended\""));
    assert_non_null (strstr (page.body, "\"suspension\":{\"from\""));
    s_http_free (&page);

    //  Searches: by part of a name, by credit code
    page = s_get (port, "/certificates?company=%E6%B5%B7%E6%99%A8&format=json",
                  NULL);
    assert_int_equal (page.status, 200);
    assert_non_null (strstr (page.body, suspended));
    assert_null (strstr (page.body, valid));
    s_http_free (&page);
    page = s_get (port, "/certificates?uscc=91330110MA2J7R4N38", NULL);
    assert_int_equal (page.status, 200);
    assert_non_null (strstr (page.body, valid));
    assert_null (strstr (page.body, suspended));
    s_http_free (&page);

    //  What it refuses
    page = s_get (port, "/certificates/CFC2026SC99999", NULL);
    assert_int_equal (page.status, 404);
    assert_non_null (strstr (page.body, "No such certificate"));
    s_http_free (&page);
    const char *refused[][2] = {
        {"/etc/passwd", "404"},
        {"/certificates/..%2F..%2Fetc%2Fpasswd", "404"},
        {"/certificates/a/b", "404"},
        {"/certificates", "400"},
        {"/certificates?number=%FF%FE", "400"},
        {"/certificates?company=%01x", "400"},
        {"/certificates?number=CFC&format=xml", "400"},
    };
    for (size_t index = 0; index < sizeof refused / sizeof *refused; index++) {
        page = s_get (port, refused[index][0], NULL);
        assert_int_equal (page.status, atoi (refused[index][1]));
        s_assert_headers (&page, "Content-Type: text/html");
        s_http_free (&page);
    }
    char longer[400] = "/certificates?company=";
    memset (longer + strlen (longer), 'x', 200);
    page = s_get (port, longer, NULL);
    assert_int_equal (page.status, 400);
    s_http_free (&page);
    page = s_exchange (port, "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
    assert_int_equal (page.status, 405);
    assert_non_null (strstr (page.head, "Allow: GET, HEAD"));
    s_http_free (&page);

    //  A real browser renders the three pages
    snprintf (path, sizeof path, "/certificates/%s", valid);
    const char *dom = s_browse (proc, port, path);
    assert_non_null (strstr (dom, valid));
    assert_non_null (strstr (dom, "有效 valid"));
    snprintf (path, sizeof path, "/certificates/%s", suspended);
    dom = s_browse (proc, port, path);
    assert_non_null (strstr (dom, "暂停 suspended"));
    dom = s_browse (proc, port, "/certificates/CFC2026SC99999");
    assert_non_null (strstr (dom, "No such certificate"));

    //  The daemon went on meanwhile: a change shows at once
    cf_proc_expect (proc, 0, NULL, "certificate", "restore", suspended,
                    "--reason", "marking removed", NULL);
    snprintf (path, sizeof path, "/certificates/%s?format=json", suspended);
    page = s_get (port, path, NULL);
    assert_non_null (strstr (page.body, "\"status\":\"valid\""));
    s_http_free (&page);
    assert_int_equal (cf_proc_stop (server), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_anyone_asks_the_register, s_setup,
                                         cf_proc_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
