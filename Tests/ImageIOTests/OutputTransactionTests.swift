import Foundation
import TestSupport
import Testing
import ImageIO

@Suite struct OutputTransactionTests {
    @Test func commitRenamesEveryFileTogether() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let png = folder.file("out.png"), exr = folder.file("out.exr")
        let image = Image(width: 2, height: 2, fill: .white)
        let outputs = try OutputTransaction.begin([png, exr])
        // Reserved: hidden temporary files only, no destination yet.
        #expect(folder.contents.count == 2 && folder.contents.allSatisfy { $0.hasPrefix(".") && $0.hasSuffix(".tmp") })
        try image.write(to: png)
        try image.writeEXR(to: exr)
        #expect(!fileExists(png) && !fileExists(exr))
        try outputs.commit()
        #expect(folder.contents == ["out.exr", "out.png"])
        #expect(try Image.read(from: exr) == image)
    }

    @Test func aBadPathIsRefusedBeforeAnyWorkAndNothingIsLeft() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        try AtomicFile.write("old", to: folder.file("out.png"))
        let bad = folder.file("nodir/out.exr")
        let error = #expect(throws: ImageIOError.self) { try OutputTransaction.begin([folder.file("out.png"), bad]) }
        #expect(error?.path == bad)
        #expect(error?.description.contains("does not exist") == true)
        #expect(folder.contents == ["out.png"])
        #expect(try AtomicFile.read(folder.file("out.png")) == Array("old".utf8))
    }

    @Test func theSameFileTwiceAndAFolderAreRefused() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let twice = #expect(throws: ImageIOError.self) {
            try OutputTransaction.begin([folder.file("a.png"), folder.path + "/./a.png"])
        }
        #expect(twice?.reason.contains("twice") == true)
        try FileManager.default.createDirectory(atPath: folder.file("taken.png"), withIntermediateDirectories: false)
        let taken = #expect(throws: ImageIOError.self) { try OutputTransaction.begin([folder.file("taken.png")]) }
        #expect(taken?.reason.contains("folder") == true)
        #expect(folder.contents == ["taken.png"])
    }

    @Test func abortKeepsTheOldFilesAndRemovesTheTemporaryOnes() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let path = folder.file("model.json")
        try AtomicFile.write("old", to: path)
        let outputs = try OutputTransaction.begin([path, folder.file("plot.png")])
        try AtomicFile.write("new", to: path)
        outputs.abort()
        #expect(folder.contents == ["model.json"])
        #expect(try AtomicFile.read(path) == Array("old".utf8))
        // Once closed, writes to the path are plain atomic writes again.
        try AtomicFile.write("newer", to: path)
        #expect(try AtomicFile.read(path) == Array("newer".utf8))
    }

    @Test func aReservedFileNeverWrittenLeavesItsDestinationAlone() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        try AtomicFile.write("old", to: folder.file("loss.png"))
        let outputs = try OutputTransaction.begin([folder.file("loss.png"), folder.file("params.json")])
        try AtomicFile.write("{}", to: folder.file("params.json"))
        try outputs.commit()
        #expect(folder.contents == ["loss.png", "params.json"])
        #expect(try AtomicFile.read(folder.file("loss.png")) == Array("old".utf8))
    }

    @Test func aTemporaryFileOfADeadProcessIsRemovedByTheNextWrite() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        // PID 2^22 + 1 is above Linux's pid_max default range in practice; check it is not alive.
        let deadPID: Int32 = 4_194_301
        guard kill(deadPID, 0) != 0 else { return }
        let stale = folder.file(".checkpoint.json.\(deadPID).12345.tmp")
        let unrelated = folder.file(".other.json.\(deadPID).12345.tmp")
        try Data([1]).write(to: URL(fileURLWithPath: stale))
        try Data([1]).write(to: URL(fileURLWithPath: unrelated))
        try AtomicFile.write("{}", to: folder.file("checkpoint.json"))
        #expect(folder.contents == [".other.json.\(deadPID).12345.tmp", "checkpoint.json"])
    }

    @Test func createFolderNamesTheOption() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        try OutputTransaction.createFolder(folder.file("a/b"), option: "--out-dir")
        #expect(folder.contents == ["a"])
        try AtomicFile.write("x", to: folder.file("file"))
        let error = #expect(throws: ImageIOError.self) { try OutputTransaction.createFolder(folder.file("file"), option: "--out-dir") }
        #expect(error?.description.hasPrefix("--out-dir ") == true)
        #expect(error?.description.contains("not a folder") == true)
    }
}

@Suite struct ReadLimitTests {
    @Test func aFileOverTheReadLimitIsRefusedBeforeReading() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        try AtomicFile.write([UInt8](repeating: 1, count: 1000), to: folder.file("big.bin"))
        let error = #expect(throws: ImageIOError.self) { try AtomicFile.read(folder.file("big.bin"), limit: 999) }
        #expect(error?.reason.contains("over the limit of 999 bytes") == true)
    }

    /// A PNG header claiming 100000 × 100000 pixels (a valid IHDR, an empty IDAT, IEND).
    static func hugePNG() -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            var crc: UInt32 = 0xFFFF_FFFF
            for b in body {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 != 0 ? 0xEDB8_8320 : 0) }
            }
            crc ^= 0xFFFF_FFFF
            func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
            return be(UInt32(data.count)) + body + be(crc)
        }
        let side: [UInt8] = [0, 0x01, 0x86, 0xA0]  // 100000
        let ihdr = side + side + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
    }

    @Test func aPNGHeaderOverThePixelLimitIsRefusedBeforeAllocation() throws {
        let start = Date()
        let error = #expect(throws: ImageIOError.self) { try PNGImage.decode(ReadLimitTests.hugePNG(), name: "huge.png") }
        #expect(error?.description.contains("huge.png") == true)
        #expect(error?.description.contains("limit of \(Image.maximumPixelCount) pixels") == true)
        #expect(Date().timeIntervalSince(start) < 2)
    }
}
