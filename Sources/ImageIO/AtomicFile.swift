#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemRead = Darwin.read
#endif
import Foundation

/// Whole-file reads and atomic writes, with errors that name the file.
///
/// `write` puts the bytes into a new temporary file in the destination's folder
/// (`.NAME.PID.RANDOM.tmp`), flushes it to disk, then `rename`s it over the destination.
/// A reader therefore sees either the old file or the complete new one: an interrupted
/// write never leaves a truncated file under the destination's name, and a failed write
/// removes its temporary file and leaves the destination untouched. (A process killed
/// in the middle may leave the hidden temporary file behind, never a partial destination.)
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        if path.isEmpty { throw ImageIOError(path: "\"\"", reason: "cannot write: empty file name") }
        let (folder, name) = split(path)
        if name.isEmpty || name == "." || name == ".." {
            throw ImageIOError(path: path, reason: "cannot write: not a file name")
        }
        let temporary = "\(folder)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd < 0 {
            let reason = errorText(errno)
            var isDirectory: ObjCBool = false
            let folderExists = FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory)
            if !folderExists || !isDirectory.boolValue {
                throw ImageIOError(path: path, reason: "cannot write: folder \(folder) does not exist")
            }
            throw ImageIOError(path: path, reason: "cannot write: cannot create a file in \(folder) (\(reason))")
        }
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
        if failure == nil && rename(temporary, path) != 0 { failure = errorText(errno) }
        if let failure {
            unlink(temporary)
            throw ImageIOError(path: path, reason: "cannot write: \(failure)")
        }
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

    /// The whole content of the file at `path`. Throws, naming the file, if it does not
    /// exist, is a folder or cannot be read.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            throw ImageIOError(path: path, reason: e == ENOENT ? "no such file" : "cannot open: \(errorText(e))")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw ImageIOError(path: path, reason: "cannot read: \(errorText(errno))") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ImageIOError(path: path, reason: "is a folder, not a file") }
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
