#ifndef DIFFRAY_CSUPPORT_H
#define DIFFRAY_CSUPPORT_H
#include "diffray_signals.h"
/// Per-thread storage for the reverse-mode tape: one pointer a thread,
/// read on every recorded operation, so it is a plain C thread-local.
/// The accessors are `static inline` so that Swift inlines the TLS load
/// into every recorded operation instead of calling across modules.
///
/// The pointer is never null: until a thread records its first operation it
/// points at `diffray_tape_none()`, an all-zero tape with no room, so the
/// hot path needs no null test (its one test, for room, sends the first
/// operation to the slow path that makes the thread's tape).
extern _Thread_local void *_Nonnull diffray_current_tape;
#define DIFFRAY_TAPE_NONE_SIZE 64
extern char diffray_tape_empty[DIFFRAY_TAPE_NONE_SIZE];

static inline void *_Nonnull diffray_tape_get(void) { return diffray_current_tape; }
static inline void diffray_tape_set(void *_Nonnull tape) { diffray_current_tape = tape; }
static inline void *_Nonnull diffray_tape_none(void) { return diffray_tape_empty; }

/// Makes `tape` the calling thread's tape and has `release(tape)` called when
/// the thread exits (a POSIX thread-specific key's destructor), so that the
/// tapes of worker threads that come and go are freed with their threads.
void diffray_tape_adopt(void *_Nonnull tape, void (*_Nonnull release)(void *_Nonnull));

#if defined(__linux__)
#include <malloc.h>
/// Keeps freed memory in the process: by default glibc hands large blocks back
/// to the kernel (munmap, trimming the heap's top) as soon as they are freed,
/// and a loop that allocates the same buffers every iteration page-faults them
/// in again each time. Call once at start-up.
static inline void diffray_keep_freed_memory(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}
#endif
#endif
