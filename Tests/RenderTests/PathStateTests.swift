import Autodiff
import Render
import TestSupport
import Testing

/// A path continued from the state where its probe stopped is the path traced
/// from the camera: what reverse mode's replay relies on to start at the first
/// vertex on a differentiated shape.
@Suite("Path state")
struct PathStateTests {
    static let root = Repository.root.path

    func same(_ a: RGB<Double>, _ b: RGB<Double>) -> Bool { a.r == b.r && a.g == b.g && a.b == b.b }

    /// Every path of a 16×16 Cornell box at 4 spp, stopped at its first vertex on the red
    /// wall and continued from there (in doubles, and from the state lifted to constants on
    /// the tape and in dual numbers, and with its geometry in doubles and its colours on
    /// the tape), has the radiance of the same path traced from the camera, to the bit.
    @Test func continuedPathEqualsPathFromTheCamera() throws {
        let scene = try Scene.load(path: PathStateTests.root + "/scenes/cornell-box.xml", defines: ["res": "16", "max_depth": "5"])
        let onTape = scene.lifted(Lifter<Adjoint>.constant), inDuals = scene.lifted(Lifter<Dual<SIMD2<Double>>>.constant)
        let marked = scene.shapes.map { $0.id == "red-wall" }
        let red = scene.bsdfPrefixes.map { $0 == "red." }
        let tape = Tape.current
        var touchedPaths = 0, paths = 0
        red.withUnsafeBufferPointer { redBSDF in
        marked.withUnsafeBufferPointer { marked in
            scene.forEachSample(x0: 0, y0: 0, x1: 16, y1: 16, spp: 4, seed: 9) { fx, fy, sampler in
                let ray = scene.camera.ray(filmX: fx, filmY: fy, tanHalfFov: scene.camera.tanHalfFov)
                var whole = sampler
                let expected = scene.pathRadiance(ray, &whole)
                var state = PathState(cameraRay: ray), probe = sampler, touched = false
                let partial = scene.pathRadiance(from: &state, &probe, marked: marked, touched: &touched)
                paths += 1
                guard touched else {
                    #expect(same(partial, expected))
                    return
                }
                touchedPaths += 1
                var inDoubles = state, rest = probe, again = false
                #expect(same(scene.pathRadiance(from: &inDoubles, &rest, marked: nil, touched: &again), expected))
                var lifted = PathState<Adjoint>(constant: state)
                rest = probe
                tape.reset()
                #expect(same(onTape.pathRadiance(from: &lifted, &rest, marked: nil, touched: &again).primal, expected))
                var dual = PathState<Dual<SIMD2<Double>>>(constant: state)
                rest = probe
                #expect(same(inDuals.pathRadiance(from: &dual, &rest, marked: nil, touched: &again).primal, expected))
                // Geometry in doubles, colours on the tape, the red wall's BSDF read from the lifted scene.
                var geometry = state, radiance = RGB<Adjoint>(state.radiance), beta = RGB<Adjoint>(state.beta)
                rest = probe
                let colours = scene.pathRadiance(from: &geometry, radiance: &radiance, beta: &beta, &rest, colours: onTape,
                                                 coloured: redBSDF, marked: nil, touched: &again, gathering: true)
                #expect(same(colours.primal, expected))
            }
        }
        }
        tape.reset()
        // Both kinds of paths were seen.
        #expect(touchedPaths > 0 && touchedPaths < paths)
    }

    /// A probe that gathers no radiance stops at the same vertex with the same state and
    /// random numbers as one that does, except on the path's last vertex, where it does
    /// not trace (a replay from there would add nothing): reverse mode's probe without an image.
    @Test func probeWithoutRadianceStopsWhereTheProbeDoes() throws {
        let scene = try Scene.load(path: PathStateTests.root + "/scenes/cornell-box.xml", defines: ["res": "16", "max_depth": "5"])
        let marked = scene.shapes.map { $0.id == "red-wall" }
        var stopped = 0, lastVertex = 0
        marked.withUnsafeBufferPointer { marked in
            scene.forEachSample(x0: 0, y0: 0, x1: 16, y1: 16, spp: 4, seed: 9) { fx, fy, sampler in
                let ray = scene.camera.ray(filmX: fx, filmY: fy, tanHalfFov: scene.camera.tanHalfFov)
                var state = PathState(cameraRay: ray), probe = sampler, touched = false
                _ = scene.pathRadiance(from: &state, &probe, marked: marked, touched: &touched)
                var quiet = PathState(cameraRay: ray), quietSampler = sampler, quietTouched = false
                let nothing = scene.pathRadiance(from: &quiet, &quietSampler, marked: marked, touched: &quietTouched, gathering: false)
                #expect(same(nothing, .zero))
                if quietTouched {
                    stopped += 1
                    #expect(touched)
                    #expect(quiet.ray.o == state.ray.o && quiet.ray.d == state.ray.d && same(quiet.beta, state.beta))
                    #expect(quiet.depth == state.depth && quiet.eta == state.eta && quiet.previousPdf == state.previousPdf)
                    #expect(quiet.previousDelta == state.previousDelta && quiet.previousPoint == state.previousPoint)
                    #expect(quietSampler.next() == probe.next())
                } else if touched {
                    lastVertex += 1
                    #expect(state.depth == 4)
                }
            }
        }
        #expect(stopped > 0 && lastVertex > 0)
    }
}
