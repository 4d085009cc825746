/*  =========================================================================
    cf_cli - the `certflow` command line: the frame every command runs in
    =========================================================================
*/

#include "cf_cli.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf_cli_private.h"
#include "cf_config.h"
#include "cf_json.h"
#include "cf_mem.h"
#include "cf_pb.h"
#include "cf_pbjson.h"

//  Most positional arguments and options one command line may carry
#define S_ARGS_MAX    8
#define S_OPTIONS_MAX 64

//  Width of the usage column in the list of commands
#define S_USAGE_WIDTH 44

// clang-format off
static const cf_setting_t s_settings[] = {
    //  name           path           env                       default             help                                                     switch
    {"client-endpoint", "endpoints/client", "CERTFLOW_CLIENT_ENDPOINT", CF_CLIENT_ENDPOINT, "certflowd's client API",                   false},
    {"feed-endpoint",   "endpoints/feed",   "CERTFLOW_FEED_ENDPOINT",   CF_CLIENT_FEED,     "certflowd's event feed (for watch)",       false},
    {"cert",            "cert",             "CERTFLOW_CERT",            NULL,               "your secret certificate file, as the admin issued it", false},
    {"server-cert",     "server_cert",      "CERTFLOW_SERVER_CERT",     NULL,               "the daemon's public certificate (DATA/keys/daemon.cert)", false},
    {"signing-key", "signing_key",  "CERTFLOW_SIGNING_KEY",    NULL,               "the certification body's public signing key, for certificate verify", false},
    {"timeout",     "timeout",     "CERTFLOW_TIMEOUT",       "3000",             "milliseconds to wait for each try of a request",        false},
    {"retries",     "retries",     "CERTFLOW_RETRIES",       "3",                "tries per request before giving up",                    false},
    {"config",      NULL,          "CERTFLOW_CONFIG",        NULL,               "ZPL file with these settings under certflow/",          false},
    {"json",        NULL,          NULL,                     NULL,               "print replies as JSON: one document per command",       true},
    {"help",        NULL,          NULL,                     NULL,               "print this help",                                       true},
    {NULL, NULL, NULL, NULL, NULL, false},
};
// clang-format on

//  One option as given on the command line
typedef struct {
    const char *name;   //  Option name (borrowed from the command's table)
    const char *value;  //  Its value (borrowed from argv); "" for a switch
} s_given_t;

struct _cf_cli_t {
    FILE *out;                        //  Normal output
    FILE *err;                        //  Error messages
    cf_config_t *config;              //  Global settings
    const cf_cli_command_t *command;  //  Command being run
    bool json;                        //  --json given
    bool help;                        //  --help given after the command
    int timeout_ms;                   //  --timeout
    int retries;                      //  --retries
    const char *args[S_ARGS_MAX];     //  Positional arguments
    size_t arg_count;                 //  How many
    s_given_t given[S_OPTIONS_MAX];   //  Options given, in order
    size_t given_count;               //  How many
    cf_client_t *client;              //  Connected on first request
    bool progress;                    //  err is a terminal: show progress
    bool progress_shown;              //  A progress line is on it now
};

//  ------------------------------------------------------------------------
//  Accessors for the command files

FILE *
cf_cli_out (cf_cli_t *cli)
{
    return cli->out;
}

FILE *
cf_cli_err (cf_cli_t *cli)
{
    return cli->err;
}

bool
cf_cli_json (cf_cli_t *cli)
{
    return cli->json;
}

const char *
cf_cli_arg (cf_cli_t *cli, size_t index)
{
    assert (index < cli->arg_count);
    return cli->args[index];
}

const char *
cf_cli_option (cf_cli_t *cli, const char *name, size_t index)
{
    for (size_t given = 0; given < cli->given_count; given++)
        if (strcmp (cli->given[given].name, name) == 0 && index-- == 0)
            return cli->given[given].value;
    return NULL;
}

