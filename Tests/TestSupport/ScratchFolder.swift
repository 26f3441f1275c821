import Foundation

/// A fresh, empty folder under the system's temporary folder for one test,
/// removed by `remove()`.
public struct ScratchFolder: Sendable {
    /// The folder's absolute path.
    public let path: String

    /// Makes the folder (`mkdtemp`), its name starting with `prefix`.
    public init(prefix: String = "diffray-tests") {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed under \(NSTemporaryDirectory())")
        path = String(cString: template)
    }

    /// Makes the folder and writes `files` (name → bytes) into it.
    public init(prefix: String = "diffray-tests", files: [String: [UInt8]]) throws {
        self.init(prefix: prefix)
        for (name, bytes) in files { try write(name, bytes: bytes) }
    }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` (UTF-8) to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// The names in the folder, hidden ones included, sorted.
    public var contents: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Removes the folder and everything in it.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Whether a file or folder exists at `path`.
public func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
