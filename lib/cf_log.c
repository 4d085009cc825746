/*  =========================================================================
    cf_log - one-line log records, ISO 8601 time with zone, text or JSON
    =========================================================================
*/

#include "cf_log.h"

#include <czmq.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

//  Longest record written; a longer message is cut
#define S_LINE_MAX 8192

//  Set once at start-up, before threads
static char s_program[32] = "certflow";
static cf_log_format_t s_format = CF_LOG_TEXT;
//  Changed at run time (SIGHUP) while other threads read it
static atomic_int s_level = CF_LOG_INFO;

static const char *s_level_names[] = {"error", "warning", "notice", "info",
                                      "debug"};
//  The one-letter marks of the text shape (czmq's: E W N I D)
static const char s_level_marks[] = "EWNID";

void
cf_log_setup (const char *program, cf_log_format_t format)
{
    snprintf (s_program, sizeof s_program, "%s", program);
    s_format = format;
    //  czmq's stream would print its own shape beside ours
    zsys_set_logstream (NULL);
    zsys_set_logident (s_program);
}

int
cf_log_format_parse (const char *name, cf_log_format_t *format)
{
    if (name && strcmp (name, "text") == 0)
        *format = CF_LOG_TEXT;
    else if (name && strcmp (name, "json") == 0)
        *format = CF_LOG_JSON;
    else
        return CF_EINVAL;
    return 0;
}

int
cf_log_level_parse (const char *name, cf_log_level_t *level)
{
    for (int index = CF_LOG_ERROR; name && index <= CF_LOG_DEBUG; index++)
        if (strcmp (name, s_level_names[index]) == 0) {
            *level = (cf_log_level_t)index;
            return 0;
        }
    return CF_EINVAL;
}

const char *
cf_log_level_name (cf_log_level_t level)
{
    return level <= CF_LOG_DEBUG ? s_level_names[level] : "?";
}

void
cf_log_set_level (cf_log_level_t level)
{
    atomic_store (&s_level, (int)level);
}

cf_log_level_t
cf_log_level (void)
{
    return (cf_log_level_t)atomic_load (&s_level);
}

void
cf_log_set_verbose (bool verbose)
{
    cf_log_set_level (verbose ? CF_LOG_DEBUG : CF_LOG_INFO);
}

bool
cf_log_verbose (void)
{
    return cf_log_level () >= CF_LOG_DEBUG;
}

int
cf_log_configure (cf_config_t *config, cf_log_format_t *format,
                  cf_problems_t *problems)
{
    cf_log_level_t level = CF_LOG_DEBUG;
    const char *level_name = cf_config_get (config, "log-level");
    const char *format_name = cf_config_get (config, "log-format");
    int rc = 0;
    if (!cf_config_flag (config, "verbose") &&
        cf_log_level_parse (level_name, &level) != 0) {
        cf_problems_add (problems, "config.log-level",
                         "log-level '%s' is not a level: use error, warning, "
                         "notice, info or debug",
                         level_name ? level_name : "");
        rc = CF_EINVAL;
    }
    if (cf_log_format_parse (format_name, format) != 0) {
        cf_problems_add (problems, "config.log-format",
                         "log-format '%s' is not a format: use text or json",
                         format_name ? format_name : "");
        rc = CF_EINVAL;
    }
    if (rc == 0)
        cf_log_set_level (level);
    return rc;
}

//  "2026-12-01T19:40:00.123+08:00" into stamp (at least 32 bytes)
static void
s_stamp (char *stamp, size_t size, int64_t time_ms, long utc_offset_s)
{
    time_t local = (time_t)(time_ms / 1000 + utc_offset_s);
    struct tm parts;
    gmtime_r (&local, &parts);
    long offset = utc_offset_s < 0 ? -utc_offset_s : utc_offset_s;
    snprintf (stamp, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
              parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
              parts.tm_hour, parts.tm_min, parts.tm_sec, (int)(time_ms % 1000),
              utc_offset_s < 0 ? '-' : '+', offset / 3600, offset / 60 % 60);
}

static size_t
s_json_record (char *line, size_t size, const char *program, long pid,
               cf_log_level_t level, const char *stamp, const char *message)
{
    size_t length = strlen (message);
    while (true) {
        json_object *record = json_object_new_object ();
        json_object_object_add (record, "time", json_object_new_string (stamp));
        json_object_object_add (
            record, "level",
            json_object_new_string (cf_log_level_name (level)));
        json_object_object_add (record, "program",
                                json_object_new_string (program));
        json_object_object_add (record, "pid", json_object_new_int64 (pid));
        json_object_object_add (
            record, "message",
            json_object_new_string_len (message, (int)length));
        const char *text = json_object_to_json_string_ext (
            record, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        size_t written = strlen (text);
        bool fits = written < size;
        if (fits)
            memcpy (line, text, written + 1);
        json_object_put (record);
        if (fits)
            return written;
        if (length == 0) {
            line[0] = 0;
            return 0;
        }
        //  Escapes can grow a byte sixfold: cut by what is over (at least
        //  an eighth; half when more is over than the message holds), and
        //  never inside a UTF-8 sequence
        size_t over = written - size + 1;
        if (over < length / 8)
            over = length / 8 ? length / 8 : 1;
        length = over < length ? length - over : length / 2;
        while (length > 0 && ((unsigned char)message[length] & 0xC0) == 0x80)
            length--;
    }
}

size_t
cf_log_format_record (char *line, size_t size, cf_log_format_t format,
                      const char *program, long pid, cf_log_level_t level,
                      int64_t time_ms, long utc_offset_s, const char *message)
{
    char stamp[64];
    s_stamp (stamp, sizeof stamp, time_ms, utc_offset_s);
    if (format == CF_LOG_JSON)
        return s_json_record (line, size, program, pid, level, stamp, message);
    int written =
        snprintf (line, size, "%s %s %c: %s", stamp, program,
                  s_level_marks[level <= CF_LOG_DEBUG ? level : 0], message);
    if (written < 0)
        return 0;
    return (size_t)written < size ? (size_t)written : size - 1;
}

void
cf_log_write (cf_log_level_t level, const char *format, ...)
{
    char message[S_LINE_MAX];
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (message, sizeof message, format, arguments);
    va_end (arguments);

    struct timeval now;
    gettimeofday (&now, NULL);
    struct tm parts;
    localtime_r (&now.tv_sec, &parts);
    char line[S_LINE_MAX + 256];
    //  Only a JSON record names the process (journald knows it already)
    long pid = s_format == CF_LOG_JSON ? (long)getpid () : 0;
    size_t length = cf_log_format_record (
        line, sizeof line - 1, s_format, s_program, pid, level,
        (int64_t)now.tv_sec * 1000 + now.tv_usec / 1000, parts.tm_gmtoff,
        message);
    line[length++] = '\n';
    //  One write per record, so lines of threads never interleave
    ssize_t rc = write (STDERR_FILENO, line, length);
    (void)rc;
}