size_t
cf_cli_option_count (cf_cli_t *cli, const char *name)
{
    size_t count = 0;
    for (size_t given = 0; given < cli->given_count; given++)
        if (strcmp (cli->given[given].name, name) == 0)
            count++;
    return count;
}

const char *
cf_cli_setting (cf_cli_t *cli, const char *name)
{
    return cf_config_get (cli->config, name);
}

//  ------------------------------------------------------------------------
//  Progress

void
cf_cli_progress (cf_cli_t *cli, const char *format, ...)
{
    if (!cli->progress)
        return;
    fputs ("\rcertflow: ", cli->err);
    va_list args;
    va_start (args, format);
    vfprintf (cli->err, format, args);
    va_end (args);
    //  Erase what a longer line before left
    fputs ("\033[K", cli->err);
    fflush (cli->err);
    cli->progress_shown = true;
}

void
cf_cli_progress_done (cf_cli_t *cli)
{
    if (cli->progress_shown)
        fputs ("\r\033[K", cli->err);
    cli->progress_shown = false;
}

//  ------------------------------------------------------------------------
//  Errors

int
cf_cli_usage_error (cf_cli_t *cli, const char *format, ...)
{
    fputs ("certflow: ", cli->err);
    va_list args;
    va_start (args, format);
    vfprintf (cli->err, format, args);
    va_end (args);
    fprintf (cli->err, "\nrun 'certflow %s%s--help' for usage\n",
             cli->command ? cli->command->name : "", cli->command ? " " : "");
    return CF_CLI_USAGE;
}

int
cf_cli_input_error (cf_cli_t *cli, const char *what,
                    const cf_problems_t *problems)
{
    size_t count = cf_problems_size (problems);
    for (size_t index = 0; index < count; index++)
        fprintf (cli->err, "certflow: %s: %s: %s\n", what,
                 cf_problems_code (problems, index),
                 cf_problems_message (problems, index));
    fprintf (cli->err,
             "certflow: %s: %zu problem%s; fix %s and run the command again\n",
             what, count, count == 1 ? "" : "s", count == 1 ? "it" : "them");
    return CF_CLI_USAGE;
}

int
cf_cli_read_file (cf_cli_t *cli, const char *path, char **text_p,
                  size_t *size_p)
{
    cf_problems_t *problems = cf_problems_new ();
    int rc =
        cf_json_load_file (path, CF_JSON_MAX_BYTES, text_p, size_p, problems);
    if (rc)
        rc = cf_cli_input_error (cli, path, problems);
    cf_problems_destroy (&problems);
    return rc;
}

int
cf_cli_number (cf_cli_t *cli, const char *what, const char *text, uint64_t min,
               uint64_t max, uint64_t *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long long number = strtoull (text, &end, 10);
    bool digits = *text >= '0' && *text <= '9';
    if (!digits || *end || errno == ERANGE || number < min || number > max)
        return cf_cli_usage_error (
            cli, "%s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64,
            what, text, min, max);
    *value = number;
    return 0;
}

//  ------------------------------------------------------------------------
//  Talking to the daemon

cf_client_t *
cf_cli_client (cf_cli_t *cli, int *exit_code)
{
    *exit_code = 0;
    if (cli->client)
        return cli->client;
    const char *cert = cf_config_get (cli->config, "cert");
    const char *server_cert = cf_config_get (cli->config, "server-cert");
    if (!cert || !*cert) {
        *exit_code = cf_cli_usage_error (
            cli, "no certificate: give --cert FILE (your secret certificate, "
                 "as the admin issued it) or set CERTFLOW_CERT");
        return NULL;
    }
    if (!server_cert || !*server_cert) {
        *exit_code = cf_cli_usage_error (
            cli, "no server certificate: give --server-cert FILE (the "
                 "daemon's public certificate, DATA/keys/daemon.cert) or set "
                 "CERTFLOW_SERVER_CERT");
        return NULL;
    }
    cf_problems_t *problems = cf_problems_new ();
    cli->client =
        cf_client_new (cf_config_get (cli->config, "client-endpoint"), cert,
                       server_cert, cli->timeout_ms, cli->retries, problems);
    if (!cli->client)
        *exit_code = cf_cli_input_error (
            cli, "--cert/--server-cert/--client-endpoint", problems);
    cf_problems_destroy (&problems);
    return cli->client;
}

