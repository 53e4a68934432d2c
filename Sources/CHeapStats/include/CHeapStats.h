#ifndef C_HEAP_STATS_H
#define C_HEAP_STATS_H

#include <stddef.h>

/// What the C allocator holds, in bytes (glibc's `mallinfo2`; all zero elsewhere).
typedef struct {
    /// Bytes in chunks handed out from the arenas.
    size_t inUse;
    /// Bytes in chunks handed out as their own mappings.
    size_t mapped;
    /// Bytes in free chunks the arenas keep (resident or not).
    size_t free;
} reel_heap_stats;

/// Reads the allocator's totals; `isAvailable` is 0 when the C library cannot tell.
reel_heap_stats reel_heap_stats_read(int *isAvailable);

/// Gives free pages in every arena back to the system (glibc's `malloc_trim(0)`).
/// Returns 1 when memory was released, 0 otherwise (and always 0 elsewhere).
int reel_heap_trim(void);

#endif
