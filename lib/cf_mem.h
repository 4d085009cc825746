/*  =========================================================================
    cf_mem - what certflow does when memory runs out

    A failed allocation ends the process with one line on stderr, as czmq
    does: no caller half-handles out of memory, and none repeats the
    message. Header only, so that every module, the lowest ones included,
    can use it without a dependency.
    =========================================================================
*/

#ifndef CF_MEM_H_INCLUDED
#define CF_MEM_H_INCLUDED

#include <stdio.h>
#include <stdlib.h>

//  Writes "certflow: out of memory" to stderr and aborts. For allocators
//  that fail by a return code instead of NULL: if (asprintf (...) < 0)
//  cf_mem_fail ();
static inline _Noreturn void
cf_mem_fail (void)
{
    fputs ("certflow: out of memory\n", stderr);
    abort ();
}

//  Returns pointer, the result of an allocation, when it is not NULL;
//  otherwise the allocation failed and cf_mem_fail ends the process. Use it
//  around the allocation: char *copy = cf_mem_check (strdup (text));
static inline void *
cf_mem_check (void *pointer)
{
    if (!pointer)
        cf_mem_fail ();
    return pointer;
}

#endif
