/*  =========================================================================
    cf_input - the client's own small input files: fixes and audit plans
    =========================================================================
*/

#include "cf_input.h"

#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cf_date.h"
#include "cf_json.h"
#include "cf_pb.h"

//  What a reader has found so far: the problems and the worst code
typedef struct {
    cf_problems_t *problems;  //  Where problems go; may be NULL
    int rc;                   //  0, CF_EINVAL, or CF_ELIMIT once over a limit
} s_reader_t;

static void
s_fail (s_reader_t *reader, int code)
{
    //  A limit wins over other problems: the input cannot be taken at all
    if (reader->rc != CF_ELIMIT)
        reader->rc = code;
}

//  Reports every key of object that is not in known (a NULL-ended list).
static void
s_check_keys (s_reader_t *reader, json_object *object, const char *path,
              const char *const *known)
{
    json_object_object_foreach (object, key, value)
    {
        (void)value;
        bool found = false;
        for (size_t index = 0; known[index] && !found; index++)
            found = strcmp (key, known[index]) == 0;
        if (found)
            continue;
        char names[256] = "";
        for (size_t index = 0; known[index]; index++) {
            if (index)
                strncat (names, ", ", sizeof names - strlen (names) - 1);
            strncat (names, known[index], sizeof names - strlen (names) - 1);
        }
        cf_problems_add (reader->problems, "json.unknown_field",
                         "%s%s%s: no such field; the fields are %s", path,
                         *path ? "." : "", key, names);
        s_fail (reader, CF_EINVAL);
    }
}

//  Parses text, which must hold one JSON object (cf_json_parse), into
//  *root_p and reports its keys that are not in known. Returns 0 or the
//  code of cf_json_parse, with *root_p NULL.
static int
s_parse (s_reader_t *reader, const char *text, size_t size,
         const char *const *known, json_object **root_p)
{
    int rc = cf_json_parse (text, size, root_p, reader->problems);
    if (rc == 0)
        s_check_keys (reader, *root_p, "", known);
    return rc;
}

static void s_read_text (s_reader_t *reader, json_object *value,
                         const char *where, char **field);

//  Copies the string member key of object into *field. A missing or null
//  member is reported when required; a blank one always (a blank id or
//  correction says nothing).
static void
s_read_string (s_reader_t *reader, json_object *object, const char *path,
               const char *key, bool required, char **field)
{
    char where[160];
    snprintf (where, sizeof where, "%s%s%s", path, *path ? "." : "", key);
    json_object *value = NULL;
    if (!json_object_object_get_ex (object, key, &value) || !value) {
        if (required) {
            cf_problems_add (reader->problems, "json.missing",
                             "%s: missing; write it as a string", where);
            s_fail (reader, CF_EINVAL);
        }
        return;
    }
    s_read_text (reader, value, where, field);
}

//  Copies value, which is a field's or a list item's at where, into *field
//  after the string checks: a string, within CF_JSON_MAX_STRING, no NUL
//  and not blank
static void
s_read_text (s_reader_t *reader, json_object *value, const char *where,
             char **field)
{
    if (!json_object_is_type (value, json_type_string)) {
        cf_problems_add (reader->problems, "json.type",
                         "%s: expected a string in double quotes, got %s",
                         where,
                         json_type_to_name (json_object_get_type (value)));
        s_fail (reader, CF_EINVAL);
        return;
    }
    const char *text = json_object_get_string (value);
    size_t length = (size_t)json_object_get_string_len (value);
    if (length > CF_JSON_MAX_STRING) {
        cf_problems_add (reader->problems, "json.limit",
                         "%s: %zu bytes long, more than the %d allowed", where,
                         length, CF_JSON_MAX_STRING);
        s_fail (reader, CF_ELIMIT);
        return;
    }
    if (strlen (text) != length) {
        cf_problems_add (reader->problems, "json.value",
                         "%s: contains a NUL character (\\u0000); remove it",
                         where);
        s_fail (reader, CF_EINVAL);
        return;
    }
    bool blank = true;
    for (const char *cursor = text; *cursor && blank; cursor++)
        blank = isspace ((unsigned char)*cursor);
    if (blank) {
        cf_problems_add (reader->problems, "json.value",
                         "%s: is blank; write the value or leave the field "
                         "out",
                         where);
        s_fail (reader, CF_EINVAL);
        return;
    }
    cf_pb_set_string (field, text);
}

//  Returns the list member key of object, or NULL after reporting it when
//  it is not a list or over the item limit (a missing one is NULL, quietly).
static json_object *
s_read_list (s_reader_t *reader, json_object *object, const char *key)
{
    json_object *list = NULL;
    if (!json_object_object_get_ex (object, key, &list) || !list)
        return NULL;
    if (!json_object_is_type (list, json_type_array)) {
        cf_problems_add (reader->problems, "json.type",
                         "%s: expected a list [...], got %s", key,
                         json_type_to_name (json_object_get_type (list)));
        s_fail (reader, CF_EINVAL);
        return NULL;
    }
    if (json_object_array_length (list) > CF_JSON_MAX_ITEMS) {
        cf_problems_add (reader->problems, "json.limit",
                         "%s: %zu items, more than the %d allowed", key,
                         json_object_array_length (list), CF_JSON_MAX_ITEMS);
        s_fail (reader, CF_ELIMIT);
        return NULL;
    }
    return list;
}

