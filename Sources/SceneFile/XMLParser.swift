/// A small, strict XML parser for scene files. It never reads anything but
/// the text it is given: `<!DOCTYPE>` (and with it every entity declaration,
/// internal or external) is refused, so no entity is ever expanded or fetched.
/// Handles comments, processing instructions (`<?xml ...?>`), CDATA, attributes
/// quoted with ' or ", the five predefined entities and numeric character
/// references. Every error names file:line:column.
struct XMLAttribute: Sendable {
    var name: String
    var value: String
    var location: SourceLocation
}

struct XMLNode: Sendable {
    var name: String
    var attributes: [XMLAttribute]
    var children: [XMLNode]
    var location: SourceLocation

    func attribute(_ name: String) -> XMLAttribute? { attributes.first { $0.name == name } }
}

struct XMLReader {
    private let bytes: [UInt8]
    private let file: String
    private var pos = 0
    private var line = 1
    private var column = 1
    private static let maximumDepth = 200

    private init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// Parses a whole document and returns its root element.
    static func parse(_ text: String, file: String) throws -> XMLNode {
        var reader = XMLReader(bytes: Array(text.utf8), file: file)
        return try reader.document()
    }

    // MARK: Cursor

    private var here: SourceLocation { SourceLocation(file: file, line: line, column: column) }
    private var atEnd: Bool { pos >= bytes.count }
    private func peek(_ offset: Int = 0) -> UInt8? {
        pos + offset < bytes.count ? bytes[pos + offset] : nil
    }

