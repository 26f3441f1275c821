/// A place in a scene or mesh file: 1-based line and column (columns count
/// characters, not bytes), or a byte offset for binary data.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file path as given (or `<string>` for in-memory scenes).
    public var file: String
    /// 1-based line, 0 when the location is a byte offset.
    public var line: Int
    /// 1-based column, 0 when unknown.
    public var column: Int
    /// Byte offset into a binary file, when `line` is 0.
    public var byteOffset: Int?

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
        self.byteOffset = nil
    }

    public init(file: String, byteOffset: Int) {
        self.file = file
        self.line = 0
        self.column = 0
        self.byteOffset = byteOffset
    }

    /// `file:line:column`, `file:line`, or `file: byte N`.
    public var description: String {
        if let byteOffset { return "\(file): byte \(byteOffset)" }
        if line == 0 { return file }
        if column == 0 { return "\(file):\(line)" }
        return "\(file):\(line):\(column)"
    }
}

/// Every failure to read a scene or mesh file. `description` is one line:
/// `file:line:column: message`.
public struct SceneFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is.
    public var location: SourceLocation
    /// What is wrong and what was expected (one line).
    public var message: String

    public init(_ message: String, at location: SourceLocation) {
        self.location = location
        self.message = SceneFileError.oneLine(message)
    }

    public var description: String { "\(location): \(message)" }

    static func oneLine(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for ch in text {
            if ch == "\n" || ch == "\r" || ch == "\r\n" { result.append(" ") } else { result.append(ch) }
        }
        return result
    }
}

extension SceneFileError: CustomDebugStringConvertible {
    public var debugDescription: String { description }
}

import Foundation

extension SceneFileError: LocalizedError {
    public var errorDescription: String? { description }
}
