import Foundation
import SceneFile
import TestSupport
import Testing

@Suite struct XMLTests {
    @Test func commentsDeclarationsQuotesAndEntities() throws {
        let xml = """
        <?xml version="1.0"?>
        <!-- a comment with <tags> & stuff -->
        <scene version='3.0.0'>
            <!-- inside -->
            <shape type="obj" id='a&amp;b&#x41;&#66;&lt;&gt;&quot;&apos;'>
                <string name="filename" value="m.obj"/>
            </shape>
        </scene>
        """
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        try dir.write("m.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        let s = try SceneDescription(xml: xml, directory: dir.path)
        #expect(s.shapes.first?.id == "a&bAB<>\"'")
    }

    @Test func malformedXMLGivesLineAndColumn() {
        // Mismatched closing tag on line 3, column 5.
        expectError(["test.xml:3:5:", "</bsdf>", "<shape>"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0\">\n<shape type=\"sphere\">\n    </bsdf>\n</scene>", file: "test.xml")
        }
        // Unterminated attribute value.
        expectError(["test.xml:2:1:", "'<' inside the value of attribute 'version'"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0>\n</scene>", file: "test.xml")
        }
        expectError(["test.xml:1:16:", "unterminated value"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0", file: "test.xml")
        }
        // Unclosed root.
        expectError(["test.xml:1:1:", "never closed"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0\">\n<shape type=\"sphere\"/>\n", file: "test.xml")
        }
        // Stray text, unknown entity, duplicate attribute, missing quotes, second root, garbage.
        expectError(["test.xml:2:", "unexpected text"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0\">\nhello\n</scene>", file: "test.xml")
        }
        expectError(["test.xml:1:", "unknown entity &foo;"]) {
            _ = try SceneDescription(xml: "<scene version=\"&foo;\"></scene>", file: "test.xml")
        }
        expectError(["test.xml:1:24:", "repeated"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0\" version=\"3.0.0\"></scene>", file: "test.xml")
        }
        expectError(["test.xml:1:16:", "quoted"]) {
            _ = try SceneDescription(xml: "<scene version=3></scene>", file: "test.xml")
        }
        expectError(["second root"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0\"></scene><scene version=\"3.0.0\"></scene>", file: "test.xml")
        }
        expectError(["test.xml:1:1:", "outside the root"]) {
            _ = try SceneDescription(xml: "\u{7F}ELF\u{01}", file: "test.xml")
        }
        expectError(["no root element"]) {
            _ = try SceneDescription(xml: "<!-- only a comment -->", file: "test.xml")
        }
        expectError(["unterminated comment"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0\"><!-- oops </scene>", file: "test.xml")
        }
    }

    @Test func columnsCountCharactersNotBytes() {
        expectError(["test.xml:2:10:", "unexpected text"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0\">\n<!--éé-->x</scene>", file: "test.xml")
        }
    }

    @Test func externalEntitiesAreNeverExpanded() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        let secret = try dir.write("secret.txt", "SECRET")
        let xml = """
        <?xml version="1.0"?>
        <!DOCTYPE scene [ <!ENTITY xxe SYSTEM "file://\(secret)"> ]>
        <scene version="3.0.0"><shape type="sphere" id="&xxe;"/></scene>
        """
        guard let e = error({ _ = try SceneDescription(xml: xml, file: "x.xml") }) else {
            Issue.record("a DOCTYPE with an external entity must be refused")
            return
        }
        #expect(e.description.hasPrefix("x.xml:2:1:"))
        #expect(e.description.contains("DOCTYPE"))
        #expect(!e.description.contains("SECRET"))
        // Without the DOCTYPE the entity is simply unknown.
        expectError(["unknown entity &xxe;"]) {
            _ = try SceneDescription(xml: "<scene version=\"3.0.0\"><shape type=\"sphere\" id=\"&xxe;\"/></scene>")
        }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "<a>", count: 5000) + String(repeating: "</a>", count: 5000)
        expectError(["nested deeper"]) { _ = try SceneDescription(xml: "<scene version=\"3.0.0\">" + deep + "</scene>") }
    }
}