int
cf_input_fixes (const char *text, size_t size, Cf__FixList **fixes_p,
                cf_problems_t *problems)
{
    assert (text && fixes_p);
    *fixes_p = NULL;
    static const char *const top_keys[] = {"fixes", NULL};
    static const char *const fix_keys[] = {"nonconformity", "correction", NULL};
    s_reader_t reader = {problems, 0};
    json_object *root;
    int rc = s_parse (&reader, text, size, top_keys, &root);
    if (rc)
        return rc;
    Cf__FixList *fixes = cf_pb_new (&cf__fix_list__descriptor);
    json_object *list = s_read_list (&reader, root, "fixes");
    size_t count = list ? json_object_array_length (list) : 0;
    if (count == 0 && reader.rc == 0) {
        cf_problems_add (problems, "json.missing",
                         "fixes: no fixes; write {\"fixes\": [{\"nonconformity"
                         "\": \"NC-1\", \"correction\": \"what was done\"}]}");
        s_fail (&reader, CF_EINVAL);
    }
    for (size_t index = 0; index < count; index++) {
        json_object *item = json_object_array_get_idx (list, index);
        char path[32];
        snprintf (path, sizeof path, "fixes[%zu]", index);
        if (!json_object_is_type (item, json_type_object)) {
            cf_problems_add (problems, "json.type",
                             "%s: expected an object {\"nonconformity\": ..., "
                             "\"correction\": ...}",
                             path);
            s_fail (&reader, CF_EINVAL);
            continue;
        }
        if (json_object_object_get_ex (item, "accepted", NULL)) {
            cf_problems_add (problems, "json.unknown_field",
                             "%s.accepted: the verifier decides that; leave "
                             "it out",
                             path);
            s_fail (&reader, CF_EINVAL);
            json_object_object_del (item, "accepted");
        }
        s_check_keys (&reader, item, path, fix_keys);
        Cf__Fix *fix = cf_pb_new (&cf__fix__descriptor);
        cf_pb_append (&fixes->n_fixes, (void ***)&fixes->fixes, fix);
        s_read_string (&reader, item, path, "nonconformity", true,
                       &fix->nonconformity);
        s_read_string (&reader, item, path, "correction", true,
                       &fix->correction);
    }
    json_object_put (root);
    if (reader.rc)
        cf_pb_free (&fixes);
    *fixes_p = fixes;
    return reader.rc;
}

int
cf_input_plan (const char *text, size_t size, Cf__AuditPlan **plan_p,
               cf_problems_t *problems)
{
    assert (text && plan_p);
    *plan_p = NULL;
    static const char *const keys[] = {"leader",   "members", "start_date",
                                       "end_date", "mode",    NULL};
    s_reader_t reader = {problems, 0};
    json_object *root;
    int rc = s_parse (&reader, text, size, keys, &root);
    if (rc)
        return rc;
    Cf__AuditPlan *plan = cf_pb_new (&cf__audit_plan__descriptor);
    s_read_string (&reader, root, "", "leader", true, &plan->leader);
    s_read_string (&reader, root, "", "start_date", true, &plan->start_date);
    s_read_string (&reader, root, "", "end_date", true, &plan->end_date);
    s_read_string (&reader, root, "", "mode", false, &plan->mode);

    json_object *list = s_read_list (&reader, root, "members");
    size_t count = list ? json_object_array_length (list) : 0;
    for (size_t index = 0; index < count; index++) {
        char where[32];
        snprintf (where, sizeof where, "members[%zu]", index);
        char *member = NULL;
        s_read_text (&reader, json_object_array_get_idx (list, index), where,
                     &member);
        if (member)
            cf_pb_append_string (&plan->n_members, &plan->members, member);
        free (member);
    }

    cf_day_t start = 0, end = 0;
    bool start_ok = cf_date_parse (plan->start_date, &start) == 0;
    bool end_ok = cf_date_parse (plan->end_date, &end) == 0;
    if (*plan->start_date && !start_ok) {
        cf_problems_add (problems, "json.value",
                         "start_date: '%s' is not a date; write YYYY-MM-DD",
                         plan->start_date);
        s_fail (&reader, CF_EINVAL);
    }
    if (*plan->end_date && !end_ok) {
        cf_problems_add (problems, "json.value",
                         "end_date: '%s' is not a date; write YYYY-MM-DD",
                         plan->end_date);
        s_fail (&reader, CF_EINVAL);
    }
    if (start_ok && end_ok && end < start) {
        cf_problems_add (problems, "json.value",
                         "end_date: %s is before start_date %s; swap them",
                         plan->end_date, plan->start_date);
        s_fail (&reader, CF_EINVAL);
    }
    if (*plan->mode && strcmp (plan->mode, "FS01") != 0 &&
        strcmp (plan->mode, "FS02") != 0 && strcmp (plan->mode, "FS03") != 0) {
        cf_problems_add (problems, "json.value",
                         "mode: '%s' is not a mode; write FS01 (on-site), "
                         "FS02 (remote) or FS03 (mixed)",
                         plan->mode);
        s_fail (&reader, CF_EINVAL);
    }
    json_object_put (root);
    if (reader.rc)
        cf_pb_free (&plan);
    *plan_p = plan;
    return reader.rc;
}
