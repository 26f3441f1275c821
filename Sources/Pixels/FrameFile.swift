import Foundation

/// The layout both rendered-frame files share (the pendulum's frame cache and the
/// trebuchet's training frames): a magic line naming the format, a key line (the
/// view, seed and scene the frames were rendered from), a line of sizes, then the
/// raw values. A file with another magic or key, or a damaged header, reads as nil:
/// the caller renders the frames again.
enum FrameFile {
    /// The header of a file of format `magic` made for `key`, with `sizes`.
    static func header(magic: String, key: String, sizes: [Int]) -> Data {
        Data("\(magic)\n\(key)\n\(sizes.map(String.init).joined(separator: " "))\n".utf8)
    }

    /// The sizes and the bytes after the header of a file of format `magic` made for
    /// `key`, whose sizes line holds `count` non-negative integers; nil otherwise.
    static func read(_ data: Data, magic: String, key: String, sizes count: Int) -> (sizes: [Int], body: Data.SubSequence)? {
        var lines = [String](), start = data.startIndex, cursor = data.startIndex
        while lines.count < 3, cursor < data.endIndex {
            if data[cursor] == 10 {
                guard let s = String(data: data[start..<cursor], encoding: .utf8) else { return nil }
                lines.append(s); start = data.index(after: cursor)
            }
            cursor = data.index(after: cursor)
        }
        guard lines.count == 3, lines[0] == magic, lines[1] == key else { return nil }
        let fields = lines[2].split(separator: " ", omittingEmptySubsequences: false)
        let sizes = fields.compactMap { Int($0) }
        guard fields.count == count, sizes.count == count, sizes.allSatisfy({ $0 >= 0 }) else { return nil }
        return (sizes, data[start...])
    }

    /// The product of `factors`, or nil if it overflows (a damaged header must not
    /// trap on the size arithmetic).
    static func product(_ factors: [Int]) -> Int? {
        var p = 1
        for f in factors {
            let (q, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = q
        }
        return p
    }
}