    private mutating func advance() {
        let b = bytes[pos]
        pos += 1
        if b == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            // Count characters, not UTF-8 continuation bytes.
            column += 1
        }
    }

    private mutating func advance(_ n: Int) { for _ in 0..<n { advance() } }

    private func looking(at s: String) -> Bool {
        var i = pos
        for b in s.utf8 {
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
        }
        return true
    }

    private func fail(_ message: String, at location: SourceLocation? = nil) -> SceneFileError {
        SceneFileError("malformed XML: " + message, at: location ?? here)
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private mutating func skipSpace() { while let b = peek(), XMLReader.isSpace(b) { advance() } }

    private func describeHere() -> String {
        guard let b = peek() else { return "end of file" }
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return b < 0x80 ? "character 0x\(String(b, radix: 16))" : "a non-ASCII character"
    }

    // MARK: Grammar

    private mutating func document() throws -> XMLNode {
        if looking(at: "\u{FEFF}") { pos += 3 }
        var root: XMLNode?
        while true {
            skipSpace()
            if atEnd { break }
            if looking(at: "<?") {
                try processingInstruction()
            } else if looking(at: "<!--") {
                try comment()
            } else if looking(at: "<!DOCTYPE") || looking(at: "<!doctype") {
                throw fail("<!DOCTYPE> is not accepted in scene files (entities are never expanded)")
            } else if looking(at: "<!") {
                throw fail("unexpected '<!' outside the root element")
            } else if looking(at: "<") {
                if root != nil { throw fail("a second root element; a scene file has exactly one <scene>") }
                root = try element(depth: 0)
            } else {
                throw fail("unexpected \(describeHere()) outside the root element")
            }
        }
        guard let root else { throw fail("no root element (expected <scene version=\"3.0.0\">)") }
        return root
    }

    private mutating func processingInstruction() throws {
        let start = here
        advance(2)
        while !atEnd {
            if looking(at: "?>") { advance(2); return }
            advance()
        }
        throw fail("unterminated processing instruction '<?'", at: start)
    }

    private mutating func comment() throws {
        let start = here
        advance(4)
        while !atEnd {
            if looking(at: "-->") { advance(3); return }
            advance()
        }
        throw fail("unterminated comment '<!--'", at: start)
    }

    private static func isNameStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x3A || b >= 0x80
    }

    private static func isNameChar(_ b: UInt8) -> Bool {
        isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E
    }

    private mutating func name(_ what: String) throws -> String {
        guard let b = peek(), XMLReader.isNameStart(b) else {
            throw fail("expected \(what), found \(describeHere())")
        }
        let start = pos
        while let c = peek(), XMLReader.isNameChar(c) { advance() }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    private mutating func element(depth: Int) throws -> XMLNode {
        let start = here
        guard depth < XMLReader.maximumDepth else {
            throw fail("elements nested deeper than \(XMLReader.maximumDepth) levels")
        }
        advance() // <
        let tag = try name("an element name after '<'")
        var node = XMLNode(name: tag, attributes: [], children: [], location: start)
        // Attributes.
        while true {
            let hadSpace = peek().map(XMLReader.isSpace) ?? false
            skipSpace()
            guard let b = peek() else { throw fail("unterminated start tag <\(tag)>", at: start) }
            if b == UInt8(ascii: "/") {
                advance()
                guard peek() == UInt8(ascii: ">") else { throw fail("expected '>' after '/' in <\(tag)>, found \(describeHere())") }
                advance()
                return node
            }
            if b == UInt8(ascii: ">") { advance(); break }
            guard hadSpace else { throw fail("expected whitespace, '>' or '/>' in <\(tag)>, found \(describeHere())") }
            let attrLocation = here
            let attrName = try name("an attribute name or '>' in <\(tag)>")
            if node.attributes.contains(where: { $0.name == attrName }) {
                throw fail("attribute '\(attrName)' repeated in <\(tag)>", at: attrLocation)
            }
            skipSpace()
            guard peek() == UInt8(ascii: "=") else { throw fail("expected '=' after attribute '\(attrName)', found \(describeHere())") }
            advance()
            skipSpace()
            let value = try attributeValue(attrName)
            node.attributes.append(XMLAttribute(name: attrName, value: value, location: attrLocation))
        }
        // Content.
        while true {
            guard !atEnd else { throw fail("<\(tag)> is never closed (expected </\(tag)>)", at: start) }
            if looking(at: "</") {
                let closeLocation = here
                advance(2)
                let closing = try name("an element name after '</'")
                guard closing == tag else {
                    throw fail("</\(closing)> does not match <\(tag)> opened at line \(start.line), column \(start.column)", at: closeLocation)
                }
                skipSpace()
                guard peek() == UInt8(ascii: ">") else { throw fail("expected '>' to end </\(tag)>, found \(describeHere())") }
                advance()
                return node
            } else if looking(at: "<!--") {
                try comment()
            } else if looking(at: "<![CDATA[") {
                let cdataStart = here
                advance(9)
                var text: [UInt8] = []
                while true {
                    guard !atEnd else { throw fail("unterminated CDATA section", at: cdataStart) }
                    if looking(at: "]]>") { advance(3); break }
                    text.append(bytes[pos])
                    advance()
                }
                if !text.allSatisfy(XMLReader.isSpace) {
                    throw fail("unexpected text in <\(tag)> (values go in attributes, e.g. value=\"...\")", at: cdataStart)
                }
            } else if looking(at: "<!DOCTYPE") || looking(at: "<!doctype") {
                throw fail("<!DOCTYPE> is not accepted in scene files (entities are never expanded)")
            } else if looking(at: "<!") {
                throw fail("unexpected '<!' in <\(tag)>")
            } else if looking(at: "<?") {
                try processingInstruction()
            } else if peek() == UInt8(ascii: "<") {
                node.children.append(try element(depth: depth + 1))
            } else {
                try text(in: tag)
            }
        }
    }

    /// Character data between elements: only whitespace is meaningful in a
    /// scene file; entities are still checked so a bad one is reported.
    private mutating func text(in tag: String) throws {
        var start: SourceLocation?
        while let b = peek(), b != UInt8(ascii: "<") {
            if b == UInt8(ascii: "&") {
                if start == nil { start = here }
                _ = try reference()
                continue
            }
            if !XMLReader.isSpace(b), start == nil { start = here }
            advance()
        }
        if let start {
            throw fail("unexpected text in <\(tag)> (values go in attributes, e.g. value=\"...\")", at: start)
        }
    }

    private mutating func attributeValue(_ attrName: String) throws -> String {
        guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
            throw fail("expected a quoted value for attribute '\(attrName)', found \(describeHere())")
        }
        let start = here
        advance()
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { throw fail("unterminated value of attribute '\(attrName)'", at: start) }
            if b == quote { advance(); break }
            if b == UInt8(ascii: "<") { throw fail("'<' inside the value of attribute '\(attrName)' (write &lt;)") }
            if b == UInt8(ascii: "&") {
                out.append(contentsOf: try reference())
                continue
            }
            // Attribute-value normalization: literal tab/newline/CR become a space.
            out.append(XMLReader.isSpace(b) ? 0x20 : b)
            advance()
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#N;` `&#xH;`: anything else is refused.
    private mutating func reference() throws -> [UInt8] {
        let start = here
        advance() // &
        var body: [UInt8] = []
        while let b = peek(), b != UInt8(ascii: ";") {
            guard body.count < 12, !XMLReader.isSpace(b), b != UInt8(ascii: "<"), b != UInt8(ascii: "&"),
                  b != UInt8(ascii: "\""), b != UInt8(ascii: "'") else {
                throw fail("'&' must start an entity like &amp; or &#38; (ended by ';')", at: start)
            }
            body.append(b)
            advance()
        }
        guard peek() == UInt8(ascii: ";") else { throw fail("unterminated entity reference", at: start) }
        advance()
        let name = String(decoding: body, as: UTF8.self)
        switch name {
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "amp": return [UInt8(ascii: "&")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default: break
        }
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let code: UInt32?
            if digits.hasPrefix("x") || digits.hasPrefix("X") {
                code = digits.count > 1 ? UInt32(digits.dropFirst(), radix: 16) : nil
            } else {
                code = digits.isEmpty ? nil : UInt32(digits, radix: 10)
            }
            guard let code, code != 0, let scalar = Unicode.Scalar(code) else {
                throw fail("invalid character reference &\(name);", at: start)
            }
            return Array(String(Character(scalar)).utf8)
        }
        throw fail("unknown entity &\(name); (only &lt; &gt; &amp; &quot; &apos; and &#N; are accepted; entities are never expanded)", at: start)
    }
}
