#ifndef DIFFRAY_CSUPPORT_H
#define DIFFRAY_CSUPPORT_H
/// Per-thread storage for the reverse-mode tape: one pointer a thread,
/// read on every recorded operation, so it is a plain C thread-local.
void *_Nullable diffray_tape_get(void);
void diffray_tape_set(void *_Nullable tape);
#endif
