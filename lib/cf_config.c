/*  =========================================================================
    cf_config - settings from flags, environment and a ZPL file

    The file is read into memory and parsed with zconfig_str_load rather
    than zconfig_load, which in czmq 4.2.1 leaks on a file that is not ZPL
    and cannot tell "missing" from "unreadable" from "bad syntax".

    Strings handed out by cf_config_get stay valid until the config dies,
    even when a later load or a changed environment variable replaces them:
    replaced strings are kept on a list and freed at destroy.
    =========================================================================
*/

#include "cf_config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <czmq.h>

#include "cf_file.h"

//  Biggest config file we read; anything larger is a mistake
#define S_FILE_MAX (1024 * 1024)

//  One setting's values from each source
typedef struct {
    char *flag;  //  From the command line, or NULL
    char *env;   //  Copy of the environment value last seen, or NULL
    char *file;  //  From the config file, or NULL
} s_values_t;

//  Where an effective value came from, for messages
typedef enum {
    S_FROM_NONE,     //  Nothing set
    S_FROM_FLAG,     //  Command line
    S_FROM_ENV,      //  Environment variable
    S_FROM_FILE,     //  Config file
    S_FROM_DEFAULT,  //  The setting's fallback
} s_source_t;

struct _cf_config_t {
    char *root;                    //  Program name, the ZPL root
    const cf_setting_t *settings;  //  Borrowed table
    size_t count;                  //  Entries before the NULL name
    s_values_t *values;            //  One per setting
    char *file_path;               //  Last file loaded, for messages
    zlist_t *retired;              //  Replaced strings, freed at destroy
};

static char *
s_strdup (const char *text)
{
    char *copy = strdup (text);
    if (!copy) {
        fprintf (stderr, "certflow: out of memory\n");
        abort ();
    }
    return copy;
}

//  Keeps an old value alive for borrowers; NULL-safe
static void
s_retire (cf_config_t *self, char **value_p)
{
    if (*value_p) {
        zlist_append (self->retired, *value_p);
        *value_p = NULL;
    }
}

//  Returns the index of setting name, or -1
static int
s_find (cf_config_t *self, const char *name)
{
    for (size_t index = 0; index < self->count; index++)
        if (streq (self->settings[index].name, name))
            return (int)index;
    return -1;
}

//  Returns the index of the setting at ZPL path (under the root), or -1
static int
s_find_path (cf_config_t *self, const char *path)
{
    for (size_t index = 0; index < self->count; index++)
        if (self->settings[index].path &&
            streq (self->settings[index].path, path))
            return (int)index;
    return -1;
}

//  True when path is a section some setting lives under
static bool
s_is_section (cf_config_t *self, const char *path)
{
    size_t length = strlen (path);
    for (size_t index = 0; index < self->count; index++) {
        const char *candidate = self->settings[index].path;
        if (candidate && strncmp (candidate, path, length) == 0 &&
            candidate[length] == '/')
            return true;
    }
    return false;
}

//  The value of setting index and where it came from
static const char *
s_resolve (cf_config_t *self, size_t index, s_source_t *source)
{
    const cf_setting_t *setting = &self->settings[index];
    s_values_t *values = &self->values[index];
    if (values->flag) {
        *source = S_FROM_FLAG;
        return values->flag;
    }
    //  An empty variable counts as unset, so VAR= on a command line clears
    const char *env = setting->env ? getenv (setting->env) : NULL;
    if (env && *env) {
        if (!values->env || !streq (values->env, env)) {
            s_retire (self, &values->env);
            values->env = s_strdup (env);
        }
        *source = S_FROM_ENV;
        return values->env;
    }
    if (values->file) {
        *source = S_FROM_FILE;
        return values->file;
    }
    *source = setting->fallback ? S_FROM_DEFAULT : S_FROM_NONE;
    return setting->fallback;
}

