/*  =========================================================================
    cf_error - the error codes every certflow function returns
    =========================================================================
*/

#include "cf_error.h"

const char *
cf_strerror (int code)
{
    switch (code) {
        case CF_OK:
            return "CF_OK: success";
#define CF_ERROR_TEXT(name, value, text)                                       \
    case name:                                                                 \
        return text;
            CF_ERROR_MAP (CF_ERROR_TEXT)
#undef CF_ERROR_TEXT
    }
    return "CF_E?: unknown error";
}

const char *
cf_errname (int code)
{
    switch (code) {
        case CF_OK:
            return "CF_OK";
#define CF_ERROR_NAME(name, value, text)                                       \
    case name:                                                                 \
        return #name;
            CF_ERROR_MAP (CF_ERROR_NAME)
#undef CF_ERROR_NAME
    }
    return "CF_E?";
}
