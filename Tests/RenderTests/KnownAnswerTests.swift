import Foundation
import ImageIO
import Render
import SceneFile
import Testing

/// A scene held in memory; relative mesh paths resolve against scenes/.
func memoryScene(_ xml: String) throws -> Scene<Double> {
    try Scene(description: SceneDescription(xml: xml, file: "memory.xml", directory: RenderFixtures.root + "/scenes"))
}

/// The white furnace: every object white diffuse (reflectance 1) inside a
/// uniform `constant` emitter of radiance L. Energy is conserved, so every
/// pixel must equal L whatever the path depth or Russian roulette settings
/// (as long as depth is unlimited, or the object is convex and max_depth ≥ 2).
@Suite("Furnace")
struct FurnaceTests {
    static let radiance = (0.6, 0.8, 1.0)

    static func furnace(shape: String, maxDepth: Int, rrDepth: Int) -> String {
        """
        <scene version="3.0.0">
            <integrator type="path">
                <integer name="max_depth" value="\(maxDepth)"/>
                <integer name="rr_depth" value="\(rrDepth)"/>
            </integrator>
            <sensor type="perspective">
                <float name="fov" value="45"/>
                <transform name="to_world"><lookat origin="0, 2, 3" target="0, 0, 0" up="0, 1, 0"/></transform>
                <film type="hdrfilm"><integer name="width" value="16"/><integer name="height" value="16"/></film>
            </sensor>
            \(shape)
            <emitter type="constant"><rgb name="radiance" value="\(radiance.0), \(radiance.1), \(radiance.2)"/></emitter>
        </scene>
        """
    }

    static let torus = """
        <shape type="ply">
            <string name="filename" value="meshes/torus.ply"/>
            <transform name="to_world"><rotate x="1" angle="30"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="1"/></bsdf>
        </shape>
        <shape type="cube">
            <transform name="to_world"><scale value="0.3"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="1"/></bsdf>
        </shape>
        """
    static let sphere = """
        <shape type="sphere"><bsdf type="diffuse"><rgb name="reflectance" value="1"/></bsdf></shape>
        """

    struct Setting: Sendable, CustomTestStringConvertible {
        var concave: Bool, maxDepth: Int, rrDepth: Int
        var testDescription: String { "\(concave ? "torus+cube" : "sphere") max_depth \(maxDepth) rr_depth \(rrDepth)" }
    }

    @Test("white diffuse objects in a constant emitter return its radiance", arguments: [
        Setting(concave: true, maxDepth: -1, rrDepth: 5),
        Setting(concave: true, maxDepth: -1, rrDepth: 1),
        Setting(concave: true, maxDepth: -1, rrDepth: 40),
        Setting(concave: true, maxDepth: 200, rrDepth: 3),
        Setting(concave: false, maxDepth: 2, rrDepth: 5),
        Setting(concave: false, maxDepth: -1, rrDepth: 1),
    ])
    func furnace(_ s: Setting) throws {
        let scene = try memoryScene(FurnaceTests.furnace(shape: s.concave ? FurnaceTests.torus : FurnaceTests.sphere,
                                                         maxDepth: s.maxDepth, rrDepth: s.rrDepth))
        let (image, stats) = scene.render(RenderOptions(samplesPerPixel: 256, seed: 3, threads: 2))
        #expect(stats.invalidSamples == 0)
        let means = image.channelMeans
        let expected = FurnaceTests.radiance
        for (m, e) in [(means.r, expected.0), (means.g, expected.1), (means.b, expected.2)] {
            #expect(abs(m / e - 1) <= 0.01, "\(s.testDescription): image mean \(m), emitter \(e)")
        }
        // Every pixel, not only the mean: within 10% at 256 spp.
        var worst = 0.0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let p = image[x, y]
                worst = max(worst, abs(Double(p.r) / expected.0 - 1), abs(Double(p.g) / expected.1 - 1), abs(Double(p.b) / expected.2 - 1))
            }
        }
        #expect(worst <= 0.10, "\(s.testDescription): worst pixel off by \(worst)")
    }

    @Test("a grey sphere in the furnace shows its reflectance times the radiance")
    func greyFurnace() throws {
        // A convex sphere: one bounce, then every direction sees the emitter:
        // L_sphere = ρ L exactly. The centre pixels see only the sphere.
        let xml = FurnaceTests.furnace(shape: """
            <shape type="sphere"><float name="radius" value="1.5"/>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.25, 0.5, 0.75"/></bsdf></shape>
            """, maxDepth: -1, rrDepth: 5)
        let scene = try memoryScene(xml)
        let (image, _) = scene.render(RenderOptions(samplesPerPixel: 1024, seed: 1, threads: 2))
        let e = FurnaceTests.radiance
        var sum = (0.0, 0.0, 0.0)
        for y in 4..<12 {
            for x in 4..<12 {
                let p = image[x, y]
                sum.0 += Double(p.r) / 64; sum.1 += Double(p.g) / 64; sum.2 += Double(p.b) / 64
            }
        }
        #expect(abs(sum.0 / (0.25 * e.0) - 1) <= 0.01, "red \(sum.0)")
        #expect(abs(sum.1 / (0.5 * e.1) - 1) <= 0.01, "green \(sum.1)")
        #expect(abs(sum.2 / (0.75 * e.2) - 1) <= 0.01, "blue \(sum.2)")
    }
}

