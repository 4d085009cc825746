/*  =========================================================================
    cf_config - settings from flags, environment and a ZPL file

    Each program has a set of named settings with defaults. A value comes
    from, in order of precedence: a command-line flag, an environment
    variable, the config file (czmq ZPL, read with zconfig), the default.
    Paths in the file use the program name as the root: "certflowd/data",
    "certflowd/endpoints/client".
    =========================================================================
*/

#ifndef CF_CONFIG_H_INCLUDED
#define CF_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cf_error.h"
#include "cf_problems.h"

//  One setting a program knows
typedef struct {
    const char *name;      //  Flag name without dashes: "data"
    const char *path;      //  ZPL path under the root: "data",
                           //  "endpoints/client"; NULL: flag only
    const char *env;       //  Environment variable, or NULL
    const char *fallback;  //  Default value, or NULL for none
    const char *help;      //  One line for --help
    bool is_switch;        //  A flag without a value ("--json")
} cf_setting_t;

typedef struct _cf_config_t cf_config_t;

//  Creates a config for the program root (e.g. "certflowd") knowing the
//  settings (a table ending in an entry whose name is NULL; borrowed for
//  the config's life).
cf_config_t *cf_config_new (const char *root, const cf_setting_t *settings);

//  Destroys it and nulls *self_p. NULL-safe.
void cf_config_destroy (cf_config_t **self_p);

//  Parses argv: --name value, --name=value, and switches (--name, or
//  --name=VALUE). Stops at the first argument that does not start with '-'
//  ("-" alone counts as an argument) or after "--", and returns its index
//  in *rest (the command and its arguments; argc when none). A repeated
//  flag: the last wins. A value may not start with "--" unless given as
//  --name=VALUE. Returns 0, or CF_EINVAL for an unknown flag (single-dash
//  ones included) or a flag missing its value (problems say which and list
//  the flags).
int CF_MUST_CHECK cf_config_parse_args (cf_config_t *self, int argc,
                                        char **argv, int *rest,
                                        cf_problems_t *problems);

//  Loads a ZPL file. Every key must sit under the root ("certflowd") at a
//  setting's path; sections on the way ("endpoints") hold no value. Returns
//  0, CF_EIO (unreadable, or over 1 MiB: path and reason), CF_EPARSE (not
//  ZPL) or CF_EINVAL (a key that is not a known setting, named with its
//  path, or one set twice); on error no setting changes. Loading again
//  replaces the file's values. Values from flags and environment still win.
int CF_MUST_CHECK cf_config_load (cf_config_t *self, const char *path,
                                  cf_problems_t *problems);

//  Returns the effective value of setting name (flag > environment > file >
//  default), or NULL when none is set. Borrowed until the config dies. The
//  environment is read at each call; an empty variable counts as unset.
//  name must be in the table (a caller bug otherwise).
const char *cf_config_get (cf_config_t *self, const char *name);

//  Returns true when switch name was given (or its value is "1"/"true").
bool cf_config_flag (cf_config_t *self, const char *name);

//  Reads setting name as a whole number in min .. max. Returns 0, or
//  CF_EINVAL naming the setting, where its value came from, the value and
//  the range (also when it has no value). Accepts one suffix k or K, M, G
//  (x1024, x1024^2, x1024^3) for sizes: "64M". *value is set only on 0.
int CF_MUST_CHECK cf_config_number (cf_config_t *self, const char *name,
                                    int64_t min, int64_t max, int64_t *value,
                                    cf_problems_t *problems);

//  Prints usage: "usage: ROOT [options] SYNOPSIS" and one line per setting
//  with its flag, help, environment variable, file key and default.
void cf_config_usage (cf_config_t *self, FILE *out, const char *synopsis);

#endif
