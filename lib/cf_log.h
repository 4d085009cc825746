/*  =========================================================================
    cf_log - one-line log records through czmq's zsys log

    Records are key=value lines ("case=CF-2026-000001 from=submitted ...").
    czmq writes them to stderr, or to syslog when zsys_set_logsystem is on.
    Debug records are dropped before their arguments are evaluated unless
    verbose logging was switched on.
    =========================================================================
*/

#ifndef CF_LOG_H_INCLUDED
#define CF_LOG_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

//  Switches debug records on or off for the whole process. Call once at
//  start-up, before any thread is started.
void cf_log_set_verbose (bool verbose);

//  Returns true when debug records are on.
bool cf_log_verbose (void);

#define cf_log_error(...)  zsys_error (__VA_ARGS__)
#define cf_log_warn(...)   zsys_warning (__VA_ARGS__)
#define cf_log_notice(...) zsys_notice (__VA_ARGS__)
#define cf_log_info(...)   zsys_info (__VA_ARGS__)
#define cf_log_debug(...)                                                      \
    do {                                                                       \
        if (cf_log_verbose ())                                                 \
            zsys_debug (__VA_ARGS__);                                          \
    } while (0)

#endif
