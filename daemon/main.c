/*  =========================================================================
    certflowd - the certflow daemon

    certflowd [options] [run]      serve until SIGTERM or SIGINT
    certflowd [options] init       create keys and the first admin certificate
    certflowd [options] verify     check the store's chain and indexes
    certflowd [options] schemes    list the scheme versions the store holds
    =========================================================================
*/

#include <stdio.h>
#include <string.h>

#include "cf_config.h"
#include "cf_daemon.h"
#include "cf_identity.h"
#include "cf_log.h"
#include "cf_seal.h"
#include "cf_store.h"

static const cf_setting_t s_settings[] = {
    {"config", NULL, "CERTFLOW_CONFIG", NULL, "ZPL config file", false},
    {"data", "data", "CERTFLOW_DATA", "./data", "data directory", false},
    {"scheme", "scheme", "CERTFLOW_SCHEME", "",
     "scheme file (empty: the built-in default)", false},
    {"map-size", "map_size", NULL, "64M", "initial store map size", false},
    {"client-endpoint", "endpoints/client", "CERTFLOW_CLIENT_ENDPOINT",
     "tcp://127.0.0.1:5580", "client API", false},
    {"worker-endpoint", "endpoints/worker", "CERTFLOW_WORKER_ENDPOINT",
     "tcp://127.0.0.1:5581", "worker API", false},
    {"feed-endpoint", "endpoints/feed", "CERTFLOW_FEED_ENDPOINT",
     "tcp://127.0.0.1:5582", "event feed", false},
    {"register-url", "register_url", "CERTFLOW_REGISTER_URL",
     CF_SEAL_REGISTER_DEFAULT,
     "the public register's address, in the QR code of every certificate "
     "document",
     false},
    {"lease-ms", "jobs/lease_ms", NULL, "30000", "job lease", false},
    {"max-attempts", "jobs/max_attempts", NULL, "5",
     "offers before a job is parked as an incident", false},
    {"backoff-ms", "jobs/backoff_ms", NULL, "1000", "first retry delay", false},
    {"heartbeat-ms", "heartbeat_ms", NULL, "1000", "heartbeat interval", false},
    {"reply-retention-days", "replies/retention_days", NULL, "30",
     "days a stored reply answers a retried request (0: for ever)", false},
    {"clock-offset-ms", "clock_offset_ms", NULL, "0",
     "drills: run the clock this far ahead, so deadlines come due", false},
    CF_LOG_SETTINGS,
    {"verbose", "verbose", NULL, NULL, "debug logging (log-level debug)", true},
    {"help", NULL, NULL, NULL, "this help", true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

static const char *s_synopsis =
    "[run | init | verify | schemes]\n"
    "  run     serve clients and workers until SIGTERM or SIGINT (default);\n"
    "          SIGHUP re-reads the certificate directory and the log level\n"
    "  init [--if-missing]\n"
    "          create the daemon keys, the certificate signing key\n"
    "          (DATA/keys/signing.key; signing.pub is its public half for\n"
    "          verifiers) and DATA/admin.cert; --if-missing: succeed without\n"
    "          a change when DATA has its keys already (adding a missing\n"
    "          signing key)\n"
    "  verify  check the event chain and every index of the store\n"
    "  schemes list the scheme versions the store holds (each case runs\n"
    "          under the one it recorded)";

static int
s_fail (cf_problems_t *problems, int code)
{
    for (size_t index = 0; index < cf_problems_size (problems); index++)
        fprintf (stderr, "certflowd: %s\n",
                 cf_problems_message (problems, index));
    return code;
}

//  if_missing: a data directory that has its keys already is left as it is
//  (the service runs this before every start)
static int
s_init (const char *data, bool if_missing, cf_problems_t *problems)
{
    int rc = cf_identity_init (data, problems);
    if (rc == CF_EEXIST && if_missing) {
        cf_problems_reset (problems);
        //  Initialized before there were certificate documents: add the key
        char *keys = NULL;
        if (asprintf (&keys, "%s/keys", data) < 0)
            return s_fail (problems, 1);
        rc = cf_seal_key_create (keys, problems);
        free (keys);
        if (rc == 0)
            printf ("%s is initialized already: added the certificate "
                    "signing key %s/keys/" CF_SEAL_SECRET_FILE "\n",
                    data, data);
        else if (rc == CF_EEXIST)
            printf ("%s is initialized already: kept as it is\n", data);
        return rc == 0 || rc == CF_EEXIST ? 0 : s_fail (problems, 1);
    }
    if (rc == 0) {
        char *keys = NULL;
        if (asprintf (&keys, "%s/keys", data) < 0)
            return s_fail (problems, 1);
        rc = cf_seal_key_create (keys, problems);
        free (keys);
    }
    if (rc != 0)
        return s_fail (problems, 1);
    printf ("initialized %s\n  daemon public certificate: %s/keys/daemon.cert "
            "(give it to clients and workers)\n  certificate signing key: "
            "%s/keys/" CF_SEAL_SECRET_FILE
            " (secret); its public half %s/keys/" CF_SEAL_PUBLIC_FILE
            " checks documents (publish it)\n  admin "
            "certificate: %s/admin.cert (keep it secret)\n",
            data, data, data, data, data);
    return 0;
}

//  Opens DATA/store for an offline command, its path into path; NULL
//  (said on stderr) when it cannot be opened
static cf_store_t *
s_open_store (const char *data, char *path, size_t size)
{
    snprintf (path, size, "%s/store", data);
    cf_store_t *store = NULL;
    int rc = cf_store_open (path, 0, &store);
    if (rc)
        fprintf (stderr, "certflowd: cannot open %s: %s\n", path,
                 cf_strerror (rc));
    return store;
}

static int
s_verify (const char *data, cf_problems_t *problems)
{
    char path[4096];
    cf_store_t *store = s_open_store (data, path, sizeof path);
    if (!store)
        return 1;
    int rc;
    uint64_t last = 0;
    rc = cf_store_verify (store, problems);
    if (cf_store_last_seq (store, &last) != 0)
        last = 0;
    cf_store_destroy (&store);
    if (rc)
        return s_fail (problems, 1);
    printf ("store %s verified: %llu events chained, indexes agree\n", path,
            (unsigned long long)last);
    return 0;
}

//  Lists the scheme versions recorded in the store, one a line
static int
s_schemes (const char *data)
{
    char path[4096];
    cf_store_t *store = s_open_store (data, path, sizeof path);
    if (!store)
        return 1;
    int rc;
    char **keys = NULL;
    size_t count = 0;
    rc = cf_store_meta_keys (store, "scheme/", &keys, &count);
    cf_store_destroy (&store);
    if (rc) {
        fprintf (stderr, "certflowd: cannot list the schemes of %s: %s\n", path,
                 cf_strerror (rc));
        return 1;
    }
    for (size_t index = 0; index < count; index++)
        printf ("%s\n", keys[index] + strlen ("scheme/"));
    if (count == 0)
        fprintf (stderr,
                 "certflowd: %s holds no scheme yet; certflowd run "
                 "records its scheme\n",
                 path);
    cf_store_keys_free (&keys, count);
    return 0;
}

//  SIGHUP: the config file again, for the log level (the rest needs a
//  restart)
static void
s_reload (void *argument)
{
    cf_config_t *config = argument;
    cf_problems_t *problems = cf_problems_new ();
    const char *path = cf_config_get (config, "config");
    cf_log_format_t format;
    if ((path && cf_config_load (config, path, problems) != 0) ||
        cf_log_configure (config, &format, problems) != 0)
        for (size_t index = 0; index < cf_problems_size (problems); index++)
            cf_log_error ("reload: %s (kept the level in force)",
                          cf_problems_message (problems, index));
    cf_log_notice ("reloaded: log level %s",
                   cf_log_level_name (cf_log_level ()));
    cf_problems_destroy (&problems);
}

static int
s_number (cf_config_t *config, const char *name, int64_t min, int64_t max,
          int64_t *value, cf_problems_t *problems)
{
    return cf_config_number (config, name, min, max, value, problems);
}

int
main (int argc, char **argv)
{
    cf_daemon_signals ();
    cf_config_t *config = cf_config_new ("certflowd", s_settings);
    cf_problems_t *problems = cf_problems_new ();
    int rest = argc, rc = 0;
    int64_t map_size, lease, attempts, backoff, beat, retention, offset;
    const char *command = "run";
    if (cf_config_parse_args (config, argc, argv, &rest, problems) != 0)
        rc = 2;
    else if (cf_config_flag (config, "help")) {
        cf_config_usage (config, stdout, s_synopsis);
        goto out;
    }
    if (rc == 0 && rest < argc)
        command = argv[rest];
    if (rc == 0 && cf_config_get (config, "config") &&
        cf_config_load (config, cf_config_get (config, "config"), problems) !=
            0)
        rc = 2;
    if (rc == 0 &&
        (s_number (config, "map-size", 1 << 20, (int64_t)1 << 40, &map_size,
                   problems) ||
         s_number (config, "lease-ms", 100, 86400000, &lease, problems) ||
         s_number (config, "max-attempts", 1, 100, &attempts, problems) ||
         s_number (config, "backoff-ms", 1, 3600000, &backoff, problems) ||
         s_number (config, "heartbeat-ms", 50, 60000, &beat, problems) ||
         s_number (config, "reply-retention-days", 0, 36500, &retention,
                   problems) ||
         s_number (config, "clock-offset-ms", 0, (int64_t)3650 * 86400000,
                   &offset, problems)))
        rc = 2;
    cf_log_format_t log_format = CF_LOG_TEXT;
    if (rc == 0 && cf_log_configure (config, &log_format, problems) != 0)
        rc = 2;
    if (rc) {
        s_fail (problems, rc);
        fprintf (stderr, "certflowd: see certflowd --help\n");
        goto out;
    }
    cf_log_setup ("certflowd", log_format);
    const char *data = cf_config_get (config, "data");
    if (strcmp (command, "init") == 0 && rest + 2 >= argc &&
        (rest + 1 == argc || strcmp (argv[rest + 1], "--if-missing") == 0))
        rc = s_init (data, rest + 1 < argc, problems);
    else if (strcmp (command, "verify") == 0)
        rc = s_verify (data, problems);
    else if (strcmp (command, "schemes") == 0)
        rc = s_schemes (data);
    else if (strcmp (command, "run") == 0) {
        cf_daemon_config_t settings = {
            .data_dir = data,
            .scheme_path = cf_config_get (config, "scheme"),
            .map_size = (size_t)map_size,
            .client_endpoint = cf_config_get (config, "client-endpoint"),
            .worker_endpoint = cf_config_get (config, "worker-endpoint"),
            .feed_endpoint = cf_config_get (config, "feed-endpoint"),
            .register_url = cf_config_get (config, "register-url"),
            .lease_ms = lease,
            .max_attempts = (uint32_t)attempts,
            .backoff_ms = backoff,
            .heartbeat_ms = beat,
            .reply_retention_ms = retention * 86400000,
            .clock_offset_ms = offset,
            .reload = s_reload,
            .reload_argument = config,
        };
        cf_daemon_t *daemon = cf_daemon_new (&settings, problems);
        rc = daemon ? cf_daemon_run (daemon) : s_fail (problems, 1);
        cf_daemon_destroy (&daemon);
    } else if (strcmp (command, "init") == 0) {
        fprintf (stderr, "certflowd: init takes only --if-missing; see "
                         "certflowd --help\n");
        rc = 2;
    } else {
        fprintf (stderr,
                 "certflowd: unknown command '%s'; see certflowd "
                 "--help\n",
                 command);
        rc = 2;
    }
out:
    cf_problems_destroy (&problems);
    cf_config_destroy (&config);
    return rc;
}
