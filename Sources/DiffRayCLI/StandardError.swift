#if canImport(Glibc)
import Glibc
#endif

enum FileHandle {
    /// Whether progress lines are dropped: set on MPI ranks other than 0, which
    /// print only their errors (`errorWrite`).
    nonisolated(unsafe) static var isQuiet = false

    /// Writes to standard error without buffering (progress bars, iteration lines).
    static func standardErrorWrite(_ text: String) {
        if isQuiet { return }
        errorWrite(text)
    }

    /// Writes an error to standard error, on every rank.
    static func errorWrite(_ text: String) {
        var text = text
        text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
    }
}
