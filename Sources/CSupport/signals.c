#include "diffray_signals.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { slotCount = 256, pathCapacity = 4096 };
enum { slotFree = 0, slotFilling = 1, slotLive = 2 };

static _Atomic int slotState[slotCount];
static char slotPath[slotCount][pathCapacity];
static _Atomic int deferred;
static _Atomic int held;
static volatile sig_atomic_t pending;
static _Atomic int installed;

int diffray_temporary_register(const char *path) {
    size_t length = strlen(path);
    if (length + 1 > pathCapacity) return -1;
    for (int i = 0; i < slotCount; i++) {
        int expected = slotFree;
        if (atomic_compare_exchange_strong(&slotState[i], &expected, slotFilling)) {
            memcpy(slotPath[i], path, length + 1);
            atomic_store(&slotState[i], slotLive);
            return i;
        }
    }
    return -1;
}

void diffray_temporary_unregister(int slot) {
    if (slot >= 0 && slot < slotCount) atomic_store(&slotState[slot], slotFree);
}

void diffray_temporary_remove_all(void) {
    for (int i = 0; i < slotCount; i++) {
        int expected = slotLive;
        // Claim the slot so a second caller (handler after atexit) does not unlink twice.
        if (atomic_compare_exchange_strong(&slotState[i], &expected, slotFilling)) {
            unlink(slotPath[i]);
            atomic_store(&slotState[i], slotFree);
        }
    }
}

void diffray_signals_exit(int signal) {
    diffray_temporary_remove_all();
    _exit(128 + signal);
}

static void handle(int signal) {
    if (atomic_load(&held)) {
        if (pending == 0) pending = signal;
        return;
    }
    if (atomic_load(&deferred) && pending == 0) {
        pending = signal;
        return;
    }
    diffray_signals_exit(signal);
}

static void atExit(void) { diffray_temporary_remove_all(); }

void diffray_signals_install(void) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&installed, &expected, 1)) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handle;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGINT);
    sigaddset(&action.sa_mask, SIGTERM);
    sigaddset(&action.sa_mask, SIGHUP);
    action.sa_flags = SA_RESTART;
    const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    for (int k = 0; k < 3; k++) {
        struct sigaction previous;
        // A signal ignored by the parent (nohup, a shell's background job) stays ignored.
        if (sigaction(signals[k], NULL, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
        sigaction(signals[k], &action, NULL);
    }
    atexit(atExit);
    // A parent may hand down a mask that blocks them (a libdispatch worker thread that
    // spawned us, as a test runner does): unblock them here, before any thread starts.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void diffray_signals_set_deferred(int on) { atomic_store(&deferred, on); }

void diffray_signals_hold(void) { atomic_store(&held, 1); }

void diffray_signals_release(void) {
    atomic_store(&held, 0);
    if (pending != 0 && !atomic_load(&deferred)) diffray_signals_exit(pending);
}

int diffray_signals_pending(void) { return pending; }
