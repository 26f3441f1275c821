import Testing
import Foundation
import Geometry
import ImageIO
import Render
import SceneFile

/// A 4×3 image whose texel (x, y) is (x, y, 10 y + x).
func gridBitmap(_ filter: BitmapFilter, _ wrap: BitmapWrapMode) -> Bitmap<Double> {
    var data: [Double] = []
    for y in 0..<3 { for x in 0..<4 { data += [Double(x), Double(y), Double(10 * y + x)] } }
    return Bitmap(width: 4, height: 3, data: data, filter: filter, wrapMode: wrap)
}

func loadTexture(_ xml: String) throws -> Texture<Double> {
    let scene = try SceneDescription(xml: "<scene version=\"3.0.0\">\(xml)</scene>", file: "test.xml")
    guard let object = scene.objectsByID["t"] else { throw TestFailure("no object t in \(xml)") }
    return try Texture(object)
}

@Suite struct TextureTests {
    static let uvs: [(Double, Double)] = [(0.125, 1.0 / 6), (0.5, 0.5), (0, 0), (0.3, 0.9), (1.1, -0.2), (-0.3, 1.4)]

    /// Values Mitsuba 3.9.1 (scalar_rgb) returns for the grid image at `uvs`.
    static let mitsuba: [(BitmapFilter, BitmapWrapMode, [[Double]])] = [
        (.bilinear, .repeat, [[0, 0, 0], [1.5, 1, 11.5], [1.5, 1, 11.5], [0.7, 1.6, 16.7], [0.3, 1.9, 19.3], [2.3, 0.7, 9.3]]),
        (.bilinear, .mirror, [[0, 0, 0], [1.5, 1, 11.5], [0, 0, 0], [0.7, 2, 20.7], [3, 0.1, 4], [0.7, 1.3, 13.7]]),
        (.bilinear, .clamp, [[0, 0, 0], [1.5, 1, 11.5], [0, 0, 0], [0.7, 2, 20.7], [3, 0, 3], [0, 2, 20]]),
        (.nearest, .repeat, [[0, 0, 0], [2, 1, 12], [0, 0, 0], [1, 2, 21], [0, 2, 20], [2, 1, 12]]),
        (.nearest, .mirror, [[0, 0, 0], [2, 1, 12], [0, 0, 0], [1, 2, 21], [3, 0, 3], [1, 1, 11]]),
        (.nearest, .clamp, [[0, 0, 0], [2, 1, 12], [0, 0, 0], [1, 2, 21], [3, 0, 3], [0, 2, 20]]),
    ]

    @Test("bitmap: texel centres, bilinear / nearest filtering and wrap modes as Mitsuba 3")
    func bitmapLookups() {
        for (filter, wrap, values) in TextureTests.mitsuba {
            let t = Texture<Double>.bitmap(gridBitmap(filter, wrap))
            for (uv, want) in zip(TextureTests.uvs, values) {
                let c = t.eval(uv)
                for k in 0..<3 {
                    #expect(abs(c[k] - want[k]) < 1e-5, "\(filter) \(wrap) at \(uv): \(c) vs Mitsuba \(want)")
                }
            }
        }
        #expect(abs(gridBitmap(.bilinear, .repeat).mean.b - 11.5) < 1e-12)
    }

    @Test("bitmap: bilinear derivatives with respect to uv")
    func bitmapUVDerivative() {
        let b = gridBitmap(.bilinear, .repeat)
        let u = Dual2(0.37, variable: 0), v = Dual2(0.61, variable: 1)
        let c = b.lifted(Lifter<Dual2>.constant, prefix: "").eval((u, v))
        let h = 1e-7
        let du = (b.eval((0.37 + h, 0.61)).b - b.eval((0.37 - h, 0.61)).b) / (2 * h)
        let dv = (b.eval((0.37, 0.61 + h)).b - b.eval((0.37, 0.61 - h)).b) / (2 * h)
        #expect(abs(c.b.partial(0) - du) < 1e-5 && abs(c.b.partial(1) - dv) < 1e-5)
    }

    @Test("checkerboard: Mitsuba's squares, defaults 0.4 / 0.2, to_uv")
    func checkerboard() throws {
        let t = try loadTexture(#"<texture type="checkerboard" id="t"/>"#)
        let cases: [((Double, Double), Double)] = [((0.1, 0.1), 0.4), ((0.6, 0.1), 0.2), ((0.1, 0.6), 0.2), ((0.6, 0.6), 0.4),
                                                   ((1.2, 0.3), 0.4), ((-0.2, 0.3), 0.2)]
        for (uv, want) in cases { #expect(abs(t.eval(uv).g - want) < 1e-12, "at \(uv)") }
        let scaled = try loadTexture(#"<texture type="checkerboard" id="t"><rgb name="color0" value="1, 0, 0"/><transform name="to_uv"><scale x="4" y="4"/></transform></texture>"#)
        #expect(scaled.eval((0.1, 0.1)).r == 1)
        #expect(abs(scaled.eval((0.2, 0.1)).r - 0.2) < 1e-12)
        #expect(abs(scaled.mean.r - 0.6) < 1e-12)
        #expect(scaled.parameters(prefix: "x.").map(\.key) == ["x.color0.value", "x.color1.value"])
    }

    @Test("bitmap files: 8-bit PNG sRGB-decoded unless raw, EXR linear, filter and wrap from the scene")
    func bitmapFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-texture-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let png = PNGImage(width: 2, height: 1, channels: 3, bitDepth: 8, samples: [0, 128, 255, 64, 32, 16])
        try png.write(to: dir + "/t.png")
        let srgb = try loadTexture(#"<texture type="bitmap" id="t"><string name="filename" value="\#(dir)/t.png"/><string name="filter_type" value="nearest"/></texture>"#)
        let c = srgb.eval((0.25, 0.5))
        #expect(abs(c.g - SRGB.toLinear(128.0 / 255)) < 1e-9 && c.b == 1 && c.r == 0)
        let raw = try loadTexture(#"<texture type="bitmap" id="t"><string name="filename" value="\#(dir)/t.png"/><string name="filter_type" value="nearest"/><boolean name="raw" value="true"/></texture>"#)
        #expect(abs(raw.eval((0.75, 0.5)).r - 64.0 / 255) < 1e-12)

        let image = Image(width: 2, height: 2, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        try image.write(to: dir + "/t.exr")
        let exr = try loadTexture(#"<texture type="bitmap" id="t"><string name="filename" value="\#(dir)/t.exr"/><string name="wrap_mode" value="clamp"/></texture>"#)
        // Clamp: far outside the image the corner texels.
        #expect(exr.eval((-3, -3)).r == 1 && exr.eval((5, 5)).b == 12)
        // Bilinear at the centre: the mean of the four texels.
        #expect(abs(exr.eval((0.5, 0.5)).g - 6.5) < 1e-9)
        #expect(exr.parameters(prefix: "b.reflectance.").first?.key == "b.reflectance.data")
    }
}
