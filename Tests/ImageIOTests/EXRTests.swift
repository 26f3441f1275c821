import Foundation
import TestSupport
import Testing
import ImageIO

@Suite struct EXRTests {
    static func randomImage(width: Int, height: Int, seed: UInt64) -> Image {
        var rng = SplitMix64(seed: seed)
        return Image(width: width, height: height) { _, _ in
            func value() -> Float {
                // Signed values over many magnitudes, HDR-like.
                Float((rng.unit() - 0.2) * pow(10, rng.unit() * 8 - 4))
            }
            return LinearRGB(value(), value(), value())
        }
    }

    @Test(arguments: [EXRCompression.none, .zip, .piz])
    func float32RoundTripIsExact(compression: EXRCompression) throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let image = Self.randomImage(width: 41, height: 37, seed: 1)
        let path = folder.file("f.exr")
        try EXR.write(image, to: path, compression: compression)
        let back = try Image.read(from: path)
        #expect(back == image)
        #expect(folder.contents == ["f.exr"])
    }

    @Test func halfRoundTripIsWithinHalfPrecision() throws {
        let folder = ScratchFolder(); defer { folder.remove() }
        let image = Self.randomImage(width: 19, height: 33, seed: 2).map { max(min($0, 60000), -60000) }
        let path = folder.file("h.exr")
        try image.writeEXR(to: path, pixelType: .half)
        let back = try Image.read(from: path)
        #expect(back.width == 19 && back.height == 33)
        for i in 0..<image.pixels.count {
            let a = image.pixels[i], b = back.pixels[i]
            // 11 significant bits: relative error ≤ 2^-11, absolute ≤ 2^-25 for subnormals.
            #expect(abs(a - b) <= max(abs(a) * 0x1p-11, 0x1p-25))
            #expect(b == Float(halfBits: a.halfBits))
        }
    }

    #if arch(x86_64) || arch(arm64)
    @Test func halfConversionAgreesWithFloat16() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = Float(halfBits: bits)
            #expect(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN))
            if !got.isNaN && got.halfBits != bits { Issue.record("halfBits(\(got)) != \(bits)") }
        }
        var rng = SplitMix64(seed: 5)
        for _ in 0..<100_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if f.isNaN { continue }
            #expect(f.halfBits == Float16(f).bitPattern)
        }
    }
    #endif

    @Test func readsMitsubasFloat32AndHalfFiles() throws {
        let float32 = try EXR.decode(Array(Data(base64Encoded: MitsubaFixtures.float32EXRBase64)!), name: "mitsuba-float.exr")
        #expect(float32.width == 8 && float32.height == 6)
        #expect(float32.pixels == MitsubaFixtures.float32Values)
        let half = try EXR.decode(Array(Data(base64Encoded: MitsubaFixtures.halfEXRBase64)!), name: "mitsuba-half.exr")
        #expect(half.pixels == MitsubaFixtures.halfValues)
        #expect(float32.relativeError(to: half).max < 0x1p-10)
    }

    @Test func truncatedEXRsAreErrorsNamingTheFile() throws {
        for bytes in [try EXR.encode(Self.randomImage(width: 8, height: 40, seed: 3)),
                      Array(Data(base64Encoded: MitsubaFixtures.float32EXRBase64)!)] {
            for length in 0..<bytes.count {
                let error = #expect(throws: ImageIOError.self) { try EXR.decode(Array(bytes[0..<length]), name: "cut.exr") }
                #expect(error?.path == "cut.exr")
                #expect(error?.description.contains("\n") == false)
            }
        }
    }

    @Test func corruptEXRsAreErrorsNotCrashes() throws {
        let bytes = try EXR.encode(Self.randomImage(width: 16, height: 20, seed: 4), compression: .zip)
        // A channel type no EXR has.
        var badType = bytes
        let channels = Array("chlist".utf8)
        let at = (0..<(bytes.count - channels.count)).first { Array(bytes[$0..<($0 + channels.count)]) == channels }!
        badType[at + channels.count + 1 + 4 + 2] = 9  // first channel's pixel type
        let e1 = #expect(throws: ImageIOError.self) { try EXR.decode(badType, name: "bad.exr") }
        #expect(e1?.description.hasPrefix("bad.exr: ") == true)
        // Damaged compressed data or offsets: an error or some image, never a crash.
        var rng = SplitMix64(seed: 11)
        var errors = 0
        for _ in 0..<300 {
            var damaged = bytes
            for _ in 0..<4 {
                let i = Int(rng.next() % UInt64(bytes.count - 8)) + 8
                damaged[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
            do { _ = try EXR.decode(damaged, name: "damaged.exr") } catch is ImageIOError { errors += 1 }
        }
        #expect(errors > 0)
        let e2 = #expect(throws: ImageIOError.self) { try EXR.decode(Array("not an exr".utf8), name: "t.exr") }
        #expect(e2?.description == "t.exr: not an EXR file (no OpenEXR magic number)")
    }

    @Test func missingFileAndUnknownExtension() {
        let e1 = #expect(throws: ImageIOError.self) { try Image.read(from: "/no/such/render.exr") }
        #expect(e1?.description == "/no/such/render.exr: no such file")
        let e2 = #expect(throws: ImageIOError.self) { try Image.read(from: "render.tiff") }
        #expect(e2?.description.hasPrefix("render.tiff: unknown image file extension") == true)
    }
}
