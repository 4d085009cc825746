/*  =========================================================================
    cf_json - the client's input files: applications, score sheets, staff

    People write these files by hand, so every mistake gets a message that
    names the field by its path ("outlets[2].address") and says what to write
    instead. JSON field names are the proto field names (snake_case); an enum
    is written as the lower-case end of its value name ("minor" for
    SEVERITY_MINOR); a null value counts as absent. The result is a heap
    protobuf tree (see cf_pb.h), which the caller frees with cf_pb_free or
    protobuf_c_message_free_unpacked.

    Problem codes:
      json.syntax         not JSON, a NUL byte in the text, bytes that are
                          not strict UTF-8 (overlong forms, surrogates,
                          points past U+10FFFF), a raw control character in
                          a string or an escaped half of a surrogate pair;
                          the message gives line and column
      json.duplicate_key  a key written twice in one object
      json.type           wrong type ("expected a whole number, got a string")
      json.unknown_field  a field the message does not have (with a guess)
      json.range          a number out of range: negative where unsigned,
                          too large, not finite, or one json-c would clamp
                          (a whole number outside int64, a real past
                          1.8e308)
      json.value          a value that is not allowed (an unknown enum name,
                          a NUL character in a string)
      json.missing        a field that must be written out (declarations)
      json.limit          a list, string or nesting over the limits below
      file.read           the file cannot be read
      file.size           the file is over the size limit
      staff.*             a staff record that cannot be used (cf_json_staff)
    =========================================================================
*/

#ifndef CF_JSON_H_INCLUDED
#define CF_JSON_H_INCLUDED

#include <stddef.h>

#include "certflow.pb-c.h"
#include "cf_error.h"
#include "cf_problems.h"

//  json-c's tree, for cf_json_parse; include <json-c/json.h> to walk it
struct json_object;

//  Largest input text the parsers take, in bytes; also a sensible
//  max_bytes for cf_json_load_file
#define CF_JSON_MAX_BYTES (1024 * 1024)

//  Most items in one list (outlets, materials, indicator scores, ...)
#define CF_JSON_MAX_ITEMS 1000

//  Longest string value, in bytes
#define CF_JSON_MAX_STRING 4096

//  Deepest nesting of objects and lists; the messages need 3
#define CF_JSON_MAX_DEPTH 8

//  Parses JSON text that must hold one object: the layer under the readers
//  below, for modules that read JSON files of their own (cf_scheme), and
//  the one place JSON enters certflow. Strict JSON (no comments, no
//  trailing comma, strict UTF-8, no NUL byte, no raw control character or
//  lone surrogate in a string, no key twice in an object, no number that
//  cannot be held without clamping), at most CF_JSON_MAX_BYTES long and
//  CF_JSON_MAX_DEPTH deep.
//
//  text, size: the input (need not be NUL-terminated; a UTF-8 byte order
//  mark is skipped). root_p: gets the object, which the caller releases with
//  json_object_put; NULL on error. problems: may be NULL.
//
//  Returns 0; CF_EPARSE when the text is empty or not JSON (json.syntax:
//  "line 3, column 26: unexpected character, found ']'", the column
//  counting characters, with a hint for the usual mistakes); CF_ELIMIT when
//  it is too long or too deep (json.limit); or CF_EINVAL when it is JSON but
//  not an object (json.type), repeats a key (json.duplicate_key) or holds a
//  number json-c would clamp (json.range). Aborts on out of memory.
int CF_MUST_CHECK cf_json_parse (const char *text, size_t size,
                                 struct json_object **root_p,
                                 cf_problems_t *problems);

//  Returns the name in names (NULL-terminated) that key is most likely a
//  typo of, for "did you mean" advice on an unknown key; NULL when none is
//  close. Close is a few edits (a character inserted, deleted or changed;
//  case is ignored): at most 1 for a name of up to 4 characters, 2 up to 8,
//  3 for a longer one. The first of the closest names wins. A key or name
//  of 64 characters or more is close to nothing. The result is borrowed
//  from names.
const char *cf_json_suggest (const char *key, const char *const names[]);

