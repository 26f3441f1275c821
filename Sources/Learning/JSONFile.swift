import Foundation

/// Decoding of DiffRay's JSON files (models, checkpoints) with errors that say
/// where: `model.json:3:17: expected a number at 'layers[0].inputSize'`.
///
/// `JSONDecoder` names the key path of a problem but not its place in the text; a small
/// scanner walks the same path through the bytes to find the line and column (both
/// 1-based, columns in bytes), and finds the place of a syntax error.
public enum JSONFile {
    /// Deepest nesting the scanner follows (the decoder's own limit is similar).
    public static let maximumDepth = 512

    /// Decodes `T` from `data`, the content of `path`; every failure is one
    /// `ModelFileError` naming `path:line:column`, the key path and what was expected
    /// (`expected` describes the file, e.g. "a diffray-network JSON file").
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String, expected: String,
                                            decoder: JSONDecoder = JSONDecoder()) throws -> T {
        let bytes = [UInt8](data)
        if let (offset, problem) = syntaxError(bytes) {
            throw ModelFileError(path: place(path, bytes, offset), "not valid JSON: \(problem); expected \(expected)")
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            let (codingPath, message): ([CodingKey], String)
            switch error {
            case let .keyNotFound(key, c):
                codingPath = c.codingPath
                message = "missing key '\(keyPath(c.codingPath + [key]))'"
            case let .typeMismatch(t, c):
                codingPath = c.codingPath
                message = "\(describe(t)) expected at '\(keyPath(c.codingPath))'"
            case let .valueNotFound(t, c):
                codingPath = c.codingPath
                message = "null where \(describe(t)) is expected at '\(keyPath(c.codingPath))'"
            case let .dataCorrupted(c):
                codingPath = c.codingPath
                let detail = c.debugDescription.split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid value"
                message = codingPath.isEmpty ? detail : "\(detail) at '\(keyPath(c.codingPath))'"
            @unknown default:
                codingPath = []
                message = "cannot decode"
            }
            let offset = location(of: codingPath, in: bytes) ?? 0
            throw ModelFileError(path: place(path, bytes, offset), "\(message); expected \(expected)")
        }
    }

    /// `a.b[2].c` for a coding path.
    public static func keyPath(_ path: [CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue, key.stringValue.hasPrefix("Index") {
                out += "[\(i)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out.isEmpty ? "(top level)" : out
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type, is UInt64.Type, is Int32.Type, is UInt32.Type, is Int64.Type: return "an integer"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a \(name)"
        }
    }

    /// `path:line:column` of byte `offset`.
    public static func place(_ path: String, _ bytes: [UInt8], _ offset: Int) -> String {
        var line = 1, column = 1
        for b in bytes.prefix(max(0, min(offset, bytes.count))) {
            if b == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return "\(path):\(line):\(column)"
    }

    /// The byte offset where the value at `codingPath` starts (or, if the path leaves
    /// the document, where the deepest container on it starts); nil for invalid JSON.
    public static func location(of codingPath: [CodingKey], in bytes: [UInt8]) -> Int? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipSpace()
        var found = scanner.offset
        for key in codingPath {
            scanner.skipSpace()
            guard scanner.offset < bytes.count else { return found }
            found = scanner.offset
            switch bytes[scanner.offset] {
            case UInt8(ascii: "{"):
                guard let at = scanner.member(key.stringValue) else { return found }
                scanner.offset = at
            case UInt8(ascii: "["):
                guard let index = key.intValue, let at = scanner.element(index) else { return found }
                scanner.offset = at
            default:
                return found
            }
        }
        scanner.skipSpace()
        return scanner.offset
    }

    /// The offset and description of the first syntax error, or nil for valid JSON.
    public static func syntaxError(_ bytes: [UInt8]) -> (Int, String)? {
        var scanner = Scanner(bytes: bytes)
        do {
            scanner.skipSpace()
            try scanner.skipValue(depth: 0)
            scanner.skipSpace()
            if scanner.offset < bytes.count { throw Scanner.Failure(offset: scanner.offset, problem: "text after the end of the document") }
            return nil
        } catch let f as Scanner.Failure {
            return (f.offset, f.problem)
        } catch {
            return (scanner.offset, "invalid")
        }
    }

    struct Scanner {
        struct Failure: Error { var offset: Int; var problem: String }
        let bytes: [UInt8]
        var offset = 0

        mutating func skipSpace() {
            while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
        }

        func fail(_ problem: String) -> Failure { Failure(offset: offset, problem: problem) }

        func character() -> String {
            guard offset < bytes.count else { return "the end of the file" }
            let b = bytes[offset]
            return b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : String(format: "byte 0x%02X", b)
        }

        mutating func expect(_ c: UInt8) throws {
            guard offset < bytes.count, bytes[offset] == c else {
                throw fail("expected '\(Character(Unicode.Scalar(c)))', found \(character())")
            }
            offset += 1
        }

        mutating func skipValue(depth: Int) throws {
            guard depth < JSONFile.maximumDepth else { throw fail("nested deeper than \(JSONFile.maximumDepth) levels") }
            guard offset < bytes.count else { throw fail("expected a value, found the end of the file") }
            switch bytes[offset] {
            case UInt8(ascii: "{"):
                offset += 1; skipSpace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") { offset += 1; return }
                while true {
                    skipSpace()
                    guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail("expected a key string, found \(character())") }
                    _ = try string()
                    skipSpace(); try expect(UInt8(ascii: ":")); skipSpace()
                    try skipValue(depth: depth + 1)
                    skipSpace()
                    if offset < bytes.count, bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                    try expect(UInt8(ascii: "}")); return
                }
            case UInt8(ascii: "["):
                offset += 1; skipSpace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") { offset += 1; return }
                while true {
                    skipSpace()
                    try skipValue(depth: depth + 1)
                    skipSpace()
                    if offset < bytes.count, bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                    try expect(UInt8(ascii: "]")); return
                }
            case UInt8(ascii: "\""):
                _ = try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = offset
                while offset < bytes.count, "+-.eE0123456789".utf8.contains(bytes[offset]) { offset += 1 }
                let text = String(decoding: bytes[start..<offset], as: UTF8.self)
                if Double(text) == nil { offset = start; throw fail("'\(text)' is not a number") }
            default:
                throw fail("expected a value, found \(character())")
            }
        }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            guard offset + w.count <= bytes.count, Array(bytes[offset..<offset + w.count]) == w else {
                throw fail("expected a value, found \(character())")
            }
            offset += w.count
        }

        /// Skips a string (the offset at its opening quote) and returns its raw bytes.
        mutating func string() throws -> ArraySlice<UInt8> {
            let start = offset
            offset += 1
            while offset < bytes.count {
                let b = bytes[offset]
                if b == UInt8(ascii: "\"") { offset += 1; return bytes[(start + 1)..<(offset - 1)] }
                if b == UInt8(ascii: "\\") { offset += 2; continue }
                if b < 0x20 { throw fail("control character \(String(format: "0x%02X", b)) inside a string") }
                offset += 1
            }
            offset = start
            throw fail("string not closed")
        }

        /// The offset of the value of member `key` of the object at the current offset.
        mutating func member(_ key: String) -> Int? {
            let wanted = Array(key.utf8)
            offset += 1
            while true {
                skipSpace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { return nil }
                guard let name = try? string() else { return nil }
                skipSpace()
                guard (try? expect(UInt8(ascii: ":"))) != nil else { return nil }
                skipSpace()
                if Array(name) == wanted { return offset }
                guard (try? skipValue(depth: 0)) != nil else { return nil }
                skipSpace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: ",") else { return nil }
                offset += 1
            }
        }

        /// The offset of element `index` of the array at the current offset.
        mutating func element(_ index: Int) -> Int? {
            offset += 1
            var i = 0
            while true {
                skipSpace()
                if i == index { return offset < bytes.count ? offset : nil }
                guard (try? skipValue(depth: 0)) != nil else { return nil }
                skipSpace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: ",") else { return nil }
                offset += 1
                i += 1
            }
        }
    }
}
