// Shared by every fuzz target (compiled into each): what a thrown error must look like.
import Foundation

enum FuzzCheck {
    /// A reader's error is one line naming its file: a multi-line or empty message is a
    /// failure the fuzzer reports like a crash.
    static func oneLine(_ error: Error) {
        let text = "\(error)"
        if text.isEmpty || text.contains("\n") || !text.contains("fuzz") {
            fatalError("error message is not one line naming the file: \(text.debugDescription)")
        }
    }
}
