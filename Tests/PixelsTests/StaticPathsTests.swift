import Testing
import Foundation
import Control
import Pixels
import Render
import Autodiff
import ImageIO

private let scenesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenes").path

/// Frames and Jacobians rendered at the frame seed with the static part's paths
/// are bit-identical to those rendered without them, in both views, under the
/// light at the camera and under the sun (whose shadows fall on the backdrop,
/// so shadow segments decide what is reused), on states that put the moving
/// part across much of the frame (the pole lying over, the cart at a track's
/// end, the pendulum horizontal and hanging). The check cannot pass by
/// accident: the counts show that most samples were taken from the cache and
/// some were traced again, and a frame at another seed reuses none.
@Test(arguments: [(ControlProblem.cartpole, ""), (.cartpole, "/sunlit"), (.pendulum, ""), (.pendulum, "/sunlit")])
func staticPathsAreExact(problem: ControlProblem, scenes: String) throws {
    let directory = scenesDirectory + scenes
    let cached = try PixelObservation(problem: problem, directory: directory, resolution: 24, samples: 3, threads: 2)
    let plain = try PixelObservation(problem: problem, directory: directory, resolution: 24, samples: 3, threads: 2,
                                     reusingStaticPaths: false)
    let paths = try #require(cached.staticPaths, "\(cached.staticPathsNote ?? "")")
    #expect(plain.staticPaths == nil)
    #expect(cached.background == plain.background)
    let states: [[Double]] = problem == .cartpole
        ? [[0, 0, 0, 0], [2.2, 0, 1.2, 0], [-2.3, 0, -1.5, 0], [0.7, 1, 0.3, -2]]
        : [[0, 0], [.pi / 2, 0], [.pi, 1], [-2.2, -3]]
    for state in states {
        let seed = PixelObservation.frameSeed
        paths.resetCounts()
        let a = try cached.renderWithJacobian(state: state, seed: seed)
        let counts = paths.counts
        let b = try plain.renderWithJacobian(state: state, seed: seed)
        #expect(a.image.pixels == b.image.pixels, "\(problem) \(scenes) \(state): frame differs")
        #expect(a.jacobian == b.jacobian, "\(problem) \(scenes) \(state): Jacobian differs")
        #expect(counts.samples == 24 * cached.height * 3)
        #expect(counts.reused > counts.samples / 2 && counts.reused < counts.samples,
                "\(problem) \(scenes) \(state): \(counts.reused) of \(counts.samples) samples reused")
        paths.resetCounts()
        #expect(try cached.render(state: state, seed: seed).pixels == plain.render(state: state, seed: seed).pixels)
        #expect(paths.counts.reused > 0)
        paths.resetCounts()
        #expect(try cached.render(state: state, seed: seed + 1).pixels == plain.render(state: state, seed: seed + 1).pixels)
        #expect(paths.counts.reused == 0, "another seed must reuse nothing")
    }
}

/// Paths that may continue past their first vertex are refused, with the reason.
@Test func staticPathsRefuseLongerPaths() throws {
    let obs = try PixelObservation(problem: .cartpole, directory: scenesDirectory, resolution: 8, samples: 1, depth: 3, threads: 1)
    #expect(obs.staticPaths == nil)
    #expect(obs.staticPathsNote?.contains("two segments") == true, "\(obs.staticPathsNote ?? "")")
}

/// At 64 pixels (16 tiles), the pendulum's tiles that no moving shape reaches are
/// reused whole, from the sums their kept samples make (`StaticPaths.keptSums`,
/// `keptBlocks`), and a tile's samples outside the movers' film rectangle skip
/// their segment test: frames, Jacobians and render-only frames stay bit-identical
/// to a render without the cache, with the box filter of the views and with a
/// Gaussian one, whose blocks have a border (two states; the rod upright and
/// lying). The check cannot pass by accident: some tiles are reused whole and
/// others are not.
@Test(arguments: [ReconstructionFilter.box, .gaussian(stddev: 0.5)])
func staticPathsReuseWholeTilesExactly(filter: ReconstructionFilter) throws {
    let problem = ControlProblem.pendulum
    let view = try PixelObservation(problem: problem, directory: scenesDirectory, resolution: 64, samples: 2, threads: 2,
                                    reusingStaticPaths: false)
    var rest = view.rest
    rest.film.filter = filter
    let options = RenderOptions(samplesPerPixel: 2, seed: PixelObservation.frameSeed, threads: 2)
    let keys = problem.pixelTask.poseKeys
    let paths = try StaticPaths(scene: rest, varying: keys, options)
    typealias D = Dual<SIMD2<Double>>
    for state in [[0.3, 0.0], [.pi / 2, 0.0]] {
        let posed = try rest.updated(Dictionary(uniqueKeysWithValues: zip(keys, problem.pixelTask.pose(state: state))))
        let frame = try #require(paths.frame(for: posed, options))
        let grid = TileGrid(width: 64, height: 64)
        let whole = (0..<grid.count).filter { frame.reusesAll($0, count: 16 * 16 * 2) }
        #expect(!whole.isEmpty && whole.count < grid.count, "\(state): \(whole.count) of \(grid.count) tiles reused whole")
        var dualState = state.map { D($0) }
        dualState[0] = D(state[0], variable: 0)
        var tangents = [String: [D]]()
        for (k, v) in zip(keys, problem.pixelTask.pose(state: dualState)) { tangents[k] = v }
        func render(_ reuse: StaticPaths?) -> (Image, [Image]) {
            posed.renderForward(directions: SIMD2<Double>.self, lanes: 1, differentiates: { tangents[$0] != nil },
                                tangent: { key, _ in tangents[key]! }, options, boundary: .primaryOnly, reusing: reuse)
        }
        let (a, da) = render(paths), (b, db) = render(nil)
        #expect(a.pixels == b.pixels, "\(filter) \(state): frame differs")
        #expect(da[0].pixels == db[0].pixels, "\(filter) \(state): Jacobian differs")
        #expect(posed.render(options, reusing: paths).0.pixels == posed.render(options).0.pixels, "\(filter) \(state): render differs")
    }
}