//  Describes where setting index got its value, e.g. "environment
//  CERTFLOW_DATA", in a buffer the caller frees
static char *
s_describe_source (cf_config_t *self, size_t index, s_source_t source)
{
    const cf_setting_t *setting = &self->settings[index];
    switch (source) {
        case S_FROM_FLAG:
            return zsys_sprintf ("flag --%s", setting->name);
        case S_FROM_ENV:
            return zsys_sprintf ("environment variable %s", setting->env);
        case S_FROM_FILE:
            return zsys_sprintf ("%s/%s in %s", self->root, setting->path,
                                 self->file_path);
        case S_FROM_DEFAULT:
            return zsys_sprintf ("the default of --%s", setting->name);
        default:
            return zsys_sprintf ("--%s", setting->name);
    }
}

//  Lists every flag as "--a, --b VALUE, ..." in a buffer the caller frees
static char *
s_flag_list (cf_config_t *self)
{
    char *list = s_strdup ("");
    for (size_t index = 0; index < self->count; index++) {
        const cf_setting_t *setting = &self->settings[index];
        char *longer =
            zsys_sprintf ("%s%s--%s%s", list, index ? ", " : "", setting->name,
                          setting->is_switch ? "" : " VALUE");
        assert (longer);
        free (list);
        list = longer;
    }
    return list;
}

//  Lists every file key as "root/a, root/b" in a buffer the caller frees
static char *
s_key_list (cf_config_t *self)
{
    char *list = s_strdup ("");
    for (size_t index = 0; index < self->count; index++) {
        const cf_setting_t *setting = &self->settings[index];
        if (!setting->path)
            continue;
        char *longer = zsys_sprintf ("%s%s%s/%s", list, *list ? ", " : "",
                                     self->root, setting->path);
        assert (longer);
        free (list);
        list = longer;
    }
    return list;
}

cf_config_t *
cf_config_new (const char *root, const cf_setting_t *settings)
{
    assert (root && settings);
    cf_config_t *self = calloc (1, sizeof (cf_config_t));
    assert (self);
    self->root = s_strdup (root);
    self->settings = settings;
    while (settings[self->count].name)
        self->count++;
    self->values = calloc (self->count + 1, sizeof (s_values_t));
    self->retired = zlist_new ();
    assert (self->values && self->retired);
    return self;
}

void
cf_config_destroy (cf_config_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        cf_config_t *self = *self_p;
        for (size_t index = 0; index < self->count; index++) {
            free (self->values[index].flag);
            free (self->values[index].env);
            free (self->values[index].file);
        }
        for (char *text = zlist_first (self->retired); text;
             text = zlist_next (self->retired))
            free (text);
        zlist_destroy (&self->retired);
        free (self->values);
        free (self->file_path);
        free (self->root);
        free (self);
        *self_p = NULL;
    }
}

int
cf_config_parse_args (cf_config_t *self, int argc, char **argv, int *rest,
                      cf_problems_t *problems)
{
    assert (self && argv && rest);
    int index = 1;
    int rc = 0;
    while (index < argc && rc == 0) {
        const char *arg = argv[index];
        if (streq (arg, "--")) {
            index++;
            break;
        }
        //  "-" alone is an argument (stdin), not a flag
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        const char *name = arg + (arg[1] == '-' ? 2 : 1);
        const char *equals = strchr (name, '=');
        char *flag =
            equals ? strndup (name, (size_t)(equals - name)) : s_strdup (name);
        assert (flag);
        int found = arg[1] == '-' ? s_find (self, flag) : -1;
        if (found < 0) {
            char *list = s_flag_list (self);
            cf_problems_add (problems, "config.flag",
                             "unknown flag %s; the flags are: %s", arg, list);
            free (list);
            rc = CF_EINVAL;
        } else {
            const cf_setting_t *setting = &self->settings[found];
            const char *value = NULL;
            if (equals)
                value = equals + 1;
            else if (setting->is_switch)
                value = "true";
            else if (index + 1 < argc && strncmp (argv[index + 1], "--", 2))
                value = argv[++index];
            if (value) {
                //  A repeated flag: the last one wins
                s_retire (self, &self->values[found].flag);
                self->values[found].flag = s_strdup (value);
            } else {
                cf_problems_add (problems, "config.value",
                                 "flag --%s needs a value: --%s VALUE (or "
                                 "--%s=VALUE when the value starts with --)",
                                 flag, flag, flag);
                rc = CF_EINVAL;
            }
        }
        free (flag);
        index++;
    }
    *rest = index > argc ? argc : index;
    return rc;
}

