#include "CHeapStats.h"

// Any C library header defines the __GLIBC__ version macros on glibc.
#include <stdlib.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>

reel_heap_stats reel_heap_stats_read(int *isAvailable) {
    struct mallinfo2 info = mallinfo2();
    *isAvailable = 1;
    return (reel_heap_stats){ .inUse = info.uordblks, .mapped = info.hblkhd, .free = info.fordblks };
}

int reel_heap_trim(void) { return malloc_trim(0); }

#else

reel_heap_stats reel_heap_stats_read(int *isAvailable) {
    *isAvailable = 0;
    return (reel_heap_stats){ 0, 0, 0 };
}

int reel_heap_trim(void) { return 0; }

#endif
