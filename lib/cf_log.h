/*  =========================================================================
    cf_log - one-line log records, ISO 8601 time with zone, text or JSON

    Records are key=value lines ("case=CF-2026-000001 from=submitted ...")
    written to stderr (the journal, under systemd) in one write each:

      text: 2026-12-01T19:40:00.123+08:00 certflowd I: message
      json: {"time":"2026-12-01T19:40:00.123+08:00","level":"info",
             "program":"certflowd","pid":42,"message":"message"}

    The time is the local wall clock with its UTC offset. Records above the
    level are dropped before their arguments are evaluated. The level may
    change while threads run (SIGHUP); the program and format are set once
    at start-up. czmq's own log stream is switched off, so every line has
    one shape.
    =========================================================================
*/

#ifndef CF_LOG_H_INCLUDED
#define CF_LOG_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cf_config.h"
#include "cf_error.h"
#include "cf_problems.h"

//  Severities, most severe first; a level lets through itself and above
typedef enum {
    CF_LOG_ERROR,    //  Something failed; the program may go on
    CF_LOG_WARNING,  //  Something was refused or dropped
    CF_LOG_NOTICE,   //  Start, stop, reload
    CF_LOG_INFO,     //  One line per transition, worker, job (default)
    CF_LOG_DEBUG,    //  Everything (--verbose)
} cf_log_level_t;

//  Line shapes
typedef enum {
    CF_LOG_TEXT,  //  time program L: message
    CF_LOG_JSON,  //  one JSON object per line, for log shippers
} cf_log_format_t;

//  Sets the program name and line shape. Call once at start-up, before
//  any thread is started. program is copied (at most 31 bytes kept).
void cf_log_setup (const char *program, cf_log_format_t format);

//  Reads a format name ("text", "json") into *format. Returns 0 or
//  CF_EINVAL (*format untouched).
int CF_MUST_CHECK cf_log_format_parse (const char *name,
                                       cf_log_format_t *format);

//  Reads a level name ("error", "warning", "notice", "info", "debug") into
//  *level. Returns 0 or CF_EINVAL (*level untouched).
int CF_MUST_CHECK cf_log_level_parse (const char *name, cf_log_level_t *level);

//  Returns the level's name ("info").
const char *cf_log_level_name (cf_log_level_t level);

//  Sets the level for the whole process; safe while other threads log.
void cf_log_set_level (cf_log_level_t level);

//  Returns the level in force.
cf_log_level_t cf_log_level (void);

//  Shorthand: debug when verbose, info otherwise.
void cf_log_set_verbose (bool verbose);

//  Returns true when debug records are on.
bool cf_log_verbose (void);

//  The two rows of a program's settings table that cf_log_configure reads
//  (the table must also have the switch "verbose")
#define CF_LOG_SETTINGS                                                        \
    {"log-level",                                                              \
     "log/level",                                                              \
     "CERTFLOW_LOG_LEVEL",                                                     \
     "info",                                                                   \
     "error, warning, notice, info or debug",                                  \
     false},                                                                   \
    {                                                                          \
        "log-format", "log/format", "CERTFLOW_LOG_FORMAT", "text",             \
            "text, or json (one object a line, for log shippers)", false       \
    }

//  Reads the level (--verbose wins: debug) and the format from config and
//  sets the level. Returns 0, or CF_EINVAL with a problem naming the
//  setting, its value and the values it takes (nothing is changed).
int CF_MUST_CHECK cf_log_configure (cf_config_t *config,
                                    cf_log_format_t *format,
                                    cf_problems_t *problems);

//  Formats one record (without the newline) into line: time_ms is the
//  wall clock in ms since the epoch and utc_offset_s the zone's offset
//  from UTC in seconds (the record shows local time with that offset).
//  Returns the length written, truncated to fit size - 1 (a cut JSON record
//  is still one valid object: the message is shortened, not the line).
size_t cf_log_format_record (char *line, size_t size, cf_log_format_t format,
                             const char *program, long pid,
                             cf_log_level_t level, int64_t time_ms,
                             long utc_offset_s, const char *message);

//  Writes one record at level now, when the level in force lets it through.
void cf_log_write (cf_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#define cf_log_at(level, ...)                                                  \
    do {                                                                       \
        if ((level) <= cf_log_level ())                                        \
            cf_log_write ((level), __VA_ARGS__);                               \
    } while (0)

#define cf_log_error(...)  cf_log_at (CF_LOG_ERROR, __VA_ARGS__)
#define cf_log_warn(...)   cf_log_at (CF_LOG_WARNING, __VA_ARGS__)
#define cf_log_notice(...) cf_log_at (CF_LOG_NOTICE, __VA_ARGS__)
#define cf_log_info(...)   cf_log_at (CF_LOG_INFO, __VA_ARGS__)
#define cf_log_debug(...)  cf_log_at (CF_LOG_DEBUG, __VA_ARGS__)

#endif
