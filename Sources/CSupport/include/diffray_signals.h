#ifndef DIFFRAY_SIGNALS_H
#define DIFFRAY_SIGNALS_H
/// Temporary files that must not outlive the process, and the SIGINT / SIGTERM /
/// SIGHUP handler that removes them (see docs/reliability.md).
///
/// The registry is a fixed table of slots written before a temporary file is
/// created and read by the signal handler with nothing but atomic loads and
/// unlink(2), both async-signal-safe.

/// Registers `path` (copied) for removal on a signal or at exit; returns the
/// slot, or -1 when the table is full or the path too long (the file is then
/// only removed by the code that created it).
int diffray_temporary_register(const char *_Nonnull path);
/// Forgets a slot (after the file was renamed into place or removed).
void diffray_temporary_unregister(int slot);
/// Removes every registered file (the signal handler and atexit call this).
void diffray_temporary_remove_all(void);

/// Installs the handler for SIGINT, SIGTERM and SIGHUP and an atexit hook that
/// removes the registered files. Idempotent.
///
/// By default a signal removes the registered files and ends the process with
/// status 128 + signal (130 for SIGINT, 143 for SIGTERM).
void diffray_signals_install(void);
/// While deferral is on, the first signal is only recorded (see
/// `diffray_signals_pending`) so that a training loop can finish its step and
/// write a checkpoint; a second signal ends the process at once.
void diffray_signals_set_deferred(int deferred);
/// While held (a commit of several renames), every signal is only recorded;
/// `diffray_signals_release` then ends the process if one came.
void diffray_signals_hold(void);
void diffray_signals_release(void);
/// The signal recorded while deferred or held, or 0.
int diffray_signals_pending(void);
/// Removes the registered files and ends the process with 128 + `signal`.
void diffray_signals_exit(int signal);
#endif
