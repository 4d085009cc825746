/*  =========================================================================
    certflow-worker - takes stage jobs from certflowd and does them

    Usage: certflow-worker --cert FILE --server-cert FILE [--stage NAME]...
    Exit codes: 0 stopped by SIGINT/SIGTERM; 1 the loop failed; 2 usage
    (bad arguments, unknown stage, unreadable certificate).
    =========================================================================
*/

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "cf_log.h"
#include "cf_worker.h"

#define S_EXIT_USAGE 2

int
main (int argc, char **argv)
{
    cf_worker_catch_signals ();
    cf_problems_t *problems = cf_problems_new ();
    cf_worker_options_t *options = NULL;
    cf_worker_t *worker = NULL;
    int status = S_EXIT_USAGE;
    if (cf_worker_options_parse (argc, argv, &options, problems) == 0) {
        cf_log_setup ("certflow-worker", options->log_format);
        if (options->help) {
            cf_worker_usage (stdout);
            status = EXIT_SUCCESS;
        } else if (cf_worker_new (options, &worker, problems) == 0) {
            //  Under systemd: up once its certificates loaded and it
            //  connects (it reconnects by itself while the daemon is away)
            sd_notify (0, "READY=1");
            status = cf_worker_run (worker) ? EXIT_FAILURE : EXIT_SUCCESS;
            sd_notify (0, "STOPPING=1");
        }
    }
    for (size_t index = 0; index < cf_problems_size (problems); index++)
        fprintf (stderr, "certflow-worker: %s\n",
                 cf_problems_message (problems, index));
    if (status == S_EXIT_USAGE)
        fprintf (stderr, "run certflow-worker --help for the options\n");
    cf_worker_destroy (&worker);
    cf_worker_options_destroy (&options);
    cf_problems_destroy (&problems);
    return status;
}
