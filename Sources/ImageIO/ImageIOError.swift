/// A failure reading or writing an image or any other file: one line naming the file
/// and saying what was wrong, e.g. `renders/a.png: not a PNG file (libpng: Not a PNG file)`.
public struct ImageIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or, for an in-memory image, its role) the error is about.
    public let path: String
    /// What was wrong, without the path.
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        // One line, whatever a C library put into its message.
        self.reason = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String { "\(path): \(reason)" }
}
