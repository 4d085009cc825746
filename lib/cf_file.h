/*  =========================================================================
    cf_file - reading a whole small file into memory

    Config files, certificates, applications, score sheets and schemes are
    all read the same way: the whole file into one NUL-terminated buffer,
    refused when it is over a size limit so that a wrong path (a log, a
    disk image, /dev/zero) cannot take the memory. Each caller turns a
    failure into its own problem code and sentence, so this module returns
    the system's reason (an errno value) rather than a message.
    =========================================================================
*/

#ifndef CF_FILE_H_INCLUDED
#define CF_FILE_H_INCLUDED

#include <stddef.h>

#include "cf_error.h"

//  Reads the whole file at path into a new NUL-terminated buffer. path may
//  name a regular file, or a pipe or device, which is read to its end (so
//  --config <(...) works); a regular file larger than max_bytes is refused
//  before it is read. The text may hold NUL bytes: size_p says where it
//  ends, and a caller that wants text checks strlen against it.
//
//  path: the file. max_bytes: the most bytes accepted. text_p: gets the
//  buffer, which the caller frees with free(); NULL on error. size_p: gets
//  the length without the terminating NUL; 0 on error.
//
//  Returns 0, or a positive errno value for the caller to word (strerror):
//  the one open(2), fstat(2) or read(2) failed with (ENOENT: no such file,
//  EACCES: no permission, ...); EISDIR when path is a directory; EFBIG when
//  the file holds more than max_bytes. Interrupted reads are retried.
//  Aborts on out of memory.
int CF_MUST_CHECK cf_file_read (const char *path, size_t max_bytes,
                                char **text_p, size_t *size_p);

#endif