//  Reads the whole file at path into a new NUL-terminated buffer.
//
//  path: file to read. max_bytes: largest size accepted. text_p: gets the
//  buffer, which the caller frees with free(); NULL on error. size_p: gets
//  the size without the NUL; 0 on error. problems: may be NULL.
//
//  Returns 0, CF_EIO when the file cannot be opened or read (file.read,
//  naming the path and the system's reason), or CF_ELIMIT when it holds more
//  than max_bytes (file.size, naming the path and the limit). Aborts on out
//  of memory.
int CF_MUST_CHECK cf_json_load_file (const char *path, size_t max_bytes,
                                     char **text_p, size_t *size_p,
                                     cf_problems_t *problems);

//  Reads an application (DOMAIN section 2) from JSON text:
//
//      {"company_name": "...", "uscc": "...", "scope": ["..."],
//       "employees": 420, "outlets": [{"name": "...", "address": "...",
//       "outsourced": false}], "materials": [{"code": "M01",
//       "reference": "licence.pdf"}], "independent_legal_entity": true, ...}
//
//  The three declarations (independent_legal_entity, lawful_operation,
//  no_major_accident) must be written out, true or false: a forgotten one
//  would otherwise read as false and refuse the application. Only the form
//  is checked here; cf_application_validate checks the content.
//
//  text, size: the input (need not be NUL-terminated; a UTF-8 byte order
//  mark is skipped). app_p: gets a new heap Application on success, NULL on
//  error. problems: gets every problem found, may be NULL.
//
//  Returns 0; CF_EPARSE when the text is not JSON (json.syntax, with line
//  and column; column counts characters); CF_ELIMIT when the text is over
//  CF_JSON_MAX_BYTES, or a list, string or nesting is over its limit; or
//  CF_EINVAL for any other problem above. When limits and other problems are
//  both found, CF_ELIMIT is returned and all are listed.
int CF_MUST_CHECK cf_json_application (const char *text, size_t size,
                                       Cf__Application **app_p,
                                       cf_problems_t *problems);

//  Reads a score sheet (DOMAIN section 3) from JSON text:
//
//      {"items": [{"code": "A1", "earned": 5.5},
//                 {"code": "B4", "samples": 10, "samples_failed": 1},
//                 {"code": "B6", "excluded": true, "exclusion_reason": "..."}],
//       "special_bonus": {"reason": "...", "clause": "..."},
//       "special_deductions": [{"reason": "...", "clause": "..."}],
//       "nonconformities": [{"id": "NC-1", "indicator": "A4",
//                            "severity": "minor", "description": "...",
//                            "due_date": "2026-07-18"}],
//       "audit_date": "2026-06-18", "summary": "..."}
//
//  severity is "minor" or "major". Only the form is checked here;
//  cf_score_compute checks the sheet against the scheme. Arguments and
//  returns as cf_json_application; sheet_p gets a new heap ScoreSheet.
int CF_MUST_CHECK cf_json_score_sheet (const char *text, size_t size,
                                       Cf__ScoreSheet **sheet_p,
                                       cf_problems_t *problems);

//  Reads a staff record (DOMAIN section 4), as the admin registers it:
//
//      {"id": "AUD001", "name": "张伟 Zhang Wei", "roles": ["auditor"],
//       "sectors": ["SC03"], "qualified_from": "2023-01-01",
//       "qualified_until": "2028-12-31", "conflicts": [{"uscc": "...",
//       "reason": "...", "until": "2027-06-30"}], "active": true}
//
//  active defaults to true when absent. Besides the form, the content is
//  checked, since no later step does: id present with no white space
//  (staff.id), a name (staff.name), at least one role, each of reviewer,
//  auditor, committee, admin (staff.roles), no blank sector
//  (staff.sectors), qualification dates that are dates, from not after
//  until (staff.qualified), and conflicts with a valid credit code and an
//  until that is a date if given (staff.conflicts). These give CF_EINVAL.
//  Otherwise arguments and returns as cf_json_application; staff_p gets a
//  new heap Staff.
int CF_MUST_CHECK cf_json_staff (const char *text, size_t size,
                                 Cf__Staff **staff_p, cf_problems_t *problems);

#endif