int
cf_cli_transport_error (cf_cli_t *cli, int rc)
{
    const char *endpoint = cf_config_get (cli->config, "client-endpoint");
    if (rc == CF_ETIMEOUT) {
        fprintf (cli->err,
                 "certflow: no reply from %s after %d tr%s: is certflowd "
                 "running? check --client-endpoint and --server-cert\n",
                 endpoint, cli->retries, cli->retries == 1 ? "y" : "ies");
        return CF_CLI_UNREACHABLE;
    }
    char *why = cli->client
                    ? cf_problems_join (cf_client_problems (cli->client))
                    : NULL;
    if (rc == CF_ENOTFOUND) {
        fprintf (cli->err, "certflow: %s\n", why ? why : cf_strerror (rc));
        free (why);
        return CF_CLI_USAGE;
    }
    if (rc == CF_EDENIED) {
        fprintf (cli->err, "certflow: %s\n", why ? why : cf_strerror (rc));
        free (why);
        return CF_CLI_DENIED;
    }
    if (rc == CF_EAGAIN)
        fprintf (cli->err, "certflow: interrupted\n");
    else
        fprintf (cli->err, "certflow: no usable reply from %s: %s\n", endpoint,
                 why && *why ? why : cf_strerror (rc));
    free (why);
    return CF_CLI_UNREACHABLE;
}

void
cf_cli_print_json (cf_cli_t *cli, const ProtobufCMessage *message)
{
    cf_pbjson_print (cli->out, message);
    fputc ('\n', cli->out);
}

bool
cf_cli_printed_json (cf_cli_t *cli, const Cf__Reply *reply)
{
    if (cli->json)
        cf_cli_print_json (cli, &reply->base);
    return cli->json;
}

Cf__Request *
cf_cli_request_new (Cf__Request__BodyCase body_case)
{
    Cf__Request *request = cf_pb_new (&cf__request__descriptor);
    request->body_case = body_case;
    return request;
}

int
cf_cli_refused (cf_cli_t *cli, const Cf__Reply *reply)
{
    if (cli->json)
        cf_cli_print_json (cli, &reply->base);
    const ProtobufCEnumValue *status = protobuf_c_enum_descriptor_get_value (
        &cf__status__descriptor, (int)reply->status);
    const char *error = reply->error && *reply->error ? reply->error
                        : status                      ? status->name
                                                      : "STATUS_?";
    fprintf (cli->err, "certflow: refused: %s — %s\n", error,
             reply->message && *reply->message ? reply->message
                                               : "(no message)");
    return CF_CLI_REFUSED;
}

int
cf_cli_request_any (cf_cli_t *cli, Cf__Request *request, Cf__Reply **reply_p)
{
    *reply_p = NULL;
    int exit_code;
    cf_client_t *client = cf_cli_client (cli, &exit_code);
    if (!client) {
        cf_pb_free (&request);
        return exit_code;
    }
    int rc = cf_client_request (client, request, reply_p);
    cf_pb_free (&request);
    return rc ? cf_cli_transport_error (cli, rc) : 0;
}

Cf__Case *
cf_cli_case_record (cf_cli_t *cli, const char *case_id)
{
    Cf__Request *request = cf_pb_new (&cf__request__descriptor);
    request->body_case = CF__REQUEST__BODY_STATUS;
    request->status = cf_pb_new (&cf__case_ref__descriptor);
    cf_pb_set_string (&request->status->case_id, case_id);
    Cf__Reply *reply = NULL;
    Cf__Case *record = NULL;
    if (cf_cli_request_any (cli, request, &reply) == 0 &&
        reply->status == CF__STATUS__STATUS_OK &&
        reply->body_case == CF__REPLY__BODY_RECORD) {
        record = reply->record;
        reply->record = NULL;
        reply->body_case = CF__REPLY__BODY__NOT_SET;
    }
    cf_pb_free (&reply);
    return record;
}

