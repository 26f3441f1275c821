import Foundation
import Geometry
import ImageIO
import Render
import SceneFile
import Testing

/// `render` in single precision (`RenderOptions.Precision.single`): the scene lifted
/// to `Float` and traced by the same generic path tracer, its rays offset as
/// Mitsuba 3 offsets them (`Scene.singleRayEpsilon`).
@Suite("Single-precision render")
struct PrecisionTests {
    static func scene(_ path: String, res: Int, _ kind: Accelerator.Kind = .preferred) throws -> Scene<Double> {
        try Scene(description: SceneDescription(path: path, defines: ["res": "\(res)"]), accelerator: kind)
    }
    static let cornell = RenderFixtures.root + "/scenes/cornell-box.xml"

    @Test("single precision gives the same image to the bit on 1 and 2 threads", arguments: [Accelerator.Kind.bvh, .embree])
    func threadIndependent(kind: Accelerator.Kind) throws {
        let scene = try Self.scene(Self.cornell, res: 16, kind)
        func image(_ threads: Int, _ precision: RenderOptions.Precision) -> Image {
            scene.render(RenderOptions(samplesPerPixel: 8, seed: 3, threads: threads, precision: precision)).0
        }
        let one = image(1, .single)
        #expect(one.pixels == image(2, .single).pixels)
        // A render of its own, not the double one under another name.
        #expect(one.pixels != image(1, .double).pixels)
    }

    @Test("single precision agrees with double on the same random numbers")
    func agreesWithDouble() throws {
        let scene = try Self.scene(Self.cornell, res: 16)
        let options = RenderOptions(samplesPerPixel: 64, seed: 5, threads: 2, precision: .double)
        var single = options
        single.precision = .single
        let d = scene.render(options).0, s = scene.render(single).0
        let c = ImageComparison(s, d)
        print("single against double, Cornell box 16², 64 spp: mean relative error \(c.meanRelative), means \(c.mean) / \(c.referenceMean)")
        for k in 0..<3 {
            #expect(abs(c.mean[k] - c.referenceMean[k]) <= 0.005 * c.referenceMean[k])
            #expect(c.meanRelative[k] <= 0.02)
        }
    }

    /// The Cornell box scaled by 1000 and moved 1e4 along each axis: rays leave surfaces
    /// whose coordinates are 1e4, where a float's ulp is 1e-3, without meeting them again.
    /// Mitsuba's z-test against its render of the same scene, and the same mean as its
    /// render of the box at the origin (radiance does not change with scale).
    @Test("far from the origin: Mitsuba's image and the unscaled box's mean", arguments: RenderOptions.Precision.allCases)
    func farFromOrigin(precision: RenderOptions.Precision) throws {
        let spp = 1024
        let scene = try Scene.load(path: RenderFixtures.scene("cornell-box-far"), defines: ["res": "24"])
        let rendered = renderWithVariance(scene, spp: spp, precision: precision)
        let z = try zTestAgainstReference(rendered, reference: RenderFixtures.reference("cornell-box-far"), spp: spp)
        print("cornell-box-far, \(precision): \(z)")
        #expect(z.passes, "\(z)")
        let near = try Image.read(from: RenderFixtures.reference("cornell-box"))
        let c = ImageComparison(rendered.image, near)
        print("cornell-box-far, \(precision): means \(c.mean), the box at the origin (Mitsuba) \(c.referenceMean)")
        for k in 0..<3 { #expect(abs(c.mean[k] - c.referenceMean[k]) <= 0.01 * c.referenceMean[k]) }
    }
}
