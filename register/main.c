/*  =========================================================================
    certflow-register - the public register over HTTP

    Serves cf_register's answers with libmicrohttpd from the store that
    certflowd writes, opened read only in this process: LMDB lets readers
    beside the writer see each commit whole without holding it back, so the
    register never slows the daemon's loop and needs no identity of its own.
    =========================================================================
*/

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "cf_log.h"
#include "cf_register.h"
#include "cf_store.h"

static const char s_usage[] =
    "usage: certflow-register --data DIR [--listen ADDRESS:PORT]\n"
    "                         [--clock-offset-ms N]\n"
    "\n"
    "The public register (公开查询): anyone may ask whether a certificate is\n"
    "valid, at what grade and for what scope, without a certflow identity.\n"
    "It reads the store of certflowd in DIR, read only, beside the daemon.\n"
    "\n"
    "  --data DIR            certflowd's data directory (its store/ is read)\n"
    "  --listen ADDR:PORT    where to listen (default 127.0.0.1:8480; port 0\n"
    "                        takes a free one, said on the first line)\n"
    "  --clock-offset-ms N   the offset certflowd runs with, if any, so both\n"
    "                        judge validity on the same day (one clock)\n"
    "  --help                this help\n"
    "\n"
    "Paths: /  the search form;  /certificates?number=N | company=NAME |\n"
    "uscc=CODE  a search;  /certificates/NUMBER  one certificate. Add\n"
    "?format=json or send Accept: application/json for JSON.\n";

typedef struct {
    cf_store_t *store;
    int64_t offset_ms;
} s_register_t;

static cf_day_t
s_today (const s_register_t *self)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    return cf_date_from_ms (ms + self->offset_ms);
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *connection, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **request_state)
{
    (void)version, (void)upload_data, (void)upload_data_size;
    (void)request_state;
    s_register_t *self = cls;
    const char *accept =
        MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Accept");
    cf_register_query_t query = {
        .number = MHD_lookup_connection_value (connection,
                                               MHD_GET_ARGUMENT_KIND, "number"),
        .company = MHD_lookup_connection_value (
            connection, MHD_GET_ARGUMENT_KIND, "company"),
        .uscc = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND,
                                             "uscc"),
        .format = MHD_lookup_connection_value (connection,
                                               MHD_GET_ARGUMENT_KIND, "format"),
        .wants_json = accept && strstr (accept, "application/json") != NULL};
    cf_register_reply_t reply;
    cf_register_answer (self->store, method, url, &query, s_today (self),
                        &reply);
    struct MHD_Response *response = MHD_create_response_from_buffer (
        reply.size, reply.body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        cf_register_reply_free (&reply);
        return MHD_NO;
    }
    MHD_add_response_header (response, "Content-Type", reply.type);
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; "
                             "form-action 'self'; base-uri 'none'; "
                             "frame-ancestors 'none'");
    MHD_add_response_header (response, "X-Frame-Options", "DENY");
    MHD_add_response_header (response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    if (reply.status == 405)
        MHD_add_response_header (response, "Allow", "GET, HEAD");
    enum MHD_Result queued =
        MHD_queue_response (connection, reply.status, response);
    MHD_destroy_response (response);
    cf_log_info ("%s %s: %u", method, url, reply.status);
    return queued;
}

//  Reads ADDRESS:PORT (an IPv4 address) into address
static int
s_listen_address (const char *text, struct sockaddr_in *address)
{
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text || strlen (text) > 64)
        return -1;
    char host[64];
    snprintf (host, sizeof host, "%.*s", (int)(colon - text), text);
    char *end = NULL;
    errno = 0;
    long port = strtol (colon + 1, &end, 10);
    if (errno || !*(colon + 1) || *end || port < 0 || port > 65535)
        return -1;
    memset (address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_port = htons ((uint16_t)port);
    return inet_pton (AF_INET, host, &address->sin_addr) == 1 ? 0 : -1;
}

int
main (int argc, char *argv[])
{
    const char *data = NULL, *listen = "127.0.0.1:8480";
    s_register_t self = {NULL, 0};
    for (int index = 1; index < argc; index++) {
        const char *arg = argv[index];
        const char *value = index + 1 < argc ? argv[index + 1] : NULL;
        if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
            fputs (s_usage, stdout);
            return 0;
        }
        if (!value || (strcmp (arg, "--data") && strcmp (arg, "--listen") &&
                       strcmp (arg, "--clock-offset-ms"))) {
            fprintf (stderr,
                     "certflow-register: %s '%s'; see certflow-register "
                     "--help\n",
                     value ? "unknown argument" : "missing value after", arg);
            return 2;
        }
        index++;
        if (strcmp (arg, "--data") == 0)
            data = value;
        else if (strcmp (arg, "--listen") == 0)
            listen = value;
        else {
            char *end = NULL;
            errno = 0;
            self.offset_ms = strtoll (value, &end, 10);
            if (errno || !*value || *end) {
                fprintf (stderr,
                         "certflow-register: --clock-offset-ms takes whole "
                         "milliseconds, not '%s'\n",
                         value);
                return 2;
            }
        }
    }
    if (!data) {
        fprintf (stderr, "certflow-register: --data DIR is needed: certflowd's "
                         "data directory\n");
        return 2;
    }
    struct sockaddr_in address;
    if (s_listen_address (listen, &address) != 0) {
        fprintf (stderr,
                 "certflow-register: --listen takes ADDRESS:PORT, an IPv4 "
                 "address and a port (e.g. 127.0.0.1:8480), not '%s'\n",
                 listen);
        return 2;
    }
    char store_dir[4096];
    snprintf (store_dir, sizeof store_dir, "%s/store", data);
    int rc = cf_store_open_readonly (store_dir, &self.store);
    if (rc) {
        fprintf (stderr,
                 "certflow-register: cannot read the store in %s: %s; run "
                 "certflowd --data %s init first\n",
                 store_dir, cf_strerror (rc), data);
        return 1;
    }
    //  The signals are taken by sigwait below, in this thread only
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGINT);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    struct MHD_Daemon *daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        s_handle, &self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
    if (!daemon) {
        fprintf (stderr,
                 "certflow-register: cannot listen on %s: %s; choose another "
                 "address or port\n",
                 listen, strerror (errno));
        cf_store_destroy (&self.store);
        return 1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (daemon, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET_ADDRSTRLEN];
    inet_ntop (AF_INET, &address.sin_addr, host, sizeof host);
    printf ("certflow-register ready: http://%s:%u/ (store %s)\n", host,
            info ? info->port : ntohs (address.sin_port), store_dir);
    fflush (stdout);
    int signal = 0;
    sigwait (&signals, &signal);
    MHD_stop_daemon (daemon);
    cf_store_destroy (&self.store);
    return 0;
}
