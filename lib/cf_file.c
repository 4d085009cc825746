/*  =========================================================================
    cf_file - reading a whole small file into memory
    =========================================================================
*/

#include "cf_file.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf_mem.h"

//  First buffer for a file whose size fstat does not tell (a pipe)
#define S_FIRST_CAPACITY 4096

//  Reads fd to its end into a new buffer, growing it as needed. Stops with
//  EFBIG one byte past max_bytes. capacity: the first buffer size, counting
//  the byte kept for the NUL. Returns 0 or an errno value.
static int
s_read_all (int fd, size_t max_bytes, size_t capacity, char **text_p,
            size_t *size_p)
{
    char *text = cf_mem_check (malloc (capacity));
    size_t size = 0;
    int error = 0;
    while (true) {
        if (size + 1 == capacity) {
            //  No more than one byte past the limit is ever needed
            capacity = capacity > max_bytes / 2 ? max_bytes + 2 : capacity * 2;
            text = cf_mem_check (realloc (text, capacity));
        }
        ssize_t got = read (fd, text + size, capacity - 1 - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            error = errno;
        else
            size += (size_t)got;
        if (error == 0 && size > max_bytes)
            error = EFBIG;
        if (error != 0 || got == 0)
            break;
    }
    if (error != 0) {
        free (text);
        return error;
    }
    text[size] = '\0';
    *text_p = text;
    *size_p = size;
    return 0;
}

int
cf_file_read (const char *path, size_t max_bytes, char **text_p, size_t *size_p)
{
    assert (path && text_p && size_p);
    assert (max_bytes < SIZE_MAX / 2);
    *text_p = NULL;
    *size_p = 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat info;
    int error = 0;
    if (fstat (fd, &info) != 0)
        error = errno;
    else if (S_ISDIR (info.st_mode))
        error = EISDIR;
    else if (S_ISREG (info.st_mode) && (uintmax_t)info.st_size > max_bytes)
        error = EFBIG;
    else {
        //  A regular file fits at once, with room to notice that it grew
        size_t capacity = S_ISREG (info.st_mode) ? (size_t)info.st_size + 2
                                                 : S_FIRST_CAPACITY;
        error = s_read_all (fd, max_bytes, capacity, text_p, size_p);
    }
    close (fd);
    return error;
}
