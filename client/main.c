/*  =========================================================================
    certflow - the command-line client of certflowd (see cf_cli.h)
    =========================================================================
*/

#include <czmq.h>
#include <stdio.h>

#include "cf_cli.h"
#include "cf_log.h"

int
main (int argc, char **argv)
{
    //  A command line holds nothing that needs a clean shutdown: Ctrl-C
    //  ends it the default way, so czmq's interrupt handler stays out
    zsys_handler_set (NULL);
    cf_log_setup ("certflow", CF_LOG_TEXT);
    return cf_cli_run (argc, argv, stdout, stderr);
}
