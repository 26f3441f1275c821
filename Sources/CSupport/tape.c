#include "CSupport.h"
#include <pthread.h>
/// The empty tape: every field 0, no room; never written.
_Alignas(16) char diffray_tape_empty[DIFFRAY_TAPE_NONE_SIZE];
/// The current thread's tape storage (owned by a Swift `Tape`), or the empty
/// tape before the thread's first reverse-mode operation.
_Thread_local void *diffray_current_tape = diffray_tape_empty;

static pthread_key_t tape_key;
static pthread_once_t tape_key_once = PTHREAD_ONCE_INIT;
static void (*tape_release)(void *);

static void tape_thread_exit(void *tape) {
    if (tape_release) tape_release(tape);
}

static void tape_make_key(void) {
    pthread_key_create(&tape_key, tape_thread_exit);
}

void diffray_tape_adopt(void *tape, void (*release)(void *)) {
    pthread_once(&tape_key_once, tape_make_key);
    tape_release = release;
    diffray_current_tape = tape;
    pthread_setspecific(tape_key, tape);
}
