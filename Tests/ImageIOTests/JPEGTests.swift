import Foundation
import TestSupport
import Testing
import ImageIO

@Suite("JPEG")
struct JPEGTests {
    /// The 8-bit samples libjpeg-turbo gives for the four blocks of
    /// `colourJPEG`, as Mitsuba 3.9.1's `mi.Bitmap` reads them (same library):
    /// within 1 of the source colours.
    static let mitsubaSamples: [(UInt8, UInt8, UInt8)] = [(200, 30, 59), (10, 180, 91), (128, 128, 128), (250, 250, 4)]

    @Test func colourFileDecodesToKnownPixels() throws {
        let jpeg = try JPEGImage.decode(JPEGHDRFixtures.colourJPEG, name: "colour.jpg")
        #expect(jpeg.width == 16 && jpeg.height == 16 && jpeg.channels == 3)
        let image = jpeg.image()
        for (b, corner) in [(0, 0), (15, 0), (0, 15), (15, 15)].enumerated() {
            let p = corner.1 * 16 + corner.0
            let want = Self.mitsubaSamples[b], source = JPEGHDRFixtures.blocks[b]
            let got = (jpeg.samples[3 * p], jpeg.samples[3 * p + 1], jpeg.samples[3 * p + 2])
            #expect(got == want, "block \(b)")
            #expect(abs(Int(got.0) - Int(source.0)) <= 1 && abs(Int(got.1) - Int(source.1)) <= 1 && abs(Int(got.2) - Int(source.2)) <= 1)
            // Linear values: the exact sRGB curve of the samples (Mitsuba's raw = false).
            #expect(image.pixels[3 * p] == Float(SRGB.toLinear(Double(want.0) / 255)))
            #expect(image.pixels[3 * p + 2] == Float(SRGB.toLinear(Double(want.2) / 255)))
            #expect(jpeg.image(raw: true).pixels[3 * p + 1] == Float(want.1) / 255)
        }
    }

    @Test func greyFileFillsThreeChannels() throws {
        let jpeg = try JPEGImage.decode(JPEGHDRFixtures.greyJPEG, name: "grey.jpg")
        #expect(jpeg.channels == 1)
        let image = jpeg.image()
        // Block 2 is mid grey (128): luma 128.
        let p = 15 * 16
        #expect(abs(Int(jpeg.samples[p]) - 128) <= 1)
        #expect(image.pixels[3 * p] == image.pixels[3 * p + 1] && image.pixels[3 * p + 1] == image.pixels[3 * p + 2])
    }

    @Test func writeAndReadBack() throws {
        let folder = ScratchFolder()
        defer { folder.remove() }
        var image = Image(width: 24, height: 16)
        for i in 0..<(24 * 16) { image.pixels[3 * i] = 0.5; image.pixels[3 * i + 1] = 0.25; image.pixels[3 * i + 2] = 0.05 }
        try image.write(to: folder.file("a.jpg"))
        let back = try Image.read(from: folder.file("a.jpg"))
        #expect(back.width == 24 && back.height == 16)
        let c = SRGB.encode8(0.5)
        #expect(abs(Int(SRGB.encode8(back.pixels[0])) - Int(c)) <= 2)
    }

    /// Malformed files end as one error naming the file and the byte offset.
    @Test func malformedFilesAreOneLineErrors() throws {
        let good = JPEGHDRFixtures.colourJPEG
        func message(_ bytes: [UInt8]) -> String {
            do { _ = try JPEGImage.decode(bytes, name: "bad.jpg"); return "accepted" } catch { return "\(error)" }
        }
        let empty = message([])
        #expect(empty.hasPrefix("bad.jpg: not a JPEG file"), "\(empty)")
        let wrong = message(Array("GIF89a".utf8) + good)
        #expect(wrong.contains("not a JPEG file") && wrong.contains("byte 0"), "\(wrong)")
        let truncated = message(Array(good.prefix(good.count / 2)))
        #expect(truncated.hasPrefix("bad.jpg: ") && truncated.contains("at byte"), "\(truncated)")
        let header = message(Array(good.prefix(40)))
        #expect(header.hasPrefix("bad.jpg: ") && header.contains("at byte"), "\(header)")
        // Huge dimensions: the SOF marker's height and width set to 60000.
        var huge = good
        let sof = try #require((0..<(huge.count - 9)).first { huge[$0] == 0xFF && (huge[$0 + 1] == 0xC0 || huge[$0 + 1] == 0xC1) })
        huge[sof + 5] = 0xEA; huge[sof + 6] = 0x60; huge[sof + 7] = 0xEA; huge[sof + 8] = 0x60
        let big = message(huge)
        #expect(big.contains("60000x60000") && big.contains("over the limit") && big.contains("at byte"), "\(big)")
        for m in [empty, wrong, truncated, header, big] { #expect(!m.contains("\n")) }
    }
}
