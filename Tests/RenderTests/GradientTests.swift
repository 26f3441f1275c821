import TestSupport
import Testing
import Foundation
import Render
import SceneFile

/// Three-way gradient checks in the manner of Mitsuba's own: forward mode
/// equals reverse mode to round-off, and both match central finite
/// differences computed with the same seed (so the same paths).
@Suite("Gradients")
struct GradientTests {
    static let root = Repository.root.path

    func cornell(res: Int = 16) throws -> Scene<Double> {
        try Scene.load(path: GradientTests.root + "/scenes/cornell-box.xml", defines: ["res": "\(res)", "max_depth": "5"])
    }

    /// |a − b| / max(|b|, floor), Mitsuba's gradient-test metric.
    func relative(_ a: Double, _ b: Double, floor: Double = 1e-6) -> Double { abs(a - b) / max(abs(b), floor) }

    @Test func forwardEqualsReverseAndFiniteDifferences() throws {
        let scene = try cornell()
        let keys = ["red.reflectance.value", "light.emitter.radiance.value", "white.reflectance.value"]
        try checkThreeWay(scene, keys: keys, options: RenderOptions(samplesPerPixel: 8, seed: 3, threads: 2))
    }

    /// Keys of diffuse BSDFs only: the replay keeps its geometry in doubles and
    /// records only the colour products. Three-way, and the same gradient as a
    /// replay with every number on the tape (a key of the light's radiance beside
    /// them replays every path from the camera in `Adjoint`) to round-off.
    @Test func colourReplayEqualsReplayOnTheTape() throws {
        let scene = try cornell()
        let options = RenderOptions(samplesPerPixel: 8, seed: 3, threads: 2)
        try checkThreeWay(scene, keys: ["red.reflectance.value", "green.reflectance.value"], options: options)
        let image = scene.render(options).0
        let target = try scene.updated(["red.reflectance.value": [0.3, 0.3, 0.3]]).render(options).0
        let adjoint = ImageLoss.l2.evaluate(image, target: target).adjoint
        let colours = try scene.renderReverse(keys: ["red.reflectance.value"], imageAdjoint: adjoint, options)
        let onTape = try scene.renderReverse(keys: ["red.reflectance.value", "light.emitter.radiance.value"],
                                             imageAdjoint: adjoint, options)
        for i in 0..<3 {
            #expect(abs(colours[i]) > 0)
            #expect(abs(colours[i] - onTape[i]) <= 1e-12 * abs(onTape[i]), "component \(i): \(colours[i]) vs \(onTape[i])")
        }
    }

    /// Path replay is deterministic whatever the number of threads.
    @Test func reverseIsDeterministicAcrossThreads() throws {
        let scene = try cornell()
        let keys = ["green.reflectance.value"]
        let (image, _) = scene.render(RenderOptions(samplesPerPixel: 4, seed: 1, threads: 1))
        let adjoint = ImageLoss.mean.evaluate(image, target: nil).adjoint
        let one = try scene.renderReverse(keys: keys, imageAdjoint: adjoint, RenderOptions(samplesPerPixel: 4, seed: 1, threads: 1))
        let two = try scene.renderReverse(keys: keys, imageAdjoint: adjoint, RenderOptions(samplesPerPixel: 4, seed: 1, threads: 2))
        #expect(one == two)
    }

    /// One pass for the mean: the image and the gradient are `render`'s and
    /// `renderReverse`'s to the bit, with keys whose paths are probed first
    /// (a reflectance) and keys that replay every path (an emitter), on 2 threads.
    @Test func reverseWithImageEqualsRenderThenReverse() throws {
        let scene = try cornell()
        let options = RenderOptions(samplesPerPixel: 4, seed: 2, threads: 2)
        let image = scene.render(options).0
        let adjoint = try #require(ImageLoss.mean.imageIndependentAdjoint(count: image.pixels.count))
        #expect(adjoint == ImageLoss.mean.evaluate(image, target: nil).adjoint)
        for keys in [["red.reflectance.value"], ["red.reflectance.value", "light.emitter.radiance.value"]] {
            let (fused, gradient) = try scene.renderReverseWithImage(keys: keys, imageAdjoint: adjoint, options)
            #expect(fused.pixels == image.pixels)
            #expect(gradient == (try scene.renderReverse(keys: keys, imageAdjoint: adjoint, options)))
        }
    }

    @Test func l2LossGradientPointsTowardsTheTarget() throws {
        let scene = try cornell()
        let options = RenderOptions(samplesPerPixel: 8, seed: 5, threads: 2)
        let target = scene.render(options).0
        let moved = try scene.updated(["red.reflectance.value": [0.3, 0.3, 0.3]])
        let image = moved.render(options).0
        let (_, adjoint) = ImageLoss.l2.evaluate(image, target: target)
        let g = try moved.renderReverse(keys: ["red.reflectance.value"], imageAdjoint: adjoint, options)
        // Red too low (0.3 < 0.57): increase it; green and blue too high: decrease them.
        #expect(g[0] < 0 && g[1] > 0 && g[2] > 0)
    }

    @Test func unknownKeySuggestsCloseMatches() throws {
        let scene = try cornell()
        #expect(throws: ParameterError.self) { try scene.validate(keys: ["red.reflectance.valeu"]) }
        do { try scene.validate(keys: ["red.reflectance.valeu"]) } catch {
            #expect("\(error)".contains("red.reflectance.value"))
        }
        #expect(throws: ParameterError.self) { try scene.updated(["red.reflectance.value": [0.1, 0.2]]) }
        #expect(throws: ParameterError.self) { try scene.updated(["red.reflectance.value": [0.1, .nan, 0.2]]) }
    }
}

@Suite("Pose offsets")
struct PoseOffsetTests {
    /// `<sphere>.translate` moves an analytic sphere exactly as moving its centre does.
    @Test func sphereTranslateEqualsCentreMove() throws {
        let scene = try Scene.load(path: GradientTests.root + "/Tests/Fixtures/scenes/shape-sphere.xml")
        let sphere = try #require(scene.shapes.first { if case .sphere = $0.geometry { return true }; return false })
        let c = sphere.center
        let options = RenderOptions(samplesPerPixel: 4, seed: 2, threads: 2)
        let byTranslate = try scene.updated([sphere.id + ".translate": [0.2, -0.1, 0]]).render(options).0
        let byCentre = try scene.updated([sphere.id + ".center": [c.x + 0.2, c.y - 0.1, c.z]]).render(options).0
        let unmoved = scene.render(options).0
        #expect(byTranslate.meanAbsoluteError(to: byCentre) < 1e-6)
        #expect(byTranslate.meanAbsoluteError(to: unmoved) > 1e-3)
    }
}