@Suite("Determinism")
struct DeterminismTests {
    static func cornell() throws -> Scene<Double> {
        try Scene.load(path: RenderFixtures.root + "/scenes/cornell-box.xml", defines: ["res": "16"])
    }

    @Test("same seed gives a bit-identical image on 1 and 2 threads")
    func threads() throws {
        let scene = try DeterminismTests.cornell()
        let one = scene.render(RenderOptions(samplesPerPixel: 16, seed: 42, threads: 1)).0
        let two = scene.render(RenderOptions(samplesPerPixel: 16, seed: 42, threads: 2)).0
        let again = scene.render(RenderOptions(samplesPerPixel: 16, seed: 42, threads: 2)).0
        #expect(one.pixels.map(\.bitPattern) == two.pixels.map(\.bitPattern))
        #expect(two.pixels.map(\.bitPattern) == again.pixels.map(\.bitPattern))
        #expect(one.mean > 0.05)
    }

    @Test("another seed gives another image (with the same mean)")
    func seeds() throws {
        let scene = try DeterminismTests.cornell()
        // 16² pixels × 1024 spp: the image means differ by ~1% (noise) between seeds.
        let a = scene.render(RenderOptions(samplesPerPixel: 1024, seed: 1, threads: 2)).0
        let b = scene.render(RenderOptions(samplesPerPixel: 1024, seed: 2, threads: 2)).0
        let differing = zip(a.pixels, b.pixels).filter { $0 != $1 }.count
        #expect(differing > a.pixels.count / 2)
        #expect(abs(a.mean / b.mean - 1) < 0.03)
    }

    @Test("AOVs are bit-identical on 1 and 2 threads")
    func aovThreads() throws {
        let scene = try Scene.load(path: RenderFixtures.scene("aov-uv-depth"))
        let one = scene.renderAOVs(RenderOptions(samplesPerPixel: 4, seed: 5, threads: 1)).0
        let two = scene.renderAOVs(RenderOptions(samplesPerPixel: 4, seed: 5, threads: 2)).0
        #expect(one.map(\.name) == ["uv", "dd"])
        for (a, b) in zip(one, two) {
            #expect(a.image.pixels.map(\.bitPattern) == b.image.pixels.map(\.bitPattern), "AOV \(a.name)")
        }
    }
}

