import TestSupport
import Testing
import ImageIO

@Suite struct ImageTests {
    @Test func layoutAccessorsAndFill() {
        var image = Image(width: 3, height: 2, fill: LinearRGB(0.1, 0.2, 0.3))
        #expect(image.pixels.count == 18)
        image[2, 1] = LinearRGB(1, 2, 3)
        #expect(image.pixels[(1 * 3 + 2) * 3 + 1] == 2)
        #expect(image[2, 1, 2] == 3)
        #expect(image.channel(0) == [0.1, 0.1, 0.1, 0.1, 0.1, 1])
        #expect(abs(image.mean - (15 * 0.2 + 6) / 18) < 1e-7)
        #expect(abs(image.channelMeans.g - (5 * 0.2 + 2) / 6) < 1e-7)
    }

    @Test func lossesAndArithmetic() {
        let a = Image(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
        let b = Image(width: 2, height: 1, pixels: [1, 1, 1, 1, 1, 1])
        #expect((a - b).pixels == [0, 1, 2, 3, 4, 5])
        #expect((a * b + a).pixels == [2, 4, 6, 8, 10, 12])
        #expect((0.5 * a).pixels == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect(a.meanSquaredError(to: b) == (0 + 1 + 4 + 9 + 16 + 25) / 6.0)
        #expect(a.meanAbsoluteError(to: b) == 15 / 6.0)
        let r = a.relativeError(to: b)
        #expect(r.mean == 15 / 6.0 && r.max == 5)
        #expect(a.scaled(by: LinearRGB(1, 0, 2)).pixels == [1, 0, 6, 4, 0, 12])
    }

    @Test func nonFiniteValuesAreFound() {
        var image = Image(width: 4, height: 3, fill: .white)
        #expect(image.isFinite)
        #expect(throws: Never.self) { try image.checkFinite("target.exr") }
        image[1, 2, 2] = .nan
        image[3, 2, 0] = .infinity
        #expect(!image.isFinite)
        #expect(image.nonFiniteCount == 2)
        let first = image.firstNonFiniteValue
        #expect(first?.x == 1 && first?.y == 2 && first?.channel == 2 && first?.value.isNaN == true)
        let error = #expect(throws: ImageIOError.self) { try image.checkFinite("target.exr") }
        #expect(error?.description == "target.exr: 2 non-finite value(s), the first nan at pixel (1, 2) channel b")
    }

    @Test func boxDownsamplingAveragesAndKeepsTheMean() {
        var rng = SplitMix64(seed: 1)
        let image = Image(width: 8, height: 6) { _, _ in LinearRGB(Float(rng.unit()), Float(rng.unit()), Float(rng.unit())) }
        let half = image.downsampled(by: 2)
        #expect(half.width == 4 && half.height == 3)
        let expected = (image[2, 4].r + image[3, 4].r + image[2, 5].r + image[3, 5].r) / 4
        #expect(abs(half[1, 2].r - expected) < 1e-6)
        #expect(abs(half.mean - image.mean) < 1e-6)
        // Odd sizes: the border boxes average the pixels that exist.
        let odd = Image(width: 3, height: 1, pixels: [1, 1, 1, 3, 3, 3, 8, 8, 8]).downsampled(by: 2)
        #expect(odd.width == 2 && odd.height == 1)
        #expect(odd.pixels == [2, 2, 2, 8, 8, 8])
        #expect(image.pyramid(levels: 10).map(\.width) == [8, 4, 2, 1])
    }

    @Test func resizing() {
        let small = Image(width: 2, height: 2, pixels: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        let big = small.resized(width: 4, height: 4, filter: .nearest)
        #expect(big[0, 0].r == 0 && big[1, 1].r == 0 && big[2, 0].r == 1 && big[3, 3].r == 3)
        #expect(big.resized(width: 2, height: 2, filter: .nearest) == small)
        let smooth = small.resized(width: 4, height: 4, filter: .bilinear)
        // Pixel centres: output x = 1 sits at source x = 0.25.
        #expect(abs(smooth[1, 0].r - 0.25) < 1e-6)
        #expect(smooth[0, 0].r == 0 && smooth[3, 3].r == 3)
        let constant = Image(width: 3, height: 5, fill: LinearRGB(gray: 0.7))
        #expect(constant.resized(width: 7, height: 2).pixels.allSatisfy { abs($0 - 0.7) < 1e-6 })
    }

    @Test func contactSheetPlacesEveryImage() {
        let a = Image(width: 4, height: 3, fill: LinearRGB(1, 0, 0))
        let b = Image(width: 2, height: 2, fill: LinearRGB(0, 1, 0))
        let c = Image(width: 4, height: 3, fill: LinearRGB(0, 0, 1))
        let bg = LinearRGB(gray: 0.5)
        let sheet = Image.contactSheet([a, b, c], columns: 2, gap: 1, background: bg)
        #expect(sheet.width == 2 * 4 + 3 && sheet.height == 2 * 3 + 3)
        #expect(sheet[0, 0] == bg)
        #expect(sheet[1, 1] == LinearRGB(1, 0, 0) && sheet[4, 3] == LinearRGB(1, 0, 0))
        #expect(sheet[7, 2] == LinearRGB(0, 1, 0) && sheet[6, 1] == bg)  // centred in its cell
        #expect(sheet[1, 5] == LinearRGB(0, 0, 1))
        #expect(sheet[7, 6] == bg)  // the empty cell
        #expect(sheet.cropped(x: 1, y: 1, width: 4, height: 3) == a)
    }

    @Test func divergingMapIsSymmetricAndRobust() {
        #expect(ColorMap.diverging(0) == .white)
        let red = ColorMap.diverging(1), blue = ColorMap.diverging(-1)
        #expect(red.r > red.b && blue.b > blue.r)
        #expect(ColorMap.diverging(5) == red && ColorMap.diverging(-5) == blue)
        #expect(ColorMap.diverging(.nan) == ColorMap.invalid)
        // 99th percentile of |v|: one huge outlier among 200 values does not set the scale.
        var values = (0..<200).map { Float($0 % 2 == 0 ? $0 : -$0) / 199 }
        values[17] = 1e6
        let scale = ColorMap.robustMaxAbs(values)
        #expect(scale < 1.01 && scale > 0.98)
        #expect(ColorMap.robustMaxAbs([0, 0, .nan]) == 1)
        let gradient = Image(width: 3, height: 1, pixels: [-2, -2, -2, 0, 0, 0, 1, 1, 1])
        let (picture, used) = gradient.divergingColorMapped(scale: 2)
        #expect(used == 2)
        #expect(picture[0, 0] == blue && picture[1, 0] == .white && picture[2, 0] == ColorMap.diverging(0.5))
        // Written as 8-bit sRGB, white stays exactly white.
        #expect(PNGImage(srgb8: picture).samples[3...5] == [255, 255, 255])
    }

    @Test func sequentialMapRunsDarkToBright() {
        let lows = (0...10).map { ColorMap.sequential(Double($0) / 10).luminance }
        #expect(zip(lows, lows.dropFirst()).allSatisfy { $0 < $1 })
        let depth = Image(width: 4, height: 1, pixels: [0, 0, 0, 1, 1, 1, 2, 2, 2, .nan, .nan, .nan])
        let (picture, range) = depth.sequentialColorMapped(range: 0...2)
        #expect(range == 0...2)
        #expect(picture[0, 0] == ColorMap.sequential(0) && picture[2, 0] == ColorMap.sequential(1))
        #expect(picture[3, 0] == ColorMap.invalid)
    }
}
