/*  =========================================================================
    cf_log - one-line log records through czmq's zsys log
    =========================================================================
*/

#include "cf_log.h"

//  Set once at start-up, before threads; read-only afterwards
static bool s_verbose = false;

void
cf_log_set_verbose (bool verbose)
{
    s_verbose = verbose;
}

bool
cf_log_verbose (void)
{
    return s_verbose;
}