int
cf_cli_request (cf_cli_t *cli, Cf__Request *request, Cf__Reply **reply_p)
{
    int exit_code = cf_cli_request_any (cli, request, reply_p);
    if (exit_code || (*reply_p)->status == CF__STATUS__STATUS_OK)
        return exit_code;
    exit_code = cf_cli_refused (cli, *reply_p);
    cf_pb_free (reply_p);
    return exit_code;
}

//  ------------------------------------------------------------------------
//  Help

//  Returns the index-th command table, NULL past the last.
static const cf_cli_command_t *
s_table (size_t index)
{
    return index == 0   ? cf_cli_case_commands ()
           : index == 1 ? cf_cli_admin_commands ()
           : index == 2 ? cf_cli_certificate_commands ()
           : index == 3 ? cf_cli_report_commands ()
           : index == 4 ? cf_cli_agency_commands ()
                        : NULL;
}

static void
s_print_commands (FILE *out, const char *group)
{
    for (size_t table = 0; s_table (table); table++)
        for (const cf_cli_command_t *command = s_table (table); command->name;
             command++) {
            if (group && (strncmp (command->name, group, strlen (group)) != 0 ||
                          command->name[strlen (group)] != ' '))
                continue;
            char usage[160];
            snprintf (usage, sizeof usage, "%s%s%s", command->name,
                      *command->synopsis ? " " : "", command->synopsis);
            //  One line each: a long synopsis keeps its arguments, and its
            //  options are left to COMMAND --help
            char *options = strstr (usage, " --");
            char *optional = strstr (usage, " [--");
            if (!options || (optional && optional < options))
                options = optional;
            if (strlen (usage) > S_USAGE_WIDTH && options)
                snprintf (options, sizeof usage - (size_t)(options - usage),
                          " [OPTIONS]");
            fprintf (out, "  %-*s %s\n", S_USAGE_WIDTH, usage,
                     command->summary);
        }
}

static void
s_print_usage (cf_cli_t *cli, FILE *out)
{
    cf_config_usage (cli->config, out, "COMMAND [ARGS]");
    fputs ("\ncommands:\n", out);
    s_print_commands (out, NULL);
    fputs ("\nrun 'certflow COMMAND --help' for a command's arguments.\n"
           "exit codes: 0 ok, 1 refused by the daemon, 2 usage error, "
           "3 daemon unreachable, 4 certificate refused by the daemon\n",
           out);
}

static void
s_print_command_help (cf_cli_t *cli)
{
    const cf_cli_command_t *command = cli->command;
    FILE *out = cli->out;
    fprintf (out, "usage: certflow [global options] %s%s%s\n\n%s\n",
             command->name, *command->synopsis ? " " : "", command->synopsis,
             command->summary);
    if (command->details)
        fprintf (out, "\n%s\n", command->details);
    fputs ("\noptions:\n", out);
    for (const cf_cli_option_t *option = command->options;
         option && option->name; option++) {
        char flag[64];
        snprintf (flag, sizeof flag, "--%s%s%s", option->name,
                  option->value ? " " : "", option->value ? option->value : "");
        fprintf (out, "  %-22s %s%s\n", flag, option->help,
                 option->repeat ? " (repeatable)" : "");
    }
    fprintf (out, "  %-22s %s\n", "--json", "print the reply as JSON");
    fprintf (out, "  %-22s %s\n", "--help", "print this help");
    fputs ("\nglobal options (before the command): run 'certflow --help'\n",
           out);
}

//  ------------------------------------------------------------------------
//  Finding the command and parsing its arguments

