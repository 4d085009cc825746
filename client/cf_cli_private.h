/*  =========================================================================
    cf_cli_private - what the command files of the CLI share

    cf_cli.c owns the frame: global options, finding the command, parsing
    its arguments, connecting, printing refusals. The command files
    (cf_cli_case.c: the case workflow; cf_cli_admin.c: the daemon, staff,
    identities, certificates) each give a table of commands and the
    functions that run them. Not for use outside client/.
    =========================================================================
*/

#ifndef CF_CLI_PRIVATE_H_INCLUDED
#define CF_CLI_PRIVATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "certflow.pb-c.h"
#include "cf_cli.h"
#include "cf_client.h"
#include "cf_error.h"
#include "cf_problems.h"

typedef struct _cf_cli_t cf_cli_t;

//  Runs a command whose arguments were parsed; returns the exit code.
typedef int (cf_cli_fn) (cf_cli_t *cli);

//  One option a command takes
typedef struct {
    const char *name;   //  Flag name without dashes; NULL ends a table
    const char *value;  //  Name of its value in help ("S"); NULL: a switch
    bool repeat;        //  May be given more than once
    const char *help;   //  One line for the command's --help
} cf_cli_option_t;

//  One command
typedef struct {
    const char *name;      //  "status", or two words: "certificate show";
                           //  NULL ends a table
    const char *synopsis;  //  Arguments and options, for usage lines
    const char *summary;   //  One line for `certflow --help`
    const char *details;   //  More lines for `certflow CMD --help`, or NULL
    size_t min_args;       //  Positional arguments needed
    size_t max_args;       //  Positional arguments allowed
    const cf_cli_option_t *options;  //  Options it takes, or NULL
    cf_cli_fn *run;                  //  What it does
} cf_cli_command_t;

//  The command tables of the command files
const cf_cli_command_t *cf_cli_case_commands (void);
const cf_cli_command_t *cf_cli_admin_commands (void);
const cf_cli_command_t *cf_cli_certificate_commands (void);
const cf_cli_command_t *cf_cli_report_commands (void);
const cf_cli_command_t *cf_cli_agency_commands (void);

//  ------------------------------------------------------------------------
//  What a command sees of its invocation

//  Returns where normal output and error messages go.
FILE *cf_cli_out (cf_cli_t *cli);
FILE *cf_cli_err (cf_cli_t *cli);

//  Returns true when the reply is to be printed as JSON.
bool cf_cli_json (cf_cli_t *cli);

//  Returns positional argument index, borrowed (the command's synopsis
//  fixes how many there are; the parser has checked them).
const char *cf_cli_arg (cf_cli_t *cli, size_t index);

//  Returns the value of option name given the index-th time (0 = first),
//  or NULL when given fewer times. For a switch the value is "".
const char *cf_cli_option (cf_cli_t *cli, const char *name, size_t index);

//  Returns how many times option name was given.
size_t cf_cli_option_count (cf_cli_t *cli, const char *name);

//  Returns the effective value of a global setting ("feed-endpoint", "cert",
//  ...).
const char *cf_cli_setting (cf_cli_t *cli, const char *name);

//  ------------------------------------------------------------------------
//  Errors, the daemon and output

//  Prints "certflow: " + the message and the hint to run COMMAND --help on
//  err, and returns CF_CLI_USAGE.
int CF_MUST_CHECK cf_cli_usage_error (cf_cli_t *cli, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Prints every problem as "certflow: what: code: message" on err, then
//  how to go on, and returns CF_CLI_USAGE. what names the input (a path).
int CF_MUST_CHECK cf_cli_input_error (cf_cli_t *cli, const char *what,
                                      const cf_problems_t *problems);

//  Reads the whole of the input file path into *text_p (free it); on
//  failure prints the problem and returns CF_CLI_USAGE, else 0.
int CF_MUST_CHECK cf_cli_read_file (cf_cli_t *cli, const char *path,
                                    char **text_p, size_t *size_p);

//  Reads text as a decimal whole number in min .. max into *value; on
//  failure prints a usage error naming what and returns CF_CLI_USAGE.
int CF_MUST_CHECK cf_cli_number (cf_cli_t *cli, const char *what,
                                 const char *text, uint64_t min, uint64_t max,
                                 uint64_t *value);

//  Sends request (taking it; a heap tree) to the daemon, connecting first
//  if needed. Returns 0 with the OK reply in *reply_p (free it). Otherwise
//  *reply_p is NULL, what went wrong is printed and the exit code returned:
//  CF_CLI_REFUSED for a non-OK reply ("certflow: refused: ERROR — message",
//  and the reply as JSON on out in --json mode), CF_CLI_UNREACHABLE when
//  no usable reply came, CF_CLI_USAGE when the certificates are missing.
int CF_MUST_CHECK cf_cli_request (cf_cli_t *cli, Cf__Request *request,
                                  Cf__Reply **reply_p);

//  As cf_cli_request, but returns any reply, refused or not, in *reply_p
//  (0 when one came) without printing it.
int CF_MUST_CHECK cf_cli_request_any (cf_cli_t *cli, Cf__Request *request,
                                      Cf__Reply **reply_p);

//  On a terminal (err is one), shows how far a long command is on one line
//  of err, replacing the last such line ("certflow: listed 200 cases");
//  elsewhere does nothing, so scripts see none of it.
void cf_cli_progress (cf_cli_t *cli, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Clears the progress line, if one is shown. Call before the command's
//  last output and before it returns.
void cf_cli_progress_done (cf_cli_t *cli);

//  Reads the record of case_id (a status request) for a command that shows
//  it beside what it was asked: returns the record (free with cf_pb_free)
//  or NULL, saying nothing, when the daemon would not give it (not this
//  principal's case) or did not answer.
Cf__Case *cf_cli_case_record (cf_cli_t *cli, const char *case_id);

//  Prints "certflow: refused: ERROR — message" on err (and in --json mode
//  the reply on out) and returns CF_CLI_REFUSED.
int CF_MUST_CHECK cf_cli_refused (cf_cli_t *cli, const Cf__Reply *reply);

//  Prints message as one JSON line on out.
void cf_cli_print_json (cf_cli_t *cli, const ProtobufCMessage *message);

//  Prints reply as JSON in --json mode; returns true when it did.
bool cf_cli_printed_json (cf_cli_t *cli, const Cf__Reply *reply);

//  Returns a new request whose body is body_case (the caller sets it).
Cf__Request *cf_cli_request_new (Cf__Request__BodyCase body_case);

//  Returns the client, connecting on first use, or NULL after printing why
//  (then *exit_code gets the code to return). Used by watch, which needs
//  the client for catch-up requests.
cf_client_t *cf_cli_client (cf_cli_t *cli, int *exit_code);

//  Prints the "daemon unreachable" message for rc from the client and
//  returns CF_CLI_UNREACHABLE (or CF_CLI_USAGE for a certificate that has
//  gone missing).
int CF_MUST_CHECK cf_cli_transport_error (cf_cli_t *cli, int rc);

#endif
