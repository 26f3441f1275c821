#if canImport(Glibc)
import Glibc
#endif

enum FileHandle {
    /// Writes to standard error without buffering (progress bars, errors).
    static func standardErrorWrite(_ text: String) {
        var text = text
        text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
    }
}
