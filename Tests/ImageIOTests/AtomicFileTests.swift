import Foundation
import TestSupport
import Testing
import ImageIO

@Suite struct AtomicFileTests {
    @Test func writesTheBytesAndLeavesNoTemporaryFile() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let path = folder.file("a.json")
        try AtomicFile.write("{\"x\": 1}", to: path)
        #expect(try AtomicFile.read(path) == Array("{\"x\": 1}".utf8))
        #expect(folder.contents == ["a.json"])
    }

    @Test func replacesAnExistingFileWhole() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let path = folder.file("model.json")
        try AtomicFile.write([UInt8](repeating: 7, count: 100_000), to: path)
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        #expect(try AtomicFile.read(path) == [1, 2, 3])
        #expect(folder.contents == ["model.json"])
    }

    @Test func aMissingFolderIsAnErrorNamingTheFileAndLeavesNothing() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let path = folder.file("no/such/folder/out.png")
        let error = #expect(throws: ImageIOError.self) { try AtomicFile.write([1, 2, 3], to: path) }
        #expect(error?.path == path)
        #expect(error?.description.contains("does not exist") == true)
        #expect(error?.description.contains("\n") == false)
        #expect(folder.contents.isEmpty)
    }

    @Test func writingOverAFolderFailsAndCleansUp() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let target = folder.file("taken")
        try FileManager.default.createDirectory(atPath: target + "/inside", withIntermediateDirectories: true)
        #expect(throws: ImageIOError.self) { try AtomicFile.write([1], to: target) }
        #expect(folder.contents == ["taken"])
        #expect((try? FileManager.default.contentsOfDirectory(atPath: target)) == ["inside"])
    }

    @Test func readingAMissingFileNamesIt() {
        let error = #expect(throws: ImageIOError.self) { try AtomicFile.read("/nonexistent/x.bin") }
        #expect(error?.description == "/nonexistent/x.bin: no such file")
    }

    @Test func aFailedImageWriteLeavesNoFile() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let image = Image(width: 2, height: 2, fill: .white)
        #expect(throws: ImageIOError.self) { try image.write(to: folder.file("missing/a.png")) }
        #expect(throws: ImageIOError.self) { try image.write(to: folder.file("missing/a.exr")) }
        #expect(throws: ImageIOError.self) { try Image(width: 0, height: 0).write(to: folder.file("empty.png")) }
        #expect(folder.contents.isEmpty)
    }
}
