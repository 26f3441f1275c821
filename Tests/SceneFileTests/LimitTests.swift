import Foundation
import SceneFile
import TestSupport
import Testing

@Suite struct SceneLimitTests {
    @Test func aMillionNestedIncludesStopAtTheIncludeLimit() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests"); defer { dir.remove() }
        let names = ["a", "b", "c", "d"]
        for (k, name) in names.dropLast().enumerated() {
            try dir.write(name + ".xml", scene(String(repeating: "<include filename=\"\(names[k + 1]).xml\"/>\n", count: 32)))
        }
        try dir.write("d.xml", scene("<shape type=\"sphere\"/>"))
        let start = Date()
        expectError(["c.xml:", "more than 1000 <include>s"]) {
            _ = try SceneDescription(path: dir.path + "/a.xml")
        }
        #expect(Date().timeIntervalSince(start) < 5)
        // A few includes are fine.
        try dir.write("few.xml", scene(String(repeating: "<include filename=\"d.xml\"/>\n", count: 3)))
        #expect(try SceneDescription(path: dir.path + "/few.xml").shapes.count == 3)
    }

    @Test func anIncludeOfADeviceIsRefused() throws {
        expectError(["/dev/zero", "not a regular file"]) {
            _ = try parse("<include filename=\"/dev/zero\"/>")
        }
    }

    @Test func unknownDefinesAreNamedWithTheDefaults() throws {
        let body = "<default name=\"spp\" value=\"4\"/><default name=\"res\" value=\"8\"/>"
            + "<shape type=\"sphere\"><float name=\"radius\" value=\"$r\"/></shape>"
        let known = try parse(body, defines: ["spp": "16", "r": "2"])
        #expect(known.unknownDefines.isEmpty)
        try known.checkDefines()
        let unknown = try parse(body, defines: ["nosuchkey": "5", "r": "2"])
        #expect(unknown.unknownDefines == ["nosuchkey"])
        #expect(unknown.defaults == ["spp": "4", "res": "8"])
        expectError(["-D nosuchkey:", "no parameter 'nosuchkey'", "res=8, spp=4"]) { try unknown.checkDefines() }
    }
}
