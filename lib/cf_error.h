/*  =========================================================================
    cf_error - the error codes every certflow function returns

    Functions return 0 on success or one of the negative codes below; results
    come back through out-parameters. Codes from LMDB, ZeroMQ and the C
    library are translated once, at the module that called them, and logged
    there with their original text.
    =========================================================================
*/

#ifndef CF_ERROR_H_INCLUDED
#define CF_ERROR_H_INCLUDED

//  Marks a function whose result must be looked at
#define CF_MUST_CHECK __attribute__ ((warn_unused_result))

//  X (name, value, text): the text starts with the symbol, as in LMDB
#define CF_ERROR_MAP(X)                                                        \
    X (CF_EINVAL, -1, "CF_EINVAL: invalid argument or input")                  \
    X (CF_ENOMEM, -2, "CF_ENOMEM: out of memory")                              \
    X (CF_ENOTFOUND, -3, "CF_ENOTFOUND: no such item")                         \
    X (CF_EEXIST, -4, "CF_EEXIST: item already exists")                        \
    X (CF_ENOTRANSITION, -5,                                                   \
       "CF_ENOTRANSITION: no transition for this event in this state")         \
    X (CF_EFORBIDDEN, -6, "CF_EFORBIDDEN: role may not fire this event")       \
    X (CF_EGUARD, -7, "CF_EGUARD: a guard refused the transition")             \
    X (CF_EINCOMPLETE, -8, "CF_EINCOMPLETE: application is incomplete")        \
    X (CF_EINELIGIBLE, -9, "CF_EINELIGIBLE: applicant is not eligible")        \
    X (CF_ESCHEME, -10, "CF_ESCHEME: scheme file is wrong")                    \
    X (CF_EPARSE, -11, "CF_EPARSE: input could not be parsed")                 \
    X (CF_EIO, -12, "CF_EIO: input/output error")                              \
    X (CF_ESTOREFULL, -13, "CF_ESTOREFULL: store map is full")                 \
    X (CF_ECORRUPT, -14, "CF_ECORRUPT: stored data failed a check")            \
    X (CF_ESTORE, -15, "CF_ESTORE: store operation failed")                    \
    X (CF_EVERSION, -16, "CF_EVERSION: store schema version not supported")    \
    X (CF_EDECODE, -17, "CF_EDECODE: message could not be decoded")            \
    X (CF_ELIMIT, -18, "CF_ELIMIT: input exceeds a size limit")                \
    X (CF_ECONFLICT, -19, "CF_ECONFLICT: request id reused with another body") \
    X (CF_EAGAIN, -20, "CF_EAGAIN: resource busy, try again")                  \
    X (CF_ENOSTAFF, -21, "CF_ENOSTAFF: no qualified, independent staff")       \
    X (CF_ETIMEOUT, -22, "CF_ETIMEOUT: no answer in time")                     \
    X (CF_EDENIED, -23, "CF_EDENIED: principal not authenticated")

typedef enum {
    CF_OK = 0,  //  Success
#define CF_ERROR_ENUM(name, value, text) name = value,
    CF_ERROR_MAP (CF_ERROR_ENUM)
#undef CF_ERROR_ENUM
} cf_error_t;

//  Returns the text for an error code ("CF_EINVAL: ..."); never NULL. An
//  unknown code gives "CF_E?: unknown error".
const char *cf_strerror (int code);

//  Returns the symbol of an error code ("CF_EINVAL"), "CF_OK" for 0, or
//  "CF_E?" for an unknown code; never NULL. Used on the wire.
const char *cf_errname (int code);

#endif
