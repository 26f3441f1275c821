#include "CSupport.h"
/// The current thread's tape storage (owned by a Swift `Tape`), or null
/// before the thread's first reverse-mode operation.
_Thread_local void *diffray_current_tape = 0;
