#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemRead = Darwin.read
#endif
import CSupport
import Foundation

/// Whole-file reads and atomic writes, with errors that name the file.
///
/// `write` puts the bytes into a new temporary file in the destination's folder
/// (`.NAME.PID.RANDOM.tmp`), flushes it to disk, then `rename`s it over the destination.
/// A reader therefore sees either the old file or the complete new one: an interrupted
/// write never leaves a truncated file under the destination's name, and a failed write
/// removes its temporary file and leaves the destination untouched. SIGINT, SIGTERM and
/// SIGHUP remove the temporary file (see `Interruption`); only SIGKILL can leave one
/// behind, never a partial destination, and the next write to the same destination
/// removes it.
public enum AtomicFile {
    /// Whether this process writes files at all. A run spread over MPI processes
    /// sets it to false on every rank but 0: the others compute the same outputs
    /// and check their paths, and rank 0 alone writes them.
    nonisolated(unsafe) public static var writesFiles = true

    /// Writes `bytes` to `path` atomically. When an open `OutputTransaction` holds `path`,
    /// the bytes go to its temporary file and reach `path` at the transaction's commit.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        guard writesFiles else { return try checkDestination(path) }
        if let transaction = OutputTransaction.holding(path) {
            return try transaction.stage(bytes, for: path)
        }
        try checkDestination(path)
        removeStaleTemporaries(of: path)
        let (temporary, fd, slot) = try createTemporary(for: path)
        defer { diffray_temporary_unregister(slot) }
        var failure = writeAll(fd, bytes)
        if failure == nil && rename(temporary, path) != 0 { failure = errorText(errno) }
        if let failure {
            unlink(temporary)
            throw ImageIOError(path: path, reason: "cannot write: \(failure)")
        }
    }

    /// Refuses an empty name, `.`/`..`, a missing folder and a destination that is a folder.
    static func checkDestination(_ path: String) throws {
        if path.isEmpty { throw ImageIOError(path: "\"\"", reason: "cannot write: empty file name") }
        let (folder, name) = split(path)
        if name.isEmpty || name == "." || name == ".." {
            throw ImageIOError(path: path, reason: "cannot write: not a file name")
        }
        var info = stat()
        if stat(folder, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR {
            throw ImageIOError(path: path, reason: "cannot write: folder \(folder) does not exist")
        }
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw ImageIOError(path: path, reason: "cannot write: it is a folder")
        }
    }

    /// Creates `path`'s temporary file (`.NAME.PID.RANDOM.tmp` beside it), registered for
    /// removal on a signal or at exit. Returns its name, an open descriptor and the slot.
    static func createTemporary(for path: String) throws -> (path: String, fd: Int32, slot: Int32) {
        let (folder, name) = split(path)
        while true {
            let temporary = "\(folder)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
            // Registered before it exists: a signal between open and register cannot leave it.
            let slot = diffray_temporary_register(temporary)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 { return (temporary, fd, slot) }
            let e = errno
            diffray_temporary_unregister(slot)
            if e == EEXIST { continue }
            throw ImageIOError(path: path, reason: "cannot write: cannot create a file in \(folder) (\(errorText(e)))")
        }
    }

    /// Writes all of `bytes` to `fd`, flushes and closes it; the failure's text, or nil.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> String? {
        var failure: String?
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = errorText(errno); break
            }
            offset += n
        }
        if failure == nil && fsync(fd) != 0 { failure = errorText(errno) }
        if close(fd) != 0 && failure == nil { failure = errorText(errno) }
        return failure
    }

    /// Removes temporary files of `path` left by a process that no longer runs (one
    /// killed with SIGKILL, which no handler sees).
    static func removeStaleTemporaries(of path: String) {
        let (folder, name) = split(path)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        let prefix = ".\(name)."
        for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(".tmp") {
            let fields = entry.dropFirst(prefix.count).dropLast(4).split(separator: ".")
            guard fields.count == 2, let pid = Int32(fields[0]), UInt32(fields[1]) != nil, pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink("\(folder)/\(entry)") }
        }
    }

    /// `path` with `.` components and repeated slashes removed, to compare destinations.
    static func normalized(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts = [Substring]()
        for p in absolute.split(separator: "/") where p != "." { parts.append(p) }
        return "/" + parts.joined(separator: "/")
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes `data` to `path` atomically (JSON checkpoints, model weights).
    public static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes `text` as UTF-8 to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// The largest file `read` accepts by default (1 GiB): checked before reading.
    public static let maximumReadSize = 1 << 30

    /// The whole content of the file at `path`. Throws, naming the file, if it does not
    /// exist, is a folder, is larger than `limit` bytes or cannot be read.
    public static func read(_ path: String, limit: Int = maximumReadSize) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            throw ImageIOError(path: path, reason: e == ENOENT ? "no such file" : "cannot open: \(errorText(e))")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw ImageIOError(path: path, reason: "cannot read: \(errorText(errno))") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ImageIOError(path: path, reason: "is a folder, not a file") }
        if Int(info.st_size) > limit {
            throw ImageIOError(path: path, reason: "is \(info.st_size) bytes, over the limit of \(limit) bytes")
        }
        var out = [UInt8]()
        out.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageIOError(path: path, reason: "cannot read: \(errorText(errno))")
            }
            if n == 0 { break }
            if out.count + n > limit {
                throw ImageIOError(path: path, reason: "is over the limit of \(limit) bytes")
            }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// The folder (`.` if none) and the last component of `path`.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