/// Sanity of the counter-based sampler without a chi-square: histogram bins
/// within 6 standard deviations of their expected counts, moments, and no
/// correlation between dimensions, samples or neighbouring pixels.
@Suite("Sampler")
struct SamplerTests {
    @Test("1D values are uniform in [0, 1) across dimensions")
    func uniform1D() {
        let bins = 32, n = 1 << 18
        var counts = [Int](repeating: 0, count: bins)
        var sum = 0.0, sum2 = 0.0
        var drawn = 0
        outer: for pixel in 0..<4096 {
            var s = PathSampler(seed: 9, pixel: pixel, index: pixel % 7)
            for _ in 0..<64 {
                let u = s.next()
                #expect(u >= 0 && u < 1)
                counts[min(Int(u * Double(bins)), bins - 1)] += 1
                sum += u; sum2 += u * u
                drawn += 1
                if drawn == n { break outer }
            }
        }
        let p = 1.0 / Double(bins), expected = Double(n) * p, sigma = (Double(n) * p * (1 - p)).squareRoot()
        for (k, c) in counts.enumerated() {
            #expect(abs(Double(c) - expected) <= 6 * sigma, "bin \(k): \(c) vs \(expected) ± \(sigma)")
        }
        let mean = sum / Double(n), variance = sum2 / Double(n) - mean * mean
        #expect(abs(mean - 0.5) < 6 * (1.0 / 12 / Double(n)).squareRoot())
        #expect(abs(variance - 1.0 / 12) < 0.002)
    }

    @Test("2D pairs fill the unit square evenly")
    func uniform2D() {
        let side = 16, n = 1 << 18
        var counts = [Int](repeating: 0, count: side * side)
        for i in 0..<n {
            var s = PathSampler(seed: 1, pixel: i / 64, index: i % 64)
            let (a, b) = s.next2D()
            counts[min(Int(b * Double(side)), side - 1) * side + min(Int(a * Double(side)), side - 1)] += 1
        }
        let p = 1.0 / Double(side * side), expected = Double(n) * p, sigma = (Double(n) * p * (1 - p)).squareRoot()
        let worst = counts.map { abs(Double($0) - expected) / sigma }.max() ?? 0
        #expect(worst <= 6, "worst 2D bin is \(worst) standard deviations off")
    }

    @Test("no correlation between dimensions, samples and pixels")
    func independence() {
        let n = 1 << 16
        func correlation(_ pairs: [(Double, Double)]) -> Double {
            let m = Double(pairs.count)
            let ma = pairs.map(\.0).reduce(0, +) / m, mb = pairs.map(\.1).reduce(0, +) / m
            var c = 0.0, va = 0.0, vb = 0.0
            for (a, b) in pairs { c += (a - ma) * (b - mb); va += (a - ma) * (a - ma); vb += (b - mb) * (b - mb) }
            return c / (va * vb).squareRoot()
        }
        let bound = 5 / Double(n).squareRoot()
        var dims = [(Double, Double)](), samples = [(Double, Double)](), pixels = [(Double, Double)](), seeds = [(Double, Double)]()
        for i in 0..<n {
            var s = PathSampler(seed: 3, pixel: i, index: 0)
            let a = s.next(), b = s.next()
            dims.append((a, b))
            var t = PathSampler(seed: 3, pixel: i, index: 1)
            samples.append((a, t.next()))
            var q = PathSampler(seed: 3, pixel: i + 1, index: 0)
            pixels.append((a, q.next()))
            var r = PathSampler(seed: 4, pixel: i, index: 0)
            seeds.append((a, r.next()))
        }
        #expect(abs(correlation(dims)) < bound, "successive dimensions")
        #expect(abs(correlation(samples)) < bound, "successive samples")
        #expect(abs(correlation(pixels)) < bound, "neighbouring pixels")
        #expect(abs(correlation(seeds)) < bound, "successive seeds")
    }

    @Test("a path replays exactly from its key")
    func replay() {
        var a = PathSampler(seed: 11, pixel: 1234, index: 56)
        var b = PathSampler(seed: 11, pixel: 1234, index: 56)
        let x = (0..<100).map { _ in a.next() }, y = (0..<100).map { _ in b.next() }
        #expect(x == y)
        #expect(Set(x).count == 100)
    }
}
