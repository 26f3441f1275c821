import Foundation
import Render
import Testing
import TestSupport

/// `Scene.filmWeights` (the film's normalisation, which every gradient pass
/// divides by) sums each pixel's filter weights in place, the rows of a band
/// clipped before the loop. It must give, to the bit and on any number of
/// threads, the sums of `ImageBlock.forEachWeight` over the samples in the
/// order the primal renderer takes them.
@Suite("Film weights")
struct FilmWeightsTests {
    /// The weights by `forEachSample` and `forEachWeight`, one sample after another.
    static func reference(_ scene: Scene<Double>, spp: Int, seed: UInt64) -> [Double] {
        let w = scene.film.width, h = scene.film.height
        var out = [Double](repeating: 0, count: w * h)
        let probe = ImageBlock(x0: 0, y0: 0, width: 1, height: 1, filter: scene.film.filter)
        scene.forEachSample(x0: 0, y0: 0, x1: w, y1: h, spp: spp, seed: seed) { fx, fy, _ in
            probe.forEachWeight(fx: fx, fy: fy, filmWidth: w, filmHeight: h) { x, y, wt in out[y * w + x] += wt }
        }
        return out
    }

    /// A 13 × 7 film (rows not a multiple of the bands, a radius past a pixel)
    /// with the scene's gaussian, a wide tent and a narrow tent; 1, 2 and 3 threads.
    @Test(arguments: [ReconstructionFilter.gaussian(stddev: 0.5), .tent(radius: 2.6), .tent(radius: 0.7)])
    func sameSumsAsOneSampleAtATime(filter: ReconstructionFilter) throws {
        var scene = try Scene.load(path: Repository.scenes.appendingPathComponent("cylinder-sun.xml").path, defines: ["res": "8"])
        scene.film.width = 13
        scene.film.height = 7
        scene.film.filter = filter
        let reference = Self.reference(scene, spp: 5, seed: 11)
        #expect(reference.allSatisfy { $0 > 0 })
        for threads in 1...3 {
            let weights = scene.filmWeights(spp: 5, seed: 11, threads: threads)
            #expect(weights == reference, "\(filter), \(threads) threads")
        }
    }
}
