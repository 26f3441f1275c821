#ifndef DIFFRAY_CSUPPORT_H
#define DIFFRAY_CSUPPORT_H
/// Per-thread storage for the reverse-mode tape: one pointer a thread,
/// read on every recorded operation, so it is a plain C thread-local.
/// The accessors are `static inline` so that Swift inlines the TLS load
/// into every recorded operation instead of calling across modules.
extern _Thread_local void *_Nullable diffray_current_tape;

static inline void *_Nullable diffray_tape_get(void) { return diffray_current_tape; }
static inline void diffray_tape_set(void *_Nullable tape) { diffray_current_tape = tape; }
#endif