//  Finds the command at argv[*index], advancing *index past its words.
//  Returns it, or NULL after printing why (*exit_code set).
static const cf_cli_command_t *
s_find_command (cf_cli_t *cli, int argc, char **argv, int *index,
                int *exit_code)
{
    const char *word = argv[*index];
    bool group = false;
    for (size_t table = 0; s_table (table); table++)
        for (const cf_cli_command_t *command = s_table (table); command->name;
             command++) {
            size_t length = strlen (word);
            if (strcmp (command->name, word) == 0) {
                (*index)++;
                return command;
            }
            if (strncmp (command->name, word, length) == 0 &&
                command->name[length] == ' ') {
                group = true;
                if (*index + 1 < argc && strcmp (command->name + length + 1,
                                                 argv[*index + 1]) == 0) {
                    *index += 2;
                    return command;
                }
            }
        }
    if (group) {
        bool help =
            *index + 1 < argc && strcmp (argv[*index + 1], "--help") == 0;
        FILE *out = help ? cli->out : cli->err;
        if (help)
            *exit_code = CF_CLI_OK;
        else {
            *exit_code = CF_CLI_USAGE;
            if (*index + 1 < argc)
                fprintf (out, "certflow: unknown %s command '%s'\n", word,
                         argv[*index + 1]);
            else
                fprintf (out, "certflow: %s needs a command\n", word);
        }
        fprintf (out, "%s commands:\n", word);
        s_print_commands (out, word);
        return NULL;
    }
    fprintf (cli->err,
             "certflow: unknown command '%s'\nrun 'certflow --help' for the "
             "list of commands\n",
             word);
    *exit_code = CF_CLI_USAGE;
    return NULL;
}

static const cf_cli_option_t *
s_find_option (const cf_cli_command_t *command, const char *name, size_t length)
{
    for (const cf_cli_option_t *option = command->options;
         option && option->name; option++)
        if (strlen (option->name) == length &&
            strncmp (option->name, name, length) == 0)
            return option;
    return NULL;
}

static int
s_unknown_option (cf_cli_t *cli, const char *name, size_t length)
{
    for (const cf_setting_t *setting = s_settings; setting->name; setting++)
        if (strlen (setting->name) == length &&
            strncmp (setting->name, name, length) == 0)
            return cf_cli_usage_error (
                cli,
                "--%.*s is a global option: put it before the command "
                "(certflow --%.*s ... %s)",
                (int)length, name, (int)length, name, cli->command->name);
    char known[256] = "";
    for (const cf_cli_option_t *option = cli->command->options;
         option && option->name; option++) {
        size_t used = strlen (known);
        snprintf (known + used, sizeof known - used, "%s--%s", used ? ", " : "",
                  option->name);
    }
    return cf_cli_usage_error (cli, "%s has no option --%.*s; %s%s",
                               cli->command->name, (int)length, name,
                               *known ? "it takes " : "it takes none", known);
}

