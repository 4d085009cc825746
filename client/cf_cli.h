/*  =========================================================================
    cf_cli - the `certflow` command line

    certflow [global options] COMMAND [arguments and options]

    Global options come from lib/cf_config (flag > environment > --config
    file > default): --endpoint, --feed, --cert, --server-cert, --timeout,
    --retries, --json, --config, --help. Each command parses its own
    arguments; `certflow COMMAND --help` describes them. Output is for
    people by default and, with --json, one JSON document per command (one
    per line for watch) for scripts.
    =========================================================================
*/

#ifndef CF_CLI_H_INCLUDED
#define CF_CLI_H_INCLUDED

#include <stdio.h>

#include "cf_error.h"

//  The exit codes, the contract with scripts
typedef enum {
    CF_CLI_OK = 0,           //  Done
    CF_CLI_REFUSED = 1,      //  The daemon answered with a non-OK status
    CF_CLI_USAGE = 2,        //  Bad arguments or input file: fix and rerun
    CF_CLI_UNREACHABLE = 3,  //  No (usable) reply from the daemon
    CF_CLI_DENIED = 4,       //  The daemon refused the certificate
} cf_cli_exit_t;

//  Runs one certflow command line. argv[0] is the program name. Normal
//  output goes to out, messages about errors to err (both borrowed).
//  Returns the exit code (cf_cli_exit_t). Reads the CERTFLOW_* environment
//  variables; uses czmq sockets, so it may create czmq's global context.
int CF_MUST_CHECK cf_cli_run (int argc, char **argv, FILE *out, FILE *err);

#endif
