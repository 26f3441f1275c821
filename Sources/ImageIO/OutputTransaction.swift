#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSupport
import Foundation

/// All the files one command writes, committed together or not at all.
///
/// ```swift
/// let outputs = try OutputTransaction.begin(["out.png", "out.exr"])  // checks and reserves both
/// try image.write(to: "out.png")        // goes to out.png's temporary file
/// try image.writeEXR(to: "out.exr")
/// try outputs.commit()                  // renames both into place
/// ```
///
/// `begin` checks every path before any work: a file name, an existing folder, not a
/// folder itself, no path twice; it creates each destination's temporary file
/// (`.NAME.PID.RANDOM.tmp` in the destination's folder), which proves the folder is
/// writable. While the transaction is open, `AtomicFile.write` to one of its paths fills
/// that temporary file instead of renaming it into place; `commit` renames them all, with
/// SIGINT/SIGTERM held off for the few renames. A failure, `abort`, a signal or the end
/// of the process before `commit` removes every temporary file and leaves the
/// destinations as they were.
public final class OutputTransaction: @unchecked Sendable {
    struct Reservation {
        var temporary: String
        var slot: Int32
        var written = false
    }

    private let lock = NSLock()
    private var reservations: [String: Reservation]
    /// The destinations in the order given.
    public let paths: [String]
    private var finished = false

    /// The open transactions, held weakly (one that is dropped without a commit aborts in
    /// `deinit`). Never locked while a transaction's own lock is held, and the other way round.
    private struct WeakTransaction { weak var transaction: OutputTransaction? }
    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var openTransactions: [WeakTransaction] = []

    private init(paths: [String], reservations: [String: Reservation]) {
        self.paths = paths
        self.reservations = reservations
    }

    /// Checks every path and reserves a temporary file for each; throws, naming the
    /// path, on the first that cannot be written (and reserves nothing).
    public static func begin(_ paths: [String]) throws -> OutputTransaction {
        var reservations = [String: Reservation]()
        var seen = Set<String>()
        do {
            for path in paths {
                let key = AtomicFile.normalized(path)
                if !seen.insert(key).inserted {
                    throw ImageIOError(path: path, reason: "cannot write: the command would write this file twice")
                }
                try AtomicFile.checkDestination(path)
                // A process that writes nothing (see `AtomicFile.writesFiles`) reserves nothing.
                guard AtomicFile.writesFiles else { continue }
                AtomicFile.removeStaleTemporaries(of: path)
                let (temporary, fd, slot) = try AtomicFile.createTemporary(for: path)
                close(fd)
                reservations[key] = Reservation(temporary: temporary, slot: slot)
            }
        } catch {
            for r in reservations.values {
                unlink(r.temporary)
                diffray_temporary_unregister(r.slot)
            }
            throw error
        }
        let transaction = OutputTransaction(paths: paths, reservations: reservations)
        registryLock.lock()
        openTransactions.removeAll { $0.transaction == nil }
        openTransactions.append(WeakTransaction(transaction: transaction))
        registryLock.unlock()
        return transaction
    }