//  Checks the children of node (at ZPL path prefix under the root) against
//  the settings, collecting their values in found[]. Returns 0 or
//  CF_EINVAL after naming every bad key.
static int
s_walk (cf_config_t *self, zconfig_t *node, const char *prefix, char **found,
        const char *file, cf_problems_t *problems)
{
    int rc = 0;
    for (zconfig_t *child = zconfig_child (node); child;
         child = zconfig_next (child)) {
        char *path = *prefix
                         ? zsys_sprintf ("%s/%s", prefix, zconfig_name (child))
                         : s_strdup (zconfig_name (child));
        assert (path);
        const char *value = zconfig_value (child);
        int index = s_find_path (self, path);
        if (index >= 0 && zconfig_child (child)) {
            cf_problems_add (problems, "config.key",
                             "%s: %s/%s is a setting and cannot hold keys "
                             "under it; give it a value instead",
                             file, self->root, path);
            rc = CF_EINVAL;
        } else if (index >= 0 && found[index]) {
            cf_problems_add (problems, "config.key",
                             "%s: %s/%s is set twice; keep one", file,
                             self->root, path);
            rc = CF_EINVAL;
        } else if (index >= 0)
            found[index] = s_strdup (value ? value : "");
        else if (s_is_section (self, path) && !(value && *value)) {
            if (s_walk (self, child, path, found, file, problems) != 0)
                rc = CF_EINVAL;
        } else {
            char *keys = s_key_list (self);
            cf_problems_add (problems, "config.unknown",
                             "%s: unknown key %s/%s; the keys are: %s", file,
                             self->root, path, keys);
            free (keys);
            rc = CF_EINVAL;
        }
        free (path);
    }
    return rc;
}

int
cf_config_load (cf_config_t *self, const char *path, cf_problems_t *problems)
{
    assert (self && path);
    char *text = NULL;
    size_t size = 0;
    int error = cf_file_read (path, S_FILE_MAX, &text, &size);
    if (error == 0 && strlen (text) != size) {
        error = EILSEQ;  //  A NUL byte: not text
        free (text);
    }
    if (error != 0) {
        cf_problems_add (problems, "config.io",
                         "cannot read config file %s: %s; fix the path given "
                         "with --config",
                         path, strerror (error));
        return CF_EIO;
    }
    zconfig_t *tree = zconfig_str_load (text);
    free (text);
    if (!tree) {
        cf_problems_add (problems, "config.syntax",
                         "config file %s is not valid ZPL (the line and "
                         "reason are in the zconfig error above); indent by "
                         "4 spaces and write key = \"value\"",
                         path);
        return CF_EPARSE;
    }
    char **found = calloc (self->count + 1, sizeof (char *));
    assert (found);
    int rc = 0;
    for (zconfig_t *top = zconfig_child (tree); top; top = zconfig_next (top))
        if (streq (zconfig_name (top), self->root)) {
            if (zconfig_value (top) && *zconfig_value (top)) {
                cf_problems_add (problems, "config.key",
                                 "%s: %s is a section and cannot have a "
                                 "value; put the settings under it",
                                 path, self->root);
                rc = CF_EINVAL;
            }
            if (s_walk (self, top, "", found, path, problems) != 0)
                rc = CF_EINVAL;
        } else {
            cf_problems_add (problems, "config.unknown",
                             "%s: unknown key %s; every key of this file "
                             "goes under %s",
                             path, zconfig_name (top), self->root);
            rc = CF_EINVAL;
        }
    zconfig_destroy (&tree);
    //  All or nothing: a file with a bad key changes no setting
    for (size_t index = 0; index < self->count; index++)
        if (rc == 0) {
            s_retire (self, &self->values[index].file);
            self->values[index].file = found[index];
        } else
            free (found[index]);
    free (found);
    if (rc == 0) {
        s_retire (self, &self->file_path);
        self->file_path = s_strdup (path);
    }
    return rc;
}

