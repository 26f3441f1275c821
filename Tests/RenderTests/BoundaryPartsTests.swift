import Foundation
import Render
import Testing

/// The kinds of boundary samples (`BoundaryParts`) and where the camera's
/// samples go (`BoundaryOptions.cameraSamplesOnMovingSilhouettes`).
@Suite("Boundary parts")
struct BoundaryPartsTests {
    typealias V = VisibilityGradientTests

    /// `scenes/box-on-floor.xml` (a mesh area light and a sky) and
    /// `scenes/sphere-sun.xml` (the sun and a sky), `res` pixels wide.
    static func scenes(res: Int) throws -> [(name: String, key: String, scene: Scene<Double>)] {
        [("box-on-floor", "box.translate",
          try Scene.load(path: RenderFixtures.root + "/scenes/box-on-floor.xml", defines: ["res": "\(res)"])),
         ("sphere-sun", "ball.center",
          try Scene.load(path: RenderFixtures.root + "/scenes/sphere-sun.xml", defines: ["res": "\(res)"]))]
    }

    /// The boundary term of d loss / d key with only `parts` traced (the interior subtracted, same seed).
    static func boundaryOnly(_ scene: Scene<Double>, key: String, _ boundary: BoundaryOptions, seed: UInt64 = 3) throws -> [Double] {
        let whole = try V.reverse(scene, key: key, spp: 1, boundary: boundary, seed: seed)
        let interior = try V.reverse(scene, key: key, spp: 1, boundary: .interiorOnly, seed: seed)
        return zip(whole, interior).map { $0 - $1 }
    }

    /// Each kind run alone keeps the samples it has in the whole term: the
    /// kinds' gradients sum to the whole boundary term to round-off, and the
    /// kinds each scene has (and only those) contribute.
    @Test func partsSumToTheWhole() throws {
        for (name, key, scene) in try Self.scenes(res: V.size) {
            let boundary = BoundaryOptions(primarySamplesPerPixel: 2, secondarySamplesPerPixel: 2)
            let whole = try Self.boundaryOnly(scene, key: key, boundary)
            var sum = [Double](repeating: 0, count: whole.count)
            for (part, kind) in BoundaryParts.named {
                var alone = boundary
                alone.parts = kind
                let g = try Self.boundaryOnly(scene, key: key, alone)
                print("\(name) \(part): \(g)")
                for i in sum.indices { sum[i] += g[i] }
                // box-on-floor has no delta light; sphere-sun no mesh area light.
                let present = name == "box-on-floor" ? !["delta", "delta-beyond"].contains(part) : part != "lights"
                #expect((g.map(abs).max() ?? 0 > 0) == present, "\(name): \(part) gives \(g)")
            }
            let scale = whole.map(abs).max() ?? 0
            #expect(scale > 0 && V.error(sum, whole, floorFraction: 1) < 1e-9, "\(name): the parts sum to \(sum), the whole is \(whole)")
        }
    }

    /// The camera's samples spread over the silhouettes that move alone
    /// (`cameraSamplesOnMovingSilhouettes`; the floor's edges and the box's
    /// hidden ones left out), on both scenes at 32×32, that part alone, 2
    /// samples per pixel, seeds 1–16: the mean over seeds agrees with the
    /// samples spread over every silhouette within three combined standard
    /// errors (plus 3 % of the largest component), the variance summed over
    /// the components is smaller (with 8 seeds one component of sphere-sun's
    /// came out 1.5× larger while the sum fell by a third: one component's
    /// spread over few seeds is itself noisy), and forward mode equals
    /// reverse mode.
    @Test func cameraSamplesOnMovingSilhouettes() throws {
        for (name, key, scene) in try Self.scenes(res: V.size) {
            let all = BoundaryOptions(primarySamplesPerPixel: 2, secondarySamplesPerPixel: 0)
            var moving = all
            moving.cameraSamplesOnMovingSilhouettes = true
            let seeds: [UInt64] = Array(1...16)
            let a = V.spread(try seeds.map { try Self.boundaryOnly(scene, key: key, moving, seed: $0) })
            let b = V.spread(try seeds.map { try Self.boundaryOnly(scene, key: key, all, seed: $0) })
            print("\(name): on moving silhouettes \(a), on all \(b)")
            let n = Double(seeds.count), largest = b.mean.map(abs).max() ?? 0
            for c in 0..<3 {
                let se = ((a.deviation[c] * a.deviation[c] + b.deviation[c] * b.deviation[c]) / n).squareRoot()
                #expect(abs(a.mean[c] - b.mean[c]) <= 3 * se + 0.03 * largest, "\(name) \(c): \(a.mean[c]) against \(b.mean[c])")
            }
            let variance = { (d: [Double]) in d.reduce(0) { $0 + $1 * $1 } }
            #expect(variance(a.deviation) < variance(b.deviation), "\(name): spread \(a.deviation) against \(b.deviation)")
            let reverse = try V.reverse(scene, key: key, spp: 1, boundary: moving)
            let forward = try V.forward(scene, key: key, spp: 1, boundary: moving)
            #expect(V.error(forward, reverse, floorFraction: 1e-6) < 1e-5, "\(name): forward \(forward) vs reverse \(reverse)")
        }
    }
}
