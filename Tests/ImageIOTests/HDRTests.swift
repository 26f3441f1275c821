import Foundation
import TestSupport
import Testing
import ImageIO

@Suite("Radiance HDR")
struct HDRTests {
    /// Linear values of RGBE pixels: (r, g, b) · 2^(e − 136), 0 when e is 0
    /// (what Mitsuba 3.9.1's `mi.Bitmap` reads from the same files).
    static func expected(_ rgbe: [UInt8]) -> [Float] {
        var out = [Float]()
        for p in 0..<(rgbe.count / 4) {
            let e = Int(rgbe[4 * p + 3])
            for c in 0..<3 { out.append(e == 0 ? 0 : Float(rgbe[4 * p + c]) * Float(ldexp(1.0, Int32(e - 136)))) }
        }
        return out
    }

    @Test func runLengthEncodedFile() throws {
        let image = try HDR.decode(JPEGHDRFixtures.rleHDR, name: "rle.hdr")
        #expect(image.width == 20 && image.height == 3)
        #expect(image.pixels == Self.expected(JPEGHDRFixtures.rleRGBE))
    }

    @Test func flatFile() throws {
        let image = try HDR.decode(JPEGHDRFixtures.flatHDR, name: "flat.hdr")
        #expect(image.width == 3 && image.height == 2)
        #expect(image.pixels == Self.expected(JPEGHDRFixtures.flatRGBE))
    }

    /// Writing keeps 8 bits of mantissa: relative error below 2^-7 of the largest component.
    @Test func writeAndReadBack() throws {
        let folder = ScratchFolder()
        defer { folder.remove() }
        var rng = SplitMix64(seed: 5)
        var image = Image(width: 37, height: 5)
        for i in image.pixels.indices { image.pixels[i] = Float(rng.unit() * 100) }
        image.pixels[0] = 0
        try image.write(to: folder.file("a.hdr"))
        let back = try Image.read(from: folder.file("a.hdr"))
        #expect(back.width == 37 && back.height == 5)
        for p in 0..<(37 * 5) {
            let m = max(image.pixels[3 * p], max(image.pixels[3 * p + 1], image.pixels[3 * p + 2]))
            for c in 0..<3 { #expect(abs(back.pixels[3 * p + c] - image.pixels[3 * p + c]) <= m / 128) }
        }
        #expect(back.pixels[0] == 0)
    }

    @Test(arguments: [
        ("", "not a Radiance .hdr file (the file is empty) (at byte 0)"),
        ("P6\n1 1\n255\n", "not a Radiance .hdr file"),
        ("#?RADIANCE\nFORMAT=32-bit_rle_xyze\n\n-Y 1 +X 1\n\0\0\0\0", "unsupported .hdr format '32-bit_rle_xyze'"),
        ("#?RADIANCE\nEXPOSURE=2\n\n-Y 1 +X 1\n\0\0\0\0", "unsupported .hdr EXPOSURE"),
        ("#?RADIANCE\n\n+Y 1 +X 1\n\0\0\0\0", "unsupported .hdr resolution line '+Y 1 +X 1'"),
        ("#?RADIANCE\n\n-Y 100000 +X 100000\n", "over the limit of 268435456 pixels (at byte 12)"),
        ("#?RADIANCE\n\n-Y 10000 +X 10000\n\u{2}\u{2}", "truncated: 10000x10000 pixels need at least"),
        ("#?RADIANCE\n\n-Y 2 +X 2\n\0\0\0\0", "truncated"),
        ("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n", "header ends before its resolution line"),
    ])
    func malformedFilesAreOneLineErrors(text: String, expected: String) {
        do {
            _ = try HDR.decode(Array(text.utf8), name: "bad.hdr")
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            let m = "\(error)"
            #expect(m.hasPrefix("bad.hdr: ") && m.contains(expected) && m.contains("at byte") && !m.contains("\n"), "\(m)")
        }
    }

    /// Run-length data that overruns its scanline or ends early.
    @Test func corruptRunsAreRefused() {
        let good = JPEGHDRFixtures.rleHDR
        let header = Array("#?RADIANCE\n\n-Y 1 +X 8\n".utf8)
        let overrun = header + [2, 2, 0, 8, 128 + 9, 1] + [UInt8](repeating: 0, count: 40)
        let cut = Array(good.prefix(good.count - 5))
        for (bytes, what) in [(overrun, "overruns scanline 0"), (cut, "truncated")] {
            do {
                _ = try HDR.decode(bytes, name: "bad.hdr")
                Issue.record("accepted \(what)")
            } catch {
                #expect("\(error)".contains(what) && "\(error)".contains("at byte"), "\(error)")
            }
        }
    }
}
