import Testing
import ImageIO

@Suite struct SRGBTests {
    @Test func everyEightBitCodeSurvivesDecodeAndEncode() {
        for k in 0..<256 {
            #expect(SRGB.encode8(SRGB.decodeTable[k]) == UInt8(k))
        }
    }

    @Test func curveRoundTripsAndKnownValues() {
        for i in 0...1000 {
            let v = Double(i) / 1000
            #expect(abs(SRGB.fromLinear(SRGB.toLinear(v)) - v) < 1e-12)
            #expect(abs(SRGB.toLinear(SRGB.fromLinear(v)) - v) < 1e-12)
        }
        #expect(abs(SRGB.fromLinear(0.5) - 0.735356983) < 1e-8)
        #expect(abs(SRGB.toLinear(0.5) - 0.214041140) < 1e-8)
        #expect(SRGB.toLinear(0.04045) == 0.04045 / 12.92)
        #expect(abs(SRGB.fromLinear(1.0) - 1) < 1e-15)
        // The two pieces meet (the standard's constants leave a gap below 1e-7).
        #expect(abs(SRGB.fromLinear(0.0031308) - SRGB.fromLinear(0.0031308.nextUp)) < 1e-7)
        #expect(SRGB.fromLinear(-0.5) == -SRGB.fromLinear(0.5))
    }

    @Test func imageConversionsAndExposure() {
        let image = Image(width: 2, height: 1) { x, _ in LinearRGB(gray: Float(x) * 0.25) }
        #expect(image.linearToSRGB().srgbToLinear().pixels.enumerated().allSatisfy { abs($0.element - image.pixels[$0.offset]) < 1e-6 })
        #expect(image.exposed(stops: 2)[1, 0] == LinearRGB(gray: 1))
        #expect(Image(width: 1, height: 1, fill: LinearRGB(3, -1, .nan)).toneMapped()[0, 0] == LinearRGB(1, 0, 0))
    }
}
