/*  =========================================================================
    fuzz_config - the ZPL configuration loader

    The input is a config file. It is loaded twice: by the worker's own
    option parser (certflow-worker --config FILE), and into a config with
    the shape of certflowd's settings (nested sections, numbers with size
    suffixes). A file that loads gives every setting a readable value; one
    that does not changes nothing and says why.
    =========================================================================
*/

#include "fuzz_util.h"

#include <unistd.h>

#include "cf_config.h"
#include "cf_worker.h"

static const cf_setting_t s_settings[] = {
    {"data", "data", NULL, "./data", "data directory", false},
    {"map-size", "map_size", NULL, "64M", "initial map size", false},
    {"client-endpoint", "endpoints/client", NULL, "tcp://127.0.0.1:5580",
     "client API", false},
    {"lease-ms", "jobs/lease_ms", NULL, "30000", "job lease", false},
    {"verbose", "verbose", NULL, NULL, "debug logging", true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

static char s_path[64];

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!*s_path) {
        const char *base = access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf (s_path, sizeof s_path, "%s/cf-fuzz-config-%d.cfg", base,
                  (int)getpid ());
    }
    FILE *file = fopen (s_path, "wb");
    if (!file || fwrite (data, 1, size, file) != size || fclose (file) != 0)
        FUZZ_FAIL ("cannot write %s", s_path);

    //  The worker's command line with the file
    char *argv[] = {"certflow-worker", "--config", s_path, NULL};
    cf_worker_options_t *options = NULL;
    cf_problems_t *problems = cf_problems_new ();
    int rc = cf_worker_options_parse (3, argv, &options, problems);
    FUZZ_CHECK ((rc == 0) == (options != NULL), problems);
    FUZZ_CHECK (rc == 0 || cf_problems_size (problems) > 0, problems);
    cf_worker_options_destroy (&options);

    //  A daemon-shaped config
    cf_problems_reset (problems);
    cf_config_t *config = cf_config_new ("certflowd", s_settings);
    rc = cf_config_load (config, s_path, problems);
    FUZZ_CHECK (rc == 0 || rc == CF_EIO || rc == CF_EPARSE || rc == CF_EINVAL,
                problems);
    FUZZ_CHECK (rc == 0 || cf_problems_size (problems) > 0, problems);
    if (rc != 0)
        FUZZ_CHECK (strcmp (cf_config_get (config, "data"), "./data") == 0,
                    problems);
    for (const cf_setting_t *setting = s_settings; setting->name; setting++)
        (void)cf_config_get (config, setting->name);
    int64_t value = 0;
    (void)cf_config_number (config, "map-size", 1, INT64_MAX, &value, NULL);
    (void)cf_config_number (config, "lease-ms", 1, 86400000, &value, NULL);
    (void)cf_config_flag (config, "verbose");
    cf_config_destroy (&config);
    cf_problems_destroy (&problems);
    unlink (s_path);
    return 0;
}