    /// Creates the folder `path` (and its parents) if it does not exist; `option` (e.g.
    /// `--out-dir`) names it in the error when it cannot be made.
    public static func createFolder(_ path: String, option: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { return }
            throw ImageIOError(path: "\(option) \(path)", reason: "exists and is not a folder")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            var parent = path
            while !parent.isEmpty {
                parent = AtomicFile.split(parent).folder
                if stat(parent, &info) == 0 { break }
                if parent == "/" || parent == "." { break }
            }
            let reason = access(parent, W_OK) != 0 ? AtomicFile.errorText(errno) : "a part of it is not a folder"
            throw ImageIOError(path: "\(option) \(path)", reason: "cannot create the folder (\(reason))")
        }
    }

    /// The open transaction that holds `path`, if any.
    static func holding(_ path: String) -> OutputTransaction? {
        let key = AtomicFile.normalized(path)
        registryLock.lock()
        let candidates = openTransactions.compactMap(\.transaction)
        registryLock.unlock()
        return candidates.first { $0.contains(key) }
    }

    private func contains(_ key: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return !finished && reservations[key] != nil
    }

    /// Fills `path`'s temporary file with `bytes` (flushed to disk); the destination is
    /// untouched until `commit`.
    func stage(_ bytes: UnsafeRawBufferPointer, for path: String) throws {
        let key = AtomicFile.normalized(path)
        lock.lock()
        defer { lock.unlock() }
        guard !finished, let r = reservations[key] else {
            throw ImageIOError(path: path, reason: "cannot write: the output transaction is closed")
        }
        let fd = open(r.temporary, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if fd < 0 { throw ImageIOError(path: path, reason: "cannot write: \(AtomicFile.errorText(errno))") }
        if let failure = AtomicFile.writeAll(fd, bytes) {
            throw ImageIOError(path: path, reason: "cannot write: \(failure)")
        }
        reservations[key]?.written = true
    }

    /// Renames every written file into place (files reserved but never written are
    /// removed, their destinations untouched). A signal during the renames takes effect
    /// after the last one.
    public func commit() throws {
        lock.lock()
        guard !finished else { lock.unlock(); return }
        finished = true
        defer {
            lock.unlock()
            OutputTransaction.forget(self)
        }
        diffray_signals_hold()
        defer { diffray_signals_release() }
        var failure: ImageIOError?
        for path in paths {
            let key = AtomicFile.normalized(path)
            guard let r = reservations[key] else { continue }
            if failure == nil && r.written {
                if rename(r.temporary, path) != 0 {
                    failure = ImageIOError(path: path, reason: "cannot write: \(AtomicFile.errorText(errno))")
                    unlink(r.temporary)
                }
            } else {
                unlink(r.temporary)
            }
            diffray_temporary_unregister(r.slot)
        }
        if let failure { throw failure }
    }

    /// Removes every temporary file; the destinations stay as they were.
    public func abort() {
        lock.lock()
        guard !finished else { lock.unlock(); return }
        finished = true
        for r in reservations.values {
            unlink(r.temporary)
            diffray_temporary_unregister(r.slot)
        }
        lock.unlock()
        OutputTransaction.forget(self)
    }

    deinit {
        // No lock needed: nothing else holds a reference any more.
        if !finished {
            for r in reservations.values {
                unlink(r.temporary)
                diffray_temporary_unregister(r.slot)
            }
        }
    }

    private static func forget(_ transaction: OutputTransaction) {
        registryLock.lock()
        openTransactions.removeAll { $0.transaction == nil || $0.transaction === transaction }
        registryLock.unlock()
    }
}

/// A run stopped by SIGINT, SIGTERM or SIGHUP at a safe point (after a checkpoint was
/// written). The process should end with `status` (128 + the signal).
public struct Interrupted: Error, CustomStringConvertible, Sendable {
    public var signal: Int32
    /// The checkpoint written just before stopping, if any.
    public var checkpoint: String?
    public var status: Int32 { 128 + signal }
    public var description: String {
        let name = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][signal] ?? "signal \(signal)"
        if let checkpoint { return "interrupted by \(name); the state is saved in \(checkpoint), continue with --resume" }
        return "interrupted by \(name)"
    }
    public init(signal: Int32, checkpoint: String?) { self.signal = signal; self.checkpoint = checkpoint }
}

/// SIGINT, SIGTERM and SIGHUP: by default they remove every temporary file and end the
/// process with status 128 + signal (130, 143, 129). A training or optimisation loop
/// defers them: the first signal lets the current step finish and its checkpoint be
/// written (`checkpointWritten` then throws `Interrupted`); a second one ends the
/// process at once (the previous checkpoint stays).
public enum Interruption {
    /// Installs the handler (idempotent; the command line calls it at start; a library
    /// embedding DiffRay keeps its own signal handling unless it calls this).
    public static func install() { diffray_signals_install() }

    /// From now on a first signal waits for the next `checkpointWritten`.
    public static func deferUntilCheckpoint() {
        install()
        diffray_signals_set_deferred(1)
    }

    /// Call right after a checkpoint reached the disk: throws `Interrupted` if a signal came.
    public static func checkpointWritten(_ path: String) throws {
        let signal = diffray_signals_pending()
        if signal != 0 { throw Interrupted(signal: signal, checkpoint: path) }
    }

    /// Back to immediate handling; a signal that came while deferred ends the process now.
    public static func endDeferral() {
        diffray_signals_set_deferred(0)
        let signal = diffray_signals_pending()
        if signal != 0 { diffray_signals_exit(signal) }
    }
}
