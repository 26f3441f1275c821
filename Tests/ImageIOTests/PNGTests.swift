import Foundation
import TestSupport
import Testing
import ImageIO

@Suite struct PNGTests {
    static func randomPNG(width: Int, height: Int, channels: Int, bitDepth: Int, seed: UInt64) -> PNGImage {
        var rng = SplitMix64(seed: seed)
        let top: UInt64 = bitDepth == 8 ? 256 : 65536
        let samples = (0..<(width * height * channels)).map { _ in UInt16(rng.next() % top) }
        return PNGImage(width: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
    }

    @Test(arguments: [1, 2, 3, 4])
    func eightBitRoundTripIsBitExact(channels: Int) throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let original = Self.randomPNG(width: 37, height: 11, channels: channels, bitDepth: 8, seed: UInt64(channels))
        let path = folder.file("eight-\(channels).png")
        try original.write(to: path)
        let back = try PNGImage.read(from: path)
        #expect(back == original)
        #expect(folder.contents == ["eight-\(channels).png"])
    }

    /// Grey and RGB at 16 bits are exact. With alpha, libpng's simplified API hands over
    /// colour premultiplied by alpha, so exactness needs opaque pixels.
    @Test(arguments: [1, 2, 3, 4])
    func sixteenBitRoundTripIsBitExact(channels: Int) throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        var original = Self.randomPNG(width: 23, height: 17, channels: channels, bitDepth: 16, seed: 100 + UInt64(channels))
        if channels == 2 || channels == 4 {
            for p in 0..<(23 * 17) { original.samples[p * channels + channels - 1] = 65535 }
        }
        let path = folder.file("sixteen.png")
        try original.write(to: path)
        let back = try PNGImage.read(from: path)
        #expect(back == original)
    }

    @Test func imageThroughEightBitPNGKeepsItsCodes() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        // Every 8-bit code in every channel: decode → Image → encode gives the same codes.
        let codes = PNGImage(width: 256, height: 1, channels: 3, bitDepth: 8,
                             samples: (0..<256).flatMap { (k: Int) -> [UInt16] in
                                 [UInt16(k), UInt16(255 - k), UInt16((k * 7) % 256)]
                             })
        let path = folder.file("codes.png")
        try codes.write(to: path)
        let image = try Image.read(from: path)
        #expect(image[0, 0] == LinearRGB(0, 1, 0))
        try image.write(to: path)
        #expect(try PNGImage.read(from: path) == codes)
    }

    @Test func imageThroughSixteenBitPNGIsWithinHalfAStep() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        var rng = SplitMix64(seed: 7)
        let image = Image(width: 9, height: 5) { _, _ in LinearRGB(Float(rng.unit()), Float(rng.unit()), Float(rng.unit())) }
        let path = folder.file("linear.png")
        try image.writePNG16(to: path)
        let back = try Image.readPNG(from: path)
        let stored = try PNGImage.read(from: path)
        #expect(stored.bitDepth == 16)
        for i in 0..<image.pixels.count {
            #expect(abs(back.pixels[i] - image.pixels[i]) <= 0.5 / 65535 + 1e-7)
        }
        // And the second trip is exact.
        try back.writePNG16(to: path)
        #expect(try Image.readPNG(from: path) == back)
    }

    @Test func exposureAndToneMapping() throws {
        let image = Image(width: 1, height: 1, fill: LinearRGB(0.25, 2, -1))
        let codes = PNGImage(srgb8: image, exposure: 1).samples
        #expect(codes == [UInt16(SRGB.encode8(0.5)), 255, 0])
        let reinhard = PNGImage(srgb8: Image(width: 1, height: 1, fill: LinearRGB(gray: 1)), toneMap: .reinhard)
        #expect(reinhard.samples[0] == UInt16(SRGB.encode8(0.5)))
        let nan = PNGImage(srgb8: Image(width: 1, height: 1, fill: LinearRGB(.nan, .infinity, 0.5)))
        #expect(nan.samples == [0, 255, 188])
    }

    @Test func alphaIsCompositedOverBlack() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let half = PNGImage(width: 1, height: 1, channels: 4, bitDepth: 8, samples: [255, 255, 255, 128])
        try half.write(to: folder.file("a.png"))
        let image = try Image.read(from: folder.file("a.png"))
        #expect(abs(image[0, 0].r - 128.0 / 255) < 1e-6)
        let grey = PNGImage(width: 1, height: 1, channels: 1, bitDepth: 16, samples: [32768])
        try grey.write(to: folder.file("g.png"))
        #expect(try Image.read(from: folder.file("g.png"))[0, 0] == LinearRGB(gray: 32768.0 / 65535))
    }

    @Test func truncatedPNGsAreErrorsNamingTheFile() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let bytes = try Self.randomPNG(width: 16, height: 16, channels: 3, bitDepth: 8, seed: 3).encoded()
        let path = folder.file("cut.png")
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            try AtomicFile.write(Array(bytes[0..<length]), to: path)
            let error = #expect(throws: ImageIOError.self) { try PNGImage.read(from: path) }
            #expect(error?.path == path)
            #expect(error?.description.contains("\n") == false)
        }
        // Every prefix through the in-memory decoder too.
        for length in 0..<bytes.count {
            #expect(throws: ImageIOError.self) { try PNGImage.decode(Array(bytes[0..<length]), name: "cut.png") }
        }
    }

    @Test func corruptPNGsAreErrorsWithLibpngsMessage() throws {
        let bytes = try Self.randomPNG(width: 16, height: 16, channels: 3, bitDepth: 8, seed: 4).encoded()
        // A damaged IHDR (its CRC no longer matches).
        var header = bytes; header[17] ^= 0xFF
        let e1 = #expect(throws: ImageIOError.self) { try PNGImage.decode(header, name: "bad-header.png") }
        #expect(e1?.description.hasPrefix("bad-header.png: corrupt PNG header (libpng: ") == true)
        // Damaged image data: flip bytes in the middle of IDAT.
        var data = bytes
        for k in 0..<8 { data[bytes.count / 2 + k] ^= 0x5A }
        let e2 = #expect(throws: ImageIOError.self) { try PNGImage.decode(data, name: "bad-data.png") }
        #expect(e2?.description.contains("libpng: ") == true)
        // Not a PNG at all.
        let e3 = #expect(throws: ImageIOError.self) { try PNGImage.decode(Array("hello".utf8), name: "t.png") }
        #expect(e3?.description == "t.png: not a PNG file (no PNG signature)")
        // Random bytes after a valid signature never crash.
        var rng = SplitMix64(seed: 9)
        for _ in 0..<200 {
            var junk = Array(bytes[0..<8])
            junk += (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(throws: ImageIOError.self) { try PNGImage.decode(junk, name: "junk.png") }
        }
    }

    @Test func missingFileIsAnErrorNamingIt() {
        let error = #expect(throws: ImageIOError.self) { try Image.read(from: "/no/such/dir/image.png") }
        #expect(error?.description == "/no/such/dir/image.png: no such file")
    }
}
