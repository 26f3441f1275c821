#include "CSupport.h"
static _Thread_local void *current_tape = 0;
void *diffray_tape_get(void) { return current_tape; }
void diffray_tape_set(void *tape) { current_tape = tape; }