const char *
cf_config_get (cf_config_t *self, const char *name)
{
    assert (self && name);
    int index = s_find (self, name);
    assert (index >= 0);  //  The program asked for a setting it never named
    if (index < 0)
        return NULL;
    s_source_t source;
    return s_resolve (self, (size_t)index, &source);
}

bool
cf_config_flag (cf_config_t *self, const char *name)
{
    const char *value = cf_config_get (self, name);
    return value && (streq (value, "1") || strcasecmp (value, "true") == 0);
}

int
cf_config_number (cf_config_t *self, const char *name, int64_t min, int64_t max,
                  int64_t *value, cf_problems_t *problems)
{
    assert (self && name && value && min <= max);
    int index = s_find (self, name);
    assert (index >= 0);
    if (index < 0)
        return CF_EINVAL;
    s_source_t source;
    const char *text = s_resolve (self, (size_t)index, &source);
    char *where = s_describe_source (self, (size_t)index, source);
    assert (where);
    int rc = 0;
    if (!text || !*text) {
        cf_problems_add (problems, "config.number",
                         "%s has no value; give a whole number in %" PRId64
                         " .. %" PRId64,
                         where, min, max);
        rc = CF_EINVAL;
        goto out;
    }
    //  Digits with an optional sign, then at most one size suffix
    const char *cursor = text;
    if (*cursor == '-' || *cursor == '+')
        cursor++;
    bool digits = isdigit ((unsigned char)*cursor);
    errno = 0;
    char *end = NULL;
    long long number = strtoll (text, &end, 10);
    int64_t scale = 1;
    if (digits && end && *end) {
        scale = *end == 'k' || *end == 'K' ? 1024
                : *end == 'M'              ? 1024 * 1024
                : *end == 'G'              ? 1024 * 1024 * 1024
                                           : 0;
        end += scale ? 1 : 0;
    }
    int64_t result = 0;
    bool well_formed = digits && scale != 0 && end && !*end;
    bool fits = errno != ERANGE &&
                !__builtin_mul_overflow ((int64_t)number, scale, &result);
    if (!well_formed) {
        cf_problems_add (problems, "config.number",
                         "%s is \"%s\", not a whole number; give one in "
                         "%" PRId64 " .. %" PRId64
                         " (k, M, G multiply by 1024)",
                         where, text, min, max);
        rc = CF_EINVAL;
    } else if (!fits || result < min || result > max) {
        cf_problems_add (problems, "config.range",
                         "%s is %s, outside %" PRId64 " .. %" PRId64
                         "; give a number in that range",
                         where, text, min, max);
        rc = CF_EINVAL;
    } else
        *value = result;
out:
    free (where);
    return rc;
}

void
cf_config_usage (cf_config_t *self, FILE *out, const char *synopsis)
{
    assert (self && out);
    fprintf (out, "usage: %s [options] %s\n", self->root,
             synopsis ? synopsis : "");
    if (self->count)
        fprintf (out, "options:\n");
    int width = 0;
    for (size_t index = 0; index < self->count; index++) {
        const cf_setting_t *setting = &self->settings[index];
        int length = (int)strlen (setting->name) +
                     (setting->is_switch ? 2 : 8);  //  "--" and " VALUE"
        if (length > width)
            width = length;
    }
    for (size_t index = 0; index < self->count; index++) {
        const cf_setting_t *setting = &self->settings[index];
        char *flag = zsys_sprintf ("--%s%s", setting->name,
                                   setting->is_switch ? "" : " VALUE");
        assert (flag);
        fprintf (out, "  %-*s  %s", width, flag,
                 setting->help ? setting->help : "");
        free (flag);
        if (setting->env)
            fprintf (out, " [env %s]", setting->env);
        if (setting->path)
            fprintf (out, " [file %s/%s]", self->root, setting->path);
        if (setting->fallback)
            fprintf (out, " [default \"%s\"]", setting->fallback);
        fprintf (out, "\n");
    }
}