//  Parses the command's arguments argv[first .. argc-1] into cli.
static int
s_parse_arguments (cf_cli_t *cli, int argc, char **argv, int first)
{
    const cf_cli_command_t *command = cli->command;
    bool options_done = false;
    for (int index = first; index < argc; index++) {
        const char *word = argv[index];
        if (!options_done && strcmp (word, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && word[0] == '-' && word[1] == '-') {
            const char *name = word + 2;
            const char *equals = strchr (name, '=');
            size_t length = equals ? (size_t)(equals - name) : strlen (name);
            bool is_help = length == 4 && strncmp (name, "help", 4) == 0;
            bool is_json = length == 4 && strncmp (name, "json", 4) == 0;
            if (is_help || is_json) {
                if (equals)
                    return cf_cli_usage_error (cli, "--%.*s takes no value",
                                               (int)length, name);
                if (is_help)
                    cli->help = true;
                else
                    cli->json = true;
                continue;
            }
            const cf_cli_option_t *option =
                s_find_option (command, name, length);
            if (!option)
                return s_unknown_option (cli, name, length);
            const char *value = "";
            if (option->value && equals)
                value = equals + 1;
            else if (option->value && index + 1 < argc)
                value = argv[++index];
            else if (option->value)
                return cf_cli_usage_error (cli, "--%s needs a value: --%s %s",
                                           option->name, option->name,
                                           option->value);
            else if (equals)
                return cf_cli_usage_error (cli, "--%s takes no value",
                                           option->name);
            if (!option->repeat && cf_cli_option (cli, option->name, 0))
                return cf_cli_usage_error (cli, "--%s is given twice",
                                           option->name);
            if (cli->given_count == S_OPTIONS_MAX)
                return cf_cli_usage_error (cli, "more than %d options",
                                           S_OPTIONS_MAX);
            cli->given[cli->given_count++] = (s_given_t){option->name, value};
            continue;
        }
        if (!options_done && word[0] == '-' && word[1] != '\0')
            return cf_cli_usage_error (
                cli, "unknown option '%s': options are written --name", word);
        if (!*word)
            return cf_cli_usage_error (
                cli, "argument %zu is empty; usage: certflow %s %s",
                cli->arg_count + 1, command->name, command->synopsis);
        if (cli->arg_count == command->max_args || cli->arg_count == S_ARGS_MAX)
            return cf_cli_usage_error (
                cli, "too many arguments at '%s'; usage: certflow %s %s", word,
                command->name, command->synopsis);
        cli->args[cli->arg_count++] = word;
    }
    if (!cli->help && cli->arg_count < command->min_args)
        return cf_cli_usage_error (cli,
                                   "missing arguments; usage: certflow %s %s",
                                   command->name, command->synopsis);
    return 0;
}

//  Reads the global settings that are numbers.
static int
s_read_numbers (cf_cli_t *cli)
{
    cf_problems_t *problems = cf_problems_new ();
    int64_t timeout = 0, retries = 0;
    int rc = cf_config_number (cli->config, "timeout", 1, 3600 * 1000, &timeout,
                               problems);
    if (rc == 0)
        rc = cf_config_number (cli->config, "retries", 1, 100, &retries,
                               problems);
    if (rc)
        rc = cf_cli_input_error (cli, "settings", problems);
    cf_problems_destroy (&problems);
    cli->timeout_ms = (int)timeout;
    cli->retries = (int)retries;
    return rc;
}

//  Parses the command line and runs the command.
static int
s_run (cf_cli_t *cli, int argc, char **argv)
{
    cf_problems_t *problems = cf_problems_new ();
    int rest = argc;
    int rc = cf_config_parse_args (cli->config, argc, argv, &rest, problems);
    const char *config_file = cf_config_get (cli->config, "config");
    if (rc == 0 && config_file && *config_file)
        rc = cf_config_load (cli->config, config_file, problems);
    if (rc) {
        rc = cf_cli_input_error (cli, "options", problems);
        fputs ("run 'certflow --help' for usage\n", cli->err);
    }
    cf_problems_destroy (&problems);
    if (rc)
        return rc;
    cli->json = cf_config_flag (cli->config, "json");
    if (cf_config_flag (cli->config, "help")) {
        s_print_usage (cli, cli->out);
        return CF_CLI_OK;
    }
    if (rest >= argc) {
        fputs ("certflow: no command given\n", cli->err);
        s_print_usage (cli, cli->err);
        return CF_CLI_USAGE;
    }
    int index = rest;
    cli->command = s_find_command (cli, argc, argv, &index, &rc);
    if (!cli->command)
        return rc;
    rc = s_parse_arguments (cli, argc, argv, index);
    if (rc)
        return rc;
    if (cli->help) {
        s_print_command_help (cli);
        return CF_CLI_OK;
    }
    rc = s_read_numbers (cli);
    if (rc)
        return rc;
    return cli->command->run (cli);
}

int
cf_cli_run (int argc, char **argv, FILE *out, FILE *err)
{
    assert (argc >= 1 && argv && out && err);
    cf_cli_t cli = {.out = out, .err = err};
    //  Long commands show how far they are on a terminal, never in scripts
    cli.progress = isatty (fileno (err)) == 1;
    cli.config = cf_config_new ("certflow", s_settings);
    int rc = s_run (&cli, argc, argv);
    cf_client_destroy (&cli.client);
    cf_config_destroy (&cli.config);
    fflush (out);
    fflush (err);
    return rc;
}
